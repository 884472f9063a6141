"""next_questions over witness lists (engine/settle_lists.py) ≡ over whole lists.

A list item's field used to be tried by evaluating the clauses over the whole
list once per value (O(n²) for a list of n items with gaps: 1,600 items took
minutes).  Where the clauses read the list only through top-level any/all
quantifiers, a handful of witness items give the same values.  The property:
``next_questions`` with the witness lists equals ``next_questions`` over the
whole lists (``reduce_lists=False``, the reference), order included, on a
made rule set (any/all, count beside them, a list quantifier nested in
another's body, a division in a body, shadowed names) and on bundled entities
with long lists; each run counts how often the witness path answered, so the
property is seen to reach it.
"""

import datetime
import gzip
import json
import os
import random

import pytest

import safetyrules
from safetyrules.engine import questions as Q
from safetyrules.engine import settle_lists as S

import rule_files
from rule_files import ruleset, standard, table, vocabulary

HERE = os.path.dirname(__file__)
GOLDEN = os.path.join(HERE, "..", "data", "golden-decisions.jsonl.gz")
DAY = datetime.date(2024, 6, 1)

RULES = {
    "v.yaml": vocabulary("""\
        a: {type: bool}
        b: {type: bool}
        n: {type: integer, min: 0}
        x: {type: number}
        cranes: {type: list, item: {age: {type: integer}, kind: {type: enum, values: [gantry, bridge]},
                 load: {type: number}, ok: {type: bool}}}
        rooms: {type: list, item: {name: {type: string}, wet: {type: bool}, area: {type: number}}}
        risk.level: {type: enum, values: [red, orange, yellow, blue]}
        """),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "a and any(k in cranes: k.age > n and k.ok)"}
        - {id: c2, cite: "2", severity: general, title: {en: c2}, when: "all(r in rooms: r.wet) or b"}
        - {id: c3, cite: "3", severity: major, title: {en: c3},
           when: "any(k in cranes: k.kind == 'gantry') and not all(k in cranes: k.ok)"}
        - {id: c4, cite: "4", severity: general, title: {en: c4}, when: "count(k in cranes: k.ok) >= 2"}
        - {id: c5, cite: "5", severity: major, title: {en: c5},
           when: "any(r in rooms: r.wet and any(k in cranes: k.load > r.area))"}
        - {id: c6, cite: "6", severity: general, title: {en: c6}, when: "any(k in cranes: k.load / x > 1)"}
        - {id: c7, cite: "7", severity: general, title: {en: c7},
           when: "all(r in rooms: r.area > 10 or any(r in cranes: r.ok))", unless: "a"}
        """, title="s"),
    "g.yaml": table("grade", "risk.level", """\
        - {when: "findings.major > 0", then: red}
        - {when: "findings.major_undetermined > 0", then: orange}
        - {when: "findings.general + findings.undetermined > 0", then: yellow}
        """, default="blue"),
    "ruleset.yaml": ruleset("settle.lists", ['"*.yaml"'], {"level": "risk.level"}),
}

CRANE = {"age": [0, 3, 6, 12], "kind": ["gantry", "bridge"], "load": [0, 2.5, 40.0], "ok": [True, False]}
ROOM = {"name": ["lab", "store"], "wet": [True, False], "area": [1.0, 30.0, 60.0]}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "settle_lists", RULES, dedent=True)


def _item(rng, fields, p=0.7):
    return {k: rng.choice(v) for k, v in fields.items() if rng.random() < p}


def _record(rng):
    rec = {}
    for k, choices in (("a", [True, False]), ("b", [True, False]), ("n", [0, 1, 5]), ("x", [0.0, 0.5, 2.0])):
        if rng.random() < 0.7:
            rec[k] = rng.choice(choices)
    if rng.random() < 0.9:
        rec["cranes"] = [_item(rng, CRANE) for _ in range(rng.randint(0, 8))]
    if rng.random() < 0.9:
        rec["rooms"] = [_item(rng, ROOM) for _ in range(rng.randint(0, 8))]
    return rec


@pytest.fixture
def counted(monkeypatch):
    """Counts ItemValues.keep answers (a witness list used) and refusals."""
    stats = {"witness": 0, "whole": 0}
    keep = S.ItemValues.keep

    def counting(self, quants, index):
        got = keep(self, quants, index)
        stats["witness" if got is not None else "whole"] += 1
        return got

    monkeypatch.setattr(S.ItemValues, "keep", counting)
    return stats


def _questions(rules, facts, day, reduce_lists):
    old = Q.next_questions
    if not reduce_lists:
        Q.next_questions = lambda *a, **k: old(*a, **dict(k, reduce_lists=False))
    try:
        d = rules.evaluate(facts, day)
        return [(q["fact"], tuple(q["settles"]), q["major"]) for q in d.to_dict()["next_questions"]]
    finally:
        Q.next_questions = old


def test_made_rule_set_witness_lists_equal_whole_lists(rules, counted):
    rng = random.Random(20261201)
    compared = 0
    for _ in range(250):
        rec = _record(rng)
        assert _questions(rules, rec, DAY, True) == _questions(rules, rec, DAY, False), rec
        compared += 1
    # the property reaches the witness path (count and nested readers fall
    # back before keep() is asked: test_list_quantifiers_refuses_...)
    assert compared == 250 and counted["witness"] > 200, counted


def _golden_entities(n):
    out = []
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            facts = rec.get("facts") if isinstance(rec, dict) else None
            if isinstance(facts, dict) and any(isinstance(v, list) and v and isinstance(v[0], dict)
                                               for v in facts.values()):
                out.append(facts)
            if len(out) >= n:
                break
    return out


def _lengthen(facts, rng):
    """Each list of records repeated to 5-12 items, each item losing fields at random."""
    out = dict(facts)
    for k, v in facts.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            items = []
            for _ in range(rng.randint(5, 12)):
                src = rng.choice(v)
                items.append({f: val for f, val in src.items() if rng.random() < 0.75})
            out[k] = items
    return out


def test_bundled_witness_lists_equal_whole_lists(counted):
    rules = safetyrules.load()
    entities = _golden_entities(40)
    assert entities, "the golden corpus has entities with list facts"
    rng = random.Random(7)
    for facts in entities:
        rec = _lengthen(facts, rng)
        try:
            got = _questions(rules, rec, DAY, True)
        except safetyrules.SafetyRulesError:
            continue
        assert got == _questions(rules, rec, DAY, False), rec
    assert counted["witness"] > 50, counted


def test_long_list_asks_every_item_field(rules):
    """400 cranes with gaps (the witness path): every item's fields are still
    asked, and the first item's settles what the whole-list reference gives
    on a 3-crane list of the same items."""
    rec = {"a": True, "cranes": [{"kind": "gantry"} for _ in range(400)], "rooms": [{"wet": True}]}
    d = rules.evaluate(rec, DAY).to_dict()
    facts = {q["fact"] for q in d["next_questions"]}
    assert "cranes[399].ok" in facts and "cranes[0].age" in facts
    small = {"a": True, "cranes": [{"kind": "gantry"} for _ in range(3)], "rooms": [{"wet": True}]}
    want = {q["fact"]: q for q in _questions_dicts(rules, small, False)}
    got = {q["fact"]: q for q in d["next_questions"]}
    assert list(got["cranes[0].ok"]["settles"]) == list(want["cranes[0].ok"]["settles"])


def _questions_dicts(rules, facts, reduce_lists):
    old = Q.next_questions
    if not reduce_lists:
        Q.next_questions = lambda *a, **k: old(*a, **dict(k, reduce_lists=False))
    try:
        return rules.evaluate(facts, DAY).to_dict()["next_questions"]
    finally:
        Q.next_questions = old


def test_list_quantifiers_refuses_what_it_cannot_reduce(rules):
    plan = rules.plan
    cond = {c.id: c.condition for c in plan.clauses}
    assert [q.kind for q in S.list_quantifiers([cond["c1"]], "cranes")] == ["any"]
    assert len(S.list_quantifiers([cond["c3"]], "cranes")) == 2
    assert S.list_quantifiers([cond["c4"]], "cranes") is None  # count
    assert S.list_quantifiers([cond["c5"]], "cranes") is None  # inside another quantifier's body
    assert len(S.list_quantifiers([cond["c5"]], "rooms")) == 1
    assert S.list_quantifiers([cond["c7"]], "cranes") is None  # nested (and shadowing r)
