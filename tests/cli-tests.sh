#!/bin/sh
# The command line around the commands: colour in the tables on a
# terminal (a pseudo-terminal made by script(1)) and none with NO_COLOR
# or into a pipe; examples/prompteval.yml passes check.
#
# usage: tests/cli-tests.sh PROMPTEVAL
# The last line is "cli: N passed, M failed".
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ESC=$(printf '\033')

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# on_tty FILE COMMAND...: runs COMMAND with its stdout and stderr on a
# pseudo-terminal, and what it printed in FILE.
on_tty() {
	file=$1
	shift
	script -qec "$*" /dev/null >"$file" 2>&1 </dev/null
}

# has FILE TEXT: FILE holds TEXT (a fixed string).
has() { grep -qF -- "$2" "$1"; }

# --- Colour -----------------------------------------------------------
PROMPT=tests/cases/050-run-echo/echo.prompt.yml
RUN="$PE run -q -m echo: -t 0 --no-cache -o $work/run $PROMPT"

on_tty "$work/tty" env -u NO_COLOR $RUN
if has "$work/tty" "${ESC}[1mprompt" && has "$work/tty" "${ESC}[31m     1" &&
	has "$work/tty" "${ESC}[33m      50.0%${ESC}[0m"; then
	ok "run's table on a terminal: bold header, failures red, a 50% pass rate yellow"
else
	bad "run's table on a terminal has no colour"
	cat -v "$work/tty"
fi

on_tty "$work/tty" env -u NO_COLOR "$PE" report "$work/run/results.json"
if has "$work/tty" "${ESC}[33m      50.0%${ESC}[0m" &&
	has "$work/tty" "${ESC}[1mranking"; then
	ok "report's terminal table on a terminal is in colour"
else
	bad "report's terminal table on a terminal has no colour"
	cat -v "$work/tty"
fi

for value in 1 yes; do
	on_tty "$work/tty" env NO_COLOR=$value $RUN
	on_tty "$work/tty2" env NO_COLOR=$value "$PE" report \
		"$work/run/results.json"
	if has "$work/tty" "pass rate" && ! has "$work/tty" "$ESC[" &&
		has "$work/tty2" "ranking" && ! has "$work/tty2" "$ESC["; then
		ok "NO_COLOR=$value: run and report print no colour on a terminal"
	else
		bad "NO_COLOR=$value: colour on a terminal"
		cat -v "$work/tty" "$work/tty2"
	fi
done

# An empty NO_COLOR is as good as none (https://no-color.org).
on_tty "$work/tty" env NO_COLOR= $RUN
if has "$work/tty" "${ESC}[31m     1"; then
	ok "an empty NO_COLOR leaves the colour on"
else
	bad "an empty NO_COLOR turned the colour off"
fi

env -u NO_COLOR $RUN >"$work/pipe" 2>&1
env -u NO_COLOR "$PE" report "$work/run/results.json" >>"$work/pipe" 2>&1
if has "$work/pipe" "pass rate" && ! has "$work/pipe" "$ESC"; then
	ok "into a pipe, run and report print no colour"
else
	bad "colour into a pipe"
fi

# --- examples/prompteval.yml ------------------------------------------
if "$PE" check --strict -c examples/prompteval.yml prompts examples \
	>"$work/out" 2>&1 &&
	has "$work/out" "0 errors, 0 warnings" &&
	"$PE" run --dry-run -c examples/prompteval.yml prompts >"$work/out" 2>&1 &&
	has "$work/out" "against 4 models"; then
	ok "examples/prompteval.yml passes check --strict and plans 4 models"
else
	bad "examples/prompteval.yml"
	cat "$work/out"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
