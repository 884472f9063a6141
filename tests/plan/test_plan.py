"""The plan a rule set loads into: deeply immutable, hashable, byte-stable
JSON and pickle round trips, and specialised per day (a standard not in
force neither runs nor warns)."""

from __future__ import annotations

import datetime
import pickle

import attrs
import pytest

import safetyrules
from safetyrules.dsl import ast as A
from safetyrules.plan.model import Plan, PlanClause, PlanExpr, PlanRow, PlanStandard, PlanTable, Position

import rule_files
from rule_files import ruleset, standard, table, vocabulary


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def _records(plan: Plan):
    """One of each kind of record the plan holds."""
    s = next(s for s in plan.standards if s.applies_when is not None)
    c = s.clauses[0]
    t = plan.tables[0]
    return [plan, s, c, t, t.rows[0], c.when, c.when.position, c.when.node, c.condition]


def test_every_record_of_the_plan_is_frozen(bundled):
    plan = bundled.plan
    kinds = {type(r) for r in _records(plan)}
    assert {Plan, PlanStandard, PlanClause, PlanTable, PlanRow, PlanExpr, Position} <= kinds
    for rec in _records(plan):
        name = attrs.fields(type(rec))[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(rec, name, getattr(rec, name))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(rec, "extra", 1)  # no new attributes either


def test_the_plans_containers_are_immutable(bundled):
    plan = bundled.plan
    assert type(plan.standards) is tuple and type(plan.tables) is tuple
    assert all(type(s.clauses) is tuple for s in plan.standards)
    name = next(iter(plan.facts))
    with pytest.raises(TypeError):
        plan.facts[name] = None
    with pytest.raises(TypeError):
        plan.decision["level"] = "x"
    with pytest.raises(TypeError):
        plan.standards[0].title["en"] = "x"
    # every AST node of every condition is frozen too
    for _label, node in plan.iter_conditions():
        for n in A.walk(node):
            assert attrs.has(type(n)) and type(n).__setattr__ is not object.__setattr__


def test_the_plan_is_hashable_and_two_loads_are_equal(bundled):
    again = safetyrules.load()
    assert again.plan == bundled.plan
    assert hash(again.plan) == hash(bundled.plan)
    assert {bundled.plan: 1}[again.plan] == 1
    assert hash(bundled.plan.specialise(datetime.date(2024, 3, 1))) != hash(bundled.plan)


def test_plan_json_round_trips_byte_stable(bundled):
    text = bundled.plan.to_json()
    back = Plan.from_json(text)
    assert back == bundled.plan
    assert back.to_json() == text
    assert bundled.plan.to_json() == text  # the same plan, the same bytes
    day = bundled.plan.specialise(datetime.date(2024, 3, 1))
    assert Plan.from_json(day.to_json()).to_json() == day.to_json()


def test_plan_json_names_no_class_outside_the_plan(bundled):
    text = bundled.plan.to_json().replace('"@":"PlanClause"', '"@":"FrozenInstanceError"', 1)
    with pytest.raises(safetyrules.SafetyRulesError, match="unknown record"):
        Plan.from_json(text)


def test_plan_pickle_round_trips(bundled):
    back = pickle.loads(pickle.dumps(bundled.plan))
    assert back == bundled.plan and hash(back) == hash(bundled.plan)
    assert back.to_json() == bundled.plan.to_json()


def test_a_plan_read_back_from_json_decides_the_same(bundled):
    # the records from JSON are checked AST nodes again: the engine can run them
    back = Plan.from_json(bundled.plan.to_json())
    program = safetyrules.dsl.compile_many([c.condition for c in back.clauses])
    facts = {"as_of": datetime.date(2024, 3, 1), "entity.sector": "metallurgy", "entity.employees": 150}
    original = safetyrules.dsl.compile_many([c.condition for c in bundled.plan.clauses])
    assert program(facts, []) == original(facts, [])


def test_specialise_drops_standards_not_in_force(bundled):
    plan = bundled.plan
    dated = [s for s in plan.standards if s.effective_from is not None]
    assert dated
    s = max(dated, key=lambda s: s.effective_from)
    before = s.effective_from - datetime.timedelta(days=1)
    early = plan.specialise(before)
    assert early.as_of == before
    assert s.id not in {x.id for x in early.standards}
    assert all(x.in_force(before) for x in early.standards)
    assert s.id not in {c.standard for c in early.clauses}
    late = plan.specialise(s.effective_from)  # from is inclusive
    if s.effective_until is None or s.effective_from < s.effective_until:
        assert s.id in {x.id for x in late.standards} or any(s.id in x.supersedes for x in late.standards)


# -- a standard not in force neither runs nor warns -----------------------------

_FILES = {
    "v.yaml": vocabulary("""\
        site.score: {type: number}
        site.zero: {type: number}
        site.flag: {type: bool}
        risk.level: {type: enum, values: [red, orange, yellow, blue]}
        """),
    "now.yaml": standard("""\
        - id: c1
          cite: "1"
          severity: general
          title: {en: flag}
          when: "site.flag"
        """, id="now", title="In force", effective="{from: 2020-01-01}"),
    "future.yaml": standard("""\
        - id: div
          cite: "1"
          severity: major
          title: {en: divides by zero}
          when: "site.score / site.zero > 1"
        - id: unknown
          cite: "2"
          severity: major
          title: {en: reads a missing fact}
          when: "not site.flag and site.score > 100"
        """, id="future", title="Not yet in force", effective="{from: 2030-01-01}"),
    "past.yaml": standard("""\
        - id: div
          cite: "1"
          severity: major
          title: {en: divides by zero}
          when: "site.score / site.zero > 1"
        """, id="past", title="No longer in force", effective="{from: 2000-01-01, until: 2010-01-01}"),
    "grade.yaml": table("grade", "risk.level", """\
        - {when: "findings.major > 0", then: red}
        - {when: "findings.major_undetermined > 0", then: orange}
        - {when: "findings.general > 0", then: yellow}
        - {when: "true", then: blue}
        """),
    "ruleset.yaml": ruleset("dated", ["v.yaml", "now.yaml", "future.yaml", "past.yaml", "grade.yaml"], {"level": "risk.level"}),
}


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "dated", _FILES, dedent=True)


def _named(decision):
    d = decision.to_dict()
    return {(x.get("standard"), x.get("clause")) for x in d["findings"] + d["undetermined"]}, d


@pytest.mark.parametrize("day", ["2024-03-01", "2005-06-01"])
def test_a_standard_out_of_force_neither_runs_nor_warns(dated, day):
    facts = {"site.score": 5, "site.zero": 0, "site.flag": True}
    named, d = _named(dated.evaluate(facts, as_of=day))
    in_force = {"2024-03-01": {"now"}, "2005-06-01": {"past"}}[day]
    assert {s for s, _c in named} <= in_force
    out = {"future", "past"} - in_force
    # The one warning that may name a standard out of force is the static
    # `family-gap` notice (a family with no edition in force that day,
    # Plan.family_gaps): it says nothing was checked; it is not from a run.
    ran = [w for w in d["warnings"] if w.get("code") != "family-gap"]
    assert not [w for w in ran if w.get("standard") in out], d["warnings"]
    for w in d["warnings"]:
        if w.get("code") == "family-gap":
            assert w["standard"] in out and "no clause of this family was checked" in w["message"]
    if "past" not in in_force:
        # nothing in force divides: no division warning at all
        assert not [w for w in d["warnings"] if "zero" in w.get("message", "")], d["warnings"]
    # and the missing facts of a standard not in force are not asked for
    named, d = _named(dated.evaluate({"site.zero": 0}, as_of=day))
    assert {s for s, _c in named} <= in_force
    assert "future" not in {s for s, _c in named}


def test_the_same_clause_warns_on_a_day_its_standard_is_in_force(dated):
    # the control: on 2031-01-01 `future` runs, and its division warns
    d = dated.evaluate({"site.score": 5, "site.zero": 0, "site.flag": True}, as_of="2031-01-01").to_dict()
    assert any(w.get("standard") == "future" or "zero" in w.get("message", "") for w in d["warnings"]), d["warnings"]
    d = dated.evaluate({"site.zero": 0}, as_of="2031-01-01").to_dict()
    assert "future" in {x["standard"] for x in d["undetermined"]}


def test_specialise_of_the_small_set(dated):
    ids = lambda p: [s.id for s in p.standards]  # noqa: E731
    assert ids(dated.plan) == ["future", "now", "past"]
    assert ids(dated.plan.specialise(datetime.date(2024, 3, 1))) == ["now"]
    assert ids(dated.plan.specialise(datetime.date(2030, 1, 1))) == ["future", "now"]
    assert ids(dated.plan.specialise(datetime.date(2010, 1, 1))) == []  # until is exclusive
    assert ids(dated.plan.specialise(datetime.date(2009, 12, 31))) == ["past"]
