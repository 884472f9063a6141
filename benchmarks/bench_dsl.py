"""Compiled expressions against a hand-written function and the evaluator.

A 50-clause expression set (checked against a vocabulary) is evaluated over
100,000 fact records three ways, side by side in one run:

* ``compiled``     — ``dsl.compile_many`` (one generated function, each fact read once);
* ``hand-written`` — a Python function of the same logic and the same
  three-valued semantics (unknown = None), written the way a careful
  programmer would;
* ``evaluator``    — the tree-walking ``dsl.evaluate_ast``, clause by clause.

Each is timed ``--runs`` times after a warm-up; the table reports medians.
Targets (issue 2): compiled ≥ 0.5× hand-written, ≥ 5× evaluator.

    python benchmarks/bench_dsl.py [--records 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from safetyrules import dsl  # noqa: E402
from safetyrules.dsl import FactSpec as F  # noqa: E402

VOCAB = {
    "h": F("number", unit="m"),
    "w": F("number", unit="kg"),
    "d": F("number", unit="cm"),
    "p": F("number", unit="MPa"),
    "n": F("integer"),
    "a": F("bool"),
    "b": F("bool"),
    "c": F("bool"),
    "lvl": F("enum", values=("low", "mid", "high")),
}

# Ten clause shapes, each instantiated five times with different thresholds.
SHAPES = [
    ("h > {k} m", lambda k: lambda f: None if f["h"] is None else f["h"] > k),
    ("h >= 0.{k} km", lambda k: lambda f: None if f["h"] is None else f["h"] >= k * 100),
    ("a and w < {k}00 kg", lambda k: lambda f: _and(f["a"], None if f["w"] is None else f["w"] < k * 100)),
    ("not b or n >= {k}", lambda k: lambda f: _or(None if f["b"] is None else not f["b"], None if f["n"] is None else f["n"] >= k)),
    ("lvl in ['mid', 'high'] and p > 0.{k} MPa", lambda k: lambda f: _and(None if f["lvl"] is None else f["lvl"] in ("mid", "high"), None if f["p"] is None else f["p"] > k / 10)),
    # d is in cm: the checker scales it to m (d / 10 / 100)
    ("h * 2 + {k} > d / 10", lambda k: lambda f: None if f["h"] is None or f["d"] is None else f["h"] * 2 + k > f["d"] / 10 / 100),
    ("a or b or c", lambda k: lambda f: _or(_or(f["a"], f["b"]), f["c"])),
    ("at_least(2, a, b, c, n > {k})", lambda k: lambda f: _at_least(2, (f["a"], f["b"], f["c"], None if f["n"] is None else f["n"] > k))),
    ("lvl == 'high' or (h > {k} and not c)", lambda k: lambda f: _or(None if f["lvl"] is None else f["lvl"] == "high", _and(None if f["h"] is None else f["h"] > k, None if f["c"] is None else not f["c"]))),
    ("known(p) and n != {k}", lambda k: lambda f: _and(f["p"] is not None, None if f["n"] is None else f["n"] != k)),
]


def _and(x, y):
    if x is False or y is False:
        return False
    if x is None or y is None:
        return None
    return True


def _or(x, y):
    if x is True or y is True:
        return True
    if x is None or y is None:
        return None
    return False


def _at_least(n, conds):
    t = sum(1 for c in conds if c is True)
    u = sum(1 for c in conds if c is None)
    return True if t >= n else (False if t + u < n else None)


def clauses():
    texts, hand = [], []
    for k in range(1, 6):
        for text, make in SHAPES:
            texts.append(text.format(k=k))
            hand.append(make(k))
    return texts, hand


def hand_written(fns):
    def run(f):
        # the same three-valued logic, written by hand; each fact read per clause
        return tuple(fn(f) for fn in fns)

    return run


def records(n, seed=7):
    rnd = random.Random(seed)

    def maybe(v):
        return None if rnd.random() < 0.1 else v

    out = []
    for _ in range(n):
        out.append(
            {
                "h": maybe(rnd.uniform(0, 10)),
                "w": maybe(rnd.uniform(0, 1000)),
                "d": maybe(rnd.uniform(0, 20000)),
                "p": maybe(rnd.uniform(0, 1)),
                "n": maybe(rnd.randint(0, 10)),
                "a": maybe(rnd.random() < 0.5),
                "b": maybe(rnd.random() < 0.5),
                "c": maybe(rnd.random() < 0.5),
                "lvl": maybe(rnd.choice(("low", "mid", "high"))),
            }
        )
    return out


def timed(fn, data, runs):
    def once():
        t0 = time.perf_counter()
        for r in data:
            fn(r)
        return time.perf_counter() - t0

    once()  # warm-up
    return statistics.median(once() for _ in range(runs))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--evaluator-records", type=int, default=None,
                    help="records for the (slow) evaluator; throughput is per record (default: all)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_dsl.json"))
    args = ap.parse_args(argv)

    texts, hand_fns = clauses()
    nodes = [dsl.check(dsl.parse(t), VOCAB) for t in texts]
    program = dsl.compile_many(nodes)
    hand = hand_written(hand_fns)
    data = records(args.records)

    def evaluator(f):
        return tuple(dsl.evaluate_ast(n, f) for n in nodes)

    # same answers on every record before timing anything
    for r in data[:2000]:
        assert program(r) == hand(r) == evaluator(r), r

    ev_data = data[: args.evaluator_records] if args.evaluator_records else data
    t_compiled = timed(program, data, args.runs)
    t_hand = timed(hand, data, args.runs)
    t_eval = timed(evaluator, ev_data, args.runs)
    rate = {
        "compiled": len(data) / t_compiled,
        "hand-written": len(data) / t_hand,
        "evaluator": len(ev_data) / t_eval,
    }
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    result = {
        "clauses": len(nodes),
        "records": len(data),
        "evaluator_records": len(ev_data),
        "runs": args.runs,
        "median_seconds": {"compiled": t_compiled, "hand-written": t_hand, "evaluator": t_eval * len(data) / len(ev_data)},
        "records_per_second": rate,
        "compiled_vs_hand_written": rate["compiled"] / rate["hand-written"],
        "compiled_vs_evaluator": rate["compiled"] / rate["evaluator"],
        "targets": {"compiled_vs_hand_written": 0.5, "compiled_vs_evaluator": 5.0},
        "machine": machine,
    }
    print(f"machine: {machine['platform']}, {machine['cpu_count']} CPUs, "
          f"{machine['implementation']} {machine['python']}")
    print(f"{len(nodes)} clauses x {len(data):,} records, median of {args.runs} runs after a warm-up\n")
    print(f"{'path':<14}{'records/s':>14}{'s per 100k':>13}{'vs compiled':>13}")
    for k in ("compiled", "hand-written", "evaluator"):
        print(f"{k:<14}{rate[k]:>14,.0f}{100_000 / rate[k]:>13.3f}{rate[k] / rate['compiled']:>12.2f}x")
    print(f"\ncompiled / hand-written = {result['compiled_vs_hand_written']:.2f}x (target >= 0.5x)")
    print(f"compiled / evaluator    = {result['compiled_vs_evaluator']:.1f}x (target >= 5x)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
