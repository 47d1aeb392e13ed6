# Checks that report.md $1 fits GitHub's comment limit, is valid UTF-8,
# closes every <details>, and that every row of every table has as many
# cells as its header (an escaped \| is not a cell border).
f=$1
bytes=$(wc -c <"$f")
[ "$bytes" -le 65536 ] && echo "fits: $bytes bytes <= 65536" ||
	echo "too long: $bytes bytes"
iconv -f UTF-8 -t UTF-8 "$f" >/dev/null && echo "utf-8: valid"
echo "details: $(grep -c '^<details>' "$f") opened, $(grep -c '^</details>' "$f") closed"
awk '
	{ line = $0; gsub(/\\\|/, "", line) }
	/^\|/ { n = gsub(/\|/, "|", line); if (!intable) { cells = n; intable = 1; tables++ }
		else if (n != cells) { bad++; print "bad row: " NR } ; next }
	{ intable = 0 }
	END { printf "tables: %d, rows with the wrong number of cells: %d\n", tables, bad + 0 }
' "$f"
