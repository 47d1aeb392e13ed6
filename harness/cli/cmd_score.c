/*
 * prompteval score: scores recorded responses (load/responses.h) without
 * calling any model, so an evaluator change shows its effect at once.
 * Any mismatch between a response and the prompts is an input error
 * (exit 3) and nothing is scored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/cli/status.h"
#include "harness/core/files.h"
#include "harness/cli/options.h"
#include "harness/results/aggregate.h"
#include "harness/results/results.h"
#include "harness/load/responses.h"
#include "harness/load/suite.h"
#include "harness/cli/summary.h"
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
	printf("%-5s %s / %s", label, row->prompt, row->case_id);
	if (row->model)
		printf(" [%s", row->model);
	if (row->has_temperature)
		printf("%st=%g", row->model ? " " : " [", row->temperature);
	if (row->model || row->has_temperature)
		printf("]");
	if (row->status == PE_VERDICT_PASS || row->status == PE_VERDICT_FAIL)
		printf("  score %.2f\n", row->score);
	else
		printf("\n");
	for (i = 0; i < row->nevaluators; i++) {
		const struct pe_result_evaluator *e = &row->evaluators[i];

		if (e->status == PE_VERDICT_PASS && !verbose)
			continue;
		printf("      %-5s %s: %s\n", pe_verdict_name(e->status),
		       e->name, e->reason);
	}
}

static int write_results(const char *out_dir, const struct pe_result *rows,
			 size_t n, char **written)
{
	char *path;

	*written = NULL;
	if (pe_make_dirs(out_dir, 0)) {
		pe_error("cannot create %s: %s", out_dir, strerror(errno));
		return PE_ERR_IO;
	}
	path = xstrfmt("%s/results.json", out_dir);
	if (pe_results_write(path, "score", NULL, rows, n)) {
		pe_error("cannot write %s: %s", path, strerror(errno));
		free(path);
		return PE_ERR_IO;
	}
	*written = path;
	return PE_OK;
}

struct score_options {
	const char *responses;
	const char *out_dir;
	long threads;
	long max_ungraded; /* -1: not given */
	int quiet;
	int verbose;
	int help;
};

static void print_summary(const struct pe_result *rows, size_t n,
			  const struct pe_aggregate *agg, const char *written,
			  int quiet, int verbose)
{
	const struct pe_tally *t = pe_aggregate_total(agg);

	if (!quiet) {
		for (size_t i = 0; i < n; i++)
			print_case(&rows[i], verbose);
		pe_print_matrix(stdout, agg);
		printf("\n");
	}
	printf("scored %zu response%s: %zu passed, %zu failed, %zu error%s, "
	       "%zu ungraded; results in %s\n",
	       t->jobs, t->jobs == 1 ? "" : "s", t->pass, t->fail, t->error,
	       t->error == 1 ? "" : "s", t->ungraded, written);
}

static int usage(const struct pe_option *opts)
{
	pe_options_print_help(
		stdout,
		"prompteval score --responses FILE.jsonl|DIR [options] PATH...",
		"Scores recorded responses with the evaluators of the prompt "
		"files in PATH,\nwithout calling any model.  FILE.jsonl holds "
		"one {prompt, case, output[, model,\ntemperature, repeat]} "
		"per line; DIR holds <prompt>/<case>.md files.  The\nresults "
		"go to OUT/results.json.",
		opts);
	printf("\n");
	pe_print_exit_codes(stdout);
	return PE_EXIT_OK;
}

/* Runs "prompteval score"; returns an exit status. */
int cmd_score(int argc, char **argv)
{
	struct score_options o = { NULL, "out", 0, -1, 0, 0, 0 };
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
		{ PE_OPT_FLAG, 'q', "quiet", NULL,
		  "print only the summary line", &o.quiet, NULL, 0, 0 },
		{ PE_OPT_FLAG, 'v', "verbose", NULL,
		  "also show evaluators that passed", &o.verbose, NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_responses *r = NULL;
	struct pe_strlist paths;
	struct pe_diag *diag;
	struct pe_suite *suite;
	struct pe_result *rows = NULL;
	struct pe_aggregate *agg = NULL;
	struct pe_outcome outcome = { 0 };
	const char *why;
	char *written = NULL;
	int status;

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
	diag = pe_diag_new();
	suite = pe_suite_load(paths.items, paths.len, diag);
	if (!pe_diag_count(diag, PE_SEV_ERROR))
		r = pe_responses_load(o.responses, suite, diag);
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	if (pe_diag_count(diag, PE_SEV_ERROR)) {
		status = PE_EXIT_INVALID;
		goto done;
	}
	pe_responses_score(r, o.threads);
	rows = pe_responses_rows(r);
	if (write_results(o.out_dir, rows, r->len, &written)) {
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	agg = pe_aggregate_new(rows, r->len, NULL);
	print_summary(rows, r->len, agg, written, o.quiet, o.verbose);
	outcome.tally = pe_aggregate_total(agg);
	outcome.judge_rows = 1;
	/* Within --max-ungraded, ungraded cases do not make the status 2. */
	outcome.ungraded_allowed =
		o.max_ungraded >= 0 &&
		outcome.tally->ungraded <= (size_t)o.max_ungraded;
	status = pe_exit_status(&outcome, &why);
	if (why)
		printf("%s\n", why);
done:
	pe_aggregate_free(agg);
	free(rows);
	free(written);
	pe_responses_free(r);
	pe_suite_free(suite);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
