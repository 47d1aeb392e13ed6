#ifndef PE_SECRETS_H
#define PE_SECRETS_H
/*
 * The run's secrets, and the one function that takes them out of text.
 *
 * A provider that echoes the key in its error body ("Incorrect API key
 * provided: sk-..."), a model that repeats it, or a program that prints
 * its environment must not put a key into results, the journal, the
 * cache, a report or a message.  The plan collects every secret the run
 * knows once, when it resolves the targets' keys (plan.h): the API key
 * of every target, the key variables of every provider and of the
 * configuration, header values whose name says they are credentials
 * (Authorization, api-key, x-api-key, x-goog-api-key, anything with
 * "auth", "key", "token", "secret", "password", "cookie" or "session"),
 * and a base URL's password.  After that the set is read-only, and any
 * thread may redact with it.
 *
 * pe_secrets_redact replaces each occurrence of a secret, in its plain
 * form and in its JSON-escaped forms (a raw body quotes it that way), by
 * "[REDACTED]".  The runner calls it on every HTTP body before a provider
 * parses it, on what the provider read from it, and on every answer and
 * error before a row holds it, so what is cached, stored and printed
 * afterwards is clean.
 *
 * Values shorter than PE_SECRET_MIN_LEN bytes are not taken: replacing
 * every "abc" of every answer would garble them, and no real key is that
 * short.  NEEDSWORK: a secret that a server escapes in some other way
 * (every character as \uXXXX, or percent-encoded) is not recognised.
 *
 * Ownership: the set copies what is added and wipes it when freed.
 * Arguments are borrowed; a NULL set redacts nothing.
 */
#include <stddef.h>

enum { PE_SECRET_MIN_LEN = 8 };

/* What a secret is replaced by. */
#define PE_REDACTED "[REDACTED]"

struct pe_secrets;

struct pe_secrets *pe_secrets_new(void);
void pe_secrets_free(struct pe_secrets *s);

/*
 * Adds value (len bytes) and its JSON-escaped forms.  Returns 1 when it
 * was taken, 0 when it is too short (or already there).
 */
int pe_secrets_add(struct pe_secrets *s, const char *value, size_t len);

/* Adds the value of the environment variable name, when it is set. */
void pe_secrets_add_env(struct pe_secrets *s, const char *name);

/*
 * True when a header of this name carries a credential (see above);
 * len is the name's length.
 */
int pe_secrets_header_is_secret(const char *name, size_t len);

/*
 * Adds the value of a "Name: value" header line when its name carries a
 * credential: the whole value, and each word of it ("Bearer TOKEN" adds
 * "TOKEN" too).
 */
void pe_secrets_add_header(struct pe_secrets *s, const char *line);

/* Adds the password of url's userinfo ("https://user:PASSWORD@host"). */
void pe_secrets_add_url(struct pe_secrets *s, const char *url);

/* How many values (forms included) the set holds. */
size_t pe_secrets_count(const struct pe_secrets *s);

/*
 * Replaces every secret in the heap string *text (*len bytes, then a NUL;
 * it may hold other NULs) by PE_REDACTED.  *text is replaced by a new
 * heap string when something was found (the old one is wiped and freed)
 * and *len updated.  Returns how many were replaced.  s or *text NULL:
 * nothing is done.
 */
size_t pe_secrets_redact(const struct pe_secrets *s, char **text, size_t *len);

/* The same for a NUL-terminated heap string (or NULL). */
size_t pe_secrets_redact_str(const struct pe_secrets *s, char **text);

#endif
