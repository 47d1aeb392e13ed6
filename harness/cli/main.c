/*
 * The entry point: global options (--help, --version) and dispatch through
 * the commands[] table, which also produces the command list in the help,
 * as git.c does.  A command is registered here only once it works.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/commands.h"
#include "harness/cli/options.h"
#include "harness/cli/status.h"
#include "harness/core/pattern.h"
#include "harness/run/http.h"
#include "harness/core/json.h"
#include "harness/core/message.h"
#include "harness/core/unicode.h"
#include "harness/core/util.h"
#include "harness/core/version.h"
#include "harness/load/yaml_load.h"
#include "harness/core/banned.h"

struct pe_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct pe_command commands[] = {
	{ "init", cmd_init, "write a starter prompt and configuration" },
	{ "check", cmd_check, "validate prompt files; send nothing" },
	{ "list", cmd_list, "list prompts, test cases and evaluators" },
	{ "run", cmd_run, "run the test cases against models and score them" },
	{ "merge", cmd_merge, "join the results of the shards of one run" },
	{ "score", cmd_score, "score recorded responses; call no model" },
	{ "report", cmd_report, "re-render stored results as reports" },
	{ "compare", cmd_compare,
	  "compare two runs case by case; gate on regressions" },
	{ NULL, NULL, NULL }
};

/*
 * The general help; in the table form (pe_options_want_table), one
 * "command\tNAME\tSUMMARY" line per command.
 */
static void print_help(FILE *out)
{
	if (pe_options_want_table()) {
		for (const struct pe_command *c = commands; c->name; c++)
			fprintf(out, "command\t%s\t%s\n", c->name, c->summary);
		return;
	}
	fprintf(out, "usage: prompteval [--help] [--version] <command> "
		     "[<args>]\n\n"
		     "prompteval loads prompt definitions (.prompt.yml), runs "
		     "their test cases and\nscores the answers.\n\n"
		     "commands:\n");
	for (const struct pe_command *c = commands; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out, "\n'prompteval <command> --help' describes one "
		     "command.\n\n");
	pe_print_exit_codes(out);
}

static void print_version(void)
{
	char pcre[64];

	pe_pattern_version(pcre, sizeof(pcre));
	printf("prompteval %s (libcurl %s, libyaml %s, cJSON %s, PCRE2 %s, "
	       "utf8proc %s)\n",
	       PE_VERSION, pe_http_version(), pe_yaml_version(),
	       pe_json_version(), pcre, pe_unicode_version());
}

/* Returns the command called name, or NULL. */
static const struct pe_command *find_command(const char *name)
{
	for (const struct pe_command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/*
 * Says that name is no command, with the closest command's name when one
 * is near enough (pe_suggest), and returns the usage exit status.
 */
static int not_a_command(const char *name)
{
	const char *names[sizeof(commands) / sizeof(*commands)];
	const char *hint;
	size_t n = 0;

	for (const struct pe_command *c = commands; c->name; c++)
		names[n++] = c->name;
	names[n] = NULL;
	hint = pe_suggest(name, names);
	if (hint)
		pe_usage_error(NULL,
			       "'%s' is not a command (did you mean "
			       "'%s'?)",
			       name, hint);
	else
		pe_usage_error(NULL, "'%s' is not a command", name);
	return PE_EXIT_USAGE;
}

/* The same for an unknown global option such as "--verison". */
static int not_an_option(const char *arg)
{
	static const char *const names[] = { "help", "version", NULL };
	const char *hint = NULL;

	if (arg[1] == '-') {
		size_t len = strcspn(arg + 2, "=");
		char *word = xstrndup(arg + 2, len);

		hint = pe_suggest(word, names);
		free(word);
	}
	if (hint)
		pe_usage_error(NULL,
			       "unknown option '%s' (did you mean "
			       "'--%s'?)",
			       arg, hint);
	else
		pe_usage_error(NULL, "unknown option '%s'", arg);
	return PE_EXIT_USAGE;
}

/*
 * "prompteval help [COMMAND]": the general help, or COMMAND's; a word
 * that names no command is a usage error, as it is without "help".
 */
static int help(int argc, char **argv)
{
	const struct pe_command *c;
	char *args[3] = { NULL, "--help", NULL };

	if (argc < 3 || !strcmp(argv[2], "help")) {
		print_help(stdout);
		return PE_EXIT_OK;
	}
	c = find_command(argv[2]);
	if (!c)
		return not_a_command(argv[2]);
	args[0] = argv[2];
	return c->run(2, args);
}

/* Runs the command argv names (argv[0] is "prompteval"). */
static int dispatch(int argc, char **argv)
{
	const char *name;
	const struct pe_command *c;

	if (argc < 2) {
		print_help(stderr);
		return PE_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "help"))
		return help(argc, argv);
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		print_help(stdout);
		return PE_EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		print_version();
		return PE_EXIT_OK;
	}
	c = find_command(name);
	if (c)
		return c->run(argc - 1, argv + 1);
	if (name[0] == '-')
		return not_an_option(name);
	return not_a_command(name);
}

/*
 * Every command's output goes to stdout through stdio; a full disk or a
 * closed pipe shows only when the buffer is flushed, so the last flush is
 * checked here, once for all of them (as git does).
 */
int main(int argc, char **argv)
{
	int status = dispatch(argc, argv);

	errno = 0;
	if (fflush(stdout) || ferror(stdout)) {
		/* A command that failed to write has said so already. */
		if (status != PE_EXIT_SYSTEM)
			pe_error("cannot write to standard output: %s",
				 strerror(errno ? errno : EIO));
		return PE_EXIT_SYSTEM;
	}
	return status;
}
