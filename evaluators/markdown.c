/*
 * md4c calls back for every block, span and run of text.  The scanner
 * keeps a small state machine: which heading, table cell, code block or
 * paragraph is open, and the offset of the last text seen (md4c gives no
 * offsets for blocks, so an element starts at its first text).  Elements
 * go into growable arrays; nothing is kept per character.
 */
#include "evaluators/markdown.h"

#include <ctype.h>
#include <md4c.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "harness/core/unicode.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/*
 * The two buffers a normalisation goes through, kept by the parser so
 * that the headings and table columns of one answer reuse them.
 */
struct norm_scratch {
	struct pe_buf stripped;
	struct pe_buf folded;
};

static void normalize_with(const char *s, size_t len,
			   struct norm_scratch *scratch, struct pe_buf *out);

#define ARRAY(type, name)                                                      \
	type *name;                                                            \
	size_t n_##name;                                                       \
	size_t alloc_##name

struct pe_md {
	const char *text;
	size_t len;
	ARRAY(struct pe_md_heading, headings);
	ARRAY(struct pe_md_item, items);
	ARRAY(struct pe_md_bold, bolds);
	ARRAY(struct pe_md_table, tables);
	ARRAY(struct pe_md_code, codes);
	size_t html;

	/* Parse state. */
	size_t cursor;	/* offset after the last text seen */
	int in_heading; /* collecting heading text */
	unsigned heading_level;
	size_t heading_start;
	size_t heading_end;
	int heading_started;
	struct pe_buf heading_text;
	int in_code;
	int in_html_block;
	struct pe_buf code_text;
	int in_table_head;
	int in_table_body;
	int row_pending; /* a body row's first text is still to come */
	int table_ended; /* GFM ended the table at a row (opens_block) */
	int in_cell;
	struct pe_buf cell_text;
	size_t columns_alloc; /* room in the last table's column arrays */
	struct norm_scratch scratch; /* for headings and column names */
	int strong_depth;
	int para_depth;	    /* paragraphs directly in the document */
	int block_depth;    /* nesting of container blocks */
	int para_only_bold; /* the open paragraph is all bold so far */
	int para_has_text;
	size_t para_start;
	int pending_bold; /* a bold span opened, no text yet */
	int pending_item; /* a list item opened, no text yet */
	int waiting;	  /* something may wait for its start (place_pending) */
	int list_ordered[64];
	int list_depth;
};

#define PUSH(md, name, value)                                                  \
	do {                                                                   \
		pe_grow(&(md)->name, &(md)->alloc_##name, (md)->n_##name + 1,  \
			sizeof(*(md)->name));                                  \
		(md)->name[(md)->n_##name++] = (value);                        \
	} while (0)

/*
 * True when the line holding off opens a block that ends a table in GFM:
 * an ATX heading, a block quote or a code fence.  md4c's tables run to
 * the next blank line, so it reads such a line as one more row.
 */
static int opens_block(const struct pe_md *md, size_t off)
{
	const char *t = md->text, *end = md->text + md->len;
	size_t ls = off, hashes = 0;
	const char *p;

	while (ls && t[ls - 1] != '\n')
		ls--;
	p = t + ls;
	for (int i = 0; i < 3 && p < end && *p == ' '; i++)
		p++;
	if (p < end && *p == '>')
		return 1;
	if (end - p >= 3 && (!memcmp(p, "```", 3) || !memcmp(p, "~~~", 3)))
		return 1;
	while (p + hashes < end && p[hashes] == '#')
		hashes++;
	p += hashes;
	return hashes >= 1 && hashes <= 6 &&
	       (p == end || *p == ' ' || *p == '\t' || *p == '\r' ||
		*p == '\n');
}

static size_t offset_of(const struct pe_md *md, const char *p)
{
	if (p >= md->text && p <= md->text + md->len)
		return (size_t)(p - md->text);
	return md->cursor;
}

/* Returns the offset just after the line holding off (and a setext line). */
static size_t line_end_after(const struct pe_md *md, size_t off)
{
	const char *nl = off < md->len
				 ? memchr(md->text + off, '\n', md->len - off)
				 : NULL;
	size_t end = nl ? (size_t)(nl - md->text) + 1 : md->len;
	size_t i = end;

	/* A setext underline belongs to the heading. */
	while (i < md->len && (md->text[i] == ' ' || md->text[i] == '\t'))
		i++;
	if (i < md->len && (md->text[i] == '=' || md->text[i] == '-')) {
		char c = md->text[i];
		size_t j = i;

		while (j < md->len &&
		       (md->text[j] == c || md->text[j] == ' ' ||
			md->text[j] == '\t' || md->text[j] == '\r'))
			j++;
		if (j >= md->len || md->text[j] == '\n')
			end = j < md->len ? j + 1 : md->len;
	}
	return end;
}

static void add_heading(struct pe_md *md, unsigned level, const char *text,
			size_t len, size_t start, size_t last)
{
	struct pe_md_heading h;
	struct pe_buf norm;

	pe_buf_init(&norm, 0);
	normalize_with(text, len, &md->scratch, &norm);
	h.level = level;
	h.text = xstrndup(text, len);
	h.norm = pe_buf_detach(&norm, NULL);
	h.start = start;
	h.body_start = line_end_after(md, last);
	PUSH(md, headings, h);
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct pe_md *md = userdata;

	switch (type) {
	case MD_BLOCK_H:
		md->in_heading = 1;
		md->heading_level = ((MD_BLOCK_H_DETAIL *)detail)->level;
		md->heading_started = 0;
		md->waiting = 1;
		md->heading_start = md->cursor;
		pe_buf_reset(&md->heading_text);
		break;
	case MD_BLOCK_CODE: {
		MD_BLOCK_CODE_DETAIL *d = detail;
		struct pe_md_code c = { 0 };
		size_t n = d->lang.size;

		c.lang = xstrndup(d->lang.text ? d->lang.text : "", n);
		for (char *p = c.lang; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		c.start = md->cursor;
		PUSH(md, codes, c);
		md->in_code = 1;
		md->waiting = 1;
		pe_buf_reset(&md->code_text);
		break;
	}
	case MD_BLOCK_HTML:
		md->html++;
		md->in_html_block = 1;
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		if (md->list_depth < 64)
			md->list_ordered[md->list_depth] = type == MD_BLOCK_OL;
		md->list_depth++;
		md->block_depth++;
		break;
	case MD_BLOCK_LI: {
		struct pe_md_item it;

		it.ordered = md->list_depth > 0 && md->list_depth <= 64 &&
			     md->list_ordered[md->list_depth - 1];
		it.start = md->cursor;
		PUSH(md, items, it);
		md->pending_item = 1;
		md->waiting = 1;
		break;
	}
	case MD_BLOCK_QUOTE:
		md->block_depth++;
		break;
	case MD_BLOCK_TABLE: {
		struct pe_md_table t = { 0 };

		md->table_ended = 0;
		t.start = md->cursor;
		PUSH(md, tables, t);
		md->columns_alloc = 0;
		break;
	}
	case MD_BLOCK_THEAD:
		md->in_table_head = 1;
		md->waiting = 1;
		break;
	case MD_BLOCK_TBODY:
		md->in_table_body = 1;
		break;
	case MD_BLOCK_TR:
		if (md->in_table_body && md->n_tables && !md->table_ended) {
			md->tables[md->n_tables - 1].rows++;
			md->row_pending = 1;
		}
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		md->in_cell = 1;
		pe_buf_reset(&md->cell_text);
		md->waiting = 1;
		break;
	case MD_BLOCK_P:
		if (!md->block_depth) {
			md->para_depth = 1;
			md->para_only_bold = 1;
			md->para_has_text = 0;
			md->waiting = 1;
			md->para_start = md->cursor;
			pe_buf_reset(&md->heading_text);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void finish_cell(struct pe_md *md)
{
	struct pe_md_table *t;
	struct pe_buf norm;

	if (!md->in_table_head || !md->n_tables)
		return;
	t = &md->tables[md->n_tables - 1];
	/* Both arrays grow together, doubling from eight columns. */
	if (t->ncolumns == md->columns_alloc) {
		md->columns_alloc =
			md->columns_alloc ? 2 * md->columns_alloc : 8;
		t->columns = xrealloc(t->columns,
				      md->columns_alloc * sizeof(char *));
		t->columns_norm = xrealloc(t->columns_norm,
					   md->columns_alloc * sizeof(char *));
	}
	t->columns[t->ncolumns] =
		xstrndup(pe_buf_str(&md->cell_text), md->cell_text.len);
	pe_buf_init(&norm, 0);
	normalize_with(pe_buf_str(&md->cell_text), md->cell_text.len,
		       &md->scratch, &norm);
	t->columns_norm[t->ncolumns] = pe_buf_detach(&norm, NULL);
	t->ncolumns++;
}

/* A paragraph that is only bold text is a heading candidate (level 0). */
static void finish_paragraph(struct pe_md *md)
{
	const char *s;
	size_t len;

	md->para_depth = 0;
	if (!md->para_only_bold || !md->para_has_text)
		return;
	s = pe_buf_str(&md->heading_text);
	len = md->heading_text.len;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len && len <= 200)
		add_heading(md, 0, s, len, md->para_start,
			    md->cursor ? md->cursor - 1 : 0);
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct pe_md *md = userdata;

	(void)detail;
	switch (type) {
	case MD_BLOCK_H:
		md->in_heading = 0;
		add_heading(md, md->heading_level,
			    pe_buf_str(&md->heading_text), md->heading_text.len,
			    md->heading_start, md->heading_end);
		break;
	case MD_BLOCK_CODE:
		md->in_code = 0;
		if (md->n_codes) {
			struct pe_md_code *c = &md->codes[md->n_codes - 1];

			/* A copy, so the buffer keeps its size for the next. */
			c->code_len = md->code_text.len;
			c->code = xmalloc(c->code_len + 1);
			memcpy(c->code, pe_buf_str(&md->code_text),
			       c->code_len + 1);
		}
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		md->list_depth--;
		md->block_depth--;
		break;
	case MD_BLOCK_QUOTE:
		md->block_depth--;
		break;
	case MD_BLOCK_HTML:
		md->in_html_block = 0;
		break;
	case MD_BLOCK_LI:
		/* An empty item starts where the text before it ended. */
		md->pending_item = 0;
		break;
	case MD_BLOCK_THEAD:
		md->in_table_head = 0;
		break;
	case MD_BLOCK_TBODY:
		md->in_table_body = 0;
		md->row_pending = 0;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		finish_cell(md);
		md->in_cell = 0;
		break;
	case MD_BLOCK_P:
		if (md->para_depth) {
			finish_paragraph(md);
			pe_buf_reset(&md->heading_text);
		}
		break;
	default:
		break;
	}
	return 0;
}

static int enter_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct pe_md *md = userdata;

	(void)detail;
	if (type == MD_SPAN_STRONG) {
		struct pe_md_bold b = { md->cursor };

		PUSH(md, bolds, b);
		md->pending_bold = 1;
		md->waiting = 1;
		md->strong_depth++;
	}
	return 0;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct pe_md *md = userdata;

	(void)detail;
	if (type == MD_SPAN_STRONG) {
		md->strong_depth--;
		md->pending_bold = 0;
	}
	return 0;
}

/*
 * Records where pending elements start, now that text shows the offset.
 * Every element that waits for its first text sets md->waiting when it
 * opens, so the texts after those first ones skip the tests.
 */
static void place_pending(struct pe_md *md, size_t off)
{
	int code, head, para;

	if (!md->waiting)
		return;
	if (md->pending_bold && md->n_bolds) {
		md->bolds[md->n_bolds - 1].start = off;
		md->pending_bold = 0;
	}
	if (md->pending_item && md->n_items) {
		md->items[md->n_items - 1].start = off;
		md->pending_item = 0;
	}
	if (md->in_heading && !md->heading_started) {
		md->heading_start = off;
		md->heading_started = 1;
	}
	code = md->in_code && md->n_codes && !md->code_text.len;
	head = md->n_tables && md->in_table_head &&
	       !md->tables[md->n_tables - 1].ncolumns && !md->cell_text.len;
	para = md->para_depth && !md->para_has_text;
	if (code)
		md->codes[md->n_codes - 1].start = off;
	if (head)
		md->tables[md->n_tables - 1].start = off;
	if (para)
		md->para_start = off;
	/* These end only once text is kept: look again at the next text. */
	md->waiting = code || head || para;
}

static void text_in_paragraph(struct pe_md *md, MD_TEXTTYPE type,
			      const MD_CHAR *text, MD_SIZE size)
{
	int blank = 1;

	for (MD_SIZE i = 0; i < size && blank; i++)
		blank = isspace((unsigned char)text[i]) != 0;
	if (type == MD_TEXT_SOFTBR || type == MD_TEXT_BR) {
		pe_buf_addc(&md->heading_text, ' ');
		return;
	}
	if (!md->strong_depth && !blank) {
		/* A trailing colon after the bold text still reads as a heading. */
		if (!(size == 1 && text[0] == ':'))
			md->para_only_bold = 0;
	}
	if (md->para_only_bold && md->heading_text.len < 400)
		pe_buf_add(&md->heading_text, text, size);
	if (!blank)
		md->para_has_text = 1;
}

/*
 * Decodes an entity ("&amp;", "&#233;", "&#x1F600;") into out (8 bytes).
 * Unknown names are kept as written.  Returns the decoded length.
 */
static size_t decode_entity(const char *text, size_t size, char *out)
{
	static const struct {
		const char *name;
		const char *text;
	} named[] = { { "&amp;", "&" },	  { "&lt;", "<" },   { "&gt;", ">" },
		      { "&quot;", "\"" }, { "&apos;", "'" }, { "&nbsp;", " " },
		      { NULL, NULL } };
	unsigned long cp = 0;
	size_t i = 2;

	if (size > 3 && text[1] == '#') {
		int hex = text[2] == 'x' || text[2] == 'X';

		for (i = hex ? 3 : 2; i + 1 < size; i++) {
			int c = (unsigned char)text[i];
			int d = isdigit(c)	     ? c - '0'
				: hex && isxdigit(c) ? (tolower(c) - 'a' + 10)
						     : -1;

			if (d < 0 || cp > 0x10ffff)
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (cp && cp <= 0x10ffff)
			return pe_utf8_encode(cp, out);
	}
	for (size_t k = 0; named[k].name; k++) {
		if (strlen(named[k].name) == size &&
		    !memcmp(named[k].name, text, size)) {
			memcpy(out, named[k].text, strlen(named[k].text));
			return strlen(named[k].text);
		}
	}
	if (size > 8)
		size = 8;
	memcpy(out, text, size);
	return size;
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size,
		   void *userdata)
{
	struct pe_md *md = userdata;
	size_t off = offset_of(md, text);
	char decoded[8];
	const MD_CHAR *raw = text;
	MD_SIZE raw_size = size;

	if (type == MD_TEXT_ENTITY) {
		size = (MD_SIZE)decode_entity(text, size, decoded);
		text = decoded;
	}

	if (raw >= md->text && raw <= md->text + md->len)
		place_pending(md, off);
	if (md->row_pending && raw >= md->text && raw < md->text + md->len) {
		/* "## Notes" right after a row: GFM's table ended there. */
		md->row_pending = 0;
		if (opens_block(md, off)) {
			md->tables[md->n_tables - 1].rows--;
			md->table_ended = 1;
		}
	}
	/* Inline tags count one each; an HTML block counted itself. */
	if (type == MD_TEXT_HTML && !md->in_html_block)
		md->html++;
	if (md->in_code) {
		pe_buf_add(&md->code_text, text, size);
	} else if (md->in_heading) {
		if (type == MD_TEXT_SOFTBR || type == MD_TEXT_BR)
			pe_buf_addc(&md->heading_text, ' ');
		else if (md->heading_text.len < 1000)
			pe_buf_add(&md->heading_text, text, size);
		if (raw >= md->text && raw <= md->text + md->len)
			md->heading_end = off;
	} else if (md->in_cell) {
		/* Only header cells are kept (finish_cell): skip the body. */
		if (md->in_table_head && md->cell_text.len < 1000)
			pe_buf_add(&md->cell_text, text, size);
	} else if (md->para_depth) {
		text_in_paragraph(md, type, text, size);
	}
	if (raw >= md->text && raw <= md->text + md->len)
		md->cursor = off + raw_size;
	return 0;
}

/* Parses text into structure; see markdown.h. */
struct pe_md *pe_md_parse(const char *text, size_t len)
{
	struct pe_md *md = xcalloc(1, sizeof(*md));
	MD_PARSER parser = { 0 };

	md->text = text;
	md->len = len;
	pe_buf_init(&md->heading_text, 0);
	pe_buf_init(&md->code_text, 0);
	pe_buf_init(&md->cell_text, 0);
	pe_buf_init(&md->scratch.stripped, 0);
	pe_buf_init(&md->scratch.folded, 0);
	/* Tables are the only extension evaluators read; autolink and
	 * strikethrough detection would cost time for nothing. */
	parser.flags = MD_FLAG_TABLES;
	parser.enter_block = enter_block;
	parser.leave_block = leave_block;
	parser.enter_span = enter_span;
	parser.leave_span = leave_span;
	parser.text = on_text;
	md_parse(text, (MD_SIZE)len, &parser, md);
	pe_buf_release(&md->heading_text);
	pe_buf_release(&md->code_text);
	pe_buf_release(&md->cell_text);
	pe_buf_release(&md->scratch.stripped);
	pe_buf_release(&md->scratch.folded);
	return md;
}

/* Frees the scan; NULL is a no-op. */
void pe_md_free(struct pe_md *md)
{
	if (!md)
		return;
	for (size_t i = 0; i < md->n_headings; i++) {
		free(md->headings[i].text);
		free(md->headings[i].norm);
	}
	for (size_t i = 0; i < md->n_tables; i++) {
		for (size_t c = 0; c < md->tables[i].ncolumns; c++) {
			free(md->tables[i].columns[c]);
			free(md->tables[i].columns_norm[c]);
		}
		free(md->tables[i].columns);
		free(md->tables[i].columns_norm);
	}
	for (size_t i = 0; i < md->n_codes; i++) {
		free(md->codes[i].lang);
		free(md->codes[i].code);
	}
	free(md->headings);
	free(md->items);
	free(md->bolds);
	free(md->tables);
	free(md->codes);
	free(md);
}

/* Accessors: borrowed arrays, valid until pe_md_free. */
const char *pe_md_text(const struct pe_md *md, size_t *len)
{
	*len = md->len;
	return md->text;
}

const struct pe_md_heading *pe_md_headings(const struct pe_md *md, size_t *n)
{
	*n = md->n_headings;
	return md->headings;
}

const struct pe_md_item *pe_md_items(const struct pe_md *md, size_t *n)
{
	*n = md->n_items;
	return md->items;
}

const struct pe_md_bold *pe_md_bolds(const struct pe_md *md, size_t *n)
{
	*n = md->n_bolds;
	return md->bolds;
}

const struct pe_md_table *pe_md_tables(const struct pe_md *md, size_t *n)
{
	*n = md->n_tables;
	return md->tables;
}

const struct pe_md_code *pe_md_codes(const struct pe_md *md, size_t *n)
{
	*n = md->n_codes;
	return md->codes;
}

size_t pe_md_html_count(const struct pe_md *md)
{
	return md->html;
}

/*
 * A section ends at the next heading of the same or a higher level.  A
 * bold-only paragraph (level 0) ends at the next heading of any kind.
 */
void pe_md_section_range(const struct pe_md *md, size_t i, size_t *body_start,
			 size_t *end)
{
	const struct pe_md_heading *h = &md->headings[i];

	*body_start = h->body_start;
	*end = md->len;
	for (size_t j = i + 1; j < md->n_headings; j++) {
		const struct pe_md_heading *next = &md->headings[j];

		if (h->level == 0 || (next->level && next->level <= h->level) ||
		    (next->level == 0 && h->level == 0)) {
			/*
			 * A heading's start is its first text; back up to
			 * its line start.  The answer's end needs no backing
			 * up: its last line may have no newline.
			 */
			*end = next->start;
			while (*end > *body_start && md->text[*end - 1] != '\n')
				(*end)--;
			break;
		}
	}
	if (*end < *body_start)
		*end = *body_start;
}

/* Finds the sections opened by headings matching norm_name; see above. */
size_t pe_md_find_sections(const struct pe_md *md, const char *norm_name,
			   int bold_headings, struct pe_md_range **out)
{
	struct pe_md_range *r = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < md->n_headings; i++) {
		const struct pe_md_heading *h = &md->headings[i];
		size_t body, end;

		if (!h->level && !bold_headings)
			continue;
		/* A match starts with the name: most headings fail at once. */
		if (h->norm[0] != norm_name[0] ||
		    !pe_md_heading_matches(h->norm, norm_name))
			continue;
		if (n && h->start < r[n - 1].end)
			continue; /* inside the section before */
		pe_md_section_range(md, i, &body, &end);
		pe_grow(&r, &alloc, n + 1, sizeof(*r));
		r[n].start = h->start;
		r[n].end = end;
		n++;
	}
	*out = r;
	return n;
}

/* The text of sections read together; see markdown.h. */
const char *pe_md_sections_text(const struct pe_md *md,
				const struct pe_md_range *r, size_t n,
				struct pe_buf *joined, size_t *len)
{
	if (n == 1) {
		*len = r[0].end - r[0].start;
		return md->text + r[0].start;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			pe_buf_addc(joined, '\n');
		pe_buf_add(joined, md->text + r[i].start,
			   r[i].end - r[i].start);
	}
	*len = joined->len;
	return pe_buf_str(joined);
}

/* 1 for a letter, digit or byte of a multibyte character, else 0. */
static inline unsigned word_byte(unsigned char c)
{
	return (unsigned)((unsigned char)(c - '0') < 10) |
	       (unsigned)((unsigned char)((c | 32) - 'a') < 26) |
	       (unsigned)(c >= 0x80);
}

/* Skips "1.", "1.2)", "IV.", "a)", "Step 3:", "Phase 2 -" at s; returns
 * the new start, or s itself when there is no numbering. */
static const char *skip_numbering(const char *s, const char *end)
{
	int worded = 0;
	static const struct {
		const char *word;
		size_t len;
	} words[] = { { "step ", 5 },
		      { "phase ", 6 },
		      { "part ", 5 },
		      { "section ", 8 },
		      { "stage ", 6 } };
	const char *p = s;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = words[i].len;

		if ((size_t)(end - p) > n && *p == words[i].word[0] &&
		    !memcmp(p, words[i].word, n) &&
		    isdigit((unsigned char)p[n])) {
			p += n;
			worded = 1;
			break;
		}
	}
	if (p < end && isdigit((unsigned char)*p)) {
		while (p < end && (isdigit((unsigned char)*p) || *p == '.'))
			p++;
	} else if (p == s) {
		const char *q = p;

		while (q < end && strchr("ivxlc", *q))
			q++;
		if (q == p && q < end && isalpha((unsigned char)*q))
			q++; /* "a)" */
		if (q > p && q < end && (*q == '.' || *q == ')') &&
		    (q + 1 == end || q[1] == ' '))
			p = q;
		else
			return s;
	}
	if (p < end && (*p == ')' || *p == '.' || *p == ':'))
		p++;
	/* A number must be followed by a separator, else it is a word. */
	if (p < end && *p != ' ' && *p != '-' && (unsigned char)*p != 0xe2)
		return s;
	for (;;) {
		if (p < end &&
		    (*p == ' ' || *p == '-' || *p == ':' || *p == '.'))
			p++;
		else if (end - p >= 3 && (unsigned char)p[0] == 0xe2 &&
			 (unsigned char)p[1] == 0x80 &&
			 ((unsigned char)p[2] == 0x93 ||
			  (unsigned char)p[2] == 0x94))
			p += 3; /* en and em dashes */
		else
			break;
	}
	/* "Phase 2" alone is a name, not numbering in front of one. */
	return p < end || !worded ? p : s;
}

static unsigned long decode_utf8(const unsigned char *p, size_t len, size_t *n);
static int is_word_cp(unsigned long cp);

/* Skips leading emoji, arrows and other symbols, and the spaces after. */
static const char *skip_symbols(const char *p, const char *end)
{
	while (p < end) {
		size_t n;
		unsigned long cp = decode_utf8((const unsigned char *)p,
					       (size_t)(end - p), &n);

		if (cp != ' ' && (cp < 0x80 || is_word_cp(cp)))
			break;
		p += n;
	}
	return p;
}

/* True for the punctuation that ends a heading and is not part of it. */
static size_t trailing_punctuation(const char *p, const char *end)
{
	static const char *const wide[] = { "\u3002", "\uff0e", "\uff0c",
					    "\uff1a", "\uff1b", "\uff01",
					    "\uff1f", "\u3001", "\u2026",
					    NULL };

	if (end > p && strchr(":.;,!? ", end[-1]))
		return 1;
	/* Each wide mark ends in a byte of 0x80 or more: none ends in ASCII. */
	if (end == p || (unsigned char)end[-1] < 0x80)
		return 0;
	for (size_t i = 0; wide[i]; i++) {
		size_t n = strlen(wide[i]);

		if ((size_t)(end - p) >= n && !memcmp(end - n, wide[i], n))
			return n;
	}
	return 0;
}

/* The emphasis and code markers that normalisation drops. */
static int is_marker(unsigned long cp)
{
	return cp == '*' || cp == '_' || cp == '`' || cp == '#';
}

/* White_Space, with the ASCII cases decided here (they are most). */
static int is_space_cp(unsigned long cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= '\t' && cp <= '\r');
	return pe_unicode_is_space(cp);
}

/* An ASCII byte other than a control, a space or a marker: kept as is. */
static int is_plain_ascii(unsigned char c)
{
	return c > ' ' && c < 0x80 && !is_marker(c);
}

/*
 * The length of the plain ASCII at s, with the lone spaces between its
 * characters: bytes that strip_markers copies unchanged.
 */
static size_t plain_ascii_span(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		if (is_plain_ascii(u[i]))
			i++;
		else if (u[i] == ' ' && i && i + 1 < len &&
			 is_plain_ascii(u[i + 1]))
			i += 2;
		else
			break;
	}
	return i;
}

/* Starts a run of kept bytes at i, after the one space a gap left. */
static void begin_run(struct pe_buf *out, int *space, size_t *run, size_t i)
{
	if (*space)
		pe_buf_addc(out, ' ');
	*space = 0;
	*run = i;
}

/*
 * Drops emphasis and code markers and collapses white space (Unicode
 * White_Space) into single spaces, keeping every other byte.  Kept bytes
 * are appended a run at a time, not one character at a time; plain ASCII
 * is measured in one tight loop, and every other character goes through
 * the character rule below.
 */
static void strip_markers(const char *s, size_t len, struct pe_buf *out)
{
	int space = 0;
	size_t n, run = 0, run_len = 0; /* kept bytes not yet appended */

	for (size_t i = 0; i < len; i += n) {
		unsigned long cp = (unsigned char)s[i];

		n = 1;
		if (is_plain_ascii((unsigned char)cp)) {
			n = plain_ascii_span(s + i, len - i);
			if (!run_len)
				begin_run(out, &space, &run, i);
			run_len += n;
			continue;
		}
		if (cp >= 0x80) {
			n = pe_utf8_decode(s + i, len - i, &cp);
			if (!n) {
				/* Not UTF-8: kept, and folded to U+FFFD later. */
				n = 1;
				cp = 0xfffd;
			}
		}
		if (is_marker(cp)) {
			if (run_len)
				pe_buf_add(out, s + run, run_len);
			run_len = 0;
			continue;
		}
		if (is_space_cp(cp)) {
			unsigned char next =
				i + 1 < len ? (unsigned char)s[i + 1] : 0x80;

			/*
			 * One ' ' between kept ASCII characters is what the
			 * collapsing would write anyway: it stays in the run.
			 */
			if (cp == ' ' && run_len && next < 0x80 &&
			    !is_marker(next) && !is_space_cp(next)) {
				run_len++;
				continue;
			}
			if (run_len)
				pe_buf_add(out, s + run, run_len);
			run_len = 0;
			space = out->len > 0;
			continue;
		}
		if (!run_len)
			begin_run(out, &space, &run, i);
		run_len += n;
	}
	if (run_len)
		pe_buf_add(out, s + run, run_len);
}

/* Normalises s into out (reset first) through scratch; see markdown.h. */
static void normalize_with(const char *s, size_t len,
			   struct norm_scratch *scratch, struct pe_buf *out)
{
	const char *p, *end;
	size_t cut;

	pe_buf_reset(out);
	pe_buf_reset(&scratch->stripped);
	pe_buf_reset(&scratch->folded);
	strip_markers(s, len, &scratch->stripped);
	/* The scratch buffers have no maximum: it always fits. */
	pe_unicode_fold(pe_buf_str(&scratch->stripped), scratch->stripped.len,
			&scratch->folded);
	p = pe_buf_str(&scratch->folded);
	end = p + scratch->folded.len;
	p = skip_symbols(p, end);
	p = skip_numbering(p, end);
	while ((cut = trailing_punctuation(p, end)) != 0)
		end -= cut;
	pe_buf_add(out, p, (size_t)(end - p));
}

/* Normalises for matching; see markdown.h. */
void pe_md_normalize(const char *s, size_t len, struct pe_buf *out)
{
	struct norm_scratch scratch;

	pe_buf_init(&scratch.stripped, 0);
	pe_buf_init(&scratch.folded, 0);
	normalize_with(s, len, &scratch, out);
	pe_buf_release(&scratch.folded);
	pe_buf_release(&scratch.stripped);
}

/* Matches a heading against a required name; see markdown.h. */
int pe_md_heading_matches(const char *heading_norm, const char *name_norm)
{
	size_t n = strlen(name_norm), k;
	unsigned long cp;

	if (!n || strncmp(heading_norm, name_norm, n))
		return 0;
	if (!heading_norm[n])
		return 1;
	/* The name must end a word: the character after it is no letter. */
	k = pe_utf8_decode(heading_norm + n, strlen(heading_norm + n), &cp);
	return !is_word_cp(k ? cp : 0xfffd);
}

/*
 * Decodes one character at p with the one UTF-8 decoder; a byte that
 * starts no well-formed character decodes alone, as U+FFFD.
 */
static unsigned long decode_utf8(const unsigned char *p, size_t len, size_t *n)
{
	unsigned long cp;
	size_t k = pe_utf8_decode((const char *)p, len, &cp);

	*n = k ? k : 1;
	return k ? cp : 0xfffd;
}

/*
 * True for characters that make up words: letters, marks and digits of
 * any script (pe_unicode_in_word, whose rule pe_unicode_next_word
 * follows too).  Punctuation, symbols, arrows, dashes, box drawing and
 * emoji are not, and neither are the variation selectors that follow an
 * emoji.  ASCII is looked up here, for speed.
 */
static int is_word_cp(unsigned long cp)
{
	if (cp < 0x80)
		return (int)word_byte((unsigned char)cp);
	return pe_unicode_in_word(cp);
}

#ifdef __SSE2__
/*
 * The number of bits set in a mask, in a few register operations:
 * without -mpopcnt, __builtin_popcountll is a call into libgcc.
 */
static size_t bits_set(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (size_t)((x * 0x0101010101010101ULL) >> 56);
}
#endif

/*
 * Counts words: runs of letters, marks and digits, character by
 * character, so that "expand — contract" is two words, and each CJK
 * character on its own (pe_unicode_stands_alone), so that "日本語" is
 * three.  Blocks of plain ASCII take a 64-byte, then a 16-byte path (which
 * also takes the ASCII bytes before a character that is not, so that
 * only that character goes the slow way); the length and min_words
 * checks run this over whole answers.
 */
size_t pe_md_count_words(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t words = 0, i = 0;
	unsigned prev = 0; /* was the character before i part of a word? */

	while (i < len) {
		size_t n;
		unsigned long cp;
		unsigned w;

#ifdef __SSE2__
		uint64_t m64;

		if (i + 64 <= len &&
		    pe_unicode_ascii_word_bits64((const char *)(p + i), &m64)) {
			words += bits_set(m64 & ~((m64 << 1) | prev));
			prev = (unsigned)(m64 >> 63);
			i += 64;
			continue;
		}
		if (i + 16 <= len) {
			__m128i v = _mm_loadu_si128(
				(const __m128i *)(const void *)(p + i));
			unsigned high = (unsigned)_mm_movemask_epi8(v);
			/* The ASCII bytes before the first that is not. */
			unsigned ascii =
				high ? (unsigned)__builtin_ctz(high) : 16;

			if (ascii) {
				unsigned m = pe_unicode_ascii_word_bits(
						     (const char *)(p + i)) &
					     ((1u << ascii) - 1);
				unsigned starts = m & ~((m << 1) | prev);

				words += bits_set(starts);
				prev = (m >> (ascii - 1)) & 1u;
				i += ascii;
				continue;
			}
		}
#endif
		cp = decode_utf8(p + i, len - i, &n);
		i += n;
		if (pe_unicode_stands_alone(cp)) {
			/* A CJK character is a word of its own. */
			words++;
			prev = 0;
			continue;
		}
		w = (unsigned)is_word_cp(cp);
		words += w & ~prev & 1u;
		prev = w;
	}
	return words;
}

/*
 * The HTML renderer: md4c's callbacks write fixed tags, and every byte of
 * the input reaches the output only through the caller's escaper.
 */
struct md_render {
	struct pe_buf *out;
	pe_md_escape_fn escape;
};

static const char *const heading_tags[] = {
	"h1", "h2", "h3", "h4", "h5", "h6"
};

/* The tag of a block (NULL for the document), or "hN" for a heading. */
static const char *block_tag(MD_BLOCKTYPE type, void *detail)
{
	switch (type) {
	case MD_BLOCK_QUOTE:
		return "blockquote";
	case MD_BLOCK_UL:
		return "ul";
	case MD_BLOCK_OL:
		return "ol";
	case MD_BLOCK_LI:
		return "li";
	case MD_BLOCK_H: {
		unsigned level = ((MD_BLOCK_H_DETAIL *)detail)->level;

		return heading_tags[level >= 1 && level <= 6 ? level - 1 : 5];
	}
	case MD_BLOCK_P:
		return "p";
	case MD_BLOCK_TABLE:
		return "table";
	case MD_BLOCK_THEAD:
		return "thead";
	case MD_BLOCK_TBODY:
		return "tbody";
	case MD_BLOCK_TR:
		return "tr";
	case MD_BLOCK_TH:
		return "th";
	case MD_BLOCK_TD:
		return "td";
	default:
		return NULL;
	}
}

static int render_enter_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct md_render *r = userdata;
	const char *tag = block_tag(type, detail);

	/*
	 * Under MD_FLAG_NOHTML md4c reports no HTML block (raw HTML comes
	 * as text, escaped); were one reported, it would show as code,
	 * never as markup.
	 */
	if (type == MD_BLOCK_HR)
		pe_buf_adds(r->out, "<hr>\n");
	else if (type == MD_BLOCK_CODE || type == MD_BLOCK_HTML)
		pe_buf_adds(r->out, "<pre class=\"md-code\"><code>");
	else if (tag)
		/* Containers start a line of their own; leaves hold text. */
		pe_buf_addf(r->out, "<%s>%s", tag,
			    type == MD_BLOCK_QUOTE || type == MD_BLOCK_UL ||
					    type == MD_BLOCK_OL ||
					    type == MD_BLOCK_TABLE ||
					    type == MD_BLOCK_THEAD ||
					    type == MD_BLOCK_TBODY ||
					    type == MD_BLOCK_TR
				    ? "\n"
				    : "");
	return 0;
}

static int render_leave_block(MD_BLOCKTYPE type, void *detail, void *userdata)
{
	struct md_render *r = userdata;
	const char *tag = block_tag(type, detail);

	if (type == MD_BLOCK_CODE || type == MD_BLOCK_HTML)
		pe_buf_adds(r->out, "</code></pre>\n");
	else if (tag)
		pe_buf_addf(r->out, "</%s>\n", tag);
	return 0;
}

/* Whether a link target is http: or https: (the only ones kept). */
static int is_web_url(const MD_ATTRIBUTE *href)
{
	static const char *const schemes[] = { "http://", "https://" };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(schemes[i]);

		size_t k = 0;

		while (k < n && k < href->size &&
		       tolower((unsigned char)href->text[k]) == schemes[i][k])
			k++;
		if (k == n && href->size > n)
			return 1;
	}
	return 0;
}

static int render_enter_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct md_render *r = userdata;

	switch (type) {
	case MD_SPAN_EM:
		pe_buf_adds(r->out, "<em>");
		break;
	case MD_SPAN_STRONG:
		pe_buf_adds(r->out, "<strong>");
		break;
	case MD_SPAN_CODE:
		pe_buf_adds(r->out, "<code>");
		break;
	case MD_SPAN_DEL:
		pe_buf_adds(r->out, "<del>");
		break;
	case MD_SPAN_A: {
		const MD_ATTRIBUTE *href = &((MD_SPAN_A_DETAIL *)detail)->href;

		if (!is_web_url(href)) {
			pe_buf_adds(r->out, "<span class=\"md-link\">");
			break;
		}
		pe_buf_adds(r->out, "<a href=\"");
		r->escape(r->out, href->text, href->size);
		pe_buf_adds(r->out, "\" rel=\"noopener noreferrer nofollow\">");
		break;
	}
	case MD_SPAN_IMG:
		pe_buf_adds(r->out, "<span class=\"md-img\">[image: ");
		break;
	default:
		break;
	}
	return 0;
}

static int render_leave_span(MD_SPANTYPE type, void *detail, void *userdata)
{
	struct md_render *r = userdata;

	switch (type) {
	case MD_SPAN_EM:
		pe_buf_adds(r->out, "</em>");
		break;
	case MD_SPAN_STRONG:
		pe_buf_adds(r->out, "</strong>");
		break;
	case MD_SPAN_CODE:
		pe_buf_adds(r->out, "</code>");
		break;
	case MD_SPAN_DEL:
		pe_buf_adds(r->out, "</del>");
		break;
	case MD_SPAN_A:
		pe_buf_adds(r->out,
			    is_web_url(&((MD_SPAN_A_DETAIL *)detail)->href)
				    ? "</a>"
				    : "</span>");
		break;
	case MD_SPAN_IMG:
		pe_buf_adds(r->out, "]</span>");
		break;
	default:
		break;
	}
	return 0;
}

static int render_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size,
		       void *userdata)
{
	struct md_render *r = userdata;
	char decoded[8];

	switch (type) {
	case MD_TEXT_NULLCHAR:
		pe_buf_adds(r->out, "\xef\xbf\xbd");
		break;
	case MD_TEXT_BR:
		pe_buf_adds(r->out, "<br>\n");
		break;
	case MD_TEXT_SOFTBR:
		pe_buf_addc(r->out, '\n');
		break;
	case MD_TEXT_ENTITY: {
		size_t n = decode_entity(text, size, decoded);

		/* An entity it does not know is shown as written, whole. */
		if (n > 1 && decoded[0] == '&')
			r->escape(r->out, text, size);
		else
			r->escape(r->out, decoded, n);
		break;
	}
	default:
		r->escape(r->out, text, size);
		break;
	}
	return 0;
}

/* Renders Markdown as safe HTML; see markdown.h. */
void pe_md_render_html(const char *text, size_t len, pe_md_escape_fn escape,
		       struct pe_buf *out)
{
	struct md_render r = { out, escape };
	MD_PARSER parser = { 0 };

	/* Raw HTML is read as text, so it is escaped like any other. */
	parser.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_NOHTML;
	parser.enter_block = render_enter_block;
	parser.leave_block = render_leave_block;
	parser.enter_span = render_enter_span;
	parser.leave_span = render_leave_span;
	parser.text = render_text;
	md_parse(text, (MD_SIZE)len, &parser, &r);
}
