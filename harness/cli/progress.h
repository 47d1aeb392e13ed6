#ifndef PE_PROGRESS_H
#define PE_PROGRESS_H
/*
 * The progress of "run" on stderr: a line of counts (done, pass, fail,
 * skip, error), the request rate and an estimate of the time left,
 * rewritten in place on a terminal and printed every few seconds
 * otherwise; with -v, a line per finished job; and a note when an
 * interrupt stops the run.  It watches the runner as its observer
 * (runner.h).  Names and messages are printed through pe_terminal_addf,
 * so a prompt or a provider's error cannot drive the terminal.
 */
#include "harness/run/runner.h"

struct pe_progress {
	int quiet;   /* no progress line */
	int verbose; /* a line per finished job */
	int tty;     /* stderr is a terminal: rewrite the line in place */
	double start_ms;
	struct pe_run_observer observer;
};

/* Sets p up for stderr; p->observer is then ready for the runner. */
void pe_progress_init(struct pe_progress *p, int quiet, int verbose);

#endif
