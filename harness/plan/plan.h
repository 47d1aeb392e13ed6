#ifndef PE_PLAN_H
#define PE_PLAN_H
/*
 * The plan: the whole run expanded, before anything is sent, into an
 * immutable array of jobs (prompt x case x model x temperature x repeat),
 * each with a stable id derived from what it is.  Models named on the
 * command line, in the configuration or in the prompt are resolved here to
 * targets: a provider (its ops table), its model name, base URL, key
 * variable, limits and headers.
 *
 * A run may be one shard of a larger one (--shard K/N): the plan is then
 * the slice of jobs whose id hashes to K, and info says which plan and
 * shard it is, so that "merge" can check the pieces fit.
 *
 * Built on one thread by "run"; read-only afterwards.  API keys are read
 * from the environment into targets and never written anywhere: the plan
 * also holds every secret the run knows (secrets.h), for the runner to
 * redact from whatever it stores or prints.
 */
#include <stddef.h>

#include "harness/load/config.h"
#include "harness/core/diag.h"
#include "harness/core/secrets.h"
#include "harness/providers/provider.h"
#include "harness/results/results.h"
#include "harness/load/suite.h"

struct pe_target {
	char *spec; /* "openai:gpt-4o-mini": how results name the model */
	const struct pe_provider_ops *ops;
	char *provider; /* configuration name, e.g. "openai" or "myvllm" */
	char *model;	/* the provider's own model name */
	char *base_url;
	char *api_key;	   /* from the environment; NULL when unset */
	char *api_key_env; /* NULL: no key is sent */
	/*
	 * The configuration gives the provider a base URL on another server
	 * than its kind's default and names no api_key_env, so the kind's
	 * key is not sent there (api_key_env is NULL).
	 */
	int key_withheld;
	char **argv; /* exec: the command, split on spaces or from an alias */
	long max_concurrency;
	double requests_per_minute;
	double tokens_per_minute;
	long timeout_ms;
	long max_retry_wait_ms; /* 0: the run's --max-retry-wait */
	struct pe_strlist headers;
	/*
	 * TLS: the CA certificates its server is verified against (the
	 * provider's ca_cert, else SSL_CERT_FILE; NULL: the system's) and a
	 * folder of them (SSL_CERT_DIR, or NULL).  Verification is never
	 * turned off.
	 */
	char *ca_cert;
	char *ca_dir;
	int judge; /* it answers judge calls */
	/*
	 * Its answers are streamed: the provider's "stream" setting, or
	 * --stream and --no-stream; never for a local provider.
	 */
	int stream;
	/* --org, for a provider that takes it (GitHub Models); else NULL. */
	char *org;
};

/* A judge model as evaluators name it, and the target that answers it. */
struct pe_judge_target {
	char *name; /* "openai/gpt-4o", as pe_evaluator_judge_model gives */
	size_t target;
};

struct pe_job {
	char id[PE_JOB_ID_LEN + 1];
	const struct pe_prompt *prompt;
	const struct pe_case *kase; /* NULL for a prompt without test data */
	size_t target;		    /* index into plan->targets */
	int has_temperature;
	double temperature;
	unsigned repeat;
};

struct pe_plan {
	struct pe_job *jobs; /* this shard's jobs */
	size_t njobs;
	struct pe_target *targets;
	size_t ntargets;
	struct pe_judge_target *judges; /* every judge model the jobs need */
	size_t njudges;
	char *judge_model; /* the run's judge model (--judge-model), or NULL */
	struct pe_plan_info info; /* the whole plan's id and size, the shard */
	/*
	 * Every secret the run knows: the targets' keys and credential
	 * headers, the keys of every provider and configured provider that
	 * are set in the environment, and base URLs' passwords.
	 */
	struct pe_secrets *secrets;
};

/*
 * Whether answers are streamed: as each provider's "stream" setting says
 * (the zero value), or for every HTTP target (--stream) or none
 * (--no-stream).
 */
enum pe_stream_choice { PE_STREAM_CONFIG, PE_STREAM_ON, PE_STREAM_OFF };

struct pe_plan_options {
	char *const *models; /* -m, in order; may be empty */
	size_t nmodels;
	const double *temperatures; /* -t; may be empty */
	size_t ntemperatures;
	long repeats;	    /* -n; 0: the configuration's, else 1 */
	const char *filter; /* --filter regex, or NULL */
	size_t shard_index; /* 1..shard_count; 0: not sharded */
	size_t shard_count;
	long timeout_ms; /* --timeout */
	/*
	 * --judge-model: the model for judges that name none (NULL: the
	 * configuration's "judge", if any).
	 */
	const char *judge_model;
	const char *org; /* --org: the organization billed, or NULL */
	enum pe_stream_choice stream; /* --stream, --no-stream */
};

/*
 * Expands the suite into jobs.  Returns NULL after recording errors (an
 * unknown provider, a prompt with no model and no -m, a bad filter).
 * What a target's API refuses in a prompt's requests (see
 * pe_plan_check_suite) is recorded in diag as errors, and the plan is
 * returned: the caller stops on errors.
 */
struct pe_plan *pe_plan_new(const struct pe_suite *suite,
			    const struct pe_config *config,
			    const struct pe_plan_options *opts,
			    struct pe_diag *diag);
void pe_plan_free(struct pe_plan *plan);

/*
 * The shape of plan for a paired comparison of its models: *cases is the
 * number of distinct cases (a prompt's test case, or the prompt itself
 * when it has no test data), and *answers the fewest jobs that any model
 * has for one of its cases (its temperatures times its repeats).  Both
 * are 0 for a plan without jobs.  Only this shard's jobs are counted.
 */
void pe_plan_design(const struct pe_plan *plan, size_t *cases, size_t *answers);

/*
 * A plan to judge n answers that are there already ("score"): job i is
 * for prompts[i] and cases[i] (grouped by prompt) and has no target of
 * its own; the targets are the judge models the prompts' judges need,
 * with judge_model (--judge-model, else the configuration's judge) for
 * judges that name none, streamed as stream says.  Warns at judges that
 * will not run; returns NULL after recording errors.
 */
struct pe_plan *pe_plan_judging(const struct pe_prompt *const *prompts,
				const struct pe_case *const *cases, size_t n,
				const char *judge_model,
				enum pe_stream_choice stream,
				const struct pe_config *config,
				struct pe_diag *diag);

/*
 * The target that answers judge model name (pe_evaluator_judge_model's,
 * with plan->judge_model as the run's judge), or -1 when the plan has
 * none for it.
 */
long pe_plan_judge_target(const struct pe_plan *plan, const char *name);

/*
 * Warns, for each provider of the configuration, when it will send no
 * key (its base URL is not its kind's and it names no api_key_env) and
 * when it would send its key over plain http to another machine:
 * "check" calls it, so that a setup that sends no key says so before
 * any run.
 */
void pe_plan_check_providers(const struct pe_config *config,
			     struct pe_diag *diag);

/*
 * Checks, as "check" does without knowing -m, what the models a run
 * without -m would use (the configuration's models, else each prompt's
 * own, at the configuration's temperatures) refuse or leave out of each
 * prompt's requests (too many stop sequences, a temperature above the
 * API's range): errors and warnings in diag, at the prompt.  pe_plan_new
 * checks its own targets the same way.  It also warns at each evaluator
 * that needs the answer model's price (cost) for each of those models
 * the configuration's prices leave out: it will not run for them.
 */
void pe_plan_check_suite(const struct pe_suite *suite,
			 const struct pe_config *config, struct pe_diag *diag);

/*
 * Checks that every target that needs an API key has one, unless offline
 * (answers come from the cache) or its base URL's host is this machine
 * (127.0.0.0/8, ::1, localhost: see url.h), and warns at a key that
 * would go over plain http to another machine.  Returns 0, or
 * PE_ERR_INVALID after naming each missing variable in diag.
 */
int pe_plan_check_keys(const struct pe_plan *plan, int offline,
		       struct pe_diag *diag);

/*
 * Resolves one model name ("openai:gpt-4o", "claude-3-5-haiku", an alias,
 * which may give an exec command as an argv list, "exec:./bin arg",
 * "echo:") into a target.  Returns 0 or PE_ERR_INVALID
 * with a message in err.
 */
int pe_target_resolve(const char *name, const struct pe_config *config,
		      struct pe_target *out, char *err, size_t errsize);
void pe_target_release(struct pe_target *t);

#endif
