/*
 * String checks: equals, contains, startsWith, endsWith, containsAny and
 * containsAll, with values rendered from the case's variables at score
 * time.  As in gh-models, the answer is trimmed of white space at both
 * ends first (Unicode White_Space, as Go's strings.TrimSpace) and the
 * value is not.  equals compares bytes, exactly; every other check
 * compares without case: the answer and the value are both case-folded
 * (Unicode full case folding with NFC, harness/core/unicode.h), so
 * "ÉCOLE" matches "une école" and "STRASSE" matches "Straße".  Each byte
 * of the answer that is not well-formed UTF-8 folds to U+FFFD, as Go's
 * strings.ToLower makes it, so such answers score like any other.
 *
 * An empty value counts as not set, as in gh-models: a "string:" mapping
 * checks the first key of equals > contains > startsWith > endsWith (then
 * prompteval's own spellings) whose value is not empty, and one whose
 * every key is empty checks nothing: it loads as unsupported, with a
 * warning, and its cases are ungraded (gh-models fails it at run time).  A value that is empty only
 * once a case's variables fill it checks nothing.  gh-models tests for
 * emptiness before it renders, so it would pass every answer there;
 * prompteval fails the check instead, with a reason that says so, and
 * "not:" does not turn that into a pass.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/literals.h"
#include "harness/core/unicode.h"
#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

enum { REASON_VALUE_MAX = 60 };

enum string_op {
	STR_EQUALS,
	STR_CONTAINS,
	STR_STARTS_WITH,
	STR_ENDS_WITH,
	STR_CONTAINS_ANY,
	STR_CONTAINS_ALL
};

/*
 * What a string evaluator says: one check, with one value or several,
 * over the whole answer or one section of it.
 */
struct string_spec {
	enum string_op op;
	int case_sensitive;
	struct pe_template **values; /* rendered with the case's variables */
	const struct pe_node **value_nodes; /* where each value is written */
	const char **written; /* each value as written (borrowed) */
	size_t nvalues;
	struct pe_part part; /* target: the whole answer, or a section */
};

/* The value of "target: expected": the case's expected value. */
static const char expected_value[] = "{{expected}}";

/* Whether text (len bytes) passes op with needle (nlen bytes, not 0). */
static int check_one(enum string_op op, const char *text, size_t len,
		     const char *needle, size_t nlen)
{
	switch (op) {
	case STR_EQUALS:
		return len == nlen && !memcmp(text, needle, nlen);
	case STR_STARTS_WITH:
		return len >= nlen && !memcmp(text, needle, nlen);
	case STR_ENDS_WITH:
		return len >= nlen && !memcmp(text + len - nlen, needle, nlen);
	default:
		return pe_literals_find(text, len, needle, nlen) < len;
	}
}

/* The check's verb, as in "does not <verb> 'x'" and "<verb>s 'x'". */
static const char *op_words(enum string_op op, int passed)
{
	switch (op) {
	case STR_EQUALS:
		return passed ? "equals" : "equal";
	case STR_STARTS_WITH:
		return passed ? "starts with" : "start with";
	case STR_ENDS_WITH:
		return passed ? "ends with" : "end with";
	default:
		return passed ? "contains" : "contain";
	}
}

/* Appends 'value' (shortened) to a comma-separated list. */
static void quote_value(struct pe_buf *list, const char *value, size_t len)
{
	char *shown;

	if (list->len > 300)
		return;
	shown = pe_shorten(value, len, REASON_VALUE_MAX);
	pe_buf_addf(list, "%s'%s'", list->len ? ", " : "", shown);
	free(shown);
}

/*
 * The result for value i rendering empty (or, from a variable, only white
 * space): a failed check, whether or not the evaluator is negated.
 */
static void fail_empty_value(const struct pe_evalspec *evalspec, size_t i,
			     struct pe_eval_result *out)
{
	const struct string_spec *spec = evalspec->data;
	char *shown = pe_shorten(spec->written[i], strlen(spec->written[i]),
				 REASON_VALUE_MAX);

	pe_result_unchecked(out,
			    "the value '%s' is empty (or white space) for this "
			    "case, so nothing "
			    "was checked",
			    shown);
	free(shown);
}

/* What the values found and missed in the answer. */
struct tally {
	size_t hits;
	struct pe_buf found;
	struct pe_buf missing;
};

/*
 * Checks every value against text (the trimmed answer, case-folded
 * unless the check keeps case) into t.  Returns the index of a value
 * that rendered empty, or spec->nvalues when none did.
 */
static size_t check_values(const struct string_spec *spec,
			   const struct pe_eval_input *in, const char *text,
			   size_t len, struct tally *t)
{
	struct pe_buf value, folded;
	size_t i;

	pe_buf_init(&value, 0);
	pe_buf_init(&folded, 0);
	for (i = 0; i < spec->nvalues; i++) {
		const char *needle;
		size_t nlen;
		int hit;

		pe_buf_reset(&value);
		pe_eval_render(spec->values[i], in, &value);
		if (!value.len)
			break;
		if (!pe_template_is_constant(spec->values[i])) {
			/* A variable that is only white space checks nothing
			 * either, as an empty one does. */
			size_t trimmed = value.len;

			pe_unicode_trim(value.data, &trimmed);
			if (!trimmed)
				break;
		}
		needle = value.data;
		nlen = value.len;
		if (!spec->case_sensitive) {
			pe_buf_reset(&folded);
			pe_unicode_fold(value.data, value.len, &folded);
			needle = folded.data;
			nlen = folded.len;
		}
		hit = check_one(spec->op, text, len, needle, nlen);
		t->hits += hit;
		quote_value(hit ? &t->found : &t->missing, value.data,
			    value.len);
	}
	pe_buf_release(&folded);
	pe_buf_release(&value);
	return i;
}

static void set_result(const struct string_spec *spec, const struct tally *t,
		       struct pe_eval_result *out)
{
	int pass = spec->op == STR_CONTAINS_ANY ? t->hits > 0
						: t->hits == spec->nvalues;

	if (pass)
		pe_result_set(out, PE_VERDICT_PASS, 1, "%s %s",
			      op_words(spec->op, 1), pe_buf_str(&t->found));
	else if (spec->op == STR_CONTAINS_ANY)
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "does not contain any of %s",
			      pe_buf_str(&t->missing));
	else if (spec->op == STR_CONTAINS_ALL)
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)t->hits / (double)spec->nvalues,
			      "does not contain %s", pe_buf_str(&t->missing));
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0, "does not %s %s",
			      op_words(spec->op, 0), pe_buf_str(&t->missing));
}

static void score_string(const void *state, const struct pe_evalspec *evalspec,
			 const struct pe_eval_input *in,
			 struct pe_eval_result *out)
{
	const struct string_spec *spec = evalspec->data;
	size_t len = in->len, empty, nsections = 0;
	struct pe_buf joined; /* sections read together */
	const char *text = in->output;
	struct pe_buf answer;
	struct pe_eval_memo own = { 0 };
	struct tally t = { 0 };

	(void)state;
	pe_buf_init(&joined, 0);
	if (spec->part.norm) {
		text = pe_eval_sections_text(in, spec->part.norm, &joined, &len,
					     &nsections);
		if (!text) {
			pe_result_unchecked(out, "section '%s' not found",
					    spec->part.name);
			return;
		}
	}
	text = pe_unicode_trim(text, &len);
	pe_buf_init(&answer, PE_UNICODE_FOLD_GROWTH * len + 1);
	if (!spec->case_sensitive && !spec->part.norm) {
		/* The whole answer, folded once for all its evaluators. */
		const struct pe_eval_memo *m = pe_eval_folded(in, &own);

		if (!m) {
			pe_result_set(out, PE_VERDICT_ERROR, 0,
				      "the answer is too long to compare "
				      "without case");
			pe_eval_memo_release(&own);
			pe_buf_release(&answer);
			pe_buf_release(&joined);
			return;
		}
		text = pe_buf_str(&m->folded);
		len = m->folded.len;
	} else if (!spec->case_sensitive) {
		if (pe_unicode_fold(text, len, &answer)) {
			pe_result_set(out, PE_VERDICT_ERROR, 0,
				      "the answer is too long to compare "
				      "without case");
			pe_buf_release(&answer);
			pe_buf_release(&joined);
			return;
		}
		text = pe_buf_str(&answer);
		len = answer.len;
	}
	pe_buf_init(&t.found, 0);
	pe_buf_init(&t.missing, 0);
	empty = check_values(spec, in, text, len, &t);
	if (empty < spec->nvalues)
		fail_empty_value(evalspec, empty, out);
	else
		set_result(spec, &t, out);
	if (spec->part.name)
		pe_result_append(out, " in section %s", spec->part.name);
	pe_result_note_sections(out, nsections);
	/* equals compares bytes; the other checks read U+FFFD. */
	if (!spec->case_sensitive)
		pe_result_note_utf8(out, in);
	pe_buf_release(&t.found);
	pe_buf_release(&t.missing);
	pe_buf_release(&answer);
	pe_buf_release(&joined);
	pe_eval_memo_release(&own);
}

static void free_string_spec(void *data)
{
	struct string_spec *spec = data;

	for (size_t i = 0; i < spec->nvalues; i++)
		pe_template_free(spec->values[i]);
	free(spec->values);
	free(spec->value_nodes);
	free(spec->written);
	pe_part_release(&spec->part);
	free(spec);
}

/* Adds a value written as text, in the scalar n (or beside it). */
static void add_text(struct string_spec *spec, const struct pe_node *n,
		     const char *text)
{
	size_t i = spec->nvalues;

	spec->values = xrealloc(spec->values, (i + 1) * sizeof(*spec->values));
	spec->value_nodes = xrealloc(spec->value_nodes,
				     (i + 1) * sizeof(*spec->value_nodes));
	spec->written =
		xrealloc(spec->written, (i + 1) * sizeof(*spec->written));
	spec->values[i] = pe_template_parse(text, strlen(text));
	spec->value_nodes[i] = n;
	spec->written[i] = text;
	spec->nvalues++;
}

static void add_value(struct string_spec *spec, const struct pe_node *n)
{
	add_text(spec, n, n->text);
}

struct string_op_name {
	const char *name;
	enum string_op op;
	int case_sensitive;
	int negate;
};

/*
 * Spellings in "string:" mappings, in the order a mapping's check is
 * chosen: gh-models precedence for the first four, then prompteval's own.
 * gh-models compares contains/startsWith/endsWith without case and equals
 * with case; "icontains" is the explicit spelling.
 */
static const struct string_op_name string_ops[] = {
	{ "equals", STR_EQUALS, 1, 0 },
	{ "contains", STR_CONTAINS, 0, 0 },
	{ "startsWith", STR_STARTS_WITH, 0, 0 },
	{ "endsWith", STR_ENDS_WITH, 0, 0 },
	{ "icontains", STR_CONTAINS, 0, 0 },
	{ "containsAny", STR_CONTAINS_ANY, 0, 0 },
	{ "containsAll", STR_CONTAINS_ALL, 0, 0 },
	{ "notContains", STR_CONTAINS, 0, 1 },
	{ "does_not_contain", STR_CONTAINS, 0, 1 },
	{ "not_contains", STR_CONTAINS, 0, 1 },
	{ "includes", STR_CONTAINS, 0, 0 }, /* string: {includes: x} */
	{ NULL, STR_EQUALS, 0, 0 }
};

/* The check a spelling in string_ops names, or NULL. */
static const struct string_op_name *find_op(const char *name)
{
	for (const struct string_op_name *o = string_ops; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

/* A dialect's word for a check, and the spelling in string_ops it means. */
struct dialect_word {
	const char *word;
	const char *op;
};

/*
 * Other prompt libraries' "type:" names of the string checks (the
 * spellings in string_ops are types too).  "string_match" takes its check
 * from "match_type"; "expected_output" checks the case's expected value.
 */
static const struct dialect_word dialect_types[] = {
	{ "string_contains", "contains" }, { "assert_contains", "contains" },
	{ "includes_all", "containsAll" }, { "string_match", "contains" },
	{ "expected_output", "contains" }, { NULL, NULL }
};

/* The values of "match_type:" beside "type: string_match". */
static const struct dialect_word match_types[] = {
	{ "contains", "contains" },
	{ "includes", "contains" },
	{ "contains_all", "containsAll" },
	{ "all", "containsAll" },
	{ "contains_any", "containsAny" },
	{ "any", "containsAny" },
	{ "exact", "equals" },
	{ "equals", "equals" },
	{ "starts_with", "startsWith" },
	{ "startswith", "startsWith" },
	{ "ends_with", "endsWith" },
	{ "endswith", "endsWith" },
	{ "not_contains", "notContains" },
	{ NULL, NULL }
};

/*
 * Where "type:" string checks keep their value, in the order they are
 * read: "value", and other libraries' spellings of it.  Each is literal
 * text ("pattern" included: these checks do not read patterns).
 */
static const char *const value_keys[] = { "value",   "text",	"expected",
					  "pattern", "match",	"patterns",
					  "values",  "strings", NULL };

static const char *dialect_op(const struct dialect_word *words,
			      const char *word)
{
	for (size_t i = 0; words[i].word; i++)
		if (!strcmp(words[i].word, word))
			return words[i].op;
	return NULL;
}

/* Reads a list of values ("containsAny: [a, b]"). */
static int read_value_list(struct string_spec *spec, const struct pe_node *list,
			   const char *key, struct pe_diag *diag)
{
	if (!list->count) {
		pe_diag_error(diag, &list->mark,
			      "'%s' needs at least one string", key);
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct pe_node *item = list->items[i];

		if (!pe_setting_text(item)) {
			pe_diag_error(diag, &item->mark,
				      "'%s' items must be strings, not a %s",
				      key, pe_node_kind_name(item->kind));
			return PE_ERR_INVALID;
		}
		if (!item->len) {
			pe_diag_error(diag, &item->mark,
				      "'%s' items must be non-empty strings, "
				      "since an empty one would match "
				      "everything",
				      key);
			return PE_ERR_INVALID;
		}
		add_value(spec, item);
	}
	return PE_OK;
}

static int read_string_values(struct string_spec *spec,
			      const struct pe_node *value, const char *key,
			      struct pe_diag *diag)
{
	int many = spec->op == STR_CONTAINS_ANY || spec->op == STR_CONTAINS_ALL;

	if (many && value->kind == PE_NODE_SEQ)
		return read_value_list(spec, value, key, diag);
	if (!pe_setting_text(value)) {
		pe_diag_error(diag, &value->mark, "'%s' must be %s, not a %s",
			      key, many ? "a list of strings" : "a string",
			      pe_node_kind_name(value->kind));
		return PE_ERR_INVALID;
	}
	if (!value->len) {
		pe_diag_error(diag, &value->mark,
			      "'%s' is empty, so it would match everything",
			      key);
		return PE_ERR_INVALID;
	}
	add_value(spec, value);
	return PE_OK;
}

/* Sets the spec's data to check o with the values in value (under key). */
static int read_check(struct pe_evalspec *spec, const struct string_op_name *o,
		      const struct pe_node *value, const char *key,
		      struct pe_diag *diag)
{
	struct string_spec *data = xcalloc(1, sizeof(*data));

	data->op = o->op;
	data->case_sensitive = o->case_sensitive;
	spec->negate ^= o->negate;
	spec->data = data;
	return read_string_values(data, value, key, diag);
}

/*
 * The check of a list where one value was expected ("patterns: [a,
 * b]"): every value must be there, or, for a check that the answer does
 * not contain a value, none may be (containsAny, which the caller
 * negates).
 */
static const struct string_op_name *list_op(const struct string_op_name *o)
{
	if (o->op != STR_CONTAINS)
		return o;
	return find_op(o->negate ? "containsAny" : "containsAll");
}

/*
 * The check "type:" names, from the type itself, a dialect's name of it
 * or "match_type:".  Returns NULL after handing the spec to another
 * family (a regex) or to the unsupported one, with *rc set.
 */
static const struct string_op_name *type_op(struct pe_evalspec *spec,
					    const struct pe_node *node,
					    const struct pe_node *type,
					    struct pe_diag *diag, int *rc)
{
	const struct pe_node *mt = pe_node_get(node, "match_type");
	const char *name = dialect_op(dialect_types, type->text);

	if (!name)
		name = type->text;
	if (!mt || strcmp(type->text, "string_match"))
		return find_op(name);
	if (!pe_setting_text(mt)) {
		pe_diag_error(diag, &mt->mark, "'match_type' must be text");
		*rc = PE_ERR_INVALID;
		return NULL;
	}
	if (!strcmp(mt->text, "regex")) {
		const struct pe_node *p = pe_node_get(node, "patterns");

		*rc = pe_regex_parse_patterns(
			spec, node, p ? p : pe_node_get(node, "pattern"), diag);
		return NULL;
	}
	if (!(name = dialect_op(match_types, mt->text))) {
		*rc = pe_evaluator_unsupported(
			spec,
			"type: string_match with match_type '%s' is not "
			"a check prompteval knows",
			mt->text);
		return NULL;
	}
	return find_op(name);
}

/*
 * What a "type:" string check's keys would leave unread, said as the
 * reason it is not run (NULL when nothing): "match_type" beside a type
 * that does not read it, a second value key (only the first would be
 * checked), a key inside "options" that is not a value key, or a value
 * beside "type: expected_output" (checked instead of the expected value).
 * The reason is owned by the caller.
 */
static char *unread_dialect_key(const struct pe_node *node,
				const struct pe_node *type)
{
	const struct pe_node *options = pe_node_get(node, "options");
	const char *first = NULL;

	if (pe_node_get(node, "match_type") &&
	    strcmp(type->text, "string_match"))
		return xstrfmt("'match_type' is read beside 'type: "
			       "string_match' only; beside 'type: %s' it "
			       "would be ignored",
			       type->text);
	if (options && options->kind != PE_NODE_MAP)
		return xstrdup("'options' is not a mapping of values");
	for (size_t i = 0; options && i < options->npairs; i++) {
		const char *k = options->pairs[i].key->text;

		if (!pe_listed(value_keys, k))
			return xstrfmt("'%s' in 'options' is not a key "
				       "prompteval reads there, so it would be "
				       "ignored",
				       k);
	}
	for (int in_options = 0; in_options < 2; in_options++) {
		const struct pe_node *m = in_options ? options : node;

		for (size_t i = 0; m && value_keys[i]; i++) {
			if (!pe_node_get(m, value_keys[i]))
				continue;
			if (first)
				return xstrfmt("'%s' and '%s' both give a "
					       "value, and one would be "
					       "ignored",
					       first, value_keys[i]);
			first = value_keys[i];
		}
	}
	if (first && !strcmp(type->text, "expected_output"))
		return xstrfmt("'%s' beside 'type: expected_output' would be "
			       "checked instead of the case's expected value",
			       first);
	return NULL;
}

/* The value of a "type:" string check, under one of value_keys. */
static const struct pe_node *dialect_value(const struct pe_node *node,
					   const char **key)
{
	const struct pe_node *options = pe_node_get(node, "options");

	for (size_t i = 0; value_keys[i]; i++)
		if (pe_node_get(node, value_keys[i])) {
			*key = value_keys[i];
			return pe_node_get(node, value_keys[i]);
		}
	/* "type: includes_all" + "options: {strings: [...]}". */
	for (size_t i = 0; options && value_keys[i]; i++)
		if (pe_node_get(options, value_keys[i])) {
			*key = value_keys[i];
			return pe_node_get(options, value_keys[i]);
		}
	return NULL;
}

/* The values as a template list: values 0 .. n - 1. */
static const struct pe_template *string_template(const struct pe_evalspec *spec,
						 size_t i,
						 const struct pe_node **node)
{
	const struct string_spec *data = spec->data;

	if (i >= data->nvalues)
		return NULL;
	*node = data->value_nodes[i];
	return data->values[i];
}

/* "contains 'a', 'b'", with "(case-sensitive)" where it applies. */
static void describe_string(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct string_spec *data = spec->data;
	const struct string_op_name *o = string_ops;

	while (o->op != data->op)
		o++;
	pe_buf_adds(out, o->name);
	for (size_t i = 0; i < data->nvalues; i++)
		pe_buf_addf(out, "%s '%s'", i ? "," : "", data->written[i]);
	if (data->case_sensitive)
		pe_buf_adds(out, " (case-sensitive)");
	if (data->part.name)
		pe_buf_addf(out, " in section '%s'", data->part.name);
}

/* An empty string or null, which gh-models counts as not set. */
static int is_unset(const struct pe_node *value)
{
	return value->kind == PE_NODE_NULL ||
	       (pe_node_is_scalar(value) && !value->len);
}

/*
 * Warns about the keys of map that count as not set (the empty ones), and
 * returns the first set key after chosen, which is not checked (NULL when
 * there is none): the evaluator's own warning names it.
 */
static const char *warn_unchecked(const struct pe_node *map,
				  const struct string_op_name *chosen,
				  struct pe_diag *diag)
{
	const char *other = NULL;

	for (const struct string_op_name *o = string_ops; o->name; o++) {
		const struct pe_pair *pair = pe_node_pair(map, o->name);

		if (!pair || o == chosen)
			continue;
		if (is_unset(pair->value))
			pe_diag_warning(diag, &pair->key->mark,
					"'%s' is empty, which counts as not "
					"set; '%s' is checked",
					o->name, chosen->name);
		else if (o > chosen && !other)
			other = o->name;
	}
	return other;
}

/*
 * The check of a "string:" mapping: the first key in string_ops order
 * whose value is set.  Without one, returns NULL, with the first key
 * present but empty in *empty (NULL when there is none).
 */
static const struct string_op_name *choose_check(const struct pe_node *map,
						 const struct pe_pair **empty)
{
	*empty = NULL;
	for (const struct string_op_name *o = string_ops; o->name; o++) {
		const struct pe_pair *pair = pe_node_pair(map, o->name);

		if (pair && !is_unset(pair->value))
			return o;
		if (pair && !*empty)
			*empty = pair;
	}
	return NULL;
}

/* Reads a "string:" mapping (gh-models), which may hold "regex:". */
static int parse_map(struct pe_evalspec *spec, const struct pe_node *map,
		     struct pe_diag *diag)
{
	const struct string_op_name *chosen;
	const struct pe_pair *empty;
	const char *known[32], *other;
	size_t nknown = 0;

	if (map->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &map->mark,
			      "'string' must be a mapping such as {contains: "
			      "\"text\"}, not a %s",
			      pe_node_kind_name(map->kind));
		return PE_ERR_INVALID;
	}
	if (pe_node_get(map, "regex")) {
		/*
		 * Seen in real files: string: {regex: ...}.  Run it as regex,
		 * with its settings beside the pattern in this mapping.
		 */
		spec->ops = pe_evaluator_by_type("regex");
		return spec->ops->parse(spec, map, NULL, diag);
	}
	if (pe_node_get(map, "matches"))
		/* Another library's string: {matches: PATTERN}. */
		return pe_regex_parse_patterns(
			spec, map, pe_node_get(map, "matches"), diag);
	for (const struct string_op_name *o = string_ops; o->name; o++)
		known[nknown++] = o->name;
	known[nknown] = NULL;
	pe_node_check_keys(map, known, "a string evaluator", diag);
	chosen = choose_check(map, &empty);
	if (empty && !chosen)
		/*
		 * gh-models loads it and fails at run time: prompteval loads
		 * it too, and says it checks nothing.
		 */
		return pe_evaluator_unsupported(
			spec,
			"string: '%s' is empty, and an empty value counts as "
			"not set, so it checks nothing",
			empty->key->text);
	if (!chosen) {
		pe_diag_error(diag, &map->mark,
			      "string evaluator has no check: use one of "
			      "equals, contains, startsWith, endsWith, "
			      "icontains, containsAny, containsAll");
		return PE_ERR_INVALID;
	}
	/*
	 * gh-models checks the first and drops the others; a pass would
	 * claim more than was checked.
	 */
	if ((other = warn_unchecked(map, chosen, diag)) != NULL)
		return pe_evaluator_unsupported(
			spec,
			"string: '%s' beside '%s': a string evaluator checks "
			"one thing",
			other, chosen->name);
	return read_check(spec, chosen, pe_node_get(map, chosen->name),
			  chosen->name, diag);
}

static int parse_string_key(struct pe_evalspec *spec,
			    const struct pe_node *node,
			    const struct pe_node *type, struct pe_diag *diag)
{
	int rc = parse_map(spec, pe_node_get(node, "string"), diag);
	struct string_spec *data = spec->data;

	(void)type;
	/* "target" beside the mapping names the section to read. */
	if (!rc && spec->ops->score == score_string) /* not a regex */
		rc = pe_setting_target(node, &data->part, diag);
	return rc;
}

/* True for "target: expected" (or "property:"), the case's expected value. */
static const struct pe_node *expected_target(const struct pe_node *node)
{
	const struct pe_node *t =
		pe_node_get(node, pe_setting_target_key(node));

	return t && pe_setting_text(t) && !strcmp(t->text, "expected") ? t
								       : NULL;
}

/*
 * "type: contains" and the other spellings of string_ops, with "value",
 * and the dialects of other prompt libraries: "type: string_match" (with
 * "match_type" and "patterns", or "match", "expected", "pattern"),
 * "string_contains", "assert_contains" and "includes" (with "value",
 * "expected", "text" or "pattern", or "target: expected" for the case's
 * expected value), "includes_all" (with "options: {strings}"), and
 * "expected_output" (the case's expected value).  "target" or "property"
 * names the section to read, or the whole answer; "case_sensitive" sets
 * whether case counts.
 */
static int parse_string_value(struct pe_evalspec *spec,
			      const struct pe_node *node,
			      const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *value, *expected = expected_target(node);
	const struct string_op_name *o;
	struct string_spec *data;
	const char *key = "value";
	int rc = PE_OK;

	char *unread;

	if ((unread = unread_dialect_key(node, type))) {
		rc = pe_evaluator_unsupported(spec, "%s", unread);
		free(unread);
		return rc;
	}
	if (!(o = type_op(spec, node, type, diag, &rc)))
		return rc;
	value = dialect_value(node, &key);
	if (value && expected)
		return pe_evaluator_unsupported(
			spec,
			"'%s: expected' beside a value would check the "
			"expected value, not the answer",
			pe_setting_target_key(node));
	if (!value && !expected && strcmp(type->text, "expected_output")) {
		pe_diag_error(diag, &type->mark, "'type: %s' needs 'value'",
			      type->text);
		return PE_ERR_INVALID;
	}
	if (value && value->kind == PE_NODE_SEQ && value->count == 1 &&
	    o->op != STR_CONTAINS)
		/* "match_type: exact" with "patterns: [x]": the one value. */
		value = value->items[0];
	if (value && value->kind == PE_NODE_SEQ) {
		/* A list of values not to contain: none of them. */
		spec->negate ^= o->negate;
		o = list_op(o);
	}
	if (value) {
		rc = read_check(spec, o, value, key, diag);
		data = spec->data;
	} else {
		/* No value: the case's expected value, "{{expected}}". */
		data = xcalloc(1, sizeof(*data));
		data->op = o->op;
		spec->negate ^= o->negate;
		spec->data = data;
		add_text(data, expected ? expected : type, expected_value);
	}
	if (!rc)
		rc = pe_setting_bool(node, "case_sensitive",
				     &data->case_sensitive, diag);
	if (!rc && !expected)
		rc = pe_setting_target(node, &data->part, diag);
	return rc;
}

static const char *const string_keys[] = { "string", NULL };
static const char *const string_known_keys[] = { "string", "value", "target",
						 "property", NULL };
/* The "type:" form reads other libraries' keys too. */
static const char *const string_value_known_keys[] = {
	"value",    "text",	"expected",	  "pattern", "match",
	"patterns", "values",	"strings",	  "options", "match_type",
	"target",   "property", "case_sensitive", NULL
};
/* Every spelling in string_ops, and the dialect_types. */
static const char *const string_types[] = { "contains",
					    "includes",
					    "icontains",
					    "equals",
					    "startsWith",
					    "endsWith",
					    "containsAny",
					    "containsAll",
					    "notContains",
					    "does_not_contain",
					    "not_contains",
					    "string_contains",
					    "assert_contains",
					    "includes_all",
					    "string_match",
					    "expected_output",
					    NULL };

/* string: {contains: "..."}, the gh-models shape. */
const struct pe_evaluator_ops pe_string_ops = {
	.name = "string",
	.example = "{string: {contains: hello}}",
	.keys = string_keys,
	.known_keys = string_known_keys,
	.hint = 1,
	.parse = parse_string_key,
	.release = free_string_spec,
	.template_at = string_template,
	.describe = describe_string,
	.compile = pe_evaluator_compile_nothing,
	.score = score_string,
};

/* type: contains + value, from other prompt libraries. */
const struct pe_evaluator_ops pe_string_value_ops = {
	.name = "string",
	.example = "{type: contains, value: hello}",
	.types = string_types,
	.known_keys = string_value_known_keys,
	.hint = 1,
	.parse = parse_string_value,
	.release = free_string_spec,
	.template_at = string_template,
	.describe = describe_string,
	.compile = pe_evaluator_compile_nothing,
	.score = score_string,
};
