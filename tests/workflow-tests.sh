#!/bin/sh
# The CI recipes of examples/github/, run as written: every job and step
# of prompts-pr.yml and prompts-pr-sharded.yml runs in bash, in order, with
# the environment the workflow sets (tests/workflow-run.py simulates the
# runner and the uses: steps), against the fake LLM server, for a pull
# request of a temporary repository (a bare origin with main and the pull
# request's branch).  Three pull requests, one after the other on the same
# pull request (so its comment is edited, not added):
#  - a clean change: the prompt is reworded, the answers still pass; every
#    step exits 0 and the workflow passes;
#  - a regression: the edit makes every answer fail (the server's script
#    answers it badly); the gate step fails with the significant
#    regression, after the summary, the comment and the upload ran;
#  - a run with errors: the server refuses the key (401); the gate step
#    fails on --max-errors 0 and the log says why.
# Each time: the step summary holds report.md, the one comment (gh is a
# stub that records what it was sent) holds it too, and the HTML report
# was uploaded.  The workflows name the models of the prompt files; the
# runner's environment sets OPENAI_BASE_URL to the fake server, as a user
# would point the OpenAI provider elsewhere.  make is a stub that puts
# the prompteval under test where "make" puts it.
# usage: tests/workflow-tests.sh PROMPTEVAL FAKELLM
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$2
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
work=$(mktemp -d)
trap 'fake_stop; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# The stubs: make builds nothing and puts the binary under test in the
# workspace; gh answers from a file.
mkdir "$work/bin"
cat >"$work/bin/make" <<EOF
#!/bin/sh
[ \$# = 0 ] || { echo "make (stub): only 'make' is simulated" >&2; exit 2; }
cp "$PE" ./prompteval
EOF
cp "$top/tests/workflow-gh.py" "$work/bin/gh"
chmod +x "$work/bin/make" "$work/bin/gh"

# The repository: main with one prompt of 8 cases and one that no pull
# request touches.
prompt() {
	printf 'name: %s\nmodel: gpt-4o-mini\nmessages:\n  - role: user\n' "$1"
	printf '    content: "%s {{q}}"\ntestData:\n' "$2"
	for q in one two three four five six seven eight; do
		printf '  - {id: %s, q: %s}\n' $q $q
	done
	printf 'evaluators:\n  - name: says OK\n    string: {contains: OK}\n'
}
git init -q --bare "$work/origin.git"
git clone -q "$work/origin.git" "$work/dev" 2>/dev/null
(
	cd "$work/dev" || exit 1
	git checkout -q -b main
	mkdir prompts
	prompt Answer "Answer:" >prompts/answer.prompt.yml
	prompt Other "Other question:" >prompts/other.prompt.yml
	git add prompts
	git -c user.name=t -c user.email=t@example.com commit -qm "the prompts"
	git push -q origin main
) || bad "a repository with a main branch"

# pr BRANCH TEXT: a pull request that changes the Answer prompt's words.
pr() {
	(
		cd "$work/dev" &&
			git checkout -q -b "$1" main &&
			prompt Answer "$2" >prompts/answer.prompt.yml &&
			git -c user.name=t -c user.email=t@example.com commit -qam "$1" &&
			git push -q origin "$1"
	) || bad "a pull request branch $1"
}

# flow NAME WORKFLOW BRANCH: runs the workflow for pull request 7 of
# BRANCH; its output goes to $work/NAME.out, its files under $work/NAME.
flow() {
	mkdir -p "$work/$1" "$work/gh-$2"
	python3 "$top/tests/workflow-run.py" "$top/examples/github/$2.yml" \
		--repo "file://$work/origin.git" --branch "$3" --base main --pr 7 \
		--work "$work/$1" --path "$work/bin" \
		--env "OPENAI_BASE_URL=$FAKE_URL/v1" --env "GH_STUB_DIR=$work/gh-$2" \
		--secret OPENAI_API_KEY=sk-fake-workflow-key-0123456789 \
		--secret GITHUB_TOKEN=ghs_fake_workflow_token_0123456789 \
		>"$work/$1.out" 2>&1
	echo $? >"$work/$1.rc"
}

# step NAME 'STEP LINE': the workflow's output has this step line.
has() { grep -qxF -- "$2" "$work/$1.out"; }
# the comment the gh stub holds for pull request 7, and how many there are
comments() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$1"; }
comment_body() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["body"])' "$1"; }

pr clean "Answer briefly:"
pr regress "Answer, be terse:"
pr errors "Answer in one word:"

cat >"$work/script.jsonl" <<'S'
{"match": "be terse", "reply": "No."}
{"match": "question", "reply": "OK: the other answer."}
{"match": "Answer", "reply": "OK, the answer."}
S
echo '{"status": 401}' >"$work/refuse.jsonl"

# The steps of prompts-pr.yml, in order.
E='evaluate'
S1="step $E #1 actions/checkout@v4: success (exit 0)"
S2="step $E #2 Build prompteval: success (exit 0)"
S3="step $E #3 Keep answers between runs: success (exit 0)"
S4="step $E #4 Evaluate against the base branch: success (exit 0)"
S5="step $E #5 Job summary: success (exit 0)"
S6="step $E #6 Pull-request comment: success (exit 0)"
S7="step $E #7 Upload the HTML report: success (exit 0)"
G0="step $E #8 Gates: success (exit 0)"
G1="step $E #8 Gates: failure (exit 1)"

# report_checks NAME GHDIR ARTIFACTDIR SUMMARY WORDS: report.md reached
# the step summary and the one comment, and the HTML was uploaded.
report_checks() {
	sum=$4
	check "$1: the step summary holds report.md" \
		grep -q '^# prompteval report' "$sum"
	check "$1: the step summary names the gate outcome ($5)" \
		grep -q -- "$5" "$sum"
	check "$1: one comment on the pull request" [ "$(comments "$2/comments.json")" = 1 ]
	comment_body "$2/comments.json" >"$work/comment.md"
	check "$1: the comment starts with its marker" \
		[ "$(head -n 1 "$work/comment.md")" = '<!-- prompteval report -->' ]
	check "$1: the comment holds this run's report" \
		grep -q -- "$5" "$work/comment.md"
	check "$1: the comment holds report.md" grep -q '^# prompteval report' "$work/comment.md"
	check "$1: the HTML report was uploaded" grep -q '<html' "$3/report.html"
}

# 1. prompts-pr.yml
fake_start --script "$work/script.jsonl"
flow pr-clean prompts-pr clean
check "clean change: the workflow passes" [ "$(cat "$work/pr-clean.rc")" = 0 ]
for s in "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$G0"; do
	check "clean change: $s" has pr-clean "$s"
done
report_checks "clean change" "$work/gh-prompts-pr" \
	"$work/pr-clean/artifacts/prompteval-report" \
	"$work/pr-clean/evaluate.summary.md" "gate passed: --fail-on significant-regression"
check "clean change: the comment was added (POST)" \
	grep -q '"method": "POST"' "$work/gh-prompts-pr/calls.jsonl"
check "clean change: the base branch was the baseline" \
	grep -q '^baseline: prompts/ as at origin/main (2 files, 0 PATHs new since)' "$work/pr-clean.out"
check "clean change: the unchanged prompt was asked once (2 x 8 + 8 requests)" \
	grep -q '"requests":24,' "$(fake_get /_stats >"$work/stats1" && echo "$work/stats1")"

flow pr-regress prompts-pr regress
check "regression: the workflow fails" [ "$(cat "$work/pr-regress.rc")" = 1 ]
for s in "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$G1"; do
	check "regression: $s" has pr-regress "$s"
done
check "regression: the gate step names the failed gate" \
	grep -q '^gate failed: --fail-on significant-regression (overall: 8 of 16 cases regressed' "$work/pr-regress.out"
report_checks "regression" "$work/gh-prompts-pr" \
	"$work/pr-regress/artifacts/prompteval-report" \
	"$work/pr-regress/evaluate.summary.md" "gate failed: --fail-on significant-regression"
check "regression: the comment was edited (PATCH), not added again" \
	grep -q '"method": "PATCH"' "$work/gh-prompts-pr/calls.jsonl"
fake_stop

fake_start --script "$work/refuse.jsonl"
flow pr-errors prompts-pr errors
check "errors: the workflow fails" [ "$(cat "$work/pr-errors.rc")" = 1 ]
for s in "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$S7" "$G1"; do
	check "errors: $s" has pr-errors "$s"
done
check "errors: the gate step names --max-errors" \
	grep -q '^gate failed: --max-errors 0 (16 errors)' "$work/pr-errors.out"
check "errors: the log says why (HTTP 401)" \
	grep -q 'HTTP 401' "$work/pr-errors.out"
report_checks "errors" "$work/gh-prompts-pr" \
	"$work/pr-errors/artifacts/prompteval-report" \
	"$work/pr-errors/evaluate.summary.md" "gate failed: --max-errors 0"
check "errors: the summary says why (HTTP 401)" \
	grep -q 'HTTP 401' "$work/pr-errors/evaluate.summary.md"
fake_stop

# 2. prompts-pr-sharded.yml: four shard jobs, then the merge job.
M='merge'
shard_lines() {
	for k in 1 2 3 4; do
		echo "step shard[shard=$k] #1 actions/checkout@v4: success (exit 0)"
		echo "step shard[shard=$k] #2 Build prompteval: success (exit 0)"
		echo "step shard[shard=$k] #3 Evaluate shard $k of 4, base and head: success (exit 0)"
		echo "step shard[shard=$k] #4 actions/upload-artifact@v4: success (exit 0)"
	done
	echo "step $M #1 actions/checkout@v4: success (exit 0)"
	echo "step $M #2 Build prompteval: success (exit 0)"
	echo "step $M #3 actions/download-artifact@v4: success (exit 0)"
	echo "step $M #4 Merge the shards and compare with the base branch: success (exit 0)"
	echo "step $M #5 Job summary: success (exit 0)"
	echo "step $M #6 Pull-request comment: success (exit 0)"
	echo "step $M #7 Upload the HTML report: success (exit 0)"
}
# sharded NAME GATE-LINE: every step line, in order.
sharded() {
	{
		shard_lines
		echo "$2"
	} >"$work/$1.want"
	grep '^step ' "$work/$1.out" >"$work/$1.got"
	check "$1: every step, in order, with its exit status" cmp -s "$work/$1.want" "$work/$1.got" ||
		diff "$work/$1.want" "$work/$1.got"
}
MG0="step $M #8 Gates: success (exit 0)"
MG1="step $M #8 Gates: failure (exit 1)"

fake_start --script "$work/script.jsonl"
flow sh-clean prompts-pr-sharded clean
check "sharded, clean change: the workflow passes" [ "$(cat "$work/sh-clean.rc")" = 0 ]
sharded sh-clean "$MG0"
report_checks "sharded, clean change" "$work/gh-prompts-pr-sharded" \
	"$work/sh-clean/artifacts/prompteval-report" \
	"$work/sh-clean/merge.summary.md" "gate passed: --fail-on significant-regression"
check "sharded, clean change: each shard uploaded both sides" \
	[ "$(ls "$work"/sh-clean/artifacts/shard-*/*/results.json | wc -l)" = 8 ]
check "sharded, clean change: the unchanged prompt was asked once (2 x 8 + 8 requests)" \
	grep -q '"requests":24,' "$(fake_get /_stats >"$work/stats2" && echo "$work/stats2")"

flow sh-regress prompts-pr-sharded regress
check "sharded, regression: the workflow fails" [ "$(cat "$work/sh-regress.rc")" = 1 ]
sharded sh-regress "$MG1"
check "sharded, regression: the gate step names the failed gate" \
	grep -q '^gate failed: --fail-on significant-regression (overall: 8 of 16 cases regressed' "$work/sh-regress.out"
report_checks "sharded, regression" "$work/gh-prompts-pr-sharded" \
	"$work/sh-regress/artifacts/prompteval-report" \
	"$work/sh-regress/merge.summary.md" "gate failed: --fail-on significant-regression"
fake_stop

fake_start --script "$work/refuse.jsonl"
flow sh-errors prompts-pr-sharded errors
check "sharded, errors: the workflow fails" [ "$(cat "$work/sh-errors.rc")" = 1 ]
sharded sh-errors "$MG1"
check "sharded, errors: the gate step names --max-errors" \
	grep -q '^gate failed: --max-errors 0 (16 errors)' "$work/sh-errors.out"
report_checks "sharded, errors" "$work/gh-prompts-pr-sharded" \
	"$work/sh-errors/artifacts/prompteval-report" \
	"$work/sh-errors/merge.summary.md" "gate failed: --max-errors 0"
check "sharded, errors: the summary says why (HTTP 401)" \
	grep -q 'HTTP 401' "$work/sh-errors/merge.summary.md"
fake_stop

echo "workflow tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
