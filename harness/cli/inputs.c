/* Loading shared by the commands (see inputs.h). */
#include "harness/cli/inputs.h"

#include <stdio.h>

#include "harness/core/diag.h"
#include "harness/core/banned.h"

static void print_diagnostics(struct pe_diag *diag)
{
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	pe_diag_free(diag);
}

/* Loads a results file, sorted; see inputs.h. */
struct pe_resultset *pe_inputs_results(const char *path)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs = pe_resultset_load(path, diag);

	print_diagnostics(diag);
	if (rs)
		pe_resultset_sort(rs);
	return rs;
}

/* Loads the configuration; see inputs.h. */
struct pe_config *pe_inputs_config(const char *path)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_config *c = pe_config_load(path, diag);

	print_diagnostics(diag);
	return c;
}
