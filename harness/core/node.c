/*
 * Document trees and their arena.  The arena is a chain of blocks that
 * grows, or goes back to a point taken before (pe_doc_release); a
 * document is freed in one step, which keeps the loaders free of
 * ownership bookkeeping for thousands of small nodes.
 */
#include "harness/core/node.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

struct pe_arena {
	struct arena_block *head;
	/*
	 * Blocks of ARENA_BLOCK_SIZE let go by pe_doc_release, for the next
	 * allocations to use again: a reader that parses row after row then
	 * works in the same few blocks instead of asking malloc each time.
	 */
	struct arena_block *spare;
};

enum { ARENA_BLOCK_SIZE = 32 * 1024 };

/* Creates a document that owns a copy of source. */
struct pe_doc *pe_doc_new(const char *path, const char *source, size_t len)
{
	struct pe_doc *doc = xcalloc(1, sizeof(*doc));

	doc->path = xstrdup(path);
	doc->source = xstrndup(source ? source : "", source ? len : 0);
	doc->source_len = source ? len : 0;
	doc->arena = xcalloc(1, sizeof(*doc->arena));
	return doc;
}

/* Frees a list of arena blocks. */
static void free_blocks(struct arena_block *b)
{
	while (b) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
}

/* Frees the document, its source and every node; NULL is a no-op. */
void pe_doc_free(struct pe_doc *doc)
{
	if (!doc)
		return;
	free_blocks(doc->arena->head);
	free_blocks(doc->arena->spare);
	free(doc->arena);
	free(doc->source);
	free(doc->path);
	free(doc);
}

/* Returns zeroed memory that lives as long as the document. */
void *pe_doc_alloc(struct pe_doc *doc, size_t size)
{
	struct pe_arena *a = doc->arena;
	struct arena_block *b = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (!b || b->size - b->used < size) {
		size_t block =
			size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE;

		if (block == ARENA_BLOCK_SIZE && a->spare) {
			b = a->spare;
			a->spare = b->next;
		} else {
			b = xmalloc(sizeof(*b) + block);
			b->size = block;
		}
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

/* The document's allocations so far; see node.h. */
struct pe_doc_point pe_doc_point(const struct pe_doc *doc)
{
	const struct arena_block *b = doc->arena->head;
	struct pe_doc_point p = { b, b ? b->used : 0 };

	return p;
}

/* Frees what was allocated since point; see node.h. */
void pe_doc_release(struct pe_doc *doc, struct pe_doc_point point)
{
	struct pe_arena *a = doc->arena;

	while (a->head && a->head != point.block) {
		struct arena_block *b = a->head;

		a->head = b->next;
		if (b->size == ARENA_BLOCK_SIZE) {
			b->next = a->spare;
			a->spare = b;
		} else {
			free(b);
		}
	}
	if (a->head)
		a->head->used = point.used;
}

/* Copies len bytes of s into the document, NUL-terminated. */
char *pe_doc_strndup(struct pe_doc *doc, const char *s, size_t len)
{
	char *p = pe_doc_alloc(doc, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Creates a node of the given kind at mark; its file is the doc's path. */
struct pe_node *pe_doc_node(struct pe_doc *doc, enum pe_node_kind kind,
			    const struct pe_mark *mark)
{
	struct pe_node *n = pe_doc_alloc(doc, sizeof(*n));

	n->kind = kind;
	if (mark)
		n->mark = *mark;
	n->mark.file = doc->path;
	n->text = "";
	return n;
}

/* Reads the key of pairs[i] for an index; see node.h. */
const char *pe_pair_key(const void *pairs, size_t i, size_t *len)
{
	const struct pe_node *key = ((const struct pe_pair *)pairs)[i].key;

	*len = key->len;
	return key->text;
}

/* Returns the first pair for key (len bytes) in a mapping, or NULL. */
const struct pe_pair *pe_node_pair_len(const struct pe_node *map,
				       const char *key, size_t len)
{
	long at;

	if (!map || map->kind != PE_NODE_MAP)
		return NULL;
	if (map->index) {
		at = pe_index_find(map->index, map->pairs, key, len);
		return at < 0 ? NULL : &map->pairs[at];
	}
	for (size_t i = 0; i < map->npairs; i++) {
		const struct pe_node *k = map->pairs[i].key;

		if (k->len == len && !memcmp(k->text, key, len))
			return &map->pairs[i];
	}
	return NULL;
}

/* Returns the first pair for key in a mapping, or NULL. */
const struct pe_pair *pe_node_pair(const struct pe_node *map, const char *key)
{
	return pe_node_pair_len(map, key, strlen(key));
}

/* Indexes a large mapping's keys; see node.h. */
void pe_node_index_pairs(struct pe_doc *doc, struct pe_node *map)
{
	struct pe_index ix;

	if (map->kind != PE_NODE_MAP || map->npairs <= PE_NODE_INDEX_MIN_PAIRS)
		return;
	pe_index_init(&ix, pe_pair_key);
	for (size_t i = 0; i < map->npairs; i++)
		pe_index_add(&ix, map->pairs, i);
	map->index = pe_index_copy_to(&ix, doc);
	pe_index_release(&ix);
}

/* Returns the value for key in a mapping, or NULL. */
struct pe_node *pe_node_get(const struct pe_node *map, const char *key)
{
	const struct pe_pair *p = pe_node_pair(map, key);

	return p ? p->value : NULL;
}

/* True for null, booleans, numbers and strings. */
int pe_node_is_scalar(const struct pe_node *n)
{
	return n && n->kind != PE_NODE_SEQ && n->kind != PE_NODE_MAP;
}

/* Names a kind for messages. */
const char *pe_node_kind_name(enum pe_node_kind kind)
{
	switch (kind) {
	case PE_NODE_NULL:
		return "null";
	case PE_NODE_BOOL:
		return "boolean";
	case PE_NODE_INT:
	case PE_NODE_FLOAT:
		return "number";
	case PE_NODE_STRING:
		return "string";
	case PE_NODE_SEQ:
		return "list";
	case PE_NODE_MAP:
		return "mapping";
	}
	return "value";
}

/* Writes n as template text: scalars as written, null empty, else JSON. */
int pe_node_format(const struct pe_node *n, struct pe_buf *out)
{
	if (!n || n->kind == PE_NODE_NULL)
		return PE_OK;
	if (pe_node_is_scalar(n))
		return pe_buf_add(out, n->text, n->len);
	return pe_json_node(out, n);
}

/* Computes line and column of a byte offset, counting UTF-8 characters. */
struct pe_mark pe_doc_mark_at(const struct pe_doc *doc, size_t offset)
{
	struct pe_mark m = { doc->path, 1, 1 };

	if (offset > doc->source_len)
		offset = doc->source_len;
	pe_mark_advance(&m, doc->source, 0, offset);
	return m;
}

/* Moves a mark on over bytes of text; see node.h. */
void pe_mark_advance(struct pe_mark *m, const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			m->line++;
			m->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			m->col++;
		}
	}
}

/* Finds the occurrence-th needle inside n's source range. */
struct pe_mark pe_doc_locate(const struct pe_doc *doc, const struct pe_node *n,
			     const char *needle, size_t occurrence)
{
	size_t nlen = strlen(needle);
	size_t end =
		n->src_end <= doc->source_len ? n->src_end : doc->source_len;

	if (nlen && n->src_start < end) {
		for (size_t i = n->src_start; i + nlen <= end; i++) {
			if (memcmp(doc->source + i, needle, nlen))
				continue;
			if (occurrence-- == 0)
				return pe_doc_mark_at(doc, i);
		}
	}
	return n->mark;
}

static void check_keys(const struct pe_node *map, const char *const *known,
		       const char *what, struct pe_diag *diag, int hinted_only)
{
	if (!map || map->kind != PE_NODE_MAP)
		return;
	for (size_t i = 0; i < map->npairs; i++) {
		const struct pe_node *key = map->pairs[i].key;
		const char *hint;
		int found = 0;

		for (size_t k = 0; known[k] && !found; k++)
			found = !strcmp(key->text, known[k]);
		if (found)
			continue;
		hint = pe_suggest(key->text, known);
		if (hint || !hinted_only)
			pe_diag_unknown_key(diag, &key->mark, key->text, what,
					    hint);
	}
}

/* Warns about unknown keys, suggesting the closest known one. */
void pe_node_check_keys(const struct pe_node *map, const char *const *known,
			const char *what, struct pe_diag *diag)
{
	check_keys(map, known, what, diag, 0);
}

/* Warns only about unknown keys that look like typos of known ones. */
void pe_node_suggest_keys(const struct pe_node *map, const char *const *known,
			  const char *what, struct pe_diag *diag)
{
	check_keys(map, known, what, diag, 1);
}

/* The value of the hex digits of a YAML escape, as far as they go. */
static unsigned long escape_value(const char *src, size_t at, size_t digits,
				  size_t end)
{
	unsigned long cp = 0;

	for (size_t k = 0; k < digits && at + k < end; k++) {
		char h = src[at + k];

		cp = cp * 16 +
		     (unsigned long)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
	}
	return cp;
}

/*
 * Walks a quoted scalar's source on to the offset-th decoded byte; returns
 * its source position, or (size_t)-1 when the walk gives up.
 */
static size_t quoted_step(struct pe_scalar_cursor *c, size_t offset)
{
	const char *src = c->doc->source;
	char quote = src[c->start];

	while (c->pos < c->end && c->decoded < offset) {
		size_t i = c->pos;

		if (quote == '\'' && src[i] == '\'' && i + 1 < c->end &&
		    src[i + 1] == '\'') {
			c->pos += 2;
		} else if (quote == '"' && src[i] == '\\' && i + 1 < c->end) {
			char e = src[i + 1];
			size_t digits = e == 'x'   ? 2
					: e == 'u' ? 4
					: e == 'U' ? 8
						   : 0;
			unsigned long cp =
				escape_value(src, i + 2, digits, c->end);

			/* A \u escape decodes to as many bytes as its UTF-8. */
			c->pos += 2 + digits;
			if (digits)
				c->decoded += cp < 0x80	     ? 0
					      : cp < 0x800   ? 1
					      : cp < 0x10000 ? 2
							     : 3;
		} else if (src[i] == '\n') {
			return (size_t)-1; /* folded lines: give up */
		} else {
			c->pos++;
		}
		c->decoded++;
	}
	return c->pos;
}

/*
 * Walks a block scalar's source on to the offset-th decoded byte,
 * skipping each line's indentation; returns its source position, or
 * (size_t)-1 past the end.
 */
static size_t block_step(struct pe_scalar_cursor *c, size_t offset)
{
	const char *src = c->doc->source;

	while (c->pos < c->end) {
		if (c->line_start) {
			for (size_t k = 0; k < c->indent && c->pos < c->end &&
					   src[c->pos] == ' ';
			     k++)
				c->pos++;
			c->line_start = 0;
		}
		if (c->decoded == offset)
			return c->pos;
		c->line_start = src[c->pos] == '\n';
		c->pos++;
		c->decoded++;
	}
	/* Just past the end: after the last character, not on a new line. */
	if (c->decoded == offset && c->pos > c->start)
		return src[c->pos - 1] == '\n' ? c->pos - 1 : c->pos;
	return (size_t)-1;
}

/* Starts a cursor at the first decoded byte of scalar n; see node.h. */
void pe_scalar_cursor_init(struct pe_scalar_cursor *c, const struct pe_doc *doc,
			   const struct pe_node *n)
{
	const char *src = doc->source;
	const char *nl;

	memset(c, 0, sizeof(*c));
	c->doc = doc;
	c->node = n;
	c->start = n->src_start;
	c->end = n->src_end;
	c->lost = !pe_node_is_scalar(n) || c->end > doc->source_len ||
		  c->start >= c->end;
	if (c->lost)
		return;
	c->style = src[c->start];
	c->pos = c->start;
	if (c->style == '\'' || c->style == '"') {
		c->pos = c->start + 1;
	} else if (c->style == '|' || c->style == '>') {
		nl = memchr(src + c->start, '\n', c->end - c->start);
		if (!nl) {
			c->lost = 1;
			return;
		}
		c->pos = (size_t)(nl - src) + 1;
		while (c->pos + c->indent < c->end &&
		       src[c->pos + c->indent] == ' ')
			c->indent++;
		c->line_start = 1;
	} else {
		c->style = 0;
	}
	c->mark = pe_doc_mark_at(doc, c->start);
	c->mark_pos = c->start;
}

/* Moves the cursor's line and column on to source position pos. */
static void advance_mark(struct pe_scalar_cursor *c, size_t pos)
{
	if (c->mark_pos < pos) {
		pe_mark_advance(&c->mark, c->doc->source, c->mark_pos, pos);
		c->mark_pos = pos;
	}
}

/* Maps the next decoded offset to its source position; see node.h. */
struct pe_mark pe_scalar_cursor_mark(struct pe_scalar_cursor *c, size_t offset)
{
	size_t pos;

	if (c->lost || offset < c->decoded)
		return c->node->mark;
	if (c->style == '\'' || c->style == '"')
		pos = quoted_step(c, offset);
	else if (c->style)
		pos = block_step(c, offset);
	else
		pos = c->start + offset <= c->end ? c->start + offset
						  : (size_t)-1;
	if (pos == (size_t)-1 || pos > c->end) {
		/* A quoted walk stopped at a folded line cannot go on. */
		c->lost = c->style == '\'' || c->style == '"';
		return c->node->mark;
	}
	advance_mark(c, pos);
	return c->mark;
}

/* Maps a decoded offset to its source position; see node.h. */
struct pe_mark pe_doc_scalar_mark(const struct pe_doc *doc,
				  const struct pe_node *n, size_t offset)
{
	struct pe_scalar_cursor c;

	pe_scalar_cursor_init(&c, doc, n);
	return pe_scalar_cursor_mark(&c, offset);
}
