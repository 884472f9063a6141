"""The Python API on hostile values: ``RuleSet.evaluate``, ``evaluate_many``
and ``dsl.evaluate`` answer a decision (whose JSON is valid JSON and valid
UTF-8) or raise a ``SafetyRulesError`` — never ``RecursionError``,
``ValueError``, ``TypeError`` or ``UnicodeEncodeError``."""

import datetime
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import safetyrules
from safetyrules import dsl
from safetyrules.limits import MAX_FACT_DEPTH
from robust_fixtures import GOOD

AS_OF = "2024-03-01"
FACTS = ["entity.id", "entity.name", "entity.sector", "entity.employees", "entity.revenue", "site.opened",
         "site.distance", "gas.alarm", "contractors.present", "contractors.coordinated", "cranes", "nope"]


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load(GOOD)


def nest(value, depth, key="a"):
    for _ in range(depth):
        value = {key: value}
    return value


def nest_list(value, depth):
    for _ in range(depth):
        value = [value]
    return value


NASTY = [
    10**5000, -(10**400), 10**300, 2**1100, float("nan"), float("inf"), -0.0, 1e308,
    "\ud800", "a\udfffb", "\x00\x1b[2J", "\u202egnp.exe", "x" * 100_000, "",
    b"bytes", bytearray(b"x"), {1, 2}, frozenset(), object(), complex(1, 2), datetime.datetime(2024, 1, 1),
    datetime.date(2024, 1, 1), "2024-02-30", None, True, 3.5, [], {}, [None], [{"age": 10**5000}],
    [{"age": "\ud800"}], [{"kind": "gantry", "age": nest({}, 3000)}], nest({"b": 1}, 3000), nest_list(1, 3000),
    nest({}, MAX_FACT_DEPTH - 1), nest({"x": 1}, MAX_FACT_DEPTH + 1),
]
REACHED = {"decision": 0, "error": 0}


def _check(rules, facts):
    try:
        d = rules.evaluate(facts, as_of=AS_OF)
    except safetyrules.SafetyRulesError as err:
        assert err.message
        str(err).encode("utf-8", "backslashreplace")
        REACHED["error"] += 1
        return err
    text = d.to_json()
    text.encode("utf-8")  # strict: no lone surrogate gets out
    json.loads(text)
    d.explain().encode("utf-8")
    REACHED["decision"] += 1
    return d


@pytest.mark.parametrize("value", NASTY, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("fact", FACTS)
def test_each_nasty_value_for_each_fact(rules, fact, value):
    _check(rules, {fact: value})
    _check(rules, {"entity": {"sector": "metallurgy"}, "contractors.present": True, fact: value})


def test_huge_and_surrogate_values_are_refused_with_the_fact_named(rules):
    for fact, value in [("entity.revenue", 10**5000), ("entity.name", "\ud800"), ("cranes", [{"age": 10**5000}])]:
        with pytest.raises(safetyrules.FactsError) as info:
            rules.evaluate({fact: value}, as_of=AS_OF)
        assert info.value.fact and info.value.fact.startswith(fact)


def test_deep_facts_are_refused_with_a_safety_rules_error(rules):
    for facts in (nest({"b": 1}, 3000), {"cranes": [nest({}, 3000)]}, {"entity.name": nest_list(1, 3000)}):
        with pytest.raises(safetyrules.SafetyRulesError):
            rules.evaluate(facts, as_of=AS_OF)
        with pytest.raises(safetyrules.SafetyRulesError):
            dsl.evaluate("a.b == 1", facts)


@pytest.mark.parametrize("jobs", [1, 2])
def test_evaluate_many_yields_errors_as_values(rules, jobs):
    good = {"entity.sector": "metallurgy", "contractors.present": True, "contractors.coordinated": False}
    records = [good, None, nest({"b": 1}, 3000), {"entity.revenue": 10**5000}, 42, "text", good, {"entity.name": "\ud800"}, good]
    out = list(rules.evaluate_many(records, as_of=AS_OF, jobs=jobs, chunksize=2))
    assert len(out) == len(records)
    kinds = ["d" if isinstance(r, safetyrules.engine.decision.Decision) else "e" for r in out]
    assert kinds == ["d", "e", "e", "e", "e", "e", "d", "e", "d"], out
    assert all(isinstance(r, safetyrules.SafetyRulesError) for r, k in zip(out, kinds) if k == "e")
    assert out[0].to_json() == out[6].to_json() == rules.evaluate(good, as_of=AS_OF).to_json()


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["metallurgy", "gantry", "2024-01-01", "\ud800", "\x1b"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["age", "kind", "a", "b"]), inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FACTS + ["entity", "site", "cranes.age"]), _VALUES, max_size=6))
def test_any_python_facts(rules, facts):
    _check(rules, facts)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "a.b"]), _VALUES, max_size=3))
def test_dsl_evaluate_any_facts(facts):
    for expr in ("a and b", "a.b > 3", "any(x in a: x.age > 1)", "len(b) == 2", "a == b"):
        try:
            dsl.evaluate(expr, facts)
        except safetyrules.SafetyRulesError:
            pass


def test_the_properties_reached_both_outcomes():
    # runs after the cases above (file order): decisions and errors both seen
    print(f"API properties reached: {REACHED}")
    assert REACHED["decision"] > 100 and REACHED["error"] > 100, REACHED
