#!/bin/sh
# The tree's rules, checked:
#  - one include root: every #include "..." names a file by its path from
#    the top of the tree;
#  - no project header has the name of a system or library header that
#    the compiler could find on its search path (as harness/yaml.h once
#    shadowed libyaml's <yaml.h>);
#  - the README's Layout names every folder of harness/ and, in its table
#    of modules, exactly the modules each folder holds.
# usage: tests/check-tree.sh
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

report() { # name, problems ("" when none)
	if [ -z "$2" ]; then
		pass=$((pass + 1))
		echo "ok   $1"
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		echo "$2" | sed 's/^/    /'
	fi
}

sources=$(ls harness/*/*.[ch] evaluators/*.[ch] reports/*.[ch] \
	tests/unit/*.[ch] tests/fuzz/*.[ch] bench/*.c 2>/dev/null)
[ -n "$sources" ] || report "sources found" "no source file found"

# 1. Includes are paths from the top of the tree.
bad=""
for f in $sources; do
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		[ -f "$inc" ] || bad="$bad$f: #include \"$inc\" is not a path from the top of the tree
"
	done
done
report "every #include \"...\" names its path from the top of the tree" "$bad"

# 2. No header shadows one on the compiler's search path.
cc -E -Wp,-v -x c /dev/null 2>&1 | sed -n 's/^ \(\/.*\)/\1/p' >"$tmp/dirs"
if [ -f build/config.mk ]; then
	sed -n 's/^PKG_CFLAGS = //p' build/config.mk | tr ' ' '\n' |
		sed -n 's/^-I//p' >>"$tmp/dirs"
fi
[ -s "$tmp/dirs" ] || report "compiler search path found" "cc printed no include directory"
bad=""
for h in $(ls harness/*/*.h evaluators/*.h reports/*.h 2>/dev/null); do
	name=$(basename "$h")
	while read -r dir; do
		[ -f "$dir/$name" ] && bad="$bad$h has the name of $dir/$name
"
	done <"$tmp/dirs"
done
report "no project header has the name of a system or library header" "$bad"

# 3. The README's Layout: every harness/ folder in the tree, and a table
#    row per folder listing its modules ("| `harness/core/` | `buf` ... |").
layout=$(awk '/^## Layout/ { on = 1; next } /^## / { on = 0 } on' README.md)
bad=""
for dir in harness/*/ evaluators/ reports/; do
	echo "$layout" | grep -q "^${dir} " ||
		bad="${bad}the tree has no line for $dir
"
	row=$(echo "$layout" | grep "^| \`$dir\` |")
	if [ -z "$row" ]; then
		bad="${bad}the module table has no row for $dir
"
		continue
	fi
	echo "$row" | sed 's/^| `[^`]*` |//' | grep -o '`[^`]*`' | tr -d '`' |
		sort >"$tmp/listed"
	ls "$dir" | sed -n 's/\.[ch]$//p' | sort -u >"$tmp/present"
	if ! diff "$tmp/listed" "$tmp/present" >"$tmp/diff"; then
		bad="$bad$dir: README lists (<) and folder holds (>):
$(grep '^[<>]' "$tmp/diff")
"
	fi
done
report "the README's Layout matches the folders and their modules" "$bad"

echo "tree: $pass passed, $fail failed"
[ "$fail" = 0 ]
