/*
 * Loading a suite: expand the paths, load each file once, and warn when two
 * files give the same prompt name (results are keyed by name).
 */
#include "harness/load/suite.h"

#include <stdlib.h>
#include <string.h>

#include "evaluators/evaluator.h"
#include "harness/core/files.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static void warn_duplicate_names(struct pe_suite *s, struct pe_diag *diag)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct pe_prompt *p = s->files[i].prompt;

		if (!p)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct pe_prompt *q = s->files[j].prompt;

			if (q && !strcmp(p->name, q->name)) {
				pe_diag_warning(diag, &p->mark,
						"prompt name '%s' is also used "
						"by %s; results of the two are "
						"told apart only by file",
						p->name, q->path);
				break;
			}
		}
	}
}

/* What diag has recorded of severity sev: in all, and in file. */
static size_t count_other(const struct pe_diag *diag, const char *file,
			  enum pe_severity sev)
{
	return pe_diag_count(diag, sev) - pe_diag_count_file(diag, file, sev);
}

/* Loads and compiles the prompt at path into f. */
static void load_file(struct pe_suite_file *f, const char *path,
		      struct pe_diag *diag)
{
	size_t errors = count_other(diag, path, PE_SEV_ERROR);
	size_t warnings = count_other(diag, path, PE_SEV_WARNING);

	f->path = xstrdup(path);
	f->prompt = pe_prompt_load(path, diag);
	if (f->prompt)
		pe_evaluators_compile(f->prompt, diag);
	f->other_errors = count_other(diag, path, PE_SEV_ERROR) - errors;
	f->other_warnings = count_other(diag, path, PE_SEV_WARNING) - warnings;
}

/* Loads every prompt file the paths name; see suite.h. */
struct pe_suite *pe_suite_load(char *const *paths, size_t npaths,
			       struct pe_diag *diag)
{
	struct pe_suite *s = xcalloc(1, sizeof(*s));
	struct pe_strlist files;

	pe_strlist_init(&files);
	for (size_t i = 0; i < npaths; i++)
		if (pe_files_collect(paths[i], &files, diag))
			s->npaths_missing++;
	s->files = xcalloc(files.len ? files.len : 1, sizeof(*s->files));
	for (size_t i = 0; i < files.len; i++) {
		int seen = 0;

		for (size_t j = 0; j < s->nfiles && !seen; j++)
			seen = !strcmp(s->files[j].path, files.items[i]);
		if (seen)
			continue;
		load_file(&s->files[s->nfiles++], files.items[i], diag);
	}
	pe_strlist_release(&files);
	warn_duplicate_names(s, diag);
	return s;
}

/* Frees the suite and its prompts; NULL is a no-op. */
void pe_suite_free(struct pe_suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		if (s->files[i].prompt)
			pe_evaluators_release(s->files[i].prompt);
		pe_prompt_free(s->files[i].prompt);
	}
	free(s->files);
	free(s);
}
