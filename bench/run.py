#!/usr/bin/env python3
"""bench/run: throughput, latency hiding and memory of `prompteval run`.

Runs against the project's fake LLM server on 127.0.0.1 and prints:
  1. 2,000 jobs, server latency 200 ms, -j 64: wall time / ideal 6.25 s
     (target <= 1.10);
  2. a zero-latency server: jobs/s (target >= 3,000 on 2 cores), harness
     CPU time per job, and the server's share of the CPU;
  3. 100,000 jobs with ~4 KB answers: peak RSS (target <= 150 MB).

usage: bench/run.py PROMPTEVAL FAKELLM [--quick]
"""
import json, os, resource, subprocess, sys, tempfile, time

PE, FAKE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
QUICK = "--quick" in sys.argv
work = tempfile.mkdtemp(prefix="pe-bench-")


def start_server(*args):
    fifo = os.path.join(work, "port-%d" % time.monotonic_ns())
    os.mkfifo(fifo)
    proc = subprocess.Popen([FAKE, "--port-file", fifo, *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(fifo) as f:            # blocks until the server listens
        port = int(f.readline())
    return proc, port


def cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_prompt(cases, name):
    """A prompt with `cases` test cases (in a JSONL dataset) and two cheap
    evaluators, so the figures measure the runner, not the scoring."""
    data = os.path.join(work, name + ".jsonl")
    with open(data, "w") as f:
        for i in range(cases):
            f.write(json.dumps({"id": "c%06d" % i, "vars": {"n": i}}) + "\n")
    path = os.path.join(work, name + ".prompt.yml")
    with open(path, "w") as f:
        f.write("name: %s\nmessages:\n  - role: system\n    content: |\n"
                "      Answer with sections:\n      ## 1. Plan\n"
                "      ## 2. Risks\n  - role: user\n"
                "    content: 'Case {{n}}'\ntestData: %s\n"
                "evaluators:\n  - name: sections\n    sections: [Plan]\n"
                "  - name: words\n    length: {words: 10}\n" % (name, data))
    return path


def run(port, prompt, extra, out):
    cfg = os.path.join(work, "pe-%d.yml" % port)
    with open(cfg, "w") as f:
        f.write("providers:\n  openai:\n    base_url: http://127.0.0.1:%d/v1\n" % port)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run([PE, "run", "-q", "-c", cfg, "--no-cache",
                           "-m", "openai:sim-strong", "-o", out, *extra, prompt],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          cwd=work)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit("bench/run: prompteval exited %d: %s" % (proc.returncode,
                                                         proc.stderr[-500:]))
    return wall, cpu, after.ru_maxrss / 1024.0


def main():
    print("bench/run: prompteval run against the fake server on 127.0.0.1")

    # 1. Latency hiding.
    jobs = 500 if QUICK else 2000
    server, port = start_server("--latency-ms", "200")
    wall, cpu, _ = run(port, make_prompt(jobs, "latency"), ["-j", "64"],
                       os.path.join(work, "out1"))
    server.terminate(); server.wait()
    ideal = jobs * 0.2 / 64
    print("  %d jobs, 200 ms latency, -j 64: %.2f s, ideal %.2f s, ratio %.3f "
          "(target <= 1.10)" % (jobs, wall, ideal, wall / ideal))

    # 2. Throughput with a zero-latency server.
    jobs = 2000 if QUICK else 10000
    server, port = start_server()
    prompt = make_prompt(jobs, "throughput")
    wall, cpu, _ = run(port, prompt, ["-j", "32"], os.path.join(work, "out2"))
    server_cpu = cpu_seconds(server.pid)
    server.terminate(); server.wait()
    print("  %d jobs, zero latency, -j 32: %.2f s, %.0f jobs/s (target >= 3000),"
          " harness CPU %.0f us/job, server CPU share %.0f%%"
          % (jobs, wall, jobs / wall, cpu / jobs * 1e6,
             100 * server_cpu / (server_cpu + cpu)))

    # 3. Memory over a long run.
    cases, repeats = (200, 50) if QUICK else (1000, 100)
    server, port = start_server()
    _, _, rss = run(port, make_prompt(cases, "memory"),
                    ["-j", "64", "-n", str(repeats), "-t", "0.7"],
                    os.path.join(work, "out3"))
    size = os.path.getsize(os.path.join(work, "out3", "results.jsonl"))
    server.terminate(); server.wait()
    print("  %d jobs (%.0f MB of results): peak RSS of prompteval %.1f MB "
          "(target <= 150)" % (cases * repeats, size / 1e6, rss))
    subprocess.run(["rm", "-rf", work])


main()
