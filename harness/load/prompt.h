#ifndef PE_PROMPT_H
#define PE_PROMPT_H
/*
 * The prompt model: one prompt definition file loaded into typed data.
 *
 * The loader reads the GitHub Models .prompt.yml format and the variants
 * real prompt libraries use (snake_case model parameters, test data nested
 * under vars/input/inputs/variables, dataset files, many evaluator shapes)
 * and checks everything that can be checked before a request is sent:
 * types, roles, templates against every test case, evaluator specs.  Every
 * problem becomes a positioned diagnostic.
 *
 * This struct is the plain data at the load -> plan arrow, so its fields
 * are public and read-only once pe_prompt_load returns.  The prompt owns
 * everything it points to, including the document trees (marks and nodes
 * stay valid until pe_prompt_free).
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/load/evalspec.h"
#include "harness/core/node.h"
#include "harness/load/template.h"

enum pe_role { PE_ROLE_SYSTEM, PE_ROLE_USER, PE_ROLE_ASSISTANT };

enum pe_response_format {
	PE_RESPONSE_UNSET,
	PE_RESPONSE_TEXT,
	PE_RESPONSE_JSON_OBJECT,
	PE_RESPONSE_JSON_SCHEMA
};

/* Bits of pe_params.set: which parameters the file gave. */
enum pe_param_bit {
	PE_PARAM_TEMPERATURE = 1 << 0,
	PE_PARAM_MAX_TOKENS = 1 << 1,
	PE_PARAM_TOP_P = 1 << 2,
	PE_PARAM_SEED = 1 << 3,
	PE_PARAM_STOP = 1 << 4,
	PE_PARAM_PRESENCE_PENALTY = 1 << 5,
	PE_PARAM_FREQUENCY_PENALTY = 1 << 6
};

struct pe_params {
	unsigned set;
	double temperature;
	long max_tokens;
	double top_p;
	long long seed;
	char **stop;
	size_t nstop;
	double presence_penalty;
	double frequency_penalty;
};

struct pe_message {
	enum pe_role role;
	struct pe_template *content;
	const struct pe_node *node; /* the content scalar */
};

struct pe_case {
	char *id;		    /* stable: explicit id, or a content hash */
	size_t index;		    /* position in the prompt, from 0 */
	const struct pe_node *item; /* the test case as written */
	const struct pe_node *vars; /* the variables mapping */
	/*
	 * Lookup order for templates: the variables, the case, and, when the
	 * case writes its expected value under another name
	 * ("expectedOutput"), a mapping that names it "expected".
	 */
	const struct pe_node *scopes[3];
	size_t nscopes;
	const struct pe_node *expected; /* NULL when not given */
	struct pe_evalspec *evaluators; /* case-level evaluators */
	size_t nevaluators;
};

/*
 * How far below its threshold a case's score may fall and still reach it
 * (rounding in the weighted mean).  A threshold no higher is met by every
 * case, and is refused.
 */
#define PE_THRESHOLD_SLACK 1e-9

struct pe_prompt {
	char *path;
	char *name;
	char *description;
	char *model; /* NULL when the file names none */
	struct pe_mark mark;
	struct pe_message *messages;
	size_t nmessages;
	struct pe_params params;
	enum pe_response_format response_format;
	char *json_schema; /* JSON text, or NULL */
	/* The same, as nodes of doc with their marks, or NULL. */
	const struct pe_node *json_schema_tree;
	struct pe_case *cases;
	size_t ncases;
	struct pe_evalspec *evaluators;
	size_t nevaluators;
	double threshold; /* in [0,1]; meaningful when has_threshold */
	int has_threshold;
	struct pe_doc *doc;
	struct pe_doc **datasets;
	size_t ndatasets;
};

/*
 * Loads the prompt file at path.  Returns NULL when the file is not a
 * usable prompt definition at all (unreadable, not YAML, not a mapping, no
 * messages); otherwise a prompt, which may still have errors: count them
 * with pe_diag_count_file.  Every problem is recorded in diag.
 */
struct pe_prompt *pe_prompt_load(const char *path, struct pe_diag *diag);
void pe_prompt_free(struct pe_prompt *p);

/*
 * Loads a prompt from len bytes of data as if read from path (dataset
 * references are still resolved against path).  For tests and fuzzing.
 */
struct pe_prompt *pe_prompt_load_buffer(const char *path, const char *data,
					size_t len, struct pe_diag *diag);

/* The document (the prompt file or a dataset) that holds node n. */
const struct pe_doc *pe_prompt_doc_of(const struct pe_prompt *p,
				      const struct pe_node *n);

/* Total evaluators: prompt-level plus every case's own. */
size_t pe_prompt_count_evaluators(const struct pe_prompt *p);

const char *pe_role_name(enum pe_role role);

/*
 * Hard limits on input sizes: a prompt file, and each message of a
 * prompt as rendered for a test case.
 */
enum {
	PE_PROMPT_MAX_FILE = 16 * 1024 * 1024,
	PE_PROMPT_MAX_RENDERED = 16 * 1024 * 1024
};

/*
 * Renders every message of p for test case c (NULL for a prompt without
 * test data) into texts[0..p->nmessages-1], new heap strings that the
 * caller frees.  Returns NULL, or a new heap message saying why a message
 * could not be rendered (a variable that is not defined, a message larger
 * than PE_PROMPT_MAX_RENDERED); the messages rendered before it are still
 * in texts, the rest are left alone.
 */
char *pe_prompt_render(const struct pe_prompt *p, const struct pe_case *c,
		       char **texts);

#endif
