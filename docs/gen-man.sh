#!/bin/sh
# Makes the man page prompteval(1) from docs/prompteval.1.in and the
# binary's own tables: each command's usage, summary and options (as
# PROMPTEVAL_HELP_FORMAT=table prints them, from the same option tables
# that parse the command line and print --help) and the exit statuses
# (as --help prints them).  The template holds the prose; the lines
# ".\" @COMMANDS@" and ".\" @EXIT_STATUS@" are replaced.  So an option
# added to a table is in the man page at the next build, with its
# argument name and help text.
#
# usage: docs/gen-man.sh PROMPTEVAL TEMPLATE >prompteval.1
set -eu
PE=$1
TEMPLATE=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# roff-safe text: a backslash is \e, a line may not start with . or '.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

# Text lines longer than 78 bytes are broken between words (macro lines
# are kept as they are), and none ends in a space.
wrap() {
	awk '/^\./ || length($0) <= 78 { sub(/ +$/, ""); print; next }
	{
		line = ""
		for (i = 1; i <= NF; i++) {
			if (line != "" && length(line) + 1 + length($i) > 78) {
				print line
				line = $i
			} else {
				line = line (line == "" ? "" : " ") $i
			}
		}
		if (line != "") print line
	}'
}

commands=$(PROMPTEVAL_HELP_FORMAT=table "$PE" --help | cut -f2)
[ -n "$commands" ] || { echo "gen-man: $PE lists no command" >&2; exit 1; }

for cmd in $commands; do
	PROMPTEVAL_HELP_FORMAT=table "$PE" "$cmd" --help >"$tmp/table" || true
	echo ".Ss $cmd"
	# The synopsis: words of the usage after "prompteval CMD"; a
	# bracketed group is optional, "-x" a flag, anything else an
	# argument.
	sed -n 's/^usage\t//p' "$tmp/table" | awk -v cmd="$cmd" '
	function item(w,   t) {
		t = w; sub(/\.\.\.$/, "", t)
		dots = (t != w) ? " ..." : ""
		if (t ~ /^--/) return "Fl \\-" substr(t, 3) dots
		if (t ~ /^-/) return "Fl " substr(t, 2) dots
		return "Ar " t dots
	}
	{
		print ".Nm"
		print ".Cm " cmd
		for (i = 3; i <= NF; i++) {
			w = $i
			if (w ~ /^\[/) {
				grp = ""
				w = substr(w, 2)
				while (w !~ /\]$/ && i < NF) {
					grp = grp (grp ? " " : "") item(w)
					w = $(++i)
				}
				sub(/\]$/, "", w)
				grp = grp (grp ? " " : "") item(w)
				print ".Op " grp
			} else {
				print "." item(w)
			}
		}
	}'
	# The summary: one sentence a line, as mdoc wants.
	echo ".Pp"
	sed -n 's/^summary\t//p' "$tmp/table" | tr '\n' ' ' |
		sed -e 's/  */ /g' -e 's/ $//' -e 's/\([a-z0-9)]\.\)  *\([A-Z]\)/\1\n\2/g' |
		esc
	echo
	if grep -q '^option' "$tmp/table"; then
		echo ".Bl -tag -width Ds"
		grep '^option' "$tmp/table" | esc | awk -F '\t' '{
			line = ".It"
			if ($2 != "-") line = line " Fl " $2 " ,"
			line = line " Fl \\-" $3
			if ($5 != "-") line = line " Ar " $5
			print line
			rep = ($4 == "list" && $7 !~ /repeatable/)
			print $7 (rep ? "; repeatable." : ".")
		}'
		echo ".It Fl h , Fl \\-help"
		echo "Prints the help of $cmd and exits."
		echo ".El"
	fi
done | wrap >"$tmp/commands"

"$PE" --help | sed -n 's/^  \([0-9]\)  \(.*\)$/\1\t\2/p' |
	awk -F '\t' 'BEGIN { print ".Bl -tag -width Ds -compact" }
		{ print ".It " $1; print toupper(substr($2, 1, 1)) substr($2, 2) "." }
		END { print ".El" }' >"$tmp/exit"

awk -v commands="$tmp/commands" -v exits="$tmp/exit" '
	/^\.\\" @COMMANDS@$/ { while ((getline l < commands) > 0) print l; next }
	/^\.\\" @EXIT_STATUS@$/ { while ((getline l < exits) > 0) print l; next }
	{ print }' "$TEMPLATE"
