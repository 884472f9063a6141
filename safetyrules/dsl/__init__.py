"""The expression language: parse → check → compile / evaluate.

>>> from safetyrules import dsl
>>> dsl.evaluate("a and b", {"a": False})
False
>>> dsl.evaluate("x > 3 m", {"x": 2.5}) is False
True
"""

from __future__ import annotations

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
    flat = flatten(facts or {})
    return evaluate_ast(node, flat, warnings)
