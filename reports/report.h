#ifndef PE_REPORT_H
#define PE_REPORT_H
/*
 * Report writers: one file per format behind one ops table, like mandoc's
 * output formatters.  A writer is driven as begin, add (once per row, in
 * the results' sorted order), end; it writes to one FILE (a file in the
 * output directory, or stdout for the terminal).  Every writer gets the
 * same input: the loaded rows and their aggregate, so all formats agree.
 *
 * Output is deterministic: sorted and stable.  The human-readable formats
 * show timings only when the input asks for them (with_timings); json and
 * jsonl write every row as it is, timings included, so a re-rendered
 * results.json keeps what the run measured.  Model output is untrusted
 * data: each writer escapes it for its format.
 */
#include <stdio.h>

#include "harness/core/buf.h"
#include "harness/results/aggregate.h"
#include "harness/results/resultset.h"

struct pe_comparison;
struct pe_gate_results;
struct pe_suite;

struct pe_report_input {
	const struct pe_resultset *rs; /* rows, sorted */
	const struct pe_aggregate *agg;
	/* Against a baseline (run --baseline); NULL when none was given. */
	const struct pe_comparison *comparison;
	/*
	 * The gates the command checked (gate.h), for the reports that say
	 * what they found (md); NULL when no gate was given.
	 */
	const struct pe_gate_results *gates;
	int color;	  /* terminal: colour allowed (a TTY, no NO_COLOR) */
	int with_timings; /* write latencies and timings where a format has
			     a place for them */
	/*
	 * The prompt files the rows came from, for formats that quote them
	 * (gh-json's test data); set by "run", NULL for "report".
	 */
	const struct pe_suite *suite;
};

struct pe_report_ops {
	const char *name;      /* as -f names it: "junit" */
	const char *file_name; /* in the output directory; NULL: stdout */
	int needs_suite;       /* writes nothing without in->suite */
	/* Returns the writer's state, or NULL on failure. */
	void *(*begin)(const struct pe_report_input *in, FILE *out);
	void (*add)(void *state, const struct pe_result *row);
	/* Finishes and frees state; returns 0 or PE_ERR_IO. */
	int (*end)(void *state);
};

/* The registry, NULL-terminated, in the order --help lists them. */
extern const struct pe_report_ops *const pe_report_writers[];

/* The writer called name, or NULL. */
const struct pe_report_ops *pe_report_find(const char *name);

/*
 * Checks that every name in list is a known format, printing a message
 * naming the first unknown one; returns 0 or PE_ERR_USAGE.
 */
int pe_report_check_list(const char *list);

/*
 * Appends the note a report of partial results shows, "partial: 3 of 8
 * jobs finished (the run was interrupted)" (plain text, safe in any
 * markup and in an XML comment), to out and returns 1; returns 0 and
 * appends nothing when the results are complete.  The terminal, md, html
 * and junit reports show it, json keeps the "partial" field itself; csv,
 * jsonl and gh-json hold rows only and have no place for it.
 */
int pe_report_partial_note(const struct pe_report_input *in,
			   struct pe_buf *out);

/*
 * Whether the terminal report on stdout gets colour: only when stdout is a
 * terminal and NO_COLOR is unset or empty (https://no-color.org).
 */
int pe_report_want_color(void);

/*
 * The width of the model column of a terminal table: the widest model
 * name among agg's cells, in terminal columns (pe_terminal_width), and
 * at least 24, so that names are never cut and short ones keep the
 * usual layout.
 */
int pe_report_model_width(const struct pe_aggregate *agg);

/* The same for the prompt column: the widest prompt name, at least 40. */
int pe_report_prompt_width(const struct pe_aggregate *agg);

/*
 * The colour of a pass rate in a terminal table (a PE_SGR_ code): green
 * when every decided case passed, red when none did, yellow between;
 * NULL when no case was decided.
 */
const char *pe_report_rate_colour(const struct pe_pass_rate *r);

/* The columns pe_report_print_matrix adds to every table's. */
enum { PE_MATRIX_INTERVALS = 1, PE_MATRIX_TIMINGS = 2 };

/*
 * Prints the pass-rate matrix of agg to out, one line per cell in the
 * aggregate's order: prompt, model, temperature, the pass, fail, error
 * and ungraded counts, the pass rate and the mean score, with the 95 %
 * interval and the latency percentiles when columns asks for them.  In
 * colour when color is not 0: failures red, errors yellow, the pass rate
 * by pe_report_rate_colour.  The terminal report prints it with its
 * intervals, and "run" and "score" print it without.
 */
void pe_report_print_matrix(FILE *out, const struct pe_aggregate *agg,
			    int color, unsigned columns);

/*
 * Prints "cost: " and what was spent and what reproducing costs
 * (pe_tally_cost_text) as one line to out, when a cost is known; else
 * prints nothing.
 */
void pe_report_print_cost(FILE *out, const struct pe_tally *t);

/*
 * Prints "judges: " and the judges' figures of t (pe_tally_judge_text) as
 * one line to out, when t has judge calls; else prints nothing.
 */
void pe_report_print_judges(FILE *out, const struct pe_tally *t);

/*
 * Writes every format in list (comma-separated names, e.g.
 * "terminal,junit,md") for in: files go into out_dir, the terminal to
 * stdout.  Returns 0, PE_ERR_USAGE for an unknown name or a format that
 * needs the prompt files when in has none (with a message on stderr,
 * before anything is written), or PE_ERR_IO.
 */
int pe_report_write_all(const char *list, const char *out_dir,
			const struct pe_report_input *in);

#endif
