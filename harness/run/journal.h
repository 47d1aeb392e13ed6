#ifndef PE_JOURNAL_H
#define PE_JOURNAL_H
/*
 * The journal (out/results.jsonl): one line per finished job, written with
 * one write(2) so lines never interleave, and read back by --resume; a
 * torn last line (a crash mid-write) is cut off.  It holds the answers,
 * so it is private: mode 0600, as the cache's files are.
 */
#include <stddef.h>

#include "harness/core/buf.h"

struct pe_journal;

/* Where a finished job's line is in the journal. */
struct pe_journal_line {
	int finished;
	size_t offset;
	size_t len;
};

/*
 * Opens path for appending, and makes a regular file mode 0600.  With
 * resume, existing lines are kept (a torn last line is cut off); without,
 * the file is truncated.  Returns NULL with errno set on failure.
 */
struct pe_journal *pe_journal_open(const char *path, int resume);
void pe_journal_close(struct pe_journal *j);

/*
 * Appends line (without its newline) as one line; thread-safe.  Stores
 * the line's offset in the file in *offset.
 */
int pe_journal_append(struct pe_journal *j, const char *line, size_t len,
		      size_t *offset);

/*
 * Calls fn for each complete line of the journal at path, with the line's
 * offset and length.  Returns 0, or PE_ERR_IO when the file cannot be
 * read (a missing file is 0 lines).
 */
int pe_journal_scan(const char *path,
		    void (*fn)(void *ctx, const char *line, size_t len,
			       size_t offset),
		    void *ctx);

/* Reads len bytes at offset of path into out (reset first). */
int pe_journal_read_line(const char *path, size_t offset, size_t len,
			 struct pe_buf *out);

#endif
