/*
 * Unit tests for message.c: the line format of pe_message_line for each
 * kind of WHERE, pe_terminal_text's escapes (C0 and C1 controls, DEL,
 * bidirectional controls, invalid UTF-8) and what it keeps, the property
 * that no escape sequence survives in a message built from hostile bytes,
 * the terminal printer (pe_terminal_addf: escaped %s arguments, widths
 * and cuts in columns, every other conversion as printf prints it), and
 * the printers (pe_error, pe_warning, pe_message, pe_usage_error, 
 * pe_terminal_printf) writing to their stream, captured through a
 * temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/utf8.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

struct line_case {
	enum pe_severity severity;
	const char *file;
	unsigned line, col;
	const char *text;
	const char *want;
};

static const struct line_case line_cases[] = {
	{ PE_SEV_ERROR, "prompts/x.prompt.yml", 12, 5,
	  "unknown evaluator 'regexp'",
	  "prompts/x.prompt.yml:12:5: error: unknown evaluator 'regexp'\n" },
	{ PE_SEV_WARNING, "prompts/x.prompt.yml", 3, 1, "unused key",
	  "prompts/x.prompt.yml:3:1: warning: unused key\n" },
	{ PE_SEV_WARNING, "data.jsonl", 0, 0, "file is empty",
	  "data.jsonl: warning: file is empty\n" },
	{ PE_SEV_ERROR, "data.jsonl", 0, 7, "cannot open",
	  "data.jsonl: error: cannot open\n" },
	{ PE_SEV_ERROR, "journal.jsonl", 3, 0, "line cut short",
	  "journal.jsonl:3: error: line cut short\n" },
	{ PE_SEV_ERROR, NULL, 0, 0, "out of memory",
	  "prompteval: error: out of memory\n" },
	{ PE_SEV_ERROR, NULL, 4, 2, "no file, so no position",
	  "prompteval: error: no file, so no position\n" },
	{ PE_SEV_WARNING, "", 9, 9, "empty file name",
	  "prompteval: warning: empty file name\n" },
	{ PE_SEV_ERROR, "caf\xc3\xa9.yml", 1, 2, "\xf0\x9f\x98\x80 kept",
	  "caf\xc3\xa9.yml:1:2: error: \xf0\x9f\x98\x80 kept\n" },
	{ PE_SEV_ERROR, "A\x1b[2J\x1b]0;pwned\a", 2, 3,
	  "model said \x1b]0;pwned\a\nnext line",
	  "A\\x1b[2J\\x1b]0;pwned\\x07:2:3: error: model said "
	  "\\x1b]0;pwned\\x07\\x0anext line\n" },
	{ PE_SEV_WARNING, "a\nb.yml", 0, 0,
	  "\xc2\x9b"
	  "31m\xff",
	  "a\\x0ab.yml: warning: \\u009b31m\\xff\n" },
};

static void test_message_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		struct pe_buf b;

		pe_buf_init(&b, 0);
		pe_message_line(&b, c->severity, c->file, c->line, c->col,
				c->text);
		if (strcmp(pe_buf_str(&b), c->want)) {
			print_error("row %zu: got \"%s\"\n", i, pe_buf_str(&b));
			fail();
		}
		pe_buf_release(&b);
	}
}

static void test_severity_name(void **state)
{
	(void)state;
	assert_string_equal(pe_severity_name(PE_SEV_ERROR), "error");
	assert_string_equal(pe_severity_name(PE_SEV_WARNING), "warning");
}

struct text_case {
	const char *what;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
};

static const struct text_case text_cases[] = {
	{ "plain", "plain text, 100% (ok) {x}", 0,
	  "plain text, 100% (ok) {x}" },
	{ "empty", "", 0, "" },
	{ "ESC", "\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m" },
	{ "BEL", "ding\a", 0, "ding\\x07" },
	{ "newline", "a\nb", 0, "a\\x0ab" },
	{ "tab", "a\tb", 0, "a\\x09b" },
	{ "carriage return", "a\rb", 0, "a\\x0db" },
	{ "backspace", "a\bb", 0, "a\\x08b" },
	{ "U+0001 and U+001F", "\x01\x1f", 0, "\\x01\\x1f" },
	{ "NUL inside", "a\0b", 3, "a\\x00b" },
	{ "DEL", "a\x7f", 0, "a\\x7f" },
	{ "space and tilde kept", " ~", 0, " ~" },
	{ "U+0080", "\xc2\x80", 0, "\\u0080" },
	{ "CSI U+009B",
	  "\xc2\x9b"
	  "2J",
	  0, "\\u009b2J" },
	{ "OSC U+009D",
	  "\xc2\x9d"
	  "0;x",
	  0, "\\u009d0;x" },
	{ "U+009F", "\xc2\x9f", 0, "\\u009f" },
	{ "U+00A0 kept", "\xc2\xa0", 0, "\xc2\xa0" },
	{ "e acute kept", "caf\xc3\xa9", 0, "caf\xc3\xa9" },
	{ "euro kept", "\xe2\x82\xac", 0, "\xe2\x82\xac" },
	{ "emoji kept", "\xf0\x9f\x98\x80!", 0, "\xf0\x9f\x98\x80!" },
	{ "U+10FFFF kept", "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf" },
	{ "byte FF",
	  "a\xff"
	  "b",
	  0, "a\\xffb" },
	{ "stray continuation", "\x80\xbf", 0, "\\x80\\xbf" },
	{ "truncated at the end", "x\xe2\x82", 0, "x\\xe2\\x82" },
	{ "truncated before ASCII",
	  "\xc3"
	  "A",
	  0, "\\xc3A" },
	{ "overlong ESC", "\xc1\x9b", 0, "\\xc1\\x9b" },
	{ "overlong NUL", "\xc0\x80", 0, "\\xc0\\x80" },
	{ "surrogate", "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },
	{ "past U+10FFFF", "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },
	{ "C1 split by len", "\xc2\x9b", 1, "\\xc2" },
	{ "right-to-left override U+202E",
	  "a\xe2\x80\xae"
	  "b",
	  0, "a\\u202eb" },
	{ "bidi embeddings U+202A to U+202D",
	  "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0,
	  "\\u202a\\u202b\\u202c\\u202d" },
	{ "bidi isolates U+2066 to U+2069",
	  "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0,
	  "\\u2066\\u2067\\u2068\\u2069" },
	{ "marks U+200E, U+200F and U+061C", "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
	  0, "\\u200e\\u200f\\u061c" },
	{ "line and paragraph separators", "\xe2\x80\xa8\xe2\x80\xa9", 0,
	  "\\u2028\\u2029" },
	{ "U+2027 and U+202F kept", "\xe2\x80\xa7\xe2\x80\xaf", 0,
	  "\xe2\x80\xa7\xe2\x80\xaf" },
	{ "zero-width space kept", "\xe2\x80\x8b", 0, "\xe2\x80\x8b" },
	{ "backslash kept", "a\\x1b", 0, "a\\x1b" },
};

static void test_terminal_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(text_cases); i++) {
		const struct text_case *c = &text_cases[i];
		struct pe_buf b;

		pe_buf_init(&b, 0);
		pe_buf_adds(&b, "<");
		pe_terminal_text(&b, c->in, c->len ? c->len : strlen(c->in));
		pe_buf_adds(&b, ">");
		if (b.len != strlen(c->want) + 2 ||
		    memcmp(b.data + 1, c->want, b.len - 2) ||
		    b.data[b.len - 1] != '>') {
			print_error("%s: got \"%s\"\n", c->what,
				    pe_buf_str(&b));
			fail();
		}
		pe_buf_release(&b);
	}
}

/*
 * Fails unless s (len bytes) is well-formed UTF-8 with no C0 control,
 * DEL, C1 control or bidirectional embedding, override or isolate, except a newline at allowed_newline (or none when
 * allowed_newline is len).
 */
static void check_terminal_safe(const char *s, size_t len,
				size_t allowed_newline, const char *what)
{
	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n = pe_utf8_decode(s + i, len - i, &cp);

		if (n == 0 || (cp < 0x20 && i != allowed_newline) ||
		    (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			print_error("%s: byte %zu of \"%s\" (0x%02x) is not "
				    "safe\n",
				    what, i, s, (unsigned char)s[i]);
			fail();
		}
		i += n;
	}
}

static unsigned long long next_random(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Hostile file names and texts: fixed ones with terminal escape
 * sequences, and pseudo-random byte strings weighted towards controls,
 * C1 lead bytes and invalid UTF-8.  The message line is safe on a
 * terminal and its only newline is the last byte.
 */
static void test_hostile_bytes_are_escaped(void **state)
{
	static const char *const hostile[] = {
		"A\x1b[2J\x1b]0;pwned\a",
		"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
		"\xc2\x9b"
		"2J\xc2\x9d"
		"0;t\xc2\x9c",
		"\r\x7f\x08\x0b\x0c\x0e\x0f",
		"\xff\xfe\xc0\xaf\xe0\x80\xaf\xed\xbf\xbf",
	};
	static const unsigned char palette[] = {
		0x00, 0x07, 0x08, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x9b,
		0xbf, 0xc0, 0xc2, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f,
		0x98, 0xff, '[',  ']',	';',  'a',  '0',  0xae, 0xa6,
	};
	unsigned long long x = 0x2545f4914f6cdd1dULL;
	char file[64], text[64];

	(void)state;
	for (size_t round = 0; round < 2000 + COUNT(hostile); round++) {
		struct pe_buf b;

		if (round < COUNT(hostile)) {
			snprintf(file, sizeof(file), "%s", hostile[round]);
			snprintf(text, sizeof(text), "%s", hostile[round]);
		} else {
			size_t nf = next_random(&x) % 16 + 1;
			size_t nt = next_random(&x) % 32;

			/* No NUL inside: these are C strings. */
			for (size_t i = 0; i < nf; i++)
				file[i] =
					(char)(palette[next_random(&x) %
							       (COUNT(palette) -
								1) +
						       1]);
			file[nf] = '\0';
			for (size_t i = 0; i < nt; i++)
				text[i] =
					(char)(palette[next_random(&x) %
							       (COUNT(palette) -
								1) +
						       1]);
			text[nt] = '\0';
		}
		pe_buf_init(&b, 0);
		pe_message_line(&b, PE_SEV_ERROR, file, 1, 1, text);
		assert_true(b.len > 0);
		assert_int_equal(b.data[b.len - 1], '\n');
		check_terminal_safe(b.data, b.len, b.len - 1, "message line");
		pe_buf_release(&b);
	}
}

/* Random bytes with NULs: pe_terminal_text's output is always safe. */
static void test_terminal_text_random(void **state)
{
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	char in[48];

	(void)state;
	for (size_t round = 0; round < 3000; round++) {
		size_t n = next_random(&x) % sizeof(in);
		struct pe_buf b;

		for (size_t i = 0; i < n; i++)
			in[i] = (char)(next_random(&x) & 0xff);
		pe_buf_init(&b, 0);
		pe_terminal_text(&b, in, n);
		check_terminal_safe(b.data ? b.data : "", b.len, b.len,
				    "terminal text");
		/* Nothing is dropped: each input byte shows up. */
		assert_true(b.len >= n);
		pe_buf_release(&b);
	}
}

/* Formats into a fresh buffer and compares; what names the row. */
static void check_addf(const char *what, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check_addf(const char *what, const char *want, const char *fmt, ...)
{
	struct pe_buf b;
	va_list ap;

	pe_buf_init(&b, 0);
	va_start(ap, fmt);
	assert_int_equal(pe_terminal_vaddf(&b, fmt, ap), 0);
	va_end(ap);
	if (strcmp(pe_buf_str(&b), want)) {
		print_error("%s: got \"%s\", want \"%s\"\n", what,
			    pe_buf_str(&b), want);
		fail();
	}
	pe_buf_release(&b);
}

/* Every string argument escaped; widths and cuts in columns. */
static void test_terminal_addf_strings(void **state)
{
	/* volatile: the compiler would warn about a literal NULL for %s. */
	const char *volatile none = NULL;

	(void)state;
	check_addf("plain", "a b", "%s %s", "a", "b");
	check_addf("escaped", "A\\x1b[2J\\x1b]0;pwned\\x07!", "%s!",
		   "A\x1b[2J\x1b]0;pwned\a");
	check_addf("C1 and bidi", "\\u009b2J \\u202eevil", "%s %s",
		   "\xc2\x9b"
		   "2J",
		   "\xe2\x80\xae"
		   "evil");
	check_addf("the format is ours", "\r\t|x|\n", "\r\t|%s|\n", "x");
	check_addf("NULL", "[-]", "[%s]", none);
	check_addf("left", "ab   |", "%-5s|", "ab");
	check_addf("right", "   ab|", "%5s|", "ab");
	check_addf("star width", "ab  |", "%*s|", -4, "ab");
	check_addf("star precision", "abc|", "%.*s|", 3, "abcdef");
	check_addf("too long for the width", "abcdef|", "%3s|", "abcdef");
	check_addf("e acute is one column", "caf\xc3\xa9 |", "%-5s|",
		   "caf\xc3\xa9");
	check_addf("combining mark takes none", "e\xcc\x81  |", "%-3s|",
		   "e\xcc\x81");
	check_addf("wide characters take two", "\xe6\x97\xa5\xe6\x9c\xac  |",
		   "%-6s|", "\xe6\x97\xa5\xe6\x9c\xac");
	check_addf("a wide character is never split", "\xe6\x97\xa5 |",
		   "%-3.3s|", "\xe6\x97\xa5\xe6\x9c\xac");
	check_addf("emoji", "\xf0\x9f\x98\x80|", "%-2s|", "\xf0\x9f\x98\x80");
	check_addf("an escape is never split", "ab   |", "%-5.5s|",
		   "ab\x1b[2J");
	check_addf("an escape counts its columns", "\\x1b[|", "%.5s|",
		   "\x1b[2J");
	check_addf("padding counts the escape", "\\x07  |", "%-6s|", "\a");
	check_addf("a cut keeps the marks of the last character", "ae\xcc\x81|",
		   "%.2s|",
		   "ae\xcc\x81"
		   "b");
	check_addf("invalid UTF-8", "\\xff\\xfe|", "%s|", "\xff\xfe");
	check_addf("percent", "100% x", "100%% %s", "x");
}

/* Every other conversion as printf writes it. */
static void test_terminal_addf_numbers(void **state)
{
	char want[256];

	(void)state;
	snprintf(want, sizeof(want),
		 "%d %5zu|%-5zu|%05d %+.3f %.2f %g %ld %lld %x %#o %u %hhd "
		 "%hu %jd %td %e %10.4f|%-8.1f|%.0f %%",
		 -3, (size_t)42, (size_t)7, 12, 0.5, 2.0 / 3, 1e-7, -5L,
		 1LL << 40, 255u, 8u, 4000000000u, (signed char)-1,
		 (unsigned short)65535, (intmax_t)-9, (ptrdiff_t)-2, 12345.678,
		 3.14159, 2.25, 0.5);
	check_addf("numbers", want,
		   "%d %5zu|%-5zu|%05d %+.3f %.2f %g %ld %lld %x %#o %u %hhd "
		   "%hu %jd %td %e %10.4f|%-8.1f|%.0f %%",
		   -3, (size_t)42, (size_t)7, 12, 0.5, 2.0 / 3, 1e-7, -5L,
		   1LL << 40, 255u, 8u, 4000000000u, (signed char)-1,
		   (unsigned short)65535, (intmax_t)-9, (ptrdiff_t)-2,
		   12345.678, 3.14159, 2.25, 0.5);
	check_addf("star width and precision on numbers", "  1.50|7    |",
		   "%*.*f|%-*d|", 6, 2, 1.5, 5, 7);
	check_addf("numbers between strings keep their places",
		   "a 1 \\x1b 2.5 b 3", "%s %d %s %.1f %s %zu", "a", 1, "\x1b",
		   2.5, "b", (size_t)3);
	check_addf("a %c character is escaped", "x\\x1by", "x%cy", 0x1b);
	check_addf("long double", "1.25", "%.2Lf", 1.25L);
}

/*
 * Random bytes through "%-20.15s": the text is safe, and it always takes
 * exactly 20 columns (a cut never leaves more than 15, padding fills
 * the rest).
 */
static void test_terminal_addf_random(void **state)
{
	unsigned long long x = 0x0123456789abcdefULL;
	char in[40];

	(void)state;
	for (size_t round = 0; round < 3000; round++) {
		size_t n = next_random(&x) % (sizeof(in) - 1);
		struct pe_buf b;

		for (size_t i = 0; i < n; i++)
			in[i] = (char)(next_random(&x) % 255 + 1);
		in[n] = '\0';
		pe_buf_init(&b, 0);
		pe_terminal_addf(&b, "%-20.15s", in);
		check_terminal_safe(b.data, b.len, b.len, "field");
		assert_int_equal(pe_terminal_width(b.data, b.len), 20);
		pe_buf_release(&b);
	}
}

static void test_terminal_width(void **state)
{
	(void)state;
	assert_int_equal(pe_terminal_width("", 0), 0);
	assert_int_equal(pe_terminal_width("abc", 3), 3);
	assert_int_equal(pe_terminal_width("\x1b[2J", 4), 7);
	assert_int_equal(pe_terminal_width("\xc2\x9b", 2), 6);
	assert_int_equal(pe_terminal_width("\xe6\x97\xa5", 3), 2);
	assert_int_equal(pe_terminal_width("e\xcc\x81", 3), 1);
	assert_int_equal(pe_terminal_width("\xff", 1), 4);
}

typedef void (*printer_fn)(void);

/* Runs print with stderr redirected; stores what it wrote in out. */
static void capture_stderr(printer_fn print, char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	print();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void print_error_line(void)
{
	pe_error("cannot write %s: %s", "out/results.json",
		 "No space left on device");
}

static void print_warning_line(void)
{
	pe_warning("%d cases have no evaluators", 3);
}

static void print_positioned(void)
{
	pe_message(PE_SEV_ERROR, "prompts/x.prompt.yml", 12, 5,
		   "unknown evaluator '%s'", "regexp");
	pe_message(PE_SEV_WARNING, "data.csv", 0, 0, "empty");
}

static void print_hostile(void)
{
	pe_error("model said '%s'", "\x1b]0;pwned\a\xc2\x9b"
				    "2J");
}

static void print_usage(void)
{
	pe_usage_error("run", "unknown option '%s'", "--modle");
}

static void print_usage_no_command(void)
{
	pe_usage_error(NULL, "unknown command '%s'", "rnu");
}

struct print_case {
	const char *what;
	printer_fn print;
	const char *want;
};

static const struct print_case print_cases[] = {
	{ "pe_error", print_error_line,
	  "prompteval: error: cannot write out/results.json: No space left "
	  "on device\n" },
	{ "pe_warning", print_warning_line,
	  "prompteval: warning: 3 cases have no evaluators\n" },
	{ "pe_message", print_positioned,
	  "prompts/x.prompt.yml:12:5: error: unknown evaluator 'regexp'\n"
	  "data.csv: warning: empty\n" },
	{ "hostile", print_hostile,
	  "prompteval: error: model said '\\x1b]0;pwned\\x07\\u009b2J'\n" },
	{ "usage", print_usage,
	  "prompteval: error: unknown option '--modle'\n"
	  "Try 'prompteval run --help' for more information.\n" },
	{ "usage without command", print_usage_no_command,
	  "prompteval: error: unknown command 'rnu'\n"
	  "Try 'prompteval --help' for more information.\n" },
};

static void test_printers(void **state)
{
	char got[512];

	(void)state;
	for (size_t i = 0; i < COUNT(print_cases); i++) {
		capture_stderr(print_cases[i].print, got, sizeof(got));
		if (strcmp(got, print_cases[i].want)) {
			print_error("%s: got \"%s\"\n", print_cases[i].what,
				    got);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_line),
		cmocka_unit_test(test_severity_name),
		cmocka_unit_test(test_terminal_text),
		cmocka_unit_test(test_hostile_bytes_are_escaped),
		cmocka_unit_test(test_terminal_text_random),
		cmocka_unit_test(test_terminal_addf_strings),
		cmocka_unit_test(test_terminal_addf_numbers),
		cmocka_unit_test(test_terminal_addf_random),
		cmocka_unit_test(test_terminal_width),
		cmocka_unit_test(test_printers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
