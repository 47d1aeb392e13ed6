/*
 * Local programs (see process.h): posix_spawn with the group and the
 * descriptors set up, a pidfd to wait on, and the group killed whole.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addchdir_np */
#include "harness/core/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/banned.h"

extern char **environ;

/* Closes a descriptor; see process.h. */
void pe_fd_close(int *fd)
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

/* A close-on-exec pidfd for pid, or -1 where the kernel has none. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

/* Spawns argv in dir as a group leader; returns 0 or an errno value. */
static int spawn(char *const *argv, const char *dir, int in_fd, int out_fd,
		 pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Starts a program; see process.h. */
int pe_process_start(struct pe_process *p, char *const *argv, const char *dir)
{
	int in[2], out[2], rc;

	memset(p, 0, sizeof(*p));
	p->in_fd = p->out_fd = p->pidfd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in))
		return errno;
	if (pipe2(out, O_CLOEXEC)) {
		rc = errno;
		close(in[0]), close(in[1]);
		return rc;
	}
	rc = spawn(argv, dir, in[1], out[1], &p->pid);
	close(in[1]);
	close(out[1]);
	p->in_fd = in[0];
	p->out_fd = out[0];
	if (!rc && (set_nonblocking(p->in_fd) || set_nonblocking(p->out_fd))) {
		rc = errno;
		pe_process_kill_group(p->pid);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (rc) {
		pe_fd_close(&p->in_fd);
		pe_fd_close(&p->out_fd);
		p->pid = 0;
		return rc;
	}
	p->pidfd = open_pidfd(p->pid);
	return 0;
}

/* Whether the leader has ended; see process.h. */
int pe_process_ended(const struct pe_process *p)
{
	siginfo_t info;
	int rc;

	memset(&info, 0, sizeof(info));
	do
		rc = waitid(P_PID, (id_t)p->pid, &info,
			    WEXITED | WNOHANG | WNOWAIT);
	while (rc < 0 && errno == EINTR);
	return rc < 0 || info.si_pid != 0;
}

/* Kills a process group; see process.h. */
void pe_process_kill_group(pid_t pid)
{
	if (kill(-pid, SIGKILL) && errno == ESRCH)
		kill(pid, SIGKILL);
}
