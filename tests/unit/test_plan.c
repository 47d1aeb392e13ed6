/*
 * Unit tests for plan/plan.c: the expansion of prompts x cases x models x
 * temperatures x repeats into jobs, in order; where models, temperatures
 * and repeats come from (options, the configuration, the prompt); stable
 * job ids; the resolution of model names into targets (PROVIDER:MODEL,
 * plain gpt-*, claude-*, gemini-* and publisher/model names, aliases and
 * custom providers from a configuration, exec and echo, and the errors);
 * which targets stream; --filter; the key check, which a local endpoint
 * skips (its host parsed); and shards: every job in exactly one shard,
 * the shards' union the unsharded plan, and one plan id in every shard.
 * Prompt files and configurations are written into a fresh mkdtemp
 * directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/util.h"
#include "harness/load/config.h"
#include "harness/load/suite.h"
#include "harness/plan/plan.h"
#include "harness/results/results.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* Three cases, no model of its own. */
static const char prompt_a[] = "name: A\n"
			       "messages:\n"
			       "  - role: user\n"
			       "    content: 'say {{v}}'\n"
			       "testData:\n"
			       "  - {id: x, vars: {v: one}}\n"
			       "  - {id: y, vars: {v: two}}\n"
			       "  - {id: z, vars: {v: three}}\n";

/* Two cases, a model and a temperature of its own. */
static const char prompt_b[] = "name: B\n"
			       "model: openai:gpt-4o-mini\n"
			       "modelParameters: {temperature: 0.3}\n"
			       "messages:\n"
			       "  - role: user\n"
			       "    content: 'say {{v}}'\n"
			       "testData:\n"
			       "  - {id: p, vars: {v: one}}\n"
			       "  - {id: q, vars: {v: two}}\n";

/* No variables and no test data: one job per model, temperature, repeat. */
static const char prompt_c[] = "name: C\n"
			       "messages:\n"
			       "  - role: user\n"
			       "    content: hello\n";

/* Variables but no test data: not run. */
static const char prompt_d[] = "name: D\n"
			       "messages:\n"
			       "  - role: user\n"
			       "    content: 'say {{v}}'\n";

/* The name of A, other case ids. */
static const char prompt_g[] = "name: A\n"
			       "messages:\n"
			       "  - role: user\n"
			       "    content: 'say {{v}}'\n"
			       "testData:\n"
			       "  - {id: u, vars: {v: one}}\n";

static const char config_text[] = "providers:\n"
				  "  myvllm:\n"
				  "    kind: openai\n"
				  "    base_url: http://127.0.0.1:8000/v1/\n"
				  "    api_key_env: PE_TEST_PLAN_KEY\n"
				  "    max_concurrency: 3\n"
				  "    headers: {X-Team: evals}\n"
				  "  anthropic:\n"
				  "    base_url: http://127.0.0.1:9000\n"
				  "aliases:\n"
				  "  fast: openai:gpt-4o-mini\n"
				  "  local: myvllm:qwen2\n"
				  "  shadow: claude-3-5-haiku\n";

static const char *const provider_env[] = {
	"OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL",
	"OLLAMA_HOST",	   "OPENAI_API_KEY",	 "ANTHROPIC_API_KEY",
	"GEMINI_API_KEY",  "GITHUB_TOKEN",	 "PE_TEST_PLAN_KEY",
	"GH_TOKEN",
};

/*
 * The diagnostics as "file:line:col: severity: message|...", each file by
 * its last path component ("-" for none).
 */
static char *diag_text(const struct pe_diag *d)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; i < pe_diag_len(d); i++) {
		const struct pe_diag_entry *e = pe_diag_get(d, i);
		const char *file = e->file && *e->file ? e->file : "-";
		const char *slash = strrchr(file, '/');

		pe_buf_addf(&b, "%s%s:%u:%u: %s: %s", i ? "|" : "",
			    slash ? slash + 1 : file, e->line, e->col,
			    pe_severity_name(e->severity), e->message);
	}
	return pe_buf_detach(&b, NULL);
}

/* A loaded suite of some of the prompts above, and a configuration. */
struct fixture {
	struct testdir t;
	struct pe_suite *suite;
	struct pe_config *config;
	struct pe_diag *diag;
};

/*
 * Loads the prompts named by letter ("ac": A then C) and a configuration
 * (NULL: an empty one).  Fails the test on any error.
 */
static void load(struct fixture *f, const char *letters, const char *config)
{
	/* e and f are copies of a and c: the same names in other files. */
	static const char *const texts[] = { prompt_a, prompt_b, prompt_c,
					     prompt_d, prompt_a, prompt_c,
					     prompt_g };
	char *paths[8];
	size_t n = 0;
	char *config_path;

	f->diag = pe_diag_new();
	for (const char *l = letters; *l; l++) {
		char name[32];

		snprintf(name, sizeof(name), "%c.prompt.yml", *l);
		paths[n++] = testdir_write(f->t.dir, name, texts[*l - 'a'],
					   strlen(texts[*l - 'a']));
	}
	if (!config)
		config = "";
	config_path = testdir_write(f->t.dir, "prompteval.yml", config,
				    strlen(config));
	f->suite = pe_suite_load(paths, n, f->diag);
	f->config = pe_config_load(config_path, f->diag);
	if (!f->suite || !f->config || pe_diag_count(f->diag, PE_SEV_ERROR)) {
		char *text = diag_text(f->diag);

		fail_msg("loading '%s' failed: %s", letters, text);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(config_path);
	/* The plan's own diagnostics, apart from the loader's warnings. */
	pe_diag_free(f->diag);
	f->diag = pe_diag_new();
}

static void unload(struct fixture *f)
{
	pe_config_free(f->config);
	pe_suite_free(f->suite);
	pe_diag_free(f->diag);
	f->config = NULL;
	f->suite = NULL;
	f->diag = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	void *t = NULL;

	if (!f || testdir_setup(&t, "plan"))
		return -1;
	f->t = *(struct testdir *)t;
	free(t);
	for (size_t i = 0; i < ARRAY_SIZE(provider_env); i++)
		unsetenv(provider_env[i]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unload(f);
	testdir_remove(f->t.dir);
	free(f);
	return 0;
}

/* The plan for the options, which must build with no error. */
static struct pe_plan *plan_of(struct fixture *f,
			       const struct pe_plan_options *opts)
{
	struct pe_plan *plan = pe_plan_new(f->suite, f->config, opts, f->diag);

	if (!plan || pe_diag_count(f->diag, PE_SEV_ERROR)) {
		char *text = diag_text(f->diag);

		fail_msg("plan failed: %s", text);
	}
	return plan;
}

static const char *spec_of(const struct pe_plan *plan, size_t job)
{
	return plan->targets[plan->jobs[job].target].spec;
}

/* The options for these models, temperatures and repeats. */
static struct pe_plan_options options(char *const *models, size_t nmodels,
				      const double *temps, size_t ntemps,
				      long repeats)
{
	struct pe_plan_options opts = { 0 };

	opts.models = models;
	opts.nmodels = nmodels;
	opts.temperatures = temps;
	opts.ntemperatures = ntemps;
	opts.repeats = repeats;
	return opts;
}

/* Loads prompt B and config (NULL: empty), and plans it with opts. */
static struct pe_plan *plan_b(struct fixture *f, const char *config,
			      struct pe_plan_options opts)
{
	load(f, "b", config);
	return plan_of(f, &opts);
}

/*
 * Every job, in the order prompt file, case, model, temperature, repeat,
 * each with the id pe_job_id gives it; and the plan's design.
 */
static void test_expansion_order(void **state)
{
	struct fixture *f = *state;
	static char *const models[] = { "echo:", "openai:gpt-4o-mini" };
	static const double temps[] = { 0, 0.7 };
	static const char *const case_ids[] = { "x", "y", "z", NULL };
	struct pe_plan_options opts = options(models, 2, temps, 2, 2);
	struct pe_plan *plan;
	size_t j = 0, cases, answers;

	load(f, "ac", NULL);
	plan = plan_of(f, &opts);
	assert_int_equal(plan->njobs, (3 + 1) * 2 * 2 * 2);
	assert_int_equal(plan->ntargets, 2);
	for (size_t c = 0; c < ARRAY_SIZE(case_ids); c++)
		for (size_t m = 0; m < 2; m++)
			for (size_t t = 0; t < 2; t++)
				for (unsigned r = 0; r < 2; r++, j++) {
					const struct pe_job *job =
						&plan->jobs[j];
					char id[PE_JOB_ID_LEN + 1];

					assert_string_equal(job->prompt->name,
							    case_ids[c] ? "A"
									: "C");
					if (case_ids[c])
						assert_string_equal(
							job->kase->id,
							case_ids[c]);
					else
						assert_null(job->kase);
					assert_string_equal(spec_of(plan, j),
							    models[m]);
					assert_int_equal(job->has_temperature,
							 1);
					assert_true(job->temperature ==
						    temps[t]);
					assert_int_equal(job->repeat, r);
					pe_job_id(job->prompt, job->kase,
						  models[m], 1, temps[t], r,
						  id);
					assert_string_equal(job->id, id);
				}
	assert_int_equal(plan->info.jobs, plan->njobs);
	assert_int_equal(plan->info.shard_index, 0);
	assert_int_equal(plan->info.shard_count, 0);
	assert_int_equal(strlen(plan->info.id), 64);
	/* Its design: A's 3 cases and C itself; 2 temperatures x 2 repeats. */
	pe_plan_design(plan, &cases, &answers);
	assert_int_equal(cases, 4);
	assert_int_equal(answers, 4);
	pe_plan_free(plan);
}

/* Where models, temperatures and repeats come from. */
struct source_case {
	const char *name;
	const char *config; /* NULL: empty */
	char *const *models;
	size_t nmodels;
	const double *temps;
	size_t ntemps;
	long repeats;
	/* what prompt B (two cases) expands into */
	size_t njobs;
	const char *spec; /* of every job */
	int has_temperature;
	double temperature; /* of the first job */
	unsigned last_repeat;
};

static char *const echo_model[] = { "echo:" };
static const double temp_one[] = { 1 };

static const struct source_case source_cases[] = {
	{ "the prompt's model and temperature, one repeat", NULL, NULL, 0, NULL,
	  0, 0, 2, "openai:gpt-4o-mini", 1, 0.3, 0 },
	{ "-m, -t and -n win over the prompt", NULL, echo_model, 1, temp_one, 1,
	  3, 6, "echo:", 1, 1, 2 },
	{ "the configuration's models, temperatures and repeats",
	  "models: ['echo:']\ntemperatures: [0, 0.5]\nrepeats: 2\n", NULL, 0,
	  NULL, 0, 0, 8, "echo:", 1, 0, 1 },
	{ "options win over the configuration",
	  "models: ['openai:gpt-4o']\ntemperatures: [0, 0.5]\nrepeats: 2\n",
	  echo_model, 1, temp_one, 1, 1, 2, "echo:", 1, 1, 0 },
	{ "an alias from the configuration", "aliases: {fast: 'echo:'}\n",
	  (char *const[]){ "fast" }, 1, NULL, 0, 0, 2, "echo:", 1, 0.3, 0 },
};

static void test_sources(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(source_cases); i++) {
		const struct source_case *c = &source_cases[i];
		struct pe_plan *plan =
			plan_b(f, c->config,
			       options(c->models, c->nmodels, c->temps,
				       c->ntemps, c->repeats));

		if (plan->njobs != c->njobs)
			fail_msg("%s: %zu jobs, want %zu", c->name, plan->njobs,
				 c->njobs);
		for (size_t j = 0; j < plan->njobs; j++)
			assert_string_equal(spec_of(plan, j), c->spec);
		assert_int_equal(plan->jobs[0].has_temperature,
				 c->has_temperature);
		assert_true(plan->jobs[0].temperature == c->temperature);
		assert_int_equal(plan->jobs[plan->njobs - 1].repeat,
				 c->last_repeat);
		pe_plan_free(plan);
		unload(f);
	}
}

/*
 * A prompt with variables but no test data is warned about and not run;
 * one without variables runs once per model, temperature and repeat.
 */
static void test_prompts_without_cases(void **state)
{
	struct fixture *f = *state;
	struct pe_plan_options opts = { 0 };
	struct pe_plan *plan;
	char *text;

	load(f, "cd", NULL);
	opts.models = echo_model;
	opts.nmodels = 1;
	plan = plan_of(f, &opts);
	assert_int_equal(plan->njobs, 1);
	assert_string_equal(plan->jobs[0].prompt->name, "C");
	assert_null(plan->jobs[0].kase);
	assert_int_equal(plan->jobs[0].has_temperature, 0);
	text = diag_text(f->diag);
	assert_string_equal(text, "d.prompt.yml:1:1: warning: prompt 'D' uses "
				  "variables but has no test data; it is not "
				  "run");
	free(text);
	pe_plan_free(plan);
}

/*
 * The same inputs give the same ids and plan id; ids are unique and
 * differ by model, temperature and repeat.
 */
static void test_ids_stable(void **state)
{
	struct fixture *f = *state;
	static char *const models[] = { "echo:", "openai:gpt-4o-mini" };
	static char *const other_models[] = { "echo:" };
	static const double temps[] = { 0, 0.7 };
	struct pe_plan_options opts = options(models, 2, temps, 2, 2);
	struct pe_plan *first, *again, *other;
	const struct pe_prompt *a;
	char ids[6][PE_JOB_ID_LEN + 1];

	load(f, "abc", NULL);
	first = plan_of(f, &opts);
	unload(f);
	load(f, "abc", NULL);
	again = plan_of(f, &opts);
	assert_int_equal(first->njobs, again->njobs);
	for (size_t j = 0; j < first->njobs; j++) {
		assert_string_equal(first->jobs[j].id, again->jobs[j].id);
		for (size_t k = 0; k < j; k++)
			if (!strcmp(first->jobs[j].id, first->jobs[k].id))
				fail_msg("jobs %zu and %zu share id %s", k, j,
					 first->jobs[j].id);
	}
	assert_string_equal(first->info.id, again->info.id);
	opts.models = other_models;
	opts.nmodels = 1;
	other = plan_of(f, &opts);
	assert_string_not_equal(other->info.id, first->info.id);

	a = again->jobs[0].prompt;
	pe_job_id(a, &a->cases[0], "echo:", 1, 0, 0, ids[0]);
	pe_job_id(a, &a->cases[0], "openai:gpt-4o-mini", 1, 0, 0, ids[1]);
	pe_job_id(a, &a->cases[0], "echo:", 1, 0.7, 0, ids[2]);
	pe_job_id(a, &a->cases[0], "echo:", 0, 0, 0, ids[3]);
	pe_job_id(a, &a->cases[0], "echo:", 1, 0, 1, ids[4]);
	pe_job_id(a, &a->cases[1], "echo:", 1, 0, 0, ids[5]);
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		assert_int_equal(strlen(ids[i]), PE_JOB_ID_LEN);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(ids[i], ids[k]);
	}
	assert_string_equal(again->jobs[0].id, ids[0]);
	pe_plan_free(first);
	pe_plan_free(again);
	pe_plan_free(other);
}

/* Model names resolved into targets. */
struct resolve_case {
	const char *name;
	const char *spec; /* NULL: an error */
	const char *kind; /* the provider ops' name */
	const char *provider;
	const char *model;
	const char *base_url; /* NULL: none */
	const char *err;      /* the message when spec is NULL */
};

#define NO_PROVIDER(m)                                                         \
	"cannot tell the provider of model '" m "': write PROVIDER:MODEL "     \
	"(openai, github, anthropic, gemini, ollama, exec, echo) or add an "   \
	"alias"

static const struct resolve_case resolve_cases[] = {
	{ "openai:gpt-4o", "openai:gpt-4o", "openai", "openai", "gpt-4o",
	  "https://api.openai.com/v1", NULL },
	{ "gpt-4o-mini", "openai:gpt-4o-mini", "openai", "openai",
	  "gpt-4o-mini", "https://api.openai.com/v1", NULL },
	{ "o3-mini", "openai:o3-mini", "openai", "openai", "o3-mini",
	  "https://api.openai.com/v1", NULL },
	{ "claude-3-5-haiku", "anthropic:claude-3-5-haiku", "anthropic",
	  "anthropic", "claude-3-5-haiku", "http://127.0.0.1:9000", NULL },
	{ "gemini-1.5-flash", "gemini:gemini-1.5-flash", "gemini", "gemini",
	  "gemini-1.5-flash", "https://generativelanguage.googleapis.com",
	  NULL },
	{ "meta/llama-3.3-70b", "github:meta/llama-3.3-70b", "github", "github",
	  "meta/llama-3.3-70b", "https://models.github.ai/inference", NULL },
	{ "ollama:llama3:8b", "ollama:llama3:8b", "ollama", "ollama",
	  "llama3:8b", "http://127.0.0.1:11434", NULL },
	{ "github:openai/gpt-4.1", "github:openai/gpt-4.1", "github", "github",
	  "openai/gpt-4.1", "https://models.github.ai/inference", NULL },
	{ "fast", "openai:gpt-4o-mini", "openai", "openai", "gpt-4o-mini",
	  "https://api.openai.com/v1", NULL },
	{ "shadow", "anthropic:claude-3-5-haiku", "anthropic", "anthropic",
	  "claude-3-5-haiku", "http://127.0.0.1:9000", NULL },
	{ "myvllm:qwen2", "myvllm:qwen2", "openai", "myvllm", "qwen2",
	  "http://127.0.0.1:8000/v1", NULL },
	{ "local", "myvllm:qwen2", "openai", "myvllm", "qwen2",
	  "http://127.0.0.1:8000/v1", NULL },
	{ "echo:", "echo:", "echo", "echo", "", NULL, NULL },
	{ "exec:./bin  a b", "exec:./bin  a b", "exec", "exec", "./bin  a b",
	  NULL, NULL },
	{ "exec:", NULL, 0, NULL, NULL, NULL, "exec: needs a command" },
	{ "exec:   ", NULL, 0, NULL, NULL, NULL, "exec: needs a command" },
	{ "nosuch:model", NULL, 0, NULL, NULL, NULL,
	  NO_PROVIDER("nosuch:model") },
	{ "llama3", NULL, 0, NULL, NULL, NULL, NO_PROVIDER("llama3") },
	{ "a/b/c", NULL, 0, NULL, NULL, NULL, NO_PROVIDER("a/b/c") },
	{ "", NULL, 0, NULL, NULL, NULL, NO_PROVIDER("") },
	{ "myvllm", NULL, 0, NULL, NULL, NULL, NO_PROVIDER("myvllm") },
};

static void check_resolve(const struct resolve_case *c,
			  const struct pe_config *config)
{
	struct pe_target t;
	char err[512] = "";
	int rc = pe_target_resolve(c->name, config, &t, err, sizeof(err));

	if (!c->spec) {
		if (rc != PE_ERR_INVALID || strcmp(err, c->err))
			fail_msg("%s: rc %d, '%s'; want an error '%s'", c->name,
				 rc, err, c->err);
		return;
	}
	if (rc)
		fail_msg("%s: rc %d, '%s'", c->name, rc, err);
	assert_string_equal(t.spec, c->spec);
	assert_string_equal(t.ops->name, c->kind);
	assert_string_equal(t.provider, c->provider);
	assert_string_equal(t.model, c->model);
	if (c->base_url)
		assert_string_equal(t.base_url, c->base_url);
	else
		assert_null(t.base_url);
	pe_target_release(&t);
}

static void test_resolve(void **state)
{
	struct fixture *f = *state;

	load(f, "", config_text);
	for (size_t i = 0; i < ARRAY_SIZE(resolve_cases); i++)
		check_resolve(&resolve_cases[i], f->config);
}

/* GitHub's key: GH_TOKEN first when set, as gh reads it, else GITHUB_TOKEN. */
static void test_github_token(void **state)
{
	struct fixture *f = *state;
	struct pe_target t;
	char err[256];

	load(f, "", config_text);
	assert_int_equal(setenv("GH_TOKEN", "gh-1", 1), 0);
	assert_int_equal(setenv("GITHUB_TOKEN", "github-2", 1), 0);
	assert_int_equal(pe_target_resolve("github:openai/gpt-4o", f->config,
					   &t, err, sizeof(err)),
			 0);
	assert_string_equal(t.api_key_env, "GH_TOKEN");
	assert_string_equal(t.api_key, "gh-1");
	pe_target_release(&t);
	assert_int_equal(setenv("GH_TOKEN", "", 1), 0);
	assert_int_equal(pe_target_resolve("github:openai/gpt-4o", f->config,
					   &t, err, sizeof(err)),
			 0);
	assert_string_equal(t.api_key_env, "GITHUB_TOKEN");
	assert_string_equal(t.api_key, "github-2");
	pe_target_release(&t);
	assert_int_equal(unsetenv("GH_TOKEN"), 0);
	assert_int_equal(unsetenv("GITHUB_TOKEN"), 0);
}

/*
 * Keys, limits, headers and base URLs: the configuration wins over the
 * SDKs' variables, which win over the default.
 */
static void test_resolve_settings(void **state)
{
	struct fixture *f = *state;
	struct pe_target t;
	char err[256];

	load(f, "", config_text);
	assert_int_equal(setenv("PE_TEST_PLAN_KEY", "k-123", 1), 0);
	assert_int_equal(setenv("OPENAI_BASE_URL", "http://10.0.0.1/v1//", 1),
			 0);
	assert_int_equal(setenv("ANTHROPIC_BASE_URL", "http://10.0.0.2", 1), 0);
	assert_int_equal(
		pe_target_resolve("local", f->config, &t, err, sizeof(err)), 0);
	assert_string_equal(t.api_key_env, "PE_TEST_PLAN_KEY");
	assert_string_equal(t.api_key, "k-123");
	assert_int_equal(t.max_concurrency, 3);
	assert_int_equal(t.headers.len, 1);
	assert_string_equal(t.headers.items[0], "X-Team: evals");
	pe_target_release(&t);
	assert_null(t.api_key);

	assert_int_equal(
		pe_target_resolve("gpt-4o", f->config, &t, err, sizeof(err)),
		0);
	assert_string_equal(t.base_url, "http://10.0.0.1/v1");
	assert_string_equal(t.api_key_env, "OPENAI_API_KEY");
	assert_null(t.api_key);
	pe_target_release(&t);

	assert_int_equal(pe_target_resolve("claude-3-5-haiku", f->config, &t,
					   err, sizeof(err)),
			 0);
	assert_string_equal(t.base_url, "http://127.0.0.1:9000");
	pe_target_release(&t);

	assert_int_equal(pe_target_resolve("exec:./bin  a b", f->config, &t,
					   err, sizeof(err)),
			 0);
	assert_string_equal(t.argv[0], "./bin");
	assert_string_equal(t.argv[1], "a");
	assert_string_equal(t.argv[2], "b");
	assert_null(t.argv[3]);
	assert_null(t.api_key_env);
	pe_target_release(&t);
}

/*
 * Plans that cannot be made, with the reasons (and some that can be made
 * in spite of a likeness to those that cannot).
 */
struct error_case {
	const char *name;
	const char *prompts;
	char *const *models; /* -m; NULL: none */
	size_t nmodels;
	const char *filter;
	const char *diags; /* "": the plan is made */
};

static const struct error_case error_cases[] = {
	{ "a prompt with no model and no -m", "a", NULL, 0, NULL,
	  "a.prompt.yml:1:1: error: prompt 'A' names no model; pass "
	  "-m/--model or set models in prompteval.yml" },
	{ "an unknown provider in -m", "b", (char *const[]){ "nosuch:m" }, 1,
	  NULL, "-:0:0: error: " NO_PROVIDER("nosuch:m") },
	{ "a bad filter", "b", NULL, 0, "(unclosed",
	  "-:0:0: error: --filter: missing closing parenthesis (at offset "
	  "9)" },
	/*
	 * Regression (fixed): two prompt files with the same name and a
	 * test case id in common (or no test data) gave their jobs the same
	 * ids; the run went ahead, and --resume, merge and the journal
	 * reader took the jobs of one file for the other's.  Now the plan
	 * is refused, with the reason.  The same name with other case ids
	 * is fine.
	 */
	{ "the same name and case id", "ae", echo_model, 1, NULL,
	  "e.prompt.yml:1:1: error: prompt 'A' has the same name as "
	  "*/a.prompt.yml and test case 'x' in both, so their jobs would "
	  "have the same ids; give one of the prompts another name" },
	{ "the same name and no test data", "cf", echo_model, 1, NULL,
	  "f.prompt.yml:1:1: error: prompt 'C' has the same name as "
	  "*/c.prompt.yml and neither has test data, so their jobs would "
	  "have the same ids; give one of the prompts another name" },
	{ "the same name, other case ids", "ag", echo_model, 1, NULL, "" },
	{ "other names, other case ids", "bg", echo_model, 1, NULL, "" },
};

/* The diagnostics, with the test directory in paths written as '*'. */
static char *short_diag_text(const struct fixture *f)
{
	char *text = diag_text(f->diag), *dir;
	size_t len = strlen(f->t.dir);

	while ((dir = strstr(text, f->t.dir)) != NULL) {
		dir[0] = '*';
		memmove(dir + 1, dir + len, strlen(dir + len) + 1);
	}
	return text;
}

static void test_errors(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct pe_plan_options opts =
			options(c->models, c->nmodels, NULL, 0, 0);
		struct pe_plan *plan;
		char *text;

		opts.filter = c->filter;
		load(f, c->prompts, NULL);
		plan = pe_plan_new(f->suite, f->config, &opts, f->diag);
		text = short_diag_text(f);
		if (!plan != !!*c->diags || strcmp(text, c->diags))
			fail_msg("%s: %s, '%s'; want %s, '%s'", c->name,
				 plan ? "a plan" : "NULL", text,
				 *c->diags ? "NULL" : "a plan", c->diags);
		free(text);
		pe_plan_free(plan);
		unload(f);
	}
}

/* --filter keeps the cases whose prompt name or case id matches. */
struct filter_case {
	const char *filter;
	const char *jobs; /* "prompt/case ..." in order; "C/-" for no case */
};

static const struct filter_case filter_cases[] = {
	{ NULL, "A/x A/y A/z B/p B/q C/-" },
	{ "^y$", "A/y" },
	{ "^A$", "A/x A/y A/z" },
	{ "^C$", "C/-" },
	{ "z|q", "A/z B/q" },
	{ "nothing matches", "" },
	{ "(?i)^b$", "B/p B/q" },
};

static void test_filter(void **state)
{
	struct fixture *f = *state;

	load(f, "abc", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(filter_cases); i++) {
		struct pe_plan_options opts = { 0 };
		struct pe_plan *plan;
		struct pe_buf got;

		opts.models = echo_model;
		opts.nmodels = 1;
		opts.filter = filter_cases[i].filter;
		plan = plan_of(f, &opts);
		pe_buf_init(&got, 0);
		for (size_t j = 0; j < plan->njobs; j++)
			pe_buf_addf(&got, "%s%s/%s", j ? " " : "",
				    plan->jobs[j].prompt->name,
				    plan->jobs[j].kase ? plan->jobs[j].kase->id
						       : "-");
		if (strcmp(pe_buf_str(&got), filter_cases[i].jobs))
			fail_msg("--filter '%s': '%s', want '%s'",
				 filter_cases[i].filter ? filter_cases[i].filter
							: "(none)",
				 pe_buf_str(&got), filter_cases[i].jobs);
		pe_buf_release(&got);
		pe_plan_free(plan);
	}
}

/*
 * Every job of the whole plan lands in exactly one of count shards, in
 * the whole plan's order, and every shard names the whole plan.
 */
static void check_shards(struct fixture *f, struct pe_plan_options *opts,
			 const struct pe_plan *whole, size_t count)
{
	unsigned *seen = calloc(whole->njobs, sizeof(*seen));

	assert_non_null(seen);
	for (size_t k = 1; k <= count; k++) {
		struct pe_plan *shard;
		size_t at = 0;

		opts->shard_index = k;
		opts->shard_count = count;
		shard = plan_of(f, opts);
		assert_string_equal(shard->info.id, whole->info.id);
		assert_int_equal(shard->info.jobs, whole->njobs);
		assert_int_equal(shard->info.shard_index, k);
		assert_int_equal(shard->info.shard_count, count);
		for (size_t j = 0; j < shard->njobs; j++) {
			while (at < whole->njobs &&
			       strcmp(whole->jobs[at].id, shard->jobs[j].id))
				at++;
			if (at == whole->njobs)
				fail_msg("%zu/%zu: job %s not in the whole "
					 "plan's order",
					 k, count, shard->jobs[j].id);
			seen[at]++;
		}
		pe_plan_free(shard);
	}
	for (size_t j = 0; j < whole->njobs; j++)
		if (seen[j] != 1)
			fail_msg("%zu shards: job %s is in %u shards", count,
				 whole->jobs[j].id, seen[j]);
	free(seen);
}

static void test_shards(void **state)
{
	struct fixture *f = *state;
	static char *const models[] = { "echo:", "openai:gpt-4o-mini",
					"claude-3-5-haiku" };
	static const double temps[] = { 0, 0.5, 1 };
	struct pe_plan_options opts = options(models, 3, temps, 3, 2);
	struct pe_plan *whole;
	size_t nonempty = 0;

	load(f, "abc", NULL);
	whole = plan_of(f, &opts);
	assert_int_equal(whole->njobs, 6 * 3 * 3 * 2);
	for (size_t count = 1; count <= 7; count++)
		check_shards(f, &opts, whole, count);
	/* 108 jobs hashed into 4 shards: none is empty. */
	for (size_t k = 1; k <= 4; k++) {
		struct pe_plan *shard;

		opts.shard_index = k;
		opts.shard_count = 4;
		shard = plan_of(f, &opts);
		nonempty += shard->njobs > 0;
		pe_plan_free(shard);
	}
	assert_int_equal(nonempty, 4);
	/* More shards than jobs: each job still in exactly one. */
	check_shards(f, &opts, whole, 200);
	pe_plan_free(whole);
}

/*
 * Regression (fixed): a model or temperature given twice (-m echo: -m
 * echo:, an alias and the model it names, -t 0,0, temperatures: [0.5,
 * 0.5]) expanded into the same jobs twice, with the same ids, so results
 * held duplicate rows and a journal reader kept only one of each.  Each
 * is now planned once.
 */
struct duplicate_case {
	const char *name;
	const char *config;
	char *const *models;
	size_t nmodels;
	const double *temps;
	size_t ntemps;
	size_t njobs; /* for prompt B's two cases */
	size_t ntargets;
};

static const struct duplicate_case duplicate_cases[] = {
	{ "-m twice", NULL, (char *const[]){ "echo:", "echo:" }, 2, NULL, 0, 2,
	  1 },
	{ "an alias and its model", "aliases: {fast: 'echo:'}\n",
	  (char *const[]){ "fast", "echo:", "fast" }, 3, NULL, 0, 2, 1 },
	{ "a plain name and its spec", NULL,
	  (char *const[]){ "gpt-4o", "openai:gpt-4o", "echo:" }, 3, NULL, 0, 4,
	  2 },
	{ "-t 0,0", NULL, (char *const[]){ "echo:" }, 1,
	  (const double[]){ 0, 0.0, 1, 0 }, 4, 4, 1 },
	{ "configured models and temperatures twice",
	  "models: ['echo:', 'echo:']\ntemperatures: [0.5, 0.5]\n", NULL, 0,
	  NULL, 0, 2, 1 },
};

static void test_duplicates(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(duplicate_cases); i++) {
		const struct duplicate_case *c = &duplicate_cases[i];
		struct pe_plan *plan = plan_b(
			f, c->config,
			options(c->models, c->nmodels, c->temps, c->ntemps, 0));

		if (plan->njobs != c->njobs || plan->ntargets != c->ntargets)
			fail_msg("%s: %zu jobs against %zu targets, want %zu "
				 "against %zu",
				 c->name, plan->njobs, plan->ntargets, c->njobs,
				 c->ntargets);
		for (size_t j = 0; j < plan->njobs; j++)
			for (size_t k = 0; k < j; k++)
				assert_string_not_equal(plan->jobs[j].id,
							plan->jobs[k].id);
		pe_plan_free(plan);
		unload(f);
	}
}

/*
 * Streamed targets: the provider's "stream" setting, unless --stream or
 * --no-stream decides for every HTTP target; local ones never stream.
 */
static void test_streams(void **state)
{
	static char *models[] = { "openai:m", "anthropic:m",
				  "echo:", "exec:./x" };
	static const struct {
		enum pe_stream_choice choice;
		int want[4];
	} rows[] = {
		{ PE_STREAM_CONFIG, { 1, 0, 0, 0 } },
		{ PE_STREAM_ON, { 1, 1, 0, 0 } },
		{ PE_STREAM_OFF, { 0, 0, 0, 0 } },
	};
	struct fixture *f = *state;

	load(f, "c",
	     "providers:\n  openai: {stream: true}\n"
	     "  anthropic: {stream: false}\n");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pe_plan_options opts =
			options(models, ARRAY_SIZE(models), NULL, 0, 0);
		struct pe_plan *plan;

		opts.stream = rows[i].choice;
		plan = plan_of(f, &opts);
		assert_int_equal(plan->ntargets, ARRAY_SIZE(models));
		for (size_t k = 0; k < plan->ntargets; k++)
			if (plan->targets[k].stream != rows[i].want[k])
				fail_msg("choice %d: %s streams %d", (int)i,
					 plan->targets[k].spec,
					 plan->targets[k].stream);
		pe_plan_free(plan);
	}
	unload(f);
}

/*
 * A key goes only to the base URL it belongs to: a provider that the
 * configuration sends to another server gets a key only from its own
 * api_key_env; the kind's default server (written in any case, with or
 * without its port or path) and the SDKs' base variables keep the kind's
 * key.
 */
static const char scope_config[] =
	"providers:\n"
	"  openai: {base_url: 'HTTPS://API.OPENAI.COM:443/v1/'}\n"
	"  vllm: {kind: openai, base_url: 'http://127.0.0.1:8000/v1'}\n"
	"  proxy: {kind: openai, base_url: 'https://proxy.example/v1',\n"
	"          api_key_env: PE_TEST_PLAN_KEY}\n"
	"  evil: {kind: openai, base_url: 'https://api.openai.com.evil/v1'}\n"
	"  github: {base_url: 'http://127.0.0.1:9/inference'}\n"
	"  gemini: {base_url: 'https://generativelanguage.googleapis.com'}\n";

struct scope_case {
	const char *model;
	const char *key_env; /* NULL: none, and the key is withheld */
	const char *key;
};

static const struct scope_case scope_cases[] = {
	{ "openai:gpt-4o", "OPENAI_API_KEY", "sk-openai-123" },
	{ "vllm:qwen", NULL, NULL },
	{ "proxy:m", "PE_TEST_PLAN_KEY", "k-proxy-456" },
	{ "evil:m", NULL, NULL },
	{ "github:openai/gpt-4o", NULL, NULL },
	{ "gemini:gemini-2.0-flash", "GEMINI_API_KEY", "g-gemini-789" },
	{ "anthropic:claude", "ANTHROPIC_API_KEY", "a-anthropic-0" },
};

static void test_key_scope(void **state)
{
	struct fixture *f = *state;
	struct pe_target t;
	char err[256];

	load(f, "", scope_config);
	assert_int_equal(setenv("OPENAI_API_KEY", "sk-openai-123", 1), 0);
	assert_int_equal(setenv("PE_TEST_PLAN_KEY", "k-proxy-456", 1), 0);
	assert_int_equal(setenv("GITHUB_TOKEN", "gh-token-1", 1), 0);
	assert_int_equal(setenv("GEMINI_API_KEY", "g-gemini-789", 1), 0);
	assert_int_equal(setenv("ANTHROPIC_API_KEY", "a-anthropic-0", 1), 0);
	/* The SDK's pair: its base variable takes its key variable along. */
	assert_int_equal(
		setenv("ANTHROPIC_BASE_URL", "https://gateway.example", 1), 0);
	for (size_t i = 0; i < ARRAY_SIZE(scope_cases); i++) {
		const struct scope_case *c = &scope_cases[i];

		assert_int_equal(pe_target_resolve(c->model, f->config, &t, err,
						   sizeof(err)),
				 0);
		if (!pe_str_same(t.api_key_env, c->key_env) ||
		    !pe_str_same(t.api_key, c->key) ||
		    t.key_withheld != !c->key_env)
			fail_msg("%s: key from %s (%s), withheld %d; want %s",
				 c->model, t.api_key_env ? t.api_key_env : "-",
				 t.api_key ? t.api_key : "-", t.key_withheld,
				 c->key_env ? c->key_env : "none");
		pe_target_release(&t);
	}
	pe_plan_check_providers(f->config, f->diag);
	{
		char *text = diag_text(f->diag);
		const char *want =
			"prompteval.yml:3:3: warning: provider vllm: no "
			"api_key_env, so no key is sent (OPENAI_API_KEY goes "
			"only to https://api.openai.com/v1; name a variable "
			"with api_key_env to send one)|"
			"prompteval.yml:6:3: warning: provider evil: no "
			"api_key_env, so no key is sent (OPENAI_API_KEY goes "
			"only to https://api.openai.com/v1; name a variable "
			"with api_key_env to send one)|"
			"prompteval.yml:7:3: warning: provider github: no "
			"api_key_env, so no key is sent (GITHUB_TOKEN goes "
			"only to https://models.github.ai/inference; name a "
			"variable with api_key_env to send one)";

		if (strcmp(text, want))
			fail_msg("warnings '%s', want '%s'", text, want);
		free(text);
	}
	unsetenv("ANTHROPIC_BASE_URL");
}

/* A key over plain http to another machine is warned about. */
static void test_cleartext_key(void **state)
{
	struct fixture *f = *state;
	static char *const models[] = { "plain:m", "local:m" };
	struct pe_plan *plan;
	char *text;

	assert_int_equal(setenv("PE_TEST_PLAN_KEY", "k-plain-123", 1), 0);
	plan = plan_b(f,
		      "providers:\n"
		      "  plain: {kind: openai, base_url: 'http://10.1.2.3/v1',"
		      " api_key_env: PE_TEST_PLAN_KEY}\n"
		      "  local: {kind: openai, base_url: 'http://[::1]:8/v1',"
		      " api_key_env: PE_TEST_PLAN_KEY}\n",
		      options(models, 2, NULL, 0, 1));
	assert_int_equal(pe_plan_check_keys(plan, 0, f->diag), 0);
	text = diag_text(f->diag);
	assert_string_equal(text, "-:0:0: warning: plain:m sends its key "
				  "(PE_TEST_PLAN_KEY) over plain http to "
				  "another machine, where anyone on the way "
				  "can read it; use https");
	free(text);
	/* The plan knows the key, to redact it. */
	assert_true(pe_secrets_count(plan->secrets) >= 1);
	pe_plan_free(plan);
}

/*
 * A local endpoint needs no key: its host is parsed, so a host that only
 * starts like a loopback address still needs one.
 */
struct local_key_case {
	const char *base_url;
	int needs_key;
};

static const struct local_key_case local_key_cases[] = {
	{ "http://127.0.0.1:8000/v1", 0 },
	{ "http://[::1]:8080/v1", 0 },
	{ "http://localhost:8000", 0 },
	{ "http://127.0.0.1.evil.com/v1", 1 },
	{ "http://localhost.evil.com/v1", 1 },
	{ "http://127.0.0.1@evil.com/v1", 1 },
	{ "https://proxy.example/v1", 1 },
};

static void test_local_endpoints(void **state)
{
	struct fixture *f = *state;
	static char *const models[] = { "vllm:m" };

	for (size_t i = 0; i < ARRAY_SIZE(local_key_cases); i++) {
		const struct local_key_case *c = &local_key_cases[i];
		char *config = xstrfmt("providers:\n  vllm:\n    kind: openai\n"
				       "    base_url: '%s'\n"
				       "    api_key_env: PE_TEST_PLAN_KEY\n",
				       c->base_url);
		struct pe_plan *plan =
			plan_b(f, config, options(models, 1, NULL, 0, 1));
		int rc = pe_plan_check_keys(plan, 0, f->diag);

		if ((rc != 0) != c->needs_key)
			fail_msg("%s: key check %d, want %s", c->base_url, rc,
				 c->needs_key ? "an error" : "none");
		if (c->needs_key)
			assert_int_equal(pe_plan_check_keys(plan, 1, f->diag),
					 0);
		pe_plan_free(plan);
		unload(f);
		free(config);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expansion_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prompts_without_cases,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_stable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_github_token, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resolve_settings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_scope, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cleartext_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_local_endpoints, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
