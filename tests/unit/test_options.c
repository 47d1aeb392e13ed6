/*
 * Unit tests for options.c (pe_options_parse, pe_options_print_help):
 * every spelling of options and values, bundled flags, "--", positional
 * arguments, -h/--help, and each usage error with the exact text written
 * to stderr (captured through a temporary file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/files.h"
#include "harness/cli/options.h"
#include "harness/core/util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

struct values {
	int quiet;
	int long_format;
	const char *model;
	const char *format;
	long jobs;
	double temperature;
	struct pe_strlist tags;
};

static const char *const formats[] = { "text", "json", "html", NULL };

static void make_options(struct values *v, struct pe_option *opts)
{
	const struct pe_option table[] = {
		{ PE_OPT_FLAG, 'q', "quiet", NULL, "say less", &v->quiet, NULL,
		  0, 0 },
		{ PE_OPT_FLAG, 'l', "long", NULL, "long listing",
		  &v->long_format, NULL, 0, 0 },
		{ PE_OPT_STRING, 'm', "model", "NAME", "model to run",
		  &v->model, NULL, 0, 0 },
		{ PE_OPT_CHOICE, 'f', "format", "FMT", "output format",
		  &v->format, formats, 0, 0 },
		{ PE_OPT_LONG, 'j', "jobs", "N", "requests in flight", &v->jobs,
		  NULL, 0, 64 },
		{ PE_OPT_DOUBLE, 't', "temperature", "T",
		  "sampling temperature", &v->temperature, NULL, 0, 0 },
		{ PE_OPT_LIST, 'T', "tag", "TAG", "only these tags", &v->tags,
		  NULL, 0, 0 },
		{ PE_OPT_FLAG, 0, "dry-run", NULL, "send nothing", &v->quiet,
		  NULL, 0, 0 },
		{ PE_OPT_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	};

	memcpy(opts, table, sizeof(table));
	v->quiet = 0;
	v->long_format = 0;
	v->model = NULL;
	v->format = NULL;
	v->jobs = -1;
	v->temperature = -1;
	pe_strlist_init(&v->tags);
}

enum { NOPTS = 9, MAX_ARGS = 8 };

struct parse_case {
	const char *argv[MAX_ARGS]; /* after the program name */
	int rc;
	const char *stderr_text; /* first line, for errors */
	int quiet, long_format;
	const char *model;
	const char *format;
	long jobs;
	double temperature;
	const char *tags;	/* joined with '|' */
	const char *positional; /* joined with '|' */
	int help;
};

#define OK	  0, NULL
#define ERR(text) PE_ERR_USAGE, text, 0, 0, NULL, NULL, 0, 0, NULL, NULL, 0

static const struct parse_case cases[] = {
	{ { NULL }, OK, 0, 0, NULL, NULL, -1, -1, "", "", 0 },
	{ { "--model", "gpt" }, OK, 0, 0, "gpt", NULL, -1, -1, "", "", 0 },
	{ { "--model=gpt" }, OK, 0, 0, "gpt", NULL, -1, -1, "", "", 0 },
	{ { "--model=" }, OK, 0, 0, "", NULL, -1, -1, "", "", 0 },
	{ { "--model=a=b" }, OK, 0, 0, "a=b", NULL, -1, -1, "", "", 0 },
	{ { "-m", "gpt" }, OK, 0, 0, "gpt", NULL, -1, -1, "", "", 0 },
	{ { "-mgpt" }, OK, 0, 0, "gpt", NULL, -1, -1, "", "", 0 },
	{ { "-m", "-q" }, OK, 0, 0, "-q", NULL, -1, -1, "", "", 0 },
	{ { "-ql" }, OK, 1, 1, NULL, NULL, -1, -1, "", "", 0 },
	{ { "-q", "-l" }, OK, 1, 1, NULL, NULL, -1, -1, "", "", 0 },
	{ { "-qmgpt" }, OK, 1, 0, "gpt", NULL, -1, -1, "", "", 0 },
	{ { "-qm", "gpt", "x" }, OK, 1, 0, "gpt", NULL, -1, -1, "", "x", 0 },
	{ { "--quiet", "--long" }, OK, 1, 1, NULL, NULL, -1, -1, "", "", 0 },
	{ { "--dry-run" }, OK, 1, 0, NULL, NULL, -1, -1, "", "", 0 },
	{ { "a", "-q", "b" }, OK, 1, 0, NULL, NULL, -1, -1, "", "a|b", 0 },
	{ { "--", "-q", "--model" },
	  OK,
	  0,
	  0,
	  NULL,
	  NULL,
	  -1,
	  -1,
	  "",
	  "-q|--model",
	  0 },
	{ { "-q", "--", "--" }, OK, 1, 0, NULL, NULL, -1, -1, "", "--", 0 },
	{ { "-" }, OK, 0, 0, NULL, NULL, -1, -1, "", "-", 0 },
	{ { "--format", "json" }, OK, 0, 0, NULL, "json", -1, -1, "", "", 0 },
	{ { "-fhtml" }, OK, 0, 0, NULL, "html", -1, -1, "", "", 0 },
	{ { "--jobs", "8" }, OK, 0, 0, NULL, NULL, 8, -1, "", "", 0 },
	{ { "-j0" }, OK, 0, 0, NULL, NULL, 0, -1, "", "", 0 },
	{ { "--jobs=64" }, OK, 0, 0, NULL, NULL, 64, -1, "", "", 0 },
	{ { "-t", "0.5" }, OK, 0, 0, NULL, NULL, -1, 0.5, "", "", 0 },
	{ { "--temperature=-1.5e0" },
	  OK,
	  0,
	  0,
	  NULL,
	  NULL,
	  -1,
	  -1.5,
	  "",
	  "",
	  0 },
	{ { "--tag", "a", "-T", "b", "--tag=c", "-Td" },
	  OK,
	  0,
	  0,
	  NULL,
	  NULL,
	  -1,
	  -1,
	  "a|b|c|d",
	  "",
	  0 },
	{ { "-h" }, OK, 0, 0, NULL, NULL, -1, -1, "", "", 1 },
	{ { "--help" }, OK, 0, 0, NULL, NULL, -1, -1, "", "", 1 },
	{ { "x", "--help", "-q" }, OK, 1, 0, NULL, NULL, -1, -1, "", "x", 1 },
	{ { "--", "-h" }, OK, 0, 0, NULL, NULL, -1, -1, "", "-h", 0 },
	/* Usage errors. */
	{ { "--modl", "x" },
	  ERR("prompteval: error: unknown option '--modl' (did you mean "
	      "'--model'?)") },
	{ { "--dryrun" },
	  ERR("prompteval: error: unknown option '--dryrun' (did you mean "
	      "'--dry-run'?)") },
	{ { "--colour" }, ERR("prompteval: error: unknown option '--colour'") },
	{ { "--colour=red" },
	  ERR("prompteval: error: unknown option '--colour'") },
	{ { "-z" }, ERR("prompteval: error: unknown option '-z'") },
	{ { "-qz" }, ERR("prompteval: error: unknown option '-z'") },
	{ { "--model" },
	  ERR("prompteval: error: option '--model' needs a value") },
	{ { "-m" }, ERR("prompteval: error: option '-m' needs a value") },
	{ { "-qm" }, ERR("prompteval: error: option '-m' needs a value") },
	{ { "--quiet=1" },
	  ERR("prompteval: error: option '--quiet' takes no value") },
	{ { "--format", "xml" },
	  ERR("prompteval: error: invalid value 'xml' for --format") },
	{ { "-fJSON" }, ERR("prompteval: error: invalid value 'JSON' for -f") },
	{ { "--jobs", "5x" },
	  ERR("prompteval: error: invalid value '5x' for --jobs: expected a "
	      "whole "
	      "number from 0 to 64") },
	{ { "--jobs=" },
	  ERR("prompteval: error: invalid value '' for --jobs: expected a "
	      "whole "
	      "number from 0 to 64") },
	{ { "-j", "-1" },
	  ERR("prompteval: error: invalid value '-1' for -j: expected a whole "
	      "number "
	      "from 0 to 64") },
	{ { "-j65" },
	  ERR("prompteval: error: invalid value '65' for -j: expected a whole "
	      "number "
	      "from 0 to 64") },
	{ { "--jobs", " 5" },
	  ERR("prompteval: error: invalid value ' 5' for --jobs: expected a "
	      "whole "
	      "number from 0 to 64") },
	{ { "--temperature", "nan" },
	  ERR("prompteval: error: invalid value 'nan' for --temperature: "
	      "expected "
	      "a "
	      "number") },
	{ { "-tinf" },
	  ERR("prompteval: error: invalid value 'inf' for -t: expected a "
	      "number") },
	{ { "-t", "0,5" },
	  ERR("prompteval: error: invalid value '0,5' for -t: expected a "
	      "number") },
};

static void join(const struct pe_strlist *l, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < l->len; i++) {
		size_t used = strlen(out);

		snprintf(out + used, size - used, "%s%s", i ? "|" : "",
			 l->items[i]);
	}
}

/* Runs the parser with stderr redirected into err (size bytes). */
static int parse_capturing(const struct pe_option *opts, int argc, char **argv,
			   struct pe_strlist *args, int *help, char *err,
			   size_t size)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	rc = pe_options_parse("run", opts, argc, argv, args, help);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, size - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return rc;
}

static void check_case(const struct parse_case *c)
{
	struct values v;
	struct pe_option opts[NOPTS];
	char *argv[MAX_ARGS + 2];
	int argc = 1, help = 7;
	struct pe_strlist args;
	char err[512], joined[256], want_err[512];
	int rc;

	make_options(&v, opts);
	pe_strlist_init(&args);
	argv[0] = "prompteval";
	for (size_t i = 0; i < MAX_ARGS && c->argv[i]; i++)
		argv[argc++] = (char *)c->argv[i];
	argv[argc] = NULL;
	rc = parse_capturing(opts, argc, argv, &args, &help, err, sizeof(err));
	if (rc != c->rc)
		fail_msg("%s: rc %d, expected %d; stderr: %s",
			 c->argv[0] ? c->argv[0] : "(none)", rc, c->rc, err);
	if (c->rc) {
		snprintf(want_err, sizeof(want_err),
			 "%s\nTry 'prompteval run --help' for more "
			 "information.\n",
			 c->stderr_text);
		assert_string_equal(err, want_err);
	} else {
		assert_string_equal(err, "");
		assert_int_equal(v.quiet, c->quiet);
		assert_int_equal(v.long_format, c->long_format);
		if (c->model)
			assert_string_equal(v.model, c->model);
		else
			assert_null(v.model);
		if (c->format) {
			assert_string_equal(v.format, c->format);
		} else {
			assert_null(v.format);
		}
		assert_int_equal(v.jobs, c->jobs);
		assert_true(v.temperature == c->temperature);
		join(&v.tags, joined, sizeof(joined));
		assert_string_equal(joined, c->tags);
		join(&args, joined, sizeof(joined));
		assert_string_equal(joined, c->positional);
		assert_int_equal(help, c->help);
	}
	pe_strlist_release(&v.tags);
	pe_strlist_release(&args);
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
}

/* A choice value points at the table entry, not into argv. */
static void test_choice_is_canonical(void **state)
{
	struct values v;
	struct pe_option opts[NOPTS];
	char arg[] = "--format=json";
	char *argv[] = { "prompteval", arg, NULL };
	struct pe_strlist args;
	int help;

	(void)state;
	make_options(&v, opts);
	pe_strlist_init(&args);
	assert_int_equal(pe_options_parse("run", opts, 2, argv, &args, &help),
			 0);
	assert_ptr_equal(v.format, formats[1]);
	pe_strlist_release(&args);
}

/* Parsing stops at the first error; later arguments are not consumed. */
static void test_stops_at_error(void **state)
{
	struct values v;
	struct pe_option opts[NOPTS];
	char *argv[] = { "prompteval", "-q", "--bogus", "-l", "file", NULL };
	struct pe_strlist args;
	int help;
	char err[512];

	(void)state;
	make_options(&v, opts);
	pe_strlist_init(&args);
	assert_int_equal(
		parse_capturing(opts, 5, argv, &args, &help, err, sizeof(err)),
		PE_ERR_USAGE);
	assert_int_equal(v.quiet, 1);
	assert_int_equal(v.long_format, 0);
	assert_int_equal(args.len, 0);
	pe_strlist_release(&args);
}

static void test_help_text(void **state)
{
	struct values v;
	struct pe_option opts[NOPTS];
	FILE *f = tmpfile();
	char out[2048];
	size_t n;

	(void)state;
	assert_non_null(f);
	make_options(&v, opts);
	pe_options_print_help(f, "prompteval run [options] PATH...",
			      "Runs prompts.", opts);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_string_equal(
		out, "usage: prompteval run [options] PATH...\n"
		     "\n"
		     "Runs prompts.\n"
		     "\n"
		     "options:\n"
		     "  -q, --quiet                  say less\n"
		     "  -l, --long                   long listing\n"
		     "  -m, --model NAME             model to run\n"
		     "  -f, --format FMT             output format\n"
		     "  -j, --jobs N                 requests in flight\n"
		     "  -t, --temperature T          sampling temperature\n"
		     "  -T, --tag TAG                only these tags\n"
		     "      --dry-run                send nothing\n"
		     "  -h, --help                   show this help\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_choice_is_canonical),
		cmocka_unit_test(test_stops_at_error),
		cmocka_unit_test(test_help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
