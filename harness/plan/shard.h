#ifndef PE_SHARD_H
#define PE_SHARD_H
/*
 * Which shard of the plan a run is: from --shard K/N, or from the
 * variables a scheduler gives each of its parallel tasks (a Kubernetes
 * Indexed Job, a Slurm job array, GitLab's parallel jobs).  "run" reads
 * the variables with pe_shard_env_read and finds its shard with
 * pe_shard_find, a pure function of the option values and the variables'
 * values, before planning; the plan then keeps that shard's jobs.
 *
 * Memory: everything is borrowed; nothing here allocates anything that
 * outlives a call.
 */
#include <stddef.h>

/* The scheduler variables; NULL for a variable that is not set. */
struct pe_shard_env {
	const char *job_completion_index;   /* Kubernetes, from 0 */
	const char *slurm_array_task_id;    /* Slurm, from the minimum */
	const char *slurm_array_task_min;   /* Slurm, the first task id */
	const char *slurm_array_task_count; /* Slurm, the number of tasks */
	const char *ci_node_index;	    /* GitLab, from 1 */
	const char *ci_node_total;	    /* GitLab, the number of jobs */
};

/*
 * Fills env from the process environment: JOB_COMPLETION_INDEX,
 * SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT,
 * CI_NODE_INDEX and CI_NODE_TOTAL.  The strings are the environment's.
 */
void pe_shard_env_read(struct pe_shard_env *env);

/*
 * Finds the shard: shard is --shard ("K/N", or NULL when not given),
 * shard_count is --shard-count (0 when not given).  --shard wins; else
 * JOB_COMPLETION_INDEX with --shard-count, else the Slurm variables
 * (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, counted from
 * SLURM_ARRAY_TASK_MIN or 0), else CI_NODE_INDEX with CI_NODE_TOTAL.
 * Stores the shard, 1..count, in *index and the number of shards in
 * *count; both are 0 when the run is not sharded.  Returns 0, or
 * PE_ERR_USAGE with a message (no program name, no newline) in err.
 */
int pe_shard_find(const char *shard, long shard_count,
		  const struct pe_shard_env *env, size_t *index, size_t *count,
		  char *err, size_t errsize);

#endif
