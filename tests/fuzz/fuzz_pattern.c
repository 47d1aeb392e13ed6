/*
 * libFuzzer target for the PCRE2 wrapper's skipping ahead by literals
 * (harness/core/literals.h).  The first byte picks the flags (bits for
 * i, m and s), the rest up to the first newline is a pattern, and what
 * follows is the subject.  A pattern compiles with literals exactly when
 * it compiles without; its literals are read without crashing or
 * reading past the pattern; and when it has some, every count agrees
 * with PCRE2 tried at each position in turn
 * (tests/unit/pattern_reference.h), or, where the subject holds a CRLF
 * or invalid UTF-8, with PCRE2's own search.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/literals.h"
#include "harness/core/pattern.h"
#include "harness/core/util.h"
#include "tests/unit/pattern_reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const flag_sets[] = { "",  "i",  "m",  "im",
						 "s", "is", "ms", "ims" };
	const char *text = (const char *)data + 1, *flags, *nl;
	char *pattern;
	size_t pattern_len, subject_len;
	struct pe_pattern *re, *plain;
	struct pe_literals *l;
	int skips;

	if (!size)
		return 0;
	flags = flag_sets[data[0] & 7];
	nl = memchr(text, '\n', size - 1);
	pattern_len = nl ? (size_t)(nl - text) : size - 1;
	/* The reference tries every position: keep its work small. */
	if (pattern_len > 256 || size - 1 - pattern_len > 1024)
		return 0;
	/* A copy of its own size, so that reading past it is caught. */
	pattern = xmalloc(pattern_len + 1);
	memcpy(pattern, text, pattern_len);
	pattern[pattern_len] = '\0';
	l = pe_literals_of(pattern, pattern_len, strchr(flags, 'i') != NULL);
	skips = l != NULL;
	pe_literals_free(l);
	re = pe_reference_compile(pattern, pattern_len, flags, 1);
	plain = pe_reference_compile(pattern, pattern_len, flags, 0);
	if (!re != !plain)
		abort();
	/* Without literals the count is PCRE2's own: nothing to compare. */
	if (re && skips) {
		const char *subject = nl ? nl + 1 : text + pattern_len;
		char err[128];
		size_t n, m;
		int rc, rc_plain;
		long want;

		subject_len = size - 1 - (size_t)(subject - text);
		rc = pe_pattern_count(re, subject, subject_len, 0, &n, err,
				      sizeof(err));
		rc_plain = pe_pattern_count(plain, subject, subject_len, 0, &m,
					    err, sizeof(err));
		want = pe_reference_count(pattern, pattern_len, flags, subject,
					  subject_len, 0);
		if (!rc && !rc_plain && want >= 0 && (long)n != want &&
		    !(n == m && pe_reference_unsettled(subject, subject_len)))
			abort();
	}
	pe_pattern_free(re);
	pe_pattern_free(plain);
	free(pattern);
	return 0;
}
