"""The supervision policy (``kind: supervision-policy``, supervision.md §8.0,
§8.6): every parameter the commands use, each with its value, ``source`` and
``status``.

A value the policy file gives takes the file's ``source``/``status`` for its
section (``status: policy`` when it gives none); a value it leaves out takes the
project default of §8.6 with that table's source and status, so a report can
always say which numbers rest on an assumption.  Statuses: ``verified``,
``partial``, ``provisional``, ``assumption``, ``policy``.  None of the
defaults is law unless its status says ``verified``.
"""

from __future__ import annotations

import fractions
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from safetyrules.errors import SafetyRulesError

from .common import Condition, Result, SupervisionError, as_date, canonical, digest_bytes, exact_number, loc_of, parse_ratio, read_mapping

__all__ = ["Policy", "Param", "load_policy", "default_policy", "FREQUENCY_VISITS", "CAP_PROFILES"]

FREQUENCY_VISITS = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
_LEVELS = ("red", "orange", "yellow", "blue")

DEFAULT_KEY = (
    "risk.level in ['red', 'orange'] or entity.major_hazard_source or entity.high_risk_sector"
    " or entity.scale == 'large'"
    " or (known(history.accident_within_days) and history.accident_within_days <= 365)"
    " or (known(entity.credit_class) and entity.credit_class == 'D')"
)

#: Cap profiles (supervision.md §8.1 step 3, §8.6): a list of (condition, cap).
#: The first matching row gives the cap; no row, no cap.
CAP_PROFILES: Dict[str, Dict[str, Any]] = {
    "none": {"rows": [], "source": "DR-54-1 requires published caps; none is assumed here", "status": "assumption"},
    "cn.sx.2025": {
        # Shanxi 2025-04-23 (digest §8, GR-SX-2025): maximum yearly inspections.
        "rows": [
            ("(entity.sector == 'hazardous_chemicals' or entity.sector == 'metallurgy') and entity.standardization_grade == 'grade1'", 2),
            ("(entity.sector == 'hazardous_chemicals' or entity.sector == 'metallurgy') and entity.standardization_grade == 'grade2'", 4),
            ("(entity.sector == 'hazardous_chemicals' or entity.sector == 'metallurgy') and entity.standardization_grade == 'grade3'", 8),
            ("entity.sector == 'hazardous_chemicals' or entity.sector == 'metallurgy'", 12),
            ("entity.standardization_grade == 'grade1'", 1),
            ("entity.standardization_grade == 'grade2'", 2),
            ("entity.standardization_grade == 'grade3'", 4),
            ("true", 6),
        ],
        "source": "Shanxi 2025-04-23, standards-digest.md §8 GR-SX-2025 (metallurgy stands in for metal smelting)",
        "status": "verified",
    },
    "cn.fj.longyan.2025": {
        "rows": [("true", 2)],
        "source": "Longyan emergency-management bureau 2025 plan table (DR-EM-4): 1 per unit per year, cap 2",
        "status": "verified",
    },
}

#: Ratio profiles (§8.6): stratum → ratio (decimal string).
RATIO_PROFILES: Dict[str, Dict[str, Any]] = {
    "project.default": {
        "ratios": {"yellow": "0.10", "blue": "0.05"},
        "source": "ASSUMPTION within the verified ranges of DR-RATIO-2 (A <= 5 %, B 5-20 %) and the 3 % floor of DR-SAMR-2",
        "status": "provisional",
    },
    "cn.ha.samr.2021": {
        "ratios": {"red": "0.30", "orange": "0.10", "yellow": "0.02", "blue": "0.01"},
        "source": "Henan market supervision 2021 (DR-RATIO-1); mapping blue->low ... red->high is ASSUMPTION",
        "status": "verified",
    },
    "cn.hlj.lindian.2024": {
        "ratios": {"red": "0.61", "orange": "0.21", "yellow": "0.05", "blue": "0.05"},
        "source": "Lindian County 2024 (DR-RATIO-2), lower end of each range; mapping is ASSUMPTION",
        "status": "verified",
    },
    "cn.samr.publicity-min": {
        "ratios": {"red": "0.03", "orange": "0.03", "yellow": "0.03", "blue": "0.03"},
        "source": "SAMR Order 101 Art. 4 (DR-SAMR-2): at least 3 %",
        "status": "verified",
    },
}

# parameter → (default, source, status) — supervision.md §8.6, verbatim statuses.
DEFAULTS: Dict[str, Tuple[Any, str, str]] = {
    "reserve": ("0.10", "PL-2 names the principle (留有余地), not a number", "assumption"),
    "key_inspection": (DEFAULT_KEY, "PL-6, paper A §4.2, GR-HC-1, DR-58-3", "partial"),
    "visits": (dict(FREQUENCY_VISITS), "project table (docs/grading.md); GR-SZ-1 (SEED); GR-SH-2 (PARTIAL)", "provisional"),
    "caps": ("none", "DR-54-1, PL-9", "verified"),
    "floors": ([], "PL-10 (credit floor: bad record >= 4 a year) is PARTIAL and not applied unless the policy lists it", "partial"),
    "team_size": (2, "DR-LAW-1 (行政处罚法 Art. 42: at least two)", "verified"),
    "days_per_visit": ({"default": 1, "rules": [{"when": "entity.sector in ['hazardous_chemicals', 'mining']", "days": 2}]}, "not found", "assumption"),
    "coverage_cycle_years": (3, "PL-9 (agencies; used by analogy)", "assumption"),
    "random_pool": ("not key and entity.status == 'active'", "DR-EM-1, DR-EM-2", "verified"),
    "excluded_kinds": (["complaint", "referral", "assigned"], "DR-EM-1", "verified"),
    "ratios": ("project.default", RATIO_PROFILES["project.default"]["source"], "provisional"),
    "min_per_stratum": (1, "not found", "assumption"),
    "exclude_recent_days": (365, "DR-RATIO-4 (PARTIAL); DR-RATIO-2", "assumption"),
    "rotation_window": (1, "DR-EM-3", "partial"),
    "load_cap": (None, "not found", "assumption"),
    "publish_working_days": (20, "DR-PUB-1 (Hebei)", "verified"),
    "grid_max_entities": (180, "GR-SZ-1, GR-SZ-2", "verified"),
    "grid_min_members": (2, "GR-SZ-1, GR-SZ-2", "verified"),
    "grid_weights": (
        {"t_size": {"large": "2.0", "medium": "1.5", "small": "1.0", "micro": "0.75"}, "t_sector_high_risk": "1.5", "fixed": "0.25", "visits_per_day": "3"},
        "GR-W-1 NOT FOUND",
        "assumption",
    ),
    "grid_unknown_level": ("yellow", "supervision.md §4 sanity numbers count the unclassified as yellow", "assumption"),
    "utilisation_flags": ({"over": "1.0", "under": "0.5", "k": "1.5"}, "none", "assumption"),
    "recheck_days": (10, "HZ-8 (Hubei); national RECALL", "verified"),
    "max_stop_months": (6, "HZ-6 (原安监总局令第15号 Art. 14)", "verified"),
    "stock_cutoff": ("2023-12-31", "HZ-11", "verified"),
    "strata": (["risk.level"], "supervision.md §8.2 (default strata)", "assumption"),
    "blackout_months": ([], "policy", "policy"),
    "budget": (None, "none: the plan's general budget (draw commit --plan) or --budget", "policy"),
    "counts": ({}, "none: fixed per-stratum counts instead of ratios", "policy"),
    "qualifications": ({}, "none by default (supervision.md §8.2 step 4.2)", "assumption"),
    "supervisor": (None, "none: any entity.supervised_by means another level (EX-SCOPE)", "policy"),
}


@attrs.frozen
class Param:
    """One parameter in force: its value, where it comes from and its status."""

    name: str
    value: Any
    source: str
    status: str

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "value": self.value, "source": self.source, "status": self.status}


@attrs.frozen
class Policy(Result):
    """A checked supervision policy: parameters with provenance, compiled
    conditions, its id, path and digest."""

    id: str
    params: Mapping[str, Param]
    path: Optional[str] = None
    digest: Optional[str] = None
    title: Mapping[str, str] = attrs.field(factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.params[name].value

    def uses_default(self, name: str) -> bool:
        return self.params[name].status != "policy" and self.params[name].source == DEFAULTS[name][1]

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "digest": self.digest, "parameters": [p.to_dict() for p in sorted(self.params.values(), key=lambda p: p.name)]}

    # -- compiled pieces ------------------------------------------------
    @property
    def key_condition(self) -> Condition:
        return _cond(self, "key_inspection")

    @property
    def pool_condition(self) -> Condition:
        return _cond(self, "random_pool")

    def cap_rows(self) -> List[Tuple[Condition, int]]:
        caps = self["caps"]
        rows = CAP_PROFILES[caps]["rows"] if isinstance(caps, str) else [(r["when"], r["max"]) for r in caps]
        return [(Condition(w), int(m)) for w, m in rows]

    def floor_rows(self) -> List[Tuple[Condition, int]]:
        return [(Condition(r["when"]), int(r["min"])) for r in self["floors"]]

    def day_rows(self) -> Tuple[int, List[Tuple[Condition, int]]]:
        d = self["days_per_visit"]
        if isinstance(d, (int, float)):
            return int(d), []
        return int(d.get("default", 1)), [(Condition(r["when"]), int(r["days"])) for r in d.get("rules", [])]

    def ratios(self) -> Tuple[Dict[str, fractions.Fraction], str, str]:
        r = self.params["ratios"]
        if isinstance(r.value, str):
            prof = RATIO_PROFILES[r.value]
            return {k: parse_ratio(v) for k, v in prof["ratios"].items()}, prof["source"], prof["status"]
        return {str(k): parse_ratio(v, f"ratio of {k}") for k, v in r.value.items()}, r.source, r.status


_COND_CACHE: Dict[Tuple[int, str], Condition] = {}


def _cond(policy: Policy, name: str) -> Condition:
    k = (id(policy), name)
    c = _COND_CACHE.get(k)
    if c is None or c.text != policy[name]:
        c = _COND_CACHE[k] = Condition(policy[name])
    return c


#: section name in the file → parameter names it may set
_SECTIONS = {
    "reserve": "reserve", "key_inspection": "key_inspection", "visits": "visits", "caps": "caps", "floors": "floors",
    "team_size": "team_size", "days_per_visit": "days_per_visit", "coverage_cycle_years": "coverage_cycle_years",
    "random_pool": "random_pool", "excluded_kinds": "excluded_kinds", "ratios": "ratios", "min_per_stratum": "min_per_stratum",
    "exclude_recent_days": "exclude_recent_days", "rotation_window": "rotation_window", "load_cap": "load_cap",
    "publish_working_days": "publish_working_days", "grid_max_entities": "grid_max_entities",
    "grid_min_members": "grid_min_members", "grid_weights": "grid_weights", "utilisation_flags": "utilisation_flags",
    "recheck_days": "recheck_days", "max_stop_months": "max_stop_months", "stock_cutoff": "stock_cutoff",
    "strata": "strata", "blackout_months": "blackout_months", "grid_unknown_level": "grid_unknown_level",
    "budget": "budget", "counts": "counts", "qualifications": "qualifications", "supervisor": "supervisor",
}
_TOP = {"kind", "id", "title", "description", "source", "status", "parameters"}
#: The section spelling (supervision.md §8.0: "source, status per section"): section → {key: parameter}.
_SECTION_KEYS: Dict[str, Dict[str, str]] = {
    "key_inspection": {"any_of": "key_inspection", "when": "key_inspection"},
    "random": {"pool": "random_pool", "strata": "strata", "ratios": "ratios", "ratio": "ratios", "profile": "ratios",
               "min_per_stratum": "min_per_stratum", "budget": "budget", "counts": "counts", "excluded_kinds": "excluded_kinds"},
    "exclude_recent": {"days": "exclude_recent_days"},
    "inspectors": {"team_size": "team_size", "rotation_window": "rotation_window", "load_cap": "load_cap", "qualifications": "qualifications"},
    "team": {"size": "team_size", "team_size": "team_size", "days_per_visit": "days_per_visit"},
    "caps": {"profile": "caps", "rows": "caps"},
    "floors": {"rows": "floors"},
    "visits": {"per_frequency": "visits"},
    "grid": {"max_entities": "grid_max_entities", "min_members": "grid_min_members", "weights": "grid_weights",
             "flags": "utilisation_flags", "unknown_level": "grid_unknown_level"},
    "track": {"recheck_days": "recheck_days", "max_stop_months": "max_stop_months", "stock_cutoff": "stock_cutoff"},
    "schedule": {"blackout_months": "blackout_months"},
    "plan": {"reserve": "reserve", "coverage_cycle_years": "coverage_cycle_years", "days_per_visit": "days_per_visit", "supervisor": "supervisor"},
    "publication": {"working_days": "publish_working_days"},
}
_STATUSES = ("verified", "partial", "provisional", "assumption", "policy", "seed")


def default_policy() -> Policy:
    """The policy of §8.6 defaults only (``id: project.defaults``)."""
    return _build("project.defaults", {}, None, None, None, {})


def _build(ident, sections, path, doc, digest, title, keypaths=None) -> Policy:
    params: Dict[str, Param] = {}
    for name, (value, source, status) in DEFAULTS.items():
        params[name] = Param(name, value, source, status)
    for name, (value, source, status) in sections.items():
        params[name] = Param(name, value, source, status)
    pol = Policy(ident, params, path, digest, title)
    _check(pol, path, doc, keypaths or {})
    return pol


def _check(pol: Policy, path, doc, keypaths: Mapping[str, Tuple[Any, ...]]) -> None:
    """Check every parameter; an error points at the node that set it (for a
    condition, at the offending token inside it)."""

    def keys_of(name, *sub):
        return tuple(keypaths.get(name, ("parameters", name))) + sub

    def where(name, *sub):
        return loc_of(doc, path, keys_of(name, *sub)) if path else {}

    def condition(text, name, *sub):
        from safetyrules import dsl

        if not isinstance(text, str):
            raise SupervisionError(f"a condition is DSL text, got {text!r}", code="E-POLICY", **where(name, *sub))
        try:
            dsl.parse(text)
        except SafetyRulesError as exc:
            loc = where(name, *sub)
            if doc is not None and path and exc.line is not None:
                at = doc.scalar_mapper(keys_of(name, *sub))(exc.line, exc.column or 1)
                loc = {"path": path, "line": at.line, "column": at.column}
            raise SupervisionError(f"bad condition {text!r}: {exc.message}", code="E-POLICY", **loc) from None

    for name in ("key_inspection", "random_pool"):
        condition(pol[name], name)
    caps = pol["caps"]
    if isinstance(caps, str) and caps not in CAP_PROFILES:
        raise SupervisionError(f"unknown cap profile {caps!r} (one of {', '.join(sorted(CAP_PROFILES))})", code="E-POLICY", **where("caps"))
    r = pol["ratios"]
    if isinstance(r, str) and r not in RATIO_PROFILES:
        raise SupervisionError(f"unknown ratio profile {r!r} (one of {', '.join(sorted(RATIO_PROFILES))})", code="E-POLICY", **where("ratios"))
    # the rows' shapes and conditions, each at its own node
    rows_of = {"caps": (caps if not isinstance(caps, str) else [], "max"), "floors": (pol["floors"], "min")}
    for name, (rows, field) in rows_of.items():
        if not isinstance(rows, list):
            raise SupervisionError(f"{name}: a list of {{when, {field}}} rows", code="E-POLICY", **where(name))
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping) or "when" not in row or field not in row:
                raise SupervisionError(f"each row of {name} is {{when: CONDITION, {field}: N}}", code="E-POLICY", **where(name, i))
            condition(row["when"], name, i, "when")
            if isinstance(row[field], bool) or not isinstance(row[field], int) or row[field] < 0:
                raise SupervisionError(f"{field} must be a whole number of visits, got {row[field]!r}", code="E-POLICY", **where(name, i, field))
    d = pol["days_per_visit"]
    if isinstance(d, Mapping):
        for i, row in enumerate(d.get("rules") or []):
            if not isinstance(row, Mapping) or "when" not in row or "days" not in row:
                raise SupervisionError("each rule of days_per_visit is {when: CONDITION, days: N}", code="E-POLICY", **where("days_per_visit", "rules", i))
            condition(row["when"], "days_per_visit", "rules", i, "when")
    try:
        given = pol.ratios()[0]
    except SupervisionError as exc:
        raise SupervisionError(exc.message, code="E-POLICY", **where("ratios")) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SupervisionError(f"malformed ratios: {exc}", code="E-POLICY", **where("ratios")) from None
    odd = sorted(k for k in given if k not in _LEVELS + ("unknown",))
    if odd:  # a ratio is a level's (the unknown stratum takes the highest, §8.2): a misspelt level would be ignored
        raise SupervisionError(f"ratios are given per level ({', '.join(_LEVELS)}; unknown takes the highest), got {', '.join(map(repr, odd))}",
                               code="E-POLICY", **where("ratios"))
    try:
        parse_ratio(pol["reserve"], "reserve")
    except SupervisionError as exc:
        raise SupervisionError(exc.message, code="E-POLICY", **where("reserve")) from None
    for name, fn in (("caps", pol.cap_rows), ("floors", pol.floor_rows), ("days_per_visit", pol.day_rows)):
        try:
            fn()
        except SupervisionError as exc:
            raise SupervisionError(exc.message, code="E-POLICY", **where(name)) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SupervisionError(f"malformed policy parameter {name}: {exc}", code="E-POLICY", **where(name)) from None
    # A floor above every cap it can meet is a contradiction (§8.1 step 3).
    if not isinstance(caps, str) or CAP_PROFILES[caps]["rows"]:
        cap_rows = pol.cap_rows()
        unconditional = [m for c, m in cap_rows if c.text.strip() == "true"]
        for i, (c, m) in enumerate(pol.floor_rows()):
            if unconditional and m > unconditional[0]:
                raise SupervisionError(
                    f"floor {m} a year is above the cap {unconditional[0]} ({c.text})",
                    code="E-POLICY-FLOOR-CAP",
                    **where("floors", i),
                )
    t = pol["team_size"]
    if isinstance(t, bool) or not isinstance(t, int) or t < 1:
        raise SupervisionError("team_size must be a positive integer", code="E-POLICY", **where("team_size"))
    # whole-number parameters (a text or a negative number crashed the command that read it)
    for name, least, optional in _WHOLE:
        v = pol[name]
        if v is None and optional:
            continue
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            more = f"{least} or more" if least else "0 or more"
            raise SupervisionError(f"{name} must be a whole number, {more}{' (or null)' if optional else ''}, got {v!r}", code="E-POLICY", **where(name))
    # mapping parameters the commands index into (each crashed a command, or gave a negative target, before)
    def whole(v, least=0):
        return not isinstance(v, bool) and isinstance(v, int) and v >= least

    def decimal(v):
        try:
            return not isinstance(v, bool) and exact_number(v) >= 0
        except (ValueError, ZeroDivisionError):
            return False

    counts = pol["counts"]
    if not isinstance(counts, Mapping) or not all(isinstance(k, str) and k and whole(v) for k, v in counts.items()):
        raise SupervisionError(f"counts maps a stratum to a whole number of entities, 0 or more, got {counts!r}", code="E-POLICY", **where("counts"))
    odd = sorted(k for k in counts if k.split("/", 1)[0] not in _LEVELS + ("unknown",))
    if odd:  # a stratum's name starts with its level: any other key names no stratum and would be ignored
        raise SupervisionError(f"counts: a stratum's name starts with its level ({', '.join(_LEVELS)} or unknown), got {', '.join(map(repr, odd))}",
                               code="E-POLICY", **where("counts"))
    v = pol["visits"]
    if not isinstance(v, Mapping) or set(v) != set(FREQUENCY_VISITS) or not all(whole(x) for x in v.values()):
        raise SupervisionError(f"visits gives a whole number of visits a year, 0 or more, for each of {', '.join(FREQUENCY_VISITS)}; got {v!r}",
                               code="E-POLICY", **where("visits"))
    q = pol["qualifications"]
    if not isinstance(q, Mapping) or not all(isinstance(x, list) and all(isinstance(y, str) and y for y in x) for x in q.values()):
        raise SupervisionError(f"qualifications maps a sector to a list of qualifications, got {q!r}", code="E-POLICY", **where("qualifications"))
    gw = pol["grid_weights"]
    gw_keys = set(DEFAULTS["grid_weights"][0])
    if not isinstance(gw, Mapping) or set(gw) != gw_keys or not isinstance(gw["t_size"], Mapping) \
            or not all(decimal(x) for x in gw["t_size"].values()) or not all(decimal(gw[k]) for k in gw_keys - {"t_size"}):
        raise SupervisionError(f"grid_weights is {{t_size: {{scale: decimal}}, {', '.join(sorted(gw_keys - {'t_size'}))}}}, each 0 or more; got {gw!r}",
                               code="E-POLICY", **where("grid_weights"))
    uf = pol["utilisation_flags"]
    if not isinstance(uf, Mapping) or set(uf) != set(DEFAULTS["utilisation_flags"][0]) or not all(decimal(x) for x in uf.values()) \
            or fractions.Fraction(str(uf["k"])) == 0:
        raise SupervisionError(f"utilisation_flags is {{over, under, k}}, each a decimal 0 or more (k above 0); got {uf!r}", code="E-POLICY",
                               **where("utilisation_flags"))
    if pol["grid_unknown_level"] not in _LEVELS:
        raise SupervisionError(f"grid_unknown_level is one of {', '.join(_LEVELS)}, got {pol['grid_unknown_level']!r}", code="E-POLICY",
                               **where("grid_unknown_level"))
    default_days, day_rows = pol.day_rows()
    if default_days < 1 or any(m < 1 for _, m in day_rows):
        raise SupervisionError("days_per_visit: a visit takes a whole number of days, 1 or more", code="E-POLICY", **where("days_per_visit"))
    b = pol["blackout_months"]
    if not isinstance(b, list) or any(isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12 for m in b):
        raise SupervisionError(f"blackout_months is a list of months 1-12, got {b!r}", code="E-POLICY", **where("blackout_months"))
    for name in ("strata", "excluded_kinds"):
        v = pol[name]
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise SupervisionError(f"{name} is a list of names, got {v!r}", code="E-POLICY", **where(name))
    from .inputs import INSPECTION_KINDS

    odd = [k for k in pol["excluded_kinds"] if k not in INSPECTION_KINDS]
    if odd:  # a misspelt kind would silently exclude nothing
        raise SupervisionError(f"excluded_kinds names inspection kinds ({', '.join(INSPECTION_KINDS)}), got {', '.join(map(repr, odd))}",
                               code="E-POLICY", **where("excluded_kinds"))
    sup = pol["supervisor"]
    if sup is not None and not isinstance(sup, str):
        raise SupervisionError(f"supervisor is the supervising level's name, got {sup!r}", code="E-POLICY", **where("supervisor"))
    try:
        as_date(pol["stock_cutoff"], "stock_cutoff")
    except SupervisionError as exc:
        raise SupervisionError(exc.message, code="E-POLICY", **where("stock_cutoff")) from None


# (name, least value, may be null): the whole-number parameters of DEFAULTS
_WHOLE = (
    ("min_per_stratum", 0, False), ("exclude_recent_days", 0, True), ("rotation_window", 0, False), ("load_cap", 0, True),
    ("publish_working_days", 0, False), ("grid_max_entities", 0, False), ("grid_min_members", 0, False),
    ("recheck_days", 0, False), ("max_stop_months", 0, False), ("coverage_cycle_years", 1, False), ("budget", 0, True),
)


def _any_of(items: List[Any], doc: Any, path: str, keys: Tuple[Any, ...]) -> str:
    """§8.1 step 2: the key set is where ``key_inspection.any_of`` holds.  A
    list of conditions is any of them: ``(a) or (b) …``, each checked at its
    own line (the key reasons are then its items)."""
    from safetyrules import dsl

    if not items or not all(isinstance(x, str) and x.strip() for x in items):
        raise SupervisionError("key_inspection.any_of is a condition, or a list of conditions any of which makes an entity key",
                               code="E-POLICY", **loc_of(doc, path, keys))
    for i, text in enumerate(items):
        try:
            dsl.parse(text)
        except SafetyRulesError as exc:
            raise SupervisionError(f"bad condition {text!r}: {exc.message}", code="E-POLICY", **loc_of(doc, path, (*keys, i))) from None
    return " or ".join(f"({x})" for x in items)


def load_policy(path: str) -> Policy:
    """Read and check a ``kind: supervision-policy`` file (YAML or JSON).

    ``parameters:`` maps a parameter name to ``{value, source, status}`` (or
    to a bare value, which takes the file's ``source``/``status``, default
    ``policy``).  Unknown parameters, bad conditions and contradictions
    (``E-POLICY-FLOOR-CAP``) are errors at their line.
    """
    data, doc = read_mapping(path, "policy")
    with open(path, "rb") as fh:
        digest = digest_bytes(fh.read())
    if not isinstance(data, Mapping) or data.get("kind") != "supervision-policy":
        raise SupervisionError("a policy file has 'kind: supervision-policy'", code="E-POLICY", **loc_of(doc, path, ("kind",)))
    allowed = _TOP | set(_SECTION_KEYS) | set(_SECTIONS)
    for k in data:
        if k not in allowed:
            import difflib

            close = difflib.get_close_matches(k, sorted(allowed), n=1)
            raise SupervisionError(f"unknown key {k!r} in a policy", code="E-POLICY", hint=f"did you mean {close[0]!r}?" if close else None,
                                   **loc_of(doc, path, (k,), key=True))
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise SupervisionError("a policy needs an 'id'", code="E-POLICY", **loc_of(doc, path, ()))
    file_source = str(data.get("source") or path)
    file_status = data.get("status", "policy")
    sections: Dict[str, Tuple[Any, str, str]] = {}
    keypaths: Dict[str, Tuple[Any, ...]] = {}
    params_in = data.get("parameters") or {}
    if not isinstance(params_in, Mapping):
        raise SupervisionError("parameters: a mapping of parameter name to {value, source, status}", code="E-POLICY", **loc_of(doc, path, ("parameters",)))
    for name, spec in params_in.items():
        if name not in _SECTIONS:
            import difflib

            close = difflib.get_close_matches(name, list(_SECTIONS), n=1)
            raise SupervisionError(
                f"unknown policy parameter {name!r}",
                code="E-POLICY",
                hint=f"did you mean {close[0]!r}?" if close else None,
                **loc_of(doc, path, ("parameters", name), key=True),
            )
        if isinstance(spec, Mapping) and "value" in spec:
            value, source, status = spec["value"], str(spec.get("source", file_source)), spec.get("status", file_status)
            keypaths[_SECTIONS[name]] = ("parameters", name, "value")
        else:
            value, source, status = spec, file_source, file_status
            keypaths[_SECTIONS[name]] = ("parameters", name)
        if status not in _STATUSES:
            raise SupervisionError(f"status must be one of {', '.join(_STATUSES)}", code="E-POLICY", **loc_of(doc, path, ("parameters", name)))
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        sections[_SECTIONS[name]] = (value, source, status)
    # the section spelling, and parameters given at the top level
    for sec, spec in data.items():
        if sec in _TOP:
            continue
        where = loc_of(doc, path, (sec,), key=True)
        if sec in _SECTION_KEYS and isinstance(spec, Mapping) and not ("value" in spec and sec in _SECTIONS):
            src, st = str(spec.get("source", file_source)), spec.get("status", file_status)
            if st not in _STATUSES:
                raise SupervisionError(f"status must be one of {', '.join(_STATUSES)}", code="E-POLICY", **where)
            keys = _SECTION_KEYS[sec]
            for k, v in spec.items():
                if k in ("source", "status", "title", "description", "note"):
                    continue
                if k == "exclude_recent" and isinstance(v, Mapping):
                    sections["exclude_recent_days"] = (v.get("days"), src, st)
                    keypaths["exclude_recent_days"] = (sec, k, "days")
                    continue
                if k not in keys:
                    if sec in ("caps", "visits", "floors") and sec in _SECTIONS:
                        continue  # a mapping value of the parameter itself, handled below
                    raise SupervisionError(f"unknown key {k!r} in policy section {sec!r} (one of {', '.join(sorted(keys))})", code="E-POLICY",
                                           **loc_of(doc, path, (sec, k), key=True))
                if hasattr(v, "isoformat"):
                    v = v.isoformat()
                if sec == "key_inspection" and k == "any_of" and isinstance(v, list):
                    v = _any_of(v, doc, path, (sec, k))
                sections[keys[k]] = (v, src, st)
                keypaths[keys[k]] = (sec, k)
            if sec == "visits" and "per_frequency" not in spec:
                sections["visits"] = ({k: v for k, v in spec.items() if k in FREQUENCY_VISITS}, src, st)
                keypaths["visits"] = (sec,)
            if sec == "caps" and not (set(spec) & {"profile", "rows"}):
                raise SupervisionError("caps: {profile: NAME} or {rows: [{when, max}]}", code="E-POLICY", **where)
        elif sec in _SECTIONS:
            if isinstance(spec, Mapping) and "value" in spec:
                value, source, status = spec["value"], str(spec.get("source", file_source)), spec.get("status", file_status)
            else:
                value, source, status = spec, file_source, file_status
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            sections[_SECTIONS[sec]] = (value, source, status)
            keypaths[_SECTIONS[sec]] = (sec, "value") if isinstance(spec, Mapping) and "value" in spec else (sec,)
    title = data.get("title")
    if isinstance(title, str):  # one text, in whichever language it is written
        title = {"text": title}
    if title is not None and not (isinstance(title, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in title.items())):
        raise SupervisionError(f"title is a text or {{zh: …, en: …}}, got {title!r}", code="E-POLICY", **loc_of(doc, path, ("title",)))
    return _build(ident, sections, path, doc, digest, dict(title or {}), keypaths)


def policy_digest(pol: Policy) -> str:
    """The file digest, or for an in-memory policy the digest of its canonical parameters."""
    return pol.digest or digest_bytes(canonical(pol.to_dict()).encode("utf-8"))


#: 应急〔2018〕19号 (GR-HC-1, VERIFIED): hazardous-chemical producers and stores scored out of 100.
HAZCHEM_BANDS = (("90", "blue"), ("75", "yellow"), ("60", "orange"))


def hazchem_level(score: Any, direct_red: bool = False) -> str:
    """The four-colour grade of 应急〔2018〕19号 from a score out of 100:
    blue ≥ 90; yellow 75 to under 90; orange 60 to under 75; red < 60; any of
    the four direct-red situations → red whatever the score.  The score is
    compared exactly (a decimal string or number; 59.99 is red, 60 orange)."""
    if direct_red:
        return "red"
    try:
        s = exact_number(score)
    except (ValueError, ZeroDivisionError):
        raise SupervisionError(f"a hazchem score is a number from 0 to 100, got {score!r}", code="E-INPUT") from None
    if not 0 <= s <= 100:
        raise SupervisionError(f"a hazchem score is from 0 to 100, got {score!r}", code="E-INPUT")
    for cut, level in HAZCHEM_BANDS:
        if s >= fractions.Fraction(cut):
            return level
    return "red"
