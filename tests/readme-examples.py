#!/usr/bin/env python3
"""Runs every example of README.md that needs no key, as written, for
tests/readme-examples.sh.

The examples are the fenced blocks marked sh, console or yaml:

- sh and console: each line that starts with "prompteval " (after an
  optional "$ "; a line ending in a backslash goes on in the next) runs
  in a copy of the repository's prompts/, examples/ and datasets/,
  committed to a fresh git repository on branch main (so --baseline-rev
  HEAD and main work), or in the folder a "cd DIR" line before it in the
  block moved to, and must exit 0, 1 or 2 (it ran and judged; 3, 4 and 5 say
  the example is not valid as written).  make lines are the build, which
  make test runs itself: they are counted, not run.
- yaml: a prompt file (it has messages) must pass "prompteval check"; a
  configuration (providers, models, gates, prices, ...) must pass
  "prompteval check -c FILE prompts/"; a fragment (testData, evaluators, or
  a list of evaluators) is put into a prompt file of one case that defines
  every {{variable}} the fragment uses, which must pass check and run with
  "run -m echo: --offline" (no key, nothing sent; exit 0, 1 or 2), each
  evaluator reporting a verdict and its reason (a judge is skipped, since
  nothing answers it; an exec check of a program the fragment only names
  is an error); a dataset a fragment names (file:) is made with that one
  case.
- A block preceded by the line "<!-- needs-key -->" needs a key or a
  cluster (a workflow, a Kubernetes Job): it is counted and skipped.  A
  workflow or a Kubernetes object without the mark is an error, so no
  example is left out silently.

json blocks are data (a results file, a check's input) and the unmarked
blocks are output or synopses: neither is an example to run.

usage: readme-examples.py PROMPTEVAL README.md
Prints "ok"/"FAIL" lines and "readme examples: N passed, M failed", then
the figures.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

CONFIG_KEYS = {"providers", "aliases", "models", "temperatures", "repeats",
               "prices", "judge", "gates"}
# libyaml's reader, as prompteval's (the pure-Python one refuses some
# plain scalars libyaml takes, such as "locking?" in a flow list).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)")


def blocks(path):
    """Yields (line, info, text, marked) for each fenced block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, info, start = len(m.group(1)), m.group(2), i
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marked = j >= 0 and lines[j].strip() == "<!-- needs-key -->"
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        yield start + 1, info, "\n".join(body) + "\n", marked
        i += 1


class Runner:
    def __init__(self, pe, top):
        self.pe = pe
        self.top = top
        self.passed = 0
        self.failed = 0
        self.figures = {"command": 0, "prompt": 0, "configuration": 0,
                        "fragment": 0, "make": 0, "needs a key": 0}
        self.sandbox = tempfile.mkdtemp()
        for d in ("prompts", "examples", "datasets"):
            shutil.copytree(os.path.join(top, d), os.path.join(self.sandbox, d))
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
        subprocess.run(git + ["init", "-q", "-b", "main", "."], cwd=self.sandbox,
                       check=True)
        subprocess.run(git + ["add", "."], cwd=self.sandbox, check=True)
        subprocess.run(git + ["commit", "-qm", "readme"], cwd=self.sandbox, check=True)
        self.env = dict(os.environ)
        self.env["PATH"] = os.path.dirname(pe) + os.pathsep + self.env["PATH"]
        for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
                    "GH_TOKEN", "GITHUB_TOKEN"):
            self.env.pop(key, None)

    def result(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok   " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + detail if detail else ""))

    def run(self, argv, cwd=None, shell=False):
        p = subprocess.run(argv, cwd=cwd or self.sandbox, env=self.env, shell=shell,
                           capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr

    def command(self, where, line, cwd):
        self.figures["command"] += 1
        # The binary under test is first on PATH as "prompteval".
        status, out = self.run(line, cwd=cwd, shell=True)
        self.result(status in (0, 1, 2), "%s: %s (exit %d)" % (where, line, status),
                    out.strip().split("\n")[-1] if status > 2 else "")

    def shell_block(self, where, text):
        """Runs a block's lines as a shell would: a line ending in a
        backslash goes on in the next, and "cd DIR" moves the lines after
        it (within the block) into DIR."""
        cwd = self.sandbox
        for line in re.sub(r"\\\n\s*", " ", text).split("\n"):
            line = re.sub(r"^\$ ", "", line.strip())
            line = re.sub(r"\s+#.*$", "", line)
            if line.startswith("prompteval "):
                self.command(where, line, cwd)
            elif line.startswith("cd "):
                cwd = os.path.join(cwd, line[3:].strip())
            elif line.startswith("make"):
                self.figures["make"] += 1

    def check_file(self, where, kind, path, argv):
        self.figures[kind] += 1
        status, out = self.run(argv)
        self.result(status == 0, "%s: the %s passes check" % (where, kind),
                    out.strip())

    def fragment(self, where, doc, text):
        self.figures["fragment"] += 1
        names = sorted(set(VARIABLE.findall(text)) - {"completion", "expected"})
        case = {name: "x" for name in names}
        case["input"] = case.get("input", "x")
        case["expected"] = "x"
        prompt = {"name": "README %s" % where, "messages": [{"role": "user", "content": "x"}]}
        if isinstance(doc, list):
            prompt["testData"] = [case]
            prompt["evaluators"] = doc
        else:
            prompt.update(doc)
            prompt.setdefault("testData", [case])
            for item in prompt["testData"]:
                if isinstance(item, dict) and "file" in item:
                    data = os.path.normpath(os.path.join(self.sandbox, "readme", item["file"]))
                    if not os.path.exists(data):
                        os.makedirs(os.path.dirname(data), exist_ok=True)
                        with open(data, "w") as f:
                            f.write(json.dumps(case) + "\n")
        os.makedirs(os.path.join(self.sandbox, "readme"), exist_ok=True)
        path = os.path.join(self.sandbox, "readme", "%s.prompt.yml" % where.replace(":", "-"))
        with open(path, "w") as f:
            yaml.safe_dump(prompt, f, sort_keys=False)
        status, out = self.run([self.pe, "check", path])
        self.result(status == 0, "%s: the fragment passes check" % where, out.strip())
        out_dir = path + ".out"
        status, out = self.run([self.pe, "run", "-q", "-m", "echo:", "--offline",
                                "-o", out_dir, path])
        ok = status in (0, 1, 2)
        if ok:
            rows = json.load(open(os.path.join(out_dir, "results.json")))["results"]
            ok = all(e["status"] in ("pass", "fail", "skip", "error") and e.get("reason")
                     for r in rows for e in r["evaluators"])
        self.result(ok, "%s: the fragment runs, each evaluator with a verdict (exit %d)"
                    % (where, status), out.strip().split("\n")[-1] if not ok else "")

    def yaml_block(self, where, text):
        try:
            doc = yaml.load(text, Loader=LOADER)
        except yaml.YAMLError as e:
            self.result(False, "%s: the YAML reads" % where, str(e).replace("\n", " "))
            return
        path = os.path.join(self.sandbox, "readme-%s.yml" % where.replace(":", "-"))
        with open(path, "w") as f:
            f.write(text)
        if isinstance(doc, dict) and "messages" in doc:
            self.check_file(where, "prompt", path, [self.pe, "check", path])
        elif isinstance(doc, dict) and CONFIG_KEYS & set(doc):
            self.check_file(where, "configuration", path,
                            [self.pe, "check", "-c", path, "prompts/"])
        elif isinstance(doc, dict) and ("jobs" in doc or "apiVersion" in doc):
            self.result(False, "%s: a workflow or cluster object" % where,
                        "mark it <!-- needs-key --> (it cannot run here)")
        elif isinstance(doc, list) and any(isinstance(x, dict) and "run" in x for x in doc):
            self.result(False, "%s: workflow steps" % where,
                        "mark them <!-- needs-key --> (they cannot run here)")
        elif isinstance(doc, list) or (isinstance(doc, dict) and
                                       {"testData", "evaluators"} & set(doc)):
            self.fragment(where, doc, text)
        else:
            self.result(False, "%s: a YAML example of no known kind" % where)


def main():
    pe = os.path.abspath(sys.argv[1])
    readme = sys.argv[2]
    top = os.path.dirname(os.path.abspath(readme))
    r = Runner(pe, top)
    try:
        for line, info, text, marked in blocks(readme):
            where = "README.md:%d" % line
            if info not in ("sh", "console", "yaml"):
                continue
            if marked:
                r.figures["needs a key"] += 1
                print("skip %s: needs a key" % where)
            elif info == "yaml":
                r.yaml_block(where, text)
            else:
                r.shell_block(where, text)
    finally:
        shutil.rmtree(r.sandbox, ignore_errors=True)
    f = r.figures
    run = f["command"] + f["prompt"] + f["configuration"] + f["fragment"]
    print("readme examples: %d passed, %d failed" % (r.passed, r.failed))
    print("%d examples run (%d commands, %d prompt files, %d configurations, "
          "%d fragments), %d skipped (needs a key), %d make lines not run (the build)"
          % (run, f["command"], f["prompt"], f["configuration"], f["fragment"],
             f["needs a key"], f["make"]))
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
