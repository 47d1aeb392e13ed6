/*
 * Evaluator spec reading.  The family is decided first, by asking the
 * evaluator registry: an explicit "type:" selects the family that lists
 * it, else the first family with a key present.  The family then reads its
 * own keys, and this module the keys every evaluator may carry (name,
 * description, weight, not).  Unknown keys are warnings, missing or
 * mistyped required keys are errors, so that a typo never turns into an
 * evaluator that passes.  Every name in the messages ("did you mean") comes
 * from the registry, which is the one list of kinds.
 */
#include "harness/load/evalspec.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "evaluators/evaluator.h"
#include "harness/core/banned.h"

/*
 * Keys that every evaluator may carry.  "evaluator:" is another library's
 * spelling of "type:" ("evaluator: regex_match").
 */
static const char *const common_keys[] = { "name", "description", "weight",
					   "not",  "negate",	  "invert",
					   "type", "evaluator",	  NULL };

/* What becomes of an unknown key in an evaluator; see evalspec.h. */
const char pe_evalspec_unknown_note[] =
	"the evaluator does not run, and its cases are ungraded";

static const char *scalar(const struct pe_node *n)
{
	return pe_node_is_scalar(n) && n->kind != PE_NODE_NULL ? n->text : NULL;
}

/* Appends a NULL-terminated list to the NULL-terminated array *words. */
static void add_words(const char ***words, const char *const *list)
{
	size_t n = 0, more = 0;

	while (*words && (*words)[n])
		n++;
	while (list && list[more])
		more++;
	*words = xrealloc(*words, (n + more + 1) * sizeof(**words));
	if (more)
		memcpy(*words + n, list, more * sizeof(**words));
	(*words)[n + more] = NULL;
}

/*
 * Every family's "type:" values (when types is set), then every family's
 * keys, in registry order, for "did you mean".  Free the array.
 */
static const char **registered_words(int types)
{
	const struct pe_evaluator_ops *f;
	const char **words = NULL;

	add_words(&words, NULL);
	for (size_t i = 0; types && (f = pe_evaluator_family(i)) != NULL; i++)
		add_words(&words, f->types);
	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++)
		add_words(&words, f->keys);
	return words;
}

/*
 * A "type:" that no family lists.  One that looks like a type prompteval
 * knows is a typo, an error with a suggestion; any other is a dialect of
 * another prompt library that maps to no check: the evaluator loads as
 * unsupported, with a warning, and its cases are ungraded.
 */
static int unknown_type(struct pe_evalspec *spec, const struct pe_node *type,
			struct pe_diag *diag)
{
	const char **words = registered_words(1);
	const char *hint = pe_suggest(type->text, words);

	if (hint) {
		pe_diag_error(diag, &type->mark,
			      "unknown evaluator type '%s' (did you mean "
			      "'%s'?)",
			      type->text, hint);
		free(words);
		return PE_ERR_INVALID;
	}
	free(words);
	return pe_evaluator_unsupported(
		spec, "type '%s' is not a check prompteval knows", type->text);
}

/*
 * No family's key is present: name the unknown key that looks most like
 * one, an error.  Keys that look like none are a dialect of another
 * prompt library (the evaluator loads as unsupported, with a warning);
 * an entry with no key besides name, description and weight checks
 * nothing, an error that lists the usual shapes (the families marked
 * hint).
 */
static int no_family(struct pe_evalspec *spec, const struct pe_node *node,
		     struct pe_diag *diag)
{
	const char **keys = registered_words(0);
	const struct pe_evaluator_ops *f;
	struct pe_buf shapes, types;

	for (size_t i = 0; i < node->npairs; i++) {
		const char *k = node->pairs[i].key->text;
		const char *hint = pe_suggest(k, keys);

		if (hint) {
			pe_diag_error(diag, &node->pairs[i].key->mark,
				      "unknown evaluator '%s' (did you mean "
				      "'%s'?)",
				      k, hint);
			free(keys);
			return PE_ERR_INVALID;
		}
	}
	free(keys);
	for (size_t i = 0; i < node->npairs; i++) {
		const char *k = node->pairs[i].key->text;

		if (!pe_listed(common_keys, k))
			return pe_evaluator_unsupported(
				spec, "'%s' is not a check prompteval knows",
				k);
	}
	pe_buf_init(&shapes, 0);
	pe_buf_init(&types, 0);
	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++) {
		if (f->hint && f->keys)
			pe_buf_addf(&shapes, "%s%s", shapes.len ? ", " : "",
				    f->keys[0]);
		if (f->hint && f->types)
			pe_buf_addf(&types, "%s|", f->types[0]);
	}
	pe_diag_error(diag, &node->mark,
		      "evaluator has no check: give one of %s (or type: "
		      "%s...)",
		      pe_buf_str(&shapes), pe_buf_str(&types));
	pe_buf_release(&shapes);
	pe_buf_release(&types);
	return PE_ERR_INVALID;
}

/* Finds the family (from "type:" or a key) and lets it read its keys. */
static int parse_family(struct pe_evalspec *spec, const struct pe_node *node,
			const struct pe_node *type, struct pe_diag *diag)
{
	if (type)
		spec->ops = pe_evaluator_by_type(type->text);
	if (type && !spec->ops) {
		/* "type: llm" beside "llm:" names a key: the keys decide. */
		if (!pe_evaluator_owning_key(type->text))
			return unknown_type(spec, type, diag);
		type = NULL;
	}
	if (!spec->ops)
		spec->ops = pe_evaluator_by_key(node);
	if (!spec->ops)
		return no_family(spec, node, diag);
	return spec->ops->parse ? spec->ops->parse(spec, node, type, diag)
				: PE_OK;
}

static void read_common(struct pe_evalspec *spec, const struct pe_node *node,
			struct pe_diag *diag, int *rc)
{
	const struct pe_node *name = pe_node_get(node, "name");
	const struct pe_node *weight = pe_node_get(node, "weight");
	const char *negate = NULL; /* the spelling given */

	/* "negate" and "invert" are other libraries' "not". */
	for (size_t i = 0; i < 3; i++) {
		static const char *const spellings[] = { "not", "negate",
							 "invert" };
		const struct pe_node *n = pe_node_get(node, spellings[i]);

		if (n && negate) {
			pe_diag_error(diag, &n->mark,
				      "evaluator '%s' beside '%s': give one",
				      spellings[i], negate);
			*rc = PE_ERR_INVALID;
		} else if (n) {
			negate = spellings[i];
		}
	}
	if (name && !scalar(name)) {
		pe_diag_error(diag, &name->mark,
			      "evaluator 'name' must be a string, not a %s",
			      pe_node_kind_name(name->kind));
		*rc = PE_ERR_INVALID;
	}
	if (scalar(name))
		spec->name = xstrdup(name->text);
	if (weight) {
		if ((weight->kind != PE_NODE_INT &&
		     weight->kind != PE_NODE_FLOAT) ||
		    weight->fval < 0) {
			pe_diag_error(
				diag, &weight->mark,
				"evaluator 'weight' must be a number >= 0");
			*rc = PE_ERR_INVALID;
		} else {
			spec->weight = weight->fval;
		}
	}
	if (negate) {
		const struct pe_node *n = pe_node_get(node, negate);

		if (n->kind != PE_NODE_BOOL) {
			pe_diag_error(diag, &n->mark,
				      "evaluator '%s' must be true or false",
				      negate);
			*rc = PE_ERR_INVALID;
		} else {
			spec->negate = n->bval;
		}
	}
}

/*
 * Names an unnamed evaluator after its kind and position ("regex-3") and
 * warns about kinds that never run, now that the name is known.
 */
static void name_and_warn(struct pe_evalspec *spec, size_t index, int warned,
			  struct pe_diag *diag)
{
	if (!spec->name)
		spec->name = xstrfmt("%s-%zu", spec->ops->name, index + 1);
	if (pe_evalspec_is_skipped(spec) && !warned)
		pe_diag_warning(diag, &spec->mark,
				"%s evaluator '%s' will never run (%s): its "
				"cases will be ungraded, never passed",
				spec->ops->name, spec->name,
				pe_evalspec_never_runs(spec));
}

/*
 * Checks the evaluator's keys against those its family reads, and returns
 * the first key of another family, which has a warning of its own: an
 * entry has one kind.  Typos are matched against every family's keys,
 * which is where they usually come from.
 */
static const char *check_evaluator_keys(const struct pe_evalspec *spec,
					const struct pe_node *node,
					struct pe_diag *diag)
{
	const char *other = NULL;

	const char **all = registered_words(0);
	const char **known = NULL;

	add_words(&known, common_keys);
	add_words(&known, spec->ops->known_keys);
	add_words(&known, all);
	pe_node_check_keys(node, known, "an evaluator", diag);
	free(known);
	free(all);
	for (size_t i = 0; i < node->npairs; i++) {
		const struct pe_node *key = node->pairs[i].key;

		if (pe_listed(common_keys, key->text) ||
		    pe_listed(spec->ops->known_keys, key->text) ||
		    !pe_evaluator_owning_key(key->text))
			continue;
		pe_diag_warning(diag, &key->mark,
				"'%s' is not checked: an evaluator checks one "
				"thing and this one is %s, so it does not run "
				"(its cases are ungraded); use a second "
				"evaluator",
				key->text, spec->ops->name);
		if (!other)
			other = key->text;
	}
	return other;
}

/* Reads one evaluator; see evalspec.h. */
int pe_evalspec_parse(struct pe_evalspec *spec, const struct pe_node *node,
		      size_t index, struct pe_diag *diag)
{
	const struct pe_node *type;
	const char *note, *key;
	size_t unknown;
	int rc = PE_OK;

	memset(spec, 0, sizeof(*spec));
	spec->node = node;
	spec->mark = node->mark;
	spec->weight = 1;
	if (node->kind == PE_NODE_STRING &&
	    (spec->ops = pe_evaluator_for_sentence()) != NULL) {
		/* A bare sentence, such as a natural-language rule. */
		rc = spec->ops->parse ? spec->ops->parse(spec, node, NULL, diag)
				      : PE_OK;
		if (!rc)
			name_and_warn(spec, index, 0, diag);
		else
			pe_evalspec_release(spec);
		return rc;
	}
	if (node->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &node->mark,
			      "an evaluator must be a mapping, not a %s",
			      pe_node_kind_name(node->kind));
		return PE_ERR_INVALID;
	}
	note = pe_diag_set_unknown_note(diag, pe_evalspec_unknown_note);
	unknown = pe_diag_unknown_keys(diag, NULL);
	read_common(spec, node, diag, &rc);
	type = pe_node_get(node, "type");
	if (!type)
		type = pe_node_get(node, "evaluator");
	if (type && !scalar(type)) {
		pe_diag_error(diag, &type->mark,
			      "evaluator '%s' must be a string",
			      pe_node_get(node, "type") ? "type" : "evaluator");
		rc = PE_ERR_INVALID;
	} else if (!rc) {
		rc = parse_family(spec, node, type, diag);
	}
	if (!rc) {
		/*
		 * What cannot run is warned about once, with its reason: a
		 * key's own warning says it.
		 */
		const char *other =
			pe_evaluator_is_unsupported(spec)
				? NULL
				: check_evaluator_keys(spec, node, diag);
		int warned = 1;

		if (other)
			pe_evalspec_skip_for_key(spec, other, 1);
		else if (!pe_evaluator_is_unsupported(spec) &&
			 pe_diag_unknown_keys(diag, &key) > unknown)
			pe_evalspec_skip_for_key(spec, key, 0);
		else
			warned = 0;
		name_and_warn(spec, index, warned, diag);
	}
	pe_diag_set_unknown_note(diag, note);
	if (rc)
		pe_evalspec_release(spec);
	return rc;
}

/* Makes spec unsupported for a key it holds; see evalspec.h. */
void pe_evalspec_skip_for_key(struct pe_evalspec *spec, const char *key,
			      int other_family)
{
	if (spec->data)
		spec->ops->release(spec->data);
	spec->data = NULL;
	if (other_family)
		pe_evaluator_unsupported(spec,
					 "'%s' beside a %s check: an evaluator "
					 "checks one thing",
					 key, spec->ops->name);
	else
		pe_evaluator_unsupported(spec,
					 "unknown key '%s': prompteval cannot "
					 "tell what it would change",
					 key);
}

/* Frees what the spec owns and zeroes it. */
void pe_evalspec_release(struct pe_evalspec *spec)
{
	if (spec->data)
		spec->ops->release(spec->data);
	free(spec->name);
	memset(spec, 0, sizeof(*spec));
}

/* True for the families that never run. */
int pe_evalspec_is_skipped(const struct pe_evalspec *spec)
{
	return spec->ops->never_runs != NULL;
}

/* Why spec never runs, or NULL; see evalspec.h. */
const char *pe_evalspec_never_runs(const struct pe_evalspec *spec)
{
	if (!spec->ops->never_runs)
		return NULL;
	return spec->ops->never_runs_for ? spec->ops->never_runs_for(spec)
					 : spec->ops->never_runs;
}

/* Names the spec's kind after its family. */
const char *pe_evalspec_kind_name(const struct pe_evalspec *spec)
{
	return spec->ops->name;
}

/* Counts templates that use test-case variables. */
size_t pe_evalspec_ntemplates(const struct pe_evalspec *spec)
{
	const struct pe_node *node;
	size_t n = 0;

	while (pe_evalspec_template(spec, n, &node))
		n++;
	return n;
}

/* Returns template i and the scalar it came from, or NULL past the last. */
const struct pe_template *pe_evalspec_template(const struct pe_evalspec *spec,
					       size_t i,
					       const struct pe_node **node)
{
	*node = NULL;
	if (!spec->ops->template_at)
		return NULL;
	return spec->ops->template_at(spec, i, node);
}

/* True when var, or the variable var is a member of, is one the family fills. */
int pe_evalspec_provides(const struct pe_evalspec *spec, const char *var)
{
	const char *const *own = spec->ops->provides;

	for (size_t i = 0; own && own[i]; i++) {
		size_t len = strlen(own[i]);

		if (!strncmp(var, own[i], len) &&
		    (var[len] == '\0' || var[len] == '.'))
			return 1;
	}
	return 0;
}

/* Asks the family to describe what it read. */
void pe_evalspec_describe(const struct pe_evalspec *spec, struct pe_buf *out)
{
	if (spec->ops->describe)
		spec->ops->describe(spec, out);
}
