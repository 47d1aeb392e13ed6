// Checks report.html in headless Debian Chromium through playwright-core.
// usage: node check.mjs REPORT.html SCREENSHOT-DIR HOSTILE.html
//
// The report comes from fixture/results.json (with prices, against
// fixture/base.json): two prompts (one with a hostile name), three model x
// temperature columns, five cells, fifteen results in five cases, with
// inputs (some of them hostile), identical repeats, a flaky case, and
// outputs that try to run script in many ways, raw and through Markdown
// (raw HTML, javascript: and data: links and images, <svg onload>, <base>,
// <meta refresh>).  HOSTILE.html comes from fixture/hostile.json, whose
// every text that reaches the page (prompt name, file, models, case id,
// output, evaluator names, reasons, error, judge model) tries to end the
// page's <style> or a <textarea>, inject CSS (a <style> element, a style
// attribute, url(javascript:), expression(), @import), link to
// javascript:, or add an element that runs or fetches something; it must
// all show as text and do nothing.  Screenshots go to SCREENSHOT-DIR:
// report.png (as the page opens), inspector.png (a heatmap cell clicked),
// cases.png (every case of a prompt open) and hostile.png.
// Each check prints "ok - name" or "FAIL - name: why"; the last line is
// "browser: N passed, M failed".
import { chromium } from "playwright-core";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [reportPath, shotDir, hostilePath] = process.argv.slice(2);
let passed = 0;
let failed = 0;

function check(name, ok, why) {
	if (ok) {
		passed++;
		console.log(`ok - ${name}`);
	} else {
		failed++;
		console.log(`FAIL - ${name}: ${why}`);
	}
}

function same(name, got, want) {
	const g = JSON.stringify(got);
	const w = JSON.stringify(want);
	check(name, g === w, `got ${g}, want ${w}`);
}

const HOSTILE = [
	"<script>window.__pwned=1</script>",
	'<img src=x onerror="window.__pwned=2">',
	"[link](javascript:window.__pwned=3)",
	'<a href="javascript:window.__pwned=3">click</a>',
	'<img src=x onerror="window.__pwned=9">',
	'<svg onload="window.__pwned=10"></svg>',
	'<base href="https://evil.example/">',
	'<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=11">',
	"</style></textarea><script>window.__pwned=12</script>",
];

// What the page shows: the visible outcomes (each with its repeat
// count), columns and cases, and the counter.
async function visible(page) {
	return page.evaluate(() => {
		const shown = (el) => !el.closest("[hidden]");
		const outs = [...document.querySelectorAll(".out")].filter(shown);
		const cols = [...document.querySelectorAll(".grid > .col")]
			.filter(shown);
		return {
			models: [...new Set(cols.map((c) => c.dataset.model))].sort(),
			temps: [...new Set(cols.map((c) => c.dataset.temp))].sort(),
			statuses: [...new Set(outs.map((o) => o.dataset.status))].sort(),
			results: outs.reduce((n, o) => n + Number(o.dataset.n), 0),
			cases: [...document.querySelectorAll(".case")].filter(shown).length,
			count: document.getElementById("f-count").textContent,
		};
	});
}

async function pwned(page) {
	return page.evaluate(() => typeof window.__pwned);
}

async function run() {
	const profile = mkdtempSync(join(tmpdir(), "pe-chromium-"));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: "/usr/bin/chromium",
		headless: true,
		chromiumSandbox: false,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
		viewport: { width: 1280, height: 900 },
	});
	try {
		await checkPage(context);
		await checkHostilePage(context);
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
}

async function checkPage(context) {
	const requests = [];
	const problems = [];
	const page = context.pages()[0] || (await context.newPage());

	page.on("request", (r) => {
		if (!r.url().startsWith("file:"))
			requests.push(r.url());
	});
	page.on("console", (m) => {
		if (m.type() === "error" || m.type() === "warning")
			problems.push(m.text());
	});
	page.on("pageerror", (e) => problems.push(String(e)));
	await page.goto(pathToFileURL(resolve(reportPath)).href);
	await page.waitForLoadState("load");

	// The page fetches nothing and its one script runs under the CSP.
	same("no request leaves the file", requests, []);
	same("no console error, CSP violation or page error", problems, []);
	same("one script element", await page.locator("script").count(), 1);
	same("no img, iframe, svg, base, i or refresh from data",
		await page.locator("img, iframe, object, embed, i, svg, base, " +
			"meta[http-equiv=refresh], [src], [srcdoc]").count(), 0);
	same("the only link is the output's https one, without referrer",
		await page.locator("a").evaluateAll((as) => as.map(
			(a) => [a.getAttribute("href"), a.getAttribute("rel")])),
		[["https://example.com/guide?a=1&b=2",
			"noopener noreferrer nofollow"]]);
	check("window.__pwned undefined after load",
		(await pwned(page)) === "undefined", await pwned(page));

	// It opens short: every case collapsed to one line.
	const openHeight = await page.evaluate(
		() => document.documentElement.scrollHeight);
	check("the page opens short (under 2600 px)", openHeight < 2600,
		`${openHeight} px`);
	same("every case collapsed at first",
		await page.locator("details.case[open]").count(), 0);
	same("all cases listed at first", await visible(page), {
		models: ["ollama:llama3", "openai:gpt-4o-mini"],
		temps: ["0", "0.8"],
		statuses: ["error", "fail", "pass", "ungraded"],
		results: 15,
		cases: 5,
		count: "5 of 5 cases, 15 of 15 results shown",
	});
	same("case chips: passed over decided per model x temperature",
		await page.locator("details.case").first().locator(".chip")
			.allTextContents(), ["0/0", "1/1"]);
	same("case chips: a dash where the case has no results",
		await page.locator("details.case[data-index='2'] .chip")
			.allTextContents(), ["\u2014", "2/3"]);
	rmSync(join(shotDir, "report.png"), { force: true });
	const size = await page.evaluate(() => ({
		width: document.documentElement.scrollWidth,
		height: document.documentElement.scrollHeight,
	}));
	await page.screenshot({ path: join(shotDir, "report.png"),
		fullPage: true });
	checkScreenshot(join(shotDir, "report.png"), size);

	// The summary at the top: rankings with the pairs compared, cost
	// spent and to reproduce with the judges apart, flaky cases.
	same("overall ranking: models by pass rate, interval, cases",
		await page.locator("#rankings > table.ranking tbody tr")
			.evaluateAll((rows) => rows.map((r) => [...r.cells]
				.map((c) => c.textContent))),
		[["1", "openai:gpt-4o-mini", "79%", "48%\u201394%", "4"],
			["2", "ollama:llama3", "0%", "0%\u201356%", "3"]]);
	check("overall ranking: the pair compared on common cases",
		/^1\. openai:gpt-4o-mini vs 2\. ollama:llama3: .*common cases.*sign test/
			.test(await page.locator("#rankings > ul.pairs li").innerText()),
		await page.locator("#rankings > ul.pairs").innerText());
	same("rankings by prompt, collapsed",
		await page.locator("#rankings-by-prompt table.ranking").count(), 2);
	same("cost: spent now and to reproduce",
		await page.locator("#cost-total").textContent(),
		"0.006000 USD spent now (5 of 6 calls made), " +
		"0.007350 USD to reproduce.");
	same("cost per model: answers and judges apart, reproduce and spent",
		await page.locator("table.cost tbody tr").evaluateAll((rows) =>
			rows.map((r) => [...r.cells].slice(0, 5)
				.map((c) => c.textContent))),
		[["ollama:llama3", "0.0000", "0.0000", "0.0000", "0.0000"],
			["openai:gpt-4o-mini", "0.0040", "0.0027", "0.0033",
				"0.0033"]]);
	same("flaky cases listed",
		await page.locator("tr.flaky-case").evaluateAll((rows) =>
			rows.map((r) => r.innerText.split("\t").slice(0, 5))),
		[["greet", "markdown", "openai:gpt-4o-mini t=0", "2", "1"]]);

	// The baseline section: one regression, its output diff shown as text.
	same("baseline: one regressed case",
		await page.locator("#baseline .change-regressed").count(), 1);
	same("baseline: removed lines of the base output",
		await page.locator("#baseline pre.diff del").allTextContents(),
		["No markup here.", "[safe](https://example.com)"]);
	same("baseline: added lines of the head output, literal",
		await page.locator("#baseline pre.diff ins").allTextContents(),
		['<img src=x onerror="window.__pwned=2">',
			'[link](javascript:window.__pwned=3) ' +
			'<a href="javascript:window.__pwned=3">click</a>']);
	check("baseline: per-prompt sign tests",
		(await page.locator("#baseline table.compare tbody tr").count()) === 3,
		await page.locator("#baseline table.compare").innerText());

	// The heatmap: 2 prompts x 3 columns, 5 cells with data.
	same("heatmap cells", await page.locator("table.heatmap td.heat").count(), 5);
	same("heatmap empty cells",
		await page.locator("table.heatmap td.none").count(), 1);
	same("heatmap column labels",
		await page.locator("table.heatmap thead th.col").allTextContents(),
		["ollama:llama3 t=0", "openai:gpt-4o-mini t=0",
			"openai:gpt-4o-mini t=0.8"]);
	same("heatmap row labels (hostile name literal)",
		await page.locator("table.heatmap tbody th").allTextContents(),
		["greet", "sum <\"&'>"]);
	const cell = page.locator("table.heatmap tbody tr").nth(1)
		.locator("td").nth(2);
	const cellText = await cell.innerText();
	check("heatmap cell shows rate, Wilson interval and mean score",
		/50%/.test(cellText) && /\[9%.91%\]/.test(cellText) &&
		/mean score 0\.50/.test(cellText), JSON.stringify(cellText));
	await page.click("#evaluators summary");
	same("evaluator tables, one per prompt",
		await page.locator("table.evaluators").count(), 2);
	check("evaluator name with markup shown literally",
		await page.getByRole("rowheader", { name: "no <script>" }).isVisible(),
		"row header 'no <script>' not visible");

	// Clicking a cell shows that cell's cases, open, with their inputs,
	// and only that model at that temperature (not t=0 as well).
	await cell.click();
	same("heatmap click sets prompt, model and temperature",
		await page.evaluate(() => ["f-prompt", "f-model", "f-temp"].map(
			(id) => document.getElementById(id).value)),
		["prompts/sum.prompt.yml", "openai:gpt-4o-mini", "0.8"]);
	same("heatmap click shows that cell's cases only", await visible(page), {
		models: ["openai:gpt-4o-mini"],
		temps: ["0.8"],
		statuses: ["fail", "pass"],
		results: 2,
		cases: 2,
		count: "2 of 5 cases, 2 of 15 results shown",
	});
	same("the cell's cases are open",
		await page.locator("details.case[open]:not([hidden])").count(), 2);
	same("their inputs show first, hostile ones literally",
		await page.locator("details.case:not([hidden]) table.vars")
			.evaluateAll((ts) => ts.map((t) => [...t.rows].map((r) =>
				[...r.cells].map((c) => c.textContent)))),
		[[["a", "2"], ["b", "2"], ["expected", "4"]],
			[["a", "<script>window.__pwned=20</script>"],
				["b", "{\"nested\":\"<img src=x onerror=window.__pwned=21>\"}"],
				["expected", "</textarea><svg onload=window.__pwned=22>"]]]);
	await page.screenshot({ path: join(shotDir, "inspector.png") });

	// The filters: temperature, status, search, failures first.
	await page.click("#f-reset");
	await page.selectOption("#f-temp", "0.8");
	same("temperature filter", await visible(page), {
		models: ["openai:gpt-4o-mini"],
		temps: ["0.8"],
		statuses: ["fail", "pass"],
		results: 2,
		cases: 2,
		count: "2 of 5 cases, 2 of 15 results shown",
	});
	await page.click("#f-reset");
	await page.selectOption("#f-model", "ollama:llama3");
	same("model filter", (await visible(page)).models, ["ollama:llama3"]);
	await page.click("#f-reset");
	await page.selectOption("#f-status", "fail");
	same("status=fail shows only failing outcomes", await visible(page), {
		models: ["ollama:llama3", "openai:gpt-4o-mini"],
		temps: ["0", "0.8"],
		statuses: ["fail"],
		results: 5,
		cases: 4,
		count: "4 of 5 cases, 5 of 15 results shown",
	});
	await page.click("#f-reset");
	await page.selectOption("#f-prompt", "prompts/sum.prompt.yml");
	same("prompt filter by the hostile prompt",
		(await visible(page)).results, 8);
	await page.click("#f-reset");
	await page.fill("#f-search", "SAY HELLO");
	same("search finds the case whose inputs say it",
		await page.locator("details.case:not([hidden]) .case-id")
			.allTextContents(), ["hello"]);
	await page.fill("#f-search", "no plan today");
	same("search finds the case whose output says it",
		await page.locator("details.case:not([hidden]) .case-id")
			.allTextContents(), ["markdown"]);
	await page.click("#f-reset");
	const order = () => page.locator("details.case .case-id")
		.allTextContents();
	same("cases in results order", await order(),
		["hello", "judge", "markdown", "basic", "xss-<i>1</i>"]);
	await page.check("#f-failfirst");
	same("failures first: most failed and errored results first",
		await order(), ["xss-<i>1</i>", "hello", "judge", "markdown",
			"basic"]);
	await page.uncheck("#f-failfirst");

	// Flaky: a click inspects that one case.
	await page.click("tr.flaky-case");
	same("flaky click shows that case alone, open",
		await page.locator("details.case[open]:not([hidden]) .case-id")
			.allTextContents(), ["markdown"]);

	// The inspector: identical repeats once, evaluators beside them,
	// Markdown rendered with nothing live.
	const md = page.locator("details.case[data-index='2'] " +
		".col[data-model='openai:gpt-4o-mini']");
	same("identical repeats shown once with their count",
		await md.locator(".out").evaluateAll((os) => os.map((o) => [
			o.dataset.status, o.querySelector(".times").textContent,
			o.querySelector(".repeats").textContent])),
		[["pass", "\u00d72", "repeats #0, #1"],
			["fail", "\u00d71", "repeat #2"]]);
	same("each outcome's evaluators beside it",
		await md.locator(".out ul.evals").evaluateAll((us) =>
			us.map((u) => u.innerText)),
		["pass has steps 1.00: section 'Steps' found",
			"fail has steps 0.00: no section 'Steps'"]);
	const rendered = md.locator(".out .md").first();
	same("Markdown rendered: headings, list, table, code",
		await rendered.evaluate((d) => [...d.children].map((e) => e.tagName)),
		["H1", "H2", "OL", "TABLE", "P", "P", "P", "P"]);
	same("Markdown: javascript: and data: links keep text, lose the URL",
		await rendered.locator(".md-link").allTextContents(),
		["js link", "data link", "javascript:window.__pwned=8"]);
	same("Markdown: images become their alt text, fetch nothing",
		await rendered.locator(".md-img").allTextContents(),
		["[image: logo]", "[image: svg]"]);
	for (const t of HOSTILE.slice(4))
		check(`Markdown: raw HTML shown literally: ${t}`,
			(await rendered.innerText()).includes(t),
			await rendered.innerText());

	// Every case of the sum prompt open: its columns line up.
	await page.click("#f-reset");
	await page.selectOption("#f-prompt", "prompts/sum.prompt.yml");
	await page.click("#f-expand");
	const lefts = await page.locator("details.case:not([hidden])")
		.evaluateAll((cs) => cs.map((c) => [...c.querySelectorAll(".col")]
			.map((col) => [col.dataset.model + " " + col.dataset.temp,
				Math.round(col.getBoundingClientRect().left),
				Math.round(col.getBoundingClientRect().top)])));
	same("two sum cases open, three columns each",
		lefts.map((c) => c.length), [3, 3]);
	same("columns in the heatmap's order, at the same x in every case",
		lefts[1].map((c) => c.slice(0, 2)), lefts[0].map((c) => c.slice(0, 2)));
	check("a case's columns sit side by side on one row",
		lefts.every((c) => c.every((col) => col[2] === c[0][2]) &&
			c[0][1] < c[1][1] && c[1][1] < c[2][1]),
		JSON.stringify(lefts));
	await page.locator("details.case:not([hidden])").first()
		.scrollIntoViewIfNeeded();
	await page.screenshot({ path: join(shotDir, "cases.png") });

	// Everything open: the hostile texts are shown, nothing ran.
	await page.click("#f-reset");
	await page.click("#f-expand");
	const heat = page.locator("td.heat");
	for (let i = 0; i < (await heat.count()); i++)
		await heat.nth(i).click();
	await page.click("#f-reset");
	await page.click("#f-expand");
	for (const t of HOSTILE.slice(0, 4))
		check(`shown literally: ${t}`,
			await page.getByText(t, { exact: false }).first().isVisible(),
			"not visible");
	check("case id with markup shown literally",
		await page.getByText("xss-<i>1</i>").first().isVisible(),
		"not visible");
	check("window.__pwned undefined after clicking around",
		(await pwned(page)) === "undefined", await pwned(page));
	same("still no request, error or violation", [requests, problems], [[], []]);
	same("still no img, iframe, svg, base or refresh",
		await page.locator("img, iframe, object, embed, svg, base, " +
			"meta[http-equiv=refresh], [src], [srcdoc]").count(), 0);
}

// What the hostile page may hold: its one script and style element, the
// CSP meta tag, the filters' three buttons and two inputs (search and
// failures first), and style attributes that are the page's own colours
// only.
async function structure(page) {
	return page.evaluate(() => {
		const all = [...document.querySelectorAll("*")];
		const count = (sel) => document.querySelectorAll(sel).length;
		return {
			script: count("script"),
			style: count("style"),
			meta: count("meta[http-equiv]"),
			button: count("button"),
			input: count("input"),
			injected: count("img, a, iframe, object, embed, svg, math, " +
				"link, base, form, textarea, noscript, video, audio"),
			urls: count("[href], [src], [action], [formaction], " +
				"[srcdoc], [background]"),
			handlers: all.filter((e) => [...e.attributes].some(
				(a) => a.name.toLowerCase().startsWith("on"))).length,
			styles: all.filter((e) => e.hasAttribute("style") &&
				!/^background:hsl\(\d+,70%,78%\)$/.test(e.getAttribute("style")))
				.map((e) => e.getAttribute("style")),
			sheets: document.styleSheets.length,
			bodyShown: getComputedStyle(document.body).display !== "none" &&
				document.getElementById("cases").offsetParent !== null,
			bodyBackground: getComputedStyle(document.body).backgroundColor,
		};
	});
}

async function checkHostilePage(context) {
	const fixture = JSON.parse(readFileSync(
		new URL("./fixture/hostile.json", import.meta.url), "utf8"));
	const [row, errored] = fixture.results;
	const requests = [];
	const problems = [];
	const page = await context.newPage();

	page.on("request", (r) => {
		if (!r.url().startsWith("file:"))
			requests.push(r.url());
	});
	page.on("console", (m) => {
		if (m.type() === "error" || m.type() === "warning")
			problems.push(m.text());
	});
	page.on("pageerror", (e) => problems.push(String(e)));
	await page.goto(pathToFileURL(resolve(hostilePath)).href);
	await page.waitForLoadState("load");

	same("hostile: no request, error or CSP violation after load",
		[requests, problems], [[], []]);
	same("hostile: only the page's own elements, attributes and styles",
		await structure(page), {
			script: 1, style: 1, meta: 1, button: 3, input: 2, injected: 0,
			urls: 0,
			handlers: 0, styles: [], sheets: 1, bodyShown: true,
			bodyBackground: "rgb(255, 255, 255)",
		});
	check("hostile: window.__pwned undefined after load",
		(await pwned(page)) === "undefined", await pwned(page));

	// Every text is shown as it was, where it belongs.
	same("hostile: prompt name in the heatmap, literal",
		await page.locator("table.heatmap tbody th").allTextContents(),
		[row.prompt]);
	same("hostile: models in the heatmap columns, literal",
		await page.locator("table.heatmap thead th.col").allTextContents(),
		[`${errored.model} t=0`, `${row.model} t=0`]);
	same("hostile: models in the model filter, literal",
		await page.locator("#f-model option").allTextContents(),
		["all", errored.model, row.model]);
	same("hostile: prompt file as the prompt filter's value, literal",
		await page.locator("#f-prompt option").nth(1).getAttribute("value"),
		row.file);
	same("hostile: case id, literal",
		await page.locator(".case-id").allTextContents(), [row.case]);
	same("hostile: judge model, literal",
		await page.locator(".judge-model").allTextContents(),
		[row.judge.model]);
	same("hostile: evaluator names and reasons, literal",
		await page.locator("ul.evals li").evaluateAll((items) => items.map(
			(li) => [li.querySelector(".ev-name").textContent,
				li.querySelector(".ev-reason").textContent])),
		row.evaluators.map((e) => [e.name, e.reason]));
	same("hostile: error, literal",
		await page.locator("p.error").allTextContents(), [errored.error]);

	// Using the page runs nothing and changes nothing either.
	const cells = page.locator("td.heat");
	for (let i = 0; i < (await cells.count()); i++)
		await cells.nth(i).click();
	await page.click("#f-reset");
	await page.click("#f-expand");
	const raw = page.locator("details.raw > summary");
	for (let i = 0; i < (await raw.count()); i++)
		await raw.nth(i).click();
	const outputs = page.locator("pre.output");
	for (let i = 0; i < (await outputs.count()); i++)
		await outputs.nth(i).click();
	// Rendered, the output's lines join and its javascript: link keeps
	// only its text; everything else is there, literal.
	const words = (t) => t.replace(/\s+/g, " ").trim();
	same("hostile: output rendered as Markdown, literal",
		words(await page.locator(".out .md").innerText()),
		words(row.output.replace("[md link](javascript:window.__pwned=15)",
			"md link")));
	for (const model of [errored.model, row.model])
		await page.selectOption("#f-model", model);
	await page.click("#f-reset");
	same("hostile: output, literal",
		await page.locator("pre.output").allTextContents(), [row.output]);
	check("hostile: window.__pwned undefined after clicking around",
		(await pwned(page)) === "undefined", await pwned(page));
	same("hostile: still only the page's own elements and styles",
		await structure(page), {
			script: 1, style: 1, meta: 1, button: 3, input: 2, injected: 0,
			urls: 0,
			handlers: 0, styles: [], sheets: 1, bodyShown: true,
			bodyBackground: "rgb(255, 255, 255)",
		});
	same("hostile: still no request, error or violation",
		[requests, problems], [[], []]);
	// Last: a screenshot leaves style="" on the page's inputs.
	await page.click("#f-expand");
	await page.screenshot({ path: join(shotDir, "hostile.png"),
		fullPage: true });
	await page.close();
}

const PNG_SIGNATURE =
	Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// The screenshot is a PNG of the whole page: the signature, then an IHDR
// chunk whose width and height are the page's scroll size (at least the
// 1280 x 900 viewport).
function checkScreenshot(path, size) {
	if (!existsSync(path)) {
		check("screenshot written", false, `no ${path}`);
		return;
	}
	const png = readFileSync(path);
	const head = png.subarray(0, 8);
	check("screenshot is a PNG",
		png.length > 33 && head.equals(PNG_SIGNATURE) &&
		png.toString("latin1", 12, 16) === "IHDR",
		`${png.length} bytes starting ${head.toString("hex")}`);
	if (png.length <= 33)
		return;
	const width = png.readUInt32BE(16);
	const height = png.readUInt32BE(20);
	check("screenshot covers the full page",
		width === size.width && height === size.height &&
		width >= 1280 && height >= 900,
		`${width} x ${height}, page ${size.width} x ${size.height}`);
	check("screenshot has content", png.length > 20000,
		`only ${png.length} bytes`);
}

try {
	await run();
} catch (e) {
	failed++;
	console.log(`FAIL - browser run: ${e && e.stack ? e.stack : e}`);
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
