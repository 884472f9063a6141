"""The static side of a decision, and the compact result a backend returns.

A per-record backend (the generated Python of :mod:`.python`, or the
engine's reference path) returns, for one entity, a **compact result**: the
tuple ``(clauses, values, given, warnings)`` where

- ``clauses`` has one entry per clause of :attr:`Layout.clauses` (the
  standards in force, in plan order): True (found), False (not found) or
  None (undetermined);
- ``values`` has one entry per name of :attr:`Layout.keys` (every fact a
  condition reads, every table output, the findings counts and the decision
  facts): the checked value, or None / NaN for unknown.  List facts are
  tuples of :class:`~safetyrules.frozen.FrozenDict` and ``collect`` outputs
  tuples, so a result holds no live input;
- ``given`` is the sorted table outputs the input gave;
- ``warnings`` is a tuple of :class:`~safetyrules.frozen.FrozenDict`.

A :class:`Layout` is the static data both sides agree on, computed from the
plan only, once per (plan, standards in force).  The decision materialises
findings, citations, ``missing`` and explanations from the two.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import weakref
from collections.abc import Mapping as _Mapping
from typing import Any, Dict, Mapping, Tuple

from safetyrules.dsl import ast as A
from safetyrules.frozen import FrozenDict
from safetyrules.frozen import adopt as _adopt
from safetyrules.plan.model import FINDINGS_FACTS, Plan, PlanClause, family_gap_warnings

__all__ = ["Layout", "FrozenList", "RawItems", "freeze_value", "freeze_raw", "materialise", "thaw_value", "is_unknown"]


class FrozenList(tuple):
    """A list value kept immutable (a tuple) that still compares equal to
    the list it was made from: ``FrozenList([1]) == [1]``."""

    __slots__ = ()

    def __eq__(self, other: Any) -> bool:
        if type(other) is list:
            return tuple.__eq__(self, tuple(other))
        return tuple.__eq__(self, other)

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return repr(list(self))


class RawItems(tuple):
    """A list fact's items as the generated program took them: a fresh
    ``dict`` copy of each (``None`` fields still in), nothing shared with
    the input.  Freezing every item in the program (a ``FrozenDict`` each,
    made in Python) was a tenth of a decision's time; the decision does it
    on first use instead (:func:`materialise`), and a caller who only reads
    the level never pays it."""

    __slots__ = ()


def freeze_raw(items: RawItems) -> "FrozenList":
    """:func:`freeze_value` of the items of a :class:`RawItems` (fresh
    dicts no one else changes: each adopted as it is, a None field dropped)."""
    return FrozenList([_adopt(i) if None not in i.values() else _adopt({k: x for k, x in i.items() if x is not None})
                       for i in items])


def materialise(result: tuple, list_at: Tuple[int, ...]) -> tuple:
    """``result`` (a compact result) with each :class:`RawItems` among its
    values (at the positions ``list_at``, the list facts) frozen as
    :func:`freeze_value` freezes a list; ``result`` itself if none is."""
    vals = result[1]
    for i in list_at:
        if type(vals[i]) is RawItems:
            break
    else:
        return result
    out = list(vals)
    for i in list_at:
        v = out[i]
        if type(v) is RawItems:
            out[i] = freeze_raw(v)
    return (result[0], tuple(out)) + result[2:]


def freeze_value(value: Any) -> Any:
    """A checked fact value as it is kept in a compact result: lists (of
    item mappings) become FrozenLists (of FrozenDict); other values are
    immutable already."""
    t = type(value)
    if t is list or t is tuple:
        # a None field of an item is unknown, as if absent (the fact check drops it)
        return FrozenList(FrozenDict((k, v) for k, v in i.items() if v is not None) if isinstance(i, Mapping) else i
                          for i in value)
    return value


def thaw_value(value: Any) -> Any:
    """The inverse of :func:`freeze_value`, for the reference evaluator."""
    if type(value) is FrozenList:
        # a FrozenDict item copied by to_dict() (dict() of a Mapping goes key
        # by key through Python), tested by its type (isinstance of an ABC is slow)
        # (a list of texts, an enum list or a table's list output, is copied whole:
        # no ABC check per text)
        if _TEXTS.issuperset(map(type, value)):
            return list(value)
        return [i.to_dict() if type(i) is FrozenDict else dict(i) if isinstance(i, _Mapping) else i for i in value]
    return value


_TEXTS = frozenset((str, int, float, bool))


def is_unknown(value: Any) -> bool:
    """None, or the NaN the generated code uses for an unknown number."""
    return value is None or (type(value) is float and math.isnan(value))


class Layout:
    """Static data of one (plan, standards in force): the clauses that run,
    the names of the result's values, and per-clause data (where each
    clause's read facts stand in ``values``).  Immutable; pickles as its
    plan and in-force set."""

    __slots__ = ("plan", "in_force", "clauses", "keys", "index", "outputs", "clause_reads", "major", "major_at",
                 "decision_at", "decision_reads", "decision_open", "subject_lists", "any_subjects", "list_at", "_gaps",
                 "_pickled", "__weakref__")

    def __init__(self, plan: Plan, in_force: Tuple[str, ...]) -> None:
        keep = frozenset(in_force)
        set_ = object.__setattr__
        set_(self, "plan", plan)
        set_(self, "in_force", tuple(s.id for s in plan.standards if s.id in keep))
        clauses: Tuple[PlanClause, ...] = tuple(c for s in plan.standards if s.id in keep for c in s.clauses)
        set_(self, "clauses", clauses)
        names: Dict[str, None] = {}
        # fact_paths(c.condition): the condition is ``applies and when and not
        # unless`` (plan.model.combine), so its paths are the applies_when's
        # (shared by a standard's clauses: walked once) and then c.reads
        applies: Dict[int, Tuple[str, ...]] = {}
        for c in clauses:
            a = c.applies
            if a is not None:
                got = applies.get(id(a))
                if got is None:
                    got = applies[id(a)] = A.fact_paths(a.node)
                for p in got:
                    names.setdefault(p, None)
            for p in c.reads:
                names.setdefault(p, None)
        for t in plan.tables:
            # t.reads: the fact paths of its row conditions, in order (plan.link)
            for p in t.reads:
                names.setdefault(p, None)
        for t in plan.tables:
            names.setdefault(t.output, None)
        for f in plan.decision.values():
            names.setdefault(f, None)
        # as_of is the decision's; the findings counts follow from ``clauses``
        names.pop("as_of", None)
        for f in FINDINGS_FACTS:
            names.pop(f, None)
        keys = tuple(names)
        set_(self, "keys", keys)
        index = FrozenDict((k, i) for i, k in enumerate(keys))
        set_(self, "index", index)
        set_(self, "outputs", tuple(t.output for t in plan.tables))
        # per clause: (name, position in values) of the facts its when/unless read
        set_(self, "clause_reads", tuple(tuple((p, index[p]) for p in c.reads if p in index) for c in clauses))
        set_(self, "major", tuple(c.severity == "major" for c in clauses))
        # the positions of the major clauses in ``clauses``
        set_(self, "major_at", tuple(i for i, c in enumerate(clauses) if c.severity == "major"))
        # where the level, tier and inspection facts stand in ``values`` (None: nowhere)
        set_(self, "decision_at", tuple(index.get(plan.decision[w]) if w in plan.decision else None
                                        for w in ("level", "tier", "inspection")))
        # every decision fact (plan.decision) in ``values``; decision_open: one
        # is neither there nor ``as_of`` / a findings count (it is never known)
        facts = tuple(plan.decision.values())
        set_(self, "decision_reads", tuple(index[f] for f in facts if f in index))
        set_(self, "decision_open", any(f not in index and f != "as_of" and f not in FINDINGS_FACTS for f in facts))
        # per clause: the (list fact, key field) of each list declaring key:
        # that its condition quantifies over (supervision.md §8.8 4: a
        # finding names the items that make it true); () for most clauses
        keyed = {n: spec.key for n, spec in plan.facts.items() if getattr(spec, "key", None)}
        set_(self, "subject_lists", tuple(_keyed_lists(c.condition, keyed) if keyed else () for c in clauses))
        set_(self, "any_subjects", any(self.subject_lists))
        # where the list facts stand in ``values`` (a program's RawItems: see materialise)
        set_(self, "list_at", tuple(i for i, k in enumerate(keys)
                                    if k in plan.facts and plan.facts[k].type == "list"))
        set_(self, "_gaps", {})  # day -> family_gap_warnings (a cache; not part of the value)
        set_(self, "_pickled", None)  # the plan's pickle, made on first pickling (a cache)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Layout is immutable")

    def __reduce__(self):
        # The plan travels as its own pickle, made once per layout: a decision
        # pickled alone (a multiprocessing queue, a cache) carries it, and the
        # receiving process that already holds a layout of the same bytes
        # (same plan, same standards in force) gets that live layout back,
        # with its compiled programs, instead of rebuilding both (~0.1 s).
        data = self._pickled
        if data is None:
            data = pickle.dumps(self.plan, protocol=pickle.HIGHEST_PROTOCOL)
            object.__setattr__(self, "_pickled", data)
            # this layout answers for its bytes from now on (another live one of the same
            # bytes, from a second load, is equal: either is right, the pickling one expected)
            _LIVE[(hashlib.sha256(data).digest(), self.in_force)] = self
        return (_layout_from_pickle, (data, self.in_force))

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Layout):
            return NotImplemented
        return self is other or (self.in_force == other.in_force and self.plan == other.plan)

    def __hash__(self) -> int:
        return hash((self.plan.digest, self.in_force))

    def counts(self, clause_values: Tuple[Any, ...]) -> Dict[str, int]:
        """The ``findings.*`` counts of a run, from its clause values."""
        n_major = n_general = n_und = n_major_und = 0
        for v, major in zip(clause_values, self.major):
            if v is True:
                if major:
                    n_major += 1
                else:
                    n_general += 1
            elif v is None:
                n_und += 1
                if major:
                    n_major_und += 1
        return {"findings.major": n_major, "findings.general": n_general, "findings.undetermined": n_und,
                "findings.major_undetermined": n_major_und}

    def gap_warnings(self, day) -> Tuple[FrozenDict, ...]:
        """``family_gap_warnings(plan.editions, day)``, kept per day (hashing
        the editions for that function's own cache costs more than a run)."""
        got = self._gaps.get(day)
        if got is None:
            if len(self._gaps) >= 64:
                self._gaps.clear()
            got = self._gaps[day] = family_gap_warnings(self.plan.editions, day)
        return got

    def __repr__(self) -> str:
        return f"Layout({self.plan.id!r}, {len(self.clauses)} clauses, {len(self.keys)} values)"


#: live layouts by (sha256 of their plan's pickle, standards in force): an
#: unpickled layout of the same bytes is the live one (weak: no leak)
_LIVE: "weakref.WeakValueDictionary[Tuple[bytes, Tuple[str, ...]], Layout]" = weakref.WeakValueDictionary()


def _layout_from_pickle(data: bytes, in_force: Tuple[str, ...]) -> Layout:
    """The layout a :meth:`Layout.__reduce__` wrote: the live one of the same
    plan bytes if this process holds it, else rebuilt from the plan."""
    key = (hashlib.sha256(data).digest(), tuple(in_force))
    hit = _LIVE.get(key)
    if hit is not None:
        return hit
    layout = Layout(pickle.loads(data), in_force)
    object.__setattr__(layout, "_pickled", data)
    return _LIVE.setdefault(key, layout)


def _keyed_lists(node: Any, keyed: Dict[str, str]) -> Tuple[Tuple[str, str], ...]:
    """The keyed list facts (name, key field) quantified over in ``node``,
    in first-seen order."""
    out: Dict[str, str] = {}
    for n in A.walk(node):
        if isinstance(n, A.Quantifier) and isinstance(n.source, A.Path) and n.source.name in keyed:
            out.setdefault(n.source.name, keyed[n.source.name])
    return tuple(out.items())
