"""The annual supervision and inspection plan: ``safetyrules plan``
(supervision.md §8.1; SPL Art. 62 ¶2, 安监总政法〔2017〕150号).

1. Workdays (PL-3): ``legal = workdays × staff``; ``supervision = legal −
   other − non_enforcement``; ``available = supervision × (1 − reserve)``.
   Every printed figure in the staff file is recomputed; a disagreement is
   ``W-PLAN-ARITH`` (cf. PL-4).
2. The key set (:mod:`.selection`).
3. Visits ``min(frequency, cap)``, raised to floors; ``W-CAP-BINDS`` when a
   cap binds, ``E-POLICY-FLOOR-CAP`` when a floor is above the cap.
4. Cost and feasibility: never trimmed silently; ``trim="priority"`` cuts the
   least severe levels first and lists every cut.
5. The general budget and stratum targets handed to ``draw commit``.
6. Stable visit months by hash; 7. the coverage report.
"""

from __future__ import annotations

import fractions
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import attrs

from .common import Result, SupervisionError, Warning_, decimal_str, loc_of, parse_ratio, sha256_hex
from .draw import apportion, fixed_count, quota_weights, targets, unknown_ratio
from .inputs import Calendar, History
from .policy import Policy
from .registry import LEVELS, Registry
from .selection import absent_strata_fields, classify, entity_facts, stratum_of

__all__ = ["Workdays", "PlanResult", "plan", "workdays_table", "visit_months"]

_LEVEL_FREQ = {"red": "monthly", "orange": "quarterly", "yellow": "semiannual", "blue": "annual"}
OTHER_CATEGORIES = (
    "overall_supervision", "licensing", "accident_investigation", "complaints", "joint_enforcement",
    "registration_filing", "intermediary_agencies", "publicity_training", "review_litigation", "assigned_tasks",
)
NON_ENFORCEMENT_CATEGORIES = (
    "duty_rota", "study_training_meetings", "guiding_lower_levels", "party_mass_activities",
    "sick_personal_leave", "annual_family_leave", "other_assigned",
)


def visit_months(year: int, entity_id: str, visits: int, blackout: Sequence[int] = ()) -> List[int]:
    """Visit months (§8.1 step 6): ``offset = int(sha256("srplan/v1\\n{Y}\\n{id}")[:8], 16) mod 12``,
    months ``1 + ((offset + floor(12·k/v)) mod 12)``; a blackout month moves to the next allowed one."""
    if visits <= 0:
        return []
    offset = int(sha256_hex(f"srplan/v1\n{year}\n{entity_id}")[:8], 16) % 12
    v = min(visits, 12)
    months = [1 + ((offset + (12 * k) // v) % 12) for k in range(v)]
    if blackout and len(set(blackout)) < 12:
        bl = set(blackout)
        moved = []
        for m in months:
            while m in bl:
                m = m % 12 + 1
            moved.append(m)
        months = moved
    return months


@attrs.frozen
class Workdays(Result):
    """The workday table of one channel (PL-3), every figure recomputed."""

    year: int
    workdays: int
    staff: int
    legal: int
    other: int
    non_enforcement: int
    supervision: int
    reserve: fractions.Fraction
    available: fractions.Fraction
    other_items: Mapping[str, int] = attrs.field(factory=dict)
    non_items: Mapping[str, int] = attrs.field(factory=dict)
    warnings: Tuple[Warning_, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        return {
            "year": self.year, "workdays": self.workdays, "staff": self.staff, "legal": self.legal,
            "other_enforcement": self.other, "non_enforcement": self.non_enforcement,
            "supervision": self.supervision, "reserve": decimal_str(self.reserve),
            "available": decimal_str(self.available),
            "other_enforcement_items": dict(self.other_items), "non_enforcement_items": dict(self.non_items),
            "shares": {
                "supervision": decimal_str(fractions.Fraction(self.supervision, self.legal)) if self.legal else None,
                "other_enforcement": decimal_str(fractions.Fraction(self.other, self.legal)) if self.legal else None,
                "non_enforcement": decimal_str(fractions.Fraction(self.non_enforcement, self.legal)) if self.legal else None,
            },
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _int(data, key, path, doc, required=True) -> Optional[int]:
    v = data.get(key)
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise SupervisionError(f"{key} must be a whole number of days or people, got {v!r}", code="E-STAFF", **loc_of(doc, path, (key,)))
    return v


def _items(data, key, path, doc) -> Tuple[int, Dict[str, int]]:
    v = data.get(key, 0)
    if isinstance(v, Mapping):
        items = {}
        for k, x in v.items():
            if isinstance(x, bool) or not isinstance(x, int) or x < 0:
                raise SupervisionError(f"{key}.{k} must be a whole number of days", code="E-STAFF", **loc_of(doc, path, (key, k)))
            items[str(k)] = x
        return sum(items.values()), items
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise SupervisionError(f"{key} must be days, or a mapping of categories to days", code="E-STAFF", **loc_of(doc, path, (key,)))
    return v, {}


def _pct_ok(printed: Any, value: fractions.Fraction) -> bool:
    """A printed percentage ("21%", "20.9 %", 0.209) agrees with ``value`` to its own precision."""
    s = str(printed).strip().replace(" ", "")
    pct = s.endswith("%")
    s = s.rstrip("%")
    try:
        p = fractions.Fraction(s)
    except ValueError:
        return False
    decimals = len(s.split(".", 1)[1]) if "." in s else 0
    got = value * 100 if pct else value
    if not pct:
        decimals = max(decimals, 0)
    half = fractions.Fraction(1, 2 * 10**decimals)
    return abs(got - p) <= half


def workdays_table(staff: Mapping[str, Any], calendar: Optional[Calendar], policy: Policy, path: Optional[str] = None, doc: Any = None) -> Workdays:
    """Recompute the workday table of a staff file and flag printed slips."""
    warnings: List[Warning_] = []
    year = staff.get("year") or (calendar.year if calendar else None)
    if not isinstance(year, int):
        raise SupervisionError("the staff file needs a year", code="E-STAFF", **loc_of(doc, path, ()))
    given_wd = _int(staff, "workdays", path, doc, required=False)
    if calendar is not None and not calendar.default:
        wd = calendar.workdays()
        if calendar.printed_workdays is not None and calendar.printed_workdays != wd:
            # §8.1 step 1: every printed total is recomputed (a calendar's own total too)
            warnings.append(Warning_("W-PLAN-ARITH", f"workdays: the calendar prints {calendar.printed_workdays}, its dates give {wd}", "workdays"))
        if given_wd is not None and given_wd != wd:
            warnings.append(Warning_("W-PLAN-ARITH", f"workdays: the staff file says {given_wd}, the calendar gives {wd}", "workdays"))
    elif given_wd is not None:
        wd = given_wd
    else:
        wd = (calendar or Calendar(year, frozenset(), frozenset(), True)).workdays()
        warnings.append(Warning_("W-CALENDAR-DEFAULT", f"no calendar: {wd} Monday-Friday days counted for {year}, without holidays or makeup workdays"))
    n = _int(staff, "staff", path, doc)
    other, other_items = _items(staff, "other_enforcement", path, doc)
    non, non_items = _items(staff, "non_enforcement", path, doc)
    legal = wd * n
    supervision = legal - other - non
    if supervision < 0:
        raise SupervisionError(f"other and non-enforcement days ({other} + {non}) exceed the legal workdays ({legal})", code="E-STAFF", **loc_of(doc, path, ()))
    reserve = parse_ratio(policy["reserve"], "reserve")
    available = supervision * (1 - reserve)
    computed = {"workdays": wd, "staff": n, "legal": legal, "other_enforcement": other, "non_enforcement": non, "supervision": supervision}
    printed = staff.get("printed") or {}
    if not isinstance(printed, Mapping):
        raise SupervisionError("printed: maps a figure name to the number(s) the source prints", code="E-STAFF", **loc_of(doc, path, ("printed",)))
    for name, vals in printed.items():
        if name == "shares":
            for share, p in (vals or {}).items():
                num = computed.get(share)
                if num is None:
                    raise SupervisionError(f"unknown share {share!r}", code="E-STAFF", **loc_of(doc, path, ("printed", "shares", share)))
                if legal and not _pct_ok(p, fractions.Fraction(num, legal)):
                    warnings.append(Warning_("W-PLAN-ARITH", f"share of {share}: printed {p}, computed {decimal_str(fractions.Fraction(num * 100, legal), 1)} %", share))
            continue
        if name in ("key", "general"):
            continue
        if name not in computed:
            raise SupervisionError(f"unknown printed figure {name!r} (one of {', '.join(sorted(computed))}, key, general, shares)", code="E-STAFF", **loc_of(doc, path, ("printed", name)))
        for p in vals if isinstance(vals, list) else [vals]:
            if p != computed[name]:
                warnings.append(Warning_("W-PLAN-ARITH", f"{name}: printed {p}, computed {computed[name]}", name))
    if "key" in printed or "general" in printed:
        k, g = printed.get("key"), printed.get("general")
        if isinstance(k, int) and isinstance(g, int) and k + g != supervision:
            warnings.append(Warning_("W-PLAN-ARITH", f"key + general days: printed {k} + {g} = {k + g}, supervision days are {supervision}", "key"))
    return Workdays(year, wd, n, legal, other, non, supervision, reserve, available, other_items, non_items, tuple(warnings))


@attrs.frozen
class PlanResult(Result):
    """The plan: ``summary`` (workdays, key set, general budget, targets,
    coverage, caps that bound, warnings, parameters with source and status)
    and ``entities`` (id, grid, level, category, reasons, visits, months, cap, cost)."""

    summary: Mapping[str, Any]
    entities: Tuple[Mapping[str, Any], ...]
    feasible: bool

    def to_dict(self) -> Dict[str, Any]:
        return {"format": "safetyrules-plan/v1", "summary": dict(self.summary), "entities": list(self.entities)}

    @property
    def warnings(self) -> List[Dict[str, Any]]:
        return list(self.summary["warnings"])


def _frequency_visits(e, f, policy: Policy) -> Tuple[int, str]:
    vmap = policy["visits"]
    freq = f.get("inspection.frequency")
    if freq is None and e.level is not None:
        freq = _LEVEL_FREQ[e.level]
    if freq is None:
        return max(vmap.values()), "unknown"
    if freq not in vmap:
        raise SupervisionError(f"inspection frequency {freq!r} has no visit count in the policy", code="E-POLICY")
    return int(vmap[freq]), freq


def plan(
    reg: Registry,
    policy: Policy,
    *,
    staff: Mapping[str, Any],
    calendar: Optional[Calendar] = None,
    year: int,
    history: Optional[History] = None,
    trim: Optional[str] = None,
    channel: str = "enforcement",
    staff_path: Optional[str] = None,
    staff_doc: Any = None,
) -> PlanResult:
    """Build the year's plan (§8.1).  ``reg``, ``policy``, ``staff``,
    ``calendar`` and ``history`` may be given as paths."""
    import datetime

    from . import coerce

    reg, policy = coerce.registry(reg), coerce.policy(policy)
    if not isinstance(staff, Mapping):
        staff, doc, path = coerce.staff(staff)
        staff_doc, staff_path = staff_doc or doc, staff_path or path
    calendar = coerce.calendar(calendar, year)
    history = coerce.history(history) if history is not None else None

    if trim not in (None, "priority"):
        raise SupervisionError("trim is 'priority' or none", code="E-INPUT")
    history = history or History({})
    wdays = workdays_table(staff, calendar, policy, staff_path, staff_doc)
    if wdays.year != year:
        raise SupervisionError(f"the staff file is for {wdays.year}, the plan for {year}", code="E-STAFF",
                               **(loc_of(staff_doc, staff_path, ("year",)) if staff_path else {}))
    as_of = datetime.date(year, 1, 1)
    cls = classify(reg, policy, history, as_of)
    team = int(policy["team_size"])
    default_days, day_rows = policy.day_rows()
    blackout = [int(m) for m in policy["blackout_months"]]
    warnings: List[Warning_] = list(wdays.warnings)
    rows: List[Dict[str, Any]] = []
    key_rows: List[Dict[str, Any]] = []
    pool_costs: List[int] = []
    strata: Dict[str, int] = {}
    cap_binds = 0
    for e in reg.entities:
        c = cls[e.id]
        f = entity_facts(e, history, as_of)
        days = next((d for cond, d in day_rows if cond(f) is True), default_days)
        cost = team * days
        row = {"id": e.id, "grid": e.grid, "level": e.level, "category": c.category, "reasons": list(c.reasons),
               "exclusion": c.exclusion if c.category == "excluded" else None, "visits": 0, "months": [], "cap": c.cap, "cost": cost}
        if c.category == "key":
            v, freq = _frequency_visits(e, f, policy)
            if c.floor is not None:
                if c.cap is not None and c.floor > c.cap:
                    raise SupervisionError(f"entity {e.id}: floor {c.floor} a year is above its cap {c.cap}", code="E-POLICY-FLOOR-CAP", path=reg.path, line=e.line)
                v = max(v, c.floor)
            if c.cap is not None and v > c.cap:
                warnings.append(Warning_("W-CAP-BINDS", f"{e.id}: {v} visits a year ({freq}) capped at {c.cap}", e.id))
                cap_binds += 1
                v = c.cap
            row["visits"] = v
            row["frequency"] = freq
            key_rows.append(row)
        elif c.category == "random_pool":
            pool_costs.append(cost)
            s = stratum_of(e, policy)
            strata[s] = strata.get(s, 0) + 1
        rows.append(row)
    for f in absent_strata_fields([e for e in reg.entities if cls[e.id].category == "random_pool"], policy):
        warnings.append(Warning_("W-DRAW-STRATA-FIELD", f"no entity of the pool has {f}: every one is in its 'unknown' stratum for it (misspelt?)", f))
    required = sum(r["visits"] * r["cost"] for r in key_rows)
    cuts: List[Dict[str, Any]] = []
    available = wdays.available
    if required > available and trim == "priority":
        order = sorted(key_rows, key=lambda r: (-(LEVELS.index(r["level"]) if r["level"] in LEVELS else -1), r["id"]))
        for r in order:
            if required <= available:
                break
            lowest = max(1, cls[r["id"]].floor or 1)
            while r["visits"] > lowest and required > available:
                r["visits"] -= 1
                required -= r["cost"]
            if cuts and cuts[-1]["id"] == r["id"]:
                continue
            orig = _frequency_visits(reg.by_id[r["id"]], reg.by_id[r["id"]].facts, policy)[0]
            if r["visits"] < min(orig, r["cap"] or orig):
                cuts.append({"id": r["id"], "level": r["level"], "from": min(orig, r["cap"] or orig), "to": r["visits"]})
    feasible = required <= available
    shortfall = max(fractions.Fraction(0), required - available)
    per_staff = fractions.Fraction(wdays.supervision, wdays.staff) * (1 - wdays.reserve) if wdays.staff else None
    if not feasible:
        warnings.append(Warning_("E-PLAN-INFEASIBLE", f"key visits need {required} person-days, {decimal_str(available, 2)} are available: short by {decimal_str(shortfall, 2)} days" + (f" ({decimal_str(shortfall / per_staff, 2)} staff)" if per_staff else "")))
    for r in key_rows:
        r["months"] = visit_months(year, r["id"], r["visits"], blackout)
    mean_cost = fractions.Fraction(sum(pool_costs), len(pool_costs)) if pool_costs else None
    n_general = math.floor((available - required) / mean_cost) if (mean_cost and feasible) else 0
    ratios, ratio_source, ratio_status = policy.ratios()
    top = unknown_ratio(ratios, list(strata))
    order = sorted(strata, key=lambda s: ((LEVELS.index(s.split("/")[0]) if s.split("/")[0] in LEVELS else 4), s))
    # the targets draw commit computes: a fixed count (policy counts) instead of the ratio (§8.1 step 5)
    trows = [(s, strata[s], top if s.split("/")[0] == "unknown" else ratios.get(s.split("/")[0]), fixed_count(policy, s)) for s in order]
    want = targets(trows, int(policy["min_per_stratum"]))
    binds = sum(want) > n_general
    got = apportion(quota_weights(trows), want, n_general) if binds else want  # scaled down: none above its target
    stratum_targets = [{"stratum": s, "n": n, "ratio": decimal_str(r) if r is not None else None, "wanted": w, "target": t} for (s, n, r, _), w, t in zip(trows, want, got)]
    active = sum(1 for r in rows if r["category"] != "excluded" or r["exclusion"] in ("EX-KEY", "EX-RECENT", "EX-CAP", "EX-POOL"))
    k_count = len(key_rows)
    key_visits = sum(r["visits"] for r in key_rows)
    planned_general = sum(got)
    pool_n = len(pool_costs)
    required_full = sum(min(max(_frequency_visits(reg.by_id[r["id"]], reg.by_id[r["id"]].facts, policy)[0], cls[r["id"]].floor or 0), r["cap"] or 10**9) for r in key_rows)

    def ratio(a, b):
        return decimal_str(fractions.Fraction(a, b)) if b else None

    summary = {
        "year": year,
        "channel": channel,
        "policy": {"id": policy.id, "digest": policy.digest},
        "registry": {"entities": len(reg), "digest": reg.digest},
        "workdays": wdays.to_dict(),
        "key": {"count": k_count, "visits": key_visits, "person_days": required, "undetermined": sum(1 for r in key_rows if r["reasons"] == ["undetermined"])},
        "feasible": feasible,
        "shortfall": {"days": decimal_str(shortfall, 2), "staff": decimal_str(shortfall / per_staff, 2) if per_staff else None},
        "trim": {"mode": trim, "cuts": cuts},
        "general": {
            "pool": pool_n,
            "mean_cost": decimal_str(mean_cost, 4) if mean_cost else None,
            "budget": n_general,
            "strata": stratum_targets,
            "budget_binds": binds,
            "ratios": {"source": ratio_source, "status": ratio_status},
        },
        "coverage": {
            "key": ratio(key_visits, required_full) if required_full else "1",
            "registry": ratio(k_count + planned_general, active),
            "general_pool_years": decimal_str(fractions.Fraction(pool_n, planned_general), 2) if planned_general else None,
            "coverage_cycle_years": policy["coverage_cycle_years"],
            "key_share_of_visits": ratio(key_visits, key_visits + planned_general),
            # no general visit (an empty pool) costs no day: the key share of days is then 1, as of visits
            "key_share_of_days": decimal_str(fractions.Fraction(required) / (required + planned_general * (mean_cost or 0)), 4) if (required + planned_general * (mean_cost or 0)) else None,
        },
        "caps": {"profile": policy["caps"] if isinstance(policy["caps"], str) else "custom", "binds": cap_binds},
        "counts": {cat: sum(1 for r in rows if r["category"] == cat) for cat in ("key", "random_pool", "excluded")},
        "parameters": [p.to_dict() for p in sorted(policy.params.values(), key=lambda p: p.name)],
        "warnings": [w.to_dict() for w in warnings],
    }
    if policy.params["ratios"].value == "project.default":
        summary["warnings"].append(Warning_("W-DRAW-DEFAULT-RATIO", f"stratum targets use the project's default ratios ({ratio_source}); status provisional").to_dict())
    for r in rows:
        r.pop("frequency", None)
    return PlanResult(summary, tuple(rows), feasible)
