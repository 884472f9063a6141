"""The decision: immutable records a person and a program can both use.

``Decision.to_dict()`` is the JSON contract of SPEC §4; ``to_json()`` gives
byte-identical text for identical input (sorted keys, stable lists).
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

__all__ = ["Finding", "Undetermined", "Decision", "jsonable"]


_PLAIN = frozenset((str, int, float, bool, type(None)))


def jsonable(value: Any) -> Any:
    """Facts → JSON-ready values (dates as ISO text)."""
    if type(value) in _PLAIN:  # the common case, without ABC checks
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    return value


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
    known facts its condition read."""

    facts: Mapping[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        return {**self._fields(), "facts": {k: jsonable(v) for k, v in sorted(self.facts.items())}}


@attrs.frozen
class Undetermined(_ClauseResult):
    """A clause that facts still missing could make a finding; ``missing``
    names them."""

    missing: Tuple[str, ...]

    def to_dict(self) -> Dict[str, Any]:
        return {**self._fields(), "missing": list(self.missing)}


@attrs.frozen
class Decision:
    """What the rules say about one entity on one date.

    ``level``, ``tier`` and ``inspection`` are the rule set's decision outputs
    (``None`` when unknown); ``major_hazard`` is True, False or None
    (undetermined); ``missing`` lists the facts that would settle what is
    still unknown.
    """

    ruleset_id: str
    digest: str
    as_of: datetime.date
    findings: Tuple[Finding, ...]
    undetermined: Tuple[Undetermined, ...]
    major_hazard: Optional[bool]
    outputs: Mapping[str, Any]
    given: Tuple[str, ...]
    level: Any
    tier: Any
    inspection: Any
    warnings: Tuple[Mapping[str, Any], ...]
    missing: Tuple[str, ...]
    _explainer: Any = attrs.field(default=None, eq=False, repr=False)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready data (SPEC §4)."""
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
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, indent=indent,
                          separators=(",", ": ") if indent else (",", ":"))

    def explain(self) -> str:
        """For each finding and undetermined clause, its sub-conditions with
        their values, as indented text."""
        if self._explainer is None:
            return "(no explanation available)"
        return self._explainer(self)
