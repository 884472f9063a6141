"""Registry scale: the bundled rule set over a synthetic Parquet registry.

    python benchmarks/bench_registry.py              # N = 10,000,000
    python benchmarks/bench_registry.py --n 1000000 --spark
    python benchmarks/bench_registry.py --n 3000000 --backends polars --stream --no-phases

The registry is generated vectorised (numpy → pyarrow, no per-record
Python): a realistic mix of sectors; an entity has the facts of its sector's
standards and the general ones (management, fire, gas, limited spaces,
contractors), each unknown with probability ``--unknown`` (5 %), and the
rest of the vocabulary unknown; list facts (dust systems, furnaces,
hazardous chemicals, ...) hold 0-3 items for entities of their sector.

Reports, in one run: each backend's records/s straight from the Parquet file
(read, check, grade; ``evaluate_table`` reads it in batches), each in a fresh
child process whose peak RSS (``ru_maxrss``) is reported beside its RSS after
``load()`` (with ``--stream``, also the run the CLI's ``--out`` makes:
each batch written to Parquet as it is made); a per-phase breakdown on the first batch (at most 1 Mi rows);
the per-record path (``rules.evaluate`` of each row) on a sample and the
ratio; then a Shenzhen-shaped registry (111,154 entities in 885 grids) graded
end to end, Parquet in → Parquet out, warm and in a fresh process (import,
``load()``, first and second grading), and (with ``--spark``) the same on
Spark ``local[2]`` with decisions compared.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import safetyrules  # noqa: E402
from safetyrules.backends.columnar_io import arrow_type  # noqa: E402

SECTORS = {
    # sector: (weight, fact-name prefixes its standards read)
    "retail": (0.20, ("fire",)),
    "catering": (0.12, ("fire", "gas")),
    "office": (0.10, ("fire",)),
    "machinery": (0.10, ("machinery", "dust", "ammonia", "metallurgy")),
    "light_industry": (0.10, ("dust", "ammonia")),
    "textiles": (0.05, ("dust",)),
    "trade": (0.08, ("dust", "ammonia", "fire")),
    "building_materials": (0.05, ("building_materials", "dust", "metallurgy")),
    "metallurgy": (0.04, ("metallurgy", "dust")),
    "nonferrous": (0.02, ("metallurgy", "dust")),
    "hazardous_chemicals": (0.04, ("hazchem", "mhs")),
    "construction": (0.05, ("fire",)),
    "accommodation": (0.05, ("fire", "gas")),
}
GENERAL = ("entity", "management", "contractors", "special_operators", "limited_space", "safety", "project", "lec")
NUMBERS = np.array([0, 1, 2, 3, 5, 8, 10, 20, 50, 99, 100, 101, 299, 300, 301, 999, 1000, 1001, 2000, 20000,
                    40000, 80000], dtype=np.float64)


def _values(rng, spec, n):
    """n random values of one fact (an Arrow array, no nulls)."""
    t = spec.type
    if t == "bool":
        return pa.array(rng.random(n) < 0.5)
    if t == "enum":
        return pa.array(np.array(spec.values, dtype=object)[rng.integers(0, len(spec.values), n)], pa.string())
    if t in ("integer", "number"):
        v = NUMBERS[rng.integers(0, len(NUMBERS), n)] * (1 if t == "integer" else rng.choice([1.0, 0.5, 1.5], n))
        if spec.min is not None:
            v = np.maximum(v, spec.min)
        if spec.max is not None:
            v = np.minimum(v, spec.max)
        return pa.array(v.astype(np.int64)) if t == "integer" else pa.array(v)
    if t == "string":
        return pa.array(np.array(["甲", "乙", "x"], dtype=object)[rng.integers(0, 3, n)], pa.string())
    if t == "date":
        return pa.array((np.datetime64("2015-01-01") + rng.integers(0, 3650, n)).astype("datetime64[D]"))
    raise AssertionError(t)


def _with_nulls(rng, arr, known):
    mask = pa.array(~known)
    return pa.compute.if_else(mask, pa.nulls(len(arr), arr.type), arr)


def make_registry(rules, n, seed=7, unknown=0.05, grids=885):
    """A synthetic registry of ``n`` entities as a ``pyarrow.Table``."""
    import pyarrow.compute  # noqa: F401

    rng = np.random.default_rng(seed)
    vocab = rules.plan.facts
    names = [k for k in rules.plan.input_facts() if k not in rules.plan.outputs]
    sectors = list(SECTORS)
    weights = np.array([SECTORS[s][0] for s in sectors])
    sector_idx = rng.choice(len(sectors), n, p=weights / weights.sum())
    cols = {
        "entity.id": pa.array(np.char.add("E", np.arange(n).astype("U9")).astype(object), pa.string()),
        "entity.sector": pa.array(np.array(sectors, dtype=object)[sector_idx], pa.string()),
    }
    grid = rng.integers(0, grids, n)
    if "entity.grid" in vocab:
        cols["entity.grid"] = pa.array(np.char.add("G", grid.astype("U4")).astype(object), pa.string())
    for name in names:
        if name in cols or name == "entity.grid":
            continue
        spec = vocab[name]
        prefix = name.split(".")[0]
        relevant = np.isin(sector_idx, [i for i, s in enumerate(sectors) if prefix in SECTORS[s][1]])
        if prefix in GENERAL:
            relevant[:] = True
        known = relevant & (rng.random(n) >= unknown)
        if spec.type != "list":
            cols[name] = _with_nulls(rng, _values(rng, spec, n), known)
            continue
        lengths = np.where(known, rng.integers(0, 4, n), 0)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        m = int(offsets[-1])
        fields = []
        for k, fs in (spec.item or {}).items():
            fields.append(_with_nulls(rng, _values(rng, fs, m), rng.random(m) >= unknown))
        typ = arrow_type(spec)
        struct = pa.StructArray.from_arrays(fields, fields=list(typ.value_type))
        cols[name] = pa.ListArray.from_arrays(pa.array(offsets), struct, type=typ, mask=pa.array(~known))
    return pa.table(cols)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process, all threads (the figure to trust on a
    shared machine: wall time there includes other people's work)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Lap:
    """Wall and CPU seconds of consecutive phases."""

    def __init__(self):
        self.rows = []
        self.t, self.c = time.perf_counter(), cpu_s()

    def __call__(self, name):
        t, c = time.perf_counter(), cpu_s()
        self.rows.append((name, t - self.t, c - self.c))
        self.t, self.c = t, c


def phases(rules, path, backend, as_of, work):
    """One backend's run split into read (Parquet -> Arrow), check (typed by
    the vocabulary), compile + compute (polars: its steps), write (Parquet)."""
    import datetime

    from safetyrules.backends.columnar_io import read_table

    lap = Lap()
    pf = pq.ParquetFile(path)
    raw = pa.Table.from_batches([next(pf.iter_batches(batch_size=min(pf.metadata.num_rows, 1 << 20)))])
    lap("read")
    table, has_id = read_table(raw, rules.plan.facts)
    del raw
    lap("check")
    if backend == "polars":
        from safetyrules.backends.polars import evaluate_polars

        plan = rules.plan.specialise(datetime.date.fromisoformat(as_of))
        lap("specialise plan")
        steps = {}
        out = evaluate_polars(plan, table, has_id, timings=steps)
        lap("compute (all steps)")
        detail = ", ".join(f"{k} {steps[k]:.2f}/{steps['cpu ' + k]:.2f}" for k in steps if not k.startswith("cpu "))
    else:
        # the checked table again through evaluate_table (its check of an
        # already typed table is counted here)
        out = rules.evaluate_table(table, backend=backend, as_of=as_of)
        lap("compile + compute")
        detail = ""
    n = table.num_rows
    del table
    pq.write_table(out, os.path.join(work, f"out_{backend}.parquet"))
    lap("write")
    total_w = sum(r[1] for r in lap.rows)
    total_c = sum(r[2] for r in lap.rows)
    print(f"  {backend} phases on the first {n:,} rows (wall s / CPU s): " + ", ".join(f"{k} {w:.2f}/{c:.2f}" for k, w, c in lap.rows)
          + f"; total {total_w:.2f}/{total_c:.2f} = {n / total_w / 1e6:.3f} M records/s; peak RSS {rss_mib():,.0f} MiB")
    if detail:
        print(f"  {backend} compute steps (wall s / CPU s): {detail}")


def child(args) -> int:
    """One backend over one file in this (fresh) process: one JSON line."""
    t0 = time.perf_counter()
    rules = safetyrules.load()
    loaded = {"load_s": time.perf_counter() - t0, "rss_after_load_mib": rss_mib()}
    runs = []
    if args.child_stream:
        # what `safetyrules evaluate REGISTRY --out OUT.parquet` does: each
        # batch's result written as it is made (memory: one batch)
        from safetyrules.cli.registry import ResultWriter
        from safetyrules.engine.table import evaluate_table_batches

        t, c = time.perf_counter(), cpu_s()
        writer, rows = ResultWriter(args.child_stream), 0
        for part in evaluate_table_batches(rules, args.child_path, backend=args.child, as_of=args.as_of):
            rows += part.num_rows
            writer.write(part)
            del part
        writer.close()
        runs.append({"wall_s": time.perf_counter() - t, "cpu_s": cpu_s() - c, "rows": rows, "result_mib": 0.0})
        print(json.dumps(dict(loaded, runs=runs, peak_rss_mib=rss_mib())))
        return 0
    for _ in range(args.repeat):
        t, c = time.perf_counter(), cpu_s()
        out = rules.evaluate_table(args.child_path, backend=args.child, as_of=args.as_of)
        if args.child_out:
            pq.write_table(out, args.child_out)
        runs.append({"wall_s": time.perf_counter() - t, "cpu_s": cpu_s() - c, "rows": out.num_rows,
                     "result_mib": out.nbytes / 2**20})
        del out
    print(json.dumps(dict(loaded, runs=runs, peak_rss_mib=rss_mib())))
    return 0


def in_child(backend, path, as_of, repeat=1, out=None, stream=None):
    """``child`` in a fresh interpreter → its JSON line (plus the wall
    seconds of the whole process, import included)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", backend, "--child-path", path,
           "--as-of", as_of, "--repeat", str(repeat)] + (["--child-out", out] if out else []) + (
           ["--child-stream", stream] if stream else [])
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child {backend} failed:\n{done.stderr}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    got["process_s"] = time.perf_counter() - t
    return got


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-path", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    ap.add_argument("--child-stream", help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--stream", action="store_true",
                    help="also each backend's run streamed to Parquet (the CLI's --out), peak RSS in a child")
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--sample", type=int, default=20_000, help="records for the per-record path")
    ap.add_argument("--backends", default="polars,duckdb")
    ap.add_argument("--spark", action="store_true", help="also grade the Shenzhen registry on Spark local[2]")
    ap.add_argument("--as-of", default="2024-03-01")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--no-phases", action="store_true", help="skip the per-phase breakdown")
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    rules = safetyrules.load()
    work = args.dir or tempfile.mkdtemp(prefix="bench_registry_")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, f"registry_{args.n}.parquet")
    t = time.perf_counter()
    if not os.path.exists(path):
        chunk = 1_000_000
        writer = None
        for start in range(0, args.n, chunk):
            part = make_registry(rules, min(chunk, args.n - start), seed=start + 1)
            if writer is None:
                writer = pq.ParquetWriter(path, part.schema)
            writer.write_table(part)
        writer.close()
    print(f"registry: {args.n:,} records, {os.path.getsize(path) / 2**20:.0f} MiB Parquet "
          f"({time.perf_counter() - t:.1f} s to generate)")
    rates = {}
    for backend in args.backends.split(","):
        got = in_child(backend, path, args.as_of)
        run = got["runs"][0]
        dt, dc = run["wall_s"], run["cpu_s"]
        rates[backend] = args.n / dt
        print(f"{backend:8s} {dt:7.2f} s wall, {dc:7.2f} s CPU  {rates[backend] / 1e6:5.3f} M records/s "
              f"({args.n / dc / 1e6:5.3f} M per CPU-second)  peak RSS {got['peak_rss_mib']:,.0f} MiB "
              f"(child process; {got['rss_after_load_mib']:,.0f} MiB after load(), result "
              f"{run['result_mib']:,.0f} MiB)")
        if args.stream:
            got = in_child(backend, path, args.as_of, stream=os.path.join(work, f"stream_{backend}.parquet"))
            run = got["runs"][0]
            print(f"{backend:8s} streamed to Parquet (CLI --out): {run['wall_s']:7.2f} s wall, {run['cpu_s']:7.2f} s CPU, "
                  f"peak RSS {got['peak_rss_mib']:,.0f} MiB (child process)")
    if not args.no_phases:
        for backend in rates:
            phases(rules, path, backend, args.as_of, work)
    sample = pq.ParquetFile(path).read_row_group(0).slice(0, args.sample)
    t, c = time.perf_counter(), cpu_s()
    ref = rules.evaluate_table(sample, backend="python", as_of=args.as_of)
    dt, dc = time.perf_counter() - t, cpu_s() - c
    per_record = args.sample / dt
    print(f"python   per record on {args.sample:,}: {per_record:,.0f} records/s wall "
          f"({args.sample / dc:,.0f} per CPU-second)")
    # the engine alone on the same rows as fact dicts (no Arrow -> dict conversion, no result table):
    # the stricter baseline for the ratio
    from safetyrules.backends.columnar_io import to_records

    day = None if args.as_of is None else datetime.date.fromisoformat(args.as_of)
    dicts = list(to_records(sample, rules.vocabulary))
    t, c = time.perf_counter(), cpu_s()
    for rec in dicts:
        rules.evaluate(rec, day)
    dt, dc = time.perf_counter() - t, cpu_s() - c
    per_decision = len(dicts) / dt
    print(f"python   rules.evaluate(dict) on the same {len(dicts):,} rows: {per_decision:,.0f} decisions/s wall "
          f"({len(dicts) / dc:,.0f} per CPU-second)")
    for backend, rate in rates.items():
        same = rules.evaluate_table(sample, backend=backend, as_of=args.as_of).equals(ref)
        print(f"{backend:8s} {rate / per_record:6.1f}x the per-record path (evaluate_table backend=python), "
              f"{rate / per_decision:5.1f}x rules.evaluate(dict); identical on the sample: {same}")
    # Shenzhen: 111,154 entities in 885 grids, Parquet in -> Parquet out
    sz = os.path.join(work, "shenzhen.parquet")
    pq.write_table(make_registry(rules, 111_154, seed=2024), sz)
    best = max(rates, key=rates.get)
    for backend in rates:
        t, c = time.perf_counter(), cpu_s()
        pq.write_table(rules.evaluate_table(sz, backend=backend, as_of=args.as_of), os.path.join(work, "sz_out.parquet"))
        print(f"shenzhen 111,154 entities / 885 grids, {backend}: {time.perf_counter() - t:.2f} s wall, "
              f"{cpu_s() - c:.2f} s CPU, Parquet in -> Parquet out")
        fresh = in_child(backend, sz, args.as_of, repeat=2, out=os.path.join(work, "sz_out.parquet"))
        first, second = fresh["runs"]
        print(f"shenzhen {backend} in a fresh process: load() {fresh['load_s']:.2f} s, first grading "
              f"{first['wall_s']:.2f} s wall / {first['cpu_s']:.2f} s CPU, second {second['wall_s']:.2f} s / "
              f"{second['cpu_s']:.2f} s CPU (process {fresh['process_s']:.2f} s in all)")
    if args.spark:
        from safetyrules.backends.spark import local_session

        spark = local_session()
        expected = rules.evaluate_table(sz, backend=best, as_of=args.as_of)
        rules.evaluate_table(sz, backend="spark", as_of=args.as_of, spark=spark)  # warm-up (JIT, codegen)
        t = time.perf_counter()
        got = rules.evaluate_table(sz, backend="spark", as_of=args.as_of, spark=spark)
        print(f"shenzhen on spark local[2]: {time.perf_counter() - t:.2f} s; identical to {best}: {got.equals(expected)}")
        spark.stop()
    print(f"peak RSS {rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
