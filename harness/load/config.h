#ifndef PE_CONFIG_H
#define PE_CONFIG_H
/*
 * The run configuration file (prompteval.yml): providers with their base
 * URL, API key variable, concurrency and rate limits, timeouts, extra
 * headers and whether their answers are streamed; model aliases; default
 * models, temperatures and repeats; model prices (US dollars per million
 * tokens, for the cost figures and the --max-cost gate); and default
 * gates, which command-line gates override.
 * Read by "run" before anything is planned; problems are positioned
 * diagnostics.  API keys never appear here: only the names of the
 * environment variables that hold them.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/results/aggregate.h"
#include "harness/core/files.h"
#include "harness/results/gate.h"
#include "harness/core/node.h"
#include "harness/providers/provider.h"

struct pe_provider_config {
	char *name;			   /* "openai", or a custom name */
	struct pe_mark mark;		   /* its name in the file */
	const struct pe_provider_ops *ops; /* its kind: an HTTP provider */
	char *base_url;		    /* NULL: environment or the default */
	char *api_key_env;	    /* NULL: the provider's variable */
	long max_concurrency;	    /* 0: no cap of its own */
	double requests_per_minute; /* 0: unlimited */
	double tokens_per_minute;   /* 0: unlimited */
	long timeout_ms;	    /* 0: the run's --timeout */
	long max_retry_wait_ms;	    /* 0: the run's --max-retry-wait */
	struct pe_strlist headers;  /* "Name: value" */
	int stream;		    /* ask for streamed answers */
	/*
	 * ca_cert: the CA certificates (PEM) that its server's certificate
	 * is verified against, relative to the file's folder; NULL: the
	 * system's (or SSL_CERT_FILE).
	 */
	char *ca_cert;
};

struct pe_alias {
	char *name;
	char *target; /* "provider:model", or NULL when argv is set */
	const struct pe_provider_ops *ops; /* with argv: a command provider */
	char **argv; /* { exec: [PROGRAM, ARGS...] }, NULL-ended, or NULL */
};

struct pe_config {
	struct pe_provider_config *providers;
	size_t nproviders;
	struct pe_alias *aliases;
	size_t naliases;
	struct pe_strlist models;
	double *temperatures;
	size_t ntemperatures;
	long repeats; /* 0: not set */
	struct pe_price *prices;
	size_t nprices;
	struct pe_gates gates; /* "not given" fields when absent */
	/* "judge": the model that answers judges that name none, or NULL. */
	const struct pe_node *judge;
	struct pe_doc *doc;
};

/*
 * Loads path.  When path is NULL, loads "prompteval.yml" if it exists and
 * otherwise returns an empty configuration.  Returns NULL after recording
 * errors.
 */
struct pe_config *pe_config_load(const char *path, struct pe_diag *diag);
void pe_config_free(struct pe_config *c);

/* The provider configuration named name, or NULL. */
const struct pe_provider_config *pe_config_provider(const struct pe_config *c,
						    const char *name);

/* The configured prices, borrowed from c (an empty list when c is NULL). */
struct pe_prices pe_config_prices(const struct pe_config *c);

/*
 * Fills every gate that cli does not give from the configuration's
 * gates: the command line wins, gate by gate.  c may be NULL.
 */
void pe_config_merge_gates(const struct pe_config *c, struct pe_gates *cli);

/* The alias named name, or NULL. */
const struct pe_alias *pe_config_alias(const struct pe_config *c,
				       const char *name);

#endif
