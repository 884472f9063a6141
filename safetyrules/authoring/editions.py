"""Editions by date: the spans of days on which a standard family has no
edition in force (``lint --gaps FROM:UNTIL``, warning W501 family-gap).

A family is the lineage a standard is an edition of (``family:`` in the
rule file, else the standard's id).  A gap is what
:meth:`safetyrules.plan.model.Plan.family_gaps` reports for one day —
a family whose last edition has ended (``effective.until``) while no later
edition is bundled or in force yet — here gathered into spans over a range
of days, so an author sees "fire: no edition from 2025-11-01" once instead
of once per day.  Decisions dated inside such a span carry the matching
``family-gap`` warning.
"""

from __future__ import annotations

import datetime
from typing import List, Optional, Sequence, Tuple

import attrs
from safetyrules.limits import parse_date

__all__ = ["GapSpan", "gap_spans", "check"]


@attrs.frozen
class GapSpan:
    """Days ``start`` (inclusive) to ``end`` (exclusive; None: to the end of
    the range asked for and beyond) with no edition of ``family`` in force;
    ``last`` ended on ``ended``."""

    family: str
    start: datetime.date
    end: Optional[datetime.date]
    last: str
    ended: datetime.date


def _boundaries(plan, start: datetime.date, until: datetime.date) -> List[datetime.date]:
    """The days inside [start, until) on which the set of editions in force
    can change, plus ``start``: gaps are constant between two of them."""
    days = {start}
    for e in plan.editions:
        for d in (e.effective_from, e.effective_until):
            if d is not None and start < d < until:
                days.add(d)
    return sorted(days)


def gap_spans(plan, start: datetime.date, until: datetime.date) -> Tuple[GapSpan, ...]:
    """Every family gap that overlaps the days [start, until), as spans,
    sorted by family then start.  ``until`` must be after ``start``."""
    if until <= start:
        raise ValueError("the end of the range must be after its start")
    points = _boundaries(plan, start, until)
    spans: List[GapSpan] = []
    open_: dict = {}  # family -> (start, FamilyGap)
    for i, day in enumerate(points):
        now = {g.family: g for g in plan.family_gaps(day)}
        for fam in list(open_):
            if fam not in now or now[fam].last != open_[fam][1].last:
                s, g = open_.pop(fam)
                spans.append(GapSpan(fam, s, day, g.last, g.ended))
        for fam, g in now.items():
            if fam not in open_:
                open_[fam] = (day, g)
    for fam, (s, g) in open_.items():
        nxt = g.next_from if g.next_from is not None and g.next_from >= until else None
        spans.append(GapSpan(fam, s, nxt, g.last, g.ended))
    return tuple(sorted(spans, key=lambda s: (s.family, s.start)))


def check(rules, start: datetime.date, until: datetime.date) -> Sequence:
    """W501 warnings for the family gaps within [start, until), each located
    at the standard whose edition ended last before the gap."""
    from safetyrules.authoring.codes import LintWarning

    plan = rules.plan
    out = []
    for span in gap_spans(plan, start, until):
        std = plan.standard(span.last)
        pos = std.position if std is not None else None
        to = f"until {span.end.isoformat()}" if span.end is not None else "with no later edition bundled"
        msg = (
            f"standard family '{span.family}' has no edition in force from {span.start.isoformat()} {to}: "
            f"its last edition, {span.last}, ended on {span.ended.isoformat()}; decisions dated then warn "
            f"(family-gap) and check none of its clauses"
        )
        out.append(
            LintWarning("W501", msg, pos.path if pos else None, pos.line if pos else None, pos.column if pos else None)
        )
    return out


def parse_range(text: str) -> Tuple[datetime.date, datetime.date]:
    """``FROM:UNTIL`` (ISO dates, UNTIL exclusive) → two dates; ValueError
    with a readable message otherwise."""
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError(f"--gaps takes FROM:UNTIL, e.g. 2018-01-01:2027-01-01, not {text!r}")
    try:
        a, b = (parse_date(p.strip()) for p in parts)
    except ValueError:
        raise ValueError(f"--gaps takes two ISO dates FROM:UNTIL, not {text!r}") from None
    if b <= a:
        raise ValueError(f"--gaps: {b.isoformat()} is not after {a.isoformat()}")
    return a, b
