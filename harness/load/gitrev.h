#ifndef PE_GITREV_H
#define PE_GITREV_H
/*
 * Prompt files as they were at a git revision, for "run --baseline-rev":
 * each PATH of the run (a file or a folder inside the current folder) is
 * looked up at the revision with "git ls-tree" (which takes and gives
 * paths relative to the current folder), and every file under it is read
 * with "git show REV:./FILE" and written to the same path under a new
 * temporary folder, so that prompt files find the datasets beside them as
 * they did.  git runs through the process module (core/process.h), from
 * argv, never through a shell.
 *
 * Memory: paths are borrowed; the export owns its folder's name and the
 * mapped paths, freed (and the folder removed) by pe_gitrev_release.
 */
#include <stddef.h>

#include "harness/core/files.h"

struct pe_gitrev {
	char *dir;		 /* the temporary folder */
	struct pe_strlist paths; /* each PATH, under dir */
	size_t files;		 /* files written */
	size_t missing;		 /* PATHs the revision does not have */
};

/*
 * Exports paths[0..n) at rev into a new temporary folder; fills out.
 * A PATH the revision lacks is counted in out->missing and mapped to a
 * path that does not exist (its prompts are new: they have no baseline).
 * Returns 0, or PE_ERR_INVALID after a message when this is not a git
 * work tree or rev names no commit, or PE_ERR_IO (errno set) when git
 * cannot be run or a file cannot be written.
 */
int pe_gitrev_export(const char *rev, char *const *paths, size_t n,
		     struct pe_gitrev *out);
void pe_gitrev_release(struct pe_gitrev *g);

#endif
