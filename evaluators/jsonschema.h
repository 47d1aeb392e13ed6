#ifndef PE_JSONSCHEMA_H
#define PE_JSONSCHEMA_H
/*
 * JSON Schema, draft 2020-12: the validator behind the json evaluator
 * (evaluators/json_check.c), which checks a model's JSON answer against
 * the prompt's jsonSchema.  A schema is compiled once, when the prompt
 * loads: every keyword is read and checked there, and a keyword this
 * validator does not implement (a dialect other than 2020-12 that
 * requires a vocabulary it does not know, a keyword of an older draft)
 * is a positioned error, never ignored; so is a reference to another
 * document when the caller gives no loader, or the loader has none.
 * Keywords outside JSON Schema's vocabularies (title, description,
 * x-anything...) are annotations and are let be; "format" is an
 * annotation only, as 2020-12's default format-annotation vocabulary
 * says.
 *
 * The compiled schema is read-only, so threads may share it.  Schemas
 * and answers are untrusted: validation nests at most
 * PE_JSONSCHEMA_MAX_DEPTH schemas deep, and takes at most
 * PE_JSONSCHEMA_STEPS steps plus PE_JSONSCHEMA_STEPS_PER_VALUE for each
 * value of the instance (so the budget grows with the answer, and a
 * schema whose work doubles at each level stops early); a $ref cycle
 * that comes back to the same schema at the same place of the instance
 * stops it with a reason.
 *
 * Ownership: the schema borrows the nodes it was compiled from, which
 * must outlive it.  Arguments are borrowed.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/node.h"

enum {
	PE_JSONSCHEMA_MAX_DEPTH = 1000,
	PE_JSONSCHEMA_STEPS = 1000 * 1000,
	PE_JSONSCHEMA_STEPS_PER_VALUE = 100
};

struct pe_jsonschema;

/*
 * Where a schema's documents come from.  base is the URI the root was
 * read from, against which its $id and references resolve; NULL gives it
 * a URI of no place, out of which every reference names nothing.  load,
 * when set, is asked for each document that a $ref, a $dynamicRef or a
 * root's $schema names and the schema does not hold, by its absolute URI
 * without a fragment; at most 100 of them.  It returns the document,
 * which the compiled schema then owns (its nodes are borrowed until
 * pe_jsonschema_free), or NULL after recording an error in diag: at
 * from, the mark of the keyword that names it, unless the document's
 * own text is at fault.  A metaschema is read for its $vocabulary only:
 * a vocabulary it leaves out makes its keywords annotations, and one it
 * requires that this validator does not implement is an error.
 */
struct pe_jsonschema_docs {
	const char *base;
	struct pe_doc *(*load)(void *arg, const char *uri,
			       const struct pe_mark *from,
			       struct pe_diag *diag);
	void *arg;
};

/*
 * Compiles the schema whose root is root (an object or a boolean), with
 * the other documents it names from docs (NULL: none; a reference to
 * another document is then an error).  Returns NULL after recording
 * every problem in diag, each at the line and column of its keyword.
 */
struct pe_jsonschema *pe_jsonschema_compile(
	const struct pe_node *root, const struct pe_jsonschema_docs *docs,
	struct pe_diag *diag);
void pe_jsonschema_free(struct pe_jsonschema *schema);

/*
 * Appends a digest of the other documents schema read (see struct
 * pe_jsonschema_docs), what it checks besides its own root: the SHA-256
 * of their trees as JSON, in the order it read them, in hex; nothing
 * when it read none.  Made once, when the schema is compiled.
 */
void pe_jsonschema_documents(const struct pe_jsonschema *schema,
			     struct pe_buf *out);

/*
 * Validates instance against schema.  Returns 0 when validation came to
 * an end: *problems is then the number of problems found (0: valid), and
 * the first max_listed of them are appended to why, separated by "; ",
 * each as "POINTER: what", such as "/n: 99 is above the maximum 10"
 * ("(root)" for the whole instance).  Returns PE_ERR_LIMIT when a limit
 * stopped it (depth, steps, a $ref cycle, a pattern's match limit), with
 * the reason in why instead.
 */
int pe_jsonschema_validate(const struct pe_jsonschema *schema,
			   const struct pe_node *instance, size_t max_listed,
			   struct pe_buf *why, size_t *problems);

#endif
