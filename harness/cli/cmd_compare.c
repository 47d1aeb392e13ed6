/*
 * prompteval compare: reads two stored results (a baseline and a new
 * run), pairs their cases and prints what regressed and improved, with
 * the exact sign test per prompt and overall (compare.h).  The gates
 * (gate.h) check the new run, HEAD, and the comparison.
 */
#include <stdio.h>
#include <string.h>

#include "reports/comparison.h"
#include "harness/results/aggregate.h"
#include "harness/cli/commands.h"
#include "harness/cli/inputs.h"
#include "harness/cli/status.h"
#include "harness/results/compare.h"
#include "harness/load/config.h"
#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/results/gate.h"
#include "harness/cli/options.h"
#include "harness/results/resultset.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct compare_options {
	const char *format;
	const char *config;
	struct pe_gates gates;
	int help;
};

static int usage(const struct pe_option *opts)
{
	pe_options_print_help(
		stdout, "prompteval compare [options] BASE.json HEAD.json",
		"Compares a new run (HEAD) with a baseline (BASE) case by "
		"case: prints the\ncases that regressed and improved, and "
		"the exact sign test per prompt and\noverall.  The gates "
		"check HEAD; a failed gate exits 1 and is named in the\n"
		"last line.",
		opts);
	printf("\n");
	pe_print_exit_codes(stdout);
	return PE_EXIT_OK;
}

static int compare(const char *base_path, const char *head_path,
		   struct compare_options *o)
{
	struct pe_config *config = pe_inputs_config(o->config);
	struct pe_resultset *base =
		config ? pe_inputs_results(base_path) : NULL;
	struct pe_resultset *head = base ? pe_inputs_results(head_path) : NULL;
	struct pe_prices prices = pe_config_prices(config);
	struct pe_comparison *cmp;
	struct pe_aggregate *agg;
	struct pe_outcome outcome = { 0 };
	const char *why;
	size_t failed = 0;
	int status;

	if (!head) {
		pe_resultset_free(base);
		pe_config_free(config);
		return PE_EXIT_INVALID;
	}
	pe_config_merge_gates(config, &o->gates);
	cmp = pe_compare_new(base, head);
	agg = pe_aggregate_new(pe_resultset_rows(head),
			       pe_resultset_count(head), &prices);
	if (!strcmp(o->format, "json"))
		pe_comparison_write_json(stdout, cmp, base_path, head_path);
	else if (!strcmp(o->format, "md"))
		pe_comparison_write_md(stdout, cmp);
	else
		pe_comparison_write_terminal(stdout, cmp);
	if (pe_gates_given(&o->gates)) {
		failed = pe_gates_check(&o->gates, head, agg, cmp, stdout,
					&outcome.gates_unchecked);
		/* With gates, the head's rows count as a run's do. */
		outcome.tally = pe_aggregate_total(agg);
		outcome.judge_rows = 1;
		outcome.gates_given = pe_gates_decide_failures(&o->gates);
		outcome.gates_failed = failed;
		outcome.errors_allowed = o->gates.max_errors >= 0;
		outcome.ungraded_allowed = o->gates.max_ungraded >= 0;
	}
	/* Without gates, compare is a report: it judges no rows. */
	status = pe_exit_status(&outcome, &why);
	if (why)
		pe_terminal_printf(stdout, "%s\n", why);
	pe_aggregate_free(agg);
	pe_comparison_free(cmp);
	pe_resultset_free(head);
	pe_resultset_free(base);
	pe_config_free(config);
	return status;
}

/* Runs "prompteval compare"; returns an exit status. */
int cmd_compare(int argc, char **argv)
{
	struct compare_options o;
	struct pe_option opts[] = {
		{ PE_OPT_CHOICE, 'f', "format", "FORMAT",
		  "terminal (default), md or json", &o.format,
		  pe_comparison_formats, 0, 0 },
		{ PE_OPT_STRING, 'c', "config", "FILE",
		  "configuration with prices and default gates (default "
		  "prompteval.yml if present)",
		  &o.config, NULL, 0, 0 },
		PE_GATE_OPTIONS(&o.gates),
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_strlist args;
	int status;

	memset(&o, 0, sizeof(o));
	o.format = "terminal";
	pe_gates_init(&o.gates);
	pe_strlist_init(&args);
	if (pe_options_parse("compare", opts, argc, argv, &args, &o.help)) {
		status = PE_EXIT_USAGE;
	} else if (o.help) {
		status = usage(opts);
	} else if (args.len != 2) {
		pe_usage_error("compare",
			       "give two results files, BASE and HEAD");
		status = PE_EXIT_USAGE;
	} else if (pe_gates_validate(&o.gates, "compare")) {
		status = PE_EXIT_USAGE;
	} else {
		status = compare(args.items[0], args.items[1], &o);
	}
	pe_strlist_release(&args);
	return status;
}
