#ifndef PE_MESSAGE_H
#define PE_MESSAGE_H
/*
 * Messages: the one printer of errors and warnings.  Every message
 * prompteval writes to stderr goes through it, in one format, the one
 * compilers use:
 *
 *   WHERE: SEVERITY: MESSAGE
 *
 * WHERE is "file:line:col" for a position in an input file, "file" for a
 * problem with a whole file, and "prompteval" otherwise; SEVERITY is
 * "error" or "warning".  A message is one line: control characters,
 * terminal escape sequences and invalid UTF-8 in it (file names, prompt
 * names, model output quoted in a reason) are written as \xNN or \uNNNN
 * escapes, so nothing a prompt file or a model says can drive the
 * terminal.  Each message is written with one write(2), so lines from
 * threads never interleave.
 *
 * Progress lines and reports are not messages: they are the output.
 */
#include <stdarg.h>
#include <stddef.h>

#include "harness/core/buf.h"

enum pe_severity { PE_SEV_WARNING, PE_SEV_ERROR };

/* Returns "error" or "warning". */
const char *pe_severity_name(enum pe_severity severity);

/*
 * Appends one message line for text, with its newline, to out.  file may
 * be NULL or "" (WHERE is then "prompteval"); line 0 means the whole
 * file, and col 0 an unknown column ("file:line").
 */
void pe_message_line(struct pe_buf *out, enum pe_severity severity,
		     const char *file, unsigned line, unsigned col,
		     const char *text);

/* Prints one message to stderr; see pe_message_line. */
void pe_message(enum pe_severity severity, const char *file, unsigned line,
		unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "prompteval: error: ..." and "prompteval: warning: ...". */
void pe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pe_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A command-line usage error: the message, then the line
 * "Try 'prompteval CMD --help' for more information."
 */
void pe_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends len bytes of s to out so that they are safe on a terminal:
 * C0 and C1 control characters and DEL become \xNN or \uNNNN, bytes that
 * are not well-formed UTF-8 become \xNN; everything else is kept.
 */
void pe_terminal_text(struct pe_buf *out, const char *s, size_t len);

#endif
