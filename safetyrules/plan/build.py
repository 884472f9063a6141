"""Linked rule files → the frozen :class:`~safetyrules.plan.model.Plan`.

``load_plan(path)`` is the whole front half of the pipeline: find and read
the files, build records, link and check them, and freeze the result.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
from typing import Any, Dict, List, Mapping, Optional

import attrs

from safetyrules.dsl.types import FactSpec
from safetyrules.frozen import FrozenDict, freeze
from safetyrules.plan.link import LinkedClause, LinkedTable, load_parts
from safetyrules.plan.model import (
    Edition,
    Plan,
    PlanClause,
    PlanExample,
    PlanExpr,
    PlanRow,
    PlanStandard,
    PlanTable,
    Position,
    make_provenance,
)

__all__ = ["load_plan", "build_plan", "freeze_spec", "without_gc"]


def freeze_spec(spec: FactSpec) -> FactSpec:
    """A FactSpec whose title, values and item fields are immutable."""
    item = None
    if spec.item is not None:
        item = FrozenDict((k, freeze_spec(v)) for k, v in spec.item.items())
    return attrs.evolve(
        spec,
        values=tuple(spec.values) if spec.values is not None else None,
        item=item,
        title=FrozenDict(spec.title) if spec.title is not None else None,
    )


def _pos(path: str, loc: Any) -> Position:
    return Position(path or "", getattr(loc, "line", 1) or 1, getattr(loc, "column", 1) or 1)


def _expr(expr: Any, node: Any) -> Optional[PlanExpr]:
    if expr is None or node is None:
        return None
    return PlanExpr(expr.text, node, _pos(expr.path, expr.loc), expr.mapper)


def _examples(items) -> tuple:
    return tuple(
        PlanExample(ex.name, freeze(dict(ex.facts or {})), freeze(ex.expect), _pos(ex.path, ex.loc), ex.index)
        for ex in items
    )


def _raw_clauses(doc: Any) -> Dict[Any, Any]:
    """Clause id → its raw mapping in a standard's document (for the
    provenance header fields, which the source records do not carry)."""
    data = doc.data if doc is not None and isinstance(doc.data, Mapping) else {}
    return {c.get("id"): c for c in (data.get("clauses") or ()) if isinstance(c, Mapping)}


def _clause(lc: LinkedClause, applies: Optional[PlanExpr], head: Any = None, raw: Any = None) -> PlanClause:
    s, c = lc.standard, lc.clause
    prov = make_provenance(head, raw.get(c.id) or {}) if head is not None and raw is not None else None
    return PlanClause(
        standard=s.id,
        version=s.version,
        id=c.id,
        cite=c.cite,
        severity=c.severity,
        category=c.category,
        title=FrozenDict(c.title or {}),
        status=c.status,
        source=c.source,
        note=c.note,
        when=_expr(c.when, lc.when),
        unless=_expr(c.unless, lc.unless),
        applies=applies,
        examples=_examples(c.examples),
        position=_pos(s.path, c.loc),
        provenance=prov,
    )


def _table(lt: LinkedTable, spec: Optional[FactSpec], docs) -> PlanTable:
    t = lt.table
    doc = docs.get(id(t))
    rows_pos = _pos(t.path, doc.loc(("rows",))) if doc is not None else _pos(t.path, t.loc)
    rows = tuple(
        PlanRow(r.id, _expr(r.when, node), freeze(r.then), r.cite, FrozenDict(r.title or {}), _pos(t.path, r.loc))
        for r, node in zip(t.rows, lt.rows)
    )
    return PlanTable(
        id=t.id,
        output=t.output,
        hit=t.hit,
        rows=rows,
        default=freeze(t.default),
        has_default=t.has_default,
        output_values=tuple(spec.values) if spec is not None and spec.values else None,
        reads=tuple(lt.reads),
        after_standards=lt.needs_findings,
        version=t.version,
        title=FrozenDict(t.title or {}),
        document=t.document,
        source=t.source,
        status=t.status,
        examples=_examples(t.examples),
        position=_pos(t.path, t.loc),
        rows_position=rows_pos,
        warn_code=t.warn_code,
        warn_message=t.warn_message,
    )


def _frozen_type(name: str, value: Any, vocab, facts: FrozenDict) -> Any:
    """A type of the plan: a vocabulary's FactSpec is frozen once, for
    ``facts``, and shared."""
    if not isinstance(value, FactSpec):
        return value
    if vocab.get(name) is value:
        return facts[name]
    return freeze_spec(value)


def build_plan(manifest, records, linker, linked, digest: str, base: str) -> Plan:
    """Freeze the linker's output into a :class:`Plan`."""
    types, pre, clauses, post, _by_output = linked
    facts = FrozenDict((name, freeze_spec(spec)) for name, spec in linker.vocab.items())
    by_std: Dict[str, List[LinkedClause]] = {}
    for lc in clauses:
        by_std.setdefault(lc.standard.id, []).append(lc)
    docs = {id(rec): doc for rec, doc in records}
    standards = []
    for s in sorted(linker.standards, key=lambda s: s.id):
        lcs = by_std.get(s.id, [])
        sdoc = docs.get(id(s))
        head = sdoc.data if sdoc is not None and isinstance(sdoc.data, Mapping) else None
        raw = _raw_clauses(sdoc) if head is not None else None
        applies = _expr(s.applies_when, lcs[0].applies) if lcs and s.applies_when is not None else None
        standards.append(
            PlanStandard(
                id=s.id,
                version=s.version,
                title=FrozenDict(s.title or {}),
                document=s.document,
                source=s.source,
                status=s.status,
                effective_from=s.effective_from,
                effective_until=s.effective_until,
                supersedes=tuple(s.supersedes),
                applies_when=applies,
                clauses=tuple(_clause(lc, applies, head, raw) for lc in lcs),
                position=_pos(s.path, s.loc),
                family=s.family or s.id,
            )
        )
    editions = tuple(
        sorted(
            (
                Edition(st.family or st.id, st.id, st.effective_from, st.effective_until, tuple(st.supersedes))
                for st in standards
            ),
            key=lambda e: (e.family, e.effective_from or datetime.date.min, e.standard),
        )
    )
    tables = tuple(_table(lt, linker.vocab.get(lt.table.output), docs) for lt in list(pre) + list(post))
    if manifest is not None:
        pid = manifest.id
        title = FrozenDict(manifest.title or {})
        decision = FrozenDict(manifest.decision or {})
        mpos: Optional[Position] = _pos(manifest.path, manifest.loc)
    else:
        pid = os.path.basename(os.path.abspath(base)) or "rules"
        # A directory of rule files without a manifest: the core vocabulary's
        # decision facts (SPEC §7) are the level, tier and inspection when it
        # declares them, as the bundled manifest maps them.
        decision = FrozenDict((role, fact) for role, fact in DEFAULT_DECISION if fact in linker.vocab)
        title, mpos = FrozenDict(), None
    origins = FrozenDict((n, _pos(p, loc)) for n, (p, loc) in linker.vocab_origin.items())
    return Plan(
        id=pid,
        title=title,
        digest=digest,
        facts=facts,
        types=FrozenDict((k, _frozen_type(k, v, linker.vocab, facts)) for k, v in types.items()),
        tables=tables,
        standards=tuple(standards),
        decision=decision,
        vocabularies=tuple((v.id, _pos(v.path, v.loc)) for v in linker.vocabularies),
        fact_origins=origins,
        manifest=mpos,
        editions=editions,
    )


DEFAULT_DECISION = (("level", "risk.level"), ("tier", "evaluation.tier"), ("inspection", "inspection.frequency"))


def load_plan(path: Optional[str] = None, *, allow_outside_includes: Optional[bool] = None):
    """Read, check and link the rule set at ``path`` → ``(plan, base)``.

    Raises :class:`~safetyrules.errors.RuleSetError` listing every error.
    ``allow_outside_includes``: see :func:`~safetyrules.plan.link.load_parts`."""
    with without_gc():
        manifest, records, linker, linked, digest, base = load_parts(path, allow_outside_includes=allow_outside_includes)
        return build_plan(manifest, records, linker, linked, digest, base), base


@contextlib.contextmanager
def without_gc():
    """No cyclic garbage collection while a rule set is read and planned.

    Loading makes some hundred thousand objects that all live on (positions,
    records, AST nodes); each collection on the way walks them again, for
    nothing: a tenth of the load's time.  Collection is turned back on after
    (only if it was on before: a caller's own ``gc.disable()`` is kept); the
    garbage of the load, if any, is collected at the next collection.

    Before it is turned back on, what the load made goes straight to the
    oldest generation (``gc.freeze()`` then ``gc.unfreeze()``, two list
    moves): otherwise the first collection after it walks all of it again
    (about 10 ms), only to find it alive.  Skipped when the process has
    frozen objects of its own (unfreezing would thaw them too)."""
    was = gc.isenabled()
    if was:
        gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
