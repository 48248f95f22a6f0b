#!/usr/bin/env python3
"""Whole-process `bulwark get NS KEY --reveal` and `bulwark exec FILE -- /bin/true` with and
without the key agent (issue #20).

    bench/agent_bench.py [build-dir] [rounds] [runs-per-round]

Creates a throwaway home (init, one secret), then alternates: `runs` processes that open the
keystore with the passphrase (Argon2id t=3, 64 MiB, as shipped), then `runs` processes served by
a running agent (BULWARK_PASSPHRASE unset), for `rounds` rounds, and prints min / median / max
of wall and CPU (user + system of the child) per process, and the same for `/bin/true` (the floor
of a process start), `bulwark --version` (the CLI's start-up) and the redacted `get` (the same
command without keys), so that what the agent removes and what is left are told apart. Every run's output is checked (the secret must be printed).
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build")
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
bulwark = os.path.abspath(os.path.join(build, "bulwark"))
home = tempfile.mkdtemp(prefix="bulwark-agent-bench-")
base = {k: v for k, v in os.environ.items() if not k.startswith("BULWARK_")}
base["BULWARK_HOME"] = home
with_pass = dict(base, BULWARK_PASSPHRASE="bench-passphrase")
SECRET = "bench-s3cret-value"


def run(args, env, stdin=None):
    return subprocess.run([bulwark] + args, env=env, input=stdin, capture_output=True, text=True)


def measure(argv, env, expect):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0 or expect not in p.stdout:
        sys.exit(f"bench run failed: {argv}: {p.returncode} {p.stderr.strip()}")
    return wall * 1000, cpu * 1000


try:
    assert run(["init"], with_pass).returncode == 0
    r = run(["set", "bench/app", "db.password", "-", "--secret"], with_pass, SECRET)
    assert r.returncode == 0, r.stderr
    app = os.path.join(home, "app.yaml")
    with open(app, "w") as f:  # a small file with 3 secrets, as in the measurement
        f.write("db:\n  host: db.internal\n  password: pw-1\napi_key: k-2\njwt_secret: j-3\n")
    r = run(["encrypt", "-i", app], with_pass)
    assert r.returncode == 0, r.stderr
    r = run(["agent", "start", "--allow-swap"], with_pass)
    assert r.returncode == 0, r.stderr
    get = [bulwark, "get", "bench/app", "db.password", "--reveal"]
    exe = [bulwark, "exec", app, "--", "/bin/true"]
    samples = {"true": [], "version": [], "redacted": [], "passphrase": [], "agent": [],
               "exec_passphrase": [], "exec_agent": []}
    for _ in range(rounds):
        for _ in range(runs):
            samples["true"].append(measure(["/bin/true"], base, ""))
        for _ in range(runs):
            samples["version"].append(measure([bulwark, "--version"], base, ""))
        for _ in range(runs):  # the same command without --reveal: no keys at all
            samples["redacted"].append(measure(get[:-1], base, "[redacted]"))
        # Without the agent: it is stopped for these runs (no socket, the path of a user who never
        # started one: Argon2id every time), then started again.
        assert run(["agent", "stop"], base).returncode == 0
        for _ in range(runs):
            samples["passphrase"].append(measure(get, with_pass, SECRET))
        for _ in range(runs):
            samples["exec_passphrase"].append(measure(exe, with_pass, ""))
        assert run(["agent", "start", "--allow-swap"], with_pass).returncode == 0
        for _ in range(runs):
            samples["agent"].append(measure(get, base, SECRET))
        for _ in range(runs):
            samples["exec_agent"].append(measure(exe, base, ""))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}")
    print(f"{rounds} rounds x {runs} processes each, interleaved; ms per process")
    print("| case | wall min / median / max | CPU min / median / max |")
    print("|---|---|---|")
    for name, label in (("true", "/bin/true"), ("version", "bulwark --version"),
                        ("redacted", "get (redacted: no keys opened)"),
                        ("passphrase", "get --reveal, passphrase (no agent)"),
                        ("agent", "get --reveal, through the agent"),
                        ("exec_passphrase", "exec FILE -- /bin/true (3 secrets), passphrase"),
                        ("exec_agent", "exec FILE -- /bin/true (3 secrets), through the agent")):
        w = sorted(s[0] for s in samples[name])
        c = sorted(s[1] for s in samples[name])
        print(f"| {label} | {w[0]:.1f} / {statistics.median(w):.1f} / {w[-1]:.1f} | "
              f"{c[0]:.1f} / {statistics.median(c):.1f} / {c[-1]:.1f} |")
finally:
    subprocess.run([bulwark, "agent", "stop"], env=base, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)
