#!/bin/sh
# Security tests of "prompteval run": TLS with a private CA (a CA and a
# server certificate made with openssl here, and a small TLS responder in
# Python): without ca_cert the run fails with a clear TLS error, with
# ca_cert, SSL_CERT_FILE or SSL_CERT_DIR it succeeds, and verification is
# never turned off.  Files: the journal and the cache are 0600, and
# hostile prompt names and case ids put no file outside the outputs.  The
# secrets proof: canary keys that the fake server echoes in every
# provider's error shapes, answers, served models and finish reasons (and
# an exec program prints) are found in no file written and no stream
# printed, by any command.
#
# usage: tests/security-tests.sh PROMPTEVAL FAKELLM
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
export FAKELLM
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
work=$(mktemp -d)
TLS_PID=
trap 'fake_stop; [ -n "$TLS_PID" ] && kill "$TLS_PID" 2>/dev/null; rm -rf "$work"' EXIT
pass=0
fail=0
PROMPT=tests/fixtures/run/plan.prompt.yml
unset SSL_CERT_FILE SSL_CERT_DIR OPENAI_BASE_URL

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# py EXPR FILE: true when the Python expression over d (the JSON in FILE)
# and rows (its results) holds.
py() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
rows = d.get("results", [])
ok = eval(sys.argv[1])
if not ok:
    print("  assertion failed:", sys.argv[1])
    print("  rows:", [(r["case"], r["model"], r["status"], r["error"]) for r in rows][:8])
sys.exit(0 if ok else 1)
PY
}

# 1. TLS with a private CA.  The CA and the server's certificate (for
#    127.0.0.1) are made here; the responder answers every POST with one
#    Chat Completions reply and writes its port into a FIFO once it
#    listens, so nothing waits on a clock.
tls=$work/tls
mkdir -p "$tls/certs"
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 2 \
		-subj "/CN=prompteval test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$tls/server.key" -out "$tls/server.csr" \
			-subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
			>"$tls/ext" &&
		openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" \
			-CAkey "$tls/ca.key" -CAcreateserial -days 2 \
			-extfile "$tls/ext" -out "$tls/server.pem" &&
		cp "$tls/ca.pem" "$tls/certs/" && openssl rehash "$tls/certs"
} >"$tls/openssl.log" 2>&1 || bad "openssl could not make the certificates: $(cat "$tls/openssl.log")"
cat >"$tls/server.py" <<'PY'
import http.server, json, socketserver, ssl, sys

REPLY = json.dumps({
    "id": "chatcmpl-tls", "object": "chat.completion", "created": 0,
    "model": "tls-model",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant",
                             "content": "## 1. Over TLS\n\nverified"}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3,
              "total_tokens": 8}}).encode()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(REPLY)))
        self.end_headers()
        self.wfile.write(REPLY)

    def log_message(self, *args):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server = Server(("127.0.0.1", 0), Handler)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % server.server_address[1])
server.serve_forever()
PY
mkfifo "$tls/port"
python3 "$tls/server.py" "$tls/server.pem" "$tls/server.key" "$tls/port" \
	2>"$tls/server.log" &
TLS_PID=$!
read -r TLS_PORT <"$tls/port"
tls_config() { # FILE [ca_cert line]
	printf 'providers:\n  private:\n    kind: openai\n    base_url: https://127.0.0.1:%s/v1\n%s' \
		"$TLS_PORT" "${2:-}" >"$1"
}
tls_run() { # NAME CONFIG [env assignments...]: runs one case, sets status
	name=$1
	cfg=$2
	shift 2
	env "$@" "$PE" run -q -c "$cfg" -m private:m --filter '^users$' \
		--retries 0 --no-cache -o "$tls/$name" "$PROMPT" \
		>"$tls/$name.out" 2>"$tls/$name.err"
	status=$?
}

tls_config "$tls/none.yml"
tls_run none "$tls/none.yml"
[ $status = 2 ] && py "len(rows) == 1 and rows[0]['status'] == 'error' and rows[0]['error'].startswith(\"connection failed: TLS: the server's certificate is not trusted (\") and rows[0]['error'].endswith('); name its CA with ca_cert or SSL_CERT_FILE') and not rows[0]['call']['http_status']" "$tls/none/results.json" &&
	ok "TLS: a private CA's certificate is refused without ca_cert, with a clear error (exit $status)" ||
	bad "TLS: without ca_cert (exit $status): $(cat "$tls/none.err")"

tls_config "$tls/ca.yml" "    ca_cert: tls/ca.pem
"
cp "$tls/ca.yml" "$work/ca.yml"
tls_run ca "$work/ca.yml"
py "len(rows) == 1 and rows[0]['output'] == '## 1. Over TLS\n\nverified' and rows[0]['call']['served_model'] == 'tls-model' and rows[0]['error'] is None" "$tls/ca/results.json" &&
	ok "TLS: ca_cert (relative to prompteval.yml) trusts the private CA (exit $status)" ||
	bad "TLS: with ca_cert (exit $status): $(cat "$tls/ca.err")"

tls_run file "$tls/none.yml" SSL_CERT_FILE="$tls/ca.pem"
py "len(rows) == 1 and rows[0]['output'].endswith('verified')" "$tls/file/results.json" &&
	ok "TLS: SSL_CERT_FILE trusts the private CA" ||
	bad "TLS: with SSL_CERT_FILE (exit $status): $(cat "$tls/file.err")"

tls_run dir "$tls/none.yml" SSL_CERT_DIR="$tls/certs"
py "len(rows) == 1 and rows[0]['output'].endswith('verified')" "$tls/dir/results.json" &&
	ok "TLS: SSL_CERT_DIR (a hashed folder) trusts the private CA" ||
	bad "TLS: with SSL_CERT_DIR (exit $status): $(cat "$tls/dir.err")"

# Another CA's file in ca_cert trusts nothing of this server's.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tls/other.key" -out "$tls/other.pem" -days 2 \
	-subj "/CN=another CA" >/dev/null 2>&1
tls_config "$tls/other.yml" "    ca_cert: other.pem
"
tls_run other "$tls/other.yml"
[ $status = 2 ] && py "rows[0]['status'] == 'error' and 'not trusted' in rows[0]['error']" "$tls/other/results.json" &&
	ok "TLS: another CA in ca_cert does not make the server trusted" ||
	bad "TLS: another CA (exit $status): $(cat "$tls/other.err")"

tls_config "$tls/missing.yml" "    ca_cert: no-such-ca.pem
"
tls_run missing "$tls/missing.yml"
[ $status = 3 ] && grep -q "missing.yml:5:14: error: ca_cert: cannot read .*/no-such-ca.pem: No such file or directory" "$tls/missing.err" &&
	ok "TLS: a ca_cert that cannot be read is a positioned error before anything is sent" ||
	bad "TLS: missing ca_cert (exit $status): $(cat "$tls/missing.err")"
kill "$TLS_PID" 2>/dev/null
wait "$TLS_PID" 2>/dev/null
TLS_PID=

# 2. Files: the journal and the cache are private (0600 files, 0700
#    folders), and no name a prompt file gives (prompt names and case ids
#    such as ../../x, absolute paths, newlines) puts a file outside --out,
#    the cache or the other outputs named on the command line.
box=$work/box
mkdir -p "$box/cwd"
cat >"$box/cwd/hostile.prompt.yml" <<YML
name: "../../escape-prompt"
messages:
  - role: user
    content: "say {{v}}"
testData:
  - {id: "../../../escape-case", vars: {v: one}}
  - {id: "$box/abs-escape", vars: {v: two}}
  - {id: "new\nline/../../escape-nl", vars: {v: three}}
  - {id: "..", vars: {v: four}}
evaluators:
  - name: "../escape-evaluator"
    string: {contains: say}
YML
cat >"$box/cwd/hostile2.prompt.yml" <<YML
name: "$box/abs-escape-prompt"
messages:
  - role: user
    content: "hello"
evaluators:
  - name: "/tmp/escape-evaluator"
    string: {contains: hello}
YML
fake_start
fake_config "$box/pe.yml"
(
	cd "$box/cwd" || exit 1
	umask 022
	"$PE" run -q -c ../pe.yml -m echo: -m openai:sim-strong \
		-f terminal,json,jsonl,junit,md,html,csv,gh-json -o ../out \
		--cache-dir ../cache . >../run.out 2>../run.err
	echo $? >../run.status
	"$PE" report -f terminal,json,jsonl,junit,md,html,csv -o ../rep \
		../out/results.json >../report.out 2>&1
	"$PE" merge -o ../merged.json ../out/results.json >../merge.out 2>&1
	python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(json.dumps({"prompt": r["prompt"], "case": r["case"], "output": r["output"] or "", "model": r["model"]}))' \
		../out/results.json >../responses.jsonl
	"$PE" score -q -r ../responses.jsonl -o ../scored . >../score.out 2>&1
	chmod 644 ../out/results.jsonl
	"$PE" run -q -c ../pe.yml -m echo: -m openai:sim-strong --resume \
		-o ../out --cache-dir ../cache . >/dev/null 2>&1
)
fake_stop
status=$(cat "$box/run.status")
[ "$status" = 0 ] || [ "$status" = 1 ] && py "len(rows) == 10 and {r['case'] for r in rows if r['case']} == {'../../../escape-case', '$box/abs-escape', 'new\nline/../../escape-nl', '..'}" "$box/out/results.json" &&
	ok "hostile names: the run went through with every hostile case id (exit $status)" ||
	bad "hostile names: run (exit $status): $(cat "$box/run.err")"
strays=$(cd "$box" && find . -mindepth 1 \( -path ./out -o -path ./cache -o -path ./rep -o -path ./scored -o -path ./cwd \) -prune -o -print |
	grep -v -x -e ./pe.yml -e ./merged.json -e ./responses.jsonl -e './[a-z]*\.out' -e './[a-z]*\.err' -e ./run.status)
escaped=$(find "$work" -name '*escape*' | head -3)
[ -z "$strays" ] && [ -z "$escaped" ] && [ ! -e "$box/abs-escape" ] &&
	[ "$(ls "$box/cwd")" = "hostile.prompt.yml
hostile2.prompt.yml" ] &&
	[ "$(ls "$box/out")" = "gh-eval.json
junit.xml
report.html
report.md
results.csv
results.json
results.jsonl" ] &&
	ok "hostile names: every file written is one of the fixed names under --out, the cache or the outputs named" ||
	bad "hostile names: written elsewhere: $strays $escaped $(ls "$box/out" "$box/cwd")"
files=$(find "$box/cache" -type f | wc -l)
[ "$files" -gt 0 ] && [ -z "$(find "$box/cache" -type f ! -perm 600)" ] &&
	[ -z "$(find "$box/cache" -type d ! -perm 700)" ] &&
	[ "$(stat -c %a "$box/out/results.jsonl")" = 600 ] &&
	ok "files: the journal and $files cache files are 0600, the cache folders 0700 (umask 022; the journal after --resume too)" ||
	bad "files: modes: $(stat -c '%a %n' "$box/out/results.jsonl"; find "$box/cache" ! -perm 600 ! -perm 700 | head -3)"

# 3. The secrets proof.  A canary key for each provider (GitHub's with a
#    '/' that a server may write as "\/") and one in a credential header;
#    the fake server echoes them in 401s in OpenAI's, Anthropic's,
#    Gemini's, GitHub's and Azure's error shapes, in a plain-text 401, in
#    answers, served models and finish reasons, in a long body cut short
#    in the middle of a key, and in the judge's replies; an exec program
#    prints the keys it inherits.  Every command that reads or writes
#    results runs over them (run with -v and every report format, from
#    the cache, --offline and --resume, report, compare, score with the
#    judge, merge, check, list, --dry-run), and no file written and no
#    stream printed holds any 6 bytes in a row of any key.
sec=$work/secrets
mkdir -p "$sec/streams"
K_OPENAI=CANARYoA-7Hq2ZxWv9kLp3R
K_ANTHROPIC=CANARYaN-Tq8Vw2Lm5Xz1Pd
K_GEMINI=CANARYgE-Mn4Rt7Yu2Io9Kj
K_GITHUB=CANARYgH/Bx3+Nc8=Vf6Dh
K_HEADER=CANARYhD-Ws5Qe1Ra8Ty4Ug
export OPENAI_API_KEY=$K_OPENAI ANTHROPIC_API_KEY=$K_ANTHROPIC \
	GEMINI_API_KEY=$K_GEMINI GITHUB_TOKEN=$K_GITHUB K_HEADER
unset GH_TOKEN
LEAK=tests/fixtures/security/leak.prompt.yml
python3 - "$sec/script.jsonl" <<'PY'
import json, os, sys
k = {n: os.environ[n] for n in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY",
     "GEMINI_API_KEY", "GITHUB_TOKEN", "K_HEADER")}
every = " ".join(k.values())
gh_escaped = k["GITHUB_TOKEN"].replace("/", "\\/")
def openai_reply(model, finish):
    return json.dumps({"id": "c", "object": "chat.completion", "created": 0,
        "model": model, "choices": [{"index": 0, "finish_reason": finish,
        "message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
rules = [
    # The judge repeats every key, and states no choice: its reason
    # quotes the reply.
    {"match": "Grade the answer", "reply": "Keys " + every + " and no grade."},
    # 401s in each provider's shape.
    {"path": "/v1/chat/completions", "match": "mark-401", "status": 401,
     "body": json.dumps({"error": {"message": "Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys." % k["OPENAI_API_KEY"],
                                   "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}})},
    {"path": "/chat/completions", "match": "mark-401", "status": 401,
     "body": json.dumps({"error": {"code": "401", "message": "Access denied due to invalid subscription key %s. Make sure to provide a valid key for an active subscription." % k["K_HEADER"]}})},
    {"path": "/inference/chat/completions", "match": "mark-401", "status": 401,
     "body": '{"error":{"code":"unauthorized","message":"Bad credentials: token %s is not valid","details":"%s"}}' % (gh_escaped, gh_escaped)},
    {"path": "/inference/chat/completions", "match": "mark-text", "status": 401,
     "body": "unauthorized: the token %s was rejected" % gh_escaped},
    {"path": "/v1/messages", "match": "mark-401", "status": 401,
     "body": json.dumps({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key: %s" % k["ANTHROPIC_API_KEY"]}, "request_id": "req_canary"})},
    {"path": "/v1beta/models/m-gemini", "match": "mark-401", "status": 400,
     "body": json.dumps({"error": {"code": 400, "message": "API key not valid: %s. Please pass a valid API key." % k["GEMINI_API_KEY"], "status": "INVALID_ARGUMENT",
                                   "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                                                "metadata": {"service": "generativelanguage.googleapis.com", "key": k["GEMINI_API_KEY"]}}]}})},
    {"path": "/api/chat", "match": "mark-401", "status": 401,
     "body": json.dumps({"error": "unauthorized: %s" % every})},
    # Answers that repeat every key.
    {"match": "mark-echo", "reply": "## 1. Keys\n\nok " + every},
    # Served models and finish reasons that are keys.
    {"path": "/v1/chat/completions", "match": "mark-meta", "status": 200,
     "body": openai_reply(k["OPENAI_API_KEY"], k["K_HEADER"])},
    {"path": "/chat/completions", "match": "mark-meta", "status": 200,
     "body": openai_reply(k["K_HEADER"], k["OPENAI_API_KEY"])},
    {"path": "/inference/chat/completions", "match": "mark-meta", "status": 200,
     "body": openai_reply(k["GITHUB_TOKEN"], k["GITHUB_TOKEN"])},
    {"path": "/v1/messages", "match": "mark-meta", "status": 200,
     "body": json.dumps({"id": "msg_1", "type": "message", "role": "assistant", "model": k["ANTHROPIC_API_KEY"],
                         "content": [{"type": "text", "text": "ok"}], "stop_reason": k["ANTHROPIC_API_KEY"],
                         "usage": {"input_tokens": 1, "output_tokens": 1}})},
    {"path": "/v1beta/models/m-gemini", "match": "mark-meta", "status": 200,
     "body": json.dumps({"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": k["GEMINI_API_KEY"]}],
                         "modelVersion": k["GEMINI_API_KEY"], "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}})},
    {"path": "/api/chat", "match": "mark-meta", "status": 200,
     "body": json.dumps({"model": k["OPENAI_API_KEY"], "created_at": "2024-01-01T00:00:00Z", "message": {"role": "assistant", "content": "ok"},
                         "done": True, "done_reason": k["OPENAI_API_KEY"], "prompt_eval_count": 1, "eval_count": 1})},
    # A body that is no provider's JSON, kept to 200 bytes in the error:
    # the cut falls 7 bytes into a key.
    {"match": "mark-long", "status": 403,
     "body": "x" * 193 + k["OPENAI_API_KEY"] + " " + gh_escaped + " " + every},
]
with open(sys.argv[1], "w") as f:
    for r in rules:
        f.write(json.dumps(r) + "\n")
PY
fake_start --script "$sec/script.jsonl"
cat >"$sec/pe.yml" <<CFG
providers:
  openai: {base_url: "$FAKE_URL/v1", api_key_env: OPENAI_API_KEY}
  anthropic: {base_url: "$FAKE_URL", api_key_env: ANTHROPIC_API_KEY}
  gemini: {base_url: "$FAKE_URL", api_key_env: GEMINI_API_KEY}
  ollama: {base_url: "$FAKE_URL"}
  github: {base_url: "$FAKE_URL/inference", api_key_env: GITHUB_TOKEN}
  azure:
    kind: openai
    base_url: "$FAKE_URL"
    headers: {api-key: "$K_HEADER"}
aliases:
  leaky:
    exec: [sh, -c, 'cat >/dev/null; printf "## 1. Env\\n\\nok %s %s %s %s" "\$OPENAI_API_KEY" "\$ANTHROPIC_API_KEY" "\$GEMINI_API_KEY" "\$GITHUB_TOKEN"']
CFG
MODELS="-m openai:m-openai -m anthropic:m-anthropic -m gemini:m-gemini -m ollama:m-ollama -m github:m-github -m azure:m-azure -m leaky"
FORMATS=terminal,json,jsonl,junit,md,html,csv,gh-json
streams=0
# leak_run NAME ARGS...: runs prompteval, its stdout and stderr kept.
leak_run() {
	name=$1
	shift
	"$PE" "$@" >"$sec/streams/$name.out" 2>"$sec/streams/$name.err"
	echo $? >"$sec/$name.status"
	streams=$((streams + 2))
}
# shellcheck disable=SC2086 # MODELS is a list of options
leak_run run1 run -v -c "$sec/pe.yml" $MODELS -f "$FORMATS" --retries 0 \
	-o "$sec/out1" --cache-dir "$sec/cache" "$LEAK"
# shellcheck disable=SC2086
leak_run run2 run -v -c "$sec/pe.yml" $MODELS -f "$FORMATS" --retries 0 \
	-o "$sec/out2" --cache-dir "$sec/cache" "$LEAK"
# shellcheck disable=SC2086
leak_run offline run -v -c "$sec/pe.yml" $MODELS -f "$FORMATS" --offline \
	-o "$sec/out3" --cache-dir "$sec/cache" "$LEAK"
# shellcheck disable=SC2086
leak_run resume run -v -c "$sec/pe.yml" $MODELS -f "$FORMATS" --retries 0 \
	--resume -o "$sec/out1" --cache-dir "$sec/cache" "$LEAK"
leak_run report report -f terminal,json,jsonl,junit,md,html,csv \
	--baseline "$sec/out2/results.json" -o "$sec/rep" "$sec/out1/results.json"
leak_run report-journal report -f terminal,md -o "$sec/rep-journal" \
	"$sec/out1/results.jsonl"
leak_run compare compare "$sec/out2/results.json" "$sec/out1/results.json"
leak_run merge merge -o "$sec/merged.json" "$sec/out1/results.json"
python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(json.dumps({"prompt": r["prompt"], "case": r["case"], "output": r["output"] or "", "model": r["model"]}))' \
	"$sec/out1/results.json" >"$sec/responses.jsonl"
leak_run score score -v -c "$sec/pe.yml" --judge-model github:openai/grader \
	--retries 0 -r "$sec/responses.jsonl" -o "$sec/scored" \
	--cache-dir "$sec/cache-score" "$LEAK"
leak_run check check -c "$sec/pe.yml" "$LEAK"
leak_run list list -l "$LEAK"
# shellcheck disable=SC2086
leak_run dry-run run --dry-run -c "$sec/pe.yml" $MODELS "$LEAK"
fake_get /_log >"$sec/log.jsonl"
fake_stop

# The canaries were there: every place a key was put says [REDACTED].
py "len(rows) == 35 and all('[REDACTED]' in r['error'] for r in rows if r['case'] == 'err401' and not r['model'].startswith('exec:')) and all(r['output'].count('[REDACTED]') == (4 if r['model'].startswith('exec:') else 5) for r in rows if r['case'] == 'echo') and all(r['call']['served_model'] == '[REDACTED]' for r in rows if r['case'] == 'meta' and not r['model'].startswith('exec:')) and all(r['call']['finish_reason'] == '[REDACTED]' for r in rows if r['case'] == 'meta' and not r['model'].startswith('exec:')) and '[REDACTED]' in [r for r in rows if r['case'] == 'text' and r['model'] == 'github:m-github'][0]['error'] and all(r['error'].startswith('HTTP 403, text/plain: ' + 'x' * 193 + '[RED') for r in rows if r['case'] == 'long' and not r['model'].startswith('exec:')) and all('[REDACTED]' in e['reason'] for r in rows for e in r['evaluators'] if e['name'] == 'graded' and r['status'] != 'error')" "$sec/out1/results.json" &&
	ok "secrets: every key the server and the program repeated was replaced by [REDACTED] (35 jobs, 7 models)" ||
	bad "secrets: the canaries did not arrive where they were put"
[ "$(cat "$sec/run1.status")" = 2 ] && [ "$(cat "$sec/score.status")" = 2 ] &&
	grep -q '"fault":"script"' "$sec/log.jsonl" &&
	ok "secrets: the runs ended as expected (errors: exit 2) after the scripted replies" ||
	bad "secrets: exits run $(cat "$sec/run1.status") score $(cat "$sec/score.status"): $(cat "$sec/streams/run1.err" | head -5)"
# Every 6 bytes in a row of every key, plain and as JSON writes it.
python3 - "$sec/needles" <<'PY'
import os, sys
needles = set()
for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
             "GITHUB_TOKEN", "K_HEADER"):
    for form in (os.environ[name], os.environ[name].replace("/", "\\/")):
        needles.update(form[i:i + 6] for i in range(len(form) - 5))
open(sys.argv[1], "w").write("\n".join(sorted(needles)) + "\n")
PY
written=$(find "$sec/out1" "$sec/out2" "$sec/out3" "$sec/rep" \
	"$sec/rep-journal" "$sec/scored" "$sec/cache" "$sec/cache-score" \
	"$sec/merged.json" -type f | wc -l)
leaks=$(grep -r -l -F -f "$sec/needles" "$sec/out1" "$sec/out2" "$sec/out3" \
	"$sec/rep" "$sec/rep-journal" "$sec/scored" "$sec/cache" \
	"$sec/cache-score" "$sec/merged.json" "$sec/streams" 2>/dev/null)
[ "$written" -ge 30 ] && [ "$streams" = 24 ] && [ -z "$leaks" ] &&
	ok "secrets: no key in any of the $written files written or the $streams streams printed" ||
	bad "secrets: a key leaked into $(echo "$leaks" | grep -c -v /streams/) of $written files and $(echo "$leaks" | grep -c /streams/) of $streams streams: $(echo "$leaks" | head -5)"

echo "security: $pass passed, $fail failed"
[ "$fail" = 0 ]
