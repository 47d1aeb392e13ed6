/*
 * The message printer (see message.h).  A message is formatted into a
 * buffer first, made safe for the terminal, and written at once.
 */
#include "harness/core/message.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/utf8.h"
#include "harness/core/banned.h"

/* Returns "error" or "warning". */
const char *pe_severity_name(enum pe_severity severity)
{
	return severity == PE_SEV_ERROR ? "error" : "warning";
}

/* Escapes what a terminal would act on; see message.h. */
void pe_terminal_text(struct pe_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n = pe_utf8_decode(s + i, len - i, &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			pe_buf_addf(out, "\\x%02x", (unsigned char)s[i]);
			i++;
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9f)
			pe_buf_addf(out, "\\u%04lx", cp);
		else
			pe_buf_add(out, s + i, n);
		i += n;
	}
}

/* Appends one message line; see message.h. */
void pe_message_line(struct pe_buf *out, enum pe_severity severity,
		     const char *file, unsigned line, unsigned col,
		     const char *text)
{
	if (!file || !*file) {
		pe_buf_adds(out, "prompteval");
	} else {
		pe_terminal_text(out, file, strlen(file));
		if (line && col)
			pe_buf_addf(out, ":%u:%u", line, col);
		else if (line)
			pe_buf_addf(out, ":%u", line);
	}
	pe_buf_addf(out, ": %s: ", pe_severity_name(severity));
	pe_terminal_text(out, text, strlen(text));
	pe_buf_addc(out, '\n');
}

/* Writes the buffer to stderr in one call when it can. */
static void emit(const struct pe_buf *b)
{
	const char *p = b->data;
	size_t left = b->len;

	while (left) {
		ssize_t n = write(STDERR_FILENO, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		left -= (size_t)n;
	}
}

static void vmessage(enum pe_severity severity, const char *file, unsigned line,
		     unsigned col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static void vmessage(enum pe_severity severity, const char *file, unsigned line,
		     unsigned col, const char *fmt, va_list ap)
{
	struct pe_buf text, b;

	/* stdio may hold output for the same terminal: keep the order. */
	fflush(stdout);
	fflush(stderr);
	pe_buf_init(&text, 0);
	pe_buf_init(&b, 0);
	pe_buf_vaddf(&text, fmt, ap);
	pe_message_line(&b, severity, file, line, col, pe_buf_str(&text));
	emit(&b);
	pe_buf_release(&b);
	pe_buf_release(&text);
}

/* Prints one message to stderr; see message.h. */
void pe_message(enum pe_severity severity, const char *file, unsigned line,
		unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(severity, file, line, col, fmt, ap);
	va_end(ap);
}

/* Prints "prompteval: error: ...". */
void pe_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(PE_SEV_ERROR, NULL, 0, 0, fmt, ap);
	va_end(ap);
}

/* Prints "prompteval: warning: ...". */
void pe_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(PE_SEV_WARNING, NULL, 0, 0, fmt, ap);
	va_end(ap);
}

/* Prints a usage error and where to find the command's help. */
void pe_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char hint[160];

	va_start(ap, fmt);
	vmessage(PE_SEV_ERROR, NULL, 0, 0, fmt, ap);
	va_end(ap);
	snprintf(hint, sizeof(hint),
		 "Try 'prompteval%s%s --help' for more information.\n",
		 cmd ? " " : "", cmd ? cmd : "");
	fputs(hint, stderr);
	fflush(stderr);
}
