"""Checked expressions: units converted at compile time, compiled code, and
dsl.missing; plus the nesting limits."""

from __future__ import annotations

import pytest

from safetyrules import CheckError, SafetyRulesError, dsl
from safetyrules.dsl import FactSpec as F
from safetyrules.dsl import ast as A

VOCAB = {
    "height": F("number", unit="m"),
    "span": F("number", unit="km"),
    "weight": F("number", unit="t"),
    "employees": F("integer"),
    "level": F("enum", values=("low", "high")),
    "ok": F("bool"),
    "since": F("date"),
    "cranes": F("list", item={"age": F("integer", unit="year"), "h": F("number", unit="m"), "ok": F("bool")}),
}


def checked(text, expect="bool"):
    return dsl.check(dsl.parse(text), VOCAB, expect=expect)


def run(text, facts, expect="bool"):
    node = checked(text, expect)
    w1, w2 = [], []
    a = dsl.evaluate_ast(node, facts, w1)
    b = dsl.compile_expr(node)(facts, w2)
    assert repr(a) == repr(b) and w1 == w2
    return a


def test_unit_literal_is_converted_exactly_to_the_facts_unit():
    node = checked("height > 0.03 km")
    assert node.right == A.Number(30)
    assert type(node.right.value) is int  # exactly 30, not 30.000000000000004
    assert run("height >= 0.03 km", {"height": 30}) is True
    assert run("height > 0.03 km", {"height": 30}) is False


@pytest.mark.parametrize(
    "text,facts,expected",
    [
        ("height > 2", {"height": 3}, True),  # a bare number takes the fact's unit
        ("weight >= 500 kg", {"weight": 0.5}, True),
        ("span > height", {"span": 1, "height": 999}, True),  # km vs m, converted
        ("height + span > 1001 m", {"span": 1, "height": 2}, True),
        ("height * 2 > 1 km", {"height": 600}, True),
        ("height / span > 0.5", {"height": 600, "span": 1}, True),  # m / km is plain
        ("height in [1 km, 2 m]", {"height": 1000}, True),
        ("[height] == [1 km]", {"height": 1000}, True),
        ("-height < -1 km", {"height": 2000}, True),
        ("min(height, span) < 2 m", {"height": 1, "span": 1}, True),
        ("sum(c in cranes: c.h) > 0.001 km", {"cranes": [{"h": 0.5}, {"h": 0.6}]}, True),
        ("any(c in cranes: c.age >= 2 year)", {"cranes": [{"age": 1}, {"age": 2}]}, True),
        ("days(since, 2024-03-01) > 8 week", {"since": __import__("datetime").date(2024, 1, 1)}, True),
        ("level in ['low']", {"level": "high"}, False),
        ("height > 1", {}, None),
    ],
)
def test_checked_evaluation_with_units(text, facts, expected):
    assert run(text, facts) is expected


def test_checked_division_by_zero_warns():
    w = []
    node = checked("height / employees > 1")
    assert dsl.compile_expr(node)({"height": 1, "employees": 0}, w) is None
    assert [x["code"] for x in w] == ["W-DIV-ZERO"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("height > 1 t", "cannot combine a length in m with a mass in t"),
        ("employees > 3 m", "'employees' has no unit"),
        ("level == 'mid'", "'mid' is not a declared value of 'level'"),
    ],
)
def test_unit_and_enum_errors(text, message):
    with pytest.raises(CheckError, match=message):
        checked(text)


def test_expect_none_allows_values():
    assert run("height * 2", {"height": 2}, expect=None) == 4


def test_compile_many_reads_each_fact_once_and_returns_a_tuple():
    program = dsl.compile_many([checked("height > 1"), checked("height < 5 and ok"), checked("not ok")])
    assert program({"height": 3, "ok": True}) == (True, True, False)
    assert program.source.count("_get('height')") == 1


def test_compiled_source_has_no_rule_text_identifiers():
    src = dsl.compile_expr(checked("height > 1 and ok"))
    assert "height" not in "".join(line for line in src.source.splitlines() if "_get(" not in line)


# -- dsl.missing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text,facts,expected",
    [
        ("a and b", {}, ("a", "b")),
        ("a and b", {"a": True}, ("b",)),
        ("a and b", {"a": False}, ()),  # known result: nothing missing
        ("a or b", {"b": True}, ()),
        ("a or (b and c)", {"b": True}, ("a", "c")),
        ("x > 3 and known(y)", {"y": 1}, ("x",)),
        ("at_least(2, a, b, c)", {"a": True}, ("b", "c")),
        ("1 / z > 1", {"z": 0}, ()),  # division by zero: no fact could change it
        ("any(c in cranes: c.age > 10)", {"cranes": [{"age": 3}, {}, {"age": None}]}, ("cranes[1].age", "cranes[2].age")),
        ("any(c in cranes: c.age > 10)", {}, ("cranes",)),
        ("count(c in cranes: c.ok and d)", {"cranes": [{"ok": True}, {"ok": False}]}, ("d",)),
        ("any(s in sites: any(c in s.cranes: c.age > 1))", {"sites": [{"cranes": [{}]}]}, ("sites[0].cranes[0].age",)),
    ],
)
def test_missing_reports_the_facts_that_could_change_an_unknown_result(text, facts, expected):
    node = dsl.parse(text)
    flat = dsl.flatten(facts)
    assert dsl.missing(node, flat) == expected
    if expected:
        assert dsl.evaluate_ast(node, flat) is None


# -- nesting limits: a value or a SafetyRulesError, never RecursionError ----------

N = 5000


@pytest.mark.parametrize(
    "text",
    [
        "(" * N + "a" + ")" * N,
        "not " * N + "a",
        " and ".join(["a"] * N),
        " or ".join(["a"] * N),
        "-" * N + "1",
        "+".join(["1"] * N),
        "[" * N + "]" * N,
        "min(" * N + "1" + ")" * N,
        "any(x in L: " * 3000 + "x" + ")" * 3000,
    ],
    ids=["parens", "not", "and", "or", "neg", "plus", "lists", "calls", "quantifiers"],
)
def test_deep_nesting_never_raises_recursion_error(text):
    try:
        value = dsl.evaluate(text, {"a": True, "L": [True]})
    except SafetyRulesError as exc:
        assert "nested deeper than" in exc.message
    else:
        assert value in (True, 1)


def test_nesting_limit_is_max_depth():
    ok = "not " * (dsl.MAX_DEPTH - 1) + "a"
    assert dsl.evaluate(ok, {"a": True}) is ((dsl.MAX_DEPTH - 1) % 2 == 0)
    with pytest.raises(SafetyRulesError, match=f"nested deeper than {dsl.MAX_DEPTH} levels"):
        dsl.parse("not " * dsl.MAX_DEPTH + "a")


def test_five_thousand_operand_and_checks_and_compiles():
    vocab = {f"f{i}": F("bool") for i in range(N)}
    node = dsl.check(dsl.parse(" and ".join(vocab)), vocab)
    facts = dict.fromkeys(vocab, True)
    assert dsl.compile_expr(node)(facts) is True
    facts["f4999"] = None
    assert dsl.compile_expr(node)(facts) is None
    assert dsl.evaluate_ast(node, facts) is None


def test_hand_built_deep_ast_gives_a_safetyrules_error_not_recursion_error():
    node = A.Path("a")
    for _ in range(20000):
        node = A.Not(node)
    for fn in (lambda: dsl.evaluate_ast(node, {"a": True}), lambda: dsl.compile_expr(node)({"a": True})):
        try:
            assert fn() is True
        except SafetyRulesError:
            pass
    for fn in (lambda: dsl.check(node, {"a": F("bool")}), lambda: dsl.missing(node, {}), lambda: dsl.unparse(node)):
        try:
            fn()
        except SafetyRulesError:
            pass


# -- the all-known fast path of the compiler ----------------------------------

from safetyrules.dsl import FactSpec  # noqa: E402

_FAST_VOCAB = {
    "a": FactSpec("bool"),
    "b": FactSpec("bool"),
    "n": FactSpec("number", unit="m"),
    "k": FactSpec("integer"),
    "e": FactSpec("enum", values=("x", "y", "z")),
}
_FAST_EXPRS = [
    "a and (n > 3 km or not b)",
    "not (a or b) or e in ['x', 'y']",
    "(k * 2 - 1 >= 5 and e != 'z') or known(a)",
    "a and n / k > 1",  # division: no fast path, still correct
]


@pytest.mark.parametrize("text", _FAST_EXPRS)
def test_fast_path_agrees_with_the_evaluator_on_every_combination(text):
    import itertools

    node = dsl.check(dsl.parse(text), _FAST_VOCAB)
    fn = dsl.compile_expr(node)
    values = {"a": [True, False, None], "b": [True, False, None], "n": [0, 2999, 3001.5, None],
              "k": [0, 3, None], "e": ["x", "z", None]}
    names = sorted(values)
    for combo in itertools.product(*(values[n] for n in names)):
        facts = {n: v for n, v in zip(names, combo) if v is not None}
        w1, w2 = [], []
        assert fn(facts, w1) == dsl.evaluate_ast(node, facts, w2), facts
        assert w1 == w2


def test_fast_path_is_taken_for_total_conditions_only():
    fast = dsl.compile_expr(dsl.check(dsl.parse(_FAST_EXPRS[0]), _FAST_VOCAB))
    assert " is not None and " in fast.source
    slow = dsl.compile_expr(dsl.check(dsl.parse("a and n / k > 1"), _FAST_VOCAB))
    assert " is not None and " not in slow.source


def test_shared_operand_is_computed_once():
    shared = dsl.check(dsl.parse("e in ['x', 'y']"), _FAST_VOCAB)
    c1 = dsl.check(dsl.parse("a"), _FAST_VOCAB)
    c2 = dsl.check(dsl.parse("b"), _FAST_VOCAB)
    from safetyrules.dsl import ast as A
    from safetyrules.dsl.types import BOOL

    nodes = [A.And((shared, c1), ty=BOOL), A.And((shared, c2), ty=BOOL)]
    program = dsl.compile_many(nodes)
    assert program.source.count("in c") == 1  # the membership test appears once
    assert program({"e": "x", "a": True, "b": False}) == (True, False)
    assert program({"e": "z", "a": True}) == (False, False)
    assert program({"a": True, "b": True}) == (None, None)
