/*
 * UTF-8 decoding and encoding (RFC 3629), table-free: the lead byte gives
 * the length and the smallest code point that length may hold, which
 * rules out overlong forms.
 */
#include "harness/core/utf8.h"

#include "harness/core/banned.h"

/* Decodes one well-formed character; see utf8.h. */
size_t pe_utf8_decode(const char *s, size_t len, unsigned long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	unsigned long min;

	*cp = u[0];
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, min = 0x80, *cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, min = 0x800, *cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, min = 0x10000, *cp = u[0] & 0x07;
	else
		return 0;
	if (len < n) {
		*cp = u[0];
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = u[0];
			return 0;
		}
		*cp = (*cp << 6) | (u[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) {
		*cp = u[0];
		return 0;
	}
	return n;
}

/* Encodes one code point; see utf8.h. */
size_t pe_utf8_encode(unsigned long cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Shortens len bytes of UTF-8 to at most max without splitting a
 * character; returns the new length. */
size_t pe_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && pe_utf8_continues((unsigned char)s[max]))
		max--;
	return max;
}
