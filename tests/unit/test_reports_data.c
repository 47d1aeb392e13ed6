/*
 * Unit tests for the data report writers (reports/json.c, jsonl.c, csv.c,
 * junit.c): a small results.json is loaded with pe_resultset_load, sorted
 * and aggregated, each writer runs into a memory stream, and the text must
 * match the golden strings below byte for byte.  The rows hold the hostile
 * output every writer must escape (markup, "]]>", a control character,
 * commas and quotes, a spreadsheet formula, a byte that is not UTF-8) and
 * an errored and a skipped row.  The skipped row's output holds malformed
 * UTF-8 (an overlong form, a surrogate, U+FFFF, a cut-off sequence) that
 * the JUnit writer must replace with U+FFFD.
 *
 * A second document has rows with judge calls, for the CSV report's
 * judge columns and the JUnit report's judge properties.
 *
 * A third has one row whose every text (prompt, case, model, output,
 * error, evaluator name, kind and reason) holds terminal controls (ESC
 * sequences, BEL, CR, backspace, DEL, the C1 CSI, a right-to-left
 * override): the JSON, JSON Lines, JUnit, Markdown and terminal writers
 * must write none of them raw.
 *
 * When PE_JUNIT_OUT names a file, the JUnit tests also write their output
 * there (and to PE_JUNIT_OUT with "-timings.xml" and "-judges.xml"
 * appended), for tests/check-junit.sh to check against
 * tests/data/junit.xsd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "harness/results/aggregate.h"
#include "harness/core/diag.h"
#include "harness/results/resultset.h"

extern const struct pe_report_ops pe_report_json;
extern const struct pe_report_ops pe_report_jsonl;
extern const struct pe_report_ops pe_report_csv;
extern const struct pe_report_ops pe_report_junit;
extern const struct pe_report_ops pe_report_md;
extern const struct pe_report_ops pe_report_terminal;
extern const struct pe_report_ops pe_report_html;

/* Five rows in two cells; written out of order, so sorting matters. */
#define ROW_PASS                                                               \
	"{\"id\":\"a000000000000001\",\"prompt\":\"sum\","                     \
	"\"file\":\"prompts/sum.prompt.yml\",\"case\":\"basic\","              \
	"\"case_index\":0,\"model\":\"openai:gpt-4o-mini\","                   \
	"\"temperature\":0.7,\"repeat\":0,\"status\":\"pass\",\"score\":1,"    \
	"\"error\":null,\"call\":{\"attempts\":1,\"cached\":false,"            \
	"\"http_status\":200,\"first_byte_ms\":100.5,\"total_ms\":1290.8,"     \
	"\"tokens_in\":96,\"tokens_out\":731,\"finish_reason\":\"stop\","      \
	"\"served_model\":\"gpt-4o-mini-2024\"},"                              \
	"\"output\":\"Fine, \\\"ok\\\"\",\"evaluators\":[{\"name\":\"secs\","  \
	"\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,"  \
	"\"negate\":false,\"reason\":\"all 3 sections present\"}]}"
#define ROW_FAIL                                                               \
	"{\"id\":\"a000000000000002\",\"prompt\":\"sum\","                     \
	"\"file\":\"prompts/sum.prompt.yml\",\"case\":\"xss\","                \
	"\"case_index\":1,\"model\":\"openai:gpt-4o-mini\","                   \
	"\"temperature\":0.7,\"repeat\":0,\"status\":\"fail\",\"score\":0.5,"  \
	"\"error\":null,\"call\":{\"attempts\":1,\"cached\":true,"             \
	"\"http_status\":200,\"first_byte_ms\":50,\"total_ms\":800.25,"        \
	"\"tokens_in\":10,\"tokens_out\":20,\"finish_reason\":\"stop\","       \
	"\"served_model\":null},\"output\":\"<script>alert(1)</script> ]]> "   \
	"\\u0001 a, \\\"b\\\"\\n=cmd|' /C calc'!A0 & 'q'\",\"evaluators\":["   \
	"{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\","        \
	"\"score\":1,\"weight\":1,\"negate\":false,\"reason\":\"ok\"},"        \
	"{\"name\":\"@nojs\",\"kind\":\"regex\",\"status\":\"fail\","          \
	"\"score\":0,\"weight\":1,\"negate\":true,"                            \
	"\"reason\":\"matched <script> at 1:1\"}]}"
#define ROW_ERROR                                                              \
	"{\"id\":\"a000000000000003\",\"prompt\":\"sum\","                     \
	"\"file\":\"prompts/sum.prompt.yml\",\"case\":\"down\","               \
	"\"case_index\":2,\"model\":\"openai:gpt-4o-mini\","                   \
	"\"temperature\":0.7,\"repeat\":0,\"status\":\"error\","               \
	"\"score\":null,\"error\":\"=cmd|' /C calc'!A0, \\\"HTTP 500\\\"\","   \
	"\"call\":{\"attempts\":3,\"cached\":false,\"http_status\":500,"       \
	"\"first_byte_ms\":null,\"total_ms\":null,\"tokens_in\":null,"         \
	"\"tokens_out\":null,\"finish_reason\":null,\"served_model\":null},"   \
	"\"output\":null,\"evaluators\":[]}"
#define ROW_SKIP                                                               \
	"{\"id\":\"a000000000000004\",\"prompt\":\"sum\","                     \
	"\"file\":\"prompts/sum.prompt.yml\",\"case\":\"judge\","              \
	"\"case_index\":3,\"model\":\"openai:gpt-4o-mini\","                   \
	"\"temperature\":0.7,\"repeat\":0,\"status\":\"skip\","                \
	"\"score\":null,\"error\":null,\"call\":null,"                         \
	"\"output\":\"judge me \xc3\xa9 \xc0\xaf \xed\xa0\x80 \xef\xbf\xbf "   \
	"\xe2\x82\","                                                          \
	"\"evaluators\":[{\"name\":\"llm\",\"kind\":\"judge\","                \
	"\"status\":\"skip\",\"score\":null,\"weight\":1,\"negate\":false,"    \
	"\"reason\":\"needs a judge model\"}]}"
#define ROW_OTHER_MODEL                                                        \
	"{\"id\":\"b000000000000001\",\"prompt\":\"sum\","                     \
	"\"file\":\"prompts/sum.prompt.yml\",\"case\":\"basic\","              \
	"\"case_index\":0,\"model\":\"ollama:llama3\",\"temperature\":null,"   \
	"\"repeat\":1,\"status\":\"pass\",\"score\":1,\"error\":null,"         \
	"\"call\":null,\"output\":\"ok\xff\",\"evaluators\":[{"                \
	"\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\","         \
	"\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null}]}"

/*
 * The inputs of two cases: "basic" with plain variables, "xss" with
 * hostile ones (a formula, markup, a quote and a line break).
 */
#define CASES                                                                  \
	"\"cases\":[\n{\"prompt\":\"sum\",\"file\":\"prompts/"                 \
	"sum.prompt.yml\","                                                    \
	"\"case\":\"basic\",\"case_index\":0,\"vars\":{\"topic\":\"tides\"},"  \
	"\"expected\":null,\"messages\":[{\"role\":\"system\",\"content\":"    \
	"\"Be brief.\"},{\"role\":\"user\",\"content\":\"Sum up tides.\"}],"   \
	"\"error\":null},\n{\"prompt\":\"sum\",\"file\":"                      \
	"\"prompts/sum.prompt.yml\",\"case\":\"xss\",\"case_index\":1,"        \
	"\"vars\":{\"topic\":\"=1+2 <b>\\\"x\\\"\\nline\"},\"expected\":"      \
	"\"-ok\",\"messages\":[{\"role\":\"user\",\"content\":"                \
	"\"=1+2 <b>\\\"x\\\"\\nline\"}],\"error\":null}\n],\n"
#define INPUT_DOC                                                              \
	"{\"schema_version\":4,\"tool\":\"prompteval 0.0.9\","                 \
	"\"command\":\"run\",\"plan\":null,\n" CASES                           \
	"\"results\":[\n" ROW_SKIP ",\n" ROW_FAIL ",\n" ROW_OTHER_MODEL        \
	",\n" ROW_ERROR ",\n" ROW_PASS                                         \
	"\n],\n\"summary\":{\"total\":5,\"pass\":2,\"fail\":1,\"error\":1,"    \
	"\"skip\":1,\"pass_rate\":0.6666666666666666}}\n"

struct fixture {
	char dir[64];
	char path[128];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;
};

static void write_file(const char *path, const char *content, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static struct pe_resultset *load(const char *path)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs = pe_resultset_load(path, diag);

	if (!rs)
		pe_diag_print(diag, stderr);
	assert_non_null(rs);
	pe_diag_free(diag);
	pe_resultset_sort(rs);
	return rs;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pe-test-reports-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/results.json", f->dir);
	write_file(f->path, INPUT_DOC, strlen(INPUT_DOC));
	f->rs = load(f->path);
	f->agg = pe_aggregate_new(pe_resultset_rows(f->rs),
				  pe_resultset_count(f->rs), NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pe_aggregate_free(f->agg);
	pe_resultset_free(f->rs);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs ops over every row of rs; returns the text, owned by the caller. */
static char *run_writer(const struct pe_report_ops *ops,
			const struct pe_resultset *rs,
			const struct pe_aggregate *agg, int with_timings)
{
	struct pe_report_input in = { .rs = rs,
				      .agg = agg,
				      .with_timings = with_timings };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	void *st;

	assert_non_null(out);
	st = ops->begin(&in, out);
	assert_non_null(st);
	for (size_t i = 0; i < pe_resultset_count(rs); i++)
		ops->add(st, pe_resultset_get(rs, i));
	assert_int_equal(ops->end(st), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void check(const struct pe_report_ops *ops, const struct fixture *f,
		  int with_timings, const char *golden)
{
	char *text = run_writer(ops, f->rs, f->agg, with_timings);

	assert_string_equal(text, golden);
	free(text);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pe_report_json.name, "json");
	assert_string_equal(pe_report_json.file_name, "results.json");
	assert_string_equal(pe_report_jsonl.name, "jsonl");
	assert_string_equal(pe_report_jsonl.file_name, "results.jsonl");
	assert_string_equal(pe_report_csv.name, "csv");
	assert_string_equal(pe_report_csv.file_name, "results.csv");
	assert_string_equal(pe_report_junit.name, "junit");
	assert_string_equal(pe_report_junit.file_name, "junit.xml");
}

/*
 * The goldens: what each writer must write for INPUT_DOC, line by line.
 * The json and jsonl writers keep every row's timings; the other formats
 * show them only in the _TIMINGS goldens.
 */
/* clang-format off */
#define GOLDEN_JSON \
	"{\"schema_version\":4,\"tool\":\"prompteval 0.1.0\",\"command\":\"run\",\"plan\":null,\n" \
	CASES \
	"\"results\":[\n" \
	"{\"id\":\"b000000000000001\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"basic\",\"case_index\":0,\"model\":\"ollama:llama3\",\"temperature\":null,\"repeat\":1,\"status\":\"pass\",\"score\":1,\"error\":null,\"call\":null,\"judge\":null,\"output\":\"ok\xef\xbf\xbd\",\"evaluators\":[{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null}]},\n" \
	"{\"id\":\"a000000000000001\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"basic\",\"case_index\":0,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"pass\",\"score\":1,\"error\":null,\"call\":{\"attempts\":1,\"cached\":false,\"http_status\":200,\"first_byte_ms\":100.5,\"total_ms\":1290.8,\"tokens_in\":96,\"tokens_out\":731,\"finish_reason\":\"stop\",\"served_model\":\"gpt-4o-mini-2024\"},\"judge\":null,\"output\":\"Fine, \\\"ok\\\"\",\"evaluators\":[{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,\"negate\":false,\"reason\":\"all 3 sections present\"}]},\n" \
	"{\"id\":\"a000000000000002\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"xss\",\"case_index\":1,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"fail\",\"score\":0.5,\"error\":null,\"call\":{\"attempts\":1,\"cached\":true,\"http_status\":200,\"first_byte_ms\":50,\"total_ms\":800.25,\"tokens_in\":10,\"tokens_out\":20,\"finish_reason\":\"stop\",\"served_model\":null},\"judge\":null,\"output\":\"<script>alert(1)</script> ]]> \\u0001 a, \\\"b\\\"\\n=cmd|' /C calc'!A0 & 'q'\",\"evaluators\":[{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,\"negate\":false,\"reason\":\"ok\"},{\"name\":\"@nojs\",\"kind\":\"regex\",\"status\":\"fail\",\"score\":0,\"weight\":1,\"negate\":true,\"reason\":\"matched <script> at 1:1\"}]},\n" \
	"{\"id\":\"a000000000000003\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"down\",\"case_index\":2,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"error\",\"score\":null,\"error\":\"=cmd|' /C calc'!A0, \\\"HTTP 500\\\"\",\"call\":{\"attempts\":3,\"cached\":false,\"http_status\":500,\"first_byte_ms\":null,\"total_ms\":null,\"tokens_in\":null,\"tokens_out\":null,\"finish_reason\":null,\"served_model\":null},\"judge\":null,\"output\":null,\"evaluators\":[]},\n" \
	"{\"id\":\"a000000000000004\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"judge\",\"case_index\":3,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"ungraded\",\"score\":null,\"error\":null,\"call\":null,\"judge\":null,\"output\":\"judge me \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbf \xef\xbf\xbd\xef\xbf\xbd\",\"evaluators\":[{\"name\":\"llm\",\"kind\":\"judge\",\"status\":\"skip\",\"score\":null,\"weight\":1,\"negate\":false,\"reason\":\"needs a judge model\"}]}\n" \
	"],\n" \
	"\"summary\":{\"total\":5,\"pass\":2,\"fail\":1,\"error\":1,\"ungraded\":1,\"pass_rate\":0.6666666666666666}}\n"
#define GOLDEN_JSONL \
	"{\"id\":\"b000000000000001\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"basic\",\"case_index\":0,\"model\":\"ollama:llama3\",\"temperature\":null,\"repeat\":1,\"status\":\"pass\",\"score\":1,\"error\":null,\"call\":null,\"judge\":null,\"output\":\"ok\xef\xbf\xbd\",\"evaluators\":[{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null}]}\n" \
	"{\"id\":\"a000000000000001\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"basic\",\"case_index\":0,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"pass\",\"score\":1,\"error\":null,\"call\":{\"attempts\":1,\"cached\":false,\"http_status\":200,\"first_byte_ms\":100.5,\"total_ms\":1290.8,\"tokens_in\":96,\"tokens_out\":731,\"finish_reason\":\"stop\",\"served_model\":\"gpt-4o-mini-2024\"},\"judge\":null,\"output\":\"Fine, \\\"ok\\\"\",\"evaluators\":[{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,\"negate\":false,\"reason\":\"all 3 sections present\"}]}\n" \
	"{\"id\":\"a000000000000002\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"xss\",\"case_index\":1,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"fail\",\"score\":0.5,\"error\":null,\"call\":{\"attempts\":1,\"cached\":true,\"http_status\":200,\"first_byte_ms\":50,\"total_ms\":800.25,\"tokens_in\":10,\"tokens_out\":20,\"finish_reason\":\"stop\",\"served_model\":null},\"judge\":null,\"output\":\"<script>alert(1)</script> ]]> \\u0001 a, \\\"b\\\"\\n=cmd|' /C calc'!A0 & 'q'\",\"evaluators\":[{\"name\":\"secs\",\"kind\":\"sections\",\"status\":\"pass\",\"score\":1,\"weight\":1,\"negate\":false,\"reason\":\"ok\"},{\"name\":\"@nojs\",\"kind\":\"regex\",\"status\":\"fail\",\"score\":0,\"weight\":1,\"negate\":true,\"reason\":\"matched <script> at 1:1\"}]}\n" \
	"{\"id\":\"a000000000000003\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"down\",\"case_index\":2,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"error\",\"score\":null,\"error\":\"=cmd|' /C calc'!A0, \\\"HTTP 500\\\"\",\"call\":{\"attempts\":3,\"cached\":false,\"http_status\":500,\"first_byte_ms\":null,\"total_ms\":null,\"tokens_in\":null,\"tokens_out\":null,\"finish_reason\":null,\"served_model\":null},\"judge\":null,\"output\":null,\"evaluators\":[]}\n" \
	"{\"id\":\"a000000000000004\",\"prompt\":\"sum\",\"file\":\"prompts/sum.prompt.yml\",\"case\":\"judge\",\"case_index\":3,\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,\"repeat\":0,\"status\":\"ungraded\",\"score\":null,\"error\":null,\"call\":null,\"judge\":null,\"output\":\"judge me \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbf \xef\xbf\xbd\xef\xbf\xbd\",\"evaluators\":[{\"name\":\"llm\",\"kind\":\"judge\",\"status\":\"skip\",\"score\":null,\"weight\":1,\"negate\":false,\"reason\":\"needs a judge model\"}]}\n"
#define GOLDEN_CSV \
	"id,prompt,file,case,case_index,model,temperature,repeat,status,score,error,attempts,http_status,tokens_in,tokens_out,input,output,secs,'@nojs,llm\r\n" \
	"b000000000000001,sum,prompts/sum.prompt.yml,basic,0,ollama:llama3,,1,pass,1,,,,,,\"{\"\"topic\"\":\"\"tides\"\"}\",ok\xff,pass,,\r\n" \
	"a000000000000001,sum,prompts/sum.prompt.yml,basic,0,openai:gpt-4o-mini,0.7,0,pass,1,,1,200,96,731,\"{\"\"topic\"\":\"\"tides\"\"}\",\"Fine, \"\"ok\"\"\",pass,,\r\n" \
	"a000000000000002,sum,prompts/sum.prompt.yml,xss,1,openai:gpt-4o-mini,0.7,0,fail,0.5,,1,200,10,20,\"{\"\"topic\"\":\"\"=1+2 <b>\\\"\"x\\\"\"\\nline\"\"}\",\"<script>alert(1)</script> ]]> \x01 a, \"\"b\"\"\n=cmd|' /C calc'!A0 & 'q'\",pass,fail,\r\n" \
	"a000000000000003,sum,prompts/sum.prompt.yml,down,2,openai:gpt-4o-mini,0.7,0,error,,\"'=cmd|' /C calc'!A0, \"\"HTTP 500\"\"\",3,500,,,,,,,\r\n" \
	"a000000000000004,sum,prompts/sum.prompt.yml,judge,3,openai:gpt-4o-mini,0.7,0,ungraded,,,,,,,,judge me \xc3\xa9 \xc0\xaf \xed\xa0\x80 \xef\xbf\xbf \xe2\x82,,,skip\r\n"
#define GOLDEN_CSV_TIMINGS \
	"id,prompt,file,case,case_index,model,temperature,repeat,status,score,error,attempts,http_status,tokens_in,tokens_out,input,output,first_byte_ms,total_ms,secs,'@nojs,llm\r\n" \
	"b000000000000001,sum,prompts/sum.prompt.yml,basic,0,ollama:llama3,,1,pass,1,,,,,,\"{\"\"topic\"\":\"\"tides\"\"}\",ok\xff,,,pass,,\r\n" \
	"a000000000000001,sum,prompts/sum.prompt.yml,basic,0,openai:gpt-4o-mini,0.7,0,pass,1,,1,200,96,731,\"{\"\"topic\"\":\"\"tides\"\"}\",\"Fine, \"\"ok\"\"\",100.5,1290.8,pass,,\r\n" \
	"a000000000000002,sum,prompts/sum.prompt.yml,xss,1,openai:gpt-4o-mini,0.7,0,fail,0.5,,1,200,10,20,\"{\"\"topic\"\":\"\"=1+2 <b>\\\"\"x\\\"\"\\nline\"\"}\",\"<script>alert(1)</script> ]]> \x01 a, \"\"b\"\"\n=cmd|' /C calc'!A0 & 'q'\",50,800.25,pass,fail,\r\n" \
	"a000000000000003,sum,prompts/sum.prompt.yml,down,2,openai:gpt-4o-mini,0.7,0,error,,\"'=cmd|' /C calc'!A0, \"\"HTTP 500\"\"\",3,500,,,,,,,,,\r\n" \
	"a000000000000004,sum,prompts/sum.prompt.yml,judge,3,openai:gpt-4o-mini,0.7,0,ungraded,,,,,,,,judge me \xc3\xa9 \xc0\xaf \xed\xa0\x80 \xef\xbf\xbf \xe2\x82,,,,,skip\r\n"
#define GOLDEN_JUNIT \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<testsuites name=\"prompteval\" tests=\"5\" failures=\"1\" errors=\"1\">\n" \
	"  <testsuite name=\"sum [ollama:llama3]\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" file=\"prompts/sum.prompt.yml\">\n" \
	"    <testcase name=\"basic [ollama:llama3, #1]\" classname=\"sum.ollama:llama3\">\n" \
	"      <system-out>ok\xef\xbf\xbd</system-out>\n" \
	"    </testcase>\n" \
	"  </testsuite>\n" \
	"  <testsuite name=\"sum [openai:gpt-4o-mini t=0.7]\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" file=\"prompts/sum.prompt.yml\">\n" \
	"    <testcase name=\"basic [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\">\n" \
	"      <system-out>Fine, &quot;ok&quot;</system-out>\n" \
	"    </testcase>\n" \
	"    <testcase name=\"xss [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\">\n" \
	"      <failure message=\"failed: @nojs: matched &lt;script&gt; at 1:1\" type=\"fail\">@nojs: matched &lt;script&gt; at 1:1</failure>\n" \
	"      <system-out>&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt;  a, &quot;b&quot;\n" \
	"=cmd|&apos; /C calc&apos;!A0 &amp; &apos;q&apos;</system-out>\n" \
	"    </testcase>\n" \
	"    <testcase name=\"down [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\">\n" \
	"      <error message=\"=cmd|&apos; /C calc&apos;!A0, &quot;HTTP 500&quot;\"/>\n" \
	"    </testcase>\n" \
	"    <testcase name=\"judge [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\">\n" \
	"      <skipped message=\"ungraded: llm: needs a judge model\"/>\n" \
	"      <system-out>judge me \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd</system-out>\n" \
	"    </testcase>\n" \
	"  </testsuite>\n" \
	"</testsuites>\n"
#define GOLDEN_JUNIT_TIMINGS \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<testsuites name=\"prompteval\" tests=\"5\" failures=\"1\" errors=\"1\" time=\"2.091\">\n" \
	"  <testsuite name=\"sum [ollama:llama3]\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\" file=\"prompts/sum.prompt.yml\">\n" \
	"    <testcase name=\"basic [ollama:llama3, #1]\" classname=\"sum.ollama:llama3\" time=\"0.000\">\n" \
	"      <system-out>ok\xef\xbf\xbd</system-out>\n" \
	"    </testcase>\n" \
	"  </testsuite>\n" \
	"  <testsuite name=\"sum [openai:gpt-4o-mini t=0.7]\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"2.091\" file=\"prompts/sum.prompt.yml\">\n" \
	"    <testcase name=\"basic [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\" time=\"1.291\">\n" \
	"      <system-out>Fine, &quot;ok&quot;</system-out>\n" \
	"    </testcase>\n" \
	"    <testcase name=\"xss [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\" time=\"0.800\">\n" \
	"      <failure message=\"failed: @nojs: matched &lt;script&gt; at 1:1\" type=\"fail\">@nojs: matched &lt;script&gt; at 1:1</failure>\n" \
	"      <system-out>&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt;  a, &quot;b&quot;\n" \
	"=cmd|&apos; /C calc&apos;!A0 &amp; &apos;q&apos;</system-out>\n" \
	"    </testcase>\n" \
	"    <testcase name=\"down [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\" time=\"0.000\">\n" \
	"      <error message=\"=cmd|&apos; /C calc&apos;!A0, &quot;HTTP 500&quot;\"/>\n" \
	"    </testcase>\n" \
	"    <testcase name=\"judge [openai:gpt-4o-mini, t=0.7, #0]\" classname=\"sum.openai:gpt-4o-mini\" time=\"0.000\">\n" \
	"      <skipped message=\"ungraded: llm: needs a judge model\"/>\n" \
	"      <system-out>judge me \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd</system-out>\n" \
	"    </testcase>\n" \
	"  </testsuite>\n" \
	"</testsuites>\n"
/* clang-format on */

static void test_json(void **state)
{
	check(&pe_report_json, *state, 0, GOLDEN_JSON);
}

/* Loading the report and writing it again gives the same bytes. */
static void test_json_reload(void **state)
{
	struct fixture *f = *state;
	char *text = run_writer(&pe_report_json, f->rs, f->agg, 1);
	char path[160];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;
	char *again;

	snprintf(path, sizeof(path), "%s/again.json", f->dir);
	write_file(path, text, strlen(text));
	rs = load(path);
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       NULL);
	again = run_writer(&pe_report_json, rs, agg, 1);
	assert_string_equal(again, text);
	assert_non_null(
		strstr(text, "\"first_byte_ms\":100.5,\"total_ms\":1290.8"));
	assert_string_equal(pe_resultset_command(rs), "run");
	assert_int_equal(pe_resultset_count(rs), 5);
	free(again);
	free(text);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
	unlink(path);
}

static void test_jsonl(void **state)
{
	check(&pe_report_jsonl, *state, 0, GOLDEN_JSONL);
}

/* The journal the writer makes loads back as the same rows. */
static void test_jsonl_reload(void **state)
{
	struct fixture *f = *state;
	char *text = run_writer(&pe_report_jsonl, f->rs, f->agg, 0);
	char path[160];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;
	char *again;

	snprintf(path, sizeof(path), "%s/again.jsonl", f->dir);
	write_file(path, text, strlen(text));
	rs = load(path);
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       NULL);
	again = run_writer(&pe_report_jsonl, rs, agg, 0);
	assert_string_equal(again, text);
	free(again);
	free(text);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
	unlink(path);
}

static void test_csv(void **state)
{
	check(&pe_report_csv, *state, 0, GOLDEN_CSV);
}

static void test_csv_timings(void **state)
{
	check(&pe_report_csv, *state, 1, GOLDEN_CSV_TIMINGS);
}

/* Writes text to the file PE_JUNIT_OUT names (plus suffix), if set. */
static void save_junit(const char *text, const char *suffix)
{
	const char *out = getenv("PE_JUNIT_OUT");
	char path[4096];

	if (!out || !*out)
		return;
	snprintf(path, sizeof(path), "%s%s", out, suffix);
	write_file(path, text, strlen(text));
}

static void test_junit(void **state)
{
	struct fixture *f = *state;
	char *text = run_writer(&pe_report_junit, f->rs, f->agg, 0);

	save_junit(text, "");
	assert_string_equal(text, GOLDEN_JUNIT);
	free(text);
}

static void test_junit_timings(void **state)
{
	struct fixture *f = *state;
	char *text = run_writer(&pe_report_junit, f->rs, f->agg, 1);

	save_junit(text, "-timings.xml");
	assert_string_equal(text, GOLDEN_JUNIT_TIMINGS);
	free(text);
}

/*
 * Two judged rows in one cell: the judge model of the first is priced,
 * the second's looks like a spreadsheet formula; and a row of another
 * cell that asked no judge.
 */
#define JUDGED_ROW(id, kase, index, model, judge)                              \
	"{\"id\":\"" id "\",\"prompt\":\"j\",\"file\":\"j.prompt.yml\","       \
	"\"case\":\"" kase "\",\"case_index\":" index ",\"model\":\"" model    \
	"\",\"temperature\":null,\"repeat\":0,\"status\":\"pass\","            \
	"\"score\":1,\"error\":null,\"call\":{\"attempts\":1,"                 \
	"\"cached\":false,\"http_status\":200,\"first_byte_ms\":1,"            \
	"\"total_ms\":2,\"tokens_in\":10,\"tokens_out\":5,"                    \
	"\"finish_reason\":\"stop\",\"served_model\":null},\"judge\":" judge   \
	",\"output\":\"ok\",\"evaluators\":[]}"
#define JUDGE_PRICED                                                           \
	"{\"calls\":1,\"model\":\"m:judge\",\"tokens_in\":1000000,"            \
	"\"tokens_out\":0}"
#define JUDGE_FORMULA                                                          \
	"{\"calls\":2,\"model\":\"=cmd\",\"tokens_in\":3,\"tokens_out\":4}"
#define JUDGED_ROWS                                                            \
	JUDGED_ROW("j1", "a", "0", "m:a", JUDGE_PRICED)                        \
	",\n" JUDGED_ROW("j2", "b", "1", "m:a",                                \
			 JUDGE_FORMULA) ",\n" JUDGED_ROW("j3", "a", "0",       \
							 "m:b", "null")
#define JUDGED_DOC                                                             \
	"{\"schema_version\":2,\"tool\":\"prompteval 0.1.0\","                 \
	"\"command\":\"run\",\"plan\":null,\n\"results\":[\n" JUDGED_ROWS      \
	"\n]}\n"

/*
 * With judges, the CSV report ends each record with the judges' columns
 * (the formula-like judge model guarded), the JSON report's summary
 * counts the judges' calls and tokens, and the JUnit report gives a
 * judged suite the judges' figures as properties, which
 * tests/check-junit.sh validates against the schema (PE_JUNIT_OUT plus
 * "-judges.xml").
 */
static void test_judges(void **state)
{
	static const struct pe_price items[] = { { "m:judge", 2, 10 },
						 { "=cmd", 1e6, 1e6 } };
	static const struct pe_prices prices = { items, 1 };
	static const struct pe_prices all_prices = { items, 2 };
	struct fixture *f = *state;
	char path[160], again[160];
	struct pe_resultset *rs, *reread;
	struct pe_aggregate *agg;
	char *text;

	snprintf(path, sizeof(path), "%s/judged.json", f->dir);
	write_file(path, JUDGED_DOC, strlen(JUDGED_DOC));
	rs = load(path);
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       &prices);
	text = run_writer(&pe_report_csv, rs, agg, 0);
	assert_string_equal(
		text,
		"id,prompt,file,case,case_index,model,temperature,repeat,"
		"status,score,error,attempts,http_status,tokens_in,"
		"tokens_out,input,output,judge_calls,judge_model,"
		"judge_tokens_in,judge_tokens_out\r\n"
		"j1,j,j.prompt.yml,a,0,m:a,,0,pass,1,,1,200,10,5,,ok,1,"
		"m:judge,1000000,0\r\n"
		"j3,j,j.prompt.yml,a,0,m:b,,0,pass,1,,1,200,10,5,,ok,0,,,\r\n"
		"j2,j,j.prompt.yml,b,1,m:a,,0,pass,1,,1,200,10,5,,ok,2,'=cmd,"
		"3,4\r\n");
	free(text);
	text = run_writer(&pe_report_json, rs, agg, 0);
	assert_non_null(strstr(text, ",\"pass_rate\":1,\"judge\":{\"calls\":3,"
				     "\"tokens_in\":1000003,"
				     "\"tokens_out\":4}}}\n"));
	/* The reader takes the summary with its judge object. */
	snprintf(again, sizeof(again), "%s/again.json", f->dir);
	write_file(again, text, strlen(text));
	reread = load(again);
	assert_int_equal(pe_resultset_count(reread), 3);
	pe_resultset_free(reread);
	unlink(again);
	free(text);
	text = run_writer(&pe_report_junit, rs, agg, 0);
	/* m:a's suite: 3 judge calls; m:judge is priced, =cmd is not. */
	assert_non_null(strstr(
		text,
		"  <testsuite name=\"j [m:a]\" tests=\"2\" failures=\"0\" "
		"errors=\"0\" skipped=\"0\" file=\"j.prompt.yml\">\n"
		"    <properties>\n"
		"      <property name=\"judge_calls\" value=\"3\"/>\n"
		"      <property name=\"judge_tokens_in\" "
		"value=\"1000003\"/>\n"
		"      <property name=\"judge_tokens_out\" value=\"4\"/>\n"
		"    </properties>\n"
		"    <testcase "));
	/* m:b's suite asked no judge: no properties. */
	assert_non_null(strstr(text, "file=\"j.prompt.yml\">\n"
				     "    <testcase name=\"a [m:b, #0]\" "
				     "classname=\"j.m:b\">"));
	free(text);
	pe_aggregate_free(agg);
	/* With a price for every judge model, the suite has their cost. */
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       &all_prices);
	text = run_writer(&pe_report_junit, rs, agg, 0);
	save_junit(text, "-judges.xml");
	assert_non_null(strstr(
		text,
		"      <property name=\"judge_tokens_out\" value=\"4\"/>\n"
		"      <property name=\"judge_cost_usd\" "
		"value=\"9.000000\"/>\n"
		"    </properties>\n"));
	free(text);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
	unlink(path);
}

/*
 * Partial results (an interrupted run): the json report keeps the field,
 * the terminal, md, html and junit reports show the note at the top, and
 * csv, a format of rows only, is as it was.
 */
static void test_partial(void **state)
{
	static const char doc[] =
		"{\"schema_version\":3,\"tool\":\"prompteval 0.1.0\","
		"\"command\":\"run\",\"plan\":null,"
		"\"partial\":{\"finished\":1,\"jobs\":8},\n"
		"\"results\":[\n" ROW_PASS "\n]}\n";
	static const char note[] =
		"partial: 1 of 8 jobs finished (the run was interrupted)";
	struct fixture *f = *state;
	char path[160], want[160];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;
	char *text;

	snprintf(path, sizeof(path), "%s/partial.json", f->dir);
	write_file(path, doc, strlen(doc));
	rs = load(path);
	assert_int_equal(pe_resultset_partial(rs)->finished, 1);
	assert_int_equal(pe_resultset_partial(rs)->jobs, 8);
	assert_null(pe_resultset_partial(f->rs));
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       NULL);
	text = run_writer(&pe_report_json, rs, agg, 0);
	assert_non_null(strstr(text, "\"plan\":null,\"partial\":{"
				     "\"finished\":1,\"jobs\":8},\n"));
	free(text);
	text = run_writer(&pe_report_terminal, rs, agg, 0);
	snprintf(want, sizeof(want), "%s\n", note);
	assert_true(!strncmp(text, want, strlen(want)));
	free(text);
	text = run_writer(&pe_report_md, rs, agg, 0);
	snprintf(want, sizeof(want),
		 "# prompteval report: no gates\n\n> **%s**\n", note);
	assert_true(!strncmp(text, want, strlen(want)));
	free(text);
	text = run_writer(&pe_report_html, rs, agg, 0);
	snprintf(want, sizeof(want), "<p id=\"partial\"><strong>%s</strong>",
		 note);
	assert_non_null(strstr(text, want));
	free(text);
	text = run_writer(&pe_report_junit, rs, agg, 0);
	save_junit(text, "-partial.xml");
	snprintf(want, sizeof(want), ">\n<!-- %s -->\n  <testsuite ", note);
	assert_non_null(strstr(text, want));
	free(text);
	text = run_writer(&pe_report_csv, rs, agg, 0);
	assert_null(strstr(text, "partial"));
	free(text);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
	unlink(path);
}

/* What a terminal acts on, written as JSON escapes. */
#define HOSTILE                                                                \
	"A\\u001b[2J\\u001b]0;pwned\\u0007\\u009b31m\\r\\b\\u007f"             \
	"\\u202eB\\u2066"
#define HOSTILE_DOC                                                            \
	"{\"schema_version\":2,\"tool\":\"prompteval 0.1.0\","                 \
	"\"command\":\"run\",\"plan\":null,\n\"results\":[\n"                  \
	"{\"id\":\"h1\",\"prompt\":\"" HOSTILE "\",\"file\":\"" HOSTILE        \
	"\",\"case\":\"" HOSTILE "\",\"case_index\":0,\"model\":\"" HOSTILE    \
	"\",\"temperature\":null,\"repeat\":0,\"status\":\"error\","           \
	"\"score\":null,\"error\":\"" HOSTILE "\",\"call\":null,"              \
	"\"output\":\"" HOSTILE "\",\"evaluators\":[{\"name\":\"" HOSTILE      \
	"\",\"kind\":\"" HOSTILE "\",\"status\":\"fail\",\"score\":0,"         \
	"\"weight\":1,\"negate\":false,\"reason\":\"" HOSTILE "\"}]}\n]}\n"

/*
 * Fails when text holds a byte a terminal acts on: a C0 control other
 * than a newline, DEL, a C1 control or a bidirectional control.
 */
static void assert_inert(const char *name, const char *text)
{
	const unsigned char *u = (const unsigned char *)text;

	for (size_t i = 0; u[i]; i++) {
		int c0 = (u[i] < 0x20 && u[i] != '\n') || u[i] == 0x7f;
		int c1 = u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f;
		int bidi = u[i] == 0xe2 &&
			   ((u[i + 1] == 0x80 && u[i + 2] >= 0xaa &&
			     u[i + 2] <= 0xae) ||
			    (u[i + 1] == 0x81 && u[i + 2] >= 0xa6 &&
			     u[i + 2] <= 0xa9));

		if (c0 || c1 || bidi) {
			print_error("%s: raw control at byte %zu\n", name, i);
			fail();
		}
	}
}

static void test_hostile_controls(void **state)
{
	static const struct {
		const struct pe_report_ops *ops;
		const char *escaped; /* how ESC shows up */
	} writers[] = {
		{ &pe_report_json, "\\u001b[2J" },
		{ &pe_report_jsonl, "\\u001b[2J" },
		{ &pe_report_junit, "&#x9b;" },
		{ &pe_report_md, "\\\\x1b\\[2J" },
		{ &pe_report_terminal, "\\x1b[2J" },
	};
	struct fixture *f = *state;
	char path[160];
	struct pe_resultset *rs;
	struct pe_aggregate *agg;

	snprintf(path, sizeof(path), "%s/hostile.json", f->dir);
	write_file(path, HOSTILE_DOC, strlen(HOSTILE_DOC));
	rs = load(path);
	agg = pe_aggregate_new(pe_resultset_rows(rs), pe_resultset_count(rs),
			       NULL);
	for (size_t i = 0; i < sizeof(writers) / sizeof(*writers); i++) {
		char *text = run_writer(writers[i].ops, rs, agg, 0);

		assert_inert(writers[i].ops->name, text);
		if (!strstr(text, writers[i].escaped)) {
			print_error("%s: no %s in:\n%s\n", writers[i].ops->name,
				    writers[i].escaped, text);
			fail();
		}
		free(text);
	}
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
	unlink(path);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names), TEST(test_json),
		TEST(test_json_reload),	      TEST(test_jsonl),
		TEST(test_jsonl_reload),      TEST(test_csv),
		TEST(test_csv_timings),	      TEST(test_junit),
		TEST(test_junit_timings),     TEST(test_judges),
		TEST(test_partial),	      TEST(test_hostile_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
