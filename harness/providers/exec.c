/*
 * The exec provider: runs a local program directly (never through a
 * shell) with the request JSON, as OpenAI's Chat Completions API would
 * get it, on stdin, and takes its stdout as the answer.  stderr is the
 * program's own: it goes where prompteval's goes.
 *
 * A call never blocks.  The program's stdin is one end of a socket pair,
 * written with send(MSG_NOSIGNAL) so that a program that exits without
 * reading its input raises no SIGPIPE and no process-wide signal setting
 * is changed; its stdout is a pipe.  Both are non-blocking on our side
 * and moved on whenever the runner's loop wakes, so a program that
 * writes more than a pipe holds before it reads its input cannot
 * deadlock, and many programs run at once beside the HTTP transfers.
 * The loop waits on the two descriptors and on a pidfd that becomes
 * readable when the program exits (or, where the kernel has none, wakes
 * every few milliseconds to look).
 *
 * The program runs in a process group of its own, and the whole group is
 * killed with SIGKILL when the program outlives the timeout (whether it
 * still writes, has closed its stdout, or never reads its input), writes
 * more than 16 MiB, is cancelled, or ends: nothing it started outlives
 * it, and a background child that keeps its stdout open does not hold
 * the answer back.  The group is killed before the program is reaped, so
 * its id cannot have been reused.  Starting the program and killing its
 * group are harness/core/process.h's, shared with the check workers
 * (which says what a program that leaves its group escapes).
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include "harness/providers/provider.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/process.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	MAX_EXEC_OUTPUT = 16 * 1024 * 1024,
	REAP_POLL_MS = 5 /* how often to look for the exit without a pidfd */
};

struct pe_local_call {
	char *program; /* argv[0], for messages */
	/* in_fd is -1 once all input is sent, out_fd after its EOF. */
	struct pe_process proc;
	char *input;
	size_t input_len;
	size_t input_sent;
	struct pe_buf output;
	double started_ms;
	double deadline_ms; /* 0: no timeout */
	long timeout_ms;
	double recheck_ms;   /* when to look for the exit again, or 0 */
	const char *problem; /* why it was killed, or NULL */
	int status;	     /* from waitpid */
};

static void write_body(struct pe_buf *body, const struct pe_chat_request *req,
		       const struct pe_schema *schema)
{
	pe_provider_find("openai")->write_body(body, req, schema);
}

static int exec_start(const struct pe_local_spec *spec,
		      const struct pe_chat_request *req, const char *body,
		      size_t body_len, double now_ms,
		      struct pe_local_call **out_call,
		      struct pe_local_result *result, char *err, size_t errsize)
{
	struct pe_local_call *c;
	int rc;

	(void)req;
	(void)result;
	if (!spec->argv || !spec->argv[0]) {
		snprintf(err, errsize, "exec: needs a command");
		return PE_ERR_INVALID;
	}
	c = xcalloc(1, sizeof(*c));
	rc = pe_process_start(&c->proc, spec->argv, NULL);
	if (rc) {
		snprintf(err, errsize, "exec %s: cannot start: %s",
			 spec->argv[0], strerror(rc));
		free(c);
		return PE_ERR_IO;
	}
	c->program = xstrdup(spec->argv[0]);
	c->input = xstrndup(body ? body : "", body_len);
	c->input_len = body_len;
	pe_buf_init(&c->output, MAX_EXEC_OUTPUT);
	c->started_ms = now_ms;
	c->timeout_ms = spec->timeout_ms;
	c->deadline_ms =
		spec->timeout_ms > 0 ? now_ms + (double)spec->timeout_ms : 0;
	*out_call = c;
	return PE_OK;
}

static size_t exec_fds(const struct pe_local_call *c, struct pollfd *fds,
		       size_t max, double *due_ms)
{
	size_t n = 0;

	if (c->proc.in_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->proc.in_fd, POLLOUT, 0 };
	if (c->proc.out_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->proc.out_fd, POLLIN, 0 };
	if (c->proc.pidfd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->proc.pidfd, POLLIN, 0 };
	if (c->deadline_ms > 0 && !c->problem && c->deadline_ms < *due_ms)
		*due_ms = c->deadline_ms;
	if (c->recheck_ms > 0 && c->recheck_ms < *due_ms)
		*due_ms = c->recheck_ms;
	return n;
}

/* Kills the program's group for why; the exit is reaped as usual. */
static void stop(struct pe_local_call *c, const char *why)
{
	if (c->problem)
		return;
	c->problem = why;
	pe_process_kill_group(c->proc.pid);
	pe_fd_close(&c->proc.in_fd);
	pe_fd_close(&c->proc.out_fd);
}

/* Sends what the socket takes; a program that stopped reading is fine. */
static void feed(struct pe_local_call *c)
{
	while (c->proc.in_fd >= 0 && c->input_sent < c->input_len) {
		ssize_t n = send(c->proc.in_fd, c->input + c->input_sent,
				 c->input_len - c->input_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			pe_fd_close(&c->proc.in_fd);
			return;
		}
		c->input_sent += (size_t)n;
	}
	pe_fd_close(
		&c->proc.in_fd); /* all sent: the program sees end of input */
}

static void drain(struct pe_local_call *c)
{
	char chunk[65536];

	while (c->proc.out_fd >= 0) {
		ssize_t n = read(c->proc.out_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			pe_fd_close(&c->proc.out_fd);
			return;
		}
		if (pe_buf_add(&c->output, chunk, (size_t)n))
			stop(c, "output larger than 16 MiB");
	}
}

/* The error for how the program ended, or NULL for a clean exit. */
static char *describe_exit(const struct pe_local_call *c)
{
	const char *name;

	if (c->problem && !strcmp(c->problem, "timed out"))
		return xstrfmt("exec %s: timed out after %g s", c->program,
			       (double)c->timeout_ms / 1000.0);
	if (c->problem)
		return xstrfmt("exec %s: %s", c->program, c->problem);
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status)
			       ? xstrfmt("exec %s: exited with status %d",
					 c->program, WEXITSTATUS(c->status))
			       : NULL;
	if (WIFSIGNALED(c->status)) {
		name = sigabbrev_np(WTERMSIG(c->status));
		return xstrfmt("exec %s: killed by signal %d (SIG%s)",
			       c->program, WTERMSIG(c->status),
			       name ? name : "?");
	}
	return xstrfmt("exec %s: ended abnormally", c->program);
}

static void free_call(struct pe_local_call *c)
{
	pe_fd_close(&c->proc.in_fd);
	pe_fd_close(&c->proc.out_fd);
	pe_fd_close(&c->proc.pidfd);
	pe_buf_release(&c->output);
	free(c->input);
	free(c->program);
	free(c);
}

static int exec_step(struct pe_local_call *c, double now_ms,
		     struct pe_local_result *out)
{
	pid_t got;

	if (c->deadline_ms > 0 && now_ms >= c->deadline_ms)
		stop(c, "timed out");
	feed(c);
	drain(c);
	c->recheck_ms = 0;
	if (!pe_process_ended(&c->proc)) {
		if (c->proc.pidfd < 0)
			c->recheck_ms = now_ms + REAP_POLL_MS;
		return 0;
	}
	/* What it wrote is in the pipe; what it left running is ended. */
	drain(c);
	pe_process_kill_group(c->proc.pid);
	pe_fd_close(&c->proc.in_fd);
	pe_fd_close(&c->proc.out_fd);
	do
		got = waitpid(c->proc.pid, &c->status, 0);
	while (got < 0 && errno == EINTR);
	memset(out, 0, sizeof(*out));
	out->error = got < 0 ? xstrfmt("exec %s: cannot wait for it: %s",
				       c->program, strerror(errno))
			     : describe_exit(c);
	if (!out->error)
		out->output = pe_buf_detach(&c->output, &out->output_len);
	out->total_ms = now_ms - c->started_ms;
	free_call(c);
	return 1;
}

static void exec_cancel(struct pe_local_call *c)
{
	pe_process_kill_group(c->proc.pid);
	while (waitpid(c->proc.pid, NULL, 0) < 0 && errno == EINTR)
		;
	free_call(c);
}

/* "exec:CMD ARGS", or an alias's argv list: a local program. */
const struct pe_provider_ops pe_exec_ops = {
	.name = "exec",
	.model_is_command = 1,
	.write_body = write_body,
	.local_start = exec_start,
	.local_fds = exec_fds,
	.local_step = exec_step,
	.local_cancel = exec_cancel,
};
