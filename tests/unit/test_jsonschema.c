/*
 * Unit tests for the JSON Schema validator (evaluators/jsonschema.c).
 *
 * The official JSON Schema Test Suite, read in place from
 * ../shared/conformance/json-schema-test-suite/draft2020-12/ (every
 * required file, not optional/): each group's schema is compiled, each
 * test's data validated, and the verdicts compared with the suite's.  A
 * schema the validator refuses counts its tests as refused, not met.
 * The other documents the groups name are served by load_document: the
 * suite's remotes (its README asks a runner to serve them at
 * http://localhost:1234/) and the dialect's metaschemas, from the
 * places remote_dirs and metaschema_dir give.  The test prints the
 * figure and fails below 98 % of all expectations, refused ones counted
 * as not met.  It fails too when a schema is refused but for the groups
 * older_remotes lists, with the remotes those lack.
 *
 * Then table-driven cases for each keyword's pass and fail paths with
 * their reasons, compile errors with their positions, and the limits: a
 * $ref cycle, deep nesting, the step budget.
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

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/load/yaml_load.h"
#include "evaluators/jsonschema.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

static const char suite_dir[] =
	"../shared/conformance/json-schema-test-suite/draft2020-12";

/*
 * The suite's remote documents, read from the first of these
 * directories that exists.  The copy beside the project has only the
 * tests, so make test installs Debian's libtest-json-schema-acceptance-perl,
 * which ships the same suite's remotes/ at an earlier commit (47958f8,
 * 2023): a few documents that later tests name are missing from it or
 * have another shape, so a group that names one of those is refused
 * (and counted as not met) when the remotes come from that copy.
 */
static const char *const remote_dirs[] = {
	"../shared/conformance/json-schema-test-suite/remotes",
	"/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/remotes",
};
static const char remotes_uri[] = "http://localhost:1234/";

/*
 * The draft 2020-12 metaschema and its vocabularies' metaschemas, which
 * some groups $ref or name as $schema, and which the suite leaves to the
 * validator: read from Debian's python3-jsonschema, which ships them
 * (draft2020-12.json; vocabularies.json maps each vocabulary's URI to
 * its metaschema).
 */
static const char metaschema_dir[] =
	"/usr/lib/python3/dist-packages/jsonschema/schemas";
static const char metaschema_uri[] =
	"https://json-schema.org/draft/2020-12/schema";
static const char vocabulary_uri[] =
	"https://json-schema.org/draft/2020-12/meta/";

/* Where load_document reads from. */
struct sources {
	const char *remotes; /* a remote_dirs entry; NULL: none exists */
	int own_remotes;     /* the remotes are the suite copy's own */
};

/*
 * The groups that Debian's earlier copy of the remotes cannot serve: it
 * lacks their documents (different-id-ref-string.json,
 * urn-ref-string.json, nested-absolute-ref-to-string.json,
 * detached-ref.json, detached-dynamicref.json) or holds subSchemas.json
 * in an older shape.  With that copy these may be refused; any other
 * refusal, and any refusal at all with the suite's own remotes, fails
 * the test.
 */
static const char *const older_remotes[][2] = {
	{ "dynamicRef.json",
	  "$ref to $dynamicRef finds detached $dynamicAnchor" },
	{ "refRemote.json", "fragment within remote ref" },
	{ "refRemote.json", "ref within remote ref" },
	{ "refRemote.json", "remote HTTP ref with different $id" },
	{ "refRemote.json", "remote HTTP ref with different URN $id" },
	{ "refRemote.json", "remote HTTP ref with nested absolute ref" },
	{ "refRemote.json", "$ref to $ref finds detached $anchor" },
};

/* Whether group what of file may be refused with the remotes of src. */
static int may_refuse(const struct sources *src, const char *file,
		      const char *what)
{
	if (!src->remotes || src->own_remotes)
		return 0;
	for (size_t i = 0; i < COUNT(older_remotes); i++)
		if (!strcmp(file, older_remotes[i][0]) &&
		    !strcmp(what, older_remotes[i][1]))
			return 1;
	return 0;
}

/* The suite's tally. */
struct tally {
	size_t met, failed, refused, total;
	size_t bad_refusals; /* refused for another reason than remote refs */
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The required files of the suite, sorted; NULL when it is missing. */
static char **suite_files(size_t *count)
{
	DIR *d = opendir(suite_dir);
	struct dirent *de;
	char **names = NULL;
	size_t alloc = 0;

	*count = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (!pe_ends_with(de->d_name, ".json"))
			continue;
		pe_grow(&names, &alloc, *count + 1, sizeof(*names));
		names[(*count)++] = xstrfmt("%s/%s", suite_dir, de->d_name);
	}
	closedir(d);
	qsort(names, *count, sizeof(*names), compare_names);
	return names;
}

/* Reads path as JSON into a document of its own; NULL after an error. */
static struct pe_doc *read_document(const char *path, struct pe_diag *diag)
{
	struct pe_doc *doc;
	struct pe_mark m = { path, 1, 1 };
	char *data = NULL;
	size_t len = 0;

	if (pe_file_read(path, 1 << 20, &data, &len, diag))
		return NULL;
	doc = pe_doc_new(path, NULL, 0);
	doc->root = pe_json_parse(doc, data, len, &m, diag);
	free(data);
	if (!doc->root) {
		pe_doc_free(doc);
		return NULL;
	}
	return doc;
}

/* The loader of the other documents: see struct pe_jsonschema_docs. */
static struct pe_doc *load_document(void *arg, const char *uri,
				    const struct pe_mark *from,
				    struct pe_diag *diag)
{
	const struct sources *src = arg;
	size_t n = strlen(remotes_uri);
	struct pe_doc *doc;
	char *path;

	if (!strcmp(uri, metaschema_uri)) {
		path = xstrfmt("%s/draft2020-12.json", metaschema_dir);
	} else if (!strncmp(uri, vocabulary_uri, strlen(vocabulary_uri))) {
		const struct pe_node *meta;

		path = xstrfmt("%s/vocabularies.json", metaschema_dir);
		doc = read_document(path, diag);
		free(path);
		meta = doc ? pe_node_get(doc->root, uri) : NULL;
		if (doc && !meta) {
			pe_diag_error(diag, from,
				      "'%s' is not among the vocabularies' "
				      "metaschemas",
				      uri);
			pe_doc_free(doc);
			return NULL;
		}
		if (doc)
			doc->root = (struct pe_node *)meta;
		return doc;
	} else if (!strncmp(uri, remotes_uri, n) && src->remotes) {
		path = xstrfmt("%s/%s", src->remotes, uri + n);
	} else {
		pe_diag_error(diag, from,
			      "'%s' names another document, not one of the "
			      "suite's remotes",
			      uri);
		return NULL;
	}
	doc = read_document(path, diag);
	free(path);
	return doc;
}

/* Finds the remotes: the first of remote_dirs that exists. */
static void find_remotes(struct sources *src)
{
	src->remotes = NULL;
	for (size_t i = 0; i < COUNT(remote_dirs); i++) {
		DIR *d = opendir(remote_dirs[i]);

		if (d) {
			closedir(d);
			src->remotes = remote_dirs[i];
			src->own_remotes = i == 0;
			return;
		}
	}
}

static void run_group(const char *file, const struct pe_node *group,
		      const struct pe_jsonschema_docs *docs, struct tally *t)
{
	const struct pe_node *schema = pe_node_get(group, "schema");
	const struct pe_node *tests = pe_node_get(group, "tests");
	const char *what = pe_node_get(group, "description")->text;
	struct pe_diag *diag = pe_diag_new();
	const struct sources *src = docs->arg;
	struct pe_jsonschema *js = pe_jsonschema_compile(schema, docs, diag);

	t->total += tests->count;
	if (!js) {
		t->refused += tests->count;
		print_message("  refused: %s: %s: %s\n", file, what,
			      pe_diag_get(diag, 0)->message);
		if (!may_refuse(src, file, what)) {
			t->bad_refusals++;
			print_message("  wrongly refused: %s: %s: %s\n", file,
				      what, pe_diag_get(diag, 0)->message);
		}
		pe_diag_free(diag);
		return;
	}
	for (size_t i = 0; i < tests->count; i++) {
		const struct pe_node *test = tests->items[i];
		struct pe_buf why;
		size_t problems = 0;
		int rc, valid;

		pe_buf_init(&why, 0);
		rc = pe_jsonschema_validate(js, pe_node_get(test, "data"), 3,
					    &why, &problems);
		valid = rc == 0 && problems == 0;
		if (rc == 0 && valid == pe_node_get(test, "valid")->bval) {
			t->met++;
		} else {
			t->failed++;
			print_message("  not met: %s: %s: %s (%s)\n", file,
				      what,
				      pe_node_get(test, "description")->text,
				      rc      ? pe_buf_str(&why)
				      : valid ? "passed"
					      : pe_buf_str(&why));
		}
		pe_buf_release(&why);
	}
	pe_jsonschema_free(js);
	pe_diag_free(diag);
}

static void run_file(const char *path, const struct pe_jsonschema_docs *docs,
		     struct tally *t)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_mark m = { path, 1, 1 };
	char *data = NULL;
	size_t len = 0;
	struct pe_doc *doc;
	const struct pe_node *root;
	const char *name = strrchr(path, '/') + 1;

	assert_int_equal(pe_file_read(path, 1 << 24, &data, &len, diag), 0);
	doc = pe_doc_new(path, NULL, 0);
	root = pe_json_parse(doc, data, len, &m, diag);
	assert_non_null(root);
	for (size_t i = 0; i < root->count; i++)
		run_group(name, root->items[i], docs, t);
	pe_doc_free(doc);
	free(data);
	pe_diag_free(diag);
}

/* The official suite, every required draft 2020-12 file. */
static void test_official_suite(void **state)
{
	struct tally t = { 0, 0, 0, 0, 0 };
	size_t nfiles;
	char **files = suite_files(&nfiles);
	struct sources src = { NULL, 0 };
	const struct pe_jsonschema_docs docs = { NULL, load_document, &src };
	double rate;

	(void)state;
	if (!files || !nfiles)
		fail_msg("%s is missing (it sits beside the project)",
			 suite_dir);
	find_remotes(&src);
	for (size_t i = 0; i < nfiles; i++) {
		run_file(files[i], &docs, &t);
		free(files[i]);
	}
	free(files);
	rate = 100.0 * (double)t.met / (double)t.total;
	printf("figure: JSON Schema Test Suite, draft 2020-12, %zu required "
	       "files: %zu of %zu expectations met (%.1f %%), %zu not met, "
	       "%zu refused; the remotes from %s\n",
	       nfiles, t.met, t.total, rate, t.failed, t.refused,
	       src.remotes ? src.remotes : "nowhere (none of the places)");
	if (t.bad_refusals)
		fail_msg("%zu groups wrongly refused (make test installs the "
			 "remotes and the metaschemas they may lack: "
			 "libtest-json-schema-acceptance-perl, "
			 "python3-jsonschema)",
			 t.bad_refusals);
	if (rate < 98.0)
		fail_msg("%.1f %% of the suite's expectations met, below 98 %%",
			 rate);
}

/* ---- Keywords: pass and fail, with the reasons ---- */

enum outcome { VALID, INVALID, STOPPED };

#define UNDECIDED                                                              \
	" cannot be decided: a number here has more digits than a double "     \
	"holds (an integer past 2^53, or more than 15 significant digits), "   \
	"and the double alone cannot tell how it compares"

struct case_ {
	const char *name;
	const char *schema;
	const char *instance;
	enum outcome want;
	size_t problems;
	const char *why; /* the reasons, exactly (NULL: not checked) */
};

static const struct case_ cases[] = {
	/* The example: three keywords, three reasons. */
	{ "minimum, pattern and anyOf",
	  "{\"type\": \"object\", \"properties\": {"
	  "\"n\": {\"type\": \"integer\", \"minimum\": 100},"
	  "\"tag\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"},"
	  "\"kind\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": "
	  "\"null\"}]}}}",
	  "{\"n\": 99, \"tag\": \"UPPER!\", \"kind\": 5}", INVALID, 3,
	  "/n: 99 is below the minimum 100; /tag: \"UPPER!\" does not match "
	  "the pattern ^[a-z]+$; /kind: 5 matches none of the 2 anyOf "
	  "schemas" },
	{ "the same, valid", NULL,
	  "{\"n\": 100, \"tag\": \"ok\", \"kind\": null}", VALID, 0, "" },
	/* Types. */
	{ "1.0 is an integer", "{\"type\": \"integer\"}", "1.0", VALID, 0, "" },
	{ "1.5 is not", "{\"type\": \"integer\"}", "1.5", INVALID, 1,
	  "(root): 1.5 is not of type integer" },
	{ "a list of types", "{\"type\": [\"string\", \"null\"]}", "{}",
	  INVALID, 1, "(root): an object is not of type string or null" },
	{ "true is not a number", "{\"type\": \"number\"}", "true", INVALID, 1,
	  "(root): true is not of type number" },
	/* enum and const: values, not spellings. */
	{ "enum", "{\"enum\": [\"a\", 1, null, [1], {\"k\": 2}, true]}",
	  "\"b\"", INVALID, 1,
	  "(root): \"b\" is not one of the enum values (\"a\", 1, null, an "
	  "array of 1 item and 2 more)" },
	{ "enum: 1.0 is 1", "{\"enum\": [1]}", "1.0", VALID, 0, "" },
	{ "enum: false is not 0", "{\"enum\": [0]}", "false", INVALID, 1,
	  NULL },
	{ "const: members in any order",
	  "{\"const\": {\"a\": 1, \"b\": [1, 2]}}",
	  "{\"b\": [1, 2.0], \"a\": 1}", VALID, 0, "" },
	{ "const", "{\"const\": \"x\"}", "\"y\"", INVALID, 1,
	  "(root): \"y\" is not the const value \"x\"" },
	/* Numbers. */
	{ "maximum", "{\"maximum\": 10}", "99", INVALID, 1,
	  "(root): 99 is above the maximum 10" },
	{ "maximum, equal", "{\"maximum\": 10}", "10.0", VALID, 0, "" },
	{ "exclusiveMaximum", "{\"exclusiveMaximum\": 10}", "10", INVALID, 1,
	  "(root): 10 is not below the exclusiveMaximum 10" },
	{ "exclusiveMinimum", "{\"exclusiveMinimum\": 0.5}", "0.5", INVALID, 1,
	  "(root): 0.5 is not above the exclusiveMinimum 0.5" },
	{ "multipleOf, decimals", "{\"multipleOf\": 0.0001}", "0.0075", VALID,
	  0, "" },
	{ "multipleOf", "{\"multipleOf\": 2}", "7", INVALID, 1,
	  "(root): 7 is not a multiple of (multipleOf) 2" },
	{ "multipleOf, overflow", "{\"multipleOf\": 0.123456789}", "1e308",
	  INVALID, 1, NULL },
	/* Numbers a double misses: decided exactly, or said to be not. */
	{ "multipleOf past 2^53, exactly", "{\"multipleOf\": 3}",
	  "100000000000000000", INVALID, 1,
	  "(root): 1e+17 is not a multiple of (multipleOf) 3" },
	{ "multipleOf past 2^48 with a divisor written 3.0",
	  "{\"multipleOf\": 3.0}", "1000000000000001", INVALID, 1, NULL },
	{ "multipleOf of a large number by a fraction, exactly",
	  "{\"multipleOf\": 0.3}", "1e20", INVALID, 1, NULL },
	{ "and a multiple", "{\"multipleOf\": 0.3}", "3e20", VALID, 0, "" },
	{ "multipleOf 0.01", "{\"multipleOf\": 0.01}", "19.99", VALID, 0, "" },
	{ "multipleOf of an integer past 2^53 stops", "{\"multipleOf\": 3}",
	  "9007199254740993", STOPPED, 0, "(root): multipleOf" UNDECIDED },
	{ "const of an integer past 2^53 stops",
	  "{\"not\": {\"const\": 9007199254740993}}", "9007199254740993",
	  STOPPED, 0, "(root): const" UNDECIDED },
	{ "so does a maximum it is next to", "{\"maximum\": 9007199254740992}",
	  "9007199254740993", STOPPED, 0, "(root): the maximum" UNDECIDED },
	{ "but not one far from it, shown as written", "{\"maximum\": 100}",
	  "9007199254740993", INVALID, 1,
	  "(root): 9007199254740993 is above the maximum 100" },
	{ "uniqueItems of two it cannot tell apart", "{\"uniqueItems\": true}",
	  "[9007199254740993, 9007199254740992]", STOPPED, 0,
	  "(root): uniqueItems" UNDECIDED },
	{ "a fraction a double reads as 1 is no integer, and says so",
	  "{\"type\": \"integer\"}", "1.0000000000000000001", INVALID, 1,
	  "(root): 1.0000000000000000001 is not of type integer" },
	{ "numbers only", "{\"maximum\": 1}", "\"99\"", VALID, 0, "" },
	/* Strings: lengths count characters. */
	{ "maxLength counts characters", "{\"maxLength\": 5}",
	  "\"h\xc3\xa9llo\"", VALID, 0, "" },
	{ "minLength", "{\"minLength\": 3}", "\"\xe6\x97\xa5\xe6\x9c\xac\"",
	  INVALID, 1,
	  "(root): \"\xe6\x97\xa5\xe6\x9c\xac\" is 2 characters long, below "
	  "the minLength 3" },
	{ "pattern is not anchored", "{\"pattern\": \"b+\"}", "\"abbc\"", VALID,
	  0, "" },
	{ "pattern, Unicode", "{\"pattern\": \"^\\\\p{Letter}+$\"}",
	  "\"\xcf\x80\"", VALID, 0, "" },
	{ "a long value is cut", "{\"maxLength\": 3}",
	  "\"0123456789012345678901234567890123456789xyz\"", INVALID, 1,
	  "(root): \"0123456789012345678901234567890123456789...\" is 43 "
	  "characters long, above the maxLength 3" },
	{ "format is an annotation", "{\"format\": \"email\"}", "\"nope\"",
	  VALID, 0, "" },
	/* Arrays. */
	{ "prefixItems and items: false",
	  "{\"prefixItems\": [{\"type\": \"integer\"}, {\"type\": "
	  "\"string\"}], \"items\": false}",
	  "[1, \"a\", 3]", INVALID, 1,
	  "(root): unexpected item 2 (items: false)" },
	{ "items", "{\"items\": {\"type\": \"string\"}}", "[\"a\", 2]", INVALID,
	  1, "/1: 2 is not of type string" },
	{ "minItems and maxItems", "{\"minItems\": 2, \"maxItems\": 1}", "[]",
	  INVALID, 1, "(root): has 0 items, below the minItems 2" },
	{ "uniqueItems", "{\"uniqueItems\": true}",
	  "[1, {\"a\": [1]}, \"x\", {\"a\": [1.0]}]", INVALID, 1,
	  "(root): has equal items 1 and 3 (uniqueItems)" },
	{ "uniqueItems: 0 and false differ", "{\"uniqueItems\": true}",
	  "[0, false, [0], [false]]", VALID, 0, "" },
	{ "contains", "{\"contains\": {\"type\": \"integer\"}}", "[\"a\"]",
	  INVALID, 1, "(root): has no item that matches contains" },
	{ "minContains", "{\"contains\": {\"const\": 1}, \"minContains\": 2}",
	  "[1, 2]", INVALID, 1,
	  "(root): has 1 item that matches contains, below the minContains 2" },
	{ "maxContains", "{\"contains\": {\"const\": 1}, \"maxContains\": 1}",
	  "[1, 1]", INVALID, 1,
	  "(root): has 2 items that match contains, above the maxContains 1" },
	{ "minContains 0", "{\"contains\": false, \"minContains\": 0}", "[1]",
	  VALID, 0, "" },
	/* Objects. */
	{ "required", "{\"required\": [\"a\", \"b\"]}", "{\"a\": 1}", INVALID,
	  1, "(root): missing required property \"b\"" },
	{ "dependentRequired",
	  "{\"dependentRequired\": {\"card\": [\"address\"]}}", "{\"card\": 1}",
	  INVALID, 1,
	  "(root): missing property \"address\", which dependentRequired asks "
	  "for when \"card\" is there" },
	{ "dependentSchemas",
	  "{\"dependentSchemas\": {\"card\": {\"required\": [\"cvc\"]}}}",
	  "{\"card\": 1}", INVALID, 1,
	  "(root): missing required property \"cvc\"" },
	{ "properties and pointers",
	  "{\"properties\": {\"a/b\": {\"properties\": {\"c~d\": {\"type\": "
	  "\"null\"}}}}}",
	  "{\"a/b\": {\"c~d\": 0}}", INVALID, 1,
	  "/a~1b/c~0d: 0 is not of type null" },
	{ "patternProperties and additionalProperties",
	  "{\"patternProperties\": {\"^x-\": {\"type\": \"string\"}}, "
	  "\"additionalProperties\": false}",
	  "{\"x-a\": \"s\", \"x-b\": 1, \"y\": 2}", INVALID, 2,
	  "/x-b: 1 is not of type string; (root): unexpected property \"y\" "
	  "(additionalProperties: false)" },
	{ "propertyNames", "{\"propertyNames\": {\"maxLength\": 3}}",
	  "{\"abcd\": 1}", INVALID, 1,
	  "(root): property name \"abcd\" does not match propertyNames" },
	{ "minProperties and maxProperties",
	  "{\"maxProperties\": 1, \"minProperties\": 1}",
	  "{\"a\": 1, \"b\": 2}", INVALID, 1,
	  "(root): has 2 properties, above the maxProperties 1" },
	/* Applicators. */
	{ "allOf shows each branch's problems",
	  "{\"allOf\": [{\"minimum\": 5}, {\"multipleOf\": 2}]}", "3", INVALID,
	  2,
	  "(root): 3 is below the minimum 5; (root): 3 is not a multiple of "
	  "(multipleOf) 2" },
	{ "oneOf, two match",
	  "{\"oneOf\": [{\"minimum\": 1}, {\"maximum\": 9}]}", "5", INVALID, 1,
	  "(root): 5 matches both oneOf/0 and oneOf/1, not exactly one of the "
	  "oneOf schemas" },
	{ "oneOf, none", "{\"oneOf\": [{\"minimum\": 10}, {\"maximum\": 0}]}",
	  "5", INVALID, 1, "(root): 5 matches none of the 2 oneOf schemas" },
	{ "not", "{\"not\": {\"type\": \"string\"}}", "\"s\"", INVALID, 1,
	  "(root): \"s\" matches the schema under not" },
	{ "if, then",
	  "{\"if\": {\"minimum\": 10}, \"then\": {\"multipleOf\": 10}, "
	  "\"else\": "
	  "{\"maximum\": 5}}",
	  "15", INVALID, 1, "(root): 15 is not a multiple of (multipleOf) 10" },
	{ "if, else",
	  "{\"if\": {\"minimum\": 10}, \"then\": {\"multipleOf\": 10}, "
	  "\"else\": "
	  "{\"maximum\": 5}}",
	  "7", INVALID, 1, "(root): 7 is above the maximum 5" },
	{ "boolean schema false", "false", "1", INVALID, 1,
	  "(root): 1 is not allowed (the schema is false)" },
	{ "boolean schema true", "true", "{\"anything\": [1]}", VALID, 0, "" },
	/* Annotations across applicators. */
	{ "unevaluatedProperties sees allOf",
	  "{\"allOf\": [{\"properties\": {\"a\": true}}], "
	  "\"unevaluatedProperties\": false}",
	  "{\"a\": 1, \"b\": 2}", INVALID, 1,
	  "(root): unexpected property \"b\" (unevaluatedProperties: false)" },
	{ "unevaluatedProperties: a failed branch does not count",
	  "{\"anyOf\": [{\"properties\": {\"a\": {\"type\": \"string\"}}, "
	  "\"required\": [\"a\"]}, {\"required\": [\"b\"]}], "
	  "\"unevaluatedProperties\": false}",
	  "{\"a\": 1, \"b\": 2}", INVALID, 2, NULL },
	{ "unevaluatedItems sees prefixItems and contains",
	  "{\"prefixItems\": [true], \"contains\": {\"type\": \"string\"}, "
	  "\"unevaluatedItems\": {\"type\": \"integer\"}}",
	  "[null, \"s\", 3, null]", INVALID, 1,
	  "/3: null is not of type integer" },
	/* References. */
	{ "$ref to $defs, escaped",
	  "{\"$defs\": {\"a/b%c\": {\"type\": \"integer\"}}, \"properties\": "
	  "{\"x\": {\"$ref\": \"#/$defs/a~1b%25c\"}}}",
	  "{\"x\": \"1\"}", INVALID, 1, "/x: \"1\" is not of type integer" },
	{ "$ref to an $anchor",
	  "{\"$ref\": \"#num\", \"$defs\": {\"n\": {\"$anchor\": \"num\", "
	  "\"type\": \"number\"}}}",
	  "\"1\"", INVALID, 1, "(root): \"1\" is not of type number" },
	{ "$ref beside other keywords",
	  "{\"$defs\": {\"n\": {\"minimum\": 0}}, \"$ref\": \"#/$defs/n\", "
	  "\"maximum\": 9}",
	  "10", INVALID, 1, "(root): 10 is above the maximum 9" },
	{ "$id and relative $ref",
	  "{\"$id\": \"https://example.com/root.json\", \"$ref\": "
	  "\"item.json\", \"$defs\": {\"i\": {\"$id\": \"item.json\", "
	  "\"type\": \"string\"}}}",
	  "1", INVALID, 1, "(root): 1 is not of type string" },
	{ "recursion through properties",
	  "{\"type\": \"object\", \"properties\": {\"next\": {\"$ref\": "
	  "\"#\"}, \"v\": {\"type\": \"integer\"}}}",
	  "{\"next\": {\"next\": {\"v\": \"x\"}}}", INVALID, 1,
	  "/next/next/v: \"x\" is not of type integer" },
	{ "$dynamicRef finds the outermost $dynamicAnchor",
	  "{\"$id\": \"https://example.com/strings\", \"$dynamicAnchor\": "
	  "\"item\", \"type\": \"string\", \"$defs\": {\"list\": {\"$id\": "
	  "\"list\", \"type\": \"array\", \"items\": {\"$dynamicRef\": "
	  "\"#item\"}, \"$defs\": {\"item\": {\"$dynamicAnchor\": "
	  "\"item\"}}}}, "
	  "\"anyOf\": [true]}",
	  "\"s\"", VALID, 0, "" },
	{ "unknown keywords are annotations",
	  "{\"x-foo\": 1, \"description\": \"d\", \"title\": \"t\", "
	  "\"examples\": [1], \"$comment\": \"c\", \"default\": 2, "
	  "\"deprecated\": true, \"readOnly\": true, \"nullable\": true, "
	  "\"contentMediaType\": \"text/plain\"}",
	  "0", VALID, 0, "" },
	{ "an older draft's $schema is taken",
	  "{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
	  "\"type\": \"string\"}",
	  "\"s\"", VALID, 0, "" },
	/* At most max_listed problems are written; all are counted. */
	{ "four problems, three listed", "{\"items\": {\"type\": \"string\"}}",
	  "[1, 2, 3, 4]", INVALID, 4,
	  "/0: 1 is not of type string; /1: 2 is not of type string; /2: 3 is "
	  "not of type string" },
	/* Limits. */
	{ "a $ref cycle that never moves on",
	  "{\"anyOf\": [{\"type\": \"string\"}, {\"$ref\": \"#\"}]}", "5",
	  STOPPED, 0,
	  "(root): $ref comes back to a schema already applied here, a cycle "
	  "that never ends" },
	{ "a pattern's match limit", "{\"pattern\": \"^(a+)+$\"}",
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"",
	  STOPPED, 0,
	  "(root): the pattern ^(a+)+$ could not be matched: match limit "
	  "exceeded" },
};

/* Parses JSON text (any failure fails the test). */
static const struct pe_node *parse(struct pe_doc *doc, const char *text)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_mark m = { "test", 1, 1 };
	const struct pe_node *n =
		pe_json_parse(doc, text, strlen(text), &m, diag);

	if (!n)
		fail_msg("cannot parse %s: %s", text,
			 pe_diag_get(diag, 0)->message);
	pe_diag_free(diag);
	return n;
}

static void test_keywords(void **state)
{
	const char *schema = NULL;
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		const struct case_ *c = &cases[i];
		struct pe_doc *doc = pe_doc_new("test", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		struct pe_jsonschema *js;
		struct pe_buf why;
		size_t problems = 12345;
		enum outcome got;
		int rc;

		schema = c->schema ? c->schema : schema;
		js = pe_jsonschema_compile(parse(doc, schema), NULL, diag);
		if (!js)
			fail_msg("%s: %s", c->name,
				 pe_diag_get(diag, 0)->message);
		pe_buf_init(&why, 0);
		rc = pe_jsonschema_validate(js, parse(doc, c->instance), 3,
					    &why, &problems);
		got = rc ? STOPPED : problems ? INVALID : VALID;
		if (got != c->want || (!rc && problems != c->problems) ||
		    (c->why && strcmp(pe_buf_str(&why), c->why))) {
			print_error("%s:\n  got  %d, %zu: %s\n  want %d, %zu: "
				    "%s\n",
				    c->name, got, problems, pe_buf_str(&why),
				    c->want, c->problems,
				    c->why ? c->why : "(any)");
			failures++;
		}
		pe_buf_release(&why);
		pe_jsonschema_free(js);
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
	assert_int_equal(failures, 0);
}

/* ---- Compile errors, each at its keyword ---- */

struct error_case {
	const char *name;
	const char *schema;
	const char *message;
	unsigned line, col; /* 0: not checked */
};

static const struct error_case error_cases[] = {
	{ "a remote $ref", "{\"$ref\": \"other.json#/x\"}",
	  "$ref 'other.json#/x' names another document: only references "
	  "inside the schema are supported",
	  0, 0 },
	{ "a remote $ref under an $id",
	  "{\"$id\": \"https://example.com/a/\", \"items\": {\"$ref\": "
	  "\"b.json\"}}",
	  "$ref 'b.json' names another document "
	  "(https://example.com/a/b.json): "
	  "only references inside the schema are supported",
	  0, 0 },
	{ "the metaschema",
	  "{\"$ref\": \"https://json-schema.org/draft/2020-12/schema\"}",
	  "$ref 'https://json-schema.org/draft/2020-12/schema' names another "
	  "document: only references inside the schema are supported",
	  0, 0 },
	{ "an unknown dialect", "{\"$schema\": \"https://example.com/meta\"}",
	  "$schema names a dialect this validator does not know; it validates "
	  "JSON Schema draft 2020-12 (earlier drafts' $schema are taken too)",
	  0, 0 },
	{ "items as a list", "{\"items\": [{\"type\": \"string\"}]}",
	  "items must be a schema: draft 2020-12 writes a list of schemas, one "
	  "per item, as prefixItems",
	  0, 0 },
	{ "additionalItems", "{\"additionalItems\": false}",
	  "additionalItems is a keyword of drafts before 2020-12, which writes "
	  "prefixItems and items",
	  0, 0 },
	{ "dependencies", "{\"dependencies\": {\"a\": [\"b\"]}}",
	  "dependencies is a keyword of drafts before 2019-09, which write "
	  "dependentRequired and dependentSchemas",
	  0, 0 },
	{ "an unknown type", "{\"type\": \"strin\"}",
	  "type must be one of null, boolean, object, array, number, string "
	  "and integer, or an array of different ones",
	  0, 0 },
	{ "a negative length", "{\"minLength\": -1}",
	  "minLength must be a non-negative integer", 0, 0 },
	{ "a bad pattern", "{\"pattern\": \"a(\"}",
	  "invalid pattern at offset 2: missing closing parenthesis", 0, 0 },
	{ "a bad patternProperties pattern",
	  "{\"patternProperties\": {\"[\": true}}",
	  "invalid patternProperties pattern at offset 1: missing terminating "
	  "] for character class",
	  0, 0 },
	{ "exclusiveMaximum as in draft 4", "{\"exclusiveMaximum\": true}",
	  "exclusiveMaximum must be a number", 0, 0 },
	{ "multipleOf 0", "{\"multipleOf\": 0}",
	  "multipleOf must be a number above 0", 0, 0 },
	{ "a $ref to nothing", "{\"$ref\": \"#/$defs/missing\"}",
	  "$ref '#/$defs/missing' names nothing in the schema", 0, 0 },
	{ "a NUL in a $ref's pointer",
	  "{\"$defs\": {\"a\": {\"type\": \"string\"}, \"a\\u0000b\": "
	  "{}}, \"$ref\": \"#/$defs/a%00b\"}",
	  "$ref '#/$defs/a%00b' holds %00, a NUL, which a pointer or anchor "
	  "here cannot hold",
	  0, 0 },
	{ "a $ref to a string",
	  "{\"properties\": {\"a\": {\"type\": \"string\"}}, \"$ref\": "
	  "\"#/properties/a/type\"}",
	  "$ref '#/properties/a/type' names a string, not a schema", 0, 0 },
	{ "a $ref cycle",
	  "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"allOf\": "
	  "[{\"$ref\": \"#/$defs/a\"}]}}, \"$ref\": \"#/$defs/a\"}",
	  "this schema comes back to itself through $ref or an in-place "
	  "applicator without moving into the instance, so validating never "
	  "ends",
	  0, 0 },
	{ "a fragment in $id", "{\"$id\": \"https://example.com/x#frag\"}",
	  "$id must not hold a fragment ('#frag'): name a place with $anchor",
	  0, 0 },
	{ "a subschema that is not one", "{\"not\": 3}",
	  "not must hold a schema (an object or a boolean), not a number", 0,
	  0 },
	{ "an empty allOf", "{\"allOf\": []}",
	  "allOf must be a non-empty array of schemas (draft 2020-12)", 0, 0 },
	/*
	 * A keyword given twice never gets here: the JSON reader refuses
	 * {"type": "string", "type": "null"} ("duplicate key 'type'", as
	 * the YAML loader does), so test_json.c tests it.
	 */
	{ "a root that is no schema", "[1]",
	  "a JSON Schema must be an object or a boolean, not an array", 0, 0 },
};

static void test_compile_errors(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct pe_doc *doc = pe_doc_new("test", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		struct pe_jsonschema *js = pe_jsonschema_compile(
			parse(doc, c->schema), NULL, diag);
		const struct pe_diag_entry *e = pe_diag_get(diag, 0);

		if (js || !e || strcmp(e->message, c->message) ||
		    (c->line && (e->line != c->line || e->col != c->col))) {
			print_error("%s:\n  got  %u:%u %s\n  want %u:%u %s\n",
				    c->name, e ? e->line : 0, e ? e->col : 0,
				    e ? e->message : "(compiled)", c->line,
				    c->col, c->message);
			failures++;
		}
		pe_jsonschema_free(js);
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
	assert_int_equal(failures, 0);
}

/* ---- Other documents: the loader, and dialects' vocabularies ---- */

/* Documents by URI for mem_load, and how often it was asked. */
struct mem_docs {
	const char *const *uris; /* NULL-terminated, beside texts */
	const char *const *texts;
	int asked;
};

/* A loader from memory: see struct pe_jsonschema_docs. */
static struct pe_doc *mem_load(void *arg, const char *uri,
			       const struct pe_mark *from, struct pe_diag *diag)
{
	struct mem_docs *m = arg;

	m->asked++;
	for (size_t i = 0; m->uris[i]; i++) {
		struct pe_doc *doc;
		struct pe_mark at;

		if (strcmp(m->uris[i], uri))
			continue;
		doc = pe_doc_new(uri, m->texts[i], strlen(m->texts[i]));
		at = (struct pe_mark){ doc->path, 1, 1 };
		doc->root = pe_json_parse(doc, m->texts[i], strlen(m->texts[i]),
					  &at, diag);
		if (!doc->root) {
			pe_doc_free(doc);
			return NULL;
		}
		return doc;
	}
	pe_diag_error(diag, from, "no document '%s' here", uri);
	return NULL;
}

static const char *const mem_uris[] = {
	"https://example.com/defs.json",
	"https://example.com/node.json",
	"https://example.com/meta-no-validation.json",
	"https://example.com/meta-custom-required.json",
	"https://example.com/meta-custom-optional.json",
	"https://example.com/meta-format-assertion.json",
	"https://example.com/not-a-schema.json",
	NULL
};
static const char *const mem_texts[] = {
	"{\"$defs\": {\"count\": {\"type\": \"integer\", \"minimum\": 1},"
	" \"name\": {\"$anchor\": \"nm\", \"type\": \"string\"}}}",
	/* A tree whose nodes a document that refers to it may extend. */
	"{\"$dynamicAnchor\": \"node\", \"type\": \"object\","
	" \"properties\": {\"kids\": {\"type\": \"array\","
	" \"items\": {\"$dynamicRef\": \"#node\"}}}}",
	"{\"$vocabulary\": {"
	"\"https://json-schema.org/draft/2020-12/vocab/core\": true,"
	"\"https://json-schema.org/draft/2020-12/vocab/applicator\": true}}",
	"{\"$vocabulary\": {"
	"\"https://json-schema.org/draft/2020-12/vocab/core\": true,"
	"\"https://example.com/vocab/units\": true}}",
	"{\"$vocabulary\": {"
	"\"https://json-schema.org/draft/2020-12/vocab/core\": true,"
	"\"https://json-schema.org/draft/2020-12/vocab/validation\": true,"
	"\"https://example.com/vocab/units\": false}}",
	"{\"$vocabulary\": {"
	"\"https://json-schema.org/draft/2020-12/vocab/core\": true,"
	"\"https://json-schema.org/draft/2020-12/vocab/format-assertion\":"
	" true}}",
	"[1, 2]",
};

/* Compiles schema with the documents above; NULL with the first error. */
static struct pe_jsonschema *compile_with_docs(struct pe_doc *doc,
					       const char *schema,
					       struct mem_docs *m,
					       struct pe_diag *diag)
{
	struct pe_jsonschema_docs docs = { NULL, mem_load, m };

	m->uris = mem_uris;
	m->texts = mem_texts;
	m->asked = 0;
	return pe_jsonschema_compile(parse(doc, schema), &docs, diag);
}

/* Validates instance: VALID or INVALID, with the reasons in why. */
static enum outcome check(const struct pe_jsonschema *js, struct pe_doc *doc,
			  const char *instance, struct pe_buf *why)
{
	size_t problems = 0;

	pe_buf_reset(why);
	assert_int_equal(pe_jsonschema_validate(js, parse(doc, instance), 3,
						why, &problems),
			 0);
	return problems ? INVALID : VALID;
}

/* $ref and $dynamicRef into other documents, each loaded once. */
static void test_other_documents(void **state)
{
	struct pe_doc *doc = pe_doc_new("test", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	struct mem_docs m;
	struct pe_buf why;
	struct pe_jsonschema *js;

	(void)state;
	pe_buf_init(&why, 0);
	js = compile_with_docs(
		doc,
		"{\"$id\": \"https://example.com/main.json\","
		" \"properties\": {"
		"  \"n\": {\"$ref\": \"defs.json#/$defs/count\"},"
		"  \"who\": {\"$ref\": \"defs.json#nm\"},"
		"  \"tree\": {\"$ref\": \"#/$defs/tree\"}},"
		" \"$defs\": {\"tree\": {\"$id\": \"strict-tree.json\","
		"  \"$dynamicAnchor\": \"node\", \"$ref\": \"node.json\","
		"  \"unevaluatedProperties\": false}}}",
		&m, diag);
	if (!js)
		fail_msg("refused: %s", pe_diag_get(diag, 0)->message);
	assert_int_equal(m.asked, 2); /* defs.json once, node.json once */
	/* What it read besides its root, for the scoring digest. */
	pe_jsonschema_documents(js, &why);
	assert_int_equal(why.len, 64);
	assert_int_equal(strspn(why.data, "0123456789abcdef"), 64);
	pe_buf_reset(&why);
	assert_int_equal(check(js, doc, "{\"n\": 3, \"who\": \"a\"}", &why),
			 VALID);
	assert_int_equal(check(js, doc, "{\"n\": 0}", &why), INVALID);
	assert_string_equal(pe_buf_str(&why), "/n: 0 is below the minimum 1");
	assert_int_equal(check(js, doc, "{\"who\": 5}", &why), INVALID);
	/* The tree's nodes are the strict ones, in node.json's kids too. */
	assert_int_equal(check(js, doc,
			       "{\"tree\": {\"kids\": [{\"kids\": []}]}}",
			       &why),
			 VALID);
	assert_int_equal(check(js, doc,
			       "{\"tree\": {\"kids\": [{\"kidz\": []}]}}",
			       &why),
			 INVALID);
	pe_jsonschema_free(js);

	/* A document the loader has not, or that holds no schema. */
	js = compile_with_docs(
		doc, "{\"$ref\": \"https://example.com/x.json\"}", &m, diag);
	assert_null(js);
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "no document 'https://example.com/x.json' here");
	pe_diag_free(diag);
	diag = pe_diag_new();
	assert_null(compile_with_docs(
		doc, "{\"$ref\": \"https://example.com/not-a-schema.json\"}",
		&m, diag));
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "'https://example.com/not-a-schema.json' holds no "
			    "schema (an object or a boolean)");
	pe_diag_free(diag);
	diag = pe_diag_new();
	/* A place the document does not have. */
	assert_null(compile_with_docs(
		doc, "{\"$ref\": \"https://example.com/defs.json#/$defs/nil\"}",
		&m, diag));
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "$ref 'https://example.com/defs.json#/$defs/nil' "
			    "names nothing in the schema");
	/* Without a loader, another document is refused. */
	pe_diag_free(diag);
	diag = pe_diag_new();
	assert_null(pe_jsonschema_compile(
		parse(doc, "{\"$ref\": \"https://example.com/defs.json\"}"),
		NULL, diag));
	assert_non_null(strstr(pe_diag_get(diag, 0)->message,
			       "names another document"));
	pe_buf_release(&why);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

/* A metaschema's $vocabulary: left out, required, optional. */
static void test_vocabularies(void **state)
{
	struct pe_doc *doc = pe_doc_new("test", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	struct mem_docs m;
	struct pe_buf why;
	struct pe_jsonschema *js;

	(void)state;
	pe_buf_init(&why, 0);
	/* No validation vocabulary: minimum is an annotation. */
	js = compile_with_docs(
		doc,
		"{\"$schema\": \"https://example.com/meta-no-validation.json\","
		" \"properties\": {\"bad\": false, \"n\": {\"minimum\": 10}}}",
		&m, diag);
	assert_non_null(js);
	assert_int_equal(check(js, doc, "{\"n\": 1}", &why), VALID);
	assert_int_equal(check(js, doc, "{\"bad\": 1}", &why), INVALID);
	pe_jsonschema_free(js);
	/* Said once, at the first keyword it leaves out. */
	assert_int_equal(pe_diag_len(diag), 1);
	assert_int_equal(pe_diag_get(diag, 0)->severity, PE_SEV_WARNING);
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "minimum checks nothing here: the dialect $schema "
			    "names leaves out the validation vocabulary, so "
			    "its keywords are annotations in this schema");
	pe_diag_free(diag);
	diag = pe_diag_new();
	/* An optional vocabulary it does not know is let be. */
	js = compile_with_docs(
		doc,
		"{\"$schema\": "
		"\"https://example.com/meta-custom-optional.json\","
		" \"type\": \"number\"}",
		&m, diag);
	assert_non_null(js);
	assert_int_equal(check(js, doc, "\"x\"", &why), INVALID);
	pe_jsonschema_free(js);
	assert_int_equal(pe_diag_len(diag), 0);
	/* A required one it does not know is refused. */
	assert_null(compile_with_docs(
		doc,
		"{\"$schema\": "
		"\"https://example.com/meta-custom-required.json\","
		" \"type\": \"number\"}",
		&m, diag));
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "$schema names a dialect that requires the "
			    "vocabulary 'https://example.com/vocab/units', "
			    "which this validator does not implement");
	pe_diag_free(diag);
	diag = pe_diag_new();
	assert_null(compile_with_docs(
		doc,
		"{\"$schema\": "
		"\"https://example.com/meta-format-assertion.json\","
		" \"format\": \"email\"}",
		&m, diag));
	assert_non_null(strstr(pe_diag_get(diag, 0)->message,
			       "format-assertion', which this validator does "
			       "not implement (format is an annotation "
			       "here)"));
	pe_diag_free(diag);
	diag = pe_diag_new();
	/* JSON Schema's own dialect asks the loader nothing. */
	js = compile_with_docs(
		doc,
		"{\"$schema\": "
		"\"https://json-schema.org/draft/2020-12/schema\","
		" \"minimum\": 2}",
		&m, diag);
	assert_non_null(js);
	assert_int_equal(m.asked, 0);
	assert_int_equal(check(js, doc, "1", &why), INVALID);
	pe_jsonschema_free(js);
	pe_buf_release(&why);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

/* A refused keyword in a jsonSchema block is placed in the YAML file. */
static void test_error_position_in_yaml(void **state)
{
	static const char yaml[] =
		"name: x\n"
		"jsonSchema: |\n"
		"  {\"type\": \"object\",\n"
		"   \"properties\": {\"a\": {\n"
		"      \"$ref\": \"https://example.com/a.json\"}}}\n";
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *src =
		pe_yaml_load("p.yml", yaml, strlen(yaml), 1 << 20, diag);
	struct pe_doc *doc = pe_doc_new("p.yml", NULL, 0);
	const struct pe_node *root;
	const struct pe_diag_entry *e;

	(void)state;
	root = pe_json_parse_scalar(doc, src,
				    pe_node_get(src->root, "jsonSchema"), diag);
	assert_non_null(root);
	assert_null(pe_jsonschema_compile(root, NULL, diag));
	assert_int_equal(pe_diag_len(diag), 1);
	e = pe_diag_get(diag, 0);
	assert_string_equal(e->file, "p.yml");
	assert_int_equal(e->line, 5);
	assert_int_equal(e->col, 7);
	pe_doc_free(doc);
	pe_doc_free(src);
	pe_diag_free(diag);
}

/* Builds a chain of n $defs, each referring to the next. */
static char *ref_chain(size_t n, const char *last)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"$ref\": \"#/$defs/d0\", \"$defs\": {");
	for (size_t i = 0; i < n; i++)
		pe_buf_addf(&b, "\"d%zu\": {\"$ref\": \"#/$defs/d%zu\"}, ", i,
			    i + 1);
	pe_buf_addf(&b, "\"d%zu\": %s}}", n, last);
	return pe_buf_detach(&b, NULL);
}

/* Schemas nested deeper than the limit stop with a reason, not a crash. */
static void test_depth_limit(void **state)
{
	char *deep = ref_chain(PE_JSONSCHEMA_MAX_DEPTH + 10, "true");
	char *shallow = ref_chain(PE_JSONSCHEMA_MAX_DEPTH / 2, "false");
	struct pe_doc *doc = pe_doc_new("test", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	struct pe_jsonschema *js =
		pe_jsonschema_compile(parse(doc, deep), NULL, diag);
	struct pe_buf why;
	size_t problems;

	(void)state;
	assert_non_null(js);
	pe_buf_init(&why, 0);
	assert_int_equal(
		pe_jsonschema_validate(js, parse(doc, "1"), 3, &why, &problems),
		PE_ERR_LIMIT);
	assert_non_null(strstr(pe_buf_str(&why),
			       "the schemas nest more than 1000 deep here"));
	pe_jsonschema_free(js);
	/* Half as deep: validation ends, and the false at the end fails. */
	js = pe_jsonschema_compile(parse(doc, shallow), NULL, diag);
	assert_non_null(js);
	pe_buf_reset(&why);
	assert_int_equal(
		pe_jsonschema_validate(js, parse(doc, "1"), 3, &why, &problems),
		0);
	assert_int_equal(problems, 1);
	pe_buf_release(&why);
	pe_jsonschema_free(js);
	pe_diag_free(diag);
	pe_doc_free(doc);
	free(deep);
	free(shallow);
}

/*
 * Work that doubles at each level (anyOf over two references to the next
 * level, all failing) stops at the step budget.
 */
static void test_step_limit(void **state)
{
	struct pe_buf text, why;
	struct pe_doc *doc = pe_doc_new("test", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	struct pe_jsonschema *js;
	size_t problems;

	(void)state;
	pe_buf_init(&text, 0);
	pe_buf_adds(&text, "{\"$ref\": \"#/$defs/d0\", \"$defs\": {");
	for (int i = 0; i < 40; i++)
		pe_buf_addf(
			&text,
			"\"d%d\": {\"anyOf\": [{\"$ref\": \"#/$defs/d%d\"}, "
			"{\"$ref\": \"#/$defs/d%d\"}]}, ",
			i, i + 1, i + 1);
	pe_buf_adds(&text, "\"d40\": false}}");
	js = pe_jsonschema_compile(parse(doc, pe_buf_str(&text)), NULL, diag);
	assert_non_null(js);
	pe_buf_init(&why, 0);
	assert_int_equal(
		pe_jsonschema_validate(js, parse(doc, "1"), 3, &why, &problems),
		PE_ERR_LIMIT);
	assert_non_null(strstr(pe_buf_str(&why), "validation took more than"));
	pe_buf_release(&why);
	pe_buf_release(&text);
	pe_jsonschema_free(js);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_official_suite),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_error_position_in_yaml),
		cmocka_unit_test(test_other_documents),
		cmocka_unit_test(test_vocabularies),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_step_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
