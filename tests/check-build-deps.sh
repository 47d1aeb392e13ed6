#!/bin/sh
# Checks the split of the Debian packages in the Makefile: "make" (all,
# deps) installs what the build needs and no test tool, "make test" the
# test tools, and "make demo" only Python besides the build.  Reads the
# lists from "make -s print-deps" and "make -s print-test-deps", and the
# tests/deps.sh command lines from "make -n" of each target.
# usage: tests/check-build-deps.sh
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What only the tests use (npm is listed when nodejs brings none).
TEST_TOOLS="chromium nodejs npm clang libclang-rt-dev clang-format
libcmocka-dev libxml2-utils curl openssl python3 python3-yaml jq
libtest-json-schema-acceptance-perl python3-jsonschema"
# What the binary cannot be built without: the compiler and the -dev
# package of each library it links.
BUILD_NEEDS="gcc make pkg-config libc6-dev libcurl4-openssl-dev libcjson-dev
libpcre2-dev libyaml-dev libssl-dev libmd4c-dev libutf8proc-dev"

# Counts and prints one check: $1 names it, $2 says what is wrong ("" when
# nothing is).
report() {
	if [ -z "$2" ]; then
		pass=$((pass + 1))
		echo "ok   $1"
	else
		fail=$((fail + 1))
		echo "FAIL $1: $2"
	fi
}

# Checks that list file $2 holds none of the words $3; names the check $1.
holds_none() {
	found=""
	for p in $3; do
		grep -q -x -F -- "$p" "$2" && found="$found $p"
	done
	[ -s "$2" ] || found=" (empty list)"
	report "$1" "${found# }"
}

# Checks that list file $2 holds every word of $3; names the check $1.
holds_all() {
	missing=""
	for p in $3; do
		grep -q -x -F -- "$p" "$2" || missing="$missing $p"
	done
	report "$1" "${missing:+missing$missing}"
}

# The packages "make -n TARGET" would have tests/deps.sh install, one a line.
installs() {
	make -n "$1" 2>/dev/null | sed -n 's/^sh tests\/deps\.sh //p' |
		tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u
}

make -s print-deps >"$tmp/build" || report "make print-deps" "failed"
make -s print-test-deps >"$tmp/test" ||
	report "make print-test-deps" "failed"
holds_none "the build dependencies hold no test tool" "$tmp/build" "$TEST_TOOLS"
holds_all "the build dependencies hold the compiler and every library" \
	"$tmp/build" "$BUILD_NEEDS"
holds_all "the test dependencies hold the test tools" "$tmp/test" \
	"$(echo "$TEST_TOOLS" | tr ' ' '\n' | grep -v -x npm)"

for target in all deps; do
	installs $target >"$tmp/$target"
	holds_none "make -n $target installs no test tool" "$tmp/$target" \
		"$TEST_TOOLS"
done
installs demo >"$tmp/demo"
holds_all "make -n demo installs python3" "$tmp/demo" python3
holds_none "make -n demo installs no other test tool" "$tmp/demo" \
	"$(echo "$TEST_TOOLS" | tr ' ' '\n' | grep -v -x python3)"
installs test >"$tmp/make-test"
holds_all "make -n test installs the test tools" "$tmp/make-test" \
	"$(echo "$TEST_TOOLS" | tr ' ' '\n' | grep -v -x npm)"

echo "build-deps: $pass passed, $fail failed"
[ "$fail" = 0 ]
