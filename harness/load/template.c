/*
 * A template is parsed into alternating literal and variable segments.
 * Rendering walks the segments and never looks at inserted values again,
 * which is what makes substitution literal (gh-models replaces in a loop
 * and can expand a value that contains another placeholder).
 */
#include "harness/load/template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

enum seg_kind { SEG_TEXT, SEG_VAR };

struct segment {
	enum seg_kind kind;
	char *text; /* literal text, or the variable path */
	size_t len;
};

struct pe_template {
	char *text; /* as parsed, for pe_template_occurrence */
	size_t len;
	struct segment *segs;
	size_t nsegs;
	size_t segs_alloc;
	struct pe_template_ref *vars;
	size_t nvars;
	size_t vars_alloc;
	struct pe_template_ref *literals;
	size_t nliterals;
	size_t literals_alloc;
};

static int is_name_start(int c)
{
	return isalpha(c) || c == '_';
}

static int is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* Checks that s[0..len) is a dotted path of names. */
static int is_path(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (!is_name_start((unsigned char)s[i]))
			return 0;
		while (i < len && is_name_char((unsigned char)s[i]))
			i++;
		if (i < len && (s[i] != '.' || i + 1 == len))
			return 0;
		if (i < len)
			i++;
	}
	return len > 0;
}

static void add_text(struct pe_template *t, struct pe_buf *pending)
{
	struct segment *s;

	if (!pending->len)
		return;
	pe_grow(&t->segs, &t->segs_alloc, t->nsegs + 1, sizeof(*t->segs));
	s = &t->segs[t->nsegs++];
	s->kind = SEG_TEXT;
	s->text = pe_buf_detach(pending, &s->len);
}

static void add_ref(struct pe_template_ref **list, size_t *len, size_t *alloc,
		    const char *text, size_t offset, size_t token_len,
		    const char *path, size_t path_len)
{
	struct pe_template_ref *r;

	pe_grow(list, alloc, *len + 1, sizeof(**list));
	r = &(*list)[(*len)++];
	r->path = xstrndup(path, path_len);
	r->token = xstrndup(text + offset, token_len);
	r->offset = offset;
}

/*
 * Handles the "{{" at text[i]; returns the index after what it consumed.
 * Variables become segments; anything else stays in pending as text.
 */
static size_t parse_braces(struct pe_template *t, const char *text, size_t len,
			   size_t i, struct pe_buf *pending)
{
	const char *close = NULL;
	size_t start, end;

	for (size_t j = i + 2; j + 1 < len; j++) {
		if (text[j] == '}' && text[j + 1] == '}') {
			close = text + j;
			break;
		}
		if (text[j] == '\n')
			break;
	}
	if (!close) {
		add_ref(&t->literals, &t->nliterals, &t->literals_alloc, text,
			i, 2, "{{", 2);
		pe_buf_add(pending, "{{", 2);
		return i + 2;
	}
	start = i + 2;
	end = (size_t)(close - text);
	while (start < end && text[start] == ' ')
		start++;
	while (end > start && text[end - 1] == ' ')
		end--;
	if (!is_path(text + start, end - start)) {
		size_t token_len = (size_t)(close - text) + 2 - i;

		add_ref(&t->literals, &t->nliterals, &t->literals_alloc, text,
			i, token_len, text + i, token_len);
		pe_buf_add(pending, text + i, token_len);
		return i + token_len;
	}
	add_text(t, pending);
	add_ref(&t->vars, &t->nvars, &t->vars_alloc, text, i,
		(size_t)(close - text) + 2 - i, text + start, end - start);
	pe_grow(&t->segs, &t->segs_alloc, t->nsegs + 1, sizeof(*t->segs));
	t->segs[t->nsegs].kind = SEG_VAR;
	t->segs[t->nsegs].text = xstrndup(text + start, end - start);
	t->segs[t->nsegs].len = end - start;
	t->nsegs++;
	return (size_t)(close - text) + 2;
}

/* Parses a template; see template.h. */
struct pe_template *pe_template_parse(const char *text, size_t len)
{
	struct pe_template *t = xcalloc(1, sizeof(*t));
	struct pe_buf pending;
	size_t i = 0;

	t->text = xstrndup(text, len);
	t->len = len;
	pe_buf_init(&pending, 0);
	while (i < len) {
		if (text[i] == '\\' && i + 2 < len + 0 && text[i + 1] == '{' &&
		    text[i + 2] == '{') {
			pe_buf_add(&pending, "{{", 2);
			i += 3;
		} else if (text[i] == '{' && i + 1 < len &&
			   text[i + 1] == '{') {
			i = parse_braces(t, text, len, i, &pending);
		} else {
			pe_buf_addc(&pending, text[i]);
			i++;
		}
	}
	add_text(t, &pending);
	pe_buf_release(&pending);
	return t;
}

static void free_refs(struct pe_template_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)refs[i].path);
		free((char *)refs[i].token);
	}
	free(refs);
}

/* Frees a template; NULL is a no-op. */
void pe_template_free(struct pe_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nsegs; i++)
		free(t->segs[i].text);
	free(t->segs);
	free_refs(t->vars, t->nvars);
	free_refs(t->literals, t->nliterals);
	free(t->text);
	free(t);
}

/* Counts variable references. */
size_t pe_template_nvars(const struct pe_template *t)
{
	return t->nvars;
}

/* Returns variable reference i. */
const struct pe_template_ref *pe_template_var(const struct pe_template *t,
					      size_t i)
{
	return i < t->nvars ? &t->vars[i] : NULL;
}

/* Counts "{{" that are kept as literal text. */
size_t pe_template_nliterals(const struct pe_template *t)
{
	return t->nliterals;
}

/* Returns literal "{{" occurrence i. */
const struct pe_template_ref *pe_template_literal(const struct pe_template *t,
						  size_t i)
{
	return i < t->nliterals ? &t->literals[i] : NULL;
}

/* Counts the token's earlier appearances; see template.h. */
size_t pe_template_occurrence(const struct pe_template *t,
			      const struct pe_template_ref *ref)
{
	size_t token_len = strlen(ref->token), n = 0;

	for (size_t i = 0; i + token_len <= ref->offset && i < t->len; i++)
		if (!memcmp(t->text + i, ref->token, token_len))
			n++;
	return n;
}

/* True when rendering needs no variables. */
int pe_template_is_constant(const struct pe_template *t)
{
	return t->nvars == 0;
}

static const struct pe_node *lookup_in(const struct pe_node *n,
				       const char *path)
{
	while (n && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		const struct pe_pair *pair = pe_node_pair_len(n, path, len);

		if (!pair)
			return NULL;
		n = pair->value;
		path = dot ? dot + 1 : path + len;
	}
	return n;
}

/* Looks a dotted path up in each scope in turn. */
const struct pe_node *pe_template_lookup(const struct pe_node *const *scopes,
					 size_t nscopes, const char *path)
{
	for (size_t i = 0; i < nscopes; i++) {
		const struct pe_node *n = lookup_in(scopes[i], path);

		if (n)
			return n;
	}
	return NULL;
}

/* Renders a template; see template.h. */
int pe_template_render(const struct pe_template *t,
		       const struct pe_node *const *scopes, size_t nscopes,
		       struct pe_buf *out, const char **missing)
{
	for (size_t i = 0; i < t->nsegs; i++) {
		const struct segment *s = &t->segs[i];
		const struct pe_node *value;
		int rc;

		if (s->kind == SEG_TEXT) {
			rc = pe_buf_add(out, s->text, s->len);
		} else {
			value = pe_template_lookup(scopes, nscopes, s->text);
			if (!value) {
				if (missing)
					*missing = s->text;
				return PE_ERR_INVALID;
			}
			rc = pe_node_format(value, out);
		}
		if (rc)
			return rc;
	}
	return PE_OK;
}
