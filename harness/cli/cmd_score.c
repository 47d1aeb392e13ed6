/*
 * prompteval score: scores recorded responses without calling any model,
 * so an evaluator change shows its effect at once.  Responses come from a
 * JSONL file (one {prompt, case, output[, model, temperature, repeat]} per
 * line) or a directory of <prompt>/<case>.md files.  Every response is
 * matched to its prompt and test case first; any mismatch is an input
 * error (exit 3) and nothing is scored.  Scoring runs in parallel with
 * OpenMP, each response writing only its own row.
 */
#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/cli/status.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/cli/options.h"
#include "evaluators/evaluator.h"
#include "harness/results/aggregate.h"
#include "harness/results/results.h"
#include "harness/load/suite.h"
#include "harness/cli/summary.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_RESPONSES_FILE = 1024 * 1024 * 1024 };

/*
 * One recorded response to score: its row (result.h), with what the row
 * borrows from: the prompt and case it answers, the file it came from,
 * its output (owned when read from a .md file), and its scores.
 */
struct response {
	struct pe_result row;
	const struct pe_prompt *prompt;
	const struct pe_case *kase;
	const char *source; /* where it came from, for messages */
	char id[PE_JOB_ID_LEN + 1];
	char *owned_output;
	struct pe_case_score score;
	struct pe_result_evaluator *evaluators;
};

struct responses {
	struct response *items;
	size_t len;
	size_t alloc;
	struct pe_doc *doc;	   /* JSONL responses live here */
	struct pe_strlist sources; /* file names, for messages */
};

/* The file name without directories and .prompt.yml / .prompt.yaml. */
static int stem_equals(const char *path, const char *stem)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (pe_ends_with(base, ".prompt.yml"))
		len -= strlen(".prompt.yml");
	else if (pe_ends_with(base, ".prompt.yaml"))
		len -= strlen(".prompt.yaml");
	else if (pe_ends_with(base, ".yml") || pe_ends_with(base, ".yaml"))
		len -= pe_ends_with(base, ".yml") ? 4 : 5;
	return strlen(stem) == len && !strncmp(base, stem, len);
}

static const struct pe_prompt *find_prompt(const struct pe_suite *s,
					   const char *name)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].prompt &&
		    !strcmp(s->files[i].prompt->name, name))
			return s->files[i].prompt;
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].prompt && stem_equals(s->files[i].path, name))
			return s->files[i].prompt;
	return NULL;
}

/* A case by id, or by 0-based index written as digits. */
static const struct pe_case *find_case(const struct pe_prompt *p,
				       const char *id, int by_index, long index)
{
	long n;

	if (by_index)
		return index >= 0 && (size_t)index < p->ncases
			       ? &p->cases[index]
			       : NULL;
	for (size_t i = 0; i < p->ncases; i++)
		if (!strcmp(p->cases[i].id, id))
			return &p->cases[i];
	if (!pe_parse_long(id, 0, 1L << 30, &n) && (size_t)n < p->ncases)
		return &p->cases[n];
	return NULL;
}

static struct response *new_response(struct responses *r)
{
	struct response *resp;

	pe_grow(&r->items, &r->alloc, r->len + 1, sizeof(*r->items));
	resp = &r->items[r->len++];
	memset(resp, 0, sizeof(*resp));
	pe_result_init(&resp->row);
	return resp;
}

/* Checks that no earlier row is the same job. */
static int check_unique(struct responses *r, const struct pe_mark *m,
			struct pe_diag *diag)
{
	struct response *resp = &r->items[r->len - 1];

	for (size_t i = 0; i + 1 < r->len; i++) {
		if (strcmp(r->items[i].id, resp->id))
			continue;
		pe_diag_error(diag, m,
			      "duplicate response for prompt '%s', case '%s' "
			      "(also in %s)",
			      resp->prompt->name, resp->kase->id,
			      r->items[i].source);
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

/* Finds the prompt and case a response answers and fills its row. */
static int match_row(struct response *resp, const struct pe_suite *s,
		     const char *prompt, const char *case_id, int by_index,
		     long index, const struct pe_mark *m, struct pe_diag *diag)
{
	struct pe_result *row = &resp->row;

	resp->prompt = find_prompt(s, prompt);
	if (!resp->prompt) {
		pe_diag_error(diag, m,
			      "no prompt named '%s' among the prompt "
			      "files given",
			      prompt);
		return PE_ERR_INVALID;
	}
	resp->kase = find_case(resp->prompt, case_id, by_index, index);
	if (!resp->kase) {
		if (by_index)
			pe_diag_error(diag, m,
				      "prompt '%s' has no test case #%ld (it "
				      "has %zu, counted from 0)",
				      resp->prompt->name, index,
				      resp->prompt->ncases);
		else
			pe_diag_error(diag, m,
				      "prompt '%s' has no test case '%s'",
				      resp->prompt->name, case_id);
		return PE_ERR_INVALID;
	}
	pe_job_id(resp->prompt, resp->kase, row->model, row->has_temperature,
		  row->temperature, row->repeat, resp->id);
	row->id = resp->id;
	row->prompt = resp->prompt->name;
	row->file = resp->prompt->path;
	row->case_id = resp->kase->id;
	row->case_index = resp->kase->index;
	return PE_OK;
}

/* A string member; the text may hold NUL bytes, so it comes as a node. */
static const struct pe_node *text_field(const struct pe_node *obj,
					const char *key, int required,
					const struct pe_mark *m,
					struct pe_diag *diag, int *bad)
{
	const struct pe_node *v = pe_node_get(obj, key);

	if (!v || v->kind == PE_NODE_NULL) {
		if (required) {
			pe_diag_error(diag, m, "response needs '%s'", key);
			*bad = 1;
		}
		return NULL;
	}
	if (v->kind != PE_NODE_STRING) {
		pe_diag_error(diag, m,
			      "response '%s' must be a string, not a %s", key,
			      pe_node_kind_name(v->kind));
		*bad = 1;
		return NULL;
	}
	return v;
}

static void read_extras(struct pe_result *row, const struct pe_node *obj,
			const struct pe_mark *m, struct pe_diag *diag, int *bad)
{
	const struct pe_node *t = pe_node_get(obj, "temperature");
	const struct pe_node *rep = pe_node_get(obj, "repeat");
	const struct pe_node *model = text_field(obj, "model", 0, m, diag, bad);

	row->model = model ? model->text : NULL;
	if (t && t->kind != PE_NODE_NULL) {
		if (t->kind != PE_NODE_INT && t->kind != PE_NODE_FLOAT) {
			pe_diag_error(diag, m,
				      "'temperature' must be a number");
			*bad = 1;
		} else {
			row->has_temperature = 1;
			row->temperature = t->fval;
		}
	}
	if (rep && (rep->kind != PE_NODE_INT || rep->ival < 0 ||
		    rep->ival > 1000000)) {
		pe_diag_error(diag, m, "'repeat' must be a whole number >= 0");
		*bad = 1;
	} else if (rep) {
		row->repeat = (unsigned)rep->ival;
	}
}

static void read_jsonl_record(struct responses *r, const struct pe_suite *s,
			      const struct pe_node *obj, const char *path,
			      struct pe_diag *diag)
{
	struct pe_mark m = obj->mark;
	struct response *resp;
	const struct pe_node *c = pe_node_get(obj, "case");
	const struct pe_node *prompt, *output;
	int bad = 0, by_index = 0;
	long index = 0;

	if (obj->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &m,
			      "each response line must be a JSON object");
		return;
	}
	resp = new_response(r);
	resp->source = path;
	prompt = text_field(obj, "prompt", 1, &m, diag, &bad);
	output = text_field(obj, "output", 1, &m, diag, &bad);
	read_extras(&resp->row, obj, &m, diag, &bad);
	if (!c || (c->kind != PE_NODE_STRING && c->kind != PE_NODE_INT)) {
		pe_diag_error(diag, &m,
			      "response needs 'case': a test case id or a "
			      "0-based index");
		bad = 1;
	} else if (c->kind == PE_NODE_INT) {
		by_index = 1;
		index = (long)c->ival;
	}
	if (bad ||
	    match_row(resp, s, prompt->text, c->text, by_index, index, &m,
		      diag) ||
	    check_unique(r, &m, diag)) {
		r->len--;
		return;
	}
	resp->row.output = output->text;
	resp->row.output_len = output->len;
}

static int load_jsonl(struct responses *r, const struct pe_suite *s,
		      const char *path, struct pe_diag *diag)
{
	char *data;
	size_t len;
	const char *p, *end;
	unsigned line = 1;

	if (pe_file_read(path, MAX_RESPONSES_FILE, &data, &len, diag))
		return PE_ERR_IO;
	r->doc = pe_doc_new(path, data, len);
	free(data);
	p = r->doc->source;
	end = p + r->doc->source_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		struct pe_mark m = { r->doc->path, line, 1 };
		size_t i = 0;

		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i < n) {
			struct pe_node *obj =
				pe_json_parse(r->doc, p, n, &m, diag);

			if (obj) {
				char *where =
					xstrfmt("%s:%u", r->doc->path, line);

				pe_strlist_push(&r->sources, where);
				free(where);
				read_jsonl_record(
					r, s, obj,
					r->sources.items[r->sources.len - 1],
					diag);
			}
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	return PE_OK;
}

static void load_md_file(struct responses *r, const struct pe_suite *s,
			 const char *prompt, const char *file, const char *path,
			 struct pe_diag *diag)
{
	struct pe_mark m = { NULL, 1, 1 };
	struct response *resp;
	char *data, *case_id;
	size_t len;

	if (pe_file_read(path, MAX_RESPONSES_FILE, &data, &len, diag))
		return;
	pe_strlist_push(&r->sources, path);
	m.file = r->sources.items[r->sources.len - 1];
	case_id = xstrndup(file, strlen(file) - 3);
	resp = new_response(r);
	resp->source = m.file;
	if (match_row(resp, s, prompt, case_id, 0, 0, &m, diag) ||
	    check_unique(r, &m, diag)) {
		r->len--;
		free(data);
	} else {
		/* The whole file, NUL bytes included. */
		resp->owned_output = data;
		resp->row.output = data;
		resp->row.output_len = len;
	}
	free(case_id);
}

static int sorted_entries(const char *dir, struct pe_strlist *out,
			  struct pe_diag *diag)
{
	struct pe_mark m = { dir, 0, 0 };
	struct dirent *de;
	DIR *d = opendir(dir);

	pe_strlist_init(out);
	if (!d) {
		pe_diag_error(diag, &m, "cannot open directory: %s",
			      strerror(errno));
		return PE_ERR_IO;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			pe_strlist_push(out, de->d_name);
	closedir(d);
	for (size_t i = 1; i < out->len; i++)
		for (size_t j = i;
		     j > 0 && strcmp(out->items[j - 1], out->items[j]) > 0;
		     j--) {
			char *t = out->items[j];

			out->items[j] = out->items[j - 1];
			out->items[j - 1] = t;
		}
	return PE_OK;
}

/* Reads DIR/<prompt>/<case>.md; other files are ignored. */
static int load_dir(struct responses *r, const struct pe_suite *s,
		    const char *dir, struct pe_diag *diag)
{
	struct pe_strlist prompts;

	if (sorted_entries(dir, &prompts, diag))
		return PE_ERR_IO;
	for (size_t i = 0; i < prompts.len; i++) {
		char *sub = xstrfmt("%s/%s", dir, prompts.items[i]);
		struct pe_strlist files;
		struct stat st;

		if (stat(sub, &st) || !S_ISDIR(st.st_mode) ||
		    sorted_entries(sub, &files, diag)) {
			free(sub);
			continue;
		}
		for (size_t j = 0; j < files.len; j++) {
			char *path = xstrfmt("%s/%s", sub, files.items[j]);

			if (pe_ends_with(files.items[j], ".md"))
				load_md_file(r, s, prompts.items[i],
					     files.items[j], path, diag);
			free(path);
		}
		pe_strlist_release(&files);
		free(sub);
	}
	pe_strlist_release(&prompts);
	return PE_OK;
}

static void release_responses(struct responses *r)
{
	for (size_t i = 0; i < r->len; i++) {
		pe_case_score_release(&r->items[i].score);
		free(r->items[i].evaluators);
		free(r->items[i].owned_output);
	}
	free(r->items);
	pe_doc_free(r->doc);
	pe_strlist_release(&r->sources);
}

static void score_all(struct responses *r, long threads)
{
	long n = (long)r->len;

	if (threads > 0)
		omp_set_num_threads((int)threads);
#pragma omp parallel for schedule(dynamic, 4)
	for (long i = 0; i < n; i++) {
		struct response *resp = &r->items[i];

		pe_score_case(resp->prompt, resp->kase, resp->row.output,
			      resp->row.output_len, &resp->score);
		resp->evaluators =
			xcalloc(resp->score.nresults ? resp->score.nresults : 1,
				sizeof(*resp->evaluators));
		pe_case_score_to_row(&resp->score, &resp->row,
				     resp->evaluators);
	}
}

static int compare_responses(const void *a, const void *b)
{
	return pe_result_compare(&((const struct response *)a)->row,
				 &((const struct response *)b)->row);
}

/* The rows of every response, in results.json order. */
static struct pe_result *sorted_rows(struct responses *r)
{
	struct pe_result *rows = xcalloc(r->len ? r->len : 1, sizeof(*rows));

	if (r->len > 1)
		qsort(r->items, r->len, sizeof(*r->items), compare_responses);
	for (size_t i = 0; i < r->len; i++)
		rows[i] = r->items[i].row;
	return rows;
}

static void print_case(const struct pe_result *row, int verbose)
{
	static const char *const labels[] = { "PASS", "FAIL", "SKIP", "ERROR" };

	printf("%-5s %s / %s", labels[row->status], row->prompt, row->case_id);
	if (row->model)
		printf(" [%s", row->model);
	if (row->has_temperature)
		printf("%st=%g", row->model ? " " : " [", row->temperature);
	if (row->model || row->has_temperature)
		printf("%s]", row->repeat ? "" : "");
	if (row->status == PE_VERDICT_PASS || row->status == PE_VERDICT_FAIL)
		printf("  score %.2f\n", row->score);
	else
		printf("\n");
	for (size_t i = 0; i < row->nevaluators; i++) {
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
	int quiet;
	int verbose;
	int help;
};

static int load_responses(struct responses *r, const struct pe_suite *s,
			  const char *path, struct pe_diag *diag)
{
	struct stat st;
	struct pe_mark m = { path, 0, 0 };

	if (stat(path, &st)) {
		pe_diag_error(diag, &m, "cannot open: %s", strerror(errno));
		return PE_ERR_IO;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(r, s, path, diag);
	return load_jsonl(r, s, path, diag);
}

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
	       "%zu skipped; results in %s\n",
	       t->jobs, t->jobs == 1 ? "" : "s", t->pass, t->fail, t->error,
	       t->error == 1 ? "" : "s", t->skip, written);
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
	struct score_options o = { NULL, "out", 0, 0, 0, 0 };
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
		{ PE_OPT_FLAG, 'q', "quiet", NULL,
		  "print only the summary line", &o.quiet, NULL, 0, 0 },
		{ PE_OPT_FLAG, 'v', "verbose", NULL,
		  "also show evaluators that passed", &o.verbose, NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct responses r = { 0 };
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
	pe_strlist_init(&r.sources);
	if (!pe_diag_count(diag, PE_SEV_ERROR))
		load_responses(&r, suite, o.responses, diag);
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	if (pe_diag_count(diag, PE_SEV_ERROR)) {
		status = PE_EXIT_INVALID;
		goto done;
	}
	score_all(&r, o.threads);
	rows = sorted_rows(&r);
	if (write_results(o.out_dir, rows, r.len, &written)) {
		status = PE_EXIT_SYSTEM;
		goto done;
	}
	agg = pe_aggregate_new(rows, r.len, NULL);
	print_summary(rows, r.len, agg, written, o.quiet, o.verbose);
	outcome.tally = pe_aggregate_total(agg);
	outcome.judge_rows = 1;
	status = pe_exit_status(&outcome, &why);
	if (why)
		printf("%s\n", why);
done:
	pe_aggregate_free(agg);
	free(rows);
	free(written);
	release_responses(&r);
	pe_suite_free(suite);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
