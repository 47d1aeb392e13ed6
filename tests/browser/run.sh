#!/bin/sh
# Checks report.html in a real browser: writes it from fixture/results.json
# with fixture/prompteval.yml's prices against fixture/base.json (and a
# second one from fixture/hostile.json, whose every text is an injection)
# with "prompteval report -f html", opens it as a file:// URL in headless
# Debian Chromium (/usr/bin/chromium) through playwright-core, and runs
# check.mjs.  Installs what it needs: the Debian packages chromium, nodejs
# and (when no npm comes with nodejs) npm, and playwright-core from
# package-lock.json into tests/browser/node_modules.  No browser is ever
# downloaded.  The screenshots go to out/browser/: report.png (the page as
# it opens), inspector.png (a heatmap cell clicked), cases.png (every case
# of a prompt open, its columns aligned) and hostile.png.
# The last line is "browser: N passed, M failed".
# usage: tests/browser/run.sh [PROMPTEVAL]
set -u
cd "$(dirname "$0")/../.." || exit 1
PE=${1:-./prompteval}
out=out/browser

fail() {
	echo "browser: $1" >&2
	echo "browser: 0 passed, 1 failed"
	exit 1
}

sh tests/deps.sh chromium nodejs || fail "cannot install chromium and nodejs"
command -v npm >/dev/null 2>&1 || sh tests/deps.sh npm ||
	fail "cannot install npm"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium"
[ -x "$PE" ] || fail "no $PE: build it first (make)"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f tests/browser/node_modules/playwright-core/package.json ] ||
	[ tests/browser/package-lock.json -nt \
		tests/browser/node_modules/.package-lock.json ]; then
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
		fail "npm ci of playwright-core failed"
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$PE" report -c tests/browser/fixture/prompteval.yml \
	--baseline tests/browser/fixture/base.json \
	tests/browser/fixture/results.json -f html -o "$tmp" ||
	fail "prompteval report -f html failed"
"$PE" report tests/browser/fixture/hostile.json -f html -o "$tmp/hostile" ||
	fail "prompteval report -f html failed on hostile.json"
mkdir -p "$out" || exit 1
cp "$tmp/report.html" "$out/report.html"
node tests/browser/check.mjs "$tmp/report.html" "$out" \
	"$tmp/hostile/report.html"
