"""Run-time values and operations, shared by the evaluator and compiled code.

Values are Python values: ``None`` is *unknown*; ``bool``; ``int``/``float``
(numbers — never ``bool``); ``str``; ``datetime.date``; ``list``/``tuple``
(lists); ``dict`` (list items, with flat dotted keys).  Every operation here
follows SPEC §3 (Kleene logic, SQL-NULL-like propagation) and raises
:class:`EvaluationError` for a type error.  The evaluator always goes through
these functions; the compiler inlines the simple typed cases and calls these
for the rest, so both agree by construction.
"""

from __future__ import annotations

import datetime
from typing import Any, List, Optional

from ..errors import EvaluationError

__all__ = [
    "kind_of",
    "truth",
    "eq",
    "ne",
    "compare",
    "member",
    "arith",
    "neg",
    "field",
    "as_list",
    "fn_at_least",
    "fn_min",
    "fn_max",
    "fn_abs",
    "fn_len",
    "fn_days",
    "div_zero_warning",
]


def kind_of(v: Any) -> str:
    """The run-time kind of a known value (for messages and type rules)."""
    t = type(v)
    if t is bool:
        return "bool"
    if t is int or t is float:
        return "number"
    if t is str:
        return "string"
    if t is datetime.date:
        return "date"
    if t is list or t is tuple:
        return "list"
    if t is dict:
        return "record"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, datetime.datetime):
        return "datetime"
    if isinstance(v, datetime.date):
        return "date"
    if isinstance(v, (list, tuple)):
        return "list"
    if isinstance(v, dict):
        return "record"
    return type(v).__name__


def _show(v: Any) -> str:
    k = kind_of(v)
    text = repr(v) if k != "date" else v.isoformat()
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{k} {text}"


def evaluation_error(msg: str, at=None) -> EvaluationError:
    """An :class:`EvaluationError` located at node span ``at`` (if given)."""
    if at is None:
        return EvaluationError(msg)
    return EvaluationError(
        msg, line=at.line, column=at.column, end_line=at.end_line, end_column=at.end_column
    )


_fail = evaluation_error


def truth(v: Any, op: str, at=None) -> Optional[bool]:
    """``v`` as a three-valued truth value, or an error if it is not one."""
    if v is None or v is True or v is False:
        return v
    raise _fail(f"'{op}' needs true or false, got {_show(v)}", at)


def eq(a: Any, b: Any) -> Optional[bool]:
    """Kleene ``==``: unknown if either side is; false across kinds;
    element by element for lists."""
    if a is None or b is None:
        return None
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb:
        return False
    if ka == "list":
        if len(a) != len(b):
            return False
        result: Optional[bool] = True
        for x, y in zip(a, b):
            e = eq(x, y)
            if e is False:
                return False
            if e is None:
                result = None
        return result
    return a == b


def ne(a: Any, b: Any) -> Optional[bool]:
    e = eq(a, b)
    return None if e is None else not e


_ORDERED = ("number", "string", "date")


def compare(op: str, a: Any, b: Any, at=None) -> Optional[bool]:
    """``< <= > >=``: unknown if either side is; an error across kinds."""
    if a is None or b is None:
        return None
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb or ka not in _ORDERED:
        raise _fail(f"cannot order {_show(a)} and {_show(b)} with '{op}'", at)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def member(x: Any, items: Any, at=None) -> Optional[bool]:
    """``x in items``: true if x equals an element, false if it differs from
    all, else unknown."""
    if items is None:
        return None
    if kind_of(items) != "list":
        raise _fail(f"'in' needs a list on its right, got {_show(items)}", at)
    if x is None:
        return None
    result: Optional[bool] = False
    for item in items:
        e = eq(x, item)
        if e is True:
            return True
        if e is None:
            result = None
    return result


def div_zero_warning(at=None) -> dict:
    w = {"code": "W-DIV-ZERO", "message": "division by zero; the result is unknown"}
    if at is not None:
        w["line"], w["column"] = at.line, at.column
    return w


def arith(op: str, a: Any, b: Any, warnings: Optional[List[dict]] = None, at=None) -> Any:
    """``+ - * /`` on numbers; unknown if either side is; division by zero is
    unknown and adds a warning."""
    if a is None or b is None:
        return None
    if kind_of(a) != "number" or kind_of(b) != "number":
        raise _fail(f"'{op}' needs numbers, got {_show(a)} and {_show(b)}", at)
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            if warnings is not None:
                warnings.append(div_zero_warning(at))
            return None
        return a / b
    except OverflowError:
        raise _fail(f"'{op}' overflows: the number is too large", at) from None


def div(a: Any, b: Any, warnings: Optional[List[dict]], at=None) -> Any:
    """Typed division (both numbers or unknown)."""
    if a is None or b is None:
        return None
    if b == 0:
        if warnings is not None:
            warnings.append(div_zero_warning(at))
        return None
    try:
        return a / b
    except OverflowError:
        raise _fail("'/' overflows: the number is too large", at) from None


def neg(a: Any, at=None) -> Any:
    if a is None:
        return None
    if kind_of(a) != "number":
        raise _fail(f"'-' needs a number, got {_show(a)}", at)
    return -a


def field(item: Any, name: Optional[str], var: str, at=None) -> Any:
    """``x.name`` for a list item ``x`` (a record); the item itself when
    ``name`` is None."""
    if name is None or item is None:
        return item
    if kind_of(item) != "record":
        raise _fail(f"'{var}' is {_show(item)}, not a record with field '{name}'", at)
    return item.get(name)


def as_list(v: Any, what: str, at=None) -> Any:
    if v is None or kind_of(v) == "list":
        return v
    raise _fail(f"{what} needs a list, got {_show(v)}", at)


def fn_at_least(n: Any, conds: List[Any], at=None) -> Optional[bool]:
    """``at_least(n, c...)``: true when t >= n, false when t + u < n."""
    for c in conds:
        truth(c, "at_least", at)
    if n is None:
        return None
    if kind_of(n) != "number":
        raise _fail(f"at_least() needs a number first, got {_show(n)}", at)
    t = sum(1 for c in conds if c is True)
    u = sum(1 for c in conds if c is None)
    if t >= n:
        return True
    if t + u < n:
        return False
    return None


def _extreme(name: str, values: List[Any], pick, at=None) -> Any:
    kinds = {kind_of(v) for v in values if v is not None}
    if len(kinds) > 1 or (kinds and next(iter(kinds)) not in _ORDERED):
        shown = ", ".join(_show(v) for v in values if v is not None)
        raise _fail(f"{name}() needs numbers, strings or dates of one kind, got {shown}", at)
    if any(v is None for v in values):
        return None
    return pick(values)


def fn_min(values: List[Any], at=None) -> Any:
    return _extreme("min", values, min, at)


def fn_max(values: List[Any], at=None) -> Any:
    return _extreme("max", values, max, at)


def fn_abs(v: Any, at=None) -> Any:
    if v is None:
        return None
    if kind_of(v) != "number":
        raise _fail(f"abs() needs a number, got {_show(v)}", at)
    return abs(v)


def fn_len(v: Any, at=None) -> Any:
    if v is None:
        return None
    if kind_of(v) != "list":
        raise _fail(f"len() needs a list, got {_show(v)}", at)
    return len(v)


def fn_days(a: Any, b: Any, at=None) -> Any:
    for v in (a, b):
        if v is not None and kind_of(v) != "date":
            raise _fail(f"days() needs dates, got {_show(v)}", at)
    if a is None or b is None:
        return None
    return (b - a).days


def quant_truth(v: Any, kind: str, at=None) -> Optional[bool]:
    return truth(v, kind + "()", at)


def sum_term(v: Any, at=None) -> Any:
    if v is None or kind_of(v) == "number":
        return v
    raise _fail(f"sum() needs numbers, got {_show(v)}", at)
