"""Who is key, who is in the random pool, who is excluded and why
(supervision.md §8.1 step 2, §8.2 pool and exclusion rules).

Shared by ``plan`` and ``draw commit`` so both put every entity in the same
place.  The key condition is three-valued: an unknown result counts as key
(reason ``undetermined``), so missing facts never lower the intensity.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .inputs import History
from .policy import Policy
from .registry import Entity, Registry

__all__ = ["Classification", "classify", "stratum_of", "stratum_part", "absent_strata_fields", "entity_facts", "cap_of", "floor_of"]


@attrs.frozen(slots=True)
class Classification:
    """``category``: key | random_pool | excluded; ``reasons``: why key (the
    disjuncts that hold, or ``undetermined``); ``exclusion``: an ``EX-*`` code."""

    category: str
    reasons: Tuple[str, ...] = ()
    exclusion: Optional[str] = None
    detail: Optional[str] = None
    cap: Optional[int] = None
    floor: Optional[int] = None


def entity_facts(e: Entity, history: History, as_of: datetime.date) -> Dict[str, Any]:
    """The entity's facts plus its ``history.*`` facts as of ``as_of``."""
    if e.id not in history.by_entity:
        return e.facts  # read-only below: no copy for the (many) entities without history
    f = dict(e.facts)
    f.update(history.facts(e.id, as_of))
    return f


def _disjuncts(node) -> List[Any]:
    from safetyrules.dsl import ast as A

    if isinstance(node, A.Or):
        out = []
        for x in node.operands:
            out.extend(_disjuncts(x))
        return out
    return [node]


def cap_of(policy: Policy, facts: Mapping[str, Any], rows=None) -> Optional[int]:
    for cond, m in rows if rows is not None else policy.cap_rows():
        if cond(facts) is True:
            return m
    return None


def floor_of(policy: Policy, facts: Mapping[str, Any], rows=None) -> Optional[int]:
    best = None
    for cond, m in rows if rows is not None else policy.floor_rows():
        if cond(facts) is True:
            best = m if best is None else max(best, m)
    return best


def classify(reg: Registry, policy: Policy, history: History, as_of: datetime.date, supervisor: Optional[str] = None) -> Dict[str, Classification]:
    """Every entity's category, in one pass."""
    supervisor = supervisor if supervisor is not None else policy["supervisor"]
    from safetyrules.dsl.printer import unparse

    key_cond = policy.key_condition
    pool_cond = policy.pool_condition
    from .common import Condition

    parts = [(unparse(n), Condition(unparse(n))) for n in _disjuncts(key_cond.node)]
    cap_rows, floor_rows = policy.cap_rows(), policy.floor_rows()
    recent_days = policy["exclude_recent_days"]
    excluded_kinds = tuple(policy["excluded_kinds"])
    out: Dict[str, Classification] = {}
    for e in reg.entities:
        f = entity_facts(e, history, as_of)
        cap = cap_of(policy, f, cap_rows)
        floor = floor_of(policy, f, floor_rows)
        status = f.get("entity.status")
        sup = f.get("entity.supervised_by")
        if status is not None and status != "active":
            out[e.id] = Classification("excluded", (), "EX-STATUS", f"status {status}", cap, floor)
            continue
        if sup not in (None, "") and sup != supervisor:
            out[e.id] = Classification("excluded", (), "EX-SCOPE", f"supervised by {sup}", cap, floor)
            continue
        k = key_cond(f)
        if k is not False:
            if k is None:
                reasons: Tuple[str, ...] = ("undetermined",)
            else:
                reasons = tuple(t for t, c in parts if c(f) is True) or (key_cond.text,)
            out[e.id] = Classification("key", reasons, "EX-KEY", "in the key set", cap, floor)
            continue
        if cap is not None and (f.get("history.inspections_this_year") or 0) >= cap:
            out[e.id] = Classification("excluded", (), "EX-CAP", f"{f.get('history.inspections_this_year')} inspections this year reach the cap {cap}", cap, floor)
            continue
        last = f.get("history.last_inspection_days")
        if last is not None and excluded_kinds and e.id in history.by_entity:  # a complaint, referral or assigned check is not a draw (DR-EM-1, DR-RATIO-4)
            last = history.days_since_drawable(e.id, as_of, excluded_kinds)
        if (
            recent_days is not None and last is not None and last <= recent_days
            and not f.get("history.last_inspection_open_findings") and not f.get("history.open_findings")
        ):
            out[e.id] = Classification("excluded", (), "EX-RECENT", f"inspected {last} days ago, no open finding", cap, floor)
            continue
        p = pool_cond(_NotKey(f))
        if p is not True:
            out[e.id] = Classification("excluded", (), "EX-POOL", f"random pool condition is {'unknown' if p is None else 'false'}", cap, floor)
            continue
        out[e.id] = Classification("random_pool", (), None, None, cap, floor)
    return out


class _NotKey:
    """The entity's facts with ``key`` false, for the random-pool condition."""

    __slots__ = ("facts",)

    def __init__(self, facts: Mapping[str, Any]) -> None:
        self.facts = facts

    def get(self, name: str, default: Any = None) -> Any:
        return False if name == "key" else self.facts.get(name, default)

    def __getitem__(self, name: str) -> Any:
        if name == "key":
            return False
        return self.facts[name]

    def __contains__(self, name: object) -> bool:
        return name == "key" or name in self.facts


def stratum_part(value: Any) -> str:
    """One field's part of a stratum name: ``unknown`` when missing, else the
    value's text with ``%`` and ``/`` written ``%25`` and ``%2F``, so that the
    parts joined with ``/`` name one stratum only (``x/y`` + ``z`` and ``x`` +
    ``y/z`` are two strata, ``x%2Fy/z`` and ``x/y%2Fz``).  A value with neither
    character is written as it is; the name enters the rank keys and the pool
    digest (supervision.md §8.2), whose test vectors use single-level names."""
    if value is None:
        return "unknown"
    text = str(value)
    if "%" in text or "/" in text:
        text = text.replace("%", "%25").replace("/", "%2F")
    return text


def stratum_of(e: Entity, policy: Policy) -> str:
    """The stratum name: the level (``unknown`` when unknown), then any extra
    strata fields of the policy, each escaped by :func:`stratum_part`, joined
    with ``/``."""
    fields = list(policy["strata"]) or ["risk.level"]
    parts = []
    for name in fields:
        v = e.level if name == "risk.level" else e.facts.get(name)
        parts.append(stratum_part(v))
    if fields[0] != "risk.level":
        parts.insert(0, "unknown" if e.level is None else e.level)
    return "/".join(parts)


def absent_strata_fields(entities, policy: Policy) -> List[str]:
    """The policy's ``strata`` fields (other than the level) that no entity of
    ``entities`` has: a misspelt field puts every entity in its ``unknown``
    stratum, which the draw then says (``W-DRAW-STRATA-FIELD``)."""
    fields = [f for f in policy["strata"] if f != "risk.level"]
    ents = list(entities)
    if not ents:
        return []
    return [f for f in dict.fromkeys(fields) if all(e.facts.get(f) is None for e in ents)]
