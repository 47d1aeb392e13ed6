/*
 * What "run --dry-run" prints of a plan before anything is sent: the
 * smallest difference in pass rate its comparisons can detect, and what
 * it will cost where prices are set.  The matrix, judges and cost lines
 * that "run" and "score" print after a run are the terminal report's
 * (pe_report_print_matrix and its neighbours in reports/terminal.c), so
 * both count and lay out the same.
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
	size_t unsent;	 /* jobs whose messages cannot be rendered */
};

/*
 * Sets *bytes to the bytes of a job's rendered messages, as the runner
 * renders them (pe_prompt_render); returns 0 when one cannot be
 * rendered: then the runner sends nothing for the job (it is an error),
 * and it costs nothing.
 */
static int rendered_bytes(const struct pe_job *job, size_t *bytes)
{
	const struct pe_prompt *p = job->prompt;
	char **texts = xcalloc(p->nmessages ? p->nmessages : 1, sizeof(*texts));
	char *err = pe_prompt_render(p, job->kase, texts);
	int ok = err == NULL;

	*bytes = 0;
	for (size_t i = 0; i < p->nmessages; i++) {
		*bytes += texts[i] ? strlen(texts[i]) : 0;
		free(texts[i]);
	}
	free(texts);
	free(err);
	return ok;
}

static struct token_estimate estimate_tokens(const struct pe_plan *plan,
					     size_t target)
{
	struct token_estimate e = { 0, 0, 1, 0 };

	for (size_t j = 0; j < plan->njobs; j++) {
		const struct pe_job *job = &plan->jobs[j];
		const struct pe_params *params = &job->prompt->params;
		size_t bytes;

		if (job->target != target)
			continue;
		if (!rendered_bytes(job, &bytes)) {
			e.unsent++;
			continue;
		}
		e.tokens_in += (long)((bytes + 3) / 4);
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
	size_t unsent = 0;

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
		unsent += e.unsent;
		print_model_estimate(out, t, &e, price, &low, &high);
	}
	if (unsent)
		fprintf(out,
			"  not counted: %zu job%s whose messages cannot be "
			"rendered (an error at run time, with no call)\n",
			unsent, unsent == 1 ? "" : "s");
	if (!all_priced)
		return;
	if (all_bounded)
		fprintf(out, "  total: from %.6f to %.6f USD\n", low, high);
	else
		fprintf(out, "  total: at least %.6f USD\n", low);
}
