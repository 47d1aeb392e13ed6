/*
 * Small helpers for fakellm: the one buffer type, allocation that exits on
 * out-of-memory, FNV-1a hashing, a seedable PRNG and strict number parsing.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakellm.h"

static void die_oom(void)
{
	fputs("fakellm: error: out of memory\n", stderr);
	exit(1);
}

/* Allocates size bytes or exits. */
void *fl_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

/* Resizes p to size bytes or exits. */
void *fl_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		die_oom();
	return q;
}

/* Returns a new copy of len bytes of s plus a NUL. */
char *fl_xmemdup(const char *s, size_t len)
{
	char *p = fl_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Returns a new copy of s. */
char *fl_xstrdup(const char *s)
{
	return fl_xmemdup(s, strlen(s));
}

/* Makes b an empty buffer that owns nothing yet. */
void fl_buf_init(struct fl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Frees b's memory and leaves it empty. */
void fl_buf_release(struct fl_buf *b)
{
	free(b->data);
	fl_buf_init(b);
}

/* Empties b but keeps its memory for reuse. */
void fl_buf_reset(struct fl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Makes room for extra more bytes plus the NUL. */
void fl_buf_grow(struct fl_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = fl_xrealloc(b->data, cap);
	b->cap = cap;
}

/* Appends len bytes of data. */
void fl_buf_add(struct fl_buf *b, const void *data, size_t len)
{
	fl_buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Appends the string s. */
void fl_buf_adds(struct fl_buf *b, const char *s)
{
	fl_buf_add(b, s, strlen(s));
}

/* Appends one character. */
void fl_buf_addc(struct fl_buf *b, char c)
{
	fl_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* Appends printf-style formatted text. */
void fl_buf_addf(struct fl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	fl_buf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		fl_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/*
 * Appends len bytes of s as a quoted JSON string.  Bytes >= 0x80 pass
 * through unchanged, so UTF-8 stays UTF-8.
 */
void fl_buf_add_json(struct fl_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	fl_buf_grow(b, len + 2);
	b->data[b->len++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		fl_buf_add(b, s + start, i - start);
		start = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		fl_buf_add(b, esc, n);
	}
	fl_buf_add(b, s + start, len - start);
	fl_buf_addc(b, '"');
}

/* Drops the first n bytes of b. */
void fl_buf_consume(struct fl_buf *b, size_t n)
{
	if (n >= b->len) {
		fl_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

/* Returns the 64-bit FNV-1a hash of len bytes of data. */
uint64_t fl_fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Seeds r; equal seeds give equal sequences. */
void fl_rng_seed(struct fl_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Returns the next 64 random bits (xoshiro256**). */
uint64_t fl_rng_next(struct fl_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Returns a uniform double in [0, 1). */
double fl_rng_uniform(struct fl_rng *r)
{
	return (double)(fl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Returns a uniform integer in [0, n); n must be > 0. */
unsigned fl_rng_below(struct fl_rng *r, unsigned n)
{
	return (unsigned)(fl_rng_uniform(r) * n);
}

/*
 * Parses s as a decimal integer in [min, max] into *out.  Rejects empty
 * strings, signs where min >= 0, and trailing junk.  Returns 0 or -1.
 */
int fl_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || (min >= 0 && (*s == '-' || *s == '+')) || *s == ' ' ||
	    *s == '\t')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses s as a finite decimal number in [min, max]; 0 or -1. */
int fl_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;
	const char *p;

	if (!s || !*s)
		return -1;
	for (p = s; *p; p++)
		if (!strchr("0123456789.eE+-", *p))
			return -1; /* no "inf", "nan" or hex floats */
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
