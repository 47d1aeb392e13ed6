#!/bin/sh
# Terminal safety against the fake LLM server: what a model, a provider
# and a judge send back drives no terminal.  The server answers
# tests/fixtures/terminal/hostile-output.prompt.yml (whose names hold
# terminal controls too) with an answer full of CSI and OSC sequences,
# BEL, a bare CR, a backspace, the C1 CSI U+009B and U+202E, an API error
# whose message holds them, an HTML page that holds them, and a judge
# reply that holds them; run -v, the terminal and Markdown reports, score
# -v with the judge, and report must print all of it escaped
# (tests/check-inert.sh finds no control in their stdout, stderr or
# report.md), and results.json must still hold the answer as it came.
#
# usage: tests/terminal-tests.sh PROMPTEVAL FAKELLM
# The last line is "terminal: N passed, M failed".
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
export FAKELLM
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
work=$(mktemp -d)
trap 'fake_stop; rm -rf "$work"' EXIT
pass=0
fail=0
unset OPENAI_BASE_URL OPENAI_API_KEY
export NO_COLOR=1
FIX=tests/fixtures/terminal/hostile-output.prompt.yml

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# inert NAME FILE...: no terminal control in the files.
inert() {
	name=$1
	shift
	if sh tests/check-inert.sh "$@" >"$work/inert"; then
		ok "$name"
	else
		bad "$name"
		sed 's/^/  /' "$work/inert"
	fi
}

# shows NAME FILE TEXT: FILE holds TEXT (fixed string), so the hostile
# text did reach the output, escaped.
shows() {
	if grep -q -F -- "$3" "$2"; then ok "$1"; else
		bad "$1"
		echo "  no '$3' in $2:"
		sed 's/^/  /' "$2" | head -20
	fi
}

cat >"$work/script.jsonl" <<'RULES'
{"match": "Judge the answer", "reply": "\u001b]0;judged\u0007\u001b[2J cannot decide \u009b31m\u202e\r\b"}
{"match": "case [reply]", "reply": "ok \u001b[2J\u001b]0;pwned\u0007\u009b31m\u202e\r\b done"}
{"match": "case [error]", "status": 400, "body": "{\"error\":{\"message\":\"bad \\u001b[2J\\u001b]0;pwned\\u0007\\u009b2J\\u202e request\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}"}
{"match": "case [html]", "status": 502, "body": "<html>\u001b[2J\u001b]0;pwned\u0007\u009b2J bad gateway</html>"}
RULES
fake_start --script "$work/script.jsonl"
printf 'providers:\n  openai: {base_url: %s/v1}\n' "$FAKE_URL" >"$work/pe.yml"

# 1. run -v: a line per job with the error as the provider said it.
"$PE" run -v -c "$work/pe.yml" -o "$work/run" --no-cache --retries 0 \
	--judge-model openai:judge -f terminal,md "$FIX" \
	>"$work/run.out" 2>"$work/run.err"
rc=$?
[ $rc = 2 ] && ok "run: exit 2 (an error)" || bad "run: exit $rc, not 2"
inert "run -v: stdout and stderr hold no terminal control" \
	"$work/run.out" "$work/run.err"
shows "run -v: the API error's message, escaped" "$work/run.err" \
	'\u009b2J\u202e request'
shows "run -v: the HTML page's text, escaped" "$work/run.err" \
	'\u009b2J bad gateway'
shows "run -v: the prompt name, escaped" "$work/run.err" \
	'output\x1b[2J\u009b2J\u202e / reply\x1b[2J [openai:model\x1b]0;pwned\x07]'
shows "run: the matrix names the model, escaped" "$work/run.out" \
	'openai:model\x1b]0;pwned'
inert "run: report.md holds no terminal control" "$work/run/report.md"
if python3 - "$work/run/results.json" <<'PY'
import json, sys
rows = {r["case"]: r for r in json.load(open(sys.argv[1]))["results"]}
out = rows["reply\x1b[2J"]["output"]
ok = out == "ok \x1b[2J\x1b]0;pwned\x07\x9b31m\u202e\r\b done"
ok = ok and "\x9b2J\u202e request" in (rows["error\x9bK"]["error"] or "")
sys.exit(0 if ok else 1)
PY
then ok "run: results.json keeps the answer and the error as they came"
else bad "run: results.json keeps the answer and the error as they came"; fi

# 2. report -f terminal and -v's neighbour, the judge's reason in score -v.
"$PE" report -f terminal "$work/run/results.json" >"$work/report.out" 2>&1
inert "report -f terminal holds no terminal control" "$work/report.out"
printf '%s\n' \
	'{"prompt": "hostile-output", "case": 0, "output": "ok \u001b[2J\u009b2J\u202e"}' \
	>"$work/responses.jsonl"
"$PE" score -v -c "$work/pe.yml" --judge-model openai:judge --no-cache \
	--responses "$work/responses.jsonl" -o "$work/score" "$FIX" \
	>"$work/score.out" 2>"$work/score.err"
inert "score -v: stdout and stderr hold no terminal control" \
	"$work/score.out" "$work/score.err"
shows "score -v: the judge's reply quoted in its reason, escaped" \
	"$work/score.out" "\\x1b]0;judged\\x07\\x1b[2J cannot decide \\u009b31m\\u202e"
fake_stop

echo "terminal: $pass passed, $fail failed"
[ "$fail" = 0 ]
