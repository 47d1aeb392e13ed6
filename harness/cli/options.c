/*
 * The option parser.  It accepts "--name value", "--name=value", "-x value",
 * "-xvalue" and bundled short flags ("-qv").  Every failure names the
 * option as the user wrote it.
 */
#include "harness/cli/options.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/message.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xstrvfmt(fmt, ap);
	va_end(ap);
	pe_usage_error(cmd, "%s", text);
	free(text);
	return PE_ERR_USAGE;
}

static const struct pe_option *find_long(const struct pe_option *opts,
					 const char *name, size_t len)
{
	for (; opts->kind != PE_OPT_END; opts++)
		if (strlen(opts->long_name) == len &&
		    !strncmp(opts->long_name, name, len))
			return opts;
	return NULL;
}

static const struct pe_option *find_short(const struct pe_option *opts, char c)
{
	for (; opts->kind != PE_OPT_END; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static int set_value(const char *cmd, const struct pe_option *o,
		     const char *shown, const char *arg)
{
	switch (o->kind) {
	case PE_OPT_STRING:
		*(const char **)o->value = arg;
		return PE_OK;
	case PE_OPT_LIST:
		pe_strlist_push(o->value, arg);
		return PE_OK;
	case PE_OPT_CHOICE:
		for (size_t i = 0; o->choices[i]; i++) {
			if (!strcmp(arg, o->choices[i])) {
				*(const char **)o->value = o->choices[i];
				return PE_OK;
			}
		}
		return usage_error(cmd, "invalid value '%s' for %s", arg,
				   shown);
	case PE_OPT_LONG:
		if (pe_parse_long(arg, o->min, o->max, o->value)) {
			return usage_error(
				cmd,
				"invalid value '%s' for %s: expected "
				"a whole number from %ld to %ld",
				arg, shown, o->min, o->max);
		}
		return PE_OK;
	case PE_OPT_DOUBLE:
		if (pe_parse_double(arg, o->value))
			return usage_error(
				cmd,
				"invalid value '%s' for %s: expected "
				"a number",
				arg, shown);
		return PE_OK;
	default:
		*(int *)o->value = 1;
		return PE_OK;
	}
}

static int parse_long_opt(const char *cmd, const struct pe_option *opts,
			  int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct pe_option *o = find_long(opts, name, len);
	char shown[128];

	snprintf(shown, sizeof(shown), "--%.*s", (int)len, name);
	if (!o) {
		const char *names[64];
		size_t n = 0;
		const char *hint;
		char *word = xstrndup(name, len);
		char hint_text[96] = "";

		for (const struct pe_option *p = opts;
		     p->kind != PE_OPT_END && n < 63; p++)
			names[n++] = p->long_name;
		names[n] = NULL;
		hint = pe_suggest(word, names);
		free(word);
		if (hint)
			snprintf(hint_text, sizeof(hint_text),
				 " (did you mean '--%s'?)", hint);
		return usage_error(cmd, "unknown option '%s'%s", shown,
				   hint_text);
	}
	if (o->kind == PE_OPT_FLAG) {
		if (eq)
			return usage_error(cmd, "option '%s' takes no value",
					   shown);
		return set_value(cmd, o, shown, NULL);
	}
	if (eq)
		return set_value(cmd, o, shown, eq + 1);
	if (*i + 1 >= argc)
		return usage_error(cmd, "option '%s' needs a value", shown);
	return set_value(cmd, o, shown, argv[++*i]);
}

static int parse_short_opts(const char *cmd, const struct pe_option *opts,
			    int argc, char **argv, int *i, int *help)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct pe_option *o = find_short(opts, *p);
		char shown[3] = { '-', *p, 0 };

		if (*p == 'h' && !o) {
			*help = 1;
			continue;
		}
		if (!o)
			return usage_error(cmd, "unknown option '%s'", shown);
		if (o->kind == PE_OPT_FLAG) {
			set_value(cmd, o, shown, NULL);
			continue;
		}
		if (p[1])
			return set_value(cmd, o, shown, p + 1);
		if (*i + 1 >= argc)
			return usage_error(cmd, "option '%s' needs a value",
					   shown);
		return set_value(cmd, o, shown, argv[++*i]);
	}
	return PE_OK;
}

/* Parses options; see options.h. */
int pe_options_parse(const char *cmd, const struct pe_option *opts, int argc,
		     char **argv, struct pe_strlist *args, int *help)
{
	int only_args = 0;

	*help = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = PE_OK;

		if (only_args || a[0] != '-' || !a[1]) {
			pe_strlist_push(args, a);
		} else if (!strcmp(a, "--")) {
			only_args = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*help = 1;
		} else if (a[1] == '-') {
			rc = parse_long_opt(cmd, opts, argc, argv, &i);
		} else {
			rc = parse_short_opts(cmd, opts, argc, argv, &i, help);
		}
		if (rc)
			return rc;
	}
	return PE_OK;
}

/* Reads the environment; see options.h. */
int pe_options_want_table(void)
{
	const char *format = getenv("PROMPTEVAL_HELP_FORMAT");

	return format && !strcmp(format, "table");
}

static const char *kind_name(enum pe_opt_kind kind)
{
	switch (kind) {
	case PE_OPT_FLAG:
		return "flag";
	case PE_OPT_CHOICE:
		return "choice";
	case PE_OPT_LONG:
	case PE_OPT_DOUBLE:
		return "number";
	case PE_OPT_LIST:
		return "list";
	default:
		return "string";
	}
}

/* The help as tagged lines for the generators; see options.h. */
static void print_table(FILE *out, const char *usage, const char *summary,
			const struct pe_option *opts)
{
	fprintf(out, "usage\t%s\n", usage);
	while (*summary) {
		size_t len = strcspn(summary, "\n");

		fprintf(out, "summary\t%.*s\n", (int)len, summary);
		summary += len + (summary[len] == '\n');
	}
	for (; opts->kind != PE_OPT_END; opts++) {
		fprintf(out, "option\t%c\t%s\t%s\t%s\t",
			opts->short_name ? opts->short_name : '-',
			opts->long_name, kind_name(opts->kind),
			opts->argname ? opts->argname : "-");
		if (opts->kind == PE_OPT_CHOICE) {
			for (size_t i = 0; opts->choices[i]; i++)
				fprintf(out, "%s%s", i ? "|" : "",
					opts->choices[i]);
		} else {
			fputc('-', out);
		}
		fprintf(out, "\t%s\n", opts->help);
	}
}

/* Prints help generated from the option table. */
void pe_options_print_help(FILE *out, const char *usage, const char *summary,
			   const struct pe_option *opts)
{
	if (pe_options_want_table()) {
		print_table(out, usage, summary, opts);
		return;
	}
	fprintf(out, "usage: %s\n\n%s\n\noptions:\n", usage, summary);
	for (; opts->kind != PE_OPT_END; opts++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s",
			 opts->short_name ? "-" : "   ",
			 opts->short_name ? opts->short_name : ' ',
			 opts->short_name ? ", " : "", opts->long_name,
			 opts->argname ? " " : "",
			 opts->argname ? opts->argname : "");
		fprintf(out, "  %-28s %s\n", left, opts->help);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
}
