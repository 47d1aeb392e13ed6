/*
 * The pass-rate matrix: one line per cell of the aggregate, so the
 * terminal summary counts exactly what every report counts.  Names go
 * through the terminal printer: escaped, and padded to the columns the
 * terminal shows; the model column is as wide as the widest name
 * (pe_report_model_width), so that no name is cut.  In colour, as the
 * terminal report paints its matrix: failures red, errors yellow, the
 * pass rate green, yellow or red.
 */
#include "harness/cli/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/load/prompt.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "reports/report.h"
#include "harness/core/banned.h"

/* Prints one count column of width 5 after a space, in sgr when not 0. */
static void print_count(FILE *out, size_t n, const char *sgr)
{
	pe_terminal_paint(out, n ? sgr : NULL, " %5zu", n);
}

static void print_cell(FILE *out, const struct pe_cell *c, int model_width,
		       int color)
{
	const struct pe_tally *t = &c->tally;
	char temp[32] = "-", rate[32] = "-", mean[32] = "-";

	if (c->has_temperature)
		snprintf(temp, sizeof(temp), "%g", c->temperature);
	if (t->pass_rate.decided) {
		snprintf(rate, sizeof(rate), "%.1f%%",
			 100.0 * t->pass_rate.rate);
		if (!isnan(t->mean_score))
			snprintf(mean, sizeof(mean), "%.2f", t->mean_score);
	}
	pe_terminal_printf(out, "%-40.40s %-*s %5s", c->prompt, model_width,
			   c->model, temp);
	print_count(out, t->pass, NULL);
	print_count(out, t->fail, color ? PE_SGR_RED : NULL);
	print_count(out, t->error, color ? PE_SGR_YELLOW : NULL);
	print_count(out, t->ungraded, NULL);
	pe_terminal_paint(out,
			  color ? pe_report_rate_colour(&t->pass_rate) : NULL,
			  "  %9s", rate);
	pe_terminal_printf(out, "  %s\n", mean);
}

/* Prints pass rates by prompt x model x temperature; see summary.h. */
void pe_print_matrix(FILE *out, const struct pe_aggregate *agg, int color)
{
	size_t n = pe_aggregate_cell_count(agg);
	int model_width = pe_report_model_width(agg);

	fputc('\n', out);
	pe_terminal_paint(out, color ? PE_SGR_BOLD : NULL,
			  "%-40s %-*s %5s %5s %5s %5s %5s  %9s  %s", "prompt",
			  model_width, "model", "temp", "pass", "fail", "error",
			  "ungr.", "pass rate", "mean score");
	fputc('\n', out);
	for (size_t k = 0; k < n; k++)
		print_cell(out, pe_aggregate_cell(agg, k), model_width, color);
}

/* Prints the cost line when a cost is known; see summary.h. */
void pe_print_cost(FILE *out, const struct pe_tally *t)
{
	struct pe_buf text;

	pe_buf_init(&text, 0);
	if (pe_tally_cost_text(t, &text))
		pe_terminal_printf(out, "cost: %s\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

/* Prints the judges' line when there were judge calls; see summary.h. */
void pe_print_judges(FILE *out, const struct pe_tally *t)
{
	struct pe_buf text;

	if (!t->judge_calls)
		return;
	pe_buf_init(&text, 0);
	pe_tally_judge_text(t, &text);
	pe_terminal_printf(out, "judges: %s\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

/* Formats a detectable difference in points, or says none is. */
static void format_points(char *buf, size_t size, double difference)
{
	if (difference > 1.0)
		snprintf(buf, size, "over 100 points (too few cases)");
	else
		snprintf(buf, size, "%.1f points", 100.0 * difference);
}

/* Prints the plan's minimum detectable difference; see summary.h. */
void pe_print_power(FILE *out, const struct pe_plan *plan)
{
	size_t cases, answers;
	char independent[64], agree[64];

	pe_plan_design(plan, &cases, &answers);
	if (!cases)
		return;
	format_points(independent, sizeof(independent),
		      pe_min_detectable_difference(cases, answers, 0.0));
	format_points(agree, sizeof(agree),
		      pe_min_detectable_difference(cases, answers, 1.0));
	fprintf(out,
		"power: %zu case%s, %zu answer%s a case and model; the "
		"smallest pass-rate difference a paired comparison of two "
		"models detects: %s",
		cases, cases == 1 ? "" : "s", answers, answers == 1 ? "" : "s",
		independent);
	if (answers > 1)
		fprintf(out,
			" if the answers of a case are independent, %s if "
			"they always agree",
			agree);
	fprintf(out, " (80%% power, alpha 0.05 two-sided; worst case: pass "
		     "rates near 50%%, the two models uncorrelated)\n");
}

/* What one model's answers would take: tokens in, and tokens out at most. */
struct token_estimate {
	long tokens_in;
	long max_tokens_out;
	int out_bounded; /* every job's prompt sets max_tokens */
};

/*
 * Returns the bytes of a job's rendered messages, as the runner renders
 * them (pe_prompt_render); a message that cannot be rendered is not sent,
 * so it counts none.
 */
static size_t rendered_bytes(const struct pe_job *job)
{
	const struct pe_prompt *p = job->prompt;
	char **texts = xcalloc(p->nmessages ? p->nmessages : 1, sizeof(*texts));
	size_t bytes = 0;

	free(pe_prompt_render(p, job->kase, texts));
	for (size_t i = 0; i < p->nmessages; i++) {
		bytes += texts[i] ? strlen(texts[i]) : 0;
		free(texts[i]);
	}
	free(texts);
	return bytes;
}

static struct token_estimate estimate_tokens(const struct pe_plan *plan,
					     size_t target)
{
	struct token_estimate e = { 0, 0, 1 };

	for (size_t j = 0; j < plan->njobs; j++) {
		const struct pe_job *job = &plan->jobs[j];
		const struct pe_params *params = &job->prompt->params;

		if (job->target != target)
			continue;
		e.tokens_in += (long)((rendered_bytes(job) + 3) / 4);
		if (params->set & PE_PARAM_MAX_TOKENS)
			e.max_tokens_out += params->max_tokens;
		else
			e.out_bounded = 0;
	}
	return e;
}

/* Prints one model's estimate; adds its cost to *low and *high. */
static void print_model_estimate(FILE *out, const struct pe_target *t,
				 const struct token_estimate *e,
				 const struct pe_price *price, double *low,
				 double *high)
{
	double usd_in;

	pe_terminal_printf(out, "  %-32s ", t->spec);
	if (!price) {
		fprintf(out, "no price\n");
		return;
	}
	usd_in = pe_price_usd(price, e->tokens_in, 0);
	*low += usd_in;
	fprintf(out, "about %ld tokens in, %.6f USD; ", e->tokens_in, usd_in);
	if (e->out_bounded) {
		double usd_out = pe_price_usd(price, 0, e->max_tokens_out);

		*high += usd_in + usd_out;
		fprintf(out, "output at most %ld tokens, %.6f USD\n",
			e->max_tokens_out, usd_out);
	} else {
		fprintf(out, "output not bounded (a prompt sets no "
			     "max_tokens)\n");
	}
}

/* Prints the answers' cost estimate per model; see summary.h. */
void pe_print_cost_estimate(FILE *out, const struct pe_plan *plan,
			    const struct pe_prices *prices)
{
	double low = 0, high = 0;
	int all_priced = 1, all_bounded = 1;

	if (!prices || !prices->count)
		return;
	fprintf(out, "cost estimate (the answers only; tokens in estimated "
		     "as the rendered messages' bytes / 4):\n");
	for (size_t i = 0; i < plan->ntargets; i++) {
		const struct pe_target *t = &plan->targets[i];
		struct token_estimate e = estimate_tokens(plan, i);
		const struct pe_price *price = pe_price_find(prices, t->spec);

		all_priced &= price != NULL;
		all_bounded &= e.out_bounded;
		print_model_estimate(out, t, &e, price, &low, &high);
	}
	if (!all_priced)
		return;
	if (all_bounded)
		fprintf(out, "  total: from %.6f to %.6f USD\n", low, high);
	else
		fprintf(out, "  total: at least %.6f USD\n", low);
}
