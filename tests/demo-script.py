#!/usr/bin/env python3
"""Writes the fake server's script for make demo (see tests/demo.sh).

For each hand-written strong answer in datasets/responses/strong/PROMPT/
CASE.md, two rules keyed on a phrase only that case's request holds:
sim-strong gets the strong answer, except the second request at
temperature 0.8, which gets the generated answer.  So the case passes at
temperature 0 and passes two repeats in three at 0.8: a flaky case.
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
