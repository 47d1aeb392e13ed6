/*
 * Checks of the call that gave the answer, not of its text: "latency"
 * (milliseconds, the whole call or the time to the first token), "cost"
 * (US dollars, the call's reported tokens at the answer model's price
 * from the configuration, priced as every report prices them) and
 * "finish_reason" (why the model stopped: an answer cut off by the token
 * limit can be made to fail).
 *
 * They read the job's row (struct pe_eval_input's call and price).  A
 * figure that is not known is never a pass: an answer scored by "score"
 * came from no call, a cached answer has no latency of its own, a model
 * may have no price or report no tokens or finish reason; the check is
 * then skipped with the reason, which leaves its case ungraded.
 *
 * Finish reasons are compared without ASCII case, and "stop" and
 * "length" stand for each provider's spelling: "stop" for OpenAI's and
 * Ollama's "stop", Anthropic's "end_turn" and "stop_sequence" and
 * Gemini's "STOP"; "length" for "length", Anthropic's "max_tokens" and
 * Gemini's "MAX_TOKENS".  Any other value is compared as written.
 */
#include "evaluators/evaluator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/util.h"
#include "harness/results/aggregate.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

/* The longest latency a check may name: a day. */
#define MAX_MS 86400000.0

/* What a latency or cost check says: its marks, NAN when not given. */
struct call_spec {
	double max_ms;	    /* latency: the whole call */
	double max_ttft_ms; /* latency: the time to the first token */
	double max_usd;	    /* cost */
	const struct pe_node *reasons; /* finish_reason: text or a list */
};

/*
 * Skips when the answer came from no call, and returns 1; else returns
 * 0.  what names the figure the check needs.
 */
static int no_call(const struct pe_eval_input *in, const char *what,
		   struct pe_eval_result *out)
{
	if (in->call && in->call->has_call)
		return 0;
	pe_result_set(out, PE_VERDICT_SKIP, 0,
		      "the answer was scored without its call "
		      "(prompteval score), so there is no %s to check",
		      what);
	return 1;
}

/* Reads a mark of a latency or cost mapping, or a bare number. */
static int read_mark(const struct pe_node *node, const char *key,
		     const char *mark, double hi, double *out,
		     struct pe_diag *diag)
{
	const struct pe_node *body = pe_node_get(node, key);

	if (body->kind == PE_NODE_INT || body->kind == PE_NODE_FLOAT)
		return pe_setting_number(node, key, 0, hi, out, diag);
	return pe_setting_number(body, mark, 0, hi, out, diag);
}

static int parse_latency(struct pe_evalspec *spec, const struct pe_node *node,
			 const struct pe_node *type, struct pe_diag *diag)
{
	static const char *const known[] = { "max_ms", "max_ttft_ms", NULL };
	const struct pe_node *body = pe_node_get(node, "latency");
	struct call_spec *cs = xcalloc(1, sizeof(*cs));

	(void)type;
	spec->data = cs;
	cs->max_ms = cs->max_ttft_ms = cs->max_usd = NAN;
	if (body->kind == PE_NODE_MAP) {
		pe_node_check_keys(body, known, "a latency evaluator", diag);
		if (pe_setting_number(body, "max_ttft_ms", 0, MAX_MS,
				      &cs->max_ttft_ms, diag))
			return PE_ERR_INVALID;
	} else if (body->kind != PE_NODE_INT && body->kind != PE_NODE_FLOAT) {
		pe_diag_error(diag, &body->mark,
			      "'latency' must be milliseconds or {max_ms, "
			      "max_ttft_ms}, not a %s",
			      pe_node_kind_name(body->kind));
		return PE_ERR_INVALID;
	}
	if (read_mark(node, "latency", "max_ms", MAX_MS, &cs->max_ms, diag))
		return PE_ERR_INVALID;
	if (isnan(cs->max_ms) && isnan(cs->max_ttft_ms)) {
		pe_diag_error(diag, &body->mark,
			      "latency evaluator needs 'max_ms' (the whole "
			      "call) or 'max_ttft_ms' (the time to the first "
			      "token)");
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

/*
 * Checks one latency against its mark into why; returns 1 when it holds.
 * The figures are written by pe_fmt_fixed, the same bytes as "%.1f" and
 * "%.0f" at a fraction of their cost.
 */
static int check_ms(const char *what, double ms, double max, struct pe_buf *why)
{
	char ms_text[PE_FIXED_SIZE], max_text[PE_FIXED_SIZE];
	int ok = ms <= max;

	pe_fmt_fixed(ms_text, sizeof(ms_text), ms, 1);
	pe_fmt_fixed(max_text, sizeof(max_text), max, 0);
	pe_buf_addf(why, "%s%s %s ms (%s %s ms)", why->len ? ", " : "", what,
		    ms_text, ok ? "at most" : "need at most", max_text);
	return ok;
}

static void score_latency(const void *state, const struct pe_evalspec *spec,
			  const struct pe_eval_input *in,
			  struct pe_eval_result *out)
{
	const struct call_spec *cs = spec->data;
	const struct pe_result *c = in->call;
	struct pe_buf why;
	int ok = 1;

	(void)state;
	if (no_call(in, "latency", out))
		return;
	if (c->cached || (!isnan(cs->max_ms) && isnan(c->total_ms)) ||
	    (!isnan(cs->max_ttft_ms) && isnan(c->first_byte_ms))) {
		pe_result_set(
			out, PE_VERDICT_SKIP, 0, "%s",
			c->cached ? "the answer came from the cache, so its "
				    "call was not timed"
			: !isnan(cs->max_ms) && isnan(c->total_ms)
				? "the call's latency was not measured"
				: "the call's time to the first token was not "
				  "measured (a reply that is not streamed "
				  "comes whole)");
		return;
	}
	pe_buf_init(&why, 0);
	if (!isnan(cs->max_ms))
		ok &= check_ms("latency", c->total_ms, cs->max_ms, &why);
	if (!isnan(cs->max_ttft_ms))
		ok &= check_ms("time to the first token", c->first_byte_ms,
			       cs->max_ttft_ms, &why);
	pe_result_set(out, ok ? PE_VERDICT_PASS : PE_VERDICT_FAIL, ok, "%s",
		      pe_buf_str(&why));
	pe_buf_release(&why);
}

static int parse_cost(struct pe_evalspec *spec, const struct pe_node *node,
		      const struct pe_node *type, struct pe_diag *diag)
{
	static const char *const known[] = { "max_usd", NULL };
	const struct pe_node *body = pe_node_get(node, "cost");
	struct call_spec *cs = xcalloc(1, sizeof(*cs));

	(void)type;
	spec->data = cs;
	cs->max_ms = cs->max_ttft_ms = cs->max_usd = NAN;
	if (body->kind == PE_NODE_MAP) {
		pe_node_check_keys(body, known, "a cost evaluator", diag);
	} else if (body->kind != PE_NODE_INT && body->kind != PE_NODE_FLOAT) {
		pe_diag_error(
			diag, &body->mark,
			"'cost' must be US dollars or {max_usd}, not a %s",
			pe_node_kind_name(body->kind));
		return PE_ERR_INVALID;
	}
	if (read_mark(node, "cost", "max_usd", 1e6, &cs->max_usd, diag))
		return PE_ERR_INVALID;
	if (isnan(cs->max_usd)) {
		pe_diag_error(diag, &body->mark,
			      "cost evaluator needs 'max_usd' (US dollars)");
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

static void score_cost(const void *state, const struct pe_evalspec *spec,
		       const struct pe_eval_input *in,
		       struct pe_eval_result *out)
{
	const struct call_spec *cs = spec->data;
	const struct pe_result *c = in->call;
	char usd_text[PE_FIXED_SIZE], max_text[PE_FIXED_SIZE];
	double usd;

	(void)state;
	if (no_call(in, "cost", out))
		return;
	if (!in->price) {
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "no price for %s in the configuration's "
			      "prices",
			      c->model ? c->model : "the model");
		return;
	}
	if (c->tokens_in < 0 || c->tokens_out < 0) {
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "the provider reported no token counts");
		return;
	}
	usd = pe_price_usd(in->price, c->tokens_in, c->tokens_out);
	/* "%.6f", by pe_fmt_fixed (see check_ms). */
	pe_fmt_fixed(usd_text, sizeof(usd_text), usd, 6);
	pe_fmt_fixed(max_text, sizeof(max_text), cs->max_usd, 6);
	pe_result_set(out,
		      usd <= cs->max_usd ? PE_VERDICT_PASS : PE_VERDICT_FAIL,
		      usd <= cs->max_usd,
		      "cost %s USD (%s %s): %ld tokens in, %ld out", usd_text,
		      usd <= cs->max_usd ? "at most" : "need at most", max_text,
		      c->tokens_in, c->tokens_out);
}

/* Each provider's finish reasons that "stop" and "length" stand for. */
static const char *const stop_words[] = { "stop", "end_turn", "stop_sequence",
					  NULL };
static const char *const length_words[] = { "length", "max_tokens", NULL };

static int in_list(const char *const *list, const char *word)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcasecmp(list[i], word))
			return 1;
	return 0;
}

/* Whether the call's reason is the one the file names. */
static int reason_is(const char *got, const char *want)
{
	if (!strcasecmp(want, "stop"))
		return in_list(stop_words, got);
	if (!strcasecmp(want, "length"))
		return in_list(length_words, got);
	return !strcasecmp(got, want);
}

static int parse_finish_reason(struct pe_evalspec *spec,
			       const struct pe_node *node,
			       const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *body = pe_node_get(node, "finish_reason");
	struct call_spec *cs = xcalloc(1, sizeof(*cs));
	size_t n = body->kind == PE_NODE_SEQ ? body->count : 1;

	(void)type;
	spec->data = cs;
	cs->reasons = body;
	if (body->kind == PE_NODE_SEQ && !n) {
		pe_diag_error(diag, &body->mark,
			      "'finish_reason' needs at least one reason");
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pe_node *r =
			body->kind == PE_NODE_SEQ ? body->items[i] : body;

		if (r->kind != PE_NODE_STRING || !r->len) {
			pe_diag_error(diag, &r->mark,
				      "'finish_reason' must be a reason such "
				      "as stop or length, or a list of them");
			return PE_ERR_INVALID;
		}
	}
	return PE_OK;
}

static void score_finish_reason(const void *state,
				const struct pe_evalspec *spec,
				const struct pe_eval_input *in,
				struct pe_eval_result *out)
{
	const struct pe_node *want =
		((const struct call_spec *)spec->data)->reasons;
	size_t n = want->kind == PE_NODE_SEQ ? want->count : 1;
	const char *got;
	struct pe_buf list;
	int ok = 0;

	(void)state;
	if (no_call(in, "finish reason", out))
		return;
	/* An empty reason says as little as none. */
	if (!(got = in->call->finish_reason) || !*got) {
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "the provider reported no finish reason");
		return;
	}
	pe_buf_init(&list, 0);
	for (size_t i = 0; i < n; i++) {
		const char *w =
			(want->kind == PE_NODE_SEQ ? want->items[i] : want)
				->text;

		ok |= reason_is(got, w);
		pe_buf_addf(&list, "%s%s", i ? " or " : "", w);
	}
	if (ok)
		pe_result_set(out, PE_VERDICT_PASS, 1, "finish reason '%s'",
			      got);
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "finish reason '%s' (need %s)", got,
			      pe_buf_str(&list));
	pe_buf_release(&list);
}

/* The marks, for the unit tests: "max 2000 ms", "max 0.01 USD", "stop". */
static void describe_call(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct call_spec *cs = spec->data;

	if (cs->reasons) {
		size_t n = cs->reasons->kind == PE_NODE_SEQ ? cs->reasons->count
							    : 1;

		for (size_t i = 0; i < n; i++)
			pe_buf_addf(out, "%s%s", i ? " or " : "",
				    (cs->reasons->kind == PE_NODE_SEQ
					     ? cs->reasons->items[i]
					     : cs->reasons)
					    ->text);
		return;
	}
	if (!isnan(cs->max_ms))
		pe_buf_addf(out, "max %g ms", cs->max_ms);
	if (!isnan(cs->max_ttft_ms))
		pe_buf_addf(out, "%smax %g ms to the first token",
			    out->len ? ", " : "", cs->max_ttft_ms);
	if (!isnan(cs->max_usd))
		pe_buf_addf(out, "max %g USD", cs->max_usd);
}

static const char *const latency_keys[] = { "latency", NULL };
static const char *const cost_keys[] = { "cost", NULL };
static const char *const finish_reason_keys[] = { "finish_reason", NULL };

/* latency: {max_ms, max_ttft_ms}, or a bare number of milliseconds. */
const struct pe_evaluator_ops pe_latency_ops = {
	.name = "latency",
	.example = "{latency: {max_ms: 60000}}",
	.keys = latency_keys,
	.known_keys = latency_keys,
	.parse = parse_latency,
	.release = free,
	.describe = describe_call,
	.compile = pe_evaluator_compile_nothing,
	.score = score_latency,
};

/* cost: {max_usd}, or a bare number of US dollars. */
const struct pe_evaluator_ops pe_cost_ops = {
	.name = "cost",
	.needs_price = 1,
	.example = "{cost: {max_usd: 0.01}}",
	.keys = cost_keys,
	.known_keys = cost_keys,
	.parse = parse_cost,
	.release = free,
	.describe = describe_call,
	.compile = pe_evaluator_compile_nothing,
	.score = score_cost,
};

/* finish_reason: stop, or a list of the reasons that pass. */
const struct pe_evaluator_ops pe_finish_reason_ops = {
	.name = "finish_reason",
	.example = "{finish_reason: stop}",
	.keys = finish_reason_keys,
	.known_keys = finish_reason_keys,
	.parse = parse_finish_reason,
	.release = free,
	.describe = describe_call,
	.compile = pe_evaluator_compile_nothing,
	.score = score_finish_reason,
};
