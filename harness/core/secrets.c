/*
 * The secrets set (see secrets.h): an array of values, longest first, so
 * that a value that holds another ("Bearer KEY" and "KEY") is replaced
 * whole before the shorter one is looked for.
 */
#define _GNU_SOURCE /* memmem */
#include "harness/core/secrets.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/url.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct secret {
	char *value;
	size_t len;
};

struct pe_secrets {
	struct secret *items; /* longest first */
	size_t len;
	size_t alloc;
};

/* Makes an empty set. */
struct pe_secrets *pe_secrets_new(void)
{
	return xcalloc(1, sizeof(struct pe_secrets));
}

/* Wipes and frees the set; NULL is a no-op. */
void pe_secrets_free(struct pe_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->len; i++) {
		memset(s->items[i].value, 0, s->items[i].len);
		free(s->items[i].value);
	}
	free(s->items);
	free(s);
}

/* Adds one form, keeping the longest first; 1 when it was new. */
static int add_form(struct pe_secrets *s, const char *value, size_t len)
{
	size_t at = 0;

	for (size_t i = 0; i < s->len; i++)
		if (s->items[i].len == len &&
		    !memcmp(s->items[i].value, value, len))
			return 0;
	while (at < s->len && s->items[at].len >= len)
		at++;
	pe_grow(&s->items, &s->alloc, s->len + 1, sizeof(*s->items));
	memmove(s->items + at + 1, s->items + at,
		(s->len - at) * sizeof(*s->items));
	s->items[at].value = xstrndup(value, len);
	s->items[at].len = len;
	s->len++;
	return 1;
}

/*
 * value as it is written inside a JSON string: quotes, backslashes and
 * control characters escaped, and '/' too when escape_slash is set (some
 * servers write "\/").
 */
static void json_form(struct pe_buf *b, const char *value, size_t len,
		      int escape_slash)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '"' || c == '\\' || (c == '/' && escape_slash)) {
			pe_buf_addc(b, '\\');
			pe_buf_addc(b, (char)c);
		} else if (c < 0x20) {
			pe_buf_addf(b, "\\u%04x", c);
		} else {
			pe_buf_addc(b, (char)c);
		}
	}
}

/* Adds a secret and its JSON-escaped forms; see secrets.h. */
int pe_secrets_add(struct pe_secrets *s, const char *value, size_t len)
{
	int added;

	if (!s || !value || len < PE_SECRET_MIN_LEN)
		return 0;
	added = add_form(s, value, len);
	for (int slash = 0; slash <= 1; slash++) {
		struct pe_buf b;

		pe_buf_init(&b, 0);
		json_form(&b, value, len, slash);
		if (b.len != len)
			add_form(s, b.data, b.len);
		memset(b.data, 0, b.len);
		pe_buf_release(&b);
	}
	return added;
}

/* Adds an environment variable's value; see secrets.h. */
void pe_secrets_add_env(struct pe_secrets *s, const char *name)
{
	const char *value = name ? getenv(name) : NULL;

	if (value)
		pe_secrets_add(s, value, strlen(value));
}

/* True when a header name carries a credential; see secrets.h. */
int pe_secrets_header_is_secret(const char *name, size_t len)
{
	static const char *const words[] = { "auth",	"key",	    "token",
					     "secret",	"password", "cookie",
					     "session", NULL };
	char lower[128];

	if (len >= sizeof(lower))
		return 1; /* a name that long is no standard header */
	for (size_t i = 0; i < len; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[len] = '\0';
	for (size_t i = 0; words[i]; i++)
		if (strstr(lower, words[i]))
			return 1;
	return 0;
}

/* Adds a credential header's value and its words; see secrets.h. */
void pe_secrets_add_header(struct pe_secrets *s, const char *line)
{
	const char *colon = strchr(line, ':');
	const char *value, *p;

	if (!colon ||
	    !pe_secrets_header_is_secret(line, (size_t)(colon - line)))
		return;
	value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	pe_secrets_add(s, value, strlen(value));
	for (p = value; *p;) {
		size_t word = strcspn(p, " \t");

		pe_secrets_add(s, p, word);
		p += word;
		p += strspn(p, " \t");
	}
}

/* Adds the password of a URL's userinfo; see secrets.h. */
void pe_secrets_add_url(struct pe_secrets *s, const char *url)
{
	struct pe_url u;

	if (!url || pe_url_parse(url, &u))
		return;
	if (u.password)
		pe_secrets_add(s, u.password, strlen(u.password));
	pe_url_release(&u);
}

/* The number of values held; see secrets.h. */
size_t pe_secrets_count(const struct pe_secrets *s)
{
	return s ? s->len : 0;
}

/*
 * Replaces one secret in text into out; returns how many times it was
 * there (0: out is left empty).
 */
static size_t replace_one(const struct secret *sec, const char *text,
			  size_t len, struct pe_buf *out)
{
	const char *p = text, *end = text + len, *hit;
	size_t n = 0;

	while ((hit = memmem(p, (size_t)(end - p), sec->value, sec->len))) {
		if (!n)
			pe_buf_reset(out);
		pe_buf_add(out, p, (size_t)(hit - p));
		pe_buf_adds(out, PE_REDACTED);
		p = hit + sec->len;
		n++;
	}
	if (n)
		pe_buf_add(out, p, (size_t)(end - p));
	return n;
}

/* Redacts a heap string of len bytes; see secrets.h. */
size_t pe_secrets_redact(const struct pe_secrets *s, char **text, size_t *len)
{
	size_t total = 0;

	if (!s || !text || !*text)
		return 0;
	for (size_t i = 0; i < s->len; i++) {
		struct pe_buf out;
		size_t n;

		pe_buf_init(&out, 0);
		n = replace_one(&s->items[i], *text, *len, &out);
		if (!n) {
			pe_buf_release(&out);
			continue;
		}
		memset(*text, 0, *len);
		free(*text);
		*text = pe_buf_detach(&out, len);
		total += n;
	}
	return total;
}

/* Redacts a NUL-terminated heap string; see secrets.h. */
size_t pe_secrets_redact_str(const struct pe_secrets *s, char **text)
{
	size_t len;

	if (!text || !*text)
		return 0;
	len = strlen(*text);
	return pe_secrets_redact(s, text, &len);
}
