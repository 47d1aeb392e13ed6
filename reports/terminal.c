/*
 * The terminal report: the pass-rate matrix that "run" and "score" print
 * (same columns), with each pass rate's Wilson 95 % interval and, with
 * --timings, latency p50/p95; the judges' calls, tokens and cost apart
 * from the answers' when judges were asked; then the flaky cases, the
 * rankings per prompt and overall, and cost against pass rate when
 * prices were given (with the judges' cost in a column of its own).
 *
 * Everything comes from the aggregate, so add() has nothing to do and the
 * whole report is printed by end().  Text from the results file is
 * printed with control characters replaced, so a crafted results file
 * cannot move the cursor or change colours; colour itself is used only
 * when in->color says the output is a terminal that wants it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

#define BOLD   "\033[1m"
#define RED    "\033[31m"
#define GREEN  "\033[32m"
#define YELLOW "\033[33m"
#define RESET  "\033[0m"

/* A name as printed: at most this many bytes. */
enum { NAME_MAX_BYTES = 200 };

struct terminal {
	struct pe_report_input in;
	FILE *out;
};

/* Copies s into buf with control characters replaced by '?'. */
static const char *clean(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "-";
	for (; *s && n + 1 < size; s++, n++)
		buf[n] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[n] = '\0';
	return buf;
}

/* Prints text (already padded) in colour when colour is on. */
static void paint(const struct terminal *t, const char *colour,
		  const char *text)
{
	if (t->in.color && colour)
		fprintf(t->out, "%s%s%s", colour, text, RESET);
	else
		fputs(text, t->out);
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

/* Green when every decided case passed, red when none did. */
static const char *rate_colour(const struct pe_pass_rate *r)
{
	if (!r->decided)
		return NULL;
	if (r->pass == r->decided)
		return GREEN;
	return r->pass ? YELLOW : RED;
}

/* Prints one count column of width 5 after a space, red when bad. */
static void print_count(const struct terminal *t, size_t n, const char *colour)
{
	char buf[32];

	snprintf(buf, sizeof(buf), " %5zu", n);
	paint(t, n ? colour : NULL, buf);
}

static void print_matrix_header(const struct terminal *t)
{
	char buf[256];

	snprintf(buf, sizeof(buf),
		 "%-40s %-24s %5s %5s %5s %5s %5s  %9s  %-14s  %s", "prompt",
		 "model", "temp", "pass", "fail", "error", "ungr.", "pass rate",
		 "95% interval", "mean score");
	fputc('\n', t->out);
	paint(t, BOLD, buf);
	if (t->in.with_timings)
		paint(t, BOLD, "  p50 ms  p95 ms");
	fputc('\n', t->out);
}

static void print_cell(const struct terminal *t, const struct pe_cell *c)
{
	const struct pe_tally *tl = &c->tally;
	char prompt[NAME_MAX_BYTES], model[NAME_MAX_BYTES], temp[32] = "-";
	char rate[32], interval[64], mean[32], buf[64];

	if (c->has_temperature)
		snprintf(temp, sizeof(temp), "%g", c->temperature);
	format_rate(rate, sizeof(rate), tl->pass_rate.rate);
	format_interval(interval, sizeof(interval), &tl->pass_rate);
	format_number(mean, sizeof(mean), 2, tl->mean_score);
	fprintf(t->out, "%-40.40s %-24.24s %5s",
		clean(prompt, sizeof(prompt), c->prompt),
		clean(model, sizeof(model), c->model), temp);
	print_count(t, tl->pass, NULL);
	print_count(t, tl->fail, RED);
	print_count(t, tl->error, YELLOW);
	print_count(t, tl->ungraded, NULL);
	snprintf(buf, sizeof(buf), "  %9s", rate);
	paint(t, rate_colour(&tl->pass_rate), buf);
	fprintf(t->out, "  %-14s  %10s", interval, mean);
	if (t->in.with_timings) {
		format_number(rate, sizeof(rate), 0, c->latency_p50_ms);
		format_number(mean, sizeof(mean), 0, c->latency_p95_ms);
		fprintf(t->out, "  %6s  %6s", rate, mean);
	}
	fputc('\n', t->out);
}

static void print_total(const struct terminal *t)
{
	const struct pe_tally *tl = pe_aggregate_total(t->in.agg);
	char rate[32], interval[64];

	format_rate(rate, sizeof(rate), tl->pass_rate.rate);
	format_interval(interval, sizeof(interval), &tl->pass_rate);
	fprintf(t->out,
		"\n%zu job%s: %zu passed, %zu failed, %zu error%s, %zu "
		"ungraded; pass rate %s%s%s\n",
		tl->jobs, tl->jobs == 1 ? "" : "s", tl->pass, tl->fail,
		tl->error, tl->error == 1 ? "" : "s", tl->ungraded, rate,
		tl->pass_rate.decided ? " " : "",
		tl->pass_rate.decided ? interval : "");
	if (tl->judge_calls) {
		struct pe_buf text;

		pe_buf_init(&text, 0);
		pe_tally_judge_text(tl, &text);
		fprintf(t->out, "judges: %s\n", pe_buf_str(&text));
		pe_buf_release(&text);
	}
}

static void print_flaky(const struct terminal *t)
{
	size_t n = pe_aggregate_flaky_count(t->in.agg);
	char prompt[NAME_MAX_BYTES], kase[NAME_MAX_BYTES];
	char model[NAME_MAX_BYTES];

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

		fprintf(t->out, "  %s / ",
			clean(prompt, sizeof(prompt), f->prompt));
		if (f->case_id)
			fputs(clean(kase, sizeof(kase), f->case_id), t->out);
		else
			fprintf(t->out, "#%zu", f->case_index);
		fprintf(t->out, "  [%s", clean(model, sizeof(model), f->model));
		if (f->has_temperature)
			fprintf(t->out, " t=%g", f->temperature);
		fprintf(t->out, "]  %zu pass, %zu fail", f->pass, f->fail);
		if (f->error)
			fprintf(t->out, ", %zu error", f->error);
		if (f->ungraded)
			fprintf(t->out, ", %zu ungraded", f->ungraded);
		fprintf(t->out, " of %zu repeats\n", f->repeats);
	}
}

static void print_ranking(const struct terminal *t, const struct pe_ranking *r)
{
	char name[NAME_MAX_BYTES], file[NAME_MAX_BYTES], buf[512];

	if (r->prompt)
		snprintf(buf, sizeof(buf), "ranking for %s (%s)",
			 clean(name, sizeof(name), r->prompt),
			 clean(file, sizeof(file), r->file));
	else
		snprintf(buf, sizeof(buf), "ranking over all prompts");
	fputc('\n', t->out);
	paint(t, BOLD, buf);
	fprintf(t->out, ":\n");
	for (size_t i = 0; i < r->count; i++) {
		const struct pe_tally *tl = &r->entries[i].tally;
		char rate[32], interval[64], mean[32];

		format_rate(rate, sizeof(rate), tl->pass_rate.rate);
		format_interval(interval, sizeof(interval), &tl->pass_rate);
		format_number(mean, sizeof(mean), 2, tl->mean_score);
		fprintf(t->out, "  %2zu. %-24.24s", i + 1,
			clean(name, sizeof(name), r->entries[i].model));
		snprintf(buf, sizeof(buf), "  %7s", rate);
		paint(t, rate_colour(&tl->pass_rate), buf);
		fprintf(t->out, "  %-14s  mean score %4s  (%zu/%zu passed)\n",
			interval, mean, tl->pass_rate.pass,
			tl->pass_rate.decided);
	}
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
	char model[NAME_MAX_BYTES], buf[256];

	if (!pe_aggregate_has_cost(t->in.agg))
		return;
	if (judged)
		snprintf(buf, sizeof(buf), "%-24s  %11s  %10s  %12s  %9s  %s",
			 "model", "answers USD", "judges USD", "USD per job",
			 "pass rate", "95% interval");
	else
		snprintf(buf, sizeof(buf), "%-24s  %10s  %12s  %9s  %s",
			 "model", "cost USD", "USD per job", "pass rate",
			 "95% interval");
	fprintf(t->out, "\ncost vs pass rate:\n  ");
	paint(t, BOLD, buf);
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
		fprintf(t->out, "  %-24.24s  ",
			clean(model, sizeof(model), c->model));
		if (judged)
			fprintf(t->out, "%11s  %10s", cost, judges);
		else
			fprintf(t->out, "%10s", cost);
		fprintf(t->out, "  %12s  %9s  %s\n", per_job, rate, interval);
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
	size_t ncells = pe_aggregate_cell_count(t->in.agg);
	int rc;

	print_partial(t);
	print_matrix_header(t);
	for (size_t i = 0; i < ncells; i++)
		print_cell(t, pe_aggregate_cell(t->in.agg, i));
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
