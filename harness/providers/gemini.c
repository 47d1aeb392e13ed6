/*
 * Google's Gemini API: generateContent, or streamGenerateContent with
 * alt=sse for a stream.  The model is a path segment; system messages go
 * to systemInstruction and settings to generationConfig.  A plain body
 * may also be the JSON array streamGenerateContent answers without
 * alt=sse.  Per-day quota errors are daily limits; a RetryInfo says when
 * to come back; an answer with a finish reason such as SAFETY was cut
 * short (or blocked, when empty), and so was a prompt with feedback and
 * no candidates: not answers to score as they are.
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

/*
 * The turns; contents may not be empty, so a prompt of system messages
 * only sends their text as the user's turn (and no systemInstruction).
 */
static void write_gemini_contents(struct pe_buf *b,
				  const struct pe_chat_request *req)
{
	int first = 1;

	pe_buf_adds(b, "\"contents\":[");
	if (!pe_wire_has_turn(req)) {
		struct pe_buf system;

		pe_buf_init(&system, 0);
		pe_wire_system_text(&system, req);
		pe_buf_adds(b, "{\"role\":\"user\",\"parts\":[{\"text\":");
		pe_json_quote(b, system.data ? system.data : "", system.len);
		pe_buf_adds(b, "}]}]");
		pe_buf_release(&system);
		return;
	}
	for (size_t i = 0; i < req->nmessages; i++) {
		const struct pe_chat_message *m = &req->messages[i];

		if (m->role == PE_ROLE_SYSTEM)
			continue;
		pe_buf_adds(b, first ? "{\"role\":" : ",{\"role\":");
		first = 0;
		pe_json_str(b, m->role == PE_ROLE_ASSISTANT ? "model" : "user");
		pe_buf_adds(b, ",\"parts\":[{\"text\":");
		pe_json_str(b, pe_wire_content(m));
		pe_buf_adds(b, "}]}");
	}
	pe_buf_addc(b, ']');
}

static void write_gemini_system(struct pe_buf *b,
				const struct pe_chat_request *req)
{
	int opened = 0;

	for (size_t i = 0; i < req->nmessages; i++) {
		const struct pe_chat_message *m = &req->messages[i];

		if (m->role != PE_ROLE_SYSTEM)
			continue;
		pe_buf_adds(b, opened ? ",{\"text\":"
				      : ",\"systemInstruction\":{\"parts\":[{"
					"\"text\":");
		opened = 1;
		pe_json_str(b, pe_wire_content(m));
		pe_buf_addc(b, '}');
	}
	if (opened)
		pe_buf_adds(b, "]}");
}

/*
 * The prompt's schema is JSON Schema, so it goes to responseJsonSchema:
 * responseSchema takes Google's OpenAPI subset and rejects keys such as
 * additionalProperties.
 */
static void write_gemini_config(struct pe_buf *b,
				const struct pe_chat_request *req,
				const struct pe_schema *sc)
{
	static const char config[] = "generationConfig";
	static const struct pe_setting_key settings[] = {
		{ PE_SETTING_TEMPERATURE, "temperature" },
		{ PE_SETTING_TOP_P, "topP" },
		{ PE_SETTING_MAX_TOKENS, "maxOutputTokens" },
		{ PE_SETTING_STOP, "stopSequences" },
		{ PE_SETTING_SEED, "seed" },
		{ PE_SETTING_PRESENCE_PENALTY, "presencePenalty" },
		{ PE_SETTING_FREQUENCY_PENALTY, "frequencyPenalty" },
	};
	int opened = 0;

	pe_wire_settings(b, req, settings, sizeof(settings) / sizeof(*settings),
			 config, &opened);
	if (pe_wire_wants_json(req)) {
		pe_wire_lazy_key(b, &opened, config, "responseMimeType");
		pe_json_str(b, "application/json");
	}
	if (sc->inner) {
		pe_wire_lazy_key(b, &opened, config, "responseJsonSchema");
		pe_json_node(b, sc->inner);
	}
	pe_wire_lazy_close(b, opened);
}

static void write_gemini(struct pe_buf *b, const struct pe_chat_request *req,
			 const struct pe_schema *sc)
{
	pe_buf_addc(b, '{');
	write_gemini_contents(b, req);
	if (pe_wire_has_turn(req))
		write_gemini_system(b, req);
	write_gemini_config(b, req, sc);
	pe_buf_addc(b, '}');
}

static void write_url(struct pe_buf *url, const char *base,
		      const struct pe_chat_request *req)
{
	pe_wire_add_base(url, base, NULL, NULL);
	pe_buf_adds(url, "/v1beta/models/");
	pe_wire_add_segment(url, pe_wire_starts_with(req->model, "models/")
					 ? req->model + strlen("models/")
					 : req->model);
	pe_buf_adds(url, req->stream ? ":streamGenerateContent?alt=sse"
				     : ":generateContent");
}

static void add_headers(struct pe_strlist *h, const char *api_key)
{
	pe_wire_header(h, "Content-Type", "application/json");
	if (api_key)
		pe_wire_header(h, "x-goog-api-key", api_key);
}

/*
 * The quotaId of a Gemini QuotaFailure on a per-day quota, or NULL: such
 * a quota is sticky until the daily reset.
 */
static const char *gemini_per_day(const struct pe_node *error)
{
	const struct pe_node *details = pe_wire_get(error, "details"), *d;

	for (size_t i = 0; (d = pe_wire_item(details, i)); i++) {
		const char *type = pe_wire_str(pe_wire_get(d, "@type"));
		const struct pe_node *violations = pe_wire_get(d, "violations"),
				     *v;

		if (!type || !pe_ends_with(type, "QuotaFailure"))
			continue;
		for (size_t j = 0; (v = pe_wire_item(violations, j)); j++) {
			const char *id = pe_wire_str(pe_wire_get(v, "quotaId"));

			if (id && strstr(id, "PerDay"))
				return id;
		}
	}
	return NULL;
}

/*
 * A per-day quota is a daily limit: the message names it, and Google's
 * per-day quotas reset at midnight Pacific time (its RetryInfo is not
 * the reset).
 */
static enum pe_reply_class gemini_quota(long status,
					const struct pe_error_body *e,
					struct pe_buf *detail)
{
	const char *id;

	if (status != 429 && !pe_wire_str_is(e->status, "RESOURCE_EXHAUSTED"))
		return PE_REPLY_OK;
	id = gemini_per_day(e->error);
	if (!id)
		return PE_REPLY_OK;
	pe_buf_addf(detail,
		    " (per-day quota %.100s; it resets at midnight Pacific "
		    "time)",
		    id);
	return PE_REPLY_LIMIT;
}

static void gemini_usage(struct pe_reply *r, const struct pe_node *usage)
{
	long out, thoughts;

	pe_wire_long(pe_wire_get(usage, "promptTokenCount"), &r->tokens_in);
	/* Thought tokens are billed as output but counted apart. */
	if (pe_wire_long(pe_wire_get(usage, "candidatesTokenCount"), &out)) {
		if (pe_wire_long(pe_wire_get(usage, "thoughtsTokenCount"),
				 &thoughts))
			out += thoughts;
		r->tokens_out = out;
	}
}

/*
 * A prompt that was blocked: promptFeedback and no candidates, with or
 * without a blockReason.  The block reason is the finish reason.
 */
static void gemini_prompt_blocked(struct pe_reply *r,
				  const struct pe_node *feedback)
{
	const struct pe_node *block = pe_wire_get(feedback, "blockReason");

	if (pe_wire_str(block))
		pe_wire_set_string(&r->finish_reason, block);
	else
		r->finish_reason = xstrdup("BLOCKED_REASON_UNSPECIFIED");
	pe_wire_fail(r, PE_REPLY_CUT, "prompt blocked", r->finish_reason,
		     strlen(r->finish_reason));
}

/* One GenerateContentResponse: a whole answer, or one stream chunk. */
static void gemini_chunk(struct pe_reply *r, const struct pe_node *root)
{
	const struct pe_node *cand, *parts, *part, *feedback;

	if (pe_wire_has_error(root)) {
		pe_wire_fail_payload(r, root);
		return;
	}
	pe_wire_set_string(&r->model, pe_wire_get(root, "modelVersion"));
	if (pe_wire_get(root, "usageMetadata"))
		gemini_usage(r, pe_wire_get(root, "usageMetadata"));
	cand = pe_wire_item(pe_wire_get(root, "candidates"), 0);
	feedback = pe_wire_get(root, "promptFeedback");
	if (!cand && feedback && feedback->kind == PE_NODE_MAP) {
		gemini_prompt_blocked(r, feedback);
		return;
	}
	if (!cand)
		return;
	r->saw_answer = 1;
	parts = pe_wire_get(pe_wire_get(cand, "content"), "parts");
	for (size_t i = 0; (part = pe_wire_item(parts, i)); i++)
		if (!pe_wire_true(pe_wire_get(part, "thought")))
			pe_wire_add_output(r, pe_wire_get(part, "text"));
	if (pe_wire_str(pe_wire_get(cand, "finishReason"))) {
		pe_wire_set_string(&r->finish_reason,
				   pe_wire_get(cand, "finishReason"));
		r->done = 1;
	}
}

static void gemini_plain(struct pe_reply *r, const struct pe_node *root)
{
	const struct pe_node *chunk;

	if (!pe_wire_need_object(r, root, 1))
		return;
	if (root->kind != PE_NODE_SEQ) {
		gemini_chunk(r, root);
		return;
	}
	/* :streamGenerateContent without alt=sse answers a JSON array. */
	for (size_t i = 0; (chunk = pe_wire_item(root, i)) && !r->failed; i++)
		gemini_chunk(r, chunk);
	if (!r->failed && r->saw_answer && !r->done)
		pe_wire_fail_str(r, PE_REPLY_RETRY, "truncated stream");
}

static int gemini_event(struct pe_reply *r, const char *event, const char *data,
			size_t len)
{
	const struct pe_node *root = pe_wire_parse_json(r, data, len);

	if (!root)
		return -1;
	if (pe_wire_str_is(event, "error") && !pe_wire_has_error(root))
		pe_wire_fail_str(r, PE_REPLY_RETRY, "stream error");
	else
		gemini_chunk(r, root);
	return 0;
}

/*
 * A finish reason other than STOP or MAX_TOKENS (SAFETY, RECITATION,
 * BLOCKLIST, ...) means the answer was cut short, or blocked when there
 * is no text: not an answer to score as it is, and not one to retry.
 */
static void gemini_check_cut(struct pe_reply *r)
{
	if (r->failed || !r->finish_reason ||
	    pe_wire_str_is(r->finish_reason, "STOP") ||
	    pe_wire_str_is(r->finish_reason, "MAX_TOKENS"))
		return;
	pe_wire_fail(r, PE_REPLY_CUT,
		     r->output.len ? "answer cut short" : "response blocked",
		     r->finish_reason, strlen(r->finish_reason));
}

static const char *const gemini_prefixes[] = { "gemini-", NULL };

/* Google's Gemini API. */
const struct pe_provider_ops pe_gemini_ops = {
	.name = "gemini",
	.default_base = "https://generativelanguage.googleapis.com",
	.key_env = "GEMINI_API_KEY",
	.base_env = "GEMINI_BASE_URL",
	.needs_key = 1,
	.model_prefixes = gemini_prefixes,
	.write_body = write_gemini,
	.write_url = write_url,
	.add_headers = add_headers,
	.parse_plain = gemini_plain,
	.parse_event = gemini_event,
	.quota = gemini_quota,
	.finish = gemini_check_cut,
};
