/*
 * The results reader.  The JSON module parses the file into document
 * nodes, which all carry the mark of the text they came from.  A row is
 * parsed on its own (a journal line, or an element of a document's
 * "results" list, found by split_results), read, and its nodes let go,
 * so that memory holds the rows and not a tree of every value: a row's
 * strings and evaluators are copied into a document of their own (keep).
 * A document whose shape the splitter does not take is parsed whole, as
 * the one tree, so its messages are the whole parse's.  To point a
 * message at the key that is wrong, a small scanner walks the source
 * text, which the parse has already proven valid, to the byte where a
 * row, an object or a key starts; it runs only to place messages and
 * once per row for its line.
 */
#include "harness/results/resultset.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

#define NO_OFFSET SIZE_MAX

struct pe_resultset {
	struct pe_doc *doc;
	struct pe_doc *keep; /* the rows' strings when not in doc, or NULL */
	const char *command;
	long schema_version; /* 0 for a journal */
	int has_plan;
	int has_partial;
	struct pe_partial partial;
	struct pe_plan_info plan;
	struct pe_result *rows;
	size_t nrows;
	size_t alloc;
	size_t *by_id; /* row indices sorted by id, for pe_resultset_find */
	struct pe_case_table *cases; /* borrows from doc; empty before v4 */
};

/* The object being read, for placing messages. */
struct where {
	size_t start; /* its '{' in the document's source */
	size_t end;
	const char *what; /* "result row", "'call'" or "evaluator" */
};

struct reader {
	struct pe_doc *doc;
	/*
	 * Where a row's strings and evaluators go: doc, or a document of
	 * their own when each row is parsed and let go (read_split).
	 */
	struct pe_doc *keep;
	struct pe_diag *diag;
	int failed;
	/*
	 * The place of the last message, so that the next one's is counted
	 * on from there: rows come in order, and counting from the start of
	 * a large file for each message of many would take its size times
	 * theirs.
	 */
	size_t placed_at;
	struct pe_mark placed;
};

/* n's text (len bytes and a NUL) where rows keep their strings. */
static const char *kept_text(struct reader *r, const struct pe_node *n)
{
	return r->keep == r->doc ? n->text
				 : pe_doc_strndup(r->keep, n->text, n->len);
}

/* The scanner: offsets into text that is known to be valid JSON. */

static size_t skip_ws(const char *s, size_t i, size_t end)
{
	while (i < end &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

/*
 * The end of the string at s[i], or of the value, as the splitter of
 * unparsed text below needs them: NO_OFFSET where the text ends first.
 */
static size_t scan_string(const char *s, size_t i, size_t end)
{
	for (i++; i < end; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return NO_OFFSET;
}

/*
 * As deep as a row may nest to be read on its own as in the whole: a row
 * sits at depth 2 of its document (the object, then "results").
 */
enum { ROW_MAX_DEPTH = PE_JSON_MAX_DEPTH - 2 };

/*
 * The end of the value at s[i]; NO_OFFSET, too, when it nests more than
 * max_depth levels below itself.
 */
static size_t scan_value(const char *s, size_t i, size_t end, size_t max_depth)
{
	size_t from = i, depth = 0;

	if (i < end && s[i] == '"')
		return scan_string(s, i, end);
	if (i < end && (s[i] == '{' || s[i] == '[')) {
		while (i < end) {
			if (s[i] == '"') {
				i = scan_string(s, i, end);
				if (i == NO_OFFSET)
					return NO_OFFSET;
				continue;
			}
			if ((s[i] == '{' || s[i] == '[') &&
			    ++depth > max_depth + 1)
				return NO_OFFSET;
			if ((s[i] == '}' || s[i] == ']') && !--depth)
				return i + 1;
			i++;
		}
		return NO_OFFSET;
	}
	while (i < end && s[i] && !strchr(",]} \t\r\n", s[i]))
		i++;
	return i > from ? i : NO_OFFSET;
}

/* The end of the string or value at s[i] in text known to be valid. */
static size_t skip_string(const char *s, size_t i, size_t end)
{
	size_t stop = scan_string(s, i, end);

	return stop == NO_OFFSET ? end : stop;
}

static size_t skip_value(const char *s, size_t i, size_t end)
{
	size_t stop = scan_value(s, i, end, SIZE_MAX - 1);

	return stop == NO_OFFSET ? end : stop;
}

/*
 * Finds member key of the object whose '{' is at s[i]: returns the offset
 * of the key's opening quote and stores where its value starts in *value,
 * or returns NO_OFFSET.
 */
static size_t find_member(const char *s, size_t i, size_t end, const char *key,
			  size_t *value)
{
	size_t klen = strlen(key);

	if (i >= end || s[i] != '{')
		return NO_OFFSET;
	i = skip_ws(s, i + 1, end);
	while (i < end && s[i] == '"') {
		size_t key_at = i, after = skip_string(s, i, end);
		int match = after - key_at == klen + 2 &&
			    !memcmp(s + key_at + 1, key, klen);

		i = skip_ws(s, after, end);
		i = skip_ws(s, i + 1, end); /* the ':' */
		if (match) {
			*value = i;
			return key_at;
		}
		i = skip_ws(s, skip_value(s, i, end), end);
		if (i < end && s[i] == ',')
			i = skip_ws(s, i + 1, end);
	}
	return NO_OFFSET;
}

/* Stores where each of the first n elements of the array at s[i] starts. */
static void element_starts(const char *s, size_t i, size_t end, size_t *starts,
			   size_t n)
{
	i = skip_ws(s, i + 1, end);
	for (size_t k = 0; k < n; k++) {
		starts[k] = i;
		i = skip_ws(s, skip_value(s, i, end), end);
		if (i < end && s[i] == ',')
			i = skip_ws(s, i + 1, end);
	}
}

/*
 * The "results" array of a document not yet parsed, found by a scanner
 * that gives up (NO_OFFSET) wherever the text is not the shape it
 * expects: each element is then parsed and read on its own, and its
 * nodes let go (read_document), instead of the whole document's nodes living
 * as long as the set.
 */
struct split {
	size_t open, close; /* the array's '[' and ']' */
	size_t *starts, *ends;
	size_t count, alloc;
};

/* Splits the array whose '[' is at s[open]; 0, or -1 for another shape. */
static int split_array(const char *s, size_t open, size_t end, struct split *sp)
{
	size_t i = skip_ws(s, open + 1, end);

	sp->open = open;
	if (i < end && s[i] == ']') {
		sp->close = i;
		return 0;
	}
	for (;;) {
		size_t stop = scan_value(s, i, end, ROW_MAX_DEPTH);

		if (stop == NO_OFFSET)
			return -1;
		if (sp->count == sp->alloc) {
			pe_grow(&sp->starts, &sp->alloc, sp->count + 1,
				sizeof(*sp->starts));
			sp->ends = xrealloc(sp->ends,
					    sp->alloc * sizeof(*sp->ends));
		}
		sp->starts[sp->count] = i;
		sp->ends[sp->count++] = stop;
		i = skip_ws(s, stop, end);
		if (i < end && s[i] == ',') {
			i = skip_ws(s, i + 1, end);
			continue;
		}
		if (i < end && s[i] == ']') {
			sp->close = i;
			return 0;
		}
		return -1;
	}
}

/*
 * Finds the top-level "results" array of s and its elements; 0, or -1
 * when s is not an object with one such array and plain keys (anything
 * else is left to the parse of the whole document and its messages).
 */
static int split_results(const char *s, size_t end, struct split *sp)
{
	size_t i = skip_ws(s, 0, end);
	int seen = 0;

	if (i >= end || s[i] != '{')
		return -1;
	i = skip_ws(s, i + 1, end);
	while (i < end && s[i] == '"') {
		size_t key = i, key_end = scan_string(s, i, end), value;

		if (key_end == NO_OFFSET ||
		    memchr(s + key, '\\', key_end - key))
			return -1;
		i = skip_ws(s, key_end, end);
		if (i >= end || s[i] != ':')
			return -1;
		value = skip_ws(s, i + 1, end);
		if (key_end - key == 9 && !memcmp(s + key, "\"results\"", 9)) {
			if (seen || value >= end || s[value] != '[' ||
			    split_array(s, value, end, sp))
				return -1;
			seen = 1;
			i = sp->close + 1;
		} else if ((i = scan_value(s, value, end, SIZE_MAX - 1)) ==
			   NO_OFFSET) {
			return -1;
		}
		i = skip_ws(s, i, end);
		if (i < end && s[i] == ',')
			i = skip_ws(s, i + 1, end);
		else if (i < end && s[i] == '}')
			return seen && skip_ws(s, i + 1, end) == end ? 0 : -1;
		else
			return -1;
	}
	return -1;
}

static void split_release(struct split *sp)
{
	free(sp->starts);
	free(sp->ends);
}

/* Messages. */

static void error_at(struct reader *r, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The line and column of byte offset of the source (pe_doc_mark_at). */
static struct pe_mark place(struct reader *r, size_t offset)
{
	const char *s = r->doc->source;

	if (offset > r->doc->source_len)
		offset = r->doc->source_len;
	if (!r->placed.line || offset < r->placed_at) {
		r->placed = (struct pe_mark){ r->doc->path, 1, 1 };
		r->placed_at = 0;
	}
	pe_mark_advance(&r->placed, s, r->placed_at, offset);
	r->placed_at = offset;
	return r->placed;
}

static void error_at(struct reader *r, size_t offset, const char *fmt, ...)
{
	/* A message past the ones kept is only counted: no place needed. */
	struct pe_mark m = pe_diag_file_full(r->diag, r->doc->path)
				   ? (struct pe_mark){ r->doc->path, 0, 0 }
				   : place(r, offset);
	va_list ap;

	va_start(ap, fmt);
	pe_diag_vadd(r->diag, PE_SEV_ERROR, &m, fmt, ap);
	va_end(ap);
	r->failed = 1;
}

/* Where key sits in the object w, or the object's start. */
static size_t key_offset(const struct reader *r, const struct where *w,
			 const char *key)
{
	size_t value,
		at = find_member(r->doc->source, w->start, w->end, key, &value);

	return at == NO_OFFSET ? w->start : at;
}

static void mistyped(struct reader *r, const struct where *w, const char *key,
		     const char *want, const struct pe_node *n)
{
	error_at(r, key_offset(r, w, key), "'%s' must be %s, not a %s", key,
		 want, pe_node_kind_name(n->kind));
}

/* Returns member key of map, or NULL after a "missing" message. */
static const struct pe_node *member(struct reader *r, const struct where *w,
				    const struct pe_node *map, const char *key)
{
	const struct pe_node *n = pe_node_get(map, key);

	if (!n)
		error_at(r, w->start, "%s has no '%s'", w->what, key);
	return n;
}

/* Field readers: each leaves *out alone when the field is bad. */

/*
 * Stores the string node of key in *out (NULL for a null, when nullable)
 * and returns 1; returns 0, leaving *out alone, when the field is bad.
 */
static int get_string_node(struct reader *r, const struct where *w,
			   const struct pe_node *map, const char *key,
			   int nullable, const struct pe_node **out)
{
	const struct pe_node *n = member(r, w, map, key);

	if (!n)
		return 0;
	if (n->kind == PE_NODE_STRING ||
	    (n->kind == PE_NODE_NULL && nullable)) {
		*out = n->kind == PE_NODE_STRING ? n : NULL;
		return 1;
	}
	mistyped(r, w, key, nullable ? "a string or null" : "a string", n);
	return 0;
}

static void get_string(struct reader *r, const struct where *w,
		       const struct pe_node *map, const char *key, int nullable,
		       const char **out)
{
	const struct pe_node *n;

	if (get_string_node(r, w, map, key, nullable, &n))
		*out = n ? kept_text(r, n) : NULL;
}

static void get_count(struct reader *r, const struct where *w,
		      const struct pe_node *map, const char *key, int nullable,
		      long *out)
{
	const struct pe_node *n = member(r, w, map, key);

	if (!n)
		return;
	if (n->kind == PE_NODE_INT && n->ival >= 0 && n->ival <= LONG_MAX)
		*out = (long)n->ival;
	else if (n->kind == PE_NODE_NULL && nullable)
		*out = -1;
	else if (n->kind == PE_NODE_INT || n->kind == PE_NODE_FLOAT)
		error_at(r, key_offset(r, w, key),
			 "'%s' must be a whole number >= 0", key);
	else
		mistyped(r, w, key,
			 nullable ? "a whole number or null" : "a whole number",
			 n);
}

static void get_number(struct reader *r, const struct where *w,
		       const struct pe_node *map, const char *key, double *out)
{
	const struct pe_node *n = member(r, w, map, key);

	if (!n)
		return;
	if (n->kind == PE_NODE_INT || n->kind == PE_NODE_FLOAT)
		*out = n->fval;
	else if (n->kind == PE_NODE_NULL)
		*out = NAN;
	else
		mistyped(r, w, key, "a number or null", n);
}

static void get_bool(struct reader *r, const struct where *w,
		     const struct pe_node *map, const char *key, int *out)
{
	const struct pe_node *n = member(r, w, map, key);

	if (!n)
		return;
	if (n->kind == PE_NODE_BOOL)
		*out = n->bval;
	else
		mistyped(r, w, key, "true or false", n);
}

static void get_verdict(struct reader *r, const struct where *w,
			const struct pe_node *map, const char *key,
			enum pe_verdict *out)
{
	const struct pe_node *n = NULL;
	const char *s;
	int was_failed = r->failed;

	r->failed = 0;
	get_string_node(r, w, map, key, 0, &n);
	s = n ? n->text : NULL;
	if (!r->failed && pe_verdict_parse(s, out))
		error_at(r, key_offset(r, w, key),
			 "'%s' must be pass, fail, error, ungraded or skip, "
			 "not '%s'",
			 key, s);
	r->failed |= was_failed;
}

/* Reads one evaluator object. */
static void read_evaluator(struct reader *r, const struct pe_node *n,
			   const struct where *w, struct pe_result_evaluator *e)
{
	if (n->kind != PE_NODE_MAP) {
		error_at(r, w->start,
			 "each evaluator must be a mapping, not a %s",
			 pe_node_kind_name(n->kind));
		return;
	}
	get_string(r, w, n, "name", 0, &e->name);
	get_string(r, w, n, "kind", 0, &e->kind);
	get_verdict(r, w, n, "status", &e->status);
	get_number(r, w, n, "score", &e->score);
	get_number(r, w, n, "weight", &e->weight);
	get_bool(r, w, n, "negate", &e->negate);
	get_string(r, w, n, "reason", 1, &e->reason);
}

static void read_evaluators(struct reader *r, const struct where *row,
			    const struct pe_node *map, struct pe_result *out)
{
	const struct pe_node *n = member(r, row, map, "evaluators");
	struct pe_result_evaluator *evs;
	size_t value, *starts;

	if (!n)
		return;
	if (n->kind != PE_NODE_SEQ) {
		mistyped(r, row, "evaluators", "a list", n);
		return;
	}
	evs = pe_doc_alloc(r->keep, (n->count ? n->count : 1) * sizeof(*evs));
	starts = xcalloc(n->count ? n->count : 1, sizeof(*starts));
	if (find_member(r->doc->source, row->start, row->end, "evaluators",
			&value) != NO_OFFSET)
		element_starts(r->doc->source, value, row->end, starts,
			       n->count);
	for (size_t i = 0; i < n->count; i++) {
		struct where w = { starts[i], row->end, "evaluator" };

		if (!w.start)
			w.start = row->start;
		memset(&evs[i], 0, sizeof(evs[i]));
		read_evaluator(r, n->items[i], &w, &evs[i]);
	}
	free(starts);
	out->evaluators = evs;
	out->nevaluators = n->count;
}

static void read_call(struct reader *r, const struct where *row,
		      const struct pe_node *map, struct pe_result *out)
{
	const struct pe_node *n = member(r, row, map, "call");
	struct where w = { row->start, row->end, "'call'" };
	size_t value;
	long attempts = 0;

	if (!n || n->kind == PE_NODE_NULL)
		return;
	if (n->kind != PE_NODE_MAP) {
		mistyped(r, row, "call", "a mapping or null", n);
		return;
	}
	if (find_member(r->doc->source, row->start, row->end, "call", &value) !=
	    NO_OFFSET)
		w.start = value;
	out->has_call = 1;
	get_count(r, &w, n, "attempts", 0, &attempts);
	out->attempts = attempts > UINT_MAX ? UINT_MAX : (unsigned)attempts;
	get_bool(r, &w, n, "cached", &out->cached);
	get_count(r, &w, n, "http_status", 1, &out->http_status);
	if (out->http_status < 0)
		out->http_status = 0;
	get_number(r, &w, n, "first_byte_ms", &out->first_byte_ms);
	get_number(r, &w, n, "total_ms", &out->total_ms);
	get_count(r, &w, n, "tokens_in", 1, &out->tokens_in);
	get_count(r, &w, n, "tokens_out", 1, &out->tokens_out);
	get_string(r, &w, n, "finish_reason", 1, &out->finish_reason);
	get_string(r, &w, n, "served_model", 1, &out->served_model);
	/* Optional: files written before it have none. */
	if (pe_node_get(n, "request"))
		get_string(r, &w, n, "request", 1, &out->request);
}

/* "judge": optional (files before it have none), null or a mapping. */
static void read_judge(struct reader *r, const struct where *row,
		       const struct pe_node *map, struct pe_result *out)
{
	const struct pe_node *n = pe_node_get(map, "judge");
	struct where w = { row->start, row->end, "'judge'" };
	size_t value;
	long calls = 0;

	if (!n || n->kind == PE_NODE_NULL)
		return;
	if (n->kind != PE_NODE_MAP) {
		mistyped(r, row, "judge", "a mapping or null", n);
		return;
	}
	if (find_member(r->doc->source, row->start, row->end, "judge",
			&value) != NO_OFFSET)
		w.start = value;
	get_count(r, &w, n, "calls", 0, &calls);
	out->judge_calls = calls > UINT_MAX ? UINT_MAX : (unsigned)calls;
	get_string(r, &w, n, "model", 1, &out->judge_model);
	get_count(r, &w, n, "tokens_in", 1, &out->judge_tokens_in);
	get_count(r, &w, n, "tokens_out", 1, &out->judge_tokens_out);
	/* Files written before the judges' cache hits were counted lack these. */
	calls = 0;
	if (pe_node_get(n, "cached"))
		get_count(r, &w, n, "cached", 0, &calls);
	out->judge_cached =
		calls > out->judge_calls ? out->judge_calls : (unsigned)calls;
	if (pe_node_get(n, "cached_tokens_in"))
		get_count(r, &w, n, "cached_tokens_in", 1,
			  &out->judge_cached_tokens_in);
	if (pe_node_get(n, "cached_tokens_out"))
		get_count(r, &w, n, "cached_tokens_out", 1,
			  &out->judge_cached_tokens_out);
}

static void read_temperature(struct reader *r, const struct where *w,
			     const struct pe_node *map, struct pe_result *out)
{
	double t = NAN;
	int was_failed = r->failed;

	r->failed = 0;
	get_number(r, w, map, "temperature", &t);
	if (!r->failed && !isnan(t)) {
		out->has_temperature = 1;
		out->temperature = t;
	}
	r->failed |= was_failed;
}

static void read_output(struct reader *r, const struct where *w,
			const struct pe_node *map, struct pe_result *out)
{
	const struct pe_node *n = member(r, w, map, "output");

	if (!n || n->kind == PE_NODE_NULL)
		return;
	if (n->kind != PE_NODE_STRING) {
		mistyped(r, w, "output", "a string or null", n);
		return;
	}
	out->output = kept_text(r, n);
	out->output_len = n->len;
}

/*
 * Reads the row object n, whose text spans [start, end) of the source and
 * starts on line; returns 0 or PE_ERR_INVALID after recording messages.
 */
static int read_row(struct reader *r, const struct pe_node *n, size_t start,
		    size_t end, unsigned line, struct pe_result *out)
{
	struct where w = { start, end, "result row" };
	long case_index = 0, repeat = 0;

	memset(out, 0, sizeof(*out));
	out->score = out->first_byte_ms = out->total_ms = NAN;
	out->tokens_in = out->tokens_out = -1;
	out->judge_tokens_in = out->judge_tokens_out = -1;
	out->judge_cached_tokens_in = out->judge_cached_tokens_out = -1;
	out->line = line;
	r->failed = 0;
	get_string(r, &w, n, "id", 0, &out->id);
	get_string(r, &w, n, "prompt", 0, &out->prompt);
	get_string(r, &w, n, "file", 0, &out->file);
	get_string(r, &w, n, "case", 1, &out->case_id);
	get_count(r, &w, n, "case_index", 0, &case_index);
	get_string(r, &w, n, "model", 1, &out->model);
	read_temperature(r, &w, n, out);
	get_count(r, &w, n, "repeat", 0, &repeat);
	get_verdict(r, &w, n, "status", &out->status);
	/* Version 1 called an ungraded case "skip". */
	if (out->status == PE_VERDICT_SKIP)
		out->status = PE_VERDICT_UNGRADED;
	get_number(r, &w, n, "score", &out->score);
	get_string(r, &w, n, "error", 1, &out->error);
	read_call(r, &w, n, out);
	read_judge(r, &w, n, out);
	read_output(r, &w, n, out);
	read_evaluators(r, &w, n, out);
	/* Optional: files written before it have none. */
	if (pe_node_get(n, "scoring"))
		get_string(r, &w, n, "scoring", 1, &out->scoring);
	out->case_index = (size_t)case_index;
	out->repeat = repeat > UINT_MAX ? UINT_MAX : (unsigned)repeat;
	return r->failed ? PE_ERR_INVALID : PE_OK;
}

static struct pe_result *push_row(struct pe_resultset *rs)
{
	pe_grow(&rs->rows, &rs->alloc, rs->nrows + 1, sizeof(*rs->rows));
	return &rs->rows[rs->nrows++];
}

/*
 * Reads the document's "plan" ({id, jobs, shard: {index, count} or null},
 * or null), which "merge" checks shards against.
 */
static void read_plan(struct pe_resultset *rs, struct reader *r,
		      const struct where *doc, const struct pe_node *root)
{
	const struct pe_node *n = pe_node_get(root, "plan");
	const struct pe_node *shard;
	struct where w = { doc->start, doc->end, "'plan'" };
	const char *id = NULL;
	long jobs = 0, index = 0, count = 0;
	size_t value;

	if (n->kind == PE_NODE_NULL)
		return;
	if (n->kind != PE_NODE_MAP) {
		mistyped(r, doc, "plan", "a mapping or null", n);
		return;
	}
	if (find_member(r->doc->source, doc->start, doc->end, "plan", &value) !=
	    NO_OFFSET)
		w.start = value;
	get_string(r, &w, n, "id", 0, &id);
	get_count(r, &w, n, "jobs", 0, &jobs);
	shard = member(r, &w, n, "shard");
	if (shard && shard->kind == PE_NODE_MAP) {
		get_count(r, &w, shard, "index", 0, &index);
		get_count(r, &w, shard, "count", 0, &count);
	} else if (shard && shard->kind != PE_NODE_NULL) {
		mistyped(r, &w, "shard", "a mapping or null", shard);
	}
	if (id && strlen(id) != 64)
		error_at(r, key_offset(r, &w, "id"),
			 "'id' must be a plan id of 64 hexadecimal digits");
	if (r->failed || !id)
		return;
	memcpy(rs->plan.id, id, 65);
	rs->plan.jobs = (size_t)jobs;
	rs->plan.shard_index = (size_t)index;
	rs->plan.shard_count = (size_t)count;
	rs->has_plan = 1;
}

/* A node that may be JSON null: NULL for null. */
static const struct pe_node *unless_null(const struct pe_node *n)
{
	return n && n->kind != PE_NODE_NULL ? n : NULL;
}

/* Reads the "messages" of a case's inputs: [{role, content}]. */
static void read_case_messages(struct reader *r, const struct where *w,
			       const struct pe_node *map,
			       struct pe_case_input *out)
{
	const struct pe_node *n = member(r, w, map, "messages");
	struct pe_case_message *msgs;

	if (!n)
		return;
	if (n->kind != PE_NODE_SEQ) {
		mistyped(r, w, "messages", "a list", n);
		return;
	}
	msgs = pe_doc_alloc(r->doc, (n->count ? n->count : 1) * sizeof(*msgs));
	for (size_t i = 0; i < n->count; i++) {
		const struct pe_node *m = n->items[i];
		const struct pe_node *content = pe_node_get(m, "content");

		if (m->kind != PE_NODE_MAP) {
			error_at(r, w->start,
				 "each message must be a mapping, not a %s",
				 pe_node_kind_name(m->kind));
			return;
		}
		memset(&msgs[i], 0, sizeof(msgs[i]));
		get_string(r, w, m, "role", 0, &msgs[i].role);
		get_string(r, w, m, "content", 0, &msgs[i].content);
		if (msgs[i].content)
			msgs[i].content_len = content->len;
	}
	out->messages = msgs;
	out->nmessages = n->count;
}

/* Reads one entry of "cases" (cases.h). */
static void read_case_input(struct pe_resultset *rs, struct reader *r,
			    const struct pe_node *n, const struct where *w)
{
	struct pe_case_input in = { 0 };
	long case_index = 0;
	int was_failed = r->failed;

	if (n->kind != PE_NODE_MAP) {
		error_at(r, w->start,
			 "each case's inputs must be a mapping, not a %s",
			 pe_node_kind_name(n->kind));
		return;
	}
	r->failed = 0;
	get_string(r, w, n, "prompt", 0, &in.prompt);
	get_string(r, w, n, "file", 0, &in.file);
	get_string(r, w, n, "case", 1, &in.case_id);
	get_count(r, w, n, "case_index", 0, &case_index);
	in.case_index = (size_t)case_index;
	in.vars = unless_null(member(r, w, n, "vars"));
	in.expected = unless_null(member(r, w, n, "expected"));
	read_case_messages(r, w, n, &in);
	if (pe_node_get(n, "error"))
		get_string(r, w, n, "error", 1, &in.error);
	if (!r->failed && !pe_case_table_add(rs->cases, &in))
		error_at(r, w->start,
			 "the inputs of case '%s' of '%s' are "
			 "given twice",
			 in.case_id ? in.case_id : "(none)", in.prompt);
	r->failed |= was_failed;
}

/* Reads the document's "cases", the inputs of each case, when there are. */
static void read_cases(struct pe_resultset *rs, struct reader *r,
		       const struct where *doc, const struct pe_node *root)
{
	const struct pe_node *n = pe_node_get(root, "cases");
	size_t value, *starts;

	if (!n || n->kind == PE_NODE_NULL)
		return;
	if (n->kind != PE_NODE_SEQ) {
		mistyped(r, doc, "cases", "a list", n);
		return;
	}
	starts = xcalloc(n->count ? n->count : 1, sizeof(*starts));
	if (find_member(r->doc->source, doc->start, doc->end, "cases",
			&value) != NO_OFFSET)
		element_starts(r->doc->source, value, doc->end, starts,
			       n->count);
	for (size_t i = 0; i < n->count; i++) {
		size_t start = starts[i] ? starts[i] : doc->start;
		struct where w = { start,
				   skip_value(r->doc->source, start, doc->end),
				   "a case's inputs" };

		read_case_input(rs, r, n->items[i], &w);
	}
	free(starts);
}

/*
 * True when s is what run --until-decided writes as "stopped" ("decided:
 * regression after 12 of 40 cases", or "no regression"): the reports
 * quote it as plain text in every format, so nothing else is taken.
 */
static int is_decision_text(const char *s)
{
	static const char *const heads[] = { "decided: regression after ",
					     "decided: no regression after " };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(heads[i]);
		const char *p = s + n;

		if (strncmp(s, heads[i], n))
			continue;
		for (int number = 0; number < 2; number++) {
			const char *digits = p;

			while (*p >= '0' && *p <= '9')
				p++;
			if (p == digits || p - digits > 19)
				return 0;
			if (!number && strncmp(p, " of ", 4))
				return 0;
			p += number ? 0 : 4;
		}
		return !strcmp(p, " cases");
	}
	return 0;
}

/*
 * Reads the document's "partial" ({finished, jobs}, and "stopped" when a
 * decided run stopped early), when there is one.
 */
static void read_partial(struct pe_resultset *rs, struct reader *r,
			 const struct where *doc, const struct pe_node *root)
{
	const struct pe_node *n = pe_node_get(root, "partial");
	struct where w = { doc->start, doc->end, "'partial'" };
	const char *stopped = "";
	long finished = 0, jobs = 0;
	size_t value;

	if (!n || n->kind == PE_NODE_NULL)
		return;
	if (n->kind != PE_NODE_MAP) {
		mistyped(r, doc, "partial", "a mapping or null", n);
		return;
	}
	if (find_member(r->doc->source, doc->start, doc->end, "partial",
			&value) != NO_OFFSET)
		w.start = value;
	get_count(r, &w, n, "finished", 0, &finished);
	get_count(r, &w, n, "jobs", 0, &jobs);
	/* "stopped" is there only when a decided run stopped early. */
	if (pe_node_get(n, "stopped"))
		get_string(r, &w, n, "stopped", 0, &stopped);
	if (!r->failed && *stopped && !is_decision_text(stopped))
		error_at(r, key_offset(r, &w, "stopped"),
			 "'stopped' must say what --until-decided decided "
			 "(\"decided: regression after 12 of 40 cases\")");
	if (r->failed)
		return;
	snprintf(rs->partial.stopped, sizeof(rs->partial.stopped), "%s",
		 stopped);
	rs->partial.finished = (size_t)finished;
	rs->partial.jobs = (size_t)jobs;
	rs->has_partial = 1;
}

/*
 * Parses the row at [start, end) of the source, which starts at m, into
 * r->doc; NULL after recording the error.
 */
static const struct pe_node *parse_row(struct reader *r, size_t start,
				       size_t end, const struct pe_mark *m)
{
	return pe_json_parse(r->doc, r->doc->source + start, end - start, m,
			     r->diag);
}

/*
 * Reads a results document: its root, then its rows, from the root's
 * "results" list, or, with sp, parsed one at a time from the source and
 * let go once read (the root's list is then empty, see read_split).
 */
static int read_document(struct pe_resultset *rs, struct reader *r,
			 const struct split *sp)
{
	const char *s = r->doc->source;
	size_t len = r->doc->source_len, value, at, *found = NULL, count;
	const size_t *starts;
	const struct pe_node *results, *root = r->doc->root;
	struct pe_mark m = { r->doc->path, 1, 1 };
	struct where w = { skip_ws(s, 0, len), len, "results document" };
	const char *command = NULL;
	long version = -1;
	int bad = 0;

	if (root->kind != PE_NODE_MAP) {
		error_at(r, w.start,
			 "a results document must be a JSON object, not a %s",
			 pe_node_kind_name(root->kind));
		return PE_ERR_INVALID;
	}
	r->failed = 0;
	get_count(r, &w, root, "schema_version", 0, &version);
	if (!r->failed && (version < PE_RESULTS_OLDEST_VERSION ||
			   version > PE_RESULTS_SCHEMA_VERSION))
		error_at(r, key_offset(r, &w, "schema_version"),
			 "unsupported schema_version %ld (this prompteval "
			 "reads versions %d to %d)",
			 version, PE_RESULTS_OLDEST_VERSION,
			 PE_RESULTS_SCHEMA_VERSION);
	if (pe_node_get(root, "command"))
		get_string(r, &w, root, "command", 1, &command);
	if (pe_node_get(root, "plan"))
		read_plan(rs, r, &w, root);
	read_partial(rs, r, &w, root);
	read_cases(rs, r, &w, root);
	results = member(r, &w, root, "results");
	if (results && results->kind != PE_NODE_SEQ)
		mistyped(r, &w, "results", "a list", results);
	if (r->failed)
		return PE_ERR_INVALID;
	rs->command = command;
	rs->schema_version = version;
	count = sp ? sp->count : results->count;
	if (sp) {
		starts = sp->starts;
	} else {
		found = xcalloc(count ? count : 1, sizeof(*found));
		at = find_member(s, w.start, len, "results", &value);
		if (at != NO_OFFSET)
			element_starts(s, value, len, found, count);
		starts = found;
	}
	for (size_t i = 0, done = 0; i < count; i++) {
		struct pe_doc_point point = pe_doc_point(r->doc);
		size_t end = sp ? sp->ends[i] : skip_value(s, starts[i], len);
		const struct pe_node *n;

		/* Lines and columns are counted on from the previous row. */
		if (done < starts[i]) {
			pe_mark_advance(&m, s, done, starts[i]);
			done = starts[i];
		}
		n = sp ? parse_row(r, starts[i], end, &m) : results->items[i];
		if (!n) {
			bad = 1;
		} else if (n->kind != PE_NODE_MAP) {
			error_at(r, starts[i],
				 "each result row must be a JSON object, not "
				 "a %s",
				 pe_node_kind_name(n->kind));
			bad = 1;
		} else if (read_row(r, n, starts[i], end, m.line,
				    push_row(rs))) {
			bad = 1;
		}
		/* The row holds copies (r->keep): its nodes go. */
		if (sp)
			pe_doc_release(r->doc, point);
	}
	free(found);
	return bad ? PE_ERR_INVALID : PE_OK;
}

/*
 * Parses the document with its "results" list blanked out (spaces, its
 * line breaks kept, so every other byte stays where it was), then checks
 * that each row parses on its own, letting its nodes go.  Sets the
 * document's root and returns 1 when both hold; else returns 0 with
 * nothing recorded and nothing kept, and the whole document is parsed as
 * one (its messages are the parse's of the whole).  A row parsed on its
 * own sits two levels less deep than in the whole document, so a row at
 * the very depth limit (128) is read here where the whole would stop.
 */
static int read_split(struct pe_doc *doc, const struct split *sp)
{
	struct pe_doc_point point = pe_doc_point(doc);
	struct pe_diag *quiet = pe_diag_new();
	struct pe_mark m = { doc->path, 1, 1 };
	char *blank = xstrndup(doc->source, doc->source_len);
	struct pe_node *root;
	int ok;

	for (size_t i = sp->open + 1; i < sp->close; i++)
		if (blank[i] != '\n')
			blank[i] = ' ';
	root = pe_json_parse(doc, blank, doc->source_len, &m, quiet);
	free(blank);
	ok = root != NULL;
	for (size_t i = 0; ok && i < sp->count; i++) {
		struct pe_doc_point row = pe_doc_point(doc);

		ok = pe_json_parse(doc, doc->source + sp->starts[i],
				   sp->ends[i] - sp->starts[i], &m,
				   quiet) != NULL;
		pe_doc_release(doc, row);
	}
	pe_diag_free(quiet);
	if (ok)
		doc->root = root;
	else
		pe_doc_release(doc, point);
	return ok;
}

/* What the document says of a run cut short; see resultset.h. */
const struct pe_partial *pe_resultset_partial(const struct pe_resultset *rs)
{
	return rs->has_partial ? &rs->partial : NULL;
}

/* The document's schema_version, or 0 for a journal; see resultset.h. */
long pe_resultset_schema_version(const struct pe_resultset *rs)
{
	return rs->schema_version;
}

/* Reads a document holding one journal line into a row; see resultset.h. */
int pe_result_read_line(struct pe_doc *doc, struct pe_result *out,
			struct pe_diag *diag)
{
	struct reader r = { doc, doc, diag, 0, 0, { NULL, 0, 0 } };
	struct pe_mark m = { doc->path, 1, 1 };
	const struct pe_node *n =
		pe_json_parse(doc, doc->source, doc->source_len, &m, diag);

	if (!n)
		return PE_ERR_INVALID;
	if (n->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &m,
			      "a journal line must be a JSON object, not a %s",
			      pe_node_kind_name(n->kind));
		return PE_ERR_INVALID;
	}
	return read_row(&r, n, 0, doc->source_len, 1, out);
}

/* Reads one journal line [start, end) as a row; see read_journal. */
static int read_journal_line(struct pe_resultset *rs, struct reader *r,
			     size_t start, size_t end, unsigned line, int torn)
{
	struct pe_mark m = { r->doc->path, line, 1 };
	struct pe_diag *quiet = torn ? pe_diag_new() : NULL;
	struct pe_doc_point point = pe_doc_point(r->doc);
	const struct pe_node *n =
		pe_json_parse(r->doc, r->doc->source + start, end - start, &m,
			      quiet ? quiet : r->diag);
	int rc = PE_OK;

	pe_diag_free(quiet);
	if (!n && torn) {
		pe_diag_warning(r->diag, &m,
				"skipping the last line, cut short without "
				"its newline");
	} else if (!n) {
		rc = PE_ERR_INVALID;
	} else if (n->kind != PE_NODE_MAP) {
		error_at(r, start,
			 "each journal line must be a JSON object, not a %s",
			 pe_node_kind_name(n->kind));
		rc = PE_ERR_INVALID;
	} else if (read_row(r, n, start, end, line, push_row(rs))) {
		rs->nrows--;
		rc = PE_ERR_INVALID;
	}
	/* The row holds copies (r->keep): the line's nodes go. */
	pe_doc_release(r->doc, point);
	return rc;
}

static int read_journal(struct pe_resultset *rs, struct reader *r)
{
	const char *s = r->doc->source;
	size_t len = r->doc->source_len, start = 0;
	unsigned line = 1;
	int bad = 0;

	while (start < len) {
		const char *nl = memchr(s + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - s) : len;

		if (skip_ws(s, start, end) < end &&
		    read_journal_line(rs, r, start, end, line, !nl))
			bad = 1;
		start = end + 1;
		line++;
	}
	return bad ? PE_ERR_INVALID : PE_OK;
}

static int compare_ids(const void *pa, const void *pb, const void *ctx)
{
	const struct pe_result *rows = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = strcmp(rows[a].id, rows[b].id);

	return c ? c : (a > b) - (a < b);
}

/*
 * qsort has no context argument in C11, so the id index is sorted with a
 * small merge sort that passes the rows along.
 */
static void sort_indices(size_t *items, size_t *tmp, size_t n,
			 const struct pe_result *rows)
{
	size_t half = n / 2, i = 0, j = half, k = 0;

	if (n < 2)
		return;
	sort_indices(items, tmp, half, rows);
	sort_indices(items + half, tmp, n - half, rows);
	while (i < half && j < n)
		tmp[k++] = compare_ids(&items[j], &items[i], rows) < 0
				   ? items[j++]
				   : items[i++];
	while (i < half)
		tmp[k++] = items[i++];
	while (j < n)
		tmp[k++] = items[j++];
	memcpy(items, tmp, n * sizeof(*items));
}

static void index_ids(struct pe_resultset *rs)
{
	size_t *tmp = xcalloc(rs->nrows ? rs->nrows : 1, sizeof(*tmp));

	free(rs->by_id);
	rs->by_id = xcalloc(rs->nrows ? rs->nrows : 1, sizeof(*rs->by_id));
	for (size_t i = 0; i < rs->nrows; i++)
		rs->by_id[i] = i;
	sort_indices(rs->by_id, tmp, rs->nrows, rs->rows);
	free(tmp);
}

/*
 * Keeps one row per id: the last line's row, in the place of the first,
 * so a resumed job stays where it was first seen.
 */
static void drop_duplicates(struct pe_resultset *rs)
{
	unsigned char *dropped = xcalloc(rs->nrows ? rs->nrows : 1, 1);
	size_t kept = 0;

	index_ids(rs);
	for (size_t i = 0; i < rs->nrows;) {
		size_t j = i + 1;

		while (j < rs->nrows && !strcmp(rs->rows[rs->by_id[i]].id,
						rs->rows[rs->by_id[j]].id))
			j++;
		if (j - i > 1) {
			rs->rows[rs->by_id[i]] = rs->rows[rs->by_id[j - 1]];
			for (size_t k = i + 1; k < j; k++)
				dropped[rs->by_id[k]] = 1;
		}
		i = j;
	}
	for (size_t i = 0; i < rs->nrows; i++)
		if (!dropped[i])
			rs->rows[kept++] = rs->rows[i];
	rs->nrows = kept;
	free(dropped);
	index_ids(rs);
}

/* Loads a results document or journal; see resultset.h. */
struct pe_resultset *pe_resultset_load(const char *path, struct pe_diag *diag)
{
	struct pe_resultset *rs;
	char *data;
	size_t len;

	if (pe_file_read(path, PE_RESULTSET_MAX_FILE, &data, &len, diag))
		return NULL;
	rs = pe_resultset_parse(path, data, len, diag);
	free(data);
	return rs;
}

/* Reads a results document or journal from memory; see resultset.h. */
struct pe_resultset *pe_resultset_parse(const char *path, const char *data,
					size_t len, struct pe_diag *diag)
{
	struct pe_resultset *rs = xcalloc(1, sizeof(*rs));
	struct reader r = { NULL, NULL, diag, 0, 0, { NULL, 0, 0 } };
	struct pe_mark m = { NULL, 1, 1 };
	int rc;

	rs->cases = pe_case_table_new();
	rs->doc = r.doc = r.keep = pe_doc_new(path, data, len);
	m.file = rs->doc->path;
	if (pe_ends_with(path, ".jsonl")) {
		rs->keep = r.keep = pe_doc_new(path, NULL, 0);
		rc = read_journal(rs, &r);
		if (!rc)
			drop_duplicates(rs);
	} else {
		struct split sp;

		memset(&sp, 0, sizeof(sp));
		if (!split_results(rs->doc->source, rs->doc->source_len, &sp) &&
		    read_split(rs->doc, &sp)) {
			rs->keep = r.keep = pe_doc_new(path, NULL, 0);
			rc = read_document(rs, &r, &sp);
		} else {
			rs->doc->root =
				pe_json_parse(rs->doc, rs->doc->source,
					      rs->doc->source_len, &m, diag);
			rc = rs->doc->root ? read_document(rs, &r, NULL)
					   : PE_ERR_INVALID;
		}
		split_release(&sp);
		if (!rc)
			index_ids(rs);
	}
	if (rc) {
		pe_resultset_free(rs);
		return NULL;
	}
	return rs;
}

/* Frees the set, its rows and strings; NULL is a no-op. */
void pe_resultset_free(struct pe_resultset *rs)
{
	if (!rs)
		return;
	pe_case_table_free(rs->cases);
	pe_doc_free(rs->keep);
	pe_doc_free(rs->doc);
	free(rs->rows);
	free(rs->by_id);
	free(rs);
}

/* Returns the path the set came from, as given to pe_resultset_load. */
const char *pe_resultset_path(const struct pe_resultset *rs)
{
	return rs->doc->path;
}

/* Returns the document's "command", or NULL (journals have none). */
const char *pe_resultset_command(const struct pe_resultset *rs)
{
	return rs->command;
}

/* Returns the document's plan, or NULL; see resultset.h. */
const struct pe_plan_info *pe_resultset_plan(const struct pe_resultset *rs)
{
	return rs->has_plan ? &rs->plan : NULL;
}

/* Returns the inputs of the set's cases, borrowed; see resultset.h. */
const struct pe_case_table *pe_resultset_cases(const struct pe_resultset *rs)
{
	return rs->cases;
}

/* Returns the inputs of row's case, or NULL; see resultset.h. */
const struct pe_case_input *pe_resultset_case_of(const struct pe_resultset *rs,
						 const struct pe_result *row)
{
	return pe_case_table_find(rs->cases, row->prompt, row->case_id);
}

/* Returns the number of rows. */
size_t pe_resultset_count(const struct pe_resultset *rs)
{
	return rs->nrows;
}

/* Returns row i, borrowed from the set. */
const struct pe_result *pe_resultset_get(const struct pe_resultset *rs,
					 size_t i)
{
	return i < rs->nrows ? &rs->rows[i] : NULL;
}

/* Returns the row array, borrowed from the set. */
const struct pe_result *pe_resultset_rows(const struct pe_resultset *rs)
{
	return rs->rows;
}

/* Finds a row by job id with a binary search of the id index. */
const struct pe_result *pe_resultset_find(const struct pe_resultset *rs,
					  const char *id)
{
	size_t lo = 0, hi = rs->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rs->rows[rs->by_id[mid]].id, id);

		if (!c)
			return &rs->rows[rs->by_id[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int compare_rows(const void *a, const void *b)
{
	return pe_result_compare(a, b);
}

/* Sorts rows into results.json order and rebuilds the id index. */
void pe_resultset_sort(struct pe_resultset *rs)
{
	if (rs->nrows > 1)
		qsort(rs->rows, rs->nrows, sizeof(*rs->rows), compare_rows);
	index_ids(rs);
}
