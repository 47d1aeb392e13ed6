/*
 * A JSON Schema draft 2020-12 validator in two steps, as a compiler
 * works.
 *
 * Compiling walks the schema document once to find its resources ($id,
 * each resolved against the enclosing base URI with pe_url_resolve) and
 * their anchors ($anchor, $dynamicAnchor), then compiles every schema it
 * reaches, through its subschemas and its references, from a work list
 * (so a long chain of $refs costs no stack): each keyword is read into a
 * struct sch, patterns are compiled, and $ref and $dynamicRef are
 * resolved to the schema they name.  A reference to a document the
 * schema does not hold asks the caller's loader for it (struct
 * pe_jsonschema_docs), which is then walked and compiled as the first
 * one was; so is a root's $schema that is not JSON Schema's own, read
 * for its $vocabulary.  Last, a cycle of references and in-place
 * applicators that never moves into the instance is an error.
 *
 * Validating walks the instance and the compiled schemas together.  The
 * frames of the schemas being applied form a chain on the C stack: it is
 * the dynamic scope that $dynamicRef searches, and it finds a $ref that
 * comes back to the same schema at the same place of the instance.
 * unevaluatedProperties and unevaluatedItems need to know which
 * properties and items the other keywords evaluated: a schema that is
 * asked for them (or has one of the two) keeps a bit set over the
 * instance's members, filled by its own keywords and by the in-place
 * subschemas that pass, and hands it up when it passes itself.  Problems
 * found under anyOf, oneOf, not, if, contains and propertyNames are not
 * the answer's problems: those branches run muted, and only their
 * verdict is reported.
 *
 * Numbers are compared exactly when both are integers of the document
 * tree (up to 2^53), else as doubles; an integral float such as 1.0 is an
 * integer.  A number of the answer the double misses (an integer past
 * 2^53, a fraction of more than 15 significant digits: pe_node's
 * inexact) stops validation where a keyword compares it with a number
 * whose double is the same or next to it (too_close), and multipleOf is
 * decided on decimal digits (is_multiple).  NEEDSWORK: JSON Schema's
 * metaschemas are not built in, so a $ref to one is asked of the loader
 * as any other document is; and a pattern match counts as one step
 * whatever its backtracking (PCRE2's match limit bounds each match, not
 * their sum).
 */
#include "evaluators/jsonschema.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/hash.h"
#include "harness/core/json.h"
#include "harness/core/pattern.h"
#include "harness/core/url.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* The base URI of a root without $id: a reference out of it is remote. */
static const char default_base[] = "https://prompteval.invalid/schema.json";

/* Longest value and pointer shown in a problem, in bytes. */
enum { SHOW_VALUE = 40, SHOW_POINTER = 160, SHOW_ENUM = 4 };

/* The deepest schema nesting compiled (JSON text nests at most 128). */
enum { MAX_NESTING = 512 };

enum type_bit {
	T_NULL = 1,
	T_BOOLEAN = 2,
	T_OBJECT = 4,
	T_ARRAY = 8,
	T_NUMBER = 16,
	T_STRING = 32,
	T_INTEGER = 64
};

static const char *const type_names[] = { "null",   "boolean", "object",
					  "array",  "number",  "string",
					  "integer" };

/*
 * The vocabularies of 2020-12 this validator implements, as bits: a
 * resource's dialect ($schema) turns them on.  The annotation
 * vocabularies (meta-data, format-annotation, content) have no bit:
 * their keywords are read by nobody whatever the dialect says.
 */
enum vocab {
	V_CORE = 0, /* always on: a dialect cannot do without it */
	V_APPLICATOR = 1,
	V_UNEVALUATED = 2,
	V_VALIDATION = 4,
	V_ALL = 7
};

/* The most documents a schema may bring in through its references. */
enum { MAX_DOCUMENTS = 100 };

/* A schema resource: the root of the document or a schema with $id. */
struct resource {
	char *uri; /* absolute, without a fragment */
	const struct pe_node *root;
	unsigned vocab; /* enum vocab: what its dialect asks for */
	int told;	/* a keyword its dialect leaves out was warned of */
	struct anchor *anchors;
	size_t nanchors, alloc;
};

struct anchor {
	const char *name; /* borrowed from the document */
	const struct pe_node *node;
	int dynamic;	 /* $dynamicAnchor (which is also a plain anchor) */
	struct sch *sch; /* a dynamic anchor's schema */
};

/* A property name (properties, dependentSchemas) and its schema. */
struct named {
	const struct pe_node *key;
	struct sch *sch;
};

/* A patternProperties entry. */
struct patterned {
	const struct pe_node *key;
	struct pe_pattern *re;
	struct sch *sch;
};

/* One compiled schema: an object schema, or true or false. */
struct sch {
	const struct pe_node *node; /* as written */
	struct resource *res;	    /* the resource it belongs to */
	int boolean;		    /* 0 false, 1 true, -1 an object */
	int color;		    /* the cycle check's DFS state */
	int has_annotations; /* unevaluatedProperties or unevaluatedItems */
	unsigned types;	     /* enum type_bit; 0 when any */
	const struct pe_node *type, *enum_values, *const_value;
	const struct pe_node *multiple_of, *maximum, *exclusive_maximum,
		*minimum, *exclusive_minimum;
	size_t max_length, min_length;
	const struct pe_node *pattern_text;
	struct pe_pattern *pattern;
	struct sch **prefix;
	size_t nprefix;
	struct sch *items, *contains, *additional, *property_names,
		*unevaluated_items, *unevaluated_properties;
	size_t max_items, min_items, max_contains, min_contains;
	int unique_items;
	struct named *properties; /* sorted by name */
	size_t nproperties;
	struct patterned *pattern_properties;
	size_t npattern_properties;
	struct named *dependent_schemas;
	size_t ndependent_schemas;
	const struct pe_node *required, *dependent_required;
	size_t max_properties, min_properties;
	struct sch **all_of, **any_of, **one_of;
	size_t nall_of, nany_of, none_of;
	struct sch *not_, *if_, *then_, *else_;
	const struct pe_pair *ref_key, *dynamic_ref_key;
	struct sch *ref, *dynamic_ref;
	const char *dynamic_anchor; /* set when $dynamicRef acts dynamically */
};

struct pe_jsonschema {
	struct sch *root;
	struct sch **all; /* every compiled schema, in compile order */
	size_t nall, alloc;
	struct resource **resources;
	size_t nresources, resources_alloc;
	struct pe_doc **docs; /* the documents loaded for references */
	size_t ndocs, docs_alloc;
	/* SHA-256 of the documents' trees as JSON; "" when there are none */
	char docs_digest[PE_SHA256_HEX_LEN + 1];
};

/* The compiler's knowledge of one node of the schema document. */
struct slot {
	const struct pe_node *node; /* NULL: an empty slot */
	struct resource *res;	    /* set when the walk reached it */
	struct sch *sch;
	int walked;
};

/* Slots by node address: open addressing, at most half full. */
struct table {
	struct slot *slots;
	size_t size, used;
};

struct compiler {
	struct pe_jsonschema *js;
	struct pe_diag *diag;
	int failed;
	struct table table;
	const struct pe_jsonschema_docs *docs; /* NULL: no loader */
};

static size_t slot_index(const struct table *t, const struct pe_node *n)
{
	uint64_t h = (uint64_t)(uintptr_t)n * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 17) & (t->size - 1);

	while (t->slots[i].node && t->slots[i].node != n)
		i = (i + 1) & (t->size - 1);
	return i;
}

/* The slot of node n, made when absent. */
static struct slot *table_get(struct table *t, const struct pe_node *n)
{
	size_t i;

	if (2 * (t->used + 1) > t->size) {
		struct table bigger = { NULL, t->size ? 2 * t->size : 64, 0 };

		bigger.slots = xcalloc(bigger.size, sizeof(*bigger.slots));
		for (size_t k = 0; k < t->size; k++) {
			if (!t->slots[k].node)
				continue;
			bigger.slots[slot_index(&bigger, t->slots[k].node)] =
				t->slots[k];
			bigger.used++;
		}
		free(t->slots);
		*t = bigger;
	}
	i = slot_index(t, n);
	if (!t->slots[i].node) {
		t->slots[i].node = n;
		t->used++;
	}
	return &t->slots[i];
}

static void error_at(struct compiler *c, const struct pe_node *n,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at(struct compiler *c, const struct pe_node *n,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pe_diag_vadd(c->diag, PE_SEV_ERROR, &n->mark, fmt, ap);
	va_end(ap);
	c->failed = 1;
}

/* Text for messages about schema text: at most SHOW_VALUE bytes. */
static char *short_text(const char *s, size_t len)
{
	return pe_shorten(s, len, SHOW_VALUE);
}

/* ---- Resources and anchors ---- */

static struct resource *load_resource(struct compiler *c, const char *uri,
				      const struct pe_node *from);
static void take_dialect(struct compiler *c, const struct pe_node *n,
			 struct resource *res);

static struct resource *find_resource(const struct pe_jsonschema *js,
				      const char *uri)
{
	for (size_t i = 0; i < js->nresources; i++)
		if (!strcmp(js->resources[i]->uri, uri))
			return js->resources[i];
	return NULL;
}

static struct resource *add_resource(struct pe_jsonschema *js, char *uri,
				     const struct pe_node *root, unsigned vocab)
{
	struct resource *r = xcalloc(1, sizeof(*r));

	r->uri = uri;
	r->root = root;
	r->vocab = vocab;
	pe_grow(&js->resources, &js->resources_alloc, js->nresources + 1,
		sizeof(*js->resources));
	js->resources[js->nresources++] = r;
	return r;
}

static struct anchor *find_anchor(const struct resource *r, const char *name,
				  int dynamic)
{
	for (size_t i = 0; i < r->nanchors; i++)
		if (!strcmp(r->anchors[i].name, name) &&
		    (!dynamic || r->anchors[i].dynamic))
			return &r->anchors[i];
	return NULL;
}

/* True for an anchor name as 2020-12 spells them (an XML NCName). */
static int is_anchor_name(const char *s)
{
	if (!(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (s++; *s; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static void add_anchor(struct compiler *c, struct resource *r,
		       const struct pe_node *schema, const char *keyword,
		       int dynamic)
{
	const struct pe_pair *p = pe_node_pair(schema, keyword);
	struct anchor *a;

	if (!p)
		return;
	if (p->value->kind != PE_NODE_STRING ||
	    strlen(p->value->text) != p->value->len ||
	    !is_anchor_name(p->value->text)) {
		error_at(c, p->key,
			 "%s must be a name: a letter or '_', then letters, "
			 "digits, '-', '_' and '.'",
			 keyword);
		return;
	}
	a = find_anchor(r, p->value->text, 0);
	if (a && a->node != schema) {
		error_at(c, p->key, "%s '%s' is given twice in one resource",
			 keyword, p->value->text);
		return;
	}
	if (a) {
		a->dynamic |= dynamic;
		return;
	}
	pe_grow(&r->anchors, &r->alloc, r->nanchors + 1, sizeof(*r->anchors));
	a = &r->anchors[r->nanchors++];
	memset(a, 0, sizeof(*a));
	a->name = p->value->text;
	a->node = schema;
	a->dynamic = dynamic;
}

/* ---- Keywords ---- */

/* Where a keyword holds subschemas, for the walk and the compiler. */
enum shape {
	SHAPE_OTHER,
	SHAPE_SCHEMA,	   /* one schema */
	SHAPE_SCHEMA_LIST, /* a non-empty array of schemas */
	SHAPE_SCHEMA_MAP,  /* an object of schemas */
	SHAPE_ANNOTATION,  /* an annotation: read by nobody */
	SHAPE_REFUSED	   /* a keyword of another draft */
};

struct keyword {
	const char *name;
	enum shape shape;
	void (*compile)(struct compiler *c, struct sch *s,
			const struct pe_pair *kw);
	const char *refused; /* why, for SHAPE_REFUSED */
	unsigned vocab;	     /* enum vocab; V_CORE for the others */
};

/* A node's kind in JSON's words, for messages: "an array". */
static const char *kind_name(const struct pe_node *n)
{
	switch (n->kind) {
	case PE_NODE_NULL:
		return "null";
	case PE_NODE_BOOL:
		return "a boolean";
	case PE_NODE_INT:
	case PE_NODE_FLOAT:
		return "a number";
	case PE_NODE_STRING:
		return "a string";
	case PE_NODE_SEQ:
		return "an array";
	case PE_NODE_MAP:
		return "an object";
	}
	return "a value";
}

static int is_schema(const struct pe_node *n)
{
	return n->kind == PE_NODE_MAP || n->kind == PE_NODE_BOOL;
}

/*
 * The schema for node n (made, and queued for compiling, the first time);
 * res is its resource unless the walk found another.
 */
static struct sch *schema_for(struct compiler *c, const struct pe_node *n,
			      struct resource *res)
{
	struct slot *slot = table_get(&c->table, n);
	struct pe_jsonschema *js = c->js;
	struct sch *s;

	if (slot->sch)
		return slot->sch;
	s = xcalloc(1, sizeof(*s));
	s->node = n;
	s->res = slot->res ? slot->res : res;
	s->boolean = n->kind == PE_NODE_BOOL ? n->bval : -1;
	s->max_length = s->max_items = s->max_contains = s->max_properties =
		SIZE_MAX;
	s->min_contains = 1;
	slot->sch = s;
	pe_grow(&js->all, &js->alloc, js->nall + 1, sizeof(*js->all));
	js->all[js->nall++] = s;
	return s;
}

/* A subschema of s at node n, or NULL after an error. */
static struct sch *subschema(struct compiler *c, struct sch *s,
			     const struct pe_node *n, const char *keyword)
{
	if (!is_schema(n)) {
		error_at(c, n,
			 "%s must hold a schema (an object or a boolean), "
			 "not %s",
			 keyword, kind_name(n));
		return NULL;
	}
	return schema_for(c, n, s->res);
}

/* A non-empty array of subschemas, or NULL after an error. */
static struct sch **schema_list(struct compiler *c, struct sch *s,
				const struct pe_pair *kw, size_t *count)
{
	const struct pe_node *v = kw->value;
	struct sch **list;

	*count = 0;
	if (v->kind != PE_NODE_SEQ || !v->count) {
		error_at(c, kw->key,
			 "%s must be a non-empty array of schemas (draft "
			 "2020-12)",
			 kw->key->text);
		return NULL;
	}
	list = xcalloc(v->count, sizeof(*list));
	for (size_t i = 0; i < v->count; i++)
		list[i] = subschema(c, s, v->items[i], kw->key->text);
	*count = v->count;
	return list;
}

static int compare_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int d = memcmp(x->key->text, y->key->text, n);

	return d ? d
		 : (x->key->len > y->key->len) - (x->key->len < y->key->len);
}

/* An object of subschemas, or NULL after an error. */
static struct named *schema_map(struct compiler *c, struct sch *s,
				const struct pe_pair *kw, size_t *count)
{
	const struct pe_node *v = kw->value;
	struct named *map;

	*count = 0;
	if (v->kind != PE_NODE_MAP) {
		error_at(c, kw->key, "%s must be an object of schemas",
			 kw->key->text);
		return NULL;
	}
	map = xcalloc(v->npairs ? v->npairs : 1, sizeof(*map));
	for (size_t i = 0; i < v->npairs; i++) {
		map[i].key = v->pairs[i].key;
		map[i].sch = subschema(c, s, v->pairs[i].value, kw->key->text);
	}
	*count = v->npairs;
	return map;
}

static int is_number(const struct pe_node *n)
{
	return n->kind == PE_NODE_INT ||
	       (n->kind == PE_NODE_FLOAT && !isnan(n->fval));
}

static double number(const struct pe_node *n)
{
	return n->kind == PE_NODE_INT ? (double)n->ival : n->fval;
}

/* Reads a non-negative integer keyword (2.0 is one) into *out. */
static void read_count(struct compiler *c, const struct pe_pair *kw,
		       size_t *out)
{
	const struct pe_node *v = kw->value;
	double d = is_number(v) ? number(v) : -1;

	if (!is_number(v) || d < 0 || d != floor(d)) {
		error_at(c, kw->key, "%s must be a non-negative integer",
			 kw->key->text);
		return;
	}
	if (v->kind == PE_NODE_INT)
		*out = (unsigned long long)v->ival > SIZE_MAX ? SIZE_MAX
							      : (size_t)v->ival;
	else
		*out = d >= (double)SIZE_MAX ? SIZE_MAX : (size_t)d;
}

/* Reads a number keyword; NULL after an error. */
static const struct pe_node *read_number(struct compiler *c,
					 const struct pe_pair *kw)
{
	if (!is_number(kw->value)) {
		error_at(c, kw->key, "%s must be a number", kw->key->text);
		return NULL;
	}
	return kw->value;
}

/* True when the array v holds only strings, each once. */
static int is_string_set(const struct pe_node *v)
{
	if (v->kind != PE_NODE_SEQ)
		return 0;
	for (size_t i = 0; i < v->count; i++) {
		const struct pe_node *a = v->items[i];

		if (a->kind != PE_NODE_STRING)
			return 0;
		for (size_t k = 0; k < i; k++)
			if (v->items[k]->len == a->len &&
			    !memcmp(v->items[k]->text, a->text, a->len))
				return 0;
	}
	return 1;
}

static unsigned type_bit(const struct pe_node *n)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(*type_names); i++)
		if (n->kind == PE_NODE_STRING &&
		    !strcmp(n->text, type_names[i]))
			return 1u << i;
	return 0;
}

static void kw_type(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	const struct pe_node *v = kw->value;
	unsigned bits = 0;

	if (v->kind == PE_NODE_STRING) {
		bits = type_bit(v);
	} else if (v->kind == PE_NODE_SEQ && v->count) {
		for (size_t i = 0; i < v->count; i++) {
			unsigned b = type_bit(v->items[i]);

			bits = b && !(bits & b) ? bits | b : 0;
			if (!bits)
				break;
		}
	}
	if (!bits) {
		error_at(c, kw->key,
			 "type must be one of null, boolean, object, array, "
			 "number, string and integer, or an array of "
			 "different ones");
		return;
	}
	s->type = v;
	s->types = bits;
}

static void kw_enum(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	if (kw->value->kind != PE_NODE_SEQ) {
		error_at(c, kw->key, "enum must be an array");
		return;
	}
	s->enum_values = kw->value;
}

static void kw_const(struct compiler *c, struct sch *s,
		     const struct pe_pair *kw)
{
	(void)c;
	s->const_value = kw->value;
}

static void kw_multiple_of(struct compiler *c, struct sch *s,
			   const struct pe_pair *kw)
{
	if (!is_number(kw->value) || number(kw->value) <= 0) {
		error_at(c, kw->key, "multipleOf must be a number above 0");
		return;
	}
	s->multiple_of = kw->value;
}

static void kw_maximum(struct compiler *c, struct sch *s,
		       const struct pe_pair *kw)
{
	s->maximum = read_number(c, kw);
}

static void kw_exclusive_maximum(struct compiler *c, struct sch *s,
				 const struct pe_pair *kw)
{
	s->exclusive_maximum = read_number(c, kw);
}

static void kw_minimum(struct compiler *c, struct sch *s,
		       const struct pe_pair *kw)
{
	s->minimum = read_number(c, kw);
}

static void kw_exclusive_minimum(struct compiler *c, struct sch *s,
				 const struct pe_pair *kw)
{
	s->exclusive_minimum = read_number(c, kw);
}

static void kw_max_length(struct compiler *c, struct sch *s,
			  const struct pe_pair *kw)
{
	read_count(c, kw, &s->max_length);
}

static void kw_min_length(struct compiler *c, struct sch *s,
			  const struct pe_pair *kw)
{
	read_count(c, kw, &s->min_length);
}

/* Compiles an ECMA-262 pattern written at node n; NULL after an error. */
static struct pe_pattern *compile_pattern(struct compiler *c,
					  const struct pe_node *n,
					  const char *keyword)
{
	char err[256];
	size_t off = 0;
	struct pe_pattern *re;

	if (n->kind != PE_NODE_STRING) {
		error_at(c, n, "%s must be a regular expression (a string)",
			 keyword);
		return NULL;
	}
	re = pe_pattern_compile_ecma(n->text, n->len, err, sizeof(err), &off);
	if (!re)
		error_at(c, n, "invalid %s at offset %zu: %s", keyword, off,
			 err);
	return re;
}

static void kw_pattern(struct compiler *c, struct sch *s,
		       const struct pe_pair *kw)
{
	s->pattern = compile_pattern(c, kw->value, "pattern");
	s->pattern_text = kw->value;
}

static void kw_prefix_items(struct compiler *c, struct sch *s,
			    const struct pe_pair *kw)
{
	s->prefix = schema_list(c, s, kw, &s->nprefix);
}

static void kw_items(struct compiler *c, struct sch *s,
		     const struct pe_pair *kw)
{
	if (kw->value->kind == PE_NODE_SEQ) {
		error_at(c, kw->key,
			 "items must be a schema: draft 2020-12 writes a list "
			 "of schemas, one per item, as prefixItems");
		return;
	}
	s->items = subschema(c, s, kw->value, "items");
}

static void kw_contains(struct compiler *c, struct sch *s,
			const struct pe_pair *kw)
{
	s->contains = subschema(c, s, kw->value, "contains");
}

static void kw_max_items(struct compiler *c, struct sch *s,
			 const struct pe_pair *kw)
{
	read_count(c, kw, &s->max_items);
}

static void kw_min_items(struct compiler *c, struct sch *s,
			 const struct pe_pair *kw)
{
	read_count(c, kw, &s->min_items);
}

static void kw_max_contains(struct compiler *c, struct sch *s,
			    const struct pe_pair *kw)
{
	read_count(c, kw, &s->max_contains);
}

static void kw_min_contains(struct compiler *c, struct sch *s,
			    const struct pe_pair *kw)
{
	read_count(c, kw, &s->min_contains);
}

static void kw_unique_items(struct compiler *c, struct sch *s,
			    const struct pe_pair *kw)
{
	if (kw->value->kind != PE_NODE_BOOL) {
		error_at(c, kw->key, "uniqueItems must be true or false");
		return;
	}
	s->unique_items = kw->value->bval;
}

static void kw_properties(struct compiler *c, struct sch *s,
			  const struct pe_pair *kw)
{
	s->properties = schema_map(c, s, kw, &s->nproperties);
	if (s->properties)
		qsort(s->properties, s->nproperties, sizeof(*s->properties),
		      compare_named);
}

static void kw_pattern_properties(struct compiler *c, struct sch *s,
				  const struct pe_pair *kw)
{
	struct named *map;
	size_t n;

	map = schema_map(c, s, kw, &n);
	if (!map)
		return;
	s->pattern_properties =
		xcalloc(n ? n : 1, sizeof(*s->pattern_properties));
	for (size_t i = 0; i < n; i++) {
		s->pattern_properties[i].key = map[i].key;
		s->pattern_properties[i].sch = map[i].sch;
		s->pattern_properties[i].re = compile_pattern(
			c, map[i].key, "patternProperties pattern");
	}
	s->npattern_properties = n;
	free(map);
}

static void kw_additional_properties(struct compiler *c, struct sch *s,
				     const struct pe_pair *kw)
{
	s->additional = subschema(c, s, kw->value, "additionalProperties");
}

static void kw_property_names(struct compiler *c, struct sch *s,
			      const struct pe_pair *kw)
{
	s->property_names = subschema(c, s, kw->value, "propertyNames");
}

static void kw_max_properties(struct compiler *c, struct sch *s,
			      const struct pe_pair *kw)
{
	read_count(c, kw, &s->max_properties);
}

static void kw_min_properties(struct compiler *c, struct sch *s,
			      const struct pe_pair *kw)
{
	read_count(c, kw, &s->min_properties);
}

static void kw_required(struct compiler *c, struct sch *s,
			const struct pe_pair *kw)
{
	if (!is_string_set(kw->value)) {
		error_at(c, kw->key,
			 "required must be an array of different strings");
		return;
	}
	s->required = kw->value;
}

static void kw_dependent_required(struct compiler *c, struct sch *s,
				  const struct pe_pair *kw)
{
	const struct pe_node *v = kw->value;

	for (size_t i = 0; v->kind == PE_NODE_MAP && i < v->npairs; i++) {
		if (!is_string_set(v->pairs[i].value)) {
			error_at(c, v->pairs[i].key,
				 "dependentRequired must map each property to "
				 "an array of different strings");
			return;
		}
	}
	if (v->kind != PE_NODE_MAP) {
		error_at(c, kw->key,
			 "dependentRequired must be an object of arrays");
		return;
	}
	s->dependent_required = v;
}

static void kw_dependent_schemas(struct compiler *c, struct sch *s,
				 const struct pe_pair *kw)
{
	s->dependent_schemas = schema_map(c, s, kw, &s->ndependent_schemas);
}

static void kw_all_of(struct compiler *c, struct sch *s,
		      const struct pe_pair *kw)
{
	s->all_of = schema_list(c, s, kw, &s->nall_of);
}

static void kw_any_of(struct compiler *c, struct sch *s,
		      const struct pe_pair *kw)
{
	s->any_of = schema_list(c, s, kw, &s->nany_of);
}

static void kw_one_of(struct compiler *c, struct sch *s,
		      const struct pe_pair *kw)
{
	s->one_of = schema_list(c, s, kw, &s->none_of);
}

static void kw_not(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	s->not_ = subschema(c, s, kw->value, "not");
}

static void kw_if(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	s->if_ = subschema(c, s, kw->value, "if");
}

static void kw_then(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	s->then_ = subschema(c, s, kw->value, "then");
}

static void kw_else(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	s->else_ = subschema(c, s, kw->value, "else");
}

static void kw_unevaluated_items(struct compiler *c, struct sch *s,
				 const struct pe_pair *kw)
{
	s->unevaluated_items = subschema(c, s, kw->value, "unevaluatedItems");
	s->has_annotations = 1;
}

static void kw_unevaluated_properties(struct compiler *c, struct sch *s,
				      const struct pe_pair *kw)
{
	s->unevaluated_properties =
		subschema(c, s, kw->value, "unevaluatedProperties");
	s->has_annotations = 1;
}

/* $defs and definitions: their schemas are checked, not applied. */
static void kw_defs(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	size_t n;

	free(schema_map(c, s, kw, &n));
}

/* The member of map named by the len bytes at token, or NULL. */
static const struct pe_node *member(const struct pe_node *map,
				    const char *token, size_t len)
{
	const struct pe_pair *p = pe_node_pair_len(map, token, len);

	return p ? p->value : NULL;
}

/* The item of seq that an array index token names, or NULL. */
static const struct pe_node *item_at(const struct pe_node *seq,
				     const char *token, size_t len)
{
	size_t index = 0;

	if (!len || (len > 1 && token[0] == '0'))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (token[i] < '0' || token[i] > '9' || index > SIZE_MAX / 10)
			return NULL;
		index = index * 10 + (size_t)(token[i] - '0');
	}
	return index < seq->count ? seq->items[index] : NULL;
}

/*
 * Follows a JSON pointer (decoded, "/a/b~1c") from a resource's root;
 * *res becomes the resource of the node found.  NULL when it names none.
 */
static const struct pe_node *follow_pointer(struct compiler *c,
					    const char *pointer,
					    struct resource **res)
{
	const struct pe_node *n = (*res)->root;
	struct pe_buf token;

	pe_buf_init(&token, 0);
	while (n && *pointer == '/') {
		const char *end = strchr(pointer + 1, '/');
		size_t len =
			end ? (size_t)(end - pointer - 1) : strlen(pointer + 1);
		struct slot *slot;

		pe_buf_reset(&token);
		for (size_t i = 1; i <= len; i++) {
			char ch = pointer[i];

			if (ch == '~' && i < len &&
			    (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
				ch = pointer[++i] == '0' ? '~' : '/';
			}
			pe_buf_addc(&token, ch);
		}
		n = n->kind == PE_NODE_MAP
			    ? member(n, token.data ? token.data : "", token.len)
		    : n->kind == PE_NODE_SEQ
			    ? item_at(n, pe_buf_str(&token), token.len)
			    : NULL;
		pointer += len + 1;
		slot = n ? table_get(&c->table, n) : NULL;
		if (slot && slot->res)
			*res = slot->res;
	}
	pe_buf_release(&token);
	return n;
}

/*
 * Resolves the reference of keyword kw of s to the node it names; *res
 * becomes its resource and *fragment the decoded fragment (owned by the
 * caller).  NULL after an error.
 */
static const struct pe_node *resolve(struct compiler *c, const struct sch *s,
				     const struct pe_pair *kw,
				     struct resource **res, char **fragment)
{
	const struct pe_node *v = kw->value, *target = NULL;
	char *uri, *hash;
	char *shown;

	*fragment = NULL;
	if (v->kind != PE_NODE_STRING || strlen(v->text) != v->len) {
		error_at(c, kw->key, "%s must be a URI reference (a string)",
			 kw->key->text);
		return NULL;
	}
	uri = pe_url_resolve(s->res->uri, v->text);
	hash = strchr(uri, '#');
	if (hash) {
		*hash = '\0';
		*fragment = pe_url_decode(hash + 1);
	}
	if (hash && !*fragment) {
		shown = short_text(v->text, v->len);
		error_at(c, kw->key,
			 "%s '%s' holds %%00, a NUL, which a pointer or "
			 "anchor here cannot hold",
			 kw->key->text, shown);
		free(shown);
		free(uri);
		return NULL;
	}
	*res = find_resource(c->js, uri);
	if (!*res && c->docs && c->docs->load) {
		*res = load_resource(c, uri, kw->key);
		if (!*res) {
			free(uri);
			return NULL;
		}
	}
	shown = short_text(v->text, v->len);
	if (!*res) {
		char *doc = pe_shorten(uri, strlen(uri), SHOW_POINTER);
		/* A root without $id has no URI to show. */
		int same = !strcmp(doc, v->text) ||
			   !strncmp(uri, default_base,
				    strrchr(default_base, '/') - default_base);

		char *ref = pe_shorten(v->text, v->len, SHOW_POINTER);

		error_at(c, kw->key,
			 "%s '%s' names another document%s%s%s: only "
			 "references inside the schema are supported",
			 kw->key->text, ref, same ? "" : " (", same ? "" : doc,
			 same ? "" : ")");
		free(ref);
		free(doc);
	} else if (!*fragment || !**fragment) {
		target = (*res)->root;
	} else if (**fragment == '/') {
		target = follow_pointer(c, *fragment, res);
	} else {
		const struct anchor *a = find_anchor(*res, *fragment, 0);

		target = a ? a->node : NULL;
	}
	if (*res && !target)
		error_at(c, kw->key, "%s '%s' names nothing in the schema",
			 kw->key->text, shown);
	else if (target && !is_schema(target)) {
		error_at(c, kw->key, "%s '%s' names %s, not a schema",
			 kw->key->text, shown, kind_name(target));
		target = NULL;
	}
	free(shown);
	free(uri);
	return target;
}

static void kw_ref(struct compiler *c, struct sch *s, const struct pe_pair *kw)
{
	struct resource *res = NULL;
	char *fragment;
	const struct pe_node *target = resolve(c, s, kw, &res, &fragment);

	s->ref_key = kw;
	if (target)
		s->ref = schema_for(c, target, res);
	free(fragment);
}

/*
 * $dynamicRef resolves as $ref does; when its fragment is a name that the
 * schema it finds declares as $dynamicAnchor, validation looks for the
 * outermost schema of the same name in the dynamic scope instead.
 */
static void kw_dynamic_ref(struct compiler *c, struct sch *s,
			   const struct pe_pair *kw)
{
	struct resource *res = NULL;
	char *fragment;
	const struct pe_node *target = resolve(c, s, kw, &res, &fragment);
	const struct pe_node *anchor;

	s->dynamic_ref_key = kw;
	if (target) {
		s->dynamic_ref = schema_for(c, target, res);
		anchor = pe_node_get(target, "$dynamicAnchor");
		if (fragment && *fragment != '/' && anchor &&
		    anchor->kind == PE_NODE_STRING &&
		    !strcmp(anchor->text, fragment))
			s->dynamic_anchor = anchor->text;
	}
	free(fragment);
}

static const struct keyword keywords[] = {
	/* Core. */
	{ "$schema", SHAPE_OTHER, NULL, NULL, V_CORE }, /* read by the walk */
	{ "$id", SHAPE_OTHER, NULL, NULL, V_CORE },
	{ "$ref", SHAPE_OTHER, kw_ref, NULL, V_CORE },
	{ "$anchor", SHAPE_OTHER, NULL, NULL, V_CORE },
	{ "$dynamicRef", SHAPE_OTHER, kw_dynamic_ref, NULL, V_CORE },
	{ "$dynamicAnchor", SHAPE_OTHER, NULL, NULL, V_CORE },
	{ "$defs", SHAPE_SCHEMA_MAP, kw_defs, NULL, V_CORE },
	{ "definitions", SHAPE_SCHEMA_MAP, kw_defs, NULL, V_CORE },
	{ "$comment", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "$vocabulary", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	/* Applicators. */
	{ "allOf", SHAPE_SCHEMA_LIST, kw_all_of, NULL, V_APPLICATOR },
	{ "anyOf", SHAPE_SCHEMA_LIST, kw_any_of, NULL, V_APPLICATOR },
	{ "oneOf", SHAPE_SCHEMA_LIST, kw_one_of, NULL, V_APPLICATOR },
	{ "not", SHAPE_SCHEMA, kw_not, NULL, V_APPLICATOR },
	{ "if", SHAPE_SCHEMA, kw_if, NULL, V_APPLICATOR },
	{ "then", SHAPE_SCHEMA, kw_then, NULL, V_APPLICATOR },
	{ "else", SHAPE_SCHEMA, kw_else, NULL, V_APPLICATOR },
	{ "dependentSchemas", SHAPE_SCHEMA_MAP, kw_dependent_schemas, NULL,
	  V_APPLICATOR },
	{ "prefixItems", SHAPE_SCHEMA_LIST, kw_prefix_items, NULL,
	  V_APPLICATOR },
	{ "items", SHAPE_SCHEMA, kw_items, NULL, V_APPLICATOR },
	{ "contains", SHAPE_SCHEMA, kw_contains, NULL, V_APPLICATOR },
	{ "properties", SHAPE_SCHEMA_MAP, kw_properties, NULL, V_APPLICATOR },
	{ "patternProperties", SHAPE_SCHEMA_MAP, kw_pattern_properties, NULL,
	  V_APPLICATOR },
	{ "additionalProperties", SHAPE_SCHEMA, kw_additional_properties, NULL,
	  V_APPLICATOR },
	{ "propertyNames", SHAPE_SCHEMA, kw_property_names, NULL,
	  V_APPLICATOR },
	{ "unevaluatedItems", SHAPE_SCHEMA, kw_unevaluated_items, NULL,
	  V_UNEVALUATED },
	{ "unevaluatedProperties", SHAPE_SCHEMA, kw_unevaluated_properties,
	  NULL, V_UNEVALUATED },
	/* Validation. */
	{ "type", SHAPE_OTHER, kw_type, NULL, V_VALIDATION },
	{ "enum", SHAPE_OTHER, kw_enum, NULL, V_VALIDATION },
	{ "const", SHAPE_OTHER, kw_const, NULL, V_VALIDATION },
	{ "multipleOf", SHAPE_OTHER, kw_multiple_of, NULL, V_VALIDATION },
	{ "maximum", SHAPE_OTHER, kw_maximum, NULL, V_VALIDATION },
	{ "exclusiveMaximum", SHAPE_OTHER, kw_exclusive_maximum, NULL,
	  V_VALIDATION },
	{ "minimum", SHAPE_OTHER, kw_minimum, NULL, V_VALIDATION },
	{ "exclusiveMinimum", SHAPE_OTHER, kw_exclusive_minimum, NULL,
	  V_VALIDATION },
	{ "maxLength", SHAPE_OTHER, kw_max_length, NULL, V_VALIDATION },
	{ "minLength", SHAPE_OTHER, kw_min_length, NULL, V_VALIDATION },
	{ "pattern", SHAPE_OTHER, kw_pattern, NULL, V_VALIDATION },
	{ "maxItems", SHAPE_OTHER, kw_max_items, NULL, V_VALIDATION },
	{ "minItems", SHAPE_OTHER, kw_min_items, NULL, V_VALIDATION },
	{ "uniqueItems", SHAPE_OTHER, kw_unique_items, NULL, V_VALIDATION },
	{ "maxContains", SHAPE_OTHER, kw_max_contains, NULL, V_VALIDATION },
	{ "minContains", SHAPE_OTHER, kw_min_contains, NULL, V_VALIDATION },
	{ "maxProperties", SHAPE_OTHER, kw_max_properties, NULL, V_VALIDATION },
	{ "minProperties", SHAPE_OTHER, kw_min_properties, NULL, V_VALIDATION },
	{ "required", SHAPE_OTHER, kw_required, NULL, V_VALIDATION },
	{ "dependentRequired", SHAPE_OTHER, kw_dependent_required, NULL,
	  V_VALIDATION },
	/* Annotations: meta-data, format-annotation and content. */
	{ "title", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "description", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "default", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "deprecated", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "readOnly", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "writeOnly", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "examples", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "format", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "contentEncoding", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "contentMediaType", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	{ "contentSchema", SHAPE_ANNOTATION, NULL, NULL, V_CORE },
	/* Earlier drafts' assertions, which 2020-12 spells otherwise. */
	{ "additionalItems", SHAPE_REFUSED, NULL,
	  "is a keyword of drafts before 2020-12, which writes prefixItems "
	  "and items",
	  V_CORE },
	{ "dependencies", SHAPE_REFUSED, NULL,
	  "is a keyword of drafts before 2019-09, which write "
	  "dependentRequired and dependentSchemas",
	  V_CORE },
	{ "$recursiveRef", SHAPE_REFUSED, NULL,
	  "is a keyword of draft 2019-09; 2020-12 writes $dynamicRef", V_CORE },
	{ "$recursiveAnchor", SHAPE_REFUSED, NULL,
	  "is a keyword of draft 2019-09; 2020-12 writes $dynamicAnchor",
	  V_CORE },
};

static const struct keyword *find_keyword(const struct pe_node *key)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
		if (strlen(key->text) == key->len &&
		    !strcmp(key->text, keywords[i].name))
			return &keywords[i];
	return NULL;
}

/* ---- The walk: resources and anchors ---- */

/* Takes $id of schema n: returns the resource n starts, or res. */
static struct resource *take_id(struct compiler *c, const struct pe_node *n,
				struct resource *res)
{
	const struct pe_pair *p = pe_node_pair(n, "$id");
	struct resource *other;
	char *uri, *hash;

	if (!p)
		return res;
	if (p->value->kind != PE_NODE_STRING ||
	    strlen(p->value->text) != p->value->len) {
		error_at(c, p->key, "$id must be a URI reference (a string)");
		return res;
	}
	uri = pe_url_resolve(res->uri, p->value->text);
	hash = strchr(uri, '#');
	if (hash && hash[1]) {
		error_at(c, p->key,
			 "$id must not hold a fragment ('%s'): name a place "
			 "with $anchor",
			 hash);
		free(uri);
		return res;
	}
	if (hash)
		*hash = '\0';
	other = find_resource(c->js, uri);
	if (other && other->root != n) {
		error_at(c, p->key, "$id '%s' is given to two schemas", uri);
		free(uri);
		return res;
	}
	if (other) {
		free(uri);
		return other;
	}
	return add_resource(c->js, uri, n, res->vocab);
}

/*
 * Visits schema n and the subschemas under it, in the resource res:
 * records each schema's resource and each anchor.  A node seen before (a
 * YAML alias) is not visited again, and the depth is bounded: aliases
 * can nest a YAML mapping deeper than the YAML loader's own limit.
 */
static void walk(struct compiler *c, const struct pe_node *n,
		 struct resource *res, int depth)
{
	struct slot *slot;

	if (n->kind != PE_NODE_MAP)
		return;
	if (depth > MAX_NESTING) {
		if (!c->failed)
			error_at(c, n,
				 "the schema nests more than %d levels "
				 "deep",
				 MAX_NESTING);
		return;
	}
	slot = table_get(&c->table, n);
	if (slot->walked)
		return;
	slot->walked = 1;
	res = take_id(c, n, res);
	take_dialect(c, n, res);
	slot = table_get(&c->table, n);
	slot->res = res;
	add_anchor(c, res, n, "$anchor", 0);
	add_anchor(c, res, n, "$dynamicAnchor", 1);
	for (size_t i = 0; i < n->npairs; i++) {
		const struct keyword *k = find_keyword(n->pairs[i].key);
		const struct pe_node *v = n->pairs[i].value;

		if (!k)
			continue;
		if (k->shape == SHAPE_SCHEMA)
			walk(c, v, res, depth + 1);
		else if (k->shape == SHAPE_SCHEMA_LIST &&
			 v->kind == PE_NODE_SEQ)
			for (size_t j = 0; j < v->count; j++)
				walk(c, v->items[j], res, depth + 1);
		else if (k->shape == SHAPE_SCHEMA_MAP && v->kind == PE_NODE_MAP)
			for (size_t j = 0; j < v->npairs; j++)
				walk(c, v->pairs[j].value, res, depth + 1);
	}
}

/*
 * Queues the dynamic anchors of the resources from the first-th on for
 * compiling: a $dynamicRef may land on any of them.
 */
static void compile_dynamic_anchors(struct compiler *c, size_t first)
{
	for (size_t i = first; i < c->js->nresources; i++) {
		struct resource *r = c->js->resources[i];

		for (size_t k = 0; k < r->nanchors; k++)
			if (r->anchors[k].dynamic)
				r->anchors[k].sch =
					schema_for(c, r->anchors[k].node, r);
	}
}

/*
 * The document at uri, from the loader, kept until the schema is freed;
 * from is the keyword that names it.  NULL after an error.
 */
static struct pe_doc *load_doc(struct compiler *c, const char *uri,
			       const struct pe_node *from)
{
	struct pe_jsonschema *js = c->js;
	struct pe_doc *doc;

	if (js->ndocs >= MAX_DOCUMENTS) {
		error_at(c, from,
			 "the schema refers to more than %d other documents",
			 MAX_DOCUMENTS);
		return NULL;
	}
	doc = c->docs->load(c->docs->arg, uri, &from->mark, c->diag);
	if (!doc) {
		c->failed = 1;
		return NULL;
	}
	pe_grow(&js->docs, &js->docs_alloc, js->ndocs + 1, sizeof(*js->docs));
	js->docs[js->ndocs++] = doc;
	if (!doc->root || !is_schema(doc->root)) {
		error_at(c, from,
			 "'%s' holds no schema (an object or a boolean)", uri);
		return NULL;
	}
	return doc;
}

/*
 * The resource of the document at uri, loaded, walked and its dynamic
 * anchors queued, as the schema's own document was.  NULL after an error.
 */
static struct resource *load_resource(struct compiler *c, const char *uri,
				      const struct pe_node *from)
{
	struct pe_doc *doc = load_doc(c, uri, from);
	size_t first = c->js->nresources;
	struct resource *r;

	if (!doc)
		return NULL;
	r = add_resource(c->js, xstrdup(uri), doc->root, V_ALL);
	walk(c, doc->root, r, 0);
	compile_dynamic_anchors(c, first);
	return r;
}

/* The dialects JSON Schema names: their vocabularies are all on. */
static int known_dialect(const char *v)
{
	static const char *const known[] = {
		"https://json-schema.org/draft/2020-12/schema",
		"https://json-schema.org/draft/2019-09/schema",
		"http://json-schema.org/draft-07/schema",
		"http://json-schema.org/draft-06/schema",
		"http://json-schema.org/draft-04/schema",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++) {
		size_t n = strlen(known[i]);

		if (!strncmp(v, known[i], n) &&
		    (!v[n] || (v[n] == '#' && !v[n + 1])))
			return 1;
	}
	return 0;
}

/*
 * The vocabularies (enum vocab) that the $vocabulary of metaschema meta
 * turns on; kw is the $schema that names it.  One it requires that this
 * validator does not implement is an error; one it may do without is
 * left out.  Without $vocabulary, all of 2020-12's are on.
 */
static unsigned read_vocabulary(struct compiler *c, const struct pe_pair *kw,
				const struct pe_node *meta)
{
	static const char prefix[] =
		"https://json-schema.org/draft/2020-12/vocab/";
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = { { "core", V_CORE },
		      { "applicator", V_APPLICATOR },
		      { "unevaluated", V_UNEVALUATED },
		      { "validation", V_VALIDATION },
		      { "meta-data", V_CORE },
		      { "format-annotation", V_CORE },
		      { "content", V_CORE } };
	const struct pe_node *v = meta->kind == PE_NODE_MAP
					  ? pe_node_get(meta, "$vocabulary")
					  : NULL;
	unsigned bits = V_CORE;

	if (!v)
		return V_ALL;
	if (v->kind != PE_NODE_MAP) {
		error_at(c, kw->key,
			 "the metaschema $schema names has a $vocabulary "
			 "that is not an object");
		return V_ALL;
	}
	for (size_t i = 0; i < v->npairs; i++) {
		const char *name = v->pairs[i].key->text;
		const struct pe_node *required = v->pairs[i].value;
		size_t k = sizeof(known) / sizeof(*known);

		if (!strncmp(name, prefix, sizeof(prefix) - 1))
			for (k = 0; k < sizeof(known) / sizeof(*known); k++)
				if (!strcmp(name + sizeof(prefix) - 1,
					    known[k].name))
					break;
		if (k < sizeof(known) / sizeof(*known))
			bits |= known[k].bit;
		else if (required->kind != PE_NODE_BOOL || required->bval)
			error_at(c, kw->key,
				 "$schema names a dialect that requires the "
				 "vocabulary '%s', which this validator does "
				 "not implement%s",
				 name,
				 pe_ends_with(name, "/format-assertion")
					 ? " (format is an annotation here)"
					 : "");
	}
	return bits;
}

/*
 * Takes $schema of schema n: JSON Schema's own dialects; at the root of
 * a resource, another metaschema from the loader (its URI resolved
 * against the resource's, though 2020-12 writes it absolute), whose
 * $vocabulary says which keywords of res are assertions.  Any other is
 * refused.
 */
static void take_dialect(struct compiler *c, const struct pe_node *n,
			 struct resource *res)
{
	const struct pe_pair *kw = pe_node_pair(n, "$schema");
	const struct pe_node *v = kw ? kw->value : NULL;
	struct pe_doc *doc;
	char *uri, *hash;

	if (!kw)
		return;
	if (v->kind == PE_NODE_STRING && strlen(v->text) == v->len &&
	    known_dialect(v->text)) {
		if (n == res->root)
			res->vocab = V_ALL;
		return;
	}
	if (v->kind != PE_NODE_STRING || strlen(v->text) != v->len ||
	    !c->docs || !c->docs->load || n != res->root) {
		error_at(c, kw->key,
			 "$schema names a dialect this validator does not "
			 "know; it validates JSON Schema draft 2020-12 "
			 "(earlier drafts' $schema are taken too)");
		return;
	}
	uri = pe_url_resolve(res->uri, v->text);
	hash = strchr(uri, '#');
	if (hash)
		*hash = '\0';
	doc = load_doc(c, uri, kw->key);
	if (doc)
		res->vocab = read_vocabulary(c, kw, doc->root);
	free(uri);
}

/* ---- Compiling ---- */

/*
 * True when word ("Length", "Properties") ends a keyword's name, as the
 * run-on part of a misspelt keyword does ("minimumLength"), where a
 * vendor's key runs on in words of its own ("patternErrorMessage").
 */
static int keyword_word(const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++) {
		size_t kl = strlen(keywords[i].name);

		if (kl > wl && !strcmp(keywords[i].name + kl - wl, word))
			return 1;
	}
	return 0;
}

/*
 * The keyword that key cuts short ("maxLen", "unique", "exclusiveMax") or
 * runs on from in camel case with a keyword's last word ("minimumLength",
 * "requiredProperties"), of those that check something; NULL when none.
 */
static const char *cut_or_run_on(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++) {
		const char *k = keywords[i].name;
		size_t kl = strlen(k);

		if (keywords[i].shape == SHAPE_ANNOTATION || *k == '$')
			continue;
		if (len >= 4 && len < kl && !strncmp(k, key, len))
			return k;
		if (kl >= 6 && len > kl && !strncmp(key, k, kl) &&
		    key[kl] >= 'A' && key[kl] <= 'Z' && keyword_word(key + kl))
			return k;
	}
	return NULL;
}

/*
 * Warns about a key that is no keyword but looks like one ("requried",
 * "maxlength", "maxLen", "minimumLength"): 2020-12 reads it as an
 * annotation, which checks nothing, so it is counted as an unknown key
 * (an evaluator's is then skipped).  Other keys ("x-owner", "nullable")
 * are annotations, as the spec says.
 */
static void check_typo(struct compiler *c, const struct pe_node *key)
{
	const char *names[sizeof(keywords) / sizeof(*keywords) + 1];
	const char *hint;
	size_t n = 0;

	if (strlen(key->text) != key->len)
		return;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
		names[n++] = keywords[i].name;
	names[n] = NULL;
	hint = pe_suggest(key->text, names);
	if (!hint)
		hint = cut_or_run_on(key->text, key->len);
	if (hint)
		pe_diag_unknown_key(c->diag, &key->mark, key->text,
				    "a JSON Schema", hint);
}

/*
 * Warns, once a resource, at keyword key of k, which the dialect of res
 * leaves out: it is an annotation there, so it checks nothing.
 */
static void tell_left_out(struct compiler *c, struct resource *res,
			  const struct pe_node *key, const struct keyword *k)
{
	const char *vocab = k->vocab == V_VALIDATION   ? "validation"
			    : k->vocab == V_APPLICATOR ? "applicator"
						       : "unevaluated";

	if (res->told)
		return;
	res->told = 1;
	pe_diag_warning(c->diag, &key->mark,
			"%s checks nothing here: the dialect $schema names "
			"leaves out the %s vocabulary, so its keywords are "
			"annotations in this schema",
			k->name, vocab);
}

/*
 * Compiles each keyword of schema s.  A keyword given twice (JSON allows
 * it) is an error: which of the two counts would be a guess.  One whose
 * vocabulary the dialect leaves out is an annotation (tell_left_out).
 */
static void compile_schema(struct compiler *c, struct sch *s)
{
	const struct pe_node *n = s->node;
	unsigned char given[sizeof(keywords) / sizeof(*keywords)] = { 0 };

	if (s->boolean >= 0)
		return;
	for (size_t i = 0; i < n->npairs; i++) {
		const struct pe_pair *p = &n->pairs[i];
		const struct keyword *k = find_keyword(p->key);

		if (!k) {
			check_typo(c, p->key);
			continue;
		}
		if (given[k - keywords]) {
			error_at(c, p->key, "%s is given twice in one schema",
				 k->name);
			continue;
		}
		given[k - keywords] = 1;
		if (k->shape == SHAPE_REFUSED)
			error_at(c, p->key, "%s %s", k->name, k->refused);
		else if (k->vocab && !(s->res->vocab & k->vocab))
			tell_left_out(c, s->res, p->key, k);
		else if (k->compile)
			k->compile(c, s, p);
	}
	if (!s->contains)
		s->min_contains = 0;
}

/* The k-th schema that s applies in place, unconditionally, or NULL. */
static struct sch *unconditional(const struct sch *s, size_t k)
{
	struct sch *fixed[] = { s->ref,
				s->dynamic_anchor ? NULL : s->dynamic_ref,
				s->nany_of ? s->any_of[0] : NULL, s->not_,
				s->if_ };

	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
		if (fixed[i] && k-- == 0)
			return fixed[i];
	if (k < s->nall_of)
		return s->all_of[k];
	k -= s->nall_of;
	return k < s->none_of ? s->one_of[k] : NULL;
}

/*
 * Reports a cycle of references and in-place applicators ($ref, allOf,
 * oneOf, the first anyOf, not, if) that comes back to a schema without
 * moving into the instance: validation would never end.  An iterative
 * depth-first search, so a long chain costs no stack.
 */
static void check_cycles(struct compiler *c)
{
	struct dfs {
		struct sch *s;
		size_t next;
	} *stack = NULL;
	size_t depth = 0, alloc = 0;

	for (size_t i = 0; i < c->js->nall && !c->failed; i++) {
		if (c->js->all[i]->color)
			continue;
		pe_grow(&stack, &alloc, depth + 1, sizeof(*stack));
		stack[depth++] = (struct dfs){ c->js->all[i], 0 };
		c->js->all[i]->color = 1;
		while (depth && !c->failed) {
			struct dfs *top = &stack[depth - 1];
			struct sch *next = unconditional(top->s, top->next++);
			const struct pe_pair *k;

			if (!next) {
				top->s->color = 2;
				depth--;
			} else if (next->color == 1) {
				k = top->s->ref_key ? top->s->ref_key
						    : top->s->dynamic_ref_key;
				error_at(c, k ? k->key : top->s->node,
					 "this schema comes back to itself "
					 "through $ref or an in-place "
					 "applicator without moving into the "
					 "instance, so validating never ends");
			} else if (!next->color) {
				next->color = 1;
				pe_grow(&stack, &alloc, depth + 1,
					sizeof(*stack));
				stack[depth++] = (struct dfs){ next, 0 };
			}
		}
	}
	free(stack);
}

/*
 * Digests the other documents once, as JSON (so where a file is read
 * from and its white space do not count): their text decides verdicts
 * as much as the root does.  See pe_jsonschema_documents.
 */
static void digest_documents(struct pe_jsonschema *js)
{
	struct pe_buf b;

	if (!js->ndocs)
		return;
	pe_buf_init(&b, 0);
	for (size_t i = 0; i < js->ndocs; i++) {
		pe_json_node(&b, js->docs[i]->root);
		pe_buf_addc(&b, 0);
	}
	pe_sha256_hex(b.data, b.len, js->docs_digest);
	pe_buf_release(&b);
}

/* Compiles a schema; see jsonschema.h. */
struct pe_jsonschema *pe_jsonschema_compile(
	const struct pe_node *root, const struct pe_jsonschema_docs *docs,
	struct pe_diag *diag)
{
	struct compiler c = { NULL, diag, 0, { NULL, 0, 0 }, docs };
	const char *base = docs && docs->base ? docs->base : default_base;
	struct resource *res;

	c.js = xcalloc(1, sizeof(*c.js));
	if (!is_schema(root)) {
		error_at(&c, root,
			 "a JSON Schema must be an object or a boolean, not "
			 "%s",
			 kind_name(root));
		free(c.js);
		return NULL;
	}
	res = add_resource(c.js, xstrdup(base), root, V_ALL);
	walk(&c, root, res, 0);
	c.js->root = schema_for(&c, root, res);
	compile_dynamic_anchors(&c, 0);
	for (size_t i = 0; i < c.js->nall; i++)
		compile_schema(&c, c.js->all[i]);
	if (!c.failed)
		check_cycles(&c);
	free(c.table.slots);
	if (c.failed) {
		pe_jsonschema_free(c.js);
		return NULL;
	}
	digest_documents(c.js);
	return c.js;
}

/* Frees a compiled schema; NULL is a no-op. */
void pe_jsonschema_free(struct pe_jsonschema *js)
{
	if (!js)
		return;
	for (size_t i = 0; i < js->nall; i++) {
		struct sch *s = js->all[i];

		pe_pattern_free(s->pattern);
		for (size_t k = 0; k < s->npattern_properties; k++)
			pe_pattern_free(s->pattern_properties[k].re);
		free(s->pattern_properties);
		free(s->prefix);
		free(s->properties);
		free(s->dependent_schemas);
		free(s->all_of);
		free(s->any_of);
		free(s->one_of);
		free(s);
	}
	for (size_t i = 0; i < js->nresources; i++) {
		free(js->resources[i]->anchors);
		free(js->resources[i]->uri);
		free(js->resources[i]);
	}
	free(js->resources);
	for (size_t i = 0; i < js->ndocs; i++)
		pe_doc_free(js->docs[i]);
	free(js->docs);
	free(js->all);
	free(js);
}

/* What the other documents hold; see jsonschema.h. */
void pe_jsonschema_documents(const struct pe_jsonschema *js, struct pe_buf *out)
{
	pe_buf_adds(out, js->docs_digest);
}

/* ---- Validating ---- */

/* Where the instance being checked is: a chain up to the root. */
struct path {
	const struct path *up;
	const struct pe_node *key; /* a property's name, or NULL for an item */
	size_t index;
};

/* One schema applied to one place of the instance; see the top. */
struct frame {
	const struct frame *up;
	const struct sch *sch;
	const struct pe_node *instance;
};

/* Which members of an object or items of an array were evaluated. */
struct seen {
	unsigned char *bits;
	size_t n;
};

struct ctx {
	size_t steps, max_steps;
	unsigned depth;
	unsigned mute; /* inside anyOf, oneOf, not...: report nothing */
	int stopped;   /* a limit stopped validation; stop_why says which */
	size_t problems, max_listed;
	struct pe_buf *why;
	struct pe_buf stop_why;
};

static void seen_init(struct seen *s, size_t n)
{
	s->n = n;
	s->bits = n ? xcalloc((n + 7) / 8, 1) : NULL;
}

static void seen_release(struct seen *s)
{
	free(s->bits);
	s->bits = NULL;
}

static void seen_mark(struct seen *s, size_t i)
{
	if (s && i < s->n)
		s->bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

static int seen_has(const struct seen *s, size_t i)
{
	return (s->bits[i / 8] >> (i % 8)) & 1;
}

static void seen_merge(struct seen *to, const struct seen *from)
{
	for (size_t i = 0; i < (from->n + 7) / 8 && i < (to->n + 7) / 8; i++)
		to->bits[i] |= from->bits[i];
}

/* Appends a pointer token, with ~ and / escaped (RFC 6901). */
static void add_token(struct pe_buf *out, const char *s, size_t len)
{
	size_t n = pe_utf8_cut(s, len, SHOW_VALUE);

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~')
			pe_buf_adds(out, "~0");
		else if (s[i] == '/')
			pe_buf_adds(out, "~1");
		else
			pe_buf_addc(out, s[i]);
	}
	if (n < len)
		pe_buf_adds(out, "...");
}

static void add_path(struct pe_buf *out, const struct path *p)
{
	if (!p)
		return;
	add_path(out, p->up);
	pe_buf_addc(out, '/');
	if (p->key)
		add_token(out, p->key->text, p->key->len);
	else
		pe_buf_addf(out, "%zu", p->index);
}

/* Appends the JSON pointer of p, its end kept when it is long. */
static void add_pointer(struct pe_buf *out, const struct path *p)
{
	struct pe_buf full;
	size_t skip = 0;

	if (!p) {
		pe_buf_adds(out, "(root)");
		return;
	}
	pe_buf_init(&full, 0);
	add_path(&full, p);
	if (full.len > SHOW_POINTER) {
		skip = full.len - SHOW_POINTER;
		while (skip < full.len &&
		       pe_utf8_continues((unsigned char)full.data[skip]))
			skip++;
		pe_buf_adds(out, "...");
	}
	pe_buf_add(out, full.data + skip, full.len - skip);
	pe_buf_release(&full);
}

/* Appends a value as problems show it: short JSON, or its kind. */
static void add_value(struct pe_buf *out, const struct pe_node *v)
{
	size_t n;

	switch (v->kind) {
	case PE_NODE_SEQ:
		pe_buf_addf(out, "an array of %zu item%s", v->count,
			    v->count == 1 ? "" : "s");
		return;
	case PE_NODE_MAP:
		pe_buf_adds(out, "an object");
		return;
	case PE_NODE_STRING:
		n = pe_utf8_cut(v->text, v->len, SHOW_VALUE);
		pe_json_quote(out, v->text, n);
		if (n < v->len) {
			out->len--;
			pe_buf_adds(out, "...\"");
		}
		return;
	case PE_NODE_INT:
	case PE_NODE_FLOAT:
		/* As written when its double misses it: 1.0000000000000000001
		 * is not an integer, and its double, 1, would say it is. */
		if (v->inexact) {
			n = pe_utf8_cut(v->text, v->len, SHOW_VALUE);
			pe_buf_add(out, v->text, n);
			if (n < v->len)
				pe_buf_adds(out, "...");
			return;
		}
		pe_json_node(out, v);
		return;
	default:
		pe_json_node(out, v);
	}
}

/* A value as problems show it, owned by the caller. */
static char *shown(const struct pe_node *v)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	add_value(&b, v);
	return pe_buf_detach(&b, NULL);
}

/* Counts a problem; true when it is one of those listed. */
static int listed(struct ctx *x)
{
	if (x->mute)
		return 0;
	x->problems++;
	return x->problems <= x->max_listed;
}

static void report(struct ctx *x, const struct path *at,
		   const struct pe_node *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Reports a problem at place at: "POINTER: VALUE what", the value left
 * out when v is NULL.
 */
static void report(struct ctx *x, const struct path *at,
		   const struct pe_node *v, const char *fmt, ...)
{
	va_list ap;

	if (!listed(x))
		return;
	if (x->why->len)
		pe_buf_adds(x->why, "; ");
	add_pointer(x->why, at);
	pe_buf_adds(x->why, ": ");
	if (v) {
		add_value(x->why, v);
		pe_buf_addc(x->why, ' ');
	}
	va_start(ap, fmt);
	pe_buf_vaddf(x->why, fmt, ap);
	va_end(ap);
}

static void stop(struct ctx *x, const struct path *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Stops validation: a limit was reached at place at. */
static void stop(struct ctx *x, const struct path *at, const char *fmt, ...)
{
	va_list ap;

	if (x->stopped)
		return;
	x->stopped = 1;
	add_pointer(&x->stop_why, at);
	pe_buf_adds(&x->stop_why, ": ");
	va_start(ap, fmt);
	pe_buf_vaddf(&x->stop_why, fmt, ap);
	va_end(ap);
}

/* Counts n steps of work; false once the budget is spent. */
static int step(struct ctx *x, const struct path *at, size_t n)
{
	x->steps += n;
	if (x->steps > x->max_steps)
		stop(x, at,
		     "validation took more than %zu steps (%d, and %d for each "
		     "value of the answer): the schema asks for too much work",
		     x->max_steps, PE_JSONSCHEMA_STEPS,
		     PE_JSONSCHEMA_STEPS_PER_VALUE);
	return !x->stopped;
}

/* The number of values in v, its own included (depth is bounded). */
static size_t count_values(const struct pe_node *v, int depth)
{
	size_t n = 1;

	if (depth > PE_JSONSCHEMA_MAX_DEPTH)
		return n;
	for (size_t i = 0; v->kind == PE_NODE_SEQ && i < v->count; i++)
		n += count_values(v->items[i], depth + 1);
	for (size_t i = 0; v->kind == PE_NODE_MAP && i < v->npairs; i++)
		n += count_values(v->pairs[i].value, depth + 1);
	return n;
}

static unsigned instance_types(const struct pe_node *v)
{
	switch (v->kind) {
	case PE_NODE_NULL:
		return T_NULL;
	case PE_NODE_BOOL:
		return T_BOOLEAN;
	case PE_NODE_INT:
		/* 1.0000000000000000001 reads as 1, but is written a
		 * fraction. */
		return v->inexact == PE_NUMBER_NOT_INTEGER
			       ? T_NUMBER
			       : T_INTEGER | T_NUMBER;
	case PE_NODE_FLOAT:
		return T_NUMBER |
		       (isfinite(v->fval) && v->fval == floor(v->fval) &&
					v->inexact != PE_NUMBER_NOT_INTEGER
				? T_INTEGER
				: 0);
	case PE_NODE_STRING:
		return T_STRING;
	case PE_NODE_SEQ:
		return T_ARRAY;
	case PE_NODE_MAP:
		return T_OBJECT;
	}
	return 0;
}

/* Compares two numbers: exactly when both are integers of the tree. */
static int compare_numbers(const struct pe_node *a, const struct pe_node *b)
{
	double x, y;

	if (a->kind == PE_NODE_INT && b->kind == PE_NODE_INT)
		return (a->ival > b->ival) - (a->ival < b->ival);
	x = number(a);
	y = number(b);
	return (x > y) - (x < y);
}

/*
 * True when a double misses one of the numbers a and b (read from JSON
 * past 2^53, or with more than 15 significant digits: struct pe_node's
 * inexact) by enough to decide how they compare: their doubles are
 * equal or neighbours.  Far apart, the order is certain.
 */
static int too_close(const struct pe_node *a, const struct pe_node *b)
{
	double x = number(a), y = number(b);

	return (a->inexact || b->inexact) && (x == y || nextafter(x, y) == y);
}

/*
 * True when two JSON values are equal as JSON Schema compares them;
 * *undecided is set when two of their numbers are too_close to tell.
 */
static int same_value(const struct pe_node *a, const struct pe_node *b,
		      int depth, int *undecided)
{
	if (depth > 2 * PE_JSONSCHEMA_MAX_DEPTH)
		return 0;
	if (is_number(a) && is_number(b)) {
		if (too_close(a, b))
			*undecided = 1;
		return compare_numbers(a, b) == 0;
	}
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case PE_NODE_NULL:
		return 1;
	case PE_NODE_BOOL:
		return a->bval == b->bval;
	case PE_NODE_STRING:
		return a->len == b->len && !memcmp(a->text, b->text, a->len);
	case PE_NODE_SEQ:
		if (a->count != b->count)
			return 0;
		for (size_t i = 0; i < a->count; i++)
			if (!same_value(a->items[i], b->items[i], depth + 1,
					undecided))
				return 0;
		return 1;
	case PE_NODE_MAP:
		if (a->npairs != b->npairs)
			return 0;
		for (size_t i = 0; i < a->npairs; i++) {
			const struct pe_node *k = a->pairs[i].key;
			const struct pe_node *w = member(b, k->text, k->len);

			if (!w || !same_value(a->pairs[i].value, w, depth + 1,
					      undecided))
				return 0;
		}
		return 1;
	default:
		return 0; /* NaN equals nothing */
	}
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* A hash that equal values share (members in any order, 1 and 1.0). */
static uint64_t hash_value(const struct pe_node *v, int depth)
{
	uint64_t h = (uint64_t)v->kind + 1;
	double d;

	if (depth > 2 * PE_JSONSCHEMA_MAX_DEPTH)
		return 0;
	switch (v->kind) {
	case PE_NODE_BOOL:
		return mix(h + (uint64_t)v->bval);
	case PE_NODE_INT:
	case PE_NODE_FLOAT:
		d = number(v);
		if (d == 0)
			d = 0; /* -0 is 0 */
		memcpy(&h, &d, sizeof(h));
		return mix(h ^ 0x9e3779b97f4a7c15ull);
	case PE_NODE_STRING:
		return mix(h ^ hash_bytes(v->text, v->len));
	case PE_NODE_SEQ:
		for (size_t i = 0; i < v->count; i++)
			h = mix(h * 31 + hash_value(v->items[i], depth + 1));
		return h;
	case PE_NODE_MAP:
		for (size_t i = 0; i < v->npairs; i++)
			h += mix(hash_bytes(v->pairs[i].key->text,
					    v->pairs[i].key->len) *
					 7 ^
				 hash_value(v->pairs[i].value, depth + 1));
		return mix(h);
	default:
		return h;
	}
}

struct hashed {
	uint64_t hash;
	size_t index;
};

static int compare_hashed(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Finds two equal items of array v, in n log n: items are sorted by hash
 * and only those with the same hash are compared.  Returns 1 with their
 * indexes in *first and *second.
 */
static int find_duplicate(const struct pe_node *v, size_t *first,
			  size_t *second, int *undecided)
{
	struct hashed *h = xcalloc(v->count, sizeof(*h));
	int found = 0;

	for (size_t i = 0; i < v->count; i++) {
		h[i].hash = hash_value(v->items[i], 0);
		h[i].index = i;
	}
	qsort(h, v->count, sizeof(*h), compare_hashed);
	for (size_t i = 0; i < v->count && !found; i++)
		for (size_t k = i + 1;
		     k < v->count && h[k].hash == h[i].hash && !found; k++)
			if (same_value(v->items[h[i].index],
				       v->items[h[k].index], 0, undecided)) {
				*first = h[i].index;
				*second = h[k].index;
				found = 1;
			}
	free(h);
	return found;
}

/*
 * A number as digits x 10^*exp, the digits with no zero at their end: the
 * shortest of 15 to 17 significant digits that gives its double back,
 * which is the number written when it was written with at most 15 (a
 * double holds that many decimal digits), and an integer below 2^53
 * exactly.  False for a number read from JSON that the double misses
 * (struct pe_node's inexact).
 */
static int decimal_of(const struct pe_node *n, uint64_t *digits, int *exp)
{
	double d = fabs(number(n));
	char buf[48];

	if (n->inexact || !isfinite(d))
		return 0;
	for (int prec = 14; prec <= 16; prec++) {
		uint64_t v = 0;
		char *e;

		snprintf(buf, sizeof(buf), "%.*e", prec, d);
		if (strtod(buf, NULL) != d && prec < 16)
			continue;
		e = strchr(buf, 'e');
		for (const char *c = buf; c < e; c++)
			if (*c != '.')
				v = v * 10 + (uint64_t)(*c - '0');
		*exp = (int)strtol(e + 1, NULL, 10) - prec;
		while (v && v % 10 == 0) {
			v /= 10;
			++*exp;
		}
		*digits = v;
		return 1;
	}
	return 0;
}

/*
 * True when v is a multiple of m (m > 0), decided exactly on their
 * decimal digits (decimal_of): v / m is an integer when m's digits
 * divide v's times 10^(v's exponent - m's); with no zero at the end of
 * v's digits, a negative power makes it a fraction.  -1 when a number's
 * digits are not known (1e20 / 0.3 in doubles would say "integer").
 */
static int is_multiple(const struct pe_node *v, const struct pe_node *m)
{
	uint64_t dv, dm, r;
	int ev, em;

	if (v->kind == PE_NODE_INT && m->kind == PE_NODE_INT && !v->inexact)
		return v->ival % m->ival == 0;
	if (!decimal_of(v, &dv, &ev) || !decimal_of(m, &dm, &em) || !dm)
		return -1;
	if (!dv)
		return 1;
	if (ev < em)
		return 0;
	r = dv % dm;
	for (int k = em; k < ev && r; k++)
		r = r * 10 % dm; /* dm < 10^17: no overflow */
	return r == 0;
}

/* The number of characters (code points) of a string. */
static size_t count_chars(const struct pe_node *v)
{
	size_t count = 0;

	for (size_t i = 0; i < v->len; count++) {
		unsigned long cp;
		size_t n = pe_utf8_decode(v->text + i, v->len - i, &cp);

		i += n ? n : 1; /* a stray byte counts as one */
	}
	return count;
}

/* Appends the types a type keyword names: "string or null". */
static void add_types(struct pe_buf *out, const struct pe_node *type)
{
	if (type->kind == PE_NODE_STRING) {
		pe_buf_adds(out, type->text);
		return;
	}
	for (size_t i = 0; i < type->count; i++)
		pe_buf_addf(out, "%s%s",
			    i == 0		   ? ""
			    : i + 1 == type->count ? " or "
						   : ", ",
			    type->items[i]->text);
}

static int check_type(struct ctx *x, const struct frame *f,
		      const struct path *at)
{
	const struct sch *s = f->sch;
	struct pe_buf names;

	if (!s->types || (instance_types(f->instance) & s->types))
		return 1;
	if (x->mute)
		return 0;
	pe_buf_init(&names, 0);
	add_types(&names, s->type);
	report(x, at, f->instance, "is not of type %s", pe_buf_str(&names));
	pe_buf_release(&names);
	return 0;
}

/* Appends the first values of an enum, for its problem. */
static void add_enum(struct pe_buf *out, const struct pe_node *values)
{
	for (size_t i = 0; i < values->count && i < SHOW_ENUM; i++) {
		if (i)
			pe_buf_adds(out, ", ");
		add_value(out, values->items[i]);
	}
	if (values->count > SHOW_ENUM)
		pe_buf_addf(out, " and %zu more", values->count - SHOW_ENUM);
}

/*
 * Stops validation where keyword would compare a number a double does
 * not hold closely enough to decide it (too_close); returns 0.
 */
static int inexact_stop(struct ctx *x, const struct path *at,
			const char *keyword)
{
	stop(x, at,
	     "%s cannot be decided: a number here has more digits than a "
	     "double holds (an integer past 2^53, or more than 15 significant "
	     "digits), and the double alone cannot tell how it compares",
	     keyword);
	return 0;
}

static int check_enum_const(struct ctx *x, const struct frame *f,
			    const struct path *at)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	int ok = 1, undecided = 0;

	if (s->enum_values) {
		int found = 0;

		if (!step(x, at, s->enum_values->count))
			return 0;
		for (size_t i = 0; i < s->enum_values->count && !found; i++)
			found = same_value(v, s->enum_values->items[i], 0,
					   &undecided);
		if (undecided)
			return inexact_stop(x, at, "enum");
		if (!found && !x->mute) {
			struct pe_buf values;

			pe_buf_init(&values, 0);
			add_enum(&values, s->enum_values);
			report(x, at, v, "is not one of the enum values (%s)",
			       pe_buf_str(&values));
			pe_buf_release(&values);
		}
		ok = found;
	}
	if (s->const_value) {
		int same = same_value(v, s->const_value, 0, &undecided);

		if (undecided) /* equal, or too close to say */
			return inexact_stop(x, at, "const");
		if (!same && !x->mute) {
			char *want = shown(s->const_value);

			report(x, at, v, "is not the const value %s", want);
			free(want);
		}
		ok = ok && same;
	}
	return ok;
}

/* Reports v against a bound: "99 is above the maximum 10". */
static int bound_fails(struct ctx *x, const struct path *at,
		       const struct pe_node *v, const struct pe_node *bound,
		       const char *what)
{
	if (!x->mute) {
		char *b = shown(bound);

		report(x, at, v, "%s %s", what, b);
		free(b);
	}
	return 0;
}

static int check_number(struct ctx *x, const struct frame *f,
			const struct path *at)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	int ok = 1, multiple;

	if (!is_number(v))
		return 1;
	multiple = s->multiple_of ? is_multiple(v, s->multiple_of) : 1;
	if (multiple < 0) /* an inexact v has no digits (decimal_of) */
		return inexact_stop(x, at, "multipleOf");
	if ((s->maximum && too_close(v, s->maximum)) ||
	    (s->exclusive_maximum && too_close(v, s->exclusive_maximum)))
		return inexact_stop(x, at, "the maximum");
	if ((s->minimum && too_close(v, s->minimum)) ||
	    (s->exclusive_minimum && too_close(v, s->exclusive_minimum)))
		return inexact_stop(x, at, "the minimum");
	if (!multiple)
		ok = bound_fails(x, at, v, s->multiple_of,
				 "is not a multiple of (multipleOf)");
	if (s->maximum && compare_numbers(v, s->maximum) > 0)
		ok = bound_fails(x, at, v, s->maximum, "is above the maximum");
	if (s->exclusive_maximum &&
	    compare_numbers(v, s->exclusive_maximum) >= 0)
		ok = bound_fails(x, at, v, s->exclusive_maximum,
				 "is not below the exclusiveMaximum");
	if (s->minimum && compare_numbers(v, s->minimum) < 0)
		ok = bound_fails(x, at, v, s->minimum, "is below the minimum");
	if (s->exclusive_minimum &&
	    compare_numbers(v, s->exclusive_minimum) <= 0)
		ok = bound_fails(x, at, v, s->exclusive_minimum,
				 "is not above the exclusiveMinimum");
	return ok;
}

/* Matches a pattern; -1 when its match limit stopped validation. */
static int matches(struct ctx *x, const struct path *at,
		   const struct pe_pattern *re, const struct pe_node *pattern,
		   const char *s, size_t len)
{
	char err[256];
	size_t count = 0;

	if (!step(x, at, 1 + len / 64))
		return -1;
	if (pe_pattern_count(re, s, len, 1, &count, err, sizeof(err))) {
		char *p = short_text(pattern->text, pattern->len);

		stop(x, at, "the pattern %s could not be matched: %s", p, err);
		free(p);
		return -1;
	}
	return count > 0;
}

static int check_string(struct ctx *x, const struct frame *f,
			const struct path *at)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	int ok = 1;

	if (v->kind != PE_NODE_STRING)
		return 1;
	if (s->max_length != SIZE_MAX || s->min_length) {
		size_t n = count_chars(v);

		if (n > s->max_length) {
			report(x, at, v,
			       "is %zu characters long, above the maxLength "
			       "%zu",
			       n, s->max_length);
			ok = 0;
		}
		if (n < s->min_length) {
			report(x, at, v,
			       "is %zu characters long, below the minLength "
			       "%zu",
			       n, s->min_length);
			ok = 0;
		}
	}
	if (s->pattern) {
		int m = matches(x, at, s->pattern, s->pattern_text, v->text,
				v->len);

		if (m == 0) {
			char *p = short_text(s->pattern_text->text,
					     s->pattern_text->len);

			report(x, at, v, "does not match the pattern %s", p);
			free(p);
		}
		ok &= m == 1;
	}
	return ok;
}

static int validate(struct ctx *x, const struct frame *up,
		    const struct path *at, const struct sch *s,
		    const struct pe_node *v, struct seen *seen);

/*
 * The schema a $dynamicRef of s names: when it acts dynamically, the
 * outermost resource of the dynamic scope (the frames from f up) that
 * has a $dynamicAnchor of that name, else its static target.
 */
static const struct sch *dynamic_target(const struct frame *f,
					const struct sch *s)
{
	const struct sch *found = s->dynamic_ref;
	const struct resource *last = NULL;

	if (!s->dynamic_anchor)
		return found;
	for (const struct frame *g = f; g; g = g->up) {
		const struct anchor *a;

		if (g->sch->res == last)
			continue;
		last = g->sch->res;
		a = find_anchor(last, s->dynamic_anchor, 1);
		if (a && a->sch)
			found = a->sch;
	}
	return found;
}

/*
 * Applies a referenced schema in place, unless it is already being
 * applied at the same place of the instance: that is a cycle that would
 * never end.
 */
static int follow(struct ctx *x, const struct frame *f, const struct path *at,
		  const struct sch *target, const char *keyword,
		  struct seen *seen)
{
	for (const struct frame *g = f; g && g->instance == f->instance;
	     g = g->up) {
		if (g->sch == target) {
			stop(x, at,
			     "%s comes back to a schema already applied here, "
			     "a cycle that never ends",
			     keyword);
			return 0;
		}
	}
	return validate(x, f, at, target, f->instance, seen);
}

static int check_any_of(struct ctx *x, const struct frame *f,
			const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	int any = 0;

	x->mute++;
	for (size_t i = 0; i < s->nany_of && !x->stopped; i++) {
		if (validate(x, f, at, s->any_of[i], f->instance, seen)) {
			any = 1;
			if (!seen)
				break; /* no annotations to gather */
		}
	}
	x->mute--;
	if (!any)
		report(x, at, f->instance,
		       "matches none of the %zu anyOf schemas", s->nany_of);
	return any;
}

static int check_one_of(struct ctx *x, const struct frame *f,
			const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	size_t count = 0, first = 0, second = 0;

	x->mute++;
	for (size_t i = 0; i < s->none_of && !x->stopped; i++) {
		if (!validate(x, f, at, s->one_of[i], f->instance, seen))
			continue;
		if (count++)
			second = i;
		else
			first = i;
		if (count > 1)
			break;
	}
	x->mute--;
	if (!count)
		report(x, at, f->instance,
		       "matches none of the %zu oneOf schemas", s->none_of);
	else if (count > 1)
		report(x, at, f->instance,
		       "matches both oneOf/%zu and oneOf/%zu, not exactly one "
		       "of the oneOf schemas",
		       first, second);
	return count == 1;
}

static int check_not(struct ctx *x, const struct frame *f,
		     const struct path *at)
{
	int matched;

	x->mute++;
	matched = validate(x, f, at, f->sch->not_, f->instance, NULL);
	x->mute--;
	if (matched)
		report(x, at, f->instance, "matches the schema under not");
	return !matched && !x->stopped;
}

static int check_if(struct ctx *x, const struct frame *f, const struct path *at,
		    struct seen *seen)
{
	const struct sch *s = f->sch;
	int cond;

	x->mute++;
	cond = validate(x, f, at, s->if_, f->instance, seen);
	x->mute--;
	if (x->stopped)
		return 0;
	if (cond && s->then_)
		return validate(x, f, at, s->then_, f->instance, seen);
	if (!cond && s->else_)
		return validate(x, f, at, s->else_, f->instance, seen);
	return 1;
}

/* Gives up on a schema early: muted, only the verdict counts. */
#define GIVE_UP(x, ok) ((x)->stopped || (!(ok) && (x)->mute))

/* $ref, $dynamicRef, allOf, anyOf, oneOf, not and if/then/else. */
static int check_in_place(struct ctx *x, const struct frame *f,
			  const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	int ok = 1;

	if (s->ref)
		ok &= follow(x, f, at, s->ref, "$ref", seen);
	if (s->dynamic_ref && !GIVE_UP(x, ok))
		ok &= follow(x, f, at, dynamic_target(f, s), "$dynamicRef",
			     seen);
	for (size_t i = 0; i < s->nall_of && !GIVE_UP(x, ok); i++)
		ok &= validate(x, f, at, s->all_of[i], f->instance, seen);
	if (s->nany_of && !GIVE_UP(x, ok))
		ok &= check_any_of(x, f, at, seen);
	if (s->none_of && !GIVE_UP(x, ok))
		ok &= check_one_of(x, f, at, seen);
	if (s->not_ && !GIVE_UP(x, ok))
		ok &= check_not(x, f, at);
	if (s->if_ && !GIVE_UP(x, ok))
		ok &= check_if(x, f, at, seen);
	return ok;
}

/*
 * Validates a member of the instance (at place child) against sub; a
 * false schema is reported as the keyword's own problem at the parent.
 */
static int check_member(struct ctx *x, const struct frame *f,
			const struct path *child, const struct sch *sub,
			const struct pe_node *value, const char *keyword)
{
	if (sub->boolean == 0) {
		if (child->key) {
			char *name = shown(child->key);

			report(x, child->up, NULL,
			       "unexpected property %s (%s: false)", name,
			       keyword);
			free(name);
		} else {
			report(x, child->up, NULL,
			       "unexpected item %zu (%s: false)", child->index,
			       keyword);
		}
		return 0;
	}
	return validate(x, f, child, sub, value, NULL);
}

/* The properties entry for name, by binary search, or NULL. */
static const struct sch *find_property(const struct sch *s,
				       const struct pe_node *name)
{
	struct named key = { name, NULL };
	const struct named *hit;

	if (!s->nproperties)
		return NULL;
	hit = bsearch(&key, s->properties, s->nproperties,
		      sizeof(*s->properties), compare_named);
	return hit ? hit->sch : NULL;
}

static int check_property_name(struct ctx *x, const struct frame *f,
			       const struct path *at, const struct pe_node *key)
{
	int ok;

	x->mute++;
	ok = validate(x, f, at, f->sch->property_names, key, NULL);
	x->mute--;
	if (!ok && !x->stopped) {
		char *name = shown(key);

		report(x, at, NULL,
		       "property name %s does not match propertyNames", name);
		free(name);
	}
	return ok;
}

/* properties, patternProperties, additionalProperties, propertyNames. */
static int check_property(struct ctx *x, const struct frame *f,
			  const struct path *at, size_t i, struct seen *seen)
{
	const struct sch *s = f->sch;
	const struct pe_pair *p = &f->instance->pairs[i];
	const struct path child = { at, p->key, 0 };
	const struct sch *sub = find_property(s, p->key);
	int ok = 1, evaluated = sub != NULL;

	if (!step(x, at, 1))
		return 0;
	if (s->property_names)
		ok &= check_property_name(x, f, at, p->key);
	if (sub && !GIVE_UP(x, ok))
		ok &= check_member(x, f, &child, sub, p->value, "properties");
	for (size_t k = 0; k < s->npattern_properties && !GIVE_UP(x, ok); k++) {
		const struct patterned *pp = &s->pattern_properties[k];
		int m = matches(x, at, pp->re, pp->key, p->key->text,
				p->key->len);

		if (m < 0)
			return 0;
		if (!m)
			continue;
		evaluated = 1;
		ok &= check_member(x, f, &child, pp->sch, p->value,
				   "patternProperties");
	}
	if (!evaluated && s->additional && !GIVE_UP(x, ok)) {
		evaluated = 1;
		ok &= check_member(x, f, &child, s->additional, p->value,
				   "additionalProperties");
	}
	if (evaluated)
		seen_mark(seen, i);
	return ok;
}

/* required and dependentRequired. */
static int check_required(struct ctx *x, const struct frame *f,
			  const struct path *at)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance, *dr = s->dependent_required;
	size_t lookups =
		(s->required ? s->required->count : 0) + (dr ? dr->npairs : 0);
	int ok = 1;

	if (lookups && !step(x, at, lookups))
		return 0;
	for (size_t i = 0; s->required && i < s->required->count; i++) {
		const struct pe_node *name = s->required->items[i];

		if (member(v, name->text, name->len))
			continue;
		ok = 0;
		if (!x->mute) {
			char *n = shown(name);

			report(x, at, NULL, "missing required property %s", n);
			free(n);
		}
	}
	for (size_t i = 0; dr && i < dr->npairs; i++) {
		const struct pe_node *if_key = dr->pairs[i].key;
		const struct pe_node *names = dr->pairs[i].value;

		if (!member(v, if_key->text, if_key->len))
			continue;
		for (size_t k = 0; k < names->count; k++) {
			const struct pe_node *name = names->items[k];

			if (member(v, name->text, name->len))
				continue;
			ok = 0;
			if (!x->mute) {
				char *n = shown(name), *when = shown(if_key);

				report(x, at, NULL,
				       "missing property %s, which "
				       "dependentRequired asks for when %s is "
				       "there",
				       n, when);
				free(n);
				free(when);
			}
		}
	}
	return ok;
}

static int check_object(struct ctx *x, const struct frame *f,
			const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	int ok = 1;

	if (v->npairs > s->max_properties) {
		report(x, at, NULL,
		       "has %zu properties, above the maxProperties %zu",
		       v->npairs, s->max_properties);
		ok = 0;
	}
	if (v->npairs < s->min_properties) {
		report(x, at, NULL,
		       "has %zu properties, below the minProperties %zu",
		       v->npairs, s->min_properties);
		ok = 0;
	}
	ok &= check_required(x, f, at);
	if (s->nproperties || s->npattern_properties || s->additional ||
	    s->property_names)
		for (size_t i = 0; i < v->npairs && !GIVE_UP(x, ok); i++)
			ok &= check_property(x, f, at, i, seen);
	for (size_t i = 0; i < s->ndependent_schemas && !GIVE_UP(x, ok); i++) {
		const struct named *d = &s->dependent_schemas[i];

		if (member(v, d->key->text, d->key->len))
			ok &= validate(x, f, at, d->sch, v, seen);
	}
	return ok;
}

static int check_contains(struct ctx *x, const struct frame *f,
			  const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	size_t matched = 0;

	x->mute++;
	for (size_t i = 0; i < v->count && step(x, at, 1); i++) {
		const struct path child = { at, NULL, i };

		if (!validate(x, f, &child, s->contains, v->items[i], NULL))
			continue;
		matched++;
		seen_mark(seen, i);
		/* Without annotations or a maximum, enough is enough. */
		if (!seen && s->max_contains == SIZE_MAX &&
		    matched >= s->min_contains)
			break;
	}
	x->mute--;
	if (x->stopped)
		return 0;
	if (matched < s->min_contains) {
		if (!matched)
			report(x, at, NULL,
			       "has no item that matches contains");
		else
			report(x, at, NULL,
			       "has %zu item%s that match%s contains, below "
			       "the minContains %zu",
			       matched, matched == 1 ? "" : "s",
			       matched == 1 ? "es" : "", s->min_contains);
		return 0;
	}
	if (matched > s->max_contains) {
		report(x, at, NULL,
		       "has %zu item%s that match%s contains, above the "
		       "maxContains %zu",
		       matched, matched == 1 ? "" : "s",
		       matched == 1 ? "es" : "", s->max_contains);
		return 0;
	}
	return 1;
}

static int check_array(struct ctx *x, const struct frame *f,
		       const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	size_t first = 0, second = 0;
	int ok = 1, undecided = 0;

	if (v->count > s->max_items) {
		report(x, at, NULL, "has %zu item%s, above the maxItems %zu",
		       v->count, v->count == 1 ? "" : "s", s->max_items);
		ok = 0;
	}
	if (v->count < s->min_items) {
		report(x, at, NULL, "has %zu item%s, below the minItems %zu",
		       v->count, v->count == 1 ? "" : "s", s->min_items);
		ok = 0;
	}
	if (s->unique_items && v->count > 1 && step(x, at, v->count) &&
	    find_duplicate(v, &first, &second, &undecided)) {
		report(x, at, NULL, "has equal items %zu and %zu (uniqueItems)",
		       first < second ? first : second,
		       first < second ? second : first);
		ok = 0;
	}
	if (undecided)
		return inexact_stop(x, at, "uniqueItems");
	for (size_t i = 0; i < v->count && !GIVE_UP(x, ok) &&
			   (i < s->nprefix || s->items) && step(x, at, 1);
	     i++) {
		const struct path child = { at, NULL, i };

		if (i < s->nprefix)
			ok &= check_member(x, f, &child, s->prefix[i],
					   v->items[i], "prefixItems");
		else
			ok &= check_member(x, f, &child, s->items, v->items[i],
					   "items");
		seen_mark(seen, i);
	}
	if (s->contains && !GIVE_UP(x, ok))
		ok &= check_contains(x, f, at, seen);
	return ok;
}

/* unevaluatedProperties and unevaluatedItems, once the rest is done. */
static int check_unevaluated(struct ctx *x, const struct frame *f,
			     const struct path *at, struct seen *seen)
{
	const struct sch *s = f->sch;
	const struct pe_node *v = f->instance;
	int ok = 1;

	if (v->kind == PE_NODE_MAP && s->unevaluated_properties) {
		for (size_t i = 0;
		     i < v->npairs && !GIVE_UP(x, ok) && step(x, at, 1); i++) {
			const struct path child = { at, v->pairs[i].key, 0 };

			if (seen_has(seen, i))
				continue;
			ok &= check_member(
				x, f, &child, s->unevaluated_properties,
				v->pairs[i].value, "unevaluatedProperties");
			seen_mark(seen, i);
		}
	}
	if (v->kind == PE_NODE_SEQ && s->unevaluated_items) {
		for (size_t i = 0;
		     i < v->count && !GIVE_UP(x, ok) && step(x, at, 1); i++) {
			const struct path child = { at, NULL, i };

			if (seen_has(seen, i))
				continue;
			ok &= check_member(x, f, &child, s->unevaluated_items,
					   v->items[i], "unevaluatedItems");
			seen_mark(seen, i);
		}
	}
	return ok;
}

/* Every keyword but type; seen is NULL when no annotation is needed. */
static int check_keywords(struct ctx *x, const struct frame *f,
			  const struct path *at, struct seen *seen)
{
	const struct pe_node *v = f->instance;
	int ok = check_enum_const(x, f, at);

	if (!GIVE_UP(x, ok))
		ok &= check_number(x, f, at) & check_string(x, f, at);
	if (!GIVE_UP(x, ok))
		ok &= check_in_place(x, f, at, seen);
	if (!GIVE_UP(x, ok) && v->kind == PE_NODE_MAP)
		ok &= check_object(x, f, at, seen);
	if (!GIVE_UP(x, ok) && v->kind == PE_NODE_SEQ)
		ok &= check_array(x, f, at, seen);
	if (!GIVE_UP(x, ok) && seen)
		ok &= check_unevaluated(x, f, at, seen);
	return ok;
}

/*
 * Validates v (at place at) against s, applied from frame up.  When seen
 * is given, the members s evaluated are added to it if v passes.
 * Returns 1 when v passes.
 */
static int validate(struct ctx *x, const struct frame *up,
		    const struct path *at, const struct sch *s,
		    const struct pe_node *v, struct seen *seen)
{
	const struct frame f = { up, s, v };
	struct seen local = { NULL, 0 };
	int ok, collect;

	if (!step(x, at, 1))
		return 0;
	if (s->boolean >= 0) {
		if (!s->boolean)
			report(x, at, v,
			       "is not allowed (the schema is false)");
		return s->boolean;
	}
	if (x->depth >= PE_JSONSCHEMA_MAX_DEPTH) {
		stop(x, at, "the schemas nest more than %d deep here",
		     PE_JSONSCHEMA_MAX_DEPTH);
		return 0;
	}
	x->depth++;
	collect = (seen || s->has_annotations) &&
		  (v->kind == PE_NODE_MAP || v->kind == PE_NODE_SEQ);
	if (collect)
		seen_init(&local,
			  v->kind == PE_NODE_MAP ? v->npairs : v->count);
	/* The wrong type says it all: the other keywords would only echo. */
	ok = check_type(x, &f, at);
	if (ok)
		ok = check_keywords(x, &f, at, collect ? &local : NULL);
	if (ok && seen && collect)
		seen_merge(seen, &local);
	seen_release(&local);
	x->depth--;
	return ok && !x->stopped;
}

/* Validates an instance; see jsonschema.h. */
int pe_jsonschema_validate(const struct pe_jsonschema *schema,
			   const struct pe_node *instance, size_t max_listed,
			   struct pe_buf *why, size_t *problems)
{
	struct ctx x;
	int rc = PE_OK;

	memset(&x, 0, sizeof(x));
	x.max_listed = max_listed;
	x.max_steps = PE_JSONSCHEMA_STEPS +
		      PE_JSONSCHEMA_STEPS_PER_VALUE * count_values(instance, 0);
	x.why = why;
	pe_buf_init(&x.stop_why, 0);
	validate(&x, NULL, NULL, schema->root, instance, NULL);
	*problems = x.problems;
	if (x.stopped) {
		pe_buf_reset(why);
		pe_buf_add(why, x.stop_why.data, x.stop_why.len);
		rc = PE_ERR_LIMIT;
	}
	pe_buf_release(&x.stop_why);
	return rc;
}
