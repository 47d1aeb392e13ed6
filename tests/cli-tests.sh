#!/bin/sh
# The command line around the commands: colour in the tables on a
# terminal (a pseudo-terminal made by script(1)) and none with NO_COLOR
# or into a pipe; examples/prompteval.yml passes check; the man page
# (mandoc -Tlint, man -l, every option); bash completion (the function
# called with COMP_WORDS and COMP_CWORD set, COMPREPLY checked) and zsh
# completion (its specs, as zsh parses them); make install.
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

# --- The man page -----------------------------------------------------
# Made as the build makes it, from this binary's option tables.
sh docs/gen-man.sh "$PE" docs/prompteval.1.in >"$work/prompteval.1"
if mandoc -Tlint -W all "$work/prompteval.1" >"$work/lint" 2>&1; then
	ok "mandoc -Tlint -W all: the man page is clean"
else
	bad "mandoc -Tlint finds problems in the man page"
	cat "$work/lint"
fi
if MANWIDTH=80 man -l "$work/prompteval.1" >"$work/man" 2>/dev/null &&
	has "$work/man" "PROMPTEVAL(1)" && has "$work/man" "EXIT STATUS"; then
	ok "man -l renders the man page"
else
	bad "man -l cannot render the man page"
fi
# Every option of every command, with its argument name, as --help says.
missing=""
for cmd in $(PROMPTEVAL_HELP_FORMAT=table "$PE" --help | cut -f2); do
	has "$work/man" "prompteval $cmd" || missing="$missing $cmd"
	PROMPTEVAL_HELP_FORMAT=table "$PE" "$cmd" --help | grep '^option' |
		cut -f3,5 >"$work/opts"
	while IFS="$(printf '\t')" read -r long arg; do
		want="--$long"
		[ "$arg" = - ] || want="--$long $arg"
		has "$work/man" "$want" || missing="$missing $cmd:$want"
	done <"$work/opts"
done
if [ -z "$missing" ]; then
	ok "the man page has every command and option, with its argument"
else
	bad "the man page lacks:$missing"
fi
if [ -f "$PE.1" ] && cmp -s "$PE.1" "$work/prompteval.1"; then
	ok "the built man page ($(basename "$PE").1) is up to date"
else
	bad "the built man page $PE.1 is missing or out of date (make)"
fi

# --- bash completion ---------------------------------------------------
sh docs/gen-completion.sh "$PE" bash >"$work/prompteval.bash"
sh docs/gen-completion.sh "$PE" zsh >"$work/_prompteval"
# complete WORDS...: what bash completes for the last word, one a line.
complete_bash() {
	bash --norc --noprofile -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_prompteval
		printf "%s
" "${COMPREPLY[@]}"' sh "$work/prompteval.bash" "$@" |
		LC_ALL=C sort
}
check_bash() { # name expected words...
	name=$1
	want=$(printf '%s
' $2 | LC_ALL=C sort)
	shift 2
	got=$(cd "$work" && complete_bash "$@")
	if [ "$got" = "$want" ]; then
		ok "bash: $name"
	else
		bad "bash: $name: got '$(echo $got)', want '$(echo $want)'"
	fi
}
mkdir -p "$work/files/prompts"
: >"$work/files/results.json"
check_bash "the commands" \
	"check compare help init list merge report run score" prompteval ""
check_bash "a prefix of a command" "report run" prompteval r
check_bash "help's commands" "check compare" prompteval help c
check_bash "global options" "--help --version" prompteval --
check_bash "check's options" "--config" prompteval check --c
check_bash "a choice option's values" "json text" prompteval check -f ""
check_bash "report formats after a comma" \
	"json,json json,jsonl json,junit" prompteval run --format json,j
check_bash "a DIR argument: directories" "files" prompteval run -o fi
check_bash "a FILE argument: files" "files/results.json" \
	prompteval compare --config files/r
check_bash "no completion for a model" "" prompteval run -m o
check_bash "init's options" "--force" prompteval init --f
# The build's completions sit in build/default/completion for ./prompteval,
# and beside the binary for the others (build/san/completion).
built=$(dirname "$PE")/completion
[ "$PE" = "$root/prompteval" ] && built=$root/build/default/completion
if bash -n "$work/prompteval.bash" &&
	cmp -s "$work/prompteval.bash" "$built/prompteval.bash" &&
	cmp -s "$work/_prompteval" "$built/_prompteval"; then
	ok "the built completions are up to date"
else
	bad "the built completions in $built are missing or out of date (make)"
fi

# --- zsh completion -----------------------------------------------------
# zsh's completion functions need an interactive completion widget, so
# _arguments, _describe and compadd are stubbed: they print what they
# were given, which shows how zsh parsed every spec.
complete_zsh() {
	zsh -f -c '
		_arguments() { print -rl -- "$@" }
		_describe() { print -r -- "describe $*"; print -rl -- $commands }
		compadd() { print -r -- "compadd $*" }
		words=("${@:2}")
		CURRENT=$#words
		. "$1"' zsh "$work/_prompteval" "$@"
}
if zsh -n "$work/_prompteval" &&
	complete_zsh prompteval "" >"$work/z1" && has "$work/z1" "init:write a starter" &&
	complete_zsh prompteval run "" >"$work/z2" &&
	has "$work/z2" "(-f --format)-f[also write these reports" &&
	has "$work/z2" "--format[also write" &&
	has "$work/z2" ":LIST:_sequence compadd - terminal json" &&
	has "$work/z2" "*-m[a model to run (repeatable; default: the prompt's)]:PROVIDER\:MODEL: " &&
	has "$work/z2" "(-o --out)--out[where results go (default out)]:DIR:_files -/" &&
	complete_zsh prompteval check "" >"$work/z3" &&
	has "$work/z3" "--format[output format (default text)]:text|json:(text json)"; then
	ok "zsh: the commands, and each command's options with their arguments"
else
	bad "zsh completion"
	cat "$work/z1" "$work/z2" "$work/z3" 2>/dev/null | head -40
fi

# --- make install --------------------------------------------------------
dev=
grep -q -- -Werror build/default/cflags 2>/dev/null && dev=DEVELOPER=1
if [ "$PE" = "$root/prompteval" ] &&
	make -s install $dev PREFIX=/usr DESTDIR="$work/root" >"$work/install" 2>&1; then
	r=$work/root/usr
	if [ -x "$r/bin/prompteval" ] && [ -f "$r/share/man/man1/prompteval.1" ] &&
		[ -f "$r/share/bash-completion/completions/prompteval" ] &&
		[ -f "$r/share/zsh/site-functions/_prompteval" ] &&
		MANPATH="$r/share/man" man prompteval 2>/dev/null | has - "SYNOPSIS"; then
		ok "make install puts the binary, the man page and both completions under DESTDIR/PREFIX"
	else
		bad "make install left something out"
		find "$work/root"
	fi
elif [ "$PE" != "$root/prompteval" ]; then
	ok "make install: checked with the default build only"
else
	bad "make install failed"
	cat "$work/install"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
