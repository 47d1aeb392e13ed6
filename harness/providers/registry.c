/*
 * The registry: providers[] is the only list of providers.  Lookup by
 * name, the list of names for messages, and the plain-name guess, which
 * reads each provider's model_prefixes and claims_publisher_model.
 * Adding a provider means one new file and one line in PROVIDERS.
 */
#include "harness/providers/provider.h"

#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/banned.h"

/* Each provider's ops table, defined in its own file. */
#define PROVIDERS                                                              \
	X(pe_openai_ops)                                                       \
	X(pe_github_ops)                                                       \
	X(pe_anthropic_ops)                                                    \
	X(pe_gemini_ops)                                                       \
	X(pe_ollama_ops)                                                       \
	X(pe_exec_ops)                                                         \
	X(pe_echo_ops)

#define X(ops) extern const struct pe_provider_ops ops;
PROVIDERS
#undef X

static const struct pe_provider_ops *const providers[] = {
#define X(ops) &ops,
	PROVIDERS
#undef X
		NULL
};

/* Finds a provider by name; see provider.h. */
const struct pe_provider_ops *pe_provider_find(const char *name)
{
	for (size_t i = 0; name && providers[i]; i++)
		if (!strcmp(name, providers[i]->name))
			return providers[i];
	return NULL;
}

/* Returns the i-th provider, or NULL past the end. */
const struct pe_provider_ops *pe_provider_at(size_t i)
{
	return i < sizeof(providers) / sizeof(*providers) ? providers[i] : NULL;
}

/* True when ops sends HTTP requests. */
int pe_provider_is_http(const struct pe_provider_ops *ops)
{
	return ops && ops->write_url && ops->parse_plain;
}

/* Appends the names of the providers want accepts; see provider.h. */
void pe_provider_list_names(struct pe_buf *b,
			    int (*want)(const struct pe_provider_ops *ops),
			    const char *last_separator)
{
	size_t n = 0, total = 0;

	for (size_t i = 0; providers[i]; i++)
		total += !want || want(providers[i]);
	for (size_t i = 0; providers[i]; i++) {
		if (want && !want(providers[i]))
			continue;
		if (n)
			pe_buf_adds(b, n + 1 == total ? last_separator : ", ");
		pe_buf_adds(b, providers[i]->name);
		n++;
	}
}

/* Lists the plain names the providers claim; see provider.h. */
void pe_provider_list_plain_names(struct pe_buf *b)
{
	const char *sep = "";

	for (size_t i = 0; providers[i]; i++) {
		const char *const *p = providers[i]->model_prefixes;

		for (size_t k = 0; p && p[k]; k++, sep = ", ")
			pe_buf_addf(b, "%s%s*", sep, p[k]);
	}
	for (size_t i = 0; providers[i]; i++)
		if (providers[i]->claims_publisher_model) {
			pe_buf_addf(b, "%spublisher/model", sep);
			break;
		}
}

/* True for "publisher/model": one slash, text on both sides, no spaces. */
static int is_publisher_model(const char *model)
{
	const char *slash = strchr(model, '/');

	return slash && slash != model && slash[1] && !strchr(slash + 1, '/') &&
	       !strpbrk(model, " \t");
}

static int claims_prefix(const struct pe_provider_ops *ops, const char *model)
{
	for (size_t i = 0; ops->model_prefixes && ops->model_prefixes[i]; i++)
		if (!strncmp(model, ops->model_prefixes[i],
			     strlen(ops->model_prefixes[i])))
			return 1;
	return 0;
}

/* Maps a plain model name to a provider; see provider.h. */
const struct pe_provider_ops *pe_provider_guess(const char *model)
{
	int slashed;

	if (!model || !*model)
		return NULL;
	slashed = is_publisher_model(model);
	if (!slashed && strchr(model, '/'))
		return NULL;
	for (size_t i = 0; providers[i]; i++)
		if (slashed ? providers[i]->claims_publisher_model
			    : claims_prefix(providers[i], model))
			return providers[i];
	return NULL;
}
