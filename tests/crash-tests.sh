#!/bin/sh
# Crashes and a full disk, against the fake LLM server.
#
# 1. kill -9 at 10 points of one run of 36 jobs (before its first answer,
#    after 1 to 8 answers of a resumed run, and once the last job is in),
#    each kill followed by --resume.  After every kill the journal holds
#    only whole JSON lines (a torn last one at most), no job twice, and
#    every cache entry is whole JSON; the finished run has each of the 36
#    jobs once, and its results equal, timings and cache hits aside, those
#    of a run that was never killed; the server was asked at most for the
#    36 answers and the 2 in flight at each kill.
# 2. One SIGINT in the middle of that run: exit 2, the requests in flight
#    finished, and results.json and the terminal, md, html and junit
#    reports say the results are partial (N of 36 jobs); --resume then
#    finishes with complete results that say nothing of the kind.
# 3. A full disk under OUT (a 24 KiB tmpfs, when this can mount one; a
#    journal that is /dev/full otherwise): a clear error naming the
#    journal and the reason, exit 5, and every journal line written before
#    it whole; with room again, --resume keeps those lines and finishes.
#
# Waits read the -v lines from a FIFO or poll the server's /_stats; none
# sleeps.
#
# usage: tests/crash-tests.sh PROMPTEVAL FAKELLM
set -u
PE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FAKELLM=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
export FAKELLM
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
work=$(mktemp -d)
mounted=
cleanup() {
	fake_stop
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
pass=0
fail=0
PROMPT=tests/fixtures/run/plan.prompt.yml

ok() { pass=$((pass + 1)); echo "ok   $1"; }
requests() { fake_get /_stats | sed 's/.*"requests":\([0-9]*\).*/\1/'; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# The run every kill interrupts: 4 cases x 9 models, each request its own
# (temperature 0: the fake server's answer depends on the request alone).
run_args() {
	m=""
	for x in strong weak a b c d e f g; do m="$m -m openai:sim-$x"; done
	echo "-q -v -c $work/pe.yml $m -t 0 -j 2 --cache-dir $work/cache"
}

# Checks what a kill left: the journal and the cache entries.
check_left() { # point
	if python3 - "$work/crash/results.jsonl" "$work/cache" <<'PY'; then
import json, os, sys
journal, cache = sys.argv[1], sys.argv[2]
ids = []
torn = ""
if os.path.exists(journal):
    data = open(journal, "rb").read()
    lines = data.split(b"\n")
    # A line cut by the kill can only be the last, with no newline.
    for line in lines[:-1]:
        ids.append(json.loads(line)["id"])
    if lines[-1]:
        torn = ", and a torn last line (cut on resume)"
assert len(ids) == len(set(ids)), "a job twice in the journal"
for d, _, files in os.walk(cache):
    for f in files:
        if ".tmp." not in f:
            json.load(open(os.path.join(d, f)))
open(os.path.join(os.path.dirname(cache), "count"), "w").write("%d jobs in the journal%s" % (len(ids), torn))
PY
		ok "kill $1: journal and cache whole ($(cat "$work/count"))"
	else
		bad "kill $1: journal or cache corrupt"
	fi
}

# Starts a run (with --resume after the first) and kills it with -9 once
# it has printed $2 -v lines; 0 kills it once the server has a request.
kill_at() { # point, lines, extra options
	point=$1
	lines=$2
	shift 2
	rm -f "$work/err"
	mkfifo "$work/err"
	base=$(requests)
	# shellcheck disable=SC2046
	"$PE" run $(run_args) -o "$work/crash" "$@" "$PROMPT" >/dev/null 2>"$work/err" &
	pid=$!
	exec 3<"$work/err"
	if [ "$lines" = 0 ]; then
		until [ "$(requests)" -gt "$base" ]; do :; done
	else
		read_verdicts "$lines"
	fi
	kill -9 $pid 2>/dev/null
	cat <&3 >/dev/null
	exec 3<&-
	wait $pid 2>/dev/null
	check_left "$point"
}

fake_start --latency-ms 50
fake_config "$work/pe.yml"
# shellcheck disable=SC2046
"$PE" run $(run_args) -o "$work/ref" --no-cache "$PROMPT" >/dev/null 2>&1
ref_requests=$(requests)
# Point 1 before the first answer; points 2 to 9 after some answers of a
# resumed run; point 10 once the last answer is in (results.json may or
# may not be written by then).
kill_at 1 0
n=2
for lines in 1 3 2 4 1 5 2 8; do
	kill_at $n "$lines" --resume
	n=$((n + 1))
done
done_lines=$(grep -c '' "$work/crash/results.jsonl")
left=$((36 - done_lines))
[ $left -gt 0 ] || left=1
kill_at 10 "$left" --resume
# shellcheck disable=SC2046
"$PE" run $(run_args) -o "$work/crash" --resume "$PROMPT" >/dev/null 2>&1
status=$?
if python3 - "$work/ref/results.json" "$work/crash/results.json" \
	"$work/crash/results.jsonl" <<'PY'; then
import json, sys
def norm(path):
    d = json.load(open(path))
    for r in d["results"]:
        for k in ("first_byte_ms", "total_ms", "cached", "attempts"):
            r["call"].pop(k, None)
    return d
ref, got = norm(sys.argv[1]), norm(sys.argv[2])
ids = [r["id"] for r in got["results"]]
assert len(ids) == 36 and len(set(ids)) == 36, len(ids)
journal = [json.loads(l)["id"] for l in open(sys.argv[3], "rb").read().split(b"\n") if l.strip()]
assert len(journal) == len(set(journal)) == 36, ("journal", len(journal), len(set(journal)))
assert "partial" not in got
assert ref == got, [(a["id"], a["status"], b["status"]) for a, b in zip(ref["results"], got["results"]) if a != b][:5]
PY
	[ $status -le 2 ] && ok "after 10 kills and resumes: 36 jobs, each once, equal to an uninterrupted run (exit $status)" ||
		bad "final resume exited $status"
else
	bad "after 10 kills the results differ from an uninterrupted run"
fi
# Each kill may lose the answers in flight (2 at -j 2) before they are
# cached; any other answer asked for twice would be a job repeated.
sent=$(($(requests) - ref_requests))
[ $sent -ge 36 ] && [ $sent -le $((36 + 2 * 10)) ] &&
	ok "10 kills: $sent requests for 36 jobs (at most 2 in flight lost a kill)" ||
	bad "10 kills: $sent requests for 36 jobs"
fake_stop

# 2. One SIGINT.
fake_start --latency-ms 50
fake_config "$work/pe.yml"
rm -f "$work/err"
mkfifo "$work/err"
# shellcheck disable=SC2046
"$PE" run $(run_args) --no-cache -o "$work/int" -f terminal,md,html,junit,json \
	"$PROMPT" >"$work/int.out" 2>"$work/err" &
pid=$!
exec 3<"$work/err"
read_verdicts 3
kill -INT $pid
cat <&3 >/dev/null
exec 3<&-
wait $pid
status=$?
if python3 - "$work/int" <<'PY'; then
import json, re, sys
out = sys.argv[1]
d = json.load(open(out + "/results.json"))
n = len(d["results"])
assert 3 <= n < 36 and d["partial"] == {"finished": n, "jobs": 36}, d.get("partial")
note = "partial: %d of 36 jobs finished (the run was interrupted)" % n
for name in ("../int.out", "report.md", "report.html", "junit.xml"):
    assert note in open(out + "/" + name).read(), name
open(out + "/../count", "w").write(note)
PY
	[ $status = 2 ] && ok "SIGINT: exit 2, and results.json and every report say '$(cat "$work/count")'" ||
		bad "SIGINT: exit $status"
else
	bad "SIGINT: the partial results or a report"
fi
before=$(requests)
# shellcheck disable=SC2046
"$PE" run $(run_args) --no-cache -o "$work/int" -f md,json --resume "$PROMPT" \
	>/dev/null 2>&1
after=$(requests)
kept=$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if l.strip()))" \
	"$work/int/results.jsonl")
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['results'])==36 and 'partial' not in d" \
	"$work/int/results.json" && ! grep -q "partial:" "$work/int/report.md" &&
	[ $((after - before)) = $((36 - before)) ] &&
	ok "SIGINT: --resume sends the $((36 - before)) jobs left, and the results no longer say partial" ||
	bad "SIGINT: the resumed results ($((after - before)) requests after $before, $kept lines)"
fake_stop

# 3. A full disk.
mkdir "$work/disk"
if [ -z "${CRASH_NO_MOUNT:-}" ] && mount -t tmpfs -o size=24k tmpfs "$work/disk" 2>/dev/null; then
	mounted=$work/disk
	out=$work/disk/out
	how="a 24 KiB tmpfs"
else
	out=$work/full
	mkdir "$out"
	ln -s /dev/full "$out/results.jsonl"
	how="a journal on /dev/full"
fi
fake_start
fake_config "$work/pe.yml"
# shellcheck disable=SC2046
"$PE" run $(run_args) -o "$out" --no-cache "$PROMPT" >/dev/null 2>"$work/full.err"
status=$?
grep -q "results.jsonl" "$work/full.err" && grep -q "No space left on device" "$work/full.err" &&
	[ $status = 5 ] &&
	ok "full disk ($how): exit 5, the message names the journal and the reason" ||
	bad "full disk ($how): exit $status: $(cat "$work/full.err")"
if [ -n "$mounted" ]; then
	kept=$(python3 - "$out/results.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
for line in lines[:-1]:
    json.loads(line)
print(len(lines) - 1)
PY
	)
	[ -n "$kept" ] && [ "$kept" -gt 0 ] &&
		ok "full disk: the $kept journal lines written before it are whole" ||
		bad "full disk: journal lines damaged ($kept)"
	before=$(requests)
	mount -o remount,size=4m "$mounted"
	# shellcheck disable=SC2046
	"$PE" run $(run_args) -o "$out" --no-cache --resume "$PROMPT" >/dev/null 2>&1
	status=$?
	after=$(requests)
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['results'])==36" \
		"$out/results.json" && [ $((after - before)) = $((36 - kept)) ] &&
		ok "full disk: with room again, --resume keeps the $kept jobs and runs $((36 - kept)) (exit $status)" ||
		bad "full disk: resume sent $((after - before)) requests for $((36 - kept)) jobs (exit $status)"
	echo "     (the full-disk run sent $before requests for 36 jobs)"
fi
fake_stop

echo "crash: $pass passed, $fail failed"
[ "$fail" = 0 ]
