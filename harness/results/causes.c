/*
 * Error causes (see causes.h).  Rows are taken in the order given; each
 * error's text is normalised into a new string and looked up among the
 * causes so far by a linear search: a run has few distinct causes, and
 * the list is cut to a few lines anyway.  The causes are then sorted by
 * count with a stable merge of their first-seen order.
 */
#include "harness/results/causes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/message.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

enum {
	/* The bytes of a cause shown on the terminal before "...". */
	SHOWN_CAUSE_BYTES = 200,
	/* The models named for a cause before "and K more models". */
	SHOWN_MODELS = 3,
	/* A run of hex digits this long is an id, not a word. */
	MIN_HEX_ID = 16,
	/* What follows "req_" or "req-" to make a request id. */
	MIN_REQUEST_ID = 8,
};

struct cause {
	struct pe_error_cause pub;
	char *text;
	const char **models;
	size_t models_alloc;
	size_t first; /* the index of its first row, for a stable order */
};

struct pe_error_causes {
	struct cause *items;
	size_t count, alloc;
};

static int is_word_byte(unsigned char c)
{
	return isalnum(c) || c == '_';
}

/* The length of the id that starts at s (after a non-word byte), or 0. */
static size_t id_length(const char *s, int after_word)
{
	size_t n = 0;

	if (after_word)
		return 0;
	if ((!strncmp(s, "req_", 4) || !strncmp(s, "req-", 4))) {
		while (isalnum((unsigned char)s[4 + n]))
			n++;
		return n >= MIN_REQUEST_ID && !is_word_byte(s[4 + n]) ? 4 + n
								      : 0;
	}
	/* A UUID: 8-4-4-4-12 hex digits. */
	{
		static const size_t groups[] = { 8, 4, 4, 4, 12 };
		size_t at = 0, g;

		for (g = 0; g < 5; g++) {
			size_t k = 0;

			while (k < groups[g] &&
			       isxdigit((unsigned char)s[at + k]))
				k++;
			at += k;
			if (k != groups[g] || (g < 4 && s[at++] != '-'))
				break;
		}
		if (g == 5 && !is_word_byte(s[at]))
			return at;
	}
	while (isxdigit((unsigned char)s[n]))
		n++;
	return n >= MIN_HEX_ID && !is_word_byte(s[n]) ? n : 0;
}

/* The cause text of an error: ids replaced with "<id>" (a new string). */
static char *normalise(const char *text)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; text[i];) {
		size_t id =
			id_length(text + i, i > 0 && is_word_byte(text[i - 1]));

		if (id) {
			pe_buf_adds(&b, "<id>");
			i += id;
		} else {
			pe_buf_addc(&b, text[i++]);
		}
	}
	return pe_buf_detach(&b, NULL);
}

/* A row's cause before normalising (a new string), or NULL. */
static char *row_cause(const struct pe_result *r)
{
	if (r->status != PE_VERDICT_ERROR)
		return NULL;
	if (r->error)
		return xstrdup(r->error);
	for (size_t i = 0; i < r->nevaluators; i++) {
		const struct pe_result_evaluator *e = &r->evaluators[i];

		if (e->status == PE_VERDICT_ERROR)
			return xstrfmt("%s: %s", e->name ? e->name : "?",
				       e->reason ? e->reason : "an error");
	}
	return xstrdup("an error without a reason");
}

static void add_model(struct cause *c, const char *model)
{
	if (!model)
		return;
	for (size_t i = 0; i < c->pub.nmodels; i++)
		if (!strcmp(c->models[i], model))
			return;
	pe_grow(&c->models, &c->models_alloc, c->pub.nmodels + 1,
		sizeof(*c->models));
	c->models[c->pub.nmodels++] = model;
}

static struct cause *find_cause(struct pe_error_causes *list, char *text,
				size_t row)
{
	struct cause *c;

	for (size_t i = 0; i < list->count; i++)
		if (!strcmp(list->items[i].text, text)) {
			free(text);
			return &list->items[i];
		}
	pe_grow(&list->items, &list->alloc, list->count + 1,
		sizeof(*list->items));
	c = &list->items[list->count++];
	memset(c, 0, sizeof(*c));
	c->text = text;
	c->first = row;
	return c;
}

static int compare_causes(const void *pa, const void *pb)
{
	const struct cause *a = pa, *b = pb;

	if (a->pub.count != b->pub.count)
		return a->pub.count > b->pub.count ? -1 : 1;
	return (a->first > b->first) - (a->first < b->first);
}

/* Groups the errors of rows; see causes.h. */
struct pe_error_causes *pe_error_causes_new(const struct pe_result *rows,
					    size_t n)
{
	struct pe_error_causes *list = xcalloc(1, sizeof(*list));

	for (size_t i = 0; i < n; i++) {
		char *raw = row_cause(&rows[i]);
		struct cause *c;

		if (!raw)
			continue;
		c = find_cause(list, normalise(raw), i);
		free(raw);
		c->pub.count++;
		add_model(c, rows[i].model);
	}
	if (list->count)
		qsort(list->items, list->count, sizeof(*list->items),
		      compare_causes);
	for (size_t i = 0; i < list->count; i++) {
		list->items[i].pub.text = list->items[i].text;
		list->items[i].pub.models = list->items[i].models;
	}
	return list;
}

/* Frees the list; see causes.h. */
void pe_error_causes_free(struct pe_error_causes *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].text);
		free(list->items[i].models);
	}
	free(list->items);
	free(list);
}

/* Returns the number of causes. */
size_t pe_error_causes_count(const struct pe_error_causes *list)
{
	return list->count;
}

/* Returns cause i; see causes.h. */
const struct pe_error_cause *pe_error_causes_get(
	const struct pe_error_causes *list, size_t i)
{
	return i < list->count ? &list->items[i].pub : NULL;
}

/* Names at most SHOWN_MODELS models of a cause; see causes.h. */
void pe_error_cause_models(const struct pe_error_cause *cause,
			   struct pe_buf *out)
{
	size_t shown =
		cause->nmodels < SHOWN_MODELS ? cause->nmodels : SHOWN_MODELS;

	for (size_t i = 0; i < shown; i++)
		pe_buf_addf(out, "%s%s",
			    i == 0		     ? ""
			    : i + 1 < cause->nmodels ? ", "
						     : " and ",
			    cause->models[i]);
	if (shown < cause->nmodels)
		pe_buf_addf(out, " and %zu more model%s",
			    cause->nmodels - shown,
			    cause->nmodels - shown == 1 ? "" : "s");
}

/* Prints the terminal's list of causes; see causes.h. */
int pe_error_causes_print(const struct pe_error_causes *list, FILE *out)
{
	size_t shown =
		list->count < PE_CAUSES_SHOWN ? list->count : PE_CAUSES_SHOWN;
	size_t rest = 0;

	if (!list->count)
		return PE_OK;
	fprintf(out, "errors by cause:\n");
	for (size_t i = 0; i < shown; i++) {
		const struct pe_error_cause *c = &list->items[i].pub;
		size_t len = strlen(c->text);
		size_t cut = pe_utf8_cut(c->text, len, SHOWN_CAUSE_BYTES);
		char *text = xstrndup(c->text, cut);
		struct pe_buf models;

		pe_buf_init(&models, 0);
		pe_error_cause_models(c, &models);
		pe_terminal_printf(out, "  %4zu  %s%s", c->count, text,
				   cut < len ? "..." : "");
		if (models.len)
			pe_terminal_printf(out, "  [%s]", pe_buf_str(&models));
		fputc('\n', out);
		pe_buf_release(&models);
		free(text);
	}
	for (size_t i = shown; i < list->count; i++)
		rest += list->items[i].pub.count;
	if (shown < list->count)
		fprintf(out, "  and %zu more cause%s (%zu error%s)\n",
			list->count - shown,
			list->count - shown == 1 ? "" : "s", rest,
			rest == 1 ? "" : "s");
	return ferror(out) ? PE_ERR_IO : PE_OK;
}
