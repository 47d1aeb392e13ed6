/*
 * libyaml's event parser drives a stack of open collections.  Scalars are
 * resolved here rather than by the consumer so that "temperature: 0.5" is a
 * number and "name: 'yes'" a string everywhere.  Aliases point at the
 * anchored node, so the tree may share nodes; consumers only read it.
 *
 * Hostile input stays bounded.  Each open collection and each anchor
 * knows how many bytes its subtree would take written out in full (about
 * its JSON size), so every alias adds what it would expand to, and the
 * file stops loading, with an error at the alias, once aliases have
 * added more than the caller's limit: a consumer that writes a case out
 * (case ids hash it, "list -f json" prints it) never meets more than
 * twice the largest file.  Anchors and each mapping's keys are found
 * through hash indexes (index.h), so a file with many of them loads in
 * linear time.  A NUL in any string is an error at the NUL: names, ids,
 * patterns and settings are C strings everywhere they are used.
 */
#include "harness/load/yaml_load.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_DEPTH = 128 };

struct anchor {
	char *name;
	struct pe_node *node;
	size_t size; /* bytes the node takes written out */
};

/* Temporary growable child list of an open collection. */
struct frame {
	struct pe_node *node;
	struct pe_node **children; /* keys and values alternate for maps */
	struct pe_mark *marks;	   /* where each child was written */
	size_t len;
	size_t alloc;
	char *anchor;
	size_t size; /* bytes the children take written out */
};

struct loader {
	struct pe_doc *doc;
	/* libyaml counts characters; this maps them to byte offsets. */
	size_t char_index;
	size_t byte_offset;
	size_t byte_base; /* 3 after a UTF-8 byte order mark */
	struct pe_diag *diag;
	struct frame stack[MAX_DEPTH];
	size_t depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t anchors_alloc;
	struct pe_index anchor_index;
	size_t max_bytes;   /* what aliases may add, in bytes */
	size_t alias_bytes; /* what they added so far */
	int failed;
};

/* Bytes a scalar or an empty collection takes written out. */
enum { NODE_OVERHEAD = 2 };

static const char *anchor_key(const void *anchors, size_t i, size_t *len)
{
	const char *name = ((const struct anchor *)anchors)[i].name;

	*len = strlen(name);
	return name;
}

static struct pe_mark mark_of(struct loader *ld, yaml_mark_t m)
{
	struct pe_mark mark = { ld->doc->path, (unsigned)m.line + 1,
				(unsigned)m.column + 1 };
	return mark;
}

/*
 * Converts libyaml's character index into a byte offset in the source.
 * Marks arrive nearly in order, so the walk resumes from the last answer
 * and restarts only when asked about an earlier character.
 */
static size_t byte_offset_of(struct loader *ld, size_t char_index)
{
	const unsigned char *src = (const unsigned char *)ld->doc->source;
	size_t len = ld->doc->source_len;

	if (char_index < ld->char_index) {
		ld->char_index = 0;
		ld->byte_offset = ld->byte_base;
	}
	while (ld->char_index < char_index && ld->byte_offset < len) {
		ld->byte_offset++;
		while (ld->byte_offset < len &&
		       pe_utf8_continues((unsigned char)src[ld->byte_offset]))
			ld->byte_offset++;
		ld->char_index++;
	}
	return ld->byte_offset;
}

static int is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };

	for (size_t i = 0; yes[i]; i++) {
		if (!strcmp(s, yes[i]))
			return *out = 1, 1;
		if (!strcmp(s, no[i]))
			return *out = 0, 1;
	}
	return 0;
}

static int parse_int(const char *s, long long *out)
{
	const char *p = s;
	char *end;
	int base = 10;

	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
		base = p[1] == 'x' ? 16 : 8;
		if (s != p || !p[2])
			return 0;
		errno = 0;
		*out = strtoll(p + 2, &end, base);
		return !*end && !errno;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return 0;
	/* Too large for 64 bits: a float, as yaml.v3 decodes it. */
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && !errno;
}

static int parse_float(const char *s, double *out)
{
	const char *p = s;
	int digits = 0;
	char *end;

	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, "+.inf") ||
	    !strcmp(s, "-.inf") || !strcmp(s, ".nan") || !strcmp(s, ".NaN"))
		return 0; /* not useful in prompt files; keep as text */
	if (*p == '-' || *p == '+')
		p++;
	while (isdigit((unsigned char)*p))
		p++, digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p)
		return 0;
	*out = strtod(s, &end);
	return 1;
}

/* Resolves a plain scalar's type by the core schema. */
static void resolve_plain(struct pe_node *n)
{
	long long i;
	double f;
	int b;

	if (is_null(n->text)) {
		n->kind = PE_NODE_NULL;
	} else if (parse_bool(n->text, &b)) {
		n->kind = PE_NODE_BOOL;
		n->bval = b;
	} else if (parse_int(n->text, &i)) {
		n->kind = PE_NODE_INT;
		n->ival = i;
		n->fval = (double)i;
	} else if (parse_float(n->text, &f)) {
		n->kind = PE_NODE_FLOAT;
		n->fval = f;
	}
}

static void error_at(struct loader *ld, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at(struct loader *ld, yaml_mark_t m, const char *fmt, ...)
{
	struct pe_mark mark = mark_of(ld, m);
	va_list ap;

	va_start(ap, fmt);
	pe_diag_vadd(ld->diag, PE_SEV_ERROR, &mark, fmt, ap);
	va_end(ap);
	ld->failed = 1;
}

static void remember_anchor(struct loader *ld, const char *name,
			    struct pe_node *node, size_t size)
{
	long at;

	pe_grow(&ld->anchors, &ld->anchors_alloc, ld->nanchors + 1,
		sizeof(*ld->anchors));
	ld->anchors[ld->nanchors].name = (char *)name;
	at = pe_index_add(&ld->anchor_index, ld->anchors, ld->nanchors);
	if (at >= 0) {
		/* A later anchor of the same name replaces the earlier one. */
		ld->anchors[at].node = node;
		ld->anchors[at].size = size;
		return;
	}
	ld->anchors[ld->nanchors].name = xstrdup(name);
	ld->anchors[ld->nanchors].node = node;
	ld->anchors[ld->nanchors].size = size;
	ld->nanchors++;
}

static const struct anchor *find_anchor(struct loader *ld, const char *name)
{
	long at = pe_index_find(&ld->anchor_index, ld->anchors, name,
				strlen(name));

	return at < 0 ? NULL : &ld->anchors[at];
}

/*
 * Adds a finished node, which takes size bytes written out, to the open
 * collection, or makes it the root.  The mark is where it was written:
 * for an alias, the alias, not the anchor.
 */
static void attach(struct loader *ld, struct pe_node *n,
		   const struct pe_mark *mark, size_t size)
{
	struct frame *f;
	size_t alloc;

	if (!ld->depth) {
		ld->doc->root = n;
		return;
	}
	f = &ld->stack[ld->depth - 1];
	f->size += size;
	alloc = f->alloc;
	pe_grow(&f->children, &f->alloc, f->len + 1, sizeof(*f->children));
	pe_grow(&f->marks, &alloc, f->len + 1, sizeof(*f->marks));
	f->marks[f->len] = *mark;
	f->children[f->len++] = n;
}

/*
 * A NUL (written "\0", "\x00" or "\u0000") would cut the string wherever
 * it is used as text: an error at the NUL itself.
 */
static void check_nul(struct loader *ld, const struct pe_node *n)
{
	const char *nul = memchr(n->text, '\0', n->len);
	struct pe_mark at;

	if (!nul)
		return;
	at = pe_doc_scalar_mark(ld->doc, n, (size_t)(nul - n->text));
	pe_diag_error(ld->diag, &at,
		      "a NUL character in a string; prompt files, datasets "
		      "and configuration cannot hold one");
	ld->failed = 1;
}

static void on_scalar(struct loader *ld, const yaml_event_t *ev)
{
	struct pe_mark mark = mark_of(ld, ev->start_mark);
	struct pe_node *n = pe_doc_node(ld->doc, PE_NODE_STRING, &mark);
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t size = ev->data.scalar.length + NODE_OVERHEAD;

	n->text = pe_doc_strndup(ld->doc, (const char *)ev->data.scalar.value,
				 ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->src_start = byte_offset_of(ld, ev->start_mark.index);
	n->src_end = byte_offset_of(ld, ev->end_mark.index);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	check_nul(ld, n);
	if (n->plain && (!tag || strcmp(tag, YAML_STR_TAG)))
		resolve_plain(n);
	if (ev->data.scalar.anchor)
		remember_anchor(ld, (const char *)ev->data.scalar.anchor, n,
				size);
	attach(ld, n, &n->mark, size);
}

static void on_start(struct loader *ld, const yaml_event_t *ev,
		     enum pe_node_kind kind, const yaml_char_t *anchor)
{
	struct pe_mark mark = mark_of(ld, ev->start_mark);
	struct frame *f;

	if (ld->depth == MAX_DEPTH) {
		error_at(ld, ev->start_mark, "nesting is deeper than %s levels",
			 "128");
		return;
	}
	f = &ld->stack[ld->depth++];
	memset(f, 0, sizeof(*f));
	f->size = NODE_OVERHEAD;
	f->node = pe_doc_node(ld->doc, kind, &mark);
	f->node->src_start = byte_offset_of(ld, ev->start_mark.index);
	f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
}

/*
 * Adds a pair to a mapping being built unless its key is there; returns
 * the pair that holds the key already, or NULL when it was added.
 */
static const struct pe_pair *add_pair(struct pe_index *ix,
				      struct pe_pair *pairs, size_t *n,
				      const struct pe_pair *pair)
{
	long at;

	pairs[*n] = *pair;
	at = pe_index_add(ix, pairs, *n);
	if (at >= 0)
		return &pairs[at];
	(*n)++;
	return NULL;
}

/* Applies a "<<" merge: copies pairs of source maps not already present. */
static void merge_into(struct loader *ld, struct pe_index *ix,
		       struct pe_pair *pairs, size_t *n, size_t cap,
		       const struct pe_node *src, const struct pe_mark *at)
{
	if (src->kind == PE_NODE_SEQ) {
		for (size_t i = 0; i < src->count; i++)
			merge_into(ld, ix, pairs, n, cap, src->items[i], at);
		return;
	}
	if (src->kind != PE_NODE_MAP) {
		pe_diag_error(ld->diag, at,
			      "a '<<' merge needs a mapping or a list of "
			      "mappings, not a %s",
			      pe_node_kind_name(src->kind));
		ld->failed = 1;
		return;
	}
	for (size_t i = 0; i < src->npairs && *n < cap; i++)
		add_pair(ix, pairs, n, &src->pairs[i]);
}

/* Only a plain << is a merge key; a quoted "<<" is an ordinary key. */
static int is_merge_key(const struct pe_node *key)
{
	return key->kind == PE_NODE_STRING && key->plain &&
	       !strcmp(key->text, "<<");
}

static size_t merged_size(const struct pe_node *src)
{
	size_t n = 0;

	if (src->kind == PE_NODE_MAP)
		return src->npairs;
	if (src->kind == PE_NODE_SEQ)
		for (size_t i = 0; i < src->count; i++)
			if (src->items[i]->kind == PE_NODE_MAP)
				n += src->items[i]->npairs;
	return n;
}

static void finish_map(struct loader *ld, struct frame *f)
{
	struct pe_node *map = f->node;
	size_t cap = f->len / 2, n = 0;
	struct pe_pair *pairs;
	struct pe_index ix;

	for (size_t i = 0; i + 1 < f->len; i += 2)
		if (is_merge_key(f->children[i]))
			cap += merged_size(f->children[i + 1]);
	pairs = pe_doc_alloc(ld->doc, (cap ? cap : 1) * sizeof(*pairs));
	pe_index_init(&ix, pe_pair_key);
	for (size_t i = 0; i + 1 < f->len; i += 2) {
		struct pe_pair pair = { f->children[i], f->children[i + 1] };
		const struct pe_pair *dup;

		if (!pe_node_is_scalar(pair.key)) {
			pe_diag_error(ld->diag, &f->marks[i],
				      "mapping keys must be plain text, not a "
				      "%s",
				      pe_node_kind_name(pair.key->kind));
			ld->failed = 1;
			continue;
		}
		if (is_merge_key(pair.key))
			continue;
		dup = add_pair(&ix, pairs, &n, &pair);
		if (dup) {
			pe_diag_error(ld->diag, &f->marks[i],
				      "duplicate key '%s' (first defined at "
				      "line %u, column %u)",
				      pair.key->text, dup->key->mark.line,
				      dup->key->mark.col);
			ld->failed = 1;
		}
	}
	/* Explicit keys win over merged ones, so merge last. */
	for (size_t i = 0; i + 1 < f->len; i += 2)
		if (is_merge_key(f->children[i]))
			merge_into(ld, &ix, pairs, &n, cap, f->children[i + 1],
				   &f->marks[i + 1]);
	map->pairs = pairs;
	map->npairs = n;
	if (n > PE_NODE_INDEX_MIN_PAIRS)
		map->index = pe_index_copy_to(&ix, ld->doc);
	pe_index_release(&ix);
}

static void on_end(struct loader *ld, const yaml_event_t *ev)
{
	struct frame *f;
	struct pe_node *n;

	if (!ld->depth)
		return;
	f = &ld->stack[--ld->depth];
	n = f->node;
	n->src_end = byte_offset_of(ld, ev->end_mark.index);
	if (n->kind == PE_NODE_MAP) {
		finish_map(ld, f);
	} else {
		n->items = pe_doc_alloc(ld->doc, (f->len ? f->len : 1) *
							 sizeof(*n->items));
		if (f->len)
			memcpy(n->items, f->children,
			       f->len * sizeof(*n->items));
		n->count = f->len;
	}
	if (f->anchor)
		remember_anchor(ld, f->anchor, n, f->size);
	free(f->anchor);
	free(f->children);
	free(f->marks);
	attach(ld, n, &n->mark, f->size);
}

/* Attaches an alias; returns -1 when it would expand the file too far. */
static int on_alias(struct loader *ld, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *target = find_anchor(ld, name);
	struct pe_mark m = mark_of(ld, ev->start_mark);

	if (!target) {
		error_at(ld, ev->start_mark, "unknown alias '*%s'", name);
		return 0;
	}
	if (target->size > ld->max_bytes - ld->alias_bytes) {
		error_at(ld, ev->start_mark,
			 "aliases expand the file past %zu bytes, the most "
			 "they may add (the largest file read); '*%s' would "
			 "add %zu bytes to the %zu added before it",
			 ld->max_bytes, name, target->size, ld->alias_bytes);
		return -1;
	}
	ld->alias_bytes += target->size;
	attach(ld, target->node, &m, target->size);
	return 0;
}

static void report_parser_error(struct loader *ld, const yaml_parser_t *p)
{
	struct pe_mark mark;
	const char *problem = p->problem ? p->problem : "syntax error";

	if (p->error == YAML_READER_ERROR) {
		mark = pe_doc_mark_at(ld->doc, p->problem_offset);
		pe_diag_error(ld->diag, &mark,
			      "invalid text: %s (at byte %zu); prompt files "
			      "must be UTF-8",
			      problem, p->problem_offset);
	} else {
		mark = mark_of(ld, p->problem_mark);
		if (p->context)
			pe_diag_error(ld->diag, &mark,
				      "YAML syntax error: %s (%s at line %zu, "
				      "column %zu)",
				      problem, p->context,
				      p->context_mark.line + 1,
				      p->context_mark.column + 1);
		else
			pe_diag_error(ld->diag, &mark, "YAML syntax error: %s",
				      problem);
	}
	ld->failed = 1;
}

static void release_loader(struct loader *ld)
{
	while (ld->depth) {
		struct frame *f = &ld->stack[--ld->depth];

		free(f->anchor);
		free(f->children);
		free(f->marks);
	}
	for (size_t i = 0; i < ld->nanchors; i++)
		free(ld->anchors[i].name);
	free(ld->anchors);
	pe_index_release(&ld->anchor_index);
}

/* Handles one event; returns 0 to go on, 1 at the end, -1 on error. */
static int handle_event(struct loader *ld, const yaml_event_t *ev,
			int *documents)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents > 1) {
			error_at(ld, ev->start_mark,
				 "more than one YAML document in the file; "
				 "a prompt file holds exactly one");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		on_scalar(ld, ev);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		on_start(ld, ev, PE_NODE_SEQ, ev->data.sequence_start.anchor);
		return ld->failed ? -1 : 0;
	case YAML_MAPPING_START_EVENT:
		on_start(ld, ev, PE_NODE_MAP, ev->data.mapping_start.anchor);
		return ld->failed ? -1 : 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_end(ld, ev);
		return 0;
	case YAML_ALIAS_EVENT:
		return on_alias(ld, ev);
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

/* Parses one YAML document into a tree; see yaml_load.h. */
struct pe_doc *pe_yaml_load(const char *path, const char *data, size_t len,
			    size_t max_bytes, struct pe_diag *diag)
{
	struct loader ld = { 0 };
	yaml_parser_t parser;
	int documents = 0, rc = 0;

	ld.doc = pe_doc_new(path, data, len);
	ld.diag = diag;
	ld.max_bytes = max_bytes;
	pe_index_init(&ld.anchor_index, anchor_key);
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		ld.byte_base = ld.byte_offset = 3;
	if (!yaml_parser_initialize(&parser)) {
		pe_doc_free(ld.doc);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!rc) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(&ld, &parser);
			break;
		}
		rc = handle_event(&ld, &ev, &documents);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	release_loader(&ld);
	if (ld.failed) {
		pe_doc_free(ld.doc);
		return NULL;
	}
	return ld.doc;
}

/* Returns libyaml's version string. */
const char *pe_yaml_version(void)
{
	return yaml_get_version_string();
}
