#ifndef PE_CASES_H
#define PE_CASES_H
/*
 * The per-case inputs of a results file ("cases", from schema version 4):
 * what each test case asked, once per case rather than once per row: its
 * variables, its expected value and its messages as rendered.  Rows refer
 * to their case by the prompt's name and the case id, the two fields every
 * row has and the pair its job id is derived from.  Templates see only the
 * case (its variables, the case itself, its expected value), never the
 * model or the temperature, so every job of a case sends the same messages
 * and one entry holds them for all.
 *
 * "run" and "score" build a table from their prompts (pe_case_table_add_case
 * renders the messages as the runner does), the results writer (results.h)
 * writes it with pe_case_input_json, the results reader (resultset.h) reads
 * it back into a table of the same type, "merge" joins the shards' tables,
 * and the reports find a row's inputs with pe_case_table_find.  Files of
 * schema versions 1 to 3, and journals, have no inputs: their tables are
 * empty.
 *
 * Memory: the table owns what it renders and copies; what it is given to
 * hold (an entry added with pe_case_table_add, the variables and expected
 * value nodes of a case) is borrowed and must outlive it.  Entries are
 * plain read-only data, borrowed from the table until pe_case_table_free.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/node.h"
#include "harness/core/secrets.h"
#include "harness/load/prompt.h"

/* One message of a case as rendered: "system", "user" or "assistant". */
struct pe_case_message {
	const char *role;
	const char *content;
	size_t content_len;
};

/* One test case's inputs ("cases" in the file).  Nullable: NULL. */
struct pe_case_input {
	const char *prompt;  /* the prompt's name */
	const char *file;    /* the prompt file */
	const char *case_id; /* NULL for a prompt without test data */
	size_t case_index;
	const struct pe_node *vars;	/* the variables mapping, or NULL */
	const struct pe_node *expected; /* the expected value, or NULL */
	const struct pe_case_message *messages;
	size_t nmessages;
	/*
	 * Why the messages could not be rendered (a variable that is not
	 * defined), or NULL; nmessages is then 0.
	 */
	const char *error;
};

struct pe_case_table;

struct pe_case_table *pe_case_table_new(void);
void pe_case_table_free(struct pe_case_table *t);

/*
 * Adds case c of prompt p (c NULL for a prompt without test data) with
 * its messages rendered (pe_prompt_render), unless the table holds that
 * prompt's case already.  The run's secrets are taken out when the entry
 * is written (pe_case_input_json), not here.
 */
void pe_case_table_add_case(struct pe_case_table *t, const struct pe_prompt *p,
			    const struct pe_case *c);

/*
 * Adds entry in (borrowed, with everything it points to) unless the table
 * holds its prompt's case already.  Returns 1 when added, 0 when not.
 */
int pe_case_table_add(struct pe_case_table *t, const struct pe_case_input *in);

size_t pe_case_table_count(const struct pe_case_table *t);

/* Entry i (0 <= i < count), in the order added until pe_case_table_sort. */
const struct pe_case_input *pe_case_table_get(const struct pe_case_table *t,
					      size_t i);

/*
 * The inputs of case case_id (NULL: a prompt without test data) of the
 * prompt named prompt, or NULL; a row's are pe_case_table_find(t,
 * row->prompt, row->case_id).
 */
const struct pe_case_input *pe_case_table_find(const struct pe_case_table *t,
					       const char *prompt,
					       const char *case_id);

/* Sorts the entries into the order of results.json: file, case index. */
void pe_case_table_sort(struct pe_case_table *t);

/*
 * Appends entry c as one line of JSON (no newline), every secret of
 * secrets (NULL: none) replaced by PE_REDACTED: the one writer of
 * entries, keys in a fixed order.
 */
void pe_case_input_json(const struct pe_case_input *c,
			const struct pe_secrets *secrets, struct pe_buf *out);

/*
 * Appends the table as the member "cases":[...] of a results document,
 * one entry a line, then ",\n"; a NULL table is written as an empty
 * list.
 */
void pe_case_table_json(const struct pe_case_table *t,
			const struct pe_secrets *secrets, struct pe_buf *out);

#endif
