/*
 * PCRE2 wrapper and the regex evaluator.  Subjects are model output, so
 * they are matched with PCRE2_MATCH_INVALID_UTF: invalid UTF-8 in an answer
 * is data, not an error.  The match limit is high enough for ordinary
 * patterns over a 10 MB answer and low enough that (a+)+$ fails in well
 * under a second.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/util.h"
#include "evaluator.h"
#include "settings.h"
#include "../harness/banned.h"

enum { MATCH_LIMIT = 20 * 1000 * 1000 };

struct pe_regex {
	pcre2_code *code;
	pcre2_match_context *mctx; /* read-only once built */
};

/* Compiles a pattern; see regex.h. */
struct pe_regex *pe_regex_compile(const char *pattern, size_t len,
				  const char *flags, char *err, size_t errsize,
				  size_t *erroffset)
{
	uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	struct pe_regex *re;
	pcre2_compile_context *cctx;
	PCRE2_SIZE off = 0;
	int code = 0;

	for (const char *f = flags ? flags : ""; *f; f++) {
		switch (*f) {
		case 'i':
			options |= PCRE2_CASELESS;
			break;
		case 'm':
			options |= PCRE2_MULTILINE;
			break;
		case 's':
			options |= PCRE2_DOTALL;
			break;
		case 'x':
			options |= PCRE2_EXTENDED;
			break;
		default:
			snprintf(err, errsize,
				 "unknown flag '%c' (use i, m, s, x)", *f);
			*erroffset = 0;
			return NULL;
		}
	}
	re = xcalloc(1, sizeof(*re));
	/* Model output may use CRLF: let ^ and $ see either line end. */
	cctx = pcre2_compile_context_create(NULL);
	pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len, options, &code, &off,
				 cctx);
	pcre2_compile_context_free(cctx);
	if (!re->code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errsize, "%s", (const char *)msg);
		*erroffset = off;
		free(re);
		return NULL;
	}
	/* Without JIT the interpreter runs; only speed differs. */
	pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, 100000);
	return re;
}

/* Frees a pattern; NULL is a no-op. */
void pe_regex_free(struct pe_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}

/* Counts matches; see regex.h. */
int pe_regex_count(const struct pe_regex *re, const char *subject, size_t len,
		   size_t stop_after, size_t *count, char *err, size_t errsize)
{
	pcre2_match_data *md =
		pcre2_match_data_create_from_pattern(re->code, NULL);
	PCRE2_SIZE start = 0;
	int rc = PE_OK;

	*count = 0;
	while (start <= len) {
		int n = pcre2_match(re->code, (PCRE2_SPTR)subject, len, start,
				    0, md, re->mctx);
		PCRE2_SIZE *ov;

		/*
		 * The JIT stack (32 KB) is small for patterns that recurse once
		 * per character, such as (?:.|\n)*; the interpreter keeps its
		 * backtracking on the heap, bounded by the match limit.
		 */
		if (n == PCRE2_ERROR_JIT_STACKLIMIT)
			n = pcre2_match(re->code, (PCRE2_SPTR)subject, len,
					start, PCRE2_NO_JIT, md, re->mctx);

		if (n == PCRE2_ERROR_NOMATCH)
			break;
		if (n < 0) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(n, msg, sizeof(msg));
			snprintf(err, errsize, "%s", (const char *)msg);
			rc = n == PCRE2_ERROR_MATCHLIMIT ||
					     n == PCRE2_ERROR_DEPTHLIMIT ||
					     n == PCRE2_ERROR_JIT_STACKLIMIT
				     ? PE_ERR_LIMIT
				     : PE_ERR_INVALID;
			break;
		}
		(*count)++;
		if (stop_after && *count >= stop_after)
			break;
		ov = pcre2_get_ovector_pointer(md);
		if (ov[1] > ov[0]) {
			start = ov[1];
		} else {
			/* An empty match: step over one whole character. */
			start = ov[1] + 1;
			while (start < len &&
			       ((unsigned char)subject[start] & 0xc0) == 0x80)
				start++;
		}
	}
	pcre2_match_data_free(md);
	return rc;
}

/* Writes PCRE2's version string into buf. */
void pe_regex_version(char *buf, size_t size)
{
	char version[64] = "";

	pcre2_config(PCRE2_CONFIG_VERSION, version);
	snprintf(buf, size, "%s", version);
}

/* The regex evaluator. */

struct regex_state {
	struct pe_regex **re; /* all must match */
	char **shown;	      /* each pattern, shortened for reasons */
	size_t npatterns;
	struct pe_bound count;
	char *target_norm; /* NULL: the whole output */
	char *target;
	char *target_suffix; /* " in section X", for reasons */
};

static int is_whole_output(const char *t)
{
	static const char *const names[] = { "output",	   "message.content",
					     "completion", "response",
					     "content",	   NULL };

	for (size_t i = 0; names[i]; i++)
		if (!strcmp(t, names[i]))
			return 1;
	return 0;
}

static int read_regex_settings(struct regex_state *st,
			       const struct pe_evalspec *spec,
			       const char **flags, struct pe_diag *diag)
{
	const struct pe_node *body = spec->body;
	const struct pe_node *f = pe_node_get(body, "flags");
	const struct pe_node *target = pe_node_get(body, "target");

	*flags = "";
	if (f) {
		if (f->kind != PE_NODE_STRING ||
		    f->len != strspn(f->text, "imsx")) {
			pe_diag_error(diag, &f->mark,
				      "'flags' must be letters from \"imsx\" "
				      "(i: ignore case, m: multi-line, s: dot "
				      "matches newline, x: extended)");
			return PE_ERR_INVALID;
		}
		*flags = f->text;
	}
	if (pe_setting_bound(body, "count", &st->count, diag))
		return PE_ERR_INVALID;
	if (!st->count.given)
		st->count.min = 1;
	if (target) {
		struct pe_buf norm;

		if (target->kind != PE_NODE_STRING || !target->len) {
			pe_diag_error(diag, &target->mark,
				      "'target' must be a section name");
			return PE_ERR_INVALID;
		}
		if (!is_whole_output(target->text)) {
			pe_buf_init(&norm, 0);
			pe_md_normalize(target->text, target->len, &norm);
			st->target_norm = pe_buf_detach(&norm, NULL);
			st->target = xstrdup(target->text);
			st->target_suffix =
				xstrfmt(" in section %s", target->text);
		}
	}
	return PE_OK;
}

static void free_regex(void *state)
{
	struct regex_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; i < st->npatterns; i++) {
		pe_regex_free(st->re[i]);
		free(st->shown[i]);
	}
	free(st->re);
	free(st->shown);
	free(st->target_norm);
	free(st->target);
	free(st->target_suffix);
	free(st);
}

static int compile_one(struct regex_state *st, const struct pe_node *pat,
		       const char *flags, const struct pe_evalspec *spec,
		       const struct pe_prompt *prompt, struct pe_diag *diag)
{
	char err[256];
	size_t off = 0;
	struct pe_regex *re = pe_regex_compile(pat->text, pat->len, flags, err,
					       sizeof(err), &off);

	if (!re) {
		struct pe_mark m = pe_doc_scalar_mark(
			pe_prompt_doc_of(prompt, pat), pat, off);

		pe_diag_error(diag, &m,
			      "invalid regex in evaluator '%s': %s (at offset "
			      "%zu of the pattern)",
			      spec->name ? spec->name : "regex", err, off);
		return PE_ERR_INVALID;
	}
	st->re[st->npatterns] = re;
	st->shown[st->npatterns] = pat->len > 40
					   ? pe_shorten(pat->text, pat->len, 37)
					   : xstrdup(pat->text);
	st->npatterns++;
	return PE_OK;
}

static int compile_regex(const struct pe_evalspec *spec,
			 const struct pe_prompt *prompt, void **state,
			 struct pe_diag *diag)
{
	struct regex_state *st = xcalloc(1, sizeof(*st));
	const struct pe_node *pat = spec->pattern;
	size_t n = pat->kind == PE_NODE_SEQ ? pat->count : 1;
	const char *flags;
	int rc = PE_OK;

	st->re = xcalloc(n, sizeof(*st->re));
	st->shown = xcalloc(n, sizeof(*st->shown));
	if (read_regex_settings(st, spec, &flags, diag)) {
		free_regex(st);
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		if (compile_one(st,
				pat->kind == PE_NODE_SEQ ? pat->items[i] : pat,
				flags, spec, prompt, diag))
			rc = PE_ERR_INVALID;
	if (rc) {
		free_regex(st);
		return rc;
	}
	*state = st;
	return PE_OK;
}

/* Reports the one pattern's result; see score_regex for lists. */
static void score_single(const struct regex_state *st, size_t count,
			 struct pe_eval_result *out)
{
	char want[64];

	pe_bound_describe(&st->count, want, sizeof(want));
	if (pe_bound_holds(&st->count, count))
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "/%s/ matched %s%zu time%s", st->shown[0],
			      st->count.max == SIZE_MAX ? "at least " : "",
			      count, count == 1 ? "" : "s");
	else if (!count)
		pe_result_set(out, PE_VERDICT_FAIL, 0, "no match for /%s/%s%s",
			      st->shown[0], st->target ? " in section " : "",
			      st->target ? st->target : "");
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "/%s/ matched %zu time%s, expected %s",
			      st->shown[0], count, count == 1 ? "" : "s", want);
}

static void score_regex(const void *state, const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	const struct regex_state *st = state;
	const char *subject = in->output;
	size_t len = in->len, start, end, held = 0, count = 0;
	struct pe_buf missing;
	char err[256], want[64];
	int default_count = st->count.min == 1 && st->count.max == SIZE_MAX;

	(void)spec;
	if (st->target_norm) {
		if (pe_md_find_section(in->md, st->target_norm, 1, &start,
				       &end) < 0) {
			pe_result_set(out, PE_VERDICT_FAIL, 0,
				      "section '%s' not found", st->target);
			return;
		}
		subject = in->output + start;
		len = end - start;
	}
	pe_buf_init(&missing, 0);
	for (size_t i = 0; i < st->npatterns; i++) {
		if (pe_regex_count(st->re[i], subject, len,
				   st->count.max == SIZE_MAX ? st->count.min
							     : 0,
				   &count, err, sizeof(err))) {
			pe_result_set(out, PE_VERDICT_ERROR, 0,
				      "regex /%s/ could not be matched: %s",
				      st->shown[i], err);
			pe_buf_release(&missing);
			return;
		}
		if (pe_bound_holds(&st->count, count))
			held++;
		else if (missing.len < 300 && default_count)
			pe_buf_addf(&missing, "%s/%s/", missing.len ? ", " : "",
				    st->shown[i]);
		else if (missing.len < 300)
			pe_buf_addf(&missing, "%s/%s/ matched %zu time%s",
				    missing.len ? ", " : "", st->shown[i],
				    count, count == 1 ? "" : "s");
	}
	pe_bound_describe(&st->count, want, sizeof(want));
	if (st->npatterns == 1)
		score_single(st, count, out);
	else if (held == st->npatterns)
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "all %zu patterns matched%s%s", st->npatterns,
			      st->target ? " in section " : "",
			      st->target ? st->target : "");
	else
		pe_result_set(out, PE_VERDICT_FAIL,
			      (double)held / (double)st->npatterns,
			      "%s%s%s%s%s (%zu of %zu patterns matched)",
			      default_count ? "no match for " : "",
			      pe_buf_str(&missing),
			      default_count ? "" : ", each needs ",
			      default_count ? "" : want,
			      st->target ? st->target_suffix : "", held,
			      st->npatterns);
	pe_buf_release(&missing);
}

const struct pe_evaluator_ops pe_regex_ops = { PE_EVAL_REGEX, compile_regex,
					       score_regex, free_regex };
