#ifndef PE_TESTS_PATTERN_REFERENCE_H
#define PE_TESTS_PATTERN_REFERENCE_H
/*
 * The count that pe_pattern_count must give when it skips ahead by the
 * literals every match holds (harness/core/literals.h), worked out the
 * slow way with PCRE2 itself, for tests/unit/test_pattern.c and
 * tests/fuzz/fuzz_pattern.c.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "harness/core/pattern.h"

/* Compiles pattern with flags, with its literals or without them. */
static inline struct pe_pattern *pe_reference_compile(const char *pattern,
						      size_t len,
						      const char *flags,
						      int literals)
{
	char err[256];
	size_t off;
	struct pe_pattern *re;

	if (!literals)
		setenv("PROMPTEVAL_LITERALS", "0", 1);
	re = pe_pattern_compile(pattern, len, flags, err, sizeof(err), &off);
	unsetenv("PROMPTEVAL_LITERALS");
	return re;
}

/*
 * What pe_pattern_count must count with literals: PCRE2 tried anchored
 * at every byte of the subject in turn (compiled as pattern.c compiles
 * it, JIT unless PROMPTEVAL_PCRE2_JIT is 0: on invalid UTF-8, PCRE2
 * 10.42's JIT and interpreter do not always agree), the leftmost match
 * counted and the next search begun at its end.  PCRE2's own search
 * differs from this in how it steps over the LF of a CRLF (see next_try
 * in pattern.c), and where it tries only where the search or a line
 * begins (when every branch starts with ^ or .*), which pattern.c leaves
 * to PCRE2.  Returns the count, -1 when a limit stopped it, -2 when
 * pattern.c does not skip by literals, or -3 when it does not compile.
 */
static inline long pe_reference_count(const char *pattern, size_t len,
				      const char *flags, const char *subject,
				      size_t subject_len, size_t stop_after)
{
	const char *jit = getenv("PROMPTEVAL_PCRE2_JIT");
	uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, all,
		 first;
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	pcre2_match_data *md;
	pcre2_code *code;
	PCRE2_SIZE off;
	long count = 0;
	int error;

	options |= strchr(flags, 'i') ? PCRE2_CASELESS : 0;
	options |= strchr(flags, 'm') ? PCRE2_MULTILINE : 0;
	options |= strchr(flags, 's') ? PCRE2_DOTALL : 0;
	pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
	code = pcre2_compile((PCRE2_SPTR)pattern, len, options, &error, &off,
			     cctx);
	if (!code) {
		pcre2_compile_context_free(cctx);
		return -3;
	}
	pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &all);
	pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &first);
	pcre2_code_free(code);
	if ((all & PCRE2_ANCHORED) || first == 2) {
		pcre2_compile_context_free(cctx);
		return -2;
	}
	code = pcre2_compile((PCRE2_SPTR)pattern, len, options | PCRE2_ANCHORED,
			     &error, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (!code)
		return -3;
	if (!jit || strcmp(jit, "0"))
		pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	md = pcre2_match_data_create_from_pattern(code, NULL);
	for (size_t at = 0; at <= subject_len; at++) {
		int n = pcre2_match(code, (PCRE2_SPTR)subject, subject_len, at,
				    0, md, NULL);
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

		/* The interpreter may answer an anchored search in a subject
		 * with invalid UTF-8 with a match further on. */
		if (n == PCRE2_ERROR_NOMATCH || (n > 0 && ov[0] != at))
			continue;
		if (n < 0) {
			count = -1;
			break;
		}
		count++;
		if (stop_after && (size_t)count >= stop_after)
			break;
		at = ov[1] > ov[0] ? ov[1] - 1 : ov[1];
	}
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return count;
}

/* The length of the valid UTF-8 character at s (n bytes left), or 0. */
static inline size_t pe_reference_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Whether s holds a CRLF or invalid UTF-8, where PCRE2's own answers vary. */
static inline int pe_reference_unsettled(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = pe_reference_utf8_len((const unsigned char *)s + i,
						 len - i);

		if (!n || (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			return 1;
		i += n;
	}
	return 0;
}

#endif
