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

__all__ = ["decision_missing", "explain_text", "show", "row_values", "node_missing"]


def _value(node: A.Node, env: Mapping[str, Any]) -> Any:
    try:
        return dsl.evaluate_ast(node, env)
    except SafetyRulesError:
        return None


# (id(plan), table id) -> (plan, conditions, program or None): each table's
# row conditions compiled once (dsl.compile_many), kept while the plan lives
_TABLE_PROGRAMS: Dict[Tuple[int, str], Tuple[Any, Tuple[Optional[A.Node], ...], Any]] = {}


def _table_program(plan: Any, table: Any):
    key = (id(plan), table.id)
    hit = _TABLE_PROGRAMS.get(key)
    if hit is None or hit[0] is not plan:
        conds = table.conditions
        try:
            prog = dsl.compile_many([n if n is not None else A.Boolean(False) for n in conds])
        except SafetyRulesError:
            prog = None  # cannot be compiled: evaluated one by one
        if len(_TABLE_PROGRAMS) >= 4096:
            _TABLE_PROGRAMS.clear()
        hit = _TABLE_PROGRAMS[key] = (plan, conds, prog)
    return hit[1], hit[2]


def row_values(plan: Any, table: Any, env: Mapping[str, Any], compiled: bool = True) -> List[Optional[bool]]:
    """The value of each row condition of ``table`` (of ``plan``) over
    ``env``, as ``dsl.evaluate_ast`` gives it row by row (an error is
    unknown; a row without a condition is None).  ``compiled``: run the rows
    as one compiled program (``dsl.compile_many``, equal to the evaluator
    row by row), falling back to the evaluator when it raises."""
    if compiled:
        conds, prog = _table_program(plan, table)
        if prog is not None:
            try:
                got = prog(env, [])
            except Exception:  # noqa: BLE001 - the evaluator decides what such a row is
                got = None
            if got is not None:
                return [None if n is None else v for n, v in zip(conds, got)]
    else:
        conds = table.conditions
    return [_value(n, env) if n is not None else None for n in conds]


class _NodeMissing:
    """``dsl.missing`` of one condition from precompiled data: its nodes
    outside quantifier bodies, each with its parent's position (parents
    first), compiled into one program that gives every node's value at
    once.  A node is visited when its parent is visited and unknown (as
    ``dsl.missing`` descends); a visited unknown path is missing; a visited
    unknown quantifier adds ``dsl.missing`` of its own subtree."""

    __slots__ = ("node", "nodes", "parents", "kinds", "prog")

    def __init__(self, node: A.Node) -> None:
        self.node = node
        nodes: List[A.Node] = []
        parents: List[int] = []
        stack = [(node, -1)]
        while stack:
            n, p = stack.pop()
            nodes.append(n)
            parents.append(p)
            if not isinstance(n, (A.Path, A.Quantifier)):
                i = len(nodes) - 1
                stack.extend((c, i) for c in A.children(n))
        self.nodes = tuple(nodes)
        self.parents = tuple(parents)
        # 1: a path, 2: a quantifier, 0: anything else
        self.kinds = tuple(1 if isinstance(n, A.Path) else 2 if isinstance(n, A.Quantifier) else 0 for n in nodes)
        try:
            self.prog = dsl.compile_many(list(nodes))
        except SafetyRulesError:
            self.prog = None

    def missing(self, env: Mapping[str, Any]) -> Tuple[str, ...]:
        vals = None
        if self.prog is not None:
            try:
                vals = self.prog(env, [])
            except Exception:  # noqa: BLE001 - the tree walk decides what such a node is
                vals = None
        if vals is None:
            return dsl.missing(self.node, env)
        open_ = [False] * len(vals)  # visited and unknown
        out = set()
        nodes, kinds = self.nodes, self.kinds
        for i, p in enumerate(self.parents):
            if (p < 0 or open_[p]) and vals[i] is None:
                open_[i] = True
                k = kinds[i]
                if k == 1:
                    out.add(nodes[i].name)
                elif k == 2:
                    out.update(dsl.missing(nodes[i], env))
        return tuple(sorted(out))


# id(node) -> _NodeMissing, for the conditions of live plans
_NODE_MISSING: Dict[int, _NodeMissing] = {}


def node_missing(node: A.Node, env: Mapping[str, Any], compiled: bool = True) -> Tuple[str, ...]:
    """``dsl.missing(node, env)``; ``compiled``: from the node's precompiled
    data (:class:`_NodeMissing`, built once per node), else the tree walk."""
    if not compiled:
        return dsl.missing(node, env)
    hit = _NODE_MISSING.get(id(node))
    if hit is None or hit.node is not node:
        if len(_NODE_MISSING) >= 20000:
            _NODE_MISSING.clear()
        hit = _NODE_MISSING[id(node)] = _NodeMissing(node)
    return hit.missing(env)


class _Missing:
    """Missing facts of one run; tables are decided again only when asked."""

    def __init__(self, layout: Layout, env: Mapping[str, Any], given: Tuple[str, ...], compiled: bool = True) -> None:
        self.plan = layout.plan
        self.env = env
        self.given = frozenset(given)
        self.compiled = compiled
        self.by_output = {t.output: t for t in self.plan.tables}
        self.results: Dict[str, Optional[TableResult]] = {}
        self.rows: Dict[str, List[Optional[bool]]] = {}
        self.cache: Dict[str, Tuple[str, ...]] = {}

    def row_values(self, out: str) -> List[Optional[bool]]:
        got = self.rows.get(out)
        if got is None:
            got = self.rows[out] = row_values(self.plan, self.by_output[out], self.env, self.compiled)
        return got

    def result(self, out: str) -> Optional[TableResult]:
        if out in self.given:
            return None
        if out not in self.results:
            self.results[out] = decide_table(self.by_output[out], self.row_values(out), [])
        return self.results[out]

    def table(self, out: str) -> Tuple[str, ...]:
        if out in self.cache:
            return self.cache[out]
        self.cache[out] = ()  # cycle guard (the graph is acyclic, but be safe)
        res = self.result(out)
        t = self.by_output[out]
        conds = t.conditions
        vals = self.row_values(out)
        raw: List[str] = []
        rows = res.unknown_rows if res is not None and res.unknown_rows else range(len(conds))
        for i in rows:
            node = conds[i]
            if node is not None and vals[i] is None:
                raw.extend(node_missing(node, self.env, self.compiled))
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


def decision_missing(layout: Layout, result: tuple, env: Mapping[str, Any], compiled: bool = True):
    """``(per_clause, overall)``: per clause of the layout, the missing
    facts of an undetermined one (``()`` for the others); and every fact
    the decision lists as ``missing``.  ``compiled=False`` evaluates table
    rows one by one with the tree-walking evaluator (the reference)."""
    m = _Missing(layout, env, result[2], compiled)
    per: List[Tuple[str, ...]] = []
    overall = set()
    for c, v in zip(layout.clauses, result[0]):
        if v is None:
            names = m.expand(node_missing(c.condition, env, compiled))
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
