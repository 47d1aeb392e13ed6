/*
 * The terminal and JSON writers of a comparison (see comparison.h); the
 * Markdown one lives in md.c beside its escaping.  The terminal view is
 * printed with the terminal printer (harness/core/message.h), so a name
 * or a reason is escaped and cannot move the cursor or forge a line; a
 * long one is cut to TEXT_MAX_COLUMNS.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/comparison.h"
#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { TEXT_MAX_COLUMNS = 200 };

const char *const pe_comparison_formats[] = { "terminal", "md", "json", NULL };

/* Prints s (NULL as "-") escaped, cut to TEXT_MAX_COLUMNS with "...". */
static void put_plain(FILE *out, const char *s)
{
	int cut;

	if (!s)
		s = "-";
	cut = pe_terminal_width(s, strlen(s)) > TEXT_MAX_COLUMNS;
	pe_terminal_printf(out, "%.*s%s", TEXT_MAX_COLUMNS, s,
			   cut ? "..." : "");
}

static void put_case(FILE *out, const char *prompt, const char *case_id,
		     size_t case_index, const char *model, int has_temperature,
		     double temperature)
{
	put_plain(out, prompt);
	fputs(" / ", out);
	if (case_id)
		put_plain(out, case_id);
	else
		fprintf(out, "case %zu", case_index);
	fputs(" on ", out);
	put_plain(out, model);
	if (has_temperature)
		fprintf(out, ", t=%g", temperature);
}

static void put_score(FILE *out, double score)
{
	if (isnan(score))
		fputs("-", out);
	else
		fprintf(out, "%.2f", score);
}

/* Prints the evaluators whose verdict or reason differ between the rows. */
static void put_changed_reasons(FILE *out, const struct pe_result *base,
				const struct pe_result *head)
{
	if (!pe_str_same(base->error, head->error) && head->error) {
		fputs("      error: ", out);
		put_plain(out, head->error);
		fputc('\n', out);
	}
	for (size_t i = 0; i < head->nevaluators; i++) {
		const struct pe_result_evaluator *h = &head->evaluators[i];
		const struct pe_result_evaluator *b =
			pe_result_find_evaluator(base, h->name);

		if (b && b->status == h->status &&
		    pe_str_same(b->reason, h->reason))
			continue;
		fputs("      ", out);
		put_plain(out, h->name);
		pe_terminal_printf(out, " (%s): %s -> %s", h->kind,
				   b ? pe_verdict_name(b->status) : "(none)",
				   pe_verdict_name(h->status));
		if (b && b->reason && !pe_str_same(b->reason, h->reason)) {
			fputs("; was: ", out);
			put_plain(out, b->reason);
		}
		if (h->reason) {
			fputs(b && b->reason ? "; now: " : ": ", out);
			put_plain(out, h->reason);
		}
		fputc('\n', out);
	}
}

static void put_changes(FILE *out, const struct pe_comparison *cmp,
			enum pe_change_kind kind, const char *title)
{
	size_t n = 0;

	for (size_t i = 0; i < pe_comparison_case_count(cmp); i++)
		n += pe_comparison_case(cmp, i)->change == kind;
	fprintf(out, "%s: %zu\n", title, n);
	for (size_t i = 0; i < pe_comparison_case_count(cmp); i++) {
		const struct pe_compare_case *c = pe_comparison_case(cmp, i);

		if (c->change != kind)
			continue;
		fputs("  ", out);
		put_case(out, c->prompt, c->case_id, c->case_index, c->model,
			 c->has_temperature, c->temperature);
		fprintf(out, ": passed %zu/%zu -> %zu/%zu, score ",
			c->base.pass, c->base.decided, c->head.pass,
			c->head.decided);
		put_score(out, c->base.mean_score);
		fputs(" -> ", out);
		put_score(out, c->head.mean_score);
		fputc('\n', out);
		put_changed_reasons(out, c->base.row, c->head.row);
	}
}

static void put_only(FILE *out, const char *title, size_t n,
		     const struct pe_compare_only *(*get)(
			     const struct pe_comparison *, size_t),
		     const struct pe_comparison *cmp)
{
	if (!n)
		return;
	fprintf(out, "%s (listed, not compared): %zu\n", title, n);
	for (size_t i = 0; i < n; i++) {
		const struct pe_compare_only *o = get(cmp, i);

		fputs("  ", out);
		put_case(out, o->prompt, o->case_id, o->case_index, o->model,
			 o->has_temperature, o->temperature);
		fprintf(out, ": passed %zu/%zu\n", o->pass, o->decided);
	}
}

/* Writes g's sign-test summary, without a newline. */
void pe_comparison_write_verdict(FILE *out, const struct pe_compare_group *g)
{
	const struct pe_paired_result *s = &g->stats;

	fprintf(out, "%zu regressed, %zu improved, %zu unchanged of %zu case%s",
		s->regressed, s->improved, s->unchanged, s->n_cases,
		s->n_cases == 1 ? "" : "s");
	if (g->undecided)
		fprintf(out, " (%zu undecided, not counted)", g->undecided);
	fprintf(out, "; p = %.2g (exact sign test); ", s->p_value);
	if (s->too_few)
		fputs("too few changed cases to tell (need at least 6)", out);
	else if (s->significant_regression)
		fputs("significant regression", out);
	else if (s->significant_improvement)
		fputs("significant improvement", out);
	else
		fputs("no significant change", out);
}

static void put_score_delta(FILE *out, double delta)
{
	if (isnan(delta))
		fputs("-", out);
	else
		fprintf(out, "%+.3f", delta);
}

/* Prints cmp for a terminal; the overall sign-test line comes last. */
void pe_comparison_write_terminal(FILE *out, const struct pe_comparison *cmp)
{
	const struct pe_compare_group *all = pe_comparison_overall(cmp);

	put_changes(out, cmp, PE_CHANGE_REGRESSED, "regressions");
	put_changes(out, cmp, PE_CHANGE_IMPROVED, "improvements");
	put_only(out, "added", pe_comparison_added_count(cmp),
		 pe_comparison_added, cmp);
	put_only(out, "removed", pe_comparison_removed_count(cmp),
		 pe_comparison_removed, cmp);
	fputs("mean score change (head - base):", out);
	for (size_t i = 0; i < pe_comparison_prompt_count(cmp); i++) {
		const struct pe_compare_group *g = pe_comparison_prompt(cmp, i);

		fputs(i ? ", " : " ", out);
		put_plain(out, g->prompt);
		fputc(' ', out);
		put_score_delta(out, g->score_delta);
	}
	fputs("; overall ", out);
	put_score_delta(out, all->score_delta);
	fputc('\n', out);
	for (size_t i = 0; i < pe_comparison_prompt_count(cmp); i++) {
		const struct pe_compare_group *g = pe_comparison_prompt(cmp, i);

		fputs("prompt ", out);
		put_plain(out, g->prompt);
		fputs(": ", out);
		pe_comparison_write_verdict(out, g);
		fputc('\n', out);
	}
	fputs("overall: ", out);
	pe_comparison_write_verdict(out, all);
	fputc('\n', out);
}

static void json_group(struct pe_buf *b, const struct pe_compare_group *g)
{
	const struct pe_paired_result *s = &g->stats;

	pe_buf_adds(b, "{\"prompt\":");
	pe_json_str(b, g->prompt);
	pe_buf_addf(b,
		    ",\"cases\":%zu,\"regressed\":%zu,\"improved\":%zu,"
		    "\"unchanged\":%zu,\"undecided\":%zu,\"added\":%zu,"
		    "\"removed\":%zu,\"p_value\":",
		    s->n_cases, s->regressed, s->improved, s->unchanged,
		    g->undecided, g->added, g->removed);
	pe_json_num(b, s->p_value);
	pe_buf_adds(b, ",\"effect\":");
	pe_json_num(b, s->effect);
	pe_buf_adds(b, ",\"net_effect\":");
	pe_json_num(b, s->net_effect);
	pe_buf_adds(b, ",\"score_delta\":");
	pe_json_num(b, g->score_delta);
	pe_buf_addf(b,
		    ",\"too_few\":%s,\"significant_regression\":%s,"
		    "\"significant_improvement\":%s}",
		    s->too_few ? "true" : "false",
		    s->significant_regression ? "true" : "false",
		    s->significant_improvement ? "true" : "false");
}

static void json_key(struct pe_buf *b, const char *prompt, const char *case_id,
		     size_t case_index, const char *model, int has_temperature,
		     double temperature)
{
	pe_buf_adds(b, "{\"prompt\":");
	pe_json_str(b, prompt);
	pe_buf_adds(b, ",\"case\":");
	pe_json_str(b, case_id);
	pe_buf_addf(b, ",\"case_index\":%zu,\"model\":", case_index);
	pe_json_str(b, model);
	pe_buf_adds(b, ",\"temperature\":");
	if (has_temperature)
		pe_json_num(b, temperature);
	else
		pe_buf_adds(b, "null");
}

static void json_side(struct pe_buf *b, const char *name,
		      const struct pe_compare_side *s)
{
	pe_buf_addf(b,
		    ",\"%s\":{\"rows\":%zu,\"pass\":%zu,\"decided\":%zu,"
		    "\"error\":%zu,\"mean_score\":",
		    name, s->rows, s->pass, s->decided, s->error);
	pe_json_num(b, s->mean_score);
	pe_buf_adds(b, "}");
}

static void json_only(struct pe_buf *b, const char *name, size_t n,
		      const struct pe_compare_only *(*get)(
			      const struct pe_comparison *, size_t),
		      const struct pe_comparison *cmp)
{
	pe_buf_addf(b, ",\n \"%s\": [", name);
	for (size_t i = 0; i < n; i++) {
		const struct pe_compare_only *o = get(cmp, i);

		pe_buf_adds(b, i ? ",\n  " : "\n  ");
		json_key(b, o->prompt, o->case_id, o->case_index, o->model,
			 o->has_temperature, o->temperature);
		pe_buf_addf(b, ",\"rows\":%zu,\"pass\":%zu,\"decided\":%zu}",
			    o->rows, o->pass, o->decided);
	}
	pe_buf_adds(b, n ? "\n ]" : "]");
}

/* Writes cmp as one JSON document to out. */
void pe_comparison_write_json(FILE *out, const struct pe_comparison *cmp,
			      const char *base_path, const char *head_path)
{
	struct pe_buf b;
	size_t n = pe_comparison_case_count(cmp);

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\n \"base\": ");
	pe_json_str(&b, base_path);
	pe_buf_adds(&b, ",\n \"head\": ");
	pe_json_str(&b, head_path);
	pe_buf_adds(&b, ",\n \"overall\": ");
	json_group(&b, pe_comparison_overall(cmp));
	pe_buf_adds(&b, ",\n \"prompts\": [");
	for (size_t i = 0; i < pe_comparison_prompt_count(cmp); i++) {
		pe_buf_adds(&b, i ? ",\n  " : "\n  ");
		json_group(&b, pe_comparison_prompt(cmp, i));
	}
	pe_buf_adds(&b, pe_comparison_prompt_count(cmp) ? "\n ]" : "]");
	pe_buf_adds(&b, ",\n \"cases\": [");
	for (size_t i = 0; i < n; i++) {
		const struct pe_compare_case *c = pe_comparison_case(cmp, i);

		pe_buf_adds(&b, i ? ",\n  " : "\n  ");
		json_key(&b, c->prompt, c->case_id, c->case_index, c->model,
			 c->has_temperature, c->temperature);
		pe_buf_addf(&b, ",\"change\":\"%s\"",
			    pe_change_name(c->change));
		json_side(&b, "base", &c->base);
		json_side(&b, "head", &c->head);
		pe_buf_adds(&b, ",\"score_delta\":");
		pe_json_num(&b, c->score_delta);
		pe_buf_adds(&b, "}");
	}
	pe_buf_adds(&b, n ? "\n ]" : "]");
	json_only(&b, "added", pe_comparison_added_count(cmp),
		  pe_comparison_added, cmp);
	json_only(&b, "removed", pe_comparison_removed_count(cmp),
		  pe_comparison_removed, cmp);
	pe_buf_adds(&b, "\n}\n");
	fputs(pe_buf_str(&b), out);
	pe_buf_release(&b);
}
