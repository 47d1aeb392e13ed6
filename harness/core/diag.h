#ifndef PE_DIAG_H
#define PE_DIAG_H
/*
 * Diagnostics: positioned errors and warnings about input files.  Loaders
 * record every problem they find here instead of stopping at the first, and
 * the command layer prints them all, sorted by file and position, as
 * "file:line:col: error: message" (mandoc and compilers do the same).
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

size_t pe_diag_count(const struct pe_diag *d, enum pe_severity severity);
size_t pe_diag_len(const struct pe_diag *d);
const struct pe_diag_entry *pe_diag_get(const struct pe_diag *d, size_t i);

/* Counts the diagnostics of one severity recorded for file. */
size_t pe_diag_count_file(const struct pe_diag *d, const char *file,
			  enum pe_severity severity);

/* Sorts by file, line and column, keeping insertion order for ties. */
void pe_diag_sort(struct pe_diag *d);

/* Turns every warning into an error (for --strict). */
void pe_diag_promote_warnings(struct pe_diag *d);

/*
 * Prints one line per diagnostic, in the message format (message.h):
 * "file:line:col: severity: message".
 */
void pe_diag_print(const struct pe_diag *d, FILE *out);

#endif
