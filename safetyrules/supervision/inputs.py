"""The other supervision inputs (supervision.md §8.0): inspection history,
inspectors, grid members, staff workdays and the calendar.

Each reader checks what it reads and reports a bad record at ``FILE:LINE``.
History and inspectors may be JSON Lines or a YAML/JSON list (or a mapping
with the list under ``history:`` / ``inspectors:`` / ``members:``).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .common import SupervisionError, as_date, check_near_misses, exact_number, loc_of, read_jsonl, read_mapping

__all__ = [
    "Inspection", "History", "read_history", "history_from_records", "Inspector", "read_inspectors", "inspectors_from_records", "Member", "read_members",
    "Calendar", "read_calendar", "workdays_between", "add_working_days", "read_staff",
]


def _records(path: str, key: str) -> List[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """(record, location) pairs from JSONL or a YAML/JSON list."""
    if path.endswith((".jsonl", ".ndjson")):
        return [(obj, {"path": path, "line": n}) for n, obj in read_jsonl(path)]
    data, doc = read_mapping(path, key)
    if isinstance(data, Mapping):
        data = data.get(key)
    if not isinstance(data, list):
        raise SupervisionError(f"expected a list of {key} (or a mapping with '{key}:')", path=path, line=1, code="E-INPUT")
    out = []
    for i, obj in enumerate(data):
        where = loc_of(doc, path, ((key, i) if doc is not None and isinstance(doc.data, Mapping) else (i,)))
        if not isinstance(obj, Mapping):
            raise SupervisionError(f"each of {key} must be a mapping", code="E-INPUT", **where)
        out.append((dict(obj), where))
    return out


@attrs.frozen
class Inspection:
    """One inspection event of the history."""

    inspection_id: str
    entity_id: str
    date: datetime.date
    channel: str
    kind: str
    inspectors: Tuple[str, ...]
    open_findings: int
    order: int = 0


@attrs.frozen
class History:
    """Inspection events by entity, each entity's newest last."""

    by_entity: Mapping[str, Tuple[Inspection, ...]]
    path: Optional[str] = None
    digest: Optional[str] = None  # of a history given in memory (a file's is the file's SHA-256)

    def of(self, entity_id: str, as_of: datetime.date) -> Tuple[Inspection, ...]:
        """The entity's inspections on or before ``as_of``, oldest first."""
        return tuple(i for i in self.by_entity.get(entity_id, ()) if i.date <= as_of)

    def facts(self, entity_id: str, as_of: datetime.date) -> Dict[str, Any]:
        """``history.*`` facts as of ``as_of`` (supervision.md §8.0)."""
        if entity_id not in self.by_entity:
            return {"history.inspections_this_year": 0}
        past = [i for i in self.of(entity_id, as_of) if i.channel == "enforcement"]
        out: Dict[str, Any] = {"history.inspections_this_year": sum(1 for i in past if i.date.year == as_of.year)}
        if past:
            last = past[-1]
            out["history.last_inspection_days"] = (as_of - last.date).days
            out["history.last_inspection_open_findings"] = last.open_findings
            out["history.open_findings"] = last.open_findings
        return out

    def days_since_drawable(self, entity_id: str, as_of: datetime.date, excluded_kinds: Tuple[str, ...]) -> Optional[int]:
        """Days since the entity's last enforcement inspection whose kind is not
        one of ``excluded_kinds`` (the targeted checks that are not drawn,
        DR-EM-1), or None: the "recent" of ``EX-RECENT``."""
        past = [i for i in self.of(entity_id, as_of) if i.channel == "enforcement" and i.kind not in excluded_kinds]
        return (as_of - past[-1].date).days if past else None

    def recent_inspectors(self, entity_id: str, as_of: datetime.date, window: int) -> Tuple[str, ...]:
        """Inspectors of the entity's last ``window`` inspections (rotation)."""
        if window <= 0 or entity_id not in self.by_entity:
            return ()
        past = [i for i in self.of(entity_id, as_of) if i.channel == "enforcement"][-window:]
        return tuple(sorted({x for i in past for x in i.inspectors}))


_CHANNELS = ("enforcement", "patrol")
#: The kinds of an inspection in the history (policy ``excluded_kinds`` names some of them).
INSPECTION_KINDS = ("key", "random", "complaint", "referral", "special", "recheck", "patrol", "assigned", "self_check")
_KINDS = INSPECTION_KINDS


_HISTORY_KEYS = ("inspection_id", "entity_id", "date", "channel", "kind", "inspectors", "open_findings")
_INSPECTOR_KEYS = ("id", "name", "unit", "cert_no", "cert_valid_until", "qualifications", "available_days", "grids", "conflicts")


def read_history(path: Optional[str]) -> History:
    """Read the inspection history (one event per line); None → empty."""
    if path is None:
        return History({}, None)
    return history_from_records(_records(path, "history"), path)


def history_from_records(records, path: Optional[str] = None) -> History:
    """A history from ``(record, location)`` pairs (what :func:`read_history` reads)."""
    by: Dict[str, List[Inspection]] = {}
    for n, (obj, where) in enumerate(records):
        if not isinstance(obj, Mapping):
            raise SupervisionError("each inspection of the history is a mapping", code="E-HISTORY", **where)
        check_near_misses(obj, _HISTORY_KEYS, "an inspection", "E-HISTORY", **where)
        ent = obj.get("entity_id")
        if not isinstance(ent, str) or not ent:
            raise SupervisionError("an inspection needs entity_id", code="E-HISTORY", **where)
        if obj.get("date") is None:
            raise SupervisionError("an inspection needs a date", code="E-HISTORY", **where)
        date = as_date(obj.get("date"), "date", **where)
        channel = obj.get("channel", "enforcement")
        if channel not in _CHANNELS:
            raise SupervisionError(f"channel must be enforcement or patrol, got {channel!r}", code="E-HISTORY", **where)
        kind = obj.get("kind", "random")
        if kind not in _KINDS:
            raise SupervisionError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}", code="E-HISTORY", **where)
        insp = obj.get("inspectors") or []
        if not isinstance(insp, list) or not all(isinstance(x, str) for x in insp):
            raise SupervisionError("inspectors must be a list of inspector ids", code="E-HISTORY", **where)
        of = obj.get("open_findings", 0)
        if isinstance(of, list):
            of = len(of)
        if not isinstance(of, int) or isinstance(of, bool) or of < 0:
            raise SupervisionError("open_findings must be a count or a list", code="E-HISTORY", **where)
        by.setdefault(ent, []).append(Inspection(str(obj.get("inspection_id", f"line{n + 1}")), ent, date, channel, kind, tuple(insp), of, n))
    return History({k: tuple(sorted(v, key=lambda i: (i.date, i.order))) for k, v in by.items()}, path)


@attrs.frozen
class Inspector:
    """An enforcement officer of the staff directory (DR-58-2)."""

    id: str
    name: Optional[str] = None
    unit: Optional[str] = None
    cert_no: Optional[str] = None
    cert_valid_until: Optional[datetime.date] = None
    qualifications: Tuple[str, ...] = ()
    available_days: Optional[int] = None
    grids: Tuple[str, ...] = ()
    conflicts: Tuple[Tuple[str, str], ...] = ()  # (entity_id, relation), declared only

    def certified_on(self, day: datetime.date) -> bool:
        """A certificate number and, if it has an end date, still valid on ``day``."""
        return bool(self.cert_no) and (self.cert_valid_until is None or day <= self.cert_valid_until)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "unit": self.unit, "cert_no": self.cert_no,
            "cert_valid_until": self.cert_valid_until.isoformat() if self.cert_valid_until else None,
            "qualifications": list(self.qualifications), "available_days": self.available_days,
            "conflicts": [{"entity_id": e, "relation": r} for e, r in self.conflicts],
        }


_RELATIONS = ("party", "relative", "interest", "other")


def inspector_from_dict(obj: Mapping[str, Any], where: Optional[Mapping[str, Any]] = None) -> Inspector:
    where = dict(where or {})
    check_near_misses(obj, _INSPECTOR_KEYS, "an inspector", "E-INSPECTORS", **where)
    ident = obj.get("id")
    if not isinstance(ident, str) or not ident:
        raise SupervisionError("an inspector needs an id", code="E-INSPECTORS", **where)
    conflicts = []
    if obj.get("conflicts") is not None and not isinstance(obj["conflicts"], list):
        raise SupervisionError("conflicts is a list of {entity_id, relation, declared}", code="E-INSPECTORS", **where)
    for c in obj.get("conflicts") or ():
        if not isinstance(c, Mapping) or not isinstance(c.get("entity_id"), str):
            raise SupervisionError("a conflict is {entity_id, relation, declared}", code="E-INSPECTORS", **where)
        check_near_misses(c, ("entity_id", "relation", "declared"), "a conflict", "E-INSPECTORS", **where)
        rel = c.get("relation", "other")
        if rel not in _RELATIONS:
            raise SupervisionError(f"relation must be one of {', '.join(_RELATIONS)}", code="E-INSPECTORS", **where)
        if c.get("declared", True):
            conflicts.append((c["entity_id"], rel))
    days = obj.get("available_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        raise SupervisionError("available_days must be a whole number of days", code="E-INSPECTORS", **where)
    for key in ("qualifications", "grids"):  # a list of names (a bare value was iterated, or crashed)
        v = obj.get(key)
        if v is not None and not (isinstance(v, list) and all(isinstance(x, str) and x for x in v)):
            raise SupervisionError(f"{key} must be a list of names, got {v!r}", code="E-INSPECTORS", **where)
    return Inspector(
        ident, obj.get("name"), obj.get("unit"), obj.get("cert_no") or None,
        as_date(obj.get("cert_valid_until"), "cert_valid_until", **where),
        tuple(obj.get("qualifications") or ()), days, tuple(obj.get("grids") or ()), tuple(sorted(conflicts)),
    )


def read_inspectors(path: Optional[str]) -> Tuple[Inspector, ...]:
    """Read the inspector directory; ids must be unique."""
    if path is None:
        return ()
    return inspectors_from_records(_records(path, "inspectors"))


def inspectors_from_records(records) -> Tuple[Inspector, ...]:
    """Inspectors from ``(record or Inspector, location)`` pairs; ids must be unique."""
    out, seen = [], set()
    for obj, where in records:
        if isinstance(obj, Inspector):
            i = obj
        elif isinstance(obj, Mapping):
            i = inspector_from_dict(obj, where)
        else:
            raise SupervisionError("each inspector is a mapping (id, name, unit, cert_no, ...)", code="E-INSPECTORS", **where)
        if i.id in seen:
            raise SupervisionError(f"duplicate inspector id {i.id!r}", code="E-INSPECTORS", **where)
        seen.add(i.id)
        out.append(i)
    return tuple(out)


@attrs.frozen
class Member:
    """A grid member: ``cert_no`` None means patrol capacity only (DR-54-2)."""

    id: str
    grid: str
    fte: Any  # Fraction
    cert_no: Optional[str] = None


def read_members(path: str) -> Tuple[Member, ...]:
    """Read grid members (JSONL, YAML or JSON list, or CSV ``id,grid,fte,cert_no``)."""
    import fractions

    recs: List[Tuple[Dict[str, Any], Dict[str, Any]]]
    if path.endswith(".csv"):
        from .common import read_csv

        recs = [(dict(r), {"path": path, "line": n}) for n, r in read_csv(path, "members", ("id", "grid"))]
    else:
        recs = _records(path, "members")
    out = []
    seen: Dict[str, Any] = {}
    for obj, where in recs:
        # a misspelt column (certno, ftes) would make every member patrol-only or full-time
        check_near_misses(obj, ("id", "grid", "fte", "cert_no"), "a grid member", "E-MEMBERS",
                          **({"path": path, "line": 1} if path.endswith(".csv") else where))
        if not obj.get("id") or not obj.get("grid"):
            raise SupervisionError("a grid member needs id and grid", code="E-MEMBERS", **where)
        mid = str(obj["id"])
        if mid in seen:  # counted twice, the member's capacity would be too
            first = f" (first on line {seen[mid]})" if seen[mid] else ""
            raise SupervisionError(f"duplicate grid member id {mid!r}{first}", code="E-MEMBERS", **where)
        seen[mid] = where.get("line")
        raw = obj.get("fte")
        try:  # an empty cell is a full-time member; 0 is no capacity (it read as 1), a negative share none at all
            fte = fractions.Fraction(1) if raw is None or raw == "" else exact_number(str(raw).strip())
            if isinstance(raw, bool) or fte < 0:
                raise ValueError
        except (ValueError, ZeroDivisionError):
            raise SupervisionError(f"fte must be a number, 0 or more, got {raw!r}", code="E-MEMBERS", **where) from None
        out.append(Member(str(obj["id"]), str(obj["grid"]), fte, obj.get("cert_no") or None))
    return tuple(out)


@attrs.frozen
class Calendar:
    """A year's workdays: weekdays − holidays + makeup workdays (调休).
    ``default`` is True when no calendar file was given (W-CALENDAR-DEFAULT)."""

    year: int
    holidays: frozenset
    makeup: frozenset
    default: bool = False
    printed_workdays: Optional[int] = None
    path: Optional[str] = None

    def is_workday(self, d: datetime.date) -> bool:
        if d in self.makeup:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def workdays(self) -> int:
        """The number of workdays in the year."""
        d, n = datetime.date(self.year, 1, 1), 0
        while d.year == self.year:
            n += self.is_workday(d)
            d += datetime.timedelta(days=1)
        return n


def read_calendar(path: Optional[str], year: int) -> Calendar:
    """Read a calendar file (``year``, ``holidays``, ``makeup_workdays``,
    optional ``workdays`` as printed); None → Monday–Friday (default)."""
    if path is None:
        return Calendar(year, frozenset(), frozenset(), True)
    data, doc = read_mapping(path, "calendar")
    if not isinstance(data, Mapping):
        raise SupervisionError("a calendar is a mapping with year, holidays, makeup_workdays", path=path, line=1, code="E-CALENDAR")
    for k in data:
        check_near_misses({k: None}, ("year", "holidays", "makeup_workdays", "workdays"), "a calendar", "E-CALENDAR", **loc_of(doc, path, (k,), key=True))
    y = data.get("year", year)
    if y != year:
        raise SupervisionError(f"calendar is for {y}, the plan for {year}", code="E-CALENDAR", **loc_of(doc, path, ("year",)))

    def dates(key):
        out = set()
        vs = data.get(key)
        if vs is not None and not isinstance(vs, list):
            raise SupervisionError(f"{key} is a list of dates, got {vs!r}", code="E-CALENDAR", **loc_of(doc, path, (key,)))
        for i, v in enumerate(vs or ()):
            d = as_date(v, key, **loc_of(doc, path, (key, i)))
            if d is None:
                raise SupervisionError(f"{key} holds dates, got null", code="E-CALENDAR", **loc_of(doc, path, (key, i)))
            if d.year != year:
                raise SupervisionError(f"{d} is not in {year}", code="E-CALENDAR", **loc_of(doc, path, (key, i)))
            out.add(d)
        return frozenset(out)

    hol, make = dates("holidays"), dates("makeup_workdays")
    both = sorted(hol & make)
    if both:
        i = [as_date(v, "makeup_workdays") for v in data.get("makeup_workdays") or ()].index(both[0])
        raise SupervisionError(f"{both[0]} is both a holiday and a makeup workday", code="E-CALENDAR", **loc_of(doc, path, ("makeup_workdays", i)))
    printed = data.get("workdays")
    if printed is not None and (isinstance(printed, bool) or not isinstance(printed, int) or printed < 0):
        raise SupervisionError(f"workdays (the total the calendar prints) must be a whole number, got {printed!r}", code="E-CALENDAR", **loc_of(doc, path, ("workdays",)))
    return Calendar(year, hol, make, False, printed, path)


def workdays_between(cal: Optional[Calendar], start: datetime.date, end: datetime.date) -> int:
    """Workdays after ``start`` up to and including ``end``."""
    n, d = 0, start
    while d < end:
        d += datetime.timedelta(days=1)
        n += cal.is_workday(d) if cal and cal.year == d.year else d.weekday() < 5
    return n


def add_working_days(cal: Optional[Calendar], start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` workdays after ``start`` (Mon–Fri outside the calendar's year)."""
    d = start
    while days > 0:
        d += datetime.timedelta(days=1)
        if cal and cal.year == d.year:
            days -= cal.is_workday(d)
        else:
            days -= d.weekday() < 5
    return d


def read_staff(path: str) -> Tuple[Dict[str, Any], Any]:
    """Read a staff workday file (see :mod:`.plan`)."""
    data, doc = read_mapping(path, "staff")
    if not isinstance(data, Mapping):
        raise SupervisionError("a staff file is a mapping", path=path, line=1, code="E-STAFF")
    for k in data:
        check_near_misses({k: None}, ("year", "staff", "workdays", "other_enforcement", "non_enforcement", "printed"), "a staff file", "E-STAFF",
                          **loc_of(doc, path, (k,), key=True))
    return dict(data), doc
