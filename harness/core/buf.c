/*
 * The growable buffer.  Growth doubles the allocation; the maximum size is
 * checked before any byte is copied, so a refused append leaves the buffer
 * unchanged.
 */
#include "harness/core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Initialises an empty buffer; max_len 0 means no limit. */
void pe_buf_init(struct pe_buf *b, size_t max_len)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max_len = max_len;
}

/* Frees the bytes and leaves an empty buffer with the same limit. */
void pe_buf_release(struct pe_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

/* Empties the buffer but keeps its allocation. */
void pe_buf_reset(struct pe_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Hands the bytes (NUL-terminated) to the caller and empties the buffer. */
char *pe_buf_detach(struct pe_buf *b, size_t *len)
{
	char *data = b->data ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return data;
}

static int reserve(struct pe_buf *b, size_t extra)
{
	size_t want;

	if (b->max_len && (extra > b->max_len || b->len > b->max_len - extra))
		return PE_ERR_LIMIT;
	want = b->len + extra + 1;
	if (want > b->alloc) {
		size_t n = b->alloc ? b->alloc : 256;

		while (n < want)
			n *= 2;
		b->data = xrealloc(b->data, n);
		b->alloc = n;
	}
	return PE_OK;
}

/* Makes room for extra more bytes, within max_len; see buf.h. */
void pe_buf_grow(struct pe_buf *b, size_t extra)
{
	if (b->max_len && b->len <= b->max_len && extra > b->max_len - b->len)
		extra = b->max_len - b->len;
	if (b->len + extra + 1 > b->alloc)
		reserve(b, extra);
}

/* Appends len bytes of data, growing the buffer; see buf.h. */
int pe_buf_add_grow(struct pe_buf *b, const void *data, size_t len)
{
	if (reserve(b, len))
		return PE_ERR_LIMIT;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return PE_OK;
}

/* Appends a C string. */
int pe_buf_adds(struct pe_buf *b, const char *s)
{
	return pe_buf_add(b, s, strlen(s));
}

/* Appends one byte. */
int pe_buf_addc(struct pe_buf *b, char c)
{
	return pe_buf_add(b, &c, 1);
}

/* Appends text with its NULs shown as \u0000; see buf.h. */
int pe_buf_add_shown(struct pe_buf *b, const char *s, size_t len)
{
	const char *nul;
	int rc = 0;

	while (!rc && len && (nul = memchr(s, '\0', len)) != NULL) {
		rc = pe_buf_add(b, s, (size_t)(nul - s));
		if (!rc)
			rc = pe_buf_adds(b, "\\u0000");
		len -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return rc ? rc : pe_buf_add(b, s, len);
}

/*
 * Appends printf-style formatted text.  Short text is formatted once, on
 * the stack (pe_vsnprintf), and appended as pe_buf_add would append it
 * (as xstrvfmt does); only longer text is formatted a second time,
 * straight into the buffer, once its length is known.
 */
int pe_buf_vaddf(struct pe_buf *b, const char *fmt, va_list ap)
{
	char tmp[PE_FMT_STACK];
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = pe_vsnprintf(tmp, sizeof(tmp), fmt, copy);
	va_end(copy);
	if (n < 0)
		return PE_OK;
	if ((size_t)n < sizeof(tmp))
		return pe_buf_add(b, tmp, (size_t)n);
	if (reserve(b, (size_t)n))
		return PE_ERR_LIMIT;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return PE_OK;
}

/* Appends printf-style formatted text. */
int pe_buf_addf(struct pe_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pe_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Returns the contents as a C string, "" when nothing was added. */
const char *pe_buf_str(const struct pe_buf *b)
{
	return b->data ? b->data : "";
}
