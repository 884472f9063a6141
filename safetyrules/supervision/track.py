"""Comparing inspections: ``safetyrules track OLD NEW`` (supervision.md §8.4).

OLD and NEW are two inspection records of one entity (a decision JSON plus
``inspection_id, entity_id, date, inspectors, channel, kind``) or two graded
registries (JSON Lines).  Every finding gets its stable id
(:func:`.findings.finding_id`, one per item subject) and a class:

``new`` · ``persisting`` · ``rectified`` · ``rectified_observed`` (a major
hazard not yet accepted and closed by an authority) · ``unverified`` (open in
OLD, undetermined in NEW: missing facts never clear a hazard) · ``reopened`` ·
``out_of_scope`` (the standard no longer applies, or the clause is gone and
unmapped; needs review).

Without ``rules``, a clause absent from NEW is taken as evaluated and not
holding; with ``rules`` (NEW's rule set), a standard out of force on NEW's
date or a clause that no longer exists gives ``out_of_scope``.
"""

from __future__ import annotations

import datetime
import fractions
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import attrs

from .common import Result, SupervisionError, Warning_, as_date, decimal_str, read_jsonl, read_mapping
from .findings import check_subject, finding_id
from .ledger import Ledger

__all__ = ["Record", "read_records", "records_from_dicts", "track", "TrackResult", "read_clause_map", "FAIL_ON"]

FAIL_ON = ("overdue", "reopened", "new-major", "persisting-major")


@attrs.frozen
class Record:
    """One entity's inspection record (or graded-registry line)."""

    entity_id: str
    date: Optional[datetime.date]
    findings: Tuple[Mapping[str, Any], ...]
    undetermined: Tuple[Mapping[str, Any], ...]
    ruleset: Optional[str]
    level: Optional[str]
    grid: Optional[str]
    line: int = 0
    #: ``entity.supervised_by`` (the level that supervises the entity), when the record carries it
    supervised_by: Optional[str] = None
    #: an inspection record's ``inspection_id`` (a graded-registry line has none)
    inspection_id: Optional[str] = None


def _record(obj: Mapping[str, Any], where: Mapping[str, Any]) -> Record:
    block = obj.get("entity")
    if block is not None and not isinstance(block, Mapping):
        raise SupervisionError(f"entity is the decision's entity block {{id, grid, …}}, got {block!r}", code="E-TRACK-INPUT", **where)
    ent = obj.get("entity_id") or (block or {}).get("id") or obj.get("entity.id")
    if not isinstance(ent, str) or not ent:
        raise SupervisionError("a record needs entity_id (or entity.id)", code="E-TRACK-INPUT", **where)
    date = as_date(obj.get("date") or obj.get("as_of"), "date", **where)
    fs = obj.get("findings") or []
    us = obj.get("undetermined") or []
    if not isinstance(fs, list) or not isinstance(us, list):
        raise SupervisionError("findings and undetermined are lists", code="E-TRACK-INPUT", **where)
    for f in list(fs) + list(us):
        if not isinstance(f, Mapping) or not all(isinstance(f.get(k), str) and f[k] and "\n" not in f[k] for k in ("standard", "clause")):
            raise SupervisionError("each finding names its standard and clause (strings)", code="E-TRACK-INPUT", **where)
        if f.get("severity") not in (None, "general", "major"):  # as the ledger: a 'Major' counted as no severity, never alerted
            raise SupervisionError(f"severity is general or major, got {f.get('severity')!r}", code="E-TRACK-INPUT", **where)
        subs = f.get("subjects")
        if subs is not None and not isinstance(subs, list):  # a bare string was read letter by letter
            raise SupervisionError(f"subjects is a list of item subjects such as dust_systems[id=DS-2], got {subs!r}", code="E-TRACK-INPUT", **where)
        for s in subs or ():
            try:
                check_subject(s)
            except SupervisionError as exc:
                raise SupervisionError(exc.message, code=exc.code, **where) from None
        if f.get("deadline") not in (None, ""):  # at its line here, not later without one
            as_date(f["deadline"], "deadline", **where)
    rs = obj.get("ruleset")
    digest = rs.get("digest") if isinstance(rs, Mapping) else rs
    grid = (block or {}).get("grid") or obj.get("entity.grid")
    sup = (block or {}).get("supervised_by") or obj.get("entity.supervised_by")
    level = obj.get("level")
    if grid is not None and not isinstance(grid, str):
        raise SupervisionError(f"entity.grid must be a string, got {grid!r}", code="E-TRACK-INPUT", **where)
    if level is not None and level not in ("red", "orange", "yellow", "blue"):
        raise SupervisionError(f"level must be one of red, orange, yellow, blue or null, got {level!r}", code="E-TRACK-INPUT", **where)
    iid = obj.get("inspection_id")
    return Record(ent, date, tuple(fs), tuple(us), digest, obj.get("level"), grid, where.get("line") or 0,
                  sup if isinstance(sup, str) else None, str(iid) if iid not in (None, "") else None)


def records_from_dicts(objs: Iterable[Mapping[str, Any]], path: Optional[str] = None) -> Dict[str, Record]:
    out: Dict[str, Record] = {}
    for n, obj in enumerate(objs, 1):
        r = _record(obj, {"path": path, "line": n})
        if r.entity_id in out:
            raise SupervisionError(f"entity {r.entity_id!r} appears twice", code="E-TRACK-INPUT", path=path, line=n)
        out[r.entity_id] = r
    return out


class Records(dict):
    """Records by entity id; ``error_lines`` lists the line numbers of
    ``evaluate``'s error lines (``{"line": N, "error": …}``, an entity it could
    not decide), skipped as :func:`.registry.read_registry` skips them."""

    error_lines: Tuple[int, ...] = ()


def read_records(path: str) -> Dict[str, Record]:
    """A graded registry (JSONL) or one inspection record (JSON/YAML) → records by entity."""
    if path.endswith((".jsonl", ".ndjson")):
        out: Dict[str, Record] = Records()
        errors: List[int] = []
        for n, obj in read_jsonl(path):
            if "error" in obj and "entity" not in obj and "level" not in obj and "entity_id" not in obj and "entity.id" not in obj:
                errors.append(n)  # evaluate's line for an entity it could not decide: reported, not tracked
                continue
            r = _record(obj, {"path": path, "line": n})
            if r.entity_id in out:
                raise SupervisionError(f"entity {r.entity_id!r} appears twice", code="E-TRACK-INPUT", path=path, line=n)
            out[r.entity_id] = r
        out.error_lines = tuple(errors)
        return out
    data, _doc = read_mapping(path, "inspection record")
    if not isinstance(data, Mapping):
        raise SupervisionError("an inspection record is one JSON object", path=path, line=1, code="E-TRACK-INPUT")
    r = _record(data, {"path": path, "line": 1})
    return {r.entity_id: r}


def read_clause_map(path: Optional[str]) -> Dict[Tuple[str, str], Tuple[str, str]]:
    """``old_standard/old_clause: new_standard/new_clause`` lines of a YAML mapping."""
    if path is None:
        return {}
    data, doc = read_mapping(path, "clause map")
    if not isinstance(data, Mapping):
        raise SupervisionError("a clause map maps 'old_standard/old_clause' to 'new_standard/new_clause'", path=path, line=1, code="E-TRACK-MAP")
    out = {}
    from .common import loc_of

    for k, v in data.items():
        if not isinstance(k, str) or not isinstance(v, str) or "/" not in k or "/" not in v:
            raise SupervisionError("each entry is 'old_standard/old_clause: new_standard/new_clause'", code="E-TRACK-MAP", **loc_of(doc, path, (k,)))
        a, b = k.rsplit("/", 1), v.rsplit("/", 1)
        out[(a[0], a[1])] = (b[0], b[1])
    return out


@attrs.frozen
class TrackResult(Result):
    """Per-finding classes with deadlines and alerts, and the registry summary."""

    summary: Mapping[str, Any]
    findings: Tuple[Mapping[str, Any], ...]
    alerts: Tuple[Mapping[str, Any], ...]

    def to_dict(self) -> Dict[str, Any]:
        return {"format": "safetyrules-track/v1", "summary": dict(self.summary), "findings": list(self.findings), "alerts": list(self.alerts)}

    def gate(self, fail_on: Sequence[str]) -> List[str]:
        """The gates of ``fail_on`` that trip."""
        c = self.summary["gates"]
        return [g for g in fail_on if c.get(g)]


def _items(rec: Record, kind: str, cmap, derive=None) -> Iterable[Tuple[str, str, str, Mapping[str, Any]]]:
    for f in getattr(rec, kind):
        std, cl = cmap.get((f["standard"], f["clause"]), (f["standard"], f["clause"]))
        subs = f.get("subjects") or (derive(f, std, cl) if derive is not None and kind == "findings" else None) or [f.get("subject") or ""]
        for s in subs:
            yield std, cl, s, f


def _subject_deriver(rules: Any):
    """§8.8 4: a finding of a clause that quantifies over a list declaring
    ``key:`` names the items that made it true (``subjects``).  A graded
    registry that ``evaluate --format json`` wrote names none, but each
    finding carries the facts its condition read: with NEW's rule set
    (``--rules``) the subjects are recomputed from them, as ``sv.grade``
    names them.  None when the rule set declares no keyed list."""
    from safetyrules.authoring.provenance_lint import list_keys
    from safetyrules.errors import SafetyRulesError

    from .checklist import subjects_of

    keys = list_keys(rules)
    if not keys:
        return None

    def derive(f: Mapping[str, Any], std: str, cl: str) -> Optional[List[str]]:
        facts = f.get("facts")
        if not isinstance(facts, Mapping) or not any(k in keys for k in facts):
            return None
        try:
            env = rules.check_facts(dict(facts))
        except (SafetyRulesError, TypeError, ValueError):
            return None
        return subjects_of(rules, env, std, cl, keys) or None

    return derive


def _spread_clause_level(seen: Dict[str, Dict[str, Any]], eid: str) -> None:
    """One side names a clause's items (``subjects``, §8.8 4) and the other
    only the clause (a registry graded without item subjects, or an
    undetermined clause, which names no item): the clause-level entry holds
    for each named item.  So an item found in OLD whose clause is
    undetermined in NEW is ``unverified``, and one whose clause NEW still
    finds is ``persisting`` — never ``rectified``, which needs the clause
    evaluated and not holding (§8.4).  The clause-level id stays an alias of
    each item's for the ledger, as a mapped clause's old id does."""
    by_clause: Dict[Tuple[str, str], List[str]] = {}
    for fid, s in seen.items():
        if s["subject"]:
            by_clause.setdefault((s["standard"], s["clause"]), []).append(fid)
    for (std, cl), fids in by_clause.items():
        whole_id = finding_id(eid, std, cl, "")
        whole = seen.get(whole_id)
        if whole is None:
            continue
        for fid in fids:
            s = seen[fid]
            for side in ("old", "new"):
                if whole[side] is not None and s[side] is None:
                    s[side], s[side + "_f"] = whole[side], whole[side + "_f"]
            s.setdefault("old_ids", []).extend([whole_id, *whole.get("old_ids", ())])
        del seen[whole_id]


def _date(d: Optional[datetime.date], fallback: datetime.date) -> datetime.date:
    return d or fallback


def track(
    old: Mapping[str, Record],
    new: Mapping[str, Record],
    *,
    ledger: Optional[Ledger] = None,
    clause_map: Optional[Mapping[Tuple[str, str], Tuple[str, str]]] = None,
    as_of: Optional[datetime.date] = None,
    rules: Any = None,
    policy: Any = None,
    calendar: Any = None,
) -> TrackResult:
    """Classify every finding of OLD and NEW (§8.4), with deadlines, alerts
    and the registry summary.  For each NEW inspection record (one with an
    ``inspection_id`` and a date) the summary's ``publication`` gives the day
    its results are due to be published: ``publish_working_days`` (20,
    DR-PUB-1) working days after the check, counted on ``calendar`` (a
    calendar or its path; without one Monday–Friday, ``W-CALENDAR-DEFAULT``)."""
    from .policy import default_policy

    from . import coerce

    policy = coerce.policy(policy) if policy is not None else default_policy()
    as_of = as_of or datetime.date.today()
    if isinstance(as_of, str):  # as draw_commit takes it
        as_of = as_date(as_of, "as_of")
    old, new = _as_records(old), _as_records(new)
    if isinstance(ledger, (str, os.PathLike)):
        from .ledger import read_ledger

        ledger = read_ledger(os.fspath(ledger))
    if isinstance(clause_map, (str, os.PathLike)):  # a path, as the ledger may be
        clause_map = read_clause_map(os.fspath(clause_map))
    cmap = dict(clause_map or {})
    ledger = ledger or Ledger(())
    recheck_days = int(policy["recheck_days"])
    stop_months = int(policy["max_stop_months"])
    cutoff = as_date(policy["stock_cutoff"])
    in_rules = None
    if isinstance(rules, (str, os.PathLike)):  # NEW's rule set as a path, as --rules takes it
        from safetyrules.engine.ruleset import load

        rules = load(os.fspath(rules))
    derive = None
    if rules is not None:
        in_rules = {(c.standard, c.id): s for s in rules.plan.standards for c in s.clauses}
        derive = _subject_deriver(rules)
    out: List[Dict[str, Any]] = []
    alerts: List[Dict[str, Any]] = []
    level_changed = []
    warnings: List[Warning_] = []
    ruleset_changed = False
    folded: Dict[datetime.date, Dict[str, Any]] = {}
    # the ledger as of --as-of: acceptance, closing, deadlines and stops recorded after NEW's
    # inspection count (a re-inspection is followed by the authority's acceptance, HZ-10);
    # only "reopened" looks at the ledger before NEW's date
    now = ledger.records(until=as_of) if ledger.events else {}
    for eid in sorted(set(old) | set(new)):
        o, n = old.get(eid), new.get(eid)
        new_date = _date(n.date if n else None, as_of)
        recs = folded.get(new_date)
        if recs is None:  # one fold per inspection date, not per entity
            recs = folded[new_date] = ledger.records(until=new_date) if ledger.events else {}
        if o and n and o.level != n.level:
            level_changed.append({"entity_id": eid, "old": o.level, "new": n.level, "grid": (n.grid or o.grid)})
        if o and n and o.ruleset and n.ruleset and o.ruleset != n.ruleset:
            ruleset_changed = True
        seen: Dict[str, Dict[str, Any]] = {}

        def slot(std, cl, subj):
            fid = finding_id(eid, std, cl, subj)
            s = seen.get(fid)
            if s is None:
                s = seen[fid] = {"finding_id": fid, "entity_id": eid, "standard": std, "clause": cl, "subject": subj,
                                 "old": None, "new": None, "old_f": None, "new_f": None}
            return s

        for kind, rec, tag in (("findings", o, "found"), ("undetermined", o, "undetermined"), ("findings", n, "found"), ("undetermined", n, "undetermined")):
            if rec is None:
                continue
            side = "old" if rec is o else "new"
            for std, cl, subj, f in _items(rec, kind, cmap if side == "old" else {}, derive):
                s = slot(std, cl, subj)
                if (std, cl) != (f["standard"], f["clause"]):
                    # a renumbered clause (--clause-map): its ledger record is under the old id
                    s.setdefault("old_ids", []).append(finding_id(eid, f["standard"], f["clause"], subj))
                if s[side] != "found":
                    s[side] = tag
                    s[side + "_f"] = f
        _spread_clause_level(seen, eid)
        for fid in sorted(seen):
            s = seen[fid]
            lrec = now.get(fid)
            lrec_at_new = recs.get(fid)
            for alias in s.get("old_ids", ()):
                lrec = lrec or now.get(alias)
                lrec_at_new = lrec_at_new or recs.get(alias)
            of = s["old_f"] or {}
            nf = s["new_f"] or {}
            closed_in_old = of.get("ledger_status") == "closed"
            sev_old, sev_new = of.get("severity"), nf.get("severity")
            severity = sev_new or sev_old or (lrec.severity if lrec else None)
            old_open = s["old"] == "found" and not closed_in_old
            cls = None
            extra: Dict[str, Any] = {}
            if s["new"] == "found":
                if closed_in_old or (lrec_at_new is not None and lrec_at_new.ever_closed):
                    cls = "reopened"
                elif s["old"] == "found":
                    cls = "persisting"
                else:
                    cls = "new"
                    if s["old"] == "undetermined":
                        extra["was_undetermined"] = True
            elif s["old"] == "found" and old_open:
                if s["new"] == "undetermined":
                    cls = "unverified"
                elif n is None:
                    cls = "out_of_scope"
                    extra["why"] = "entity absent from NEW"
                elif in_rules is not None and (s["standard"], s["clause"]) not in in_rules:
                    cls = "out_of_scope"
                    extra["why"] = "clause gone and unmapped"
                elif in_rules is not None and not in_rules[(s["standard"], s["clause"])].in_force(new_date):
                    cls = "out_of_scope"
                    extra["why"] = "standard not in force on NEW's date"
                elif severity == "major" and not (lrec is not None and lrec.accepted_by_authority and lrec.status == "closed"):
                    cls = "rectified_observed"
                else:
                    cls = "rectified"
            if cls is None:
                continue
            row = {"finding_id": fid, "entity_id": eid, "standard": s["standard"], "clause": s["clause"], "subject": s["subject"],
                   "class": cls, "severity": severity, "cite": nf.get("cite") or of.get("cite"),
                   "severity_changed": bool(sev_old and sev_new and sev_old != sev_new),
                   "provenance": nf.get("provenance") or of.get("provenance"),
                   "grid": (n.grid if n else None) or (o.grid if o else None), "level": (n.level if n else None) or (o.level if o else None),
                   "ledger_status": lrec.status if lrec else None}
            row.update(extra)
            still_open = cls in ("new", "persisting", "unverified", "reopened", "rectified_observed")
            dl = as_date(nf.get("deadline") or of.get("deadline")) if (nf.get("deadline") or of.get("deadline")) else (lrec.deadline if lrec else None)
            row["deadline"] = dl.isoformat() if dl else None
            row["overdue_days"] = None
            if still_open and cls != "rectified_observed":
                if dl is None:
                    warnings.append(Warning_("W-NO-DEADLINE", f"{fid} ({s['standard']}:{s['clause']}) is open without a deadline", fid))
                else:
                    if as_of > dl:
                        row["overdue_days"] = (as_of - dl).days
                        if severity == "major":
                            alerts.append(_alert("A-MAJOR-OVERDUE", row, f"major hazard {row['overdue_days']} days past its deadline: stop for rectification (SPL Art. 102)"))
                        else:
                            alerts.append(_alert("A-OVERDUE", row, f"{row['overdue_days']} days past its deadline"))
                    due = dl + datetime.timedelta(days=recheck_days)
                    row["recheck_due"] = due.isoformat()
                    # NEW itself re-checked the finding when it looked at it after the deadline
                    rechecked_by_new = s["new"] == "found" and n is not None and n.date is not None and n.date > dl
                    if rechecked_by_new:
                        row["rechecked_on"] = n.date.isoformat()
                    if as_of > dl and not (lrec and lrec.rechecked) and not rechecked_by_new:
                        alerts.append(_alert("A-RECHECK-DUE" if as_of <= due else "A-RECHECK-OVERDUE", row, f"re-check due by {due} ({recheck_days} days after the deadline; HZ-8 Hubei)"))
            if severity == "major" and cls in ("persisting", "unverified"):
                level, basis = _listing_level(n, o, lrec)
                alert = _alert("A-LISTING-CANDIDATE", row, f"major hazard {cls}: a 挂牌督办 candidate at {level} level ({basis})")
                alert["listing_level"] = level
                alerts.append(alert)
            if lrec and lrec.stop_from and as_of > _add_months(lrec.stop_from, stop_months) and still_open:
                alerts.append(_alert("A-STOP-OVER-6-MONTHS", row, f"stop order since {lrec.stop_from} exceeds {stop_months} months (原安监总局令第15号 Art. 14)"))
            found_at = (lrec.found_at if lrec else None) or (o.date if (o and s["old"] == "found") else None)
            if severity == "major" and still_open and found_at and cutoff and found_at <= cutoff:
                alerts.append(_alert("A-MAJOR-STOCK", row, f"major hazard found {found_at}, before the stock cutoff {cutoff}, still open (HZ-11)"))
            out.append(row)
    classes = ("new", "persisting", "rectified", "rectified_observed", "unverified", "reopened", "out_of_scope")
    counts = {c: {"general": 0, "major": 0, "unknown": 0} for c in classes}
    by_grid: Dict[str, Dict[str, int]] = {}
    by_level: Dict[str, Dict[str, int]] = {}
    layers: Dict[str, int] = {}
    kinds: Dict[str, int] = {}
    cross: Dict[Tuple[str, str, str, str], int] = {}
    for r in out:
        sev = r["severity"] if r["severity"] in ("general", "major") else "unknown"
        counts[r["class"]][sev] += 1
        ck = (r["class"], sev, r["grid"] or "unknown", r["level"] or "unknown")
        cross[ck] = cross.get(ck, 0) + 1
        g = by_grid.setdefault(r["grid"] or "unknown", {})
        g[r["class"]] = g.get(r["class"], 0) + 1
        lv = by_level.setdefault(r["level"] or "unknown", {})
        lv[r["class"]] = lv.get(r["class"], 0) + 1
        if r["class"] in ("new", "persisting", "reopened"):
            layer = (r["provenance"] or {}).get("layer") or "unknown"
            layers[layer] = layers.get(layer, 0) + 1
            kind = (r["provenance"] or {}).get("kind") or "enforcement"
            kinds[kind] = kinds.get(kind, 0) + 1
    if ruleset_changed:
        warnings.append(Warning_("W-RULESET-CHANGED", "OLD and NEW were graded by different rule sets (digests differ)"))
    found_total = sum(layers.values())
    publication = _publication(new, policy, calendar, warnings)
    gates = {
        "overdue": sum(1 for r in out if r["overdue_days"]),
        "reopened": counts["reopened"]["general"] + counts["reopened"]["major"] + counts["reopened"]["unknown"],
        "new-major": counts["new"]["major"],
        "persisting-major": counts["persisting"]["major"],
    }
    summary = {
        "as_of": as_of.isoformat(),
        "entities": {"old": len(old), "new": len(new)},
        "ledger": {"digest": ledger.digest, "events": len(ledger.events)},
        "classes": counts,
        "by_grid": dict(sorted(by_grid.items())),
        "by_level": dict(sorted(by_level.items())),
        # §8.4 "Counts per class × severity × grid × level": every non-empty cell, in a defined order
        "breakdown": [{"class": c, "severity": sv, "grid": g, "level": lv, "count": n}
                      for (c, sv, g, lv), n in sorted(cross.items(), key=lambda x: (classes.index(x[0][0]), x[0][1:]))],
        "layers": {k: {"count": v, "share": decimal_str(fractions.Fraction(v, found_total), 4)} for k, v in sorted(layers.items())},
        # §8.5: patrol_guidance findings apart from enforcement ones (a patrol finding is not an administrative one)
        "kinds": dict(sorted(kinds.items())),
        "level_changed": level_changed,
        "ruleset_changed": ruleset_changed,
        "gates": gates,
        **({"publication": publication} if publication is not None else {}),
        "parameters": [policy.params[p].to_dict() for p in ("recheck_days", "max_stop_months", "stock_cutoff")],
        "warnings": [w.to_dict() for w in warnings],
    }
    alerts.sort(key=lambda a: (a["entity_id"], a["finding_id"], a["code"]))
    return TrackResult(summary, tuple(out), tuple(alerts))


def _as_records(x: Any) -> Mapping[str, Record]:
    """Records from a path, a :class:`Registry`, decision dicts or records."""
    from .registry import Registry

    if isinstance(x, (str, os.PathLike)):
        return read_records(os.fspath(x))
    if isinstance(x, Registry):
        out = {}
        for e in x.entities:
            f = e.facts
            out[e.id] = Record(e.id, as_date(f.get("decision.date")) if f.get("decision.date") else None, e.findings, e.undetermined,
                               f.get("decision.ruleset_digest"), e.level, e.grid, e.line)
        return out
    if isinstance(x, Mapping):
        return x
    return records_from_dicts(x)


def _alert(code: str, row: Mapping[str, Any], message: str) -> Dict[str, Any]:
    return {"code": code, "finding_id": row["finding_id"], "entity_id": row["entity_id"], "standard": row["standard"], "clause": row["clause"], "message": message}


def _publication(new: Mapping[str, Record], policy: Any, calendar: Any, warnings: List[Warning_]) -> Optional[Dict[str, Any]]:
    """§8.2 step 5: "results are published within 20 working days of the end of
    the check (DR-PUB-1), whose due date track … fills in once the inspection
    date is known" — for the NEW inspection records (not registry lines)."""
    from . import coerce
    from .inputs import Calendar, add_working_days

    insp = [r for _, r in sorted(new.items()) if r.inspection_id and r.date]
    if not insp:
        return None
    days = int(policy["publish_working_days"])
    if calendar is not None and not isinstance(calendar, Calendar):
        calendar = coerce.calendar(calendar, coerce.calendar_year(calendar) or insp[0].date.year)
    if calendar is None or calendar.default:
        warnings.append(Warning_("W-CALENDAR-DEFAULT", f"no calendar: the {days} working days to publication are counted Monday-Friday, without holidays or makeup workdays"))
        calendar = None
    rows = [{"entity_id": r.entity_id, "inspection_id": r.inspection_id, "date": r.date.isoformat(),
             "due": add_working_days(calendar, r.date, days).isoformat()} for r in insp]
    if calendar is not None:
        # §8.0: without a calendar the count is Monday-Friday and warns; a count that runs into a
        # year the calendar does not cover (a check in late December) is such a count for those days
        for r, row in zip(insp, rows):
            first, due = r.date + datetime.timedelta(days=1), datetime.date.fromisoformat(row["due"])
            outside = sorted({y for y in (first.year, due.year) if y != calendar.year})
            if outside:
                warnings.append(Warning_(
                    "W-CALENDAR-DEFAULT",
                    f"{r.inspection_id} ({r.entity_id}, {r.date}): the calendar is for {calendar.year}; the working days to publication "
                    f"in {', '.join(map(str, outside))} are counted Monday-Friday, without holidays or makeup workdays (due {row['due']})",
                    r.inspection_id))
    return {
        "rule": f"results are published within {days} working days of the end of the check",
        "source": "DR-PUB-1 (Hebei 冀政办发〔2015〕22号)", "status": "verified", "working_days": days,
        "calendar": calendar.year if calendar is not None else None,
        "inspections": rows,
    }


_LISTING_LEVELS = ("county", "city", "province")


def _listing_level(n: Optional[Record], o: Optional[Record], lrec: Any) -> Tuple[str, str]:
    """The 挂牌督办 level of a listing candidate (§8.4: "derived from the
    entity's supervising level"): the entity's ``supervised_by`` when it is
    county, city or province; else the ledger's ``supervision.level``; else the
    hazard's ``grade`` as Hubei lists them (HZ-9: grade 4 county, 3 city, 2 and
    above province); else county, the lowest level that lists."""
    for rec in (n, o):
        v = rec.supervised_by if rec is not None else None
        if v in _LISTING_LEVELS:
            return v, "the entity's supervising level; HZ-9, Hubei"
    fields = lrec.fields if lrec is not None else {}
    sup = fields.get("supervision")
    if isinstance(sup, Mapping) and sup.get("level") in _LISTING_LEVELS:
        return sup["level"], "the ledger's supervision level; HZ-9, Hubei"
    grade = fields.get("grade")
    g = str(grade).strip().lower().removeprefix("grade") if grade is not None and not isinstance(grade, bool) else ""
    if g.isascii() and g.isdigit() and int(g) >= 1:  # ASCII: '²' is a digit to isdigit(), not to int()
        return ("county" if int(g) >= 4 else "city" if int(g) == 3 else "province"), f"grade {int(g)} hazard; HZ-9, Hubei"
    return "county", "supervising level not given: county, the lowest listing level; HZ-9, Hubei"


def _add_months(a: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months later (the month's last day if
    it has no such day: Aug 31 + 6 months is Feb 28).  A stop order is over
    the limit only after this day: "no more than 6 months" (15号令 Art. 14)."""
    import calendar

    y, m = divmod(a.month - 1 + months, 12)
    year, month = a.year + y, m + 1
    return datetime.date(year, month, min(a.day, calendar.monthrange(year, month)[1]))
