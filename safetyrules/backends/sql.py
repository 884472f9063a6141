"""The plan of one day compiled to one SQL ``SELECT`` (dialects ``duckdb`` and ``spark``).

Compiled from the checked AST of a specialised :class:`~safetyrules.plan.model.Plan`
only, never from rule text: every identifier is quoted and every literal
escaped by the dialect, so nothing written in a rule file reaches the SQL
verbatim.

Unknown is SQL ``NULL``.  SQL's ``AND``/``OR``/``NOT``, comparisons and
``IN (...)`` are already Kleene's logic, so they map one to one; the places
where SQL differs from SPEC §3 are compensated here:

* division by zero gives ``NULL`` (``CASE WHEN b = 0 THEN NULL ...``);
* ``LEAST``/``GREATEST`` skip ``NULL`` in both dialects: guarded;
* Spark's ``size(NULL)`` is ``-1``: guarded;
* list quantifiers count true and unknown items (``list_filter``/``filter``)
  and decide as Kleene's ``any``/``all``; ``sum`` is a left fold from 0, the
  order Python adds in, so float sums agree bit for bit;
* ``CASE WHEN c`` treats ``NULL`` as false, so every hit policy tests
  ``c IS NULL`` explicitly where an unknown row must stop it.

The query is a chain of sub-selects, one per stage (a table's rows, its
output, the clauses, the counts), each adding columns named ``__sr_*``; the
last one picks the result columns of SPEC §9.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from safetyrules.dsl import ast as A
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import FINDINGS_FACTS, Plan, PlanTable

__all__ = ["DIALECTS", "ITEMWISE", "BackendError", "Stages", "compile_select", "compile_stages", "clause_keys", "result_columns",
           "table_order", "collect_order", "side_quantifiers", "side_expressions"]

DIALECTS = ("duckdb", "spark")

#: the result columns after ``entity.id`` (SPEC §9)
RESULT_COLUMNS = ("level", "tier", "inspection", "major_hazard", "findings", "undetermined")


class BackendError(SafetyRulesError):
    """A backend cannot run what was asked (an unknown dialect or backend, a
    missing optional dependency, an expression form it does not support)."""

    code = "E-BACKEND"


def result_columns(with_id: bool) -> Tuple[str, ...]:
    """The result's column names, ``entity.id`` first when present."""
    return (("entity.id",) if with_id else ()) + RESULT_COLUMNS


def collect_order(t: PlanTable) -> List[Any]:
    """The distinct outputs of a ``collect`` table in result order (the
    declared values' order, else sorted as the engine sorts them)."""
    outs = {r.then for r in t.rows}
    if t.output_values is not None:
        return [o for o in t.output_values if o in outs]
    return sorted(outs, key=lambda o: (str(type(o)), o))


def table_order(t: PlanTable) -> List[List[int]]:
    """Row indexes of a ``priority`` table grouped by output rank, best first
    (the engine's rule: the first true row of the best-ranked group wins; an
    unknown row blocks only the groups after its own)."""
    order = list(t.output_values or [])
    rank = {v: k for k, v in enumerate(order)}
    groups: Dict[int, List[int]] = {}
    for i, r in enumerate(t.rows):
        groups.setdefault(rank.get(r.then, len(rank)), []).append(i)
    return [groups[k] for k in sorted(groups)]


#: an ``IN`` list of this many text literals or more may take the dialect's faster form
_LONG_IN = 8


class _Dialect:
    name = "duckdb"

    def ident(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def string(self, value: str) -> str:
        if "\x00" in value:
            raise BackendError("a text literal with a NUL character cannot be written in SQL")
        return "'" + value.replace("'", "''") + "'"

    def field(self, var: str, name: str) -> str:
        return f"{var}.{self.ident(name)}"

    def lam(self, var: str, body: str) -> str:
        return f"lambda {var}: {body}"

    def lam2(self, a: str, b: str, body: str) -> str:
        return f"lambda {a}, {b}: {body}"

    def array(self, items: Sequence[str]) -> str:
        return "[" + ", ".join(items) + "]"

    def empty_strings(self) -> str:
        return "CAST([] AS VARCHAR[])"

    def filter(self, lst: str, var: str, cond: str) -> str:
        return f"list_filter({lst}, {self.lam(var, cond)})"

    def size(self, lst: str) -> str:
        return f"len({lst})"

    def contains(self, lst: str, x: str) -> str:
        return f"list_contains({lst}, {x})"

    def fold(self, lst: str, var: str, body: str, zero: str, op: str, cast: Optional[str] = None) -> str:
        """``zero op body(x1) op body(x2) ...``, a left fold over the list
        (``NULL`` propagates as ``op`` says: ``+`` makes any unknown item
        unknown, ``OR``/``AND`` are Kleene's).  The body is evaluated once
        per item."""
        if cast is not None:
            body = f"CAST({body} AS {cast})"
        return (
            f"list_reduce(list_concat([{zero}], list_transform({lst}, {self.lam(var, body)})), "
            f"{self.lam2('__sr_a', '__sr_b', f'__sr_a {op} __sr_b')})"
        )

    def idiv(self, a: str, b: str) -> str:
        """Integer division of non-negative integers."""
        return f"({a} // {b})"

    def transform(self, lst: str, var: str, body: str) -> str:
        return f"list_transform({lst}, {self.lam(var, body)})"

    def list_max(self, lst: str) -> str:
        return f"list_max({lst})"

    def list_min(self, lst: str) -> str:
        return f"list_min({lst})"

    def pick3(self, code: str) -> str:
        """FALSE, NULL or TRUE for ``code`` 0, 1 or 2 (``code`` evaluated once)."""
        return f"[FALSE, NULL, TRUE][{code} + 1]"

    def in_strings(self, left: str, items: Sequence[str]) -> Optional[str]:
        """``left IN (items)`` for many text literals, if the dialect has a
        faster form (DuckDB: ``list_contains`` of a constant list, 3x faster
        than ``IN`` inside a lambda; ``NULL`` gives ``NULL`` as ``IN`` does)."""
        return f"list_contains({self.array(items)}, {left})"

    def days(self, a: str, b: str) -> str:
        return f"date_diff('day', {a}, {b})"

    def code3(self, c: str, k: int) -> str:
        """1, ``k`` or 0 for a condition true, unknown or false (DuckDB: a
        cast and a ``coalesce``, several times cheaper than a ``CASE``)."""
        return f"coalesce(CAST({c} AS INTEGER), {k})"

    def string_type(self) -> str:
        return "VARCHAR"

    def join(self, lst: str, sep: str) -> str:
        return f"array_to_string({lst}, {self.string(sep)})"


class _Spark(_Dialect):
    name = "spark"

    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def string(self, value: str) -> str:
        if "\x00" in value:
            raise BackendError("a text literal with a NUL character cannot be written in SQL")
        # Spark unescapes backslashes in literals (escapedStringLiterals=false)
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def lam(self, var: str, body: str) -> str:
        return f"{var} -> {body}"

    def lam2(self, a: str, b: str, body: str) -> str:
        return f"({a}, {b}) -> {body}"

    def array(self, items: Sequence[str]) -> str:
        return "array(" + ", ".join(items) + ")"

    def empty_strings(self) -> str:
        return "CAST(array() AS ARRAY<STRING>)"

    def filter(self, lst: str, var: str, cond: str) -> str:
        return f"filter({lst}, {self.lam(var, cond)})"

    def size(self, lst: str) -> str:
        # size(NULL) is -1 unless ANSI mode: keep unknown unknown
        return f"(CASE WHEN {lst} IS NULL THEN NULL ELSE size({lst}) END)"

    def contains(self, lst: str, x: str) -> str:
        return f"array_contains({lst}, {x})"

    def fold(self, lst: str, var: str, body: str, zero: str, op: str, cast: Optional[str] = None) -> str:
        if cast is not None:
            body = f"CAST({body} AS {cast})"
        return (
            f"aggregate(transform({lst}, {self.lam(var, body)}), {zero}, "
            f"{self.lam2('__sr_a', '__sr_b', f'__sr_a {op} __sr_b')})"
        )

    def idiv(self, a: str, b: str) -> str:
        return f"({a} div {b})"

    def transform(self, lst: str, var: str, body: str) -> str:
        return f"transform({lst}, {self.lam(var, body)})"

    def list_max(self, lst: str) -> str:
        return f"array_max({lst})"

    def list_min(self, lst: str) -> str:
        return f"array_min({lst})"

    def pick3(self, code: str) -> str:
        return f"element_at(array(FALSE, NULL, TRUE), {code} + 1)"

    def in_strings(self, left: str, items: Sequence[str]) -> Optional[str]:
        # Spark turns a long IN list into a hash set (InSet) itself
        return None

    def days(self, a: str, b: str) -> str:
        return f"datediff({b}, {a})"

    def code3(self, c: str, k: int) -> str:
        return f"(CASE WHEN {c} THEN 1 WHEN {c} IS NULL THEN {k} ELSE 0 END)"

    def string_type(self) -> str:
        return "STRING"

    def join(self, lst: str, sep: str) -> str:
        return f"array_join({lst}, {self.string(sep)})"


def dialect(name: str) -> _Dialect:
    if name == "duckdb":
        return _Dialect()
    if name == "spark":
        return _Spark()
    raise BackendError(f"unknown SQL dialect '{name}' (choose from {', '.join(DIALECTS)})")


class _Expr:
    """Emits one checked expression as SQL, names resolved through ``env``."""

    def __init__(self, d: _Dialect, env: Dict[str, str]) -> None:
        self.d = d
        self.env = env
        self.n = 0
        #: hoisted sub-expressions (list quantifiers) → the column holding them
        self.subst: Dict[A.Node, str] = {}
        #: ``compile_stages(collect_members=True)``: a ``collect`` table's
        #: output fact → (the given list's SQL or None when it is null,
        #: "a row is unknown", {output: (column "a row giving it holds",
        #: column "it is in the list")})
        self.collects: Dict[str, Tuple[Optional[str], str, Dict[Any, Tuple[str, str]]]] = {}

    def literal(self, v: Any) -> str:
        if v is None:
            return "NULL"
        if v is True:
            return "TRUE"
        if v is False:
            return "FALSE"
        if isinstance(v, int):
            if abs(v) < 2**62:
                return f"CAST({v} AS BIGINT)"
            return f"CAST({self.d.string(repr(float(v)))} AS DOUBLE)"
        if isinstance(v, float):
            if not math.isfinite(v):
                raise BackendError(f"the number {v!r} cannot be written in SQL")
            return f"CAST({self.d.string(repr(v))} AS DOUBLE)"
        if isinstance(v, str):
            return self.d.string(v)
        if isinstance(v, datetime.date):
            return f"DATE {self.d.string(v.isoformat())}"
        if isinstance(v, (list, tuple)):
            return self.d.array([self.literal(x) for x in v]) if v else self.d.empty_strings()
        raise BackendError(f"cannot write the value {v!r} in SQL")

    def emit(self, node: A.Node, bound: Dict[str, str]) -> str:
        if not bound and node in self.subst:
            return self.subst[node]
        m = getattr(self, "_" + type(node).__name__)
        return m(node, bound)

    def _Number(self, node: A.Number, bound) -> str:
        return self.literal(node.value)

    def _String(self, node, bound) -> str:
        return self.d.string(node.value)

    def _Boolean(self, node, bound) -> str:
        return "TRUE" if node.value else "FALSE"

    def _Date(self, node, bound) -> str:
        return self.literal(node.value)

    def _ListLit(self, node: A.ListLit, bound) -> str:
        if not node.items:
            return self.d.empty_strings()
        return self.d.array([self.emit(i, bound) for i in node.items])

    def _Path(self, node: A.Path, bound) -> str:
        if node.head in bound:
            var = bound[node.head]
            return var if node.rest is None else self.d.field(var, node.rest)  # (items of literals have no fields)
        ref = self.env.get(node.name)
        if ref is None:
            raise BackendError(f"fact '{node.name}' has no column")
        return ref

    def _Not(self, node: A.Not, bound) -> str:
        return f"(NOT {self.emit(node.operand, bound)})"

    def _And(self, node: A.And, bound) -> str:
        return "(" + " AND ".join(self.emit(o, bound) for o in node.operands) + ")"

    def _Or(self, node: A.Or, bound) -> str:
        return "(" + " OR ".join(self.emit(o, bound) for o in node.operands) + ")"

    def _Compare(self, node: A.Compare, bound) -> str:
        op = node.op
        left = self.emit(node.left, bound)
        if op in ("in", "not in"):
            if isinstance(node.right, A.ListLit):
                if not node.right.items:
                    inner = f"(CASE WHEN {left} IS NULL THEN NULL ELSE FALSE END)"
                else:
                    items = [self.emit(i, bound) for i in node.right.items]
                    fast = None
                    if len(items) >= _LONG_IN and all(isinstance(i, A.String) for i in node.right.items):
                        fast = self.d.in_strings(left, items)
                    inner = f"({fast})" if fast is not None else f"({left} IN ({', '.join(items)}))"
            elif (isinstance(node.right, A.Path) and node.right.head not in bound
                  and node.right.name in self.collects and isinstance(node.left, A.String)):
                inner = self._member(node.right.name, node.left.value, left)
            else:
                lst = self.emit(node.right, bound)
                inner = (
                    f"(CASE WHEN {lst} IS NULL OR {left} IS NULL THEN NULL "
                    f"ELSE {self.d.contains(lst, left)} END)"
                )
            return inner if op == "in" else f"(NOT {inner})"
        right = self.emit(node.right, bound)
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"({left} {sql_op} {right})"

    def _Arith(self, node: A.Arith, bound) -> str:
        a = self.emit(node.left, bound)
        b = self.emit(node.right, bound)
        if node.op == "/":
            if isinstance(node.right, A.Number) and node.right.value != 0:
                return f"(CAST({a} AS DOUBLE) / {b})"
            # SPEC §3: division by zero is unknown (SQL would raise or give inf)
            return f"(CASE WHEN {b} = 0 THEN NULL ELSE CAST({a} AS DOUBLE) / {b} END)"
        return f"({a} {node.op} {b})"

    def _Neg(self, node: A.Neg, bound) -> str:
        return f"(- {self.emit(node.operand, bound)})"

    def _Call(self, node: A.Call, bound) -> str:
        name = node.name
        if name == "known":
            return f"({self.emit(node.args[0], bound)} IS NOT NULL)"
        args = [self.emit(a, bound) for a in node.args]
        if name == "at_least":
            n, conds = args[0], args[1:]
            t = _sum([f"(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in conds])
            u = _sum([f"(CASE WHEN {c} IS NULL THEN 1 ELSE 0 END)" for c in conds])
            return (
                f"(CASE WHEN {n} IS NULL THEN NULL WHEN ({t}) >= {n} THEN TRUE "
                f"WHEN ({t}) + ({u}) < {n} THEN FALSE ELSE NULL END)"
            )
        if name in ("min", "max"):
            # LEAST/GREATEST skip NULL; SPEC: unknown if any argument is
            fn = "LEAST" if name == "min" else "GREATEST"
            if len(args) == 1:
                return args[0]
            guard = " OR ".join(f"{a} IS NULL" for a in args)
            return f"(CASE WHEN {guard} THEN NULL ELSE {fn}({', '.join(args)}) END)"
        if name == "abs":
            return f"ABS({args[0]})"
        if name == "len":
            return self.d.size(args[0])
        if name == "days":
            return self.d.days(args[0], args[1])
        raise BackendError(f"function '{name}' has no SQL form")  # pragma: no cover

    def _unrolled(self, node: A.Quantifier, bound) -> str:
        """A quantifier over a list literal, unrolled: the body once per item
        (its value bound to the variable), Kleene-combined as SPEC §3 says."""
        bodies = []
        for item in node.source.items:
            inner = dict(bound)
            inner[node.var] = f"({self.emit(item, bound)})"
            bodies.append(f"({self.emit(node.body, inner)})")
        kind = node.kind
        if kind == "any":
            return "(" + " OR ".join(bodies) + ")" if bodies else "FALSE"
        if kind == "all":
            return "(" + " AND ".join(bodies) + ")" if bodies else "TRUE"
        if not bodies:
            return "CAST(0 AS BIGINT)"
        # ``+`` propagates NULL: one unknown item makes the count or sum unknown
        if kind == "count":
            return "(" + " + ".join(f"CAST({b} AS BIGINT)" for b in bodies) + ")"
        total = "0"
        for b in bodies:  # Python's left-to-right order
            total = f"({total} + {b})"
        return total

    def _member(self, fact: str, value: str, left: str) -> str:
        """``value in fact`` for a ``collect`` table's output (``collects``):
        its membership column, without building the list."""
        given, unknown, outs = self.collects[fact]
        if value in outs:
            return outs[value][1]
        own = f"(CASE WHEN {unknown} THEN NULL ELSE FALSE END)"
        if given is None:
            return own
        return f"(CASE WHEN {given} IS NOT NULL THEN {self.d.contains(given, left)} ELSE {own} END)"

    def _over_collect(self, node: A.Quantifier) -> Optional[str]:
        """``any``/``all`` over a ``collect`` table's output whose body reads
        only the item: the Kleene ``or`` (``and``) of the body of each
        output the table's rows give (the list holds exactly those, once
        each, when no row is unknown; unknown when one is; the given list,
        when there is one, as the quantifier reads it)."""
        src = node.source
        if node.kind not in ("any", "all") or not isinstance(src, A.Path) or src.name not in self.collects:
            return None
        if any(p != node.var for p in A.fact_paths(node.body)):
            return None
        given, unknown, outs = self.collects[src.name]
        parts = []
        for o, (has, _) in outs.items():
            body = self.emit(node.body, {node.var: f"({self.literal(o)})"})
            parts.append(f"({has} AND {body})" if node.kind == "any" else f"((NOT {has}) OR {body})")
        if node.kind == "any":
            own = "(" + " OR ".join(parts) + ")" if parts else "FALSE"
        else:
            own = "(" + " AND ".join(parts) + ")" if parts else "TRUE"
        out = f"WHEN {unknown} THEN NULL ELSE {own}"
        if given is not None:
            saved = self.collects.pop(src.name)
            ref = self.env[src.name]
            self.env[src.name] = given
            try:
                on_given = self._Quantifier(node, {})
            finally:
                self.env[src.name] = ref
                self.collects[src.name] = saved
            out = f"WHEN {given} IS NOT NULL THEN {on_given} " + out
        return f"(CASE {out} END)"

    def _Quantifier(self, node: A.Quantifier, bound) -> str:
        if isinstance(node.source, A.ListLit):
            return self._unrolled(node, bound)
        if not bound and self.collects:
            rewritten = self._over_collect(node)
            if rewritten is not None:
                return rewritten
        lst = self.emit(node.source, bound)
        self.n += 1
        var = f"__sr_v{self.n}"
        inner = dict(bound)
        inner[node.var] = var
        body = self.emit(node.body, inner)
        d = self.d
        # the body is evaluated once per item.  ``sum`` and ``count``: a left
        # fold of ``+`` (one unknown item makes it unknown)
        if node.kind == "sum":
            integer = bool(getattr(node.ty, "integer", False))
            zero, cast = ("CAST(0 AS BIGINT)", "BIGINT") if integer else ("CAST(0 AS DOUBLE)", "DOUBLE")
            folded = d.fold(lst, var, body, zero, "+", cast if d.name == "spark" else None)
        elif node.kind == "count":
            folded = d.fold(lst, var, body, "CAST(0 AS BIGINT)", "+", "BIGINT")
        else:
            # each item's body as 2 (true), 1 (unknown) or 0 (false), once:
            # the largest decides ``any`` and the smallest ``all`` (Kleene);
            # an empty list has none (``any`` false, ``all`` true)
            code = f"coalesce(CAST({body} AS INTEGER) * 2, 1)"
            if node.kind == "any":
                folded = d.pick3(f"coalesce({d.list_max(d.transform(lst, var, code))}, 0)")
            else:
                folded = d.pick3(f"coalesce({d.list_min(d.transform(lst, var, code))}, 2)")
        # (a NULL list folds as an empty one: keep unknown unknown)
        return f"(CASE WHEN {lst} IS NULL THEN NULL ELSE {folded} END)"


def _decision_text(plan: Plan, d: "_Dialect", fact: str, ref: str) -> str:
    """A decision fact's column as the text of ``rules.evaluate``'s value
    (``str``, as the python backend writes it).  A ``collect`` table's list
    is ``['a', 'b']`` there; ``CAST`` writes ``[a, b]``: each item is written
    as Python's ``repr`` of its text, a literal per possible value."""
    collect = [t for t in plan.tables if t.output == fact and t.hit == "collect"]
    if collect:
        spec = plan.facts.get(fact)
        values = list(collect_order(collect[0]))
        values += [v for v in (getattr(spec, "values", None) or ()) if v not in values]
        if values and all(isinstance(v, str) for v in values):
            cases = " ".join(f"WHEN {d.string(v)} THEN {d.string(repr(v))}" for v in values)
            items = d.transform(ref, "__sr_v", f"CASE __sr_v {cases} END")
            return f"(CASE WHEN {ref} IS NULL THEN NULL ELSE '[' || {d.join(items, ', ')} || ']' END)"
    return f"CAST({ref} AS {d.string_type()})"


def outer_quantifiers(nodes) -> List[A.Node]:
    """The distinct list quantifiers (not over a list literal, not inside
    another quantifier) of ``nodes``, in first-use order: computed once each
    (a rule set repeats them across rows and clauses)."""
    seen: Dict[A.Node, None] = {}
    none: frozenset = frozenset()
    stack = [(n, none) for n in reversed([n for n in nodes if n is not None])]
    while stack:
        n, names = stack.pop()
        if isinstance(n, A.Quantifier) and not isinstance(n.source, A.ListLit):
            # one that reads an enclosing list literal's item (``any(v in
            # [1, x]: any(c in l: c.n > v))``) is not a column of its own
            if not names or not any(p.split(".", 1)[0] in names for p in A.fact_paths(n)):
                seen.setdefault(n, None)
                continue
        inner = names | {n.var} if isinstance(n, A.Quantifier) else names
        kids = A.children(n)
        stack.extend((k, inner if isinstance(n, A.Quantifier) and k is n.body else names) for k in reversed(kids))
    return list(seen)


def _hit(t: PlanTable, rows: List[str], ex: _Expr) -> str:
    """The SQL of a table's output from its row-condition columns (SPEC §4)."""
    lit = ex.literal
    default = lit(t.default) if t.has_default else "NULL"
    if t.hit == "collect":
        if not rows:
            return ex.d.empty_strings()
        anyunknown = " OR ".join(f"{r} IS NULL" for r in rows)
        items = []
        for o in collect_order(t):
            conds = " OR ".join(rows[i] for i, row in enumerate(t.rows) if row.then == o)
            items.append(f"CASE WHEN {conds} THEN {lit(o)} END")
        filtered = ex.d.filter(ex.d.array(items), "__sr_o", "__sr_o IS NOT NULL")
        return f"(CASE WHEN {anyunknown} THEN NULL ELSE {filtered} END)"
    if not rows:
        return default
    if t.hit == "first":
        parts = [f"WHEN {r} THEN {lit(row.then)} WHEN {r} IS NULL THEN NULL" for r, row in zip(rows, t.rows)]
        return f"(CASE {' '.join(parts)} ELSE {default} END)"
    if t.hit == "unique":
        t_n = " + ".join(f"(CASE WHEN {r} THEN 1 ELSE 0 END)" for r in rows)
        u_any = " OR ".join(f"{r} IS NULL" for r in rows)
        pick = " ".join(f"WHEN {r} THEN {lit(row.then)}" for r, row in zip(rows, t.rows))
        return (
            f"(CASE WHEN ({t_n}) > 1 THEN NULL WHEN {u_any} THEN NULL "
            f"WHEN ({t_n}) = 1 THEN (CASE {pick} END) ELSE {default} END)"
        )
    # priority
    parts = []
    for group in table_order(t):
        anytrue = " OR ".join(rows[i] for i in group)
        pick = " ".join(f"WHEN {rows[i]} THEN {lit(t.rows[i].then)}" for i in group)
        anynull = " OR ".join(f"{rows[i]} IS NULL" for i in group)
        parts.append(f"WHEN {anytrue} THEN (CASE {pick} END) WHEN {anynull} THEN NULL")
    return f"(CASE {' '.join(parts)} ELSE {default} END)"


def clause_keys(plan: Plan) -> List[str]:
    """``standard:clause`` of every clause of the plan, sorted (result order)."""
    return sorted(c.key for c in plan.clauses)


class Stages:
    """The query of :func:`compile_select` in parts: ``layers`` are the
    column lists each stage adds (``expr AS "__sr_..."``) over all columns
    before it; ``final`` the result's select list; ``order_by`` a column or
    None.  :func:`compile_select` nests them into one ``SELECT``; the Spark
    backend applies them stage by stage (its analyser is slow on one deep
    query)."""

    __slots__ = ("dialect", "table", "layers", "final", "order_by", "joins", "apart", "atoms", "constants")

    def __init__(self, d: "_Dialect", table: str, layers: List[List[str]], final: List[str],
                 order_by: Optional[str], joins: Sequence[str] = ()) -> None:
        self.dialect = d
        self.table = table
        self.layers = layers
        self.final = final
        self.order_by = order_by
        #: ``LEFT JOIN ... ON ...`` clauses of the first sub-select (``split_lists``)
        self.joins = list(joins)
        #: ``compile_stages(counts_apart=...)``: (first, carry, second)
        self.apart: Optional[Tuple["Stages", List[str], "Stages"]] = None
        #: ``compile_stages(atoms=...)``: each clause's condition over the atoms
        self.atoms: Optional[List[Any]] = None
        #: with ``atoms``: the select list of the ``("const", name)`` atoms (no table)
        self.constants: List[str] = []

    def sql(self) -> str:
        """One ``SELECT``: the layers as nested sub-selects."""
        q = self.dialect.ident
        sql = f"SELECT * FROM {q(self.table)}"
        if self.joins:
            sql += f" AS {q('__sr_base')} " + " ".join(self.joins)
        for n, cols in enumerate(self.layers):
            sql = f"SELECT *, {', '.join(cols)} FROM ({sql}) AS {q(f'__sr_l{n}')}"
        sql = f"SELECT {', '.join(self.final)} FROM ({sql}) AS {q('__sr_final')}"
        if self.order_by is not None:
            sql += f" ORDER BY {q(self.order_by)}"
        return sql


def compile_stages(
    plan: Plan,
    dialect_name: str = "duckdb",
    table: str = "facts",
    *,
    with_id: Optional[bool] = None,
    passthrough: Sequence[str] = (),
    order_by: Optional[str] = None,
    clause_columns: bool = False,
    inline_rows: Optional[bool] = None,
    split_lists: Sequence[Sequence[str]] = (),
    row_key: Optional[str] = None,
    precomputed: Optional[Mapping[A.Node, str]] = None,
    counts_apart: Optional[str] = None,
    null_facts: Optional[Mapping[str, str]] = None,
    collect_members: bool = False,
    atoms: Optional[Sequence[str]] = None,
) -> Stages:
    """The stages of one ``SELECT`` computing the SPEC §9 result columns from ``table``.

    ``plan`` should be specialised to the day (``plan.specialise(as_of)``);
    its ``as_of`` is the value of the builtin ``as_of`` fact.  The input has a
    column for every declared input fact.  ``with_id`` (default: the
    vocabulary declares ``entity.id``) puts ``entity.id`` first;
    ``passthrough`` columns are kept after the result columns and
    ``order_by`` orders by one of them (both for the backends' bookkeeping).
    With ``clause_columns`` the ``findings``/``undetermined`` lists are
    replaced by one boolean column per clause, in :func:`clause_keys` order
    (the caller builds the lists, vectorised: see ``engine.table``).

    ``split_lists`` (with ``row_key``, a passthrough column numbering the
    rows): groups of list facts whose quantifiers are computed apart, over
    only the rows where one of the group's lists is known, packed densely
    (sorted by ``row_key``) and joined back on ``row_key``.  DuckDB runs a
    lambda's body per batch of rows, and a body costs about the same for a
    batch of 2,048 rows as for one with 50 known lists among them: for
    lists most entities lack (a sector's), packing their rows saves most of
    that.  The values are the same (the same expressions, the same items).

    ``precomputed`` maps list quantifiers (of :func:`side_quantifiers`) to
    the input column already holding their values (see
    ``backends.duckdb_backend``): the query reads the column instead.

    ``counts_apart`` (a table name; with ``clause_columns``): also the
    query in two, as ``.apart = (first, carry, second)``: ``first`` computes
    everything up to the clause columns (``__sr_k{i}``) and the columns
    ``carry`` (names) that the rest reads; ``second``, over the table
    ``counts_apart`` (those columns and the four counts
    ``__sr_findings.major``, ``__sr_findings.general``,
    ``__sr_findings.undetermined``, ``__sr_findings.major_undetermined``
    as BIGINT, made by the caller from the clause columns), computes the
    tables after the clauses and the decision columns.  The counts' sums
    over every clause cost DuckDB about as much as the clauses themselves.

    ``null_facts`` maps input facts whose column is null in every row of
    the table to their SQL type: the query reads a typed ``NULL`` constant
    for them, the same value, which DuckDB computes once per batch of rows
    instead of once per row.

    ``collect_members``: a ``collect`` table whose outputs are all text
    gets, beside its list, a column per output ("in the list": the given
    list's membership when there is one, else unknown if a row is, else
    whether a row giving it holds); ``'text' in L`` reads that column and
    ``any``/``all`` over ``L`` with a body reading only the item are the
    ``or``/``and`` of the body of each output (see ``_Expr._over_collect``),
    so the list is not built for them (the same values: the list holds
    each output a true row gives, once).  ``null_facts`` may name the
    table's output with type ``VARCHAR[]``: its given list is null.

    ``atoms`` (names of boolean columns of ``table`` the caller can read
    itself; with ``counts_apart``): the first query stops before the
    clauses and gives, instead of the clause columns, the columns of their
    atoms (``__sr_z{i}``: each distinct condition under the clauses'
    ``and``/``or``/``not`` that is not one of those columns, nor a
    literal); ``.atoms`` is each clause's condition over them
    (:func:`_atom_programs`), which the caller combines with Kleene's
    logic, and ``.constants`` the atoms reading only all-null facts
    (``null_facts``), for a ``SELECT`` without a table.
    """
    d = dialect(dialect_name)
    if inline_rows is None:
        # Spark's analyser is slow on many stacked projections with hundreds
        # of columns: its row conditions go inline into each table's CASE
        inline_rows = d.name == "spark"
    if plan.as_of is None:
        raise BackendError("compile a plan specialised to one day (Plan.specialise(as_of))")
    q = d.ident
    env: Dict[str, str] = {name: q(name) for name in plan.input_facts()}
    for name, sql_type in (null_facts or {}).items():
        if name in env:
            env[name] = f"CAST(NULL AS {sql_type})"
    if inline_rows:
        collect_members = False
    ex = _Expr(d, env)
    env["as_of"] = ex.literal(plan.as_of)
    layers: List[List[str]] = []
    if precomputed:
        ex.subst.update((node, q(name)) for node, name in precomputed.items())

    def layer(cols: List[str]) -> None:
        if cols:
            layers.append(cols)

    joins: List[str] = []
    if split_lists:
        if row_key is None:
            raise BackendError("split_lists needs row_key, a column numbering the rows")
        _split(plan, ex, split_lists, row_key, table, joins)

    def hoist(nodes) -> None:
        """A layer computing each distinct quantifier of ``nodes`` once.  An
        entry stays valid later: the facts it reads keep their columns."""
        cols = []
        for node in outer_quantifiers(nodes):
            if node in ex.subst:
                continue
            name = q(f"__sr_q{len(layers)}_{len(cols)}")
            cols.append(f"{ex.emit(node, {})} AS {name}")
            ex.subst[node] = name
        layer(cols)

    def waves(tables, base: int):
        """Consecutive tables that read none of each other's outputs, as one
        wave: their quantifiers, rows and outputs share layers (fewer
        stacked projections to plan; the plan's order is topological)."""
        wave: List[Tuple[int, PlanTable]] = []
        outs: set = set()
        for k, t in enumerate(tables, base):
            reads = {p for node in t.conditions if node is not None for p in A.fact_paths(node)}
            if wave and reads & outs:
                yield wave
                wave, outs = [], set()
            wave.append((k, t))
            outs.add(t.output)
        if wave:
            yield wave

    def run_tables(tables, base: int) -> None:
        for wave in waves(tables, base):
            hoist([r.when.node for _, t in wave for r in t.rows if r.when is not None])
            row_cols = []
            out_cols = []
            member_cols: List[str] = []
            collects: Dict[str, Any] = {}
            for k, t in wave:
                refs = []
                for i, r in enumerate(t.rows):
                    if r.when is None:  # pragma: no cover - a plan with errors does not load
                        raise BackendError(f"table '{t.id}' has a row that did not check")
                    name = f"__sr_t{k}_r{i}"
                    if inline_rows:
                        refs.append(ex.emit(r.when.node, {}))
                    else:
                        row_cols.append(f"{ex.emit(r.when.node, {})} AS {q(name)}")
                        refs.append(q(name))
                out = _hit(t, refs, ex)
                given = q(t.output)
                # SPEC §4: a fact given in the input wins over its table
                spec = plan.facts.get(t.output)
                scalar = t.hit == "collect" and (spec is None or spec.type != "list")
                if scalar:
                    # a collect table derives a list; a scalar-declared column cannot hold one
                    out_cols.append(f"{out} AS {q(f'__sr_d{k}')}")
                else:
                    out_cols.append(f"COALESCE({given}, {out}) AS {q(f'__sr_d{k}')}")
                if collect_members and t.hit == "collect" and t.rows and \
                        all(isinstance(o, str) for o in collect_order(t)):
                    given_sql = None if scalar or env.get(t.output) != given else given
                    unknown = q(f"__sr_d{k}_u")
                    out_cols.append(f"({' OR '.join(f'{r} IS NULL' for r in refs)}) AS {unknown}")
                    outs: Dict[Any, Tuple[str, str]] = {}
                    for m, o in enumerate(collect_order(t)):
                        has, member = q(f"__sr_d{k}_h{m}"), q(f"__sr_d{k}_m{m}")
                        conds = " OR ".join(refs[i] for i, row in enumerate(t.rows) if row.then == o)
                        out_cols.append(f"({conds}) AS {has}")
                        own = f"CASE WHEN {unknown} THEN NULL ELSE {has} END"
                        if given_sql is not None:
                            own = f"CASE WHEN {given_sql} IS NOT NULL THEN {d.contains(given_sql, ex.literal(o))} ELSE ({own}) END"
                        member_cols.append(f"({own}) AS {member}")
                        outs[o] = (has, member)
                    collects[t.output] = (given_sql, unknown, outs)
            layer(row_cols)
            layer(out_cols)
            layer(member_cols)
            member_cols = []
            ex.collects.update(collects)
            collects.clear()
            for k, t in wave:
                env[t.output] = q(f"__sr_d{k}")

    run_tables(plan.tables_before, 0)
    clauses = plan.clauses
    # each standard's applies_when once (a column), conjoined with its
    # clauses' own conditions: Kleene ``and`` is associative, so this is
    # ``c.condition`` exactly
    applies: Dict[Any, str] = {}
    hoist([c.applies.node for c in clauses if c.applies is not None] + [c.own_condition for c in clauses])
    clause_refs = []
    programs: Optional[List[Any]] = None
    if atoms is not None:
        if counts_apart is None:
            raise BackendError("atoms needs counts_apart")
        programs, zcols, constants = _atom_programs(plan, ex, atoms, precomputed or {})
        znames = [c.rsplit(" AS ", 1)[1] for c in zcols]
        layer(zcols)
        clause_refs = [f"{q(f'__sr_c{j}')}" for j in range(len(clauses))]  # (not computed: see atoms)
    else:
        cols = []
        for c in clauses:
            if c.applies is not None and c.applies.node not in applies:
                applies[c.applies.node] = q(f"__sr_a{len(applies)}")
                cols.append(f"{ex.emit(c.applies.node, {})} AS {applies[c.applies.node]}")
        layer(cols)
        cols = []
        for j, c in enumerate(clauses):
            name = f"__sr_c{j}"
            own = ex.emit(c.own_condition, {})
            cond = f"({applies[c.applies.node]} AND {own})" if c.applies is not None else own
            cols.append(f"{cond} AS {q(name)}")
            clause_refs.append(q(name))
        layer(cols)
    cut = len(layers)

    major = [(r, c) for r, c in zip(clause_refs, clauses) if c.severity == "major"]
    general = [(r, c) for r, c in zip(clause_refs, clauses) if c.severity != "major"]

    # one sum per severity codes each clause as 1 (found), k (undetermined)
    # or 0, with k above the number of clauses: the four counts are its
    # remainder and quotient by k (one CASE per clause, not three)
    k = len(clauses) + 1

    def coded(pairs) -> str:
        if not pairs:
            return "CAST(0 AS BIGINT)"
        terms = " + ".join(d.code3(r, k) for r, _ in pairs)
        return f"CAST(({terms}) AS BIGINT)"

    sm, sg = q("__sr_sum_major"), q("__sr_sum_general")
    layer([f"{coded(major)} AS {sm}", f"{coded(general)} AS {sg}"])
    counts = {
        "findings.major": f"({sm} % {k})",
        "findings.general": f"({sg} % {k})",
        "findings.undetermined": f"({d.idiv(sm, str(k))} + {d.idiv(sg, str(k))})",
        "findings.major_undetermined": d.idiv(sm, str(k)),
    }
    layer([f"{sql} AS {q('__sr_' + name)}" for name, sql in counts.items()])
    for name in FINDINGS_FACTS:
        env[name] = q("__sr_" + name)
    resume = len(layers)
    run_tables(plan.tables_after, len(plan.tables_before))

    def keys(test) -> str:
        pairs = sorted((c.key, r) for r, c in zip(clause_refs, clauses))
        if not pairs:
            return d.empty_strings()
        items = [f"CASE WHEN {test(r)} THEN {d.string(k)} END" for k, r in pairs]
        return d.filter(d.array(items), "__sr_k", "__sr_k IS NOT NULL")

    final = []
    if with_id is None:
        with_id = "entity.id" in plan.facts
    if with_id:
        final.append(f"{env.get('entity.id', q('entity.id'))} AS {q('entity.id')}")
    for key in ("level", "tier", "inspection"):
        fact = plan.decision.get(key)
        ref = env.get(fact) if fact is not None else None
        if ref is None:
            final.append(f"CAST(NULL AS {d.string_type()}) AS {q(key)}")
        else:
            final.append(f"{_decision_text(plan, d, fact, ref)} AS {q(key)}")
    nmaj, nmaj_u = env["findings.major"], env["findings.major_undetermined"]
    final.append(
        f"(CASE WHEN {nmaj} > 0 THEN TRUE WHEN {nmaj_u} > 0 THEN NULL ELSE FALSE END) AS {q('major_hazard')}"
    )
    if clause_columns:
        by_key = {c.key: r for r, c in zip(clause_refs, clauses)}
        clause_cols = [f"{by_key[k]} AS {q(f'__sr_k{i}')}" for i, k in enumerate(clause_keys(plan))]
        final.extend(clause_cols)
    else:
        final.append(f"{keys(lambda r: r)} AS {q('findings')}")
        final.append(f"{keys(lambda r: f'{r} IS NULL')} AS {q('undetermined')}")
    final.extend(q(p) for p in passthrough)

    if counts_apart is not None:
        if not clause_columns or joins or order_by is not None:
            raise BackendError("counts_apart needs clause_columns, no split_lists and no order_by")
        # the first query: up to the clauses; the second: the tables after
        # them, over the first's result and the counts (the four
        # ``__sr_findings.*`` columns, given by the caller)
        final2 = [f for f in final if f not in clause_cols]
        later = " ".join(c for cols in layers[resume:] for c in cols) + " " + " ".join(final2)
        made = [c.rsplit(" AS ", 1)[1] for cols in layers[:cut] for c in cols]
        given = {q("__sr_" + name) for name in FINDINGS_FACTS}
        # every column the first query has that the second reads (quoted names
        # do not match inside each other: the quotes are part of the match)
        available = dict.fromkeys([q(name) for name in plan.input_facts()] + [q(p) for p in passthrough]
                                  + [q(name) for name in (precomputed or {}).values()] + made)
        carry = [c for c in available if c not in given and c in later]
        # (with atoms: the atoms the caller combines, instead of the clause columns)
        first = Stages(d, table, layers[:cut], (znames if programs is not None else clause_cols) + carry, None)
        second = Stages(d, counts_apart, layers[resume:], final2, None)
        counts_apart_out = (first, [c[1:-1].replace('""', '"') for c in carry], second)
    stages = Stages(d, table, layers, final, order_by, joins)
    stages.apart = counts_apart_out if counts_apart is not None else None
    stages.atoms = programs
    stages.constants = constants if programs is not None else []
    return stages


def _atom_programs(plan: Plan, ex: _Expr, inputs: Sequence[str], precomputed: Mapping[A.Node, str]):
    """The clause conditions as Kleene ``and``/``or``/``not`` over atoms
    (``compile_stages(atoms=...)``) → (per clause in plan order, its
    condition, ``applies_when and own condition``, as a program; the
    select list of the atoms the query computes).

    A program is a nested tuple: ``("and", (p, ...))``, ``("or", (p,
    ...))``, ``("not", p)``, ``("const", bool)``, ``("input", column)``
    (a boolean column of the input table: a fact of ``inputs`` read as
    it is, or a ``precomputed`` quantifier's), ``("zconst", name)`` (a
    condition that reads only facts null in every row, and literals: the
    same in every row, computed once, by the third list, a ``SELECT``
    without a table) or ``("col", column)`` (a boolean column of the
    query's result: every other condition, each distinct one once)."""
    q = ex.d.ident
    inputs = set(inputs)
    cols: List[str] = []
    constants: List[str] = []
    made: Dict[A.Node, Any] = {}
    null_bool = "CAST(NULL AS BOOLEAN)"

    def constant(node: A.Node) -> bool:
        paths = [p for p in A.fact_paths(node) if p != "as_of"]
        if not paths or not all(ex.env.get(p, "").startswith("CAST(NULL AS ") for p in paths):
            return False
        return not any(n in ex.subst or (isinstance(n, A.Quantifier) and not isinstance(n.source, A.ListLit))
                       or (isinstance(n, A.Path) and n.name in ex.collects) for n in A.walk(node))

    def prog(node: A.Node):
        if isinstance(node, A.And):
            return ("and", tuple(prog(o) for o in node.operands))
        if isinstance(node, A.Or):
            return ("or", tuple(prog(o) for o in node.operands))
        if isinstance(node, A.Not):
            return ("not", prog(node.operand))
        if isinstance(node, A.Boolean):
            return ("const", bool(node.value))
        if node in precomputed and precomputed[node] in inputs:
            return ("input", precomputed[node])
        if isinstance(node, A.Path) and node.name in inputs and ex.env.get(node.name) in (q(node.name), null_bool):
            return ("input", node.name)
        got = made.get(node)
        if got is None:
            name = f"__sr_z{len(made)}"
            if constant(node):
                got = ("zconst", name)
                constants.append(f"{ex.emit(node, {})} AS {q(name)}")
            else:
                got = ("col", name)
                cols.append(f"{ex.emit(node, {})} AS {q(name)}")
            made[node] = got
        return got

    programs = []
    for c in plan.clauses:
        own = prog(c.own_condition)
        programs.append(("and", (prog(c.applies.node), own)) if c.applies is not None else own)
    return programs, cols, constants


def _plan_nodes(plan: Plan) -> List[A.Node]:
    """Every condition of the plan (tables' rows, standards, clauses)."""
    nodes: List[A.Node] = []
    for t in list(plan.tables_before) + list(plan.tables_after):
        nodes.extend(r.when.node for r in t.rows if r.when is not None)
    for c in plan.clauses:
        if c.applies is not None:
            nodes.append(c.applies.node)
        nodes.append(c.own_condition)
    return nodes


#: the SQL text of a group's quantifiers below which they stay inline (``split_lists``)
_SPLIT_MIN = 800


def _split(plan: Plan, ex: _Expr, groups: Sequence[Sequence[str]], row_key: str, table: str,
           joins: List[str]) -> None:
    """The quantifiers over the lists of each group of ``groups`` computed
    in a sub-select of the rows where one of them is known (see
    :func:`compile_stages`), joined on ``row_key``; ``ex.subst`` maps each
    to its joined column (a row left out has all the group's lists unknown,
    so each of its quantifiers is unknown, as the join gives).  Only
    quantifiers reading input columns alone (no table's output, no count of
    findings) qualify: the sub-select sees the input table only."""
    q = ex.d.ident
    raw = set(plan.input_facts()) - set(plan.outputs) - set(FINDINGS_FACTS)
    group_of = {name: k for k, names in enumerate(groups) for name in names}
    found: Dict[int, List[A.Node]] = {}
    for node in outer_quantifiers(_plan_nodes(plan)):
        src = node.source
        if not isinstance(src, A.Path) or src.name not in group_of or src.name not in raw:
            continue
        if all(p in raw or p == "as_of" for p in A.fact_paths(node)):
            found.setdefault(group_of[src.name], []).append(node)
    for g in sorted(found):
        nodes = found[g]
        alias, key = q(f"__sr_g{g}"), q(f"__sr_g{g}_row")
        reads: Dict[str, None] = {row_key: None}
        lists: Dict[str, None] = {}
        cols = []
        for i, node in enumerate(nodes):
            lists[node.source.name] = None
            reads.update(dict.fromkeys(p for p in A.fact_paths(node) if p != "as_of"))
            cols.append(f"{ex.emit(node, {})} AS {q(f'__sr_g{g}_{i}')}")
        if sum(map(len, cols)) < _SPLIT_MIN:
            continue  # (light bodies cost less inline than the sort and the join)
        ex.subst.update((node, q(f"__sr_g{g}_{i}")) for i, node in enumerate(nodes))
        known = " OR ".join(f"{q(name)} IS NOT NULL" for name in lists)
        packed = f"SELECT {', '.join(q(r) for r in reads)} FROM {q(table)} WHERE {known} ORDER BY {q(row_key)}"
        joins.append(
            f"LEFT JOIN (SELECT {q(row_key)} AS {key}, {', '.join(cols)} FROM ({packed}) AS {q(f'__sr_p{g}')}) "
            f"AS {alias} ON {q('__sr_base')}.{q(row_key)} = {alias}.{key}"
        )


def compile_select(plan: Plan, dialect_name: str = "duckdb", table: str = "facts", **options) -> str:
    """One ``SELECT`` computing the SPEC §9 result columns from ``table``
    (the options of :func:`compile_stages`)."""
    return compile_stages(plan, dialect_name, table, **options).sql()


def side_quantifiers(plan: Plan) -> Dict[str, List[A.Node]]:
    """The list quantifiers over an input list (``any x in L: ...``) that
    read input facts only (no table's output, no count of findings), by the
    list they range over: their values depend on the input row alone, so
    they can be computed apart, before the query (``backends.duckdb_backend``)."""
    raw = set(plan.input_facts()) - set(plan.outputs) - set(FINDINGS_FACTS)
    out: Dict[str, List[A.Node]] = {}
    for node in outer_quantifiers(_plan_nodes(plan)):
        src = node.source
        if not isinstance(src, A.Path) or src.name not in raw:
            continue
        if all(p in raw or p == "as_of" for p in A.fact_paths(node)):
            out.setdefault(src.name, []).append(node)
    return out


#: the kinds of quantifier whose body :func:`side_expressions` can give per item
ITEMWISE = ("any", "all", "count", "sum")


def side_expressions(plan: Plan, nodes: Sequence[A.Node], item: Optional[str] = None) -> List[str]:
    """DuckDB SQL for each quantifier of ``nodes`` (of :func:`side_quantifiers`),
    over a table with the input facts' columns.  Without ``item``: the whole
    quantifier, as :func:`compile_select` writes it.  With ``item`` (the SQL
    of one item of the list, a column of a table of the list's items): the
    item's code as the quantifier's own form computes it, for an
    :data:`ITEMWISE` kind: ``coalesce(CAST(body AS INTEGER) * 2, 1)`` (2
    true, 1 unknown, 0 false: the largest decides ``any``, the smallest
    ``all``) or, for ``count``, ``CAST(body AS BIGINT)`` (summed; unknown if
    an item is) or, for ``sum``, the body as the lambda form adds it
    (``CAST(body AS DOUBLE)``, ``BIGINT`` for an integer sum: added left to
    right from 0, unknown if an item is)."""
    d = dialect("duckdb")
    env: Dict[str, str] = {name: d.ident(name) for name in plan.input_facts()}
    ex = _Expr(d, env)
    env["as_of"] = ex.literal(plan.as_of)
    out = []
    for node in nodes:
        if item is None:
            out.append(ex.emit(node, {}))
            continue
        if node.kind not in ITEMWISE:
            raise BackendError(f"a '{node.kind}' quantifier has no per-item form")
        body = ex.emit(node.body, {node.var: item})
        if node.kind == "sum":
            out.append(f"CAST({body} AS {'BIGINT' if getattr(node.ty, 'integer', False) else 'DOUBLE'})")
        else:
            out.append(f"CAST({body} AS BIGINT)" if node.kind == "count" else f"coalesce(CAST({body} AS INTEGER) * 2, 1)")
    return out


def _sum(terms: List[str]) -> str:
    """``a + b + ...`` of SQL terms; past 64 terms nested as a balanced tree,
    so that its depth grows as log n (DuckDB refuses expressions deeper than
    1000: at_least over 1,200 conditions failed with a ParserException)."""
    if not terms:
        return "0"
    if len(terms) <= 64:
        return " + ".join(terms)

    def tree(lo: int, hi: int) -> str:
        if hi - lo <= 8:
            return "(" + " + ".join(terms[lo:hi]) + ")"
        mid = (lo + hi) // 2
        return f"({tree(lo, mid)} + {tree(mid, hi)})"

    return tree(0, len(terms))
