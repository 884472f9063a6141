"""Benchmark 2 — against the limit: compiled clauses vs a hand-written function.

Like with like: the compiled program of 11 bundled clauses (``dsl.compile_many``
over the same linked clause nodes the engine uses) vs ``handwritten.decide``,
both on the same flat, checked facts.  Both are first checked to agree on
every synthetic entity and on random fuzzed facts (unknowns included).  For
context, also timed in the same run: the engine's whole clause program (all
73 clauses), and full ``RuleSet.evaluate`` (facts checking, tables, findings,
missing facts, the Decision).

    python benchmarks/bench_limit.py [--n 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import random

import _common as C
import entities
import handwritten


def _fuzz(rules, names, n: int, seed: int):
    rng = random.Random(seed)
    vocab = rules.vocabulary

    def value(spec):
        if rng.random() < 0.2:
            return None
        t = spec.type
        if t == "bool":
            return rng.random() < 0.5
        if t == "enum":
            return rng.choice(list(spec.values))
        if t in ("integer", "number"):
            return rng.choice([0, 50, 100, 101, 200, 230, 250, 300])
        if t == "list":
            items = []
            for _ in range(rng.randint(0, 3)):
                items.append({k: v for k, v in ((k, value(fs)) for k, fs in (spec.item or {}).items()) if v is not None})
            return items
        return None

    out = []
    for _ in range(n):
        env = {}
        for name in names:
            v = value(vocab[name]) if name in vocab else None
            if v is not None:
                env[name] = v
        out.append(env)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="synthetic entities (default 20000)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import safetyrules
    from safetyrules import dsl

    m = C.machine()
    C.print_machine(m)
    rules = safetyrules.load()
    records, summary = entities.generate(rules, args.n)
    day = entities.AS_OF
    by_id = {(lc.standard.id, lc.clause.id): lc for lc in rules._clauses}
    subset = [by_id[k] for k in handwritten.CLAUSES]
    program = dsl.compile_many([lc.combined for lc in subset])
    full_program = rules._clause_program

    # The flat facts the clause program sees: checked facts + pre-table outputs.
    envs = []
    for rec in records:
        env = rules.check_facts(rec)
        rules._decide(env, day)
        envs.append(env)

    names = sorted({p for lc in subset for p in lc.reads} | {"entity.high_risk_sector", "entity.major_hazard_source"})
    fuzz = _fuzz(rules, names, 20000, seed=2)
    disagree = 0
    for env in envs + fuzz:
        if tuple(program(env)) != handwritten.decide(env):
            a, b = program(env), handwritten.decide(env)
            if any(x is not y for x, y in zip(a, b)):
                disagree += 1
    if disagree:
        raise SystemExit(f"compiled and hand-written disagree on {disagree} records; not timing")
    print(f"verified: compiled == hand-written on {len(envs)} entities + {len(fuzz)} fuzzed fact sets")

    decide = handwritten.decide

    def run_hand():
        for e in envs:
            decide(e)

    def run_compiled():
        for e in envs:
            program(e, None)

    def run_full_program():
        for e in envs:
            full_program(e, None)

    def run_evaluate():
        ev = rules.evaluate
        for r in records:
            ev(r, day)

    n = len(envs)
    timings = {}
    for name, fn in [
        ("hand-written, 11 clauses", run_hand),
        ("compiled, same 11 clauses", run_compiled),
        ("compiled, all 73 clauses", run_full_program),
        ("RuleSet.evaluate (full decision)", run_evaluate),
    ]:
        timings[name] = C.median_time(fn, runs=args.runs)
        print(f"  timed {name}: {n / timings[name]['median_s']:,.0f} records/s")
    base = timings["hand-written, 11 clauses"]["median_s"]
    rows = []
    for name, t in timings.items():
        rows.append([name, n / t["median_s"], t["median_s"] / n * 1e6, base / t["median_s"]])
    print()
    print(C.table(["what", "records/s", "us/record", "x hand-written"], rows))
    ratio = base / timings["compiled, same 11 clauses"]["median_s"]
    print(f"\ncompiled / hand-written (same run, same facts): {ratio:.2f}x (target >= 0.5x)")
    C.write_results(
        "limit",
        {
            "machine": m,
            "command": "python benchmarks/bench_limit.py " + f"--n {args.n} --runs {args.runs}",
            "entities": summary,
            "clauses": [list(k) for k in handwritten.CLAUSES],
            "verified_records": len(envs) + len(fuzz),
            "timings": {k: {**v, "records_per_s": n / v["median_s"]} for k, v in timings.items()},
            "compiled_over_handwritten": ratio,
        },
    )


if __name__ == "__main__":
    main()
