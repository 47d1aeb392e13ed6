/*
 * The result row (see result.h): its verdict names, its id, its order, its
 * JSON form and its tally.  The JSON form is written with the JSON
 * module's quoting in a fixed key order; timings are written as the row
 * has them, and the row has none unless a model call measured them.
 */
#include "harness/results/result.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/hash.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/results/stats.h"
#include "harness/core/banned.h"

static const char *const verdict_names[] = {
	[PE_VERDICT_PASS] = "pass",	    [PE_VERDICT_FAIL] = "fail",
	[PE_VERDICT_SKIP] = "skip",	    [PE_VERDICT_ERROR] = "error",
	[PE_VERDICT_UNGRADED] = "ungraded",
};

/* Names a verdict as results.json does. */
const char *pe_verdict_name(enum pe_verdict v)
{
	if ((size_t)v < sizeof(verdict_names) / sizeof(*verdict_names))
		return verdict_names[v];
	return "error";
}

/* Parses a verdict name; see result.h. */
int pe_verdict_parse(const char *name, enum pe_verdict *out)
{
	for (size_t i = 0; i < sizeof(verdict_names) / sizeof(*verdict_names);
	     i++) {
		if (!strcmp(name, verdict_names[i])) {
			*out = (enum pe_verdict)i;
			return PE_OK;
		}
	}
	return PE_ERR_INVALID;
}

/* Sets every field to unknown; see result.h. */
void pe_result_init(struct pe_result *row)
{
	memset(row, 0, sizeof(*row));
	row->status = PE_VERDICT_ERROR;
	row->score = row->first_byte_ms = row->total_ms = NAN;
	row->tokens_in = row->tokens_out = -1;
	row->judge_tokens_in = row->judge_tokens_out = -1;
	row->judge_cached_tokens_in = row->judge_cached_tokens_out = -1;
}

/* Derives a job id from its identity; see result.h. */
void pe_job_id(const struct pe_prompt *p, const struct pe_case *c,
	       const char *model, int has_temperature, double temperature,
	       unsigned repeat, char out[PE_JOB_ID_LEN + 1])
{
	char hex[PE_SHA256_HEX_LEN + 1];
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_addf(&b, "%s%c%s%c%s%c", p->name, 0, c ? c->id : "", 0,
		    model ? model : "", 0);
	if (has_temperature)
		pe_buf_addf(&b, "%.17g", temperature);
	pe_buf_addf(&b, "%c%u", 0, repeat);
	pe_sha256_hex(b.data, b.len, hex);
	pe_buf_release(&b);
	memcpy(out, hex, PE_JOB_ID_LEN);
	out[PE_JOB_ID_LEN] = '\0';
}

static int compare_strings(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Orders rows as results.json does; see result.h. */
int pe_result_compare(const struct pe_result *a, const struct pe_result *b)
{
	int c = compare_strings(a->file, b->file);

	if (c)
		return c;
	if (a->case_index != b->case_index)
		return a->case_index < b->case_index ? -1 : 1;
	c = compare_strings(a->model, b->model);
	if (c)
		return c;
	if (a->has_temperature != b->has_temperature)
		return a->has_temperature - b->has_temperature;
	if (a->has_temperature && a->temperature != b->temperature)
		return a->temperature < b->temperature ? -1 : 1;
	if (a->repeat != b->repeat)
		return a->repeat < b->repeat ? -1 : 1;
	return compare_strings(a->id, b->id);
}

static int compare_rows(const void *a, const void *b)
{
	return pe_result_compare(a, b);
}

/* Sorts rows into results.json order. */
void pe_result_sort(struct pe_result *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), compare_rows);
}

/* Finds an evaluator of a row by name; see result.h. */
const struct pe_result_evaluator *pe_result_find_evaluator(
	const struct pe_result *row, const char *name)
{
	for (size_t i = 0; i < row->nevaluators; i++)
		if (!strcmp(row->evaluators[i].name, name))
			return &row->evaluators[i];
	return NULL;
}

static void write_evaluator(struct pe_buf *out, int first,
			    const struct pe_result_evaluator *e)
{
	pe_buf_adds(out, first ? "{\"name\":" : ",{\"name\":");
	pe_json_str(out, e->name);
	pe_buf_adds(out, ",\"kind\":");
	pe_json_str(out, e->kind);
	pe_buf_adds(out, ",\"status\":");
	pe_json_str(out, pe_verdict_name(e->status));
	pe_buf_adds(out, ",\"score\":");
	pe_json_num(out, e->score);
	pe_buf_adds(out, ",\"weight\":");
	pe_json_num(out, e->weight);
	pe_buf_addf(out,
		    ",\"negate\":%s,\"reason\":", e->negate ? "true" : "false");
	pe_json_str(out, e->reason);
	pe_buf_addc(out, '}');
}

/* The model call: only rows from "run" have one. */
static void write_call(struct pe_buf *b, const struct pe_result *r)
{
	pe_buf_adds(b, ",\"call\":");
	if (!r->has_call) {
		pe_buf_adds(b, "null");
		return;
	}
	pe_buf_addf(b, "{\"attempts\":%u,\"cached\":%s", r->attempts,
		    r->cached ? "true" : "false");
	pe_json_count_member(b, "http_status",
			     r->http_status > 0 ? r->http_status : -1);
	pe_buf_adds(b, ",\"first_byte_ms\":");
	pe_json_num(b, r->first_byte_ms);
	pe_buf_adds(b, ",\"total_ms\":");
	pe_json_num(b, r->total_ms);
	pe_json_count_member(b, "tokens_in", r->tokens_in);
	pe_json_count_member(b, "tokens_out", r->tokens_out);
	pe_buf_adds(b, ",\"finish_reason\":");
	pe_json_str(b, r->finish_reason);
	pe_buf_adds(b, ",\"served_model\":");
	pe_json_str(b, r->served_model);
	/* Left out when unknown: rows from older files keep their bytes. */
	if (r->request) {
		pe_buf_adds(b, ",\"request\":");
		pe_json_str(b, r->request);
	}
	pe_buf_addc(b, '}');
}

/* The judges' calls: null when the row had none. */
static void write_judge(struct pe_buf *b, const struct pe_result *r)
{
	pe_buf_adds(b, ",\"judge\":");
	if (!r->judge_calls) {
		pe_buf_adds(b, "null");
		return;
	}
	pe_buf_addf(b, "{\"calls\":%u,\"model\":", r->judge_calls);
	pe_json_str(b, r->judge_model);
	pe_json_count_member(b, "tokens_in", r->judge_tokens_in);
	pe_json_count_member(b, "tokens_out", r->judge_tokens_out);
	pe_buf_addf(b, ",\"cached\":%u", r->judge_cached);
	pe_json_count_member(b, "cached_tokens_in", r->judge_cached_tokens_in);
	pe_json_count_member(b, "cached_tokens_out",
			     r->judge_cached_tokens_out);
	pe_buf_addc(b, '}');
}

/* Appends one row as a line of JSON; see result.h. */
void pe_result_json(const struct pe_result *r, struct pe_buf *b)
{
	int scored =
		r->status == PE_VERDICT_PASS || r->status == PE_VERDICT_FAIL;

	pe_buf_adds(b, "{\"id\":");
	pe_json_str(b, r->id);
	pe_buf_adds(b, ",\"prompt\":");
	pe_json_str(b, r->prompt);
	pe_buf_adds(b, ",\"file\":");
	pe_json_str(b, r->file);
	pe_buf_adds(b, ",\"case\":");
	pe_json_str(b, r->case_id);
	pe_buf_addf(b, ",\"case_index\":%zu,\"model\":", r->case_index);
	pe_json_str(b, r->model);
	pe_buf_adds(b, ",\"temperature\":");
	if (r->has_temperature)
		pe_json_num(b, r->temperature);
	else
		pe_buf_adds(b, "null");
	pe_buf_addf(b, ",\"repeat\":%u,\"status\":", r->repeat);
	pe_json_str(b, pe_verdict_name(r->status));
	/* A case that errored or is ungraded has no score. */
	pe_buf_adds(b, ",\"score\":");
	pe_json_num(b, scored ? r->score : NAN);
	pe_buf_adds(b, ",\"error\":");
	pe_json_str(b, r->error);
	write_call(b, r);
	write_judge(b, r);
	pe_buf_adds(b, ",\"output\":");
	if (r->output)
		pe_json_quote(b, r->output, r->output_len);
	else
		pe_buf_adds(b, "null");
	pe_buf_adds(b, ",\"evaluators\":[");
	for (size_t i = 0; i < r->nevaluators; i++)
		write_evaluator(b, i == 0, &r->evaluators[i]);
	pe_buf_addc(b, ']');
	if (r->scoring) {
		pe_buf_adds(b, ",\"scoring\":");
		pe_json_str(b, r->scoring);
	}
	pe_buf_addc(b, '}');
}

/* Starts an empty tally. */
void pe_tally_init(struct pe_tally *t)
{
	memset(t, 0, sizeof(*t));
	t->pass_rate.rate = t->pass_rate.low = t->pass_rate.high = NAN;
	t->pass_rate.effective_n = NAN;
	t->mean_score = NAN;
}

/* Counts one row; see result.h. */
void pe_tally_add(struct pe_tally *t, const struct pe_result *r)
{
	t->jobs++;
	switch (r->status) {
	case PE_VERDICT_PASS:
		t->pass++;
		break;
	case PE_VERDICT_FAIL:
		t->fail++;
		break;
	case PE_VERDICT_ERROR:
		t->error++;
		break;
	case PE_VERDICT_SKIP: /* a case of schema version 1 */
	case PE_VERDICT_UNGRADED:
		t->ungraded++;
		break;
	}
	if ((r->status == PE_VERDICT_PASS || r->status == PE_VERDICT_FAIL) &&
	    isfinite(r->score)) {
		t->score_sum += r->score;
		t->scored++;
	}
	t->judge_calls += r->judge_calls;
	t->judge_calls_cached += r->judge_cached;
	if (r->judge_tokens_in > 0)
		t->judge_tokens_in += r->judge_tokens_in;
	if (r->judge_tokens_out > 0)
		t->judge_tokens_out += r->judge_tokens_out;
	if (!r->has_call)
		return;
	t->calls++;
	if (r->cached)
		t->calls_cached++;
	if (r->tokens_in < 0 || r->tokens_out < 0)
		t->calls_without_tokens++;
	if (r->tokens_in >= 0)
		t->tokens_in += r->tokens_in;
	if (r->tokens_out >= 0)
		t->tokens_out += r->tokens_out;
}

/* Computes the pass rate and the mean score; see result.h. */
void pe_tally_finish(struct pe_tally *t)
{
	struct pe_pass_rate *p = &t->pass_rate;

	p->pass = t->pass;
	p->decided = t->pass + t->fail;
	p->cases = 0;
	p->method = PE_RATE_POOLED;
	p->rate = p->low = p->high = p->effective_n = NAN;
	if (p->decided) {
		p->rate = (double)p->pass / (double)p->decided;
		p->effective_n = (double)p->decided;
		pe_wilson_interval(p->pass, p->decided, PE_Z_95, &p->low,
				   &p->high);
	}
	t->mean_score = t->scored ? t->score_sum / (double)t->scored : NAN;
}
