/*
 * The words of an answer, made once and shared by every evaluator of
 * that answer that compares words (the reference metrics, three of which
 * may read the same 5 KB answer): the answer trimmed of white space and
 * case folded with NFC (pe_unicode_fold), its words (pe_unicode_next_word)
 * in that copy, each numbered so that equal words share an id, and the
 * table of its distinct words, in which another text's words are looked
 * up.  The memo lives in one scoring call (struct pe_eval_input), which
 * runs on one thread, so it needs no lock.
 */
#include "evaluators/evaluator.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/unicode.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Frees what a memo holds; see evaluator.h. */
void pe_eval_memo_release(struct pe_eval_memo *m)
{
	pe_md_free(m->md);
	pe_buf_release(&m->folded);
	free(m->words);
	free(m->ids);
	free(m->table);
	free(m->reference.rendered);
	free(m->reference.ids);
	memset(m, 0, sizeof(*m));
}

/* The eight bytes at s as a number. */
static uint64_t load8(const char *s)
{
	uint64_t x;

	memcpy(&x, s, 8);
	return x;
}

/*
 * The first eight bytes of the word at text + start (len bytes), zero
 * past its end.  Most words have eight bytes of the text from their
 * start, read at once and masked; the last few are read a byte at a
 * time, so that nothing past the text is read.
 */
static inline uint64_t word_head(const char *text, size_t text_len,
				 size_t start, size_t len)
{
	uint64_t head = 0;
	/* The bits past the word's first eight bytes (len >= 1). */
	unsigned drop = 64 - 8 * (unsigned)(len < 8 ? len : 8);

	if (start + 8 <= text_len) {
		head = load8(text + start);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		return head & ~(uint64_t)0 << drop;
#else
		return head & ~(uint64_t)0 >> drop;
#endif
	}
	memcpy(&head, text + start, len < 8 ? len : 8);
	return head;
}

/*
 * A hash of a word, from its head, its length and (past eight bytes) its
 * other bytes, eight at a time, the last eight overlapping what came
 * before.  A product's bit j depends only on the bits up to j of what was
 * multiplied, so the high half is folded into the low one and multiplied
 * once more before the high half is taken: the low bits the tables index
 * by then depend on every byte (without the fold, bytes 7 and 8 of each
 * eight would reach only tables of more than 65,536 slots, and words
 * alike but for those, "processed" and "processes", would pile up in one
 * slot).  Only where a word lands in a table depends on it, never an id
 * or a score.
 */
static inline uint32_t hash_word(const char *s, size_t len, uint64_t head)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL; /* 2^64 / golden ratio */
	uint64_t h = (head ^ (uint64_t)len * k) * k;

	if (len > 8) {
		for (size_t i = 8; i + 8 < len; i += 8)
			h = (h ^ load8(s + i)) * k;
		h = (h ^ load8(s + len - 8)) * k;
	}
	h = (h ^ h >> 32) * k;
	return (uint32_t)(h >> 32);
}

/* The slots of an open-addressed table for n keys; see evaluator.h. */
size_t pe_word_table_size(size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	return size;
}

/*
 * True when two words have the same bytes.  The heads
 * decide for most words; only bytes past the eighth are compared.
 */
static inline int same_word(const struct pe_word *a, const struct pe_word *b)
{
	return a->len == b->len && a->head == b->head &&
	       (a->len <= 8 || !memcmp(a->text + 8, b->text + 8, a->len - 8));
}

/* The slot of word w in a table of words, inlined where it is hot. */
static inline size_t word_slot(const uint32_t *table, size_t mask,
			       const struct pe_word *words,
			       const struct pe_word *w)
{
	size_t k = w->hash & mask;

	while (table[k] && !same_word(&words[table[k] - 1], w))
		k = (k + 1) & mask;
	return k;
}

/* The slot of word w in a table of words; see evaluator.h. */
size_t pe_word_slot(const uint32_t *table, size_t mask,
		    const struct pe_word *words, const struct pe_word *w)
{
	return word_slot(table, mask, words, w);
}

/*
 * The table of size slots (a power of 2) that holds the words of the
 * full table old (old_size slots), which it frees: the words are
 * distinct, so each goes into the first empty slot from its hash.
 */
static uint32_t *grow_table(uint32_t *old, size_t old_size, size_t size,
			    const struct pe_word *words)
{
	uint32_t *table = xcalloc(size, sizeof(*table));

	for (size_t k = 0; k < old_size; k++) {
		size_t j;

		if (!old[k])
			continue;
		j = words[old[k] - 1].hash & (size - 1);
		while (table[j])
			j = (j + 1) & (size - 1);
		table[j] = old[k];
	}
	free(old);
	return table;
}

/*
 * Numbers the memo's words and fills its table of distinct words.  A
 * slot holds a word's position + 1 (0: empty), four bytes, not a
 * pointer: the table is zeroed for every answer, and half the bytes
 * are half the zeroing.  For the same reason it is sized for the
 * distinct words, not all of them: it starts with a slot for each word
 * (prose repeats most of its words, so that is twice what it needs) and
 * doubles whenever the distinct words fill half of it, so it is never
 * fuller than that.
 */
static void number_words(struct pe_eval_memo *m)
{
	size_t size = pe_word_table_size(m->nwords / 2), mask = size - 1;
	const struct pe_word *words = m->words;
	uint32_t *table = xcalloc(size, sizeof(*table));
	unsigned *ids = xmalloc((m->nwords + 1) * sizeof(*ids));
	unsigned distinct = 0;

	for (size_t i = 0; i < m->nwords; i++) {
		size_t k = word_slot(table, mask, words, &words[i]);

		if (table[k]) {
			ids[i] = ids[table[k] - 1];
			continue;
		}
		ids[i] = distinct++;
		table[k] = (uint32_t)i + 1;
		if (2 * (size_t)distinct > size) {
			table = grow_table(table, size, 2 * size, words);
			size *= 2;
			mask = size - 1;
		}
	}
	m->table = table;
	m->mask = mask;
	m->ids = ids;
	m->ndistinct = distinct;
}

/*
 * Folds the output, trimmed, into m, and keeps the count of its bytes
 * that are not UTF-8 (pe_result_note_utf8), which folding finds anyway:
 * the white space trimmed is whole characters, so the trimmed text has
 * the same such bytes as the output.
 */
static void make_folded(const struct pe_eval_input *in, struct pe_eval_memo *m)
{
	size_t len = in->len, invalid;
	const char *text = pe_unicode_trim(in->output, &len);

	pe_buf_init(&m->folded, PE_UNICODE_FOLD_GROWTH * len + 1);
	m->made =
		pe_unicode_fold_count(text, len, &m->folded, &invalid) ? -1 : 1;
	if (m->made > 0) {
		m->invalid = invalid;
		m->has_invalid = 1;
	}
}

/*
 * The words of text; see evaluator.h.  The array starts at one
 * word for every six bytes, about what English prose has, so it is
 * seldom grown.  The words come 64 at a time (pe_unicode_next_words).
 */
struct pe_word *pe_split_words(const char *text, size_t len, size_t *n)
{
	struct pe_word *items = NULL;
	size_t at = 0, starts[64], ends[64], found, alloc = 0, count = 0;

	pe_grow(&items, &alloc, len / 6 + 16, sizeof(*items));
	while ((found = pe_unicode_next_words(text, len, &at, starts, ends,
					      64))) {
		struct pe_word *w;

		pe_grow(&items, &alloc, count + found, sizeof(*items));
		w = items + count;
		for (size_t k = 0; k < found; k++) {
			size_t wlen = ends[k] - starts[k];
			uint64_t head = word_head(text, len, starts[k], wlen);

			w[k].text = text + starts[k];
			w[k].len = wlen;
			w[k].head = head;
			w[k].hash = hash_word(text + starts[k], wlen, head);
		}
		count += found;
	}
	*n = count;
	return items;
}

/* Finds and numbers the words of m's folded text. */
static void make_words(struct pe_eval_memo *m)
{
	m->has_words = 1;
	m->words = pe_split_words(m->folded.data, m->folded.len, &m->nwords);
	number_words(m);
}

/* The output folded, made once; see evaluator.h. */
const struct pe_eval_memo *pe_eval_folded(const struct pe_eval_input *in,
					  struct pe_eval_memo *m)
{
	struct pe_eval_memo *holder = in->memo ? in->memo : m;

	if (!holder->made)
		make_folded(in, holder);
	return holder->made > 0 ? holder : NULL;
}

/* The output's folded words, made once; see evaluator.h. */
struct pe_eval_memo *pe_eval_words(const struct pe_eval_input *in,
				   struct pe_eval_memo *m)
{
	struct pe_eval_memo *holder = in->memo ? in->memo : m;

	if (!pe_eval_folded(in, m))
		return NULL;
	if (!holder->has_words)
		make_words(holder);
	return holder;
}

/* The id of a word of another text in the memo; see evaluator.h. */
unsigned pe_eval_word_id(const struct pe_eval_memo *m, const struct pe_word *w)
{
	size_t k = word_slot(m->table, m->mask, m->words, w);

	return m->table[k] ? m->ids[m->table[k] - 1] : UINT_MAX;
}
