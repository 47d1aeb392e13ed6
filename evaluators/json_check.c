/*
 * JSON answers: the output (or, when it is not JSON, its first fenced json
 * block) must parse, and with a schema it must validate.  The schema is
 * the prompt's jsonSchema (its "schema" member for responseFormat
 * json_schema), compiled once by the JSON Schema validator
 * (evaluators/jsonschema.c) when the prompt loads, so that a keyword it
 * does not implement is an error in "check", at its line and column.  An
 * evaluator may instead give a schema of its own, inline: "json: {schema:
 * {...}}", or the dialect "type: json_schema" with "schema:" (or
 * "value:"), compiled the same way from its YAML or JSON mapping.  Such
 * a schema may refer to other schemas in files, by a path relative to
 * the file it is written in (load_schema_file); the prompt's jsonSchema
 * may not, since it goes to the model's API as it is written.
 */
#include "evaluators/evaluator.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/files.h"
#include "harness/core/json.h"
#include "harness/core/url.h"
#include "harness/core/util.h"
#include "harness/load/yaml_load.h"
#include "evaluators/jsonschema.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

enum {
	MAX_PROBLEMS = 3,
	SCHEMA_FILE_MAX = 16 << 20 /* the largest schema file read */
};

struct json_state {
	struct pe_jsonschema *schema; /* NULL: syntax only */
};

/* The files its schema refers to; see struct pe_evaluator_ops. */
static void json_inputs(const void *state, struct pe_buf *out)
{
	const struct json_state *st = state;

	if (st && st->schema)
		pe_jsonschema_documents(st->schema, out);
}

static void free_json(void *state)
{
	struct json_state *st = state;

	if (!st)
		return;
	pe_jsonschema_free(st->schema);
	free(st);
}

/*
 * Copies the diagnostics of from into to, but those to has already: a
 * prompt with two json evaluators compiles its schema twice, and each
 * problem of the schema is told once.
 */
static void add_new_diagnostics(struct pe_diag *to, const struct pe_diag *from)
{
	size_t known = pe_diag_len(to);

	for (size_t i = 0; i < pe_diag_len(from); i++) {
		const struct pe_diag_entry *e = pe_diag_get(from, i);
		struct pe_mark m = { e->file, e->line, e->col };
		int seen = 0;

		for (size_t k = 0; k < known && !seen; k++) {
			const struct pe_diag_entry *o = pe_diag_get(to, k);

			seen = o->line == e->line && o->col == e->col &&
			       !strcmp(o->file, e->file) &&
			       !strcmp(o->message, e->message);
		}
		if (!seen)
			pe_diag_add(to, e->severity, &m, "%s", e->message);
	}
}

/*
 * The file: URI of path, made absolute, against which the references of
 * a schema written in that file resolve; NULL when it has no real path.
 */
static char *file_uri(const char *path)
{
	char *real = realpath(path, NULL);
	struct pe_buf b;

	if (!real)
		return NULL;
	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "file://");
	pe_url_add_encoded(&b, real, "/");
	free(real);
	return pe_buf_detach(&b, NULL);
}

/*
 * How path (absolute) is shown: from the current directory when it is
 * under it, as the prompt files given on the command line usually are.
 */
static const char *shown_path(const char *path)
{
	char *cwd = getcwd(NULL, 0);
	size_t n = cwd ? strlen(cwd) : 0;
	const char *shown = path;

	if (n > 1 && !strncmp(path, cwd, n) && path[n] == '/')
		shown = path + n + 1;
	free(cwd);
	return shown;
}

/*
 * The documents an evaluator's own schema refers to (see struct
 * pe_jsonschema_docs): regular files named .json (read as JSON), .yaml
 * or .yml (as YAML), by a file: URI, which a path relative to the file
 * the schema is written in resolves to.  Never a URL of the network:
 * prompteval fetches nothing a prompt file names.
 */
static struct pe_doc *load_schema_file(void *arg, const char *uri,
				       const struct pe_mark *from,
				       struct pe_diag *diag)
{
	struct pe_diag *mine;
	struct pe_doc *doc = NULL;
	struct stat st;
	char *path, *data = NULL;
	const char *shown;
	size_t len = 0;
	int bad, json;

	(void)arg;
	if (strncmp(uri, "file:///", 8)) {
		pe_diag_error(diag, from,
			      "'%s' is not a file: the schemas a schema "
			      "refers to are read from files only (a path "
			      "relative to this file), never over the "
			      "network",
			      uri);
		return NULL;
	}
	path = pe_url_decode(uri + strlen("file://"));
	if (!path) {
		pe_diag_error(diag, from,
			      "'%s' holds %%00, a NUL, which a file name "
			      "cannot hold",
			      shown_path(uri + strlen("file://")));
		return NULL;
	}
	shown = shown_path(path);
	json = pe_ends_with(path, ".json");
	if (!json && !pe_ends_with(path, ".yaml") &&
	    !pe_ends_with(path, ".yml")) {
		pe_diag_error(diag, from,
			      "'%s' is not named .json, .yaml or .yml, as a "
			      "schema file must be",
			      shown);
		free(path);
		return NULL;
	}
	bad = stat(path, &st) ? errno : 0;
	if (bad || !S_ISREG(st.st_mode)) {
		/* Not a FIFO or a device, which could block or never end. */
		pe_diag_error(diag, from,
			      "cannot read the schema file '%s': %s", shown,
			      bad ? strerror(bad) : "not a regular file");
		free(path);
		return NULL;
	}
	mine = pe_diag_new();
	if (pe_file_read(path, SCHEMA_FILE_MAX, &data, &len, mine)) {
		pe_diag_error(diag, from,
			      "cannot read the schema file '%s': %s", shown,
			      pe_diag_get(mine, 0)->message);
	} else if (json) {
		doc = pe_doc_new(shown, data, len);
		doc->root = pe_json_parse_source(doc, diag);
		if (!doc->root) {
			pe_doc_free(doc); /* the parser told why */
			doc = NULL;
		}
	} else {
		doc = pe_yaml_load(shown, data, len, SCHEMA_FILE_MAX, diag);
	}
	free(data);
	free(path);
	pe_diag_free(mine);
	return doc;
}

/*
 * Compiles an evaluator's own schema, whose references to other files
 * resolve against the file it is written in.
 */
static struct pe_jsonschema *compile_own(const struct pe_node *own,
					 struct pe_diag *diag)
{
	struct pe_jsonschema_docs docs = { NULL, load_schema_file, NULL };
	struct pe_jsonschema *js;
	char *base = file_uri(own->mark.file);

	docs.base = base;
	js = pe_jsonschema_compile(own, base ? &docs : NULL, diag);
	free(base);
	return js;
}

/*
 * True when root is the {name, strict, description, schema} wrapper of
 * responseFormat json_schema rather than a schema: it has a name, or no
 * other key.  Read as a schema, its keys would be annotations, and every
 * answer would pass.
 */
static int is_wrapper(const struct pe_node *root)
{
	static const char *const keys[] = { "name", "strict", "description",
					    "schema" };
	const struct pe_node *inner = pe_node_get(root, "schema");

	if (!inner ||
	    (inner->kind != PE_NODE_MAP && inner->kind != PE_NODE_BOOL))
		return 0;
	if (pe_node_get(root, "name"))
		return 1;
	for (size_t i = 0; i < root->npairs; i++) {
		int known = 0;

		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
			known |= !strcmp(root->pairs[i].key->text, keys[k]);
		if (!known)
			return 0;
	}
	return 1;
}

/*
 * Compiles the prompt's schema (its "schema" member for json_schema).  Its
 * diagnostics are told once for every json evaluator that reads it, but a
 * key in it that looks like a misspelt keyword counts against each of
 * them, so each is skipped, as with a schema of its own.
 */
static int compile_schema(const struct pe_prompt *prompt, struct json_state *st,
			  struct pe_diag *diag)
{
	const struct pe_node *root = prompt->json_schema_tree;
	struct pe_diag *mine = pe_diag_new();
	const char *note = pe_diag_set_unknown_note(diag, NULL);
	const char *key;

	pe_diag_set_unknown_note(diag, note);
	pe_diag_set_unknown_note(mine, note);
	if (is_wrapper(root))
		root = pe_node_get(root, "schema");
	st->schema = pe_jsonschema_compile(root, NULL, mine);
	add_new_diagnostics(diag, mine);
	if (pe_diag_unknown_keys(mine, &key))
		pe_diag_count_unknown_key(diag, key);
	pe_diag_free(mine);
	return st->schema ? PE_OK : PE_ERR_INVALID;
}

/*
 * The schema "type: json_schema" gives, from its "schema" or "value" key:
 * a mapping (or a boolean schema).  NULL, after an error, when neither is.
 */
static const struct pe_node *dialect_schema(const struct pe_evalspec *spec,
					    struct pe_diag *diag)
{
	const struct pe_node *s = pe_node_get(spec->node, "schema");

	if (!s)
		s = pe_node_get(spec->node, "value");
	if (s && (s->kind == PE_NODE_MAP || s->kind == PE_NODE_BOOL))
		return s;
	pe_diag_error(diag, s ? &s->mark : &spec->mark,
		      "type: json_schema needs its schema as a mapping in "
		      "'schema' (or 'value')");
	return NULL;
}

static int compile_json(const struct pe_evalspec *spec,
			const struct pe_prompt *prompt, void **state,
			struct pe_diag *diag)
{
	static const char *const known[] = { "schema", NULL };
	const struct pe_node *body = pe_evaluator_settings(spec);
	const struct pe_node *own = NULL; /* the evaluator's own schema */
	struct json_state *st = xcalloc(1, sizeof(*st));
	int use_schema = 1;

	if (!body) {
		own = dialect_schema(spec, diag);
		if (!own) {
			free(st);
			return PE_ERR_INVALID;
		}
	} else if (body->kind == PE_NODE_MAP) {
		pe_node_check_keys(body, known, "a json evaluator", diag);
		own = pe_node_get(body, "schema");
		if (own && own->kind != PE_NODE_MAP &&
		    own->kind != PE_NODE_BOOL) {
			pe_diag_error(diag, &own->mark,
				      "'schema' must be true, false or a "
				      "mapping (a schema of its own), not a "
				      "%s",
				      pe_node_kind_name(own->kind));
			free(st);
			return PE_ERR_INVALID;
		}
		if (own && own->kind != PE_NODE_MAP)
			own = NULL;
		if (!own &&
		    pe_setting_bool(body, "schema", &use_schema, diag)) {
			free(st);
			return PE_ERR_INVALID;
		}
	} else if (body->kind != PE_NODE_BOOL || !body->bval) {
		pe_diag_error(diag, &body->mark,
			      "'json' must be true, {schema: true|false} or "
			      "{schema: {...}} (a schema of its own)");
		free(st);
		return PE_ERR_INVALID;
	}
	if (own) {
		st->schema = compile_own(own, diag);
		if (!st->schema) {
			free(st);
			return PE_ERR_INVALID;
		}
	} else if (use_schema && prompt->json_schema_tree &&
		   compile_schema(prompt, st, diag)) {
		free_json(st);
		return PE_ERR_INVALID;
	}
	*state = st;
	return PE_OK;
}

/*
 * True when text holds "json" in any case.  A fence's language is its
 * info string's first word as written, lowered (markdown.c), so without
 * these four letters no block can be a json one and the answer need not
 * be parsed as Markdown for it.
 */
static int mentions_json(const char *text, size_t len)
{
	/* memchr for each case of the j: prose seldom has one. */
	for (int c = 'j'; c >= 'J'; c -= 'j' - 'J') {
		const char *p = text, *end = text + len;

		while ((p = memchr(p, c, (size_t)(end - p))) != NULL) {
			if (end - p >= 4 && (p[1] | 0x20) == 's' &&
			    (p[2] | 0x20) == 'o' && (p[3] | 0x20) == 'n')
				return 1;
			p++;
		}
	}
	return 0;
}

/* The first fenced json block, or NULL; *blocks says how many there are. */
static const char *json_fence(const struct pe_eval_input *in, size_t *len,
			      int *blocks)
{
	size_t count;
	const struct pe_md_code *c;
	const char *first = NULL;

	*blocks = 0;
	if (!mentions_json(in->output, in->len))
		return NULL;
	c = pe_md_codes(pe_eval_md(in), &count);

	for (size_t i = 0; i < count; i++) {
		if (!strcmp(c[i].lang, "json") && c[i].code) {
			if (!*blocks)
				first = c[i].code, *len = c[i].code_len;
			++*blocks;
		}
	}
	return first;
}

/* True when len bytes at s hold three c in a row (memchr finds each c). */
static int has_three(const char *s, size_t len, char c)
{
	const char *p = s, *end = s + len;

	while (end - p >= 3 && (p = memchr(p, c, (size_t)(end - p) - 2))) {
		if (p[1] == c && p[2] == c)
			return 1;
		p++;
	}
	return 0;
}

/*
 * False when the output cannot hold a fenced code block: a fence is a
 * line of at least three backticks or tildes, so text with neither
 * "```" nor "~~~" has none, and its Markdown need not be read for one.
 */
static int may_have_fence(const struct pe_eval_input *in)
{
	return in->len >= 3 && (has_three(in->output, in->len, '`') ||
				has_three(in->output, in->len, '~'));
}

/*
 * Parses the output as JSON when it looks like JSON, else (or when that
 * fails and there is one) its first json fence.  Returns the value, or
 * NULL with the parser's diagnostic in diag: at the answer's line and
 * column, or, with *in_block set (to the number of json blocks), at the
 * line and column within the first json block.  *rc is pe_json_read's:
 * PE_ERR_LIMIT when the JSON is past what the reader takes rather than
 * invalid.
 */
static const struct pe_node *parse_answer(const struct pe_eval_input *in,
					  struct pe_doc *doc,
					  struct pe_diag *diag, int *in_block,
					  int *rc)
{
	struct pe_mark m = { "output", 1, 1 };
	const char *s = in->output, *fence;
	size_t n = in->len, fence_len = 0;
	struct pe_node *v = NULL;
	struct pe_diag *tried = pe_diag_new();
	unsigned lines = 0, cols = 0; /* of the white space before s */
	int looks_like_json;

	*in_block = 0;
	*rc = PE_ERR_INVALID;
	while (n && pe_json_is_space(*s)) {
		if (*s == '\n')
			lines++, cols = 0;
		else
			cols++;
		s++, n--;
	}
	/* The fences are looked up only when the output alone does not do. */
	looks_like_json = n && (*s == '{' || *s == '[');
	if (looks_like_json) {
		*rc = pe_json_read(doc, s, n, &m, tried, &v);
		if (v)
			goto done;
	}
	fence = may_have_fence(in) ? json_fence(in, &fence_len, in_block)
				   : NULL;
	if (fence) {
		/* Report the fence's error, not the prose's. */
		pe_diag_free(tried);
		tried = pe_diag_new();
		*rc = pe_json_read(doc, fence, fence_len, &m, tried, &v);
	} else if (!looks_like_json) {
		lines = cols = 0;
		*rc = pe_json_read(doc, in->output, in->len, &m, tried, &v);
	}
	if (!v && pe_diag_len(tried)) {
		const struct pe_diag_entry *e = pe_diag_get(tried, 0);
		struct pe_mark at = { "output", e->line, e->col };

		/* The direct parse began after the white space it skipped. */
		if (!*in_block) {
			at.col += at.line == 1 ? cols : 0;
			at.line += lines;
		}
		pe_diag_error(diag, &at, "%s", e->message);
	}
done:
	pe_diag_free(tried);
	return v;
}

/* Validates the answer's JSON against the schema. */
static void score_schema(const struct json_state *st,
			 const struct pe_node *value,
			 struct pe_eval_result *out)
{
	struct pe_buf why;
	size_t problems = 0;

	pe_buf_init(&why, 0);
	if (pe_jsonschema_validate(st->schema, value, MAX_PROBLEMS, &why,
				   &problems))
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "JSON Schema validation stopped: %s",
			      pe_buf_str(&why));
	else if (!problems)
		pe_result_set(out, PE_VERDICT_PASS, 1,
			      "valid JSON that matches the schema");
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "JSON does not match the schema (%zu problem%s): "
			      "%s",
			      problems, problems == 1 ? "" : "s",
			      pe_buf_str(&why));
	pe_buf_release(&why);
}

/*
 * Says why the answer's JSON was not read.  Invalid JSON fails.  JSON the
 * reader takes no one meaning from (nested too deep, a number beyond a
 * double's range, a key given twice) is an error: the evaluator cannot
 * tell, so it is neither a pass nor a fail, which "not: true" would turn
 * into a pass.
 */
static void score_unread(const struct pe_diag *diag, int in_block, int rc,
			 struct pe_eval_result *out)
{
	const struct pe_diag_entry *e = pe_diag_get(diag, 0);
	const char *msg = e ? e->message : "parse error";
	const char *where = in_block ? " of its json block" : "";

	if (rc == PE_ERR_LIMIT && e) {
		if (!strncmp(msg, "JSON ", 5))
			msg += 5;
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "cannot check the JSON: %s at line %u, column "
			      "%u%s",
			      msg, e->line, e->col, where);
		return;
	}
	if (!strncmp(msg, "invalid JSON: ", 14))
		msg += 14;
	if (e)
		pe_result_set(out, PE_VERDICT_FAIL, 0,
			      "not valid JSON: %s at line %u, column %u%s", msg,
			      e->line, e->col, where);
	else
		pe_result_set(out, PE_VERDICT_FAIL, 0, "not valid JSON: %s",
			      msg);
}

static void score_json(const void *state, const struct pe_evalspec *spec,
		       const struct pe_eval_input *in,
		       struct pe_eval_result *out)
{
	const struct json_state *st = state;
	struct pe_diag *diag = pe_diag_new();
	struct pe_doc *doc = pe_doc_new("output", NULL, 0);
	int in_block, rc;
	const struct pe_node *value =
		parse_answer(in, doc, diag, &in_block, &rc);

	(void)spec;
	if (!value) {
		score_unread(diag, in_block, rc, out);
	} else if (!st->schema) {
		pe_result_set(out, PE_VERDICT_PASS, 1, "valid JSON");
	} else {
		score_schema(st, value, out);
	}
	if (in_block > 1)
		pe_result_append(out,
				 " (the first of %d json blocks; the others "
				 "are not read)",
				 in_block);
	pe_doc_free(doc);
	pe_diag_free(diag);
}

static const char *const json_keys[] = { "json", NULL };
static const char *const json_types[] = { "json_schema", NULL };
static const char *const json_known[] = { "json", "schema", "value", NULL };

const struct pe_evaluator_ops pe_json_check_ops = {
	.name = "json",
	.as_written = 1,
	.example = "{json: true}",
	.keys = json_keys,
	.types = json_types,
	.known_keys = json_known,
	.compile = compile_json,
	.inputs = json_inputs,
	.score = score_json,
	.free = free_json,
};
