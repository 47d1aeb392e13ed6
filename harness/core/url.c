/*
 * Taking a base URL apart (see url.h).  "scheme://[userinfo@]host[:port]"
 * then a path, query or fragment; the authority ends at the first '/',
 * '?' or '#', and the host follows the last '@' in it, as RFC 3986 and
 * libcurl read it.
 */
#include "harness/core/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

static char *lower_dup(const char *s, size_t len)
{
	char *copy = xstrndup(s, len);

	for (char *p = copy; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

/* The scheme's length, or 0 when url does not start with "scheme://". */
static size_t scheme_length(const char *url)
{
	size_t n = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[n]) || url[n] == '+' ||
	       url[n] == '-' || url[n] == '.')
		n++;
	return strncmp(url + n, "://", 3) ? 0 : n;
}

/*
 * True when every byte of the authority is one RFC 3986 allows there,
 * without percent-encoding: anything else (a backslash, a space, '%')
 * may be read otherwise by the HTTP library, so the URL is refused.
 */
static int authority_is_plain(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    !strchr("-._~!$&'()*+,;=:@[]", s[i]))
			return 0;
	return 1;
}

static long default_port(const char *scheme)
{
	return !strcmp(scheme, "https")	 ? 443
	       : !strcmp(scheme, "http") ? 80
					 : 0;
}

/* Reads ":port" (or nothing) into u->port; 0 or PE_ERR_INVALID. */
static int read_port(const char *s, size_t len, struct pe_url *u)
{
	long port = 0;

	if (!len) {
		u->port = default_port(u->scheme);
		return PE_OK;
	}
	if (s[0] != ':' || len == 1 || len > 6)
		return PE_ERR_INVALID;
	for (size_t i = 1; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return PE_ERR_INVALID;
		port = port * 10 + (s[i] - '0');
	}
	if (port > 65535)
		return PE_ERR_INVALID;
	u->port = port ? port : default_port(u->scheme);
	return PE_OK;
}

/* Reads "host[:port]" (host may be "[v6]") into u; 0 or PE_ERR_INVALID. */
static int read_host_port(const char *s, size_t len, struct pe_url *u)
{
	const char *end = s + len, *host = s, *rest;
	size_t host_len;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return PE_ERR_INVALID;
		host = s + 1;
		host_len = (size_t)(close - host);
		rest = close + 1;
	} else {
		const char *colon = memchr(s, ':', len);

		host_len = colon ? (size_t)(colon - s) : len;
		rest = s + host_len;
	}
	if (!host_len || memchr(host, '[', host_len) ||
	    memchr(host, ']', host_len))
		return PE_ERR_INVALID;
	u->host = lower_dup(host, host_len);
	return read_port(rest, (size_t)(end - rest), u);
}

/* Takes a URL apart; see url.h. */
int pe_url_parse(const char *url, struct pe_url *out)
{
	size_t scheme_len = url ? scheme_length(url) : 0;
	const char *auth, *at, *hostport;
	size_t auth_len, hostport_len;

	memset(out, 0, sizeof(*out));
	if (!scheme_len)
		return PE_ERR_INVALID;
	auth = url + scheme_len + 3;
	auth_len = strcspn(auth, "/?#");
	if (!auth_len || !authority_is_plain(auth, auth_len))
		return PE_ERR_INVALID;
	out->scheme = lower_dup(url, scheme_len);
	at = NULL;
	for (size_t i = 0; i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	hostport = at ? at + 1 : auth;
	hostport_len = auth_len - (size_t)(hostport - auth);
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));

		if (colon && at - colon > 1)
			out->password =
				xstrndup(colon + 1, (size_t)(at - colon - 1));
	}
	if (read_host_port(hostport, hostport_len, out)) {
		pe_url_release(out);
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

/* Frees what a parsed URL holds and empties it. */
void pe_url_release(struct pe_url *u)
{
	free(u->scheme);
	free(u->host);
	if (u->password)
		memset(u->password, 0, strlen(u->password));
	free(u->password);
	memset(u, 0, sizeof(*u));
}

/* True when host (as parsed) is this machine. */
static int host_is_loopback(const char *host)
{
	unsigned char v4[4];
	struct in6_addr v6;
	size_t len = strlen(host);

	/* "localhost." is the same name, fully qualified. */
	if (!strcmp(host, "localhost") || !strcmp(host, "localhost."))
		return 1;
	if (len && host[len - 1] != '.' && inet_pton(AF_INET, host, v4) == 1)
		return v4[0] == 127;
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6) ||
		       (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
	return 0;
}

/* True when url's host is this machine; see url.h. */
int pe_url_is_loopback(const char *url)
{
	struct pe_url u;
	int local;

	if (pe_url_parse(url, &u))
		return 0;
	local = host_is_loopback(u.host);
	pe_url_release(&u);
	return local;
}

/* True when two URLs name the same server; see url.h. */
int pe_url_same_origin(const char *a, const char *b)
{
	struct pe_url ua, ub;
	int same;

	if (pe_url_parse(a, &ua))
		return 0;
	if (pe_url_parse(b, &ub)) {
		pe_url_release(&ua);
		return 0;
	}
	same = !strcmp(ua.scheme, ub.scheme) && !strcmp(ua.host, ub.host) &&
	       ua.port == ub.port;
	pe_url_release(&ua);
	pe_url_release(&ub);
	return same;
}

/* True for plain http:// to another machine; see url.h. */
int pe_url_is_cleartext_remote(const char *url)
{
	struct pe_url u;
	int cleartext;

	if (pe_url_parse(url, &u))
		return 0;
	cleartext = !strcmp(u.scheme, "http") && !host_is_loopback(u.host);
	pe_url_release(&u);
	return cleartext;
}

/* The five parts of a URI reference (RFC 3986, appendix B). */
struct uri_parts {
	const char *scheme, *authority, *path, *query, *fragment;
	size_t scheme_len, authority_len, path_len, query_len, fragment_len;
	int has_scheme, has_authority, has_query, has_fragment;
};

static void split_uri(const char *s, struct uri_parts *u)
{
	size_t n = strcspn(s, ":/?#");

	memset(u, 0, sizeof(*u));
	if (n && s[n] == ':') {
		u->has_scheme = 1;
		u->scheme = s;
		u->scheme_len = n;
		s += n + 1;
	}
	if (s[0] == '/' && s[1] == '/') {
		u->has_authority = 1;
		u->authority = s + 2;
		u->authority_len = strcspn(s + 2, "/?#");
		s += 2 + u->authority_len;
	}
	u->path = s;
	u->path_len = strcspn(s, "?#");
	s += u->path_len;
	if (*s == '?') {
		u->has_query = 1;
		u->query = s + 1;
		u->query_len = strcspn(s + 1, "#");
		s += 1 + u->query_len;
	}
	if (*s == '#') {
		u->has_fragment = 1;
		u->fragment = s + 1;
		u->fragment_len = strlen(s + 1);
	}
}

/* The last '/' of the len bytes at s, or NULL. */
static const char *last_slash(const char *s, size_t len)
{
	while (len--)
		if (s[len] == '/')
			return s + len;
	return NULL;
}

/* Drops the last segment, and its '/', from out (RFC 3986, 5.2.4 C). */
static void drop_segment(struct pe_buf *out)
{
	const char *slash = last_slash(out->data, out->len);

	out->len = slash ? (size_t)(slash - out->data) : 0;
	if (out->data)
		out->data[out->len] = '\0';
}

/* Appends path without its "." and ".." segments (RFC 3986, 5.2.4). */
static void remove_dot_segments(const char *p, size_t n, struct pe_buf *out)
{
	while (n) {
		size_t seg;

		if (n >= 3 && !strncmp(p, "../", 3)) {
			p += 3, n -= 3;
		} else if (n >= 2 && !strncmp(p, "./", 2)) {
			p += 2, n -= 2;
		} else if (n >= 3 && !strncmp(p, "/./", 3)) {
			p += 2, n -= 2;
		} else if (n == 2 && !strncmp(p, "/.", 2)) {
			p = "/", n = 1;
		} else if (n >= 4 && !strncmp(p, "/../", 4)) {
			p += 3, n -= 3;
			drop_segment(out);
		} else if (n == 3 && !strncmp(p, "/..", 3)) {
			p = "/", n = 1;
			drop_segment(out);
		} else if ((n == 1 && *p == '.') ||
			   (n == 2 && !strncmp(p, "..", 2))) {
			n = 0;
		} else {
			for (seg = 1; seg < n && p[seg] != '/'; seg++)
				;
			pe_buf_add(out, p, seg);
			p += seg, n -= seg;
		}
	}
}

/* The base's path up to its last '/', then ref's (RFC 3986, 5.2.3). */
static void merge_paths(const struct uri_parts *b, const struct uri_parts *r,
			struct pe_buf *out)
{
	struct pe_buf merged;
	const char *slash = last_slash(b->path, b->path_len);

	pe_buf_init(&merged, 0);
	if (b->has_authority && !b->path_len)
		pe_buf_addc(&merged, '/');
	else if (slash)
		pe_buf_add(&merged, b->path, (size_t)(slash - b->path) + 1);
	pe_buf_add(&merged, r->path, r->path_len);
	remove_dot_segments(pe_buf_str(&merged), merged.len, out);
	pe_buf_release(&merged);
}

/* Resolves a URI reference against a base URI; see url.h. */
char *pe_url_resolve(const char *base, const char *ref)
{
	struct uri_parts b, r;
	const struct uri_parts *auth, *query;
	struct pe_buf out, path;

	split_uri(base, &b);
	split_uri(ref, &r);
	pe_buf_init(&out, 0);
	pe_buf_init(&path, 0);
	if (r.has_scheme) {
		auth = &r;
		query = &r;
		remove_dot_segments(r.path, r.path_len, &path);
	} else if (r.has_authority) {
		auth = &r;
		query = &r;
		remove_dot_segments(r.path, r.path_len, &path);
	} else if (!r.path_len) {
		auth = &b;
		query = r.has_query ? &r : &b;
		pe_buf_add(&path, b.path, b.path_len);
	} else {
		auth = &b;
		query = &r;
		if (r.path[0] == '/')
			remove_dot_segments(r.path, r.path_len, &path);
		else
			merge_paths(&b, &r, &path);
	}
	if (r.has_scheme)
		pe_buf_addf(&out, "%.*s:", (int)r.scheme_len, r.scheme);
	else if (b.has_scheme)
		pe_buf_addf(&out, "%.*s:", (int)b.scheme_len, b.scheme);
	if (auth->has_authority)
		pe_buf_addf(&out, "//%.*s", (int)auth->authority_len,
			    auth->authority);
	pe_buf_add(&out, pe_buf_str(&path), path.len);
	if (query->has_query)
		pe_buf_addf(&out, "?%.*s", (int)query->query_len, query->query);
	if (r.has_fragment)
		pe_buf_addf(&out, "#%.*s", (int)r.fragment_len, r.fragment);
	pe_buf_release(&path);
	return pe_buf_detach(&out, NULL);
}

/* Decodes %XX escapes; see url.h. */
char *pe_url_decode(const char *s)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (; *s; s++) {
		unsigned v;

		if (*s == '%' && s[1] && s[2] &&
		    strchr("0123456789abcdefABCDEF", s[1]) &&
		    strchr("0123456789abcdefABCDEF", s[2])) {
			char hex[3] = { s[1], s[2], 0 };

			v = (unsigned)strtoul(hex, NULL, 16);
			if (!v) {
				pe_buf_release(&b);
				return NULL;
			}
			pe_buf_addc(&b, (char)v);
			s += 2;
		} else {
			pe_buf_addc(&b, *s);
		}
	}
	return pe_buf_detach(&b, NULL);
}

/* Appends s percent-encoded; see url.h. */
void pe_url_add_encoded(struct pe_buf *b, const char *s, const char *keep)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) ||
		    strchr(keep, c))
			pe_buf_addc(b, (char)c);
		else
			pe_buf_addf(b, "%%%02X", c);
	}
}
