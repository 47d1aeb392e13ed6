/*
 * The literals of a pattern, and finding them; see literals.h.
 *
 * The reader walks the pattern's alternatives and, in each, its items in
 * order, adding up the most bytes each can match: four for a character
 * that is not a known ASCII one, three for a caseless k (U+212A), two for
 * a caseless s (U+017F).  A run of plain characters that every match of
 * a branch goes through is a candidate; so is a group each of whose
 * alternatives has one.  A branch keeps its best candidate: one at a
 * bounded distance from the match's start (BACK_MAX bytes at most),
 * which lets the matcher try only the starts near each occurrence, before
 * one behind an unbounded repeat, which can only say that no match lies
 * ahead; among those alike, the most selective, judged by the bits of
 * surprise of its bytes in English text.  The pattern's set is the union
 * of its branches' picks; a branch without one gives no set.
 *
 * A literal is found by its two rarest bytes a fixed distance apart
 * (either case when caseless), 32 places a round with SSE2 (two halves
 * of 16), and then checked around them.  pe_literals_find searches for
 * one string byte for byte the same way, by its first and last bytes.
 */
#define _GNU_SOURCE /* memmem */
#include "harness/core/literals.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "harness/core/buf.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Most bytes before a literal for the matcher to try each start. */
#define BACK_MAX 32
/* An unbounded distance. */
#define FAR SIZE_MAX
/* Least selectivity, in bits, of a set worth searching for: bounded
 * sets are tried at each occurrence, so a rare single byte will do; a
 * set behind a repeat saves only when absent, so it must be rarer. */
#define MIN_BOUNDED 6
#define MIN_FAR	    14
/* Ranks every bounded set that qualifies above every far one. */
#define BOUNDED_RANK 1000
/* Each literal is searched for on its own: past this many, PCRE2's one
 * pass is as quick. */
#define MAX_LITERALS 16
/* The longest needle pe_literals_find compares in full at each pair. */
#define MAX_PAIR_NEEDLE 32

struct literal {
	char *text; /* lowered when caseless */
	size_t len;
	size_t back; /* most bytes before it in a match, or FAR */
	int caseless;
	/*
	 * The two bytes searched for, rare + pair bytes apart (pair 0: one
	 * byte): never a caseless k or s, and none between them, so that
	 * the distance is fixed.
	 */
	size_t rare, pair;
	int bits; /* its selectivity; 0 when it has no byte to search */
};

/*
 * Literals one of which every match holds: of the pattern, as
 * pe_literals_of gives it, or of some part of it while it is read.
 */
struct pe_literals {
	struct literal *lit;
	size_t n;
};

struct reader {
	const char *p, *end;
	int fail; /* met a construct it does not read */
};

enum item_kind { ITEM_ZERO, ITEM_CHAR, ITEM_LITERAL, ITEM_GROUP };

struct item {
	enum item_kind kind;
	size_t width;		/* most bytes it matches */
	unsigned char c;	/* ITEM_LITERAL: the character */
	int caseless;		/* ITEM_LITERAL */
	struct pe_literals set; /* ITEM_GROUP: its alternatives' literals */
};

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Whether c is one of the characters of set (never the NUL). */
static int in_set(const char *set, unsigned char c)
{
	return c && strchr(set, c);
}

static int is_letter(unsigned char c)
{
	return lower(c) >= 'a' && lower(c) <= 'z';
}

/* a + b, FAR when either is FAR or the sum is past 16 MB (no match
 * reaches that far back from a literal that BACK_MAX would keep). */
static size_t add_width(size_t a, size_t b)
{
	return a == FAR || b == FAR || a + b > (size_t)1 << 24 ? FAR : a + b;
}

static size_t times(size_t width, size_t n)
{
	if (!width || !n)
		return 0;
	return width == FAR || n == FAR || n > ((size_t)1 << 24) / width
		       ? FAR
		       : width * n;
}

/*
 * Rough bits of surprise of byte c in English prose and Markdown (lowered
 * when caseless): about -log2 of how often it occurs.
 */
static int byte_bits(unsigned char c, int caseless)
{
	static const char common[] = "etaoinshr";
	static const char middle[] = "dlcum";
	static const char less[] = "wfgypb\n,.";
	static const char rare[] = "jxqz";
	int upper_case = !caseless && c >= 'A' && c <= 'Z';

	c = lower(c);
	if (c == ' ')
		return 3;
	if (in_set(common, c))
		return 4 + 3 * upper_case;
	if (in_set(middle, c))
		return 5 + 3 * upper_case;
	if (in_set(less, c))
		return 6 + 3 * upper_case;
	if (c == 'v' || c == 'k' || (c >= '0' && c <= '9') || c == '-')
		return 7 + 3 * upper_case;
	if (in_set(rare, c))
		return 10 + 3 * upper_case;
	if (in_set("()[]:*|#_/\"'`", c))
		return 8;
	return c < 0x20 ? 12 : 9;
}

/* A character of a caseless literal that PCRE2 may match with more bytes. */
static int is_wide(const struct literal *l, size_t i)
{
	return l->caseless && (l->text[i] == 'k' || l->text[i] == 's');
}

/*
 * Picks the two rarest bytes of l that lie a fixed distance apart (or the
 * rarest one) to search for, and rates l.
 */
static void rate(struct literal *l)
{
	int sum = 0, best = -1;

	for (size_t i = 0; i < l->len; i++) {
		int bi = byte_bits((unsigned char)l->text[i], l->caseless);

		sum += bi;
		if (is_wide(l, i))
			continue;
		if (bi > best) {
			best = bi;
			l->rare = i;
			l->pair = 0;
		}
		for (size_t j = i + 1; j < l->len && j < i + 64; j++) {
			int both;

			if (is_wide(l, j))
				break;
			both = bi + byte_bits((unsigned char)l->text[j],
					      l->caseless);
			if (both > best) {
				best = both;
				l->rare = i;
				l->pair = j - i;
			}
		}
	}
	l->bits = best < 0 ? 0 : sum < 40 ? sum : 40;
}

static void set_free(struct pe_literals *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lit[i].text);
	free(s->lit);
	memset(s, 0, sizeof(*s));
}

/* Moves the literals of from into to. */
static void set_merge(struct pe_literals *to, struct pe_literals *from)
{
	to->lit = xrealloc(to->lit, (to->n + from->n) * sizeof(*to->lit));
	memcpy(to->lit + to->n, from->lit, from->n * sizeof(*from->lit));
	to->n += from->n;
	free(from->lit);
	memset(from, 0, sizeof(*from));
}

static int log2_ceil(size_t n)
{
	int bits = 0;

	while (n > 1 && bits < 64) {
		n = (n + 1) / 2;
		bits++;
	}
	return bits;
}

/*
 * How good a set is to search for: higher is better, -1 unusable.  A
 * literal's bits count less the more starts each occurrence has to try.
 */
static int set_rank(const struct pe_literals *s)
{
	int least = 1 << 20, near = 1 << 20, far = 0;

	if (!s->n || s->n > MAX_LITERALS)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		const struct literal *l = &s->lit[i];
		int tries = l->back == FAR ? 0 : log2_ceil(l->back + 1);

		if (!l->bits)
			return -1;
		if (l->bits < least)
			least = l->bits;
		if (l->bits - tries < near)
			near = l->bits - tries;
		far |= l->back == FAR;
	}
	if (!far && near - log2_ceil(s->n) >= MIN_BOUNDED)
		return BOUNDED_RANK + near - log2_ceil(s->n);
	least -= log2_ceil(s->n);
	return least >= MIN_FAR ? least : -1;
}

/* Keeps the better of *best and candidate (freeing the other). */
static void offer(struct pe_literals *best, struct pe_literals *candidate)
{
	if (set_rank(candidate) > set_rank(best)) {
		set_free(best);
		*best = *candidate;
		memset(candidate, 0, sizeof(*candidate));
	} else {
		set_free(candidate);
	}
}

/* Offers the run of plain characters in run, then empties it. */
static void offer_run(struct pe_buf *run, size_t back, int caseless,
		      struct pe_literals *best)
{
	struct pe_literals s;

	if (!run->len)
		return;
	s.n = 1;
	s.lit = xcalloc(1, sizeof(*s.lit));
	/* Detached, not copied as a string: it may hold a NUL. */
	s.lit[0].text = pe_buf_detach(run, &s.lit[0].len);
	s.lit[0].back = back > BACK_MAX ? FAR : back;
	s.lit[0].caseless = caseless;
	rate(&s.lit[0]);
	offer(best, &s);
}

static void read_alternatives(struct reader *r, int caseless, size_t *width,
			      struct pe_literals *out);

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The character of a \x escape (after the x), or -1. */
static long read_hex(struct reader *r)
{
	long value = 0;
	int digits = 0;

	if (r->p < r->end && *r->p == '{') {
		for (r->p++; r->p < r->end && *r->p != '}'; r->p++) {
			int v = hex_value((unsigned char)*r->p);

			if (v < 0 || ++digits > 8)
				return -1;
			value = value * 16 + v;
		}
		if (r->p >= r->end || !digits)
			return -1;
		r->p++;
		return value;
	}
	while (digits < 2 && r->p < r->end &&
	       hex_value((unsigned char)*r->p) >= 0) {
		value = value * 16 + hex_value((unsigned char)*r->p++);
		digits++;
	}
	return digits ? value : -1;
}

/* A plain character as an item: its width is what PCRE2 may match. */
static void literal_item(unsigned char c, int caseless, struct item *it)
{
	it->kind = ITEM_LITERAL;
	it->c = caseless ? lower(c) : c;
	it->caseless = caseless;
	it->width = !caseless ? 1 : it->c == 'k' ? 3 : it->c == 's' ? 2 : 1;
}

/* Reads the escape after a backslash. */
static void read_escape(struct reader *r, int caseless, struct item *it)
{
	static const char zero[] = "bBAzZ";
	static const char types[] = "dDwWsShHvVR";
	static const char controls[][2] = { { 't', '\t' }, { 'n', '\n' },
					    { 'r', '\r' }, { 'f', '\f' },
					    { 'e', 0x1b }, { 'a', 0x07 } };
	unsigned char c;

	if (r->p >= r->end) {
		r->fail = 1;
		return;
	}
	c = (unsigned char)*r->p++;
	it->kind = ITEM_CHAR;
	it->width = 4;
	if (in_set(zero, c)) {
		it->kind = ITEM_ZERO;
		it->width = 0;
		return;
	}
	if (in_set(types, c))
		return;
	if (c == 'N') {
		r->fail = r->p < r->end && *r->p == '{';
		return;
	}
	if (c == 'p' || c == 'P') {
		const char *close;

		if (r->p < r->end && *r->p != '{') {
			r->p++;
			return;
		}
		close = r->p < r->end
				? memchr(r->p, '}', (size_t)(r->end - r->p))
				: NULL;
		if (!close)
			r->fail = 1;
		else
			r->p = close + 1;
		return;
	}
	if (c == 'x') {
		long v = read_hex(r);

		if (v < 0)
			r->fail = 1;
		else if (v < 0x80)
			literal_item((unsigned char)v, caseless, it);
		return;
	}
	for (size_t i = 0; i < sizeof(controls) / sizeof(*controls); i++) {
		if (c == (unsigned char)controls[i][0]) {
			literal_item((unsigned char)controls[i][1], caseless,
				     it);
			return;
		}
	}
	if (c < 0x80 && !is_letter(c) && !(c >= '0' && c <= '9'))
		literal_item(c, caseless, it);
	else
		r->fail = 1; /* backreferences, \G, \K, \Q, \c, octal, ... */
}

/*
 * Skips a character class after its "[" (PCRE2 compiled it, so it ends).
 * A POSIX class ("[:alpha:]"), whose "[" may or may not open one by rules
 * of its own, and \c, which takes the character after it, are not read.
 */
static void skip_class(struct reader *r)
{
	if (r->p < r->end && *r->p == '^')
		r->p++;
	if (r->p < r->end && *r->p == ']')
		r->p++;
	while (r->p < r->end && *r->p != ']') {
		if (*r->p == '\\') {
			if (r->p + 1 < r->end &&
			    (r->p[1] == 'Q' || r->p[1] == 'c')) {
				r->fail = 1;
				return;
			}
			r->p += 2;
		} else if (*r->p == '[' && r->p + 1 < r->end &&
			   (r->p[1] == ':' || r->p[1] == '.' ||
			    r->p[1] == '=')) {
			r->fail = 1;
			return;
		} else {
			r->p++;
		}
	}
	if (r->p >= r->end)
		r->fail = 1;
	else
		r->p++;
}

/*
 * Reads the flag letters of "(?flags)" or "(?flags:" into *caseless.
 * Returns the character that ends them, or 0 for a flag it does not know
 * (x changes how the pattern reads; ^ resets; others are PCRE2's newer).
 */
static char read_flags(struct reader *r, int *caseless)
{
	int on = 1;

	for (; r->p < r->end; r->p++) {
		char c = *r->p;

		if (c == ')' || c == ':') {
			r->p++;
			return c;
		}
		if (c == '-')
			on = 0;
		else if (c == 'i')
			*caseless = on;
		else if (!in_set("msnUJ", c))
			return 0;
	}
	return 0;
}

/* Reads a group after its "(": alternatives up to the ")". */
static void read_group_body(struct reader *r, int caseless, struct item *it)
{
	read_alternatives(r, caseless, &it->width, &it->set);
	if (r->p >= r->end || *r->p != ')')
		r->fail = 1;
	else
		r->p++;
}

/* Skips a lookaround after its opening: zero width, literals unused. */
static void read_assertion(struct reader *r, int caseless, struct item *it)
{
	read_group_body(r, caseless, it);
	set_free(&it->set);
	it->kind = ITEM_ZERO;
	it->width = 0;
}

/* Skips a group's name up to the character close. */
static void skip_name(struct reader *r, char close)
{
	const char *end = memchr(r->p, close, (size_t)(r->end - r->p));

	if (!end)
		r->fail = 1;
	else
		r->p = end + 1;
}

/* Reads what follows "(?". */
static void read_extended_group(struct reader *r, int *caseless,
				struct item *it)
{
	char c = r->p < r->end ? *r->p : 0;
	char next = r->p + 1 < r->end ? r->p[1] : 0;
	int inner = *caseless;

	it->kind = ITEM_GROUP;
	if (c == ':' || c == '>' || c == '|') {
		r->p++;
	} else if (c == '=' || c == '!') {
		r->p++;
		read_assertion(r, inner, it);
		return;
	} else if (c == '<' && (next == '=' || next == '!')) {
		r->p += 2;
		read_assertion(r, inner, it);
		return;
	} else if (c == '<' || c == '\'' || (c == 'P' && next == '<')) {
		r->p += c == 'P' ? 2 : 1;
		/* A group's name starts with a letter or "_": anything else
		 * (such as PCRE2's "(?<*" lookbehind) is not read here. */
		if (r->p >= r->end ||
		    !(is_letter((unsigned char)*r->p) || *r->p == '_')) {
			r->fail = 1;
			return;
		}
		skip_name(r, c == '\'' ? '\'' : '>');
	} else if (c == '#') {
		/* A comment is not an item: a quantifier after it repeats
		 * what came before, which this reader does not follow. */
		r->fail = 1;
		return;
	} else {
		char end = read_flags(r, &inner);

		if (!end) {
			r->fail = 1;
			return;
		}
		if (end == ')') {
			/* (?i) holds to the end of the enclosing group. */
			*caseless = inner;
			it->kind = ITEM_ZERO;
			it->width = 0;
			return;
		}
	}
	if (!r->fail)
		read_group_body(r, inner, it);
}

/* Reads one item of a sequence. */
static void read_item(struct reader *r, int *caseless, struct item *it)
{
	unsigned char c = (unsigned char)*r->p++;

	it->kind = ITEM_CHAR;
	it->width = 4;
	switch (c) {
	case '\\':
		read_escape(r, *caseless, it);
		break;
	case '[':
		skip_class(r);
		break;
	case '(':
		if (r->p < r->end && *r->p == '*') {
			r->fail = 1; /* verbs and (*...) options */
		} else if (r->p < r->end && *r->p == '?') {
			r->p++;
			read_extended_group(r, caseless, it);
		} else {
			it->kind = ITEM_GROUP;
			read_group_body(r, *caseless, it);
		}
		break;
	case '.':
		break;
	case '^':
	case '$':
		it->kind = ITEM_ZERO;
		it->width = 0;
		break;
	case '*':
	case '+':
	case '?':
	case '{':
		r->fail = 1;
		break;
	default:
		if (c < 0x80) {
			literal_item(c, *caseless, it);
		} else {
			while (r->p < r->end &&
			       pe_utf8_continues((unsigned char)*r->p))
				r->p++;
		}
	}
}

/* A decimal count of a {n,m} quantifier, FAR when huge; -1 when none. */
static long long read_count(struct reader *r)
{
	long long n = 0;
	int digits = 0;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (n < 1000000)
			n = n * 10 + (*r->p - '0');
		r->p++;
		digits++;
	}
	return digits ? n : -1;
}

/* Reads a quantifier, if any: *min and *max repeats (FAR: no limit). */
static void read_quantifier(struct reader *r, size_t *min, size_t *max)
{
	*min = *max = 1;
	if (r->p >= r->end)
		return;
	switch (*r->p) {
	case '*':
		*min = 0;
		*max = FAR;
		break;
	case '+':
		*max = FAR;
		break;
	case '?':
		*min = 0;
		break;
	case '{': {
		long long lo, hi;

		r->p++;
		lo = read_count(r);
		hi = lo;
		if (lo >= 0 && r->p < r->end && *r->p == ',') {
			r->p++;
			hi = read_count(r);
			if (hi < 0)
				hi = -2; /* {n,} */
		}
		/* Anything else ({,m}, {x}) reads differently across PCRE2
		 * versions: not read here. */
		if (lo < 0 || r->p >= r->end || *r->p != '}' ||
		    (hi >= 0 && hi < lo)) {
			r->fail = 1;
			return;
		}
		*min = (size_t)lo;
		*max = hi == -2 ? FAR : (size_t)hi;
		break;
	}
	default:
		return;
	}
	r->p++;
	if (r->p < r->end && (*r->p == '?' || *r->p == '+'))
		r->p++;
}

/* Moves each literal of s prefix bytes further from the match's start. */
static void shift_set(struct pe_literals *s, size_t prefix)
{
	for (size_t i = 0; i < s->n; i++) {
		s->lit[i].back = add_width(s->lit[i].back, prefix);
		if (s->lit[i].back > BACK_MAX)
			s->lit[i].back = FAR;
	}
}

/*
 * Reads one alternative up to "|", ")" or the end: the most bytes it
 * matches in *width and its best candidate in *best.  *caseless changes
 * with (?i) and (?-i), which hold into the group's later alternatives.
 */
static void read_sequence(struct reader *r, int *caseless, size_t *width,
			  struct pe_literals *best)
{
	size_t prefix = 0, run_back = 0;
	int run_caseless = 0;
	struct pe_buf run;

	pe_buf_init(&run, 0);
	memset(best, 0, sizeof(*best));
	while (!r->fail && r->p < r->end && *r->p != '|' && *r->p != ')') {
		struct item it;
		size_t min, max;

		memset(&it, 0, sizeof(it));
		read_item(r, caseless, &it);
		if (!r->fail)
			read_quantifier(r, &min, &max);
		if (r->fail) {
			set_free(&it.set);
			break;
		}
		if (it.kind == ITEM_LITERAL && min >= 1) {
			if (run.len && run_caseless != it.caseless)
				offer_run(&run, run_back, run_caseless, best);
			if (!run.len) {
				run_back = prefix;
				run_caseless = it.caseless;
			}
			pe_buf_addc(&run, (char)it.c);
			/* After a repeat, nothing is at a fixed distance. */
			if (max != 1)
				offer_run(&run, run_back, run_caseless, best);
		} else {
			offer_run(&run, run_back, run_caseless, best);
			if (it.kind == ITEM_GROUP && min >= 1 && it.set.n) {
				shift_set(&it.set, prefix);
				offer(best, &it.set);
			}
		}
		set_free(&it.set);
		prefix = add_width(prefix, times(it.width, max));
	}
	offer_run(&run, run_back, run_caseless, best);
	pe_buf_release(&run);
	*width = prefix;
}

/*
 * Reads alternatives up to the ")" that closes their group (left for the
 * caller) or the end: the most bytes any matches in *width, and in *out
 * the union of their candidates (empty when one has none).
 */
static void read_alternatives(struct reader *r, int caseless, size_t *width,
			      struct pe_literals *out)
{
	int none = 0;

	*width = 0;
	memset(out, 0, sizeof(*out));
	for (;;) {
		struct pe_literals s;
		size_t w;

		read_sequence(r, &caseless, &w, &s);
		if (w > *width)
			*width = w;
		if (set_rank(&s) < 0)
			none = 1;
		if (!none)
			set_merge(out, &s);
		set_free(&s);
		if (r->fail || r->p >= r->end || *r->p != '|')
			break;
		r->p++;
	}
	if (none || r->fail)
		set_free(out);
}

/* Reads pattern's literals; see literals.h. */
struct pe_literals *pe_literals_of(const char *pattern, size_t len,
				   int caseless)
{
	struct reader r = { pattern, pattern + len, 0 };
	struct pe_literals *l;
	struct pe_literals s;
	size_t width;

	read_alternatives(&r, caseless, &width, &s);
	if (r.fail || r.p != r.end || set_rank(&s) < 0) {
		set_free(&s);
		return NULL;
	}
	l = xmalloc(sizeof(*l));
	*l = s;
	return l;
}

/* Frees l; NULL is fine. */
void pe_literals_free(struct pe_literals *l)
{
	if (!l)
		return;
	set_free(l);
	free(l);
}

/* A byte of a literal as searched for: letters of caseless ones lowered. */
struct needle {
	unsigned char c;
	unsigned char fold; /* 0x20 to OR in first (a caseless letter), or 0 */
};

static struct needle needle_of(const struct literal *l, size_t i)
{
	struct needle n;

	n.c = (unsigned char)l->text[i];
	n.fold = l->caseless && is_letter(n.c) ? 0x20 : 0;
	return n;
}

static int needle_is(struct needle n, char c)
{
	return ((unsigned char)c | n.fold) == n.c;
}

#ifdef __SSE2__
/*
 * The places among the 16 at p where the pair is: byte i all ones when
 * p[i] (with fa ORed in) is va and p[i + gap] (with fb ORed in) is vb.
 */
static inline __m128i pair_at(const char *p, size_t gap, __m128i va, __m128i fa,
			      __m128i vb, __m128i fb)
{
	__m128i x = _mm_or_si128(
		_mm_loadu_si128((const __m128i *)(const void *)p), fa);
	__m128i y = _mm_or_si128(
		_mm_loadu_si128((const __m128i *)(const void *)(p + gap)), fb);

	return _mm_and_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(y, vb));
}

/* The same as bits: bit i set for place i. */
static inline uint64_t pair_bits(__m128i places)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(places);
}
#endif

/*
 * The first position p at or after at where s[p] is a and s[p + gap] is
 * b, or len.  Letters of a caseless literal are compared with 0x20 ORed
 * in, which lowers them and lets a few other bytes through to the check
 * that follows.  64 bytes a round are tested with one branch, the four
 * blocks' places ORed together; only a round that has one works out
 * which.
 */
static size_t find_pair(const char *s, size_t len, size_t at, struct needle a,
			struct needle b, size_t gap)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8((char)a.c),
		      fa = _mm_set1_epi8((char)a.fold);
	const __m128i vb = _mm_set1_epi8((char)b.c),
		      fb = _mm_set1_epi8((char)b.fold);

	for (; at + gap + 64 <= len; at += 64) {
		const char *p = s + at;
		__m128i p0 = pair_at(p, gap, va, fa, vb, fb),
			p1 = pair_at(p + 16, gap, va, fa, vb, fb),
			p2 = pair_at(p + 32, gap, va, fa, vb, fb),
			p3 = pair_at(p + 48, gap, va, fa, vb, fb);

		if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(p0, p1),
						   _mm_or_si128(p2, p3)))) {
			uint64_t m = pair_bits(p0) | pair_bits(p1) << 16 |
				     pair_bits(p2) << 32 | pair_bits(p3) << 48;

			return at + (size_t)__builtin_ctzll(m);
		}
	}
	for (; at + gap + 16 <= len; at += 16) {
		uint64_t m = pair_bits(pair_at(s + at, gap, va, fa, vb, fb));

		if (m)
			return at + (size_t)__builtin_ctzll(m);
	}
#endif
	for (; at + gap < len; at++)
		if (needle_is(a, s[at]) && needle_is(b, s[at + gap]))
			return at;
	return len;
}

/*
 * The first occurrence of needle in s; see literals.h.  Its first and
 * last bytes are looked for together (find_pair), which in prose leaves
 * few places to compare in full; past MAX_PAIR_NEEDLE bytes, memmem.
 */
size_t pe_literals_find(const char *s, size_t len, const char *needle,
			size_t nlen)
{
	struct needle a, b;
	const char *hit;

	if (nlen > len)
		return len;
	/* A long needle could be compared in full at many places (a text
	 * of "a" and a needle of "a...b...a"): memmem's time is linear. */
	if (nlen > MAX_PAIR_NEEDLE || !nlen) {
		hit = memmem(s, len, needle, nlen);
		return hit ? (size_t)(hit - s) : len;
	}
	a.c = (unsigned char)needle[0];
	b.c = (unsigned char)needle[nlen - 1];
	a.fold = b.fold = 0;
	for (size_t at = 0; at + nlen <= len; at++) {
		at = find_pair(s, len, at, a, b, nlen - 1);
		if (at + nlen > len)
			break;
		if (!memcmp(s + at + 1, needle + 1, nlen - 1))
			return at;
	}
	return len;
}

/* Whether the bytes at s match character i of literal l, and how many. */
static size_t char_at(const struct literal *l, size_t i, const char *s,
		      size_t avail)
{
	unsigned char want = (unsigned char)l->text[i];

	if (avail >= 1 && (l->caseless ? lower((unsigned char)*s)
				       : (unsigned char)*s) == want)
		return 1;
	if (is_wide(l, i) && want == 'k' && avail >= 3 &&
	    !memcmp(s, "\xe2\x84\xaa", 3))
		return 3;
	if (is_wide(l, i) && want == 's' && avail >= 2 &&
	    !memcmp(s, "\xc5\xbf", 2))
		return 2;
	return 0;
}

/* The same, for the character that ends at s + end. */
static size_t char_before(const struct literal *l, size_t i, const char *s,
			  size_t end)
{
	static const size_t widths[] = { 1, 3, 2 };

	for (size_t k = 0; k < 3; k++)
		if (end >= widths[k] &&
		    char_at(l, i, s + end - widths[k], widths[k]) == widths[k])
			return widths[k];
	return 0;
}

/*
 * Whether literal l occurs with its rare byte at hit in s (len bytes);
 * *start gets where the occurrence begins.
 */
static int occurs_at(const struct literal *l, const char *s, size_t len,
		     size_t hit, size_t *start)
{
	size_t p = hit;

	for (size_t i = l->rare; i-- > 0;) {
		size_t n = char_before(l, i, s, p);

		if (!n)
			return 0;
		p -= n;
	}
	*start = p;
	p = hit;
	for (size_t i = l->rare; i < l->len; i++) {
		size_t n = char_at(l, i, s + p, len - p);

		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

/* The first occurrence of l in s (len bytes) starting at or after from. */
static size_t find_literal(const struct literal *l, const char *s, size_t len,
			   size_t from)
{
	struct needle a = needle_of(l, l->rare);
	struct needle b = needle_of(l, l->rare + l->pair);

	for (size_t at = from + l->rare; at < len; at++) {
		size_t start;

		at = find_pair(s, len, at, a, b, l->pair);
		if (at < len && occurs_at(l, s, len, at, &start) &&
		    start >= from)
			return start;
	}
	return len;
}

/* Starts a search; see literals.h. */
void pe_literals_scan_init(struct pe_literals_scan *scan,
			   const struct pe_literals *l, const char *subject,
			   size_t len)
{
	scan->l = l;
	scan->subject = subject;
	scan->len = len;
	scan->next = l->n <= sizeof(scan->small) / sizeof(*scan->small)
			     ? scan->small
			     : xmalloc(l->n * sizeof(*scan->next));
	for (size_t i = 0; i < l->n; i++)
		scan->next[i] = FAR;
}

/* Frees what a search holds. */
void pe_literals_scan_release(struct pe_literals_scan *scan)
{
	if (scan->next != scan->small)
		free(scan->next);
	scan->next = NULL;
}

/* The next place a match can start; see literals.h. */
size_t pe_literals_next_start(struct pe_literals_scan *scan, size_t from,
			      int *anywhere)
{
	const struct pe_literals *l = scan->l;
	size_t best = scan->len;

	*anywhere = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t q = scan->next[i], start;
		int far = l->lit[i].back == FAR;

		if (q == FAR || q < from)
			q = scan->next[i] = find_literal(
				&l->lit[i], scan->subject, scan->len, from);
		if (q >= scan->len)
			continue;
		start = far || q - from < l->lit[i].back ? from
							 : q - l->lit[i].back;
		if (start < best) {
			best = start;
			*anywhere = far;
		} else if (start == best && far) {
			*anywhere = 1;
		}
	}
	return best;
}
