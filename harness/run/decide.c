/*
 * The decider (see decide.h).  Cases are found by sorting the plan's
 * jobs by their pairing key (pe_compare_case_key); the baseline's rows
 * find their case by a binary search among the cases in that order.  A
 * finished job finds its case through the jobs sorted by id, since the
 * observer gets a row, whose id is the job's.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/decide.h"
#include "harness/results/compare.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* One case of the plan: its key row, its jobs and its two sides. */
struct case_state {
	struct pe_result key; /* the identity of the case's first job */
	size_t first;	      /* its first job in by_key */
	size_t jobs;
	size_t done;
	struct pe_tally base; /* the baseline's rows of the case */
	struct pe_tally head; /* this run's finished rows of the case */
};

/* A job with the key it sorts by. */
struct keyed_job {
	struct pe_result key;
	size_t job;
};

struct pe_decider {
	const struct pe_plan *plan;
	struct case_state *cases;
	size_t ncases;
	size_t cases_run;
	size_t *case_of; /* per job: its case */
	size_t *order;	 /* the jobs, case after case, in random order */
	size_t *by_id;	 /* the jobs sorted by id */
	/*
	 * Against a baseline with 8-digit generated ids (before results
	 * schema 3): per job, the short form its case pairs by, or NULL.
	 */
	char **short_ids;
	struct pe_seqtest test;
	int decided; /* the flag the runner reads; atomic writes */
	struct pe_run_observer observer;
	const struct pe_run_observer *inner;
};

/* splitmix64: the shuffle's generator. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The identity row of job i, as the runner's rows have it. */
static struct pe_result job_key(const struct pe_plan *plan, size_t i)
{
	const struct pe_job *j = &plan->jobs[i];
	struct pe_result row;

	pe_result_init(&row);
	row.id = j->id;
	row.prompt = j->prompt->name;
	row.case_id = j->kase ? j->kase->id : NULL;
	row.case_index = j->kase ? j->kase->index : 0;
	row.model = plan->targets[j->target].spec;
	row.has_temperature = j->has_temperature;
	row.temperature = j->temperature;
	row.repeat = j->repeat;
	return row;
}

static int compare_keyed(const void *pa, const void *pb)
{
	const struct keyed_job *a = pa, *b = pb;
	int c = pe_compare_case_key(&a->key, &b->key);

	if (!c)
		c = (a->job > b->job) - (a->job < b->job);
	return c;
}

/*
 * Groups the plan's jobs into cases; fills cases and case_of.  With
 * short_ids, a generated case id pairs by its 8-digit form, as
 * pe_compare_new pairs it with an older baseline's.
 */
static void find_cases(struct pe_decider *d, size_t *by_key, int short_ids)
{
	size_t n = d->plan->njobs;
	struct keyed_job *kj = xcalloc(n ? n : 1, sizeof(*kj));

	if (short_ids)
		d->short_ids = xcalloc(n ? n : 1, sizeof(*d->short_ids));
	for (size_t i = 0; i < n; i++) {
		kj[i].key = job_key(d->plan, i);
		kj[i].job = i;
		if (short_ids &&
		    (d->short_ids[i] = pe_compare_short_id(kj[i].key.case_id)))
			kj[i].key.case_id = d->short_ids[i];
	}
	if (n)
		qsort(kj, n, sizeof(*kj), compare_keyed);
	d->cases = xcalloc(n ? n : 1, sizeof(*d->cases));
	for (size_t i = 0; i < n; i++) {
		struct case_state *c;

		if (!i || pe_compare_case_key(&kj[i - 1].key, &kj[i].key)) {
			c = &d->cases[d->ncases++];
			c->key = kj[i].key;
			c->first = i;
			pe_tally_init(&c->base);
			pe_tally_init(&c->head);
		}
		c = &d->cases[d->ncases - 1];
		c->jobs++;
		by_key[i] = kj[i].job;
		d->case_of[kj[i].job] = d->ncases - 1;
	}
	free(kj);
}

static int compare_case_keys(const void *pa, const void *pb)
{
	const struct case_state *a = pa, *b = pb;

	return pe_compare_case_key(&a->key, &b->key);
}

/* Counts each baseline row into the side of its case, when it has one. */
static void add_baseline(struct pe_decider *d, const struct pe_resultset *base)
{
	for (size_t i = 0; i < pe_resultset_count(base); i++) {
		struct case_state probe, *c;

		probe.key = *pe_resultset_get(base, i);
		c = bsearch(&probe, d->cases, d->ncases, sizeof(*d->cases),
			    compare_case_keys);
		if (c)
			pe_tally_add(&c->base, pe_resultset_get(base, i));
	}
}

/* Puts the cases in random order, each case's jobs together. */
static void shuffle(struct pe_decider *d, const size_t *by_key,
		    unsigned long long seed)
{
	size_t *cases = xcalloc(d->ncases ? d->ncases : 1, sizeof(*cases));
	uint64_t state = seed;
	size_t at = 0;

	for (size_t i = 0; i < d->ncases; i++)
		cases[i] = i;
	for (size_t i = d->ncases; i > 1; i--) {
		size_t j = (size_t)(next_random(&state) % i);
		size_t t = cases[i - 1];

		cases[i - 1] = cases[j];
		cases[j] = t;
	}
	for (size_t i = 0; i < d->ncases; i++) {
		const struct case_state *c = &d->cases[cases[i]];

		for (size_t k = 0; k < c->jobs; k++)
			d->order[at++] = by_key[c->first + k];
	}
	free(cases);
}

static int compare_ids(const void *key, const void *elem, void *ctx)
{
	const struct pe_plan *plan = ctx;

	return strcmp(key, plan->jobs[*(const size_t *)elem].id);
}

static int compare_jobs_by_id(const void *pa, const void *pb, void *ctx)
{
	const struct pe_plan *plan = ctx;

	return strcmp(plan->jobs[*(const size_t *)pa].id,
		      plan->jobs[*(const size_t *)pb].id);
}

/* The job whose id is id, or SIZE_MAX. */
static size_t find_job(const struct pe_decider *d, const char *id)
{
	size_t lo = 0, hi = d->plan->njobs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = compare_ids(id, &d->by_id[mid], (void *)d->plan);

		if (!c)
			return d->by_id[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return SIZE_MAX;
}

/* A case's last job finished: compare it and feed the test. */
static void finish_case(struct pe_decider *d, struct case_state *c)
{
	struct pe_compare_side base = pe_compare_side_of(&c->base);
	struct pe_compare_side head = pe_compare_side_of(&c->head);

	d->cases_run++;
	if (!c->base.jobs)
		return;
	if (pe_seqtest_add(&d->test, pe_compare_classify(&base, &head)) !=
	    PE_SEQ_UNDECIDED) {
#pragma omp atomic write
		d->decided = 1;
	}
}

/* The observer's job_done: called under the runner's tally lock. */
static void job_done(void *ctx, const struct pe_result *row)
{
	struct pe_decider *d = ctx;
	size_t job = find_job(d, row->id);

	if (job != SIZE_MAX) {
		struct case_state *c = &d->cases[d->case_of[job]];

		pe_tally_add(&c->head, row);
		if (++c->done == c->jobs)
			finish_case(d, c);
	}
	if (d->inner && d->inner->job_done)
		d->inner->job_done(d->inner->ctx, row);
}

static void tick(void *ctx, const struct pe_run *run, int last)
{
	struct pe_decider *d = ctx;

	if (d->inner && d->inner->tick)
		d->inner->tick(d->inner->ctx, run, last);
}

static void stopping(void *ctx, size_t inflight)
{
	struct pe_decider *d = ctx;

	if (d->inner && d->inner->stopping)
		d->inner->stopping(d->inner->ctx, inflight);
}

static void warning(void *ctx, const char *message)
{
	struct pe_decider *d = ctx;

	if (d->inner && d->inner->warning)
		d->inner->warning(d->inner->ctx, message);
}

/* Makes a decider; see decide.h. */
struct pe_decider *pe_decider_new(const struct pe_plan *plan,
				  const struct pe_resultset *base, double alpha,
				  double margin, unsigned long long seed,
				  const struct pe_run_observer *inner)
{
	struct pe_decider *d = xcalloc(1, sizeof(*d));
	size_t n = plan->njobs ? plan->njobs : 1;
	size_t *by_key = xcalloc(n, sizeof(*by_key));

	d->plan = plan;
	d->inner = inner;
	d->case_of = xcalloc(n, sizeof(*d->case_of));
	d->order = xcalloc(n, sizeof(*d->order));
	d->by_id = xcalloc(n, sizeof(*d->by_id));
	pe_seqtest_init(&d->test, alpha, margin);
	find_cases(d, by_key, pe_compare_short_ids(base));
	/* The cases are in key order here, as bsearch needs them. */
	add_baseline(d, base);
	shuffle(d, by_key, seed);
	free(by_key);
	for (size_t i = 0; i < plan->njobs; i++)
		d->by_id[i] = i;
	if (plan->njobs)
		qsort_r(d->by_id, plan->njobs, sizeof(*d->by_id),
			compare_jobs_by_id, (void *)plan);
	d->observer.ctx = d;
	d->observer.job_done = job_done;
	d->observer.tick = tick;
	d->observer.stopping = stopping;
	d->observer.warning = warning;
	d->observer.tick_ms = inner ? inner->tick_ms : 0;
	return d;
}

/* Frees a decider; see decide.h. */
void pe_decider_free(struct pe_decider *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->short_ids && i < d->plan->njobs; i++)
		free(d->short_ids[i]);
	free(d->short_ids);
	free(d->cases);
	free(d->case_of);
	free(d->order);
	free(d->by_id);
	free(d);
}

/* Points the run options at the decider; see decide.h. */
void pe_decider_apply(struct pe_decider *d, struct pe_run_options *ro)
{
	ro->order = d->order;
	ro->decided = &d->decided;
	ro->observer = &d->observer;
}

/* The test; see decide.h. */
const struct pe_seqtest *pe_decider_test(const struct pe_decider *d)
{
	return &d->test;
}

/* The plan's cases; see decide.h. */
size_t pe_decider_cases(const struct pe_decider *d)
{
	return d->ncases;
}

/* The cases whose jobs all finished; see decide.h. */
size_t pe_decider_cases_run(const struct pe_decider *d)
{
	return d->cases_run;
}

/* The sentence for a decided run; see decide.h. */
void pe_decider_describe(const struct pe_decider *d, char *buf, size_t size)
{
	snprintf(buf, size, "decided: %s after %zu of %zu cases",
		 pe_seq_decision_name(d->test.decision), d->cases_run,
		 d->ncases);
}
