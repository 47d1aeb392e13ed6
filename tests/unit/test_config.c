/*
 * Unit tests for load/config.c: a full prompteval.yml read into providers,
 * aliases, default models, temperatures and repeats, prices and gates;
 * an empty file and a missing default file; the gates merged under the
 * command line's; ca_cert, relative to the file and readable; and,
 * table-driven, each bad value with its positioned diagnostic
 * (file:line:col), every one of them reported in one pass.
 * Configurations are written into a fresh mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/util.h"
#include "harness/load/config.h"
#include "harness/results/gate.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static int setup(void **state)
{
	return testdir_setup(state, "config");
}

/* Writes text as dir/name; returns the path (the caller frees it). */
static char *write_text(const struct testdir *t, const char *name,
			const char *text)
{
	return testdir_write(t->dir, name, text, strlen(text));
}

/*
 * The diagnostics as "line:col: severity: message|...", after checking
 * that each names path.
 */
static char *diag_text(const struct pe_diag *d, const char *path)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; i < pe_diag_len(d); i++) {
		const struct pe_diag_entry *e = pe_diag_get(d, i);

		assert_non_null(e->file);
		assert_string_equal(e->file, path);
		pe_buf_addf(&b, "%s%u:%u: %s: %s", i ? "|" : "", e->line,
			    e->col, pe_severity_name(e->severity), e->message);
	}
	return pe_buf_detach(&b, NULL);
}

static const char full[] = "providers:\n"
			   "  openai:\n"
			   "    requests_per_minute: 500\n"
			   "    tokens_per_minute: 150000.5\n"
			   "  myvllm:\n"
			   "    kind: openai\n"
			   "    base_url: http://127.0.0.1:8000/v1\n"
			   "    api_key_env: VLLM_KEY\n"
			   "    max_concurrency: 4\n"
			   "    timeout: 2.5\n"
			   "    headers:\n"
			   "      X-Team: evals\n"
			   "      X-Trace: 1\n"
			   "    stream: true\n"
			   "  claude:\n"
			   "    kind: anthropic\n"
			   "    stream: false\n"
			   "aliases:\n"
			   "  fast: openai:gpt-4o-mini\n"
			   "  local: myvllm:qwen2\n"
			   "models: [fast, 'claude:claude-3-5-haiku']\n"
			   "temperatures: [0, 0.7, 2]\n"
			   "repeats: 3\n"
			   "prices:\n"
			   "  openai:gpt-4o-mini: {input: 0.15, output: 0.6}\n"
			   "  qwen2: {input: 0, output: 0}\n"
			   "gates:\n"
			   "  min_pass_rate: 0.9\n"
			   "  fail_on: significant-regression\n"
			   "  max_errors: 0\n"
			   "  max_cost: 2.5\n"
			   "  max_p95_latency: 8000\n"
			   "  max_p95_ttft: 1500\n";

static void test_full(void **state)
{
	const struct testdir *t = *state;
	char *path = write_text(t, "full.yml", full);
	struct pe_diag *d = pe_diag_new();
	struct pe_config *c = pe_config_load(path, d);
	const struct pe_provider_config *p;
	struct pe_prices prices;
	char *text = diag_text(d, path);

	assert_string_equal(text, "");
	assert_non_null(c);
	assert_int_equal(c->nproviders, 3);

	p = pe_config_provider(c, "openai");
	assert_non_null(p);
	assert_ptr_equal(p->ops, pe_provider_find("openai"));
	assert_null(p->base_url);
	assert_null(p->api_key_env);
	assert_int_equal(p->max_concurrency, 0);
	assert_true(p->requests_per_minute == 500);
	assert_true(p->tokens_per_minute == 150000.5);
	assert_int_equal(p->timeout_ms, 0);
	assert_int_equal(p->headers.len, 0);
	assert_int_equal(p->stream, 0);

	p = pe_config_provider(c, "myvllm");
	assert_non_null(p);
	assert_ptr_equal(p->ops, pe_provider_find("openai"));
	assert_string_equal(p->base_url, "http://127.0.0.1:8000/v1");
	assert_string_equal(p->api_key_env, "VLLM_KEY");
	assert_int_equal(p->max_concurrency, 4);
	assert_true(p->requests_per_minute == 0);
	assert_int_equal(p->timeout_ms, 2500);
	assert_int_equal(p->headers.len, 2);
	assert_string_equal(p->headers.items[0], "X-Team: evals");
	assert_string_equal(p->headers.items[1], "X-Trace: 1");
	assert_int_equal(p->stream, 1);

	p = pe_config_provider(c, "claude");
	assert_non_null(p);
	assert_ptr_equal(p->ops, pe_provider_find("anthropic"));
	assert_int_equal(p->stream, 0);
	assert_null(pe_config_provider(c, "gemini"));

	assert_string_equal(pe_config_alias(c, "fast")->target,
			    "openai:gpt-4o-mini");
	assert_string_equal(pe_config_alias(c, "local")->target,
			    "myvllm:qwen2");
	assert_null(pe_config_alias(c, "slow"));
	assert_null(pe_config_alias(c, "openai:gpt-4o-mini"));

	assert_int_equal(c->models.len, 2);
	assert_string_equal(c->models.items[0], "fast");
	assert_string_equal(c->models.items[1], "claude:claude-3-5-haiku");
	assert_int_equal(c->ntemperatures, 3);
	assert_true(c->temperatures[0] == 0);
	assert_true(c->temperatures[1] == 0.7);
	assert_true(c->temperatures[2] == 2);
	assert_int_equal(c->repeats, 3);

	prices = pe_config_prices(c);
	assert_int_equal(prices.count, 2);
	assert_string_equal(prices.items[0].model, "openai:gpt-4o-mini");
	assert_true(prices.items[0].usd_per_mtok_in == 0.15);
	assert_true(prices.items[0].usd_per_mtok_out == 0.6);
	assert_string_equal(prices.items[1].model, "qwen2");
	assert_true(prices.items[1].usd_per_mtok_in == 0);
	assert_ptr_equal(pe_price_find(&prices, "myvllm:qwen2"),
			 &prices.items[1]);

	assert_true(c->gates.min_pass_rate == 0.9);
	assert_string_equal(c->gates.fail_on, "significant-regression");
	assert_int_equal(c->gates.max_errors, 0);
	assert_true(c->gates.max_cost_usd == 2.5);
	assert_true(c->gates.max_p95_latency_ms == 8000);
	assert_true(c->gates.max_p95_ttft_ms == 1500);

	free(text);
	pe_config_free(c);
	pe_diag_free(d);
	free(path);
}

/*
 * ca_cert is relative to the configuration's folder and must be readable
 * when the file loads.
 */
static void test_ca_cert(void **state)
{
	const struct testdir *t = *state;
	char *ca = write_text(t, "ca.pem", "not checked here\n");
	char *path = write_text(t, "tls.yml",
				"providers:\n  corp:\n    kind: openai\n"
				"    ca_cert: ca.pem\n");
	char *want = xstrfmt("%s/ca.pem", t->dir);
	struct pe_diag *d = pe_diag_new();
	struct pe_config *c = pe_config_load(path, d);
	char *text;

	assert_non_null(c);
	assert_string_equal(pe_config_provider(c, "corp")->ca_cert, want);
	pe_config_free(c);
	free(path);
	path = write_text(t, "tls.yml",
			  "providers:\n  corp:\n    kind: openai\n"
			  "    ca_cert: missing.pem\n");
	c = pe_config_load(path, d);
	assert_null(c);
	text = diag_text(d, path);
	free(want);
	want = xstrfmt("4:14: error: ca_cert: cannot read %s/missing.pem: No "
		       "such file or directory",
		       t->dir);
	assert_string_equal(text, want);
	free(text);
	free(want);
	pe_diag_free(d);
	free(path);
	free(ca);
}

/* An empty file, and no file: an empty configuration, nothing given. */
static void check_empty(const struct pe_config *c)
{
	struct pe_prices prices = pe_config_prices(c);

	assert_non_null(c);
	assert_int_equal(c->nproviders, 0);
	assert_int_equal(c->naliases, 0);
	assert_int_equal(c->models.len, 0);
	assert_int_equal(c->ntemperatures, 0);
	assert_int_equal(c->repeats, 0);
	assert_int_equal(prices.count, 0);
	assert_int_equal(pe_gates_given(&c->gates), 0);
}

static void test_empty(void **state)
{
	const struct testdir *t = *state;
	char *path = write_text(t, "empty.yml", "# nothing here\n");
	struct pe_diag *d = pe_diag_new();
	struct pe_config *c = pe_config_load(path, d);
	char cwd[4096];
	struct pe_prices none = pe_config_prices(NULL);

	check_empty(c);
	pe_config_free(c);
	assert_int_equal(none.count, 0);
	assert_null(pe_config_provider(NULL, "openai"));
	assert_null(pe_config_alias(NULL, "fast"));

	/* No path and no prompteval.yml here: empty, no diagnostic. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(t->dir), 0);
	c = pe_config_load(NULL, d);
	check_empty(c);
	pe_config_free(c);
	/* No path, but a prompteval.yml here: that file. */
	free(write_text(t, "prompteval.yml", "repeats: 4\n"));
	c = pe_config_load(NULL, d);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(c);
	assert_int_equal(c->repeats, 4);
	pe_config_free(c);
	assert_int_equal(pe_diag_len(d), 0);
	/* A named file that does not exist is an error. */
	c = pe_config_load("/nonexistent/prompteval.yml", d);
	assert_null(c);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 1);
	pe_diag_free(d);
	free(path);
}

/* The command line's gates win, gate by gate; the file fills the rest. */
static void test_merge_gates(void **state)
{
	const struct testdir *t = *state;
	char *path =
		write_text(t, "gates.yml",
			   "gates:\n  min_pass_rate: 0.9\n  max_errors: 2\n"
			   "  max_cost: 1\n  max_p95_ttft: 700\n");
	struct pe_diag *d = pe_diag_new();
	struct pe_config *c = pe_config_load(path, d);
	struct pe_gates cli;

	assert_non_null(c);
	pe_gates_init(&cli);
	cli.min_pass_rate = 0.5;
	cli.fail_on = "any-failure";
	pe_config_merge_gates(c, &cli);
	assert_true(cli.min_pass_rate == 0.5);
	assert_string_equal(cli.fail_on, "any-failure");
	assert_int_equal(cli.max_errors, 2);
	assert_true(cli.max_cost_usd == 1);
	assert_true(isnan(cli.max_p95_latency_ms));
	assert_true(cli.max_p95_ttft_ms == 700);

	pe_gates_init(&cli);
	pe_config_merge_gates(NULL, &cli);
	assert_int_equal(pe_gates_given(&cli), 0);
	pe_config_free(c);
	pe_diag_free(d);
	free(path);
}

/* Bad values: NULL (or, for warnings, a configuration) and diagnostics. */
struct error_case {
	const char *name;
	const char *yaml;
	int loads; /* 1 when only warnings: the configuration is returned */
	const char *diags;
};

static const struct error_case error_cases[] = {
	{ "not a mapping", "- a\n- b\n", 0,
	  "1:1: error: the configuration must be a mapping" },
	{ "provider not a mapping", "providers:\n  openai: fast\n", 0,
	  "2:11: error: provider 'openai' must be a mapping of settings" },
	{ "custom provider without a kind",
	  "providers:\n  myvllm:\n    base_url: http://x\n", 0,
	  "2:3: error: provider 'myvllm' needs 'kind': openai, github, "
	  "anthropic, gemini or ollama" },
	{ "unknown kind", "providers:\n  x:\n    kind: opneai\n", 0,
	  "3:11: error: provider 'x' needs 'kind': openai, github, anthropic, "
	  "gemini or ollama" },
	{ "exec is not a provider kind", "providers:\n  x:\n    kind: exec\n",
	  0,
	  "3:11: error: provider 'x' needs 'kind': openai, github, anthropic, "
	  "gemini or ollama" },
	{ "max_concurrency below 1",
	  "providers:\n  openai:\n    max_concurrency: 0\n", 0,
	  "3:22: error: 'max_concurrency' must be a whole number from 1 to "
	  "1000000" },
	{ "negative requests_per_minute",
	  "providers:\n  openai:\n    requests_per_minute: -1\n", 0,
	  "3:26: error: 'requests_per_minute' must be a number >= 0" },
	{ "tokens_per_minute not a number",
	  "providers:\n  openai:\n    tokens_per_minute: lots\n", 0,
	  "3:24: error: 'tokens_per_minute' must be a number >= 0" },
	{ "timeout 0", "providers:\n  openai:\n    timeout: 0\n", 0,
	  "3:14: error: 'timeout' must be a number >= 0.001" },
	{ "header not text",
	  "providers:\n  openai:\n    headers:\n      X-A: [1, 2]\n", 0,
	  "4:12: error: header 'X-A' must be text" },
	{ "alias not text", "aliases:\n  fast: [a, b]\n", 0,
	  "2:9: error: alias 'fast' must name a provider:model" },
	{ "model not text", "models: [ok:m, {a: b}, 3]\n", 0,
	  "1:16: error: each model must be text such as openai:gpt-4o-mini|"
	  "1:24: error: each model must be text such as openai:gpt-4o-mini" },
	{ "temperature out of range", "temperatures: [0, 2.5, -1, hot]\n", 0,
	  "1:19: error: temperatures must be numbers from 0 to 2|"
	  "1:24: error: temperatures must be numbers from 0 to 2|"
	  "1:28: error: temperatures must be numbers from 0 to 2" },
	{ "repeats 0", "repeats: 0\n", 0,
	  "1:10: error: 'repeats' must be a whole number from 1 to 100000" },
	{ "repeats not whole", "repeats: 1.5\n", 0,
	  "1:10: error: 'repeats' must be a whole number from 1 to 100000" },
	{ "repeats too many", "repeats: 100001\n", 0,
	  "1:10: error: 'repeats' must be a whole number from 1 to 100000" },
	{ "prices not a mapping", "prices: [1, 2]\n", 0,
	  "1:9: error: 'prices' must map each model to its input and output "
	  "price per million tokens" },
	{ "a price not a mapping", "prices:\n  gpt-4o: 3\n", 0,
	  "2:11: error: the price of 'gpt-4o' must be a mapping such as "
	  "{ input: 0.15, output: 0.6 } (US dollars per million tokens)" },
	{ "a price without output", "prices:\n  gpt-4o: {input: 1}\n", 0,
	  "2:11: error: the price of 'gpt-4o' needs both 'input' and "
	  "'output'" },
	{ "a negative price", "prices:\n  gpt-4o: {input: -1, output: 1}\n", 0,
	  "2:19: error: 'input' must be a number >= 0" },
	{ "gates not a mapping", "gates: strict\n", 0,
	  "1:8: error: 'gates' must be a mapping such as "
	  "{ min_pass_rate: 0.9 }" },
	{ "min_pass_rate above 1", "gates:\n  min_pass_rate: 1.5\n", 0,
	  "2:18: error: 'min_pass_rate' must be a number from 0 to 1" },
	{ "min_pass_rate 0 checks nothing", "gates:\n  min_pass_rate: 0.0\n", 0,
	  "2:18: error: 'min_pass_rate: 0' passes a run whose every case "
	  "failed, so it checks nothing: give a rate above 0, such as 0.9" },
	{ "min_pass_rate not a number", "gates:\n  min_pass_rate: high\n", 0,
	  "2:18: error: 'min_pass_rate' must be a number from 0 to 1" },
	{ "fail_on misspelt", "gates:\n  fail_on: regresion\n", 0,
	  "2:12: error: 'fail_on' must be any-failure, regression or "
	  "significant-regression" },
	{ "fail_on not text", "gates:\n  fail_on: [regression]\n", 0,
	  "2:12: error: 'fail_on' must be any-failure, regression or "
	  "significant-regression" },
	{ "max_errors negative", "gates:\n  max_errors: -1\n", 0,
	  "2:15: error: 'max_errors' must be a whole number >= 0" },
	{ "max_errors not whole", "gates:\n  max_errors: 0.5\n", 0,
	  "2:15: error: 'max_errors' must be a whole number >= 0" },
	{ "max_cost negative", "gates:\n  max_cost: -0.01\n", 0,
	  "2:13: error: 'max_cost' must be a number >= 0" },
	{ "max_p95_latency not a number", "gates:\n  max_p95_latency: fast\n",
	  0, "2:20: error: 'max_p95_latency' must be a number >= 0" },
	{ "max_p95_ttft negative", "gates:\n  max_p95_ttft: -5\n", 0,
	  "2:17: error: 'max_p95_ttft' must be a number >= 0" },
	{ "stream not a boolean", "providers:\n  openai:\n    stream: yes\n", 0,
	  "3:13: error: 'stream' must be true or false" },
	{ "stream as text", "providers:\n  openai:\n    stream: 'true'\n", 0,
	  "3:13: error: 'stream' must be true or false" },
	{ "every problem reported at once",
	  "repeats: 0\nprices:\n  m: {input: 1}\ngates:\n  fail_on: x\n", 0,
	  "1:10: error: 'repeats' must be a whole number from 1 to 100000|"
	  "3:6: error: the price of 'm' needs both 'input' and 'output'|"
	  "5:12: error: 'fail_on' must be any-failure, regression or "
	  "significant-regression" },
	{ "an unknown key is a warning", "repeat: 3\nmodels: ['echo:']\n", 1,
	  "1:1: warning: unknown key 'repeat' in the configuration (did you "
	  "mean 'repeats'?)" },
	{ "an unknown provider key is a warning",
	  "providers:\n  openai:\n    base_ur: http://x\n", 1,
	  "3:5: warning: unknown key 'base_ur' in a provider (did you mean "
	  "'base_url'?)" },
	/*
	 * Regression (fixed): a misspelt gate, in gates: or for gates:
	 * itself, was a warning and the gate was dropped, so
	 * "max_costs: 0.000001" let any spend pass.
	 */
	{ "an unknown gate is an error",
	  "gates:\n  min_passrate: 0.5\n  max_costs: 1\n  strict: 1\n", 0,
	  "2:3: error: unknown gate 'min_passrate' (did you mean "
	  "'min_pass_rate'?)|"
	  "3:3: error: unknown gate 'max_costs' (did you mean 'max_cost'?)|"
	  "4:3: error: unknown gate 'strict': the gates are min_pass_rate, "
	  "fail_on, max_errors, max_ungraded, max_cost, max_p95_latency and "
	  "max_p95_ttft" },
	{ "gates misspelt is an error",
	  "gate:\n  max_cost: 1\nGates: {max_errors: 0}\n", 0,
	  "1:1: error: unknown key 'gate' in the configuration (did you mean "
	  "'gates'?): its gates would be dropped|"
	  "3:1: error: unknown key 'Gates' in the configuration (did you mean "
	  "'gates'?): its gates would be dropped" },
	{ "a gate beside gates: is an error",
	  "fail-on: regression\nmax_cost: 1\ngating: {max-errors: 0}\n", 0,
	  "1:1: error: unknown key 'fail-on' in the configuration: gates go "
	  "under 'gates:', as in gates: { fail_on: ... }|"
	  "2:1: error: unknown key 'max_cost' in the configuration: gates go "
	  "under 'gates:', as in gates: { max_cost: ... }|"
	  "3:1: error: unknown key 'gating' in the configuration: gates go "
	  "under 'gates:', as in gates: { max_errors: ... }" },
	{ "an unknown key that drops no gate is a warning",
	  "judges: openai:gpt-4o\nnotes: {owner: me}\n", 1,
	  "1:1: warning: unknown key 'judges' in the configuration (did you "
	  "mean 'judge'?)|"
	  "2:1: warning: unknown key 'notes' in the configuration; it is "
	  "ignored" },
	/*
	 * Regression (fixed): each of these was silently ignored, so
	 * "temperatures: 0.7" ran at the prompt's temperature and
	 * "max_concurrency: 2.5" capped at 2.
	 */
	{ "models not a list", "models: openai:gpt-4o\n", 0,
	  "1:9: error: 'models' must be a list such as [openai:gpt-4o-mini], "
	  "not a string" },
	{ "temperatures not a list", "temperatures: 0.7\n", 0,
	  "1:15: error: 'temperatures' must be a list of numbers from 0 to 2 "
	  "such as [0, 0.7], not a number" },
	{ "models and temperatures both wrong",
	  "models: {a: b}\ntemperatures: {a: 1}\n", 0,
	  "1:9: error: 'models' must be a list such as [openai:gpt-4o-mini], "
	  "not a mapping|"
	  "2:15: error: 'temperatures' must be a list of numbers from 0 to 2 "
	  "such as [0, 0.7], not a mapping" },
	{ "providers not a mapping", "providers: [openai]\n", 0,
	  "1:12: error: 'providers' must map each provider's name to its "
	  "settings, not a list" },
	{ "aliases not a mapping", "aliases: [fast]\n", 0,
	  "1:10: error: 'aliases' must map each alias to a provider:model, not "
	  "a list" },
	{ "headers not a mapping",
	  "providers:\n  openai:\n    headers: [X-A]\n", 0,
	  "3:14: error: 'headers' must map each header's name to its value, "
	  "not a list" },
	{ "max_concurrency not whole",
	  "providers:\n  openai:\n    max_concurrency: 2.5\n", 0,
	  "3:22: error: 'max_concurrency' must be a whole number from 1 to "
	  "1000000" },
	{ "ca_cert not text", "providers:\n  openai:\n    ca_cert: [a]\n", 0,
	  "3:14: error: 'ca_cert' must name a file of CA certificates" },
	{ "empty sections are not given",
	  "providers:\naliases:\nmodels:\ntemperatures:\n", 1, "" },
	{ "YAML syntax", "models: [a\n", 0,
	  "2:1: error: YAML syntax error: did not find expected ',' or ']' "
	  "(while parsing a flow sequence at line 1, column 9)" },
};

static void test_errors(void **state)
{
	const struct testdir *t = *state;
	size_t failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		char *path = write_text(t, "bad.yml", c->yaml);
		struct pe_diag *d = pe_diag_new();
		struct pe_config *config = pe_config_load(path, d);
		char *text = diag_text(d, path);

		if (!!config != c->loads || strcmp(text, c->diags)) {
			print_error("%s: %s, '%s'; want %s, '%s'\n", c->name,
				    config ? "loaded" : "NULL", text,
				    c->loads ? "loaded" : "NULL", c->diags);
			failures++;
		}
		free(text);
		pe_config_free(config);
		pe_diag_free(d);
		free(path);
	}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_merge_gates, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_ca_cert, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup,
						testdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
