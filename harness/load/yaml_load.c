/*
 * libyaml's event parser drives a stack of open collections.  Scalars are
 * resolved here rather than by the consumer so that "temperature: 0.5" is a
 * number and "name: 'yes'" a string everywhere.  Aliases point at the
 * anchored node, so the tree may share nodes; consumers only read it.
 */
#include "harness/load/yaml_load.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_DEPTH = 128 };

struct anchor {
	char *name;
	struct pe_node *node;
};

/* Temporary growable child list of an open collection. */
struct frame {
	struct pe_node *node;
	struct pe_node **children; /* keys and values alternate for maps */
	struct pe_mark *marks;	   /* where each child was written */
	size_t len;
	size_t alloc;
	char *anchor;
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
	int failed;
};

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
		       (src[ld->byte_offset] & 0xc0) == 0x80)
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
			    struct pe_node *node)
{
	/* A later anchor of the same name replaces the earlier one. */
	for (size_t i = 0; i < ld->nanchors; i++) {
		if (!strcmp(ld->anchors[i].name, name)) {
			ld->anchors[i].node = node;
			return;
		}
	}
	pe_grow(&ld->anchors, &ld->anchors_alloc, ld->nanchors + 1,
		sizeof(*ld->anchors));
	ld->anchors[ld->nanchors].name = xstrdup(name);
	ld->anchors[ld->nanchors].node = node;
	ld->nanchors++;
}

static struct pe_node *find_anchor(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->nanchors; i++)
		if (!strcmp(ld->anchors[i].name, name))
			return ld->anchors[i].node;
	return NULL;
}

/*
 * Adds a finished node to the open collection, or makes it the root.  The
 * mark is where it was written: for an alias, the alias, not the anchor.
 */
static void attach(struct loader *ld, struct pe_node *n,
		   const struct pe_mark *mark)
{
	struct frame *f;
	size_t alloc;

	if (!ld->depth) {
		ld->doc->root = n;
		return;
	}
	f = &ld->stack[ld->depth - 1];
	alloc = f->alloc;
	pe_grow(&f->children, &f->alloc, f->len + 1, sizeof(*f->children));
	pe_grow(&f->marks, &alloc, f->len + 1, sizeof(*f->marks));
	f->marks[f->len] = *mark;
	f->children[f->len++] = n;
}

static void on_scalar(struct loader *ld, const yaml_event_t *ev)
{
	struct pe_mark mark = mark_of(ld, ev->start_mark);
	struct pe_node *n = pe_doc_node(ld->doc, PE_NODE_STRING, &mark);
	const char *tag = (const char *)ev->data.scalar.tag;

	n->text = pe_doc_strndup(ld->doc, (const char *)ev->data.scalar.value,
				 ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	n->src_start = byte_offset_of(ld, ev->start_mark.index);
	n->src_end = byte_offset_of(ld, ev->end_mark.index);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (n->plain && (!tag || strcmp(tag, YAML_STR_TAG)))
		resolve_plain(n);
	if (ev->data.scalar.anchor)
		remember_anchor(ld, (const char *)ev->data.scalar.anchor, n);
	attach(ld, n, &n->mark);
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
	f->node = pe_doc_node(ld->doc, kind, &mark);
	f->node->src_start = byte_offset_of(ld, ev->start_mark.index);
	f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
}

static int key_present(struct pe_pair *pairs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pairs[i].key->text, key))
			return 1;
	return 0;
}

/* Applies a "<<" merge: copies pairs of source maps not already present. */
static void merge_into(struct loader *ld, struct pe_pair *pairs, size_t *n,
		       size_t cap, const struct pe_node *src,
		       const struct pe_mark *at)
{
	if (src->kind == PE_NODE_SEQ) {
		for (size_t i = 0; i < src->count; i++)
			merge_into(ld, pairs, n, cap, src->items[i], at);
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
		if (!key_present(pairs, *n, src->pairs[i].key->text))
			pairs[(*n)++] = src->pairs[i];
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

	for (size_t i = 0; i + 1 < f->len; i += 2)
		if (is_merge_key(f->children[i]))
			cap += merged_size(f->children[i + 1]);
	pairs = pe_doc_alloc(ld->doc, (cap ? cap : 1) * sizeof(*pairs));
	for (size_t i = 0; i + 1 < f->len; i += 2) {
		struct pe_node *key = f->children[i];
		const struct pe_pair *dup;

		if (!pe_node_is_scalar(key)) {
			pe_diag_error(ld->diag, &key->mark,
				      "mapping keys must be plain text, not a "
				      "%s",
				      pe_node_kind_name(key->kind));
			ld->failed = 1;
			continue;
		}
		if (is_merge_key(key))
			continue;
		map->pairs = pairs;
		map->npairs = n;
		dup = pe_node_pair(map, key->text);
		if (dup) {
			pe_diag_error(ld->diag, &key->mark,
				      "duplicate key '%s' (first defined at "
				      "line %u, column %u)",
				      key->text, dup->key->mark.line,
				      dup->key->mark.col);
			ld->failed = 1;
			continue;
		}
		pairs[n].key = key;
		pairs[n].value = f->children[i + 1];
		n++;
	}
	/* Explicit keys win over merged ones, so merge last. */
	for (size_t i = 0; i + 1 < f->len; i += 2)
		if (is_merge_key(f->children[i]))
			merge_into(ld, pairs, &n, cap, f->children[i + 1],
				   &f->marks[i + 1]);
	map->pairs = pairs;
	map->npairs = n;
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
		remember_anchor(ld, f->anchor, n);
	free(f->anchor);
	free(f->children);
	free(f->marks);
	attach(ld, n, &n->mark);
}

static void on_alias(struct loader *ld, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct pe_node *target = find_anchor(ld, name);

	if (!target) {
		error_at(ld, ev->start_mark, "unknown alias '*%s'", name);
		return;
	}
	{
		struct pe_mark m = mark_of(ld, ev->start_mark);

		attach(ld, target, &m);
	}
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
		on_alias(ld, ev);
		return 0;
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

/* Parses one YAML document into a tree; see yaml_load.h. */
struct pe_doc *pe_yaml_load(const char *path, const char *data, size_t len,
			    struct pe_diag *diag)
{
	struct loader ld = { 0 };
	yaml_parser_t parser;
	int documents = 0, rc = 0;

	ld.doc = pe_doc_new(path, data, len);
	ld.diag = diag;
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
