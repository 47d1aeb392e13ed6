/*
 * The run loop.  State that the network thread owns: queues, buckets,
 * in-flight counts, attempts, judge calls once taken in.  State that
 * scoring tasks write: each job's own row and journal slot, the journal
 * (behind its lock), the run's tally and done count (in the pe_run_tally
 * critical section, where the observer is also called), and the judge
 * calls they hand in (the incoming list, in the pe_judge_queue critical
 * section).  Nothing else is shared.
 *
 * Calls are numbered: 0 .. njobs - 1 are the jobs' answers, and each
 * judge call gets the next number as it is taken in.  Both kinds share
 * the targets' queues, caps, pacing, retries, cache and --offline.  A job
 * whose evaluators include judges with a judge model is scored in two
 * steps: its scoring task scores every other evaluator and hands in one
 * judge call per judge; when the last judge has answered, a second task
 * decides the verdict and records the row.
 */
#define _GNU_SOURCE /* qsort_r */
#include "harness/run/runner.h"

#include <errno.h>
#include <omp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evaluators/evaluator.h"
#include "harness/core/buf.h"
#include "harness/run/http.h"
#include "harness/run/pacing.h"
#include "harness/core/json.h"
#include "harness/run/cache.h"
#include "harness/run/journal.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	MAX_PROMPT_BYTES = 16 * 1024 * 1024,
	MAX_BODY_BYTES = 32 * 1024 * 1024,
	CONNECT_TIMEOUT_MS = 10000,
};

/* One request in flight, and the calls waiting for the same answer. */
struct attempt {
	size_t call;
	char key[PE_SHA256_HEX_LEN + 1];
	double started_ms;
	size_t *followers; /* calls with the same cache key */
	size_t nfollowers;
};

/* One judge of one job's answer: its question and its samples' results. */
struct judge_eval {
	size_t eval; /* the judge's index in the job's case score */
	unsigned nsamples;
	unsigned open; /* its calls not over yet */
	/*
	 * A sample that did not run (--offline's miss) leaves the judge
	 * skipped, whatever the others said: unrun is 1 and unrun_sample
	 * names it.
	 */
	int unrun;
	unsigned unrun_sample;
	struct pe_judge_ask ask;
	struct pe_eval_result *samples;
};

/* One ask of a judge: sample of je for job. */
struct judge_call {
	size_t job;
	struct judge_eval *je;
	unsigned sample;
	size_t target;		 /* the plan target that answers it */
	struct judge_call *next; /* in the incoming list */
};

struct target_state {
	size_t *queue; /* ready calls, a FIFO */
	size_t head;
	size_t len;
	size_t alloc;
	size_t inflight;
	struct pe_pacing pace;
};

struct delayed {
	size_t call;
	double due_ms;
};

/* A local provider's call in flight (an exec: program). */
struct local {
	size_t job;
	const struct pe_provider_ops *ops;
	struct pe_local_call *call;
};

struct runner {
	const struct pe_plan *plan;
	const struct pe_run_options *opts;
	struct pe_run *run;
	struct pe_http *http;
	struct target_state *targets;
	struct delayed *delayed;
	size_t ndelayed;
	size_t delayed_alloc;
	unsigned *attempts; /* per call */
	size_t attempts_alloc;
	size_t remaining; /* jobs whose answer has not come */
	size_t inflight;
	/*
	 * Judges.  scores[job] holds a job's case score while its judges
	 * answer, and pending[job] how many have not; judging counts those
	 * jobs.  calls[i] is call njobs + i (NULL once settled).  incoming is
	 * handed in by scoring tasks; scoring counts the tasks that may still
	 * hand some in (atomic).
	 */
	struct pe_case_score **scores;
	size_t *pending;
	struct pe_judged *judged; /* pe_run_judges: the answers to judge */
	size_t judging;
	struct judge_call **calls;
	size_t ncalls;
	size_t calls_alloc;
	struct judge_call *incoming;
	size_t scoring;
	struct attempt **active; /* requests in flight, for deduplication */
	size_t nactive;
	size_t active_alloc;
	struct local *locals; /* local calls in flight */
	size_t nlocals;
	size_t locals_alloc;
	struct pollfd *pollfds; /* their descriptors, for the HTTP wait */
	size_t pollfds_alloc;
	struct pe_journal *journal;
	int journal_errno; /* the first append's failure; under pe_journal_error */
	unsigned long long rng;
	double ticked_ms;
	int told_stopping;
	int threads;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static unsigned long long next_random(struct runner *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

static void queue_push(struct target_state *t, size_t job, int front)
{
	if (t->head && front) {
		t->queue[--t->head] = job;
		t->len++;
		return;
	}
	pe_grow(&t->queue, &t->alloc, t->head + t->len + 1, sizeof(*t->queue));
	if (front) {
		memmove(t->queue + 1, t->queue, t->len * sizeof(*t->queue));
		t->queue[0] = job;
	} else {
		t->queue[t->head + t->len] = job;
	}
	t->len++;
}

static int queue_pop(struct target_state *t, size_t *job)
{
	if (!t->len)
		return 0;
	*job = t->queue[t->head++];
	t->len--;
	if (!t->len)
		t->head = 0;
	return 1;
}

/* Renders every message of a job; returns 0 or an error message. */
static char *render_messages(const struct pe_job *job,
			     struct pe_chat_message *msgs, char **texts)
{
	const struct pe_prompt *p = job->prompt;

	for (size_t i = 0; i < p->nmessages; i++) {
		struct pe_buf b;
		const char *missing = NULL;
		int rc;

		pe_buf_init(&b, MAX_PROMPT_BYTES);
		rc = pe_template_render(p->messages[i].content,
					job->kase ? job->kase->scopes : NULL,
					job->kase ? job->kase->nscopes : 0, &b,
					&missing);
		if (rc) {
			pe_buf_release(&b);
			return rc == PE_ERR_LIMIT
				       ? xstrdup("rendered prompt is larger "
						 "than 16 MiB")
				       : xstrfmt("variable '%s' is not defined",
						 missing ? missing : "?");
		}
		texts[i] = pe_buf_detach(&b, NULL);
		msgs[i].role = p->messages[i].role;
		msgs[i].content = texts[i];
	}
	return NULL;
}

static void fill_request(const struct pe_job *job, const struct pe_target *t,
			 const struct pe_chat_message *msgs,
			 struct pe_chat_request *req)
{
	const struct pe_prompt *p = job->prompt;

	memset(req, 0, sizeof(*req));
	req->model = t->model;
	req->messages = msgs;
	req->nmessages = p->nmessages;
	req->params = &p->params;
	req->has_temperature = job->has_temperature;
	req->temperature = job->temperature;
	req->response_format = p->response_format;
	req->json_schema = p->json_schema;
	req->org = t->org;
}

/*
 * A finished call is handed to scoring in the job's own row: the loop
 * thread fills its call figures and its answer (output, error, finish
 * reason and served model, on the heap and owned by the row until it is
 * recorded), then a scoring task takes the row over.  No other thread
 * touches that row until the run ends.
 */
static void release_answer(struct pe_result *row)
{
	free((char *)row->output);
	free((char *)row->error);
	free((char *)row->finish_reason);
	free((char *)row->served_model);
	row->output = row->error = NULL;
	row->finish_reason = row->served_model = NULL;
	row->output_len = 0;
}

/*
 * Records a scored job: sets its verdict, journals its row, counts it and
 * tells the observer.  The row keeps its verdict and call figures; its
 * answer and evaluators are freed once the line is written.
 */
static void record(struct runner *r, size_t job,
		   const struct pe_case_score *score)
{
	struct pe_result *row = &r->run->rows[job];
	struct pe_journal_line *jl = &r->run->lines[job];
	struct pe_result_evaluator *evs =
		xcalloc(score->nresults ? score->nresults : 1, sizeof(*evs));
	struct pe_buf line;

	pe_case_score_to_row(score, row, evs);
	pe_buf_init(&line, 0);
	pe_result_json(row, &line);
	if (pe_journal_append(r->journal, line.data, line.len, &jl->offset)) {
		int err = errno ? errno : EIO;

#pragma omp critical(pe_journal_error)
		if (!r->journal_errno)
			r->journal_errno = err;
	}
	jl->len = line.len;
	jl->finished = 1;
	pe_buf_release(&line);
#pragma omp critical(pe_run_tally)
	{
		pe_tally_add(&r->run->tally, row);
		r->run->done++;
		if (r->opts->observer && r->opts->observer->job_done)
			r->opts->observer->job_done(r->opts->observer->ctx,
						    row);
	}
	release_answer(row);
	row->evaluators = NULL;
	row->nevaluators = 0;
	free(evs);
}

/* A job's row: in the run, or the answer pe_run_judges judges. */
static struct pe_result *job_row(const struct runner *r, size_t job)
{
	return r->judged ? r->judged[job].row : &r->run->rows[job];
}

/* Sets an evaluator's result anew. */
static void set_result(struct pe_eval_result *res, enum pe_verdict verdict,
		       const char *what, const char *detail)
{
	free(res->reason);
	res->reason = NULL;
	pe_result_set(res, verdict, 0, "%s%s", what, detail ? detail : "");
}

/*
 * Hands in a judge call for each judge in score that has a judge model
 * (the others stay skipped) and returns how many.  When there are any,
 * score is kept in r->scores[job] (it must live until the job is
 * decided) and the job waits for their answers.  Runs in the job's
 * scoring task.
 */
static size_t ask_judges(struct runner *r, size_t job,
			 struct pe_case_score *score)
{
	const struct pe_job *j = &r->plan->jobs[job];
	const struct pe_result *row = job_row(r, job);
	struct pe_eval_input in;
	struct judge_call *head = NULL, **tail = &head;
	size_t n = 0;

	memset(&in, 0, sizeof(in));
	in.output = row->output ? row->output : "";
	in.len = row->output_len;
	in.prompt = j->prompt;
	in.kase = j->kase;
	for (size_t i = 0; i < score->nresults; i++) {
		const struct pe_evalspec *spec = score->specs[i];
		struct judge_eval *je;
		char *why = NULL;
		long t;

		if (!pe_evaluator_is_judge(spec))
			continue;
		t = pe_plan_judge_target(
			r->plan,
			pe_evaluator_judge_model(spec, r->plan->judge_model));
		if (t < 0)
			continue;
		je = xcalloc(1, sizeof(*je));
		if (pe_evaluator_judge_ask(spec, &in, &je->ask, &why)) {
			set_result(&score->results[i], PE_VERDICT_ERROR,
				   "the judge cannot be asked: ", why);
			free(why);
			free(je);
			continue;
		}
		je->eval = i;
		je->nsamples = pe_evaluator_judge_samples(spec);
		je->open = je->nsamples;
		je->samples = xcalloc(je->nsamples, sizeof(*je->samples));
		for (unsigned k = 0; k < je->nsamples; k++) {
			struct judge_call *c = xcalloc(1, sizeof(*c));

			c->job = job;
			c->je = je;
			c->sample = k;
			c->target = (size_t)t;
			*tail = c;
			tail = &c->next;
			n++;
		}
	}
	if (!n) {
		/* A judge that cannot be asked may have changed the verdict. */
		pe_case_score_decide(j->prompt, score);
		return 0;
	}
	r->scores[job] = score;
	r->pending[job] = n;
#pragma omp critical(pe_judge_queue)
	{
		*tail = r->incoming;
		r->incoming = head;
	}
	if (r->http)
		pe_http_wakeup(r->http);
	return n;
}

/*
 * Scores a finished job and records it, or hands in its judge calls;
 * runs as an OpenMP task.
 */
static void score_job(struct runner *r, size_t job)
{
	const struct pe_job *j = &r->plan->jobs[job];
	const struct pe_result *row = &r->run->rows[job];
	struct pe_case_score *score = xcalloc(1, sizeof(*score));
	size_t left;

	if (row->error)
		score->verdict = PE_VERDICT_ERROR;
	else
		pe_score_case(j->prompt, j->kase, row->output, row->output_len,
			      score);
	if (row->error || !r->plan->njudges || !ask_judges(r, job, score)) {
		record(r, job, score);
		pe_case_score_release(score);
		free(score);
	}
	if (!r->plan->njudges)
		return;
#pragma omp atomic capture seq_cst
	left = --r->scoring;
	if (!left)
		pe_http_wakeup(r->http);
}

/* Decides and records a job whose judges have all answered; a task. */
static void finish_judged(struct runner *r, size_t job)
{
	struct pe_case_score *score = r->scores[job];

	pe_case_score_decide(r->plan->jobs[job].prompt, score);
	record(r, job, score);
	pe_case_score_release(score);
	free(score);
	r->scores[job] = NULL;
}

/*
 * Hands a finished job (its row holds the answer or the error) to
 * scoring, on another thread when there is one.
 */
static void complete(struct runner *r, size_t job)
{
	struct pe_result *row = &r->run->rows[job];

	row->has_call = 1;
	row->attempts = r->attempts[job];
	r->remaining--;
	if (r->plan->njudges) {
#pragma omp atomic update seq_cst
		r->scoring++;
	}
#pragma omp task firstprivate(job) if (r->threads > 1)
	score_job(r, job);
}

/* The plan target of a call. */
static size_t call_target(const struct runner *r, size_t call)
{
	return call < r->plan->njobs ? r->plan->jobs[call].target
				     : r->calls[call - r->plan->njobs]->target;
}

/* Takes in the judge calls that scoring tasks handed in. */
static void take_judges(struct runner *r)
{
	struct judge_call *c;

#pragma omp critical(pe_judge_queue)
	{
		c = r->incoming;
		r->incoming = NULL;
	}
	while (c) {
		struct judge_call *next = c->next;
		size_t call = r->plan->njobs + r->ncalls;

		c->next = NULL;
		pe_grow(&r->calls, &r->calls_alloc, r->ncalls + 1,
			sizeof(*r->calls));
		r->calls[r->ncalls++] = c;
		pe_grow(&r->attempts, &r->attempts_alloc, call + 1,
			sizeof(*r->attempts));
		r->attempts[call] = 0;
		r->judging++;
		/* Judges first: a job waits for them, its answer in memory. */
		queue_push(&r->targets[c->target], call, 1);
		c = next;
	}
}

static void free_judge_eval(struct judge_eval *je)
{
	for (unsigned k = 0; k < je->nsamples; k++)
		free(je->samples[k].reason);
	free(je->samples);
	pe_judge_ask_release(&je->ask);
	free(je);
}

/*
 * A judge call is over (its sample's result is set).  The judge's last
 * sample sets the evaluator's result from them all; the job's last call
 * has the job decided and recorded in a task.
 */
static void settle_judge(struct runner *r, size_t call)
{
	struct judge_call *c = r->calls[call - r->plan->njobs];
	struct judge_eval *je = c->je;
	size_t job = c->job;

	r->calls[call - r->plan->njobs] = NULL;
	free(c);
	r->judging--;
	if (--je->open == 0) {
		struct pe_case_score *score = r->scores[job];
		struct pe_eval_result *res = &score->results[je->eval];

		free(res->reason);
		memset(res, 0, sizeof(*res));
		if (je->unrun && je->nsamples > 1)
			pe_result_set(res, PE_VERDICT_SKIP, 0,
				      "sample %u of %u: %s",
				      je->unrun_sample + 1, je->nsamples,
				      je->samples[je->unrun_sample].reason);
		else if (je->unrun)
			pe_result_set(res, PE_VERDICT_SKIP, 0, "%s",
				      je->samples[0].reason);
		else
			pe_evaluator_judge_combine(score->specs[je->eval],
						   je->samples, je->nsamples,
						   res);
		free_judge_eval(je);
	}
	if (--r->pending[job])
		return;
	if (r->judged) {
		/* pe_run_judges: the caller records. */
		pe_case_score_decide(r->plan->jobs[job].prompt, r->scores[job]);
		return;
	}
#pragma omp task firstprivate(job) if (r->threads > 1)
	finish_judged(r, job);
}

/*
 * Counts a judge call into its job's row, with the model that answered
 * (the plan's target spec; NULL once two models have answered).
 */
static void count_judge_call(struct runner *r, const struct judge_call *c)
{
	struct pe_result *row = job_row(r, c->job);
	const char *spec = r->plan->targets[c->target].spec;

	if (!row->judge_calls)
		row->judge_model = spec;
	else if (row->judge_model && strcmp(row->judge_model, spec))
		row->judge_model = NULL;
	row->judge_calls++;
}

/* The judge's answer came (from the model or the cache): read it. */
static void judge_answered(struct runner *r, size_t call,
			   const struct pe_result *answer)
{
	const struct judge_call *c = r->calls[call - r->plan->njobs];
	const struct pe_case_score *score = r->scores[c->job];
	struct pe_eval_result *res = &c->je->samples[c->sample];
	struct pe_result *row = job_row(r, c->job);

	pe_evaluator_judge_read(score->specs[c->je->eval],
				answer->output ? answer->output : "",
				answer->output_len, res);
	count_judge_call(r, c);
	if (answer->tokens_in >= 0)
		row->judge_tokens_in =
			(row->judge_tokens_in > 0 ? row->judge_tokens_in : 0) +
			answer->tokens_in;
	if (answer->tokens_out >= 0)
		row->judge_tokens_out =
			(row->judge_tokens_out > 0 ? row->judge_tokens_out
						   : 0) +
			answer->tokens_out;
	settle_judge(r, call);
}

/*
 * A judge call ended without an answer: the judge errs (a failed call,
 * which --resume runs again; counted as a call when it was sent) or did
 * not run (skip: --offline's miss).
 */
static void judge_unanswered(struct runner *r, size_t call,
			     enum pe_verdict verdict, int sent, const char *why)
{
	const struct judge_call *c = r->calls[call - r->plan->njobs];

	if (sent)
		count_judge_call(r, c);
	if (verdict == PE_VERDICT_SKIP && !c->je->unrun) {
		c->je->unrun = 1;
		c->je->unrun_sample = c->sample;
	}
	set_result(&c->je->samples[c->sample], verdict,
		   verdict == PE_VERDICT_ERROR ? "the judge call failed: "
					       : "the judge did not run: ",
		   why);
	settle_judge(r, call);
}

static void fail_job(struct runner *r, size_t job, long status, const char *msg)
{
	struct pe_result *row = &r->run->rows[job];

	row->error = xstrdup(msg);
	row->http_status = status;
	complete(r, job);
}

/* A call failed for good: its job errs, or its judge does. */
static void fail_call(struct runner *r, size_t call, long status,
		      const char *msg)
{
	if (call < r->plan->njobs)
		fail_job(r, call, status, msg);
	else
		judge_unanswered(r, call, PE_VERDICT_ERROR, 1, msg);
}

static void schedule_retry(struct runner *r, size_t call, long retry_after_ms,
			   double now)
{
	double delay = pe_pacing_backoff_ms(r->attempts[call], retry_after_ms,
					    next_random(r));

	pe_grow(&r->delayed, &r->delayed_alloc, r->ndelayed + 1,
		sizeof(*r->delayed));
	r->delayed[r->ndelayed].call = call;
	r->delayed[r->ndelayed].due_ms = now + delay;
	r->ndelayed++;
}

/*
 * Completes the jobs that waited for the same request (the same cache
 * key: temperature 0 repeats) with copies of its answer, as cache hits.
 */
static void answer_followers(struct runner *r, struct attempt *a,
			     const struct pe_result *answer)
{
	for (size_t i = 0; i < a->nfollowers; i++) {
		struct pe_result *f = &r->run->rows[a->followers[i]];

		f->output = xstrndup(answer->output ? answer->output : "",
				     answer->output_len);
		f->output_len = answer->output_len;
		f->finish_reason = answer->finish_reason
					   ? xstrdup(answer->finish_reason)
					   : NULL;
		f->served_model = answer->served_model
					  ? xstrdup(answer->served_model)
					  : NULL;
		f->tokens_in = answer->tokens_in;
		f->tokens_out = answer->tokens_out;
		f->http_status = answer->http_status;
		f->first_byte_ms = answer->first_byte_ms;
		f->total_ms = answer->total_ms;
		f->cached = 1;
		r->run->cache_hits++;
		complete(r, a->followers[i]);
	}
	a->nfollowers = 0;
}

/*
 * Puts an answer into row: the response's strings (borrowed: the caller
 * says who keeps them), its token counts and the HTTP status.
 */
static void take_answer(struct pe_result *row, const struct pe_http_result *res,
			const struct pe_chat_response *resp)
{
	row->output = resp->output;
	row->output_len = resp->output_len;
	row->finish_reason = resp->finish_reason;
	row->served_model = resp->model;
	row->tokens_in = resp->tokens_in;
	row->tokens_out = resp->tokens_out;
	row->http_status = res->status;
}

/* A job's answer came: it goes to scoring, with its followers'. */
static void answer_job(struct runner *r, struct attempt *a,
		       const struct pe_http_result *res,
		       struct pe_chat_response *resp)
{
	struct pe_result *row = &r->run->rows[a->call];

	take_answer(row, res, resp);
	row->first_byte_ms = res->first_byte_ms;
	row->total_ms = res->total_ms;
	resp->output = resp->finish_reason = resp->model = NULL;
	if (r->opts->use_cache)
		pe_cache_put(r->opts->cache_dir, a->key, row);
	answer_followers(r, a, row);
	complete(r, a->call);
}

/* A judge's answer came: it is read for the call and its followers. */
static void answer_judge(struct runner *r, struct attempt *a,
			 const struct pe_http_result *res,
			 const struct pe_chat_response *resp)
{
	struct pe_result answer;

	pe_result_init(&answer);
	take_answer(&answer, res, resp);
	if (r->opts->use_cache)
		pe_cache_put(r->opts->cache_dir, a->key, &answer);
	for (size_t i = 0; i < a->nfollowers; i++)
		judge_answered(r, a->followers[i], &answer);
	a->nfollowers = 0;
	judge_answered(r, a->call, &answer);
}

static void on_done(void *ctx, void *userdata, struct pe_http_result *res)
{
	struct runner *r = ctx;
	struct attempt *a = userdata;
	size_t k = call_target(r, a->call);
	const struct pe_target *t = &r->plan->targets[k];
	struct target_state *ts = &r->targets[k];
	struct pe_chat_response resp;
	double now = now_ms();
	int retry;

	ts->inflight--;
	r->inflight--;
	for (size_t i = 0; i < r->nactive; i++) {
		if (r->active[i] == a) {
			r->active[i] = r->active[--r->nactive];
			break;
		}
	}
	if (res->transport_error) {
		memset(&resp, 0, sizeof(resp));
		resp.cls = res->body_capped ? PE_REPLY_FATAL : PE_REPLY_RETRY;
		resp.error = xstrfmt("connection failed: %s", res->error);
		resp.retry_after_ms = -1;
	} else {
		pe_provider_parse(t->ops, res->status, res->body, res->len, 0,
				  &resp);
	}
	retry = resp.cls == PE_REPLY_RETRY;
	if (res->should_retry >= 0 && resp.cls != PE_REPLY_OK &&
	    resp.cls != PE_REPLY_QUOTA)
		retry = res->should_retry;
	if (res->status == 429 || res->status == 529)
		pe_pacing_limited(&ts->pace, res->retry_after_ms, now);
	if (resp.cls == PE_REPLY_OK) {
		pe_pacing_succeeded(&ts->pace, res->remaining_requests,
				    res->reset_ms, now);
		if (a->call < r->plan->njobs)
			answer_job(r, a, res, &resp);
		else
			answer_judge(r, a, res, &resp);
	} else if (retry &&
		   r->attempts[a->call] <= (unsigned)r->opts->retries) {
		long after = res->retry_after_ms >= 0 ? res->retry_after_ms
						      : resp.retry_after_ms;

		schedule_retry(r, a->call, after, now);
	} else {
		const char *msg = resp.error ? resp.error : "request failed";

		fail_call(r, a->call, res->status, msg);
		for (size_t i = 0; i < a->nfollowers; i++)
			fail_call(r, a->followers[i], res->status, msg);
		a->nfollowers = 0;
	}
	/* Followers of a request that will be retried start afresh. */
	for (size_t i = 0; i < a->nfollowers; i++)
		queue_push(ts, a->followers[i], 1);
	pe_chat_response_release(&resp);
	free(a->followers);
	free(a);
}

/* Completes a job whose row pe_cache_get has filled. */
static void finish_from_cache(struct runner *r, size_t job)
{
	r->run->rows[job].cached = 1;
	r->run->cache_hits++;
	complete(r, job);
}

/* Hands a local call's result to scoring, or its error. */
static void finish_local(struct runner *r, size_t job,
			 struct pe_local_result *res)
{
	struct pe_result *row = &r->run->rows[job];

	if (res->error) {
		fail_job(r, job, 0, res->error);
		pe_local_result_release(res);
		return;
	}
	row->output = res->output ? res->output : xstrdup("");
	row->output_len = res->output_len;
	row->total_ms = res->total_ms;
	res->output = NULL;
	pe_local_result_release(res);
	complete(r, job);
}

/* Starts a local provider's call (echo answers at once, exec runs on). */
static void start_local(struct runner *r, size_t job, const struct pe_target *t,
			const struct pe_chat_request *req, const char *body,
			size_t body_len, double now)
{
	struct pe_local_spec spec;
	struct pe_local_result res;
	struct pe_local_call *call = NULL;
	char err[512];
	int rc;

	spec.argv = t->argv;
	spec.timeout_ms = t->timeout_ms ? t->timeout_ms : r->opts->timeout_ms;
	memset(&res, 0, sizeof(res));
	rc = t->ops->local_start(&spec, req, body, body_len, now, &call, &res,
				 err, sizeof(err));
	if (rc < 0) {
		fail_job(r, job, 0, err);
	} else if (rc > 0) {
		finish_local(r, job, &res);
	} else {
		pe_grow(&r->locals, &r->locals_alloc, r->nlocals + 1,
			sizeof(*r->locals));
		r->locals[r->nlocals].job = job;
		r->locals[r->nlocals].ops = t->ops;
		r->locals[r->nlocals].call = call;
		r->nlocals++;
		r->targets[r->plan->jobs[job].target].inflight++;
		r->inflight++;
	}
}

/* Moves every local call on; finished ones go to scoring. */
static void step_locals(struct runner *r, double now)
{
	for (size_t i = 0; i < r->nlocals;) {
		struct local *l = &r->locals[i];
		struct pe_local_result res;
		size_t job = l->job;

		if (!l->ops->local_step(l->call, now, &res)) {
			i++;
			continue;
		}
		r->targets[r->plan->jobs[job].target].inflight--;
		r->inflight--;
		*l = r->locals[--r->nlocals];
		finish_local(r, job, &res);
	}
}

/*
 * Collects the descriptors of the local calls for the HTTP wait and
 * shortens *wait to the nearest deadline among them.  Returns how many.
 */
static size_t local_fds(struct runner *r, double now, long *wait)
{
	double due = now + (double)*wait;
	size_t n = 0;

	pe_grow(&r->pollfds, &r->pollfds_alloc, 3 * r->nlocals + 1,
		sizeof(*r->pollfds));
	for (size_t i = 0; i < r->nlocals; i++)
		n += r->locals[i].ops->local_fds(r->locals[i].call,
						 r->pollfds + n, 3, &due);
	if (due - now < (double)*wait)
		*wait = due - now < 1 ? 1 : (long)(due - now);
	return n;
}

/*
 * Makes call wait for an in-flight request with the same key, if any,
 * of its own kind: an answer's for an answer, a judge's for a judge's
 * (their bodies could be the same, but their answers are read apart).
 */
static int follow_active(struct runner *r, const char *key, size_t call)
{
	int judge = call >= r->plan->njobs;

	for (size_t i = 0; i < r->nactive; i++) {
		struct attempt *a = r->active[i];

		if (strcmp(a->key, key) || (a->call >= r->plan->njobs) != judge)
			continue;
		a->followers = xrealloc(a->followers,
					(a->nfollowers + 1) * sizeof(size_t));
		a->followers[a->nfollowers++] = call;
		return 1;
	}
	return 0;
}

/*
 * Starts one attempt of a job: from the cache, locally (echo, exec), or
 * as an HTTP request.  Returns the estimated tokens it will use.
 */
static double start_job(struct runner *r, size_t job, double now)
{
	const struct pe_job *j = &r->plan->jobs[job];
	const struct pe_target *t = &r->plan->targets[j->target];
	size_t n = j->prompt->nmessages;
	struct pe_chat_message *msgs = xcalloc(n ? n : 1, sizeof(*msgs));
	char **texts = xcalloc(n ? n : 1, sizeof(*texts));
	struct pe_chat_request req;
	struct pe_http_request http;
	struct attempt *a;
	char err[512], *rerr;
	double tokens = 0;

	r->attempts[job]++;
	memset(&http, 0, sizeof(http));
	rerr = render_messages(j, msgs, texts);
	if (rerr) {
		fail_job(r, job, 0, rerr);
		free(rerr);
		goto done;
	}
	fill_request(j, t, msgs, &req);
	if (!t->ops->write_body) {
		/* Nothing to send, so nothing to cache: echo. */
		start_local(r, job, t, &req, NULL, 0, now);
		goto done;
	}
	if (pe_provider_is_http(t->ops)
		    ? pe_provider_build(t->ops, t->base_url, t->api_key,
					&t->headers, &req, &http, err,
					sizeof(err))
		    : pe_provider_body(t->ops, &req, &http.body, &http.body_len,
				       err, sizeof(err))) {
		fail_job(r, job, 0, err);
		goto done;
	}
	a = xcalloc(1, sizeof(*a));
	a->call = job;
	a->started_ms = now;
	pe_cache_key(t->spec, http.url ? http.url : t->ops->name, http.body,
		     http.body_len, j->has_temperature && j->temperature > 0,
		     j->repeat, a->key);
	if (r->opts->use_cache &&
	    !pe_cache_get(r->opts->cache_dir, a->key, &r->run->rows[job])) {
		finish_from_cache(r, job);
		free(a);
	} else if (r->opts->use_cache && follow_active(r, a->key, job)) {
		/* The same request is in flight: wait for its answer. */
		free(a);
	} else if (r->opts->offline) {
		fail_job(r, job, 0,
			 "no cached response for this request (--offline)");
		free(a);
	} else if (t->ops->local_start) {
		start_local(r, job, t, &req, http.body, http.body_len, now);
		free(a);
	} else if (pe_http_add(r->http, &http, CONNECT_TIMEOUT_MS,
			       t->timeout_ms ? t->timeout_ms
					     : r->opts->timeout_ms,
			       MAX_BODY_BYTES, a)) {
		fail_job(r, job, 0, "cannot start the request");
		free(a);
	} else {
		pe_grow(&r->active, &r->active_alloc, r->nactive + 1,
			sizeof(*r->active));
		r->active[r->nactive++] = a;
		r->targets[j->target].inflight++;
		r->inflight++;
		r->run->requests++;
		tokens = (double)http.body_len / 4.0 +
			 (j->prompt->params.set & PE_PARAM_MAX_TOKENS
				  ? (double)j->prompt->params.max_tokens
				  : 512.0);
	}
done:
	pe_http_request_release(&http);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(msgs);
	return tokens;
}

/*
 * Starts one attempt of a judge call: from the cache or as an HTTP
 * request.  Returns the estimated tokens it will use.
 */
static double start_judge(struct runner *r, size_t call, double now)
{
	const struct judge_call *c = r->calls[call - r->plan->njobs];
	const struct pe_target *t = &r->plan->targets[c->target];
	/*
	 * The judge's question at its temperature (0 unless judge: sets one)
	 * and with the sample's number as the seed (where the provider takes
	 * one), so that the same ask gets the same answer and the cache can
	 * keep it, while samples stay distinct asks.
	 */
	struct pe_params params = { .set = PE_PARAM_SEED, .seed = c->sample };
	struct pe_chat_message msgs[2];
	struct pe_chat_request req;
	struct pe_http_request http;
	struct pe_result answer;
	struct attempt *a;
	char err[512];
	size_t n = 0;
	double tokens = 0;

	r->attempts[call]++;
	if (c->je->ask.system) {
		msgs[n].role = PE_ROLE_SYSTEM;
		msgs[n++].content = c->je->ask.system;
	}
	msgs[n].role = PE_ROLE_USER;
	msgs[n++].content = c->je->ask.user;
	memset(&req, 0, sizeof(req));
	req.model = t->model;
	req.org = t->org;
	req.messages = msgs;
	req.nmessages = n;
	req.params = &params;
	req.has_temperature = 1;
	req.temperature = c->je->ask.temperature;
	memset(&http, 0, sizeof(http));
	if (pe_provider_build(t->ops, t->base_url, t->api_key, &t->headers,
			      &req, &http, err, sizeof(err))) {
		judge_unanswered(r, call, PE_VERDICT_ERROR, 0, err);
		goto done;
	}
	a = xcalloc(1, sizeof(*a));
	a->call = call;
	a->started_ms = now;
	/* Each sample is its own ask: never one answer counted twice. */
	pe_cache_key(t->spec, http.url, http.body, http.body_len,
		     c->je->nsamples > 1, c->sample, a->key);
	pe_result_init(&answer);
	if (r->opts->use_cache &&
	    !pe_cache_get(r->opts->cache_dir, a->key, &answer)) {
		judge_answered(r, call, &answer);
		release_answer(&answer);
		free(a);
	} else if (r->opts->use_cache && follow_active(r, a->key, call)) {
		free(a);
	} else if (r->opts->offline) {
		judge_unanswered(r, call, PE_VERDICT_SKIP, 0,
				 "no cached judge answer for this request "
				 "(--offline)");
		free(a);
	} else if (pe_http_add(r->http, &http, CONNECT_TIMEOUT_MS,
			       t->timeout_ms ? t->timeout_ms
					     : r->opts->timeout_ms,
			       MAX_BODY_BYTES, a)) {
		judge_unanswered(r, call, PE_VERDICT_ERROR, 0,
				 "cannot start the request");
		free(a);
	} else {
		pe_grow(&r->active, &r->active_alloc, r->nactive + 1,
			sizeof(*r->active));
		r->active[r->nactive++] = a;
		r->targets[c->target].inflight++;
		r->inflight++;
		r->run->requests++;
		tokens = (double)http.body_len / 4.0 + 512.0;
	}
done:
	pe_http_request_release(&http);
	return tokens;
}

/* Starts one attempt of a call, a job's or a judge's. */
static double start_call(struct runner *r, size_t call, double now)
{
	return call < r->plan->njobs ? start_job(r, call, now)
				     : start_judge(r, call, now);
}

/* Moves retries that are due back to the front of their queues. */
static void release_due(struct runner *r, double now)
{
	size_t kept = 0;

	for (size_t i = 0; i < r->ndelayed; i++) {
		struct delayed *d = &r->delayed[i];

		if (d->due_ms <= now)
			queue_push(&r->targets[call_target(r, d->call)],
				   d->call, 1);
		else
			r->delayed[kept++] = *d;
	}
	r->ndelayed = kept;
}

/* True when the next call of ts is a judge's (they wait at the front). */
static int judge_first(const struct runner *r, const struct target_state *ts)
{
	return ts->len && ts->queue[ts->head] >= r->plan->njobs;
}

/*
 * Starts what the caps and pacing allow: first the judge calls of every
 * target, then the rest, so that a job whose answer is in waits for no
 * other job's answer before its judges are asked.
 */
static void dispatch(struct runner *r, double now)
{
	size_t n = r->plan->ntargets;

	release_due(r, now);
	for (size_t k = 0; k < n; k++)
		pe_pacing_refill(&r->targets[k].pace, now);
	for (int judges = 1; judges >= 0; judges--) {
		for (size_t k = 0; k < n; k++) {
			struct target_state *ts = &r->targets[k];
			size_t call;

			while (r->inflight < (size_t)r->opts->concurrency &&
			       (!judges || judge_first(r, ts)) &&
			       pe_pacing_may_send(&ts->pace, ts->inflight,
						  now) &&
			       queue_pop(ts, &call))
				pe_pacing_spend(&ts->pace,
						start_call(r, call, now));
		}
	}
}

/* How long the loop may wait before something is due. */
static long wait_ms(const struct runner *r, double now)
{
	const struct pe_run_observer *o = r->opts->observer;
	double wait = o && o->tick_ms > 0 && o->tick_ms < 1000
			      ? (double)o->tick_ms
			      : 1000;

	for (size_t i = 0; i < r->ndelayed; i++)
		if (r->delayed[i].due_ms - now < wait)
			wait = r->delayed[i].due_ms - now;
	for (size_t k = 0; k < r->plan->ntargets; k++) {
		const struct target_state *ts = &r->targets[k];

		if (ts->len)
			wait = pe_pacing_wait_ms(&ts->pace, ts->inflight, now,
						 wait);
	}
	return wait < 1 ? 1 : (long)wait;
}

/* Lets the observer show progress, at most every tick_ms. */
static void tick(struct runner *r, double now, int last)
{
	const struct pe_run_observer *o = r->opts->observer;

	if (!o || !o->tick || (!last && now - r->ticked_ms < o->tick_ms))
		return;
	r->ticked_ms = now;
#pragma omp critical(pe_run_tally)
	o->tick(o->ctx, r->run, last);
}

struct id_index {
	size_t *slots; /* job index + 1; 0 is empty */
	size_t mask;
	const struct pe_plan *plan;
};

static size_t id_hash(const char *id)
{
	size_t h = 1469598103934665603ULL;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

static void index_build(struct id_index *ix, const struct pe_plan *plan)
{
	size_t size = 16;

	while (size < plan->njobs * 2)
		size *= 2;
	ix->slots = xcalloc(size, sizeof(*ix->slots));
	ix->mask = size - 1;
	ix->plan = plan;
	for (size_t i = 0; i < plan->njobs; i++) {
		size_t k = id_hash(plan->jobs[i].id) & ix->mask;

		while (ix->slots[k])
			k = (k + 1) & ix->mask;
		ix->slots[k] = i + 1;
	}
}

static long index_find(const struct id_index *ix, const char *id)
{
	size_t k = id_hash(id) & ix->mask;

	while (ix->slots[k]) {
		size_t j = ix->slots[k] - 1;

		if (!strcmp(ix->plan->jobs[j].id, id))
			return (long)j;
		k = (k + 1) & ix->mask;
	}
	return -1;
}

/* The plan's own copy of a target spec (the journal's goes away). */
static const char *target_spec(const struct pe_plan *plan, const char *spec)
{
	for (size_t i = 0; spec && i < plan->ntargets; i++)
		if (!strcmp(plan->targets[i].spec, spec))
			return plan->targets[i].spec;
	return NULL;
}

struct resume_ctx {
	struct id_index index;
	struct pe_run *run;
};

/*
 * Takes one journal line: a finished job is not run again.  The line is
 * read by the results reader, as every row is; a line that does not read
 * (or a job that ended in error) leaves the job to run again.
 */
static void resume_line(void *ctx, const char *line, size_t len, size_t offset)
{
	struct resume_ctx *rc = ctx;
	struct pe_doc *doc = pe_doc_new("journal", line, len);
	struct pe_diag *diag = pe_diag_new();
	struct pe_result read;
	long job;

	if (!pe_result_read_line(doc, &read, diag) &&
	    read.status != PE_VERDICT_ERROR &&
	    (job = index_find(&rc->index, read.id)) >= 0) {
		struct pe_result *row = &rc->run->rows[job];
		struct pe_journal_line *jl = &rc->run->lines[job];

		/* A later line for the same job replaces an earlier one. */
		row->status = read.status;
		row->score = read.score;
		row->has_call = read.has_call;
		row->attempts = read.attempts;
		row->cached = read.cached;
		row->http_status = read.http_status;
		row->first_byte_ms = read.first_byte_ms;
		row->total_ms = read.total_ms;
		row->tokens_in = read.tokens_in;
		row->tokens_out = read.tokens_out;
		row->judge_calls = read.judge_calls;
		row->judge_tokens_in = read.judge_tokens_in;
		row->judge_tokens_out = read.judge_tokens_out;
		row->judge_model =
			target_spec(rc->index.plan, read.judge_model);
		jl->finished = 1;
		jl->offset = offset;
		jl->len = len;
	}
	pe_diag_free(diag);
	pe_doc_free(doc);
}

/* Gives every job's row its identity, from the plan. */
static void init_rows(const struct pe_plan *plan, struct pe_run *run)
{
	run->rows = xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*run->rows));
	run->lines =
		xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*run->lines));
	for (size_t i = 0; i < plan->njobs; i++) {
		const struct pe_job *j = &plan->jobs[i];
		struct pe_result *row = &run->rows[i];

		pe_result_init(row);
		row->id = j->id;
		row->prompt = j->prompt->name;
		row->file = j->prompt->path;
		row->case_id = j->kase ? j->kase->id : NULL;
		row->case_index = j->kase ? j->kase->index : 0;
		row->model = plan->targets[j->target].spec;
		row->has_temperature = j->has_temperature;
		row->temperature = j->temperature;
		row->repeat = j->repeat;
	}
}

static void setup_targets(struct runner *r)
{
	r->targets = xcalloc(r->plan->ntargets ? r->plan->ntargets : 1,
			     sizeof(*r->targets));
	for (size_t k = 0; k < r->plan->ntargets; k++) {
		const struct pe_target *t = &r->plan->targets[k];
		struct target_state *ts = &r->targets[k];

		pe_pacing_init(
			&ts->pace,
			t->max_concurrency > 0 ? (double)t->max_concurrency
					       : (double)r->opts->concurrency,
			t->requests_per_minute, t->tokens_per_minute, now_ms());
	}
}

static char *journal_path(const struct pe_run_options *opts)
{
	return xstrfmt("%s/results.jsonl", opts->out_dir);
}

/*
 * True while work is left: answers to come, or (with judges) scoring
 * tasks that may hand in judge calls, and judge calls not yet over.
 * Judge calls handed in are taken in first.
 */
static int work_left(struct runner *r)
{
	size_t scoring;

	if (!r->plan->njudges)
		return r->remaining > 0;
		/* Read before taking in: a task hands in, then counts itself out. */
#pragma omp atomic read seq_cst
	scoring = r->scoring;
	take_judges(r);
	return r->remaining > 0 || scoring > 0 || r->judging > 0;
}

/* The loop itself, on one thread of the OpenMP team. */
static void loop(struct runner *r)
{
	while (work_left(r)) {
		double now = now_ms();
		long wait;
		size_t nfds;

		if (r->opts->stop && *r->opts->stop) {
			if (!r->inflight || *r->opts->stop > 1)
				break;
			if (!r->told_stopping && r->opts->observer &&
			    r->opts->observer->stopping) {
#pragma omp critical(pe_run_tally)
				r->opts->observer->stopping(
					r->opts->observer->ctx, r->inflight);
			}
			r->told_stopping = 1;
		} else {
			dispatch(r, now);
		}
		if (!work_left(r))
			break;
		wait = wait_ms(r, now);
		nfds = local_fds(r, now, &wait);
		pe_http_run(r->http, wait, r->pollfds, nfds, on_done, r);
		step_locals(r, now_ms());
		tick(r, now_ms(), 0);
	}
}

/*
 * Frees what an interrupted run left of its judges: calls not over, and
 * the jobs that waited for them (their answers too), which stay
 * unrecorded and run again with --resume.
 */
static void free_judges(struct runner *r)
{
	for (size_t i = 0; i < r->ncalls; i++) {
		if (!r->calls[i])
			continue;
		if (--r->calls[i]->je->open == 0)
			free_judge_eval(r->calls[i]->je);
		free(r->calls[i]);
	}
	for (size_t j = 0; r->scores && !r->judged && j < r->plan->njobs; j++) {
		if (!r->scores[j])
			continue;
		pe_case_score_release(r->scores[j]);
		free(r->scores[j]);
		release_answer(&r->run->rows[j]);
	}
	free(r->calls);
	free(r->scores);
	free(r->pending);
}

/*
 * Runs the loop on one thread of an OpenMP team whose other threads run
 * the scoring tasks, until the work is done or the run is stopped.
 */
static void drive(struct runner *r)
{
	r->http = pe_http_new(r->opts->concurrency);
	r->ticked_ms = now_ms();
#pragma omp parallel
	{
#pragma omp single
		{
			r->threads = omp_get_num_threads();
			loop(r);
#pragma omp taskwait
		}
	}
	take_judges(r);
}

/* Frees what the runner holds once the loop is over. */
static void release_runner(struct runner *r)
{
	pe_http_free(r->http);
	/* Requests cancelled by an interrupt still own their contexts. */
	for (size_t i = 0; i < r->nactive; i++) {
		free(r->active[i]->followers);
		free(r->active[i]);
	}
	for (size_t i = 0; i < r->nlocals; i++)
		r->locals[i].ops->local_cancel(r->locals[i].call);
	free(r->locals);
	free(r->pollfds);
	free_judges(r);
	for (size_t k = 0; k < r->plan->ntargets; k++)
		free(r->targets[k].queue);
	free(r->targets);
	free(r->active);
	free(r->delayed);
	free(r->attempts);
}

/* Runs a plan; see runner.h. */
int pe_run_execute(const struct pe_plan *plan,
		   const struct pe_run_options *opts, struct pe_run *run)
{
	struct runner r;
	struct resume_ctx rc;
	char *path = journal_path(opts);

	memset(&r, 0, sizeof(r));
	memset(run, 0, sizeof(*run));
	run->njobs = plan->njobs;
	pe_tally_init(&run->tally);
	init_rows(plan, run);
	r.plan = plan;
	r.opts = opts;
	r.run = run;
	r.rng = 0x9e3779b97f4a7c15ULL ^ (unsigned long long)time(NULL);
	if (pe_make_dirs(opts->out_dir, 0)) {
		free(path);
		return PE_ERR_IO;
	}
	if (opts->resume) {
		int scanned;

		index_build(&rc.index, plan);
		rc.run = run;
		scanned = pe_journal_scan(path, resume_line, &rc);
		free(rc.index.slots);
		if (scanned) {
			free(path);
			return PE_ERR_IO;
		}
	}
	r.journal = pe_journal_open(path, opts->resume);
	free(path);
	if (!r.journal)
		return PE_ERR_IO;
	r.attempts_alloc = plan->njobs ? plan->njobs : 1;
	r.attempts = xcalloc(r.attempts_alloc, sizeof(unsigned));
	if (plan->njudges) {
		r.scores = xcalloc(r.attempts_alloc, sizeof(*r.scores));
		r.pending = xcalloc(r.attempts_alloc, sizeof(*r.pending));
	}
	setup_targets(&r);
	for (size_t i = 0; i < plan->njobs; i++) {
		if (run->lines[i].finished) {
			pe_tally_add(&run->tally, &run->rows[i]);
			run->resumed++;
			continue;
		}
		queue_push(&r.targets[plan->jobs[i].target], i, 0);
		r.remaining++;
	}
	run->done = run->resumed;
	drive(&r);
	run->interrupted = r.remaining > 0 || r.judging > 0;
	tick(&r, now_ms(), 1);
	release_runner(&r);
	pe_journal_close(r.journal);
	if (r.journal_errno) {
		errno = r.journal_errno;
		return PE_ERR_IO;
	}
	return PE_OK;
}

/* Judges answers that are already there; see runner.h. */
void pe_run_judges(const struct pe_plan *plan,
		   const struct pe_run_options *opts, struct pe_judged *items,
		   struct pe_run *run)
{
	struct runner r;
	size_t n = plan->njobs ? plan->njobs : 1;

	memset(&r, 0, sizeof(r));
	memset(run, 0, sizeof(*run));
	pe_tally_init(&run->tally);
	r.plan = plan;
	r.opts = opts;
	r.run = run;
	r.judged = items;
	r.rng = 0x9e3779b97f4a7c15ULL ^ (unsigned long long)time(NULL);
	r.attempts_alloc = n;
	r.attempts = xcalloc(n, sizeof(unsigned));
	r.scores = xcalloc(n, sizeof(*r.scores));
	r.pending = xcalloc(n, sizeof(*r.pending));
	setup_targets(&r);
	for (size_t i = 0; i < plan->njobs; i++)
		ask_judges(&r, i, items[i].score);
	drive(&r);
	run->interrupted = r.judging > 0;
	release_runner(&r);
}

/* The request settings' defaults; see runner.h. */
void pe_call_settings_init(struct pe_call_settings *c)
{
	c->concurrency = 32;
	c->timeout_s = 120;
	c->retries = 5;
	c->no_cache = 0;
	c->offline = 0;
	c->cache_dir = ".prompteval/cache";
}

/* Checks the request settings; see runner.h. */
int pe_call_settings_check(const struct pe_call_settings *c, const char *cmd)
{
	if (c->timeout_s > 0)
		return PE_OK;
	pe_usage_error(cmd, "--timeout must be above 0");
	return PE_ERR_USAGE;
}

/* Puts the request settings into run options; see runner.h. */
void pe_call_settings_apply(const struct pe_call_settings *c,
			    struct pe_run_options *ro)
{
	ro->concurrency = c->concurrency;
	ro->timeout_ms = (long)(c->timeout_s * 1000);
	ro->retries = c->retries;
	ro->use_cache = !c->no_cache;
	ro->offline = c->offline;
	ro->cache_dir = c->cache_dir;
}

/* Frees what a run holds. */
void pe_run_release(struct pe_run *run)
{
	free(run->rows);
	free(run->lines);
	memset(run, 0, sizeof(*run));
}

static int compare_jobs(const void *pa, const void *pb, void *ctx)
{
	const struct pe_run *run = ctx;

	return pe_result_compare(&run->rows[*(const size_t *)pa],
				 &run->rows[*(const size_t *)pb]);
}

/* The finished jobs' indices, in results.json order; *n of them. */
static size_t *finished_order(const struct pe_run *run, size_t *n)
{
	size_t *order = xcalloc(run->njobs ? run->njobs : 1, sizeof(size_t));

	*n = 0;
	for (size_t i = 0; i < run->njobs; i++)
		if (run->lines[i].finished)
			order[(*n)++] = i;
	qsort_r(order, *n, sizeof(*order), compare_jobs, (void *)run);
	return order;
}

/* The finished rows in results.json order; see runner.h. */
struct pe_result *pe_run_finished_rows(const struct pe_run *run, size_t *n)
{
	size_t *order = finished_order(run, n);
	struct pe_result *rows = xcalloc(*n ? *n : 1, sizeof(*rows));

	for (size_t i = 0; i < *n; i++)
		rows[i] = run->rows[order[i]];
	free(order);
	return rows;
}

/*
 * Writes results.json from the journal; see runner.h.  Rows are copied
 * from the journal one at a time, so memory holds one output at most.
 */
int pe_run_write_results(const struct pe_plan *plan,
			 const struct pe_run_options *opts,
			 const struct pe_run *run)
{
	char *journal = journal_path(opts);
	char *path = xstrfmt("%s/results.json", opts->out_dir);
	size_t n;
	size_t *order = finished_order(run, &n);
	struct pe_partial partial = { n, run->njobs };
	struct pe_buf b;
	struct pe_atomic_file af;
	int rc = pe_atomic_open(&af, path, 0);

	pe_buf_init(&b, 0);
	pe_results_header(&b, "run", &plan->info,
			  run->interrupted ? &partial : NULL);
	for (size_t i = 0; i <= n && !rc; i++) {
		if (b.len && fwrite(b.data, 1, b.len, af.f) != b.len)
			rc = PE_ERR_IO;
		if (i == n || rc)
			break;
		rc = pe_journal_read_line(journal, run->lines[order[i]].offset,
					  run->lines[order[i]].len, &b);
		if (!rc && i + 1 < n)
			pe_buf_adds(&b, ",\n");
	}
	pe_buf_reset(&b);
	pe_results_footer(&b, &run->tally);
	if (!rc && fwrite(b.data, 1, b.len, af.f) != b.len)
		rc = PE_ERR_IO;
	if (rc && af.f)
		pe_atomic_abort(&af);
	else if (!rc)
		rc = pe_atomic_commit(&af);
	pe_buf_release(&b);
	free(order);
	free(path);
	free(journal);
	return rc;
}
