/*
 * The results.csv report: one record per job for spreadsheets, in RFC 4180
 * form (CRLF line ends, fields quoted when they hold a comma, a quote or
 * a line break, quotes doubled).  The fixed columns end with the job's
 * input, its case's variables as compact JSON (from the results file's
 * per-case inputs, cases.h; empty for files without them and for a
 * prompt without test data), and its output, the answer as the model
 * gave it.  The variables were chosen over the rendered messages because
 * they are what changes between cases: the messages repeat the
 * template's text in every row, and results.json holds them.  After the
 * fixed columns comes one column
 * per evaluator name seen anywhere in the set, in order of first
 * appearance, holding that evaluator's status in the row ("" when the row
 * has no such evaluator).  first_byte_ms (the time to the first token)
 * and total_ms are columns only with with_timings.
 * When some row asked an LLM judge, four columns come last, after the
 * evaluators', so that the others keep their places: judge_calls,
 * judge_model (empty when several models answered), judge_tokens_in and
 * judge_tokens_out, the judges' figures apart from the answer's tokens.
 *
 * Text fields come from prompt files and model output, so a field that a
 * spreadsheet would run as a formula (starting with = + - @, or a tab or
 * carriage return, as OWASP lists them) gets a leading ' and is shown as
 * text.  Numbers are written as results.json writes them; null is "".
 */
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct csv_state {
	FILE *out;
	const struct pe_resultset *rs; /* for the rows' inputs */
	struct pe_buf line;
	struct pe_buf scratch;
	size_t fields; /* in the record being built */
	int with_timings;
	int with_judges;	 /* some row asked a judge */
	const char **evaluators; /* names, borrowed from the result set */
	size_t nevaluators, evaluators_alloc;
};

static const char *const fixed_columns[] = {
	"id",	 "prompt",	"file",	       "case",	    "case_index",
	"model", "temperature", "repeat",      "status",    "score",
	"error", "attempts",	"http_status", "tokens_in", "tokens_out",
	"input", "output",
};

/* After the evaluators' columns, when some row asked a judge. */
static const char *const judge_columns[] = {
	"judge_calls",
	"judge_model",
	"judge_tokens_in",
	"judge_tokens_out",
};

/* Starts the next field of the record. */
static void next_field(struct csv_state *st)
{
	if (st->fields++)
		pe_buf_addc(&st->line, ',');
}

static void add_text(struct csv_state *st, const char *s)
{
	int quote;

	next_field(st);
	if (!s)
		return;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		pe_buf_addc(&st->line, '"');
	if (s[0] && strchr("=+-@\t\r", s[0]))
		pe_buf_addc(&st->line, '\'');
	for (; *s; s++) {
		if (*s == '"')
			pe_buf_addc(&st->line, '"');
		pe_buf_addc(&st->line, *s);
	}
	if (quote)
		pe_buf_addc(&st->line, '"');
}

/* Numbers are never quoted or guarded: they are ours, not the model's. */
static void add_number(struct csv_state *st, double v)
{
	pe_buf_reset(&st->scratch);
	pe_json_num(&st->scratch, v);
	next_field(st);
	if (strcmp(pe_buf_str(&st->scratch), "null"))
		pe_buf_adds(&st->line, pe_buf_str(&st->scratch));
}

/* A count that may be unknown (negative). */
static void add_count(struct csv_state *st, long v)
{
	next_field(st);
	if (v >= 0)
		pe_buf_addf(&st->line, "%ld", v);
}

/* Ends the record. */
static void end_line(struct csv_state *st)
{
	pe_buf_adds(&st->line, "\r\n");
	fwrite(st->line.data, 1, st->line.len, st->out);
	pe_buf_reset(&st->line);
	st->fields = 0;
}

static void collect_evaluators(struct csv_state *st,
			       const struct pe_resultset *rs)
{
	size_t n = pe_resultset_count(rs);

	for (size_t i = 0; i < n; i++) {
		const struct pe_result *row = pe_resultset_get(rs, i);

		for (size_t e = 0; e < row->nevaluators; e++) {
			const char *name = row->evaluators[e].name;
			size_t k = 0;

			while (k < st->nevaluators &&
			       strcmp(st->evaluators[k], name))
				k++;
			if (k < st->nevaluators)
				continue;
			pe_grow(&st->evaluators, &st->evaluators_alloc,
				st->nevaluators + 1, sizeof(*st->evaluators));
			st->evaluators[st->nevaluators++] = name;
		}
	}
}

static void *csv_begin(const struct pe_report_input *in, FILE *out)
{
	struct csv_state *st = xcalloc(1, sizeof(*st));

	st->out = out;
	st->rs = in->rs;
	st->with_timings = in->with_timings;
	st->with_judges = pe_aggregate_total(in->agg)->judge_calls > 0;
	pe_buf_init(&st->line, 0);
	pe_buf_init(&st->scratch, 0);
	collect_evaluators(st, in->rs);
	for (size_t i = 0; i < sizeof(fixed_columns) / sizeof(*fixed_columns);
	     i++)
		add_text(st, fixed_columns[i]);
	if (st->with_timings) {
		add_text(st, "first_byte_ms");
		add_text(st, "total_ms");
	}
	for (size_t i = 0; i < st->nevaluators; i++)
		add_text(st, st->evaluators[i]);
	if (st->with_judges)
		for (size_t i = 0;
		     i < sizeof(judge_columns) / sizeof(*judge_columns); i++)
			add_text(st, judge_columns[i]);
	end_line(st);
	return st;
}

/* The status of the row's first evaluator called name, or NULL. */
static const char *evaluator_status(const struct pe_result *row,
				    const char *name)
{
	for (size_t i = 0; i < row->nevaluators; i++)
		if (!strcmp(row->evaluators[i].name, name))
			return pe_verdict_name(row->evaluators[i].status);
	return NULL;
}

/* The input column: the variables of the row's case as compact JSON. */
static void add_input(struct csv_state *st, const struct pe_result *row)
{
	const struct pe_case_input *c = pe_resultset_case_of(st->rs, row);

	pe_buf_reset(&st->scratch);
	if (c && c->vars && !pe_json_node(&st->scratch, c->vars))
		add_text(st, pe_buf_str(&st->scratch));
	else
		add_text(st, NULL);
}

static void csv_add(void *state, const struct pe_result *row)
{
	struct csv_state *st = state;

	add_text(st, row->id);
	add_text(st, row->prompt);
	add_text(st, row->file);
	add_text(st, row->case_id);
	add_count(st, (long)row->case_index);
	add_text(st, row->model);
	add_number(st, row->has_temperature ? row->temperature : NAN);
	add_count(st, (long)row->repeat);
	add_text(st, pe_verdict_name(row->status));
	add_number(st, row->score);
	add_text(st, row->error);
	add_count(st, row->has_call ? (long)row->attempts : -1);
	add_count(st, row->has_call && row->http_status > 0 ? row->http_status
							    : -1);
	add_count(st, row->has_call ? row->tokens_in : -1);
	add_count(st, row->has_call ? row->tokens_out : -1);
	add_input(st, row);
	add_text(st, row->output);
	if (st->with_timings) {
		add_number(st, row->has_call ? row->first_byte_ms : NAN);
		add_number(st, row->has_call ? row->total_ms : NAN);
	}
	for (size_t i = 0; i < st->nevaluators; i++)
		add_text(st, evaluator_status(row, st->evaluators[i]));
	if (st->with_judges) {
		add_count(st, (long)row->judge_calls);
		add_text(st, row->judge_model);
		add_count(st, row->judge_tokens_in);
		add_count(st, row->judge_tokens_out);
	}
	end_line(st);
}

static int csv_end(void *state)
{
	struct csv_state *st = state;
	int rc = ferror(st->out) || fflush(st->out) ? PE_ERR_IO : PE_OK;

	pe_buf_release(&st->line);
	pe_buf_release(&st->scratch);
	free(st->evaluators);
	free(st);
	return rc;
}

const struct pe_report_ops pe_report_csv = {
	.name = "csv",
	.file_name = "results.csv",
	.begin = csv_begin,
	.add = csv_add,
	.end = csv_end,
};
