"""The plan of a rule set: one frozen description every later stage reads.

``link`` checks and orders the rule files; :func:`build_plan` turns the result
into a :class:`Plan`: the declared facts, the tables in dependency order, the
standards with each clause's condition built once, and everything a decision
or a report shows about a clause (citation, title, status) as static data.
The engine, the code generators, the authoring tools and the service read
only this public API.  ``Plan.specialise(as_of)`` gives the plan of one day:
standards not in force that day are absent, so they neither run nor warn.

A plan serialises to JSON and back (``to_json`` / ``from_json``) with
byte-stable output; see :mod:`safetyrules.plan.serialise`.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple

import attrs

from safetyrules.dsl import ast as A
from safetyrules.dsl.types import BOOL, FactSpec
from safetyrules.frozen import EMPTY, FrozenDict
from safetyrules.source.model import in_effect

__all__ = [
    "Position",
    "PlanExpr",
    "PlanExample",
    "PlanClause",
    "PlanStandard",
    "PlanRow",
    "PlanTable",
    "Plan",
    "FINDINGS_FACTS",
    "PROVENANCE_FIELDS",
    "PROVENANCE_KEYS",
    "Edition",
    "FamilyGap",
    "family_gaps",
    "family_gap_warnings",
    "combine",
    "make_provenance",
]

#: the header fields of supervision.md §8.5 a standard or clause may declare
#: (on a standard the kind is ``item_kind``); declaring any of them gives the
#: clause a ``provenance`` (:attr:`PlanClause.provenance`)
PROVENANCE_FIELDS = ("layer", "authority", "doc_no", "published", "scope", "kind", "basis", "snapshot", "review_by")
#: the keys of a finding's ``provenance`` object, in order
PROVENANCE_KEYS = ("layer", "authority", "doc_no", "kind")

FINDINGS_FACTS = ("findings.major", "findings.general", "findings.undetermined", "findings.major_undetermined")


@attrs.frozen
class Position:
    """Where something was written: ``path`` as loaded, 1-based line/column."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def _no_mapper(line: int, column: int):  # pragma: no cover - trivial
    return None


@attrs.frozen
class PlanExpr:
    """A checked expression with its text and where it stands in its file.

    ``locate(line, column)`` maps a position inside the expression text to a
    ``Position`` in the file (exact for plans built from files; the
    expression's start for plans read back from JSON)."""

    text: str
    node: A.Node
    position: Position
    mapper: Any = attrs.field(default=None, eq=False, repr=False, hash=False)

    def __reduce__(self):
        # the mapper is a view of the source file; it does not travel
        return (PlanExpr, (self.text, self.node, self.position))

    def written(self) -> A.Node:
        """The expression as the author wrote it (parsed, unchecked: literals
        and units as written, for diffs and reference pages)."""
        from safetyrules.dsl.syntax import parse

        return parse(self.text)

    def locate(self, line: int, column: int) -> Position:
        if self.mapper is not None:
            loc = self.mapper(line, column)
            if loc is not None:
                return Position(self.position.path, loc.line, loc.column)
        return self.position


@attrs.frozen
class PlanExample:
    """One ``examples:`` entry: facts (deeply frozen), the expectation, where."""

    name: Optional[str]
    facts: FrozenDict
    expect: Any
    position: Position
    index: int


def combine(applies: Optional[A.Node], when: A.Node, unless: Optional[A.Node]) -> A.Node:
    """``applies_when and when and not unless`` (Kleene), as one checked node.

    The one place a clause's condition is built: the engine, the examples
    runner, coverage and the code generators all read the result."""
    parts = []
    if applies is not None:
        parts.append(applies)
    parts.append(when)
    if unless is not None:
        parts.append(A.Not(unless, span=unless.span, ty=BOOL))
    if len(parts) == 1:
        return parts[0]
    return A.And(tuple(parts), span=when.span, ty=BOOL)


def _check_provenance(value: Any) -> None:
    """A clause's provenance is None or ``{layer, authority, doc_no, kind}``
    with text or None values (checked again when a plan is read back)."""
    if value is None:
        return
    if not isinstance(value, FrozenDict) or tuple(value) != PROVENANCE_KEYS:
        raise ValueError(f"a clause's provenance must be a FrozenDict of {', '.join(PROVENANCE_KEYS)}")
    for k, v in value.items():
        if v is not None and type(v) is not str:
            raise ValueError(f"a clause's provenance {k} must be text or null, not {type(v).__name__}")


def make_provenance(standard: Mapping[str, Any], clause: Mapping[str, Any]) -> Optional[FrozenDict]:
    """The provenance of a clause from the raw header fields of its standard
    and of itself (clause fields win; on a standard the kind is
    ``item_kind``), or None when neither declares any
    :data:`PROVENANCE_FIELDS`.  Undeclared keys are None, except ``kind``,
    which is ``enforcement`` when not declared (as the provenance lint and
    ``checklist`` read it)."""
    head = {k: standard.get("item_kind" if k == "kind" else k) for k in PROVENANCE_FIELDS}
    if all(v is None for v in head.values()) and all(clause.get(k) is None for k in PROVENANCE_FIELDS):
        return None
    merged = {k: (clause.get(k) if clause.get(k) is not None else head[k]) for k in PROVENANCE_KEYS}
    if merged["kind"] is None:
        merged["kind"] = "enforcement"
    return FrozenDict((k, None if merged[k] is None else str(merged[k])) for k in PROVENANCE_KEYS)


@attrs.frozen
class PlanClause:
    """One clause of one standard, with its condition built once."""

    standard: str
    version: Optional[str]
    id: str
    cite: Optional[str]
    severity: str
    category: Optional[str]
    title: FrozenDict
    status: str
    source: Optional[str]
    note: Optional[str]
    when: PlanExpr
    unless: Optional[PlanExpr]
    applies: Optional[PlanExpr]
    examples: Tuple[PlanExample, ...]
    position: Position
    #: where the clause's item comes from (supervision.md §8.5): a FrozenDict
    #: ``{layer, authority, doc_no, kind}`` (clause fields over its
    #: standard's; undeclared ones None, ``kind`` ``enforcement`` when not
    #: declared), or None when neither the clause nor its standard declares a
    #: provenance field (:data:`PROVENANCE_FIELDS`).  Static data: a
    #: decision's findings show it as ``provenance``.
    provenance: Optional[FrozenDict] = attrs.field(default=None, kw_only=True, validator=lambda i, a, v: _check_provenance(v))
    #: ``applies_when and when and not unless``
    condition: A.Node = attrs.field(init=False, eq=False, hash=False)
    #: ``when and not unless`` (the clause's own condition, what examples test)
    own_condition: A.Node = attrs.field(init=False, eq=False, hash=False)
    #: the facts ``when``/``unless`` read (a finding's ``facts``), in order
    reads: Tuple[str, ...] = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        from safetyrules.dsl.ast import fact_paths

        w = self.when.node
        u = self.unless.node if self.unless is not None else None
        a = self.applies.node if self.applies is not None else None
        object.__setattr__(self, "condition", combine(a, w, u))
        object.__setattr__(self, "own_condition", combine(None, w, u))
        reads = fact_paths(w) + (fact_paths(u) if u is not None else ())
        object.__setattr__(self, "reads", tuple(dict.fromkeys(reads)))

    @property
    def key(self) -> str:
        """``standard:clause``, the id used in registry output and reports."""
        return f"{self.standard}:{self.id}"


@attrs.frozen
class PlanStandard:
    """A judgment standard: metadata, effective dates, its clauses."""

    id: str
    version: Optional[str]
    title: FrozenDict
    document: Optional[str]
    source: Optional[str]
    status: str
    effective_from: Optional[datetime.date]
    effective_until: Optional[datetime.date]
    supersedes: Tuple[str, ...]
    applies_when: Optional[PlanExpr]
    clauses: Tuple[PlanClause, ...]
    position: Position
    #: the lineage this standard is an edition of (``family:``, else its id)
    family: Optional[str] = None

    def in_force(self, day: datetime.date) -> bool:
        """True when ``day`` is inside ``effective`` (from inclusive, until exclusive)."""
        return in_effect(day, self.effective_from, self.effective_until)


@attrs.frozen
class PlanRow:
    """One table row: its checked condition (None if it failed to check) and output."""

    id: Optional[str]
    when: Optional[PlanExpr]
    then: Any
    cite: Optional[str]
    title: FrozenDict
    position: Position


@attrs.frozen
class PlanTable:
    """A decision table deriving one output fact."""

    id: str
    output: str
    hit: str
    rows: Tuple[PlanRow, ...]
    default: Any
    has_default: bool
    #: the output's declared enum values (priority / collect order), or None
    output_values: Optional[Tuple[Any, ...]]
    #: every fact the rows read, in order
    reads: Tuple[str, ...]
    #: True when the table reads findings (directly or through another table)
    after_standards: bool
    version: Optional[str]
    title: FrozenDict
    document: Optional[str]
    source: Optional[str]
    status: str
    examples: Tuple[PlanExample, ...]
    position: Position
    #: where the ``rows:`` key stands (gaps are reported there)
    rows_position: Optional[Position] = None
    #: ``warn:`` of a collect table: each collected value is also a decision
    #: warning with this code and message (``{value}`` = the value); see
    #: :func:`safetyrules.backends.tables.collect_warnings`
    warn_code: Optional[str] = None
    warn_message: Optional[str] = None

    @property
    def conditions(self) -> Tuple[Optional[A.Node], ...]:
        """The checked row conditions, in row order."""
        return tuple(r.when.node if r.when is not None else None for r in self.rows)


@attrs.frozen
class Plan:
    """The whole checked, ordered rule set; deeply immutable and hashable.

    ``as_of`` is None for the plan of every day, or the day it was
    specialised to (then ``standards`` holds only those in force)."""

    id: str
    title: FrozenDict
    digest: str
    facts: FrozenDict  # name -> FactSpec (declared and builtin)
    types: FrozenDict  # name -> dsl Type the checker used (collect tables give lists)
    tables: Tuple[PlanTable, ...]  # dependency order
    standards: Tuple[PlanStandard, ...]  # sorted by id
    decision: FrozenDict  # level/tier/inspection -> fact
    vocabularies: Tuple[Tuple[str, Position], ...] = ()
    fact_origins: FrozenDict = EMPTY  # name -> Position of its declaration
    as_of: Optional[datetime.date] = None
    manifest: Optional[Position] = None
    #: every edition of every family, kept when the plan is specialised:
    #: ``(family, standard id, from, until, supersedes)`` sorted by family, from, id
    editions: Tuple["Edition", ...] = ()

    # -- lookups ---------------------------------------------------------
    @property
    def clauses(self) -> Tuple[PlanClause, ...]:
        """Every clause, standards in id order, clauses in file order."""
        return tuple(c for s in self.standards for c in s.clauses)

    @property
    def tables_before(self) -> Tuple[PlanTable, ...]:
        """Tables that need only facts (run before the standards)."""
        return tuple(t for t in self.tables if not t.after_standards)

    @property
    def tables_after(self) -> Tuple[PlanTable, ...]:
        """Tables that read findings (run after the standards)."""
        return tuple(t for t in self.tables if t.after_standards)

    def table_for(self, output: str) -> Optional[PlanTable]:
        """The table that derives ``output``, or None."""
        for t in self.tables:
            if t.output == output:
                return t
        return None

    @property
    def outputs(self) -> Tuple[str, ...]:
        """The derived facts, in dependency order."""
        return tuple(t.output for t in self.tables)

    def standard(self, sid: str) -> Optional[PlanStandard]:
        for s in self.standards:
            if s.id == sid:
                return s
        return None

    def clause(self, standard: str, clause: str) -> Optional[PlanClause]:
        s = self.standard(standard)
        if s is None:
            return None
        for c in s.clauses:
            if c.id == clause:
                return c
        return None

    def input_facts(self) -> Tuple[str, ...]:
        """Declared facts an entity can give (not builtin, sorted)."""
        return tuple(
            sorted(
                n for n, spec in self.facts.items() if n not in FINDINGS_FACTS and n != "as_of"
            )
        )

    def iter_conditions(self) -> Iterator[Tuple[str, A.Node]]:
        """(label, node) for every checked condition: table rows and clauses."""
        for t in self.tables:
            for i, r in enumerate(t.rows):
                if r.when is not None:
                    yield f"{t.id}#{r.id or i + 1}", r.when.node
        for c in self.clauses:
            yield c.key, c.condition

    # -- editions by date ----------------------------------------------------
    def family_gaps(self, day: datetime.date) -> Tuple["FamilyGap", ...]:
        """The families with no edition in force on ``day`` although an
        earlier edition has ended (by ``until`` or because it was superseded
        by an edition that itself ended): e.g. ``fire`` after GB 35181-2017
        ended on 2025-11-01 while the 2025 edition is not bundled.

        A family whose first edition has not started yet is no gap: the
        bundled set never had it.  Static data: the same for every entity."""
        return family_gaps(self.editions, day)

    # -- specialisation ----------------------------------------------------
    def in_force(self, day: datetime.date) -> Tuple[str, ...]:
        """Ids of the standards that apply on ``day``: inside their effective
        range and not superseded by another standard in force that day."""
        active = [s for s in self.standards if s.in_force(day)]
        superseded = {x for s in active for x in s.supersedes}
        return tuple(s.id for s in active if s.id not in superseded)

    def specialise(self, as_of: datetime.date) -> "Plan":
        """The plan of one day: standards not in force are absent."""
        keep = set(self.in_force(as_of))
        return attrs.evolve(self, standards=tuple(s for s in self.standards if s.id in keep), as_of=as_of)

    # -- serialisation -------------------------------------------------------
    def to_json(self) -> str:
        """Canonical JSON (byte-stable for the same plan)."""
        from safetyrules.plan.serialise import dumps

        return dumps(self, plan_records())

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        """Read back a plan written by :meth:`to_json` (raises ``SafetyRulesError``)."""
        from safetyrules.plan.serialise import loads

        plan = loads(text, plan_records())
        if not isinstance(plan, Plan):
            from safetyrules.errors import SafetyRulesError

            raise SafetyRulesError("not a safetyrules plan")
        return plan


@attrs.frozen
class Edition:
    """One edition of a standard family, for :meth:`Plan.family_gaps`."""

    family: str
    standard: str
    effective_from: Optional[datetime.date]
    effective_until: Optional[datetime.date]
    supersedes: Tuple[str, ...] = ()

    def in_force(self, day: datetime.date) -> bool:
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until


@attrs.frozen
class FamilyGap:
    """A family with no edition in force on a day; ``last`` is the edition that
    ended most recently before it, ``ended`` its ``until`` date, ``next_from``
    the start of the next bundled edition (None when none is bundled)."""

    family: str
    last: str
    ended: datetime.date
    next_from: Optional[datetime.date] = None

    def message(self, day: datetime.date) -> str:
        later = (
            f"the next bundled edition starts on {self.next_from.isoformat()}"
            if self.next_from is not None
            else "no later edition is bundled"
        )
        return (
            f"no edition of the standard family '{self.family}' is in force on {day.isoformat()}: "
            f"the last one, {self.last}, ended on {self.ended.isoformat()} and {later}; "
            f"no clause of this family was checked"
        )

    def to_warning(self, day: datetime.date) -> Dict[str, Any]:
        """The decision warning (code ``family-gap``)."""
        return {
            "code": "family-gap",
            "severity": "warning",
            "family": self.family,
            "standard": self.last,
            "ended": self.ended.isoformat(),
            "message": self.message(day),
        }


@functools.lru_cache(maxsize=256)
def family_gap_warnings(editions: Tuple[Edition, ...], day: datetime.date) -> Tuple[FrozenDict, ...]:
    """The decision warnings (code ``family-gap``) of ``day``: one per family
    with no edition in force, in family order; ``()`` on days without gaps.
    Cached: the same for every entity of a rule set and day."""
    return tuple(FrozenDict(g.to_warning(day)) for g in family_gaps(editions, day))


def family_gaps(editions: Tuple[Edition, ...], day: datetime.date) -> Tuple[FamilyGap, ...]:
    """See :meth:`Plan.family_gaps`: families (sorted) with no edition in force on ``day``."""
    by_family: Dict[str, list] = {}
    for e in editions:
        by_family.setdefault(e.family, []).append(e)
    active = [e for e in editions if e.in_force(day)]
    superseded = {x for e in active for x in e.supersedes}
    out = []
    for fam in sorted(by_family):
        eds = by_family[fam]
        if any(e.in_force(day) and e.standard not in superseded for e in eds):
            continue
        ended = [e for e in eds if e.effective_until is not None and e.effective_until <= day]
        if not ended:
            continue  # not started yet, or only superseded by an edition in force elsewhere
        last = max(ended, key=lambda e: (e.effective_until, e.standard))
        later = sorted(e.effective_from for e in eds if e.effective_from is not None and e.effective_from > day)
        out.append(FamilyGap(fam, last.standard, last.effective_until, later[0] if later else None))
    return tuple(out)


def plan_records() -> Tuple[type, ...]:
    """Every attrs record class defined in this module: the plan's own
    classes a plan file may name.  Passed to :mod:`~safetyrules.plan.serialise`
    by :meth:`Plan.to_json` / :meth:`Plan.from_json` (so the codec never
    imports this module: no import cycle), and found here, so a record added
    to the plan is serialisable without a second list to keep in step."""
    return tuple(
        v for v in list(globals().values()) if isinstance(v, type) and attrs.has(v) and v.__module__ == __name__
    )


def fact_spec_values(spec: FactSpec) -> Optional[Tuple[Any, ...]]:
    return tuple(spec.values) if spec is not None and spec.values else None


MapperFn = Callable[[int, int], Any]
