#!/bin/sh
# Fails when any C file differs from what clang-format makes of it.
set -u
cd "$(dirname "$0")/.." || exit 1
files=$(ls harness/*/*.[ch] evaluators/*.[ch] reports/*.[ch] tests/unit/*.[ch] \
	tests/fuzz/*.c tests/fakellm/*.[ch] bench/*.c 2>/dev/null)
bad=0
for f in $files; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "FAIL format: $f (run 'make format')"
		bad=$((bad + 1))
	fi
done
n=$(echo "$files" | wc -w)
passed=$((n - bad))
if [ "$n" = 0 ]; then
	echo "FAIL format: no C file found"
	bad=1
fi
echo "format: $passed passed, $bad failed"
[ "$bad" = 0 ]
