/*
 * The echo provider: answers with the rendered prompt, its messages
 * joined by blank lines, for testing evaluators and templates without a
 * model.  It takes no request body and never touches the cache.
 */
#include "harness/providers/provider.h"

#include "harness/core/banned.h"

/* "echo:": the rendered prompt as the answer. */
const struct pe_provider_ops pe_echo_ops = {
	.name = "echo",
};
