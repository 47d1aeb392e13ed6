/*
 * prompteval score: scores recorded responses (load/responses.h) without
 * calling the models that answered, so an evaluator change shows its
 * effect at once.  Any mismatch between a response and the prompts is an
 * input error (exit 3) and nothing is scored.  LLM judges are asked only
 * when the command has a judge model (--judge-model, or judge: in the
 * configuration), through the runner (run/runner.h: pe_run_judges), with
 * its cache; otherwise they do not run and their cases are ungraded.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/results/causes.h"
#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/cli/status.h"
#include "harness/core/files.h"
#include "harness/cli/options.h"
#include "harness/results/aggregate.h"
#include "harness/results/results.h"
#include "harness/load/config.h"
#include "harness/load/responses.h"
#include "harness/plan/plan.h"
#include "harness/run/runner.h"
#include "harness/load/suite.h"
#include "harness/cli/summary.h"
#include "reports/report.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static void print_case(const struct pe_result *row, int verbose)
{
	const char *name = pe_verdict_name(row->status);
	char label[16];
	size_t i;

	/* The verdict's name in capitals, so a case's line stands out. */
	for (i = 0; name[i] && i + 1 < sizeof(label); i++)
		label[i] = (char)toupper((unsigned char)name[i]);
	label[i] = '\0';
	pe_terminal_printf(stdout, "%-5s %s / %s", label, row->prompt,
			   row->case_id);
	if (row->model)
		pe_terminal_printf(stdout, " [%s", row->model);
	if (row->has_temperature)
		pe_terminal_printf(stdout, "%st=%g", row->model ? " " : " [",
				   row->temperature);
	if (row->model || row->has_temperature)
		pe_terminal_printf(stdout, "]");
	if (row->status == PE_VERDICT_PASS || row->status == PE_VERDICT_FAIL)
		pe_terminal_printf(stdout, "  score %.2f\n", row->score);
	else
		pe_terminal_printf(stdout, "\n");
	for (i = 0; i < row->nevaluators; i++) {
		const struct pe_result_evaluator *e = &row->evaluators[i];

		if (e->status == PE_VERDICT_PASS && !verbose)
			continue;
		pe_terminal_printf(stdout, "      %-5s %s: %s\n",
				   pe_verdict_name(e->status), e->name,
				   e->reason);
	}
}

static int write_file(const char *out_dir, const struct pe_case_table *cases,
		      const struct pe_secrets *secrets,
		      const struct pe_result *rows, size_t n, char **written)
{
	char *path;

	if (pe_make_dirs(out_dir, 0)) {
		pe_error("cannot create %s: %s", out_dir, strerror(errno));
		return PE_ERR_IO;
	}
	path = xstrfmt("%s/results.json", out_dir);
	if (pe_results_write(path, "score", NULL, NULL, cases, secrets, rows,
			     n)) {
		pe_error("cannot write %s: %s", path, strerror(errno));
		free(path);
		return PE_ERR_IO;
	}
	*written = path;
	return PE_OK;
}

/*
 * Writes results.json with the rows and the inputs of the responses'
 * cases; the secrets of the judges' plan (NULL when none ran) are taken
 * out of the inputs.
 */
static int write_results(const char *out_dir, const struct pe_responses *r,
			 const struct pe_result *rows,
			 const struct pe_plan *judge_plan, char **written)
{
	struct pe_case_table *cases = pe_case_table_new();
	int rc;

	*written = NULL;
	for (size_t i = 0; i < r->len; i++)
		pe_case_table_add_case(cases, r->items[i].prompt,
				       r->items[i].kase);
	pe_case_table_sort(cases);
	rc = write_file(out_dir, cases, judge_plan ? judge_plan->secrets : NULL,
			rows, r->len, written);
	pe_case_table_free(cases);
	return rc;
}

struct score_options {
	const char *responses;
	const char *out_dir;
	long threads;
	long max_ungraded; /* -1: not given */
	int quiet;
	int verbose;
	int help;
	/* Judges. */
	const char *config;
	const char *judge_model;
	struct pe_call_settings calls;
};

static int by_prompt(const void *a, const void *b)
{
	const struct pe_response *x = *(const struct pe_response *const *)a;
	const struct pe_response *y = *(const struct pe_response *const *)b;

	return pe_result_compare(&x->row, &y->row);
}

/*
 * Warns, at each prompt, about test cases no response answers: they are
 * not scored, so the pass rates say nothing about them, and they count
 * as cases not graded for the exit status.  Returns how many there are.
 */
static size_t warn_unanswered(const struct pe_suite *s,
			      const struct pe_responses *r,
			      struct pe_diag *diag)
{
	size_t unanswered = 0;
	unsigned char **seen =
		xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*seen));
	size_t last = 0;

	for (size_t f = 0; f < s->nfiles; f++)
		if (s->files[f].prompt)
			seen[f] = xcalloc(s->files[f].prompt->ncases + 1, 1);
	for (size_t i = 0; i < r->len; i++) {
		const struct pe_response *x = &r->items[i];

		if (!x->kase)
			continue;
		if (s->files[last].prompt != x->prompt)
			for (last = 0; last < s->nfiles &&
				       s->files[last].prompt != x->prompt;
			     last++)
				;
		if (last == s->nfiles) {
			last = 0;
			continue;
		}
		seen[last][x->kase->index] = 1;
	}
	for (size_t f = 0; f < s->nfiles; f++) {
		const struct pe_prompt *p = s->files[f].prompt;
		size_t missing = 0, first = 0;

		for (size_t c = 0; p && c < p->ncases; c++)
			if (!seen[f][c] && !missing++)
				first = c;
		if (missing && missing == p->ncases)
			pe_diag_warning(diag, &p->mark,
					"none of the %zu test cases of '%s' "
					"has a response in the responses "
					"given, so the prompt is not scored",
					p->ncases, p->name);
		else if (missing)
			pe_diag_warning(diag, &p->mark,
					"%zu of the %zu test cases of '%s' "
					"have no response in the responses "
					"given, so they are not scored (the "
					"first: '%s')",
					missing, p->ncases, p->name,
					p->cases[first].id);
		unanswered += missing;
		free(seen[f]);
	}
	free(seen);
	return unanswered;
}

/* Warns once per prompt at the judges that score does not ask. */
static void warn_unasked(const struct pe_responses *r, struct pe_diag *diag)
{
	const struct pe_prompt **seen = NULL;
	size_t nseen = 0, alloc = 0;

	for (size_t i = 0; i < r->len; i++) {
		const struct pe_prompt *p = r->items[i].prompt;
		size_t j = 0;

		while (j < nseen && seen[j] != p)
			j++;
		if (j < nseen)
			continue;
		pe_grow(&seen, &alloc, nseen + 1, sizeof(*seen));
		seen[nseen++] = p;
		pe_evaluators_warn_unrun(p, NULL, 0, diag);
	}
	free(seen);
}

/*
 * Asks the judges of the scored responses, when the command has a judge
 * model, and decides their cases again.  The rows' judge_model strings
 * point into the plan the judges ran from, so it is handed to the caller
 * in *plan_out (NULL when no judge ran), to be freed once the rows have
 * been used.  Returns 0, or an exit status after printing why (a judge
 * model that cannot be used).
 */
static int judge_responses(const struct score_options *o,
			   struct pe_responses *r,
			   const struct pe_config *config,
			   struct pe_plan **plan_out)
{
	const char *judge = o->judge_model  ? o->judge_model
			    : config->judge ? config->judge->text
					    : NULL;
	struct pe_response **order;
	const struct pe_prompt **prompts;
	const struct pe_case **cases;
	struct pe_judged *items;
	struct pe_diag *diag = pe_diag_new();
	struct pe_plan *plan = NULL;
	struct pe_run_options ro;
	struct pe_run run;
	int status = PE_EXIT_OK;

	*plan_out = NULL;
	if (!judge || !r->len) {
		warn_unasked(r, diag);
		pe_diag_sort(diag);
		pe_diag_print(diag, stderr);
		pe_diag_free(diag);
		return PE_EXIT_OK;
	}
	order = xcalloc(r->len, sizeof(*order));
	prompts = xcalloc(r->len, sizeof(*prompts));
	cases = xcalloc(r->len, sizeof(*cases));
	items = xcalloc(r->len, sizeof(*items));
	for (size_t i = 0; i < r->len; i++)
		order[i] = &r->items[i];
	/* The plan takes its jobs grouped by prompt. */
	qsort(order, r->len, sizeof(*order), by_prompt);
	for (size_t i = 0; i < r->len; i++) {
		prompts[i] = order[i]->prompt;
		cases[i] = order[i]->kase;
		items[i].score = &order[i]->score;
		items[i].row = &order[i]->row;
	}
	plan = pe_plan_judging(prompts, cases, r->len, judge,
			       pe_call_settings_stream(&o->calls), config,
			       diag);
	if (plan)
		pe_plan_check_keys(plan, o->calls.offline, diag);
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	if (!plan || pe_diag_count(diag, PE_SEV_ERROR)) {
		status = PE_EXIT_INVALID;
	} else if (plan->njudges) {
		memset(&ro, 0, sizeof(ro));
		pe_call_settings_apply(&o->calls, &ro);
		pe_run_judges(plan, &ro, items, &run);
		for (size_t i = 0; i < r->len; i++)
			pe_case_score_to_row(&order[i]->score, &order[i]->row,
					     order[i]->evaluators);
	}
	*plan_out = plan;
	pe_diag_free(diag);
	free(items);
	free(cases);
	free(prompts);
	free(order);
	return status;
}

static void print_summary(const struct pe_result *rows, size_t n,
			  const struct pe_aggregate *agg, const char *written,
			  int quiet, int verbose)
{
	const struct pe_tally *t = pe_aggregate_total(agg);
	struct pe_error_causes *causes;

	if (!quiet) {
		for (size_t i = 0; i < n; i++)
			print_case(&rows[i], verbose);
		pe_report_print_matrix(stdout, agg, pe_report_want_color(), 0);
		pe_terminal_printf(stdout, "\n");
	}
	pe_terminal_printf(
		stdout,
		"scored %zu response%s: %zu passed, %zu failed, %zu error%s, "
		"%zu ungraded; results in %s\n",
		t->jobs, t->jobs == 1 ? "" : "s", t->pass, t->fail, t->error,
		t->error == 1 ? "" : "s", t->ungraded, written);
	pe_report_print_judges(stdout, t);
	causes = pe_error_causes_new(rows, n);
	pe_error_causes_print(causes, stdout);
	pe_error_causes_free(causes);
}

static int usage(const struct pe_option *opts)
{
	pe_options_print_help(
		stdout,
		"prompteval score --responses FILE.jsonl|DIR [options] PATH...",
		"Scores recorded responses with the evaluators of the prompt "
		"files in PATH,\nwithout calling the models that gave them.  "
		"FILE.jsonl holds one {prompt, case,\noutput[, model, "
		"temperature, repeat]} per line; DIR holds <prompt>/<case>.md\n"
		"files.  The results go to OUT/results.json.  LLM judges are "
		"asked only with\n--judge-model or judge: in the "
		"configuration.",
		opts);
	printf("\n");
	pe_print_exit_codes(stdout);
	return PE_EXIT_OK;
}

/* Runs "prompteval score"; returns an exit status. */
int cmd_score(int argc, char **argv)
{
	struct score_options o = { NULL, "out", 0,    -1,   0,
				   0,	 0,	NULL, NULL, { 0 } };
	struct pe_option opts[] = {
		{ PE_OPT_STRING, 'r', "responses", "FILE|DIR",
		  "recorded responses: a .jsonl file or a directory",
		  &o.responses, NULL, 0, 0 },
		{ PE_OPT_STRING, 'o', "out", "DIR",
		  "where results.json goes (default out)", &o.out_dir, NULL, 0,
		  0 },
		{ PE_OPT_LONG, 'j', "threads", "N",
		  "scoring threads (default: all cores)", &o.threads, NULL, 1,
		  1024 },
		{ PE_OPT_LONG, 0, "max-ungraded", "N",
		  "at most N cases ungraded (an evaluator did not run) "
		  "without exit 2",
		  &o.max_ungraded, NULL, 0, 1000000000 },
		{ PE_OPT_STRING, 'c', "config", "FILE",
		  "configuration (default prompteval.yml if present)",
		  &o.config, NULL, 0, 0 },
		{ PE_OPT_STRING, 0, "judge-model", "PROVIDER:MODEL",
		  "ask LLM judges, with this model for those that name none "
		  "(default: judge: in the configuration; without either, "
		  "judges do not run)",
		  &o.judge_model, NULL, 0, 0 },
		PE_CALL_OPTIONS(&o.calls, 0),
		{ PE_OPT_FLAG, 'q', "quiet", NULL,
		  "print only the summary line", &o.quiet, NULL, 0, 0 },
		{ PE_OPT_FLAG, 'v', "verbose", NULL,
		  "also show evaluators that passed", &o.verbose, NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_responses *r = NULL;
	struct pe_strlist paths;
	struct pe_diag *diag;
	struct pe_config *config = NULL;
	struct pe_suite *suite = NULL;
	struct pe_result *rows = NULL;
	struct pe_aggregate *agg = NULL;
	struct pe_plan *judge_plan = NULL;
	struct pe_prices prices;
	struct pe_outcome outcome = { 0 };
	const char *why;
	char *written = NULL;
	int status;

	pe_call_settings_init(&o.calls);
	pe_strlist_init(&paths);
	if (pe_options_parse("score", opts, argc, argv, &paths, &o.help)) {
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	if (o.help) {
		pe_strlist_release(&paths);
		return usage(opts);
	}
	if (!o.responses || !paths.len) {
		pe_usage_error("score", "%s",
			       o.responses ? "no PATH given"
					   : "--responses is required");
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	if (pe_call_settings_check(&o.calls, "score")) {
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	diag = pe_diag_new();
	config = pe_config_load(o.config, diag);
	if (config)
		suite = pe_suite_load(paths.items, paths.len, diag);
	if (suite && !pe_diag_count(diag, PE_SEV_ERROR))
		r = pe_responses_load(o.responses, suite, diag);
	if (r && !pe_diag_count(diag, PE_SEV_ERROR))
		outcome.unanswered = warn_unanswered(suite, r, diag);
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	if (pe_diag_count(diag, PE_SEV_ERROR)) {
		status = PE_EXIT_INVALID;
		goto done;
	}
	pe_responses_score(r, o.threads);
	status = judge_responses(&o, r, config, &judge_plan);
	if (status)
		goto done;
	rows = pe_responses_rows(r);
	if (write_results(o.out_dir, r, rows, judge_plan, &written)) {
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	prices = pe_config_prices(config);
	agg = pe_aggregate_new(rows, r->len, &prices);
	print_summary(rows, r->len, agg, written, o.quiet, o.verbose);
	outcome.tally = pe_aggregate_total(agg);
	outcome.judge_rows = 1;
	/*
	 * Within --max-ungraded, ungraded cases, and those of PATH that no
	 * response answers, do not make the status 2.
	 */
	outcome.ungraded_allowed =
		o.max_ungraded >= 0 &&
		outcome.tally->ungraded + outcome.unanswered <=
			(size_t)o.max_ungraded;
	status = pe_exit_status(&outcome, &why);
	if (why)
		pe_terminal_printf(stdout, "%s\n", why);
done:
	pe_aggregate_free(agg);
	free(rows);
	free(written);
	pe_responses_free(r);
	pe_plan_free(judge_plan);
	pe_suite_free(suite);
	pe_config_free(config);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
