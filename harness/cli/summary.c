/*
 * The pass-rate matrix: one line per cell of the aggregate, so the
 * terminal summary counts exactly what every report counts.  Names go
 * through the terminal printer: escaped, and cut and padded to the
 * columns the terminal shows.
 */
#include "harness/cli/summary.h"

#include <math.h>

#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/banned.h"

/* Prints pass rates by prompt x model x temperature; see summary.h. */
void pe_print_matrix(FILE *out, const struct pe_aggregate *agg)
{
	size_t n = pe_aggregate_cell_count(agg);

	pe_terminal_printf(out, "\n%-40s %-24s %5s %5s %5s %5s %5s  %9s  %s\n",
			   "prompt", "model", "temp", "pass", "fail", "error",
			   "ungr.", "pass rate", "mean score");
	for (size_t k = 0; k < n; k++) {
		const struct pe_cell *c = pe_aggregate_cell(agg, k);
		const struct pe_tally *t = &c->tally;
		char temp[32] = "-", rate[32] = "-", mean[32] = "-";

		if (c->has_temperature)
			snprintf(temp, sizeof(temp), "%g", c->temperature);
		if (t->pass_rate.decided) {
			snprintf(rate, sizeof(rate), "%.1f%%",
				 100.0 * t->pass_rate.rate);
			if (!isnan(t->mean_score))
				snprintf(mean, sizeof(mean), "%.2f",
					 t->mean_score);
		}
		pe_terminal_printf(
			out,
			"%-40.40s %-24.24s %5s %5zu %5zu %5zu %5zu  %9s  %s\n",
			c->prompt, c->model, temp, t->pass, t->fail, t->error,
			t->ungraded, rate, mean);
	}
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
