#ifndef FAKELLM_SERVER_H
#define FAKELLM_SERVER_H
/*
 * The server half of fakellm: the state shared by the event loop
 * (fakellm.c), the HTTP/1.1 connection code (http.c), the request handlers
 * (chat.c) and the script, counters and request log (state.c).  Nothing
 * here is used by answer.c or wire.c, which only build bytes.
 *
 * Ownership: a struct conn belongs to the server's list and is freed by
 * fl_conn_close; a log entry owns its path and retry_after strings.
 */
#include <stdio.h>
#include <time.h>

#include "fakellm.h"

enum {
	MAX_HEAD_BYTES = 64 * 1024,
	MAX_BODY_BYTES = 16 * 1024 * 1024,
	MAX_OUT_PENDING = 4 * 1024 * 1024, /* stop reading above this */
	MAX_LOG_ENTRIES = 1000000,
	MAX_BODIES = 1 << 20, /* distinct bodies counted in /_stats */
	READ_CHUNK = 64 * 1024,
	MAX_EVENTS = 256,
	MODEL_CAP = 256,
	MAX_DELAY_MS = 86400000, /* one day, the cap on any delay */
	TRICKLE_MS = 100,
	FILL_CHUNK = 256 * 1024 /* x written at a time for answer_bytes */
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

/* Draws per request: one per rate, then the jitter. */
enum {
	DRAW_429,
	DRAW_500,
	DRAW_529,
	DRAW_DROP,
	DRAW_TRUNCATE,
	DRAW_SLOW,
	DRAW_JITTER,
	DRAW_COUNT
};

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
	long retry_after_ms; /* retry-after-ms sent; -1: retry_after_s's */
	const char *script_path;
	const char *log_path;
};

/* One line of --script. */
struct rule {
	char **match; /* substrings the body must all contain */
	size_t nmatch;
	char *path; /* prefix of the request target, or NULL */
	long nth;   /* 0: any */
	long times; /* 0: unlimited */
	int status; /* 0: not given */
	int has_headers;
	struct fl_buf headers; /* "Name: value\r\n" lines */
	char *retry_after;     /* JSON text of a scripted Retry-After */
	char *body;	       /* raw body, or NULL */
	size_t body_len;
	char *content_type;    /* of the raw body, or NULL: guessed */
	uint64_t answer_bytes; /* an answer of this many x, or 0 */
	char *reply;	       /* answer text to wrap, or NULL */
	long delay_ms;	       /* -1: not given */
	enum fault fault;      /* FAULT_NONE, FAULT_DROP or FAULT_TRUNCATE */
	int trickle;	       /* "fault": "trickle" */
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
	int stream; /* the reply was a stream */
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
	unsigned long untracked; /* requests whose body found the table full */
	struct body_slot spare;	 /* what those requests get instead */
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
	int trickle;	      /* send a byte per TRICKLE_MS, on and on */
	uint64_t fill_left;   /* bytes of x still to write (answer_bytes) */
	const char *fill_end; /* what follows them, static */
	int close_after;      /* close once out is sent */
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

/* state.c: script rules, counters, the body table and the request log. */
int fl_load_script(struct server *s, const char *path);
void fl_rule_release(struct rule *r);
struct rule *fl_match_rule(struct server *s, const char *target,
			   const char *body, size_t len);
double fl_elapsed_ms(const struct server *s);
uint64_t fl_now_ms(void);
struct body_slot *fl_body_lookup(struct body_table *t, uint64_t hash);
void fl_log_entry_json(struct fl_buf *b, const struct log_entry *e);
void fl_record(struct server *s, const struct log_entry *e);
void fl_clear_log(struct server *s);
void fl_reset_state(struct server *s);
void fl_stats_json(struct server *s, struct fl_buf *b);

/* http.c: connections, timers and HTTP/1.1 framing. */
int fl_next_timeout_ms(struct server *s);
void fl_fire_timers(struct server *s);
void fl_accept_all(struct server *s);
void fl_on_event(struct conn *c, uint32_t events);
void fl_flush_out(struct conn *c);
void fl_conn_close(struct conn *c);
void fl_emit(struct conn *c);
void fl_start_response(struct conn *c, long delay_ms);
void fl_simple_reply(struct conn *c, int status, const char *type,
		     const char *json);

/* chat.c: routing and the handlers for chat and admin requests. */
void fl_route_request(struct request *req);
void fl_handle_request(struct conn *c, const char *body, size_t len);
void fl_fail_request(struct conn *c, int status, const char *message);

#endif
