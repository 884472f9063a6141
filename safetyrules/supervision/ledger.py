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
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .common import Result, SupervisionError, as_date, digest_file, read_jsonl
from .findings import check_subject

__all__ = ["ACTIONS", "Event", "LedgerRecord", "Ledger", "read_ledger", "fold", "Period", "period_of", "LedgerStats", "ledger_stats"]

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


_SHA256 = re.compile(r"(sha256:)?[0-9a-f]{64}")


def _check_evidence(evidence: Any, where: Mapping[str, Any]) -> None:
    """§8.4: ``evidence`` holds SHA-256 digests of photos and documents, not the files."""
    if evidence is None:
        return
    if not isinstance(evidence, list):
        raise SupervisionError("evidence is a list of SHA-256 digests", code="E-LEDGER-EVENT", **where)
    for x in evidence:
        if not isinstance(x, str) or not _SHA256.fullmatch(x):
            raise SupervisionError(f"evidence holds SHA-256 digests of the photos and documents (sha256:<64 hex>), not the files: {x!r}",
                                   code="E-LEDGER-EVENT", **where)


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
        if not isinstance(actor, Mapping):
            raise SupervisionError(f"actor is {{id, role}}, got {actor!r}", code="E-LEDGER-EVENT", **where)
        if obj.get("entity_id") is not None and not (isinstance(obj["entity_id"], str) and obj["entity_id"]):
            raise SupervisionError(f"entity_id is the entity's id (a string), got {obj['entity_id']!r}", code="E-LEDGER-EVENT", **where)
        if "subject" in obj and obj["subject"]:
            try:
                check_subject(obj["subject"])
            except SupervisionError as exc:
                raise SupervisionError(exc.message, code=exc.code, **where) from None
        if obj.get("severity") not in (None, "general", "major"):
            raise SupervisionError("severity is general or major", code="E-LEDGER-EVENT", **where)
        _check_evidence(obj.get("evidence"), where)
        evs.append(Event(fid, at, action, actor, obj, n))
    evs.sort(key=lambda e: (e.at, e.line))
    led = Ledger(tuple(evs), path, digest_file(path))
    led.records()  # fold once so that a bad history is reported at its line
    return led


# ---------------------------------------------------------------------------
# ledger stats (supervision.md §8.4, HZ-3: 16号令 Art. 14)

#: Where the reporting duty comes from (§8.6: "enterprise statistics due").
STATS_BASIS = ("HZ-3: 原安监总局令第16号 Art. 14 — statistics every quarter and every year, submitted by the 15th "
               "of the following quarter and by Jan 31 of the next year, signed by the principal person")
STATS_STATUS = "partial"


@attrs.frozen
class Period:
    """A reporting period: a quarter or a year, its first and last day and
    the day its statistics are due."""

    kind: str  # quarter | year
    label: str
    start: datetime.date
    end: datetime.date
    due: datetime.date

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "from": self.start.isoformat(), "until": self.end.isoformat(), "due": self.due.isoformat()}


def period_of(quarter: Optional[str] = None, year: Optional[int] = None) -> Period:
    """``2025Q3`` (also ``2025-Q3``, or ``Q3``/``3`` with ``year``) is a
    quarter, due on the 15th of the next quarter's first month; ``2025`` (or
    ``year`` alone) is the year, due on Jan 31 of the next year (HZ-3)."""
    import re

    q = None
    if quarter is not None:
        text = str(quarter).strip()
        m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text)
        if m:
            year, q = int(m.group(1)), int(m.group(2))
        elif re.fullmatch(r"[Qq]?[1-4]", text) and year is not None:
            q = int(text[-1])
        elif re.fullmatch(r"\d{4}", text):
            year = int(text)
        else:
            raise SupervisionError(f"--quarter takes YYYYQn (2025Q3), or YYYY for the year, got {quarter!r}", code="E-INPUT")
    if year is None:
        raise SupervisionError("ledger stats needs --quarter YYYYQn or --year YYYY", code="E-INPUT")
    if not 1 <= year <= 9998:
        raise SupervisionError(f"year out of range: {year}", code="E-INPUT")
    if q is None:
        return Period("year", str(year), datetime.date(year, 1, 1), datetime.date(year, 12, 31), datetime.date(year + 1, 1, 31))
    start = datetime.date(year, 3 * q - 2, 1)
    nxt = datetime.date(year + 1, 1, 1) if q == 4 else datetime.date(year, 3 * q + 1, 1)
    return Period("quarter", f"{year}Q{q}", start, nxt - datetime.timedelta(days=1), nxt.replace(day=15))


@attrs.frozen
class LedgerStats(Result):
    """An enterprise's (or every enterprise's) hazard statistics for one period."""

    data: Mapping[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.data)


def _sev_counts() -> Dict[str, int]:
    return {"general": 0, "major": 0, "total": 0}


def ledger_stats(ledger: Ledger, period: Period, *, entity_id: Optional[str] = None, principal: Optional[str] = None,
                 as_of: Optional[datetime.date] = None) -> LedgerStats:
    """The statistics of HZ-3 for ``period`` from the ledger: hazards found
    (general, major), rectified (closed), open and overdue at the period's
    end, and for major hazards whether they were reported to the authority,
    listed or under a stop order.  One block per enterprise (``entity_id``
    keeps one); the principal person's signature is a required field: it is
    ``null`` (and ``W-STATS-UNSIGNED`` is given) until ``principal`` names them."""
    from fractions import Fraction

    from .common import Warning_, decimal_str

    records = ledger.records(until=period.end)
    reported: Dict[str, bool] = {}
    for ev in ledger.events:
        if ev.at <= period.end and (ev.action == "reported_to_authority" or ev.data.get("reported_to_authority_at")):
            reported[ev.finding_id] = True
    per: Dict[str, Dict[str, Any]] = {}
    for fid in sorted(records):
        rec = records[fid]
        ent = rec.entity_id or "(no entity_id)"
        if entity_id is not None and ent != entity_id:
            continue
        sev = rec.severity if rec.severity in ("general", "major") else "general"
        b = per.setdefault(ent, {"entity_id": ent, "found": _sev_counts(), "rectified": _sev_counts(), "open_at_end": _sev_counts(),
                                 "overdue_at_end": _sev_counts(), "major": {"reported_to_authority": 0, "not_reported": 0, "listed": 0, "stop_orders": 0},
                                 "findings": []})
        found_now = rec.found_at is not None and period.start <= rec.found_at <= period.end
        closed_now = rec.closed_at is not None and period.start <= rec.closed_at <= period.end and not rec.open
        overdue = rec.open and rec.deadline is not None and rec.deadline < period.end
        if not (found_now or closed_now or rec.open):
            continue  # closed before the period: not part of it
        for key, hit in (("found", found_now), ("rectified", closed_now), ("open_at_end", rec.open), ("overdue_at_end", overdue)):
            if hit:
                b[key][sev] += 1
                b[key]["total"] += 1
        if sev == "major":
            b["major"]["reported_to_authority" if reported.get(fid) else "not_reported"] += 1
            b["major"]["listed"] += bool(rec.listed)
            b["major"]["stop_orders"] += rec.stop_from is not None
        clause = rec.fields.get("clause") if isinstance(rec.fields.get("clause"), Mapping) else {}
        b["findings"].append({
            "finding_id": fid, "severity": sev, "status_at_end": rec.status,
            "found_at": rec.found_at.isoformat() if rec.found_at else None,
            "deadline": rec.deadline.isoformat() if rec.deadline else None,
            "closed_at": rec.closed_at.isoformat() if rec.closed_at and not rec.open else None,
            "overdue_at_end": overdue,
            "reported_to_authority": bool(reported.get(fid)) if sev == "major" else None,
            "standard": clause.get("standard"), "clause": clause.get("clause"), "cite": clause.get("cite"),
        })
    totals = {k: _sev_counts() for k in ("found", "rectified", "open_at_end", "overdue_at_end")}
    totals["major"] = {"reported_to_authority": 0, "not_reported": 0, "listed": 0, "stop_orders": 0}
    entities = [per[k] for k in sorted(per)]
    for b in entities:
        for k in totals:
            for s in totals[k]:
                totals[k][s] += b[k][s]
        handled = b["found"]["total"]
        b["rectification_rate"] = decimal_str(Fraction(sum(1 for f in b["findings"] if f["found_at"] and f["closed_at"]
                                                           and period.start <= datetime.date.fromisoformat(f["found_at"])), handled)) if handled else None
    warnings = []
    if entity_id is not None and not entities:
        warnings.append(Warning_("W-STATS-EMPTY", f"no hazard of {entity_id} in the ledger for {period.label}", entity_id))
    if not principal:
        warnings.append(Warning_("W-STATS-UNSIGNED", "the statistics must be signed by the principal person (HZ-3) before they are submitted: give --principal NAME"))
    if as_of is not None and as_of > period.due:
        warnings.append(Warning_("W-STATS-LATE", f"the statistics for {period.label} were due on {period.due.isoformat()}"))
    data = {
        "format": "safetyrules.ledger-stats/v1",
        "period": period.to_dict(),
        "basis": {"source": STATS_BASIS, "status": STATS_STATUS},
        "as_of": as_of.isoformat() if as_of else None,
        "ledger": {"path": ledger.path, "digest": ledger.digest, "events": len(ledger.events)},
        "entity_id": entity_id,
        "entities": entities,
        "totals": totals,
        "signature": {"role": "principal", "required": True, "principal": principal or None, "signed": bool(principal)},
        "warnings": [w.to_dict() for w in warnings],
    }
    return LedgerStats(data)
