#ifndef PE_URL_H
#define PE_URL_H
/*
 * URLs, as far as deciding where a key may go needs them: the scheme, the
 * host and the port of a base URL ("the origin"), whether that host is
 * this machine (127.0.0.0/8, ::1, localhost), and whether two base URLs
 * are the same server.  The plan calls it when it gives targets their
 * keys; nothing here touches the network or libcurl.  It also resolves
 * relative references, for the JSON Schema validator's $id and $ref.
 *
 * The parser is strict on purpose: a URL it cannot take apart with
 * certainty (a backslash, a space or a percent sign in the authority, no
 * "scheme://") is never called local and never equals another, so every
 * doubt falls on the side of sending no key.
 *
 * Ownership: struct pe_url holds its own copies; pe_url_release frees
 * them.  Arguments are borrowed.
 */
#include <stddef.h>

#include "harness/core/buf.h"

struct pe_url {
	char *scheme; /* lower case: "https" */
	char *host;   /* lower case, an IPv6 address without its brackets */
	long port; /* the explicit port, else the scheme's (80, 443), else 0 */
	char *password; /* the userinfo's password ("user:PASSWORD@"), or NULL */
};

/* Takes url apart into out; returns 0, or PE_ERR_INVALID (out is empty). */
int pe_url_parse(const char *url, struct pe_url *out);
void pe_url_release(struct pe_url *u);

/*
 * True when url's host is this machine: an IPv4 address in 127.0.0.0/8,
 * ::1 (also as ::ffff:127.x.y.z) or "localhost".  A host that merely
 * starts like one ("127.0.0.1.example.com") is not.
 */
int pe_url_is_loopback(const char *url);

/* True when a and b have the same scheme, host and port. */
int pe_url_same_origin(const char *a, const char *b);

/* True when url is plain http:// to a host that is not this machine. */
int pe_url_is_cleartext_remote(const char *url);

/*
 * Resolves the URI reference ref against the absolute URI base as RFC
 * 3986 (section 5.2) does, "." and ".." segments removed, for the JSON
 * Schema validator's $id and $ref.  Any string is taken; nothing is
 * checked or normalised beyond that.  The caller owns the result.
 */
char *pe_url_resolve(const char *base, const char *ref);

/*
 * Decodes the %XX escapes of s (RFC 3986); a stray '%' stays as it is.
 * The caller owns the result.  NULL when an escape is %00: the result is
 * a C string, which the NUL would end early (a path or a JSON pointer
 * cut there names another place).
 */
char *pe_url_decode(const char *s);

/*
 * Appends s to b percent-encoded (RFC 3986): every byte but the
 * unreserved characters (letters, digits, '-', '.', '_', '~') and those
 * in keep ("/" for a path, "" for one segment of it).
 */
void pe_url_add_encoded(struct pe_buf *b, const char *s, const char *keep);

#endif
