// Checks report.html in headless Debian Chromium through playwright-core.
// usage: node check.mjs REPORT.html SCREENSHOT.png HOSTILE.html
//
// The report comes from fixture/results.json: two prompts (one with a
// hostile name), three model x temperature columns, five cells, ten
// results, and outputs that try to run script in three ways.  HOSTILE.html
// comes from fixture/hostile.json, whose every text that reaches the page
// (prompt name, file, models, case id, output, evaluator names, reasons,
// error, judge model) tries to end the page's <style> or a <textarea>,
// inject CSS (a <style> element, a style attribute, url(javascript:),
// expression(), @import), link to javascript:, or add an element that
// runs or fetches something; it must all show as text and do nothing.
// Each check prints "ok - name" or "FAIL - name: why"; the last line is
// "browser: N passed, M failed".
import { chromium } from "playwright-core";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [reportPath, screenshotPath, hostilePath] = process.argv.slice(2);
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
];

// What the page shows: visible results and cases, and the counter.
async function visible(page) {
	return page.evaluate(() => {
		const shown = (el) => el.offsetParent !== null;
		const results = [...document.querySelectorAll(".result")].filter(shown);
		return {
			models: [...new Set(results.map((r) => r.dataset.model))].sort(),
			statuses: [...new Set(results.map((r) => r.dataset.status))].sort(),
			results: results.length,
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
	same("no img, a, iframe or i element from data",
		await page.locator("img, a, iframe, object, embed, i").count(), 0);
	check("window.__pwned undefined after load",
		(await pwned(page)) === "undefined", await pwned(page));

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
	same("evaluator tables, one per prompt",
		await page.locator("table.evaluators").count(), 2);
	check("evaluator name with markup shown literally",
		await page.getByRole("rowheader", { name: "no <script>" }).isVisible(),
		"row header 'no <script>' not visible");

	same("all results shown at first", await visible(page), {
		models: ["ollama:llama3", "openai:gpt-4o-mini"],
		statuses: ["error", "fail", "pass", "ungraded"],
		results: 10,
		cases: 4,
		count: "10 of 10 results shown",
	});

	await page.selectOption("#f-model", "ollama:llama3");
	same("model filter hides other models' rows", await visible(page), {
		models: ["ollama:llama3"],
		statuses: ["error", "fail"],
		results: 4,
		cases: 4,
		count: "4 of 10 results shown",
	});

	await page.selectOption("#f-model", { index: 0 });
	await page.selectOption("#f-status", "fail");
	same("status=fail shows only failing results", await visible(page), {
		models: ["ollama:llama3", "openai:gpt-4o-mini"],
		statuses: ["fail"],
		results: 4,
		cases: 3,
		count: "4 of 10 results shown",
	});

	await page.selectOption("#f-status", { index: 0 });
	await page.selectOption("#f-prompt", "prompts/sum.prompt.yml");
	same("prompt filter by the hostile prompt", (await visible(page)).results, 6);
	await page.click("#f-reset");
	same("show all resets", (await visible(page)).results, 10);

	// Clicking a heatmap cell filters to its prompt and model.
	await cell.click();
	same("heatmap click sets the filters", await page.evaluate(() => [
		document.getElementById("f-prompt").value,
		document.getElementById("f-model").value]),
	["prompts/sum.prompt.yml", "openai:gpt-4o-mini"]);
	same("heatmap click shows that cell's prompt and model",
		(await visible(page)).results, 4);
	const heat = page.locator("td.heat");
	for (let i = 0; i < (await heat.count()); i++)
		await heat.nth(i).click();
	await page.click("#f-reset");
	const outputs = page.locator("pre.output");
	for (let i = 0; i < (await outputs.count()); i++)
		await outputs.nth(i).click();
	for (const t of HOSTILE)
		check(`shown literally: ${t}`,
			await page.getByText(t, { exact: false }).first().isVisible(),
			"not visible");
	check("case id with markup shown literally",
		await page.getByText("xss-<i>1</i>").first().isVisible(),
		"not visible");
	check("window.__pwned undefined after clicking around",
		(await pwned(page)) === "undefined", await pwned(page));
	same("still no request, error or violation", [requests, problems], [[], []]);

	await page.locator("#matrix").scrollIntoViewIfNeeded();
	const size = await page.evaluate(() => ({
		width: document.documentElement.scrollWidth,
		height: document.documentElement.scrollHeight,
	}));
	rmSync(screenshotPath, { force: true });
	await page.screenshot({ path: screenshotPath, fullPage: true });
	checkScreenshot(screenshotPath, size);
}

// What the hostile page may hold: its one script and style element, the
// CSP meta tag, the filters' one button, and style attributes that are
// the page's own colours only.
async function structure(page) {
	return page.evaluate(() => {
		const all = [...document.querySelectorAll("*")];
		const count = (sel) => document.querySelectorAll(sel).length;
		return {
			script: count("script"),
			style: count("style"),
			meta: count("meta[http-equiv]"),
			button: count("button"),
			injected: count("img, a, iframe, object, embed, svg, math, " +
				"link, base, form, textarea, noscript, input, video, audio"),
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
			script: 1, style: 1, meta: 1, button: 1, injected: 0, urls: 0,
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
	const outputs = page.locator("pre.output");
	for (let i = 0; i < (await outputs.count()); i++)
		await outputs.nth(i).click();
	for (const model of [errored.model, row.model])
		await page.selectOption("#f-model", model);
	await page.click("#f-reset");
	same("hostile: output, literal",
		await page.locator("pre.output").allTextContents(), [row.output]);
	check("hostile: window.__pwned undefined after clicking around",
		(await pwned(page)) === "undefined", await pwned(page));
	same("hostile: still only the page's own elements and styles",
		await structure(page), {
			script: 1, style: 1, meta: 1, button: 1, injected: 0, urls: 0,
			handlers: 0, styles: [], sheets: 1, bodyShown: true,
			bodyBackground: "rgb(255, 255, 255)",
		});
	same("hostile: still no request, error or violation",
		[requests, problems], [[], []]);
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
