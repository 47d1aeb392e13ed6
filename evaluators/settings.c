/*
 * Setting readers.  They are strict (a quoted number or a negative count
 * is an error), because a typo in a setting must not turn into an
 * evaluator that always passes.
 */
#include "evaluators/settings.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "evaluators/markdown.h"
#include "harness/core/banned.h"

/* Returns a scalar's text; NULL for null and for collections. */
const char *pe_setting_text(const struct pe_node *n)
{
	return pe_node_is_scalar(n) && n->kind != PE_NODE_NULL ? n->text : NULL;
}

/* Reads a whole number setting; see settings.h. */
int pe_setting_count(const struct pe_node *map, const char *key, size_t lo,
		     size_t hi, size_t *out, struct pe_diag *diag)
{
	const struct pe_node *n = pe_node_get(map, key);

	if (!n)
		return PE_OK;
	if (n->kind != PE_NODE_INT || n->ival < 0 || (size_t)n->ival < lo ||
	    (size_t)n->ival > hi) {
		pe_diag_error(diag, &n->mark,
			      "'%s' must be a whole number from %zu to %zu",
			      key, lo, hi);
		return PE_ERR_INVALID;
	}
	*out = (size_t)n->ival;
	return PE_OK;
}

/* Reads a number setting in [lo, hi]; see settings.h. */
int pe_setting_number(const struct pe_node *map, const char *key, double lo,
		      double hi, double *out, struct pe_diag *diag)
{
	const struct pe_node *n = pe_node_get(map, key);

	if (!n)
		return PE_OK;
	if ((n->kind != PE_NODE_INT && n->kind != PE_NODE_FLOAT) ||
	    !(n->fval >= lo && n->fval <= hi)) {
		pe_diag_error(diag, &n->mark,
			      "'%s' must be a number from %.15g to %.15g", key,
			      lo, hi);
		return PE_ERR_INVALID;
	}
	*out = n->fval;
	return PE_OK;
}

/* Reads a boolean setting. */
int pe_setting_bool(const struct pe_node *map, const char *key, int *out,
		    struct pe_diag *diag)
{
	const struct pe_node *n = pe_node_get(map, key);

	if (!n)
		return PE_OK;
	if (n->kind != PE_NODE_BOOL) {
		pe_diag_error(diag, &n->mark, "'%s' must be true or false",
			      key);
		return PE_ERR_INVALID;
	}
	*out = n->bval;
	return PE_OK;
}

/* Reads {min, max} or a bare minimum. */
int pe_setting_bound(const struct pe_node *map, const char *key,
		     struct pe_bound *out, struct pe_diag *diag)
{
	static const char *const known[] = { "min", "max", NULL };
	const struct pe_node *n = pe_node_get(map, key);

	out->min = 0;
	out->max = SIZE_MAX;
	out->given = 0;
	if (!n)
		return PE_OK;
	out->given = 1;
	if (n->kind == PE_NODE_INT) {
		if (pe_setting_count(map, key, 0, PE_SETTING_MAX_COUNT,
				     &out->min, diag))
			return PE_ERR_INVALID;
		return pe_bound_refuse_vacuous(n, key, out, diag);
	}
	if (n->kind != PE_NODE_MAP ||
	    (!pe_node_get(n, "min") && !pe_node_get(n, "max"))) {
		pe_diag_error(diag, &n->mark,
			      "'%s' must be a number or {min, max}", key);
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(n, known, key, diag);
	if (pe_setting_count(n, "min", 0, PE_SETTING_MAX_COUNT, &out->min,
			     diag) ||
	    pe_setting_count(n, "max", 0, PE_SETTING_MAX_COUNT, &out->max,
			     diag))
		return PE_ERR_INVALID;
	if (out->min > out->max) {
		pe_diag_error(diag, &n->mark, "'%s': min %zu is above max %zu",
			      key, out->min, out->max);
		return PE_ERR_INVALID;
	}
	return pe_bound_refuse_vacuous(n, key, out, diag);
}

/* Refuses a bound any answer meets; see settings.h. */
int pe_bound_refuse_vacuous(const struct pe_node *n, const char *key,
			    const struct pe_bound *b, struct pe_diag *diag)
{
	if (b->min || b->max != SIZE_MAX)
		return PE_OK;
	pe_diag_error(diag, &n->mark,
		      "'%s' asks for at least 0 with no max, which any answer "
		      "meets, so it checks nothing: for none at all write "
		      "'%s: {max: 0}'",
		      key, key);
	return PE_ERR_INVALID;
}

/* True when min <= n <= max. */
int pe_bound_holds(const struct pe_bound *b, size_t n)
{
	return n >= b->min && n <= b->max;
}

/* Describes a bound in words. */
void pe_bound_describe(const struct pe_bound *b, char *buf, size_t size)
{
	if (b->max == SIZE_MAX)
		pe_snprintf(buf, size, "at least %zu", b->min);
	else if (b->min == 0)
		pe_snprintf(buf, size, "at most %zu", b->max);
	else if (b->min == b->max)
		pe_snprintf(buf, size, "exactly %zu", b->min);
	else
		pe_snprintf(buf, size, "%zu to %zu", b->min, b->max);
}

static void add_name(struct pe_names *names, const char *text, size_t len)
{
	struct pe_buf norm;

	pe_buf_init(&norm, 0);
	pe_md_normalize(text, len, &norm);
	names->raw = xrealloc(names->raw, (names->len + 1) * sizeof(char *));
	names->norm = xrealloc(names->norm, (names->len + 1) * sizeof(char *));
	names->raw[names->len] = xstrndup(text, len);
	names->norm[names->len] = pe_buf_detach(&norm, NULL);
	names->len++;
}

/* Reads one name or a list of names. */
int pe_setting_names(const struct pe_node *map, const char *key,
		     struct pe_names *out, struct pe_diag *diag)
{
	const struct pe_node *n = pe_node_get(map, key);

	memset(out, 0, sizeof(*out));
	if (!n)
		return PE_OK;
	if (n->kind == PE_NODE_STRING) {
		add_name(out, n->text, n->len);
		return PE_OK;
	}
	if (n->kind != PE_NODE_SEQ) {
		pe_diag_error(diag, &n->mark,
			      "'%s' must be a name or a list of names", key);
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < n->count; i++) {
		const struct pe_node *item = n->items[i];

		if (!pe_node_is_scalar(item) || item->kind == PE_NODE_NULL ||
		    !item->len) {
			pe_diag_error(diag, &item->mark,
				      "each entry of '%s' must be a non-empty "
				      "name",
				      key);
			pe_names_release(out);
			return PE_ERR_INVALID;
		}
		add_name(out, item->text, item->len);
		if (!*out->norm[out->len - 1]) {
			pe_diag_error(
				diag, &item->mark,
				"'%s' has no letters left after numbering "
				"and punctuation are ignored",
				item->text);
			pe_names_release(out);
			return PE_ERR_INVALID;
		}
	}
	return PE_OK;
}

/* The state of pe_names_match's search. */
struct matching {
	size_t nitems;
	int (*fits)(size_t, size_t, void *);
	void *ctx;
	long *item_of;
	long *name_of;	     /* per item: its name, or -1 */
	unsigned char *seen; /* per item, in one search */
	size_t budget;	     /* fits() calls left for augmenting */
};

/*
 * Finds name an item, moving the names that hold the ones it fits
 * (Kuhn's augmenting paths).  The depth is at most the number of names.
 */
static int augment(struct matching *m, size_t name)
{
	for (size_t j = 0; j < m->nitems; j++) {
		if (m->seen[j] || !m->budget)
			continue;
		m->budget--;
		if (!m->fits(name, j, m->ctx))
			continue;
		m->seen[j] = 1;
		if (m->name_of[j] < 0 || augment(m, (size_t)m->name_of[j])) {
			m->name_of[j] = (long)name;
			m->item_of[name] = (long)j;
			return 1;
		}
	}
	return 0;
}

/* Gives names items of their own; see settings.h. */
size_t pe_names_match(size_t nnames, size_t nitems,
		      int (*fits)(size_t name, size_t item, void *ctx),
		      void *ctx, long *item_of)
{
	struct matching m = { nitems, fits, ctx, item_of, NULL, NULL, 0 };
	size_t matched = 0;

	m.name_of = xmalloc((nitems + 1) * sizeof(*m.name_of));
	m.seen = xmalloc(nitems + 1);
	for (size_t j = 0; j < nitems; j++)
		m.name_of[j] = -1;
	/* First each name the first free item it fits, in one pass. */
	for (size_t i = 0; i < nnames; i++) {
		item_of[i] = -1;
		for (size_t j = 0; j < nitems && item_of[i] < 0; j++)
			if (m.name_of[j] < 0 && fits(i, j, ctx)) {
				m.name_of[j] = (long)i;
				item_of[i] = (long)j;
			}
		matched += item_of[i] >= 0;
	}
	/*
	 * Then the names left over, by moving others.  Answers are
	 * untrusted: past a million fits() calls the names left stay
	 * without an item, a failure, never a pass.
	 */
	m.budget = 1000000;
	for (size_t i = 0; i < nnames && matched < nnames; i++) {
		if (item_of[i] >= 0)
			continue;
		memset(m.seen, 0, nitems);
		matched += (size_t)augment(&m, i);
	}
	free(m.name_of);
	free(m.seen);
	return matched;
}

/* Frees a names list. */
void pe_names_release(struct pe_names *names)
{
	for (size_t i = 0; i < names->len; i++) {
		free(names->raw[i]);
		free(names->norm[i]);
	}
	free(names->raw);
	free(names->norm);
	memset(names, 0, sizeof(*names));
}

static int is_whole_output(const char *t)
{
	static const char *const names[] = { "output",	   "message.content",
					     "message",	   "answer",
					     "completion", "response",
					     "content",	   NULL };

	for (size_t i = 0; names[i]; i++)
		if (!strcmp(t, names[i]))
			return 1;
	return 0;
}

/* Reads a part: a section name, or the whole answer; see settings.h. */
int pe_setting_part(const struct pe_node *map, const char *key,
		    struct pe_part *out, struct pe_diag *diag)
{
	const struct pe_node *target = pe_node_get(map, key);
	struct pe_buf norm;

	memset(out, 0, sizeof(*out));
	if (!target)
		return PE_OK;
	if (target->kind != PE_NODE_STRING || !target->len) {
		pe_diag_error(diag, &target->mark,
			      "'%s' must be a section name", key);
		return PE_ERR_INVALID;
	}
	if (is_whole_output(target->text))
		return PE_OK;
	pe_buf_init(&norm, 0);
	pe_md_normalize(target->text, target->len, &norm);
	out->norm = pe_buf_detach(&norm, NULL);
	out->name = xstrdup(target->text);
	return PE_OK;
}

/* The key that names the part; see settings.h. */
const char *pe_setting_target_key(const struct pe_node *map)
{
	return !pe_node_get(map, "target") && pe_node_get(map, "property")
		       ? "property"
		       : "target";
}

/* Reads the part "target" (or "property") names; see settings.h. */
int pe_setting_target(const struct pe_node *map, struct pe_part *out,
		      struct pe_diag *diag)
{
	return pe_setting_part(map, pe_setting_target_key(map), out, diag);
}

/* Frees a part. */
void pe_part_release(struct pe_part *t)
{
	free(t->name);
	free(t->norm);
	memset(t, 0, sizeof(*t));
}

/* Requires a mapping of settings. */
int pe_setting_require_map(const struct pe_node *node, const char *what,
			   struct pe_diag *diag)
{
	if (node && node->kind == PE_NODE_MAP)
		return PE_OK;
	pe_diag_error(diag, node ? &node->mark : NULL,
		      "'%s' needs a mapping of settings, not a %s", what,
		      node ? pe_node_kind_name(node->kind) : "nothing");
	return PE_ERR_INVALID;
}
