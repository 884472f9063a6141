"""Table verification and constant conditions, by search over finite domains.

* :func:`verify_table` — gaps (an input no row matches), overlaps in
  ``unique`` tables (an input two rows match) and rows of ``first`` tables
  masked by earlier rows (no input reaches them).
* :func:`constant_parts` — sub-conditions that are always true or always
  false (constant folding plus interval reasoning over comparisons).

Both work on *known* inputs: every fact has a value (unknown facts are the
engine's business, reported per decision).  See :mod:`safetyrules.authoring.domains`
for why a search over representative values is exact for comparisons with
constants.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from safetyrules.dsl import ast as A
from safetyrules.authoring.domains import Incomplete, Problem

__all__ = ["TableIssue", "verify_table", "constant_parts", "MAX_GAPS"]

MAX_GAPS = 5
TABLE_BUDGET = 200_000  # search steps per table before W204


@attrs.frozen
class TableIssue:
    """One finding of table verification.

    ``kind``: ``gap`` | ``overlap`` | ``masked`` | ``incomplete`` |
    ``more-gaps`` (only the first :data:`MAX_GAPS` gaps are listed; its
    ``region`` says how many were left out); ``rows``:
    the 0-based rows concerned (the masked row first, then the rows masking
    it); ``example``: an input showing it (facts left out may take any value).
    """

    kind: str
    rows: Tuple[int, ...] = ()
    example: Mapping[str, Any] = attrs.field(factory=dict)
    region: str = ""


def _gap_goal(fs) -> Optional[bool]:
    undecided = False
    for r in fs:
        if r is True:
            return False
        if r is not False:
            undecided = True
    return None if undecided else True


def _overlap_goal(fs) -> Optional[bool]:
    true = sum(1 for r in fs if r is True)
    if true >= 2:
        return True
    open_ = sum(1 for r in fs if r is not True and r is not False)
    return False if true + open_ < 2 else None


def _reach_goal(fs) -> Optional[bool]:
    """The last formula true while all earlier ones are false."""
    last = fs[-1]
    if last is False or last is None:
        return False
    if any(r is True or r is None for r in fs[:-1]):
        return False
    if last is True and all(r is False for r in fs[:-1]):
        return True
    return None


def verify_table(t, vocab: Mapping[str, Any], *, budget: Optional[int] = None) -> List[TableIssue]:
    """Verify one table of a plan (:class:`~safetyrules.plan.model.PlanTable`)."""
    rows = list(t.conditions)
    if any(r is None for r in rows):
        return []
    prob = Problem(rows, vocab, budget=budget or TABLE_BUDGET)
    issues: List[TableIssue] = []
    try:
        if t.hit in ("first", "unique", "priority") and not t.has_default:
            hits = [h for h in (realize(prob, h) for h in prob.search(_gap_goal, limit=500)) if h is not None]
            regions = _regions(prob, hits)
            for gap, region in regions[:MAX_GAPS]:
                issues.append(TableIssue("gap", (), gap, region))
            if len(regions) > MAX_GAPS:
                more = len(regions) - MAX_GAPS
                # the search stops at 500 inputs, so the count is a floor then
                issues.append(TableIssue("more-gaps", (), {}, f"{more}{'+' if len(hits) >= 500 else ''}"))
        if t.hit == "unique":
            seen = set()
            for hit in prob.search(_overlap_goal, limit=50):
                if realize(prob, hit) is None:
                    continue
                both = tuple(i for i, f in enumerate(prob.formulas) if prob.reduce(f, hit) is True)
                pair = both[:2]
                if pair in seen:
                    continue
                seen.add(pair)
                issues.append(TableIssue("overlap", pair, hit))
                if len(seen) >= MAX_GAPS:
                    break
        if t.hit == "first":
            for j in range(1, len(rows)):
                fs = prob.formulas[: j + 1]
                if prob.search(_reach_goal, fs):
                    continue
                # which earlier rows cover it: those satisfiable together with row j
                masking = tuple(
                    i for i in range(j)
                    if prob.search(lambda g: _both_goal(g), [prob.formulas[i], prob.formulas[j]])
                )
                example = prob.satisfiable(prob.formulas[j]) or {}
                issues.append(TableIssue("masked", (j,) + masking, example))
    except Incomplete:
        issues.append(TableIssue("incomplete"))
    return issues


MAX_CANDIDATES = 20_000


def realize(prob: Problem, hit: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """Turn the opaque conditions of a search hit (quantifiers over a list,
    its length) into a concrete list value that gives each of them the value
    the hit assumed, trying the empty list and every one-item list built from
    the constants in those conditions.  Returns the hit with the list in
    place of the opaque conditions, the hit itself if it has none, or None
    when no such list was found (the hit is then taken to be spurious)."""
    import itertools

    from safetyrules import dsl
    from safetyrules.authoring.domains import MISSING

    opaque = {k: v for k, v in hit.items() if k.startswith("⟨")}
    if not opaque:
        return hit
    nodes = {}
    for vars_, node, is_opaque in prob.atoms:
        if is_opaque and vars_[0] in opaque:
            nodes[vars_[0]] = node
    lists = {f for n in nodes.values() for f in dsl.fact_paths(n)
             if prob.vocab.get(f) is not None and prob.vocab[f].type == "list"}
    if len(lists) != 1 or len(nodes) != len(opaque):
        return None
    (lst,) = lists
    spec = prob.vocab[lst]
    fields = dict(spec.item or {})
    consts: Dict[str, list] = {}
    for n in nodes.values():
        for q in A.walk(n):
            if not isinstance(q, A.Quantifier):
                continue
            for c in A.walk(q.body):
                if not isinstance(c, A.Compare):
                    continue
                for side, other in ((c.left, c.right), (c.right, c.left)):
                    names: Any = {p.name.split(".", 1)[1] for p in A.walk(side)
                             if isinstance(p, A.Path) and p.head == q.var and "." in p.name}
                    if not names or dsl.fact_paths(other):
                        continue
                    try:
                        value = dsl.evaluate_ast(other, {})
                    except Exception:
                        continue
                    vals = value if isinstance(value, (list, tuple)) else [value]
                    for name in names:
                        consts.setdefault(name, []).extend([0] + list(vals) if len(names) > 1 else vals)
    names = sorted(fields)
    domains = [Problem.fact_domain(name, fields[name], consts.get(name, [])) if fields[name].type != "list" else [[]]
               for name in names]
    env = {k: v for k, v in hit.items() if not k.startswith("⟨") and v is not MISSING}

    def fits(value) -> bool:
        e = dict(env)
        e[lst] = value
        for var, node in nodes.items():
            try:
                r = dsl.evaluate_ast(node, e)
            except Exception:
                return False
            want = opaque[var]
            if (None if want is MISSING else want) is not r:
                return False
        return True

    candidates = itertools.chain([[]], ([dict(zip(names, combo))] for combo in itertools.product(*domains)))
    for cand in itertools.islice(candidates, MAX_CANDIDATES):
        if fits(cand):
            out = {k: v for k, v in hit.items() if not k.startswith("⟨")}
            out[lst] = cand
            return out
    return None


def _regions(prob: Problem, hits: List[Dict[str, Any]]) -> List[Tuple[Dict[str, Any], str]]:
    """Merge hits that differ only in one number into ranges: (first hit, text)."""
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    for h in hits:
        nums = [k for k, v in h.items() if _is_num_var(prob, k)]
        var = nums[-1] if nums else None
        key = (var, tuple(sorted((k, repr(v)) for k, v in h.items() if k != var)))
        groups.setdefault(key, []).append(h)
    out = []
    for (var, _), hs in groups.items():
        if var is None:
            for h in hs:
                out.append((h, _show(prob, h, None, None)))
            continue
        dom = prob.domain(var)
        idx = sorted(dom.index(h[var]) for h in hs)
        runs: List[List[int]] = []
        for i in idx:
            if runs and i == runs[-1][-1] + 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in runs:
            first = dict(hs[0])
            first[var] = dom[run[0]]
            out.append((first, _show(prob, first, var, _range_text(prob, var, dom, run[0], run[-1]))))
    return out


def _is_num_var(prob: Problem, var: str) -> bool:
    spec = prob.vocab.get(var)
    return spec is not None and spec.type in ("integer", "number")


def _range_text(prob: Problem, var: str, dom: list, i: int, j: int) -> str:
    consts = {float(c) for c in prob.constants.get(var, []) if isinstance(c, (int, float))}
    integer = prob.vocab[var].type == "integer"
    lo = hi = None
    if i > 0:
        v = dom[i]
        if integer or float(v) in consts:
            lo = f"{v} <= "
        else:
            below = max((c for c in consts if c < v), default=None)
            lo = f"{_num(below)} < " if below is not None else f"{v} <= "
    if j < len(dom) - 1:
        v = dom[j]
        if integer or float(v) in consts:
            hi = f" <= {v}"
        else:
            above = min((c for c in consts if c > v), default=None)
            hi = f" < {_num(above)}" if above is not None else f" <= {v}"
    if lo is None and hi is None:
        return f"{var} any value"
    return f"{lo or ''}{var}{hi or ''}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(prob: Problem, h: Mapping[str, Any], var: Optional[str], text: Optional[str]) -> str:
    from safetyrules.authoring.domains import show_assignment

    rest = {k: v for k, v in h.items() if k != var}
    parts = [show_assignment(rest)] if rest else []
    if text:
        parts.append(text)
    return ", ".join(parts) or "any input"


def _both_goal(fs) -> Optional[bool]:
    if fs[0] is True and fs[1] is True:
        return True
    if any(r is False or r is None for r in fs):
        return False
    return None


def constant_parts(node: A.Node, vocab: Mapping[str, Any], *, budget: int = 50_000) -> List[Tuple[A.Node, bool]]:
    """The outermost sub-conditions of a checked boolean ``node`` that are
    always true or always false, with that value.  The whole condition comes
    first if it is constant (and then nothing inside it is reported)."""
    out: List[Tuple[A.Node, bool]] = []
    prob = Problem([node], vocab, budget=budget)

    def visit(n: A.Node) -> None:
        if isinstance(n, A.Boolean):
            out.append((n, n.value))
            return
        if isinstance(n, A.Call) and n.name == "known":
            # over known inputs known() is always true; it exists for the
            # unknown case, so it is never a constant worth reporting
            return
        if not prob.exact(n):
            # an atom compares several facts: representative values are not
            # exact there, so only look inside for parts that are
            if isinstance(n, (A.And, A.Or)):
                for c in n.operands:
                    visit(c)
            elif isinstance(n, A.Not):
                visit(n.operand)
            return
        try:
            f = prob.lower(n)
            if prob.satisfiable(f, True) is None:
                out.append((n, False))
                return
            if prob.satisfiable(f, False) is None:
                out.append((n, True))
                return
        except Incomplete:
            return
        if isinstance(n, (A.And, A.Or)):
            for c in n.operands:
                visit(c)
        elif isinstance(n, A.Not):
            visit(n.operand)

    visit(node)
    return out
