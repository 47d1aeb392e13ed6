/*
 * Unit tests for index.c (pe_index_*): finding keys among many items as
 * the table grows, the first item keeping a key given twice, keys that
 * differ only after a NUL or in length, and a copy frozen in a document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "harness/core/index.h"
#include "harness/core/node.h"

struct item {
	char key[16];
	size_t len;
};

static const char *item_key(const void *items, size_t i, size_t *len)
{
	const struct item *it = &((const struct item *)items)[i];

	*len = it->len;
	return it->key;
}

static void test_many(void **state)
{
	static struct item items[5000];
	struct pe_index ix;

	(void)state;
	pe_index_init(&ix, item_key);
	assert_int_equal(pe_index_find(&ix, items, "k0", 2), -1);
	for (size_t i = 0; i < 5000; i++) {
		items[i].len = (size_t)snprintf(
			items[i].key, sizeof(items[i].key), "k%zu", i);
		assert_int_equal(pe_index_add(&ix, items, i), -1);
	}
	assert_int_equal(ix.count, 5000);
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(
			pe_index_find(&ix, items, items[i].key, items[i].len),
			(long)i);
	assert_int_equal(pe_index_find(&ix, items, "k5000", 5), -1);
	/* At most half full, so probes stay short. */
	assert_true(ix.count * 2 <= ix.mask + 1);
	pe_index_release(&ix);
	assert_null(ix.slots);
}

static void test_duplicates_and_nul(void **state)
{
	struct item items[4] = {
		{ "a", 1 }, { "a\0b", 3 }, { "a", 1 }, { "ab", 2 }
	};
	struct pe_index ix;

	(void)state;
	pe_index_init(&ix, item_key);
	assert_int_equal(pe_index_add(&ix, items, 0), -1);
	assert_int_equal(pe_index_add(&ix, items, 1), -1);
	/* The same key again: the first keeps it. */
	assert_int_equal(pe_index_add(&ix, items, 2), 0);
	assert_int_equal(pe_index_add(&ix, items, 3), -1);
	assert_int_equal(pe_index_find(&ix, items, "a", 1), 0);
	assert_int_equal(pe_index_find(&ix, items, "a\0b", 3), 1);
	assert_int_equal(pe_index_find(&ix, items, "ab", 2), 3);
	assert_int_equal(pe_index_find(&ix, items, "a\0", 2), -1);
	assert_int_equal(ix.count, 3);
	pe_index_release(&ix);
}

static void test_copy_to_doc(void **state)
{
	struct item items[3] = { { "x", 1 }, { "y", 1 }, { "z", 1 } };
	struct pe_doc *doc = pe_doc_new("d", "", 0);
	const struct pe_index *copy;
	struct pe_index ix;

	(void)state;
	pe_index_init(&ix, item_key);
	for (size_t i = 0; i < 3; i++)
		pe_index_add(&ix, items, i);
	copy = pe_index_copy_to(&ix, doc);
	pe_index_release(&ix);
	assert_int_equal(pe_index_find(copy, items, "z", 1), 2);
	assert_int_equal(pe_index_find(copy, items, "w", 1), -1);
	pe_doc_free(doc);
	/* Lengths count: the hash sees every byte. */
	assert_true(pe_index_hash("a", 1) != pe_index_hash("a\0", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_duplicates_and_nul),
		cmocka_unit_test(test_copy_to_doc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
