/*
 * The HTML report (report.html): one self-contained page with inline CSS
 * and a small inline script, which works offline and fetches nothing.  It
 * opens short: the totals (the judges' calls, tokens and cost apart from
 * the answers', when judges were asked) and the interval method, the
 * overall ranking with each pair of models compared on their common
 * cases (and each prompt's, collapsed), the cost per model, the flaky
 * cases, a heatmap of the pass rate by prompt x model x temperature (each
 * cell with its 95 % interval, the case as the unit, and mean score),
 * each evaluator's pass rate per cell (collapsed), the baseline section
 * (per-prompt sign tests, the regressed and improved cases with the
 * reasons that changed and a line diff of their outputs, when a baseline
 * is given), then the case inspector: filters (prompt, model,
 * temperature, status, a text search, failures first) over the cases,
 * each collapsed to one line.  An opened case shows its inputs and one
 * column per model x temperature, aligned, with alike repeats shown once
 * (see write_case).
 *
 * Everything is rendered here, in C, as escaped HTML text; the script only
 * reads the escaped data-* attributes and text, toggles the hidden and
 * open attributes and reorders the cases, so no data ever reaches
 * innerHTML or a URL.  Every string from the results file goes through
 * html_escape(), which escapes & < > " ' for text and attribute values
 * alike, drops control characters and turns bytes that are not UTF-8 into
 * U+FFFD; an output's Markdown is rendered by pe_md_render_html, which
 * writes only its own tags and passes every text through html_escape().
 * A Content-Security-Policy meta tag allows no fetch at all, inline
 * styles, and only the one script whose SHA-256 it names, so even markup
 * that slipped through could not run.
 *
 * Rows arrive in results.json order (file, case index, model,
 * temperature, repeat), so a case's rows are adjacent: begin() writes
 * everything that comes from the aggregate, add() collects the rows of
 * the current case and writes the case before it, and end() writes the
 * last case and closes the page.  The page holds no dates.
 */
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/results/compare.h"
#include "harness/results/gate.h"
#include "harness/core/hash.h"
#include "harness/core/json.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "reports/comparison.h"
#include "evaluators/markdown.h"
#include "harness/core/node.h"
#include "harness/results/cases.h"
#include "harness/core/banned.h"

enum {
	/* An output longer than this is cut, with a note saying so. */
	OUTPUT_MAX_BYTES = 1 << 20,
	/*
	 * Outputs with more lines than this are shown whole instead of
	 * diffed: the diff takes time and memory in the product of the
	 * line counts (after the common first and last lines).
	 */
	DIFF_MAX_LINES = 2000
};

/* One heatmap column: a model at a temperature. */
struct html_column {
	const char *model;
	int has_temperature;
	double temperature;
};

struct html_state {
	FILE *out;
	struct pe_buf buf;
	const struct pe_resultset *rs;
	const struct pe_aggregate *agg;
	int with_timings;
	struct html_column *columns;
	size_t ncolumns, columns_alloc;
	/* The rows of the open case, written out when the next one starts. */
	const struct pe_result **case_rows;
	size_t ncase_rows, case_rows_alloc;
	size_t ncases; /* cases written */
	/*
	 * Per column, whether prompt file cells_file has a cell in it: the
	 * cases come file after file, so it is found once per file.
	 */
	const char *cells_file;
	unsigned char *has_cell;
};

#define REPLACEMENT_CHAR "\xef\xbf\xbd"

static const char page_script[] =
	"(function () {\n"
	"\"use strict\";\n"
	"function byId(id) {\n"
	"\treturn document.getElementById(id);\n"
	"}\n"
	"var sel = { prompt: byId(\"f-prompt\"), model: byId(\"f-model\"),\n"
	"\ttemp: byId(\"f-temp\"), status: byId(\"f-status\") };\n"
	"var search = byId(\"f-search\"), failFirst = byId(\"f-failfirst\");\n"
	"var count = byId(\"f-count\"), list = byId(\"case-list\");\n"
	"var cases = "
	"Array.prototype.slice.call(list.querySelectorAll(\".case\"));\n"
	"var only = null;\n"
	"function chosen(s) {\n"
	"\treturn s.selectedIndex > 0 ? s.value : null;\n"
	"}\n"
	"function choose(s, value) {\n"
	"\ts.selectedIndex = 0;\n"
	"\tfor (var i = 1; i < s.options.length; i++)\n"
	"\t\tif (s.options[i].value === value)\n"
	"\t\t\ts.selectedIndex = i;\n"
	"}\n"
	"function caseMatches(c, prompt, query) {\n"
	"\tif (only && c !== only)\n"
	"\t\treturn false;\n"
	"\tif (prompt && c.getAttribute(\"data-prompt\") !== prompt)\n"
	"\t\treturn false;\n"
	"\tif (!query)\n"
	"\t\treturn true;\n"
	"\tif (c.peText === undefined)\n"
	"\t\tc.peText = c.textContent.toLowerCase();\n"
	"\treturn c.peText.indexOf(query) >= 0;\n"
	"}\n"
	"function apply() {\n"
	"\tvar prompt = chosen(sel.prompt), model = chosen(sel.model);\n"
	"\tvar temp = chosen(sel.temp), status = chosen(sel.status);\n"
	"\tvar query = search.value.toLowerCase();\n"
	"\tvar shown = 0, total = 0, casesShown = 0;\n"
	"\tfor (var i = 0; i < cases.length; i++) {\n"
	"\t\tvar c = cases[i], okCase = caseMatches(c, prompt, query);\n"
	"\t\tvar any = false, cols = c.querySelectorAll(\".col\");\n"
	"\t\tfor (var j = 0; j < cols.length; j++) {\n"
	"\t\t\tvar col = cols[j], colAny = false;\n"
	"\t\t\tvar okCol = okCase &&\n"
	"\t\t\t\t(!model || col.getAttribute(\"data-model\") === model) &&\n"
	"\t\t\t\t(!temp || col.getAttribute(\"data-temp\") === temp);\n"
	"\t\t\tvar outs = col.querySelectorAll(\".out\");\n"
	"\t\t\tfor (var k = 0; k < outs.length; k++) {\n"
	"\t\t\t\tvar n = Number(outs[k].getAttribute(\"data-n\"));\n"
	"\t\t\t\tvar ok = okCol && (!status ||\n"
	"\t\t\t\t\touts[k].getAttribute(\"data-status\") === status);\n"
	"\t\t\t\touts[k].hidden = !ok;\n"
	"\t\t\t\ttotal += n;\n"
	"\t\t\t\tif (ok) {\n"
	"\t\t\t\t\tshown += n;\n"
	"\t\t\t\t\tcolAny = true;\n"
	"\t\t\t\t}\n"
	"\t\t\t}\n"
	"\t\t\tif (!outs.length)\n"
	"\t\t\t\tcolAny = okCol && !status;\n"
	"\t\t\tcol.hidden = !colAny;\n"
	"\t\t\tany = any || colAny;\n"
	"\t\t}\n"
	"\t\tc.hidden = !any;\n"
	"\t\tif (any)\n"
	"\t\t\tcasesShown++;\n"
	"\t}\n"
	"\tcount.textContent = casesShown + \" of \" + cases.length + \" "
	"cases, \" +\n"
	"\t\tshown + \" of \" + total + \" results shown\";\n"
	"}\n"
	"function order() {\n"
	"\tvar sorted = cases.slice();\n"
	"\tif (failFirst.checked)\n"
	"\t\tsorted.sort(function (a, b) {\n"
	"\t\t\treturn Number(b.getAttribute(\"data-fail\")) -\n"
	"\t\t\t\tNumber(a.getAttribute(\"data-fail\"));\n"
	"\t\t});\n"
	"\tfor (var i = 0; i < sorted.length; i++)\n"
	"\t\tlist.appendChild(sorted[i]);\n"
	"}\n"
	"function expand(open) {\n"
	"\tfor (var i = 0; i < cases.length; i++)\n"
	"\t\tcases[i].open = open && !cases[i].hidden;\n"
	"}\n"
	"function reset() {\n"
	"\tfor (var k in sel)\n"
	"\t\tsel[k].selectedIndex = 0;\n"
	"\tsearch.value = \"\";\n"
	"\tonly = null;\n"
	"}\n"
	"function inspect(el, focus) {\n"
	"\treset();\n"
	"\tchoose(sel.prompt, el.getAttribute(\"data-prompt\"));\n"
	"\tchoose(sel.model, el.getAttribute(\"data-model\"));\n"
	"\tchoose(sel.temp, el.getAttribute(\"data-temp\"));\n"
	"\tonly = focus;\n"
	"\tapply();\n"
	"\texpand(true);\n"
	"\tbyId(\"cases\").scrollIntoView();\n"
	"}\n"
	"for (var k in sel)\n"
	"\tsel[k].addEventListener(\"change\", apply);\n"
	"search.addEventListener(\"input\", apply);\n"
	"failFirst.addEventListener(\"change\", function () {\n"
	"\torder();\n"
	"\tapply();\n"
	"});\n"
	"byId(\"f-reset\").addEventListener(\"click\", function () {\n"
	"\treset();\n"
	"\tapply();\n"
	"});\n"
	"byId(\"f-expand\").addEventListener(\"click\", function () {\n"
	"\texpand(true);\n"
	"});\n"
	"byId(\"f-collapse\").addEventListener(\"click\", function () {\n"
	"\texpand(false);\n"
	"});\n"
	"var cells = document.querySelectorAll(\"td.heat\");\n"
	"for (var c = 0; c < cells.length; c++)\n"
	"\tcells[c].addEventListener(\"click\", function (ev) {\n"
	"\t\tinspect(ev.currentTarget, null);\n"
	"\t});\n"
	"var flaky = document.querySelectorAll(\"tr.flaky-case\");\n"
	"for (var f = 0; f < flaky.length; f++)\n"
	"\tflaky[f].addEventListener(\"click\", function (ev) {\n"
	"\t\tvar row = ev.currentTarget, focus = null;\n"
	"\t\tfor (var i = 0; i < cases.length; i++)\n"
	"\t\t\tif (cases[i].getAttribute(\"data-prompt\") ===\n"
	"\t\t\t    row.getAttribute(\"data-prompt\") &&\n"
	"\t\t\t    cases[i].getAttribute(\"data-index\") ===\n"
	"\t\t\t    row.getAttribute(\"data-index\"))\n"
	"\t\t\t\tfocus = cases[i];\n"
	"\t\tinspect(row, focus);\n"
	"\t});\n"
	"apply();\n"
	"})();\n";

static const char page_style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111;"
	"background:#fff}\n"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}\n"
	"table{border-collapse:collapse;margin:.5em 0}\n"
	"th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;"
	"text-align:left}\n"
	"td.num{text-align:right}\n"
	"td.heat,tr.flaky-case{cursor:pointer}\n"
	"td.heat{min-width:9em}\n"
	"td.heat span{display:block}\n"
	"td.none,td.na{background:#eee;color:#666}\n"
	".rate{font-weight:bold;font-size:1.15em}\n"
	".ci,.mean,.counts,.latency{font-size:.85em}\n"
	"[hidden]{display:none!important}\n"
	"details>summary{cursor:pointer}\n"
	"summary h2{display:inline-block;margin:.6em 0 .2em}\n"
	"#filters{position:sticky;top:0;background:#f7f7f7;padding:.5em;"
	"border:1px solid #ddd;z-index:1}\n"
	"#filters label{margin-right:1em}\n"
	"#filters select{max-width:18em}\n"
	".case>summary,.out,.evals,.inputs{overflow-wrap:anywhere}\n"
	".case{border:1px solid #ccc;margin:.3em 0;padding:.2em .5em}\n"
	".case[open]{border-color:#888;padding-bottom:.5em}\n"
	".case>summary{padding:.2em 0}\n"
	".chips{margin-left:1em}\n"
	".chip{display:inline-block;min-width:2.6em;margin-right:.3em;"
	"padding:0 .3em;font-size:.85em;text-align:center;"
	"border-radius:3px;background:#ddd}\n"
	".chip.st-pass{background:#bfe8bf}.chip.st-fail{background:#f4b8b8}\n"
	".chip.st-error{background:#f7d19a}\n"
	".inputs{margin:.4em 0;padding:.4em;background:#f4f7fb;"
	"border:1px solid #d5deea}\n"
	".inputs table{margin:0}\n"
	"pre.value{margin:0;white-space:pre-wrap;word-break:break-word;"
	"max-height:16em;overflow:auto}\n"
	".msg .role{font-weight:bold}\n"
	".grid{display:grid;grid-auto-flow:column;"
	"grid-auto-columns:minmax(17em,1fr);gap:.6em;overflow-x:auto}\n"
	".col{min-width:0}\n"
	".col-head{overflow-wrap:anywhere;font-weight:bold;"
	"border-bottom:2px solid #999;margin-bottom:.3em}\n"
	".out{border:1px solid #ccc;padding:.4em;border-left-width:6px;"
	"margin-bottom:.5em;min-width:0}\n"
	".st-pass{border-left-color:#2a2}.st-fail{border-left-color:#d22}\n"
	".gates li{list-style:none;border-left-width:4px;"
	"border-left-style:solid;margin:.2em 0;padding-left:.5em}\n"
	".st-error{border-left-color:#e80}.st-ungraded{border-left-color:#999}"
	"\n"
	".badge{font-weight:bold;text-transform:uppercase}\n"
	".times{font-weight:bold}.repeats{color:#555;font-size:.85em}\n"
	".md{overflow-wrap:anywhere}\n"
	".md pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em}\n"
	".md table{font-size:.9em}\n"
	".md-link{text-decoration:underline dotted}\n"
	".md-img{color:#555}\n"
	"pre.output{white-space:pre-wrap;word-break:break-word;"
	"background:#f6f6f6;padding:.4em;max-height:24em;overflow:auto}\n"
	".evals{margin:.3em 0;padding-left:1.2em}\n"
	".ev-pass .ev-status{color:#060}.ev-fail .ev-status{color:#b00}\n"
	".ev-error .ev-status{color:#a50}.ev-skip .ev-status{color:#666}\n"
	".error{color:#a00}\n"
	"table.compare td{text-align:right}\n"
	"table.compare td.verdict{text-align:left}\n"
	"td.verdict.bad,.change-regressed .badge{color:#b00}\n"
	".change-improved .badge{color:#060}\n"
	".change{border:1px solid #ccc;border-left-width:6px;padding:.4em;"
	"margin:.6em 0}\n"
	".change-regressed{border-left-color:#d22}"
	".change-improved{border-left-color:#2a2}\n"
	".change h4{margin:.2em 0}\n"
	"pre.diff{white-space:pre-wrap;word-break:break-word;"
	"background:#f6f6f6;padding:.4em .4em .4em 1.6em;max-height:32em;"
	"overflow:auto}\n"
	"pre.diff del,pre.diff ins{text-decoration:none}\n"
	"pre.diff del{background:#fdd}pre.diff ins{background:#dfd}\n"
	"pre.diff del::before,pre.diff ins::before{display:inline-block;"
	"width:1.2em;margin-left:-1.2em}\n"
	"pre.diff del::before{content:\"-\"}"
	"pre.diff ins::before{content:\"+\"}\n";

/* The text for an ASCII byte: a reference, "" to drop it, or NULL. */
static const char *ascii_escape(unsigned char c)
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
		return "&#39;";
	case '\n':
	case '\t':
		return NULL;
	default:
		return c < 0x20 || c == 0x7f ? "" : NULL;
	}
}

/*
 * Appends len bytes of s escaped for HTML text or a quoted attribute
 * value (the same escaping serves both).
 */
static void html_escape(struct pe_buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n = pe_utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			pe_buf_adds(b, REPLACEMENT_CHAR);
			i++;
		} else if (n == 1 && ascii_escape(u[i])) {
			pe_buf_adds(b, ascii_escape(u[i]));
			i++;
		} else {
			pe_buf_add(b, s + i, n);
			i += n;
		}
	}
}

/* Appends s escaped, or fallback (trusted) when s is NULL. */
static void put_text(struct pe_buf *b, const char *s, const char *fallback)
{
	if (s)
		html_escape(b, s, strlen(s));
	else
		pe_buf_adds(b, fallback);
}

/* Appends name="value" with a leading space; NULL is written as "". */
static void put_attr(struct pe_buf *b, const char *name, const char *value)
{
	pe_buf_addf(b, " %s=\"", name);
	put_text(b, value, "");
	pe_buf_addc(b, '"');
}

static void put_percent(struct pe_buf *b, double rate)
{
	pe_buf_addf(b, "%.0f%%", 100.0 * rate);
}

/* "model t=0.7", leaving out what the column does not have. */
static void put_column_label(struct pe_buf *b, const char *model,
			     int has_temperature, double temperature)
{
	put_text(b, model, "(no model)");
	if (has_temperature) {
		pe_buf_adds(b, " t=");
		pe_json_num(b, temperature);
	}
}

/*
 * Appends name="0.8", a temperature as the temperature filter's option
 * values and every element it filters spell it, or name="none" for rows
 * without one.
 */
static void put_temp_attr(struct pe_buf *b, const char *name,
			  int has_temperature, double temperature)
{
	pe_buf_addf(b, " %s=\"", name);
	if (has_temperature)
		pe_json_num(b, temperature);
	else
		pe_buf_adds(b, "none");
	pe_buf_addc(b, '"');
}

static void flush(struct html_state *st)
{
	fwrite(st->buf.data, 1, st->buf.len, st->out);
	pe_buf_reset(&st->buf);
}

static int in_column(const struct html_column *col, const struct pe_cell *c)
{
	return pe_str_same(col->model, c->model) &&
	       col->has_temperature == c->has_temperature &&
	       col->temperature == c->temperature;
}

/* Collects the distinct model x temperature columns of the cells. */
static void collect_columns(struct html_state *st)
{
	size_t ncells = pe_aggregate_cell_count(st->agg);

	for (size_t i = 0; i < ncells; i++) {
		const struct pe_cell *c = pe_aggregate_cell(st->agg, i);
		struct html_column *col;
		size_t j;

		for (j = 0; j < st->ncolumns; j++)
			if (in_column(&st->columns[j], c))
				break;
		if (j < st->ncolumns)
			continue;
		pe_grow(&st->columns, &st->columns_alloc, st->ncolumns + 1,
			sizeof(*st->columns));
		col = &st->columns[st->ncolumns++];
		col->model = c->model;
		col->has_temperature = c->has_temperature;
		col->temperature = c->temperature;
	}
}

/*
 * Returns the index of the first cell of a prompt file that no earlier
 * cell has, at or after *from, or the cell count when there is none.
 */
static size_t next_prompt(const struct pe_aggregate *agg, size_t from)
{
	size_t n = pe_aggregate_cell_count(agg);

	for (size_t i = from; i < n; i++) {
		const char *file = pe_aggregate_cell(agg, i)->file;
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(pe_aggregate_cell(agg, j)->file, file))
				break;
		if (j == i)
			return i;
	}
	return n;
}

/* The cell of prompt file at column col, or NULL. */
static const struct pe_cell *find_cell(const struct pe_aggregate *agg,
				       const char *file,
				       const struct html_column *col)
{
	size_t n = pe_aggregate_cell_count(agg);

	for (size_t i = 0; i < n; i++) {
		const struct pe_cell *c = pe_aggregate_cell(agg, i);

		if (!strcmp(c->file, file) && in_column(col, c))
			return c;
	}
	return NULL;
}

/* A background from red (0) through yellow to green (1). */
static void put_heat_style(struct pe_buf *b, double rate)
{
	pe_buf_addf(b, " style=\"background:hsl(%.0f,70%%,78%%)\"",
		    120.0 * rate);
}

static void write_heat_cell(struct html_state *st, const struct pe_cell *c)
{
	struct pe_buf *b = &st->buf;
	const struct pe_tally *t = &c->tally;
	const struct pe_pass_rate *r = &t->pass_rate;

	pe_buf_addf(b, "<td class=\"heat%s\"", r->decided ? "" : " na");
	put_attr(b, "data-prompt", c->file);
	put_attr(b, "data-model", c->model);
	put_temp_attr(b, "data-temp", c->has_temperature, c->temperature);
	if (r->decided)
		put_heat_style(b, r->rate);
	pe_buf_adds(b, "><span class=\"rate\">");
	if (r->decided) {
		put_percent(b, r->rate);
		pe_buf_adds(b, "</span><span class=\"ci\">[");
		put_percent(b, r->low);
		pe_buf_adds(b, "\xe2\x80\x93");
		put_percent(b, r->high);
		pe_buf_adds(b, "]");
	} else {
		pe_buf_adds(b, "\xe2\x80\x94");
	}
	pe_buf_adds(b, "</span><span class=\"mean\">mean score ");
	if (isnan(t->mean_score))
		pe_buf_adds(b, "\xe2\x80\x94");
	else
		pe_buf_addf(b, "%.2f", t->mean_score);
	pe_buf_addf(b,
		    "</span><span class=\"counts\">%zu pass, %zu fail, "
		    "%zu error, %zu ungraded</span>",
		    t->pass, t->fail, t->error, t->ungraded);
	if (st->with_timings && !isnan(c->latency_p50_ms))
		pe_buf_addf(b,
			    "<span class=\"latency\">p50 %.0f ms, "
			    "p95 %.0f ms</span>",
			    c->latency_p50_ms, c->latency_p95_ms);
	if (st->with_timings && !isnan(c->first_token_p95_ms))
		pe_buf_addf(b,
			    "<span class=\"latency\">first token p95 %.0f "
			    "ms</span>",
			    c->first_token_p95_ms);
	pe_buf_adds(b, "</td>");
}

static void write_column_heads(struct html_state *st, const char *first)
{
	pe_buf_addf(&st->buf, "<thead><tr><th>%s</th>", first);
	for (size_t j = 0; j < st->ncolumns; j++) {
		const struct html_column *col = &st->columns[j];

		pe_buf_adds(&st->buf, "<th class=\"col\">");
		put_column_label(&st->buf, col->model, col->has_temperature,
				 col->temperature);
		pe_buf_adds(&st->buf, "</th>");
	}
	pe_buf_adds(&st->buf, "</tr></thead>\n<tbody>\n");
}

static void write_heatmap(struct html_state *st)
{
	struct pe_buf *b = &st->buf;
	size_t ncells = pe_aggregate_cell_count(st->agg);

	pe_buf_adds(b, "<section id=\"matrix\">\n<h2>Pass rate by prompt "
		       "\xc3\x97 model \xc3\x97 temperature</h2>\n"
		       "<p>Pass rate (the mean over cases of each case's "
		       "passes over passes and failures) with its 95&nbsp;% "
		       "interval (see the method above), the mean score and "
		       "the verdict counts. Click a cell to show its "
		       "cases.</p>\n"
		       "<table class=\"heatmap\">");
	write_column_heads(st, "prompt");
	for (size_t i = next_prompt(st->agg, 0); i < ncells;
	     i = next_prompt(st->agg, i + 1)) {
		const struct pe_cell *first = pe_aggregate_cell(st->agg, i);

		pe_buf_adds(b, "<tr><th scope=\"row\" class=\"prompt\"");
		put_attr(b, "title", first->file);
		pe_buf_addc(b, '>');
		put_text(b, first->prompt, "");
		pe_buf_adds(b, "</th>");
		for (size_t j = 0; j < st->ncolumns; j++) {
			const struct pe_cell *c = find_cell(
				st->agg, first->file, &st->columns[j]);

			if (c)
				write_heat_cell(st, c);
			else
				pe_buf_adds(b, "<td class=\"none\"></td>");
		}
		pe_buf_adds(b, "</tr>\n");
		flush(st);
	}
	pe_buf_adds(b, "</tbody></table>\n</section>\n");
}

/* The models of one ranking, best first, with their rates and cases. */
static void write_ranking_table(struct pe_buf *b, const struct pe_ranking *r)
{
	pe_buf_adds(b, "<table class=\"ranking\"><thead><tr><th>#</th>"
		       "<th>model</th><th>pass rate</th><th>95&nbsp;% "
		       "interval</th><th>cases</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->count; i++) {
		const struct pe_pass_rate *p = &r->entries[i].tally.pass_rate;

		pe_buf_addf(b, "<tr><td>%zu</td><td>", i + 1);
		put_text(b, r->entries[i].model, "(no model)");
		pe_buf_adds(b, "</td><td>");
		if (p->decided) {
			put_percent(b, p->rate);
			pe_buf_adds(b, "</td><td>");
			put_percent(b, p->low);
			pe_buf_adds(b, "\xe2\x80\x93");
			put_percent(b, p->high);
		} else {
			pe_buf_adds(b, "\xe2\x80\x94</td><td>");
		}
		pe_buf_addf(b, "</td><td>%zu</td></tr>\n", p->cases);
	}
	pe_buf_adds(b, "</tbody></table>\n");
}

/* Each pair of models of r compared, then the neighbours' verdict. */
static void write_ranking_pairs(struct pe_buf *b, const struct pe_ranking *r)
{
	struct pe_buf text;

	pe_buf_init(&text, 0);
	if (!pe_ranking_ties_text(r, &text)) {
		pe_buf_release(&text);
		return;
	}
	pe_buf_adds(b, "<ul class=\"pairs\">\n");
	for (size_t i = 0; i < r->npairs; i++) {
		const struct pe_model_pair *p = pe_ranking_shown_pair(r, i);
		struct pe_buf line;

		if (!p)
			continue;
		pe_buf_init(&line, 0);
		pe_model_pair_text(p, &line);
		pe_buf_addf(b, "<li>%zu. ", p->better + 1);
		put_text(b, r->entries[p->better].model, "(no model)");
		pe_buf_addf(b, " vs %zu. ", p->worse + 1);
		put_text(b, r->entries[p->worse].model, "(no model)");
		pe_buf_adds(b, ": ");
		put_text(b, pe_buf_str(&line), "");
		pe_buf_adds(b, "</li>\n");
		pe_buf_release(&line);
	}
	pe_buf_adds(b, "</ul>\n<p>Neighbours that cannot be told apart: ");
	put_text(b, pe_buf_str(&text), "");
	pe_buf_adds(b, ".</p>\n");
	pe_buf_release(&text);
}

static void write_ranking(struct html_state *st, const struct pe_ranking *r)
{
	struct pe_buf *b = &st->buf;

	pe_buf_adds(b, "<h3>");
	if (r->prompt) {
		put_text(b, r->prompt, "");
		pe_buf_adds(b, " (");
		put_text(b, r->file, "");
		pe_buf_adds(b, ")");
	} else {
		pe_buf_adds(b, "All prompts");
	}
	pe_buf_adds(b, "</h3>\n");
	write_ranking_table(b, r);
	write_ranking_pairs(b, r);
	flush(st);
}

/*
 * The overall ranking, then the one of each prompt, collapsed.  Each pair
 * of models is compared on the cases both decided: the better one's pass
 * rate minus the other's, its paired interval and the exact sign test.
 */
static void write_rankings(struct html_state *st)
{
	size_t n = pe_aggregate_ranking_count(st->agg);

	if (!pe_aggregate_cell_count(st->agg))
		return;
	pe_buf_adds(&st->buf,
		    "<section id=\"rankings\">\n<h2>Rankings</h2>\n"
		    "<p>Models by pass rate. Each pair is compared on the "
		    "cases both decided: the difference in pass rate in "
		    "points, its paired 95&nbsp;% interval (Student's t on "
		    "the per-case differences) and the exact sign test "
		    "(McNemar's with one repeat a case).</p>\n");
	write_ranking(st, pe_aggregate_overall_ranking(st->agg));
	pe_buf_addf(&st->buf,
		    "<details id=\"rankings-by-prompt\">\n<summary>By prompt "
		    "(%zu)</summary>\n",
		    n);
	for (size_t i = 0; i < n; i++)
		write_ranking(st, pe_aggregate_ranking(st->agg, i));
	pe_buf_adds(&st->buf, "</details>\n</section>\n");
}

/* The rate of evaluator name in cell c, as a table cell. */
static void write_evaluator_cell(struct pe_buf *b, const struct pe_cell *c,
				 const char *name)
{
	const struct pe_evaluator_rate *e = NULL;

	for (size_t i = 0; c && i < c->nevaluators; i++)
		if (!strcmp(c->evaluators[i].name, name))
			e = &c->evaluators[i];
	if (!e || !e->runs) {
		pe_buf_adds(b, e ? "<td class=\"na\">not decided</td>"
				 : "<td class=\"none\"></td>");
		return;
	}
	pe_buf_adds(b, "<td class=\"ev-rate\"");
	put_heat_style(b, e->rate);
	pe_buf_addc(b, '>');
	put_percent(b, e->rate);
	pe_buf_addf(b, " (%zu/%zu)</td>", e->pass, e->runs);
}

/* Whether an earlier cell of file, before cell index upto, has name. */
static int evaluator_seen(const struct pe_aggregate *agg, const char *file,
			  size_t upto, size_t k_upto, const char *name)
{
	for (size_t i = 0; i <= upto; i++) {
		const struct pe_cell *c = pe_aggregate_cell(agg, i);
		size_t stop = i == upto ? k_upto : c->nevaluators;

		if (strcmp(c->file, file))
			continue;
		for (size_t k = 0; k < stop; k++)
			if (!strcmp(c->evaluators[k].name, name))
				return 1;
	}
	return 0;
}

/* One table per prompt: its evaluators by model x temperature. */
static void write_prompt_evaluators(struct html_state *st, const char *file,
				    const char *prompt)
{
	struct pe_buf *b = &st->buf;
	size_t ncells = pe_aggregate_cell_count(st->agg);

	pe_buf_adds(b, "<h3 class=\"prompt\"");
	put_attr(b, "title", file);
	pe_buf_addc(b, '>');
	put_text(b, prompt, "");
	pe_buf_adds(b, "</h3>\n<table class=\"evaluators\">");
	write_column_heads(st, "evaluator");
	for (size_t i = 0; i < ncells; i++) {
		const struct pe_cell *c = pe_aggregate_cell(st->agg, i);

		if (strcmp(c->file, file))
			continue;
		for (size_t k = 0; k < c->nevaluators; k++) {
			const char *name = c->evaluators[k].name;

			if (evaluator_seen(st->agg, file, i, k, name))
				continue;
			pe_buf_adds(b, "<tr><th scope=\"row\">");
			put_text(b, name, "");
			pe_buf_adds(b, "</th>");
			for (size_t j = 0; j < st->ncolumns; j++)
				write_evaluator_cell(b,
						     find_cell(st->agg, file,
							       &st->columns[j]),
						     name);
			pe_buf_adds(b, "</tr>\n");
		}
	}
	pe_buf_adds(b, "</tbody></table>\n");
	flush(st);
}

/*
 * NEEDSWORK: the cell lookups are cells x columns x evaluators; fine for
 * the hundreds of cells a suite has.
 */
static void write_evaluators(struct html_state *st)
{
	size_t ncells = pe_aggregate_cell_count(st->agg);

	pe_buf_adds(&st->buf,
		    "<section id=\"evaluators\">\n<details>\n<summary><h2>"
		    "Evaluators</h2></summary>\n<p>Each evaluator's passes "
		    "over the runs it decided.</p>\n");
	for (size_t i = next_prompt(st->agg, 0); i < ncells;
	     i = next_prompt(st->agg, i + 1)) {
		const struct pe_cell *c = pe_aggregate_cell(st->agg, i);

		write_prompt_evaluators(st, c->file, c->prompt);
	}
	pe_buf_adds(&st->buf, "</details>\n</section>\n");
}

/* A <select> of the distinct prompt files or models of the cells. */
static void write_select(struct html_state *st, const char *id,
			 const char *label, int models)
{
	struct pe_buf *b = &st->buf;
	size_t ncells = pe_aggregate_cell_count(st->agg);

	pe_buf_addf(b,
		    "<label>%s <select id=\"%s\"><option value=\"\">all"
		    "</option>",
		    label, id);
	for (size_t i = 0; i < ncells; i++) {
		const struct pe_cell *c = pe_aggregate_cell(st->agg, i);
		size_t j;

		for (j = 0; j < i; j++) {
			const struct pe_cell *d = pe_aggregate_cell(st->agg, j);

			if (models ? pe_str_same(c->model, d->model)
				   : !strcmp(c->file, d->file))
				break;
		}
		if (j < i)
			continue;
		pe_buf_adds(b, "<option");
		put_attr(b, "value", models ? c->model : c->file);
		pe_buf_addc(b, '>');
		if (models)
			put_text(b, c->model, "(no model)");
		else
			put_text(b, c->prompt, "");
		pe_buf_adds(b, "</option>");
	}
	pe_buf_adds(b, "</select></label>\n");
}

/* A <select> of the distinct temperatures of the columns. */
static void write_temp_select(struct html_state *st)
{
	struct pe_buf *b = &st->buf;

	pe_buf_adds(b, "<label>Temperature <select id=\"f-temp\">"
		       "<option value=\"\">all</option>");
	for (size_t i = 0; i < st->ncolumns; i++) {
		const struct html_column *c = &st->columns[i];
		size_t j;

		for (j = 0; j < i; j++)
			if (st->columns[j].has_temperature ==
				    c->has_temperature &&
			    st->columns[j].temperature == c->temperature)
				break;
		if (j < i)
			continue;
		pe_buf_adds(b, "<option");
		put_temp_attr(b, "value", c->has_temperature, c->temperature);
		pe_buf_adds(b, ">");
		if (c->has_temperature)
			pe_json_num(b, c->temperature);
		else
			pe_buf_adds(b, "(none)");
		pe_buf_adds(b, "</option>");
	}
	pe_buf_adds(b, "</select></label>\n");
}

/*
 * The filters of the case inspector: prompt, model, temperature and
 * status, a text search over each case (inputs, outputs, reasons), and
 * failures first; then the opening of the case list.
 */
static void write_filters(struct html_state *st)
{
	pe_buf_adds(
		&st->buf,
		"<section id=\"cases\">\n<h2>Cases</h2>\n"
		"<p>Each case collapsed to one line: its prompt, its id "
		"and, for each model \xc3\x97 temperature, the repeats that "
		"passed. Open one to see its inputs and, side by side, "
		"each model \xc3\x97 temperature's distinct outputs with "
		"their repeat counts and the verdicts and reasons of the "
		"evaluators that judged them.</p>\n<div id=\"filters\">\n");
	write_select(st, "f-prompt", "Prompt", 0);
	write_select(st, "f-model", "Model", 1);
	write_temp_select(st);
	pe_buf_adds(
		&st->buf,
		"<label>Status <select id=\"f-status\">"
		"<option value=\"\">all</option>"
		"<option value=\"pass\">pass</option>"
		"<option value=\"fail\">fail</option>"
		"<option value=\"error\">error</option>"
		"<option value=\"ungraded\">ungraded</option>"
		"</select></label>\n"
		"<label>Search <input type=\"search\" id=\"f-search\" "
		"placeholder=\"text in inputs, outputs, reasons\"></label>\n"
		"<label><input type=\"checkbox\" id=\"f-failfirst\"> "
		"failures first</label>\n"
		"<button type=\"button\" id=\"f-reset\">Show all</button>\n"
		"<button type=\"button\" id=\"f-expand\">Expand shown"
		"</button>\n"
		"<button type=\"button\" id=\"f-collapse\">Collapse all"
		"</button>\n"
		"<span id=\"f-count\"></span>\n</div>\n"
		"<div id=\"case-list\">\n");
}

/* Base64 of the 32 bytes a SHA-256 hex string spells. */
static void put_sha256_base64(struct pe_buf *b, const char *hex)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char bytes[33] = { 0 };

	for (size_t i = 0; i < 32; i++) {
		char pair[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		bytes[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	for (size_t i = 0; i < 32; i += 3) {
		unsigned long v = (unsigned long)bytes[i] << 16 |
				  (unsigned long)bytes[i + 1] << 8 |
				  bytes[i + 2];

		pe_buf_addc(b, digits[v >> 18 & 63]);
		pe_buf_addc(b, digits[v >> 12 & 63]);
		pe_buf_addc(b, i + 1 < 32 ? digits[v >> 6 & 63] : '=');
		pe_buf_addc(b, i + 2 < 32 ? digits[v & 63] : '=');
	}
}

static void write_head(struct html_state *st)
{
	struct pe_buf *b = &st->buf;
	char hex[PE_SHA256_HEX_LEN + 1];

	pe_sha256_hex(page_script, strlen(page_script), hex);
	pe_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		       "<meta charset=\"utf-8\">\n"
		       "<meta http-equiv=\"Content-Security-Policy\" "
		       "content=\"default-src 'none'; "
		       "style-src 'unsafe-inline'; script-src 'sha256-");
	put_sha256_base64(b, hex);
	pe_buf_adds(b, "'; img-src 'none'; base-uri 'none'; "
		       "form-action 'none'\">\n"
		       "<meta name=\"referrer\" content=\"no-referrer\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, "
		       "initial-scale=1\">\n"
		       "<title>prompteval report</title>\n<style>\n");
	pe_buf_adds(b, page_style);
	pe_buf_adds(b,
		    "</style>\n</head>\n<body>\n<h1>prompteval report</h1>\n");
}

/* A banner for partial results: our own words and numbers. */
static void write_partial(struct html_state *st,
			  const struct pe_report_input *in)
{
	struct pe_buf note;

	pe_buf_init(&note, 0);
	if (pe_report_partial_note(in, &note)) {
		pe_buf_adds(&st->buf, "<p id=\"partial\"><strong>");
		put_text(&st->buf, pe_buf_str(&note), "");
		pe_buf_adds(&st->buf, "</strong></p>\n");
	}
	pe_buf_release(&note);
}

/* Names how the pass rates and intervals were computed. */
static void write_method(struct html_state *st)
{
	struct pe_buf text;

	pe_buf_init(&text, 0);
	if (pe_aggregate_method_text(st->agg, &text)) {
		pe_buf_adds(&st->buf, "<p id=\"method\">");
		put_text(&st->buf, pe_buf_str(&text), "");
		pe_buf_adds(&st->buf, ".</p>\n");
	}
	pe_buf_release(&text);
}

static void write_totals(struct html_state *st)
{
	const struct pe_tally *t = pe_aggregate_total(st->agg);
	struct pe_buf *b = &st->buf;

	pe_buf_addf(b,
		    "<p id=\"totals\">%zu jobs: %zu pass, %zu fail, "
		    "%zu error, %zu ungraded; pass rate ",
		    t->jobs, t->pass, t->fail, t->error, t->ungraded);
	if (t->pass_rate.decided) {
		put_percent(b, t->pass_rate.rate);
		pe_buf_adds(b, " [");
		put_percent(b, t->pass_rate.low);
		pe_buf_adds(b, "\xe2\x80\x93");
		put_percent(b, t->pass_rate.high);
		pe_buf_adds(b, "]");
	} else {
		pe_buf_adds(b, "\xe2\x80\x94");
	}
	pe_buf_adds(b, ".</p>\n");
	if (t->judge_calls) {
		struct pe_buf text;

		pe_buf_init(&text, 0);
		pe_tally_judge_text(t, &text);
		pe_buf_adds(b, "<p id=\"judges\">Judges: ");
		put_text(b, pe_buf_str(&text), "");
		pe_buf_adds(b, ".</p>\n");
		pe_buf_release(&text);
	}
	write_method(st);
}

/*
 * The gates the command checked, failed first, at the top of the page:
 * nothing when none was given (report, or run without gates).
 */
static void write_gates(struct html_state *st, const struct pe_gate_results *g)
{
	static const enum pe_gate_verdict order[] = { PE_GATE_FAILED,
						      PE_GATE_NOT_CHECKED,
						      PE_GATE_PASSED };
	static const char *const status[] = { "fail", "ungraded", "pass" };
	struct pe_buf *b = &st->buf;

	if (!g)
		return;
	pe_buf_addf(b,
		    "<section id=\"gates\">\n<h2>Gates: %s</h2>\n"
		    "<ul class=\"gates\">\n",
		    pe_gate_results_verdict(g));
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < g->count; i++) {
			if (g->items[i].verdict != order[k])
				continue;
			pe_buf_addf(b,
				    "<li class=\"st-%s\"><strong>%s</strong>: ",
				    status[k], pe_gate_verdict_name(order[k]));
			put_text(b, g->items[i].text, "");
			pe_buf_adds(b, "</li>\n");
		}
	pe_buf_adds(b, "</ul>\n</section>\n");
}

/* A token count that may be unknown (negative). */
static void put_tokens(struct pe_buf *b, long tokens)
{
	if (tokens < 0)
		pe_buf_adds(b, "?");
	else
		pe_buf_addf(b, "%ld", tokens);
}

/* The judge calls of a row: how many, to which model, and their tokens. */
static void write_judge(struct pe_buf *b, const struct pe_result *row)
{
	pe_buf_adds(b, "<p class=\"judge\">judged by "
		       "<span class=\"judge-model\">");
	put_text(b, row->judge_model, "several models");
	pe_buf_addf(b, "</span>: %u call%s, ", row->judge_calls,
		    row->judge_calls == 1 ? "" : "s");
	put_tokens(b, row->judge_tokens_in);
	pe_buf_adds(b, " tokens in, ");
	put_tokens(b, row->judge_tokens_out);
	pe_buf_adds(b, " out</p>\n");
}

static void write_evaluator(struct pe_buf *b,
			    const struct pe_result_evaluator *e)
{
	const char *v = pe_verdict_name(e->status);

	pe_buf_addf(b,
		    "<li class=\"ev-%s\"><span class=\"ev-status\">%s"
		    "</span> <span class=\"ev-name\">",
		    v, v);
	put_text(b, e->name, "");
	pe_buf_adds(b, "</span>");
	if (e->negate)
		pe_buf_adds(b, " (not)");
	if (!isnan(e->score))
		pe_buf_addf(b, " <span class=\"ev-score\">%.2f</span>",
			    e->score);
	if (e->reason) {
		pe_buf_adds(b, ": <span class=\"ev-reason\">");
		put_text(b, e->reason, "");
		pe_buf_adds(b, "</span>");
	}
	pe_buf_adds(b, "</li>\n");
}

static void write_output(struct pe_buf *b, const struct pe_result *row)
{
	size_t cut;

	if (!row->output) {
		pe_buf_adds(b, "<p class=\"no-output\">(no output)</p>\n");
		return;
	}
	cut = pe_utf8_cut(row->output, row->output_len, OUTPUT_MAX_BYTES);
	pe_buf_adds(b, "<pre class=\"output\">");
	html_escape(b, row->output, cut);
	pe_buf_adds(b, "</pre>\n");
	if (cut < row->output_len)
		pe_buf_addf(b,
			    "<p class=\"cut\">(%zu more bytes not shown)</p>\n",
			    row->output_len - cut);
}

/*
 * The case inspector.  A case is one <details> element, collapsed: its
 * summary names it and has one chip per model x temperature of its
 * prompt (the repeats that passed over those decided).  Open, it shows
 * the case's inputs (its variables, expected value and the messages as
 * sent), then one column per model x temperature of the prompt, in the
 * heatmap's order, so the columns of every case of a prompt line up.  In
 * a column, repeats that came out alike (same output, verdicts, reasons
 * and judge calls) are shown once with their count.
 */

/* Whether two rows came out alike: shown once, with a count. */
static int same_outcome(const struct pe_result *a, const struct pe_result *b)
{
	if (a->status != b->status || a->nevaluators != b->nevaluators ||
	    !(a->score == b->score || (isnan(a->score) && isnan(b->score))) ||
	    !pe_str_same(a->error, b->error) || !a->output != !b->output ||
	    a->output_len != b->output_len ||
	    (a->output && memcmp(a->output, b->output, a->output_len)) ||
	    a->judge_calls != b->judge_calls ||
	    !pe_str_same(a->judge_model, b->judge_model) ||
	    a->judge_tokens_in != b->judge_tokens_in ||
	    a->judge_tokens_out != b->judge_tokens_out)
		return 0;
	for (size_t i = 0; i < a->nevaluators; i++) {
		const struct pe_result_evaluator *e = &a->evaluators[i];
		const struct pe_result_evaluator *f = &b->evaluators[i];

		if (e->status != f->status || e->negate != f->negate ||
		    !pe_str_same(e->name, f->name) ||
		    !pe_str_same(e->reason, f->reason) ||
		    !(e->score == f->score ||
		      (isnan(e->score) && isnan(f->score))))
			return 0;
	}
	return 1;
}

/* Whether row belongs to column col. */
static int row_in_column(const struct pe_result *row,
			 const struct html_column *col)
{
	return pe_str_same(row->model, col->model) &&
	       row->has_temperature == col->has_temperature &&
	       (!row->has_temperature || row->temperature == col->temperature);
}

/* A value of the inputs (a node formatted as templates see it), cut. */
static void put_node_value(struct pe_buf *b, const struct pe_node *n)
{
	struct pe_buf text;
	size_t cut;

	pe_buf_init(&text, 0);
	pe_node_format(n, &text);
	cut = pe_utf8_cut(text.data ? text.data : "", text.len,
			  OUTPUT_MAX_BYTES);
	pe_buf_adds(b, "<pre class=\"value\">");
	html_escape(b, text.data ? text.data : "", cut);
	pe_buf_adds(b, "</pre>");
	pe_buf_release(&text);
}

/* The inputs of the case of row: variables, expected value, messages. */
static void write_inputs(struct html_state *st, const struct pe_result *row)
{
	struct pe_buf *b = &st->buf;
	const struct pe_case_input *in = pe_resultset_case_of(st->rs, row);

	pe_buf_adds(b, "<div class=\"inputs\">\n");
	if (!in) {
		pe_buf_adds(b, "<p class=\"no-inputs\">No inputs: results "
			       "files hold them from schema version 4."
			       "</p>\n</div>\n");
		return;
	}
	pe_buf_adds(b, "<table class=\"vars\"><tbody>\n");
	for (size_t i = 0;
	     in->vars && in->vars->kind == PE_NODE_MAP && i < in->vars->npairs;
	     i++) {
		const struct pe_node *key = in->vars->pairs[i].key;

		pe_buf_adds(b, "<tr><th scope=\"row\" class=\"var\">");
		html_escape(b, key->text ? key->text : "", key->len);
		pe_buf_adds(b, "</th><td>");
		put_node_value(b, in->vars->pairs[i].value);
		pe_buf_adds(b, "</td></tr>\n");
	}
	if (in->expected) {
		pe_buf_adds(b, "<tr class=\"expected\"><th scope=\"row\">"
			       "expected</th><td>");
		put_node_value(b, in->expected);
		pe_buf_adds(b, "</td></tr>\n");
	}
	pe_buf_adds(b, "</tbody></table>\n");
	if (in->error) {
		pe_buf_adds(b, "<p class=\"error\">The messages could not be "
			       "rendered: ");
		put_text(b, in->error, "");
		pe_buf_adds(b, "</p>\n");
	}
	if (in->nmessages)
		pe_buf_addf(b,
			    "<details class=\"messages\"><summary>Messages as "
			    "sent (%zu)</summary>\n",
			    in->nmessages);
	for (size_t i = 0; i < in->nmessages; i++) {
		const struct pe_case_message *m = &in->messages[i];
		size_t cut = pe_utf8_cut(m->content, m->content_len,
					 OUTPUT_MAX_BYTES);

		pe_buf_adds(b, "<div class=\"msg\"><span class=\"role\">");
		put_text(b, m->role, "");
		pe_buf_adds(b, "</span><pre class=\"value\">");
		html_escape(b, m->content, cut);
		pe_buf_adds(b, "</pre></div>\n");
	}
	if (in->nmessages)
		pe_buf_adds(b, "</details>\n");
	pe_buf_adds(b, "</div>\n");
}

/*
 * An output as its Markdown renders (pe_md_render_html, through
 * html_escape), then its exact text, collapsed.
 */
static void write_rendered_output(struct pe_buf *b, const struct pe_result *row)
{
	size_t cut;

	if (!row->output) {
		write_output(b, row);
		return;
	}
	cut = pe_utf8_cut(row->output, row->output_len, OUTPUT_MAX_BYTES);
	pe_buf_adds(b, "<div class=\"md\">\n");
	pe_md_render_html(row->output, cut, html_escape, b);
	pe_buf_adds(b, "</div>\n<details class=\"raw\"><summary>exact text"
		       "</summary>\n");
	write_output(b, row);
	pe_buf_adds(b, "</details>\n");
}

/* One distinct outcome: row, and the repeats of the n rows like it. */
static void write_outcome(struct pe_buf *b, const struct pe_result *row,
			  const struct pe_result *const *like, size_t n)
{
	const char *v = pe_verdict_name(row->status);

	pe_buf_addf(b,
		    "<div class=\"out st-%s\" data-status=\"%s\" "
		    "data-n=\"%zu\">\n<div class=\"out-head\">"
		    "<span class=\"badge\">%s</span> <span class=\"times\">"
		    "\xc3\x97%zu</span> <span class=\"repeats\">repeat%s",
		    v, v, n, v, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		pe_buf_addf(b, "%s#%u", i ? ", " : " ", like[i]->repeat);
	pe_buf_adds(b, "</span>");
	if (!isnan(row->score))
		pe_buf_addf(b, " <span class=\"score\">score %.2f</span>",
			    row->score);
	pe_buf_adds(b, "</div>\n");
	if (row->error) {
		pe_buf_adds(b, "<p class=\"error\">");
		put_text(b, row->error, "");
		pe_buf_adds(b, "</p>\n");
	}
	write_rendered_output(b, row);
	if (row->judge_calls)
		write_judge(b, row);
	if (row->nevaluators) {
		pe_buf_adds(b, "<ul class=\"evals\">\n");
		for (size_t i = 0; i < row->nevaluators; i++)
			write_evaluator(b, &row->evaluators[i]);
		pe_buf_adds(b, "</ul>\n");
	}
	pe_buf_adds(b, "</div>\n");
}

/*
 * The rows of the open case in column col, in repeat order, into
 * rows[] (sized for every row of the case); returns how many.
 */
static size_t column_rows(const struct html_state *st,
			  const struct html_column *col,
			  const struct pe_result **rows)
{
	size_t n = 0;

	for (size_t i = 0; i < st->ncase_rows; i++)
		if (row_in_column(st->case_rows[i], col))
			rows[n++] = st->case_rows[i];
	return n;
}

/* One column of the open case: its distinct outcomes. */
static void write_case_column(struct html_state *st,
			      const struct html_column *col,
			      const struct pe_result **rows, size_t n,
			      const struct pe_result **like)
{
	struct pe_buf *b = &st->buf;

	pe_buf_adds(b, "<div class=\"col\"");
	put_attr(b, "data-model", col->model);
	put_temp_attr(b, "data-temp", col->has_temperature, col->temperature);
	pe_buf_adds(b, ">\n<div class=\"col-head\"><span class=\"model\">");
	put_column_label(b, col->model, col->has_temperature, col->temperature);
	pe_buf_addf(b,
		    "</span> <span class=\"repeats\">%zu repeat%s</span>"
		    "</div>\n",
		    n, n == 1 ? "" : "s");
	if (!n)
		pe_buf_adds(b, "<p class=\"no-rows\">No results.</p>\n");
	for (size_t i = 0; i < n; i++) {
		size_t nlike = 0;

		if (!rows[i])
			continue;
		for (size_t j = i; j < n; j++)
			if (rows[j] && same_outcome(rows[i], rows[j])) {
				like[nlike++] = rows[j];
				if (j > i)
					rows[j] = NULL;
			}
		write_outcome(b, rows[i], like, nlike);
	}
	pe_buf_adds(b, "</div>\n");
}

/*
 * A chip of the summary: the column's passes over its decided rows, or
 * a dash when the case has no rows in the column.
 */
static void write_chip(struct pe_buf *b, const struct html_column *col,
		       const struct pe_result *const *rows, size_t n)
{
	struct pe_tally t;
	const char *cls;

	pe_tally_init(&t);
	for (size_t i = 0; i < n; i++)
		pe_tally_add(&t, rows[i]);
	cls = !n	? "st-none"
	      : t.error ? "st-error"
	      : t.fail	? "st-fail"
	      : t.pass	? "st-pass"
			: "st-ungraded";
	pe_buf_addf(b, "<span class=\"chip %s\" title=\"", cls);
	put_column_label(b, col->model, col->has_temperature, col->temperature);
	if (!n) {
		pe_buf_adds(b, ": no results\">\xe2\x80\x94</span>");
		return;
	}
	pe_buf_addf(b,
		    ": %zu pass, %zu fail, %zu error, %zu ungraded\">"
		    "%zu/%zu</span>",
		    t.pass, t.fail, t.error, t.ungraded, t.pass,
		    t.pass + t.fail);
}

/* The columns in which file has a cell (st->has_cell, per column). */
static const unsigned char *columns_with_cells(struct html_state *st,
					       const char *file)
{
	if (st->cells_file && !strcmp(st->cells_file, file))
		return st->has_cell;
	if (!st->has_cell)
		st->has_cell = xcalloc(st->ncolumns ? st->ncolumns : 1, 1);
	for (size_t j = 0; j < st->ncolumns; j++)
		st->has_cell[j] =
			find_cell(st->agg, file, &st->columns[j]) != NULL;
	st->cells_file = file;
	return st->has_cell;
}

/* Writes the open case and empties it. */
static void write_case(struct html_state *st)
{
	struct pe_buf *b = &st->buf;
	const struct pe_result *first = st->case_rows[0];
	const struct pe_result **rows, **like;
	size_t failing = 0; /* failed and errored rows: "failures first" */
	const unsigned char *has_cell = columns_with_cells(st, first->file);

	for (size_t i = 0; i < st->ncase_rows; i++)
		failing += st->case_rows[i]->status == PE_VERDICT_FAIL ||
			   st->case_rows[i]->status == PE_VERDICT_ERROR;
	rows = xcalloc(st->ncase_rows, sizeof(*rows));
	like = xcalloc(st->ncase_rows, sizeof(*like));
	pe_buf_adds(b, "<details class=\"case\"");
	put_attr(b, "data-prompt", first->file);
	pe_buf_addf(b, " data-index=\"%zu\" data-fail=\"%zu\">\n<summary>",
		    first->case_index, failing);
	pe_buf_adds(b, "<span class=\"prompt\">");
	put_text(b, first->prompt, "");
	pe_buf_adds(b, "</span> / <span class=\"case-id\">");
	if (first->case_id)
		put_text(b, first->case_id, "");
	else
		pe_buf_addf(b, "case %zu", first->case_index);
	pe_buf_adds(b, "</span><span class=\"chips\">");
	for (size_t j = 0; j < st->ncolumns; j++)
		if (has_cell[j])
			write_chip(b, &st->columns[j], rows,
				   column_rows(st, &st->columns[j], rows));
	pe_buf_adds(b, "</span></summary>\n");
	write_inputs(st, first);
	pe_buf_adds(b, "<div class=\"grid\">\n");
	for (size_t j = 0; j < st->ncolumns; j++)
		if (has_cell[j])
			write_case_column(
				st, &st->columns[j], rows,
				column_rows(st, &st->columns[j], rows), like);
	pe_buf_adds(b, "</div>\n</details>\n");
	free(rows);
	free(like);
	st->ncase_rows = 0;
	st->ncases++;
	flush(st);
}

/*
 * The baseline section: the sign test per prompt and overall, then each
 * regressed and each improved case (regressions first) with its pass
 * counts, score change, the evaluator verdicts and reasons that changed,
 * and a line diff of the outputs of the rows that speak for its sides.
 */

/* One line of an output: bytes at text + start, without the newline. */
struct diff_line {
	const char *text;
	size_t len;
};

/*
 * Splits len bytes of text into lines at '\n' (a final newline ends the
 * last line rather than starting an empty one).  Returns the line count
 * and a new array in *lines, or DIFF_MAX_LINES + 1 (with *lines NULL)
 * when there are more lines than a diff takes.
 */
static size_t split_lines(const char *text, size_t len,
			  struct diff_line **lines)
{
	size_t n = 0, k = 0, start = 0;

	*lines = NULL;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	n += len && text[len - 1] != '\n';
	if (n > DIFF_MAX_LINES)
		return DIFF_MAX_LINES + 1;
	*lines = xcalloc(n ? n : 1, sizeof(**lines));
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		(*lines)[k].text = text + start;
		(*lines)[k].len = i - start;
		k++;
		start = i + 1;
	}
	return k;
}

static int same_line(const struct diff_line *a, const struct diff_line *b)
{
	return a->len == b->len && !memcmp(a->text, b->text, a->len);
}

/* Appends one diff line: tag is "del", "ins" or NULL (unchanged). */
static void put_diff_line(struct pe_buf *b, const char *tag,
			  const struct diff_line *line)
{
	if (tag)
		pe_buf_addf(b, "<%s>", tag);
	html_escape(b, line->text, line->len);
	if (tag)
		pe_buf_addf(b, "</%s>", tag);
	pe_buf_addc(b, '\n');
}

/*
 * Appends the line diff of a (n lines) against b (m lines), both at most
 * DIFF_MAX_LINES: a longest common subsequence of lines, so the lines it
 * leaves out of a are removed (<del>) and those of b added (<ins>); at
 * each change the removed lines come first.  Returns the number of lines
 * removed or added.
 */
static size_t put_line_diff(struct pe_buf *b, const struct diff_line *a,
			    size_t n, const struct diff_line *c, size_t m)
{
	size_t prefix = 0, suffix = 0, rows, cols, changed = 0;
	unsigned short *lcs;

	while (prefix < n && prefix < m && same_line(&a[prefix], &c[prefix]))
		put_diff_line(b, NULL, &a[prefix++]);
	while (suffix < n - prefix && suffix < m - prefix &&
	       same_line(&a[n - 1 - suffix], &c[m - 1 - suffix]))
		suffix++;
	/* lcs[i * cols + j]: the LCS length of a[i..] and c[j..]. */
	rows = n - prefix - suffix + 1;
	cols = m - prefix - suffix + 1;
	lcs = xcalloc(rows * cols, sizeof(*lcs));
	for (size_t i = rows - 1; i-- > 0;)
		for (size_t j = cols - 1; j-- > 0;) {
			unsigned short down = lcs[(i + 1) * cols + j];
			unsigned short right = lcs[i * cols + j + 1];

			lcs[i * cols + j] =
				same_line(&a[prefix + i], &c[prefix + j])
					? lcs[(i + 1) * cols + j + 1] + 1
				: down >= right ? down
						: right;
		}
	for (size_t i = 0, j = 0; i < rows - 1 || j < cols - 1;) {
		if (i < rows - 1 && j < cols - 1 &&
		    same_line(&a[prefix + i], &c[prefix + j])) {
			put_diff_line(b, NULL, &a[prefix + i]);
			i++, j++;
		} else if (j == cols - 1 ||
			   (i < rows - 1 &&
			    lcs[(i + 1) * cols + j] >= lcs[i * cols + j + 1])) {
			put_diff_line(b, "del", &a[prefix + i]);
			i++, changed++;
		} else {
			put_diff_line(b, "ins", &c[prefix + j]);
			j++, changed++;
		}
	}
	free(lcs);
	for (size_t i = n - suffix; i < n; i++)
		put_diff_line(b, NULL, &a[i]);
	return changed;
}

/* One side's output, labelled, for when there is no diff to show. */
static void put_side_output(struct pe_buf *b, const char *label,
			    const struct pe_result *row)
{
	pe_buf_addf(b, "<p class=\"side\">%s output:</p>\n", label);
	write_output(b, row);
}

/*
 * Appends the diff of the base row's output against the head row's, or
 * both outputs whole when one is missing or has more than DIFF_MAX_LINES
 * lines.  Outputs are cut at OUTPUT_MAX_BYTES first.
 */
static void write_output_diff(struct pe_buf *b, const struct pe_result *base,
			      const struct pe_result *head)
{
	struct diff_line *a = NULL, *c = NULL;
	size_t base_cut, head_cut, n = 0, m = 0, changed;

	if (!base->output || !head->output) {
		pe_buf_adds(b, "<p class=\"no-diff\">No diff: a side has no "
			       "output.</p>\n");
		put_side_output(b, "Base", base);
		put_side_output(b, "Head", head);
		return;
	}
	base_cut =
		pe_utf8_cut(base->output, base->output_len, OUTPUT_MAX_BYTES);
	head_cut =
		pe_utf8_cut(head->output, head->output_len, OUTPUT_MAX_BYTES);
	n = split_lines(base->output, base_cut, &a);
	if (a)
		m = split_lines(head->output, head_cut, &c);
	if (!a || !c) {
		pe_buf_addf(b,
			    "<p class=\"no-diff\">No diff: an output has more "
			    "than %d lines; both are shown whole.</p>\n",
			    DIFF_MAX_LINES);
		put_side_output(b, "Base", base);
		put_side_output(b, "Head", head);
		free(a);
		free(c);
		return;
	}
	pe_buf_adds(b, "<pre class=\"diff\">");
	changed = put_line_diff(b, a, n, c, m);
	pe_buf_adds(b, "</pre>\n");
	if (!changed)
		pe_buf_adds(b, "<p class=\"same-output\">The outputs are the "
			       "same.</p>\n");
	if (base_cut < base->output_len || head_cut < head->output_len)
		pe_buf_addf(b,
			    "<p class=\"cut\">(the diff leaves out the last "
			    "%zu bytes of base and %zu of head)</p>\n",
			    base->output_len - base_cut,
			    head->output_len - head_cut);
	free(a);
	free(c);
}

/* Lists the error and the evaluators whose verdict or reason changed. */
static void write_changed_reasons(struct pe_buf *b,
				  const struct pe_result *base,
				  const struct pe_result *head)
{
	size_t shown = 0;

	pe_buf_adds(b, "<ul class=\"reasons\">\n");
	if (head->error && !pe_str_same(base->error, head->error)) {
		pe_buf_adds(b, "<li class=\"error\">error: ");
		put_text(b, head->error, "");
		pe_buf_adds(b, "</li>\n");
		shown++;
	}
	for (size_t i = 0; i < head->nevaluators; i++) {
		const struct pe_result_evaluator *h = &head->evaluators[i];
		const struct pe_result_evaluator *e =
			pe_result_find_evaluator(base, h->name);

		if (e && e->status == h->status &&
		    pe_str_same(e->reason, h->reason))
			continue;
		pe_buf_addf(b, "<li class=\"ev-%s\"><span class=\"ev-name\">",
			    pe_verdict_name(h->status));
		put_text(b, h->name, "");
		pe_buf_adds(b, "</span> (");
		put_text(b, h->kind, "");
		pe_buf_addf(b,
			    "): %s \xe2\x86\x92 <span class=\"ev-status\">"
			    "%s</span>",
			    e ? pe_verdict_name(e->status) : "(none)",
			    pe_verdict_name(h->status));
		if (e && e->reason && !pe_str_same(e->reason, h->reason)) {
			pe_buf_adds(b, "; was: <span class=\"ev-reason\">");
			put_text(b, e->reason, "");
			pe_buf_adds(b, "</span>");
		}
		if (h->reason) {
			pe_buf_adds(b, e && e->reason ? "; now: " : ": ");
			pe_buf_adds(b, "<span class=\"ev-reason\">");
			put_text(b, h->reason, "");
			pe_buf_adds(b, "</span>");
		}
		pe_buf_adds(b, "</li>\n");
		shown++;
	}
	if (!shown)
		pe_buf_adds(b, "<li>no evaluator verdict or reason "
			       "changed</li>\n");
	pe_buf_adds(b, "</ul>\n");
}

static void put_score(struct pe_buf *b, double score)
{
	if (isnan(score))
		pe_buf_adds(b, "\xe2\x80\x94");
	else
		pe_buf_addf(b, "%.2f", score);
}

/* A pass rate and its 95 % interval, "75% [30%–95%]", or a dash. */
static void put_rate(struct pe_buf *b, const struct pe_pass_rate *r)
{
	if (!r->decided) {
		pe_buf_adds(b, "\xe2\x80\x94");
		return;
	}
	put_percent(b, r->rate);
	pe_buf_adds(b, " [");
	put_percent(b, r->low);
	pe_buf_adds(b, "\xe2\x80\x93");
	put_percent(b, r->high);
	pe_buf_adds(b, "]");
}

/* A table cell of US dollars with digits decimals, or a dash. */
static void put_usd_cell(struct pe_buf *b, int known, double usd, int digits)
{
	if (known && !isnan(usd))
		pe_buf_addf(b, "<td class=\"num\">%.*f</td>", digits, usd);
	else
		pe_buf_adds(b, "<td class=\"num\">\xe2\x80\x94</td>");
}

/*
 * What the run cost, when prices were given: in all, in the one wording
 * of every report (pe_tally_cost_text: spent now and to reproduce), then
 * per model against its pass rate, the answers' cost and the judges'
 * apart.  To reproduce prices every call, from the cache or not; spent
 * prices the calls that went out.
 */
static void write_costs(struct html_state *st)
{
	struct pe_buf *b = &st->buf;
	struct pe_buf text;
	size_t n = pe_aggregate_cost_count(st->agg);

	pe_buf_adds(b, "<section id=\"cost\">\n<h2>Cost</h2>\n");
	pe_buf_init(&text, 0);
	if (!pe_aggregate_has_cost(st->agg) ||
	    !pe_tally_cost_text(pe_aggregate_total(st->agg), &text)) {
		pe_buf_release(&text);
		pe_buf_adds(b, "<p>Not known: no prices were given for the "
			       "models.</p>\n</section>\n");
		return;
	}
	pe_buf_adds(b, "<p id=\"cost-total\">");
	put_text(b, pe_buf_str(&text), "");
	pe_buf_release(&text);
	pe_buf_adds(b, ".</p>\n<p>In US dollars, per model. To reproduce "
		       "prices every call, from the cache or not; spent "
		       "prices the calls that went out. The judges' cost is "
		       "apart from the answers'.</p>\n"
		       "<table class=\"cost\"><thead><tr><th>model</th>"
		       "<th>answers to reproduce</th><th>answers spent</th>"
		       "<th>judges to reproduce</th><th>judges spent</th>"
		       "<th>USD per job</th><th>pass rate [95% interval]</th>"
		       "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct pe_model_cost *c = pe_aggregate_cost(st->agg, i);
		const struct pe_tally *t = &c->tally;

		pe_buf_adds(b, "<tr><th scope=\"row\" class=\"model\">");
		put_text(b, c->model, "(no model)");
		pe_buf_adds(b, "</th>");
		put_usd_cell(b, t->has_cost, t->cost_usd, 4);
		put_usd_cell(b, t->has_spent_cost, t->spent_cost_usd, 4);
		put_usd_cell(b, t->has_judge_cost, t->judge_cost_usd, 4);
		put_usd_cell(b, t->has_judge_spent_cost,
			     t->judge_spent_cost_usd, 4);
		put_usd_cell(b, 1, c->cost_per_job_usd, 6);
		pe_buf_adds(b, "<td class=\"num\">");
		put_rate(b, &t->pass_rate);
		pe_buf_adds(b, "</td></tr>\n");
	}
	pe_buf_adds(b, "</tbody></table>\n</section>\n");
	flush(st);
}

/* The cases whose repeats disagree; a click inspects one. */
static void write_flaky(struct html_state *st)
{
	struct pe_buf *b = &st->buf;
	size_t n = pe_aggregate_flaky_count(st->agg);

	pe_buf_addf(b, "<section id=\"flaky\">\n<h2>Flaky cases (%zu)</h2>\n",
		    n);
	if (!n) {
		pe_buf_adds(b, "<p>No case's repeats disagree.</p>\n"
			       "</section>\n");
		return;
	}
	pe_buf_adds(b, "<p>Cases whose repeats disagree: some passed, some "
		       "failed. Click one to inspect it.</p>\n"
		       "<table class=\"flaky\"><thead><tr><th>prompt</th>"
		       "<th>case</th><th>model</th><th>pass</th><th>fail</th>"
		       "<th>error</th><th>repeats</th></tr></thead>\n"
		       "<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct pe_flaky_case *f = pe_aggregate_flaky(st->agg, i);

		pe_buf_adds(b, "<tr class=\"flaky-case\"");
		put_attr(b, "data-prompt", f->file);
		pe_buf_addf(b, " data-index=\"%zu\"", f->case_index);
		put_attr(b, "data-model", f->model);
		put_temp_attr(b, "data-temp", f->has_temperature,
			      f->temperature);
		pe_buf_adds(b, "><td class=\"prompt\">");
		put_text(b, f->prompt, "");
		pe_buf_adds(b, "</td><td class=\"case-ref\">");
		if (f->case_id)
			put_text(b, f->case_id, "");
		else
			pe_buf_addf(b, "case %zu", f->case_index);
		pe_buf_adds(b, "</td><td class=\"model\">");
		put_column_label(b, f->model, f->has_temperature,
				 f->temperature);
		pe_buf_addf(b,
			    "</td><td class=\"num\">%zu</td><td class=\"num\">"
			    "%zu</td><td class=\"num\">%zu</td>"
			    "<td class=\"num\">%zu</td></tr>\n",
			    f->pass, f->fail, f->error, f->repeats);
	}
	pe_buf_adds(b, "</tbody></table>\n</section>\n");
	flush(st);
}

/* Case i of the comparison, whose change is regressed or improved. */
static void write_compare_case(struct html_state *st,
			       const struct pe_compare_case *c, size_t i)
{
	struct pe_buf *b = &st->buf;
	const char *change = pe_change_name(c->change);

	pe_buf_addf(b,
		    "<div class=\"change change-%s\" id=\"baseline-case-%zu\">"
		    "\n<h4><span class=\"prompt\">",
		    change, i);
	put_text(b, c->prompt, "");
	pe_buf_adds(b, "</span> / <span class=\"case-id\">");
	if (c->case_id)
		put_text(b, c->case_id, "");
	else
		pe_buf_addf(b, "case %zu", c->case_index);
	pe_buf_adds(b, "</span> on <span class=\"model\">");
	put_column_label(b, c->model, c->has_temperature, c->temperature);
	pe_buf_addf(b,
		    "</span> <span class=\"badge\">%s</span></h4>\n"
		    "<p class=\"change-counts\">passed %zu/%zu \xe2\x86\x92 "
		    "%zu/%zu; mean score ",
		    change, c->base.pass, c->base.decided, c->head.pass,
		    c->head.decided);
	put_score(b, c->base.mean_score);
	pe_buf_adds(b, " \xe2\x86\x92 ");
	put_score(b, c->head.mean_score);
	if (!isnan(c->score_delta))
		pe_buf_addf(b, " (%+.2f)", c->score_delta);
	pe_buf_addf(b,
		    "</p>\n<p class=\"rows\">Base repeat #%u against head "
		    "repeat #%u (each side's first failed or errored repeat, "
		    "else its first):</p>\n",
		    c->base.row->repeat, c->head.row->repeat);
	write_changed_reasons(b, c->base.row, c->head.row);
	write_output_diff(b, c->base.row, c->head.row);
	pe_buf_adds(b, "</div>\n");
	flush(st);
}

static const char *group_verdict(const struct pe_paired_result *s)
{
	return s->too_few		    ? "too few changed cases to tell"
	       : s->significant_regression  ? "significant regression"
	       : s->significant_improvement ? "significant improvement"
					    : "no significant change";
}

static void write_compare_group(struct pe_buf *b,
				const struct pe_compare_group *g)
{
	const struct pe_paired_result *s = &g->stats;

	pe_buf_adds(b, g->prompt ? "<tr><th scope=\"row\">"
				 : "<tr class=\"overall\"><th scope=\"row\">"
				   "overall");
	put_text(b, g->prompt, "");
	pe_buf_addf(b,
		    "</th><td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td>"
		    "<td>%zu</td><td>%.2g</td><td>",
		    s->regressed, s->improved, s->unchanged, g->undecided,
		    s->n_cases, s->p_value);
	if (isnan(g->score_delta))
		pe_buf_adds(b, "\xe2\x80\x94");
	else
		pe_buf_addf(b, "%+.3f", g->score_delta);
	pe_buf_addf(b, "</td><td class=\"verdict%s\">%s</td></tr>\n",
		    s->significant_regression ? " bad" : "", group_verdict(s));
}

static void write_baseline(struct html_state *st,
			   const struct pe_comparison *cmp)
{
	struct pe_buf *b = &st->buf;
	size_t ncases = pe_comparison_case_count(cmp), shown = 0;

	pe_buf_adds(b, "<p id=\"baseline-verdict\">Overall: ");
	flush(st);
	pe_comparison_write_verdict(st->out, pe_comparison_overall(cmp));
	pe_buf_adds(b, ".</p>\n<table class=\"compare\"><thead><tr>"
		       "<th>prompt</th><th>regressed</th><th>improved</th>"
		       "<th>unchanged</th><th>undecided</th><th>cases</th>"
		       "<th>p (sign test)</th><th>score change</th>"
		       "<th>verdict</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < pe_comparison_prompt_count(cmp); i++)
		write_compare_group(b, pe_comparison_prompt(cmp, i));
	write_compare_group(b, pe_comparison_overall(cmp));
	pe_buf_adds(b, "</tbody></table>\n");
	if (pe_comparison_added_count(cmp) || pe_comparison_removed_count(cmp))
		pe_buf_addf(b,
			    "<p id=\"baseline-only\">%zu case%s added and %zu "
			    "removed (not compared).</p>\n",
			    pe_comparison_added_count(cmp),
			    pe_comparison_added_count(cmp) == 1 ? "" : "s",
			    pe_comparison_removed_count(cmp));
	flush(st);
	for (int pass = 0; pass < 2; pass++) {
		enum pe_change_kind kind =
			pass ? PE_CHANGE_IMPROVED : PE_CHANGE_REGRESSED;
		size_t n = 0;

		for (size_t i = 0; i < ncases; i++)
			n += pe_comparison_case(cmp, i)->change == kind;
		if (!n)
			continue;
		pe_buf_addf(b, "<h3 id=\"baseline-%s\">%s (%zu)</h3>\n",
			    pe_change_name(kind),
			    pass ? "Improvements" : "Regressions", n);
		for (size_t i = 0; i < ncases; i++)
			if (pe_comparison_case(cmp, i)->change == kind)
				write_compare_case(
					st, pe_comparison_case(cmp, i), i);
		shown += n;
	}
	if (!shown)
		pe_buf_adds(b, "<p>No case regressed or improved.</p>\n");
}

static void *html_begin(const struct pe_report_input *in, FILE *out)
{
	struct html_state *st = xcalloc(1, sizeof(*st));

	st->out = out;
	st->rs = in->rs;
	st->agg = in->agg;
	st->with_timings = in->with_timings;
	pe_buf_init(&st->buf, 0);
	collect_columns(st);
	write_head(st);
	write_partial(st, in);
	write_gates(st, in->gates);
	write_totals(st);
	write_rankings(st);
	write_costs(st);
	write_flaky(st);
	write_heatmap(st);
	write_evaluators(st);
	pe_buf_adds(&st->buf, "<section id=\"baseline\">\n<h2>Against the "
			      "baseline</h2>\n");
	if (in->comparison)
		write_baseline(st, in->comparison);
	else
		pe_buf_adds(&st->buf, "<p>No baseline was given.</p>\n");
	pe_buf_adds(&st->buf, "</section>\n");
	write_filters(st);
	flush(st);
	return st;
}

/* Collects row into the open case, writing out the case before it. */
static void html_add(void *state, const struct pe_result *row)
{
	struct html_state *st = state;

	if (st->ncase_rows && (strcmp(st->case_rows[0]->file, row->file) ||
			       st->case_rows[0]->case_index != row->case_index))
		write_case(st);
	pe_grow(&st->case_rows, &st->case_rows_alloc, st->ncase_rows + 1,
		sizeof(*st->case_rows));
	st->case_rows[st->ncase_rows++] = row;
}

static int html_end(void *state)
{
	struct html_state *st = state;
	int rc;

	if (st->ncase_rows)
		write_case(st);
	pe_buf_adds(&st->buf, "</div>\n");
	if (!st->ncases)
		pe_buf_adds(&st->buf, "<p>No results.</p>\n");
	pe_buf_adds(&st->buf, "</section>\n<script>");
	pe_buf_adds(&st->buf, page_script);
	pe_buf_adds(&st->buf, "</script>\n</body>\n</html>\n");
	flush(st);
	rc = ferror(st->out) || fflush(st->out) ? PE_ERR_IO : PE_OK;
	pe_buf_release(&st->buf);
	free(st->case_rows);
	free(st->has_cell);
	free(st->columns);
	free(st);
	return rc;
}

const struct pe_report_ops pe_report_html = {
	.name = "html",
	.file_name = "report.html",
	.begin = html_begin,
	.add = html_add,
	.end = html_end,
};
