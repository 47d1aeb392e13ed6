/*
 * libFuzzer target for the OpenAI response parser (GitHub Models shares
 * it); see fuzz_provider.h.
 */
#include "tests/fuzz/fuzz_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_provider(&pe_openai_ops, data, size);
}
