#ifndef PE_COMPARE_H
#define PE_COMPARE_H
/*
 * Comparisons of two runs: a baseline (base) and a new run (head), read as
 * result sets (resultset.h).  "prompteval compare" prints one, and
 * "prompteval run --baseline" makes one after the run; the gates
 * (gate.h) and the Markdown report read it.
 *
 * Rows are paired by case: the prompt's name, the case id (its index when
 * it has none), the model and the temperature.  When either run holds
 * generated case ids of 8 hex digits (results before schema version 3),
 * generated ids of 16 digits pair by their first 8.  The repeats of a case are
 * replicates, so each side of a case has a pass rate over its decided
 * repeats (passes and failures; errors and skips are left out).  A case
 * regressed when head's rate is below base's, improved when it is above,
 * and is undecided when either side decided none of its repeats.  Cases
 * only one side has are listed as added (head only) or removed (base
 * only), and are not compared.  The exact sign test (pe_paired_compare,
 * the case being the unit) runs per prompt and over all cases.
 *
 * Every list is in a fixed order that depends only on the rows: cases by
 * prompt name, case index, case id, model (none first) and temperature
 * (none first); prompts by name.
 *
 * Memory: the comparison owns its arrays; strings and rows in them are
 * borrowed from the two result sets, which must outlive it.  Everything
 * returned is read-only and valid until pe_comparison_free.
 */
#include <stddef.h>

#include "harness/results/resultset.h"
#include "harness/results/stats.h"

enum pe_change_kind {
	PE_CHANGE_UNCHANGED,
	PE_CHANGE_REGRESSED,
	PE_CHANGE_IMPROVED,
	PE_CHANGE_UNDECIDED /* a side decided none of its repeats */
};

/* One side of a paired case. */
struct pe_compare_side {
	size_t rows; /* repeats, whatever their verdict */
	size_t pass;
	size_t decided;	   /* passes and failures */
	size_t error;	   /* rows that ended in error */
	double mean_score; /* over decided rows; NAN when none */
	/*
	 * The row that speaks for the side: its first failed or errored
	 * row when it has one, else its first row.  Its evaluators give
	 * the reasons a report shows.
	 */
	const struct pe_result *row;
};

/* A case present in both runs. */
struct pe_compare_case {
	const char *prompt;
	const char *case_id; /* NULL when the rows have none */
	size_t case_index;   /* head's */
	const char *model;   /* NULL when the rows have none */
	int has_temperature;
	double temperature;
	struct pe_compare_side base;
	struct pe_compare_side head;
	enum pe_change_kind change;
	double score_delta; /* head mean score - base's; NAN if one lacks it */
};

/* A case only one run has (added: only head; removed: only base). */
struct pe_compare_only {
	const char *prompt;
	const char *case_id;
	size_t case_index;
	const char *model;
	int has_temperature;
	double temperature;
	size_t rows;
	size_t pass;
	size_t decided;
};

/* The sign test over a prompt's cases, or over all of them. */
struct pe_compare_group {
	const char *prompt; /* NULL for the overall group */
	/*
	 * The decided cases (not the undecided ones): counts, p-value,
	 * effect sizes, too_few and significant_regression.
	 */
	struct pe_paired_result stats;
	size_t undecided;
	size_t added;
	size_t removed;
	double score_delta; /* mean of the cases' score_delta; NAN if none */
};

struct pe_comparison;

/*
 * Compares head with base.  Neither set needs to be sorted.  Returns a
 * new comparison owned by the caller.
 */
struct pe_comparison *pe_compare_new(const struct pe_resultset *base,
				     const struct pe_resultset *head);
void pe_comparison_free(struct pe_comparison *cmp);

/* The cases both runs have, in the order above. */
size_t pe_comparison_case_count(const struct pe_comparison *cmp);
const struct pe_compare_case *pe_comparison_case(
	const struct pe_comparison *cmp, size_t i);

/* Cases only head has. */
size_t pe_comparison_added_count(const struct pe_comparison *cmp);
const struct pe_compare_only *pe_comparison_added(
	const struct pe_comparison *cmp, size_t i);

/* Cases only base has. */
size_t pe_comparison_removed_count(const struct pe_comparison *cmp);
const struct pe_compare_only *pe_comparison_removed(
	const struct pe_comparison *cmp, size_t i);

/* One group per prompt name that either run has, by name. */
size_t pe_comparison_prompt_count(const struct pe_comparison *cmp);
const struct pe_compare_group *pe_comparison_prompt(
	const struct pe_comparison *cmp, size_t i);

/* All cases together. */
const struct pe_compare_group *pe_comparison_overall(
	const struct pe_comparison *cmp);

/*
 * Classifies one case from its sides by the rule above (only their pass
 * and decided counts are read): for a comparison made case by case, as
 * run --until-decided makes it while the run goes on.
 */
enum pe_change_kind pe_compare_classify(const struct pe_compare_side *base,
					const struct pe_compare_side *head);

/*
 * A side's counts from a tally of its rows (row is left NULL; the mean
 * score is the tally's, so NAN until pe_tally_finish).
 */
struct pe_compare_side pe_compare_side_of(const struct pe_tally *t);

/*
 * Orders rows a and b by the case they pair as (prompt name, case id or
 * index, model and temperature), as strcmp does: 0 when they pair as one
 * case.  Generated ids are compared whole here.
 */
int pe_compare_case_key(const struct pe_result *a, const struct pe_result *b);

/*
 * True when rs holds generated case ids of 8 hex digits, as results
 * before schema version 3 do; then a 16-digit id pairs by its short form.
 */
int pe_compare_short_ids(const struct pe_resultset *rs);

/*
 * The short form of a 16-digit generated case id ("case-" and its first
 * 8 digits, then its "-N" if it has one), newly allocated; NULL for any
 * other id.
 */
char *pe_compare_short_id(const char *id);

/* "regressed", "improved", "unchanged" or "undecided". */
const char *pe_change_name(enum pe_change_kind kind);

#endif
