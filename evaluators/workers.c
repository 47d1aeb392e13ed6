/*
 * The check workers (see workers.h).  The pool is a fixed array of
 * slots behind one mutex: a check waits on the condition variable until
 * a slot is free, takes it, and runs with no lock held; the slot's
 * python worker is used only by the thread that holds the slot.
 *
 * A process is spawned with posix_spawn, never through a shell, as the
 * leader of a new process group, with every descriptor but its stdin
 * (one end of a socket pair, written with MSG_NOSIGNAL so that a process
 * that is gone raises no SIGPIPE), its stdout (a pipe) and its stderr
 * (ours) closed.  The thread that runs the check waits in poll() on the
 * two and on a pidfd that becomes readable when the leader exits (where
 * the kernel has none, it wakes every few milliseconds to look), up to
 * the check's deadline, then kills the whole group with SIGKILL and
 * reaps the leader.  The group is killed before the leader is reaped,
 * so its id cannot have been reused.
 *
 * Programs are started and their groups killed as the exec provider's
 * are (harness/core/process.h).
 *
 * NEEDSWORK: a check that moves a child into another process group or
 * session (setsid, a daemon) takes that child out of reach, and a
 * python worker running a check when prompteval itself is killed with
 * SIGKILL runs on until the check ends (it then reads the end of its
 * input and exits).
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include "evaluators/workers.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/process.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	/* How long a python worker may take to start and say it is ready. */
	WORKER_START_MS = 30000,
	/* How often to look for an exit where the kernel has no pidfd. */
	REAP_POLL_MS = 5,
	/* The most slots a pool has, whatever it is asked for. */
	MAX_SLOTS = 256
};

/* A process and our ends of its stdin and stdout. */
struct slot {
	int busy; /* protected by workers->lock */
	struct pe_process
		python;	     /* used only by the thread that holds the slot */
	unsigned long asked; /* checks sent to it, the tag of the next */
};

struct pe_workers {
	pthread_mutex_t lock;
	pthread_cond_t freed; /* signalled when a slot is given back */
	struct slot *slots;
	size_t size;
	/* Why python checks cannot run, once known; protected by lock. */
	char *no_python;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
 * Kills the group (whatever the leader left running, or the leader
 * itself), closes our ends and reaps the leader; *status gets its wait
 * status (NULL: not wanted).
 */
static void child_stop(struct pe_process *c, int *status)
{
	int st = 0;

	if (!c->pid)
		return;
	pe_process_kill_group(c->pid);
	pe_fd_close(&c->in_fd);
	pe_fd_close(&c->out_fd);
	pe_fd_close(&c->pidfd);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (status)
		*status = st;
	c->pid = 0;
}

/* How an exchange with a process ended. */
enum xfer {
	XFER_DONE,    /* the answer line came, or the program ended */
	XFER_ENDED,   /* the worker ended before its answer line */
	XFER_TIMEOUT, /* the deadline passed */
	XFER_TOO_BIG  /* more than out's maximum */
};

/* Reads what the pipe holds; returns 0, or PE_ERR_LIMIT past the cap. */
static int drain(struct pe_process *c, struct pe_buf *out)
{
	char chunk[65536];

	while (c->out_fd >= 0) {
		ssize_t n = read(c->out_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			pe_fd_close(&c->out_fd);
			return 0;
		}
		if (pe_buf_add(out, chunk, (size_t)n))
			return PE_ERR_LIMIT;
	}
	return 0;
}

/* Sends what the socket takes of input; closes it when done if asked. */
static void feed(struct pe_process *c, const char *input, size_t len,
		 size_t *sent, int close_after)
{
	while (c->in_fd >= 0 && *sent < len) {
		ssize_t n = send(c->in_fd, input + *sent, len - *sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* It stopped reading or is gone; its end says which. */
			pe_fd_close(&c->in_fd);
			return;
		}
		*sent += (size_t)n;
	}
	if (close_after)
		pe_fd_close(&c->in_fd);
}

/*
 * Sends input to c and reads its output into out, until (line) the
 * first newline, or (otherwise) the end of the program, all sent before
 * it ended; or until deadline_ms.  With line unset, stdin is closed once
 * input is sent, so the program sees its end.
 */
static enum xfer exchange(struct pe_process *c, const char *input, size_t len,
			  int line, double deadline_ms, struct pe_buf *out)
{
	size_t sent = 0;

	for (;;) {
		struct pollfd fds[3];
		nfds_t n = 0;
		double left;
		int wait;

		feed(c, input, len, &sent, !line);
		if (drain(c, out))
			return XFER_TOO_BIG;
		if (line && out->len && memchr(out->data, '\n', out->len))
			return XFER_DONE;
		if (pe_process_ended(c)) {
			/* What it wrote before it ended is in the pipe. */
			if (drain(c, out))
				return XFER_TOO_BIG;
			if (!line)
				return XFER_DONE;
			return out->len && memchr(out->data, '\n', out->len)
				       ? XFER_DONE
				       : XFER_ENDED;
		}
		left = deadline_ms - now_ms();
		if (left <= 0)
			return XFER_TIMEOUT;
		if (c->in_fd >= 0 && sent < len)
			fds[n++] = (struct pollfd){ c->in_fd, POLLOUT, 0 };
		if (c->out_fd >= 0)
			fds[n++] = (struct pollfd){ c->out_fd, POLLIN, 0 };
		if (c->pidfd >= 0)
			fds[n++] = (struct pollfd){ c->pidfd, POLLIN, 0 };
		wait = left > 60000 ? 60000 : (int)ceil(left);
		if (c->pidfd < 0 && wait > REAP_POLL_MS)
			wait = REAP_POLL_MS;
		if (poll(fds, n, wait) < 0 && errno != EINTR)
			return XFER_ENDED;
	}
}

/* "exited with status 3", "killed by signal 9 (SIGKILL)". */
static char *describe_status(int status)
{
	const char *name;

	if (WIFEXITED(status))
		return xstrfmt("exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		return xstrfmt("killed by signal %d (SIG%s)", WTERMSIG(status),
			       name ? name : "?");
	}
	return xstrdup("ended abnormally");
}

/* Makes a pool; see workers.h. */
struct pe_workers *pe_workers_new(size_t size)
{
	struct pe_workers *w = xcalloc(1, sizeof(*w));

	if (size < 1)
		size = 1;
	if (size > MAX_SLOTS)
		size = MAX_SLOTS;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->freed, NULL);
	w->slots = xcalloc(size, sizeof(*w->slots));
	w->size = size;
	for (size_t i = 0; i < size; i++)
		w->slots[i].python.in_fd = w->slots[i].python.out_fd =
			w->slots[i].python.pidfd = -1;
	return w;
}

/* Ends every worker and frees the pool; see workers.h. */
void pe_workers_free(struct pe_workers *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->size; i++)
		child_stop(&w->slots[i].python, NULL);
	pthread_cond_destroy(&w->freed);
	pthread_mutex_destroy(&w->lock);
	free(w->slots);
	free(w->no_python);
	free(w);
}

/* The pool size for a run; see workers.h. */
size_t pe_workers_size(long threads, long concurrency)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	long n = threads;

	if (concurrency > 0 && concurrency < n)
		n = concurrency;
	if (cores > 0 && cores < n)
		n = cores;
	return n > 0 ? (size_t)n : 1;
}

/*
 * Waits for a free slot and takes it: for a python check, one whose
 * worker runs when there is one, so that no more workers start than
 * checks run at once.
 */
static struct slot *take_slot(struct pe_workers *w, int python)
{
	struct slot *got = NULL;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		for (size_t i = 0; i < w->size; i++) {
			struct slot *s = &w->slots[i];

			if (s->busy)
				continue;
			if (!got ||
			    (python && s->python.pid && !got->python.pid))
				got = s;
		}
		if (got)
			break;
		pthread_cond_wait(&w->freed, &w->lock);
	}
	got->busy = 1;
	pthread_mutex_unlock(&w->lock);
	return got;
}

static void give_slot(struct pe_workers *w, struct slot *s)
{
	pthread_mutex_lock(&w->lock);
	s->busy = 0;
	pthread_cond_signal(&w->freed);
	pthread_mutex_unlock(&w->lock);
}

/* Why python checks cannot run, copied (NULL: they can, so far). */
static char *python_missing(struct pe_workers *w)
{
	char *why;

	pthread_mutex_lock(&w->lock);
	why = w->no_python ? xstrdup(w->no_python) : NULL;
	pthread_mutex_unlock(&w->lock);
	return why;
}

/* Notes, once, why python checks cannot run; every later one skips. */
static void python_cannot_start(struct pe_workers *w, const char *why)
{
	pthread_mutex_lock(&w->lock);
	if (!w->no_python)
		w->no_python = xstrdup(why);
	pthread_mutex_unlock(&w->lock);
}

/* Starts the slot's python worker; NULL, or why it cannot start. */
static char *start_python(struct pe_process *c)
{
	char *argv[] = { "python3", "-B", "-c", (char *)pe_python_worker,
			 NULL };
	struct pe_buf hello;
	enum xfer x;
	int rc = pe_process_start(c, argv, NULL), status = 0;
	char *how, *why;

	if (rc == ENOENT)
		return xstrdup("python3 is not on PATH");
	if (rc)
		return xstrfmt("cannot start python3: %s", strerror(rc));
	pe_buf_init(&hello, 4096);
	x = exchange(c, "", 0, 1, now_ms() + WORKER_START_MS, &hello);
	if (x == XFER_DONE && !strncmp(pe_buf_str(&hello), "{\"ready\"", 8)) {
		pe_buf_release(&hello);
		return NULL;
	}
	pe_buf_release(&hello);
	child_stop(c, &status);
	if (x == XFER_TIMEOUT)
		return xstrfmt("python3 did not start within %d s",
			       WORKER_START_MS / 1000);
	if (x != XFER_ENDED)
		return xstrdup("python3 cannot run the check worker");
	how = describe_status(status);
	why = xstrfmt("python3 cannot run the check worker: it %s", how);
	free(how);
	return why;
}

/*
 * Takes the answer line, "tag\t{answer}", out of out, leaving the answer;
 * a worker that wrote more than one line, or a line without the check's
 * tag (which the check's own code wrote to the worker's pipe), is out of
 * step, so it is ended and the check fails.
 */
static enum pe_check_run take_line(struct pe_process *c, const char *tag,
				   struct pe_buf *out, char **why)
{
	char *nl = memchr(out->data, '\n', out->len);
	size_t len = (size_t)(nl - out->data), taglen = strlen(tag);

	if (len < taglen || memcmp(out->data, tag, taglen)) {
		child_stop(c, NULL);
		pe_buf_reset(out);
		*why = xstrdup("the python worker's answer is not this "
			       "check's: did the check write to the "
			       "worker's own pipe?");
		return PE_CHECK_FAILED;
	}
	memmove(out->data, out->data + taglen, out->len - taglen);
	out->len -= taglen;
	out->data[out->len] = '\0';
	len -= taglen;
	if (len + 1 != out->len) {
		child_stop(c, NULL);
		*why = xstrdup("the python worker wrote more than its answer");
		return PE_CHECK_FAILED;
	}
	out->data[len] = '\0';
	out->len = len;
	return PE_CHECK_RAN;
}

/* Runs a check on the slot's worker, which runs. */
static enum pe_check_run ask_python(struct pe_process *c, unsigned long id,
				    const char *request, size_t len,
				    long timeout_ms, struct pe_buf *out,
				    char **why)
{
	struct pe_buf line;
	enum xfer x;
	int status = 0;
	char *how, tag[32];

	pe_snprintf(tag, sizeof(tag), "%lu\t", id);
	pe_buf_init(&line, 0);
	pe_buf_adds(&line, tag);
	pe_buf_add(&line, request, len);
	pe_buf_addc(&line, '\n');
	pe_buf_reset(out);
	x = exchange(c, line.data, line.len, 1, now_ms() + (double)timeout_ms,
		     out);
	pe_buf_release(&line);
	if (x == XFER_DONE)
		return take_line(c, tag, out, why);
	child_stop(c, &status);
	pe_buf_reset(out);
	if (x == XFER_TIMEOUT) {
		*why = xstrfmt("timed out after %g s",
			       (double)timeout_ms / 1000.0);
		return PE_CHECK_FAILED;
	}
	if (x == XFER_TOO_BIG) {
		*why = xstrfmt("its answer is larger than %d MiB",
			       PE_CHECK_MAX_OUTPUT / (1024 * 1024));
		return PE_CHECK_FAILED;
	}
	how = describe_status(status);
	*why = xstrfmt("the python worker %s during the check", how);
	free(how);
	return PE_CHECK_FAILED;
}

/* Runs one python check; see workers.h. */
enum pe_check_run pe_workers_python(struct pe_workers *w, const char *request,
				    size_t len, long timeout_ms,
				    struct pe_buf *out, char **why)
{
	struct slot *s;
	enum pe_check_run rc;

	*why = python_missing(w);
	if (*why)
		return PE_CHECK_NOT_RUN;
	s = take_slot(w, 1);
	/* A worker that ended between checks is started again. */
	if (s->python.pid && pe_process_ended(&s->python))
		child_stop(&s->python, NULL);
	if (!s->python.pid) {
		*why = start_python(&s->python);
		if (*why) {
			python_cannot_start(w, *why);
			give_slot(w, s);
			return PE_CHECK_NOT_RUN;
		}
	}
	if (out->max_len == 0 || out->max_len > PE_CHECK_MAX_OUTPUT)
		out->max_len = PE_CHECK_MAX_OUTPUT;
	rc = ask_python(&s->python, ++s->asked, request, len, timeout_ms, out,
			why);
	give_slot(w, s);
	return rc;
}

/* Runs one exec check; see workers.h. */
enum pe_check_run pe_workers_exec(struct pe_workers *w, char *const *argv,
				  const char *dir, const char *input,
				  size_t len, long timeout_ms,
				  struct pe_buf *out, char **why)
{
	struct slot *s = take_slot(w, 0);
	struct pe_process c;
	enum xfer x;
	int rc, status = 0;

	*why = NULL;
	rc = pe_process_start(&c, argv, dir);
	if (rc) {
		give_slot(w, s);
		*why = xstrfmt("cannot start %s: %s", argv[0], strerror(rc));
		return rc == ENOENT ? PE_CHECK_NOT_RUN : PE_CHECK_FAILED;
	}
	if (out->max_len == 0 || out->max_len > PE_CHECK_MAX_OUTPUT)
		out->max_len = PE_CHECK_MAX_OUTPUT;
	pe_buf_reset(out);
	x = exchange(&c, input, len, 0, now_ms() + (double)timeout_ms, out);
	child_stop(&c, &status);
	give_slot(w, s);
	if (x == XFER_TIMEOUT) {
		*why = xstrfmt("%s timed out after %g s", argv[0],
			       (double)timeout_ms / 1000.0);
	} else if (x == XFER_TOO_BIG) {
		*why = xstrfmt("%s printed more than %d MiB", argv[0],
			       PE_CHECK_MAX_OUTPUT / (1024 * 1024));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *how = describe_status(status);

		*why = xstrfmt("%s %s", argv[0], how);
		free(how);
	}
	return *why ? PE_CHECK_FAILED : PE_CHECK_RAN;
}

/* True when path is a file we may execute. */
/* Whether the file at path is an executable file, or is there at all. */
static enum pe_startable executable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return PE_NOT_FOUND;
	return S_ISREG(st.st_mode) && !access(path, X_OK) ? PE_STARTABLE
							  : PE_NOT_EXECUTABLE;
}

/* Whether a program can be started; see workers.h. */
enum pe_startable pe_workers_startable(const char *program, const char *dir)
{
	const char *path = getenv("PATH");
	enum pe_startable best = PE_NOT_FOUND;

	if (strchr(program, '/')) {
		char *full = program[0] == '/' || !dir
				     ? xstrdup(program)
				     : xstrfmt("%s/%s", dir, program);

		best = executable(full);
		free(full);
		return best;
	}
	if (!path)
		path = "/usr/local/bin:/bin:/usr/bin";
	while (best != PE_STARTABLE) {
		size_t n = strcspn(path, ":");
		char *full = n ? xstrfmt("%.*s/%s", (int)n, path, program)
			       : xstrfmt("./%s", program);
		enum pe_startable here = executable(full);

		free(full);
		if (here != PE_NOT_FOUND)
			best = here;
		if (!path[n])
			break;
		path += n + 1;
	}
	return best;
}

/* True when the program can be started; see workers.h. */
int pe_workers_can_start(const char *program, const char *dir)
{
	return pe_workers_startable(program, dir) == PE_STARTABLE;
}

/*
 * The case's variables as a JSON object: the variables mapping, less a
 * flat case's own evaluators.
 */
static void add_vars(struct pe_buf *out, const struct pe_case *c)
{
	size_t n = 0;

	pe_buf_addc(out, '{');
	for (size_t i = 0; c && c->vars && c->vars->kind == PE_NODE_MAP &&
			   i < c->vars->npairs;
	     i++) {
		const struct pe_pair *pair = &c->vars->pairs[i];

		if (c->vars == c->item &&
		    !strcmp(pair->key->text, "evaluators"))
			continue;
		if (n++)
			pe_buf_addc(out, ',');
		pe_json_quote(out, pair->key->text, pair->key->len);
		pe_buf_addc(out, ':');
		if (pe_json_node(out, pair->value))
			pe_buf_adds(out, "null");
	}
	pe_buf_addc(out, '}');
}

/* Appends the members of the JSON a check is given; see workers.h. */
void pe_check_case_json(const struct pe_eval_input *in, struct pe_buf *out)
{
	const struct pe_case *c = in->kase;

	pe_buf_adds(out, "\"output\":");
	pe_json_quote(out, in->output ? in->output : "", in->len);
	pe_buf_adds(out, ",\"expected\":");
	if (!c || !c->expected || pe_json_node(out, c->expected))
		pe_buf_adds(out, "null");
	pe_buf_adds(out, ",\"vars\":");
	add_vars(out, c);
	pe_buf_adds(out, ",\"prompt\":");
	pe_json_str(out, in->prompt ? in->prompt->name : NULL);
	pe_buf_adds(out, ",\"case\":");
	pe_json_str(out, c ? c->id : NULL);
	pe_buf_adds(out, ",\"model\":");
	pe_json_str(out, in->env ? in->env->model : NULL);
}

#define SHAPES "not true, false, a number in [0, 1] or {pass, score, reason}"

static int is_number(const struct pe_node *n)
{
	return n && (n->kind == PE_NODE_INT || n->kind == PE_NODE_FLOAT);
}

static int is_score(const struct pe_node *n)
{
	return is_number(n) && isfinite(n->fval) && n->fval >= 0 &&
	       n->fval <= 1;
}

/* A mapping of pass, score and reason. */
static void read_mapping(const struct pe_node *v, double threshold,
			 const char *verb, const char *shown,
			 struct pe_eval_result *out)
{
	const struct pe_node *pass = pe_node_get(v, "pass");
	const struct pe_node *score = pe_node_get(v, "score");
	const struct pe_node *reason = pe_node_get(v, "reason");
	double s;
	int ok;

	if (reason && reason->kind == PE_NODE_NULL)
		reason = NULL;
	if (!pass && !score) {
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "%s %s, with neither pass nor score", verb,
			      shown);
		return;
	}
	if ((pass && pass->kind != PE_NODE_BOOL) ||
	    (score && !is_score(score)) ||
	    (reason && reason->kind != PE_NODE_STRING)) {
		pe_result_set(out, PE_VERDICT_ERROR, 0, "%s %s: %s", verb,
			      shown,
			      pass && pass->kind != PE_NODE_BOOL
				      ? "pass must be true or false"
			      : score && !is_score(score)
				      ? "score must be a number from 0 to 1"
				      : "reason must be text");
		return;
	}
	ok = pass ? pass->bval : score->fval >= threshold;
	s = score ? score->fval : ok;
	if (reason)
		pe_result_set(out, ok ? PE_VERDICT_PASS : PE_VERDICT_FAIL, s,
			      "%s", reason->text);
	else
		pe_result_set(out, ok ? PE_VERDICT_PASS : PE_VERDICT_FAIL, s,
			      "%s %s", verb, shown);
}

/* Reads what a check gave; see workers.h. */
void pe_check_result(const struct pe_node *v, double threshold,
		     const char *verb, const char *shown,
		     struct pe_eval_result *out)
{
	char *cut = pe_shorten(shown, strlen(shown), 200);

	if (v && v->kind == PE_NODE_BOOL)
		pe_result_set(out, v->bval ? PE_VERDICT_PASS : PE_VERDICT_FAIL,
			      v->bval, "%s %s", verb, cut);
	else if (is_score(v))
		pe_result_set(out,
			      v->fval >= threshold ? PE_VERDICT_PASS
						   : PE_VERDICT_FAIL,
			      v->fval, "%s %s, %s %g", verb, cut,
			      v->fval >= threshold ? "at least" : "below",
			      threshold);
	else if (is_number(v))
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "%s %s: a score must be a number from 0 to 1",
			      verb, cut);
	else if (v && v->kind == PE_NODE_MAP)
		read_mapping(v, threshold, verb, cut, out);
	else
		pe_result_set(out, PE_VERDICT_ERROR, 0, "%s %s, " SHAPES, verb,
			      cut);
	free(cut);
}

/* The error for an object or array the JSON reader refused, e. */
static void refused(const char *verb, const char *shown,
		    const struct pe_diag_entry *e, struct pe_eval_result *out)
{
	char *cut = pe_shorten(shown, strlen(shown), 200);

	pe_result_set(out, PE_VERDICT_ERROR, 0,
		      "%s %s: %s at line %u, column %u", verb, cut, e->message,
		      e->line, e->col);
	free(cut);
}

/* Reads a check's JSON text; see workers.h. */
void pe_check_result_text(const char *text, size_t len, double threshold,
			  const char *verb, struct pe_eval_result *out)
{
	struct pe_mark m = { "check", 1, 1 };
	struct pe_doc *doc = pe_doc_new("check", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	const struct pe_node *v = NULL;
	char *shown;
	size_t start = 0, end = len;

	while (start < end && pe_json_is_space(text[start]))
		start++;
	while (end > start && pe_json_is_space(text[end - 1]))
		end--;
	if (end > start)
		v = pe_json_parse(doc, text + start, end - start, &m, diag);
	if (end > start) {
		/* A NUL in it would end the reason there. */
		struct pe_buf b;

		pe_buf_init(&b, 0);
		pe_buf_add_shown(&b, text + start, end - start);
		shown = pe_buf_detach(&b, NULL);
	} else {
		shown = xstrdup("nothing");
	}
	/*
	 * An object or array the reader refused says why: a key given
	 * twice ({"pass": true, "pass": false}) is no shape to list.
	 */
	if (!v && pe_diag_len(diag) &&
	    (text[start] == '{' || text[start] == '['))
		refused(verb, shown, pe_diag_get(diag, 0), out);
	else
		pe_check_result(v, threshold, verb, shown, out);
	free(shown);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

/* Reads the settings checks share; see workers.h. */
int pe_check_settings_read(const struct pe_node *map, const struct pe_prompt *p,
			   struct pe_check_settings *out, struct pe_diag *diag)
{
	const struct pe_node *timeout = pe_node_get(map, "timeout");
	const struct pe_node *threshold = pe_node_get(map, "threshold");
	int rc = PE_OK;

	out->timeout_ms = 10000;
	out->threshold = 0.5;
	out->dir = NULL;
	if (timeout && (!is_number(timeout) || !(timeout->fval > 0) ||
			timeout->fval > 3600)) {
		pe_diag_error(diag, &timeout->mark,
			      "'timeout' must be a number of seconds above 0, "
			      "at most 3600");
		rc = PE_ERR_INVALID;
	} else if (timeout) {
		out->timeout_ms = (long)ceil(timeout->fval * 1000);
	}
	if (threshold && !is_score(threshold)) {
		pe_diag_error(diag, &threshold->mark,
			      "'threshold' must be a number from 0 to 1");
		rc = PE_ERR_INVALID;
	} else if (threshold && threshold->fval == 0) {
		/*
		 * Every score is at least 0, so 0 passes them all.  A score
		 * is compared with the threshold exactly, so any threshold
		 * above 0 fails a score of 0, and only 0 is refused.
		 */
		pe_diag_error(diag, &threshold->mark,
			      "'threshold: 0' passes every score the check "
			      "returns, so it checks nothing: give a threshold "
			      "above 0 (the default is 0.5)");
		rc = PE_ERR_INVALID;
	} else if (threshold) {
		out->threshold = threshold->fval;
	}
	if (!rc)
		out->dir = pe_path_relative_to(p->path, ".");
	return rc;
}

/* Frees what the settings own. */
void pe_check_settings_release(struct pe_check_settings *s)
{
	free(s->dir);
	s->dir = NULL;
}

/* Sets the verdict of a check that did not finish; see workers.h. */
int pe_check_unfinished(enum pe_check_run status, const char *why,
			struct pe_eval_result *out)
{
	if (status == PE_CHECK_RAN)
		return 0;
	pe_result_set(out,
		      status == PE_CHECK_NOT_RUN ? PE_VERDICT_SKIP
						 : PE_VERDICT_ERROR,
		      0, "%s", why ? why : "the check did not finish");
	return 1;
}
