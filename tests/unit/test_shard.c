/*
 * Unit tests for plan/shard.c: which shard a run is, from --shard K/N,
 * from JOB_COMPLETION_INDEX with --shard-count (Kubernetes, from 0), from
 * the Slurm array variables (from SLURM_ARRAY_TASK_MIN) and from GitLab's
 * CI_NODE_INDEX/CI_NODE_TOTAL (from 1); which source wins when several
 * are set; and the message for each bad value: not a number, out of
 * range, a count of 0.  pe_shard_find is pure, so the rows give the
 * variables as values; one test checks pe_shard_env_read against the
 * real environment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/plan/shard.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

#define BAD_SHARD(v)                                                           \
	"invalid value '" v "' for --shard: expected K/N with 1 <= K <= N"
#define BAD_K8S	  "JOB_COMPLETION_INDEX does not give a valid shard"
#define BAD_SLURM "SLURM_ARRAY_TASK_ID does not give a valid shard"
#define BAD_CI	  "CI_NODE_INDEX does not give a valid shard"
#define NO_K8S	  "--shard-count needs JOB_COMPLETION_INDEX in the environment"

struct shard_case {
	const char *name;
	const char *shard; /* --shard, or NULL */
	long shard_count;  /* --shard-count, or 0 */
	struct pe_shard_env env;
	size_t index; /* the shard found; 0 with count 0: not sharded */
	size_t count;
	const char *err; /* NULL: no error */
};

/*
 * The variables in the order of struct pe_shard_env: the Kubernetes index,
 * the Slurm id, minimum and count, the GitLab index and total.
 */
#define ENV(k8s, id, min, n, ci, total)                                        \
	{                                                                      \
		k8s, id, min, n, ci, total                                     \
	}
#define NOENV ENV(NULL, NULL, NULL, NULL, NULL, NULL)

static const struct shard_case cases[] = {
	{ "nothing set: not sharded", NULL, 0, NOENV, 0, 0, NULL },

	/* --shard K/N. */
	{ "--shard 1/1", "1/1", 0, NOENV, 1, 1, NULL },
	{ "--shard 2/4", "2/4", 0, NOENV, 2, 4, NULL },
	{ "--shard 4/4", "4/4", 0, NOENV, 4, 4, NULL },
	{ "--shard at the largest count", "1/1000000", 0, NOENV, 1, 1000000,
	  NULL },
	{ "--shard K of 0", "0/4", 0, NOENV, 0, 0, BAD_SHARD("0/4") },
	{ "--shard K above N", "5/4", 0, NOENV, 0, 0, BAD_SHARD("5/4") },
	{ "--shard count 0", "1/0", 0, NOENV, 0, 0, BAD_SHARD("1/0") },
	{ "--shard without a slash", "2", 0, NOENV, 0, 0, BAD_SHARD("2") },
	{ "--shard empty", "", 0, NOENV, 0, 0, BAD_SHARD("") },
	{ "--shard no K", "/4", 0, NOENV, 0, 0, BAD_SHARD("/4") },
	{ "--shard no N", "2/", 0, NOENV, 0, 0, BAD_SHARD("2/") },
	{ "--shard K not a number", "a/4", 0, NOENV, 0, 0, BAD_SHARD("a/4") },
	{ "--shard N with junk", "2/4x", 0, NOENV, 0, 0, BAD_SHARD("2/4x") },
	{ "--shard negative", "-1/4", 0, NOENV, 0, 0, BAD_SHARD("-1/4") },
	{ "--shard two slashes", "1/2/3", 0, NOENV, 0, 0, BAD_SHARD("1/2/3") },
	{ "--shard count too large", "1/1000001", 0, NOENV, 0, 0,
	  BAD_SHARD("1/1000001") },
	{ "--shard wins over every variable", "1/2", 4,
	  ENV("3", "5", "4", "4", "4", "4"), 1, 2, NULL },

	/* Kubernetes: JOB_COMPLETION_INDEX from 0, with --shard-count. */
	{ "k8s first index", NULL, 3, ENV("0", NULL, NULL, NULL, NULL, NULL), 1,
	  3, NULL },
	{ "k8s last index", NULL, 3, ENV("2", NULL, NULL, NULL, NULL, NULL), 3,
	  3, NULL },
	{ "k8s index = count", NULL, 3, ENV("3", NULL, NULL, NULL, NULL, NULL),
	  0, 0, BAD_K8S },
	{ "k8s negative index", NULL, 3,
	  ENV("-1", NULL, NULL, NULL, NULL, NULL), 0, 0, BAD_K8S },
	{ "k8s index not a number", NULL, 3,
	  ENV("one", NULL, NULL, NULL, NULL, NULL), 0, 0, BAD_K8S },
	{ "k8s empty index", NULL, 3, ENV("", NULL, NULL, NULL, NULL, NULL), 0,
	  0, BAD_K8S },
	{ "k8s index without --shard-count: not sharded", NULL, 0,
	  ENV("1", NULL, NULL, NULL, NULL, NULL), 0, 0, NULL },
	{ "--shard-count without any variable", NULL, 4, NOENV, 0, 0, NO_K8S },
	{ "--shard-count with only GitLab's index", NULL, 4,
	  ENV(NULL, NULL, NULL, NULL, "1", NULL), 0, 0, NO_K8S },
	{ "k8s wins over Slurm and GitLab", NULL, 2,
	  ENV("1", "5", "4", "4", "4", "4"), 2, 2, NULL },

	/* Slurm: SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN (else 0). */
	{ "slurm from min 4", NULL, 0, ENV(NULL, "5", "4", "4", NULL, NULL), 2,
	  4, NULL },
	{ "slurm last of min 4", NULL, 0, ENV(NULL, "7", "4", "4", NULL, NULL),
	  4, 4, NULL },
	{ "slurm without min counts from 0", NULL, 0,
	  ENV(NULL, "0", NULL, "3", NULL, NULL), 1, 3, NULL },
	{ "slurm id past the last", NULL, 0,
	  ENV(NULL, "3", NULL, "3", NULL, NULL), 0, 0, BAD_SLURM },
	{ "slurm id below min", NULL, 0, ENV(NULL, "3", "4", "4", NULL, NULL),
	  0, 0, BAD_SLURM },
	{ "slurm count 0", NULL, 0, ENV(NULL, "0", NULL, "0", NULL, NULL), 0, 0,
	  BAD_SLURM },
	{ "slurm count not a number", NULL, 0,
	  ENV(NULL, "0", NULL, "many", NULL, NULL), 0, 0, BAD_SLURM },
	{ "slurm min not a number", NULL, 0,
	  ENV(NULL, "0", "x", "3", NULL, NULL), 0, 0, BAD_SLURM },
	{ "slurm negative min", NULL, 0, ENV(NULL, "0", "-1", "3", NULL, NULL),
	  0, 0, BAD_SLURM },
	{ "slurm id with junk", NULL, 0, ENV(NULL, "1x", NULL, "3", NULL, NULL),
	  0, 0, BAD_SLURM },
	{ "slurm id without a count: not sharded", NULL, 0,
	  ENV(NULL, "1", "0", NULL, NULL, NULL), 0, 0, NULL },
	{ "slurm wins over GitLab", NULL, 0,
	  ENV(NULL, "1", NULL, "2", "1", "4"), 2, 2, NULL },
	{ "slurm is used even with --shard-count", NULL, 4,
	  ENV(NULL, "1", NULL, "2", NULL, NULL), 2, 2, NULL },

	/* GitLab: CI_NODE_INDEX from 1 of CI_NODE_TOTAL. */
	{ "gitlab first", NULL, 0, ENV(NULL, NULL, NULL, NULL, "1", "4"), 1, 4,
	  NULL },
	{ "gitlab last", NULL, 0, ENV(NULL, NULL, NULL, NULL, "4", "4"), 4, 4,
	  NULL },
	{ "gitlab index 0", NULL, 0, ENV(NULL, NULL, NULL, NULL, "0", "4"), 0,
	  0, BAD_CI },
	{ "gitlab index past the total", NULL, 0,
	  ENV(NULL, NULL, NULL, NULL, "5", "4"), 0, 0, BAD_CI },
	{ "gitlab total 0", NULL, 0, ENV(NULL, NULL, NULL, NULL, "1", "0"), 0,
	  0, BAD_CI },
	{ "gitlab total not a number", NULL, 0,
	  ENV(NULL, NULL, NULL, NULL, "1", "four"), 0, 0, BAD_CI },
	{ "gitlab index not a number", NULL, 0,
	  ENV(NULL, NULL, NULL, NULL, "first", "4"), 0, 0, BAD_CI },
	{ "gitlab index without a total: not sharded", NULL, 0,
	  ENV(NULL, NULL, NULL, NULL, "2", NULL), 0, 0, NULL },
};

static void test_find(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct shard_case *c = &cases[i];
		size_t index = 99, count = 99;
		char err[256] = "";
		int rc = pe_shard_find(c->shard, c->shard_count, &c->env,
				       &index, &count, err, sizeof(err));
		int want_rc = c->err ? PE_ERR_USAGE : PE_OK;

		if (rc != want_rc || index != c->index || count != c->count ||
		    strcmp(err, c->err ? c->err : "")) {
			print_error("%s: rc %d, shard %zu of %zu, '%s'; want "
				    "rc %d, shard %zu of %zu, '%s'\n",
				    c->name, rc, index, count, err, want_rc,
				    c->index, c->count, c->err ? c->err : "");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* A message longer than the buffer is cut, still terminated. */
static void test_small_buffer(void **state)
{
	struct pe_shard_env env = NOENV;
	size_t index, count;
	char err[8];

	(void)state;
	assert_int_equal(
		pe_shard_find("9/1", 0, &env, &index, &count, err, sizeof(err)),
		PE_ERR_USAGE);
	assert_string_equal(err, "invalid");
}

static void test_env_read(void **state)
{
	static const char *const names[] = {
		"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
		"SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT",
		"CI_NODE_INDEX",	"CI_NODE_TOTAL",
	};
	static const char *const values[] = { "1", "2", "3", "4", "5", "6" };
	struct pe_shard_env env;
	const char *got[6];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_int_equal(setenv(names[i], values[i], 1), 0);
	pe_shard_env_read(&env);
	got[0] = env.job_completion_index;
	got[1] = env.slurm_array_task_id;
	got[2] = env.slurm_array_task_min;
	got[3] = env.slurm_array_task_count;
	got[4] = env.ci_node_index;
	got[5] = env.ci_node_total;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		assert_non_null(got[i]);
		assert_string_equal(got[i], values[i]);
		assert_int_equal(unsetenv(names[i]), 0);
	}
	pe_shard_env_read(&env);
	assert_null(env.job_completion_index);
	assert_null(env.slurm_array_task_id);
	assert_null(env.slurm_array_task_min);
	assert_null(env.slurm_array_task_count);
	assert_null(env.ci_node_index);
	assert_null(env.ci_node_total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_env_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
