/*
 * libFuzzer target for the evaluators: the input is a model's answer, any
 * bytes (NULs and invalid UTF-8 included), scored with every evaluator of
 * the seed prompts, of tests/fuzz/evaluators.prompt.yml (every family
 * but the judges, which fuzz_judge has, with each of its settings) and of
 * tests/fuzz/score.prompt.yml (the dialects, the reference metrics and
 * the checks of the call, scored, for some inputs, with a call made from
 * the input's first bytes), as "prompteval score" would.  Each prompt
 * scores it against one of its test cases, picked by the first byte, so
 * that the case-level evaluators and the {{variables}} of every case are
 * reached.  Any answer must give verdicts and one-line reasons, never a
 * crash, a leak or a hang.
 *
 * The prompts are loaded and compiled once, relative to the working
 * directory (tests/run-fuzz.sh runs from the top of the tree); a failure
 * to load them stops the fuzzer at once rather than fuzz nothing.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/diag.h"
#include "harness/load/suite.h"
#include "harness/results/aggregate.h"
#include "evaluators/evaluator.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The seed prompts with their evaluators compiled.  libFuzzer passes no
 * context, so this is set once, in LLVMFuzzerInitialize, before any input,
 * and only read afterwards.
 */
static struct pe_suite *suite;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *paths[] = { "prompts", "tests/fuzz/evaluators.prompt.yml",
			  "tests/fuzz/score.prompt.yml" };
	struct pe_diag *diag = pe_diag_new();
	size_t loaded = 0;

	(void)argc;
	(void)argv;
	/* Loading a suite compiles its evaluators too. */
	suite = pe_suite_load(paths, 3, diag);
	for (size_t i = 0; i < suite->nfiles; i++)
		loaded += suite->files[i].prompt != NULL;
	if (!loaded || loaded != suite->nfiles ||
	    pe_diag_count(diag, PE_SEV_ERROR)) {
		fprintf(stderr,
			"fuzz_score: cannot load and compile "
			"prompts/, tests/fuzz/evaluators.prompt.yml and "
			"tests/fuzz/score.prompt.yml (run from the top "
			"of the tree)\n");
		abort();
	}
	pe_diag_free(diag);
	return 0;
}

/* Checks what every result must be: a score in [0, 1], a one-line reason. */
static void check_result(const struct pe_eval_result *r)
{
	if (r->score < 0 || r->score > 1 || !r->reason ||
	    strchr(r->reason, '\n') || strchr(r->reason, '\r'))
		abort();
}

/*
 * The call an answer came from, made from its first bytes: whether there
 * was one, whether it was cached, its latencies, tokens and finish reason
 * (each sometimes unknown), so the checks of the call meet every case.
 */
static void fake_call(const uint8_t *data, size_t size, struct pe_result *row)
{
	static const char *const reasons[] = { "stop", "length", "end_turn",
					       "MAX_TOKENS", NULL };
	unsigned b = size > 1 ? data[1] : 0;

	pe_result_init(row);
	row->model = "openai:gpt-4o";
	row->output = (const char *)data;
	row->output_len = size;
	row->has_call = b & 1;
	row->cached = (b >> 1) & 1;
	row->total_ms = b & 4 ? (double)(b * 3) : NAN;
	row->first_byte_ms = b & 8 ? (double)b : NAN;
	row->tokens_in = b & 16 ? (long)b * 7 : -1;
	row->tokens_out = b & 16 ? (long)b * 11 : -1;
	row->finish_reason = reasons[(b >> 5) % 5];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pe_price price = { "openai:gpt-4o", 2.5, 10 };
	const char *answer = (const char *)data;
	struct pe_result row;

	fake_call(data, size, &row);
	for (size_t i = 0; i < suite->nfiles; i++) {
		const struct pe_prompt *p = suite->files[i].prompt;
		const struct pe_case *c =
			p->ncases ? &p->cases[(size ? data[0] : 0) % p->ncases]
				  : NULL;
		struct pe_case_score score;

		/*
		 * The metrics take time in proportion to both lengths, which
		 * coverage instrumentation multiplies: long answers are left
		 * to the seed prompts, so the fuzzer keeps its pace.
		 */
		if (suite->files[i].path &&
		    strstr(suite->files[i].path, "tests/fuzz/") && size > 2048)
			continue;
		if (size > 2 && data[2] & 1)
			pe_score_call(p, c, &row, data[2] & 2 ? &price : NULL,
				      NULL, &score);
		else
			pe_score_case(p, c, answer, size, NULL, &score);
		for (size_t r = 0; r < score.nresults; r++)
			check_result(&score.results[r]);
		pe_case_score_release(&score);
	}
	return 0;
}
