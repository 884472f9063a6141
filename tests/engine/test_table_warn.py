"""A ``collect`` table's ``warn:`` (issue 15): each collected value is also a
decision warning, the same on the generated and the reference path, in
``to_dict()``, in ``to_json()`` bytes and through the plan's JSON codec;
GB 18218: a given critical quantity or β contradicting Tables 1-4."""

import copy
import datetime
import json
import textwrap

import pytest

import safetyrules
from safetyrules.engine.decision import Decision
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import Plan

DAY = datetime.date(2025, 6, 1)


def _both(rules, facts, day=DAY):
    """(generated, reference) decisions of ``facts``; the program must not give up."""
    prog = rules.program(day)
    got = prog.run(copy.deepcopy(facts), day)
    assert got is not None, "the generated program gave up"
    ref = rules.reference(copy.deepcopy(facts), day, prog.layout)
    return Decision(prog.layout, got, day), Decision(prog.layout, ref, day)


def _same(a, b):
    assert a.to_dict() == b.to_dict()
    assert a.to_json() == b.to_json()
    assert a.explain() == b.explain()
    for d in (a, b):
        assert d.to_json() == json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def _gb(w):
    return [x for x in w if x["code"] == "W-GB18218-GIVEN"]


def test_chlorine_given_q_10_warns_on_both_paths(bundled):
    facts = {"entity.id": "e1", "hazchem.substances": [{"name": "氯", "quantity": 6, "critical_quantity": 10}]}
    a, b = _both(bundled, facts)
    _same(a, b)
    ws = _gb(a.to_dict()["warnings"])
    assert ws == [{"code": "W-GB18218-GIVEN", "severity": "warning",
                   "message": "a given critical quantity or β differs from GB 18218-2018: the table gives Q 5 t (Tables 1-2); the given value is used",
                   "standard": "cn.gb18218.given-values.2018", "clause": "q-5", "table": "cn.gb18218.given-values.2018"}]
    assert '"code":"W-GB18218-GIVEN"' in a.to_json()
    # the given value still wins: S = 6 / 10 < 1
    assert a.to_dict()["outputs"]["entity.major_hazard_source"] is False
    # the same through evaluate()
    assert _gb(bundled.evaluate(facts, DAY).to_dict()["warnings"]) == ws


def test_q_and_beta_both_contradicted_give_two_warnings_in_order(bundled):
    facts = {"entity.id": "e1", "hazchem.substances": [
        {"name": "7782-50-5", "quantity": 6, "critical_quantity": 10, "beta": 2},
        {"name": "液氨", "quantity": 1, "critical_quantity": 20, "beta": 2}]}
    a, b = _both(bundled, facts)
    _same(a, b)
    assert [w["clause"] for w in _gb(a.to_dict()["warnings"])] == ["q-5", "q-10", "beta-4"]


@pytest.mark.parametrize("line", [
    {"name": "氯", "quantity": 6, "critical_quantity": 5},        # agrees with Table 1
    {"name": "氯", "quantity": 6},                                # no Q given
    {"name": "某混合溶剂", "quantity": 6, "critical_quantity": 7},  # in no table
    {"name": "液氨", "quantity": 6, "critical_quantity": 10, "beta": 2},
])
def test_no_warning(bundled, line):
    a, b = _both(bundled, {"entity.id": "e1", "hazchem.substances": [line]})
    _same(a, b)
    assert _gb(a.to_dict()["warnings"]) == []
    assert a.to_dict()["outputs"]["hazchem.table_conflicts"] == []


def test_the_warning_does_not_change_the_decision(bundled):
    base = {"entity.id": "e1", "entity.major_hazard_source": True, "hazchem.alpha": 1.0}
    ok = bundled.evaluate({**base, "hazchem.substances": [{"name": "氯", "quantity": 125, "critical_quantity": 5, "beta": 4}]}, DAY).to_dict()
    bad = bundled.evaluate({**base, "hazchem.substances": [{"name": "氯", "quantity": 250, "critical_quantity": 10, "beta": 4}]}, DAY).to_dict()
    assert len(_gb(bad["warnings"])) == 1 and not _gb(ok["warnings"])
    for k in ("level", "findings", "undetermined", "tier", "inspection"):
        assert ok[k] == bad[k]
    assert ok["outputs"]["hazchem.mhs_level"] == bad["outputs"]["hazchem.mhs_level"] == "level1"


_SET = {
    "vocabulary.yaml": """
        kind: vocabulary
        id: v
        facts:
          x: {type: integer}
          notes: {type: list, values: [big, small]}
    """,
    "t.yaml": """
        kind: table
        id: t.notes
        output: notes
        hit: collect
        warn: {code: W-TEST-NOTE, message: "x is {value}"}
        rows:
          - {id: small, when: "x < 15", then: small}
          - {id: big, when: "x > 10", then: big}
          - {id: big2, when: "x > 20", then: big}
    """,
    "s.yaml": """
        kind: standard
        id: s
        clauses:
          - {id: c1, severity: general, cite: s c1, when: "x > 100"}
    """,
    "ruleset.yaml": """
        kind: ruleset
        id: r
        include: ["*.yaml"]
    """,
}


def _write(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return str(tmp_path / "ruleset.yaml")


def test_own_rule_set_warn_order_clause_and_plan_round_trip(tmp_path):
    rules = safetyrules.load(_write(tmp_path, _SET))
    for x, want in ((4, [("small", "small")]), (11, [("big", "big"), ("small", "small")]), (22, [("big", "big")]), (None, [])):
        facts = {} if x is None else {"x": x}
        a, b = _both(rules, facts)
        _same(a, b)
        got = [(w["clause"], w["message"]) for w in a.to_dict()["warnings"]]
        assert got == [(c, f"x is {v}") for c, v in want]
    plan = rules.plan
    again = Plan.from_json(plan.to_json())
    assert again == plan
    t = next(t for t in again.tables if t.id == "t.notes")
    assert (t.warn_code, t.warn_message) == ("W-TEST-NOTE", "x is {value}")


def test_warn_on_another_hit_policy_is_an_error(tmp_path):
    files = dict(_SET)
    files["t.yaml"] = _SET["t.yaml"].replace("hit: collect", "hit: first")
    files["vocabulary.yaml"] = _SET["vocabulary.yaml"].replace("notes: {type: list, values: [big, small]}", "notes: {type: enum, values: [big, small]}")
    with pytest.raises(SafetyRulesError) as err:
        safetyrules.load(_write(tmp_path, files))
    assert "warn: needs hit: collect" in str(err.value)


def test_warn_code_is_checked_by_the_schema(tmp_path):
    files = dict(_SET)
    files["t.yaml"] = _SET["t.yaml"].replace("W-TEST-NOTE", "note")
    with pytest.raises(SafetyRulesError):
        safetyrules.load(_write(tmp_path, files))
