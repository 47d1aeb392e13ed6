/*
 * libFuzzer target for the prompt loader: YAML parsing, the prompt model,
 * evaluator specs, templates and the checks between them.  Any input must
 * give a prompt or diagnostics, never a crash, a leak or a hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "harness/core/diag.h"
#include "harness/load/prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_prompt *p = pe_prompt_load_buffer(
		"/nonexistent/fuzz.prompt.yml", (const char *)data, size, diag);

	pe_diag_sort(diag);
	pe_prompt_free(p);
	pe_diag_free(diag);
	return 0;
}
