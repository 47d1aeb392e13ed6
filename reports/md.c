/*
 * The Markdown report (report.md), written for a GitHub job summary
 * ($GITHUB_STEP_SUMMARY) or a pull-request comment, in the order a
 * reviewer reads it: a title with the verdict of the gates (passed,
 * failed, or no gates), the totals (with the judges' calls, tokens and
 * cost apart, when judges were asked, and what was spent) and the
 * interval method, each gate with its result and the figure it found, the regressions against a baseline (run --baseline;
 * the section says when none was given) with the sign test per prompt,
 * the errors by cause (when some job ended in error), then inside a
 * collapsible <details> block the pass-rate matrix, the ranking over
 * all prompts with each pair of models compared on their common cases
 * and the cost against the pass rate (when prices were given), and last the worst cases, one
 * line per case.  The baseline section is the same writer
 * "compare -f md" uses (pe_comparison_write_md).
 *
 * A worst case is a test case (a prompt's case, over its models,
 * temperatures and repeats) with a failed or errored row.  Its line says
 * how many of its decided rows passed, on which models and temperatures
 * it failed, and the reason of its first failure.  Cases with errors only
 * come first, then by pass fraction, lowest first; ties keep results.json
 * order.  add() groups the rows, which come in that order, and keeps
 * pointers to them, which the result set keeps valid.
 *
 * GitHub refuses a comment longer than 65,536 characters.  The report is
 * written into memory; when it is longer than PE_MD_MAX_BYTES (counted in
 * bytes, never fewer than characters), it is written again with every
 * table and list cut to the same number of rows, the most that fit, each
 * cut saying how many rows it left out, and its last line says so.  Rows are cut whole, so
 * no Markdown construct and no UTF-8 character is ever cut in two.
 *
 * Every text that comes from the results file (names, ids, reasons,
 * errors, gate lines that name a prompt) goes through put_text(), which folds line breaks and tabs into
 * spaces, writes every other control character as the terminal printer
 * does (\xNN, \uNNNN: the file is also read with cat), escapes what
 * Markdown or HTML would interpret and stops "@name" from mentioning
 * anyone.  Model output itself is never written.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "reports/comparison.h"
#include "harness/results/causes.h"
#include "harness/results/gate.h"
#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	WORST_CASES_MAX = 10,
	WORST_MODELS_MAX = 3,	/* models and temperatures on a case's line */
	NAME_MAX_BYTES = 200,	/* names and ids are cut to this */
	REASON_MAX_BYTES = 300, /* evaluator reasons and errors */
	TEXT_MAX_BYTES = 1024	/* any one escaped text */
};

/* GitHub's limit on a comment, 65,536 characters, counted in bytes. */
#define PE_MD_MAX_BYTES 65536

/* The rows of one test case with one model and temperature. */
struct case_model {
	const struct pe_result *row; /* its first */
	size_t pass, fail, error;
};

/* One test case over its models, temperatures and repeats. */
struct test_case {
	const struct pe_result *first_failed; /* its first failed row */
	struct case_model *models;
	size_t nmodels, models_alloc;
	size_t pass, fail, error;
};

struct md {
	struct pe_report_input in;
	FILE *out;
	struct test_case *cases; /* every case, in results.json order */
	size_t ncases, cases_alloc;
	/* Rows per table this pass writes; SIZE_MAX: all of them. */
	size_t cap;
	size_t rows_shown, rows_total; /* over the cut tables */
	size_t rows_max;	       /* the longest table's rows */
	/* Found once for every pass: the worst cases, the error causes. */
	const struct test_case **worst;
	size_t nworst;
	struct pe_error_causes *causes;
};

/*
 * How many of a table's n rows to write under the cap, counted for the
 * summary's last line.
 */
static size_t rows_to_show(struct md *m, size_t n)
{
	size_t shown = n < m->cap ? n : m->cap;

	m->rows_shown += shown;
	m->rows_total += n;
	if (n > m->rows_max)
		m->rows_max = n;
	return shown;
}

/* Says how many rows a cut table left out, after a blank line. */
static void write_more(const struct md *m, size_t n, size_t shown)
{
	if (shown < n)
		fprintf(m->out,
			"\n_and %zu more (see report.html / results.json)_\n",
			n - shown);
}

/* Escapes one byte of untrusted text into b. */
static void escape_byte(struct pe_buf *b, char c)
{
	switch (c) {
	case '&':
		pe_buf_adds(b, "&amp;");
		break;
	case '<':
		pe_buf_adds(b, "&lt;");
		break;
	case '>':
		pe_buf_adds(b, "&gt;");
		break;
	case '@':
		/* A zero-width space keeps "@user" from notifying anyone. */
		pe_buf_adds(b, "@&#8203;");
		break;
	case '\\':
	case '|':
	case '`':
	case '*':
	case '_':
	case '[':
	case ']':
	case '~':
	case '#':
		pe_buf_addc(b, '\\');
		pe_buf_addc(b, c);
		break;
	default:
		pe_buf_addc(b, c);
	}
}

/* Writes s (NULL as "-"), cut to max bytes, escaped for Markdown. */
static void put_text(const struct md *m, const char *s, size_t max)
{
	struct pe_buf safe, b;
	size_t len, cut;
	char *flat;

	if (!s) {
		fputs("-", m->out);
		return;
	}
	len = strlen(s);
	cut = pe_utf8_cut(s, len, max);
	/* Line breaks would end a table row or a list item. */
	flat = xstrndup(s, cut);
	for (size_t i = 0; i < cut; i++)
		if (flat[i] == '\n' || flat[i] == '\r' || flat[i] == '\t')
			flat[i] = ' ';
	pe_buf_init(&safe, 0);
	pe_terminal_text(&safe, flat, cut);
	pe_buf_init(&b, TEXT_MAX_BYTES * 16);
	for (size_t i = 0; i < safe.len; i++)
		escape_byte(&b, safe.data[i]);
	if (cut < len)
		pe_buf_adds(&b, "...");
	fputs(pe_buf_str(&b), m->out);
	pe_buf_release(&b);
	pe_buf_release(&safe);
	free(flat);
}

static void put_rate(const struct md *m, const struct pe_pass_rate *r)
{
	if (!r->decided)
		fprintf(m->out, " - | - |");
	else
		fprintf(m->out, " %.1f%% | %.1f–%.1f%% |", 100.0 * r->rate,
			100.0 * r->low, 100.0 * r->high);
}

/* Writes x with decimals digits as a table cell, or "-" for NAN. */
static void put_number(const struct md *m, int decimals, double x)
{
	if (isnan(x))
		fprintf(m->out, " - |");
	else
		fprintf(m->out, " %.*f |", decimals, x);
}

/* What was spent and what reproducing costs, when prices were given. */
static void write_cost(const struct md *m, const struct pe_tally *t)
{
	struct pe_buf text;

	/* Our own words and numbers: nothing to escape. */
	pe_buf_init(&text, 0);
	if (pe_tally_cost_text(t, &text))
		fprintf(m->out, "\n**Cost**: %s\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

/* Names how the pass rates and intervals were computed. */
static void write_method(const struct md *m)
{
	struct pe_buf text;

	/* Our own words: nothing to escape. */
	pe_buf_init(&text, 0);
	if (pe_aggregate_method_text(m->in.agg, &text))
		fprintf(m->out, "\n_%s._\n", pe_buf_str(&text));
	pe_buf_release(&text);
}

/* The verdict of the gates, for the title. */
static void write_title(const struct md *m)
{
	const struct pe_tally *t = pe_aggregate_total(m->in.agg);

	struct pe_buf note;

	if (!m->in.gates || !m->in.gates->count)
		fprintf(m->out, "# prompteval report: no gates\n\n");
	else
		fprintf(m->out, "# prompteval report: gates %s\n\n",
			pe_gate_results_verdict(m->in.gates));
	pe_buf_init(&note, 0);
	if (pe_report_partial_note(&m->in, &note))
		fprintf(m->out, "> **%s**\n\n", pe_buf_str(&note));
	pe_buf_release(&note);
	fprintf(m->out,
		"**%zu job%s**: %zu passed, %zu failed, %zu error%s, %zu "
		"ungraded; pass rate",
		t->jobs, t->jobs == 1 ? "" : "s", t->pass, t->fail, t->error,
		t->error == 1 ? "" : "s", t->ungraded);
	if (t->pass_rate.decided)
		fprintf(m->out, " %.1f%% (95%% interval %.1f–%.1f%%)\n",
			100.0 * t->pass_rate.rate, 100.0 * t->pass_rate.low,
			100.0 * t->pass_rate.high);
	else
		fprintf(m->out, " - (nothing decided)\n");
	if (t->judge_calls) {
		struct pe_buf text;

		/* Our own words and numbers: nothing to escape. */
		pe_buf_init(&text, 0);
		pe_tally_judge_text(t, &text);
		fprintf(m->out, "\n**Judges**: %s\n", pe_buf_str(&text));
		pe_buf_release(&text);
	}
	write_cost(m, t);
	write_method(m);
}

/*
 * Each gate with its result and figure: the failed ones first, then
 * those not checked, then those that passed.  Nothing without gates.
 */
static void write_gates(struct md *m)
{
	static const enum pe_gate_verdict order[] = { PE_GATE_FAILED,
						      PE_GATE_NOT_CHECKED,
						      PE_GATE_PASSED };
	const struct pe_gate_results *g = m->in.gates;
	size_t shown, written = 0;

	if (!g)
		return;
	fprintf(m->out, "\n## Gates\n\n");
	if (!g->count) {
		fprintf(m->out, "No gate was checked.\n");
		return;
	}
	shown = rows_to_show(m, g->count);
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < g->count && written < shown; i++) {
			if (g->items[i].verdict != order[k])
				continue;
			fprintf(m->out,
				"- **%s**: ", pe_gate_verdict_name(order[k]));
			put_text(m, g->items[i].text, TEXT_MAX_BYTES);
			fputc('\n', m->out);
			written++;
		}
	write_more(m, g->count, shown);
}

static void write_cell(const struct md *m, const struct pe_cell *c)
{
	const struct pe_tally *t = &c->tally;

	fprintf(m->out, "| ");
	put_text(m, c->prompt, NAME_MAX_BYTES);
	fprintf(m->out, " | ");
	put_text(m, c->model, NAME_MAX_BYTES);
	if (c->has_temperature)
		fprintf(m->out, " | %g |", c->temperature);
	else
		fprintf(m->out, " | - |");
	fprintf(m->out, " %zu | %zu | %zu | %zu |", t->pass, t->fail, t->error,
		t->ungraded);
	put_rate(m, &t->pass_rate);
	put_number(m, 2, t->mean_score);
	if (m->in.with_timings) {
		put_number(m, 0, c->latency_p50_ms);
		put_number(m, 0, c->latency_p95_ms);
		put_number(m, 0, c->first_token_p95_ms);
	}
	fputc('\n', m->out);
}

static void write_matrix(struct md *m)
{
	size_t n = pe_aggregate_cell_count(m->in.agg), shown;

	fprintf(m->out, "\n### Pass rates\n\n");
	if (!n) {
		fprintf(m->out, "No results.\n");
		return;
	}
	fprintf(m->out,
		"| prompt | model | temp | pass | fail | error | ungraded "
		"| pass rate | 95%% interval | mean score |");
	if (m->in.with_timings)
		fprintf(m->out, " p50 ms | p95 ms | p95 ttft ms |");
	fprintf(m->out, "\n| --- | --- | ---: | ---: | ---: | ---: | ---: "
			"| ---: | ---: | ---: |");
	if (m->in.with_timings)
		fprintf(m->out, " ---: | ---: | ---: |");
	fputc('\n', m->out);
	shown = rows_to_show(m, n);
	for (size_t i = 0; i < shown; i++)
		write_cell(m, pe_aggregate_cell(m->in.agg, i));
	write_more(m, n, shown);
}

/* Each pair of models of r compared, then the neighbours' verdict. */
static void write_pairs(struct md *m, const struct pe_ranking *r)
{
	struct pe_buf ties;
	size_t n = 0, shown, written = 0;

	pe_buf_init(&ties, 0);
	if (!pe_ranking_ties_text(r, &ties)) {
		pe_buf_release(&ties);
		return;
	}
	fprintf(m->out, "\nPaired on common cases (better minus worse, 95%% "
			"interval, exact sign test):\n\n");
	for (size_t i = 0; i < r->npairs; i++)
		n += pe_ranking_shown_pair(r, i) != NULL;
	shown = rows_to_show(m, n);
	for (size_t i = 0; i < r->npairs && written < shown; i++) {
		const struct pe_model_pair *p = pe_ranking_shown_pair(r, i);
		struct pe_buf line;

		if (!p)
			continue;
		written++;
		pe_buf_init(&line, 0);
		pe_model_pair_text(p, &line);
		fprintf(m->out, "- %zu vs %zu: %s\n", p->better + 1,
			p->worse + 1, pe_buf_str(&line));
		pe_buf_release(&line);
	}
	write_more(m, n, shown);
	fprintf(m->out, "\nNeighbours that cannot be told apart: %s.\n",
		pe_buf_str(&ties));
	pe_buf_release(&ties);
}

/* The ranking over all prompts and its paired comparisons. */
static void write_ranking(struct md *m)
{
	const struct pe_ranking *r = pe_aggregate_overall_ranking(m->in.agg);
	size_t shown;

	if (!r->count)
		return;
	fprintf(m->out, "\n### Ranking over all prompts\n\n"
			"| # | model | pass rate | 95%% interval | cases |\n"
			"| ---: | --- | ---: | ---: | ---: |\n");
	shown = rows_to_show(m, r->count);
	for (size_t i = 0; i < shown; i++) {
		const struct pe_pass_rate *p = &r->entries[i].tally.pass_rate;

		fprintf(m->out, "| %zu | ", i + 1);
		put_text(m, r->entries[i].model, NAME_MAX_BYTES);
		fprintf(m->out, " |");
		put_rate(m, p);
		fprintf(m->out, " %zu |\n", p->cases);
	}
	write_more(m, r->count, shown);
	write_pairs(m, r);
}

/*
 * The errors grouped by cause, when some row ended in error: the most
 * frequent PE_CAUSES_SHOWN with their counts and models, then how many
 * more.
 */
static void write_causes(const struct md *m)
{
	const struct pe_error_causes *causes = m->causes;
	size_t n = pe_error_causes_count(causes), rest = 0;

	if (n) {
		fprintf(m->out, "\n## Errors by cause\n\n"
				"| errors | cause | models |\n"
				"| ---: | --- | --- |\n");
	}
	for (size_t i = 0; i < n; i++) {
		const struct pe_error_cause *c = pe_error_causes_get(causes, i);
		struct pe_buf models;

		if (i >= PE_CAUSES_SHOWN) {
			rest += c->count;
			continue;
		}
		pe_buf_init(&models, 0);
		pe_error_cause_models(c, &models);
		fprintf(m->out, "| %zu | ", c->count);
		put_text(m, c->text, TEXT_MAX_BYTES);
		fprintf(m->out, " | ");
		put_text(m, models.len ? pe_buf_str(&models) : NULL,
			 TEXT_MAX_BYTES);
		fprintf(m->out, " |\n");
		pe_buf_release(&models);
	}
	if (n > PE_CAUSES_SHOWN)
		fprintf(m->out, "\nAnd %zu more cause%s (%zu error%s).\n",
			n - PE_CAUSES_SHOWN,
			n - PE_CAUSES_SHOWN == 1 ? "" : "s", rest,
			rest == 1 ? "" : "s");
}

/*
 * The cost against the pass rate, per model, when prices were given (the
 * section is left out otherwise, so reports without prices are unchanged).
 * When judges were asked, the answers' cost and the judges' get a column
 * each.
 */
static void write_costs(struct md *m)
{
	size_t n = pe_aggregate_cost_count(m->in.agg), shown;
	int judged = pe_aggregate_total(m->in.agg)->judge_calls > 0;

	if (!pe_aggregate_has_cost(m->in.agg))
		return;
	fprintf(m->out, "\n### Cost against pass rate\n\n");
	if (judged)
		fprintf(m->out, "| model | answers USD | judges USD "
				"| USD per job | pass rate | 95%% interval |\n"
				"| --- | ---: | ---: | ---: | ---: | ---: |\n");
	else
		fprintf(m->out, "| model | cost USD | USD per job | pass rate "
				"| 95%% interval |\n"
				"| --- | ---: | ---: | ---: | ---: |\n");
	shown = rows_to_show(m, n);
	for (size_t i = 0; i < shown; i++) {
		const struct pe_model_cost *c = pe_aggregate_cost(m->in.agg, i);
		const struct pe_tally *t = &c->tally;

		fprintf(m->out, "| ");
		put_text(m, c->model, NAME_MAX_BYTES);
		fprintf(m->out, " |");
		put_number(m, 4, t->has_cost ? t->cost_usd : NAN);
		if (judged)
			put_number(m, 4,
				   t->has_judge_cost ? t->judge_cost_usd : NAN);
		put_number(m, 6, c->cost_per_job_usd);
		put_rate(m, &t->pass_rate);
		fputc('\n', m->out);
	}
	write_more(m, n, shown);
}

/*
 * The tables a reviewer opens when the summary above is not enough, in
 * a collapsible block; GitHub renders Markdown inside it only after a
 * blank line.
 */
static void write_details(struct md *m)
{
	size_t n = pe_aggregate_cell_count(m->in.agg);

	fprintf(m->out,
		"\n<details><summary>Pass rates by prompt, model and "
		"temperature (%zu row%s)</summary>\n",
		n, n == 1 ? "" : "s");
	write_matrix(m);
	write_ranking(m);
	write_costs(m);
	fprintf(m->out, "\n</details>\n");
}

static int same_case(const struct pe_result *a, const struct pe_result *b)
{
	return a->case_index == b->case_index && !strcmp(a->prompt, b->prompt);
}

static int same_model(const struct pe_result *a, const struct pe_result *b)
{
	return pe_str_same(a->model, b->model) &&
	       a->has_temperature == b->has_temperature &&
	       (!a->has_temperature || a->temperature == b->temperature);
}

static int case_failed(const struct test_case *c)
{
	return c->fail || c->error;
}

/*
 * Whether case a is worse than b: errors only (no pass fraction) first,
 * then the lower pass fraction, then more errors.
 */
static int worse(const struct test_case *a, const struct test_case *b)
{
	size_t a_decided = a->pass + a->fail, b_decided = b->pass + b->fail;

	if (!a_decided || !b_decided)
		return !a_decided && b_decided;
	/* a->pass / a_decided < b->pass / b_decided, in whole numbers. */
	if (a->pass * b_decided != b->pass * a_decided)
		return a->pass * b_decided < b->pass * a_decided;
	return a->error > b->error;
}

/* Worst first; ties keep results order (the cases are in it). */
static int compare_worst(const void *pa, const void *pb)
{
	const struct test_case *a = *(const struct test_case *const *)pa;
	const struct test_case *b = *(const struct test_case *const *)pb;

	if (worse(a, b))
		return -1;
	if (worse(b, a))
		return 1;
	return (a > b) - (a < b);
}

/*
 * The failed and errored cases of m, worst first, in a new array of
 * pointers; their number in *n.
 */
static const struct test_case **sort_worst(const struct md *m, size_t *n)
{
	const struct test_case **worst =
		xcalloc(m->ncases ? m->ncases : 1, sizeof(*worst));

	*n = 0;
	for (size_t i = 0; i < m->ncases; i++)
		if (case_failed(&m->cases[i]))
			worst[(*n)++] = &m->cases[i];
	if (*n > 1)
		qsort(worst, *n, sizeof(*worst), compare_worst);
	return worst;
}

/* "1 of 3 passed, 1 error", of one case or one of its models. */
static void put_fraction(const struct md *m, size_t pass, size_t fail,
			 size_t error)
{
	if (pass + fail)
		fprintf(m->out, "%zu of %zu passed%s", pass, pass + fail,
			error ? ", " : "");
	if (error)
		fprintf(m->out, "%zu error%s", error, error == 1 ? "" : "s");
}

/* The models and temperatures on which case c failed or errored. */
static void put_failed_models(const struct md *m, const struct test_case *c)
{
	size_t written = 0, failed = 0;

	for (size_t i = 0; i < c->nmodels; i++) {
		const struct case_model *cm = &c->models[i];

		if (!cm->fail && !cm->error)
			continue;
		if (failed++ >= WORST_MODELS_MAX)
			continue;
		fprintf(m->out, "%s", written++ ? ", " : "; on ");
		put_text(m, cm->row->model, NAME_MAX_BYTES);
		if (cm->row->has_temperature)
			fprintf(m->out, " t=%g", cm->row->temperature);
		fprintf(m->out, " (");
		put_fraction(m, cm->pass, cm->fail, cm->error);
		fprintf(m->out, ")");
	}
	if (failed > written)
		fprintf(m->out, " and %zu more", failed - written);
}

/* The reason of the first failure of r: its error, or an evaluator's. */
static void put_first_reason(const struct md *m, const struct pe_result *r)
{
	if (r->error) {
		fprintf(m->out, "; first failure: error: ");
		put_text(m, r->error, REASON_MAX_BYTES);
		return;
	}
	for (size_t i = 0; i < r->nevaluators; i++) {
		const struct pe_result_evaluator *e = &r->evaluators[i];

		if (e->status != PE_VERDICT_FAIL &&
		    e->status != PE_VERDICT_ERROR)
			continue;
		fprintf(m->out, "; first failure: %s ",
			pe_verdict_name(e->status));
		put_text(m, e->name, NAME_MAX_BYTES);
		fprintf(m->out, " (");
		put_text(m, e->kind, NAME_MAX_BYTES);
		fprintf(m->out, "): ");
		put_text(m, e->reason, REASON_MAX_BYTES);
		return;
	}
}

static void write_case_line(const struct md *m, size_t rank,
			    const struct test_case *c)
{
	const struct pe_result *r = c->first_failed;

	fprintf(m->out, "%zu. **", rank);
	put_text(m, r->prompt, NAME_MAX_BYTES);
	fprintf(m->out, "** / ");
	if (r->case_id)
		put_text(m, r->case_id, NAME_MAX_BYTES);
	else
		fprintf(m->out, "case %zu", r->case_index);
	fprintf(m->out, ": ");
	put_fraction(m, c->pass, c->fail, c->error);
	put_failed_models(m, c);
	put_first_reason(m, r);
	fputc('\n', m->out);
}

static void write_worst(struct md *m)
{
	size_t n = m->nworst, listed, shown;
	const struct test_case **worst = m->worst;

	fprintf(m->out, "\n## Worst cases\n\n");
	if (!n) {
		fprintf(m->out, "No case failed or errored.\n");
		return;
	}
	listed = n < WORST_CASES_MAX ? n : WORST_CASES_MAX;
	shown = rows_to_show(m, listed);
	for (size_t i = 0; i < shown; i++)
		write_case_line(m, i + 1, worst[i]);
	if (shown < n)
		fprintf(m->out,
			"\n%zu more failed or errored case%s not shown (see "
			"report.html / results.json).\n",
			n - shown, n - shown == 1 ? "" : "s");
}

static void put_compare_key(const struct md *m, const char *prompt,
			    const char *case_id, size_t case_index,
			    const char *model, int has_temperature,
			    double temperature)
{
	fprintf(m->out, "**");
	put_text(m, prompt, NAME_MAX_BYTES);
	fprintf(m->out, "** / ");
	if (case_id)
		put_text(m, case_id, NAME_MAX_BYTES);
	else
		fprintf(m->out, "case %zu", case_index);
	fprintf(m->out, " on ");
	put_text(m, model, NAME_MAX_BYTES);
	if (has_temperature)
		fprintf(m->out, ", t=%g", temperature);
}

/* Lists the head row's evaluators that failed or errored, with reasons. */
static void write_compare_case(const struct md *m,
			       const struct pe_compare_case *c)
{
	fprintf(m->out, "- ");
	put_compare_key(m, c->prompt, c->case_id, c->case_index, c->model,
			c->has_temperature, c->temperature);
	fprintf(m->out, ": passed %zu/%zu → %zu/%zu\n", c->base.pass,
		c->base.decided, c->head.pass, c->head.decided);
	for (size_t i = 0; i < c->head.row->nevaluators; i++) {
		const struct pe_result_evaluator *e =
			&c->head.row->evaluators[i];

		if (e->status != PE_VERDICT_FAIL &&
		    e->status != PE_VERDICT_ERROR)
			continue;
		fprintf(m->out, "  - %s ", pe_verdict_name(e->status));
		put_text(m, e->name, NAME_MAX_BYTES);
		fprintf(m->out, ": ");
		put_text(m, e->reason, REASON_MAX_BYTES);
		fputc('\n', m->out);
	}
}

static void write_compare_group(const struct md *m,
				const struct pe_compare_group *g)
{
	fprintf(m->out, "| ");
	if (g->prompt)
		put_text(m, g->prompt, NAME_MAX_BYTES);
	else
		fprintf(m->out, "**overall**");
	fprintf(m->out, " | %zu | %zu | %zu | %zu | %.2g |", g->stats.regressed,
		g->stats.improved, g->stats.unchanged, g->stats.n_cases,
		g->stats.p_value);
	put_number(m, 3, g->score_delta);
	fprintf(m->out, " %s |\n",
		g->stats.too_few ? "too few changed cases to tell"
		: g->stats.significant_regression ? "**significant regression**"
		: g->stats.significant_improvement ? "significant improvement"
						   : "no significant change");
}

/* The sign test per prompt (cut to the cap), then overall. */
static void write_compare_groups(struct md *m, const struct pe_comparison *cmp)
{
	size_t n = pe_comparison_prompt_count(cmp), shown = rows_to_show(m, n);

	fprintf(m->out,
		"| prompt | regressed | improved | unchanged | cases | "
		"p (sign test) | score change | verdict |\n"
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (size_t i = 0; i < shown; i++)
		write_compare_group(m, pe_comparison_prompt(cmp, i));
	write_compare_group(m, pe_comparison_overall(cmp));
	write_more(m, n, shown);
}

/* The cases that changed as kind, cut to the cap; returns their number. */
static size_t write_changed(struct md *m, const struct pe_comparison *cmp,
			    enum pe_change_kind kind)
{
	size_t n = 0, shown, written = 0;

	for (size_t i = 0; i < pe_comparison_case_count(cmp); i++)
		n += pe_comparison_case(cmp, i)->change == kind;
	if (!n)
		return 0;
	fprintf(m->out, "\n### %s (%zu)\n\n",
		kind == PE_CHANGE_REGRESSED ? "Regressions" : "Improvements",
		n);
	shown = rows_to_show(m, n);
	for (size_t i = 0; i < pe_comparison_case_count(cmp) && written < shown;
	     i++)
		if (pe_comparison_case(cmp, i)->change == kind) {
			write_compare_case(m, pe_comparison_case(cmp, i));
			written++;
		}
	write_more(m, n, shown);
	return n;
}

/* The baseline section of m (see pe_comparison_write_md). */
static void write_comparison(struct md *m, const struct pe_comparison *cmp)
{
	size_t changed;

	write_compare_groups(m, cmp);
	changed = write_changed(m, cmp, PE_CHANGE_REGRESSED);
	changed += write_changed(m, cmp, PE_CHANGE_IMPROVED);
	if (pe_comparison_added_count(cmp) || pe_comparison_removed_count(cmp))
		fprintf(m->out,
			"\n%zu case%s added and %zu removed (not "
			"compared).\n",
			pe_comparison_added_count(cmp),
			pe_comparison_added_count(cmp) == 1 ? "" : "s",
			pe_comparison_removed_count(cmp));
	if (!changed)
		fprintf(m->out, "\nNo case regressed or improved.\n");
}

/* Writes the body of the baseline section for cmp (see comparison.h). */
void pe_comparison_write_md(FILE *out, const struct pe_comparison *cmp)
{
	struct md m;

	memset(&m, 0, sizeof(m));
	m.out = out;
	m.cap = SIZE_MAX;
	write_comparison(&m, cmp);
}

/* The whole report, each table cut to m->cap rows. */
static void write_report(struct md *m)
{
	write_title(m);
	write_gates(m);
	fprintf(m->out, "\n## Regressions against the baseline\n\n");
	if (m->in.comparison)
		write_comparison(m, m->in.comparison);
	else
		fprintf(m->out, "_no baseline given_\n");
	write_causes(m);
	write_details(m);
	write_worst(m);
}

/*
 * Writes the report with every table cut to cap rows into memory;
 * returns it (owned by the caller) and its length in *len, or NULL when
 * memory could not be opened as a stream.
 */
static char *render(struct md *m, size_t cap, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (!out)
		return NULL;
	m->out = out;
	m->cap = cap;
	m->rows_shown = m->rows_total = m->rows_max = 0;
	write_report(m);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The line that ends a summarised report. */
static char *summary_line(const struct md *m)
{
	return xstrfmt("\n_report.md was summarised to fit GitHub's "
		       "65,536-character comment limit: %zu of %zu rows "
		       "shown._\n",
		       m->rows_shown, m->rows_total);
}

/*
 * Writes the report with its tables cut to cap rows; returns it (owned
 * by the caller, NULL when memory could not be opened as a stream), its
 * length with the summary line in *len, and the summary line in *line
 * (owned by the caller).
 */
static char *render_cut(struct md *m, size_t cap, size_t *len, char **line)
{
	char *text = render(m, cap, len);

	*line = text ? summary_line(m) : NULL;
	if (text)
		*len += strlen(*line);
	return text;
}

/*
 * Writes the report to out: whole when it fits in PE_MD_MAX_BYTES, else
 * with its tables cut to the most rows each that fit (a binary search
 * over the cap: more rows never make the report shorter), and the
 * summary line.  Returns 0 or PE_ERR_IO.
 */
static int write_fitted(struct md *m, FILE *out)
{
	size_t len = 0, lo = 0, hi;
	char *text = render(m, SIZE_MAX, &len), *line = NULL;

	if (text && len > PE_MD_MAX_BYTES) {
		/* A cap below the longest table's rows cuts something. */
		hi = m->rows_max ? m->rows_max - 1 : 0;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;

			free(text);
			free(line);
			text = render_cut(m, mid, &len, &line);
			if (!text)
				break;
			if (len <= PE_MD_MAX_BYTES)
				lo = mid;
			else
				hi = mid - 1;
		}
		free(text);
		free(line);
		/*
		 * NEEDSWORK: with no row at all, only thousands of gates
		 * could keep the report over the limit; it is then written
		 * as it is.
		 */
		text = render_cut(m, lo, &len, &line);
	}
	if (!text) {
		free(line);
		return PE_ERR_IO;
	}
	fputs(text, out);
	if (line)
		fputs(line, out);
	free(text);
	free(line);
	return fflush(out) || ferror(out) ? PE_ERR_IO : PE_OK;
}

static void *md_begin(const struct pe_report_input *in, FILE *out)
{
	struct md *m = xcalloc(1, sizeof(*m));

	m->in = *in;
	m->out = out;
	return m;
}

/* Counts row into its case and its case's model and temperature. */
static void md_add(void *state, const struct pe_result *row)
{
	struct md *m = state;
	struct test_case *c;
	struct case_model *cm;
	int failed = row->status == PE_VERDICT_FAIL;
	int errored = row->status == PE_VERDICT_ERROR;

	c = m->ncases ? &m->cases[m->ncases - 1] : NULL;
	if (!c || !same_case(c->models[0].row, row)) {
		pe_grow(&m->cases, &m->cases_alloc, m->ncases + 1,
			sizeof(*m->cases));
		c = &m->cases[m->ncases++];
		memset(c, 0, sizeof(*c));
	}
	cm = c->nmodels ? &c->models[c->nmodels - 1] : NULL;
	if (!cm || !same_model(cm->row, row)) {
		pe_grow(&c->models, &c->models_alloc, c->nmodels + 1,
			sizeof(*c->models));
		cm = &c->models[c->nmodels++];
		memset(cm, 0, sizeof(*cm));
		cm->row = row;
	}
	if ((failed || errored) && !c->first_failed)
		c->first_failed = row;
	cm->pass += row->status == PE_VERDICT_PASS;
	cm->fail += failed;
	cm->error += errored;
	c->pass += row->status == PE_VERDICT_PASS;
	c->fail += failed;
	c->error += errored;
}

static int md_end(void *state)
{
	struct md *m = state;
	FILE *out = m->out;
	int rc;

	m->worst = sort_worst(m, &m->nworst);
	m->causes = pe_error_causes_new(pe_resultset_rows(m->in.rs),
					pe_resultset_count(m->in.rs));
	rc = write_fitted(m, out);
	free(m->worst);
	pe_error_causes_free(m->causes);

	for (size_t i = 0; i < m->ncases; i++)
		free(m->cases[i].models);
	free(m->cases);
	free(m);
	return rc;
}

const struct pe_report_ops pe_report_md = {
	.name = "md",
	.file_name = "report.md",
	.begin = md_begin,
	.add = md_add,
	.end = md_end,
};
