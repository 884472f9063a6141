"""Benchmark 1 — per record, bundled standards.

``RuleSet.evaluate`` over synthetic entities drawn to Shenzhen's grade mix
(see ``entities.py``): records/s, p50/p99 latency per record, peak RSS; then
the batch paths on the same records: ``evaluate_many`` (serial, and with a
process pool), and ``to_json`` of every decision (what the CLI prints).

    python benchmarks/bench_evaluate.py [--n 100000] [--runs 5] [--jobs 2]
"""

from __future__ import annotations

import argparse
import time

import _common as C
import entities


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2, help="process pool size for the evaluate_many(jobs=N) row")
    args = ap.parse_args()

    import safetyrules

    m = C.machine()
    C.print_machine(m)
    rules = safetyrules.load()
    t0 = time.perf_counter()
    records, summary = entities.generate(rules, args.n)
    print(f"generated {len(records):,} entities in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(f"{k} {v:.1%}" for k, v in summary["levels"].items())
          + f"; {summary['missing_fact_share']:.1%} of facts missing")
    day = entities.AS_OF
    n = len(records)
    latencies = []

    def run_evaluate():
        ev = rules.evaluate
        clock = time.perf_counter
        lat = []
        for r in records:
            t = clock()
            ev(r, day)
            lat.append(clock() - t)
        latencies.append(lat)

    def run_many():
        for _ in rules.evaluate_many(records, day):
            pass

    def run_many_jobs():
        for _ in rules.evaluate_many(records, day, jobs=args.jobs):
            pass

    def run_many_json():
        for d in rules.evaluate_many(records, day):
            d.to_json()

    rows = []
    results = {}
    for name, fn in [
        ("evaluate (one call per record)", run_evaluate),
        ("evaluate_many", run_many),
        (f"evaluate_many(jobs={args.jobs})", run_many_jobs),
        ("evaluate_many + to_json", run_many_json),
    ]:
        t = C.median_time(fn, runs=args.runs)
        results[name] = {**t, "records_per_s": n / t["median_s"]}
        print(f"  timed {name}: {n / t['median_s']:,.0f} records/s")
        rows.append([name, n / t["median_s"], t["median_s"] / n * 1e6])
    # latency percentiles from the timed evaluate run with the median total
    timed = latencies[1:]
    timed.sort(key=sum)
    lat = sorted(timed[len(timed) // 2])
    p50, p99 = C.percentile(lat, 0.5) * 1e6, C.percentile(lat, 0.99) * 1e6
    rss = C.peak_rss_mb()
    print()
    print(C.table(["path", "records/s", "us/record (mean)"], rows))
    print(f"\nevaluate latency per record: p50 {p50:.0f} us, p99 {p99:.0f} us; peak RSS {rss:.0f} MiB "
          f"(includes the {n:,} records held in memory)")
    C.write_results(
        "evaluate",
        {
            "machine": m,
            "command": f"python benchmarks/bench_evaluate.py --n {args.n} --runs {args.runs} --jobs {args.jobs}",
            "entities": summary,
            "results": results,
            "latency_us": {"p50": p50, "p99": p99},
            "peak_rss_mib": rss,
        },
    )


if __name__ == "__main__":
    main()
