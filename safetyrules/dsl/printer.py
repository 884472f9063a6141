"""AST → canonical text.  ``parse(unparse(node)) == node`` for every tree the
parser can produce; the canonical form is what `fmt` writes and what `diff`
compares."""

from __future__ import annotations

from ..errors import ExpressionError
from . import ast as A

__all__ = ["unparse"]

_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_ATOM = range(1, 9)


def _prec(node: A.Node) -> int:
    if isinstance(node, A.Or):
        return _PREC_OR
    if isinstance(node, A.And):
        return _PREC_AND
    if isinstance(node, A.Not):
        return _PREC_NOT
    if isinstance(node, A.Compare):
        return _PREC_CMP
    if isinstance(node, A.Arith):
        return _PREC_ADD if node.op in "+-" else _PREC_MUL
    if isinstance(node, A.Neg):
        return _PREC_NEG
    return _PREC_ATOM


def _wrap(node: A.Node, need: bool) -> str:
    text = _unparse(node)
    return f"({text})" if need else text


def _number(value) -> str:
    if isinstance(value, bool):  # defensive: bool is an int subclass
        value = int(value)
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") and "e" not in text else text


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def unparse(node: A.Node) -> str:
    """The canonical text of an expression."""
    try:
        return _unparse(node)
    except RecursionError:
        # Only hand-built trees get here: parsed ones are at most MAX_DEPTH deep.
        raise ExpressionError(f"expression is nested too deeply to print (the limit is {A.MAX_DEPTH} levels)") from None


def _unparse(node: A.Node) -> str:
    if isinstance(node, A.Or):
        return " or ".join(_wrap(op, _prec(op) <= _PREC_OR) for op in node.operands)
    if isinstance(node, A.And):
        return " and ".join(_wrap(op, _prec(op) <= _PREC_AND) for op in node.operands)
    if isinstance(node, A.Not):
        return "not " + _wrap(node.operand, _prec(node.operand) < _PREC_NOT)
    if isinstance(node, A.Compare):
        left = _wrap(node.left, _prec(node.left) <= _PREC_CMP)
        right = _wrap(node.right, _prec(node.right) <= _PREC_CMP)
        return f"{left} {node.op} {right}"
    if isinstance(node, A.Arith):
        p = _prec(node)
        left = _wrap(node.left, _prec(node.left) < p)
        right = _wrap(node.right, _prec(node.right) <= p)
        return f"{left} {node.op} {right}"
    if isinstance(node, A.Neg):
        inner = _wrap(node.operand, _prec(node.operand) < _PREC_NEG)
        return "-" + (" " + inner if inner.startswith("-") else inner)
    if isinstance(node, A.Number):
        text = _number(node.value)
        return f"{text} {node.unit}" if node.unit else text
    if isinstance(node, A.String):
        return _string(node.value)
    if isinstance(node, A.Boolean):
        return "true" if node.value else "false"
    if isinstance(node, A.Date):
        return node.value.isoformat()
    if isinstance(node, A.ListLit):
        return "[" + ", ".join(_unparse(i) for i in node.items) + "]"
    if isinstance(node, A.Path):
        return node.name
    if isinstance(node, A.Call):
        return f"{node.name}(" + ", ".join(_unparse(a) for a in node.args) + ")"
    if isinstance(node, A.Quantifier):
        src = _wrap(node.source, _prec(node.source) <= _PREC_CMP)
        return f"{node.kind}({node.var} in {src}: {_unparse(node.body)})"
    raise TypeError(f"not an expression node: {node!r}")
