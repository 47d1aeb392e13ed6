/*
 * Ollama's /api/chat.  Settings go to "options", a JSON Schema or "json"
 * to "format".  Its base may be an OLLAMA_HOST such as "0.0.0.0" or
 * ":11434", completed with Ollama's own defaults.  Streams are NDJSON
 * lines ending in one with "done": true; it needs no key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/providers/wire.h"
#include "harness/core/banned.h"

static void write_ollama_options(struct pe_buf *b,
				 const struct pe_chat_request *req)
{
	static const struct pe_setting_key settings[] = {
		{ PE_SETTING_TEMPERATURE, "temperature" },
		{ PE_SETTING_TOP_P, "top_p" },
		{ PE_SETTING_MAX_TOKENS, "num_predict" },
		{ PE_SETTING_SEED, "seed" },
		{ PE_SETTING_STOP, "stop" },
		{ PE_SETTING_PRESENCE_PENALTY, "presence_penalty" },
		{ PE_SETTING_FREQUENCY_PENALTY, "frequency_penalty" },
	};
	int opened = 0;

	pe_wire_settings(b, req, settings, sizeof(settings) / sizeof(*settings),
			 "options", &opened);
	pe_wire_lazy_close(b, opened);
}

static void write_ollama(struct pe_buf *b, const struct pe_chat_request *req,
			 const struct pe_schema *sc)
{
	pe_buf_adds(b, "{\"model\":");
	pe_json_str(b, req->model);
	pe_buf_adds(b, ",\"messages\":");
	pe_wire_roles(b, req, 0);
	pe_buf_adds(b, req->stream ? ",\"stream\":true" : ",\"stream\":false");
	if (sc->inner) {
		pe_wire_key(b, "format");
		pe_json_node(b, sc->inner);
	} else if (pe_wire_wants_json(req)) {
		pe_buf_adds(b, ",\"format\":\"json\"");
	}
	write_ollama_options(b, req);
	pe_buf_addc(b, '}');
}

static void write_url(struct pe_buf *url, const char *base,
		      const struct pe_chat_request *req)
{
	(void)req;
	pe_wire_add_base(url, base, "127.0.0.1", ":11434");
	pe_buf_adds(url, "/api/chat");
}

/* One object: a whole answer, or one NDJSON line of a stream. */
static void ollama_fold(struct pe_reply *r, const struct pe_node *root)
{
	const struct pe_node *message;

	if (pe_wire_has_error(root)) {
		pe_wire_fail_payload(r, root);
		return;
	}
	if (!r->model)
		pe_wire_set_string(&r->model, pe_wire_get(root, "model"));
	message = pe_wire_get(root, "message");
	if (message && message->kind == PE_NODE_MAP) {
		r->saw_answer = 1;
		pe_wire_add_output(r, pe_wire_get(message, "content"));
	}
	if (pe_wire_true(pe_wire_get(root, "done"))) {
		r->done = r->stop = 1;
		pe_wire_set_string(&r->finish_reason,
				   pe_wire_get(root, "done_reason"));
		pe_wire_long(pe_wire_get(root, "prompt_eval_count"),
			     &r->tokens_in);
		pe_wire_long(pe_wire_get(root, "eval_count"), &r->tokens_out);
	}
}

static void ollama_plain(struct pe_reply *r, const struct pe_node *root)
{
	if (pe_wire_need_object(r, root, 0))
		ollama_fold(r, root);
}

static int ollama_line(struct pe_reply *r, const char *event, const char *data,
		       size_t len)
{
	const struct pe_node *root = pe_wire_parse_json(r, data, len);

	(void)event;
	if (!root)
		return -1;
	ollama_fold(r, root);
	return 0;
}

/* Ollama's chat API. */
const struct pe_provider_ops pe_ollama_ops = {
	.name = "ollama",
	.default_base = "http://127.0.0.1:11434",
	.base_env = "OLLAMA_HOST",
	.write_body = write_ollama,
	.write_url = write_url,
	.add_headers = pe_wire_bearer_headers,
	.parse_plain = ollama_plain,
	.parse_event = ollama_line,
	.ndjson = 1,
};
