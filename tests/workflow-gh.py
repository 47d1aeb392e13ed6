#!/usr/bin/env python3
"""A stand-in for the gh command line for tests/workflow-tests.sh: the
part of "gh api" that reads, adds and edits a pull request's comments,
kept in GH_STUB_DIR/comments.json.  Every call is appended to
GH_STUB_DIR/calls.jsonl with its arguments and the body it sent.  --jq
runs the real jq (gh's --jq is jq's language); --paginate returns the one
page.  Without GH_TOKEN it fails as gh does; any other use is an error.
"""

import json
import os
import re
import subprocess
import sys


def fail(msg, status=1):
    sys.stderr.write("gh (stub): %s\n" % msg)
    sys.exit(status)


def main(argv):
    state = os.environ["GH_STUB_DIR"]
    calls = os.path.join(state, "calls.jsonl")
    store = os.path.join(state, "comments.json")
    comments = json.load(open(store)) if os.path.exists(store) else []
    if not argv or argv[0] != "api":
        fail("not simulated: gh %s" % " ".join(argv))
    method, endpoint, jq, fields = "GET", None, None, {}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("-X", "--method"):
            method = argv[i + 1]
            i += 1
        elif a == "--paginate":
            pass
        elif a in ("-q", "--jq"):
            jq = argv[i + 1]
            i += 1
        elif a in ("-F", "--field", "-f", "--raw-field"):
            key, value = argv[i + 1].split("=", 1)
            if a in ("-F", "--field") and value.startswith("@"):
                value = open(value[1:], encoding="utf-8").read()
            fields[key] = value
            i += 1
        elif endpoint is None:
            endpoint = a
        else:
            fail("not simulated: argument %s" % a)
        i += 1
    if fields and method == "GET":
        method = "POST"  # as gh does when fields are given
    with open(calls, "a") as f:
        f.write(json.dumps({"argv": argv, "method": method, "endpoint": endpoint,
                            "body": fields.get("body")}) + "\n")
    if not os.environ.get("GH_TOKEN") and not os.environ.get("GITHUB_TOKEN"):
        fail("To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN "
             "environment variable.", 4)
    listing = re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", endpoint or "")
    one = re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", endpoint or "")
    if listing and method == "GET":
        out = [c for c in comments if c["issue"] == int(listing.group(1))]
    elif listing and method == "POST":
        out = {"id": 1000 + len(comments), "issue": int(listing.group(1)),
               "body": fields["body"], "user": {"login": "github-actions[bot]"}}
        comments.append(out)
    elif one and method == "PATCH":
        found = [c for c in comments if c["id"] == int(one.group(1))]
        if not found:
            fail("HTTP 404: Not Found")
        found[0]["body"] = fields["body"]
        out = found[0]
    else:
        fail("not simulated: %s %s" % (method, endpoint))
    json.dump(comments, open(store, "w"))
    text = json.dumps(out)
    if jq is not None:
        text = subprocess.run(["jq", "-r", jq], input=text, capture_output=True,
                              text=True, check=True).stdout
        sys.stdout.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
