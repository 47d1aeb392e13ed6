/*
 * The report registry and the driver that runs the writers -f asks for.
 * Every name in the list is checked before anything is written, so a typo
 * leaves no half-written output directory (and the input is not looked
 * at before the list is found good, so "report" checks -f with a NULL
 * input); so is every format that needs the prompt files (needs_suite)
 * against an input without them.  Files are written to a
 * temporary name beside their final one and renamed into place once
 * complete, so a reader never sees a partial report; the output directory
 * is created only when some format writes a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "harness/core/buf.h"
#include "harness/core/files.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

extern const struct pe_report_ops pe_report_terminal;
extern const struct pe_report_ops pe_report_json;
extern const struct pe_report_ops pe_report_jsonl;
extern const struct pe_report_ops pe_report_junit;
extern const struct pe_report_ops pe_report_md;
extern const struct pe_report_ops pe_report_csv;
extern const struct pe_report_ops pe_report_html;
extern const struct pe_report_ops pe_report_gh_json;

const struct pe_report_ops *const pe_report_writers[] = {
	&pe_report_terminal, &pe_report_json,	 &pe_report_jsonl,
	&pe_report_junit,    &pe_report_md,	 &pe_report_csv,
	&pe_report_html,     &pe_report_gh_json, NULL
};

/* Appends the note for partial results; see report.h. */
int pe_report_partial_note(const struct pe_report_input *in, struct pe_buf *out)
{
	const struct pe_partial *p = pe_resultset_partial(in->rs);

	if (!p)
		return 0;
	if (p->stopped[0])
		pe_buf_addf(out,
			    "partial: %zu of %zu job%s run (stopped early, %s; "
			    "the rest are not run, neither passed nor failed)",
			    p->finished, p->jobs, p->jobs == 1 ? "" : "s",
			    p->stopped);
	else
		pe_buf_addf(out,
			    "partial: %zu of %zu job%s finished (the run was "
			    "interrupted)",
			    p->finished, p->jobs, p->jobs == 1 ? "" : "s");
	return 1;
}

/* Returns the writer called name, or NULL; see report.h. */
const struct pe_report_ops *pe_report_find(const char *name)
{
	for (size_t i = 0; pe_report_writers[i]; i++)
		if (!strcmp(pe_report_writers[i]->name, name))
			return pe_report_writers[i];
	return NULL;
}

/* "terminal, json, ... or csv", from the registry. */
static void print_unknown(const char *name)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; pe_report_writers[i]; i++) {
		if (i)
			pe_buf_adds(&b,
				    pe_report_writers[i + 1] ? ", " : " or ");
		pe_buf_adds(&b, pe_report_writers[i]->name);
	}
	pe_error("unknown report format '%s' (use %s)", name, pe_buf_str(&b));
	pe_buf_release(&b);
}

/*
 * Splits list at commas into the writers it names, in order, each once.
 * Returns the number of writers stored in out (room for every registered
 * one), or -1 after a message naming the first unknown name.
 */
static int parse_list(const char *list, const struct pe_report_ops **out)
{
	int n = 0;

	while (1) {
		size_t len = strcspn(list, ",");
		char *name = xstrndup(list, len);
		const struct pe_report_ops *ops = pe_report_find(name);
		int seen = 0;

		if (!ops) {
			print_unknown(name);
			free(name);
			return -1;
		}
		free(name);
		for (int i = 0; i < n; i++)
			seen |= out[i] == ops;
		if (!seen)
			out[n++] = ops;
		if (!list[len])
			return n;
		list += len + 1;
	}
}

/* Runs one writer over every row of in into f. */
static int drive(const struct pe_report_ops *ops,
		 const struct pe_report_input *in, FILE *f)
{
	size_t n = pe_resultset_count(in->rs);
	void *state = ops->begin(in, f);

	if (!state)
		return PE_ERR_IO;
	for (size_t i = 0; i < n; i++)
		ops->add(state, pe_resultset_get(in->rs, i));
	return ops->end(state);
}

/* Writes one file-backed format to out_dir/file_name atomically. */
static int write_file(const struct pe_report_ops *ops, const char *out_dir,
		      const struct pe_report_input *in)
{
	char *path = xstrfmt("%s/%s", out_dir, ops->file_name);
	struct pe_atomic_file af;
	int rc = pe_atomic_open(&af, path, 0);

	if (!rc && drive(ops, in, af.f)) {
		pe_atomic_abort(&af);
		rc = PE_ERR_IO;
	} else if (!rc) {
		rc = pe_atomic_commit(&af);
	}
	if (rc)
		pe_error("cannot write %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* Checks a list of format names; see report.h. */
int pe_report_check_list(const char *list)
{
	const struct pe_report_ops
		*chosen[sizeof(pe_report_writers) / sizeof(*pe_report_writers)];

	return parse_list(list, chosen) < 0 ? PE_ERR_USAGE : PE_OK;
}

/* Writes every format named in list; see report.h. */
int pe_report_write_all(const char *list, const char *out_dir,
			const struct pe_report_input *in)
{
	const struct pe_report_ops
		*chosen[sizeof(pe_report_writers) / sizeof(*pe_report_writers)];
	int n = parse_list(list, chosen), rc = PE_OK, made_dir = 0;

	if (n < 0 || !in)
		return PE_ERR_USAGE;
	for (int i = 0; i < n; i++) {
		if (chosen[i]->needs_suite && !in->suite) {
			pe_error("%s needs the prompt files: write it with run "
				 "-f %s",
				 chosen[i]->name, chosen[i]->name);
			return PE_ERR_USAGE;
		}
	}
	for (int i = 0; i < n && !rc; i++) {
		if (!chosen[i]->file_name) {
			if (drive(chosen[i], in, stdout)) {
				pe_error("cannot write to standard output");
				rc = PE_ERR_IO;
			}
			continue;
		}
		if (!made_dir && pe_make_dirs(out_dir, 0)) {
			pe_error("cannot create %s: %s", out_dir,
				 strerror(errno));
			return PE_ERR_IO;
		}
		made_dir = 1;
		rc = write_file(chosen[i], out_dir, in);
	}
	return rc;
}

/* Colour only on a TTY and never with NO_COLOR; see report.h. */
int pe_report_want_color(void)
{
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

/*
 * The terminal columns of the widest prompt (or model) name of agg's
 * cells, and at least least.
 */
static int name_width(const struct pe_aggregate *agg, int prompts, size_t least)
{
	size_t width = least;

	for (size_t i = 0; i < pe_aggregate_cell_count(agg); i++) {
		const struct pe_cell *c = pe_aggregate_cell(agg, i);
		const char *name = prompts ? c->prompt : c->model;
		size_t w = name ? pe_terminal_width(name, strlen(name)) : 1;

		if (w > width)
			width = w;
	}
	/* A name wider than a terminal line has no better place anyway. */
	return width > 4096 ? 4096 : (int)width;
}

/* The model column's width; see report.h. */
int pe_report_model_width(const struct pe_aggregate *agg)
{
	return name_width(agg, 0, 24);
}

/* The width of the prompt column; see report.h. */
int pe_report_prompt_width(const struct pe_aggregate *agg)
{
	return name_width(agg, 1, 40);
}

/* The colour of a pass rate; see report.h. */
const char *pe_report_rate_colour(const struct pe_pass_rate *r)
{
	if (!r->decided)
		return NULL;
	if (r->pass == r->decided)
		return PE_SGR_GREEN;
	return r->pass ? PE_SGR_YELLOW : PE_SGR_RED;
}
