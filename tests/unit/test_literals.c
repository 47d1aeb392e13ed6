/*
 * Unit tests for harness/core/literals.c: which patterns give a set of
 * literals and which give none (constructs it does not read, literals too
 * common to search for), and where pe_literals_next_start says a match
 * can start: at an occurrence, before one by the most bytes that can
 * come first, anywhere before one behind an unbounded repeat, with
 * caseless letters in either case and as U+212A and U+017F.  That the
 * matcher counts the same matches with and without them is checked in
 * test_pattern.c.  pe_literals_find is checked against memmem.
 */
#define _GNU_SOURCE /* memmem, to compare with */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/literals.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define S(s)	      s, sizeof(s) - 1
/* No place: the subject's length. */
#define END ((size_t)-1)

/* Patterns whose literals are not read, or not worth searching for. */
static const char *const none[] = {
	"",
	"a",
	"a|b",
	"e|t|a",
	"(abc)\\1",
	"(?<n>abc)\\k<n>",
	"\\Gabc",
	"\\Kabc",
	"abc\\K",
	"(*COMMIT)abc",
	"(*UCP)abc",
	"(?x)abc",
	"\\Qabc\\E",
	"[\\Qa]\\E]bcd",
	"(?(1)abc|abd)",
	"abc(?R)?",
	"abc(?1)?",
	"(?&n)?abc",
	"(?P=n)abc",
	"(?^)abc",
	"abc{,3}def",
	"abc|\\d+",
	"abcdef|x*",
	"(?C1)abc",
	"abc(?#c)*def|xyz",
	/* Classes whose end depends on PCRE2's rules for "[:" and "\\c". */
	"qjzx[[:]|:]]",
	"[[:alpha:]]qjzx",
	"[\\c]]qjzx",
	/* PCRE2's non-atomic lookbehind, not a named group. */
	"(?<*x)ab(?<n>qjzx)",
	"xyz(?#c)",
	"\\cAabc",
	"\\o{101}bcd",
	"\\101bcd",
	"\\N{U+41}bcd",
	/* More literals than searching each on its own is worth. */
	"alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliet|"
	"kilo|lima|mike|november|oscar|papa|quebec",
};

static void test_none(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		struct pe_literals *l =
			pe_literals_of(none[i], strlen(none[i]), 0);

		if (l)
			fail_msg("'%s' gave literals", none[i]);
	}
}

struct start_case {
	const char *pattern;
	int caseless;
	const char *subject;
	size_t len;
	size_t from;
	size_t start; /* END: none */
	int anywhere;
};

static const struct start_case starts[] = {
	{ "abc", 0, S("xxabcxx"), 0, 2, 0 },
	{ "abc", 0, S("xxabcxx"), 3, END, 0 },
	{ "abc", 0, S("abcXabc"), 1, 4, 0 },
	{ "abc", 0, S("xxABCxx"), 0, END, 0 },
	{ "abc", 1, S("xxABCxx"), 0, 2, 0 },
	{ "(?i)abc", 0, S("xxAbCxx"), 0, 2, 0 },
	{ "(?i:abc)d", 0, S("xxAbCd"), 0, 2, 0 },
	{ "(?i)a(?-i)XYZQ", 0, S("a xyzq aXYZQ"), 0, 7, 0 },
	{ "\\bcdc\\b|\\bddl\\b", 0, S("a ddl and a cdc"), 0, 2, 0 },
	{ "(?:cdc|ddl)x", 0, S("a ddlx"), 0, 2, 0 },
	{ "\\x41bc", 0, S("xxAbc"), 0, 2, 0 },
	{ "\\(abc\\)", 0, S("abc (abc)"), 0, 4, 0 },
	/* A caseless k or s may be U+212A or U+017F, in three and two bytes. */
	{ "(?i)kas", 0,
	  S("x\xe2\x84\xaa"
	    "as"),
	  0, 1, 0 },
	{ "(?i)ask", 0, S("as\xe2\x84\xaa"), 0, 0, 0 },
	{ "(?i)sas", 0,
	  S("\xc5\xbf"
	    "as"),
	  0, 0, 0 },
	{ "(?i)task", 0, S("TA\xc5\xbfK"), 0, 0, 0 },
	{ "kas", 0,
	  S("x\xe2\x84\xaa"
	    "as"),
	  0, END, 0 },
	/* Bytes that can come before a literal: \d{1,2} is at most 8. */
	{ "\\d{1,2}abc", 0, S("12abc"), 0, 0, 0 },
	{ "\\d{1,2}abc", 0, S("xxxxxxxxxxxx12abc"), 0, 6, 0 },
	{ "(?i)k?abc", 0, S("xxxxxxabc"), 0, 3, 0 },
	/* Behind an unbounded repeat, a match may start anywhere before. */
	{ "a.*bcdf", 0, S("xxaxxbcdf"), 0, 0, 1 },
	{ "a.*bcdf", 0, S("xxaxxbcdf"), 4, 4, 1 },
	{ "a.*bcdf", 0, S("xxaxx"), 0, END, 0 },
	{ "a.*bcdf", 0, S("bcdf"), 1, END, 0 },
	/* Literals in lookarounds are not the match's own. */
	{ "(?<=zz)abc", 0, S("zz abc"), 0, 3, 0 },
	{ "abcd(?=zzz)", 0, S("zzz abcd"), 0, 4, 0 },
	/* A literal at a bounded distance is searched for before a rarer
	 * one behind a repeat; among those alike, the most selective. */
	{ "abc\\s+xyzq", 0, S("xyzq  abc xyzq"), 0, 6, 0 },
	{ "\\bthe\\b zqxj", 0, S("the zq the zqxj"), 0, 7, 0 },
	{ "#{1,6}\\s*Rollback", 0, S("x\n## Rollback"), 0, 2, 0 },
};

static void test_next_start(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		const struct start_case *c = &starts[i];
		struct pe_literals *l = pe_literals_of(
			c->pattern, strlen(c->pattern), c->caseless);
		struct pe_literals_scan scan;
		size_t want = c->start == END ? c->len : c->start, got;
		int anywhere = -1;

		if (!l)
			fail_msg("'%s' gave no literals", c->pattern);
		pe_literals_scan_init(&scan, l, c->subject, c->len);
		got = pe_literals_next_start(&scan, c->from, &anywhere);
		if (got != want || (got < c->len && anywhere != c->anywhere))
			fail_msg("'%s' in case %zu: start %zu (anywhere %d), "
				 "expected %zu (%d)",
				 c->pattern, i, got, anywhere, want,
				 c->anywhere);
		pe_literals_scan_release(&scan);
		pe_literals_free(l);
	}
}

/* Many literals (more than the scan keeps inline), found in turn. */
static void test_many(void **state)
{
	const char *pattern = "alpha|bravo|charlie|delta|echo|foxtrot|golf|"
			      "hotel|india|juliet|kilo|lima";
	const char *subject = "lima, then kilo, then juliet";
	struct pe_literals *l = pe_literals_of(pattern, strlen(pattern), 0);
	struct pe_literals_scan scan;
	int anywhere;

	(void)state;
	assert_non_null(l);
	pe_literals_scan_init(&scan, l, subject, strlen(subject));
	assert_int_equal(pe_literals_next_start(&scan, 0, &anywhere), 0);
	assert_int_equal(pe_literals_next_start(&scan, 1, &anywhere), 11);
	assert_int_equal(pe_literals_next_start(&scan, 12, &anywhere), 22);
	assert_int_equal(pe_literals_next_start(&scan, 23, &anywhere),
			 strlen(subject));
	pe_literals_scan_release(&scan);
	pe_literals_free(l);
	pe_literals_free(NULL);
}

/*
 * pe_literals_find against memmem: random subjects of 0 to 300 bytes
 * over four letters (so first and last bytes often match where the rest
 * does not), past the 16- and 32-byte steps, each in a buffer of its
 * exact size, so that ASan sees a read past the end; needles of 1 to 70
 * bytes (those past 32 go to memmem), half of them cut from the subject,
 * and an empty one.
 */
static void test_find(void **state)
{
	unsigned long long rng = 0x2545f4914f6cdd1dULL;

	(void)state;
	assert_int_equal(pe_literals_find("abc", 3, "", 0), 0);
	for (int round = 0; round < 20000; round++) {
		size_t len, nlen, want, got;
		char *s, *needle;
		const char *hit;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		len = (size_t)(rng >> 33) % 301;
		nlen = 1 + (size_t)(rng >> 20) % 70;
		s = malloc(len ? len : 1);
		needle = malloc(nlen);
		for (size_t i = 0; i < len; i++) {
			rng = rng * 6364136223846793005ULL + 1;
			s[i] = "abca\n"[(rng >> 40) % 5];
		}
		for (size_t i = 0; i < nlen; i++) {
			rng = rng * 6364136223846793005ULL + 1;
			needle[i] = "abc"[(rng >> 40) % 3];
		}
		if (round % 2 && nlen <= len)
			memcpy(needle,
			       s + (size_t)(rng >> 45) % (len - nlen + 1),
			       nlen);
		hit = memmem(s, len, needle, nlen);
		want = hit ? (size_t)(hit - s) : len;
		got = pe_literals_find(s, len, needle, nlen);
		if (got != want)
			fail_msg("round %d: %zu bytes, needle of %zu: found at "
				 "%zu, memmem at %zu",
				 round, len, nlen, got, want);
		free(s);
		free(needle);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_next_start),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
