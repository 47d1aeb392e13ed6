#ifndef PE_REPORT_COMPARISON_H
#define PE_REPORT_COMPARISON_H
/*
 * Writers for a comparison of two runs (harness/compare.h), used by
 * "prompteval compare" (-f terminal, md, json) and "run --baseline".  The
 * Markdown one is also the baseline section of report.md.  Output is
 * deterministic: the comparison's order, and no timings.  Text from the
 * results (names, ids, reasons) is untrusted and escaped for each format.
 *
 * Memory: everything is borrowed.
 */
#include <stdio.h>

#include "harness/results/compare.h"

/* The formats "prompteval compare -f" takes, NULL-terminated. */
extern const char *const pe_comparison_formats[];

/*
 * Prints cmp for a terminal: regressions and improvements with the
 * evaluator verdicts and reasons that changed, added and removed cases,
 * the score changes and one sign-test line per prompt and overall (the
 * overall line last).
 */
void pe_comparison_write_terminal(FILE *out, const struct pe_comparison *cmp);

/* Writes cmp as one JSON document. */
void pe_comparison_write_json(FILE *out, const struct pe_comparison *cmp,
			      const char *base_path, const char *head_path);

/*
 * Writes the body of the "Regressions against the baseline" section of
 * report.md (from md.c, which owns the Markdown escaping).
 */
void pe_comparison_write_md(FILE *out, const struct pe_comparison *cmp);

/*
 * Writes the sign-test summary of g to out, e.g. "9 regressed,
 * 1 improved, 2 unchanged of 12 cases; p = 0.021 (exact sign test);
 * significant regression".
 */
void pe_comparison_write_verdict(FILE *out, const struct pe_compare_group *g);

#endif
