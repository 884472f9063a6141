"""Shared helpers for the benchmark scripts: the machine, timing, results.

Every script prints a table and writes ``benchmarks/results/<name>.json``.
Timings are the median of ``--runs`` runs (default 5) after one warm-up run.
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def machine() -> Dict[str, Any]:
    """Where the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def print_machine(m: Dict[str, Any]) -> None:
    print(f"machine: {m['platform']}; {m['cpu']}; {m['usable_cpus']} of {m['cpu_count']} CPUs; "
          f"{m['implementation']} {m['python']}")


def median_time(fn: Callable[[], Any], runs: int = 5, warmup: int = 1) -> Dict[str, Any]:
    """Time ``fn()`` ``runs`` times after ``warmup`` untimed runs (GC on, as
    in real use, but collected before each run)."""
    for _ in range(warmup):
        fn()
    times: List[float] = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": times}


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: KiB units)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / (1024.0 * 1024.0)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if k and _numeric(c) else c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(c: Any) -> str:
    if isinstance(c, float):
        if c != c:
            return "-"
        if abs(c) >= 1000:
            return f"{c:,.0f}"
        if abs(c) >= 10:
            return f"{c:.1f}"
        return f"{c:.3g}" if abs(c) < 1 else f"{c:.2f}"
    if isinstance(c, int) and not isinstance(c, bool):
        return f"{c:,}"
    return str(c)


def _numeric(s: str) -> bool:
    return bool(s) and (s[0].isdigit() or s[0] in "-.") and s != "-"


def write_results(name: str, data: Dict[str, Any]) -> str:
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")
    return path
