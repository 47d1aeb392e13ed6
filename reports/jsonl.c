/*
 * The results.jsonl report: one row per line, written by the one row
 * writer (pe_result_json), with nothing around the rows.  It is the
 * journal format that pe_resultset_load reads back, so a merged set can
 * be written out as a journal again.
 */
#include "reports/report.h"

#include <stdlib.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct jsonl_state {
	FILE *out;
	struct pe_buf line;
};

static void *jsonl_begin(const struct pe_report_input *in, FILE *out)
{
	struct jsonl_state *st = xcalloc(1, sizeof(*st));

	(void)in;
	st->out = out;
	pe_buf_init(&st->line, 0);
	return st;
}

static void jsonl_add(void *state, const struct pe_result *row)
{
	struct jsonl_state *st = state;

	pe_buf_reset(&st->line);
	pe_result_json(row, &st->line);
	pe_buf_addc(&st->line, '\n');
	fwrite(st->line.data, 1, st->line.len, st->out);
}

static int jsonl_end(void *state)
{
	struct jsonl_state *st = state;
	int rc = ferror(st->out) || fflush(st->out) ? PE_ERR_IO : PE_OK;

	pe_buf_release(&st->line);
	free(st);
	return rc;
}

const struct pe_report_ops pe_report_jsonl = {
	.name = "jsonl",
	.file_name = "results.jsonl",
	.begin = jsonl_begin,
	.add = jsonl_add,
	.end = jsonl_end,
};
