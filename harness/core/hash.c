/*
 * SHA-256 through libcrypto's one-shot EVP_Digest, which is thread-safe and
 * needs no context kept between calls.
 */
#include "harness/core/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Hashes data with SHA-256; see hash.h. */
void pe_sha256_hex(const void *data, size_t len,
		   char out[PE_SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL)) {
		pe_error("SHA-256 failed");
		exit(PE_EXIT_SYSTEM);
	}
	for (unsigned int i = 0; i < md_len && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[PE_SHA256_HEX_LEN] = '\0';
}
