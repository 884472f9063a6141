"""The hazard ledger: an append-only JSON Lines file, one event per line,
folded by the status machine of supervision.md §8.4.

::

    open → rectifying → pending_verification → closed
              ↑                  │
              └── recheck_failed ┘
    closed → reopened (behaves as open)

A ``major`` hazard reaches ``closed`` only after ``accepted`` by an actor with
``role: authority`` (HZ-10, Quzhou 2022); otherwise ``E-LEDGER-MAJOR-CLOSE``.
Events are ordered by ``at``; ties are broken by line order.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .common import Result, SupervisionError, as_date, digest_file, read_jsonl
from .findings import check_subject

__all__ = ["ACTIONS", "Event", "LedgerRecord", "Ledger", "read_ledger", "fold"]

ACTIONS = (
    "found", "deadline_set", "deadline_extended", "plan_set", "rectification_reported", "recheck_passed",
    "recheck_failed", "accepted", "closed", "reopened", "listed", "delisted", "stop_ordered", "stop_lifted",
    "reported_to_authority",
)
OPEN_STATES = ("open", "rectifying", "pending_verification", "reopened")


@attrs.frozen
class Event:
    """One ledger line."""

    finding_id: str
    at: datetime.date
    action: str
    actor: Mapping[str, Any]
    data: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    line: int = 0


@attrs.frozen
class LedgerRecord(Result):
    """A finding's record: the fold of its events."""

    finding_id: str
    entity_id: Optional[str]
    status: str
    severity: Optional[str]
    deadline: Optional[datetime.date]
    found_at: Optional[datetime.date]
    accepted_by_authority: bool
    closed_at: Optional[datetime.date]
    ever_closed: bool
    listed: bool
    stop_from: Optional[datetime.date]
    rechecked: bool
    fields: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    events: int = 0

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATES

    def to_dict(self) -> Dict[str, Any]:
        d = {
            "finding_id": self.finding_id, "entity_id": self.entity_id, "status": self.status, "severity": self.severity,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "found_at": self.found_at.isoformat() if self.found_at else None,
            "accepted_by_authority": self.accepted_by_authority,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "listed": self.listed, "stop_from": self.stop_from.isoformat() if self.stop_from else None, "events": self.events,
        }
        d.update({k: v for k, v in self.fields.items() if k not in d})
        return d


@attrs.frozen
class Ledger:
    """The ledger's events in fold order, its path and digest."""

    events: Tuple[Event, ...]
    path: Optional[str] = None
    digest: Optional[str] = None

    def records(self, until: Optional[datetime.date] = None) -> Dict[str, LedgerRecord]:
        """Each finding's record from the events on or before ``until``."""
        by: Dict[str, List[Event]] = {}
        for ev in self.events:
            if until is None or ev.at <= until:
                by.setdefault(ev.finding_id, []).append(ev)
        return {fid: fold(evs, self.path) for fid, evs in by.items()}


_FIELDS = ("source", "clause", "description", "location", "subject", "evidence", "found_by", "handling", "measures",
           "responsible", "funds", "emergency_measures", "plan", "supervision", "stop_order", "grade")


def fold(events: List[Event], path: Optional[str] = None) -> LedgerRecord:
    """Fold one finding's events (already in order) into its record."""
    status = None
    severity = None
    deadline = found_at = closed_at = stop_from = None
    entity = None
    accepted = ever_closed = listed = rechecked = False
    fields: Dict[str, Any] = {}
    for ev in events:
        d = ev.data
        where = {"path": path, "line": ev.line}
        entity = d.get("entity_id", entity)
        severity = d.get("severity", severity)
        for k in _FIELDS:
            if k in d:
                fields[k] = d[k]
        a = ev.action
        if status is None and a != "found":
            raise SupervisionError(f"the first event of {ev.finding_id} must be 'found', not {a!r}", code="E-LEDGER-ORDER", **where)
        if a == "found":
            if status is not None and status != "closed":
                raise SupervisionError(f"{ev.finding_id} is already {status}", code="E-LEDGER-ORDER", **where)
            status = "open" if status is None else "reopened"
            found_at = found_at or ev.at
            accepted = False
        elif a in ("deadline_set", "deadline_extended"):
            if a == "deadline_extended" and not (d.get("approver") and d.get("reason")):
                raise SupervisionError("deadline_extended needs an approver and a reason", code="E-LEDGER-EXTENSION", **where)
            deadline = as_date(d.get("deadline"), "deadline", **where)
            if deadline is None:
                raise SupervisionError(f"{a} needs a deadline", code="E-LEDGER-EVENT", **where)
            if status == "open":
                status = "rectifying"
        elif a == "plan_set":
            if status in ("open", "reopened"):
                status = "rectifying"
        elif a == "rectification_reported":
            status = "pending_verification"
        elif a == "recheck_failed":
            status = "rectifying"
            rechecked = True
        elif a == "recheck_passed":
            rechecked = True
        elif a == "accepted":
            if ev.actor.get("role") == "authority":
                accepted = True
        elif a == "closed":
            if severity == "major" and not accepted:
                raise SupervisionError(
                    f"major hazard {ev.finding_id} closed without acceptance by an authority (an 'accepted' event by an actor with role: authority)",
                    code="E-LEDGER-MAJOR-CLOSE", **where,
                )
            status = "closed"
            closed_at = ev.at
            ever_closed = True
        elif a == "reopened":
            if status != "closed":
                raise SupervisionError(f"only a closed finding is reopened ({ev.finding_id} is {status})", code="E-LEDGER-ORDER", **where)
            status = "reopened"
            accepted = False
        elif a == "listed":
            listed = True
        elif a == "delisted":
            listed = False
        elif a == "stop_ordered":
            stop_from = as_date((d.get("stop_order") or {}).get("from") or ev.at.isoformat(), "stop_order.from", **where)
        elif a == "stop_lifted":
            stop_from = None
    return LedgerRecord(events[0].finding_id, entity, status or "open", severity, deadline, found_at, accepted, closed_at,
                        ever_closed, listed, stop_from, rechecked, fields, len(events))


def read_ledger(path: Optional[str]) -> Ledger:
    """Read and check the ledger; each bad line is an error at ``PATH:LINE``.
    Folding errors (``E-LEDGER-MAJOR-CLOSE`` …) are raised here too."""
    if path is None:
        return Ledger((), None, None)
    evs = []
    for n, obj in read_jsonl(path):
        where = {"path": path, "line": n}
        fid = obj.get("finding_id")
        if not isinstance(fid, str) or not fid.startswith("F-"):
            raise SupervisionError("an event needs the finding_id (F-...)", code="E-LEDGER-EVENT", **where)
        action = obj.get("action")
        if action not in ACTIONS:
            raise SupervisionError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})", code="E-LEDGER-EVENT", **where)
        if obj.get("at") is None:
            raise SupervisionError("an event needs 'at' (a date)", code="E-LEDGER-EVENT", **where)
        at = as_date(obj.get("at"), "at", **where)
        actor = obj.get("actor") or {}
        if isinstance(actor, str):
            actor = {"id": actor}
        if "subject" in obj and obj["subject"]:
            try:
                check_subject(obj["subject"])
            except SupervisionError as exc:
                raise SupervisionError(exc.message, code=exc.code, **where) from None
        if obj.get("severity") not in (None, "general", "major"):
            raise SupervisionError("severity is general or major", code="E-LEDGER-EVENT", **where)
        evs.append(Event(fid, at, action, actor, obj, n))
    evs.sort(key=lambda e: (e.at, e.line))
    led = Ledger(tuple(evs), path, digest_file(path))
    led.records()  # fold once so that a bad history is reported at its line
    return led
