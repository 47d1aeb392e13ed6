/*
 * The aggregates are built in one pass over the rows in results.json
 * order.  Each group (cell, ranking entry, model) accumulates into a
 * private struct acc: the one tally (pe_tally_add) and the costs of the
 * answers and, apart, of the judges, which only the aggregate can price.
 * Groups are found by a linear search over the groups of the current
 * prompt file: a file has few models and temperatures, and the rows
 * arrive sorted by file.
 */
#include "harness/results/aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/results/stats.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/*
 * Two case-level pass rates closer than this tie in a ranking: means of
 * fractions that are equal in exact arithmetic (1/2 and 2/4) may differ
 * in their last bits once rounded.
 */
#define RATE_TIE 1e-12

/* One case of a group: where it is, and its decided repeats. */
struct case_entry {
	const char *file;
	size_t case_index;
	struct pe_case_count count;
};

struct acc {
	struct pe_tally tally;
	int unpriced;	    /* a row's model has no price */
	int judge_unpriced; /* a judged row's judge model has none */
	/* The same, only over the calls that went out (not from the cache). */
	int unpriced_sent;
	int judge_unpriced_sent;
	/*
	 * The group's cases in results.json order: the rows of a case
	 * arrive together, so a new case starts where file or case index
	 * changes.
	 */
	struct case_entry *cases;
	size_t ncases, cases_alloc;
};

/* A cell while its rows come in. */
struct cell_build {
	struct acc acc;
	double *latencies_ms;
	size_t nlatencies, latencies_alloc;
	double *first_tokens_ms;
	size_t nfirst_tokens, first_tokens_alloc;
	struct pe_evaluator_rate *evaluators;
	size_t nevaluators, evaluators_alloc;
};

/* One model's group in a ranking or the cost list. */
struct model_acc {
	const char *model;
	struct acc acc;
};

struct model_list {
	struct model_acc *items;
	size_t count, alloc;
	struct acc all; /* the rows of every model */
};

struct pe_aggregate {
	struct pe_tally total;
	struct pe_cell *cells;
	struct cell_build *builds; /* parallel to cells; owns the arrays */
	size_t ncells, cells_alloc;
	struct pe_flaky_case *flaky;
	size_t nflaky, flaky_alloc;
	struct pe_ranking *rankings;
	size_t nrankings, rankings_alloc;
	struct pe_ranking overall;
	struct pe_model_cost *costs;
	size_t ncosts;
};

static int same_string(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int compare_names(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Finds a price by exact spec, then by bare model name; see aggregate.h. */
const struct pe_price *pe_price_find(const struct pe_prices *prices,
				     const char *model)
{
	const char *bare = model ? strchr(model, ':') : NULL;

	if (!prices || !model)
		return NULL;
	for (size_t i = 0; i < prices->count; i++)
		if (!strcmp(prices->items[i].model, model))
			return &prices->items[i];
	for (size_t i = 0; bare && i < prices->count; i++)
		if (!strchr(prices->items[i].model, ':') &&
		    !strcmp(prices->items[i].model, bare + 1))
			return &prices->items[i];
	return NULL;
}

/* Prices tokens in and out (negative: none); see aggregate.h. */
double pe_price_usd(const struct pe_price *price, long tokens_in,
		    long tokens_out)
{
	return ((tokens_in > 0 ? (double)tokens_in : 0) *
			price->usd_per_mtok_in +
		(tokens_out > 0 ? (double)tokens_out : 0) *
			price->usd_per_mtok_out) /
	       1e6;
}

/* Adds the price of tokens_in and tokens_out (negative: none) to *usd. */
static void add_cost(double *usd, long tokens_in, long tokens_out,
		     const struct pe_price *price)
{
	if (price)
		*usd += pe_price_usd(price, tokens_in, tokens_out);
}

/* What is left of tokens (negative: none) once cached ones are taken. */
static long tokens_sent(long tokens, long cached)
{
	if (tokens < 0)
		return -1;
	if (cached <= 0)
		return tokens;
	return cached < tokens ? tokens - cached : 0;
}

/*
 * Prices the judges' tokens of a row with judge calls, all of them and,
 * apart, those of the calls that went out.  A row whose calls went to
 * several judge models names none (judge_model is NULL), so its tokens
 * cannot be priced, nor can those of a row one of whose judge calls
 * reported no token counts (add_judge_tokens in runner.c).
 */
static void add_judge_cost(struct acc *a, const struct pe_result *r,
			   const struct pe_prices *prices)
{
	const struct pe_price *price = pe_price_find(prices, r->judge_model);
	int sent = r->judge_cached < r->judge_calls;

	if (!price || r->judge_tokens_in < 0 || r->judge_tokens_out < 0) {
		a->judge_unpriced = 1;
		a->judge_unpriced_sent |= sent;
	}
	add_cost(&a->tally.judge_cost_usd, r->judge_tokens_in,
		 r->judge_tokens_out, price);
	if (sent)
		add_cost(&a->tally.judge_spent_cost_usd,
			 tokens_sent(r->judge_tokens_in,
				     r->judge_cached_tokens_in),
			 tokens_sent(r->judge_tokens_out,
				     r->judge_cached_tokens_out),
			 price);
}

/* Counts a row's verdict into its case, starting the case if new. */
static void add_case(struct acc *a, const struct pe_result *r)
{
	struct case_entry *c = a->ncases ? &a->cases[a->ncases - 1] : NULL;

	if (!c || c->case_index != r->case_index || strcmp(c->file, r->file)) {
		pe_grow(&a->cases, &a->cases_alloc, a->ncases + 1,
			sizeof(*a->cases));
		c = &a->cases[a->ncases++];
		memset(c, 0, sizeof(*c));
		c->file = r->file;
		c->case_index = r->case_index;
	}
	if (r->status == PE_VERDICT_PASS || r->status == PE_VERDICT_FAIL)
		c->count.decided++;
	if (r->status == PE_VERDICT_PASS)
		c->count.pass++;
}

/*
 * Counts one row into a group.  A call answered (HTTP 2xx) without its
 * token counts leaves the group's cost unknown, as a model without a
 * price does: its tokens would count as none.
 */
static void acc_add(struct acc *a, const struct pe_result *r,
		    const struct pe_prices *prices)
{
	const struct pe_price *price = pe_price_find(prices, r->model);
	int uncounted = r->has_call && r->http_status / 100 == 2 &&
			(r->tokens_in < 0 || r->tokens_out < 0);

	pe_tally_add(&a->tally, r);
	add_case(a, r);
	if (!price || uncounted) {
		a->unpriced = 1;
		a->unpriced_sent |= r->has_call && !r->cached;
	}
	if (r->has_call)
		add_cost(&a->tally.cost_usd, r->tokens_in, r->tokens_out,
			 price);
	if (r->has_call && !r->cached)
		add_cost(&a->tally.spent_cost_usd, r->tokens_in, r->tokens_out,
			 price);
	if (r->judge_calls)
		add_judge_cost(a, r, prices);
}

/*
 * Sets *rate from the group's cases, with the case as the unit
 * (pe_case_pass_rate).
 */
static void case_rate(const struct acc *a, struct pe_pass_rate *rate)
{
	struct pe_case_count *counts =
		xcalloc(a->ncases ? a->ncases : 1, sizeof(*counts));

	for (size_t i = 0; i < a->ncases; i++)
		counts[i] = a->cases[i].count;
	pe_case_pass_rate(counts, a->ncases, rate);
	free(counts);
}

/*
 * Turns a finished group into its public tally, whose pass rate takes
 * the case as the unit.
 */
static struct pe_tally acc_finish(const struct acc *a, int priced)
{
	struct pe_tally t = a->tally;

	pe_tally_finish(&t);
	case_rate(a, &t.pass_rate);
	t.has_cost = priced && !a->unpriced;
	if (!t.has_cost)
		t.cost_usd = 0;
	t.has_judge_cost = priced && !a->judge_unpriced;
	if (!t.has_judge_cost)
		t.judge_cost_usd = 0;
	t.has_spent_cost = priced && !a->unpriced_sent;
	if (!t.has_spent_cost)
		t.spent_cost_usd = 0;
	t.has_judge_spent_cost = priced && !a->judge_unpriced_sent;
	if (!t.has_judge_spent_cost)
		t.judge_spent_cost_usd = 0;
	return t;
}

static struct acc *model_list_find(struct model_list *l, const char *model)
{
	for (size_t i = 0; i < l->count; i++)
		if (same_string(l->items[i].model, model))
			return &l->items[i].acc;
	pe_grow(&l->items, &l->alloc, l->count + 1, sizeof(*l->items));
	memset(&l->items[l->count], 0, sizeof(*l->items));
	l->items[l->count].model = model;
	return &l->items[l->count++].acc;
}

/* Cells. */

static size_t find_cell(struct pe_aggregate *agg, size_t first,
			const struct pe_result *r)
{
	for (size_t i = first; i < agg->ncells; i++) {
		const struct pe_cell *c = &agg->cells[i];

		if (same_string(c->model, r->model) &&
		    c->has_temperature == r->has_temperature &&
		    c->temperature == r->temperature)
			return i;
	}
	pe_grow(&agg->cells, &agg->cells_alloc, agg->ncells + 1,
		sizeof(*agg->cells));
	agg->builds =
		xrealloc(agg->builds, agg->cells_alloc * sizeof(*agg->builds));
	memset(&agg->cells[agg->ncells], 0, sizeof(*agg->cells));
	memset(&agg->builds[agg->ncells], 0, sizeof(*agg->builds));
	agg->cells[agg->ncells].prompt = r->prompt;
	agg->cells[agg->ncells].file = r->file;
	agg->cells[agg->ncells].model = r->model;
	agg->cells[agg->ncells].has_temperature = r->has_temperature;
	agg->cells[agg->ncells].temperature = r->temperature;
	return agg->ncells++;
}

static void add_evaluators(struct cell_build *b, const struct pe_result *r)
{
	for (size_t i = 0; i < r->nevaluators; i++) {
		const struct pe_result_evaluator *e = &r->evaluators[i];
		struct pe_evaluator_rate *er = NULL;

		for (size_t k = 0; k < b->nevaluators && !er; k++)
			if (!strcmp(b->evaluators[k].name, e->name))
				er = &b->evaluators[k];
		if (!er) {
			pe_grow(&b->evaluators, &b->evaluators_alloc,
				b->nevaluators + 1, sizeof(*b->evaluators));
			er = &b->evaluators[b->nevaluators++];
			memset(er, 0, sizeof(*er));
			er->name = e->name;
		}
		if (e->status == PE_VERDICT_PASS ||
		    e->status == PE_VERDICT_FAIL)
			er->runs++;
		if (e->status == PE_VERDICT_PASS)
			er->pass++;
	}
}

static void cell_add(struct cell_build *b, const struct pe_result *r,
		     const struct pe_prices *prices)
{
	acc_add(&b->acc, r, prices);
	if (r->has_call && isfinite(r->total_ms)) {
		pe_grow(&b->latencies_ms, &b->latencies_alloc,
			b->nlatencies + 1, sizeof(*b->latencies_ms));
		b->latencies_ms[b->nlatencies++] = r->total_ms;
	}
	if (r->has_call && isfinite(r->first_byte_ms)) {
		pe_grow(&b->first_tokens_ms, &b->first_tokens_alloc,
			b->nfirst_tokens + 1, sizeof(*b->first_tokens_ms));
		b->first_tokens_ms[b->nfirst_tokens++] = r->first_byte_ms;
	}
	add_evaluators(b, r);
}

static void cell_finish(struct pe_cell *c, struct cell_build *b, int priced)
{
	c->tally = acc_finish(&b->acc, priced);
	free(b->acc.cases);
	b->acc.cases = NULL;
	for (size_t k = 0; k < b->nevaluators; k++) {
		struct pe_evaluator_rate *er = &b->evaluators[k];

		er->rate = er->runs ? (double)er->pass / (double)er->runs : NAN;
	}
	c->evaluators = b->evaluators;
	c->nevaluators = b->nevaluators;
	c->latency_p50_ms = pe_percentile(b->latencies_ms, b->nlatencies, 0.5);
	c->latency_p95_ms = pe_percentile(b->latencies_ms, b->nlatencies, 0.95);
	c->first_token_p95_ms =
		pe_percentile(b->first_tokens_ms, b->nfirst_tokens, 0.95);
}

/* Flaky cases. */

static int same_case(const struct pe_result *a, const struct pe_result *b)
{
	return !strcmp(a->file, b->file) && a->case_index == b->case_index &&
	       same_string(a->model, b->model) &&
	       a->has_temperature == b->has_temperature &&
	       a->temperature == b->temperature;
}

/* Looks at the repeats rows[0..n-1] of one case; records it if flaky. */
static void check_flaky(struct pe_aggregate *agg,
			const struct pe_result *const *rows, size_t n)
{
	struct pe_flaky_case f = { 0 };
	struct pe_tally t;

	pe_tally_init(&t);
	for (size_t i = 0; i < n; i++)
		pe_tally_add(&t, rows[i]);
	f.pass = t.pass;
	f.fail = t.fail;
	f.error = t.error;
	f.ungraded = t.ungraded;
	if (n < 2 || !f.pass || !f.fail)
		return;
	f.prompt = rows[0]->prompt;
	f.file = rows[0]->file;
	f.case_id = rows[0]->case_id;
	f.case_index = rows[0]->case_index;
	f.model = rows[0]->model;
	f.has_temperature = rows[0]->has_temperature;
	f.temperature = rows[0]->temperature;
	f.repeats = n;
	pe_grow(&agg->flaky, &agg->flaky_alloc, agg->nflaky + 1,
		sizeof(*agg->flaky));
	agg->flaky[agg->nflaky++] = f;
}

static void find_flaky(struct pe_aggregate *agg,
		       const struct pe_result *const *rows, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && same_case(rows[i], rows[j]))
			j++;
		check_flaky(agg, rows + i, j - i);
		i = j;
	}
}

/* Rankings. */

/* A ranking entry while it is sorted: with its group's cases. */
struct entry_build {
	struct pe_ranking_entry entry;
	const struct acc *acc;
};

static int compare_entries(const void *pa, const void *pb)
{
	const struct entry_build *ba = pa, *bb = pb;
	const struct pe_ranking_entry *a = &ba->entry, *b = &bb->entry;
	const struct pe_pass_rate *ra = &a->tally.pass_rate;
	const struct pe_pass_rate *rb = &b->tally.pass_rate;
	double ma = a->tally.mean_score, mb = b->tally.mean_score;

	if (!ra->decided || !rb->decided) {
		if (ra->decided != rb->decided)
			return ra->decided ? -1 : 1;
	} else if (fabs(ra->rate - rb->rate) > RATE_TIE) {
		return ra->rate > rb->rate ? -1 : 1;
	}
	if (isnan(ma) != isnan(mb))
		return isnan(ma) ? 1 : -1;
	if (!isnan(ma) && ma != mb)
		return ma > mb ? -1 : 1;
	return compare_names(a->model, b->model);
}

/* The order of results.json among cases: file, then case index. */
static int compare_case_entries(const struct case_entry *a,
				const struct case_entry *b)
{
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	return (a->case_index > b->case_index) -
	       (a->case_index < b->case_index);
}

/*
 * Compares the models of two groups on the cases both decided: pairs
 * their case lists (both in results.json order) and runs the paired
 * comparison with better as head and worse as base.
 */
static void compare_models(const struct acc *better, const struct acc *worse,
			   struct pe_paired_result *out)
{
	size_t most =
		better->ncases < worse->ncases ? better->ncases : worse->ncases;
	struct pe_paired_case *pairs = xcalloc(most ? most : 1, sizeof(*pairs));
	size_t i = 0, j = 0, n = 0;

	while (i < better->ncases && j < worse->ncases) {
		const struct case_entry *h = &better->cases[i];
		const struct case_entry *b = &worse->cases[j];
		int c = compare_case_entries(h, b);

		i += c <= 0;
		j += c >= 0;
		if (c || !h->count.decided || !b->count.decided)
			continue;
		pairs[n].base_pass = b->count.pass;
		pairs[n].base_total = b->count.decided;
		pairs[n].head_pass = h->count.pass;
		pairs[n].head_total = h->count.decided;
		n++;
	}
	/* Every total is at least 1, so this succeeds. */
	pe_paired_compare(n ? pairs : NULL, n, out);
	free(pairs);
}

/* Compares every pair of the sorted entries; see struct pe_ranking. */
static void compare_pairs(struct pe_ranking *out,
			  const struct entry_build *sorted, size_t count)
{
	struct pe_model_pair *pairs;
	size_t n = 0;

	out->npairs = count > 1 ? count * (count - 1) / 2 : 0;
	pairs = xcalloc(out->npairs ? out->npairs : 1, sizeof(*pairs));
	for (size_t a = 0; a < count; a++)
		for (size_t b = a + 1; b < count; b++) {
			pairs[n].better = a;
			pairs[n].worse = b;
			compare_models(sorted[a].acc, sorted[b].acc,
				       &pairs[n].stats);
			pairs[n].apart =
				pairs[n].stats.p_value < PE_STATS_ALPHA;
			n++;
		}
	out->pairs = pairs;
}

/*
 * Turns a model list into a sorted ranking with its paired comparisons;
 * frees the list.
 */
static void finish_ranking(struct pe_ranking *out, struct model_list *l,
			   int priced)
{
	struct pe_ranking_entry *entries =
		xcalloc(l->count ? l->count : 1, sizeof(*entries));
	struct entry_build *sorted =
		xcalloc(l->count ? l->count : 1, sizeof(*sorted));

	out->all = acc_finish(&l->all, priced);
	free(l->all.cases);

	for (size_t i = 0; i < l->count; i++) {
		sorted[i].entry.model = l->items[i].model;
		sorted[i].entry.tally = acc_finish(&l->items[i].acc, priced);
		sorted[i].acc = &l->items[i].acc;
	}
	if (l->count > 1)
		qsort(sorted, l->count, sizeof(*sorted), compare_entries);
	for (size_t i = 0; i < l->count; i++)
		entries[i] = sorted[i].entry;
	compare_pairs(out, sorted, l->count);
	out->entries = entries;
	out->count = l->count;
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].acc.cases);
	free(sorted);
	free(l->items);
}

static int compare_costs(const void *pa, const void *pb)
{
	const struct pe_model_cost *a = pa, *b = pb;

	return compare_names(a->model, b->model);
}

/* The cost list comes from the overall ranking's entries. */
static void build_costs(struct pe_aggregate *agg)
{
	size_t n = agg->overall.count;

	agg->costs = xcalloc(n ? n : 1, sizeof(*agg->costs));
	agg->ncosts = n;
	for (size_t i = 0; i < n; i++) {
		const struct pe_ranking_entry *e = &agg->overall.entries[i];
		struct pe_model_cost *c = &agg->costs[i];

		c->model = e->model;
		c->tally = e->tally;
		c->cost_per_job_usd =
			c->tally.has_cost && c->tally.jobs
				? c->tally.cost_usd / (double)c->tally.jobs
				: NAN;
	}
	if (n > 1)
		qsort(agg->costs, n, sizeof(*agg->costs), compare_costs);
}

static int compare_row_pointers(const void *pa, const void *pb)
{
	const struct pe_result *const *a = pa, *const *b = pb;

	return pe_result_compare(*a, *b);
}

static const struct pe_result **sorted_rows(const struct pe_result *in,
					    size_t n)
{
	const struct pe_result **rows = xcalloc(n ? n : 1, sizeof(*rows));

	for (size_t i = 0; i < n; i++)
		rows[i] = &in[i];
	if (n > 1)
		qsort(rows, n, sizeof(*rows), compare_row_pointers);
	return rows;
}

/* Starts the ranking of the prompt in file; returns its model list. */
static struct model_list *start_prompt(struct pe_aggregate *agg,
				       struct model_list **lists,
				       const struct pe_result *r)
{
	size_t k = agg->nrankings;
	size_t alloc = agg->rankings_alloc;

	pe_grow(&agg->rankings, &agg->rankings_alloc, k + 1,
		sizeof(*agg->rankings));
	if (agg->rankings_alloc != alloc || !*lists)
		*lists =
			xrealloc(*lists, agg->rankings_alloc * sizeof(**lists));
	memset(&agg->rankings[k], 0, sizeof(agg->rankings[k]));
	memset(&(*lists)[k], 0, sizeof((*lists)[k]));
	agg->rankings[k].prompt = r->prompt;
	agg->rankings[k].file = r->file;
	agg->nrankings++;
	return &(*lists)[k];
}

/* Adds the answers' and the judges' cost; see aggregate.h. */
int pe_tally_spend(const struct pe_tally *t, double *usd)
{
	if (!t->has_cost || !t->has_judge_cost)
		return 0;
	*usd = t->cost_usd + t->judge_cost_usd;
	return 1;
}

/* Adds what the calls that went out cost; see aggregate.h. */
int pe_tally_spent(const struct pe_tally *t, double *usd)
{
	if (!t->has_spent_cost || !t->has_judge_spent_cost)
		return 0;
	*usd = t->spent_cost_usd + t->judge_spent_cost_usd;
	return 1;
}

/* Describes the judges' calls, tokens and cost; see aggregate.h. */
void pe_tally_judge_text(const struct pe_tally *t, struct pe_buf *out)
{
	pe_buf_addf(out, "%zu call%s", t->judge_calls,
		    t->judge_calls == 1 ? "" : "s");
	if (t->judge_calls_cached)
		pe_buf_addf(out, " (%zu from the cache)",
			    t->judge_calls_cached);
	pe_buf_addf(out, ", %ld tokens in, %ld out", t->judge_tokens_in,
		    t->judge_tokens_out);
	if (!t->has_judge_cost) {
		if (t->has_cost)
			pe_buf_adds(out, ", cost not known");
		return;
	}
	pe_buf_addf(out, ", %.6f USD", t->judge_cost_usd);
	if (t->judge_calls_cached && t->has_judge_spent_cost)
		pe_buf_addf(out, " to reproduce, %.6f spent now",
			    t->judge_spent_cost_usd);
}

/* Describes what was spent and what reproducing costs; see aggregate.h. */
int pe_tally_cost_text(const struct pe_tally *t, struct pe_buf *out)
{
	size_t calls = t->calls + t->judge_calls;
	size_t made = calls - t->calls_cached - t->judge_calls_cached;
	double spent, all;
	int has_spent = pe_tally_spent(t, &spent);
	int has_all = pe_tally_spend(t, &all);

	if (!has_spent && !has_all && !t->has_cost && !t->has_spent_cost)
		return 0;
	if (has_spent)
		pe_buf_addf(out, "%.6f USD spent now", spent);
	else
		pe_buf_adds(out, "spent now not known");
	pe_buf_addf(out, " (%zu of %zu call%s made), ", made, calls,
		    calls == 1 ? "" : "s");
	if (has_all)
		pe_buf_addf(out, "%.6f USD to reproduce", all);
	else
		pe_buf_adds(out, "to reproduce not known");
	if (!has_spent || !has_all)
		pe_buf_adds(out, " (not every model and judge model has a "
				 "price)");
	return 1;
}

/* Aggregates rows; see aggregate.h. */
struct pe_aggregate *pe_aggregate_new(const struct pe_result *in, size_t n,
				      const struct pe_prices *prices)
{
	struct pe_aggregate *agg = xcalloc(1, sizeof(*agg));
	const struct pe_result **rows = sorted_rows(in, n);
	size_t file_first_cell = 0;
	struct model_list *prompt_lists = NULL, overall = { 0 },
			  *current = NULL;
	struct acc total = { 0 };
	int priced = prices != NULL;

	for (size_t i = 0; i < n; i++) {
		const struct pe_result *r = rows[i];
		size_t c;

		if (!i || strcmp(rows[i - 1]->file, r->file)) {
			file_first_cell = agg->ncells;
			current = start_prompt(agg, &prompt_lists, r);
		}
		c = find_cell(agg, file_first_cell, r);
		cell_add(&agg->builds[c], r, prices);
		acc_add(model_list_find(current, r->model), r, prices);
		acc_add(&current->all, r, prices);
		acc_add(model_list_find(&overall, r->model), r, prices);
		acc_add(&total, r, prices);
	}
	for (size_t c = 0; c < agg->ncells; c++)
		cell_finish(&agg->cells[c], &agg->builds[c], priced);
	for (size_t k = 0; k < agg->nrankings; k++)
		finish_ranking(&agg->rankings[k], &prompt_lists[k], priced);
	finish_ranking(&agg->overall, &overall, priced);
	agg->total = acc_finish(&total, priced);
	free(total.cases);
	agg->overall.all = agg->total;
	find_flaky(agg, rows, n);
	build_costs(agg);
	free(prompt_lists);
	free(rows);
	return agg;
}

/* Frees the aggregate and its arrays; NULL is a no-op. */
void pe_aggregate_free(struct pe_aggregate *agg)
{
	if (!agg)
		return;
	for (size_t c = 0; c < agg->ncells; c++) {
		free(agg->builds[c].latencies_ms);
		free(agg->builds[c].first_tokens_ms);
		free(agg->builds[c].evaluators);
	}
	for (size_t k = 0; k < agg->nrankings; k++) {
		free((void *)agg->rankings[k].entries);
		free((void *)agg->rankings[k].pairs);
	}
	free((void *)agg->overall.entries);
	free((void *)agg->overall.pairs);
	free(agg->cells);
	free(agg->builds);
	free(agg->flaky);
	free(agg->rankings);
	free(agg->costs);
	free(agg);
}

/* Returns the tally over every row. */
const struct pe_tally *pe_aggregate_total(const struct pe_aggregate *agg)
{
	return &agg->total;
}

/* Returns the number of cells. */
size_t pe_aggregate_cell_count(const struct pe_aggregate *agg)
{
	return agg->ncells;
}

/* Returns cell i, or NULL when i is out of range. */
const struct pe_cell *pe_aggregate_cell(const struct pe_aggregate *agg,
					size_t i)
{
	return i < agg->ncells ? &agg->cells[i] : NULL;
}

/* Returns the number of flaky cases. */
size_t pe_aggregate_flaky_count(const struct pe_aggregate *agg)
{
	return agg->nflaky;
}

/* Returns flaky case i, or NULL when i is out of range. */
const struct pe_flaky_case *pe_aggregate_flaky(const struct pe_aggregate *agg,
					       size_t i)
{
	return i < agg->nflaky ? &agg->flaky[i] : NULL;
}

/* Returns the number of per-prompt rankings. */
size_t pe_aggregate_ranking_count(const struct pe_aggregate *agg)
{
	return agg->nrankings;
}

/* Returns the ranking of prompt i, or NULL when i is out of range. */
const struct pe_ranking *pe_aggregate_ranking(const struct pe_aggregate *agg,
					      size_t i)
{
	return i < agg->nrankings ? &agg->rankings[i] : NULL;
}

/* Returns the ranking over all prompts. */
const struct pe_ranking *pe_aggregate_overall_ranking(
	const struct pe_aggregate *agg)
{
	return &agg->overall;
}

/* Whether some model of the cost list has a known cost; see aggregate.h. */
int pe_aggregate_has_cost(const struct pe_aggregate *agg)
{
	for (size_t i = 0; i < agg->ncosts; i++) {
		const struct pe_tally *t = &agg->costs[i].tally;

		if (t->has_cost || (t->judge_calls && t->has_judge_cost))
			return 1;
	}
	return 0;
}

/* Returns the number of models in the cost list. */
size_t pe_aggregate_cost_count(const struct pe_aggregate *agg)
{
	return agg->ncosts;
}

/* Returns model i of the cost list, or NULL when i is out of range. */
const struct pe_model_cost *pe_aggregate_cost(const struct pe_aggregate *agg,
					      size_t i)
{
	return i < agg->ncosts ? &agg->costs[i] : NULL;
}

/* Returns pair (better, worse) of r; see aggregate.h. */
const struct pe_model_pair *pe_ranking_pair(const struct pe_ranking *r,
					    size_t better, size_t worse)
{
	size_t index;

	if (better >= worse || worse >= r->count)
		return NULL;
	/* The pairs before row better: (count - 1) + ... + (count - better). */
	index = better * (2 * r->count - better - 1) / 2 + (worse - better - 1);
	return &r->pairs[index];
}

/* Notes the method of one rate into *methods (one bit a method). */
static void note_method(const struct pe_pass_rate *rate, unsigned *methods)
{
	if (rate->decided)
		*methods |= 1u << rate->method;
}

static void note_ranking(const struct pe_ranking *r, unsigned *methods)
{
	for (size_t i = 0; i < r->count; i++)
		note_method(&r->entries[i].tally.pass_rate, methods);
}

/* Says how the rates were computed; see aggregate.h. */
int pe_aggregate_method_text(const struct pe_aggregate *agg, struct pe_buf *out)
{
	unsigned methods = 0;
	unsigned wilson = 1u << PE_RATE_WILSON;
	unsigned clustered = 1u << PE_RATE_CLUSTERED;

	note_method(&agg->total.pass_rate, &methods);
	for (size_t i = 0; i < agg->ncells; i++)
		note_method(&agg->cells[i].tally.pass_rate, &methods);
	for (size_t i = 0; i < agg->nrankings; i++)
		note_ranking(&agg->rankings[i], &methods);
	note_ranking(&agg->overall, &methods);
	if (!methods)
		return 0;
	pe_buf_adds(out, "95 % intervals take the case as the unit: ");
	if (methods == wilson)
		pe_buf_adds(out, "Wilson (each case decided once)");
	else if (methods == clustered)
		pe_buf_adds(out, "case-clustered Wilson (each case's pass "
				 "fraction over its repeats)");
	else
		pe_buf_adds(out, "Wilson where each case was decided once, "
				 "case-clustered Wilson where cases have "
				 "repeats");
	return 1;
}

/* Describes one paired comparison; see aggregate.h. */
void pe_model_pair_text(const struct pe_model_pair *p, struct pe_buf *out)
{
	const struct pe_paired_result *st = &p->stats;

	if (!st->n_cases) {
		pe_buf_adds(out, "no common case: cannot be told apart");
		return;
	}
	pe_buf_addf(out, "%+.1f points", 100.0 * st->effect);
	if (!isnan(st->effect_low))
		pe_buf_addf(out, " [%+.1f, %+.1f]", 100.0 * st->effect_low,
			    100.0 * st->effect_high);
	pe_buf_addf(out,
		    " over %zu common case%s (%zu better, %zu worse), sign "
		    "test ",
		    st->n_cases, st->n_cases == 1 ? "" : "s", st->improved,
		    st->regressed);
	if (st->p_value < 0.001)
		pe_buf_adds(out, "p < 0.001");
	else
		pe_buf_addf(out, "p = %.3f", st->p_value);
	pe_buf_adds(out, p->apart ? ": ahead" : ": cannot be told apart");
}

/* Pair i when the reports show it; see aggregate.h. */
const struct pe_model_pair *pe_ranking_shown_pair(const struct pe_ranking *r,
						  size_t i)
{
	const struct pe_model_pair *p = &r->pairs[i];

	return r->entries[p->worse].tally.pass_rate.decided ? p : NULL;
}

/* Lists the neighbours that cannot be told apart; see aggregate.h. */
int pe_ranking_ties_text(const struct pe_ranking *r, struct pe_buf *out)
{
	size_t decided = 0, ties = 0;

	while (decided < r->count &&
	       r->entries[decided].tally.pass_rate.decided)
		decided++;
	if (decided < 2)
		return 0;
	for (size_t i = 0; i + 1 < decided; i++) {
		if (pe_ranking_pair(r, i, i + 1)->apart)
			continue;
		pe_buf_addf(out, "%s%zu and %zu", ties ? ", " : "", i + 1,
			    i + 2);
		ties++;
	}
	if (!ties)
		pe_buf_adds(out, "none");
	return 1;
}
