#ifndef PE_LITERALS_H
#define PE_LITERALS_H
/*
 * The literals that every match of a regular expression holds, read from
 * the pattern's syntax, so that the PCRE2 wrapper (pattern.c) can skip
 * the stretches of an answer where no match can start.  PCRE2 tries every
 * position whose first character could begin a match; for a
 * case-insensitive alternation of words over English text that is most
 * positions, and each try costs dozens of instructions.  The two rarest
 * bytes of a literal are looked for at 32 places a round instead.  The
 * same search finds one plain string (pe_literals_find) for the string
 * checks (evaluators/string.c).
 *
 * pe_literals_of gives a set of strings, each with the most bytes that
 * can come before it in a match: every match of the pattern contains one
 * of them, starting at most that many bytes after the match's start (or
 * anywhere, for a literal behind an unbounded repeat).  The reading is
 * conservative: a construct it does not know (backreferences, recursion,
 * backtracking verbs, \G, \K, \Q, callouts, conditionals, comments,
 * POSIX classes, extended mode, ...) or a pattern without a selective
 * enough literal gives no set, and PCRE2 searches alone.  Caseless
 * literals follow PCRE2's UTF caseless rules for ASCII, under which
 * U+212A KELVIN SIGN matches k and U+017F LATIN SMALL LETTER LONG S
 * matches s.
 *
 * A struct pe_literals is read-only once made, so threads may share it;
 * the state of one search lives in a struct pe_literals_scan.
 */
#include <stddef.h>

struct pe_literals;

/*
 * The literals of pattern (len bytes, the text PCRE2 compiles, which must
 * have compiled), caseless when the pattern starts caseless (PCRE2's
 * (?i) or PCRE2_CASELESS).  Returns NULL when the pattern has no set
 * worth searching for.
 */
struct pe_literals *pe_literals_of(const char *pattern, size_t len,
				   int caseless);
void pe_literals_free(struct pe_literals *l);

/* Where a search is: the next occurrence of each literal. */
struct pe_literals_scan {
	const struct pe_literals *l;
	const char *subject;
	size_t len;
	size_t *next; /* each literal's next occurrence, or len for none */
	size_t small[8];
};

/* Starts a search of subject (len bytes) for l's literals. */
void pe_literals_scan_init(struct pe_literals_scan *scan,
			   const struct pe_literals *l, const char *subject,
			   size_t len);
void pe_literals_scan_release(struct pe_literals_scan *scan);

/*
 * The first position at or after from where a match can start, or the
 * subject's length when none can.  *anywhere is set when that is only
 * because a literal follows an unbounded repeat, so that a match may
 * start anywhere before it: search from there as PCRE2 does.  Calls must
 * come with from never going back.
 */
size_t pe_literals_next_start(struct pe_literals_scan *scan, size_t from,
			      int *anywhere);

/*
 * The first position of needle (nlen bytes) in s (len bytes), byte for
 * byte as memmem finds it, or len when it does not occur (0 for an empty
 * needle).  Its time is linear in len.
 */
size_t pe_literals_find(const char *s, size_t len, const char *needle,
			size_t nlen);
#endif
