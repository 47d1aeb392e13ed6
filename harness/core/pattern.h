#ifndef PE_PATTERN_H
#define PE_PATTERN_H
/*
 * Regular expressions: the only module that uses PCRE2.  Patterns are
 * compiled once, with JIT where available, and are then read-only; every
 * match call makes its own match data, so threads may share a pattern.
 * Counting skips ahead by the literals every match holds (literals.h).  A
 * match limit turns catastrophic backtracking into PE_ERR_LIMIT instead
 * of a hang.  Used by the regex and code evaluators, the JSON Schema
 * validator and run --filter.
 */
#include <stddef.h>

struct pe_pattern;

/*
 * Compiles pattern (len bytes, UTF-8) with flags, a string of "imsx".
 * PCRE2's syntax, plus Python's \uXXXX and \UXXXXXXXX escapes (read as
 * \x{...}).  Returns NULL on error and writes PCRE2's message to err and
 * the offset of the problem in the pattern (as written) to *erroffset.
 */
struct pe_pattern *pe_pattern_compile(const char *pattern, size_t len,
				      const char *flags, char *err,
				      size_t errsize, size_t *erroffset);

/*
 * Compiles an ECMA-262 pattern (a JSON Schema "pattern"), as far as PCRE2
 * can read JavaScript's syntax: \uXXXX and \u{X...} escapes, [] and [^]
 * classes, "." that stops at U+2028 and U+2029 as well as CR and LF, and
 * $ only at the very end of the subject; \d, \w and \b are ASCII, as in
 * JavaScript.  Errors as pe_pattern_compile.  NEEDSWORK: JavaScript's
 * legacy syntax (octal escapes, "\c" forms) follows PCRE2's rules.
 */
struct pe_pattern *pe_pattern_compile_ecma(const char *pattern, size_t len,
					   char *err, size_t errsize,
					   size_t *erroffset);
void pe_pattern_free(struct pe_pattern *re);

/*
 * Counts non-overlapping matches in subject, stopping once stop_after are
 * found (0: count all).  Returns 0, PE_ERR_LIMIT when the match limit was
 * hit, or PE_ERR_INVALID on another matching error (err says which).
 */
int pe_pattern_count(const struct pe_pattern *re, const char *subject,
		     size_t len, size_t stop_after, size_t *count, char *err,
		     size_t errsize);

/*
 * Whether re can match the empty string anywhere, so that every text
 * matches it, as far as trying tells: 1 when it matches the empty string
 * at some place in each of a set of short texts (empty, one character of
 * each kind, short mixes, and the pattern itself).  Without lookaround
 * and the other syntax that lets an empty match depend on the text near
 * it (conditions, atomic groups, possessive repeats, verbs, recursion,
 * callouts, \G), where it may match empty depends only on the kind of
 * place (start, end, line end, word edge), and those texts hold each
 * kind.  With it, the pattern must match at every place of every one of
 * them, so that ^(?!Sorry) is a check and (?=) is not; such a pattern
 * that matches every text may still get 1 only for a place where it does
 * not ((?!x) at the end of any text).
 */
int pe_pattern_empty_everywhere(const struct pe_pattern *re);

/* Writes the PCRE2 version into buf, for --version. */
void pe_pattern_version(char *buf, size_t size);

#endif
