#ifndef PE_BUF_H
#define PE_BUF_H
/*
 * A growable byte buffer, always NUL-terminated, with an optional maximum
 * size.  Every string that is built piece by piece goes through it, as git
 * uses strbuf and curl uses dynbuf.  Buffers that hold network or model data
 * must set a maximum.
 *
 * struct pe_buf is embedded by callers: pe_buf_init/pe_buf_release.  The
 * data pointer is borrowed until the next append or release;
 * pe_buf_detach hands ownership of the bytes to the caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct pe_buf {
	char *data;	/* always NUL-terminated once anything is added */
	size_t len;	/* bytes used, not counting the NUL */
	size_t alloc;	/* bytes allocated */
	size_t max_len; /* 0 means unlimited */
};

void pe_buf_init(struct pe_buf *b, size_t max_len);
void pe_buf_release(struct pe_buf *b);
void pe_buf_reset(struct pe_buf *b);
char *pe_buf_detach(struct pe_buf *b, size_t *len);

/*
 * Makes room for at least extra more bytes (fewer when max_len is
 * nearer), so that appends up to that size do not reallocate.  The
 * contents do not change; appending a text whose size is known in
 * advance then allocates once instead of doubling up from 256 bytes.
 */
void pe_buf_grow(struct pe_buf *b, size_t extra);

/*
 * Appends as pe_buf_add does, when the bytes do not fit in what is
 * allocated.
 */
int pe_buf_add_grow(struct pe_buf *b, const void *data, size_t len);

/*
 * Appends; returns 0 or PE_ERR_LIMIT when max_len would be exceeded.
 * Inline, as text is mostly appended a few bytes at a time (the
 * Markdown reader's callbacks, folding) to a buffer that has the room:
 * only growing calls out.
 */
static inline int pe_buf_add(struct pe_buf *b, const void *data, size_t len)
{
	if (len < b->alloc - b->len &&
	    (!b->max_len || b->len + len <= b->max_len)) {
		if (len)
			memcpy(b->data + b->len, data, len);
		b->len += len;
		b->data[b->len] = '\0';
		return 0;
	}
	return pe_buf_add_grow(b, data, len);
}

int pe_buf_adds(struct pe_buf *b, const char *s);
int pe_buf_addc(struct pe_buf *b, char c);
/*
 * Appends len bytes of s, each NUL as the six characters \u0000, for a
 * message that quotes text which may hold one (a C string would end
 * there).
 */
int pe_buf_add_shown(struct pe_buf *b, const char *s, size_t len);
int pe_buf_addf(struct pe_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pe_buf_vaddf(struct pe_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Returns the contents as a C string ("" for an empty buffer). */
const char *pe_buf_str(const struct pe_buf *b);

#endif
