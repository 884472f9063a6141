"""Which missing facts could settle an unknown result, and explanations.

Both are asked lazily by a decision, from its layout and the values of its
run (never from the input): ``missing`` of an undetermined clause is the
unknown facts under its unknown sub-conditions (SPEC §4), with derived facts
expanded to the inputs their table still needs.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from safetyrules import dsl
from safetyrules.backends.layout import Layout
from safetyrules.backends.tables import TableResult, decide_table
from safetyrules.dsl import ast as A
from safetyrules.dsl.printer import unparse
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import FINDINGS_FACTS

__all__ = ["decision_missing", "explain_text", "show"]


class _Missing:
    """Missing facts of one run; tables are decided again only when asked."""

    def __init__(self, layout: Layout, env: Mapping[str, Any], given: Tuple[str, ...]) -> None:
        self.plan = layout.plan
        self.env = env
        self.given = frozenset(given)
        self.by_output = {t.output: t for t in self.plan.tables}
        self.results: Dict[str, Optional[TableResult]] = {}
        self.cache: Dict[str, Tuple[str, ...]] = {}

    def result(self, out: str) -> Optional[TableResult]:
        if out in self.given:
            return None
        if out not in self.results:
            t = self.by_output[out]
            vals = []
            for node in t.conditions:
                vals.append(self.value(node) if node is not None else None)
            self.results[out] = decide_table(t, vals, [])
        return self.results[out]

    def value(self, node: A.Node) -> Any:
        try:
            return dsl.evaluate_ast(node, self.env)
        except SafetyRulesError:
            return None

    def table(self, out: str) -> Tuple[str, ...]:
        if out in self.cache:
            return self.cache[out]
        self.cache[out] = ()  # cycle guard (the graph is acyclic, but be safe)
        res = self.result(out)
        t = self.by_output[out]
        conds = t.conditions
        raw: List[str] = []
        rows = res.unknown_rows if res is not None and res.unknown_rows else range(len(conds))
        for i in rows:
            node = conds[i]
            if node is not None and self.value(node) is None:
                raw.extend(dsl.missing(node, self.env))
        self.cache[out] = self.expand(tuple(raw))
        return self.cache[out]

    def expand(self, names) -> Tuple[str, ...]:
        out = set()
        for n in names:
            if n in self.by_output and n not in FINDINGS_FACTS:
                if self.result(n) is not None:
                    out.update(self.table(n) or (n,))
                    continue
            out.add(n)
        return tuple(sorted(out))


def decision_missing(layout: Layout, result: tuple, env: Mapping[str, Any]):
    """``(per_clause, overall)``: per clause of the layout, the missing
    facts of an undetermined one (``()`` for the others); and every fact
    the decision lists as ``missing``."""
    m = _Missing(layout, env, result[2])
    per: List[Tuple[str, ...]] = []
    overall = set()
    for c, v in zip(layout.clauses, result[0]):
        if v is None:
            names = m.expand(dsl.missing(c.condition, env))
            overall.update(names)
            per.append(names)
        else:
            per.append(())
    for fact in layout.plan.decision.values():
        if env.get(fact) is None:
            if fact in m.by_output:
                overall.update(m.table(fact))
            else:
                overall.add(fact)
    return tuple(per), tuple(sorted(overall))


def explain_text(layout: Layout, env: Mapping[str, Any], findings, undetermined) -> str:
    """Each finding and undetermined clause with its sub-conditions and
    their values, then every table output, as indented text."""
    wanted = {(f.standard, f.clause): "FOUND" for f in findings}
    wanted.update({(u.standard, u.clause): "UNDETERMINED" for u in undetermined})
    lines: List[str] = []
    for c in layout.clauses:
        key = (c.standard, c.id)
        if key not in wanted:
            continue
        title = c.title.get("en") or c.title.get("zh") or ""
        lines.append(f"{c.standard} {c.id} [{c.cite}] {wanted[key]} ({c.severity}) {title}".rstrip())
        if c.applies is not None:
            lines.append("  applies when:")
            _tree(c.applies.node, 2, lines, env)
        lines.append("  when:")
        _tree(c.when.node, 2, lines, env)
        if c.unless is not None:
            lines.append("  unless:")
            _tree(c.unless.node, 2, lines, env)
    for o in sorted(layout.plan.outputs):
        lines.append(f"{o} = {show(env.get(o))}")
    return "\n".join(lines) + ("\n" if lines else "")


def _tree(node: A.Node, depth: int, lines: List[str], env: Mapping[str, Any]) -> None:
    try:
        value = dsl.evaluate_ast(node, env)
    except SafetyRulesError:
        value = None
    pad = "  " * depth
    lines.append(f"{pad}{unparse(node)}  → {show(value)}")
    if isinstance(node, (A.And, A.Or)):
        for op in node.operands:
            _tree(op, depth + 1, lines, env)
    elif isinstance(node, A.Not) and isinstance(node.operand, (A.And, A.Or, A.Not, A.Compare)):
        _tree(node.operand, depth + 1, lines, env)
    elif isinstance(node, A.Compare):
        for side in (node.left, node.right):
            if isinstance(side, A.Path):
                lines.append(f"{pad}  {side.name} = {show(env.get(side.name))}")


def show(v: Any) -> str:
    """A value as explanations print it."""
    if v is None:
        return "unknown"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(_jsonable(v))


def _jsonable(value: Any) -> Any:
    import datetime

    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
