/*
 * Unit tests for json.c: pe_json_parse keeps NUL bytes ("\u0000") in keys
 * and values with the right lengths, decodes surrogate pairs and every
 * simple escape (with and without a NUL in the text, which takes two
 * different decoding paths), round-trips pseudo-random byte strings
 * through pe_json_quote, places errors at a line and column, and
 * pe_json_quote escapes what RFC 8259 requires and writes invalid UTF-8
 * as U+FFFD.  JSON read from a YAML scalar (a block, a quoted string,
 * with and without a NUL escape) gives every key and value its own line
 * and column in the YAML file.  The reader is RFC 8259 to the letter
 * where cJSON is lenient (numbers, white space, control characters and
 * escapes in strings), and tells a limit it passed (nesting, a number's
 * range) or an object that gives a key twice from invalid JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/load/yaml_load.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

/* A string literal with its length, NUL bytes included. */
#define BYTES(s)                                                               \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}

struct bytes {
	const char *s;
	size_t len;
};

static const struct pe_mark base = { "data.jsonl", 1, 1 };

#define ZEROS_100                                                              \
	"0000000000000000000000000000000000000000000000000000000000000000000"  \
	"000000000000000000000000000000000"
#define ZEROS_400 ZEROS_100 ZEROS_100 ZEROS_100 ZEROS_100

/*
 * Parses len bytes of text into doc; fails the test (printing the
 * diagnostics) unless it parses.
 */
static const struct pe_node *parse_ok(struct pe_doc *doc, const char *text,
				      size_t len)
{
	struct pe_diag *diag = pe_diag_new();
	const struct pe_node *n = pe_json_parse(doc, text, len, &base, diag);

	if (!n || pe_diag_len(diag)) {
		for (size_t i = 0; i < pe_diag_len(diag); i++)
			print_error("%s\n", pe_diag_get(diag, i)->message);
		print_error("could not parse: %.*s\n", (int)len, text);
		fail();
	}
	pe_diag_free(diag);
	return n;
}

/* Fails unless n is a string node holding exactly want. */
static void assert_string_node(const struct pe_node *n, struct bytes want,
			       const char *what)
{
	assert_non_null(n);
	if (n->kind != PE_NODE_STRING || n->len != want.len ||
	    memcmp(n->text, want.s, want.len)) {
		print_error("%s: kind %d, length %zu (want %zu)\n", what,
			    (int)n->kind, n->len, want.len);
		fail();
	}
	/* The text stays NUL-terminated after its bytes. */
	assert_int_equal(n->text[n->len], '\0');
}

/*
 * "\u0000" in keys and values, among other strings, escapes, numbers,
 * booleans and nested containers: every string keeps its NULs and the
 * bytes after them, and the strings stay matched to their nodes.
 */
static void test_nul_bytes_kept(void **state)
{
	static const char text[] =
		"{\"k\\u0000ey\":\"a\\u0000b\",\"n\":12,\"t\":true,"
		"\"q\":\"say \\\"hi\\\"\\u0000\",\"z\":null,\"e\":\"\","
		"\"list\":[\"\\u0000\",\"\\u0000\\u0000z\",{\"in\\u0000\":"
		"[\"deep\"]}],\"plain\":\"x\",\"\\u0000\":\"tail\\u0000\"}";
	static const struct {
		struct bytes key;
		enum pe_node_kind kind;
		struct bytes value; /* for strings */
	} want[] = {
		{ BYTES("k\0ey"), PE_NODE_STRING, BYTES("a\0b") },
		{ BYTES("n"), PE_NODE_INT, BYTES("") },
		{ BYTES("t"), PE_NODE_BOOL, BYTES("") },
		{ BYTES("q"), PE_NODE_STRING, BYTES("say \"hi\"\0") },
		{ BYTES("z"), PE_NODE_NULL, BYTES("") },
		{ BYTES("e"), PE_NODE_STRING, BYTES("") },
		{ BYTES("list"), PE_NODE_SEQ, BYTES("") },
		{ BYTES("plain"), PE_NODE_STRING, BYTES("x") },
		{ BYTES("\0"), PE_NODE_STRING, BYTES("tail\0") },
	};
	struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
	const struct pe_node *root = parse_ok(doc, text, sizeof(text) - 1);
	const struct pe_node *list, *inner;

	(void)state;
	assert_int_equal(root->kind, PE_NODE_MAP);
	assert_int_equal(root->npairs, COUNT(want));
	for (size_t i = 0; i < COUNT(want); i++) {
		const struct pe_pair *p = &root->pairs[i];

		assert_string_node(p->key, want[i].key, "key");
		assert_int_equal(p->value->kind, want[i].kind);
		if (want[i].kind == PE_NODE_STRING)
			assert_string_node(p->value, want[i].value, "value");
	}
	assert_int_equal(root->pairs[1].value->ival, 12);
	assert_int_equal(root->pairs[2].value->bval, 1);
	list = root->pairs[6].value;
	assert_int_equal(list->count, 3);
	assert_string_node(list->items[0], (struct bytes)BYTES("\0"), "[0]");
	assert_string_node(list->items[1], (struct bytes)BYTES("\0\0z"), "[1]");
	inner = list->items[2];
	assert_int_equal(inner->kind, PE_NODE_MAP);
	assert_int_equal(inner->npairs, 1);
	assert_string_node(inner->pairs[0].key, (struct bytes)BYTES("in\0"),
			   "inner key");
	assert_int_equal(inner->pairs[0].value->count, 1);
	assert_string_node(inner->pairs[0].value->items[0],
			   (struct bytes)BYTES("deep"), "deep");
	pe_doc_free(doc);
}

struct string_case {
	const char *what;
	const char *body; /* between the quotes */
	struct bytes want;
};

static const struct string_case string_cases[] = {
	{ "quote", "\\\"", BYTES("\"") },
	{ "backslash", "\\\\", BYTES("\\") },
	{ "solidus", "\\/", BYTES("/") },
	{ "backspace", "\\b", BYTES("\b") },
	{ "form feed", "\\f", BYTES("\f") },
	{ "newline", "\\n", BYTES("\n") },
	{ "carriage return", "\\r", BYTES("\r") },
	{ "tab", "\\t", BYTES("\t") },
	{ "every simple escape", "\\\"\\\\\\/\\b\\f\\n\\r\\t",
	  BYTES("\"\\/\b\f\n\r\t") },
	{ "escaped backslash before u0000", "\\\\u0000", BYTES("\\u0000") },
	{ "U+0001", "\\u0001", BYTES("\x01") },
	{ "U+001F", "\\u001f", BYTES("\x1f") },
	{ "e acute", "\\u00e9", BYTES("\xc3\xa9") },
	{ "e acute, upper-case hex", "\\u00E9", BYTES("\xc3\xa9") },
	{ "U+07FF", "\\u07ff", BYTES("\xdf\xbf") },
	{ "euro sign", "\\u20ac", BYTES("\xe2\x82\xac") },
	{ "U+FFFF", "\\uffff", BYTES("\xef\xbf\xbf") },
	{ "surrogate pair", "\\ud83d\\ude00", BYTES("\xf0\x9f\x98\x80") },
	{ "surrogate pair, upper-case", "\\uD83D\\uDE00",
	  BYTES("\xf0\x9f\x98\x80") },
	{ "U+10000", "\\ud800\\udc00", BYTES("\xf0\x90\x80\x80") },
	{ "U+10FFFF", "\\udbff\\udfff", BYTES("\xf4\x8f\xbf\xbf") },
	{ "pair between text", "a\\ud83d\\ude00b",
	  BYTES("a\xf0\x9f\x98\x80"
		"b") },
	{ "raw UTF-8 kept", "caf\xc3\xa9 \xf0\x9f\x98\x80",
	  BYTES("caf\xc3\xa9 \xf0\x9f\x98\x80") },
};

/*
 * Each string body alone, and again with "\u0000" after it, which makes
 * the reader decode every string itself instead of taking cJSON's: both
 * paths must give the same bytes.
 */
static void test_escapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(string_cases); i++) {
		const struct string_case *c = &string_cases[i];
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		char text[128], with_nul[128];
		struct bytes nul_want;
		int n = snprintf(text, sizeof(text), "\"%s\"", c->body);
		int m = snprintf(with_nul, sizeof(with_nul), "\"%s\\u0000\"",
				 c->body);

		assert_true(n > 0 && m > 0);
		assert_string_node(parse_ok(doc, text, (size_t)n), c->want,
				   c->what);
		memcpy(text, c->want.s, c->want.len);
		text[c->want.len] = '\0';
		nul_want.s = text;
		nul_want.len = c->want.len + 1;
		assert_string_node(parse_ok(doc, with_nul, (size_t)m), nul_want,
				   c->what);
		pe_doc_free(doc);
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
 * A pseudo-random string of valid UTF-8 pieces, control characters,
 * characters JSON escapes, and (when with_nul) NUL bytes.
 */
static size_t random_string(unsigned long long *x, int with_nul, char *out,
			    size_t size)
{
	static const struct bytes pieces[] = {
		BYTES("a"),
		BYTES("Z"),
		BYTES(" "),
		BYTES("\""),
		BYTES("\\"),
		BYTES("/"),
		BYTES("u0000"),
		BYTES("\\u0000"),
		BYTES("\n"),
		BYTES("\r"),
		BYTES("\t"),
		BYTES("\b"),
		BYTES("\f"),
		BYTES("\x01"),
		BYTES("\x1b"),
		BYTES("\x1f"),
		BYTES("\x7f"),
		BYTES("\xc2\x80"),
		BYTES("\xc3\xa9"),
		BYTES("\xdf\xbf"),
		BYTES("\xe2\x82\xac"),
		BYTES("\xed\x9f\xbf"),
		BYTES("\xee\x80\x80"),
		BYTES("\xef\xbf\xbf"),
		BYTES("\xf0\x9f\x98\x80"),
		BYTES("\xf4\x8f\xbf\xbf"),
		BYTES("\0"), /* last: left out when !with_nul */
	};
	size_t npieces = COUNT(pieces) - (with_nul ? 0 : 1);
	size_t count = next_random(x) % 24, len = 0;

	for (size_t i = 0; i < count; i++) {
		const struct bytes *p = &pieces[next_random(x) % npieces];

		if (len + p->len > size)
			break;
		memcpy(out + len, p->s, p->len);
		len += p->len;
	}
	/* Make sure a NUL is really there when one is asked for. */
	if (with_nul && len < size && !memchr(out, '\0', len))
		out[len++] = '\0';
	return len;
}

/*
 * pe_json_quote then pe_json_parse gives back the same bytes and length,
 * as a lone string and as a key and a value of an object, for strings
 * with and without NUL bytes.
 */
static void test_quote_parse_round_trip(void **state)
{
	unsigned long long x = 0x853c49e6748fea9bULL;
	size_t with_nuls = 0;

	(void)state;
	for (size_t round = 0; round < 600; round++) {
		int with_nul = round % 2;
		char s[128], t[128];
		size_t slen = random_string(&x, with_nul, s, sizeof(s));
		size_t tlen = random_string(&x, 0, t, sizeof(t));
		struct bytes want_s = { s, slen }, want_t = { t, tlen };
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		const struct pe_node *n;
		struct pe_buf b;

		with_nuls += memchr(s, '\0', slen) != NULL;
		pe_buf_init(&b, 0);
		assert_int_equal(pe_json_quote(&b, s, slen), PE_OK);
		n = parse_ok(doc, b.data, b.len);
		assert_string_node(n, want_s, "lone string");

		/* {"<t>":"<s>","<s>":"<t>"}: keys and values in order. */
		pe_buf_reset(&b);
		pe_buf_addc(&b, '{');
		pe_json_quote(&b, t, tlen);
		pe_buf_addc(&b, ':');
		pe_json_quote(&b, s, slen);
		pe_buf_addc(&b, ',');
		pe_json_quote(&b, s, slen);
		pe_buf_addc(&b, ':');
		pe_json_quote(&b, t, tlen);
		pe_buf_addc(&b, '}');
		n = parse_ok(doc, b.data, b.len);
		assert_int_equal(n->kind, PE_NODE_MAP);
		assert_int_equal(n->npairs, 2);
		assert_string_node(n->pairs[0].key, want_t, "first key");
		assert_string_node(n->pairs[0].value, want_s, "first value");
		assert_string_node(n->pairs[1].key, want_s, "second key");
		assert_string_node(n->pairs[1].value, want_t, "second value");
		pe_buf_release(&b);
		pe_doc_free(doc);
	}
	assert_int_equal(with_nuls, 300);
}

struct error_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned line, col;
	const char *message;
};

static const struct error_case error_cases[] = {
	{ "{\"a\": x}", 0, 1, 7, "invalid JSON: unexpected character" },
	{ "{\"a\": 1} extra", 0, 1, 10,
	  "invalid JSON: unexpected text after the value" },
	{ "[1, 2]\n\n  3", 0, 3, 3,
	  "invalid JSON: unexpected text after the value" },
	{ "{\n  \"a\": 1,\n  \"b\": tru\n}", 0, 3, 8,
	  "invalid JSON: unexpected character" },
	{ "\"caf\xc3\xa9\" x", 0, 1, 8,
	  "invalid JSON: unexpected text after the value" },
	{ "{\"a\":", 0, 1, 6, "invalid JSON: unexpected end of input" },
	{ "[\"open", 0, 1, 7, "invalid JSON: unexpected end of input" },
	{ "[1,\n2", 0, 2, 2, "invalid JSON: unexpected end of input" },
	{ "", 0, 1, 1, "invalid JSON: unexpected end of input" },
	/* Only white space left where cJSON stopped: the input ended. */
	{ "   ", 0, 1, 4, "invalid JSON: unexpected end of input" },
	{ "\n\t\r\n", 0, 3, 1, "invalid JSON: unexpected end of input" },
	{ "[1, ", 0, 1, 5, "invalid JSON: unexpected end of input" },
	/* A NUL byte is not white space. */
	{ "{\"a\": 1}\0", 9, 1, 9,
	  "invalid JSON: unexpected text after the value" },
	{ "{\"a\": 1}\n\0 ", 11, 2, 1,
	  "invalid JSON: unexpected text after the value" },
	/*
	 * Prose, as a model's answer that is not JSON: cut off inside a
	 * string or an open bracket it ends too early, at its end (columns
	 * count characters, not bytes); else it is wrong at its first byte.
	 */
	{ "<p>\n  \"caf\xc3\xa9", 0, 2, 8,
	  "invalid JSON: unexpected end of input" },
	{ "<b> [", 0, 1, 6, "invalid JSON: unexpected end of input" },
	{ "<b>]] [[", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "<b> ] [", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "<a \"x\\\"", 0, 1, 8, "invalid JSON: unexpected end of input" },
	{ "<a \"x\\\\\"", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "<a \"{\"\n[x]\n", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "# T\n\n\"q\" {\n\0\"", 13, 4, 3,
	  "invalid JSON: unexpected end of input" },
	/*
	 * RFC 8259 to the letter, where cJSON is lenient.  Numbers: no
	 * leading zero, digits after the sign, the point and the exponent.
	 */
	{ "01", 0, 1, 1, "invalid JSON: leading zero in a number" },
	{ "[-01]", 0, 1, 3, "invalid JSON: leading zero in a number" },
	{ "{\"n\": 00}", 0, 1, 7, "invalid JSON: leading zero in a number" },
	{ "1.", 0, 1, 3, "invalid JSON: digit expected in a number" },
	{ "[1.]", 0, 1, 4, "invalid JSON: digit expected in a number" },
	{ "1.e3", 0, 1, 3, "invalid JSON: digit expected in a number" },
	{ "-", 0, 1, 2, "invalid JSON: digit expected in a number" },
	{ "[-x]", 0, 1, 3, "invalid JSON: digit expected in a number" },
	{ "1e", 0, 1, 3, "invalid JSON: digit expected in a number" },
	{ "[1E+]", 0, 1, 5, "invalid JSON: digit expected in a number" },
	{ ".5", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "+1", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "[0x10]", 0, 1, 3, "invalid JSON: unexpected character" },
	{ "[1.5.2]", 0, 1, 5, "invalid JSON: unexpected character" },
	/* White space is space, tab, line feed and carriage return only. */
	{ "[1\v]", 0, 1, 3, "invalid JSON: unexpected character" },
	{ "\f{}", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "[\x01]", 0, 1, 2, "invalid JSON: unexpected character" },
	{ "[1,\0 2]", 7, 1, 4, "invalid JSON: unexpected character" },
	{ "{}\v", 0, 1, 3, "invalid JSON: unexpected text after the value" },
	{ "\xc2\xa0[]", 0, 1, 1, "invalid JSON: unexpected character" },
	/* A string holds no raw control character (U+0000 to U+001F). */
	{ "{\"a\":\"x\ty\"}", 0, 1, 8,
	  "invalid JSON: unescaped control character U+0009 in a string" },
	{ "{\"a\":\"x\x01y\"}", 0, 1, 8,
	  "invalid JSON: unescaped control character U+0001 in a string" },
	{ "{\"a\":\"x\0y\"}", 11, 1, 8,
	  "invalid JSON: unescaped control character U+0000 in a string" },
	{ "{\"a\0b\":\"x\"}", 11, 1, 4,
	  "invalid JSON: unescaped control character U+0000 in a string" },
	{ "[\"two\nlines\"]", 0, 1, 6,
	  "invalid JSON: unescaped control character U+000A in a string" },
	{ "\"\x1f\"", 0, 1, 2,
	  "invalid JSON: unescaped control character U+001F in a string" },
	/* Escapes: the eight simple ones and four hex digits. */
	{ "[\"\\uqqqq\"]", 0, 1, 3,
	  "invalid JSON: invalid escape in a string" },
	{ "[\"\\u12\"]", 0, 1, 3, "invalid JSON: invalid escape in a string" },
	{ "[\"a\\x41\"]", 0, 1, 4, "invalid JSON: invalid escape in a string" },
	{ "[\"\\U0041\"]", 0, 1, 3,
	  "invalid JSON: invalid escape in a string" },
	{ "[\"\\\0\"]", 6, 1, 3, "invalid JSON: invalid escape in a string" },
	{ "[\"\\ud800\"]", 0, 1, 3,
	  "invalid JSON: unpaired surrogate in a \\u escape" },
	{ "[\"\\udc00\\ud800\"]", 0, 1, 3,
	  "invalid JSON: unpaired surrogate in a \\u escape" },
	{ "[\"x\\ud800\\u0041\"]", 0, 1, 4,
	  "invalid JSON: unpaired surrogate in a \\u escape" },
	/* Punctuation. */
	{ "[1,]", 0, 1, 4, "invalid JSON: unexpected character" },
	{ "{\"a\":1,}", 0, 1, 8, "invalid JSON: unexpected character" },
	{ "[1 2]", 0, 1, 4, "invalid JSON: unexpected character" },
	{ "{\"a\" 1}", 0, 1, 6, "invalid JSON: unexpected character" },
	{ "{1:2}", 0, 1, 2, "invalid JSON: unexpected character" },
	{ "{'a':1}", 0, 1, 2, "invalid JSON: unexpected character" },
	{ "[1}", 0, 1, 3, "invalid JSON: unexpected character" },
	{ "{\"a\":1]", 0, 1, 7, "invalid JSON: unexpected character" },
	{ "[,1]", 0, 1, 2, "invalid JSON: unexpected character" },
	{ "nul", 0, 1, 1, "invalid JSON: unexpected character" },
	{ "[True]", 0, 1, 2, "invalid JSON: unexpected character" },
	{ "[NaN]", 0, 1, 2, "invalid JSON: unexpected character" },
	/* Past a limit: a number beyond a double's range. */
	{ "[1e400]", 0, 1, 2, "JSON number out of range" },
	{ "{\"n\":\n  -1.5E+309}", 0, 2, 3, "JSON number out of range" },
	{ "1" ZEROS_400, 0, 1, 1, "JSON number out of range" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		const struct pe_node *n = pe_json_parse(
			doc, c->text, c->len ? c->len : strlen(c->text), &base,
			diag);
		const struct pe_diag_entry *e;

		assert_null(n);
		assert_int_equal(pe_diag_len(diag), 1);
		e = pe_diag_get(diag, 0);
		if (e->line != c->line || e->col != c->col ||
		    strcmp(e->message, c->message) ||
		    strcmp(e->file, "data.jsonl") ||
		    e->severity != PE_SEV_ERROR) {
			print_error("row %zu: got %s:%u:%u: %s\n", i, e->file,
				    e->line, e->col, e->message);
			fail();
		}
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
}

/*
 * The byte-by-byte rules the parser's error path follows, written plainly
 * (json.c jumps between the bytes that matter): whether text ends inside
 * a string or an open bracket, and the line and column of its end.
 */
static int plain_is_truncated(const char *text, size_t len)
{
	int in_string = 0, depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (in_string && text[i] == '\\')
			i++;
		else if (text[i] == '"')
			in_string = !in_string;
		else if (!in_string && (text[i] == '{' || text[i] == '['))
			depth++;
		else if (!in_string && (text[i] == '}' || text[i] == ']'))
			depth--;
	}
	return in_string || depth > 0;
}

static void plain_end_mark(const char *text, size_t len, unsigned *line,
			   unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			++*col;
		}
	}
}

/*
 * Pseudo-random prose of quotes, backslashes, brackets, new lines, NUL
 * bytes and two-byte characters, starting with '<' as an HTML-ish answer
 * does: the error is where and what the plain rules say.
 */
static void test_prose_errors_random(void **state)
{
	static const char bytes[] = "\"\\{}[]a \n\0\xc3\xa9";
	unsigned long long rng = 0x9e3779b97f4a7c15ULL;
	char text[400];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t len = 1 + (size_t)(round % 397);
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		const struct pe_diag_entry *e;
		unsigned line = 1, col = 1;
		int truncated;

		text[0] = '<';
		for (size_t i = 1; i < len; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			text[i] = bytes[rng % (sizeof(bytes) - 1)];
		}
		truncated = plain_is_truncated(text, len);
		if (truncated)
			plain_end_mark(text, len, &line, &col);
		assert_null(pe_json_parse(doc, text, len, &base, diag));
		e = pe_diag_get(diag, 0);
		assert_non_null(e);
		assert_string_equal(e->message,
				    truncated ? "invalid JSON: unexpected end "
						"of input"
					      : "invalid JSON: unexpected "
						"character");
		if (e->line != line || e->col != col)
			fail_msg("round %d: %u:%u, expected %u:%u", round,
				 e->line, e->col, line, col);
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
}

/*
 * Pseudo-random strings of plain bytes, escapes and raw control
 * characters, of every length up to 40 (the scan reads eight bytes at a
 * time): refused at the first control character, at its column and
 * with its code; else read, with every byte.
 */
static void test_strings_random(void **state)
{
	static const struct bytes pieces[] = {
		BYTES("a"),    BYTES(" "),	  BYTES("\xc3\xa9"),
		BYTES("\x7f"), BYTES("\xc2\x80"), BYTES("\\n"),
		BYTES("\\\\"), BYTES("\\\""),	  BYTES("\\u00e9"),
		BYTES("\t"),   BYTES("\x01"),	  BYTES("\x1f"),
		BYTES("\n"),   BYTES("\0"),
	};
	enum { FIRST_CONTROL = 9 }; /* pieces from here are refused */
	unsigned long long x = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (int round = 0; round < 4000; round++) {
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		size_t count = next_random(&x) % 40, len = 1, col = 0;
		size_t decoded = 0, chars = 1; /* the quote */
		unsigned control = 0;
		char text[400];
		const struct pe_node *n;

		text[0] = '"';
		for (size_t i = 0; i < count; i++) {
			size_t k = next_random(&x) % COUNT(pieces);
			/* Mostly plain, so that long runs come up. */
			if (next_random(&x) % 4)
				k = 0;
			if (k >= FIRST_CONTROL && !col) {
				col = chars + 1;
				control = (unsigned char)pieces[k].s[0];
			}
			memcpy(text + len, pieces[k].s, pieces[k].len);
			len += pieces[k].len;
			for (size_t b = 0; b < pieces[k].len; b++)
				chars += (pieces[k].s[b] & 0xc0) != 0x80;
			decoded += k == 8	      ? 2
				   : k >= 5 && k <= 7 ? 1
						      : pieces[k].len;
		}
		text[len++] = '"';
		n = pe_json_parse(doc, text, len, &base, diag);
		if (col) {
			char want[80];
			const struct pe_diag_entry *e = pe_diag_get(diag, 0);

			snprintf(want, sizeof(want),
				 "invalid JSON: unescaped control character "
				 "U+%04X in a string",
				 control);
			assert_null(n);
			assert_string_equal(e->message, want);
			assert_int_equal(e->line, 1);
			assert_int_equal(e->col, col);
		} else {
			assert_non_null(n);
			assert_int_equal(n->len, decoded);
		}
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
}

/*
 * Nesting: the top value is at depth 0, and one below depth 128 is
 * refused, at its first byte, however deep the text goes on (cJSON's own
 * limit is 1,000): a limit of the reader (PE_ERR_LIMIT), not invalid
 * JSON.  128 levels of objects and of arrays around a value are read.
 */
static void test_deep_nesting(void **state)
{
	static const char *const open_close[][2] = { { "{\"a\":", "}" },
						     { "[", "]" } };
	size_t depths[] = { 128, 129, 200, 1100, 10000 };

	(void)state;
	for (size_t k = 0; k < COUNT(open_close); k++) {
		for (size_t d = 0; d < COUNT(depths); d++) {
			struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
			struct pe_diag *diag = pe_diag_new();
			size_t open_len = strlen(open_close[k][0]);
			struct pe_node *n;
			const struct pe_diag_entry *e;
			struct pe_buf text;
			int rc;

			pe_buf_init(&text, 0);
			for (size_t i = 0; i < depths[d]; i++)
				pe_buf_adds(&text, open_close[k][0]);
			pe_buf_adds(&text, "1");
			for (size_t i = 0; i < depths[d]; i++)
				pe_buf_adds(&text, open_close[k][1]);
			rc = pe_json_read(doc, text.data, text.len, &base, diag,
					  &n);
			if (depths[d] <= PE_JSON_MAX_DEPTH) {
				assert_int_equal(rc, PE_OK);
				for (size_t i = 0; i < depths[d]; i++)
					n = k ? n->items[0] : n->pairs[0].value;
				assert_int_equal(n->kind, PE_NODE_INT);
				assert_int_equal(n->ival, 1);
			} else {
				assert_int_equal(rc, PE_ERR_LIMIT);
				assert_null(n);
				assert_int_equal(pe_diag_len(diag), 1);
				e = pe_diag_get(diag, 0);
				assert_string_equal(e->message,
						    "JSON nested deeper than "
						    "128 levels");
				assert_int_equal(e->line, 1);
				assert_int_equal(e->col, 129 * open_len + 1);
			}
			pe_buf_release(&text);
			pe_diag_free(diag);
			pe_doc_free(doc);
		}
	}
}

/*
 * 129 arrays, the innermost empty: no value is below depth 128, so the
 * text is read.  With a value inside, it is refused at the value.
 */
static void test_deep_empty_array(void **state)
{
	struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	struct pe_buf text;
	struct pe_node *n;

	(void)state;
	pe_buf_init(&text, 0);
	for (size_t i = 0; i < 129; i++)
		pe_buf_addc(&text, '[');
	for (size_t i = 0; i < 129; i++)
		pe_buf_addc(&text, ']');
	assert_int_equal(
		pe_json_read(doc, text.data, text.len, &base, diag, &n), PE_OK);
	assert_int_equal(n->kind, PE_NODE_SEQ);
	pe_buf_reset(&text);
	for (size_t i = 0; i < 129; i++)
		pe_buf_addc(&text, '[');
	pe_buf_adds(&text, "[]");
	for (size_t i = 0; i < 129; i++)
		pe_buf_addc(&text, ']');
	assert_int_equal(
		pe_json_read(doc, text.data, text.len, &base, diag, &n),
		PE_ERR_LIMIT);
	assert_int_equal(pe_diag_get(diag, 0)->col, 130);
	pe_buf_release(&text);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

struct code_case {
	const char *text;
	int rc;
};

/*
 * What pe_json_read returns: a limit of the reader apart from invalid
 * JSON; text cut off inside an open bracket ended early, which is
 * invalid whatever limit it passed before.
 */
static const struct code_case code_cases[] = {
	{ "{}", PE_OK },
	{ "[1e308, -1e-310, 0e-400, -0.0e-999]", PE_OK },
	/* Not zero, but a double reads it so: no one meaning is taken. */
	{ "[1e-400]", PE_ERR_LIMIT },
	{ "[-0.00001e-399]", PE_ERR_LIMIT },
	{ "[1e400]", PE_ERR_LIMIT },
	{ "[1e400]]", PE_ERR_LIMIT },
	{ "[1e400, ", PE_ERR_INVALID },
	{ "01", PE_ERR_INVALID },
	{ "[\"a\tb\"]", PE_ERR_INVALID },
	{ "", PE_ERR_INVALID },
};

static void test_read_codes(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(code_cases); i++) {
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		const char *text = code_cases[i].text;
		struct pe_node *n;
		int rc = pe_json_read(doc, text, strlen(text), &base, diag, &n);

		if (rc != code_cases[i].rc || (rc == PE_OK) != (n != NULL) ||
		    (rc == PE_OK) != (pe_diag_len(diag) == 0))
			fail_msg("%s: rc %d, want %d", text, rc,
				 code_cases[i].rc);
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
}

struct duplicate_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned col;
	const char *message;
};

/*
 * An object that gives a key twice has no one meaning (cJSON keeps the
 * first value, Python the last): refused at the second key, written
 * alike or not, in a small object or a large one, however deep.
 */
static const struct duplicate_case duplicate_cases[] = {
	{ "{\"pass\": true, \"pass\": false}", 0, 16, "duplicate key 'pass'" },
	{ "{\"a\":1,\"a\":\"x\"}", 0, 8, "duplicate key 'a'" },
	{ "{\"a\":1,\"\\u0061\":2}", 0, 8, "duplicate key 'a'" },
	{ "[0, {\"o\": {\"k\": 1, \"k\": [2]}}]", 0, 20, "duplicate key 'k'" },
	{ "{\"a\": {\"k\": 1}, \"a\": 2, \"k\": {\"k\": 3, \"k\": 4}}", 0, 17,
	  "duplicate key 'a'" },
	{ "{\"\":1,\"\":2}", 0, 7, "duplicate key ''" },
	/* Keys with NUL characters: the whole key counts. */
	{ "{\"a\\u0000b\":1, \"a\\u0000b\":2}", 0, 16,
	  "duplicate key 'a\\u0000b'" },
	/* After a byte order mark, which is one column. */
	{ "\xef\xbb\xbf{\"a\":1,\"a\":2}", 0, 9, "duplicate key 'a'" },
	/* Nine keys and more are looked up in an index. */
	{ "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
	  "\"k8\":8,\"k9\":9,\"k5\":10}",
	  0, 65, "duplicate key 'k5'" },
};

static void test_duplicate_keys(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(duplicate_cases); i++) {
		const struct duplicate_case *c = &duplicate_cases[i];
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		struct pe_node *n;
		int rc = pe_json_read(doc, c->text,
				      c->len ? c->len : strlen(c->text), &base,
				      diag, &n);
		const struct pe_diag_entry *e = pe_diag_get(diag, 0);

		if (rc != PE_ERR_LIMIT || n || pe_diag_len(diag) != 1 ||
		    e->line != 1 || e->col != c->col ||
		    strcmp(e->message, c->message))
			fail_msg("%s: rc %d, %u:%u %s", c->text, rc,
				 e ? e->line : 0, e ? e->col : 0,
				 e ? e->message : "(no error)");
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
}

/*
 * Keys that differ are kept, each found by lookup, NUL characters
 * counted; 100,000 keys and a repeated last one take time in their
 * number (a compare of each pair would take minutes).
 */
static void test_many_keys(void **state)
{
	static const char distinct[] =
		"{\"a\":1,\"a\\u0000\":2,\"A\":3,\"\\u0000a\":4,\"a \":5}";
	struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	const struct pe_node *n = parse_ok(doc, distinct, strlen(distinct));
	struct pe_buf text;
	struct pe_node *refused;
	size_t last;

	(void)state;
	assert_int_equal(n->npairs, 5);
	pe_buf_init(&text, 0);
	pe_buf_addc(&text, '{');
	for (int i = 0; i < 100000; i++)
		pe_buf_addf(&text, "\"key%d\": %d, ", i, i);
	last = text.len;
	pe_buf_adds(&text, "\"end\": 0}");
	n = parse_ok(doc, text.data, text.len);
	assert_int_equal(n->npairs, 100001);
	assert_int_equal(pe_node_get(n, "key54321")->ival, 54321);
	text.len = last;
	pe_buf_adds(&text, "\"key99999\": 0}");
	assert_int_equal(
		pe_json_read(doc, text.data, text.len, &base, diag, &refused),
		PE_ERR_LIMIT);
	assert_int_equal(pe_diag_get(diag, 0)->col, last + 1);
	pe_buf_release(&text);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

struct valid_case {
	const char *text;
	enum pe_node_kind kind;
	double value; /* of a number */
	size_t len;   /* of a string */
};

/* What RFC 8259 allows is still read, and read right. */
static const struct valid_case valid_cases[] = {
	{ "0", PE_NODE_INT, 0, 0 },
	{ "-0", PE_NODE_INT, 0, 0 },
	{ "0.5e-3", PE_NODE_FLOAT, 0.5e-3, 0 },
	{ "1E+2", PE_NODE_INT, 100, 0 },
	{ "-1.5E-7", PE_NODE_FLOAT, -1.5e-7, 0 },
	{ "10.25", PE_NODE_FLOAT, 10.25, 0 },
	{ "0e0", PE_NODE_INT, 0, 0 },
	{ "-1.7976931348623157e308", PE_NODE_FLOAT, -DBL_MAX, 0 },
	/*
	 * A number of any length (a cJSON without the fix for
	 * CVE-2023-26819 stops at 63 bytes).
	 */
	{ "0.0000000000000000000000000000000000000000000000000000000000000000"
	  "000000000001",
	  PE_NODE_FLOAT, 1e-76, 0 },
	{ "1" ZEROS_100 ZEROS_100, PE_NODE_FLOAT, 1e200, 0 },
	{ " \t\r\n[1] \r\n", PE_NODE_SEQ, 0, 0 },
	{ "\xef\xbb\xbf{}", PE_NODE_MAP, 0, 0 },
	{ "[true, false, null, {}, []]", PE_NODE_SEQ, 0, 0 },
	{ "\"\\u0000\"", PE_NODE_STRING, 0, 1 },
	{ "\"\\ud83d\\ude00\"", PE_NODE_STRING, 0, 4 },
	{ "\"\\b\\f\\n\\r\\t\\/\\\\\\\"\"", PE_NODE_STRING, 0, 8 },
	/* Only U+0000 to U+001F must be escaped: DEL and C1 need not. */
	{ "\"\x7f\xc2\x80\"", PE_NODE_STRING, 0, 3 },
};

/*
 * Numbers a double misses are marked (struct pe_node's inexact), so that
 * a check that would compare them can say it cannot; the others, most,
 * are not.
 */
static void test_inexact_numbers(void **state)
{
	static const struct {
		const char *text;
		int inexact;
	} cases[] = {
		{ "9007199254740992", 0 },
		{ "9007199254740993", PE_NUMBER_ROUNDED },
		{ "-18446744073709551617", PE_NUMBER_ROUNDED },
		{ "12345678901234567800e-2", PE_NUMBER_ROUNDED },
		{ "12345678901234567890e-2", PE_NUMBER_NOT_INTEGER },
		{ "100000000000000000", 0 },
		{ "1e308", 0 }, /* one digit: the double gives it back */
		{ "1.5e300", 0 },
		{ "1234567890123456", 0 }, /* below 2^53 */
		{ "1.0000000000000000001", PE_NUMBER_NOT_INTEGER },
		{ "-0.99999999999999999999", PE_NUMBER_NOT_INTEGER },
		{ "0.30000000000000004", PE_NUMBER_ROUNDED },
		{ "0.123456789012345", 0 },
		{ "123.4500000000000000000000", 0 },
		{ "0.000000000000000000001", 0 },
		{ "0", 0 },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		const struct pe_node *n =
			parse_ok(doc, cases[i].text, strlen(cases[i].text));

		if (n->inexact != cases[i].inexact)
			fail_msg("%s: inexact %d, want %d", cases[i].text,
				 n->inexact, cases[i].inexact);
		pe_doc_free(doc);
	}
	/* In a tree, each number is marked as its own. */
	{
		static const char text[] =
			"{\"a\": [1, 9007199254740993], \"b\": 2, "
			"\"c\": 1.0000000000000000001}";
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		const struct pe_node *n = parse_ok(doc, text, strlen(text));

		assert_int_equal(n->pairs[0].value->items[0]->inexact, 0);
		assert_int_equal(n->pairs[0].value->items[1]->inexact,
				 PE_NUMBER_ROUNDED);
		assert_int_equal(n->pairs[1].value->inexact, 0);
		assert_int_equal(n->pairs[2].value->inexact,
				 PE_NUMBER_NOT_INTEGER);
		/* Such a number keeps its spelling; the others the double's. */
		assert_string_equal(n->pairs[0].value->items[1]->text,
				    "9007199254740993");
		assert_string_equal(n->pairs[2].value->text,
				    "1.0000000000000000001");
		assert_string_equal(n->pairs[1].value->text, "2");
		pe_doc_free(doc);
	}
}

static void test_strict_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		struct pe_doc *doc = pe_doc_new("data.jsonl", NULL, 0);
		const struct pe_node *n =
			parse_ok(doc, c->text, strlen(c->text));

		if (n->kind != c->kind ||
		    ((n->kind == PE_NODE_INT || n->kind == PE_NODE_FLOAT) &&
		     n->fval != c->value) ||
		    (n->kind == PE_NODE_STRING && n->len != c->len))
			fail_msg("%s: kind %d, value %g, length %zu", c->text,
				 (int)n->kind, n->fval, n->len);
		pe_doc_free(doc);
	}
}

/* A base mark past line 1 (a JSONL record) shifts the error's line. */
static void test_error_from_base_mark(void **state)
{
	static const struct pe_mark line40 = { "cases.jsonl", 40, 1 };
	struct pe_doc *doc = pe_doc_new("cases.jsonl", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	const struct pe_diag_entry *e;

	(void)state;
	assert_null(pe_json_parse(doc, "{\"a\":\n  x}", 10, &line40, diag));
	assert_int_equal(pe_diag_len(diag), 1);
	e = pe_diag_get(diag, 0);
	assert_string_equal(e->file, "cases.jsonl");
	assert_int_equal(e->line, 41);
	assert_int_equal(e->col, 3);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

/* The line and column of a node, as "line:col". */
static void assert_mark(const struct pe_node *n, unsigned line, unsigned col)
{
	assert_non_null(n);
	if (n->mark.line != line || n->mark.col != col)
		fail_msg("mark %u:%u, expected %u:%u", n->mark.line,
			 n->mark.col, line, col);
}

struct scalar_mark_case {
	const char *what;
	const char *yaml;
	/* The key "b" of the object under "a", and its value. */
	unsigned key_line, key_col, value_line, value_col;
};

static const struct scalar_mark_case scalar_mark_cases[] = {
	{ "block scalar", "x: 1\njs: |\n  {\"a\": {\n     \"b\": [1, true]}}\n",
	  4, 6, 4, 11 },
	{ "block scalar, NUL escape",
	  "js: |-\n  {\"z\\u0000\": 0, \"a\": {\"b\":\n    \"\\u0000x\"}}\n", 2,
	  24, 3, 5 },
	{ "single-quoted", "js: '{\"a\": {\"b\": null}}'\n", 1, 13, 1, 18 },
	{ "double-quoted with escapes", "js: \"{\\\"a\\\": {\\\"b\\\": 2}}\"\n",
	  1, 15, 1, 22 },
};

/* Each key and value of JSON in a YAML scalar has its own mark. */
static void test_scalar_marks(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(scalar_mark_cases); i++) {
		const struct scalar_mark_case *c = &scalar_mark_cases[i];
		struct pe_diag *diag = pe_diag_new();
		struct pe_doc *yaml = pe_yaml_load(
			"p.yml", c->yaml, strlen(c->yaml), 1 << 20, diag);
		struct pe_doc *doc = pe_doc_new("p.yml", NULL, 0);
		const struct pe_node *root, *a;
		const struct pe_pair *b;

		print_message("%s\n", c->what);
		assert_non_null(yaml);
		root = pe_json_parse_scalar(
			doc, yaml, pe_node_get(yaml->root, "js"), diag);
		assert_non_null(root);
		a = pe_node_get(root, "a");
		b = pe_node_pair(a, "b");
		assert_non_null(b);
		assert_mark(b->key, c->key_line, c->key_col);
		assert_mark(b->value, c->value_line, c->value_col);
		assert_int_equal(pe_diag_len(diag), 0);
		pe_doc_free(doc);
		pe_doc_free(yaml);
		pe_diag_free(diag);
	}
}

/* A key given twice in a jsonSchema block: at its line and column. */
static void test_scalar_duplicate(void **state)
{
	static const char yaml_text[] =
		"js: |\n  {\"type\": \"string\",\n   \"type\": \"null\"}\n";
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *yaml = pe_yaml_load("p.yml", yaml_text,
					   strlen(yaml_text), 1 << 20, diag);
	struct pe_doc *doc = pe_doc_new("p.yml", NULL, 0);
	const struct pe_diag_entry *e;

	(void)state;
	assert_non_null(yaml);
	assert_null(pe_json_parse_scalar(doc, yaml,
					 pe_node_get(yaml->root, "js"), diag));
	assert_int_equal(pe_diag_len(diag), 1);
	e = pe_diag_get(diag, 0);
	assert_string_equal(e->message, "duplicate key 'type'");
	assert_int_equal(e->line, 3);
	assert_int_equal(e->col, 4);
	pe_doc_free(doc);
	pe_doc_free(yaml);
	pe_diag_free(diag);
}

struct quote_case {
	const char *what;
	struct bytes in;
	const char *want;
};

static const struct quote_case quote_cases[] = {
	{ "empty", BYTES(""), "\"\"" },
	{ "plain", BYTES("plain / text"), "\"plain / text\"" },
	{ "quote and backslash", BYTES("\"\\"), "\"\\\"\\\\\"" },
	{ "short escapes", BYTES("\n\r\t"), "\"\\n\\r\\t\"" },
	{ "other controls", BYTES("\b\f\x01\x1b\x1f"),
	  "\"\\u0008\\u000c\\u0001\\u001b\\u001f\"" },
	{ "NUL", BYTES("a\0b"), "\"a\\u0000b\"" },
	{ "DEL", BYTES("\x7f"), "\"\\u007f\"" },
	{ "valid UTF-8 kept",
	  BYTES("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "C1 controls escaped",
	  BYTES("\xc2\x80\xc2\x9b"
		"2J"),
	  "\"\\u0080\\u009b2J\"" },
	{ "U+00A0 kept", BYTES("\xc2\xa0"), "\"\xc2\xa0\"" },
	{ "bidi controls escaped",
	  BYTES("\xe2\x80\xae\xe2\x81\xa6\xe2\x80\x8f\xd8\x9c"),
	  "\"\\u202e\\u2066\\u200f\\u061c\"" },
	{ "line and paragraph separators escaped",
	  BYTES("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"" },
	{ "byte FF",
	  BYTES("a\xff"
		"b"),
	  "\"a\xef\xbf\xbd"
	  "b\"" },
	{ "stray continuation", BYTES("\x80"), "\"\xef\xbf\xbd\"" },
	{ "truncated at the end", BYTES("x\xc3"), "\"x\xef\xbf\xbd\"" },
	{ "lead F5", BYTES("\xf5"), "\"\xef\xbf\xbd\"" },
	{ "overlong", BYTES("\xc0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "surrogate", BYTES("\xed\xa0\x80"),
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "invalid then valid", BYTES("\xff\xc3\xa9"),
	  "\"\xef\xbf\xbd\xc3\xa9\"" },
};

static void test_quote(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(quote_cases); i++) {
		const struct quote_case *c = &quote_cases[i];
		struct pe_buf b;

		pe_buf_init(&b, 0);
		assert_int_equal(pe_json_quote(&b, c->in.s, c->in.len), PE_OK);
		if (strcmp(pe_buf_str(&b), c->want) ||
		    b.len != strlen(c->want)) {
			print_error("%s: got %s\n", c->what, pe_buf_str(&b));
			fail();
		}
		pe_buf_release(&b);
	}
}

/* Quoting random bytes always gives valid UTF-8 with no raw C0, DEL or C1. */
static void test_quote_random_bytes(void **state)
{
	unsigned long long x = 0xda3e39cb94b95bdbULL;

	(void)state;
	for (size_t round = 0; round < 2000; round++) {
		char in[40];
		size_t len = next_random(&x) % sizeof(in);
		struct pe_buf b;

		for (size_t i = 0; i < len; i++)
			in[i] = (char)(next_random(&x) & 0xff);
		pe_buf_init(&b, 0);
		pe_json_quote(&b, in, len);
		for (size_t i = 0; i < b.len;) {
			unsigned long cp;
			size_t n = pe_utf8_decode(b.data + i, b.len - i, &cp);

			assert_true(n > 0);
			assert_true(cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f));
			i += n;
		}
		pe_buf_release(&b);
	}
}

static void test_str_num_count(void **state)
{
	struct pe_buf b;

	(void)state;
	pe_buf_init(&b, 0);
	pe_json_str(&b, NULL);
	pe_buf_addc(&b, ' ');
	pe_json_str(&b, "x\"y");
	pe_buf_addc(&b, ' ');
	pe_json_num(&b, NAN);
	pe_buf_addc(&b, ' ');
	pe_json_num(&b, INFINITY);
	pe_buf_addc(&b, ' ');
	pe_json_num(&b, 3);
	pe_buf_addc(&b, ' ');
	pe_json_num(&b, -0.25);
	pe_buf_addc(&b, ' ');
	pe_json_num(&b, 0.1);
	pe_json_count_member(&b, "n", 7);
	pe_json_count_member(&b, "unknown", -1);
	assert_string_equal(pe_buf_str(&b),
			    "null \"x\\\"y\" null null 3 "
			    "-0.25 0.1,\"n\":7,\"unknown\":null");
	pe_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nul_bytes_kept),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_quote_parse_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_prose_errors_random),
		cmocka_unit_test(test_strings_random),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_deep_empty_array),
		cmocka_unit_test(test_read_codes),
		cmocka_unit_test(test_strict_valid),
		cmocka_unit_test(test_inexact_numbers),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_error_from_base_mark),
		cmocka_unit_test(test_scalar_marks),
		cmocka_unit_test(test_scalar_duplicate),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_random_bytes),
		cmocka_unit_test(test_str_num_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
