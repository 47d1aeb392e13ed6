/*
 * The Markdown report (report.md), written for a GitHub job summary
 * ($GITHUB_STEP_SUMMARY) or a pull-request comment: a title and totals
 * (with the judges' calls, tokens and cost apart, when judges were asked),
 * the pass-rate matrix as a GFM table, the ranking over all prompts with
 * each pair of models compared on their common cases, the cost against
 * the pass rate when prices were given, the regressions against a baseline
 * (run --baseline; the section says when none was given), and the worst
 * cases with the reasons of their failed evaluators.  The baseline
 * section is pe_comparison_write_md, which "compare -f md" also uses.
 *
 * Worst cases are the failed and errored rows, errors first (they have no
 * score), then failures by lowest score; ties keep results.json order.
 * add() keeps pointers to them, which the result set keeps valid.
 *
 * Every text that comes from the results file (names, ids, reasons,
 * errors) goes through put_text(), which folds line breaks and tabs into
 * spaces, writes every other control character as the terminal printer
 * does (\xNN, \uNNNN: the file is also read with cat), escapes what
 * Markdown or HTML would interpret and stops "@name" from mentioning
 * anyone.  Model output itself is never written.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "reports/comparison.h"
#include "harness/results/causes.h"
#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	WORST_CASES_MAX = 10,
	NAME_MAX_BYTES = 200,	/* names and ids are cut to this */
	REASON_MAX_BYTES = 300, /* evaluator reasons and errors */
	TEXT_MAX_BYTES = 1024	/* any one escaped text */
};

struct md {
	struct pe_report_input in;
	FILE *out;
	const struct pe_result **worst; /* failed and errored rows */
	size_t nworst, worst_alloc;
};

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

static void write_title(const struct md *m)
{
	const struct pe_tally *t = pe_aggregate_total(m->in.agg);

	struct pe_buf note;

	fprintf(m->out, "# prompteval report\n\n");
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

static void write_matrix(const struct md *m)
{
	size_t n = pe_aggregate_cell_count(m->in.agg);

	fprintf(m->out, "\n## Summary\n\n");
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
	for (size_t i = 0; i < n; i++)
		write_cell(m, pe_aggregate_cell(m->in.agg, i));
}

/* Each pair of models of r compared, then the neighbours' verdict. */
static void write_pairs(const struct md *m, const struct pe_ranking *r)
{
	struct pe_buf ties;

	pe_buf_init(&ties, 0);
	if (!pe_ranking_ties_text(r, &ties)) {
		pe_buf_release(&ties);
		return;
	}
	fprintf(m->out, "\nPaired on common cases (better minus worse, 95%% "
			"interval, exact sign test):\n\n");
	for (size_t i = 0; i < r->npairs; i++) {
		const struct pe_model_pair *p = &r->pairs[i];
		struct pe_buf line;

		if (!r->entries[p->worse].tally.pass_rate.decided)
			continue;
		pe_buf_init(&line, 0);
		pe_model_pair_text(p, &line);
		fprintf(m->out, "- %zu vs %zu: %s\n", p->better + 1,
			p->worse + 1, pe_buf_str(&line));
		pe_buf_release(&line);
	}
	fprintf(m->out, "\nNeighbours that cannot be told apart: %s.\n",
		pe_buf_str(&ties));
	pe_buf_release(&ties);
}

/* The ranking over all prompts and its paired comparisons. */
static void write_ranking(const struct md *m)
{
	const struct pe_ranking *r = pe_aggregate_overall_ranking(m->in.agg);

	if (!r->count)
		return;
	fprintf(m->out, "\n## Ranking over all prompts\n\n"
			"| # | model | pass rate | 95%% interval | cases |\n"
			"| ---: | --- | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < r->count; i++) {
		const struct pe_pass_rate *p = &r->entries[i].tally.pass_rate;

		fprintf(m->out, "| %zu | ", i + 1);
		put_text(m, r->entries[i].model, NAME_MAX_BYTES);
		fprintf(m->out, " |");
		put_rate(m, p);
		fprintf(m->out, " %zu |\n", p->cases);
	}
	write_pairs(m, r);
}

/*
 * The errors grouped by cause, when some row ended in error: the most
 * frequent PE_CAUSES_SHOWN with their counts and models, then how many
 * more.
 */
static void write_causes(const struct md *m)
{
	struct pe_error_causes *causes = pe_error_causes_new(
		pe_resultset_rows(m->in.rs), pe_resultset_count(m->in.rs));
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
	pe_error_causes_free(causes);
}

/*
 * The cost against the pass rate, per model, when prices were given (the
 * section is left out otherwise, so reports without prices are unchanged).
 * When judges were asked, the answers' cost and the judges' get a column
 * each.
 */
static void write_costs(const struct md *m)
{
	size_t n = pe_aggregate_cost_count(m->in.agg);
	int judged = pe_aggregate_total(m->in.agg)->judge_calls > 0;

	if (!pe_aggregate_has_cost(m->in.agg))
		return;
	fprintf(m->out, "\n## Cost against pass rate\n\n");
	if (judged)
		fprintf(m->out, "| model | answers USD | judges USD "
				"| USD per job | pass rate | 95%% interval |\n"
				"| --- | ---: | ---: | ---: | ---: | ---: |\n");
	else
		fprintf(m->out, "| model | cost USD | USD per job | pass rate "
				"| 95%% interval |\n"
				"| --- | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < n; i++) {
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
}

/* Errors first, then lower scores; the pointers keep results order. */
static int worse(const struct pe_result *a, const struct pe_result *b)
{
	int a_error = a->status == PE_VERDICT_ERROR || isnan(a->score);
	int b_error = b->status == PE_VERDICT_ERROR || isnan(b->score);

	if (a_error != b_error)
		return a_error;
	return !a_error && a->score < b->score;
}

/* A stable insertion sort: few rows fail, and ties must keep order. */
static void sort_worst(struct md *m)
{
	for (size_t i = 1; i < m->nworst; i++)
		for (size_t j = i; j > 0 && worse(m->worst[j], m->worst[j - 1]);
		     j--) {
			const struct pe_result *tmp = m->worst[j];

			m->worst[j] = m->worst[j - 1];
			m->worst[j - 1] = tmp;
		}
}

static void write_case_heading(const struct md *m, size_t rank,
			       const struct pe_result *r)
{
	fprintf(m->out, "%zu. **", rank);
	put_text(m, r->prompt, NAME_MAX_BYTES);
	fprintf(m->out, "** / ");
	if (r->case_id)
		put_text(m, r->case_id, NAME_MAX_BYTES);
	else
		fprintf(m->out, "case %zu", r->case_index);
	fprintf(m->out, " on ");
	put_text(m, r->model, NAME_MAX_BYTES);
	if (r->has_temperature)
		fprintf(m->out, ", t=%g", r->temperature);
	fprintf(m->out, ", repeat %u: **%s**", r->repeat,
		pe_verdict_name(r->status));
	if (!isnan(r->score))
		fprintf(m->out, ", score %.2f", r->score);
	fputc('\n', m->out);
}

static void write_case_reasons(const struct md *m, const struct pe_result *r)
{
	if (r->error) {
		fprintf(m->out, "   - error: ");
		put_text(m, r->error, REASON_MAX_BYTES);
		fputc('\n', m->out);
	}
	for (size_t i = 0; i < r->nevaluators; i++) {
		const struct pe_result_evaluator *e = &r->evaluators[i];

		if (e->status != PE_VERDICT_FAIL &&
		    e->status != PE_VERDICT_ERROR)
			continue;
		fprintf(m->out, "   - %s ", pe_verdict_name(e->status));
		put_text(m, e->name, NAME_MAX_BYTES);
		fprintf(m->out, " (");
		put_text(m, e->kind, NAME_MAX_BYTES);
		fprintf(m->out, "): ");
		put_text(m, e->reason, REASON_MAX_BYTES);
		fputc('\n', m->out);
	}
}

static void write_worst(struct md *m)
{
	size_t shown =
		m->nworst < WORST_CASES_MAX ? m->nworst : WORST_CASES_MAX;

	fprintf(m->out, "\n## Worst cases\n\n");
	if (!m->nworst) {
		fprintf(m->out, "No case failed or errored.\n");
		return;
	}
	sort_worst(m);
	for (size_t i = 0; i < shown; i++) {
		write_case_heading(m, i + 1, m->worst[i]);
		write_case_reasons(m, m->worst[i]);
	}
	if (shown < m->nworst)
		fprintf(m->out,
			"\n%zu more failed or errored case%s not shown.\n",
			m->nworst - shown, m->nworst - shown == 1 ? "" : "s");
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

/* Writes the body of the baseline section for cmp (see comparison.h). */
void pe_comparison_write_md(FILE *out, const struct pe_comparison *cmp)
{
	struct md m;
	size_t shown = 0;

	memset(&m, 0, sizeof(m));
	m.out = out;
	fprintf(out,
		"| prompt | regressed | improved | unchanged | cases | "
		"p (sign test) | score change | verdict |\n"
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
	for (size_t i = 0; i < pe_comparison_prompt_count(cmp); i++)
		write_compare_group(&m, pe_comparison_prompt(cmp, i));
	write_compare_group(&m, pe_comparison_overall(cmp));
	for (int pass = 0; pass < 2; pass++) {
		enum pe_change_kind kind =
			pass ? PE_CHANGE_IMPROVED : PE_CHANGE_REGRESSED;
		size_t n = 0;

		for (size_t i = 0; i < pe_comparison_case_count(cmp); i++)
			n += pe_comparison_case(cmp, i)->change == kind;
		if (!n)
			continue;
		fprintf(out, "\n### %s (%zu)\n\n",
			pass ? "Improvements" : "Regressions", n);
		for (size_t i = 0; i < pe_comparison_case_count(cmp); i++)
			if (pe_comparison_case(cmp, i)->change == kind)
				write_compare_case(&m,
						   pe_comparison_case(cmp, i));
		shown += n;
	}
	if (pe_comparison_added_count(cmp) || pe_comparison_removed_count(cmp))
		fprintf(out,
			"\n%zu case%s added and %zu removed (not "
			"compared).\n",
			pe_comparison_added_count(cmp),
			pe_comparison_added_count(cmp) == 1 ? "" : "s",
			pe_comparison_removed_count(cmp));
	if (!shown)
		fprintf(out, "\nNo case regressed or improved.\n");
}

static void *md_begin(const struct pe_report_input *in, FILE *out)
{
	struct md *m = xcalloc(1, sizeof(*m));

	m->in = *in;
	m->out = out;
	return m;
}

static void md_add(void *state, const struct pe_result *row)
{
	struct md *m = state;

	if (row->status != PE_VERDICT_FAIL && row->status != PE_VERDICT_ERROR)
		return;
	pe_grow(&m->worst, &m->worst_alloc, m->nworst + 1, sizeof(*m->worst));
	m->worst[m->nworst++] = row;
}

static int md_end(void *state)
{
	struct md *m = state;
	int rc;

	write_title(m);
	write_matrix(m);
	write_causes(m);
	write_ranking(m);
	write_costs(m);
	fprintf(m->out, "\n## Regressions against the baseline\n\n");
	if (m->in.comparison)
		pe_comparison_write_md(m->out, m->in.comparison);
	else
		fprintf(m->out, "_no baseline given_\n");
	write_worst(m);
	rc = fflush(m->out) || ferror(m->out) ? PE_ERR_IO : PE_OK;
	free(m->worst);
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
