#ifndef PE_TEMPLATE_H
#define PE_TEMPLATE_H
/*
 * Templates: message contents and evaluator values with {{variables}}.
 *
 * Syntax: "{{name}}", "{{ name }}" and dotted paths "{{input.table}}".  A
 * name is a letter or '_' followed by letters, digits, '_' or '-'.  "\{{"
 * writes a literal "{{" (the backslash is dropped).  Any other "{{...}}" is
 * not a variable: it is kept as literal text and reported by
 * pe_template_nliterals so that check can warn about it.
 *
 * Values are inserted literally and never re-expanded.  A template is parsed
 * once at load time and is read-only afterwards, so threads may render it
 * concurrently.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/node.h"

struct pe_template;

/* A variable reference or an unrecognised "{{...}}" in a template. */
struct pe_template_ref {
	const char *path;  /* "input.table"; for literals the raw text */
	const char *token; /* the source text, e.g. "{{ input.table }}" */
	size_t offset;	   /* byte offset of the token in the template */
};

/* Parses text (len bytes).  Never fails; the caller owns the result. */
struct pe_template *pe_template_parse(const char *text, size_t len);
void pe_template_free(struct pe_template *t);

size_t pe_template_nvars(const struct pe_template *t);
const struct pe_template_ref *pe_template_var(const struct pe_template *t,
					      size_t i);
size_t pe_template_nliterals(const struct pe_template *t);
const struct pe_template_ref *pe_template_literal(const struct pe_template *t,
						  size_t i);

/*
 * How many times ref's token appears in the template's text before ref
 * (overlaps count), from 0: what pe_doc_locate takes to point at ref.
 * It walks the text, so it is for diagnostics, not for every reference.
 */
size_t pe_template_occurrence(const struct pe_template *t,
			      const struct pe_template_ref *ref);

/* True when the template has no variables (rendering is a copy). */
int pe_template_is_constant(const struct pe_template *t);

/*
 * Looks a dotted path up in scopes, the first scope first.  Each scope is a
 * mapping.  Returns NULL when no scope defines the path.
 */
const struct pe_node *pe_template_lookup(const struct pe_node *const *scopes,
					 size_t nscopes, const char *path);

/*
 * Renders t into out.  Returns 0; PE_ERR_INVALID when a variable is not
 * defined (its path is stored in *missing, borrowed from t); or
 * PE_ERR_LIMIT when out's maximum size is reached.
 */
int pe_template_render(const struct pe_template *t,
		       const struct pe_node *const *scopes, size_t nscopes,
		       struct pe_buf *out, const char **missing);

#endif
