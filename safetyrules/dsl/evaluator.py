"""The tree-walking evaluator: the reference semantics of SPEC §3.

Slow but plain; the compiler must agree with it on every input (a property
test checks that).  It also answers *which missing facts could change an
unknown result* (:func:`missing`), which the engine reports for undetermined
clauses.

Facts are a flat mapping of dotted paths to values (see :func:`flatten`).
Number literals written with a unit are converted to the SI base unit here;
checked expressions have had their literals converted to the facts' units
already, and carry no unit.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .. import units
from ..errors import EvaluationError, SafetyRulesError
from . import ast as A
from . import runtime as R

__all__ = ["evaluate", "missing", "flatten", "literal_value"]


def literal_value(node: A.Number) -> Any:
    """A number literal's value, converted to its dimension's base unit."""
    if node.unit is None:
        return node.value
    unit = units.lookup(node.unit)
    return units.to_number(units.exact(node.value) * unit.factor)


class _Ctx:
    __slots__ = ("facts", "warnings")

    def __init__(self, facts: Mapping[str, Any], warnings: Optional[List[dict]]) -> None:
        self.facts = facts
        self.warnings = warnings


def _ev(node: A.Node, ctx: _Ctx, bound: Dict[str, Any]) -> Any:
    return _DISPATCH[type(node)](node, ctx, bound)


def _path(node: A.Path, ctx: _Ctx, bound) -> Any:
    head = node.head
    if head in bound:
        return R.field(bound[head], node.rest, head, node.span)
    return ctx.facts.get(node.name)


def _number(node: A.Number, ctx, bound) -> Any:
    return literal_value(node)


def _const(node, ctx, bound) -> Any:
    return node.value


def _list(node: A.ListLit, ctx, bound) -> Any:
    return [_ev(i, ctx, bound) for i in node.items]


def _not(node: A.Not, ctx, bound) -> Any:
    v = R.truth(_ev(node.operand, ctx, bound), "not", node.span)
    return None if v is None else not v


def _and(node: A.And, ctx, bound) -> Any:
    result: Optional[bool] = True
    for op in node.operands:
        v = R.truth(_ev(op, ctx, bound), "and", op.span)
        if v is False:
            return False
        if v is None:
            result = None
    return result


def _or(node: A.Or, ctx, bound) -> Any:
    result: Optional[bool] = False
    for op in node.operands:
        v = R.truth(_ev(op, ctx, bound), "or", op.span)
        if v is True:
            return True
        if v is None:
            result = None
    return result


def _compare(node: A.Compare, ctx, bound) -> Any:
    a = _ev(node.left, ctx, bound)
    b = _ev(node.right, ctx, bound)
    op = node.op
    if op == "==":
        return R.eq(a, b)
    if op == "!=":
        return R.ne(a, b)
    if op == "in":
        return R.member(a, b, node.span)
    if op == "not in":
        m = R.member(a, b, node.span)
        return None if m is None else not m
    return R.compare(op, a, b, node.span)


def _arith(node: A.Arith, ctx, bound) -> Any:
    a = _ev(node.left, ctx, bound)
    b = _ev(node.right, ctx, bound)
    return R.arith(node.op, a, b, ctx.warnings, node.span)


def _neg(node: A.Neg, ctx, bound) -> Any:
    return R.neg(_ev(node.operand, ctx, bound), node.span)


def _call(node: A.Call, ctx, bound) -> Any:
    name = node.name
    if name == "known":
        return _ev(node.args[0], ctx, bound) is not None
    args = [_ev(a, ctx, bound) for a in node.args]
    if name == "at_least":
        return R.fn_at_least(args[0], args[1:], node.span)
    if name == "min":
        return R.fn_min(args, node.span)
    if name == "max":
        return R.fn_max(args, node.span)
    if name == "abs":
        return R.fn_abs(args[0], node.span)
    if name == "len":
        return R.fn_len(args[0], node.span)
    if name == "days":
        return R.fn_days(args[0], args[1], node.span)
    raise EvaluationError(f"unknown function '{name}'")  # pragma: no cover - parser refuses


def _quant(node: A.Quantifier, ctx, bound) -> Any:
    src = R.as_list(_ev(node.source, ctx, bound), node.kind + "()", node.span)
    if src is None:
        return None
    kind = node.kind
    inner = dict(bound)
    if kind == "any" or kind == "all":
        stop = kind == "any"  # any stops at the first true, all at the first false
        result: Optional[bool] = not stop
        for item in src:
            inner[node.var] = item
            v = R.quant_truth(_ev(node.body, ctx, inner), kind, node.body.span)
            if v is stop:
                return stop
            if v is None:
                result = None
        return result
    if kind == "count":
        n, unknown = 0, False
        for item in src:
            inner[node.var] = item
            v = R.quant_truth(_ev(node.body, ctx, inner), kind, node.body.span)
            if v is True:
                n += 1
            elif v is None:
                unknown = True
        return None if unknown else n
    total: Any = 0
    unknown = False
    for item in src:
        inner[node.var] = item
        v = R.sum_term(_ev(node.body, ctx, inner), node.body.span)
        if v is None:
            unknown = True
        elif not unknown:
            total = R.arith("+", total, v, ctx.warnings, node.span)
    return None if unknown else total


_DISPATCH = {
    A.Path: _path,
    A.Number: _number,
    A.String: _const,
    A.Boolean: _const,
    A.Date: _const,
    A.ListLit: _list,
    A.Not: _not,
    A.And: _and,
    A.Or: _or,
    A.Compare: _compare,
    A.Arith: _arith,
    A.Neg: _neg,
    A.Call: _call,
    A.Quantifier: _quant,
}


def evaluate(
    node: A.Node,
    facts: Mapping[str, Any],
    warnings: Optional[List[dict]] = None,
) -> Any:
    """Evaluate ``node`` over flat ``facts``; ``None`` means unknown.

    Division by zero appends a warning to ``warnings`` (when given).  Raises
    :class:`EvaluationError` for a run-time type error.
    """
    try:
        return _ev(node, _Ctx(facts, warnings), {})
    except SafetyRulesError:
        raise
    except OverflowError:
        raise EvaluationError("a number is too large to compute with") from None
    except RecursionError:
        raise EvaluationError("expression is nested too deeply to evaluate") from None


def missing(node: A.Node, facts: Mapping[str, Any]) -> Tuple[str, ...]:
    """The unknown input facts that could change ``node``'s unknown result,
    sorted; empty when the result is known.  Items of list facts are named
    with their 0-based index: ``cranes[1].age``."""
    ctx = _Ctx(facts, None)
    out: set = set()

    def value(n, bound) -> Any:
        try:
            return _ev(n, ctx, bound)
        except (SafetyRulesError, OverflowError):
            return None

    def visit(n: A.Node, bound: Dict[str, Any], labels: Dict[str, str]) -> None:
        if value(n, bound) is not None:
            return
        if isinstance(n, A.Path):
            if n.head in bound:
                label = labels[n.head]
                out.add(label + ("." + n.rest if n.rest else ""))
            else:
                out.add(n.name)
            return
        if isinstance(n, A.Quantifier):
            src = value(n.source, bound)
            if src is None or not isinstance(src, (list, tuple)):
                visit(n.source, bound, labels)
                return
            base = n.source.name if isinstance(n.source, A.Path) and n.source.head not in bound else None
            if isinstance(n.source, A.Path) and n.source.head in bound:
                base = labels[n.source.head] + ("." + n.source.rest if n.source.rest else "")
            for i, item in enumerate(src):
                inner = dict(bound)
                inner[n.var] = item
                lab = dict(labels)
                lab[n.var] = f"{base}[{i}]" if base else f"{n.var}[{i}]"
                if value(n.body, inner) is None:
                    visit(n.body, inner, lab)
            return
        for c in A.children(n):
            if value(c, bound) is None:
                visit(c, bound, labels)
            else:
                absent_known(c, bound, labels)

    def absent_known(c: A.Node, bound: Dict[str, Any], labels: Dict[str, str]) -> None:
        # a known part of an unknown node: `known(p)` is never unknown, yet
        # giving an absent p may change that part (`known(p) or a`, `a and
        # not known(p)`); p is missing when the part changes with `known(p)`
        # taken as true
        was = value(c, bound)
        calls = _known_calls(c)
        for k in calls:
            p = k.args[0]
            if not isinstance(p, A.Path) or value(p, bound) is not None:
                continue
            given = c  # giving p makes every known(p) of c true at once
            for other in calls:
                if isinstance(other.args[0], A.Path) and other.args[0].name == p.name:
                    given = substitute(given, other, A.Boolean(True))
            if value(given, bound) != was:
                if p.head in bound:
                    out.add(labels[p.head] + ("." + p.rest if p.rest else ""))
                else:
                    out.add(p.name)

    try:
        visit(node, {}, {})
    except RecursionError:
        raise EvaluationError("expression is nested too deeply to evaluate") from None
    return tuple(sorted(out))


def _known_calls(node: A.Node) -> List[A.Call]:
    """The ``known(...)`` calls in ``node``, outside quantifier bodies."""
    out: List[A.Call] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, A.Call) and n.name == "known":
            out.append(n)
        elif isinstance(n, A.Quantifier):
            stack.append(n.source)
        else:
            stack.extend(A.children(n))
    return out


def substitute(node: A.Node, target: A.Node, repl: A.Node) -> A.Node:
    """``node`` with the node ``target`` (by identity) replaced by ``repl``."""
    if node is target:
        return repl
    changes: Dict[str, Any] = {}
    for f in attrs.fields(type(node)):
        v = getattr(node, f.name)
        if isinstance(v, A.Node):
            nv = substitute(v, target, repl)
            if nv is not v:
                changes[f.name] = nv
        elif isinstance(v, tuple) and any(isinstance(x, A.Node) for x in v):
            nt = tuple(substitute(x, target, repl) if isinstance(x, A.Node) else x for x in v)
            if any(a is not b for a, b in zip(nt, v)):
                changes[f.name] = nt
    return attrs.evolve(node, **changes) if changes else node


def flatten(facts: Mapping[str, Any], *, where: str = "") -> Dict[str, Any]:
    """Nested mappings → one flat mapping with dotted keys.

    List items (mappings) are flattened the same way.  Giving one fact both
    nested and dotted is an error.  The walk is iterative, and facts nested
    deeper than :data:`safetyrules.limits.MAX_FACT_DEPTH` mappings and lists
    are refused with a :class:`FactsError` (never a ``RecursionError``).
    """
    from ..errors import FactsError
    from ..limits import MAX_FACT_DEPTH

    if not isinstance(facts, Mapping):
        raise FactsError(f"facts must be a mapping of fact names to values, got {type(facts).__name__}")
    top: Dict[str, Any] = {}
    # frames: (prefix, items iterator, output dict, depth, where); list items
    # get their own output dict, filled in place inside the list, and keys
    # relative to the item; ``where`` names the item in errors ("M[1].")
    stack: List[Tuple[str, Any, Dict[str, Any], int, str]] = [("", iter(facts.items()), top, 1, "")]

    def put(out: Dict[str, Any], key: str, value: Any, where: str) -> None:
        if key in out:
            raise FactsError(f"fact '{where}{key}' is given twice (nested and dotted)", fact=where + key)
        out[key] = value

    while stack:
        prefix, items, out, depth, where = stack[-1]
        item = next(items, _END)
        if item is _END:
            stack.pop()
            continue
        k, v = item
        if not isinstance(k, str):
            raise FactsError(f"fact names must be text, got {type(k).__name__}", fact=(where + prefix) or None)
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, Mapping) or isinstance(v, (list, tuple)):
            if depth >= MAX_FACT_DEPTH:
                raise FactsError(f"facts are nested deeper than {MAX_FACT_DEPTH} levels", fact=where + key, code="E-DEPTH")
        if isinstance(v, Mapping):
            if not v:
                put(out, key, None, where)
            stack.append((key, iter(v.items()), out, depth + 1, where))
        elif isinstance(v, (list, tuple)):
            lst: List[Any] = []
            put(out, key, lst, where)
            if not _shallow(v, MAX_FACT_DEPTH - depth):
                raise FactsError(f"facts are nested deeper than {MAX_FACT_DEPTH} levels", fact=where + key, code="E-DEPTH")
            for i, x in enumerate(v):
                if isinstance(x, Mapping):
                    sub: Dict[str, Any] = {}
                    lst.append(sub)
                    # pushed in reverse below would reorder errors; a list's
                    # items are walked one after another, each to the end
                    stack.append(("", iter(x.items()), sub, depth + 2, f"{where}{key}[{i}]."))
                else:
                    lst.append(x)
            # the frames just pushed run last-first: reverse them into order
            n = sum(1 for x in v if isinstance(x, Mapping))
            if n > 1:
                stack[-n:] = stack[-n:][::-1]
        else:
            put(out, key, v, where)
    return top


_END = object()


def _shallow(items: Any, budget: int) -> bool:
    """Whether lists nested in the list ``items`` stay within ``budget``
    levels (mappings in it are depth-checked as they are walked)."""
    stack = [(items, 1)]
    while stack:
        v, d = stack.pop()
        if d > budget:
            return False
        for x in v:
            if isinstance(x, (list, tuple)):
                stack.append((x, d + 1))
    return True
