#ifndef PE_RESULTSET_H
#define PE_RESULTSET_H
/*
 * Result sets: a results.json document or a results.jsonl journal read
 * back into typed rows, for the report writers, the aggregates
 * (aggregate.h) and comparisons of two runs.  It is the reading side of
 * results.h and follows its schema (PE_RESULTS_SCHEMA_VERSION).
 *
 * The loader checks every row and records each problem as a positioned
 * diagnostic ("file:line:col"); a set that loads is complete and typed, so
 * callers never check fields again.  A journal may hold several lines for
 * one job id (a --resume run appends); the last line wins, as it does for
 * --resume, and takes the place of the first.
 *
 * Memory: the set owns every row and string; the pointers the accessors
 * return are borrowed and stay valid until pe_resultset_free.  Rows are
 * plain read-only data.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/core/node.h"
#include "harness/results/cases.h"
#include "harness/results/result.h"
#include "harness/results/results.h"

/* The largest results file the loader reads. */
#define PE_RESULTSET_MAX_FILE ((size_t)1 << 30)

struct pe_resultset;

/*
 * Loads path: a journal when its name ends in ".jsonl", else a results
 * document.  Returns a new set owned by the caller, or NULL after
 * recording positioned errors in diag (a file that cannot be read, bad
 * JSON, a schema_version other than PE_RESULTS_SCHEMA_VERSION, a missing
 * or mistyped field).  In a journal, a last line cut short without its
 * newline (a run that was killed) is skipped with a warning.
 */
struct pe_resultset *pe_resultset_load(const char *path, struct pe_diag *diag);

/*
 * The same for len bytes of data read from path already (the name still
 * tells a journal, and messages name it).  data is copied.
 */
struct pe_resultset *pe_resultset_parse(const char *path, const char *data,
					size_t len, struct pe_diag *diag);
void pe_resultset_free(struct pe_resultset *rs);

/*
 * Reads one journal line into *out, checked as pe_resultset_load checks
 * rows: doc is a document (pe_doc_new) whose source is the line.  The
 * row's strings live in doc, which must outlive out.  Returns 0, or
 * PE_ERR_INVALID after recording errors in diag.
 */
int pe_result_read_line(struct pe_doc *doc, struct pe_result *out,
			struct pe_diag *diag);

/* The path the set was loaded from. */
const char *pe_resultset_path(const struct pe_resultset *rs);

/*
 * The "command" of a results document ("score" or "run"); NULL for a
 * journal and for a document without one.
 */
const char *pe_resultset_command(const struct pe_resultset *rs);

/*
 * The plan a results document names ("plan"), or NULL for a journal and
 * for a document whose plan is null (rows from "score").
 */
const struct pe_plan_info *pe_resultset_plan(const struct pe_resultset *rs);

/* The schema_version of a results document, or 0 for a journal. */
long pe_resultset_schema_version(const struct pe_resultset *rs);

/*
 * What a results document says of a run cut short ("partial"), or NULL
 * for complete results and for a journal.
 */
const struct pe_partial *pe_resultset_partial(const struct pe_resultset *rs);

/*
 * The inputs of the set's cases (cases.h: variables, expected value,
 * rendered messages), in file order: never NULL, and empty for a journal
 * and for a document of schema version 1 to 3, which have none.
 */
const struct pe_case_table *pe_resultset_cases(const struct pe_resultset *rs);

/*
 * The inputs of row's case (found by its prompt and case id), or NULL
 * when the set does not hold them.
 */
const struct pe_case_input *pe_resultset_case_of(const struct pe_resultset *rs,
						 const struct pe_result *row);

size_t pe_resultset_count(const struct pe_resultset *rs);

/* Row i (0 <= i < count), in file order until pe_resultset_sort. */
const struct pe_result *pe_resultset_get(const struct pe_resultset *rs,
					 size_t i);

/* All rows as one array of pe_resultset_count elements. */
const struct pe_result *pe_resultset_rows(const struct pe_resultset *rs);

/*
 * Returns the row with job id id, or NULL.  Takes O(log n) after
 * pe_resultset_sort has run once, O(n) before.
 */
const struct pe_result *pe_resultset_find(const struct pe_resultset *rs,
					  const char *id);

/*
 * Sorts the rows into the order results.json uses (pe_result_compare).
 */
void pe_resultset_sort(struct pe_resultset *rs);

#endif
