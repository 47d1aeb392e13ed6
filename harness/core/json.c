/*
 * A strict scan reads the text first: RFC 8259 to the letter, which
 * cJSON is not (it takes "01", "1.", "-", every byte up to 32 as white
 * space, raw control characters in strings and "\uqqqq"), within this
 * reader's limits.  It places every error at its byte.  Only text it
 * passed goes to cJSON, whose tree is copied into document nodes and
 * freed at once.  cJSON_GetErrorPtr is process-global and never used.
 * NEEDSWORK: cJSON still writes that global on every parse (it clears it
 * first, and sets it on a failure), so two threads that parse at once
 * both write it; nothing reads it, but it is a data race a thread
 * sanitizer would report.
 *
 * cJSON keeps no positions and keeps strings NUL-terminated.  So when a
 * string holds a "\u0000" escape (which would cut it, and a check such as
 * notContains would then pass on what it never saw), when the text comes
 * from a YAML scalar (a jsonSchema block, whose every key is then given
 * its own line and column), or to place a key an object gives twice (a
 * second conversion, on that error only), the text itself is walked
 * beside the tree: the scan has proven it valid, and values come in
 * document order, keys before their values, as the tree is walked.
 */
#include "harness/core/json.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/message.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/*
 * A number whose spelling its double would not give back (1.50, 1e2,
 * 9007199254740993), found by the strict scan: its node keeps the
 * spelling.
 */
struct spelled {
	size_t ordinal; /* among the text's number literals, from 0 */
	int inexact;	/* 0, or how its double misses it (number_inexact) */
	size_t start;	/* its spelling in the text */
	size_t len;
};

/* A walk through valid JSON text beside cJSON's tree. */
struct walk {
	const char *text;
	size_t len;
	size_t pos;
	int decode; /* the text holds a \u0000: decode strings from it */
	int mark;   /* give every node its own mark, through the cursor */
	int full;   /* step over every token, not only strings */
	struct pe_scalar_cursor cursor;
	const struct pe_node *repeated; /* a key an object gives twice */
	size_t repeated_at;		/* its offset, when the walk is full */
	const struct spelled *spelled;	/* struct strict's */
	size_t nspelled, next_spelled, numbers;
};
static unsigned long hex4(const char *s)
{
	unsigned long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v = v * 16 + (unsigned long)(c >= 'a'	? c - 'a' + 10
					     : c >= 'A' ? c - 'A' + 10
							: c - '0');
	}
	return v;
}

/* Decodes the escape after the backslash at text[i]; returns its length. */
static size_t decode_escape(const char *t, size_t i, size_t len,
			    struct pe_buf *b)
{
	static const char plain[] = "\"\\/bfnrt";
	static const char meant[] = "\"\\/\b\f\n\r\t";
	unsigned long cp, lo;
	char utf8[4];
	const char *p;

	if (i + 1 < len && t[i + 1] != 'u' && (p = strchr(plain, t[i + 1]))) {
		pe_buf_addc(b, meant[p - plain]);
		return 2;
	}
	if (i + 6 > len)
		return len - i;
	cp = hex4(t + i + 2);
	if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= len && t[i + 6] == '\\' &&
	    t[i + 7] == 'u' && (lo = hex4(t + i + 8)) >= 0xdc00 &&
	    lo <= 0xdfff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		pe_buf_add(b, utf8, pe_utf8_encode(cp, utf8));
		return 12;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd; /* a lone surrogate has no UTF-8 form */
	pe_buf_add(b, utf8, pe_utf8_encode(cp, utf8));
	return 6;
}

/* The string literal at the walk's position, decoded into doc; NUL bytes
 * kept. */
static char *next_string(struct walk *w, struct pe_doc *doc, size_t *len)
{
	const char *t = w->text;
	size_t i = w->pos;
	struct pe_buf b;
	char *out;

	while (i < w->len && t[i] != '"')
		i++;
	pe_buf_init(&b, 0);
	for (i++; i < w->len && t[i] != '"';) {
		size_t start = i;

		if (t[i] == '\\') {
			i += decode_escape(t, i, w->len, &b);
			continue;
		}
		while (i < w->len && t[i] != '"' && t[i] != '\\')
			i++;
		pe_buf_add(&b, t + start, i - start);
	}
	w->pos = i + 1;
	out = pe_doc_strndup(doc, b.data ? b.data : "", b.len);
	*len = b.len;
	pe_buf_release(&b);
	return out;
}

/* Steps over white space (the scan let through only space, tab, CR, LF). */
static void skip_space(struct walk *w)
{
	while (w->pos < w->len && pe_json_is_space(w->text[w->pos]))
		w->pos++;
}

/* Steps over one expected character (a bracket, a colon or a comma). */
static void skip_char(struct walk *w, char c)
{
	skip_space(w);
	if (w->pos < w->len && w->text[w->pos] == c)
		w->pos++;
}

/* Steps over the string literal, number or literal at the position. */
static void skip_token(struct walk *w)
{
	const char *t = w->text;

	if (w->pos < w->len && t[w->pos] == '"') {
		for (w->pos++; w->pos < w->len && t[w->pos] != '"'; w->pos++)
			if (t[w->pos] == '\\')
				w->pos++;
		w->pos++;
		return;
	}
	while (w->pos < w->len && (unsigned char)t[w->pos] > 32 &&
	       !strchr(",:]}", t[w->pos]))
		w->pos++;
}

/*
 * Moves the walk to the next value (or key) and gives n its mark when
 * marks are asked for.  A walk that is not needed does nothing.
 */
static void walk_to(struct walk *w, struct pe_node *n)
{
	if (!w->decode && !w->full)
		return;
	skip_space(w);
	if (w->mark)
		n->mark = pe_scalar_cursor_mark(&w->cursor, w->pos);
}

/* Sets a string node's text: cJSON's, or decoded again from the text. */
static void set_text(struct pe_node *n, struct pe_doc *doc, const char *s,
		     struct walk *w)
{
	if (w->decode) {
		n->text = next_string(w, doc, &n->len);
		return;
	}
	if (w->full)
		skip_token(w);
	n->len = strlen(s);
	n->text = pe_doc_strndup(doc, s, n->len);
}

/* Steps over punctuation when the walk steps over every token. */
static void walk_over(struct walk *w, char c)
{
	if (w->full)
		skip_char(w, c);
}

/*
 * Sets the number n to v.  Its text is spelling (len bytes) when the
 * strict scan kept it (struct spelled), else the integer, or the double
 * to 17 significant digits, which is how it was written then.
 */
static void set_number(struct pe_node *n, struct pe_doc *doc, double v,
		       const char *spelling, size_t len)
{
	char tmp[64];

	n->fval = v;
	if (v == floor(v) && fabs(v) < 9e15) {
		n->kind = PE_NODE_INT;
		n->ival = (long long)v;
		if (!spelling)
			len = (size_t)snprintf(tmp, sizeof(tmp), "%lld",
					       n->ival);
	} else {
		n->kind = PE_NODE_FLOAT;
		if (!spelling)
			len = (size_t)snprintf(tmp, sizeof(tmp), "%.17g", v);
	}
	n->text = pe_doc_strndup(doc, spelling ? spelling : tmp, len);
	n->len = len;
}

static struct pe_node *convert(struct pe_doc *doc, const cJSON *item,
			       const struct pe_mark *mark, struct walk *w);

/* Allocates room in doc for count items or pairs of n. */
static void *alloc_children(struct pe_doc *doc, size_t count, size_t size)
{
	return pe_doc_alloc(doc, (count ? count : 1) * size);
}

/* Converts an array, whose node n is made. */
static struct pe_node *convert_items(struct pe_doc *doc, const cJSON *item,
				     struct pe_node *n,
				     const struct pe_mark *mark, struct walk *w)
{
	size_t count = 0;
	const cJSON *child;

	cJSON_ArrayForEach (child, item)
		count++;
	n->items = alloc_children(doc, count, sizeof(*n->items));
	walk_over(w, '[');
	cJSON_ArrayForEach (child, item) {
		n->items[n->count] = convert(doc, child, mark, w);
		if (!n->items[n->count++])
			return NULL;
		walk_over(w, ',');
	}
	walk_over(w, ']');
	return n;
}

/*
 * True when key i of the object n, of count keys, repeats an earlier
 * one: compared with each earlier key in a small object, looked up in ix
 * (which then keeps it) in a larger one, so that an object's time grows
 * with its keys, not their square.
 */
static int repeats_key(struct pe_index *ix, const struct pe_node *n, size_t i,
		       size_t count)
{
	const struct pe_node *key = n->pairs[i].key;

	if (count > PE_NODE_INDEX_MIN_PAIRS)
		return pe_index_add(ix, n->pairs, i) >= 0;
	for (size_t k = 0; k < i; k++) {
		const struct pe_node *earlier = n->pairs[k].key;

		if (earlier->len == key->len &&
		    !memcmp(earlier->text, key->text, key->len))
			return 1;
	}
	return 0;
}

/*
 * Converts an object, whose node n is made, and gives it the index of
 * its keys that lookups use when it has many.  A key given twice makes
 * it NULL, with that key and (when the walk is full) its offset in w:
 * RFC 8259 leaves open which value such a key has (cJSON keeps the
 * first, Python the last), so the object has no one meaning.
 */
static struct pe_node *convert_pairs(struct pe_doc *doc, const cJSON *item,
				     struct pe_node *n,
				     const struct pe_mark *mark, struct walk *w)
{
	size_t count = 0;
	const cJSON *child;
	struct pe_index ix;
	int whole = 1;

	cJSON_ArrayForEach (child, item)
		count++;
	n->pairs = alloc_children(doc, count, sizeof(*n->pairs));
	pe_index_init(&ix, pe_pair_key);
	walk_over(w, '{');
	cJSON_ArrayForEach (child, item) {
		struct pe_pair *pair = &n->pairs[n->npairs];
		size_t at;

		/* The key comes first in the text. */
		pair->key = pe_doc_node(doc, PE_NODE_STRING, mark);
		walk_to(w, pair->key);
		at = w->pos;
		set_text(pair->key, doc, child->string, w);
		if (repeats_key(&ix, n, n->npairs, count)) {
			w->repeated = pair->key;
			w->repeated_at = at;
			whole = 0;
			break;
		}
		walk_over(w, ':');
		pair->value = convert(doc, child, mark, w);
		n->npairs++;
		if (!pair->value) {
			whole = 0;
			break;
		}
		walk_over(w, ',');
	}
	walk_over(w, '}');
	if (whole && count > PE_NODE_INDEX_MIN_PAIRS)
		n->index = pe_index_copy_to(&ix, doc);
	pe_index_release(&ix);
	return whole ? n : NULL;
}

/*
 * Converts cJSON's item into nodes of doc; NULL when an object in it
 * gives a key twice (see convert_pairs).  The scan has bounded the
 * nesting, so the recursion goes no deeper than PE_JSON_MAX_DEPTH.
 */
static struct pe_node *convert(struct pe_doc *doc, const cJSON *item,
			       const struct pe_mark *mark, struct walk *w)
{
	struct pe_node *n = pe_doc_node(doc, PE_NODE_NULL, mark);

	walk_to(w, n);
	if (cJSON_IsObject(item)) {
		n->kind = PE_NODE_MAP;
		return convert_pairs(doc, item, n, mark, w);
	}
	if (cJSON_IsArray(item)) {
		n->kind = PE_NODE_SEQ;
		return convert_items(doc, item, n, mark, w);
	}
	if (cJSON_IsString(item)) {
		n->kind = PE_NODE_STRING;
		set_text(n, doc, item->valuestring, w);
		return n;
	}
	if (w->full)
		skip_token(w);
	if (cJSON_IsBool(item)) {
		n->kind = PE_NODE_BOOL;
		n->bval = cJSON_IsTrue(item);
		n->text = n->bval ? "true" : "false";
		n->len = strlen(n->text);
	} else if (cJSON_IsNumber(item)) {
		const struct spelled *x = NULL;

		if (w->next_spelled < w->nspelled &&
		    w->spelled[w->next_spelled].ordinal == w->numbers)
			x = &w->spelled[w->next_spelled++];
		set_number(n, doc, cJSON_GetNumberValue(item),
			   x ? w->text + x->start : NULL, x ? x->len : 0);
		n->inexact = x ? x->inexact : 0;
		w->numbers++;
	}
	return n;
}

/*
 * A scan of JSON text (or prose) for the only bytes that is_truncated
 * acts on: quotes and brackets, and backslashes inside strings.
 * Every other byte leaves their state as it is, and a model's answer is
 * mostly prose with few of these bytes, so rather than test each byte
 * the scan keeps where each of them next occurs (found by memchr, which
 * reads many bytes at a time) and jumps from one to the next: a 6 KB
 * answer that is not JSON took 16 instructions a byte here before.
 */
static const char scan_bytes[] = "\"\\{}[]";
enum { SCAN_BYTES = sizeof(scan_bytes) - 1 };

struct scan {
	const char *text;
	size_t len;
	size_t next[SCAN_BYTES]; /* where scan_bytes[k] next occurs, or len */
};

/* Where scan_bytes[k] first occurs at or after from, or len. */
static size_t scan_find(const struct scan *s, size_t k, size_t from)
{
	const char *hit = from < s->len ? memchr(s->text + from, scan_bytes[k],
						 s->len - from)
					: NULL;

	return hit ? (size_t)(hit - s->text) : s->len;
}

static void scan_init(struct scan *s, const char *text, size_t len)
{
	s->text = text;
	s->len = len;
	for (size_t k = 0; k < SCAN_BYTES; k++)
		s->next[k] = scan_find(s, k, 0);
}

/*
 * The offset of the first quote, bracket or (in_string) backslash at or
 * after from, or len when none is left.  A position found earlier that
 * lies before from was jumped over, and is looked for again from there;
 * one at or after from is still the first, as the search that found it
 * began before from.
 */
static size_t scan_next(struct scan *s, size_t from, int in_string)
{
	size_t best = s->len;

	for (size_t k = 0; k < SCAN_BYTES; k++) {
		/* A backslash matters only inside a string, brackets outside. */
		if (in_string ? k > 1 : k == 1)
			continue;
		if (s->next[k] < from)
			s->next[k] = scan_find(s, k, from);
		if (s->next[k] < best)
			best = s->next[k];
	}
	return best;
}

/*
 * True when text ends inside a string or an open object or array, so that
 * a parse error means "the input stopped early" rather than "this
 * character is wrong".  (More closing brackets than opening ones count
 * against later opening ones.)
 */
static int is_truncated(const char *text, size_t len)
{
	struct scan s;
	int in_string = 0, depth = 0;

	scan_init(&s, text, len);
	for (size_t i = scan_next(&s, 0, 0); i < len;
	     i = scan_next(&s, i + 1, in_string)) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return in_string || depth > 0;
}

/* What the strict scan found: a "\u0000", or where the text goes wrong. */
struct strict {
	int nul_escape; /* a string holds the escape \u0000 */
	size_t numbers; /* number literals seen */
	/* The numbers whose spelling is kept, in order: those with a
	 * fraction or an exponent, of 16 digits or more, and -0. */
	struct spelled *spelled;
	size_t nspelled, spelled_alloc;
	size_t offset; /* the byte where the text goes wrong */
	int rc;	       /* PE_ERR_INVALID, or PE_ERR_LIMIT past a limit */
	int after;     /* found after the value had ended */
	char message[80];
};

static int fault_at(struct strict *st, size_t offset, int rc, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

/* Records a fault; returns -1. */
static int fault_at(struct strict *st, size_t offset, int rc, const char *fmt,
		    ...)
{
	va_list ap;

	st->offset = offset;
	st->rc = rc;
	st->after = 0;
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
	return -1;
}

static int end_of_input(struct strict *st, size_t len)
{
	return fault_at(st, len, PE_ERR_INVALID,
			"invalid JSON: unexpected end of input");
}

static int unexpected(struct strict *st, size_t offset, size_t len)
{
	if (offset >= len)
		return end_of_input(st, len);
	return fault_at(st, offset, PE_ERR_INVALID,
			"invalid JSON: unexpected character");
}

static size_t skip_json_space(const char *t, size_t i, size_t len)
{
	while (i < len && pe_json_is_space(t[i]))
		i++;
	return i;
}

static int is_digit(const char *t, size_t i, size_t len)
{
	return i < len && t[i] >= '0' && t[i] <= '9';
}

/* The code unit of the "\uXXXX" at t[i], or -1 when there is none. */
static long escape_code(const char *t, size_t i, size_t len)
{
	if (i > len || len - i < 6 || t[i] != '\\' || t[i + 1] != 'u')
		return -1;
	for (size_t k = i + 2; k < i + 6; k++)
		if (!isxdigit((unsigned char)t[k]))
			return -1;
	return (long)hex4(t + i + 2);
}

/*
 * Steps over the escape at the backslash t[*i].  A surrogate must come
 * in a pair (high, then low), as cJSON wants it.
 */
static int scan_escape(const char *t, size_t len, size_t *i, struct strict *st)
{
	long code, low;

	if (*i + 1 < len && t[*i + 1] && strchr("\"\\/bfnrt", t[*i + 1])) {
		*i += 2;
		return 0;
	}
	code = escape_code(t, *i, len);
	if (code < 0)
		return fault_at(st, *i, PE_ERR_INVALID,
				"invalid JSON: invalid escape in a string");
	if (code >= 0xd800 && code <= 0xdbff) {
		low = escape_code(t, *i + 6, len);
		if (low >= 0xdc00 && low <= 0xdfff) {
			*i += 12;
			return 0;
		}
	}
	if (code >= 0xd800 && code <= 0xdfff)
		return fault_at(st, *i, PE_ERR_INVALID,
				"invalid JSON: unpaired surrogate in a "
				"\\u escape");
	st->nul_escape |= code == 0;
	*i += 6;
	return 0;
}

/*
 * The bytes that end a run in a string, at one table look-up a byte:
 * the control characters, the quote and the backslash.
 */
/* clang-format off */
static const unsigned char string_stops[256] = {
	/* 0x00 to 0x1f: the control characters. */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x20 to 0x4f: the quote is 0x22. */
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x50 to 0x5f: the backslash is 0x5c; the rest are 0. */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
};
/* clang-format on */

/*
 * Where the run of bytes a string holds as they are (all but a quote, a
 * backslash and a control character) ends, from k on.  Eight bytes at a
 * time while a word w has none of the three: it holds a byte below 0x20
 * exactly when (w - 0x2020...) & ~w has a high bit set, and a quote (a
 * backslash) when the same test for a byte below 1 does on w ^ 0x2222...
 * (w ^ 0x5c5c...).
 */
static size_t plain_run_end(const char *t, size_t k, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;

	for (uint64_t w, q, b; k + 8 <= len; k += 8) {
		memcpy(&w, t + k, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
		     ((b - ones) & ~b)) &
		    highs)
			break;
	}
	while (k < len && !string_stops[(unsigned char)t[k]])
		k++;
	return k;
}

/* Steps over the string at the quote t[*i]. */
static int scan_string(const char *t, size_t len, size_t *i, struct strict *st)
{
	size_t k = *i + 1;

	for (;;) {
		unsigned char c;

		k = plain_run_end(t, k, len);
		if (k >= len)
			return end_of_input(st, len);
		c = (unsigned char)t[k];
		if (c == '"')
			break;
		if (c == '\\') {
			if (scan_escape(t, len, &k, st))
				return -1;
			continue;
		}
		return fault_at(st, k, PE_ERR_INVALID,
				"invalid JSON: unescaped control character "
				"U+%04X in a string",
				c);
	}
	*i = k + 1;
	return 0;
}

/* The double the number of len bytes at s (valid JSON) reads as. */
static double number_value(const char *s, size_t len)
{
	char small[64];
	char *copy = len < sizeof(small) ? small : xmalloc(len + 1);
	double v;

	memcpy(copy, s, len);
	copy[len] = '\0';
	v = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return v;
}

/*
 * True when the number of len bytes at s is within a double's range:
 * neither past the largest (1e400) nor a value other than zero that
 * reads as zero (1e-400), both of which would decide a check wrongly.
 */
static int number_in_range(const char *s, size_t len)
{
	double v = number_value(s, len);

	if (!isfinite(v))
		return 0;
	if (v == 0)
		for (size_t k = 0; k < len && s[k] != 'e' && s[k] != 'E'; k++)
			if (s[k] >= '1' && s[k] <= '9')
				return 0;
	return 1;
}

/*
 * How the double holds the number of len bytes at s (valid JSON, within
 * range): 0 exactly enough, PE_NUMBER_ROUNDED for an integer it rounds
 * (past 2^53: 9007199254740993), PE_NUMBER_NOT_INTEGER for a fraction
 * it reads as an integer (1.0000000000000000001), or for a fraction of
 * more than 15 significant digits.  Up to 15 significant digits the
 * double gives the digits written back (DBL_DIG), so most numbers are
 * decided without reading them.
 */
static int number_inexact(const char *s, size_t len)
{
	size_t k = s[0] == '-', first = SIZE_MAX, ndigits = 0, frac = 0;
	size_t trailing = 0; /* zeros at the end of the digits */
	long exp = 0;
	int seen_point = 0;
	double v;

	for (; k < len && s[k] != 'e' && s[k] != 'E'; k++) {
		if (s[k] == '.') {
			seen_point = 1;
			continue;
		}
		frac += seen_point; /* digits after the point, all */
		if (first == SIZE_MAX && s[k] == '0')
			continue; /* a leading zero */
		if (first == SIZE_MAX)
			first = k;
		ndigits++;
		trailing = s[k] == '0' ? trailing + 1 : 0;
	}
	if (first == SIZE_MAX)
		return 0; /* zero */
	if (k < len) {
		int neg = s[k + 1] == '-';

		for (k += 1 + (s[k + 1] == '-' || s[k + 1] == '+'); k < len;
		     k++)
			exp = exp < 100000 ? exp * 10 + (s[k] - '0') : exp;
		exp = neg ? -exp : exp;
	}
	/* The value is the digits from the first nonzero one x 10^(exp -
	 * frac); an integer when their trailing zeros cover a negative
	 * power. */
	exp -= (long)frac;
	if (exp < 0 && (long)trailing < -exp) {
		/* A fraction: 15 digits keep it one. */
		if (ndigits - trailing <= 15)
			return 0;
		v = number_value(s, len);
		return v == floor(v) ? PE_NUMBER_NOT_INTEGER
				     : PE_NUMBER_ROUNDED;
	}
	if (ndigits - trailing <= 15)
		return 0; /* the double gives these digits back (1e308) */
	v = number_value(s, len);
	if (fabs(v) < 9007199254740992.0)
		return 0; /* below 2^53 every integer is held */
	{
		/* Compare the double's integer with the written one. */
		char held[400];
		struct pe_buf written;
		int same, n = snprintf(held, sizeof(held), "%.0f", fabs(v));
		size_t keep = ndigits - (exp < 0 ? (size_t)-exp : 0);

		pe_buf_init(&written, 0);
		for (size_t j = first; keep && j < len; j++) {
			if (s[j] == '.')
				continue;
			pe_buf_addc(&written, s[j]);
			keep--;
		}
		for (long z = 0; z < exp; z++)
			pe_buf_addc(&written, '0');
		same = n > 0 && (size_t)n == written.len &&
		       !memcmp(held, written.data, written.len);
		pe_buf_release(&written);
		return same ? 0 : PE_NUMBER_ROUNDED;
	}
}

/*
 * Notes a number whose spelling its double would not give back; see
 * struct strict.  An integer of up to 15 digits (not "-0") is printed as
 * written; any other may not be.
 */
static void note_number(const char *t, size_t start, size_t end,
			struct strict *st)
{
	size_t digits = end - start - (t[start] == '-');
	int plain = digits <= 15 &&
		    (digits > 1 || t[end - 1] != '0' || t[start] == '0');

	for (size_t k = start; plain && k < end; k++)
		plain = t[k] != '.' && t[k] != 'e' && t[k] != 'E';
	if (!plain) {
		pe_grow(&st->spelled, &st->spelled_alloc, st->nspelled + 1,
			sizeof(*st->spelled));
		st->spelled[st->nspelled].ordinal = st->numbers;
		st->spelled[st->nspelled].inexact =
			number_inexact(t + start, end - start);
		st->spelled[st->nspelled].start = start;
		st->spelled[st->nspelled].len = end - start;
		st->nspelled++;
	}
	st->numbers++;
}

/* Steps over digits; fails unless there is one. */
static int scan_digits(const char *t, size_t len, size_t *i, struct strict *st)
{
	if (!is_digit(t, *i, len))
		return fault_at(st, *i, PE_ERR_INVALID,
				"invalid JSON: digit expected in a number");
	while (is_digit(t, *i, len))
		++*i;
	return 0;
}

/* Steps over the number at t[*i]: a minus sign or a digit. */
static int scan_number(const char *t, size_t len, size_t *i, struct strict *st)
{
	size_t start = *i, k = *i + (t[*i] == '-');
	int exponent = 0;

	if (k + 1 < len && t[k] == '0' && is_digit(t, k + 1, len))
		return fault_at(st, k, PE_ERR_INVALID,
				"invalid JSON: leading zero in a number");
	if (scan_digits(t, len, &k, st))
		return -1;
	if (k < len && t[k] == '.') {
		k++;
		if (scan_digits(t, len, &k, st))
			return -1;
	}
	if (k < len && (t[k] == 'e' || t[k] == 'E')) {
		exponent = 1;
		k++;
		if (k < len && (t[k] == '+' || t[k] == '-'))
			k++;
		if (scan_digits(t, len, &k, st))
			return -1;
	}
	/* Without an exponent, 300 bytes of digits stay below 1e300. */
	if ((exponent || k - start > 300) &&
	    !number_in_range(t + start, k - start))
		return fault_at(st, start, PE_ERR_LIMIT,
				"JSON number out of range");
	note_number(t, start, k, st);
	*i = k;
	return 0;
}

/* Steps over true, false or null at t[*i]. */
static int scan_literal(const char *t, size_t len, size_t *i, struct strict *st)
{
	static const char *const words[] = { "true", "false", "null" };

	for (size_t k = 0; k < sizeof(words) / sizeof(*words); k++) {
		size_t n = strlen(words[k]);

		if (len - *i >= n && !memcmp(t + *i, words[k], n)) {
			*i += n;
			return 0;
		}
	}
	return unexpected(st, *i, len);
}

/*
 * Where the scan is: before a value, a key, or what follows a value; or
 * just inside a bracket, where the closing one may come at once.
 */
enum scan_state { WANT_VALUE, WANT_KEY, FIRST_VALUE, FIRST_KEY, AFTER_VALUE };

/* The open brackets; a value may start inside PE_JSON_MAX_DEPTH of them. */
struct nest {
	char open[PE_JSON_MAX_DEPTH + 1];
	size_t depth;
};

static char closing(const struct nest *n)
{
	return n->open[n->depth - 1] == '{' ? '}' : ']';
}

/* Steps over a value, or into the object or array it opens. */
static int scan_value(const char *t, size_t len, size_t *i, struct nest *n,
		      struct strict *st)
{
	char c;
	int rc;

	if (*i >= len)
		return end_of_input(st, len);
	if (n->depth > PE_JSON_MAX_DEPTH)
		return fault_at(st, *i, PE_ERR_LIMIT,
				"JSON nested deeper than %d levels",
				PE_JSON_MAX_DEPTH);
	c = t[*i];
	if (c == '{' || c == '[') {
		n->open[n->depth++] = c;
		++*i;
		return c == '{' ? FIRST_KEY : FIRST_VALUE;
	}
	if (c == '"')
		rc = scan_string(t, len, i, st);
	else if (c == '-' || is_digit(t, *i, len))
		rc = scan_number(t, len, i, st);
	else
		rc = scan_literal(t, len, i, st);
	return rc ? rc : AFTER_VALUE;
}

/* Steps over a key and its colon. */
static int scan_key(const char *t, size_t len, size_t *i, struct strict *st)
{
	if (*i >= len || t[*i] != '"')
		return unexpected(st, *i, len);
	if (scan_string(t, len, i, st))
		return -1;
	*i = skip_json_space(t, *i, len);
	if (*i >= len || t[*i] != ':')
		return unexpected(st, *i, len);
	++*i;
	return WANT_VALUE;
}

/* Steps over the comma or the closing bracket after a value. */
static int scan_after(const char *t, size_t len, size_t *i, struct nest *n,
		      struct strict *st)
{
	if (*i < len && t[*i] == ',') {
		++*i;
		return n->open[n->depth - 1] == '{' ? WANT_KEY : WANT_VALUE;
	}
	if (*i < len && t[*i] == closing(n)) {
		++*i;
		n->depth--;
		return AFTER_VALUE;
	}
	return unexpected(st, *i, len);
}

/* The length of the UTF-8 byte order mark that starts text, or 0. */
static size_t bom_len(const char *text, size_t len)
{
	return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/*
 * Checks that the len bytes of text are one JSON value, as RFC 8259
 * writes it, with white space around it (and a UTF-8 byte order mark
 * before, which cJSON skips), within this reader's limits.  Returns 0,
 * or the rc of what is wrong after filling st.  One pass, without
 * recursion.
 */
static int scan_json(const char *t, size_t len, struct strict *st)
{
	struct nest n;
	size_t i = bom_len(t, len);
	int state = WANT_VALUE;

	n.depth = 0;
	st->nul_escape = 0;
	st->numbers = st->nspelled = st->spelled_alloc = 0;
	st->spelled = NULL;
	for (;;) {
		i = skip_json_space(t, i, len);
		if ((state == FIRST_KEY || state == FIRST_VALUE) && i < len &&
		    t[i] == closing(&n)) {
			i++;
			n.depth--;
			state = AFTER_VALUE;
			continue;
		}
		if (state == WANT_VALUE || state == FIRST_VALUE)
			state = scan_value(t, len, &i, &n, st);
		else if (state == WANT_KEY || state == FIRST_KEY)
			state = scan_key(t, len, &i, st);
		else if (n.depth)
			state = scan_after(t, len, &i, &n, st);
		else if (i < len)
			break;
		else
			return 0;
		if (state < 0)
			return st->rc;
	}
	fault_at(st, i, PE_ERR_INVALID,
		 "invalid JSON: unexpected text after the value");
	st->after = 1;
	return st->rc;
}

/* Where an error at byte offset lies: from the base mark, or mapped
 * through the YAML scalar the text came from. */
struct locator {
	struct pe_mark base;
	const struct pe_doc *src;
	const struct pe_node *scalar;
};

static struct pe_mark locate(const struct locator *loc, const char *text,
			     size_t offset)
{
	struct pe_mark m = loc->base;
	const char *nl;
	size_t i = 0;

	if (loc->scalar)
		return pe_doc_scalar_mark(loc->src, loc->scalar, offset);
	/* The lines by memchr, then the characters of the last one. */
	while (i < offset && (nl = memchr(text + i, '\n', offset - i))) {
		m.line++;
		m.col = 1;
		i = (size_t)(nl - text) + 1;
	}
	for (; i < offset; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			m.col++;
	return m;
}

/* Records what st found wrong in text in diag; returns its rc. */
static int report(const struct strict *st, const char *text, size_t len,
		  const struct locator *loc, struct pe_diag *diag)
{
	struct pe_mark m;

	/*
	 * Text cut off inside a string or an open bracket ended too early,
	 * whatever came before: a model's answer that stopped at its
	 * token limit, or prose that is not JSON at all.
	 */
	if (!st->after && is_truncated(text, len)) {
		m = locate(loc, text, len);
		pe_diag_error(diag, &m,
			      "invalid JSON: unexpected end of input");
		return PE_ERR_INVALID;
	}
	m = locate(loc, text, st->offset);
	pe_diag_error(diag, &m, "%s", st->message);
	return st->rc;
}

/*
 * Starts w at the top of text, with what the scan st found (a string
 * holds "\u0000": decode strings; numbers a double does not hold);
 * full: step over every token.
 */
static void start_walk(struct walk *w, const char *text, size_t len,
		       const struct locator *loc, const struct strict *st,
		       int full)
{
	memset(w, 0, sizeof(*w));
	w->text = text;
	w->len = len;
	w->pos = bom_len(text, len);
	w->decode = st->nul_escape;
	w->spelled = st->spelled;
	w->nspelled = st->nspelled;
	w->mark = loc->scalar != NULL;
	w->full = full;
	if (w->mark)
		pe_scalar_cursor_init(&w->cursor, loc->src, loc->scalar);
}

/*
 * Records the key an object gave twice, which a full walk found; a NUL
 * in it is shown as \u0000, which a message could not hold.
 */
static void report_repeated(const struct walk *w, const struct locator *loc,
			    struct pe_diag *diag)
{
	const struct pe_node *key = w->repeated;
	struct pe_mark m = locate(loc, w->text, w->repeated_at);
	struct pe_buf shown;
	char *cut;

	pe_buf_init(&shown, 0);
	pe_buf_add_shown(&shown, key->text, key->len);
	cut = pe_shorten(pe_buf_str(&shown), shown.len, 60);
	pe_diag_error(diag, &m, "duplicate key '%s'", cut);
	free(cut);
	pe_buf_release(&shown);
}

static int parse(struct pe_doc *doc, const char *text, size_t len,
		 const struct locator *loc, struct pe_diag *diag,
		 struct pe_node **out)
{
	struct strict st;
	cJSON *root;
	struct walk w;
	struct pe_doc_point point = pe_doc_point(doc);

	*out = NULL;
	if (scan_json(text, len, &st)) {
		free(st.spelled);
		return report(&st, text, len, loc, diag);
	}
	root = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
	if (!root) {
		free(st.spelled);
		/*
		 * The scan passed it, so memory ran out, or this cJSON reads
		 * a number through 64 bytes (1.7.15 without the fix for
		 * CVE-2023-26819, which Debian's 1.7.15-1+deb12u3 has) and
		 * failed on a longer one.
		 */
		pe_diag_error(diag, &loc->base,
			      "cJSON could not read this JSON");
		return PE_ERR_LIMIT;
	}
	start_walk(&w, text, len, loc, &st, loc->scalar != NULL);
	*out = convert(doc, root, &loc->base, &w);
	if (!*out && !w.full) {
		/* Again, through the text, to find where the key is. */
		pe_doc_release(doc, point);
		start_walk(&w, text, len, loc, &st, 1);
		*out = convert(doc, root, &loc->base, &w);
	}
	free(st.spelled);
	cJSON_Delete(root);
	if (*out)
		return PE_OK;
	report_repeated(&w, loc, diag);
	pe_doc_release(doc, point);
	return PE_ERR_LIMIT;
}

/* Parses JSON text into document nodes, saying why it could not; see
 * json.h. */
int pe_json_read(struct pe_doc *doc, const char *text, size_t len,
		 const struct pe_mark *base, struct pe_diag *diag,
		 struct pe_node **out)
{
	struct locator loc = { *base, NULL, NULL };

	return parse(doc, text, len, &loc, diag, out);
}

/* Parses JSON text into document nodes; see json.h. */
struct pe_node *pe_json_parse(struct pe_doc *doc, const char *text, size_t len,
			      const struct pe_mark *base, struct pe_diag *diag)
{
	struct pe_node *n;

	pe_json_read(doc, text, len, base, diag, &n);
	return n;
}

/* Parses the JSON held in a YAML scalar; see json.h. */
struct pe_node *pe_json_parse_scalar(struct pe_doc *doc,
				     const struct pe_doc *src,
				     const struct pe_node *scalar,
				     struct pe_diag *diag)
{
	struct locator loc = { scalar->mark, src, scalar };
	struct pe_node *n;

	parse(doc, scalar->text, scalar->len, &loc, diag, &n);
	return n;
}

/*
 * Parses the JSON file that is doc's source; see json.h.  The whole
 * source is read as one plain scalar would be, so that the cursor marks
 * every node at its line and column.
 */
struct pe_node *pe_json_parse_source(struct pe_doc *doc, struct pe_diag *diag)
{
	struct pe_node whole;
	struct locator loc;
	struct pe_node *n;

	memset(&whole, 0, sizeof(whole));
	whole.kind = PE_NODE_STRING;
	whole.text = doc->source;
	whole.len = doc->source_len;
	whole.src_end = doc->source_len;
	whole.mark = (struct pe_mark){ doc->path, 1, 1 };
	loc = (struct locator){ whole.mark, doc, &whole };
	parse(doc, doc->source, doc->source_len, &loc, diag, &n);
	return n;
}

/*
 * Appends s as a JSON string literal, escaping as RFC 8259 requires.  JSON
 * text is UTF-8, so a byte that does not start a valid sequence (model
 * output can hold anything) is written as U+FFFD.  The other characters
 * a terminal acts on (pe_terminal_is_control: DEL, C1 controls,
 * bidirectional controls, U+2028 and U+2029) are written as \uNNNN too,
 * which changes no value, so that JSON printed or shown with cat cannot
 * drive the terminal.
 */
int pe_json_quote(struct pe_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	int rc = pe_buf_addc(out, '"');

	for (size_t i = 0; i < len && !rc;) {
		unsigned char c = p[i];
		size_t n;
		unsigned long cp;

		switch (c) {
		case '"':
			rc = pe_buf_adds(out, "\\\"");
			break;
		case '\\':
			rc = pe_buf_adds(out, "\\\\");
			break;
		case '\n':
			rc = pe_buf_adds(out, "\\n");
			break;
		case '\r':
			rc = pe_buf_adds(out, "\\r");
			break;
		case '\t':
			rc = pe_buf_adds(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char esc[7] = { '\\', 'u',	   '0',
						'0',  hex[c >> 4], hex[c & 15],
						0 };

				rc = pe_buf_adds(out, esc);
			} else if (c < 0x80) {
				rc = pe_buf_addc(out, (char)c);
			} else if ((n = pe_utf8_decode((const char *)p + i,
						       len - i, &cp)) != 0) {
				rc = pe_terminal_is_control(cp)
					     ? pe_buf_addf(out, "\\u%04lx", cp)
					     : pe_buf_add(out, p + i, n);
				i += n;
				continue;
			} else {
				rc = pe_buf_adds(out, "\xef\xbf\xbd");
			}
		}
		i++;
	}
	return rc ? rc : pe_buf_addc(out, '"');
}

/* Appends a C string as a JSON literal, or null. */
int pe_json_str(struct pe_buf *out, const char *s)
{
	return s ? pe_json_quote(out, s, strlen(s)) : pe_buf_adds(out, "null");
}

/* Appends a number with the shortest round-trip precision. */
int pe_json_num(struct pe_buf *out, double v)
{
	char tmp[64];

	if (!isfinite(v))
		return pe_buf_adds(out, "null");
	if (v == floor(v) && fabs(v) < 1e15)
		return pe_buf_addf(out, "%.0f", v);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return pe_buf_adds(out, tmp);
}

/* Appends an integer in decimal, exactly. */
int pe_json_int(struct pe_buf *out, long long v)
{
	return pe_buf_addf(out, "%lld", v);
}

/* Appends a member holding a count, or null when it is unknown. */
int pe_json_count_member(struct pe_buf *out, const char *key, long v)
{
	pe_buf_adds(out, ",");
	pe_json_str(out, key);
	pe_buf_adds(out, ":");
	return v < 0 ? pe_buf_adds(out, "null") : pe_buf_addf(out, "%ld", v);
}

/* Returns cJSON's version string. */
const char *pe_json_version(void)
{
	return cJSON_Version();
}

static int to_json(const struct pe_node *n, struct pe_buf *out, int depth)
{
	int rc = 0;

	if (depth > 256)
		return PE_ERR_LIMIT;
	switch (n->kind) {
	case PE_NODE_NULL:
		return pe_buf_adds(out, "null");
	case PE_NODE_BOOL:
		return pe_buf_adds(out, n->bval ? "true" : "false");
	case PE_NODE_INT:
		return pe_buf_addf(out, "%lld", n->ival);
	case PE_NODE_FLOAT:
		return pe_json_num(out, n->fval);
	case PE_NODE_STRING:
		return pe_json_quote(out, n->text, n->len);
	case PE_NODE_SEQ:
		rc = pe_buf_addc(out, '[');
		for (size_t i = 0; i < n->count && !rc; i++) {
			if (i)
				rc = pe_buf_addc(out, ',');
			if (!rc)
				rc = to_json(n->items[i], out, depth + 1);
		}
		return rc ? rc : pe_buf_addc(out, ']');
	case PE_NODE_MAP:
		rc = pe_buf_addc(out, '{');
		for (size_t i = 0; i < n->npairs && !rc; i++) {
			const struct pe_pair *p = &n->pairs[i];

			if (i)
				rc = pe_buf_addc(out, ',');
			if (!rc)
				rc = pe_json_quote(out, p->key->text,
						   p->key->len);
			if (!rc)
				rc = pe_buf_addc(out, ':');
			if (!rc)
				rc = to_json(p->value, out, depth + 1);
		}
		return rc ? rc : pe_buf_addc(out, '}');
	}
	return rc;
}

/* Writes a document tree as compact JSON; see json.h. */
int pe_json_node(struct pe_buf *out, const struct pe_node *n)
{
	return to_json(n, out, 0);
}
