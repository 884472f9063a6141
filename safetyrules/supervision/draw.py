"""The reproducible, auditable random draw (双随机一公开): ``draw seed |
commit | run | verify`` (supervision.md §8.2, normative hashing).

Commit → reveal → verify, after RFC 3797: ``commit`` fixes the strata, the
eligible ids, targets, exclusions, inspectors and the seed commitment in a
manifest that is published before the seed exists; ``run`` checks the
revealed seed against the commitment and ranks by SHA-256 (never Python's
``random``, whose sequences may change between versions); ``verify``
recomputes the result byte for byte.
"""

from __future__ import annotations

import datetime
import fractions
import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import attrs

from .common import Result, SupervisionError, Warning_, as_date, canonical, decimal_str, digest_bytes, digest_file, sha256_hex
from safetyrules.limits import parse_date
from .inputs import History, Inspector, inspector_from_dict
from .policy import Policy
from .registry import LEVELS, Registry
from .selection import absent_strata_fields, classify, stratum_of

__all__ = [
    "new_seed", "commitment_of", "effective_seed", "pool_digest", "targets", "apportion", "unknown_ratio", "fixed_count", "quota_weights",
    "Manifest", "DrawResult", "draw_commit", "draw_run", "draw_verify", "manifest_from_dict",
]

MANIFEST_FORMAT = "safetyrules-draw-manifest/v1"
RESULT_FORMAT = "safetyrules-draw-result/v1"


def new_seed() -> Tuple[str, str]:
    """32 random bytes from the OS, as hex, and their commitment."""
    seed = os.urandom(32).hex()
    return seed, commitment_of(seed)


def commitment_of(seed: str) -> str:
    """``sha256(seed)``: the SHA-256 of the seed's text as UTF-8, lowercase hex."""
    return sha256_hex(seed)


def effective_seed(secret: Optional[str], public_values: Optional[Sequence[Any]]) -> str:
    """S (§8.2 step 2): the secret seed itself with no public source, else
    ``sha256("srdraw/v1/seed\\n" + secret + "\\n" + canonical(values))``."""
    if public_values is None:
        if secret is None:
            raise SupervisionError("a draw needs a secret seed, public values, or both", code="E-DRAW-SEED")
        return secret
    return sha256_hex("srdraw/v1/seed\n" + (secret or "") + "\n" + canonical([str(v) for v in public_values]))


def pool_digest(strata: Mapping[str, Sequence[str]]) -> str:
    """SHA-256 of the compact JSON array of every ``[stratum, entity_id]`` pair, sorted."""
    pairs = sorted([s, e] for s, ids in strata.items() for e in ids)
    return sha256_hex(canonical(pairs))


def entity_key(seed: str, stratum: str, entity_id: str) -> str:
    return sha256_hex(f"srdraw/v1\nentity\n{seed}\n{stratum}\n{entity_id}")


def inspector_key(seed: str, entity_id: str, inspector_id: str) -> str:
    return sha256_hex(f"srdraw/v1\ninspector\n{seed}\n{entity_id}\n{inspector_id}")


def targets(counts: Sequence[Tuple[str, int, Optional[fractions.Fraction], Optional[int]]], min_per_stratum: int) -> List[int]:
    """Per stratum ``k = max(min_per_stratum, ceil(ratio × n))`` (exact), or a
    fixed count; never more than ``n``; 0 for an empty stratum or no ratio."""
    out = []
    for _name, n, ratio, fixed in counts:
        if n == 0:
            out.append(0)
        elif fixed is not None:
            out.append(min(fixed, n))
        elif ratio is None:
            out.append(0)
        else:
            out.append(min(n, max(min_per_stratum, math.ceil(ratio * n))))
    return out


def fixed_count(policy: Policy, stratum: str) -> Optional[int]:
    """The policy's fixed count for a stratum (``counts``: by stratum name, else by its level), or None."""
    counts = policy["counts"] or {}
    return counts.get(stratum, counts.get(stratum.split("/", 1)[0]))


def quota_weights(rows: Sequence[Tuple[str, int, Optional[fractions.Fraction], Optional[int]]]) -> List[fractions.Fraction]:
    """The largest-remainder quotas' weights (§8.2): ``ratio × n``, or the
    fixed count of a stratum drawn by count instead of by ratio."""
    return [fractions.Fraction(min(fixed, n)) if fixed is not None else (ratio or 0) * n for _name, n, ratio, fixed in rows]


def apportion(weights: Sequence[fractions.Fraction], caps: Sequence[int], budget: int) -> List[int]:
    """Largest remainder (Hamilton): ``budget`` seats in proportion to
    ``weights``, none above its cap; ties go to the earlier stratum."""
    total = sum(weights)
    if budget <= 0 or total == 0:
        return [0] * len(weights)
    quotas = [fractions.Fraction(budget) * w / total for w in weights]
    seats = [min(math.floor(q), c) for q, c in zip(quotas, caps)]
    left = min(budget, sum(caps)) - sum(seats)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - math.floor(quotas[i])), i))
    while left > 0:
        moved = False
        for i in order:
            if left and seats[i] < caps[i]:
                seats[i] += 1
                left -= 1
                moved = True
        if not moved:
            break
    return seats


@attrs.frozen
class Manifest(Result):
    """A draw manifest (the committed part).  ``data`` is its canonical dict."""

    data: Mapping[str, Any]
    _json: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_json", canonical(self.data))

    @property
    def digest(self) -> str:
        """``sha256:`` of the manifest's canonical JSON (what ``-o`` writes, less the newline)."""
        return digest_bytes(self._json.encode("utf-8"))

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.data)

    def to_json(self) -> str:
        return self._json


@attrs.frozen
class DrawResult(Result):
    """The result of ``draw run``: selections with rank keys, teams, skips,
    replacements and a notice per drawn entity."""

    data: Mapping[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.data)

    @property
    def selected(self) -> Dict[str, List[str]]:
        return {s["stratum"]: [x["entity_id"] for x in s["selected"]] for s in self.data["strata"]}

    @property
    def teams(self) -> Dict[str, List[str]]:
        return {t["entity_id"]: list(t["inspectors"]) for t in self.data["teams"]}


def manifest_from_dict(data: Mapping[str, Any], path: Optional[str] = None) -> Manifest:
    if not isinstance(data, Mapping) or data.get("format") != MANIFEST_FORMAT:
        raise SupervisionError(f"not a draw manifest (format {MANIFEST_FORMAT})", path=path, line=1, code="E-DRAW-MANIFEST")
    problem = _manifest_problem(data)
    if problem:  # a manifest cut short or edited by hand: an error at the file, not a crash in the draw
        raise SupervisionError(f"not a whole draw manifest ({problem}); use the file draw commit wrote", path=path, line=1, code="E-DRAW-MANIFEST")
    return Manifest(data)


def _whole(v: Any, least: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= least


def _manifest_problem(d: Mapping[str, Any]) -> Optional[str]:
    """What the run and verify steps read, with the types they need; None when whole."""
    seed, pol = d.get("seed"), d.get("policy")
    if not isinstance(seed, Mapping) or not all(k in seed for k in ("commitment", "public_source")):
        return "seed: {commitment, mix, public_source}"
    if seed["commitment"] is not None and not isinstance(seed["commitment"], str):
        return "seed.commitment"
    if seed["public_source"] is not None and not isinstance(seed["public_source"], Mapping):
        return "seed.public_source"
    if not isinstance(pol, Mapping) or not _whole(pol.get("team_size"), 1) or not (pol.get("load_cap") is None or _whole(pol.get("load_cap"))) \
            or not _whole(pol.get("publish_working_days")) or not isinstance(pol.get("qualifications") or {}, Mapping):
        return "policy: team_size, load_cap, publish_working_days"
    strata = d.get("strata")
    if not isinstance(strata, list) or not all(
            isinstance(st, Mapping) and isinstance(st.get("stratum"), str) and _whole(st.get("target")) and _whole(st.get("n"))
            and isinstance(st.get("ids"), list) and all(isinstance(e, str) for e in st["ids"]) for st in strata):
        return "strata: [{stratum, ids, n, target}]"
    if not isinstance(d.get("pool_digest"), str):
        return "pool_digest"
    if not isinstance(d.get("inspectors"), list) or not all(isinstance(i, Mapping) and isinstance(i.get("id"), str) for i in d["inspectors"]):
        return "inspectors: [{id, …}]"
    for i in d["inspectors"]:
        try:
            inspector_from_dict(i)
        except SupervisionError as exc:
            return f"inspector {i['id']}: {exc.message}"
    if not isinstance(d.get("entities"), Mapping) or not all(isinstance(v, Mapping) for v in d["entities"].values()):
        return "entities"
    for eid, rec in d["entities"].items():  # what inspector assignment reads of each entity
        recent = rec.get("recent_inspectors", [])
        if not isinstance(recent, list) or not all(isinstance(i, str) for i in recent):
            return f"entities.{eid}.recent_inspectors: a list of inspector ids"
        if not _whole(rec.get("days_per_visit", 1), 1):
            return f"entities.{eid}.days_per_visit: a whole number of days"
        if rec.get("sector") is not None and not isinstance(rec["sector"], str):
            return f"entities.{eid}.sector"
    if not isinstance(d.get("inputs"), Mapping):
        return "inputs"
    if not isinstance(d.get("warnings", []), list) or not all(
            isinstance(w, Mapping) and isinstance(w.get("code"), str) and isinstance(w.get("message"), str) for w in d.get("warnings", [])):
        return "warnings: [{code, message, subject}]"
    try:
        parse_date(d.get("as_of"))
    except (TypeError, ValueError):
        return "as_of"
    return None


def _input_digests(reg: Registry, policy: Policy, history: History, inspectors_digest: Optional[str]) -> Dict[str, Optional[str]]:
    from .policy import policy_digest

    return {
        "registry": reg.digest or digest_bytes(canonical(sorted(e.id for e in reg.entities)).encode()),
        "policy": policy_digest(policy),
        "history": _digest_path(history.path) or getattr(history, "digest", None),
        "inspectors": inspectors_digest,
    }


def _inspectors_digest(inspectors: Any, given: Optional[str]) -> Optional[str]:
    """The inspectors' digest: the file's, or of a list of inspector records given in memory."""
    if given is not None:
        return given
    if isinstance(inspectors, (str, os.PathLike)):
        return digest_file(os.fspath(inspectors))
    if isinstance(inspectors, (list, tuple)) and inspectors and all(isinstance(i, Mapping) for i in inspectors):
        return digest_bytes(canonical(list(inspectors)).encode("utf-8"))
    return None


def _digest_path(p: Optional[str]) -> Optional[str]:
    from .common import digest_file

    return digest_file(p) if p else None


def draw_commit(
    reg: Registry,
    policy: Policy,
    *,
    history: History,
    inspectors: Sequence[Inspector],
    as_of: datetime.date,
    commitment: Optional[str] = None,
    public_source: Optional[Mapping[str, Any]] = None,
    budget: Optional[int] = None,
    inspectors_digest: Optional[str] = None,
    plan_digest: Optional[str] = None,
) -> Manifest:
    """Compute the pool, strata, targets and exclusions and write the manifest
    (§8.2 step 1).  At least one of ``commitment`` and ``public_source``.
    ``reg``, ``policy``, ``history`` and ``inspectors`` may be given as paths."""
    from . import coerce

    inspectors_digest = _inspectors_digest(inspectors, inspectors_digest)
    reg, policy, history, inspectors = coerce.registry(reg), coerce.policy(policy), coerce.history(history), coerce.inspectors(inspectors)
    if isinstance(as_of, str):
        as_of = as_date(as_of, "as_of")
    if commitment is None and public_source is None:
        raise SupervisionError("draw commit needs --commitment, --public-source, or both", code="E-DRAW-SEED")
    if commitment is not None:
        commitment = commitment.strip().lower()
        if len(commitment) != 64 or any(c not in "0123456789abcdef" for c in commitment):
            raise SupervisionError("the commitment is the 64-hex-digit SHA-256 that 'draw seed' prints", code="E-DRAW-SEED")
    if public_source is not None and not isinstance(public_source, Mapping):
        raise SupervisionError("a public source is a mapping with 'description' and 'values' (a count)", code="E-DRAW-SEED")
    cls = classify(reg, policy, history, as_of)
    strata: Dict[str, List[str]] = {}
    for e in reg.entities:
        c = cls[e.id]
        if c.category == "random_pool":
            strata.setdefault(stratum_of(e, policy), []).append(e.id)
    ratios, ratio_source, ratio_status = policy.ratios()
    warnings: List[Warning_] = []
    if policy.params["ratios"].value == "project.default":  # §8.8 2: whoever names it, the profile is provisional
        warnings.append(Warning_("W-DRAW-DEFAULT-RATIO", f"the draw uses the project's default ratios ({ratio_source}); status provisional, not law"))
    pooled = [reg.by_id[eid] for ids in strata.values() for eid in ids]
    for f in absent_strata_fields(pooled, policy):
        warnings.append(Warning_("W-DRAW-STRATA-FIELD", f"no entity of the pool has {f}: every one is in its 'unknown' stratum for it (misspelt?)", f))
    top = unknown_ratio(ratios, strata)
    order = sorted(strata, key=_stratum_order)
    rows = []
    for name in order:
        level = name.split("/", 1)[0]
        fixed = fixed_count(policy, name)
        if level == "unknown":
            ratio = top
            warnings.append(Warning_("W-DRAW-UNKNOWN-STRATUM", f"{len(strata[name])} entities of unknown level are drawn at the highest ratio ({decimal_str(top) if top is not None else 'none'})", name))
        else:
            ratio = ratios.get(level)
            if ratio is None and fixed is None:  # a fixed count is drawn without a ratio
                warnings.append(Warning_("W-DRAW-NO-RATIO", f"no ratio for stratum {name}: nothing drawn from it", name))
        rows.append((name, len(strata[name]), ratio, fixed))
    mins = int(policy["min_per_stratum"])
    k = targets(rows, mins)
    if budget is None and policy["budget"] is not None:
        budget = int(policy["budget"])
    budget_info = None
    if budget is not None:
        want = sum(k)
        if want > budget:
            k2 = apportion(quota_weights(rows), k, budget)  # scaled down: no stratum above its own target
            budget_info = {"budget": budget, "binds": True, "before": want, "after": sum(k2)}
            warnings.append(Warning_("W-DRAW-BUDGET-BINDS", f"the targets ({want}) exceed the budget ({budget}): scaled by largest remainder"))
            k = k2
        else:
            budget_info = {"budget": budget, "binds": False, "before": want, "after": want}
    if commitment is not None and public_source is None:
        warnings.append(Warning_("W-DRAW-SECRET-ONLY", "commit-reveal alone: the seed holder could decline to reveal; mix in a public source"))
    insp = sorted(inspectors, key=lambda i: i.id)
    window = int(policy["rotation_window"])
    quals = {str(k): sorted(v) for k, v in (policy["qualifications"] or {}).items()}  # sector -> required qualifications
    days, day_rows = policy.day_rows()
    # Only what inspector assignment needs beyond the defaults, so that the
    # manifest of a 100,000-entity pool stays small: recent inspectors
    # (rotation), days per visit when not the default, the sector when
    # qualifications are required.
    entities: Dict[str, Dict[str, Any]] = {}
    for ids in strata.values():
        for eid in ids:
            e = reg.by_id[eid]
            rec: Dict[str, Any] = {}
            recent = history.recent_inspectors(eid, as_of, window)
            if recent:
                rec["recent_inspectors"] = list(recent)
            d = next((x for c, x in day_rows if c(e.facts) is True), days)
            if d != 1:
                rec["days_per_visit"] = d
            if quals and e.sector in quals:
                rec["sector"] = e.sector
            if rec:
                entities[eid] = rec
    data = {
        "format": MANIFEST_FORMAT,
        "as_of": as_of.isoformat(),
        "inputs": _input_digests(reg, policy, history, inspectors_digest),
        "plan": plan_digest,
        "policy": {
            "id": policy.id,
            "team_size": int(policy["team_size"]),
            "rotation_window": window,
            "load_cap": policy["load_cap"],
            "min_per_stratum": mins,
            "ratios": {"values": {k_: decimal_str(v) for k_, v in sorted(ratios.items())}, "source": ratio_source, "status": ratio_status},
            "publish_working_days": int(policy["publish_working_days"]),
            "qualifications": quals,
        },
        "strata": [
            {"stratum": name, "n": n, "ratio": decimal_str(r) if r is not None else None, "target": t, "ids": sorted(strata[name])}
            for (name, n, r, _), t in zip(rows, k)
        ],
        "pool_digest": pool_digest(strata),
        "budget": budget_info,
        "exclusions": sorted(
            ({"entity_id": e.id, "reason": cls[e.id].exclusion, "detail": cls[e.id].detail} for e in reg.entities if cls[e.id].exclusion),
            key=lambda x: x["entity_id"],
        ),
        "entities": entities,
        "inspectors": [i.to_dict() for i in insp],
        "seed": {
            "commitment": commitment,
            "public_source": dict(public_source) if public_source is not None else None,
            "mix": "secret+public" if commitment and public_source is not None else ("public" if public_source is not None else "secret"),
        },
        "warnings": [w.to_dict() for w in warnings],
    }
    return Manifest(data)


def unknown_ratio(ratios: Mapping[str, fractions.Fraction], strata: Sequence[str]) -> Optional[fractions.Fraction]:
    """The ratio of the ``unknown`` stratum (§8.2): "the highest ratio among the
    drawable strata" — the levels that have entities in the pool (with the
    default key set red and orange are key, so their ratios of a profile such
    as cn.ha.samr.2021 do not count); with none, the highest ratio given."""
    present = {name.split("/", 1)[0] for name in strata}
    drawable = [ratios[l] for l in LEVELS if l in ratios and l in present]
    if drawable:
        return max(drawable)
    return max((ratios[l] for l in LEVELS if l in ratios), default=None)


def _stratum_order(name: str) -> Tuple[int, str]:
    level = name.split("/", 1)[0]
    rank = LEVELS.index(level) if level in LEVELS else len(LEVELS)
    return (rank, name)


def _check_public(man: Manifest, public_values: Optional[Sequence[Any]]) -> Optional[List[str]]:
    src = man.data["seed"]["public_source"]
    if src is None:
        if public_values is not None:
            raise SupervisionError("the manifest names no public source, but public values were given", code="E-DRAW-PUBLIC")
        return None
    if public_values is None:
        raise SupervisionError(f"the manifest commits to a public source ({src.get('description', '?')}): give --public-values", code="E-DRAW-PUBLIC")
    vals = [str(v) for v in public_values]
    want = src.get("values")
    if isinstance(want, int) and len(vals) != want:
        raise SupervisionError(f"the public source has {want} values, {len(vals)} were given", code="E-DRAW-PUBLIC")
    if isinstance(want, list) and len(vals) != len(want):
        raise SupervisionError(f"the public source names {len(want)} values ({', '.join(map(str, want))}), {len(vals)} were given", code="E-DRAW-PUBLIC")
    return vals


def draw_run(man: Manifest, seed: Optional[str] = None, public_values: Optional[Sequence[Any]] = None, replacements: Optional[Mapping[str, str]] = None) -> DrawResult:
    """Reveal: check the seed, rank, select, assign teams (§8.2 steps 2–5).

    ``replacements`` maps a drawn entity found closed or unreachable to the
    reason; the next in rank replaces it, recorded as ``replaces``.
    """
    sd = man.data["seed"]
    if sd["commitment"] is not None:
        if seed is None:
            raise SupervisionError("the manifest commits to a secret seed: give --seed", code="E-DRAW-SEED")
        if commitment_of(seed) != sd["commitment"]:
            raise SupervisionError("sha256(seed) does not match the manifest's commitment", code="E-DRAW-COMMITMENT")
    elif seed is not None:
        raise SupervisionError("the manifest commits to no secret seed, but one was given", code="E-DRAW-SEED")
    vals = _check_public(man, public_values)
    S = effective_seed(seed, vals)
    # the pool drawn from is the pool committed to: a manifest whose strata were edited after the
    # commit no longer hashes to the pool digest it carries (and that the minutes record)
    if pool_digest({st["stratum"]: st["ids"] for st in man.data["strata"]}) != man.data["pool_digest"]:
        raise SupervisionError("the manifest's strata do not hash to its pool digest: the pool was changed after the commit",
                               code="E-DRAW-INPUT-CHANGED")
    pol = man.data["policy"]
    replacements = dict(replacements or {})
    pool = {e for st in man.data["strata"] for e in st["ids"]}
    unknown = sorted(e for e in replacements if e not in pool)
    if unknown:
        raise SupervisionError(f"--replace names {', '.join(map(repr, unknown))}, not in the manifest's pool: only a drawn entity is replaced",
                               code="E-INPUT")
    strata_out, selected_order, replaced = [], [], []
    for st in man.data["strata"]:
        ranked = sorted(((entity_key(S, st["stratum"], e), e) for e in st["ids"]))
        original = {e for _, e in ranked[: st["target"]]}
        chosen, out_here = [], []
        for i, (key, e) in enumerate(ranked, 1):
            if len(chosen) == st["target"]:
                break
            if e in replacements:
                if e in original:
                    out_here.append({"entity_id": e, "stratum": st["stratum"], "reason": replacements[e]})
                continue
            chosen.append({"entity_id": e, "rank": i, "key": key})
        # the entities that entered because a drawn one was replaced take its place, in rank order
        for rec, rep in zip([c for c in chosen if c["entity_id"] not in original], out_here):
            rec["replaces"] = rep["entity_id"]
            rep["replaced_by"] = rec["entity_id"]
        replaced.extend(out_here)
        taken = len(chosen)
        strata_out.append({"stratum": st["stratum"], "target": st["target"], "n": st["n"], "selected": chosen, "short": st["target"] - taken})
        selected_order.extend(r["entity_id"] for r in chosen)
    teams, errors = _assign(man, S, selected_order)
    as_of = parse_date(man.data["as_of"])
    by_id = {i["id"]: i for i in man.data["inspectors"]}
    notices = []
    for t in teams:
        notices.append({
            "entity_id": t["entity_id"],
            "inspectors": [{k: by_id[i][k] for k in ("id", "name", "unit", "cert_no")} for i in t["inspectors"]],
            "items": f"safetyrules checklist {t['entity_id']}",
            "publication": {
                "rule": f"results are published within {pol['publish_working_days']} working days of the end of the check",
                "source": "DR-PUB-1 (Hebei 冀政办发〔2015〕22号)",
                "status": "verified",
                "due": None,
            },
        })
    warnings = list(man.data.get("warnings", ()))
    data = {
        "format": RESULT_FORMAT,
        "manifest_digest": man.digest,
        "as_of": as_of.isoformat(),
        "seed": {"secret": seed, "public_values": vals, "effective": S},
        "strata": strata_out,
        "teams": teams,
        "replacements": replaced,
        "errors": errors,
        "notices": notices,
        "warnings": warnings,
    }
    return DrawResult(data)


def _assign(man: Manifest, S: str, selected: Sequence[str]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    pol = man.data["policy"]
    team_size = pol["team_size"]
    load_cap = pol["load_cap"]
    as_of = parse_date(man.data["as_of"])
    inspectors = [inspector_from_dict(i) for i in man.data["inspectors"]]
    quals = pol.get("qualifications") or {}
    load: Dict[str, int] = {}
    used_days: Dict[str, int] = {}
    teams, errors = [], []
    for eid in selected:
        ent = man.data["entities"].get(eid, {})
        need = set(quals.get(ent.get("sector") or "", ()))
        recent = set(ent.get("recent_inspectors") or ())
        dpv = ent.get("days_per_visit", 1)
        ranked = sorted(((inspector_key(S, eid, i.id), i) for i in inspectors), key=lambda x: x[0])
        team, skipped = [], []
        for key, ins in ranked:
            if len(team) == team_size:
                break
            reason = None
            if not ins.certified_on(as_of):
                reason = "certificate"
            elif need and not need.issubset(ins.qualifications):
                reason = "qualification"
            elif any(c == eid for c, _ in ins.conflicts):
                reason = "recusal"
            elif ins.id in recent:
                reason = "rotation"
            elif load_cap is not None and load.get(ins.id, 0) >= load_cap:
                reason = "load_cap"
            elif ins.available_days is not None and used_days.get(ins.id, 0) + dpv > ins.available_days:
                reason = "load_cap"
            if reason:
                skipped.append({"inspector": ins.id, "reason": reason})
            else:
                team.append(ins.id)
        if len(team) < team_size:
            errors.append({"code": "E-DRAW-NO-TEAM", "entity_id": eid, "message": f"only {len(team)} of {team_size} inspectors pass the filters"})
        else:
            for i in team:
                load[i] = load.get(i, 0) + 1
                used_days[i] = used_days.get(i, 0) + dpv
        teams.append({"entity_id": eid, "inspectors": team if len(team) == team_size else [], "candidates": team, "skipped": skipped})
    return teams, errors


def draw_verify(
    man: Manifest,
    result: Any,
    seed: Optional[str] = None,
    public_values: Optional[Sequence[Any]] = None,
    *,
    reg: Optional[Registry] = None,
    policy: Optional[Policy] = None,
    history: Optional[History] = None,
    inspectors: Optional[Sequence[Inspector]] = None,
    inspectors_digest: Optional[str] = None,
) -> bool:
    """Recompute the draw from the manifest and the seed (and, given the raw
    inputs, the manifest itself) and compare byte for byte.  Returns True;
    raises :class:`SupervisionError` (``E-DRAW-VERIFY`` with the first
    difference, or a seed/commitment error) otherwise."""
    from . import coerce

    # paths are accepted as draw_commit accepts them (§8.0: sv.draw_verify(man, res, seed=..., reg=..., history=..., inspectors=...))
    inspectors_digest = _inspectors_digest(inspectors, inspectors_digest)
    if reg is not None:
        reg = coerce.registry(reg)
    if policy is not None:
        policy = coerce.policy(policy)
    if history is not None:
        history = coerce.history(history)
    if inspectors is not None:
        inspectors = coerce.inspectors(inspectors)
    text = result if isinstance(result, str) else result.to_json()
    text = text.rstrip("\n")
    import json

    try:
        given = json.loads(text)
    except ValueError:
        raise SupervisionError("the result is not JSON", code="E-DRAW-VERIFY") from None
    if reg is not None and policy is None:
        from .policy import default_policy, policy_digest

        if man.data["inputs"].get("policy") == policy_digest(default_policy()):
            policy = default_policy()  # the draw used the project defaults (no --policy): recompute with them
    if reg is not None and policy is None:
        # without the policy the pool cannot be recomputed: check that the raw
        # inputs given are the ones committed, then verify the result
        from .inputs import History as _H

        got = _input_digests(reg, _policy_stub(), history or _H({}), inspectors_digest)
        for name in ("registry", "history", "inspectors"):
            if (name != "history" or history is not None) and (name != "inspectors" or inspectors_digest is not None) and got[name] != man.data["inputs"].get(name):
                raise SupervisionError(f"the {name} differs from the one the manifest was committed with", code="E-DRAW-INPUT-CHANGED")
        reg = None
    if reg is not None and history is None and man.data["inputs"].get("history") is None:
        from .inputs import History as _H0

        history = _H0({})  # committed without a history: there is none to give
    if reg is not None:
        if history is None or inspectors is None:
            raise SupervisionError("verifying against the raw inputs needs the registry, policy, history and inspectors", code="E-DRAW-VERIFY")
        as_of = parse_date(man.data["as_of"])
        sd = man.data["seed"]
        again = draw_commit(
            reg, policy, history=history, inspectors=inspectors, as_of=as_of, commitment=sd["commitment"],
            public_source=sd["public_source"], budget=(man.data.get("budget") or {}).get("budget"),
            inspectors_digest=inspectors_digest, plan_digest=man.data.get("plan"),
        )
        if again.data["inputs"] != man.data["inputs"]:
            changed = sorted(k for k in man.data["inputs"] if again.data["inputs"].get(k) != man.data["inputs"][k])
            raise SupervisionError(f"inputs differ from the manifest: {', '.join(changed)}", code="E-DRAW-INPUT-CHANGED")
        if again.to_json() != man.to_json():
            raise SupervisionError("the manifest does not follow from the inputs: " + _first_diff(man.to_dict(), again.to_dict()), code="E-DRAW-VERIFY")
    reps = {}  # the replacements the result claims; a malformed list makes a result that does not follow
    for r in (given.get("replacements") if isinstance(given, dict) and isinstance(given.get("replacements"), list) else ()):
        if isinstance(r, dict) and isinstance(r.get("entity_id"), str) and isinstance(r.get("reason"), str):
            reps[r["entity_id"]] = r["reason"]
    try:
        mine = draw_run(man, seed, public_values, reps)
    except SupervisionError as exc:
        if exc.code != "E-INPUT":
            raise
        raise SupervisionError(f"the result does not follow from the manifest: {exc.message}", code="E-DRAW-VERIFY") from None
    if mine.to_json() != text:
        raise SupervisionError("the result differs from the recomputed draw: " + _first_diff(given, mine.to_dict()), code="E-DRAW-VERIFY")
    return True


def _policy_stub() -> Policy:
    from .policy import default_policy

    return default_policy()


def _first_diff(a: Any, b: Any, where: str = "") -> str:
    if type(a) is not type(b):
        return f"{where or '/'}: {canonical(a)[:80]} != {canonical(b)[:80]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}/{k}: present in only one"
            if a[k] != b[k]:
                return _first_diff(a[k], b[k], f"{where}/{k}")
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_diff(x, y, f"{where}/{i}")
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
    return f"{where or '/'}: {canonical(a)[:80]} != {canonical(b)[:80]}"
