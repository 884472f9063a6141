"""next_questions' fast path ≡ the straightforward reference (issue 9).

``next_questions(..., fast=True)`` (what decisions use) tries each missing
fact's values in :meth:`Domains.try_order` (both ends first, then the middle
of each gap) with state kept per plan, and stops once every clause the fact
could settle is settled; ``fast=False`` is the reference (values in
:meth:`Domains.values` order, nothing kept).  Both must give the same
questions, order included, and the same ``to_json()`` bytes: on the 700
golden entities, on random records drawn from the bundled vocabulary
(values at the constants each fact is compared with, so settles happen) and
on a made rule set whose clauses are settled only by a value in the middle,
or at one end, of a long domain.
"""

import datetime
import functools
import gzip
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import safetyrules
from safetyrules.engine import questions as Q

import rule_files
from rule_files import ruleset, standard, table, vocabulary

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "data", "golden-decisions.jsonl.gz")
DAY = datetime.date(2024, 6, 1)


def _both(rules, facts, day, text=True):
    """(fast, reference): each path's questions and (``text``) to_json() of ``facts``."""
    fast = Q.next_questions
    out = []
    for f in (fast, functools.partial(fast, fast=False)):
        Q.next_questions = f
        try:
            d = rules.evaluate(facts, day)
            qs = [{"fact": q["fact"], "settles": list(q["settles"]), "major": q["major"]} for q in d.next_questions]
            out.append((qs, d.to_json() if text else None))
        finally:
            Q.next_questions = fast
    return out


def test_try_order_is_a_permutation_of_the_values(bundled):
    dom = Q.domains_for(bundled.plan)
    for n in range(0, 60):
        assert sorted(Q._spread(n)) == list(range(n))
    for fact in bundled.plan.facts:
        vals = dom.values(fact)
        assert sorted(map(repr, dom.try_order(fact))) == sorted(map(repr, vals)), fact
    assert Q._spread(5) == [4, 0, 2, 1, 3]


def test_golden_entities_fast_equals_reference(bundled):
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    settled = 0
    for i, c in enumerate(cases):
        (q_fast, j_fast), (q_ref, j_ref) = _both(bundled, c["facts"], c["as_of"], text=i % 7 == 0)
        assert q_fast == q_ref, c["facts"]
        assert j_fast == j_ref
        settled += sum(bool(q["settles"]) for q in q_fast)
    assert settled > 200  # the comparison reaches questions that settle something


def _record_strategy(plan):
    """Flat records over every declared input fact: each missing, null, or
    one of the values next_questions would try (within the fact's bounds)."""
    dom = Q.domains_for(plan)
    outputs = set(plan.outputs)
    fields = {}
    for name, spec in sorted(plan.facts.items()):
        if name in outputs or name.startswith("findings.") or name == "as_of":
            continue
        if spec.type == "list":
            if not spec.item:
                fields[name] = st.lists(st.sampled_from(spec.values), max_size=3, unique=True) if spec.values else None
                continue
            item = {}
            for k, f in spec.item.items():
                vals = dom.values(f"{name}[0].{k}")
                if vals:
                    item[k] = st.one_of(st.none(), st.sampled_from(vals))
            fields[name] = st.lists(st.fixed_dictionaries({}, optional=item), max_size=3)
            continue
        vals = dom.values(name)
        if vals:
            fields[name] = st.one_of(st.none(), st.sampled_from(vals))
    return st.fixed_dictionaries({}, optional={k: v for k, v in fields.items() if v is not None})


_STATS = {"records": 0, "settles": 0}


@settings(max_examples=20)
@given(data=st.data())
def test_random_bundled_records_fast_equals_reference(bundled, data):
    facts = data.draw(_record_strategy(bundled.plan))
    day = data.draw(st.sampled_from([DAY, datetime.date(2016, 6, 1), datetime.date(2026, 3, 1)]))
    try:
        bundled.check_facts(facts)
    except safetyrules.SafetyRulesError:
        return
    (q_fast, j_fast), (q_ref, j_ref) = _both(bundled, facts, day)
    assert q_fast == q_ref
    assert j_fast == j_ref
    _STATS["records"] += 1
    _STATS["settles"] += sum(bool(q["settles"]) for q in q_fast)


def test_random_records_reached_settles():
    # run after the property above (file order): it compared real questions
    assert _STATS["records"] >= 15 and _STATS["settles"] >= 50, _STATS


RULES = {
    "v.yaml": vocabulary("""\
        a: {type: bool}
        x: {type: number, min: 0}
        y: {type: number}
        n: {type: integer, min: 0, max: 100}
        k: {type: enum, values: [p, q, r, s, t, u, v]}
        band: {type: enum, values: [low, mid, high]}
        items: {type: list, item: {w: {type: number, min: 0}, ok: {type: bool}}}
        """),
    "s.yaml": standard("""\
        - {id: mid, cite: "1", severity: major, title: {en: mid}, when: "a and x > 4 and x < 6"}
        - {id: c2, cite: "2", severity: general, title: {en: c2},
           when: "x > 1 and x > 2 and x > 3 and x > 4 and x > 5 and x > 6 and x > 7 and x > 8 and a"}
        - {id: arith, cite: "3", severity: general, title: {en: arith}, when: "x * 2 > y and a"}
        - {id: en, cite: "4", severity: major, title: {en: en}, when: "k == 'r' or a"}
        - {id: derived, cite: "5", severity: general, title: {en: derived}, when: "band == 'mid' and a"}
        - {id: list, cite: "6", severity: general, title: {en: list},
           when: "sum(i in items: i.w) > 10 and sum(i in items: i.w) < 12 and a"}
        - {id: never, cite: "7", severity: general, title: {en: never}, when: "x > 3 and x < 3 and a"}
        """, title="s"),
    "t.yaml": table("t", "band", """\
        - {when: "n < 10", then: low}
        - {when: "n < 50", then: mid}
        - {when: "n >= 50", then: high}
        """, hit="first"),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "settles_fast", RULES, dedent=True)


@pytest.mark.parametrize("facts", [
    {},
    {"a": True},
    {"a": True, "y": 3},
    {"a": True, "items": [{"w": 5, "ok": True}, {"ok": False}]},
    {"a": True, "x": 5, "items": [{"w": 5}, {}]},
])
def test_made_rule_set_fast_equals_reference(made, facts):
    (q_fast, j_fast), (q_ref, j_ref) = _both(made, facts, DAY)
    assert q_fast == q_ref
    assert j_fast == j_ref


def test_made_rule_set_settles_what_only_a_middle_value_settles(made):
    # x between 4 and 6 makes `mid` found, any other value not found: both
    # found and not found are reached (settled), whichever comes first
    (q_fast, _), (q_ref, _) = _both(made, {"a": True}, DAY)
    got = {q["fact"]: q["settles"] for q in q_fast}
    assert "s:mid" in got["x"] and "s:never" in got["x"] and "s:c2" in got["x"]
    assert got["n"] == ["s:derived"]
    assert q_fast == q_ref


# -- level_range: least kept per plan by what the tables after the standards read ----


def _least_reference(rules, d):
    return Q.level_range(rules.plan, d.env(), d.given, d.level, compiled=False)["least"]


def test_golden_level_range_equals_reference(bundled):
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    differ = 0
    for c in cases:
        d = bundled.evaluate(c["facts"], c["as_of"])
        assert d.level_range["least"] == _least_reference(bundled, d), c["facts"]
        differ += d.level_range["least"] != d.level
    assert differ > 20  # least is not merely the level


LEVEL_RULES = {
    "v.yaml": vocabulary("""\
        a: {type: bool}
        b: {type: bool}
        m: {type: number}
        level: {type: enum, values: [red, blue]}
        note: {type: enum, values: [loud, quiet]}
        """),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "a"}
        - {id: c2, cite: "2", severity: general, title: {en: c2}, when: "b"}
        """, title="s"),
    "t.yaml": table("t", "level", """\
        - {when: "findings.major_undetermined > 0 or findings.major > 0", then: red}
        - {when: "m > 1.5", then: red}
        - {when: "true", then: blue}
        """, hit="first"),
    "n.yaml": table("n", "note", """\
        - {when: "findings.undetermined > 0", then: loud}
        - {when: "true", then: quiet}
        """, hit="first"),
    "ruleset.yaml": ruleset("lv", ["v.yaml", "s.yaml", "t.yaml", "n.yaml"], {"level": "level"}),
}


@pytest.fixture(scope="module")
def leveled(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "settles_level", LEVEL_RULES, dedent=True)


@pytest.mark.parametrize("facts, least", [
    ({}, None),
    ({"m": 2.0}, "red"),
    ({"m": 1.5}, "blue"),
    ({"m": 1.5, "level": "red"}, "red"),  # a given level wins, and is not another's memo
    ({"m": 1.5, "level": "blue"}, "blue"),
    ({"m": 1.0, "b": False}, "blue"),
    ({"m": 1.5000000000000002}, "red"),
])
def test_made_level_range_least(leveled, facts, least):
    d = leveled.evaluate(facts, DAY)
    assert d.level_range["least"] == least == _least_reference(leveled, d)
    assert d.level_range["most"] == d.level


# -- the next_questions array written key by key (backends/pyjson.questions) ----

_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=150)
@given(st.lists(st.fixed_dictionaries({"fact": _texts, "settles": st.lists(_texts, max_size=4).map(tuple),
                                       "major": st.integers(0, 10**20)}), max_size=5))
def test_questions_json_equals_json_dumps(nq):
    from safetyrules.backends import pyjson
    from safetyrules.frozen import FrozenDict

    nq = tuple(FrozenDict(q) for q in nq)
    want = json.dumps([{"fact": q["fact"], "settles": list(q["settles"]), "major": q["major"]} for q in nq],
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert pyjson.questions(nq) == want


def test_golden_to_json_is_the_canonical_dict(bundled):
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    asked = 0
    for c in cases[::3]:
        d = bundled.evaluate(c["facts"], c["as_of"])
        assert d.to_json() == json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        asked += bool(d.next_questions)
    assert asked > 50


# -- the outputs object written inline (backends/pyjson._build_outputs) ---------


def _outputs_reference(w, values):
    from safetyrules.backends import pyjson

    if not w._outputs:
        return "{}"
    return "".join(key + ("null" if i is None else pyjson._output_json(values[i])) for key, i in w._outputs) + "}"


_odd_values = st.one_of(
    st.sampled_from([0, 1, -1, 0.0, -0.0, 1.0, float("nan"), float("inf"), True, False, "", "1", "é\n\u2028"]),
    st.none(), st.booleans(), st.integers(-10**20, 10**20), _texts,
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.lists(st.one_of(_texts, st.integers(), st.floats(), st.booleans(), st.none()), max_size=3),
    st.lists(_texts, max_size=3),
)


@settings(max_examples=60)
@given(data=st.data())
def test_outputs_writer_equals_reference(bundled, data):
    from safetyrules.backends import pyjson
    from safetyrules.backends.layout import FrozenList

    layout = bundled.program(DAY).layout
    w = pyjson.writers(layout)
    values = [None] * len(layout.keys)
    for _, i in w._outputs:
        if i is not None:
            v = data.draw(_odd_values)
            values[i] = FrozenList(v) if isinstance(v, list) and data.draw(st.booleans()) else v
    values = tuple(values)
    assert w.outputs(values) == _outputs_reference(w, values)


def test_outputs_writer_on_golden(bundled):
    from safetyrules.backends import pyjson

    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    for c in cases[::2]:
        prog = bundled.program(datetime.date.fromisoformat(c["as_of"]))
        res = prog.run(c["facts"], datetime.date.fromisoformat(c["as_of"]))
        if res is None:
            continue
        w = pyjson.writers(prog.layout)
        assert w.outputs(res[1]) == _outputs_reference(w, res[1])


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(["id", "name", "grid", "status", "sector", "other"]),
                       st.one_of(_texts, st.integers(), st.floats(allow_nan=False), st.booleans()), max_size=5))
def test_entity_json_equals_json_dumps(block):
    from safetyrules.backends import pyjson
    from safetyrules.frozen import FrozenDict

    want = json.dumps(dict(block), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert pyjson.entity(block) == want
    assert pyjson.entity(FrozenDict(block)) == want
