/*
 * Tables: a GFM table whose header has the named columns (matched like
 * headings, in any order), with at least min_rows body rows, optionally
 * inside a named section.  Tables without outer pipes are tables too.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

struct table_state {
	struct pe_names columns;
	size_t min_rows;
	struct pe_names within; /* at most one name */
};

static void free_table(void *state)
{
	struct table_state *st = state;

	if (!st)
		return;
	pe_names_release(&st->columns);
	pe_names_release(&st->within);
	free(st);
}

static int compile_table(const struct pe_evalspec *spec,
			 const struct pe_prompt *prompt, void **state,
			 struct pe_diag *diag)
{
	static const char *const known[] = { "columns", "min_rows", "within",
					     NULL };
	const struct pe_node *body = pe_evaluator_settings(spec);
	struct table_state *st;

	(void)prompt;
	if (body && body->kind == PE_NODE_BOOL && body->bval) {
		*state = xcalloc(1, sizeof(struct table_state));
		return PE_OK;
	}
	if (pe_setting_require_map(body, "table", diag))
		return PE_ERR_INVALID;
	pe_node_check_keys(body, known, "a table evaluator", diag);
	st = xcalloc(1, sizeof(*st));
	if (pe_setting_names(body, "columns", &st->columns, diag) ||
	    pe_setting_count(body, "min_rows", 0, 1000000, &st->min_rows,
			     diag) ||
	    pe_setting_names(body, "within", &st->within, diag)) {
		free_table(st);
		return PE_ERR_INVALID;
	}
	if (pe_node_get(body, "columns") && !st->columns.len) {
		pe_diag_error(diag, &pe_node_get(body, "columns")->mark,
			      "'columns' is empty: give the columns the table "
			      "needs, or leave the key out");
		free_table(st);
		return PE_ERR_INVALID;
	}
	if (st->within.len > 1) {
		pe_diag_error(diag, &pe_node_get(body, "within")->mark,
			      "a table evaluator looks in one section; use one "
			      "evaluator per section");
		free_table(st);
		return PE_ERR_INVALID;
	}
	*state = st;
	return PE_OK;
}

struct fit {
	const struct table_state *st;
	const struct pe_md_table *t;
};

static int column_fits(size_t name, size_t k, void *ctx)
{
	const struct fit *f = ctx;

	return pe_md_heading_matches(f->t->columns_norm[k],
				     f->st->columns.norm[name]);
}

/*
 * How many of the named columns table t has, each a column of its own
 * (one "phase plan" column is not both "phase" and "phase plan"), and
 * in missing, when given, the names it lacks.
 */
static size_t matched_columns(const struct table_state *st,
			      const struct pe_md_table *t,
			      struct pe_buf *missing)
{
	struct fit f = { st, t };
	long *column_of = xmalloc((st->columns.len + 1) * sizeof(*column_of));
	size_t found = pe_names_match(st->columns.len, t->ncolumns, column_fits,
				      &f, column_of);

	for (size_t c = 0; missing && c < st->columns.len; c++)
		if (column_of[c] < 0)
			pe_buf_addf(missing, "%s%s", missing->len ? ", " : "",
				    st->columns.raw[c]);
	free(column_of);
	return found;
}

/* Whether offset at lies in one of the n sections (any, every one of
 * that name: markdown.h). */
static int within(const struct pe_md_range *r, size_t n, size_t at)
{
	for (size_t i = 0; i < n; i++)
		if (at >= r[i].start && at < r[i].end)
			return 1;
	return 0;
}

static void score_table(const void *state, const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	const struct table_state *st = state;
	size_t n, nsections = 0, best_cols = 0;
	struct pe_md_range *sections = NULL;
	const struct pe_md_table *tables = pe_md_tables(pe_eval_md(in), &n);
	const struct pe_md_table *best = NULL;
	struct pe_buf missing;
	const char *where = st->within.len ? st->within.raw[0] : NULL;

	(void)spec;
	if (where) {
		nsections = pe_md_find_sections(
			pe_eval_md(in), st->within.norm[0], 1, &sections);
		if (!nsections) {
			pe_result_unchecked(out, "section '%s' not found",
					    where);
			return;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t cols;

		if (where && !within(sections, nsections, tables[i].start))
			continue;
		cols = matched_columns(st, &tables[i], NULL);
		if (!best || cols > best_cols ||
		    (cols == best_cols && tables[i].rows > best->rows)) {
			best = &tables[i];
			best_cols = cols;
		}
	}
	free(sections);
	if (!best) {
		pe_result_set(out, PE_VERDICT_FAIL, 0, "no table%s%s",
			      where ? " in section " : "", where ? where : "");
		return;
	}
	pe_buf_init(&missing, 0);
	matched_columns(st, best, &missing);
	if (best_cols == st->columns.len && best->rows >= st->min_rows)
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "table with %zu column%s and %zu row%s",
			      best->ncolumns, best->ncolumns == 1 ? "" : "s",
			      best->rows, best->rows == 1 ? "" : "s");
	else if (best_cols < st->columns.len)
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)best_cols / (double)st->columns.len,
			      "table is missing column%s: %s",
			      st->columns.len - best_cols == 1 ? "" : "s",
			      pe_buf_str(&missing));
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0.5,
			      "table has %zu row%s, need at least %zu",
			      best->rows, best->rows == 1 ? "" : "s",
			      st->min_rows);
	pe_buf_release(&missing);
}

static const char *const table_keys[] = { "table", NULL };

const struct pe_evaluator_ops pe_table_ops = {
	.as_written = 1,
	.name = "table",
	.example = "{table: {columns: [name]}}",
	.keys = table_keys,
	.known_keys = table_keys,
	.compile = compile_table,
	.score = score_table,
	.free = free_table,
};
