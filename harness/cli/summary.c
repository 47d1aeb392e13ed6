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

#include "harness/core/buf.h"
#include "harness/core/message.h"
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
