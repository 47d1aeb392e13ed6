/*
 * The exec provider: runs a local program directly (never through a
 * shell) with the request JSON, as OpenAI's Chat Completions API would
 * get it, on stdin, and takes its stdout as the answer.
 */
#include "harness/providers/provider.h"

#include "harness/core/banned.h"

static void write_body(struct pe_buf *body, const struct pe_chat_request *req,
		       const struct pe_schema *schema)
{
	pe_openai_ops.write_body(body, req, schema);
}

/* "exec:CMD ARGS": a local program. */
const struct pe_provider_ops pe_exec_ops = {
	.name = "exec",
	.write_body = write_body,
};
