#!/bin/sh
# Runs each libFuzzer target over a scratch copy of its committed seed
# corpus (so new inputs do not land in the tree), the loader's seeded with
# tests/fuzz/*.prompt.yml too (every evaluator shape).  TOTAL_SECONDS is
# shared evenly among the targets (at least 1 s each): make test gives 30,
# make fuzz FUZZ_SECONDS (default 1200).  Prints each target's executions;
# a crash, leak or timeout fails the step and leaves the reproducer in
# tests/fuzz/.
# usage: tests/run-fuzz.sh TOTAL_SECONDS
set -u
total=${1:-30}
cd "$(dirname "$0")/.." || exit 1
set -- build/fuzz/fuzz_*
seconds=$((total / $#))
[ "$seconds" -ge 1 ] || seconds=1
pass=0
fail=0
for bin in "$@"; do
	name=${bin#build/fuzz/fuzz_}
	work=$(mktemp -d)
	cp tests/fuzz/corpus/"$name"/* "$work"/
	[ "$name" = load ] && cp tests/fuzz/*.prompt.yml "$work"/
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=tests/fuzz/ "$work" >"$work.log" 2>&1; then
		pass=$((pass + 1))
		runs=$(grep -o 'Done [0-9]* runs' "$work.log" | grep -o '[0-9]*')
		echo "ok   fuzz_$name: $runs executions in $seconds s"
	else
		fail=$((fail + 1))
		echo "FAIL fuzz_$name"
		grep -E "ERROR|SUMMARY|Test unit written" "$work.log" | head -20
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
