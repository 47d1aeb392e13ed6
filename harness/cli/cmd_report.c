/*
 * prompteval report: renders stored results (a results.json, or the
 * results.jsonl journal of a run that was stopped) as reports, without
 * running or scoring anything.  The formats are checked before the
 * results are read, so a typo in -f is a usage error whatever the file
 * holds; a file that does not load is an input error with positioned
 * diagnostics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "harness/results/aggregate.h"
#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/cli/inputs.h"
#include "harness/cli/status.h"
#include "harness/results/compare.h"
#include "harness/load/config.h"
#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/cli/options.h"
#include "harness/results/resultset.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct report_options {
	const char *formats;
	const char *baseline; /* NULL: no comparison */
	const char *out_dir;
	const char *config;
	int with_timings;
	int help;
};

static int usage(const struct pe_option *opts)
{
	struct pe_buf names;

	pe_buf_init(&names, 0);
	for (size_t i = 0; pe_report_writers[i]; i++)
		pe_buf_addf(&names, "%s%s", i ? ", " : "",
			    pe_report_writers[i]->name);
	pe_options_print_help(
		stdout,
		"prompteval report [options] RESULTS.json|RESULTS.jsonl",
		"Re-renders stored results as reports, calling no model and "
		"scoring nothing.\nThe terminal report goes to stdout; the "
		"others are files in DIR.",
		opts);
	printf("\nformats: %s\n\n", pe_buf_str(&names));
	pe_buf_release(&names);
	pe_print_exit_codes(stdout);
	return PE_EXIT_OK;
}

static int render(const char *path, const struct report_options *o)
{
	struct pe_config *config = pe_inputs_config(o->config);
	struct pe_resultset *rs = config ? pe_inputs_results(path) : NULL;
	struct pe_resultset *base =
		rs && o->baseline ? pe_inputs_results(o->baseline) : NULL;
	struct pe_prices prices = pe_config_prices(config);
	struct pe_aggregate *agg;
	struct pe_comparison *cmp = NULL;
	struct pe_report_input in = { 0 };
	int rc;

	if (!rs || (o->baseline && !base)) {
		pe_resultset_free(base);
		pe_resultset_free(rs);
		pe_config_free(config);
		return PE_EXIT_INVALID;
	}
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       &prices);
	in.rs = rs;
	in.agg = agg;
	if (base) {
		cmp = pe_compare_new(base, rs);
		in.comparison = cmp;
	}
	in.color = pe_report_want_color();
	in.with_timings = o->with_timings;
	rc = pe_report_write_all(o->formats, o->out_dir, &in);
	pe_comparison_free(cmp);
	pe_aggregate_free(agg);
	pe_resultset_free(base);
	pe_resultset_free(rs);
	pe_config_free(config);
	if (rc == PE_ERR_USAGE)
		return PE_EXIT_USAGE;
	return rc ? PE_EXIT_SYSTEM : PE_EXIT_OK;
}

/* Runs "prompteval report"; returns an exit status. */
int cmd_report(int argc, char **argv)
{
	struct report_options o = { "terminal", NULL, "out", NULL, 0, 0 };
	struct pe_option opts[] = {
		{ PE_OPT_STRING, 'f', "format", "LIST",
		  "comma-separated formats (default terminal)", &o.formats,
		  NULL, 0, 0 },
		{ PE_OPT_STRING, 'o', "out", "DIR",
		  "where report files go (default out)", &o.out_dir, NULL, 0,
		  0 },
		{ PE_OPT_STRING, 0, "baseline", "BASE.json",
		  "compare the results with this earlier run's (shown by md "
		  "and html)",
		  &o.baseline, NULL, 0, 0 },
		{ PE_OPT_STRING, 'c', "config", "FILE",
		  "configuration with model prices (default prompteval.yml "
		  "if present)",
		  &o.config, NULL, 0, 0 },
		{ PE_OPT_FLAG, 0, "timings", NULL,
		  "include latencies (p50/p95); they vary between runs",
		  &o.with_timings, NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_strlist args;
	int status;

	pe_strlist_init(&args);
	if (pe_options_parse("report", opts, argc, argv, &args, &o.help)) {
		pe_strlist_release(&args);
		return PE_EXIT_USAGE;
	}
	if (o.help) {
		pe_strlist_release(&args);
		return usage(opts);
	}
	if (args.len != 1) {
		pe_usage_error("report", "%s",
			       args.len ? "give one results file"
					: "no RESULTS file given");
		pe_strlist_release(&args);
		return PE_EXIT_USAGE;
	}
	/* An unknown format is a usage error before anything is read. */
	if (pe_report_check_list(o.formats))
		status = PE_EXIT_USAGE;
	else
		status = render(args.items[0], &o);
	pe_strlist_release(&args);
	return status;
}
