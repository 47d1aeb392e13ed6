/*
 * fakellm: a single-threaded epoll HTTP/1.1 server on 127.0.0.1 that
 * answers chat requests like OpenAI, Anthropic, Gemini and Ollama do, with
 * faults injected from a seeded PRNG or a script.  See README.md.
 *
 * Design: every connection has an input buffer (requests, possibly
 * pipelined) and an output buffer (responses).  A request is decided the
 * moment it is complete: the fault, the status and the whole response are
 * computed and logged then.  A response that must wait (latency, jitter,
 * slow faults, script delays, paced streams) parks its connection in a
 * min-heap of timers; epoll_wait sleeps until the earliest one is due, so
 * nothing ever blocks the loop.  Signals arrive through a signalfd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

/* Options */

static void usage(FILE *f)
{
	fputs("usage: fakellm --port-file FILE [--port N] [--latency-ms N] "
	      "[--jitter-ms N]\n"
	      "               [--seed N] [--fault-429 RATE] [--fault-500 RATE] "
	      "[--fault-529 RATE]\n"
	      "               [--fault-drop RATE] [--fault-truncate RATE] "
	      "[--fault-slow RATE]\n"
	      "               [--slow-ms N] [--retry-after S] "
	      "[--retry-after-ms N] [--quota-after N]\n"
	      "               [--stream-interval-ms N]\n"
	      "               [--script FILE.jsonl] [--log FILE]\n"
	      "RATE is a probability in 0..1; see tests/fakellm/README.md.\n",
	      f);
}

static int bad_option(const char *name, const char *value)
{
	fprintf(stderr, "fakellm: error: invalid value '%s' for --%s\n", value,
		name);
	usage(stderr);
	return -1;
}

enum {
	OPT_PORT_FILE = 256,
	OPT_PORT,
	OPT_LATENCY,
	OPT_JITTER,
	OPT_SEED,
	OPT_F429,
	OPT_F500,
	OPT_F529,
	OPT_FDROP,
	OPT_FTRUNC,
	OPT_FSLOW,
	OPT_SLOW_MS,
	OPT_RETRY_AFTER,
	OPT_RETRY_AFTER_MS,
	OPT_QUOTA,
	OPT_SCRIPT,
	OPT_LOG,
	OPT_STREAM_INTERVAL,
	OPT_HELP
};

static const struct option long_options[] = {
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "latency-ms", required_argument, NULL, OPT_LATENCY },
	{ "jitter-ms", required_argument, NULL, OPT_JITTER },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "fault-429", required_argument, NULL, OPT_F429 },
	{ "fault-500", required_argument, NULL, OPT_F500 },
	{ "fault-529", required_argument, NULL, OPT_F529 },
	{ "fault-drop", required_argument, NULL, OPT_FDROP },
	{ "fault-truncate", required_argument, NULL, OPT_FTRUNC },
	{ "fault-slow", required_argument, NULL, OPT_FSLOW },
	{ "slow-ms", required_argument, NULL, OPT_SLOW_MS },
	{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
	{ "retry-after-ms", required_argument, NULL, OPT_RETRY_AFTER_MS },
	{ "quota-after", required_argument, NULL, OPT_QUOTA },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "stream-interval-ms", required_argument, NULL, OPT_STREAM_INTERVAL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static int parse_ms(const char *name, const char *value, long *out)
{
	return fl_parse_long(value, 0, MAX_DELAY_MS, out)
		       ? bad_option(name, value)
		       : 0;
}

static int parse_rate(const char *name, const char *value, double *out)
{
	return fl_parse_double(value, 0, 1, out) ? bad_option(name, value) : 0;
}

static int set_option(struct options *o, int opt, const char *arg)
{
	const char *name = NULL;
	size_t i;

	for (i = 0; long_options[i].name; i++)
		if (long_options[i].val == opt)
			name = long_options[i].name;
	switch (opt) {
	case OPT_PORT_FILE:
		o->port_file = arg;
		return *arg ? 0 : bad_option(name, arg);
	case OPT_PORT:
		return fl_parse_long(arg, 0, 65535, &o->port)
			       ? bad_option(name, arg)
			       : 0;
	case OPT_LATENCY:
		return parse_ms(name, arg, &o->latency_ms);
	case OPT_JITTER:
		return parse_ms(name, arg, &o->jitter_ms);
	case OPT_SLOW_MS:
		return parse_ms(name, arg, &o->slow_ms);
	case OPT_STREAM_INTERVAL:
		return parse_ms(name, arg, &o->stream_interval_ms);
	case OPT_RETRY_AFTER_MS:
		return parse_ms(name, arg, &o->retry_after_ms);
	case OPT_SEED:
	case OPT_QUOTA:
		return fl_parse_long(arg, 0, 0x7fffffffffffffffL,
				     opt == OPT_SEED ? &o->seed
						     : &o->quota_after)
			       ? bad_option(name, arg)
			       : 0;
	case OPT_F429:
	case OPT_F500:
	case OPT_F529:
	case OPT_FDROP:
	case OPT_FTRUNC:
	case OPT_FSLOW:
		return parse_rate(name, arg, &o->rate[opt - OPT_F429]);
	case OPT_RETRY_AFTER:
		return fl_parse_double(arg, 0, 86400, &o->retry_after_s)
			       ? bad_option(name, arg)
			       : 0;
	case OPT_SCRIPT:
		o->script_path = arg;
		return 0;
	case OPT_LOG:
		o->log_path = arg;
		return 0;
	default:
		usage(stderr);
		return -1;
	}
}

/* Parses argv into o; returns 0, 1 for --help, or -1 after a message. */
static int parse_options(struct options *o, int argc, char **argv)
{
	int opt;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->slow_ms = 2000;
	o->retry_after_s = 1;
	o->retry_after_ms = -1;
	o->quota_after = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP)
			return 1;
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "fakellm: error: bad option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return -1;
		}
		if (set_option(o, opt, optarg))
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "fakellm: error: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return -1;
	}
	if (!o->port_file) {
		fputs("fakellm: error: --port-file is required\n", stderr);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Listening and the loop */

/*
 * Writes "PORT\n" to path: atomically through a temporary file and rename,
 * or straight into path when it is a FIFO that a test is reading.
 */
static int write_port_file(const char *path, int port)
{
	struct fl_buf tmp;
	char text[16];
	int fd, n, ok;
	struct stat st;

	/*
	 * A FIFO is written in place: a test that reads it blocks until the
	 * server listens, with no polling or sleeping.
	 */
	if (!stat(path, &st) && S_ISFIFO(st.st_mode)) {
		n = snprintf(text, sizeof(text), "%d\n", port);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		ok = fd >= 0 && write(fd, text, (size_t)n) == n;
		if (fd >= 0)
			close(fd);
		if (!ok)
			fprintf(stderr, "fakellm: %s: error: %s\n", path,
				strerror(errno));
		return ok ? 0 : -1;
	}
	fl_buf_init(&tmp);
	fl_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	n = snprintf(text, sizeof(text), "%d\n", port);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = fd >= 0 && write(fd, text, (size_t)n) == n;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok && rename(tmp.data, path) < 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "fakellm: %s: error: %s\n", path,
			strerror(errno));
		unlink(tmp.data);
	}
	fl_buf_release(&tmp);
	return ok ? 0 : -1;
}

/* Binds 127.0.0.1:port (0: any free port); returns the bound port. */
static int open_listener(struct server *s)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	int one = 1;

	s->listen_fd =
		socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return -1;
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)s->opt.port);
	if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(s->listen_fd, 4096) < 0 ||
	    getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) < 0)
		return -1;
	return ntohs(addr.sin_port);
}

static int add_to_epoll(struct server *s, int fd, void *tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int setup(struct server *s)
{
	sigset_t mask;
	int port;

	raise_fd_limit();
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->signal_fd < 0 || s->epfd < 0) {
		perror("fakellm: error: setup");
		return -1;
	}
	port = open_listener(s);
	if (port < 0) {
		fprintf(stderr,
			"fakellm: error: cannot listen on 127.0.0.1:%ld: %s\n",
			s->opt.port, strerror(errno));
		return -1;
	}
	if (add_to_epoll(s, s->listen_fd, &s->listen_fd) ||
	    add_to_epoll(s, s->signal_fd, &s->signal_fd)) {
		perror("fakellm: error: epoll_ctl");
		return -1;
	}
	return write_port_file(s->opt.port_file, port);
}

static int run(struct server *s)
{
	struct epoll_event events[MAX_EVENTS];

	while (!s->stopping) {
		int i, n = epoll_wait(s->epfd, events, MAX_EVENTS,
				      fl_next_timeout_ms(s));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("fakellm: error: epoll_wait");
			return -1;
		}
		for (i = 0; i < n; i++) {
			void *tag = events[i].data.ptr;

			if (tag == &s->listen_fd) {
				fl_accept_all(s);
			} else if (tag == &s->signal_fd) {
				struct signalfd_siginfo info;

				if (read(s->signal_fd, &info, sizeof(info)) > 0)
					s->stopping = 1;
			} else {
				fl_on_event(tag, events[i].events);
			}
		}
		fl_fire_timers(s);
	}
	return 0;
}

static void server_init(struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->epfd = s->listen_fd = s->signal_fd = s->reserve_fd = -1;
	fl_buf_init(&s->answer);
	fl_buf_init(&s->line);
	clock_gettime(CLOCK_MONOTONIC, &s->start);
}

static void server_release(struct server *s)
{
	size_t i;

	/* Send what is queued, such as the reply to /_shutdown, then close. */
	while (s->conns) {
		fl_flush_out(s->conns);
		fl_conn_close(s->conns);
	}
	fl_clear_log(s);
	free(s->log);
	free(s->heap);
	free(s->bodies.slots);
	for (i = 0; i < s->nrules; i++)
		fl_rule_release(&s->rules[i]);
	free(s->rules);
	fl_buf_release(&s->answer);
	fl_buf_release(&s->line);
	if (s->log_file)
		fclose(s->log_file);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	if (s->epfd >= 0)
		close(s->epfd);
}

/* Removes a stale or finished port file, but never a test's FIFO. */
static void remove_port_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
}

int main(int argc, char **argv)
{
	struct server s;
	int rc;

	server_init(&s);
	rc = parse_options(&s.opt, argc, argv);
	if (rc) {
		if (rc > 0)
			usage(stdout);
		return rc > 0 ? 0 : 2;
	}
	fl_rng_seed(&s.fault_rng, (uint64_t)s.opt.seed);
	remove_port_file(s.opt.port_file);
	if (s.opt.script_path && fl_load_script(&s, s.opt.script_path)) {
		server_release(&s);
		return 2;
	}
	if (s.opt.log_path) {
		s.log_file = fopen(s.opt.log_path, "w");
		if (!s.log_file) {
			fprintf(stderr, "fakellm: %s: error: %s\n",
				s.opt.log_path, strerror(errno));
			server_release(&s);
			return 1;
		}
	}
	rc = setup(&s) || run(&s);
	remove_port_file(s.opt.port_file);
	server_release(&s);
	return rc ? 1 : 0;
}
