#!/bin/sh
# The exit-status scale and the options are stated in three places: the
# code's tables, --help and README.md.  This checks that they agree.
# usage: tests/check-docs.sh PROMPTEVAL
set -u
PE=$1
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Exit codes: "  N  meaning" in --help, "| N | meaning |" in the README,
# { PE_EXIT_X, "meaning" } in status.c with the numbers from util.h.
"$PE" --help | sed -n 's/^  \([0-9]\)  \(.*\)$/\1 \2/p' >"$tmp/help"
sed -n 's/^| \([0-9]\) | \(.*\) |$/\1 \2/p' README.md >"$tmp/readme"
sed -n 's/^\t{ \(PE_EXIT_[A-Z]*\), "\(.*\)" },$/\1 \2/p' harness/cli/status.c |
	while read -r sym meaning; do
		num=$(sed -n "s/^\t$sym = \([0-9]\).*/\1/p" harness/core/util.h)
		echo "$num $meaning"
	done >"$tmp/code"
if [ -s "$tmp/help" ] && diff -u "$tmp/code" "$tmp/help" &&
	diff -u "$tmp/code" "$tmp/readme"; then
	pass=$((pass + 1))
	echo "ok   exit codes agree in status.c, --help and README.md"
else
	fail=$((fail + 1))
	echo "FAIL exit codes differ between status.c, --help and README.md"
fi

# The reason lines the README quotes are the ones the golden case prints.
golden=tests/cases/229-score-reason-lines/stdout
sed -n 's/^      \(pass\|fail\) .*/&/p' "$golden" | sed 's/^      //' >"$tmp/reasons-golden"
awk '/^<!-- reason lines: / { on = 1; next }
	on && /^```$/ { if (++fences == 2) exit; next }
	on && fences == 1 { print }' README.md >"$tmp/reasons-readme"
if [ -s "$tmp/reasons-golden" ] &&
	diff -u "$tmp/reasons-golden" "$tmp/reasons-readme"; then
	pass=$((pass + 1))
	echo "ok   README's reason lines are the ones $golden holds"
else
	fail=$((fail + 1))
	echo "FAIL README's reason lines differ from $golden"
fi

# Every command in --help has a README section that names each option its
# --help lists, and the README names no command that does not exist.
commands=$("$PE" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
if [ -z "$commands" ]; then
	fail=$((fail + 1))
	echo "FAIL --help lists no command"
fi
for cmd in $commands; do
	section=$(awk -v h="### prompteval $cmd" '
		index($0, h) == 1 { on = 1; next }
		/^##/ { on = 0 }
		on' README.md)
	if [ -z "$section" ]; then
		fail=$((fail + 1))
		echo "FAIL README.md has no '### prompteval $cmd' section"
		continue
	fi
	for opt in $("$PE" "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | grep -v -x -- --help | sort -u); do
		if echo "$section" | grep -q -- "$opt"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL README.md does not document '$cmd $opt'"
		fi
	done
done
for cmd in $(sed -n 's/^### prompteval \([a-z]*\).*/\1/p' README.md); do
	if "$PE" "$cmd" --help >/dev/null 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL README.md documents 'prompteval $cmd', which does not exist"
	fi
done
echo "docs: $pass passed, $fail failed"
[ "$fail" = 0 ]
