/*
 * exec: checks: a program of the user's, given as an argv list and run
 * without a shell in the prompt file's folder (exec: [python3,
 * grade.py, --strict], or {command: [...], timeout, threshold}).  It
 * reads the case as one JSON object on stdin (output, expected, vars,
 * prompt, case, model) and prints its result on stdout in the shapes a
 * python check returns: true or false, a score in [0, 1], or {pass,
 * score, reason}.  It runs through the run's check workers (workers.h),
 * so it counts against the same limit as python checks, and it must
 * exit 0 within its timeout; its stderr is passed through.  A program
 * that is not found is skipped (its case ungraded, never passed);
 * anything else that goes wrong is an error.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "evaluators/workers.h"
#include "harness/core/banned.h"

struct exec_state {
	char **argv; /* NULL-terminated, owned */
	struct pe_check_settings settings;
	char *missing;	      /* why it will not run: no such program */
	char *not_executable; /* or a file that is not an executable */
};

static const struct pe_node *command_node(const struct pe_node *v)
{
	return v && v->kind == PE_NODE_MAP ? pe_node_get(v, "command") : v;
}

/* Reads the argv list into *argv (owned), or records an error. */
static int read_command(const struct pe_node *list, const struct pe_node *at,
			char ***argv, struct pe_diag *diag)
{
	if (!list || list->kind != PE_NODE_SEQ || !list->count) {
		pe_diag_error(diag, list ? &list->mark : &at->mark,
			      "exec evaluator needs a command as a list: "
			      "[PROGRAM, ARGS...], such as [python3, "
			      "grade.py]");
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < list->count; i++) {
		const char *text = pe_setting_text(list->items[i]);

		if (!text || (i == 0 && !*text)) {
			pe_diag_error(diag, &list->items[i]->mark,
				      "exec command: item %zu must be %s",
				      i + 1, i ? "text" : "the program's name");
			return PE_ERR_INVALID;
		}
	}
	*argv = xcalloc(list->count + 1, sizeof(**argv));
	for (size_t i = 0; i < list->count; i++)
		(*argv)[i] =
			xstrndup(list->items[i]->text, list->items[i]->len);
	return PE_OK;
}

static void free_exec(void *state)
{
	struct exec_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; st->argv && st->argv[i]; i++)
		free(st->argv[i]);
	free(st->argv);
	pe_check_settings_release(&st->settings);
	free(st->missing);
	free(st->not_executable);
	free(st);
}

/* Checks the keys of exec: {...}; the rest is read when compiled. */
static int parse_exec(struct pe_evalspec *spec, const struct pe_node *node,
		      const struct pe_node *type, struct pe_diag *diag)
{
	static const char *const known[] = { "command", "timeout", "threshold",
					     NULL };
	const struct pe_node *v = pe_node_get(node, "exec");

	(void)spec;
	(void)type;
	if (v && v->kind == PE_NODE_MAP)
		pe_node_check_keys(v, known, "an exec evaluator", diag);
	return PE_OK;
}

static int compile_exec(const struct pe_evalspec *spec,
			const struct pe_prompt *prompt, void **state,
			struct pe_diag *diag)
{
	const struct pe_node *v = pe_evaluator_settings(spec);
	struct exec_state *st = xcalloc(1, sizeof(*st));

	if (read_command(command_node(v), v, &st->argv, diag) ||
	    pe_check_settings_read(v->kind == PE_NODE_MAP ? v : spec->node,
				   prompt, &st->settings, diag)) {
		free_exec(st);
		return PE_ERR_INVALID;
	}
	st->missing = xstrfmt("program %s is not found", st->argv[0]);
	st->not_executable =
		xstrfmt("program %s is not an executable file", st->argv[0]);
	*state = st;
	return PE_OK;
}

static void score_exec(const void *state, const struct pe_evalspec *spec,
		       const struct pe_eval_input *in,
		       struct pe_eval_result *out)
{
	const struct exec_state *st = state;
	struct pe_buf input, printed;
	char *why = NULL;
	enum pe_check_run ran;

	(void)spec;
	if (!in->env || !in->env->workers) {
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "exec checks run in prompteval run and score");
		return;
	}
	pe_buf_init(&input, 0);
	pe_buf_addc(&input, '{');
	pe_check_case_json(in, &input);
	pe_buf_adds(&input, "}\n");
	pe_buf_init(&printed, PE_CHECK_MAX_OUTPUT);
	ran = pe_workers_exec(in->env->workers, st->argv, st->settings.dir,
			      input.data, input.len, st->settings.timeout_ms,
			      &printed, &why);
	if (!pe_check_unfinished(ran, why, out))
		pe_check_result_text(printed.data, printed.len,
				     st->settings.threshold, "printed", out);
	free(why);
	pe_buf_release(&printed);
	pe_buf_release(&input);
}

/* The command as written: [python3, grade.py]. */
static void describe_exec(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct pe_node *list = command_node(pe_evaluator_settings(spec));

	pe_buf_addc(out, '[');
	for (size_t i = 0; list && list->kind == PE_NODE_SEQ && i < list->count;
	     i++)
		pe_buf_addf(out, "%s%s", i ? ", " : "",
			    pe_setting_text(list->items[i])
				    ? list->items[i]->text
				    : "?");
	pe_buf_addc(out, ']');
}

/*
 * Why the check cannot run here: its program is not found (or not
 * executable).
 */
static const char *exec_unavailable(const void *state,
				    const struct pe_evalspec *spec)
{
	const struct exec_state *st = state;

	(void)spec;
	switch (pe_workers_startable(st->argv[0], st->settings.dir)) {
	case PE_STARTABLE:
		return NULL;
	case PE_NOT_EXECUTABLE:
		return st->not_executable;
	default:
		return st->missing;
	}
}

static const char *const exec_keys[] = { "exec", NULL };
static const char *const exec_known[] = { "exec", "timeout", "threshold",
					  NULL };

const struct pe_evaluator_ops pe_exec_check_ops = {
	.name = "exec",
	.as_written = 1,
	.example = "{exec: [echo, 'true']}",
	.keys = exec_keys,
	.known_keys = exec_known,
	.unavailable = exec_unavailable,
	.parse = parse_exec,
	.describe = describe_exec,
	.compile = compile_exec,
	.score = score_exec,
	.free = free_exec,
};
