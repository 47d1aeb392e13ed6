/*
 * The PCRE2 wrapper.  Subjects are model output, so
 * they are matched with PCRE2_MATCH_INVALID_UTF: invalid UTF-8 in an answer
 * is data, not an error.  The match limit is high enough for ordinary
 * patterns over a 10 MB answer and low enough that (a+)+$ fails in well
 * under a second.  Python's \uXXXX and \UXXXXXXXX escapes, which
 * prompt files written for Python's re use and PCRE2 refuses, are
 * rewritten as \x{...}.  JSON Schema's patterns are ECMA-262 regular
 * expressions: pe_pattern_compile_ecma reads them with the PCRE2 options
 * closest to JavaScript's syntax.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "harness/core/pattern.h"

#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/literals.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MATCH_LIMIT = 20 * 1000 * 1000 };

struct pe_pattern {
	pcre2_code *code;
	/*
	 * The literals every match holds (literals.h), and the pattern
	 * compiled anchored to be tried at the starts near them; NULL when
	 * the pattern has none worth searching for, or PROMPTEVAL_LITERALS
	 * is 0 (for the tests that compare the two ways).
	 */
	struct pe_literals *literals;
	pcre2_code *anchored;
	/* Which of code and anchored pcre2_jit_compile compiled. */
	int code_jit, anchored_jit;
	int required;	/* with literals: a byte every match has, or -1 */
	uint32_t pairs; /* the ovector pairs a match needs: captures + 1 */
	pcre2_match_context *mctx; /* read-only once built */
	/* The pattern as compiled, for pe_pattern_empty_everywhere. */
	char *source;
	size_t source_len;
	uint32_t options;
	uint32_t extra;
};

/*
 * Reads the literals of re's pattern (literals.h) and compiles the
 * anchored copy that is tried near them.  Extended mode reads the
 * pattern otherwise, so it gets none; nor does a pattern PCRE2 tries only
 * where the search begins or a line does (every branch starts with ^,
 * \A, \G or .*), or only at a byte past ASCII (é...), which it already
 * skips to quickly.  PCRE2 also knows a byte every match holds, if any:
 * without it in the subject, it looks no further, and nor does the count.
 */
static void find_literals(struct pe_pattern *re, const char *pattern,
			  size_t len, uint32_t options,
			  pcre2_compile_context *cctx)
{
	PCRE2_SIZE off;
	uint32_t all = 0, first = 0, last = 0, unit = 0;
	int code;

	pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &all);
	pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODETYPE, &first);
	if (first == 1)
		pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODEUNIT, &unit);
	if ((options & PCRE2_EXTENDED) || (all & PCRE2_ANCHORED) ||
	    first == 2 || (first == 1 && unit >= 0x80) ||
	    pe_str_same(getenv("PROMPTEVAL_LITERALS"), "0"))
		return;
	pcre2_pattern_info(re->code, PCRE2_INFO_LASTCODETYPE, &last);
	if (last == 1)
		pcre2_pattern_info(re->code, PCRE2_INFO_LASTCODEUNIT, &unit);
	/* Caseless, k and s also match characters past ASCII (literals.h):
	 * no byte of those tells. */
	re->required = last == 1 && unit < 0x80 && !strchr("kKsS", (int)unit)
			       ? (int)unit
			       : -1;
	re->literals =
		pe_literals_of(pattern, len, !!(options & PCRE2_CASELESS));
	if (!re->literals)
		return;
	re->anchored = pcre2_compile(
		(PCRE2_SPTR)pattern, len,
		options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ANCHORED,
		&code, &off, cctx);
	if (!re->anchored) {
		pe_literals_free(re->literals);
		re->literals = NULL;
		return;
	}

	if (!pe_str_same(getenv("PROMPTEVAL_PCRE2_JIT"), "0"))
		re->anchored_jit =
			!pcre2_jit_compile(re->anchored, PCRE2_JIT_COMPLETE);
}

/*
 * Compiles pattern with PCRE2 options and extra options; JIT where it can.
 * Returns NULL with PCRE2's message in err and the offset in *erroffset.
 */
static struct pe_pattern *compile(const char *pattern, size_t len,
				  uint32_t options, uint32_t extra,
				  int with_literals, char *err, size_t errsize,
				  size_t *erroffset)
{
	struct pe_pattern *re = xcalloc(1, sizeof(*re));
	pcre2_compile_context *cctx;
	PCRE2_SIZE off = 0;
	int code = 0;

	/* Model output may use CRLF: let ^ and $ see either line end. */
	cctx = pcre2_compile_context_create(NULL);
	pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
	pcre2_set_compile_extra_options(cctx, extra);
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len,
				 options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				 &code, &off, cctx);
	if (!re->code) {
		PCRE2_UCHAR msg[256];

		pcre2_compile_context_free(cctx);
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errsize, "%s", (const char *)msg);
		*erroffset = off;
		free(re);
		return NULL;
	}
	/*
	 * Without JIT the interpreter runs; only speed differs.
	 * PROMPTEVAL_PCRE2_JIT=0 turns JIT off for memory checkers: its
	 * machine code reads ahead of the subject on purpose, which valgrind
	 * reports as a use of uninitialised memory.
	 */
	if (!pe_str_same(getenv("PROMPTEVAL_PCRE2_JIT"), "0"))
		re->code_jit = !pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	if (with_literals)
		find_literals(re, pattern, len, options, cctx);
	pcre2_compile_context_free(cctx);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->pairs);
	re->pairs++;
	re->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, 100000);
	re->source = xmalloc(len + 1);
	memcpy(re->source, pattern, len);
	re->source[len] = '\0';
	re->source_len = len;
	re->options = options;
	re->extra = extra;
	return re;
}

/*
 * Where a rewrite ended in the rewritten pattern, and how many bytes the
 * rewrites up to there saved: an error offset past out_end lies that
 * much further on in the pattern as written.
 */
struct shift {
	size_t out_end;
	ptrdiff_t saved; /* negative: the rewrites added bytes */
};

/* The number of hex digits at p (at most max, within len). */
static size_t hex_digits(const char *p, size_t len, size_t max)
{
	size_t n = 0;

	while (n < max && n < len && isxdigit((unsigned char)p[n]))
		n++;
	return n;
}

/*
 * Rewrites Python's \uXXXX and \UXXXXXXXX escapes, which PCRE2 refuses,
 * as \x{...}, outside \Q...\E; every other escape is PCRE2's to read.
 */
static void rewrite_python(const char *p, size_t len, struct pe_buf *out,
			   struct shift **shifts, size_t *nshifts)
{
	size_t alloc = 0;
	ptrdiff_t saved = 0;
	int quoted = 0;

	for (size_t i = 0; i < len; i++) {
		size_t want;

		/* Within \Q...\E only \E means anything, as PCRE2 reads it. */
		if (quoted) {
			if (p[i] == '\\' && i + 1 < len && p[i + 1] == 'E') {
				quoted = 0;
				pe_buf_add(out, p + i, 2);
				i++;
			} else {
				pe_buf_addc(out, p[i]);
			}
			continue;
		}
		if (p[i] != '\\' || i + 1 >= len) {
			pe_buf_addc(out, p[i]);
			continue;
		}
		if (p[i + 1] != 'u' && p[i + 1] != 'U') {
			quoted = p[i + 1] == 'Q';
			pe_buf_add(out, p + i, 2);
			i++;
			continue;
		}
		want = p[i + 1] == 'u' ? 4 : 8;
		if (hex_digits(p + i + 2, len - i - 2, want) != want) {
			pe_buf_add(out, p + i, 2);
			i++;
			continue;
		}
		pe_buf_adds(out, "\\x{");
		pe_buf_add(out, p + i + 2, want);
		pe_buf_addc(out, '}');
		saved -= 2;
		pe_grow(shifts, &alloc, *nshifts + 1, sizeof(**shifts));
		(*shifts)[(*nshifts)++] = (struct shift){ out->len, saved };
		i += 1 + want;
	}
}

/* Moves an error offset in rewritten back to the pattern as written. */
static void shift_back(const struct shift *shifts, size_t nshifts,
		       size_t *erroffset)
{
	for (size_t i = nshifts; i-- > 0;) {
		if (*erroffset >= shifts[i].out_end) {
			*erroffset = (size_t)((ptrdiff_t)*erroffset +
					      shifts[i].saved);
			break;
		}
	}
}

/* Compiles a pattern; see pattern.h. */
struct pe_pattern *pe_pattern_compile(const char *pattern, size_t len,
				      const char *flags, char *err,
				      size_t errsize, size_t *erroffset)
{
	uint32_t options = 0;
	struct pe_buf rewritten;
	struct shift *shifts = NULL;
	size_t nshifts = 0;
	struct pe_pattern *re;

	for (const char *f = flags ? flags : ""; *f; f++) {
		switch (*f) {
		case 'i':
			options |= PCRE2_CASELESS;
			break;
		case 'm':
			options |= PCRE2_MULTILINE;
			break;
		case 's':
			options |= PCRE2_DOTALL;
			break;
		case 'x':
			options |= PCRE2_EXTENDED;
			break;
		default:
			snprintf(err, errsize,
				 "unknown flag '%c' (use i, m, s, x)", *f);
			*erroffset = 0;
			return NULL;
		}
	}
	pe_buf_init(&rewritten, 0);
	rewrite_python(pattern, len, &rewritten, &shifts, &nshifts);
	/*
	 * PCRE2_UCP: \b, \w, \d, \s and the POSIX classes are Unicode's,
	 * as in Python's re, so \bcafé\b finds "café".
	 */
	re = compile(rewritten.data ? rewritten.data : "", rewritten.len,
		     options | PCRE2_UCP, 0, 1, err, errsize, erroffset);
	if (!re)
		shift_back(shifts, nshifts, erroffset);
	free(shifts);
	pe_buf_release(&rewritten);
	return re;
}

/* ECMA-262's long General_Category names, which PCRE2 spells short. */
static const char *const category_names[][2] = {
	{ "Letter", "L" },
	{ "Cased_Letter", "LC" },
	{ "Uppercase_Letter", "Lu" },
	{ "Lowercase_Letter", "Ll" },
	{ "Titlecase_Letter", "Lt" },
	{ "Modifier_Letter", "Lm" },
	{ "Other_Letter", "Lo" },
	{ "Mark", "M" },
	{ "Combining_Mark", "M" },
	{ "Nonspacing_Mark", "Mn" },
	{ "Spacing_Mark", "Mc" },
	{ "Enclosing_Mark", "Me" },
	{ "Number", "N" },
	{ "Decimal_Number", "Nd" },
	{ "digit", "Nd" },
	{ "Letter_Number", "Nl" },
	{ "Other_Number", "No" },
	{ "Punctuation", "P" },
	{ "punct", "P" },
	{ "Connector_Punctuation", "Pc" },
	{ "Dash_Punctuation", "Pd" },
	{ "Open_Punctuation", "Ps" },
	{ "Close_Punctuation", "Pe" },
	{ "Initial_Punctuation", "Pi" },
	{ "Final_Punctuation", "Pf" },
	{ "Other_Punctuation", "Po" },
	{ "Symbol", "S" },
	{ "Math_Symbol", "Sm" },
	{ "Currency_Symbol", "Sc" },
	{ "Modifier_Symbol", "Sk" },
	{ "Other_Symbol", "So" },
	{ "Separator", "Z" },
	{ "Space_Separator", "Zs" },
	{ "Line_Separator", "Zl" },
	{ "Paragraph_Separator", "Zp" },
	{ "Other", "C" },
	{ "Control", "Cc" },
	{ "cntrl", "Cc" },
	{ "Format", "Cf" },
	{ "Surrogate", "Cs" },
	{ "Private_Use", "Co" },
	{ "Unassigned", "Cn" },
};

/*
 * The PCRE2 spelling of the name in an ECMA-262 \p{name}: a long
 * General_Category name (also after "General_Category=" or "gc=") becomes
 * its short one; any other name is PCRE2's to judge.
 */
static const char *property_name(const char *name, size_t len, size_t *out_len)
{
	static const char *const prefixes[] = { "General_Category=", "gc=" };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);

		if (len > n && !strncmp(name, prefixes[i], n)) {
			name += n;
			len -= n;
		}
	}
	for (size_t i = 0; i < sizeof(category_names) / sizeof(*category_names);
	     i++) {
		if (strlen(category_names[i][0]) == len &&
		    !strncmp(name, category_names[i][0], len)) {
			*out_len = strlen(category_names[i][1]);
			return category_names[i][1];
		}
	}
	*out_len = len;
	return name;
}

/* JavaScript's ".": anything but its four line terminators. */
#define ECMA_DOT "[^\\n\\r\\u2028\\u2029]"
/*
 * JavaScript's white space and line terminators, which its \s matches
 * (PCRE2's \s without UCP is ASCII's), as members of a class.
 */
#define ECMA_SPACE                                                             \
	"\\t\\n\\x0b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029"        \
	"\\u202f\\u205f\\u3000\\ufeff"

/*
 * Rewrites the \p{...} and \P{...} escapes of an ECMA-262 pattern, and
 * its "." outside classes as ECMA_DOT (PCRE2's "." stops only at CR and
 * LF here).
 */
static void rewrite_ecma(const char *p, size_t len, struct pe_buf *out,
			 struct shift **shifts, size_t *nshifts)
{
	size_t alloc = 0;
	ptrdiff_t saved = 0;
	int in_class = 0;

	for (size_t i = 0; i < len; i++) {
		const char *close;
		const char *name;
		size_t name_len;

		if (p[i] == '.' && !in_class) {
			pe_buf_add(out, ECMA_DOT, sizeof(ECMA_DOT) - 1);
			saved -= (ptrdiff_t)sizeof(ECMA_DOT) - 2;
			pe_grow(shifts, &alloc, *nshifts + 1, sizeof(**shifts));
			(*shifts)[(*nshifts)++] =
				(struct shift){ out->len, saved };
			continue;
		}
		/* A class ends at its first "]", so "[]" is empty, as in JS. */
		if (p[i] == '[' || p[i] == ']')
			in_class = p[i] == '[';
		if (p[i] != '\\' || i + 1 >= len) {
			pe_buf_addc(out, p[i]);
			continue;
		}
		close = i + 2 < len && p[i + 2] == '{'
				? memchr(p + i + 3, '}', len - i - 3)
				: NULL;
		if ((p[i + 1] == 's' || (p[i + 1] == 'S' && !in_class))) {
			/*
			 * \s as JavaScript reads it; \S too, but inside a
			 * class, where a negated set cannot be a member, it
			 * stays PCRE2's (only ASCII white space is not \S).
			 */
			size_t before = out->len;

			if (!in_class)
				pe_buf_adds(out, p[i + 1] == 'S' ? "[^" : "[");
			pe_buf_adds(out, ECMA_SPACE);
			if (!in_class)
				pe_buf_addc(out, ']');
			saved -= (ptrdiff_t)(out->len - before) - 2;
			pe_grow(shifts, &alloc, *nshifts + 1, sizeof(**shifts));
			(*shifts)[(*nshifts)++] =
				(struct shift){ out->len, saved };
			i++;
			continue;
		}
		if ((p[i + 1] != 'p' && p[i + 1] != 'P') || !close) {
			pe_buf_add(out, p + i, 2);
			i++;
			continue;
		}
		name = property_name(p + i + 3, (size_t)(close - p - i - 3),
				     &name_len);
		pe_buf_add(out, p + i, 3);
		pe_buf_add(out, name, name_len);
		pe_buf_addc(out, '}');
		saved += (close - p - (ptrdiff_t)i - 3) - (ptrdiff_t)name_len;
		pe_grow(shifts, &alloc, *nshifts + 1, sizeof(**shifts));
		(*shifts)[(*nshifts)++] = (struct shift){ out->len, saved };
		i = (size_t)(close - p);
	}
}

/*
 * Compiles an ECMA-262 pattern; see pattern.h.  ALT_BSUX reads \uXXXX
 * (and, with the extra option, \u{X...}) as JavaScript does; an empty
 * class [] matches nothing and [^] any character; $ matches only at the
 * very end, not before a final newline.
 */
struct pe_pattern *pe_pattern_compile_ecma(const char *pattern, size_t len,
					   char *err, size_t errsize,
					   size_t *erroffset)
{
	struct pe_buf rewritten;
	struct shift *shifts = NULL;
	size_t nshifts = 0;
	struct pe_pattern *re;

	pe_buf_init(&rewritten, 0);
	rewrite_ecma(pattern, len, &rewritten, &shifts, &nshifts);
	re = compile(rewritten.data ? rewritten.data : "", rewritten.len,
		     PCRE2_ALT_BSUX | PCRE2_ALLOW_EMPTY_CLASS |
			     PCRE2_DOLLAR_ENDONLY,
		     PCRE2_EXTRA_ALT_BSUX, 0, err, errsize, erroffset);
	if (!re)
		shift_back(shifts, nshifts, erroffset);
	free(shifts);
	pe_buf_release(&rewritten);
	return re;
}

/* Frees a pattern; NULL is a no-op. */
void pe_pattern_free(struct pe_pattern *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	pcre2_code_free(re->anchored);
	pe_literals_free(re->literals);
	free(re->source);
	free(re);
}

/*
 * Matches code in subject from start: pcre2_match's result, the match in
 * md.  Code that JIT compiled is run by pcre2_jit_match, which leaves out
 * pcre2_match's checks of its arguments: none can fail here (the subject
 * is not checked for UTF-8 either way, under PCRE2_MATCH_INVALID_UTF).
 * *interpreted is set when PCRE2's interpreter ran, which leaves its
 * backtracking frames in md.
 */
static int match_from(const struct pe_pattern *re, const pcre2_code *code,
		      const char *subject, size_t len, size_t start,
		      pcre2_match_data *md, int *interpreted)
{
	int jit = code == re->code ? re->code_jit : re->anchored_jit;
	int n = jit ? pcre2_jit_match(code, (PCRE2_SPTR)subject, len, start, 0,
				      md, re->mctx)
		    : pcre2_match(code, (PCRE2_SPTR)subject, len, start, 0, md,
				  re->mctx);

	*interpreted |= !jit;
	/*
	 * The JIT stack (32 KB) is small for patterns that recurse once per
	 * character, such as (?:.|\n)*; the interpreter keeps its
	 * backtracking on the heap, bounded by the match limit.
	 */
	if (n == PCRE2_ERROR_JIT_STACKLIMIT) {
		n = pcre2_match(code, (PCRE2_SPTR)subject, len, start,
				PCRE2_NO_JIT, md, re->mctx);
		*interpreted = 1;
	}
	return n;
}

/*
 * Failed tries near literals after which a count gives up on them and
 * lets PCRE2 search alone, when there has been more than one try for
 * every BYTES_PER_TRY bytes of the subject: the literals are common
 * there, or each try is long (".*" to the end of a line), where PCRE2's
 * own search does better.
 */
enum { FREE_TRIES = 32, BYTES_PER_TRY = 32 };

/* Where a count is. */
struct search {
	struct pe_literals_scan scan;
	size_t failed; /* anchored tries that found nothing */
	int alone;     /* PCRE2 searches alone from here on */
};

/*
 * Where to try next for a match at or after cursor, and with which code:
 * without literals, PCRE2 searches from cursor; with them, the anchored code is tried at each start
 * near an occurrence, and PCRE2 searches only from where a literal behind
 * an unbounded repeat says that a match may lie anywhere before it, or
 * from where the count gave up on them.  Every match holds a literal, so
 * it starts where a character does.  Returns len + 1 when no match can
 * follow.
 *
 * A match may start at the LF of a CRLF, as it does when PCRE2's JIT
 * skips ahead to a character that can begin one; when it cannot skip
 * ahead (and with JIT off), PCRE2 steps over the LF unless the pattern
 * names CR or LF.  The two can differ on a pattern such as \sword.
 */
static size_t next_try(const struct pe_pattern *re, struct search *st,
		       const char *subject, size_t len, size_t cursor,
		       const pcre2_code **code)
{
	size_t at;
	int anywhere;

	*code = re->code;
	if (!re->literals)
		return cursor;
	while (cursor < len &&
	       pe_utf8_continues((unsigned char)subject[cursor]))
		cursor++;
	if (st->alone)
		return cursor;
	for (;;) {
		at = pe_literals_next_start(&st->scan, cursor, &anywhere);
		if (at >= len)
			return len + 1;
		if (!pe_utf8_continues((unsigned char)subject[at]))
			break;
		cursor = at + 1;
	}
	if (!anywhere)
		*code = re->anchored;
	return at;
}

/*
 * The match data of this thread's counts, kept from one count to the
 * next (a count makes and frees none), and grown when a pattern has more
 * captures than it holds; freed when the thread ends.  PCRE2 (since
 * 10.41) also keeps the interpreter's backtracking frames in it, which
 * can reach megabytes on a long answer: a count that ran the interpreter
 * frees it (drop_match_data), so that no thread holds them after.
 */
struct match_cache {
	pcre2_match_data *md;
	uint32_t pairs;
};

static pthread_key_t match_key;
static pthread_once_t match_once = PTHREAD_ONCE_INIT;
static int match_key_made;
/* This thread's, once made; the key's destructor frees it. */
static _Thread_local struct match_cache *match_cache;

static void free_match_cache(void *p)
{
	struct match_cache *c = p;

	pcre2_match_data_free(c->md);
	free(c);
	match_cache = NULL;
}

/* Frees this thread's match data, and its frames with it. */
static void drop_match_data(void)
{
	pcre2_match_data_free(match_cache->md);
	match_cache->md = NULL;
	match_cache->pairs = 0;
}

static void make_match_key(void)
{
	match_key_made = !pthread_key_create(&match_key, free_match_cache);
}

/*
 * Match data for re, with *owned set when the caller must free it (the
 * thread's could not be kept).
 */
static pcre2_match_data *match_data(const struct pe_pattern *re, int *owned)
{
	struct match_cache *c = match_cache;

	if (!c) {
		pthread_once(&match_once, make_match_key);
		c = xcalloc(1, sizeof(*c));
		if (!match_key_made || pthread_setspecific(match_key, c)) {
			free(c);
			*owned = 1;
			return pcre2_match_data_create(re->pairs, NULL);
		}
		match_cache = c;
	}
	*owned = 0;
	if (c->pairs < re->pairs) {
		pcre2_match_data_free(c->md);
		c->md = pcre2_match_data_create(re->pairs, NULL);
		c->pairs = c->md ? re->pairs : 0;
	}
	return c->md;
}

/* Whether subject holds byte c, in either case for a letter. */
static int holds(const char *subject, size_t len, int c)
{
	int other = c >= 'a' && c <= 'z'   ? c - 32
		    : c >= 'A' && c <= 'Z' ? c + 32
					   : c;

	return memchr(subject, c, len) ||
	       (other != c && memchr(subject, other, len));
}

/* Counts matches; see pattern.h. */
int pe_pattern_count(const struct pe_pattern *re, const char *subject,
		     size_t len, size_t stop_after, size_t *count, char *err,
		     size_t errsize)
{
	pcre2_match_data *md;
	struct search st = { 0 };
	size_t cursor = 0; /* where the next match may start */
	int rc = PE_OK, owned, interpreted = 0;

	*count = 0;
	if (re->literals && re->required >= 0 &&
	    !holds(subject, len, re->required))
		return PE_OK;
	md = match_data(re, &owned);
	if (!md) {
		snprintf(err, errsize, "out of memory");
		return PE_ERR_LIMIT;
	}
	if (re->literals)
		pe_literals_scan_init(&st.scan, re->literals, subject, len);
	while (cursor <= len) {
		const pcre2_code *code;
		size_t at = next_try(re, &st, subject, len, cursor, &code);
		int n = at > len ? PCRE2_ERROR_NOMATCH
				 : match_from(re, code, subject, len, at, md,
					      &interpreted);
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

		/*
		 * PCRE2 10.42's interpreter (JIT off) may answer an anchored
		 * search in a subject with invalid UTF-8 with a match that
		 * starts further on, where the next valid stretch does.
		 */
		if (n > 0 && code == re->anchored && ov[0] != at)
			n = PCRE2_ERROR_NOMATCH;
		if (n == PCRE2_ERROR_NOMATCH && code == re->anchored) {
			if (++st.failed > FREE_TRIES &&
			    st.failed * BYTES_PER_TRY > at)
				st.alone = 1;
			cursor = at + 1;
			continue;
		}
		if (n == PCRE2_ERROR_NOMATCH)
			break;
		if (n < 0) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(n, msg, sizeof(msg));
			snprintf(err, errsize, "%s", (const char *)msg);
			rc = n == PCRE2_ERROR_MATCHLIMIT ||
					     n == PCRE2_ERROR_DEPTHLIMIT ||
					     n == PCRE2_ERROR_JIT_STACKLIMIT
				     ? PE_ERR_LIMIT
				     : PE_ERR_INVALID;
			break;
		}
		(*count)++;
		if (stop_after && *count >= stop_after)
			break;
		if (ov[1] > ov[0]) {
			cursor = ov[1];
		} else {
			/* An empty match: step over one whole character. */
			cursor = ov[1] + 1;
			while (cursor < len &&
			       pe_utf8_continues(
				       (unsigned char)subject[cursor]))
				cursor++;
		}
	}
	if (re->literals)
		pe_literals_scan_release(&st.scan);
	if (owned)
		pcre2_match_data_free(md);
	else if (interpreted)
		drop_match_data();
	return rc;
}

/*
 * The texts pe_pattern_empty_everywhere tries: the empty text, one
 * character of each kind a zero-width assertion tells apart (ASCII and
 * other letters, a digit, white space, punctuation, LF, CR and CRLF), and
 * short mixes of them, so that each kind of start, end, line end and
 * word edge is in one of them.
 */
static const char *const empty_probes[] = {
	"",
	"a",
	"Z",
	"9",
	"\xc3\xa9",
	" ",
	"\t",
	".",
	"-",
	"\n",
	"\r",
	"\r\n",
	"ab",
	"..",
	"  ",
	"\n\n",
	"a b",
	" a ",
	"a\n",
	"\na",
	"a.",
	".a",
	"a\r\nb",
	"Z9 .\n",
	"\xc3\xbc"
	"ber caf\xc3\xa9",
};

/*
 * Syntax with which an empty match can depend on the text around it
 * (lookaround, conditions, atomic groups and possessive repeats, verbs,
 * recursion, callouts, \G and \g), or can be written like it: a pattern
 * with any of these must match at every place of every probe.
 */
static const char *const text_tests[] = {
	"(?=",	"(?!", "(?<=", "(?<!", "(*",  "(?(", "(?>", "(?C", "(?R", "(?&",
	"(?P>", "(?+", "(?-",  "(?0",  "(?1", "(?2", "(?3", "(?4", "(?5", "(?6",
	"(?7",	"(?8", "(?9",  "\\G",  "\\g", "*+",  "++",  "?+",  "}+",  NULL
};

/* Where a probe match started: the final callout compares with it. */
struct empty_probe {
	size_t pattern_len;
	size_t start;
	int any_length; /* let a match that read text stand */
};

/* Makes a match that reaches the pattern's end having read text fail. */
static int only_empty(pcre2_callout_block *cb, void *data)
{
	const struct empty_probe *probe = data;

	return !probe->any_length && cb->next_item_length == 0 &&
	       cb->pattern_position == probe->pattern_len &&
	       cb->current_position != probe->start;
}

/*
 * Whether code (compiled with only_empty as its callout) matches the
 * empty string at some character boundary of text, or, when everywhere,
 * matches (empty or not) at each of them.
 */
static int empty_in(const pcre2_code *code, pcre2_match_context *mctx,
		    pcre2_match_data *md, struct empty_probe *probe,
		    const char *text, size_t len, int everywhere)
{
	for (size_t at = 0; at <= len; at++) {
		int found;

		if (at < len && pe_utf8_continues((unsigned char)text[at]))
			continue;
		probe->start = at;
		found = pcre2_match(code, (PCRE2_SPTR)text, len, at,
				    PCRE2_ANCHORED, md, mctx) >= 0;
		if (found != everywhere)
			return found;
	}
	return everywhere;
}

/* Tells whether re can match the empty string anywhere; see pattern.h. */
int pe_pattern_empty_everywhere(const struct pe_pattern *re)
{
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	pcre2_code *code;
	struct empty_probe probe = { re->source_len, 0, 0 };
	PCRE2_SIZE off;
	int rc, everywhere = 0, empty = 1;

	/*
	 * The automatic callout at the end of the pattern refuses a match
	 * that read text, so PCRE2 backtracks to an empty one if there is
	 * one.  Without auto-possession and the start-up optimisations,
	 * which may skip callouts, every such path is tried.
	 */
	pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
	pcre2_set_compile_extra_options(cctx, re->extra);
	code = pcre2_compile(
		(PCRE2_SPTR)re->source, re->source_len,
		re->options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
			PCRE2_AUTO_CALLOUT | PCRE2_NO_AUTO_POSSESS |
			PCRE2_NO_START_OPTIMIZE | PCRE2_NO_DOTSTAR_ANCHOR,
		&rc, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (!code)
		return 0;
	for (size_t i = 0; text_tests[i] && !everywhere; i++)
		everywhere = pe_literals_find(
				     re->source, re->source_len, text_tests[i],
				     strlen(text_tests[i])) < re->source_len;
	/* \d*+ reads the 9 of "9" and cannot give it back, yet matches. */
	probe.any_length = everywhere;
	mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(mctx, 100000);
	pcre2_set_callout(mctx, only_empty, &probe);
	md = pcre2_match_data_create_from_pattern(code, NULL);
	for (size_t i = 0;
	     empty && i < sizeof(empty_probes) / sizeof(*empty_probes); i++)
		empty = empty_in(code, mctx, md, &probe, empty_probes[i],
				 strlen(empty_probes[i]), everywhere);
	/* The pattern's own text holds what a lookahead may be about. */
	if (empty)
		empty = empty_in(code, mctx, md, &probe, re->source,
				 re->source_len, everywhere);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mctx);
	pcre2_code_free(code);
	return empty;
}

/* Writes PCRE2's version string into buf. */
void pe_pattern_version(char *buf, size_t size)
{
	char version[64] = "";

	pcre2_config(PCRE2_CONFIG_VERSION, version);
	snprintf(buf, size, "%s", version);
}
