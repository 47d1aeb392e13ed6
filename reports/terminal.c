/*
 * The terminal report: the pass-rate matrix that "run" and "score" print,
 * here with each pass rate's 95 % interval (the case as the
 * unit, the method named under the total) and, with
 * --timings, latency p50/p95 and the p95 time to the first token; the judges' calls, tokens and cost apart
 * from the answers' when judges were asked; then the flaky cases, the
 * rankings per prompt and overall (each pair of models compared on their
 * common cases, and the neighbours that cannot be told apart named), and
 * cost against pass rate when
 * prices were given (with the judges' cost in a column of its own).
 *
 * Everything comes from the aggregate, so add() has nothing to do and the
 * whole report is printed by end().  Everything is printed with the
 * terminal printer (harness/core/message.h), so text from the results
 * file is escaped (a crafted results file cannot move the cursor or
 * change colours) and the columns of names count what the terminal
 * shows.  The prompt and model columns are as wide as the widest names
 * (at least 40 and 24 columns): names are never cut.  Colour codes are written on their own, around printed text,
 * and only when in->color says the output is a terminal that wants it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "harness/results/causes.h"
#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

#define BOLD   PE_SGR_BOLD
#define RED    PE_SGR_RED
#define YELLOW PE_SGR_YELLOW

struct terminal {
	struct pe_report_input in;
	FILE *out;
	int model_width; /* pe_report_model_width */
};

static void paint(const struct terminal *t, const char *colour, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

/* Prints as pe_terminal_paint does, in colour when colour is on. */
static void paint(const struct terminal *t, const char *colour, const char *fmt,
		  ...)
{
	va_list ap;

	va_start(ap, fmt);
	pe_terminal_vpaint(t->out, t->in.color ? colour : NULL, fmt, ap);
	va_end(ap);
}

static void format_rate(char *buf, size_t size, double rate)
{
	if (isnan(rate))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", 100.0 * rate);
}

static void format_interval(char *buf, size_t size,
			    const struct pe_pass_rate *r)
{
	if (!r->decided)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "[%.1f, %.1f]", 100.0 * r->low,
			 100.0 * r->high);
}

/* Formats x with decimals digits, or "-" for NAN. */
static void format_number(char *buf, size_t size, int decimals, double x)
{
	if (isnan(x))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f", decimals, x);
}

static const char *rate_colour(const struct pe_pass_rate *r)
{
	return pe_report_rate_colour(r);
}

/* Prints one count column of width 5 after a space, in sgr when not 0. */
static void print_count(FILE *out, size_t n, const char *sgr)
{
	pe_terminal_paint(out, n ? sgr : NULL, " %5zu", n);
}

static void print_matrix_header(FILE *out, int prompt_width, int model_width,
				int color, unsigned columns)
{
	fputc('\n', out);
	pe_terminal_paint(out, color ? BOLD : NULL,
			  "%-*s %-*s %5s %5s %5s %5s %5s  %9s", prompt_width,
			  "prompt", model_width, "model", "temp", "pass",
			  "fail", "error", "ungr.", "pass rate");
	if (columns & PE_MATRIX_INTERVALS)
		pe_terminal_paint(out, color ? BOLD : NULL, "  %-14s",
				  "95% interval");
	pe_terminal_paint(out, color ? BOLD : NULL, "  %s", "mean score");
	if (columns & PE_MATRIX_TIMINGS)
		pe_terminal_paint(out, color ? BOLD : NULL,
				  "  p50 ms  p95 ms  p95 ttft ms");
	fputc('\n', out);
}

static void print_cell(FILE *out, const struct pe_cell *c, int prompt_width,
		       int model_width, int color, unsigned columns)
{
	const struct pe_tally *tl = &c->tally;
	char temp[32] = "-", rate[32], interval[64], mean[32], first[32];

	if (c->has_temperature)
		snprintf(temp, sizeof(temp), "%g", c->temperature);
	format_rate(rate, sizeof(rate), tl->pass_rate.rate);
	format_number(mean, sizeof(mean), 2, tl->mean_score);
	pe_terminal_printf(out, "%-*s %-*s %5s", prompt_width, c->prompt,
			   model_width, c->model, temp);
	print_count(out, tl->pass, NULL);
	print_count(out, tl->fail, color ? RED : NULL);
	print_count(out, tl->error, color ? YELLOW : NULL);
	print_count(out, tl->ungraded, NULL);
	pe_terminal_paint(out, color ? rate_colour(&tl->pass_rate) : NULL,
			  "  %9s", rate);
	if (columns & PE_MATRIX_INTERVALS) {
		format_interval(interval, sizeof(interval), &tl->pass_rate);
		pe_terminal_printf(out, "  %-14s  %10s", interval, mean);
	} else {
		pe_terminal_printf(out, "  %s", mean);
	}
	if (columns & PE_MATRIX_TIMINGS) {
		format_number(rate, sizeof(rate), 0, c->latency_p50_ms);
		format_number(mean, sizeof(mean), 0, c->latency_p95_ms);
		format_number(first, sizeof(first), 0, c->first_token_p95_ms);
		pe_terminal_printf(out, "  %6s  %6s  %11s", rate, mean, first);
	}
	fputc('\n', out);
}

/* Prints the pass-rate matrix; see report.h. */
void pe_report_print_matrix(FILE *out, const struct pe_aggregate *agg,
			    int color, unsigned columns)
{
	size_t n = pe_aggregate_cell_count(agg);
	int prompt_width = pe_report_prompt_width(agg);
	int model_width = pe_report_model_width(agg);

	print_matrix_header(out, prompt_width, model_width, color, columns);
	for (size_t k = 0; k < n; k++)
		print_cell(out, pe_aggregate_cell(agg, k), prompt_width,
			   model_width, color, columns);
}

/* Prints the cost line when a cost is known; see report.h. */
void pe_report_print_cost(FILE *out, const struct pe_tally *tl)
{
	struct pe_buf text;

	pe_buf_init(&text, 0);
	if (pe_tally_cost_text(tl, &text))
		pe_terminal_printf(out, "cost: %s\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

/* Prints the judges' line when judges were asked; see report.h. */
void pe_report_print_judges(FILE *out, const struct pe_tally *tl)
{
	struct pe_buf text;

	if (!tl->judge_calls)
		return;
	pe_buf_init(&text, 0);
	pe_tally_judge_text(tl, &text);
	pe_terminal_printf(out, "judges: %s\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

/* The errors grouped by cause, when some row ended in error. */
static void print_causes(const struct terminal *t)
{
	struct pe_error_causes *causes = pe_error_causes_new(
		pe_resultset_rows(t->in.rs), pe_resultset_count(t->in.rs));

	pe_error_causes_print(causes, t->out);
	pe_error_causes_free(causes);
}

/* Names how the pass rates and intervals were computed. */
static void print_method(const struct terminal *t)
{
	struct pe_buf text;

	pe_buf_init(&text, 0);
	if (pe_aggregate_method_text(t->in.agg, &text))
		fprintf(t->out, "%s\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

static void print_total(const struct terminal *t)
{
	const struct pe_tally *tl = pe_aggregate_total(t->in.agg);
	char rate[32], interval[64];

	format_rate(rate, sizeof(rate), tl->pass_rate.rate);
	format_interval(interval, sizeof(interval), &tl->pass_rate);
	pe_terminal_printf(
		t->out,
		"\n%zu job%s: %zu passed, %zu failed, %zu error%s, %zu "
		"ungraded; pass rate %s%s%s\n",
		tl->jobs, tl->jobs == 1 ? "" : "s", tl->pass, tl->fail,
		tl->error, tl->error == 1 ? "" : "s", tl->ungraded, rate,
		tl->pass_rate.decided ? " " : "",
		tl->pass_rate.decided ? interval : "");
	pe_report_print_judges(t->out, tl);
	pe_report_print_cost(t->out, tl);
	print_method(t);
	print_causes(t);
}

static void print_flaky(const struct terminal *t)
{
	size_t n = pe_aggregate_flaky_count(t->in.agg);

	if (!n) {
		fprintf(t->out, "\nflaky cases: none\n");
		return;
	}
	fputc('\n', t->out);
	paint(t, BOLD, "flaky cases");
	fprintf(t->out, " (repeats that disagree):\n");
	for (size_t i = 0; i < n; i++) {
		const struct pe_flaky_case *f =
			pe_aggregate_flaky(t->in.agg, i);

		pe_terminal_printf(t->out, "  %s / ", f->prompt);
		if (f->case_id)
			pe_terminal_printf(t->out, "%s", f->case_id);
		else
			pe_terminal_printf(t->out, "#%zu", f->case_index);
		pe_terminal_printf(t->out, "  [%s", f->model);
		if (f->has_temperature)
			pe_terminal_printf(t->out, " t=%g", f->temperature);
		pe_terminal_printf(t->out, "]  %zu pass, %zu fail", f->pass,
				   f->fail);
		if (f->error)
			pe_terminal_printf(t->out, ", %zu error", f->error);
		if (f->ungraded)
			pe_terminal_printf(t->out, ", %zu ungraded",
					   f->ungraded);
		pe_terminal_printf(t->out, " of %zu repeats\n", f->repeats);
	}
}

/*
 * Each pair of models compared on their common cases, then the
 * neighbours that cannot be told apart; nothing for fewer than two
 * models with decided rows.
 */
static void print_pairs(const struct terminal *t, const struct pe_ranking *r)
{
	struct pe_buf text;

	pe_buf_init(&text, 0);
	if (!pe_ranking_ties_text(r, &text)) {
		pe_buf_release(&text);
		return;
	}
	fprintf(t->out, "  paired on common cases (better minus worse, 95%% "
			"interval, exact sign test):\n");
	for (size_t i = 0; i < r->npairs; i++) {
		const struct pe_model_pair *p = pe_ranking_shown_pair(r, i);
		struct pe_buf line;

		if (!p)
			continue;
		pe_buf_init(&line, 0);
		pe_model_pair_text(p, &line);
		fprintf(t->out, "    %zu vs %zu: %s\n", p->better + 1,
			p->worse + 1, pe_buf_str(&line));
		pe_buf_release(&line);
	}
	fprintf(t->out, "  neighbours that cannot be told apart: %s\n",
		pe_buf_str(&text));
	pe_buf_release(&text);
}

static void print_ranking(const struct terminal *t, const struct pe_ranking *r)
{
	fputc('\n', t->out);
	if (r->prompt)
		paint(t, BOLD, "ranking for %s (%s)", r->prompt, r->file);
	else
		paint(t, BOLD, "ranking over all prompts");
	fprintf(t->out, ":\n");
	for (size_t i = 0; i < r->count; i++) {
		const struct pe_tally *tl = &r->entries[i].tally;
		char rate[32], interval[64], mean[32];

		format_rate(rate, sizeof(rate), tl->pass_rate.rate);
		format_interval(interval, sizeof(interval), &tl->pass_rate);
		format_number(mean, sizeof(mean), 2, tl->mean_score);
		pe_terminal_printf(t->out, "  %2zu. %-*s", i + 1,
				   t->model_width, r->entries[i].model);
		paint(t, rate_colour(&tl->pass_rate), "  %7s", rate);
		pe_terminal_printf(t->out,
				   "  %-14s  mean score %4s  (%zu/%zu passed, "
				   "%zu case%s)\n",
				   interval, mean, tl->pass_rate.pass,
				   tl->pass_rate.decided, tl->pass_rate.cases,
				   tl->pass_rate.cases == 1 ? "" : "s");
	}
	print_pairs(t, r);
}

/* Formats a cost that may be unknown as the cost table shows it. */
static void format_cost(char *buf, size_t size, int known, double usd)
{
	format_number(buf, size, 4, known ? usd : NAN);
}

/*
 * Cost against pass rate, per model.  When judges were asked, the
 * answers' cost and the judges' get a column each.
 */
static void print_costs(const struct terminal *t)
{
	size_t n = pe_aggregate_cost_count(t->in.agg);
	int judged = pe_aggregate_total(t->in.agg)->judge_calls > 0;

	if (!pe_aggregate_has_cost(t->in.agg))
		return;
	fprintf(t->out, "\ncost vs pass rate:\n  ");
	if (judged)
		paint(t, BOLD, "%-*s  %11s  %10s  %12s  %9s  %s",
		      t->model_width, "model", "answers USD", "judges USD",
		      "USD per job", "pass rate", "95% interval");
	else
		paint(t, BOLD, "%-*s  %10s  %12s  %9s  %s", t->model_width,
		      "model", "cost USD", "USD per job", "pass rate",
		      "95% interval");
	fputc('\n', t->out);
	for (size_t i = 0; i < n; i++) {
		const struct pe_model_cost *c = pe_aggregate_cost(t->in.agg, i);
		char cost[32], judges[32], per_job[32], rate[32], interval[64];

		format_cost(cost, sizeof(cost), c->tally.has_cost,
			    c->tally.cost_usd);
		format_cost(judges, sizeof(judges), c->tally.has_judge_cost,
			    c->tally.judge_cost_usd);
		format_number(per_job, sizeof(per_job), 6, c->cost_per_job_usd);
		format_rate(rate, sizeof(rate), c->tally.pass_rate.rate);
		format_interval(interval, sizeof(interval),
				&c->tally.pass_rate);
		pe_terminal_printf(t->out, "  %-*s  ", t->model_width,
				   c->model);
		if (judged)
			pe_terminal_printf(t->out, "%11s  %10s", cost, judges);
		else
			pe_terminal_printf(t->out, "%10s", cost);
		pe_terminal_printf(t->out, "  %12s  %9s  %s\n", per_job, rate,
				   interval);
	}
}

/* Says first when the results are partial: our own words and numbers. */
static void print_partial(const struct terminal *t)
{
	struct pe_buf note;

	pe_buf_init(&note, 0);
	if (pe_report_partial_note(&t->in, &note))
		fprintf(t->out, "%s\n", pe_buf_str(&note));
	pe_buf_release(&note);
}

static void *terminal_begin(const struct pe_report_input *in, FILE *out)
{
	struct terminal *t = xcalloc(1, sizeof(*t));

	t->in = *in;
	t->out = out;
	t->model_width = pe_report_model_width(in->agg);
	return t;
}

/* Every figure comes from the aggregate; rows add nothing. */
static void terminal_add(void *state, const struct pe_result *row)
{
	(void)state;
	(void)row;
}

static int terminal_end(void *state)
{
	struct terminal *t = state;
	int rc;

	print_partial(t);
	pe_report_print_matrix(
		t->out, t->in.agg, t->in.color,
		PE_MATRIX_INTERVALS |
			(t->in.with_timings ? PE_MATRIX_TIMINGS : 0));
	print_total(t);
	print_flaky(t);
	for (size_t i = 0; i < pe_aggregate_ranking_count(t->in.agg); i++)
		print_ranking(t, pe_aggregate_ranking(t->in.agg, i));
	print_ranking(t, pe_aggregate_overall_ranking(t->in.agg));
	print_costs(t);
	rc = fflush(t->out) || ferror(t->out) ? PE_ERR_IO : PE_OK;
	free(t);
	return rc;
}

const struct pe_report_ops pe_report_terminal = {
	.name = "terminal",
	.file_name = NULL,
	.begin = terminal_begin,
	.add = terminal_add,
	.end = terminal_end,
};
