/*
 * Shards from the options and the scheduler variables.  Every number is
 * parsed strictly (no trailing junk) and checked against its range, so a
 * misconfigured array job fails before it sends anything instead of
 * running another task's shard.
 */
#include "harness/plan/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Fills env from the environment; see shard.h. */
void pe_shard_env_read(struct pe_shard_env *env)
{
	env->job_completion_index = getenv("JOB_COMPLETION_INDEX");
	env->slurm_array_task_id = getenv("SLURM_ARRAY_TASK_ID");
	env->slurm_array_task_min = getenv("SLURM_ARRAY_TASK_MIN");
	env->slurm_array_task_count = getenv("SLURM_ARRAY_TASK_COUNT");
	env->ci_node_index = getenv("CI_NODE_INDEX");
	env->ci_node_total = getenv("CI_NODE_TOTAL");
}

/* Finds the shard; see shard.h. */
int pe_shard_find(const char *shard, long shard_count,
		  const struct pe_shard_env *env, size_t *index, size_t *count,
		  char *err, size_t errsize)
{
	const char *k8s = env->job_completion_index;
	const char *slurm = env->slurm_array_task_id;
	const char *ci = env->ci_node_index;
	long k = 0, n = 0, base = 1;
	const char *what = "--shard";

	*index = *count = 0;
	if (shard) {
		const char *slash = strchr(shard, '/');
		char *left =
			slash ? xstrndup(shard, (size_t)(slash - shard)) : NULL;
		int bad = !slash || pe_parse_long(left, 1, 1000000, &k) ||
			  pe_parse_long(slash + 1, 1, 1000000, &n) || k > n;

		free(left);
		if (bad) {
			snprintf(err, errsize,
				 "invalid value '%s' for --shard: expected "
				 "K/N with 1 <= K <= N",
				 shard);
			return PE_ERR_USAGE;
		}
	} else if (k8s && shard_count) {
		what = "JOB_COMPLETION_INDEX";
		n = shard_count;
		base = 0;
		if (pe_parse_long(k8s, 0, n - 1, &k))
			goto bad_env;
	} else if (slurm && env->slurm_array_task_count) {
		long min = 0;

		what = "SLURM_ARRAY_TASK_ID";
		if (env->slurm_array_task_min &&
		    pe_parse_long(env->slurm_array_task_min, 0, 1 << 30, &min))
			goto bad_env;
		if (pe_parse_long(env->slurm_array_task_count, 1, 1000000,
				  &n) ||
		    pe_parse_long(slurm, min, min + n - 1, &k))
			goto bad_env;
		k -= min;
		base = 0;
	} else if (ci && env->ci_node_total) {
		what = "CI_NODE_INDEX";
		if (pe_parse_long(env->ci_node_total, 1, 1000000, &n) ||
		    pe_parse_long(ci, 1, n, &k))
			goto bad_env;
	} else if (shard_count) {
		snprintf(err, errsize,
			 "--shard-count needs JOB_COMPLETION_INDEX in the "
			 "environment");
		return PE_ERR_USAGE;
	} else {
		return PE_OK;
	}
	*index = (size_t)(k + (base == 0 ? 1 : 0));
	*count = (size_t)n;
	return PE_OK;
bad_env:
	snprintf(err, errsize, "%s does not give a valid shard", what);
	return PE_ERR_USAGE;
}
