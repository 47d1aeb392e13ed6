/*
 * Planning.  Models are resolved once into targets; jobs refer to targets
 * by index.  Jobs are ordered prompt file, case, model, temperature,
 * repeat, which is also the order results are reported in.
 */
#include "harness/plan/plan.h"

#include "evaluators/evaluator.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/pattern.h"
#include "harness/core/buf.h"
#include "harness/core/hash.h"
#include "harness/core/url.h"
#include "harness/core/util.h"
#include "harness/results/aggregate.h"
#include "harness/core/banned.h"

static void set_base(struct pe_target *t, const struct pe_provider_config *pc)
{
	const char *env_name = t->ops->base_env;
	const char *env = env_name ? getenv(env_name) : NULL;

	/* The configuration wins over the SDKs' variables, which win over
	 * the default. */
	if (pc && pc->base_url)
		t->base_url = xstrdup(pc->base_url);
	else if (env && *env)
		t->base_url = xstrdup(env);
	else if (t->ops->default_base)
		t->base_url = xstrdup(t->ops->default_base);
	if (t->base_url) {
		size_t n = strlen(t->base_url);

		while (n > 1 && t->base_url[n - 1] == '/')
			t->base_url[--n] = '\0';
	}
}

/*
 * True when the configuration sends the provider to another server than
 * its kind's default (a local vLLM, a proxy): the kind's key is not for
 * it.  The SDKs' base variables (OPENAI_BASE_URL) are not counted: the
 * SDKs send their key variable there, and both come from the same
 * environment, while a prompteval.yml may come with the prompts.
 */
static int elsewhere(const struct pe_target *t,
		     const struct pe_provider_config *pc)
{
	return pc && pc->base_url && t->ops->default_base &&
	       !pe_url_same_origin(pc->base_url, t->ops->default_base);
}

/*
 * The CA certificates to trust: the provider's ca_cert, else those that
 * OpenSSL's variables name, as OpenSSL itself reads them.
 */
static void set_tls(struct pe_target *t, const struct pe_provider_config *pc)
{
	const char *file = getenv("SSL_CERT_FILE");
	const char *dir = getenv("SSL_CERT_DIR");

	if (pc && pc->ca_cert)
		t->ca_cert = xstrdup(pc->ca_cert);
	else if (file && *file)
		t->ca_cert = xstrdup(file);
	if (dir && *dir)
		t->ca_dir = xstrdup(dir);
}

static void set_limits(struct pe_target *t, const struct pe_provider_config *pc)
{
	int own_key = pc && pc->api_key_env;
	const char *key_env = own_key		 ? pc->api_key_env
			      : elsewhere(t, pc) ? NULL
						 : t->ops->key_env;
	const char *first = t->ops->key_env_first;
	const char *key;

	/* The provider's first choice, when set and not overridden. */
	if (key_env && !own_key && first && getenv(first) && *getenv(first))
		key_env = first;
	key = key_env ? getenv(key_env) : NULL;

	pe_strlist_init(&t->headers);
	t->key_withheld = !key_env && t->ops->key_env;
	t->api_key_env = key_env ? xstrdup(key_env) : NULL;
	t->api_key = key && *key ? xstrdup(key) : NULL;
	set_tls(t, pc);
	if (!pc)
		return;
	t->max_concurrency = pc->max_concurrency;
	t->requests_per_minute = pc->requests_per_minute;
	t->tokens_per_minute = pc->tokens_per_minute;
	t->timeout_ms = pc->timeout_ms;
	t->stream = pc->stream;
	t->max_retry_wait_ms = pc->max_retry_wait_ms;
	for (size_t i = 0; i < pc->headers.len; i++)
		pe_strlist_push(&t->headers, pc->headers.items[i]);
}

static void split_argv(struct pe_target *t, const char *cmd)
{
	size_t n = 0;
	const char *p = cmd;

	t->argv = xcalloc(strlen(cmd) / 2 + 2, sizeof(char *));
	while (*p) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len)
			t->argv[n++] = xstrndup(p, len);
		p += len;
	}
}

/*
 * Writes argv as one line for the target's name: arguments with a space,
 * a quote or nothing in them are single-quoted as a shell would read them.
 */
static char *join_argv(char *const *argv)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];

		if (i)
			pe_buf_addc(&b, ' ');
		if (*a && !strpbrk(a, " \t'\"")) {
			pe_buf_adds(&b, a);
			continue;
		}
		pe_buf_addc(&b, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				pe_buf_adds(&b, "'\\''");
			else
				pe_buf_addc(&b, *a);
		}
		pe_buf_addc(&b, '\'');
	}
	return pe_buf_detach(&b, NULL);
}

/* A target from an alias that gives a command as an argv list. */
static void resolve_argv(const struct pe_alias *alias,
			 const struct pe_config *config, struct pe_target *out)
{
	size_t n = 0;

	while (alias->argv[n])
		n++;
	out->ops = alias->ops;
	out->argv = xcalloc(n + 1, sizeof(*out->argv));
	for (size_t i = 0; i < n; i++)
		out->argv[i] = xstrdup(alias->argv[i]);
	out->provider = xstrdup(out->ops->name);
	out->model = join_argv(alias->argv);
	out->spec = xstrfmt("%s:%s", out->provider, out->model);
	set_base(out, pe_config_provider(config, out->ops->name));
	set_limits(out, pe_config_provider(config, out->ops->name));
}

/* Resolves a model name into a target; see plan.h. */
int pe_target_resolve(const char *name, const struct pe_config *config,
		      struct pe_target *out, char *err, size_t errsize)
{
	const struct pe_alias *alias = pe_config_alias(config, name);
	const char *colon;
	const struct pe_provider_config *pc = NULL;
	char *prefix;

	memset(out, 0, sizeof(*out));
	if (alias && alias->argv) {
		resolve_argv(alias, config, out);
		return PE_OK;
	}
	if (alias)
		name = alias->target;
	colon = strchr(name, ':');
	prefix = colon ? xstrndup(name, (size_t)(colon - name)) : NULL;
	if (prefix && (pc = pe_config_provider(config, prefix)) != NULL) {
		out->ops = pc->ops;
	} else if (prefix && (out->ops = pe_provider_find(prefix)) != NULL) {
		pc = NULL;
	} else if (!prefix && (out->ops = pe_provider_guess(name)) != NULL) {
		colon = NULL;
	} else {
		struct pe_buf names;

		pe_buf_init(&names, 0);
		pe_provider_list_names(&names, NULL, ", ");
		snprintf(err, errsize,
			 "cannot tell the provider of model '%s': write "
			 "PROVIDER:MODEL (%s) or add an alias",
			 name, names.data);
		pe_buf_release(&names);
		free(prefix);
		return PE_ERR_INVALID;
	}
	if (!pc)
		pc = pe_config_provider(config, out->ops->name);
	out->provider = xstrdup(prefix ? prefix : out->ops->name);
	out->model = xstrdup(colon ? colon + 1 : name);
	out->spec = xstrfmt("%s:%s", out->provider, out->model);
	free(prefix);
	if (out->ops->model_is_command) {
		split_argv(out, out->model);
		if (!out->argv[0]) {
			snprintf(err, errsize, "exec: needs a command");
			pe_target_release(out);
			return PE_ERR_INVALID;
		}
	}
	set_base(out, pc);
	set_limits(out, pc);
	return PE_OK;
}

/* Frees a target, wiping its key. */
void pe_target_release(struct pe_target *t)
{
	if (t->api_key)
		memset(t->api_key, 0, strlen(t->api_key));
	free(t->api_key);
	free(t->api_key_env);
	free(t->spec);
	free(t->provider);
	free(t->model);
	free(t->base_url);
	free(t->org);
	free(t->ca_cert);
	free(t->ca_dir);
	for (size_t i = 0; t->argv && t->argv[i]; i++)
		free(t->argv[i]);
	free(t->argv);
	pe_strlist_release(&t->headers);
	memset(t, 0, sizeof(*t));
}

/* Finds or adds the target for name; returns its index, or -1. */
static long target_index(struct pe_plan *plan, const char *name,
			 const struct pe_config *config,
			 const struct pe_mark *mark, struct pe_diag *diag)
{
	struct pe_target t;
	char err[256];

	if (pe_target_resolve(name, config, &t, err, sizeof(err))) {
		pe_diag_error(diag, mark, "%s", err);
		return -1;
	}
	for (size_t i = 0; i < plan->ntargets; i++) {
		if (!strcmp(plan->targets[i].spec, t.spec)) {
			pe_target_release(&t);
			return (long)i;
		}
	}
	plan->targets = xrealloc(plan->targets,
				 (plan->ntargets + 1) * sizeof(*plan->targets));
	plan->targets[plan->ntargets] = t;
	return (long)plan->ntargets++;
}

/* Adds the judge model of each judge in specs[0..n-1]; 0 or an error. */
static int add_judges(struct pe_plan *plan, const struct pe_evalspec *specs,
		      size_t n, const struct pe_config *config,
		      struct pe_diag *diag)
{
	int rc = PE_OK;

	for (size_t i = 0; i < n; i++) {
		const char *name =
			pe_evaluator_judge_model(&specs[i], plan->judge_model);
		long t;

		if (!name || pe_plan_judge_target(plan, name) >= 0)
			continue;
		t = target_index(plan, name, config, &specs[i].mark, diag);
		if (t < 0) {
			rc = PE_ERR_INVALID;
			continue;
		}
		if (!pe_provider_is_http(plan->targets[t].ops)) {
			pe_diag_error(diag, &specs[i].mark,
				      "judge model '%s' cannot judge: a judge "
				      "must be a model served over HTTP",
				      name);
			rc = PE_ERR_INVALID;
			continue;
		}
		plan->targets[t].judge = 1;
		plan->judges =
			xrealloc(plan->judges,
				 (plan->njudges + 1) * sizeof(*plan->judges));
		plan->judges[plan->njudges].name = xstrdup(name);
		plan->judges[plan->njudges].target = (size_t)t;
		plan->njudges++;
	}
	return rc;
}

/*
 * Resolves the judge models of every evaluator of the prompts that have
 * jobs, so that the runner finds a target for each judge call, and warns
 * at the judges that have none.  Jobs come grouped by prompt.
 */
static int plan_judges(struct pe_plan *plan, const char *option,
		       const struct pe_config *config, struct pe_diag *diag)
{
	static const struct pe_mark option_mark = { "--judge-model", 0, 0 };
	const struct pe_mark *mark = &option_mark;
	const struct pe_prompt *last = NULL;
	int rc = PE_OK;

	if (!option && config && config->judge) {
		option = config->judge->text;
		mark = &config->judge->mark;
	}
	if (option) {
		struct pe_target t;
		char err[256];

		/* The run's judge must name a model even when none uses it. */
		if (pe_target_resolve(option, config, &t, err, sizeof(err))) {
			pe_diag_error(diag, mark, "%s", err);
			return PE_ERR_INVALID;
		}
		pe_target_release(&t);
		plan->judge_model = xstrdup(option);
	}

	for (size_t j = 0; j < plan->njobs; j++) {
		const struct pe_prompt *p = plan->jobs[j].prompt;

		if (p == last)
			continue;
		last = p;
		pe_evaluators_warn_unrun(p, plan->judge_model, 1, diag);
		if (add_judges(plan, p->evaluators, p->nevaluators, config,
			       diag))
			rc = PE_ERR_INVALID;
		for (size_t c = 0; c < p->ncases; c++)
			if (add_judges(plan, p->cases[c].evaluators,
				       p->cases[c].nevaluators, config, diag))
				rc = PE_ERR_INVALID;
	}
	return rc;
}

struct expansion {
	long *targets;
	size_t ntargets;
	const double *temps;
	size_t ntemps;
	long repeats;
};

static void add_jobs(struct pe_plan *plan, const struct pe_prompt *p,
		     const struct pe_case *c, const struct expansion *x,
		     size_t *alloc)
{
	size_t ntemps = x->ntemps ? x->ntemps : 1;

	for (size_t m = 0; m < x->ntargets; m++) {
		for (size_t t = 0; t < ntemps; t++) {
			for (long r = 0; r < x->repeats; r++) {
				struct pe_job *j;

				pe_grow(&plan->jobs, alloc, plan->njobs + 1,
					sizeof(*plan->jobs));
				j = &plan->jobs[plan->njobs++];
				memset(j, 0, sizeof(*j));
				j->prompt = p;
				j->kase = c;
				j->target = (size_t)x->targets[m];
				if (x->ntemps) {
					j->has_temperature = 1;
					j->temperature = x->temps[t];
				} else if (p->params.set &
					   PE_PARAM_TEMPERATURE) {
					j->has_temperature = 1;
					j->temperature = p->params.temperature;
				}
				j->repeat = (unsigned)r;
				pe_job_id(p, c, plan->targets[j->target].spec,
					  j->has_temperature, j->temperature,
					  j->repeat, j->id);
			}
		}
	}
}

/* Appends the messages of from to to that it does not hold yet. */
static void add_new(struct pe_strlist *to, const struct pe_strlist *from)
{
	for (size_t i = 0; i < from->len; i++) {
		size_t k = 0;

		while (k < to->len && strcmp(to->items[k], from->items[i]))
			k++;
		if (k == to->len)
			pe_strlist_push(to, from->items[i]);
	}
}

/*
 * Adds what target t's API would refuse (errors) or leave out (warnings)
 * in the requests of prompt p at one temperature (has_t 0: the prompt's
 * own), each message once.
 */
static void check_request(const struct pe_prompt *p, const struct pe_target *t,
			  int has_t, double temperature,
			  struct pe_strlist *errors,
			  struct pe_strlist *warnings)
{
	struct pe_chat_message *msgs =
		xcalloc(p->nmessages ? p->nmessages : 1, sizeof(*msgs));
	struct pe_strlist e, w;
	struct pe_chat_request req;

	memset(&req, 0, sizeof(req));
	for (size_t i = 0; i < p->nmessages; i++)
		msgs[i].role = p->messages[i].role;
	req.model = t->model;
	req.messages = msgs;
	req.nmessages = p->nmessages;
	req.params = &p->params;
	req.has_temperature = has_t;
	req.temperature = temperature;
	req.response_format = p->response_format;
	req.json_schema = p->json_schema;
	pe_strlist_init(&e);
	pe_strlist_init(&w);
	pe_provider_check(t->ops, &req, &e, &w);
	add_new(errors, &e);
	add_new(warnings, &w);
	pe_strlist_release(&e);
	pe_strlist_release(&w);
	free(msgs);
}

/*
 * Checks the requests of prompt p for each of the n targets at each of
 * the ntemps temperatures (none: the prompt's own), and records what
 * each target's API refuses or leaves out at the prompt's position.
 */
static void check_requests(const struct pe_prompt *p,
			   const struct pe_target *const *targets, size_t n,
			   const double *temps, size_t ntemps,
			   struct pe_diag *diag)
{
	for (size_t m = 0; m < n; m++) {
		const struct pe_target *t = targets[m];
		struct pe_strlist errors, warnings;

		pe_strlist_init(&errors);
		pe_strlist_init(&warnings);
		if (!ntemps)
			check_request(p, t, 0, 0, &errors, &warnings);
		for (size_t i = 0; i < ntemps; i++)
			check_request(p, t, 1, temps[i], &errors, &warnings);
		for (size_t i = 0; i < errors.len; i++)
			pe_diag_error(diag, &p->mark, "prompt '%s' for %s: %s",
				      p->name, t->spec, errors.items[i]);
		for (size_t i = 0; i < warnings.len; i++)
			pe_diag_warning(diag, &p->mark,
					"prompt '%s' for %s: %s", p->name,
					t->spec, warnings.items[i]);
		pe_strlist_release(&errors);
		pe_strlist_release(&warnings);
	}
}

/* Checks what the targets of x would be sent for prompt p. */
static void check_plan_requests(const struct pe_plan *plan,
				const struct pe_prompt *p,
				const struct expansion *x, struct pe_diag *diag)
{
	for (size_t m = 0; m < x->ntargets; m++) {
		const struct pe_target *t = &plan->targets[x->targets[m]];

		check_requests(p, &t, 1, x->temps, x->ntemps, diag);
	}
}

static int selected(const struct pe_pattern *filter, const struct pe_prompt *p,
		    const struct pe_case *c)
{
	size_t hits = 0;
	char err[64];

	if (!filter)
		return 1;
	if (!pe_pattern_count(filter, p->name, strlen(p->name), 1, &hits, err,
			      sizeof(err)) &&
	    hits)
		return 1;
	return c &&
	       !pe_pattern_count(filter, c->id, strlen(c->id), 1, &hits, err,
				 sizeof(err)) &&
	       hits;
}

/* True when a message of p has a {{variable}} to fill. */
static int needs_variables(const struct pe_prompt *p)
{
	for (size_t i = 0; i < p->nmessages; i++)
		if (!pe_template_is_constant(p->messages[i].content))
			return 1;
	return 0;
}

/* Resolves the models one prompt runs against; 0 or PE_ERR_INVALID. */
static int prompt_targets(struct pe_plan *plan, const struct pe_prompt *p,
			  const struct pe_config *config,
			  const struct pe_plan_options *opts,
			  struct expansion *x, struct pe_diag *diag)
{
	char *const *names = opts->models;
	size_t n = opts->nmodels;

	if (!n && config->models.len) {
		names = config->models.items;
		n = config->models.len;
	}
	x->ntargets = 0;
	if (!n) {
		if (!p->model) {
			pe_diag_error(diag, &p->mark,
				      "prompt '%s' names no model; pass "
				      "-m/--model or set models in "
				      "prompteval.yml",
				      p->name);
			return PE_ERR_INVALID;
		}
		x->targets = xrealloc(x->targets, sizeof(long));
		x->targets[0] =
			target_index(plan, p->model, config, &p->mark, diag);
		x->ntargets = x->targets[0] < 0 ? 0 : 1;
		return x->ntargets ? PE_OK : PE_ERR_INVALID;
	}
	x->targets = xrealloc(x->targets, n * sizeof(long));
	for (size_t i = 0; i < n; i++) {
		/* Command-line models have no file position. */
		long t = target_index(plan, names[i], config, NULL, diag);
		size_t k = 0;

		if (t < 0)
			return PE_ERR_INVALID;
		/*
		 * A model named twice (or by an alias and by name) runs
		 * once: its jobs would otherwise share ids.
		 */
		while (k < x->ntargets && x->targets[k] != t)
			k++;
		if (k == x->ntargets)
			x->targets[x->ntargets++] = t;
	}
	return PE_OK;
}

/*
 * Copies the n temperatures in temps into *out, each once, in the order
 * first given (a repeated temperature would give jobs the same ids).
 * Returns the count; the caller frees *out.
 */
static size_t unique_temperatures(const double *temps, size_t n, double **out)
{
	size_t count = 0;

	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < count && (*out)[k] != temps[i])
			k++;
		if (k == count)
			(*out)[count++] = temps[i];
	}
	return count;
}

static int compare_jobs_by_id(const void *a, const void *b)
{
	return strcmp((*(const struct pe_job *const *)a)->id,
		      (*(const struct pe_job *const *)b)->id);
}

/*
 * Job ids must be unique: results, --resume and merge tell jobs apart by
 * them.  Once models and temperatures are unique, two jobs share an id
 * only when two prompt files have the same name and a test case id in
 * common (or neither has test data).  Records an error on each later file
 * of such a pair; returns PE_ERR_INVALID when there is one.
 */
static int check_unique_ids(const struct pe_plan *plan, struct pe_diag *diag)
{
	const struct pe_job **jobs =
		xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*jobs));
	const struct pe_prompt **reported =
		xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*reported));
	size_t nreported = 0;

	for (size_t i = 0; i < plan->njobs; i++)
		jobs[i] = &plan->jobs[i];
	qsort(jobs, plan->njobs, sizeof(*jobs), compare_jobs_by_id);
	for (size_t i = 1; i < plan->njobs; i++) {
		const struct pe_job *first = jobs[i - 1], *later = jobs[i];
		size_t k = 0;

		if (strcmp(first->id, later->id))
			continue;
		if (later < first) {
			later = jobs[i - 1];
			first = jobs[i];
		}
		while (k < nreported && reported[k] != later->prompt)
			k++;
		if (k < nreported)
			continue;
		reported[nreported++] = later->prompt;
		if (later->kase)
			pe_diag_error(diag, &later->prompt->mark,
				      "prompt '%s' has the same name as %s "
				      "and test case '%s' in both, so their "
				      "jobs would have the same ids; give one "
				      "of the prompts another name",
				      later->prompt->name, first->prompt->path,
				      later->kase->id);
		else
			pe_diag_error(diag, &later->prompt->mark,
				      "prompt '%s' has the same name as %s "
				      "and neither has test data, so their "
				      "jobs would have the same ids; give one "
				      "of the prompts another name",
				      later->prompt->name, first->prompt->path);
	}
	free(jobs);
	free(reported);
	return nreported ? PE_ERR_INVALID : PE_OK;
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The plan's id: SHA-256 of its sorted job ids, one per line. */
static void identify(struct pe_plan *plan)
{
	const char **ids = xcalloc(plan->njobs ? plan->njobs : 1, sizeof(*ids));
	struct pe_buf b;

	for (size_t i = 0; i < plan->njobs; i++)
		ids[i] = plan->jobs[i].id;
	qsort(ids, plan->njobs, sizeof(*ids), compare_ids);
	pe_buf_init(&b, 0);
	for (size_t i = 0; i < plan->njobs; i++)
		pe_buf_addf(&b, "%s\n", ids[i]);
	pe_sha256_hex(pe_buf_str(&b), b.len, plan->info.id);
	plan->info.jobs = plan->njobs;
	pe_buf_release(&b);
	free(ids);
}

/* The shard a job belongs to, 1..count, from its id (not its position). */
static size_t shard_of(const char *id, size_t count)
{
	char head[17];
	unsigned long long h;

	/* The id is 16 hex digits of a hash: its value is uniform. */
	snprintf(head, sizeof(head), "%.16s", id);
	h = strtoull(head, NULL, 16);
	return (size_t)(h % count) + 1;
}

/* Keeps the jobs of shard index of count. */
static void keep_shard(struct pe_plan *plan, size_t index, size_t count)
{
	size_t kept = 0;

	for (size_t i = 0; i < plan->njobs; i++)
		if (shard_of(plan->jobs[i].id, count) == index)
			plan->jobs[kept++] = plan->jobs[i];
	plan->njobs = kept;
	plan->info.shard_index = index;
	plan->info.shard_count = count;
}

/*
 * --stream and --no-stream replace the providers' "stream" settings; a
 * local provider (exec, echo) has no stream either way.
 */
static void choose_streams(struct pe_plan *plan, enum pe_stream_choice choice)
{
	for (size_t i = 0; i < plan->ntargets; i++) {
		struct pe_target *t = &plan->targets[i];

		if (choice != PE_STREAM_CONFIG)
			t->stream = choice == PE_STREAM_ON;
		if (!pe_provider_is_http(t->ops))
			t->stream = 0;
	}
}

/*
 * Collects every secret the run knows into plan->secrets: what its
 * targets send, and every key the providers and the configuration name
 * that is set, since a program or a model may print any of them.
 */
static void collect_secrets(struct pe_plan *plan,
			    const struct pe_config *config)
{
	const struct pe_provider_ops *ops;

	plan->secrets = pe_secrets_new();
	for (size_t i = 0; i < plan->ntargets; i++) {
		const struct pe_target *t = &plan->targets[i];

		if (t->api_key)
			pe_secrets_add(plan->secrets, t->api_key,
				       strlen(t->api_key));
		for (size_t k = 0; k < t->headers.len; k++)
			pe_secrets_add_header(plan->secrets,
					      t->headers.items[k]);
		pe_secrets_add_url(plan->secrets, t->base_url);
	}
	for (size_t i = 0; (ops = pe_provider_at(i)) != NULL; i++) {
		pe_secrets_add_env(plan->secrets, ops->key_env);
		pe_secrets_add_env(plan->secrets, ops->key_env_first);
		pe_secrets_add_url(plan->secrets,
				   ops->base_env ? getenv(ops->base_env)
						 : NULL);
	}
	for (size_t i = 0; config && i < config->nproviders; i++) {
		const struct pe_provider_config *pc = &config->providers[i];

		pe_secrets_add_env(plan->secrets, pc->api_key_env);
		for (size_t k = 0; k < pc->headers.len; k++)
			pe_secrets_add_header(plan->secrets,
					      pc->headers.items[k]);
		pe_secrets_add_url(plan->secrets, pc->base_url);
	}
}

/* Expands the suite into jobs; see plan.h. */
struct pe_plan *pe_plan_new(const struct pe_suite *suite,
			    const struct pe_config *config,
			    const struct pe_plan_options *opts,
			    struct pe_diag *diag)
{
	struct pe_plan *plan = xcalloc(1, sizeof(*plan));
	struct expansion x = { NULL, 0, NULL, 0, 1 };
	struct pe_pattern *filter = NULL;
	double *temps = NULL;
	size_t alloc = 0;
	int rc = PE_OK;

	if (opts->filter) {
		char err[256];
		size_t off;

		filter = pe_pattern_compile(opts->filter, strlen(opts->filter),
					    "", err, sizeof(err), &off);
		if (!filter) {
			pe_diag_error(diag, NULL,
				      "--filter: %s (at offset %zu)", err, off);
			pe_plan_free(plan);
			return NULL;
		}
	}
	x.ntemps = opts->ntemperatures
			   ? unique_temperatures(opts->temperatures,
						 opts->ntemperatures, &temps)
			   : unique_temperatures(config->temperatures,
						 config->ntemperatures, &temps);
	x.temps = temps;
	x.repeats = opts->repeats     ? opts->repeats
		    : config->repeats ? config->repeats
				      : 1;
	for (size_t f = 0; f < suite->nfiles && !rc; f++) {
		const struct pe_prompt *p = suite->files[f].prompt;

		if (!p || prompt_targets(plan, p, config, opts, &x, diag)) {
			rc = p ? PE_ERR_INVALID : rc;
			continue;
		}
		check_plan_requests(plan, p, &x, diag);
		if (!p->ncases && needs_variables(p))
			pe_diag_warning(diag, &p->mark,
					"prompt '%s' uses variables but has no "
					"test data; it is not run",
					p->name);
		else if (!p->ncases && selected(filter, p, NULL))
			add_jobs(plan, p, NULL, &x, &alloc);
		for (size_t c = 0; c < p->ncases; c++)
			if (selected(filter, p, &p->cases[c]))
				add_jobs(plan, p, &p->cases[c], &x, &alloc);
	}
	free(x.targets);
	free(temps);
	pe_pattern_free(filter);
	if (!rc)
		rc = check_unique_ids(plan, diag);
	if (!rc) {
		identify(plan);
		if (opts->shard_count)
			keep_shard(plan, opts->shard_index, opts->shard_count);
		/* Judges for this shard's jobs only. */
		rc = plan_judges(plan, opts->judge_model, config, diag);
	}
	if (rc) {
		pe_plan_free(plan);
		return NULL;
	}
	/* --org goes to the targets whose provider takes one. */
	for (size_t i = 0; opts->org && i < plan->ntargets; i++)
		if (plan->targets[i].ops->takes_org)
			plan->targets[i].org = xstrdup(opts->org);
	choose_streams(plan, opts->stream);
	collect_secrets(plan, config);
	return plan;
}

/* One job's place in the design: its prompt, case and model. */
struct design_key {
	uintptr_t prompt, kase;
	size_t target;
};

static int compare_design_keys(const void *pa, const void *pb)
{
	const struct design_key *a = pa, *b = pb;

	if (a->prompt != b->prompt)
		return a->prompt < b->prompt ? -1 : 1;
	if (a->kase != b->kase)
		return a->kase < b->kase ? -1 : 1;
	return (a->target > b->target) - (a->target < b->target);
}

/* Counts cases and the fewest answers a case and model; see plan.h. */
void pe_plan_design(const struct pe_plan *plan, size_t *cases, size_t *answers)
{
	size_t n = plan->njobs;
	struct design_key *keys = xcalloc(n ? n : 1, sizeof(*keys));

	*cases = *answers = 0;
	for (size_t i = 0; i < n; i++) {
		keys[i].prompt = (uintptr_t)plan->jobs[i].prompt;
		keys[i].kase = (uintptr_t)plan->jobs[i].kase;
		keys[i].target = plan->jobs[i].target;
	}
	if (n)
		qsort(keys, n, sizeof(*keys), compare_design_keys);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && !compare_design_keys(&keys[i], &keys[j]))
			j++;
		if (!i || keys[i].prompt != keys[i - 1].prompt ||
		    keys[i].kase != keys[i - 1].kase)
			(*cases)++;
		if (!*answers || j - i < *answers)
			*answers = j - i;
		i = j;
	}
	free(keys);
}

/* Frees a plan and its targets; NULL is a no-op. */
void pe_plan_free(struct pe_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->ntargets; i++)
		pe_target_release(&plan->targets[i]);
	for (size_t i = 0; i < plan->njudges; i++)
		free(plan->judges[i].name);
	free(plan->judges);
	free(plan->judge_model);
	free(plan->targets);
	pe_secrets_free(plan->secrets);
	free(plan->jobs);
	free(plan);
}

/* Warns at each of n specs that needs a price for model and has none. */
static void warn_unpriced(const struct pe_evalspec *specs, size_t n,
			  const char *model, struct pe_diag *diag)
{
	for (size_t i = 0; i < n; i++)
		if (specs[i].ops->needs_price)
			pe_diag_warning(diag, &specs[i].mark,
					"%s evaluator '%s' will not run for %s "
					"(no price for %s in the "
					"configuration's prices): its cases "
					"will be ungraded, never passed",
					specs[i].ops->name, specs[i].name,
					model, model);
}

/*
 * Checks the requests a run without -m would send, and the prices the
 * evaluators that need one read; see plan.h.
 */
void pe_plan_check_suite(const struct pe_suite *suite,
			 const struct pe_config *config, struct pe_diag *diag)
{
	struct pe_prices prices = pe_config_prices(config);

	for (size_t f = 0; f < suite->nfiles; f++) {
		const struct pe_prompt *p = suite->files[f].prompt;
		char *const *names = config->models.items;
		size_t n = config->models.len;
		const char *own;

		if (!p)
			continue;
		own = p->model;
		if (!n && own) {
			names = (char *const *)&own;
			n = 1;
		}
		for (size_t i = 0; i < n; i++) {
			struct pe_target t;
			const struct pe_target *tp = &t;
			char err[256];

			/* A model run could not resolve is run's to report. */
			if (pe_target_resolve(names[i], config, &t, err,
					      sizeof(err)))
				continue;
			check_requests(p, &tp, 1, config->temperatures,
				       config->ntemperatures, diag);
			if (!pe_price_find(&prices, names[i])) {
				warn_unpriced(p->evaluators, p->nevaluators,
					      names[i], diag);
				for (size_t c = 0; c < p->ncases; c++)
					warn_unpriced(p->cases[c].evaluators,
						      p->cases[c].nevaluators,
						      names[i], diag);
			}
			pe_target_release(&t);
		}
	}
}

/* A plan to judge answers that are there already; see plan.h. */
struct pe_plan *pe_plan_judging(const struct pe_prompt *const *prompts,
				const struct pe_case *const *cases, size_t n,
				const char *judge_model,
				enum pe_stream_choice stream,
				const struct pe_config *config,
				struct pe_diag *diag)
{
	struct pe_plan *plan = xcalloc(1, sizeof(*plan));

	plan->jobs = xcalloc(n ? n : 1, sizeof(*plan->jobs));
	plan->njobs = n;
	for (size_t i = 0; i < n; i++) {
		plan->jobs[i].prompt = prompts[i];
		plan->jobs[i].kase = cases[i];
	}
	plan->info.jobs = n;
	if (plan_judges(plan, judge_model, config, diag)) {
		pe_plan_free(plan);
		return NULL;
	}
	choose_streams(plan, stream);
	collect_secrets(plan, config);
	return plan;
}

/* The target for judge model name; see plan.h. */
long pe_plan_judge_target(const struct pe_plan *plan, const char *name)
{
	for (size_t i = 0; name && i < plan->njudges; i++)
		if (!strcmp(plan->judges[i].name, name))
			return (long)plan->judges[i].target;
	return -1;
}

/* Warns when t would send its key over plain http to another host. */
static void warn_cleartext(const struct pe_target *t, const char *who,
			   const struct pe_mark *mark, struct pe_diag *diag)
{
	if (t->api_key && pe_url_is_cleartext_remote(t->base_url))
		pe_diag_warning(diag, mark,
				"%s sends its key (%s) over plain http to "
				"another machine, where anyone on the way can "
				"read it; use https",
				who, t->api_key_env);
}

/* Warns at keyless and clear-text providers; see plan.h. */
void pe_plan_check_providers(const struct pe_config *config,
			     struct pe_diag *diag)
{
	for (size_t i = 0; config && i < config->nproviders; i++) {
		const struct pe_provider_config *pc = &config->providers[i];
		struct pe_target t;
		char *name, *who, err[256];

		if (!pc->ops)
			continue;
		name = xstrfmt("%s:check", pc->name);
		who = xstrfmt("provider %s", pc->name);
		if (!pe_target_resolve(name, config, &t, err, sizeof(err))) {
			if (t.key_withheld)
				pe_diag_warning(
					diag, &pc->mark,
					"%s: no api_key_env, so no key is sent "
					"(%s goes only to %s; name a "
					"variable with api_key_env to send "
					"one)",
					who, pc->ops->key_env,
					pc->ops->default_base);
			warn_cleartext(&t, who, &pc->mark, diag);
			pe_target_release(&t);
		}
		free(who);
		free(name);
	}
}

/* Checks that every target that needs a key has one; see plan.h. */
int pe_plan_check_keys(const struct pe_plan *plan, int offline,
		       struct pe_diag *diag)
{
	int rc = PE_OK;

	for (size_t i = 0; i < plan->ntargets && !offline; i++)
		warn_cleartext(&plan->targets[i], plan->targets[i].spec, NULL,
			       diag);
	for (size_t i = 0; i < plan->ntargets && !offline; i++) {
		const struct pe_target *t = &plan->targets[i];

		if (t->api_key || !t->api_key_env ||
		    pe_url_is_loopback(t->base_url) || !t->ops->needs_key)
			continue;
		if (t->ops->key_env_first &&
		    !strcmp(t->api_key_env, t->ops->key_env))
			pe_diag_error(diag, NULL,
				      "%s or %s is not set; %s%s needs one (or "
				      "run with --offline from the cache)",
				      t->ops->key_env_first, t->api_key_env,
				      t->judge ? "the judge model " : "",
				      t->spec);
		else
			pe_diag_error(diag, NULL,
				      "%s is not set; %s%s needs it (or run "
				      "with --offline from the cache)",
				      t->api_key_env,
				      t->judge ? "the judge model " : "",
				      t->spec);
		rc = PE_ERR_INVALID;
	}
	return rc;
}
