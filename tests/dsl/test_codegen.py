"""Safe, loud code generation: closed sets checked when a node is built and
again by the compiler; a generation or compile failure raises; the bundled
rule set's conditions compile to generated code."""

from __future__ import annotations

import datetime

import attrs
import pytest

import safetyrules
from safetyrules import ExpressionError, SafetyRulesError, dsl
from safetyrules.dsl import FactSpec as F
from safetyrules.dsl import ast as A

a, b, one = A.Path("a"), A.Path("b"), A.Number(1)


# -- a node outside the language cannot be built ------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: A.Compare("===", a, one),
        lambda: A.Compare("is", a, one),
        lambda: A.Compare("==\n__import__('os')", a, one),
        lambda: A.Arith("**", a, one),
        lambda: A.Arith("//", a, one),
        lambda: A.Call("__import__", (A.String("os"),)),
        lambda: A.Call("eval", (A.String("1"),)),
        lambda: A.Call("known", ()),
        lambda: A.Quantifier("map", "x", a, b),
        lambda: A.Quantifier("any", "x) or (1", a, b),
        lambda: A.Path("a; import os"),
        lambda: A.Path("a.'b'"),
        lambda: A.Path(""),
        lambda: A.Number(True),
        lambda: A.Number("1"),
        lambda: A.Number(1, unit=3),
        lambda: A.String(b"bytes"),
        lambda: A.Boolean(1),
        lambda: A.Date(datetime.datetime(2024, 1, 1)),
        lambda: A.Date("2024-01-01"),
        lambda: A.And(()),
        lambda: A.And([a, b]),
        lambda: A.Or((a, "b")),
        lambda: A.Not("a"),
        lambda: A.ListLit((1, 2)),
    ],
)
def test_a_node_outside_the_language_cannot_be_built(build):
    with pytest.raises((TypeError, ValueError)):
        build()


def test_evolve_cannot_change_an_operator_to_a_forbidden_one():
    node = A.Compare("==", a, one)
    with pytest.raises(ValueError):
        attrs.evolve(node, op="**")
    assert attrs.evolve(node, op="<").op == "<"


def test_the_closed_sets_are_frozensets_and_cover_the_parser():
    for s in (A.COMPARE_OPS, A.ARITH_OPS, A.FUNCTIONS, A.QUANTIFIERS):
        assert isinstance(s, frozenset)
    seen = {n.op for n in A.walk(dsl.parse("a == 1 or a != 1 or a < 1 or a <= 1 or a > 1 or a >= 1 or a in [1] or a not in [1]"))
            if isinstance(n, A.Compare)}
    assert seen == A.COMPARE_OPS
    seen = {n.op for n in A.walk(dsl.parse("a + 1 - 2 * 3 / 4 > 0")) if isinstance(n, A.Arith)}
    assert seen == A.ARITH_OPS


# -- a bad node that got past construction makes compile raise -----------------

_VOCAB = {"a": F("integer"), "b": F("integer"), "ok": F("bool"), "s": F("string"), "l": F("list", item={"n": F("integer")})}


def _tamper(node: A.Node, cls: type, field: str, value) -> A.Node:
    """Set ``field`` of the first ``cls`` node in ``node`` behind attrs' back."""
    for n in A.walk(node):
        if type(n) is cls:
            object.__setattr__(n, field, value)
            return node
    raise AssertionError(f"no {cls.__name__} in the tree")


_INJECT = "== 1 or __import__('os').system('echo pwned') or 1 =="


class _Sneaky(float):
    def __repr__(self):
        return "__import__('os').getcwd()"


@pytest.mark.parametrize("checked", [False, True], ids=["unchecked", "checked"])
@pytest.mark.parametrize(
    "text, cls, field, value",
    [
        ("a == 1", A.Compare, "op", _INJECT),
        ("a == 1", A.Compare, "op", "is"),
        ("a + 1 > 2", A.Arith, "op", "**"),
        ("a + 1 > 2", A.Arith, "op", "+ __import__('os').getpid() +"),
        ("abs(a) > 1", A.Call, "name", "__import__"),
        ("any(x in l: x.n > 1)", A.Quantifier, "kind", "map"),
        ("a == 1", A.Path, "name", "a') or __import__('os') or ('"),
        ("s == 'x'", A.String, "value", _Sneaky(1.0)),
        ("a == 1", A.Number, "value", _Sneaky(1.0)),
        ("a == 1", A.Number, "value", object()),
        ("ok == true", A.Boolean, "value", "True or __import__('os')"),
        ("a == 1 and ok", A.And, "operands", ("not a node",)),
    ],
)
def test_a_tampered_node_makes_compile_raise_not_fall_back(text, cls, field, value, checked, monkeypatch):
    node = dsl.parse(text)
    if checked:
        node = dsl.check(node, _VOCAB)
    program = dsl.compile_many([node])  # the untampered tree compiles
    assert program.function.__code__.co_filename.startswith("<safetyrules-compiled-")
    _tamper(node, cls, field, value)
    # Were there a fallback, it would run the tree-walking evaluator: make
    # that fail loudly too, so only a raise from the compiler passes.
    from safetyrules.dsl import evaluator

    def no_evaluator(*args, **kwargs):
        raise AssertionError("the compiler fell back to the evaluator")

    monkeypatch.setattr(evaluator, "evaluate", no_evaluator)
    with pytest.raises(ExpressionError) as info:
        dsl.compile_many([node])
    assert isinstance(info.value, SafetyRulesError)
    with pytest.raises(ExpressionError):
        dsl.compile_expr(node)


def test_a_tree_python_cannot_compile_raises_instead_of_running_slowly():
    # Hand-built (the parser refuses it): 25 nested quantifiers are 25 nested
    # loops, past Python's 20 nested blocks.
    node = A.Compare("==", A.Path("y"), one)
    for i in range(25):
        node = A.Quantifier("any", f"v{i}", A.Path(f"l{i}"), node)
    with pytest.raises(ExpressionError, match="does not compile"):
        dsl.compile_expr(node)
    # the same limit is a parse error with a position for written text
    text = "y == 1"
    for i in range(A.MAX_QUANTIFIER_DEPTH + 1):
        text = f"any(v{i} in l{i}: {text})"
    with pytest.raises(safetyrules.ExpressionSyntaxError, match="nested deeper than 16"):
        dsl.parse(text)


def test_deepest_accepted_expressions_compile():
    # At both limits at once (16 quantifiers with an `and` in each, the rest
    # alternating and/or): accepted by the parser means compiled.
    text = "y == 1"
    for i in range(A.MAX_QUANTIFIER_DEPTH):
        text = f"any(v{i} in l{i}: a{i} and ({text}))"
    depth = 2 + 2 * A.MAX_QUANTIFIER_DEPTH  # the comparison, then any + and per level
    for i in range(A.MAX_DEPTH - depth):
        text = f"b{i} {'and' if i % 2 else 'or'} ({text})"
    node = dsl.parse(text)
    with pytest.raises(safetyrules.ExpressionSyntaxError):
        dsl.parse(f"c or ({text})")  # one level more is refused
    fn = dsl.compile_expr(node)
    assert fn.source.count("for it") == A.MAX_QUANTIFIER_DEPTH
    facts = {f"b{i}": False for i in range(A.MAX_DEPTH)}
    assert fn(facts) is dsl.evaluate_ast(node, facts)


# -- the bundled rule set runs on generated code ---------------------------------


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def test_every_bundled_condition_compiles_to_generated_code(bundled):
    conditions = list(bundled.plan.iter_conditions())
    assert len(conditions) > 100
    program = dsl.compile_many([node for _label, node in conditions])
    code = program.function.__code__
    assert code.co_filename.startswith("<safetyrules-compiled-") and code.co_name == "_program"
    assert "def _program(" in program.source
    # and it agrees with the tree-walking evaluator, on every condition
    facts = {name: None for name in bundled.plan.facts}
    facts.update({"as_of": datetime.date(2024, 3, 1), "entity.employees": 150, "entity.sector": "metallurgy"})
    got = program(facts, [])
    want = tuple(dsl.evaluate_ast(node, facts, []) for _label, node in conditions)
    assert got == want
