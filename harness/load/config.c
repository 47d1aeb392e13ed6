/*
 * Reading prompteval.yml with the YAML module.  Every key is checked, with
 * "did you mean" for typos, because a misspelt rate limit silently ignored
 * is how a run gets a team's API key throttled.
 */
#include "harness/load/config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/util.h"
#include "harness/load/yaml_load.h"
#include "harness/core/banned.h"

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

/*
 * A section of the wrong shape (a string where a list belongs, say) is an
 * error, never silently ignored.  Returns 0 when n is absent, empty (a
 * key with no value) or of kind.
 */
static int check_shape(const struct pe_node *n, enum pe_node_kind kind,
		       const char *what, struct pe_diag *diag)
{
	if (!n || n->kind == kind || n->kind == PE_NODE_NULL)
		return PE_OK;
	pe_diag_error(diag, &n->mark, "%s, not a %s", what,
		      pe_node_kind_name(n->kind));
	return PE_ERR_INVALID;
}

/*
 * Reads ca_cert: a file of CA certificates, relative to the
 * configuration's folder, that must be readable now rather than fail
 * every request later.
 */
static int read_ca_cert(struct pe_provider_config *p, const struct pe_node *n,
			struct pe_diag *diag)
{
	if (!n)
		return PE_OK;
	if (!text_of(n)) {
		pe_diag_error(diag, &n->mark,
			      "'ca_cert' must name a file of CA certificates");
		return PE_ERR_INVALID;
	}
	p->ca_cert = pe_path_relative_to(n->mark.file, n->text);
	if (access(p->ca_cert, R_OK)) {
		pe_diag_error(diag, &n->mark, "ca_cert: cannot read %s: %s",
			      p->ca_cert, strerror(errno));
		return PE_ERR_INVALID;
	}
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
					     "max_retry_wait",
					     "headers",
					     "stream",
					     "ca_cert",
					     NULL };
	const struct pe_node *map = pair->value;
	struct pe_provider_config *p;
	const struct pe_node *kind = pe_node_get(map, "kind");
	const struct pe_node *headers = pe_node_get(map, "headers");
	const struct pe_node *max_concurrency =
		pe_node_get(map, "max_concurrency");
	const struct pe_node *stream = pe_node_get(map, "stream");
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
	p->mark = pair->key->mark;
	p->ops = pe_provider_find(kind ? kind->text : p->name);
	if (!pe_provider_is_http(p->ops)) {
		struct pe_buf names;

		pe_buf_init(&names, 0);
		pe_provider_list_names(&names, pe_provider_is_http, " or ");
		pe_diag_error(diag, kind ? &kind->mark : &pair->key->mark,
			      "provider '%s' needs 'kind': %s", p->name,
			      names.data);
		pe_buf_release(&names);
		p->ops = NULL;
		rc = PE_ERR_INVALID;
	}
	if (text_of(pe_node_get(map, "base_url")))
		p->base_url = xstrdup(text_of(pe_node_get(map, "base_url")));
	if (text_of(pe_node_get(map, "api_key_env")))
		p->api_key_env =
			xstrdup(text_of(pe_node_get(map, "api_key_env")));
	if (max_concurrency &&
	    (max_concurrency->kind != PE_NODE_INT ||
	     max_concurrency->ival < 1 || max_concurrency->ival > 1000000)) {
		pe_diag_error(diag, &max_concurrency->mark,
			      "'max_concurrency' must be a whole number from 1 "
			      "to 1000000");
		rc = PE_ERR_INVALID;
	} else if (max_concurrency) {
		p->max_concurrency = (long)max_concurrency->ival;
	}
	if (read_number(map, "requests_per_minute", 0, &p->requests_per_minute,
			diag) ||
	    read_number(map, "tokens_per_minute", 0, &p->tokens_per_minute,
			diag))
		rc = PE_ERR_INVALID;
	v = 0;
	if (read_number(map, "timeout", 0.001, &v, diag))
		rc = PE_ERR_INVALID;
	p->timeout_ms = (long)(v * 1000);
	if (stream && stream->kind != PE_NODE_BOOL) {
		pe_diag_error(diag, &stream->mark,
			      "'stream' must be true or false");
		rc = PE_ERR_INVALID;
	} else if (stream) {
		p->stream = stream->bval;
	}
	if (read_ca_cert(p, pe_node_get(map, "ca_cert"), diag))
		rc = PE_ERR_INVALID;
	v = 0;
	if (read_number(map, "max_retry_wait", 0.001, &v, diag))
		rc = PE_ERR_INVALID;
	p->max_retry_wait_ms = (long)(v * 1000);
	if (check_shape(headers, PE_NODE_MAP,
			"'headers' must map each header's name to its value",
			diag))
		rc = PE_ERR_INVALID;
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

	if (check_shape(models, PE_NODE_SEQ,
			"'models' must be a list such as [openai:gpt-4o-mini]",
			diag))
		rc = PE_ERR_INVALID;
	if (check_shape(temps, PE_NODE_SEQ,
			"'temperatures' must be a list of numbers from 0 to 2 "
			"such as [0, 0.7]",
			diag))
		rc = PE_ERR_INVALID;
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

/*
 * prices: { MODEL: { input: USD, output: USD } }, per million tokens.
 * MODEL is a spec ("openai:gpt-4o-mini") or a bare model name.
 */
static int read_prices(struct pe_config *c, const struct pe_node *prices,
		       struct pe_diag *diag)
{
	static const char *const known[] = { "input", "output", NULL };
	int rc = PE_OK;

	if (!prices)
		return PE_OK;
	if (prices->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &prices->mark,
			      "'prices' must map each model to its input "
			      "and output price per million tokens");
		return PE_ERR_INVALID;
	}
	c->prices = xcalloc(prices->npairs + 1, sizeof(*c->prices));
	for (size_t i = 0; i < prices->npairs; i++) {
		const struct pe_pair *p = &prices->pairs[i];
		struct pe_price *price = &c->prices[c->nprices];
		double in = NAN, out = NAN;

		if (p->value->kind != PE_NODE_MAP) {
			pe_diag_error(diag, &p->value->mark,
				      "the price of '%s' must be a mapping "
				      "such as { input: 0.15, output: 0.6 } "
				      "(US dollars per million tokens)",
				      p->key->text);
			rc = PE_ERR_INVALID;
			continue;
		}
		pe_node_check_keys(p->value, known, "a price", diag);
		if (read_number(p->value, "input", 0, &in, diag) ||
		    read_number(p->value, "output", 0, &out, diag)) {
			rc = PE_ERR_INVALID;
			continue;
		}
		if (isnan(in) || isnan(out)) {
			pe_diag_error(diag, &p->value->mark,
				      "the price of '%s' needs both 'input' "
				      "and 'output'",
				      p->key->text);
			rc = PE_ERR_INVALID;
			continue;
		}
		price->model = p->key->text;
		price->usd_per_mtok_in = in;
		price->usd_per_mtok_out = out;
		c->nprices++;
	}
	return rc;
}

/* A count gate ("max_errors: 2"): a whole number >= 0 into *out. */
static int read_gate_count(const struct pe_node *gates, const char *key,
			   long *out, struct pe_diag *diag)
{
	const struct pe_node *n = pe_node_get(gates, key);

	if (!n)
		return PE_OK;
	if (n->kind != PE_NODE_INT || n->ival < 0 || n->ival > 1000000000) {
		pe_diag_error(diag, &n->mark,
			      "'%s' must be a whole number >= 0", key);
		return PE_ERR_INVALID;
	}
	*out = (long)n->ival;
	return PE_OK;
}

/* The keys of gates:, each a gate of the same name as an option. */
static const char *const gate_keys[] = { "min_pass_rate", "fail_on",
					 "max_errors",	  "max_ungraded",
					 "max_cost",	  "max_p95_latency",
					 "max_p95_ttft",  NULL };

/*
 * An unknown key in gates: is an error, not a warning: the gate it
 * misspells would be dropped, and a run it should fail would pass.
 */
static int check_gate_keys(const struct pe_node *gates, struct pe_diag *diag)
{
	int rc = PE_OK;

	for (size_t i = 0; i < gates->npairs; i++) {
		const struct pe_node *key = gates->pairs[i].key;
		const char *hint;

		if (pe_listed(gate_keys, key->text))
			continue;
		hint = pe_suggest(key->text, gate_keys);
		if (hint) {
			pe_diag_error(diag, &key->mark,
				      "unknown gate '%s' (did you mean '%s'?)",
				      key->text, hint);
		} else {
			struct pe_buf names;

			/* "a, b and c", from the list, so it cannot drift. */
			pe_buf_init(&names, 0);
			for (size_t k = 0; gate_keys[k]; k++)
				pe_buf_addf(&names, "%s%s",
					    !k		       ? ""
					    : gate_keys[k + 1] ? ", "
							       : " and ",
					    gate_keys[k]);
			pe_diag_error(diag, &key->mark,
				      "unknown gate '%s': the gates are %s",
				      key->text, pe_buf_str(&names));
			pe_buf_release(&names);
		}
		rc = PE_ERR_INVALID;
	}
	return rc;
}

/* gates: the same gates as the command-line options, as defaults. */
static int read_gates(struct pe_config *c, const struct pe_node *gates,
		      struct pe_diag *diag)
{
	const struct pe_node *rate, *fail_on;
	int rc = PE_OK;

	if (!gates)
		return PE_OK;
	if (gates->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &gates->mark,
			      "'gates' must be a mapping such as "
			      "{ min_pass_rate: 0.9 }");
		return PE_ERR_INVALID;
	}
	if (check_gate_keys(gates, diag))
		rc = PE_ERR_INVALID;
	rate = pe_node_get(gates, "min_pass_rate");
	if (rate &&
	    ((rate->kind != PE_NODE_INT && rate->kind != PE_NODE_FLOAT) ||
	     rate->fval < 0 || rate->fval > 1)) {
		pe_diag_error(diag, &rate->mark,
			      "'min_pass_rate' must be a number from 0 to 1");
		rc = PE_ERR_INVALID;
	} else if (rate && rate->fval == 0) {
		pe_diag_error(diag, &rate->mark,
			      "'min_pass_rate: 0' " PE_GATE_RATE_ZERO_WHY);
		rc = PE_ERR_INVALID;
	} else if (rate) {
		c->gates.min_pass_rate = rate->fval;
	}
	fail_on = pe_node_get(gates, "fail_on");
	if (fail_on) {
		size_t k = 0;

		while (pe_fail_on_choices[k] &&
		       (!text_of(fail_on) ||
			strcmp(pe_fail_on_choices[k], fail_on->text)))
			k++;
		if (!pe_fail_on_choices[k]) {
			pe_diag_error(diag, &fail_on->mark,
				      "'fail_on' must be any-failure, "
				      "regression or significant-regression");
			rc = PE_ERR_INVALID;
		} else {
			c->gates.fail_on = pe_fail_on_choices[k];
		}
	}
	if (read_gate_count(gates, "max_errors", &c->gates.max_errors, diag) ||
	    read_gate_count(gates, "max_ungraded", &c->gates.max_ungraded,
			    diag))
		rc = PE_ERR_INVALID;
	if (read_number(gates, "max_cost", 0, &c->gates.max_cost_usd, diag) ||
	    read_number(gates, "max_p95_latency", 0,
			&c->gates.max_p95_latency_ms, diag) ||
	    read_number(gates, "max_p95_ttft", 0, &c->gates.max_p95_ttft_ms,
			diag))
		rc = PE_ERR_INVALID;
	return rc;
}

static int is_command(const struct pe_provider_ops *ops)
{
	return ops->model_is_command;
}

/*
 * { exec: [PROGRAM, ARGS...] }: a command given as an argv list, so an
 * argument may hold spaces.  Returns the list, or NULL after an error.
 */
static char **read_argv(const struct pe_pair *a,
			const struct pe_provider_ops **ops,
			struct pe_diag *diag)
{
	const struct pe_pair *p = &a->value->pairs[0];
	const struct pe_node *list = p->value;
	char **argv;

	*ops = pe_provider_find(p->key->text);
	if (a->value->npairs != 1 || !*ops || !is_command(*ops)) {
		struct pe_buf names;

		pe_buf_init(&names, 0);
		pe_provider_list_names(&names, is_command, " or ");
		pe_diag_error(diag, &p->key->mark,
			      "alias '%s' must name a provider:model or give "
			      "a command as { %s: [PROGRAM, ARGS...] }",
			      a->key->text, names.data);
		pe_buf_release(&names);
		return NULL;
	}
	if (list->kind != PE_NODE_SEQ || !list->count) {
		pe_diag_error(diag, &list->mark,
			      "alias '%s': '%s' must be a list: [PROGRAM, "
			      "ARGS...]",
			      a->key->text, p->key->text);
		return NULL;
	}
	for (size_t i = 0; i < list->count; i++) {
		if (pe_node_is_scalar(list->items[i]) &&
		    list->items[i]->kind != PE_NODE_NULL &&
		    (i || list->items[i]->len))
			continue;
		pe_diag_error(diag, &list->items[i]->mark,
			      "alias '%s': each item of '%s' must be text",
			      a->key->text, p->key->text);
		return NULL;
	}
	argv = xcalloc(list->count + 1, sizeof(*argv));
	for (size_t i = 0; i < list->count; i++)
		argv[i] = xstrndup(list->items[i]->text, list->items[i]->len);
	return argv;
}

/* An alias: NAME: provider:model, or NAME: { exec: [PROGRAM, ARGS...] }. */
static int read_alias(struct pe_config *c, const struct pe_pair *a,
		      struct pe_diag *diag)
{
	struct pe_alias alias = { NULL, NULL, NULL, NULL };

	if (a->value->kind == PE_NODE_MAP && a->value->npairs) {
		alias.argv = read_argv(a, &alias.ops, diag);
		if (!alias.argv)
			return PE_ERR_INVALID;
	} else if (text_of(a->value)) {
		alias.target = xstrdup(a->value->text);
	} else {
		pe_diag_error(diag, &a->value->mark,
			      "alias '%s' must name a provider:model",
			      a->key->text);
		return PE_ERR_INVALID;
	}
	alias.name = xstrdup(a->key->text);
	c->aliases =
		xrealloc(c->aliases, (c->naliases + 1) * sizeof(*c->aliases));
	c->aliases[c->naliases++] = alias;
	return PE_OK;
}

/* The top-level keys of a configuration. */
static const char *const root_keys[] = { "providers",	 "aliases", "models",
					 "temperatures", "repeats", "prices",
					 "gates",	 "judge",   NULL };

/*
 * The gate an unknown top-level key would drop, or NULL: the key looks
 * like "gates" (gate:, Gates:) or like a gate's own name (fail-on:,
 * max_cost: put beside gates: instead of in it), or its value is a
 * mapping that holds one (gating: { max_cost: 5 }).
 */
static const char *dropped_gate(const struct pe_pair *pair)
{
	const struct pe_node *value = pair->value;
	const char *hint = pe_suggest(pair->key->text, root_keys);

	if (hint && !strcmp(hint, "gates"))
		return "gates";
	hint = pe_suggest(pair->key->text, gate_keys);
	if (hint)
		return hint;
	for (size_t i = 0; value->kind == PE_NODE_MAP && i < value->npairs;
	     i++) {
		hint = pe_suggest(value->pairs[i].key->text, gate_keys);
		if (hint)
			return hint;
	}
	return NULL;
}

/*
 * Unknown top-level keys are warned about, as a misspelt setting is, but
 * one that would drop a gate is an error: a gate asked for and dropped
 * would let a run pass that it should fail.
 */
static int check_root_keys(const struct pe_node *root, struct pe_diag *diag)
{
	int rc = PE_OK;

	for (size_t i = 0; i < root->npairs; i++) {
		const struct pe_pair *pair = &root->pairs[i];
		const char *gate;

		if (pe_listed(root_keys, pair->key->text))
			continue;
		gate = dropped_gate(pair);
		if (!gate) {
			pe_diag_unknown_key(
				diag, &pair->key->mark, pair->key->text,
				"the configuration",
				pe_suggest(pair->key->text, root_keys));
		} else if (!strcmp(gate, "gates")) {
			pe_diag_error(diag, &pair->key->mark,
				      "unknown key '%s' in the configuration "
				      "(did you mean 'gates'?): its gates "
				      "would be dropped",
				      pair->key->text);
			rc = PE_ERR_INVALID;
		} else {
			pe_diag_error(diag, &pair->key->mark,
				      "unknown key '%s' in the configuration: "
				      "gates go under 'gates:', as in "
				      "gates: { %s: ... }",
				      pair->key->text, gate);
			rc = PE_ERR_INVALID;
		}
	}
	return rc;
}

static int read_root(struct pe_config *c, const struct pe_node *root,
		     struct pe_diag *diag)
{
	const struct pe_node *providers = pe_node_get(root, "providers");
	const struct pe_node *aliases = pe_node_get(root, "aliases");
	int rc = PE_OK;

	if (root->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &root->mark,
			      "the configuration must be a mapping");
		return PE_ERR_INVALID;
	}
	if (check_root_keys(root, diag))
		rc = PE_ERR_INVALID;
	if (check_shape(providers, PE_NODE_MAP,
			"'providers' must map each provider's name to its "
			"settings",
			diag))
		rc = PE_ERR_INVALID;
	if (check_shape(aliases, PE_NODE_MAP,
			"'aliases' must map each alias to a provider:model",
			diag))
		rc = PE_ERR_INVALID;
	for (size_t i = 0; providers && i < providers->npairs; i++)
		if (read_provider(c, &providers->pairs[i], diag))
			rc = PE_ERR_INVALID;
	for (size_t i = 0; aliases && i < aliases->npairs; i++)
		if (read_alias(c, &aliases->pairs[i], diag))
			rc = PE_ERR_INVALID;
	/* Each part is read even after another failed, for all diagnostics. */
	if (read_defaults(c, root, diag))
		rc = PE_ERR_INVALID;
	if (read_prices(c, pe_node_get(root, "prices"), diag))
		rc = PE_ERR_INVALID;
	if (read_gates(c, pe_node_get(root, "gates"), diag))
		rc = PE_ERR_INVALID;
	c->judge = pe_node_get(root, "judge");
	if (c->judge && !text_of(c->judge)) {
		pe_diag_error(diag, &c->judge->mark,
			      "'judge' must name a model such as "
			      "openai:gpt-4o");
		c->judge = NULL;
		rc = PE_ERR_INVALID;
	}
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
	pe_gates_init(&c->gates);
	if (!path) {
		if (stat("prompteval.yml", &st))
			return c;
		path = "prompteval.yml";
	}
	if (pe_file_read(path, MAX_CONFIG_FILE, &data, &len, diag)) {
		pe_config_free(c);
		return NULL;
	}
	c->doc = pe_yaml_load(path, data, len, MAX_CONFIG_FILE, diag);
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
		free(c->providers[i].ca_cert);
		pe_strlist_release(&c->providers[i].headers);
	}
	free(c->providers);
	for (size_t i = 0; i < c->naliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].target);
		for (size_t k = 0; c->aliases[i].argv && c->aliases[i].argv[k];
		     k++)
			free(c->aliases[i].argv[k]);
		free(c->aliases[i].argv);
	}
	free(c->aliases);
	pe_strlist_release(&c->models);
	free(c->temperatures);
	free(c->prices);
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

/* Finds an alias by name. */
const struct pe_alias *pe_config_alias(const struct pe_config *c,
				       const char *name)
{
	for (size_t i = 0; c && i < c->naliases; i++)
		if (!strcmp(c->aliases[i].name, name))
			return &c->aliases[i];
	return NULL;
}

/* The configured prices; see config.h. */
struct pe_prices pe_config_prices(const struct pe_config *c)
{
	struct pe_prices p = { NULL, 0 };

	if (c) {
		p.items = c->prices;
		p.count = c->nprices;
	}
	return p;
}

/* Fills the gates the command line left out; see config.h. */
void pe_config_merge_gates(const struct pe_config *c, struct pe_gates *cli)
{
	if (!c)
		return;
	if (isnan(cli->min_pass_rate))
		cli->min_pass_rate = c->gates.min_pass_rate;
	if (!cli->fail_on)
		cli->fail_on = c->gates.fail_on;
	if (cli->max_errors < 0)
		cli->max_errors = c->gates.max_errors;
	if (cli->max_ungraded < 0)
		cli->max_ungraded = c->gates.max_ungraded;
	if (isnan(cli->max_cost_usd))
		cli->max_cost_usd = c->gates.max_cost_usd;
	if (isnan(cli->max_p95_latency_ms))
		cli->max_p95_latency_ms = c->gates.max_p95_latency_ms;
	if (isnan(cli->max_p95_ttft_ms))
		cli->max_p95_ttft_ms = c->gates.max_p95_ttft_ms;
}
