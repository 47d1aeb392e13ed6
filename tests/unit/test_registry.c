/*
 * Unit tests for the evaluator registry (evaluators/registry.c), the one
 * list of evaluator kinds.  Every family must be complete and reachable:
 * its keys and "type:" values are unique across the registry, and its
 * example loads as that very family, compiles and scores.  And no other
 * list of kinds may exist: the sources under harness/, evaluators/,
 * reports/ and bench/ are read, comments blanked, and every top-level
 * declaration or function is checked for string literals naming the
 * registry's keys, types and names (outside the file that defines those
 * families), for the old enum pe_eval_kind, and for a family's ops table
 * used outside its own file and registry.c.
 *
 * The sources are found from the working directory or, failing that,
 * three levels above the test binary (build/default/tests/test_registry).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/util.h"
#include "harness/load/prompt.h"
#include "evaluators/evaluator.h"
#include "evaluators/workers.h"

/*
 * A top-level item whose string literals name this many distinctive
 * registered words (or more) of families defined elsewhere is a list of
 * kinds: two are enough ("llm" and "judge" tested side by side).
 */
enum { LIST_MIN_WORDS = 2 };

/*
 * Kind words that are also everyday option and protocol names, so they
 * do not count: "model" (every provider's request), "format" and "json"
 * (-f, --format json, Ollama's "format"), "code" (errors' "code").  A
 * list of kinds written with them still names its other kinds.
 */
static const char *const common_words[] = { "model", "format", "json", "code",
					    NULL };

/* The directories whose sources may not list kinds. */
static const char *const scanned_dirs[] = { "harness", "evaluators", "reports",
					    "bench", NULL };

/* Calls fn for every registered key, type and name of family f. */
static void each_word(const struct pe_evaluator_ops *f,
		      void (*fn)(const char *word, void *ctx), void *ctx)
{
	for (size_t k = 0; f->keys && f->keys[k]; k++)
		fn(f->keys[k], ctx);
	for (size_t k = 0; f->types && f->types[k]; k++)
		fn(f->types[k], ctx);
	fn(f->name, ctx);
}

static int listed(const char *const *list, const char *word)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], word))
			return 1;
	return 0;
}

/* keys and types */

/* word, listed by family i as a key or type, is listed nowhere else. */
static void check_unique(size_t i, const char *word, const char *what)
{
	const struct pe_evaluator_ops *f = pe_evaluator_family(i), *g;
	size_t times = 0;

	for (size_t j = 0; (g = pe_evaluator_family(j)) != NULL; j++) {
		for (size_t k = 0; g->keys && g->keys[k]; k++)
			times += !strcmp(g->keys[k], word) &&
				 (j != i || !strcmp(what, "key"));
		for (size_t k = 0; g->types && g->types[k]; k++)
			times += !strcmp(g->types[k], word) &&
				 (j != i || !strcmp(what, "type"));
	}
	if (times != 1)
		fail_msg("%s '%s' of %s is listed %zu times as a key or a "
			 "type",
			 what, word, f->name, times);
}

static void test_keys_and_types_unique(void **state)
{
	const struct pe_evaluator_ops *f;
	size_t nfamilies = 0;

	(void)state;
	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++) {
		nfamilies++;
		for (size_t k = 0; f->keys && f->keys[k]; k++)
			check_unique(i, f->keys[k], "key");
		for (size_t k = 0; f->types && f->types[k]; k++)
			check_unique(i, f->types[k], "type");
	}
	assert_true(nfamilies >= 2);
}

/* The lookups find each family by each of its keys and types. */
static void test_lookups(void **state)
{
	const struct pe_evaluator_ops *f;
	size_t sentences = 0;

	(void)state;
	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++) {
		for (size_t k = 0; f->types && f->types[k]; k++)
			assert_ptr_equal(pe_evaluator_by_type(f->types[k]), f);
		for (size_t k = 0; f->keys && f->keys[k]; k++)
			assert_ptr_equal(pe_evaluator_owning_key(f->keys[k]),
					 f);
		sentences += f->sentence;
	}
	assert_null(pe_evaluator_by_type("no such type"));
	assert_null(pe_evaluator_owning_key("no such key"));
	assert_true(sentences <= 1);
	if (sentences)
		assert_int_equal(pe_evaluator_for_sentence()->sentence, 1);
}

/*
 * Every family has what the rest of the program reads, reads its own keys,
 * and tables that share a name (shapes of one family) share their steps.
 */
static void test_families_complete(void **state)
{
	const struct pe_evaluator_ops *f, *g;

	(void)state;
	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++) {
		assert_non_null(f->name);
		assert_true(f->name[0] != '\0');
		if (!f->example || !f->compile || !f->score)
			fail_msg("%s: needs an example, compile and score",
				 f->name);
		/* Only the family specs are handed to has neither. */
		if (!(f->keys && f->keys[0]) && !(f->types && f->types[0]) &&
		    !f->never_runs_for)
			fail_msg("%s: no key and no type selects it", f->name);
		for (size_t k = 0; f->keys && f->keys[k]; k++)
			if (!listed(f->known_keys, f->keys[k]))
				fail_msg("%s: key '%s' is not in known_keys",
					 f->name, f->keys[k]);
		for (size_t j = 0; j < i; j++) {
			g = pe_evaluator_family(j);
			if (!strcmp(f->name, g->name) &&
			    (f->compile != g->compile || f->score != g->score ||
			     f->free != g->free))
				fail_msg("two tables named %s score "
					 "differently",
					 f->name);
		}
	}
}

/* examples */

/* A prompt with one test case around one evaluator. */
static struct pe_prompt *load_example(const char *evaluator,
				      struct pe_diag *diag)
{
	char *yaml = xstrfmt("{name: t, model: m,\n"
			     " messages: [{role: user, content: hi}],\n"
			     " testData: [{input: x}],\n"
			     " evaluators: [%s]}\n",
			     evaluator);
	struct pe_prompt *p =
		pe_prompt_load_buffer("t.prompt.yml", yaml, strlen(yaml), diag);

	free(yaml);
	return p;
}

/* Loads, compiles and scores f's example; returns 0 when all went well. */
static int try_example(const struct pe_evaluator_ops *f, const char *yaml)
{
	static const char output[] = "hello\n\n## Summary\n\n- one\n";
	struct pe_diag *diag = pe_diag_new();
	struct pe_prompt *p = load_example(yaml, diag);
	struct pe_case_score score;
	int bad = 0;

	if (!p || pe_diag_count(diag, PE_SEV_ERROR) || p->nevaluators != 1 ||
	    pe_diag_count(diag, PE_SEV_WARNING) != (f->never_runs != NULL)) {
		pe_diag_print(diag, stderr);
		print_error("%s: '%s' did not load as one evaluator\n", f->name,
			    yaml);
		pe_prompt_free(p);
		pe_diag_free(diag);
		return 1;
	}
	if (p->evaluators[0].ops != f) {
		print_error("%s: '%s' loads as %s\n", f->name, yaml,
			    pe_evalspec_kind_name(&p->evaluators[0]));
		bad = 1;
	} else if (pe_evaluators_compile(p, diag)) {
		pe_diag_print(diag, stderr);
		bad = 1;
	} else {
		struct pe_workers *workers = pe_workers_new(1);
		struct pe_score_env env = { workers, "m" };

		pe_score_case(p, &p->cases[0], output, strlen(output), &env,
			      &score);
		pe_workers_free(workers);
		/* A family that never runs is skipped, never passed. */
		bad = score.results[0].verdict == PE_VERDICT_ERROR ||
		      (f->never_runs &&
		       score.results[0].verdict != PE_VERDICT_SKIP);
		if (bad)
			print_error("%s: scored %s: %s\n", f->name,
				    pe_verdict_name(score.results[0].verdict),
				    score.results[0].reason);
		pe_case_score_release(&score);
		pe_evaluators_release(p);
	}
	pe_prompt_free(p);
	pe_diag_free(diag);
	return bad;
}

static void test_examples(void **state)
{
	const struct pe_evaluator_ops *f;
	int failures = 0;

	(void)state;
	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++)
		failures += try_example(f, f->example);
	assert_int_equal(failures, 0);
}

/* A bare sentence is the sentence family's, and is skipped. */
static void test_sentence(void **state)
{
	const struct pe_evaluator_ops *f = pe_evaluator_for_sentence();

	(void)state;
	assert_non_null(f);
	assert_int_equal(try_example(f, "Answer in one sentence"), 0);
}

/* sources */

static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct pe_buf b;
	char chunk[4096];
	size_t n;

	if (!fp)
		return NULL;
	pe_buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		pe_buf_add(&b, chunk, n);
	fclose(fp);
	return pe_buf_detach(&b, NULL);
}

/* Skips a string or character literal starting at s; returns its end. */
static const char *skip_literal(const char *s)
{
	char quote = *s++;

	while (*s && *s != quote)
		s += s[0] == '\\' && s[1] ? 2 : 1;
	return *s ? s + 1 : s;
}

/* Overwrites comments with spaces, keeping newlines and literals. */
static void blank_comments(char *s)
{
	while (*s) {
		if (*s == '"' || *s == '\'') {
			s = (char *)skip_literal(s);
		} else if (s[0] == '/' && s[1] == '*') {
			char *end = strstr(s + 2, "*/");
			char *stop = end ? end + 2 : s + strlen(s);

			for (; s < stop; s++)
				if (*s != '\n')
					*s = ' ';
		} else if (s[0] == '/' && s[1] == '/') {
			while (*s && *s != '\n')
				*s++ = ' ';
		} else {
			s++;
		}
	}
}

struct word_lookup {
	const char *word;
	size_t len;
	const char *found;
};

static void match_word(const char *word, void *ctx)
{
	struct word_lookup *l = ctx;

	if (!l->found && strlen(word) == l->len &&
	    !strncmp(word, l->word, l->len))
		l->found = word;
}

/* The registered word spelled by the literal [s, s + len), or NULL. */
static const char *registered(const char *s, size_t len)
{
	struct word_lookup l = { s, len, NULL };
	const struct pe_evaluator_ops *f;

	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++)
		each_word(f, match_word, &l);
	return l.found;
}

/* True when text defines a family named name (a file of that family). */
static int defines_family(const char *text, const char *name)
{
	char *needle = xstrfmt(".name = \"%s\"", name);
	int found =
		strstr(text, "struct pe_evaluator_ops") && strstr(text, needle);

	free(needle);
	return found;
}

/* True when word belongs only to families that text defines. */
static int owned(const char *text, const char *word)
{
	const struct pe_evaluator_ops *f;

	for (size_t i = 0; (f = pe_evaluator_family(i)) != NULL; i++) {
		struct word_lookup l = { word, strlen(word), NULL };

		each_word(f, match_word, &l);
		if (l.found && !defines_family(text, f->name))
			return 0;
	}
	return 1;
}

struct item {
	const char *words[64];
	size_t nwords;
	unsigned line;
};

static void add_item_word(struct item *it, const char *word)
{
	for (size_t i = 0; common_words[i]; i++)
		if (!strcmp(word, common_words[i]))
			return;
	for (size_t i = 0; i < it->nwords; i++)
		if (it->words[i] == word)
			return;
	if (it->nwords < sizeof(it->words) / sizeof(*it->words))
		it->words[it->nwords++] = word;
}

/*
 * Where the scan prints what it finds: stderr, or nowhere for the
 * detector's own test.
 */
struct scan {
	const char *path;
	int quiet;
};

/* Reports an item that lists kinds; returns 1 when it does. */
static int report_item(const struct scan *scan, const struct item *it)
{
	struct pe_buf words;

	if (it->nwords < LIST_MIN_WORDS)
		return 0;
	if (scan->quiet)
		return 1;
	pe_buf_init(&words, 0);
	for (size_t i = 0; i < it->nwords; i++)
		pe_buf_addf(&words, "%s%s", i ? ", " : "", it->words[i]);
	print_error("%s:%u: a list of evaluator kinds outside the registry "
		    "(%s)\n",
		    scan->path, it->line, pe_buf_str(&words));
	pe_buf_release(&words);
	return 1;
}

/*
 * Counts the top-level items (declarations and functions) of text, with
 * comments blanked, whose literals name LIST_MIN_WORDS registered words
 * that text's own families do not define.
 */
static int count_kind_lists(const struct scan *scan, const char *text)
{
	struct item it = { { NULL }, 0, 1 };
	unsigned line = 1;
	int depth = 0, lists = 0, fresh = 1;

	for (const char *s = text; *s;) {
		if (fresh && !isspace((unsigned char)*s)) {
			it.line = line;
			fresh = 0;
		}
		if (*s == '"') {
			const char *end = skip_literal(s);
			const char *word =
				registered(s + 1, (size_t)(end - s - 2));

			if (word && !owned(text, word))
				add_item_word(&it, word);
			s = end;
			continue;
		}
		if (*s == '\'') {
			s = skip_literal(s);
			continue;
		}
		line += *s == '\n';
		depth += (*s == '{') - (*s == '}');
		if (depth == 0 && (*s == '}' || *s == ';')) {
			lists += report_item(scan, &it);
			it.nwords = 0;
			fresh = 1;
		}
		s++;
	}
	return lists + report_item(scan, &it);
}

/* Counts uses of the old kind enum in text. */
static int count_old_enum(const struct scan *scan, const char *text)
{
	static const char *const tokens[] = { "PE_EVAL_", "pe_eval_kind",
					      NULL };
	int n = 0;

	for (size_t i = 0; tokens[i]; i++)
		if (strstr(text, tokens[i])) {
			if (!scan->quiet)
				print_error("%s: uses %s; the family is "
					    "spec->ops\n",
					    scan->path, tokens[i]);
			n++;
		}
	return n;
}

/*
 * The ops tables that evaluators/ defines ("const struct pe_evaluator_ops
 * pe_x_ops ="), as "pe_x_ops" strings appended to names.
 */
static void add_ops_names(const char *text, struct pe_buf *names)
{
	static const char decl[] = "const struct pe_evaluator_ops ";

	for (const char *s = strstr(text, decl); s; s = strstr(s + 1, decl)) {
		const char *id = s + strlen(decl), *end = id;

		while (isalnum((unsigned char)*end) || *end == '_')
			end++;
		if (*end == ' ' && end[1] == '=')
			pe_buf_addf(names, "%.*s\n", (int)(end - id), id);
	}
}

/* True when text has the identifier id (not as part of a longer one). */
static int has_identifier(const char *text, const char *id)
{
	size_t len = strlen(id);

	for (const char *s = strstr(text, id); s; s = strstr(s + 1, id)) {
		int before = s > text &&
			     (isalnum((unsigned char)s[-1]) || s[-1] == '_');
		int after = isalnum((unsigned char)s[len]) || s[len] == '_';

		if (!before && !after)
			return 1;
	}
	return 0;
}

/* Counts uses of another file's ops table in text (registry.c may). */
static int count_foreign_ops(const struct scan *scan, const char *text,
			     const char *names)
{
	int n = 0;

	if (strstr(scan->path, "evaluators/registry.c"))
		return 0;
	for (const char *name = names; *name;) {
		const char *nl = strchr(name, '\n');
		char *id = xstrndup(name, (size_t)(nl - name));
		char *def = xstrfmt("const struct pe_evaluator_ops %s =", id);
		if (has_identifier(text, id) && !strstr(text, def)) {
			if (!scan->quiet)
				print_error("%s: uses %s; ask the registry "
					    "instead\n",
					    scan->path, id);
			n++;
		}
		free(def);
		free(id);
		name = nl + 1;
	}
	return n;
}

struct source_list {
	char **paths;
	size_t len;
};

static void collect_sources(const char *dir, struct source_list *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path;
		struct stat st;
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			collect_sources(path, out);
			free(path);
		} else if (n > 2 && de->d_name[n - 2] == '.' &&
			   (de->d_name[n - 1] == 'c' ||
			    de->d_name[n - 1] == 'h')) {
			out->paths = xrealloc(out->paths,
					      (out->len + 1) * sizeof(char *));
			out->paths[out->len++] = path;
		} else {
			free(path);
		}
	}
	closedir(d);
}

/* The detector finds the kind list that evalspec.c used to carry. */
static void test_detector_finds_old_list(void **state)
{
	char text[] =
		"/* A list like the loader once had. */\n"
		"static const char *const kind_keys[] = {\n"
		"\t\"string\", \"regex\", \"llm\", \"uses\",\n"
		"\t\"sections\", NULL };\n"
		"static const char *name = \"regex\"; /* one is fine */\n";

	struct scan quiet = { "harness/load/evalspec.c", 1 };

	(void)state;
	blank_comments(text);
	assert_int_equal(count_kind_lists(&quiet, text), 1);
	assert_int_equal(count_kind_lists(&quiet,
					  "int judged(const char *k)\n"
					  "{ return !strcmp(k, \"llm\") ||\n"
					  "\t!strcmp(k, \"sections\"); }\n"),
			 1);
	assert_int_equal(
		count_kind_lists(&quiet,
				 "static const char *f[] = { \"model\", "
				 "\"format\", \"json\" };\n"),
		0);
	assert_int_equal(count_old_enum(&quiet, "enum pe_eval_kind k;"), 1);
	assert_int_equal(
		count_foreign_ops(&quiet, "&pe_regex_ops,", "pe_regex_ops\n"),
		1);
	assert_int_equal(
		count_foreign_ops(&quiet, "&pe_regex_ops_x,", "pe_regex_ops\n"),
		0);
}

static void test_no_other_list_of_kinds(void **state)
{
	const char *root = *state;
	struct source_list sources = { NULL, 0 };
	struct pe_buf ops_names;
	char **texts;
	int problems = 0;

	for (size_t i = 0; scanned_dirs[i]; i++) {
		char *dir = xstrfmt("%s/%s", root, scanned_dirs[i]);

		collect_sources(dir, &sources);
		free(dir);
	}
	/* The tree is really there: the loader and the registry among it. */
	assert_true(sources.len > 50);
	texts = xcalloc(sources.len, sizeof(*texts));
	pe_buf_init(&ops_names, 0);
	for (size_t i = 0; i < sources.len; i++) {
		texts[i] = read_text(sources.paths[i]);
		assert_non_null(texts[i]);
		blank_comments(texts[i]);
		add_ops_names(texts[i], &ops_names);
	}
	assert_non_null(strstr(pe_buf_str(&ops_names), "pe_regex_ops\n"));
	for (size_t i = 0; i < sources.len; i++) {
		struct scan scan = { sources.paths[i], 0 };

		problems += count_kind_lists(&scan, texts[i]);
		problems += count_old_enum(&scan, texts[i]);
		problems += count_foreign_ops(&scan, texts[i],
					      pe_buf_str(&ops_names));
		free(texts[i]);
		free(sources.paths[i]);
	}
	free(texts);
	free(sources.paths);
	pe_buf_release(&ops_names);
	assert_int_equal(problems, 0);
}

/* The top of the tree: the working directory, or three above argv0. */
static char *find_root(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	char *root;
	char *probe;

	if (access("evaluators/registry.c", R_OK) == 0)
		return xstrdup(".");
	root = xstrfmt("%.*s/../../..", slash ? (int)(slash - argv0) : 1,
		       slash ? argv0 : ".");
	probe = xstrfmt("%s/evaluators/registry.c", root);
	if (access(probe, R_OK) != 0) {
		free(root);
		root = NULL;
	}
	free(probe);
	return root;
}

int main(int argc, char **argv)
{
	char *root = find_root(argc > 0 ? argv[0] : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_types_unique),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_families_complete),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_sentence),
		cmocka_unit_test(test_detector_finds_old_list),
		cmocka_unit_test_prestate(test_no_other_list_of_kinds, root),
	};
	int failed;

	if (!root) {
		fprintf(stderr, "test_registry: cannot find the source tree "
				"(evaluators/registry.c)\n");
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	free(root);
	return failed;
}
