/*
 * Dataset readers.  JSONL records go through the JSON module line by line,
 * so an error names the line; CSV is parsed here (quoted fields, doubled
 * quotes, CRLF, newlines inside quotes) and every cell keeps its own mark.
 *
 * Datasets are held to what the YAML loader asks of a prompt file: the
 * text is UTF-8, and no string holds a NUL (a NUL byte in CSV, a
 * "\u0000" in JSONL), each an error at its position.  Every reader is
 * linear in the file: the CSV header's names are checked through an
 * index, which the rows share for their lookups.
 */
#include "harness/load/dataset.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/buf.h"
#include "harness/core/files.h"
#include "harness/core/index.h"
#include "harness/core/json.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/load/yaml_load.h"
#include "harness/core/banned.h"

struct node_list {
	struct pe_node **items;
	size_t len;
	size_t alloc;
};

static void list_push(struct node_list *l, struct pe_node *n)
{
	pe_grow(&l->items, &l->alloc, l->len + 1, sizeof(*l->items));
	l->items[l->len++] = n;
}

static void finish_seq(struct pe_doc *doc, struct node_list *l)
{
	struct pe_mark m = { doc->path, 1, 1 };
	struct pe_node *seq = pe_doc_node(doc, PE_NODE_SEQ, &m);

	seq->items =
		pe_doc_alloc(doc, (l->len ? l->len : 1) * sizeof(*seq->items));
	if (l->len)
		memcpy(seq->items, l->items, l->len * sizeof(*seq->items));
	seq->count = l->len;
	doc->root = seq;
	free(l->items);
}

/* True when a string in n (a key or a value, at any depth) holds a NUL. */
static int holds_nul(const struct pe_node *n)
{
	if (n->kind == PE_NODE_SEQ) {
		for (size_t i = 0; i < n->count; i++)
			if (holds_nul(n->items[i]))
				return 1;
		return 0;
	}
	if (n->kind == PE_NODE_MAP) {
		for (size_t i = 0; i < n->npairs; i++)
			if (holds_nul(n->pairs[i].key) ||
			    holds_nul(n->pairs[i].value))
				return 1;
		return 0;
	}
	return memchr(n->text, '\0', n->len) != NULL;
}

/*
 * Checks that the file is UTF-8 and, for CSV, holds no NUL byte (JSON
 * text cannot hold one raw).  Returns 0 or PE_ERR_INVALID after an error
 * at the first bad byte.
 */
static int check_text(const struct pe_doc *doc, int csv, struct pe_diag *diag)
{
	const char *s = doc->source;
	size_t len = doc->source_len;

	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n = (unsigned char)s[i] < 0x80
				   ? 1
				   : pe_utf8_decode(s + i, len - i, &cp);
		struct pe_mark at;

		if (n && (s[i] || !csv)) {
			i += n;
			continue;
		}
		at = pe_doc_mark_at(doc, i);
		if (n)
			pe_diag_error(diag, &at,
				      "a NUL byte (at byte %zu); datasets "
				      "cannot hold one",
				      i);
		else
			pe_diag_error(diag, &at,
				      "invalid UTF-8 (at byte %zu); datasets "
				      "must be UTF-8",
				      i);
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

static struct pe_doc *load_jsonl(struct pe_doc *doc, struct pe_diag *diag)
{
	struct node_list list = { 0 };
	const char *p = doc->source, *end = doc->source + doc->source_len;
	unsigned line = 1;
	int failed = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t len = (size_t)(stop - p);
		struct pe_mark m = { doc->path, line, 1 };
		size_t i = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i < len) {
			struct pe_node *n =
				pe_json_parse(doc, p, len, &m, diag);

			if (!n)
				failed = 1;
			else if (n->kind != PE_NODE_MAP) {
				pe_diag_error(diag, &m,
					      "each JSONL line must be a JSON "
					      "object, not a %s",
					      pe_node_kind_name(n->kind));
				failed = 1;
			} else if (holds_nul(n)) {
				pe_diag_error(diag, &m,
					      "a NUL character (\\u0000) in a "
					      "string; datasets cannot hold "
					      "one");
				failed = 1;
			} else
				list_push(&list, n);
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	finish_seq(doc, &list);
	if (failed) {
		pe_doc_free(doc);
		return NULL;
	}
	return doc;
}

struct csv_reader {
	struct pe_doc *doc;
	const char *p;
	const char *end;
	unsigned line;
	unsigned col;
};

static void csv_advance(struct csv_reader *r)
{
	if (*r->p == '\n') {
		r->line++;
		r->col = 1;
	} else if (((unsigned char)*r->p & 0xc0) != 0x80) {
		r->col++;
	}
	r->p++;
}

/*
 * Reads one field into a string node; *last is set at the end of a record.
 * Returns NULL after recording an error.
 */
static struct pe_node *csv_field(struct csv_reader *r, int *last,
				 struct pe_diag *diag)
{
	struct pe_mark m = { r->doc->path, r->line, r->col };
	struct pe_node *n = pe_doc_node(r->doc, PE_NODE_STRING, &m);
	struct pe_buf b;
	int quoted = r->p < r->end && *r->p == '"';

	pe_buf_init(&b, 0);
	if (quoted)
		csv_advance(r);
	while (r->p < r->end) {
		char c = *r->p;

		if (quoted && c == '"') {
			if (r->p + 1 < r->end && r->p[1] == '"') {
				pe_buf_addc(&b, '"');
				csv_advance(r);
				csv_advance(r);
				continue;
			}
			csv_advance(r);
			quoted = 2;
			break;
		}
		if (!quoted && (c == ',' || c == '\n' || c == '\r'))
			break;
		pe_buf_addc(&b, c);
		csv_advance(r);
	}
	if (quoted == 1) {
		pe_diag_error(diag, &m, "unterminated quoted CSV field");
		pe_buf_release(&b);
		return NULL;
	}
	if (r->p < r->end && *r->p == '\r')
		csv_advance(r);
	*last = r->p >= r->end || *r->p == '\n';
	if (r->p < r->end && (*r->p == ',' || *r->p == '\n'))
		csv_advance(r);
	else if (r->p < r->end) {
		struct pe_mark bad = { r->doc->path, r->line, r->col };

		pe_diag_error(diag, &bad,
			      "unexpected character after a quoted CSV field");
		pe_buf_release(&b);
		return NULL;
	}
	n->text = pe_doc_strndup(r->doc, pe_buf_str(&b), b.len);
	n->len = b.len;
	pe_buf_release(&b);
	return n;
}

static int csv_record(struct csv_reader *r, struct node_list *fields,
		      struct pe_diag *diag)
{
	int last = 0;

	fields->len = 0;
	while (!last) {
		struct pe_node *f = csv_field(r, &last, diag);

		if (!f)
			return PE_ERR_INVALID;
		list_push(fields, f);
	}
	return PE_OK;
}

/*
 * Makes a row's mapping.  Every row has the header's keys in the same
 * order, so the first row's key index (*shared, NULL until then) serves
 * them all.
 */
static struct pe_node *csv_row_map(struct pe_doc *doc,
				   const struct node_list *header,
				   const struct node_list *row,
				   const struct pe_index **shared)
{
	struct pe_node *map =
		pe_doc_node(doc, PE_NODE_MAP, &row->items[0]->mark);

	map->pairs = pe_doc_alloc(doc, header->len * sizeof(*map->pairs));
	for (size_t i = 0; i < header->len; i++) {
		map->pairs[i].key = header->items[i];
		map->pairs[i].value = row->items[i];
	}
	map->npairs = header->len;
	if (!*shared) {
		pe_node_index_pairs(doc, map);
		*shared = map->index;
	}
	map->index = *shared;
	return map;
}

static const char *column_key(const void *items, size_t i, size_t *len)
{
	const struct pe_node *n = ((struct pe_node *const *)items)[i];

	*len = n->len;
	return n->text;
}

static int csv_check_header(const struct node_list *header,
			    struct pe_diag *diag)
{
	struct pe_index names;
	int rc = PE_OK;

	pe_index_init(&names, column_key);
	for (size_t i = 0; i < header->len && !rc; i++) {
		if (!header->items[i]->len) {
			pe_diag_error(diag, &header->items[i]->mark,
				      "empty column name in the CSV header");
			rc = PE_ERR_INVALID;
		} else if (pe_index_add(&names, header->items, i) >= 0) {
			pe_diag_error(diag, &header->items[i]->mark,
				      "duplicate CSV column '%s'",
				      header->items[i]->text);
			rc = PE_ERR_INVALID;
		}
	}
	pe_index_release(&names);
	return rc;
}

static struct pe_doc *load_csv(struct pe_doc *doc, struct pe_diag *diag)
{
	struct csv_reader r = { doc, doc->source, doc->source + doc->source_len,
				1, 1 };
	struct node_list header = { 0 }, row = { 0 }, cases = { 0 };
	const struct pe_index *shared = NULL;
	int failed = 0, empty;

	if (r.end - r.p >= 3 && !memcmp(r.p, "\xef\xbb\xbf", 3))
		r.p += 3;
	empty = r.p >= r.end;
	if (empty || csv_record(&r, &header, diag) ||
	    csv_check_header(&header, diag)) {
		struct pe_mark m = { doc->path, 1, 1 };

		if (empty)
			pe_diag_error(diag, &m,
				      "empty CSV file: expected a "
				      "header row of variable names");
		failed = 1;
	}
	while (!failed && r.p < r.end) {
		if (*r.p == '\n' || *r.p == '\r') {
			csv_advance(&r);
			continue;
		}
		if (csv_record(&r, &row, diag)) {
			failed = 1;
			break;
		}
		if (row.len != header.len) {
			pe_diag_error(diag, &row.items[0]->mark,
				      "CSV row has %zu field%s but the header "
				      "has %zu",
				      row.len, row.len == 1 ? "" : "s",
				      header.len);
			failed = 1;
			break;
		}
		list_push(&cases, csv_row_map(doc, &header, &row, &shared));
	}
	free(header.items);
	free(row.items);
	finish_seq(doc, &cases);
	if (failed) {
		pe_doc_free(doc);
		return NULL;
	}
	return doc;
}

static struct pe_doc *load_yaml(const char *path, const char *data, size_t len,
				struct pe_diag *diag)
{
	struct pe_doc *doc =
		pe_yaml_load(path, data, len, PE_DATASET_MAX_FILE, diag);
	struct pe_node *root;
	struct pe_mark m = { path, 1, 1 };

	if (!doc)
		return NULL;
	root = doc->root;
	if (root && root->kind == PE_NODE_MAP) {
		struct pe_node *list = pe_node_get(root, "testData");

		root = list ? list : pe_node_get(root, "cases");
	}
	if (!root || root->kind != PE_NODE_SEQ) {
		pe_diag_error(diag, root ? &root->mark : &m,
			      "a YAML dataset must be a list of test cases "
			      "(or a mapping with a 'testData' list)");
		pe_doc_free(doc);
		return NULL;
	}
	doc->root = root;
	return doc;
}

/* Loads a dataset file; see dataset.h. */
struct pe_doc *pe_dataset_load(const char *path, struct pe_diag *diag)
{
	struct pe_doc *doc = NULL;
	struct pe_mark m = { path, 0, 0 };
	struct stat st;
	char *data;
	size_t len;

	/* A FIFO named by a prompt file would block the read. */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		pe_diag_error(diag, &m, "not a regular file");
		return NULL;
	}
	if (pe_file_read(path, PE_DATASET_MAX_FILE, &data, &len, diag))
		return NULL;
	if (pe_ends_with(path, ".jsonl") || pe_ends_with(path, ".csv")) {
		int csv = pe_ends_with(path, ".csv");

		doc = pe_doc_new(path, data, len);
		if (check_text(doc, csv, diag)) {
			pe_doc_free(doc);
			doc = NULL;
		} else {
			doc = csv ? load_csv(doc, diag) : load_jsonl(doc, diag);
		}
	} else if (pe_ends_with(path, ".yaml") || pe_ends_with(path, ".yml"))
		doc = load_yaml(path, data, len, diag);
	else
		pe_diag_error(diag, &m,
			      "unknown dataset format: use .jsonl, .csv, "
			      ".yaml or .yml");
	free(data);
	return doc;
}
