#ifndef PE_JSON_H
#define PE_JSON_H
/*
 * JSON: the only module that uses cJSON.  It reads JSON text into the same
 * document tree the YAML loader builds (so datasets in JSONL and YAML are
 * walked by one loader), and offers the string quoting every JSON writer in
 * prompteval uses.  Writers build their output in a pe_buf with these
 * helpers, which keeps key order explicit and output deterministic.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/node.h"

/*
 * The deepest nesting pe_json_parse takes: the top value is at depth 0,
 * and a value below depth PE_JSON_MAX_DEPTH is refused.
 */
enum { PE_JSON_MAX_DEPTH = 128 };

/* JSON's white space: not a vertical tab, a form feed or a NUL. */
static inline int pe_json_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Parses len bytes of JSON text into nodes owned by doc.  base is the mark
 * of the text's first byte (the line of a JSONL record); every node gets
 * that line.  The whole text must be one JSON value as RFC 8259 writes it
 * (white space around it is allowed, and a UTF-8 byte order mark before
 * it); what cJSON would take besides ("01", raw control characters in a
 * string) is refused, and so is an object that gives a key twice.
 * Returns NULL after recording an error, at its line and column, in diag.
 */
struct pe_node *pe_json_parse(struct pe_doc *doc, const char *text, size_t len,
			      const struct pe_mark *base, struct pe_diag *diag);

/*
 * pe_json_parse, telling why it failed: returns PE_OK with the value in
 * *out, or, with *out NULL after an error in diag, PE_ERR_INVALID when
 * the text is not JSON and PE_ERR_LIMIT when it is but this reader takes
 * no one meaning from it: it passes a limit (nesting deeper than
 * PE_JSON_MAX_DEPTH, a number beyond a double's range), or an object in
 * it gives a key twice, whose value RFC 8259 leaves open.
 */
int pe_json_read(struct pe_doc *doc, const char *text, size_t len,
		 const struct pe_mark *base, struct pe_diag *diag,
		 struct pe_node **out);

/*
 * Parses the JSON text held in a YAML scalar of src (for example a
 * jsonSchema block); errors, and every node and key, get their exact line
 * and column inside the YAML file (the scalar's own mark where quoting
 * folds lines).
 */
struct pe_node *pe_json_parse_scalar(struct pe_doc *doc,
				     const struct pe_doc *src,
				     const struct pe_node *scalar,
				     struct pe_diag *diag);

/*
 * Parses a JSON file whose whole text is doc's source (pe_doc_new(path,
 * text, len)) into nodes of doc; errors, and every node and key, get
 * their line and column in the file.  NULL after an error, as
 * pe_json_parse.
 */
struct pe_node *pe_json_parse_source(struct pe_doc *doc, struct pe_diag *diag);

/* Appends s as a JSON string literal, with quotes, escaped per RFC 8259. */
int pe_json_quote(struct pe_buf *out, const char *s, size_t len);

/* Appends a JSON string literal for a C string ("null" for NULL). */
int pe_json_str(struct pe_buf *out, const char *s);

/* Appends a finite number, or null for NaN and infinities. */
int pe_json_num(struct pe_buf *out, double v);

/* Appends an integer exactly (a seed may not fit a double). */
int pe_json_int(struct pe_buf *out, long long v);

/*
 * Appends ,"key":v for a count that may be unknown: a negative v is
 * written as null.
 */
int pe_json_count_member(struct pe_buf *out, const char *key, long v);

/*
 * Appends the document tree n as compact JSON (keys in their order,
 * strings quoted by pe_json_quote).  Returns 0, or PE_ERR_LIMIT past 256
 * levels of nesting.
 */
int pe_json_node(struct pe_buf *out, const struct pe_node *n);

/* The cJSON version, for --version. */
const char *pe_json_version(void);

#endif
