/*
 * The results.json report: the loaded rows written back as a results
 * document, by the same writers "score" and "run" use (results.h and
 * pe_result_json), so a merged or re-rendered set can be read by every
 * tool that reads results.json.  The header keeps the command and plan of
 * the document the rows came from; rows keep their timings, which come
 * from the input and so are as reproducible as it is.
 */
#include "reports/report.h"

#include <stdlib.h>

#include "harness/core/buf.h"
#include "harness/results/results.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct json_state {
	FILE *out;
	struct pe_buf buf;
	size_t rows;
	const struct pe_aggregate *agg;
};

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
	st->agg = in->agg;
	pe_buf_init(&st->buf, 0);
	pe_results_header(&st->buf, pe_resultset_command(in->rs),
			  pe_resultset_plan(in->rs),
			  pe_resultset_partial(in->rs),
			  pe_resultset_cases(in->rs), NULL);
	flush(st);
	return st;
}

static void json_add(void *state, const struct pe_result *row)
{
	struct json_state *st = state;

	if (st->rows++)
		pe_buf_adds(&st->buf, ",\n");
	pe_result_json(row, &st->buf);
	flush(st);
}

static int json_end(void *state)
{
	struct json_state *st = state;
	int rc;

	pe_results_footer(&st->buf, pe_aggregate_total(st->agg));
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
