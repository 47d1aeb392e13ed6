/*
 * Unit tests for url.c: taking base URLs apart, the loopback test that
 * decides whether a local endpoint needs no key (a host that only starts
 * like 127.0.0.1 is not local), origins, plain http to another host,
 * and resolving references against a base (RFC 3986's own examples, URNs
 * and file URIs as JSON Schema's $id and $ref use them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/url.h"
#include "harness/core/util.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

struct parse_case {
	const char *url;
	const char *scheme; /* NULL: not a URL */
	const char *host;
	long port;
	const char *password; /* NULL: none */
};

static const struct parse_case parse_cases[] = {
	{ "https://api.openai.com/v1", "https", "api.openai.com", 443, NULL },
	{ "HTTP://LocalHost:8080", "http", "localhost", 8080, NULL },
	{ "http://[::1]:8080/v1", "http", "::1", 8080, NULL },
	{ "http://[::1]", "http", "::1", 80, NULL },
	{ "http://u:pw-123456@proxy:3128/x", "http", "proxy", 3128,
	  "pw-123456" },
	{ "http://127.0.0.1@evil.com/v1", "http", "evil.com", 80, NULL },
	{ "http://a@b@c.example?x#y", "http", "c.example", 80, NULL },
	{ "https://h:0", "https", "h", 443, NULL },
	{ "ftp://files.example", "ftp", "files.example", 0, NULL },
	{ "127.0.0.1:8000", NULL, NULL, 0, NULL },
	{ "http://", NULL, NULL, 0, NULL },
	{ "http:///v1", NULL, NULL, 0, NULL },
	{ "http://h:99999", NULL, NULL, 0, NULL },
	{ "http://h:8x", NULL, NULL, 0, NULL },
	{ "http://h:", NULL, NULL, 0, NULL },
	{ "http://[::1", NULL, NULL, 0, NULL },
	{ "http://[::1]x", NULL, NULL, 0, NULL },
	{ "http://127.0.0.1\\@evil.com", NULL, NULL, 0, NULL },
	{ "http://127.0.0.1 .evil.com", NULL, NULL, 0, NULL },
	{ "http://%31%32%37.0.0.1", NULL, NULL, 0, NULL },
	{ "", NULL, NULL, 0, NULL },
	{ "1http://x", NULL, NULL, 0, NULL },
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct pe_url u;
		int rc = pe_url_parse(c->url, &u);

		if (!c->scheme) {
			if (rc != PE_ERR_INVALID)
				fail_msg("%s: parsed, want an error", c->url);
			assert_null(u.host);
			continue;
		}
		if (rc)
			fail_msg("%s: not parsed", c->url);
		assert_string_equal(u.scheme, c->scheme);
		assert_string_equal(u.host, c->host);
		assert_int_equal(u.port, c->port);
		if (c->password)
			assert_string_equal(u.password, c->password);
		else
			assert_null(u.password);
		pe_url_release(&u);
	}
	assert_int_equal(pe_url_parse(NULL, &(struct pe_url){ 0 }),
			 PE_ERR_INVALID);
}

struct local_case {
	const char *url;
	int loopback;
	int cleartext_remote;
};

static const struct local_case local_cases[] = {
	{ "http://127.0.0.1:8000/v1", 1, 0 },
	{ "http://127.255.3.4", 1, 0 },
	{ "https://127.0.0.1", 1, 0 },
	{ "http://localhost:11434", 1, 0 },
	{ "http://LOCALHOST.", 1, 0 },
	{ "http://[::1]:8080", 1, 0 },
	{ "http://[0:0:0:0:0:0:0:1]", 1, 0 },
	{ "http://[::ffff:127.0.0.1]", 1, 0 },
	{ "http://u:p@127.0.0.1", 1, 0 },
	/* What a substring test took for local. */
	{ "http://127.0.0.1.evil.com", 0, 1 },
	{ "http://127.0.0.1.evil.com:8000/v1", 0, 1 },
	{ "http://localhost.evil.com", 0, 1 },
	{ "http://127.0.0.1@evil.com", 0, 1 },
	{ "https://evil.com/?u=http://127.0.0.1", 0, 0 },
	{ "http://evil.com/http://localhost", 0, 1 },
	{ "http://[::1].evil.com", 0, 0 },
	{ "http://127.1", 0, 1 },
	{ "http://128.0.0.1", 0, 1 },
	{ "http://10.0.0.1/v1", 0, 1 },
	{ "http://[::2]", 0, 1 },
	{ "https://api.openai.com/v1", 0, 0 },
	{ "127.0.0.1", 0, 0 },
	{ "http://127.0.0.1\\@evil.com", 0, 0 },
};

static void test_loopback(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(local_cases); i++) {
		const struct local_case *c = &local_cases[i];

		if (pe_url_is_loopback(c->url) != c->loopback)
			fail_msg("%s: loopback %d, want %d", c->url,
				 !c->loopback, c->loopback);
		if (pe_url_is_cleartext_remote(c->url) != c->cleartext_remote)
			fail_msg("%s: cleartext remote %d, want %d", c->url,
				 !c->cleartext_remote, c->cleartext_remote);
	}
	assert_false(pe_url_is_loopback(NULL));
}

struct origin_case {
	const char *a;
	const char *b;
	int same;
};

static const struct origin_case origin_cases[] = {
	{ "https://api.openai.com/v1", "https://api.openai.com/v1/", 1 },
	{ "https://api.openai.com/v1", "HTTPS://API.OpenAI.com:443/other", 1 },
	{ "https://api.openai.com/v1", "http://api.openai.com/v1", 0 },
	{ "https://api.openai.com/v1", "https://api.openai.com:8443/v1", 0 },
	{ "https://api.openai.com/v1", "https://api.openai.com.evil/v1", 0 },
	{ "https://api.openai.com/v1", "https://evil@api.openai.com/v1", 1 },
	{ "https://api.openai.com/v1", "api.openai.com/v1", 0 },
	{ "x", "x", 0 },
};

static void test_same_origin(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(origin_cases); i++) {
		const struct origin_case *c = &origin_cases[i];

		if (pe_url_same_origin(c->a, c->b) != c->same)
			fail_msg("%s, %s: same %d, want %d", c->a, c->b,
				 !c->same, c->same);
		assert_int_equal(pe_url_same_origin(c->b, c->a), c->same);
	}
}

struct resolve_case {
	const char *base;
	const char *ref;
	const char *want;
};

static const struct resolve_case resolve_cases[] = {
	/* RFC 3986, 5.4.1 and 5.4.2, against http://a/b/c/d;p?q. */
	{ "http://a/b/c/d;p?q", "g:h", "g:h" },
	{ "http://a/b/c/d;p?q", "g", "http://a/b/c/g" },
	{ "http://a/b/c/d;p?q", "./g", "http://a/b/c/g" },
	{ "http://a/b/c/d;p?q", "g/", "http://a/b/c/g/" },
	{ "http://a/b/c/d;p?q", "/g", "http://a/g" },
	{ "http://a/b/c/d;p?q", "//g", "http://g" },
	{ "http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y" },
	{ "http://a/b/c/d;p?q", "g?y", "http://a/b/c/g?y" },
	{ "http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s" },
	{ "http://a/b/c/d;p?q", "g#s", "http://a/b/c/g#s" },
	{ "http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q" },
	{ "http://a/b/c/d;p?q", ".", "http://a/b/c/" },
	{ "http://a/b/c/d;p?q", "./", "http://a/b/c/" },
	{ "http://a/b/c/d;p?q", "..", "http://a/b/" },
	{ "http://a/b/c/d;p?q", "../g", "http://a/b/g" },
	{ "http://a/b/c/d;p?q", "../..", "http://a/" },
	{ "http://a/b/c/d;p?q", "../../g", "http://a/g" },
	{ "http://a/b/c/d;p?q", "../../../g", "http://a/g" },
	{ "http://a/b/c/d;p?q", "/./g", "http://a/g" },
	{ "http://a/b/c/d;p?q", "/../g", "http://a/g" },
	{ "http://a/b/c/d;p?q", "g.", "http://a/b/c/g." },
	{ "http://a/b/c/d;p?q", "..g", "http://a/b/c/..g" },
	{ "http://a/b/c/d;p?q", "./../g", "http://a/b/g" },
	{ "http://a/b/c/d;p?q", "g/./h", "http://a/b/c/g/h" },
	{ "http://a/b/c/d;p?q", "g/../h", "http://a/b/c/h" },
	{ "http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y" },
	/* As JSON Schema uses them. */
	{ "http://localhost:1234/draft2020-12/tree", "node",
	  "http://localhost:1234/draft2020-12/node" },
	{ "http://example.com", "b/d.json", "http://example.com/b/d.json" },
	{ "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed", "#/$defs/bar",
	  "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/bar" },
	{ "file:///folder/file.json", "#/$defs/foo",
	  "file:///folder/file.json#/$defs/foo" },
	{ "file:///c:/folder/file.json", "other.json",
	  "file:///c:/folder/other.json" },
};

static void test_resolve(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(resolve_cases); i++) {
		const struct resolve_case *c = &resolve_cases[i];
		char *got = pe_url_resolve(c->base, c->ref);

		if (strcmp(got, c->want))
			fail_msg("%s against %s: %s, want %s", c->ref, c->base,
				 got, c->want);
		free(got);
	}
}

/* Percent-encoding and -decoding: a path keeps its slashes, a segment
 * does not, and decoding gives the text back. */
static void test_encode_decode(void **state)
{
	static const char text[] = "/tmp/my schemas/100%/ünï~_.-x";
	struct pe_buf b;
	char *back;

	(void)state;
	pe_buf_init(&b, 0);
	pe_url_add_encoded(&b, text, "/");
	assert_string_equal(pe_buf_str(&b),
			    "/tmp/my%20schemas/100%25/%C3%BCn%C3%AF~_.-x");
	back = pe_url_decode(pe_buf_str(&b));
	assert_string_equal(back, text);
	free(back);
	pe_buf_reset(&b);
	pe_url_add_encoded(&b, "models/a b", "");
	assert_string_equal(pe_buf_str(&b), "models%2Fa%20b");
	back = pe_url_decode("100%zz%4");
	assert_string_equal(back, "100%zz%4"); /* stray '%' stays */
	free(back);
	/* A NUL would end the text early: "a%00b" is no "a". */
	assert_null(pe_url_decode("a%00b"));
	assert_null(pe_url_decode("%00"));
	pe_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_encode_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
