/*
 * cJSON parses; the result is copied into document nodes and the cJSON tree
 * is freed at once.  cJSON_GetErrorPtr is process-global and never used:
 * the parse end pointer from cJSON_ParseWithLengthOpts locates errors.
 */
#include "harness/core/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum { MAX_JSON_DEPTH = 128 };

static struct pe_node *convert(struct pe_doc *doc, const cJSON *item,
			       const struct pe_mark *mark, int depth)
{
	struct pe_node *n;
	size_t count = 0, i = 0;
	const cJSON *child;

	if (depth > MAX_JSON_DEPTH)
		return NULL;
	if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
		n = pe_doc_node(
			doc, cJSON_IsObject(item) ? PE_NODE_MAP : PE_NODE_SEQ,
			mark);
		cJSON_ArrayForEach (child, item)
			count++;
		if (n->kind == PE_NODE_MAP)
			n->pairs = pe_doc_alloc(doc, (count ? count : 1) *
							     sizeof(*n->pairs));
		else
			n->items = pe_doc_alloc(doc, (count ? count : 1) *
							     sizeof(*n->items));
		cJSON_ArrayForEach (child, item) {
			struct pe_node *v =
				convert(doc, child, mark, depth + 1);

			if (!v)
				return NULL;
			if (n->kind == PE_NODE_SEQ) {
				n->items[i++] = v;
				continue;
			}
			n->pairs[i].key =
				pe_doc_node(doc, PE_NODE_STRING, mark);
			n->pairs[i].key->text = pe_doc_strndup(
				doc, child->string, strlen(child->string));
			n->pairs[i].key->len = strlen(child->string);
			n->pairs[i++].value = v;
		}
		if (n->kind == PE_NODE_MAP)
			n->npairs = i;
		else
			n->count = i;
		return n;
	}
	n = pe_doc_node(doc, PE_NODE_NULL, mark);
	if (cJSON_IsBool(item)) {
		n->kind = PE_NODE_BOOL;
		n->bval = cJSON_IsTrue(item);
		n->text = n->bval ? "true" : "false";
		n->len = strlen(n->text);
	} else if (cJSON_IsNumber(item)) {
		double v = cJSON_GetNumberValue(item);
		char tmp[64];
		int len;

		n->fval = v;
		if (v == floor(v) && fabs(v) < 9e15) {
			n->kind = PE_NODE_INT;
			n->ival = (long long)v;
			len = snprintf(tmp, sizeof(tmp), "%lld", n->ival);
		} else {
			n->kind = PE_NODE_FLOAT;
			len = snprintf(tmp, sizeof(tmp), "%.17g", v);
		}
		n->text = pe_doc_strndup(doc, tmp, (size_t)len);
		n->len = (size_t)len;
	} else if (cJSON_IsString(item)) {
		n->kind = PE_NODE_STRING;
		n->len = strlen(item->valuestring);
		n->text = pe_doc_strndup(doc, item->valuestring, n->len);
	}
	return n;
}

/*
 * True when text ends inside a string or an open object or array, so that
 * a parse error means "the input stopped early" rather than "this
 * character is wrong".
 */
static int is_truncated(const char *text, size_t len)
{
	int in_string = 0, depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return in_string || depth > 0;
}

/* Where an error at byte offset lies: from the base mark, or mapped
 * through the YAML scalar the text came from. */
struct locator {
	struct pe_mark base;
	const struct pe_doc *src;
	const struct pe_node *scalar;
};

static struct pe_mark locate(const struct locator *loc, const char *text,
			     size_t offset)
{
	struct pe_mark m = loc->base;

	if (loc->scalar)
		return pe_doc_scalar_mark(loc->src, loc->scalar, offset);
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			m.line++;
			m.col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			m.col++;
		}
	}
	return m;
}

static struct pe_node *parse(struct pe_doc *doc, const char *text, size_t len,
			     const struct locator *loc, struct pe_diag *diag)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	struct pe_node *n;
	size_t off;
	struct pe_mark m;

	if (!root) {
		int truncated = is_truncated(text, len);

		off = truncated		   ? len
		      : end && end >= text ? (size_t)(end - text)
					   : 0;
		m = locate(loc, text, off);
		pe_diag_error(diag, &m, "invalid JSON: %s",
			      truncated || off >= len
				      ? "unexpected end of input"
				      : "unexpected character");
		return NULL;
	}
	off = end && end >= text ? (size_t)(end - text) : len;
	while (off < len && strchr(" \t\r\n", text[off]))
		off++;
	if (off < len) {
		cJSON_Delete(root);
		m = locate(loc, text, off);
		pe_diag_error(diag, &m,
			      "invalid JSON: unexpected text after the value");
		return NULL;
	}
	n = convert(doc, root, &loc->base, 0);
	cJSON_Delete(root);
	if (!n)
		pe_diag_error(diag, &loc->base,
			      "JSON nested deeper than %d levels",
			      MAX_JSON_DEPTH);
	return n;
}

/* Parses JSON text into document nodes; see json.h. */
struct pe_node *pe_json_parse(struct pe_doc *doc, const char *text, size_t len,
			      const struct pe_mark *base, struct pe_diag *diag)
{
	struct locator loc = { *base, NULL, NULL };

	return parse(doc, text, len, &loc, diag);
}

/* Parses the JSON held in a YAML scalar; see json.h. */
struct pe_node *pe_json_parse_scalar(struct pe_doc *doc,
				     const struct pe_doc *src,
				     const struct pe_node *scalar,
				     struct pe_diag *diag)
{
	struct locator loc = { scalar->mark, src, scalar };

	return parse(doc, scalar->text, scalar->len, &loc, diag);
}

/*
 * Appends s as a JSON string literal, escaping as RFC 8259 requires.  JSON
 * text is UTF-8, so a byte that does not start a valid sequence (model
 * output can hold anything) is written as U+FFFD.
 */
int pe_json_quote(struct pe_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	int rc = pe_buf_addc(out, '"');

	for (size_t i = 0; i < len && !rc;) {
		unsigned char c = p[i];
		size_t n;
		unsigned long cp;

		switch (c) {
		case '"':
			rc = pe_buf_adds(out, "\\\"");
			break;
		case '\\':
			rc = pe_buf_adds(out, "\\\\");
			break;
		case '\n':
			rc = pe_buf_adds(out, "\\n");
			break;
		case '\r':
			rc = pe_buf_adds(out, "\\r");
			break;
		case '\t':
			rc = pe_buf_adds(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char esc[7] = { '\\', 'u',	   '0',
						'0',  hex[c >> 4], hex[c & 15],
						0 };

				rc = pe_buf_adds(out, esc);
			} else if (c < 0x80) {
				rc = pe_buf_addc(out, (char)c);
			} else if ((n = pe_utf8_decode((const char *)p + i,
						       len - i, &cp)) != 0) {
				rc = pe_buf_add(out, p + i, n);
				i += n;
				continue;
			} else {
				rc = pe_buf_adds(out, "\xef\xbf\xbd");
			}
		}
		i++;
	}
	return rc ? rc : pe_buf_addc(out, '"');
}

/* Appends a C string as a JSON literal, or null. */
int pe_json_str(struct pe_buf *out, const char *s)
{
	return s ? pe_json_quote(out, s, strlen(s)) : pe_buf_adds(out, "null");
}

/* Appends a number with the shortest round-trip precision. */
int pe_json_num(struct pe_buf *out, double v)
{
	char tmp[64];

	if (!isfinite(v))
		return pe_buf_adds(out, "null");
	if (v == floor(v) && fabs(v) < 1e15)
		return pe_buf_addf(out, "%.0f", v);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	return pe_buf_adds(out, tmp);
}

/* Appends an integer in decimal, exactly. */
int pe_json_int(struct pe_buf *out, long long v)
{
	return pe_buf_addf(out, "%lld", v);
}

/* Appends a member holding a count, or null when it is unknown. */
int pe_json_count_member(struct pe_buf *out, const char *key, long v)
{
	pe_buf_adds(out, ",");
	pe_json_str(out, key);
	pe_buf_adds(out, ":");
	return v < 0 ? pe_buf_adds(out, "null") : pe_buf_addf(out, "%ld", v);
}

/* Returns cJSON's version string. */
const char *pe_json_version(void)
{
	return cJSON_Version();
}
