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
# ever the one they assign.  A function body is given those of the names
# that it assigns as its function's arguments, so that it may assign
# them (output = output.lower()) as any function assigns its own.  The
# check runs in the prompt file's folder.  What it prints goes to
# prompteval's stderr.
#
# The checks share this process, and one may patch a module for the rest
# of it (json.dumps, builtins.eval, sys.stdout).  A later check that uses
# that module sees the patch, as it would see a file the first one left,
# but no check can change how another's answer is found or written: what
# the worker calls to read a request, run the check and write the answer
# (the builtins it names, json's C scanner and encoder, the pipes' own
# methods) it takes below, before any check runs, and it puts sys.stdout
# and sys.stderr back after each check.  Only code that reaches into the
# worker itself (its module, its frames) could; checks are trusted code,
# as a Makefile is.
import ast
import builtins
import json
import keyword
import math
import os
import re
import sys

FILENAME = "<python check>"
START = os.getcwd()

# What the worker calls, its own before any check runs (see above).
_compile, _dict, _eval, _exec, _isinstance, _len, _repr, _str, _type = (
    compile, dict, eval, exec, isinstance, len, repr, str, type)
_BaseException, _RecursionError, _SyntaxError, _TypeError, _ValueError = (
    BaseException, RecursionError, SyntaxError, TypeError, ValueError)
_int = int
_BIG = 10 ** 308  # past this an integer is no JSON number prompteval reads
_chdir = os.chdir
_iskeyword = keyword.iskeyword
_ONLY_AST = ast.PyCF_ONLY_AST


def json_reader():
    """json.loads for a request line, made now of the scanner that
    json.loads uses (json's C scanner, where python has it)."""
    scan = json.JSONDecoder().scan_once

    def loads(line):
        return scan(line.decode("utf-8", "surrogatepass"), 0)[0]
    return loads


def json_writer():
    """json.dumps(value, allow_nan=False), made now of the C encoder that
    json.dumps uses; where python has none, of a JSONEncoder."""
    make = json.encoder.c_make_encoder
    escape = json.encoder.c_encode_basestring_ascii
    if make is None or escape is None:
        return json.JSONEncoder(allow_nan=False).encode

    def not_json(value):
        raise _TypeError("%s is not JSON" % _type(value).__name__)

    def dumps(value):
        # A new encoder for each value, as JSONEncoder.iterencode makes:
        # its markers catch a value that holds itself.
        encode = make({}, not_json, escape, None, ": ", ", ", False, False,
                      False)
        return "".join(encode(value, 0))
    return dumps


_loads = json_reader()
_dumps = json_writer()


class NoResult(Exception):
    pass


def compile_check(code):
    """How the code's result is found, and the code: ("eval", its code
    object), ("exec", its code object) or, for a function body, ("body",
    (its statements, the names its function assigns))."""
    try:
        return "eval", _compile(code.strip(), FILENAME, "eval")
    except _SyntaxError:
        pass
    try:
        return "exec", _compile(code, FILENAME, "exec")
    except _SyntaxError as e:
        if e.msg != "'return' outside function":
            raise
    # What a function of these statements assigns is its locals, the
    # ones a function inside it reads included (a name it declares
    # global is not one).
    statements = _compile(code, FILENAME, "exec", _ONLY_AST).body
    scratch = {}
    _exec(function_of(statements, []), scratch)
    local = scratch["__check__"].__code__
    return "body", (statements, local.co_varnames + local.co_cellvars)


def function_of(statements, names):
    """Code that defines __check__(NAMES...), whose body is the
    statements at their own lines, so that errors name the check's."""
    tree = _compile("def __check__(%s):\n    pass\n" % ", ".join(names),
                    FILENAME, "exec", _ONLY_AST)
    tree.body[0].body = statements
    return _compile(tree, FILENAME, "exec")


def call_body(code, body, g, cache):
    """What a function body returns, run in g.  The names it assigns
    that g binds (output = output.lower()) are its function's arguments,
    so that it can read them before it assigns them, as any function
    reads its arguments; what it only reads, it finds in g."""
    statements, assigned = body
    names = [name for name in assigned if name in g]
    key = (code, " ".join(names))
    if key not in cache:
        cache[key] = function_of(statements, names)
    _exec(cache[key], g)
    return g["__check__"](**{name: g[name] for name in names})


def bindings(req):
    """The globals the check sees."""
    variables = req.get("vars")
    if not _isinstance(variables, _dict):
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
        if name.isidentifier() and not _iskeyword(name) \
                and not name.startswith("__"):
            g[name] = value
    g["output"] = req.get("output", "")
    g["expected"] = req.get("expected")
    g["vars"] = variables
    return g


def run(req, cache):
    code = req.get("code")
    if not _isinstance(code, _str):
        raise NoResult("the request has no code")
    if code not in cache:
        if _len(cache) > 256:
            cache.clear()
        cache[code] = compile_check(code)
    mode, obj = cache[code]
    _chdir(START)
    _chdir(req.get("dir") or ".")
    g = bindings(req)
    if mode == "eval":
        return _eval(obj, g)
    if mode == "body":
        return call_body(code, obj, g, cache)
    # The result of statements is what they assign to result, never a
    # variable of that name.
    g.pop("result", None)
    _exec(obj, g)
    if "result" not in g:
        raise NoResult("the code set no result: write an expression, "
                       "return a value, or assign it to result")
    return g["result"]


def line_of(e):
    """The line of the check's code where e was raised, or None."""
    if _isinstance(e, _SyntaxError) and e.filename == FILENAME:
        return e.lineno
    line = None
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe(e):
    if _isinstance(e, NoResult):
        return _str(e)
    if _isinstance(e, _SyntaxError):
        text = "SyntaxError: %s" % e.msg
    else:
        detail = _str(e)
        text = _type(e).__name__ + (": " + detail if detail else "")
    line = line_of(e)
    return text + (" (line %d)" % line if line else "")


def shown(value):
    try:
        text = _repr(value)
    except _BaseException:
        text = "<%s>" % _type(value).__name__
    return text if _len(text) <= 200 else text[:200] + "..."


def too_big(v):
    """An integer beyond a double's range (10**400): it is sent by its
    repr alone, which prompteval reports as what the check returned."""
    return _type(v) is _int and (v > _BIG or v < -_BIG)


def answer(value):
    """The answer line for what the check gave."""
    reply = {"repr": shown(value)}
    if _isinstance(value, _dict):
        value = {k: value[k] for k in ("pass", "score", "reason")
                 if k in value}
        if too_big(value.get("score")) or too_big(value.get("pass")):
            return _dumps(reply)
    if too_big(value):
        return _dumps(reply)
    try:
        return _dumps({"value": value, "repr": reply["repr"]})
    except (_TypeError, _ValueError, _RecursionError):
        return _dumps(reply)


def main():
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    write, flush = answers.write, answers.flush
    # What the checks print, and what they start, goes to stderr; they
    # read nothing.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    stdout, stderr = sys.stdout, sys.stderr
    flush_printed = stdout.flush
    write(b'{"ready": true}\n')
    flush()
    cache = {}
    for line in requests:
        # "N\t{request}": the answer goes back as "N\t{answer}", so that
        # a line a check wrote to this pipe itself is told apart.
        tag, _, line = line.partition(b"\t")
        try:
            reply = answer(run(_loads(line), cache))
        except _BaseException as e:
            reply = _dumps({"error": describe(e)})
        try:
            flush_printed()
        except _BaseException:
            pass
        # A check that replaced them leaves the next one printing to
        # prompteval's stderr still.
        sys.stdout, sys.stderr = stdout, stderr
        write(tag + b"\t" + reply.encode("utf-8") + b"\n")
        flush()


main()
