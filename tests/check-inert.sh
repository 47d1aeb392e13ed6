#!/bin/sh
# Checks that files are safe to show on a terminal: that they hold no
# byte a terminal acts on, as pe_terminal_is_control
# (harness/core/message.h) lists them: no C0 control other than a tab, a
# newline and a carriage return just before a newline (CRLF), no DEL, no
# C1 control (UTF-8 C2 80 to C2 9F, the one-byte CSI U+009B among them),
# and no bidirectional control or line separator (U+061C, U+200E, U+200F,
# U+2028 to U+202E, U+2066 to U+2069).  Bytes are matched as bytes
# (LC_ALL=C), so invalid UTF-8 cannot hide one.
#
# usage: tests/check-inert.sh FILE...
#
# Prints "FILE:LINE:TEXT" (made visible with cat -v) for each line that
# holds one, then exits 1; exits 0 when there is none.
set -u
control='[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!$)|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]'
status=0
for f in "$@"; do
	if LC_ALL=C grep -a -q -P "$control" "$f"; then
		LC_ALL=C grep -a -n -P "$control" "$f" | head -5 | cut -c1-300 | cat -v | sed "s|^|$f:|"
		status=1
	fi
done
exit $status
