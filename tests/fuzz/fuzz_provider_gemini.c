/*
 * libFuzzer target for the Gemini response parser;
 * see fuzz_provider.h.
 */
#include "tests/fuzz/fuzz_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_provider(&pe_gemini_ops, data, size);
}
