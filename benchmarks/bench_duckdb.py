"""The duckdb backend against the per-record engine, in one run (issue 10).

    python benchmarks/bench_duckdb.py                       # 1,000,000 records, 3 rounds
    python benchmarks/bench_duckdb.py --n 200000 --rounds 2 --sample 2000

The registry is :func:`bench_registry.make_registry` (the same generator,
seeds and Parquet layout as ``bench_registry.py``; the file is reused from
``--dir`` when present).  Each round, one after another so the ratio is
taken on the same machine load:

* ``duckdb``: ``rules.evaluate_table(path, backend="duckdb")`` straight from
  the Parquet file (read, check, grade, result table), wall and CPU seconds,
  with its phases (read + check, compile, query, assemble);
* ``evaluate``: ``rules.evaluate(dict, as_of)`` of the first ``--sample``
  rows as fact dicts (the per-record engine alone, no conversion);
* ``shenzhen``: 111,154 entities (seed 2024), Parquet in -> Parquet out;
* the grading of the checked table in the backend's steps
  (``backends/duckdb_backend.py``): the side columns (each input list's
  quantifiers), the main query (the tables before the clauses and the
  clauses' atoms), the clause conditions from the atoms (Arrow's Kleene
  kernels), the counts and findings lists (numpy), the query of the tables
  after the clauses.

``--profile PATH`` writes DuckDB's JSON profile of the main query of the
last round there (``PRAGMA enable_profiling``; slower while on).

Prints records/s and the ratio duckdb / evaluate per round, and checks the
duckdb result on the sample equals the python backend's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

import pyarrow.parquet as pq  # noqa: E402

import safetyrules  # noqa: E402
from safetyrules.backends import duckdb_backend  # noqa: E402
from bench_registry import cpu_s, make_registry, rss_mib  # noqa: E402


def _registry(rules, path, n, seed_base=1):
    if os.path.exists(path):
        return
    writer = None
    for start in range(0, n, 1_000_000):
        part = make_registry(rules, min(1_000_000, n - start), seed=start + seed_base)
        if writer is None:
            writer = pq.ParquetWriter(path, part.schema)
        writer.write_table(part)
    writer.close()


@contextlib.contextmanager
def _steps():
    """Wall and CPU seconds of the duckdb backend's steps while inside
    (its module's functions wrapped, then put back)."""
    names = {"_side_columns": "side columns", "_first": "main query", "_combine": "clauses (Arrow)",
             "clause_pass": "counts + lists", "_second": "tables after"}
    acc = {label: [0.0, 0.0] for label in names.values()}
    saved = {}

    def wrap(name, label):
        fn = saved[name] = getattr(duckdb_backend, name)

        def timed(*a, **k):
            t, c = time.perf_counter(), cpu_s()
            try:
                return fn(*a, **k)
            finally:
                acc[label][0] += time.perf_counter() - t
                acc[label][1] += cpu_s() - c
        setattr(duckdb_backend, name, timed)

    for name, label in names.items():
        if hasattr(duckdb_backend, name):  # (an older backend may lack a step)
            wrap(name, label)
    try:
        yield acc
    finally:
        for name, fn in saved.items():
            setattr(duckdb_backend, name, fn)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=5_000, help="rows for rules.evaluate(dict)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--as-of", default="2024-03-01")
    ap.add_argument("--dir", default=None, help="where the Parquet files are kept (reused)")
    ap.add_argument("--profile", default=None, help="write DuckDB's JSON profile of the main query here")
    args = ap.parse_args(argv)
    from safetyrules.backends.columnar_io import read_table, to_records

    rules = safetyrules.load()
    day = datetime.date.fromisoformat(args.as_of)
    work = args.dir or tempfile.mkdtemp(prefix="bench_duckdb_")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, f"registry_{args.n}.parquet")
    sz = os.path.join(work, "shenzhen.parquet")
    t = time.perf_counter()
    _registry(rules, path, args.n)
    if not os.path.exists(sz):
        pq.write_table(make_registry(rules, 111_154, seed=2024), sz)
    print(f"registry: {args.n:,} records, {os.path.getsize(path) / 2**20:.0f} MiB Parquet "
          f"({time.perf_counter() - t:.1f} s to make or find); threads: {os.cpu_count()}")
    sample = pq.ParquetFile(path).read_row_group(0).slice(0, args.sample)
    same = rules.evaluate_table(sample, backend="duckdb", as_of=day).equals(
        rules.evaluate_table(sample, backend="python", as_of=day))
    print(f"duckdb identical to the python backend on the {sample.num_rows:,}-row sample: {same}")
    dicts = list(to_records(sample, rules.vocabulary))
    out_path = os.path.join(work, "sz_out.parquet")
    ratios = []
    for r in range(1, args.rounds + 1):
        if args.profile and r == args.rounds:
            duckdb_backend.PROFILE = args.profile
        t, c = time.perf_counter(), cpu_s()
        out = rules.evaluate_table(path, backend="duckdb", as_of=day)
        dw, dc = time.perf_counter() - t, cpu_s() - c
        out_rows = out.num_rows
        rate = out_rows / dw
        del out
        # phases: read + check the file, then grade the checked table (its re-check is cheap)
        t = time.perf_counter()
        checked, _ = read_table(path, rules.plan.facts)
        tr = time.perf_counter() - t
        t = time.perf_counter()
        with _steps() as steps:
            rules.evaluate_table(checked, backend="duckdb", as_of=day)
        tg = time.perf_counter() - t
        del checked
        t, c = time.perf_counter(), cpu_s()
        for rec in dicts:
            rules.evaluate(rec, day)
        ew, ec = time.perf_counter() - t, cpu_s() - c
        per = len(dicts) / ew
        t, c = time.perf_counter(), cpu_s()
        pq.write_table(rules.evaluate_table(sz, backend="duckdb", as_of=day), out_path)
        sw, sc = time.perf_counter() - t, cpu_s() - c
        ratios.append(rate / per)
        detail = f"read + check {tr:.2f} s, grade the checked table {tg:.2f} s: " + ", ".join(
            f"{k} {w:.2f} s / {c:.2f} CPU-s" for k, (w, c) in steps.items())
        print(f"round {r}: duckdb {dw:.2f} s wall / {dc:.2f} s CPU = {rate / 1e6:.3f} M records/s ({detail}); "
              f"evaluate(dict) {per:,.0f}/s ({len(dicts) / ec:,.0f} per CPU-s); ratio {rate / per:.1f}x wall, "
              f"{(out_rows / dc) / (len(dicts) / ec):.1f}x per CPU-s; "
              f"shenzhen {sw:.2f} s wall / {sc:.2f} s CPU")
    if args.profile:
        duckdb_backend.PROFILE = None
        print(f"DuckDB profile of the last round's main query: {args.profile}")
    print(f"ratio duckdb / rules.evaluate(dict): best {max(ratios):.1f}x, worst {min(ratios):.1f}x; "
          f"peak RSS {rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
