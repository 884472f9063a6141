"""Benchmark 3 — against the limit and the peers, on a generated synthetic rule set.

80 rules over 40 facts (1 industry enum, 14 numbers, 12 yes/no, 13 enums),
each of 1-5 comparisons (numeric thresholds, ``in`` tests, ``==``, yes/no
facts) joined by nested and/or/not, 30 % guarded by an industry test.  The
same rules are rendered for safetyrules, rule-engine, zen-engine, cel-python
and JsonLogic (panzi-json-logic) and written as a hand-written Python
function (the per-record limit), checked to give identical outputs (80
booleans per record) on 1,000 records, then timed side by side in
interleaved rounds (one run of each engine per round, medians of rounds).

safetyrules is timed as a caller sees it: ``rules.evaluate(facts)``
returning the full ``Decision`` (and ``evaluate_many``, and
``evaluate(...).to_json()``); the generated function alone is printed
beside them, labelled ``[program only]``.

Records are complete (every fact known), so three-valued unknowns never
arise and every engine computes the same two-valued function.  A peer that
is not installed is skipped with a note (``pip install '.[bench]'``).

    python benchmarks/bench_peers.py [--n 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import random
import shutil
import tempfile
from typing import Any, Callable, Dict, List

import _common as C

N_RULES = 80
NUM = [f"n{i:02d}" for i in range(1, 15)]
BOOL = [f"b{i:02d}" for i in range(1, 13)]
ENUM = [f"e{i:02d}" for i in range(1, 14)]
ENUM_VALUES = ["a", "b", "c", "d", "e"]
INDUSTRIES = ["metallurgy", "machinery", "chemicals", "textiles", "trade", "catering", "construction", "office"]


# -- the rule set, as a small tree ------------------------------------------
def _leaf(rng: random.Random):
    k = rng.random()
    if k < 0.4:
        return ("cmp", rng.choice(NUM), rng.choice([">", ">=", "<", "<="]), rng.randint(0, 199) / 2 + 0.25)
    if k < 0.65:
        return ("bool", rng.choice(BOOL))
    if k < 0.9:
        return ("in", rng.choice(ENUM), sorted(rng.sample(ENUM_VALUES, rng.randint(1, 3))))
    return ("eq", rng.choice(ENUM), rng.choice(ENUM_VALUES))


def _tree(leaves: List[Any], rng: random.Random):
    if len(leaves) == 1:
        node = leaves[0]
    else:
        cut = rng.randint(1, len(leaves) - 1)
        node = (rng.choice(["and", "or"]), [_tree(leaves[:cut], rng), _tree(leaves[cut:], rng)])
    if rng.random() < 0.15:
        node = ("not", node)
    return node


def generate_rules(seed: int = 80) -> List[Any]:
    rng = random.Random(seed)
    rules = []
    for _ in range(N_RULES):
        body = _tree([_leaf(rng) for _ in range(rng.randint(1, 5))], rng)
        if rng.random() < 0.3:
            body = ("and", [("in", "industry", sorted(rng.sample(INDUSTRIES, rng.randint(1, 3)))), body])
        rules.append(body)
    return rules


def generate_records(n: int, seed: int = 1) -> List[Dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        r: Dict[str, Any] = {"industry": rng.choice(INDUSTRIES)}
        for f in NUM:
            r[f] = rng.randint(0, 1000) / 10.0
        for f in BOOL:
            r[f] = rng.random() < 0.5
        for f in ENUM:
            r[f] = rng.choice(ENUM_VALUES)
        out.append(r)
    return out


def _q(s: str) -> str:
    return "'" + s + "'"


def render(node, style: str) -> str:
    """Text for safetyrules / rule-engine / zen ('words') or CEL ('cel')."""
    kind = node[0]
    AND, OR = (" && ", " || ") if style == "cel" else (" and ", " or ")
    if kind in ("and", "or"):
        return "(" + (AND if kind == "and" else OR).join(render(c, style) for c in node[1]) + ")"
    if kind == "not":
        return ("!" if style == "cel" else "not ") + "(" + render(node[1], style) + ")"
    if kind == "cmp":
        return f"{node[1]} {node[2]} {node[3]!r}"
    if kind == "bool":
        return node[1]
    if kind == "in":
        return f"({node[1]} in [{', '.join(_q(v) for v in node[2])}])"
    return f"{node[1]} == {_q(node[2])}"


def jsonlogic(node):
    kind = node[0]
    if kind in ("and", "or"):
        return {kind: [jsonlogic(c) for c in node[1]]}
    if kind == "not":
        return {"!": [jsonlogic(node[1])]}
    if kind == "cmp":
        return {node[2]: [{"var": node[1]}, node[3]]}
    if kind == "bool":
        return {"==": [{"var": node[1]}, True]}
    if kind == "in":
        return {"in": [{"var": node[1]}, list(node[2])]}
    return {"==": [{"var": node[1]}, node[2]]}


# -- engines: each returns fn(record) -> tuple of 80 bools -------------------
def handwritten_source(rules_tree) -> str:
    """The per-record limit: the 80 rules as a careful programmer writes
    them for complete records (each fact read once, plain Python logic)."""

    def py(node):
        k = node[0]
        if k in ("and", "or"):
            return "(" + f" {k} ".join(py(c) for c in node[1]) + ")"
        if k == "not":
            return f"(not {py(node[1])})"
        if k == "cmp":
            return f"({node[1]} {node[2]} {node[3]!r})"
        if k == "bool":
            return node[1]
        if k == "in":
            return f"({node[1]} in {frozenset(node[2])!r})"
        return f"({node[1]} == {node[2]!r})"

    names = ["industry"] + NUM + BOOL + ENUM
    return ("def decide(r):\n" + "".join(f"    {n} = r[{n!r}]\n" for n in names)
            + "    return (" + ", ".join(py(t) for t in rules_tree) + ")\n")


def handwritten(rules_tree):
    ns: Dict[str, Any] = {}
    exec(handwritten_source(rules_tree), ns)  # noqa: S102 - our own generated benchmark code
    return ns["decide"]


DAY = "2024-01-01"


def load_safetyrules(rules_tree, workdir):
    """The same 80 rules as a safetyrules rule set (files in ``workdir``)."""
    import yaml

    import safetyrules

    vocab = {"industry": {"type": "enum", "values": list(INDUSTRIES)}}  # fresh lists: no YAML anchors
    vocab.update({f: {"type": "number"} for f in NUM})
    vocab.update({f: {"type": "bool"} for f in BOOL})
    vocab.update({f: {"type": "enum", "values": list(ENUM_VALUES)} for f in ENUM})
    clauses = [
        {"id": f"r{i:02d}", "cite": f"rule {i}", "severity": "general", "title": {"en": f"rule {i}"},
         "when": render(t, "words")}
        for i, t in enumerate(rules_tree, 1)
    ]
    files = {
        "vocabulary.yaml": {"kind": "vocabulary", "id": "synth", "facts": vocab},
        "rules.yaml": {"kind": "standard", "id": "synth.rules", "version": "1", "title": {"en": "synthetic"},
                       "clauses": clauses},
        "ruleset.yaml": {"kind": "ruleset", "id": "synth", "include": ["vocabulary.yaml", "rules.yaml"]},
    }
    for name, data in files.items():
        with open(os.path.join(workdir, name), "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False)
    return safetyrules.load(os.path.join(workdir, "ruleset.yaml"))


def findings_tuple(decision) -> tuple:
    found = {f.clause for f in decision.findings}
    return tuple(f"r{i:02d}" in found for i in range(1, N_RULES + 1))


def engine_rule_engine(rules_tree):
    import rule_engine

    compiled = [rule_engine.Rule(render(t, "words")) for t in rules_tree]

    def run(record):
        return tuple(r.matches(record) for r in compiled)

    return {"rule-engine": run}


def engine_zen(rules_tree):
    import zen

    exprs = [zen.compile_expression(render(t, "words")) for t in rules_tree]

    def per_rule(record):
        return tuple(e.evaluate(record) for e in exprs)

    graph = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}},
            {"id": "ex", "type": "expressionNode", "name": "rules", "position": {"x": 0, "y": 0},
             "content": {"expressions": [{"id": f"e{i}", "key": f"r{i:02d}", "value": render(t, "words")}
                                         for i, t in enumerate(rules_tree, 1)]}},
            {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 0, "y": 0}},
        ],
        "edges": [{"id": "x1", "sourceId": "in", "targetId": "ex", "type": "edge"},
                  {"id": "x2", "sourceId": "ex", "targetId": "out", "type": "edge"}],
    }
    decision = zen.ZenEngine().create_decision(json.dumps(graph))
    keys = [f"r{i:02d}" for i in range(1, N_RULES + 1)]

    def one_graph(record):
        res = decision.evaluate(record)["result"]
        return tuple(res[k] for k in keys)

    return {"zen-engine (one decision graph call)": one_graph, "zen-engine (80 compiled expressions)": per_rule}


def engine_cel(rules_tree):
    import celpy

    env = celpy.Environment()
    program = env.program(env.compile("[" + ", ".join(render(t, "cel") for t in rules_tree) + "]"))

    def run(record):
        return tuple(bool(v) for v in program.evaluate(celpy.json_to_cel(record)))

    return {"cel-python": run}


def engine_jsonlogic(rules_tree):
    from json_logic import jsonLogic

    logic = [jsonlogic(t) for t in rules_tree]

    def run(record):
        return tuple(bool(jsonLogic(lg, record)) for lg in logic)

    return {"JsonLogic (panzi-json-logic)": run}


PEERS = [
    ("rule-engine", engine_rule_engine),
    ("zen-engine", engine_zen),
    ("cel-python", engine_cel),
    ("panzi-json-logic", engine_jsonlogic),
]
#: records timed per engine: slow engines get fewer (throughput is per record)
SAMPLE = {"cel-python": 100, "rule-engine": 2000, "JsonLogic (panzi-json-logic)": 2000,
          "zen-engine (one decision graph call)": 5000, "zen-engine (80 compiled expressions)": 2000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="records timed for the fast engines")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    m = C.machine()
    C.print_machine(m)
    tree = generate_rules()
    records = generate_records(max(args.n, 1000))
    work = tempfile.mkdtemp(prefix="sr-peers-")
    notes = []
    peers: Dict[str, Callable] = {}
    try:
        rs = load_safetyrules(tree, work)
        for pkg, make in PEERS:
            try:
                peers.update(make(tree))
            except ImportError as exc:
                note = f"skipped {pkg}: not installed ({exc}); pip install '.[bench]'"
                print(note)
                notes.append(note)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hand = handwritten(tree)
    day = datetime.date.fromisoformat(DAY)
    program = rs.program(day)  # compiled here, before any timing

    verify = records[:1000]
    expected = [hand(r) for r in verify]
    got = [findings_tuple(rs.evaluate(r, day)) for r in verify]
    if got != expected:
        raise SystemExit("safetyrules disagrees with the hand-written function; not timing")
    if any(program.run(r, day) is None for r in verify):
        raise SystemExit("a complete record left the generated path; not timing")
    for name, fn in peers.items():
        bad = sum(1 for a, b in zip(expected, (fn(r) for r in verify)) if a != b)
        if bad:
            raise SystemExit(f"{name} disagrees with the hand-written function on {bad} of 1000 records; not timing")
    true_share = sum(sum(e) for e in expected) / (len(expected) * N_RULES)
    print(f"verified: hand-written, safetyrules and {len(peers)} peers give identical outputs on 1,000 records "
          f"({true_share:.0%} of rule outcomes true)")

    recs = records[: args.n]
    ev = rs.evaluate
    run = program.run

    def loop(fn, rs_):
        def go():
            for r in rs_:
                fn(r)
        return go

    cases: List[Any] = [
        ("hand-written Python (the limit)", loop(hand, recs), len(recs)),
        ("safetyrules rules.evaluate(facts) -> full Decision", loop(lambda r: ev(r, day), recs), len(recs)),
        ("safetyrules rules.evaluate_many(records) -> Decisions",
         lambda: collections.deque(rs.evaluate_many(recs, day), maxlen=0), len(recs)),
        ("safetyrules rules.evaluate(facts).to_json()", loop(lambda r: ev(r, day).to_json(), recs[:5000]),
         min(len(recs), 5000)),
        ("[program only] safetyrules generated function, compact result", loop(lambda r: run(r, day), recs),
         len(recs)),
    ]
    for name, fn in peers.items():
        sub = recs[: min(args.n, SAMPLE.get(name, args.n))]
        cases.append((name, loop(fn, sub), len(sub)))
    # interleaved rounds: every engine timed once per round, medians over rounds;
    # CPU time of this process beside wall time (the machine may be shared)
    import gc
    import statistics
    import time

    per: Dict[str, List[float]] = {name: [] for name, _, _ in cases}
    cpu: Dict[str, List[float]] = {name: [] for name, _, _ in cases}
    for _ in range(args.runs):
        for name, fn, n in cases:
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            per[name].append((time.perf_counter() - t0) / n)
            cpu[name].append((time.process_time() - c0) / n)

    results: Dict[str, Any] = {}
    for name, _, n in cases:
        us = statistics.median(per[name]) * 1e6
        results[name] = {"us_per_record": us, "records_per_s": 1e6 / us, "records": n,
                         "rounds_us": [x * 1e6 for x in per[name]],
                         "cpu_us_per_record": statistics.median(cpu[name]) * 1e6}
    hand_us = results["hand-written Python (the limit)"]["us_per_record"]
    hand_cpu = results["hand-written Python (the limit)"]["cpu_us_per_record"]
    rows = [[name, r["records_per_s"], r["us_per_record"], hand_us / r["us_per_record"], r["cpu_us_per_record"],
             hand_cpu / r["cpu_us_per_record"]] for name, r in results.items()]
    print()
    print(C.table(["engine", "records/s", "us/record", "x hand-written", "CPU us/record", "x hand (CPU)"], rows))
    full = results["safetyrules rules.evaluate(facts) -> full Decision"]["us_per_record"]
    js = results["safetyrules rules.evaluate(facts).to_json()"]["us_per_record"]
    zen = [v["us_per_record"] for k, v in results.items() if k.startswith("zen-engine")]
    print(f"\nrules.evaluate (full Decision) / hand-written: {hand_us / full:.2f}x (target >= 0.5x)")
    js_cpu = results["safetyrules rules.evaluate(facts).to_json()"]["cpu_us_per_record"]
    print(f"rules.evaluate + to_json() / hand-written: {hand_us / js:.2f}x (target >= 0.3x; CPU time {hand_cpu / js_cpu:.2f}x)")
    if zen:
        print(f"rules.evaluate vs fastest zen-engine mode: {min(zen) / full:.2f}x faster (target >= 3x)")
    print("'[program only]' rows time the generated function without building the Decision; all other "
          "safetyrules rows return what a caller gets.")
    C.write_results(
        "peers",
        {
            "machine": m,
            "command": f"python benchmarks/bench_peers.py --n {args.n} --runs {args.runs}",
            "rules": N_RULES,
            "facts": 1 + len(NUM) + len(BOOL) + len(ENUM),
            "true_share": true_share,
            "notes": notes,
            "results": results,
            "evaluate_over_handwritten": hand_us / full,
            "to_json_over_handwritten": hand_us / js,
            "evaluate_over_zen": (min(zen) / full) if zen else None,
        },
    )


if __name__ == "__main__":
    main()
