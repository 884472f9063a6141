"""The decision: immutable records a person and a program can both use.

A :class:`Decision` is built in constant time from the static
:class:`~safetyrules.backends.layout.Layout` of the rule set's day and the
compact result of one per-record run; findings, citations, ``facts``,
``missing``, outputs, ``to_dict``, ``to_json`` and ``explain`` are
materialised from the two when first asked (and kept).  It is deeply
immutable (tuples and :class:`~safetyrules.frozen.FrozenDict` only),
hashable, picklable, equal by value, and holds neither the input nor the
rule set.

``Decision.to_dict()`` is the JSON contract of SPEC §4; ``to_json()`` gives
byte-identical text for identical input (sorted keys, stable lists).
"""

from __future__ import annotations

import datetime
import json
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from safetyrules.backends.layout import FrozenList, Layout, RawItems, is_unknown, materialise, thaw_value
from safetyrules.backends import pyjson
from safetyrules.backends.missing import decision_missing, explain_text
from safetyrules import dsl
from safetyrules.errors import SafetyRulesError
from safetyrules.frozen import FrozenDict
from safetyrules.backends.pyjson import jsonable  # one definition, shared
from safetyrules.engine.facts import normal_value

__all__ = ["Finding", "Undetermined", "Decision", "jsonable", "entity_of", "item_subjects"]


@attrs.frozen
class _ClauseResult:
    """What findings and undetermined clauses both say about their clause."""

    standard: str
    version: Optional[str]
    clause: str
    cite: Optional[str]
    severity: str
    category: Optional[str]
    title: Mapping[str, str]
    status: str

    def _fields(self) -> Dict[str, Any]:
        return {
            "standard": self.standard,
            "version": self.version,
            "clause": self.clause,
            "cite": self.cite,
            "severity": self.severity,
            "category": self.category,
            "title": dict(self.title),
            "status": self.status,
        }


@attrs.frozen
class Finding(_ClauseResult):
    """A clause whose condition holds: a hazard, with its citation and the
    known facts its condition read (a FrozenDict; list facts as tuples).

    ``provenance`` is the clause's static provenance (supervision.md §8.5:
    ``{layer, authority, doc_no, kind}``, see
    :attr:`~safetyrules.plan.model.PlanClause.provenance`), or None when its
    rule files declare none; ``to_dict`` has the key only when it is set."""

    facts: Mapping[str, Any]
    provenance: Optional[Mapping[str, Any]] = attrs.field(default=None, kw_only=True)
    #: the items that alone make the clause true, ``LIST[KEY=VALUE]``, when it
    #: quantifies over a list declaring ``key:`` (supervision.md §8.8 4);
    #: ``to_dict`` has the key only when there are any
    subjects: Tuple[str, ...] = attrs.field(default=(), kw_only=True)

    def to_dict(self) -> Dict[str, Any]:
        out = {**self._fields(), "facts": {k: jsonable(v) for k, v in sorted(self.facts.items())}}
        if self.provenance is not None:
            out["provenance"] = dict(self.provenance)
        if self.subjects:
            out["subjects"] = list(self.subjects)
        return out


@attrs.frozen
class Undetermined(_ClauseResult):
    """A clause that facts still missing could make a finding; ``missing``
    names them."""

    missing: Tuple[str, ...]

    def to_dict(self) -> Dict[str, Any]:
        return {**self._fields(), "missing": list(self.missing)}


def item_subjects(condition: Any, env: Mapping[str, Any], keyed) -> Tuple[str, ...]:
    """The subjects (``LIST[KEY=VALUE]``, sorted) of a clause's finding: the
    items of each keyed list ``(name, key field)`` in ``keyed`` with which
    alone (every other fact as in ``env``) ``condition`` holds
    (supervision.md §8.8 4)."""
    out = set()
    for name, key in keyed:
        for item in env.get(name) or ():
            if not isinstance(item, Mapping) or item.get(key) is None:
                continue
            trial = dict(env)
            trial[name] = [item]
            try:
                holds = dsl.evaluate_ast(condition, trial) is True
            except SafetyRulesError:
                holds = False
            if holds:
                out.add(f"{name}[{key}={item[key]}]")
    return tuple(sorted(out))


_new = object.__new__
_set = object.__setattr__
_UNSET = object()

# Public attributes materialised on first use, each kept in a slot of its own.
_LAZY = ("findings", "undetermined", "major_hazard", "outputs", "missing", "missing_pair", "level_range",
         "next_questions", "clause_keys")

_ENTITY_KEYS = ("id", "name", "grid", "status", "sector")
_NO_ENTITY = FrozenDict()


_ENTITY_DOTTED = tuple(("entity." + k, k) for k in _ENTITY_KEYS)


def entity_of(facts: Mapping[str, Any]) -> FrozenDict:
    """The ``entity.*`` facts of SPEC §8 in ``facts`` (dotted or nested
    keys; null is not given), by their last path segment."""
    out = _entity_dict(facts)
    return FrozenDict(out) if out else _NO_ENTITY


def _entity_dict(facts: Mapping[str, Any]) -> Optional[dict]:
    """:func:`entity_of` as a fresh dict (None if empty)."""
    nested = facts.get("entity")
    if (type(nested) is dict and "entity.id" not in facts and "entity.name" not in facts
            and "entity.grid" not in facts and "entity.status" not in facts and "entity.sector" not in facts):
        # the usual nested record: the values straight from its entity group
        # while they are text (anything else: the general path below)
        out = None
        get = nested.get
        for k in _ENTITY_KEYS:
            v = get(k)
            if v is not None:
                if type(v) is not str:
                    break
                if out is None:
                    out = {}
                out[k] = v
        else:
            return out
    return _entity_dict_any(facts, nested)


def _entity_dict_any(facts: Mapping[str, Any], nested: Any) -> Optional[dict]:
    # dotted keys, values of other types, mappings of other kinds
    if nested is not None and type(nested) is not dict and not isinstance(nested, Mapping):
        nested = None
    out = None
    for dotted, k in _ENTITY_DOTTED:
        v = facts.get(dotted)
        if v is None and nested is not None:
            v = nested.get(k)
        if v is not None and type(v) is not str:
            v = normal_value(v)  # pandas NaN/NaT/NA are unknown, a numpy string plain text (issue 10)
            if isinstance(v, Mapping) and not v:  # {}: unknown, as the facts check reads it
                v = None
        if v is not None:
            if out is None:
                out = {}
            out[k] = v
    return out


_LISTS = frozenset((FrozenList, RawItems))


def _thaw(v: Any) -> list:
    """A list value as the reference evaluator reads it: ``thaw_value`` of
    a FrozenList, and of a program's RawItems straight from its dicts
    (fresh copies, a None field dropped, as freezing them would)."""
    if type(v) is RawItems:
        return [i.copy() if None not in i.values() else {k: x for k, x in i.items() if x is not None} for i in v]
    return thaw_value(v)


def _rebuild_with_line(layout, result, as_of, entity, line):
    d = Decision(layout, result, as_of)
    if line is not None:
        _set(d, "_line", line)
    if entity:
        _set(d, "_entity", entity)
    return d


class Decision:
    """What the rules say about one entity on one date.

    ``level``, ``tier`` and ``inspection`` are the rule set's decision outputs
    (``None`` when unknown); ``major_hazard`` is True, False or None
    (undetermined); ``missing`` lists the facts that would settle what is
    still unknown.  ``findings`` and ``undetermined`` are tuples of
    :class:`Finding` / :class:`Undetermined`; ``outputs`` is a read-only
    mapping of every table output; ``warnings`` a tuple of read-only
    mappings.

    Built by the engine (:meth:`RuleSet.evaluate`); equal (and hashing
    equal) when everything it reports is equal.
    """

    __slots__ = ("_layout", "_result", "as_of", "_env", "_key", "_entity", "_line") + tuple("_c_" + n for n in _LAZY)

    def __init__(self, layout: Layout, result: tuple, as_of: datetime.date) -> None:
        _set(self, "_layout", layout)
        _set(self, "_result", result)
        _set(self, "as_of", as_of)
        _set(self, "_line", None)
        _set(self, "_entity", _NO_ENTITY)

    @classmethod
    def _make(cls, layout: Layout, result: tuple, as_of: datetime.date) -> "Decision":
        # the per-record hot path: no __init__ call
        d = _new(cls)
        _set_layout(d, layout)
        _set_result(d, result)
        _set_as_of(d, as_of)
        _set_line(d, None)
        _set_entity(d, _NO_ENTITY)
        return d

    def __setattr__(self, name: str, value: Any) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __reduce__(self):
        line = self.line
        entity = self.entity
        result = self._mat()
        if line is not None or entity:
            return (_rebuild_with_line, (self._layout, result, self.as_of, entity or None, line))
        return (Decision, (self._layout, result, self.as_of))

    def attach_entity(self, facts: Mapping[str, Any]) -> "Decision":
        """For the engine: keep the entity facts of ``facts`` (already checked) for the
        ``entity`` block (SPEC §8); returns self.  Called by the engine."""
        entity = _entity_dict(facts)
        if entity:
            # a fresh dict of its own (no live input), made a FrozenDict on first use
            _set(self, "_entity", entity)
        return self

    @property
    def line(self) -> Optional[int]:
        """The 1-based input line of a JSON Lines record (SPEC §8), else None."""
        return self._line

    def at_line(self, line: Optional[int]) -> "Decision":
        """Note the JSON Lines input line (shown as ``"line"`` in
        :meth:`to_dict`); returns self.  Called by the engine."""
        if line is not None:
            _set(self, "_line", line)
        return self

    # -- identity ----------------------------------------------------------
    @property
    def ruleset_id(self) -> str:
        return self._layout.plan.id

    @property
    def digest(self) -> str:
        return self._layout.plan.digest

    def _value_key(self) -> tuple:
        try:
            return self._key
        except AttributeError:
            pass
        key = (self.ruleset_id, self.digest, self.as_of, self.findings, self.undetermined, self.major_hazard,
               self.outputs, self.given, self.level, self.tier, self.inspection, self.warnings, self.missing,
               self.line, self.entity)
        _set(self, "_key", key)
        return key

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        if self._layout is other._layout and self._result == other._result and self.as_of == other.as_of:
            return self.line == other.line
        return self._value_key() == other._value_key()

    def __hash__(self) -> int:
        return hash(self._value_key())

    def __repr__(self) -> str:
        return (f"Decision(ruleset_id={self.ruleset_id!r}, as_of={self.as_of!r}, level={self.level!r}, "
                f"findings={len(self.findings)}, undetermined={len(self.undetermined)})")

    # -- values of the run ---------------------------------------------------
    def _mat(self) -> tuple:
        """The run's result with its list facts frozen (the program leaves
        them as :class:`~safetyrules.backends.layout.RawItems`: see
        :func:`~safetyrules.backends.layout.materialise`), kept.  Whatever
        reads a value that may be a list fact reads it from here."""
        r = self._result
        m = materialise(r, self._layout.list_at)
        if m is not r:
            _set_result(self, m)  # a cache of the same value (two threads: equal results, either kept)
        return m

    def _value(self, name: str) -> Any:
        i = self._layout.index.get(name)
        if i is None:
            return None
        v = self._mat()[1][i]
        return None if is_unknown(v) else v

    def env(self) -> Dict[str, Any]:
        """The known values the run computed with (a fresh dict of checked
        facts, table outputs and findings counts, as the reference
        evaluator reads them)."""
        return dict(self._env_map())

    def _env_map(self) -> Mapping[str, Any]:
        # the environment, built once, read-only (for missing, level_range and
        # next_questions, which only read it; env() hands out copies)
        got = getattr(self, "_env", None)
        if got is not None:
            return got
        # is_unknown and thaw_value, inlined (a NaN is the one float not equal to itself)
        env = {k: (_thaw(v) if type(v) in _LISTS else v) for k, v in zip(self._layout.keys, self._result[1])
               if v is not None and (type(v) is not float or v == v)}
        env["as_of"] = self.as_of
        env.update(self._layout.counts(self._result[0]))
        got = MappingProxyType(env)
        _set(self, "_env", got)
        return got

    def _lazy(self, name: str, build) -> Any:
        slot = "_c_" + name
        value = getattr(self, slot, _UNSET)  # no exception raised in Python when unset
        if value is _UNSET:
            value = build()
            _set(self, slot, value)
        return value

    # -- public attributes -------------------------------------------------
    @property
    def findings(self) -> Tuple[Finding, ...]:
        """The clauses found, standards in id order, clauses in file order."""
        return self._lazy("findings", self._build_findings)

    def _build_findings(self) -> Tuple[Finding, ...]:
        lay = self._layout
        vals = self._mat()[1]
        out = []
        for i, v in enumerate(self._result[0]):
            if v is True:
                c = lay.clauses[i]
                facts = FrozenDict((p, vals[k]) for p, k in lay.clause_reads[i] if not is_unknown(vals[k]))
                keyed = lay.subject_lists[i]
                subjects = self._subjects(c, keyed) if keyed else ()
                out.append(Finding(c.standard, c.version, c.id, c.cite, c.severity, c.category, c.title, c.status,
                                   facts, provenance=c.provenance, subjects=subjects))
        return tuple(out)

    def _subjects(self, c, keyed) -> Tuple[str, ...]:
        return item_subjects(c.condition, self._env_map(), keyed)

    def has_subjects(self) -> bool:
        """Whether a finding names items (then the JSON writes findings in full)."""
        lay = self._layout
        if not lay.any_subjects:
            return False
        return any(lay.subject_lists[i] for i, v in enumerate(self._result[0]) if v is True)

    @property
    def undetermined(self) -> Tuple[Undetermined, ...]:
        """The clauses missing facts leave open, each with those facts."""
        return self._lazy("undetermined", self._build_undetermined)

    def _build_undetermined(self) -> Tuple[Undetermined, ...]:
        cvals = self._result[0]
        if None not in cvals:
            return ()
        per_clause, _ = self._both_missing()
        lay = self._layout
        out = []
        for i, v in enumerate(cvals):
            if v is None:
                c = lay.clauses[i]
                out.append(Undetermined(c.standard, c.version, c.id, c.cite, c.severity, c.category, c.title,
                                        c.status, per_clause[i]))
        return tuple(out)

    def _both_missing(self):
        # (decision_missing reads the clause values and given; the values from the environment)
        return self._lazy("missing_pair", lambda: decision_missing(self._layout, self._result, self._env_map()))

    def clause_keys(self) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """``("standard:clause", ...)`` of the clauses found and of those
        undetermined, each sorted: what a registry row holds (SPEC §9),
        straight from the run, without working out the missing facts."""
        return self._lazy("clause_keys", self._build_clause_keys)

    def _build_clause_keys(self) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        clauses = self._layout.clauses
        found, open_ = [], []
        for i, v in enumerate(self._result[0]):
            if v is True:
                found.append(f"{clauses[i].standard}:{clauses[i].id}")
            elif v is None:
                open_.append(f"{clauses[i].standard}:{clauses[i].id}")
        return tuple(sorted(found)), tuple(sorted(open_))

    @property
    def missing(self) -> Tuple[str, ...]:
        """Every input fact that could settle what is still unknown, sorted."""
        return self._lazy("missing", self._build_missing)

    def _build_missing(self) -> Tuple[str, ...]:
        # nothing undetermined and every decision output known: nothing is
        # missing (decision_missing would list nothing), without the environment
        if None not in self._result[0] and self._decisions_known():
            return ()
        return self._both_missing()[1]

    def _decisions_known(self) -> bool:
        """Every decision fact (``plan.decision``) has a value in the run."""
        lay = self._layout
        if lay.decision_open:
            return False
        vals = self._result[1]
        for i in lay.decision_reads:
            v = vals[i]
            if v is None or (type(v) is float and v != v):
                return False
        return True

    @property
    def major_hazard(self) -> Optional[bool]:
        """True if a major clause is found; False if none is found or
        undetermined; else None."""
        return self._lazy("major_hazard", self._build_major)

    def _build_major(self) -> Optional[bool]:
        cv = self._result[0]
        und = False
        for i in self._layout.major_at:
            v = cv[i]
            if v is True:
                return True
            if v is None:
                und = True
        return None if und else False

    @property
    def outputs(self) -> FrozenDict:
        """Every table output (None when unknown), read-only."""
        return self._lazy("outputs", lambda: FrozenDict((o, self._value(o)) for o in self._layout.outputs))

    @property
    def given(self) -> Tuple[str, ...]:
        """Table outputs the input gave (they win over the table)."""
        return self._result[2]

    @property
    def level(self) -> Any:
        return self._decided(0)

    @property
    def tier(self) -> Any:
        return self._decided(1)

    @property
    def inspection(self) -> Any:
        return self._decided(2)

    def _decided(self, what: int) -> Any:
        # what: 0 level, 1 tier, 2 inspection (Layout.decision_at)
        i = self._layout.decision_at[what]
        if i is None:
            return None
        v = self._result[1][i]
        return None if v is None or (type(v) is float and v != v) else v

    @property
    def warnings(self) -> Tuple[FrozenDict, ...]:
        """Division by zero, tables with no matching row, overlapping rows;
        then one ``family-gap`` per standard family with no edition in force
        on ``as_of`` (static plan data: unchanged on days without gaps)."""
        gaps = self._layout.gap_warnings(self.as_of)
        return self._result[3] + gaps if gaps else self._result[3]

    # -- Decision v1 (SPEC §8): computed on demand, never on the hot path -----
    @property
    def entity(self) -> FrozenDict:
        """The ``entity.id``, ``name``, ``grid``, ``status`` and ``sector``
        facts that were given, by their last path segment (empty if none)."""
        entity = self._entity
        if type(entity) is dict:
            entity = FrozenDict(entity)
            _set(self, "_entity", entity)
        return entity

    def _inputs(self) -> Dict[str, Any]:
        from safetyrules.engine.questions import inputs_of

        return inputs_of(self._layout.plan, self.env(), self.given)

    @property
    def level_range(self) -> FrozenDict:
        """``least``/``most``: the level with every undetermined clause
        counted as not found, and the decision's level."""
        return self._lazy("level_range", self._build_level_range)

    def _build_level_range(self) -> FrozenDict:
        # nothing undetermined (or no level): least is the level itself (SPEC §8)
        if None not in self._result[0] or not self._layout.plan.decision.get("level"):
            level = self.level
            return FrozenDict(least=level, most=level)
        from safetyrules.engine.questions import level_range

        return FrozenDict(level_range(self._layout.plan, self._env_map(), self.given, self.level))

    @property
    def next_questions(self) -> Tuple[FrozenDict, ...]:
        """Every fact of ``missing`` once, with the undetermined clauses it
        settles and how many of them are major, best question first."""
        return self._lazy("next_questions", self._build_questions)

    def _build_questions(self) -> Tuple[FrozenDict, ...]:
        from safetyrules.engine.questions import decision_questions

        missing = self.missing
        if not missing:
            return ()
        cv = self._result[0]
        # the questions frozen once per plan for what they depend on (questions.decision_questions)
        return decision_questions(self._layout, cv, self._both_missing()[0] if None in cv else None,
                                  self._env_map(), self.as_of, missing, self.given)

    def explanation(self) -> Dict[str, Any]:
        """The explanation as data: per clause the value of each
        sub-condition with the facts it read, which table row decided each
        output and why earlier rows did not, and what would change the
        result (see :mod:`safetyrules.engine.explain`)."""
        from safetyrules.engine.explain import explain

        return explain(self._layout.plan, self._inputs(), self.as_of, self, self.env())

    # -- output ------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready data (SPEC §4, §8)."""
        out = self._dict_v0()
        entity = self.entity
        if entity:
            out["entity"] = dict(entity)
        out["level_range"] = dict(self.level_range)
        out["next_questions"] = [
            {"fact": q["fact"], "settles": list(q["settles"]), "major": q["major"]} for q in self.next_questions
        ]
        line = self.line
        if line is not None:
            out["line"] = line
        return out

    def _dict_v0(self) -> Dict[str, Any]:
        return {
            "ruleset": {"id": self.ruleset_id, "digest": self.digest},
            "as_of": self.as_of.isoformat(),
            "findings": [f.to_dict() for f in self.findings],
            "undetermined": [u.to_dict() for u in self.undetermined],
            "major_hazard": self.major_hazard,
            "outputs": {k: jsonable(v) for k, v in sorted(self.outputs.items())},
            "given": list(self.given),
            "level": self.level,
            "tier": self.tier,
            "inspection": self.inspection,
            "warnings": [dict(w) for w in self.warnings],
            "missing": list(self.missing),
        }

    def to_json(self, indent: Optional[int] = None) -> str:
        """The decision as JSON text: sorted keys, UTF-8 characters kept."""
        if not indent:
            return self._json()
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, indent=indent,
                          separators=(",", ": ") if indent else (",", ":"))

    def _json(self) -> str:
        # exactly json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
        # separators=(",", ":")), written key by key in sorted order: the
        # findings and the ruleset from static per-layout fragments
        # (backends.pyjson), the empty lists of a complete run as constants
        lay = self._layout
        w = pyjson.writers(lay)
        cv, vals, given, warns = self._result  # a list of items as RawItems: pyjson.jsonable writes it as frozen
        scalar = pyjson.scalar
        dumps = pyjson.dumps
        as_of = self.as_of
        day = w.day(as_of)
        entity = self._entity  # a dict, or the FrozenDict made of it
        ent = ',"entity":' + pyjson.entity(entity) if entity else ""
        found = w.findings(cv, vals) if not self.has_subjects() else dumps([f.to_dict() for f in self.findings])
        given_j = dumps(list(given)) if given else "[]"
        level = self._decided(0)
        line = self._line
        line_j = "" if line is None else ',"line":' + scalar(line)
        gaps = lay.gap_warnings(as_of)
        warnings = warns + gaps if gaps else warns
        warn_j = dumps([dict(x) for x in warnings]) if warnings else "[]"
        if None not in cv and self._decisions_known():
            # a complete run: nothing undetermined, every decision output
            # known, so nothing is missing, no question is open and the
            # level range is the level itself (SPEC §4, §8)
            lj = scalar(level)
            return (f'{{"as_of":{day}{ent},"findings":{found},"given":{given_j},'
                    f'"inspection":{scalar(self._decided(2))},"level":{lj},"level_range":{{"least":{lj},"most":{lj}}}'
                    f'{line_j},"major_hazard":{"true" if self._build_major() else "false"},"missing":[],'
                    f'"next_questions":[],"outputs":{w.outputs(vals)},"ruleset":{w.ruleset},'
                    f'"tier":{scalar(self._decided(1))},"undetermined":[],"warnings":{warn_j}}}')
        lr = self.level_range
        missing = self.missing
        nq = self.next_questions
        parts = ['{"as_of":', day, ent, ',"findings":', found, ',"given":', given_j,
                 ',"inspection":', scalar(self._decided(2)), ',"level":', scalar(level),
                 ',"level_range":{"least":', scalar(lr["least"]), ',"most":', scalar(lr["most"]), "}", line_j,
                 ',"major_hazard":', scalar(self.major_hazard),
                 ',"missing":', dumps(list(missing)) if missing else "[]",
                 ',"next_questions":',
                 pyjson.questions(nq) if nq else "[]",
                 ',"outputs":', w.outputs(vals), ',"ruleset":', w.ruleset, ',"tier":', scalar(self._decided(1)),
                 ',"undetermined":', w.undetermined(cv, self._both_missing()[0]) if None in cv else "[]",
                 ',"warnings":', warn_j, "}"]
        return "".join(parts)

    def explain(self) -> str:
        """For each finding and undetermined clause, its sub-conditions with
        their values, as indented text."""
        return explain_text(self._layout, self.env(), self.findings, self.undetermined)


# the slots' own setters: the hot path (Decision._make) skips object.__setattr__'s lookup
_set_layout = Decision._layout.__set__  # type: ignore[attr-defined]
_set_result = Decision._result.__set__  # type: ignore[attr-defined]
_set_as_of = Decision.as_of.__set__  # type: ignore[attr-defined]
_set_line = Decision._line.__set__  # type: ignore[attr-defined]
_set_entity = Decision._entity.__set__  # type: ignore[attr-defined]
