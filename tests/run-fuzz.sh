#!/bin/sh
# Runs each libFuzzer target briefly over a scratch copy of its committed
# seed corpus (so new inputs do not land in the tree).  A crash, leak or
# timeout fails the step and leaves the reproducer in tests/fuzz/.
# usage: tests/run-fuzz.sh SECONDS_PER_TARGET
set -u
seconds=${1:-10}
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
for bin in build/fuzz/fuzz_*; do
	name=${bin#build/fuzz/fuzz_}
	work=$(mktemp -d)
	cp tests/fuzz/corpus/"$name"/* "$work"/
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=tests/fuzz/ "$work" >"$work.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   fuzz_$name: $(grep -o 'Done [0-9]* runs' "$work.log")"
	else
		fail=$((fail + 1))
		echo "FAIL fuzz_$name"
		grep -E "ERROR|SUMMARY|Test unit written" "$work.log" | head -20
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
