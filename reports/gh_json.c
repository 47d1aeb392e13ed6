/*
 * The gh-json report: gh-eval.json, the document "gh models eval --json"
 * prints, so that a workflow reading that output can run prompteval in
 * its place.  gh-models evaluates one prompt file with one model, so the
 * rows are grouped by prompt file x model x temperature x repeat, in the
 * order results.json has them; one group is written as one document, more
 * as a JSON array of documents.
 *
 * The bytes follow gh-models: its keys in its order, its value types and
 * Go's json.MarshalIndent with two spaces.  The document is built compact
 * first, as encoding/json's Marshal writes it (floats as strconv writes
 * a float64, strings with <, >, & and U+2028/U+2029 escaped, map keys
 * sorted), then indented as json.Indent does.  testCase is the test case
 * as the prompt file writes it, so it is taken from the suite, which only
 * "run" has (needs_suite).
 *
 * Where prompteval knows more than gh-models, the document says so in
 * gh-models' own fields: a case that is ungraded or in error is not
 * passed (gh-models has no such status), an evaluator that did not run
 * has passed false, score 0 and details "not run: <reason>", and a case
 * whose call failed lists its evaluators with that error.
 */
#include "reports/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/node.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/load/suite.h"
#include "harness/core/banned.h"

struct gh_state {
	FILE *out;
	const struct pe_suite *suite;
	const struct pe_result **rows;
	size_t nrows;
	size_t alloc;
};

/* One document: the rows of one prompt file, model, temperature, repeat. */
struct gh_group {
	const struct pe_result *first; /* names the group */
	size_t from, to;	       /* its rows are among rows[from..to) */
};

/* Strings as Go's encoding/json writes them */

/* Appends \uXXXX for code point cp (below U+10000). */
static void add_u_escape(struct pe_buf *b, unsigned long cp)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\',
			'u',
			hex[(cp >> 12) & 15],
			hex[(cp >> 8) & 15],
			hex[(cp >> 4) & 15],
			hex[cp & 15] };

	pe_buf_add(b, esc, sizeof(esc));
}

/* Appends one ASCII byte of a string, escaped as Go escapes it. */
static void add_go_ascii(struct pe_buf *b, unsigned char c)
{
	switch (c) {
	case '"':
		pe_buf_adds(b, "\\\"");
		break;
	case '\\':
		pe_buf_adds(b, "\\\\");
		break;
	case '\b':
		pe_buf_adds(b, "\\b");
		break;
	case '\f':
		pe_buf_adds(b, "\\f");
		break;
	case '\n':
		pe_buf_adds(b, "\\n");
		break;
	case '\r':
		pe_buf_adds(b, "\\r");
		break;
	case '\t':
		pe_buf_adds(b, "\\t");
		break;
	default:
		/* HTML-safe, as json.Marshal is: <, > and & are escaped. */
		if (c < 0x20 || c == '<' || c == '>' || c == '&')
			add_u_escape(b, c);
		else
			pe_buf_addc(b, (char)c);
	}
}

/*
 * Appends s as a JSON string literal the way Go's encoding/json writes
 * it (Go 1.22 and later): \b and \f by name, other control characters,
 * <, > and & as \u00XX, U+2028 and U+2029 escaped, and each byte that is
 * not part of well-formed UTF-8 as \ufffd.
 */
static void add_go_string(struct pe_buf *b, const char *s, size_t len)
{
	pe_buf_addc(b, '"');
	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n;

		if ((unsigned char)s[i] < 0x80) {
			add_go_ascii(b, (unsigned char)s[i++]);
			continue;
		}
		n = pe_utf8_decode(s + i, len - i, &cp);
		if (!n)
			add_u_escape(b, 0xfffd);
		else if (cp == 0x2028 || cp == 0x2029)
			add_u_escape(b, cp);
		else
			pe_buf_add(b, s + i, n);
		i += n ? n : 1;
	}
	pe_buf_addc(b, '"');
}

static void add_go_cstring(struct pe_buf *b, const char *s)
{
	add_go_string(b, s ? s : "", s ? strlen(s) : 0);
}

/* Numbers as Go's encoding/json writes a float64 */

/*
 * Appends a finite v as strconv.FormatFloat(v, fmt, -1, 64) followed by
 * encoding/json's clean-up: the shortest digits that read back as v, in
 * plain notation ('f') unless 0 < |v| < 1e-6 or |v| >= 1e21, then as
 * d.ddde+XX, with a negative exponent's leading zero dropped (1e-7).
 * NEEDSWORK: the shortest digits are found by trying %.*e at each
 * precision; where the nearest decimal of some length does not read back
 * but another of that length does (next to a power of two), Go writes one
 * digit fewer.
 */
static void add_go_float(struct pe_buf *b, double v)
{
	char e[40], digits[24];
	size_t ndigits = 0;
	const char *p;
	long exp;
	int prec = 0;
	double abs = fabs(v);

	/*
	 * strtod reads back our own %e output, not input, so it needs no
	 * checked wrapper; 17 digits (precision 16) always read back.
	 */
	for (;; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, v);
		if (prec >= 16 || strtod(e, NULL) == v)
			break;
	}
	for (p = e; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[ndigits++] = *p;
	digits[ndigits] = '\0';
	exp = strtol(p + 1, NULL, 10);
	if (signbit(v))
		pe_buf_addc(b, '-');
	if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
		pe_buf_addc(b, digits[0]);
		if (ndigits > 1)
			pe_buf_addf(b, ".%s", digits + 1);
		pe_buf_addf(b, exp < 0 ? "e-%ld" : "e+%02ld", labs(exp));
	} else if (exp < 0) {
		pe_buf_adds(b, "0.");
		for (long i = exp + 1; i < 0; i++)
			pe_buf_addc(b, '0');
		pe_buf_adds(b, digits);
	} else {
		for (long i = 0; i <= exp; i++)
			pe_buf_addc(b, (size_t)i < ndigits ? digits[i] : '0');
		if (ndigits > (size_t)exp + 1)
			pe_buf_addf(b, ".%s", digits + exp + 1);
	}
}

/* Test data as Go decodes YAML into interface{} and marshals it */

static void add_go_node(struct pe_buf *b, const struct pe_node *n);

static int compare_pairs(const void *a, const void *b)
{
	const struct pe_pair *x = *(const struct pe_pair *const *)a;
	const struct pe_pair *y = *(const struct pe_pair *const *)b;
	size_t len = x->key->len < y->key->len ? x->key->len : y->key->len;
	int c = memcmp(x->key->text, y->key->text, len);

	if (c)
		return c;
	return x->key->len < y->key->len ? -1 : x->key->len > y->key->len;
}

/* A mapping is a Go map: its keys sorted bytewise. */
static void add_go_map(struct pe_buf *b, const struct pe_node *n)
{
	const struct pe_pair **pairs =
		xcalloc(n->npairs ? n->npairs : 1, sizeof(*pairs));

	for (size_t i = 0; i < n->npairs; i++)
		pairs[i] = &n->pairs[i];
	qsort(pairs, n->npairs, sizeof(*pairs), compare_pairs);
	pe_buf_addc(b, '{');
	for (size_t i = 0; i < n->npairs; i++) {
		if (i)
			pe_buf_addc(b, ',');
		add_go_string(b, pairs[i]->key->text, pairs[i]->key->len);
		pe_buf_addc(b, ':');
		add_go_node(b, pairs[i]->value);
	}
	pe_buf_addc(b, '}');
	free(pairs);
}

/*
 * Appends a test-data value: integers exactly, floats as Go writes them,
 * and a float too large for a double as its text (yaml.v3 keeps it as a
 * string).
 */
static void add_go_node(struct pe_buf *b, const struct pe_node *n)
{
	switch (n ? n->kind : PE_NODE_NULL) {
	case PE_NODE_NULL:
		pe_buf_adds(b, "null");
		break;
	case PE_NODE_BOOL:
		pe_buf_adds(b, n->bval ? "true" : "false");
		break;
	case PE_NODE_INT:
		pe_buf_addf(b, "%lld", n->ival);
		break;
	case PE_NODE_FLOAT:
		if (isfinite(n->fval))
			add_go_float(b, n->fval);
		else
			add_go_string(b, n->text, n->len);
		break;
	case PE_NODE_STRING:
		add_go_string(b, n->text, n->len);
		break;
	case PE_NODE_SEQ:
		pe_buf_addc(b, '[');
		for (size_t i = 0; i < n->count; i++) {
			if (i)
				pe_buf_addc(b, ',');
			add_go_node(b, n->items[i]);
		}
		pe_buf_addc(b, ']');
		break;
	case PE_NODE_MAP:
		add_go_map(b, n);
		break;
	}
}

/*
 * The size of n written out, in bytes of its scalars plus one a node, as
 * far as max: aliases share nodes, so a small file can expand a billion
 * times (the YAML "billion laughs"), and the count stops once past max.
 */
static size_t expanded_size(const struct pe_node *n, size_t max)
{
	size_t size = 1;

	if (n && pe_node_is_scalar(n))
		return size + n->len;
	for (size_t i = 0;
	     n && n->kind == PE_NODE_SEQ && i < n->count && size <= max; i++)
		size += expanded_size(n->items[i], max - size);
	for (size_t i = 0;
	     n && n->kind == PE_NODE_MAP && i < n->npairs && size <= max; i++) {
		size += n->pairs[i].key->len;
		if (size <= max)
			size += expanded_size(n->pairs[i].value, max - size);
	}
	return size;
}

/*
 * Appends a test case as written, or null when it expands past the 16 MiB
 * a prompt file may hold (shared by aliases; gh-models would expand it).
 */
static void add_test_case(struct pe_buf *b, const struct pe_node *item)
{
	if (expanded_size(item, PE_PROMPT_MAX_FILE) > PE_PROMPT_MAX_FILE)
		pe_buf_adds(b, "null");
	else
		add_go_node(b, item);
}

/* json.Indent with no prefix and two spaces */

static void add_newline(struct pe_buf *b, size_t depth)
{
	pe_buf_addc(b, '\n');
	for (size_t i = 0; i < depth; i++)
		pe_buf_adds(b, "  ");
}

/*
 * Indents compact JSON as Go's json.Indent(dst, src, "", "  ") does: a
 * newline after each opening bracket and comma, ": " after a key, and
 * empty objects and arrays kept as {} and [].
 */
static void indent_go(struct pe_buf *out, const char *s, size_t len)
{
	size_t depth = 0;
	int in_string = 0, need_indent = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (need_indent && c != '}' && c != ']') {
			need_indent = 0;
			add_newline(out, ++depth);
		}
		if (in_string) {
			pe_buf_addc(out, c);
			if (c == '\\')
				pe_buf_addc(out, s[++i]);
			else if (c == '"')
				in_string = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_string = 1;
			pe_buf_addc(out, c);
			break;
		case '{':
		case '[':
			need_indent = 1;
			pe_buf_addc(out, c);
			break;
		case ',':
			pe_buf_addc(out, c);
			add_newline(out, depth);
			break;
		case ':':
			pe_buf_adds(out, ": ");
			break;
		case '}':
		case ']':
			if (need_indent)
				need_indent = 0;
			else
				add_newline(out, --depth);
			pe_buf_addc(out, c);
			break;
		default:
			pe_buf_addc(out, c);
		}
	}
}

/* Finding a row's prompt and test case in the suite */

static const struct pe_prompt *find_prompt(const struct pe_suite *suite,
					   const char *file)
{
	for (size_t i = 0; file && i < suite->nfiles; i++) {
		const struct pe_prompt *p = suite->files[i].prompt;

		if (p && !strcmp(p->path, file))
			return p;
	}
	return NULL;
}

/* The row's test case: by its index, checked by its id, else by id. */
static const struct pe_case *find_case(const struct pe_prompt *p,
				       const struct pe_result *row)
{
	if (!p || !row->case_id)
		return NULL;
	if (row->case_index < p->ncases &&
	    !strcmp(p->cases[row->case_index].id, row->case_id))
		return &p->cases[row->case_index];
	for (size_t i = 0; i < p->ncases; i++)
		if (!strcmp(p->cases[i].id, row->case_id))
			return &p->cases[i];
	return NULL;
}

/* Writing one document */

/*
 * The "model" field: the prompt file's own model when the row ran it
 * ("openai/gpt-4o" ran as "github:openai/gpt-4o"), else the model
 * prompteval ran (-m echo:, another model, an alias).
 */
static const char *doc_model(const struct pe_prompt *p, const char *model)
{
	const char *colon = model ? strchr(model, ':') : NULL;

	if (p && p->model && model &&
	    (!strcmp(model, p->model) ||
	     (colon && !strcmp(colon + 1, p->model))))
		return p->model;
	return model;
}

/* The prompt file's "name" as written, "" when it has none. */
static const char *doc_name(const struct pe_prompt *p)
{
	const struct pe_node *n =
		p && p->doc ? pe_node_get(p->doc->root, "name") : NULL;

	return n && pe_node_is_scalar(n) && n->kind != PE_NODE_NULL ? n->text
								    : "";
}

static void add_evaluator(struct pe_buf *b, const char *name, double score,
			  int passed, const char *prefix, const char *details)
{
	pe_buf_adds(b, "{\"evaluatorName\":");
	add_go_cstring(b, name);
	pe_buf_adds(b, ",\"score\":");
	add_go_float(b, isfinite(score) ? score : 0);
	pe_buf_adds(b, passed ? ",\"passed\":true" : ",\"passed\":false");
	/* Go's omitempty: no details key for an empty string. */
	if ((prefix && *prefix) || (details && *details)) {
		struct pe_buf text;

		pe_buf_init(&text, 0);
		pe_buf_adds(&text, prefix ? prefix : "");
		pe_buf_adds(&text, details ? details : "");
		pe_buf_adds(b, ",\"details\":");
		add_go_string(b, text.data, text.len);
		pe_buf_release(&text);
	}
	pe_buf_addc(b, '}');
}

/* An evaluator prompteval ran (or skipped) for the row. */
static void add_row_evaluator(struct pe_buf *b,
			      const struct pe_result_evaluator *ev)
{
	switch (ev->status) {
	case PE_VERDICT_PASS:
	case PE_VERDICT_FAIL:
		add_evaluator(b, ev->name, ev->score,
			      ev->status == PE_VERDICT_PASS, NULL, ev->reason);
		break;
	case PE_VERDICT_ERROR:
		add_evaluator(b, ev->name, 0, 0, "error: ",
			      ev->reason ? ev->reason : "no reason recorded");
		break;
	default:
		add_evaluator(b, ev->name, 0, 0,
			      "not run: ", ev->reason ? ev->reason : "skipped");
	}
}

/*
 * A row whose call failed has no evaluator results: its evaluators, as
 * the prompt file lists them, are written as not run, with the error.
 */
static void add_unrun_evaluators(struct pe_buf *b, const struct pe_prompt *p,
				 const struct pe_case *c, const char *error)
{
	size_t n = 0;

	pe_buf_addc(b, '[');
	for (size_t i = 0; i < p->nevaluators; i++, n++) {
		if (n)
			pe_buf_addc(b, ',');
		add_evaluator(b, p->evaluators[i].name, 0, 0,
			      "not run: ", error);
	}
	for (size_t i = 0; i < c->nevaluators; i++, n++) {
		if (n)
			pe_buf_addc(b, ',');
		add_evaluator(b, c->evaluators[i].name, 0, 0,
			      "not run: ", error);
	}
	pe_buf_addc(b, ']');
}

/* The evaluationResults array, or null when there is none (as Go's nil). */
static void add_evaluations(struct pe_buf *b, const struct pe_prompt *p,
			    const struct pe_case *c,
			    const struct pe_result *row)
{
	if (!row->nevaluators && row->status == PE_VERDICT_ERROR &&
	    p->nevaluators + c->nevaluators) {
		add_unrun_evaluators(b, p, c,
				     row->error ? row->error : "error");
		return;
	}
	if (!row->nevaluators) {
		pe_buf_adds(b, "null");
		return;
	}
	pe_buf_addc(b, '[');
	for (size_t i = 0; i < row->nevaluators; i++) {
		if (i)
			pe_buf_addc(b, ',');
		add_row_evaluator(b, &row->evaluators[i]);
	}
	pe_buf_addc(b, ']');
}

/* Trimming as Go's strings.TrimSpace does */

static int is_go_space(unsigned long cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000;
}

/*
 * Narrows [*start, *end) of s past the white space at both ends, as
 * strings.TrimSpace does (Unicode white space; a byte that is not
 * well-formed UTF-8 stops it).
 */
static void trim_go_space(const char *s, size_t *start, size_t *end)
{
	unsigned long cp;
	size_t n;

	while (*start < *end &&
	       (n = pe_utf8_decode(s + *start, *end - *start, &cp)) &&
	       is_go_space(cp))
		*start += n;
	while (*end > *start) {
		size_t at = *end - 1;

		while (at > *start && *end - at < 4 &&
		       pe_utf8_continues((unsigned char)s[at]))
			at--;
		n = pe_utf8_decode(s + at, *end - at, &cp);
		if (n != *end - at || !is_go_space(cp))
			break;
		*end = at;
	}
}

static void add_test_result(struct pe_buf *b, const struct pe_prompt *p,
			    const struct pe_case *c,
			    const struct pe_result *row)
{
	size_t start = 0, end = row->output ? row->output_len : 0;

	pe_buf_adds(b, "{\"testCase\":");
	add_test_case(b, c->item);
	pe_buf_adds(b, ",\"modelResponse\":");
	trim_go_space(row->output, &start, &end);
	add_go_string(b, row->output ? row->output + start : "", end - start);
	pe_buf_adds(b, ",\"evaluationResults\":");
	add_evaluations(b, p, c, row);
	pe_buf_addc(b, '}');
}

/* Whether rows a and b belong to one document. */
static int same_group(const struct pe_result *a, const struct pe_result *b)
{
	return !strcmp(a->file ? a->file : "", b->file ? b->file : "") &&
	       !strcmp(a->model ? a->model : "", b->model ? b->model : "") &&
	       a->has_temperature == b->has_temperature &&
	       (!a->has_temperature || a->temperature == b->temperature) &&
	       a->repeat == b->repeat;
}

/*
 * Appends one document, compact: the group's test cases in results
 * order, and the summary.  A prompt without test data has testResults
 * null and no tests, as gh-models writes it.
 */
static void add_document(struct pe_buf *b, const struct gh_state *st,
			 const struct gh_group *g)
{
	const struct pe_prompt *p = find_prompt(st->suite, g->first->file);
	size_t total = 0, passed = 0;

	pe_buf_adds(b, "{\"name\":");
	add_go_cstring(b, doc_name(p));
	pe_buf_adds(b, ",\"description\":");
	add_go_cstring(b, p ? p->description : NULL);
	pe_buf_adds(b, ",\"model\":");
	add_go_cstring(b, doc_model(p, g->first->model));
	pe_buf_adds(b, ",\"testResults\":");
	for (size_t i = g->from; i < g->to; i++) {
		const struct pe_result *row = st->rows[i];
		const struct pe_case *c = find_case(p, row);

		if (!c || !same_group(row, g->first))
			continue;
		pe_buf_addc(b, total++ ? ',' : '[');
		add_test_result(b, p, c, row);
		passed += row->status == PE_VERDICT_PASS;
	}
	pe_buf_adds(b, total ? "]" : "null");
	pe_buf_addf(b,
		    ",\"summary\":{\"totalTests\":%zu,\"passedTests\":%zu,"
		    "\"failedTests\":%zu,\"passRate\":",
		    total, passed, total - passed);
	add_go_float(b, total ? (double)passed / (double)total * 100 : 100);
	pe_buf_adds(b, "}}");
}

/*
 * Splits the rows into groups in the order they first appear.  Rows are
 * sorted by prompt file first, so a group's rows lie between the first
 * and the last row of its file.  Returns the number of groups in *out.
 */
static size_t find_groups(const struct gh_state *st, struct gh_group **out)
{
	size_t n = 0, alloc = 0, file_start = 0, file_row = 0;

	*out = NULL;
	for (size_t i = 0; i < st->nrows; i++) {
		const struct pe_result *row = st->rows[i];
		size_t k;

		if (i &&
		    strcmp(row->file ? row->file : "",
			   st->rows[file_row]->file ? st->rows[file_row]->file
						    : "")) {
			file_start = n;
			file_row = i;
		}
		for (k = file_start; k < n; k++)
			if (same_group((*out)[k].first, row))
				break;
		if (k == n) {
			pe_grow(out, &alloc, n + 1, sizeof(**out));
			(*out)[n].first = row;
			(*out)[n++].from = i;
		}
		(*out)[k].to = i + 1;
	}
	return n;
}

/* The writer */

static void *gh_begin(const struct pe_report_input *in, FILE *out)
{
	struct gh_state *st = xcalloc(1, sizeof(*st));

	st->out = out;
	st->suite = in->suite;
	return st;
}

static void gh_add(void *state, const struct pe_result *row)
{
	struct gh_state *st = state;

	pe_grow(&st->rows, &st->alloc, st->nrows + 1, sizeof(*st->rows));
	st->rows[st->nrows++] = row;
}

static int gh_end(void *state)
{
	struct gh_state *st = state;
	struct gh_group *groups;
	size_t ngroups = find_groups(st, &groups);
	struct pe_buf compact, indented;
	int rc;

	pe_buf_init(&compact, 0);
	pe_buf_init(&indented, 0);
	if (ngroups != 1)
		pe_buf_addc(&compact, '[');
	for (size_t g = 0; g < ngroups; g++) {
		if (g)
			pe_buf_addc(&compact, ',');
		add_document(&compact, st, &groups[g]);
	}
	if (ngroups != 1)
		pe_buf_addc(&compact, ']');
	indent_go(&indented, compact.data, compact.len);
	pe_buf_addc(&indented, '\n');
	fwrite(indented.data, 1, indented.len, st->out);
	rc = ferror(st->out) || fflush(st->out) ? PE_ERR_IO : PE_OK;
	pe_buf_release(&compact);
	pe_buf_release(&indented);
	free(groups);
	free(st->rows);
	free(st);
	return rc;
}

const struct pe_report_ops pe_report_gh_json = {
	.name = "gh-json",
	.file_name = "gh-eval.json",
	.needs_suite = 1,
	.begin = gh_begin,
	.add = gh_add,
	.end = gh_end,
};
