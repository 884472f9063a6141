"""Which missing facts could settle an unknown result, and explanations.

Both are asked lazily by a decision, from its layout and the values of its
run (never from the input): ``missing`` of an undetermined clause is the
unknown facts under its unknown sub-conditions (SPEC §4), with derived facts
expanded to the inputs their table still needs.
"""

from __future__ import annotations

import datetime
import marshal
from itertools import repeat
from typing import Any, Dict, List, Mapping, Optional, Tuple

from safetyrules import dsl
from safetyrules.backends.layout import Layout
from safetyrules.backends.tables import TableResult, decide_table
from safetyrules.dsl import ast as A
from safetyrules.dsl.evaluator import substitute
from safetyrules.dsl.printer import unparse
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import FINDINGS_FACTS

__all__ = ["decision_missing", "explain_text", "show", "row_values", "node_missing", "env_key",
           "MISSING_MEMO_SIZE", "KEY_BYTES", "KEY_ITEMS"]


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


class _Fallback(Exception):
    """Internal: the precompiled data cannot answer; walk the tree."""


def _free_paths(node: A.Node) -> Tuple[str, ...]:
    """The names of the paths ``node`` reads whose head no quantifier
    inside ``node`` binds (facts, or names bound outside it), in walk order."""
    out: Dict[str, None] = {}
    stack: List[Tuple[A.Node, frozenset]] = [(node, frozenset())]
    while stack:
        n, inner = stack.pop()
        if isinstance(n, A.Path):
            if n.head not in inner:
                out[n.name] = None
        elif isinstance(n, A.Quantifier):
            stack.append((n.source, inner))
            stack.append((n.body, inner | {n.var}))
        else:
            stack.extend((c, inner) for c in A.children(n))
    return tuple(out)


class _Scope:
    """``dsl.missing`` of one expression from precompiled data, in the
    scope of the names quantifiers outside it bind (``bound``, outermost
    first): its nodes outside quantifier bodies (a quantifier's source
    among them, under the quantifier), each with its parent's position
    (parents first), compiled into one program that gives every node's
    value at once, and one scope of the same kind per quantifier body.

    A node is visited when its parent is visited and unknown (as
    ``dsl.missing`` descends); a visited unknown path is missing (a bound
    name's path by its item label, ``list[i].field``); a visited unknown
    quantifier whose source is a list visits its body once per item, with
    the quantifier's name bound to the item."""

    __slots__ = ("node", "bound", "nodes", "parents", "kinds", "src", "subs", "labels", "prog", "reads", "knowns")

    def __init__(self, node: A.Node, bound: Tuple[str, ...] = ()) -> None:
        self.node = node
        self.bound = bound
        nodes: List[A.Node] = []
        parents: List[int] = []
        stack = [(node, -1)]
        while stack:
            n, p = stack.pop()
            nodes.append(n)
            parents.append(p)
            i = len(nodes) - 1
            if isinstance(n, A.Quantifier):
                stack.append((n.source, i))
            elif not isinstance(n, A.Path):
                stack.extend((c, i) for c in A.children(n))
        self.nodes = tuple(nodes)
        self.parents = tuple(parents)
        # 1: a fact's path, 3: a bound name's path, 2: a quantifier, 0: anything else
        self.kinds = tuple((3 if n.head in bound else 1) if isinstance(n, A.Path) else 2
                           if isinstance(n, A.Quantifier) else 0 for n in nodes)
        src: Dict[int, int] = {}
        subs: Dict[int, Optional[_Scope]] = {}
        labels: Dict[int, Tuple[Optional[str], Optional[str]]] = {}
        for i, n in enumerate(nodes):
            if isinstance(n, A.Quantifier):
                src[i] = next(j for j in range(i + 1, len(nodes)) if nodes[j] is n.source and parents[j] == i)
                subs[i] = None  # its body's scope, built when first visited
                s = n.source
                # how an item is labelled: (bound head, rest) of a bound
                # source, (None, name) of a fact, (None, None) otherwise
                if isinstance(s, A.Path):
                    labels[i] = (s.head, s.rest) if s.head in bound else (None, s.name)
                else:
                    labels[i] = (None, None)
        self.src, self.subs, self.labels = src, subs, labels
        # what the program reads: (name, head, rest) of a bound name's path,
        # (name, None, None) of a fact (scopes inside a quantifier only)
        reads: List[Tuple[str, Optional[str], Optional[str]]] = []
        if bound:
            for p in _free_paths(node):
                head, _, rest = p.partition(".")
                reads.append((p, head, rest or None) if head in bound else (p, None, None))
        self.reads = tuple(reads)
        # each known(path) call of this scope: (its position, its path's)
        self.knowns = tuple((i, next(j for j in range(i + 1, len(nodes)) if parents[j] == i))
                            for i, n in enumerate(nodes)
                            if isinstance(n, A.Call) and n.name == "known" and isinstance(n.args[0], A.Path))
        try:
            # children before parents: each node is computed once, at the
            # top of the program, and its parents read the result
            self.prog = dsl.compile_many(nodes[::-1]).function
        except SafetyRulesError:
            self.prog = None

    def visit(self, env: Mapping[str, Any], items: Dict[str, Any], labels: Dict[str, str], out: set) -> None:
        """Add what ``dsl.missing`` adds for this scope's expression, its
        bound names standing for ``items`` (labelled by ``labels``)."""
        if self.prog is None:
            raise _Fallback
        if self.bound:
            scope: Dict[str, Any] = {}
            for name, head, rest in self.reads:
                if head is None:
                    scope[name] = env.get(name)
                else:
                    item = items[head]
                    if rest is None or item is None:
                        scope[name] = item
                    elif type(item) is dict:
                        scope[name] = item.get(rest)
                    else:
                        raise _Fallback  # R.field decides (an error: unknown)
            fenv: Mapping[str, Any] = scope
        else:
            fenv = env
        try:
            vals = self.prog(fenv, None)[::-1]
        except Exception:  # noqa: BLE001 - the tree walk decides what such a node is
            raise _Fallback from None
        open_ = [False] * len(vals)  # visited and unknown
        nodes, kinds = self.nodes, self.kinds
        for i, p in enumerate(self.parents):
            if self.knowns and p >= 0 and open_[p] and vals[i] is not None and kinds[p] != 2:
                self._absent_known(i, fenv, vals, labels, out)
            if (p < 0 or open_[p]) and vals[i] is None:
                open_[i] = True
                k = kinds[i]
                if k == 1:
                    out.add(nodes[i].name)
                elif k == 3:
                    n = nodes[i]
                    out.add(labels[n.head] + ("." + n.rest if n.rest else ""))
                elif k == 2:
                    src = vals[self.src[i]]
                    if not isinstance(src, (list, tuple)) or not src:
                        continue  # its source is visited (unknown) or known; or no item
                    q = nodes[i]
                    head, rest = self.labels[i]
                    if head is not None:
                        base: Optional[str] = labels[head] + ("." + rest if rest else "")
                    else:
                        base = rest
                    sub = self.subs[i]
                    if sub is None:  # benign race: threads build equal scopes
                        sub = self.subs[i] = _Scope(q.body, self.bound + (q.var,))
                    var = q.var
                    inner_items = dict(items)
                    inner_labels = dict(labels)
                    for j, item in enumerate(src):
                        inner_items[var] = item
                        inner_labels[var] = f"{base}[{j}]" if base else f"{var}[{j}]"
                        sub.visit(env, inner_items, inner_labels, out)


    def _absent_known(self, c: int, fenv: Mapping[str, Any], vals: List[Any], labels: Dict[str, str], out: set) -> None:
        """As ``dsl.missing``: node ``c`` is a known part of an unknown
        node; each absent path of a ``known(path)`` call inside ``c`` (outside
        quantifier bodies) whose taking as true changes ``c`` is missing."""
        nodes, parents = self.nodes, self.parents
        for k, arg in self.knowns:
            if vals[arg] is not None:
                continue
            j = k
            while j > c:  # is k inside c? (children come after their parent)
                j = parents[j]
            if j != c:
                continue
            given = nodes[c]  # giving the path makes every known(path) inside c true at once
            for k2, arg2 in self.knowns:
                if nodes[arg2].name == nodes[arg].name:
                    j = k2
                    while j > c:
                        j = parents[j]
                    if j == c:
                        given = substitute(given, nodes[k2], A.Boolean(True))
            try:
                changed = dsl.evaluate_ast(given, fenv)
            except Exception:  # noqa: BLE001 - the tree walk decides
                raise _Fallback from None
            if changed != vals[c]:
                p = nodes[arg]
                if p.head in self.bound:
                    out.add(labels[p.head] + ("." + p.rest if p.rest else ""))
                else:
                    out.add(p.name)


class _NodeMissing:
    """``dsl.missing`` of one condition from its precompiled
    :class:`_Scope` (the tree walk where that cannot answer)."""

    __slots__ = ("node", "scope")

    def __init__(self, node: A.Node) -> None:
        self.node = node
        self.scope = _Scope(node)

    def missing(self, env: Mapping[str, Any]) -> Tuple[str, ...]:
        out: set = set()
        try:
            self.scope.visit(env, {}, {}, out)
        except _Fallback:
            return dsl.missing(self.node, env)
        except RecursionError:
            return dsl.missing(self.node, env)
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


class _Absent:
    """The value :func:`env_key` puts for a name the environment lacks."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()
_SIMPLE = frozenset({type(None), bool, int, str, datetime.date, _Absent})
_FLOATY = _SIMPLE | {float}


def _exact(v: Any) -> Any:
    """``v`` as a hashable key equal only for values no expression can tell
    apart (type kept: 1, 1.0 and True differ; a float by its hex, so 0.0
    and -0.0 differ; lists and items in order, keys and values), or None
    for a value of another kind."""
    t = type(v)
    if t in _SIMPLE:
        return (t, v)
    if t is float:
        return (t, v.hex())
    if t is list or t is tuple:
        if len(v) > KEY_ITEMS:
            return None
        vals = tuple(v)
        types = tuple(map(type, vals))
        if _SIMPLE.issuperset(types):
            return (t, vals, types)
        out = _exact_all(vals)
        return None if out is None else (t, out)
    if t is dict:
        keys = tuple(v)
        for name in keys:
            if type(name) is not str:
                return None
        vals = tuple(v.values())
        types = tuple(map(type, vals))
        if _SIMPLE.issuperset(types):
            return (t, keys, vals, types)
        out = _exact_all(vals)
        return None if out is None else (t, keys, out)
    return None


def _exact_all(vals: tuple) -> Optional[tuple]:
    """:func:`_exact` of each of ``vals``, or None if one has no key."""
    out = []
    for x in vals:
        k = _exact(x)
        if k is None:
            return None
        out.append(k)
    return tuple(out)


def env_key(env: Mapping[str, Any], names: Tuple[str, ...]) -> Any:
    """A hashable key of what ``env`` holds at ``names`` (absent, or each
    value with its type, lists and items in order, floats exactly): two
    environments with equal keys give every expression reading only
    ``names`` the same value, missing facts and errors.  None when a value
    is of a kind the key does not cover (then do not keep a result)."""
    vals = tuple(map(env.get, names))
    try:
        # marshal writes exactly the core types (bool apart from int, a
        # float by its digits, list apart from tuple, subclasses refused):
        # equal bytes, equal values of equal types; version 0 writes no
        # references and no interning, so equal values write equal bytes
        data = marshal.dumps(vals, 0)
    except ValueError:  # a date, or another kind of value
        pass
    else:
        if len(data) > KEY_BYTES:  # long lists: seldom seen twice, and each key kept would hold them
            return None
        # which names are there, where a None may be absence (no None: all)
        return ("m", data, tuple(map(env.__contains__, names)) if None in vals else ())
    vals = tuple(map(env.get, names, repeat(_ABSENT)))
    types = tuple(map(type, vals))
    if _SIMPLE.issuperset(types):
        return ("s", vals, types)
    if _FLOATY.issuperset(types):
        # floats as they are (equal floats of one type are one value) but
        # for a zero, whose sign 0.0 == -0.0 hides
        for v in vals:
            if v == 0 and type(v) is float:
                break
        else:
            return ("s", vals, types)
    # a simple value stays as it is (its type is in `types`); any other
    # becomes its exact key (a tuple, which no simple value equals)
    out = list(vals)
    for i, t in enumerate(types):
        if t not in _SIMPLE:
            k = _exact(out[i])
            if k is None:
                return None
            out[i] = k
    return ("x", tuple(out), types)


#: results :func:`decision_missing` keeps per plan before it starts afresh
MISSING_MEMO_SIZE = 4096
#: :func:`env_key` makes no key longer than this (bytes), nor of a list
#: longer than this (items): a result is then worked out, not kept
KEY_BYTES = 1024
KEY_ITEMS = 64


class _PlanMissing:
    """Per plan: each table by its output; per condition (a clause's, or a
    decision fact's table), the names its missing facts depend on (its
    reads and, through each table output it reads, that table's rows'
    reads, transitively) and the outputs among them; and the missing facts
    already worked out, keyed by the values at those names.  Entries are
    built whole, then published (threads at worst build one twice)."""

    __slots__ = ("plan", "by_output", "decision", "deps", "memo")

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.by_output = {t.output: t for t in plan.tables}
        self.decision = tuple(plan.decision.values())
        self.deps: Dict[Any, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {}
        self.memo: Dict[Any, Tuple[str, ...]] = {}

    def depends(self, key: Any, nodes) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        got = self.deps.get(key)
        if got is None:
            reads: Dict[str, None] = {}
            outs: Dict[str, None] = {}
            todo = list(nodes)
            while todo:
                n = todo.pop()
                for p in A.fact_paths(n):
                    if p in reads:
                        continue
                    reads[p] = None
                    if p in self.by_output and p not in FINDINGS_FACTS and p not in outs:
                        outs[p] = None
                        todo.extend(c for c in self.by_output[p].conditions if c is not None)
            got = self.deps[key] = (tuple(reads), tuple(outs))
        return got

    def remember(self, key: Any, names: Tuple[str, ...]) -> None:
        if len(self.memo) >= MISSING_MEMO_SIZE:
            self.memo = {}
        self.memo[key] = names


# id(plan) -> _PlanMissing
_PLANS: Dict[int, _PlanMissing] = {}


def _plan_missing(plan: Any) -> _PlanMissing:
    hit = _PLANS.get(id(plan))
    if hit is None or hit.plan is not plan:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        hit = _PLANS[id(plan)] = _PlanMissing(plan)
    return hit


def _by_output(plan: Any) -> Dict[str, Any]:
    """Each table of ``plan`` by its output (built once per plan; read only)."""
    return _plan_missing(plan).by_output


def _absent_known_paths(node: A.Node, env: Mapping[str, Any], was: Any) -> List[str]:
    """The absent paths p of ``known(p)`` calls in ``node`` (outside
    quantifier bodies) whose giving (every ``known(p)`` true) changes
    ``node`` from ``was``."""
    calls: Dict[str, List[A.Node]] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, A.Call) and n.name == "known":
            if n.args and isinstance(n.args[0], A.Path) and n.args[0].name not in env:
                calls.setdefault(n.args[0].name, []).append(n)
        elif isinstance(n, A.Quantifier):
            stack.append(n.source)
        else:
            stack.extend(A.children(n))
    out = []
    for name, ks in sorted(calls.items()):
        given = node
        for k in ks:
            given = substitute(given, k, A.Boolean(True))
        if _value(given, env) != was:
            out.append(name)
    return out


class _Missing:
    """Missing facts of one run; tables are decided again only when asked."""

    def __init__(self, layout: Layout, env: Mapping[str, Any], given: Tuple[str, ...], compiled: bool = True) -> None:
        self.plan = layout.plan
        self.env = env
        self.given = frozenset(given)
        self.compiled = compiled
        self.by_output = _by_output(self.plan)
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
        conds = _table_program(self.plan, t)[0] if self.compiled else t.conditions
        vals = self.row_values(out)
        raw: List[str] = []
        rows = res.unknown_rows if res is not None and res.unknown_rows else range(len(conds))
        for i in rows:
            node = conds[i]
            if node is not None and vals[i] is None:
                raw.extend(node_missing(node, self.env, self.compiled))
        if res is not None and not res.known and not res.unknown_rows:
            # no row unknown, yet no output (no row matched, two true rows):
            # a row reading an absent p through known(p) may change when p
            # is given (SPEC §4: the inputs the derived fact still needs)
            for node, v in zip(conds, vals):
                if node is not None and v is not None:
                    raw.extend(_absent_known_paths(node, self.env, v))
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
    if not compiled:
        m = _Missing(layout, env, result[2], compiled)
    else:
        # each clause's missing facts are a function of the values at the
        # names they depend on (and of which of the outputs among them the
        # input gave): kept per plan by those; the run's tables are decided
        # again (_Missing) only for what is not kept
        m = None
        pm = _plan_missing(layout.plan)
        memo = pm.memo
        given = result[2]
    overall: set = set()
    if not compiled:
        per: List[Tuple[str, ...]] = []
        for c, v in zip(layout.clauses, result[0]):
            if v is None:
                names = m.expand(node_missing(c.condition, env, compiled))
                overall.update(names)
                per.append(names)
            else:
                per.append(())
    else:
        cvals = result[0]
        per = [()] * len(cvals)
        clauses = layout.clauses
        i = -1
        while True:
            try:  # the next undetermined clause (the values are True, False or None)
                i = cvals.index(None, i + 1)
            except ValueError:
                break
            node = clauses[i].condition
            reads, outs = pm.depends(id(node), (node,))
            key = env_key(env, reads)
            if key is not None:
                key = (id(node), tuple([o in given for o in outs]) if given and outs else (), key)
                names = memo.get(key)
                if names is None:
                    if m is None:
                        m = _Missing(layout, env, given, compiled)
                    names = m.expand(node_missing(node, env, compiled))
                    pm.remember(key, names)
            else:
                if m is None:
                    m = _Missing(layout, env, given, compiled)
                names = m.expand(node_missing(node, env, compiled))
            overall.update(names)
            per[i] = names
    decision = pm.decision if compiled else tuple(layout.plan.decision.values())
    for fact in decision:
        if env.get(fact) is None:
            if fact in (pm.by_output if compiled else m.by_output):
                if m is None:
                    m = _Missing(layout, env, given, compiled)
                if compiled:
                    dkey = ("table", fact)
                    got = pm.deps.get(dkey)
                    reads, outs = got if got is not None else pm.depends(
                        dkey, [n for n in pm.by_output[fact].conditions if n is not None])
                    key = env_key(env, reads)
                    if key is not None:
                        key = (dkey, tuple(o in given for o in outs), fact in given, key)
                        names = memo.get(key)
                        if names is None:
                            names = m.table(fact)
                            pm.remember(key, names)
                        overall.update(names)
                        continue
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
