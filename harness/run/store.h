#ifndef PE_STORE_H
#define PE_STORE_H
/*
 * On-disk state of runs: the response cache and the journal.
 *
 * The cache is content-addressed: the key is the SHA-256 of the canonical
 * request (provider, base URL, body with model, parameters and messages,
 * and the repeat index when the temperature is above 0), never of headers
 * or keys.  Entries are written atomically with mode 0600.  Errors are
 * never cached.
 *
 * The journal (out/results.jsonl) gets one line per finished job, written
 * with one write(2) so lines never interleave, and is read back by
 * --resume; a torn last line (a crash mid-write) is cut off.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/hash.h"
#include "harness/results/result.h"

/* Computes the cache key of a request into key (hex). */
void pe_cache_key(const char *provider, const char *base_url, const char *body,
		  size_t body_len, int has_repeat, unsigned repeat,
		  char key[PE_SHA256_HEX_LEN + 1]);

/*
 * Reads an entry into row: its output, finish reason and served model (new
 * heap strings that the caller frees), token counts and HTTP status.
 * Returns 0 when found, or PE_ERR_IO when absent or unreadable (row is
 * then left as it was).
 */
int pe_cache_get(const char *dir, const char *key, struct pe_result *row);

/*
 * Writes row's answer (the fields pe_cache_get reads) as an entry,
 * atomically, mode 0600; 0 or PE_ERR_IO.
 */
int pe_cache_put(const char *dir, const char *key, const struct pe_result *row);

struct pe_journal;

/* Where a finished job's line is in the journal. */
struct pe_journal_line {
	int finished;
	size_t offset;
	size_t len;
};

/*
 * Opens path for appending.  With resume, existing lines are kept (a torn
 * last line is cut off); without, the file is truncated.  Returns NULL
 * with errno set on failure.
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
