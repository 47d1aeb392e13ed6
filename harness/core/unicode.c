/*
 * Case folding and character widths through utf8proc, and white space
 * from the Unicode White_Space list.
 *
 * Folding goes by runs.  ASCII folds to ASCII and never composes with
 * what comes before it, so runs of ASCII are folded here, sixteen bytes
 * at a time; the punctuation, symbols and emoji that neither change nor
 * compose (pe_unicode_inert) are copied.  The rest, each run of non-ASCII
 * bytes with the character before it (which a combining mark may compose
 * with), goes through utf8proc.  utf8proc rejects a whole string at its
 * first invalid byte, so such a run is split again with the one decoder:
 * each stretch of well-formed characters goes through utf8proc_decompose
 * (for folding, case folding and compatibility decomposition with the
 * ignorable characters dropped; canonical decomposition alone for
 * composing) into code points, and each invalid byte becomes U+FFFD; one
 * utf8proc_reencode over the run then composes and writes UTF-8.  Every
 * buffer is allocated here with xmalloc, so running out of memory ends
 * the program as everywhere else.
 */
#include "harness/core/unicode.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { REPLACEMENT_CHARACTER = 0xfffd };

/*
 * Folding: full case folding, compatibility composition (NFKC: the
 * fullwidth "ｈｕｎｔｅｒ２" is "hunter2", the ligature "ﬁ" is "fi") and the
 * default ignorable characters dropped (the zero-width space, the soft
 * hyphen, the word joiner, the variation selectors), so that what reads
 * alike compares alike and nothing invisible hides a word from a check.
 */
static const utf8proc_option_t fold_options =
	UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE | UTF8PROC_STABLE |
	UTF8PROC_COMPAT | UTF8PROC_IGNORE;
static const utf8proc_option_t compose_options =
	UTF8PROC_COMPOSE | UTF8PROC_STABLE;

/* Code points, reused from run to run. */
struct code_points {
	utf8proc_int32_t *items;
	size_t len;
	size_t alloc;
};

/* Returns the length of the stretch of well-formed characters at s. */
static size_t valid_stretch(const char *s, size_t len)
{
	size_t n = 0, step;
	unsigned long cp;

	while (n < len && (step = pe_utf8_decode(s + n, len - n, &cp)))
		n += step;
	return n;
}

/*
 * Appends the folded, decomposed code points of s (len bytes of
 * well-formed UTF-8) to cps, keeping room for one more.  Returns 0, or
 * -1 when utf8proc refuses the text (only text too long for its sizes).
 */
static int decompose(const char *s, size_t len, struct code_points *cps,
		     utf8proc_option_t options)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t want, room;

	if (len > (size_t)PTRDIFF_MAX / sizeof(*cps->items) / 4)
		return -1;
	/* A character gives at least one code point: try with len first. */
	pe_grow(&cps->items, &cps->alloc, cps->len + len + 1,
		sizeof(*cps->items));
	room = (utf8proc_ssize_t)(cps->alloc - cps->len - 1);
	want = utf8proc_decompose(u, (utf8proc_ssize_t)len,
				  cps->items + cps->len, room, options);
	if (want > room) {
		pe_grow(&cps->items, &cps->alloc, cps->len + (size_t)want + 1,
			sizeof(*cps->items));
		room = want;
		want = utf8proc_decompose(u, (utf8proc_ssize_t)len,
					  cps->items + cps->len, room, options);
	}
	if (want < 0 || want > room)
		return -1;
	cps->len += (size_t)want;
	return 0;
}

/*
 * Folds the run s (len bytes) through utf8proc and appends it to out,
 * adding to *invalid the bytes that are not UTF-8 (each becomes U+FFFD).
 * Returns 0, or PE_ERR_LIMIT when out is full or utf8proc refuses it.
 */
static int fold_run(const char *s, size_t len, struct code_points *cps,
		    utf8proc_option_t options, struct pe_buf *out,
		    size_t *invalid)
{
	size_t at = 0;
	utf8proc_ssize_t bytes;

	cps->len = 0;
	while (at < len) {
		size_t n = valid_stretch(s + at, len - at);

		if (n && decompose(s + at, n, cps, options))
			return PE_ERR_LIMIT;
		at += n;
		if (at < len) {
			pe_grow(&cps->items, &cps->alloc, cps->len + 2,
				sizeof(*cps->items));
			cps->items[cps->len++] = REPLACEMENT_CHARACTER;
			++*invalid;
			at++;
		}
	}
	/* In place: UTF-8 never takes more bytes than UTF-32 (plus a NUL). */
	bytes = utf8proc_reencode(cps->items, (utf8proc_ssize_t)cps->len,
				  options);
	if (bytes < 0)
		return PE_ERR_LIMIT;
	return pe_buf_add(out, cps->items, (size_t)bytes);
}

/*
 * Lowers A to Z in eight ASCII bytes at once: adding 0x3f sets a byte's
 * high bit from 'A' up, adding 0x25 from past 'Z' up, and no byte carries
 * into the next since all are below 0x80.
 */
static uint64_t lower_ascii_word(uint64_t word)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t from_a = word + ones * (0x80 - 'A');
	uint64_t past_z = word + ones * (0x7f - 'Z');

	return word | ((from_a & ~past_z & ones * 0x80) >> 2);
}

/*
 * Appends s (len bytes of ASCII) with A to Z lowered, as it copies them:
 * sixteen bytes at a time with SSE2 (a signed compare is exact, as every
 * byte is below 0x80), then eight, then one.
 */
static int fold_ascii(const char *s, size_t len, struct pe_buf *out)
{
	char *c;
	size_t i = 0;

	if (out->max_len &&
	    (len > out->max_len || out->len > out->max_len - len))
		return PE_ERR_LIMIT;
	pe_buf_grow(out, len);
	c = out->data + out->len;
#ifdef __SSE2__
	for (; i + 16 <= len; i += 16) {
		__m128i v =
			_mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i upper = _mm_and_si128(
			_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
			_mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));

		v = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(32)));
		_mm_storeu_si128((__m128i *)(void *)(c + i), v);
	}
#endif
	for (uint64_t word; i + 8 <= len; i += 8) {
		memcpy(&word, s + i, 8);
		word = lower_ascii_word(word);
		memcpy(c + i, &word, 8);
	}
	for (; i < len; i++)
		c[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	out->len += len;
	out->data[out->len] = '\0';
	return PE_OK;
}

/*
 * Which of eight bytes read as one number is the first whose high bit
 * high (their high bits, not 0) has.
 */
static size_t first_high_byte(uint64_t high)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t)__builtin_clzll(high) / 8;
#else
	return (size_t)__builtin_ctzll(high) / 8;
#endif
}

/*
 * The length of the ASCII bytes at s, read 32 at a time while they last
 * (one test of the four words' high bits together), then eight at a
 * time, the first byte that is not ASCII found by its bit; only the last
 * few bytes of s are read one at a time.
 */
static size_t ascii_prefix(const char *s, size_t len)
{
	const uint64_t high_bits = 0x8080808080808080u;
	size_t n = 0;

	for (uint64_t words[4]; n + 32 <= len; n += 32) {
		memcpy(words, s + n, 32);
		if ((words[0] | words[1] | words[2] | words[3]) & high_bits)
			break;
	}
	for (uint64_t word; n + 8 <= len; n += 8) {
		memcpy(&word, s + n, 8);
		if (word & high_bits)
			return n + first_high_byte(word & high_bits);
	}
	while (n < len && (unsigned char)s[n] < 0x80)
		n++;
	return n;
}

/* Inert characters; see unicode.h.  Checked against utf8proc by
 * tests/unit/test_unicode.c. */
int pe_unicode_inert(unsigned long cp)
{
	/*
	 * Not those that compatibility composition changes (the no-break
	 * space, superscripts, fractions, "…", "‼") or that folding drops
	 * (the soft hyphen, zero-width characters, variation selectors).
	 */
	static const unsigned long
		ranges[][2] = {
			{ 0xa1, 0xa7 }, /* Latin-1 signs */
			{ 0xa9, 0xa9 },
			{ 0xab, 0xac },
			{ 0xae, 0xae },
			{ 0xb0, 0xb1 },
			{ 0xb6, 0xb7 },
			{ 0xbb, 0xbb },
			{ 0xbf, 0xbf },
			{ 0xd7, 0xd7 },
			{ 0xf7, 0xf7 },
			{ 0x2010, 0x2010 }, /* dashes, quotes, bullets */
			{ 0x2012, 0x2016 },
			{ 0x2018, 0x2023 },
			{ 0x2027, 0x2027 },
			{ 0x2030, 0x2032 },
			{ 0x2035, 0x2035 },
			{ 0x2038, 0x203b },
			{ 0x203d, 0x203d },
			{ 0x203f, 0x2046 },
			{ 0x204a, 0x2056 },
			{ 0x2058, 0x205e },
			{ 0x2190, 0x222b }, /* arrows, math, technical */
			{ 0x222e, 0x222e },
			{ 0x2231, 0x2328 },
			{ 0x232b, 0x23ff },
			{ 0x2500, 0x27bf }, /* boxes, shapes, symbols, dingbats */
			{ 0x2b00, 0x2bff },
			{ 0x1f300, 0x1faff }, /* emoji */
		};

	if (cp < 0xa1 || cp > 0x1faff)
		return 0;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(*ranges); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	return 0;
}

/*
 * The bytes of the inert characters (pe_unicode_inert) that s (len
 * bytes) starts with, and in *last those of the last of them.
 */
static size_t inert_prefix(const char *s, size_t len, size_t *last)
{
	size_t n = 0, step;
	unsigned long cp;

	*last = 0;
	while (n < len && (step = pe_utf8_decode(s + n, len - n, &cp)) &&
	       pe_unicode_inert(cp)) {
		n += step;
		*last = step;
	}
	return n;
}

/*
 * Appends s mapped with options (folded when fold is set) to out, by runs
 * of ASCII and runs through utf8proc; see pe_unicode_fold.  A run of
 * non-ASCII characters that starts with inert ones has those copied as
 * they are, all but the last when others follow: that one goes through
 * utf8proc with them, as what follows may compose with it.
 */
static int map_text(const char *s, size_t len, struct pe_buf *out,
		    utf8proc_option_t options, int fold, size_t *invalid)
{
	struct code_points cps = { NULL, 0, 0 };
	size_t start = out->len, at = 0;
	int rc = PE_OK;

	/* Mapped text is mostly as long as s: allocate once for that. */
	pe_buf_grow(out, len);
	while (at < len && !rc) {
		size_t ascii = ascii_prefix(s + at, len - at), run = 0, keep;
		size_t last, back = 0; /* ASCII bytes that go with the run */
		const char *r = s + at + ascii;

		while (ascii + run < len - at && (unsigned char)r[run] >= 0x80)
			run++;
		keep = inert_prefix(r, run, &last);
		if (keep < run) {
			/* The character before the first that is not inert
			 * may compose with it: the last inert one, or the
			 * ASCII one. */
			if (keep)
				keep -= last;
			else if (ascii)
				back = 1;
		}
		rc = fold ? fold_ascii(s + at, ascii - back, out)
			  : pe_buf_add(out, s + at, ascii - back);
		if (!rc && keep)
			rc = pe_buf_add(out, r, keep);
		if (!rc && keep < run)
			rc = fold_run(r + keep - back, run - keep + back, &cps,
				      options, out, invalid);
		at += ascii + run;
	}
	free(cps.items);
	if (rc) {
		/* Leave out as it was: drop what this call appended. */
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc ? PE_ERR_LIMIT : PE_OK;
}

/* Folds case with NFKC; see unicode.h. */
int pe_unicode_fold(const char *s, size_t len, struct pe_buf *out)
{
	size_t invalid = 0;

	return map_text(s, len, out, fold_options, 1, &invalid);
}

/*
 * Folds as pe_unicode_fold does and counts the bytes that are not UTF-8;
 * see unicode.h.  A byte that starts no character is found where
 * pe_unicode_invalid_bytes finds it: both decode from the same places
 * (past ASCII and past each character), and a run of bytes past ASCII
 * ends at an ASCII byte, which no character can span.
 */
int pe_unicode_fold_count(const char *s, size_t len, struct pe_buf *out,
			  size_t *invalid)
{
	*invalid = 0;
	return map_text(s, len, out, fold_options, 1, invalid);
}

/* Composes (NFC); see unicode.h. */
int pe_unicode_compose(const char *s, size_t len, struct pe_buf *out)
{
	size_t invalid = 0;

	return map_text(s, len, out, compose_options, 0, &invalid);
}

/* The White_Space property, as Go's unicode.IsSpace; see unicode.h. */
int pe_unicode_is_space(unsigned long cp)
{
	switch (cp) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xa0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202f:
	case 0x205f:
	case 0x3000:
		return 1;
	default:
		return cp >= 0x2000 && cp <= 0x200a;
	}
}

/* The length of the white space character ending s (len bytes), or 0. */
static size_t trailing_space(const char *s, size_t len)
{
	/* White space characters take one to three bytes. */
	for (size_t n = 1; n <= 3 && n <= len; n++) {
		unsigned long cp;

		if (pe_utf8_decode(s + len - n, n, &cp) == n)
			return pe_unicode_is_space(cp) ? n : 0;
	}
	return 0;
}

/* Tells a character that belongs in a word; see unicode.h. */
int pe_unicode_is_word(unsigned long cp)
{
	if (cp > 0x10ffff)
		return 0;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_PC:
		return 1;
	default:
		return 0;
	}
}

/* Trims white space at both ends; see unicode.h. */
const char *pe_unicode_trim(const char *s, size_t *len)
{
	size_t n = *len, step, end;
	unsigned long cp;

	while (n && (step = pe_utf8_decode(s, n, &cp)) &&
	       pe_unicode_is_space(cp))
		s += step, n -= step;
	while (n && (end = trailing_space(s, n)))
		n -= end;
	*len = n;
	return s;
}

/* Tells a character that is part of a word; see unicode.h. */
int pe_unicode_in_word(unsigned long cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		       (cp >= 'A' && cp <= 'Z');
	if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef))
		return 0;
	return pe_unicode_is_word(cp);
}

/*
 * What a byte says to the word finder: an ASCII character outside words,
 * an ASCII letter or digit (in words), or a byte past ASCII, whose
 * character must be decoded to tell.
 */
enum byte_class { ASCII_OTHER, ASCII_WORD, NOT_ASCII };

/*
 * The class of every byte, so that the ASCII of a word, or of what lies
 * between words, is read at one table look-up a byte.
 */
/* clang-format off */
static const unsigned char byte_classes[256] = {
	/* 0x00 to 0x2f: controls, space and punctuation. */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x30 to 0x3f: the digits, then : ; < = > ? */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	/* 0x40 to 0x5f: @, A to Z, then [ \ ] ^ _ */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	/* 0x60 to 0x7f: `, a to z, then { | } ~ and DEL */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	/* 0x80 to 0xff: past ASCII. */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};
/* clang-format on */

/*
 * The end of the word whose characters run up to i: the next character
 * that is not in words, stands alone, or is not UTF-8.  This and
 * next_word_decoded are kept out of line (noinline): inlined, they make
 * every call of pe_unicode_next_word save and restore the registers they
 * need, which costs the fast path for ASCII a third of its time.
 */
static __attribute__((noinline)) size_t extend_word(const char *s, size_t len,
						    size_t i)
{
	const unsigned char *u = (const unsigned char *)s;

	while (i < len) {
		unsigned long cp;
		size_t n;

		if (byte_classes[u[i]] != NOT_ASCII) {
			if (byte_classes[u[i]] != ASCII_WORD)
				break;
			i++;
			continue;
		}
		n = pe_utf8_decode(s + i, len - i, &cp);
		if (!n || pe_unicode_stands_alone(cp) ||
		    !pe_unicode_in_word(cp))
			break;
		i += n;
	}
	return i;
}

/*
 * Finds the next word from i on, decoding what is past ASCII: the full
 * rule of pe_unicode_next_word, for text where the fast path of ASCII
 * meets a byte past ASCII before a word.
 */
static __attribute__((noinline)) int next_word_decoded(const char *s,
						       size_t len, size_t i,
						       size_t *at,
						       size_t *start,
						       size_t *end)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 1;
	unsigned long cp = 0;

	/* Skip to the first character of a word. */
	for (; i < len; i += n ? n : 1) {
		if (byte_classes[u[i]] != NOT_ASCII) {
			n = 1;
			if (byte_classes[u[i]] == ASCII_WORD) {
				cp = u[i];
				break;
			}
			continue;
		}
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
	if (!pe_unicode_stands_alone(cp))
		i = extend_word(s, len, i);
	*end = *at = i;
	return 1;
}

/*
 * Finds the next word; see unicode.h.  The fast path reads ASCII by
 * byte_classes: it skips ASCII outside words and takes a word that starts
 * with an ASCII letter or digit up to the first byte that is not one.
 * That is the rule itself for ASCII (no ASCII character stands alone,
 * and pe_unicode_in_word holds for just the letters and digits), so the
 * fast path only hands over at the first byte past ASCII: inside a word,
 * to extend_word, which decodes from there; before a word, to
 * next_word_decoded, which starts the search again from that byte.
 */
int pe_unicode_next_word(const char *s, size_t len, size_t *at, size_t *start,
			 size_t *end)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = *at, first;

	while (i < len && byte_classes[u[i]] == ASCII_OTHER)
		i++;
	if (i == len || byte_classes[u[i]] == NOT_ASCII)
		return next_word_decoded(s, len, i, at, start, end);
	first = i;
	while (++i < len && byte_classes[u[i]] == ASCII_WORD)
		;
	if (i < len && byte_classes[u[i]] == NOT_ASCII)
		i = extend_word(s, len, i);
	*start = first;
	*end = *at = i;
	return 1;
}

#ifdef __SSE2__
/*
 * The letters and digits among 16 bytes; see unicode.h.  The ranges are
 * tested as unsigned, by signed compares after a bias, so a byte past
 * ASCII is never a letter or digit.
 */
static inline unsigned word_bits(__m128i v)
{
	__m128i bias = _mm_set1_epi8((char)0x80);
	__m128i digit = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	__m128i letter = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(32)),
				      _mm_set1_epi8('a'));
	__m128i is_digit = _mm_cmplt_epi8(_mm_xor_si128(digit, bias),
					  _mm_set1_epi8((char)(0x80 + 10)));
	__m128i is_letter = _mm_cmplt_epi8(_mm_xor_si128(letter, bias),
					   _mm_set1_epi8((char)(0x80 + 26)));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter));
}

/* The letters and digits among 16 bytes; see unicode.h. */
unsigned pe_unicode_ascii_word_bits(const char *s)
{
	return word_bits(_mm_loadu_si128((const __m128i *)(const void *)s));
}

/* The same for 64 bytes when all are ASCII; see unicode.h. */
int pe_unicode_ascii_word_bits64(const char *s, uint64_t *bits)
{
	const __m128i *p = (const __m128i *)(const void *)s;
	__m128i a = _mm_loadu_si128(p), b = _mm_loadu_si128(p + 1);
	__m128i c = _mm_loadu_si128(p + 2), d = _mm_loadu_si128(p + 3);

	if (_mm_movemask_epi8(
		    _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
		return 0;
	*bits = (uint64_t)word_bits(a) | (uint64_t)word_bits(b) << 16 |
		(uint64_t)word_bits(c) << 32 | (uint64_t)word_bits(d) << 48;
	return 1;
}

/* True when the 16 bytes at s are all ASCII. */
static int ascii_block(const char *s)
{
	return !_mm_movemask_epi8(
		_mm_loadu_si128((const __m128i *)(const void *)s));
}

/*
 * Takes the words of a block of width (16 or 64) ASCII bytes at i, whose
 * letters and digits are bits, whose ends lie in the block (those before
 * a byte that is not a letter or digit), into starts and ends from *n on,
 * up to max.  Returns where the finder goes on: past the last word taken
 * when max ran out, else the start of a word that runs to the block's
 * end (the next block decides where it ends), else the next block.  i
 * is never inside a word, so a letter at i starts one.
 */
static inline size_t words_in_block(size_t i, uint64_t bits, unsigned width,
				    size_t *starts, size_t *ends, size_t *n,
				    size_t max)
{
	uint64_t first = bits & ~(bits << 1); /* each word's first byte */
	uint64_t last =
		bits & ~(bits >> 1) &
		~((uint64_t)1 << (width - 1)); /* last, not at the end */
	size_t k = *n;

	for (; last; k++) {
		if (k == max) {
			*n = k;
			return ends[k - 1];
		}
		starts[k] = i + (size_t)__builtin_ctzll(first);
		ends[k] = i + (size_t)__builtin_ctzll(last) + 1;
		first &= first - 1;
		last &= last - 1;
	}
	*n = k;
	return first ? i + (size_t)__builtin_ctzll(first) : i + width;
}
#endif

/*
 * Finds words as pe_unicode_next_word does, many at a time; see
 * unicode.h.  A block of 64 (else 16) ASCII bytes that is not one run of
 * letters is read at once, by the bits of its letters and digits
 * (words_in_block); anything else, past ASCII or near the end, goes word
 * by word through pe_unicode_next_word.
 */
size_t pe_unicode_next_words(const char *s, size_t len, size_t *at,
			     size_t *starts, size_t *ends, size_t max)
{
	size_t n = 0, i = *at;

	while (n < max) {
#ifdef __SSE2__
		uint64_t bits;

		if (i + 64 <= len &&
		    pe_unicode_ascii_word_bits64(s + i, &bits) &&
		    bits != ~(uint64_t)0) {
			i = words_in_block(i, bits, 64, starts, ends, &n, max);
			continue;
		}
		if (i + 16 <= len && ascii_block(s + i) &&
		    (bits = pe_unicode_ascii_word_bits(s + i)) != 0xffffu) {
			i = words_in_block(i, bits, 16, starts, ends, &n, max);
			continue;
		}
#endif
		if (!pe_unicode_next_word(s, len, &i, &starts[n], &ends[n]))
			break;
		n++;
	}
	*at = i;
	return n;
}

/* Tells a character that is a word on its own; see unicode.h. */
int pe_unicode_stands_alone(unsigned long cp)
{
	if (cp < 0x2e80)
		return 0;
	return (cp >= 0x2e80 && cp <= 0x2fdf) ||   /* radicals */
	       (cp >= 0x3005 && cp <= 0x3007) ||   /* 々 〆 〇 */
	       (cp >= 0x3021 && cp <= 0x3029) ||   /* Hangzhou numerals */
	       (cp >= 0x3040 && cp <= 0x30ff) ||   /* Hiragana, Katakana */
	       (cp >= 0x3100 && cp <= 0x312f) ||   /* Bopomofo */
	       (cp >= 0x31a0 && cp <= 0x31ff) ||   /* Bopomofo, Katakana ext. */
	       (cp >= 0x3400 && cp <= 0x4dbf) ||   /* CJK extension A */
	       (cp >= 0x4e00 && cp <= 0x9fff) ||   /* CJK ideographs */
	       (cp >= 0xf900 && cp <= 0xfaff) ||   /* compatibility */
	       (cp >= 0xff66 && cp <= 0xff9f) ||   /* half-width Katakana */
	       (cp >= 0x1b000 && cp <= 0x1b16f) || /* Kana supplement */
	       (cp >= 0x20000 && cp <= 0x3134f);   /* extensions B to G */
}

/* Counts grapheme clusters; see unicode.h. */
size_t pe_unicode_graphemes(const char *s, size_t len, size_t *invalid)
{
	utf8proc_int32_t state = 0, prev = -1;
	size_t n = 0, bad = 0, step;

	for (size_t i = 0; i < len; i += step) {
		unsigned long cp;

		step = pe_utf8_decode(s + i, len - i, &cp);
		if (!step) {
			/* An invalid byte is a character of its own. */
			step = 1;
			bad++;
			n++;
			prev = -1;
			state = 0;
			continue;
		}
		if (prev < 0 || utf8proc_grapheme_break_stateful(
					prev, (utf8proc_int32_t)cp, &state))
			n++;
		prev = (utf8proc_int32_t)cp;
	}
	if (invalid)
		*invalid = bad;
	return n;
}

/* Counts the bytes that are not well-formed UTF-8; see unicode.h. */
size_t pe_unicode_invalid_bytes(const char *s, size_t len)
{
	size_t bad = 0, i = 0;

	while (i < len) {
		size_t n = ascii_prefix(s + i, len - i);
		unsigned long cp;

		i += n;
		if (i == len)
			break;
		n = pe_utf8_decode(s + i, len - i, &cp);
		bad += !n;
		i += n ? n : 1;
	}
	return bad;
}

/* The columns cp takes on a terminal; see unicode.h. */
int pe_unicode_width(unsigned long cp)
{
	if (cp > 0x10ffff)
		return 0;
	return utf8proc_charwidth((utf8proc_int32_t)cp);
}

/* The utf8proc version string; see unicode.h. */
const char *pe_unicode_version(void)
{
	return utf8proc_version();
}
