/*
 * prompteval merge: joins the results.json files of the shards of one run
 * (run --shard K/N) into one.  It checks that every file comes from the
 * same plan, that each shard is given exactly once and none is missing,
 * that no job appears twice, and that every job of the plan has a row;
 * then it writes the rows sorted as an unsharded run would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/cli/options.h"
#include "harness/results/results.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_SHARD_FILE = 2047 * 1024 * 1024 };

struct shard {
	const char *path;
	struct pe_doc *doc;
	const struct pe_node *rows;
	struct pe_plan_info info;
};

struct row_ref {
	const struct pe_node *row;
	const char *path;
};

static const char *text_at(const struct pe_node *map, const char *key)
{
	const struct pe_node *n = pe_node_get(map, key);

	return n && n->kind == PE_NODE_STRING ? n->text : NULL;
}

static long long int_at(const struct pe_node *map, const char *key)
{
	const struct pe_node *n = pe_node_get(map, key);

	return n && n->kind == PE_NODE_INT ? n->ival : -1;
}

/* Reads one shard file; returns 0 or PE_ERR_INVALID after a message. */
static int read_shard(struct shard *s, struct pe_diag *diag)
{
	struct pe_mark m = { s->path, 1, 1 };
	const struct pe_node *root, *plan, *shard;
	char *data;
	size_t len;
	const char *id;

	if (pe_file_read(s->path, MAX_SHARD_FILE, &data, &len, diag))
		return PE_ERR_INVALID;
	s->doc = pe_doc_new(s->path, NULL, 0);
	root = pe_json_parse(s->doc, data, len, &m, diag);
	free(data);
	if (!root)
		return PE_ERR_INVALID;
	plan = pe_node_get(root, "plan");
	shard = pe_node_get(plan, "shard");
	s->rows = pe_node_get(root, "results");
	id = text_at(plan, "id");
	if (int_at(root, "schema_version") != PE_RESULTS_SCHEMA_VERSION ||
	    !s->rows || s->rows->kind != PE_NODE_SEQ || !id ||
	    strlen(id) != 64) {
		pe_diag_error(diag, &m,
			      "not the results of a prompteval run (schema "
			      "version %d with a plan)",
			      PE_RESULTS_SCHEMA_VERSION);
		return PE_ERR_INVALID;
	}
	memcpy(s->info.id, id, 65);
	s->info.jobs = (size_t)int_at(plan, "jobs");
	if (shard && shard->kind == PE_NODE_MAP) {
		s->info.shard_index = (size_t)int_at(shard, "index");
		s->info.shard_count = (size_t)int_at(shard, "count");
	}
	return PE_OK;
}

/* Checks that the shards are the pieces of one plan, once each. */
static int check_pieces(const struct shard *s, size_t n, struct pe_diag *diag)
{
	struct pe_mark m = { s[0].path, 0, 0 };
	size_t count = s[0].info.shard_count ? s[0].info.shard_count : 1;
	int rc = PE_OK;

	for (size_t i = 0; i < n; i++) {
		struct pe_mark mi = { s[i].path, 0, 0 };

		if (strcmp(s[i].info.id, s[0].info.id)) {
			pe_diag_error(diag, &mi,
				      "comes from another plan than %s (plan "
				      "%.12s, not %.12s)",
				      s[0].path, s[i].info.id, s[0].info.id);
			rc = PE_ERR_INVALID;
		} else if ((s[i].info.shard_count ? s[i].info.shard_count
						  : 1) != count) {
			pe_diag_error(diag, &mi,
				      "is shard %zu of %zu, but %s is of %zu",
				      s[i].info.shard_index,
				      s[i].info.shard_count, s[0].path, count);
			rc = PE_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++)
			if (s[j].info.shard_index == s[i].info.shard_index) {
				pe_diag_error(diag, &mi,
					      "shard %zu is given twice (also "
					      "%s)",
					      s[i].info.shard_index, s[j].path);
				rc = PE_ERR_INVALID;
			}
	}
	for (size_t k = 1; !rc && k <= count && s[0].info.shard_count; k++) {
		int found = 0;

		for (size_t i = 0; i < n; i++)
			found |= s[i].info.shard_index == k;
		if (!found) {
			pe_diag_error(diag, &m, "shard %zu of %zu is missing",
				      k, count);
			rc = PE_ERR_INVALID;
		}
	}
	return rc;
}

static int compare_rows(const void *pa, const void *pb)
{
	const struct pe_node *a = ((const struct row_ref *)pa)->row;
	const struct pe_node *b = ((const struct row_ref *)pb)->row;
	const struct pe_node *ta = pe_node_get(a, "temperature");
	const struct pe_node *tb = pe_node_get(b, "temperature");
	int c = strcmp(text_at(a, "file") ? text_at(a, "file") : "",
		       text_at(b, "file") ? text_at(b, "file") : "");
	int na, nb;

	if (c)
		return c;
	if (int_at(a, "case_index") != int_at(b, "case_index"))
		return int_at(a, "case_index") < int_at(b, "case_index") ? -1
									 : 1;
	c = strcmp(text_at(a, "model") ? text_at(a, "model") : "",
		   text_at(b, "model") ? text_at(b, "model") : "");
	if (c)
		return c;
	na = ta && ta->kind != PE_NODE_NULL;
	nb = tb && tb->kind != PE_NODE_NULL;
	if (na != nb)
		return na - nb;
	if (na && ta->fval != tb->fval)
		return ta->fval < tb->fval ? -1 : 1;
	return int_at(a, "repeat") < int_at(b, "repeat")   ? -1
	       : int_at(a, "repeat") > int_at(b, "repeat") ? 1
							   : 0;
}

static int compare_ids(const void *pa, const void *pb)
{
	return strcmp(text_at(((const struct row_ref *)pa)->row, "id"),
		      text_at(((const struct row_ref *)pb)->row, "id"));
}

/* Collects every row; checks ids are present, unique and complete. */
static struct row_ref *collect(const struct shard *s, size_t n, size_t *nrows,
			       struct pe_diag *diag)
{
	size_t total = 0, k = 0;
	struct row_ref *rows;

	for (size_t i = 0; i < n; i++)
		total += s[i].rows->count;
	rows = xcalloc(total ? total : 1, sizeof(*rows));
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < s[i].rows->count; r++) {
			struct pe_mark m = { s[i].path, 0, 0 };

			if (!text_at(s[i].rows->items[r], "id")) {
				pe_diag_error(diag, &m, "row %zu has no id",
					      r + 1);
				free(rows);
				return NULL;
			}
			rows[k].row = s[i].rows->items[r];
			rows[k++].path = s[i].path;
		}
	}
	qsort(rows, total, sizeof(*rows), compare_ids);
	for (size_t i = 1; i < total; i++) {
		if (!compare_ids(&rows[i - 1], &rows[i])) {
			struct pe_mark m = { rows[i].path, 0, 0 };

			pe_diag_error(diag, &m, "job %s is also in %s",
				      text_at(rows[i].row, "id"),
				      rows[i - 1].path);
			free(rows);
			return NULL;
		}
	}
	if (total != s[0].info.jobs) {
		struct pe_mark m = { s[0].path, 0, 0 };

		pe_diag_error(diag, &m,
			      "the shards hold %zu of the plan's %zu jobs: %s",
			      total, s[0].info.jobs,
			      total < s[0].info.jobs
				      ? "some were not run (use --resume)"
				      : "they are not from one plan");
		free(rows);
		return NULL;
	}
	*nrows = total;
	return rows;
}

static int write_merged(const char *path, const struct shard *s,
			struct row_ref *rows, size_t n)
{
	struct pe_plan_info info = s[0].info;
	struct pe_results_summary sum;
	struct pe_buf b;
	int rc;

	memset(&sum, 0, sizeof(sum));
	info.shard_index = info.shard_count = 0;
	qsort(rows, n, sizeof(*rows), compare_rows);
	pe_buf_init(&b, 0);
	pe_results_header(&b, "run", &info);
	for (size_t i = 0; i < n; i++) {
		const char *st = text_at(rows[i].row, "status");

		pe_node_to_json(rows[i].row, &b);
		if (i + 1 < n)
			pe_buf_adds(&b, ",\n");
		sum.total++;
		sum.pass += st && !strcmp(st, "pass");
		sum.fail += st && !strcmp(st, "fail");
		sum.error += st && !strcmp(st, "error");
		sum.skip += st && !strcmp(st, "skip");
	}
	pe_results_footer(&b, &sum);
	rc = pe_file_write_atomic(path, b.data, b.len, 0);
	pe_buf_release(&b);
	return rc;
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
	struct row_ref *rows = NULL;
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
	if (rows) {
		status = write_merged(out, shards, rows, nrows) ? PE_EXIT_SYSTEM
								: PE_EXIT_OK;
		if (status == PE_EXIT_OK)
			printf("merged %zu shard%s: %zu jobs into %s\n",
			       paths.len, paths.len == 1 ? "" : "s", nrows,
			       out);
		else
			pe_error("cannot write %s: %s", out, strerror(errno));
	}
	pe_diag_print(diag, stderr);
	free(rows);
	for (size_t i = 0; i < paths.len; i++)
		pe_doc_free(shards[i].doc);
	free(shards);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
