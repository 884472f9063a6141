"""Instructions per decision, counted by valgrind (repeatable on a noisy machine).

Wall-clock ratios on this kind of shared 2-core machine move by a third
between runs; instruction counts do not (the same binary, input and
``PYTHONHASHSEED`` give the same count whatever else runs).  For each
measure this script runs itself under ``valgrind --tool=cachegrind
--cache-sim=no`` twice — one pass and three passes over the bench_limit
entities — and prints the difference per record per pass, so loading,
generating and the first pass (compilation, caches filling) cancel out:

- ``hand-written raw``: ``handwritten.make_decide_raw`` (bench_limit's limit
  from the raw entity);
- ``program``: the generated function of the 11-clause subset;
- ``evaluate``: ``rules.evaluate(facts)`` returning the full ``Decision``;
- ``to_json``: ``rules.evaluate(facts).to_json()``;
- ``to_json seen once``: each pass over a block of entities not decided
  before (3,000 drawn; the answers kept per plan from earlier blocks stay).

Instructions are not time (memory stalls are not counted), so read them
beside ``bench_limit.py``'s times.

    python benchmarks/bench_instructions.py [--n 1000] [--only evaluate,to_json]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

MEASURES = ("hand-written raw", "program", "evaluate", "to_json", "to_json seen once")


def _child(measure: str, passes: int, n: int) -> None:
    import entities
    import handwritten

    import bench_limit
    import safetyrules

    rules = safetyrules.load()
    day = entities.AS_OF
    sub = bench_limit.subset_rules(rules)
    once = measure == "to_json seen once"
    records, _ = entities.generate(rules, n * 3 if once else n)
    ev, prog = sub.evaluate, sub.program(day)
    facts = rules.plan.facts
    raw = handwritten.make_decide_raw(facts["entity.sector"].values, facts["entity.nbs_sector"].values,
                                      facts["project.kind"].values, bench_limit.thresholds(rules.plan))
    fn = {
        "hand-written raw": raw,
        "program": lambda r: prog.run(r, day),
        "evaluate": lambda r: ev(r, day),
        "to_json": lambda r: ev(r, day).to_json(),
        "to_json seen once": lambda r: ev(r, day).to_json(),
    }[measure]
    for k in range(passes):
        block = records[k * n:(k + 1) * n] if once else records
        for r in block:
            fn(r)


def _count(measure: str, passes: int, n: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, os.path.abspath(__file__), "--child", measure, "--passes", str(passes), "--n", str(n)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stderr
    m = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if m is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{out[-2000:]}")
    return int(m.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="entities per pass (default 1000)")
    ap.add_argument("--only", default="", help="comma-separated measures (default: all)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.child:
        _child(args.child, args.passes, args.n)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    import _common as C

    m = C.machine()
    C.print_machine(m)
    wanted = [x.strip() for x in args.only.split(",") if x.strip()] or list(MEASURES)
    for w in wanted:
        if w not in MEASURES:
            raise SystemExit(f"unknown measure {w!r}; one of: {', '.join(MEASURES)}")
    rows, counts = [], {}
    for w in wanted:
        per = (_count(w, 3, args.n) - _count(w, 1, args.n)) / (2 * args.n)
        counts[w] = per
        rows.append([w, f"{per:,.0f}"])
        print(f"{w}: {per:,.0f} instructions per record", flush=True)
    print()
    print(C.table(["measure", "instructions / record"], rows))
    base = counts.get("hand-written raw")
    if base:
        for w in ("evaluate", "to_json", "to_json seen once"):
            if w in counts:
                print(f"hand-written raw / {w}: {base / counts[w]:.2f}x (by instructions)")
    C.write_results("instructions", {"machine": m, "command": "python benchmarks/bench_instructions.py "
                                     f"--n {args.n}" + (f" --only {args.only}" if args.only else ""),
                                     "instructions_per_record": counts})


if __name__ == "__main__":
    main()
