#!/usr/bin/env python3
"""Writes the fake server's script for make demo (see tests/demo.sh).

First the judges' replies (JUDGE_RULES below), then the answers.

For each hand-written strong answer in datasets/responses/strong/PROMPT/
CASE.md, two rules keyed on a phrase only that case's request holds:
sim-strong gets the strong answer, except the second request at
temperature 0.8, which gets the generated answer.  So the case passes at
temperature 0 and passes two repeats in three at 0.8: a flaky case.

With --regressed, an edit that regresses: sim-strong no longer gets the
strong answers (the judges' rules stay), so the cases that passed fail.
"""
import json
import os
import sys

# A phrase from each case's variables, unique to that case's request.
PHRASES = {
    "000-zero-downtime-db-migration-architect/pg12-to-aurora":
        "self-hosted monolithic PostgreSQL 12",
    "001-zero-downtime-migration-planner/pg14-users-credentials-split":
        "users table with 50M rows",
    "002-data-migration-safety-planner/users-email-to-email-address-table":
        "Move users.email (varchar(320)",
    "003-zero-downtime-migration-strategy/users-email-to-email-address-table":
        "users table with 12M rows holds a single email column",
    "004-database-migration-strategy-planner/"
    "pg15-users-split-profiles-preferences":
        "Splitting a monolithic users table into separate users",
}

# The judges of examples/judged-migration-plan.prompt.yml, asked of
# openai:sim-judge: each reply depends on what the judged answer holds, so
# strong and weak answers get different verdicts.  Judge requests are told
# apart by their own words (RUBRIC:, Criterion:, the llm prompt), which no
# answer request holds.
JUDGE_RULES = [
    (["RUBRIC:", "Point of No Return"],
     "Each phase names its undo step and the point of no return is "
     "stated.\n5"),
    (["RUBRIC:"], "The last phase has no undo step.\n2"),
    (["Criterion:", ". Rollback"],
     "Every locking step has an online alternative.\nPASS"),
    (["Criterion:"], "A step holds a long lock.\nFAIL"),
    (["Is this plan safe", "lock_timeout"], "It sets lock_timeout on every step: safe"),
    (["Is this plan safe"], "It would lock the table: unsafe"),
]
for match, reply in JUDGE_RULES:
    print(json.dumps({"comment": "judge", "match":
                      ['"model":"sim-judge"'] + match, "reply": reply}))

if "--regressed" in sys.argv[1:]:
    sys.exit(0)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
for key, phrase in sorted(PHRASES.items()):
    path = os.path.join(root, "datasets/responses/strong", key + ".md")
    with open(path, encoding="utf-8") as f:
        answer = f.read()
    strong = ['"model":"sim-strong"', phrase]
    print(json.dumps({"comment": key + ": one flaky repeat at 0.8",
                      "match": strong + ['"temperature":0.8'], "nth": 2}))
    print(json.dumps({"comment": key + ": the strong answer",
                      "match": strong, "reply": answer}))
sys.exit(0)
