#ifndef PE_NODE_H
#define PE_NODE_H
/*
 * The document tree: what the YAML loader (load/yaml_load.c) and the JSON reader
 * (json.c) produce, and what the prompt and dataset loaders walk.  Each node
 * keeps the mark where it starts, so every later diagnostic can point at a
 * line and column.
 *
 * A struct pe_doc owns its source text and every node in it (they live in
 * one arena and are freed together).  Nodes are plain read-only data once
 * the loader returns; aliases may make one node reachable from two places.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/index.h"

enum pe_node_kind {
	PE_NODE_NULL,
	PE_NODE_BOOL,
	PE_NODE_INT,
	PE_NODE_FLOAT,
	PE_NODE_STRING,
	PE_NODE_SEQ,
	PE_NODE_MAP
};

struct pe_node;

struct pe_pair {
	struct pe_node *key; /* always a scalar */
	struct pe_node *value;
};

/* How a JSON number's double misses it (struct pe_node's inexact). */
enum {
	PE_NUMBER_ROUNDED = 1,	   /* past 2^53, or 16 digits of a fraction */
	PE_NUMBER_NOT_INTEGER = 2, /* a fraction read as an integer */
};

struct pe_node {
	enum pe_node_kind kind;
	struct pe_mark mark; /* where the node starts */
	size_t src_start;    /* byte range in the document's source */
	size_t src_end;
	/* Scalars: the decoded text (for non-strings, the spelling). */
	const char *text;
	size_t len;
	long long ival; /* PE_NODE_INT */
	double fval;	/* PE_NODE_FLOAT (and PE_NODE_INT) */
	int bval;	/* PE_NODE_BOOL */
	int plain;	/* a scalar written without quotes or block style */
	/* PE_NODE_INT, PE_NODE_FLOAT read from JSON: 0, or how the double
	 * misses the number written (PE_NUMBER_ROUNDED, _NOT_INTEGER). */
	int inexact;
	struct pe_node **items; /* PE_NODE_SEQ */
	size_t count;
	struct pe_pair *pairs; /* PE_NODE_MAP, in source order */
	size_t npairs;
	/* PE_NODE_MAP with many pairs: finds a key's first pair, or NULL. */
	const struct pe_index *index;
};

struct pe_doc {
	char *path;   /* as given by the caller */
	char *source; /* the whole file, NUL-terminated */
	size_t source_len;
	struct pe_node *root; /* NULL for an empty document */
	struct pe_arena *arena;
};

struct pe_doc *pe_doc_new(const char *path, const char *source, size_t len);
void pe_doc_free(struct pe_doc *doc);

/* Allocation inside the document; freed with it. */
void *pe_doc_alloc(struct pe_doc *doc, size_t size);

/*
 * A point in the document's allocations: pe_doc_release frees everything
 * allocated since, so that a reader can parse many pieces one after the
 * other (a results file's rows) in the memory of one.  Nothing allocated
 * since the point may be used after the release.
 */
struct pe_doc_point {
	const void *block;
	size_t used;
};
struct pe_doc_point pe_doc_point(const struct pe_doc *doc);
void pe_doc_release(struct pe_doc *doc, struct pe_doc_point point);
char *pe_doc_strndup(struct pe_doc *doc, const char *s, size_t len);
struct pe_node *pe_doc_node(struct pe_doc *doc, enum pe_node_kind kind,
			    const struct pe_mark *mark);

/*
 * Looks key up in a mapping; NULL when absent or map is not a mapping.
 * When a key is given twice (a JSON object may do so), the first wins.
 * pe_node_pair_len takes a key of len bytes.
 */
struct pe_node *pe_node_get(const struct pe_node *map, const char *key);
const struct pe_pair *pe_node_pair(const struct pe_node *map, const char *key);
const struct pe_pair *pe_node_pair_len(const struct pe_node *map,
				       const char *key, size_t len);

/*
 * Gives a finished mapping of doc an index of its keys when it has enough
 * pairs to need one, so that lookups do not walk every pair.  The index
 * lives in doc's arena.
 */
void pe_node_index_pairs(struct pe_doc *doc, struct pe_node *map);

/* The key function of an index over an array of struct pe_pair. */
const char *pe_pair_key(const void *pairs, size_t i, size_t *len);

/* Mappings with more pairs than this get an index. */
enum { PE_NODE_INDEX_MIN_PAIRS = 8 };

int pe_node_is_scalar(const struct pe_node *n);

/* "string", "number", "mapping" and so on, for messages. */
const char *pe_node_kind_name(enum pe_node_kind kind);

/*
 * Writes a node as text for templates: scalars as written, null as the
 * empty string, sequences and mappings as compact JSON.  Returns 0 or
 * PE_ERR_LIMIT when out's maximum is reached.
 */
int pe_node_format(const struct pe_node *n, struct pe_buf *out);

/*
 * Finds the mark of the occurrence-th (from 0) appearance of needle in the
 * source text of node n.  Falls back to the node's own mark.  Used to point
 * at a {{variable}} inside a block scalar.
 */
struct pe_mark pe_doc_locate(const struct pe_doc *doc, const struct pe_node *n,
			     const char *needle, size_t occurrence);

/* Computes the line and column (1-based, in characters) of a byte offset. */
struct pe_mark pe_doc_mark_at(const struct pe_doc *doc, size_t offset);

/*
 * Moves m, the mark of byte from of s, on to byte to: a line at each
 * '\n', a column at each character (UTF-8 continuation bytes count none).
 */
void pe_mark_advance(struct pe_mark *m, const char *s, size_t from, size_t to);

/*
 * Warns about each key of map that is not in known (NULL-terminated),
 * with a "did you mean" suggestion.  what names the mapping in messages,
 * for example "evaluator" or "modelParameters".
 */
void pe_node_check_keys(const struct pe_node *map, const char *const *known,
			const char *what, struct pe_diag *diag);

/* Like pe_node_check_keys, but only for keys with a suggestion. */
void pe_node_suggest_keys(const struct pe_node *map, const char *const *known,
			  const char *what, struct pe_diag *diag);

/*
 * Maps offset, a byte offset into the decoded text of scalar n, back to its
 * position in the source, undoing quoting, escapes and block indentation.
 * Used to point a regex compile error at the exact character.
 */
struct pe_mark pe_doc_scalar_mark(const struct pe_doc *doc,
				  const struct pe_node *n, size_t offset);

/*
 * A walk through the decoded text of one scalar that maps many offsets,
 * in increasing order, to source positions in one pass over the source
 * (the JSON reader marks every node of a jsonSchema block this way).  An
 * embedded struct: set it up with pe_scalar_cursor_init; it holds no
 * memory of its own.  Its fields are private to node.c.
 */
struct pe_scalar_cursor {
	const struct pe_doc *doc;
	const struct pe_node *node;
	size_t start, end; /* the scalar's source range */
	size_t pos;	   /* the source position of decoded byte "decoded" */
	size_t decoded;
	size_t indent;	     /* a block scalar's indentation */
	int line_start;	     /* a block scalar's walk is at a line start */
	char style;	     /* '\'', '"', '|' or '>', or 0 when plain */
	int lost;	     /* no offset can be mapped (folded quoted lines) */
	struct pe_mark mark; /* the line and column of mark_pos */
	size_t mark_pos;
};

/* Starts a cursor at the first decoded byte of scalar n of doc. */
void pe_scalar_cursor_init(struct pe_scalar_cursor *c, const struct pe_doc *doc,
			   const struct pe_node *n);

/*
 * Maps offset, a byte offset into the decoded text, as pe_doc_scalar_mark
 * does.  Offsets must not decrease from one call to the next; one that
 * does, or that cannot be mapped, gets the scalar's own mark.
 */
struct pe_mark pe_scalar_cursor_mark(struct pe_scalar_cursor *c, size_t offset);

#endif
