#ifndef PE_INDEX_H
#define PE_INDEX_H
/*
 * A hash index over the items of an array the caller keeps: it maps a key
 * (bytes and a length, so a NUL inside a key counts) to the position of
 * the item that has it, in time that does not grow with the array.  The
 * loaders use it wherever a name must be found among many: mapping keys
 * and anchors in the YAML loader, duplicate case ids and evaluator names
 * in the prompt loader, CSV columns.  It stores positions only; the keys
 * stay in the caller's items and are read back through a key function.
 *
 * struct pe_index is embedded by callers: pe_index_init/pe_index_release.
 * A finished index can be frozen into a document's arena
 * (pe_index_copy_to), after which it is read-only and freed with the
 * document.
 */
#include <stddef.h>

/*
 * Returns the key of item i of items and its length in *len.  The key is
 * borrowed and must stay the same while the index is used.
 */
typedef const char *pe_index_key_fn(const void *items, size_t i, size_t *len);

struct pe_index {
	size_t *slots; /* item position + 1; 0 is an empty slot */
	size_t mask;   /* slots - 1 (a power of two minus one), or 0 */
	size_t count;  /* positions added */
	pe_index_key_fn *key_of;
};

void pe_index_init(struct pe_index *ix, pe_index_key_fn *key_of);
void pe_index_release(struct pe_index *ix);

/* The hash of len bytes at key (64-bit FNV-1a, reduced to size_t). */
size_t pe_index_hash(const char *key, size_t len);

/*
 * Looks key (len bytes) up among items.  Returns the position of the
 * first item added with that key, or -1.
 */
long pe_index_find(const struct pe_index *ix, const void *items,
		   const char *key, size_t len);

/*
 * Adds item i of items unless an item with the same key is there already.
 * Returns -1 when it was added, else the position of the item that holds
 * the key (which stays the one found).  Items may move in memory between
 * calls (a growing array); their keys may not change.
 */
long pe_index_add(struct pe_index *ix, const void *items, size_t i);

struct pe_doc;

/*
 * Copies the index into doc's arena and returns the copy, which is
 * read-only and lives as long as doc.  ix is left as it was.
 */
const struct pe_index *pe_index_copy_to(const struct pe_index *ix,
					struct pe_doc *doc);

#endif
