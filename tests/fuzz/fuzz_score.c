/*
 * libFuzzer target for the evaluators: the input is a model's answer, any
 * bytes (NULs and invalid UTF-8 included), scored with every evaluator of
 * the seed prompts, as "prompteval score" would.  Each prompt scores it
 * against one of its test cases, picked by the first byte, so that the
 * case-level evaluators and the {{variables}} of every case are reached.
 * Any answer must give verdicts and one-line reasons, never a crash, a
 * leak or a hang.
 *
 * The prompts are loaded and compiled once, from prompts/ relative to the
 * working directory (tests/run-fuzz.sh runs from the top of the tree); a
 * failure to load them stops the fuzzer at once rather than fuzz nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/diag.h"
#include "harness/load/suite.h"
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
	char *dirs[] = { "prompts" };
	struct pe_diag *diag = pe_diag_new();
	size_t loaded = 0;

	(void)argc;
	(void)argv;
	/* Loading a suite compiles its evaluators too. */
	suite = pe_suite_load(dirs, 1, diag);
	for (size_t i = 0; i < suite->nfiles; i++)
		loaded += suite->files[i].prompt != NULL;
	if (!loaded || loaded != suite->nfiles ||
	    pe_diag_count(diag, PE_SEV_ERROR)) {
		fprintf(stderr, "fuzz_score: cannot load and compile "
				"prompts/*.prompt.yml (run from the top of "
				"the tree)\n");
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *answer = (const char *)data;

	for (size_t i = 0; i < suite->nfiles; i++) {
		const struct pe_prompt *p = suite->files[i].prompt;
		const struct pe_case *c =
			p->ncases ? &p->cases[(size ? data[0] : 0) % p->ncases]
				  : NULL;
		struct pe_case_score score;

		pe_score_case(p, c, answer, size, NULL, &score);
		for (size_t r = 0; r < score.nresults; r++)
			check_result(&score.results[r]);
		pe_case_score_release(&score);
	}
	return 0;
}
