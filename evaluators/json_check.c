/*
 * JSON answers: the output (or, when it is not JSON, its first fenced json
 * block) must parse, and with a schema it must validate.  The schema is
 * the prompt's jsonSchema (its "schema" member for responseFormat
 * json_schema).  The validator covers type, enum, required, properties,
 * additionalProperties: false, items, minItems and maxItems; other
 * keywords are ignored (NEEDSWORK: the rest of JSON Schema).
 */
#include "evaluators/evaluator.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/json.h"
#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

enum { MAX_PROBLEMS = 3 };

struct json_state {
	struct pe_doc *schema_doc; /* owns the parsed schema */
	const struct pe_node *schema;
};

static void free_json(void *state)
{
	struct json_state *st = state;

	if (!st)
		return;
	pe_doc_free(st->schema_doc);
	free(st);
}

static int compile_json(const struct pe_evalspec *spec,
			const struct pe_prompt *prompt, void **state,
			struct pe_diag *diag)
{
	static const char *const known[] = { "schema", NULL };
	const struct pe_node *body = pe_evaluator_settings(spec);
	struct json_state *st = xcalloc(1, sizeof(*st));
	int use_schema = 1;
	struct pe_mark m = { prompt->path, 1, 1 };

	if (body && body->kind == PE_NODE_MAP) {
		pe_node_check_keys(body, known, "a json evaluator", diag);
		if (pe_setting_bool(body, "schema", &use_schema, diag)) {
			free(st);
			return PE_ERR_INVALID;
		}
	} else if (!body || body->kind != PE_NODE_BOOL || !body->bval) {
		pe_diag_error(diag, body ? &body->mark : &spec->mark,
			      "'json' must be true or {schema: true|false}");
		free(st);
		return PE_ERR_INVALID;
	}
	if (use_schema && prompt->json_schema) {
		const struct pe_node *root, *inner;

		st->schema_doc = pe_doc_new(prompt->path, NULL, 0);
		root = pe_json_parse(st->schema_doc, prompt->json_schema,
				     strlen(prompt->json_schema), &m, diag);
		if (!root) {
			free_json(st);
			return PE_ERR_INVALID;
		}
		inner = pe_node_get(root, "schema");
		st->schema = inner && pe_node_get(root, "name") ? inner : root;
	}
	*state = st;
	return PE_OK;
}

/* The first fenced json block, or NULL. */
static const char *json_fence(const struct pe_eval_input *in, size_t *len)
{
	size_t count;
	const struct pe_md_code *c = pe_md_codes(in->md, &count);

	for (size_t i = 0; i < count; i++) {
		if (!strcmp(c[i].lang, "json") && c[i].code) {
			*len = c[i].code_len;
			return c[i].code;
		}
	}
	return NULL;
}

/*
 * Parses the output as JSON when it looks like JSON, else (or when that
 * fails and there is one) its first json fence.  Returns the value, or
 * NULL with the parser's diagnostic in diag.
 */
static const struct pe_node *parse_answer(const struct pe_eval_input *in,
					  struct pe_doc *doc,
					  struct pe_diag *diag)
{
	struct pe_mark m = { "output", 1, 1 };
	const char *s = in->output, *fence;
	size_t n = in->len, fence_len = 0;
	const struct pe_node *v = NULL;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	fence = json_fence(in, &fence_len);
	if (n && (*s == '{' || *s == '[')) {
		v = pe_json_parse(doc, s, n, &m, diag);
		if (v || !fence)
			return v;
	}
	if (fence) {
		struct pe_diag *fresh = pe_diag_new();

		/* Report the fence's error, not the prose's. */
		v = pe_json_parse(doc, fence, fence_len, &m, fresh);
		if (!v && pe_diag_len(fresh)) {
			const struct pe_diag_entry *e = pe_diag_get(fresh, 0);
			struct pe_mark at = { "output", e->line, e->col };

			pe_diag_error(diag, &at, "%s", e->message);
		}
		pe_diag_free(fresh);
		return v;
	}
	return pe_json_parse(doc, in->output, in->len, &m, diag);
}

struct check {
	struct pe_buf problems;
	size_t count;
};

static void problem(struct check *ck, const char *path, const char *what,
		    const char *detail)
{
	if (ck->count++ >= MAX_PROBLEMS)
		return;
	pe_buf_addf(&ck->problems, "%s%s: %s%s", ck->problems.len ? "; " : "",
		    path, what, detail ? detail : "");
}

static int type_is(const struct pe_node *v, const char *type)
{
	switch (v->kind) {
	case PE_NODE_NULL:
		return !strcmp(type, "null");
	case PE_NODE_BOOL:
		return !strcmp(type, "boolean");
	case PE_NODE_INT:
		return !strcmp(type, "integer") || !strcmp(type, "number");
	case PE_NODE_FLOAT:
		return !strcmp(type, "number") ||
		       (!strcmp(type, "integer") && v->fval == floor(v->fval));
	case PE_NODE_STRING:
		return !strcmp(type, "string");
	case PE_NODE_SEQ:
		return !strcmp(type, "array");
	case PE_NODE_MAP:
		return !strcmp(type, "object");
	}
	return 0;
}

static int type_ok(const struct pe_node *v, const struct pe_node *type)
{
	if (!type)
		return 1;
	if (type->kind == PE_NODE_STRING)
		return type_is(v, type->text);
	if (type->kind == PE_NODE_SEQ) {
		for (size_t i = 0; i < type->count; i++)
			if (type->items[i]->kind == PE_NODE_STRING &&
			    type_is(v, type->items[i]->text))
				return 1;
		return 0;
	}
	return 1;
}

static int same_value(const struct pe_node *a, const struct pe_node *b)
{
	struct pe_buf x, y;
	int same;

	pe_buf_init(&x, 1 << 20);
	pe_buf_init(&y, 1 << 20);
	pe_json_node(&x, a);
	pe_json_node(&y, b);
	same = x.len == y.len && !memcmp(pe_buf_str(&x), pe_buf_str(&y), x.len);
	pe_buf_release(&x);
	pe_buf_release(&y);
	return same;
}

static void validate(const struct pe_node *v, const struct pe_node *schema,
		     const char *path, struct check *ck, int depth);

/* A non-negative integer keyword of a schema, or fallback. */
static size_t schema_count(const struct pe_node *schema, const char *key,
			   size_t fallback)
{
	const struct pe_node *n = pe_node_get(schema, key);

	return n && n->kind == PE_NODE_INT && n->ival >= 0 ? (size_t)n->ival
							   : fallback;
}

static void validate_object(const struct pe_node *v,
			    const struct pe_node *schema, const char *path,
			    struct check *ck, int depth)
{
	const struct pe_node *req = pe_node_get(schema, "required");
	const struct pe_node *props = pe_node_get(schema, "properties");
	const struct pe_node *extra =
		pe_node_get(schema, "additionalProperties");

	for (size_t i = 0; req && req->kind == PE_NODE_SEQ && i < req->count;
	     i++)
		if (req->items[i]->kind == PE_NODE_STRING &&
		    !pe_node_get(v, req->items[i]->text))
			problem(ck, path, "missing required property ",
				req->items[i]->text);
	for (size_t i = 0; i < v->npairs; i++) {
		const char *key = v->pairs[i].key->text;
		const struct pe_node *sub = pe_node_get(props, key);
		char *child = xstrfmt("%s.%s", path, key);

		if (sub)
			validate(v->pairs[i].value, sub, child, ck, depth + 1);
		else if (extra && extra->kind == PE_NODE_BOOL && !extra->bval)
			problem(ck, path, "unexpected property ", key);
		free(child);
	}
}

static void validate(const struct pe_node *v, const struct pe_node *schema,
		     const char *path, struct check *ck, int depth)
{
	const struct pe_node *type, *en, *items;
	size_t limit;

	if (!schema || schema->kind != PE_NODE_MAP || depth > 64)
		return;
	type = pe_node_get(schema, "type");
	if (!type_ok(v, type)) {
		struct pe_buf names;

		pe_buf_init(&names, 0);
		if (type->kind == PE_NODE_STRING)
			pe_buf_adds(&names, type->text);
		for (size_t i = 0; type->kind == PE_NODE_SEQ && i < type->count;
		     i++)
			pe_buf_addf(&names, "%s%s",
				    i == 0		   ? ""
				    : i + 1 == type->count ? " or "
							   : ", ",
				    type->items[i]->text);
		problem(ck, path, "expected ", pe_buf_str(&names));
		pe_buf_release(&names);
		return;
	}
	en = pe_node_get(schema, "enum");
	if (en && en->kind == PE_NODE_SEQ) {
		int found = 0;

		for (size_t i = 0; i < en->count && !found; i++)
			found = same_value(v, en->items[i]);
		if (!found)
			problem(ck, path, "value is not one of the enum values",
				NULL);
	}
	if (v->kind == PE_NODE_MAP)
		validate_object(v, schema, path, ck, depth);
	if (v->kind != PE_NODE_SEQ)
		return;
	limit = schema_count(schema, "minItems", 0);
	if (v->count < limit)
		problem(ck, path, "too few items", NULL);
	limit = schema_count(schema, "maxItems", (size_t)-1);
	if (v->count > limit)
		problem(ck, path, "too many items", NULL);
	items = pe_node_get(schema, "items");
	for (size_t i = 0; items && i < v->count; i++) {
		char *child = xstrfmt("%s[%zu]", path, i);

		validate(v->items[i], items, child, ck, depth + 1);
		free(child);
	}
}

static void score_json(const void *state, const struct pe_evalspec *spec,
		       const struct pe_eval_input *in,
		       struct pe_eval_result *out)
{
	const struct json_state *st = state;
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *doc = pe_doc_new("output", NULL, 0);
	const struct pe_node *value = parse_answer(in, doc, diag);
	struct check ck = { { 0 }, 0 };

	(void)spec;
	if (!value) {
		const struct pe_diag_entry *e = pe_diag_get(diag, 0);
		const char *msg = e ? e->message : "parse error";

		if (!strncmp(msg, "invalid JSON: ", 14))
			msg += 14;
		if (e)
			pe_result_set(
				out, PE_VERDICT_FAIL, 0,
				"not valid JSON: %s at line %u, column %u", msg,
				e->line, e->col);
		else
			pe_result_set(out, PE_VERDICT_FAIL, 0,
				      "not valid JSON: %s", msg);
	} else if (!st->schema) {
		pe_result_set(out, PE_VERDICT_PASS, 1, "valid JSON");
	} else {
		pe_buf_init(&ck.problems, 0);
		validate(value, st->schema, "$", &ck, 0);
		if (!ck.count)
			pe_result_set(out, PE_VERDICT_PASS, 1,
				      "valid JSON that matches the schema");
		else
			pe_result_set(out, PE_VERDICT_FAIL, 0,
				      "JSON does not match the schema (%zu "
				      "problem%s): %s",
				      ck.count, ck.count == 1 ? "" : "s",
				      pe_buf_str(&ck.problems));
		pe_buf_release(&ck.problems);
	}
	pe_doc_free(doc);
	pe_diag_free(diag);
}

static const char *const json_keys[] = { "json", NULL };

const struct pe_evaluator_ops pe_json_check_ops = {
	.name = "json",
	.example = "{json: true}",
	.keys = json_keys,
	.known_keys = json_keys,
	.compile = compile_json,
	.score = score_json,
	.free = free_json,
};
