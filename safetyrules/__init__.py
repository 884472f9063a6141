"""safetyrules: workplace-safety judgment standards as checked, versioned,
testable rules, and the decisions they give."""

from __future__ import annotations

from . import dsl
from .errors import (
    CheckError,
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    FactsError,
    RuleFileError,
    RuleSetError,
    SafetyRulesError,
)

__version__ = "0.1.0"

__all__ = [
    "dsl",
    "SafetyRulesError",
    "ExpressionError",
    "ExpressionSyntaxError",
    "CheckError",
    "EvaluationError",
    "RuleFileError",
    "RuleSetError",
    "FactsError",
    "__version__",
]
