#ifndef PE_PATTERN_H
#define PE_PATTERN_H
/*
 * Regular expressions: the only module that uses PCRE2.  Patterns are
 * compiled once, with JIT where available, and are then read-only; every
 * match call makes its own match data, so threads may share a pattern.  A
 * match limit turns catastrophic backtracking into PE_ERR_LIMIT instead
 * of a hang.  Used by the regex and code evaluators and by run --filter.
 */
#include <stddef.h>

struct pe_pattern;

/*
 * Compiles pattern (len bytes, UTF-8) with flags, a string of "imsx".
 * Returns NULL on error and writes PCRE2's message to err and the offset
 * of the problem in the pattern to *erroffset.
 */
struct pe_pattern *pe_pattern_compile(const char *pattern, size_t len,
				      const char *flags, char *err,
				      size_t errsize, size_t *erroffset);
void pe_pattern_free(struct pe_pattern *re);

/*
 * Counts non-overlapping matches in subject, stopping once stop_after are
 * found (0: count all).  Returns 0, PE_ERR_LIMIT when the match limit was
 * hit, or PE_ERR_INVALID on another matching error (err says which).
 */
int pe_pattern_count(const struct pe_pattern *re, const char *subject,
		     size_t len, size_t stop_after, size_t *count, char *err,
		     size_t errsize);

/* Writes the PCRE2 version into buf, for --version. */
void pe_pattern_version(char *buf, size_t size);

#endif
