/*
 * The regex evaluator: one pattern, or a list that must all match, with
 * flags, a match count and a target, over the output.  Matching goes
 * through the PCRE2 wrapper (core/pattern.h).
 */
#include "harness/core/pattern.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/util.h"
#include "evaluators/evaluator.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

/* What a regex evaluator says, as nodes of the prompt's document. */
struct regex_spec {
	/*
	 * The pattern scalar (its marks map PCRE2 offsets back to the file),
	 * or a list of pattern scalars that must all match.
	 */
	const struct pe_node *pattern;
	/* The mapping with flags, count and target beside the pattern. */
	const struct pe_node *settings;
};

struct regex_state {
	struct pe_pattern **re; /* all must match */
	char **shown;		/* each pattern, shortened for reasons */
	size_t npatterns;
	struct pe_bound count;
	struct pe_part target;
	char *target_suffix; /* " in section X", for reasons */
};

/* A regex flag: its letter and its names in other libraries. */
struct flag_name {
	char letter;
	const char *names[3];
};

static const struct flag_name flag_names[] = {
	{ 'i', { "ignorecase", "ignore_case", NULL } },
	{ 'm', { "multiline", NULL, NULL } },
	{ 's', { "dotall", NULL, NULL } },
	{ 'x', { "verbose", "extended", NULL } },
	{ 0, { NULL, NULL, NULL } },
};

/*
 * Adds the flags one word gives to letters (room for 4 more): letters
 * from "imsx", where JavaScript's "g" (every match is counted anyway)
 * and "u" (patterns are always Unicode) add nothing, or a flag's name as
 * Python writes it ("DOTALL", "re.IGNORECASE"), in any case.  Returns 0,
 * or -1 when the word is neither.
 */
static int add_flag_word(const char *word, char *letters)
{
	const char *w = strncmp(word, "re.", 3) ? word : word + 3;
	size_t n = strlen(letters);

	for (const struct flag_name *f = flag_names; f->letter; f++)
		for (size_t k = 0; k < 3 && f->names[k]; k++)
			if (!strcasecmp(w, f->names[k])) {
				if (!strchr(letters, f->letter))
					letters[n++] = f->letter;
				letters[n] = '\0';
				return 0;
			}
	if (strspn(word, "imsxgu") != strlen(word))
		return -1;
	for (const char *c = word; *c; c++)
		if (*c != 'g' && *c != 'u' && !memchr(letters, *c, n))
			letters[n++] = *c;
	letters[n] = '\0';
	return 0;
}

/* Reads "flags:" (a word or a list of words) into letters (8 bytes). */
static int read_flags(const struct pe_node *f, char letters[8],
		      struct pe_diag *diag)
{
	int bad = 0;

	letters[0] = '\0';
	if (!f)
		return PE_OK;
	if (f->kind == PE_NODE_SEQ)
		for (size_t i = 0; i < f->count && !bad; i++)
			bad = f->items[i]->kind != PE_NODE_STRING ||
			      add_flag_word(f->items[i]->text, letters);
	else
		bad = f->kind != PE_NODE_STRING ||
		      add_flag_word(f->text, letters);
	if (!bad)
		return PE_OK;
	pe_diag_error(diag, &f->mark,
		      "'flags' must be letters from \"imsx\" (i: ignore case, "
		      "m: multi-line, s: dot matches newline, x: extended; g "
		      "and u change nothing) or their names (ignorecase, "
		      "multiline, dotall, verbose)");
	return PE_ERR_INVALID;
}

/*
 * The mapping that holds the setting key: body, the pattern's own
 * mapping, or else the evaluator, so that a setting beside string:
 * {regex: ...} or regex: {pattern: ...} is read too, never dropped.
 */
static const struct pe_node *setting_map(const struct pe_evalspec *spec,
					 const struct pe_node *body,
					 const char *key)
{
	return pe_node_get(body, key) || !pe_node_get(spec->node, key)
		       ? body
		       : spec->node;
}

static int read_regex_settings(struct regex_state *st,
			       const struct pe_evalspec *spec, char flags[8],
			       struct pe_diag *diag)
{
	const struct pe_node *body =
		((const struct regex_spec *)spec->data)->settings;

	if (read_flags(pe_node_get(setting_map(spec, body, "flags"), "flags"),
		       flags, diag))
		return PE_ERR_INVALID;
	if (pe_setting_bound(setting_map(spec, body, "count"), "count",
			     &st->count, diag))
		return PE_ERR_INVALID;
	if (!st->count.given)
		st->count.min = 1;
	if (!pe_node_get(body, pe_setting_target_key(body)))
		body = spec->node;
	if (pe_setting_target(body, &st->target, diag))
		return PE_ERR_INVALID;
	if (st->target.name)
		st->target_suffix = xstrfmt(" in section %s", st->target.name);
	return PE_OK;
}

static void free_regex(void *state)
{
	struct regex_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; i < st->npatterns; i++) {
		pe_pattern_free(st->re[i]);
		free(st->shown[i]);
	}
	free(st->re);
	free(st->shown);
	pe_part_release(&st->target);
	free(st->target_suffix);
	free(st);
}

static int compile_one(struct regex_state *st, const struct pe_node *pat,
		       const char *flags, const struct pe_evalspec *spec,
		       const struct pe_prompt *prompt, struct pe_diag *diag)
{
	char err[256];
	size_t off = 0;
	struct pe_pattern *re = pe_pattern_compile(pat->text, pat->len, flags,
						   err, sizeof(err), &off);

	if (!re) {
		struct pe_mark m = pe_doc_scalar_mark(
			pe_prompt_doc_of(prompt, pat), pat, off);

		pe_diag_error(diag, &m,
			      "invalid regex in evaluator '%s': %s (at offset "
			      "%zu of the pattern)",
			      spec->name ? spec->name : "regex", err, off);
		return PE_ERR_INVALID;
	}
	/* With a max, the empty matches counted cap the answer's length. */
	if (st->count.max == SIZE_MAX && pe_pattern_empty_everywhere(re)) {
		pe_diag_error(diag, &pat->mark,
			      "regex /%s/ in evaluator '%s' can match the "
			      "empty string anywhere, so every answer matches "
			      "it and it checks nothing",
			      pat->text, spec->name ? spec->name : "regex");
		pe_pattern_free(re);
		return PE_ERR_INVALID;
	}
	st->re[st->npatterns] = re;
	st->shown[st->npatterns] = pat->len > 40
					   ? pe_shorten(pat->text, pat->len, 37)
					   : xstrdup(pat->text);
	st->npatterns++;
	return PE_OK;
}

static int compile_regex(const struct pe_evalspec *spec,
			 const struct pe_prompt *prompt, void **state,
			 struct pe_diag *diag)
{
	struct regex_state *st = xcalloc(1, sizeof(*st));
	const struct pe_node *pat =
		((const struct regex_spec *)spec->data)->pattern;
	size_t n = pat->kind == PE_NODE_SEQ ? pat->count : 1;
	char flags[8];
	int rc = PE_OK;

	st->re = xcalloc(n, sizeof(*st->re));
	st->shown = xcalloc(n, sizeof(*st->shown));
	if (read_regex_settings(st, spec, flags, diag)) {
		free_regex(st);
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		if (compile_one(st,
				pat->kind == PE_NODE_SEQ ? pat->items[i] : pat,
				flags, spec, prompt, diag))
			rc = PE_ERR_INVALID;
	if (rc) {
		free_regex(st);
		return rc;
	}
	*state = st;
	return PE_OK;
}

/* Reports the one pattern's result; see score_regex for lists. */
static void score_single(const struct regex_state *st, size_t count,
			 struct pe_eval_result *out)
{
	char want[64];

	pe_bound_describe(&st->count, want, sizeof(want));
	if (pe_bound_holds(&st->count, count))
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "/%s/ matched %s%zu time%s", st->shown[0],
			      st->count.max == SIZE_MAX ? "at least " : "",
			      count, count == 1 ? "" : "s");
	else if (!count)
		pe_result_set(out, PE_VERDICT_FAIL, 0, "no match for /%s/%s%s",
			      st->shown[0],
			      st->target.name ? " in section " : "",
			      st->target.name ? st->target.name : "");
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "/%s/ matched %zu time%s, expected %s",
			      st->shown[0], count, count == 1 ? "" : "s", want);
}

static void score_regex(const void *state, const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	const struct regex_state *st = state;
	const char *subject = in->output;
	size_t len = in->len, held = 0, count = 0, nsections = 0;
	struct pe_buf missing, joined; /* joined: sections read together */
	char err[256], want[64];
	int default_count = st->count.min == 1 && st->count.max == SIZE_MAX;

	(void)spec;
	pe_buf_init(&joined, 0);
	if (st->target.norm) {
		subject = pe_eval_sections_text(in, st->target.norm, &joined,
						&len, &nsections);
		if (!subject) {
			pe_result_unchecked(out, "section '%s' not found",
					    st->target.name);
			return;
		}
	}
	pe_buf_init(&missing, 0);
	for (size_t i = 0; i < st->npatterns; i++) {
		if (pe_pattern_count(st->re[i], subject, len,
				     st->count.max == SIZE_MAX ? st->count.min
							       : 0,
				     &count, err, sizeof(err))) {
			pe_result_set(out, PE_VERDICT_ERROR, 0,
				      "regex /%s/ could not be matched: %s",
				      st->shown[i], err);
			pe_buf_release(&missing);
			pe_buf_release(&joined);
			return;
		}
		if (pe_bound_holds(&st->count, count))
			held++;
		else if (missing.len < 300 && default_count)
			pe_buf_addf(&missing, "%s/%s/", missing.len ? ", " : "",
				    st->shown[i]);
		else if (missing.len < 300)
			pe_buf_addf(&missing, "%s/%s/ matched %zu time%s",
				    missing.len ? ", " : "", st->shown[i],
				    count, count == 1 ? "" : "s");
	}
	pe_bound_describe(&st->count, want, sizeof(want));
	if (st->npatterns == 1)
		score_single(st, count, out);
	else if (held == st->npatterns)
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "all %zu patterns matched%s%s", st->npatterns,
			      st->target.name ? " in section " : "",
			      st->target.name ? st->target.name : "");
	else
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)held / (double)st->npatterns,
			      "%s%s%s%s%s (%zu of %zu patterns matched)",
			      default_count ? "no match for " : "",
			      pe_buf_str(&missing),
			      default_count ? "" : ", each needs ",
			      default_count ? "" : want,
			      st->target.name ? st->target_suffix : "", held,
			      st->npatterns);
	pe_result_note_sections(out, nsections);
	pe_buf_release(&missing);
	pe_buf_release(&joined);
}

static int is_pattern(const struct pe_node *n)
{
	return n && pe_setting_text(n) && n->len;
}

static int pattern_error(const struct pe_evalspec *spec,
			 const struct pe_node *at, struct pe_diag *diag)
{
	pe_diag_error(diag, at ? &at->mark : &spec->mark,
		      "regex evaluator needs a non-empty pattern (or a "
		      "non-empty list of them)");
	return PE_ERR_INVALID;
}

/*
 * Inverts spec for "match: false" in map, and for other libraries'
 * "invert: true" and "negate: true" when inner (in a mapping that holds
 * the pattern; beside the evaluator they are read as "not").  Each must
 * be true or false, and one is given in all: *given names the first
 * seen, to refuse a second.  Returns PE_OK or PE_ERR_INVALID.
 */
static int read_inversion(struct pe_evalspec *spec, const struct pe_node *map,
			  int inner, const char **given, struct pe_diag *diag)
{
	static const char *const keys[] = { "match", "invert", "negate" };

	for (size_t i = 0; map && i < (inner ? 3u : 1u); i++) {
		const struct pe_node *b = pe_node_get(map, keys[i]);

		if (!b)
			continue;
		if (b->kind != PE_NODE_BOOL) {
			pe_diag_error(diag, &b->mark,
				      "'%s' must be true or false, not a %s",
				      keys[i], pe_node_kind_name(b->kind));
			return PE_ERR_INVALID;
		}
		if (*given) {
			pe_diag_error(diag, &b->mark,
				      "'%s' beside '%s': give one", keys[i],
				      *given);
			return PE_ERR_INVALID;
		}
		*given = keys[i];
		if (b->bval == (i > 0))
			spec->negate ^= 1;
	}
	return PE_OK;
}

/*
 * Reads a regex value: a pattern, a list of patterns, or a mapping with the
 * pattern and its settings.  holder is the mapping the value came from
 * (the evaluator, or a "string:" mapping), whose settings beside the
 * pattern apply too; "match: false" beside it is read from the evaluator.
 */
static int parse_value(struct pe_evalspec *spec, const struct pe_node *holder,
		       const struct pe_node *value, struct pe_diag *diag)
{
	struct regex_spec *data = xcalloc(1, sizeof(*data));
	const char *given = NULL; /* the inversion key read */

	spec->data = data;
	if (value && value->kind == PE_NODE_MAP) {
		static const char *const known[] = { "pattern", "match",
						     "flags",	"count",
						     "target",	"invert",
						     "negate",	NULL };

		pe_node_check_keys(value, known, "a regex evaluator", diag);
		if (read_inversion(spec, value, 1, &given, diag))
			return PE_ERR_INVALID;
		data->settings = value;
		value = pe_node_get(value, "pattern");
		if (!value) {
			pe_diag_error(diag, &spec->mark,
				      "regex evaluator needs 'pattern'");
			return PE_ERR_INVALID;
		}
	}
	if (value && value->kind == PE_NODE_SEQ) {
		/* A list of patterns: every one must match. */
		for (size_t i = 0; i < value->count; i++)
			if (!is_pattern(value->items[i]))
				return pattern_error(spec, value->items[i],
						     diag);
		if (!value->count)
			return pattern_error(spec, value, diag);
	} else if (!is_pattern(value)) {
		return pattern_error(spec, value, diag);
	}
	if (!data->settings)
		data->settings = holder;
	/* "match: false" beside the pattern inverts it too, and in a
	 * "string:" mapping so do "invert" and "negate". */
	if (holder != spec->node &&
	    read_inversion(spec, holder, 1, &given, diag))
		return PE_ERR_INVALID;
	if (read_inversion(spec, spec->node, 0, &given, diag))
		return PE_ERR_INVALID;
	data->pattern = value;
	return PE_OK;
}

/* Makes spec a regex of patterns, for other families; see evaluator.h. */
int pe_regex_parse_patterns(struct pe_evalspec *spec,
			    const struct pe_node *holder,
			    const struct pe_node *patterns,
			    struct pe_diag *diag)
{
	spec->ops = pe_evaluator_by_type("regex");
	return parse_value(spec, holder, patterns, diag);
}

/*
 * "regex: ..." in node, or "type: regex" with pattern, patterns, regex,
 * value or expected ("match_type" is "type: string_match"'s, handed
 * over by string.c).
 */
static int parse_regex(struct pe_evalspec *spec, const struct pe_node *node,
		       const struct pe_node *type, struct pe_diag *diag)
{
	static const char *const typed[] = { "pattern", "patterns", "regex",
					     "value",	"expected", NULL };
	const struct pe_node *p = NULL;

	/* "expected" holds the pattern in "type: regex_match" + property. */
	for (size_t i = 0; type && typed[i] && !p; i++)
		p = pe_node_get(node, typed[i]);
	if (!type)
		p = pe_node_get(node, "regex");
	return parse_value(spec, node, p, diag);
}

/* "/a/" or "/a/, /b/". */
static void describe_regex(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct pe_node *pat =
		((const struct regex_spec *)spec->data)->pattern;
	size_t n = pat->kind == PE_NODE_SEQ ? pat->count : 1;

	for (size_t i = 0; i < n; i++)
		pe_buf_addf(
			out, "%s/%s/", i ? ", " : "",
			(pat->kind == PE_NODE_SEQ ? pat->items[i] : pat)->text);
}

static const char *const regex_keys[] = { "regex", NULL };
static const char *const regex_types[] = { "regex", "regex_match", NULL };
/* "string" for string: {regex: ...}, which is read as a regex. */
static const char *const regex_known_keys[] = {
	"regex",    "pattern",	"value",    "flags",	  "count",
	"target",   "match",	"string",   "invert",	  "negate",
	"property", "expected", "patterns", "match_type", NULL
};

const struct pe_evaluator_ops pe_regex_ops = {
	.as_written = 1,
	.name = "regex",
	.example = "{regex: '^hello'}",
	.keys = regex_keys,
	.types = regex_types,
	.known_keys = regex_known_keys,
	.hint = 1,
	.parse = parse_regex,
	.release = free,
	.describe = describe_regex,
	.compile = compile_regex,
	.score = score_regex,
	.free = free_regex,
};
