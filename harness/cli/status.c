/*
 * The exit status (see status.h).  The table below is the one the help,
 * the README and tests/check-docs.sh agree on.
 */
#include "harness/cli/status.h"

#include "harness/core/util.h"
#include "harness/core/banned.h"

struct exit_code {
	int code;
	const char *meaning;
};

/* The documented exit-status scale; README.md has the same table. */
static const struct exit_code exit_codes[] = {
	{ PE_EXIT_OK, "all good" },
	{ PE_EXIT_FAILED, "evaluations or gates failed" },
	{ PE_EXIT_INCOMPLETE, "incomplete (errors or ungraded cases)" },
	{ PE_EXIT_INVALID, "invalid input, nothing sent" },
	{ PE_EXIT_USAGE, "usage error" },
	{ PE_EXIT_SYSTEM, "system error" },
};

/* Prints the exit-status table. */
void pe_print_exit_codes(FILE *out)
{
	fprintf(out, "exit status:\n");
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(*exit_codes); i++)
		fprintf(out, "  %d  %s\n", exit_codes[i].code,
			exit_codes[i].meaning);
}

/* The one exit rule; see status.h for the order. */
int pe_exit_status(const struct pe_outcome *o, const char **why)
{
	const struct pe_tally *t = o->tally;

	if (why)
		*why = NULL;
	if (o->gates_failed)
		return PE_EXIT_FAILED;
	if (o->interrupted)
		return PE_EXIT_INCOMPLETE;
	if (o->gates_unchecked) {
		if (why)
			*why = "not every gate was checked: a figure it "
			       "needs is not known, or nothing could be "
			       "compared (see its line above), so it neither "
			       "passed nor failed";
		return PE_EXIT_INCOMPLETE;
	}
	if (!t)
		return PE_EXIT_OK;
	if (o->judge_rows && t->error && !o->errors_allowed)
		return PE_EXIT_INCOMPLETE;
	if (o->judge_rows && t->ungraded && !o->ungraded_allowed) {
		if (why)
			*why = "not every case was graded: an evaluator did "
			       "not run, so those cases neither passed nor "
			       "failed (--max-ungraded N allows N of them)";
		return PE_EXIT_INCOMPLETE;
	}
	if (o->judge_rows && o->unanswered && !o->ungraded_allowed) {
		if (why)
			*why = "not every test case was scored: no response "
			       "answers some of them (see the warnings), so "
			       "they neither passed nor failed (--max-ungraded "
			       "N allows N of them)";
		return PE_EXIT_INCOMPLETE;
	}
	if (!t->pass && !t->fail) {
		if (why)
			*why = t->jobs ? "nothing was checked: no case passed "
					 "or failed (every one was ungraded or "
					 "errored)"
				       : "nothing was checked: there were no "
					 "cases";
		return PE_EXIT_INCOMPLETE;
	}
	if (o->judge_rows && !o->gates_given && t->fail)
		return PE_EXIT_FAILED;
	return PE_EXIT_OK;
}
