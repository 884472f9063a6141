"""Supervision commands on a Shenzhen-sized registry (issue 11 targets).

    python benchmarks/bench_supervision.py [--repeat N]

Generates the synthetic 111,154-entity graded registry of
``examples/supervision/make_registry.py`` (and its follow-up) in a temporary
directory, then times, as a user runs them (``python -m safetyrules ...``,
so each figure includes interpreter start-up and reading the files):

* ``plan``, ``draw commit``, ``draw run``, ``draw verify`` (with the raw
  inputs) and ``grid`` on 111,154 entities — target: each under 10 s;
* ``track`` on two 100,000-entity registries — target: under 10 s.

Prints the best of ``--repeat`` runs (default 3) per command: wall-clock
time and the CPU time (user + system) of the command's process; on a busy
machine (the load average is printed) the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EX = os.path.join(HERE, "..", "examples", "supervision")
SEED = "5f2c1d9e0b7a4c3e8d6f1a2b3c4d5e6f"
COMMITMENT = "81c444a187739367feac59c59af8d1fea4a0567a7cb964c28923036ab4e7477a"


def sr(*args):
    return [sys.executable, "-m", "safetyrules", *args]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    sys.path.insert(0, EX)
    import make_registry

    tmp = tempfile.mkdtemp(prefix="bench-sv-")
    reg, fol = os.path.join(tmp, "registry.jsonl"), os.path.join(tmp, "followup.jsonl")
    n = make_registry.write(reg)
    make_registry.write(fol, follow_up=True)
    old100, new100 = os.path.join(tmp, "old100k.jsonl"), os.path.join(tmp, "new100k.jsonl")
    for src, dst in ((reg, old100), (fol, new100)):
        with open(src, encoding="utf-8") as i, open(dst, "w", encoding="utf-8") as o:
            for k, line in enumerate(i):
                if k == 100_000:
                    break
                o.write(line)
    # a staff file large enough for the Shenzhen key set (so the plan is feasible and has a budget)
    staff = os.path.join(tmp, "staff.yaml")
    with open(staff, "w") as fh:
        fh.write("year: 2025\nworkdays: 248\nstaff: 900\nother_enforcement: 20000\nnon_enforcement: 15000\n")
    insp = os.path.join(tmp, "inspectors.yaml")
    with open(insp, "w") as fh:
        fh.write("inspectors:\n" + "".join(f"  - {{id: I{i:03d}, name: 'Inspector {i}', unit: bureau, cert_no: 'C{i}', cert_valid_until: 2027-12-31}}\n" for i in range(1, 301)))
    members = os.path.join(tmp, "members.csv")
    with open(members, "w") as fh:
        fh.write("id,grid,fte,cert_no\n" + "".join(f"M{g}-{k},G{g:03d},1,\n" for g in range(1, 886) for k in (1, 2)))
    pol = os.path.join(EX, "policy.yaml")
    cal = os.path.join(EX, "calendar-2025.yaml")
    hist = os.path.join(EX, "history.jsonl")
    plan_json, man, res = (os.path.join(tmp, x) for x in ("plan.json", "manifest.json", "result.json"))
    steps = [
        ("plan (111,154)", sr("plan", reg, "--policy", pol, "--staff", staff, "--calendar", cal, "--year", "2025", "--history", hist, "-o", plan_json, "--format", "json")),
        ("draw commit (111,154)", sr("draw", "commit", reg, "--policy", pol, "--history", hist, "--inspectors", insp, "--as-of", "2025-03-01", "--commitment", COMMITMENT, "--plan", plan_json, "-o", man, "--format", "json")),
        ("draw run", sr("draw", "run", man, "--seed", SEED, "-o", res, "--format", "json")),
        ("draw verify (+ raw inputs)", sr("draw", "verify", man, res, "--seed", SEED, "--registry", reg, "--policy", pol, "--history", hist, "--inspectors", insp)),
        ("grid (111,154)", sr("grid", reg, "--members", members, "--policy", pol, "--calendar", cal, "--year", "2025", "--format", "json")),
        ("track (2 x 100,000)", sr("track", old100, new100, "--ledger", os.path.join(EX, "ledger.jsonl"), "--as-of", "2025-10-01", "--format", "json")),
    ]
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; registry {n:,} lines ({os.path.getsize(reg) / 2**20:.1f} MiB)")
    worst = 0.0
    for name, cmd in steps:
        best = cpu_best = None
        for _ in range(a.repeat):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            dt = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            cpu_best = cpu if cpu_best is None else min(cpu_best, cpu)
            if p.returncode not in (0, 1):
                print(f"{name}: failed ({p.returncode}): {p.stderr[-400:]}", file=sys.stderr)
                return 1
            best = dt if best is None else min(best, dt)
        worst = max(worst, best)
        print(f"{name:<28} wall {best:6.2f} s  cpu {cpu_best:6.2f} s  {'ok' if best < 10 else 'OVER 10 s (wall)'}")
    return 0 if worst < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
