/*
 * Unit tests for secrets.c: what is taken as a secret (values long
 * enough, their JSON-escaped forms, credential headers and their words,
 * a URL's password, an environment variable), and redaction of heap
 * strings with NULs in them and of NUL-terminated strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/secrets.h"
#include "harness/core/util.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

static const char KEY[] = "sk-canary-7f3a9c1e";

/* Redacts text with s; returns the result, compared by the caller. */
static char *redacted(const struct pe_secrets *s, const char *text,
		      size_t *count)
{
	char *copy = xstrdup(text);

	*count = pe_secrets_redact_str(s, &copy);
	return copy;
}

struct redact_case {
	const char *text;
	const char *want;
	size_t count;
};

static const struct redact_case redact_cases[] = {
	{ "", "", 0 },
	{ "nothing here", "nothing here", 0 },
	{ "Incorrect API key provided: sk-canary-7f3a9c1e. See docs.",
	  "Incorrect API key provided: [REDACTED]. See docs.", 1 },
	{ "sk-canary-7f3a9c1esk-canary-7f3a9c1e", "[REDACTED][REDACTED]", 2 },
	{ "sk-canary-7f3a9c1", "sk-canary-7f3a9c1", 0 },
	/* The header's whole value first, then its token alone. */
	{ "got 'Bearer tok/en\"12345' and tok/en\"12345",
	  "got '[REDACTED]' and [REDACTED]", 2 },
	/* JSON-escaped forms, as a raw body quotes them. */
	{ "{\"k\":\"tok/en\\\"12345\"}", "{\"k\":\"[REDACTED]\"}", 1 },
	{ "{\"k\":\"tok\\/en\\\"12345\"}", "{\"k\":\"[REDACTED]\"}", 1 },
	{ "pw: hunter2-hunter2!", "pw: [REDACTED]", 1 },
	{ "header x-goog-api-key: AIzaCANARY99",
	  "header x-goog-api-key: [REDACTED]", 1 },
	{ "short", "short", 0 },
};

static struct pe_secrets *example_set(void)
{
	struct pe_secrets *s = pe_secrets_new();

	assert_int_equal(pe_secrets_add(s, KEY, strlen(KEY)), 1);
	assert_int_equal(pe_secrets_add(s, KEY, strlen(KEY)), 0);
	/* Too short to be a key, and it would garble every answer. */
	assert_int_equal(pe_secrets_add(s, "short", 5), 0);
	pe_secrets_add_header(s, "Authorization: Bearer tok/en\"12345");
	pe_secrets_add_header(s, "x-goog-api-key: AIzaCANARY99");
	pe_secrets_add_header(s, "OpenAI-Organization: org-team-evals");
	pe_secrets_add_url(s, "http://user:hunter2-hunter2!@proxy:3128/v1");
	return s;
}

static void test_redact(void **state)
{
	struct pe_secrets *s = example_set();

	(void)state;
	for (size_t i = 0; i < COUNT(redact_cases); i++) {
		const struct redact_case *c = &redact_cases[i];
		size_t count;
		char *got = redacted(s, c->text, &count);

		if (strcmp(got, c->want) || count != c->count)
			fail_msg("'%s': '%s' (%zu), want '%s' (%zu)", c->text,
				 got, count, c->want, c->count);
		free(got);
	}
	pe_secrets_free(s);
}

/* Headers whose names carry credentials, and some that do not. */
static void test_header_names(void **state)
{
	static const char *const secret[] = {
		"Authorization",  "Proxy-Authorization",
		"api-key",	  "x-api-key",
		"X-Goog-Api-Key", "Ocp-Apim-Subscription-Key",
		"Cookie",	  "X-Auth-Token",
		"X-Session-Id",	  "X-Client-Secret",
	};
	static const char *const plain[] = {
		"OpenAI-Organization", "anthropic-version", "X-Team",
		"Content-Type",	       "User-Agent",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(secret); i++)
		if (!pe_secrets_header_is_secret(secret[i], strlen(secret[i])))
			fail_msg("%s: not a secret", secret[i]);
	for (size_t i = 0; i < COUNT(plain); i++)
		if (pe_secrets_header_is_secret(plain[i], strlen(plain[i])))
			fail_msg("%s: a secret", plain[i]);
}

/* A heap string with NULs in it, and the count of forms. */
static void test_binary_and_counts(void **state)
{
	struct pe_secrets *s = pe_secrets_new();
	static const char text[] = "a\0sk-canary-7f3a9c1e\0b";
	size_t len = sizeof(text) - 1;
	char *copy = xmalloc(len + 1);

	(void)state;
	memcpy(copy, text, len + 1);
	assert_int_equal(pe_secrets_count(NULL), 0);
	assert_int_equal(pe_secrets_redact(NULL, &copy, &len), 0);
	pe_secrets_add(s, KEY, strlen(KEY));
	/* A key without characters to escape has one form. */
	assert_int_equal(pe_secrets_count(s), 1);
	assert_int_equal(pe_secrets_redact(s, &copy, &len), 1);
	assert_int_equal(len, 1 + 1 + strlen(PE_REDACTED) + 1 + 1);
	assert_memory_equal(copy, "a\0[REDACTED]\0b", len + 1);
	free(copy);
	/* "a/b\"c..." has its plain, escaped and slash-escaped forms. */
	pe_secrets_add(s, "a/b\"cdefgh", 10);
	assert_int_equal(pe_secrets_count(s), 4);
	pe_secrets_free(s);
}

/* A variable's value. */
static void test_env(void **state)
{
	struct pe_secrets *s = pe_secrets_new();
	size_t count;
	char *got;

	(void)state;
	assert_int_equal(setenv("PE_TEST_SECRET", KEY, 1), 0);
	pe_secrets_add_env(s, "PE_TEST_SECRET");
	pe_secrets_add_env(s, "PE_TEST_SECRET_UNSET");
	pe_secrets_add_env(s, NULL);
	assert_int_equal(unsetenv("PE_TEST_SECRET"), 0);
	assert_int_equal(pe_secrets_count(s), 1);
	got = redacted(s, "x: sk-canary-7f3a9c1e y", &count);
	assert_string_equal(got, "x: [REDACTED] y");
	assert_int_equal(count, 1);
	free(got);
	pe_secrets_free(s);
	pe_secrets_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_binary_and_counts),
		cmocka_unit_test(test_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
