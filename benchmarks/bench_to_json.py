"""What ``Decision.to_json()`` costs, part by part (issue 9).

On the bench entities (``entities.py``), for the 11-clause bundled subset of
``bench_limit.py`` and the whole bundled set: ``rules.evaluate`` alone, then
on those decisions ``missing`` (SPEC §4), ``level_range`` and
``next_questions`` (SPEC §8) as each is first asked, the rest of
``to_json()`` (the writers, with those three kept), and evaluate +
``to_json()`` on fresh decisions.  CPU time (``time.process_time``) of
interleaved rounds, min and median, µs per entity (the averages over every
entity, complete or not); the share of entities with an undetermined clause
is printed too (the only ones that compute the three).

    python benchmarks/bench_to_json.py [--n 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import _common as C
import entities
from bench_limit import subset_rules

PARTS = ("evaluate", "missing", "level_range", "next_questions", "rest of to_json", "evaluate + to_json (fresh)")


def _round(rules, records, day):
    clock = time.process_time
    t0 = clock()
    ds = [rules.evaluate(r, day) for r in records]
    t1 = clock()
    for d in ds:
        d.missing
    t2 = clock()
    for d in ds:
        d.level_range
    t3 = clock()
    for d in ds:
        d.next_questions
    t4 = clock()
    for d in ds:
        d.to_json()
    t5 = clock()
    for r in records:
        rules.evaluate(r, day).to_json()
    t6 = clock()
    return (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="synthetic entities (default 1000)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import safetyrules

    m = C.machine()
    C.print_machine(m)
    rules = safetyrules.load()
    records, summary = entities.generate(rules, args.n)
    day = entities.AS_OF
    sets = (("11-clause subset", subset_rules(rules)), ("bundled set", rules))
    for _, rs in sets:  # warm: programs compiled, per-plan data kept
        _round(rs, records, day)
    per = {label: [[] for _ in PARTS] for label, _ in sets}
    for _ in range(args.runs):
        for label, rs in sets:
            gc.collect()
            for i, x in enumerate(_round(rs, records, day)):
                per[label][i].append(x / len(records) * 1e6)
    rows = []
    out = {}
    for label, rs in sets:
        ds = [rs.evaluate(r, day) for r in records]
        share = sum(bool(d.undetermined) for d in ds) / len(ds)
        out[label] = {"undetermined_share": share}
        for name, xs in zip(PARTS, per[label]):
            rows.append([label, name, min(xs), statistics.median(xs)])
            out[label][name] = {"min_us": min(xs), "median_us": statistics.median(xs), "rounds_us": xs}
        print(f"{label}: {share:.1%} of the entities have an undetermined clause")
    print()
    print(C.table(["rule set", "part", "min us/entity", "median us/entity"], rows))
    C.write_results("to_json", {"machine": m, "command": f"python benchmarks/bench_to_json.py --n {args.n} "
                                f"--runs {args.runs}", "entities": summary, "parts": out})


if __name__ == "__main__":
    main()
