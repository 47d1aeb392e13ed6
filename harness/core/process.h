#ifndef PE_PROCESS_H
#define PE_PROCESS_H
/*
 * Local programs: starting one without a shell as the leader of a process
 * group of its own, and ending it with everything it started.  The exec
 * provider (harness/providers/exec.c, driven by the network loop) and the
 * check workers (evaluators/workers.c, driven by a scoring thread) both
 * run programs this way; how each waits for its program is its own.
 *
 * A program's stdin is one end of a socket pair, so that writing to a
 * program that is gone (with send and MSG_NOSIGNAL) raises no SIGPIPE and
 * no process-wide signal setting changes; its stdout is a pipe; its
 * stderr is ours.  Every other descriptor is closed in the program, and
 * ours are close-on-exec, so programs running side by side do not
 * inherit each other's pipes.
 *
 * NEEDSWORK: a program that moves a child into another process group or
 * session (setsid, a daemon) takes that child out of reach of
 * pe_process_kill_group.
 */
#include <sys/types.h>

/* A running program and our ends of its stdin and stdout. */
struct pe_process {
	pid_t pid;  /* the group's leader, or 0 */
	int in_fd;  /* its stdin (a socket), non-blocking, or -1 */
	int out_fd; /* its stdout (a pipe), non-blocking, or -1 */
	int pidfd;  /* readable once it ends, or -1 where the kernel has none */
};

/*
 * Starts argv (argv[0] looked up in PATH) in dir (NULL: ours) as the
 * leader of a new process group.  Returns 0, or an errno value with p
 * holding nothing to release.
 */
int pe_process_start(struct pe_process *p, char *const *argv, const char *dir);

/* Closes *fd when it is open, and sets it to -1. */
void pe_fd_close(int *fd);

/*
 * True once the leader has ended, or cannot be waited for (reaping then
 * says why).  It is not reaped here: its zombie keeps the group's id from
 * being reused until the group is killed.
 */
int pe_process_ended(const struct pe_process *p);

/* Kills the leader's whole process group with SIGKILL. */
void pe_process_kill_group(pid_t pid);

#endif
