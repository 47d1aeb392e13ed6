#!/usr/bin/env python3
"""Checks prompteval's reading of the proompts sample, file by file.

usage: tests/conformance-sample.py PROMPTEVAL CORPUS_DIR

Every file of CORPUS_DIR (../shared/conformance/proompts-sample/, read in
place) that is plain YAML must load with every evaluator it has, and each
evaluator must either run or be reported as ungraded with a reason:

  - `check` may reject a file only for a Jinja header (not plain YAML);
    every plain YAML file passes `check` (exit 0), its cases' variables
    written as one string read with a warning;
  - `list -l -f json` lists the file's prompt and its evaluators, each
    either one that runs or one that `check` warns "will never run
    (REASON)" or "will not run (REASON)" about, at its line;
  - for each file that `check` accepts, `run -m echo:` (no network)
    scores every evaluator that runs as pass or fail, and reports every
    other one as skip with a reason, never as a pass or an error.

Prints one line per failure and a summary with the figures, and exits 1
when anything failed.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

UNRUN = re.compile(r"warning: .* evaluator '(.*)' will (never|not) run "
                   r"\((.+)\): its cases will be ungraded, never passed$")


def run(args, cwd=None):
    p = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def evaluators_of(prompt):
    evs = list(prompt.get("evaluators", []))
    for case in prompt.get("cases", []):
        evs.extend(case.get("evaluators", []))
    return evs


def check_run(pe, path, runnable, unrun, failures):
    """Runs the file with the echo model; checks every evaluator's row."""
    with tempfile.TemporaryDirectory() as out:
        status, _, err = run([pe, "run", "-q", "-m", "echo:", "--no-cache",
                              "-o", out, path])
        if status not in (0, 1, 2):
            failures.append(f"{path}: run -m echo: exits {status}: {err}")
            return 0
        with open(os.path.join(out, "results.json")) as f:
            rows = json.load(f)["results"]
    scored = 0
    for row in rows:
        for ev in row["evaluators"]:
            name, status = ev["name"], ev["status"]
            if name in unrun:
                if status != "skip" or not ev.get("reason"):
                    failures.append(f"{path}: '{name}' is {status}, "
                                    "not skipped with a reason")
            elif status not in ("pass", "fail"):
                failures.append(f"{path}: '{name}' is {status}: "
                                f"{ev.get('reason')}")
            scored += 1
    return scored


def main():
    pe, corpus = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(corpus, "*.y*ml")))
    failures = []
    plain = not_plain = evaluators = runs = ungraded = scored = 0
    by_kind = {}
    for path in files:
        status, _, err = run([pe, "check", path])
        lines = err.splitlines()
        if any("error: not plain YAML" in line for line in lines):
            not_plain += 1
            continue
        plain += 1
        if status != 0:
            failures.append(f"{path}: check exits {status}: {err}")
        warned = {}
        for line in lines:
            m = UNRUN.search(line)
            if m:
                where = int(line[len(path) + 1:].split(":")[0])
                warned[where] = m.group(3)
        _, out, _ = run([pe, "list", "-l", "-f", "json", path])
        prompts = json.loads(out)["prompts"]
        if len(prompts) != 1 or prompts[0]["path"] != path:
            failures.append(f"{path}: does not load")
            continue
        unrun = set()
        runnable = set()
        for ev in evaluators_of(prompts[0]):
            evaluators += 1
            if ev["line"] in warned:
                ungraded += 1
                unrun.add(ev["name"])
                kind = f"{ev['kind']}: {warned[ev['line']]}"
                by_kind[kind] = by_kind.get(kind, 0) + 1
            elif ev["skipped"]:
                failures.append(f"{path}:{ev['line']}: '{ev['name']}' is "
                                "skipped without a warning that says why")
            else:
                runs += 1
                runnable.add(ev["name"])
        scored += check_run(pe, path, runnable, unrun, failures)
    for f in failures:
        print(f"FAIL {f}")
    print(f"proompts-sample: {len(files)} files, {not_plain} not plain "
          f"YAML; {plain} plain YAML files load with their {evaluators} "
          f"evaluators: {runs} run, {ungraded} ungraded with a reason; "
          f"{scored} results scored with the echo model")
    for kind in sorted(by_kind):
        print(f"  ungraded: {by_kind[kind]} x {kind}")
    if not plain or not evaluators or not scored:
        print("FAIL the sample has no plain YAML file or evaluator")
        failures.append("empty")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
