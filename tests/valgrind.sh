#!/bin/sh
# valgrind memcheck on representative end-to-end runs: "run" of the seed
# prompts and the judged example against the fake LLM server (as model and
# judge, with faults injected, every report format written), "report" and
# "compare" over its results, and "score" of recorded responses.  Each must
# show 0 memcheck errors and no definite or indirect leak.  Memory that
# libgomp's worker threads keep for their thread-local storage until the
# process ends shows as "possibly lost" and is not counted.  PCRE2 runs
# without JIT (PROMPTEVAL_PCRE2_JIT=0): JIT code reads ahead of the
# subject on purpose, which memcheck takes for uninitialised memory.
#
# usage: tests/valgrind.sh PROMPTEVAL FAKELLM
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
export FAKELLM
PROMPTEVAL_PCRE2_JIT=0
export PROMPTEVAL_PCRE2_JIT
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
work=$(mktemp -d)
trap 'fake_stop; rm -rf "$work"' EXIT
pass=0
fail=0

# memcheck NAME ARGS...: runs prompteval ARGS under memcheck.
memcheck() {
	name=$1
	shift
	valgrind --tool=memcheck --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$work/$name.vg" "$PE" "$@" \
		>"$work/$name.out" 2>"$work/$name.err"
	status=$?
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' \
		"$work/$name.vg" | tail -1)
	if [ "$status" != 99 ] && [ "$errors" = 0 ]; then
		pass=$((pass + 1))
		echo "ok   $name: 0 errors (exit $status)"
	else
		fail=$((fail + 1))
		echo "FAIL $name: exit $status, errors ${errors:-?}"
		grep -E "^==[0-9]+== (Invalid|Conditional|Use of|[0-9,]+ bytes in)" \
			-A6 "$work/$name.vg" | head -40
	fi
}

python3 tests/demo-script.py >"$work/script.jsonl" || exit 1
fake_start --script "$work/script.jsonl" --seed 7 --fault-429 0.05 \
	--fault-500 0.05 --fault-drop 0.03 --fault-truncate 0.03 \
	--retry-after 0
fake_config "$work/pe.yml"
memcheck run run -q -c "$work/pe.yml" -m openai:sim-strong \
	-m openai:sim-weak -t 0,0.8 -n 2 -j 16 --judge-model openai:sim-judge \
	--cache-dir "$work/cache" -o "$work/out" \
	-f terminal,json,jsonl,junit,md,html,csv prompts/ examples/
memcheck report report -o "$work/report" -f terminal,md,html,csv,junit \
	"$work/out/results.json"
memcheck compare compare -f md "$work/out/results.json" \
	"$work/out/results.json"
memcheck score score -q --responses datasets/responses/strong \
	-o "$work/score" prompts/
echo "valgrind: $pass passed, $fail failed"
[ "$fail" = 0 ]
