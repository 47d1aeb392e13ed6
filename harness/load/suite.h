#ifndef PE_SUITE_H
#define PE_SUITE_H
/*
 * A suite: every prompt file named on a command line, loaded.  The
 * commands that read prompts (check, list, run and score) start here.  Loading never stops
 * at a bad file: each file's problems go to the shared diagnostics and the
 * file is kept in the list with a NULL prompt when it is unusable.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/load/prompt.h"

struct pe_suite_file {
	char *path;
	struct pe_prompt *prompt; /* NULL when the file is not usable */
	/*
	 * The errors and warnings that loading the prompt recorded in other
	 * files: its datasets, the schema files its evaluators read.
	 */
	size_t other_errors, other_warnings;
};

struct pe_suite {
	struct pe_suite_file *files;
	size_t nfiles;
	size_t npaths_missing; /* command-line paths that did not exist */
};

/*
 * Loads the prompt files that paths name (files, or directories searched
 * recursively).  Always returns a suite; problems are in diag.
 */
struct pe_suite *pe_suite_load(char *const *paths, size_t npaths,
			       struct pe_diag *diag);
void pe_suite_free(struct pe_suite *s);

#endif
