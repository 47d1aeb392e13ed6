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
 * Progress lines, tables and reports are not messages: they are the
 * output, printed with pe_terminal_printf or pe_terminal_addf, which
 * escape every string they are given in the same way.  That is the one
 * way text reaches a terminal: a format string is ours, a %s argument
 * never is, and colour codes are written on their own (reports/
 * terminal.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

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
 * Returns 1 for the code points a terminal or a text viewer acts on
 * instead of showing: the C0 controls (ESC, BEL, CR, backspace, line
 * feed, tab...), DEL, the C1 controls (U+0080 to U+009F, with the
 * one-character CSI U+009B), the bidirectional controls that reorder
 * what is shown (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
 * U+2069) and the line and paragraph separators U+2028 and U+2029.
 * The writers of other formats (JSON, Markdown, JUnit) escape the same
 * set in their own way.
 */
int pe_terminal_is_control(unsigned long cp);

/*
 * Appends len bytes of s to out so that they are safe on a terminal:
 * control characters (pe_terminal_is_control) become \xNN below U+0080
 * and \uNNNN above, bytes that are not well-formed UTF-8 become \xNN;
 * everything else is kept.  A backslash stays a backslash.
 */
void pe_terminal_text(struct pe_buf *out, const char *s, size_t len);

/*
 * Returns the number of columns pe_terminal_text's output for s (len
 * bytes) takes on a terminal: an escape one per byte, a wide character
 * two, a combining mark none (pe_unicode_width).
 */
size_t pe_terminal_width(const char *s, size_t len);

/*
 * Appends text formatted as printf(3) would to out, except that every
 * %s and %c argument goes through pe_terminal_text, and a %s field's
 * width and precision count the columns of that text, not bytes: "%-40s"
 * pads to 40 columns, "%.24s" keeps what fits in 24, and neither splits
 * a character or an escape.  A NULL %s argument prints "-".  Numbers are
 * formatted as printf formats them.  %n, positional arguments and wide
 * strings are not supported (the program aborts).  Returns 0, or
 * PE_ERR_LIMIT when out's maximum would be exceeded.
 */
int pe_terminal_addf(struct pe_buf *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pe_terminal_vaddf(struct pe_buf *out, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * The colours (SGR sequences) the tables use.  They are ours, so they are
 * written as they are, around text that pe_terminal_paint escapes.
 */
#define PE_SGR_BOLD   "\033[1m"
#define PE_SGR_RED    "\033[31m"
#define PE_SGR_GREEN  "\033[32m"
#define PE_SGR_YELLOW "\033[33m"
#define PE_SGR_RESET  "\033[0m"

/*
 * Prints to out as pe_terminal_printf does, between sgr and
 * PE_SGR_RESET when sgr is not NULL (the caller passes NULL when colour
 * is off).  Returns 0 or PE_ERR_IO.
 */
int pe_terminal_paint(FILE *out, const char *sgr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pe_terminal_vpaint(FILE *out, const char *sgr, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Prints to out as pe_terminal_addf formats.  Returns 0, or PE_ERR_IO
 * when out refused the text (the final flush in main.c reports it).
 */
int pe_terminal_printf(FILE *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
