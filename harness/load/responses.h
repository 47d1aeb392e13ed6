#ifndef PE_RESPONSES_H
#define PE_RESPONSES_H
/*
 * Recorded responses, for "score": answers that were written down
 * earlier, read from a JSONL file (one {prompt, case, output[, model,
 * temperature, repeat]} per line) or a directory of <prompt>/<case>.md
 * files, each matched to its prompt and test case, then scored in
 * parallel with OpenMP (each response writes only its own row) and
 * turned into result rows.  Any mismatch is a positioned error and
 * nothing is scored; so is a file or directory that holds no response.
 * In a directory, what is not a regular file (a FIFO, a device) is
 * skipped with a warning, never opened.  A prompt name, case id or model
 * holding a NUL is an error (a shorter name would match it); an output
 * keeps its NULs.  Matching takes time linear in the responses: case ids
 * and job ids are found through indexes.
 *
 * Memory: the set owns its responses, their outputs and scores; rows
 * borrow from it and from the suite, which must outlive it.
 */
#include <stddef.h>

#include "evaluators/evaluator.h"
#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/core/index.h"
#include "harness/core/node.h"
#include "harness/load/suite.h"
#include "harness/results/result.h"

/*
 * One recorded response to score: its row (result.h), with what the row
 * borrows from: the prompt and case it answers, the file it came from,
 * its output (owned when read from a .md file), and its scores.
 */
struct pe_response {
	struct pe_result row;
	const struct pe_prompt *prompt;
	const struct pe_case *kase;
	const char *source; /* where it came from, for messages */
	char id[PE_JOB_ID_LEN + 1];
	char *owned_output;
	struct pe_case_score score;
	struct pe_result_evaluator *evaluators;
};

/* The case ids of one prompt, indexed as responses name them. */
struct pe_case_ids {
	const struct pe_prompt *prompt;
	struct pe_index ids;
};

struct pe_responses {
	struct pe_response *items;
	size_t len;
	size_t alloc;
	struct pe_doc *doc;	   /* JSONL responses live here */
	struct pe_strlist sources; /* file names, for messages */
	struct pe_index job_ids;   /* over items, by id: one per job */
	struct pe_case_ids *case_ids;
	size_t ncase_ids;
	size_t case_ids_alloc;
};

/*
 * Loads the responses at path (a .jsonl file or a directory) and matches
 * each to a prompt of s and its test case.  Always returns a set (owned
 * by the caller); problems are positioned errors in diag, and a response
 * with a problem is left out.
 */
struct pe_responses *pe_responses_load(const char *path,
				       const struct pe_suite *s,
				       struct pe_diag *diag);
void pe_responses_free(struct pe_responses *r);

/*
 * Scores every response, on threads threads (0: all cores), with one
 * pool of check workers for their python and exec checks.
 */
void pe_responses_score(struct pe_responses *r, long threads);

/*
 * Returns the responses' rows, sorted into results.json order, in a new
 * array of r->len rows owned by the caller (the rows borrow from r).
 * Call after pe_responses_score.
 */
struct pe_result *pe_responses_rows(struct pe_responses *r);

#endif
