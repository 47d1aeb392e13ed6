/*
 * Unit tests for the check workers (evaluators/workers.c): the result
 * shapes a check may give and the errors for anything else; python
 * workers that are started once and reused, restarted after a crash or
 * a timeout, bounded by the pool's size from many threads at once,
 * whose answers no check's patch of json, builtins or sys.stdout
 * changes, and skipped without python3 (PATH set to a folder without
 * it); exec programs with their exit statuses, timeouts that kill the
 * whole process group, a program that leaves a child holding its
 * stdout, a large input it never reads, an output over the cap, and a
 * program that is not there; and the JSON a check is given.
 *
 * Nothing waits on the clock but the timeouts under test: a process
 * that must be gone is shown gone by the end of a pipe it held.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/load/prompt.h"
#include "evaluators/evaluator.h"
#include "evaluators/workers.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define GARBAGE	      "not true, false, a number in [0, 1] or {pass, score, reason}"

/* result shapes */

struct shape_case {
	const char *printed;
	double threshold;
	enum pe_verdict verdict;
	double score;
	const char *reason;
};

static const struct shape_case shape_cases[] = {
	{ "true", 0.5, PE_VERDICT_PASS, 1, "printed true" },
	{ "false\n", 0.5, PE_VERDICT_FAIL, 0, "printed false" },
	{ "  true \r\n", 0.5, PE_VERDICT_PASS, 1, "printed true" },
	{ "1", 0.5, PE_VERDICT_PASS, 1, "printed 1, at least 0.5" },
	{ "0", 0.5, PE_VERDICT_FAIL, 0, "printed 0, below 0.5" },
	{ "0.5", 0.5, PE_VERDICT_PASS, 0.5, "printed 0.5, at least 0.5" },
	{ "0.75", 0.8, PE_VERDICT_FAIL, 0.75, "printed 0.75, below 0.8" },
	{ "0", 0, PE_VERDICT_PASS, 0, "printed 0, at least 0" },
	{ "{\"pass\": true}", 0.5, PE_VERDICT_PASS, 1,
	  "printed {\"pass\": true}" },
	{ "{\"pass\": false, \"score\": 0.3, \"reason\": \"too short\"}", 0.5,
	  PE_VERDICT_FAIL, 0.3, "too short" },
	{ "{\"pass\": true, \"score\": 0}", 0.5, PE_VERDICT_PASS, 0,
	  "printed {\"pass\": true, \"score\": 0}" },
	{ "{\"score\": 0.9}", 0.5, PE_VERDICT_PASS, 0.9,
	  "printed {\"score\": 0.9}" },
	{ "{\"score\": 0.2, \"reason\": \"thin\", \"extra\": [1]}", 0.5,
	  PE_VERDICT_FAIL, 0.2, "thin" },
	{ "{\"pass\": true, \"reason\": null}", 0.5, PE_VERDICT_PASS, 1,
	  "printed {\"pass\": true, \"reason\": null}" },
	{ "{\"pass\": true, \"reason\": \"two\\nlines\"}", 0.5, PE_VERDICT_PASS,
	  1, "two lines" },
	/* Anything else is an error, never a pass. */
	{ "", 0.5, PE_VERDICT_ERROR, 0, "printed nothing, " GARBAGE },
	{ "hello", 0.5, PE_VERDICT_ERROR, 0, "printed hello, " GARBAGE },
	{ "true false", 0.5, PE_VERDICT_ERROR, 0,
	  "printed true false, " GARBAGE },
	{ "\"true\"", 0.5, PE_VERDICT_ERROR, 0, "printed \"true\", " GARBAGE },
	{ "null", 0.5, PE_VERDICT_ERROR, 0, "printed null, " GARBAGE },
	{ "[true]", 0.5, PE_VERDICT_ERROR, 0, "printed [true], " GARBAGE },
	{ "NaN", 0.5, PE_VERDICT_ERROR, 0, "printed NaN, " GARBAGE },
	{ "1.5", 0.5, PE_VERDICT_ERROR, 0,
	  "printed 1.5: a score must be a number from 0 to 1" },
	{ "-0.1", 0.5, PE_VERDICT_ERROR, 0,
	  "printed -0.1: a score must be a number from 0 to 1" },
	{ "{}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {}, with neither pass nor score" },
	{ "{\"pass\": \"yes\"}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"pass\": \"yes\"}: pass must be true or false" },
	{ "{\"pass\": 1}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"pass\": 1}: pass must be true or false" },
	{ "{\"score\": 2}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"score\": 2}: score must be a number from 0 to 1" },
	{ "{\"pass\": true, \"reason\": 3}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"pass\": true, \"reason\": 3}: reason must be text" },
	/* JSON as RFC 8259 writes it: no leading zero. */
	{ "01", 0.5, PE_VERDICT_ERROR, 0, "printed 01, " GARBAGE },
	{ "[1.]", 0.5, PE_VERDICT_ERROR, 0,
	  "printed [1.]: invalid JSON: digit expected in a number at line 1, "
	  "column 4" },
	/* A key given twice has no one value: cJSON's first, Python's last. */
	{ "{\"pass\": true, \"pass\": false}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"pass\": true, \"pass\": false}: duplicate key 'pass' at "
	  "line 1, column 16" },
	{ "{\"score\": 1,\n \"score\": 0}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"score\": 1,  \"score\": 0}: duplicate key 'score' at "
	  "line 2, column 2" },
	{ "{\"score\": 1e400}", 0.5, PE_VERDICT_ERROR, 0,
	  "printed {\"score\": 1e400}: JSON number out of range at line 1, "
	  "column 11" },
};

static void test_result_shapes(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(shape_cases); i++) {
		const struct shape_case *c = &shape_cases[i];
		struct pe_eval_result r;

		memset(&r, 0, sizeof(r));
		pe_check_result_text(c->printed, strlen(c->printed),
				     c->threshold, "printed", &r);
		if (r.verdict != c->verdict ||
		    fabs(r.score - c->score) > 1e-9 ||
		    strcmp(r.reason, c->reason)) {
			print_error("'%s':\n  got  %s %g \"%s\"\n  want %s %g "
				    "\"%s\"\n",
				    c->printed, pe_verdict_name(r.verdict),
				    r.score, r.reason,
				    pe_verdict_name(c->verdict), c->score,
				    c->reason);
			failures++;
		}
		free(r.reason);
	}
	assert_int_equal(failures, 0);
}

/* A NUL is not white space to trim: "\0true" is not true. */
static void test_result_nul_not_space(void **state)
{
	struct pe_eval_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	pe_check_result_text("\0true", 5, 0.5, "printed", &r);
	assert_int_equal(r.verdict, PE_VERDICT_ERROR);
	/* ... and the reason shows the NUL, not text cut before it. */
	assert_non_null(strstr(r.reason, "printed \\u0000true,"));
	free(r.reason);
	memset(&r, 0, sizeof(r));
	pe_check_result_text("true\0", 5, 0.5, "printed", &r);
	assert_int_equal(r.verdict, PE_VERDICT_ERROR);
	free(r.reason);
}

/* A long answer is quoted shortened in the reason. */
static void test_result_shown_shortened(void **state)
{
	char text[1000];
	struct pe_eval_result r;

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	pe_check_result_text(text, strlen(text), 0.5, "printed", &r);
	assert_int_equal(r.verdict, PE_VERDICT_ERROR);
	assert_true(strlen(r.reason) < 400);
	assert_non_null(strstr(r.reason, "a..., not true"));
	free(r.reason);
}

/* python workers */

/* A request for code, with output and no case. */
static char *request(const char *code)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"code\":");
	pe_json_str(&b, code);
	pe_buf_adds(&b, ",\"dir\":\".\",\"output\":\"some answer\"}");
	return pe_buf_detach(&b, NULL);
}

/* Runs code on w; returns how it went, with the answer or why. */
static enum pe_check_run ask(struct pe_workers *w, const char *code,
			     long timeout_ms, struct pe_buf *answer, char **why)
{
	char *req = request(code);
	enum pe_check_run rc;

	pe_buf_reset(answer);
	rc = pe_workers_python(w, req, strlen(req), timeout_ms, answer, why);
	free(req);
	return rc;
}

/* The pid of the worker that runs the next check on w. */
static long worker_pid(struct pe_workers *w)
{
	struct pe_buf answer;
	char *why = NULL;
	const char *v;
	long pid;

	pe_buf_init(&answer, 0);
	assert_int_equal(ask(w,
			     "import os\nreturn {'pass': True, 'reason': "
			     "str(os.getpid())}",
			     10000, &answer, &why),
			 PE_CHECK_RAN);
	v = strstr(pe_buf_str(&answer), "\"reason\": \"");
	assert_non_null(v);
	pid = strtol(v + strlen("\"reason\": \""), NULL, 10);
	assert_true(pid > 0);
	pe_buf_release(&answer);
	return pid;
}

static void test_python_answers(void **state)
{
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf answer;
	char *why = NULL;

	(void)state;
	pe_buf_init(&answer, 0);
	assert_int_equal(ask(w, "'answer' in output", 10000, &answer, &why),
			 PE_CHECK_RAN);
	assert_null(why);
	assert_string_equal(pe_buf_str(&answer),
			    "{\"value\": true, \"repr\": \"True\"}");
	assert_int_equal(ask(w, "int('x')", 10000, &answer, &why),
			 PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&answer),
			    "{\"error\": \"ValueError: invalid literal for "
			    "int() with base 10: 'x' (line 1)\"}");
	/* A value that is not JSON comes with its repr only. */
	assert_int_equal(ask(w, "{1, 2}", 10000, &answer, &why), PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&answer), "{\"repr\": \"{1, 2}\"}");
	pe_buf_release(&answer);
	pe_workers_free(w);
}

/* One worker serves every check, and a new one follows a dead one. */
static void test_python_reused_and_restarted(void **state)
{
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf answer;
	char *why = NULL;
	long first, again, after;

	(void)state;
	pe_buf_init(&answer, 0);
	first = worker_pid(w);
	again = worker_pid(w);
	assert_int_equal(first, again);
	assert_int_equal(ask(w, "import os\nos._exit(3)", 10000, &answer, &why),
			 PE_CHECK_FAILED);
	assert_string_equal(why, "the python worker exited with status 3 "
				 "during the check");
	free(why);
	why = NULL;
	after = worker_pid(w);
	assert_true(after != first);
	assert_int_equal(ask(w,
			     "import os, signal\n"
			     "os.kill(os.getpid(), signal.SIGKILL)",
			     10000, &answer, &why),
			 PE_CHECK_FAILED);
	assert_string_equal(why, "the python worker killed by signal 9 "
				 "(SIGKILL) during the check");
	free(why);
	assert_true(worker_pid(w) != after);
	pe_buf_release(&answer);
	pe_workers_free(w);
}

/*
 * A check that patches what the worker reads requests and writes answers
 * with (json, builtins, sys.stdout) changes nothing in the answers of the
 * checks after it on that worker, its own included.
 *
 * Regression (fixed): python_worker.py called json.dumps, json.loads and
 * eval through their modules, so after the first patch every answer on
 * the worker was {"value": true, "repr": "True"}, "False" and "1/0"
 * included; after the last, sys.stdout stayed the check's StringIO.
 */
static void test_python_patches_leave_answers_alone(void **state)
{
	static const char *const patches[] = {
		"import json as j\n"
		"j.dumps = lambda *a, **k: '{\"value\": true, \"repr\": "
		"\"True\"}'\n"
		"return None",
		"import json\n"
		"json.JSONEncoder.encode = lambda self, o: '{\"value\": true, "
		"\"repr\": \"True\"}'\n"
		"return None",
		"import json\n"
		"json.loads = lambda *a, **k: {'code': 'True', 'dir': '.'}\n"
		"return None",
		"import builtins\n"
		"builtins.eval = lambda *a, **k: True\n"
		"return None",
		"import io, sys\n"
		"sys.stdout = io.StringIO()\n"
		"return None",
	};
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf answer;
	char *why = NULL;
	long first;

	(void)state;
	pe_buf_init(&answer, 0);
	first = worker_pid(w);
	for (size_t i = 0; i < ARRAY_SIZE(patches); i++) {
		assert_int_equal(ask(w, patches[i], 10000, &answer, &why),
				 PE_CHECK_RAN);
		assert_string_equal(pe_buf_str(&answer),
				    "{\"value\": null, \"repr\": \"None\"}");
	}
	assert_int_equal(ask(w, "False", 10000, &answer, &why), PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&answer),
			    "{\"value\": false, \"repr\": \"False\"}");
	assert_int_equal(ask(w, "1/0", 10000, &answer, &why), PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&answer),
			    "{\"error\": \"ZeroDivisionError: division by zero "
			    "(line 1)\"}");
	assert_int_equal(ask(w,
			     "import sys\n"
			     "return sys.stdout is sys.__stdout__",
			     10000, &answer, &why),
			 PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&answer),
			    "{\"value\": true, \"repr\": \"True\"}");
	assert_null(why);
	/* The same process all along: no restart undid the patches. */
	assert_int_equal(worker_pid(w), first);
	pe_buf_release(&answer);
	pe_workers_free(w);
}

/*
 * A check past its timeout fails, and the group is killed: a child it
 * started holds the write end of a FIFO, whose end is seen once that
 * child is gone.
 */
static void test_python_timeout_kills_the_group(void **state)
{
	const struct testdir *t = *state;
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf answer, code;
	char *fifo = xstrfmt("%s/held", t->dir), *why = NULL;
	struct pollfd pfd;
	char byte;
	int fd;

	pe_buf_init(&answer, 0);
	pe_buf_init(&code, 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	pe_buf_addf(&code,
		    "import subprocess\n"
		    "with open('%s', 'w') as f:\n"
		    "    subprocess.Popen(['sleep', '60'], stdout=f)\n"
		    "while True:\n"
		    "    pass\n",
		    fifo);
	assert_int_equal(ask(w, code.data, 300, &answer, &why),
			 PE_CHECK_FAILED);
	assert_string_equal(why, "timed out after 0.3 s");
	free(why);
	/* The sleep's end of the FIFO closes when it is killed. */
	pfd = (struct pollfd){ fd, POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(fd, &byte, 1), 0);
	close(fd);
	/* The next check gets a new worker. */
	assert_true(worker_pid(w) > 0);
	pe_buf_release(&code);
	pe_buf_release(&answer);
	pe_workers_free(w);
	free(fifo);
}

/* Many threads, two workers: every answer right, two processes at most. */
static void test_python_pool_bounded(void **state)
{
	enum { CHECKS = 64 };
	struct pe_workers *w = pe_workers_new(2);
	long pids[CHECKS];
	int wrong = 0;
	size_t distinct = 0;

	(void)state;
#pragma omp parallel for num_threads(8) reduction(+ : wrong)
	for (int i = 0; i < CHECKS; i++) {
		struct pe_buf answer, code;
		char *why = NULL, *req, *want;

		pe_buf_init(&answer, 0);
		pe_buf_init(&code, 0);
		pe_buf_addf(&code,
			    "import os\nreturn {'pass': True, 'reason': "
			    "'%d ' + str(os.getpid())}",
			    i);
		req = request(code.data);
		want = xstrfmt("\"reason\": \"%d ", i);
		pids[i] = 0;
		if (pe_workers_python(w, req, strlen(req), 10000, &answer,
				      &why) != PE_CHECK_RAN ||
		    !strstr(pe_buf_str(&answer), want))
			wrong++;
		else
			pids[i] =
				strtol(strstr(answer.data, want) + strlen(want),
				       NULL, 10);
		free(want);
		free(req);
		free(why);
		pe_buf_release(&code);
		pe_buf_release(&answer);
	}
	assert_int_equal(wrong, 0);
	for (int i = 0; i < CHECKS; i++) {
		int seen = 0;

		for (int j = 0; j < i; j++)
			seen |= pids[j] == pids[i];
		distinct += !seen;
	}
	assert_true(distinct >= 1 && distinct <= 2);
	pe_workers_free(w);
}

/* Without python3 on PATH, python checks do not run, whatever they are. */
static void test_python_missing(void **state)
{
	char *path = xstrdup(getenv("PATH") ? getenv("PATH") : "");
	struct pe_workers *w = pe_workers_new(2);
	struct pe_buf answer;
	char *why = NULL;

	(void)state;
	pe_buf_init(&answer, 0);
	setenv("PATH", "/nonexistent", 1);
	assert_false(pe_workers_can_start("python3", NULL));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ask(w, "True", 10000, &answer, &why),
				 PE_CHECK_NOT_RUN);
		assert_string_equal(why, "python3 is not on PATH");
		free(why);
	}
	setenv("PATH", path, 1);
	/* The pool remembers: a run does not half-run its checks. */
	assert_int_equal(ask(w, "True", 10000, &answer, &why),
			 PE_CHECK_NOT_RUN);
	free(why);
	assert_true(pe_workers_can_start("python3", NULL));
	pe_buf_release(&answer);
	pe_workers_free(w);
	free(path);
}

/* exec programs */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs sh -c script with input; returns how it went. */
static enum pe_check_run sh(struct pe_workers *w, const char *script,
			    const char *dir, const char *input, size_t len,
			    long timeout_ms, struct pe_buf *out, char **why)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };

	pe_buf_reset(out);
	*why = NULL;
	return pe_workers_exec(w, argv, dir, input, len, timeout_ms, out, why);
}

static void test_exec_runs(void **state)
{
	const struct testdir *t = *state;
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf out;
	char *why = NULL, real[4096];

	pe_buf_init(&out, 0);
	/* stdin in, stdout out, in the folder given. */
	assert_int_equal(
		sh(w, "cat; pwd", t->dir, "{\"a\":1}\n", 8, 10000, &out, &why),
		PE_CHECK_RAN);
	assert_non_null(realpath(t->dir, real));
	assert_true(!strncmp(out.data, "{\"a\":1}\n", 8));
	assert_true(!strncmp(out.data + 8, real, strlen(real)));
	assert_int_equal(sh(w, "exit 3", NULL, "", 0, 10000, &out, &why),
			 PE_CHECK_FAILED);
	assert_string_equal(why, "sh exited with status 3");
	free(why);
	assert_int_equal(sh(w, "kill -9 $$", NULL, "", 0, 10000, &out, &why),
			 PE_CHECK_FAILED);
	assert_string_equal(why, "sh killed by signal 9 (SIGKILL)");
	free(why);
	pe_buf_release(&out);
	pe_workers_free(w);
}

/* A program that is not there is not run, in no folder. */
static void test_exec_not_found(void **state)
{
	const struct testdir *t = *state;
	struct pe_workers *w = pe_workers_new(1);
	char *argv[] = { "./no-such-grader", NULL };
	char *script =
		testdir_write(t->dir, "grade.sh", "#!/bin/sh\necho true\n", 20);
	struct pe_buf out;
	char *why = NULL;

	pe_buf_init(&out, 0);
	assert_int_equal(
		pe_workers_exec(w, argv, t->dir, "", 0, 10000, &out, &why),
		PE_CHECK_NOT_RUN);
	assert_string_equal(why, "cannot start ./no-such-grader: No such "
				 "file or directory");
	free(why);
	assert_false(pe_workers_can_start("./no-such-grader", t->dir));
	assert_false(pe_workers_can_start("./grade.sh", t->dir));
	/* Why not: not there, or there but not an executable file. */
	assert_int_equal(pe_workers_startable("./no-such-grader", t->dir),
			 PE_NOT_FOUND);
	assert_int_equal(pe_workers_startable("./grade.sh", t->dir),
			 PE_NOT_EXECUTABLE);
	assert_int_equal(pe_workers_startable(".", t->dir), PE_NOT_EXECUTABLE);
	assert_int_equal(pe_workers_startable("no-such-program-anywhere", NULL),
			 PE_NOT_FOUND);
	assert_int_equal(chmod(script, 0700), 0);
	assert_int_equal(pe_workers_startable("./grade.sh", t->dir),
			 PE_STARTABLE);
	assert_true(pe_workers_can_start("./grade.sh", t->dir));
	assert_false(pe_workers_can_start("./grade.sh", "/"));
	assert_true(pe_workers_can_start("sh", NULL));
	assert_false(pe_workers_can_start("no-such-program-anywhere", NULL));
	argv[0] = "./grade.sh";
	assert_int_equal(
		pe_workers_exec(w, argv, t->dir, "", 0, 10000, &out, &why),
		PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&out), "true\n");
	pe_buf_release(&out);
	pe_workers_free(w);
	free(script);
}

/*
 * Past the timeout the group is killed, the children too: the check
 * ends at its deadline, not when its sleeping child would.
 */
static void test_exec_timeout(void **state)
{
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf out;
	char *why = NULL;
	double t0 = now_s();

	(void)state;
	pe_buf_init(&out, 0);
	assert_int_equal(
		sh(w, "sleep 60 & sleep 60", NULL, "", 0, 200, &out, &why),
		PE_CHECK_FAILED);
	assert_string_equal(why, "sh timed out after 0.2 s");
	assert_true(now_s() - t0 < 30);
	free(why);
	pe_buf_release(&out);
	pe_workers_free(w);
}

/*
 * A program that ends leaving a child with its stdout open is done when
 * it ends; a program that never reads a large input does not block it;
 * one that prints more than 1 MiB fails.
 */
static void test_exec_ends(void **state)
{
	enum { BIG = 4 * 1024 * 1024 };
	struct pe_workers *w = pe_workers_new(1);
	struct pe_buf out;
	char *why = NULL, *big = xcalloc(1, BIG);
	double t0 = now_s();

	(void)state;
	pe_buf_init(&out, 0);
	assert_int_equal(
		sh(w, "echo true; sleep 60 &", NULL, "", 0, 60000, &out, &why),
		PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&out), "true\n");
	assert_true(now_s() - t0 < 30);
	memset(big, 'x', BIG);
	assert_int_equal(sh(w, "echo 0.5", NULL, big, BIG, 60000, &out, &why),
			 PE_CHECK_RAN);
	assert_string_equal(pe_buf_str(&out), "0.5\n");
	assert_int_equal(sh(w, "head -c 2000000 /dev/zero", NULL, "", 0, 60000,
			    &out, &why),
			 PE_CHECK_FAILED);
	assert_string_equal(why, "sh printed more than 1 MiB");
	free(why);
	free(big);
	pe_buf_release(&out);
	pe_workers_free(w);
}

/* The JSON a check is given */

static void test_case_json(void **state)
{
	static const char yaml[] =
		"name: J\nmessages: [{role: user, content: '{{q}}'}]\n"
		"testData:\n"
		"  - {q: \"2 + 2\", n: 3, deep: {a: [1, true]}, expected: 4,\n"
		"     evaluators: [{string: {contains: x}}]}\n"
		"  - {id: nested, vars: {q: hi}, expected: \"a\\nb\"}\n";
	struct pe_diag *diag = pe_diag_new();
	struct pe_prompt *p =
		pe_prompt_load_buffer("j.prompt.yml", yaml, strlen(yaml), diag);
	struct pe_score_env env = { NULL, "openai:gpt-4o" };
	struct pe_eval_input in;
	struct pe_buf b;
	char *want;

	(void)state;
	assert_non_null(p);
	assert_int_equal(pe_diag_count(diag, PE_SEV_ERROR), 0);
	memset(&in, 0, sizeof(in));
	in.output = "an \"answer\"\n\xff";
	in.len = strlen(in.output);
	in.prompt = p;
	in.kase = &p->cases[0];
	in.env = &env;
	pe_buf_init(&b, 0);
	pe_check_case_json(&in, &b);
	want = xstrfmt("\"output\":\"an \\\"answer\\\"\\n\xef\xbf\xbd\","
		       "\"expected\":4,"
		       "\"vars\":{\"q\":\"2 + 2\",\"n\":3,"
		       "\"deep\":{\"a\":[1,true]},\"expected\":4},"
		       "\"prompt\":\"J\",\"case\":\"%s\","
		       "\"model\":\"openai:gpt-4o\"",
		       p->cases[0].id);
	assert_string_equal(pe_buf_str(&b), want);
	free(want);
	pe_buf_reset(&b);
	in.kase = &p->cases[1];
	in.env = NULL;
	pe_check_case_json(&in, &b);
	assert_string_equal(pe_buf_str(&b),
			    "\"output\":\"an \\\"answer\\\"\\n\xef\xbf\xbd\","
			    "\"expected\":\"a\\nb\",\"vars\":{\"q\":\"hi\"},"
			    "\"prompt\":\"J\",\"case\":\"nested\","
			    "\"model\":null");
	pe_buf_release(&b);
	pe_prompt_free(p);
	pe_diag_free(diag);
}

static int setup(void **state)
{
	return testdir_setup(state, "workers");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_shapes),
		cmocka_unit_test(test_result_nul_not_space),
		cmocka_unit_test(test_result_shown_shortened),
		cmocka_unit_test(test_python_answers),
		cmocka_unit_test(test_python_reused_and_restarted),
		cmocka_unit_test(test_python_patches_leave_answers_alone),
		cmocka_unit_test_setup_teardown(
			test_python_timeout_kills_the_group, setup,
			testdir_teardown),
		cmocka_unit_test(test_python_pool_bounded),
		cmocka_unit_test(test_python_missing),
		cmocka_unit_test_setup_teardown(test_exec_runs, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_exec_not_found, setup,
						testdir_teardown),
		cmocka_unit_test(test_exec_timeout),
		cmocka_unit_test(test_exec_ends),
		cmocka_unit_test(test_case_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
