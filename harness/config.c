/*
 * Reading prompteval.yml with the YAML module.  Every key is checked, with
 * "did you mean" for typos, because a misspelt rate limit silently ignored
 * is how a run gets a team's API key throttled.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"
#include "yaml.h"
#include "banned.h"

enum { MAX_CONFIG_FILE = 4 * 1024 * 1024 };

static const char *text_of(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_STRING && n->len ? n->text : NULL;
}

static int read_number(const struct pe_node *map, const char *key, double min,
		       double *out, struct pe_diag *diag)
{
	const struct pe_node *n = pe_node_get(map, key);

	if (!n)
		return PE_OK;
	if ((n->kind != PE_NODE_INT && n->kind != PE_NODE_FLOAT) ||
	    n->fval < min) {
		pe_diag_error(diag, &n->mark, "'%s' must be a number >= %g",
			      key, min);
		return PE_ERR_INVALID;
	}
	*out = n->fval;
	return PE_OK;
}

static int read_provider(struct pe_config *c, const struct pe_pair *pair,
			 struct pe_diag *diag)
{
	static const char *const known[] = { "kind",
					     "base_url",
					     "api_key_env",
					     "max_concurrency",
					     "requests_per_minute",
					     "tokens_per_minute",
					     "timeout",
					     "headers",
					     NULL };
	const struct pe_node *map = pair->value;
	struct pe_provider_config *p;
	const struct pe_node *kind = pe_node_get(map, "kind");
	const struct pe_node *headers = pe_node_get(map, "headers");
	double v = 0;
	int rc = PE_OK;

	if (map->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &map->mark,
			      "provider '%s' must be a mapping of settings",
			      pair->key->text);
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(map, known, "a provider", diag);
	c->providers = xrealloc(c->providers,
				(c->nproviders + 1) * sizeof(*c->providers));
	p = &c->providers[c->nproviders++];
	memset(p, 0, sizeof(*p));
	pe_strlist_init(&p->headers);
	p->name = xstrdup(pair->key->text);
	if (pe_provider_kind_parse(kind ? kind->text : p->name, &p->kind) ||
	    p->kind == PE_PROVIDER_EXEC || p->kind == PE_PROVIDER_ECHO) {
		pe_diag_error(diag, kind ? &kind->mark : &pair->key->mark,
			      "provider '%s' needs 'kind': openai, github, "
			      "anthropic, gemini or ollama",
			      p->name);
		rc = PE_ERR_INVALID;
	}
	if (text_of(pe_node_get(map, "base_url")))
		p->base_url = xstrdup(text_of(pe_node_get(map, "base_url")));
	if (text_of(pe_node_get(map, "api_key_env")))
		p->api_key_env =
			xstrdup(text_of(pe_node_get(map, "api_key_env")));
	if (read_number(map, "max_concurrency", 1, &v, diag))
		rc = PE_ERR_INVALID;
	p->max_concurrency = (long)v;
	if (read_number(map, "requests_per_minute", 0, &p->requests_per_minute,
			diag) ||
	    read_number(map, "tokens_per_minute", 0, &p->tokens_per_minute,
			diag))
		rc = PE_ERR_INVALID;
	v = 0;
	if (read_number(map, "timeout", 0.001, &v, diag))
		rc = PE_ERR_INVALID;
	p->timeout_ms = (long)(v * 1000);
	for (size_t i = 0; headers && i < headers->npairs; i++) {
		const struct pe_pair *h = &headers->pairs[i];
		char *line;

		if (!pe_node_is_scalar(h->value)) {
			pe_diag_error(diag, &h->value->mark,
				      "header '%s' must be text", h->key->text);
			rc = PE_ERR_INVALID;
			continue;
		}
		line = xstrfmt("%s: %s", h->key->text, h->value->text);
		pe_strlist_push(&p->headers, line);
		free(line);
	}
	return rc;
}

static int read_defaults(struct pe_config *c, const struct pe_node *root,
			 struct pe_diag *diag)
{
	const struct pe_node *models = pe_node_get(root, "models");
	const struct pe_node *temps = pe_node_get(root, "temperatures");
	const struct pe_node *repeats = pe_node_get(root, "repeats");
	int rc = PE_OK;

	for (size_t i = 0; models && i < models->count; i++) {
		if (!text_of(models->items[i])) {
			pe_diag_error(diag, &models->items[i]->mark,
				      "each model must be text such as "
				      "openai:gpt-4o-mini");
			rc = PE_ERR_INVALID;
			continue;
		}
		pe_strlist_push(&c->models, models->items[i]->text);
	}
	if (temps && temps->kind == PE_NODE_SEQ) {
		c->temperatures = xcalloc(temps->count + 1, sizeof(double));
		for (size_t i = 0; i < temps->count; i++) {
			const struct pe_node *t = temps->items[i];

			if ((t->kind != PE_NODE_INT &&
			     t->kind != PE_NODE_FLOAT) ||
			    t->fval < 0 || t->fval > 2) {
				pe_diag_error(diag, &t->mark,
					      "temperatures must be numbers "
					      "from 0 to 2");
				rc = PE_ERR_INVALID;
				continue;
			}
			c->temperatures[c->ntemperatures++] = t->fval;
		}
	}
	if (repeats) {
		if (repeats->kind != PE_NODE_INT || repeats->ival < 1 ||
		    repeats->ival > 100000) {
			pe_diag_error(diag, &repeats->mark,
				      "'repeats' must be a whole number from 1 "
				      "to 100000");
			rc = PE_ERR_INVALID;
		} else {
			c->repeats = (long)repeats->ival;
		}
	}
	return rc;
}

static int read_root(struct pe_config *c, const struct pe_node *root,
		     struct pe_diag *diag)
{
	static const char *const known[] = { "providers", "aliases",
					     "models",	  "temperatures",
					     "repeats",	  NULL };
	const struct pe_node *providers = pe_node_get(root, "providers");
	const struct pe_node *aliases = pe_node_get(root, "aliases");
	int rc = PE_OK;

	if (root->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &root->mark,
			      "the configuration must be a mapping");
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(root, known, "the configuration", diag);
	for (size_t i = 0; providers && i < providers->npairs; i++)
		if (read_provider(c, &providers->pairs[i], diag))
			rc = PE_ERR_INVALID;
	for (size_t i = 0; aliases && i < aliases->npairs; i++) {
		const struct pe_pair *a = &aliases->pairs[i];

		if (!text_of(a->value)) {
			pe_diag_error(diag, &a->value->mark,
				      "alias '%s' must name a provider:model",
				      a->key->text);
			rc = PE_ERR_INVALID;
			continue;
		}
		c->aliases = xrealloc(c->aliases,
				      (c->naliases + 1) * sizeof(*c->aliases));
		c->aliases[c->naliases].name = xstrdup(a->key->text);
		c->aliases[c->naliases].target = xstrdup(a->value->text);
		c->naliases++;
	}
	if (read_defaults(c, root, diag))
		rc = PE_ERR_INVALID;
	return rc;
}

/* Loads the configuration; see config.h. */
struct pe_config *pe_config_load(const char *path, struct pe_diag *diag)
{
	struct pe_config *c = xcalloc(1, sizeof(*c));
	struct stat st;
	char *data;
	size_t len;

	pe_strlist_init(&c->models);
	if (!path) {
		if (stat("prompteval.yml", &st))
			return c;
		path = "prompteval.yml";
	}
	if (pe_file_read(path, MAX_CONFIG_FILE, &data, &len, diag)) {
		pe_config_free(c);
		return NULL;
	}
	c->doc = pe_yaml_load(path, data, len, diag);
	free(data);
	if (!c->doc || (c->doc->root && read_root(c, c->doc->root, diag))) {
		pe_config_free(c);
		return NULL;
	}
	return c;
}

/* Frees a configuration; NULL is a no-op. */
void pe_config_free(struct pe_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nproviders; i++) {
		free(c->providers[i].name);
		free(c->providers[i].base_url);
		free(c->providers[i].api_key_env);
		pe_strlist_release(&c->providers[i].headers);
	}
	free(c->providers);
	for (size_t i = 0; i < c->naliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].target);
	}
	free(c->aliases);
	pe_strlist_release(&c->models);
	free(c->temperatures);
	pe_doc_free(c->doc);
	free(c);
}

/* Finds a provider configuration by name. */
const struct pe_provider_config *pe_config_provider(const struct pe_config *c,
						    const char *name)
{
	for (size_t i = 0; c && i < c->nproviders; i++)
		if (!strcmp(c->providers[i].name, name))
			return &c->providers[i];
	return NULL;
}

/* Finds an alias target by name. */
const char *pe_config_alias(const struct pe_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->naliases; i++)
		if (!strcmp(c->aliases[i].name, name))
			return c->aliases[i].target;
	return NULL;
}
