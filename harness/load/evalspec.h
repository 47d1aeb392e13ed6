#ifndef PE_EVALSPEC_H
#define PE_EVALSPEC_H
/*
 * Evaluator specs: what an entry of "evaluators:" says, read for the prompt
 * loader and kept with its source mark.  This module reads the keys every
 * evaluator may carry (name, description, weight, not) and asks the
 * evaluator registry (evaluators/registry.c) which family the entry is:
 * the one its "type:" names, else the first whose key is present.  The
 * family reads its own keys; the shapes it accepts are listed in its ops
 * table and in the README.  Families that are never run are
 * loaded with a warning and reported as skipped.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/node.h"
#include "harness/load/template.h"

/* The compiled form, owned by the evaluator registry (evaluators/). */
struct pe_evaluator;
/* An evaluator family (evaluators/evaluator.h). */
struct pe_evaluator_ops;

struct pe_evalspec {
	const struct pe_evaluator_ops *ops; /* the family, from the registry */
	char *name;
	struct pe_mark mark;
	const struct pe_node *node; /* the evaluator as written */
	double weight;		    /* default 1 */
	int negate;		    /* "not: true" or "match: false" */
	void *data; /* the family's reading of its keys, owned, or NULL */

	/* Set by pe_evaluators_compile; NULL until then. */
	struct pe_evaluator *compiled;
};

/*
 * Reads the evaluator node at position index of its list into spec.
 * Returns 0, or PE_ERR_INVALID after recording errors in diag (the spec is
 * then released and must not be used).  Warnings may be recorded either way.
 */
int pe_evalspec_parse(struct pe_evalspec *spec, const struct pe_node *node,
		      size_t index, struct pe_diag *diag);
void pe_evalspec_release(struct pe_evalspec *spec);

/*
 * An unknown key in an evaluator may change what it checks, so the
 * evaluator is skipped, never run as if the key were not there: the note
 * an unknown key's warning ends with while an evaluator is read (see
 * pe_diag_set_unknown_note), and the call that releases spec's data and
 * hands it to the unsupported family, naming key (a key of another
 * family when other_family is set).
 */
extern const char pe_evalspec_unknown_note[];
void pe_evalspec_skip_for_key(struct pe_evalspec *spec, const char *key,
			      int other_family);

/* True for the families that prompteval never runs. */
int pe_evalspec_is_skipped(const struct pe_evalspec *spec);

/*
 * Why spec never runs ("is not supported by prompteval", or the dialect
 * it could not map), or NULL when its family runs.
 */
const char *pe_evalspec_never_runs(const struct pe_evalspec *spec);

/* The kind's name for listings and results: "regex", "builtin", ... */
const char *pe_evalspec_kind_name(const struct pe_evalspec *spec);

/*
 * Templates inside the spec that use test-case variables, for checking
 * them against every case.  *node receives the scalar holding template i;
 * past the last one, the result is NULL.  Variables that are not the
 * case's but the family's own ({{completion}} in a judge prompt, the
 * answer being judged) are reported by pe_evalspec_provides.
 */
size_t pe_evalspec_ntemplates(const struct pe_evalspec *spec);
const struct pe_template *pe_evalspec_template(const struct pe_evalspec *spec,
					       size_t i,
					       const struct pe_node **node);
int pe_evalspec_provides(const struct pe_evalspec *spec, const char *var);

/*
 * Appends to out a one-line account of what the family read from the file
 * ("contains 'hello'", "/^a+$/"); empty for families that read their
 * settings only when they compile.  The unit tests compare it.
 */
void pe_evalspec_describe(const struct pe_evalspec *spec, struct pe_buf *out);

#endif
