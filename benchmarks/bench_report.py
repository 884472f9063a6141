"""Report benchmark: ``safetyrules report`` over a 111,154-entity graded registry.

The registry is real decisions of the bundled rule set: ``entities.generate``
draws 3,000 synthetic entities to Shenzhen's level mix (see
benchmarks/entities.py), each is decided once, and the decisions are cycled
to 111,154 lines, each with its own ``entity`` block (id, grid of 885,
sector) and ``line`` — the shape ``evaluate --format json`` writes.  The file
is built once per run in a temporary directory; only the ``report`` command
is timed, end to end (a new process, as a user runs it), for each format.

    python benchmarks/bench_report.py [--n 111154] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import safetyrules  # noqa: E402
from entities import AS_OF, generate  # noqa: E402


def build(path: str, n: int) -> float:
    rules = safetyrules.load()
    facts, _ = generate(rules, 3000)
    decided = [rules.evaluate(f, as_of=AS_OF).to_dict() for f in facts]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            d = dict(decided[i % len(decided)])
            sector = (facts[i % len(facts)].get("entity") or {}).get("sector") or "other"
            d["entity"] = {"id": f"SZ{i:06d}", "grid": f"G{i % 885:03d}", "sector": sector}
            d["line"] = i + 1
            fh.write(json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    return os.path.getsize(path) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=111_154)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "decisions.jsonl")
        mib = build(path, args.n)
        print(f"registry: {args.n:,} decisions, {mib:,.1f} MiB")
        for fmt, by in (("json", "grid"), ("html", "grid"), ("markdown", "sector"), ("html", "scale")):
            times, cpu = [], []
            for _ in range(args.runs):
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "safetyrules", "report", path, "--format", fmt, "--by", by,
                                "--out", os.path.join(work, "out")], check=True)
                times.append(time.perf_counter() - t)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
            print(f"report --format {fmt:8s} --by {by:6s}: median {statistics.median(times):.2f} s wall "
                  f"(min {min(times):.2f} s, {args.runs} runs), {statistics.median(cpu):.2f} s CPU; "
                  f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
