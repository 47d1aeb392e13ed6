#!/bin/sh
# End-to-end golden cases, curl- and mandoc-style.
#
# usage: tests/run-cases.sh PROMPTEVAL [CASE_DIR...]
#
# Each case is a folder under tests/cases/ holding:
#   cmd     one shell command line, run inside the folder; $PE is the binary
#           and $OUT a fresh empty directory outside the tree for whatever
#           the command writes (removed after the case)
#   exit    the expected exit status
#   stdout  the expected standard output (optional)
#   stderr  the expected standard error (optional)
# plus whatever input files the command reads.  The path of $OUT is
# written as the literal text "$OUT" in the output before it is compared,
# so goldens never hold a temporary path.  A case that creates, changes or
# removes anything inside the tree (such as an out/ folder) fails, and so
# does one whose stdout or stderr holds a byte a terminal acts on (ESC,
# BEL, a bare CR, a C1 or bidirectional control: tests/check-inert.sh),
# whatever its goldens say: nothing prompteval prints may drive the
# terminal, whatever the input.  Set
# UPDATE=1 to rewrite the golden files from the current output (review the
# diff before committing).
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
OUT=$tmp/out
export OUT

# Every path in the tree with its modification time and size, sorted.
# .git is left out: in a worktree it is a file that git itself may touch.
# build/san and build/fuzz are left out: make test builds them in the
# background while the cases run.
snapshot() {
	(cd "$root" && find . \( -path ./.git -o -path ./build/san -o \
		-path ./build/fuzz \) -prune -o -printf '%p %T@ %s\n') |
		LC_ALL=C sort
}

for dir in "$@"; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/cmd" ] || continue
	rm -rf "$OUT"
	mkdir "$OUT" || exit 1
	snapshot >"$tmp/before"
	(cd "$dir" && NO_COLOR=1 sh -c "$(cat cmd)") >"$tmp/stdout" 2>"$tmp/stderr"
	status=$?
	snapshot >"$tmp/after"
	for stream in stdout stderr; do
		sed "s|$OUT|\$OUT|g" "$tmp/$stream" >"$tmp/$stream.n" &&
			mv "$tmp/$stream.n" "$tmp/$stream"
	done
	problems=""
	if ! diff "$tmp/before" "$tmp/after" >"$tmp/changed"; then
		problems="$problems wrote inside the tree;"
		sed -n 's/^> \(.*\) [^ ]* [^ ]*$/    written: \1/p; s/^< \(.*\) [^ ]* [^ ]*$/    before:  \1/p' \
			"$tmp/changed" | head -20 >>"$tmp/report"
	fi
	if [ "${UPDATE:-}" = 1 ]; then
		echo "$status" >"$dir/exit"
		cp "$tmp/stdout" "$dir/stdout"
		cp "$tmp/stderr" "$dir/stderr"
	fi
	expected=$(cat "$dir/exit")
	[ "$status" = "$expected" ] ||
		problems="$problems exit $status (expected $expected);"
	for stream in stdout stderr; do
		[ -f "$dir/$stream" ] || continue
		if ! diff -u "$dir/$stream" "$tmp/$stream" >"$tmp/diff"; then
			problems="$problems $stream differs;"
			sed 's/^/    /' "$tmp/diff" | head -40 >>"$tmp/report"
		fi
	done
	if ! sh "$root/tests/check-inert.sh" "$tmp/stdout" "$tmp/stderr" \
		>"$tmp/inert"; then
		problems="$problems printed a terminal control;"
		sed "s|^$tmp/|    |" "$tmp/inert" >>"$tmp/report"
	fi
	if grep -q -E "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|LeakSanitizer" "$tmp/stderr"; then
		problems="$problems sanitizer report;"
		head -30 "$tmp/stderr" | sed 's/^/    /' >>"$tmp/report"
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
if [ $((pass + fail)) = 0 ]; then
	echo "FAIL no case found in: $*"
	fail=1
fi
echo "cases: $pass passed, $fail failed"
[ "$fail" = 0 ]
