/*
 * Length: words, characters or lines of the whole output, each with a
 * minimum and a maximum.  Characters and lines are counted on the answer
 * trimmed of white space at both ends (Unicode White_Space, as the string
 * checks trim it), so a trailing newline or no-break space changes
 * nothing; a line ends at LF, CR LF or a lone CR, as in CommonMark.
 * Words are runs of letters, marks and digits of any script,
 * and each CJK character on its own (pe_md_count_words); characters are
 * what a reader sees as one (grapheme clusters: "é" is one character
 * however it is written).  A byte that is not UTF-8 counts as a character
 * (U+FFFD) and separates words, and the reason says how many there were.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/unicode.h"
#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

enum length_unit { UNIT_WORDS, UNIT_CHARS, UNIT_LINES, UNIT_COUNT };

static const char *const unit_names[] = { "words", "chars", "lines" };

struct length_state {
	struct pe_bound bounds[UNIT_COUNT];
};

static int compile_length(const struct pe_evalspec *spec,
			  const struct pe_prompt *prompt, void **state,
			  struct pe_diag *diag)
{
	static const char *const known[] = { "words", "chars", "lines", NULL };
	const struct pe_node *body = pe_evaluator_settings(spec);
	struct length_state *st;
	int any = 0;

	(void)prompt;
	if (pe_setting_require_map(body, "length", diag))
		return PE_ERR_INVALID;
	pe_node_check_keys(body, known, "a length evaluator", diag);
	st = xcalloc(1, sizeof(*st));
	for (int u = 0; u < UNIT_COUNT; u++) {
		if (pe_setting_bound(body, unit_names[u], &st->bounds[u],
				     diag)) {
			free(st);
			return PE_ERR_INVALID;
		}
		any |= st->bounds[u].given;
	}
	if (!any) {
		pe_diag_error(diag, &body->mark,
			      "length evaluator needs words, chars or lines");
		free(st);
		return PE_ERR_INVALID;
	}
	*state = st;
	return PE_OK;
}

static size_t measure(enum length_unit u, const char *s, size_t len)
{
	size_t n = 0;

	if (u == UNIT_WORDS)
		return pe_md_count_words(s, len);
	s = pe_unicode_trim(s, &len);
	if (u == UNIT_CHARS)
		return pe_unicode_graphemes(s, len, NULL);
	if (!len)
		return 0;
	/* Line endings as CommonMark reads them: LF, CR LF and a lone CR. */
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n' ||
		     (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'));
	return n + 1;
}

static void score_length(const void *state, const struct pe_evalspec *spec,
			 const struct pe_eval_input *in,
			 struct pe_eval_result *out)
{
	const struct length_state *st = state;
	struct pe_buf what;
	int ok = 1;

	(void)spec;
	pe_buf_init(&what, 0);
	for (int u = 0; u < UNIT_COUNT; u++) {
		char want[64];
		size_t n;

		if (!st->bounds[u].given)
			continue;
		n = measure((enum length_unit)u, in->output, in->len);
		pe_bound_describe(&st->bounds[u], want, sizeof(want));
		if (!pe_bound_holds(&st->bounds[u], n))
			ok = 0;
		/* "1 word", "2 words": the unit names are plurals. */
		pe_buf_addf(&what, "%s%zu %.*s (%s%s)", what.len ? ", " : "", n,
			    (int)(strlen(unit_names[u]) - (n == 1)),
			    unit_names[u],
			    pe_bound_holds(&st->bounds[u], n) ? "" : "need ",
			    pe_bound_holds(&st->bounds[u], n) ? "ok" : want);
	}
	pe_result_set(out, ok ? PE_VERDICT_PASS : PE_VERDICT_FAIL, ok, "%s",
		      pe_buf_str(&what));
	pe_result_note_utf8(out, in);
	pe_buf_release(&what);
}

static const char *const length_keys[] = { "length", NULL };

const struct pe_evaluator_ops pe_length_ops = {
	.name = "length",
	.example = "{length: {words: {max: 100}}}",
	.keys = length_keys,
	.known_keys = length_keys,
	.compile = compile_length,
	.score = score_length,
	.free = free,
};
