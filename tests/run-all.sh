#!/bin/sh
# make test: builds with -Werror, then runs the unit tests, the end-to-end
# golden cases, the conformance corpus, the runs, the LLM judges, python
# and exec checks, terminal
# safety, streamed replies and the fault suite against the fake LLM
# server, the security tests (TLS with a private CA, keys, file modes and
# paths, the secrets proof), hostile input (bench/load.py's bounds) and
# crashes, the command line (colour on a pseudo-terminal, the example
# configuration, the man page, completion, install), the CI workflows of
# examples/github/ run step by step against the fake server, valgrind memcheck
# on end-to-end runs, the JUnit and HTML
# reports (the latter in headless Chromium), the docs, the README's
# examples that need no key, format, tree and
# build-dependency checks, the unit, e2e, conformance, run, judge, checks,
# terminal, stream, security, fault, hostile, cli and crash suites again under
# AddressSanitizer and UndefinedBehaviorSanitizer, and a short fuzzing
# run.  Each step says how long it took; the run ends with one line
# "make test: N passed, M failed" and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
total_pass=0
total_fail=0
log=$(mktemp)
san_log=$(mktemp)
fuzz_log=$(mktemp)
fault_log=$(mktemp)
san_pid=
fuzz_pid=
fault_pid=
trap 'kill $san_pid $fuzz_pid $fault_pid 2>/dev/null; rm -f "$log" "$san_log" "$fuzz_log" "$fault_log"' EXIT

step() {
	title=$1
	shift
	echo "== $title"
	started=$(date +%s)
	"$@" >"$log" 2>&1
	status=$?
	grep -v '^ok ' "$log"
	echo "   ($(($(date +%s) - started)) s)"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	p=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	[ $status != 0 ] && [ "$f" = 0 ] && f=1
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

# The builds use every core: they are most of make test's time.
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

build() {
	out=$(mktemp)
	if make -s -j"$jobs" "$@" >"$out" 2>&1; then
		echo "build: 1 passed, 0 failed"
	else
		cat "$out"
		echo "build: 0 passed, 1 failed"
	fi
	rm -f "$out"
}

# A suite started in the background: waits for it and prints its output.
waited_suite() { # pid, log
	wait "$1"
	status=$?
	cat "$2"
	return $status
}

# A build started by background_build: waits for it and says how it went.
waited_build() { # pid, log
	if wait "$1"; then
		echo "build: 1 passed, 0 failed"
	else
		cat "$2"
		echo "build: 0 passed, 1 failed"
	fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export NO_COLOR=1

step "build (DEVELOPER=1)" build DEVELOPER=1 all unit-bins fakellm
# The sanitizer and libFuzzer builds start now, in the background at the
# lowest priority, on the cores the tests below leave idle (many of them
# wait on the fake server or on child processes); their steps wait for
# them.  They write only under build/san and build/fuzz.
nice -n 19 make -s -j"$jobs" DEVELOPER=1 SANITIZE=address,undefined all \
	unit-bins fakellm >"$san_log" 2>&1 &
san_pid=$!
nice -n 19 make -s -j"$jobs" fuzz-bins >"$fuzz_log" 2>&1 &
fuzz_pid=$!
step "unit tests" tests/run-unit.sh build/default/tests
step "end-to-end cases" tests/run-cases.sh ./prompteval
step "conformance corpus" tests/conformance.sh ./prompteval
step "run against the fake LLM server" tests/run-tests.sh ./prompteval build/default/tests/fakellm
step "LLM judges against the fake LLM server" tests/judge-tests.sh ./prompteval build/default/tests/fakellm
step "python and exec checks against the fake LLM server" tests/checks-tests.sh ./prompteval build/default/tests/fakellm
step "stop when decided, baseline from git" tests/seq-tests.sh ./prompteval build/default/tests/fakellm
step "terminal safety against the fake LLM server" tests/terminal-tests.sh ./prompteval build/default/tests/fakellm
step "the CI workflows of examples/github/, run as written" tests/workflow-tests.sh ./prompteval build/default/tests/fakellm
step "the command line: colour, examples, man page, completion, install" tests/cli-tests.sh ./prompteval
step "valgrind memcheck on end-to-end runs" tests/valgrind.sh ./prompteval build/default/tests/fakellm
step "streamed replies against the fake LLM server" tests/stream-tests.sh ./prompteval build/default/tests/fakellm
step "security: TLS, keys, files, the secrets proof" tests/security-tests.sh ./prompteval build/default/tests/fakellm
step "faults, down and out, rate limits against the fake LLM server" tests/fault-tests.sh ./prompteval build/default/tests/fakellm
step "hostile input and hostile ends" tests/hostile-tests.sh ./prompteval build/default/tests/fakellm 0.5
step "crashes and a full disk" tests/crash-tests.sh ./prompteval build/default/tests/fakellm
step "JUnit report against its XSD" tests/check-junit.sh build/default
step "report in a real browser" tests/browser/run.sh ./prompteval
step "docs agree with the code" tests/check-docs.sh ./prompteval
step "every README example that needs no key, as written" tests/readme-examples.sh ./prompteval
step "formatting" tests/check-format.sh
step "make installs no test tool" tests/check-build-deps.sh
step "the tree: one include root, no shadowed header, the Layout" tests/check-tree.sh
step "build (ASan+UBSan), begun in the background" waited_build "$san_pid" "$san_log"
# The fault suite waits on the clock (Retry-After, timeouts, slow answers)
# far more than it computes, so under the sanitizers it runs beside the
# unit, end-to-end and conformance steps, which use one core; its step
# below waits for it.  It has its own server, port and directory.
tests/fault-tests.sh build/san/prompteval build/san/tests/fakellm \
	>"$fault_log" 2>&1 &
fault_pid=$!
step "unit tests (ASan+UBSan)" tests/run-unit.sh build/san/tests
step "end-to-end cases (ASan+UBSan)" tests/run-cases.sh build/san/prompteval
step "conformance corpus (ASan+UBSan)" tests/conformance.sh build/san/prompteval
step "run against the fake LLM server (ASan+UBSan)" tests/run-tests.sh build/san/prompteval build/san/tests/fakellm
step "LLM judges against the fake LLM server (ASan+UBSan)" tests/judge-tests.sh build/san/prompteval build/san/tests/fakellm
step "python and exec checks against the fake LLM server (ASan+UBSan)" tests/checks-tests.sh build/san/prompteval build/san/tests/fakellm
step "stop when decided, baseline from git (ASan+UBSan)" tests/seq-tests.sh build/san/prompteval build/san/tests/fakellm
step "terminal safety against the fake LLM server (ASan+UBSan)" tests/terminal-tests.sh build/san/prompteval build/san/tests/fakellm
step "streamed replies against the fake LLM server (ASan+UBSan)" tests/stream-tests.sh build/san/prompteval build/san/tests/fakellm
step "security: TLS, keys, files, the secrets proof (ASan+UBSan)" tests/security-tests.sh build/san/prompteval build/san/tests/fakellm
step "faults, down and out, rate limits against the fake LLM server (ASan+UBSan), begun beside the unit tests" waited_suite "$fault_pid" "$fault_log"
step "hostile input and hostile ends (ASan+UBSan)" tests/hostile-tests.sh build/san/prompteval build/san/tests/fakellm 0.1
step "the command line (ASan+UBSan)" tests/cli-tests.sh build/san/prompteval
step "crashes and a full disk (ASan+UBSan)" tests/crash-tests.sh build/san/prompteval build/san/tests/fakellm
step "build (libFuzzer), begun in the background" waited_build "$fuzz_pid" "$fuzz_log"
step "fuzzing (30 s in all)" tests/run-fuzz.sh "${FUZZ_SECONDS:-30}"

echo "make test: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
