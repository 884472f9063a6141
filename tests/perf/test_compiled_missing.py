"""Compiled ``missing`` ≡ the tree walk, order included.

``backends.missing.node_missing`` answers ``dsl.missing(node, env)`` from
precompiled data (one compiled program per scope: the condition, and each
quantifier body with its name bound to an item), and ``decision_missing``
builds every undetermined clause's missing facts (derived facts expanded
through their tables' unknown rows) from it.  Here both are compared with
the tree walk (``dsl.missing``; ``decision_missing(compiled=False)``) on:

- a rule set made for it: nested quantifiers (a body reading the outer
  item, a shadowed name, a list literal of an item's field as a source),
  ``count``/``sum``/``all``/``any``, ``known``, a division, lists of plain
  values, list items lacking fields, derived facts from ``first``,
  ``unique``, ``priority`` and ``collect`` tables (quantifiers in rows, a
  table reading other tables' outputs), decision facts;
- the bundled set, golden entities perturbed (gaps, flips, list items
  dropped or lacking fields);
- environments handed in directly with irregular values (items that are
  not records, wrong types), where the compiled path must give way to the
  tree walk and still agree (errors included).

Each property counts how often the compiled path answered by itself.
"""

import copy
import gzip
import json
import random

import pytest

import safetyrules
from safetyrules import dsl
from safetyrules.backends import missing as M
from safetyrules.dsl import ast as A
from safetyrules.dsl.printer import unparse

from test_generated_differential import GOLDEN, perturb

import rule_files
from rule_files import ruleset, standard, table, vocabulary

RULES = {
    "v.yaml": vocabulary("""\
        a: {type: bool}
        b: {type: bool}
        n: {type: integer, min: 0}
        x: {type: number}
        sector: {type: enum, values: [p, q, r]}
        tags: {type: list, values: [t1, t2, t3]}
        cranes: {type: list, item: {age: {type: integer}, kind: {type: enum, values: [gantry, bridge]},
                 load: {type: number}, ok: {type: bool}}}
        rooms: {type: list, item: {name: {type: string}, wet: {type: bool}, area: {type: number}}}
        out.first: {type: enum, values: [x, y, z]}
        out.unique: {type: enum, values: [x, y, z]}
        out.priority: {type: enum, values: [high, mid, low]}
        out.collect: {type: list, values: [p, q, r]}
        out.chain: {type: bool}
        risk.level: {type: enum, values: [red, orange, yellow, blue]}
        """),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "a and any(k in cranes: k.age > n and k.ok)"}
        - {id: c2, cite: "2", severity: general, title: {en: c2},
           when: "sum(k in cranes: k.load * x) >= 10 or all(r in rooms: r.wet)"}
        - {id: c3, cite: "3", severity: general, title: {en: c3},
           when: "count(k in cranes: count(y in [k.kind]: y in ['gantry']) >= 1 and known(k.age)) >= 2",
           unless: "b"}
        - {id: c4, cite: "4", severity: major, title: {en: c4},
           when: "any(r in rooms: r.wet and any(k in cranes: k.load > r.area or not k.ok))"}
        - {id: c5, cite: "5", severity: general, title: {en: c5}, when: "'p' in out.collect and out.first == 'y' or out.chain"}
        - {id: c6, cite: "6", severity: general, title: {en: c6},
           when: "any(o in out.collect: o == 'q') and (out.unique == 'x' or out.priority == 'high')"}
        - {id: c7, cite: "7", severity: general, title: {en: c7}, when: "any(t in tags: t == 't2') and x / n > 1"}
        - {id: c8, cite: "8", severity: major, title: {en: c8}, when: "any(k in cranes: any(k in rooms: k.wet))"}
        """, title="s", applies_when="sector != 'r' or any(k in cranes: k.kind == 'gantry')"),
    "t1.yaml": table("t.first", "out.first", """\
        - {when: "n >= 100 and any(k in cranes: k.age > 5)", then: x}
        - {when: "n >= 10 or sum(r in rooms: r.area) > 50", then: y}
        - {when: "n >= 0", then: z}
        """),
    "t2.yaml": table("t.unique", "out.unique", """\
        - {when: "a and b", then: x}
        - {when: "a and not b and all(k in cranes: k.ok)", then: y}
        - {when: "not a", then: z}
        """, hit="unique"),
    "t3.yaml": table("t.priority", "out.priority", """\
        - {when: "b", then: low}
        - {when: "any(r in rooms: r.name == 'lab' and r.wet)", then: high}
        - {when: "x > 50", then: mid}
        """, hit="priority"),
    "t4.yaml": table("t.collect", "out.collect", """\
        - {when: "a", then: q}
        - {when: "'t1' in tags", then: p}
        - {when: "count(k in cranes: k.kind == 'bridge') > 1 or b", then: r}
        """, hit="collect"),
    "t5.yaml": table("t.chain", "out.chain", """\
        - {when: "out.first == 'x' and out.unique != 'z'", then: true}
        - {when: "out.first == 'z'", then: false}
        """),
    "g.yaml": table("grade", "risk.level", """\
        - {when: "findings.major > 0", then: red}
        - {when: "findings.major_undetermined > 0", then: orange}
        - {when: "findings.general + findings.undetermined > 0 or out.priority == 'mid'", then: yellow}
        """, default="blue"),
    "ruleset.yaml": ruleset("perf.missing", ['"*.yaml"'], {"level": "risk.level", "tier": "out.first"}),
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "missing_rules", RULES, dedent=True)


def _maybe(rng, value, p=0.3):
    return None if rng.random() < p else value


def _item(rng, fields):
    out = {}
    for k, choices in fields.items():
        if rng.random() < 0.7:
            out[k] = rng.choice(choices)
    return out


CRANE = {"age": [0, 3, 6, 12], "kind": ["gantry", "bridge"], "load": [0, 2.5, 40.0], "ok": [True, False]}
ROOM = {"name": ["lab", "store"], "wet": [True, False], "area": [1.0, 30.0, 60.0]}


def _record(rng):
    rec = {
        "a": _maybe(rng, rng.random() < 0.5),
        "b": _maybe(rng, rng.random() < 0.5),
        "n": _maybe(rng, rng.choice([0, 1, 10, 150])),  # 0: a division by zero in c7
        "x": _maybe(rng, rng.choice([0.5, 2.0, 80.0])),
        "sector": _maybe(rng, rng.choice(["p", "q", "r"])),
    }
    if rng.random() < 0.7:
        rec["tags"] = rng.sample(["t1", "t2", "t3"], rng.randint(0, 3))
    if rng.random() < 0.8:
        rec["cranes"] = [_item(rng, CRANE) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.8:
        rec["rooms"] = [_item(rng, ROOM) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.1:
        rec["out.first"] = rng.choice(["x", "y", "z"])  # a given output wins over its table
    return {k: v for k, v in rec.items() if v is not None}


def _nodes(plan, layout):
    """Every condition the decision's missing facts come from: each clause's
    whole condition and every table row."""
    out = [c.condition for c in layout.clauses]
    for t in plan.tables:
        out.extend(n for n in t.conditions if n is not None)
    return out


def _agree(node, env):
    """node_missing ≡ dsl.missing (the same tuple, or the same error);
    True when the compiled path answered without the tree walk."""
    try:
        want = dsl.missing(node, env)
    except Exception as err:  # noqa: BLE001 - the same error is expected
        with pytest.raises(type(err)):
            M.node_missing(node, env)
        return False
    assert M.node_missing(node, env) == want, unparse(node)
    out = set()
    try:
        M._NODE_MISSING[id(node)].scope.visit(env, {}, {}, out)
    except M._Fallback:
        return False
    assert tuple(sorted(out)) == want
    return True


def _check_decision(d, stats, nodes=None):
    lay, result = d._layout, d._result
    env = d._env_map()
    nodes = nodes or (lambda lay, result: _nodes(lay.plan, lay))
    got = M.decision_missing(lay, result, env)
    want = M.decision_missing(lay, result, env, compiled=False)
    assert got == want
    assert d.missing == want[1]
    assert tuple(u.missing for u in d.undetermined) == tuple(m for m, v in zip(want[0], result[0]) if v is None)
    stats["decisions"] += 1
    stats["undetermined"] += None in result[0]
    for node in nodes(lay, result):
        stats["nodes"] += 1
        stats["compiled"] += _agree(node, env)


def test_made_rule_set_compiled_missing_equals_tree_walk(rules):
    rng = random.Random(9)
    stats = dict.fromkeys(("decisions", "undetermined", "nodes", "compiled"), 0)
    labelled = 0
    for _ in range(250):
        d = rules.evaluate(_record(rng))
        _check_decision(d, stats)
        labelled += any("[" in m for m in d.missing)
    assert stats["undetermined"] >= 180, stats
    assert labelled >= 60, labelled  # item labels (cranes[1].ok) reached
    assert stats["compiled"] >= 0.9 * stats["nodes"], stats


def _undetermined_nodes(lay, result):
    """The conditions of the undetermined clauses and the rows of the
    tables they read (what the bundled set's decision asks)."""
    out = [c.condition for c, v in zip(lay.clauses, result[0]) if v is None]
    reads = {p for n in out for p in A.fact_paths(n)}
    for t in lay.plan.tables:
        if t.output in reads or t.output in lay.plan.decision.values():
            out.extend(n for n in t.conditions if n is not None)
    return out


def test_bundled_compiled_missing_equals_tree_walk():
    rules = safetyrules.load()
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        golden = [json.loads(line)["facts"] for line in fh]
    rng = random.Random(6)
    stats = dict.fromkeys(("decisions", "undetermined", "nodes", "compiled"), 0)
    for _ in range(40):
        rec = perturb(rng.choice(golden), rng, rules.plan)
        try:
            d = rules.evaluate(rec)
        except safetyrules.SafetyRulesError:
            continue
        _check_decision(d, stats, _undetermined_nodes)
    assert stats["undetermined"] >= 20, stats
    assert stats["compiled"] >= 0.9 * stats["nodes"], stats


# list values whose items are not records (or lack the record's shape):
# the fact checks refuse them, so only a hand-made environment has them
ODD_ITEMS = [[5], [None], [{"age": 7, "ok": True}, 5], [{"wet": True, "area": 2.0}, ["x"]], [{"kind": "bridge"}, None],
             [{"load": 2.5, "ok": False}, "t1"], [[{"age": 1}]], [{}, {"age": 12, "ok": True, "kind": "gantry"}]]


def test_odd_list_items_give_way_to_the_tree_walk(rules):
    """Items that are not records handed in as the environment (the other
    facts regular): the compiled path gives way to the tree walk and
    answers the same (or raises the same error)."""
    rng = random.Random(15)
    plan = rules.plan
    nodes = [c.condition for c in plan.clauses]
    for t in plan.tables:
        nodes.extend(n for n in t.conditions if n is not None)
    compiled = total = 0
    for _ in range(80):
        env = dict(rules.evaluate(_record(rng))._env_map())
        for name in ("cranes", "rooms"):
            if rng.random() < 0.6:
                env[name] = copy.deepcopy(rng.choice(ODD_ITEMS))
        for node in nodes:
            total += 1
            compiled += _agree(node, env)
    assert 0 < compiled < 0.9 * total, (compiled, total)
