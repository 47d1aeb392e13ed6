#ifndef PE_MARKDOWN_H
#define PE_MARKDOWN_H
/*
 * The Markdown scanner: the only module that uses md4c.  It parses one
 * model output once (CommonMark with GFM tables) into flat lists of the
 * structures evaluators check: headings and the sections they open, bold
 * spans, list items, tables, code blocks and raw HTML.  Every element
 * records the byte offset where it starts, so evaluators can ask which
 * section it lies in.  Bold inside code spans or fenced blocks, and list
 * markers inside fences, are not structure and never appear here.
 *
 * A struct pe_md is built by one thread and then only read; evaluators
 * share it across one output.  Offsets index the text given to
 * pe_md_parse, which must outlive the struct.
 */
#include <stddef.h>

#include "harness/core/buf.h"

struct pe_md_heading {
	unsigned level;	   /* 1-6; 0 for a bold-only paragraph */
	char *text;	   /* as rendered: no markers, entities decoded */
	char *norm;	   /* normalised for matching (pe_md_normalize) */
	size_t start;	   /* offset of the heading's first text */
	size_t body_start; /* offset after the heading line(s) */
};

struct pe_md_item {
	int ordered; /* 1 for numbered lists */
	size_t start;
};

struct pe_md_bold {
	size_t start;
};

struct pe_md_table {
	char **columns;	     /* header cells, rendered */
	char **columns_norm; /* normalised */
	size_t ncolumns;
	size_t rows; /* body rows */
	size_t start;
};

struct pe_md_code {
	char *lang; /* lower-case info word; "" when none */
	char *code; /* the block's text */
	size_t code_len;
	size_t start;
};

struct pe_md;

/* Parses len bytes of text; never fails (any text is Markdown). */
struct pe_md *pe_md_parse(const char *text, size_t len);
void pe_md_free(struct pe_md *md);

const char *pe_md_text(const struct pe_md *md, size_t *len);
const struct pe_md_heading *pe_md_headings(const struct pe_md *md, size_t *n);
const struct pe_md_item *pe_md_items(const struct pe_md *md, size_t *n);
const struct pe_md_bold *pe_md_bolds(const struct pe_md *md, size_t *n);
const struct pe_md_table *pe_md_tables(const struct pe_md *md, size_t *n);
const struct pe_md_code *pe_md_codes(const struct pe_md *md, size_t *n);
/* Number of raw HTML blocks and inline tags. */
size_t pe_md_html_count(const struct pe_md *md);

/* A byte range of the text. */
struct pe_md_range {
	size_t start;
	size_t end;
};

/*
 * Finds the sections every heading matching norm_name opens (matched
 * with pe_md_heading_matches; bold_headings lets bold-only paragraphs
 * count), each from its heading's text to the next heading of the same
 * or a higher level, in order: an answer may repeat a heading ("###
 * Rollback" in each phase), and a check of "the section Rollback" reads
 * them all.  A matching heading inside a section already found adds
 * nothing.  Returns how many (0: none) and the ranges in *out (the
 * caller frees them; NULL when none).
 */
size_t pe_md_find_sections(const struct pe_md *md, const char *norm_name,
			   int bold_headings, struct pe_md_range **out);

/*
 * The text of n sections (n >= 1) read together: the text's own bytes
 * for one, else the sections joined by a newline in joined.  Sets *len.
 */
const char *pe_md_sections_text(const struct pe_md *md,
				const struct pe_md_range *r, size_t n,
				struct pe_buf *joined, size_t *len);

/* Byte range of the body of heading i (after its line, to its section end). */
void pe_md_section_range(const struct pe_md *md, size_t i, size_t *body_start,
			 size_t *end);

/*
 * Normalises a heading or a required name for matching: case folded by
 * Unicode full case folding with NFC (harness/core/unicode.h, so "RÉSUMÉ",
 * "Résumé" and "re\u0301sume\u0301" are alike), emphasis and code markers
 * dropped, leading numbering ("1.", "2)", "Step 3:", "Phase 2 -", "IV.")
 * and symbols (emoji) and trailing punctuation (ASCII and CJK) removed,
 * white space (Unicode White_Space) collapsed.  A byte that is not UTF-8
 * becomes U+FFFD.  Writes into out (reset first).
 */
void pe_md_normalize(const char *s, size_t len, struct pe_buf *out);

/*
 * True when a normalised heading matches a normalised name: equal, or the
 * heading starts with the name followed by a character that is not a
 * letter, mark or digit of any script ("migration strategy: expand" and
 * "summary—notes" match "migration strategy" and "summary"; "résumés"
 * does not match "résumé").
 */
int pe_md_heading_matches(const char *heading_norm, const char *name_norm);

/*
 * Counts words in a byte range: runs of letters, marks and digits of any
 * script, and each CJK ideograph or kana on its own.
 */
size_t pe_md_count_words(const char *text, size_t len);

/*
 * Escapes len bytes of s for HTML text and quoted attribute values,
 * appending to out: the report's own escaper (pe_md_render_html never
 * writes a byte of its input except through it).
 */
typedef void (*pe_md_escape_fn)(struct pe_buf *out, const char *s, size_t len);

/*
 * Renders len bytes of Markdown (CommonMark with GFM tables and
 * strikethrough) as HTML for a report, appending to out.  Model output is
 * untrusted, so the only markup written is the renderer's own fixed tags
 * (p, h1-h6, ul, ol, li, blockquote, pre, code, em, strong, del, table
 * parts, hr, br); every text, raw HTML included, goes through escape and
 * shows as text.  A link becomes <a> only when its target is http: or
 * https: (the target escaped, rel="noopener noreferrer nofollow");
 * others, javascript: and data: among them, keep their text in a
 * <span class="md-link"> with no URL.  An image becomes its alt text in
 * a <span class="md-img">, so nothing is ever fetched.
 */
void pe_md_render_html(const char *text, size_t len, pe_md_escape_fn escape,
		       struct pe_buf *out);

#endif
