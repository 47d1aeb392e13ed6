/*
 * Unit tests for yaml.c (pe_yaml_load) and diag.c (pe_diag_*): broken YAML
 * with its exact diagnostic and position, core-schema scalar typing, source
 * marks and byte ranges, block scalars, anchors, aliases, merge keys, CRLF,
 * a byte-order mark, nesting limits, NULs in strings, the bound on what
 * aliases may add, large mappings (their key index), and the diagnostics
 * list itself (counting, sorting, promotion, printing, the cap per file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/diag.h"
#include "harness/core/node.h"
#include "harness/load/prompt.h"
#include "harness/load/yaml_load.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static struct pe_doc *load(const char *src, struct pe_diag *diag)
{
	return pe_yaml_load("t.yml", src, strlen(src), PE_PROMPT_MAX_FILE,
			    diag);
}

/* Fails with the row name and the whole entry when it differs. */
static void check_entry(const char *row, const struct pe_diag_entry *e,
			enum pe_severity severity, const char *message,
			unsigned line, unsigned col)
{
	if (!e)
		fail_msg("%s: no diagnostic, expected %u:%u '%s'", row, line,
			 col, message);
	if (e->severity != severity || strcmp(e->message, message) ||
	    e->line != line || e->col != col)
		fail_msg("%s:\n  expected %s %u:%u '%s'\n  actual   %s %u:%u "
			 "'%s'",
			 row, pe_severity_name(severity), line, col, message,
			 pe_severity_name(e->severity), e->line, e->col,
			 e->message);
}

struct broken_case {
	const char *name;
	const char *src;
	const char *message;
	unsigned line;
	unsigned col;
};

static const struct broken_case broken[] = {
	{ "duplicate key", "a: 1\na: 2\n",
	  "duplicate key 'a' (first defined at line 1, column 1)", 2, 1 },
	{ "nested duplicate key", "top:\n  x: 1\n  y: 2\n  x: 3\n",
	  "duplicate key 'x' (first defined at line 2, column 3)", 4, 3 },
	{ "duplicate key in flow mapping", "m: {k: 1, k: 2}\n",
	  "duplicate key 'k' (first defined at line 1, column 5)", 1, 11 },
	{ "unknown alias", "a: *nope\n", "unknown alias '*nope'", 1, 4 },
	{ "more than one document", "a: 1\n---\nb: 2\n",
	  "more than one YAML document in the file; a prompt file holds "
	  "exactly one",
	  2, 1 },
	{ "tab indentation", "a:\n\tb: 1\n",
	  "YAML syntax error: found character that cannot start any token "
	  "(while scanning for the next token at line 2, column 1)",
	  2, 1 },
	{ "tab in block scalar", "a: |\n  x\n\tb\n",
	  "YAML syntax error: found a tab character where an indentation "
	  "space is expected (while scanning a block scalar at line 1, "
	  "column 4)",
	  3, 1 },
	{ "unclosed double quote", "a: \"abc\nb: 2\n",
	  "YAML syntax error: found unexpected end of stream (while "
	  "scanning a quoted scalar at line 1, column 4)",
	  3, 1 },
	{ "unclosed single quote", "a: 'abc\n",
	  "YAML syntax error: found unexpected end of stream (while "
	  "scanning a quoted scalar at line 1, column 4)",
	  2, 1 },
	{ "bad indentation (dedent)", "a:\n  b: 1\n c: 2\n",
	  "YAML syntax error: did not find expected key (while parsing a "
	  "block mapping at line 1, column 1)",
	  3, 2 },
	{ "bad indentation (indent)", "a: 1\nb: 2\n  c: 3\n",
	  "YAML syntax error: mapping values are not allowed in this context",
	  3, 4 },
	{ "indented first line", "  a: 1\nb: 2\n",
	  "YAML syntax error: did not find expected <document start>", 2, 1 },
	{ "colon in plain value", "a: b: c\n",
	  "YAML syntax error: mapping values are not allowed in this context",
	  1, 5 },
	{ "unclosed flow sequence", "a: [1, 2\n",
	  "YAML syntax error: did not find expected ',' or ']' (while "
	  "parsing a flow sequence at line 1, column 4)",
	  2, 1 },
	{ "unclosed flow mapping", "a: {b: 1\n",
	  "YAML syntax error: did not find expected ',' or '}' (while "
	  "parsing a flow mapping at line 1, column 4)",
	  2, 1 },
	{ "list then mapping", "- a\nb: 1\n",
	  "YAML syntax error: did not find expected '-' indicator (while "
	  "parsing a block collection at line 1, column 1)",
	  2, 1 },
	{ "unknown escape", "key: \"bad \\q escape\"\n",
	  "YAML syntax error: found unknown escape character (while parsing "
	  "a quoted scalar at line 1, column 6)",
	  1, 11 },
	{ "reserved indicator", "a: @foo\n",
	  "YAML syntax error: found character that cannot start any token "
	  "(while scanning for the next token at line 1, column 4)",
	  1, 4 },
	{ "invalid UTF-8 lead byte", "a: \xff\xfe\n",
	  "invalid text: invalid leading UTF-8 octet (at byte 3); prompt "
	  "files must be UTF-8",
	  1, 4 },
	{ "truncated UTF-8 sequence", "a: \xc3",
	  "invalid text: incomplete UTF-8 octet sequence (at byte 3); prompt "
	  "files must be UTF-8",
	  1, 4 },
	{ "merge of a scalar", "x: 1\n<<: 5\n",
	  "a '<<' merge needs a mapping or a list of mappings, not a number", 2,
	  5 },
	{ "complex key", "? [1]\n: 2\n",
	  "mapping keys must be plain text, not a list", 1, 3 },
	{ "NUL escape in a value", "a: \"x\\0y\"\n",
	  "a NUL character in a string; prompt files, datasets and "
	  "configuration cannot hold one",
	  1, 6 },
	{ "\\x00 in a key", "\"k\\x00\": 1\n",
	  "a NUL character in a string; prompt files, datasets and "
	  "configuration cannot hold one",
	  1, 3 },
	{ "\\u0000 after a multi-byte character", "a: \"\xc3\xa9\\u0000\"\n",
	  "a NUL character in a string; prompt files, datasets and "
	  "configuration cannot hold one",
	  1, 6 },
	{ "NUL byte in the file", "a: x\0y\n",
	  "invalid text: control characters are not allowed (at byte 4); "
	  "prompt files must be UTF-8",
	  1, 5 },
	{ "duplicate key in a large mapping",
	  "{k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, "
	  "k9: 9, k3: 10}\n",
	  "duplicate key 'k3' (first defined at line 1, column 23)", 1, 72 },
};

static void test_broken(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		struct pe_diag *d = pe_diag_new();
		/* A NUL byte in the file: strlen would stop at it. */
		size_t len = strlen(broken[i].src);
		struct pe_doc *doc;

		if (strstr(broken[i].name, "NUL byte"))
			len += 1 + strlen(broken[i].src + len + 1);
		doc = pe_yaml_load("t.yml", broken[i].src, len,
				   PE_PROMPT_MAX_FILE, d);

		if (doc)
			fail_msg("%s: loaded without error", broken[i].name);
		if (pe_diag_len(d) != 1)
			fail_msg("%s: %zu diagnostics, expected 1",
				 broken[i].name, pe_diag_len(d));
		check_entry(broken[i].name, pe_diag_get(d, 0), PE_SEV_ERROR,
			    broken[i].message, broken[i].line, broken[i].col);
		assert_string_equal(pe_diag_get(d, 0)->file, "t.yml");
		pe_diag_free(d);
	}
}

static char *nested_flow(size_t depth)
{
	char *s = malloc(2 * depth + 2);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\n';
	s[2 * depth + 1] = '\0';
	return s;
}

static void test_nesting_limit(void **state)
{
	struct pe_diag *d = pe_diag_new();
	char *ok = nested_flow(128), *deep = nested_flow(129);
	struct pe_doc *doc = load(ok, d);
	const struct pe_node *n;
	size_t levels = 0;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(pe_diag_len(d), 0);
	for (n = doc->root; n && n->kind == PE_NODE_SEQ;
	     n = n->count ? n->items[0] : NULL)
		levels++;
	assert_int_equal(levels, 128);
	pe_doc_free(doc);

	assert_null(load(deep, d));
	assert_int_equal(pe_diag_len(d), 1);
	check_entry("129 levels", pe_diag_get(d, 0), PE_SEV_ERROR,
		    "nesting is deeper than 128 levels", 1, 129);
	free(ok);
	free(deep);
	pe_diag_free(d);
}

struct scalar_case {
	const char *text; /* written after "v: " */
	enum pe_node_kind kind;
	long long ival;
	double fval;
	int bval;
	const char *decoded;
};

static const struct scalar_case scalars[] = {
	{ "", PE_NODE_NULL, 0, 0, 0, "" },
	{ "~", PE_NODE_NULL, 0, 0, 0, "~" },
	{ "null", PE_NODE_NULL, 0, 0, 0, "null" },
	{ "Null", PE_NODE_NULL, 0, 0, 0, "Null" },
	{ "NULL", PE_NODE_NULL, 0, 0, 0, "NULL" },
	{ "true", PE_NODE_BOOL, 0, 0, 1, "true" },
	{ "True", PE_NODE_BOOL, 0, 0, 1, "True" },
	{ "false", PE_NODE_BOOL, 0, 0, 0, "false" },
	{ "FALSE", PE_NODE_BOOL, 0, 0, 0, "FALSE" },
	{ "42", PE_NODE_INT, 42, 42, 0, "42" },
	{ "-7", PE_NODE_INT, -7, -7, 0, "-7" },
	{ "+3", PE_NODE_INT, 3, 3, 0, "+3" },
	{ "0", PE_NODE_INT, 0, 0, 0, "0" },
	{ "0x1f", PE_NODE_INT, 31, 31, 0, "0x1f" },
	{ "0o17", PE_NODE_INT, 15, 15, 0, "0o17" },
	{ "0.5", PE_NODE_FLOAT, 0, 0.5, 0, "0.5" },
	{ "1e3", PE_NODE_FLOAT, 0, 1000, 0, "1e3" },
	{ "-2.5e-1", PE_NODE_FLOAT, 0, -0.25, 0, "-2.5e-1" },
	{ ".5", PE_NODE_FLOAT, 0, 0.5, 0, ".5" },
	{ "'42'", PE_NODE_STRING, 0, 0, 0, "42" },
	{ "\"true\"", PE_NODE_STRING, 0, 0, 0, "true" },
	{ "''", PE_NODE_STRING, 0, 0, 0, "" },
	{ "!!str 42", PE_NODE_STRING, 0, 0, 0, "42" },
	{ "yes", PE_NODE_STRING, 0, 0, 0, "yes" },
	{ "no", PE_NODE_STRING, 0, 0, 0, "no" },
	{ "on", PE_NODE_STRING, 0, 0, 0, "on" },
	{ "off", PE_NODE_STRING, 0, 0, 0, "off" },
	{ "y", PE_NODE_STRING, 0, 0, 0, "y" },
	{ ".inf", PE_NODE_STRING, 0, 0, 0, ".inf" },
	{ ".nan", PE_NODE_STRING, 0, 0, 0, ".nan" },
	{ "0x", PE_NODE_STRING, 0, 0, 0, "0x" },
	{ "-0x1f", PE_NODE_STRING, 0, 0, 0, "-0x1f" },
	{ "12abc", PE_NODE_STRING, 0, 0, 0, "12abc" },
	{ "1.2.3", PE_NODE_STRING, 0, 0, 0, "1.2.3" },
	{ "1e", PE_NODE_STRING, 0, 0, 0, "1e" },
	{ ".", PE_NODE_STRING, 0, 0, 0, "." },
	{ "hello world", PE_NODE_STRING, 0, 0, 0, "hello world" },
	{ "\"a\\tb\\u00e9\"", PE_NODE_STRING, 0, 0, 0, "a\tb\xc3\xa9" },
};

static void test_scalar_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++) {
		const struct scalar_case *c = &scalars[i];
		struct pe_diag *d = pe_diag_new();
		char src[128];
		struct pe_doc *doc;
		const struct pe_node *v;

		snprintf(src, sizeof(src), "v: %s\n", c->text);
		doc = load(src, d);
		if (!doc)
			fail_msg("'%s' did not load", c->text);
		v = pe_node_get(doc->root, "v");
		assert_non_null(v);
		if (v->kind != c->kind)
			fail_msg("'%s': kind %s, expected %s", c->text,
				 pe_node_kind_name(v->kind),
				 pe_node_kind_name(c->kind));
		assert_string_equal(v->text, c->decoded);
		assert_int_equal(v->len, strlen(c->decoded));
		if (c->kind == PE_NODE_INT) {
			assert_int_equal(v->ival, c->ival);
			assert_true(v->fval == c->fval);
		}
		if (c->kind == PE_NODE_FLOAT)
			assert_true(v->fval == c->fval);
		if (c->kind == PE_NODE_BOOL)
			assert_int_equal(v->bval, c->bval);
		pe_doc_free(doc);
		pe_diag_free(d);
	}
}

/*
 * Regression (fixed): yaml.c resolve_plain/parse_int: an integer that does not fit in
 * 64 bits ("99999999999999999999") is typed PE_NODE_INT with ival clamped
 * to LLONG_MAX by strtoll, silently changing the value.  gopkg.in/yaml.v3,
 * which the loader follows, falls back to a float (1e20).
 */
static void test_integer_overflow(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load("v: 99999999999999999999\n", d);
	const struct pe_node *v = doc ? pe_node_get(doc->root, "v") : NULL;
	enum pe_node_kind kind = v ? v->kind : PE_NODE_NULL;
	double fval = v ? v->fval : 0;

	(void)state;
	/* Free first: a failed assertion must not leak under ASan. */
	pe_doc_free(doc);
	pe_diag_free(d);
	assert_int_equal(kind, PE_NODE_FLOAT);
	assert_true(fval == 1e20);
}

struct mark_case {
	const char *path; /* dotted path; "#N" indexes a list */
	unsigned key_line, key_col;
	unsigned line, col;
};

static const char marks_src[] = "name: demo\n"
				"messages:\n"
				"  - role: user\n"
				"    content: hi there\n"
				"  - role: system\n"
				"    content: >\n"
				"      folded\n"
				"params: {temperature: 0.5, stop: [a, b]}\n";

static const struct mark_case marks[] = {
	{ "name", 1, 1, 1, 7 },
	{ "messages", 2, 1, 3, 3 },
	{ "messages.#0", 0, 0, 3, 5 },
	{ "messages.#0.role", 3, 5, 3, 11 },
	{ "messages.#0.content", 4, 5, 4, 14 },
	{ "messages.#1.content", 6, 5, 6, 14 },
	{ "params", 8, 1, 8, 9 },
	{ "params.temperature", 8, 10, 8, 23 },
	{ "params.stop", 8, 28, 8, 34 },
	{ "params.stop.#1", 0, 0, 8, 38 },
};

/* Walks a dotted path; *key receives the key node of the last step. */
static const struct pe_node *walk(const struct pe_node *n, const char *path,
				  const struct pe_node **key)
{
	char buf[64];
	char *save = buf;

	snprintf(buf, sizeof(buf), "%s", path);
	*key = NULL;
	while (n && save) {
		char *part = save, *dot = strchr(save, '.');

		if (dot)
			*dot = '\0';
		save = dot ? dot + 1 : NULL;
		if (part[0] == '#') {
			size_t i = strtoul(part + 1, NULL, 10);

			*key = NULL;
			n = n->kind == PE_NODE_SEQ && i < n->count ? n->items[i]
								   : NULL;
		} else {
			const struct pe_pair *p = pe_node_pair(n, part);

			*key = p ? p->key : NULL;
			n = p ? p->value : NULL;
		}
	}
	return n;
}

static void test_marks(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load(marks_src, d);

	(void)state;
	assert_non_null(doc);
	assert_int_equal(doc->root->mark.line, 1);
	assert_int_equal(doc->root->mark.col, 1);
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		const struct pe_node *key;
		const struct pe_node *v = walk(doc->root, marks[i].path, &key);

		if (!v)
			fail_msg("%s: not found", marks[i].path);
		assert_string_equal(v->mark.file, "t.yml");
		if (v->mark.line != marks[i].line ||
		    v->mark.col != marks[i].col)
			fail_msg("%s: value at %u:%u, expected %u:%u",
				 marks[i].path, v->mark.line, v->mark.col,
				 marks[i].line, marks[i].col);
		if (marks[i].key_line && (key->mark.line != marks[i].key_line ||
					  key->mark.col != marks[i].key_col))
			fail_msg("%s: key at %u:%u, expected %u:%u",
				 marks[i].path, key->mark.line, key->mark.col,
				 marks[i].key_line, marks[i].key_col);
	}
	pe_doc_free(doc);
	pe_diag_free(d);
}

/* src_start/src_end delimit the node's text in doc->source. */
static void test_source_range_ascii(void **state)
{
	static const char src[] = "k: hello\nq: 'it''s'\n";
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load(src, d);
	const struct pe_node *k, *q;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(doc->source_len, strlen(src));
	assert_memory_equal(doc->source, src, sizeof(src));
	k = pe_node_get(doc->root, "k");
	q = pe_node_get(doc->root, "q");
	assert_int_equal(k->src_start, 3);
	assert_int_equal(k->src_end, 8);
	assert_memory_equal(doc->source + q->src_start, "'it''s'", 7);
	assert_int_equal(q->src_end - q->src_start, 7);
	assert_string_equal(q->text, "it's");
	pe_doc_free(doc);
	pe_diag_free(d);
}

/*
 * Regression (fixed): yaml.c on_scalar/on_start/on_end store libyaml's mark.index in
 * src_start/src_end, but libyaml counts characters there, not bytes.  After
 * any multi-byte character (or a byte-order mark, which libyaml does not
 * count at all) the "byte range in the document's source" of node.h points
 * too early, so pe_doc_locate misses or misplaces {{variables}}.  Here "v"
 * is at byte 11 ("x: " + two 2-byte characters + "\nk: "), not 9.
 */
static void test_source_range_utf8(void **state)
{
	static const char src[] = "x: \xc3\xa9\xc3\xa9\nk: v\n";
	static const char bom_src[] = "\xef\xbb\xbfk: v\n";
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load(src, d);
	struct pe_doc *bom = load(bom_src, d);
	struct pe_node v = *pe_node_get(doc->root, "k");
	struct pe_node bv = *pe_node_get(bom->root, "k");

	(void)state;
	/* Free first: a failed assertion must not leak under ASan. */
	pe_doc_free(doc);
	pe_doc_free(bom);
	pe_diag_free(d);
	assert_int_equal(v.mark.line, 2);
	assert_int_equal(v.mark.col, 4);
	assert_int_equal(bv.mark.line, 1);
	assert_int_equal(bv.mark.col, 4);
	assert_int_equal(v.src_start, 11);
	assert_int_equal(bv.src_start, 6);
}

struct block_case {
	const char *src;
	const char *text;
	unsigned line, col;
};

static const struct block_case blocks[] = {
	{ "v: |\n  a\n  b\n", "a\nb\n", 1, 4 },
	{ "v: |-\n  a\n  b\n", "a\nb", 1, 4 },
	{ "v: |+\n  a\n\n", "a\n\n", 1, 4 },
	{ "v: >\n  a\n  b\n\n  c\n", "a b\nc\n", 1, 4 },
	{ "v: >-\n  a\n  b\n", "a b", 1, 4 },
	{ "v: |\n  42\n", "42\n", 1, 4 },
	{ "v: |2\n    indented\n", "  indented\n", 1, 4 },
	{ "v: |\n  {{ name }}\n  x: y\n", "{{ name }}\nx: y\n", 1, 4 },
};

static void test_block_scalars(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		struct pe_diag *d = pe_diag_new();
		struct pe_doc *doc = load(blocks[i].src, d);
		const struct pe_node *v;

		if (!doc)
			fail_msg("row %zu did not load", i);
		v = pe_node_get(doc->root, "v");
		assert_int_equal(v->kind, PE_NODE_STRING);
		assert_string_equal(v->text, blocks[i].text);
		assert_int_equal(v->len, strlen(blocks[i].text));
		assert_int_equal(v->mark.line, blocks[i].line);
		assert_int_equal(v->mark.col, blocks[i].col);
		pe_doc_free(doc);
		pe_diag_free(d);
	}
}

static void test_anchors_aliases(void **state)
{
	static const char src[] = "base: &b {x: 1, y: [1, 2]}\n"
				  "copy: *b\n"
				  "word: &w hello\n"
				  "again: *w\n"
				  "list: [*w, *b]\n"
				  "re: &w bye\n"
				  "late: *w\n";
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load(src, d);
	const struct pe_node *base, *word, *list;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(pe_diag_len(d), 0);
	base = pe_node_get(doc->root, "base");
	word = pe_node_get(doc->root, "word");
	list = pe_node_get(doc->root, "list");
	assert_int_equal(base->kind, PE_NODE_MAP);
	assert_ptr_equal(pe_node_get(doc->root, "copy"), base);
	assert_ptr_equal(pe_node_get(doc->root, "again"), word);
	assert_string_equal(word->text, "hello");
	assert_int_equal(list->count, 2);
	assert_ptr_equal(list->items[0], word);
	assert_ptr_equal(list->items[1], base);
	/* A redefined anchor refers to the latest definition. */
	assert_string_equal(pe_node_get(doc->root, "late")->text, "bye");
	pe_doc_free(doc);
	pe_diag_free(d);
}

struct merge_case {
	const char *key;
	const char *value; /* NULL: the key must be absent */
};

static void test_merge_keys(void **state)
{
	static const char src[] = "base: &base\n"
				  "  x: 1\n"
				  "  y: 2\n"
				  "more: &more {y: 20, w: 5}\n"
				  "derived:\n"
				  "  <<: *base\n"
				  "  y: 3\n"
				  "  z: 4\n"
				  "both:\n"
				  "  <<: [*more, *base]\n"
				  "  x: 9\n";
	static const struct merge_case derived[] = {
		{ "x", "1" },	{ "y", "3" },  { "z", "4" },
		{ "<<", NULL }, { "w", NULL },
	};
	static const struct merge_case both[] = {
		{ "x", "9" },
		{ "y", "20" },
		{ "w", "5" },
		{ "<<", NULL },
	};
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load(src, d);
	const struct pe_node *dn, *bn;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(pe_diag_len(d), 0);
	dn = pe_node_get(doc->root, "derived");
	bn = pe_node_get(doc->root, "both");
	assert_int_equal(dn->npairs, 3);
	assert_int_equal(bn->npairs, 3);
	for (size_t i = 0; i < ARRAY_SIZE(derived); i++) {
		const struct pe_node *v = pe_node_get(dn, derived[i].key);

		if (!derived[i].value)
			assert_null(v);
		else
			assert_string_equal(v->text, derived[i].value);
	}
	for (size_t i = 0; i < ARRAY_SIZE(both); i++) {
		const struct pe_node *v = pe_node_get(bn, both[i].key);

		if (!both[i].value)
			assert_null(v);
		else
			assert_string_equal(v->text, both[i].value);
	}
	/* Explicit keys come first, in source order; merged ones follow. */
	assert_string_equal(dn->pairs[0].key->text, "y");
	assert_string_equal(dn->pairs[1].key->text, "z");
	assert_string_equal(dn->pairs[2].key->text, "x");
	/* The anchored mapping itself is not changed by merging. */
	assert_string_equal(
		pe_node_get(pe_node_get(doc->root, "base"), "y")->text, "2");
	pe_doc_free(doc);
	pe_diag_free(d);
}

/*
 * Regression (fixed): yaml.c merge_into reports a '<<' merge of an aliased scalar at the
 * anchored node's mark (line 1 here), which is not where the merge is.
 * The error should point at the merge value on line 3, as it does when the
 * scalar is written inline ("<<: 5" gives the value's position).
 */
static void test_merge_alias_error_position(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load("b: &b 1\nx:\n  <<: *b\n", d);
	size_t len = pe_diag_len(d);
	unsigned line = len ? pe_diag_get(d, 0)->line : 0;
	unsigned col = len ? pe_diag_get(d, 0)->col : 0;
	int same = len && !strcmp(pe_diag_get(d, 0)->message,
				  "a '<<' merge needs a mapping or a list of "
				  "mappings, not a number");

	(void)state;
	/* Free first: a failed assertion must not leak under ASan. */
	pe_doc_free(doc);
	pe_diag_free(d);
	assert_null(doc);
	assert_int_equal(len, 1);
	assert_true(same);
	assert_int_equal(line, 3);
	assert_int_equal(col, 7);
}

static void test_crlf(void **state)
{
	static const char src[] = "a: 1\r\nb: |\r\n  x\r\n  y\r\nc: 'q'\r\n";
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load(src, d);
	const struct pe_pair *b, *c;

	(void)state;
	assert_non_null(doc);
	b = pe_node_pair(doc->root, "b");
	c = pe_node_pair(doc->root, "c");
	assert_string_equal(b->value->text, "x\ny\n");
	assert_int_equal(b->key->mark.line, 2);
	assert_int_equal(b->key->mark.col, 1);
	assert_int_equal(c->key->mark.line, 5);
	assert_int_equal(c->value->mark.col, 4);
	assert_string_equal(c->value->text, "q");
	assert_int_equal(pe_node_get(doc->root, "a")->kind, PE_NODE_INT);
	pe_doc_free(doc);
	pe_diag_free(d);
}

static void test_bom(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc = load("\xef\xbb\xbf"
				  "a: 1\nb: two\n",
				  d);
	const struct pe_pair *a;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(pe_diag_len(d), 0);
	assert_int_equal(doc->root->npairs, 2);
	a = &doc->root->pairs[0];
	assert_string_equal(a->key->text, "a");
	assert_int_equal(a->key->mark.line, 1);
	assert_int_equal(a->key->mark.col, 1);
	assert_int_equal(a->value->ival, 1);
	assert_int_equal(pe_node_get(doc->root, "b")->mark.line, 2);
	pe_doc_free(doc);
	pe_diag_free(d);
}

static void test_empty_documents(void **state)
{
	static const char *const empty[] = { "", "# only a comment\n",
					     "\n\n   \n", "---\n...\n" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		struct pe_diag *d = pe_diag_new();
		struct pe_doc *doc = load(empty[i], d);

		if (!doc)
			fail_msg("row %zu did not load", i);
		assert_int_equal(pe_diag_len(d), 0);
		assert_true(!doc->root || doc->root->kind == PE_NODE_NULL);
		assert_string_equal(doc->path, "t.yml");
		pe_doc_free(doc);
		pe_diag_free(d);
	}
	/* "---" alone is one document holding a null. */
	{
		struct pe_diag *d = pe_diag_new();
		struct pe_doc *doc = load("--- \n", d);

		assert_non_null(doc);
		assert_non_null(doc->root);
		assert_int_equal(doc->root->kind, PE_NODE_NULL);
		pe_doc_free(doc);
		pe_diag_free(d);
	}
}

static void test_version(void **state)
{
	(void)state;
	assert_non_null(pe_yaml_version());
	assert_true(strlen(pe_yaml_version()) > 0);
}

/* The diagnostics list. */

static void test_diag_counts(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_mark a = { "a.yml", 3, 1 }, b = { "b.yml", 1, 2 };

	(void)state;
	assert_int_equal(pe_diag_len(d), 0);
	assert_null(pe_diag_get(d, 0));
	pe_diag_error(d, &a, "bad %s", "thing");
	pe_diag_warning(d, &b, "odd %d", 7);
	pe_diag_add(d, PE_SEV_WARNING, &a, "odd %s", "again");
	pe_diag_error(d, NULL, "no file");
	assert_int_equal(pe_diag_len(d), 4);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 2);
	assert_int_equal(pe_diag_count(d, PE_SEV_WARNING), 2);
	assert_int_equal(pe_diag_count_file(d, "a.yml", PE_SEV_ERROR), 1);
	assert_int_equal(pe_diag_count_file(d, "a.yml", PE_SEV_WARNING), 1);
	assert_int_equal(pe_diag_count_file(d, "b.yml", PE_SEV_ERROR), 0);
	assert_int_equal(pe_diag_count_file(d, "c.yml", PE_SEV_WARNING), 0);
	check_entry("first", pe_diag_get(d, 0), PE_SEV_ERROR, "bad thing", 3,
		    1);
	check_entry("second", pe_diag_get(d, 1), PE_SEV_WARNING, "odd 7", 1, 2);
	check_entry("no mark", pe_diag_get(d, 3), PE_SEV_ERROR, "no file", 0,
		    0);
	assert_string_equal(pe_diag_get(d, 3)->file, "");
	assert_null(pe_diag_get(d, 4));
	pe_diag_promote_warnings(d);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 4);
	assert_int_equal(pe_diag_count(d, PE_SEV_WARNING), 0);
	pe_diag_free(d);
	pe_diag_free(NULL);
}

static void test_diag_copies_and_newlines(void **state)
{
	struct pe_diag *d = pe_diag_new();
	char file[16] = "x.yml";
	struct pe_mark m = { file, 2, 5 };

	(void)state;
	pe_diag_error(d, &m, "line one\nline two\r\nend");
	file[0] = 'y';
	assert_string_equal(pe_diag_get(d, 0)->file, "x.yml");
	assert_string_equal(pe_diag_get(d, 0)->message,
			    "line one line two  end");
	pe_diag_free(d);
}

struct sort_case {
	const char *file;
	unsigned line, col;
	const char *message;
};

static void test_diag_sort(void **state)
{
	static const struct sort_case in[] = {
		{ "b.yml", 1, 1, "b1" },
		{ "a.yml", 10, 1, "a10" },
		{ "a.yml", 2, 7, "a2c7" },
		{ "a.yml", 2, 3, "a2c3-first" },
		{ "a.yml", 2, 3, "a2c3-second" },
		{ "", 0, 0, "global" },
		{ "a.yml", 9, 1, "a9" },
	};
	static const char *const want[] = {
		"global", "a2c3-first", "a2c3-second", "a2c7", "a9", "a10", "b1"
	};
	struct pe_diag *d = pe_diag_new();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct pe_mark m = { in[i].file, in[i].line, in[i].col };

		pe_diag_error(d, &m, "%s", in[i].message);
	}
	pe_diag_sort(d);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(pe_diag_get(d, i)->message, want[i]);
	pe_diag_free(d);
}

static void test_diag_print(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_mark full = { "p.yml", 12, 5 }, nopos = { "q.yml", 0, 0 };
	FILE *f = tmpfile();
	char out[512];
	size_t n;

	(void)state;
	assert_non_null(f);
	pe_diag_error(d, &full, "unknown evaluator '%s'", "regexp");
	pe_diag_warning(d, &nopos, "cannot open: %s", "gone");
	pe_diag_error(d, NULL, "out of %s", "luck");
	pe_diag_print(d, f);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_string_equal(out,
			    "p.yml:12:5: error: unknown evaluator 'regexp'\n"
			    "q.yml: warning: cannot open: gone\n"
			    "prompteval: error: out of luck\n");
	assert_string_equal(pe_severity_name(PE_SEV_ERROR), "error");
	assert_string_equal(pe_severity_name(PE_SEV_WARNING), "warning");
	pe_diag_free(d);
}

/*
 * Aliases may add at most max_bytes to the document written out: a
 * scalar takes its length plus 2, a collection 2 plus its children.  Here
 * a takes 17, b adds 51 (and takes 53), and the second *b in c would make
 * 157 > 150: the error points at it.
 */
static void test_alias_budget(void **state)
{
	const char *src = "a: &a [lol, lol, lol]\n"
			  "b: &b [*a, *a, *a]\n"
			  "c: [*b, *b]\n";
	struct pe_diag *d = pe_diag_new();
	struct pe_doc *doc;

	(void)state;
	doc = pe_yaml_load("t.yml", src, strlen(src), 157, d);
	assert_non_null(doc);
	pe_doc_free(doc);
	assert_null(pe_yaml_load("t.yml", src, strlen(src), 150, d));
	assert_int_equal(pe_diag_len(d), 1);
	check_entry("budget", pe_diag_get(d, 0), PE_SEV_ERROR,
		    "aliases expand the file past 150 bytes, the most they "
		    "may add (the largest file read); '*b' would add 53 "
		    "bytes to the 104 added before it",
		    3, 9);
	pe_diag_free(d);
}

/*
 * The "billion laughs" in 600 bytes: nine levels of nine aliases would
 * expand to gigabytes.  Loading stops at the 16 MiB bound, at once.
 */
static void test_alias_bomb(void **state)
{
	struct pe_diag *d = pe_diag_new();
	char src[1024];
	size_t len;

	(void)state;
	len = (size_t)snprintf(src, sizeof(src),
			       "l0: &a0 [lol, lol, lol, "
			       "lol, lol, lol, lol, lol, "
			       "lol]\n");
	for (int i = 1; i < 10; i++)
		len += (size_t)snprintf(src + len, sizeof(src) - len,
					"l%d: &a%d [*a%d, *a%d, *a%d, *a%d, "
					"*a%d, *a%d, *a%d, *a%d, *a%d]\n",
					i, i, i - 1, i - 1, i - 1, i - 1, i - 1,
					i - 1, i - 1, i - 1, i - 1);
	assert_null(pe_yaml_load("t.yml", src, len, PE_PROMPT_MAX_FILE, d));
	assert_int_equal(pe_diag_len(d), 1);
	assert_non_null(strstr(pe_diag_get(d, 0)->message,
			       "aliases expand the file past 16777216 bytes"));
	assert_non_null(strstr(pe_diag_get(d, 0)->message, "'*a5' would add"));
	assert_int_equal(pe_diag_get(d, 0)->line, 7);
	pe_diag_free(d);
}

/* A mapping with many keys finds each of them through its index. */
static void test_large_mapping(void **state)
{
	struct pe_diag *d = pe_diag_new();
	char src[8192], key[16];
	size_t len = 0;
	struct pe_doc *doc;

	(void)state;
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(src + len, sizeof(src) - len,
					"k%d: %d\n", i, i);
	doc = pe_yaml_load("t.yml", src, len, PE_PROMPT_MAX_FILE, d);
	assert_non_null(doc);
	assert_non_null(doc->root->index);
	assert_int_equal(doc->root->npairs, 300);
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(pe_node_get(doc->root, key)->ival, i);
	}
	assert_null(pe_node_get(doc->root, "k300"));
	assert_null(pe_node_pair_len(doc->root, "k1", 1));
	assert_int_equal(pe_node_pair_len(doc->root, "k12", 2)->value->ival, 1);
	pe_doc_free(doc);
	pe_diag_free(d);
}

/*
 * A file keeps its first PE_DIAG_KEEP_PER_FILE diagnostics; the rest are
 * counted, and the printer says how many.
 */
static void test_diag_cap(void **state)
{
	struct pe_diag *d = pe_diag_new();
	struct pe_mark a = { "a.yml", 1, 1 }, b = { "b.yml", 2, 2 };
	FILE *f = tmpfile();
	char out[65536];
	size_t n;

	(void)state;
	for (int i = 0; i < 250; i++)
		pe_diag_error(d, &a, "bad %d", i);
	for (int i = 0; i < 7; i++)
		pe_diag_warning(d, &a, "odd %d", i);
	pe_diag_warning(d, &b, "fine");
	assert_true(pe_diag_file_full(d, "a.yml"));
	assert_false(pe_diag_file_full(d, "b.yml"));
	assert_int_equal(pe_diag_len(d), PE_DIAG_KEEP_PER_FILE + 1);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 250);
	assert_int_equal(pe_diag_count_file(d, "a.yml", PE_SEV_WARNING), 7);
	pe_diag_print(d, f);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_non_null(strstr(out, "a.yml:1:1: error: bad 99\n"
				    "b.yml:2:2: warning: fine\n"
				    "a.yml: error: 150 more errors and 7 more "
				    "warnings not shown (the first 100 of a "
				    "file are)\n"));
	assert_null(strstr(out, "bad 100"));
	pe_diag_promote_warnings(d);
	assert_int_equal(pe_diag_count_file(d, "a.yml", PE_SEV_ERROR), 257);
	pe_diag_free(d);
}

/* The list keeps PE_DIAG_KEEP_TOTAL in all: one line for the rest. */
static void test_diag_cap_total(void **state)
{
	struct pe_diag *d = pe_diag_new();
	FILE *f = tmpfile();
	char name[32], *out;
	long size;

	(void)state;
	for (int i = 0; i < 1200; i++) {
		struct pe_mark m = { name, 1, 1 };

		snprintf(name, sizeof(name), "f%04d.md", i);
		pe_diag_error(d, &m, "bad");
	}
	assert_int_equal(pe_diag_len(d), PE_DIAG_KEEP_TOTAL);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 1200);
	assert_true(pe_diag_file_full(d, "f0000.md"));
	pe_diag_print(d, f);
	size = ftell(f);
	out = malloc((size_t)size + 1);
	rewind(f);
	assert_int_equal(fread(out, 1, (size_t)size, f), (size_t)size);
	out[size] = '\0';
	fclose(f);
	assert_non_null(strstr(out, "f0999.md:1:1: error: bad\n"
				    "prompteval: error: 200 more errors and 0 "
				    "more warnings in 200 more files not shown "
				    "(the first 1000 in all are)\n"));
	assert_null(strstr(out, "f1000.md"));
	free(out);
	pe_diag_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_scalar_types),
		cmocka_unit_test(test_integer_overflow),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_source_range_ascii),
		cmocka_unit_test(test_source_range_utf8),
		cmocka_unit_test(test_block_scalars),
		cmocka_unit_test(test_anchors_aliases),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_merge_alias_error_position),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_diag_counts),
		cmocka_unit_test(test_diag_copies_and_newlines),
		cmocka_unit_test(test_diag_sort),
		cmocka_unit_test(test_diag_print),
		cmocka_unit_test(test_alias_budget),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_large_mapping),
		cmocka_unit_test(test_diag_cap),
		cmocka_unit_test(test_diag_cap_total),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
