"""The decode floor: how fast can a registry's Parquet file be read at all?

    python benchmarks/bench_decode.py /tmp/work/reg1m/registry_1000000.parquet [--rounds 2]

Reads every column of the file (as ``bench_registry.py`` writes it: 301
columns, 31 of them ``list<struct>``) with the readers the backends could
use, no rule set involved: ``pyarrow.parquet.read_table`` (threads),
``polars.read_parquet``, each of them on the list columns only and on the
flat columns only, and DuckDB's own ``read_parquet`` materialised into a
temporary table (two threads).  The fastest full read bounds any backend's
records per second from that file on this machine before a single rule
runs; the figure printed last is that bound.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def _best(fn, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-duckdb", action="store_true", help="skip DuckDB's reader (the slowest here)")
    args = ap.parse_args(argv)

    import pyarrow as pa
    import pyarrow.parquet as pq
    import polars as pl

    md = pq.ParquetFile(args.path).metadata
    schema = pq.read_schema(args.path)
    lists = [f.name for f in schema if pa.types.is_list(f.type)]
    flat = [f.name for f in schema if not pa.types.is_list(f.type)]
    n = md.num_rows
    print(f"{args.path}: {n:,} rows, {len(schema)} columns ({len(lists)} list, {len(flat)} flat), "
          f"{md.num_row_groups} row group(s), {md.num_columns} leaf columns; median of {args.rounds} rounds")
    rows = [
        ("pyarrow read_table, all columns", lambda: pq.read_table(args.path)),
        ("polars read_parquet, all columns", lambda: pl.read_parquet(args.path)),
        ("pyarrow read_table, list columns", lambda: pq.read_table(args.path, columns=lists)),
        ("polars read_parquet, list columns", lambda: pl.read_parquet(args.path, columns=lists)),
        ("pyarrow read_table, flat columns", lambda: pq.read_table(args.path, columns=flat)),
        ("polars read_parquet, flat columns", lambda: pl.read_parquet(args.path, columns=flat)),
    ]
    if not args.no_duckdb:
        import duckdb

        con = duckdb.connect()
        con.execute("SET threads=2")
        path = args.path.replace("'", "''")
        rows.append(("duckdb read_parquet into a temp table", lambda: con.execute(
            f"CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM read_parquet('{path}')")))
    full = {}
    for name, fn in rows:
        dt = _best(fn, args.rounds)
        if "all columns" in name or "duckdb" in name:
            full[name] = dt
        print(f"  {name:42s} {dt:7.2f} s wall  ({n / dt / 1e6:6.3f} M rows/s)")
    name = min(full, key=full.get)
    print(f"decode floor: {name}: at most {n / full[name] / 1e6:.3f} M records/s from this file on this machine, "
          "before any rule runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
