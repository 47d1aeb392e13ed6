/*
 * Unit tests for template.c: parsing "{{var}}", "{{ var }}" and dotted
 * paths, the "\{{" escape, unrecognised "{{...}}" kept as literals,
 * occurrence counting, lookup across scopes (first scope wins), rendering
 * of every value kind, literal (non-recursive) insertion, missing
 * variables and the output size limit.  Scopes are small YAML documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/node.h"
#include "harness/load/template.h"
#include "harness/core/util.h"
#include "harness/load/prompt.h"
#include "harness/load/yaml_load.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static const char scope_src[] = "name: Ada\n"
				"input:\n"
				"  table: users\n"
				"  nested: {deep: x}\n"
				"other: \"{{name}}\"\n"
				"age: 25\n"
				"hex: 0x1f\n"
				"ratio: 0.5\n"
				"ok: true\n"
				"shout: TRUE\n"
				"nothing: null\n"
				"tilde: ~\n"
				"empty: ''\n"
				"tags: [a, 'b c', 3]\n"
				"obj: {k: v, n: 1, f: false, z: ~}\n"
				"quote: 'say \"hi\"\\n'\n"
				"multi: |\n"
				"  line1\n"
				"  line2\n"
				"na-me: dashed\n"
				"_u: under\n";

static struct pe_doc *load(const char *src)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = pe_yaml_load("scope.yml", src, strlen(src),
					  PE_PROMPT_MAX_FILE, d);

	assert_non_null(doc);
	assert_int_equal(pe_diag_len(d), 0);
	pe_diag_free(d);
	return doc;
}

/*
 * Renders text against scopes into out (initialised here with max_len).
 * A missing path is copied into missing (64 bytes), "" when none.
 */
static int render(const char *text, const struct pe_node *const *scopes,
		  size_t nscopes, size_t max_len, struct pe_buf *out,
		  char *missing)
{
	struct pe_template *t = pe_template_parse(text, strlen(text));
	const char *path = NULL;
	int rc;

	pe_buf_init(out, max_len);
	rc = pe_template_render(t, scopes, nscopes, out, &path);
	snprintf(missing, 64, "%s", path ? path : "");
	pe_template_free(t);
	return rc;
}

struct render_case {
	const char *text;
	int rc;
	const char *output;  /* for rc 0 */
	const char *missing; /* for PE_ERR_INVALID */
};

static const struct render_case renders[] = {
	{ "", PE_OK, "", NULL },
	{ "no variables here", PE_OK, "no variables here", NULL },
	{ "Hi {{name}}!", PE_OK, "Hi Ada!", NULL },
	{ "Hi {{ name }}!", PE_OK, "Hi Ada!", NULL },
	{ "{{   name  }}", PE_OK, "Ada", NULL },
	{ "{{name}}{{name}}", PE_OK, "AdaAda", NULL },
	{ "{{input.table}}", PE_OK, "users", NULL },
	{ "{{ input.nested.deep }}", PE_OK, "x", NULL },
	{ "{{na-me}} {{_u}}", PE_OK, "dashed under", NULL },
	/* Values are inserted literally and never expanded again. */
	{ "{{other}}", PE_OK, "{{name}}", NULL },
	{ "[{{other}}|{{name}}]", PE_OK, "[{{name}}|Ada]", NULL },
	/* The escape drops the backslash and keeps the braces. */
	{ "\\{{name}}", PE_OK, "{{name}}", NULL },
	{ "\\{{name}} {{name}}", PE_OK, "{{name}} Ada", NULL },
	{ "a \\{ b", PE_OK, "a \\{ b", NULL },
	{ "end\\", PE_OK, "end\\", NULL },
	/* Not variables: kept as written. */
	{ "{{ macros.x() }}", PE_OK, "{{ macros.x() }}", NULL },
	{ "{{}}", PE_OK, "{{}}", NULL },
	{ "{{ }}", PE_OK, "{{ }}", NULL },
	{ "{{1abc}}", PE_OK, "{{1abc}}", NULL },
	{ "{{a..b}}", PE_OK, "{{a..b}}", NULL },
	{ "{{a.}}", PE_OK, "{{a.}}", NULL },
	{ "{{.a}}", PE_OK, "{{.a}}", NULL },
	{ "{{a b}}", PE_OK, "{{a b}}", NULL },
	{ "{% if x %}", PE_OK, "{% if x %}", NULL },
	{ "a {{ b", PE_OK, "a {{ b", NULL },
	{ "{{na\nme}} {{name}}", PE_OK, "{{na\nme}} Ada", NULL },
	{ "{{", PE_OK, "{{", NULL },
	{ "}}{{name}}}}", PE_OK, "}}Ada}}", NULL },
	/* Non-string values. */
	{ "{{age}}", PE_OK, "25", NULL },
	{ "{{hex}}", PE_OK, "0x1f", NULL },
	{ "{{ratio}}", PE_OK, "0.5", NULL },
	{ "{{ok}}/{{shout}}", PE_OK, "true/TRUE", NULL },
	{ "[{{nothing}}][{{tilde}}][{{empty}}]", PE_OK, "[][][]", NULL },
	{ "{{tags}}", PE_OK, "[\"a\",\"b c\",3]", NULL },
	{ "{{obj}}", PE_OK, "{\"k\":\"v\",\"n\":1,\"f\":false,\"z\":null}",
	  NULL },
	{ "{{input}}", PE_OK,
	  "{\"table\":\"users\",\"nested\":{\"deep\":\"x\"}}", NULL },
	{ "{{quote}}", PE_OK, "say \"hi\"\\n", NULL },
	{ "{{multi}}", PE_OK, "line1\nline2\n", NULL },
	/* Missing variables. */
	{ "Hi {{missing}}", PE_ERR_INVALID, NULL, "missing" },
	{ "{{name}} {{ input.nope }}", PE_ERR_INVALID, NULL, "input.nope" },
	{ "{{name.first}}", PE_ERR_INVALID, NULL, "name.first" },
	{ "{{tags.a}}", PE_ERR_INVALID, NULL, "tags.a" },
	{ "{{Name}}", PE_ERR_INVALID, NULL, "Name" },
};

static void test_render_table(void **state)
{
	struct pe_doc *doc = load(scope_src);
	const struct pe_node *scopes[] = { doc->root };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(renders); i++) {
		const struct render_case *c = &renders[i];
		struct pe_buf out;
		char missing[64];
		int rc = render(c->text, scopes, 1, 0, &out, missing);

		if (rc != c->rc)
			fail_msg("'%s': rc %d, expected %d", c->text, rc,
				 c->rc);
		if (c->rc == PE_OK) {
			if (strcmp(pe_buf_str(&out), c->output))
				fail_msg("'%s': rendered '%s', expected '%s'",
					 c->text, pe_buf_str(&out), c->output);
			assert_string_equal(missing, "");
		} else {
			assert_string_equal(missing, c->missing);
		}
		pe_buf_release(&out);
	}
	pe_doc_free(doc);
}

/*
 * Regression (fixed): node.c to_json writes floats with "%.17g", so a mapping or list
 * value 0.1 is rendered as 0.10000000000000001 instead of the 0.1 the
 * author wrote (json.c pe_json_num already picks the shortest round-trip
 * form).
 */
static void test_render_float_in_json(void **state)
{
	struct pe_doc *doc = load("v: {t: 0.1, l: [0.7, 2.5]}\n");
	const struct pe_node *scopes[] = { doc->root };
	struct pe_buf out;
	char missing[64], got[128];
	int rc = render("{{v}}", scopes, 1, 0, &out, missing);

	(void)state;
	snprintf(got, sizeof(got), "%s", pe_buf_str(&out));
	/* Free first: a failed assertion must not leak under ASan. */
	pe_buf_release(&out);
	pe_doc_free(doc);
	assert_int_equal(rc, 0);
	assert_string_equal(got, "{\"t\":0.1,\"l\":[0.7,2.5]}");
}

struct ref_case {
	const char *path;
	const char *token;
	size_t offset;
	size_t occurrence;
};

static void check_refs(const struct pe_template *t, int literals,
		       const struct ref_case *want, size_t n)
{
	assert_int_equal(
		literals ? pe_template_nliterals(t) : pe_template_nvars(t), n);
	for (size_t i = 0; i < n; i++) {
		const struct pe_template_ref *r =
			literals ? pe_template_literal(t, i)
				 : pe_template_var(t, i);

		assert_non_null(r);
		assert_string_equal(r->path, want[i].path);
		assert_string_equal(r->token, want[i].token);
		assert_int_equal(r->offset, want[i].offset);
		assert_int_equal(pe_template_occurrence(t, r),
				 want[i].occurrence);
	}
	assert_null(literals ? pe_template_literal(t, n)
			     : pe_template_var(t, n));
}

static void test_parse_vars(void **state)
{
	static const char text[] = "{{a}} x {{ a }} {{a}} {{b.c}} {{a}}";
	static const struct ref_case want[] = {
		{ "a", "{{a}}", 0, 0 },	 { "a", "{{ a }}", 8, 0 },
		{ "a", "{{a}}", 16, 1 }, { "b.c", "{{b.c}}", 22, 0 },
		{ "a", "{{a}}", 30, 2 },
	};
	struct pe_template *t = pe_template_parse(text, strlen(text));

	(void)state;
	check_refs(t, 0, want, ARRAY_SIZE(want));
	assert_int_equal(pe_template_nliterals(t), 0);
	assert_false(pe_template_is_constant(t));
	pe_template_free(t);
}

static void test_parse_literals(void **state)
{
	static const char text[] =
		"{{ macros.x() }} and {{ macros.x() }} {{ok}} {{ tail";
	static const struct ref_case lits[] = {
		{ "{{ macros.x() }}", "{{ macros.x() }}", 0, 0 },
		{ "{{ macros.x() }}", "{{ macros.x() }}", 21, 1 },
		{ "{{", "{{", 45, 3 },
	};
	static const struct ref_case vars[] = { { "ok", "{{ok}}", 38, 0 } };
	struct pe_template *t = pe_template_parse(text, strlen(text));

	(void)state;
	check_refs(t, 1, lits, ARRAY_SIZE(lits));
	check_refs(t, 0, vars, ARRAY_SIZE(vars));
	pe_template_free(t);
}

struct constant_case {
	const char *text;
	int constant;
	size_t nvars;
	size_t nliterals;
};

static const struct constant_case constants[] = {
	{ "", 1, 0, 0 },
	{ "plain", 1, 0, 0 },
	{ "\\{{x}}", 1, 0, 0 },
	{ "{{x}}", 0, 1, 0 },
	{ "{{ x() }}", 1, 0, 1 },
	{ "{{", 1, 0, 1 },
	{ "{{ a }}{{b}}\\{{c}}{{ d e }}", 0, 2, 1 },
};

static void test_parse_counts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(constants); i++) {
		const struct constant_case *c = &constants[i];
		struct pe_template *t =
			pe_template_parse(c->text, strlen(c->text));

		if (pe_template_is_constant(t) != c->constant ||
		    pe_template_nvars(t) != c->nvars ||
		    pe_template_nliterals(t) != c->nliterals)
			fail_msg("'%s': constant %d vars %zu literals %zu",
				 c->text, pe_template_is_constant(t),
				 pe_template_nvars(t),
				 pe_template_nliterals(t));
		pe_template_free(t);
	}
	pe_template_free(NULL);
}

/* The length argument bounds parsing; text need not be NUL-terminated. */
static void test_parse_uses_len(void **state)
{
	static const char text[] = "{{a}}{{b}}";
	struct pe_template *t = pe_template_parse(text, 5);
	struct pe_doc *doc = load("a: 1\n");
	const struct pe_node *scopes[] = { doc->root };
	struct pe_buf out;

	(void)state;
	assert_int_equal(pe_template_nvars(t), 1);
	pe_buf_init(&out, 0);
	assert_int_equal(pe_template_render(t, scopes, 1, &out, NULL), 0);
	assert_string_equal(pe_buf_str(&out), "1");
	pe_buf_release(&out);
	pe_template_free(t);
	pe_doc_free(doc);
}

struct scope_case {
	const char *text;
	int reversed;
	const char *output;
};

static const struct scope_case scope_cases[] = {
	{ "{{name}} {{only1}} {{only2}}", 0, "first one two" },
	{ "{{name}} {{only1}} {{only2}}", 1, "second one two" },
	/* A path missing in the first scope is found in the second. */
	{ "{{input.a}}-{{input.b}}", 0, "1-2" },
	{ "{{input}}", 0, "{\"a\":1}" },
	{ "{{input}}", 1, "{\"b\":2}" },
};

static void test_scope_order(void **state)
{
	struct pe_doc *s1 = load("name: first\nonly1: one\ninput: {a: 1}\n");
	struct pe_doc *s2 = load("name: second\nonly2: two\ninput: {b: 2}\n");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(scope_cases); i++) {
		const struct scope_case *c = &scope_cases[i];
		const struct pe_node *scopes[2];
		struct pe_buf out;
		char missing[64];

		scopes[0] = c->reversed ? s2->root : s1->root;
		scopes[1] = c->reversed ? s1->root : s2->root;
		assert_int_equal(render(c->text, scopes, 2, 0, &out, missing),
				 0);
		assert_string_equal(pe_buf_str(&out), c->output);
		pe_buf_release(&out);
	}
	pe_doc_free(s1);
	pe_doc_free(s2);
}

static void test_lookup(void **state)
{
	struct pe_doc *s1 = load("a: {b: {c: deep}}\nx: 1\n");
	struct pe_doc *s2 = load("x: 2\ny: 3\n");
	const struct pe_node *scopes[] = { s1->root, s2->root };
	const struct pe_node *n;

	(void)state;
	n = pe_template_lookup(scopes, 2, "a.b.c");
	assert_non_null(n);
	assert_string_equal(n->text, "deep");
	assert_ptr_equal(pe_template_lookup(scopes, 2, "a.b"),
			 pe_node_get(pe_node_get(s1->root, "a"), "b"));
	assert_ptr_equal(pe_template_lookup(scopes, 2, "x"),
			 pe_node_get(s1->root, "x"));
	assert_ptr_equal(pe_template_lookup(scopes, 2, "y"),
			 pe_node_get(s2->root, "y"));
	assert_null(pe_template_lookup(scopes, 2, "a.b.c.d"));
	assert_null(pe_template_lookup(scopes, 2, "a.c"));
	assert_null(pe_template_lookup(scopes, 2, "z"));
	assert_null(pe_template_lookup(scopes, 1, "y"));
	assert_null(pe_template_lookup(scopes, 0, "x"));
	pe_doc_free(s1);
	pe_doc_free(s2);
}

struct limit_case {
	const char *text;
	size_t max_len;
	int rc;
};

static const struct limit_case limits[] = {
	{ "{{name}}", 3, PE_OK },	   { "{{name}}", 2, PE_ERR_LIMIT },
	{ "{{name}}!", 3, PE_ERR_LIMIT },  { "abcd{{name}}", 4, PE_ERR_LIMIT },
	{ "abcd{{name}}", 7, PE_OK },	   { "{{obj}}", 10, PE_ERR_LIMIT },
	{ "{{obj}}", 15, PE_OK },	   { "{{nothing}}", 1, PE_OK },
	{ "0123456789", 9, PE_ERR_LIMIT },
};

static void test_output_limit(void **state)
{
	struct pe_doc *doc = load("name: Ada\nobj: {k: v, n: 1}\nnothing: ~\n");
	const struct pe_node *scopes[] = { doc->root };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		struct pe_buf out;
		char missing[64];
		int rc = render(limits[i].text, scopes, 1, limits[i].max_len,
				&out, missing);

		if (rc != limits[i].rc)
			fail_msg("'%s' max %zu: rc %d, expected %d",
				 limits[i].text, limits[i].max_len, rc,
				 limits[i].rc);
		assert_true(out.len <= limits[i].max_len);
		assert_string_equal(missing, "");
		pe_buf_release(&out);
	}
	pe_doc_free(doc);
}

/* Rendering appends to what the buffer already holds. */
static void test_render_appends(void **state)
{
	struct pe_doc *doc = load("name: Ada\n");
	const struct pe_node *scopes[] = { doc->root };
	struct pe_template *t = pe_template_parse("{{name}}", 8);
	struct pe_buf out;
	const char *missing = "unchanged";

	(void)state;
	pe_buf_init(&out, 0);
	pe_buf_adds(&out, "> ");
	assert_int_equal(pe_template_render(t, scopes, 1, &out, &missing), 0);
	assert_int_equal(pe_template_render(t, scopes, 1, &out, &missing), 0);
	assert_string_equal(pe_buf_str(&out), "> AdaAda");
	assert_string_equal(missing, "unchanged");
	pe_buf_release(&out);
	pe_template_free(t);
	pe_doc_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_table),
		cmocka_unit_test(test_render_float_in_json),
		cmocka_unit_test(test_parse_vars),
		cmocka_unit_test(test_parse_literals),
		cmocka_unit_test(test_parse_counts),
		cmocka_unit_test(test_parse_uses_len),
		cmocka_unit_test(test_scope_order),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_render_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
