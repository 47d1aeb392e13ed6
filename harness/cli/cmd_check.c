/*
 * prompteval check: load prompt files, print every diagnostic and a
 * summary, send nothing.  Text goes to stdout (one line per file, then the
 * summary) and diagnostics to stderr; --format json puts all of it in one
 * JSON document on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluators/evaluator.h"
#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/cli/status.h"
#include "harness/core/json.h"
#include "harness/cli/options.h"
#include "harness/load/config.h"
#include "harness/load/suite.h"
#include "harness/plan/plan.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct check_totals {
	size_t files;
	size_t prompts;
	size_t cases;
	size_t evaluators;
	size_t skipped;
	size_t errors;
	size_t warnings;
};

/*
 * The evaluators of p that will not run: with a diag, each judge among
 * them is warned about (the loader warned about the rest).
 */
static size_t count_skipped(const struct pe_prompt *p, const char *judge,
			    struct pe_diag *diag)
{
	struct pe_diag *quiet = diag ? NULL : pe_diag_new();
	size_t n = pe_evaluators_warn_unrun(p, judge, 1, diag ? diag : quiet);

	pe_diag_free(quiet);
	return n;
}

/*
 * Resolves the judge models of every prompt as run would (the run's
 * judge model first), so that a judge model run could not use is an
 * error here too, and warns about the judges that will not run in this
 * setup.
 */
static void check_judges(const struct pe_suite *s, const char *option,
			 const struct pe_config *config, struct pe_diag *diag)
{
	const struct pe_prompt **prompts =
		xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*prompts));
	const struct pe_case **cases =
		xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*cases));
	size_t n = 0;

	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].prompt)
			prompts[n++] = s->files[i].prompt;
	pe_plan_free(pe_plan_judging(prompts, cases, n, option,
				     PE_STREAM_CONFIG, config, diag));
	free(cases);
	free(prompts);
}

static void add_totals(struct check_totals *t, const struct pe_suite *s,
		       const char *judge, const struct pe_diag *diag)
{
	t->files = s->nfiles;
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct pe_prompt *p = s->files[i].prompt;

		if (!p)
			continue;
		t->prompts++;
		t->cases += p->ncases;
		t->evaluators += pe_prompt_count_evaluators(p);
		t->skipped += count_skipped(p, judge, NULL);
	}
	t->errors = pe_diag_count(diag, PE_SEV_ERROR);
	t->warnings = pe_diag_count(diag, PE_SEV_WARNING);
}

static void print_text(const struct pe_suite *s, const char *judge,
		       const struct pe_diag *diag, const struct check_totals *t)
{
	pe_diag_print(diag, stderr);
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct pe_suite_file *f = &s->files[i];
		const struct pe_prompt *p = f->prompt;
		size_t errors =
			pe_diag_count_file(diag, f->path, PE_SEV_ERROR) +
			f->other_errors;
		size_t skipped = p ? count_skipped(p, judge, NULL) : 0;

		if (!p) {
			pe_terminal_printf(stdout, "invalid %s: %zu error%s\n",
					   f->path, errors,
					   errors == 1 ? "" : "s");
			continue;
		}
		pe_terminal_printf(
			stdout, "%-7s %s: %s (%zu case%s, %zu evaluator%s",
			errors ? "invalid" : "ok", f->path, p->name, p->ncases,
			p->ncases == 1 ? "" : "s",
			pe_prompt_count_evaluators(p),
			pe_prompt_count_evaluators(p) == 1 ? "" : "s");
		if (skipped)
			pe_terminal_printf(stdout, ", %zu skipped", skipped);
		if (errors)
			pe_terminal_printf(stdout, ", %zu error%s", errors,
					   errors == 1 ? "" : "s");
		pe_terminal_printf(stdout, ")\n");
	}
	pe_terminal_printf(
		stdout,
		"checked %zu file%s: %zu prompt%s, %zu test case%s, %zu "
		"evaluator%s, %zu error%s, %zu warning%s\n",
		t->files, t->files == 1 ? "" : "s", t->prompts,
		t->prompts == 1 ? "" : "s", t->cases, t->cases == 1 ? "" : "s",
		t->evaluators, t->evaluators == 1 ? "" : "s", t->errors,
		t->errors == 1 ? "" : "s", t->warnings,
		t->warnings == 1 ? "" : "s");
}

static void json_prompt(struct pe_buf *b, const struct pe_prompt *p,
			const char *judge)
{
	pe_buf_adds(b, "{\"name\":");
	pe_json_str(b, p->name);
	pe_buf_adds(b, ",\"model\":");
	pe_json_str(b, p->model);
	pe_buf_addf(b,
		    ",\"messages\":%zu,\"cases\":%zu,\"evaluators\":%zu,"
		    "\"skipped_evaluators\":%zu}",
		    p->nmessages, p->ncases, pe_prompt_count_evaluators(p),
		    count_skipped(p, judge, NULL));
}

static void json_diagnostics(struct pe_buf *b, const struct pe_diag *diag)
{
	pe_buf_adds(b, "\"diagnostics\":[");
	for (size_t i = 0; i < pe_diag_len(diag); i++) {
		const struct pe_diag_entry *e = pe_diag_get(diag, i);

		pe_buf_adds(b, i ? ",\n  {\"file\":" : "\n  {\"file\":");
		pe_json_str(b, e->file);
		pe_buf_addf(b,
			    ",\"line\":%u,\"column\":%u,\"severity\":", e->line,
			    e->col);
		pe_json_str(b, pe_severity_name(e->severity));
		pe_buf_adds(b, ",\"message\":");
		pe_json_str(b, e->message);
		pe_buf_addc(b, '}');
	}
	pe_buf_adds(b, "]");
}

static void print_json(const struct pe_suite *s, const char *judge,
		       const struct pe_diag *diag, const struct check_totals *t)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"schema_version\":1,\"files\":[");
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct pe_suite_file *f = &s->files[i];

		pe_buf_adds(&b, i ? ",\n  {\"path\":" : "\n  {\"path\":");
		pe_json_str(&b, f->path);
		pe_buf_addf(&b, ",\"errors\":%zu,\"warnings\":%zu,\"prompt\":",
			    pe_diag_count_file(diag, f->path, PE_SEV_ERROR) +
				    f->other_errors,
			    pe_diag_count_file(diag, f->path, PE_SEV_WARNING) +
				    f->other_warnings);
		if (f->prompt)
			json_prompt(&b, f->prompt, judge);
		else
			pe_buf_adds(&b, "null");
		pe_buf_addc(&b, '}');
	}
	pe_buf_adds(&b, "],\n");
	json_diagnostics(&b, diag);
	/* Past diag.h's limits a diagnostic is counted but not kept. */
	pe_buf_addf(&b,
		    ",\n\"summary\":{\"files\":%zu,\"prompts\":%zu,"
		    "\"cases\":%zu,\"evaluators\":%zu,"
		    "\"skipped_evaluators\":%zu,\"errors\":%zu,"
		    "\"warnings\":%zu,\"diagnostics_not_shown\":%zu}}\n",
		    t->files, t->prompts, t->cases, t->evaluators, t->skipped,
		    t->errors, t->warnings,
		    pe_diag_count(diag, PE_SEV_ERROR) +
			    pe_diag_count(diag, PE_SEV_WARNING) -
			    pe_diag_len(diag));
	fputs(pe_buf_str(&b), stdout);
	pe_buf_release(&b);
}

/* Runs "prompteval check"; returns an exit status. */
int cmd_check(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	const char *format = "text";
	const char *config_path = NULL, *judge = NULL;
	int strict = 0, help = 0, status;
	struct pe_option opts[] = {
		{ PE_OPT_CHOICE, 'f', "format", "text|json",
		  "output format (default text)", &format, formats, 0, 0 },
		{ PE_OPT_STRING, 'c', "config", "FILE",
		  "configuration (default prompteval.yml if present)",
		  &config_path, NULL, 0, 0 },
		{ PE_OPT_STRING, 0, "judge-model", "PROVIDER:MODEL",
		  "the model for judges that name none, as run takes it",
		  &judge, NULL, 0, 0 },
		{ PE_OPT_FLAG, 0, "strict", NULL, "treat warnings as errors",
		  &strict, NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_strlist paths;
	struct pe_diag *diag;
	struct pe_suite *suite;
	struct pe_config *config;
	struct check_totals totals = { 0 };

	pe_strlist_init(&paths);
	if (pe_options_parse("check", opts, argc, argv, &paths, &help)) {
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	if (help) {
		pe_options_print_help(
			stdout, "prompteval check [options] PATH...",
			"Validates prompt files and the datasets "
			"they use, and sends nothing.\nDirectories "
			"are searched for *.prompt.yml and "
			"*.prompt.yaml.",
			opts);
		printf("\n");
		pe_print_exit_codes(stdout);
		pe_strlist_release(&paths);
		return PE_EXIT_OK;
	}
	if (!paths.len) {
		pe_usage_error("check", "no PATH given");
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	diag = pe_diag_new();
	config = pe_config_load(config_path, diag);
	suite = pe_suite_load(paths.items, paths.len, diag);
	if (config) {
		check_judges(suite, judge, config, diag);
		pe_plan_check_providers(config, diag);
		pe_plan_check_suite(suite, config, diag);
	}
	if (!judge && config && config->judge)
		judge = config->judge->text;
	if (strict)
		pe_diag_promote_warnings(diag);
	pe_diag_sort(diag);
	add_totals(&totals, suite, judge, diag);
	if (!strcmp(format, "json"))
		print_json(suite, judge, diag, &totals);
	else
		print_text(suite, judge, diag, &totals);
	status = totals.errors ? PE_EXIT_INVALID : PE_EXIT_OK;
	if (!totals.files && !suite->npaths_missing) {
		pe_error("no prompt files found");
		status = PE_EXIT_INVALID;
	}
	pe_suite_free(suite);
	pe_config_free(config);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
