#!/bin/sh
# End-to-end tests of "prompteval run" against the fake LLM server: each
# provider's wire format, retries honouring Retry-After (timed by the
# server's own clock), no successful request made twice under injected
# faults, the cache, --offline, quota errors, resume after kill -9, the
# exec provider (exit statuses, signals, timeouts, large output before
# input, argv-list aliases, exec jobs side by side and beside HTTP), the
# checks of the call (latency, cost, finish_reason), and that an API key
# never reaches any output.
#
# usage: tests/run-tests.sh PROMPTEVAL FAKELLM
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
KEY=sk-canary-7f3a9c1e
export OPENAI_API_KEY=$KEY ANTHROPIC_API_KEY=$KEY GEMINI_API_KEY=$KEY
PROMPT=tests/fixtures/run/plan.prompt.yml

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # name, then a python3 expression over d (results.json) and s (stats)
	name=$1
	shift
	if python3 - "$@" <<'PY'
import json, sys
res, stats, expr = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(res)) if res != "-" else None
s = json.loads(open(stats).read()) if stats != "-" else None
rows = d["results"] if d else []
ok = eval(expr)
if not ok:
    print("  assertion failed:", expr)
    print("  rows:", [(r["case"], r["model"], r["status"], r["error"]) for r in rows][:8])
sys.exit(0 if ok else 1)
PY
	then ok "$name"; else bad "$name"; fi
}
stats() { fake_get /_stats >"$work/stats.json"; echo "$work/stats.json"; }

# 1. Each provider: request accepted, answer parsed, metadata recorded.
fake_start
fake_config "$work/pe.yml"
for p in openai anthropic gemini ollama; do
	"$PE" run -q -c "$work/pe.yml" -m "$p:sim-strong" -o "$work/$p" \
		--cache-dir "$work/cache-$p" "$PROMPT" >"$work/$p.out" 2>"$work/$p.err"
	status=$?
	check "$p: 4 answers parsed (exit $status)" "$work/$p/results.json" - \
		"len(rows)==4 and all(r['status']!='error' and r['call']['http_status']==200 and r['call']['tokens_in']>0 and r['call']['tokens_out']>0 and r['call']['finish_reason'] and r['call']['served_model'] and len(r['output'])>200 for r in rows)"
done
fake_stop

# 2. Retry-After: the retry comes no earlier than the server asked.
cat >"$work/script.jsonl" <<'S'
{"times": 1, "status": 429, "headers": {"Retry-After": "1"}}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -j 1 --filter '^users$' \
	-o "$work/retry" --no-cache "$PROMPT" >/dev/null 2>&1
fake_get /_log >"$work/log.jsonl"
python3 - "$work/log.jsonl" <<'PY' && ok "retry waited for Retry-After (server clock)" || bad "retry waited for Retry-After"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
api = [e for e in log if not e["path"].startswith("/_")]
assert len(api) == 2, api
assert api[0]["status"] == 429 and api[1]["status"] == 200, api
gap = api[1]["t_ms"] - api[0]["t_ms"]
assert 1000 <= gap < 4000, gap
PY
check "retried case passed with 2 attempts" "$work/retry/results.json" - \
	"len(rows)==1 and rows[0]['call']['attempts']==2 and rows[0]['status']!='error'"
fake_stop

# 3. Faults: nothing lost, no successful request made twice.
fake_start --fault-429 0.2 --fault-500 0.05 --fault-drop 0.05 \
	--fault-truncate 0.03 --retry-after 0 --seed 7
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-a -m openai:sim-b \
	-m openai:sim-strong -m openai:sim-weak -t 0,0.5 -n 3 --retries 8 \
	-o "$work/faults" --cache-dir "$work/cache-faults" "$PROMPT" \
	>/dev/null 2>"$work/faults.err"
fake_get /_log >"$work/log.jsonl"
check "faults: all 96 jobs finished, none in error" "$work/faults/results.json" - \
	"len(rows)==96 and not [r for r in rows if r['status']=='error'] and len(set(r['id'] for r in rows))==96"
python3 - "$work/log.jsonl" <<'PY' && ok "faults: faults were injected and every request body succeeded at most as often as it was asked for" || bad "faults: a successful request was repeated"
import json, sys, collections
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
api = [e for e in log if not e["path"].startswith("/_")]
faults = sum(1 for e in api if e["fault"])
ok200 = collections.Counter(e["body_hash"] for e in api if e["status"] == 200 and not e["fault"])
# Every repeat is a call of its own, at temperature 0 too: the body is
# the same for the 3 repeats (the repeat index is in the cache key, not
# in the request), so a body succeeds at most 3 times.
assert faults > 10, faults
assert max(ok200.values()) <= 3, ok200.most_common(3)
assert sum(ok200.values()) == 4 * 4 * (3 + 3), sum(ok200.values())
PY

# 4. A cached rerun makes no request.
before=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
"$PE" run -q -c "$work/pe.yml" -m openai:sim-a -m openai:sim-b \
	-m openai:sim-strong -m openai:sim-weak -t 0,0.5 -n 3 \
	-o "$work/cached" --cache-dir "$work/cache-faults" "$PROMPT" >/dev/null 2>&1
after=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
[ -n "$before" ] && [ "$before" = "$after" ] && ok "cached rerun made 0 requests" || bad "cached rerun made $((after - before)) requests"
check "cached rerun: same verdicts, all from the cache" "$work/cached/results.json" - \
	"len(rows)==96 and all(r['call']['cached'] for r in rows) and [r['status'] for r in rows]==[r['status'] for r in json.load(open('$work/faults/results.json'))['results']]"

# 4b. Repeats are samples (issue 12): 2 models x 2 temperatures x 3
# repeats of 4 cases are 48 jobs, and on a cold cache 48 requests, none
# from the cache, the repeats at temperature 0 included; a rerun of the
# same command replays all 48 and sends nothing.  The server still injects
# faults, so successful replies are counted (each success answers one job).
samples() { # out dir
	"$PE" run -q -c "$work/pe.yml" -m openai:sim-a -m openai:sim-b \
		-t 0,0.7 -n 3 -o "$1" --cache-dir "$work/cache-samples" "$PROMPT" \
		>/dev/null 2>&1
}
successes() { fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["successes"])'; }
before=$(successes)
samples "$work/samples"
after=$(successes)
[ $((after - before)) = 48 ] && ok "repeats: -n 3 on a cold cache got 48 answers from the server for 48 jobs" || bad "repeats: -n 3 on a cold cache got $((after - before)) answers from the server for 48 jobs"
check "repeats: no row from the cache on a cold cache, t=0 repeats included" "$work/samples/results.json" - \
	"len(rows)==48 and not [r for r in rows if r['call']['cached']] and sorted({r['repeat'] for r in rows if r['temperature']==0})==[0,1,2]"
before=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
samples "$work/samples-again"
after=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
[ "$before" = "$after" ] && ok "repeats: the rerun made 0 requests" || bad "repeats: the rerun made $((after - before)) requests"
check "repeats: the rerun replays every repeat from the cache, with the same answers" "$work/samples-again/results.json" - \
	"len(rows)==48 and all(r['call']['cached'] for r in rows) and [r['output'] for r in rows]==[r['output'] for r in json.load(open('$work/samples/results.json'))['results']]"

# 5. --offline: a miss is an error and sends nothing.
before=$after
"$PE" run -q -c "$work/pe.yml" -m openai:sim-new --offline -o "$work/offline" \
	--cache-dir "$work/cache-empty" "$PROMPT" >/dev/null 2>&1
status=$?
after=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
[ $status = 2 ] && [ -n "$before" ] && [ "$before" = "$after" ] && ok "offline miss: exit 2, 0 requests" || bad "offline miss: exit $status, $((after - before)) requests"
check "offline miss: every case an error that says why" "$work/offline/results.json" - \
	"len(rows)==4 and all(r['status']=='error' and 'offline' in r['error'] for r in rows)"
fake_stop

# 6. Quota exhaustion is never retried.
fake_start --quota-after 0
fake_config "$work/pe.yml"
for p in openai gemini; do
	"$PE" run -q -c "$work/pe.yml" -m "$p:sim-strong" -o "$work/quota-$p" \
		--no-cache "$PROMPT" >/dev/null 2>&1
	status=$?
	check "$p quota: exit $status, one request per case, errors name the quota" "$work/quota-$p/results.json" "$(stats)" \
		"len(rows)==4 and all(r['status']=='error' and r['call']['attempts']==1 and 'quota' in r['error'].lower() for r in rows)"
	fake_get /_reset >/dev/null
done
fake_stop

# 7. kill -9 mid-run, then --resume: nothing lost, nothing repeated.
cat >"$work/script.jsonl" <<'S'
{"match": "events", "delay_ms": 600000}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
mkfifo "$work/err"
"$PE" run -q -v -c "$work/pe.yml" -m openai:sim-strong -m openai:sim-weak \
	-o "$work/resume" --cache-dir "$work/cache-resume" "$PROMPT" \
	>/dev/null 2>"$work/err" &
pid=$!
exec 3<"$work/err"
read_verdicts 6
exec 3<&-
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
python3 - "$work/resume/results.jsonl" <<'PY' && ok "after kill -9 the journal holds 6 valid lines" || bad "journal after kill -9"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 6, len(lines)
for l in lines:
    json.loads(l)
PY
cat >"$work/script.jsonl" <<'S'
S
fake_stop
fake_start
fake_config "$work/pe.yml"
"$PE" run -q --resume -c "$work/pe.yml" -m openai:sim-strong -m openai:sim-weak \
	-o "$work/resume" --cache-dir "$work/cache-resume" "$PROMPT" >/dev/null 2>&1
check "resume: 8 jobs, each once, 2 requests sent" "$work/resume/results.json" "$(stats)" \
	"len(rows)==8 and len(set(r['id'] for r in rows))==8 and s['requests']==2 and not [r for r in rows if r['status']=='error']"
fake_stop

# 7b. The first SIGINT stops sending, finishes what is in flight, writes
# partial results and exits 2.
fake_start --latency-ms 300
fake_config "$work/pe.yml"
mkfifo "$work/err2"
"$PE" run -q -v -c "$work/pe.yml" -m openai:sim-strong -m openai:sim-weak \
	-j 2 -o "$work/int" --no-cache "$PROMPT" >"$work/int.out" 2>"$work/err2" &
pid=$!
exec 3<"$work/err2"
read_verdicts 2
kill -INT $pid
cat <&3 >/dev/null
exec 3<&-
wait $pid
status=$?
[ $status = 2 ] && ok "SIGINT: exit 2" || bad "SIGINT: exit $status"
check "SIGINT: partial results written, in-flight requests finished" "$work/int/results.json" "$(stats)" \
	"2 <= len(rows) < 8 and len(rows) == s['requests'] and 'interrupted' in open('$work/int.out').read()"
fake_stop

# 7c. requests_per_minute paces requests (server clock).
fake_start
fake_config "$work/pe.yml"
sed -i '3a\    requests_per_minute: 120' "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -j 8 -o "$work/rpm" \
	--no-cache "$PROMPT" >/dev/null 2>&1
fake_get /_log >"$work/log.jsonl"
python3 - "$work/log.jsonl" <<'PY' && ok "requests_per_minute 120: 4 requests spread over >= 0.9 s" || bad "requests_per_minute not honoured"
import json, sys
api = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
api = [e for e in api if not e["path"].startswith("/_")]
assert len(api) == 4, len(api)
assert api[-1]["t_ms"] - api[0]["t_ms"] >= 900, [e["t_ms"] for e in api]
PY
fake_stop

# 7d. x-ratelimit-remaining-requests: 0 pauses sending until the reset,
# before any 429 arrives.
cat >"$work/script.jsonl" <<'S'
{"times": 1, "reply": "## Migration Strategy\n**a**\n## Phase Plan\n## Risk Register\n", "headers": {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"}}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -j 1 --filter '^(users|orders)$' \
	-o "$work/pace" --no-cache "$PROMPT" >/dev/null 2>&1
fake_get /_log >"$work/log.jsonl"
python3 - "$work/log.jsonl" <<'PY' && ok "x-ratelimit-remaining-requests 0: the next request waits for the reset" || bad "rate-limit headers not honoured"
import json, sys
api = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
api = [e for e in api if not e["path"].startswith("/_")]
assert len(api) == 2 and all(e["status"] == 200 for e in api), api
assert api[1]["t_ms"] - api[0]["t_ms"] >= 950, [e["t_ms"] for e in api]
PY
fake_stop

# 7e. Four shards, merged, equal an unsharded run; merge refuses pieces
# that do not fit.
fake_start
fake_config "$work/pe.yml"
shardrun() { # out dir, then extra options
	o=$1
	shift
	"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -m openai:sim-weak \
		-m openai:sim-a -t 0 -n 2 --no-cache -o "$o" "$@" "$PROMPT" \
		>/dev/null 2>&1
}
shardrun "$work/all"
for k in 1 2 3 4; do shardrun "$work/shard$k" --shard $k/4; done
"$PE" merge -o "$work/merged.json" "$work"/shard*/results.json >/dev/null
status=$?
python3 - "$work/all/results.json" "$work/merged.json" <<'PY' && [ $status = 0 ] && ok "4 shards merged equal the unsharded run" || bad "shard/merge equivalence (merge exit $status)"
import json, sys
def norm(path):
    d = json.load(open(path))
    for r in d["results"]:
        del r["call"]["first_byte_ms"], r["call"]["total_ms"]
    return d
a, b = norm(sys.argv[1]), norm(sys.argv[2])
assert len(a["results"]) == 24, len(a["results"])
assert a == b
PY
"$PE" merge -o "$work/m.json" "$work/shard1/results.json" "$work/shard2/results.json" \
	"$work/shard4/results.json" >/dev/null 2>"$work/m.err"
status=$?
[ $status = 3 ] && grep -q "shard 3 of 4 is missing" "$work/m.err" && ok "merge: a missing shard is an error" || bad "merge: missing shard (exit $status)"
"$PE" merge -o "$work/m.json" "$work"/shard*/results.json "$work/shard2/results.json" \
	>/dev/null 2>"$work/m.err"
status=$?
[ $status = 3 ] && grep -q "shard 2 is given twice" "$work/m.err" && ok "merge: a doubled shard is an error" || bad "merge: doubled shard (exit $status)"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -t 0 --no-cache --shard 1/4 \
	-o "$work/other" "$PROMPT" >/dev/null 2>&1
"$PE" merge -o "$work/m.json" "$work/other/results.json" "$work/shard2/results.json" \
	"$work/shard3/results.json" "$work/shard4/results.json" >/dev/null 2>"$work/m.err"
status=$?
[ $status = 3 ] && grep -q "comes from another plan" "$work/m.err" && ok "merge: a shard of another plan is an error" || bad "merge: other plan (exit $status)"
JOB_COMPLETION_INDEX=2 "$PE" run --dry-run --shard-count 4 -m openai:sim-strong \
	-c "$work/pe.yml" "$PROMPT" | grep -q "shard 3 of 4" &&
	SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=4 "$PE" run \
	--dry-run -m openai:sim-strong -c "$work/pe.yml" "$PROMPT" | grep -q "shard 2 of 4" &&
	CI_NODE_INDEX=4 CI_NODE_TOTAL=4 "$PE" run --dry-run -m openai:sim-strong \
	-c "$work/pe.yml" "$PROMPT" | grep -q "shard 4 of 4" &&
	ok "shards from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID and CI_NODE_INDEX" ||
	bad "shards from the environment"
fake_stop

# 7f. run -f json,jsonl keeps every row's latencies in results.json and
#     results.jsonl (the json report used to write them as null).  The
#     server waits 20 ms; 15 leaves room for the two clocks' grain.
fake_start --latency-ms 20
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -f json,jsonl \
	-o "$work/fmt" --no-cache "$PROMPT" >/dev/null 2>&1
check "run -f json: every row keeps total_ms and first_byte_ms" "$work/fmt/results.json" - \
	"len(rows)==4 and all(r['call']['total_ms'] and r['call']['total_ms']>=15 and r['call']['first_byte_ms'] is not None for r in rows) and d['plan'] and len(d['plan']['id'])==64"
python3 - "$work/fmt/results.jsonl" <<'PY' && ok "run -f jsonl: every line keeps total_ms" || bad "run -f jsonl lost total_ms"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == 4 and all(r["call"]["total_ms"] >= 15 for r in rows), rows
PY
fake_stop

# 7g. The progress line counts skipped cases as skips, not failures.
cat >"$work/skipped.prompt.yml" <<'P'
name: Skipped
messages:
  - {role: user, content: "Plan {{t}}."}
testData: [{id: a, vars: {t: x}}, {id: b, vars: {t: y}}, {id: c, vars: {t: z}}]
evaluators:
  - {name: gdpr, rule: "It mentions GDPR."}
P
"$PE" run -m echo: --no-cache -o "$work/skip" "$work/skipped.prompt.yml" \
	>/dev/null 2>"$work/skip.err"
status=$?
tail -1 "$work/skip.err" | grep -q "^3/3 done, 0 pass, 0 fail, 3 ungraded, 0 error," &&
	[ $status = 2 ] && ok "progress: ungraded cases counted as ungraded, not failed; exit 2" ||
	bad "progress line (exit $status): $(tail -1 "$work/skip.err")"

# 7h. A second SIGINT ends the run at once, while requests are in flight,
#     and still writes the partial results, with exit status 2.  The
#     first job answers at once (its -v line says the run is under way),
#     the others take 10 minutes.
cat >"$work/script.jsonl" <<'S'
{"match": "users", "delay_ms": 0}
{"delay_ms": 600000}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
rm -f "$work/err3"
mkfifo "$work/err3"
"$PE" run -q -v -c "$work/pe.yml" -m openai:sim-strong -j 2 -o "$work/int2" \
	--no-cache "$PROMPT" >/dev/null 2>"$work/err3" &
pid=$!
exec 3<"$work/err3"
read_verdicts 1
kill -INT $pid
read_until interrupted:
kill -INT $pid
cat <&3 >/dev/null
exec 3<&-
wait $pid
status=$?
[ $status = 2 ] && ok "SIGINT twice: the run ends at once (status 2)" ||
	bad "SIGINT twice: exit $status, line '$line'"
check "SIGINT twice: partial results say 1 of 4 jobs" "$work/int2/results.json" - \
	"len(rows)==1 and d['partial']=={'finished':1,'jobs':4}"
fake_stop

# 7i. merge never replaces what is not a regular file: a FIFO is written
#     through, /dev/full fails with a message and stays a device.
rm -f "$work/fifo"
mkfifo "$work/fifo"
cat "$work/fifo" >"$work/fifo.out" &
reader=$!
"$PE" merge -o "$work/fifo" "$work/all/results.json" >/dev/null 2>&1
status=$?
wait $reader
[ $status = 0 ] && [ -p "$work/fifo" ] && python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))['results'])==24" "$work/fifo.out" &&
	ok "merge -o FIFO: written through, still a FIFO" || bad "merge -o FIFO (exit $status)"
if [ -c /dev/full ] && [ -w /dev/full ]; then
	"$PE" merge -o /dev/full "$work/all/results.json" >/dev/null 2>"$work/full.err"
	status=$?
	if [ -c /dev/full ]; then
		[ $status = 5 ] && grep -q "cannot write /dev/full: No space left on device" "$work/full.err" &&
			ok "merge -o /dev/full: exit 5 with a message, still a device" ||
			bad "merge -o /dev/full: exit $status: $(cat "$work/full.err")"
	else
		bad "merge -o /dev/full replaced the device (recreate it: mknod -m 666 /dev/full c 1 7)"
	fi
fi

# 8. exec: argv given directly, request on stdin, answer on stdout.
"$PE" run -q -m 'exec:tests/fixtures/exec-answer.sh $HOME a;b' -o "$work/exec" \
	--no-cache "$PROMPT" >/dev/null 2>"$work/exec.err"
check "exec: answers scored, arguments unexpanded" "$work/exec/results.json" - \
	"len(rows)==4 and all(r['status']=='pass' and 'args: \$HOME|a;b' in r['output'] for r in rows)"
"$PE" run -q -m 'exec:tests/fixtures/no-such-program' -o "$work/exec2" \
	--no-cache --filter '^users$' "$PROMPT" >/dev/null 2>&1
check "exec: a missing program is an error for the case" "$work/exec2/results.json" - \
	"len(rows)==1 and rows[0]['status']=='error' and 'exec' in rows[0]['error']"

# 8a. exec: exit statuses and signals in the error, a timeout kills the
#     program, and a program that writes 1 MiB before reading a large
#     input does not deadlock.
"$PE" run -q -m 'exec:tests/fixtures/exec-status.sh exit 3' -o "$work/ex3" \
	--no-cache --filter '^users$' "$PROMPT" >/dev/null 2>&1
check "exec: a non-zero exit is an error with its status" "$work/ex3/results.json" - \
	"len(rows)==1 and rows[0]['error']=='exec tests/fixtures/exec-status.sh: exited with status 3'"
"$PE" run -q -m 'exec:tests/fixtures/exec-status.sh kill' -o "$work/exk" \
	--no-cache --filter '^users$' "$PROMPT" >/dev/null 2>&1
check "exec: a program killed by a signal names the signal" "$work/exk/results.json" - \
	"len(rows)==1 and rows[0]['error']=='exec tests/fixtures/exec-status.sh: killed by signal 9 (SIGKILL)'"
"$PE" run -q -m "exec:tests/fixtures/exec-status.sh hang $work/hang.pid" -o "$work/exh" \
	--timeout 0.5 --no-cache --filter '^users$' "$PROMPT" >/dev/null 2>&1
hung=$(cat "$work/hang.pid" 2>/dev/null)
if [ -n "$hung" ] && ! kill -0 "$hung" 2>/dev/null; then
	check "exec: the timeout kills and reaps the program" "$work/exh/results.json" - \
		"len(rows)==1 and rows[0]['error']=='exec tests/fixtures/exec-status.sh: timed out after 0.5 s'"
else
	bad "exec: the timed-out program ($hung) is still running"
fi
python3 - "$work/big.prompt.yml" <<'PY'
import sys
text = open("tests/fixtures/run/plan.prompt.yml").read()
text = text.replace('content: "Plan the migration of {{table}} ({{rows}} rows)."',
                    'content: "' + "y" * (1 << 20) + '"')
open(sys.argv[1], "w").write(text)
PY
"$PE" run -q -m 'exec:tests/fixtures/exec-status.sh flood' -o "$work/exf" \
	--timeout 60 --no-cache --filter '^users$' "$work/big.prompt.yml" >/dev/null 2>&1
check "exec: 1 MiB written before a 1 MiB input is read does not deadlock" "$work/exf/results.json" - \
	"len(rows)==1 and rows[0]['status']=='pass' and rows[0]['output'].startswith('x'*(1<<20)) and int(rows[0]['output'].split('input: ')[1].split()[0]) > (1<<20)"

# 8b. exec: an alias whose command is an argv list keeps an argument with
#     spaces whole; a bad alias shape is a positioned error.
cat >"$work/argv.yml" <<'CFG'
aliases:
  checker:
    exec: [tests/fixtures/exec-answer.sh, "two words", "a;b"]
CFG
"$PE" run -q -c "$work/argv.yml" -m checker -o "$work/exa" --no-cache \
	--filter '^users$' "$PROMPT" >/dev/null 2>&1
check "exec: an argv-list alias passes an argument with spaces whole" "$work/exa/results.json" - \
	"len(rows)==1 and rows[0]['status']=='pass' and 'args: two words|a;b' in rows[0]['output'] and rows[0]['model']==\"exec:tests/fixtures/exec-answer.sh 'two words' a;b\""
printf 'aliases:\n  a: {exec: prog}\n  b: {exec: [prog, {x: 1}]}\n  c: {shell: [prog]}\n' >"$work/badargv.yml"
"$PE" run -q -c "$work/badargv.yml" -m echo: -o "$work/exb" "$PROMPT" >/dev/null 2>"$work/badargv.err"
status=$?
[ $status = 3 ] && grep -q "badargv.yml:2:13: error: alias 'a': 'exec' must be a list" "$work/badargv.err" &&
	grep -q "badargv.yml:3:20: error: alias 'b': each item of 'exec' must be text" "$work/badargv.err" &&
	grep -q "badargv.yml:4:7: error: alias 'c' must name a provider:model or give a command as { exec: \[PROGRAM, ARGS...\] }" "$work/badargv.err" &&
	ok "exec: bad argv-list aliases are positioned errors, exit 3" ||
	bad "exec: bad argv aliases (exit $status): $(cat "$work/badargv.err")"

# 8c. exec jobs run side by side and beside HTTP requests: each program
#     waits until every exec job has started and every HTTP job has
#     finished, which only a loop that drives both at once can satisfy.
fake_start
fake_config "$work/pe.yml"
bar="$work/bar"
mkdir "$bar"
mkfifo "$bar/arrive" "$bar/release" "$bar/err"
"$PE" run -q -v -c "$work/pe.yml" -m openai:sim-strong \
	-m "exec:tests/fixtures/exec-barrier.py $bar" -n 2 -t 0.5 -j 16 \
	--timeout 60 -o "$work/conc" --no-cache "$PROMPT" >/dev/null 2>"$bar/err" &
pid=$!
python3 - "$bar" <<'PY' && ok "exec: 8 programs ran at once while 8 HTTP requests finished" || bad "exec jobs did not overlap each other and HTTP"
import os, select, sys
d = sys.argv[1]
arrive = os.open(os.path.join(d, "arrive"), os.O_RDWR)
err = os.open(os.path.join(d, "err"), os.O_RDONLY)
arrived = http_done = 0
release = None
pending = b""
while True:
    ready, _, _ = select.select([arrive, err], [], [], 60)
    if not ready:
        sys.exit("stuck: %d arrived, %d HTTP jobs done" % (arrived, http_done))
    if arrive in ready:
        arrived += len(os.read(arrive, 64))
    if err in ready:
        chunk = os.read(err, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        http_done += sum(1 for l in lines if b"[openai:sim-strong]" in l)
    if release is None and arrived == 8 and http_done == 8:
        release = os.open(os.path.join(d, "release"), os.O_RDWR)
        os.write(release, b"x" * 8)
sys.exit(0 if release is not None and arrived == 8 else "released: %s" % release)
PY
wait $pid
check "exec and HTTP side by side: 16 jobs, none in error" "$work/conc/results.json" - \
	"len(rows)==16 and not [r for r in rows if r['status']=='error'] and all(r['status']=='pass' for r in rows if r['model'].startswith('exec:'))"
fake_stop

# 8d. Prices and gates from the configuration: cost in the reports, the
#     --max-cost gate checked against it, and options overriding the file.
fake_start
fake_config "$work/gates.yml"
cat >>"$work/gates.yml" <<'CFG'
prices:
  openai:sim-strong: { input: 1000, output: 2000 }
gates:
  max_cost: 0.000001
  min_pass_rate: 0.2
CFG
"$PE" run -c "$work/gates.yml" -m openai:sim-strong -o "$work/g1" -f csv,md \
	--cache-dir "$work/cache-g" "$PROMPT" >"$work/g1.out" 2>&1
status=$?
[ $status = 1 ] && tail -n 1 "$work/g1.out" | grep -q "^gate failed: --max-cost 1e-06 (spent [0-9.]* USD; [0-9.]* USD to reproduce)" &&
	grep -q "^gate passed: --min-pass-rate 0.20" "$work/g1.out" &&
	ok "config gates: --max-cost fails on the priced cost, exit 1, named last" ||
	bad "config gates: max-cost (exit $status): $(tail -n 2 "$work/g1.out")"
grep -A 4 "^### Cost against pass rate" "$work/g1/report.md" |
	grep -Eq '^\| openai:sim-strong \| [0-9]+\.[0-9]{4} \| [0-9]+\.[0-9]{6} \| [0-9.]+% \|' &&
	ok "report.md: cost against pass rate from the configuration's prices" ||
	bad "report.md: no cost section: $(grep -A 3 Cost "$work/g1/report.md")"
"$PE" run -c "$work/gates.yml" --max-cost 1000 -m openai:sim-strong -o "$work/g2" \
	--cache-dir "$work/cache-g" "$PROMPT" >"$work/g2.out" 2>&1
status=$?
[ $status = 0 ] && grep -q "^gate passed: --max-cost 1000 (spent" "$work/g2.out" &&
	ok "config gates: an option overrides the configuration's gate" ||
	bad "config gates: override (exit $status): $(tail -n 2 "$work/g2.out")"
"$PE" report -f md -o "$work/g4" "$work/g2/results.json" >/dev/null 2>&1
# Cost prices what was spent (issue 12): an --offline replay of those
# answers sent nothing, so it passes the configuration's --max-cost of
# 1e-06 USD that the run which made the calls failed; the summary and
# report.md say both what was spent and what reproducing costs.
before=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
"$PE" run -c "$work/gates.yml" --offline -m openai:sim-strong -o "$work/g3" -f md \
	--cache-dir "$work/cache-g" "$PROMPT" >"$work/g3.out" 2>&1
status=$?
after=$(fake_get /_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
[ $status = 0 ] && [ "$before" = "$after" ] &&
	grep -Eq '^gate passed: --max-cost 1e-06 \(spent 0\.000000 USD; [0-9]+\.[0-9]{6} USD to reproduce\)$' "$work/g3.out" &&
	grep -Eq '^cost: 0\.000000 USD spent now \(0 of 4 calls made\), [0-9]+\.[0-9]{6} USD to reproduce$' "$work/g3.out" &&
	grep -Eq '^\*\*Cost\*\*: 0\.000000 USD spent now \(0 of 4 calls made\), [0-9]+\.[0-9]{6} USD to reproduce$' "$work/g3/report.md" &&
	grep -Eq '^cost: [0-9]+\.[0-9]{6} USD spent now \(4 of 4 calls made\)' "$work/g1.out" &&
	ok "cost: an --offline replay spent nothing and passes --max-cost; both figures in the summary and report.md" ||
	bad "cost: offline replay (exit $status, $((after - before)) requests): $(grep -E '^(cost|gate)' "$work/g3.out")"
[ -s "$work/g4/report.md" ] && ! grep -q "Cost against" "$work/g4/report.md" &&
	ok "report.md without prices has no cost section" ||
	bad "report.md without prices: $(grep -A 3 Cost "$work/g4/report.md" 2>&1)"
"$PE" report -c "$work/gates.yml" "$work/g2/results.json" >"$work/g3.out" 2>&1 &&
	grep -A 2 "^cost vs pass rate:" "$work/g3.out" | grep -Eq "^  openai:sim-strong +[0-9]+\.[0-9]{4} " &&
	ok "report -c: the configuration's prices give the cost against pass rate" ||
	bad "report -c: no cost in $(cat "$work/g3.out")"
printf 'prices:\n  gpt-x: { input: 1 }\ngates:\n  fail_on: regresion\n' >"$work/bad.yml"
"$PE" report -c "$work/bad.yml" "$work/g2/results.json" >/dev/null 2>"$work/bad.err"
status=$?
[ $status = 3 ] && grep -q "bad.yml:2:10: error: .*needs both 'input' and 'output'" "$work/bad.err" &&
	grep -q "bad.yml:4:12: error: 'fail_on' must be" "$work/bad.err" &&
	ok "config prices and gates: positioned errors, exit 3" ||
	bad "config errors (exit $status): $(cat "$work/bad.err")"
fake_stop

# 8e. A script rule whose match is an array applies only to requests that
#     hold every substring (make demo relies on it).
cat >"$work/script.jsonl" <<'S'
{"match": ["\"model\":\"sim-strong\"", "\"temperature\":0.8"], "reply": "## 1. Scripted\n\nonly strong at 0.8"}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -m openai:sim-weak -t 0,0.8 \
	-o "$work/arr" --no-cache "$PROMPT" >/dev/null 2>&1
check "fakellm: an array match needs every substring" "$work/arr/results.json" - \
	"len(rows)==16 and all((r['output']=='## 1. Scripted\n\nonly strong at 0.8')==(r['model']=='openai:sim-strong' and r['temperature']==0.8) for r in rows)"
fake_stop

# 8f. --org sends GitHub Models requests to the organization's endpoint
#     (/orgs/ORG/inference/chat/completions); without it they go to
#     /inference/chat/completions.
fake_start
printf 'providers:\n  github:\n    base_url: %s/inference\n' "$FAKE_URL" >"$work/gh.yml"
"$PE" run -q -c "$work/gh.yml" -m github:sim/strong --org my-org.team_1 \
	--filter '^users$' -o "$work/org" --no-cache "$PROMPT" >/dev/null 2>&1
status=$?
"$PE" run -q -c "$work/gh.yml" -m github:sim/strong --filter '^users$' \
	-o "$work/no-org" --no-cache "$PROMPT" >/dev/null 2>&1
fake_get /_log >"$work/log.jsonl"
python3 - "$work/log.jsonl" <<'PY' && [ $status != 4 ] && ok "--org: the request went to /orgs/my-org.team_1/inference/chat/completions" || bad "--org: wrong request path (exit $status): $(cat "$work/log.jsonl")"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
api = [e for e in log if not e["path"].startswith("/_")]
assert [e["path"] for e in api] == ["/orgs/my-org.team_1/inference/chat/completions", "/inference/chat/completions"], api
assert all(e["status"] == 200 for e in api), api
PY
check "--org: the answer was read" "$work/org/results.json" - \
	"len(rows)==1 and rows[0]['status']!='error' and len(rows[0]['output'])>200"
"$PE" run -q -c "$work/gh.yml" -m openai:sim-strong --org my-org \
	-o "$work/org-openai" --no-cache "$PROMPT" >/dev/null 2>"$work/org.err"
status=$?
[ $status = 4 ] && grep -q -- "--org applies to GitHub Models only" "$work/org.err" &&
	[ ! -e "$work/org-openai" ] &&
	ok "--org without a github model: usage error, nothing sent" ||
	bad "--org without a github model: exit $status, $(cat "$work/org.err")"
fake_stop

# 8g. LLM judges against the fake server, answering as both the model and
#     the judge of gh-models' sample prompt: the rows' judge objects name
#     the judge model, with score as with run; the judges' tokens and cost
#     are printed apart from the answers', and --max-cost adds them up.
SAMPLE=../shared/conformance/gh-models-examples/sample_prompt.yml
cat >"$work/script.jsonl" <<'S'
{"match": "similarity to a reference", "reply": "Rating: 5"}
{"match": "respond to this message appropriately", "reply": "hello and goodbye"}
S
fake_start --script "$work/script.jsonl"
printf 'providers:\n  github:\n    base_url: %s\n' "$FAKE_URL" >"$work/judge.yml"
printf '%s\n' '{"prompt": "Sample Evaluation", "case": 0, "output": "hello"}' \
	'{"prompt": "Sample Evaluation", "case": 1, "output": "goodbye"}' \
	>"$work/judge-responses.jsonl"
"$PE" score -q -c "$work/judge.yml" --judge-model github:openai/gpt-4o \
	--no-cache -r "$work/judge-responses.jsonl" -o "$work/judge-score" \
	"$SAMPLE" >"$work/judge-score.out" 2>&1
status=$?
check "score: each judged row names its judge model (exit $status)" "$work/judge-score/results.json" - \
	"len(rows)==2 and all(r['judge']['calls']==1 and r['judge']['model']=='github:openai/gpt-4o' and r['judge']['tokens_in']>0 for r in rows)"
grep -Eq '^judges: 2 calls, [1-9][0-9]* tokens in, [1-9][0-9]* out$' "$work/judge-score.out" &&
	ok "score: the judges' line, without prices no cost" ||
	bad "score: judges' line: $(cat "$work/judge-score.out")"
# The one model answers and judges, at $1 per million tokens: some 70
# tokens for the answers and 330 for the judges.
cp "$work/judge.yml" "$work/judge-prices.yml"
cat >>"$work/judge-prices.yml" <<'CFG'
prices:
  github:openai/gpt-4o: { input: 1, output: 1 }
CFG
"$PE" run -c "$work/judge.yml" -q --no-cache -o "$work/judge-run" \
	--max-cost 1000 "$SAMPLE" >"$work/judge-run.out" 2>&1
status=$?
[ $status = 2 ] && grep -Eq '^judges: 2 calls, [1-9][0-9]* tokens in, [1-9][0-9]* out$' "$work/judge-run.out" &&
	grep -q '^gate not checked: --max-cost 1000 (not every model has a price' "$work/judge-run.out" &&
	tail -1 "$work/judge-run.out" | grep -q '^not every gate was checked: ' &&
	ok "run: the judges' line after the summary, the cost gate not checked without prices (exit 2, never 0)" ||
	bad "run: judges without prices (exit $status): $(cat "$work/judge-run.out")"
"$PE" run -c "$work/judge-prices.yml" -q --no-cache -o "$work/judge-run2" \
	--max-cost 0.0001 "$SAMPLE" >"$work/judge-run2.out" 2>&1
status=$?
[ $status = 1 ] && grep -Eq '^judges: 2 calls, [1-9][0-9]* tokens in, [1-9][0-9]* out, 0\.000[0-9]{3} USD$' "$work/judge-run2.out" &&
	tail -n 1 "$work/judge-run2.out" | grep -Eq '^gate failed: --max-cost 0.0001 \(spent 0\.000[0-9]{3} USD: answers 0\.0000[0-9]{2}, judges 0\.000[0-9]{3}; 0\.000[0-9]{3} USD to reproduce\)$' &&
	ok "run: the judges' tokens priced apart, and --max-cost counts them" ||
	bad "run: judge cost (exit $status): $(cat "$work/judge-run2.out")"
check "results.json: the summary counts the judges' calls and tokens" "$work/judge-run2/results.json" - \
	"d['summary']['judge']=={'calls':2,'tokens_in':sum(r['judge']['tokens_in'] for r in rows),'tokens_out':sum(r['judge']['tokens_out'] for r in rows)} and all(r['judge']['model']=='github:openai/gpt-4o' for r in rows)"
fake_stop

# 8h. The checks of the call: latency (the fake server answers "coffee"
#     2.5 s late), cost (the configuration's prices) and finish_reason (a
#     "cocoa" answer cut off by the token limit); from the cache a latency
#     is not known and the case is ungraded, and without a price neither
#     is the cost.
# start_priced: starts the server with $work/script.jsonl and writes
# $work/pe.yml and $work/priced.yml, the same with a price for
# openai:sim-strong.
start_priced() {
	fake_start --script "$work/script.jsonl"
	fake_config "$work/pe.yml"
	cp "$work/pe.yml" "$work/priced.yml"
	cat >>"$work/priced.yml" <<'CFG'
prices:
  openai:sim-strong: { input: 0.15, output: 0.60 }
CFG
}

cat >"$work/script.jsonl" <<'S'
{"match": "coffee", "delay_ms": 2500}
{"match": "cocoa", "body": "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"sim-strong\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Cocoa is a\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}"}
S
start_priced
CALL=tests/fixtures/run/call.prompt.yml
"$PE" run -q -c "$work/priced.yml" -o "$work/call" --cache-dir "$work/cache-call" \
	"$CALL" >/dev/null 2>&1
status=$?
check "call checks: a quick whole answer passes, a late one and a cut one fail (exit $status)" "$work/call/results.json" - \
	"$status==1 and [r['status'] for r in rows]==['pass','fail','fail'] and [[e['status'] for e in r['evaluators']] for r in rows]==[['pass','pass','pass'],['fail','pass','pass'],['pass','pass','fail']] and rows[1]['evaluators'][0]['reason'].startswith('latency ') and rows[1]['evaluators'][0]['reason'].endswith('ms (need at most 1500 ms)') and rows[2]['evaluators'][2]['reason']==\"finish reason 'length' (need stop)\" and rows[2]['evaluators'][1]['reason']=='cost 0.000004 USD (at most 0.010000): 12 tokens in, 3 out'"
"$PE" run -q -c "$work/pe.yml" -o "$work/call-cached" --cache-dir "$work/cache-call" \
	"$CALL" >"$work/call-cached.out" 2>&1
status=$?
check "call checks from the cache: no latency and no price, so ungraded, never passed (exit $status)" "$work/call-cached/results.json" - \
	"$status==2 and [r['status'] for r in rows]==['ungraded','ungraded','fail'] and all(r['call']['cached'] for r in rows) and rows[0]['evaluators'][0]['reason']=='the answer came from the cache, so its call was not timed' and rows[0]['evaluators'][1]['reason']==\"no price for openai:sim-strong in the configuration's prices\""
fake_stop

# 8g. A server that sends no usage: the call's cost is not known, so
# --max-cost is not checked, and that exits 2, never 0.
cat >"$work/script.jsonl" <<'S'
{"body": "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"sim-strong\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"plan\"},\"finish_reason\":\"stop\"}]}"}
S
start_priced
"$PE" run -q -c "$work/priced.yml" -m openai:sim-strong -o "$work/nousage" \
	--no-cache --max-cost 0.0000001 "$PROMPT" >"$work/nousage.out" 2>&1
status=$?
[ $status = 2 ] &&
	grep -q '^gate not checked: --max-cost 1e-07 (not every model has a price, or a call reported no token counts' "$work/nousage.out" &&
	tail -1 "$work/nousage.out" | grep -q '^not every gate was checked: ' &&
	ok "run: a server that reports no tokens leaves --max-cost not checked (exit 2), not passed at 0 USD" ||
	bad "run: --max-cost without token counts (exit $status): $(cat "$work/nousage.out")"
fake_stop

# 9. The API key appears nowhere we write.
if grep -r -l -- "$KEY" "$work" >/dev/null 2>&1; then
	bad "the API key leaked into: $(grep -r -l -- "$KEY" "$work" | head -3)"
else
	ok "the API key is in no result, journal, cache file or captured output"
fi

echo "run: $pass passed, $fail failed"
[ "$fail" = 0 ]
