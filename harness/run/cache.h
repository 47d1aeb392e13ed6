#ifndef PE_CACHE_H
#define PE_CACHE_H
/*
 * The response cache.  It is content-addressed: the key is the SHA-256 of
 * the canonical request (provider, base URL, body with model, parameters
 * and messages, and the repeat index when the caller says it has one:
 * see the runner), never of headers or keys.  Entries are written atomically with mode
 * 0600.  Errors are never cached.
 */
#include <stddef.h>
#include <time.h>

#include "harness/core/hash.h"
#include "harness/results/result.h"

/*
 * Computes the cache key of a request into key (hex); with has_repeat,
 * repeat is part of it, so that each repeat has an entry of its own.
 */
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

/*
 * Removes the temporary files of entries whose writer was killed (kill -9
 * between writing and renaming), those last modified before the time
 * before, from every entry directory of the cache at dir.  Returns how
 * many it removed.
 */
size_t pe_cache_remove_stale(const char *dir, time_t before);

#endif
