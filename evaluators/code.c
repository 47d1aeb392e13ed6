/*
 * Code blocks: at least min blocks in a language, optionally one of them
 * matching a regex over the code alone (so "CREATE INDEX CONCURRENTLY" in
 * prose does not count).  A block's language is the first word of its
 * fence info, lower-cased; "sql" also accepts dialects whose name ends in
 * it (postgresql, mysql, plpgsql, tsql).
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/pattern.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

struct code_state {
	char *language; /* lower case; NULL: any */
	size_t min;
	struct pe_pattern *contains;
	char *shown;
};

static void free_code(void *state)
{
	struct code_state *st = state;

	if (!st)
		return;
	free(st->language);
	pe_pattern_free(st->contains);
	free(st->shown);
	free(st);
}

static int compile_contains(struct code_state *st, const struct pe_node *pat,
			    const struct pe_prompt *prompt,
			    struct pe_diag *diag)
{
	char err[256];
	size_t off = 0;

	if (pat->kind != PE_NODE_STRING || !pat->len) {
		pe_diag_error(diag, &pat->mark,
			      "'contains' must be a regular expression");
		return PE_ERR_INVALID;
	}
	st->contains = pe_pattern_compile(pat->text, pat->len, "", err,
					  sizeof(err), &off);
	if (!st->contains) {
		struct pe_mark m = pe_doc_scalar_mark(
			pe_prompt_doc_of(prompt, pat), pat, off);

		pe_diag_error(diag, &m,
			      "invalid regex in 'contains': %s (at offset %zu "
			      "of the pattern)",
			      err, off);
		return PE_ERR_INVALID;
	}
	if (pe_pattern_empty_everywhere(st->contains)) {
		pe_diag_error(diag, &pat->mark,
			      "'contains' /%s/ can match the empty string "
			      "anywhere, so every code block matches it and it "
			      "checks nothing",
			      pat->text);
		return PE_ERR_INVALID;
	}
	st->shown = pat->len > 40 ? pe_shorten(pat->text, pat->len, 37)
				  : xstrdup(pat->text);
	return PE_OK;
}

static int compile_code(const struct pe_evalspec *spec,
			const struct pe_prompt *prompt, void **state,
			struct pe_diag *diag)
{
	static const char *const known[] = { "language", "min", "contains",
					     NULL };
	const struct pe_node *body = pe_evaluator_settings(spec), *lang,
			     *contains;
	struct code_state *st;

	if (pe_setting_require_map(body, "code", diag))
		return PE_ERR_INVALID;
	pe_node_check_keys(body, known, "a code evaluator", diag);
	st = xcalloc(1, sizeof(*st));
	st->min = 1;
	lang = pe_node_get(body, "language");
	if (lang) {
		if (lang->kind != PE_NODE_STRING || !lang->len) {
			pe_diag_error(diag, &lang->mark,
				      "'language' must be a name such as sql");
			free_code(st);
			return PE_ERR_INVALID;
		}
		st->language = xstrdup(lang->text);
		for (char *p = st->language; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	contains = pe_node_get(body, "contains");
	if (pe_setting_count(body, "min", 0, 100000, &st->min, diag) ||
	    (contains && compile_contains(st, contains, prompt, diag))) {
		free_code(st);
		return PE_ERR_INVALID;
	}
	if (pe_node_get(body, "min") && !st->min && !contains) {
		pe_diag_error(diag, &pe_node_get(body, "min")->mark,
			      "'min: 0' code blocks are met by any answer, so "
			      "it checks nothing");
		free_code(st);
		return PE_ERR_INVALID;
	}
	*state = st;
	return PE_OK;
}

static int language_matches(const char *want, const char *lang)
{
	size_t lw, ll;

	if (!want)
		return 1;
	if (!strcmp(want, lang))
		return 1;
	lw = strlen(want);
	ll = strlen(lang);
	return !strcmp(want, "sql") && ll > lw && !strcmp(lang + ll - lw, want);
}

static void score_code(const void *state, const struct pe_evalspec *spec,
		       const struct pe_eval_input *in,
		       struct pe_eval_result *out)
{
	const struct code_state *st = state;
	size_t n, blocks = 0, hits = 0;
	const struct pe_md_code *c = pe_md_codes(pe_eval_md(in), &n);
	const char *lang = st->language ? st->language : "code";
	char err[256];

	(void)spec;
	for (size_t i = 0; i < n; i++) {
		size_t count = 0;

		if (!language_matches(st->language, c[i].lang))
			continue;
		blocks++;
		if (!st->contains)
			continue;
		if (pe_pattern_count(st->contains, c[i].code ? c[i].code : "",
				     c[i].code_len, 1, &count, err,
				     sizeof(err))) {
			pe_result_set(out, PE_VERDICT_ERROR, 0,
				      "regex /%s/ could not be matched: %s",
				      st->shown, err);
			return;
		}
		hits += count > 0;
	}
	if (blocks < st->min)
		pe_result_set(out, PE_VERDICT_FAIL,
			      st->min ? (double)blocks / (double)st->min : 0,
			      "%zu %s block%s, need at least %zu", blocks, lang,
			      blocks == 1 ? "" : "s", st->min);
	else if (st->contains && !hits)
		pe_result_set(out, PE_VERDICT_FAIL, 0.5,
			      "no %s block matches /%s/", lang, st->shown);
	else if (st->contains)
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "%zu %s block%s, %zu matching /%s/", blocks, lang,
			      blocks == 1 ? "" : "s", hits, st->shown);
	else
		pe_result_set(out, PE_VERDICT_PASS, 1, "%zu %s block%s", blocks,
			      lang, blocks == 1 ? "" : "s");
}

static const char *const code_keys[] = { "code", NULL };

const struct pe_evaluator_ops pe_code_ops = {
	.as_written = 1,
	.name = "code",
	.example = "{code: {language: sql}}",
	.keys = code_keys,
	.known_keys = code_keys,
	.compile = compile_code,
	.score = score_code,
	.free = free_code,
};
