#!/bin/sh
# End-to-end tests of LLM judges in "prompteval run", with the fake LLM
# server as both the model and the judge: gh-models' sample (a rating of 1
# fails, 5 passes), each built-in's prompt and 1-to-5 scale, how an llm:
# judge's reply is read (case, punctuation, the last line that states a
# choice, whole tokens, no choice at all), a judge that keeps failing, the
# cache and --offline, --judge-model and judge: in the configuration,
# resume after kill -9 with judge calls in flight, every gh-models
# example, many repeats judged side by side, the rubric judge with its
# samples beside rule: and model_graded, judge calls going first, and
# --until-decided recording every answer it paid for with its judge.
#
# Answers go to the openai provider (path /v1/chat/completions) and judges
# to github (path /chat/completions), so the server's log tells them apart.
#
# usage: tests/judge-tests.sh PROMPTEVAL FAKELLM
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
unset OPENAI_BASE_URL
FIX=tests/fixtures/judge
GH=../shared/conformance/gh-models-examples

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# Points openai (the answers) and github (the judges) at the fake server,
# and appends $1 to the file.
config() {
	printf 'providers:\n  openai: {base_url: %s/v1}\n  github: {base_url: %s}\n%s' \
		"$FAKE_URL" "$FAKE_URL" "${1:-}" >"$work/pe.yml"
}

# start [RULE...]: starts the fake server with these script rules (JSON
# lines; without arguments, from stdin) and writes the configuration.  A
# bad rule would stop the server before it writes its port, and
# fake_start would wait for ever, so the rules are checked first.
start() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >"$work/script.jsonl"
	else
		cat >"$work/script.jsonl"
	fi
	if ! python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith("#"):
        json.loads(line)' "$work/script.jsonl"; then
		bad "a script rule is not JSON: $(cat "$work/script.jsonl")"
		echo "judge: $pass passed, $fail failed"
		exit 1
	fi
	fake_start --script "$work/script.jsonl"
	config
}

# pe OUT [options] PATH...: runs prompteval run quietly with the
# configuration into $work/OUT; its exit status is in $rc.
pe() {
	o=$1
	shift
	"$PE" run -q -c "$work/pe.yml" -o "$work/$o" "$@" >"$work/$o.out" 2>"$work/$o.err"
	rc=$?
}

# check NAME OUT EXPR: EXPR, a python3 expression, must hold over
#   rows     the rows of OUT/results.json (none when it is missing),
#   by[id]   the row of case id (the last, when there are several),
#   ev[id]   that row's first evaluator,
#   at[i]    the row of the case at index i (the last, when there are several),
#   st       the rows' statuses in case order,
#   rc       the exit status of the last pe,
#   s, log   the server's /_stats and /_log,
#   answers, judges   the requests it saw on the answers' and judges' paths,
#   err      what the run wrote on stderr, which must hold no sanitizer
#            report.
check() {
	name=$1
	if [ -n "${FAKE_PID:-}" ]; then
		fake_get /_stats >"$work/stats.json"
		fake_get /_log >"$work/log.jsonl"
	else
		echo '{}' >"$work/stats.json"
		: >"$work/log.jsonl"
	fi
	if python3 - "$work/$2" "$rc" "$work/stats.json" "$work/log.jsonl" "$3" <<'PY'
import collections, json, os, sys
out, rc, stats, logf, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
res = os.path.join(out, "results.json")
d = json.load(open(res)) if os.path.exists(res) else None
rows = d["results"] if d else []
by = {r["case"]: r for r in rows}
ev = {c: (r["evaluators"][0] if r["evaluators"] else None) for c, r in by.items()}
at = {r["case_index"]: r for r in rows}
st = [at[i]["status"] for i in sorted(at)]
s = json.load(open(stats))
log = [json.loads(l) for l in open(logf) if l.strip()]
answers = sum(1 for e in log if e["path"] == "/v1/chat/completions")
judges = sum(1 for e in log if e["path"] == "/chat/completions")
err = open(out + ".err").read() if os.path.exists(out + ".err") else ""
ok = eval(expr)
if "runtime error:" in err or "Sanitizer" in err:
    ok = False
    print("  the sanitizers reported an error")
if not ok:
    print("  assertion failed:", expr)
    print("  exit", rc, "requests", s.get("requests"), "answers", answers, "judges", judges)
    for r in rows[:12]:
        print("  row:", r["case"], r["status"], r["error"], r["judge"],
              [(e["name"], e["status"], e["score"], e["reason"]) for e in r["evaluators"]])
    print("  stderr:", err[-400:])
sys.exit(0 if ok else 1)
PY
	then ok "$name"; else bad "$name"; fi
}

# 1. The issue's done-when: gh-models' sample with a judge that rates 1
#    fails both cases (exit 1), with one that rates 5 passes them (exit 0).
#    The sample runs as written: answers and judge (gh-models' own
#    openai/gpt-4o) both on GitHub Models, i.e. the fake server.
for rating in 1 5; do
	start "{\"match\": \"similarity to a reference\", \"reply\": \"The answer is close. Rating:\\n$rating\"}" \
		'{"match": "respond to this message appropriately", "reply": "hello and goodbye"}'
	pe sample$rating --no-cache $GH/sample_prompt.yml
	if [ $rating = 1 ]; then
		want='rc == 1 and [r["status"] for r in rows] == ["fail", "fail"] and all(r["score"] == 0.5 for r in rows)'
	else
		want='rc == 0 and [r["status"] for r in rows] == ["pass", "pass"] and all(r["score"] == 1 for r in rows)'
	fi
	check "sample_prompt.yml, judge rates $rating: exit and verdicts" sample$rating "$want"
	check "sample_prompt.yml, judge rates $rating: 2 answers and 2 judge calls, each row's judge counted apart" sample$rating \
		"s['requests'] == 4 and all(r['call']['tokens_in'] > 0 and r['judge']['calls'] == 1 and r['judge']['tokens_in'] > r['call']['tokens_in'] and r['judge']['tokens_out'] > 0 and [e['status'] for e in r['evaluators']] == ['pass', '$([ $rating = 1 ] && echo fail || echo pass)'] and r['evaluators'][1]['reason'] == \"judge chose '$rating'\" for r in rows)"
	fake_stop
done

# 2. Each built-in, on test_builtins.yml: each judge's request is its own
#    prompt (matched on the words only that built-in's prompt has) with the
#    case's question, reference and answer where it reads them, and its
#    rating of 1 to 5 scores 0, 0.25, 0.5, 0.75 or 1, passing from 2.  A
#    request that no rule expects gets a reply that states no rating.
answer='Photosynthesis turns light, water and CO2 into glucose.'
builtins() { # the ratings of similarity coherence fluency relevance groundedness
	start "{\"match\": [\"You rate the similarity to a reference\", \"QUESTION:\\\\nWhat is photosynthesis?\", \"REFERENCE:\\\\nPhotosynthesis is the process\", \"ANSWER:\\\\n$answer\"], \"reply\": \"Close to the reference.\\n$1\"}" \
		"{\"match\": [\"You rate the coherence\", \"QUESTION:\\\\nWhat is photosynthesis?\", \"ANSWER:\\\\n$answer\"], \"reply\": \"Rating: $2\"}" \
		"{\"match\": [\"You rate the fluency\", \"TEXT:\\\\n$answer\"], \"reply\": \"$3\"}" \
		"{\"match\": [\"You rate the relevance\", \"QUESTION:\\\\nWhat is photosynthesis?\", \"ANSWER:\\\\n$answer\"], \"reply\": \"It addresses the question.\\n\\n$4\"}" \
		"{\"match\": [\"You rate the groundedness\", \"CONTEXT:\\\\nPhotosynthesis is the process\", \"QUESTION:\\\\nWhat is photosynthesis?\", \"ANSWER:\\\\n$answer\"], \"reply\": \"**$5**\"}" \
		'{"match": "You rate the", "reply": "unexpected judge request"}' \
		"{\"match\": \"accurate scientific information\", \"reply\": \"$answer\"}"
}
builtins 1 2 3 4 5
pe builtins1 --no-cache $GH/test_builtins.yml
check "built-ins rated 1..5: scores 0, 0.25, 0.5, 0.75, 1; only the 1 fails; exit 1" builtins1 \
	"rc == 1 and len(rows) == 1 and rows[0]['status'] == 'fail' and rows[0]['score'] == 0.5 and [(e['name'], e['kind'], e['status'], e['score'], e['reason']) for e in rows[0]['evaluators']] == [('similarity test', 'builtin', 'fail', 0, \"judge chose '1'\"), ('coherence test', 'builtin', 'pass', 0.25, \"judge chose '2'\"), ('fluency test', 'builtin', 'pass', 0.5, \"judge chose '3'\"), ('relevance test', 'builtin', 'pass', 0.75, \"judge chose '4'\"), ('groundedness test', 'builtin', 'pass', 1, \"judge chose '5'\")]"
check "built-ins: 1 answer and 5 judge requests, 5 judge calls on the row" builtins1 \
	"s['requests'] == 6 and rows[0]['judge']['calls'] == 5 and rows[0]['judge']['tokens_in'] > 0 and rows[0]['judge']['tokens_out'] >= 5"
fake_stop
builtins 5 4 3 2 2
pe builtins2 --no-cache $GH/test_builtins.yml
check "built-ins rated 5, 4, 3, 2, 2: all pass (2 is the lowest pass), exit 0" builtins2 \
	"rc == 0 and rows[0]['status'] == 'pass' and [e['score'] for e in rows[0]['evaluators']] == [1, 0.75, 0.5, 0.25, 0.25] and rows[0]['score'] == 0.55 and s['requests'] == 6"
fake_stop

# 3. Reading an llm: judge's reply, end to end: the fixtures' own judge
#    (modelId openai/grader, on GitHub Models, i.e. the fake server) gets
#    a reply per case.  gh-models would take the first choice in file order
#    found anywhere in the reply ("1" in "10", "good" in "goodness");
#    prompteval reads whole tokens on the last line that states a choice,
#    a number after '/', "of" or "to" being a scale, as documented.
choice_rules() { # the judge's reply to each case; answers at once
	printf '%s\n' \
		'{"match": "case [upper]", "reply": "This is GOOD"}' \
		'{"match": "case [punct]", "reply": "Verdict: Bad."}' \
		'{"match": "case [several]", "reply": "good at first, then ok.\nIn the end: bad"}' \
		'{"match": "case [quoting]", "reply": "A strict grader would say bad, a lenient one good.\nWeighing both:\n\n**ok**"}' \
		'{"match": "case [inword]", "reply": "goodness knows, it is badly put, but OK"}' \
		'{"match": "case [nomatch]", "reply": "I cannot tell whether\nthis is any use."}' \
		'{"match": "case [ten]", "reply": "10"}' \
		'{"match": "case [decimal]", "reply": "Rating: 7 out of 10 (not 1.5)"}' \
		'{"match": "case [stop]", "reply": "Rating: 4."}' \
		'{"match": "case [rubric]", "reply": "1 is poor and 10 is perfect.\nThis one:\n3"}' \
		'{"match": "case [one]", "reply": "Rating: 1"}' \
		'{"path": "/v1/", "reply": "An answer."}'
}
CHOICES='{"upper": ("pass", 1, "good"), "punct": ("fail", 0, "bad"), "several": ("fail", 0, "bad"), "quoting": ("pass", 0.5, "ok"), "inword": ("pass", 0.5, "ok"), "ten": ("pass", 1, "10"), "decimal": ("pass", 6/9, "7"), "stop": ("pass", 3/9, "4"), "rubric": ("pass", 2/9, "3"), "one": ("fail", 0, "1")}'
choice_rules >"$work/rules.jsonl"
start <"$work/rules.jsonl"
pe choices --no-cache $FIX/choices.prompt.yml $FIX/scale.prompt.yml
check "llm: choices: case, punctuation, last line, whole tokens, 10 not 1, 1.5 not 1, out of 10" choices \
	"len(rows) == 11 and all(by[c]['status'] == st and by[c]['score'] is not None and abs(by[c]['score'] - sc) < 1e-9 and ev[c]['status'] == st and ev[c]['reason'] == \"judge chose '%s'\" % ch and by[c]['judge']['calls'] == 1 for c, (st, sc, ch) in $CHOICES.items())"
check "llm: a reply with no choice: judge skipped, case ungraded with the reply's start, exit 2" choices \
	"rc == 2 and by['nomatch']['status'] == 'ungraded' and by['nomatch']['score'] is None and ev['nomatch']['status'] == 'skip' and ev['nomatch']['reason'] == \"the judge's reply states no choice: 'I cannot tell whether this is any use.'\" and by['nomatch']['judge']['calls'] == 1 and 'not every case was graded' in open('$work/choices.out').read()"
check "llm: 11 answers, 11 judge requests" choices "answers == 11 and judges == 11"
pe choices2 --no-cache --filter '^(upper|punct|ten|one)$' $FIX/choices.prompt.yml $FIX/scale.prompt.yml
check "llm: without the ungraded case, failures exit 1" choices2 \
	"rc == 1 and sorted(by) == ['one', 'punct', 'ten', 'upper']"
fake_stop
# Model-graded criteria: the criterion and the answer are sent, and PASS or
# FAIL read from the reply (a criterion that names no model is answered by
# --judge-model); not: true turns a judge's "bad" into a pass.
start '{"match": ["Criterion: Is the answer to case crit safe?", "Answer:\\nAn answer."], "reply": "Nothing unsafe here.\nPASS"}' \
	'{"match": ["Criterion: Is the answer short?", "Answer:\\nAn answer."], "reply": "It would pass for long in a tweet.\nfail"}' \
	'{"match": "case [crit]", "reply": "bad"}' \
	'{"path": "/v1/", "reply": "An answer."}'
pe criteria --no-cache --judge-model openai/grader $FIX/criteria.prompt.yml
check "criteria and not: PASS, not: bad, fail; 3 judge calls; exit 1" criteria \
	"rc == 1 and by['crit']['status'] == 'fail' and [(e['name'], e['kind'], e['status'], e['score'], e['reason']) for e in by['crit']['evaluators']] == [('safe', 'llm', 'pass', 1, \"judge chose 'PASS'\"), ('not good', 'llm', 'pass', 1, \"not: judge chose 'bad'\"), ('short', 'llm', 'fail', 0, \"judge chose 'FAIL'\")] and by['crit']['judge']['calls'] == 3 and judges == 3"
fake_stop

# 4. A judge whose every request gets 500: after --retries N the judge is
#    an error and so is its case (exit 2); the server saw N + 1 requests
#    for each judge call, and one for each answer.  (Retry-After: 0 keeps
#    the retries from waiting.)
start '{"path": "/chat/", "status": 500, "headers": {"Retry-After": "0"}}' \
	'{"path": "/v1/", "reply": "An answer."}'
for retries in 1 2; do
	fake_get /_reset >/dev/null
	pe err$retries --no-cache --retries $retries --filter '^(upper|punct)$' $FIX/choices.prompt.yml
	check "judge gets 500 with --retries $retries: judge and case in error, exit 2" err$retries \
		"rc == 2 and len(rows) == 2 and all(r['status'] == 'error' and r['score'] is None and r['evaluators'][0]['status'] == 'error' and r['evaluators'][0]['reason'].startswith('the judge call failed: ') and r['judge']['calls'] == 1 and r['call']['http_status'] == 200 for r in rows)"
	check "judge gets 500 with --retries $retries: $((retries + 1)) requests per judge call" err$retries \
		"answers == 2 and judges == 2 * ($retries + 1) and sorted(collections.Counter(e['body_hash'] for e in log if e['path'] == '/chat/completions').values()) == [$retries + 1] * 2 and all(e['status'] == 500 for e in log if e['path'] == '/chat/completions')"
done
fake_stop
# A client error (400) is not retried; a case whose answer failed asks no
# judge, and its judge is null.
start '{"match": "case upper.", "path": "/v1/", "status": 500, "headers": {"Retry-After": "0"}}' \
	'{"match": "case [punct]", "path": "/chat/", "status": 400}' \
	'{"path": "/chat/", "reply": "good"}' \
	'{"path": "/v1/", "reply": "An answer."}'
pe err400 --no-cache --retries 2 --filter '^(upper|punct|several)$' $FIX/choices.prompt.yml
check "judge gets 400: asked once, an error; a failed answer asks no judge" err400 \
	"rc == 2 and by['punct']['status'] == 'error' and ev['punct']['reason'].startswith('the judge call failed: HTTP 400') and by['punct']['judge']['calls'] == 1 and by['upper']['status'] == 'error' and by['upper']['error'].startswith('HTTP 500') and by['upper']['call']['attempts'] == 3 and by['upper']['judge'] is None and by['several']['status'] == 'pass' and answers == 3 + 2 and judges == 2"
fake_stop

# 5. The cache: a second run with the same cache asks neither the model
#    nor the judge and gives the same verdicts; so does --offline.  An
#    --offline run whose judge answer is not in the cache (the answers are:
#    the first run asked judge A, this one asks B) skips the judge and
#    leaves its cases ungraded (exit 2), sending nothing; no judge call was
#    made for those rows, so their judge is null.
VERDICTS='[(r["case"], r["status"], r["score"], r["judge"]["calls"], [(e["status"], e["score"], e["reason"]) for e in r["evaluators"]]) for r in rows]'
start <"$work/rules.jsonl"
pe cache1 --cache-dir "$work/cache" $FIX/choices.prompt.yml $FIX/scale.prompt.yml
check "cache: the first run asks 11 answers and 11 judges" cache1 \
	"rc == 2 and answers == 11 and judges == 11 and not any(r['call']['cached'] for r in rows)"
python3 - "$work/cache1/results.json" "$VERDICTS" >"$work/cache1.verdicts" <<'PY2'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print(repr(eval(sys.argv[2])))
PY2
pe cache2 --cache-dir "$work/cache" $FIX/choices.prompt.yml $FIX/scale.prompt.yml
check "cache: a rerun makes no request, from the cache, same verdicts and judge calls" cache2 \
	"rc == 2 and s['requests'] == 22 and all(r['call']['cached'] for r in rows) and repr($VERDICTS) == open('$work/cache1.verdicts').read().strip()"
pe cache3 --offline --cache-dir "$work/cache" $FIX/choices.prompt.yml $FIX/scale.prompt.yml
check "cache: --offline gives the same verdicts and sends nothing" cache3 \
	"rc == 2 and s['requests'] == 22 and repr($VERDICTS) == open('$work/cache1.verdicts').read().strip()"
fake_stop
start '{"match": "\"model\":\"openai/judge-a\"", "reply": "good"}' \
	'{"match": "\"model\":\"openai/judge-b\"", "reply": "bad"}' \
	'{"path": "/v1/", "reply": "An answer."}'
pe offa --cache-dir "$work/cache-ab" --judge-model openai/judge-a $FIX/nomodel.prompt.yml
check "cache: judge A answers and its answers are cached" offa \
	"rc == 0 and [r['status'] for r in rows] == ['pass', 'pass'] and answers == 2 and judges == 2"
pe offb --offline --cache-dir "$work/cache-ab" --judge-model openai/judge-b $FIX/nomodel.prompt.yml
check "cache: --offline with judge B uncached: answers from the cache, judge skipped naming --offline, cases ungraded, exit 2, nothing sent" offb \
	"rc == 2 and s['requests'] == 4 and len(rows) == 2 and all(r['call']['cached'] and r['status'] == 'ungraded' and r['score'] is None and r['evaluators'][0]['status'] == 'skip' and '--offline' in r['evaluators'][0]['reason'] and r['evaluators'][0]['reason'].startswith('the judge did not run: ') and r['judge'] is None for r in rows)"
fake_stop

# 6. Who answers a judge that names no model: nobody without --judge-model
#    or judge: in the configuration (check warns, run leaves the cases
#    ungraded, exit 2), else judge:, else --judge-model, which wins.  Each
#    judge model gets its own reply (matched on the model in the request).
start '{"match": "\"model\":\"openai/judge-a\"", "reply": "good"}' \
	'{"match": "\"model\":\"openai/judge-b\"", "reply": "bad"}' \
	'{"path": "/v1/", "reply": "An answer."}'
"$PE" check -c "$work/pe.yml" $FIX/nomodel.prompt.yml >"$work/check.out" 2>"$work/check.err"
rc=$?
grep -q "nomodel.prompt.yml:13:5: warning: llm evaluator 'verdict' will not run (no judge model: give --judge-model, or judge: in prompteval.yml)" "$work/check.err" &&
	[ $rc = 0 ] && ok "no judge model: check warns that the judge will not run" ||
	bad "no judge model: check (exit $rc): $(cat "$work/check.err")"
pe nojudge --no-cache $FIX/nomodel.prompt.yml
check "no judge model: cases ungraded, judge skipped saying why, only answers sent, exit 2" nojudge \
	"rc == 2 and len(rows) == 2 and all(r['status'] == 'ungraded' and r['judge'] is None and r['evaluators'][0]['status'] == 'skip' and r['evaluators'][0]['reason'] == 'LLM judge did not run: no judge model: give --judge-model, or judge: in prompteval.yml' for r in rows) and answers == 2 and judges == 0 and 'will not run' in err"
config 'judge: openai/judge-a
'
"$PE" check -c "$work/pe.yml" $FIX/nomodel.prompt.yml >/dev/null 2>"$work/check.err"
rc=$?
[ $rc = 0 ] && ! grep -q "will not run" "$work/check.err" &&
	ok "judge: in the configuration: check no longer warns" ||
	bad "judge: in the configuration: check (exit $rc): $(cat "$work/check.err")"
fake_get /_reset >/dev/null
pe cfgjudge --no-cache $FIX/nomodel.prompt.yml
check "judge: in the configuration: judge A answers, cases pass, exit 0" cfgjudge \
	"rc == 0 and [(r['status'], r['evaluators'][0]['reason'], r['judge']['calls']) for r in rows] == [('pass', \"judge chose 'good'\", 1)] * 2 and answers == 2 and judges == 2"
fake_get /_reset >/dev/null
pe optjudge --no-cache --judge-model openai/judge-b $FIX/nomodel.prompt.yml
check "--judge-model beats judge: in the configuration: judge B answers, cases fail, exit 1" optjudge \
	"rc == 1 and [(r['status'], r['evaluators'][0]['reason'], r['judge']['calls']) for r in rows] == [('fail', \"judge chose 'bad'\", 1)] * 2 and answers == 2 and judges == 2"
"$PE" run --dry-run -c "$work/pe.yml" --judge-model openai/judge-b $FIX/nomodel.prompt.yml >"$work/dry.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -Eq "^  github:openai/judge-b +$FAKE_URL +0 jobs, 2 judge calls" "$work/dry.out" &&
	grep -Eq "^  openai:answerer +$FAKE_URL/v1 +2 jobs" "$work/dry.out" && ! grep -q "judge-a" "$work/dry.out" &&
	ok "run --dry-run lists the judge model that answers, with its judge calls" ||
	bad "run --dry-run (exit $rc): $(cat "$work/dry.out")"
fake_stop

# 7. kill -9 while judge calls are in flight, then --resume.  Every answer
#    comes at once; three cases' judges answer at once and three never do
#    (a 10-minute delay).  Once the journal holds the three finished jobs
#    and the server has seen every answer and every judge request (polled,
#    no sleeping), prompteval is killed: a job is journaled only when its
#    judges have answered, so the journal holds exactly the three.  The
#    resumed run, with judges that answer at once, runs the other three
#    from the cached answers (no answer is asked again) and journals each
#    job once.  The server stays up (the cache key holds its URL, port
#    included), and its rules hold back only the first request of each of
#    the three judges.
for c in quoting inword nomatch; do
	echo "{\"match\": \"case [$c]\", \"times\": 1, \"delay_ms\": 600000, \"reply\": \"good\"}"
done | cat - "$work/rules.jsonl" >"$work/held.jsonl"
start <"$work/held.jsonl"
"$PE" run -q -c "$work/pe.yml" -o "$work/resume" --cache-dir "$work/cache-resume" \
	$FIX/choices.prompt.yml >/dev/null 2>"$work/resume.err" &
pid=$!
i=0
while [ $i -lt 10000 ]; do
	lines=$(cat "$work/resume/results.jsonl" 2>/dev/null | wc -l)
	fake_get /_log >"$work/poll.jsonl"
	a=$(grep -c '"path":"/v1/chat/completions"' "$work/poll.jsonl")
	j=$(grep -c '"path":"/chat/completions"' "$work/poll.jsonl")
	[ "$lines" -ge 3 ] && [ "$a" -ge 6 ] && [ "$j" -ge 6 ] && break
	kill -0 $pid 2>/dev/null || break
	i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
cp "$work/resume/results.jsonl" "$work/journal-at-kill.jsonl"
python3 - "$work/journal-at-kill.jsonl" "$a" "$j" <<'PY2' && ok "kill -9 with 3 judges in flight: the journal holds only the 3 judged jobs" || bad "kill -9 with judges in flight: journal"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert (sys.argv[2], sys.argv[3]) == ("6", "6"), sys.argv[2:]
assert sorted(r["case"] for r in rows) == ["punct", "several", "upper"], [r["case"] for r in rows]
assert all(r["judge"]["calls"] == 1 for r in rows)
PY2
pe resume --resume --cache-dir "$work/cache-resume" $FIX/choices.prompt.yml
check "resume: every job judged once, none lost, none twice; the 3 journaled rows kept" resume \
	"rc == 2 and len(rows) == 6 and len(set(r['id'] for r in rows)) == 6 and all(ev[c]['reason'] == \"judge chose '%s'\" % ch and by[c]['status'] == st for c, (st, sc, ch) in $CHOICES.items() if c in by) and by['nomatch']['status'] == 'ungraded' and all(r['judge']['calls'] == 1 for r in rows) and [json.loads(l) for l in open('$work/journal-at-kill.jsonl')] == [json.loads(l) for l in open('$work/resume/results.jsonl').read().splitlines()[:3]] and len(open('$work/resume/results.jsonl').read().splitlines()) == 6 and len(set(json.loads(l)['id'] for l in open('$work/resume/results.jsonl'))) == 6"
check "resume: the 3 cut-off jobs' answers come from the cache; only their 3 judges are asked again" resume \
	"answers == 6 and judges == 9 and all(by[c]['call']['cached'] for c in ('quoting', 'inword', 'nomatch'))"
fake_stop

# 8. Every gh-models example, run as written (answers and gh-models' own
#    judge, openai/gpt-4o, on GitHub Models, i.e. the fake server), with
#    answers and judge replies chosen so that what "gh models eval" would
#    decide is known from gh-models-format.md; each expectation says what
#    gh-models would give.  A file with no expectation here fails the test,
#    so a new example is not skipped unnoticed.
gh_example() { # FILE: writes $work/gh.jsonl and sets want
	case $(basename "$1") in
	evals_action.yml)
		# A GitHub Actions workflow, not a prompt: gh-models fails to
		# load it (exit 1); prompteval rejects it before sending (3).
		: >"$work/gh.jsonl"
		want="rc == 3 and not rows and s['requests'] == 0 and 'not a prompt definition' in err" ;;
	advanced_template_prompt.yml | template_variables_prompt.yml | test_generate.yml)
		# No testData: gh-models runs 0 tests and prints "All tests
		# passed" (exit 0).  prompteval deliberately never turns nothing
		# checked into a pass: it warns that the prompt is not run and
		# exits 2 with "nothing was checked" (README, Exit status, 5).
		: >"$work/gh.jsonl"
		want="rc == 2 and not rows and s['requests'] == 0 and 'has no test data; it is not run' in err and 'nothing was checked' in open('$work/gh.out').read()" ;;
	failing_test_prompt.yml)
		# gh-models trims the answer and compares contains and
		# startsWith in lower case: the first answer passes both, the
		# second neither (1 of 2 passed, exit 1).
		cat >"$work/gh.jsonl" <<'S'
{"match": "capital of France", "reply": "  \nzzzzz: Paris. THIS-TEXT-WILL-NEVER-APPEAR-IN-ANY-RESPONSE\n"}
{"match": "What is 2 + 2?", "reply": "4"}
S
		want="rc == 1 and st == ['pass', 'fail'] and [e['reason'] for e in at[1]['evaluators']] == [\"does not contain 'this-text-will-never-appear-in-any-response'\", \"does not start with 'ZZZZZ'\"] and s['requests'] == 2" ;;
	json_response_prompt.yml)
		# The request asks for a JSON object; gh-models passes the
		# answer that contains "{" and "title" (in any case) and fails
		# the one with neither (exit 1).
		cat >"$work/gh.jsonl" <<'S'
{"match": ["summary of artificial intelligence", "json_object"], "reply": "{\"TITLE\": \"AI\", \"description\": \"Machines that learn.\", \"key_points\": []}"}
{"match": ["summary of climate change", "json_object"], "reply": "Climate change: the planet warms."}
S
		want="rc == 1 and st == ['pass', 'fail'] and [e['status'] for e in at[1]['evaluators']] == ['fail', 'fail'] and s['requests'] == 2" ;;
	json_schema_prompt.yml)
		# The request carries the schema; gh-models passes the answers
		# that contain "name" and "habitat" in any case, and fails the
		# one without a habitat (2 of 3 passed, exit 1).
		cat >"$work/gh.jsonl" <<'S'
{"match": ["Describe a dog", "animal_description"], "reply": "{\"name\": \"Dog\", \"habitat\": \"homes\", \"diet\": \"omnivore\"}"}
{"match": ["Describe a cat", "animal_description"], "reply": "{\"NAME\": \"Cat\", \"Habitat\": \"houses\", \"diet\": \"carnivore\"}"}
{"match": ["Describe a elephant", "animal_description"], "reply": "{\"name\": \"Elephant\", \"diet\": \"herbivore\"}"}
S
		want="rc == 1 and st == ['pass', 'pass', 'fail'] and [e['status'] for e in at[2]['evaluators']] == ['pass', 'fail'] and s['requests'] == 3" ;;
	sample_prompt.yml)
		# The first answer contains "hello" and its judge writes "On a
		# scale of 1 to 5: 4".  gh-models takes the first choice in file
		# order found anywhere in the reply, "1", and fails it;
		# prompteval deliberately reads the last stated choice, 4
		# (0.75), and passes it (README, LLM judges).  The second answer
		# lacks "goodbye" and fails in both, whatever its rating of 2.
		cat >"$work/gh.jsonl" <<'S'
{"match": ["similarity to a reference", "QUESTION:\\nhello world"], "reply": "On a scale of 1 to 5: 4"}
{"match": ["similarity to a reference", "QUESTION:\\ngoodbye world"], "reply": "2"}
{"match": "appropriately: hello world", "reply": "Hello there!"}
{"match": "appropriately: goodbye world", "reply": "See you later."}
S
		want="rc == 1 and st == ['pass', 'fail'] and [(e['status'], e['score']) for e in at[0]['evaluators']] == [('pass', 1), ('pass', 0.75)] and [(e['status'], e['score']) for e in at[1]['evaluators']] == [('fail', 0), ('pass', 0.25)] and s['requests'] == 4" ;;
	test_builtins.yml)
		# Ratings after a sentence of reasoning with no digit in it:
		# gh-models and prompteval both read them (2 passes), exit 0.
		cat >"$work/gh.jsonl" <<'S'
{"match": "You rate the similarity", "reply": "Close to the reference.\n4"}
{"match": "You rate the coherence", "reply": "Clear and well ordered.\n5"}
{"match": "You rate the fluency", "reply": "Reads naturally.\n5"}
{"match": "You rate the relevance", "reply": "Answers what was asked.\n3"}
{"match": "You rate the groundedness", "reply": "Mostly supported.\n2"}
{"match": "What is photosynthesis?", "reply": "Plants turn light into sugar."}
S
		want="rc == 0 and st == ['pass'] and [e['score'] for e in at[0]['evaluators']] == [0.75, 1, 1, 0.5, 0.25] and at[0]['judge']['calls'] == 5 and s['requests'] == 6" ;;
	test_single_evaluator.yml)
		# A fluency rating of 5: score 1, passed in both (exit 0).
		cat >"$work/gh.jsonl" <<'S'
{"match": ["You rate the fluency", "TEXT:\\nMachine learning lets computers learn from data."], "reply": "5"}
{"match": "What is machine learning?", "reply": "Machine learning lets computers learn from data."}
S
		want="rc == 0 and st == ['pass'] and at[0]['evaluators'][0]['reason'] == \"judge chose '5'\" and at[0]['score'] == 1 and s['requests'] == 2" ;;
	*)
		return 1 ;;
	esac
}
for f in "$GH"/*.yml; do
	name=$(basename "$f" .yml)
	if ! gh_example "$f"; then
		bad "gh-models example $name.yml has no expectation in this test"
		continue
	fi
	start <"$work/gh.jsonl"
	pe gh --no-cache "$f"
	check "gh-models example $name.yml: verdicts as gh models eval would give them (or as documented)" gh "$want"
	fake_stop
	rm -rf "$work/gh"
done

# 9. Many repeats judged side by side: 2 cases x 20 repeats x 2
#    temperatures, 8 requests in flight, two judges on each row.  Every row
#    is recorded once, with both judges' calls counted.  The server is
#    asked each distinct judge question exactly once: a judge is asked at
#    temperature 0, so its cache key is its question alone, and a question
#    already asked is answered from the cache or waits for the request in
#    flight.  Every repeat is a call of its own (the answer's cache key
#    holds the repeat), but at temperature 0 the fake server gives the 20
#    repeats of a case the same answer, hence one question per judge; at
#    0.7 each repeat has an answer, and a question, of its own.
start '{"match": "Grade this plan", "reply": "good"}' \
	'{"match": "You rate the coherence", "reply": "Rating: 4"}'
pe repeats -n 20 -j 8 -t 0,0.7 --cache-dir "$work/cache-repeats" $FIX/repeats.prompt.yml
check "repeats: 80 rows, each once, each judged by both judges" repeats \
	"rc == 0 and len(rows) == 80 and len(set(r['id'] for r in rows)) == 80 and all(r['judge']['calls'] == 2 and [(e['status'], e['score']) for e in r['evaluators']] == [('pass', 1), ('pass', 0.75)] for r in rows)"
check "repeats: one call per repeat, and one distinct answer per case at temperature 0" repeats \
	"answers == 40 + 40 and len({(r['case'], r['output']) for r in rows if r['temperature'] == 0}) == 2"
check "repeats: each distinct judge question asked once" repeats \
	"judges == 2 * len({(r['case'], r['output']) for r in rows}) and max(collections.Counter(e['body_hash'] for e in log if e['path'] == '/chat/completions').values()) == 1"
fake_stop

# 10. judge:, prompteval's rubric judge, with samples, beside a rule: and a
#     model_graded judge.  Each sample is a request of its own (its seed is
#     its number), so three samples are three distinct requests; the median
#     grade decides and the reason says how many agree.  Offline from that
#     cache the verdict is the same; with a fourth sample, which is not in
#     the cache, the judge did not run: skipped, never decided by the three
#     it has.
rubric() { # rubric SAMPLES: writes the prompt with that many samples
	cat >"$work/rubric.prompt.yml" <<EOF
name: Rubric
model: openai:answerer
messages:
  - role: user
    content: Plan it.
testData:
  - id: plan
    expected: A plan with a rollback
evaluators:
  - name: rollback
    judge:
      rubric: Every phase has a rollback step
      scale: 5
      pass: 4
      reference: "{{expected}}"
      samples: $1
      model: github:openai/grader
  - name: short
    rule: The plan is short
  - name: graded
    type: model_graded
    prompt: Does the plan name its phases?
    choices: ["Yes", "No"]
EOF
}
rubric 3
start '{"match": "RUBRIC:", "nth": 1, "reply": "Grade: 4"}' \
	'{"match": "RUBRIC:", "nth": 2, "reply": "3"}' \
	'{"match": "RUBRIC:", "reply": "5/5"}' \
	'{"match": "Criterion: The plan is short", "reply": "It is.\nPASS"}' \
	'{"match": "Yes or No", "reply": "No"}' \
	'{"path": "/v1/", "reply": "A plan."}'
pe rubric --judge-model github:openai/grader --cache-dir "$work/cache-rubric" "$work/rubric.prompt.yml"
check "judge: three samples, three distinct requests; the median grade decides, their agreement in the reason" rubric \
	"rc == 1 and len(rows) == 1 and by['plan']['judge']['calls'] == 5 and judges == 5 and len({e['body_hash'] for e in log if e['path'] == '/chat/completions'}) == 5 and ev['plan']['status'] == 'pass' and ev['plan']['score'] == 0.75 and ev['plan']['reason'].startswith('judge graded 4 of 5, passes at 4 (3 samples: ') and ev['plan']['reason'].endswith('; 1 of 3 agree)') and sorted(ev['plan']['reason'].split('samples: ')[1].split(';')[0].split(', ')) == ['3', '4', '5']"
check "rule: and model_graded: judged with the run's judge model" rubric \
	"[(e['name'], e['status'], e['reason']) for e in by['plan']['evaluators'][1:]] == [('short', 'pass', \"judge chose 'PASS'\"), ('graded', 'fail', \"judge chose 'No'\")] and by['plan']['status'] == 'fail'"
pe rubric-offline --offline --judge-model github:openai/grader --cache-dir "$work/cache-rubric" "$work/rubric.prompt.yml"
check "judge: offline from the cache: the same verdicts, no request" rubric-offline \
	"rc == 1 and s['requests'] == 6 and [(e['status'], e['score']) for e in by['plan']['evaluators']] == [('pass', 0.75), ('pass', 1), ('fail', 0)]"
rubric 4
pe rubric-4 --offline --judge-model github:openai/grader --cache-dir "$work/cache-rubric" "$work/rubric.prompt.yml"
check "judge: a sample missing from the cache leaves the judge skipped, not decided by the others" rubric-4 \
	"rc == 1 and ev['plan']['status'] == 'skip' and ev['plan']['reason'] == 'sample 4 of 4: the judge did not run: no cached judge answer for this request (--offline)' and s['requests'] == 6"
fake_stop

# 11. A judge call goes before the answers still waiting: with one request
#     in flight and one thread, each answer is followed by its judge, so a
#     job is journaled before the next answer is asked for.
start '{"match": "Grade this plan", "reply": "good"}' \
	'{"match": "You rate the coherence", "reply": "Rating: 4"}'
export OMP_NUM_THREADS=1
pe order -j 1 --no-cache $FIX/repeats.prompt.yml
unset OMP_NUM_THREADS
check "judge calls go before waiting answers" order \
	"rc == 0 and len(rows) == 2 and ''.join('A' if e['path'] == '/v1/chat/completions' else 'J' for e in log) == 'AJJAJJ'"
fake_stop

# 12. --until-decided with a judge: once the test decides, no new case
#     is sent, but every answer that came (or was in flight) is judged
#     and recorded: none is paid for and dropped.  30 cases against a
#     baseline the judge passed, now judged "bad", 8 requests in flight.
{
	printf 'name: Judged seq\nmodel: openai:answerer\nmessages:\n'
	printf '  - {role: user, content: "Plan the migration of {{t}}."}\n'
	printf 'testData:\n'
	i=1
	while [ $i -le 30 ]; do
		printf '  - {id: c%d, t: table%d}\n' $i $i
		i=$((i + 1))
	done
	printf 'evaluators:\n  - name: grade\n    llm:\n'
	printf '      modelId: openai/grader\n'
	printf '      prompt: "Grade this plan: {{completion}}"\n'
	printf '      choices:\n        - {choice: good, score: 1}\n'
	printf '        - {choice: bad, score: 0}\n'
} >"$work/seq.prompt.yml"
start '{"match": "Grade this plan", "reply": "good"}'
pe seqbase --no-cache "$work/seq.prompt.yml"
check "until-decided with a judge: the baseline passes its 30 cases" seqbase \
	"rc == 0 and len(rows) == 30 and all(r['status'] == 'pass' for r in rows)"
fake_stop
echo '{"match": "Grade this plan", "reply": "bad"}' >"$work/script.jsonl"
fake_start --latency-ms 20 --script "$work/script.jsonl"
config
pe seqhead -j 8 --no-cache --until-decided --seed 1 \
	--baseline "$work/seqbase/results.json" --fail-on regression \
	"$work/seq.prompt.yml"
check "until-decided with a judge: decided early, and every answer that came is judged and recorded" seqhead \
	"rc == 1 and 'sequential test: regression' in open('$work/seqhead.out').read() and 0 < answers < 30 and judges == answers and len([r for r in rows if r['status'] == 'fail' and r['judge']['calls'] == 1]) == answers"
fake_stop

# 13. A judge whose replies carry no usage: the judges' tokens are not
#     known, so their spend is not either, and --max-cost is not checked
#     (exit 2), never passed on the answers' cost alone.
start '{"match": "Grade this plan", "body": "{\"id\": \"j\", \"object\": \"chat.completion\", \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"good\"}, \"finish_reason\": \"stop\"}]}"}'
config 'prices:
  openai:answerer: {input: 1, output: 1}
  grader: {input: 1, output: 1}
'
pe nousage --no-cache --filter '^c1$' --max-cost 1000 "$work/seq.prompt.yml"
check "a judge that reports no tokens leaves --max-cost not checked (exit 2)" nousage \
	"rc == 2 and len(rows) == 1 and rows[0]['judge']['calls'] == 1 and rows[0]['judge']['tokens_in'] is None and 'gate not checked: --max-cost 1000' in open('$work/nousage.out').read()"
fake_stop

echo "judge: $pass passed, $fail failed"
[ "$fail" = 0 ]
