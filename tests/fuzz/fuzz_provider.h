/*
 * The body of the provider fuzz targets, one per provider's response
 * parser: network bytes, plain or streamed, with any status.  The first
 * byte picks the framing (bit 0: streamed) and the status (the rest, an
 * index into statuses[]); the rest is the body.  Besides the sanitizers,
 * each run checks what pe_provider_parse promises: every field set, an
 * error exactly when the reply is not OK, no output unless it is (or it
 * was cut short by the provider, which keeps what came), and the first
 * text found within the body (first_text_at, which times the first
 * token), never before a whole body read as one document is.
 */
#ifndef PE_FUZZ_PROVIDER_H
#define PE_FUZZ_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/providers/provider.h"

/* The providers the targets fuzz, defined in harness/providers/. */
extern const struct pe_provider_ops pe_openai_ops;
extern const struct pe_provider_ops pe_anthropic_ops;
extern const struct pe_provider_ops pe_gemini_ops;
extern const struct pe_provider_ops pe_ollama_ops;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = { 200, 400, 401, 402, 403, 404, 408, 409,
				 422, 429, 500, 502, 503, 529, 0,   201,
				 204, 299, 301, 413, 504, 100, 999, -1 };

static int fuzz_provider(const struct pe_provider_ops *ops,
			 const uint8_t *data, size_t size)
{
	struct pe_chat_response r;
	char *body;
	long status;

	if (!size)
		return 0;
	status = statuses[(data[0] >> 1) %
			  (sizeof(statuses) / sizeof(*statuses))];
	/* An exact-size copy lets ASan see a read past the end. */
	body = malloc(size - 1 ? size - 1 : 1);
	memcpy(body, data + 1, size - 1);
	pe_provider_parse(ops, status, body, size - 1, data[0] & 1, &r);
	if (!r.output || strlen(r.output) > r.output_len ||
	    (r.cls == PE_REPLY_OK) == (r.error != NULL) ||
	    (r.cls != PE_REPLY_OK && r.cls != PE_REPLY_CUT && r.output_len) ||
	    r.first_text_at > size - 1 ||
	    (!(data[0] & 1) && r.first_text_at))
		abort();
	pe_chat_response_release(&r);
	free(body);
	return 0;
}

#endif
