#!/bin/sh
# Runs every cmocka unit-test binary in a directory and sums the results.
# A binary that dies without cmocka's summary counts as a failure.  Lines
# a test prints as "figure: ..." are passed on.
# usage: tests/run-unit.sh BUILD_DIR/tests
set -u
dir=$1
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$tmp" 2>&1
	status=$?
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$tmp" | tail -1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$tmp" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ $status != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	if grep -q -E "Sanitizer|runtime error:" "$tmp"; then
		f=$((f + 1))
		status=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ $status = 0 ] && [ "$f" = 0 ]; then
		echo "ok   $(basename "$t"): $p passed"
		# A test may print a figure worth seeing (the JSON Schema suite's).
		grep '^figure: ' "$tmp"
	else
		echo "FAIL $(basename "$t"): $p passed, $f failed"
		grep -E "FAILED|ERROR|error|Sanitizer|runtime error" "$tmp" | head -30
	fi
done
if [ $((pass + fail)) = 0 ]; then
	echo "FAIL no unit test ran in $dir"
	fail=1
fi
echo "unit: $pass passed, $fail failed"
[ "$fail" = 0 ]
