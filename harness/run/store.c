/*
 * The cache and the journal.  Both use plain files: the cache one file per
 * entry under a two-character fan-out directory, the journal one
 * append-only file guarded by a mutex (scoring threads append to it).
 */
#include "harness/run/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/diag.h"
#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_CACHE_ENTRY = 64 * 1024 * 1024 };

struct pe_journal {
	int fd;
	pthread_mutex_t lock; /* serialises appends from scoring threads */
};

/* Computes a cache key; see store.h. */
void pe_cache_key(const char *provider, const char *base_url, const char *body,
		  size_t body_len, int has_repeat, unsigned repeat,
		  char key[PE_SHA256_HEX_LEN + 1])
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_addf(&b, "prompteval-cache-v1%c%s%c%s%c", 0, provider, 0,
		    base_url ? base_url : "", 0);
	pe_buf_add(&b, body, body_len);
	if (has_repeat)
		pe_buf_addf(&b, "%crepeat=%u", 0, repeat);
	pe_sha256_hex(b.data, b.len, key);
	pe_buf_release(&b);
}

static char *entry_path(const char *dir, const char *key)
{
	return xstrfmt("%s/%.2s/%s.json", dir, key, key + 2);
}

static char *copy_text(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_STRING ? xstrndup(n->text, n->len)
					      : NULL;
}

static long copy_long(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_INT ? (long)n->ival : -1;
}

/* Reads an entry; see store.h. */
int pe_cache_get(const char *dir, const char *key, struct pe_result *out)
{
	char *path = entry_path(dir, key);
	struct pe_diag *diag = pe_diag_new();
	struct pe_mark m = { path, 1, 1 };
	struct pe_doc *doc = NULL;
	const struct pe_node *root, *output;
	char *data;
	size_t len;
	int rc = PE_ERR_IO;

	if (access(path, R_OK) ||
	    pe_file_read(path, MAX_CACHE_ENTRY, &data, &len, diag))
		goto done;
	doc = pe_doc_new(path, NULL, 0);
	root = pe_json_parse(doc, data, len, &m, diag);
	free(data);
	output = pe_node_get(root, "output");
	if (!output || output->kind != PE_NODE_STRING)
		goto done;
	out->output = xstrndup(output->text, output->len);
	out->output_len = output->len;
	out->finish_reason = copy_text(pe_node_get(root, "finish_reason"));
	out->served_model = copy_text(pe_node_get(root, "served_model"));
	out->tokens_in = copy_long(pe_node_get(root, "tokens_in"));
	out->tokens_out = copy_long(pe_node_get(root, "tokens_out"));
	out->http_status = copy_long(pe_node_get(root, "http_status"));
	rc = PE_OK;
done:
	pe_doc_free(doc);
	pe_diag_free(diag);
	free(path);
	return rc;
}

/* Writes an entry atomically; see store.h. */
int pe_cache_put(const char *dir, const char *key, const struct pe_result *c)
{
	char *sub = xstrfmt("%s/%.2s", dir, key);
	char *path = entry_path(dir, key);
	struct pe_buf b;
	int ok;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"output\":");
	pe_json_quote(&b, c->output ? c->output : "", c->output_len);
	pe_buf_adds(&b, ",\"finish_reason\":");
	pe_json_str(&b, c->finish_reason);
	pe_buf_adds(&b, ",\"served_model\":");
	pe_json_str(&b, c->served_model);
	pe_json_count_member(&b, "tokens_in", c->tokens_in);
	pe_json_count_member(&b, "tokens_out", c->tokens_out);
	pe_json_count_member(&b, "http_status", c->http_status);
	pe_buf_adds(&b, "}\n");
	ok = !pe_make_dirs(sub, 1) &&
	     !pe_file_write_atomic(path, b.data, b.len, 1);
	pe_buf_release(&b);
	free(path);
	free(sub);
	return ok ? PE_OK : PE_ERR_IO;
}

/* Cuts a torn last line: everything after the last newline. */
static int cut_torn_tail(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char buf[4096];
	off_t pos = size;

	while (pos > 0) {
		size_t chunk =
			pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t n;

		pos -= (off_t)chunk;
		n = pread(fd, buf, chunk, pos);
		if (n != (ssize_t)chunk)
			return PE_ERR_IO;
		for (size_t i = chunk; i > 0; i--)
			if (buf[i - 1] == '\n')
				return ftruncate(fd, pos + (off_t)i) ? PE_ERR_IO
								     : PE_OK;
	}
	return size ? (ftruncate(fd, 0) ? PE_ERR_IO : PE_OK) : PE_OK;
}

/* Opens the journal; see store.h. */
struct pe_journal *pe_journal_open(const char *path, int resume)
{
	int flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC |
		    (resume ? 0 : O_TRUNC);
	struct pe_journal *j;
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return NULL;
	if (resume && cut_torn_tail(fd)) {
		close(fd);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->fd = fd;
	pthread_mutex_init(&j->lock, NULL);
	return j;
}

/* Closes the journal; NULL is a no-op. */
void pe_journal_close(struct pe_journal *j)
{
	if (!j)
		return;
	close(j->fd);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/* Appends one line with one write; see store.h. */
int pe_journal_append(struct pe_journal *j, const char *line, size_t len,
		      size_t *offset)
{
	char *buf = xmalloc(len + 1);
	size_t done = 0;
	int rc = PE_OK;

	memcpy(buf, line, len);
	buf[len] = '\n';
	pthread_mutex_lock(&j->lock);
	/* Only this process appends, under the lock: the end is ours. */
	*offset = (size_t)lseek(j->fd, 0, SEEK_END);
	while (done < len + 1) {
		ssize_t n = write(j->fd, buf + done, len + 1 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = PE_ERR_IO;
			break;
		}
		done += (size_t)n;
	}
	pthread_mutex_unlock(&j->lock);
	free(buf);
	return rc;
}

/* Calls fn for each complete line; see store.h. */
int pe_journal_scan(const char *path,
		    void (*fn)(void *ctx, const char *line, size_t len,
			       size_t offset),
		    void *ctx)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0, offset = 0;
	ssize_t n;
	int rc;

	if (!f)
		return errno == ENOENT ? PE_OK : PE_ERR_IO;
	while ((n = getline(&line, &cap, f)) > 0) {
		/* A line without its newline is torn: ignore it. */
		if (line[n - 1] == '\n')
			fn(ctx, line, (size_t)n - 1, offset);
		offset += (size_t)n;
	}
	/* getline ends the same way at the end and on a read error. */
	rc = ferror(f) ? PE_ERR_IO : PE_OK;
	free(line);
	fclose(f);
	return rc;
}

/* Reads one journal line back; see store.h. */
int pe_journal_read_line(const char *path, size_t offset, size_t len,
			 struct pe_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	pe_buf_reset(out);
	if (fd < 0)
		return PE_ERR_IO;
	buf = xmalloc(len ? len : 1);
	n = pread(fd, buf, len, (off_t)offset);
	close(fd);
	if (n != (ssize_t)len) {
		free(buf);
		return PE_ERR_IO;
	}
	pe_buf_add(out, buf, len);
	free(buf);
	return PE_OK;
}
