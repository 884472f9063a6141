"""Benchmark 4 — load: read + check + compile the whole bundled rule set.

Cold: a new Python process per run (``python -c 'import safetyrules;
safetyrules.load()'``), timed from outside, and the same split into the
import and ``load()`` from inside.  There is no compiled cache: see
docs/performance.md for why and what the profile shows.

    python benchmarks/bench_load.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import _common as C

INSIDE = (
    "import time, json; t0 = time.perf_counter(); import safetyrules; t1 = time.perf_counter(); "
    "safetyrules.load(); t2 = time.perf_counter(); safetyrules.load(); t3 = time.perf_counter(); "
    "print(json.dumps({'import_s': t1 - t0, 'load_s': t2 - t1, 'warm_load_s': t3 - t2}))"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    m = C.machine()
    C.print_machine(m)
    walls, parts = [], []
    for i in range(args.runs + 1):  # the first is the warm-up (file cache, .pyc)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", INSIDE], capture_output=True, text=True, cwd=C.ROOT, check=True)
        wall = time.perf_counter() - t0
        if i:
            walls.append(wall)
            parts.append(json.loads(out.stdout))
    import statistics

    med = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
    wall = statistics.median(walls)
    rows = [
        ["new process: start + import + load twice (wall)", wall],
        ["  import safetyrules", med["import_s"]],
        ["  safetyrules.load() (first in process)", med["load_s"]],
        ["  safetyrules.load() again (same process)", med["warm_load_s"]],
    ]
    print()
    print(C.table(["what", "seconds (median)"], rows))
    print(f"\ncold load + check + compile: {med['load_s']:.2f} s (target < 0.5 s); "
          f"with import {med['import_s'] + med['load_s']:.2f} s")
    C.write_results("load", {"machine": m, "command": f"python benchmarks/bench_load.py --runs {args.runs}",
                             "wall_s": walls, "median": {**med, "wall_s": wall}, "runs": parts})


if __name__ == "__main__":
    main()
