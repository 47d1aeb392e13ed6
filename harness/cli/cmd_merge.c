/*
 * prompteval merge: joins the results.json files of the shards of one run
 * (results/merge.h) and writes them as one, then maps the merged rows to
 * an exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/commands.h"
#include "harness/cli/options.h"
#include "harness/cli/status.h"
#include "harness/core/diag.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/results/merge.h"
#include "harness/core/banned.h"

/* Runs "prompteval merge"; returns an exit status. */
int cmd_merge(int argc, char **argv)
{
	const char *out = "merged.json";
	int help = 0, status = PE_EXIT_INVALID;
	struct pe_option opts[] = {
		{ PE_OPT_STRING, 'o', "out", "FILE",
		  "where the merged results go (default merged.json)", &out,
		  NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_strlist paths;
	struct pe_diag *diag;
	struct pe_merge *merge;
	const struct pe_result *rows;
	struct pe_tally tally;
	struct pe_outcome outcome = { 0 };
	const char *why;
	size_t nrows = 0;

	pe_strlist_init(&paths);
	if (pe_options_parse("merge", opts, argc, argv, &paths, &help)) {
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	if (help || !paths.len) {
		if (!help)
			pe_error("no results given");
		pe_options_print_help(
			help ? stdout : stderr,
			"prompteval merge [-o FILE] SHARD.json...",
			"Joins the results.json of every shard "
			"of one run (run --shard K/N), after\n"
			"checking they come from one plan, once "
			"each, with no job missing or doubled.",
			opts);
		pe_strlist_release(&paths);
		return help ? PE_EXIT_OK : PE_EXIT_USAGE;
	}
	diag = pe_diag_new();
	merge = pe_merge_new(paths.items, paths.len, diag);
	rows = pe_merge_rows(merge, &nrows);
	pe_diag_print(diag, stderr);
	if (rows && pe_merge_write(merge, out)) {
		pe_error("cannot write %s: %s", out, strerror(errno));
		status = PE_EXIT_SYSTEM;
	} else if (rows) {
		pe_terminal_printf(
			stdout, "merged %zu shard%s: %zu jobs into %s\n",
			paths.len, paths.len == 1 ? "" : "s", nrows, out);
		pe_tally_init(&tally);
		for (size_t i = 0; i < nrows; i++)
			pe_tally_add(&tally, &rows[i]);
		outcome.tally = &tally;
		status = pe_exit_status(&outcome, &why);
		if (why)
			pe_terminal_printf(stdout, "%s\n", why);
	}
	pe_merge_free(merge);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
