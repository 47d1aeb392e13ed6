/*
 * Reference metrics: how close the answer is to a reference text, the
 * case's expected value ("{{expected}}", the gh-models testData
 * "expected") unless "expected:" gives another template, each with a
 * pass mark.  Four kinds, one table each:
 *
 *   levenshtein  the edit distance between the two texts in characters
 *                (code points after NFC, so an accent written either way
 *                is one character), and the ratio 1 - distance / length
 *                of the longer; passes on "min_ratio" and/or
 *                "max_distance".  Case counts unless "ignore_case".
 *   rouge_l      ROUGE-L F1 over words: the longest common subsequence
 *                of the answer's and the reference's words, P = LCS /
 *                answer words, R = LCS / reference words, F1 = 2PR/(P+R).
 *   bleu         sentence BLEU as sacreBLEU's sentence_bleu computes it:
 *                1- to 4-gram modified precisions, uniform weights, the
 *                brevity penalty, "exp" smoothing (Chen and Cherry 2014,
 *                method 3: an order with no match counts 1 / (2^k
 *                n-grams), k counting such orders) and the effective
 *                order (orders the answer has no n-gram of are left out);
 *                an answer with no word of the reference scores 0, as
 *                sacreBLEU stops early when nothing matches.
 *   token_set    the Jaccard similarity of the two sets of words:
 *                shared / distinct in either.
 *
 * Words are found in both texts alike: case folded (Unicode full case
 * folding with NFC), then runs of letters, marks and digits of any
 * script, each CJK character a word of its own (pe_unicode_next_word), so
 * punctuation is not a word; the metrics therefore differ from tools that
 * keep punctuation as tokens (sacreBLEU's 13a tokeniser).  Both texts are
 * trimmed of white space first.  The score is the figure; the reason
 * gives it with the mark.
 *
 * The settings are read when the file loads (so "check" reports them with
 * positions, and the expected template is checked against every case).
 * A case whose expected value is empty is an error: there is nothing to
 * compare with.  A levenshtein case whose max_distance, the only mark
 * (or beside a min_ratio of 0), is at least the expected value's length
 * cannot pass: the empty answer is that far away, so the bound cannot
 * tell it from the expected value.  An answer within it is skipped, one
 * past it fails; "check" warns of such cases.  The
 * distance and the subsequence are both computed 64 cells at a time
 * (bit-parallel), in time in proportion to the product of the two
 * lengths over 64 and memory to the distinct characters (words) of the
 * shorter text times its length over 64; past MAX_STEPS or MAX_MASKS
 * either is an error instead.
 */
#include "evaluators/evaluator.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/unicode.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

/*
 * The limits of the distance and the subsequence: the words of 64 cells
 * they update, the longer text's length times the shorter's over 64,
 * rounded up (6.4 billion cells: two texts of 80,000 characters or
 * words), and the masks they keep, 8 bytes each (64 MB).
 */
#define MAX_STEPS 100000000.0
#define MAX_MASKS 8000000.0
#define LIMITS                                                                 \
	"6.4 billion cells, counted 64 at a time, fewer with many "            \
	"different "

/* Whether a bit-parallel pass over rows x cols cells fits MAX_STEPS. */
static int within_steps(size_t rows, size_t cols)
{
	size_t shorter = rows < cols ? rows : cols;

	return (double)(rows > cols ? rows : cols) *
		       (double)(shorter / 64 + (shorter % 64 != 0)) <=
	       MAX_STEPS;
}

enum metric { LEVENSHTEIN, ROUGE_L, BLEU, TOKEN_SET };

static const char *const metric_keys[] = { "levenshtein", "rouge_l", "bleu",
					   "token_set" };

/* The default reference: the case's expected value. */
static const char default_expected[] = "{{expected}}";

struct reference_spec {
	enum metric metric;
	struct pe_template *expected;
	const struct pe_node *expected_node;	 /* where it is written */
	const char *expected_written;		 /* as written (borrowed) */
	double min;				 /* the pass mark; NAN: none */
	double max_distance;			 /* levenshtein; NAN: none */
	const struct pe_node *max_distance_node; /* where it is written */
	int ignore_case;			 /* levenshtein */
};

/* The ids of a text's words, numbered alike with the other text's. */
struct words {
	const unsigned *ids;
	size_t len;
};

/*
 * Numbers the reference's words (items, n of them) as the answer's (m)
 * into r->ids: a word the answer has gets its id, the others new ids
 * from m->ndistinct up, equal words alike.  Each distinct word of the
 * reference goes into a table of its own (linear in the words' bytes),
 * so a repeated word is found there and the answer's table is asked once
 * per distinct word, which also counts the words the two texts share.
 * Sets r->distinct to how many distinct words the two texts have and
 * r->shared to how many of them both have.
 */
static void number_reference(const struct pe_eval_memo *m,
			     const struct pe_word *items, size_t n,
			     struct pe_eval_reference *r)
{
	size_t size = pe_word_table_size(n), mask = size - 1;
	uint32_t *slot = xcalloc(size, sizeof(*slot)); /* position + 1 */
	unsigned id = m->ndistinct, *ids = r->ids;

	r->shared = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = pe_word_slot(slot, mask, items, &items[i]);

		if (slot[k]) {
			ids[i] = ids[slot[k] - 1];
			continue;
		}
		slot[k] = (uint32_t)i + 1;
		ids[i] = pe_eval_word_id(m, &items[i]);
		if (ids[i] == UINT_MAX)
			ids[i] = id++;
		else
			r->shared++;
	}
	free(slot);
	r->distinct = id;
}

/*
 * The length of the longest common subsequence of two id lists, bit-
 * parallel (Allison and Dix 1986; Hyyro 2004): the shorter list is the
 * columns, one bit each, and each word of the longer list updates every
 * column at once with V = (V + (V & M)) | (V & ~M), where M marks the
 * columns holding that word; the subsequence is as long as V has zero
 * bits.  The time is the product of the lengths over 64, the memory a
 * mask per distinct word of the shorter list.  distinct bounds the ids.
 * A word the columns lack has mask 0 (the first), which changes nothing
 * (V + 0 carries nothing), so the rows need no test for it.  Returns
 * SIZE_MAX when the masks would pass MAX_MASKS.
 */
static size_t lcs_length(const struct words *a, const struct words *b,
			 unsigned distinct)
{
	const struct words *rows = a->len >= b->len ? a : b;
	const struct words *cols = rows == a ? b : a;
	size_t nwords = (cols->len + 63) / 64, nmasks = 1, best = 0;
	uint32_t *mask_of; /* 4 bytes, as the words' tables: half the zeroing */
	uint64_t *masks, *v;

	if (!cols->len)
		return 0;
	mask_of = xcalloc(distinct + 1, sizeof(*mask_of));
	for (size_t j = 0; j < cols->len; j++)
		if (!mask_of[cols->ids[j]])
			mask_of[cols->ids[j]] = (uint32_t)nmasks++;
	if ((double)nmasks * (double)nwords > MAX_MASKS) {
		free(mask_of);
		return SIZE_MAX;
	}
	masks = xcalloc(nmasks * nwords, sizeof(*masks));
	for (size_t j = 0; j < cols->len; j++)
		masks[mask_of[cols->ids[j]] * nwords + j / 64] |= (uint64_t)1
								  << (j % 64);
	v = xmalloc(nwords * sizeof(*v));
	for (size_t k = 0; k < nwords; k++)
		v[k] = ~(uint64_t)0;
	if (nwords == 1) {
		uint64_t x = v[0];

		for (size_t i = 0; i < rows->len; i++) {
			uint64_t mk = masks[mask_of[rows->ids[i]]];

			x = (x + (x & mk)) | (x & ~mk);
		}
		v[0] = x;
	}
	for (size_t i = 0; nwords > 1 && i < rows->len; i++) {
		const uint64_t *mk = masks + mask_of[rows->ids[i]] * nwords;
		unsigned carry = 0;

		for (size_t k = 0; k < nwords; k++) {
			uint64_t u = v[k] & mk[k], sum = v[k] + u + carry;

			carry = sum < v[k] || (carry && sum == v[k]);
			v[k] = sum | (v[k] & ~mk[k]);
		}
	}
	for (size_t j = 0; j < cols->len; j++)
		best += !(v[j / 64] >> (j % 64) & 1);
	free(v);
	free(masks);
	free(mask_of);
	return best;
}

/*
 * An n-gram's slot: where it is in the reference, and how often each text
 * has it.  Twelve bytes, not a pointer and two sizes: the table is zeroed
 * for each n, and positions and counts of a reference's words fit 32 bits
 * as those of the answer's words do in its table (words.c).
 */
struct ngram_slot {
	uint32_t at; /* its first word's place in the reference + 1; 0: empty */
	uint32_t in_ref;
	uint32_t in_answer;
};

/* The hash of the n word ids from first. */
static uint64_t hash_ngram(const unsigned *first, unsigned n)
{
	uint64_t h = 1469598103934665603ULL;

	for (unsigned k = 0; k < n; k++)
		h = (h ^ first[k]) * 1099511628211ULL;
	return h;
}

/* True when the n words from x and from y have the same ids. */
static int same_ngram(const unsigned *x, const unsigned *y, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (x[k] != y[k])
			return 0;
	return 1;
}

/*
 * The slot of the n-gram at first in a table of mask + 1 slots of the
 * reference's n-grams (ref, its word ids): its own, or the empty one
 * where it goes.
 */
static struct ngram_slot *find_ngram(struct ngram_slot *table, size_t mask,
				     const unsigned *ref, const unsigned *first,
				     unsigned n)
{
	size_t k = hash_ngram(first, n) & mask;

	while (table[k].at && !same_ngram(ref + table[k].at - 1, first, n))
		k = (k + 1) & mask;
	return &table[k];
}

/*
 * The answer's n-grams that may match: those whose every word the
 * reference has.  ends[k] is the last word of such a run of words and
 * runs[k] how many words the run has up to there, so an n-gram ending at
 * ends[k] may match when runs[k] >= n.  Only those ends are visited for
 * each n, not every word of the answer, and each n drops the ends too
 * short for the next.
 */
struct gram_ends {
	size_t *ends;
	size_t *runs;
	size_t len;
};

/* Finds the ends of the answer's runs of words the reference has. */
static void find_gram_ends(const struct words *answer, const unsigned *in_ref,
			   struct gram_ends *g)
{
	size_t run = 0;

	g->ends = xmalloc((answer->len + 1) * sizeof(*g->ends));
	g->runs = xmalloc((answer->len + 1) * sizeof(*g->runs));
	g->len = 0;
	/*
	 * Whether the reference has a word is a coin toss to the branch
	 * predictor: each word is written, and kept when the run goes on.
	 */
	for (size_t i = 0; i < answer->len; i++) {
		size_t shared = in_ref[answer->ids[i]] != 0;

		run = (run + 1) & (0 - shared);
		g->ends[g->len] = i;
		g->runs[g->len] = run;
		g->len += shared;
	}
}

/*
 * The clipped matches of the answer's n-grams: each counts at most as
 * often as the reference has it.  The reference's n-grams go into a
 * table; the answer's are looked up in it, so the time is linear in
 * both.  Words (n = 1) need no table: in_ref counts the reference's by
 * id, and each match uses up one (nothing reads it after n = 1).  Only
 * the answer's n-grams in g are looked up (the others have a word the
 * reference lacks and cannot match).  Every end
 * in g has a run of at least n words: find_gram_ends keeps runs of one
 * or more, and each n keeps the ends that may still end a longer
 * n-gram.  The count does not depend on the order of the look-ups: each
 * n-gram counts as often as the fewer of its two counts.  table has room
 * for the reference's 2-grams, the most of any n > 1, and is emptied
 * here for each n.
 */
static size_t clipped_matches(const struct words *answer,
			      const struct words *ref, unsigned *in_ref,
			      struct gram_ends *g, unsigned n,
			      struct ngram_slot *table)
{
	size_t nr = n > 1 && ref->len >= n ? ref->len - n + 1 : 0;
	size_t size = pe_word_table_size(nr), matches = 0, kept = 0;

	if (n > 1)
		memset(table, 0, size * sizeof(*table));
	for (size_t i = 0; i < nr; i++) {
		struct ngram_slot *t =
			find_ngram(table, size - 1, ref->ids, &ref->ids[i], n);

		t->at = (uint32_t)i + 1;
		t->in_ref++;
	}
	for (size_t k = 0; k < g->len; k++) {
		struct ngram_slot *t;

		if (n == 1) {
			/* Each match uses up one of the reference's. */
			unsigned id = answer->ids[g->ends[k]];
			unsigned hit = in_ref[id] != 0;

			in_ref[id] -= hit;
			matches += hit;
		} else {
			t = find_ngram(table, size - 1, ref->ids,
				       &answer->ids[g->ends[k] + 1 - n], n);
			if (t->at && t->in_answer < t->in_ref) {
				t->in_answer++;
				matches++;
			}
		}
		g->ends[kept] = g->ends[k];
		g->runs[kept] = g->runs[k];
		kept += g->runs[k] > n; /* without a branch, as above */
	}
	g->len = kept;
	return matches;
}

/* What BLEU found, for the score and the reason. */
struct bleu {
	double precision[4];
	unsigned orders; /* the effective order */
	int unmatched;	 /* no n-gram of the answer matched: the score is 0 */
	double brevity;
	double score;
};

/* Sentence BLEU with exp smoothing and the effective order; see above. */
static void compute_bleu(const struct words *answer, const struct words *ref,
			 unsigned distinct, struct bleu *b)
{
	double smooth = 1, logs = 0;
	unsigned *in_ref; /* the reference's count of each word, used up */
	struct gram_ends g;
	struct ngram_slot *table;
	size_t matched = 0;

	memset(b, 0, sizeof(*b));
	if (!answer->len)
		return;
	in_ref = xcalloc(distinct + 1, sizeof(*in_ref));
	for (size_t i = 0; i < ref->len; i++)
		in_ref[ref->ids[i]]++;
	find_gram_ends(answer, in_ref, &g);
	/* One table serves every n > 1: the 2-grams are the most. */
	table = xmalloc(pe_word_table_size(ref->len > 1 ? ref->len - 1 : 0) *
			sizeof(*table));
	for (unsigned n = 1; n <= 4 && answer->len >= n; n++) {
		size_t total = answer->len - n + 1;
		size_t correct =
			clipped_matches(answer, ref, in_ref, &g, n, table);

		matched += correct;
		if (!correct) {
			smooth *= 2;
			b->precision[n - 1] = 1 / (smooth * (double)total);
		} else {
			b->precision[n - 1] = (double)correct / (double)total;
		}
		b->orders = n;
		logs += log(b->precision[n - 1]);
	}
	free(table);
	free(g.ends);
	free(g.runs);
	free(in_ref);
	b->brevity = answer->len < ref->len
			     ? exp(1 - (double)ref->len / (double)answer->len)
			     : 1;
	b->unmatched = !matched;
	b->score = matched ? b->brevity * exp(logs / b->orders) : 0;
}

/* The error of a case whose reference is empty once trimmed. */
static void empty_reference(const struct reference_spec *spec,
			    struct pe_eval_result *out)
{
	pe_result_set(out, PE_VERDICT_ERROR, 0,
		      "the expected value '%s' is empty for this case: there "
		      "is nothing to compare the answer with",
		      spec->expected_written);
}

/* The texts one output is compared with, trimmed and mapped. */
struct texts {
	struct pe_buf answer;
	struct pe_buf ref;
};

/*
 * Maps s (len bytes) into out as levenshtein compares texts: folded with
 * ignore_case, else composed (NFC).  Returns the mapping's result.
 */
static int map_chars(const struct reference_spec *spec, const char *s,
		     size_t len, struct pe_buf *out)
{
	return spec->ignore_case ? pe_unicode_fold(s, len, out)
				 : pe_unicode_compose(s, len, out);
}

/*
 * Maps the reference rendered in raw, trimmed, into out (map_chars),
 * with its trimmed length in *len (0: empty).  Returns map_chars's.
 */
static int map_reference(const struct reference_spec *spec,
			 const struct pe_buf *raw, struct pe_buf *out,
			 size_t *len)
{
	const char *ref;

	*len = raw->len;
	ref = pe_unicode_trim(pe_buf_str(raw), len);
	return map_chars(spec, ref, *len, out);
}

/*
 * Renders the reference for this case into t->ref and maps both texts
 * (map_chars).  Returns 0, or sets an error result in out.
 */
static int prepare(const struct reference_spec *spec,
		   const struct pe_eval_input *in, struct texts *t,
		   struct pe_eval_result *out)
{
	struct pe_buf raw;
	size_t len = in->len, rlen;
	const char *text = pe_unicode_trim(in->output, &len);
	int rc;

	pe_buf_init(&t->answer, PE_UNICODE_FOLD_GROWTH * len + 1);
	pe_buf_init(&t->ref, 0);
	pe_buf_init(&raw, 0);
	pe_eval_render(spec->expected, in, &raw);
	rc = map_chars(spec, text, len, &t->answer) ||
	     map_reference(spec, &raw, &t->ref, &rlen);
	pe_buf_release(&raw);
	if (rc)
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "the answer is too long to compare");
	else if (!rlen)
		empty_reference(spec, out);
	return rc || !rlen ? PE_ERR_INVALID : PE_OK;
}

static void release_texts(struct texts *t)
{
	pe_buf_release(&t->answer);
	pe_buf_release(&t->ref);
}

/* Decodes UTF-8 (well-formed after mapping) into code points. */
static uint32_t *code_points(const struct pe_buf *b, size_t *n)
{
	uint32_t *cps = xcalloc(b->len + 1, sizeof(*cps));
	size_t k;

	*n = 0;
	for (size_t i = 0; i < b->len; i += k ? k : 1) {
		unsigned long cp;

		k = pe_utf8_decode(b->data + i, b->len - i, &cp);
		cps[(*n)++] = k ? (uint32_t)cp : 0xfffd;
	}
	return cps;
}

/*
 * The slot of code point cp in an open-addressed table of mask + 1 slots
 * (keys, and slot: a row + 1, 0 when empty): its own, or the empty one
 * where it goes.
 */
static size_t char_slot(const uint32_t *keys, const uint32_t *slot, size_t mask,
			uint32_t cp)
{
	size_t k = (size_t)((cp * 0x9e3779b97f4a7c15ULL) >> 32) & mask;

	while (slot[k] && keys[k] != cp)
		k = (k + 1) & mask;
	return k;
}

/*
 * The Levenshtein distance of a and b, bit-parallel (Myers 1999, in
 * blocks of 64 as Hyyro 2003): the shorter text is the rows of the
 * table, 64 to a word, and the other's characters its columns, taken
 * one at a time.  Each row keeps whether the cell is one more (pv) or
 * one less (mv) than the one above it; each character updates a word of
 * rows at once from the mask of the rows holding it (eq), and hands the
 * difference along the word's last row to the next word (in), the first
 * word starting from the top row's 0, 1, 2... (in = +1).  The distance is
 * the shorter length plus the differences along the last row.  The
 * masks are one per distinct character of the rows, and one of zeros
 * for the characters they lack.  Returns SIZE_MAX when the masks would
 * pass MAX_MASKS.
 */
static size_t edit_distance(const uint32_t *a, size_t na, const uint32_t *b,
			    size_t nb)
{
	const uint32_t *rows = na <= nb ? a : b, *cols = rows == a ? b : a;
	size_t m = na <= nb ? na : nb, n = rows == a ? nb : na;
	size_t nwords = (m + 63) / 64, size = pe_word_table_size(m);
	size_t distinct = 0, d = m;
	unsigned last = (unsigned)((m + 63) % 64); /* the last row's bit */
	uint32_t *keys, *row_of, *slot; /* slot: row + 1 (0: empty) */
	uint64_t *eq, *pv, *mv;

	if (!m)
		return n;
	keys = xmalloc(size * sizeof(*keys));
	slot = xcalloc(size, sizeof(*slot));
	row_of = xmalloc(m * sizeof(*row_of));
	for (size_t i = 0; i < m; i++) {
		size_t k = char_slot(keys, slot, size - 1, rows[i]);

		if (!slot[k]) {
			keys[k] = rows[i];
			slot[k] = (uint32_t)++distinct;
		}
		row_of[i] = slot[k] - 1;
	}
	if ((double)(distinct + 1) * (double)nwords > MAX_MASKS) {
		free(keys);
		free(slot);
		free(row_of);
		return SIZE_MAX;
	}
	eq = xcalloc((distinct + 1) * nwords, sizeof(*eq));
	for (size_t i = 0; i < m; i++)
		eq[row_of[i] * nwords + i / 64] |= (uint64_t)1 << (i % 64);
	pv = xmalloc(nwords * sizeof(*pv));
	mv = xcalloc(nwords, sizeof(*mv));
	for (size_t w = 0; w < nwords; w++)
		pv[w] = ~(uint64_t)0;
	for (size_t j = 0; j < n; j++) {
		size_t k = char_slot(keys, slot, size - 1, cols[j]);
		const uint64_t *e =
			eq + (slot[k] ? slot[k] - 1 : distinct) * nwords;
		int in = 1; /* the difference along the row above the word */

		for (size_t w = 0; w < nwords; w++) {
			uint64_t neg = in < 0;
			uint64_t pos = in > 0;
			uint64_t x = e[w] | neg;
			uint64_t xv = e[w] | mv[w];
			uint64_t xh = (((x & pv[w]) + pv[w]) ^ pv[w]) | x;
			uint64_t ph = mv[w] | ~(xh | pv[w]);
			uint64_t mh = pv[w] & xh;
			unsigned bit = w + 1 < nwords ? 63 : last;

			in = (int)(ph >> bit & 1) - (int)(mh >> bit & 1);
			ph = ph << 1 | pos;
			mh = mh << 1 | neg;
			pv[w] = mh | ~(xv | ph);
			mv[w] = ph & xv;
		}
		if (in)
			d = in > 0 ? d + 1 : d - 1;
	}
	free(keys);
	free(slot);
	free(row_of);
	free(eq);
	free(pv);
	free(mv);
	return d;
}

/* How far below its pass mark a figure may fall and still reach it. */
#define MARK_SLACK 1e-12

/* Passes when score reaches min (a NAN min always holds). */
static int reaches(double score, double min)
{
	return isnan(min) || score + MARK_SLACK >= min;
}

/*
 * Whether max_distance alone decides and lets an empty answer pass
 * against a reference of ref_chars characters, so that it checks nothing.
 */
static int distance_admits_empty(const struct reference_spec *spec,
				 size_t ref_chars)
{
	return !isnan(spec->max_distance) &&
	       (isnan(spec->min) || spec->min <= MARK_SLACK) &&
	       spec->max_distance >= (double)ref_chars;
}

static void score_levenshtein(const struct reference_spec *spec,
			      struct texts *t, struct pe_eval_result *out)
{
	size_t na, nb, d, longer;
	uint32_t *a = code_points(&t->answer, &na);
	uint32_t *b = code_points(&t->ref, &nb);
	double ratio;
	int pass;
	struct pe_buf why;

	d = within_steps(na, nb) ? edit_distance(a, na, b, nb) : SIZE_MAX;
	if (d == SIZE_MAX) {
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "the answer and the expected value are too long "
			      "for an edit distance (%zu x %zu characters; "
			      "the limit is " LIMITS "characters)",
			      na, nb);
		free(a);
		free(b);
		return;
	}
	longer = na > nb ? na : nb;
	ratio = longer ? 1 - (double)d / (double)longer : 1;
	pass = reaches(ratio, spec->min) &&
	       (isnan(spec->max_distance) || (double)d <= spec->max_distance);
	pe_buf_init(&why, 0);
	pe_buf_addf(&why, "Levenshtein distance %zu", d);
	if (!isnan(spec->max_distance))
		pe_buf_addf(&why, " (need at most %.0f)", spec->max_distance);
	pe_buf_addf(&why, ", ratio %.3f", ratio);
	if (!isnan(spec->min))
		pe_buf_addf(&why, " (need at least %.3f)", spec->min);
	pe_buf_addf(&why, ": %zu characters in the answer, %zu expected", na,
		    nb);
	if (pass && distance_admits_empty(spec, nb))
		/* A fail stands; a pass the empty answer would get too. */
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "max_distance %.0f is at least the length of "
			      "the expected value for this case (%zu "
			      "characters), so an empty answer is within it: "
			      "nothing was checked",
			      spec->max_distance, nb);
	else
		pe_result_set(out, pass ? PE_VERDICT_PASS : PE_VERDICT_FAIL,
			      ratio, "%s", pe_buf_str(&why));
	pe_buf_release(&why);
	free(a);
	free(b);
}

static void score_rouge_l(const struct reference_spec *spec,
			  const struct words *a, const struct words *r,
			  unsigned distinct, struct pe_eval_result *out)
{
	size_t lcs;
	double p, rc, f1;

	lcs = within_steps(a->len, r->len) ? lcs_length(a, r, distinct)
					   : SIZE_MAX;
	if (lcs == SIZE_MAX) {
		pe_result_set(
			out, PE_VERDICT_ERROR, 0,
			"the answer and the expected value are too long "
			"for ROUGE-L (%zu x %zu words; the limit is " LIMITS
			"words)",
			a->len, r->len);
		return;
	}
	p = a->len ? (double)lcs / (double)a->len : 0;
	rc = r->len ? (double)lcs / (double)r->len : 0;
	f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
	pe_result_set(
		out, reaches(f1, spec->min) ? PE_VERDICT_PASS : PE_VERDICT_FAIL,
		f1,
		"ROUGE-L F1 %.3f (need at least %.3f): a common "
		"subsequence of %zu word%s, %zu in the answer, %zu "
		"expected",
		f1, spec->min, lcs, lcs == 1 ? "" : "s", a->len, r->len);
}

static void score_bleu(const struct reference_spec *spec, const struct words *a,
		       const struct words *r, unsigned distinct,
		       struct pe_eval_result *out)
{
	struct bleu b;
	struct pe_buf p;

	compute_bleu(a, r, distinct, &b);
	pe_buf_init(&p, 0);
	if (b.unmatched)
		pe_buf_adds(&p, "no word of the answer is in the reference");
	else if (b.orders)
		pe_buf_addf(&p, "%u-gram precisions ", b.orders);
	else
		pe_buf_adds(&p, "1-gram precisions none");
	for (unsigned n = 0; !b.unmatched && n < b.orders; n++)
		pe_buf_addf(&p, "%s%.3f", n ? ", " : "", b.precision[n]);
	pe_result_set(
		out,
		reaches(b.score, spec->min) ? PE_VERDICT_PASS : PE_VERDICT_FAIL,
		b.score,
		"BLEU %.3f (need at least %.3f): %s, brevity penalty %.3f, "
		"%zu word%s in the answer, %zu expected",
		b.score, spec->min, pe_buf_str(&p), b.brevity, a->len,
		a->len == 1 ? "" : "s", r->len);
	pe_buf_release(&p);
}

/*
 * The words both texts have and those either has were counted when the
 * reference was numbered (number_reference): every id below the answer's
 * ndistinct is a word of the answer, so neither text is read again here.
 */
static void score_token_set(const struct reference_spec *spec,
			    const struct pe_eval_reference *ref,
			    struct pe_eval_result *out)
{
	size_t shared = ref->shared;
	unsigned distinct = ref->distinct;
	double jaccard;

	jaccard = (double)shared / distinct; /* the reference has a word */
	pe_result_set(out,
		      reaches(jaccard, spec->min) ? PE_VERDICT_PASS
						  : PE_VERDICT_FAIL,
		      jaccard,
		      "token-set similarity %.3f (need at least %.3f): %zu of "
		      "%u distinct words shared",
		      jaccard, spec->min, shared, distinct);
}

/*
 * Makes m's reference the case's rendered reference (raw, len bytes):
 * trimmed, folded, split and numbered as the answer's words, unless m
 * has it already (the metrics of one answer mostly share a reference).
 * Returns 0, or sets an error result in out.
 */
static int make_reference(const struct reference_spec *spec,
			  struct pe_eval_memo *m, const char *raw, size_t len,
			  struct pe_eval_result *out)
{
	struct pe_eval_reference *r = &m->reference;
	size_t rlen = len;
	const char *text = pe_unicode_trim(raw, &rlen);
	struct pe_buf folded;
	struct pe_word *words;

	if (r->rendered && r->rendered_len == len &&
	    !memcmp(r->rendered, raw, len))
		return PE_OK;
	if (!rlen) {
		empty_reference(spec, out);
		return PE_ERR_INVALID;
	}
	pe_buf_init(&folded, 0);
	if (pe_unicode_fold(text, rlen, &folded)) {
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "the expected value is too long to compare");
		pe_buf_release(&folded);
		return PE_ERR_INVALID;
	}
	free(r->rendered);
	free(r->ids);
	r->rendered = xmalloc(len + 1);
	memcpy(r->rendered, raw, len);
	r->rendered[len] = '\0';
	r->rendered_len = len;
	words = pe_split_words(folded.data, folded.len, &r->n);
	r->ids = xmalloc((r->n + 1) * sizeof(*r->ids));
	number_reference(m, words, r->n, r);
	free(words);
	pe_buf_release(&folded);
	return PE_OK;
}

/*
 * Scores a word metric: the answer's words come from the memo the
 * output's evaluators share (folded once), and so does the reference's
 * when the metric before had the same one.
 */
static void score_words(const struct reference_spec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	struct pe_eval_memo own = { 0 };
	struct pe_eval_memo *m = pe_eval_words(in, &own);
	struct pe_buf raw;
	struct words a, r;

	pe_buf_init(&raw, 0);
	pe_eval_render(spec->expected, in, &raw);
	if (!m) {
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "the answer is too long to compare");
	} else if (make_reference(spec, m, pe_buf_str(&raw), raw.len, out)) {
		/* out holds the error */
	} else if (!m->reference.n) {
		/* Punctuation alone ("--", "?!"): no word to compare. */
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "the expected value '%s' has no words for this "
			      "case: there is nothing to compare the answer "
			      "with",
			      spec->expected_written);
	} else {
		a.ids = m->ids;
		a.len = m->nwords;
		r.ids = m->reference.ids;
		r.len = m->reference.n;
		if (spec->metric == ROUGE_L)
			score_rouge_l(spec, &a, &r, m->reference.distinct, out);
		else if (spec->metric == BLEU)
			score_bleu(spec, &a, &r, m->reference.distinct, out);
		else
			score_token_set(spec, &m->reference, out);
	}
	pe_buf_release(&raw);
	pe_eval_memo_release(&own);
}

static void score_reference(const void *state, const struct pe_evalspec *es,
			    const struct pe_eval_input *in,
			    struct pe_eval_result *out)
{
	const struct reference_spec *spec = es->data;
	struct texts t;

	(void)state;
	if (spec->metric != LEVENSHTEIN) {
		score_words(spec, in, out);
	} else if (!prepare(spec, in, &t, out)) {
		score_levenshtein(spec, &t, out);
		release_texts(&t);
	} else {
		release_texts(&t);
	}
	pe_result_note_utf8(out, in);
}

static void free_reference(void *data)
{
	struct reference_spec *spec = data;

	pe_template_free(spec->expected);
	free(spec);
}

/* The pass mark of rouge_l, bleu and token_set: min, or threshold. */
static int read_min(const struct pe_node *map, const char *const *names,
		    double *min, struct pe_diag *diag)
{
	const struct pe_node *first = NULL;

	for (size_t i = 0; names[i]; i++) {
		const struct pe_node *n = pe_node_get(map, names[i]);

		if (n && first) {
			pe_diag_error(diag, &n->mark,
				      "give one pass mark: '%s' and '%s' say "
				      "the same",
				      names[0], names[i]);
			return PE_ERR_INVALID;
		}
		if (n && pe_setting_number(map, names[i], 0, 1, min, diag))
			return PE_ERR_INVALID;
		first = first ? first : n;
	}
	return PE_OK;
}

/* Reads a mapping of settings into spec. */
static int read_settings(struct reference_spec *spec, const struct pe_node *map,
			 struct pe_diag *diag)
{
	static const char *const lev_known[] = {
		"expected",	"min_ratio",   "min", "threshold",
		"max_distance", "ignore_case", NULL
	};
	static const char *const known[] = { "expected", "min", "threshold",
					     NULL };
	static const char *const lev_marks[] = { "min_ratio", "min",
						 "threshold", NULL };
	int lev = spec->metric == LEVENSHTEIN;
	const struct pe_node *e = pe_node_get(map, "expected");
	size_t distance = SIZE_MAX;

	pe_node_check_keys(
		map, lev ? lev_known : known,
		lev ? "a levenshtein evaluator" : "a reference metric", diag);
	if (read_min(map, lev ? lev_marks : known + 1, &spec->min, diag) ||
	    (lev && pe_setting_count(map, "max_distance", 0,
				     PE_SETTING_MAX_COUNT, &distance, diag)) ||
	    (lev &&
	     pe_setting_bool(map, "ignore_case", &spec->ignore_case, diag)))
		return PE_ERR_INVALID;
	if (distance != SIZE_MAX) {
		spec->max_distance = (double)distance;
		spec->max_distance_node = pe_node_get(map, "max_distance");
	}
	if (e && (!pe_setting_text(e) || !e->len)) {
		pe_diag_error(diag, &e->mark,
			      "'expected' must be text: the reference the "
			      "answer is compared with (default "
			      "\"{{expected}}\")");
		return PE_ERR_INVALID;
	}
	if (e) {
		spec->expected_node = e;
		spec->expected_written = e->text;
	}
	return PE_OK;
}

/*
 * "levenshtein: {min_ratio, max_distance, expected, ignore_case}",
 * "rouge_l: {min, expected}", "bleu: ..." and "token_set: ...", or a bare
 * number: the pass mark.
 */
static int parse_reference(struct pe_evalspec *es, const struct pe_node *node,
			   const struct pe_node *type, struct pe_diag *diag)
{
	struct reference_spec *spec = xcalloc(1, sizeof(*spec));
	const char *key = es->ops->keys[0];
	const struct pe_node *body = pe_node_get(node, key);
	int lev;

	(void)type;
	es->data = spec;
	while (strcmp(metric_keys[spec->metric], key))
		spec->metric++;
	lev = spec->metric == LEVENSHTEIN;
	spec->min = NAN;
	spec->max_distance = NAN;
	spec->expected_node = body;
	spec->expected_written = default_expected;
	if (body->kind == PE_NODE_INT || body->kind == PE_NODE_FLOAT) {
		if (pe_setting_number(node, key, 0, 1, &spec->min, diag))
			return PE_ERR_INVALID;
	} else if (body->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &body->mark,
			      "'%s' must be a pass mark from 0 to 1 or a "
			      "mapping such as {%s: 0.8}",
			      key, lev ? "min_ratio" : "min");
		return PE_ERR_INVALID;
	} else if (read_settings(spec, body, diag)) {
		return PE_ERR_INVALID;
	}
	if (isnan(spec->min) && isnan(spec->max_distance)) {
		pe_diag_error(diag, &body->mark, "%s needs a pass mark: %s",
			      key,
			      lev ? "'min_ratio' (0 to 1) or 'max_distance'"
				  : "'min' (0 to 1)");
		return PE_ERR_INVALID;
	}
	if (spec->min <= MARK_SLACK && isnan(spec->max_distance)) {
		pe_diag_error(diag, &body->mark,
			      "%s: a pass mark of %g is met by any answer, so "
			      "it checks nothing",
			      key, spec->min);
		return PE_ERR_INVALID;
	}
	spec->expected = pe_template_parse(spec->expected_written,
					   strlen(spec->expected_written));
	return PE_OK;
}

/*
 * The length in characters of the reference t renders to with scopes, as
 * score_levenshtein counts it (trimmed, mapped as the spec says); 0 when
 * it is empty or cannot be rendered.
 */
static size_t reference_chars(const struct reference_spec *spec,
			      const struct pe_node *const *scopes,
			      size_t nscopes)
{
	struct pe_buf raw, mapped;
	const char *missing = NULL;
	size_t len, n = 0;

	pe_buf_init(&raw, 0);
	pe_buf_init(&mapped, 0);
	if (!pe_template_render(spec->expected, scopes, nscopes, &raw,
				&missing) &&
	    !map_reference(spec, &raw, &mapped, &len))
		free(code_points(&mapped, &n));
	pe_buf_release(&raw);
	pe_buf_release(&mapped);
	return n;
}

/* Whether es is one of case c's own evaluators. */
static int case_has(const struct pe_case *c, const struct pe_evalspec *es)
{
	for (size_t i = 0; i < c->nevaluators; i++)
		if (&c->evaluators[i] == es)
			return 1;
	return 0;
}

/*
 * Warns at max_distance when, for a case the evaluator grades, the
 * expected value known from the file is no longer than it: those cases
 * will be skipped (score_levenshtein).
 */
static int compile_reference(const struct pe_evalspec *es,
			     const struct pe_prompt *prompt, void **state,
			     struct pe_diag *diag)
{
	const struct reference_spec *spec = es->data;
	const struct pe_case *first = NULL;
	size_t graded = 0, admitted = 0, first_chars = 0;
	int own = 0;

	*state = NULL;
	if (!spec->max_distance_node || !distance_admits_empty(spec, 0))
		return PE_OK;
	for (size_t i = 0; i < prompt->ncases && !own; i++)
		own = case_has(&prompt->cases[i], es);
	for (size_t i = 0; i < prompt->ncases; i++) {
		const struct pe_case *c = &prompt->cases[i];
		size_t n;

		if (own && !case_has(c, es))
			continue;
		graded++;
		n = reference_chars(spec, c->scopes, c->nscopes);
		if (!n || !distance_admits_empty(spec, n))
			continue;
		if (!admitted++) {
			first = c;
			first_chars = n;
		}
	}
	if (admitted)
		pe_diag_warning(
			diag, &spec->max_distance_node->mark,
			"levenshtein evaluator '%s': max_distance %.0f is at "
			"least the length of the expected value of %zu of %zu "
			"test case%s (case '%s': %zu characters), so an "
			"empty answer is within it: %s never pass (an "
			"answer within it is ungraded)",
			es->name, spec->max_distance, admitted, graded,
			graded == 1 ? "" : "s", first->id, first_chars,
			admitted == 1 ? "that case will" : "those cases will");
	return PE_OK;
}

/* The reference, the one template the case's variables fill. */
static const struct pe_template *reference_template(
	const struct pe_evalspec *es, size_t i, const struct pe_node **node)
{
	const struct reference_spec *spec = es->data;

	if (i > 0)
		return NULL;
	*node = spec->expected_node;
	return spec->expected;
}

/* "min 0.5 against '{{expected}}'". */
static void describe_reference(const struct pe_evalspec *es, struct pe_buf *out)
{
	const struct reference_spec *spec = es->data;

	if (!isnan(spec->min))
		pe_buf_addf(out, "min %g ", spec->min);
	if (!isnan(spec->max_distance))
		pe_buf_addf(out, "max distance %g ", spec->max_distance);
	if (spec->ignore_case)
		pe_buf_adds(out, "ignoring case ");
	pe_buf_addf(out, "against '%s'", spec->expected_written);
}

static const char *const levenshtein_keys[] = { "levenshtein", NULL };
static const char *const rouge_l_keys[] = { "rouge_l", NULL };
static const char *const bleu_keys[] = { "bleu", NULL };
static const char *const token_set_keys[] = { "token_set", NULL };

#define REFERENCE_OPS                                                          \
	.parse = parse_reference, .release = free_reference,                   \
	.template_at = reference_template, .describe = describe_reference,     \
	.compile = compile_reference, .score = score_reference

/* levenshtein: the edit distance and ratio to the reference. */
const struct pe_evaluator_ops pe_levenshtein_ops = {
	.name = "levenshtein",
	.example = "{levenshtein: {min_ratio: 0.5, expected: hello}}",
	.keys = levenshtein_keys,
	.known_keys = levenshtein_keys,
	REFERENCE_OPS,
};

/* rouge_l: ROUGE-L F1 over words. */
const struct pe_evaluator_ops pe_rouge_l_ops = {
	.name = "rouge_l",
	.example = "{rouge_l: {min: 0.5, expected: hello}}",
	.keys = rouge_l_keys,
	.known_keys = rouge_l_keys,
	REFERENCE_OPS,
};

/* bleu: sentence BLEU with exp smoothing. */
const struct pe_evaluator_ops pe_bleu_ops = {
	.name = "bleu",
	.example = "{bleu: {min: 0.1, expected: hello}}",
	.keys = bleu_keys,
	.known_keys = bleu_keys,
	REFERENCE_OPS,
};

/* token_set: the Jaccard similarity of the sets of words. */
const struct pe_evaluator_ops pe_token_set_ops = {
	.name = "token_set",
	.example = "{token_set: {min: 0.5, expected: hello}}",
	.keys = token_set_keys,
	.known_keys = token_set_keys,
	REFERENCE_OPS,
};
