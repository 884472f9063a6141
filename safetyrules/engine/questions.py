"""Decision v1 (SPEC §8): the level range and the next questions to ask.

Both are computed from a decision's *inputs* (the checked facts) and the
plan, only when asked for (``Decision.to_dict()`` asks): the hot path of
:meth:`RuleSet.evaluate` does none of this work.

- ``level_range``: ``most`` is the decision's level; ``least`` is what the
  tables after the standards give with ``findings.undetermined`` and
  ``findings.major_undetermined`` taken as 0.
- ``next_questions``: for every fact of ``missing``, the undetermined clauses
  it *settles* — some value of that fact alone, every other fact unchanged
  and derived facts recomputed, makes the clause found or not found.  The
  values tried are the fact's finite domain (booleans, enum values) or the
  boundary values of the constants the plan compares it with (see
  :class:`Domains`).
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import Plan, PlanTable

__all__ = ["Domains", "derive", "level_range", "next_questions", "set_fact"]

_SCALARS = ("bool", "integer", "number", "enum", "string", "date")


def _const(node: A.Node) -> Any:
    for n in A.walk(node):
        if isinstance(n, (A.Path, A.Quantifier)):
            return None
    try:
        return dsl.evaluate_ast(node, {})
    except Exception:  # a constant that does not evaluate alone is no boundary
        return None


class Domains:
    """The values worth trying for each fact of a plan: booleans, enum
    values, and for numbers, strings and dates the points at and around each
    constant the fact is compared with (comparisons with constants change
    value only there).  Built once per plan; immutable after."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        consts: Dict[str, set] = {}
        for _, node in plan.iter_conditions():
            for n in A.walk(node):
                if not isinstance(n, A.Compare):
                    continue
                for side, other in ((n.left, n.right), (n.right, n.left)):
                    name = _fact_of(side)
                    if name is None:
                        continue
                    v = _const(other)
                    if v is None:
                        continue
                    for x in v if isinstance(v, (list, tuple)) else [v]:
                        consts.setdefault(name, set()).add(x if not isinstance(x, list) else tuple(x))
        self._consts = consts
        self._cache: Dict[str, Tuple[Any, ...]] = {}

    def spec(self, fact: str):
        """The FactSpec of ``fact`` (``list[i].field`` names the item field)."""
        base, field = _split_item(fact)
        spec = self.plan.facts.get(base)
        if field is not None:
            return (spec.item or {}).get(field) if spec is not None and spec.item else None
        return spec

    def values(self, fact: str) -> Tuple[Any, ...]:
        """Candidate values for ``fact`` (empty when it has none to try)."""
        base, field = _split_item(fact)
        key = f"{base}[].{field}" if field is not None else base
        if key in self._cache:
            return self._cache[key]
        spec = self.spec(fact)
        out: Tuple[Any, ...] = ()
        if spec is not None and spec.type in _SCALARS:
            names = {key, field} if field is not None else {key}
            consts = set()
            for n in names:
                consts |= self._consts.get(n, set())
            out = tuple(_domain(spec, consts))
        elif spec is not None and spec.type == "list":
            out = ([],)
        self._cache[key] = out
        return out


def _fact_of(node: A.Node) -> Optional[str]:
    if isinstance(node, A.Path):
        return node.name
    return None


def _split_item(fact: str) -> Tuple[str, Optional[str]]:
    """``cranes[1].age`` → (``cranes``, ``age``); a plain fact → (fact, None)."""
    if "[" in fact and "]." in fact:
        base, rest = fact.split("[", 1)
        return base, rest.split("].", 1)[1]
    return fact, None


def _domain(spec, consts: set) -> List[Any]:
    t = spec.type
    if t == "bool":
        return [True, False]
    if t == "enum":
        return list(spec.values or ())
    if t == "string":
        strs = sorted(c for c in consts if isinstance(c, str))
        return strs + ["(other)"]
    if t == "date":
        days = sorted(c for c in consts if isinstance(c, datetime.date))
        one = datetime.timedelta(days=1)
        return sorted({d + k * one for d in days for k in (-1, 0, 1)})
    nums = sorted({float(c) for c in consts if isinstance(c, (int, float)) and not isinstance(c, bool)})
    pts: set = set()
    for c in nums:
        if t == "integer":
            pts.update((math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1))
        else:
            pts.update((c - 0.01, c, c + 0.01))
    if not nums:
        pts.update((0, 1))
    lo, hi = spec.min, spec.max
    out = []
    for p in sorted(pts):
        if (lo is not None and p < lo) or (hi is not None and p > hi):
            continue
        p = round(p, 6)
        out.append(int(p) if t == "integer" or float(p).is_integer() else p)
    return out


# ---------------------------------------------------------------------------
# re-deriving


def _row_values(t: PlanTable, env: Mapping[str, Any]) -> List[Optional[bool]]:
    vals: List[Optional[bool]] = []
    for node in t.conditions:
        if node is None:
            vals.append(None)
            continue
        try:
            vals.append(dsl.evaluate_ast(node, env))
        except SafetyRulesError:
            vals.append(None)
    return vals


def _run(tables: Iterable[PlanTable], env: Dict[str, Any], given: Iterable[str]) -> None:
    from safetyrules.engine.ruleset import decide_table

    given = set(given)
    for t in tables:
        if t.output in given:
            continue
        res = decide_table(t, _row_values(t, env), [])
        if res.known:
            env[t.output] = res.value
        else:
            env.pop(t.output, None)


def derive(plan: Plan, inputs: Mapping[str, Any], day: datetime.date) -> Dict[str, Any]:
    """The environment the clauses read: checked ``inputs``, ``as_of`` and
    every table that needs only facts (in dependency order)."""
    env = dict(inputs)
    env["as_of"] = day
    _run(plan.tables_before, env, inputs.keys())
    return env


def set_fact(inputs: Mapping[str, Any], fact: str, value: Any) -> Dict[str, Any]:
    """``inputs`` with ``fact`` (a list-item field like ``a[1].b`` too) set."""
    out = dict(inputs)
    base, field = _split_item(fact)
    if field is None:
        out[fact] = value
        return out
    index = int(fact.split("[", 1)[1].split("]", 1)[0])
    items = [dict(x) for x in out.get(base) or ()]
    if index < len(items):
        items[index][field] = value
    out[base] = items
    return out


def _clause_value(node: A.Node, env: Mapping[str, Any]) -> Optional[bool]:
    try:
        return dsl.evaluate_ast(node, env)
    except SafetyRulesError:
        return None


# ---------------------------------------------------------------------------
# level range


def level_range(plan: Plan, env_after: Mapping[str, Any], given: Sequence[str], level: Any) -> Dict[str, Any]:
    """``{"least", "most"}``: ``env_after`` is the environment after the
    standards (inputs, derived facts, ``findings.*`` counts)."""
    fact = plan.decision.get("level")
    if not fact or not env_after.get("findings.undetermined") and not env_after.get("findings.major_undetermined"):
        return {"least": level, "most": level}
    env = dict(env_after)
    env["findings.undetermined"] = 0
    env["findings.major_undetermined"] = 0
    _run(plan.tables_after, env, given)
    return {"least": env.get(fact), "most": level}


# ---------------------------------------------------------------------------
# next questions


def next_questions(
    plan: Plan,
    domains: Domains,
    inputs: Mapping[str, Any],
    day: datetime.date,
    undetermined: Sequence[Tuple[str, str, str, Sequence[str]]],
    missing: Sequence[str],
) -> List[Dict[str, Any]]:
    """Every fact of ``missing`` once, with the undetermined clauses
    (``(standard, clause, severity, missing)``) it settles.  Ordered: facts
    that settle a major clause first, then by clauses settled (most first),
    then by name."""
    settles: Dict[str, List[Tuple[str, str]]] = {f: [] for f in missing}
    nodes = {}
    for std, clause, severity, _ in undetermined:
        c = plan.clause(std, clause)
        if c is not None:
            nodes[(std, clause)] = c.condition
    cache: Dict[Tuple[str, Any], Dict[str, Any]] = {}
    for std, clause, severity, needs in undetermined:
        node = nodes.get((std, clause))
        if node is None:
            continue
        for fact in needs:
            if fact not in settles:
                continue
            for value in domains.values(fact):
                key = (fact, _hashable(value))
                env = cache.get(key)
                if env is None:
                    env = cache[key] = derive(plan, set_fact(inputs, fact, value), day)
                if _clause_value(node, env) is not None:
                    settles[fact].append((f"{std}:{clause}", severity))
                    break
    out = []
    for fact in missing:
        got = settles[fact]
        out.append(
            {
                "fact": fact,
                "settles": sorted(k for k, _ in got),
                "major": sum(1 for _, sev in got if sev == "major"),
            }
        )
    out.sort(key=lambda q: (q["major"] == 0, -len(q["settles"]), q["fact"]))
    return out


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return ("list", len(v))
    return (type(v).__name__, v)
