/*
 * String checks: equals, contains, startsWith, endsWith, containsAny and
 * containsAll, with values rendered from the case's variables at score
 * time.  As in gh-models, the output is trimmed of surrounding whitespace
 * and only equals compares case; case folding is ASCII-only (NEEDSWORK:
 * Unicode case folding).
 */
#define _GNU_SOURCE /* memmem */
#include "evaluators/evaluator.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { REASON_VALUE_MAX = 60 };

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/*
 * Finds needle in hay, folding ASCII case unless case_sensitive.  The
 * first byte is found with memchr (both cases), which keeps the common
 * no-match scan fast.
 */
static const char *find_folded(const char *hay, size_t hlen, const char *needle,
			       size_t nlen, int case_sensitive)
{
	unsigned char first, other;
	const char *p = hay, *end = hay + hlen;

	if (!nlen)
		return hay;
	if (nlen > hlen)
		return NULL;
	if (case_sensitive)
		return memmem(hay, hlen, needle, nlen);
	first = fold((unsigned char)needle[0]);
	other = first >= 'a' && first <= 'z' ? (unsigned char)(first - 32)
					     : first;
	while ((size_t)(end - p) >= nlen) {
		const char *a = memchr(p, first, (size_t)(end - p - nlen + 1));
		const char *b =
			other != first
				? memchr(p, other, (size_t)(end - p - nlen + 1))
				: NULL;
		const char *hit = !a ? b : !b ? a : a < b ? a : b;
		size_t j = 1;

		if (!hit)
			return NULL;
		while (j < nlen && fold((unsigned char)hit[j]) ==
					   fold((unsigned char)needle[j]))
			j++;
		if (j == nlen)
			return hit;
		p = hit + 1;
	}
	return NULL;
}

static int same_folded(const char *a, const char *b, size_t n,
		       int case_sensitive)
{
	if (case_sensitive)
		return !memcmp(a, b, n);
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) !=
		    tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int check_one(const struct pe_evalspec *spec, const char *out,
		     size_t len, const char *value, size_t vlen)
{
	switch (spec->op) {
	case PE_STR_EQUALS:
		return len == vlen &&
		       same_folded(out, value, len, spec->case_sensitive);
	case PE_STR_STARTS_WITH:
		return len >= vlen &&
		       same_folded(out, value, vlen, spec->case_sensitive);
	case PE_STR_ENDS_WITH:
		return len >= vlen && same_folded(out + len - vlen, value, vlen,
						  spec->case_sensitive);
	default:
		return find_folded(out, len, value, vlen,
				   spec->case_sensitive) != NULL;
	}
}

/* The check's verb, as in "does not <verb> 'x'" and "<verb>s 'x'". */
static const char *op_words(enum pe_string_op op, int passed)
{
	switch (op) {
	case PE_STR_EQUALS:
		return passed ? "equals" : "equal";
	case PE_STR_STARTS_WITH:
		return passed ? "starts with" : "start with";
	case PE_STR_ENDS_WITH:
		return passed ? "ends with" : "end with";
	default:
		return passed ? "contains" : "contain";
	}
}

/* Appends 'value' (shortened) to a comma-separated list. */
static void quote_value(struct pe_buf *list, const struct pe_buf *value)
{
	char *shown;

	if (list->len > 300)
		return;
	shown = pe_shorten(pe_buf_str(value), value->len, REASON_VALUE_MAX);
	pe_buf_addf(list, "%s'%s'", list->len ? ", " : "", shown);
	free(shown);
}

static void score_string(const void *state, const struct pe_evalspec *spec,
			 const struct pe_eval_input *in,
			 struct pe_eval_result *out)
{
	const char *text = in->output;
	size_t len = in->len, hits = 0;
	struct pe_buf value, missing, found;
	int pass;

	(void)state;
	while (len && isspace((unsigned char)*text))
		text++, len--;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	pe_buf_init(&value, 0);
	pe_buf_init(&missing, 0);
	pe_buf_init(&found, 0);
	for (size_t i = 0; i < spec->nvalues; i++) {
		int hit;

		pe_eval_render(spec->values[i], in, &value);
		hit = check_one(spec, text, len, value.data ? value.data : "",
				value.len);
		hits += hit;
		quote_value(hit ? &found : &missing, &value);
	}
	if (spec->op == PE_STR_CONTAINS_ANY)
		pass = hits > 0;
	else
		pass = hits == spec->nvalues;
	if (pass)
		pe_result_set(out, PE_VERDICT_PASS, 1, "%s %s",
			      op_words(spec->op, 1), pe_buf_str(&found));
	else if (spec->op == PE_STR_CONTAINS_ANY)
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "does not contain any of %s",
			      pe_buf_str(&missing));
	else if (spec->op == PE_STR_CONTAINS_ALL)
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)hits / (double)spec->nvalues,
			      "does not contain %s", pe_buf_str(&missing));
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0, "does not %s %s",
			      op_words(spec->op, 0), pe_buf_str(&missing));
	pe_buf_release(&found);
	pe_buf_release(&value);
	pe_buf_release(&missing);
}

const struct pe_evaluator_ops pe_string_ops = { PE_EVAL_STRING,
						pe_evaluator_compile_nothing,
						score_string, NULL };
