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
 * its id cannot have been reused.  Every descriptor is close-on-exec, so
 * programs running side by side do not inherit each other's pipes.
 *
 * NEEDSWORK: a program that moves a child into another process group or
 * session (setsid, a daemon) takes that child out of reach.
 */
#define _GNU_SOURCE /* pipe2, sigabbrev_np */
#include "harness/providers/provider.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

extern char **environ;

enum {
	MAX_EXEC_OUTPUT = 16 * 1024 * 1024,
	REAP_POLL_MS = 5 /* how often to look for the exit without a pidfd */
};

struct pe_local_call {
	char *program; /* argv[0], for messages */
	pid_t pid;
	int in_fd;  /* our end of the program's stdin, or -1 once closed */
	int out_fd; /* the program's stdout, or -1 after EOF */
	int pidfd;  /* readable once the program exits, or -1 */
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

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/*
 * Spawns the program, the leader of a new process group, with stdin and
 * stdout on in[1] and out[1].
 */
static int spawn(char *const *argv, int in_fd, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Kills the program and everything in its process group. */
static void kill_group(pid_t pid)
{
	if (kill(-pid, SIGKILL) && errno == ESRCH)
		kill(pid, SIGKILL);
}

static int exec_start(const struct pe_local_spec *spec,
		      const struct pe_chat_request *req, const char *body,
		      size_t body_len, double now_ms,
		      struct pe_local_call **out_call,
		      struct pe_local_result *result, char *err, size_t errsize)
{
	struct pe_local_call *c;
	int in[2], out[2], rc;

	(void)req;
	(void)result;
	if (!spec->argv || !spec->argv[0]) {
		snprintf(err, errsize, "exec: needs a command");
		return PE_ERR_INVALID;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in)) {
		snprintf(err, errsize, "exec %s: cannot make a socket: %s",
			 spec->argv[0], strerror(errno));
		return PE_ERR_IO;
	}
	if (pipe2(out, O_CLOEXEC)) {
		snprintf(err, errsize, "exec %s: cannot make a pipe: %s",
			 spec->argv[0], strerror(errno));
		close(in[0]), close(in[1]);
		return PE_ERR_IO;
	}
	c = xcalloc(1, sizeof(*c));
	rc = spawn(spec->argv, in[1], out[1], &c->pid);
	close(in[1]);
	close(out[1]);
	if (rc || set_nonblocking(in[0]) || set_nonblocking(out[0])) {
		snprintf(err, errsize, "exec %s: cannot start: %s",
			 spec->argv[0], strerror(rc ? rc : errno));
		close(in[0]), close(out[0]);
		if (!rc) {
			kill_group(c->pid);
			waitpid(c->pid, NULL, 0);
		}
		free(c);
		return PE_ERR_IO;
	}
	c->program = xstrdup(spec->argv[0]);
	c->in_fd = in[0];
	c->out_fd = out[0];
	c->pidfd = open_pidfd(c->pid);
	if (c->pidfd >= 0)
		fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
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

	if (c->in_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->in_fd, POLLOUT, 0 };
	if (c->out_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->out_fd, POLLIN, 0 };
	if (c->pidfd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->pidfd, POLLIN, 0 };
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
	kill_group(c->pid);
	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
}

/* Sends what the socket takes; a program that stopped reading is fine. */
static void feed(struct pe_local_call *c)
{
	while (c->in_fd >= 0 && c->input_sent < c->input_len) {
		ssize_t n = send(c->in_fd, c->input + c->input_sent,
				 c->input_len - c->input_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_fd(&c->in_fd);
			return;
		}
		c->input_sent += (size_t)n;
	}
	close_fd(&c->in_fd); /* all sent: the program sees end of input */
}

static void drain(struct pe_local_call *c)
{
	char chunk[65536];

	while (c->out_fd >= 0) {
		ssize_t n = read(c->out_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close_fd(&c->out_fd);
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
	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
	close_fd(&c->pidfd);
	pe_buf_release(&c->output);
	free(c->input);
	free(c->program);
	free(c);
}

/*
 * True once the program has ended, or cannot be waited for (then the
 * reaping says why).  It is not reaped here: its zombie keeps the
 * process group's id from being reused until the group is killed.
 */
static int has_ended(const struct pe_local_call *c)
{
	siginfo_t info;
	int rc;

	memset(&info, 0, sizeof(info));
	do
		rc = waitid(P_PID, (id_t)c->pid, &info,
			    WEXITED | WNOHANG | WNOWAIT);
	while (rc < 0 && errno == EINTR);
	return rc < 0 || info.si_pid != 0;
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
	if (!has_ended(c)) {
		if (c->pidfd < 0)
			c->recheck_ms = now_ms + REAP_POLL_MS;
		return 0;
	}
	/* What it wrote is in the pipe; what it left running is ended. */
	drain(c);
	kill_group(c->pid);
	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
	do
		got = waitpid(c->pid, &c->status, 0);
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
	kill_group(c->pid);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
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
