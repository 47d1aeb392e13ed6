#ifndef PE_RESULTS_H
#define PE_RESULTS_H
/*
 * The results file (out/results.json): a header (schema version, tool,
 * command, plan, and the per-case inputs, cases.h), the rows in results.json order, each written by
 * pe_result_json, and a summary tallied by pe_tally_add (with the
 * judges' calls and tokens, when there were any).  Both "score"
 * and "run" write it, "merge" and the json report write it again, and the
 * results reader (resultset.h) reads it, so it is versioned:
 * schema_version changes whenever a field changes meaning.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/secrets.h"
#include "harness/results/cases.h"
#include "harness/results/result.h"

/*
 * Version 2: a case whose evaluators did not all run is "ungraded" (in
 * version 1, "skip"), and the summary counts "ungraded".  Version 3: a
 * generated case id has 16 hex digits ("case-" and 64 bits of a SHA-256),
 * not 8, so job ids, which hash it, change too; comparisons pair such ids
 * with the 8-digit ids of older files (compare.h).  Version 4: the
 * document holds each case's inputs once, in "cases" before the rows
 * (cases.h); rows are unchanged.  The reader takes all four.
 */
enum { PE_RESULTS_SCHEMA_VERSION = 4, PE_RESULTS_OLDEST_VERSION = 1 };

/*
 * Which plan the rows come from, so that shards of one run can be merged
 * and checked: the plan's id (SHA-256 of every job id of the whole,
 * unsharded plan), its size, and the shard (index from 1; 0 when the run
 * was not sharded).
 */
struct pe_plan_info {
	char id[65];
	size_t jobs;
	size_t shard_index;
	size_t shard_count;
};

/*
 * A run that stopped before its end (interrupted, or decided by run
 * --until-decided): finished of its jobs (the jobs of its shard) have
 * rows.  Written as "partial" after "plan" only then, so complete results
 * keep their bytes.  stopped says why a decided run stopped ("decided:
 * no regression after 12 of 40 cases"; written as "stopped" only then)
 * and is "" for an interrupted one.
 */
struct pe_partial {
	size_t finished;
	size_t jobs;
	char stopped[160];
};

/*
 * The parts of a results document around its rows, for writers that
 * stream rows one at a time: the header (plan, partial and cases may be
 * NULL; every secret of secrets, which may be NULL, is taken out of the
 * cases), then rows separated by ",\n", then the footer with the summary
 * of t.
 */
void pe_results_header(struct pe_buf *out, const char *command,
		       const struct pe_plan_info *plan,
		       const struct pe_partial *partial,
		       const struct pe_case_table *cases,
		       const struct pe_secrets *secrets);
void pe_results_footer(struct pe_buf *out, const struct pe_tally *t);

/*
 * Writes the results document for command ("score" or "run") with rows
 * (in the order given) and the inputs of their cases (cases, in its
 * order, the secrets of secrets taken out; either may be NULL) to path,
 * atomically; partial is NULL for complete results.  Returns 0 or
 * PE_ERR_IO with errno set.
 */
int pe_results_write(const char *path, const char *command,
		     const struct pe_plan_info *plan,
		     const struct pe_partial *partial,
		     const struct pe_case_table *cases,
		     const struct pe_secrets *secrets,
		     const struct pe_result *rows, size_t n);

#endif
