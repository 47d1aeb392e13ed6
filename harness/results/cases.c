/*
 * The per-case inputs (see cases.h).  A table is an array of entries with
 * a hash index over a key made of the prompt's name and the case id, so a
 * row finds its case, and an entry added twice is found, in constant
 * time.  What the table renders or copies is kept in a list of its own
 * allocations and freed with it.
 */
#include "harness/results/cases.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/index.h"
#include "harness/core/json.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/*
 * An entry and its key: the prompt's name, a NUL, then "c" and the case
 * id, or "n" for a prompt without test data.
 */
struct entry {
	struct pe_case_input in;
	char *key;
	size_t key_len;
};

struct pe_case_table {
	struct entry *items;
	size_t count, alloc;
	struct pe_index index; /* over the entries' keys */
	void **owned;	       /* what the table allocated, freed with it */
	size_t nowned, owned_alloc;
};

static const char *key_of(const void *items, size_t i, size_t *len)
{
	const struct entry *e = (const struct entry *)items + i;

	*len = e->key_len;
	return e->key;
}

static void make_key(struct pe_buf *b, const char *prompt, const char *case_id)
{
	pe_buf_reset(b);
	pe_buf_adds(b, prompt ? prompt : "");
	pe_buf_addc(b, '\0');
	if (case_id) {
		pe_buf_addc(b, 'c');
		pe_buf_adds(b, case_id);
	} else {
		pe_buf_addc(b, 'n');
	}
}

static void *own(struct pe_case_table *t, void *p)
{
	pe_grow(&t->owned, &t->owned_alloc, t->nowned + 1, sizeof(*t->owned));
	t->owned[t->nowned++] = p;
	return p;
}

/* Creates an empty table. */
struct pe_case_table *pe_case_table_new(void)
{
	struct pe_case_table *t = xcalloc(1, sizeof(*t));

	pe_index_init(&t->index, key_of);
	return t;
}

/* Frees the table and what it rendered; NULL is a no-op. */
void pe_case_table_free(struct pe_case_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	for (size_t i = 0; i < t->count; i++)
		free(t->items[i].key);
	pe_index_release(&t->index);
	free(t->owned);
	free(t->items);
	free(t);
}

/*
 * Appends in and its key unless the key is there; returns the new entry,
 * or NULL when the table had it.
 */
static struct pe_case_input *push(struct pe_case_table *t,
				  const struct pe_case_input *in)
{
	struct pe_buf b;
	size_t len;

	pe_buf_init(&b, 0);
	make_key(&b, in->prompt, in->case_id);
	if (pe_index_find(&t->index, t->items, b.data, b.len) >= 0) {
		pe_buf_release(&b);
		return NULL;
	}
	pe_grow(&t->items, &t->alloc, t->count + 1, sizeof(*t->items));
	t->items[t->count].in = *in;
	t->items[t->count].key = pe_buf_detach(&b, &len);
	t->items[t->count].key_len = len;
	pe_index_add(&t->index, t->items, t->count);
	return &t->items[t->count++].in;
}

/* Adds a borrowed entry unless its case is there; see cases.h. */
int pe_case_table_add(struct pe_case_table *t, const struct pe_case_input *in)
{
	return push(t, in) != NULL;
}

/* Adds a prompt's case with its messages rendered; see cases.h. */
void pe_case_table_add_case(struct pe_case_table *t, const struct pe_prompt *p,
			    const struct pe_case *c)
{
	struct pe_case_input in = { 0 };
	struct pe_case_input *e;
	struct pe_case_message *msgs;
	char **texts;

	in.prompt = p->name;
	in.file = p->path;
	in.case_id = c ? c->id : NULL;
	in.case_index = c ? c->index : 0;
	in.vars = c ? c->vars : NULL;
	in.expected = c ? c->expected : NULL;
	e = push(t, &in);
	if (!e)
		return;
	texts = xcalloc(p->nmessages ? p->nmessages : 1, sizeof(*texts));
	e->error = pe_prompt_render(p, c, texts);
	if (e->error) {
		own(t, (char *)e->error);
		for (size_t i = 0; i < p->nmessages; i++)
			free(texts[i]);
		free(texts);
		return;
	}
	msgs = own(t, xcalloc(p->nmessages ? p->nmessages : 1, sizeof(*msgs)));
	for (size_t i = 0; i < p->nmessages; i++) {
		msgs[i].role = pe_role_name(p->messages[i].role);
		msgs[i].content = own(t, texts[i]);
		msgs[i].content_len = strlen(texts[i]);
	}
	free(texts);
	e->messages = msgs;
	e->nmessages = p->nmessages;
}

/* Returns the number of entries. */
size_t pe_case_table_count(const struct pe_case_table *t)
{
	return t ? t->count : 0;
}

/* Returns entry i, borrowed from the table, or NULL past the end. */
const struct pe_case_input *pe_case_table_get(const struct pe_case_table *t,
					      size_t i)
{
	return t && i < t->count ? &t->items[i].in : NULL;
}

/* Finds the entry of a prompt's case; see cases.h. */
const struct pe_case_input *pe_case_table_find(const struct pe_case_table *t,
					       const char *prompt,
					       const char *case_id)
{
	struct pe_buf b;
	long at;

	if (!t || !t->count || !prompt)
		return NULL;
	pe_buf_init(&b, 0);
	make_key(&b, prompt, case_id);
	at = pe_index_find(&t->index, t->items, b.data, b.len);
	pe_buf_release(&b);
	return at < 0 ? NULL : &t->items[at].in;
}

static int compare_strings(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The order of results.json's rows: file, case index, then the key. */
static int compare_entries(const void *pa, const void *pb)
{
	const struct pe_case_input *a = &((const struct entry *)pa)->in;
	const struct pe_case_input *b = &((const struct entry *)pb)->in;
	int c = compare_strings(a->file, b->file);

	if (c)
		return c;
	if (a->case_index != b->case_index)
		return a->case_index < b->case_index ? -1 : 1;
	c = compare_strings(a->prompt, b->prompt);
	return c ? c : compare_strings(a->case_id, b->case_id);
}

/* Sorts the entries and indexes them again at their new places. */
void pe_case_table_sort(struct pe_case_table *t)
{
	if (t->count > 1)
		qsort(t->items, t->count, sizeof(*t->items), compare_entries);
	pe_index_release(&t->index);
	pe_index_init(&t->index, key_of);
	for (size_t i = 0; i < t->count; i++)
		pe_index_add(&t->index, t->items, i);
}

static void write_node(struct pe_buf *b, const struct pe_node *n)
{
	if (!n || pe_json_node(b, n))
		pe_buf_adds(b, "null");
}

/* Writes one entry with the secrets taken out; see cases.h. */
void pe_case_input_json(const struct pe_case_input *c,
			const struct pe_secrets *secrets, struct pe_buf *out)
{
	struct pe_buf b;
	char *text;
	size_t len;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "{\"prompt\":");
	pe_json_str(&b, c->prompt);
	pe_buf_adds(&b, ",\"file\":");
	pe_json_str(&b, c->file);
	pe_buf_adds(&b, ",\"case\":");
	pe_json_str(&b, c->case_id);
	pe_buf_addf(&b, ",\"case_index\":%zu,\"vars\":", c->case_index);
	write_node(&b, c->vars);
	pe_buf_adds(&b, ",\"expected\":");
	write_node(&b, c->expected);
	pe_buf_adds(&b, ",\"messages\":[");
	for (size_t i = 0; i < c->nmessages; i++) {
		pe_buf_adds(&b, i ? ",{\"role\":" : "{\"role\":");
		pe_json_str(&b, c->messages[i].role);
		pe_buf_adds(&b, ",\"content\":");
		pe_json_quote(&b, c->messages[i].content,
			      c->messages[i].content_len);
		pe_buf_addc(&b, '}');
	}
	pe_buf_adds(&b, "],\"error\":");
	pe_json_str(&b, c->error);
	pe_buf_addc(&b, '}');
	/*
	 * The variables could hold anything, a key included; the secrets'
	 * JSON-escaped forms are taken out of the JSON text as a whole.
	 */
	text = pe_buf_detach(&b, &len);
	pe_secrets_redact(secrets, &text, &len);
	pe_buf_add(out, text, len);
	free(text);
}

/* Writes the table as the document's "cases" member; see cases.h. */
void pe_case_table_json(const struct pe_case_table *t,
			const struct pe_secrets *secrets, struct pe_buf *out)
{
	size_t n = pe_case_table_count(t);

	pe_buf_adds(out, "\"cases\":[");
	for (size_t i = 0; i < n; i++) {
		pe_buf_adds(out, i ? ",\n" : "\n");
		pe_case_input_json(&t->items[i].in, secrets, out);
	}
	pe_buf_adds(out, n ? "\n],\n" : "],\n");
}
