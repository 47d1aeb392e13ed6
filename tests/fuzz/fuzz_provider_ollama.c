/*
 * libFuzzer target for the Ollama response parser;
 * see fuzz_provider.h.
 */
#include "tests/fuzz/fuzz_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_provider(&pe_ollama_ops, data, size);
}
