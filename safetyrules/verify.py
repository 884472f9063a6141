"""Table verification and constant conditions, by search over finite domains.

* :func:`verify_table` — gaps (an input no row matches), overlaps in
  ``unique`` tables (an input two rows match) and rows of ``first`` tables
  masked by earlier rows (no input reaches them).
* :func:`constant_parts` — sub-conditions that are always true or always
  false (constant folding plus interval reasoning over comparisons).

Both work on *known* inputs: every fact has a value (unknown facts are the
engine's business, reported per decision).  See :mod:`safetyrules.domains`
for why a search over representative values is exact for comparisons with
constants.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .dsl import ast as A
from .domains import Incomplete, Problem

__all__ = ["TableIssue", "verify_table", "constant_parts", "MAX_GAPS"]

MAX_GAPS = 5
TABLE_BUDGET = 200_000  # search steps per table before W204


@attrs.frozen
class TableIssue:
    """One finding of table verification.

    ``kind``: ``gap`` | ``overlap`` | ``masked`` | ``incomplete``; ``rows``:
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


def verify_table(lt, vocab: Mapping[str, Any], *, budget: Optional[int] = None) -> List[TableIssue]:
    """Verify one linked table (``lt.table`` the record, ``lt.rows`` its
    checked row conditions)."""
    t = lt.table
    rows = list(lt.rows)
    if any(r is None for r in rows):
        return []
    prob = Problem(rows, vocab, budget=budget or TABLE_BUDGET)
    issues: List[TableIssue] = []
    try:
        if t.hit in ("first", "unique", "priority") and not t.has_default:
            for gap, region in _regions(prob, prob.search(_gap_goal, limit=500))[:MAX_GAPS]:
                issues.append(TableIssue("gap", (), gap, region))
        if t.hit == "unique":
            seen = set()
            for hit in prob.search(_overlap_goal, limit=50):
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
    from .domains import show_assignment

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
            f = prob._lower(n)
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
