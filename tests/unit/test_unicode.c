/*
 * Unit tests for unicode.c: pe_unicode_fold on a table of texts (ASCII,
 * accented Latin, German sharp s, Greek final sigma, Turkish dotted and
 * dotless i, signs that fold to letters, combining marks against
 * precomposed letters, NUL, and invalid UTF-8 of every kind), every code
 * point folded alone (well-formed output, within the documented growth),
 * random bytes, the buffer maximum; pe_unicode_is_space on the White_Space
 * list and its neighbours, with an exhaustive count; pe_unicode_trim on a
 * table; pe_unicode_width on narrow, wide, combining and out-of-range
 * code points; pe_unicode_next_word on a table and, against the rule
 * read one character at a time, on random texts from every byte;
 * pe_unicode_invalid_bytes with an odd byte at every place of its
 * stride; the utf8proc version; and, against utf8proc itself, that the
 * characters pe_unicode_fold copies (pe_unicode_inert) fold to
 * themselves beside letters, combining marks and each other, and that no
 * canonical decomposition has one after its first code point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "harness/core/buf.h"
#include "harness/core/unicode.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "evaluators/markdown.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

/* Characters the tables use, as UTF-8. */
#define FFFD		    "\xef\xbf\xbd" /* U+FFFD replacement character */
#define E_ACUTE		    "\xc3\xa9"	   /* é */
#define CAPITAL_E_ACUTE	    "\xc3\x89"	   /* É */
#define A_RING		    "\xc3\xa5"	   /* å */
#define COMBINING_ACUTE	    "\xcc\x81"	   /* U+0301 */
#define COMBINING_RING	    "\xcc\x8a"	   /* U+030A */
#define COMBINING_DOT_ABOVE "\xcc\x87"	   /* U+0307 */
#define COMBINING_DOT_BELOW "\xcc\xa3"	   /* U+0323 */
#define A_DOT_BELOW	    "\xe1\xba\xa1" /* ạ */
#define SHARP_S		    "\xc3\x9f"	   /* ß */
#define CAPITAL_SHARP_S	    "\xe1\xba\x9e" /* ẞ */
#define CAPITAL_ODOS	    "\xce\x9f\xce\x94\xce\x9f\xce\xa3" /* ΟΔΟΣ */
#define FINAL_ODOS	    "\xce\xbf\xce\xb4\xce\xbf\xcf\x82" /* οδος */
#define FOLDED_ODOS	    "\xce\xbf\xce\xb4\xce\xbf\xcf\x83" /* οδοσ */
#define CAPITAL_I_DOT	    "\xc4\xb0"			       /* İ */
#define DOTLESS_I	    "\xc4\xb1"			       /* ı */

struct fold_case {
	const char *what;
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *want;
	size_t want_len; /* 0: strlen(want) */
};

static const struct fold_case fold_cases[] = {
	{ "empty", "", 0, "", 0 },
	{ "ASCII", "Hello World", 0, "hello world", 0 },
	{ "ASCII punctuation stays", "A-Z [a]_@`{~}", 0, "a-z [a]_@`{~}", 0 },
	{ "NUL is a character", "A\0B", 3, "a\0b", 3 },
	{ "NUL beside non-ASCII", CAPITAL_E_ACUTE "\0E", 4, E_ACUTE "\0e", 4 },

	/* Latin letters with marks. */
	{ "capital E acute", CAPITAL_E_ACUTE "COLE", 0, E_ACUTE "cole", 0 },
	{ "small e acute stays", "une " E_ACUTE "cole", 0,
	  "une " E_ACUTE "cole", 0 },
	{ "combining acute composes (NFC)", "e" COMBINING_ACUTE "cole", 0,
	  E_ACUTE "cole", 0 },
	{ "capital with combining acute", "E" COMBINING_ACUTE "COLE", 0,
	  E_ACUTE "cole", 0 },
	{ "marks inside ASCII text compose with the letter before",
	  "CafE" COMBINING_ACUTE " ET THE" COMBINING_ACUTE " a" COMBINING_RING,
	  0, "caf" E_ACUTE " et th" E_ACUTE " " A_RING, 0 },
	{ "a mark at the start has nothing to compose with",
	  COMBINING_ACUTE "A", 0, COMBINING_ACUTE "a", 0 },
	/* Dot below (class 220) goes before acute (class 230). */
	{ "two marks are put in canonical order",
	  "A" COMBINING_ACUTE COMBINING_DOT_BELOW, 0,
	  A_DOT_BELOW COMBINING_ACUTE, 0 },
	{ "Angstrom sign becomes a with ring", "\xe2\x84\xab", 0, A_RING, 0 },

	/* German sharp s: full case folding maps it to ss. */
	{ "sharp s", "Stra" SHARP_S "e", 0, "strasse", 0 },
	{ "capital sharp s", "STRA" CAPITAL_SHARP_S "E", 0, "strasse", 0 },
	{ "SS", "STRASSE", 0, "strasse", 0 },

	/* Greek: capital, small and final sigma fold alike. */
	{ "capital sigma", CAPITAL_ODOS, 0, FOLDED_ODOS, 0 },
	{ "final sigma", FINAL_ODOS, 0, FOLDED_ODOS, 0 },

	/*
	 * Turkish: utf8proc's default folding (not the Turkic one).  Capital
	 * I with dot folds to i and a combining dot above, which does not
	 * compose; dotless i stays; I folds to i.
	 */
	{ "capital I with dot", CAPITAL_I_DOT "stanbul", 0,
	  "i" COMBINING_DOT_ABOVE "stanbul", 0 },
	{ "dotless i stays", DOTLESS_I, 0, DOTLESS_I, 0 },
	{ "I folds to i, not to dotless i", "ISTANBUL", 0, "istanbul", 0 },

	/* Signs and ligatures that fold to letters. */
	{ "Kelvin sign", "\xe2\x84\xaa", 0, "k", 0 },
	{ "fi ligature", "\xef\xac\x81", 0, "fi", 0 },
	{ "fullwidth letters and digits are ASCII (NFKC)",
	  "\xef\xbd\x88\xef\xbd\x95\xef\xbd\x8e\xef\xbd\x94\xef\xbd\x85\xef\xbd"
	  "\x92\xef\xbc\x92",
	  0, "hunter2", 0 },
	{ "superscript two is 2, the ellipsis three dots",
	  "x\xc2\xb2\xe2\x80\xa6", 0, "x2...", 0 },

	/* Invisible characters are dropped: nothing hides a word. */
	{ "zero-width space", "HUN\xe2\x80\x8bTER", 0, "hunter", 0 },
	{ "soft hyphen", "hun\xc2\xadter", 0, "hunter", 0 },
	{ "word joiner and zero-width joiner", "h\xe2\x81\xa0u\xe2\x80\x8dn", 0,
	  "hun", 0 },
	{ "variation selector after an emoji", "\xe2\x9d\xa4\xef\xb8\x8f OK", 0,
	  "\xe2\x9d\xa4 ok", 0 },
	{ "only invisible characters", "\xe2\x80\x8b\xc2\xad", 0, "", 0 },
	{ "emoji stays", "\xf0\x9f\x98\x80 OK", 0, "\xf0\x9f\x98\x80 ok", 0 },

	/* Invalid UTF-8: each byte that starts no character is U+FFFD. */
	{ "stray byte between letters", "A\xffZ", 0, "a" FFFD "z", 0 },
	{ "stray continuation", "\x80" CAPITAL_E_ACUTE, 0, FFFD E_ACUTE, 0 },
	{ "truncated at the end", CAPITAL_E_ACUTE "\xc3", 0, E_ACUTE FFFD, 0 },
	{ "overlong NUL", "\xc0\x80", 0, FFFD FFFD, 0 },
	{ "overlong 3 bytes", "\xe0\x80\x80", 0, FFFD FFFD FFFD, 0 },
	{ "surrogate", "\xed\xa0\x80" CAPITAL_E_ACUTE, 0,
	  FFFD FFFD FFFD E_ACUTE, 0 },
	{ "past U+10FFFF", "\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD, 0 },
	{ "lead then ASCII", "\xe2\x82Z", 0, FFFD FFFD "z", 0 },
	{ "a mark after an invalid byte does not compose",
	  "\xff" COMBINING_ACUTE, 0, FFFD COMBINING_ACUTE, 0 },
	{ "only invalid bytes", "\xfe\xff", 0, FFFD FFFD, 0 },
};

static void test_fold_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(fold_cases); i++) {
		const struct fold_case *c = &fold_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		size_t want_len = c->want_len ? c->want_len : strlen(c->want);
		struct pe_buf out;
		int rc;

		pe_buf_init(&out, 0);
		rc = pe_unicode_fold(c->text, len, &out);
		if (rc || out.len != want_len ||
		    memcmp(pe_buf_str(&out), c->want, want_len)) {
			print_error("%s: rc %d, got %zu bytes \"%s\", want "
				    "%zu bytes \"%s\"\n",
				    c->what, rc, out.len, pe_buf_str(&out),
				    want_len, c->want);
			failures++;
		}
		pe_buf_release(&out);
	}
	assert_int_equal(failures, 0);
}

/* Folding appends: what out held stays in front. */
static void test_fold_appends(void **state)
{
	struct pe_buf out;

	(void)state;
	pe_buf_init(&out, 0);
	pe_buf_adds(&out, "X:");
	assert_int_equal(
		pe_unicode_fold(CAPITAL_E_ACUTE "T" CAPITAL_E_ACUTE, 5, &out),
		0);
	assert_string_equal(pe_buf_str(&out), "X:\xc3\xa9t\xc3\xa9");
	assert_int_equal(pe_unicode_fold("AB", 2, &out), 0);
	assert_string_equal(pe_buf_str(&out), "X:\xc3\xa9t\xc3\xa9"
					      "ab");
	pe_buf_release(&out);
}

/* A buffer maximum refuses the fold whole and leaves out as it was. */
static void test_fold_limit(void **state)
{
	static const struct {
		const char *text;
		size_t max;
		int want_rc;
	} rows[] = {
		{ "ABC", 5, 0 },
		{ "ABCDEF", 5, PE_ERR_LIMIT },
		{ "Stra\xc3\x9f"
		  "e",
		  9, 0 }, /* "x:" + "strasse" */
		{ "Stra\xc3\x9f"
		  "e",
		  8, PE_ERR_LIMIT },  /* ss is longer */
		{ "\xff\xff", 8, 0 }, /* two U+FFFD */
		{ "\xff\xff", 7, PE_ERR_LIMIT },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct pe_buf out;
		int rc;

		pe_buf_init(&out, rows[i].max);
		pe_buf_adds(&out, "x:");
		rc = pe_unicode_fold(rows[i].text, strlen(rows[i].text), &out);
		if (rc != rows[i].want_rc ||
		    (rc && strcmp(pe_buf_str(&out), "x:"))) {
			print_error("row %zu: rc %d, out \"%s\"\n", i, rc,
				    pe_buf_str(&out));
			fail();
		}
		pe_buf_release(&out);
	}
}

/*
 * Every ASCII byte at every position of an 8-byte word, and runs of every
 * length from 0 to 40 (ASCII is folded eight bytes at a time, then one by
 * one): only A to Z change.
 */
static void test_fold_ascii_bytes(void **state)
{
	char text[256 + 40], want[sizeof(text)];
	struct pe_buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++) {
		text[i] = (char)((i * 7 + i / 128) % 128);
		want[i] = text[i] >= 'A' && text[i] <= 'Z'
				  ? (char)(text[i] + 32)
				  : text[i];
	}
	pe_buf_init(&out, 0);
	for (size_t start = 0; start < 8; start++) {
		for (size_t len = 0; len + start <= sizeof(text); len++) {
			pe_buf_reset(&out);
			if (len > 40 && len + start < sizeof(text))
				continue;
			assert_int_equal(
				pe_unicode_fold(text + start, len, &out), 0);
			if (out.len != len ||
			    memcmp(pe_buf_str(&out), want + start, len)) {
				print_error("start %zu, length %zu\n", start,
					    len);
				fail();
			}
		}
	}
	pe_buf_release(&out);
}

/* Returns 1 when s (len bytes) is well-formed UTF-8. */
static int well_formed(const char *s, size_t len)
{
	size_t at = 0;

	while (at < len) {
		unsigned long cp;
		size_t n = pe_utf8_decode(s + at, len - at, &cp);

		if (!n)
			return 0;
		at += n;
	}
	return 1;
}

/*
 * Every scalar value folded alone gives well-formed UTF-8 no more than
 * PE_UNICODE_FOLD_GROWTH times as long (the bound unicode.h promises,
 * reached), nothing only for the default ignorable characters, and ASCII
 * folds as tolower.
 */
static void test_fold_every_code_point(void **state)
{
	struct pe_buf out;
	size_t checked = 0, grown = 0, most = 0;

	(void)state;
	pe_buf_init(&out, 0);
	for (unsigned long cp = 0; cp <= 0x10ffff; cp++) {
		char in[4];
		size_t n;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		n = pe_utf8_encode(cp, in);
		pe_buf_reset(&out);
		if (pe_unicode_fold(in, n, &out) ||
		    out.len > PE_UNICODE_FOLD_GROWTH * n ||
		    (out.len == 0) !=
			    utf8proc_get_property((utf8proc_int32_t)cp)
				    ->ignorable ||
		    !well_formed(out.data, out.len) ||
		    (cp < 0x80 &&
		     (unsigned char)out.data[0] !=
			     (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp))) {
			print_error("U+%04lX: folded to %zu bytes\n", cp,
				    out.len);
			fail();
		}
		grown += out.len > n;
		if (out.len / n > most)
			most = out.len / n;
		checked++;
	}
	pe_buf_release(&out);
	assert_int_equal(checked, 0x110000 - 0x800);
	/* Some characters do grow (sharp s, ligatures). */
	assert_true(grown > 0);
	assert_int_equal(most, PE_UNICODE_FOLD_GROWTH);
}

/*
 * Random bytes, biased towards UTF-8 lead and continuation bytes, fold
 * to well-formed UTF-8 within the bound.  pe_unicode_fold_count folds
 * them alike and counts what pe_unicode_invalid_bytes counts, in the
 * text and in the text trimmed of white space (as words.c folds it: the
 * count stands for the whole answer's).  A fixed-seed generator keeps
 * the test repeatable.
 */
static void test_fold_random_bytes(void **state)
{
	static const unsigned char alphabet[] = {
		'A',  'z',  ' ',  0x00, 0x80, 0x81, 0xbf,
		0xc3, 0x89, 0xa9, 0xcc, 0xe0, 0xe2, 0xed,
		0xa0, 0xf0, 0xf4, 0x9f, 0xff, 0xc0, 0xc2,
	};
	uint32_t seed = 12345;
	struct pe_buf out, counted;

	(void)state;
	pe_buf_init(&out, 0);
	pe_buf_init(&counted, 0);
	for (size_t round = 0; round < 2000; round++) {
		char text[64];
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(text);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] =
				(char)alphabet[(seed >> 16) % COUNT(alphabet)];
		}
		pe_buf_reset(&out);
		if (pe_unicode_fold(text, len, &out) || out.len > 3 * len ||
		    !well_formed(out.data ? out.data : "", out.len)) {
			print_error("round %zu: %zu bytes folded to %zu\n",
				    round, len, out.len);
			fail();
		}
		for (int trim = 0; trim < 2; trim++) {
			size_t n = len, invalid;
			const char *t = trim ? pe_unicode_trim(text, &n) : text;

			pe_buf_reset(&counted);
			assert_int_equal(
				pe_unicode_fold_count(t, n, &counted, &invalid),
				0);
			assert_int_equal(invalid,
					 pe_unicode_invalid_bytes(text, len));
			if (!trim)
				assert_memory_equal(pe_buf_str(&counted),
						    pe_buf_str(&out),
						    out.len + 1);
		}
	}
	pe_buf_release(&counted);
	pe_buf_release(&out);
}

/* The White_Space list and characters beside it that are not in it. */
static const unsigned long spaces[] = {
	'\t',	'\n',	'\v',	'\f',	'\r',	' ',	0x85,	0xa0,	0x1680,
	0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
	0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
};

static const unsigned long not_spaces[] = {
	0x00,	0x08,	0x0e,	0x1c,	0x1f,	'!',	'a',
	0x7f,	0x84,	0x86,	0x9f,	0xa1,	0x167f, 0x1681,
	0x180e, 0x1fff, 0x200b, 0x200c, 0x200d, 0x2027, 0x202a,
	0x2030, 0x205e, 0x2060, 0x2fff, 0x3001, 0xfeff, 0x10ffff,
};

static void test_is_space(void **state)
{
	size_t count = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(spaces); i++)
		if (!pe_unicode_is_space(spaces[i])) {
			print_error("U+%04lX is white space\n", spaces[i]);
			fail();
		}
	for (size_t i = 0; i < COUNT(not_spaces); i++)
		if (pe_unicode_is_space(not_spaces[i])) {
			print_error("U+%04lX is not white space\n",
				    not_spaces[i]);
			fail();
		}
	/* The list above is the whole of it. */
	for (unsigned long cp = 0; cp <= 0x10ffff; cp++)
		count += pe_unicode_is_space(cp) != 0;
	assert_int_equal(count, COUNT(spaces));
}

struct trim_case {
	const char *what;
	const char *text;
	const char *want;
};

static const struct trim_case trim_cases[] = {
	{ "empty", "", "" },
	{ "nothing to trim", "a b", "a b" },
	{ "ASCII white space", " \t\r\n\v\fa b\n\n ", "a b" },
	{ "only white space", " \n\xe3\x80\x80\xc2\xa0", "" },
	{ "ideographic space and no-break space", "\xe3\x80\x80x\xc2\xa0",
	  "x" },
	{ "next line (U+0085)", "\xc2\x85x\xc2\x85", "x" },
	{ "line and paragraph separators", "\xe2\x80\xa8\xe2\x80\xa9x", "x" },
	{ "em space and narrow no-break space", "\xe2\x80\x83x\xe2\x80\xaf",
	  "x" },
	{ "zero-width space is not white space", "\xe2\x80\x8bx\xe2\x80\x8b",
	  "\xe2\x80\x8bx\xe2\x80\x8b" },
	{ "byte order mark is not white space", "\xef\xbb\xbfx",
	  "\xef\xbb\xbfx" },
	{ "a lone byte 0x85 is not U+0085", "\x85x\x85", "\x85x\x85" },
	{ "a lone byte 0xa0 is not U+00A0", " \xa0x\xa0 ", "\xa0x\xa0" },
	{ "trimming stops at an invalid byte", " \xff x \xff ", "\xff x \xff" },
	{ "a truncated ideographic space stays", "x \xe3\x80", "x \xe3\x80" },
	{ "the end of a longer character is not space",
	  /* U+1680's last two bytes after a 3-byte lead of U+3000. */
	  "x\xe3\x9a\x80", "x\xe3\x9a\x80" },
	{ "white space inside stays", "a \xe3\x80\x80 b", "a \xe3\x80\x80 b" },
};

static void test_trim_table(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(trim_cases); i++) {
		const struct trim_case *c = &trim_cases[i];
		size_t len = strlen(c->text);
		const char *start = pe_unicode_trim(c->text, &len);

		if (start < c->text ||
		    start + len > c->text + strlen(c->text) ||
		    len != strlen(c->want) || memcmp(start, c->want, len)) {
			print_error("%s: got \"%.*s\", want \"%s\"\n", c->what,
				    (int)len, start, c->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Trimming reads only the bytes it is given, not up to a NUL. */
static void test_trim_reads_len_bytes(void **state)
{
	const char text[] = "  ab  cd";
	size_t len = 6;
	const char *start = pe_unicode_trim(text, &len);

	(void)state;
	assert_ptr_equal(start, text + 2);
	assert_int_equal(len, 2);
}

static void test_width(void **state)
{
	static const struct {
		unsigned long cp;
		int columns;
	} table[] = {
		{ 'a', 1 },	 { 0xe9, 1 },	    { 0x3b1, 1 }, { 0x65e5, 2 },
		{ 0xff21, 2 },	 { 0x1f600, 2 },    { 0x301, 0 }, { 0x200b, 0 },
		{ 0x110000, 0 }, { 0xffffffff, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++)
		if (pe_unicode_width(table[i].cp) != table[i].columns) {
			print_error("U+%04lX: %d columns\n", table[i].cp,
				    pe_unicode_width(table[i].cp));
			fail();
		}
}

static void test_stands_alone(void **state)
{
	static const struct {
		unsigned long cp;
		int alone;
	} table[] = {
		{ 'a', 0 },    { 0xe9, 0 },    { 0x65e5, 1 }, /* 日 */
		{ 0x306e, 1 }, { 0x30c6, 1 },  { 0xff76, 1 }, /* の テ ｶ */
		{ 0x3400, 1 }, { 0x20000, 1 }, { 0xac00, 0 }, /* 㐀 𠀀 가 */
		{ 0x3002, 0 }, { 0xff01, 0 },  { 0x1f600, 0 }, { 0x110000, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++)
		if (pe_unicode_stands_alone(table[i].cp) != table[i].alone) {
			print_error("U+%04lX: stands alone %d\n", table[i].cp,
				    pe_unicode_stands_alone(table[i].cp));
			fail();
		}
}

static void test_graphemes(void **state)
{
	static const struct {
		const char *text;
		size_t chars;
		size_t invalid;
	} table[] = {
		{ "", 0, 0 },
		{ "abc", 3, 0 },
		{ "école", 5, 0 },
		{ "e\xcc\x81"
		  "cole",
		  5, 0 },			/* a combining accent */
		{ "🇫🇷🇩🇪", 2, 0 },		/* two flags */
		{ "👨‍👩‍👧", 1, 0 }, /* a family joined by ZWJ */
		{ "日本語", 3, 0 },
		{ "\r\n", 1, 0 },
		{ "a\xff\x80"
		  "b",
		  4, 2 },
		{ "\xcc\x81", 1, 0 }, /* a mark with nothing before it */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
		size_t bad = 99;
		size_t n = pe_unicode_graphemes(table[i].text,
						strlen(table[i].text), &bad);

		if (n != table[i].chars || bad != table[i].invalid) {
			print_error("\"%s\": %zu characters, %zu invalid\n",
				    table[i].text, n, bad);
			fail();
		}
		assert_int_equal(pe_unicode_invalid_bytes(
					 table[i].text, strlen(table[i].text)),
				 table[i].invalid);
	}
	assert_int_equal(pe_unicode_graphemes("abc", 2, NULL), 2);
	/* Overlong forms and surrogates are not UTF-8. */
	assert_int_equal(pe_unicode_invalid_bytes("\xc0\xaf", 2), 2);
	assert_int_equal(pe_unicode_invalid_bytes("\xed\xa0\x80", 3), 3);
	assert_int_equal(pe_unicode_invalid_bytes("0123456789abcdef\xff", 17),
			 1);
}

/*
 * The word rule of unicode.h read literally, one decoded character at a
 * time with no fast path: what pe_unicode_next_word must agree with.
 */
static int next_word_by_characters(const char *s, size_t len, size_t *at,
				   size_t *start, size_t *end)
{
	size_t i = *at, n = 1;
	unsigned long cp = 0;

	for (; i < len; i += n ? n : 1) {
		n = pe_utf8_decode(s + i, len - i, &cp);
		if (n &&
		    (pe_unicode_stands_alone(cp) || pe_unicode_in_word(cp)))
			break;
	}
	if (i >= len) {
		*at = len;
		return 0;
	}
	*start = i;
	i += n;
	while (!pe_unicode_stands_alone(cp) && i < len) {
		unsigned long next;

		n = pe_utf8_decode(s + i, len - i, &next);
		if (!n || pe_unicode_stands_alone(next) ||
		    !pe_unicode_in_word(next))
			break;
		i += n;
	}
	*end = *at = i;
	return 1;
}

/* Pieces of text that meet at every kind of boundary between words. */
static const char *const word_pieces[] = {
	"a",
	"Z",
	"9",
	" ",
	"-",
	"_",
	".",
	"\n",
	E_ACUTE,
	COMBINING_ACUTE,
	"\xe6\x97\xa5",	    /* 日 */
	"\xe3\x81\x82",	    /* あ */
	"\xef\xb8\x8f",	    /* U+FE0F, a variation selector */
	"\xf0\x9f\x98\x80", /* 😀 */
	"\xe2\x80\x94",	    /* an em dash */
	"\xd0\x96",	    /* Ж */
	"\xff",
	"\x80",
	"\xe2\x80", /* cut short */
	"\xc0\xaf", /* overlong */
	"",	    /* NUL, added by length */
	"word",
	"v14",
	"CamelCase",
};

/* A pseudo-random number from *seed (a 64-bit LCG). */
static unsigned next_random(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005u + 1442695040888963407u;
	return (unsigned)(*seed >> 33);
}

/* Builds a random text of up to 40 pieces into out; returns its length. */
static size_t random_words_text(uint64_t *seed, char *out, size_t size)
{
	size_t len = 0, pieces = next_random(seed) % 41;

	for (size_t k = 0; k < pieces; k++) {
		const char *p =
			word_pieces[next_random(seed) % COUNT(word_pieces)];
		size_t n = *p ? strlen(p) : 1; /* "" stands for a NUL byte */

		if (len + n > size)
			break;
		memcpy(out + len, p, n);
		len += n;
	}
	return len;
}

/* Checks that both word finders give the same words of s from at on. */
static void assert_same_words(const char *s, size_t len, size_t from)
{
	size_t at = from, start = 0, end = 0;
	size_t ref_at = from, ref_start = 0, ref_end = 0;

	for (;;) {
		int got = pe_unicode_next_word(s, len, &at, &start, &end);
		int want = next_word_by_characters(s, len, &ref_at, &ref_start,
						   &ref_end);

		assert_int_equal(got, want);
		assert_int_equal(at, ref_at);
		if (!got)
			break;
		assert_int_equal(start, ref_start);
		assert_int_equal(end, ref_end);
	}
}

static void test_next_word_table(void **state)
{
	static const struct {
		const char *text;
		const char *words; /* the words, one space after each */
	} rows[] = {
		{ "", "" },
		{ "  -- ", "" },
		{ "hello", "hello " },
		{ "pg_dump v14.2", "pg dump v14 2 " },
		{ "caf" E_ACUTE "s au lait", "caf" E_ACUTE "s au lait " },
		{ "e" COMBINING_ACUTE "t" E_ACUTE,
		  "e" COMBINING_ACUTE "t" E_ACUTE " " },
		{ "ab\xe6\x97\xa5\xe6\x9c\xac"
		  "cd",
		  "ab \xe6\x97\xa5 \xe6\x9c\xac cd " },
		{ "x\xffy", "x y " },
		{ "\xd0\x96\xd0\x96-ok", "\xd0\x96\xd0\x96 ok " },
		{ "end\xe2\x80\x94", "end " },
		{ "\xe2\x80\x94start", "start " },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		const char *s = rows[i].text;
		size_t len = strlen(s), at = 0, start, end;
		struct pe_buf got;

		pe_buf_init(&got, 0);
		while (pe_unicode_next_word(s, len, &at, &start, &end)) {
			pe_buf_add(&got, s + start, end - start);
			pe_buf_addc(&got, ' ');
		}
		assert_int_equal(at, len);
		assert_string_equal(pe_buf_str(&got), rows[i].words);
		pe_buf_release(&got);
		assert_same_words(s, len, 0);
	}
	/* Every byte, and every pair of bytes, as the whole text. */
	for (unsigned pair = 0; pair < 256 * 256; pair++) {
		char two[2] = { (char)(pair >> 8), (char)(pair & 0xff) };

		assert_same_words(two, 2, 0);
		assert_same_words(two, 1, 0);
	}
}

/*
 * The fast path for ASCII and the decoding path agree, from every
 * starting byte, on random texts mixing ASCII words, punctuation, words
 * of other scripts, characters that stand alone, marks, variation
 * selectors, NUL and invalid bytes.
 */
static void test_next_word_random(void **state)
{
	uint64_t seed = 11;
	char text[256];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t len = random_words_text(&seed, text, sizeof(text));

		for (size_t from = 0; from <= len; from++)
			assert_same_words(text, len, from);
	}
}

/*
 * pe_unicode_next_words finds, from at on, what pe_unicode_next_word
 * finds word by word, whatever max is, and ends with at at the end; and
 * from the start, the length checks' count (pe_md_count_words) counts
 * as many.
 */
static void assert_same_batches(const char *s, size_t len, size_t from,
				size_t max)
{
	size_t at = from, ref_at = from, starts[8], ends[8], n, found = 0;

	assert_true(max <= 8);
	do {
		n = pe_unicode_next_words(s, len, &at, starts, ends, max);
		assert_true(n <= max);
		for (size_t k = 0; k < n; k++) {
			size_t start, end;

			assert_true(pe_unicode_next_word(s, len, &ref_at,
							 &start, &end));
			assert_int_equal(starts[k], start);
			assert_int_equal(ends[k], end);
		}
		found += n;
		/* It may go on from further, past bytes between words. */
		assert_true(at >= ref_at);
	} while (n);
	assert_int_equal(at, len);
	assert_false(
		pe_unicode_next_word(s, len, &ref_at, &starts[0], &ends[0]));
	if (!from)
		assert_int_equal(pe_md_count_words(s, len), found);
}

/*
 * Words of every length from 1 to 70, with gaps of 1 to 20 bytes,
 * met by a byte past ASCII at every position and read from every start
 * that is not inside a word: the blocks of 64 and 16 bytes that
 * pe_unicode_next_words reads at once cut them everywhere, and a word of
 * 64 letters or more fills a block.
 */
static void test_next_words_blocks(void **state)
{
	static const char *const odd[] = { "", E_ACUTE, "\xff", "\xe6\x97\xa5",
					   "\xe2\x80\x94" };
	char text[200];

	(void)state;
	for (size_t word = 1; word <= 70; word += 3)
		for (size_t gap = 1; gap <= 20; gap += 4)
			for (size_t k = 0; k < COUNT(odd); k++)
				for (size_t pos = 0; pos < 190; pos += 7) {
					size_t len = 0;

					while (len + word + gap < 190) {
						memset(text + len, 'w', word);
						text[len + word / 2] = '7';
						memset(text + len + word,
						       gap % 2 ? ' ' : '.',
						       gap);
						len += word + gap;
					}
					memcpy(text + pos, odd[k],
					       strlen(odd[k]));
					for (size_t max = 1; max <= 8; max += 7)
						assert_same_batches(text, len,
								    0, max);
					assert_same_batches(text, len, len, 3);
				}
}

/* The same on the random texts of test_next_word_random. */
static void test_next_words_random(void **state)
{
	uint64_t seed = 12;
	char text[512];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t len = random_words_text(&seed, text, sizeof(text) / 2);

		/* Twice over, so that most texts span several blocks. */
		memcpy(text + len, text, len);
		len *= 2;
		for (size_t max = 1; max <= 8; max++)
			assert_same_batches(text, len, 0, max);
	}
}

/* Counts invalid bytes one decoded character at a time. */
static size_t invalid_bytes_by_characters(const char *s, size_t len)
{
	size_t bad = 0;

	for (size_t i = 0, n; i < len; i += n ? n : 1) {
		unsigned long cp;

		n = pe_utf8_decode(s + i, len - i, &cp);
		bad += !n;
	}
	return bad;
}

/*
 * pe_unicode_invalid_bytes skips ASCII many bytes at a time: a byte past
 * ASCII, valid or not, is found wherever it falls in the stride, and
 * near the end of the text.
 */
static void test_invalid_bytes_strides(void **state)
{
	static const char *const odd[] = { "\xff", E_ACUTE, "\xe2\x80",
					   "\x80\x80", "\xf0\x9f\x98\x80" };
	char text[80];

	(void)state;
	for (size_t k = 0; k < COUNT(odd); k++)
		for (size_t pos = 0; pos < 72; pos++)
			for (size_t len = pos; len <= 72; len += 7) {
				size_t n = strlen(odd[k]);

				memset(text, 'x', sizeof(text));
				memcpy(text + pos, odd[k], n);
				assert_int_equal(
					pe_unicode_invalid_bytes(text, len),
					invalid_bytes_by_characters(text, len));
			}
	/* Only len bytes are read: an invalid byte past them counts not. */
	memset(text, 'x', sizeof(text));
	text[40] = '\xff';
	assert_int_equal(pe_unicode_invalid_bytes(text, 40), 0);
	assert_int_equal(pe_unicode_invalid_bytes(text, 41), 1);
}

static void test_version(void **state)
{
	const char *v = pe_unicode_version();

	(void)state;
	assert_non_null(v);
	assert_true(v[0] >= '1' && v[0] <= '9');
	assert_non_null(strchr(v, '.'));
}

/*
 * Folds text both ways, pe_unicode_fold and utf8proc_map over the whole
 * string with the same options, and fails unless they agree.
 */
static void fold_as_utf8proc(const char *text, size_t len, unsigned long cp)
{
	utf8proc_uint8_t *want = NULL;
	utf8proc_ssize_t n = utf8proc_map(
		(const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &want,
		UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE | UTF8PROC_STABLE |
			UTF8PROC_COMPAT | UTF8PROC_IGNORE);
	struct pe_buf got;

	pe_buf_init(&got, 0);
	assert_true(n >= 0);
	assert_int_equal(pe_unicode_fold(text, len, &got), 0);
	if ((size_t)n != got.len || memcmp(want, got.data, got.len))
		fail_msg("U+%04lX: \"%.*s\" folds to \"%s\", utf8proc gives "
			 "\"%s\"",
			 cp, (int)len, text, pe_buf_str(&got), (char *)want);
	pe_buf_release(&got);
	free(want);
}

/*
 * Every inert character (pe_unicode_inert) is one that folding copies:
 * a starter that folds to itself alone, after a letter, before and after
 * a combining mark, beside another inert one and among letters; and no
 * character's canonical decomposition has one past its first code point,
 * so none is the second of a pair that composes.
 */
static void test_inert(void **state)
{
	/* Each \001 stands for the character. */
	static const char *const contexts[] = {
		"\001",
		"a\001",
		"\001a",
		"e\001" COMBINING_ACUTE,
		"\001" COMBINING_ACUTE,
		"A\001B\001",
		"\001\001",
	};
	size_t inert = 0;

	(void)state;
	for (utf8proc_int32_t cp = 0; cp < 0x110000; cp++) {
		utf8proc_int32_t parts[32];
		int boundary = 0;
		utf8proc_ssize_t n;
		char ch[4];
		size_t ch_len;

		if (cp >= 0xd800 && cp < 0xe000)
			continue;
		n = utf8proc_decompose_char(cp, parts, 32, UTF8PROC_DECOMPOSE,
					    &boundary);
		assert_true(n > 0 && n <= 32);
		for (utf8proc_ssize_t k = 1; k < n; k++)
			if (pe_unicode_inert((unsigned long)parts[k]))
				fail_msg("U+%04X decomposes to inert U+%04X",
					 cp, parts[k]);
		if (!pe_unicode_inert((unsigned long)cp))
			continue;
		inert++;
		assert_int_equal(utf8proc_get_property(cp)->combining_class, 0);
		ch_len = pe_utf8_encode((unsigned long)cp, ch);
		for (size_t c = 0; c < COUNT(contexts); c++) {
			struct pe_buf text;

			pe_buf_init(&text, 0);
			for (const char *p = contexts[c]; *p; p++)
				if (*p == '\001')
					pe_buf_add(&text, ch, ch_len);
				else
					pe_buf_addc(&text, *p);
			fold_as_utf8proc(text.data, text.len,
					 (unsigned long)cp);
			pe_buf_release(&text);
		}
	}
	assert_true(inert > 3500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_table),
		cmocka_unit_test(test_fold_ascii_bytes),
		cmocka_unit_test(test_fold_appends),
		cmocka_unit_test(test_fold_limit),
		cmocka_unit_test(test_fold_every_code_point),
		cmocka_unit_test(test_fold_random_bytes),
		cmocka_unit_test(test_is_space),
		cmocka_unit_test(test_trim_table),
		cmocka_unit_test(test_trim_reads_len_bytes),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_stands_alone),
		cmocka_unit_test(test_graphemes),
		cmocka_unit_test(test_next_word_table),
		cmocka_unit_test(test_next_word_random),
		cmocka_unit_test(test_next_words_blocks),
		cmocka_unit_test(test_next_words_random),
		cmocka_unit_test(test_invalid_bytes_strides),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_inert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
