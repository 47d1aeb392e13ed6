#!/usr/bin/env python3
"""Runs a GitHub Actions workflow's jobs on this machine, as a runner would
run them for a pull request, for tests/workflow-tests.sh.

Each job runs in dependency order (needs:), once per combination of its
matrix, in a workspace of its own.  Each step's run: is written to a file
and run by bash as Actions runs it (bash -e, or bash -eo pipefail for
shell: bash), in order, with the environment the workflow, the job and the
step set and the runner's variables (GITHUB_WORKSPACE, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_ENV, RUNNER_TEMP...).  ${{ ... }} expressions
are read from a small table (github.*, secrets.*, matrix.*,
steps.ID.outputs.NAME, steps.ID.outcome); anything else is an error, so a
workflow cannot pass by using what the simulation does not know.  if:
takes always(), success(), failure() and !cancelled(); continue-on-error
is honoured.  uses: steps are simulated: actions/checkout clones the
repository given (full history with fetch-depth: 0, else that depth of the
pull request's branch only), upload-artifact and download-artifact copy
to and from a local folder as v4 lays them out, actions/cache and
actions/setup-* do nothing.

usage: workflow-run.py WORKFLOW --repo URL --branch PR --base MAIN
       --pr NUMBER --work DIR [--path DIR] [--env NAME=VALUE]...
       [--secret NAME=VALUE]...
Prints one line per step, "step JOB[MATRIX] #N NAME: CONCLUSION (exit S)",
writes each job's step summary to WORK/JOB[MATRIX].summary.md and exits 0
when every job succeeded, 1 when one failed, 2 when the workflow uses what
the simulation does not know.
"""

import argparse
import fnmatch
import glob
import itertools
import os
import re
import shutil
import subprocess
import sys

import yaml


class Unsupported(Exception):
    pass


EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Context:
    def __init__(self, args, matrix, steps):
        self.args = args
        self.matrix = matrix
        self.steps = steps
        self.job_status = "success"

    def value(self, expr):
        parts = expr.split(".")
        github = {
            "base_ref": self.args.base,
            "head_ref": self.args.branch,
            "event_name": "pull_request",
            "repository": "example/prompts",
            "sha": "0" * 40,
            "token": self.args.secrets.get("GITHUB_TOKEN", ""),
            "event.pull_request.number": self.args.pr,
        }
        if parts[0] == "github" and ".".join(parts[1:]) in github:
            return str(github[".".join(parts[1:])])
        if parts[0] == "secrets" and len(parts) == 2:
            return self.args.secrets.get(parts[1], "")
        if parts[0] == "matrix" and len(parts) == 2 and parts[1] in self.matrix:
            return str(self.matrix[parts[1]])
        if parts[0] == "runner" and expr == "runner.temp":
            return self.runner_temp
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get("outputs", {}).get(parts[3], "")
        if parts[0] == "steps" and len(parts) == 3 and parts[2] in ("outcome", "conclusion"):
            return self.steps.get(parts[1], {}).get(parts[2], "")
        raise Unsupported("expression not simulated: ${{ %s }}" % expr)

    def substitute(self, text):
        if text is None:
            return ""
        if not isinstance(text, str):
            return str(text).lower() if isinstance(text, bool) else str(text)
        return EXPR.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, cond):
        if cond is None:
            return self.job_status == "success"
        cond = str(cond).strip()
        m = EXPR.fullmatch(cond)
        if m:
            cond = m.group(1).strip()
        table = {
            "always()": True,
            "success()": self.job_status == "success",
            "failure()": self.job_status == "failure",
            "cancelled()": False,
            "!cancelled()": True,
        }
        if cond not in table:
            raise Unsupported("if: not simulated: %s" % cond)
        return table[cond]


def read_kv_file(path):
    """Reads a GITHUB_OUTPUT or GITHUB_ENV file: NAME=VALUE lines and
    NAME<<DELIMITER blocks."""
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            i += 1
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def checkout(args, ws, inputs):
    unknown = set(inputs) - {"fetch-depth"}
    if unknown:
        raise Unsupported("actions/checkout inputs not simulated: %s" % sorted(unknown))
    depth = int(inputs.get("fetch-depth", 1))
    cmd = ["git", "clone", "-q"]
    if depth > 0:
        cmd += ["--depth", str(depth), "--branch", args.branch]
    cmd += [args.repo, ws]
    subprocess.run(cmd, check=True)
    subprocess.run(["git", "-C", ws, "checkout", "-q", "--detach", "origin/" + args.branch],
                   check=True)
    return 0


def upload(args, ws, inputs):
    name = inputs["name"]
    dest = os.path.join(args.work, "artifacts", name)
    if os.path.exists(dest):
        print("upload-artifact: an artifact named %s exists already" % name)
        return 1
    files = []
    for pattern in str(inputs["path"]).split("\n"):
        pattern = pattern.strip()
        if pattern:
            files += [f for f in glob.glob(os.path.join(ws, pattern), recursive=True)
                      if os.path.isfile(f)]
    if not files:
        if inputs.get("if-no-files-found", "warn") == "error":
            print("upload-artifact: no files found")
            return 1
        print("upload-artifact: no files found, nothing uploaded")
        return 0
    # As v4 does: paths are kept below the files' least common ancestor.
    root = os.path.commonpath([os.path.dirname(f) for f in files])
    for f in files:
        target = os.path.join(dest, os.path.relpath(f, root))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(f, target)
    return 0


def download(args, ws, inputs):
    store = os.path.join(args.work, "artifacts")
    path = os.path.join(ws, inputs.get("path", "."))
    names = sorted(os.listdir(store)) if os.path.isdir(store) else []
    if "name" in inputs:
        if inputs["name"] not in names:
            print("download-artifact: no artifact %s" % inputs["name"])
            return 1
        shutil.copytree(os.path.join(store, inputs["name"]), path, dirs_exist_ok=True)
        return 0
    pattern = inputs.get("pattern", "*")
    merge = str(inputs.get("merge-multiple", "false")).lower() == "true"
    for name in names:
        if fnmatch.fnmatchcase(name, pattern):
            shutil.copytree(os.path.join(store, name), path if merge else os.path.join(path, name),
                            dirs_exist_ok=True)
    return 0


def run_uses(args, ws, step, ctx):
    action = step["uses"].split("@")[0]
    inputs = {k: ctx.substitute(v) for k, v in (step.get("with") or {}).items()}
    if action == "actions/checkout":
        return checkout(args, ws, inputs)
    if action == "actions/upload-artifact":
        return upload(args, ws, inputs)
    if action == "actions/download-artifact":
        return download(args, ws, inputs)
    if action == "actions/cache" or action.startswith("actions/setup-"):
        print("%s: simulated, nothing done" % action)
        return 0
    raise Unsupported("uses: not simulated: %s" % step["uses"])


SHELLS = {
    None: ["bash", "-e", "{0}"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
}


def run_script(args, ws, step, ctx, env, index):
    shell = step.get("shell")
    if shell not in SHELLS:
        raise Unsupported("shell not simulated: %s" % shell)
    script = os.path.join(ctx.runner_temp, "step-%d.sh" % index)
    with open(script, "w", encoding="utf-8") as f:
        f.write(ctx.substitute(step["run"]))
    cwd = os.path.join(ws, step.get("working-directory", "."))
    cmd = [script if a == "{0}" else a for a in SHELLS[shell]]
    return subprocess.run(cmd, cwd=cwd, env=env).returncode


def run_job(args, wf, job_id, job, matrix):
    label = job_id + ("[%s]" % ",".join("%s=%s" % kv for kv in matrix.items()) if matrix else "")
    ws = os.path.join(args.work, "ws-" + label.replace("[", "-").replace("]", "").replace(",", "-").replace("=", ""))
    os.makedirs(ws)
    steps = {}
    ctx = Context(args, matrix, steps)
    ctx.runner_temp = ws + ".tmp"
    os.makedirs(ctx.runner_temp)
    summary_path = os.path.join(args.work, label + ".summary.md")
    open(summary_path, "w").close()
    base_env = dict(os.environ)
    base_env.update(args.env)
    for k, v in (wf.get("env") or {}).items():
        base_env[k] = ctx.substitute(v)
    for k, v in (job.get("env") or {}).items():
        base_env[k] = ctx.substitute(v)
    base_env.update({
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws,
        "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": args.base,
        "GITHUB_HEAD_REF": args.branch, "GITHUB_REPOSITORY": "example/prompts",
        "GITHUB_JOB": job_id, "RUNNER_TEMP": ctx.runner_temp, "RUNNER_OS": "Linux",
    })
    for index, step in enumerate(job.get("steps") or [], 1):
        name = ctx.substitute(step.get("name") or step.get("uses") or
                              "Run " + str(step.get("run", "")).split("\n")[0])
        if not ctx.condition(step.get("if")):
            print("step %s #%d %s: skipped" % (label, index, name))
            if "id" in step:
                steps[step["id"]] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
            continue
        files = {}
        for var in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"):
            files[var] = os.path.join(ctx.runner_temp, "%s-%d" % (var.lower(), index))
            open(files[var], "w").close()
        env = dict(base_env)
        env.update(files)
        for k, v in (step.get("env") or {}).items():
            env[k] = ctx.substitute(v)
        sys.stdout.flush()
        if "uses" in step:
            status = run_uses(args, ws, step, ctx)
        else:
            status = run_script(args, ws, step, ctx, env, index)
        outcome = "success" if status == 0 else "failure"
        conclusion = "success" if step.get("continue-on-error") is True else outcome
        if "id" in step:
            steps[step["id"]] = {"outcome": outcome, "conclusion": conclusion,
                                 "outputs": read_kv_file(files["GITHUB_OUTPUT"])}
        base_env.update(read_kv_file(files["GITHUB_ENV"]))
        for line in open(files["GITHUB_PATH"]).read().split("\n"):
            if line:
                base_env["PATH"] = line + os.pathsep + base_env["PATH"]
        with open(summary_path, "a") as out, open(files["GITHUB_STEP_SUMMARY"]) as part:
            out.write(part.read())
        print("step %s #%d %s: %s (exit %d)" % (label, index, name, conclusion, status))
        if conclusion == "failure":
            ctx.job_status = "failure"
    print("job %s: %s" % (label, ctx.job_status))
    return ctx.job_status == "success"


def matrices(job):
    strategy = job.get("strategy") or {}
    matrix = dict(strategy.get("matrix") or {})
    if "include" in matrix or "exclude" in matrix:
        raise Unsupported("matrix include/exclude not simulated")
    keys = sorted(matrix)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(matrix[k] for k in keys))]


def order(jobs):
    done, out = set(), []
    while len(out) < len(jobs):
        ready = [j for j in jobs if j not in done and
                 all(n in done for n in ([jobs[j]["needs"]] if isinstance(jobs[j].get("needs"), str)
                                         else jobs[j].get("needs") or []))]
        if not ready:
            raise Unsupported("a cycle in needs:")
        for j in ready:
            done.add(j)
            out.append(j)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workflow")
    p.add_argument("--repo", required=True)
    p.add_argument("--branch", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--pr", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--path", action="append", default=[])
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--secret", action="append", default=[])
    args = p.parse_args()
    args.env = dict(e.split("=", 1) for e in args.env)
    if args.path:
        args.env["PATH"] = os.pathsep.join(args.path + [os.environ["PATH"]])
    args.secrets = dict(s.split("=", 1) for s in args.secret)
    wf = yaml.safe_load(open(args.workflow, encoding="utf-8"))
    # YAML 1.1 reads the key "on" as true.
    on = wf.get("on", wf.get(True)) or {}
    if "pull_request" not in on:
        raise Unsupported("the workflow does not run on pull_request")
    ok = {}
    try:
        for job_id in order(wf["jobs"]):
            job = wf["jobs"][job_id]
            needs = job.get("needs") or []
            needs = [needs] if isinstance(needs, str) else needs
            if not all(ok[n] for n in needs):
                print("job %s: skipped (needs failed)" % job_id)
                ok[job_id] = False
                continue
            ok[job_id] = all([run_job(args, wf, job_id, job, m) for m in matrices(job)])
    except Unsupported as e:
        print("workflow-run: %s" % e)
        return 2
    print("workflow: %s" % ("success" if all(ok.values()) else "failure"))
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
