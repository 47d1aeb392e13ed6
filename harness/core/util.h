#ifndef PE_UTIL_H
#define PE_UTIL_H
/*
 * Small shared helpers: the allocation policy, the exit-status scale, error
 * codes and strict number parsing.  Every module includes this.
 *
 * Allocation: xmalloc() and friends print one message and exit with
 * PE_EXIT_SYSTEM when memory runs out, so callers never check for NULL.
 * Returned strings from x*dup are owned by the caller.
 */
#include <stddef.h>
#include <stdarg.h>

/* The exit-status scale, the same for every command (see README). */
enum pe_exit {
	PE_EXIT_OK = 0,		/* all good */
	PE_EXIT_FAILED = 1,	/* evaluations or gates failed */
	PE_EXIT_INCOMPLETE = 2, /* some cases errored */
	PE_EXIT_INVALID = 3,	/* invalid input, nothing sent */
	PE_EXIT_USAGE = 4,	/* usage error */
	PE_EXIT_SYSTEM = 5	/* system error */
};

/* Helper return codes: 0 on success, one of these (negative) on failure. */
enum pe_err {
	PE_OK = 0,
	PE_ERR_INVALID = -1, /* bad input; a diagnostic was recorded */
	PE_ERR_IO = -2,	     /* the operating system refused */
	PE_ERR_LIMIT = -3,   /* a size limit was reached */
	PE_ERR_USAGE = -4    /* bad command-line use */
};

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/*
 * Formatted text shorter than this many bytes is formatted once, on the
 * stack (xstrvfmt, pe_buf_vaddf); longer text is formatted a second
 * time, into memory of its length.
 */
enum { PE_FMT_STACK = 512 };
/* Formats into a new heap string owned by the caller. */
char *xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrvfmt(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

/*
 * Writes v as snprintf's "%.*f" with decimals (0 to 9) digits after the
 * point would, byte for byte, but faster for the figures reasons show;
 * returns the length, as snprintf does.  PE_FIXED_SIZE bytes hold any
 * double so written.
 */
enum { PE_FIXED_SIZE = 330 };
int pe_fmt_fixed(char *out, size_t size, double v, int decimals);

/*
 * vsnprintf, byte for byte, but faster for the conversions reasons use:
 * %s and %.Ns / %.*s (a string that is not NULL), %d, %i, %u, %ld,
 * %lu and %zu, %c, %% and %.Nf / %.*f with 0 to 9 decimals (through
 * pe_fmt_fixed).  A format with any other conversion, flag or width,
 * or a NULL string, is handed to vsnprintf whole.  Returns the length
 * the text has (as vsnprintf does), of which out holds what fits in
 * size bytes with a NUL.
 */
int pe_vsnprintf(char *out, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* snprintf, byte for byte, through pe_vsnprintf. */
int pe_snprintf(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Grows *items as pe_grow does, when want is more than *alloc. */
void pe_grow_to(void *items_ptr, size_t *alloc, size_t want, size_t elem_size);

/*
 * Grows *items (of *alloc elements of elem_size) so it holds at least
 * want.  Inline, as most calls find the room there: only growing calls
 * out.
 */
static inline void pe_grow(void *items_ptr, size_t *alloc, size_t want,
			   size_t elem_size)
{
	if (want > *alloc)
		pe_grow_to(items_ptr, alloc, want, elem_size);
}

/*
 * Strict number parsing: the whole string must be a number (no leading or
 * trailing junk, no empty string), within range.  Return 0 or PE_ERR_INVALID.
 */
int pe_parse_long(const char *s, long min, long max, long *out);
int pe_parse_double(const char *s, double *out);

/* Edit distance between a and b (case-insensitive, ASCII). */
size_t pe_edit_distance(const char *a, const char *b);

/* True when word is one of list's, which ends with NULL (or is NULL). */
int pe_listed(const char *const *list, const char *word);

/*
 * Returns the candidate closest to word when it is close enough to be a
 * plausible typo, or NULL.  The candidates list ends with NULL.
 */
const char *pe_suggest(const char *word, const char *const *candidates);

/* A copy of s (len bytes) cut to at most max bytes plus "...". */
char *pe_shorten(const char *s, size_t len, size_t max);

/* True when s ends with suffix. */
int pe_ends_with(const char *s, const char *suffix);

/* Returns 1 when a and b are both NULL or hold the same text. */
int pe_str_same(const char *a, const char *b);

#endif
