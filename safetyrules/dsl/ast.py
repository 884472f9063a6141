"""The typed AST of the expression language: immutable attrs records.

Every node carries a :class:`Span` (1-based line/column of its first
character, and of the character after its last) and, once checked, a type in
``ty``.  Neither takes part in equality, so ``parse(unparse(ast)) == ast``
compares meaning, not layout.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterator, Optional, Tuple, Union

import attrs

__all__ = [
    "Span",
    "Node",
    "Number",
    "String",
    "Boolean",
    "Date",
    "ListLit",
    "Path",
    "Not",
    "And",
    "Or",
    "Compare",
    "Arith",
    "Neg",
    "Call",
    "Quantifier",
    "COMPARE_OPS",
    "ARITH_OPS",
    "FUNCTIONS",
    "QUANTIFIERS",
    "RESERVED",
    "MAX_DEPTH",
    "children",
    "walk",
    "fact_paths",
]

COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
ARITH_OPS = ("+", "-", "*", "/")
FUNCTIONS = ("known", "at_least", "min", "max", "abs", "len", "days")
QUANTIFIERS = ("any", "all", "count", "sum")
RESERVED = frozenset({"and", "or", "not", "in", "true", "false"})
# Deepest nesting of operators accepted.  Deeper input is refused with a
# SafetyRulesError instead of exhausting Python's stack in later passes.
MAX_DEPTH = 64


@attrs.frozen
class Span:
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1


_NOSPAN = Span()


def _span():
    return attrs.field(default=_NOSPAN, eq=False, repr=False, kw_only=True)


def _ty():
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Node:
    """Base of all nodes."""


@attrs.frozen
class Number(Node):
    """A number literal; ``unit`` is the unit name written after it, if any."""

    value: Union[int, float]
    unit: Optional[str] = None
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class String(Node):
    value: str
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Boolean(Node):
    value: bool
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Date(Node):
    value: datetime.date
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class ListLit(Node):
    items: Tuple[Node, ...]
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Path(Node):
    """A dotted fact path, or (inside a quantifier) a bound name and its fields."""

    name: str
    span: Span = _span()
    ty: Any = _ty()
    # First segment and the rest, split once (evaluation reads them often).
    head: str = attrs.field(init=False, eq=False, repr=False)
    rest: Optional[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        parts = self.name.split(".", 1)
        object.__setattr__(self, "head", parts[0])
        object.__setattr__(self, "rest", parts[1] if len(parts) > 1 else None)


@attrs.frozen
class Not(Node):
    operand: Node
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class And(Node):
    operands: Tuple[Node, ...]
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Or(Node):
    operands: Tuple[Node, ...]
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Compare(Node):
    op: str
    left: Node
    right: Node
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Arith(Node):
    op: str
    left: Node
    right: Node
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Neg(Node):
    operand: Node
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Call(Node):
    """A function call: ``known``, ``at_least``, ``min``, ``max``, ``abs``,
    ``len`` or ``days``."""

    name: str
    args: Tuple[Node, ...]
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Quantifier(Node):
    """``any(var in source: body)``; also ``all``, ``count`` and ``sum``."""

    kind: str
    var: str
    source: Node
    body: Node
    span: Span = _span()
    ty: Any = _ty()


def children(node: Node) -> Tuple[Node, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    if isinstance(node, (And, Or)):
        return node.operands
    if isinstance(node, (Compare, Arith)):
        return (node.left, node.right)
    if isinstance(node, (Not, Neg)):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Quantifier):
        return (node.source, node.body)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iterative)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def fact_paths(node: Node) -> Tuple[str, ...]:
    """The fact paths an expression reads, in first-use order.

    Paths under a quantifier's bound name are item fields, not facts, and are
    left out; ``known(p)`` reads ``p``.
    """
    out: dict = {}
    # Iterative (explicit stack, children pushed in reverse to keep source
    # order), so a hand-built tree of any depth cannot exhaust the stack.
    stack = [(node, frozenset())]
    while stack:
        n, bound = stack.pop()
        if isinstance(n, Path):
            if n.head not in bound:
                out.setdefault(n.name, None)
        elif isinstance(n, Quantifier):
            stack.append((n.body, bound | {n.var}))
            stack.append((n.source, bound))
        else:
            stack.extend((c, bound) for c in reversed(children(n)))
    return tuple(out)
