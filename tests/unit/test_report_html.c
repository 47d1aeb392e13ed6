/*
 * Unit tests for the HTML report (reports/html.c): a small results.json
 * whose prompt name, case id, model, judge model, output, reasons and
 * error all hold markup is loaded, sorted and aggregated, the writer runs
 * into a memory stream, and the page must hold no markup from the data:
 * every "<" must open one of the writer's own elements, the hostile
 * strings appear only escaped, there is exactly one script, the
 * Content-Security-Policy meta tag is present, and nothing names a URL.
 * tests/browser/ checks the same page in a real browser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "harness/results/aggregate.h"
#include "harness/results/compare.h"
#include "harness/core/diag.h"
#include "harness/results/resultset.h"

extern const struct pe_report_ops pe_report_html;

#define ROW(id, caseid, index, model, status, score, output, reason)           \
	"{\"id\":\"" id "\",\"prompt\":\"p <b>\\\"&'</b>\","                   \
	"\"file\":\"prompts/p.prompt.yml\",\"case\":\"" caseid "\","           \
	"\"case_index\":" index ",\"model\":\"" model "\","                    \
	"\"temperature\":0.5,\"repeat\":0,\"status\":\"" status "\","          \
	"\"score\":" score ",\"error\":null,\"call\":null,"                    \
	"\"judge\":{\"calls\":2,\"model\":\"j<script>k()</script>\\\"'&\","    \
	"\"tokens_in\":7,\"tokens_out\":null},"                                \
	"\"output\":\"" output "\",\"evaluators\":[{\"name\":\"<u>ev</u>\","   \
	"\"kind\":\"regex\",\"status\":\"" status "\",\"score\":" score ","    \
	"\"weight\":1,\"negate\":false,\"reason\":\"" reason "\"}]}"

#define ROW_ERROR                                                              \
	"{\"id\":\"c000000000000003\",\"prompt\":\"p <b>\\\"&'</b>\","         \
	"\"file\":\"prompts/p.prompt.yml\",\"case\":\"down\","                 \
	"\"case_index\":2,\"model\":\"m\\\"><x\",\"temperature\":0.5,"         \
	"\"repeat\":0,\"status\":\"error\",\"score\":null,"                    \
	"\"error\":\"HTTP 500 <script>e()</script>\",\"call\":null,"           \
	"\"output\":null,\"evaluators\":[]}"

#define INPUT_DOC                                                                      \
	"{\"schema_version\":1,\"tool\":\"prompteval 0.1.0\","                         \
	"\"command\":\"score\",\"plan\":null,\"results\":[\n" ROW(                     \
		"c000000000000001", "<i>x</i>", "0", "m\\\"><x", "fail", "0",          \
		"<script>alert(1)</script> <img src=x onerror=\\\"a()\\\"> "           \
		"[l](javascript:a()) \\u0001 \xff bad",                                \
		"matched <script> & \\\"q\\\"") ",\n" ROW("c000000000000002",          \
							  "ok", "1",                   \
							  "openai:gpt-4o-"             \
							  "mini",                      \
							  "pass", "1",                 \
							  "<a "                        \
							  "href=\\\"https://"          \
							  "example.com/"               \
							  "\\\">fine</a>",             \
							  "no <match>") ","            \
									"\n" ROW_ERROR \
									"\n],"         \
									"\"su"         \
									"mmar"         \
									"y\":"         \
									"{\"t"         \
									"otal"         \
									"\":"          \
									"3,"           \
									"\"pa"         \
									"ss\""         \
									":1,"          \
									"\"fa"         \
									"il\""         \
									":1,"          \
									"\"er"         \
									"ror"          \
									"\":"          \
									"1,"           \
									"\"sk"         \
									"ip\""         \
									":0,"          \
									"\"pa"         \
									"ss_"          \
									"rate"         \
									"\":"          \
									"0.5}"         \
									"}\n"

/* The elements the writer itself opens. */
static const char *const own_tags[] = {
	"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1",
	"h2", "h3", "p", "section", "table", "thead", "tbody", "tr", "th", "td",
	"span", "div", "pre", "ul", "li", "label", "select", "option", "button",
	"script", "h4", "del", "ins", "details", "summary", "input",
	/* What pe_md_render_html writes of an output's Markdown. */
	"code", "em", "strong", "ol", "h5", "h6", "hr", "br", "blockquote", NULL
};

struct fixture {
	char dir[64];
	char path[128];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;
	char *page;
};

/* Renders rs with its aggregate and cmp (NULL for none) into a new string. */
static char *render(const struct pe_resultset *rs,
		    const struct pe_aggregate *agg,
		    const struct pe_comparison *cmp)
{
	struct pe_report_input in = { .rs = rs, .agg = agg, .comparison = cmp };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	void *st;

	assert_non_null(out);
	st = pe_report_html.begin(&in, out);
	assert_non_null(st);
	for (size_t i = 0; i < pe_resultset_count(rs); i++)
		pe_report_html.add(st, pe_resultset_get(rs, i));
	assert_int_equal(pe_report_html.end(st), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static char *run_writer(const struct fixture *f)
{
	return render(f->rs, f->agg, NULL);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pe_diag *diag = pe_diag_new();
	FILE *fp;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pe-test-html-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/results.json", f->dir);
	fp = fopen(f->path, "wb");
	if (!fp)
		return -1;
	fputs(INPUT_DOC, fp);
	fclose(fp);
	f->rs = pe_resultset_load(f->path, diag);
	if (!f->rs)
		pe_diag_print(diag, stderr);
	pe_diag_free(diag);
	if (!f->rs)
		return -1;
	pe_resultset_sort(f->rs);
	f->agg = pe_aggregate_new(pe_resultset_rows(f->rs),
				  pe_resultset_count(f->rs), NULL);
	f->page = run_writer(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->page);
	pe_aggregate_free(f->agg);
	pe_resultset_free(f->rs);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pe_report_html.name, "html");
	assert_string_equal(pe_report_html.file_name, "report.html");
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * Every "<" in page opens or closes one of the writer's own elements, and
 * there is one script.
 */
static void check_no_markup(const char *page)
{
	for (const char *p = page; (p = strchr(p, '<')); p++) {
		const char *name;
		size_t len = 0;
		int known = 0;

		/* The script's own text is the writer's, not data. */
		if (!strncmp(p, "<script>", 8))
			p = strstr(p, "</script>");
		assert_non_null(p);
		name = p[1] == '/' ? p + 2 : p + 1;

		while (isalnum((unsigned char)name[len]) || name[len] == '!')
			len++;
		for (size_t i = 0; own_tags[i]; i++)
			known |= strlen(own_tags[i]) == len &&
				 !strncmp(own_tags[i], name, len);
		if (!known)
			fail_msg("markup from data: %.40s", p);
	}
	assert_int_equal(count(page, "<script"), 1);
	assert_int_equal(count(page, "</script>"), 1);
}

static void test_no_markup_from_data(void **state)
{
	const struct fixture *f = *state;

	check_no_markup(f->page);
}

static void test_escaped(void **state)
{
	const struct fixture *f = *state;
	static const char *const want[] = {
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&lt;img src=x onerror=&quot;a()&quot;&gt;",
		"[l](javascript:a())  \xef\xbf\xbd bad",
		"p &lt;b&gt;&quot;&amp;&#39;&lt;/b&gt;",
		"&lt;i&gt;x&lt;/i&gt;",
		"data-model=\"m&quot;&gt;&lt;x\"",
		"<option value=\"m&quot;&gt;&lt;x\">",
		"matched &lt;script&gt; &amp; &quot;q&quot;",
		"&lt;u&gt;ev&lt;/u&gt;",
		"HTTP 500 &lt;script&gt;e()&lt;/script&gt;",
		"&lt;a href=&quot;https://example.com/&quot;&gt;",
		"<p class=\"judge\">judged by <span class=\"judge-model\">"
		"j&lt;script&gt;k()&lt;/script&gt;&quot;&#39;&amp;</span>: "
		"2 calls, 7 tokens in, ? out</p>",
		"<p id=\"judges\">Judges: 4 calls, 14 tokens in, 0 out.</p>",
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(f->page, want[i]))
			fail_msg("missing escaped text: %s", want[i]);
	/* A control character is dropped, never written. */
	assert_null(strchr(f->page, '\x01'));
}

static void test_csp_and_no_urls(void **state)
{
	const struct fixture *f = *state;

	assert_non_null(strstr(f->page, "<meta http-equiv=\"Content-Security-"
					"Policy\" content=\"default-src "
					"'none'; style-src 'unsafe-inline'; "
					"script-src 'sha256-"));
	assert_non_null(strstr(f->page, "'; img-src 'none'; base-uri 'none'; "
					"form-action 'none'\">"));
	/*
	 * The only URL-like text is the escaped one from the data, in the
	 * rendered Markdown and in the exact text.
	 */
	assert_int_equal(count(f->page, "http:"), 0);
	assert_int_equal(count(f->page, "https:"), 2);
	assert_non_null(strstr(f->page, "&quot;https://example.com/&quot;"));
	assert_null(strstr(f->page, " src=\""));
	assert_null(strstr(f->page, " href=\""));
	assert_null(strstr(f->page, "url("));
	assert_null(strstr(f->page, "@import"));
}

static void test_structure(void **state)
{
	const struct fixture *f = *state;

	/* Two cells (one per model), three results in three cases. */
	assert_int_equal(count(f->page, "<td class=\"heat"), 2);
	assert_int_equal(count(f->page, "<div class=\"out "), 3);
	assert_int_equal(count(f->page, "<details class=\"case\""), 3);
	/* Each case has a column for each of the prompt's two models. */
	assert_int_equal(count(f->page, "<div class=\"col\""), 6);
	assert_non_null(strstr(f->page, "No baseline was given."));
	assert_non_null(strstr(f->page, "<select id=\"f-status\">"));
}

static void test_deterministic(void **state)
{
	const struct fixture *f = *state;
	char *again = run_writer(f);

	assert_string_equal(again, f->page);
	free(again);
}

/* A row of prompt "p" for the baseline tests; output is JSON-escaped. */
#define BROW(caseid, index, status, score, output, reason)                     \
	"{\"id\":\"" caseid "\",\"prompt\":\"p\","                             \
	"\"file\":\"prompts/p.prompt.yml\",\"case\":\"" caseid "\","           \
	"\"case_index\":" index ",\"model\":\"m\",\"temperature\":0,"          \
	"\"repeat\":0,\"status\":\"" status "\",\"score\":" score ","          \
	"\"error\":null,\"call\":null,\"output\":\"" output "\","              \
	"\"evaluators\":[{\"name\":\"ev\",\"kind\":\"regex\",\"status\":"      \
	"\"" status "\",\"score\":" score ",\"weight\":1,\"negate\":false,"    \
	"\"reason\":\"" reason "\"}]}"

#define DOC_HEAD                                                               \
	"{\"schema_version\":1,\"tool\":\"prompteval 0.1.0\","                 \
	"\"command\":\"run\",\"plan\":null,\"results\":[\n"
#define DOC_TAIL                                                               \
	"\n],\"summary\":{\"total\":3,\"pass\":0,\"fail\":0,\"error\":0,"      \
	"\"skip\":0,\"pass_rate\":null}}\n"

static const char base_doc[] = DOC_HEAD BROW(
	"reg", "0", "pass", "1", "line one\\nline two\\nline three\\nline four",
	"found it") ",\n" BROW("imp", "1", "fail", "0", "same",
			       "not found") ",\n" BROW("eq", "2", "pass", "1",
						       "x\\ny", "found it")
	DOC_TAIL;

static const char head_doc[] = DOC_HEAD BROW(
	"reg", "0", "fail", "0",
	"line one\\nline 2 <script>alert(1)</script>\\nline "
	"three\\nline four\\nextra\\n",
	"no match in <b>") ",\n" BROW("imp", "1", "pass", "1", "same\\nbetter",
				      "found it") ",\n" BROW("eq", "2", "pass",
							     "1", "x\\ny",
							     "found it")
	DOC_TAIL;

/* Writes text to dir/name and loads it, sorted; fails the test if not. */
static struct pe_resultset *load_doc(const char *dir, const char *name,
				     const char *text)
{
	char path[160];
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	rs = pe_resultset_load(path, diag);
	if (!rs)
		pe_diag_print(diag, stderr);
	pe_diag_free(diag);
	unlink(path);
	assert_non_null(rs);
	pe_resultset_sort(rs);
	return rs;
}

/* Renders head against base into a new page. */
static char *render_against(const char *base_text, const char *head_text)
{
	char dir[64];
	struct pe_resultset *base, *head;
	struct pe_aggregate *agg;
	struct pe_comparison *cmp;
	char *page;

	snprintf(dir, sizeof(dir), "/tmp/pe-test-html-XXXXXX");
	assert_non_null(mkdtemp(dir));
	base = load_doc(dir, "base.json", base_text);
	head = load_doc(dir, "head.json", head_text);
	rmdir(dir);
	agg = pe_aggregate_new(pe_resultset_rows(head),
			       pe_resultset_count(head), NULL);
	cmp = pe_compare_new(base, head);
	page = render(head, agg, cmp);
	pe_comparison_free(cmp);
	pe_aggregate_free(agg);
	pe_resultset_free(head);
	pe_resultset_free(base);
	return page;
}

static void test_baseline_diff(void **state)
{
	char *page = render_against(base_doc, head_doc);
	const char *reg, *imp;

	(void)state;
	assert_null(strstr(page, "No baseline was given."));
	/* The changed lines are marked, the others are not. */
	assert_non_null(strstr(page,
			       "<pre class=\"diff\">line one\n"
			       "<del>line two</del>\n"
			       "<ins>line 2 &lt;script&gt;alert(1)&lt;/script"
			       "&gt;</ins>\n"
			       "line three\nline four\n<ins>extra</ins>\n"
			       "</pre>"));
	assert_non_null(strstr(page, "<pre class=\"diff\">same\n"
				     "<ins>better</ins>\n</pre>"));
	assert_null(strstr(page, "<del>line one"));
	assert_null(strstr(page, "<ins>line one"));
	assert_null(strstr(page, "<del>line three"));
	assert_null(strstr(page, "<ins>line four"));
	assert_null(strstr(page, "<del>same"));
	/* The model's script tag appears only escaped. */
	check_no_markup(page);
	assert_null(strstr(page, "<script>alert"));
	/* Regressions first, then improvements; the unchanged case has none. */
	reg = strstr(page,
		     "<h3 id=\"baseline-regressed\">Regressions (1)</h3>");
	imp = strstr(page, "<h3 id=\"baseline-improved\">Improvements (1)"
			   "</h3>");
	assert_non_null(reg);
	assert_non_null(imp);
	assert_true(reg < imp);
	assert_int_equal(count(page, "<div class=\"change "), 2);
	assert_non_null(strstr(page, "class=\"change change-regressed\" "
				     "id=\"baseline-case-0\""));
	assert_non_null(strstr(page, "passed 1/1 \xe2\x86\x92 0/1; mean score "
				     "1.00 \xe2\x86\x92 0.00 (-1.00)"));
	/* The reasons that changed, escaped. */
	assert_non_null(strstr(page, "was: <span class=\"ev-reason\">found it"
				     "</span>; now: <span class=\"ev-reason\">"
				     "no match in &lt;b&gt;</span>"));
	assert_non_null(strstr(page, "<p id=\"baseline-verdict\">Overall: "
				     "1 regressed, 1 improved, 1 unchanged of "
				     "3 cases"));
	free(page);
}

/* A new results document whose one row has an output of lines lines. */
static char *long_doc(size_t lines, const char *word)
{
	static const char head[] =
		DOC_HEAD "{\"id\":\"big\",\"prompt\":\"p\","
			 "\"file\":\"prompts/p.prompt.yml\",\"case\":\"big\","
			 "\"case_index\":0,\"model\":\"m\",\"temperature\":0,"
			 "\"repeat\":0,\"status\":\"";
	size_t size = sizeof(head) + lines * (strlen(word) + 2) + 512;
	char *doc = malloc(size);
	size_t len;

	assert_non_null(doc);
	len = (size_t)snprintf(doc, size,
			       "%s%s\",\"score\":%s,\"error\":null,"
			       "\"call\":null,\"output\":\"",
			       head, *word == 'a' ? "pass" : "fail",
			       *word == 'a' ? "1" : "0");
	for (size_t i = 0; i < lines; i++)
		len += (size_t)snprintf(doc + len, size - len, "%s\\n", word);
	snprintf(doc + len, size - len, "\",\"evaluators\":[]}%s", DOC_TAIL);
	return doc;
}

static void test_baseline_too_long(void **state)
{
	char *base = long_doc(2001, "a");
	char *head = long_doc(3, "b");
	char *page = render_against(base, head);

	(void)state;
	assert_non_null(strstr(page, "No diff: an output has more than 2000 "
				     "lines; both are shown whole."));
	assert_null(strstr(page, "<pre class=\"diff\">"));
	assert_null(strstr(page, "<del>"));
	/* Both outputs, whole, after the note. */
	assert_int_equal(count(page, "<pre class=\"output\">"), 3);
	check_no_markup(page);
	free(page);
	free(base);
	free(head);
}

static void test_baseline_deterministic(void **state)
{
	char *page = render_against(base_doc, head_doc);
	char *again = render_against(base_doc, head_doc);

	(void)state;
	assert_string_equal(page, again);
	free(page);
	free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_markup_from_data),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_csp_and_no_urls),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_baseline_diff),
		cmocka_unit_test(test_baseline_too_long),
		cmocka_unit_test(test_baseline_deterministic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
