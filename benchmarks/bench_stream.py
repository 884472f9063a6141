"""Benchmark 5 — streaming: ``safetyrules evaluate big.jsonl`` keeps memory flat.

Writes synthetic entities (the bundled rule set's examples, varied) as JSON
Lines to a temporary directory, runs the CLI on the first 100 k lines and on
all of them (default 1 M), and reports the child's peak RSS and throughput.
Output goes to /dev/null.  The file is deleted afterwards.

    python benchmarks/bench_stream.py [--lines 1000000] [--small 100000] [--jobs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import _common as C
import entities


def _child_run(args, path):
    cmd = [sys.executable, "-m", "safetyrules", "evaluate", path, "--format", "json",
           "--as-of", entities.AS_OF.isoformat(), "--jobs", str(args.jobs)]
    t0 = time.perf_counter()
    # wait4 gives the child's own peak RSS (ru_maxrss, KiB on Linux)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=C.ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--small", type=int, default=100000)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    m = C.machine()
    C.print_machine(m)
    import safetyrules

    rules = safetyrules.load()
    pool, summary = entities.generate(rules, 2000, seed=7)
    rng = random.Random(5)
    tmp = tempfile.mkdtemp(prefix="sr-stream-")
    rows, out = [], {}
    try:
        paths = {}
        for n in (args.small, args.lines):
            p = os.path.join(tmp, f"big-{n}.jsonl")
            with open(p, "w", encoding="utf-8") as fh:
                for _ in range(n):
                    fh.write(json.dumps(rng.choice(pool), ensure_ascii=False) + "\n")
            paths[n] = p
            print(f"wrote {n:,} lines ({os.path.getsize(p) / 2**20:.0f} MiB)")
        for n, p in paths.items():
            wall, rss, code, err = _child_run(args, p)
            if code != 0:
                raise SystemExit(f"evaluate exited {code}: {err[-2000:]}")
            out[n] = {"wall_s": wall, "peak_rss_mib": rss, "records_per_s": n / wall,
                      "file_mib": os.path.getsize(p) / 2**20}
            rows.append([f"{n:,} lines", out[n]["file_mib"], rss, n / wall, wall])
            print(f"  {n:,} lines: peak RSS {rss:.0f} MiB, {n / wall:,.0f} records/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(C.table(["input", "file MiB", "peak RSS MiB", "records/s", "seconds"], rows))
    growth = out[args.lines]["peak_rss_mib"] - out[args.small]["peak_rss_mib"]
    print(f"\npeak RSS growth from {args.small:,} to {args.lines:,} lines: {growth:+.1f} MiB")
    C.write_results("stream", {"machine": m, "command": "python benchmarks/bench_stream.py "
                               f"--lines {args.lines} --small {args.small} --jobs {args.jobs}",
                               "results": {str(k): v for k, v in out.items()}, "rss_growth_mib": growth})


if __name__ == "__main__":
    main()
