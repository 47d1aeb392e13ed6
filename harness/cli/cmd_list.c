/*
 * prompteval list: what the suite holds.  One line per prompt by default;
 * --long adds each test case and evaluator; --format json gives all of it
 * for tools.  Text goes through the terminal printer, so names, ids and
 * paths are escaped and the columns count what the terminal shows.  Diagnostics go to stderr as in check, and a suite with errors
 * exits 3 after listing what did load.
 */
#include <stdio.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/cli/commands.h"
#include "harness/core/json.h"
#include "harness/cli/options.h"
#include "harness/load/suite.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static void text_evaluators(const struct pe_evalspec *specs, size_t n,
			    const char *indent)
{
	int width = 8; /* the kind column, as wide as the longest kind */

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(pe_evalspec_kind_name(&specs[i])) > width)
			width = (int)strlen(pe_evalspec_kind_name(&specs[i]));
	for (size_t i = 0; i < n; i++)
		pe_terminal_printf(
			stdout, "%sevaluator %-*s %s%s%s\n", indent, width,
			pe_evalspec_kind_name(&specs[i]), specs[i].name,
			specs[i].negate ? " (negated)" : "",
			pe_evalspec_is_skipped(&specs[i]) ? " (skipped)" : "");
}

static void text_prompt(const struct pe_prompt *p, int longer)
{
	pe_terminal_printf(stdout, "%s\t%s\t%zu cases\t%zu evaluators\t%s\n",
			   p->name, p->model, p->ncases,
			   pe_prompt_count_evaluators(p), p->path);
	if (!longer)
		return;
	for (size_t i = 0; i < p->ncases; i++) {
		const struct pe_case *c = &p->cases[i];

		pe_terminal_printf(stdout,
				   "  case %-24s #%zu, %zu variable%s\n", c->id,
				   i + 1, c->vars->npairs,
				   c->vars->npairs == 1 ? "" : "s");
		text_evaluators(c->evaluators, c->nevaluators, "    ");
	}
	text_evaluators(p->evaluators, p->nevaluators, "  ");
}

static void json_evaluators(struct pe_buf *b, const struct pe_evalspec *specs,
			    size_t n)
{
	pe_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		pe_buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		pe_json_str(b, specs[i].name);
		pe_buf_adds(b, ",\"kind\":");
		pe_json_str(b, pe_evalspec_kind_name(&specs[i]));
		pe_buf_addf(b, ",\"negate\":%s,\"skipped\":%s,\"line\":%u}",
			    specs[i].negate ? "true" : "false",
			    pe_evalspec_is_skipped(&specs[i]) ? "true"
							      : "false",
			    specs[i].mark.line);
	}
	pe_buf_addc(b, ']');
}

static void json_prompt(struct pe_buf *b, const struct pe_prompt *p)
{
	pe_buf_adds(b, "{\"path\":");
	pe_json_str(b, p->path);
	pe_buf_adds(b, ",\"name\":");
	pe_json_str(b, p->name);
	pe_buf_adds(b, ",\"model\":");
	pe_json_str(b, p->model);
	pe_buf_adds(b, ",\"cases\":[");
	for (size_t i = 0; i < p->ncases; i++) {
		const struct pe_case *c = &p->cases[i];

		pe_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
		pe_json_str(b, c->id);
		pe_buf_addf(b, ",\"index\":%zu,\"vars\":", i);
		pe_json_node(b, c->vars);
		pe_buf_adds(b, ",\"evaluators\":");
		json_evaluators(b, c->evaluators, c->nevaluators);
		pe_buf_addc(b, '}');
	}
	pe_buf_adds(b, "],\"evaluators\":");
	json_evaluators(b, p->evaluators, p->nevaluators);
	pe_buf_addc(b, '}');
}

static void print_json(const struct pe_suite *s)
{
	struct pe_buf b;
	int first = 1;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"schema_version\":1,\"prompts\":[");
	for (size_t i = 0; i < s->nfiles; i++) {
		if (!s->files[i].prompt)
			continue;
		pe_buf_adds(&b, first ? "\n  " : ",\n  ");
		json_prompt(&b, s->files[i].prompt);
		first = 0;
	}
	pe_buf_adds(&b, "]}\n");
	fputs(pe_buf_str(&b), stdout);
	pe_buf_release(&b);
}

/* Runs "prompteval list"; returns an exit status. */
int cmd_list(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	const char *format = "text";
	int longer = 0, help = 0, status;
	struct pe_option opts[] = {
		{ PE_OPT_CHOICE, 'f', "format", "text|json",
		  "output format (default text)", &format, formats, 0, 0 },
		{ PE_OPT_FLAG, 'l', "long", NULL,
		  "also list each test case and evaluator", &longer, NULL, 0,
		  0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 }
	};
	struct pe_strlist paths;
	struct pe_diag *diag;
	struct pe_suite *suite;

	pe_strlist_init(&paths);
	if (pe_options_parse("list", opts, argc, argv, &paths, &help)) {
		pe_strlist_release(&paths);
		return PE_EXIT_USAGE;
	}
	if (help) {
		pe_options_print_help(stdout,
				      "prompteval list [options] PATH...",
				      "Lists the prompts in prompt files and "
				      "directories: name, model, test cases\n"
				      "and evaluators.  Sends nothing.",
				      opts);
		pe_strlist_release(&paths);
		return PE_EXIT_OK;
	}
	if (!paths.len)
		pe_strlist_push(&paths, "prompts");
	diag = pe_diag_new();
	suite = pe_suite_load(paths.items, paths.len, diag);
	pe_diag_sort(diag);
	pe_diag_print(diag, stderr);
	if (!strcmp(format, "json"))
		print_json(suite);
	else
		for (size_t i = 0; i < suite->nfiles; i++)
			if (suite->files[i].prompt)
				text_prompt(suite->files[i].prompt, longer);
	status = pe_diag_count(diag, PE_SEV_ERROR) ? PE_EXIT_INVALID
						   : PE_EXIT_OK;
	pe_suite_free(suite);
	pe_diag_free(diag);
	pe_strlist_release(&paths);
	return status;
}
