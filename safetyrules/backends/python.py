"""The plan → one generated Python function per (plan, standards in force).

Placeholder generator: the program accepts no input as regular yet, so
every record takes the engine's reference path.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Tuple

from safetyrules.backends.layout import Layout
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import Plan

__all__ = ["Program", "compile_program", "GenerationError"]


class GenerationError(SafetyRulesError):
    """The plan could not be turned into Python (a bug, never user input)."""


class Program:
    """A generated per-record function and the layout of its results.

    ``run(facts)`` returns the compact result (see
    :mod:`safetyrules.backends.layout`) for input it takes as regular, or
    None: then the caller runs the reference path.  ``source`` is the
    generated Python text."""

    __slots__ = ("layout", "source", "run")

    def __init__(self, layout: Layout, source: str, run: Callable[[Mapping[str, Any]], Optional[tuple]]) -> None:
        self.layout = layout
        self.source = source
        self.run = run


def compile_program(plan: Plan, in_force: Tuple[str, ...]) -> Program:
    """Generate and compile the program of ``plan`` for the standards
    ``in_force``.  Raises :class:`GenerationError` on failure."""
    layout = Layout(plan, in_force)
    source = "def run(f):\n    return None\n"
    ns: dict = {}
    try:
        exec(compile(source, "<safetyrules-program>", "exec"), ns)  # noqa: S102 - generated from the plan only
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise GenerationError(f"generated code for rule set '{plan.id}' does not compile: {exc}") from None
    return Program(layout, source, ns["run"])
