/*
 * The echo provider: answers with the rendered prompt, its messages
 * joined by blank lines, for testing evaluators and templates without a
 * model.  It takes no request body (so it never touches the cache) and
 * answers at once.
 */
#include "harness/providers/provider.h"

#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/banned.h"

static int echo_start(const struct pe_local_spec *spec,
		      const struct pe_chat_request *req, const char *body,
		      size_t body_len, double now_ms,
		      struct pe_local_call **call,
		      struct pe_local_result *result, char *err, size_t errsize)
{
	struct pe_buf b;

	(void)spec, (void)body, (void)body_len, (void)now_ms;
	(void)call, (void)err, (void)errsize;
	pe_buf_init(&b, 0);
	for (size_t i = 0; i < req->nmessages; i++) {
		if (i)
			pe_buf_adds(&b, "\n\n");
		pe_buf_adds(&b, req->messages[i].content);
	}
	memset(result, 0, sizeof(*result));
	result->output = pe_buf_detach(&b, &result->output_len);
	return 1;
}

/* "echo:": the rendered prompt as the answer. */
const struct pe_provider_ops pe_echo_ops = {
	.name = "echo",
	.local_start = echo_start,
};
