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
#include "harness/core/index.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* What one file has had: every count, kept or not. */
struct file_tally {
	char *file;
	size_t kept;
	size_t count[2]; /* by enum pe_severity */
	size_t shown[2]; /* those of count that are kept */
};

struct pe_diag {
	struct pe_diag_entry *entries;
	size_t len;
	size_t alloc;
	struct file_tally *files;
	size_t nfiles;
	size_t files_alloc;
	struct pe_index file_index;
	size_t count[2];	  /* by enum pe_severity */
	size_t unknown_keys;	  /* unknown keys reported */
	char *last_unknown_key;	  /* the latest of them */
	const char *unknown_note; /* what becomes of them, or NULL */
};

static const char *tally_key(const void *files, size_t i, size_t *len)
{
	const char *file = ((const struct file_tally *)files)[i].file;

	*len = strlen(file);
	return file;
}

/* Creates an empty list; free it with pe_diag_free. */
struct pe_diag *pe_diag_new(void)
{
	struct pe_diag *d = xcalloc(1, sizeof(struct pe_diag));

	pe_index_init(&d->file_index, tally_key);
	return d;
}

static struct file_tally *find_tally(const struct pe_diag *d, const char *file)
{
	long at = pe_index_find(&d->file_index, d->files, file, strlen(file));

	return at < 0 ? NULL : &d->files[at];
}

static struct file_tally *get_tally(struct pe_diag *d, const char *file)
{
	struct file_tally *t = find_tally(d, file);

	if (t)
		return t;
	pe_grow(&d->files, &d->files_alloc, d->nfiles + 1, sizeof(*d->files));
	t = &d->files[d->nfiles];
	memset(t, 0, sizeof(*t));
	t->file = xstrdup(file);
	pe_index_add(&d->file_index, d->files, d->nfiles++);
	return t;
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
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i].file);
	free(d->files);
	free(d->last_unknown_key);
	pe_index_release(&d->file_index);
	free(d);
}

/* Records a diagnostic; mark may be NULL for a file-less problem. */
void pe_diag_vadd(struct pe_diag *d, enum pe_severity severity,
		  const struct pe_mark *mark, const char *fmt, va_list ap)
{
	const char *file = mark && mark->file ? mark->file : "";
	struct file_tally *t = get_tally(d, file);
	struct pe_diag_entry *e;

	t->count[severity]++;
	d->count[severity]++;
	if (t->kept >= PE_DIAG_KEEP_PER_FILE || d->len >= PE_DIAG_KEEP_TOTAL)
		return;
	t->kept++;
	t->shown[severity]++;
	pe_grow(&d->entries, &d->alloc, d->len + 1, sizeof(*d->entries));
	e = &d->entries[d->len];
	e->file = xstrdup(file);
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

/* Counts the diagnostics of one severity, kept or not. */
size_t pe_diag_count(const struct pe_diag *d, enum pe_severity severity)
{
	return d->count[severity];
}

/* Counts the diagnostics of one severity for one file. */
size_t pe_diag_count_file(const struct pe_diag *d, const char *file,
			  enum pe_severity severity)
{
	const struct file_tally *t = find_tally(d, file);

	return t ? t->count[severity] : 0;
}

/* True when file keeps no more diagnostics; see diag.h. */
int pe_diag_file_full(const struct pe_diag *d, const char *file)
{
	const struct file_tally *t = find_tally(d, file ? file : "");

	return d->len >= PE_DIAG_KEEP_TOTAL ||
	       (t && t->kept >= PE_DIAG_KEEP_PER_FILE);
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
	for (size_t i = 0; i < d->nfiles; i++) {
		struct file_tally *t = &d->files[i];

		t->count[PE_SEV_ERROR] += t->count[PE_SEV_WARNING];
		t->count[PE_SEV_WARNING] = 0;
		t->shown[PE_SEV_ERROR] += t->shown[PE_SEV_WARNING];
		t->shown[PE_SEV_WARNING] = 0;
	}
	d->count[PE_SEV_ERROR] += d->count[PE_SEV_WARNING];
	d->count[PE_SEV_WARNING] = 0;
}

/*
 * Says how many diagnostics were counted but not kept: of file, or (file
 * NULL) of the files that kept none.
 */
static void add_not_shown(struct pe_buf *b, const char *file, size_t kept,
			  size_t errors, size_t warnings, size_t files)
{
	char *text;

	if (!errors && !warnings)
		return;
	/* A file that kept fewer than its share met the limit of them all. */
	if (file)
		text = xstrfmt(
			"%zu more error%s and %zu more warning%s not "
			"shown (the first %d %s are)",
			errors, errors == 1 ? "" : "s", warnings,
			warnings == 1 ? "" : "s",
			kept < PE_DIAG_KEEP_PER_FILE ? PE_DIAG_KEEP_TOTAL
						     : PE_DIAG_KEEP_PER_FILE,
			kept < PE_DIAG_KEEP_PER_FILE ? "in all" : "of a file");
	else
		text = xstrfmt("%zu more error%s and %zu more warning%s in %zu "
			       "more file%s not shown (the first %d in all "
			       "are)",
			       errors, errors == 1 ? "" : "s", warnings,
			       warnings == 1 ? "" : "s", files,
			       files == 1 ? "" : "s", PE_DIAG_KEEP_TOTAL);
	pe_message_line(b, errors ? PE_SEV_ERROR : PE_SEV_WARNING, file, 0, 0,
			text);
	free(text);
}

/* Prints every kept entry, then what each file did not keep. */
void pe_diag_print(const struct pe_diag *d, FILE *out)
{
	size_t errors = 0, warnings = 0, files = 0;
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; i < d->len; i++) {
		const struct pe_diag_entry *e = &d->entries[i];

		pe_message_line(&b, e->severity, e->file, e->line, e->col,
				e->message);
	}
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct file_tally *t = &d->files[i];
		size_t e = t->count[PE_SEV_ERROR] - t->shown[PE_SEV_ERROR];
		size_t w = t->count[PE_SEV_WARNING] - t->shown[PE_SEV_WARNING];

		if (t->kept) {
			add_not_shown(&b, t->file, t->kept, e, w, 1);
			continue;
		}
		errors += e;
		warnings += w;
		files++;
	}
	add_not_shown(&b, NULL, 0, errors, warnings, files);
	if (b.len)
		fwrite(b.data, 1, b.len, out);
	fflush(out);
	pe_buf_release(&b);
}

/* Sets what a warning says becomes of an unknown key; see diag.h. */
const char *pe_diag_set_unknown_note(struct pe_diag *d, const char *note)
{
	const char *old = d->unknown_note;

	d->unknown_note = note;
	return old;
}

/* Warns about an unknown key, with a hint when there is one; see diag.h. */
void pe_diag_unknown_key(struct pe_diag *d, const struct pe_mark *mark,
			 const char *key, const char *where, const char *hint)
{
	pe_diag_count_unknown_key(d, key);
	/* With a hint, "it is ignored" goes without saying. */
	if (hint)
		pe_diag_warning(
			d, mark,
			"unknown key '%s' in %s (did you mean '%s'?)%s%s", key,
			where, hint, d->unknown_note ? "; " : "",
			d->unknown_note ? d->unknown_note : "");
	else
		pe_diag_warning(
			d, mark, "unknown key '%s' in %s; %s", key, where,
			d->unknown_note ? d->unknown_note : "it is ignored");
}

/* Counts an unknown key warned about elsewhere; see diag.h. */
void pe_diag_count_unknown_key(struct pe_diag *d, const char *key)
{
	d->unknown_keys++;
	free(d->last_unknown_key);
	d->last_unknown_key = xstrdup(key);
}

/* Counts the unknown keys reported so far; see diag.h. */
size_t pe_diag_unknown_keys(const struct pe_diag *d, const char **last)
{
	if (last)
		*last = d->last_unknown_key;
	return d->unknown_keys;
}
