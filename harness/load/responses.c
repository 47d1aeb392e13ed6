/*
 * Recorded responses (see responses.h).  JSONL records and .md files are
 * read into one list; a response's row is filled as soon as its prompt
 * and case are known, and its verdict once it is scored.  Each prompt's
 * case ids get an index the first time a response names the prompt.
 */
#include "harness/load/responses.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/json.h"
#include "harness/core/util.h"
#include "evaluators/workers.h"
#include "harness/core/banned.h"

enum { MAX_RESPONSES_FILE = 1024 * 1024 * 1024 };

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

static const char *case_key(const void *cases, size_t i, size_t *len)
{
	const char *id = ((const struct pe_case *)cases)[i].id;

	*len = strlen(id);
	return id;
}

/* The index of p's case ids, made on first use. */
static const struct pe_index *case_ids_of(struct pe_responses *r,
					  const struct pe_prompt *p)
{
	struct pe_case_ids *c;

	for (size_t i = 0; i < r->ncase_ids; i++)
		if (r->case_ids[i].prompt == p)
			return &r->case_ids[i].ids;
	pe_grow(&r->case_ids, &r->case_ids_alloc, r->ncase_ids + 1,
		sizeof(*r->case_ids));
	c = &r->case_ids[r->ncase_ids++];
	c->prompt = p;
	pe_index_init(&c->ids, case_key);
	for (size_t i = 0; i < p->ncases; i++)
		pe_index_add(&c->ids, p->cases, i);
	return &c->ids;
}

/* A case by id, or by 0-based index written as digits. */
static const struct pe_case *find_case(struct pe_responses *r,
				       const struct pe_prompt *p,
				       const char *id, int by_index, long index)
{
	long n;

	if (by_index)
		return index >= 0 && (size_t)index < p->ncases
			       ? &p->cases[index]
			       : NULL;
	n = pe_index_find(case_ids_of(r, p), p->cases, id, strlen(id));
	if (n >= 0)
		return &p->cases[n];
	if (!pe_parse_long(id, 0, 1L << 30, &n) && (size_t)n < p->ncases)
		return &p->cases[n];
	return NULL;
}

static struct pe_response *new_response(struct pe_responses *r)
{
	struct pe_response *resp;

	pe_grow(&r->items, &r->alloc, r->len + 1, sizeof(*r->items));
	resp = &r->items[r->len++];
	memset(resp, 0, sizeof(*resp));
	pe_result_init(&resp->row);
	return resp;
}

static const char *job_key(const void *items, size_t i, size_t *len)
{
	const char *id = ((const struct pe_response *)items)[i].id;

	*len = strlen(id);
	return id;
}

/* Checks that no earlier row is the same job, and indexes this one. */
static int check_unique(struct pe_responses *r, const struct pe_mark *m,
			struct pe_diag *diag)
{
	struct pe_response *resp = &r->items[r->len - 1];
	long i = pe_index_add(&r->job_ids, r->items, r->len - 1);

	if (i < 0)
		return PE_OK;
	pe_diag_error(diag, m,
		      "duplicate response for prompt '%s', case '%s' (also in "
		      "%s)",
		      resp->prompt->name, resp->kase->id, r->items[i].source);
	return PE_ERR_INVALID;
}

/* Finds the prompt and case a response answers and fills its row. */
static int match_row(struct pe_responses *r, struct pe_response *resp,
		     const struct pe_suite *s, const char *prompt,
		     const char *case_id, int by_index, long index,
		     const struct pe_mark *m, struct pe_diag *diag)
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
	resp->kase = find_case(r, resp->prompt, case_id, by_index, index);
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

/*
 * A string member; the text may hold NUL bytes, so it comes as a node.
 * Only an output may: a name with one would match a shorter name.
 */
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
	if (strcmp(key, "output") && memchr(v->text, '\0', v->len)) {
		pe_diag_error(diag, m,
			      "response '%s' holds a NUL character (\\u0000)",
			      key);
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

/*
 * Warns about the keys of a response line prompteval does not read
 * (finish_reason, call...): once per key and file (warned holds those
 * said), since every line of a file tends to have the same keys.
 */
static void warn_unknown_keys(const struct pe_node *obj,
			      struct pe_strlist *warned, struct pe_diag *diag)
{
	static const char *const known[] = { "prompt", "case",	      "output",
					     "model",  "temperature", "repeat",
					     NULL };

	for (size_t i = 0; i < obj->npairs && warned->len < 32; i++) {
		const char *key = obj->pairs[i].key->text;
		size_t w = 0;

		while (w < warned->len && strcmp(warned->items[w], key))
			w++;
		if (pe_listed(known, key) || w < warned->len)
			continue;
		pe_strlist_push(warned, key);
		pe_diag_warning(diag, &obj->mark,
				"unknown key '%s' in a response, ignored: a "
				"response gives prompt, case, output, and "
				"model, temperature and repeat (said once a "
				"file)",
				key);
	}
}

static void read_jsonl_record(struct pe_responses *r, const struct pe_suite *s,
			      const struct pe_node *obj, const char *path,
			      struct pe_strlist *warned, struct pe_diag *diag)
{
	struct pe_mark m = obj->mark;
	struct pe_response *resp;
	const struct pe_node *c = pe_node_get(obj, "case");
	const struct pe_node *prompt, *output;
	int bad = 0, by_index = 0;
	long index = 0;

	if (obj->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &m,
			      "each response line must be a JSON object");
		return;
	}
	warn_unknown_keys(obj, warned, diag);
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
	} else if (memchr(c->text, '\0', c->len)) {
		pe_diag_error(
			diag, &m,
			"response 'case' holds a NUL character (\\u0000)");
		bad = 1;
	} else if (c->kind == PE_NODE_INT) {
		by_index = 1;
		index = (long)c->ival;
	}
	if (bad ||
	    match_row(r, resp, s, prompt->text, c->text, by_index, index, &m,
		      diag) ||
	    check_unique(r, &m, diag)) {
		r->len--;
		return;
	}
	resp->row.output = output->text;
	resp->row.output_len = output->len;
}

static int load_jsonl(struct pe_responses *r, const struct pe_suite *s,
		      const char *path, struct pe_diag *diag)
{
	char *data;
	size_t len;
	const char *p, *end;
	unsigned line = 1;
	int empty = 1;
	struct pe_strlist warned = { 0 }; /* unknown keys said */

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

			empty = 0;
			if (obj) {
				char *where =
					xstrfmt("%s:%u", r->doc->path, line);

				pe_strlist_push(&r->sources, where);
				free(where);
				read_jsonl_record(
					r, s, obj,
					r->sources.items[r->sources.len - 1],
					&warned, diag);
			}
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	pe_strlist_release(&warned);
	if (empty) {
		struct pe_mark m = { r->doc->path, 0, 0 };

		pe_diag_error(diag, &m,
			      "empty responses file: expected one JSON object "
			      "per line");
	}
	return PE_OK;
}

static void load_md_file(struct pe_responses *r, const struct pe_suite *s,
			 const char *prompt, const char *file, const char *path,
			 struct pe_diag *diag)
{
	struct pe_mark m = { NULL, 1, 1 };
	struct pe_response *resp;
	char *data, *case_id;
	size_t len;

	if (pe_file_read(path, MAX_RESPONSES_FILE, &data, &len, diag))
		return;
	pe_strlist_push(&r->sources, path);
	m.file = r->sources.items[r->sources.len - 1];
	case_id = xstrndup(file, strlen(file) - 3);
	resp = new_response(r);
	resp->source = m.file;
	if (match_row(r, resp, s, prompt, case_id, 0, 0, &m, diag) ||
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

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
	if (out->len > 1)
		qsort(out->items, out->len, sizeof(*out->items), compare_names);
	return PE_OK;
}

/*
 * True when path is a regular file (a link to one counts); anything else
 * (a FIFO, which would block the read, a device, a socket) is skipped
 * with a warning.
 */
static int is_regular(const char *path, struct pe_diag *diag)
{
	struct pe_mark m = { path, 0, 0 };
	struct stat st;

	if (!stat(path, &st) && S_ISREG(st.st_mode))
		return 1;
	pe_diag_warning(diag, &m, "not a regular file; it is skipped");
	return 0;
}

/* Reads DIR/<prompt>/<case>.md; other files are ignored. */
static int load_dir(struct pe_responses *r, const struct pe_suite *s,
		    const char *dir, struct pe_diag *diag)
{
	struct pe_strlist prompts;
	size_t md_files = 0;

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

			if (pe_ends_with(files.items[j], ".md") &&
			    is_regular(path, diag)) {
				md_files++;
				load_md_file(r, s, prompts.items[i],
					     files.items[j], path, diag);
			}
			free(path);
		}
		pe_strlist_release(&files);
		free(sub);
	}
	pe_strlist_release(&prompts);
	if (!md_files) {
		struct pe_mark m = { dir, 0, 0 };

		pe_diag_error(diag, &m,
			      "no responses: expected PROMPT/CASE.md files "
			      "in the directory");
	}
	return PE_OK;
}

/* Frees the responses and what they own; NULL is a no-op. */
void pe_responses_free(struct pe_responses *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->len; i++) {
		pe_case_score_release(&r->items[i].score);
		free(r->items[i].evaluators);
		free(r->items[i].owned_output);
	}
	free(r->items);
	pe_doc_free(r->doc);
	pe_strlist_release(&r->sources);
	pe_index_release(&r->job_ids);
	for (size_t i = 0; i < r->ncase_ids; i++)
		pe_index_release(&r->case_ids[i].ids);
	free(r->case_ids);
	free(r);
}

/* Scores every response in parallel; see responses.h. */
void pe_responses_score(struct pe_responses *r, long threads)
{
	long n = (long)r->len;
	struct pe_workers *workers;

	if (threads > 0)
		omp_set_num_threads((int)threads);
	workers = pe_workers_new(pe_workers_size(omp_get_max_threads(), 0));
#pragma omp parallel for schedule(dynamic, 4)
	for (long i = 0; i < n; i++) {
		struct pe_response *resp = &r->items[i];
		struct pe_score_env env = { workers, resp->row.model };

		pe_score_case(resp->prompt, resp->kase, resp->row.output,
			      resp->row.output_len, &env, &resp->score);
		resp->evaluators =
			xcalloc(resp->score.nresults ? resp->score.nresults : 1,
				sizeof(*resp->evaluators));
		pe_case_score_to_row(&resp->score, &resp->row,
				     resp->evaluators);
	}
	pe_workers_free(workers);
}

/*
 * The rows of every response, in results.json order; see responses.h.
 * The copies are sorted, not the responses: a row's id points into its
 * response, which must stay where it is.
 */
struct pe_result *pe_responses_rows(struct pe_responses *r)
{
	struct pe_result *rows = xcalloc(r->len ? r->len : 1, sizeof(*rows));

	for (size_t i = 0; i < r->len; i++)
		rows[i] = r->items[i].row;
	pe_result_sort(rows, r->len);
	return rows;
}

/* Loads recorded responses; see responses.h. */
struct pe_responses *pe_responses_load(const char *path,
				       const struct pe_suite *s,
				       struct pe_diag *diag)
{
	struct pe_responses *r = xcalloc(1, sizeof(*r));
	struct pe_mark m = { path, 0, 0 };
	struct stat st;

	pe_strlist_init(&r->sources);
	pe_index_init(&r->job_ids, job_key);
	if (stat(path, &st))
		pe_diag_error(diag, &m, "cannot open: %s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		load_dir(r, s, path, diag);
	else
		load_jsonl(r, s, path, diag);
	/* The array moved as it grew: each row's id is its response's. */
	for (size_t i = 0; i < r->len; i++)
		r->items[i].row.id = r->items[i].id;
	return r;
}
