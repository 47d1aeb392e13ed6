/*
 * prompteval init: writes a starter project into DIR (default "."): a
 * prompt file with test cases and evaluators of several kinds,
 * prompts/starter.prompt.yml, and a commented configuration,
 * prompteval.yml, that runs it offline against the echo provider until a
 * model is named.  Both pass "prompteval check" as written (a golden
 * case and tests/cli-tests.sh check it).  A file that exists is never
 * replaced without --force: init checks both before it writes either,
 * so one that exists stops it before anything is written.  A write that
 * fails says which file; one written before it stays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/cli/commands.h"
#include "harness/cli/options.h"
#include "harness/cli/status.h"
#include "harness/core/files.h"
#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static const char starter_prompt[] =
	"# A starter prompt for prompteval, in the GitHub Models .prompt.yml\n"
	"# format.  'prompteval check' validates it, 'prompteval run' runs\n"
	"# every test case below and scores the answers with the evaluators.\n"
	"name: Release notes summary\n"
	"description: Summarizes release notes for users in three bullets.\n"
	"model: openai:gpt-4o-mini\n"
	"modelParameters:\n"
	"  temperature: 0.2\n"
	"  max_tokens: 400\n"
	"messages:\n"
	"  - role: system\n"
	"    content: |\n"
	"      You summarize software release notes for end users.\n"
	"      Answer with exactly three Markdown bullet points, each under\n"
	"      25 words.  Name the product and its version.\n"
	"  - role: user\n"
	"    content: |\n"
	"      Summarize the release notes of {{product}} {{version}}:\n"
	"\n"
	"      {{notes}}\n"
	"# One test case per entry; its input fills the {{...}} variables, "
	"and\n"
	"# 'expected' is a value the evaluators may use as {{expected}}.\n"
	"testData:\n"
	"  - id: search-speed\n"
	"    input:\n"
	"      product: Acme Notes\n"
	"      version: \"2.4\"\n"
	"      notes: |\n"
	"        - Search is three times faster on large notebooks.\n"
	"        - Fixed a crash when a note title held an emoji.\n"
	"        - Dropped support for Windows 7.\n"
	"    expected: Acme Notes\n"
	"  - id: offline-sync\n"
	"    input:\n"
	"      product: Acme Notes\n"
	"      version: \"2.5\"\n"
	"      notes: |\n"
	"        - Notes sync when the connection comes back after offline "
	"edits.\n"
	"        - New dark theme.\n"
	"        - The export menu moved under File.\n"
	"    expected: Acme Notes\n"
	"# A case passes when every evaluator passes.  README.md "
	"(\"Evaluators\")\n"
	"# lists every kind; these are the ones that need no model.\n"
	"evaluators:\n"
	"  - name: names the product\n"
	"    string:\n"
	"      contains: \"{{expected}}\"\n"
	"  - name: names a version\n"
	"    type: regex\n"
	"    pattern: '\\b\\d+\\.\\d+\\b'\n"
	"  - name: three bullet points\n"
	"    format:\n"
	"      bullets: {min: 3}\n"
	"  - name: short enough\n"
	"    length:\n"
	"      words: {max: 120}\n"
	"  - name: does not apologize\n"
	"    not: true\n"
	"    type: regex\n"
	"    pattern: '(?i)\\bas an ai\\b|\\bI apologi[sz]e'\n"
	"  # An LLM judge grades what rules cannot; it needs a judge model\n"
	"  # (judge: in prompteval.yml, or --judge-model).  Uncomment to use:\n"
	"  # - name: faithful to the notes\n"
	"  #   judge:\n"
	"  #     rubric: Every bullet states something the notes say, and\n"
	"  #       nothing they do not.\n";

static const char starter_config[] =
	"# prompteval.yml: how 'prompteval run' runs the prompts.  Every key\n"
	"# is optional; README.md (\"Configuration\") describes them all, and\n"
	"# examples/prompteval.yml is a fuller one with several providers.\n"
	"\n"
	"# The models each prompt runs against, as PROVIDER:MODEL.  'echo:'\n"
	"# answers with the prompt itself: no network, no key, so the starter\n"
	"# runs offline.  Name real models to evaluate them, for example\n"
	"#   models: [openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest]\n"
	"# with OPENAI_API_KEY and ANTHROPIC_API_KEY set in the environment\n"
	"# (keys are read from there only), or one model for a single run:\n"
	"#   prompteval run -m openai:gpt-4o-mini prompts/\n"
	"models: [\"echo:\"]\n"
	"\n"
	"# Temperatures to try, and runs of each case at each (repeats show\n"
	"# flaky cases and give the pass rate an interval).\n"
	"temperatures: [0]\n"
	"repeats: 1\n"
	"\n"
	"# Providers need no entry unless something differs from the default:\n"
	"# providers:\n"
	"#   openai:\n"
	"#     max_concurrency: 8       # requests in flight to it\n"
	"#     requests_per_minute: 500\n"
	"#   local:                     # any OpenAI-compatible server\n"
	"#     kind: openai\n"
	"#     base_url: http://127.0.0.1:8000/v1\n"
	"\n"
	"# US dollars per million tokens, for the cost columns and "
	"--max-cost.\n"
	"# prices:\n"
	"#   openai:gpt-4o-mini: { input: 0.15, output: 0.60 }\n"
	"\n"
	"# The model that answers LLM judges that name none.\n"
	"# judge: openai:gpt-4o\n"
	"\n"
	"# Gates: when one fails, run exits 1 (for CI).\n"
	"# gates:\n"
	"#   min_pass_rate: 0.9\n"
	"#   max_errors: 0\n";

struct starter_file {
	const char *name; /* relative to DIR */
	const char *text;
};

static const struct starter_file starter_files[] = {
	{ "prompts/starter.prompt.yml", starter_prompt },
	{ "prompteval.yml", starter_config },
};

#define NFILES (sizeof(starter_files) / sizeof(*starter_files))

/* The path of a starter file under dir, without "./" for ".". */
static char *starter_path(const char *dir, const struct starter_file *f)
{
	if (!strcmp(dir, "."))
		return xstrdup(f->name);
	return xstrfmt("%s/%s", dir, f->name);
}

static int usage(const struct pe_option *opts)
{
	pe_options_print_help(
		stdout, "prompteval init [options] [DIR]",
		"Writes a starter project into DIR (default .): "
		"prompts/starter.prompt.yml,\na prompt with test cases and "
		"evaluators, and prompteval.yml, a commented\nconfiguration "
		"that runs it offline against echo: until you name a model.\n"
		"Existing files are kept unless --force is given.",
		opts);
	printf("\n");
	pe_print_exit_codes(stdout);
	return PE_EXIT_OK;
}

/*
 * Says which starter files exist already under dir; returns how many.
 * Anything at the path counts, a directory too.
 */
static size_t count_existing(const char *dir)
{
	size_t n = 0;

	for (size_t i = 0; i < NFILES; i++) {
		char *path = starter_path(dir, &starter_files[i]);
		struct stat st;

		if (!lstat(path, &st)) {
			pe_error("%s exists already; use --force to replace "
				 "it",
				 path);
			n++;
		}
		free(path);
	}
	return n;
}

/* Writes the starter files under dir; returns an exit status. */
static int write_files(const char *dir)
{
	for (size_t i = 0; i < NFILES; i++) {
		const struct starter_file *f = &starter_files[i];
		char *path = starter_path(dir, f);
		char *folder = xstrdup(path);
		char *slash = strrchr(folder, '/');

		if (slash)
			*slash = '\0';
		if ((slash && pe_make_dirs(folder, 0)) ||
		    pe_file_write_atomic(path, f->text, strlen(f->text), 0)) {
			pe_error("cannot write %s: %s", path, strerror(errno));
			free(folder);
			free(path);
			return PE_EXIT_SYSTEM;
		}
		pe_terminal_printf(stdout, "wrote %s\n", path);
		free(folder);
		free(path);
	}
	return PE_EXIT_OK;
}

/* Runs "prompteval init"; returns an exit status. */
int cmd_init(int argc, char **argv)
{
	int force = 0, help = 0, status;
	struct pe_option opts[] = { { PE_OPT_FLAG, 0, "force", NULL,
				      "replace the starter files if they exist",
				      &force, NULL, 0, 0 },
				    { PE_OPT_END, 0, NULL, NULL, NULL, NULL,
				      NULL, 0, 0 } };
	struct pe_strlist args;
	const char *dir;

	pe_strlist_init(&args);
	if (pe_options_parse("init", opts, argc, argv, &args, &help)) {
		pe_strlist_release(&args);
		return PE_EXIT_USAGE;
	}
	if (help) {
		pe_strlist_release(&args);
		return usage(opts);
	}
	if (args.len > 1) {
		pe_usage_error("init", "give at most one DIR");
		pe_strlist_release(&args);
		return PE_EXIT_USAGE;
	}
	dir = args.len ? args.items[0] : ".";
	if (!force && count_existing(dir))
		status = PE_EXIT_INVALID;
	else
		status = write_files(dir);
	if (status == PE_EXIT_OK && !strcmp(dir, "."))
		printf("next: prompteval check prompts && prompteval run "
		       "prompts\n");
	else if (status == PE_EXIT_OK)
		pe_terminal_printf(stdout,
				   "next: cd %s && prompteval check prompts && "
				   "prompteval run prompts\n",
				   dir);
	pe_strlist_release(&args);
	return status;
}
