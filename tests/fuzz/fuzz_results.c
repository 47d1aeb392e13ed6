/*
 * libFuzzer target for the results reader: the input is read as a
 * results document (results.json) and as a journal (results.jsonl), as
 * report, compare, merge and --baseline read files that may come from
 * anywhere (a CI artifact, a colleague's run).  Either it is refused with
 * positioned errors, or the set it gives is aggregated, compared with
 * itself, gated, grouped by error cause and written in every report
 * format that needs no prompt files: nothing may crash, leak, overflow or
 * hang, and a set compared with itself has no regression.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/core/diag.h"
#include "harness/results/aggregate.h"
#include "harness/results/causes.h"
#include "harness/results/compare.h"
#include "harness/results/gate.h"
#include "harness/results/resultset.h"
#include "reports/comparison.h"
#include "reports/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

/* Writes rs in every format that needs no prompt files, into sink. */
static void write_reports(const struct pe_report_input *in)
{
	for (size_t i = 0; pe_report_writers[i]; i++) {
		const struct pe_report_ops *ops = pe_report_writers[i];
		void *state;

		if (ops->needs_suite)
			continue;
		state = ops->begin(in, sink);
		if (!state)
			abort();
		for (size_t k = 0; k < pe_resultset_count(in->rs); k++)
			ops->add(state, pe_resultset_get(in->rs, k));
		ops->end(state);
	}
}

/* Uses a set as the commands that read results files do. */
static void use(const struct pe_resultset *rs)
{
	static const struct pe_price price = { "m", 1.0, 2.0 };
	struct pe_prices prices = { &price, 1 };
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), &prices);
	struct pe_comparison *cmp = pe_compare_new(rs, rs);
	struct pe_error_causes *causes = pe_error_causes_new(
		pe_resultset_rows(rs), pe_resultset_count(rs));
	struct pe_gate_results results;
	struct pe_report_input in = { 0 };
	struct pe_gates gates;

	if (pe_comparison_overall(cmp)->stats.regressed)
		abort();
	pe_gates_init(&gates);
	gates.min_pass_rate = 0.5;
	gates.fail_on = "regression";
	gates.max_errors = 0;
	gates.max_cost_usd = 1.0;
	pe_gate_results_init(&results);
	pe_gates_evaluate(&gates, rs, agg, cmp, &results);
	pe_error_causes_print(causes, sink);
	pe_comparison_write_terminal(sink, cmp);
	in.rs = rs;
	in.agg = agg;
	in.comparison = cmp;
	in.gates = &results;
	in.with_timings = 1;
	write_reports(&in);
	pe_gate_results_release(&results);
	pe_error_causes_free(causes);
	pe_comparison_free(cmp);
	pe_aggregate_free(agg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "results.json", "results.jsonl" };

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	for (size_t i = 0; i < 2; i++) {
		struct pe_diag *diag = pe_diag_new();
		struct pe_resultset *rs = pe_resultset_parse(
			names[i], (const char *)data, size, diag);

		/* A refusal says why. */
		if (!rs && !pe_diag_count(diag, PE_SEV_ERROR))
			abort();
		if (rs)
			use(rs);
		pe_resultset_free(rs);
		pe_diag_free(diag);
	}
	return 0;
}
