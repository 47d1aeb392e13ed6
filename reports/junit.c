/*
 * The junit.xml report, for CI systems that show JUnit results: one
 * <testsuite> per aggregate cell (prompt x model x temperature), named
 * "prompt [model t=0.7]", and one <testcase name="case [model, t=0.7,
 * #2]" classname="prompt.model"> per job: the name carries the model, the
 * temperature and the repeat (leaving out what the job does not have),
 * so that no two test cases of the document share a name and class, even
 * where a CI system shows them outside their suites.  A failed job
 * carries a <failure> whose message names each failing evaluator with its
 * reason ("failed: secs: no section 2; len: 1200 words > 800"), and whose
 * body lists them again, one per line; an errored job an <error>, a
 * skipped one <skipped/>; the output goes in <system-out>.  A suite whose jobs asked LLM judges starts with
 * <properties> giving the judges' figures apart from the answers':
 * judge_calls, judge_tokens_in, judge_tokens_out and, when prices give
 * it, judge_cost_usd.  tests/data/junit.xsd (after Jenkins'
 * junit-10.xsd) is the schema the output is checked against; time
 * attributes are optional in it and are written only with with_timings.
 *
 * Rows arrive in results.json order, where one cell's rows are spread
 * between other cells' (the case index sorts before the model), so the
 * writer keeps the row pointers and writes the whole document at the end.
 *
 * Everything that comes from prompt files or model output is XML-escaped:
 * & < > " ' become references, characters XML 1.0 forbids (control
 * characters other than tab, newline and carriage return) are dropped,
 * DEL, C1 and bidirectional controls (pe_terminal_is_control) become
 * character references so that the file is safe to show with cat, and
 * bytes that are not UTF-8 become U+FFFD.
 */
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/core/message.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct junit_state {
	FILE *out;
	struct pe_buf buf;
	int with_timings;
	struct pe_buf partial; /* the note for partial results, or empty */
	const struct pe_aggregate *agg;
	const struct pe_result **rows; /* borrowed from the result set */
	size_t nrows, rows_alloc;
};

/* The tally and the summed time of one suite (or of all). */
struct junit_counts {
	struct pe_tally tally;
	double time_ms;
};

#define REPLACEMENT_CHAR "\xef\xbf\xbd"

/*
 * The text to write for an ASCII byte: its reference, "" to drop it, or
 * NULL when it stands for itself.
 */
static const char *ascii_escape(unsigned char c, int attribute)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&apos;";
	case '\r':
		/* A parser would turn a bare CR into a newline. */
		return "&#13;";
	case '\n':
		/* Attribute values normalise white space to spaces. */
		return attribute ? "&#10;" : NULL;
	case '\t':
		return attribute ? "&#9;" : NULL;
	default:
		/* XML 1.0 has no way to write other control characters. */
		return c < 0x20 ? "" : NULL;
	}
}

/* Appends len bytes of s escaped for XML text or an attribute value. */
static void xml_escape(struct pe_buf *b, const char *s, size_t len,
		       int attribute)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n = pe_utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			pe_buf_adds(b, REPLACEMENT_CHAR);
			i++;
			continue;
		}
		if (n == 1 && ascii_escape(u[i], attribute)) {
			pe_buf_adds(b, ascii_escape(u[i], attribute));
			i++;
			continue;
		}
		if (cp == 0xfffe || cp == 0xffff)
			pe_buf_adds(b, REPLACEMENT_CHAR);
		else if (cp >= 0x7f && pe_terminal_is_control(cp))
			/* DEL, C1 and bidi controls: valid, but not raw. */
			pe_buf_addf(b, "&#x%lx;", cp);
		else
			pe_buf_add(b, s + i, n);
		i += n;
	}
}

static void xml_str(struct pe_buf *b, const char *s, int attribute)
{
	if (s)
		xml_escape(b, s, strlen(s), attribute);
}

/* Appends name="value" (with a leading space), value escaped. */
static void xml_attr(struct pe_buf *b, const char *name, const char *value)
{
	pe_buf_addf(b, " %s=\"", name);
	xml_str(b, value, 1);
	pe_buf_addc(b, '"');
}

static void add_seconds(struct pe_buf *b, double ms)
{
	pe_buf_addf(b, " time=\"%.3f\"", isfinite(ms) && ms > 0 ? ms / 1e3 : 0);
}

static void add_counts(struct pe_buf *b, const struct junit_counts *c,
		       int skipped, int with_timings)
{
	pe_buf_addf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"",
		    c->tally.jobs, c->tally.fail, c->tally.error);
	if (skipped)
		pe_buf_addf(b, " skipped=\"%zu\"", c->tally.ungraded);
	if (with_timings)
		add_seconds(b, c->time_ms);
}

static void count_row(struct junit_counts *c, const struct pe_result *row)
{
	pe_tally_add(&c->tally, row);
	if (row->has_call && isfinite(row->total_ms))
		c->time_ms += row->total_ms;
}

static int in_cell(const struct pe_cell *c, const struct pe_result *row)
{
	return !strcmp(c->file, row->file) &&
	       pe_str_same(c->model, row->model) &&
	       c->has_temperature == row->has_temperature &&
	       c->temperature == row->temperature;
}

/* "prompt [model t=0.7]", leaving out what the cell does not have. */
static void suite_name(struct pe_buf *b, const struct pe_cell *c)
{
	pe_buf_adds(b, " name=\"");
	xml_str(b, c->prompt, 1);
	if (c->model || c->has_temperature) {
		pe_buf_adds(b, " [");
		xml_str(b, c->model, 1);
		if (c->has_temperature) {
			pe_buf_adds(b, c->model ? " t=" : "t=");
			pe_json_num(b, c->temperature);
		}
		pe_buf_addc(b, ']');
	}
	pe_buf_addc(b, '"');
}

/*
 * The reasons of the evaluators with verdict v, one per line, for the
 * body of an element or (attribute set) an attribute value.
 */
static void add_reasons(struct pe_buf *b, const struct pe_result *row,
			enum pe_verdict v, int attribute)
{
	int first = 1;

	for (size_t i = 0; i < row->nevaluators; i++) {
		const struct pe_result_evaluator *e = &row->evaluators[i];

		if (e->status != v)
			continue;
		if (!first)
			pe_buf_adds(b, attribute ? "&#10;" : "\n");
		first = 0;
		xml_str(b, e->name, attribute);
		if (e->reason) {
			pe_buf_adds(b, ": ");
			xml_str(b, e->reason, attribute);
		}
	}
}

/*
 * The message of a failure: each failing evaluator with its reason,
 * "failed: a: why; b: why", or the score when the weighted score alone
 * missed the threshold.
 */
static void add_failure(struct pe_buf *b, const struct pe_result *row)
{
	int named = 0;

	pe_buf_adds(b, "      <failure message=\"");
	for (size_t i = 0; i < row->nevaluators; i++) {
		const struct pe_result_evaluator *e = &row->evaluators[i];

		if (e->status != PE_VERDICT_FAIL)
			continue;
		pe_buf_adds(b, named++ ? "; " : "failed: ");
		xml_str(b, e->name, 1);
		if (e->reason) {
			pe_buf_adds(b, ": ");
			xml_str(b, e->reason, 1);
		}
	}
	if (!named) {
		/* The weighted score missed the threshold. */
		pe_buf_adds(b, "score ");
		pe_json_num(b, row->score);
	}
	pe_buf_adds(b, "\" type=\"fail\">");
	add_reasons(b, row, PE_VERDICT_FAIL, 0);
	pe_buf_adds(b, "</failure>\n");
}

static void add_error(struct pe_buf *b, const struct pe_result *row)
{
	size_t start;

	pe_buf_adds(b, "      <error message=\"");
	start = b->len;
	if (row->error)
		xml_str(b, row->error, 1);
	else
		add_reasons(b, row, PE_VERDICT_ERROR, 1);
	if (b->len == start)
		pe_buf_adds(b, "error");
	pe_buf_adds(b, "\"/>\n");
}

/* An ungraded case: skipped, with the evaluators that did not run. */
static void add_ungraded(struct pe_buf *b, const struct pe_result *row)
{
	size_t start;

	pe_buf_adds(b, "      <skipped message=\"ungraded: ");
	start = b->len;
	add_reasons(b, row, PE_VERDICT_SKIP, 1);
	if (b->len == start)
		pe_buf_adds(b, "no evaluator");
	pe_buf_adds(b, "\"/>\n");
}

/*
 * name="case [model, t=0.7, #2]": the case (its index when it has no id),
 * then the model and temperature when the job has them, and the repeat.
 */
static void testcase_name(struct pe_buf *b, const struct pe_result *row)
{
	pe_buf_adds(b, " name=\"");
	if (row->case_id)
		xml_str(b, row->case_id, 1);
	else
		pe_buf_addf(b, "%zu", row->case_index);
	pe_buf_adds(b, " [");
	if (row->model) {
		xml_str(b, row->model, 1);
		pe_buf_adds(b, ", ");
	}
	if (row->has_temperature) {
		pe_buf_adds(b, "t=");
		pe_json_num(b, row->temperature);
		pe_buf_adds(b, ", ");
	}
	pe_buf_addf(b, "#%u]\"", row->repeat);
}

static void add_testcase(struct junit_state *st, const struct pe_result *row)
{
	struct pe_buf *b = &st->buf;
	int children = row->status != PE_VERDICT_PASS || row->output;

	pe_buf_adds(b, "    <testcase");
	testcase_name(b, row);
	pe_buf_adds(b, " classname=\"");
	xml_str(b, row->prompt, 1);
	if (row->model) {
		pe_buf_addc(b, '.');
		xml_str(b, row->model, 1);
	}
	pe_buf_addc(b, '"');
	if (st->with_timings)
		add_seconds(b, row->has_call ? row->total_ms : NAN);
	pe_buf_adds(b, children ? ">\n" : "/>\n");
	if (!children)
		return;
	if (row->status == PE_VERDICT_FAIL)
		add_failure(b, row);
	else if (row->status == PE_VERDICT_ERROR)
		add_error(b, row);
	else if (row->status == PE_VERDICT_UNGRADED)
		add_ungraded(b, row);
	if (row->output) {
		pe_buf_adds(b, "      <system-out>");
		xml_escape(b, row->output, row->output_len, 0);
		pe_buf_adds(b, "</system-out>\n");
	}
	pe_buf_adds(b, "    </testcase>\n");
}

static void add_property(struct pe_buf *b, const char *name, const char *value)
{
	pe_buf_adds(b, "      <property");
	xml_attr(b, "name", name);
	xml_attr(b, "value", value);
	pe_buf_adds(b, "/>\n");
}

/*
 * The judges' figures of a suite, apart from the answers': their calls,
 * tokens and, when known, cost.
 */
static void add_judge_properties(struct pe_buf *b, const struct pe_tally *t)
{
	char value[64];

	pe_buf_adds(b, "    <properties>\n");
	snprintf(value, sizeof(value), "%zu", t->judge_calls);
	add_property(b, "judge_calls", value);
	snprintf(value, sizeof(value), "%ld", t->judge_tokens_in);
	add_property(b, "judge_tokens_in", value);
	snprintf(value, sizeof(value), "%ld", t->judge_tokens_out);
	add_property(b, "judge_tokens_out", value);
	if (t->has_judge_cost) {
		snprintf(value, sizeof(value), "%.6f", t->judge_cost_usd);
		add_property(b, "judge_cost_usd", value);
	}
	pe_buf_adds(b, "    </properties>\n");
}

static void write_suite(struct junit_state *st, const struct pe_cell *c)
{
	struct junit_counts counts = { 0 };

	for (size_t i = 0; i < st->nrows; i++)
		if (in_cell(c, st->rows[i]))
			count_row(&counts, st->rows[i]);
	pe_buf_adds(&st->buf, "  <testsuite");
	suite_name(&st->buf, c);
	add_counts(&st->buf, &counts, 1, st->with_timings);
	xml_attr(&st->buf, "file", c->file);
	pe_buf_adds(&st->buf, ">\n");
	if (c->tally.judge_calls)
		add_judge_properties(&st->buf, &c->tally);
	for (size_t i = 0; i < st->nrows; i++)
		if (in_cell(c, st->rows[i]))
			add_testcase(st, st->rows[i]);
	pe_buf_adds(&st->buf, "  </testsuite>\n");
	fwrite(st->buf.data, 1, st->buf.len, st->out);
	pe_buf_reset(&st->buf);
}

static void *junit_begin(const struct pe_report_input *in, FILE *out)
{
	struct junit_state *st = xcalloc(1, sizeof(*st));

	st->out = out;
	st->with_timings = in->with_timings;
	st->agg = in->agg;
	pe_buf_init(&st->buf, 0);
	pe_buf_init(&st->partial, 0);
	pe_report_partial_note(in, &st->partial);
	return st;
}

static void junit_add(void *state, const struct pe_result *row)
{
	struct junit_state *st = state;

	pe_grow(&st->rows, &st->rows_alloc, st->nrows + 1, sizeof(*st->rows));
	st->rows[st->nrows++] = row;
}

/*
 * Writes the document.  NEEDSWORK: each suite scans every row, which is
 * cells x rows; fine for thousands of jobs, slow for millions.
 */
static int junit_end(void *state)
{
	struct junit_state *st = state;
	struct junit_counts total = { 0 };
	size_t ncells = pe_aggregate_cell_count(st->agg);
	int rc;

	for (size_t i = 0; i < st->nrows; i++)
		count_row(&total, st->rows[i]);
	pe_buf_adds(&st->buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			      "<testsuites name=\"prompteval\"");
	add_counts(&st->buf, &total, 0, st->with_timings);
	pe_buf_adds(&st->buf, ">\n");
	/* The note holds no "--", so it can stand in a comment. */
	if (st->partial.len)
		pe_buf_addf(&st->buf, "<!-- %s -->\n",
			    pe_buf_str(&st->partial));
	for (size_t c = 0; c < ncells; c++)
		write_suite(st, pe_aggregate_cell(st->agg, c));
	pe_buf_adds(&st->buf, "</testsuites>\n");
	fwrite(st->buf.data, 1, st->buf.len, st->out);
	rc = ferror(st->out) || fflush(st->out) ? PE_ERR_IO : PE_OK;
	pe_buf_release(&st->buf);
	pe_buf_release(&st->partial);
	free(st->rows);
	free(st);
	return rc;
}

const struct pe_report_ops pe_report_junit = {
	.name = "junit",
	.file_name = "junit.xml",
	.begin = junit_begin,
	.add = junit_add,
	.end = junit_end,
};
