#!/bin/sh
# make demo: the main job on the bundled prompts.  Starts the fake LLM
# server on 127.0.0.1 (no network, no keys), runs the five seed prompts
# against a strong and a weak simulated model at two temperatures with
# three repeats each, and prints the pass-rate matrix; then scores the
# recorded real answer from seed 003.  Failing cases are expected: the
# seed prompts' rules are strict.
set -u
cd "$(dirname "$0")/.." || exit 1
FAKELLM=build/default/tests/fakellm
export FAKELLM
. tests/lib.sh
trap fake_stop EXIT
fake_start
fake_config out/demo-prompteval.yml
echo "make demo: fake LLM server on $FAKE_URL (loopback, simulated models)"
set -x
./prompteval check prompts/ || exit $?
./prompteval run -c out/demo-prompteval.yml -m openai:sim-strong \
	-m openai:sim-weak -t 0,0.8 -n 3 -o out/demo prompts/
status=$?
{ set +x; } 2>/dev/null
[ $status -le 1 ] || exit $status
set -x
./prompteval score -q --responses datasets/responses/recorded \
	-o out/demo-recorded prompts/
{ set +x; } 2>/dev/null
echo "make demo: results in out/demo/results.json and out/demo/results.jsonl"
exit 0
