"""Grid workload and balance: ``safetyrules grid`` (supervision.md §8.3).

No official workload weighting exists (GR-W-1 NOT FOUND); this is paper B's
"value per enterprise" model, with every weight a policy parameter of status
``assumption``:

* ``load(e) = visits(level) × t_size(scale) × t_sector(sector) + fixed``;
* ``capacity(member) = workdays × fte × visits_per_day``.

Grid members without a certificate are patrol capacity only (DR-54-2): the
report counts them in patrol capacity and never as enforcement capacity.
"""

from __future__ import annotations

import decimal
import fractions
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import attrs

from .common import Result, SupervisionError, Warning_, decimal_str
from .inputs import Calendar, Member
from .policy import Policy
from .registry import LEVELS, Registry

__all__ = ["GridReport", "grid_report", "balance", "read_moves"]

_LEVEL_FREQ = {"red": "monthly", "orange": "quarterly", "yellow": "semiannual", "blue": "annual"}
F = fractions.Fraction


def _sqrt(q: F) -> F:
    with decimal.localcontext() as ctx:
        ctx.prec = 30
        r = (decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)).sqrt()
    return F(r)


def balance(values: Sequence[F]) -> Dict[str, Optional[str]]:
    """Coefficient of variation (population), Gini index, max/min ratio and the
    top decile's share, as decimal strings (exact arithmetic, then 4 places)."""
    xs = sorted(F(v) for v in values)
    n = len(xs)
    if n == 0:
        return {"n": 0, "mean": None, "cv": None, "gini": None, "max_min": None, "top_decile_share": None}
    total = sum(xs)
    mean = total / n
    var = sum((x - mean) ** 2 for x in xs) / n
    cv = _sqrt(var) / mean if mean else None
    gini = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(xs)) / (n * total) if total else None
    top = max(1, n // 10)
    return {
        "n": n,
        "mean": decimal_str(mean, 4),
        "cv": decimal_str(cv, 4) if cv is not None else None,
        "gini": decimal_str(gini, 4) if gini is not None else None,
        "max_min": decimal_str(xs[-1] / xs[0], 4) if xs[0] else None,
        "top_decile_share": decimal_str(sum(xs[-top:]) / total, 4) if total else None,
    }


@attrs.frozen
class GridReport(Result):
    """Per-grid rows, per-member loads, flags and balance statistics."""

    summary: Mapping[str, Any]
    grids: Tuple[Mapping[str, Any], ...]
    after: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        d = {"format": "safetyrules-grid/v1", "summary": dict(self.summary), "grids": list(self.grids)}
        if self.after is not None:
            d["after_moves"] = dict(self.after)
        return d


class Move(tuple):
    """``(entity_id, to_grid)``, remembering the file line it came from."""

    path: Optional[str] = None
    line: Optional[int] = None

    def __new__(cls, entity_id: str, to_grid: str, path: Optional[str] = None, line: Optional[int] = None) -> "Move":
        m = super().__new__(cls, (entity_id, to_grid))
        m.path, m.line = path, line
        return m


def read_moves(path: str) -> List[Tuple[str, str]]:
    """``entity_id,to_grid`` lines (a CSV with that header, or JSON Lines)."""
    from .common import read_jsonl

    out = []
    if path.endswith((".jsonl", ".ndjson")):
        for n, obj in read_jsonl(path):
            if not obj.get("entity_id") or not obj.get("to_grid"):
                raise SupervisionError("a move is {entity_id, to_grid}", path=path, line=n, code="E-GRID-MOVE")
            out.append(Move(str(obj["entity_id"]), str(obj["to_grid"]), path, n))
        return out
    from .common import read_csv

    for n, row in read_csv(path, "moves", ("entity_id", "to_grid")):
        if not row.get("entity_id") or not row.get("to_grid"):
            raise SupervisionError("a move line is entity_id,to_grid", path=path, line=n, code="E-GRID-MOVE")
        out.append(Move(row["entity_id"].strip(), row["to_grid"].strip(), path, n))
    return out


def _compute(assign: Mapping[str, Optional[str]], reg: Registry, members: Sequence[Member], policy: Policy, workdays: int, by: str, channel: str):
    w = policy["grid_weights"]
    t_size = {k: F(str(v)) for k, v in w["t_size"].items()}
    t_hr = F(str(w["t_sector_high_risk"]))
    fixed = F(str(w["fixed"]))
    vpd = F(str(w["visits_per_day"]))
    vmap = policy["visits"]
    unknown_as = policy["grid_unknown_level"]
    flags_p = policy["utilisation_flags"]
    over, under = F(str(flags_p["over"])), F(str(flags_p["under"]))
    max_e, min_m = int(policy["grid_max_entities"]), int(policy["grid_min_members"])
    grids: Dict[str, Dict[str, Any]] = {}

    def g(name):
        r = grids.get(name)
        if r is None:
            r = grids[name] = {"grid": name, "levels": {l: 0 for l in LEVELS + ("unknown",)}, "entities": 0, "visits": 0, "load": F(0), "members": [], "fte": F(0), "certified_fte": F(0)}
        return r

    visits_graded = visits_all = 0
    unassigned = 0
    for e in reg.entities:
        grid = assign.get(e.id)
        if grid is None:
            unassigned += 1
            continue
        if e.facts.get("entity.status") not in (None, "active"):
            continue
        r = g(grid)
        lvl = e.level or "unknown"
        r["levels"][lvl] += 1
        r["entities"] += 1
        freq = e.facts.get("inspection.frequency") or _LEVEL_FREQ.get(e.level or unknown_as)
        v = int(vmap[freq]) if freq in vmap else int(vmap[_LEVEL_FREQ[unknown_as]])
        if e.level is not None:
            visits_graded += v
        visits_all += v
        r["visits"] += v
        if by == "count":
            r["load"] += 1
        else:
            size = t_size.get(e.facts.get("entity.scale"), F(1))
            sec = t_hr if e.facts.get("entity.high_risk_sector") is True else F(1)
            r["load"] += v * size * sec + fixed
    for m in members:
        if channel == "enforcement" and not m.cert_no:
            # patrol capacity only: never counted towards administrative inspections (DR-54-2)
            g(m.grid)["members"].append(m)
            continue
        r = g(m.grid)
        r["members"].append(m)
        r["fte"] += m.fte
        if m.cert_no:
            r["certified_fte"] += m.fte
    rows, member_loads, loads = [], [], []
    for name in sorted(grids):
        r = grids[name]
        cap_fte = r["certified_fte"] if channel == "enforcement" else r["fte"]
        if by == "count":
            capacity = F(max_e) * cap_fte / min_m if cap_fte else F(0)
        else:
            capacity = workdays * cap_fte * vpd
        util = r["load"] / capacity if capacity else None
        flags = []
        if r["entities"] > max_e:
            flags.append("W-GRID-OVER-CAP")
        staffed = sum(1 for m in r["members"] if m.cert_no) if channel == "enforcement" else len(r["members"])
        if staffed < min_m:  # enforcement: patrol-only members never count (DR-54-2)
            flags.append("W-GRID-UNDERSTAFFED")
        if util is None and r["entities"]:
            flags.append("W-GRID-OVERLOAD")
        elif util is not None and util > over:
            flags.append("W-GRID-OVERLOAD")
        elif util is not None and util < under:
            flags.append("W-GRID-UNDERUSED")
        if r["levels"]["unknown"]:
            flags.append("W-GRID-UNGRADED")
        n_members = len(r["members"])
        for m in r["members"]:
            share = (r["load"] * m.fte / cap_fte) if (cap_fte and (m.cert_no or channel == "patrol")) else F(0)
            member_loads.append(share)
        loads.append(r["load"])
        rows.append({
            "grid": name, "entities": r["entities"], "levels": r["levels"], "visits": r["visits"],
            "load": decimal_str(r["load"], 4), "members": n_members,
            "certified_members": sum(1 for m in r["members"] if m.cert_no),
            "load_per_member": decimal_str(r["load"] / n_members, 4) if n_members else None,
            "capacity": decimal_str(capacity, 4), "utilisation": decimal_str(util, 4) if util is not None else None,
            "ungraded_share": decimal_str(F(r["levels"]["unknown"], r["entities"]), 4) if r["entities"] else "0",
            "flags": flags,
        })
    stats = {"grids": balance(loads), "members": balance(member_loads)}
    totals = {"entities": sum(r["entities"] for r in rows), "visits_graded": visits_graded, "visits": visits_all, "unassigned": unassigned,
              "graded_entities": sum(r["entities"] - r["levels"]["unknown"] for r in rows)}
    return rows, stats, totals


def grid_report(
    reg: Registry,
    members: Sequence[Member],
    policy: Policy,
    *,
    calendar: Optional[Calendar] = None,
    year: Optional[int] = None,
    by: str = "load",
    channel: str = "patrol",
    moves: Sequence[Tuple[str, str]] = (),
    suggest: bool = False,
) -> GridReport:
    """The grid report (§8.3): per grid and member, flags, balance, and with
    ``moves`` the balance before and after the reassignments.  ``reg``,
    ``members``, ``policy`` and ``calendar`` may be given as paths."""
    from . import coerce

    reg, members, policy = coerce.registry(reg), coerce.members(members), coerce.policy(policy)
    if calendar is not None and not isinstance(calendar, Calendar):
        import datetime as _dt

        year = year or coerce.calendar_year(calendar) or _dt.date.today().year
        calendar = coerce.calendar(calendar, year)
    if by not in ("load", "count"):
        raise SupervisionError("--by is load or count", code="E-INPUT")
    if channel not in ("patrol", "enforcement"):
        raise SupervisionError("--channel is enforcement or patrol", code="E-INPUT")
    warnings: List[Warning_] = []
    if calendar is None:
        import datetime

        calendar = Calendar(year or datetime.date.today().year, frozenset(), frozenset(), True)
    if calendar.default:
        warnings.append(Warning_("W-CALENDAR-DEFAULT", f"no calendar: Monday-Friday days of {calendar.year} counted"))
    workdays = calendar.workdays()
    assign = {e.id: e.grid for e in reg.entities}
    rows, stats, totals = _compute(assign, reg, members, policy, workdays, by, channel)
    if totals["unassigned"]:  # counted in no grid: said, not only left out of the totals
        missing = sorted(e.id for e in reg.entities if assign.get(e.id) is None)
        warnings.append(Warning_("W-GRID-UNASSIGNED", f"{len(missing)} entities have no entity.grid and are in no grid's load: "
                                 + ", ".join(missing[:10]) + (" …" if len(missing) > 10 else ""), None))
    weighted = None
    if by == "count":
        # §8.3: the count standard is shown next to the weighted view, so the imbalance shows
        rows_w, stats_w, _ = _compute(assign, reg, members, policy, workdays, "load", channel)
        for r, w in zip(rows, rows_w):
            r["weighted_load"], r["weighted_utilisation"] = w["load"], w["utilisation"]
        weighted = stats_w
    n_grids = len([r for r in rows if r["entities"]]) or 1
    summary = {
        "by": by, "channel": channel, "workdays": workdays, "registry": {"entities": len(reg), "digest": reg.digest},
        "policy": {"id": policy.id, "digest": policy.digest},
        "totals": totals,
        "mean_entities_per_grid": decimal_str(F(totals["entities"], n_grids), 2),
        "mean_graded_per_grid": decimal_str(F(totals["graded_entities"], n_grids), 2),
        "visits_per_grid": decimal_str(F(totals["visits"], n_grids), 2),
        "flags": {code: sum(1 for r in rows if code in r["flags"]) for code in ("W-GRID-OVER-CAP", "W-GRID-UNDERSTAFFED", "W-GRID-OVERLOAD", "W-GRID-UNDERUSED", "W-GRID-UNGRADED")},
        "balance": stats,
        **({"balance_weighted": weighted} if weighted is not None else {}),
        "parameters": [policy.params[p].to_dict() for p in ("grid_weights", "utilisation_flags", "grid_max_entities", "grid_min_members", "visits", "grid_unknown_level")],
        "layers": layer_shares(reg),
        "warnings": [w.to_dict() for w in warnings],
    }
    if suggest:
        k = F(str(policy["utilisation_flags"]["k"]))
        vals = sorted(F(r["load"]) for r in rows)
        med = (vals[(len(vals) - 1) // 2] + vals[len(vals) // 2]) / 2 if vals else F(0)
        summary["suggest"] = {
            "k": decimal_str(k), "median_load": decimal_str(med, 4),
            "split": [r["grid"] for r in rows if F(r["load"]) > k * med],
            "merge": [r["grid"] for r in rows if F(r["load"]) < med / k],
        }
    after = None
    if moves:
        known = set(assign)
        moved: Dict[str, Any] = {}
        for move in moves:
            ent, to = move
            where = {"path": move.path, "line": move.line} if isinstance(move, Move) else {}
            if ent not in known:
                raise SupervisionError(f"move of unknown entity {ent!r}", code="E-GRID-MOVE", **where)
            if ent in moved:  # two destinations: which one the what-if means is not said
                first = f" (first on line {moved[ent]})" if moved[ent] else ""
                raise SupervisionError(f"entity {ent!r} is moved twice{first}", code="E-GRID-MOVE", **where)
            moved[ent] = where.get("line")
            assign[ent] = to
        rows2, stats2, _ = _compute(assign, reg, members, policy, workdays, by, channel)
        after = {"moves": [{"entity_id": e, "to_grid": t} for e, t in moves], "balance_before": stats, "balance_after": stats2,
                 "grids": [r for r in rows2 if r["grid"] in {t for _, t in moves} | {reg.by_id[e].grid for e, _ in moves}]}
    return GridReport(summary, tuple(rows), after)


def layer_shares(reg: Registry) -> Dict[str, Any]:
    """The share of findings by provenance layer (§8.5); findings without
    provenance count as ``national`` only when their standard says so, else ``unknown``."""
    counts: Dict[str, int] = {}
    kinds: Dict[str, int] = {}
    for e in reg.entities:
        for f in e.findings:
            prov = f.get("provenance") or {}
            layer = prov.get("layer") or "unknown"
            counts[layer] = counts.get(layer, 0) + 1
            kind = prov.get("kind") or "enforcement"
            kinds[kind] = kinds.get(kind, 0) + 1
    total = sum(counts.values())
    return {
        "findings": total,
        "by_layer": {k: {"count": v, "share": decimal_str(F(v, total), 4)} for k, v in sorted(counts.items())},
        "by_kind": dict(sorted(kinds.items())),
    }
