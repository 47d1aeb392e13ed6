/*
 * prompteval merge: joins the results.json files of the shards of one run
 * (run --shard K/N) into one.  Each shard is read by the results reader
 * (resultset.h), like every results file.  It checks that every file comes
 * from the same plan, that each shard is given exactly once and none is
 * missing, that no job appears twice, and that every job of the plan has
 * a row; then it writes the rows sorted as an unsharded run would, with
 * the one results writer.
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
#include "harness/results/results.h"
#include "harness/results/resultset.h"
#include "harness/core/banned.h"

struct shard {
	const char *path;
	struct pe_resultset *rs;
	const struct pe_plan_info *info;
};

/* Reads one shard file; returns 0 or PE_ERR_INVALID after a message. */
static int read_shard(struct shard *s, struct pe_diag *diag)
{
	struct pe_mark m = { s->path, 0, 0 };

	s->rs = pe_resultset_load(s->path, diag);
	if (!s->rs)
		return PE_ERR_INVALID;
	s->info = pe_resultset_plan(s->rs);
	if (!s->info) {
		pe_diag_error(diag, &m,
			      "not the results of a prompteval run (schema "
			      "version %d with a plan)",
			      PE_RESULTS_SCHEMA_VERSION);
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

/* Checks that the shards are the pieces of one plan, once each. */
static int check_pieces(const struct shard *s, size_t n, struct pe_diag *diag)
{
	struct pe_mark m = { s[0].path, 0, 0 };
	size_t count = s[0].info->shard_count ? s[0].info->shard_count : 1;
	int rc = PE_OK;

	for (size_t i = 0; i < n; i++) {
		const struct pe_plan_info *info = s[i].info;
		struct pe_mark mi = { s[i].path, 0, 0 };

		if (strcmp(info->id, s[0].info->id)) {
			pe_diag_error(diag, &mi,
				      "comes from another plan than %s (plan "
				      "%.12s, not %.12s)",
				      s[0].path, info->id, s[0].info->id);
			rc = PE_ERR_INVALID;
		} else if ((info->shard_count ? info->shard_count : 1) !=
			   count) {
			pe_diag_error(diag, &mi,
				      "is shard %zu of %zu, but %s is of %zu",
				      info->shard_index, info->shard_count,
				      s[0].path, count);
			rc = PE_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (s[j].info->shard_index == info->shard_index) {
				pe_diag_error(diag, &mi,
					      "shard %zu is given twice (also "
					      "%s)",
					      info->shard_index, s[j].path);
				rc = PE_ERR_INVALID;
			}
	}
	for (size_t k = 1; !rc && k <= count && s[0].info->shard_count; k++) {
		int found = 0;

		for (size_t i = 0; i < n; i++)
			found |= s[i].info->shard_index == k;
		if (!found) {
			pe_diag_error(diag, &m, "shard %zu of %zu is missing",
				      k, count);
			rc = PE_ERR_INVALID;
		}
	}
	return rc;
}

/* Returns the path of the shard that holds the row with id, or NULL. */
static const char *shard_holding(const struct shard *s, size_t n, size_t before,
				 const char *id)
{
	for (size_t i = 0; i < before && i < n; i++)
		if (pe_resultset_find(s[i].rs, id))
			return s[i].path;
	return NULL;
}

/* Collects every row; checks ids are unique and complete. */
static struct pe_result *collect(const struct shard *s, size_t n, size_t *nrows,
				 struct pe_diag *diag)
{
	size_t total = 0, k = 0;
	struct pe_result *rows;

	for (size_t i = 0; i < n; i++)
		total += pe_resultset_count(s[i].rs);
	rows = xcalloc(total ? total : 1, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < pe_resultset_count(s[i].rs); r++) {
			const struct pe_result *row =
				pe_resultset_get(s[i].rs, r);
			const char *other = shard_holding(s, n, i, row->id);

			if (other) {
				struct pe_mark m = { s[i].path, row->line, 1 };

				pe_diag_error(diag, &m, "job %s is also in %s",
					      row->id, other);
				free(rows);
				return NULL;
			}
			rows[k++] = *row;
		}
	}
	if (total != s[0].info->jobs) {
		struct pe_mark m = { s[0].path, 0, 0 };

		pe_diag_error(diag, &m,
			      "the shards hold %zu of the plan's %zu jobs: %s",
			      total, s[0].info->jobs,
			      total < s[0].info->jobs
				      ? "some were not run (use --resume)"
				      : "they are not from one plan");
		free(rows);
		return NULL;
	}
	pe_result_sort(rows, total);
	*nrows = total;
	return rows;
}

/* Writes the merged rows as the results of the whole, unsharded plan. */
static int write_merged(const char *path, const struct shard *s,
			const struct pe_result *rows, size_t n)
{
	struct pe_plan_info info = *s[0].info;

	info.shard_index = info.shard_count = 0;
	return pe_results_write(path, "run", &info, rows, n);
}

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
	struct shard *shards;
	struct pe_result *rows = NULL;
	struct pe_tally tally;
	struct pe_outcome outcome = { 0 };
	const char *why;
	size_t nrows = 0;
	int rc = PE_OK;

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
	shards = xcalloc(paths.len, sizeof(*shards));
	for (size_t i = 0; i < paths.len; i++) {
		shards[i].path = paths.items[i];
		if (read_shard(&shards[i], diag))
			rc = PE_ERR_INVALID;
	}
	if (!rc && !check_pieces(shards, paths.len, diag))
		rows = collect(shards, paths.len, &nrows, diag);
	pe_diag_print(diag, stderr);
	if (rows && write_merged(out, shards, rows, nrows)) {
		pe_error("cannot write %s: %s", out, strerror(errno));
		status = PE_EXIT_SYSTEM;
	} else if (rows) {
		printf("merged %zu shard%s: %zu jobs into %s\n", paths.len,
		       paths.len == 1 ? "" : "s", nrows, out);
		pe_tally_init(&tally);
		for (size_t i = 0; i < nrows; i++)
			pe_tally_add(&tally, &rows[i]);
		outcome.tally = &tally;
		status = pe_exit_status(&outcome, &why);
		if (why)
			printf("%s\n", why);
	}
	free(rows);
	for (size_t i = 0; i < paths.len; i++)
		pe_resultset_free(shards[i].rs);
	free(shards);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
