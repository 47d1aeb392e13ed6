#ifndef PE_SETTINGS_H
#define PE_SETTINGS_H
/*
 * Reading an evaluator's settings from its spec node, with positioned
 * errors: whole numbers in a range, min/max pairs, booleans and lists of
 * section or column names (normalised for matching).  Used by the
 * evaluator families' compile functions.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/core/node.h"

/* The text of a scalar node, or NULL for null, a list or a mapping. */
const char *pe_setting_text(const struct pe_node *n);

/* The largest count a setting may give. */
#define PE_SETTING_MAX_COUNT ((size_t)1000000000)

/* A [min, max] bound; max is SIZE_MAX when not given. */
struct pe_bound {
	size_t min;
	size_t max;
	int given;
};

/*
 * Reads key from map as a whole number in [lo, hi] into *out (left alone
 * when the key is absent).  Returns 0 or PE_ERR_INVALID after an error.
 */
int pe_setting_count(const struct pe_node *map, const char *key, size_t lo,
		     size_t hi, size_t *out, struct pe_diag *diag);

/*
 * Reads key from map as a number (whole or not) in [lo, hi] into *out
 * (left alone when the key is absent).  Returns 0 or PE_ERR_INVALID after
 * an error.
 */
int pe_setting_number(const struct pe_node *map, const char *key, double lo,
		      double hi, double *out, struct pe_diag *diag);

/* Reads key as true/false into *out (left alone when absent). */
int pe_setting_bool(const struct pe_node *map, const char *key, int *out,
		    struct pe_diag *diag);

/* Reads key as {min, max} or a bare number (the minimum). */
int pe_setting_bound(const struct pe_node *map, const char *key,
		     struct pe_bound *out, struct pe_diag *diag);

/*
 * A bound of at least 0 with no max (b, read from key at node n) is met
 * by any answer: an error, and PE_ERR_INVALID; else PE_OK.
 */
int pe_bound_refuse_vacuous(const struct pe_node *n, const char *key,
			    const struct pe_bound *b, struct pe_diag *diag);

/* Checks n against a bound. */
int pe_bound_holds(const struct pe_bound *b, size_t n);

/* Describes a bound for reasons: "at least 3", "3 to 5", "at most 2". */
void pe_bound_describe(const struct pe_bound *b, char *buf, size_t size);

/* A list of names (sections, columns) as written and normalised. */
struct pe_names {
	char **raw;
	char **norm;
	size_t len;
};

/*
 * Reads key as one name or a list of names.  Returns 0 (an absent key
 * leaves an empty list) or PE_ERR_INVALID.
 */
int pe_setting_names(const struct pe_node *map, const char *key,
		     struct pe_names *out, struct pe_diag *diag);
void pe_names_release(struct pe_names *names);

/*
 * Gives each of nnames names its own item of nitems (headings, columns)
 * where fits(name, item, ctx) says it may, as many names as can be
 * (a maximum matching: "Risk" and "Risk Register" both fit the heading
 * "Risk Register", which stands for one of them only).  item_of[name]
 * is the item's index, or -1.  Returns how many names have one.
 */
size_t pe_names_match(size_t nnames, size_t nitems,
		      int (*fits)(size_t name, size_t item, void *ctx),
		      void *ctx, long *item_of);

/*
 * The part of the answer an evaluator checks ("target:"): the whole
 * answer, or the section a heading (or a bold-only paragraph) opens.
 */
struct pe_part {
	char *name; /* the section as written; NULL: the whole answer */
	char *norm; /* the name normalised (pe_md_normalize) */
};

/*
 * Reads key as a part of the answer into *out: a section name, or a name
 * of the whole answer ("output", "message.content", "message", "answer",
 * "completion", "response", "content"), which leaves out->name NULL, as
 * an absent key does.  Returns 0 or PE_ERR_INVALID after an error.
 */
int pe_setting_part(const struct pe_node *map, const char *key,
		    struct pe_part *out, struct pe_diag *diag);
void pe_part_release(struct pe_part *t);

/*
 * The key that names the part: "target", or "property" (another
 * library's word for it) when map has that and no "target".  Reading the
 * part it names is pe_setting_target.
 */
const char *pe_setting_target_key(const struct pe_node *map);
int pe_setting_target(const struct pe_node *map, struct pe_part *out,
		      struct pe_diag *diag);

/* Errors when node is not a mapping; what names the evaluator kind. */
int pe_setting_require_map(const struct pe_node *node, const char *what,
			   struct pe_diag *diag);

#endif
