/*
 * Unit tests for utf8.c: pe_utf8_decode on a table of well-formed and
 * ill-formed inputs (the limits of each length, overlong forms,
 * surrogates, code points past U+10FFFF, stray and missing continuation
 * bytes), an exhaustive cross-check of the decoder against the table of
 * well-formed byte sequences in the Unicode standard (Table 3-7), the
 * encoder round-tripping every scalar value, and pe_utf8_cut never
 * splitting a character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "harness/core/utf8.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

struct decode_case {
	const char *what;
	const char *bytes;
	size_t len;	    /* bytes available to the decoder */
	size_t want_len;    /* 0: not well-formed */
	unsigned long want; /* the code point, or the lead byte */
};

static const struct decode_case decode_cases[] = {
	/* Well-formed: each length, its limits, and text after it. */
	{ "NUL", "\0", 1, 1, 0x00 },
	{ "ASCII", "A", 1, 1, 0x41 },
	{ "ASCII before more", "Az", 2, 1, 0x41 },
	{ "U+007F", "\x7f", 1, 1, 0x7f },
	{ "U+0080", "\xc2\x80", 2, 2, 0x80 },
	{ "e acute", "\xc3\xa9", 2, 2, 0xe9 },
	{ "e acute before more", "\xc3\xa9!", 3, 2, 0xe9 },
	{ "U+07FF", "\xdf\xbf", 2, 2, 0x7ff },
	{ "U+0800", "\xe0\xa0\x80", 3, 3, 0x800 },
	{ "euro sign", "\xe2\x82\xac", 3, 3, 0x20ac },
	{ "U+D7FF", "\xed\x9f\xbf", 3, 3, 0xd7ff },
	{ "U+E000", "\xee\x80\x80", 3, 3, 0xe000 },
	{ "U+FFFD", "\xef\xbf\xbd", 3, 3, 0xfffd },
	{ "U+FFFF", "\xef\xbf\xbf", 3, 3, 0xffff },
	{ "U+10000", "\xf0\x90\x80\x80", 4, 4, 0x10000 },
	{ "grinning face", "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
	{ "grinning face before more", "\xf0\x9f\x98\x80\xf0", 5, 4, 0x1f600 },
	{ "U+100000", "\xf4\x80\x80\x80", 4, 4, 0x100000 },
	{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },

	/* Overlong forms. */
	{ "overlong NUL, 2 bytes", "\xc0\x80", 2, 0, 0xc0 },
	{ "overlong U+007F, 2 bytes", "\xc1\xbf", 2, 0, 0xc1 },
	{ "overlong NUL, 3 bytes", "\xe0\x80\x80", 3, 0, 0xe0 },
	{ "overlong U+07FF, 3 bytes", "\xe0\x9f\xbf", 3, 0, 0xe0 },
	{ "overlong NUL, 4 bytes", "\xf0\x80\x80\x80", 4, 0, 0xf0 },
	{ "overlong U+FFFF, 4 bytes", "\xf0\x8f\xbf\xbf", 4, 0, 0xf0 },

	/* Surrogates. */
	{ "U+D800", "\xed\xa0\x80", 3, 0, 0xed },
	{ "U+DBFF", "\xed\xaf\xbf", 3, 0, 0xed },
	{ "U+DC00", "\xed\xb0\x80", 3, 0, 0xed },
	{ "U+DFFF", "\xed\xbf\xbf", 3, 0, 0xed },

	/* Past U+10FFFF and lead bytes that never occur. */
	{ "U+110000", "\xf4\x90\x80\x80", 4, 0, 0xf4 },
	{ "U+13FFFF", "\xf4\xbf\xbf\xbf", 4, 0, 0xf4 },
	{ "lead F5", "\xf5\x80\x80\x80", 4, 0, 0xf5 },
	{ "lead F7", "\xf7\xbf\xbf\xbf", 4, 0, 0xf7 },
	{ "lead F8 (5-byte form)", "\xf8\x88\x80\x80\x80", 5, 0, 0xf8 },
	{ "lead FC (6-byte form)", "\xfc\x84\x80\x80\x80\x80", 6, 0, 0xfc },
	{ "lead FE", "\xfe\x80\x80\x80", 4, 0, 0xfe },
	{ "lead FF", "\xff", 1, 0, 0xff },

	/* Stray continuation bytes. */
	{ "stray 80", "\x80", 1, 0, 0x80 },
	{ "stray BF", "\xbf", 1, 0, 0xbf },
	{ "stray 80 before ASCII",
	  "\x80"
	  "A",
	  2, 0, 0x80 },
	{ "two stray bytes", "\xa9\xa9", 2, 0, 0xa9 },

	/* Truncated: fewer bytes available than the lead byte needs. */
	{ "2-byte lead alone", "\xc3", 1, 0, 0xc3 },
	{ "3-byte lead alone", "\xe2", 1, 0, 0xe2 },
	{ "3-byte with 1 of 2", "\xe2\x82", 2, 0, 0xe2 },
	{ "4-byte lead alone", "\xf0", 1, 0, 0xf0 },
	{ "4-byte with 2 of 3", "\xf0\x9f\x98", 3, 0, 0xf0 },
	{ "euro sign, len 2", "\xe2\x82\xac", 2, 0, 0xe2 },
	{ "grinning face, len 3", "\xf0\x9f\x98\x80", 3, 0, 0xf0 },
	{ "e acute, len 1", "\xc3\xa9", 1, 0, 0xc3 },

	/* A continuation byte replaced by something else. */
	{ "2-byte then ASCII",
	  "\xc3"
	  "A",
	  2, 0, 0xc3 },
	{ "2-byte then lead", "\xc3\xc3\xa9", 3, 0, 0xc3 },
	{ "3-byte, last is ASCII",
	  "\xe2\x82"
	  "A",
	  3, 0, 0xe2 },
	{ "3-byte, middle is ASCII",
	  "\xe2"
	  "A\xac",
	  3, 0, 0xe2 },
	{ "4-byte, last is ASCII",
	  "\xf0\x9f\x98"
	  "A",
	  4, 0, 0xf0 },
	{ "4-byte, last is a lead", "\xf0\x9f\x98\xf0", 4, 0, 0xf0 },
};

static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(decode_cases); i++) {
		const struct decode_case *c = &decode_cases[i];
		unsigned long cp = 0xdeadbeef;
		size_t n = pe_utf8_decode(c->bytes, c->len, &cp);

		if (n != c->want_len || cp != c->want) {
			print_error("%s: got length %zu, U+%04lX; want length "
				    "%zu, U+%04lX\n",
				    c->what, n, cp, c->want_len, c->want);
			fail();
		}
	}
}

/*
 * The length of the well-formed character at u (len bytes), or 0,
 * straight from Table 3-7 of the Unicode standard.
 */
static size_t reference_length(const unsigned char *u, size_t len)
{
	static const struct {
		unsigned char lo[4], hi[4];
		size_t n;
	} rows[] = {
		{ { 0x00 }, { 0x7f }, 1 },
		{ { 0xc2, 0x80 }, { 0xdf, 0xbf }, 2 },
		{ { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf }, 3 },
		{ { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf }, 3 },
		{ { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf }, 3 },
		{ { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf }, 3 },
		{ { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf }, 4 },
	};

	for (size_t r = 0; r < COUNT(rows); r++) {
		size_t k;

		if (len < rows[r].n)
			continue;
		for (k = 0; k < rows[r].n; k++)
			if (u[k] < rows[r].lo[k] || u[k] > rows[r].hi[k])
				break;
		if (k == rows[r].n)
			return rows[r].n;
	}
	return 0;
}

/* The code point of a well-formed sequence, computed independently. */
static unsigned long reference_code_point(const unsigned char *u, size_t n)
{
	switch (n) {
	case 1:
		return u[0];
	case 2:
		return (u[0] - 0xc0UL) * 64 + (u[1] - 0x80UL);
	case 3:
		return (u[0] - 0xe0UL) * 4096 + (u[1] - 0x80UL) * 64 +
		       (u[2] - 0x80UL);
	default:
		return (u[0] - 0xf0UL) * 262144 + (u[1] - 0x80UL) * 4096 +
		       (u[2] - 0x80UL) * 64 + (u[3] - 0x80UL);
	}
}

/*
 * Checks the decoder on u at every available length against the
 * standard's table: the same length and code point, and the lead byte
 * back for what the table rejects.
 */
static void check_against_standard(const unsigned char u[4])
{
	for (size_t len = 1; len <= 4; len++) {
		size_t want = reference_length(u, len);
		unsigned long want_cp =
			want ? reference_code_point(u, want) : u[0];
		unsigned long cp;
		size_t n = pe_utf8_decode((const char *)u, len, &cp);

		if (n != want || cp != want_cp) {
			print_error("%02x %02x %02x %02x, len %zu: got %zu "
				    "U+%04lX, want %zu U+%04lX\n",
				    u[0], u[1], u[2], u[3], len, n, cp, want,
				    want_cp);
			fail();
		}
	}
}

/*
 * Every lead byte with every second byte, and the bytes at the edges of
 * the continuation range in the third and fourth places.
 */
static void test_decode_matches_standard(void **state)
{
	static const unsigned char edges[] = { 0x00, 0x7f, 0x80, 0x9f,
					       0xa0, 0xbf, 0xc0, 0xff };
	size_t checked = 0;

	(void)state;
	for (unsigned lead = 0; lead < 256; lead++) {
		for (unsigned second = 0; second < 256; second++) {
			for (size_t t = 0; t < COUNT(edges) * COUNT(edges);
			     t++) {
				unsigned char u[4] = {
					(unsigned char)lead,
					(unsigned char)second,
					edges[t / COUNT(edges)],
					edges[t % COUNT(edges)],
				};

				check_against_standard(u);
				checked++;
			}
		}
	}
	assert_int_equal(checked, 256 * 256 * COUNT(edges) * COUNT(edges));
}

struct encode_case {
	unsigned long cp;
	const char *bytes;
};

static const struct encode_case encode_cases[] = {
	{ 0x00, "\0" },
	{ 0x41, "A" },
	{ 0x7f, "\x7f" },
	{ 0x80, "\xc2\x80" },
	{ 0xe9, "\xc3\xa9" },
	{ 0x7ff, "\xdf\xbf" },
	{ 0x800, "\xe0\xa0\x80" },
	{ 0x20ac, "\xe2\x82\xac" },
	{ 0xd7ff, "\xed\x9f\xbf" },
	{ 0xe000, "\xee\x80\x80" },
	{ 0xffff, "\xef\xbf\xbf" },
	{ 0x10000, "\xf0\x90\x80\x80" },
	{ 0x1f600, "\xf0\x9f\x98\x80" },
	{ 0x10ffff, "\xf4\x8f\xbf\xbf" },
};

static void test_encode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(encode_cases); i++) {
		const struct encode_case *c = &encode_cases[i];
		size_t want = c->cp ? strlen(c->bytes) : 1;
		char out[4];
		size_t n = pe_utf8_encode(c->cp, out);

		if (n != want || memcmp(out, c->bytes, want)) {
			print_error("U+%04lX: got %zu bytes\n", c->cp, n);
			fail();
		}
	}
}

/*
 * Every scalar value (U+0000 to U+10FFFF without the surrogates) encodes
 * to the length its range calls for and decodes back to itself.
 */
static void test_encode_round_trip(void **state)
{
	size_t checked = 0;

	(void)state;
	for (unsigned long cp = 0; cp <= 0x10ffff; cp++) {
		char out[4];
		unsigned long back = 0xdeadbeef;
		size_t n, want, m;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		n = pe_utf8_encode(cp, out);
		m = n == want ? pe_utf8_decode(out, n, &back) : 0;
		if (n != want || m != n || back != cp) {
			print_error("U+%04lX: encoded in %zu bytes (want %zu), "
				    "decoded %zu bytes to U+%04lX\n",
				    cp, n, want, m, back);
			fail();
		}
		checked++;
	}
	assert_int_equal(checked, 0x110000 - 0x800);
}

struct cut_case {
	const char *text;
	size_t max;
	size_t want;
};

/* "aé€😀b": a at 0, é at 1-2, € at 3-5, 😀 at 6-9, b at 10. */
#define MIXED                                                                  \
	"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"                                \
	"b"

static const struct cut_case cut_cases[] = {
	{ MIXED, 0, 0 },   { MIXED, 1, 1 },    { MIXED, 2, 1 },
	{ MIXED, 3, 3 },   { MIXED, 4, 3 },    { MIXED, 5, 3 },
	{ MIXED, 6, 6 },   { MIXED, 7, 6 },    { MIXED, 8, 6 },
	{ MIXED, 9, 6 },   { MIXED, 10, 10 },  { MIXED, 11, 11 },
	{ MIXED, 12, 11 }, { MIXED, 100, 11 }, { "", 0, 0 },
	{ "", 5, 0 },	   { "abc", 2, 2 },    { "\xc3\xa9", 1, 0 },
};

static void test_cut_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(cut_cases); i++) {
		const struct cut_case *c = &cut_cases[i];
		size_t got = pe_utf8_cut(c->text, strlen(c->text), c->max);

		if (got != c->want) {
			print_error("row %zu (max %zu): got %zu, want %zu\n", i,
				    c->max, got, c->want);
			fail();
		}
	}
}

/*
 * For a text of characters of every length and every max from 0 past
 * its end, the cut is the longest prefix of whole characters that fits.
 */
static void test_cut_never_splits(void **state)
{
	static const char *const pieces[] = {
		"x",
		"\xc3\xa9",
		"\xe2\x82\xac",
		"\xf0\x9f\x98\x80",
		"\xf4\x8f\xbf\xbf",
		"\xdf\xbf",
		"\xef\xbf\xbf",
		"\n",
	};
	char text[512];
	int boundary[sizeof(text) + 1];
	size_t len = 0;

	(void)state;
	memset(boundary, 0, sizeof(boundary));
	boundary[0] = 1;
	for (size_t round = 0; round < 7; round++) {
		for (size_t p = 0; p < COUNT(pieces); p++) {
			/* Vary the order so each length follows each. */
			const char *piece =
				pieces[(p * (round + 1)) % COUNT(pieces)];
			size_t n = strlen(piece);

			assert_true(len + n < sizeof(text));
			memcpy(text + len, piece, n);
			len += n;
			boundary[len] = 1;
		}
	}
	for (size_t max = 0; max <= len + 2; max++) {
		size_t got = pe_utf8_cut(text, len, max);
		size_t want = max >= len ? len : max;

		while (!boundary[want])
			want--;
		if (got != want) {
			print_error("max %zu: got %zu, want %zu\n", max, got,
				    want);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_matches_standard),
		cmocka_unit_test(test_encode_table),
		cmocka_unit_test(test_encode_round_trip),
		cmocka_unit_test(test_cut_table),
		cmocka_unit_test(test_cut_never_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
