/*
 * Merging shards (see merge.h): read each shard, check the pieces against
 * the first one's plan, collect the rows (finding a doubled job with the
 * readers' id index), and sort them into results.json order.
 */
#include "harness/results/merge.h"

#include <stdlib.h>
#include <string.h>

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

struct pe_merge {
	struct shard *shards;
	size_t nshards;
	struct pe_result *rows; /* NULL when the shards do not fit */
	size_t nrows;
	struct pe_case_table *cases; /* the shards' inputs, borrowed */
};

/*
 * Joins the shards' per-case inputs: a case whose jobs were spread over
 * several shards has the same inputs in each, and is kept once.
 */
static struct pe_case_table *join_cases(const struct shard *s, size_t n)
{
	struct pe_case_table *t = pe_case_table_new();

	for (size_t i = 0; i < n; i++) {
		const struct pe_case_table *c = pe_resultset_cases(s[i].rs);

		for (size_t k = 0; k < pe_case_table_count(c); k++)
			pe_case_table_add(t, pe_case_table_get(c, k));
	}
	pe_case_table_sort(t);
	return t;
}

/* Loads and checks the shards; see merge.h. */
struct pe_merge *pe_merge_new(char *const *paths, size_t n,
			      struct pe_diag *diag)
{
	struct pe_merge *m = xcalloc(1, sizeof(*m));
	int rc = PE_OK;

	m->shards = xcalloc(n ? n : 1, sizeof(*m->shards));
	m->nshards = n;
	for (size_t i = 0; i < n; i++) {
		m->shards[i].path = paths[i];
		if (read_shard(&m->shards[i], diag))
			rc = PE_ERR_INVALID;
	}
	if (!rc && n && !check_pieces(m->shards, n, diag))
		m->rows = collect(m->shards, n, &m->nrows, diag);
	if (m->rows)
		m->cases = join_cases(m->shards, n);
	return m;
}

/* The merged rows; see merge.h. */
const struct pe_result *pe_merge_rows(const struct pe_merge *m, size_t *n)
{
	*n = m->nrows;
	return m->rows;
}

/*
 * Writes the merged rows as the whole, unsharded plan's (complete: an
 * interrupted shard was refused); see merge.h.
 */
int pe_merge_write(const struct pe_merge *m, const char *path)
{
	struct pe_plan_info info = *m->shards[0].info;

	info.shard_index = info.shard_count = 0;
	return pe_results_write(path, "run", &info, NULL, m->cases, NULL,
				m->rows, m->nrows);
}

/* Frees the merge and the shards it loaded; NULL is a no-op. */
void pe_merge_free(struct pe_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nshards; i++)
		pe_resultset_free(m->shards[i].rs);
	pe_case_table_free(m->cases);
	free(m->shards);
	free(m->rows);
	free(m);
}
