/*
 * The pass-rate matrix.  Cells are found by a linear scan: a run has few
 * prompt x model x temperature cells, and rows arrive grouped.
 */
#include "harness/cli/summary.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

struct matrix_cell {
	const struct pe_prompt *prompt;
	const char *model;
	int has_temperature;
	double temperature;
	size_t pass, fail, error, skip, total;
	double score_sum;
};

static int same_cell(const struct matrix_cell *c, const struct pe_tally_row *r)
{
	return c->prompt == r->prompt &&
	       !strcmp(c->model ? c->model : "", r->model ? r->model : "") &&
	       c->has_temperature == r->has_temperature &&
	       (!c->has_temperature || c->temperature == r->temperature);
}

/* Prints pass rates by prompt x model x temperature; see summary.h. */
void pe_print_matrix(FILE *out, const struct pe_tally_row *rows, size_t n)
{
	struct matrix_cell *cells = xcalloc(n ? n : 1, sizeof(*cells));
	size_t ncells = 0;

	for (size_t i = 0; i < n; i++) {
		struct matrix_cell *c = NULL;

		for (size_t k = 0; k < ncells && !c; k++)
			if (same_cell(&cells[k], &rows[i]))
				c = &cells[k];
		if (!c) {
			c = &cells[ncells++];
			c->prompt = rows[i].prompt;
			c->model = rows[i].model;
			c->has_temperature = rows[i].has_temperature;
			c->temperature = rows[i].temperature;
		}
		c->total++;
		if (rows[i].verdict == PE_VERDICT_PASS ||
		    rows[i].verdict == PE_VERDICT_FAIL)
			c->score_sum += rows[i].score;
		c->pass += rows[i].verdict == PE_VERDICT_PASS;
		c->fail += rows[i].verdict == PE_VERDICT_FAIL;
		c->error += rows[i].verdict == PE_VERDICT_ERROR;
		c->skip += rows[i].verdict == PE_VERDICT_SKIP;
	}
	fprintf(out, "\n%-40s %-24s %5s %5s %5s %5s %5s  %9s  %s\n", "prompt",
		"model", "temp", "pass", "fail", "error", "skip", "pass rate",
		"mean score");
	for (size_t k = 0; k < ncells; k++) {
		const struct matrix_cell *c = &cells[k];
		size_t decided = c->pass + c->fail;
		char temp[32] = "-", rate[32] = "-", mean[32] = "-";

		if (c->has_temperature)
			snprintf(temp, sizeof(temp), "%g", c->temperature);
		if (decided) {
			snprintf(rate, sizeof(rate), "%.1f%%",
				 100.0 * (double)c->pass / (double)decided);
			snprintf(mean, sizeof(mean), "%.2f",
				 c->score_sum / (double)decided);
		}
		fprintf(out,
			"%-40.40s %-24.24s %5s %5zu %5zu %5zu %5zu  %9s  %s\n",
			c->prompt->name, c->model ? c->model : "-", temp,
			c->pass, c->fail, c->error, c->skip, rate, mean);
	}
	free(cells);
}
