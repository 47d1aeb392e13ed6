/*
 * libFuzzer target for reading judges' replies, model output like any
 * answer: the input, any bytes (NULs and invalid UTF-8 included), is cut
 * in three and each piece is read as a reply by every judge of
 * tests/fuzz/judges.prompt.yml, then the three are combined as samples;
 * the whole input is also asked about as the answer being judged.  Every
 * result must be a verdict with a score in [0, 1] and a one-line reason,
 * never a crash, a leak or a hang.
 *
 * The prompt is loaded and compiled once, relative to the working
 * directory (tests/run-fuzz.sh runs from the top of the tree); a failure
 * to load it stops the fuzzer at once rather than fuzz nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluators/evaluator.h"
#include "harness/core/diag.h"
#include "harness/load/suite.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The judges' prompt, compiled.  libFuzzer passes no context, so this is
 * set once, in LLVMFuzzerInitialize, before any input, and only read
 * afterwards.
 */
static struct pe_suite *suite;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *paths[] = { "tests/fuzz/judges.prompt.yml" };
	struct pe_diag *diag = pe_diag_new();

	(void)argc;
	(void)argv;
	suite = pe_suite_load(paths, 1, diag);
	if (suite->nfiles != 1 || !suite->files[0].prompt ||
	    pe_diag_count(diag, PE_SEV_ERROR)) {
		fprintf(stderr, "fuzz_judge: cannot load and compile "
				"tests/fuzz/judges.prompt.yml (run from the "
				"top of the tree)\n");
		abort();
	}
	pe_diag_free(diag);
	return 0;
}

/* Checks what every result must be: a score in [0, 1], a one-line reason. */
static void check_result(const struct pe_eval_result *r)
{
	if (r->verdict != PE_VERDICT_PASS && r->verdict != PE_VERDICT_FAIL &&
	    r->verdict != PE_VERDICT_SKIP && r->verdict != PE_VERDICT_ERROR)
		abort();
	if (!(r->score >= 0 && r->score <= 1) || !r->reason ||
	    strchr(r->reason, '\n') || strchr(r->reason, '\r'))
		abort();
}

/* Reads the three replies as samples of spec and combines them. */
static void read_samples(const struct pe_evalspec *spec, const char *text,
			 size_t size)
{
	struct pe_eval_result samples[3], out;
	size_t cut[4] = { 0, size / 3, 2 * size / 3, size };

	for (size_t k = 0; k < 3; k++) {
		memset(&samples[k], 0, sizeof(samples[k]));
		pe_evaluator_judge_read(spec, text + cut[k],
					cut[k + 1] - cut[k], &samples[k]);
		check_result(&samples[k]);
	}
	for (size_t n = 1; n <= 3; n += 2) {
		memset(&out, 0, sizeof(out));
		pe_evaluator_judge_combine(spec, samples, n, &out);
		check_result(&out);
		free(out.reason);
	}
	for (size_t k = 0; k < 3; k++)
		free(samples[k].reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pe_prompt *p = suite->files[0].prompt;
	const char *text = (const char *)data;
	struct pe_eval_input in;

	memset(&in, 0, sizeof(in));
	in.output = text;
	in.len = size;
	in.prompt = p;
	in.kase = &p->cases[0];
	for (size_t i = 0; i < p->nevaluators; i++) {
		const struct pe_evalspec *spec = &p->evaluators[i];
		struct pe_judge_ask ask;
		char *why = NULL;

		read_samples(spec, text, size);
		if (pe_evaluator_judge_ask(spec, &in, &ask, &why))
			abort(); /* every variable is defined */
		/* The answer reaches the judge whole: NULs become U+FFFD. */
		if (!ask.user || strlen(ask.user) < size / 3)
			abort();
		pe_judge_ask_release(&ask);
	}
	return 0;
}
