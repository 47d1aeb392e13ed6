#!/bin/sh
# Makes the bash or the zsh completion of prompteval from the binary's
# own tables (PROMPTEVAL_HELP_FORMAT=table, the option tables that parse
# the command line and print --help): the commands, each command's
# options, and what each option's argument completes to:
#   - a choice option's values (check --format: text, json);
#   - --format LIST: the report formats, comma-separated (the list
#     "prompteval report --help" prints after "formats:");
#   - an argument named FILE, DIR or *.json*: files, or directories;
#   - anything else (a model, a number): nothing.
# Arguments that are not options complete to files.
#
# usage: docs/gen-completion.sh PROMPTEVAL bash|zsh >FILE
set -eu
PE=$1
SHELL_KIND=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

PROMPTEVAL_HELP_FORMAT=table "$PE" --help | grep '^command' >"$tmp/commands"
[ -s "$tmp/commands" ] || { echo "gen-completion: $PE lists no command" >&2; exit 1; }
formats=$("$PE" report --help | sed -n 's/^formats: //p' | tr -d ',')
[ -n "$formats" ] || { echo "gen-completion: no report formats" >&2; exit 1; }

# One line per option of every command:
#   CMD SHORT LONG KIND ARGNAME VALUES ACTION HELP
# ACTION is none, flag, values (VALUES, one of them), list (VALUES,
# comma-separated), file or dir.
for cmd in $(cut -f2 "$tmp/commands"); do
	PROMPTEVAL_HELP_FORMAT=table "$PE" "$cmd" --help | grep '^option' |
		awk -F '\t' -v OFS='\t' -v cmd="$cmd" -v formats="$formats" '{
			action = "none"; values = "-"
			if ($4 == "flag") action = "flag"
			else if ($4 == "choice") { action = "values"; values = $6 }
			else if ($3 == "format" && $5 == "LIST") {
				action = "list"; values = formats
				gsub(/ /, "|", values)
			}
			else if ($5 ~ /DIR$/ && $5 !~ /\|/) action = "dir"
			else if ($5 ~ /FILE|\.json/) action = "file"
			print cmd, $2, $3, $4, $5, values, action, $7
		}'
done >"$tmp/options"

bash_completion() {
	cat <<'HEAD'
# bash completion for prompteval.  Made by docs/gen-completion.sh from
# the option tables of the prompteval it was built with; do not edit.
# Source it, or install it as
# $(pkg-config --variable=completionsdir bash-completion)/prompteval.
HEAD
	printf '_prompteval_commands="%s"\n' "$(cut -f2 "$tmp/commands" | tr '\n' ' ' | sed 's/ $//')"
	cat <<'BODY'

# Sets COMPREPLY to the words of $2 (separated by spaces) that start with
# $1; with $3 = list, completes the last item of a comma-separated list.
_prompteval_words() {
	local cur=$1 pre=
	if [ "${3:-}" = list ] && [[ $cur == *,* ]]; then
		pre=${cur%,*},
		cur=${cur##*,}
	fi
	COMPREPLY=($(compgen -P "$pre" -W "$2" -- "$cur"))
	[ "${3:-}" = list ] && compopt -o nospace 2>/dev/null
	return 0
}

_prompteval() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= opts= arg=
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -le 1 ]; then
		if [[ $cur == -* ]]; then
			_prompteval_words "$cur" "--help --version"
		else
			_prompteval_words "$cur" "$_prompteval_commands help"
		fi
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	if [ "$cmd" = help ]; then
		[ "$COMP_CWORD" -eq 2 ] &&
			_prompteval_words "$cur" "$_prompteval_commands"
		return 0
	fi
	case $cmd in
BODY
	for cmd in $(cut -f2 "$tmp/commands"); do
		printf '\t%s)\n\t\topts="' "$cmd"
		awk -F '\t' -v cmd="$cmd" '$1 == cmd {
			printf "%s--%s ", ($2 != "-" ? "-" $2 " " : ""), $3 }' "$tmp/options"
		printf -- '-h --help"\n\t\tcase $prev in\n'
		awk -F '\t' -v cmd="$cmd" '$1 == cmd && $7 != "flag" {
			names = "--" $3
			if ($2 != "-") names = "-" $2 "|" names
			values = $6; gsub(/\|/, " ", values)
			if ($7 == "values") body = "_prompteval_words \"$cur\" \"" values "\""
			else if ($7 == "list") body = "_prompteval_words \"$cur\" \"" values "\" list"
			else if ($7 == "file") body = "COMPREPLY=($(compgen -f -- \"$cur\"))"
			else if ($7 == "dir") body = "COMPREPLY=($(compgen -d -- \"$cur\"))"
			else body = "COMPREPLY=()"
			printf "\t\t%s)\n\t\t\t%s\n\t\t\treturn 0 ;;\n", names, body
		}' "$tmp/options"
		printf '\t\tesac ;;\n'
	done
	cat <<'TAIL'
	*)
		return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		_prompteval_words "$cur" "$opts"
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}
complete -o filenames -F _prompteval prompteval
TAIL
}

# zsh: one _arguments call per command.  In a spec, the help goes in
# [...] (its own brackets become parentheses) and the argument's message
# after ":" (with ":" escaped); a single quote is written '\''.
zsh_completion() {
	cat <<'HEAD'
#compdef prompteval
# zsh completion for prompteval.  Made by docs/gen-completion.sh from
# the option tables of the prompteval it was built with; do not edit.
# Install it as _prompteval in a directory of $fpath.

_prompteval() {
	local -a commands
	commands=(
HEAD
	awk -F '\t' '{ gsub(/:/, "\\:", $2); gsub(/'"'"'/, "", $3)
		printf "\t\t'"'"'%s:%s'"'"'\n", $2, $3 }' "$tmp/commands"
	cat <<'BODY'
		'help:describe a command'
	)
	if (( CURRENT == 2 )); then
		_describe -t commands 'prompteval command' commands
		compadd -- --help --version
		return
	fi
	local cmd=$words[2]
	shift words
	(( CURRENT-- ))
	case $cmd in
	help)
		_describe -t commands 'prompteval command' commands ;;
BODY
	for cmd in $(cut -f2 "$tmp/commands"); do
		printf '\t%s)\n\t\t_arguments -s -S \\\n' "$cmd"
		awk -F '\t' -v cmd="$cmd" -v q="'" '$1 == cmd {
			eq = q "\\" q q
			help = $8
			gsub(/\[/, "(", help); gsub(/\]/, ")", help)
			gsub(q, eq, help)
			arg = $5; gsub(/:/, "\\:", arg); gsub(q, eq, arg)
			values = $6; gsub(/\|/, " ", values)
			if ($7 == "flag") spec = ""
			else if ($7 == "values") spec = ":" arg ":(" values ")"
			else if ($7 == "list") spec = ":" arg ":_sequence compadd - " values
			else if ($7 == "file") spec = ":" arg ":_files"
			else if ($7 == "dir") spec = ":" arg ":_files -/"
			else spec = ":" arg ": "
			if ($2 != "-" && $4 == "list")
				lead = q "*" q "{-" $2 ",--" $3 "}" q
			else if ($2 != "-")
				lead = q "(-" $2 " --" $3 ")" q "{-" $2 ",--" $3 "}" q
			else if ($4 == "list")
				lead = q "*--" $3
			else
				lead = q "--" $3
			printf "\t\t\t%s[%s]%s%s \\\n", lead, help, spec, q
		}' "$tmp/options"
		printf "\t\t\t'(- *)'{-h,--help}'[show the help]' \\\\\n"
		printf "\t\t\t'*:file:_files' ;;\n"
	done
	cat <<'TAIL'
	esac
}

_prompteval "$@"
TAIL
}

case $SHELL_KIND in
bash) bash_completion ;;
zsh) zsh_completion ;;
*) echo "usage: gen-completion.sh PROMPTEVAL bash|zsh" >&2; exit 1 ;;
esac
