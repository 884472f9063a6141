"""Overlay provenance (supervision.md §8.5): where each inspection item comes
from, and the lint checks that follow from "a check needs a published legal
basis" (DR-58-1, DR-EM-6, DR-EM-7).

Provenance fields sit on a standard (inherited by its clauses) or on a clause:
``layer``, ``authority``, ``doc_no``, ``published``, ``scope``, ``kind`` (on a
standard ``item_kind``), ``basis``, ``snapshot`` and ``review_by``.  They are
read from the rule files themselves (the plan does not carry them), so this
module needs only a loaded rule set.

Checks (codes in :mod:`safetyrules.authoring.codes`):

* ``L-PROV-MISSING``: an ``enforcement`` item that declares provenance (a layer
  or a kind) without ``authority``, ``doc_no``, ``published`` or ``basis``;
* ``L-PROV-UNPUBLISHED``: with ``as_of``, an item used before ``published``;
* ``L-PROV-STALE``: a ``basis`` names a standard superseded more than 30 days
  before ``as_of`` (Liaoning: adjustment starts within 1 month), or
  ``review_by`` has passed;
* ``L-PROV-WEAKENS``: a local standard supersedes a national one (local items
  may add or tighten, never loosen); and, in an overlay (:func:`check_overlay`),
  an own standard that declares no layer superseding an inherited one, or an
  own table deriving a fact the inherited rule set takes as input (it masks
  the clauses that read it).

Bundled national standards that declare nothing have layer ``None`` (shown as
``undeclared``): the project does not claim a layer a text does not state.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

__all__ = ["FIELDS", "clause_provenance", "list_keys", "check", "check_overlay", "LAYERS"]

LAYERS = ("national", "provincial", "municipal", "district", "street", "grid")
FIELDS = ("layer", "authority", "doc_no", "published", "scope", "kind", "basis", "snapshot", "review_by")
STALE_DAYS = 30

_cache: Dict[Tuple[str, float], Any] = {}


def _doc(path: str):
    import os

    from safetyrules.source.loader import load_yaml

    try:
        key = (path, os.path.getmtime(path))
    except OSError:
        return None
    d = _cache.get(key)
    if d is None:
        with open(path, encoding="utf-8") as fh:
            d = _cache[key] = load_yaml(fh.read(), path)
    return d


def _iso(v: Any) -> Optional[str]:
    return v.isoformat() if hasattr(v, "isoformat") else (str(v) if v is not None else None)


def clause_provenance(rules) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """``(standard id, clause id)`` → provenance (clause fields over the
    standard's), with ``path``/``line`` of the clause for messages."""
    out: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for s in rules.plan.standards:
        doc = _doc(s.position.path)
        data = doc.data if doc is not None and isinstance(doc.data, Mapping) else {}
        head = {k: data.get(k) for k in FIELDS if k != "kind"}
        head["kind"] = data.get("item_kind")
        by_id = {c.get("id"): (i, c) for i, c in enumerate(data.get("clauses") or ()) if isinstance(c, Mapping)}
        for c in s.clauses:
            i, raw = by_id.get(c.id, (None, {}))
            p = dict(head)
            for k in FIELDS:
                if raw.get(k) is not None:
                    p[k] = raw[k]
            p["published"] = _iso(p.get("published"))
            p["review_by"] = _iso(p.get("review_by"))
            p["declared"] = any(p.get(k) is not None for k in ("layer", "kind"))
            p["kind"] = p.get("kind") or "enforcement"
            p["path"] = s.position.path
            p["line"] = doc.loc(("clauses", i)).line if (doc is not None and i is not None) else c.position.line
            p["standard_layer"] = head.get("layer")
            out[(s.id, c.id)] = p
    return out


def list_keys(rules) -> Dict[str, str]:
    """List fact → the item field its vocabulary declares as ``key:``."""
    return {name: spec.key for name, spec in rules.plan.facts.items()
            if getattr(spec, "type", None) == "list" and getattr(spec, "key", None)}


def _superseded_on(rules) -> Dict[str, datetime.date]:
    """Standard id → the date a later edition superseding it came into force."""
    out: Dict[str, datetime.date] = {}
    for s in rules.plan.standards:
        for old in s.supersedes:
            if s.effective_from is not None and (old not in out or s.effective_from < out[old]):
                out[old] = s.effective_from
    return out


def check(rules, as_of: Optional[datetime.date] = None) -> List[Any]:
    """The provenance lint warnings of a rule set (``LintWarning`` records)."""
    from safetyrules.authoring.codes import LintWarning

    prov = clause_provenance(rules)
    layer_of = {s.id: prov.get((s.id, s.clauses[0].id), {}).get("standard_layer") for s in rules.plan.standards if s.clauses}
    superseded = _superseded_on(rules)
    out: List[LintWarning] = []
    for (sid, cid), p in sorted(prov.items()):
        where = {"path": p["path"], "line": p["line"], "column": 1}
        if p["declared"] and p["kind"] == "enforcement":
            missing = [k for k in ("authority", "doc_no", "published", "basis") if not p.get(k)]
            if missing:
                out.append(LintWarning("L-PROV-MISSING", f"enforcement item {sid}:{cid} has no {', '.join(missing)}: a check needs a published legal basis (DR-58-1)", **where))
        if as_of is not None and p.get("published") and as_of.isoformat() < p["published"]:
            out.append(LintWarning("L-PROV-UNPUBLISHED", f"item {sid}:{cid} is published on {p['published']}, after {as_of}: it cannot be used before it is published", **where))
        if as_of is not None:
            if p.get("review_by") and as_of.isoformat() > p["review_by"]:
                out.append(LintWarning("L-PROV-STALE", f"item {sid}:{cid} was due for review by {p['review_by']}", **where))
            for b in p.get("basis") or ():
                std = b.get("standard") if isinstance(b, Mapping) else None
                when = superseded.get(std) if std else None
                if when is not None and (as_of - when).days > STALE_DAYS:
                    out.append(LintWarning("L-PROV-STALE", f"item {sid}:{cid} rests on {std}, superseded on {when}, more than {STALE_DAYS} days before {as_of}", **where))
    for s in rules.plan.standards:
        lay = layer_of.get(s.id)
        if lay in LAYERS[1:]:
            doc = _doc(s.position.path)
            for i, old in enumerate(s.supersedes):
                if layer_of.get(old) in (None, "national"):
                    at = doc.loc(("effective", "supersedes", i)) if doc is not None else s.position  # the entry, not the file
                    out.append(LintWarning(
                        "L-PROV-WEAKENS",
                        f"{lay} standard {s.id} supersedes the national standard {old}: local items may add or tighten, never replace national ones",
                        path=s.position.path, line=at.line, column=at.column,
                    ))
    return out


def check_overlay(rules, own) -> List[Any]:
    """``L-PROV-WEAKENS`` for an overlay (a rule set that ``extends:`` another),
    given the absolute paths of its own files: an own standard that declares
    no layer (a declared local one is :func:`check`'s) superseding an
    inherited standard drops the inherited clauses; an own table deriving a
    fact that an inherited vocabulary declares and inherited rules read as
    input masks the clauses that read it (supervision.md §8.5: "an overlay
    masks, removes or loosens a national clause")."""
    import os

    from safetyrules.authoring.codes import LintWarning

    if not own:
        return []
    mine = lambda pos: pos is not None and pos.path is not None and os.path.abspath(pos.path) in own  # noqa: E731
    inherited = {s.id for s in rules.plan.standards if not mine(s.position)}
    prov = clause_provenance(rules)
    out: List[Any] = []
    for s in rules.plan.standards:
        if not mine(s.position) or not s.clauses or prov.get((s.id, s.clauses[0].id), {}).get("standard_layer") is not None:
            continue
        doc = _doc(s.position.path)
        for i, old in enumerate(s.supersedes):
            if old in inherited:
                at = doc.loc(("effective", "supersedes", i)) if doc is not None else s.position
                out.append(LintWarning(
                    "L-PROV-WEAKENS",
                    f"overlay standard {s.id} supersedes the inherited standard {old}, dropping its clauses: "
                    "an overlay may add or tighten, never replace them (declare layer: national for a national edition)",
                    path=s.position.path, line=at.line, column=at.column,
                ))
    read: Dict[str, str] = {}
    for c in rules.plan.clauses:
        if not mine(c.position):
            for f in c.reads:
                read.setdefault(f, f"clause {c.standard}:{c.id}")
    for t in rules.plan.tables:
        if not mine(t.position):
            for f in t.reads:
                read.setdefault(f, f"table {t.id}")
    origins = rules.plan.fact_origins or {}
    for t in rules.plan.tables:
        if not mine(t.position) or t.output not in read or mine(origins.get(t.output)):
            continue
        doc = _doc(t.position.path)
        at = doc.loc(("output",)) if doc is not None else t.position
        out.append(LintWarning(
            "L-PROV-WEAKENS",
            f"overlay table {t.id} derives {t.output}, an input fact of the inherited rules ({read[t.output]} reads it): "
            "it masks the clauses that read it; an overlay may add or tighten, never replace them",
            path=t.position.path, line=at.line, column=at.column,
        ))
    return out


def in_scope(p: Mapping[str, Any], facts: Mapping[str, Any]) -> Optional[bool]:
    """Whether an entity is inside an item's ``scope`` (division codes or
    grid ids); True when the item has no scope, None when the entity's
    division and grid are unknown."""
    scope = p.get("scope")
    if not scope:
        return True
    vals = [facts.get("entity.grid"), facts.get("entity.division")]
    if all(v is None for v in vals):
        return None
    return any(v is not None and (v in scope or any(str(v).startswith(str(s)) for s in scope if str(s).isdigit())) for v in vals)
