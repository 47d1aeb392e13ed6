/*
 * libFuzzer target for the JSON Schema validator: the input is a schema
 * and an instance, JSON, separated by the first line "--" (without one,
 * the schema is validated against itself).  A schema that is not JSON is
 * read as YAML, as a prompt file's jsonSchema mapping is, aliases and
 * all.  Any input must compile
 * or be refused with positioned errors, and validate to a count of
 * problems with their reasons or stop at a limit with one, never crash,
 * leak, overflow the stack or hang: $ref cycles, deep nesting, patterns
 * and work that doubles at each level all come from the input.  The
 * JSON schema is read as a file is (pe_json_parse_source), at
 * https://fuzz.invalid/root.json, and every other document under
 * https://fuzz.invalid/ that it names is the same text read again, so
 * that references and metaschemas across documents come from the input
 * too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/load/yaml_load.h"
#include "evaluators/jsonschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The schema's text, which every document of the fuzz is. */
struct text {
	const char *s;
	size_t len;
};

/* The loader: see struct pe_jsonschema_docs. */
static struct pe_doc *load(void *arg, const char *uri,
			   const struct pe_mark *from, struct pe_diag *diag)
{
	const struct text *t = arg;
	struct pe_doc *doc;

	if (strncmp(uri, "https://fuzz.invalid/", 21)) {
		pe_diag_error(diag, from, "not here");
		return NULL;
	}
	doc = pe_doc_new(uri, t->s, t->len);
	doc->root = pe_json_parse_source(doc, diag);
	if (!doc->root) {
		pe_doc_free(doc);
		return NULL;
	}
	return doc;
}

/* The start of the line "--" in text, or NULL. */
static const char *separator(const char *text, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if ((i == 0 || text[i - 1] == '\n') &&
		    !memcmp(text + i, "--\n", 3))
			return text + i;
	return NULL;
}

/* Checks what every validation must give. */
static void validate(const struct pe_jsonschema *js,
		     const struct pe_node *instance)
{
	struct pe_buf why;
	size_t problems = 0;
	int rc;

	pe_buf_init(&why, 0);
	rc = pe_jsonschema_validate(js, instance, 3, &why, &problems);
	if (rc != 0 && rc != PE_ERR_LIMIT)
		abort();
	/* A verdict with problems says what they are; a pass says nothing;
	 * a stop says why. */
	if ((rc == 0 && (problems > 0) != (why.len > 0)) ||
	    (rc != 0 && !why.len))
		abort();
	pe_buf_release(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *sep = separator(text, size);
	size_t schema_len = sep ? (size_t)(sep - text) : size;
	struct pe_mark m = { "fuzz", 1, 1 };
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *doc = pe_doc_new("fuzz", text, schema_len), *yaml = NULL;
	const struct pe_node *schema, *instance;
	struct pe_jsonschema *js = NULL;
	struct text t = { text, schema_len };
	struct pe_jsonschema_docs docs = { "https://fuzz.invalid/root.json",
					   load, &t };

	schema = pe_json_parse_source(doc, diag);
	if (!schema) {
		pe_diag_free(diag);
		diag = pe_diag_new();
		/* Aliases may write out at most 1 MiB. */
		yaml = pe_yaml_load("fuzz", text, schema_len, 1 << 20, diag);
		schema = yaml ? yaml->root : NULL;
	}
	if (!schema)
		goto done;
	js = pe_jsonschema_compile(schema, &docs, diag);
	if (!js && !pe_diag_len(diag))
		abort();
	/* Refused: every problem is placed and said. */
	for (size_t i = 0; !js && i < pe_diag_len(diag); i++)
		if (!pe_diag_get(diag, i)->line ||
		    !*pe_diag_get(diag, i)->message)
			abort();
	if (!js)
		goto done;
	instance = sep ? pe_json_parse(doc, sep + 3, size - schema_len - 3, &m,
				       diag)
		       : schema;
	if (instance)
		validate(js, instance);
done:
	pe_jsonschema_free(js);
	pe_doc_free(yaml);
	pe_doc_free(doc);
	pe_diag_free(diag);
	return 0;
}
