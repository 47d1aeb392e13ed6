/*
 * The message printer and the terminal printer (see message.h).  A
 * message is formatted into a buffer first, made safe for the terminal,
 * and written at once.  The terminal printer reads its format itself:
 * the text around conversions is copied, a %s argument is escaped and
 * measured in columns here, and every other conversion is handed to
 * printf one at a time, from a copy of the arguments.
 */
#include "harness/core/message.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/unicode.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Returns "error" or "warning". */
const char *pe_severity_name(enum pe_severity severity)
{
	return severity == PE_SEV_ERROR ? "error" : "warning";
}

/* Tells the code points a terminal acts on; see message.h. */
int pe_terminal_is_control(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* One character of text as it is shown on a terminal. */
struct shown {
	char text[8];	/* the character itself, or its escape */
	size_t len;	/* bytes of text */
	size_t columns; /* what text takes on the terminal */
	size_t used;	/* bytes of the input it stands for */
};

/* Reads the character at s (len > 0 bytes) into *u. */
static void show_next(const char *s, size_t len, struct shown *u)
{
	unsigned long cp;
	size_t n = pe_utf8_decode(s, len, &cp);
	int w;

	if (n == 0 || (n == 1 && pe_terminal_is_control(cp))) {
		u->len = (size_t)snprintf(u->text, sizeof(u->text), "\\x%02x",
					  (unsigned char)s[0]);
		u->columns = u->len;
		u->used = 1;
	} else if (pe_terminal_is_control(cp)) {
		u->len = (size_t)snprintf(u->text, sizeof(u->text), "\\u%04lx",
					  cp);
		u->columns = u->len;
		u->used = n;
	} else {
		memcpy(u->text, s, n);
		u->len = n;
		w = pe_unicode_width(cp);
		u->columns = w > 0 ? (size_t)w : 0;
		u->used = n;
	}
}

/* Escapes what a terminal would act on; see message.h. */
void pe_terminal_text(struct pe_buf *out, const char *s, size_t len)
{
	struct shown u;

	for (size_t i = 0; i < len; i += u.used) {
		show_next(s + i, len - i, &u);
		pe_buf_add(out, u.text, u.len);
	}
}

/* The columns of s once escaped; see message.h. */
size_t pe_terminal_width(const char *s, size_t len)
{
	struct shown u;
	size_t columns = 0;

	for (size_t i = 0; i < len; i += u.used) {
		show_next(s + i, len - i, &u);
		columns += u.columns;
	}
	return columns;
}

/*
 * Returns how many bytes of s (len bytes) fit in max_columns once
 * escaped, stopping before the first character or escape that does not
 * fit, and stores their columns in *columns.
 */
static size_t fit_columns(const char *s, size_t len, size_t max_columns,
			  size_t *columns)
{
	struct shown u;
	size_t i = 0;

	*columns = 0;
	while (i < len) {
		show_next(s + i, len - i, &u);
		if (*columns + u.columns > max_columns)
			break;
		*columns += u.columns;
		i += u.used;
	}
	return i;
}

/* A conversion of a format string, as parsed. */
struct conversion {
	char flags[8];	 /* of "-+ #0", as written */
	int left;	 /* the '-' flag, or a negative '*' width */
	long width;	 /* -1: none */
	long precision;	 /* -1: none */
	char length[3];	 /* "", "hh", "h", "l", "ll", "z", "j", "t", "L" */
	char conversion; /* 'd', 's', 'g'... */
};

/* Reads a field width or precision: digits, or '*' from the arguments. */
static const char *parse_number(const char *p, long *n, va_list *args)
{
	if (*p == '*') {
		*n = va_arg(*args, int);
		return p + 1;
	}
	*n = 0;
	while (*p >= '0' && *p <= '9' && *n < 100000)
		*n = *n * 10 + (*p++ - '0');
	return p;
}

/*
 * Parses the conversion after a '%' at p into *c, taking '*' widths and
 * precisions from args; returns where the format goes on.  Anything the
 * printer does not support is a bug in the caller: it aborts.
 */
static const char *parse_conversion(const char *p, struct conversion *c,
				    va_list *args)
{
	size_t nflags = 0, nlength = 0;

	memset(c, 0, sizeof(*c));
	while (*p && strchr("-+ #0", *p) && nflags + 1 < sizeof(c->flags))
		c->flags[nflags++] = *p++;
	c->left = strchr(c->flags, '-') != NULL;
	c->width = -1;
	c->precision = -1;
	if (*p == '*' || (*p >= '1' && *p <= '9')) {
		p = parse_number(p, &c->width, args);
		if (c->width < 0) {
			c->left = 1;
			c->width = -c->width;
		}
	}
	if (*p == '.') {
		p = parse_number(p + 1, &c->precision, args);
		if (c->precision < 0)
			c->precision = -1;
	}
	while (*p && strchr("hlzjtL", *p) && nlength < 2)
		c->length[nlength++] = *p++;
	if (!*p || *p == '$' || *p == 'n' ||
	    !strchr("diouxXcseEfFgGaAp%", *p) || (*p == 's' && c->length[0]))
		abort();
	c->conversion = *p;
	return p + 1;
}

/* Appends a %s field: s escaped, cut and padded in columns. */
static int add_string(struct pe_buf *out, const char *s,
		      const struct conversion *c)
{
	size_t len, used, columns, pad = 0;
	int rc = 0;

	if (!s)
		s = "-";
	len = strlen(s);
	used = c->precision < 0
		       ? len
		       : fit_columns(s, len, (size_t)c->precision, &columns);
	if (c->precision < 0)
		columns = pe_terminal_width(s, len);
	if (c->width > 0 && (size_t)c->width > columns)
		pad = (size_t)c->width - columns;
	for (size_t i = 0; i < pad && !c->left && !rc; i++)
		rc = pe_buf_addc(out, ' ');
	if (!rc)
		pe_terminal_text(out, s, used);
	for (size_t i = 0; i < pad && c->left && !rc; i++)
		rc = pe_buf_addc(out, ' ');
	return rc;
}

/* Moves args past the argument of conversion c (not a %s one). */
static void skip_argument(const struct conversion *c, va_list *args)
{
	const char *length = c->length;

	if (strchr("eEfFgGaA", c->conversion)) {
		if (!strcmp(length, "L"))
			(void)va_arg(*args, long double);
		else
			(void)va_arg(*args, double);
	} else if (c->conversion == 'p') {
		(void)va_arg(*args, void *);
	} else if (!strcmp(length, "l")) {
		(void)va_arg(*args, long);
	} else if (!strcmp(length, "ll")) {
		(void)va_arg(*args, long long);
	} else if (!strcmp(length, "z")) {
		(void)va_arg(*args, size_t);
	} else if (!strcmp(length, "j")) {
		(void)va_arg(*args, intmax_t);
	} else if (!strcmp(length, "t")) {
		(void)va_arg(*args, ptrdiff_t);
	} else {
		/* int, and what is promoted to it: char, short, wint_t. */
		(void)va_arg(*args, int);
	}
}

/*
 * Appends any other conversion through printf itself: the conversion is
 * written again with its '*' values filled in, printed from a copy of
 * args, and args is moved past its argument.  The text is escaped too,
 * which changes nothing for a number and keeps a %c character safe.
 */
static int add_other(struct pe_buf *out, const struct conversion *c,
		     va_list *args)
{
	char spec[48];
	struct pe_buf text;
	va_list one;
	int n, rc;

	n = snprintf(spec, sizeof(spec), "%%%s", c->flags);
	if (c->width >= 0)
		n += snprintf(spec + n, sizeof(spec) - (size_t)n, "%ld",
			      c->width);
	if (c->precision >= 0)
		n += snprintf(spec + n, sizeof(spec) - (size_t)n, ".%ld",
			      c->precision);
	snprintf(spec + n, sizeof(spec) - (size_t)n, "%s%c", c->length,
		 c->conversion);
	pe_buf_init(&text, 0);
	va_copy(one, *args);
	/*
	 * spec is not a literal, but it is the caller's own conversion,
	 * which the compiler checked against this argument through the
	 * format attribute of pe_terminal_addf and pe_terminal_printf.
	 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	rc = pe_buf_vaddf(&text, spec, one);
#pragma GCC diagnostic pop
	va_end(one);
	skip_argument(c, args);
	if (!rc)
		pe_terminal_text(out, text.data ? text.data : "", text.len);
	pe_buf_release(&text);
	return rc;
}

/* Formats for a terminal into a buffer; see message.h. */
int pe_terminal_vaddf(struct pe_buf *out, const char *fmt, va_list ap)
{
	va_list args;
	struct conversion c;
	int rc = 0;

	va_copy(args, ap);
	for (const char *p = fmt; *p && !rc;) {
		size_t plain = strcspn(p, "%");

		if (plain) {
			rc = pe_buf_add(out, p, plain);
			p += plain;
			continue;
		}
		p = parse_conversion(p + 1, &c, &args);
		if (c.conversion == '%')
			rc = pe_buf_addc(out, '%');
		else if (c.conversion == 's')
			rc = add_string(out, va_arg(args, const char *), &c);
		else
			rc = add_other(out, &c, &args);
	}
	va_end(args);
	return rc;
}

/* Formats for a terminal into a buffer; see message.h. */
int pe_terminal_addf(struct pe_buf *out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pe_terminal_vaddf(out, fmt, ap);
	va_end(ap);
	return rc;
}

/* Prints for a terminal; see message.h. */
int pe_terminal_printf(FILE *out, const char *fmt, ...)
{
	struct pe_buf b;
	va_list ap;
	int rc;

	pe_buf_init(&b, 0);
	va_start(ap, fmt);
	pe_terminal_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = b.len && fwrite(b.data, 1, b.len, out) != b.len ? PE_ERR_IO
							     : PE_OK;
	pe_buf_release(&b);
	return rc;
}

/* Prints text in colour, or not; see message.h. */
int pe_terminal_vpaint(FILE *out, const char *sgr, const char *fmt, va_list ap)
{
	struct pe_buf b;
	int rc;

	pe_buf_init(&b, 0);
	if (sgr)
		pe_buf_adds(&b, sgr);
	pe_terminal_vaddf(&b, fmt, ap);
	if (sgr)
		pe_buf_adds(&b, PE_SGR_RESET);
	rc = b.len && fwrite(b.data, 1, b.len, out) != b.len ? PE_ERR_IO
							     : PE_OK;
	pe_buf_release(&b);
	return rc;
}

/* The same with the arguments in line; see message.h. */
int pe_terminal_paint(FILE *out, const char *sgr, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pe_terminal_vpaint(out, sgr, fmt, ap);
	va_end(ap);
	return rc;
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
