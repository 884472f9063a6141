"""Coverage by the standards' logic, not by Python lines (``test --coverage``).

Three measures, per standard and overall, from the rule files' own
``examples:``:

* **clause coverage** — each clause seen both *true* (found) and *false*
  (not found) by some passing example;
* **outcome coverage** — every value of the decision's level, tier and
  inspection frequency reached by some passing example of the table that
  derives it;
* **MC/DC** — for each atomic condition of a clause (a leaf under
  ``and``/``or``/``not``, counted once per occurrence), two examples in which
  it has opposite values, the clause has opposite results, and in each the
  condition alone decides the result (flipping just that occurrence flips
  the clause).  This is masking MC/DC: the other conditions need not be
  equal, only unable to decide the result on their own.

``overall`` is covered obligations over all obligations, in percent: two per
clause (true, false), one per outcome value, one per atomic condition.
"""

from __future__ import annotations

import os
from typing import Any, Collection, Dict, List, Optional, Tuple

import attrs

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.dsl.types import BOOL
from safetyrules.errors import SafetyRulesError

__all__ = ["Coverage", "ClauseCoverage", "measure", "format_coverage", "atoms", "mcdc", "fails_under"]


@attrs.define
class ClauseCoverage:
    standard: str
    clause: str
    seen_true: bool = False
    seen_false: bool = False
    conditions: List[Tuple[str, bool]] = attrs.field(factory=list)  # (text, covered)


@attrs.define
class Coverage:
    clauses: List[ClauseCoverage] = attrs.field(factory=list)
    outcomes: Dict[str, Tuple[List[Any], List[Any]]] = attrs.field(factory=dict)  # fact -> (values, reached)

    def standards(self) -> List[str]:
        return sorted({c.standard for c in self.clauses})

    def _counts(self, standard: Optional[str] = None) -> Dict[str, Tuple[int, int]]:
        cs = [c for c in self.clauses if standard is None or c.standard == standard]
        cl = (sum(c.seen_true + c.seen_false for c in cs), 2 * len(cs))
        mc = (sum(ok for c in cs for _, ok in c.conditions), sum(len(c.conditions) for c in cs))
        return {"clauses": cl, "mcdc": mc}

    @property
    def overall(self) -> float:
        c = self._counts()
        out = (sum(len(r) for _, r in self.outcomes.values()), sum(len(v) for v, _ in self.outcomes.values()))
        got = c["clauses"][0] + c["mcdc"][0] + out[0]
        total = c["clauses"][1] + c["mcdc"][1] + out[1]
        return 100.0 * got / total if total else 100.0

    def to_dict(self) -> Dict[str, Any]:
        per = {}
        for s in self.standards():
            c = self._counts(s)
            per[s] = {
                "clauses": _pct_dict(*c["clauses"]),
                "mcdc": _pct_dict(*c["mcdc"]),
                "uncovered": [
                    {"clause": x.clause, "never_true": not x.seen_true, "never_false": not x.seen_false,
                     "conditions": [t for t, ok in x.conditions if not ok]}
                    for x in self.clauses if x.standard == s
                    and (not x.seen_true or not x.seen_false or not all(ok for _, ok in x.conditions))
                ],
            }
        return {
            "standards": per,
            "outcomes": {f: {"values": v, "reached": r} for f, (v, r) in sorted(self.outcomes.items())},
            "overall": round(self.overall, 2),
        }


def _pct_dict(got: int, total: int) -> Dict[str, Any]:
    return {"covered": got, "total": total, "percent": round(100.0 * got / total, 2) if total else 100.0}


# ---------------------------------------------------------------------------
# MC/DC


def atoms(node: A.Node, path: Tuple[int, ...] = ()) -> List[Tuple[Tuple[int, ...], A.Node]]:
    """The atomic conditions of a boolean expression with their positions
    (child-index paths), in source order."""
    if isinstance(node, (A.And, A.Or)):
        out = []
        for i, c in enumerate(node.operands):
            out += atoms(c, path + (i,))
        return out
    if isinstance(node, A.Not):
        return atoms(node.operand, path + (0,))
    if isinstance(node, A.Boolean):
        return []
    return [(path, node)]


def _replace(node: A.Node, path: Tuple[int, ...], new: A.Node) -> A.Node:
    if not path:
        return new
    i, rest = path[0], path[1:]
    if isinstance(node, (A.And, A.Or)):
        ops = list(node.operands)
        ops[i] = _replace(ops[i], rest, new)
        return attrs.evolve(node, operands=tuple(ops))
    if isinstance(node, A.Not):
        return attrs.evolve(node, operand=_replace(node.operand, rest, new))
    raise ValueError("bad atom path")


def mcdc(node: A.Node, envs: List[Dict[str, Any]]) -> List[Tuple[str, bool]]:
    """For each atomic condition of ``node``: (its text, shown to independently
    decide the result by two of the fact sets ``envs``)."""
    out = []
    for path, atom in atoms(node):
        by_value: Dict[bool, bool] = {}
        for env in envs:
            try:
                a = dsl.evaluate_ast(atom, env)
                res = dsl.evaluate_ast(node, env)
                if not isinstance(a, bool) or not isinstance(res, bool):
                    continue
                flipped = dsl.evaluate_ast(_replace(node, path, A.Boolean(not a, ty=BOOL)), env)
            except SafetyRulesError:
                continue
            if isinstance(flipped, bool) and flipped != res:
                by_value[a] = True
        out.append((dsl.unparse(atom), by_value.get(True, False) and by_value.get(False, False)))
    return out


# ---------------------------------------------------------------------------


def measure(rules, results, *, only_files: Optional[Collection[str]] = None) -> Coverage:
    """Coverage of a loaded rule set by its examples (``results`` from
    :func:`safetyrules.authoring.testing.run_examples`).  ``only_files``
    (absolute paths, as for ``run_examples``) measures the clauses and tables
    written in those files: an overlay's own, whose examples ``test`` ran."""
    from safetyrules.authoring.testing import example_env

    def mine(position) -> bool:
        return only_files is None or os.path.abspath(position.path) in only_files

    cov = Coverage()
    by_target: Dict[str, List[Any]] = {}
    for r in results:
        if r.passed:
            by_target.setdefault(f"{r.kind}:{r.target}", []).append(r.value)
    for c in rules.plan.clauses:
        if not mine(c.position):
            continue
        vals = by_target.get(f"clause:{c.standard}/{c.id}", [])
        cc = ClauseCoverage(c.standard, c.id, any(v is True for v in vals), any(v is False for v in vals))
        envs = []
        for ex in c.examples:
            try:
                envs.append(example_env(rules, ex.facts))
            except SafetyRulesError:
                continue
        cc.conditions = mcdc(c.own_condition, envs)
        cov.clauses.append(cc)
    tables = {t.output: t for t in rules.plan.tables}
    # a manifest's decision facts; without a manifest (whose default decision
    # is only the core names it happens to declare), every enum table
    facts = list(dict.fromkeys(rules.plan.decision.values())) if rules.plan.manifest is not None else []
    if not facts:
        facts = [o for o in tables if (rules.vocabulary.get(o) is not None and rules.vocabulary[o].values)]
    for fact in facts:
        spec = rules.vocabulary.get(fact)
        t = tables.get(fact)
        if spec is None or not spec.values or t is None or not mine(t.position):
            continue
        reached = {v for v in by_target.get(f"table:{t.id}", []) if v is not None}
        cov.outcomes[fact] = (list(spec.values), [v for v in spec.values if v in reached])
    return cov


def _pct(got: int, total: int) -> str:
    return f"{got}/{total} {100.0 * got / total:5.1f}%" if total else f"{got}/{total}   n/a "


def format_coverage(cov: Coverage) -> str:
    """A report a standards author acts on: the numbers, then what to add."""
    lines = ["Coverage by the standards' logic (clauses seen true and false; MC/DC per condition)"]
    width = max([len(s) for s in cov.standards()] + [8])
    lines.append(f"  {'standard':<{width}}  {'clauses':>15}  {'MC/DC':>15}")
    for s in cov.standards():
        c = cov._counts(s)
        lines.append(f"  {s:<{width}}  {_pct(*c['clauses']):>15}  {_pct(*c['mcdc']):>15}")
    c = cov._counts()
    lines.append(f"  {'all':<{width}}  {_pct(*c['clauses']):>15}  {_pct(*c['mcdc']):>15}")
    if cov.outcomes:
        lines.append("Outcomes reached by table examples:")
        for fact, (values, reached) in sorted(cov.outcomes.items()):
            miss = [str(v) for v in values if v not in reached]
            lines.append(
                f"  {fact}: {_pct(len(reached), len(values))}" + (f" — never reached: {', '.join(miss)}" if miss else "")
            )
    todo = []
    for x in cov.clauses:
        what = []
        if not x.seen_true:
            what.append("no passing example where it is found (expect: true)")
        if not x.seen_false:
            what.append("no passing example where it is not found (expect: false)")
        for text, ok in x.conditions:
            if not ok:
                what.append(f"MC/DC: no pair of examples shows '{text}' alone changing the result")
        for w in what:
            todo.append(f"  {x.standard} {x.clause}: {w}")
    if todo:
        lines.append(f"To cover ({len(todo)}):")
        lines += todo
    lines.append(f"overall coverage: {cov.overall:.1f}%")
    return "\n".join(lines)


def fails_under(overall: float, threshold: float) -> bool:
    """``test --fail-under``: whether ``overall`` (percent) is under
    ``threshold``, compared as printed (one decimal, as coverage.py compares
    the total rounded to its precision), so the figure a report shows is the
    figure a gate accepts; 100 needs every obligation met (99.96 does not
    round up to pass it)."""
    if threshold >= 100.0:
        return overall < 100.0
    return round(overall, 1) < threshold
