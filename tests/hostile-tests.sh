#!/bin/sh
# Hostile input and hostile ends, end to end:
#   1. bench/load.py --check: loading time and memory grow linearly (1x,
#      2x and 4x of ten shapes of large input), and each hostile input
#      (an alias bomb, 10,000-deep nesting, a 100 MB prompt file, a 15 MB
#      one with 500,000 cases, a NUL byte, invalid UTF-8, a catastrophic
#      regex, a million-row dataset) is a bounded, clear error or a
#      correct result;
#   2. exec: the timeout holds against a program that closed its stdout
#      or never reads its input, and nothing a program started outlives
#      it, whether it timed out or answered;
#   3. SIGTERM writes partial results that every report marks, exit 2;
#   4. temporary files a killed writer left in the cache and OUT are
#      removed by the next run, and nothing else is;
#   5. shards written with -f json keep their plan and merge;
#   6. a NUL in a model's answer (\u0000), plain and streamed, is kept
#      and checked past: "all good\u0000 forbidden" fails notContains.
# Waits read FIFOs and pipes, never the clock; `timeout` only bounds a
# wait that would hang if the code under test were wrong.
#
# usage: tests/hostile-tests.sh PROMPTEVAL FAKELLM [LOAD_SCALE]
#   LOAD_SCALE scales bench/load.py's sizes (default 1; 0.1 for a
#   sanitizer build).
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SCALE=${3:-1}
export FAKELLM
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
work=$(mktemp -d)
trap 'fake_stop; rm -rf "$work"' EXIT
pass=0
fail=0
PROMPT=tests/fixtures/run/plan.prompt.yml
EXEC=tests/fixtures/exec-status.sh

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # name, results.json, python3 expression over d and rows
	if python3 - "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["results"]
ok = eval(sys.argv[2])
if not ok:
    print("  assertion failed:", sys.argv[2])
    print("  rows:", [(r["case"], r["status"], r["error"], r["call"] and r["call"]["total_ms"]) for r in rows][:8])
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else bad "$1"; fi
}

# 1. Large and hostile input: figures, and bounds on them.
if python3 bench/load.py "$PE" --check --scale "$SCALE" >"$work/load.txt" 2>&1; then
	ok "load: linear growth and bounded hostile input (scale $SCALE)"
else
	bad "load: $(grep FAIL "$work/load.txt" | head -3)"
fi
sed 's/^/     /' "$work/load.txt"

# 2. exec against programs that do not play along.  A prompt whose input
#    is larger than a socket buffer holds, for the program that never
#    reads it.
python3 - "$work/big.prompt.yml" <<'PY'
import sys
text = open("tests/fixtures/run/plan.prompt.yml").read()
text = text.replace('content: "Plan the migration of {{table}} ({{rows}} rows)."',
                    'content: "' + "y" * (4 << 20) + '"')
open(sys.argv[1], "w").write(text)
PY
for mode in closeout noread; do
	timeout 60 "$PE" run -q -m "exec:$EXEC $mode" -o "$work/ex-$mode" \
		--timeout 0.5 --no-cache --filter '^users$' "$work/big.prompt.yml" \
		>/dev/null 2>&1
	check "exec $mode: the timeout holds (0.5 s)" "$work/ex-$mode/results.json" \
		"len(rows)==1 and rows[0]['error']=='exec $EXEC: timed out after 0.5 s'"
done
for mode in orphan hang-orphan; do
	rm -f "$work/held"
	mkfifo "$work/held"
	# The reader sees the end of the FIFO once the last child holding it
	# is gone; timeout bounds the wait only if one survives.
	timeout 30 cat "$work/held" >/dev/null &
	reader=$!
	"$PE" run -q -m "exec:$EXEC $mode $work/held" -o "$work/ex-$mode" \
		--timeout 1 --no-cache --filter '^users$' "$PROMPT" >/dev/null 2>&1
	wait $reader
	gone=$?
	[ $gone = 0 ] && ok "exec $mode: the child it left running was killed" ||
		bad "exec $mode: a child outlived the program (reader status $gone)"
done
check "exec orphan: the answer came when the program ended, not at the timeout" \
	"$work/ex-orphan/results.json" \
	"len(rows)==1 and rows[0]['status']=='pass' and rows[0]['error'] is None"
check "exec hang-orphan: timed out" "$work/ex-hang-orphan/results.json" \
	"len(rows)==1 and rows[0]['error']=='exec $EXEC: timed out after 1 s'"

# 3. SIGTERM, then SIGTERM again while requests hang: partial results in
#    results.json and in every report that has a place for the note.
cat >"$work/script.jsonl" <<'S'
{"match": "users", "delay_ms": 0}
{"delay_ms": 600000}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
mkfifo "$work/err"
"$PE" run -q -v -c "$work/pe.yml" -m openai:sim-strong -j 2 -o "$work/term" \
	-f terminal,md,html,junit,json --no-cache "$PROMPT" >"$work/term.out" 2>"$work/err" &
pid=$!
exec 3<"$work/err"
read_verdicts 1
kill -TERM $pid
read_until interrupted:
kill -TERM $pid
cat <&3 >/dev/null
exec 3<&-
wait $pid
status=$?
fake_stop
note="partial: 1 of 4 jobs finished (the run was interrupted)"
[ $status = 2 ] && ok "SIGTERM twice: exit 2" || bad "SIGTERM twice: exit $status"
check "SIGTERM: results.json says partial" "$work/term/results.json" \
	"len(rows)==1 and d['partial']=={'finished':1,'jobs':4}"
grep -q "^$note" "$work/term.out" && grep -q "$note" "$work/term/report.md" &&
	grep -q "$note" "$work/term/report.html" && grep -q "<!-- $note -->" "$work/term/junit.xml" &&
	ok "SIGTERM: the terminal, md, html and junit reports say partial" ||
	bad "SIGTERM: a report does not say partial"
"$PE" report -f md -o "$work/term-again" "$work/term/results.json" >/dev/null 2>&1
grep -q "$note" "$work/term-again/report.md" &&
	ok "report from a partial results.json says partial" ||
	bad "report from a partial results.json"

# 4. What writers killed with -9 left: temporary files of cache entries
#    and of OUT's files.  An hour old, they go; a fresh one (a writer at
#    work) and other names stay.
cache="$work/cache"
mkdir -p "$cache/ab" "$work/tmpout"
key=ab$(printf '%062d' 0)
touch -d '1 hour ago' "$cache/ab/${key#ab}.json.tmp.4242.7f3a" \
	"$work/tmpout/results.json.tmp.4242.7f3a" "$cache/ab/notes.txt"
touch "$cache/ab/${key#ab}.json.tmp.4243.1"
"$PE" run -q -m echo: -o "$work/tmpout" --cache-dir "$cache" "$PROMPT" >/dev/null 2>&1
[ ! -e "$cache/ab/${key#ab}.json.tmp.4242.7f3a" ] &&
	[ ! -e "$work/tmpout/results.json.tmp.4242.7f3a" ] &&
	[ -e "$cache/ab/${key#ab}.json.tmp.4243.1" ] && [ -e "$cache/ab/notes.txt" ] &&
	[ -s "$work/tmpout/results.json" ] &&
	ok "stale temporary files removed from the cache and OUT, others kept" ||
	bad "stale temporary files: $(ls "$cache/ab" "$work/tmpout" | tr '\n' ' ')"

# 5. Shards written with -f json keep their plan, and merge.
for k in 1 2; do
	"$PE" run -q -m echo: -f json --shard $k/2 -o "$work/shard$k" --no-cache \
		"$PROMPT" >/dev/null 2>&1
done
"$PE" run -q -m echo: -o "$work/whole" --no-cache "$PROMPT" >/dev/null 2>&1
if "$PE" merge -o "$work/merged.json" "$work/shard1/results.json" \
	"$work/shard2/results.json" >/dev/null 2>"$work/merge.err"; then
	check "run -f json: shards keep their plan and merge into the whole" \
		"$work/merged.json" \
		"d['plan']['id']==json.load(open('$work/whole/results.json'))['plan']['id'] and len(rows)==4"
else
	bad "run -f json: shards do not merge: $(cat "$work/merge.err")"
fi

# 6. A NUL in an answer, in a whole reply (the first request) and in a
#    streamed one (the second, its NUL at the end of an event): the
#    output keeps it, and notContains sees the word after it.
cat >"$work/nul.prompt.yml" <<'Y'
name: NUL answer
model: openai:sim-strong
messages:
  - {role: user, content: "Check {{table}}"}
testData:
  - {id: users, table: users}
evaluators:
  - {name: no forbidden, string: {notContains: forbidden}}
Y
python3 - "$work/nul-script.jsonl" <<'PY'
import json, sys
whole = {"id": "c", "object": "chat.completion", "model": "sim-strong",
         "choices": [{"index": 0, "finish_reason": "stop",
                      "message": {"role": "assistant",
                                  "content": "all good\u0000 forbidden"}}]}
def event(delta, finish=None):
    return "data: " + json.dumps({"id": "c", "object": "chat.completion.chunk",
        "model": "sim-strong", "choices": [{"index": 0, "delta": delta,
        "finish_reason": finish}]}) + "\n\n"
streamed = (event({"role": "assistant", "content": "all good\u0000"}) +
            event({"content": " forbidden"}, "stop") + "data: [DONE]\n\n")
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"times": 1, "body": json.dumps(whole)}) + "\n")
    f.write(json.dumps({"body": streamed,
                        "content_type": "text/event-stream"}) + "\n")
PY
fake_start --script "$work/nul-script.jsonl"
fake_config "$work/pe.yml"
for how in --no-stream --stream; do
	"$PE" run -q -c "$work/pe.yml" $how --no-cache -o "$work/nul$how" \
		"$work/nul.prompt.yml" >/dev/null 2>&1
	check "a NUL in an answer ($how): kept, and notContains sees past it" \
		"$work/nul$how/results.json" \
		"len(rows)==1 and rows[0]['output']=='all good\\x00 forbidden' and rows[0]['status']=='fail' and rows[0]['call']['http_status']==200"
done
fake_stop

echo "hostile: $pass passed, $fail failed"
[ "$fail" = 0 ]
