#ifndef PE_DIAG_H
#define PE_DIAG_H
/*
 * Diagnostics: positioned errors and warnings about input files.  Loaders
 * record every problem they find here instead of stopping at the first, and
 * the command layer prints them, sorted by file and position, as
 * "file:line:col: error: message" (mandoc and compilers do the same).
 *
 * Each file keeps its first PE_DIAG_KEEP_PER_FILE diagnostics, and the
 * list its first PE_DIAG_KEEP_TOTAL; later ones are counted but not
 * kept, so hostile input (a million bad rows, or files) costs no more
 * than that, and the printer says how many more there were.  The counts
 * (pe_diag_count, pe_diag_count_file) include them.
 *
 * Marks are borrowed; pe_diag copies what it keeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/core/message.h"

/* A source position; line and col count from 1, 0 means unknown. */
struct pe_mark {
	const char *file;
	unsigned line;
	unsigned col;
};

/* One recorded diagnostic; read-only for callers. */
struct pe_diag_entry {
	char *file;
	unsigned line;
	unsigned col;
	enum pe_severity severity;
	char *message;
	size_t seq; /* insertion order, keeps sorting stable */
};

struct pe_diag;

enum { PE_DIAG_KEEP_PER_FILE = 100, PE_DIAG_KEEP_TOTAL = 1000 };

struct pe_diag *pe_diag_new(void);
void pe_diag_free(struct pe_diag *d);

void pe_diag_add(struct pe_diag *d, enum pe_severity severity,
		 const struct pe_mark *mark, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void pe_diag_vadd(struct pe_diag *d, enum pe_severity severity,
		  const struct pe_mark *mark, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
void pe_diag_error(struct pe_diag *d, const struct pe_mark *mark,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pe_diag_warning(struct pe_diag *d, const struct pe_mark *mark,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Unknown keys.  pe_diag_unknown_key warns about key, found in where (such
 * as "a cost evaluator"), naming hint as the key it may have meant, and
 * says what becomes of it: "it is ignored", or the note set with
 * pe_diag_set_unknown_note (which returns the one it replaces; NULL
 * restores "it is ignored").  pe_diag_unknown_keys counts those reported,
 * and gives the latest in *last (owned by d) when last is not NULL, so a
 * reader can tell whether some part of its input held one.
 */
const char *pe_diag_set_unknown_note(struct pe_diag *d, const char *note);
void pe_diag_unknown_key(struct pe_diag *d, const struct pe_mark *mark,
			 const char *key, const char *where, const char *hint);
size_t pe_diag_unknown_keys(const struct pe_diag *d, const char **last);
/* Counts an unknown key another diag has warned about, with no message. */
void pe_diag_count_unknown_key(struct pe_diag *d, const char *key);

/* Counts the diagnostics of one severity, kept or not. */
size_t pe_diag_count(const struct pe_diag *d, enum pe_severity severity);

/* The kept entries, for pe_diag_get. */
size_t pe_diag_len(const struct pe_diag *d);
const struct pe_diag_entry *pe_diag_get(const struct pe_diag *d, size_t i);

/* Counts the diagnostics of one severity recorded for file. */
size_t pe_diag_count_file(const struct pe_diag *d, const char *file,
			  enum pe_severity severity);

/*
 * True when file (or the list) has all the diagnostics it keeps, so that
 * a caller can skip work (finding a position) for one that would only be
 * counted.
 */
int pe_diag_file_full(const struct pe_diag *d, const char *file);

/* Sorts by file, line and column, keeping insertion order for ties. */
void pe_diag_sort(struct pe_diag *d);

/* Turns every warning into an error (for --strict). */
void pe_diag_promote_warnings(struct pe_diag *d);

/*
 * Prints one line per kept diagnostic, in the message format (message.h):
 * "file:line:col: severity: message", then a line for each file that
 * had more than it kept, and one for the files that had none kept.
 */
void pe_diag_print(const struct pe_diag *d, FILE *out);

#endif
