#ifndef PE_DATASET_H
#define PE_DATASET_H
/*
 * Dataset files: test cases kept outside the prompt file, referenced from
 * testData and resolved relative to the prompt file.  Three formats, chosen
 * by extension:
 *   .jsonl  one JSON object per line (blank lines skipped)
 *   .csv    RFC 4180, a header row of variable names, one case per row
 *   .yaml/.yml  a list of test cases, or a mapping with a testData list
 * Each case is a node in the shapes testData items take, so the prompt
 * loader reads inline and file cases the same way.  Called by prompt.c.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/core/node.h"

/*
 * Loads the dataset at path.  On success returns a document whose root is
 * a sequence of case nodes; the caller owns it.  Returns NULL after
 * recording errors in diag.
 */
struct pe_doc *pe_dataset_load(const char *path, struct pe_diag *diag);

enum { PE_DATASET_MAX_FILE = 256 * 1024 * 1024 };

#endif
