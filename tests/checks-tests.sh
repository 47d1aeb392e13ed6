#!/bin/sh
# End-to-end tests of python: and exec: checks, with the fake LLM server
# as the model: a pass, a fail and each error path (a raise, a timeout,
# garbage, a worker that crashes, a bad exit) in "run", then the same
# verdicts from "score" on the recorded answers and from a cached rerun;
# 60 cases checked by at most as many python workers as there are cores
# (never one process per check); nothing a check started outlives the
# run (a worker that holds a FIFO, a timed-out check's child); and,
# without python3 on PATH, warnings and ungraded cases, never a pass.
#
# usage: tests/checks-tests.sh PROMPTEVAL FAKELLM
# (KEEP=1 keeps the work directory for a look.)
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
unset OPENAI_BASE_URL

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# check NAME RESULTS EXPR: a python3 expression over rows and ev(row, name)
check() {
	if python3 - "$2" "$3" <<'PY'; then ok "$1"; else bad "$1"; fi
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["case"]: r for r in d["results"]}
def ev(r, name):
    return next(e for e in r["evaluators"] if e["name"] == name)
ok = eval(sys.argv[2])
if not ok:
    for r in d["results"]:
        print("  ", r["case"], r["status"],
              [(e["name"], e["status"], e["reason"]) for e in r["evaluators"]])
sys.exit(0 if ok else 1)
PY
}

# 1. Every path of a python check, and an exec check, in one run.
mkdir "$work/p"
cat >"$work/p/checks.prompt.yml" <<'P'
name: Checks
messages:
  - role: user
    content: "Write about {{topic}}."
testData:
  - {id: pass, vars: {topic: topic-pass}}
  - {id: fail, vars: {topic: topic-fail}}
  - {id: raise, vars: {topic: topic-raise}}
  - {id: slow, vars: {topic: topic-slow}}
  - {id: garbage, vars: {topic: topic-garbage}}
  - {id: crash, vars: {topic: topic-crash}}
  - {id: after, vars: {topic: topic-after}}
evaluators:
  - name: gdpr
    python:
      timeout: 1
      code: |
        if 'boom' in output:
            raise ValueError('boom in the answer')
        if 'forever' in output:
            while True:
                pass
        if 'junk' in output:
            return 'junk'
        if 'die' in output:
            import os
            os._exit(7)
        return {'pass': 'GDPR' in output, 'score': 0.8 if 'GDPR' in output else 0.1,
                'reason': topic + ' for ' + context['model']}
  - name: grader
    exec: [python3, grade.py]
P
cat >"$work/p/grade.py" <<'G'
import json, sys
case = json.load(sys.stdin)
ok = case["vars"]["topic"] in ("topic-pass", "topic-after") and \
     case["model"] == "openai:sim-strong" and case["prompt"] == "Checks"
print(json.dumps({"pass": ok, "reason": "graded " + case["case"]}))
G
cat >"$work/script.jsonl" <<'S'
{"match": "topic-pass", "reply": "A plan that keeps GDPR in mind."}
{"match": "topic-fail", "reply": "A plan."}
{"match": "topic-raise", "reply": "boom"}
{"match": "topic-slow", "reply": "forever"}
{"match": "topic-garbage", "reply": "junk"}
{"match": "topic-crash", "reply": "die"}
{"match": "topic-after", "reply": "GDPR again, after the crash."}
S
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -o "$work/run" \
	--cache-dir "$work/cache" "$work/p/checks.prompt.yml" \
	>"$work/run.out" 2>"$work/run.err"
status=$?
[ $status = 2 ] && ok "run: exit 2 (errors)" || bad "run: exit $status, want 2"
R=$work/run/results.json
check "a check that passes: its score and reason" "$R" \
	"rows['pass']['status']=='pass' and ev(rows['pass'],'gdpr')['score']==0.8 and ev(rows['pass'],'gdpr')['reason']=='topic-pass for openai:sim-strong' and ev(rows['pass'],'grader')['reason']=='graded pass'"
check "a check that fails" "$R" \
	"rows['fail']['status']=='fail' and ev(rows['fail'],'gdpr')['status']=='fail' and ev(rows['fail'],'gdpr')['score']==0.1"
check "a check that raises: an error with Python's message" "$R" \
	"rows['raise']['status']=='error' and ev(rows['raise'],'gdpr')['reason']=='ValueError: boom in the answer (line 2)'"
check "a check past its timeout: an error" "$R" \
	"rows['slow']['status']=='error' and ev(rows['slow'],'gdpr')['reason']=='timed out after 1 s'"
check "a check that returns garbage: an error" "$R" \
	"rows['garbage']['status']=='error' and ev(rows['garbage'],'gdpr')['reason'].startswith(\"returned 'junk', not true, false\")"
check "a worker that dies: an error, and the next check runs" "$R" \
	"rows['crash']['status']=='error' and ev(rows['crash'],'gdpr')['reason']=='the python worker exited with status 7 during the check' and rows['after']['status']=='pass'"
check "an exec check reads the case and grades it" "$R" \
	"ev(rows['fail'],'grader')['status']=='fail' and ev(rows['after'],'grader')['status']=='pass'"
check "no error or skip is counted as a pass" "$R" \
	"all(r['status']!='pass' for r in rows.values() if any(e['status'] in ('error','skip') for e in r['evaluators']))"

# 2. score runs them too, on the recorded answers, to the same verdicts;
#    and a rerun from the cache gives the same results.
python3 - "$R" "$work/responses.jsonl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for r in d["results"]:
        f.write(json.dumps({"prompt": r["prompt"], "case": r["case"],
                            "model": r["model"], "output": r["output"]}) + "\n")
PY
"$PE" score -q -r "$work/responses.jsonl" -o "$work/score" \
	"$work/p/checks.prompt.yml" >/dev/null 2>&1
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -o "$work/rerun" \
	--cache-dir "$work/cache" "$work/p/checks.prompt.yml" >/dev/null 2>&1
if python3 - "$R" "$work/score/results.json" "$work/rerun/results.json" <<'PY'
import json, sys
def verdicts(path):
    d = json.load(open(path))
    return sorted((r["case"], r["status"], [(e["name"], e["status"], e["score"], e["reason"])
                                          for e in r["evaluators"]])
                  for r in d["results"])
run, score, rerun = (verdicts(p) for p in sys.argv[1:4])
assert len(run) == 7 and run == score == rerun, (run, score, rerun)
PY
then ok "score and a cached rerun give the run's verdicts and reasons"
else bad "score or the rerun differ from the run"
fi
fake_stop

# 3. Never one process per check: 60 cases, at most one python worker
#    per core.
{
	echo "name: Many"
	echo "messages: [{role: user, content: 'Plan {{t}}.'}]"
	echo "testData:"
	for i in $(seq 1 60); do echo "  - {id: c$i, vars: {t: table$i}}"; done
	cat <<'E'
evaluators:
  - name: pid
    python:
      code: |
        import os
        return {'pass': True, 'reason': str(os.getpid())}
E
} >"$work/p/many.prompt.yml"
fake_start
fake_config "$work/pe.yml"
"$PE" run -q -c "$work/pe.yml" -m openai:sim-strong -j 64 -o "$work/many" \
	--no-cache "$work/p/many.prompt.yml" >/dev/null 2>&1
status=$?
cores=$(getconf _NPROCESSORS_ONLN)
check "60 python checks, at most $cores workers (exit $status)" \
	"$work/many/results.json" \
	"len(rows)==60 and all(r['status']=='pass' for r in rows.values()) and 1 <= len({ev(r,'pid')['reason'] for r in rows.values()}) <= $cores"
fake_stop

# 4. Nothing a check started outlives the run: a worker keeps a FIFO open
#    between checks, a timed-out check leaves a child holding another;
#    both ends close by the time prompteval has exited.
mkfifo "$work/held" "$work/child"
cat >"$work/p/held.prompt.yml" <<P
name: Held
messages: [{role: user, content: hi}]
testData: [{id: a}, {id: b}]
evaluators:
  - name: holds
    python:
      code: |
        import builtins
        if not hasattr(builtins, 'held'):
            builtins.held = open('$work/held', 'w')
        return True
  - name: leaves a child
    exec:
      command: [sh, -c, 'sleep 60 >$work/child & sleep 60']
      timeout: 0.5
P
timeout 60 cat "$work/held" >/dev/null &
held=$!
timeout 60 cat "$work/child" >/dev/null &
child=$!
"$PE" run -q -m echo: --no-cache -o "$work/held-out" \
	"$work/p/held.prompt.yml" >/dev/null 2>&1
wait $held && wait $child &&
	ok "no worker and no check's child outlives the run" ||
	bad "a worker or a check's child outlived the run"

# 5. Without python3 on PATH: warnings, ungraded cases, never a pass.
fake_start --script "$work/script.jsonl"
fake_config "$work/pe.yml"
PATH=/nonexistent "$PE" run -q -c "$work/pe.yml" -m openai:sim-strong \
	-o "$work/nopy" --no-cache "$work/p/checks.prompt.yml" \
	>"$work/nopy.out" 2>"$work/nopy.err"
status=$?
grep -q "warning: python evaluator 'gdpr' will not run (python3 is not on PATH): its cases will be ungraded, never passed" "$work/nopy.err" &&
	grep -q "warning: exec evaluator 'grader' will not run (program python3 is not found)" "$work/nopy.err" &&
	ok "without python3: run warns at each check" ||
	bad "without python3: no warning ($(cat "$work/nopy.err"))"
[ $status = 2 ] && ok "without python3: exit 2" || bad "without python3: exit $status"
check "without python3: every case ungraded, the checks skipped" \
	"$work/nopy/results.json" \
	"len(rows)==7 and all(r['status']=='ungraded' and ev(r,'gdpr')['status']=='skip' and ev(r,'gdpr')['reason']=='python3 is not on PATH' for r in rows.values())"
PATH=/nonexistent "$PE" check "$work/p/checks.prompt.yml" >/dev/null 2>"$work/nopy-check.err"
status=$?
[ $status = 0 ] && grep -q "python evaluator 'gdpr' will not run (python3 is not on PATH)" "$work/nopy-check.err" &&
	ok "without python3: check warns (exit 0)" || bad "without python3: check (exit $status)"
PATH=/nonexistent "$PE" score -r "$work/responses.jsonl" -o "$work/nopy-score" \
	"$work/p/checks.prompt.yml" >/dev/null 2>&1
status=$?
[ $status = 2 ] &&
	check "without python3: score leaves every case ungraded (exit 2)" \
		"$work/nopy-score/results.json" \
		"all(r['status']=='ungraded' for r in rows.values())" ||
	bad "without python3: score exit $status"
fake_stop

echo "checks: $pass passed, $fail failed"
[ "$fail" = 0 ]
