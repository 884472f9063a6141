"""``dsl.parse``: expression text → AST, by the hand-written parser
(:mod:`.fastparse`); the lark parser (:mod:`.parser`, and lark itself) is
imported only when that declines some text — an error, or input past its
limits — so ``import safetyrules`` and a rule set without mistakes never
load lark.

The result and every error are those of :func:`safetyrules.dsl.parser.parse`
(tests/dsl/test_fastparse.py).
"""

from __future__ import annotations

from . import ast as A
from .fastparse import parse_fast, refuse_deep, refuse_early

__all__ = ["parse"]


def parse(text: str) -> A.Node:
    """Parse expression text into an AST.

    Raises :class:`ExpressionSyntaxError` (a :class:`SafetyRulesError`) with a
    1-based line and column relative to ``text`` for any malformed input.
    """
    refuse_early(text)
    node = parse_fast(text)
    if node is not None:
        return node
    refuse_deep(text)  # read whole but nested too deep: lark's error, without lark
    from .parser import parse_lark  # lark: only for text the fast path declines

    return parse_lark(text)
