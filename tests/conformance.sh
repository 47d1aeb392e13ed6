#!/bin/sh
# Loads every file of ../shared/conformance/ (real prompt files written by
# others) and checks what prompteval says of them:
#   - the whole corpus: output equal to the golden files in
#     tests/conformance/ (every diagnostic, every per-file verdict);
#   - the nine gh-models example prompts load with no error, warned only
#     about the evaluators that cannot run here;
#   - evals_action.yml (a workflow, not a prompt) gets its precise error;
#   - every file on its own exits 0 or 3, never crashes, and every
#     diagnostic line is "file:line:col: severity: message";
#   - every plain YAML file of proompts-sample/ loads with every
#     evaluator it has, and each evaluator runs (scored with the echo
#     model) or is reported as ungraded with a reason
#     (tests/conformance-sample.py, which prints the figures).
# usage: tests/conformance.sh PROMPTEVAL   (UPDATE=1 rewrites the goldens)
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=../shared/conformance
cd "$root" || exit 1
if [ ! -d "$corpus" ]; then
	echo "conformance: $corpus is missing (it sits beside the project)"
	echo "conformance: 0 passed, 1 failed"
	exit 1
fi
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
crashed() { grep -q -E "Sanitizer|runtime error:" "$1"; }

# 1. The whole corpus, files named explicitly so *.yml files load too.
find "$corpus" -type f \( -name '*.yml' -o -name '*.yaml' \) | LC_ALL=C sort >"$tmp/files"
# shellcheck disable=SC2046
"$PE" check $(cat "$tmp/files") >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "${UPDATE:-}" = 1 ]; then
	cp "$tmp/out" tests/conformance/stdout
	cp "$tmp/err" tests/conformance/stderr
fi
if [ $status = 3 ] && ! crashed "$tmp/err" &&
	diff -u tests/conformance/stdout "$tmp/out" >"$tmp/d1" &&
	diff -u tests/conformance/stderr "$tmp/err" >"$tmp/d2"; then
	ok "corpus matches the goldens (exit 3)"
else
	bad "corpus (exit $status)"
	head -60 "$tmp/d1" "$tmp/d2" 2>/dev/null
fi

# 2. The nine gh-models example prompts load with no error; their only
#    warnings say which evaluators cannot run here (LLM judges).
for f in "$corpus"/gh-models-examples/*.yml; do
	name=$(basename "$f")
	[ "$name" = evals_action.yml ] && continue
	"$PE" check "$f" >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ $status = 0 ] && ! grep -v "will never run" "$tmp/err" | grep -q . &&
		grep -q ", 0 errors, [0-9]* warnings*$" "$tmp/out"; then
		ok "gh-models $name loads with no error"
	else
		bad "gh-models $name (exit $status)"
		cat "$tmp/err"
	fi
done

# 3. The workflow file gets a precise error.
"$PE" check "$corpus/gh-models-examples/evals_action.yml" >"$tmp/out" 2>"$tmp/err"
status=$?
expected="$corpus/gh-models-examples/evals_action.yml:1:1: error: not a prompt definition: no 'messages' key; this looks like a GitHub Actions workflow ('on' and 'jobs')"
if [ $status = 3 ] && [ "$(cat "$tmp/err")" = "$expected" ]; then
	ok "evals_action.yml is rejected precisely"
else
	bad "evals_action.yml (exit $status): $(cat "$tmp/err")"
fi

# 4. Every file alone: exit 0 or 3, no crash, positioned diagnostics.
count=0
while read -r f; do
	"$PE" check "$f" >"$tmp/out" 2>"$tmp/err"
	status=$?
	count=$((count + 1))
	if [ $status != 0 ] && [ $status != 3 ]; then
		bad "$f exits $status"
		continue
	fi
	if crashed "$tmp/err"; then
		bad "$f: sanitizer report"
		continue
	fi
	if grep -v -E '^[^:]+:[0-9]+:[0-9]+: (error|warning): .' "$tmp/err" | grep -q .; then
		bad "$f: a diagnostic without file:line:col"
		cat "$tmp/err"
		continue
	fi
	pass=$((pass + 1))
done <"$tmp/files"
if [ "$count" -gt 0 ]; then
	echo "ok   $count files loaded one by one"
else
	bad "no file of $corpus was loaded one by one"
fi
# 5. The proompts sample: every plain YAML file loads, and every evaluator
#    in it runs or is reported as ungraded with a reason.
if python3 tests/conformance-sample.py "$PE" "$corpus/proompts-sample" >"$tmp/sample"; then
	ok "proompts-sample: every evaluator runs or is ungraded with a reason"
	sed 's/^/     /' "$tmp/sample"
else
	bad "proompts-sample"
	cat "$tmp/sample"
fi
echo "conformance: $pass passed, $fail failed"
[ "$fail" = 0 ]
