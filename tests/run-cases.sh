#!/bin/sh
# End-to-end golden cases, curl- and mandoc-style.
#
# usage: tests/run-cases.sh PROMPTEVAL [CASE_DIR...]
#
# Each case is a folder under tests/cases/ holding:
#   cmd     one shell command line, run inside the folder; $PE is the binary
#   exit    the expected exit status
#   stdout  the expected standard output (optional)
#   stderr  the expected standard error (optional)
# plus whatever input files the command reads.  Set UPDATE=1 to rewrite the
# golden files from the current output (review the diff before committing).
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
export PE
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$root"/tests/cases/*/
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in "$@"; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/cmd" ] || continue
	(cd "$dir" && NO_COLOR=1 sh -c "$(cat cmd)") >"$tmp/out" 2>"$tmp/err"
	status=$?
	problems=""
	if [ "${UPDATE:-}" = 1 ]; then
		echo "$status" >"$dir/exit"
		cp "$tmp/out" "$dir/stdout"
		cp "$tmp/err" "$dir/stderr"
	fi
	expected=$(cat "$dir/exit")
	[ "$status" = "$expected" ] ||
		problems="$problems exit $status (expected $expected);"
	for stream in stdout stderr; do
		[ -f "$dir/$stream" ] || continue
		actual="$tmp/out"
		[ $stream = stderr ] && actual="$tmp/err"
		if ! diff -u "$dir/$stream" "$actual" >"$tmp/diff"; then
			problems="$problems $stream differs;"
			sed 's/^/    /' "$tmp/diff" | head -40 >>"$tmp/report"
		fi
	done
	if grep -q -E "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|LeakSanitizer" "$tmp/err"; then
		problems="$problems sanitizer report;"
		head -30 "$tmp/err" | sed 's/^/    /' >>"$tmp/report"
	fi
	if [ -z "$problems" ]; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name:$problems"
		[ -f "$tmp/report" ] && cat "$tmp/report"
	fi
	rm -f "$tmp/report"
done
echo "cases: $pass passed, $fail failed"
[ "$fail" = 0 ]
