/*
 * Format rules over the Markdown structure: counts of bold spans, bulleted
 * and numbered list items (in the whole output, or in each of the named
 * sections), the deepest heading level, and raw HTML.  Bold inside code and
 * list markers inside fences are not structure, so they never count.
 */
#include "evaluators/evaluator.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

enum count_kind { COUNT_BOLD, COUNT_BULLETS, COUNT_NUMBERED };

struct count_rule {
	int active;
	struct pe_bound bound;
	struct pe_names within;
};

struct format_state {
	struct count_rule rules[3];
	size_t max_level; /* 0: no rule */
	int no_html;
};

static const char *const rule_names[] = { "bold", "bullets", "numbered" };

static void free_format(void *state)
{
	struct format_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < 3; i++)
		pe_names_release(&st->rules[i].within);
	free(st);
}

static int read_count_rule(const struct pe_node *body, const char *key,
			   struct count_rule *r, struct pe_diag *diag)
{
	static const char *const known[] = { "min", "max", "within", NULL };
	const struct pe_node *n = pe_node_get(body, key);

	if (!n)
		return PE_OK;
	r->active = 1;
	r->bound.min = 1;
	r->bound.max = SIZE_MAX;
	if (n->kind == PE_NODE_BOOL && n->bval)
		return PE_OK;
	if (n->kind == PE_NODE_INT) {
		if (pe_setting_count(body, key, 0, PE_SETTING_MAX_COUNT,
				     &r->bound.min, diag))
			return PE_ERR_INVALID;
		return pe_bound_refuse_vacuous(n, key, &r->bound, diag);
	}
	if (pe_setting_require_map(n, key, diag))
		return PE_ERR_INVALID;
	pe_node_check_keys(n, known, key, diag);
	if (pe_setting_count(n, "min", 0, PE_SETTING_MAX_COUNT, &r->bound.min,
			     diag) ||
	    pe_setting_count(n, "max", 0, PE_SETTING_MAX_COUNT, &r->bound.max,
			     diag) ||
	    pe_setting_names(n, "within", &r->within, diag))
		return PE_ERR_INVALID;
	if (!pe_node_get(n, "min") && pe_node_get(n, "max"))
		r->bound.min = 0;
	if (r->bound.min > r->bound.max) {
		pe_diag_error(diag, &n->mark, "'%s': min %zu is above max %zu",
			      key, r->bound.min, r->bound.max);
		return PE_ERR_INVALID;
	}
	return pe_bound_refuse_vacuous(n, key, &r->bound, diag);
}

static int compile_format(const struct pe_evalspec *spec,
			  const struct pe_prompt *prompt, void **state,
			  struct pe_diag *diag)
{
	static const char *const known[] = { "bold",	 "bullets", "numbered",
					     "headings", "no_html", NULL };
	const struct pe_node *body = pe_evaluator_settings(spec), *headings;
	struct format_state *st;

	(void)prompt;
	if (pe_setting_require_map(body, "format", diag))
		return PE_ERR_INVALID;
	pe_node_check_keys(body, known, "a format evaluator", diag);
	st = xcalloc(1, sizeof(*st));
	*state = st;
	for (int i = 0; i < 3; i++)
		if (read_count_rule(body, rule_names[i], &st->rules[i], diag))
			goto fail;
	headings = pe_node_get(body, "headings");
	if (headings) {
		static const char *const hkeys[] = { "max_level", NULL };

		if (pe_setting_require_map(headings, "headings", diag))
			goto fail;
		pe_node_check_keys(headings, hkeys, "headings", diag);
		if (pe_setting_count(headings, "max_level", 1, 6,
				     &st->max_level, diag))
			goto fail;
		if (st->max_level == 6) {
			/* There is no deeper heading: any answer meets it. */
			pe_diag_error(diag,
				      &pe_node_get(headings, "max_level")->mark,
				      "'max_level: 6' is met by any answer, "
				      "since Markdown has no heading deeper "
				      "than level 6, so it checks nothing");
			goto fail;
		}
	}
	if (pe_setting_bool(body, "no_html", &st->no_html, diag))
		goto fail;
	if (!st->rules[0].active && !st->rules[1].active &&
	    !st->rules[2].active && !st->max_level && !st->no_html) {
		pe_diag_error(diag, &body->mark,
			      "format evaluator has no rule: use bold, "
			      "bullets, numbered, headings or no_html");
		goto fail;
	}
	return PE_OK;
fail:
	free_format(st);
	*state = NULL;
	return PE_ERR_INVALID;
}

static size_t count_in(const struct pe_md *md, enum count_kind kind,
		       size_t start, size_t end)
{
	size_t n = 0, len;

	if (kind == COUNT_BOLD) {
		const struct pe_md_bold *b = pe_md_bolds(md, &len);

		for (size_t i = 0; i < len; i++)
			n += b[i].start >= start && b[i].start < end;
	} else {
		const struct pe_md_item *it = pe_md_items(md, &len);

		for (size_t i = 0; i < len; i++)
			n += it[i].start >= start && it[i].start < end &&
			     it[i].ordered == (kind == COUNT_NUMBERED);
	}
	return n;
}

struct tally {
	size_t checks;
	size_t passed;
	int unread; /* a section to read is not there */
	struct pe_buf problems;
	struct pe_buf held; /* what the passed checks found */
};

static void held(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Counts a passed check and says what it found. */
static void held(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	t->passed++;
	if (t->held.len)
		pe_buf_adds(&t->held, "; ");
	va_start(ap, fmt);
	pe_buf_vaddf(&t->held, fmt, ap);
	va_end(ap);
}

static void problem(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->problems.len)
		pe_buf_adds(&t->problems, "; ");
	va_start(ap, fmt);
	pe_buf_vaddf(&t->problems, fmt, ap);
	va_end(ap);
}

static void check_count(const struct count_rule *r, enum count_kind kind,
			const struct pe_md *md, struct tally *t)
{
	const char *what = kind == COUNT_BOLD	   ? "bold span"
			   : kind == COUNT_BULLETS ? "bulleted item"
						   : "numbered item";
	char want[64];
	size_t len;

	pe_bound_describe(&r->bound, want, sizeof(want));
	pe_md_text(md, &len);
	if (!r->within.len) {
		size_t n = count_in(md, kind, 0, len + 1);

		t->checks++;
		if (pe_bound_holds(&r->bound, n))
			held(t, "%zu %s%s (need %s)", n, what,
			     n == 1 ? "" : "s", want);
		else
			problem(t, "%zu %s%s, need %s", n, what,
				n == 1 ? "" : "s", want);
		return;
	}
	for (size_t i = 0; i < r->within.len; i++) {
		struct pe_md_range *sections;
		size_t n = 0, nsections = pe_md_find_sections(
				      md, r->within.norm[i], 1, &sections);
		char several[64] = "";

		t->checks++;
		if (!nsections) {
			problem(t, "%s: section '%s' not found",
				rule_names[kind], r->within.raw[i]);
			t->unread = 1;
			continue;
		}
		/* Every section of that name counts (markdown.h). */
		for (size_t k = 0; k < nsections; k++)
			n += count_in(md, kind, sections[k].start,
				      sections[k].end);
		free(sections);
		if (nsections > 1)
			pe_snprintf(several, sizeof(several),
				    " (%zu sections of that name)", nsections);
		if (pe_bound_holds(&r->bound, n))
			held(t, "%zu %s%s in %s%s (need %s)", n, what,
			     n == 1 ? "" : "s", r->within.raw[i], several,
			     want);
		else
			problem(t, "%zu %s%s in %s%s, need %s", n, what,
				n == 1 ? "" : "s", r->within.raw[i], several,
				want);
	}
}

static void score_format(const void *state, const struct pe_evalspec *spec,
			 const struct pe_eval_input *in,
			 struct pe_eval_result *out)
{
	const struct format_state *st = state;
	struct tally t = { 0, 0, 0, { 0 }, { 0 } };

	(void)spec;
	pe_buf_init(&t.problems, 0);
	pe_buf_init(&t.held, 0);
	for (int i = 0; i < 3; i++)
		if (st->rules[i].active)
			check_count(&st->rules[i], (enum count_kind)i,
				    pe_eval_md(in), &t);
	if (st->max_level) {
		size_t n, deepest = 0;
		const struct pe_md_heading *h =
			pe_md_headings(pe_eval_md(in), &n);

		for (size_t i = 0; i < n; i++)
			if (h[i].level > deepest)
				deepest = h[i].level;
		t.checks++;
		if (deepest <= st->max_level)
			held(&t, "headings at most level %zu (deepest %zu)",
			     st->max_level, deepest);
		else
			problem(&t,
				"a level-%zu heading, deepest allowed is %zu",
				deepest, st->max_level);
	}
	if (st->no_html) {
		size_t html = pe_md_html_count(pe_eval_md(in));

		t.checks++;
		if (!html)
			held(&t, "no raw HTML");
		else
			problem(&t, "%zu raw HTML element%s", html,
				html == 1 ? "" : "s");
	}
	if (t.passed == t.checks)
		pe_result_set(out, PE_VERDICT_PASS, 1, "%s",
			      pe_buf_str(&t.held));
	else
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)t.passed / (double)t.checks, "%s",
			      pe_buf_str(&t.problems));
	/* "not" cannot pass a rule whose section is not there. */
	out->unchecked = t.unread;
	pe_buf_release(&t.problems);
	pe_buf_release(&t.held);
}

static const char *const format_keys[] = { "format", NULL };

const struct pe_evaluator_ops pe_format_ops = {
	.as_written = 1,
	.name = "format",
	.example = "{format: {bullets: 1}}",
	.keys = format_keys,
	.known_keys = format_keys,
	.compile = compile_format,
	.score = score_format,
	.free = free_format,
};
