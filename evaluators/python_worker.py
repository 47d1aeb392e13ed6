# The worker of prompteval's python: checks (evaluators/python.c).
#
# prompteval runs a few of these side by side for a whole run and feeds
# each one check at a time: a request is one JSON line on stdin, the
# answer one JSON line on stdout.  The Makefile builds this file into the
# prompteval binary, which starts it as "python3 -B -c SCRIPT" (never
# through a shell), so a fresh clone and "make install" need nothing
# beside it.  It imports only the standard library.
#
# A request: {"code", "dir", "output", "expected", "vars", "prompt",
# "case", "model"}.  The answer: {"value": V, "repr": R}, V being what the
# check gave as JSON (left out when it cannot be written as JSON) and R
# its repr(); or {"error": "ValueError: no table (line 3)"}.  The first
# line the worker writes, before any request, is {"ready": true}.
#
# The code is one of three things, tried in this order:
#   - an expression, whose value is the result: 'GDPR' in output
#   - statements that return it, run as the body of a function:
#       words = output.split()
#       return len(words) > 100
#   - statements that assign it to result.
# It sees output, expected, vars (the case's variables), each variable
# by its name, context ({"prompt", "case", "model"}), and the modules re,
# json and math, in fresh globals for every check.  The case's variables
# come after context and the modules, so a variable named context or re
# wins; output, expected and vars are always the answer, the expected
# value and the variables.  Statements that assign result do not see a
# variable named result (it is in vars), so that their result is only
# ever the one they assign.  The check runs in the prompt file's folder.
# What it prints goes to prompteval's stderr.
import ast
import builtins
import json
import keyword
import math
import os
import re
import sys
import traceback

FILENAME = "<python check>"
START = os.getcwd()


class NoResult(Exception):
    pass


def compile_check(code):
    """The code compiled, and how its result is found."""
    try:
        return "eval", compile(code.strip(), FILENAME, "eval")
    except SyntaxError:
        pass
    try:
        return "exec", compile(code, FILENAME, "exec")
    except SyntaxError as e:
        if e.msg != "'return' outside function":
            raise
    # A function body: the statements, with their own line numbers, in
    # a function that is called.
    tree = ast.parse(code, FILENAME)
    fn = ast.parse("def __check__():\n    pass\n").body[0]
    fn.body = tree.body
    tree.body = [fn]
    ast.fix_missing_locations(tree)
    return "body", compile(tree, FILENAME, "exec")


def bindings(req):
    """The globals the check sees."""
    variables = req.get("vars")
    if not isinstance(variables, dict):
        variables = {}
    g = {
        "__builtins__": builtins,
        "__name__": "__check__",
        "context": {
            "prompt": req.get("prompt"),
            "case": req.get("case"),
            "model": req.get("model"),
        },
        "re": re,
        "json": json,
        "math": math,
    }
    for name, value in variables.items():
        if name.isidentifier() and not keyword.iskeyword(name) \
                and not name.startswith("__"):
            g[name] = value
    g["output"] = req.get("output", "")
    g["expected"] = req.get("expected")
    g["vars"] = variables
    return g


def run(req, cache):
    code = req.get("code")
    if not isinstance(code, str):
        raise NoResult("the request has no code")
    if code not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[code] = compile_check(code)
    mode, obj = cache[code]
    os.chdir(os.path.join(START, req.get("dir") or "."))
    g = bindings(req)
    if mode == "eval":
        return eval(obj, g)
    if mode == "body":
        exec(obj, g)
        return g["__check__"]()
    # The result of statements is what they assign to result, never a
    # variable of that name.
    g.pop("result", None)
    exec(obj, g)
    if "result" not in g:
        raise NoResult("the code set no result: write an expression, "
                       "return a value, or assign it to result")
    return g["result"]


def line_of(e):
    """The line of the check's code where e was raised, or None."""
    if isinstance(e, SyntaxError) and e.filename == FILENAME:
        return e.lineno
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno
    return line


def describe(e):
    if isinstance(e, NoResult):
        return str(e)
    if isinstance(e, SyntaxError):
        text = "SyntaxError: %s" % e.msg
    else:
        detail = str(e)
        text = type(e).__name__ + (": " + detail if detail else "")
    line = line_of(e)
    return text + (" (line %d)" % line if line else "")


def shown(value):
    try:
        text = repr(value)
    except BaseException:
        text = "<%s>" % type(value).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def answer(value):
    """The answer line for what the check gave."""
    reply = {"repr": shown(value)}
    if isinstance(value, dict):
        value = {k: value[k] for k in ("pass", "score", "reason")
                 if k in value}
    try:
        return json.dumps({"value": value, "repr": reply["repr"]},
                          allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(reply)


def main():
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    # What the checks print, and what they start, goes to stderr; they
    # read nothing.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    answers.write(b'{"ready": true}\n')
    answers.flush()
    cache = {}
    for line in requests:
        try:
            reply = answer(run(json.loads(line), cache))
        except BaseException as e:
            reply = json.dumps({"error": describe(e)})
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        answers.write(reply.encode("utf-8") + b"\n")
        answers.flush()


main()
