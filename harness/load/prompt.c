/*
 * The prompt loader.  It reads in three passes: the file's own keys (name,
 * model, parameters, messages, evaluators), then the test cases (inline or
 * from dataset files), then cross-checks (every template variable against
 * every case, declared variables against their uses).  Each pass records
 * every problem it finds rather than stopping at the first.
 */
#include "harness/load/prompt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/buf.h"
#include "harness/load/dataset.h"
#include "harness/core/files.h"
#include "harness/core/hash.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/load/yaml_load.h"
#include "harness/core/banned.h"

static const char *const top_keys[] = { "name",
					"description",
					"model",
					"messages",
					"modelParameters",
					"model_parameters",
					"responseFormat",
					"response_format",
					"jsonSchema",
					"json_schema",
					"testData",
					"test_data",
					"evaluators",
					"version",
					"authors",
					"metadata",
					"variables",
					"tags",
					"threshold",
					NULL };

/* Keys that make a test case "nested": variables live under them. */
static const char *const nest_keys[] = { "vars", "input", "inputs", "variables",
					 NULL };

/* Keys beside a nested case's variables. */
static const char *const case_meta_keys[] = { "vars",
					      "input",
					      "inputs",
					      "variables",
					      "id",
					      "name",
					      "description",
					      "expected",
					      "expectedOutput",
					      "expected_output",
					      "evaluators",
					      "tags",
					      "metadata",
					      NULL };

struct loader {
	struct pe_prompt *p;
	struct pe_diag *diag;
	int failed;
};

static const char *scalar_text(const struct pe_node *n)
{
	return pe_node_is_scalar(n) && n->kind != PE_NODE_NULL ? n->text : NULL;
}

/* Gets a key under either of two spellings; errors when both are given. */
static const struct pe_node *get2(struct loader *ld, const struct pe_node *map,
				  const char *a, const char *b)
{
	const struct pe_pair *pa = pe_node_pair(map, a);
	const struct pe_pair *pb = pe_node_pair(map, b);

	if (pa && pb) {
		pe_diag_error(ld->diag, &pb->key->mark,
			      "'%s' and '%s' are the same setting; give only "
			      "one",
			      a, b);
		ld->failed = 1;
	}
	return pa ? pa->value : pb ? pb->value : NULL;
}

static char *read_text(struct loader *ld, const struct pe_node *map,
		       const char *key)
{
	const struct pe_node *n = pe_node_get(map, key);

	if (!n || n->kind == PE_NODE_NULL)
		return NULL;
	if (!pe_node_is_scalar(n)) {
		pe_diag_error(ld->diag, &n->mark, "'%s' must be text, not a %s",
			      key, pe_node_kind_name(n->kind));
		ld->failed = 1;
		return NULL;
	}
	return xstrdup(n->text);
}

/* Reports a Jinja line; prompt libraries template their YAML. */
static int check_not_jinja(const char *path, const char *data, size_t len,
			   struct pe_diag *diag)
{
	unsigned line = 1;

	for (size_t i = 0; i < len;) {
		size_t col = 0;
		const char *eol = memchr(data + i, '\n', len - i);
		size_t end = eol ? (size_t)(eol - data) : len;

		while (i + col < end &&
		       (data[i + col] == ' ' || data[i + col] == '\t'))
			col++;
		if (i + col + 1 < end && data[i + col] == '{' &&
		    (data[i + col + 1] == '%' || data[i + col + 1] == '#')) {
			struct pe_mark m = { path, line, (unsigned)col + 1 };
			size_t show = end - i - col;

			pe_diag_error(diag, &m,
				      "not plain YAML: a Jinja template tag "
				      "'%.*s%s'; render the template first "
				      "(prompteval reads plain YAML prompt "
				      "files)",
				      (int)(show > 40 ? 40 : show),
				      data + i + col, show > 40 ? "..." : "");
			return PE_ERR_INVALID;
		}
		i = end + 1;
		line++;
	}
	return PE_OK;
}

static int read_number(struct loader *ld, const struct pe_node *n,
		       const char *key, double min, double max, double *out)
{
	if (n->kind != PE_NODE_INT && n->kind != PE_NODE_FLOAT) {
		pe_diag_error(ld->diag, &n->mark,
			      "modelParameters.%s must be a number, not a %s",
			      key, pe_node_kind_name(n->kind));
		ld->failed = 1;
		return PE_ERR_INVALID;
	}
	if (n->fval < min || n->fval > max) {
		pe_diag_error(ld->diag, &n->mark,
			      "modelParameters.%s is %s; it must be between "
			      "%g and %g",
			      key, n->text, min, max);
		ld->failed = 1;
		return PE_ERR_INVALID;
	}
	*out = n->fval;
	return PE_OK;
}

static int read_integer(struct loader *ld, const struct pe_node *n,
			const char *key, long long min, long long *out)
{
	if (n->kind != PE_NODE_INT) {
		pe_diag_error(ld->diag, &n->mark,
			      "modelParameters.%s must be an integer, not %s%s",
			      key, n->kind == PE_NODE_FLOAT ? "" : "a ",
			      n->kind == PE_NODE_FLOAT
				      ? n->text
				      : pe_node_kind_name(n->kind));
		ld->failed = 1;
		return PE_ERR_INVALID;
	}
	if (n->ival < min) {
		pe_diag_error(ld->diag, &n->mark,
			      "modelParameters.%s is %s; it must be at least "
			      "%lld",
			      key, n->text, min);
		ld->failed = 1;
		return PE_ERR_INVALID;
	}
	*out = n->ival;
	return PE_OK;
}

static void read_stop(struct loader *ld, const struct pe_node *n)
{
	struct pe_params *pp = &ld->p->params;
	size_t count = n->kind == PE_NODE_SEQ ? n->count : 1;

	if (n->kind != PE_NODE_SEQ && n->kind != PE_NODE_STRING) {
		pe_diag_error(ld->diag, &n->mark,
			      "modelParameters.stop must be a string or a list "
			      "of strings, not a %s",
			      pe_node_kind_name(n->kind));
		ld->failed = 1;
		return;
	}
	pp->stop = xcalloc(count, sizeof(*pp->stop));
	for (size_t i = 0; i < count; i++) {
		const struct pe_node *s =
			n->kind == PE_NODE_SEQ ? n->items[i] : n;

		if (s->kind != PE_NODE_STRING || !s->len) {
			pe_diag_error(ld->diag, &s->mark,
				      "each stop sequence must be non-empty "
				      "text");
			ld->failed = 1;
			continue;
		}
		pp->stop[pp->nstop++] = xstrdup(s->text);
	}
	pp->set |= PE_PARAM_STOP;
}

static void read_params(struct loader *ld, const struct pe_node *root)
{
	static const char *const known[] = { "temperature",
					     "maxTokens",
					     "max_tokens",
					     "topP",
					     "top_p",
					     "seed",
					     "stop",
					     "presencePenalty",
					     "presence_penalty",
					     "frequencyPenalty",
					     "frequency_penalty",
					     NULL };
	const struct pe_node *mp =
		get2(ld, root, "modelParameters", "model_parameters");
	struct pe_params *pp = &ld->p->params;
	const struct pe_node *n;
	long long v;

	if (!mp || mp->kind == PE_NODE_NULL)
		return;
	if (mp->kind != PE_NODE_MAP) {
		pe_diag_error(ld->diag, &mp->mark,
			      "'modelParameters' must be a mapping, not a %s",
			      pe_node_kind_name(mp->kind));
		ld->failed = 1;
		return;
	}
	pe_node_check_keys(mp, known, "modelParameters", ld->diag);
	if ((n = pe_node_get(mp, "temperature")) &&
	    !read_number(ld, n, "temperature", 0, 2, &pp->temperature))
		pp->set |= PE_PARAM_TEMPERATURE;
	if ((n = get2(ld, mp, "maxTokens", "max_tokens")) &&
	    !read_integer(ld, n, "maxTokens", 1, &v)) {
		pp->max_tokens = (long)v;
		pp->set |= PE_PARAM_MAX_TOKENS;
	}
	if ((n = get2(ld, mp, "topP", "top_p")) &&
	    !read_number(ld, n, "topP", 0, 1, &pp->top_p))
		pp->set |= PE_PARAM_TOP_P;
	if ((n = pe_node_get(mp, "seed")) &&
	    !read_integer(ld, n, "seed", -(1LL << 62), &pp->seed))
		pp->set |= PE_PARAM_SEED;
	if ((n = pe_node_get(mp, "stop")))
		read_stop(ld, n);
	if ((n = get2(ld, mp, "presencePenalty", "presence_penalty")) &&
	    !read_number(ld, n, "presencePenalty", -2, 2,
			 &pp->presence_penalty))
		pp->set |= PE_PARAM_PRESENCE_PENALTY;
	if ((n = get2(ld, mp, "frequencyPenalty", "frequency_penalty")) &&
	    !read_number(ld, n, "frequencyPenalty", -2, 2,
			 &pp->frequency_penalty))
		pp->set |= PE_PARAM_FREQUENCY_PENALTY;
}

static void read_json_schema(struct loader *ld, const struct pe_node *root)
{
	const struct pe_node *js = get2(ld, root, "jsonSchema", "json_schema");
	struct pe_buf b;
	struct pe_node *parsed;

	if (!js || js->kind == PE_NODE_NULL) {
		if (ld->p->response_format == PE_RESPONSE_JSON_SCHEMA) {
			pe_diag_error(ld->diag, &ld->p->mark,
				      "responseFormat json_schema needs a "
				      "'jsonSchema'");
			ld->failed = 1;
		}
		return;
	}
	pe_buf_init(&b, 0);
	if (js->kind == PE_NODE_MAP) {
		/* An extension over gh-models: a YAML mapping is accepted. */
		pe_json_node(&b, js);
		parsed = (struct pe_node *)js;
	} else if (js->kind == PE_NODE_STRING) {
		pe_buf_add(&b, js->text, js->len);
		parsed = pe_json_parse_scalar(ld->p->doc, ld->p->doc, js,
					      ld->diag);
		if (!parsed) {
			ld->failed = 1;
			pe_buf_release(&b);
			return;
		}
	} else {
		pe_diag_error(ld->diag, &js->mark,
			      "jsonSchema must be a JSON string (or a "
			      "mapping), not a %s",
			      pe_node_kind_name(js->kind));
		ld->failed = 1;
		return;
	}
	if (ld->p->response_format == PE_RESPONSE_JSON_SCHEMA &&
	    (!pe_node_get(parsed, "name") || !pe_node_get(parsed, "schema"))) {
		pe_diag_error(ld->diag, &js->mark,
			      "jsonSchema for responseFormat json_schema must "
			      "have top-level 'name' and 'schema' keys");
		ld->failed = 1;
	}
	ld->p->json_schema = pe_buf_detach(&b, NULL);
	ld->p->json_schema_tree = parsed;
}

static void read_response_format(struct loader *ld, const struct pe_node *root)
{
	const struct pe_node *rf =
		get2(ld, root, "responseFormat", "response_format");
	const char *t = scalar_text(rf);

	if (rf && rf->kind != PE_NODE_NULL) {
		if (t && !strcmp(t, "text"))
			ld->p->response_format = PE_RESPONSE_TEXT;
		else if (t && !strcmp(t, "json_object"))
			ld->p->response_format = PE_RESPONSE_JSON_OBJECT;
		else if (t && !strcmp(t, "json_schema"))
			ld->p->response_format = PE_RESPONSE_JSON_SCHEMA;
		else {
			pe_diag_error(ld->diag, &rf->mark,
				      "invalid responseFormat '%s': use text, "
				      "json_object or json_schema",
				      t ? t : pe_node_kind_name(rf->kind));
			ld->failed = 1;
		}
	}
	read_json_schema(ld, root);
}

static int parse_role(const char *s, enum pe_role *role)
{
	static const char *const names[] = { "system", "user", "assistant" };

	for (int i = 0; i < 3; i++) {
		if (!strcasecmp(s, names[i])) {
			*role = (enum pe_role)i;
			return PE_OK;
		}
	}
	return PE_ERR_INVALID;
}

static void read_message(struct loader *ld, const struct pe_node *m)
{
	static const char *const known[] = { "role", "content", "name", NULL };
	struct pe_prompt *p = ld->p;
	const struct pe_node *role = pe_node_get(m, "role");
	const struct pe_node *content = pe_node_get(m, "content");
	struct pe_message *msg;
	enum pe_role r;

	if (m->kind != PE_NODE_MAP) {
		pe_diag_error(ld->diag, &m->mark,
			      "a message must be a mapping with 'role' and "
			      "'content', not a %s",
			      pe_node_kind_name(m->kind));
		ld->failed = 1;
		return;
	}
	pe_node_check_keys(m, known, "a message", ld->diag);
	if (!role || !scalar_text(role)) {
		pe_diag_error(ld->diag, role ? &role->mark : &m->mark,
			      "message needs a 'role' (system, user or "
			      "assistant)");
		ld->failed = 1;
		return;
	}
	if (parse_role(role->text, &r)) {
		pe_diag_error(ld->diag, &role->mark,
			      "unknown message role '%s': use system, user or "
			      "assistant",
			      role->text);
		ld->failed = 1;
		return;
	}
	if (!content || !pe_node_is_scalar(content) ||
	    content->kind == PE_NODE_NULL) {
		pe_diag_error(ld->diag, content ? &content->mark : &m->mark,
			      "message needs 'content' as text%s%s",
			      content ? ", not a " : "",
			      content ? pe_node_kind_name(content->kind) : "");
		ld->failed = 1;
		return;
	}
	msg = &p->messages[p->nmessages++];
	msg->role = r;
	msg->node = content;
	msg->content = pe_template_parse(content->text, content->len);
}

static void read_messages(struct loader *ld, const struct pe_node *list)
{
	if (list->kind != PE_NODE_SEQ) {
		pe_diag_error(ld->diag, &list->mark,
			      "'messages' must be a list of {role, content}, "
			      "not a %s",
			      pe_node_kind_name(list->kind));
		ld->failed = 1;
		return;
	}
	if (!list->count) {
		pe_diag_error(ld->diag, &list->mark,
			      "'messages' is empty: a prompt needs at least "
			      "one message");
		ld->failed = 1;
		return;
	}
	ld->p->messages = xcalloc(list->count, sizeof(*ld->p->messages));
	for (size_t i = 0; i < list->count; i++)
		read_message(ld, list->items[i]);
}

static const char *evaluator_key(const void *specs, size_t i, size_t *len)
{
	const char *name = ((const struct pe_evalspec *)specs)[i].name;

	*len = strlen(name);
	return name;
}

/* Gives evaluator n a name of its own when an earlier one has its name. */
static void rename_duplicate(struct loader *ld, struct pe_index *names,
			     struct pe_evalspec *specs, size_t n, size_t item)
{
	long j = pe_index_add(names, specs, n);
	char *renamed;

	if (j < 0)
		return;
	renamed = xstrfmt("%s#%zu", specs[n].name, item + 1);
	pe_diag_warning(ld->diag, &specs[n].mark,
			"duplicate evaluator name '%s' (also at line %u); "
			"this one is reported as '%s'",
			specs[n].name, specs[j].mark.line, renamed);
	free(specs[n].name);
	specs[n].name = renamed;
	/* The new name may be taken too; it is then kept as it is. */
	pe_index_add(names, specs, n);
}

/* Reads an evaluators list into a fresh array; returns its length. */
static size_t read_evaluators(struct loader *ld, const struct pe_node *list,
			      struct pe_evalspec **out)
{
	size_t n = 0;
	struct pe_index names;

	*out = NULL;
	if (!list || list->kind == PE_NODE_NULL)
		return 0;
	if (list->kind != PE_NODE_SEQ) {
		pe_diag_error(ld->diag, &list->mark,
			      "'evaluators' must be a list, not a %s",
			      pe_node_kind_name(list->kind));
		ld->failed = 1;
		return 0;
	}
	*out = xcalloc(list->count ? list->count : 1, sizeof(**out));
	pe_index_init(&names, evaluator_key);
	for (size_t i = 0; i < list->count; i++) {
		if (pe_evalspec_parse(&(*out)[n], list->items[i], i,
				      ld->diag)) {
			ld->failed = 1;
			continue;
		}
		rename_duplicate(ld, &names, *out, n, i);
		n++;
	}
	pe_index_release(&names);
	return n;
}

static void free_cases(struct pe_prompt *p)
{
	for (size_t i = 0; i < p->ncases; i++) {
		struct pe_case *c = &p->cases[i];

		free(c->id);
		for (size_t j = 0; j < c->nevaluators; j++)
			pe_evalspec_release(&c->evaluators[j]);
		free(c->evaluators);
	}
	free(p->cases);
}

struct case_list {
	const struct pe_node **items;
	size_t len;
	size_t alloc;
};

static void push_case(struct case_list *l, const struct pe_node *n)
{
	pe_grow(&l->items, &l->alloc, l->len + 1, sizeof(*l->items));
	l->items[l->len++] = n;
}

/* Loads a dataset file named by a testData entry and queues its cases. */
static void add_dataset(struct loader *ld, const struct pe_node *ref,
			struct case_list *cases)
{
	struct pe_prompt *p = ld->p;
	char *path = pe_path_relative_to(p->path, ref->text);
	size_t before = pe_diag_len(ld->diag);
	struct pe_doc *doc = pe_dataset_load(path, ld->diag);

	if (!doc) {
		/* Point the reader at the reference too. */
		if (pe_diag_len(ld->diag) > before &&
		    !pe_diag_get(ld->diag, before)->line)
			pe_diag_error(ld->diag, &ref->mark,
				      "cannot load dataset '%s'", ref->text);
		ld->failed = 1;
		free(path);
		return;
	}
	free(path);
	p->datasets = xrealloc(p->datasets,
			       (p->ndatasets + 1) * sizeof(*p->datasets));
	p->datasets[p->ndatasets++] = doc;
	for (size_t i = 0; i < doc->root->count; i++)
		push_case(cases, doc->root->items[i]);
}

/* A testData item that only names a file: {file: x} or {dataset: x}. */
static const struct pe_node *dataset_ref(const struct pe_node *item)
{
	const struct pe_node *f;

	if (item->kind != PE_NODE_MAP || item->npairs != 1)
		return NULL;
	f = pe_node_get(item, "file");
	if (!f)
		f = pe_node_get(item, "dataset");
	return f && f->kind == PE_NODE_STRING ? f : NULL;
}

static void collect_cases(struct loader *ld, const struct pe_node *td,
			  struct case_list *cases)
{
	if (td->kind == PE_NODE_STRING) {
		add_dataset(ld, td, cases);
		return;
	}
	if (td->kind != PE_NODE_SEQ) {
		pe_diag_error(ld->diag, &td->mark,
			      "'testData' must be a list of test cases or a "
			      "dataset file name, not a %s",
			      pe_node_kind_name(td->kind));
		ld->failed = 1;
		return;
	}
	for (size_t i = 0; i < td->count; i++) {
		const struct pe_node *ref = dataset_ref(td->items[i]);

		if (ref)
			add_dataset(ld, ref, cases);
		else
			push_case(cases, td->items[i]);
	}
}

/* The container that holds a nested case's variables, or NULL if flat. */
static const struct pe_pair *nested_vars(const struct pe_node *item)
{
	for (size_t i = 0; nest_keys[i]; i++) {
		const struct pe_pair *pair = pe_node_pair(item, nest_keys[i]);

		if (pair && pair->value->kind == PE_NODE_MAP)
			return pair;
	}
	return NULL;
}

static void make_case_id(struct pe_case *c)
{
	struct pe_buf b;
	char hex[PE_SHA256_HEX_LEN + 1];

	pe_buf_init(&b, 0);
	pe_json_node(&b, c->vars);
	if (c->expected) {
		pe_buf_addc(&b, '\n');
		pe_json_node(&b, c->expected);
	}
	pe_sha256_hex(b.data ? b.data : "", b.len, hex);
	pe_buf_release(&b);
	c->id = xstrfmt("case-%.16s", hex);
}

/* The document of the prompt that holds n (the file or a dataset). */
static struct pe_doc *doc_holding(struct loader *ld, const struct pe_node *n)
{
	for (size_t i = 0; i < ld->p->ndatasets; i++)
		if (n->mark.file == ld->p->datasets[i]->path)
			return ld->p->datasets[i];
	return ld->p->doc;
}

/*
 * Makes {{expected}} the case's expected value when the case writes it
 * as "expectedOutput" or "expected_output": a mapping of one key,
 * "expected", becomes the case's last scope.
 */
static void add_expected_scope(struct loader *ld, struct pe_case *c)
{
	struct pe_doc *doc;
	struct pe_node *map, *key;

	if (!c->expected || pe_node_get(c->item, "expected"))
		return;
	doc = doc_holding(ld, c->item);
	key = pe_doc_node(doc, PE_NODE_STRING, &c->expected->mark);
	key->text = "expected";
	key->len = strlen(key->text);
	map = pe_doc_node(doc, PE_NODE_MAP, &c->expected->mark);
	map->pairs = pe_doc_alloc(doc, sizeof(*map->pairs));
	map->pairs[0].key = key;
	map->pairs[0].value = (struct pe_node *)c->expected;
	map->npairs = 1;
	c->scopes[c->nscopes++] = map;
}

/*
 * The expected value of a case whose variables are in vars: "expected",
 * "expectedOutput" or "expected_output".  Two of them, or one beside a
 * variable named "expected", are errors: which one {{expected}} and the
 * reference metrics read would be a guess.
 */
static const struct pe_node *nested_expected(struct loader *ld,
					     const struct pe_node *item,
					     const struct pe_node *vars)
{
	static const char *const names[] = { "expected", "expectedOutput",
					     "expected_output" };
	const struct pe_pair *found = NULL, *p;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		p = pe_node_pair(item, names[i]);
		if (p && found)
			pe_diag_error(
				ld->diag, &p->key->mark,
				"the case gives its expected value twice, "
				"as '%s' and as '%s' (line %u): keep one",
				names[i], found->key->text,
				found->key->mark.line);
		else if (p)
			found = p;
	}
	p = vars->kind == PE_NODE_MAP ? pe_node_pair(vars, "expected") : NULL;
	if (found && p)
		pe_diag_error(ld->diag, &p->key->mark,
			      "'expected' is both a variable of this case and "
			      "its expected value ('%s', line %u): "
			      "{{expected}} would read one of them by a "
			      "guess; rename the variable",
			      found->key->text, found->key->mark.line);
	return found ? found->value : NULL;
}

/* Copies n into doc, every node at mark (the string it was read from). */
static struct pe_node *copy_node(struct pe_doc *doc, const struct pe_node *n,
				 const struct pe_node *at)
{
	struct pe_node *c = pe_doc_node(doc, n->kind, &at->mark);

	c->src_start = at->src_start;
	c->src_end = at->src_end;
	c->text = n->text ? pe_doc_strndup(doc, n->text, n->len) : NULL;
	c->len = n->len;
	c->ival = n->ival;
	c->fval = n->fval;
	c->bval = n->bval;
	c->plain = n->plain;
	if (n->kind == PE_NODE_SEQ && n->count) {
		c->items = pe_doc_alloc(doc, n->count * sizeof(*c->items));
		for (size_t i = 0; i < n->count; i++)
			c->items[i] = copy_node(doc, n->items[i], at);
		c->count = n->count;
	} else if (n->kind == PE_NODE_MAP && n->npairs) {
		c->pairs = pe_doc_alloc(doc, n->npairs * sizeof(*c->pairs));
		for (size_t i = 0; i < n->npairs; i++) {
			c->pairs[i].key = copy_node(doc, n->pairs[i].key, at);
			c->pairs[i].value =
				copy_node(doc, n->pairs[i].value, at);
		}
		c->npairs = n->npairs;
		pe_node_index_pairs(doc, c);
	}
	return c;
}

/*
 * The variables the messages use that neither the case item nor map (a
 * mapping, or NULL) defines: returns the first, or NULL when there is
 * none, and sets *distinct to how many distinct names there are (a dotted
 * path counts as two, so that it is never taken for the sole one).
 */
static const char *undefined_message_var(const struct pe_prompt *p,
					 const struct pe_node *item,
					 const struct pe_node *map,
					 size_t *distinct)
{
	const char *first = NULL;

	*distinct = 0;
	for (size_t m = 0; m < p->nmessages; m++) {
		const struct pe_template *t = p->messages[m].content;

		for (size_t i = 0; t && i < pe_template_nvars(t); i++) {
			const char *name = pe_template_var(t, i)->path;

			if (pe_node_get(item, name) ||
			    (map && pe_node_get(map, name)) ||
			    (first && !strcmp(first, name)))
				continue;
			*distinct += first || strchr(name, '.') ? 2 : 1;
			first = first ? first : name;
		}
	}
	return first;
}

/* A mapping of one pair, name: value, in doc at value's position. */
static struct pe_node *one_pair(struct pe_doc *doc, const char *name,
				const struct pe_node *value)
{
	struct pe_node *map = pe_doc_node(doc, PE_NODE_MAP, &value->mark);
	struct pe_node *key = pe_doc_node(doc, PE_NODE_STRING, &value->mark);

	key->text = pe_doc_strndup(doc, name, strlen(name));
	key->len = strlen(name);
	key->src_start = value->src_start;
	key->src_end = value->src_end;
	map->src_start = value->src_start;
	map->src_end = value->src_end;
	map->pairs = pe_doc_alloc(doc, sizeof(*map->pairs));
	map->pairs[0].key = key;
	map->pairs[0].value = (struct pe_node *)value;
	map->npairs = 1;
	return map;
}

/*
 * A case's variables written as one string, as some real prompt
 * libraries write them, read as what the author meant, with a warning at
 * the string: a string that holds a mapping ("vars: 'table: users'") is
 * that mapping, copied into the prompt's document with every node at the
 * string's position; any other string is the value of the one variable
 * the messages use that the case leaves undefined, when there is exactly
 * one.  NULL otherwise: the case keeps its error, with case_hint's
 * explanation, at the first variable it leaves undefined.
 */
static const struct pe_node *vars_in_string(struct loader *ld,
					    const struct pe_node *item)
{
	const struct pe_node *v = pe_node_get(item, "vars");
	const struct pe_node *root = NULL, *map = NULL;
	struct pe_diag *quiet;
	struct pe_doc *parsed = NULL;
	const char *sole;
	size_t left, sole_count;

	if (!v || v->kind != PE_NODE_STRING)
		return NULL;
	quiet = pe_diag_new();
	if (strchr(v->text, ':'))
		parsed = pe_yaml_load(v->mark.file, v->text, v->len, v->len + 1,
				      quiet);
	if (parsed && parsed->root && parsed->root->kind == PE_NODE_MAP &&
	    parsed->root->npairs)
		root = parsed->root;
	sole = undefined_message_var(ld->p, item, NULL, &sole_count);
	/* A mapping that leaves the sole variable undefined is its value. */
	if (root && (!undefined_message_var(ld->p, item, root, &left) ||
		     sole_count != 1)) {
		map = copy_node(doc_holding(ld, item), root, v);
		pe_diag_warning(ld->diag, &v->mark,
				"this case's variables are written as one "
				"string that holds a mapping; read as that "
				"mapping (%zu variable%s): write them as a "
				"mapping (remove the quotes)",
				map->npairs, map->npairs == 1 ? "" : "s");
	} else if (sole && sole_count == 1) {
		map = one_pair(doc_holding(ld, item), sole, v);
		pe_diag_warning(ld->diag, &v->mark,
				"this case's variables are one string, not a "
				"mapping; read as the value of '%s', the one "
				"variable the messages use that the case does "
				"not define: write 'vars: {%s: ...}'",
				sole, sole);
	}
	pe_doc_free(parsed);
	pe_diag_free(quiet);
	return map;
}

static void read_case(struct loader *ld, const struct pe_node *item,
		      struct pe_case *c)
{
	const struct pe_pair *nested = nested_vars(item);
	const struct pe_node *id = pe_node_get(item, "id");
	const struct pe_node *in_string =
		nested ? NULL : vars_in_string(ld, item);

	c->item = item;
	if (nested || in_string) {
		const struct pe_node *inner =
			nested ? nested->value : in_string;
		const struct pe_pair *deeper = nested_vars(inner);

		/* Seen in real files: inputs: {variables: {...}}. */
		if (nested && deeper && inner->npairs == 1)
			inner = deeper->value;
		pe_node_check_keys(item, case_meta_keys, "a test case",
				   ld->diag);
		c->vars = inner;
		c->scopes[0] = inner;
		c->scopes[1] = item;
		c->nscopes = 2;
		c->expected = nested_expected(ld, item, inner);
		add_expected_scope(ld, c);
	} else {
		c->vars = item;
		c->scopes[0] = item;
		c->nscopes = 1;
		c->expected = pe_node_get(item, "expected");
	}
	c->nevaluators = read_evaluators(ld, pe_node_get(item, "evaluators"),
					 &c->evaluators);
	if (id && scalar_text(id) && id->len)
		c->id = xstrdup(id->text);
	else {
		if (id)
			pe_diag_error(ld->diag, &id->mark,
				      "test case 'id' must be non-empty text");
		make_case_id(c);
	}
}

static const char *case_key(const void *cases, size_t i, size_t *len)
{
	const char *id = ((const struct pe_case *)cases)[i].id;

	*len = strlen(id);
	return id;
}

/*
 * Finds cases with the same id through an index, in time linear in the
 * cases: an explicit id given twice is an error; a generated one (the
 * same variables twice) gets the case's number appended.
 */
static void check_case_ids(struct loader *ld)
{
	struct pe_prompt *p = ld->p;
	struct pe_index ids;

	pe_index_init(&ids, case_key);
	for (size_t i = 0; i < p->ncases; i++) {
		struct pe_case *c = &p->cases[i];
		long j = pe_index_add(&ids, p->cases, i);
		char *renamed;

		if (j < 0)
			continue;
		if (pe_node_get(c->item, "id")) {
			pe_diag_error(ld->diag, &c->item->mark,
				      "duplicate test case id '%s' (also case "
				      "#%ld)",
				      c->id, j + 1);
			ld->failed = 1;
			continue;
		}
		renamed = xstrfmt("%s-%zu", c->id, i + 1);
		pe_diag_warning(ld->diag, &c->item->mark,
				"test case #%zu repeats case #%ld exactly; it "
				"is called '%s'",
				i + 1, j + 1, renamed);
		free(c->id);
		c->id = renamed;
		pe_index_add(&ids, p->cases, i);
	}
	pe_index_release(&ids);
}

static void read_cases(struct loader *ld, const struct pe_node *root)
{
	const struct pe_node *td = get2(ld, root, "testData", "test_data");
	struct case_list list = { 0 };
	struct pe_prompt *p = ld->p;

	if (!td || td->kind == PE_NODE_NULL)
		return;
	collect_cases(ld, td, &list);
	p->cases = xcalloc(list.len ? list.len : 1, sizeof(*p->cases));
	for (size_t i = 0; i < list.len; i++) {
		if (list.items[i]->kind != PE_NODE_MAP) {
			pe_diag_error(ld->diag, &list.items[i]->mark,
				      "a test case must be a mapping of "
				      "variables, not a %s",
				      pe_node_kind_name(list.items[i]->kind));
			ld->failed = 1;
			continue;
		}
		p->cases[p->ncases].index = p->ncases;
		read_case(ld, list.items[i], &p->cases[p->ncases]);
		p->ncases++;
	}
	free(list.items);
	check_case_ids(ld);
}

/* Finds which of the prompt's documents holds n, by its mark's file. */
const struct pe_doc *pe_prompt_doc_of(const struct pe_prompt *p,
				      const struct pe_node *n)
{
	for (size_t i = 0; i < p->ndatasets; i++)
		if (n->mark.file == p->datasets[i]->path)
			return p->datasets[i];
	return p->doc;
}

/*
 * Explains a common authoring slip behind an undefined variable: the
 * variables written as one string ("vars: 'a: 1'") instead of a mapping.
 */
static const char *case_hint(const struct pe_case *c)
{
	/* Variables read from the string (vars_in_string) need no hint. */
	if (c->vars != c->item)
		return "";
	for (size_t i = 0; nest_keys[i]; i++) {
		const struct pe_node *v = pe_node_get(c->item, nest_keys[i]);

		if (!v || v->kind != PE_NODE_STRING)
			continue;
		if (strstr(v->text, ": "))
			return "; this case's variables are written as one "
			       "string, not a mapping (remove the quotes)";
		/* "input: text" is as likely a variable named input. */
		if (!strncmp(nest_keys[i], "var", 3))
			return "; this case's variables are a string, not a "
			       "mapping of names to values";
	}
	return "";
}

/* Checks one template against one case. */
static void check_template_vars(struct loader *ld, const struct pe_template *t,
				const struct pe_node *node,
				const struct pe_case *c,
				const struct pe_evalspec *spec)
{
	for (size_t i = 0; i < pe_template_nvars(t); i++) {
		const struct pe_template_ref *ref = pe_template_var(t, i);
		struct pe_mark at;

		if (pe_template_lookup(c->scopes, c->nscopes, ref->path))
			continue;
		if (spec && pe_evalspec_provides(spec, ref->path))
			continue;
		/* Past the diagnostics a file keeps, finding it is wasted. */
		at = pe_diag_file_full(ld->diag, c->item->mark.file)
			     ? node->mark
			     : pe_doc_locate(pe_prompt_doc_of(ld->p, node),
					     node, ref->token,
					     pe_template_occurrence(t, ref));
		/* A case from a dataset file: say which file the use is in. */
		pe_diag_error(ld->diag, &c->item->mark,
			      "prompt '%s', test case '%s': variable '%s' is "
			      "not defined (used %s%s%sat %s%sline %u, column "
			      "%u)%s",
			      ld->p->name, c->id, ref->path,
			      spec ? "by evaluator '" : "",
			      spec ? spec->name : "", spec ? "' " : "",
			      at.file != c->item->mark.file ? at.file : "",
			      at.file != c->item->mark.file ? " " : "", at.line,
			      at.col, case_hint(c));
		ld->failed = 1;
	}
}

static void warn_literal_braces(struct loader *ld, const struct pe_template *t,
				const struct pe_node *node)
{
	for (size_t i = 0; i < pe_template_nliterals(t); i++) {
		const struct pe_template_ref *ref = pe_template_literal(t, i);
		struct pe_mark at =
			pe_diag_file_full(ld->diag, ld->p->path)
				? node->mark
				: pe_doc_locate(ld->p->doc, node, ref->token,
						pe_template_occurrence(t, ref));

		pe_diag_warning(ld->diag, &at,
				"'%s' is not a variable reference and is sent "
				"as written; write '\\{{' for a literal '{{'",
				ref->token);
	}
}

static void check_specs(struct loader *ld, const struct pe_evalspec *specs,
			size_t n, const struct pe_case *c)
{
	for (size_t e = 0; e < n; e++) {
		for (size_t k = 0; k < pe_evalspec_ntemplates(&specs[e]); k++) {
			const struct pe_node *node;
			const struct pe_template *t =
				pe_evalspec_template(&specs[e], k, &node);

			check_template_vars(ld, t, node, c, &specs[e]);
		}
	}
}

static void check_templates(struct loader *ld)
{
	struct pe_prompt *p = ld->p;

	for (size_t m = 0; m < p->nmessages; m++)
		warn_literal_braces(ld, p->messages[m].content,
				    p->messages[m].node);
	for (size_t i = 0; i < p->ncases; i++) {
		const struct pe_case *c = &p->cases[i];

		for (size_t m = 0; m < p->nmessages; m++)
			check_template_vars(ld, p->messages[m].content,
					    p->messages[m].node, c, NULL);
		check_specs(ld, p->evaluators, p->nevaluators, c);
		check_specs(ld, c->evaluators, c->nevaluators, c);
	}
}

static int message_uses(const struct pe_prompt *p, const char *name)
{
	size_t len = strlen(name);

	for (size_t m = 0; m < p->nmessages; m++) {
		const struct pe_template *t = p->messages[m].content;

		for (size_t i = 0; i < pe_template_nvars(t); i++) {
			const char *path = pe_template_var(t, i)->path;

			if (!strncmp(path, name, len) &&
			    (path[len] == '\0' || path[len] == '.'))
				return 1;
		}
	}
	return 0;
}

/* Warns about declared variables that no message uses. */
static void check_declared_variables(struct loader *ld,
				     const struct pe_node *root)
{
	const struct pe_node *vars = pe_node_get(root, "variables");

	if (!vars || vars->kind != PE_NODE_SEQ)
		return;
	for (size_t i = 0; i < vars->count; i++) {
		const struct pe_node *v = vars->items[i];
		const struct pe_node *name =
			v->kind == PE_NODE_MAP ? pe_node_get(v, "name") : v;

		if (!scalar_text(name))
			continue;
		if (!message_uses(ld->p, name->text))
			pe_diag_warning(ld->diag, &name->mark,
					"declared variable '%s' is not used "
					"by any message",
					name->text);
	}
}

static void read_threshold(struct loader *ld, const struct pe_node *root)
{
	const struct pe_node *t = pe_node_get(root, "threshold");

	if (!t)
		return;
	if ((t->kind != PE_NODE_INT && t->kind != PE_NODE_FLOAT) ||
	    t->fval < 0 || t->fval > 1) {
		pe_diag_error(ld->diag, &t->mark,
			      "'threshold' must be a number between 0 and 1");
		ld->failed = 1;
		return;
	}
	if (t->fval <= PE_THRESHOLD_SLACK) {
		pe_diag_error(ld->diag, &t->mark,
			      "'threshold: %g' passes every case whatever its "
			      "evaluators find, so it checks nothing",
			      t->fval);
		ld->failed = 1;
		return;
	}
	ld->p->threshold = t->fval;
	ld->p->has_threshold = 1;
}

/*
 * With a threshold, a case whose evaluators all weigh 0 has nothing to
 * weigh: its score would be 0 whatever they found.  An error at the
 * threshold.
 */
static void check_weights(struct loader *ld, const struct pe_node *root)
{
	const struct pe_prompt *p = ld->p;
	double prompt_weight = 0;
	size_t n = p->nevaluators;

	if (!p->has_threshold)
		return;
	for (size_t i = 0; i < p->nevaluators; i++)
		prompt_weight += p->evaluators[i].weight;
	/* Without cases, the prompt's evaluators alone. */
	for (size_t c = 0; c < (p->ncases ? p->ncases : 1); c++) {
		double w = prompt_weight;
		size_t k = n;

		for (size_t i = 0; c < p->ncases && i < p->cases[c].nevaluators;
		     i++, k++)
			w += p->cases[c].evaluators[i].weight;
		if (!k || w > 0)
			continue;
		pe_diag_error(ld->diag, &pe_node_get(root, "threshold")->mark,
			      "'threshold' weighs the evaluators, and every "
			      "one of them has weight 0");
		ld->failed = 1;
		return;
	}
}

/* Explains why a mapping without messages is not a prompt. */
static void report_no_messages(struct loader *ld, const struct pe_node *root)
{
	struct pe_mark m = { ld->p->path, 1, 1 };

	if (pe_node_get(root, "jobs") &&
	    (pe_node_get(root, "on") || pe_node_pair(root, "true")))
		pe_diag_error(ld->diag, &m,
			      "not a prompt definition: no 'messages' key; "
			      "this looks like a GitHub Actions workflow "
			      "('on' and 'jobs')");
	else
		pe_diag_error(ld->diag, &m,
			      "not a prompt definition: no 'messages' key");
}

static int read_root(struct loader *ld, const struct pe_node *root)
{
	struct pe_prompt *p = ld->p;
	const struct pe_node *messages;
	char *name;

	if (root->kind != PE_NODE_MAP) {
		pe_diag_error(ld->diag, &root->mark,
			      "a prompt file must be a mapping of keys (name, "
			      "model, messages, ...), not a %s",
			      pe_node_kind_name(root->kind));
		return PE_ERR_INVALID;
	}
	messages = pe_node_get(root, "messages");
	if (!messages) {
		/* A typo such as "mesages" explains the missing key. */
		pe_node_suggest_keys(root, top_keys, "the prompt file",
				     ld->diag);
		report_no_messages(ld, root);
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(root, top_keys, "the prompt file", ld->diag);
	name = read_text(ld, root, "name");
	p->name = name ? name : xstrdup(p->path);
	p->description = read_text(ld, root, "description");
	p->model = read_text(ld, root, "model");
	if (!p->model)
		pe_diag_warning(ld->diag, &p->mark,
				"no 'model': runs of this prompt need "
				"-m/--model");
	read_params(ld, root);
	read_response_format(ld, root);
	read_threshold(ld, root);
	read_messages(ld, messages);
	p->nevaluators = read_evaluators(ld, pe_node_get(root, "evaluators"),
					 &p->evaluators);
	read_cases(ld, root);
	check_weights(ld, root);
	check_templates(ld);
	check_declared_variables(ld, root);
	return PE_OK;
}

static int is_blank_yaml(const char *data, size_t len)
{
	int comment = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			comment = 0;
		else if (data[i] == '#')
			comment = 1;
		else if (!comment && !isspace((unsigned char)data[i]))
			return 0;
	}
	return 1;
}

/* Loads a prompt file; see prompt.h. */
struct pe_prompt *pe_prompt_load(const char *path, struct pe_diag *diag)
{
	struct pe_prompt *p;
	char *data;
	size_t len;

	if (pe_file_read(path, PE_PROMPT_MAX_FILE, &data, &len, diag))
		return NULL;
	p = pe_prompt_load_buffer(path, data, len, diag);
	free(data);
	return p;
}

/* Loads a prompt from memory; see prompt.h. */
struct pe_prompt *pe_prompt_load_buffer(const char *path, const char *data,
					size_t len, struct pe_diag *diag)
{
	struct loader ld = { NULL, diag, 0 };
	struct pe_mark start = { path, 1, 1 };
	struct pe_doc *doc;

	if (is_blank_yaml(data, len)) {
		pe_diag_error(diag, &start,
			      "empty file: expected a prompt definition with "
			      "'messages'");
		return NULL;
	}
	if (check_not_jinja(path, data, len, diag))
		return NULL;
	doc = pe_yaml_load(path, data, len, PE_PROMPT_MAX_FILE, diag);
	if (!doc)
		return NULL;
	if (!doc->root || doc->root->kind == PE_NODE_NULL) {
		pe_diag_error(diag, &start,
			      "empty document: expected a prompt definition "
			      "with 'messages'");
		pe_doc_free(doc);
		return NULL;
	}
	ld.p = xcalloc(1, sizeof(*ld.p));
	ld.p->doc = doc;
	ld.p->path = xstrdup(path);
	ld.p->mark = doc->root->mark;
	if (read_root(&ld, doc->root)) {
		pe_prompt_free(ld.p);
		return NULL;
	}
	return ld.p;
}

/* Frees a prompt and everything it owns; NULL is a no-op. */
void pe_prompt_free(struct pe_prompt *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmessages; i++)
		pe_template_free(p->messages[i].content);
	free(p->messages);
	for (size_t i = 0; i < p->nevaluators; i++)
		pe_evalspec_release(&p->evaluators[i]);
	free(p->evaluators);
	free_cases(p);
	for (size_t i = 0; i < p->params.nstop; i++)
		free(p->params.stop[i]);
	free(p->params.stop);
	for (size_t i = 0; i < p->ndatasets; i++)
		pe_doc_free(p->datasets[i]);
	free(p->datasets);
	pe_doc_free(p->doc);
	free(p->json_schema);
	free(p->name);
	free(p->description);
	free(p->model);
	free(p->path);
	free(p);
}

/* Counts prompt-level and case-level evaluators. */
size_t pe_prompt_count_evaluators(const struct pe_prompt *p)
{
	size_t n = p->nevaluators;

	for (size_t i = 0; i < p->ncases; i++)
		n += p->cases[i].nevaluators;
	return n;
}

/* Names a role as the wire formats spell it. */
const char *pe_role_name(enum pe_role role)
{
	switch (role) {
	case PE_ROLE_SYSTEM:
		return "system";
	case PE_ROLE_USER:
		return "user";
	case PE_ROLE_ASSISTANT:
		return "assistant";
	}
	return "user";
}

/* Renders a prompt's messages for one case; see prompt.h. */
char *pe_prompt_render(const struct pe_prompt *p, const struct pe_case *c,
		       char **texts)
{
	for (size_t i = 0; i < p->nmessages; i++) {
		struct pe_buf b;
		const char *missing = NULL;
		int rc;

		pe_buf_init(&b, PE_PROMPT_MAX_RENDERED);
		rc = pe_template_render(p->messages[i].content,
					c ? c->scopes : NULL,
					c ? c->nscopes : 0, &b, &missing);
		if (rc) {
			pe_buf_release(&b);
			return rc == PE_ERR_LIMIT
				       ? xstrdup("rendered prompt is larger "
						 "than 16 MiB")
				       : xstrfmt("variable '%s' is not defined",
						 missing ? missing : "?");
		}
		texts[i] = pe_buf_detach(&b, NULL);
	}
	return NULL;
}
