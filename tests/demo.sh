#!/bin/sh
# make demo: the main job on the bundled prompts.  Starts the fake LLM
# server on 127.0.0.1 (no network, no keys), runs the five seed prompts
# and the judged example (examples/, whose LLM judges the server answers
# as openai:sim-judge) against a strong and a weak simulated model at two
# temperatures with three repeats each, and writes every report; then
# runs an injected regression against that run with --until-decided, and
# scores the recorded real answer from seed 003.  The generated answers rarely meet the seed
# prompts' strict rules, so for one case per prompt the server is scripted
# (tests/demo-script.py) to answer sim-strong with the hand-written strong
# answer from datasets/responses/strong, except for one repeat in three at
# temperature 0.8: those cases pass, and flake at 0.8.
set -u
cd "$(dirname "$0")/.." || exit 1
FAKELLM=build/default/tests/fakellm
export FAKELLM
. tests/lib.sh
trap fake_stop EXIT
mkdir -p out
python3 tests/demo-script.py >out/demo-script.jsonl || exit 5
rm -rf out/demo-cache
fake_start --script out/demo-script.jsonl
fake_config out/demo-prompteval.yml
echo "make demo: fake LLM server on $FAKE_URL (loopback, simulated models)"
set -x
./prompteval check prompts/ || exit $?
./prompteval run -c out/demo-prompteval.yml -m openai:sim-strong \
	-m openai:sim-weak -t 0,0.8 -n 3 -o out/demo --cache-dir out/demo-cache \
	--judge-model openai:sim-judge \
	-f terminal,json,jsonl,junit,md,html,csv prompts/ examples/
status=$?
{ set +x; } 2>/dev/null
[ $status -le 1 ] || exit $status
# An edit that regresses (the server stops giving sim-strong its strong
# answers), checked against the run above as its baseline: the cases go
# in random order and the run stops once the sequential test decides.
python3 tests/demo-script.py --regressed >out/demo-script-regressed.jsonl ||
	exit 5
fake_stop
fake_start --script out/demo-script-regressed.jsonl
fake_config out/demo-prompteval.yml
echo "make demo: an injected regression, stopped when decided"
set -x
./prompteval run -q -c out/demo-prompteval.yml -m openai:sim-strong \
	-m openai:sim-weak -t 0,0.8 -n 3 -o out/demo-regressed --no-cache \
	--judge-model openai:sim-judge --baseline out/demo/results.json \
	--until-decided --seed 1 --fail-on regression prompts/ examples/
status=$?
{ set +x; } 2>/dev/null
[ $status -le 1 ] || exit $status
set -x
./prompteval score -q --max-ungraded 3 --responses datasets/responses/recorded \
	-o out/demo-recorded prompts/003-zero-downtime-migration-strategy.prompt.yml
{ set +x; } 2>/dev/null
echo "make demo: results in out/demo/results.json and out/demo/results.jsonl;"
echo "reports in out/demo/report.html, report.md, junit.xml and results.csv;"
echo "the injected regression's in out/demo-regressed/"
exit 0
