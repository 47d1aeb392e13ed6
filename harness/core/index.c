/*
 * Open addressing with linear probing over a power-of-two table that is
 * kept at most half full, so a lookup looks at few slots.  The table
 * holds positions, not keys: a probe compares the key it is given with
 * the item's own, read through the caller's key function, which keeps
 * the index one array of numbers whatever the items are.
 */
#include "harness/core/index.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Prepares an empty index whose items' keys key_of reads. */
void pe_index_init(struct pe_index *ix, pe_index_key_fn *key_of)
{
	memset(ix, 0, sizeof(*ix));
	ix->key_of = key_of;
}

/* Frees the table; the index is empty again. */
void pe_index_release(struct pe_index *ix)
{
	free(ix->slots);
	pe_index_init(ix, ix->key_of);
}

/* Hashes len bytes with 64-bit FNV-1a. */
size_t pe_index_hash(const char *key, size_t len)
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

static int same_key(const struct pe_index *ix, const void *items, size_t i,
		    const char *key, size_t len)
{
	size_t item_len;
	const char *item_key = ix->key_of(items, i, &item_len);

	return item_len == len && !memcmp(item_key, key, len);
}

/* The slot that holds key, or the empty slot where it would go. */
static size_t probe(const struct pe_index *ix, const void *items,
		    const char *key, size_t len)
{
	size_t k = pe_index_hash(key, len) & ix->mask;

	while (ix->slots[k] && !same_key(ix, items, ix->slots[k] - 1, key, len))
		k = (k + 1) & ix->mask;
	return k;
}

/* Finds the first item with key; see index.h. */
long pe_index_find(const struct pe_index *ix, const void *items,
		   const char *key, size_t len)
{
	size_t k;

	if (!ix->slots)
		return -1;
	k = probe(ix, items, key, len);
	return ix->slots[k] ? (long)(ix->slots[k] - 1) : -1;
}

static void grow(struct pe_index *ix, const void *items)
{
	size_t *old = ix->slots, old_size = old ? ix->mask + 1 : 0;
	size_t size = old_size ? old_size * 2 : 16;

	ix->slots = xcalloc(size, sizeof(*ix->slots));
	ix->mask = size - 1;
	for (size_t s = 0; s < old_size; s++) {
		size_t len, k;
		const char *key;

		if (!old[s])
			continue;
		key = ix->key_of(items, old[s] - 1, &len);
		k = pe_index_hash(key, len) & ix->mask;
		while (ix->slots[k])
			k = (k + 1) & ix->mask;
		ix->slots[k] = old[s];
	}
	free(old);
}

/* Adds item i unless its key is taken; see index.h. */
long pe_index_add(struct pe_index *ix, const void *items, size_t i)
{
	size_t len, k;
	const char *key = ix->key_of(items, i, &len);

	if (!ix->slots || (ix->count + 1) * 2 > ix->mask + 1)
		grow(ix, items);
	k = probe(ix, items, key, len);
	if (ix->slots[k])
		return (long)(ix->slots[k] - 1);
	ix->slots[k] = i + 1;
	ix->count++;
	return -1;
}

/* Freezes a copy of the index in doc's arena; see index.h. */
const struct pe_index *pe_index_copy_to(const struct pe_index *ix,
					struct pe_doc *doc)
{
	struct pe_index *copy = pe_doc_alloc(doc, sizeof(*copy));
	size_t size = ix->slots ? ix->mask + 1 : 0;

	*copy = *ix;
	if (size) {
		copy->slots = pe_doc_alloc(doc, size * sizeof(*copy->slots));
		memcpy(copy->slots, ix->slots, size * sizeof(*copy->slots));
	}
	return copy;
}
