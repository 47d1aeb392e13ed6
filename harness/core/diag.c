/*
 * The diagnostics list.  Entries own copies of the file name and message so
 * that they outlive the document they describe.  Messages are one line:
 * any newline in a formatted message is replaced so that the output stays
 * "file:line:col: severity: message" per line.
 */
#include "harness/core/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct pe_diag {
	struct pe_diag_entry *entries;
	size_t len;
	size_t alloc;
};

/* Creates an empty list; free it with pe_diag_free. */
struct pe_diag *pe_diag_new(void)
{
	return xcalloc(1, sizeof(struct pe_diag));
}

/* Frees the list and every entry; NULL is a no-op. */
void pe_diag_free(struct pe_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->len; i++) {
		free(d->entries[i].file);
		free(d->entries[i].message);
	}
	free(d->entries);
	free(d);
}

/* Records a diagnostic; mark may be NULL for a file-less problem. */
void pe_diag_vadd(struct pe_diag *d, enum pe_severity severity,
		  const struct pe_mark *mark, const char *fmt, va_list ap)
{
	struct pe_diag_entry *e;

	pe_grow(&d->entries, &d->alloc, d->len + 1, sizeof(*d->entries));
	e = &d->entries[d->len];
	e->file = xstrdup(mark && mark->file ? mark->file : "");
	e->line = mark ? mark->line : 0;
	e->col = mark ? mark->col : 0;
	e->severity = severity;
	e->message = xstrvfmt(fmt, ap);
	for (char *p = e->message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	e->seq = d->len;
	d->len++;
}

/* Records a diagnostic of the given severity. */
void pe_diag_add(struct pe_diag *d, enum pe_severity severity,
		 const struct pe_mark *mark, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pe_diag_vadd(d, severity, mark, fmt, ap);
	va_end(ap);
}

/* Records an error. */
void pe_diag_error(struct pe_diag *d, const struct pe_mark *mark,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pe_diag_vadd(d, PE_SEV_ERROR, mark, fmt, ap);
	va_end(ap);
}

/* Records a warning. */
void pe_diag_warning(struct pe_diag *d, const struct pe_mark *mark,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pe_diag_vadd(d, PE_SEV_WARNING, mark, fmt, ap);
	va_end(ap);
}

/* Counts the diagnostics of one severity. */
size_t pe_diag_count(const struct pe_diag *d, enum pe_severity severity)
{
	size_t n = 0;

	for (size_t i = 0; i < d->len; i++)
		n += d->entries[i].severity == severity;
	return n;
}

/* Counts the diagnostics of one severity for one file. */
size_t pe_diag_count_file(const struct pe_diag *d, const char *file,
			  enum pe_severity severity)
{
	size_t n = 0;

	for (size_t i = 0; i < d->len; i++)
		n += d->entries[i].severity == severity &&
		     !strcmp(d->entries[i].file, file);
	return n;
}

/* Returns the number of entries. */
size_t pe_diag_len(const struct pe_diag *d)
{
	return d->len;
}

/* Returns entry i, borrowed until the list changes. */
const struct pe_diag_entry *pe_diag_get(const struct pe_diag *d, size_t i)
{
	return i < d->len ? &d->entries[i] : NULL;
}

static int compare_entries(const void *pa, const void *pb)
{
	const struct pe_diag_entry *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorts by position; the sequence number makes qsort stable. */
void pe_diag_sort(struct pe_diag *d)
{
	if (d->len > 1)
		qsort(d->entries, d->len, sizeof(*d->entries), compare_entries);
}

/* Turns every warning into an error. */
void pe_diag_promote_warnings(struct pe_diag *d)
{
	for (size_t i = 0; i < d->len; i++)
		d->entries[i].severity = PE_SEV_ERROR;
}

/* Prints every entry on its own line, in the message format. */
void pe_diag_print(const struct pe_diag *d, FILE *out)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; i < d->len; i++) {
		const struct pe_diag_entry *e = &d->entries[i];

		pe_message_line(&b, e->severity, e->file, e->line, e->col,
				e->message);
	}
	if (b.len)
		fwrite(b.data, 1, b.len, out);
	fflush(out);
	pe_buf_release(&b);
}
