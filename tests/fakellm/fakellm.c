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
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fakellm.h"

enum {
	MAX_HEAD_BYTES = 64 * 1024,
	MAX_BODY_BYTES = 16 * 1024 * 1024,
	MAX_OUT_PENDING = 4 * 1024 * 1024, /* stop reading above this */
	MAX_LOG_ENTRIES = 1000000,
	READ_CHUNK = 64 * 1024,
	MAX_EVENTS = 256,
	MODEL_CAP = 256
};

enum fault {
	FAULT_NONE,
	FAULT_429,
	FAULT_500,
	FAULT_529,
	FAULT_DROP,
	FAULT_TRUNCATE,
	FAULT_SLOW,
	FAULT_SCRIPT,
	FAULT_QUOTA,
	FAULT_COUNT
};

static const char *const fault_names[FAULT_COUNT] = {
	NULL,	    "429",  "500",    "529",   "drop",
	"truncate", "slow", "script", "quota",
};

/* Draws per request: one per rate, then the jitter. */
enum { DRAW_429, DRAW_500, DRAW_529, DRAW_DROP, DRAW_TRUNCATE, DRAW_SLOW,
       DRAW_JITTER, DRAW_COUNT };

struct options {
	const char *port_file;
	long port;
	long latency_ms;
	long jitter_ms;
	long slow_ms;
	long seed;
	long quota_after; /* -1: no quota */
	long stream_interval_ms;
	double rate[DRAW_JITTER]; /* indexed by DRAW_* */
	double retry_after_s;
	const char *script_path;
	const char *log_path;
};

/* One line of --script. */
struct rule {
	char *match; /* substring of the body, or NULL */
	char *path;  /* prefix of the request target, or NULL */
	long nth;    /* 0: any */
	long times;  /* 0: unlimited */
	int status;  /* 0: not given */
	int has_headers;
	struct fl_buf headers; /* "Name: value\r\n" lines */
	char *retry_after;     /* JSON text of a scripted Retry-After */
	char *body;	       /* raw body, or NULL */
	size_t body_len;
	char *reply; /* answer text to wrap, or NULL */
	long delay_ms; /* -1: not given */
	enum fault fault; /* FAULT_NONE, FAULT_DROP or FAULT_TRUNCATE */
	unsigned long matches;
};

struct log_entry {
	unsigned long seq;
	double t_ms;
	char method[16];
	char *path;
	uint64_t body_hash;
	int status; /* 0 when the connection was dropped */
	enum fault fault;
	char *retry_after; /* JSON text, or NULL */
	long delay_ms;
};

/* How often each distinct body was seen, and answered successfully. */
struct body_slot {
	uint64_t hash;
	unsigned long count;
	unsigned long served;
	int used;
};

struct body_table {
	struct body_slot *slots;
	size_t cap; /* a power of two */
	size_t used;
};

enum route_kind {
	ROUTE_NOT_FOUND,
	ROUTE_BAD_METHOD,
	ROUTE_CHAT,
	ROUTE_STATS,
	ROUTE_LOG,
	ROUTE_RESET,
	ROUTE_SHUTDOWN,
	ROUTE_HEALTH
};

struct route {
	enum route_kind kind;
	enum fl_provider provider;
	char model[MODEL_CAP]; /* Gemini's model from the path */
	int stream_path;
	int sse;
};

struct request {
	char method[16];
	struct fl_buf target;
	size_t head_len;
	size_t content_length;
	int chunked;
	int http10;
	int keep_alive;
	int expect_continue;
	int has_api_key;
	int has_anthropic_version;
	struct route route;
};

struct server;

struct conn {
	struct server *srv;
	int fd;
	uint32_t events; /* the epoll interest now registered */
	struct conn *prev, *next;
	struct fl_buf in;
	struct fl_buf out;
	size_t out_off; /* bytes of out already sent */
	/* The request being read. */
	int have_head;
	size_t head_scan;
	struct request req;
	struct fl_buf chunked_body;
	size_t chunk_pos;
	int in_trailer;
	int continue_sent;
	/* The response being sent. */
	int busy; /* a response waits for its timer */
	size_t heap_index;
	uint64_t due_ms;
	struct fl_response resp;
	size_t next_seg;
	int started;
	int truncate;
	int drop;
	int close_after; /* close once out is sent */
	int peer_closed;
	int dead;
};

struct server {
	struct options opt;
	int epfd;
	int listen_fd;
	int signal_fd;
	int reserve_fd; /* spare descriptor for EMFILE */
	struct timespec start;
	struct fl_rng fault_rng;
	struct rule *rules;
	size_t nrules;
	struct conn **heap;
	size_t nheap;
	size_t heapcap;
	struct conn *conns;
	unsigned long seq;
	unsigned long successes;
	unsigned long status_count[600];
	unsigned long dropped;
	unsigned long fault_count[FAULT_COUNT];
	struct body_table bodies;
	struct log_entry *log;
	size_t nlog;
	size_t logcap;
	unsigned long log_overflow;
	FILE *log_file;
	struct fl_buf answer;
	struct fl_buf line;
	int stopping;
};

/* ------------------------------------------------------------------ */
/* Options */

static void usage(FILE *f)
{
	fputs("usage: fakellm --port-file FILE [--port N] [--latency-ms N] "
	      "[--jitter-ms N]\n"
	      "               [--seed N] [--fault-429 RATE] [--fault-500 RATE] "
	      "[--fault-529 RATE]\n"
	      "               [--fault-drop RATE] [--fault-truncate RATE] "
	      "[--fault-slow RATE]\n"
	      "               [--slow-ms N] [--retry-after S] [--quota-after N] "
	      "[--stream-interval-ms N]\n"
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
	{ "quota-after", required_argument, NULL, OPT_QUOTA },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "stream-interval-ms", required_argument, NULL, OPT_STREAM_INTERVAL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static const long MAX_MS = 86400000L;

static int parse_ms(const char *name, const char *value, long *out)
{
	return fl_parse_long(value, 0, MAX_MS, out) ? bad_option(name, value)
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
	o->quota_after = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) !=
	       -1) {
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

/* ------------------------------------------------------------------ */
/* Script */

static int script_error(const char *path, size_t line, const char *msg)
{
	fprintf(stderr, "fakellm: %s:%zu: error: %s\n", path, line, msg);
	return -1;
}

static int is_token_char(int c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static int add_rule_header(struct rule *r, const char *name,
			   const cJSON *value)
{
	char num[64];
	const char *v = num, *p;

	if (cJSON_IsString(value))
		v = value->valuestring;
	else if (cJSON_IsNumber(value))
		snprintf(num, sizeof(num), "%g", value->valuedouble);
	else
		return -1;
	for (p = name; *p; p++)
		if (!is_token_char((unsigned char)*p))
			return -1;
	if (!*name || strpbrk(v, "\r\n"))
		return -1;
	fl_buf_addf(&r->headers, "%s: %s\r\n", name, v);
	if (!strcasecmp(name, "Retry-After")) {
		double d;
		struct fl_buf json;

		free(r->retry_after);
		fl_buf_init(&json);
		if (!fl_parse_double(v, 0, 1e12, &d))
			fl_buf_adds(&json, v);
		else
			fl_buf_add_json(&json, v, strlen(v));
		r->retry_after = json.data;
	}
	return 0;
}

static char *dup_string(const cJSON *item)
{
	return cJSON_IsString(item) ? fl_xstrdup(item->valuestring) : NULL;
}

static long get_count(const cJSON *item, long none)
{
	if (!item)
		return none;
	if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
	    item->valuedouble > MAX_MS ||
	    item->valuedouble != (double)(long)item->valuedouble)
		return -2;
	return (long)item->valuedouble;
}

static const char *const rule_keys[] = { "match",  "path",    "nth",
					 "times",  "status",  "headers",
					 "body",   "reply",   "delay_ms",
					 "fault",  "comment", NULL };

/* Fills r from one script line's JSON object; returns an error or NULL. */
static const char *parse_rule(struct rule *r, const cJSON *obj)
{
	const cJSON *item, *h;
	size_t i;

	cJSON_ArrayForEach(item, obj)
	{
		for (i = 0; rule_keys[i]; i++)
			if (!strcmp(item->string, rule_keys[i]))
				break;
		if (!rule_keys[i])
			return "unknown key in rule";
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, "match");
	if (item && !(r->match = dup_string(item)))
		return "\"match\" must be a string";
	item = cJSON_GetObjectItemCaseSensitive(obj, "path");
	if (item && !(r->path = dup_string(item)))
		return "\"path\" must be a string";
	item = cJSON_GetObjectItemCaseSensitive(obj, "body");
	if (item && !(r->body = dup_string(item)))
		return "\"body\" must be a string";
	r->body_len = r->body ? strlen(r->body) : 0;
	item = cJSON_GetObjectItemCaseSensitive(obj, "reply");
	if (item && !(r->reply = dup_string(item)))
		return "\"reply\" must be a string";
	r->nth = get_count(cJSON_GetObjectItemCaseSensitive(obj, "nth"), 0);
	r->times = get_count(cJSON_GetObjectItemCaseSensitive(obj, "times"), 0);
	r->delay_ms =
		get_count(cJSON_GetObjectItemCaseSensitive(obj, "delay_ms"), -1);
	r->status = (int)get_count(
		cJSON_GetObjectItemCaseSensitive(obj, "status"), 0);
	if (r->nth < 0 || r->times < 0 || r->delay_ms < -1)
		return "\"nth\", \"times\" and \"delay_ms\" must be counts";
	if (r->status && (r->status < 100 || r->status > 599))
		return "\"status\" must be an HTTP status 100..599";
	if (r->status < 0)
		return "\"status\" must be an HTTP status 100..599";
	item = cJSON_GetObjectItemCaseSensitive(obj, "fault");
	if (item) {
		if (!cJSON_IsString(item))
			return "\"fault\" must be \"drop\" or \"truncate\"";
		if (!strcmp(item->valuestring, "drop"))
			r->fault = FAULT_DROP;
		else if (!strcmp(item->valuestring, "truncate"))
			r->fault = FAULT_TRUNCATE;
		else
			return "\"fault\" must be \"drop\" or \"truncate\"";
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, "headers");
	if (item) {
		if (!cJSON_IsObject(item))
			return "\"headers\" must be an object";
		r->has_headers = 1;
		cJSON_ArrayForEach(h, item)
		{
			if (add_rule_header(r, h->string, h))
				return "bad header name or value";
		}
	}
	return NULL;
}

static void rule_release(struct rule *r)
{
	free(r->match);
	free(r->path);
	free(r->body);
	free(r->reply);
	free(r->retry_after);
	fl_buf_release(&r->headers);
}

static int load_script_line(struct server *s, const char *path, size_t lineno,
			    const char *line, size_t len)
{
	const char *end = NULL, *err;
	cJSON *obj;
	struct rule r;

	while (len && strchr(" \t\r", line[len - 1]))
		len--;
	while (len && strchr(" \t", *line)) {
		line++;
		len--;
	}
	if (!len || *line == '#')
		return 0;
	obj = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (!obj || !cJSON_IsObject(obj) || (size_t)(end - line) != len) {
		cJSON_Delete(obj);
		return script_error(path, lineno, "not a JSON object");
	}
	memset(&r, 0, sizeof(r));
	fl_buf_init(&r.headers);
	err = parse_rule(&r, obj);
	cJSON_Delete(obj);
	if (err) {
		rule_release(&r);
		return script_error(path, lineno, err);
	}
	s->rules = fl_xrealloc(s->rules, (s->nrules + 1) * sizeof(*s->rules));
	s->rules[s->nrules++] = r;
	return 0;
}

static int load_script(struct server *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct fl_buf text;
	char chunk[8192];
	size_t n, lineno = 0, pos = 0;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "fakellm: %s: error: %s\n", path,
			strerror(errno));
		return -1;
	}
	fl_buf_init(&text);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_add(&text, chunk, n);
	fclose(f);
	while (pos < text.len && !rc) {
		char *nl = memchr(text.data + pos, '\n', text.len - pos);
		size_t end = nl ? (size_t)(nl - text.data) : text.len;

		rc = load_script_line(s, path, ++lineno, text.data + pos,
				      end - pos);
		pos = end + 1;
	}
	fl_buf_release(&text);
	return rc;
}

static const char *find_bytes(const char *hay, size_t hlen, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!n)
		return hay;
	for (i = 0; i + n <= hlen; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* Returns the first rule that applies to this request, counting matches. */
static struct rule *match_rule(struct server *s, const char *target,
			       const char *body, size_t len)
{
	size_t i;

	for (i = 0; i < s->nrules; i++) {
		struct rule *r = &s->rules[i];

		if (r->path && strncmp(target, r->path, strlen(r->path)))
			continue;
		if (r->match && !find_bytes(body, len, r->match))
			continue;
		r->matches++;
		if (r->nth && r->matches != (unsigned long)r->nth)
			continue;
		if (r->times && r->matches > (unsigned long)r->times)
			continue;
		return r;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Counters, body table and request log */

static double elapsed_ms(const struct server *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->start.tv_sec) * 1e3 +
	       (double)(now.tv_nsec - s->start.tv_nsec) / 1e6;
}

static uint64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static struct body_slot *body_lookup(struct body_table *t, uint64_t hash)
{
	size_t i;

	if (2 * (t->used + 1) > t->cap) {
		struct body_table bigger;
		size_t k;

		bigger.cap = t->cap ? t->cap * 2 : 1024;
		bigger.used = t->used;
		bigger.slots = fl_xmalloc(bigger.cap * sizeof(*bigger.slots));
		memset(bigger.slots, 0, bigger.cap * sizeof(*bigger.slots));
		for (k = 0; k < t->cap; k++) {
			if (!t->slots[k].used)
				continue;
			i = t->slots[k].hash & (bigger.cap - 1);
			while (bigger.slots[i].used)
				i = (i + 1) & (bigger.cap - 1);
			bigger.slots[i] = t->slots[k];
		}
		free(t->slots);
		*t = bigger;
	}
	i = hash & (t->cap - 1);
	while (t->slots[i].used && t->slots[i].hash != hash)
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i].used) {
		t->slots[i].used = 1;
		t->slots[i].hash = hash;
		t->used++;
	}
	return &t->slots[i];
}

static void log_entry_json(struct fl_buf *b, const struct log_entry *e)
{
	fl_buf_addf(b, "{\"seq\":%lu,\"t_ms\":%.3f,\"method\":", e->seq,
		    e->t_ms);
	fl_buf_add_json(b, e->method, strlen(e->method));
	fl_buf_adds(b, ",\"path\":");
	fl_buf_add_json(b, e->path, strlen(e->path));
	fl_buf_addf(b, ",\"body_hash\":\"%016llx\",\"status\":",
		    (unsigned long long)e->body_hash);
	if (e->status)
		fl_buf_addf(b, "%d", e->status);
	else
		fl_buf_adds(b, "null");
	if (e->fault)
		fl_buf_addf(b, ",\"fault\":\"%s\"", fault_names[e->fault]);
	else
		fl_buf_adds(b, ",\"fault\":null");
	fl_buf_addf(b, ",\"retry_after\":%s,\"delay_ms\":%ld}\n",
		    e->retry_after ? e->retry_after : "null", e->delay_ms);
}

/*
 * Records a finished decision: counters, the in-memory log and --log.
 * Takes ownership of retry_after.
 */
static void record(struct server *s, const struct log_entry *e)
{
	if (e->status > 0 && e->status < 600)
		s->status_count[e->status]++;
	else
		s->dropped++;
	s->fault_count[e->fault]++;
	if (s->log_file) {
		fl_buf_reset(&s->line);
		log_entry_json(&s->line, e);
		fwrite(s->line.data, 1, s->line.len, s->log_file);
		fflush(s->log_file);
	}
	if (s->nlog == MAX_LOG_ENTRIES) {
		s->log_overflow++;
		free(e->path);
		free(e->retry_after);
		return;
	}
	if (s->nlog == s->logcap) {
		s->logcap = s->logcap ? s->logcap * 2 : 1024;
		s->log = fl_xrealloc(s->log, s->logcap * sizeof(*s->log));
	}
	s->log[s->nlog++] = *e;
}

static void clear_log(struct server *s)
{
	size_t i;

	for (i = 0; i < s->nlog; i++) {
		free(s->log[i].path);
		free(s->log[i].retry_after);
	}
	s->nlog = 0;
	s->log_overflow = 0;
}

/* /_reset: counters, log, body counts, rule counters, quota and PRNG. */
static void reset_state(struct server *s)
{
	size_t i;

	clear_log(s);
	if (s->log_file) {
		fflush(s->log_file);
		if (ftruncate(fileno(s->log_file), 0) == 0)
			rewind(s->log_file);
	}
	s->seq = 0;
	s->successes = 0;
	s->dropped = 0;
	memset(s->status_count, 0, sizeof(s->status_count));
	memset(s->fault_count, 0, sizeof(s->fault_count));
	free(s->bodies.slots);
	memset(&s->bodies, 0, sizeof(s->bodies));
	for (i = 0; i < s->nrules; i++)
		s->rules[i].matches = 0;
	fl_rng_seed(&s->fault_rng, (uint64_t)s->opt.seed);
}

static int compare_slots(const void *a, const void *b)
{
	const struct body_slot *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static void stats_json(struct server *s, struct fl_buf *b)
{
	struct body_slot *sorted;
	size_t i, n = 0;
	const char *sep = "";

	fl_buf_addf(b, "{\"requests\":%lu,\"responses_by_status\":{", s->seq);
	for (i = 0; i < 600; i++) {
		if (!s->status_count[i])
			continue;
		fl_buf_addf(b, "%s\"%zu\":%lu", sep, i, s->status_count[i]);
		sep = ",";
	}
	fl_buf_addf(b, "},\"dropped\":%lu,\"successes\":%lu,\"faults\":{",
		    s->dropped, s->successes);
	sep = "";
	for (i = 1; i < FAULT_COUNT; i++) {
		fl_buf_addf(b, "%s\"%s\":%lu", sep, fault_names[i],
			    s->fault_count[i]);
		sep = ",";
	}
	fl_buf_adds(b, "},\"by_body\":{");
	sorted = fl_xmalloc((s->bodies.used + 1) * sizeof(*sorted));
	for (i = 0; i < s->bodies.cap; i++)
		if (s->bodies.slots[i].used)
			sorted[n++] = s->bodies.slots[i];
	qsort(sorted, n, sizeof(*sorted), compare_slots);
	for (i = 0; i < n; i++)
		fl_buf_addf(b, "%s\"%016llx\":%lu", i ? "," : "",
			    (unsigned long long)sorted[i].hash,
			    sorted[i].count);
	free(sorted);
	fl_buf_addf(b, "},\"log_overflow\":%lu}\n", s->log_overflow);
}

/* ------------------------------------------------------------------ */
/* Timers: a min-heap of connections keyed by due_ms */

static void heap_swap(struct server *s, size_t a, size_t b)
{
	struct conn *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_index = a;
	s->heap[b]->heap_index = b;
}

static void heap_up(struct server *s, size_t i)
{
	while (i && s->heap[(i - 1) / 2]->due_ms > s->heap[i]->due_ms) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct server *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && s->heap[l]->due_ms < s->heap[m]->due_ms)
			m = l;
		if (r < s->nheap && s->heap[r]->due_ms < s->heap[m]->due_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void timer_add(struct conn *c, uint64_t due_ms)
{
	struct server *s = c->srv;

	if (s->nheap == s->heapcap) {
		s->heapcap = s->heapcap ? s->heapcap * 2 : 64;
		s->heap = fl_xrealloc(s->heap, s->heapcap * sizeof(*s->heap));
	}
	c->due_ms = due_ms;
	c->heap_index = s->nheap;
	s->heap[s->nheap++] = c;
	heap_up(s, c->heap_index);
}

static void timer_remove(struct conn *c)
{
	struct server *s = c->srv;
	size_t i = c->heap_index;

	if (i == SIZE_MAX)
		return;
	c->heap_index = SIZE_MAX;
	if (i != --s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->heap_index = i;
		heap_up(s, i);
		heap_down(s, s->heap[i]->heap_index);
	}
}

static int next_timeout_ms(struct server *s)
{
	uint64_t now;

	if (!s->nheap)
		return -1;
	now = now_ms();
	if (s->heap[0]->due_ms <= now)
		return 0;
	if (s->heap[0]->due_ms - now > 60000)
		return 60000;
	return (int)(s->heap[0]->due_ms - now);
}

/* ------------------------------------------------------------------ */
/* Connections and output */

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 529:
		return "Site Overloaded";
	default:
		return "Status";
	}
}

static void update_interest(struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = 0;

	if (!c->busy && !c->close_after && !c->peer_closed &&
	    c->out.len - c->out_off < MAX_OUT_PENDING)
		want |= EPOLLIN;
	if (c->out_off < c->out.len)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
	else
		c->dead = 1;
}

static void flush_out(struct conn *c)
{
	while (c->out_off < c->out.len && !c->dead) {
		ssize_t n = send(c->fd, c->out.data + c->out_off,
				 c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			c->dead = 1;
		}
	}
	if (c->out_off == c->out.len) {
		fl_buf_reset(&c->out);
		c->out_off = 0;
		if (c->close_after && !c->busy)
			c->dead = 1;
	}
}

static void queue_head(struct conn *c)
{
	const struct fl_response *r = &c->resp;
	struct fl_buf *o = &c->out;
	int announce_close = !c->req.keep_alive || c->srv->stopping ||
			     (r->chunked && c->req.http10);

	/* A truncated reply closes without warning, as a failure would. */
	if (announce_close || c->truncate)
		c->close_after = 1;
	fl_buf_addf(o, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", r->status,
		    reason(r->status), r->content_type);
	fl_buf_add(o, r->headers.data, r->headers.len);
	if (!r->chunked)
		fl_buf_addf(o, "Content-Length: %zu\r\n", r->body.len);
	else if (!c->req.http10)
		fl_buf_adds(o, "Transfer-Encoding: chunked\r\n");
	if (r->chunked)
		fl_buf_adds(o, "Cache-Control: no-cache\r\n");
	if (announce_close)
		fl_buf_adds(o, "Connection: close\r\n\r\n");
	else if (c->req.http10)
		fl_buf_adds(o, "Connection: keep-alive\r\n\r\n");
	else
		fl_buf_adds(o, "\r\n");
}

static void queue_segment(struct conn *c, size_t i)
{
	const struct fl_response *r = &c->resp;
	size_t start = i ? r->seg_end[i - 1] : 0;
	size_t len = r->seg_end[i] - start;

	if (!c->req.http10)
		fl_buf_addf(&c->out, "%zx\r\n", len);
	fl_buf_add(&c->out, r->body.data + start, len);
	if (!c->req.http10)
		fl_buf_adds(&c->out, "\r\n");
}

static void finish_response(struct conn *c)
{
	c->busy = 0;
	c->started = 0;
	c->next_seg = 0;
	if (c->truncate)
		c->close_after = 1;
	c->truncate = 0;
}

/*
 * Sends what is due of the decided response: all of it, or with
 * --stream-interval-ms one stream segment at a time, rearming the timer.
 */
static void emit(struct conn *c)
{
	struct fl_response *r = &c->resp;
	long interval = c->srv->opt.stream_interval_ms;
	size_t limit;

	if (c->drop) {
		c->drop = 0;
		c->busy = 0;
		c->dead = 1;
		return;
	}
	if (!c->started) {
		queue_head(c);
		c->started = 1;
		if (!r->chunked) {
			fl_buf_add(&c->out, r->body.data,
				   c->truncate ? r->body.len / 2 : r->body.len);
			finish_response(c);
			return;
		}
	}
	limit = c->truncate ? r->nseg / 2 : r->nseg;
	while (c->next_seg < limit) {
		queue_segment(c, c->next_seg++);
		if (interval && c->next_seg < limit) {
			c->busy = 1;
			timer_add(c, now_ms() + (uint64_t)interval);
			return;
		}
	}
	if (!c->truncate && !c->req.http10)
		fl_buf_adds(&c->out, "0\r\n\r\n");
	finish_response(c);
}

/* Sends the decided response now, or parks the connection until due. */
static void start_response(struct conn *c, long delay_ms)
{
	if (delay_ms <= 0) {
		emit(c);
		return;
	}
	c->busy = 1;
	timer_add(c, now_ms() + (uint64_t)delay_ms);
}

static void conn_close(struct conn *c)
{
	struct server *s = c->srv;

	timer_remove(c);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	fl_buf_release(&c->in);
	fl_buf_release(&c->out);
	fl_buf_release(&c->req.target);
	fl_buf_release(&c->chunked_body);
	fl_response_release(&c->resp);
	free(c);
}

/* A small JSON reply outside the provider formats (admin, 404). */
static void simple_reply(struct conn *c, int status, const char *type,
			 const char *json)
{
	fl_response_reset(&c->resp);
	c->resp.status = status;
	c->resp.content_type = type;
	fl_buf_adds(&c->resp.body, json);
	emit(c);
}

/* ------------------------------------------------------------------ */
/* Routing */

static int has_alt_sse(const char *query)
{
	const char *p = query;

	while (p && *p) {
		if (!strncmp(p, "alt=sse", 7) && (p[7] == '&' || !p[7]))
			return 1;
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return 0;
}

static int route_gemini(struct route *rt, const char *path, size_t len,
			const char *query)
{
	static const char *const prefixes[] = { "/v1beta/models/",
						 "/v1/models/" };
	const char *rest = NULL, *colon;
	size_t i, n;

	for (i = 0; i < 2 && !rest; i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			rest = path + strlen(prefixes[i]);
	if (!rest)
		return 0;
	colon = memchr(rest, ':', len - (size_t)(rest - path));
	if (!colon || colon == rest || (size_t)(colon - rest) >= MODEL_CAP)
		return 0;
	n = len - (size_t)(colon + 1 - path);
	if (n == strlen("generateContent") &&
	    !memcmp(colon + 1, "generateContent", n))
		rt->stream_path = 0;
	else if (n == strlen("streamGenerateContent") &&
		 !memcmp(colon + 1, "streamGenerateContent", n))
		rt->stream_path = 1;
	else
		return 0;
	memcpy(rt->model, rest, (size_t)(colon - rest));
	rt->model[colon - rest] = '\0';
	rt->provider = FL_GEMINI;
	rt->sse = has_alt_sse(query);
	return 1;
}

static int path_is(const char *path, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(path, want, len);
}

/* Decides what a request is for from its method and target. */
static void route_request(struct request *req)
{
	struct route *rt = &req->route;
	const char *path = req->target.data;
	const char *q = strchr(path, '?');
	size_t len = q ? (size_t)(q - path) : strlen(path);
	int post = !strcmp(req->method, "POST");
	int get = !strcmp(req->method, "GET");
	int chat = 1;

	memset(rt, 0, sizeof(*rt));
	if (path_is(path, len, "/v1/chat/completions") ||
	    path_is(path, len, "/chat/completions") ||
	    path_is(path, len, "/inference/chat/completions"))
		rt->provider = FL_OPENAI;
	else if (path_is(path, len, "/v1/messages"))
		rt->provider = FL_ANTHROPIC;
	else if (path_is(path, len, "/api/chat"))
		rt->provider = FL_OLLAMA;
	else if (!route_gemini(rt, path, len, q ? q + 1 : ""))
		chat = 0;
	if (chat) {
		rt->kind = post ? ROUTE_CHAT : ROUTE_BAD_METHOD;
		return;
	}
	if (path_is(path, len, "/_stats"))
		rt->kind = get ? ROUTE_STATS : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_log"))
		rt->kind = get ? ROUTE_LOG : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_reset"))
		rt->kind = post || get ? ROUTE_RESET : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_shutdown"))
		rt->kind = post || get ? ROUTE_SHUTDOWN : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_health") || path_is(path, len, "/"))
		rt->kind = get ? ROUTE_HEALTH : ROUTE_BAD_METHOD;
	else
		rt->kind = ROUTE_NOT_FOUND;
}

/* ------------------------------------------------------------------ */
/* Chat requests: faults, then the reply */

/* What was decided for one chat request. */
struct decision {
	struct log_entry entry;
	struct rule *rule;
	uint64_t hash;
	struct body_slot *slot;
	char id[17];
	double draw[DRAW_COUNT];
	long delay_ms;
};

static void begin_entry(struct conn *c, struct decision *d, const char *body,
			size_t len)
{
	struct server *s = c->srv;
	const char *target = c->req.target.data;
	const char *q = strchr(target, '?');
	int i;

	memset(d, 0, sizeof(*d));
	d->hash = fl_fnv1a64(body, len);
	d->entry.seq = ++s->seq;
	d->entry.t_ms = elapsed_ms(s);
	snprintf(d->entry.method, sizeof(d->entry.method), "%s",
		 c->req.method);
	d->entry.path = fl_xmemdup(target, q ? (size_t)(q - target)
					     : strlen(target));
	d->entry.body_hash = d->hash;
	for (i = 0; i < DRAW_COUNT; i++)
		d->draw[i] = fl_rng_uniform(&s->fault_rng);
}

static void add_retry_headers(struct conn *c, struct decision *d,
			      double seconds)
{
	struct fl_buf json;

	fl_buf_addf(&c->resp.headers, "Retry-After: %g\r\nretry-after-ms: %ld\r\n",
		    seconds, (long)(seconds * 1000 + 0.5));
	fl_buf_init(&json);
	fl_buf_addf(&json, "%g", seconds);
	d->entry.retry_after = json.data;
}

static void add_request_id(struct conn *c, const struct decision *d)
{
	fl_buf_addf(&c->resp.headers, "x-request-id: req_%s\r\n", d->id);
	if (c->req.route.provider == FL_ANTHROPIC)
		fl_buf_addf(&c->resp.headers, "request-id: req_%s\r\n", d->id);
}

/* Sends the provider's error reply of kind, with Retry-After for 429s. */
static void send_error(struct conn *c, struct decision *d,
		       enum fl_error_kind kind, int status, const char *message)
{
	struct server *s = c->srv;

	fl_response_reset(&c->resp);
	fl_wire_error(&c->resp, c->req.route.provider, kind, message,
		      s->opt.retry_after_s, d->id);
	if (status)
		c->resp.status = status;
	add_request_id(c, d);
	if (d->rule)
		fl_buf_add(&c->resp.headers, d->rule->headers.data,
			   d->rule->headers.len);
	if (kind == FL_ERR_RATE_LIMIT && !(d->rule && d->rule->has_headers))
		add_retry_headers(c, d, s->opt.retry_after_s);
	if (d->rule && d->rule->retry_after && !d->entry.retry_after)
		d->entry.retry_after = fl_xstrdup(d->rule->retry_after);
	d->entry.status = c->resp.status;
	d->entry.delay_ms = d->delay_ms;
	record(s, &d->entry);
	start_response(c, d->delay_ms);
}

static enum fl_error_kind kind_for_status(int status)
{
	switch (status) {
	case 400:
		return FL_ERR_BAD_REQUEST;
	case 401:
	case 403:
		return FL_ERR_AUTH;
	case 402:
		return FL_ERR_QUOTA;
	case 413:
		return FL_ERR_TOO_LARGE;
	case 429:
		return FL_ERR_RATE_LIMIT;
	case 503:
	case 529:
		return FL_ERR_OVERLOADED;
	default:
		return FL_ERR_SERVER;
	}
}

/* The rule gave a raw body: send it as it is. */
static void send_raw(struct conn *c, struct decision *d)
{
	const struct rule *r = d->rule;

	fl_response_reset(&c->resp);
	c->resp.status = r->status ? r->status : 200;
	c->resp.content_type = r->body_len && (*r->body == '{' || *r->body == '[')
				       ? "application/json"
				       : "text/plain; charset=utf-8";
	fl_buf_add(&c->resp.body, r->body, r->body_len);
	add_request_id(c, d);
	fl_buf_add(&c->resp.headers, r->headers.data, r->headers.len);
	if (c->resp.status == 429 && !r->has_headers)
		add_retry_headers(c, d, c->srv->opt.retry_after_s);
	if (r->retry_after)
		d->entry.retry_after = fl_xstrdup(r->retry_after);
	d->entry.status = c->resp.status;
	d->entry.delay_ms = d->delay_ms;
	record(c->srv, &d->entry);
	c->truncate = r->fault == FAULT_TRUNCATE;
	start_response(c, d->delay_ms);
}

static void send_drop(struct conn *c, struct decision *d)
{
	d->entry.delay_ms = d->delay_ms;
	record(c->srv, &d->entry);
	c->drop = 1;
	start_response(c, d->delay_ms);
}

/* Builds and sends a success reply, generated or from the rule. */
static void send_reply(struct conn *c, struct decision *d, const char *body,
		       size_t len)
{
	struct server *s = c->srv;
	const struct route *rt = &c->req.route;
	struct fl_chat chat;
	char err[256];
	const char *answer;
	size_t answer_len;

	fl_chat_init(&chat);
	if (fl_chat_parse(&chat, rt->provider, body, len,
			  rt->provider == FL_GEMINI ? rt->model : NULL,
			  rt->stream_path, rt->sse, err, sizeof(err))) {
		fl_chat_release(&chat);
		if (d->entry.fault != FAULT_SCRIPT)
			d->entry.fault = FAULT_NONE;
		d->delay_ms = 0;
		c->truncate = 0;
		send_error(c, d, FL_ERR_BAD_REQUEST, 0, err);
		return;
	}
	if (d->rule && d->rule->reply) {
		answer = d->rule->reply;
		answer_len = strlen(answer);
	} else {
		uint64_t seed = d->hash ^ (uint64_t)s->opt.seed;

		if (chat.temperature > 0)
			seed ^= d->slot->served;
		fl_buf_reset(&s->answer);
		fl_answer_write(&s->answer, &chat, seed);
		answer = s->answer.data;
		answer_len = s->answer.len;
	}
	fl_response_reset(&c->resp);
	fl_wire_success(&c->resp, &chat, answer, answer_len, d->id);
	fl_chat_release(&chat);
	add_request_id(c, d);
	if (d->rule) {
		fl_buf_add(&c->resp.headers, d->rule->headers.data,
			   d->rule->headers.len);
		if (d->rule->status)
			c->resp.status = d->rule->status;
	}
	if (!c->truncate) {
		s->successes++;
		d->slot->served++;
	}
	d->entry.status = c->resp.status;
	d->entry.delay_ms = d->delay_ms;
	record(s, &d->entry);
	start_response(c, d->delay_ms);
}

static long normal_delay(const struct server *s, const struct decision *d)
{
	return s->opt.latency_ms + (long)(d->draw[DRAW_JITTER] *
					  (double)(s->opt.jitter_ms + 1));
}

static void apply_rule(struct conn *c, struct decision *d, const char *body,
		       size_t len)
{
	const struct rule *r = d->rule;

	d->entry.fault = FAULT_SCRIPT;
	d->delay_ms = r->delay_ms >= 0 ? r->delay_ms : 0;
	if (r->fault == FAULT_DROP) {
		send_drop(c, d);
	} else if (r->body) {
		send_raw(c, d);
	} else if (r->status >= 400 && !r->reply) {
		send_error(c, d, kind_for_status(r->status), r->status, NULL);
	} else {
		if (r->delay_ms < 0)
			d->delay_ms = normal_delay(c->srv, d);
		c->truncate = r->fault == FAULT_TRUNCATE;
		send_reply(c, d, body, len);
	}
}

/* Picks the rate-driven fault for this request from its draws. */
static enum fault rate_fault(const struct server *s, const struct decision *d)
{
	static const enum fault order[] = { FAULT_429, FAULT_500, FAULT_529,
					    FAULT_DROP, FAULT_TRUNCATE };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (d->draw[i] < s->opt.rate[i])
			return order[i];
	if (d->draw[DRAW_SLOW] < s->opt.rate[DRAW_SLOW])
		return FAULT_SLOW;
	return FAULT_NONE;
}

static int anthropic_auth_missing(const struct request *req)
{
	return req->route.provider == FL_ANTHROPIC &&
	       (!req->has_api_key || !req->has_anthropic_version);
}

static void handle_chat(struct conn *c, const char *body, size_t len)
{
	struct server *s = c->srv;
	struct decision d;
	enum fault f;

	begin_entry(c, &d, body, len);
	d.slot = body_lookup(&s->bodies, d.hash);
	d.slot->count++;
	snprintf(d.id, sizeof(d.id), "%016llx",
		 (unsigned long long)(d.hash ^
				      d.slot->count * 0x9e3779b97f4a7c15ULL));
	if (anthropic_auth_missing(&c->req)) {
		send_error(c, &d, FL_ERR_AUTH, 0,
			   c->req.has_api_key
				   ? "anthropic-version: header is required"
				   : "x-api-key header is required");
		return;
	}
	d.rule = match_rule(s, c->req.target.data, body, len);
	if (d.rule) {
		apply_rule(c, &d, body, len);
		return;
	}
	if (s->opt.quota_after >= 0 &&
	    s->successes >= (unsigned long)s->opt.quota_after) {
		d.entry.fault = FAULT_QUOTA;
		send_error(c, &d, FL_ERR_QUOTA, 0, NULL);
		return;
	}
	f = rate_fault(s, &d);
	d.entry.fault = f;
	switch (f) {
	case FAULT_429:
		send_error(c, &d, FL_ERR_RATE_LIMIT, 0, NULL);
		return;
	case FAULT_500:
		send_error(c, &d, FL_ERR_SERVER, 0, NULL);
		return;
	case FAULT_529:
		send_error(c, &d, FL_ERR_OVERLOADED, 0, NULL);
		return;
	case FAULT_DROP:
		send_drop(c, &d);
		return;
	default:
		break;
	}
	d.delay_ms = normal_delay(s, &d);
	if (f == FAULT_SLOW)
		d.delay_ms += s->opt.slow_ms;
	c->truncate = f == FAULT_TRUNCATE;
	send_reply(c, &d, body, len);
}

/* ------------------------------------------------------------------ */
/* Admin and other routes */

static void record_plain(struct conn *c, int status, const char *body,
			 size_t len)
{
	struct log_entry e;
	const char *target = c->req.target.data;
	const char *q = strchr(target, '?');

	memset(&e, 0, sizeof(e));
	e.seq = ++c->srv->seq;
	e.t_ms = elapsed_ms(c->srv);
	snprintf(e.method, sizeof(e.method), "%s", c->req.method);
	e.path = fl_xmemdup(target,
			    q ? (size_t)(q - target) : strlen(target));
	e.body_hash = fl_fnv1a64(body, len);
	e.status = status;
	record(c->srv, &e);
}

static void handle_request(struct conn *c, const char *body, size_t len)
{
	struct server *s = c->srv;
	size_t i;

	switch (c->req.route.kind) {
	case ROUTE_CHAT:
		handle_chat(c, body, len);
		return;
	case ROUTE_STATS:
		fl_response_reset(&c->resp);
		c->resp.status = 200;
		c->resp.content_type = "application/json";
		stats_json(s, &c->resp.body);
		emit(c);
		return;
	case ROUTE_LOG:
		fl_response_reset(&c->resp);
		c->resp.status = 200;
		c->resp.content_type = "application/x-ndjson";
		for (i = 0; i < s->nlog; i++)
			log_entry_json(&c->resp.body, &s->log[i]);
		emit(c);
		return;
	case ROUTE_RESET:
		reset_state(s);
		simple_reply(c, 200, "application/json", "{\"ok\":true}\n");
		return;
	case ROUTE_SHUTDOWN:
		s->stopping = 1;
		simple_reply(c, 200, "application/json", "{\"ok\":true}\n");
		return;
	case ROUTE_HEALTH:
		simple_reply(c, 200, "application/json", "{\"ok\":true}\n");
		return;
	case ROUTE_BAD_METHOD:
		record_plain(c, 405, body, len);
		simple_reply(c, 405, "application/json",
			     "{\"error\":{\"message\":\"method not allowed\","
			     "\"type\":\"invalid_request_error\",\"code\":405}}");
		return;
	default:
		record_plain(c, 404, body, len);
		simple_reply(c, 404, "application/json",
			     "{\"error\":{\"message\":\"not found\",\"type\":"
			     "\"not_found_error\",\"code\":404}}");
	}
}

/* Replies to a request that cannot be read, then closes. */
static void fail_request(struct conn *c, int status, const char *message)
{
	struct decision d;

	c->close_after = 1;
	if (c->have_head && c->req.route.kind == ROUTE_CHAT) {
		begin_entry(c, &d, "", 0);
		snprintf(d.id, sizeof(d.id), "%016llx",
			 (unsigned long long)d.entry.seq);
		send_error(c, &d, kind_for_status(status), status, message);
		return;
	}
	fl_response_reset(&c->resp);
	c->resp.status = status;
	c->resp.content_type = "application/json";
	fl_buf_adds(&c->resp.body, "{\"error\":{\"message\":");
	fl_buf_add_json(&c->resp.body, message, strlen(message));
	fl_buf_addf(&c->resp.body,
		    ",\"type\":\"invalid_request_error\",\"code\":%d}}",
		    status);
	c->req.keep_alive = 0;
	emit(c);
}

/* ------------------------------------------------------------------ */
/* HTTP/1.1 request parsing */

static void set_header(struct request *req, const char *name, size_t nlen,
		       const char *value, size_t vlen, int *bad)
{
#define IS(h) (nlen == strlen(h) && !strncasecmp(name, h, nlen))
	if (IS("Content-Length")) {
		char num[24];
		long v;

		if (!vlen || vlen >= sizeof(num)) {
			*bad = vlen ? 413 : 400;
			return;
		}
		memcpy(num, value, vlen);
		num[vlen] = '\0';
		if (fl_parse_long(num, 0, 0x7fffffffffffffffL, &v))
			*bad = 400;
		else if (v > MAX_BODY_BYTES)
			*bad = 413;
		else
			req->content_length = (size_t)v;
	} else if (IS("Transfer-Encoding")) {
		req->chunked = vlen >= 7 &&
			       !strncasecmp(value + vlen - 7, "chunked", 7);
	} else if (IS("Connection")) {
		if (vlen == 5 && !strncasecmp(value, "close", 5))
			req->keep_alive = 0;
		else if (vlen == 10 && !strncasecmp(value, "keep-alive", 10))
			req->keep_alive = 1;
	} else if (IS("Expect")) {
		req->expect_continue =
			vlen == 12 && !strncasecmp(value, "100-continue", 12);
	} else if (IS("x-api-key")) {
		req->has_api_key = vlen > 0;
	} else if (IS("Authorization")) {
		if (vlen > 7 && !strncasecmp(value, "Bearer ", 7))
			req->has_api_key = 1;
	} else if (IS("anthropic-version")) {
		req->has_anthropic_version = vlen > 0;
	}
#undef IS
}

/* Parses the request line; returns 0 or an HTTP status. */
static int parse_request_line(struct request *req, const char *p, size_t len)
{
	const char *sp1 = memchr(p, ' ', len), *sp2;
	size_t mlen, tlen, vlen;

	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p));
	if (!sp2)
		return 400;
	mlen = (size_t)(sp1 - p);
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = len - (size_t)(sp2 + 1 - p);
	if (!mlen || mlen >= sizeof(req->method) || !tlen || sp1[1] != '/')
		return 400;
	if (vlen == 8 && !memcmp(sp2 + 1, "HTTP/1.1", 8))
		req->http10 = 0;
	else if (vlen == 8 && !memcmp(sp2 + 1, "HTTP/1.0", 8))
		req->http10 = 1;
	else
		return 400;
	memcpy(req->method, p, mlen);
	req->method[mlen] = '\0';
	fl_buf_reset(&req->target);
	fl_buf_add(&req->target, sp1 + 1, tlen);
	if (memchr(req->target.data, '\0', tlen))
		return 400;
	return 0;
}

/* Parses the head in in[0..head_len); returns 0 or an HTTP status. */
static int parse_head(struct conn *c, size_t head_len)
{
	struct request *req = &c->req;
	const char *p = c->in.data, *end = p + head_len;
	int first = 1, bad = 0, line_bad = 0;

	memset(&req->route, 0, sizeof(req->route));
	req->head_len = head_len;
	req->content_length = 0;
	req->chunked = 0;
	req->expect_continue = 0;
	req->has_api_key = 0;
	req->has_anthropic_version = 0;
	while (p < end && !bad) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);
		const char *colon, *v, *ve;

		if (len && p[len - 1] == '\r')
			len--;
		if (first) {
			bad = line_bad = parse_request_line(req, p, len);
			req->keep_alive = !req->http10;
			first = 0;
		} else if (len) {
			colon = memchr(p, ':', len);
			if (!colon || colon == p)
				return 400;
			v = colon + 1;
			ve = p + len;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			set_header(req, p, (size_t)(colon - p), v,
				   (size_t)(ve - v), &bad);
		}
		p = nl + 1;
	}
	if (!line_bad)
		route_request(req);
	return bad;
}

/* Finds the end of the head: the offset after the blank line, or 0. */
static size_t find_head_end(struct conn *c)
{
	const char *d = c->in.data;
	size_t i = c->head_scan;

	for (; i < c->in.len; i++) {
		if (d[i] != '\n')
			continue;
		if (i >= 1 && d[i - 1] == '\n')
			return i + 1;
		if (i >= 2 && d[i - 1] == '\r' && d[i - 2] == '\n')
			return i + 1;
	}
	c->head_scan = c->in.len;
	return 0;
}

/* Decodes chunked body data; 1 when complete, 0 for more, else a status. */
static int decode_chunked(struct conn *c)
{
	for (;;) {
		const char *p = c->in.data + c->chunk_pos;
		size_t avail = c->in.len - c->chunk_pos, line, size = 0;
		const char *nl = memchr(p, '\n', avail), *q;

		if (!nl)
			return avail > 4096 ? 400 : 0;
		line = (size_t)(nl - p) + 1;
		if (c->in_trailer) {
			c->chunk_pos += line;
			if (line == 1 || (line == 2 && p[0] == '\r'))
				return 1;
			continue;
		}
		for (q = p; q < nl; q++) {
			int v = *q >= '0' && *q <= '9'	 ? *q - '0'
				: *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
				: *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
							 : -1;

			if (v < 0)
				break;
			if (size > MAX_BODY_BYTES)
				return 413;
			size = size * 16 + (size_t)v;
		}
		if (q == p || (*q != ';' && *q != '\r' && *q != '\n'))
			return 400;
		if (c->chunked_body.len + size > MAX_BODY_BYTES)
			return 413;
		if (!size) {
			c->in_trailer = 1;
			c->chunk_pos += line;
			continue;
		}
		if (avail < line + size + 2)
			return 0;
		if (p[line + size] != '\r' || p[line + size + 1] != '\n')
			return 400;
		fl_buf_add(&c->chunked_body, p + line, size);
		c->chunk_pos += line + size + 2;
	}
}

static void reset_request_state(struct conn *c)
{
	c->have_head = 0;
	c->head_scan = 0;
	c->in_trailer = 0;
	c->continue_sent = 0;
	fl_buf_reset(&c->chunked_body);
}

/*
 * Tries to read one whole request from c->in and handle it.  Returns 1 if
 * one was handled, 0 if more bytes are needed or the connection is done.
 */
static int next_request(struct conn *c)
{
	size_t total;
	int rc;

	if (!c->have_head) {
		size_t head_len = find_head_end(c);

		if (!head_len) {
			if (c->in.len > MAX_HEAD_BYTES)
				fail_request(c, 431, "request head too large");
			return 0;
		}
		c->have_head = 1;
		rc = parse_head(c, head_len);
		if (rc) {
			fail_request(c, rc, rc == 413 ? "request body too large"
						      : "malformed request");
			return 0;
		}
		c->chunk_pos = head_len;
	}
	if (c->req.chunked) {
		rc = decode_chunked(c);
		if (rc > 1) {
			fail_request(c, rc, rc == 413 ? "request body too large"
						      : "malformed chunked body");
			return 0;
		}
		total = c->chunk_pos;
	} else {
		rc = c->in.len >= c->req.head_len + c->req.content_length;
		total = c->req.head_len + c->req.content_length;
	}
	if (!rc) {
		if (c->req.expect_continue && !c->continue_sent) {
			fl_buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
			c->continue_sent = 1;
		}
		return 0;
	}
	if (c->req.chunked)
		handle_request(c, c->chunked_body.data ? c->chunked_body.data
						       : "",
			       c->chunked_body.len);
	else
		handle_request(c, c->in.data + c->req.head_len,
			       c->req.content_length);
	fl_buf_consume(&c->in, total);
	reset_request_state(c);
	return 1;
}

/* Handles the complete requests in c->in, sends, and rearms epoll. */
static void pump(struct conn *c)
{
	while (!c->busy && !c->dead && !c->close_after &&
	       c->out.len - c->out_off < MAX_OUT_PENDING && next_request(c))
		;
	flush_out(c);
	if (!c->dead && !c->busy && c->out_off == c->out.len &&
	    c->peer_closed)
		c->dead = 1;
	if (!c->dead)
		update_interest(c);
}

static void on_readable(struct conn *c)
{
	for (;;) {
		ssize_t n;

		fl_buf_grow(&c->in, READ_CHUNK);
		n = recv(c->fd, c->in.data + c->in.len,
			 c->in.cap - c->in.len - 1, 0);
		if (n > 0) {
			c->in.len += (size_t)n;
			c->in.data[c->in.len] = '\0';
			if ((size_t)n < READ_CHUNK ||
			    c->in.len > MAX_HEAD_BYTES + MAX_BODY_BYTES)
				break;
		} else if (n == 0) {
			c->peer_closed = 1;
			break;
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = 1;
			break;
		}
	}
}

static void on_event(struct conn *c, uint32_t events)
{
	/* After a hang-up nothing can be delivered any more. */
	if (events & (EPOLLERR | EPOLLHUP))
		c->dead = 1;
	if (!c->dead && (events & EPOLLIN))
		on_readable(c);
	if (!c->dead)
		pump(c);
	if (c->dead)
		conn_close(c);
}

static void on_timer(struct conn *c)
{
	emit(c);
	if (!c->dead)
		pump(c);
	if (c->dead)
		conn_close(c);
}

static void fire_timers(struct server *s)
{
	uint64_t now = now_ms();

	while (s->nheap && s->heap[0]->due_ms <= now) {
		struct conn *c = s->heap[0];

		timer_remove(c);
		on_timer(c);
	}
}

/* ------------------------------------------------------------------ */
/* Listening and the loop */

static void accept_one(struct server *s, int fd)
{
	struct conn *c;
	struct epoll_event ev;
	int one = 1;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = fl_xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->srv = s;
	c->fd = fd;
	c->heap_index = SIZE_MAX;
	fl_buf_init(&c->in);
	fl_buf_init(&c->out);
	fl_buf_init(&c->req.target);
	fl_buf_init(&c->chunked_body);
	fl_response_init(&c->resp);
	c->events = EPOLLIN;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		conn_close(c);
}

static void accept_all(struct server *s)
{
	for (;;) {
		int fd = accept(s->listen_fd, NULL, NULL);

		if (fd >= 0) {
			accept_one(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) &&
		    s->reserve_fd >= 0) {
			/* Accept and close one, so the backlog drains. */
			close(s->reserve_fd);
			fd = accept(s->listen_fd, NULL, NULL);
			if (fd >= 0)
				close(fd);
			s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		return;
	}
}

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

	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
						  SOCK_CLOEXEC,
			      0);
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
		fprintf(stderr, "fakellm: error: cannot listen on 127.0.0.1:%ld: %s\n",
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
				      next_timeout_ms(s));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("fakellm: error: epoll_wait");
			return -1;
		}
		for (i = 0; i < n; i++) {
			void *tag = events[i].data.ptr;

			if (tag == &s->listen_fd) {
				accept_all(s);
			} else if (tag == &s->signal_fd) {
				struct signalfd_siginfo info;

				if (read(s->signal_fd, &info, sizeof(info)) > 0)
					s->stopping = 1;
			} else {
				on_event(tag, events[i].events);
			}
		}
		fire_timers(s);
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

	while (s->conns) {
		flush_out(s->conns); /* the last replies, such as /_shutdown */
		conn_close(s->conns);
	}
	clear_log(s);
	free(s->log);
	free(s->heap);
	free(s->bodies.slots);
	for (i = 0; i < s->nrules; i++)
		rule_release(&s->rules[i]);
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
	if (s.opt.script_path && load_script(&s, s.opt.script_path)) {
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
