/*
 * bench/score: scoring throughput.  Generates 20,000 Markdown answers of
 * about 5 KB (deterministically, from a fixed seed), scores each against
 * its seed prompt's evaluators, and prints MB/s and responses/s at 1 and 2
 * OpenMP threads, the speed-up, and the peak RSS.
 *
 * usage: build/bench/score [PROMPTS_DIR] [N]
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "suite.h"
#include "util.h"
#include "../evaluators/evaluator.h"

struct response {
	const struct pe_prompt *prompt;
	const struct pe_case *kase;
	char *text;
	size_t len;
};

static unsigned long long next_random(unsigned long long *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static const char *const headings[] = {
	"Migration Strategy",
	"Pre-Migration Checklist",
	"Phase Plan",
	"Data Integrity Verification",
	"Post-Migration Cleanup",
	"Risk Register",
	"Migration Phases",
	"Backfill Strategy",
	"Validation & Cutover Criteria",
	"Point of No Return & Recovery",
	"Rollback Plan",
	"Monitoring & Validation",
};

static const char *const words[] = {
	"replication", "backfill", "**CDC**", "cutover", "rollback",
	"throttle",    "batch",	   "index",   "lock",	 "dual-write",
	"verify",      "parity",   "lag",     "WAL",	 "checksum",
	"flag",	       "shadow",   "traffic", "schema",	 "contract",
};

/* Builds one answer of about target bytes into b. */
static void make_answer(struct pe_buf *b, unsigned long long *rng,
			size_t target)
{
	size_t section = 0;

	pe_buf_reset(b);
	while (b->len < target) {
		size_t n = sizeof(headings) / sizeof(*headings);

		pe_buf_addf(b, "## %zu. %s\n\n", section + 1,
			    headings[(section + next_random(rng) % 3) % n]);
		for (int p = 0; p < 2; p++) {
			for (int w = 0; w < 40; w++)
				pe_buf_addf(b, "%s ",
					    words[next_random(rng) % 20]);
			pe_buf_adds(b, "\n\n");
		}
		for (int i = 0; i < 4; i++)
			pe_buf_addf(b, "- **Risk level:** %s, %s %s\n",
				    next_random(rng) % 2 ? "HIGH" : "LOW",
				    words[next_random(rng) % 20],
				    words[next_random(rng) % 20]);
		if (section % 3 == 1)
			pe_buf_adds(b, "\n| phase | operation | locking? | app "
				       "state required | rollback |\n|---|---|"
				       "---|---|---|\n| 1 | add column | no | "
				       "v1 | drop |\n| 2 | backfill | no | v2 "
				       "| stop |\n| 3 | swap | brief | v2 | "
				       "revert |\n");
		if (section % 3 == 2)
			pe_buf_adds(b, "\n```sql\nCREATE INDEX CONCURRENTLY "
				       "idx ON users(email);\nSELECT count(*) "
				       "FROM users;\n```\n");
		pe_buf_adds(b, "\n");
		section++;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double score_all(const struct response *r, long n, int threads,
			size_t *passed)
{
	size_t pass = 0;
	double t0;

	omp_set_num_threads(threads);
	t0 = now();
#pragma omp parallel for schedule(dynamic, 16) reduction(+ : pass)
	for (long i = 0; i < n; i++) {
		struct pe_case_score s;

		pe_score_case(r[i].prompt, r[i].kase, r[i].text, r[i].len, &s);
		pass += s.verdict == PE_VERDICT_PASS;
		pe_case_score_release(&s);
	}
	*passed = pass;
	return now() - t0;
}

int main(int argc, char **argv)
{
	char *dirs[] = { argc > 1 ? argv[1] : "prompts" };
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
	struct pe_diag *diag = pe_diag_new();
	struct pe_suite *suite = pe_suite_load(dirs, 1, diag);
	struct response *r;
	unsigned long long rng = 0x9e3779b97f4a7c15ULL;
	struct pe_buf b;
	size_t total = 0, evaluators = 0, pass1, pass2;
	double t1, t2;
	struct rusage ru;

	if (pe_diag_count(diag, PE_SEV_ERROR) || !suite->nfiles || n < 1) {
		pe_diag_print(diag, stderr);
		fprintf(stderr, "bench/score: cannot load %s\n", dirs[0]);
		return 1;
	}
	r = xcalloc((size_t)n, sizeof(*r));
	pe_buf_init(&b, 0);
	for (long i = 0; i < n; i++) {
		const struct pe_prompt *p =
			suite->files[(size_t)i % suite->nfiles].prompt;

		make_answer(&b, &rng, 4700 + next_random(&rng) % 600);
		r[i].prompt = p;
		r[i].kase = p->ncases ? &p->cases[(size_t)i % p->ncases] : NULL;
		r[i].text = pe_buf_detach(&b, &r[i].len);
		total += r[i].len;
		evaluators += p->nevaluators;
	}
	t1 = score_all(r, n, 1, &pass1);
	t2 = score_all(r, n, 2, &pass2);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench/score: %ld responses, %.1f MB, %.1f evaluators per "
	       "response\n",
	       n, (double)total / 1e6, (double)evaluators / (double)n);
	printf("  1 thread : %6.3f s  %7.1f MB/s  %8.0f responses/s\n", t1,
	       (double)total / 1e6 / t1, (double)n / t1);
	printf("  2 threads: %6.3f s  %7.1f MB/s  %8.0f responses/s\n", t2,
	       (double)total / 1e6 / t2, (double)n / t2);
	printf("  speed-up 1 -> 2 threads: %.2fx (target >= 1.70)\n", t1 / t2);
	printf("  throughput at 2 threads: %.1f MB/s (target >= 150)\n",
	       (double)total / 1e6 / t2);
	printf("  peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	printf("  verdicts agree across thread counts: %s (%zu passed)\n",
	       pass1 == pass2 ? "yes" : "NO", pass1);
	for (long i = 0; i < n; i++)
		free(r[i].text);
	free(r);
	pe_suite_free(suite);
	pe_diag_free(diag);
	return pass1 == pass2 ? 0 : 1;
}
