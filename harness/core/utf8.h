#ifndef PE_UTF8_H
#define PE_UTF8_H
/*
 * UTF-8: the one decoder and encoder.  Model output, prompt files and
 * results are untrusted bytes, so every caller that needs characters
 * (JSON and XML escaping, HTML, word counts, cutting text for messages)
 * decodes with pe_utf8_decode, which accepts only well-formed UTF-8: no
 * overlong forms, no surrogates, nothing past U+10FFFF, no truncated or
 * stray continuation bytes.
 */
#include <stddef.h>

/*
 * Decodes the character at s (len bytes available, len > 0).  Returns
 * its length (1 to 4) and stores its code point in *cp, or returns 0
 * when s does not start a well-formed character (*cp is then the byte).
 */
size_t pe_utf8_decode(const char *s, size_t len, unsigned long *cp);

/*
 * Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8 into
 * out; returns its length (1 to 4).
 */
size_t pe_utf8_encode(unsigned long cp, char out[4]);

/*
 * Returns a length of at most max that does not split a UTF-8 character
 * of s (len bytes), for shortening text shown in messages.
 */
size_t pe_utf8_cut(const char *s, size_t len, size_t max);

/* Whether byte c continues a UTF-8 character (10xxxxxx). */
static inline int pe_utf8_continues(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

#endif
