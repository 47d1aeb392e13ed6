/*
 * The progress line (see progress.h).  The runner calls the observer's
 * functions one at a time, so nothing here needs a lock.
 */
#include "harness/cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/banned.h"

enum { TICK_TTY_MS = 200, TICK_LOG_MS = 5000 };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* "pass  prompt / case [model]: error" for -v. */
static void job_done(void *ctx, const struct pe_result *row)
{
	struct pe_progress *p = ctx;
	struct pe_buf b;

	if (!p->verbose)
		return;
	pe_buf_init(&b, 0);
	/* Over the counts line on a terminal. */
	if (p->tty && !p->quiet)
		pe_buf_addc(&b, '\r');
	pe_terminal_addf(&b, "%-5s %s / %s [%s]", pe_verdict_name(row->status),
			 row->prompt, row->case_id, row->model);
	if (row->error)
		pe_terminal_addf(&b, ": %s", row->error);
	pe_buf_addc(&b, '\n');
	fputs(b.data, stderr);
	fflush(stderr);
	pe_buf_release(&b);
}

/* The counts line: skips are counted as skips, not as failures. */
static void tick(void *ctx, const struct pe_run *run, int last)
{
	struct pe_progress *p = ctx;
	double elapsed = (now_ms() - p->start_ms) / 1000.0;
	const struct pe_tally *t = &run->tally;
	size_t fresh = run->done - run->resumed;
	/* A rate over the first instants says nothing. */
	double rate = elapsed > 0.5 ? (double)run->requests / elapsed : 0;
	double eta = fresh && elapsed > 0 ? (double)(run->njobs - run->done) *
						    elapsed / (double)fresh
					  : 0;

	struct pe_buf pause;

	if (p->quiet)
		return;
	pe_buf_init(&pause, 0);
	if (run->pause[0])
		pe_terminal_addf(&pause, "; %s", run->pause);
	fprintf(stderr,
		"%s%zu/%zu done, %zu pass, %zu fail, %zu ungraded, %zu error, "
		"%.1f req/s, ETA %.0fs%s%s",
		p->tty ? "\r" : "", run->done, run->njobs, t->pass, t->fail,
		t->ungraded, t->error, rate, eta, pe_buf_str(&pause),
		p->tty && !last ? "\033[K" : "\n");
	fflush(stderr);
	pe_buf_release(&pause);
}

/* A warning from the runner, on a line of its own. */
static void warning(void *ctx, const char *message)
{
	struct pe_progress *p = ctx;

	if (p->tty && !p->quiet)
		fputs("\r\033[K", stderr);
	pe_warning("%s", message);
}

static void stopping(void *ctx, size_t inflight)
{
	struct pe_progress *p = ctx;

	if (p->quiet && !p->verbose)
		return;
	fprintf(stderr,
		"%sinterrupted: finishing %zu request%s in flight; interrupt "
		"again to stop at once\n",
		p->tty && !p->quiet ? "\r" : "", inflight,
		inflight == 1 ? "" : "s");
	fflush(stderr);
}

/* Sets up the progress line; see progress.h. */
void pe_progress_init(struct pe_progress *p, int quiet, int verbose)
{
	memset(p, 0, sizeof(*p));
	p->quiet = quiet;
	p->verbose = verbose;
	p->tty = isatty(STDERR_FILENO);
	p->start_ms = now_ms();
	p->observer.ctx = p;
	p->observer.job_done = job_done;
	p->observer.tick = tick;
	p->observer.stopping = stopping;
	p->observer.warning = warning;
	p->observer.tick_ms = p->tty ? TICK_TTY_MS : TICK_LOG_MS;
}
