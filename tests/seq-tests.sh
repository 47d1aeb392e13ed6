#!/bin/sh
# End-to-end tests of "run --until-decided" and "run --baseline-rev": a
# prompt of 40 cases answered by the echo model (whose answer is the
# rendered prompt, so an edit of the prompt decides each verdict), a
# baseline where every case passes, then
#  - an edit that fails every case: the sequential test decides
#    "regression", the run stops with cases not run, results.json and the
#    report say so, and --fail-on regression fails (exit 1);
#  - the same prompt with --alpha 0.2: "no regression", stopped early;
#  - the same seed gives the same order (the same cases run), and two
#    models' cases go out in that order, interleaved;
#  - a baseline from before results schema 3 (8-digit generated ids)
#    still pairs case by case and decides;
#  - usage errors (exit 4);
#  - --baseline-rev in a temporary git repository: a commit, an edit and a
#    new prompt file, then one run that compares and gates; an unknown
#    revision and a folder outside git (exit 3);
#  - with FAKELLM, --baseline-rev --no-cache asks an unchanged prompt once,
#    and SIGINT during the baseline side stops the command (exit 2).
# usage: tests/seq-tests.sh PROMPTEVAL [FAKELLM]
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${2:-}" ]; then
	FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	export FAKELLM
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
cd "$work" || exit 1

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# check NAME COMMAND...: the command's status is 0.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# A prompt of 40 cases; $1 is the word every answer must hold.
prompt() {
	printf 'name: Seq\nmodel: echo\nmessages:\n  - role: user\n'
	printf '    content: "say {{w}} %s"\ntestData:\n' "$1"
	i=1
	while [ $i -le 40 ]; do
		printf '  - id: c%d\n    w: w%d\n' $i $i
		i=$((i + 1))
	done
	printf 'evaluators:\n  - name: ok\n    string: {contains: "OK"}\n'
}

mkdir base head same
prompt OK >base/p.prompt.yml
prompt KO >head/p.prompt.yml
prompt OK >same/p.prompt.yml
"$PE" run -q -m echo: -n 2 -o out-base --no-cache base/p.prompt.yml >/dev/null
check "the baseline passes every case" \
	grep -q '"pass":80' out-base/results.json

# 1. A regression: decided early, the rest not run, the gate fails.
"$PE" run -q -m echo: -n 2 -o out-head --no-cache --seed 7 \
	--baseline out-base/results.json --until-decided --fail-on regression \
	-f md head/p.prompt.yml >head.out 2>head.err
rc=$?
check "regression: exit 1 (the gate failed)" [ $rc = 1 ]
check "regression: the seed is printed" \
	grep -q '^until decided: 40 cases in random order (seed 7), alpha 0.05, margin 0.1$' head.out
check "regression: the sequential test says regression" \
	grep -q '^sequential test: regression, decided after 7 compared cases' head.out
run=$(sed -n 's/.*; \([0-9]*\) of 40 cases run;.*/\1/p' head.out)
check "regression: fewer cases run than planned ($run of 40)" \
	[ -n "$run" ] && [ "$run" -lt 40 ]
check "regression: the cases not run are said" \
	grep -q "^stopped early: $((40 - run)) of 40 cases not run (stopped, decided" head.out
check "regression: results.json says the run stopped, decided" \
	grep -q "\"stopped\":\"decided: regression after $run of 40 cases\"" out-head/results.json
check "regression: report.md says it too" \
	grep -q 'stopped early, decided: regression' out-head/report.md
check "regression: the gate names the sequential test" \
	grep -q '^gate failed: --fail-on regression (sequential test: regression after 7 compared cases, alpha 0.05)$' head.out

# 2. The same seed runs the same cases first.
"$PE" run -q -m echo: -n 2 -o out-head2 --no-cache --seed 7 -j 1 \
	--baseline out-base/results.json --until-decided head/p.prompt.yml >/dev/null
"$PE" run -q -m echo: -n 2 -o out-head3 --no-cache --seed 7 -j 1 \
	--baseline out-base/results.json --until-decided head/p.prompt.yml >/dev/null
first() { grep -o '"case_id":"c[0-9]*"' "$1" | sort | head -7; }
check "the same seed runs the same cases" \
	[ "$(first out-head2/results.jsonl)" = "$(first out-head3/results.jsonl)" ]

# 2b. Two models: the cases go out in the random order across models, not
# one model's cases first (each model is a target of its own).
"$PE" run -q -m echo:a -m echo:b -n 2 -o out-two-base --no-cache \
	base/p.prompt.yml >/dev/null
"$PE" run -q -m echo:a -m echo:b -n 2 -o out-two --no-cache --seed 3 \
	--baseline out-two-base/results.json --until-decided \
	head/p.prompt.yml >two.out 2>&1
two_run=$(sed -n 's/.*; \([0-9]*\) of 80 cases run;.*/\1/p' two.out)
check "two models: stopped early ($two_run of 80 cases run)" \
	[ -n "$two_run" ] && [ "$two_run" -lt 40 ]
check "two models: both models' cases ran before the decision" \
	sh -c 'grep -q "\"model\":\"echo:a\"" out-two/results.jsonl &&
		grep -q "\"model\":\"echo:b\"" out-two/results.jsonl'

# 3. Nothing changed: no regression (at alpha 0.2, within 40 cases).
"$PE" run -q -m echo: -n 2 -o out-same --no-cache --alpha 0.2 -j 1 \
	--baseline out-base/results.json --until-decided --fail-on regression \
	same/p.prompt.yml >same.out 2>&1
rc=$?
check "no change: exit 0" [ $rc = 0 ]
check "no change: the sequential test says no regression" \
	grep -q '^sequential test: no regression, decided after' same.out
check "no change: stopped early" grep -q '^stopped early: ' same.out
check "no change: the gate passes" \
	grep -q '^gate passed: --fail-on regression (sequential test: no regression' same.out

# 3b. Undecided when the cases run out (4 regressed of 40, alpha 0.001):
# every case ran, so the gate reads the whole comparison and fails.
{
	prompt OK
	printf "  - name: not one to four\n    regex: '^(?!.*\\\\bw[1-4]\\\\b)'\n"
} >und.prompt.yml
"$PE" run -q -m echo: -n 2 -o out-und --no-cache --alpha 0.001 \
	--baseline out-base/results.json --until-decided --fail-on regression \
	und.prompt.yml >und.out 2>&1
rc=$?
check "undecided: the cases ran out undecided" \
	grep -q '^sequential test: undecided after 40 compared cases' und.out
check "undecided: the gate reads the comparison and fails (exit 1)" \
	sh -c "[ $rc = 1 ] && grep -q '^gate failed: --fail-on regression (4 cases regressed)\$' und.out"

# 3c. A baseline from before results schema 3, whose generated case ids
# have 8 hex digits: the cases pair by the first 8 digits of this run's
# 16, as compare does, so the test still decides early.
mkdir noid
prompt OK | sed '/^  - id: c/d; s/^    w: \(w[0-9]*\)$/  - w: \1/' >noid/base.prompt.yml
prompt KO | sed '/^  - id: c/d; s/^    w: \(w[0-9]*\)$/  - w: \1/' >noid/head.prompt.yml
"$PE" run -q -m echo: -o out-noid --no-cache noid/base.prompt.yml >/dev/null
python3 - out-noid/results.json old.json <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
d["schema_version"] = 2
d.pop("cases", None)
for r in d["results"]:
    assert re.fullmatch(r"case-[0-9a-f]{16}", r["case"]), r["case"]
    r["case"] = r["case"][:13]
json.dump(d, open(sys.argv[2], "w"))
PY
"$PE" run -q -m echo: -o out-old --no-cache --seed 7 -j 1 \
	--baseline old.json --until-decided --fail-on regression \
	noid/head.prompt.yml >old.out 2>&1
rc=$?
check "schema 2 baseline: the sequential test pairs its 8-digit ids and decides" \
	grep -q '^sequential test: regression, decided after' old.out
check "schema 2 baseline: stopped early, the gate fails (exit $rc)" \
	sh -c "[ $rc = 1 ] && grep -q '^stopped early: ' old.out"

# 4. Usage errors.
"$PE" run -q -m echo: --until-decided same/p.prompt.yml >/dev/null 2>u1.err
check "--until-decided without --baseline: exit 4" [ $? = 4 ]
check "--until-decided without --baseline: says so" \
	grep -q 'needs --baseline' u1.err
"$PE" run -q -m echo: --seed 3 same/p.prompt.yml >/dev/null 2>&1
check "--seed without --until-decided: exit 4" [ $? = 4 ]
"$PE" run -q -m echo: --alpha 1 --baseline out-base/results.json \
	--until-decided same/p.prompt.yml >/dev/null 2>&1
check "--alpha 1: exit 4" [ $? = 4 ]
"$PE" run -q -m echo: --resume --baseline out-base/results.json \
	--until-decided same/p.prompt.yml >/dev/null 2>&1
check "--until-decided with --resume: exit 4" [ $? = 4 ]

# 5. --baseline-rev: a temporary repository, a commit, an edit, one run.
mkdir repo repo/prompts
(
	cd repo || exit 1
	git init -q . && prompt OK >prompts/p.prompt.yml &&
		prompt OK | sed 's/^name: Seq/name: Other/' >prompts/o.prompt.yml &&
		git add prompts &&
		git -c user.name=t -c user.email=t@example.com commit -qm base &&
		prompt KO >prompts/p.prompt.yml &&
		prompt OK | sed 's/^name: Seq/name: New/' >prompts/n.prompt.yml
) || bad "a repository for --baseline-rev"
(
	cd repo || exit 1
	"$PE" run -q -m echo: -o out --fail-on regression --baseline-rev HEAD \
		prompts >../rev.out 2>../rev.err
	echo $? >../rev.rc
	"$PE" run -q -m echo: -o out2 --baseline-rev nosuch prompts \
		>/dev/null 2>../nosuch.err
	echo $? >../nosuch.rc
	"$PE" run -q -m echo: -o out3 --baseline-rev HEAD --until-decided \
		--seed 1 prompts >../revseq.out 2>&1
)
check "baseline-rev: exit 1 (the regression gate failed)" [ "$(cat rev.rc)" = 1 ]
check "baseline-rev: the revision's files are run first" \
	grep -q '^baseline: prompts as at HEAD (2 files, 0 PATHs new since), run into out/baseline$' rev.out
check "baseline-rev: the edited prompt regressed in every case" \
	grep -q '^prompt Seq: 40 regressed, 0 improved, 0 unchanged of 40 cases' rev.out
check "baseline-rev: the unchanged prompt is unchanged" \
	grep -q '^prompt Other: 0 regressed, 0 improved, 40 unchanged of 40 cases' rev.out
check "baseline-rev: a prompt new since the revision is listed as added" \
	grep -q '^added (listed, not compared): 40$' rev.out
check "baseline-rev: the revision's results are kept" \
	[ -s repo/out/baseline/results.json ]
check "baseline-rev: an unknown revision is an input error (exit 3)" \
	[ "$(cat nosuch.rc)" = 3 ]
check "baseline-rev: an unknown revision is named" \
	grep -q -- '--baseline-rev nosuch: no such revision' nosuch.err
check "baseline-rev with --until-decided: decided regression" \
	grep -q '^sequential test: regression' revseq.out
mkdir plain
cp head/p.prompt.yml plain/
(cd plain && "$PE" run -q -m echo: -o out --baseline-rev HEAD \
	p.prompt.yml >/dev/null 2>../plain.err; echo $? >../plain.rc)
check "baseline-rev outside a git work tree: exit 3" [ "$(cat plain.rc)" = 3 ]
check "baseline-rev outside a git work tree: says so" \
	grep -q 'needs a git work tree' plain.err
"$PE" run -q -m echo: --baseline-rev HEAD --baseline x \
	same/p.prompt.yml >/dev/null 2>&1
check "--baseline-rev with --baseline: exit 4" [ $? = 4 ]

# 6. With --no-cache the two sides of --baseline-rev still share their
# identical requests (a cache of their own): against the fake server, the
# revision's two prompts (whose 40 requests are the same) ask 40, then
# only the edited prompt asks its 40; the unchanged prompt, and the new
# one whose requests are the same, ask none.  Without the sharing: 200.
if [ -n "${FAKELLM:-}" ]; then
	. "$root/tests/lib.sh"
	fake_start
	fake_config repo/pe.yml
	(cd repo && OPENAI_API_KEY=sk-seq-tests-key "$PE" run -q -c pe.yml \
		-m openai:sim -o out4 --no-cache --baseline-rev HEAD \
		prompts >../shared.out 2>&1)
	requests=$(fake_get /_stats |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
	fake_stop
	check "baseline-rev --no-cache: an unchanged prompt is asked once ($requests requests, want 80)" \
		[ "$requests" = 80 ]
	check "baseline-rev --no-cache: its own cache is gone afterwards" \
		sh -c '! ls -d "${TMPDIR:-/tmp}"/prompteval-rev-*/.prompteval-rev-cache 2>/dev/null | grep -q .'

	# 7. Ctrl-C during the baseline side stops the command: the working
	# tree's side is not run, so no call is spent to compare against a
	# partial baseline.  The signal goes once two answers are in.
	fake_start --latency-ms 100
	fake_config repo/pe.yml
	mkfifo int.err
	(cd repo && exec env OPENAI_API_KEY=sk-seq-tests-key "$PE" run -q -v \
		-c pe.yml -m openai:sim -j 1 -o out5 --no-cache \
		--baseline-rev HEAD prompts >../int.out 2>../int.err) &
	pid=$!
	exec 3<int.err
	read_verdicts 2
	kill -INT $pid
	cat <&3 >/dev/null
	exec 3<&-
	wait $pid
	status=$?
	requests=$(fake_get /_stats |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
	fake_stop
	check "baseline-rev, Ctrl-C on the baseline side: exit 2 (got $status)" \
		[ "$status" = 2 ]
	check "baseline-rev, Ctrl-C on the baseline side: says the working tree's side is not run" \
		grep -q "^the working tree's side is not run: the baseline side was interrupted$" int.out
	check "baseline-rev, Ctrl-C on the baseline side: no --resume hint (the command takes none)" \
		sh -c 'grep -q "^interrupted: [0-9]* jobs not run$" int.out && ! grep -q -- --resume int.out'
	check "baseline-rev, Ctrl-C on the baseline side: the working tree's side wrote nothing" \
		[ ! -e repo/out5/results.json ]
	check "baseline-rev, Ctrl-C on the baseline side: the partial baseline is kept" \
		[ -s repo/out5/baseline/results.json ]
	check "baseline-rev, Ctrl-C on the baseline side: $requests requests, fewer than the side's 80" \
		[ "$requests" -lt 80 ]
fi

echo "seq: $pass passed, $fail failed"
[ "$fail" = 0 ]
