#ifndef PE_COMMANDS_H
#define PE_COMMANDS_H
#include <stdio.h>
/*
 * The subcommands.  Each takes its own argv (argv[0] is the command name)
 * and returns an exit status from enum pe_exit; only these functions and
 * main decide the process's exit status.  main.c's commands[] table
 * dispatches to them and lists them in the help.
 */

int cmd_init(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif
