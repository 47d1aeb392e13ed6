#!/bin/sh
# Checks the JUnit report against the Jenkins JUnit schema: the data-report
# unit test writes its junit.xml (with and without timings, with the
# judges' properties, and with the note of partial results) to the path in
# PE_JUNIT_OUT, and xmllint (Debian
# package libxml2-utils) validates each file against tests/data/junit.xsd.  A negative check makes sure the
# schema really is enforced: a suite without its required "tests" must be
# rejected.
# usage: tests/check-junit.sh [BUILD_DIR]   (default build/default)
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build/default}
test_bin=$build/tests/test_reports_data
xsd=tests/data/junit.xsd
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
	pass=$((pass + 1))
	echo "ok   $1"
}

not_ok() {
	fail=$((fail + 1))
	echo "FAIL $1"
}

if ! command -v xmllint >/dev/null 2>&1; then
	echo "prompteval: check-junit: xmllint not found (apt-get install libxml2-utils)" >&2
	echo "junit: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$test_bin" ]; then
	echo "prompteval: check-junit: $test_bin not built (make unit-bins)" >&2
	echo "junit: 0 passed, 1 failed"
	exit 1
fi

if PE_JUNIT_OUT=$tmp/junit.xml "$test_bin" >"$tmp/log" 2>&1; then
	ok "unit test wrote the reports"
else
	not_ok "unit test failed (see below)"
	cat "$tmp/log"
fi

for f in "$tmp/junit.xml" "$tmp/junit.xml-timings.xml" "$tmp/junit.xml-judges.xml" \
	"$tmp/junit.xml-partial.xml"; do
	name=$(basename "$f")
	if [ ! -s "$f" ]; then
		not_ok "$name: not written"
	elif xmllint --noout --schema "$xsd" "$f" >"$tmp/lint" 2>&1; then
		ok "$name validates against $xsd"
	else
		not_ok "$name does not validate"
		cat "$tmp/lint"
	fi
done

printf '<testsuites><testsuite name="x" failures="0" errors="0"/></testsuites>\n' \
	>"$tmp/bad.xml"
if xmllint --noout --schema "$xsd" "$tmp/bad.xml" >/dev/null 2>&1; then
	not_ok "the schema accepts a suite without tests="
else
	ok "the schema rejects a suite without tests="
fi

echo "junit: $pass passed, $fail failed"
[ "$fail" = 0 ]
