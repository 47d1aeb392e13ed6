#ifndef PE_OPTIONS_H
#define PE_OPTIONS_H
/*
 * Command-line options, declared as a table per command (as git's
 * parse-options does), which drives both parsing and the help text.
 * Numbers are parsed strictly; an unknown option or a bad value is a usage
 * error whose message names the option.
 */
#include <stdio.h>

#include "harness/core/files.h"

enum pe_opt_kind {
	PE_OPT_END,
	PE_OPT_FLAG,   /* int *: set to 1 */
	PE_OPT_STRING, /* const char **: borrowed from argv */
	PE_OPT_CHOICE, /* const char **: one of choices */
	PE_OPT_LONG,   /* long *: an integer in [min, max] */
	PE_OPT_DOUBLE, /* double *: a finite number */
	PE_OPT_LIST    /* struct pe_strlist *: repeatable */
};

struct pe_option {
	enum pe_opt_kind kind;
	char short_name; /* 0 for none */
	const char *long_name;
	const char *argname; /* for the help text */
	const char *help;
	void *value;
	const char *const *choices; /* PE_OPT_CHOICE */
	long min;		    /* PE_OPT_LONG */
	long max;
};

/*
 * Parses argv[1..argc) against opts; positional arguments are appended to
 * args ("--" ends the options).  "-h" and "--help" set *help.  Returns 0,
 * or PE_ERR_USAGE after printing "prompteval CMD: message" to stderr.
 */
int pe_options_parse(const char *cmd, const struct pe_option *opts, int argc,
		     char **argv, struct pe_strlist *args, int *help);

/*
 * Prints the usage line, a summary and the option table.  When the
 * environment sets PROMPTEVAL_HELP_FORMAT=table (pe_options_want_table),
 * prints them instead as tab-separated lines for the generators of the
 * man page and the shell completions (docs/gen-man.sh,
 * docs/gen-completion.sh):
 *
 *   usage   USAGE
 *   summary LINE                   (one per line of the summary)
 *   option  SHORT LONG KIND ARGNAME CHOICES HELP
 *
 * SHORT, ARGNAME and CHOICES are "-" when there are none; KIND is flag,
 * string, choice, number or list (repeatable); CHOICES are separated by
 * '|'.  Whatever else the command prints after the help has no tag.
 */
void pe_options_print_help(FILE *out, const char *usage, const char *summary,
			   const struct pe_option *opts);

/* Whether PROMPTEVAL_HELP_FORMAT asks for the table form of the help. */
int pe_options_want_table(void);

#endif
