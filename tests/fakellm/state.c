/*
 * Server state: the --script rules and their match counters, the table of
 * request bodies, the counters behind /_stats and the request log behind
 * /_log and --log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "server.h"

static const char *const fault_names[FAULT_COUNT] = {
	NULL,	    "429",  "500",    "529",   "drop",
	"truncate", "slow", "script", "quota",
};

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

static int add_rule_header(struct rule *r, const char *name, const cJSON *value)
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
	    item->valuedouble > MAX_DELAY_MS ||
	    item->valuedouble != (double)(long)item->valuedouble)
		return -2;
	return (long)item->valuedouble;
}

static const char *const rule_keys[] = {
	"match",    "path",  "nth",	     "times", "status",
	"headers",  "body",  "content_type", "reply", "answer_bytes",
	"delay_ms", "fault", "comment",	     NULL
};

/* Fills r from one script line's JSON object; returns an error or NULL. */
static const char *parse_rule(struct rule *r, const cJSON *obj)
{
	const cJSON *item, *h;
	size_t i;

	cJSON_ArrayForEach (item, obj) {
		for (i = 0; rule_keys[i]; i++)
			if (!strcmp(item->string, rule_keys[i]))
				break;
		if (!rule_keys[i])
			return "unknown key in rule";
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, "match");
	if (item && cJSON_IsArray(item)) {
		const cJSON *m;

		r->match = calloc((size_t)cJSON_GetArraySize(item) + 1,
				  sizeof(*r->match));
		if (!r->match)
			return "out of memory";
		cJSON_ArrayForEach (m, item)
			if (!(r->match[r->nmatch++] = dup_string(m)))
				return "\"match\" must be a string or an "
				       "array of strings";
	} else if (item) {
		r->match = calloc(2, sizeof(*r->match));
		if (!r->match || !(r->match[r->nmatch++] = dup_string(item)))
			return "\"match\" must be a string or an array of "
			       "strings";
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, "path");
	if (item && !(r->path = dup_string(item)))
		return "\"path\" must be a string";
	item = cJSON_GetObjectItemCaseSensitive(obj, "body");
	if (item && !(r->body = dup_string(item)))
		return "\"body\" must be a string";
	r->body_len = r->body ? strlen(r->body) : 0;
	item = cJSON_GetObjectItemCaseSensitive(obj, "content_type");
	if (item && (!(r->content_type = dup_string(item)) ||
		     strpbrk(r->content_type, "\r\n")))
		return "\"content_type\" must be a string on one line";
	item = cJSON_GetObjectItemCaseSensitive(obj, "reply");
	if (item && !(r->reply = dup_string(item)))
		return "\"reply\" must be a string";
	item = cJSON_GetObjectItemCaseSensitive(obj, "answer_bytes");
	if (item && (!cJSON_IsNumber(item) || item->valuedouble < 1 ||
		     item->valuedouble > 1099511627776.0 ||
		     item->valuedouble != (double)(uint64_t)item->valuedouble))
		return "\"answer_bytes\" must be a count from 1 to 2^40";
	if (item)
		r->answer_bytes = (uint64_t)item->valuedouble;
	r->nth = get_count(cJSON_GetObjectItemCaseSensitive(obj, "nth"), 0);
	r->times = get_count(cJSON_GetObjectItemCaseSensitive(obj, "times"), 0);
	r->delay_ms = get_count(
		cJSON_GetObjectItemCaseSensitive(obj, "delay_ms"), -1);
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
			return "\"fault\" must be \"drop\", \"truncate\" or "
			       "\"trickle\"";
		if (!strcmp(item->valuestring, "drop"))
			r->fault = FAULT_DROP;
		else if (!strcmp(item->valuestring, "truncate"))
			r->fault = FAULT_TRUNCATE;
		else if (!strcmp(item->valuestring, "trickle"))
			r->trickle = 1;
		else
			return "\"fault\" must be \"drop\", \"truncate\" or "
			       "\"trickle\"";
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, "headers");
	if (item) {
		if (!cJSON_IsObject(item))
			return "\"headers\" must be an object";
		r->has_headers = 1;
		cJSON_ArrayForEach (h, item) {
			if (add_rule_header(r, h->string, h))
				return "bad header name or value";
		}
	}
	return NULL;
}

/* Frees what rule r holds. */
void fl_rule_release(struct rule *r)
{
	for (size_t k = 0; k < r->nmatch; k++)
		free(r->match[k]);
	free(r->match);
	free(r->path);
	free(r->body);
	free(r->content_type);
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
		fl_rule_release(&r);
		return script_error(path, lineno, err);
	}
	s->rules = fl_xrealloc(s->rules, (s->nrules + 1) * sizeof(*s->rules));
	s->rules[s->nrules++] = r;
	return 0;
}

/*
 * Loads --script: one JSON rule per line; blank lines and lines starting
 * with '#' are skipped.  Returns 0, or -1 after a file:line message.
 */
int fl_load_script(struct server *s, const char *path)
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
struct rule *fl_match_rule(struct server *s, const char *target,
			   const char *body, size_t len)
{
	size_t i;

	for (i = 0; i < s->nrules; i++) {
		struct rule *r = &s->rules[i];
		size_t k = 0;

		if (r->path && strncmp(target, r->path, strlen(r->path)))
			continue;
		while (k < r->nmatch && find_bytes(body, len, r->match[k]))
			k++;
		if (k < r->nmatch)
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

/* Counters, body table and request log */

/* Returns the milliseconds since the server started (monotonic). */
double fl_elapsed_ms(const struct server *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->start.tv_sec) * 1e3 +
	       (double)(now.tv_nsec - s->start.tv_nsec) / 1e6;
}

/* Returns the monotonic clock in whole milliseconds, for timers. */
uint64_t fl_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/*
 * Returns the slot for hash, adding it (counts zero) when new.  Once
 * MAX_BODIES bodies are known, a new one gets a scratch slot instead.
 */
static void grow_bodies(struct body_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024, i, k;
	struct body_slot *slots = fl_xmalloc(cap * sizeof(*slots));

	memset(slots, 0, cap * sizeof(*slots));
	for (k = 0; k < t->cap; k++) {
		if (!t->slots[k].used)
			continue;
		i = t->slots[k].hash & (cap - 1);
		while (slots[i].used)
			i = (i + 1) & (cap - 1);
		slots[i] = t->slots[k];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
}

struct body_slot *fl_body_lookup(struct body_table *t, uint64_t hash)
{
	size_t i;

	/* The table stops growing at MAX_BODIES, half full. */
	if (t->used < MAX_BODIES && 2 * (t->used + 1) > t->cap)
		grow_bodies(t);
	i = hash & (t->cap - 1);
	while (t->slots[i].used && t->slots[i].hash != hash)
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i].used && t->used == MAX_BODIES) {
		t->untracked++;
		memset(&t->spare, 0, sizeof(t->spare));
		t->spare.hash = hash;
		return &t->spare;
	}
	if (!t->slots[i].used) {
		t->slots[i].used = 1;
		t->slots[i].hash = hash;
		t->used++;
	}
	return &t->slots[i];
}

/* Appends e as one JSON line. */
void fl_log_entry_json(struct fl_buf *b, const struct log_entry *e)
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
	fl_buf_addf(b, ",\"retry_after\":%s,\"delay_ms\":%ld,\"stream\":%s}\n",
		    e->retry_after ? e->retry_after : "null", e->delay_ms,
		    e->stream ? "true" : "false");
}

/*
 * Records a finished decision: counters, the in-memory log and --log.
 * Takes ownership of retry_after.
 */
void fl_record(struct server *s, const struct log_entry *e)
{
	if (e->status > 0 && e->status < 600)
		s->status_count[e->status]++;
	else
		s->dropped++;
	s->fault_count[e->fault]++;
	if (s->log_file) {
		fl_buf_reset(&s->line);
		fl_log_entry_json(&s->line, e);
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

/* Empties the in-memory request log. */
void fl_clear_log(struct server *s)
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
void fl_reset_state(struct server *s)
{
	size_t i;

	fl_clear_log(s);
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

/* Appends the /_stats JSON object; body hashes are sorted. */
void fl_stats_json(struct server *s, struct fl_buf *b)
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
	fl_buf_addf(b, "},\"by_body_untracked\":%lu,\"log_overflow\":%lu}\n",
		    s->bodies.untracked, s->log_overflow);
}
