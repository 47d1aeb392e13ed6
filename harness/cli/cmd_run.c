/*
 * prompteval run: loads the suite and the configuration, plans the whole
 * matrix, checks that every target can be reached (keys present), then
 * runs it and writes OUT/results.jsonl (the journal, line by line) and
 * OUT/results.json (sorted), and prints the pass-rate matrix.
 *
 * The first SIGINT or SIGTERM stops sending new requests; those in
 * flight finish, partial results are written and the exit status is 2.
 * A second one cancels the requests in flight and writes the partial
 * results at once, with the same status.  The handlers stay until the
 * results and reports are written, so no signal cuts them short.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evaluators/evaluator.h"
#include "reports/comparison.h"
#include "reports/report.h"
#include "harness/cli/commands.h"
#include "harness/cli/inputs.h"
#include "harness/cli/status.h"
#include "harness/results/compare.h"
#include "harness/load/config.h"
#include "harness/results/causes.h"
#include "harness/results/gate.h"
#include "harness/run/cache.h"
#include "harness/core/files.h"
#include "harness/run/http.h"
#include "harness/cli/options.h"
#include "harness/plan/plan.h"
#include "harness/plan/shard.h"
#include "harness/load/gitrev.h"
#include "harness/run/decide.h"
#include "harness/run/runner.h"
#include "harness/load/suite.h"
#include "harness/cli/progress.h"
#include "harness/cli/summary.h"
#include "harness/core/message.h"
#include "harness/core/secrets.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* How old a temporary file must be to be a killed writer's, in seconds. */
enum { STALE_TEMP_S = 60 };

/*
 * The one piece of static state: a signal handler can reach nothing else.
 * It counts SIGINT and SIGTERM up to 2 (the runner's stop levels).
 */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	if (interrupted < 2)
		interrupted++;
}

/* The signals that stop a run, and what they did before it. */
struct saved_signals {
	struct sigaction old_int;
	struct sigaction old_term;
	int caught;
};

/*
 * Catches SIGINT and SIGTERM for the run; SA_RESTART keeps a write to the
 * journal from failing with EINTR.  The previous actions are saved in
 * saved for restore_signals.
 */
static void catch_signals(struct saved_signals *saved)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &saved->old_int);
	sigaction(SIGTERM, &sa, &saved->old_term);
	saved->caught = 1;
}

static void restore_signals(const struct saved_signals *saved)
{
	if (!saved->caught)
		return;
	sigaction(SIGINT, &saved->old_int, NULL);
	sigaction(SIGTERM, &saved->old_term, NULL);
}

struct run_args {
	struct pe_strlist models;
	const char *temperatures;
	long repeat;
	const char *config;
	const char *out_dir;
	const char *filter;
	int resume;
	int dry_run;
	int quiet;
	int verbose;
	int help;
	struct pe_call_settings calls;
	const char *shard;
	long shard_count;
	const char *formats;
	const char *baseline;
	const char *judge_model;
	const char *org;
	struct pe_gates gates;
	int until_decided;
	const char *baseline_rev;
	int base_side; /* this is --baseline-rev's run of the revision */
	long seed;     /* -1: from the plan's id */
	double alpha;
	double margin;
};

/* Parses "0,0.7,1" strictly into temps; returns the count or -1. */
static long parse_temperatures(const char *list, double *temps, size_t max)
{
	size_t n = 0;
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		char *one = xstrndup(p, len);
		double v;
		int bad =
			pe_parse_double(one, &v) || v < 0 || v > 2 || n >= max;

		free(one);
		if (bad)
			return -1;
		temps[n++] = v;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	return n ? (long)n : -1;
}

/*
 * Finds this run's shard from --shard, --shard-count and the scheduler
 * variables (see shard.h).  Returns 0 (index 0: not sharded) or
 * PE_ERR_USAGE after a message.
 */
static int find_shard(const struct run_args *a, size_t *index, size_t *count)
{
	struct pe_shard_env env;
	char err[512];

	pe_shard_env_read(&env);
	if (!pe_shard_find(a->shard, a->shard_count, &env, index, count, err,
			   sizeof(err)))
		return PE_OK;
	pe_usage_error("run", "%s", err);
	return PE_ERR_USAGE;
}

/*
 * The judge calls of specs[0..n-1] that target answers, for one job (a
 * judge with samples is asked once per sample).
 */
static size_t judge_calls(const struct pe_plan *plan,
			  const struct pe_evalspec *specs, size_t n,
			  size_t target)
{
	size_t calls = 0;

	for (size_t i = 0; i < n; i++)
		if (pe_plan_judge_target(
			    plan, pe_evaluator_judge_model(
					  &specs[i], plan->judge_model)) ==
		    (long)target)
			calls += pe_evaluator_judge_samples(&specs[i]);
	return calls;
}

/*
 * An organization name goes into a URL path as it is: letters, digits,
 * '-', '_' and '.', and not only dots.
 */
static int org_is_valid(const char *org)
{
	size_t len = strlen(org);

	return len &&
	       len == strspn(org, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789-_.") &&
	       strspn(org, ".") < len;
}

/* True when some target takes --org (a GitHub Models one). */
static int plan_uses_org(const struct pe_plan *plan)
{
	for (size_t i = 0; i < plan->ntargets; i++)
		if (plan->targets[i].org)
			return 1;
	return 0;
}

static void print_plan(const struct pe_plan *plan)
{
	pe_terminal_printf(stdout, "plan: %zu job%s against %zu model%s",
			   plan->njobs, plan->njobs == 1 ? "" : "s",
			   plan->ntargets, plan->ntargets == 1 ? "" : "s");
	if (plan->info.shard_count)
		pe_terminal_printf(stdout,
				   " (shard %zu of %zu; %zu jobs in all)",
				   plan->info.shard_index,
				   plan->info.shard_count, plan->info.jobs);
	pe_terminal_printf(stdout, "\n");
	for (size_t i = 0; i < plan->ntargets; i++) {
		const struct pe_target *t = &plan->targets[i];
		size_t jobs = 0, judged = 0;
		char *base;

		for (size_t j = 0; j < plan->njobs; j++) {
			const struct pe_job *job = &plan->jobs[j];

			jobs += job->target == i;
			if (!t->judge)
				continue;
			judged += judge_calls(plan, job->prompt->evaluators,
					      job->prompt->nevaluators, i);
			if (job->kase)
				judged +=
					judge_calls(plan, job->kase->evaluators,
						    job->kase->nevaluators, i);
		}
		/* A base URL may hold a password ("user:PASSWORD@host"). */
		base = xstrdup(t->base_url ? t->base_url : "(local)");
		pe_secrets_redact_str(plan->secrets, &base);
		pe_terminal_printf(stdout, "  %-32s %-30s %zu jobs", t->spec,
				   base, jobs);
		free(base);
		if (t->judge)
			pe_terminal_printf(stdout, ", %zu judge calls", judged);
		if (t->stream)
			pe_terminal_printf(stdout, ", streamed");
		pe_terminal_printf(
			stdout, "%s%s%s%s%s\n",
			t->api_key_env ? ", key from " : "",
			t->api_key_env ? t->api_key_env : "",
			t->key_withheld
				? ", no key is sent: its base URL is not "
				  "the provider's and it names no "
				  "api_key_env"
				: "",
			t->org ? ", billed to the organization " : "",
			t->org ? t->org : "");
	}
}

/*
 * OUT/results.json as written, read the first time it is asked for and
 * kept in *written (the caller frees it): the rows in memory gave their
 * error texts and evaluators back once written.  NULL when it cannot be
 * read (pe_inputs_results said why).
 */
static struct pe_resultset *written_results(const char *out_dir,
					    struct pe_resultset **written)
{
	if (!*written) {
		char *path = xstrfmt("%s/results.json", out_dir);

		*written = pe_inputs_results(path);
		free(path);
	}
	return *written;
}

/* Prints the errors grouped by cause, from the rows as written. */
static void print_causes(const char *out_dir, struct pe_resultset **written)
{
	const struct pe_resultset *rs = written_results(out_dir, written);
	struct pe_error_causes *causes;

	if (!rs)
		return;
	causes = pe_error_causes_new(pe_resultset_rows(rs),
				     pe_resultset_count(rs));
	pe_error_causes_print(causes, stdout);
	pe_error_causes_free(causes);
}

/*
 * Prints the matrix and the totals of the finished jobs (the judges'
 * apart), from the same aggregate every report uses; returns it (owned
 * by the caller).  When some jobs did not finish, the aggregate is over
 * a copy of the finished rows in *rows, which the caller frees after it;
 * else *rows is NULL.  The causes of errors come from the rows as
 * written (written_results).
 */
static struct pe_aggregate *print_summary(const struct pe_plan *plan,
					  const struct pe_run *run,
					  const struct pe_config *config,
					  const char *out_dir,
					  struct pe_result **rows,
					  struct pe_resultset **written)
{
	struct pe_prices prices = pe_config_prices(config);
	size_t n;
	struct pe_aggregate *agg;
	const struct pe_tally *t;

	/* Every job finished (the usual case): no copy of the rows. */
	*rows = NULL;
	if (run->done == run->njobs)
		agg = pe_aggregate_new(run->rows, run->njobs, &prices);
	else {
		*rows = pe_run_finished_rows(run, &n);
		agg = pe_aggregate_new(*rows, n, &prices);
	}
	t = pe_aggregate_total(agg);
	pe_report_print_matrix(stdout, agg, pe_report_want_color(), 0);
	pe_terminal_printf(
		stdout,
		"\nran %zu of %zu jobs: %zu passed, %zu failed, %zu error%s, "
		"%zu ungraded; %zu requests, %zu from the cache; results in "
		"%s/results.json\n",
		t->jobs, plan->njobs, t->pass, t->fail, t->error,
		t->error == 1 ? "" : "s", t->ungraded, run->requests,
		run->cache_hits, out_dir);
	pe_report_print_judges(stdout, t);
	pe_report_print_cost(stdout, t);
	if (t->error)
		print_causes(out_dir, written);
	return agg;
}

/*
 * What happens after the run when -f, --baseline or a gate asks for the
 * results: renders OUT/results.json in the formats -f asks for (with the
 * comparison against base when there is one, and the suite the rows came
 * from, and what the gates found), prints the comparison and the gate
 * lines (the regression kinds of --fail-on read test, the sequential
 * test of --until-decided, when it is not NULL).  Stores the number of
 * failed gates in *failed and of those not checked in *unchecked.
 * Returns 0 or PE_ERR_IO.
 */
static int use_results(const struct run_args *a, const struct pe_config *config,
		       const struct pe_suite *suite,
		       const struct pe_resultset *base,
		       const struct pe_seqtest *test,
		       struct pe_resultset **written, size_t *failed,
		       size_t *unchecked)
{
	struct pe_gates gates = a->gates;
	struct pe_prices prices = pe_config_prices(config);
	const struct pe_resultset *rs = written_results(a->out_dir, written);
	struct pe_aggregate *agg = NULL;
	struct pe_comparison *cmp = NULL;
	struct pe_report_input in;
	struct pe_gate_results results;
	int gated = pe_gates_given(&gates);
	int rc = PE_ERR_IO;

	*failed = *unchecked = 0;
	pe_gate_results_init(&results);
	if (rs) {
		agg = pe_aggregate_new(pe_resultset_rows(rs),
				       pe_resultset_count(rs), &prices);
		cmp = base ? pe_compare_new(base, rs) : NULL;
		/* The reports say what the gates found; stdout says it last. */
		gates.sequential = test;
		if (gated)
			*failed = pe_gates_evaluate(&gates, rs, agg, cmp,
						    &results);
		memset(&in, 0, sizeof(in));
		in.rs = rs;
		in.agg = agg;
		in.comparison = cmp;
		in.gates = gated ? &results : NULL;
		*unchecked = results.nunchecked;
		in.color = pe_report_want_color();
		in.suite = suite;
		rc = a->formats
			     ? pe_report_write_all(a->formats, a->out_dir, &in)
			     : PE_OK;
	}
	if (!rc && cmp) {
		pe_terminal_printf(stdout, "\ncompared with the baseline %s:\n",
				   a->baseline);
		pe_comparison_write_terminal(stdout, cmp);
	}
	if (!rc && gated)
		pe_gate_results_print(&results, stdout);
	pe_gate_results_release(&results);
	pe_comparison_free(cmp);
	pe_aggregate_free(agg);
	return rc;
}

/* The exit status from the rows and the gates (the one rule, status.h). */
static int exit_status(const struct run_args *a, const struct pe_run *run,
		       const struct pe_tally *tally, size_t failed_gates,
		       size_t unchecked_gates)
{
	struct pe_outcome o = { 0 };
	const char *why;
	int status;

	o.tally = tally;
	o.judge_rows = 1;
	o.gates_given = pe_gates_decide_failures(&a->gates);
	o.gates_failed = failed_gates;
	o.gates_unchecked = unchecked_gates;
	o.errors_allowed = a->gates.max_errors >= 0;
	o.ungraded_allowed = a->gates.max_ungraded >= 0;
	o.interrupted = run->interrupted;
	status = pe_exit_status(&o, &why);
	if (why)
		pe_terminal_printf(stdout, "%s\n", why);
	return status;
}

/*
 * A run killed with -9 may have left temporary files of cache entries and
 * of OUT's files; those older than a minute before this run are no
 * writer's any more (a write takes far less), and go.
 */
static void remove_stale_temps(const struct pe_run_options *ro)
{
	time_t before = time(NULL) - STALE_TEMP_S;

	if (ro->use_cache)
		pe_cache_remove_stale(ro->cache_dir, before);
	pe_atomic_remove_stale(ro->out_dir, before);
}

/*
 * Says how many jobs an interrupt left; --resume continues them, but not
 * on --baseline-rev's baseline side (the command takes no --resume).
 */
static void print_interrupted(const struct run_args *a,
			      const struct pe_run *run)
{
	size_t left = run->njobs - run->done;

	printf("interrupted: %zu job%s not run%s\n", left, left == 1 ? "" : "s",
	       a->base_side ? "" : "; --resume continues");
}

/*
 * The seed of --until-decided's order: --seed, else the first 15 hex
 * digits of the plan's id, so that the same plan runs in the same order.
 */
static unsigned long long order_seed(const struct run_args *a,
				     const struct pe_plan *plan)
{
	unsigned long long seed = 0;

	if (a->seed >= 0)
		return (unsigned long long)a->seed;
	for (size_t i = 0; i < 15 && plan->info.id[i]; i++) {
		char c = plan->info.id[i];

		seed = seed * 16 +
		       (unsigned long long)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return seed;
}

/*
 * Starts --until-decided: makes the decider that orders the jobs and
 * watches them, and says how the run goes.  Returns it (owned by the
 * caller).
 */
static struct pe_decider *start_deciding(const struct run_args *a,
					 const struct pe_plan *plan,
					 const struct pe_resultset *base,
					 struct pe_run_options *ro)
{
	unsigned long long seed = order_seed(a, plan);
	struct pe_decider *d = pe_decider_new(plan, base, a->alpha, a->margin,
					      seed, ro->observer);

	pe_decider_apply(d, ro);
	pe_terminal_printf(stdout,
			   "until decided: %zu cases in random order (seed "
			   "%llu), alpha %g, margin %g\n",
			   pe_decider_cases(d), seed, a->alpha, a->margin);
	return d;
}

/* Says what the sequential test decided, and when. */
static void print_decision(const struct pe_decider *d, const struct pe_run *run)
{
	const struct pe_seqtest *t = pe_decider_test(d);
	size_t run_cases = pe_decider_cases_run(d);
	size_t cases = pe_decider_cases(d);

	if (t->decision == PE_SEQ_UNDECIDED)
		pe_terminal_printf(stdout,
				   "sequential test: undecided after %zu "
				   "compared case%s (%zu of %zu cases run)",
				   pe_seqtest_cases(t),
				   pe_seqtest_cases(t) == 1 ? "" : "s",
				   run_cases, cases);
	else
		pe_terminal_printf(stdout,
				   "sequential test: %s, decided after %zu "
				   "compared case%s (%zu regressed, %zu "
				   "improved, %zu unchanged in all); %zu of "
				   "%zu cases run",
				   pe_seq_decision_name(t->decision),
				   t->decided_at, t->decided_at == 1 ? "" : "s",
				   t->regressed, t->improved, t->unchanged,
				   run_cases, cases);
	pe_terminal_printf(stdout,
			   "; e-values: regression %.3g, no "
			   "regression %.3g (decide at %.3g)\n",
			   pe_seqtest_e_regression(t),
			   pe_seqtest_e_no_regression(t), 1 / t->alpha);
	if (run->decided)
		pe_terminal_printf(stdout,
				   "stopped early: %zu of %zu cases not run "
				   "(stopped, decided; neither passed nor "
				   "failed, and listed as removed against "
				   "the baseline)\n",
				   cases - run_cases, cases);
}

/*
 * A baseline inside OUT, or one of the files the run writes there
 * (through a link too), would be overwritten by this run, and the next
 * run would compare with itself: it is refused before anything is sent,
 * with a message.  Returns 1 when refused.
 */
static int baseline_is_written(const struct run_args *a)
{
	static const char *const written[] = { "results.json", "results.jsonl",
					       NULL };

	if (!pe_path_is_inside(a->baseline, a->out_dir, written))
		return 0;
	pe_usage_error("run",
		       "--baseline %s is in --out %s, or is a file this run "
		       "writes there: the run would overwrite it and the "
		       "next one would compare with itself; keep the "
		       "baseline out of %s",
		       a->baseline, a->out_dir, a->out_dir);
	return 1;
}

static int usage(const struct pe_option *opts)
{
	struct pe_buf text;

	/* The providers and their plain names come from their registry. */
	pe_buf_init(&text, 0);
	pe_buf_adds(&text, "Runs every test case of the prompts in PATH "
			   "against the models, scores the\nanswers and "
			   "writes OUT/results.jsonl and OUT/results.json.  "
			   "Models are\nPROVIDER:MODEL (");
	pe_provider_list_names(&text, NULL, ", ");
	pe_buf_adds(&text, "),\na plain name (");
	pe_provider_list_plain_names(&text);
	pe_buf_adds(&text, ")\nor an alias.");
	pe_options_print_help(stdout, "prompteval run [options] PATH...",
			      pe_buf_str(&text), opts);
	pe_buf_release(&text);
	printf("\n");
	pe_print_exit_codes(stdout);
	return PE_EXIT_OK;
}

static int plan_and_run(struct run_args *a, struct pe_strlist *paths)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_config *config = pe_config_load(a->config, diag);
	struct pe_suite *suite = NULL;
	struct pe_plan *plan = NULL;
	struct pe_plan_options po;
	struct pe_run_options ro;
	struct pe_prices prices;
	struct pe_run run;
	struct pe_resultset *base = NULL;
	struct pe_resultset *written = NULL; /* OUT/results.json, once read */
	struct pe_decider *decider = NULL;
	struct pe_aggregate *agg = NULL;
	struct pe_result *rows = NULL;
	struct pe_progress progress;
	size_t failed_gates = 0, unchecked_gates = 0;
	double temps[64];
	struct saved_signals saved;
	int rc, status = PE_EXIT_INVALID;

	memset(&saved, 0, sizeof(saved));
	memset(&po, 0, sizeof(po));
	memset(&run, 0, sizeof(run));
	po.models = a->models.items;
	po.nmodels = a->models.len;
	po.repeats = a->repeat;
	po.filter = a->filter;
	po.judge_model = a->judge_model;
	po.org = a->org;
	po.stream = pe_call_settings_stream(&a->calls);
	/* An unknown format is a usage error before anything is sent. */
	if (a->formats && pe_report_check_list(a->formats)) {
		status = PE_EXIT_USAGE;
		goto done;
	}
	if (find_shard(a, &po.shard_index, &po.shard_count)) {
		status = PE_EXIT_USAGE;
		goto done;
	}
	if (a->temperatures) {
		long n = parse_temperatures(a->temperatures, temps, 64);

		if (n < 0) {
			pe_usage_error("run",
				       "invalid value '%s' for --temperature: "
				       "expected numbers from 0 to 2 separated "
				       "by commas",
				       a->temperatures);
			status = PE_EXIT_USAGE;
			goto done;
		}
		po.temperatures = temps;
		po.ntemperatures = (size_t)n;
	}
	/*
	 * The configuration's gates fill what the options left out (not on
	 * --baseline-rev's base side, which gates nothing).  Its fail_on that
	 * compares with a baseline applies only when one is given (the
	 * option's was checked in cmd_run).  --baseline-rev's own baseline
	 * is written into OUT/baseline by its base side, on purpose.
	 */
	if (!a->base_side)
		pe_config_merge_gates(config, &a->gates);
	if (!a->baseline)
		pe_gates_set_aside(&a->gates);
	if (a->baseline && !a->baseline_rev && baseline_is_written(a)) {
		status = PE_EXIT_USAGE;
		goto done;
	}
	/* A baseline that cannot be read stops the run before it starts. */
	if (a->baseline && !(base = pe_inputs_results(a->baseline)))
		goto done;
	if (config)
		suite = pe_suite_load(paths->items, paths->len, diag);
	/* Nothing to run is an input error, never a green run. */
	if (suite && !suite->nfiles && !suite->npaths_missing) {
		struct pe_mark m = { paths->items[0], 0, 0 };

		pe_diag_error(diag, &m,
			      "no prompt files found (*.prompt.yml "
			      "or *.prompt.yaml)");
	}
	if (suite && !pe_diag_count(diag, PE_SEV_ERROR))
		plan = pe_plan_new(suite, config, &po, diag);
	/* A misplaced --org is a usage error, before keys are looked for. */
	if (plan && a->org && !plan_uses_org(plan)) {
		pe_usage_error("run",
			       "--org applies to GitHub Models only, and no "
			       "model of this run is a github one");
		status = PE_EXIT_USAGE;
		goto done;
	}
	if (plan && !a->dry_run)
		pe_plan_check_keys(plan, a->calls.offline, diag);
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	if (!plan || pe_diag_count(diag, PE_SEV_ERROR))
		goto done;
	if (a->dry_run) {
		print_plan(plan);
		pe_print_power(stdout, plan);
		prices = pe_config_prices(config);
		pe_print_cost_estimate(stdout, plan, &prices);
		status = PE_EXIT_OK;
		goto done;
	}
	memset(&ro, 0, sizeof(ro));
	pe_call_settings_apply(&a->calls, &ro);
	ro.resume = a->resume;
	ro.out_dir = a->out_dir;
	prices = pe_config_prices(config);
	ro.prices = &prices;
	ro.stop = &interrupted;
	pe_progress_init(&progress, a->quiet, a->verbose);
	ro.observer = &progress.observer;
	if (a->until_decided)
		decider = start_deciding(a, plan, base, &ro);
	if (pe_make_dirs(a->out_dir, 0)) {
		pe_error("cannot create %s: %s", a->out_dir, strerror(errno));
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	remove_stale_temps(&ro);
	catch_signals(&saved);
	rc = pe_run_execute(plan, &ro, &run);
	if (rc) {
		pe_error("cannot use the journal %s/results.jsonl: %s",
			 a->out_dir, strerror(errno));
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	if (run.decided)
		pe_decider_describe(decider, run.stopped, sizeof(run.stopped));
	if (pe_run_write_results(plan, &ro, &run)) {
		pe_error("cannot write %s/results.json: %s", a->out_dir,
			 strerror(errno));
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	agg = print_summary(plan, &run, config, a->out_dir, &rows, &written);
	if (run.interrupted)
		print_interrupted(a, &run);
	if (decider)
		print_decision(decider, &run);
	if ((a->formats || base || pe_gates_given(&a->gates)) &&
	    use_results(a, config, suite, base,
			decider ? pe_decider_test(decider) : NULL, &written,
			&failed_gates, &unchecked_gates)) {
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	status = exit_status(a, &run, pe_aggregate_total(agg), failed_gates,
			     unchecked_gates);
done:
	restore_signals(&saved);
	pe_aggregate_free(agg);
	free(rows);
	pe_resultset_free(written);
	pe_resultset_free(base);
	pe_decider_free(decider);
	pe_run_release(&run);
	pe_plan_free(plan);
	pe_suite_free(suite);
	pe_config_free(config);
	pe_diag_free(diag);
	return status;
}

/*
 * The run of --baseline-rev: exports the PATHs at the revision, runs them
 * into OUT/baseline with the same options and no gates nor reports, then
 * runs the working tree's with that as --baseline.  Identical prompt
 * files make identical requests, so the second side takes their answers
 * from the cache.  Returns an exit status.
 */
static int run_with_rev(struct run_args *a, struct pe_strlist *paths)
{
	struct run_args base;
	struct pe_call_settings calls = a->calls;
	struct pe_strlist found;
	struct pe_gitrev g;
	int rc =
		pe_gitrev_export(a->baseline_rev, paths->items, paths->len, &g);
	char *own_cache = NULL;
	int status;

	pe_strlist_init(&found);
	if (rc) {
		pe_gitrev_release(&g);
		return rc == PE_ERR_IO ? PE_EXIT_SYSTEM : PE_EXIT_INVALID;
	}
	/*
	 * With --no-cache the two sides still share the answers of their
	 * identical requests (an unchanged prompt is asked once), through a
	 * cache of their own in the export's folder, removed with it.
	 */
	if (a->calls.no_cache) {
		own_cache = xstrfmt("%s/.prompteval-rev-cache", g.dir);
		a->calls.no_cache = 0;
		a->calls.cache_dir = own_cache;
	}
	base = *a;
	for (size_t i = 0; i < g.paths.len; i++)
		if (!access(g.paths.items[i], F_OK))
			pe_strlist_push(&found, g.paths.items[i]);
	if (!found.len) {
		pe_error("--baseline-rev %s: none of the PATHs is in that "
			 "revision; nothing to compare with",
			 a->baseline_rev);
		status = PE_EXIT_INVALID;
		goto done;
	}
	base.out_dir = xstrfmt("%s/baseline", a->out_dir);
	base.formats = NULL;
	base.until_decided = 0;
	base.baseline = NULL;
	base.base_side = 1;
	pe_gates_init(&base.gates);
	pe_terminal_printf(stdout,
			   "baseline: %s as at %s (%zu file%s, %zu PATH%s "
			   "new since), run into %s\n",
			   paths->len == 1 ? paths->items[0] : "the PATHs",
			   a->baseline_rev, g.files, g.files == 1 ? "" : "s",
			   g.missing, g.missing == 1 ? "" : "s", base.out_dir);
	status = plan_and_run(&base, &found);
	/*
	 * Ctrl-C during the baseline side stops the command: the working
	 * tree's side would spend calls to compare against a partial
	 * baseline.  The flag outlives the side's run, and the next run's
	 * catch_signals clears it, so it is read here.
	 */
	if (interrupted) {
		pe_terminal_printf(stdout,
				   "\nthe working tree's side is not run: the "
				   "baseline side was interrupted\n");
		if (status < PE_EXIT_INCOMPLETE)
			status = PE_EXIT_INCOMPLETE;
	} else if (status < PE_EXIT_INVALID) {
		char *results = xstrfmt("%s/results.json", base.out_dir);

		pe_terminal_printf(stdout, "\nthe working tree's %s:\n",
				   paths->len == 1 ? paths->items[0] : "PATHs");
		a->baseline = results;
		status = plan_and_run(a, paths);
		a->baseline = NULL;
		free(results);
	}
	free((char *)base.out_dir);
done:
	a->calls = calls;
	free(own_cache);
	pe_strlist_release(&found);
	pe_gitrev_release(&g);
	return status;
}

/*
 * Checks --until-decided and its settings; 0, or PE_ERR_USAGE after
 * saying why.
 */
static int check_until_decided(const struct run_args *a)
{
	const char *why = NULL;

	if (a->baseline && a->baseline_rev)
		why = "--baseline and --baseline-rev exclude each other";
	else if (a->baseline_rev && (a->resume || a->shard || a->shard_count))
		why = "--baseline-rev runs the whole plan of both sides, so "
		      "it takes no --resume nor --shard";
	else if (!(a->alpha > 0 && a->alpha < 1))
		why = "--alpha must be above 0 and below 1";
	else if (!(a->margin >= 0 && a->margin < 1))
		why = "--margin must be from 0 to below 1";
	else if (!a->until_decided && a->seed >= 0)
		why = "--seed applies to --until-decided only";
	else if (!a->until_decided)
		return PE_OK;
	else if (!a->baseline && !a->baseline_rev)
		why = "--until-decided needs --baseline or --baseline-rev";
	else if (a->resume)
		why = "--until-decided and --resume exclude each other";
	else if (a->shard || a->shard_count)
		why = "--until-decided runs the whole plan, not a shard";
	if (!why)
		return PE_OK;
	pe_usage_error("run", "%s", why);
	return PE_ERR_USAGE;
}

/* Runs "prompteval run"; returns an exit status. */
int cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct pe_option opts[] = {
		{ PE_OPT_LIST, 'm', "model", "PROVIDER:MODEL",
		  "a model to run (repeatable; default: the prompt's)",
		  &a.models, NULL, 0, 0 },
		{ PE_OPT_STRING, 't', "temperature", "LIST",
		  "temperatures, e.g. 0,0.7,1 (default: the prompt's)",
		  &a.temperatures, NULL, 0, 0 },
		{ PE_OPT_LONG, 'n', "repeat", "N",
		  "runs of each case (default 1)", &a.repeat, NULL, 1, 100000 },
		{ PE_OPT_STRING, 'c', "config", "FILE",
		  "configuration (default prompteval.yml if present)",
		  &a.config, NULL, 0, 0 },
		{ PE_OPT_STRING, 'o', "out", "DIR",
		  "where results go (default out)", &a.out_dir, NULL, 0, 0 },
		{ PE_OPT_STRING, 'f', "format", "LIST",
		  "also write these reports: "
		  "terminal,json,jsonl,junit,md,html,csv,gh-json",
		  &a.formats, NULL, 0, 0 },
		{ PE_OPT_STRING, 0, "judge-model", "PROVIDER:MODEL",
		  "the model for judges that name none (default: judge: in "
		  "the configuration)",
		  &a.judge_model, NULL, 0, 0 },
		{ PE_OPT_STRING, 0, "filter", "REGEX",
		  "only prompts or case ids that match", &a.filter, NULL, 0,
		  0 },
		PE_CALL_OPTIONS(&a.calls, 'j'),
		{ PE_OPT_FLAG, 0, "resume", NULL,
		  "keep the answers OUT/results.jsonl holds for jobs that ask "
		  "the same (scored again if the checks changed)",
		  &a.resume, NULL, 0, 0 },
		{ PE_OPT_STRING, 0, "shard", "K/N",
		  "run only shard K of N (by job id)", &a.shard, NULL, 0, 0 },
		{ PE_OPT_LONG, 0, "shard-count", "N",
		  "shards, with JOB_COMPLETION_INDEX from Kubernetes",
		  &a.shard_count, NULL, 1, 1000000 },
		{ PE_OPT_FLAG, 0, "dry-run", NULL,
		  "print the plan and its size; send nothing", &a.dry_run, NULL,
		  0, 0 },
		{ PE_OPT_STRING, 0, "baseline", "BASE.json",
		  "compare the results with this earlier run's", &a.baseline,
		  NULL, 0, 0 },
		{ PE_OPT_STRING, 0, "org", "ORG",
		  "bill GitHub Models calls to this organization", &a.org, NULL,
		  0, 0 },
		{ PE_OPT_STRING, 0, "baseline-rev", "REV",
		  "run the PATHs as at this git revision too, and compare",
		  &a.baseline_rev, NULL, 0, 0 },
		{ PE_OPT_FLAG, 0, "until-decided", NULL,
		  "cases in random order; stop once the sequential test "
		  "decides (needs --baseline)",
		  &a.until_decided, NULL, 0, 0 },
		{ PE_OPT_LONG, 0, "seed", "N",
		  "the seed of --until-decided's order (default: from the "
		  "plan)",
		  &a.seed, NULL, 0, 2147483647 },
		{ PE_OPT_DOUBLE, 0, "alpha", "A",
		  "--until-decided's error rate for each decision "
		  "(default 0.05)",
		  &a.alpha, NULL, 0, 0 },
		{ PE_OPT_DOUBLE, 0, "margin", "D",
		  "--until-decided: no regression means a net share of "
		  "regressed cases below D (default 0.1)",
		  &a.margin, NULL, 0, 0 },
		PE_GATE_OPTIONS(&a.gates),
		{ PE_OPT_FLAG, 'q', "quiet", NULL, "no progress on stderr",
		  &a.quiet, NULL, 0, 0 },
		{ PE_OPT_FLAG, 'v', "verbose", NULL, "a line per finished job",
		  &a.verbose, NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_strlist paths;
	int status;

	memset(&a, 0, sizeof(a));
	pe_strlist_init(&a.models);
	pe_call_settings_init(&a.calls);
	a.out_dir = "out";
	a.seed = -1;
	a.alpha = PE_SEQ_ALPHA;
	a.margin = PE_SEQ_MARGIN;
	pe_gates_init(&a.gates);
	pe_strlist_init(&paths);
	if (pe_options_parse("run", opts, argc, argv, &paths, &a.help)) {
		status = PE_EXIT_USAGE;
	} else if (a.help) {
		status = usage(opts);
	} else if (pe_call_settings_check(&a.calls, "run")) {
		status = PE_EXIT_USAGE;
	} else if (a.org && !org_is_valid(a.org)) {
		pe_usage_error("run",
			       "invalid value '%s' for --org: expected an "
			       "organization name (letters, digits, '-', '_' "
			       "and '.')",
			       a.org);
		status = PE_EXIT_USAGE;
	} else if (pe_gates_validate(&a.gates, "run")) {
		status = PE_EXIT_USAGE;
	} else if (pe_gates_need_baseline(&a.gates) && !a.baseline &&
		   !a.baseline_rev) {
		pe_usage_error("run", "--fail-on %s needs --baseline",
			       a.gates.fail_on);
		status = PE_EXIT_USAGE;
	} else if (check_until_decided(&a)) {
		status = PE_EXIT_USAGE;
	} else if (!paths.len) {
		pe_usage_error("run", "no PATH given");
		status = PE_EXIT_USAGE;
	} else if (pe_http_global_init()) {
		pe_error("cannot start libcurl");
		status = PE_EXIT_SYSTEM;
	} else {
		status = a.baseline_rev ? run_with_rev(&a, &paths)
					: plan_and_run(&a, &paths);
		pe_http_global_cleanup();
	}
	pe_strlist_release(&a.models);
	pe_strlist_release(&paths);
	return status;
}
