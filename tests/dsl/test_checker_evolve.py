"""The checker's node copy (checker._evolve) is attrs.evolve, faster: same
attributes (spans, types, a path's head/rest), and the replaced ones still
go through their validators."""

from __future__ import annotations

import datetime

import attrs
import pytest

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.dsl import checker
from safetyrules.dsl.types import BOOL, STRING

SPAN = A.Span(1, 2, 3, 4)
NODES = [
    A.Number(3, "m", span=SPAN),
    A.String("s", span=SPAN),
    A.Boolean(True, span=SPAN),
    A.Date(datetime.date(2024, 1, 2), span=SPAN),
    A.ListLit((A.Number(1),), span=SPAN),
    A.Path("a.b", span=SPAN),
    A.Not(A.Path("a"), span=SPAN),
    A.And((A.Path("a"), A.Path("b")), span=SPAN),
    A.Or((A.Path("a"),), span=SPAN),
    A.Compare("==", A.Path("a"), A.Number(1), span=SPAN),
    A.Arith("+", A.Path("a"), A.Number(1), span=SPAN),
    A.Neg(A.Path("a"), span=SPAN),
    A.Call("abs", (A.Path("a"),), span=SPAN),
    A.Quantifier("any", "x", A.Path("xs"), A.Path("x.ok"), span=SPAN),
]


def _all(node):
    return tuple(getattr(node, f.name) for f in attrs.fields(type(node)))


@pytest.mark.parametrize("node", NODES, ids=lambda n: type(n).__name__)
def test_evolve_is_attrs_evolve(node):
    got = checker._evolve(node, {"ty": BOOL})
    want = attrs.evolve(node, ty=BOOL)
    assert type(got) is type(want) and _all(got) == _all(want)
    assert got.ty is BOOL and got.span == SPAN and node.ty is None  # the original is untouched


def test_evolve_replaces_and_validates():
    node = A.Compare("==", A.Path("a"), A.Number(1), span=SPAN)
    got = checker._evolve(node, {"left": A.Path("b"), "ty": STRING})
    assert got == A.Compare("==", A.Path("b"), A.Number(1)) and got.ty is STRING and got.span == SPAN
    with pytest.raises(TypeError):
        checker._evolve(node, {"left": "b"})
    with pytest.raises(ValueError):
        checker._evolve(node, {"op": "=~"})
    path = checker._evolve(A.Path("a.b"), {"ty": BOOL})
    assert (path.head, path.rest) == ("a", "b")


def test_checked_tree_keeps_types_and_drops_units():
    vocab = {"h": dsl.FactSpec("number", unit="m"), "ok": dsl.FactSpec("bool")}
    out = dsl.check(dsl.parse("h > 0.03 km and ok"), vocab)
    cmp_ = out.operands[0]
    assert cmp_.right == A.Number(30.0) and cmp_.right.ty.unit.name == "m"
    # a subtree with no unit literal is kept as checked
    assert out.operands[1].ty.kind == "bool"
