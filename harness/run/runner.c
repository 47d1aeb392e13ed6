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
#include <math.h>
#include <omp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evaluators/evaluator.h"
#include "evaluators/workers.h"
#include "harness/core/buf.h"
#include "harness/core/hash.h"
#include "harness/run/http.h"
#include "harness/run/pacing.h"
#include "harness/core/json.h"
#include "harness/run/cache.h"
#include "harness/run/journal.h"
#include "harness/core/message.h"
#include "harness/core/secrets.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	MAX_BODY_BYTES = 32 * 1024 * 1024,
	CONNECT_TIMEOUT_MS = 10000,
	/* Failures in a row that open a provider's circuit breaker. */
	BREAKER_FAILURES = 3,
	DEFAULT_MAX_RETRY_WAIT_MS = 60000,
	/* A pause shorter than this is not worth showing in the progress. */
	SHOWN_PAUSE_MS = 1000,
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
	size_t breaker; /* index into runner.breakers */
	/*
	 * Why nothing more is sent to this target (a daily limit, a wait
	 * over --max-retry-wait), or NULL.
	 */
	char *stopped;
};

/*
 * A circuit breaker, one per provider endpoint (a configured provider
 * and its base URL), shared by its targets: requests that fail in a way
 * every other request there will too (refused connections, an unknown
 * host, TLS, a rejected key, spent quota) are counted, anything else
 * resets the count, and at BREAKER_FAILURES in a row the breaker opens:
 * nothing more is sent there, and what waits ends as errors.
 */
struct breaker {
	unsigned failures;
	char *open; /* why it opened, or NULL */
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
	/*
	 * With opts->order: each job's place in it, so that answers go out in
	 * that order across targets, not target after target.  NULL otherwise.
	 */
	size_t *place;
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
	/* Where python and exec checks run: one pool for the run. */
	struct pe_workers *workers;
	struct breaker *breakers; /* see struct target_state */
	size_t nbreakers;
	int cache_warned; /* a failed cache write has been reported */
	/*
	 * Jobs handed to scoring and not yet recorded (atomic): new jobs
	 * wait while there are as many as requests may be in flight, so the
	 * network never runs far ahead of the journal (a journal that fails
	 * stops the run before many more requests go out) nor holds many
	 * answers in memory.
	 */
	size_t unrecorded;
	/*
	 * --resume: the jobs whose answers the journal kept, to be scored
	 * again with the evaluators as they are now (kept[job] is set; the
	 * kept line's place is run->lines[job] until the job is recorded),
	 * and the journal's path.
	 */
	unsigned char *kept;
	size_t *rescore;
	size_t nrescore;
	char *journal_path;
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

/*
 * Puts call at the front of t's queue: a judge call before everything, a
 * job (a retry, or a follower starting afresh) behind the judge calls
 * there, so that judge calls always lead their queue (judge_first) and
 * a job is never sent while a paid answer waits for its judge.
 */
static void push_front(const struct runner *r, struct target_state *t,
		       size_t call)
{
	size_t lead = 0, *q;

	if (call < r->plan->njobs)
		while (lead < t->len &&
		       t->queue[t->head + lead] >= r->plan->njobs)
			lead++;
	queue_push(t, call, 1);
	q = t->queue + t->head;
	memmove(q, q + 1, lead * sizeof(*q));
	q[lead] = call;
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
	char *err = pe_prompt_render(p, job->kase, texts);

	if (err)
		return err;
	for (size_t i = 0; i < p->nmessages; i++) {
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
	req->stream = t->stream;
}

/*
 * What a request asks (struct pe_result's request), into out: a digest
 * of its model (as named and as its provider calls it) and its body
 * (body_len bytes, not streamed and without credentials), or, for a
 * provider that sends nothing (echo: body is NULL), the n rendered
 * messages.  Where the request goes (the base URL, a program's path) is
 * not part of it, so a server that moved to another port keeps its
 * answers.
 */
static void ask_digest(const struct pe_target *t, const char *body,
		       size_t body_len, const struct pe_chat_message *msgs,
		       char *const *texts, size_t n,
		       char out[PE_JOB_ID_LEN + 1])
{
	char hex[PE_SHA256_HEX_LEN + 1];
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_addf(&b, "%s%c%s%c", t->spec, 0, t->model ? t->model : "", 0);
	if (body)
		pe_buf_add(&b, body, body_len);
	else
		for (size_t i = 0; i < n; i++)
			pe_buf_addf(&b, "%s%c%zu:%s",
				    pe_role_name(msgs[i].role), 0,
				    strlen(texts[i]), texts[i]);
	pe_sha256_hex(b.data, b.len, hex);
	memcpy(out, hex, PE_JOB_ID_LEN);
	out[PE_JOB_ID_LEN] = '\0';
	pe_buf_release(&b);
}

/*
 * What job asks (ask_digest), rendered and built ahead of its run, for
 * --resume to compare with what the journal says it asked; start_job
 * takes it from the request it sends.  Returns 0, or -1 when the request
 * cannot be rendered or built (the job fails so when it runs).
 */
static int request_digest(const struct pe_plan *plan, size_t job,
			  char out[PE_JOB_ID_LEN + 1])
{
	const struct pe_job *j = &plan->jobs[job];
	const struct pe_target *t = &plan->targets[j->target];
	size_t n = j->prompt->nmessages;
	struct pe_chat_message *msgs = xcalloc(n ? n : 1, sizeof(*msgs));
	char **texts = xcalloc(n ? n : 1, sizeof(*texts));
	struct pe_chat_request req;
	char *body = NULL, err[512], *rerr;
	size_t body_len = 0;
	int rc = -1;

	rerr = render_messages(j, msgs, texts);
	if (rerr) {
		free(rerr);
		goto done;
	}
	fill_request(j, t, msgs, &req);
	req.stream = 0;
	if (t->ops->write_body &&
	    pe_provider_body(t->ops, &req, &body, &body_len, err, sizeof(err)))
		goto done;
	ask_digest(t, body, body_len, msgs, texts, n, out);
	rc = 0;
done:
	free(body);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(msgs);
	return rc;
}

/*
 * Computes what scores job (struct pe_result's scoring) into out: a
 * digest of its prompt's evaluators and its test case as written (its
 * variables, expected value and own evaluators), what those evaluators
 * read besides (the files their schemas refer to), the threshold, the
 * prompt's JSON schema and the run's judge model.
 */
static void scoring_digest(const struct pe_plan *plan, size_t job,
			   char out[PE_JOB_ID_LEN + 1])
{
	const struct pe_job *j = &plan->jobs[job];
	const struct pe_prompt *p = j->prompt;
	char hex[PE_SHA256_HEX_LEN + 1];
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; i < p->nevaluators; i++) {
		pe_json_node(&b, p->evaluators[i].node);
		pe_buf_addc(&b, '\n');
		pe_evaluator_inputs(&p->evaluators[i], &b);
	}
	pe_buf_addc(&b, 0);
	if (j->kase) {
		pe_json_node(&b, j->kase->item);
		for (size_t i = 0; i < j->kase->nevaluators; i++)
			pe_evaluator_inputs(&j->kase->evaluators[i], &b);
	}
	pe_buf_addc(&b, 0);
	if (p->has_threshold)
		pe_buf_addf(&b, "%.17g", p->threshold);
	pe_buf_addf(&b, "%c%s%c%s", 0, p->json_schema ? p->json_schema : "", 0,
		    plan->judge_model ? plan->judge_model : "");
	pe_sha256_hex(b.data, b.len, hex);
	memcpy(out, hex, PE_JOB_ID_LEN);
	out[PE_JOB_ID_LEN] = '\0';
	pe_buf_release(&b);
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
 * Takes every secret of the run out of the answer a row holds (its
 * strings are the runner's, see release_answer), before it is scored,
 * stored or shown: a model or a program may repeat a key.
 */
static void redact_answer(const struct runner *r, struct pe_result *row)
{
	const struct pe_secrets *s = r->plan->secrets;

	pe_secrets_redact(s, (char **)&row->output, &row->output_len);
	pe_secrets_redact_str(s, (char **)&row->error);
	pe_secrets_redact_str(s, (char **)&row->finish_reason);
	pe_secrets_redact_str(s, (char **)&row->served_model);
}

/*
 * Takes every secret of the run out of a body a server sent, before a
 * provider reads it: an error body may quote the key, and a provider
 * keeps only the start of a body it cannot read, which could end inside
 * the key.
 */
static void redact_body(const struct runner *r, struct pe_http_result *res)
{
	pe_secrets_redact(r->plan->secrets, &res->body, &res->len);
}

/*
 * Takes every secret of the run out of what was read from a reply (or a
 * transport error), before it reaches a row, the cache or a judge.
 */
static void redact_response(const struct runner *r,
			    struct pe_chat_response *resp)
{
	const struct pe_secrets *s = r->plan->secrets;

	pe_secrets_redact(s, &resp->output, &resp->output_len);
	pe_secrets_redact_str(s, &resp->error);
	pe_secrets_redact_str(s, &resp->finish_reason);
	pe_secrets_redact_str(s, &resp->model);
}

/*
 * A job is recorded: one fewer waits for scoring; the loop may be waiting
 * for that to start new jobs.
 */
static void note_recorded(struct runner *r)
{
	size_t left;

#pragma omp atomic capture seq_cst
	left = --r->unrecorded;
	if (left + 1 == (size_t)r->opts->concurrency && r->http)
		pe_http_wakeup(r->http);
}

/* True when as many jobs wait for scoring as requests may be in flight. */
static int scoring_behind(struct runner *r)
{
	size_t n;

#pragma omp atomic read seq_cst
	n = r->unrecorded;
	return n >= (size_t)r->opts->concurrency;
}

/*
 * Records a scored job: sets its verdict, journals its row, counts it and
 * tells the observer.  The row keeps its verdict and call figures; its
 * answer and evaluators are freed once the line is written.  A job whose
 * answer the journal kept (--resume) is scored again only when what
 * scores it changed, so its new line is appended; resuming a finished
 * run keeps every row whole and does not grow the journal.
 */
static void record(struct runner *r, size_t job,
		   const struct pe_case_score *score)
{
	struct pe_result *row = &r->run->rows[job];
	struct pe_journal_line *jl = &r->run->lines[job];
	struct pe_result_evaluator *evs =
		xcalloc(score->nresults ? score->nresults : 1, sizeof(*evs));
	int kept = r->kept && r->kept[job];
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
		if (kept)
			r->run->resumed++;
		if (r->opts->observer && r->opts->observer->job_done)
			r->opts->observer->job_done(r->opts->observer->ctx,
						    row);
	}
	release_answer(row);
	row->evaluators = NULL;
	row->nevaluators = 0;
	free(evs);
	note_recorded(r);
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
	struct pe_score_env env = { r->workers, row->model };
	size_t left;

	if (row->error)
		score->verdict = PE_VERDICT_ERROR;
	else
		pe_score_call(j->prompt, j->kase, row,
			      pe_price_find(r->opts->prices, row->model), &env,
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

/* Gives row the figures of the call read from a journal line. */
static void copy_call_figures(struct pe_result *row,
			      const struct pe_result *read)
{
	row->has_call = read->has_call;
	row->attempts = read->attempts;
	row->cached = read->cached;
	row->http_status = read->http_status;
	row->first_byte_ms = read->first_byte_ms;
	row->total_ms = read->total_ms;
	row->tokens_in = read->tokens_in;
	row->tokens_out = read->tokens_out;
}

/*
 * Gives a kept job's row (--resume) the answer and call figures of its
 * journal line, as if its call had just finished; the judges' figures
 * start afresh, for the judges asked now.  Returns 0, or -1 when the
 * line cannot be read again.
 */
static int take_kept(struct runner *r, size_t job)
{
	struct pe_result *row = &r->run->rows[job];
	const struct pe_journal_line *kl = &r->run->lines[job];
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *doc = NULL;
	struct pe_result read;
	struct pe_buf line;
	int rc = -1;

	pe_buf_init(&line, 0);
	if (pe_journal_read_line(r->journal_path, kl->offset, kl->len, &line))
		goto done;
	doc = pe_doc_new("journal", line.data, line.len);
	if (pe_result_read_line(doc, &read, diag))
		goto done;
	copy_call_figures(row, &read);
	row->output = xstrndup(read.output ? read.output : "", read.output_len);
	row->output_len = read.output_len;
	row->finish_reason =
		read.finish_reason ? xstrdup(read.finish_reason) : NULL;
	row->served_model =
		read.served_model ? xstrdup(read.served_model) : NULL;
	row->judge_calls = row->judge_cached = 0;
	row->judge_model = NULL;
	row->judge_tokens_in = row->judge_tokens_out = -1;
	row->judge_cached_tokens_in = row->judge_cached_tokens_out = -1;
	rc = 0;
done:
	pe_doc_free(doc);
	pe_diag_free(diag);
	pe_buf_release(&line);
	return rc;
}

/*
 * Scores a kept job's answer (--resume) again, with the evaluators as
 * they are now, and records it; runs as an OpenMP task.
 */
static void rescore_job(struct runner *r, size_t job)
{
	struct pe_result *row = &r->run->rows[job];

	if (take_kept(r, job)) {
		row->has_call = 1;
		row->error = xstrfmt("cannot read the answer kept in %s",
				     r->journal_path);
	}
	score_job(r, job);
}

/*
 * Counts job as not yet recorded (and, with judges, as being scored) and
 * runs score (score_job or rescore_job) on it as a task, on another
 * thread when there is one.
 */
static void hand_to_scoring(struct runner *r, size_t job,
			    void (*score)(struct runner *r, size_t job))
{
#pragma omp atomic update seq_cst
	r->unrecorded++;
	if (r->plan->njudges) {
#pragma omp atomic update seq_cst
		r->scoring++;
	}
#pragma omp task firstprivate(job, score) if (r->threads > 1)
	score(r, job);
}

/*
 * Hands every kept job (--resume) to scoring, on other threads when there
 * are any; called once, by the loop's thread, before the loop.
 */
static void rescore_kept(struct runner *r)
{
	for (size_t i = 0; i < r->nrescore; i++)
		hand_to_scoring(r, r->rescore[i], rescore_job);
}

/*
 * Hands a finished job (its row holds the answer or the error) to
 * scoring, on another thread when there is one.
 */
static void complete(struct runner *r, size_t job)
{
	struct pe_result *row = &r->run->rows[job];

	redact_answer(r, row);
	row->has_call = 1;
	row->attempts = r->attempts[job];
	r->remaining--;
	hand_to_scoring(r, job, score_job);
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
		push_front(r, &r->targets[c->target], call);
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

/* Adds a reported token count (negative: none) to a row's sum. */
static void add_tokens(long *sum, long tokens)
{
	if (tokens >= 0)
		*sum = (*sum > 0 ? *sum : 0) + tokens;
}

/*
 * Adds a judge call's reported token count to a row's sum for the judges.
 * A call that reported none leaves the sum unknown for good (-2), so the
 * judges' spend is never priced from some of their calls as if from all.
 */
static void add_judge_tokens(long *sum, long tokens)
{
	if (*sum < -1)
		return;
	if (tokens < 0)
		*sum = -2;
	else
		*sum = (*sum > 0 ? *sum : 0) + tokens;
}

/*
 * The judge's answer came: read it.  cached says it cost nothing now
 * (from the cache, or shared with the same ask in flight).
 */
static void judge_answered(struct runner *r, size_t call,
			   const struct pe_result *answer, int cached)
{
	const struct judge_call *c = r->calls[call - r->plan->njobs];
	const struct pe_case_score *score = r->scores[c->job];
	struct pe_eval_result *res = &c->je->samples[c->sample];
	struct pe_result *row = job_row(r, c->job);

	pe_evaluator_judge_read(score->specs[c->je->eval],
				answer->output ? answer->output : "",
				answer->output_len, res);
	count_judge_call(r, c);
	add_judge_tokens(&row->judge_tokens_in, answer->tokens_in);
	add_judge_tokens(&row->judge_tokens_out, answer->tokens_out);
	if (cached) {
		row->judge_cached++;
		add_tokens(&row->judge_cached_tokens_in, answer->tokens_in);
		add_tokens(&row->judge_cached_tokens_out, answer->tokens_out);
	}
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
 * key: jobs whose rendered requests are the same, such as two cases with
 * the same messages; never two repeats, whose keys differ) with copies
 * of its answer, as cache hits.
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

/* Tells the observer something it should know once, under the lock. */
static void tell(struct runner *r, const char *message)
{
	const struct pe_run_observer *o = r->opts->observer;

	if (!o || !o->warning)
		return;
#pragma omp critical(pe_run_tally)
	o->warning(o->ctx, message);
}

/* Writes an answer to the cache; the first failure is reported, once. */
static void cache_answer(struct runner *r, const char *key,
			 const struct pe_result *answer)
{
	char *msg;
	int err;

	if (!pe_cache_put(r->opts->cache_dir, key, answer) || r->cache_warned)
		return;
	err = errno ? errno : EIO;
	r->cache_warned = 1;
	msg = xstrfmt("cannot write to the cache %s: %s; answers are not "
		      "cached (this is said once)",
		      r->opts->cache_dir, strerror(err));
	tell(r, msg);
	free(msg);
}

/*
 * A job's answer came: it goes to scoring, with its followers'.  cache
 * says whether it may be kept (an answer cut short is not).
 */
static void answer_job(struct runner *r, struct attempt *a,
		       const struct pe_http_result *res,
		       struct pe_chat_response *resp, int cache)
{
	struct pe_result *row = &r->run->rows[a->call];

	take_answer(row, res, resp);
	row->first_byte_ms = pe_http_arrival_ms(res, resp->first_text_at);
	row->total_ms = res->total_ms;
	resp->output = resp->finish_reason = resp->model = NULL;
	if (r->opts->use_cache && cache)
		cache_answer(r, a->key, row);
	answer_followers(r, a, row);
	complete(r, a->call);
}

/* A judge's answer came: it is read for the call and its followers. */
static void answer_judge(struct runner *r, struct attempt *a,
			 const struct pe_http_result *res,
			 const struct pe_chat_response *resp, int cache)
{
	struct pe_result answer;

	pe_result_init(&answer);
	take_answer(&answer, res, resp);
	if (r->opts->use_cache && cache)
		cache_answer(r, a->key, &answer);
	for (size_t i = 0; i < a->nfollowers; i++)
		judge_answered(r, a->followers[i], &answer, 1);
	a->nfollowers = 0;
	judge_answered(r, a->call, &answer, 0);
}

/*
 * A job's answer was cut short by the provider (a Gemini SAFETY stop):
 * it ends as an error that says so, with what came and the finish
 * reason kept in its row, unless --score-partial has it scored.
 */
static void cut_job(struct runner *r, struct attempt *a,
		    const struct pe_http_result *res,
		    struct pe_chat_response *resp)
{
	struct pe_result *row = &r->run->rows[a->call];

	take_answer(row, res, resp);
	row->first_byte_ms = res->first_byte_ms;
	row->total_ms = res->total_ms;
	row->error = resp->error ? resp->error : xstrdup("answer cut short");
	resp->output = resp->finish_reason = resp->model = NULL;
	resp->error = NULL;
	for (size_t i = 0; i < a->nfollowers; i++)
		fail_job(r, a->followers[i], res->status, row->error);
	a->nfollowers = 0;
	complete(r, a->call);
}

/* The wait a target's server may ask for before it is given up on. */
static double max_wait_ms(const struct runner *r, size_t k)
{
	const struct pe_target *t = &r->plan->targets[k];

	if (t->max_retry_wait_ms > 0)
		return (double)t->max_retry_wait_ms;
	return r->opts->max_retry_wait_ms >= 0
		       ? (double)r->opts->max_retry_wait_ms
		       : DEFAULT_MAX_RETRY_WAIT_MS;
}

/* Appends a wait as "1h", "1h 5m", "4m 10s" or "12s". */
static void add_wait(struct pe_buf *b, double ms)
{
	long s = (long)(ms / 1000.0 + 0.5);

	if (s >= 3600 && s / 60 % 60)
		pe_buf_addf(b, "%ldh %ldm", s / 3600, s / 60 % 60);
	else if (s >= 3600)
		pe_buf_addf(b, "%ldh", s / 3600);
	else if (s >= 60 && s % 60)
		pe_buf_addf(b, "%ldm %lds", s / 60, s % 60);
	else if (s >= 60)
		pe_buf_addf(b, "%ldm", s / 60);
	else
		pe_buf_addf(b, "%lds", s);
}

/* Appends the time ms from now by the clock: "2025-06-01T07:00:00Z". */
static void add_time(struct pe_buf *b, double ms)
{
	time_t at = time(NULL) + (time_t)(ms / 1000.0 + 0.5);
	struct tm tm;
	char when[32];

	if (gmtime_r(&at, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		pe_buf_adds(b, when);
}

/* Appends "in 1h 5m (at 2025-06-01T07:00:00Z)". */
static void add_reset(struct pe_buf *b, double ms)
{
	pe_buf_adds(b, "in ");
	add_wait(b, ms);
	pe_buf_adds(b, " (at ");
	add_time(b, ms);
	pe_buf_adds(b, ")");
}

/* True for an x-ratelimit-type that names a daily limit ("UserByDay"). */
static int daily_limit_type(const char *type)
{
	return strstr(type, "ByDay") || strstr(type, "PerDay");
}

/* Fails every call waiting for target k or its breaker's endpoint. */
static void drain_closed(struct runner *r);

/*
 * Stops target k: nothing more is sent to it, and every call that waits
 * for it ends as an error that gives why.
 */
static void stop_target(struct runner *r, size_t k, const char *why)
{
	struct target_state *ts = &r->targets[k];
	char *msg;

	if (ts->stopped)
		return;
	ts->stopped = xstrfmt("%s: %s", r->plan->targets[k].spec, why);
	msg = xstrfmt("%s; nothing more is sent to it", ts->stopped);
	tell(r, msg);
	free(msg);
	drain_closed(r);
}

/* Why nothing more is sent to target k, or NULL. */
static const char *closed_reason(const struct runner *r, size_t k)
{
	const struct target_state *ts = &r->targets[k];

	return ts->stopped ? ts->stopped : r->breakers[ts->breaker].open;
}

/* Ends a call that will not be sent, or sent again, because of why. */
static void fail_unsent(struct runner *r, size_t call, const char *why)
{
	char *msg = xstrfmt("not sent: %s", why);

	fail_call(r, call, 0, msg);
	free(msg);
}

static void drain_closed(struct runner *r)
{
	size_t kept = 0, call;

	for (size_t k = 0; k < r->plan->ntargets; k++) {
		const char *why = closed_reason(r, k);

		while (why && queue_pop(&r->targets[k], &call))
			fail_unsent(r, call, why);
	}
	for (size_t i = 0; i < r->ndelayed; i++) {
		const char *why =
			closed_reason(r, call_target(r, r->delayed[i].call));

		if (why)
			fail_unsent(r, r->delayed[i].call, why);
		else
			r->delayed[kept++] = r->delayed[i];
	}
	r->ndelayed = kept;
}

/*
 * Counts a failure that every other request to the same endpoint would
 * meet too, or resets the count; opens the breaker at BREAKER_FAILURES
 * in a row.
 */
static void watch_breaker(struct runner *r, size_t k,
			  const struct pe_http_result *res,
			  const struct pe_chat_response *resp)
{
	struct breaker *b = &r->breakers[r->targets[k].breaker];
	const struct pe_target *t = &r->plan->targets[k];
	int endpoint_down =
		res->transport == PE_TRANSPORT_UNREACHABLE ||
		(res->transport == PE_TRANSPORT_FATAL && !res->body_capped) ||
		resp->cls == PE_REPLY_QUOTA || res->status == 401;
	char *msg;

	if (!endpoint_down) {
		b->failures = 0;
		return;
	}
	if (++b->failures < BREAKER_FAILURES || b->open)
		return;
	b->open = xstrfmt("%s (%s) failed %u times in a row: %s", t->provider,
			  t->base_url ? t->base_url : t->ops->name, b->failures,
			  resp->error ? resp->error : "request failed");
	msg = xstrfmt("%s; nothing more is sent there", b->open);
	tell(r, msg);
	free(msg);
	drain_closed(r);
}

/*
 * A limit that will not lift within the wait allowed: a daily limit, or
 * a Retry-After over --max-retry-wait.  The call ends with an error that
 * names the limit and when it lifts, and target k stops.  Returns
 * whether that was so (resp->cls is then PE_REPLY_LIMIT).
 */
static int over_limit(struct runner *r, size_t k,
		      const struct pe_http_result *res,
		      struct pe_chat_response *resp)
{
	long after = pe_http_retry_after_ms(&res->headers, res->status);
	double cap = max_wait_ms(r, k);
	int daily = resp->cls == PE_REPLY_LIMIT ||
		    (res->status == 429 &&
		     daily_limit_type(res->headers.limit_type));
	struct pe_buf b;

	if (!daily && (resp->cls != PE_REPLY_RETRY || (double)after <= cap))
		return 0;
	pe_buf_init(&b, 0);
	pe_buf_adds(&b, resp->error ? resp->error : "rate limited");
	if (daily) {
		pe_buf_adds(&b, "; a daily limit");
		if (res->headers.limit_type[0])
			pe_buf_addf(&b, " (%s)", res->headers.limit_type);
		if (after >= 0) {
			pe_buf_adds(&b, " that resets ");
			add_reset(&b, (double)after);
		}
	} else {
		pe_buf_adds(&b, "; the server asks to wait ");
		add_wait(&b, (double)after);
		pe_buf_adds(&b, " (until ");
		add_time(&b, (double)after);
		pe_buf_adds(&b, "), longer than --max-retry-wait allows (");
		add_wait(&b, cap);
		pe_buf_adds(&b, "; raise it, or max_retry_wait in the "
				"configuration)");
	}
	free(resp->error);
	resp->error = pe_buf_detach(&b, NULL);
	resp->cls = PE_REPLY_LIMIT;
	stop_target(r, k, resp->error);
	return 1;
}

/* Names a window pause for messages. */
static const char *pause_name(enum pe_pause why)
{
	switch (why) {
	case PE_PAUSE_RETRY_AFTER:
		return "rate limited (Retry-After)";
	case PE_PAUSE_REQUESTS:
		return "no requests left in the rate-limit window";
	case PE_PAUSE_TOKENS:
		return "too few tokens left in the rate-limit window";
	default:
		return "paused";
	}
}

/*
 * Paces target k by a response: a 429 or 529 halves its window and
 * pauses it for the Retry-After, an answer widens it, and the rate-limit
 * headers pause it until their window resets (before a 429 comes), or
 * stop it when that is further off than the wait allowed.
 */
static void pace_target(struct runner *r, size_t k,
			const struct pe_http_result *res,
			const struct pe_chat_response *resp, double now)
{
	struct target_state *ts = &r->targets[k];
	long after = pe_http_retry_after_ms(&res->headers, res->status);
	struct pe_rate_window w;
	enum pe_pause why;
	double wait;
	struct pe_buf b;

	if (after < 0)
		after = resp->retry_after_ms;
	if (res->status == 429 || res->status == 529)
		pe_pacing_limited(
			&ts->pace,
			(double)after <= max_wait_ms(r, k) ? after : -1, now);
	if (resp->cls == PE_REPLY_OK)
		pe_pacing_succeeded(&ts->pace);
	pe_http_rate_window(&res->headers, &w);
	wait = pe_pacing_window_wait_ms(&ts->pace, &w, &why);
	if (wait <= 0)
		return;
	if (wait <= max_wait_ms(r, k)) {
		pe_pacing_pause(&ts->pace, why, now + wait);
		return;
	}
	pe_buf_init(&b, 0);
	pe_buf_addf(&b, "%s, the server's rate-limit headers say; it resets ",
		    pause_name(why));
	add_reset(&b, wait);
	pe_buf_adds(&b, ", later than --max-retry-wait allows (");
	add_wait(&b, max_wait_ms(r, k));
	pe_buf_adds(&b, ")");
	stop_target(r, k, pe_buf_str(&b));
	pe_buf_release(&b);
}

/*
 * Counts the times a request went out: it was counted once when it
 * started, and libcurl may have sent it again, or not at all (nothing
 * listened).
 */
static void count_sends(struct runner *r, size_t call,
			const struct pe_http_result *res)
{
	if (!res->sends) {
		r->run->requests--;
		return;
	}
	r->run->requests += res->sends - 1;
	r->attempts[call] += res->sends - 1;
}

/* What came back, as a response: a transport failure, or the parse. */
static void read_response(const struct pe_target *t,
			  const struct pe_http_result *res,
			  struct pe_chat_response *resp)
{
	if (res->transport != PE_TRANSPORT_OK) {
		memset(resp, 0, sizeof(*resp));
		resp->cls = res->transport == PE_TRANSPORT_FATAL
				    ? PE_REPLY_FATAL
				    : PE_REPLY_RETRY;
		resp->error = xstrfmt("connection failed: %s", res->error);
		resp->retry_after_ms = -1;
		return;
	}
	pe_provider_parse_typed(t->ops, res->status, res->headers.content_type,
				res->body, res->len, t->stream, resp);
}

/* Whether a call that did not get an answer is tried again. */
static int retry_wanted(const struct runner *r, size_t call, size_t k,
			const struct pe_http_result *res,
			const struct pe_chat_response *resp)
{
	int retry = resp->cls == PE_REPLY_RETRY;

	/* x-should-retry decides what the status alone would. */
	if (res->headers.should_retry >= 0 &&
	    (resp->cls == PE_REPLY_RETRY || resp->cls == PE_REPLY_FATAL) &&
	    res->transport == PE_TRANSPORT_OK)
		retry = res->headers.should_retry;
	return retry && !closed_reason(r, k) &&
	       r->attempts[call] <= (unsigned)r->opts->retries;
}

/* A call failed for good: it and the calls that followed it end so. */
static void fail_attempt(struct runner *r, struct attempt *a,
			 const struct pe_http_result *res,
			 const struct pe_chat_response *resp)
{
	const char *msg = resp->error ? resp->error : "request failed";

	fail_call(r, a->call, res->status, msg);
	for (size_t i = 0; i < a->nfollowers; i++)
		fail_call(r, a->followers[i], res->status, msg);
	a->nfollowers = 0;
}

/*
 * A job's attempt got no answer: its row keeps how long the attempt
 * took, which an error row shows if no later attempt replaces it.
 */
static void keep_attempt_time(struct runner *r, size_t call,
			      const struct pe_http_result *res)
{
	struct pe_result *row;

	if (call >= r->plan->njobs)
		return;
	row = &r->run->rows[call];
	row->total_ms = res->total_ms;
	row->first_byte_ms = res->status ? res->first_byte_ms : NAN;
}

/* Forgets a finished request among those in flight. */
static void forget_active(struct runner *r, const struct attempt *a)
{
	for (size_t i = 0; i < r->nactive; i++) {
		if (r->active[i] == a) {
			r->active[i] = r->active[--r->nactive];
			return;
		}
	}
}

/*
 * An attempt got no answer: it is tried again, after the wait the server
 * asked for or a backoff, or its call fails for good.
 */
static void retry_or_fail(struct runner *r, struct attempt *a, size_t k,
			  const struct pe_http_result *res,
			  const struct pe_chat_response *resp)
{
	long after = pe_http_retry_after_ms(&res->headers, res->status);

	keep_attempt_time(r, a->call, res);
	if (retry_wanted(r, a->call, k, res, resp))
		schedule_retry(r, a->call,
			       after >= 0 ? after : resp->retry_after_ms,
			       now_ms());
	else
		fail_attempt(r, a, res, resp);
}

/*
 * A request is over: the answer goes to scoring (or a judge), a failure
 * is tried again or ends its call, and the target's pacing, limits and
 * breaker learn from it.
 */
static void on_done(void *ctx, void *userdata, struct pe_http_result *res)
{
	struct runner *r = ctx;
	struct attempt *a = userdata;
	size_t k = call_target(r, a->call);
	struct target_state *ts = &r->targets[k];
	struct pe_chat_response resp;
	int answered, cache = 1;

	redact_body(r, res);
	ts->inflight--;
	r->inflight--;
	forget_active(r, a);
	count_sends(r, a->call, res);
	read_response(&r->plan->targets[k], res, &resp);
	redact_response(r, &resp);
	pace_target(r, k, res, &resp, now_ms());
	over_limit(r, k, res, &resp);
	watch_breaker(r, k, res, &resp);
	answered = resp.cls == PE_REPLY_OK;
	if (resp.cls == PE_REPLY_CUT && r->opts->score_partial)
		answered = 1, cache = 0;
	if (answered && a->call < r->plan->njobs)
		answer_job(r, a, res, &resp, cache);
	else if (answered)
		answer_judge(r, a, res, &resp, cache);
	else if (resp.cls == PE_REPLY_CUT && a->call < r->plan->njobs)
		cut_job(r, a, res, &resp);
	else
		retry_or_fail(r, a, k, res, &resp);
	/* Followers of a request that will be retried start afresh. */
	for (size_t i = 0; i < a->nfollowers; i++)
		push_front(r, ts, a->followers[i]);
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
		row->total_ms = res->total_ms;
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
 * The cache key of a request: that of the same request not streamed, so
 * that streamed and whole answers, which read the same, share an entry
 * (README, "Cache").  http is the request as it goes out.  With ask, what
 * it asks too (ask_digest), from the same body.
 */
static void request_key(const struct pe_target *t,
			const struct pe_chat_request *req,
			const struct pe_http_request *http, int has_repeat,
			unsigned repeat, char key[PE_SHA256_HEX_LEN + 1],
			char ask[PE_JOB_ID_LEN + 1])
{
	struct pe_chat_request whole = *req;
	struct pe_http_request plain;
	const struct pe_http_request *keyed = http;
	int built;
	char err[256];

	whole.stream = 0;
	built = req->stream &&
		!pe_provider_build(t->ops, t->base_url, NULL, NULL, &whole,
				   &plain, err, sizeof(err));
	if (built)
		keyed = &plain;
	pe_cache_key(t->spec, keyed->url ? keyed->url : t->ops->name,
		     keyed->body, keyed->body_len, has_repeat, repeat, key);
	if (ask)
		ask_digest(t, keyed->body, keyed->body_len, NULL, NULL, 0, ask);
	if (built)
		pe_http_request_release(&plain);
}

/*
 * Whether a job's cache key carries its repeat index: always, but for
 * the first repeat at temperature 0 or with no temperature, which keeps
 * the key it had before repeats were keyed, so that caches recorded then
 * still replay it.  Every repeat is a sample of its own, at temperature
 * 0 too (a provider may answer the same request differently), so N
 * repeats make N calls on a cold cache and never share one answer.
 */
static int job_has_repeat(const struct pe_job *j)
{
	return j->repeat > 0 || (j->has_temperature && j->temperature > 0);
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

/* The CA certificates a request to t is verified against. */
static void trust(struct pe_http_request *http, const struct pe_target *t)
{
	http->ca_file = t->ca_cert;
	http->ca_dir = t->ca_dir;
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
		ask_digest(t, NULL, 0, msgs, texts, n, r->run->asks[job]);
		r->run->rows[job].request = r->run->asks[job];
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
	trust(&http, t);
	a = xcalloc(1, sizeof(*a));
	a->call = job;
	a->started_ms = now;
	request_key(t, &req, &http, job_has_repeat(j), j->repeat, a->key,
		    r->run->asks[job]);
	r->run->rows[job].request = r->run->asks[job];
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
	req.stream = t->stream;
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
	trust(&http, t);
	a = xcalloc(1, sizeof(*a));
	a->call = call;
	a->started_ms = now;
	/* Each sample is its own ask: never one answer counted twice. */
	request_key(t, &req, &http, c->je->nsamples > 1, c->sample, a->key,
		    NULL);
	pe_result_init(&answer);
	if (r->opts->use_cache &&
	    !pe_cache_get(r->opts->cache_dir, a->key, &answer)) {
		redact_answer(r, &answer);
		judge_answered(r, call, &answer, 1);
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

/*
 * Moves retries that are due back to the front of their queues; with
 * judges_only, only judge calls' (a job's retry stays where it is).
 */
static void release_due(struct runner *r, double now, int judges_only)
{
	size_t kept = 0;

	for (size_t i = 0; i < r->ndelayed; i++) {
		struct delayed *d = &r->delayed[i];

		if (d->due_ms <= now &&
		    (!judges_only || d->call >= r->plan->njobs))
			push_front(r, &r->targets[call_target(r, d->call)],
				   d->call);
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
 * Starts the answers of an ordered run (opts->order) in that order across
 * the targets: each time, the target whose next job comes first among
 * those that may send now.
 */
static void dispatch_in_order(struct runner *r, double now)
{
	size_t n = r->plan->ntargets;

	while (r->inflight < (size_t)r->opts->concurrency &&
	       !scoring_behind(r)) {
		struct target_state *best = NULL;
		size_t call;

		for (size_t k = 0; k < n; k++) {
			struct target_state *ts = &r->targets[k];

			if (!ts->len || ts->queue[ts->head] >= r->plan->njobs ||
			    !pe_pacing_may_send(&ts->pace, ts->inflight, now))
				continue;
			if (!best || r->place[ts->queue[ts->head]] <
					     r->place[best->queue[best->head]])
				best = ts;
		}
		if (!best || !queue_pop(best, &call))
			return;
		pe_pacing_spend(&best->pace, start_call(r, call, now));
	}
}

/*
 * Starts what the caps and pacing allow: first the judge calls of every
 * target, then the rest, so that a job whose answer is in waits for no
 * other job's answer before its judges are asked; new jobs only while
 * scoring keeps up (in the run's order across targets when it has one).
 * With judges_only (a decided run), only the judge calls: they judge
 * answers already paid for, and a job is recorded once they answer.
 */
static void dispatch(struct runner *r, double now, int judges_only)
{
	size_t n = r->plan->ntargets;

	release_due(r, now, judges_only);
	drain_closed(r);
	for (size_t k = 0; k < n; k++)
		pe_pacing_refill(&r->targets[k].pace, now);
	for (int judges = 1; judges >= (judges_only ? 1 : 0); judges--) {
		if (!judges && r->place) {
			dispatch_in_order(r, now);
			break;
		}
		for (size_t k = 0; k < n; k++) {
			struct target_state *ts = &r->targets[k];
			size_t call;

			while (r->inflight < (size_t)r->opts->concurrency &&
			       (judges ? judge_first(r, ts)
				       : !scoring_behind(r)) &&
			       pe_pacing_may_send(&ts->pace, ts->inflight,
						  now) &&
			       queue_pop(ts, &call))
				pe_pacing_spend(&ts->pace,
						start_call(r, call, now));
		}
	}
}

static int decided(const struct runner *r);

/* How long the loop may wait before something is due. */
static long wait_ms(const struct runner *r, double now)
{
	const struct pe_run_observer *o = r->opts->observer;
	double wait = o && o->tick_ms > 0 && o->tick_ms < 1000
			      ? (double)o->tick_ms
			      : 1000;

	int judges_only = decided(r);

	/* Once decided, a job's retry waits for ever: it never wakes us. */
	for (size_t i = 0; i < r->ndelayed; i++)
		if (r->delayed[i].due_ms - now < wait &&
		    (!judges_only || r->delayed[i].call >= r->plan->njobs))
			wait = r->delayed[i].due_ms - now;
	for (size_t k = 0; k < r->plan->ntargets; k++) {
		const struct target_state *ts = &r->targets[k];

		if (ts->len)
			wait = pe_pacing_wait_ms(&ts->pace, ts->inflight, now,
						 wait);
	}
	return wait < 1 ? 1 : (long)wait;
}

/*
 * Says in run->pause why sending waits, if it does for a second or more:
 * the target with work waiting whose pause ends last.
 */
static void describe_pause(struct runner *r, double now)
{
	double longest = SHOWN_PAUSE_MS;

	r->run->pause[0] = '\0';
	for (size_t k = 0; k < r->plan->ntargets; k++) {
		const struct target_state *ts = &r->targets[k];
		enum pe_pause why;
		double until;
		struct pe_buf b;

		why = pe_pacing_paused(&ts->pace, now, &until);
		if (why == PE_PAUSE_NONE || until - now < longest ||
		    (!ts->len && !r->ndelayed))
			continue;
		longest = until - now;
		pe_buf_init(&b, 0);
		pe_buf_addf(&b, "sending to %s paused for ",
			    r->plan->targets[k].spec);
		add_wait(&b, until - now);
		pe_buf_addf(&b, ": %s", pause_name(why));
		snprintf(r->run->pause, sizeof(r->run->pause), "%s",
			 pe_buf_str(&b));
		pe_buf_release(&b);
	}
}

/* Lets the observer show progress, at most every tick_ms. */
static void tick(struct runner *r, double now, int last)
{
	const struct pe_run_observer *o = r->opts->observer;

	if (!o || !o->tick || (!last && now - r->ticked_ms < o->tick_ms))
		return;
	r->ticked_ms = now;
#pragma omp critical(pe_run_tally)
	{
		if (last)
			r->run->pause[0] = '\0';
		else
			describe_pause(r, now);
		o->tick(o->ctx, r->run, last);
	}
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
	unsigned char *kept; /* struct runner's */
};

/* True when both digests are known and the same. */
static int same_digest(const char *now, const char *then)
{
	return now && then && !strcmp(now, then);
}

/* A journal line's row, verdict and all, is the job's: it is finished. */
static void keep_row(struct resume_ctx *rc, long job,
		     const struct pe_result *read)
{
	struct pe_result *row = &rc->run->rows[job];

	row->status = read->status;
	row->score = read->score;
	copy_call_figures(row, read);
	row->judge_calls = read->judge_calls;
	row->judge_tokens_in = read->judge_tokens_in;
	row->judge_tokens_out = read->judge_tokens_out;
	row->judge_cached = read->judge_cached;
	row->judge_cached_tokens_in = read->judge_cached_tokens_in;
	row->judge_cached_tokens_out = read->judge_cached_tokens_out;
	row->judge_model = target_spec(rc->index.plan, read->judge_model);
}

/*
 * Takes one journal line.  The line is read by the results reader, as
 * every row is; a later line for the same job replaces an earlier one.
 * A job that asks what the line says it asked keeps the line's answer:
 * when what scores it is the same too, the row is kept whole and the job
 * is finished; else (the evaluators, the test case, the threshold, the
 * JSON schema or the judge model changed) the answer is scored again.
 * A line that does not read, a job that ended in error, and a job that
 * asks something else now (the messages or the model's settings
 * changed; where the request goes is not compared) or whose line does
 * not say what it asked (a journal written before that was recorded)
 * leave the job to run again.
 */
static void resume_line(void *ctx, const char *line, size_t len, size_t offset)
{
	struct resume_ctx *rc = ctx;
	struct pe_doc *doc = pe_doc_new("journal", line, len);
	struct pe_diag *diag = pe_diag_new();
	struct pe_result read;
	long job;

	if (!pe_result_read_line(doc, &read, diag) &&
	    (job = index_find(&rc->index, read.id)) >= 0) {
		const struct pe_result *row = &rc->run->rows[job];
		struct pe_journal_line *jl = &rc->run->lines[job];
		int asks = read.status != PE_VERDICT_ERROR &&
			   same_digest(row->request, read.request);
		int whole = asks && same_digest(row->scoring, read.scoring);

		jl->finished = whole;
		rc->kept[job] = asks && !whole;
		jl->offset = offset;
		jl->len = len;
		if (whole)
			keep_row(rc, job, &read);
	}
	pe_diag_free(diag);
	pe_doc_free(doc);
}

/* Gives every job's row its identity, from the plan. */
static void init_rows(const struct pe_plan *plan, struct pe_run *run,
		      int resume)
{
	run->rows = xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*run->rows));
	run->lines =
		xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*run->lines));
	run->asks = xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*run->asks));
	run->checks =
		xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*run->checks));
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
		/* Else start_job takes it from the request it sends. */
		if (resume && !request_digest(plan, i, run->asks[i]))
			row->request = run->asks[i];
		/* A plan's jobs come case by case: each digest once. */
		if (i && j->prompt == plan->jobs[i - 1].prompt &&
		    j->kase == plan->jobs[i - 1].kase)
			memcpy(run->checks[i], run->checks[i - 1],
			       sizeof(run->checks[i]));
		else
			scoring_digest(plan, i, run->checks[i]);
		row->scoring = run->checks[i];
	}
}

/*
 * The breaker of target k: the one of an earlier target of the same
 * configured provider and base URL, else a new one.
 */
static size_t find_breaker(struct runner *r, size_t k)
{
	const struct pe_target *t = &r->plan->targets[k];

	for (size_t i = 0; i < k; i++) {
		const struct pe_target *o = &r->plan->targets[i];

		if (!strcmp(o->provider ? o->provider : "",
			    t->provider ? t->provider : "") &&
		    !strcmp(o->base_url ? o->base_url : "",
			    t->base_url ? t->base_url : ""))
			return r->targets[i].breaker;
	}
	return r->nbreakers++;
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
		ts->breaker = find_breaker(r, k);
	}
	r->breakers =
		xcalloc(r->nbreakers ? r->nbreakers : 1, sizeof(*r->breakers));
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

/*
 * True while judge calls are not over, or scoring tasks may still hand
 * some in.  As in work_left, the count of tasks is read before the calls
 * handed in are taken in: a task hands in, then counts itself out, so a
 * task that has just counted itself out has handed in what it had.
 */
static int judges_left(struct runner *r)
{
	size_t scoring;

	if (!r->plan->njudges)
		return 0;
#pragma omp atomic read seq_cst
	scoring = r->scoring;
	take_judges(r);
	return scoring > 0 || r->judging > 0;
}

/*
 * True when a journal line could not be written: the run stops at once,
 * before another request goes out, since no answer could be kept.
 */
static int journal_failed(struct runner *r)
{
	int err;

#pragma omp critical(pe_journal_error)
	err = r->journal_errno;
	return err != 0;
}

/* True when the observer has said the run is decided (opts->decided). */
static int decided(const struct runner *r)
{
	int d = 0;

	if (r->opts->decided) {
#pragma omp atomic read
		d = *r->opts->decided;
	}
	return d;
}

/* The loop itself, on one thread of the OpenMP team. */
static void loop(struct runner *r)
{
	while (work_left(r)) {
		double now = now_ms();
		long wait;
		size_t nfds;

		if (journal_failed(r))
			break;
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
		} else if (decided(r)) {
			/*
			 * Decided: no new job starts, but what was asked
			 * finishes: answers in flight, and the judges of
			 * answers in (scoring tasks may still hand some in).
			 */
			if (!r->inflight && !judges_left(r))
				break;
			dispatch(r, now, 1);
		} else {
			dispatch(r, now, 0);
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
	r->workers = pe_workers_new(
		pe_workers_size(omp_get_max_threads(), r->opts->concurrency));
	r->ticked_ms = now_ms();
#pragma omp parallel
	{
#pragma omp single
		{
			r->threads = omp_get_num_threads();
			rescore_kept(r);
			loop(r);
#pragma omp taskwait
		}
	}
	take_judges(r);
}

/* Frees what --resume and the journal's path hold (also for a run that
 * cannot start). */
static void free_unstarted(struct runner *r)
{
	free(r->kept);
	free(r->rescore);
	free(r->journal_path);
}

/* Frees what the runner holds once the loop is over. */
static void release_runner(struct runner *r)
{
	pe_http_free(r->http);
	pe_workers_free(r->workers);
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
	for (size_t k = 0; k < r->plan->ntargets; k++) {
		free(r->targets[k].queue);
		free(r->targets[k].stopped);
	}
	for (size_t i = 0; i < r->nbreakers; i++)
		free(r->breakers[i].open);
	free(r->breakers);
	free(r->targets);
	free(r->active);
	free(r->delayed);
	free(r->attempts);
	free(r->place);
	free_unstarted(r);
}

/* Runs a plan; see runner.h. */
int pe_run_execute(const struct pe_plan *plan,
		   const struct pe_run_options *opts, struct pe_run *run)
{
	struct runner r;
	struct resume_ctx rc;

	memset(&r, 0, sizeof(r));
	memset(run, 0, sizeof(*run));
	run->njobs = plan->njobs;
	pe_tally_init(&run->tally);
	init_rows(plan, run, opts->resume);
	r.plan = plan;
	r.opts = opts;
	r.run = run;
	r.rng = 0x9e3779b97f4a7c15ULL ^ (unsigned long long)time(NULL);
	if (pe_make_dirs(opts->out_dir, 0))
		return PE_ERR_IO;
	r.journal_path = journal_path(opts);
	if (opts->resume) {
		int scanned;

		index_build(&rc.index, plan);
		rc.run = run;
		rc.kept = r.kept =
			xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*r.kept));
		r.rescore = xcalloc(plan->njobs ? plan->njobs : 1,
				    sizeof(*r.rescore));
		scanned = pe_journal_scan(r.journal_path, resume_line, &rc);
		free(rc.index.slots);
		if (scanned) {
			free_unstarted(&r);
			return PE_ERR_IO;
		}
	}
	r.journal = pe_journal_open(r.journal_path, opts->resume);
	if (!r.journal) {
		free_unstarted(&r);
		return PE_ERR_IO;
	}
	r.attempts_alloc = plan->njobs ? plan->njobs : 1;
	r.attempts = xcalloc(r.attempts_alloc, sizeof(unsigned));
	if (plan->njudges) {
		r.scores = xcalloc(r.attempts_alloc, sizeof(*r.scores));
		r.pending = xcalloc(r.attempts_alloc, sizeof(*r.pending));
	}
	setup_targets(&r);
	if (opts->order) {
		r.place = xcalloc(plan->njobs ? plan->njobs : 1,
				  sizeof(*r.place));
		for (size_t i = 0; i < plan->njobs; i++)
			r.place[opts->order[i]] = i;
	}
	for (size_t i = 0; i < plan->njobs; i++) {
		size_t job = opts->order ? opts->order[i] : i;

		if (run->lines[job].finished) {
			pe_tally_add(&run->tally, &run->rows[job]);
			run->resumed++;
			continue;
		}
		if (r.kept && r.kept[job]) {
			r.rescore[r.nrescore++] = job;
			continue;
		}
		queue_push(&r.targets[plan->jobs[job].target], job, 0);
		r.remaining++;
	}
	run->done = run->resumed;
	drive(&r);
	run->decided = decided(&r) && (r.remaining > 0 || r.judging > 0);
	run->interrupted = !run->decided && (r.remaining > 0 || r.judging > 0);
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
	c->stream = 0;
	c->no_stream = 0;
	c->max_retry_wait_s = 60;
	c->score_partial = 0;
}

/* Checks the request settings; see runner.h. */
int pe_call_settings_check(const struct pe_call_settings *c, const char *cmd)
{
	if (c->stream && c->no_stream) {
		pe_usage_error(cmd, "--stream and --no-stream exclude each "
				    "other");
		return PE_ERR_USAGE;
	}
	if (!(c->timeout_s > 0)) {
		pe_usage_error(cmd, "--timeout must be above 0");
		return PE_ERR_USAGE;
	}
	if (!(c->max_retry_wait_s >= 0) || c->max_retry_wait_s > 7 * 86400) {
		pe_usage_error(cmd, "--max-retry-wait must be from 0 to 604800 "
				    "seconds (a week)");
		return PE_ERR_USAGE;
	}
	return PE_OK;
}

/* Whether answers are streamed; see runner.h. */
enum pe_stream_choice pe_call_settings_stream(const struct pe_call_settings *c)
{
	return c->stream      ? PE_STREAM_ON
	       : c->no_stream ? PE_STREAM_OFF
			      : PE_STREAM_CONFIG;
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
	/* 0 s is a wait of none: any Retry-After ends the model's jobs. */
	ro->max_retry_wait_ms = (long)(c->max_retry_wait_s * 1000);
	ro->score_partial = c->score_partial;
}

/* Frees what a run holds. */
void pe_run_release(struct pe_run *run)
{
	free(run->rows);
	free(run->lines);
	free(run->asks);
	free(run->checks);
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
 * from the journal one at a time, so memory holds one output at most;
 * the inputs of their cases are rendered again from the plan, as the
 * requests were.
 */
int pe_run_write_results(const struct pe_plan *plan,
			 const struct pe_run_options *opts,
			 const struct pe_run *run)
{
	char *journal = journal_path(opts);
	char *path = xstrfmt("%s/results.json", opts->out_dir);
	size_t n;
	size_t *order = finished_order(run, &n);
	struct pe_partial partial = { n, run->njobs, "" };
	struct pe_case_table *cases = pe_case_table_new();
	struct pe_buf b;
	struct pe_atomic_file af;
	int rc = pe_atomic_open(&af, path, 0);

	/* The inputs of the cases that have rows, a resumed run's too. */
	for (size_t i = 0; i < n; i++)
		pe_case_table_add_case(cases, plan->jobs[order[i]].prompt,
				       plan->jobs[order[i]].kase);
	pe_case_table_sort(cases);
	pe_buf_init(&b, 0);
	if (run->decided)
		snprintf(partial.stopped, sizeof(partial.stopped), "%s",
			 run->stopped);
	pe_results_header(&b, "run", &plan->info,
			  run->interrupted || run->decided ? &partial : NULL,
			  cases, plan->secrets);
	pe_case_table_free(cases);
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
