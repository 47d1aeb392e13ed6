#ifndef PE_INPUTS_H
#define PE_INPUTS_H
/*
 * What several commands load the same way: a results file (for report,
 * compare and run --baseline) and the configuration.  Each prints the
 * diagnostics it found, sorted, to stderr.
 */
#include "harness/load/config.h"
#include "harness/results/resultset.h"

/*
 * Loads the results at path, sorted into results.json order.  Returns a
 * set owned by the caller, or NULL after printing why it cannot be used.
 */
struct pe_resultset *pe_inputs_results(const char *path);

/*
 * Loads the configuration at path (NULL: prompteval.yml when it exists).
 * Returns it, owned by the caller, or NULL after printing its errors.
 */
struct pe_config *pe_inputs_config(const char *path);

#endif
