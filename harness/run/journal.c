/*
 * The journal (see journal.h): appended with one write(2) per line under
 * a lock, so lines from scoring threads never interleave.
 */
#include "harness/run/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

struct pe_journal {
	int fd;
	pthread_mutex_t lock; /* serialises appends from scoring threads */
};

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

/* Opens the journal; see journal.h. */
struct pe_journal *pe_journal_open(const char *path, int resume)
{
	int flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC |
		    (resume ? 0 : O_TRUNC);
	struct pe_journal *j;
	struct stat st;
	int fd = open(path, flags, 0600);

	if (fd < 0)
		return NULL;
	/*
	 * Answers are private, like the cache: a journal left by an older
	 * run keeps its mode through O_CREAT, so it is set here (a device
	 * or a FIFO is left alone).
	 */
	if (fstat(fd, &st) || (S_ISREG(st.st_mode) && fchmod(fd, 0600))) {
		int saved = errno;

		close(fd);
		errno = saved;
		return NULL;
	}
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

/* Appends one line with one write; see journal.h. */
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

/* Calls fn for each complete line; see journal.h. */
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

/* Reads one journal line back; see journal.h. */
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
