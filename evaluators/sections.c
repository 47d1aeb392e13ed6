/*
 * Required sections: headings that must be present, optionally in order,
 * at one level, and with a minimum number of words each.  Headings are
 * matched after normalisation (case, numbering, emphasis, punctuation), so
 * "## 3. **Phase Plan**:" satisfies "Phase Plan".
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

struct sections_state {
	struct pe_names required;
	int ordered;
	size_t level; /* 0: any */
	size_t min_words;
	int bold_headings;
};

static void free_sections(void *state)
{
	struct sections_state *st = state;

	if (!st)
		return;
	pe_names_release(&st->required);
	free(st);
}

static int compile_sections(const struct pe_evalspec *spec,
			    const struct pe_prompt *prompt, void **state,
			    struct pe_diag *diag)
{
	static const char *const known[] = { "required",      "ordered",
					     "level",	      "min_words",
					     "bold_headings", NULL };
	const struct pe_node *body = pe_evaluator_settings(spec);
	struct sections_state *st;

	(void)prompt;
	if (body && body->kind == PE_NODE_SEQ) {
		/* Shorthand: sections: [A, B, C] means required, ordered. */
		st = xcalloc(1, sizeof(*st));
		st->ordered = 1;
		if (pe_setting_names(spec->node, "sections", &st->required,
				     diag)) {
			free(st);
			return PE_ERR_INVALID;
		}
		if (!st->required.len) {
			pe_diag_error(diag, &body->mark,
				      "'sections' is empty: give the headings "
				      "to look for");
			free_sections(st);
			return PE_ERR_INVALID;
		}
		*state = st;
		return PE_OK;
	}
	if (pe_setting_require_map(body, "sections", diag))
		return PE_ERR_INVALID;
	pe_node_check_keys(body, known, "a sections evaluator", diag);
	st = xcalloc(1, sizeof(*st));
	if (pe_setting_names(body, "required", &st->required, diag) ||
	    pe_setting_bool(body, "ordered", &st->ordered, diag) ||
	    pe_setting_count(body, "level", 1, 6, &st->level, diag) ||
	    pe_setting_count(body, "min_words", 0, 1000000, &st->min_words,
			     diag) ||
	    pe_setting_bool(body, "bold_headings", &st->bold_headings, diag)) {
		free_sections(st);
		return PE_ERR_INVALID;
	}
	if (!st->required.len) {
		pe_diag_error(diag, &body->mark,
			      "sections evaluator needs 'required': the "
			      "headings to look for");
		free_sections(st);
		return PE_ERR_INVALID;
	}
	*state = st;
	return PE_OK;
}

/* Whether heading j may stand for a section at st's level. */
static int usable(const struct sections_state *st,
		  const struct pe_md_heading *h)
{
	return (h->level || st->bold_headings) &&
	       (!st->level || !h->level || h->level == st->level);
}

/*
 * Finds the first usable heading matching name at or after from that no
 * other name has (used, when given), and in *wrong_level the first that
 * matches at another level.
 */
static long find_heading(const struct sections_state *st,
			 const struct pe_md_heading *h, size_t n,
			 const char *name, size_t from,
			 const unsigned char *used, long *wrong_level)
{
	for (size_t j = from; j < n; j++) {
		if (!h[j].level && !st->bold_headings)
			continue;
		if (used && used[j])
			continue;
		if (!pe_md_heading_matches(h[j].norm, name))
			continue;
		if (!usable(st, &h[j])) {
			if (*wrong_level < 0)
				*wrong_level = (long)j;
			continue;
		}
		return (long)j;
	}
	return -1;
}

struct fit {
	const struct sections_state *st;
	const struct pe_md_heading *h;
};

static int heading_fits(size_t name, size_t j, void *ctx)
{
	const struct fit *f = ctx;

	return usable(f->st, &f->h[j]) &&
	       pe_md_heading_matches(f->h[j].norm, f->st->required.norm[name]);
}

/*
 * Each required name needs a heading of its own: "Risk" and "Risk
 * Register" are not both present in one "## Risk Register".  In order,
 * each takes the first free heading after the one before; in any order,
 * as many names as can have one get one (pe_names_match).
 */
static void score_sections(const void *state, const struct pe_evalspec *spec,
			   const struct pe_eval_input *in,
			   struct pe_eval_result *out)
{
	const struct sections_state *st = state;
	size_t n, good = 0, prev_pos = 0, len;
	const struct pe_md_heading *h = pe_md_headings(pe_eval_md(in), &n);
	const char *text = pe_md_text(pe_eval_md(in), &len);
	long prev = -1;
	const char *prev_name = NULL;
	struct pe_buf missing, order, level, shortness;
	unsigned char *used = xcalloc(n + 1, 1);
	long *heading_of = NULL;

	(void)spec;
	if (!st->ordered) {
		struct fit f = { st, h };

		heading_of = xmalloc(st->required.len * sizeof(*heading_of));
		pe_names_match(st->required.len, n, heading_fits, &f,
			       heading_of);
	}
	pe_buf_init(&missing, 0);
	pe_buf_init(&order, 0);
	pe_buf_init(&level, 0);
	pe_buf_init(&shortness, 0);
	for (size_t i = 0; i < st->required.len; i++) {
		const char *name = st->required.norm[i];
		const char *raw = st->required.raw[i];
		long wrong = -1, j;
		int ok = 1;

		if (!st->ordered) {
			j = heading_of[i];
			if (j < 0) /* only to tell a wrong level */
				find_heading(st, h, n, name, 0, NULL, &wrong);
		} else {
			j = find_heading(st, h, n, name, prev_pos, used,
					 &wrong);
			if (j < 0)
				j = find_heading(st, h, n, name, 0, used,
						 &wrong);
		}
		if (j < 0) {
			if (wrong >= 0)
				pe_buf_addf(&level, "%s%s (level %u, need %zu)",
					    level.len ? ", " : "", raw,
					    h[wrong].level, st->level);
			else
				pe_buf_addf(&missing, "%s%s",
					    missing.len ? ", " : "", raw);
			continue;
		}
		used[j] = 1;
		if (st->ordered && prev >= 0 && j < prev) {
			pe_buf_addf(&order, "%s%s before %s",
				    order.len ? ", " : "", raw, prev_name);
			ok = 0;
		} else {
			prev = j;
			prev_pos = (size_t)j + 1;
			prev_name = raw;
		}
		if (st->min_words) {
			size_t body, end, words;

			pe_md_section_range(pe_eval_md(in), (size_t)j, &body,
					    &end);
			words = pe_md_count_words(text + body, end - body);
			if (words < st->min_words) {
				pe_buf_addf(&shortness,
					    "%s%s (%zu of %zu words)",
					    shortness.len ? ", " : "", raw,
					    words, st->min_words);
				ok = 0;
			}
		}
		good += ok;
	}
	free(used);
	free(heading_of);
	if (good == st->required.len) {
		if (st->required.len == 1)
			pe_result_set(out, PE_VERDICT_PASS, 1,
				      "the section is present");
		else
			pe_result_set(out, PE_VERDICT_PASS, 1,
				      "all %zu sections present%s",
				      st->required.len,
				      st->ordered ? " in order" : "");
	} else {
		struct pe_buf reason;

		pe_buf_init(&reason, 0);
		if (missing.len)
			pe_buf_addf(&reason, "missing sections: %s",
				    pe_buf_str(&missing));
		if (level.len)
			pe_buf_addf(&reason, "%swrong heading level: %s",
				    reason.len ? "; " : "", pe_buf_str(&level));
		if (order.len)
			pe_buf_addf(&reason, "%sout of order: %s",
				    reason.len ? "; " : "", pe_buf_str(&order));
		if (shortness.len)
			pe_buf_addf(&reason, "%stoo short: %s",
				    reason.len ? "; " : "",
				    pe_buf_str(&shortness));
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)good / (double)st->required.len, "%s",
			      pe_buf_str(&reason));
		pe_buf_release(&reason);
	}
	pe_buf_release(&missing);
	pe_buf_release(&order);
	pe_buf_release(&level);
	pe_buf_release(&shortness);
}

static const char *const sections_keys[] = { "sections", NULL };

const struct pe_evaluator_ops pe_sections_ops = {
	.as_written = 1,
	.name = "sections",
	.example = "{sections: [Summary]}",
	.keys = sections_keys,
	.known_keys = sections_keys,
	.compile = compile_sections,
	.score = score_sections,
	.free = free_sections,
};
