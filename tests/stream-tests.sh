#!/bin/sh
# End-to-end tests of streamed replies in "prompteval run" and "score"
# against the fake LLM server: for each provider a streamed run and a run
# without streaming give the same results.json, timings aside; the time to
# the first token is measured from the first event that carries text (the
# server paces events with --stream-interval-ms and the bounds are
# generous, nothing sleeps); a stream cut in the middle is retried and ends
# with the right answer; an error event in a stream is handled as the same
# error with an HTTP status is; judges stream too; the cache serves a
# streamed run from answers recorded without streaming and the other way
# round; the configuration's "stream" and --stream / --no-stream decide.
#
# The server's log says of each reply whether it was a stream.
#
# usage: tests/stream-tests.sh PROMPTEVAL FAKELLM
# (KEEP=1 keeps the work directory, with every run's output, for a look.)
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
export FAKELLM
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
work=$(mktemp -d)
trap 'fake_stop; rm -rf "$work"' EXIT
[ -n "${KEEP:-}" ] && trap 'fake_stop; echo "kept $work"' EXIT
pass=0
fail=0
KEY=sk-canary-5e1b0d2a
export OPENAI_API_KEY=$KEY ANTHROPIC_API_KEY=$KEY GEMINI_API_KEY=$KEY
unset OPENAI_BASE_URL ANTHROPIC_BASE_URL GEMINI_BASE_URL OLLAMA_HOST
PROMPT=tests/fixtures/run/plan.prompt.yml
PROVIDERS="openai github anthropic gemini ollama"

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# The configuration for the server at $FAKE_URL, every provider on it,
# with $1 appended (more provider settings go under "providers:").
config() {
	cat >"$work/pe.yml" <<CFG
providers:
  openai: {base_url: $FAKE_URL/v1, api_key_env: OPENAI_API_KEY}
  github: {base_url: $FAKE_URL/inference, api_key_env: GITHUB_TOKEN}
  anthropic: {base_url: $FAKE_URL, api_key_env: ANTHROPIC_API_KEY}
  gemini: {base_url: $FAKE_URL, api_key_env: GEMINI_API_KEY}
  ollama: {base_url: $FAKE_URL}
${1:-}
CFG
}

# start [fakellm options]: starts a server with $work/script.jsonl (when
# it is there) and writes the configuration.  A bad rule would stop the
# server before it writes its port, so the rules are checked first.
start() {
	if [ -f "$work/script.jsonl" ]; then
		python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        json.loads(line)' "$work/script.jsonl" || {
			bad "a script rule is not JSON"
			echo "stream: $pass passed, $fail failed"
			exit 1
		}
		set -- --script "$work/script.jsonl" "$@"
	fi
	fake_start "$@"
	config
}

# rules LINE...: the script rules of the next start (none: no script).
rules() {
	rm -f "$work/script.jsonl"
	[ $# -gt 0 ] && printf '%s\n' "$@" >"$work/script.jsonl"
}

# pe OUT [options]: runs prompteval run quietly into $work/OUT, keeps the
# server's log in $work/OUT.log; the exit status is in $rc.
pe() {
	o=$1
	shift
	"$PE" run -q -c "$work/pe.yml" -o "$work/$o" "$@" \
		>"$work/$o.out" 2>"$work/$o.err"
	rc=$?
	fake_get /_log >"$work/$o.log"
}

# check NAME OUT EXPR: EXPR, a python3 expression, must hold over
#   rows    the rows of OUT/results.json, r = rows[0] (None when none),
#   log     the server's log lines of the chat requests of that run,
#   rc      the exit status of the run,
#   same(A, B)  results files A and B (names of runs) are equal but for
#           call.first_byte_ms and call.total_ms.
check() {
	name=$1
	out=$2
	expr=$3
	if python3 - "$work" "$out" "$rc" "$expr" <<'PY'
import json, os, sys
work, out, rc, expr = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def load(o):
    p = os.path.join(work, o, "results.json")
    return json.load(open(p)) if os.path.exists(p) else {"results": []}
def untimed(o):
    d = load(o)
    for row in d["results"]:
        if row.get("call"):
            row["call"].pop("first_byte_ms", None)
            row["call"].pop("total_ms", None)
    return d
def same(a, b):
    return untimed(a) == untimed(b) and len(untimed(a)["results"]) > 0
rows = load(out)["results"]
r = rows[0] if rows else None
p = os.path.join(work, out + ".log")
log = [json.loads(l) for l in open(p) if l.strip()] if os.path.exists(p) else []
log = [e for e in log if not e["path"].startswith("/_")]
ok = eval(expr)
if not ok:
    print("  assertion failed:", expr)
    print("  rc:", rc, "rows:", [(x["case"], x["status"], x["error"], x["call"]) for x in rows][:4])
    print("  log:", [(e["path"], e["status"], e["fault"], e["stream"]) for e in log][:6])
sys.exit(0 if ok else 1)
PY
	then ok "$name"; else bad "$name"; fi
}

# 1. Each provider, streamed and not, on fresh servers (the answers at
#    temperature > 0 depend on what the server answered before): the same
#    results, and the log shows the replies streamed or not.  -j 1 keeps
#    the order in which repeats reach the server, which their answers
#    depend on.
rules
for p in $PROVIDERS; do
	start
	pe "$p-whole" -m "$p:sim-strong" -t 0,0.7 -n 2 -j 1 --no-cache "$PROMPT"
	check "$p: the run without streaming got whole replies" "$p-whole" \
		"len(rows) == 16 and len(log) == 16 and not any(e['stream'] for e in log) and all(e['status'] == 200 for e in log) and all(x['status'] != 'error' for x in rows)"
	fake_stop
	start
	pe "$p-streamed" --stream -m "$p:sim-strong" -t 0,0.7 -n 2 -j 1 \
		--no-cache "$PROMPT"
	check "$p: --stream got streams" "$p-streamed" \
		"len(rows) == 16 and len(log) == 16 and all(e['stream'] and e['status'] == 200 for e in log)"
	check "$p: streamed and whole runs give the same results.json, timings aside" \
		"$p-streamed" "same('$p-whole', '$p-streamed') and all(x['call']['tokens_in'] > 0 and x['call']['tokens_out'] > 0 and x['call']['finish_reason'] and x['call']['served_model'] for x in rows)"
	fake_stop
done

# 2. The time to the first token: the server sends one event every 50 ms
#    and an answer of 10 pieces, so a stream takes at least 450 ms, while
#    its first text comes after the events that carry none: one for OpenAI
#    (the role), three for Anthropic (message_start, content_block_start,
#    ping), none for Gemini and Ollama.  The bounds are generous.
text=$(python3 -c 'print("word " * 100, end="")')
rules "{\"reply\": \"$text\"}"
start --stream-interval-ms 50
for spec in openai:1 anthropic:3 gemini:0 ollama:0; do
	p=${spec%:*}
	before=${spec#*:}
	pe "$p-ttft" --stream -m "$p:sim" --filter '^users$' --no-cache "$PROMPT"
	check "$p: time to first token ($before events before the text at 50 ms) is well under the total" \
		"$p-ttft" \
		"len(rows) == 1 and r['output'] == '$text' and r['call']['total_ms'] >= 400 and r['call']['first_byte_ms'] >= 40 * $before and r['call']['first_byte_ms'] <= 50 * $before + 150 and r['call']['first_byte_ms'] * 2 < r['call']['total_ms']"
	pe "$p-ttft-whole" -m "$p:sim" --filter '^users$' --no-cache "$PROMPT"
	check "$p: without streaming, the first token comes with the whole reply" \
		"$p-ttft-whole" \
		"len(rows) == 1 and r['output'] == '$text' and r['call']['first_byte_ms'] <= r['call']['total_ms'] < 400"
done
rc=0
"$PE" compare --max-p95-ttft 1000 --max-p95-latency 300 \
	"$work/anthropic-ttft/results.json" "$work/anthropic-ttft/results.json" \
	>"$work/gate.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q '^gate passed: --max-p95-ttft 1000 (p95 time to first token 1[0-9][0-9] ms)$' "$work/gate.out" &&
	tail -1 "$work/gate.out" | grep -q '^gate failed: --max-p95-latency 300 (p95 latency [0-9]* ms)$'; then
	ok "--max-p95-ttft gates the time to the first token, --max-p95-latency the whole reply"
else
	bad "--max-p95-ttft gates the time to the first token (exit $rc): $(cat "$work/gate.out")"
fi
"$PE" compare --max-p95-ttft 100 "$work/anthropic-ttft/results.json" \
	"$work/anthropic-ttft/results.json" >"$work/gate.out" 2>&1
rc=$?
if [ $rc = 1 ] && tail -1 "$work/gate.out" | grep -q '^gate failed: --max-p95-ttft 100 '; then
	ok "--max-p95-ttft 100 fails when the first text came after 150 ms"
else
	bad "--max-p95-ttft 100 (exit $rc): $(cat "$work/gate.out")"
fi
fake_stop

# 3. A stream cut in the middle: half the events, then the connection
#    closes (the fault), or a stream that ends cleanly without its
#    terminator.  Each is retried and ends with the answer a clean run
#    gets.
for p in openai anthropic gemini ollama; do
	rules
	start
	pe "$p-ref" -m "$p:sim-strong" --filter '^users$' --no-cache "$PROMPT"
	fake_stop
	rules '{"times": 1, "fault": "truncate"}'
	start
	pe "$p-cut" --stream -m "$p:sim-strong" --filter '^users$' --no-cache \
		"$PROMPT"
	check "$p: a stream cut in the middle is retried and ends with the right answer" \
		"$p-cut" \
		"r['call']['attempts'] == 2 and r['output'] == load('$p-ref')['results'][0]['output'] and r['status'] == load('$p-ref')['results'][0]['status'] and [(e['fault'], e['stream']) for e in log] == [('script', True), (None, True)]"
	fake_stop
done
chunk='data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"sim","choices":[{"index":0,"delta":{"content":"partial"},"finish_reason":null}]}'
rules "$(python3 -c 'import json, sys; print(json.dumps({"times": 1, "body": sys.argv[1] + "\n\n"}))' "$chunk")"
start
pe openai-noend --stream -m openai:sim-strong --filter '^users$' --no-cache \
	"$PROMPT"
check "openai: a stream without data: [DONE] is retried and ends with the right answer" \
	openai-noend \
	"r['call']['attempts'] == 2 and r['output'] == load('openai-ref')['results'][0]['output']"
fake_stop

# 4. An error event in a stream is handled as the same error with an HTTP
#    status: Anthropic's overloaded_error (a 529) and OpenAI's server_error
#    chunk (a 500) are retried, once and for good; Anthropic's
#    invalid_request_error (a 400) is final.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def sse(events):
    return "".join("event: %s\ndata: %s\n\n" % (n, json.dumps(d)) for n, d in events)
start = [("message_start", {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "sim", "stop_reason": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}),
         ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
         ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "partial "}})]
def error(kind, message):
    return ("error", {"type": "error", "error": {"type": kind, "message": message}})
openai = ('data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"sim","choices":[{"index":0,"delta":{"role":"assistant","content":"partial"},"finish_reason":null}]}\n\n'
          'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n')
rules = {
    "overloaded-once": {"times": 1, "body": sse(start + [error("overloaded_error", "Overloaded")])},
    "overloaded": {"body": sse(start + [error("overloaded_error", "Overloaded")])},
    "invalid": {"body": sse(start + [error("invalid_request_error", "bad request")])},
    "openai-once": {"times": 1, "body": openai},
    "529-once": {"times": 1, "status": 529},
    "529": {"status": 529},
    "400": {"status": 400, "body": json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": "bad request"}})},
    "500-once": {"times": 1, "status": 500},
}
for name, rule in rules.items():
    open("%s/rule-%s" % (work, name), "w").write(json.dumps(rule) + "\n")
PY
rule() { rules "$(cat "$work/rule-$1")"; }

rule 529-once
start
pe anthropic-529-once -m anthropic:sim-strong --filter '^users$' --no-cache "$PROMPT"
fake_stop
rule overloaded-once
start
pe anthropic-overloaded-once --stream -m anthropic:sim-strong --filter '^users$' --no-cache "$PROMPT"
check "anthropic: an overloaded_error event mid-stream is retried as a 529 is, with the same result" \
	anthropic-overloaded-once \
	"r['call']['attempts'] == 2 and load('anthropic-529-once')['results'][0]['call']['attempts'] == 2 and same('anthropic-529-once', 'anthropic-overloaded-once')"
fake_stop

rule 529
start
pe anthropic-529 -m anthropic:sim-strong --filter '^users$' --retries 2 --no-cache "$PROMPT"
fake_stop
rule overloaded
start
pe anthropic-overloaded --stream -m anthropic:sim-strong --filter '^users$' --retries 2 --no-cache "$PROMPT"
check "anthropic: overloaded_error events until the retries run out end as 529s do" \
	anthropic-overloaded \
	"rc == 2 and r['status'] == 'error' and r['call']['attempts'] == 3 and r['error'] == 'stream error: Overloaded' and r['output'] is None and load('anthropic-529')['results'][0]['call']['attempts'] == 3 and load('anthropic-529')['results'][0]['error'] == 'HTTP 529: Overloaded' and len(log) == 3"
fake_stop

rule 400
start
pe anthropic-400 -m anthropic:sim-strong --filter '^users$' --no-cache "$PROMPT"
fake_stop
rule invalid
start
pe anthropic-invalid --stream -m anthropic:sim-strong --filter '^users$' --no-cache "$PROMPT"
check "anthropic: an invalid_request_error event is final, as a 400 is" \
	anthropic-invalid \
	"r['status'] == 'error' and r['call']['attempts'] == 1 and r['error'] == 'stream error: bad request' and load('anthropic-400')['results'][0]['call']['attempts'] == 1 and len(log) == 1"
fake_stop

rule 500-once
start
pe openai-500-once -m openai:sim-strong --filter '^users$' --no-cache "$PROMPT"
fake_stop
rule openai-once
start
pe openai-error-once --stream -m openai:sim-strong --filter '^users$' --no-cache "$PROMPT"
check "openai: an error chunk mid-stream is retried as a 500 is, with the same result" \
	openai-error-once \
	"r['call']['attempts'] == 2 and load('openai-500-once')['results'][0]['call']['attempts'] == 2 and same('openai-500-once', 'openai-error-once')"
fake_stop

# 5. Judges stream as their model does: the same verdicts, the judge
#    calls streamed (github, path /inference/chat/completions) with the
#    answers (openai, /v1/chat/completions), in run and in score.
JUDGED=tests/fixtures/judge/nomodel.prompt.yml
rules '{"path": "/inference/chat/completions", "match": "[a]", "reply": "good"}' \
	'{"path": "/inference/chat/completions", "reply": "bad"}'
start
pe judged-whole -m openai:sim-strong --judge-model openai/grader --no-cache "$JUDGED"
fake_stop
start
pe judged-streamed --stream -m openai:sim-strong --judge-model openai/grader --no-cache "$JUDGED"
check "judges: streamed judge calls give the same verdicts" judged-streamed \
	"same('judged-whole', 'judged-streamed') and [x['status'] for x in rows] == ['pass', 'fail'] and all(x['judge']['calls'] == 1 for x in rows) and len([e for e in log if e['path'] == '/inference/chat/completions' and e['stream']]) == 2 and len([e for e in log if e['path'] == '/v1/chat/completions' and e['stream']]) == 2"
printf '{"prompt": "Judge without a model", "case": "a", "output": "x"}\n{"prompt": "Judge without a model", "case": "b", "output": "y"}\n' >"$work/responses.jsonl"
for mode in --no-stream --stream; do
	fake_get /_reset >/dev/null
	"$PE" score -q -c "$work/pe.yml" -o "$work/score$mode" --no-cache \
		--judge-model openai/grader -r "$work/responses.jsonl" $mode \
		"$JUDGED" >"$work/score$mode.out" 2>&1
	rc=$?
	fake_get /_log >"$work/score$mode.log"
done
check "score: --stream streams the judge calls, with the same verdicts" score--stream \
	"same('score--no-stream', 'score--stream') and [x['status'] for x in rows] == ['pass', 'fail'] and len(log) == 2 and all(e['stream'] for e in log) and not any(e['stream'] for e in [json.loads(l) for l in open(os.path.join(work, 'score--no-stream.log'))])"
fake_stop

# 6. One cache for both: answers recorded without streaming serve a
#    streamed --offline run, and the other way round, with no request.
rules
start
pe cache-whole -m openai:sim-strong -m ollama:sim-strong --cache-dir "$work/cache1" "$PROMPT"
pe cache-streamed-offline --stream --offline -m openai:sim-strong \
	-m ollama:sim-strong --cache-dir "$work/cache1" "$PROMPT"
check "cache: a streamed --offline run is served from answers recorded without streaming" \
	cache-streamed-offline \
	"len(rows) == 8 and all(x['call']['cached'] for x in rows) and [x['output'] for x in rows] == [x['output'] for x in load('cache-whole')['results']] and len(log) == 8"
fake_get /_reset >/dev/null
pe cache-streamed --stream -m gemini:sim-strong -m anthropic:sim-strong --cache-dir "$work/cache2" "$PROMPT"
pe cache-whole-offline --offline -m gemini:sim-strong \
	-m anthropic:sim-strong --cache-dir "$work/cache2" "$PROMPT"
check "cache: an --offline run without streaming is served from streamed answers" \
	cache-whole-offline \
	"len(rows) == 8 and all(x['call']['cached'] for x in rows) and [x['output'] for x in rows] == [x['output'] for x in load('cache-streamed')['results']] and len(log) == 8"
fake_stop

# 7. The configuration's stream: true for one provider streams that one
#    only; --no-stream turns it off, --stream on for all.
rules
start
cat >"$work/pe.yml" <<CFG
providers:
  openai: {base_url: $FAKE_URL/v1, api_key_env: OPENAI_API_KEY,
           stream: true}
  anthropic: {base_url: $FAKE_URL, api_key_env: ANTHROPIC_API_KEY}
CFG
for mode in "" --no-stream --stream; do
	fake_get /_reset >/dev/null
	pe "config$mode" $mode -m openai:sim-strong -m anthropic:sim-strong \
		--filter '^users$' --no-cache "$PROMPT"
done
check "configuration: stream: true streams that provider's replies only" config \
	"rc != 2 and sorted((e['path'], e['stream']) for e in log) == [('/v1/chat/completions', True), ('/v1/messages', False)]"
check "configuration: --no-stream streams none" config--no-stream \
	"rc != 2 and sorted((e['path'], e['stream']) for e in log) == [('/v1/chat/completions', False), ('/v1/messages', False)] and same('config', 'config--no-stream')"
check "configuration: --stream streams all" config--stream \
	"rc != 2 and sorted((e['path'], e['stream']) for e in log) == [('/v1/chat/completions', True), ('/v1/messages', True)] and same('config', 'config--stream')"
fake_stop

# 8. The canary key reached no file or output of these runs.
if grep -r -q -- "$KEY" "$work"; then
	bad "the API key appears in: $(grep -r -l -- "$KEY" "$work" | head -3)"
else
	ok "the API key reached no output"
fi

echo "stream: $pass passed, $fail failed"
[ "$fail" = 0 ]
