#ifndef PE_MERGE_H
#define PE_MERGE_H
/*
 * Merging the shards of one run (run --shard K/N).  Each shard's
 * results.json is read by the results reader (resultset.h), like every
 * results file.  The shards must come from the same plan, each shard
 * once and none missing, with no job twice and every job of the plan
 * present; the merged rows are then in results.json order, as an
 * unsharded run writes them, and are written by the one results writer,
 * with the inputs of their cases (cases.h) joined from the shards.
 *
 * Memory: the merge owns the loaded shards; its rows borrow from them.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/results/result.h"

struct pe_merge;

/*
 * Loads the shards at paths[0..n-1] and checks that they fit.  Always
 * returns a merge owned by the caller; when they do not fit (or one
 * cannot be read), the errors are in diag and pe_merge_rows gives NULL.
 */
struct pe_merge *pe_merge_new(char *const *paths, size_t n,
			      struct pe_diag *diag);
void pe_merge_free(struct pe_merge *m);

/* The merged rows and their number in *n; NULL when the shards misfit. */
const struct pe_result *pe_merge_rows(const struct pe_merge *m, size_t *n);

/*
 * Writes the merged rows to path as the results of the whole plan (no
 * shard), atomically.  Returns 0 or PE_ERR_IO with errno set.
 */
int pe_merge_write(const struct pe_merge *m, const char *path);

#endif
