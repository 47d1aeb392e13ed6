#!/usr/bin/env python3
"""bench/load: loading time and memory of prompteval on large and hostile input.

Prints two tables:
  1. growth: for each shape of large input (many test cases, case ids,
     keys of one mapping, anchors, {{references}}, undefined variables,
     evaluators, CSV and JSONL dataset rows, recorded responses, rows of a
     results.json and of a journal), the CPU time (user and system, which
     other work on the machine disturbs less than the wall clock) and
     peak RSS of one `prompteval check` (or `score`, or `report`) at 1x,
     2x and 4x its size, and the growth from 1x to 4x (4 is linear, 16
     quadratic);
  2. hostile input: an alias bomb, 10,000-deep nesting in YAML and JSONL,
     a 100 MB prompt file, a 15 MB prompt file with 500,000 cases, a NUL
     byte, invalid UTF-8, a catastrophic regex, a million-row dataset and
     a results.json whose 50,000 rows are each wrong: the exit status and
     first message, wall time and peak RSS of each.

Every input is made in a temporary directory and removed afterwards; each
measurement is one fresh process, its CPU time and peak RSS from
wait4(2).  A process's peak counts the memory of whoever forked it, so a
small launcher, forked before any input is made, starts every measured
process: the figures include its ~10 MB at most.

usage: bench/load.py PROMPTEVAL [--scale F] [--check]
  --scale F   multiplies every size by F (0.1 for a quick run, as the
              sanitizer build does in make test)
  --check     also asserts the bounds (exit 1 when one fails): growth from
              1x to 4x at most 8x in CPU time (above a floor of 0.15 s, so
              noise on tiny times does not count) and 6x in memory above
              a run on an empty prompt; each hostile input its exit
              status and message, in under 10 s and 400 MB (1 GB for the
              15 MB file and the million rows)
"""
import json, os, shutil, sys, tempfile, time

args, SCALE, CHECK = [], 1.0, False
rest = sys.argv[1:]
while rest:
    a = rest.pop(0)
    if a == "--scale" and rest:
        SCALE = float(rest.pop(0))
    elif a == "--check":
        CHECK = True
    else:
        args.append(a)
if len(args) != 1 or SCALE <= 0:
    sys.exit(__doc__)
PE = os.path.abspath(args[0])
work = tempfile.mkdtemp(prefix="pe-load-")
failures = []

HEAD = ("name: Big\nmodel: openai/gpt-4o\nmessages:\n  - role: user\n"
        "    content: \"Question {{q}}\"\n")


def path(name):
    return os.path.join(work, name)


def launcher(requests, replies):
    """Runs each argv (a JSON line) it reads, writes back its figures."""
    for line in os.fdopen(requests):
        argv = json.loads(line)
        with open(path("stderr"), "w") as err, open(path("stdout"), "w") as out:
            start = time.monotonic()
            pid = os.fork()
            if pid == 0:
                os.chdir(work)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                try:
                    os.execv(argv[0], argv)
                finally:
                    os._exit(127)
            _, status, usage = os.wait4(pid, 0)
        os.write(replies, (json.dumps([os.waitstatus_to_exitcode(status),
                                       time.monotonic() - start,
                                       usage.ru_utime + usage.ru_stime,
                                       usage.ru_maxrss / 1024.0]) +
                           "\n").encode())
    os._exit(0)


def start_launcher():
    to_launcher, from_us = os.pipe()
    to_us, from_launcher = os.pipe()
    if os.fork() == 0:
        os.close(from_us)
        os.close(to_us)
        launcher(to_launcher, from_launcher)
    os.close(to_launcher)
    os.close(from_launcher)
    return os.fdopen(from_us, "w", buffering=1), os.fdopen(to_us)


LAUNCH = start_launcher()


def measure(argv):
    """Runs argv; returns (exit status, its stderr then stdout, wall
    seconds, CPU seconds, peak RSS MB)."""
    LAUNCH[0].write(json.dumps(argv) + "\n")
    status, seconds, cpu, rss = json.loads(LAUNCH[1].readline())
    text = ""
    for name in ("stderr", "stdout"):
        with open(path(name), errors="replace") as f:
            text += f.read(1 << 20)
    return status, text, seconds, cpu, rss


# Each shape writes its input for size n and returns the command's argv.
def shape_cases(n):
    with open(path("cases.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n")
        for i in range(n):
            f.write('  - q: "question number %d"\n' % i)
    return [PE, "check", "cases.prompt.yml"]


def shape_ids(n):
    with open(path("ids.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n")
        for i in range(n):
            f.write("  - {id: case%d, q: x}\n" % i)
    return [PE, "check", "ids.prompt.yml"]


def shape_keys(n):
    with open(path("keys.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n  - q: 1\n")
        for i in range(n):
            f.write("    k%d: v\n" % i)
    return [PE, "check", "keys.prompt.yml"]


def shape_anchors(n):
    with open(path("anchors.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n")
        for i in range(n):
            f.write("  - {q: &a%d x, r: *a%d}\n" % (i, i))
    return [PE, "check", "anchors.prompt.yml"]


def shape_refs(n):
    with open(path("refs.prompt.yml"), "w") as f:
        f.write("name: Refs\nmodel: openai/gpt-4o\nmessages:\n"
                "  - role: user\n    content: \"" + "{{q}} " * n +
                "\"\ntestData:\n  - q: 1\n")
    return [PE, "check", "refs.prompt.yml"]


def shape_undefined(n):
    with open(path("undef.prompt.yml"), "w") as f:
        f.write("name: Undefined\nmodel: openai/gpt-4o\nmessages:\n"
                "  - role: user\n    content: \"" +
                "".join("{{v%d}} " % i for i in range(n)) +
                "\"\ntestData:\n  - q: 1\n")
    return [PE, "check", "undef.prompt.yml"]


def shape_evaluators(n):
    with open(path("evals.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n  - q: 1\nevaluators:\n")
        for i in range(n):
            f.write("  - {name: e%d, string: {contains: x}}\n" % i)
    return [PE, "check", "evals.prompt.yml"]


def shape_csv(n):
    with open(path("rows.csv"), "w") as f:
        f.write("q,expected\n")
        for i in range(n):
            f.write("question %d,answer %d\n" % (i, i))
    with open(path("csv.prompt.yml"), "w") as f:
        f.write(HEAD + "testData: rows.csv\n")
    return [PE, "check", "csv.prompt.yml"]


def shape_jsonl(n):
    with open(path("rows.jsonl"), "w") as f:
        for i in range(n):
            f.write('{"q": "question %d", "expected": "answer %d"}\n' % (i, i))
    with open(path("jsonl.prompt.yml"), "w") as f:
        f.write(HEAD + "testData: rows.jsonl\n")
    return [PE, "check", "jsonl.prompt.yml"]


def shape_responses(n):
    with open(path("score.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n")
        for i in range(n):
            f.write("  - {id: c%d, q: x}\n" % i)
        f.write("evaluators:\n  - name: short\n    length: {max_words: 50}\n")
    with open(path("responses.jsonl"), "w") as f:
        for i in range(n):
            f.write('{"prompt": "Big", "case": "c%d", "output": "fine"}\n' % i)
    return [PE, "score", "-q", "-o", path("score-out"), "--responses",
            "responses.jsonl", "score.prompt.yml"]


def result_row(i, status="pass"):
    return {"id": "%016x" % i, "prompt": "Big", "file": "big.prompt.yml",
            "case": "c%d" % (i // 2), "case_index": i // 2,
            "model": "openai:gpt-4o", "temperature": None, "repeat": i % 2,
            "status": status, "score": 1, "error": None,
            "call": {"attempts": 1, "cached": False, "http_status": 200,
                     "first_byte_ms": 120.5, "total_ms": 800.25,
                     "tokens_in": 60, "tokens_out": 200,
                     "finish_reason": "stop", "served_model": None},
            "judge": None,
            "output": "Plan %d: expand, backfill in batches, verify, "
                      "contract." % i,
            "evaluators": [{"name": "mentions backfill", "kind": "string",
                            "status": "pass", "score": 1, "weight": 1,
                            "negate": False,
                            "reason": "contains 'backfill'"}]}


def write_results(n, status="pass"):
    with open(path("results.json"), "w") as f:
        f.write('{"schema_version": 4, "tool": "bench", "command": "run",\n'
                ' "results": [\n')
        for i in range(n):
            f.write((",\n" if i else "") + json.dumps(result_row(i, status)))
        f.write("\n]}\n")


def shape_results(n):
    write_results(n)
    return [PE, "report", "-f", "jsonl", "-o", path("report-out"),
            "results.json"]


def shape_journal(n):
    with open(path("results.jsonl"), "w") as f:
        for i in range(n):
            f.write(json.dumps(result_row(i)) + "\n")
    return [PE, "report", "-f", "jsonl", "-o", path("report-out"),
            "results.jsonl"]


SHAPES = [
    ("test cases", 50000, shape_cases),
    ("explicit case ids", 50000, shape_ids),
    ("keys of one mapping", 50000, shape_keys),
    ("anchors and aliases", 50000, shape_anchors),
    ("{{q}} references", 50000, shape_refs),
    ("undefined variables", 50000, shape_undefined),
    ("evaluators", 20000, shape_evaluators),
    ("CSV rows", 100000, shape_csv),
    ("JSONL rows", 100000, shape_jsonl),
    ("recorded responses", 25000, shape_responses),
    ("results.json rows", 25000, shape_results),
    ("results.jsonl rows", 25000, shape_journal),
]


def input_mb():
    total = 0
    for name in os.listdir(work):
        if name not in ("stderr", "stdout") and os.path.isfile(path(name)):
            total += os.path.getsize(path(name))
    return total / 1e6


def clean():
    for name in os.listdir(work):
        p = path(name)
        if os.path.isdir(p):
            shutil.rmtree(p)
        else:
            os.remove(p)


def growth():
    with open(path("empty.prompt.yml"), "w") as f:
        f.write(HEAD)
    _, _, _, _, floor_mb = measure([PE, "check", "empty.prompt.yml"])
    clean()
    print("growth of loading time and memory (1x, 2x, 4x; prompteval check,"
          " score or report)")
    print("%-22s %9s %8s %8s %8s   %s" % ("shape", "size", "input MB",
                                          "CPU s", "RSS MB", "1x->4x"))
    for name, base, make in SHAPES:
        n1 = max(int(base * SCALE), 100)
        rows = []
        for factor in (1, 2, 4):
            argv = make(n1 * factor)
            mb = input_mb()
            status, err, _, secs, rss = measure(argv)
            if status not in (0, 1, 2, 3):
                failures.append("%s x%d: exit %d: %s" % (name, factor, status,
                                                         err[:200]))
            rows.append((n1 * factor, mb, secs, rss))
            clean()
        t_ratio = rows[2][2] / max(rows[0][2], 1e-3)
        m_ratio = (rows[2][3] - floor_mb) / max(rows[0][3] - floor_mb, 1.0)
        for i, (n, mb, secs, rss) in enumerate(rows):
            tail = ("time x%.1f, memory x%.1f" % (t_ratio, m_ratio)
                    if i == 2 else "")
            print("%-22s %9d %8.2f %8.2f %8.1f   %s" % (
                name if i == 0 else "", n, mb, secs, rss, tail))
        if CHECK:
            slow = rows[2][2] > 8 * max(rows[0][2], 0.15)
            fat = rows[2][3] - floor_mb > 6 * max(rows[0][3] - floor_mb, 4.0)
            if slow or fat:
                failures.append("%s grows faster than linear: %s" %
                                (name, rows))
    print("(memory growth counts above %.1f MB, an empty prompt's)" % floor_mb)


def hostile_bomb():
    lines = ["name: Bomb", "messages:", "  - role: user",
             "    content: \"{{a}}\"",
             "x0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    for i in range(1, 9):
        lines.append("x%d: &a%d [%s]" % (i, i, ",".join(["*a%d" % (i - 1)] * 9)))
    lines += ["testData:", "  - a: *a8"]
    with open(path("bomb.prompt.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return [PE, "list", "-f", "json", "bomb.prompt.yml"]


def hostile_deep_yaml():
    with open(path("deep.prompt.yml"), "w") as f:
        f.write("name: Deep\nmessages:\n  - role: user\n    content: hi\n"
                "x: " + "[" * 10000 + "]" * 10000 + "\ny:\n- " +
                "- " * 9999 + "z\n")
    return [PE, "check", "deep.prompt.yml"]


def hostile_deep_jsonl():
    with open(path("deep.jsonl"), "w") as f:
        f.write('{"a":' * 10000 + "1" + "}" * 10000 + "\n")
    with open(path("deepj.prompt.yml"), "w") as f:
        f.write(HEAD + "testData: deep.jsonl\n")
    return [PE, "check", "deepj.prompt.yml"]


def hostile_100mb():
    with open(path("huge.prompt.yml"), "w") as f:
        f.write(HEAD + "description: |\n")
        line = "  " + "y" * 97 + "\n"
        for _ in range(1_000_000):
            f.write(line)
    return [PE, "check", "huge.prompt.yml"]


def hostile_15mb():
    with open(path("big.prompt.yml"), "w") as f:
        f.write(HEAD + "testData:\n")
        for i in range(int(500000 * SCALE)):
            f.write('  - q: "question number %d"\n' % i)
    return [PE, "check", "big.prompt.yml"]


def hostile_nul():
    with open(path("nul.prompt.yml"), "wb") as f:
        f.write(b"name: a\x00b\nmessages:\n  - role: user\n    content: hi\n")
    return [PE, "check", "nul.prompt.yml"]


def hostile_utf8():
    with open(path("utf8.prompt.yml"), "wb") as f:
        f.write(b"name: caf\xe9\nmessages:\n  - role: user\n    content: hi\n")
    return [PE, "check", "utf8.prompt.yml"]


def hostile_regex():
    with open(path("re.prompt.yml"), "w") as f:
        f.write("name: R\nmodel: gpt-4o\nmessages:\n  - role: user\n"
                "    content: hi\ntestData:\n  - id: a\nevaluators:\n"
                "  - name: evil\n    regex:\n      pattern: \"^(a+)+$\"\n")
    with open(path("re.jsonl"), "w") as f:
        f.write(json.dumps({"prompt": "R", "case": "a",
                            "output": "a" * 5000 + "b"}) + "\n")
    return [PE, "score", "-v", "-o", path("re-out"), "--responses",
            "re.jsonl", "re.prompt.yml"]


def hostile_million():
    shape_csv(int(1_000_000 * SCALE))
    return [PE, "check", "csv.prompt.yml"]


def hostile_bad_rows():
    write_results(int(50000 * SCALE), "nope")
    return [PE, "report", "-f", "jsonl", "-o", path("report-out"),
            "results.json"]


# name, maker, expected exit status, a piece of the first message (or of
# the output for a correct result), seconds and MB allowed
HOSTILE = [
    ("alias bomb (9 levels of 9)", hostile_bomb, 3, "aliases expand the file",
     10, 400),
    ("10,000-deep YAML nesting", hostile_deep_yaml, 3,
     "nesting is deeper than 128 levels", 10, 400),
    ("10,000-deep JSONL nesting", hostile_deep_jsonl, 3,
     "JSON nested deeper than 128 levels", 10, 400),
    ("100 MB prompt file", hostile_100mb, 3, "larger than the", 10, 400),
    ("15 MB prompt, 500k cases", hostile_15mb, 0, "", 10, 1024),
    ("NUL byte in a prompt", hostile_nul, 3,
     "control characters are not allowed", 10, 400),
    ("invalid UTF-8 in a prompt", hostile_utf8, 3, "must be UTF-8", 10, 400),
    ("catastrophic regex", hostile_regex, 2, "match limit", 10, 400),
    ("million-row CSV dataset", hostile_million, 0, "", 10, 1024),
    ("results.json, 50k bad rows", hostile_bad_rows, 3,
     "must be pass, fail, error, ungraded or skip", 10, 400),
]


def hostile():
    print("\nhostile input")
    print("%-28s %5s %8s %8s   %s" % ("input", "exit", "time s", "RSS MB",
                                      "says"))
    for name, make, want_status, want_text, max_s, max_mb in HOSTILE:
        argv = make()
        mb = input_mb()
        status, err, secs, _, rss = measure(argv)
        says = next((l for l in err.splitlines() if want_text and want_text in l),
                    err.splitlines()[0] if err.strip() else "(nothing)")
        print("%-28s %5d %8.2f %8.1f   %s (%.1f MB input)" % (
            name, status, secs, rss, says[:100], mb))
        if CHECK and (status != want_status or want_text not in err or
                      secs > max_s or rss > max_mb):
            failures.append("%s: exit %d (want %d), %.2f s, %.1f MB: %s" %
                            (name, status, want_status, secs, rss, err[:300]))
        clean()


try:
    growth()
    hostile()
finally:
    LAUNCH[0].close()
    os.wait()
    shutil.rmtree(work, ignore_errors=True)
if failures:
    for f in failures:
        print("FAIL " + f)
    sys.exit(1)
