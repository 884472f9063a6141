"""safetyrules: workplace-safety judgment standards as checked, versioned,
testable rules, and the decisions they give."""

from __future__ import annotations

from safetyrules import dsl
from safetyrules.engine.decision import Decision, Finding, Undetermined
from safetyrules.engine.ruleset import RuleSet
from safetyrules.engine.facts import read_facts
from safetyrules.engine.ruleset import bundled_path, load
from safetyrules.errors import (
    CheckError,
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    FactsError,
    RuleFileError,
    RuleSetError,
    SafetyRulesError,
)

from safetyrules.version import __version__

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
