/*
 * libFuzzer target for the template renderer.  The first byte picks the
 * output limit; the rest is the template, rendered against a fixed set of
 * variables (strings, numbers, a nested mapping, a list).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/load/template.h"
#include "harness/load/prompt.h"
#include "harness/load/yaml_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vars_yaml[] = "name: world\n"
				"n: 25\n"
				"flag: true\n"
				"empty: null\n"
				"input:\n  table: users\n  rows: [1, 2, 3]\n"
				"loop: '{{name}}'\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *doc = pe_yaml_load("vars", vars_yaml, strlen(vars_yaml),
					  PE_PROMPT_MAX_FILE, diag);
	const struct pe_node *scopes[1];
	struct pe_template *t;
	struct pe_buf out;
	const char *missing = NULL;

	if (!doc || !size)
		goto done;
	scopes[0] = doc->root;
	t = pe_template_parse((const char *)data + 1, size - 1);
	pe_buf_init(&out, (size_t)data[0] * 64);
	pe_template_render(t, scopes, 1, &out, &missing);
	for (size_t i = 0; i < pe_template_nvars(t); i++)
		(void)pe_template_lookup(scopes, 1,
					 pe_template_var(t, i)->path);
	pe_buf_release(&out);
	pe_template_free(t);
done:
	pe_doc_free(doc);
	pe_diag_free(diag);
	return 0;
}
