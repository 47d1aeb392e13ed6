/*
 * The gates (see gate.h).  Each check appends its result to one of two
 * lists, the passed (and unchecked) gates and the failed ones, and the
 * failed ones come last so that the output's last line names a failed
 * gate whenever one failed.  A result's text may name a prompt, so it is
 * printed with the terminal printer, and the reports escape it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/results/gate.h"
#include "harness/results/stats.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

const char *const pe_fail_on_choices[] = { "any-failure", "regression",
					   "significant-regression", NULL };

struct gate_lines {
	struct pe_gate_results ok; /* passed and not checked */
	struct pe_gate_results failed;
	size_t unchecked; /* asked for, and not checked */
};

/* Sets every gate to "not given". */
void pe_gates_init(struct pe_gates *g)
{
	g->min_pass_rate = NAN;
	g->fail_on = NULL;
	g->max_errors = -1;
	g->max_ungraded = -1;
	g->max_cost_usd = NAN;
	g->max_p95_latency_ms = NAN;
	g->max_p95_ttft_ms = NAN;
	g->sequential = NULL;
	g->fail_on_set_aside = NULL;
}

/* Returns 1 when at least one gate was given. */
int pe_gates_given(const struct pe_gates *g)
{
	return !isnan(g->min_pass_rate) || g->fail_on || g->fail_on_set_aside ||
	       g->max_errors >= 0 || g->max_ungraded >= 0 ||
	       !isnan(g->max_cost_usd) || !isnan(g->max_p95_latency_ms) ||
	       !isnan(g->max_p95_ttft_ms);
}

/* Returns 1 when a gate on the verdicts was given; see gate.h. */
int pe_gates_decide_failures(const struct pe_gates *g)
{
	return !isnan(g->min_pass_rate) || g->fail_on;
}

/* Returns 1 when --fail-on asks for a comparison. */
int pe_gates_need_baseline(const struct pe_gates *g)
{
	return g->fail_on && strstr(g->fail_on, "regression") != NULL;
}

/* Sets aside a --fail-on that has no baseline; see gate.h. */
void pe_gates_set_aside(struct pe_gates *g)
{
	if (!pe_gates_need_baseline(g))
		return;
	g->fail_on_set_aside = g->fail_on;
	g->fail_on = NULL;
}

/* Checks the ranges of the given values; returns 0 or PE_ERR_USAGE. */
int pe_gates_validate(const struct pe_gates *g, const char *cmd)
{
	const char *bad = NULL;

	if (!isnan(g->min_pass_rate) &&
	    (g->min_pass_rate < 0 || g->min_pass_rate > 1))
		bad = "--min-pass-rate must be from 0 to 1";
	else if (g->min_pass_rate == 0)
		bad = "--min-pass-rate 0 " PE_GATE_RATE_ZERO_WHY;
	else if (!isnan(g->max_cost_usd) && g->max_cost_usd < 0)
		bad = "--max-cost must not be negative";
	else if (!isnan(g->max_p95_latency_ms) && g->max_p95_latency_ms < 0)
		bad = "--max-p95-latency must not be negative";
	else if (!isnan(g->max_p95_ttft_ms) && g->max_p95_ttft_ms < 0)
		bad = "--max-p95-ttft must not be negative";
	if (!bad)
		return PE_OK;
	pe_usage_error(cmd, "%s", bad);
	return PE_ERR_USAGE;
}

/* Initialises an empty list of gate results. */
void pe_gate_results_init(struct pe_gate_results *r)
{
	memset(r, 0, sizeof(*r));
}

/* Frees the texts and the array of r. */
void pe_gate_results_release(struct pe_gate_results *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i].text);
	free(r->items);
	pe_gate_results_init(r);
}

/* The word a gate line uses for v. */
const char *pe_gate_verdict_name(enum pe_gate_verdict v)
{
	switch (v) {
	case PE_GATE_PASSED:
		return "passed";
	case PE_GATE_NOT_CHECKED:
		return "not checked";
	case PE_GATE_FAILED:
		break;
	}
	return "failed";
}

/* The verdict over all gates of r; see gate.h. */
const char *pe_gate_results_verdict(const struct pe_gate_results *r)
{
	if (!r->count)
		return "none checked";
	if (r->nfailed)
		return "failed";
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].verdict == PE_GATE_NOT_CHECKED)
			return "not all checked";
	return "passed";
}

static void add_result(struct pe_gate_results *r, enum pe_gate_verdict v,
		       const char *what)
{
	pe_grow(&r->items, &r->alloc, r->count + 1, sizeof(*r->items));
	r->items[r->count].verdict = v;
	r->items[r->count++].text = xstrdup(what);
	r->nfailed += v == PE_GATE_FAILED;
}

/*
 * A gate that did not fail: v is PE_GATE_PASSED or PE_GATE_NOT_CHECKED;
 * a gate not checked counts against the exit status (pe_gate_results's
 * nunchecked).
 */
static void gate_ok(struct gate_lines *l, enum pe_gate_verdict v,
		    const char *what)
{
	add_result(&l->ok, v, what);
	l->unchecked += v == PE_GATE_NOT_CHECKED;
}

static void gate_failed(struct gate_lines *l, const char *what)
{
	add_result(&l->failed, PE_GATE_FAILED, what);
}

/* True when another prompt file of agg has r's prompt name. */
static int name_shared(const struct pe_aggregate *agg,
		       const struct pe_ranking *r)
{
	for (size_t i = 0; i < pe_aggregate_ranking_count(agg); i++) {
		const struct pe_ranking *o = pe_aggregate_ranking(agg, i);

		if (o != r && !strcmp(o->prompt, r->prompt))
			return 1;
	}
	return 0;
}

/*
 * The overall pass rate, then each prompt file's (every model pooled,
 * the case as the unit: the aggregate's), against --min-pass-rate.
 */
static void check_min_pass_rate(const struct pe_gates *g,
				const struct pe_aggregate *agg,
				struct gate_lines *l)
{
	const struct pe_pass_rate *total = &pe_aggregate_total(agg)->pass_rate;
	size_t failed = l->failed.nfailed;
	char *what;

	if (!total->decided || total->rate < g->min_pass_rate) {
		what = total->decided ? xstrfmt("--min-pass-rate %.2f (overall "
						"pass rate %.2f)",
						g->min_pass_rate, total->rate)
				      : xstrfmt("--min-pass-rate %.2f (no case "
						"passed or failed)",
						g->min_pass_rate);
		gate_failed(l, what);
		free(what);
	}
	for (size_t i = 0; i < pe_aggregate_ranking_count(agg); i++) {
		const struct pe_ranking *r = pe_aggregate_ranking(agg, i);
		const struct pe_pass_rate *p = &r->all.pass_rate;

		if (!p->decided || p->rate >= g->min_pass_rate)
			continue;
		what = name_shared(agg, r)
			       ? xstrfmt("--min-pass-rate %.2f (prompt %s in "
					 "%s pass rate %.2f)",
					 g->min_pass_rate, r->prompt, r->file,
					 p->rate)
			       : xstrfmt("--min-pass-rate %.2f (prompt %s "
					 "pass rate %.2f)",
					 g->min_pass_rate, r->prompt, p->rate);
		gate_failed(l, what);
		free(what);
	}
	if (failed == l->failed.nfailed) {
		what = xstrfmt("--min-pass-rate %.2f (overall pass rate %.2f)",
			       g->min_pass_rate, total->rate);
		gate_ok(l, PE_GATE_PASSED, what);
		free(what);
	}
}

static void check_any_failure(const struct pe_aggregate *agg,
			      struct gate_lines *l)
{
	const struct pe_tally *t = pe_aggregate_total(agg);
	char *what = xstrfmt("--fail-on any-failure (%zu of %zu job%s failed)",
			     t->fail, t->jobs, t->jobs == 1 ? "" : "s");

	if (t->fail)
		gate_failed(l, what);
	else
		gate_ok(l, PE_GATE_PASSED, what);
	free(what);
}

/*
 * The regression kinds of --fail-on say nothing when no case was
 * compared (the prompt was renamed, the model changed, or no case has a
 * passed or failed repeat on both sides): "0 cases regressed" would be
 * true of nothing.  Then the gate is not checked, with why; returns 1.
 */
static int none_compared(const struct pe_comparison *cmp, const char *fail_on,
			 struct gate_lines *l)
{
	size_t added = pe_comparison_added_count(cmp);
	size_t removed = pe_comparison_removed_count(cmp);
	size_t paired = pe_comparison_case_count(cmp);
	char *what;

	if (pe_comparison_overall(cmp)->stats.n_cases)
		return 0;
	what = xstrfmt("--fail-on %s (no case could be compared: %zu case%s "
		       "only in HEAD, %zu only in the baseline, %zu in both "
		       "without a passed or failed repeat on each side)",
		       fail_on, added, added == 1 ? "" : "s", removed, paired);
	gate_ok(l, PE_GATE_NOT_CHECKED, what);
	free(what);
	return 1;
}

static void check_regression(const struct pe_comparison *cmp,
			     struct gate_lines *l)
{
	const struct pe_paired_result *s = &pe_comparison_overall(cmp)->stats;
	char *what = xstrfmt("--fail-on regression (%zu case%s regressed)",
			     s->regressed, s->regressed == 1 ? "" : "s");

	if (s->regressed)
		gate_failed(l, what);
	else
		gate_ok(l, PE_GATE_PASSED, what);
	free(what);
}

static void check_significant(const struct pe_comparison *cmp,
			      struct gate_lines *l)
{
	const struct pe_compare_group *all = pe_comparison_overall(cmp);
	size_t failed = l->failed.nfailed;
	char *what;

	if (all->stats.significant_regression) {
		what = xstrfmt("--fail-on significant-regression (overall: "
			       "%zu of %zu cases regressed, p = %.2g)",
			       all->stats.regressed, all->stats.n_cases,
			       all->stats.p_value);
		gate_failed(l, what);
		free(what);
	}
	for (size_t i = 0; i < pe_comparison_prompt_count(cmp); i++) {
		const struct pe_compare_group *p = pe_comparison_prompt(cmp, i);

		if (!p->stats.significant_regression)
			continue;
		what = xstrfmt("--fail-on significant-regression (prompt %s: "
			       "%zu of %zu cases regressed, p = %.2g)",
			       p->prompt, p->stats.regressed, p->stats.n_cases,
			       p->stats.p_value);
		gate_failed(l, what);
		free(what);
	}
	if (failed == l->failed.nfailed) {
		what = xstrfmt("--fail-on significant-regression (overall p = "
			       "%.2g%s)",
			       all->stats.p_value,
			       all->stats.too_few ? "; too few changed cases "
						    "to tell"
						  : "");
		gate_ok(l, PE_GATE_PASSED, what);
		free(what);
	}
}

/*
 * The regression kinds of --fail-on, by the sequential test's decision
 * (pe_gates_evaluate takes the comparison instead when it decided
 * nothing: then every case ran, or an interrupt stopped the run and the
 * comparison is of the cases that ran).
 */
static void check_sequential(const struct pe_gates *g, struct gate_lines *l)
{
	const struct pe_seqtest *t = g->sequential;
	char *what = xstrfmt("--fail-on %s (sequential test: %s after %zu "
			     "compared cases, alpha %g)",
			     g->fail_on, pe_seq_decision_name(t->decision),
			     t->decided_at, t->alpha);

	if (t->decision == PE_SEQ_REGRESSION)
		gate_failed(l, what);
	else
		gate_ok(l, PE_GATE_PASSED, what);
	free(what);
}

/* The configuration's --fail-on that had no baseline to compare with. */
static void set_aside_line(const struct pe_gates *g, struct gate_lines *l)
{
	char *what = xstrfmt("fail_on: %s from the configuration (it "
			     "compares with a baseline, and no --baseline "
			     "was given)",
			     g->fail_on_set_aside);

	/* Not a gate of this run: it asks for a baseline. */
	add_result(&l->ok, PE_GATE_NOT_CHECKED, what);
	free(what);
}

static void check_max_errors(const struct pe_gates *g,
			     const struct pe_aggregate *agg,
			     struct gate_lines *l)
{
	size_t errors = pe_aggregate_total(agg)->error;
	char *what = xstrfmt("--max-errors %ld (%zu error%s)", g->max_errors,
			     errors, errors == 1 ? "" : "s");

	if (errors > (size_t)g->max_errors)
		gate_failed(l, what);
	else
		gate_ok(l, PE_GATE_PASSED, what);
	free(what);
}

static void check_max_ungraded(const struct pe_gates *g,
			       const struct pe_aggregate *agg,
			       struct gate_lines *l)
{
	size_t ungraded = pe_aggregate_total(agg)->ungraded;
	char *what =
		xstrfmt("--max-ungraded %ld (%zu case%s ungraded)",
			g->max_ungraded, ungraded, ungraded == 1 ? "" : "s");

	if (ungraded > (size_t)g->max_ungraded)
		gate_failed(l, what);
	else
		gate_ok(l, PE_GATE_PASSED, what);
	free(what);
}

/* "; 0.004800 USD to reproduce" when that is known, else nothing. */
static void add_reproduce(struct pe_buf *b, const struct pe_tally *t)
{
	double all;

	if (pe_tally_spend(t, &all))
		pe_buf_addf(b, "; %.6f USD to reproduce", all);
}

/*
 * --max-cost checks what was spent, the answers' and the judges' calls
 * that went out (pe_tally_spent), not those the cache answered: a replay
 * from the cache spends nothing.  What reproducing the run would cost is
 * said beside it.  When either part of the spend is not known the gate
 * is not checked, even if the part that is known already exceeds the
 * budget, so that the line never states a cost it does not have.
 */
static void check_max_cost(const struct pe_gates *g,
			   const struct pe_aggregate *agg, struct gate_lines *l)
{
	const struct pe_tally *t = pe_aggregate_total(agg);
	struct pe_buf what;
	double spent;

	pe_buf_init(&what, 0);
	pe_buf_addf(&what, "--max-cost %g (", g->max_cost_usd);
	if (!t->has_spent_cost) {
		pe_buf_adds(&what, "not every model has a price, or a call "
				   "reported no token counts, so the spend "
				   "is not known)");
		gate_ok(l, PE_GATE_NOT_CHECKED, pe_buf_str(&what));
	} else if (!pe_tally_spent(t, &spent)) {
		pe_buf_addf(&what,
			    "the answers' calls made cost %.6f USD; not every "
			    "judge call can be priced, so the judges' spend "
			    "is not known)",
			    t->spent_cost_usd);
		gate_ok(l, PE_GATE_NOT_CHECKED, pe_buf_str(&what));
	} else {
		pe_buf_addf(&what, "spent %.6f USD", spent);
		if (t->judge_calls)
			pe_buf_addf(&what, ": answers %.6f, judges %.6f",
				    t->spent_cost_usd, t->judge_spent_cost_usd);
		add_reproduce(&what, t);
		pe_buf_addc(&what, ')');
		if (spent > g->max_cost_usd)
			gate_failed(l, pe_buf_str(&what));
		else
			gate_ok(l, PE_GATE_PASSED, pe_buf_str(&what));
	}
	pe_buf_release(&what);
}

/*
 * The p95 of every row's total_ms, or with first_token of its
 * first_byte_ms (the time to the first token); NAN when no row has one.
 */
static double p95_latency_ms(const struct pe_resultset *rs, int first_token)
{
	size_t n = pe_resultset_count(rs), k = 0;
	double *ms = xcalloc(n ? n : 1, sizeof(*ms));
	double p95;

	for (size_t i = 0; i < n; i++) {
		const struct pe_result *r = pe_resultset_get(rs, i);
		double v = first_token ? r->first_byte_ms : r->total_ms;

		if (r->has_call && !isnan(v))
			ms[k++] = v;
	}
	p95 = pe_percentile(ms, k, 0.95);
	free(ms);
	return p95;
}

/* --max-p95-latency, or with first_token --max-p95-ttft. */
static void check_max_p95(double max_ms, const struct pe_resultset *rs,
			  int first_token, struct gate_lines *l)
{
	double p95 = p95_latency_ms(rs, first_token);
	const char *option =
		first_token ? "--max-p95-ttft" : "--max-p95-latency";
	const char *figure =
		first_token ? "p95 time to first token" : "p95 latency";
	char *what;

	if (isnan(p95)) {
		what = xstrfmt("%s %g (no latencies recorded)", option, max_ms);
		gate_ok(l, PE_GATE_NOT_CHECKED, what);
	} else {
		what = xstrfmt("%s %g (%s %.0f ms)", option, max_ms, figure,
			       p95);
		if (p95 > max_ms)
			gate_failed(l, what);
		else
			gate_ok(l, PE_GATE_PASSED, what);
	}
	free(what);
}

/* Checks every given gate into out; returns how many failed. */
size_t pe_gates_evaluate(const struct pe_gates *g,
			 const struct pe_resultset *rs,
			 const struct pe_aggregate *agg,
			 const struct pe_comparison *cmp,
			 struct pe_gate_results *out)
{
	struct gate_lines l;
	size_t failed;

	pe_gate_results_init(&l.ok);
	pe_gate_results_init(&l.failed);
	l.unchecked = 0;
	if (!isnan(g->min_pass_rate))
		check_min_pass_rate(g, agg, &l);
	if (g->fail_on && !strcmp(g->fail_on, "any-failure"))
		check_any_failure(agg, &l);
	else if (g->fail_on && g->sequential &&
		 g->sequential->decision != PE_SEQ_UNDECIDED)
		check_sequential(g, &l);
	else if (g->fail_on && cmp && !none_compared(cmp, g->fail_on, &l)) {
		if (!strcmp(g->fail_on, "regression"))
			check_regression(cmp, &l);
		else
			check_significant(cmp, &l);
	}
	if (g->fail_on_set_aside)
		set_aside_line(g, &l);
	if (g->max_errors >= 0)
		check_max_errors(g, agg, &l);
	if (g->max_ungraded >= 0)
		check_max_ungraded(g, agg, &l);
	if (!isnan(g->max_cost_usd))
		check_max_cost(g, agg, &l);
	if (!isnan(g->max_p95_latency_ms))
		check_max_p95(g->max_p95_latency_ms, rs, 0, &l);
	if (!isnan(g->max_p95_ttft_ms))
		check_max_p95(g->max_p95_ttft_ms, rs, 1, &l);
	/* The failed ones last, so that the last line names one. */
	for (size_t i = 0; i < l.ok.count; i++)
		add_result(out, l.ok.items[i].verdict, l.ok.items[i].text);
	for (size_t i = 0; i < l.failed.count; i++)
		add_result(out, PE_GATE_FAILED, l.failed.items[i].text);
	failed = l.failed.nfailed;
	out->nunchecked += l.unchecked;
	pe_gate_results_release(&l.ok);
	pe_gate_results_release(&l.failed);
	return failed;
}

/* Prints the gate lines of r, written with the terminal printer. */
void pe_gate_results_print(const struct pe_gate_results *r, FILE *out)
{
	for (size_t i = 0; i < r->count; i++)
		pe_terminal_printf(out, "gate %s: %s\n",
				   pe_gate_verdict_name(r->items[i].verdict),
				   r->items[i].text);
}

/* Checks every given gate; prints a line each; returns how many failed. */
size_t pe_gates_check(const struct pe_gates *g, const struct pe_resultset *rs,
		      const struct pe_aggregate *agg,
		      const struct pe_comparison *cmp, FILE *out,
		      size_t *unchecked)
{
	struct pe_gate_results r;
	size_t failed;

	pe_gate_results_init(&r);
	failed = pe_gates_evaluate(g, rs, agg, cmp, &r);
	*unchecked = r.nunchecked;
	pe_gate_results_print(&r, out);
	pe_gate_results_release(&r);
	return failed;
}
