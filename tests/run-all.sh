#!/bin/bash
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
# run.
#
# The suites are independent (each has its own server, port and
# directory) and many of them wait on the clock or on child processes
# more than they compute, so TEST_JOBS of them (default: one more than
# the cores) run at once; each step's output is printed whole, in the
# order below, with how long that step took.  TEST_JOBS=1 runs one at a
# time.  The run ends with one line "make test: N passed, M failed" and
# exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
total_pass=0
total_fail=0
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT

# The builds use every core.
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
limit=${TEST_JOBS:-$((cores + 1))}
case $limit in
'' | *[!0-9]* | 0)
	echo "make test: TEST_JOBS must be a whole number of 1 or more, not '$limit'" >&2
	exit 4
	;;
esac
declared=0 # steps started
shown=0    # steps printed

# Prints step $1 (its title, its output but the "ok" lines, its time) and
# adds its counts to the totals.  A step that exits non-zero without
# counting a failure counts one.
report() {
	read -r status seconds <"$dir/$1.done"
	echo "== $(cat "$dir/$1.title")"
	grep -v '^ok ' "$dir/$1.log"
	echo "   ($seconds s)"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$dir/$1.log" | tail -1)
	p=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	[ "$status" != 0 ] && [ "$f" = 0 ] && f=1
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

running() {
	r=0
	i=1
	while [ $i -le $declared ]; do
		[ -f "$dir/$i.done" ] || r=$((r + 1))
		i=$((i + 1))
	done
	echo $r
}

# Prints the steps that have ended, in order, up to the first still running.
show_ended() {
	while [ $shown -lt $declared ] && [ -f "$dir/$((shown + 1)).done" ]; do
		shown=$((shown + 1))
		report $shown
	done
}

# Marks the steps started that ended without saying how (their shell was
# killed): with no child left to wait for, none will.
lost() {
	i=1
	while [ $i -le $declared ]; do
		if [ ! -f "$dir/$i.done" ]; then
			echo "1 0" >"$dir/$i.done"
			echo "the step ended without saying how" >>"$dir/$i.log"
		fi
		i=$((i + 1))
	done
}

# spawn TITLE COMMAND...: starts a step once fewer than $limit run.
spawn() {
	title=$1
	shift
	while [ "$(running)" -ge "$limit" ]; do
		wait -n
		[ $? = 127 ] && lost
	done
	declared=$((declared + 1))
	echo "$title" >"$dir/$declared.title"
	(
		started=$(date +%s)
		"$@" >"$dir/$declared.log" 2>&1
		echo "$? $(($(date +%s) - started))" >"$dir/$declared.tmp"
		mv "$dir/$declared.tmp" "$dir/$declared.done"
	) &
	show_ended
}

# Waits for every step started and prints those not printed yet.
finish() {
	while [ $shown -lt $declared ]; do
		i=$((shown + 1))
		while [ ! -f "$dir/$i.done" ]; do
			wait -n
			[ $? = 127 ] && lost
		done
		show_ended
	done
}

# step TITLE COMMAND...: runs one step in this shell, once those started
# have ended (a step that waits for a background build must be run so: a
# step started by spawn runs in a subshell, whose children they are not).
step() {
	finish
	declared=$((declared + 1))
	echo "$1" >"$dir/$declared.title"
	shift
	started=$(date +%s)
	"$@" >"$dir/$declared.log" 2>&1
	echo "$? $(($(date +%s) - started))" >"$dir/$declared.done"
	show_ended
}

build() {
	out=$(mktemp)
	if make -s -j"$cores" "$@" >"$out" 2>&1; then
		echo "build: 1 passed, 0 failed"
	else
		cat "$out"
		echo "build: 0 passed, 1 failed"
	fi
	rm -f "$out"
}

# background_build NAME MAKE-ARGUMENTS...: a build at the lowest priority,
# on the cores the suites leave idle; waited_build NAME says how it went.
background_build() {
	name=$1
	shift
	(
		nice -n 19 make -s -j"$cores" "$@" >"$dir/$name.build" 2>&1
		echo $? >"$dir/$name.built"
	) &
}

waited_build() {
	while [ ! -f "$dir/$1.built" ]; do
		wait -n
		if [ $? = 127 ] && [ ! -f "$dir/$1.built" ]; then
			echo 1 >"$dir/$1.built"
		fi
	done
	if [ "$(cat "$dir/$1.built")" = 0 ]; then
		echo "build: 1 passed, 0 failed"
	else
		cat "$dir/$1.build"
		echo "build: 0 passed, 1 failed"
	fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export NO_COLOR=1

step "build (DEVELOPER=1)" build DEVELOPER=1 all unit-bins fakellm
# The sanitizer and libFuzzer builds start now; they write only under
# build/san and build/fuzz.
background_build san DEVELOPER=1 SANITIZE=address,undefined all unit-bins \
	fakellm
background_build fuzz fuzz-bins

# The longest first, those that mostly wait beside those that compute.
P=./prompteval
F=build/default/tests/fakellm
spawn "faults, down and out, rate limits against the fake LLM server" tests/fault-tests.sh $P $F
spawn "valgrind memcheck on end-to-end runs" tests/valgrind.sh $P $F
spawn "hostile input and hostile ends" tests/hostile-tests.sh $P $F 0.5
spawn "streamed replies against the fake LLM server" tests/stream-tests.sh $P $F
spawn "unit tests" tests/run-unit.sh build/default/tests
spawn "run against the fake LLM server" tests/run-tests.sh $P $F
spawn "end-to-end cases" tests/run-cases.sh $P
spawn "LLM judges against the fake LLM server" tests/judge-tests.sh $P $F
spawn "formatting" tests/check-format.sh
spawn "the CI workflows of examples/github/, run as written" tests/workflow-tests.sh $P $F
spawn "python and exec checks against the fake LLM server" tests/checks-tests.sh $P $F
spawn "report in a real browser" tests/browser/run.sh $P
spawn "crashes and a full disk" tests/crash-tests.sh $P $F
spawn "conformance corpus" tests/conformance.sh $P
spawn "security: TLS, keys, files, the secrets proof" tests/security-tests.sh $P $F
spawn "the command line: colour, examples, man page, completion, install" tests/cli-tests.sh $P
spawn "stop when decided, baseline from git" tests/seq-tests.sh $P $F
spawn "terminal safety against the fake LLM server" tests/terminal-tests.sh $P $F
spawn "every README example that needs no key, as written" tests/readme-examples.sh $P
spawn "JUnit report against its XSD" tests/check-junit.sh build/default
spawn "docs agree with the code" tests/check-docs.sh $P
spawn "make installs no test tool" tests/check-build-deps.sh
spawn "the tree: one include root, no shadowed header, the Layout" tests/check-tree.sh
finish

step "build (ASan+UBSan), begun in the background" waited_build san
step "build (libFuzzer), begun in the background" waited_build fuzz
P=build/san/prompteval
F=build/san/tests/fakellm
spawn "faults, down and out, rate limits against the fake LLM server (ASan+UBSan)" tests/fault-tests.sh $P $F
spawn "unit tests (ASan+UBSan)" tests/run-unit.sh build/san/tests
spawn "fuzzing (30 s in all)" tests/run-fuzz.sh "${FUZZ_SECONDS:-30}"
spawn "end-to-end cases (ASan+UBSan)" tests/run-cases.sh $P
spawn "streamed replies against the fake LLM server (ASan+UBSan)" tests/stream-tests.sh $P $F
spawn "run against the fake LLM server (ASan+UBSan)" tests/run-tests.sh $P $F
spawn "LLM judges against the fake LLM server (ASan+UBSan)" tests/judge-tests.sh $P $F
spawn "hostile input and hostile ends (ASan+UBSan)" tests/hostile-tests.sh $P $F 0.1
spawn "conformance corpus (ASan+UBSan)" tests/conformance.sh $P
spawn "python and exec checks against the fake LLM server (ASan+UBSan)" tests/checks-tests.sh $P $F
spawn "crashes and a full disk (ASan+UBSan)" tests/crash-tests.sh $P $F
spawn "security: TLS, keys, files, the secrets proof (ASan+UBSan)" tests/security-tests.sh $P $F
spawn "stop when decided, baseline from git (ASan+UBSan)" tests/seq-tests.sh $P $F
spawn "the command line (ASan+UBSan)" tests/cli-tests.sh $P
spawn "terminal safety against the fake LLM server (ASan+UBSan)" tests/terminal-tests.sh $P $F
finish

echo "make test: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
