/*
 * Dataset readers.  JSONL records go through the JSON module line by line,
 * so an error names the line; CSV is parsed here (quoted fields, doubled
 * quotes, CRLF, newlines inside quotes) and every cell keeps its own mark.
 */
#include "harness/load/dataset.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
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

static struct pe_node *csv_row_map(struct pe_doc *doc,
				   const struct node_list *header,
				   const struct node_list *row)
{
	struct pe_node *map =
		pe_doc_node(doc, PE_NODE_MAP, &row->items[0]->mark);

	map->pairs = pe_doc_alloc(doc, header->len * sizeof(*map->pairs));
	for (size_t i = 0; i < header->len; i++) {
		map->pairs[i].key = header->items[i];
		map->pairs[i].value = row->items[i];
	}
	map->npairs = header->len;
	return map;
}

static int csv_check_header(const struct node_list *header,
			    struct pe_diag *diag)
{
	for (size_t i = 0; i < header->len; i++) {
		if (!header->items[i]->len) {
			pe_diag_error(diag, &header->items[i]->mark,
				      "empty column name in the CSV header");
			return PE_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(header->items[i]->text,
				    header->items[j]->text)) {
				pe_diag_error(diag, &header->items[i]->mark,
					      "duplicate CSV column '%s'",
					      header->items[i]->text);
				return PE_ERR_INVALID;
			}
		}
	}
	return PE_OK;
}

static struct pe_doc *load_csv(struct pe_doc *doc, struct pe_diag *diag)
{
	struct csv_reader r = { doc, doc->source, doc->source + doc->source_len,
				1, 1 };
	struct node_list header = { 0 }, row = { 0 }, cases = { 0 };
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
		list_push(&cases, csv_row_map(doc, &header, &row));
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
	struct pe_doc *doc = pe_yaml_load(path, data, len, diag);
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
	char *data;
	size_t len;

	if (pe_file_read(path, PE_DATASET_MAX_FILE, &data, &len, diag))
		return NULL;
	if (pe_ends_with(path, ".jsonl"))
		doc = load_jsonl(pe_doc_new(path, data, len), diag);
	else if (pe_ends_with(path, ".csv"))
		doc = load_csv(pe_doc_new(path, data, len), diag);
	else if (pe_ends_with(path, ".yaml") || pe_ends_with(path, ".yml"))
		doc = load_yaml(path, data, len, diag);
	else
		pe_diag_error(diag, &m,
			      "unknown dataset format: use .jsonl, .csv, "
			      ".yaml or .yml");
	free(data);
	return doc;
}
