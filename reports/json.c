/*
 * The results.json report: the loaded rows written back in the schema
 * that "score" and "run" write (results.h), so a merged or re-scored set
 * can be read by every tool that reads results.json.  The header and the
 * summary come from results.c itself; the rows are re-serialised here
 * from struct pe_result in the same key order as pe_results_row_json.
 *
 * The resultset does not keep the plan or the tool string of the file it
 * was read from, so "plan" is null and "tool" names this prompteval.
 * Timings (first_byte_ms, total_ms) are null unless with_timings is set,
 * which keeps the document byte-for-byte reproducible.
 */
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>

#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/results/results.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct json_state {
	FILE *out;
	struct pe_buf buf;
	int with_timings;
	size_t rows;
	const struct pe_aggregate *agg;
};

static void write_evaluators(struct pe_buf *b, const struct pe_result *row)
{
	pe_buf_adds(b, "\"evaluators\":[");
	for (size_t i = 0; i < row->nevaluators; i++) {
		const struct pe_result_evaluator *r = &row->evaluators[i];
		struct pe_evaluator_json e = { r->name,	 r->kind,   r->status,
					       r->score, r->weight, r->negate,
					       r->reason };

		pe_results_evaluator_json(b, i == 0, &e);
	}
	pe_buf_adds(b, "]");
}

static void write_call(struct pe_buf *b, const struct pe_result *row,
		       int with_timings)
{
	pe_buf_adds(b, ",\"call\":");
	if (!row->has_call) {
		pe_buf_adds(b, "null");
		return;
	}
	pe_buf_addf(b, "{\"attempts\":%u,\"cached\":%s", row->attempts,
		    row->cached ? "true" : "false");
	pe_json_count_member(b, "http_status",
			     row->http_status > 0 ? row->http_status : -1);
	pe_buf_adds(b, ",\"first_byte_ms\":");
	pe_json_num(b, with_timings ? row->first_byte_ms : NAN);
	pe_buf_adds(b, ",\"total_ms\":");
	pe_json_num(b, with_timings ? row->total_ms : NAN);
	pe_json_count_member(b, "tokens_in", row->tokens_in);
	pe_json_count_member(b, "tokens_out", row->tokens_out);
	pe_buf_adds(b, ",\"finish_reason\":");
	pe_json_str(b, row->finish_reason);
	pe_buf_adds(b, ",\"served_model\":");
	pe_json_str(b, row->served_model);
	pe_buf_addc(b, '}');
}

/*
 * Appends row as one line of JSON (no newline) in the key order of
 * pe_results_row_json; timings are null unless with_timings is set.
 */
void pe_report_row_json(const struct pe_result *row, int with_timings,
			struct pe_buf *b)
{
	pe_buf_adds(b, "{\"id\":");
	pe_json_str(b, row->id);
	pe_buf_adds(b, ",\"prompt\":");
	pe_json_str(b, row->prompt);
	pe_buf_adds(b, ",\"file\":");
	pe_json_str(b, row->file);
	pe_buf_adds(b, ",\"case\":");
	pe_json_str(b, row->case_id);
	pe_buf_addf(b, ",\"case_index\":%zu,\"model\":", row->case_index);
	pe_json_str(b, row->model);
	pe_buf_adds(b, ",\"temperature\":");
	if (row->has_temperature)
		pe_json_num(b, row->temperature);
	else
		pe_buf_adds(b, "null");
	pe_buf_addf(b, ",\"repeat\":%u,\"status\":", row->repeat);
	pe_json_str(b, pe_verdict_name(row->status));
	pe_buf_adds(b, ",\"score\":");
	pe_json_num(b, row->score);
	pe_buf_adds(b, ",\"error\":");
	pe_json_str(b, row->error);
	write_call(b, row, with_timings);
	pe_buf_adds(b, ",\"output\":");
	if (row->output)
		pe_json_quote(b, row->output, row->output_len);
	else
		pe_buf_adds(b, "null");
	pe_buf_addc(b, ',');
	write_evaluators(b, row);
	pe_buf_adds(b, "}");
}

/* Moves what the buffer holds to the file. */
static void flush(struct json_state *st)
{
	if (st->buf.len)
		fwrite(st->buf.data, 1, st->buf.len, st->out);
	pe_buf_reset(&st->buf);
}

static void *json_begin(const struct pe_report_input *in, FILE *out)
{
	struct json_state *st = xcalloc(1, sizeof(*st));

	st->out = out;
	st->with_timings = in->with_timings;
	st->agg = in->agg;
	pe_buf_init(&st->buf, 0);
	pe_results_header(&st->buf, pe_resultset_command(in->rs), NULL);
	flush(st);
	return st;
}

static void json_add(void *state, const struct pe_result *row)
{
	struct json_state *st = state;

	if (st->rows++)
		pe_buf_adds(&st->buf, ",\n");
	pe_report_row_json(row, st->with_timings, &st->buf);
	flush(st);
}

static int json_end(void *state)
{
	struct json_state *st = state;
	const struct pe_tally *t = pe_aggregate_total(st->agg);
	struct pe_results_summary s = { t->jobs, t->pass, t->fail, t->error,
					t->skip };
	int rc;

	pe_results_footer(&st->buf, &s);
	flush(st);
	rc = ferror(st->out) || fflush(st->out) ? PE_ERR_IO : PE_OK;
	pe_buf_release(&st->buf);
	free(st);
	return rc;
}

const struct pe_report_ops pe_report_json = {
	.name = "json",
	.file_name = "results.json",
	.begin = json_begin,
	.add = json_add,
	.end = json_end,
};
