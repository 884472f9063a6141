"""Reading a graded registry (SPEC §10; supervision.md §8.0).

A graded registry is JSON Lines, one entity per line: what ``safetyrules
evaluate --format json`` prints for a facts registry — a decision with its
``entity`` block (SPEC §8).  A line may also carry the entity as dotted facts
(``"entity.id": "E001"``) or a ``facts`` mapping, so a facts registry that was
graded elsewhere can be read too.  The fields read:

* ``entity``: ``id`` (required, unique, no newline), ``grid``, ``name``,
  ``status``, ``sector``, ``scale``, ``credit_class``,
  ``standardization_grade``, ``supervised_by``, ``high_risk_sector``,
  ``major_hazard_source``; ``outputs`` supplies derived ``entity.*`` facts;
* the decision: ``level``, ``inspection``, ``tier``, ``major_hazard``,
  ``findings``, ``undetermined``, ``ruleset``.

Every entity exposes ``facts``: a flat mapping for policy conditions
(``entity.*``, ``risk.level``, ``inspection.frequency``, ``evaluation.tier``,
``findings.major`` …).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import attrs

from .common import SupervisionError, digest_file, read_jsonl

__all__ = ["Entity", "Registry", "read_registry", "registry_from_decisions", "grade"]

LEVELS = ("red", "orange", "yellow", "blue")
STATUSES = ("active", "suspended", "closed", "relocated")  # §8.0, the vocabulary's entity.status
_ENTITY_FIELDS = (
    "id", "name", "grid", "status", "sector", "scale", "credit_class", "standardization_grade",
    "supervised_by", "high_risk_sector", "major_hazard_source", "activities",
)


@attrs.frozen(slots=True)
class Entity:
    """One graded entity of a registry."""

    id: str
    grid: Optional[str]
    level: Optional[str]
    facts: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    findings: Tuple[Mapping[str, Any], ...] = attrs.field(default=(), eq=False, repr=False)
    undetermined: Tuple[Mapping[str, Any], ...] = attrs.field(default=(), eq=False, repr=False)
    line: int = 0

    @property
    def status(self) -> Optional[str]:
        return self.facts.get("entity.status")

    @property
    def sector(self) -> Optional[str]:
        return self.facts.get("entity.sector")

    @property
    def scale(self) -> Optional[str]:
        return self.facts.get("entity.scale")

    @property
    def name(self) -> Optional[str]:
        return self.facts.get("entity.name")


@attrs.frozen
class Registry:
    """A graded registry: its entities in input order, by id, and its digest
    (SHA-256 of the file's bytes; None when built in memory)."""

    entities: Tuple[Entity, ...]
    path: Optional[str] = None
    digest: Optional[str] = None
    #: line numbers of ``{"line": N, "error": ...}`` lines (entities evaluate could not decide)
    error_lines: Tuple[int, ...] = ()
    #: lines that carry a decision (``level``, ``findings``, ``ruleset`` …); 0 for a facts registry not graded yet
    decided: Optional[int] = None
    by_id: Mapping[str, Entity] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entities})

    def __len__(self) -> int:
        return len(self.entities)


def _entity(obj: Mapping[str, Any], n: int, path: Optional[str]) -> Entity:
    # plain dict checks: this runs once per registry line (111,154 in Shenzhen)
    facts: Dict[str, Any] = {}
    inner = obj.get("facts")
    if inner is not None and isinstance(inner, dict):
        from safetyrules.dsl import flatten

        facts.update(flatten(inner))
    for k in obj:
        if "." in k:
            facts[k] = obj[k]
    outputs = obj.get("outputs")
    if outputs and isinstance(outputs, dict):
        for k, v in outputs.items():
            if k not in facts:
                facts[k] = v
    block = obj.get("entity")
    if isinstance(block, dict):
        for k, v in block.items():
            facts["entity." + k] = v
    elif block is not None:
        raise SupervisionError("'entity' must be an object", path=path, line=n, code="E-REGISTRY")
    level = obj.get("level", facts.get("risk.level"))
    for name, fact in _DECISION_FACTS:
        v = obj.get(name)
        if v is not None:
            facts[fact] = v
    if level is not None and level not in LEVELS:
        raise SupervisionError(f"level must be one of {', '.join(LEVELS)} or null, got {level!r}", path=path, line=n, code="E-REGISTRY")
    ident = facts.get("entity.id")
    if ident.__class__ is not str or not ident or "\n" in ident:
        if "error" in obj:
            raise SupervisionError("this line of the graded registry is an error line, not a decision", path=path, line=n, code="E-REGISTRY")
        raise SupervisionError("entity.id is required (a string without newlines)", path=path, line=n, code="E-REGISTRY")
    grid = facts.get("entity.grid")
    if grid is not None and grid.__class__ is not str:
        raise SupervisionError("entity.grid must be a string", path=path, line=n, code="E-REGISTRY")
    status = facts.get("entity.status")
    if status is not None and status not in STATUSES:
        # a typo ('Active') would otherwise drop the entity from the key set and the pool unseen
        raise SupervisionError(f"entity.status must be one of {', '.join(STATUSES)} or null, got {status!r}",
                               path=path, line=n, code="E-REGISTRY")
    fs = obj.get("findings")
    us = obj.get("undetermined")
    for key, v in (("findings", fs), ("undetermined", us)):
        if v is not None and not isinstance(v, list):  # a decision's lists; anything else crashed the command
            raise SupervisionError(f"{key} is a list of clauses, got {v!r}", path=path, line=n, code="E-REGISTRY")
    findings = tuple(f for f in fs if isinstance(f, dict)) if fs else ()
    undetermined = tuple(f for f in us if isinstance(f, dict)) if us else ()
    if "findings.major" not in facts:
        major = sum(1 for f in findings if f.get("severity") == "major")
        facts["findings.major"] = major
        facts["findings.general"] = len(findings) - major
    if "findings.undetermined" not in facts:
        facts["findings.undetermined"] = len(undetermined)
    if "major_hazard" in obj:
        facts["decision.major_hazard"] = obj["major_hazard"]
    day = obj.get("date") or obj.get("as_of")
    if day is not None:
        facts["decision.date"] = day
    rs = obj.get("ruleset")
    if isinstance(rs, dict) and rs.get("digest"):
        facts["decision.ruleset_digest"] = rs["digest"]
    return Entity(ident, grid, level, facts, findings, undetermined, n)


_DECISION_KEYS = ("level", "risk.level", "findings", "undetermined", "ruleset", "inspection", "inspection.frequency", "outputs")
_DECISION_FACTS = (("level", "risk.level"), ("inspection", "inspection.frequency"), ("tier", "evaluation.tier"))


def registry_from_decisions(lines: Iterable[Mapping[str, Any]], path: Optional[str] = None) -> Registry:
    """A registry from decision dicts (``Decision.to_dict()`` with its
    ``entity`` block, or the lines of a graded registry) already in memory."""
    out: List[Entity] = []
    seen: Dict[str, int] = {}
    for n, obj in enumerate(lines, 1):
        e = _entity(obj, n, path)
        if e.id in seen:
            raise SupervisionError(f"duplicate entity.id {e.id!r} (first on line {seen[e.id]})", path=path, line=n, code="E-REGISTRY")
        seen[e.id] = n
        out.append(e)
    return Registry(tuple(out), path)


def read_registry(path: str) -> Registry:
    """Read a graded registry (JSON Lines) from ``path``.

    Raises :class:`SupervisionError` at ``PATH:LINE`` for a bad line, a
    missing or duplicate ``entity.id`` or an unknown level.  The error lines
    of ``evaluate`` (entities it could not decide) are skipped and listed in
    ``error_lines``; the commands warn about them.
    """
    out: List[Entity] = []
    seen: Dict[str, int] = {}
    errors: List[int] = []
    decided = 0
    for n, obj in read_jsonl(path):
        if "error" in obj and "entity" not in obj and "level" not in obj:
            errors.append(n)  # evaluate's line for an entity it could not decide: reported, not graded
            continue
        if any(k in obj for k in _DECISION_KEYS):
            decided += 1
        e = _entity(obj, n, path)
        if e.id in seen:
            raise SupervisionError(f"duplicate entity.id {e.id!r} (first on line {seen[e.id]})", path=path, line=n, code="E-REGISTRY")
        seen[e.id] = n
        out.append(e)
    return Registry(tuple(out), path, digest_file(path), tuple(errors), decided)


def grade(facts_iter: Iterable[Mapping[str, Any]], rules: Any, as_of: Any = None) -> Registry:
    """Grade facts records with ``rules`` into a registry: each decision gets
    its ``entity`` block from the ``entity.*`` facts, and each finding its
    item ``subjects`` (lists that declare ``key:``), ``provenance`` and
    ``finding_ids`` (:func:`safetyrules.supervision.checklist.annotate`)."""
    from safetyrules.dsl import flatten

    from .checklist import annotate

    lines = []
    for facts in facts_iter:
        flat = flatten(dict(facts))
        declared = {k: v for k, v in flat.items() if k in rules.vocabulary}
        d = annotate(rules, flat, rules.evaluate(declared, as_of=as_of).to_dict())
        ent = dict(d.get("entity") or {})
        for k, v in flat.items():
            if k.startswith("entity.") and k.count(".") == 1 and isinstance(v, (str, bool, int)):
                ent.setdefault(k.split(".", 1)[1], v)
        d["entity"] = ent
        lines.append(d)
    return registry_from_decisions(lines)
