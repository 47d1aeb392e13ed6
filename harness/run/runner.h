#ifndef PE_RUNNER_H
#define PE_RUNNER_H
/*
 * The runner: executes a plan.  One thread drives every model call
 * through the HTTP module's single curl multi loop, with a global cap on
 * requests in flight, per-provider caps, token buckets for requests and
 * tokens per minute, adaptive concurrency that halves on 429 and recovers
 * slowly, pauses before the 429 when the rate-limit headers say the
 * window is spent, retries with full-jitter exponential backoff that
 * honour Retry-After, a circuit breaker per provider endpoint, limits
 * that end a model's jobs instead of waiting for hours, the cache, and
 * the journal.  Finished answers are scored
 * by OpenMP tasks on the other threads, off the network loop's path; each
 * task writes its job's line to the journal and its own row.  Their
 * python and exec checks share one pool of check workers for the run
 * (evaluators/workers.h), as many as tasks can score at once.
 */
#include <signal.h>
#include <stddef.h>

#include "harness/cli/options.h"
#include "harness/plan/plan.h"
#include "harness/results/aggregate.h"
#include "harness/results/results.h"
#include "harness/run/journal.h"

struct pe_run;

/*
 * Who watches a run (the progress line and -v in cli/progress.c).  The
 * runner prints nothing itself; it calls these, never two at once.
 */
struct pe_run_observer {
	void *ctx;
	/*
	 * A job finished; row has its verdict, error and answer, borrowed
	 * for the call only (the runner frees the answer afterwards).
	 */
	void (*job_done)(void *ctx, const struct pe_result *row);
	/* Called at least every tick_ms while the run goes on, and with
	 * last set once at its end. */
	void (*tick)(void *ctx, const struct pe_run *run, int last);
	/* The stop flag was seen: inflight requests are being finished. */
	void (*stopping)(void *ctx, size_t inflight);
	/*
	 * Something the user should know at once, said once: a provider's
	 * breaker opened or a model stopped (and why), a cache write failed.
	 * message is one line, borrowed for the call.
	 */
	void (*warning)(void *ctx, const char *message);
	long tick_ms;
};

struct pe_run_options {
	long concurrency; /* total requests in flight */
	long timeout_ms;  /* per attempt */
	long retries;	  /* attempts after the first */
	int use_cache;	  /* read and write the cache */
	int offline;	  /* cache only: a miss is an error */
	/*
	 * Read the journal: a job that asks what its line says it asked
	 * keeps its answer, whole when what scores it is the same too, else
	 * scored again with the evaluators as they are; any other runs.
	 */
	int resume;
	/*
	 * The longest wait a server may ask for (Retry-After, a rate-limit
	 * reset) before a model's jobs end as errors; a target's own
	 * max_retry_wait_ms comes first.  Negative: 60 s.
	 */
	long max_retry_wait_ms;
	int score_partial; /* score answers a provider cut short */
	/* The models' prices, for the cost checks of answers; NULL: none. */
	const struct pe_prices *prices;
	const char *out_dir; /* results.jsonl and results.json go here */
	const char *cache_dir;
	/* Set (by a signal handler) to stop sending: at 1, in-flight
	 * requests finish, the rest stay unrun; at 2, in-flight ones are
	 * cancelled too. */
	volatile sig_atomic_t *stop;
	const struct pe_run_observer *observer; /* NULL: nobody watches */
	/*
	 * The order jobs are sent in (a permutation of the plan's job
	 * indices); NULL: plan order.
	 */
	const size_t *order;
	/*
	 * Set (with an OpenMP atomic write, by the observer's job_done) when
	 * the run has answered its question (run --until-decided): sending
	 * stops as at stop level 1, and the jobs left are not run, but the
	 * run is not interrupted.  NULL: never.
	 */
	const int *decided;
};

/*
 * How requests are made, as "run" and "score" (for its judges) take it
 * from the command line: the same options, help and defaults in both.
 */
struct pe_call_settings {
	long concurrency;	 /* --concurrency */
	double timeout_s;	 /* --timeout, per attempt */
	long retries;		 /* --retries */
	int no_cache;		 /* --no-cache */
	int offline;		 /* --offline */
	const char *cache_dir;	 /* --cache-dir */
	int stream;		 /* --stream */
	int no_stream;		 /* --no-stream */
	double max_retry_wait_s; /* --max-retry-wait */
	int score_partial;	 /* --score-partial */
};

/*
 * The options of struct pe_call_settings c (a pointer), --concurrency
 * with the short option j (0 for none).
 */
/* clang-format off */
#define PE_CALL_OPTIONS(c, j)						\
	{ PE_OPT_LONG, j, "concurrency", "N",				\
	  "requests in flight in total (default 32)",			\
	  &(c)->concurrency, NULL, 1, 4096 },				\
	{ PE_OPT_DOUBLE, 0, "timeout", "SECONDS",			\
	  "per request attempt (default 120)", &(c)->timeout_s, NULL,	\
	  0, 0 },							\
	{ PE_OPT_LONG, 0, "retries", "N",				\
	  "retries of a failed request (default 5)", &(c)->retries,	\
	  NULL, 0, 100 },						\
	{ PE_OPT_FLAG, 0, "no-cache", NULL,				\
	  "neither read nor write the cache", &(c)->no_cache, NULL, 0,	\
	  0 },								\
	{ PE_OPT_FLAG, 0, "offline", NULL,				\
	  "answers only from the cache; a miss is not sent",		\
	  &(c)->offline, NULL, 0, 0 },					\
	{ PE_OPT_STRING, 0, "cache-dir", "DIR",				\
	  "the cache (default .prompteval/cache)", &(c)->cache_dir,	\
	  NULL, 0, 0 },							\
	{ PE_OPT_FLAG, 0, "stream", NULL,				\
	  "stream each reply (measures the time to the first token)",	\
	  &(c)->stream, NULL, 0, 0 },					\
	{ PE_OPT_FLAG, 0, "no-stream", NULL,				\
	  "stream no reply, whatever the configuration says",		\
	  &(c)->no_stream, NULL, 0, 0 },				\
	{ PE_OPT_DOUBLE, 0, "max-retry-wait", "SECONDS",		\
	  "longest wait asked by a server (default 60)",		\
	  &(c)->max_retry_wait_s,					\
	  NULL, 0, 0 },							\
	{ PE_OPT_FLAG, 0, "score-partial", NULL,			\
	  "score answers a provider cut short, not as errors",		\
	  &(c)->score_partial, NULL, 0, 0 }
/* clang-format on */

/*
 * Sets the defaults: 32 in flight, 120 s, 5 retries, the cache on, each
 * provider's own stream setting, waits of up to 60 s.
 */
void pe_call_settings_init(struct pe_call_settings *c);

/* Checks what the parser cannot; 0, or PE_ERR_USAGE after saying why. */
int pe_call_settings_check(const struct pe_call_settings *c, const char *cmd);

/* Whether answers are streamed, as --stream and --no-stream say. */
enum pe_stream_choice pe_call_settings_stream(const struct pe_call_settings *c);

/* Copies c into the run options that take it. */
void pe_call_settings_apply(const struct pe_call_settings *c,
			    struct pe_run_options *ro);

/*
 * A run's state.  rows has one row per plan job, in plan order, that
 * holds the job's identity (borrowed from the plan) and, once the job
 * has finished, its verdict, score and call figures; its output, error
 * text and evaluators are in the journal only, so memory stays small
 * however long the answers.  lines says which jobs finished and where
 * their journal lines are; asks and checks hold what each job asks and
 * what scores it, which its row's request and scoring borrow.
 */
struct pe_run {
	struct pe_result *rows;
	struct pe_journal_line *lines;
	char (*asks)[PE_JOB_ID_LEN + 1];
	char (*checks)[PE_JOB_ID_LEN + 1];
	size_t njobs;
	size_t done; /* jobs finished, this run and resumed */
	/*
	 * Of those, the jobs an earlier run answered (--resume): kept whole,
	 * or scored again by this one.
	 */
	size_t resumed;
	struct pe_tally tally; /* over the finished jobs */
	size_t requests;       /* HTTP requests sent */
	size_t cache_hits;
	int interrupted; /* stopped by SIGINT */
	/*
	 * Why the run stopped early when opts->decided stopped it (set by
	 * the caller, "decided: ..."), else "".  results.json says it.
	 */
	char stopped[160];
	int decided; /* opts->decided stopped it with jobs left */
	/*
	 * Why sending waits, for the observer's tick: "sending to
	 * openai:gpt-4o paused for 20s: rate limited (Retry-After)", or "".
	 */
	char pause[160];
};

/*
 * Runs plan.  Fills run (rows in plan order).  Returns 0, or PE_ERR_IO
 * with errno set when the output directory cannot be made or the journal
 * cannot be read (--resume) or written (a fatal error).
 */
int pe_run_execute(const struct pe_plan *plan,
		   const struct pe_run_options *opts, struct pe_run *run);
void pe_run_release(struct pe_run *run);

/* An answer that is already there, to judge: its case score and row. */
struct pe_judged {
	struct pe_case_score *score; /* scored but for its judges */
	struct pe_result *row;	     /* holds the answer */
};

/*
 * Asks the judges of answers that are already there ("score"): plan's
 * jobs give each item's prompt and case (their targets are not used) and
 * its judge targets.  Each judge with a judge model is asked through the
 * same loop, caps, pacing, retries and cache as a run's (no journal);
 * its result replaces the skip in the item's score, the score is decided
 * again, and the row gets the judge calls and tokens.  run receives the
 * requests, cache hits and whether opts->stop cut it short; it has no
 * rows.
 */
void pe_run_judges(const struct pe_plan *plan,
		   const struct pe_run_options *opts, struct pe_judged *items,
		   struct pe_run *run);

/*
 * The finished rows of run, in results.json order, in a new array of *n
 * rows owned by the caller (the rows' strings stay borrowed from run).
 */
struct pe_result *pe_run_finished_rows(const struct pe_run *run, size_t *n);

/*
 * Writes OUT/results.json from the journal, rows in results.json order
 * (pe_result_compare), marked partial when the run was interrupted or
 * stopped once decided (with run->stopped), with the inputs of the cases
 * that have rows (cases.h), the run's secrets taken out.  Returns 0 or
 * PE_ERR_IO.
 */
int pe_run_write_results(const struct pe_plan *plan,
			 const struct pe_run_options *opts,
			 const struct pe_run *run);

#endif
