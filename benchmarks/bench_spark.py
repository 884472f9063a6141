"""The Shenzhen-shaped registry on Spark ``local[2]``: time, and decisions
compared with the duckdb backend and the per-record engine.

    python benchmarks/bench_spark.py                  # 111,154 entities, 885 grids
    python benchmarks/bench_spark.py --n 20000 --rounds 1 --no-python

The registry is :func:`bench_registry.make_registry` (seed 2024, as
``bench_registry.py`` grades it), written to Parquet.  Each round grades it
on Spark twice:

* ``arrow``: ``rules.evaluate_table(path, backend="spark", spark=spark)`` --
  read and checked by pyarrow, sent to Spark as Arrow, graded by one Spark
  SQL query, returned as a ``pyarrow.Table`` in input order;
* ``dataframe``: ``spark.read.parquet(path)`` graded as a Spark DataFrame
  (schema and value checks as Spark jobs, a Spark DataFrame out), written
  back to Parquet by Spark.

Round 1 includes the JVM's warm-up (class loading, JIT); later rounds are
the steady figure.  Wall seconds, the Python process's CPU seconds and the
JVM's CPU seconds are printed: on a shared machine wall time includes other
people's work.  Decisions are compared row for row (``entity.id`` order).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import safetyrules  # noqa: E402
from bench_registry import make_registry  # noqa: E402


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def jvm_cpu_s(pid) -> float:
    """CPU seconds of the Spark JVM (user + system), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):  # pragma: no cover - not Linux
        return float("nan")


def by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("entity.id")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=111_154)
    ap.add_argument("--grids", type=int, default=885)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--as-of", default="2024-03-01")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--no-python", action="store_true", help="skip the per-record comparison")
    ap.add_argument("--no-dataframe", action="store_true", help="skip the Spark DataFrame path")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)

    from safetyrules.backends.spark import local_session

    rules = safetyrules.load()
    work = args.dir or tempfile.mkdtemp(prefix="bench_spark_")
    path = os.path.join(work, f"shenzhen_{args.n}.parquet")
    pq.write_table(make_registry(rules, args.n, seed=2024, grids=args.grids), path)
    print(f"registry: {args.n:,} entities in {args.grids} grids, {os.path.getsize(path) / 2**20:.1f} MiB Parquet")

    t = time.perf_counter()
    duck = by_id(rules.evaluate_table(path, backend="duckdb", as_of=args.as_of))
    print(f"duckdb   {time.perf_counter() - t:7.2f} s wall (the comparison's reference run)")
    if not args.no_python:
        t, c = time.perf_counter(), cpu_s()
        ref = by_id(rules.evaluate_table(path, backend="python", as_of=args.as_of))
        print(f"python   {time.perf_counter() - t:7.2f} s wall, {cpu_s() - c:6.2f} s CPU (per record); "
              f"duckdb identical to it: {duck.equals(ref)}")
    else:
        ref = None

    t = time.perf_counter()
    spark = local_session(args.master)
    spark.sparkContext.setLogLevel("ERROR")
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    print(f"spark    session {args.master} started in {time.perf_counter() - t:.1f} s (Spark {spark.version})")
    ok = True
    for r in range(1, args.rounds + 1):
        t, c, j = time.perf_counter(), cpu_s(), jvm_cpu_s(pid)
        got = by_id(rules.evaluate_table(path, backend="spark", as_of=args.as_of, spark=spark))
        dt, dc, dj = time.perf_counter() - t, cpu_s() - c, jvm_cpu_s(pid) - j
        same = got.equals(duck) and (ref is None or got.equals(ref))
        ok &= same
        print(f"round {r} arrow     {dt:7.2f} s wall, {dc:6.2f} s CPU python + {dj:6.2f} s CPU JVM; "
              f"{args.n / dt:,.0f} records/s; identical to duckdb{'' if ref is None else ' and python'}: {same}")
        if args.no_dataframe:
            continue
        out = os.path.join(work, f"spark_out_{r}.parquet")
        t, c, j = time.perf_counter(), cpu_s(), jvm_cpu_s(pid)
        graded = rules.evaluate_table(spark.read.parquet(path), backend="spark", as_of=args.as_of, spark=spark)
        graded.write.mode("overwrite").parquet(out)
        dt, dc, dj = time.perf_counter() - t, cpu_s() - c, jvm_cpu_s(pid) - j
        back = by_id(pq.read_table(out).select(duck.column_names).cast(duck.schema))
        same = back.equals(duck)
        ok &= same
        print(f"round {r} dataframe {dt:7.2f} s wall, {dc:6.2f} s CPU python + {dj:6.2f} s CPU JVM; "
              f"Parquet in -> Parquet out; identical to duckdb: {same}")
    spark.stop()
    print(f"peak RSS (python) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
