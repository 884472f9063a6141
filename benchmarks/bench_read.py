"""Reading and checking a registry: ``columnar_io`` on one Parquet file.

    python benchmarks/bench_read.py /tmp/work/reg1m/registry_1000000.parquet
    python benchmarks/bench_read.py FILE --baseline HEAD~3 --rounds 5

Times the two phases every columnar backend goes through (SPEC §9), as
``evaluate_table`` runs them on its first batch (at most ``BATCH_ROWS``
rows): *read* (``iter_tables``: Parquet -> an unchecked Arrow table) and
*check* (``read_table``: every column declared, typed, in its values and
bounds), as wall and CPU seconds (CPU: every thread of the process).

With ``--baseline REV`` the ``columnar_io`` of that git revision is loaded
beside the current one and both run in alternating rounds in this one
process (the machine may be shared: only ratios of interleaved rounds mean
something); the checked tables are compared (``same: True``).
``--import-polars`` imports polars first, as a process running the polars
backend has it (below 4 Mi rows ``columnar_io`` uses polars only then).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import safetyrules  # noqa: E402
from safetyrules.backends import columnar_io  # noqa: E402


def _module_at(rev: str):
    """``safetyrules/backends/columnar_io.py`` of git revision ``rev`` as a module."""
    root = os.path.join(os.path.dirname(__file__), "..")
    src = subprocess.run(
        ["git", "-C", root, "show", f"{rev}:safetyrules/backends/columnar_io.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    fd, path = tempfile.mkstemp(suffix="_columnar_io.py")
    with os.fdopen(fd, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location("_columnar_io_baseline", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    os.unlink(path)
    return mod


def _once(mod, path, vocab):
    w0, c0 = time.perf_counter(), time.process_time()
    _total, batches = mod.iter_tables(path, vocab)
    start, raw = next(batches)
    w1, c1 = time.perf_counter(), time.process_time()
    table, _ = mod.read_table(raw, vocab, first_row=start)
    w2, c2 = time.perf_counter(), time.process_time()
    return (w1 - w0, c1 - c0, w2 - w1, c2 - c1), table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", help="a registry .parquet file")
    ap.add_argument("--rules", default=None, help="rule set (default: the bundled one)")
    ap.add_argument("--baseline", default=None, help="git revision whose columnar_io to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--import-polars", action="store_true",
                    help="import polars first (as the polars backend has): columnar_io then decodes flat columns with it")
    args = ap.parse_args(argv)
    if args.import_polars:
        import polars  # noqa: F401
    rules = safetyrules.load(args.rules) if args.rules else safetyrules.load()
    vocab = rules.plan.facts
    mods = [("current", columnar_io)]
    if args.baseline:
        mods.insert(0, (f"baseline {args.baseline}", _module_at(args.baseline)))
    figs = {name: [] for name, _ in mods}
    tables = {}
    for r in range(args.rounds):
        order = mods if r % 2 == 0 else mods[::-1]
        for name, mod in order:
            fig, table = _once(mod, args.path, vocab)
            figs[name].append(fig)
            if r == 0:
                tables[name] = table
            del table
            print(f"  round {r + 1} {name:>20}: read {fig[0]:.2f}/{fig[1]:.2f}  check {fig[2]:.2f}/{fig[3]:.2f}"
                  "  (wall s / CPU s)", flush=True)
    if len(tables) == 2:
        a, b = tables.values()
        print(f"same: {a.equals(b) and a.schema.equals(b.schema)}")
    rows = next(iter(tables.values())).num_rows
    print(f"{args.path}: first batch {rows:,} rows; median over {args.rounds} rounds (wall s / CPU s):")
    for name, rs in figs.items():
        med = [statistics.median(x[i] for x in rs) for i in range(4)]
        print(f"  {name:>20}: read {med[0]:.2f}/{med[1]:.2f}  check {med[2]:.2f}/{med[3]:.2f}"
              f"  total {med[0] + med[2]:.2f}/{med[1] + med[3]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
