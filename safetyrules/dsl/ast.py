"""The typed AST of the expression language: immutable attrs records.

Every node carries a :class:`Span` (1-based line/column of its first
character, and of the character after its last) and, once checked, a type in
``ty``.  Neither takes part in equality, so ``parse(unparse(ast)) == ast``
compares meaning, not layout.

The language is closed: operators, function names and quantifier kinds come
from the frozensets below, literals are plain ``int``/``float``/``str``/
``bool``/``datetime.date`` values and names are identifiers.  Each node's
validators check this when it is built (by the parser, the checker, a plan
read from JSON, or by hand), and the compiler checks it again before it
writes anything into generated source, so no other value can reach it.
"""

from __future__ import annotations

import datetime
import operator
import re
from typing import Any, FrozenSet, Iterator, Optional, Tuple, Union

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
    "MAX_QUANTIFIER_DEPTH",
    "PATH_RE",
    "NAME_RE",
    "children",
    "walk",
    "fact_paths",
]

# The closed sets: a node with any other operator, function or kind cannot
# be built, and the compiler refuses one that got past (object.__setattr__).
COMPARE_OPS: FrozenSet[str] = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})
ARITH_OPS: FrozenSet[str] = frozenset({"+", "-", "*", "/"})
FUNCTIONS: FrozenSet[str] = frozenset({"known", "at_least", "min", "max", "abs", "len", "days"})
QUANTIFIERS: FrozenSet[str] = frozenset({"any", "all", "count", "sum"})
RESERVED: FrozenSet[str] = frozenset({"and", "or", "not", "in", "true", "false"})
# Deepest nesting of operators accepted.  Deeper input is refused with a
# SafetyRulesError instead of exhausting Python's stack in later passes.
MAX_DEPTH = 64
# Deepest nesting of any/all/count/sum accepted: each becomes a loop in the
# generated code, and Python allows 20 nested blocks (the function's ``try``
# is one).  With MAX_DEPTH this also keeps generated code under Python's
# 100 indentation levels (docs/expressions.md, "Limits").
MAX_QUANTIFIER_DEPTH = 16

# A fact path (segments as the grammar's PATH) and a bound name.
PATH_RE = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
NAME_RE = re.compile(r"[^\W\d]\w*")


def _one_of(allowed: FrozenSet[str]):
    def check(inst, attribute, value) -> None:
        if type(value) is not str or value not in allowed:
            raise ValueError(f"{type(inst).__name__}.{attribute.name} must be one of {sorted(allowed)}, not {value!r}")

    return check


def _of_type(*types: type):
    # exact types: a subclass (bool for int, datetime for date, a str
    # subclass with its own __repr__) is not a plain literal value
    def check(inst, attribute, value) -> None:
        if type(value) not in types:
            names = "/".join(t.__name__ for t in types)
            raise TypeError(f"{type(inst).__name__}.{attribute.name} must be {names}, not {type(value).__name__}")

    return check


def _matching(pattern: "re.Pattern[str]", what: str):
    def check(inst, attribute, value) -> None:
        if type(value) is not str or not pattern.fullmatch(value):
            raise ValueError(f"{type(inst).__name__}.{attribute.name} must be {what}, not {value!r}")

    return check


def _node(inst, attribute, value) -> None:
    if not isinstance(value, Node):
        raise TypeError(f"{type(inst).__name__}.{attribute.name} must be a Node, not {type(value).__name__}")


def _nodes(minimum: int = 0):
    def check(inst, attribute, value) -> None:
        if type(value) is not tuple or len(value) < minimum or not all(isinstance(v, Node) for v in value):
            raise TypeError(
                f"{type(inst).__name__}.{attribute.name} must be a tuple of at least {minimum} Node(s), not {value!r:.80}"
            )

    return check


def _unit(inst, attribute, value) -> None:
    if value is not None and type(value) is not str:
        raise TypeError(f"Number.unit must be a unit name or None, not {type(value).__name__}")


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

    value: Union[int, float] = attrs.field(validator=_of_type(int, float))
    unit: Optional[str] = attrs.field(default=None, validator=_unit)
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class String(Node):
    value: str = attrs.field(validator=_of_type(str))
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Boolean(Node):
    value: bool = attrs.field(validator=_of_type(bool))
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Date(Node):
    value: datetime.date = attrs.field(validator=_of_type(datetime.date))
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class ListLit(Node):
    items: Tuple[Node, ...] = attrs.field(validator=_nodes())
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Path(Node):
    """A dotted fact path, or (inside a quantifier) a bound name and its fields."""

    name: str = attrs.field(validator=_matching(PATH_RE, "a dotted fact path"))
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
    operand: Node = attrs.field(validator=_node)
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class And(Node):
    operands: Tuple[Node, ...] = attrs.field(validator=_nodes(1))
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Or(Node):
    operands: Tuple[Node, ...] = attrs.field(validator=_nodes(1))
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Compare(Node):
    op: str = attrs.field(validator=_one_of(COMPARE_OPS))
    left: Node = attrs.field(validator=_node)
    right: Node = attrs.field(validator=_node)
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Arith(Node):
    op: str = attrs.field(validator=_one_of(ARITH_OPS))
    left: Node = attrs.field(validator=_node)
    right: Node = attrs.field(validator=_node)
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Neg(Node):
    operand: Node = attrs.field(validator=_node)
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Call(Node):
    """A function call: ``known``, ``at_least``, ``min``, ``max``, ``abs``,
    ``len`` or ``days``."""

    name: str = attrs.field(validator=_one_of(FUNCTIONS))
    args: Tuple[Node, ...] = attrs.field(validator=_nodes(1))
    span: Span = _span()
    ty: Any = _ty()


@attrs.frozen
class Quantifier(Node):
    """``any(var in source: body)``; also ``all``, ``count`` and ``sum``."""

    kind: str = attrs.field(validator=_one_of(QUANTIFIERS))
    var: str = attrs.field(validator=_matching(NAME_RE, "a name"))
    source: Node = attrs.field(validator=_node)
    body: Node = attrs.field(validator=_node)
    span: Span = _span()
    ty: Any = _ty()


def _one(name: str):
    get = operator.attrgetter(name)
    return lambda node: (get(node),)


# the node classes' children, by exact class (a subclass takes the long way)
_CHILDREN = {
    And: operator.attrgetter("operands"),
    Or: operator.attrgetter("operands"),
    Compare: operator.attrgetter("left", "right"),
    Arith: operator.attrgetter("left", "right"),
    Not: _one("operand"),
    Neg: _one("operand"),
    Call: operator.attrgetter("args"),
    ListLit: operator.attrgetter("items"),
    Quantifier: operator.attrgetter("source", "body"),
    Number: lambda node: (),
    String: lambda node: (),
    Boolean: lambda node: (),
    Date: lambda node: (),
    Path: lambda node: (),
}


def children(node: Node) -> Tuple[Node, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    get = _CHILDREN.get(type(node))
    if get is not None:
        return get(node)
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
    stack = [(node, _NO_NAMES)]
    pop, push = stack.pop, stack.append
    while stack:
        n, bound = pop()
        if isinstance(n, Path):
            if n.head not in bound:
                out.setdefault(n.name, None)
        elif isinstance(n, Quantifier):
            push((n.body, bound | {n.var}))
            push((n.source, bound))
        else:
            kids = children(n)
            for i in range(len(kids) - 1, -1, -1):
                push((kids[i], bound))
    return tuple(out)


_NO_NAMES: FrozenSet[str] = frozenset()
