"""Explanations as data: ``Decision.explanation()``.

Computed on demand from the decision's inputs and the plan (never on the hot
path).  The structure, all JSON-ready:

- ``clauses``: per finding and undetermined clause, the value of each
  sub-condition (``applies_when``, ``when``, ``unless`` and their ``and``/
  ``or``/``not`` parts) with the facts it read (null: unknown);
- ``tables``: per derived fact, the row that decided it and why each earlier
  row did not (its value, false or unknown, and the facts it read), or that
  it was given;
- ``changes``: what would change the result — for each finding, the smallest
  changes to known facts (one fact, else two) that clear it, and for the
  level, the one-fact changes that change it, each with the level that would
  result.  Values tried come from :class:`~safetyrules.engine.questions.Domains`
  (finite domains and the boundaries of the plan's numeric comparisons).
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any, Dict, List, Mapping, Optional, Sequence

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.dsl.printer import unparse
from safetyrules.errors import SafetyRulesError
from safetyrules.engine.questions import Domains, decide_level, derive, domains_for, set_fact
from safetyrules.backends.pyjson import jsonable  # one definition, shared

__all__ = ["explain", "MAX_PAIRS", "MAX_CHANGES"]

#: two-fact changes tried per finding when no single change clears it
MAX_PAIRS = 400
#: changes listed per finding and for the level
MAX_CHANGES = 12


def _value(node: A.Node, env: Mapping[str, Any]) -> Any:
    try:
        return jsonable(dsl.evaluate_ast(node, env))
    except SafetyRulesError:
        return None


def _tree(node: A.Node, env: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "expr": unparse(node),
        "value": _value(node, env),
        "facts": {p: jsonable(env.get(p)) for p in dsl.fact_paths(node)},
    }
    parts: Sequence[A.Node] = ()
    if isinstance(node, (A.And, A.Or)):
        parts = node.operands
    elif isinstance(node, A.Not) and isinstance(node.operand, (A.And, A.Or, A.Not)):
        parts = (node.operand,)
    if parts:
        out["parts"] = [_tree(p, env) for p in parts]
    return out


def _status(v: Any) -> str:
    return "found" if v is True else "not_found" if v is False else "undetermined"


def _tables(plan, env: Mapping[str, Any], given: Sequence[str]) -> List[Dict[str, Any]]:
    out = []
    for t in plan.tables:
        item: Dict[str, Any] = {"table": t.id, "output": t.output, "hit": t.hit, "value": jsonable(env.get(t.output))}
        if t.output in given:
            item["given"] = True
            out.append(item)
            continue
        rows = []
        decided = None
        for i, r in enumerate(t.rows):
            if r.when is None:
                continue
            v = _value(r.when.node, env)
            row = {"index": i, "id": r.id, "when": r.when.text, "value": v, "then": jsonable(r.then),
                   "facts": {p: jsonable(env.get(p)) for p in dsl.fact_paths(r.when.node)}}
            if r.cite:
                row["cite"] = r.cite
            if v is True and decided is None and t.hit in ("first", "unique", "priority"):
                decided = row
                if t.hit == "first":
                    break
                continue
            rows.append(row)
        item["row"] = decided
        # for a first table, the earlier rows are why no earlier output won
        item["earlier" if t.hit == "first" else "other_rows"] = rows
        if decided is None and t.has_default and env.get(t.output) is not None:
            item["default"] = True
        out.append(item)
    return out


def explain(plan, inputs: Mapping[str, Any], day: datetime.date, decision, env_after: Mapping[str, Any]) -> Dict[str, Any]:
    """The explanation of ``decision`` for the checked ``inputs`` (see the
    module doc); ``env_after`` is the run's environment after the standards."""
    domains: Domains = domains_for(plan)
    clauses = []
    for status, items in (("found", decision.findings), ("undetermined", decision.undetermined)):
        for f in items:
            c = plan.clause(f.standard, f.clause)
            if c is None:
                continue
            item: Dict[str, Any] = {"standard": c.standard, "clause": c.id, "cite": c.cite, "severity": c.severity,
                                    "status": status, "value": _value(c.condition, env_after)}
            if c.applies is not None:
                item["applies_when"] = _tree(c.applies.node, env_after)
            item["when"] = _tree(c.when.node, env_after)
            if c.unless is not None:
                item["unless"] = _tree(c.unless.node, env_after)
            clauses.append(item)
    given = list(decision.given)
    level_fact = plan.decision.get("level")

    def level_with(changed: Mapping[str, Any]) -> Any:
        return decide_level(plan, changed, day)

    def clears(node, changed) -> bool:
        return _value(node, derive(plan, changed, day)) is not True

    finding_changes = []
    for f in decision.findings:
        c = plan.clause(f.standard, f.clause)
        if c is None:
            continue
        known = [p for p in c.reads if inputs.get(p) is not None and domains.values(p)]
        found: List[Dict[str, Any]] = []
        for p in known:
            for v in domains.values(p):
                if _same(v, inputs[p]):
                    continue
                changed = set_fact(inputs, p, v)
                if clears(c.condition, changed):
                    found.append({"facts": {p: jsonable(v)}, "level": level_with(changed)})
                    break
        if not found:
            tries = 0
            for p, q in itertools.combinations(known, 2):
                for v, w in itertools.product(domains.values(p), domains.values(q)):
                    if _same(v, inputs[p]) or _same(w, inputs[q]):
                        continue
                    tries += 1
                    if tries > MAX_PAIRS:
                        break
                    changed = set_fact(set_fact(inputs, p, v), q, w)
                    if clears(c.condition, changed):
                        found.append({"facts": {p: jsonable(v), q: jsonable(w)}, "level": level_with(changed)})
                        break
                if tries > MAX_PAIRS or len(found) >= MAX_CHANGES:
                    break
        finding_changes.append({"finding": f"{f.standard}:{f.clause}", "changes": found[:MAX_CHANGES]})
    level_changes: List[Dict[str, Any]] = []
    if level_fact:
        reads: List[str] = []
        for f in decision.findings:
            c = plan.clause(f.standard, f.clause)
            if c is not None:
                reads.extend(c.reads)
        for t in plan.tables:
            reads.extend(t.reads)
        seen = set()
        for p in reads:
            if p in seen or inputs.get(p) is None or not domains.values(p):
                continue
            seen.add(p)
            for v in domains.values(p):
                if _same(v, inputs[p]):
                    continue
                lvl = level_with(set_fact(inputs, p, v))
                if lvl != decision.level:
                    level_changes.append({"facts": {p: jsonable(v)}, "level": lvl})
                    break
            if len(level_changes) >= MAX_CHANGES:
                break
    return {
        "clauses": clauses,
        "tables": _tables(plan, env_after, given),
        "changes": {"findings": finding_changes, "level": level_changes},
    }


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                            and not isinstance(a, bool) and not isinstance(b, bool) and a == b)
