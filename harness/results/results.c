/*
 * The results document.  It is written with the JSON module's quoting in
 * a fixed key order, so that the same rows always give the same bytes and
 * golden files can test it.  Timings and dates are not part of it.
 */
#include "harness/results/results.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/core/files.h"
#include "harness/core/hash.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Derives a job id from its identity; see results.h. */
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

static int compare_rows(const void *pa, const void *pb)
{
	const struct pe_result_row *a = pa, *b = pb;
	int c = strcmp(a->prompt->path, b->prompt->path);

	if (c)
		return c;
	if (a->kase && b->kase && a->kase->index != b->kase->index)
		return a->kase->index < b->kase->index ? -1 : 1;
	c = strcmp(a->model ? a->model : "", b->model ? b->model : "");
	if (c)
		return c;
	if (a->has_temperature != b->has_temperature)
		return a->has_temperature - b->has_temperature;
	if (a->temperature != b->temperature)
		return a->temperature < b->temperature ? -1 : 1;
	return a->repeat < b->repeat ? -1 : a->repeat > b->repeat;
}

/* Sorts rows into report order. */
void pe_results_sort(struct pe_result_row *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), compare_rows);
}

/* Counts verdicts. */
void pe_results_summarize(const struct pe_result_row *rows, size_t n,
			  struct pe_results_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->total = n;
	for (size_t i = 0; i < n; i++) {
		switch (rows[i].score.verdict) {
		case PE_VERDICT_PASS:
			out->pass++;
			break;
		case PE_VERDICT_FAIL:
			out->fail++;
			break;
		case PE_VERDICT_ERROR:
			out->error++;
			break;
		case PE_VERDICT_SKIP:
			out->skip++;
			break;
		}
	}
}

/* Errors outrank failures: an incomplete run cannot be called passed. */
int pe_results_exit_status(const struct pe_results_summary *s)
{
	if (s->error)
		return PE_EXIT_INCOMPLETE;
	if (s->fail)
		return PE_EXIT_FAILED;
	return PE_EXIT_OK;
}

static void write_evaluators(struct pe_buf *b, const struct pe_case_score *s)
{
	pe_buf_adds(b, "\"evaluators\":[");
	for (size_t i = 0; i < s->nresults; i++) {
		const struct pe_evalspec *spec = s->specs[i];
		const struct pe_eval_result *r = &s->results[i];
		struct pe_evaluator_json e = {
			spec->name,   pe_eval_kind_name(spec->kind),
			r->verdict,   r->score,
			spec->weight, spec->negate,
			r->reason
		};

		pe_results_evaluator_json(b, i == 0, &e);
	}
	pe_buf_adds(b, "]");
}

/* The model call: only rows from "run" have one. */
static void write_call(struct pe_buf *b, const struct pe_result_row *r)
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
	pe_buf_addc(b, '}');
}

/* Appends one row as a line of JSON; see results.h. */
void pe_results_row_json(const struct pe_result_row *r, struct pe_buf *b)
{
	int scored = r->score.verdict == PE_VERDICT_PASS ||
		     r->score.verdict == PE_VERDICT_FAIL;

	pe_buf_adds(b, "{\"id\":");
	pe_json_str(b, r->id);
	pe_buf_adds(b, ",\"prompt\":");
	pe_json_str(b, r->prompt->name);
	pe_buf_adds(b, ",\"file\":");
	pe_json_str(b, r->prompt->path);
	pe_buf_adds(b, ",\"case\":");
	pe_json_str(b, r->kase ? r->kase->id : NULL);
	pe_buf_addf(b, ",\"case_index\":%zu,\"model\":",
		    r->kase ? r->kase->index : 0);
	pe_json_str(b, r->model);
	pe_buf_adds(b, ",\"temperature\":");
	if (r->has_temperature)
		pe_json_num(b, r->temperature);
	else
		pe_buf_adds(b, "null");
	pe_buf_addf(b, ",\"repeat\":%u,\"status\":", r->repeat);
	pe_json_str(b, pe_verdict_name(r->score.verdict));
	/* A case that errored or was skipped has no score. */
	pe_buf_adds(b, ",\"score\":");
	if (scored)
		pe_json_num(b, r->score.score);
	else
		pe_buf_adds(b, "null");
	pe_buf_adds(b, ",\"error\":");
	pe_json_str(b, r->error);
	write_call(b, r);
	pe_buf_adds(b, ",\"output\":");
	if (r->output)
		pe_json_quote(b, r->output, r->output_len);
	else
		pe_buf_adds(b, "null");
	pe_buf_addc(b, ',');
	write_evaluators(b, &r->score);
	pe_buf_adds(b, "}");
}

static void write_summary(struct pe_buf *b, const struct pe_results_summary *s)
{
	size_t decided = s->pass + s->fail;

	pe_buf_addf(b,
		    "\"summary\":{\"total\":%zu,\"pass\":%zu,\"fail\":%zu,"
		    "\"error\":%zu,\"skip\":%zu,\"pass_rate\":",
		    s->total, s->pass, s->fail, s->error, s->skip);
	if (decided)
		pe_json_num(b, (double)s->pass / (double)decided);
	else
		pe_buf_adds(b, "null");
	pe_buf_adds(b, "}");
}

static void write_header(struct pe_buf *b, const char *command,
			 const struct pe_plan_info *plan)
{
	pe_buf_addf(b,
		    "{\"schema_version\":%d,\"tool\":\"prompteval %s\","
		    "\"command\":",
		    PE_RESULTS_SCHEMA_VERSION, PE_VERSION);
	pe_json_str(b, command);
	pe_buf_adds(b, ",\"plan\":");
	if (!plan) {
		pe_buf_adds(b, "null");
	} else {
		pe_buf_adds(b, "{\"id\":");
		pe_json_str(b, plan->id);
		pe_buf_addf(b, ",\"jobs\":%zu,\"shard\":", plan->jobs);
		if (plan->shard_count)
			pe_buf_addf(b, "{\"index\":%zu,\"count\":%zu}}",
				    plan->shard_index, plan->shard_count);
		else
			pe_buf_adds(b, "null}");
	}
	pe_buf_adds(b, ",\n\"results\":[\n");
}

/* Appends the document's opening, up to its first row. */
void pe_results_header(struct pe_buf *out, const char *command,
		       const struct pe_plan_info *plan)
{
	write_header(out, command, plan);
}

/* Appends the document's end: the summary. */
void pe_results_footer(struct pe_buf *out, const struct pe_results_summary *s)
{
	pe_buf_adds(out, "\n],\n");
	write_summary(out, s);
	pe_buf_adds(out, "}\n");
}

/* Writes the results document atomically; see results.h. */
int pe_results_write(const char *path, const char *command,
		     const struct pe_result_row *rows, size_t n)
{
	struct pe_buf b;
	struct pe_results_summary s;
	int rc;

	pe_buf_init(&b, 0);
	pe_results_header(&b, command, NULL);
	for (size_t i = 0; i < n; i++) {
		pe_results_row_json(&rows[i], &b);
		if (i + 1 < n)
			pe_buf_adds(&b, ",\n");
	}
	pe_results_summarize(rows, n, &s);
	pe_results_footer(&b, &s);
	rc = pe_file_write_atomic(path, b.data, b.len, 0);
	pe_buf_release(&b);
	return rc;
}

/* One evaluator object of the results schema; see results.h. */
void pe_results_evaluator_json(struct pe_buf *out, int first,
			       const struct pe_evaluator_json *e)
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
