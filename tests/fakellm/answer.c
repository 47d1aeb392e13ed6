/*
 * The fake model: a deterministic Markdown answer built from the prompt.
 *
 * The sections the prompt asks for are found in its text ("## 1. Name",
 * "1. **Name** - ...", "1) name, 2) name"), and each one gets a heading, a
 * paragraph with bold terms, a bulleted list and, every third section, a
 * table or a SQL block.  A quality q from the model name and temperature
 * decides how many sections survive and how often neighbours swap, so a
 * "strong" model scores better than a "weak" one under prompteval's
 * evaluators.  Every choice comes from one PRNG seeded by the caller.
 */
#include <stdio.h>
#include <string.h>

#include "fakellm.h"

enum {
	MAX_SECTIONS = 16,
	NAME_CAP = 96,
	MAX_ACRONYMS = 6,
	IDENT_CAP = 40,
	TARGET_ANSWER_BYTES = 4300
};

struct sections {
	char name[MAX_SECTIONS][NAME_CAP];
	size_t n;
};

/* Everything one answer draws on while it is written. */
struct writer {
	struct fl_buf *out;
	struct fl_rng rng;
	double quality;
	const char *section; /* name of the section being written */
	char acronyms[MAX_ACRONYMS][8];
	size_t nacronyms;
	char table[IDENT_CAP];
	char column[IDENT_CAP];
};

static const char *const terms[] = {
	"dual-write",
	"CDC",
	"logical replication",
	"expand-contract",
	"feature flag",
	"backfill",
	"checksum verification",
	"row counts",
	"cutover phase",
	"rollback plan",
	"reverse replication",
	"canary release",
	"blue-green deployment",
	"shadow traffic",
	"point of no return",
	"runbook",
	"idempotent batches",
	"throttling",
	"lock_timeout",
	"consistency check",
	"initial load",
	"schema migration",
	"replication lag",
	"fail-back",
	"traffic routing",
	"backup snapshot",
	"parity check",
	"online DDL",
};

static const char *const sentences[] = {
	"The **{T}** keeps this step safe while production traffic keeps "
	"flowing.",
	"We rely on **{T}** and **{T}** so that every deploy stays backward "
	"compatible.",
	"Each step is gated by a **{T}** on `{X}` before the next one starts.",
	"{A} lag is watched continuously, and the **{T}** pauses when it "
	"exceeds the agreed budget.",
	"The plan treats the **{T}** as a hard boundary: nothing is "
	"contracted until parity is verified.",
	"Writes continue during the **{T}**; reads move over only after the "
	"**{T}** passes.",
	"Run the **{T}** in batches of 5,000 rows with a short pause between "
	"batches.",
	"Every action is reversible up to the **{T}**, and each one has an "
	"owner and a time box.",
	"A checkpoint table records progress so the **{T}** can resume after "
	"a failure.",
	"Alert on error rate, p99 latency and {A} metrics during the **{T}**.",
	"The **{T}** is rehearsed on a production-sized copy of `{X}` before "
	"the real run.",
	"The on-call team hears about the **{T}** window a day ahead.",
};

static const char *const bullets[] = {
	"**{T}**: verify with a query on `{X}` and compare with the source.",
	"Confirm the **{T}** before moving on and record it in the runbook.",
	"Keep the old path behind a **{T}** for at least 48 hours.",
	"Throttle the **{T}** when replication lag exceeds 2 seconds.",
	"Rollback: disable the **{T}** and replay from the last checkpoint.",
	"Validate the **{T}** with {A} metrics and row counts on `{X}`.",
	"Owner: the on-call engineer; about 30 minutes for the **{T}**.",
	"Take a **{T}** before any destructive step.",
};

static const char *const risk_bullets[] = {
	"**{T}** falls behind at peak load. Likelihood: {L}. Mitigation: "
	"throttle and alert on lag.",
	"A long lock on `{X}` during the **{T}**. Likelihood: {L}. "
	"Mitigation: lock_timeout and retries.",
	"Data drift found by the **{T}**. Likelihood: {L}. Mitigation: "
	"reconcile, then repeat the check.",
	"The **{T}** cannot be undone in time. Likelihood: {L}. Mitigation: "
	"keep the old primary warm.",
};

static const char *const generic_sections[] = {
	"Approach",
	"Execution Plan",
	"Validation, Rollback and Risks",
};

static const char *const acronym_stoplist[] = {
	"A",   "AN",   "AND", "ANY",  "ALL",  "ARE", "AS",  "AT",
	"BE",  "BEST", "BY",  "EACH", "FOR",  "GB",  "IF",  "IN",
	"IS",  "IT",   "KB",  "MB",   "MUST", "NO",  "NOT", "OF",
	"ON",  "ONE",  "OR",  "ROLE", "TASK", "TB",  "THE", "TO",
	"UTC", "WAY",  "WHY", "X",    "ZERO",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static const char *find_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		size_t i;

		for (i = 0; i < n && hay[i]; i++)
			if (to_lower((unsigned char)hay[i]) !=
			    to_lower((unsigned char)needle[i]))
				break;
		if (i == n)
			return hay;
	}
	return NULL;
}

/* Returns where the first of the phrases starts in s[0..len), or len. */
static size_t cut_at(const char *s, size_t len, const char *const *phrases,
		     size_t nphrases)
{
	size_t best = len, i, k;

	for (k = 0; k < nphrases; k++) {
		size_t n = strlen(phrases[k]);

		for (i = 0; i + n <= best; i++)
			if (!memcmp(s + i, phrases[k], n)) {
				best = i;
				break;
			}
	}
	return best;
}

/*
 * Cleans a raw section name: drops numbering, asterisks, parentheticals
 * and (with cut) the explanation after the name, then adds it to list
 * unless it is empty or already there.
 */
static void add_section(struct sections *list, const char *s, size_t len,
			int cut)
{
	static const char *const always[] = { " (", "(", ":", " \xe2\x80\x94",
					      " - " };
	static const char *const phrases[] = { ",",	  ";",
					       " using ", " with ",
					       " for ",	  " to ",
					       " that ",  " including " };
	char name[NAME_CAP];
	size_t i, n = 0, letters = 0, words = 1;

	while (len && (is_blank((unsigned char)*s) || *s == '*')) {
		s++;
		len--;
	}
	for (i = 0; i < len && is_digit((unsigned char)s[i]); i++)
		;
	if (i && i < len && (s[i] == '.' || s[i] == ')')) {
		s += i + 1;
		len -= i + 1;
	}
	len = cut_at(s, len, always, COUNT(always));
	if (cut)
		len = cut_at(s, len, phrases, COUNT(phrases));
	for (i = 0; i < len && n + 1 < sizeof(name); i++) {
		char c = s[i];

		if (c == '*' || c == '\n')
			continue;
		if (is_blank((unsigned char)c)) {
			if (!n || name[n - 1] == ' ')
				continue;
			if (++words > 8)
				break;
			c = ' ';
		}
		letters += is_alpha((unsigned char)c);
		name[n++] = c;
	}
	while (n && strchr(" .:,;-", name[n - 1]))
		n--;
	name[n] = '\0';
	if (letters < 2 || list->n == MAX_SECTIONS)
		return;
	if (name[0] >= 'a' && name[0] <= 'z')
		name[0] = (char)(name[0] - 32);
	for (i = 0; i < list->n; i++)
		if (!strcmp(list->name[i], name))
			return;
	memcpy(list->name[list->n++], name, n + 1);
}

/* Collects "## Name" headings; Markdown's "###" and deeper do not count. */
static void find_headings(const char *text, struct sections *list)
{
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		const char *p = line;

		if (!end)
			end = line + strlen(line);
		while (p < end && is_blank((unsigned char)*p))
			p++;
		if (end - p > 3 && p[0] == '#' && p[1] == '#' && p[2] == ' ')
			add_section(list, p + 3, (size_t)(end - p - 3), 0);
		line = *end ? end + 1 : end;
	}
}

/* Collects "1. **Name** - text" list items. */
static void find_bold_items(const char *text, struct sections *list)
{
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		const char *p = line, *close;

		if (!end)
			end = line + strlen(line);
		while (p < end && is_blank((unsigned char)*p))
			p++;
		if (p < end && is_digit((unsigned char)*p)) {
			while (p < end && is_digit((unsigned char)*p))
				p++;
			if (p < end && (*p == '.' || *p == ')'))
				p++;
			while (p < end && is_blank((unsigned char)*p))
				p++;
			if (end - p > 4 && p[0] == '*' && p[1] == '*') {
				close = strstr(p + 2, "**");
				if (close && close < end)
					add_section(list, p + 2,
						    (size_t)(close - p - 2), 0);
			}
		}
		line = *end ? end + 1 : end;
	}
}

/* Finds "k) " at or after from, not preceded by a letter or digit. */
static const char *find_item(const char *from, unsigned k)
{
	char mark[16];
	const char *p = from;
	int n = snprintf(mark, sizeof(mark), "%u) ", k);

	while ((p = strstr(p, mark))) {
		if (p == from || !is_alnum((unsigned char)p[-1]))
			return p;
		p += n;
	}
	return NULL;
}

/* Collects "1) name ..., 2) name ..." items, inline or one per line. */
static void find_paren_items(const char *text, struct sections *list)
{
	const char *p = find_item(text, 1);
	unsigned k = 1;
	struct sections found;

	found.n = 0;
	while (p && k <= MAX_SECTIONS) {
		const char *start = p + strlen("1) ") + (k >= 10);
		const char *next = find_item(start, k + 1);
		const char *nl = strchr(start, '\n');
		const char *end = next ? next : start + strlen(start);

		if (nl && nl < end)
			end = nl;
		add_section(&found, start, (size_t)(end - start), 1);
		p = next;
		k++;
	}
	if (found.n >= 2)
		*list = found;
}

static void find_sections(const char *text, struct sections *list)
{
	size_t i;

	list->n = 0;
	find_headings(text, list);
	if (list->n < 2) {
		list->n = 0;
		find_bold_items(text, list);
	}
	if (list->n < 2) {
		list->n = 0;
		find_paren_items(text, list);
	}
	if (list->n < 2) {
		list->n = 0;
		for (i = 0; i < COUNT(generic_sections); i++)
			add_section(list, generic_sections[i],
				    strlen(generic_sections[i]), 0);
	}
}

static int is_stopword(const char *w)
{
	size_t i;

	for (i = 0; i < COUNT(acronym_stoplist); i++)
		if (!strcmp(acronym_stoplist[i], w))
			return 1;
	return 0;
}

/* Picks up to MAX_ACRONYMS upper-case words (CDC, WAL) from the prompt. */
static void find_acronyms(const char *text, struct writer *w)
{
	const char *p = text;

	w->nacronyms = 0;
	while (*p && w->nacronyms < MAX_ACRONYMS) {
		size_t n = 0, i;
		char word[8];

		if (!(*p >= 'A' && *p <= 'Z') ||
		    (p > text && is_alnum((unsigned char)p[-1]))) {
			p++;
			continue;
		}
		while (p[n] >= 'A' && p[n] <= 'Z')
			n++;
		if (n >= 2 && n <= 5 && !is_alnum((unsigned char)p[n])) {
			memcpy(word, p, n);
			word[n] = '\0';
			for (i = 0; i < w->nacronyms; i++)
				if (!strcmp(w->acronyms[i], word))
					break;
			if (i == w->nacronyms && !is_stopword(word))
				memcpy(w->acronyms[w->nacronyms++], word,
				       n + 1);
		}
		p += n;
	}
	if (!w->nacronyms) {
		memcpy(w->acronyms[0], "CDC", 4);
		memcpy(w->acronyms[1], "WAL", 4);
		w->nacronyms = 2;
	}
}

static size_t ident_len(const char *p)
{
	size_t n = 0;

	if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || is_digit((unsigned char)p[n]) ||
	       p[n] == '_')
		n++;
	return n;
}

/* Finds the first "table.column" in the prompt (users.email). */
static void find_table(const char *text, struct writer *w)
{
	const char *p;

	memcpy(w->table, "users", 6);
	memcpy(w->column, "email", 6);
	for (p = text; *p; p++) {
		size_t t, c;

		if (p > text && (is_alnum((unsigned char)p[-1]) ||
				 p[-1] == '.' || p[-1] == '_' || p[-1] == '/'))
			continue;
		t = ident_len(p);
		if (t < 3 || t >= IDENT_CAP || p[t] != '.')
			continue;
		c = ident_len(p + t + 1);
		if (c < 2 || c >= IDENT_CAP ||
		    is_alnum((unsigned char)p[t + 1 + c]) ||
		    (p[t + 1 + c] == '.' &&
		     is_alpha((unsigned char)p[t + 2 + c])))
			continue;
		memcpy(w->table, p, t);
		w->table[t] = '\0';
		memcpy(w->column, p + t + 1, c);
		w->column[c] = '\0';
		return;
	}
}

static const char *pick(struct writer *w, const char *const *list, size_t n)
{
	return list[fl_rng_below(&w->rng, (unsigned)n)];
}

/* Appends template t with {T} {N} {A} {X} {C} {L} filled in. */
static void expand(struct writer *w, const char *t)
{
	static const char *const levels[] = { "HIGH", "MEDIUM", "LOW" };

	while (*t) {
		const char *open = strchr(t, '{');

		if (!open || !open[1] || open[2] != '}') {
			fl_buf_adds(w->out, t);
			return;
		}
		fl_buf_add(w->out, t, (size_t)(open - t));
		switch (open[1]) {
		case 'T':
			fl_buf_adds(w->out, pick(w, terms, COUNT(terms)));
			break;
		case 'N':
			fl_buf_adds(w->out, w->section);
			break;
		case 'A':
			fl_buf_adds(w->out,
				    w->acronyms[fl_rng_below(
					    &w->rng, (unsigned)w->nacronyms)]);
			break;
		case 'X':
			fl_buf_adds(w->out, w->table);
			break;
		case 'C':
			fl_buf_adds(w->out, w->column);
			break;
		case 'L':
			fl_buf_adds(w->out, pick(w, levels, COUNT(levels)));
			break;
		default:
			fl_buf_add(w->out, open, 3);
		}
		t = open + 3;
	}
}

static void write_paragraph(struct writer *w, unsigned nsentences)
{
	unsigned i;

	for (i = 0; i < nsentences; i++) {
		if (i)
			fl_buf_addc(w->out, ' ');
		expand(w, pick(w, sentences, COUNT(sentences)));
	}
	fl_buf_adds(w->out, "\n\n");
}

static void write_table(struct writer *w)
{
	expand(w,
	       "| phase | operation | locking? | app state required | "
	       "rollback |\n"
	       "|---|---|---|---|---|\n"
	       "| 1. Expand | add nullable `{C}_v2` to `{X}` | no, online | "
	       "old and new code | drop `{C}_v2` |\n"
	       "| 2. Migrate | batched backfill with **dual-write** | row "
	       "locks per batch | new code writes both | stop the backfill "
	       "|\n"
	       "| 3. Contract | drop `{C}` after the **parity check** | brief "
	       "lock | only new code | restore from the **backup snapshot** "
	       "|\n\n");
}

static void write_sql(struct writer *w)
{
	expand(w, "```sql\n"
		  "CREATE INDEX CONCURRENTLY idx_{X}_{C} ON {X} ({C});\n"
		  "SELECT count(*) FROM {X};\n"
		  "SELECT count(*) FROM {X} WHERE {C} IS NULL;\n"
		  "```\n\n");
}

static void write_section(struct writer *w, size_t number, size_t nkept,
			  size_t budget)
{
	size_t start = w->out->len;
	int many = nkept > 8;
	unsigned nsentences = 1 + !many, nbullets = 3, i;
	int risk = find_nocase(w->section, "risk") != NULL;

	nsentences += fl_rng_uniform(&w->rng) < w->quality;
	nsentences += !many && fl_rng_uniform(&w->rng) < w->quality;
	nbullets += fl_rng_uniform(&w->rng) < w->quality;
	nbullets += !many && fl_rng_uniform(&w->rng) < w->quality;

	fl_buf_addf(w->out, "## %zu. %s\n\n", number, w->section);
	fl_buf_adds(w->out, "This section covers ");
	expand(w, "**{N}**. ");
	write_paragraph(w, nsentences);
	for (i = 0; i < nbullets; i++) {
		fl_buf_adds(w->out, "- ");
		if (risk)
			expand(w, pick(w, risk_bullets, COUNT(risk_bullets)));
		else
			expand(w, pick(w, bullets, COUNT(bullets)));
		fl_buf_addc(w->out, '\n');
	}
	fl_buf_addc(w->out, '\n');
	if (number % 3 == 0) {
		if (number % 6 == 3)
			write_table(w);
		else
			write_sql(w);
	}
	if (w->out->len - start + 60 < budget) {
		while (w->out->len - start + 60 < budget) {
			expand(w, pick(w, sentences, COUNT(sentences)));
			fl_buf_addc(w->out, ' ');
		}
		w->out->data[w->out->len - 1] = '\n';
		fl_buf_addc(w->out, '\n');
	}
}

static double base_quality(const char *model)
{
	if (find_nocase(model, "strong"))
		return 0.95;
	if (find_nocase(model, "weak"))
		return 0.35;
	return 0.7;
}

/* Keeps each section with probability q, then swaps some neighbours. */
static size_t choose_sections(struct writer *w, const struct sections *all,
			      size_t order[MAX_SECTIONS])
{
	size_t i, n = 0;

	for (i = 0; i < all->n; i++)
		if (fl_rng_uniform(&w->rng) < w->quality)
			order[n++] = i;
	if (!n)
		order[n++] = 0;
	for (i = 0; i + 1 < n; i++) {
		if (fl_rng_uniform(&w->rng) < (1.0 - w->quality) / 2) {
			size_t t = order[i];

			order[i] = order[i + 1];
			order[i + 1] = t;
			i++;
		}
	}
	return n;
}

/*
 * Appends the Markdown answer for chat to out.  All random choices come
 * from seed; quality gets noise in [-0.1, 0.1] only when the temperature
 * is above 0.
 */
void fl_answer_write(struct fl_buf *out, const struct fl_chat *chat,
		     uint64_t seed)
{
	struct writer w;
	struct sections all;
	size_t order[MAX_SECTIONS], n, i, budget;
	const char *text = chat->text.data ? chat->text.data : "";

	w.out = out;
	fl_rng_seed(&w.rng, seed);
	w.quality = base_quality(chat->model) - chat->temperature * 0.15;
	if (chat->temperature > 0)
		w.quality += fl_rng_uniform(&w.rng) * 0.2 - 0.1;
	if (w.quality < 0.05)
		w.quality = 0.05;
	if (w.quality > 1)
		w.quality = 1;
	find_sections(text, &all);
	find_acronyms(text, &w);
	find_table(text, &w);
	n = choose_sections(&w, &all, order);
	budget = TARGET_ANSWER_BYTES / n;
	if (budget < 250)
		budget = 250;
	if (budget > 2500)
		budget = 2500;
	fl_buf_adds(out, "Here is the plan, section by section.\n\n");
	for (i = 0; i < n; i++) {
		w.section = all.name[order[i]];
		write_section(&w, i + 1, n, budget);
	}
	while (out->len && out->data[out->len - 1] == '\n')
		out->len--;
	out->data[out->len] = '\0';
	fl_buf_addc(out, '\n');
}
