#ifndef PE_RUNNER_H
#define PE_RUNNER_H
/*
 * The runner: executes a plan.  One thread drives every model call
 * through the HTTP module's single curl multi loop, with a global cap on
 * requests in flight, per-provider caps, token buckets for requests and
 * tokens per minute, adaptive concurrency that halves on 429 and recovers
 * slowly, retries with full-jitter exponential backoff that honour
 * Retry-After, the cache, and the journal.  Finished answers are scored
 * by OpenMP tasks on the other threads, off the network loop's path; each
 * task writes its job's line to the journal and its own summary slot.
 */
#include <signal.h>
#include <stddef.h>

#include "harness/plan/plan.h"
#include "harness/results/results.h"

struct pe_run_options {
	long concurrency;    /* total requests in flight */
	long timeout_ms;     /* per attempt */
	long retries;	     /* attempts after the first */
	int use_cache;	     /* read and write the cache */
	int offline;	     /* cache only: a miss is an error */
	int resume;	     /* skip jobs the journal has finished */
	int quiet;	     /* no progress */
	int verbose;	     /* a line per finished job */
	const char *out_dir; /* results.jsonl and results.json go here */
	const char *cache_dir;
	/* Set (by a signal handler) to stop sending: in-flight requests
	 * finish, the rest stay unrun. */
	volatile sig_atomic_t *stop;
};

/* What the summary needs of one job, kept after its output is gone. */
struct pe_job_outcome {
	int finished;
	enum pe_verdict verdict;
	double score;
	double total_ms;
	long tokens_in;
	long tokens_out;
	size_t journal_offset; /* its line in results.jsonl */
	size_t journal_len;
};

struct pe_run {
	struct pe_job_outcome *outcomes; /* one per plan job */
	size_t njobs;
	size_t requests; /* HTTP requests sent */
	size_t cache_hits;
	int interrupted; /* stopped by SIGINT */
};

/*
 * Runs plan.  Fills run (outcomes in plan order).  Returns 0, or
 * PE_ERR_IO when the journal cannot be written (a fatal error).
 */
int pe_run_execute(const struct pe_plan *plan,
		   const struct pe_run_options *opts, struct pe_run *run);
void pe_run_release(struct pe_run *run);

/*
 * Writes OUT/results.json from the journal, rows sorted by prompt file,
 * case, model, temperature and repeat.  Returns 0 or PE_ERR_IO.
 */
int pe_run_write_results(const struct pe_plan *plan,
			 const struct pe_run_options *opts,
			 const struct pe_run *run);

#endif
