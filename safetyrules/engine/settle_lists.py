"""Trying one list item's field without re-reading the whole list.

``next_questions`` (SPEC §8) tries each value of each missing fact; for a
list item's field (``dust.systems[7].dry``) that used to mean evaluating the
clauses over the whole list once per value, so a list of n items with gaps
cost O(n²) evaluations (1,600 items: minutes for one decision).

When the clauses read the list only as the source of top-level ``any`` /
``all`` quantifiers, changing item *i* changes each quantifier's value only
through item *i*: Kleene ``any`` is true if some item is true, else unknown
if some item is unknown, else false (``all`` alike with false).  So the
clauses give exactly the same values over a *witness* list — item *i* (with
the tried value) and, for every quantifier, the first other items whose body
is true, false or unknown — kept in their original order, so that the
evaluator's early stop (``any`` at the first true) meets the same items and
the same errors.  Each item's body value is computed once per decision; a
value tried then costs a handful of items, not the list.

Anything else (``count``/``sum``, the list read directly, a quantifier
inside another one's body, a body that raises) returns ``None``: the caller
evaluates over the whole list, as before.
"""

from __future__ import annotations

from typing import Any, Dict, List, MutableMapping, Optional, Sequence, Tuple

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.errors import SafetyRulesError

__all__ = ["list_quantifiers", "ItemValues"]

_KINDS = ("any", "all")


def list_quantifiers(nodes: Sequence[A.Node], base: str) -> Optional[Tuple[A.Quantifier, ...]]:
    """The top-level ``any``/``all`` quantifiers over the list fact ``base``
    in ``nodes`` — if that is the only way the nodes read ``base`` — else
    ``None``."""
    found: List[A.Quantifier] = []

    def visit(node: A.Node, in_body: bool) -> bool:
        if isinstance(node, A.Path):
            return node.name != base  # read other than as a quantifier's source
        if isinstance(node, A.Quantifier):
            src = node.source
            if isinstance(src, A.Path) and src.name == base:
                if in_body or node.kind not in _KINDS:
                    return False
                found.append(node)
            elif not visit(src, in_body):
                return False
            return visit(node.body, True)
        return all(visit(c, in_body) for c in A.children(node))

    for n in nodes:
        if not visit(n, False):
            return None
    return tuple(found)


class ItemValues:
    """Per quantifier, each item's body value (``True``/``False``/``None``)
    under the run's environment, computed once; then the witness indices for
    any item."""

    def __init__(self, work: MutableMapping[str, Any], base: str, items: Sequence[Any]) -> None:
        self._work = work
        self._base = base
        self._items = items
        self._values: Dict[Any, Any] = {}

    def _of(self, q: A.Quantifier) -> Optional[Tuple[Optional[bool], ...]]:
        key = id(q)
        if key in self._values:
            return self._values[key]
        work, base = self._work, self._base
        had = base in work
        saved = work.get(base)
        out: Optional[List[Optional[bool]]] = []
        try:
            for item in self._items:
                work[base] = [item]  # any/all over one item is that item's truth value
                try:
                    v = dsl.evaluate_ast(q, work)
                except SafetyRulesError:
                    out = None
                    break
                if v is not True and v is not False and v is not None:
                    out = None
                    break
                out.append(v)  # type: ignore[union-attr]
        finally:
            if had:
                work[base] = saved
            else:
                work.pop(base, None)
        got = None if out is None else tuple(out)
        self._values[key] = got
        return got

    def _firsts(self, q: A.Quantifier) -> Optional[Dict[Optional[bool], Tuple[int, ...]]]:
        """Per body value, the indices of the first two items with it."""
        key = ("firsts", id(q))
        if key in self._values:
            return self._values[key]  # type: ignore[return-value]
        vals = self._of(q)
        out: Optional[Dict[Optional[bool], Tuple[int, ...]]] = None
        if vals is not None:
            firsts: Dict[Optional[bool], List[int]] = {True: [], False: [], None: []}
            for j, v in enumerate(vals):
                if len(firsts[v]) < 2:
                    firsts[v].append(j)
            out = {k: tuple(v) for k, v in firsts.items()}
        self._values[key] = out  # type: ignore[assignment]
        return out

    def keep(self, quants: Sequence[A.Quantifier], index: int) -> Optional[List[int]]:
        """The indices to keep when item ``index`` changes (``index`` among
        them, in order), or ``None`` when some body does not evaluate."""
        keep = {index}
        for q in quants:
            firsts = self._firsts(q)
            if firsts is None:
                return None
            for w in ((True, None) if q.kind == "any" else (False, None)):
                # the first other item with that value (the first one overall
                # is the one the evaluator's early stop meets first)
                for j in firsts[w]:
                    if j != index:
                        keep.add(j)
                        break
        return sorted(keep)
