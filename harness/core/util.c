/*
 * Allocation wrappers, strict number parsing and typo suggestions.  The
 * allocation wrappers are the only place that handles out-of-memory: they
 * print one line and exit, as git's xmalloc and mandoc's mandoc_malloc do.
 */
#include "harness/core/message.h"
#include "harness/core/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/utf8.h"
#include "harness/core/banned.h"

static void die_oom(size_t size)
{
	pe_error("out of memory (%zu bytes)", size);
	exit(PE_EXIT_SYSTEM);
}

/* Allocates size bytes or exits; never returns NULL. */
void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die_oom(size);
	return p;
}

/* Allocates a zeroed array or exits; never returns NULL. */
void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		die_oom(count * size);
	return p;
}

/* Resizes ptr or exits; never returns NULL. */
void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		die_oom(size);
	return p;
}

/* Duplicates s; the caller owns the copy. */
char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* Duplicates the first len bytes of s and NUL-terminates the copy. */
char *xstrndup(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * Formats into a new heap string; the caller owns it.  Most strings made
 * here (reasons, diagnostics) are short, so the text is formatted once
 * (pe_vsnprintf), into a buffer on the stack, and copied: formatting
 * twice (once to measure) doubled the cost of every reason.  Only a string that does
 * not fit is formatted again, into memory of its measured size.
 */
char *xstrvfmt(const char *fmt, va_list ap)
{
	char tmp[PE_FMT_STACK];
	va_list copy;
	int n;
	char *p;

	va_copy(copy, ap);
	n = pe_vsnprintf(tmp, sizeof(tmp), fmt, copy);
	va_end(copy);
	if (n < 0)
		return xstrdup("");
	p = xmalloc((size_t)n + 1);
	if ((size_t)n < sizeof(tmp))
		memcpy(p, tmp, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

/* Formats into a new heap string; the caller owns it. */
char *xstrfmt(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xstrvfmt(fmt, ap);
	va_end(ap);
	return p;
}

/*
 * Writes v with decimals (0 to 9) digits after the point into out, the
 * same bytes as snprintf(out, size, "%.*f", decimals, v), and returns
 * their length (as snprintf does).  It is meant for the figures of
 * reasons: glibc's %f works through the exact binary value with big
 * numbers, thousands of instructions a figure.
 *
 * Fast path: v is not negative and v * 10^decimals is below 2^52, so it
 * rounds to a whole number r that fits a long long, and the digits of r
 * are the answer, with the point put in.  The product s is computed in
 * double, within s * 2^-53 of the exact product, so r (s rounded to the
 * nearest whole number) is the exact product's rounding too unless s is
 * that close to a half (the test below allows twice the error): then (a
 * tie, or too close to tell) it falls back to snprintf, as it does for
 * everything else.
 */
int pe_fmt_fixed(char *out, size_t size, double v, int decimals)
{
	static const double scales[] = { 1e0, 1e1, 1e2, 1e3, 1e4,
					 1e5, 1e6, 1e7, 1e8, 1e9 };
	char digits[32];
	double s, whole, frac;
	unsigned long long r;
	int n = 0, len;

	if (decimals < 0 || decimals > 9 || !(v >= 0) || signbit(v) ||
	    (s = v * scales[decimals]) >= 4503599627370496.0 /* 2^52 */)
		return snprintf(out, size, "%.*f", decimals, v);
	whole = floor(s);
	frac = s - whole;
	if (fabs(frac - 0.5) <= s * 0x1p-52)
		return snprintf(out, size, "%.*f", decimals, v);
	r = (unsigned long long)whole + (frac > 0.5);
	/* The digits backwards: at least one before the point. */
	do {
		digits[n++] = (char)('0' + r % 10);
		r /= 10;
	} while (r || n <= decimals);
	len = n + (decimals > 0);
	for (int i = 0; i < len && (size_t)i + 1 < size; i++) {
		int from_end = i < n - decimals ? i : i - 1;

		out[i] = decimals && i == n - decimals
				 ? '.'
				 : digits[n - 1 - from_end];
	}
	if (size)
		out[(size_t)len < size ? (size_t)len : size - 1] = '\0';
	return len;
}

/* Where pe_vsnprintf writes: what fits goes in, everything counts. */
struct fmt_out {
	char *data;
	size_t size;
	size_t len; /* the whole text's, written or not */
};

static void fmt_put(struct fmt_out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->data + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/* Writes v in decimal, with a minus sign when negative is set. */
static void fmt_unsigned(struct fmt_out *o, unsigned long long v, int negative)
{
	char digits[24];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		digits[--n] = '-';
	fmt_put(o, digits + n, sizeof(digits) - n);
}

static void fmt_signed(struct fmt_out *o, long long v)
{
	/* -(v + 1) + 1 is |v| without overflow, LLONG_MIN too. */
	if (v < 0)
		fmt_unsigned(o, (unsigned long long)-(v + 1) + 1, 1);
	else
		fmt_unsigned(o, (unsigned long long)v, 0);
}

/*
 * Reads the precision at *p ("." and digits, or ".*" from ap): -1 when
 * there is none, -2 when it is out of the range taken here.
 */
static int fmt_precision(const char **p, va_list *ap)
{
	int precision = 0;

	if (**p != '.')
		return -1;
	(*p)++;
	if (**p == '*') {
		(*p)++;
		precision = va_arg(*ap, int);
		return precision < 0 ? -2 : precision;
	}
	while (**p >= '0' && **p <= '9') {
		precision = precision * 10 + (**p - '0');
		if (precision > 100000)
			return -2;
		(*p)++;
	}
	return precision;
}

/*
 * Formats one conversion, *p just past its '%'.  Returns 0, or -1 for a
 * conversion it leaves to vsnprintf.
 */
static int fmt_conversion(struct fmt_out *o, const char **p, va_list *ap)
{
	int precision = fmt_precision(p, ap);
	char c = *(*p)++;

	if (precision == -2)
		return -1;
	if (c == 's') {
		const char *s = va_arg(*ap, const char *);
		size_t n;

		if (!s)
			return -1;
		n = precision < 0 ? strlen(s) : strnlen(s, (size_t)precision);
		fmt_put(o, s, n);
		return 0;
	}
	if (c == 'f') {
		char fixed[PE_FIXED_SIZE];
		int n;

		if (precision > 9)
			return -1;
		n = pe_fmt_fixed(fixed, sizeof(fixed), va_arg(*ap, double),
				 precision < 0 ? 6 : precision);
		if (n < 0 || (size_t)n >= sizeof(fixed))
			return -1;
		fmt_put(o, fixed, (size_t)n);
		return 0;
	}
	if (precision >= 0)
		return -1;
	if (c == '%') {
		fmt_put(o, "%", 1);
	} else if (c == 'c') {
		char ch = (char)va_arg(*ap, int);

		fmt_put(o, &ch, 1);
	} else if (c == 'd' || c == 'i') {
		fmt_signed(o, va_arg(*ap, int));
	} else if (c == 'u') {
		fmt_unsigned(o, va_arg(*ap, unsigned), 0);
	} else if (c == 'z' && **p == 'u') {
		(*p)++;
		fmt_unsigned(o, va_arg(*ap, size_t), 0);
	} else if (c == 'l' && (**p == 'd' || **p == 'i')) {
		(*p)++;
		fmt_signed(o, va_arg(*ap, long));
	} else if (c == 'l' && **p == 'u') {
		(*p)++;
		fmt_unsigned(o, va_arg(*ap, unsigned long), 0);
	} else {
		return -1;
	}
	return 0;
}

/*
 * Formats like vsnprintf; see util.h.  glibc's vsnprintf sets up a FILE
 * for every call and goes through its general machinery, about 2,000
 * instructions for a short reason; this writes the common conversions
 * directly.  The arguments are read through a va_copy of ap, so that a
 * format it does not take can start again in vsnprintf with ap.
 */
int pe_vsnprintf(char *out, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { out, size, 0 };
	const char *p = fmt;
	va_list args;
	int rc = 0;

	va_copy(args, ap);
	while (!rc && *p) {
		const char *pct = strchr(p, '%');
		size_t n = pct ? (size_t)(pct - p) : strlen(p);

		fmt_put(&o, p, n);
		p += n;
		if (*p == '%') {
			p++;
			rc = fmt_conversion(&o, &p, &args);
		}
	}
	va_end(args);
	if (rc || o.len > INT_MAX)
		return vsnprintf(out, size, fmt, ap);
	if (size)
		out[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

/* Formats like snprintf through pe_vsnprintf; see util.h. */
int pe_snprintf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = pe_vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Grows an array so it holds at least want elements, doubling its size. */
void pe_grow_to(void *items_ptr, size_t *alloc, size_t want, size_t elem_size)
{
	void **items = items_ptr;
	size_t n = *alloc;

	if (want <= n)
		return;
	n = n ? n : 8;
	while (n < want)
		n *= 2;
	*items = xrealloc(*items, n * elem_size);
	*alloc = n;
}

/* Parses a whole decimal integer in [min, max]; 0 or PE_ERR_INVALID. */
int pe_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return PE_ERR_INVALID;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return PE_ERR_INVALID;
	*out = v;
	return PE_OK;
}

/* Parses a whole finite decimal number; 0 or PE_ERR_INVALID. */
int pe_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return PE_ERR_INVALID;
	/* Reject hex floats, inf and nan, which strtod would accept. */
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return PE_ERR_INVALID;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return PE_ERR_INVALID;
	*out = v;
	return PE_OK;
}

/*
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two neighbours (optimal string alignment), case-insensitive, so that
 * "--modle" is one edit from "--model".  Three rolling rows.
 */
size_t pe_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *rows = xcalloc(3 * (lb + 1), sizeof(*rows));
	size_t *older = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);
	size_t result;

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *tmp;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    cb == tolower((unsigned char)a[i - 2]) &&
			    older[j - 2] + 1 < best)
				best = older[j - 2] + 1;
			cur[j] = best;
		}
		tmp = older;
		older = prev;
		prev = cur;
		cur = tmp;
	}
	result = prev[lb];
	free(rows);
	return result;
}

/* True when a and b are equal ignoring case, '_' and '-'. */
static int same_modulo_separators(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_' || *a == '-')
			a++;
		while (*b == '_' || *b == '-')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

/* Whether word is in a NULL-terminated list; see util.h. */
int pe_listed(const char *const *list, const char *word)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], word))
			return 1;
	return 0;
}

/*
 * Picks the closest candidate.  A suggestion is made only when the distance
 * is at most a third of the word's length (at least 1, at most 3), or when
 * the spellings differ only in case, '_' and '-', so that "max_token" finds
 * "maxTokens" but "colour" does not find "model".
 */
const char *pe_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_distance = (size_t)-1;
	size_t limit = strlen(word) / 3;

	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = same_modulo_separators(word, candidates[i])
				   ? 0
				   : pe_edit_distance(word, candidates[i]);

		if (d < best_distance) {
			best_distance = d;
			best = candidates[i];
		}
	}
	return best_distance <= limit ? best : NULL;
}

/* True when s ends with suffix. */
int pe_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* A copy of s for messages: at most max bytes, cut between characters,
 * with "..." when it was cut.  The caller owns it. */
char *pe_shorten(const char *s, size_t len, size_t max)
{
	size_t n = pe_utf8_cut(s, len, max);

	return n < len ? xstrfmt("%.*s...", (int)n, s) : xstrndup(s, len);
}

/* NULL-safe string equality; see util.h. */
int pe_str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}
