"""Benchmark 3 — against the peers, on a generated synthetic rule set.

80 rules over 40 facts (1 industry enum, 14 numbers, 12 yes/no, 13 enums),
each of 1-5 comparisons (numeric thresholds, ``in`` tests, ``==``, yes/no
facts) joined by nested and/or/not, 30 % guarded by an industry test.  The
same rules are rendered for safetyrules, rule-engine, zen-engine, cel-python
and JsonLogic (panzi-json-logic), checked to give identical outputs (80
booleans per record) on 1,000 records, then timed side by side.

Records are complete (every fact known), so three-valued unknowns never
arise and every engine computes the same two-valued function.  A peer that
is not installed is skipped with a note (``pip install '.[bench]'``).

    python benchmarks/bench_peers.py [--n 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
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
def engine_safetyrules(rules_tree, workdir):
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
    rs = safetyrules.load(os.path.join(workdir, "ruleset.yaml"))
    program = rs._clause_program
    check = rs.check_facts
    ids = [c.clause.id for c in rs._clauses]
    order = [ids.index(f"r{i:02d}") for i in range(1, N_RULES + 1)]

    def compiled(record):
        v = program(check(record), None)
        return tuple(v[i] for i in order)

    def full(record):
        found = {f.clause for f in rs.evaluate(record, "2024-01-01").findings}
        return tuple(f"r{i:02d}" in found for i in range(1, N_RULES + 1))

    def bare(env):  # pre-checked facts: the compiled program alone
        v = program(env, None)
        return tuple(v[i] for i in order)

    return {"safetyrules (check_facts + compiled program)": compiled,
            "safetyrules (RuleSet.evaluate, full decision)": full}, bare, check


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
    try:
        engines, bare, check = engine_safetyrules(tree, work)
        for pkg, make in PEERS:
            try:
                engines.update(make(tree))
            except ImportError as exc:
                note = f"skipped {pkg}: not installed ({exc}); pip install '.[bench]'"
                print(note)
                notes.append(note)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    verify = records[:1000]
    expected = [bare(check(r)) for r in verify]
    for name, fn in engines.items():
        got = [fn(r) for r in verify]
        bad = sum(1 for a, b in zip(expected, got) if a != b)
        if bad:
            raise SystemExit(f"{name} disagrees with safetyrules on {bad} of 1000 records; not timing")
    true_share = sum(sum(e) for e in expected) / (len(expected) * N_RULES)
    print(f"verified: {len(engines)} engines give identical outputs on 1,000 records "
          f"({true_share:.0%} of rule outcomes true)")

    results: Dict[str, Any] = {}
    envs = [check(r) for r in records[: args.n]]

    def timer(fn: Callable, recs: List[Any]):
        def run():
            for r in recs:
                fn(r)
        return run

    timed = [("safetyrules (compiled program, pre-checked facts)", bare, envs)]
    timed += [(name, fn, records[: min(args.n, SAMPLE.get(name, args.n))]) for name, fn in engines.items()]
    for name, fn, recs in timed:
        t = C.median_time(timer(fn, recs), runs=args.runs)
        results[name] = {**t, "records": len(recs), "records_per_s": len(recs) / t["median_s"]}
        print(f"  timed {name}: {results[name]['records_per_s']:,.0f} records/s on {len(recs):,} records")

    ours = results["safetyrules (check_facts + compiled program)"]["records_per_s"]
    full = results["safetyrules (RuleSet.evaluate, full decision)"]["records_per_s"]
    rows = []
    for name, r in results.items():
        rps = r["records_per_s"]
        rows.append([name, rps, 1e6 / rps, ours / rps, full / rps])
    print()
    print(C.table(["engine", "records/s", "us/record", "compiled x faster", "evaluate x faster"], rows))
    print("\n'compiled' = safetyrules check_facts + compiled clause program on the raw record;"
          " 'evaluate' = full RuleSet.evaluate.")
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
            "ratios_compiled_over_peer": {k: ours / v["records_per_s"] for k, v in results.items()},
            "ratios_evaluate_over_peer": {k: full / v["records_per_s"] for k, v in results.items()},
        },
    )


if __name__ == "__main__":
    main()
