/*
 * The comparison of two runs (see compare.h).  Both sets' rows go into one
 * array, sorted by the pairing key (prompt, case, model, temperature) and
 * then by side; each run of equal keys is one case, compared when both
 * sides have rows and listed as added or removed otherwise.  The cases are
 * then put in display order and grouped by prompt for the sign tests.
 *
 * Generated case ids grew from 8 hex digits to 16 (schema version 3).
 * When either side has the short ones, every generated id is paired by
 * its first 8 digits, so a baseline from an older prompteval still pairs
 * case by case instead of showing every case as removed and added.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/results/compare.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum side { SIDE_BASE, SIDE_HEAD };

struct entry {
	const struct pe_result *row;
	enum side side;
	const char *case_id; /* the id it pairs by: row's, or short_id */
	char *short_id;	     /* a generated id cut to 8 digits, or NULL */
};

struct pe_comparison {
	struct pe_compare_case *cases;
	size_t ncases, cases_alloc;
	struct pe_compare_only *added;
	size_t nadded, added_alloc;
	struct pe_compare_only *removed;
	size_t nremoved, removed_alloc;
	struct pe_compare_group *prompts;
	size_t nprompts, prompts_alloc;
	struct pe_compare_group overall;
};

/* NULL sorts before any string. */
static int compare_nullable(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int compare_temperature(int has_a, double a, int has_b, double b)
{
	if (has_a != has_b)
		return has_a - has_b;
	return has_a ? (a > b) - (a < b) : 0;
}

/* A case is known by its id, or by its index when it has none. */
static int compare_case(const char *id_a, size_t index_a, const char *id_b,
			size_t index_b)
{
	if (id_a && id_b)
		return strcmp(id_a, id_b);
	if (id_a || id_b)
		return (id_a != NULL) - (id_b != NULL);
	return (index_a > index_b) - (index_a < index_b);
}

/* The pairing key: prompt name, case, model, temperature. */
static int compare_key(const struct entry *ea, const struct entry *eb)
{
	const struct pe_result *a = ea->row, *b = eb->row;
	int c = strcmp(a->prompt, b->prompt);

	if (!c)
		c = compare_case(ea->case_id, a->case_index, eb->case_id,
				 b->case_index);
	if (!c)
		c = compare_nullable(a->model, b->model);
	if (!c)
		c = compare_temperature(a->has_temperature, a->temperature,
					b->has_temperature, b->temperature);
	return c;
}

/* Orders two rows by the case they pair as; see compare.h. */
int pe_compare_case_key(const struct pe_result *a, const struct pe_result *b)
{
	struct entry ea = { a, SIDE_BASE, a->case_id, NULL };
	struct entry eb = { b, SIDE_HEAD, b->case_id, NULL };

	return compare_key(&ea, &eb);
}

static int compare_entries(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c = compare_key(a, b);

	if (!c)
		c = (int)a->side - (int)b->side;
	return c ? c : pe_result_compare(a->row, b->row);
}

/* Display order: prompt, case index, case id, model, temperature. */
static int compare_display(const char *prompt_a, size_t index_a,
			   const char *id_a, const char *model_a, int has_ta,
			   double ta, const char *prompt_b, size_t index_b,
			   const char *id_b, const char *model_b, int has_tb,
			   double tb)
{
	int c = strcmp(prompt_a, prompt_b);

	if (!c)
		c = (index_a > index_b) - (index_a < index_b);
	if (!c)
		c = compare_nullable(id_a, id_b);
	if (!c)
		c = compare_nullable(model_a, model_b);
	if (!c)
		c = compare_temperature(has_ta, ta, has_tb, tb);
	return c;
}

static int compare_cases(const void *pa, const void *pb)
{
	const struct pe_compare_case *a = pa, *b = pb;

	return compare_display(a->prompt, a->case_index, a->case_id, a->model,
			       a->has_temperature, a->temperature, b->prompt,
			       b->case_index, b->case_id, b->model,
			       b->has_temperature, b->temperature);
}

static int compare_only(const void *pa, const void *pb)
{
	const struct pe_compare_only *a = pa, *b = pb;

	return compare_display(a->prompt, a->case_index, a->case_id, a->model,
			       a->has_temperature, a->temperature, b->prompt,
			       b->case_index, b->case_id, b->model,
			       b->has_temperature, b->temperature);
}

/* A side's counts from a tally of its rows; see compare.h. */
struct pe_compare_side pe_compare_side_of(const struct pe_tally *t)
{
	struct pe_compare_side s;

	memset(&s, 0, sizeof(s));
	s.rows = t->jobs;
	s.pass = t->pass;
	s.error = t->error;
	s.decided = t->pass + t->fail;
	s.mean_score = t->mean_score;
	return s;
}

/* Tallies entries[0..n) (rows of one side of one case) into *s. */
static void tally_side(const struct entry *entries, size_t n,
		       struct pe_compare_side *s)
{
	const struct pe_result *row = NULL;
	struct pe_tally t;

	pe_tally_init(&t);
	for (size_t i = 0; i < n; i++) {
		const struct pe_result *r = entries[i].row;
		int failed = r->status == PE_VERDICT_FAIL ||
			     r->status == PE_VERDICT_ERROR;

		pe_tally_add(&t, r);
		if (!row || (failed && row->status != PE_VERDICT_FAIL &&
			     row->status != PE_VERDICT_ERROR))
			row = r;
	}
	pe_tally_finish(&t);
	*s = pe_compare_side_of(&t);
	s->row = row;
}

/* Classifies a case from its two sides; see compare.h. */
enum pe_change_kind pe_compare_classify(const struct pe_compare_side *base,
					const struct pe_compare_side *head)
{
	/* Cross-multiplied, so that 1/2 equals 2/4 exactly. */
	size_t lhs, rhs;

	if (!base->decided || !head->decided)
		return PE_CHANGE_UNDECIDED;
	lhs = head->pass * base->decided;
	rhs = base->pass * head->decided;
	if (lhs < rhs)
		return PE_CHANGE_REGRESSED;
	return lhs > rhs ? PE_CHANGE_IMPROVED : PE_CHANGE_UNCHANGED;
}

static void add_only(struct pe_compare_only **list, size_t *n, size_t *alloc,
		     const struct entry *entries, size_t count)
{
	struct pe_compare_side s;
	struct pe_compare_only *o;
	const struct pe_result *r = entries[0].row;

	tally_side(entries, count, &s);
	pe_grow(list, alloc, *n + 1, sizeof(**list));
	o = &(*list)[(*n)++];
	o->prompt = r->prompt;
	o->case_id = r->case_id;
	o->case_index = r->case_index;
	o->model = r->model;
	o->has_temperature = r->has_temperature;
	o->temperature = r->temperature;
	o->rows = s.rows;
	o->pass = s.pass;
	o->decided = s.decided;
}

/* Handles one key's entries: nbase base rows, then the head rows. */
static void add_key(struct pe_comparison *cmp, const struct entry *entries,
		    size_t nbase, size_t nhead)
{
	struct pe_compare_case *c;
	const struct pe_result *r;

	if (!nhead) {
		add_only(&cmp->removed, &cmp->nremoved, &cmp->removed_alloc,
			 entries, nbase);
		return;
	}
	if (!nbase) {
		add_only(&cmp->added, &cmp->nadded, &cmp->added_alloc, entries,
			 nhead);
		return;
	}
	pe_grow(&cmp->cases, &cmp->cases_alloc, cmp->ncases + 1,
		sizeof(*cmp->cases));
	c = &cmp->cases[cmp->ncases++];
	r = entries[nbase].row;
	c->prompt = r->prompt;
	c->case_id = r->case_id;
	c->case_index = r->case_index;
	c->model = r->model;
	c->has_temperature = r->has_temperature;
	c->temperature = r->temperature;
	tally_side(entries, nbase, &c->base);
	tally_side(entries + nbase, nhead, &c->head);
	c->change = pe_compare_classify(&c->base, &c->head);
	c->score_delta = c->head.mean_score - c->base.mean_score;
}

/*
 * The length of the hex digits of a generated case id ("case-" and hex
 * digits, then "-N" when it repeats an earlier case), or 0 for an id
 * given in the prompt file.
 */
static size_t generated_digits(const char *id)
{
	size_t n = 0;

	if (!id || strncmp(id, "case-", 5))
		return 0;
	while (isxdigit((unsigned char)id[5 + n]) &&
	       !isupper((unsigned char)id[5 + n]))
		n++;
	if (id[5 + n] == '-') {
		const char *p = id + 6 + n;

		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p)
			return 0;
	} else if (id[5 + n]) {
		return 0;
	}
	return n == 8 || n == 16 ? n : 0;
}

/* Whether rs has 8-digit generated ids; see compare.h. */
int pe_compare_short_ids(const struct pe_resultset *rs)
{
	long version = pe_resultset_schema_version(rs);

	if (version)
		return version < 3;
	/* A journal says no version: look at its ids. */
	for (size_t i = 0; i < pe_resultset_count(rs); i++)
		if (generated_digits(pe_resultset_get(rs, i)->case_id) == 8)
			return 1;
	return 0;
}

/* The short form of a 16-digit generated id; see compare.h. */
char *pe_compare_short_id(const char *id)
{
	if (generated_digits(id) != 16)
		return NULL;
	return xstrfmt("case-%.8s%s", id + 5, id + 21);
}

static struct entry make_entry(const struct pe_result *row, enum side side,
			       int short_ids)
{
	struct entry e = { row, side, row->case_id, NULL };

	if (short_ids && (e.short_id = pe_compare_short_id(row->case_id)))
		e.case_id = e.short_id;
	return e;
}

static void pair_rows(struct pe_comparison *cmp,
		      const struct pe_resultset *base,
		      const struct pe_resultset *head)
{
	size_t nb = pe_resultset_count(base), nh = pe_resultset_count(head);
	size_t n = nb + nh;
	struct entry *entries = xcalloc(n ? n : 1, sizeof(*entries));
	int short_ids =
		pe_compare_short_ids(base) || pe_compare_short_ids(head);
	size_t i = 0;

	for (size_t k = 0; k < nb; k++)
		entries[i++] = make_entry(pe_resultset_get(base, k), SIDE_BASE,
					  short_ids);
	for (size_t k = 0; k < nh; k++)
		entries[i++] = make_entry(pe_resultset_get(head, k), SIDE_HEAD,
					  short_ids);
	if (n)
		qsort(entries, n, sizeof(*entries), compare_entries);
	for (i = 0; i < n;) {
		size_t end = i, nbase = 0;

		while (end < n && !compare_key(&entries[i], &entries[end])) {
			nbase += entries[end].side == SIDE_BASE;
			end++;
		}
		add_key(cmp, entries + i, nbase, end - i - nbase);
		i = end;
	}
	for (i = 0; i < n; i++)
		free(entries[i].short_id);
	free(entries);
	/* qsort must not see the NULL of an empty list. */
	if (cmp->ncases)
		qsort(cmp->cases, cmp->ncases, sizeof(*cmp->cases),
		      compare_cases);
	if (cmp->nadded)
		qsort(cmp->added, cmp->nadded, sizeof(*cmp->added),
		      compare_only);
	if (cmp->nremoved)
		qsort(cmp->removed, cmp->nremoved, sizeof(*cmp->removed),
		      compare_only);
}

/* Returns the group for prompt, adding it (in name order) if new. */
static struct pe_compare_group *find_group(struct pe_comparison *cmp,
					   const char *prompt)
{
	size_t i = 0;

	while (i < cmp->nprompts && strcmp(cmp->prompts[i].prompt, prompt) < 0)
		i++;
	if (i < cmp->nprompts && !strcmp(cmp->prompts[i].prompt, prompt))
		return &cmp->prompts[i];
	pe_grow(&cmp->prompts, &cmp->prompts_alloc, cmp->nprompts + 1,
		sizeof(*cmp->prompts));
	memmove(&cmp->prompts[i + 1], &cmp->prompts[i],
		(cmp->nprompts - i) * sizeof(*cmp->prompts));
	cmp->nprompts++;
	memset(&cmp->prompts[i], 0, sizeof(cmp->prompts[i]));
	cmp->prompts[i].prompt = prompt;
	return &cmp->prompts[i];
}

/*
 * Runs the sign test over the decided cases of prompt (every prompt when
 * NULL) and fills the rest of *g.
 */
static void test_group(const struct pe_comparison *cmp, const char *prompt,
		       struct pe_compare_group *g)
{
	struct pe_paired_case *pairs =
		xcalloc(cmp->ncases ? cmp->ncases : 1, sizeof(*pairs));
	size_t n = 0, scored = 0;
	double delta_sum = 0;

	for (size_t i = 0; i < cmp->ncases; i++) {
		const struct pe_compare_case *c = &cmp->cases[i];

		if (prompt && strcmp(c->prompt, prompt))
			continue;
		if (c->change == PE_CHANGE_UNDECIDED) {
			g->undecided++;
			continue;
		}
		pairs[n].base_pass = c->base.pass;
		pairs[n].base_total = c->base.decided;
		pairs[n].head_pass = c->head.pass;
		pairs[n].head_total = c->head.decided;
		n++;
		if (!isnan(c->score_delta)) {
			delta_sum += c->score_delta;
			scored++;
		}
	}
	/* The totals are at least 1 by construction, so this succeeds. */
	pe_paired_compare(n ? pairs : NULL, n, &g->stats);
	g->score_delta = scored ? delta_sum / (double)scored : NAN;
	free(pairs);
}

static void build_groups(struct pe_comparison *cmp)
{
	for (size_t i = 0; i < cmp->ncases; i++)
		find_group(cmp, cmp->cases[i].prompt);
	for (size_t i = 0; i < cmp->nadded; i++)
		find_group(cmp, cmp->added[i].prompt)->added++;
	for (size_t i = 0; i < cmp->nremoved; i++)
		find_group(cmp, cmp->removed[i].prompt)->removed++;
	for (size_t i = 0; i < cmp->nprompts; i++)
		test_group(cmp, cmp->prompts[i].prompt, &cmp->prompts[i]);
	memset(&cmp->overall, 0, sizeof(cmp->overall));
	test_group(cmp, NULL, &cmp->overall);
	cmp->overall.added = cmp->nadded;
	cmp->overall.removed = cmp->nremoved;
}

/*
 * Compares head with base; returns a new comparison owned by the caller.
 * Strings and rows in it are borrowed from base and head.
 */
struct pe_comparison *pe_compare_new(const struct pe_resultset *base,
				     const struct pe_resultset *head)
{
	struct pe_comparison *cmp = xcalloc(1, sizeof(*cmp));

	pair_rows(cmp, base, head);
	build_groups(cmp);
	return cmp;
}

/* Frees cmp; NULL is a no-op. */
void pe_comparison_free(struct pe_comparison *cmp)
{
	if (!cmp)
		return;
	free(cmp->cases);
	free(cmp->added);
	free(cmp->removed);
	free(cmp->prompts);
	free(cmp);
}

/* Returns the number of cases both runs have. */
size_t pe_comparison_case_count(const struct pe_comparison *cmp)
{
	return cmp->ncases;
}

/* Returns paired case i (i < pe_comparison_case_count). */
const struct pe_compare_case *pe_comparison_case(
	const struct pe_comparison *cmp, size_t i)
{
	return &cmp->cases[i];
}

/* Returns the number of cases only head has. */
size_t pe_comparison_added_count(const struct pe_comparison *cmp)
{
	return cmp->nadded;
}

/* Returns added case i. */
const struct pe_compare_only *pe_comparison_added(
	const struct pe_comparison *cmp, size_t i)
{
	return &cmp->added[i];
}

/* Returns the number of cases only base has. */
size_t pe_comparison_removed_count(const struct pe_comparison *cmp)
{
	return cmp->nremoved;
}

/* Returns removed case i. */
const struct pe_compare_only *pe_comparison_removed(
	const struct pe_comparison *cmp, size_t i)
{
	return &cmp->removed[i];
}

/* Returns the number of per-prompt groups. */
size_t pe_comparison_prompt_count(const struct pe_comparison *cmp)
{
	return cmp->nprompts;
}

/* Returns prompt group i, in name order. */
const struct pe_compare_group *pe_comparison_prompt(
	const struct pe_comparison *cmp, size_t i)
{
	return &cmp->prompts[i];
}

/* Returns the group of all cases. */
const struct pe_compare_group *pe_comparison_overall(
	const struct pe_comparison *cmp)
{
	return &cmp->overall;
}

/* Returns the name of a change kind. */
const char *pe_change_name(enum pe_change_kind kind)
{
	switch (kind) {
	case PE_CHANGE_REGRESSED:
		return "regressed";
	case PE_CHANGE_IMPROVED:
		return "improved";
	case PE_CHANGE_UNDECIDED:
		return "undecided";
	default:
		return "unchanged";
	}
}
