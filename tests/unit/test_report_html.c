/*
 * Unit tests for the HTML report (reports/html.c): a small results.json
 * whose prompt name, case id, model, output, reasons and error all hold
 * markup is loaded, sorted and aggregated, the writer runs into a memory
 * stream, and the page must hold no markup from the data: every "<" must
 * open one of the writer's own elements, the hostile strings appear only
 * escaped, there is exactly one script, the Content-Security-Policy meta
 * tag is present, and nothing names a URL.  tests/browser/ checks the
 * same page in a real browser.
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

#include "../reports/report.h"
#include "aggregate.h"
#include "diag.h"
#include "resultset.h"

extern const struct pe_report_ops pe_report_html;

#define ROW(id, caseid, index, model, status, score, output, reason)           \
	"{\"id\":\"" id "\",\"prompt\":\"p <b>\\\"&'</b>\","                   \
	"\"file\":\"prompts/p.prompt.yml\",\"case\":\"" caseid "\","           \
	"\"case_index\":" index ",\"model\":\"" model "\","                    \
	"\"temperature\":0.5,\"repeat\":0,\"status\":\"" status "\","          \
	"\"score\":" score ",\"error\":null,\"call\":null,"                    \
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
	"!DOCTYPE", "html",   "head",	"meta",	  "title", "style",
	"body",	    "h1",     "h2",	"h3",	  "p",	   "section",
	"table",    "thead",  "tbody",	"tr",	  "th",	   "td",
	"span",	    "div",    "pre",	"ul",	  "li",	   "label",
	"select",   "option", "button", "script", NULL
};

struct fixture {
	char dir[64];
	char path[128];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;
	char *page;
};

static char *run_writer(const struct fixture *f)
{
	struct pe_report_input in = { .rs = f->rs, .agg = f->agg };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	void *st;

	assert_non_null(out);
	st = pe_report_html.begin(&in, out);
	assert_non_null(st);
	for (size_t i = 0; i < pe_resultset_count(f->rs); i++)
		pe_report_html.add(st, pe_resultset_get(f->rs, i));
	assert_int_equal(pe_report_html.end(st), 0);
	assert_int_equal(fclose(out), 0);
	return text;
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
	f->agg = pe_aggregate_new(f->rs, NULL);
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

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pe_report_html.name, "html");
	assert_string_equal(pe_report_html.file_name, "report.html");
}

/* Every "<" opens or closes one of the writer's own elements. */
static void test_no_markup_from_data(void **state)
{
	const struct fixture *f = *state;

	for (const char *p = f->page; (p = strchr(p, '<')); p++) {
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
	assert_int_equal(count(f->page, "<script"), 1);
	assert_int_equal(count(f->page, "</script>"), 1);
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
	/* The only URL-like text is the escaped one from the data. */
	assert_int_equal(count(f->page, "http:"), 0);
	assert_int_equal(count(f->page, "https:"), 1);
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
	assert_int_equal(count(f->page, "<div class=\"result "), 3);
	assert_int_equal(count(f->page, "<div class=\"case\""), 3);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_markup_from_data),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_csp_and_no_urls),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
