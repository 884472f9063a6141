"""safetyrules: workplace-safety judgment standards as checked, versioned,
testable rules, and the decisions they give."""

from __future__ import annotations

from . import dsl
from .decision import Decision, Finding, Undetermined
from .engine import RuleSet
from .facts import read_facts
from .ruleset import bundled_path, load
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
    "load",
    "bundled_path",
    "RuleSet",
    "read_facts",
    "Decision",
    "Finding",
    "Undetermined",
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
