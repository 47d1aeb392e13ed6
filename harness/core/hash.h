#ifndef PE_HASH_H
#define PE_HASH_H
/*
 * Hashing: the only module that uses OpenSSL's libcrypto.  SHA-256 gives
 * stable test-case ids, job and plan ids, and the cache's
 * content-addressed keys.
 */
#include <stddef.h>

enum { PE_SHA256_HEX_LEN = 64 };

/* Writes the lowercase hex SHA-256 of data into out (65 bytes with NUL). */
void pe_sha256_hex(const void *data, size_t len,
		   char out[PE_SHA256_HEX_LEN + 1]);

#endif
