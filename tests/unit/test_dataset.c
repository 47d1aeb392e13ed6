/*
 * Unit tests for dataset.c (pe_dataset_load): JSONL (blank lines, bad
 * lines, non-object lines, value types), CSV (header, quoting, doubled
 * quotes, newlines in quotes, CRLF, BOM, field counts, unterminated
 * quotes, duplicate and empty columns, empty files, many columns), YAML
 * datasets (a list, a mapping with testData or cases), unknown extensions,
 * and hostile text: invalid UTF-8 and NULs are errors at their place.  Files are
 * written into a fresh mkdtemp directory per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/load/dataset.h"
#include "harness/core/diag.h"
#include "harness/core/node.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static int setup(void **state)
{
	return testdir_setup(state, "dataset");
}

static int teardown(void **state)
{
	return testdir_teardown(state);
}

/* Writes len bytes to dir/name into path (256 bytes). */
static void write_file(const struct testdir *f, const char *name,
		       const char *content, size_t len, char *path)
{
	FILE *fp;

	snprintf(path, 256, "%s/%s", f->dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void dump(const struct pe_diag *d)
{
	for (size_t i = 0; i < pe_diag_len(d); i++) {
		const struct pe_diag_entry *e = pe_diag_get(d, i);

		print_message("  %u:%u: %s\n", e->line, e->col, e->message);
	}
}

struct good_case {
	const char *file;
	const char *content;
	size_t count;
	/* One probe: case #index's key has this text and the case's line. */
	size_t index;
	const char *key;
	const char *value;
	unsigned line;
};

static const struct good_case good[] = {
	{ "blank.jsonl", "{\"a\": 1}\n\n   \n{\"a\": \"two\"}\n", 2, 1, "a",
	  "two", 4 },
	{ "crlf.jsonl", "{\"a\": 1}\r\n{\"a\": 2}\r\n", 2, 1, "a", "2", 2 },
	{ "nonl.jsonl", "{\"a\": 1}\n{\"a\": \"last\"}", 2, 1, "a", "last", 2 },
	{ "nested.jsonl", "{\"vars\": {\"t\": \"x\"}, \"expected\": \"y\"}\n",
	  1, 0, "expected", "y", 1 },
	{ "unicode.jsonl", "{\"a\": \"caf\\u00e9 \xe2\x9c\x93\"}\n", 1, 0, "a",
	  "caf\xc3\xa9 \xe2\x9c\x93", 1 },
	{ "empty.jsonl", "", 0, 0, NULL, NULL, 0 },
	{ "blank-only.jsonl", "\n \n\t\n", 0, 0, NULL, NULL, 0 },
	{ "quoted.csv",
	  "name,text\nAda,\"hello, world\"\nBob,\"say \"\"hi\"\"\"\n"
	  "Cy,\"line1\nline2\"\nDee,z\n",
	  4, 1, "text", "say \"hi\"", 3 },
	{ "comma.csv", "name,text\nAda,\"hello, world\"\n", 1, 0, "text",
	  "hello, world", 2 },
	{ "newline.csv", "name,text\nCy,\"line1\nline2\"\nDee,z\n", 2, 0,
	  "text", "line1\nline2", 2 },
	{ "after-newline.csv", "name,text\nCy,\"line1\nline2\"\nDee,z\n", 2, 1,
	  "name", "Dee", 4 },
	{ "crlf.csv", "name,text\r\nAda,x\r\nBob,\"y\"\r\n", 2, 1, "text", "y",
	  3 },
	{ "bom.csv", "\xef\xbb\xbfname,text\nAda,x\n", 1, 0, "name", "Ada", 2 },
	{ "empty-cells.csv", "a,b,c\n,,\n", 1, 0, "b", "", 2 },
	{ "blank-lines.csv", "a,b\n\n1,2\n\n\n3,4\n", 2, 1, "b", "4", 6 },
	{ "no-final-newline.csv", "a,b\n1,2", 1, 0, "b", "2", 2 },
	{ "header-only.csv", "a,b\n", 0, 0, NULL, NULL, 0 },
	{ "numbers-stay-text.csv", "n,flag\n007,true\n", 1, 0, "n", "007", 2 },
	{ "list.yaml", "- a: 1\n- a: 2\n  b: x\n", 2, 1, "b", "x", 2 },
	{ "map.yml", "name: set\ntestData:\n  - a: 1\n  - a: q\n", 2, 1, "a",
	  "q", 4 },
	{ "cases.yaml", "cases:\n  - a: c\n", 1, 0, "a", "c", 2 },
	{ "empty-list.yaml", "[]\n", 0, 0, NULL, NULL, 0 },
};

static void test_good(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const struct good_case *c = &good[i];
		struct pe_diag *d = pe_diag_new();
		char path[256];
		struct pe_doc *doc;
		const struct pe_node *item, *v;

		write_file(f, c->file, c->content, strlen(c->content), path);
		doc = pe_dataset_load(path, d);
		if (!doc || pe_diag_len(d)) {
			dump(d);
			fail_msg("%s: did not load cleanly", c->file);
		}
		assert_string_equal(doc->path, path);
		assert_non_null(doc->root);
		assert_int_equal(doc->root->kind, PE_NODE_SEQ);
		if (doc->root->count != c->count)
			fail_msg("%s: %zu cases, expected %zu", c->file,
				 doc->root->count, c->count);
		for (size_t k = 0; k < doc->root->count; k++)
			assert_int_equal(doc->root->items[k]->kind,
					 PE_NODE_MAP);
		if (c->key) {
			item = doc->root->items[c->index];
			v = pe_node_get(item, c->key);
			if (!v || strcmp(v->text, c->value))
				fail_msg("%s: %s is '%s', expected '%s'",
					 c->file, c->key,
					 v ? v->text : "(none)", c->value);
			assert_int_equal(v->len, strlen(c->value));
			if (item->mark.line != c->line)
				fail_msg("%s: case at line %u, expected %u",
					 c->file, item->mark.line, c->line);
			assert_string_equal(item->mark.file, path);
		}
		pe_doc_free(doc);
		pe_diag_free(d);
	}
}

struct bad_case {
	const char *file;
	const char *content;
	const char *message;
	unsigned line, col;
};

static const struct bad_case bad[] = {
	{ "bad-line.jsonl", "{\"a\": 1}\n{\"a\": }\n{\"a\": 3}\n",
	  "invalid JSON: unexpected character", 2, 7 },
	{ "array-line.jsonl", "{\"a\": 1}\n[1, 2]\n",
	  "each JSONL line must be a JSON object, not a list", 2, 1 },
	{ "string-line.jsonl", "\"text\"\n",
	  "each JSONL line must be a JSON object, not a string", 1, 1 },
	{ "number-line.jsonl", "{}\n{}\n42\n",
	  "each JSONL line must be a JSON object, not a number", 3, 1 },
	{ "too-many.csv", "a,b\n1,2\n1,2,3\n",
	  "CSV row has 3 fields but the header has 2", 3, 1 },
	{ "too-few.csv", "a,b\n1,2\n\n9\n",
	  "CSV row has 1 field but the header has 2", 4, 1 },
	{ "count-after-quoted-newline.csv", "a,b\n1,\"x\ny\"\n1,2,3\n",
	  "CSV row has 3 fields but the header has 2", 4, 1 },
	{ "unterminated.csv", "a,b\n1,\"abc\n", "unterminated quoted CSV field",
	  2, 3 },
	{ "unterminated-second-header.csv", "a,\"b\n1,2\n",
	  "unterminated quoted CSV field", 1, 3 },
	{ "after-quote.csv", "a,b\n\"x\"y,2\n",
	  "unexpected character after a quoted CSV field", 2, 4 },
	{ "duplicate-column.csv", "a,b,a\n1,2,3\n", "duplicate CSV column 'a'",
	  1, 5 },
	{ "empty-column.csv", "a,,c\n1,2,3\n",
	  "empty column name in the CSV header", 1, 3 },
	{ "empty.csv", "",
	  "empty CSV file: expected a header row of variable "
	  "names",
	  1, 1 },
	{ "bom-only.csv", "\xef\xbb\xbf",
	  "empty CSV file: expected a header row of variable names", 1, 1 },
	{ "scalar.yaml", "hello\n",
	  "a YAML dataset must be a list of test cases (or a mapping with a "
	  "'testData' list)",
	  1, 1 },
	{ "no-testdata.yaml", "foo: 1\n",
	  "a YAML dataset must be a list of test cases (or a mapping with a "
	  "'testData' list)",
	  1, 1 },
	{ "testdata-not-list.yml", "testData:\n  a: 1\n",
	  "a YAML dataset must be a list of test cases (or a mapping with a "
	  "'testData' list)",
	  2, 3 },
	{ "empty.yaml", "",
	  "a YAML dataset must be a list of test cases (or a mapping with a "
	  "'testData' list)",
	  1, 1 },
	{ "syntax.yaml", "a: [\n",
	  "YAML syntax error: did not find expected node content (while "
	  "parsing a flow node at line 2, column 1)",
	  2, 1 },
	{ "cases.json", "[]\n",
	  "unknown dataset format: use .jsonl, .csv, .yaml or .yml", 0, 0 },
	{ "cases.txt", "a\n",
	  "unknown dataset format: use .jsonl, .csv, .yaml or .yml", 0, 0 },
	{ "invalid-utf8.csv", "a,b\n1,x\xff\n",
	  "invalid UTF-8 (at byte 7); datasets must be UTF-8", 2, 4 },
	{ "invalid-utf8.jsonl", "{\"a\": 1}\n{\"a\": \"\xc3(\"}\n",
	  "invalid UTF-8 (at byte 16); datasets must be UTF-8", 2, 8 },
	{ "nul-value.jsonl", "{\"a\": 1}\n{\"a\": \"x\\u0000y\"}\n",
	  "a NUL character (\\u0000) in a string; datasets cannot hold one", 2,
	  1 },
	{ "nul-key.jsonl", "{\"a\\u0000b\": 1}\n",
	  "a NUL character (\\u0000) in a string; datasets cannot hold one", 1,
	  1 },
};

static void test_bad(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct bad_case *c = &bad[i];
		struct pe_diag *d = pe_diag_new();
		char path[256];
		const struct pe_diag_entry *e;

		write_file(f, c->file, c->content, strlen(c->content), path);
		if (pe_dataset_load(path, d))
			fail_msg("%s: loaded", c->file);
		e = pe_diag_get(d, 0);
		if (pe_diag_len(d) != 1 || strcmp(e->message, c->message) ||
		    e->line != c->line || e->col != c->col) {
			dump(d);
			fail_msg("%s: expected one error %u:%u '%s'", c->file,
				 c->line, c->col, c->message);
		}
		assert_int_equal(e->severity, PE_SEV_ERROR);
		assert_string_equal(e->file, path);
		pe_diag_free(d);
	}
}

struct bug_case {
	const char *content;
	const char *message;
	size_t prefix; /* compare only this many bytes; 0: all */
	unsigned line;
};

static const struct bug_case jsonl_bugs[] = {
	/*
	 * Regression (fixed): json.c pe_json_parse calls cJSON_ParseWithLengthOpts with
	 * require_null_terminated 0, so cJSON stops after the first value and
	 * the rest of a JSONL line is ignored: '{"a": 1} junk' loads as
	 * {"a": 1} and '{"a": 1}{"a": 2}' silently drops the second record.
	 * Each must be an "invalid JSON" error on line 1.
	 */
	{ "{\"a\": 1} junk\n", "invalid JSON: ", 14, 1 },
	{ "{\"a\": 1}{\"a\": 2}\n", "invalid JSON: ", 14, 1 },
	/*
	 * Regression (fixed): json.c pe_json_parse reports "unexpected end of input" only
	 * when the parse end is at or past len, but cJSON clamps the error
	 * position to len - 1, so a truncated record is always reported as
	 * "unexpected character" (pointing at a valid character, e.g. the
	 * '1' of '{"a": 1').  The end-of-input branch is dead code.
	 */
	{ "{\"a\": 1\n", "invalid JSON: unexpected end of input", 0, 1 },
	{ "{}\n{\"a\": \"x\n", "invalid JSON: unexpected end of input", 0, 2 },
	{ "{\n", "invalid JSON: unexpected end of input", 0, 1 },
};

static void test_jsonl_bugs(void **state)
{
	const struct testdir *f = *state;
	size_t failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(jsonl_bugs); i++) {
		const struct bug_case *c = &jsonl_bugs[i];
		struct pe_diag *d = pe_diag_new();
		char path[256];
		struct pe_doc *doc;
		const struct pe_diag_entry *e;
		size_t n;

		write_file(f, "bug.jsonl", c->content, strlen(c->content),
			   path);
		doc = pe_dataset_load(path, d);
		e = pe_diag_get(d, 0);
		n = c->prefix ? c->prefix : strlen(c->message) + 1;
		if (doc || pe_diag_len(d) != 1 ||
		    strncmp(e->message, c->message, n) || e->line != c->line) {
			print_message("'%.*s': expected %u: '%s'; got %s\n",
				      (int)strcspn(c->content, "\n"),
				      c->content, c->line, c->message,
				      doc ? "a dataset" : "");
			dump(d);
			failures++;
		}
		pe_doc_free(doc);
		pe_diag_free(d);
	}
	assert_int_equal(failures, 0);
}

/*
 * Regression (fixed): dataset.c load_csv adds "empty CSV file: expected a header row of
 * variable names" after any header error that leaves the reader at the
 * end of the file with no header fields, e.g. an unterminated quote in the
 * first header cell: the file is not empty and only the quote error is
 * true.
 */
static void test_csv_header_quote_single_error(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char path[256];
	struct pe_doc *doc;
	size_t len;
	int first_ok;

	write_file(f, "hdr.csv", "\"a,b\n1,2\n", 9, path);
	doc = pe_dataset_load(path, d);
	len = pe_diag_len(d);
	first_ok = len &&
		   !strcmp(pe_diag_get(d, 0)->message,
			   "unterminated quoted CSV field") &&
		   pe_diag_get(d, 0)->line == 1 && pe_diag_get(d, 0)->col == 1;
	if (len != 1)
		dump(d);
	/* Free first: a failed assertion must not leak under ASan. */
	pe_doc_free(doc);
	pe_diag_free(d);
	assert_null(doc);
	assert_true(first_ok);
	assert_int_equal(len, 1);
}

struct kind_case {
	const char *key;
	enum pe_node_kind kind;
	const char *text;
};

static void test_jsonl_value_kinds(void **state)
{
	static const char src[] =
		"{\"n\": 3, \"f\": 0.5, \"w\": 2.0, \"b\": true, "
		"\"s\": \"x\", \"z\": null, \"l\": [1], "
		"\"m\": {\"k\": false}, \"p\": 1.50, \"e\": 1e2, "
		"\"big\": 10000000000000000, \"neg\": -0}\n";
	/* Numbers keep their spelling: {{p}} renders 1.50, not 1.5. */
	static const struct kind_case kinds[] = {
		{ "n", PE_NODE_INT, "3" },
		{ "f", PE_NODE_FLOAT, "0.5" },
		{ "w", PE_NODE_INT, "2.0" },
		{ "b", PE_NODE_BOOL, "true" },
		{ "s", PE_NODE_STRING, "x" },
		{ "z", PE_NODE_NULL, "" },
		{ "l", PE_NODE_SEQ, "" },
		{ "m", PE_NODE_MAP, "" },
		{ "p", PE_NODE_FLOAT, "1.50" },
		{ "e", PE_NODE_INT, "1e2" },
		{ "big", PE_NODE_FLOAT, "10000000000000000" },
		{ "neg", PE_NODE_INT, "-0" },
	};
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char path[256];
	struct pe_doc *doc;
	const struct pe_node *item;

	write_file(f, "kinds.jsonl", src, strlen(src), path);
	doc = pe_dataset_load(path, d);
	assert_non_null(doc);
	item = doc->root->items[0];
	assert_int_equal(item->npairs, ARRAY_SIZE(kinds));
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct pe_node *v = pe_node_get(item, kinds[i].key);

		assert_non_null(v);
		if (v->kind != kinds[i].kind)
			fail_msg("%s: kind %s", kinds[i].key,
				 pe_node_kind_name(v->kind));
		assert_string_equal(v->text, kinds[i].text);
		/* Key order is kept. */
		assert_string_equal(item->pairs[i].key->text, kinds[i].key);
	}
	assert_int_equal(pe_node_get(item, "n")->ival, 3);
	assert_true(pe_node_get(item, "f")->fval == 0.5);
	assert_int_equal(pe_node_get(item, "b")->bval, 1);
	assert_int_equal(pe_node_get(pe_node_get(item, "m"), "k")->bval, 0);
	pe_doc_free(doc);
	pe_diag_free(d);
}

/* Every CSV cell is a string keyed by its header cell, with its own mark. */
static void test_csv_cells(void **state)
{
	static const char src[] = "id,q,ans\r\n"
				  "c1,\"What is 2+2?\",4\r\n"
				  "c2,\"multi\r\nline\",\"\"\r\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char path[256];
	struct pe_doc *doc;
	const struct pe_node *row;
	const struct pe_pair *ans;

	write_file(f, "cells.csv", src, strlen(src), path);
	doc = pe_dataset_load(path, d);
	assert_non_null(doc);
	assert_int_equal(doc->root->count, 2);
	row = doc->root->items[0];
	assert_int_equal(row->npairs, 3);
	assert_string_equal(row->pairs[0].key->text, "id");
	assert_string_equal(row->pairs[2].key->text, "ans");
	ans = pe_node_pair(row, "ans");
	assert_int_equal(ans->value->kind, PE_NODE_STRING);
	assert_string_equal(ans->value->text, "4");
	assert_int_equal(ans->value->mark.line, 2);
	assert_int_equal(ans->value->mark.col, 19);
	assert_int_equal(ans->key->mark.line, 1);
	assert_int_equal(ans->key->mark.col, 6);
	row = doc->root->items[1];
	/* A CRLF inside quotes is kept as written. */
	assert_string_equal(pe_node_get(row, "q")->text, "multi\r\nline");
	assert_string_equal(pe_node_get(row, "ans")->text, "");
	assert_int_equal(pe_node_get(row, "ans")->mark.line, 4);
	assert_int_equal(pe_node_get(row, "ans")->mark.col, 7);
	pe_doc_free(doc);
	pe_diag_free(d);
}

static void test_missing_file(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char path[256];

	snprintf(path, sizeof(path), "%s/absent.csv", f->dir);
	assert_null(pe_dataset_load(path, d));
	assert_int_equal(pe_diag_len(d), 1);
	assert_string_equal(pe_diag_get(d, 0)->message,
			    "cannot open: No such file or directory");
	assert_string_equal(pe_diag_get(d, 0)->file, path);
	assert_int_equal(pe_diag_get(d, 0)->line, 0);
	pe_diag_free(d);
}

/* A NUL byte in a CSV cell is an error at the byte (strlen would cut). */
static void test_csv_nul_byte(void **state)
{
	const struct testdir *f = *state;
	static const char content[] = "a,b\n1,x\0y\n";
	struct pe_diag *d = pe_diag_new();
	char path[256];

	write_file(f, "nul.csv", content, sizeof(content) - 1, path);
	assert_null(pe_dataset_load(path, d));
	assert_int_equal(pe_diag_len(d), 1);
	assert_string_equal(pe_diag_get(d, 0)->message,
			    "a NUL byte (at byte 7); datasets cannot hold one");
	assert_int_equal(pe_diag_get(d, 0)->line, 2);
	assert_int_equal(pe_diag_get(d, 0)->col, 4);
	pe_diag_free(d);
}

/* Rows with many columns share one key index; every cell is found. */
static void test_csv_many_columns(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char content[4096], path[256], key[16], want[16];
	size_t len = 0;
	struct pe_doc *doc;

	for (int c = 0; c < 40; c++)
		len += (size_t)snprintf(content + len, sizeof(content) - len,
					"%sc%d", c ? "," : "", c);
	for (int r = 0; r < 3; r++) {
		len += (size_t)snprintf(content + len, sizeof(content) - len,
					"\n");
		for (int c = 0; c < 40; c++)
			len += (size_t)snprintf(content + len,
						sizeof(content) - len,
						"%sv%d.%d", c ? "," : "", r, c);
	}
	write_file(f, "wide.csv", content, len, path);
	doc = pe_dataset_load(path, d);
	assert_non_null(doc);
	assert_int_equal(doc->root->count, 3);
	for (int r = 0; r < 3; r++) {
		const struct pe_node *row = doc->root->items[r];

		assert_non_null(row->index);
		assert_ptr_equal(row->index, doc->root->items[0]->index);
		for (int c = 0; c < 40; c++) {
			snprintf(key, sizeof(key), "c%d", c);
			snprintf(want, sizeof(want), "v%d.%d", r, c);
			assert_string_equal(pe_node_get(row, key)->text, want);
		}
	}
	pe_doc_free(doc);
	pe_diag_free(d);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_good),
		TEST(test_bad),
		TEST(test_jsonl_bugs),
		TEST(test_csv_header_quote_single_error),
		TEST(test_jsonl_value_kinds),
		TEST(test_csv_cells),
		TEST(test_missing_file),
		TEST(test_csv_nul_byte),
		TEST(test_csv_many_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
