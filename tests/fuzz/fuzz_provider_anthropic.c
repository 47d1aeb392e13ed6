/*
 * libFuzzer target for the Anthropic response parser;
 * see fuzz_provider.h.
 */
#include "tests/fuzz/fuzz_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_provider(&pe_anthropic_ops, data, size);
}
