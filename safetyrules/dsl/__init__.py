"""The expression language: parse → check → compile / evaluate.

>>> from safetyrules import dsl
>>> dsl.evaluate("a and b", {"a": False})
False
>>> dsl.evaluate("x > 3 m", {"x": 2.5}) is False
True
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional

from . import ast
from .ast import MAX_DEPTH, MAX_QUANTIFIER_DEPTH, fact_paths
from .checker import check
from .compiler import CompiledProgram, compile_expr, compile_many
from .evaluator import flatten, missing
from .evaluator import evaluate as evaluate_ast
from .syntax import parse
from .printer import unparse
from .types import FactSpec, Type

__all__ = [
    "parse",
    "unparse",
    "check",
    "compile_expr",
    "compile_many",
    "CompiledProgram",
    "evaluate",
    "evaluate_ast",
    "missing",
    "flatten",
    "fact_paths",
    "FactSpec",
    "Type",
    "MAX_DEPTH",
    "MAX_QUANTIFIER_DEPTH",
    "ast",
]


def evaluate(
    expression: str,
    facts: Optional[Mapping[str, Any]] = None,
    *,
    warnings: Optional[List[dict]] = None,
) -> Any:
    """Evaluate expression text over ``facts`` without a vocabulary.

    Returns ``True``/``False``, ``None`` (unknown) or a value.  Facts may be
    nested or dotted; missing or ``None`` facts are unknown.  Values are typed
    at run time: a type error raises :class:`safetyrules.EvaluationError`;
    bad text raises :class:`safetyrules.ExpressionSyntaxError`.  Numbers are
    taken to be in SI base units (m, kg, Pa, s), and unit literals convert to
    them (``3 km`` is ``3000``).
    """
    node = parse(expression)
    _literal_dimensions(node)
    flat = _iso_dates(node, _plain_values(flatten(facts or {})))
    return evaluate_ast(node, flat, warnings)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _iso_dates(node, flat: dict) -> dict:
    """SPEC §2: date facts take ISO 8601 strings.  Without a vocabulary a
    fact is a date fact where the expression reads a date from it: compared
    with a date literal (``d < 2024-01-01``, ``d in [2024-01-01, ...]``), an
    argument of ``days()``, or of ``min``/``max`` beside a date literal; the
    same for a list item's field inside ``any/all/count/sum``.  Such a fact
    given as ``'YYYY-MM-DD'`` text (a calendar date) is that date; other
    values are left for evaluation to accept or refuse."""
    A = ast
    top: set = set()
    fields: dict = {}  # list fact -> item fields read as dates

    def note(n, scope) -> None:
        if type(n) is not A.Path:
            return
        head, _, rest = n.name.partition(".")
        if head in scope:
            if scope[head] is not None and rest:
                fields.setdefault(scope[head], set()).add(rest)
        else:
            top.add(n.name)

    def walk(n, scope) -> None:
        t = type(n)
        if t is A.Quantifier:
            walk(n.source, scope)
            src = n.source
            name = src.name if type(src) is A.Path and src.name.partition(".")[0] not in scope else None
            walk(n.body, {**scope, n.var: name})
            return
        if t is A.Compare:
            if n.op in ("in", "not in"):
                if type(n.right) is A.ListLit:
                    items = n.right.items
                    if type(n.left) is A.Date:
                        for i in items:
                            note(i, scope)
                    if any(type(i) is A.Date for i in items):
                        note(n.left, scope)
            else:
                if type(n.left) is A.Date:
                    note(n.right, scope)
                if type(n.right) is A.Date:
                    note(n.left, scope)
        elif t is A.Call and (n.name == "days" or n.name in ("min", "max") and any(type(a) is A.Date for a in n.args)):
            for a in n.args:
                note(a, scope)
        for c in A.children(n):
            walk(c, scope)

    walk(node, {})
    if not top and not fields:
        return flat

    def day(v):
        if type(v) is str and _ISO_DATE.match(v):
            import datetime

            try:
                return datetime.date.fromisoformat(v)
            except ValueError:
                return v
        return v

    out = dict(flat)
    for name in top:
        if name in out:
            out[name] = day(out[name])
    for name, keys in fields.items():
        items = out.get(name)
        if type(items) is list:
            out[name] = [{k: (day(v) if k in keys else v) for k, v in x.items()} if type(x) is dict else x for x in items]
    return out


def _plain_values(flat: dict) -> dict:
    """Values from numpy/pandas in plain form, as ``RuleSet.evaluate`` takes
    them (``safetyrules.engine.facts.normal_value``): NaN, ``NaT`` and
    ``pd.NA`` are unknown; numpy scalars become ``bool``/``int``/``float``/
    ``str``; a timestamp at midnight without a time zone is its date.  Plain
    values are left as they are (the dict is returned unchanged when every
    value is plain)."""
    out = None
    for key, value in flat.items():
        if type(value) is list:
            new = [_plain_values(x) if type(x) is dict else _plain(x) for x in value]
            if any(a is not b for a, b in zip(new, value)):
                value = new
            else:
                continue
        else:
            new = _plain(value)
            if new is value:
                continue
            value = new
        if out is None:
            out = dict(flat)
        out[key] = value
    return flat if out is None else out


_PLAIN_TYPES = frozenset({bool, int, str, type(None)})


def _plain(value: Any) -> Any:
    t = type(value)
    if t in _PLAIN_TYPES:
        return value
    if t is float:
        return None if value != value else value
    mod = t.__module__
    if mod == "numpy" or mod.startswith("numpy."):
        import numpy as np

        if isinstance(value, np.ndarray):
            return value.tolist() if value.dtype.kind != "O" else list(value)
        if isinstance(value, np.datetime64):
            if np.isnat(value):
                return None
            value = value.astype("datetime64[us]").item()
        elif isinstance(value, np.generic):
            value = value.item()
            return None if type(value) is float and value != value else value
    if t.__name__ in ("NaTType", "NAType"):  # pandas NaT and pd.NA
        return None
    import datetime

    if isinstance(value, datetime.datetime) and value.tzinfo is None and value.time() == datetime.time(0):
        return value.date()
    return value


_ANY = "any"  # a fact, a bare number or a computed value: SI, of whichever dimension
_PLAIN = "plain"  # a number literal without a unit: dimensionless where it multiplies


def _literal_dimensions(node) -> Any:
    """Refuse an expression that compares or adds quantities whose unit
    literals have different dimensions (``10 m == 10 kg``, ``1 m + 1 s``):
    what a rule file's vocabulary makes a load error (SPEC §2) is, without
    one, an :class:`~safetyrules.EvaluationError` before evaluation.  Facts
    and bare numbers carry no dimension here (they are SI numbers), so only
    the literals' own units are compared.  Returns the node's dimension,
    ``_PLAIN`` or ``_ANY``."""
    from .. import units
    from .runtime import evaluation_error as fail

    A = ast

    def same(a, b, at):
        # the dimension both share; ``at``: the node of ``b``, blamed when they differ
        if a in (_ANY, _PLAIN):
            return _ANY if b == _PLAIN else b
        if b in (_ANY, _PLAIN) or a == b:
            return a
        raise fail(
            f"cannot combine {units.dimension_name(a)} with {units.dimension_name(b)}: they are different quantities",
            at.span,
        )

    def dim(n):
        t = type(n)
        if t is A.Number:
            if n.unit is None:
                return _PLAIN
            u = units.lookup(n.unit)
            return u.dimension if u is not None else _ANY
        if t is A.Neg:
            return dim(n.operand)
        if t is A.Arith:
            left, right = dim(n.left), dim(n.right)
            if n.op in ("+", "-"):
                return same(left, right, n.right)
            if _ANY in (left, right):
                return _ANY
            left = () if left == _PLAIN else left
            right = () if right == _PLAIN else right
            return units.multiply(left, right, 1 if n.op == "*" else -1)
        if t is A.Compare:
            left = dim(n.left)
            if n.op in ("in", "not in") and type(n.right) is A.ListLit:
                for item in n.right.items:
                    left = same(left, dim(item), item)
            else:
                same(left, dim(n.right), n.right)
            return _ANY
        if t is A.Call and n.name in ("abs", "min", "max"):
            acc = _PLAIN
            for a in n.args:
                acc = same(acc, dim(a), a)
            return acc
        for c in A.children(n):
            dim(c)
        return _ANY

    dim(node)
