/*
 * String checks: equals, contains, startsWith, endsWith, containsAny and
 * containsAll, with values rendered from the case's variables at score
 * time.  As in gh-models, the output is trimmed of surrounding whitespace
 * and only equals compares case; case folding is ASCII-only (NEEDSWORK:
 * Unicode case folding).
 */
#define _GNU_SOURCE /* memmem */
#include "evaluators/evaluator.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

/* What a string evaluator says: one check, with one value or several. */
struct string_spec {
	enum string_op op;
	int case_sensitive;
	struct pe_template **values; /* rendered with the case's variables */
	const struct pe_node **value_nodes;
	size_t nvalues;
};

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/*
 * Finds needle in hay, folding ASCII case unless case_sensitive.  The
 * first byte is found with memchr (both cases), which keeps the common
 * no-match scan fast.
 */
static const char *find_folded(const char *hay, size_t hlen, const char *needle,
			       size_t nlen, int case_sensitive)
{
	unsigned char first, other;
	const char *p = hay, *end = hay + hlen;

	if (!nlen)
		return hay;
	if (nlen > hlen)
		return NULL;
	if (case_sensitive)
		return memmem(hay, hlen, needle, nlen);
	first = fold((unsigned char)needle[0]);
	other = first >= 'a' && first <= 'z' ? (unsigned char)(first - 32)
					     : first;
	while ((size_t)(end - p) >= nlen) {
		const char *a = memchr(p, first, (size_t)(end - p - nlen + 1));
		const char *b =
			other != first
				? memchr(p, other, (size_t)(end - p - nlen + 1))
				: NULL;
		const char *hit = !a ? b : !b ? a : a < b ? a : b;
		size_t j = 1;

		if (!hit)
			return NULL;
		while (j < nlen && fold((unsigned char)hit[j]) ==
					   fold((unsigned char)needle[j]))
			j++;
		if (j == nlen)
			return hit;
		p = hit + 1;
	}
	return NULL;
}

static int same_folded(const char *a, const char *b, size_t n,
		       int case_sensitive)
{
	if (case_sensitive)
		return !memcmp(a, b, n);
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) !=
		    tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int check_one(const struct string_spec *spec, const char *out,
		     size_t len, const char *value, size_t vlen)
{
	switch (spec->op) {
	case STR_EQUALS:
		return len == vlen &&
		       same_folded(out, value, len, spec->case_sensitive);
	case STR_STARTS_WITH:
		return len >= vlen &&
		       same_folded(out, value, vlen, spec->case_sensitive);
	case STR_ENDS_WITH:
		return len >= vlen && same_folded(out + len - vlen, value, vlen,
						  spec->case_sensitive);
	default:
		return find_folded(out, len, value, vlen,
				   spec->case_sensitive) != NULL;
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
static void quote_value(struct pe_buf *list, const struct pe_buf *value)
{
	char *shown;

	if (list->len > 300)
		return;
	shown = pe_shorten(pe_buf_str(value), value->len, REASON_VALUE_MAX);
	pe_buf_addf(list, "%s'%s'", list->len ? ", " : "", shown);
	free(shown);
}

static void score_string(const void *state, const struct pe_evalspec *evalspec,
			 const struct pe_eval_input *in,
			 struct pe_eval_result *out)
{
	const struct string_spec *spec = evalspec->data;
	const char *text = in->output;
	size_t len = in->len, hits = 0;
	struct pe_buf value, missing, found;
	int pass;

	(void)state;
	while (len && isspace((unsigned char)*text))
		text++, len--;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	pe_buf_init(&value, 0);
	pe_buf_init(&missing, 0);
	pe_buf_init(&found, 0);
	for (size_t i = 0; i < spec->nvalues; i++) {
		int hit;

		pe_eval_render(spec->values[i], in, &value);
		hit = check_one(spec, text, len, value.data ? value.data : "",
				value.len);
		hits += hit;
		quote_value(hit ? &found : &missing, &value);
	}
	if (spec->op == STR_CONTAINS_ANY)
		pass = hits > 0;
	else
		pass = hits == spec->nvalues;
	if (pass)
		pe_result_set(out, PE_VERDICT_PASS, 1, "%s %s",
			      op_words(spec->op, 1), pe_buf_str(&found));
	else if (spec->op == STR_CONTAINS_ANY)
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "does not contain any of %s",
			      pe_buf_str(&missing));
	else if (spec->op == STR_CONTAINS_ALL)
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)hits / (double)spec->nvalues,
			      "does not contain %s", pe_buf_str(&missing));
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0, "does not %s %s",
			      op_words(spec->op, 0), pe_buf_str(&missing));
	pe_buf_release(&found);
	pe_buf_release(&value);
	pe_buf_release(&missing);
}

static void free_string_spec(void *data)
{
	struct string_spec *spec = data;

	for (size_t i = 0; i < spec->nvalues; i++)
		pe_template_free(spec->values[i]);
	free(spec->values);
	free(spec->value_nodes);
	free(spec);
}

static void add_value(struct string_spec *spec, const struct pe_node *n)
{
	spec->values = xrealloc(spec->values,
				(spec->nvalues + 1) * sizeof(*spec->values));
	spec->value_nodes =
		xrealloc(spec->value_nodes,
			 (spec->nvalues + 1) * sizeof(*spec->value_nodes));
	spec->values[spec->nvalues] = pe_template_parse(n->text, n->len);
	spec->value_nodes[spec->nvalues] = n;
	spec->nvalues++;
}

struct string_op_name {
	const char *name;
	enum string_op op;
	int case_sensitive;
	int negate;
};

/*
 * Spellings in "string:" mappings, in gh-models precedence order for the
 * first four.  gh-models compares contains/startsWith/endsWith without
 * case and equals with case; "icontains" is the explicit spelling.
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
	{ NULL, STR_EQUALS, 0, 0 }
};

static int read_string_values(struct string_spec *spec,
			      const struct pe_node *value, const char *key,
			      struct pe_diag *diag)
{
	int many = spec->op == STR_CONTAINS_ANY || spec->op == STR_CONTAINS_ALL;

	if (many && value->kind == PE_NODE_SEQ) {
		if (!value->count) {
			pe_diag_error(diag, &value->mark,
				      "'%s' needs at least one string", key);
			return PE_ERR_INVALID;
		}
		for (size_t i = 0; i < value->count; i++) {
			if (!pe_setting_text(value->items[i])) {
				pe_diag_error(diag, &value->items[i]->mark,
					      "'%s' items must be strings, "
					      "not a %s",
					      key,
					      pe_node_kind_name(
						      value->items[i]->kind));
				return PE_ERR_INVALID;
			}
			add_value(spec, value->items[i]);
		}
		return PE_OK;
	}
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
		pe_buf_addf(out, "%s '%s'", i ? "," : "",
			    data->value_nodes[i]->text);
	if (data->case_sensitive)
		pe_buf_adds(out, " (case-sensitive)");
}

/* Reads a "string:" mapping (gh-models), which may hold "regex:". */
static int parse_map(struct pe_evalspec *spec, const struct pe_node *map,
		     struct pe_diag *diag)
{
	const struct string_op_name *chosen = NULL;
	const char *known[32];
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
	for (const struct string_op_name *o = string_ops; o->name; o++) {
		known[nknown++] = o->name;
		if (!chosen && pe_node_get(map, o->name))
			chosen = o;
	}
	known[nknown] = NULL;
	pe_node_check_keys(map, known, "a string evaluator", diag);
	if (!chosen) {
		pe_diag_error(diag, &map->mark,
			      "string evaluator has no check: use one of "
			      "equals, contains, startsWith, endsWith, "
			      "icontains, containsAny, containsAll");
		return PE_ERR_INVALID;
	}
	for (const struct string_op_name *o = chosen + 1; o->name; o++) {
		const struct pe_pair *extra = pe_node_pair(map, o->name);

		if (extra)
			pe_diag_warning(diag, &extra->key->mark,
					"'%s' is ignored: a string evaluator "
					"checks one thing and '%s' comes "
					"first; use a second evaluator",
					o->name, chosen->name);
	}
	return read_check(spec, chosen, pe_node_get(map, chosen->name),
			  chosen->name, diag);
}

static int parse_string_key(struct pe_evalspec *spec,
			    const struct pe_node *node,
			    const struct pe_node *type, struct pe_diag *diag)
{
	(void)type;
	return parse_map(spec, pe_node_get(node, "string"), diag);
}

/* "type: contains" and the other spellings of string_ops, with "value". */
static int parse_string_value(struct pe_evalspec *spec,
			      const struct pe_node *node,
			      const struct pe_node *type, struct pe_diag *diag)
{
	const char *t = type->text;
	const struct pe_node *value = pe_node_get(node, "value");
	const struct string_op_name *o = string_ops;

	if (!strcmp(t, "includes"))
		t = "contains";
	while (strcmp(t, o->name))
		o++;
	if (!value) {
		pe_diag_error(diag, &type->mark, "'type: %s' needs 'value'",
			      type->text);
		return PE_ERR_INVALID;
	}
	return read_check(spec, o, value, "value", diag);
}

static const char *const string_keys[] = { "string", NULL };
static const char *const string_known_keys[] = { "string", "value", NULL };
/* Every spelling in string_ops, and "includes" for contains. */
static const char *const string_types[] = {
	"contains",    "includes",	   "icontains",	   "equals",
	"startsWith",  "endsWith",	   "containsAny",  "containsAll",
	"notContains", "does_not_contain", "not_contains", NULL
};

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
	.known_keys = string_known_keys,
	.hint = 1,
	.parse = parse_string_value,
	.release = free_string_spec,
	.template_at = string_template,
	.describe = describe_string,
	.compile = pe_evaluator_compile_nothing,
	.score = score_string,
};
