#ifndef PE_UNICODE_H
#define PE_UNICODE_H
/*
 * Unicode text rules beyond decoding: case folding with NFKC normalisation,
 * white space, trimming, word characters, grapheme clusters, and the
 * width of a character on a terminal.  The string evaluators
 * (evaluators/string.c) use it to compare answers without case, as
 * gh-models does, and to trim them as Go's strings.TrimSpace does; the
 * Markdown scanner (evaluators/markdown.c) to match headings and column
 * names and to count words in any script; the length evaluator to count
 * characters; the terminal printer (harness/core/message.h) counts columns
 * with it, so tables of names line up.  This module is the one place that
 * uses utf8proc; characters are decoded with the one UTF-8 decoder
 * (harness/core/utf8.h).
 *
 * Arguments are borrowed; pe_unicode_trim returns a pointer into its
 * argument.
 */
#include <stddef.h>
#include <stdint.h>

#include "harness/core/buf.h"

/*
 * Appends the case-folded form of s (len bytes) to out: Unicode full case
 * folding (ß becomes ss, final sigma becomes σ, K becomes k, İ becomes i
 * followed by U+0307), then compatibility composition (NFKC), so a letter
 * written with a combining mark and its precomposed form fold alike, and
 * so do a fullwidth letter and its ASCII one, a ligature and its letters;
 * and the default ignorable characters (zero-width space and joiners, the
 * soft hyphen, the word joiner, variation selectors) are dropped.  These
 * are utf8proc's UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE | UTF8PROC_STABLE |
 * UTF8PROC_COMPAT | UTF8PROC_IGNORE.  Two texts that differ only in case,
 * width or invisible characters fold to the same bytes.
 *
 * Invalid UTF-8 never stops it or cuts the text: each byte that does not
 * start a well-formed character (pe_utf8_decode) becomes U+FFFD, as Go's
 * strings.ToLower does, so the result is always well-formed UTF-8.  NUL
 * bytes are characters like any other.  ASCII is folded without utf8proc,
 * so mostly-ASCII text folds at the speed of a copy.
 *
 * Returns 0, or PE_ERR_LIMIT when out's maximum would be exceeded (out
 * then holds what it held before; folding makes text at most
 * PE_UNICODE_FOLD_GROWTH times longer, so room for that many times len
 * more bytes always suffices) or, for text of more than 2^59 bytes,
 * when utf8proc cannot size it.
 */
int pe_unicode_fold(const char *s, size_t len, struct pe_buf *out);

/*
 * pe_unicode_fold, setting *invalid to the bytes of s that are not
 * UTF-8 (each folded to U+FFFD), as pe_unicode_invalid_bytes counts them,
 * so that a caller that folds a text need not read it again to count.
 */
int pe_unicode_fold_count(const char *s, size_t len, struct pe_buf *out,
			  size_t *invalid);

/*
 * How many times longer folding makes text at most: compatibility
 * composition makes 33 bytes of the 3 of U+FDFA (test_unicode.c checks
 * every character); an invalid byte becomes the 3 of U+FFFD.
 */
enum { PE_UNICODE_FOLD_GROWTH = 11 };

/*
 * Appends the canonical composition (NFC) of s (len bytes) to out, case
 * kept: pe_unicode_fold without the folding, with the same handling of
 * invalid UTF-8 (U+FFFD) and the same return values.
 */
int pe_unicode_compose(const char *s, size_t len, struct pe_buf *out);

/*
 * True for a character that folding and NFC leave as it is, whatever
 * comes before or after it: it has no case, no canonical or compatibility
 * mapping, it is not ignorable nor a combining character, and nothing
 * composes with it as the second of a pair.  These are the punctuation,
 * spaces, arrows, math and technical signs, box drawing, dingbats and
 * emoji that model output is full of, copied by pe_unicode_fold instead
 * of going through utf8proc.
 */
int pe_unicode_inert(unsigned long cp);

/*
 * Returns 1 when cp has the Unicode White_Space property, as Go's
 * unicode.IsSpace: tab, LF, vertical tab, form feed, CR, space, U+0085,
 * U+00A0, U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F and
 * U+3000.  Zero-width space (U+200B) and the byte order mark are not.
 */
int pe_unicode_is_space(unsigned long cp);

/*
 * Trims white space (pe_unicode_is_space) from both ends of s (*len
 * bytes), as Go's strings.TrimSpace: returns where the trimmed text
 * starts and stores its length in *len.  Bytes that are not well-formed
 * UTF-8 are not white space, so trimming stops at them.
 */
const char *pe_unicode_trim(const char *s, size_t *len);

/*
 * Returns 1 when cp belongs in a word: a letter, a mark, a digit or other
 * number, or connector punctuation such as '_' (Unicode categories L, M,
 * N and Pc).  Quotes, dashes, spaces and other punctuation do not.
 */
int pe_unicode_is_word(unsigned long cp);

/*
 * Returns 1 when cp is part of a word as prompteval counts words: an
 * ASCII letter or digit ("pg_dump" is two words, "v14.2" two), or, past
 * ASCII, a letter, mark, digit or connector (pe_unicode_is_word) but not
 * a variation selector that follows an emoji.
 */
int pe_unicode_in_word(unsigned long cp);

/*
 * Finds the next word of s (len bytes) at or after *at: a run of
 * characters in words (pe_unicode_in_word), or one character that stands
 * alone (pe_unicode_stands_alone).  A byte that is not UTF-8 ends a word.
 * Returns 1 and sets *start and *end (byte offsets; *at becomes *end), or
 * returns 0 when there is none.  The Markdown scanner counts words by the
 * same rule (evaluators/markdown.c).
 */
int pe_unicode_next_word(const char *s, size_t len, size_t *at, size_t *start,
			 size_t *end);

#ifdef __SSE2__
/*
 * The ASCII letters and digits among the 16 bytes at s, one bit each
 * (bit k for s[k]); a byte past ASCII is neither.  The word finders and
 * the Markdown word count read plain ASCII sixteen bytes at a time.
 */
unsigned pe_unicode_ascii_word_bits(const char *s);

/*
 * The same for the 64 bytes at s (bit k for s[k]) into *bits, when all
 * are ASCII; returns 0 (and leaves *bits) when one is not.
 */
int pe_unicode_ascii_word_bits64(const char *s, uint64_t *bits);
#endif

/*
 * Finds up to max words of s (len bytes) from *at on, the same words as
 * calls of pe_unicode_next_word would find, faster where s is ASCII:
 * stores their byte offsets in starts[] and ends[] (room for max each),
 * moves *at past the last (perhaps past bytes between words after it,
 * never into a word), and returns how many it found, 0 only when there
 * are no more (*at is then len).  *at must not lie inside a word.
 */
size_t pe_unicode_next_words(const char *s, size_t len, size_t *at,
			     size_t *starts, size_t *ends, size_t max);

/*
 * Returns 1 when cp makes a word on its own: a character of the scripts
 * written without spaces between words whose every character is counted
 * as a word, as word processors count them: CJK ideographs (with their
 * extensions and compatibility forms), Hiragana, Katakana (full and half
 * width) and Bopomofo.  Hangul is written with spaces and is not.
 * NEEDSWORK: Thai, Lao, Khmer and Myanmar are written without spaces too,
 * but their words need a dictionary; a run of them counts as one word.
 */
int pe_unicode_stands_alone(unsigned long cp);

/*
 * Counts the characters of s (len bytes) as a reader sees them: extended
 * grapheme clusters (UAX #29), so "é" is one character whether written
 * precomposed or as "e" and a combining accent, and so is a flag or an
 * emoji family.  Each byte that does not start a well-formed character
 * counts as one (U+FFFD); *invalid (when not NULL) receives how many
 * such bytes there were.
 */
size_t pe_unicode_graphemes(const char *s, size_t len, size_t *invalid);

/* The number of bytes of s (len bytes) that are not well-formed UTF-8. */
size_t pe_unicode_invalid_bytes(const char *s, size_t len);

/*
 * Returns the number of terminal columns cp takes, as wcwidth(3) counts
 * them in a UTF-8 locale but from utf8proc's tables, so the count does
 * not depend on the locale: 2 for wide and full-width characters (CJK,
 * most emoji), 0 for combining marks and other characters that take no
 * column of their own (and for what is not printable), 1 otherwise.
 */
int pe_unicode_width(unsigned long cp);

/* The version of utf8proc in use, for --version. */
const char *pe_unicode_version(void);

#endif
