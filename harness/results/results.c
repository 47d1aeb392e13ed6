/*
 * The results document (see results.h).  Rows are written by the one row
 * writer, pe_result_json; this module adds the header and the summary.
 */
#include "harness/results/results.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/version.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static void write_summary(struct pe_buf *b, const struct pe_tally *s)
{
	struct pe_tally t = *s;

	/* The tally's own pass rate: null when nothing was decided. */
	pe_tally_finish(&t);
	pe_buf_addf(b,
		    "\"summary\":{\"total\":%zu,\"pass\":%zu,\"fail\":%zu,"
		    "\"error\":%zu,\"ungraded\":%zu,\"pass_rate\":",
		    t.jobs, t.pass, t.fail, t.error, t.ungraded);
	pe_json_num(b, t.pass_rate.rate);
	/* Only with judge calls, so files without judges keep their bytes. */
	if (t.judge_calls)
		pe_buf_addf(b,
			    ",\"judge\":{\"calls\":%zu,\"tokens_in\":%ld,"
			    "\"tokens_out\":%ld}",
			    t.judge_calls, t.judge_tokens_in,
			    t.judge_tokens_out);
	pe_buf_adds(b, "}");
}

static void write_header(struct pe_buf *b, const char *command,
			 const struct pe_plan_info *plan,
			 const struct pe_partial *partial,
			 const struct pe_case_table *cases,
			 const struct pe_secrets *secrets)
{
	pe_buf_addf(b,
		    "{\"schema_version\":%d,\"tool\":\"prompteval %s\","
		    "\"command\":",
		    PE_RESULTS_SCHEMA_VERSION, PE_VERSION);
	pe_json_str(b, command);
	pe_buf_adds(b, ",\"plan\":");
	if (!plan) {
		pe_buf_adds(b, "null");
	} else {
		pe_buf_adds(b, "{\"id\":");
		pe_json_str(b, plan->id);
		pe_buf_addf(b, ",\"jobs\":%zu,\"shard\":", plan->jobs);
		if (plan->shard_count)
			pe_buf_addf(b, "{\"index\":%zu,\"count\":%zu}}",
				    plan->shard_index, plan->shard_count);
		else
			pe_buf_adds(b, "null}");
	}
	if (partial) {
		pe_buf_addf(b, ",\"partial\":{\"finished\":%zu,\"jobs\":%zu",
			    partial->finished, partial->jobs);
		if (partial->stopped[0]) {
			pe_buf_adds(b, ",\"stopped\":");
			pe_json_str(b, partial->stopped);
		}
		pe_buf_adds(b, "}");
	}
	pe_buf_adds(b, ",\n");
	pe_case_table_json(cases, secrets, b);
	pe_buf_adds(b, "\"results\":[\n");
}

/* Appends the document's opening, up to its first row. */
void pe_results_header(struct pe_buf *out, const char *command,
		       const struct pe_plan_info *plan,
		       const struct pe_partial *partial,
		       const struct pe_case_table *cases,
		       const struct pe_secrets *secrets)
{
	write_header(out, command, plan, partial, cases, secrets);
}

/* Appends the document's end: the summary. */
void pe_results_footer(struct pe_buf *out, const struct pe_tally *s)
{
	pe_buf_adds(out, "\n],\n");
	write_summary(out, s);
	pe_buf_adds(out, "}\n");
}

/* Writes the results document atomically; see results.h. */
int pe_results_write(const char *path, const char *command,
		     const struct pe_plan_info *plan,
		     const struct pe_partial *partial,
		     const struct pe_case_table *cases,
		     const struct pe_secrets *secrets,
		     const struct pe_result *rows, size_t n)
{
	struct pe_buf b;
	struct pe_tally t;
	int rc;

	pe_tally_init(&t);
	pe_buf_init(&b, 0);
	pe_results_header(&b, command, plan, partial, cases, secrets);
	for (size_t i = 0; i < n; i++) {
		pe_result_json(&rows[i], &b);
		if (i + 1 < n)
			pe_buf_adds(&b, ",\n");
		pe_tally_add(&t, &rows[i]);
	}
	pe_results_footer(&b, &t);
	rc = pe_file_write_atomic(path, b.data, b.len, 0);
	pe_buf_release(&b);
	return rc;
}
