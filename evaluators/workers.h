#ifndef PE_WORKERS_H
#define PE_WORKERS_H
/*
 * The check workers: where python: and exec: checks run, for the
 * families in python.c and exec_check.c.  A pool has a few slots (as
 * many as checks may run at once: the scoring threads, at most the
 * cores); a check takes a slot for as long as it runs, so python and
 * exec checks together never run more processes at once than that.
 * Each slot keeps one long-lived python3 worker (python_worker.py,
 * built into the binary), started the first time a python check needs
 * it and fed one check at a time as a JSON line over pipes; an exec
 * check runs its program in the slot, once.  Nothing goes through a
 * shell.  Every process runs in a process group of its own, which is
 * killed at the check's deadline, so nothing it started outlives it.  A
 * worker that dies or is killed is started again for the next check.
 *
 * "run" and "score" make one pool per run (pe_workers_new) and hand it
 * to scoring in struct pe_score_env; any thread may use it.  This module
 * also holds what the two families share: the JSON a check is given and
 * the reading of the result shapes it may give back.
 *
 * Strings passed in are borrowed; out-parameters are the caller's.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/node.h"
#include "evaluators/evaluator.h"

struct pe_workers;

/* The worker script, NUL-terminated (built from python_worker.py). */
extern const unsigned char pe_python_worker[];

/* The limit on what a check may print or answer: 1 MiB. */
enum { PE_CHECK_MAX_OUTPUT = 1024 * 1024 };

/* How a check went. */
enum pe_check_run {
	PE_CHECK_RAN,	  /* it finished: the output holds what it gave */
	PE_CHECK_NOT_RUN, /* it could not start (no python3, no program) */
	PE_CHECK_FAILED	  /* it started but timed out, died or exited badly */
};

/*
 * A pool of size slots (at least 1); no process starts until a check
 * needs one.  pe_workers_free ends every worker (NULL is a no-op).
 */
struct pe_workers *pe_workers_new(size_t size);
void pe_workers_free(struct pe_workers *w);

/*
 * The size of a pool for a run with this many scoring threads and this
 * concurrency (-j): the smaller of the two, and at most the cores.
 */
size_t pe_workers_size(long threads, long concurrency);

/*
 * Runs one python check: request (len bytes of JSON, one line) goes to
 * a worker, whose answer line (without its newline) is put in out.  On
 * PE_CHECK_NOT_RUN and PE_CHECK_FAILED, *why (owned by the caller) says
 * what happened: "python3 is not on PATH", "timed out after 10 s".
 */
enum pe_check_run pe_workers_python(struct pe_workers *w, const char *request,
				    size_t len, long timeout_ms,
				    struct pe_buf *out, char **why);

/*
 * Runs argv (argv[0] searched on PATH when it has no slash) in folder
 * dir (NULL: ours), input (len bytes) on its stdin, and puts its stdout
 * in out.  It must exit 0 within timeout_ms.  *why as above: "cannot
 * start ./grade: No such file or directory" (not run), "./grade exited
 * with status 2" (failed).
 */
enum pe_check_run pe_workers_exec(struct pe_workers *w, char *const *argv,
				  const char *dir, const char *input,
				  size_t len, long timeout_ms,
				  struct pe_buf *out, char **why);

/* Whether a program can be started (pe_workers_startable). */
enum pe_startable {
	PE_STARTABLE,
	PE_NOT_FOUND,
	PE_NOT_EXECUTABLE /* there, but not an executable file */
};

/*
 * Whether program can be started from folder dir (NULL: ours): a name
 * with a slash names a file relative to dir, any other is searched on
 * PATH.
 */
enum pe_startable pe_workers_startable(const char *program, const char *dir);

/* True when pe_workers_startable says PE_STARTABLE. */
int pe_workers_can_start(const char *program, const char *dir);

/* The settings python and exec checks share. */
struct pe_check_settings {
	long timeout_ms;  /* "timeout", in seconds: default 10 */
	double threshold; /* "threshold": the score a number needs, 0.5 */
	char *dir;	  /* the prompt file's folder, where checks run */
};

/*
 * Reads timeout and threshold from map (a mapping, or NULL for the
 * defaults) and the folder of prompt p into out.  Returns 0, or
 * PE_ERR_INVALID after positioned errors.
 */
int pe_check_settings_read(const struct pe_node *map, const struct pe_prompt *p,
			   struct pe_check_settings *out, struct pe_diag *diag);
void pe_check_settings_release(struct pe_check_settings *s);

/*
 * Appends the members of the JSON object a check is given, without the
 * braces: "output", "expected" (null when the case has none), "vars"
 * (the case's variables), "prompt" (its name), "case" (its id) and
 * "model" (null when not known).
 */
void pe_check_case_json(const struct pe_eval_input *in, struct pe_buf *out);

/*
 * Reads what a check gave, v, into out: true or false (pass or fail,
 * score 1 or 0), a number in [0, 1] (the score, which passes when it
 * reaches threshold), or a mapping of pass (true or false), score (a
 * number in [0, 1]) and reason (text), pass or score at least, other
 * keys ignored.  Anything else is an error whose reason starts with
 * verb and shown ("returned 'abc'", "printed hello").
 */
void pe_check_result(const struct pe_node *v, double threshold,
		     const char *verb, const char *shown,
		     struct pe_eval_result *out);

/*
 * The same for a check's JSON text (len bytes); shown is the text
 * itself, shortened.  An object or array the JSON reader refuses (a key
 * given twice) is an error with the reader's reason and place.
 */
void pe_check_result_text(const char *text, size_t len, double threshold,
			  const char *verb, struct pe_eval_result *out);

/*
 * Sets out for a check that did not run to its end (status
 * PE_CHECK_NOT_RUN: skipped; PE_CHECK_FAILED: an error), with why as the
 * reason, and returns 1; returns 0 and leaves out alone for PE_CHECK_RAN.
 */
int pe_check_unfinished(enum pe_check_run status, const char *why,
			struct pe_eval_result *out);

#endif
