/*
 * The PCRE2 wrapper.  Subjects are model output, so
 * they are matched with PCRE2_MATCH_INVALID_UTF: invalid UTF-8 in an answer
 * is data, not an error.  The match limit is high enough for ordinary
 * patterns over a 10 MB answer and low enough that (a+)+$ fails in well
 * under a second.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "harness/core/pattern.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MATCH_LIMIT = 20 * 1000 * 1000 };

struct pe_pattern {
	pcre2_code *code;
	pcre2_match_context *mctx; /* read-only once built */
};

/* Compiles a pattern; see pattern.h. */
struct pe_pattern *pe_pattern_compile(const char *pattern, size_t len,
				      const char *flags, char *err,
				      size_t errsize, size_t *erroffset)
{
	uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	struct pe_pattern *re;
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
	/*
	 * Without JIT the interpreter runs; only speed differs.
	 * PROMPTEVAL_PCRE2_JIT=0 turns JIT off for memory checkers: its
	 * machine code reads ahead of the subject on purpose, which valgrind
	 * reports as a use of uninitialised memory.
	 */
	if (!pe_str_same(getenv("PROMPTEVAL_PCRE2_JIT"), "0"))
		pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, 100000);
	return re;
}

/* Frees a pattern; NULL is a no-op. */
void pe_pattern_free(struct pe_pattern *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}

/* Counts matches; see pattern.h. */
int pe_pattern_count(const struct pe_pattern *re, const char *subject,
		     size_t len, size_t stop_after, size_t *count, char *err,
		     size_t errsize)
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
void pe_pattern_version(char *buf, size_t size)
{
	char version[64] = "";

	pcre2_config(PCRE2_CONFIG_VERSION, version);
	snprintf(buf, size, "%s", version);
}
