#ifndef PE_AGGREGATE_H
#define PE_AGGREGATE_H
/*
 * Aggregates: the figures every report writer and the terminal summary
 * show, computed once from result rows (result.h) so that the HTML,
 * Markdown, JSON and terminal reports agree to the last digit.  Every
 * group is counted by the one tally, struct pe_tally.
 *
 *   cells     one per prompt x model x temperature: verdict counts, the
 *             pass rate with its 95 % interval, the mean score,
 *             per-evaluator pass rates, latency p50/p95, tokens and cost;
 *   flaky     cases whose repeats disagree (some pass, some fail);
 *   rankings  per prompt and overall, the models by pass rate, and each
 *             pair of them compared on their common cases;
 *   costs     per model, what the run cost against its pass rate.
 *
 * Every group's tally prices the answers' tokens with the answer model's
 * price and, apart, the judges' tokens with the judge model's price
 * (pe_price_find for both), so a report can show what the judging cost
 * beside what the answers cost.
 *
 * The case is the unit of every pass rate here (pe_case_pass_rate): a
 * group's rate is the mean over its cases of each case's pass fraction
 * over its decided repeats (passes over passes and failures), and its
 * interval clusters the repeats of a case.  A case of a group is a case
 * of a prompt file (file and case index); a ranking entry pools a
 * model's temperatures into its cases, and the total pools every model.
 * Errors and skips are counted apart and never make a case fail or
 * flaky; a case with no decided repeat is not counted.  The tally's
 * counts are results.json's; its rate is results.json's summary rate
 * whenever the cases have equal numbers of decided repeats.
 *
 * Every list comes in a fixed order that depends only on the rows, never
 * on the order they were loaded in: the rows are taken in results.json
 * order (pe_result_compare) and lists follow first appearance in it unless
 * a function says otherwise.
 *
 * Memory: the aggregate owns its arrays; the strings in them (prompt,
 * file, model, case and evaluator names) are borrowed from the rows, whose
 * owner must keep them alive as long as the aggregate.  Everything returned is read-only and
 * valid until pe_aggregate_free.
 */
#include <stddef.h>

#include "harness/results/result.h"

/*
 * The price of one model: model is a spec as rows name it
 * ("openai:gpt-4o-mini"), or a bare model name ("gpt-4o-mini") that
 * matches it under any provider.  An exact match wins over a bare one.
 */
struct pe_price {
	const char *model;
	double usd_per_mtok_in;	 /* US dollars per million input tokens */
	double usd_per_mtok_out; /* US dollars per million output tokens */
};

struct pe_prices {
	const struct pe_price *items;
	size_t count;
};

/* Returns the price for model (NULL-safe), or NULL when none matches. */
const struct pe_price *pe_price_find(const struct pe_prices *prices,
				     const char *model);

/*
 * What tokens_in and tokens_out cost at price, in US dollars; a negative
 * count (not reported) counts as none.  Every cost in prompteval is
 * priced by this: the aggregates' and the cost check's (evaluators/).
 */
double pe_price_usd(const struct pe_price *price, long tokens_in,
		    long tokens_out);

/*
 * What a group costs to reproduce: the answers' cost and the judges' (see
 * struct pe_tally), every call priced, from the cache or not.  Sets *usd
 * and returns 1 when both are known, else returns 0 and leaves *usd
 * alone.
 */
int pe_tally_spend(const struct pe_tally *t, double *usd);

/*
 * What a group spent: the answers' and the judges' calls that went out,
 * not those answered from the cache.  Sets *usd and returns 1 when both
 * are known, else returns 0 and leaves *usd alone.
 */
int pe_tally_spent(const struct pe_tally *t, double *usd);

/*
 * Appends the group's cost in words, the one wording of the summary and
 * the reports: "0.001200 USD spent now (12 of 48 calls made), 0.004800
 * USD to reproduce", with "not known" for a part that is not.  Returns 0
 * and appends nothing when no cost is known at all (no prices).
 */
int pe_tally_cost_text(const struct pe_tally *t, struct pe_buf *out);

/*
 * Appends the judges' figures of t in words, the one wording that every
 * report and summary uses: "3 calls, 1200 tokens in, 40 out, 0.003400
 * USD".  The cost is there when it is known; when only the answers' cost
 * is known (prices were given, but not for every judge model), "cost not
 * known" stands in for it.  When some calls came from the cache, it says
 * how many, and the cost is what the calls cost to reproduce with what
 * was spent now after it: "3 calls (2 from the cache), ..., 0.003400 USD
 * to reproduce, 0.001100 spent now".
 */
void pe_tally_judge_text(const struct pe_tally *t, struct pe_buf *out);

/* One evaluator within a cell: its passes over the runs it decided. */
struct pe_evaluator_rate {
	const char *name;
	size_t pass;
	size_t runs; /* runs where it passed or failed */
	double rate; /* pass / runs, NAN when runs is 0 */
};

/* One prompt x model x temperature. */
struct pe_cell {
	const char *prompt;
	const char *file;
	const char *model; /* NULL when the rows have none */
	int has_temperature;
	double temperature;
	struct pe_tally tally;
	/* In order of first appearance in the cell's rows. */
	const struct pe_evaluator_rate *evaluators;
	size_t nevaluators;
	/* Over the calls with a total_ms; NAN when there are none. */
	double latency_p50_ms;
	double latency_p95_ms;
	/* The time to the first token (first_byte_ms), likewise. */
	double first_token_p95_ms;
};

/* A case whose repeats disagree: at least one pass and one failure. */
struct pe_flaky_case {
	const char *prompt;
	const char *file;
	const char *case_id; /* NULL when the rows have none */
	size_t case_index;
	const char *model;
	int has_temperature;
	double temperature;
	size_t repeats; /* rows, whatever their verdict */
	size_t pass;
	size_t fail;
	size_t error;
	size_t ungraded;
};

/*
 * Two models of a ranking compared on the cases both decided, better
 * being the one ranked higher: stats is pe_paired_compare with better as
 * head and worse as base, so stats.effect is better's pass rate minus
 * worse's over their common cases (stats.n_cases), with its paired
 * interval and the exact sign test (McNemar's with one repeat a case).
 * apart is set when that test says p < PE_STATS_ALPHA; otherwise the two
 * cannot be told apart.
 */
struct pe_model_pair {
	size_t better; /* an index into the ranking's entries */
	size_t worse;
	struct pe_paired_result stats;
	int apart;
};

/* One model in a ranking, pooled over temperatures. */
struct pe_ranking_entry {
	const char *model;
	struct pe_tally tally;
};

/*
 * Models by pass rate, highest first; equal rates (1/2 equals 2/4, rates
 * within RATE_TIE of aggregate.c) are ordered by mean score, highest
 * first, then by model name.  Models with no decided rows come last; a
 * NAN mean score sorts below any number and a NULL model before any name.
 * pairs holds every pair of entries in the order (0, 1), (0, 2), ...,
 * (1, 2), ...; pe_ranking_pair finds one.
 */
struct pe_ranking {
	const char *prompt; /* NULL for the overall ranking */
	const char *file;
	/* Every model's rows of the prompt pooled (the total for overall). */
	struct pe_tally all;
	const struct pe_ranking_entry *entries;
	size_t count;
	const struct pe_model_pair *pairs;
	size_t npairs; /* count (count - 1) / 2 */
};

/*
 * Returns the pair of entries better < worse of r, or NULL when either is
 * out of range or better >= worse.
 */
const struct pe_model_pair *pe_ranking_pair(const struct pe_ranking *r,
					    size_t better, size_t worse);

/* What one model cost against how often it passed, over all prompts. */
struct pe_model_cost {
	const char *model;
	struct pe_tally tally; /* its costs and pass rate */
	/* The answers' cost a job; NAN without a price or without jobs. */
	double cost_per_job_usd;
};

struct pe_aggregate;

/*
 * Aggregates rows[0..n-1] (in results.json order, whatever order they are
 * in).  prices may be NULL, which leaves every has_cost and has_judge_cost
 * at 0.  Returns a new aggregate owned by the caller.
 */
struct pe_aggregate *pe_aggregate_new(const struct pe_result *rows, size_t n,
				      const struct pe_prices *prices);
void pe_aggregate_free(struct pe_aggregate *agg);

/*
 * The whole set as one group: its counts are results.json's summary's;
 * its pass rate takes the case as the unit (see the top of this file).
 */
const struct pe_tally *pe_aggregate_total(const struct pe_aggregate *agg);

/* Cells, in order of first appearance. */
size_t pe_aggregate_cell_count(const struct pe_aggregate *agg);
const struct pe_cell *pe_aggregate_cell(const struct pe_aggregate *agg,
					size_t i);

/* Flaky cases, in results.json order (file, case, model, temperature). */
size_t pe_aggregate_flaky_count(const struct pe_aggregate *agg);
const struct pe_flaky_case *pe_aggregate_flaky(const struct pe_aggregate *agg,
					       size_t i);

/* Per-prompt rankings, one per prompt file in order of first appearance. */
size_t pe_aggregate_ranking_count(const struct pe_aggregate *agg);
const struct pe_ranking *pe_aggregate_ranking(const struct pe_aggregate *agg,
					      size_t i);

/* The ranking that pools every prompt. */
const struct pe_ranking *pe_aggregate_overall_ranking(
	const struct pe_aggregate *agg);

/*
 * Whether the cost list has a known figure to show: a model whose
 * answers' cost is known, or whose judges' cost is known where judges
 * were asked.
 */
int pe_aggregate_has_cost(const struct pe_aggregate *agg);

/* Cost against pass rate, one per model, ordered by model name. */
size_t pe_aggregate_cost_count(const struct pe_aggregate *agg);
const struct pe_model_cost *pe_aggregate_cost(const struct pe_aggregate *agg,
					      size_t i);

/*
 * Appends, in words, how the pass rates and their intervals were
 * computed, the one wording every report uses (see README, Statistics):
 * Wilson when every group's cases were each decided once, case-clustered
 * Wilson when every group has repeats, or both.  Returns 0 and appends
 * nothing when nothing was decided, else 1.
 */
int pe_aggregate_method_text(const struct pe_aggregate *agg,
			     struct pe_buf *out);

/*
 * Appends the paired comparison p of ranking r in words, the one wording
 * every report uses: "+12.5 points [-3.1, 28.1] over 20 common cases
 * (5 better, 1 worse), sign test p = 0.22: cannot be told apart", with
 * "ahead" instead when p->apart is set; "no common case" when the two
 * models decided no case in common.  The difference is the better
 * model's pass rate minus the worse one's, in percentage points.
 */
void pe_model_pair_text(const struct pe_model_pair *p, struct pe_buf *out);

/*
 * Returns pair i of r when the reports show it (both models decided some
 * row; a model with none is ranked but compared with nobody), else NULL.
 */
const struct pe_model_pair *pe_ranking_shown_pair(const struct pe_ranking *r,
						  size_t i);

/*
 * Appends which neighbours of r (entries i and i + 1 with decided rows)
 * cannot be told apart, ranks counted from 1: "1 and 2, 3 and 4", or
 * "none" when every neighbour is ahead of the next.  Returns 0 and
 * appends nothing when r has fewer than two models with decided rows.
 */
int pe_ranking_ties_text(const struct pe_ranking *r, struct pe_buf *out);

#endif
