"""The plan of one day as polars lazy expressions.

Polars is Kleene for ``&``, ``|``, ``~``; comparisons and ``is_in`` with a
null operand give null — so the translation is direct, except where polars
differs from SPEC §3, compensated here as in :mod:`safetyrules.backends.sql`:
division by zero (``inf`` in polars) is null; ``min_horizontal`` skips nulls,
so it is guarded; ``when(c)`` treats null as false, so every hit policy asks
``is_null()`` where an unknown row must stop it; counts add ``fill_null(False)``
flags (``sum_horizontal`` counts null as 0); a list quantifier counts its true
and unknown items with ``list.eval``; ``sum`` is a cumulative sum (Python's
left-to-right order, so float sums agree bit for bit).  A quantifier body
that reads facts outside the list item (polars' ``list.eval`` sees only the
item) is evaluated by the reference evaluator for that one node, row by row
(slow, but exact).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List

from safetyrules.backends.columnar_io import ID_COLUMN, require
from safetyrules.backends.sql import BackendError, clause_keys, collect_order, outer_quantifiers, table_order
from safetyrules.dsl import ast as A
from safetyrules.plan.model import FINDINGS_FACTS, Plan, PlanTable

__all__ = ["compile_polars", "evaluate_polars"]


class _Emit:
    def __init__(self, pl, env: Dict[str, Any]) -> None:
        self.pl = pl
        self.env = env
        #: hoisted list quantifiers → the column holding them
        self.subst: Dict[A.Node, str] = {}

    def lit(self, v: Any):
        pl = self.pl
        if v is None:
            return pl.lit(None)
        if v is True or v is False:
            return pl.lit(v, dtype=pl.Boolean)
        if isinstance(v, int):
            return pl.lit(v, dtype=pl.Int64) if abs(v) < 2**62 else pl.lit(float(v), dtype=pl.Float64)
        if isinstance(v, float):
            return pl.lit(v, dtype=pl.Float64)
        if isinstance(v, str):
            return pl.lit(v, dtype=pl.String)
        if isinstance(v, datetime.date):
            return pl.lit(v, dtype=pl.Date)
        if isinstance(v, (list, tuple)):
            return pl.lit(pl.Series([list(v)], dtype=pl.List(pl.String)))
        raise BackendError(f"cannot write the value {v!r} as a polars literal")

    def null(self, dtype):
        return self.pl.lit(None, dtype=dtype)

    def emit(self, node: A.Node, bound: Dict[str, str]):
        if not bound and node in self.subst:
            return self.pl.col(self.subst[node])
        return getattr(self, "_" + type(node).__name__)(node, bound)

    def _Number(self, node, bound):
        return self.lit(node.value)

    def _String(self, node, bound):
        return self.lit(node.value)

    def _Boolean(self, node, bound):
        return self.lit(node.value)

    def _Date(self, node, bound):
        return self.lit(node.value)

    def _ListLit(self, node: A.ListLit, bound):
        pl = self.pl
        if not node.items:
            return self.lit([])
        return pl.concat_list([self.emit(i, bound) for i in node.items])

    def _Path(self, node: A.Path, bound):
        pl = self.pl
        if node.head in bound:
            b = bound[node.head]
            if not isinstance(b, str):  # an unrolled list literal's item
                return b
            return pl.element() if node.rest is None else pl.element().struct.field(node.rest)
        if bound:
            raise BackendError(
                f"the polars backend cannot read '{node.name}' inside a list quantifier "
                "(use the duckdb or spark backend)"
            )
        ref = self.env.get(node.name)
        if ref is None:
            raise BackendError(f"fact '{node.name}' has no column")
        return pl.col(ref)

    def _Not(self, node, bound):
        return ~self.emit(node.operand, bound)

    def _And(self, node, bound):
        out = None
        for o in node.operands:
            e = self.emit(o, bound)
            out = e if out is None else out & e
        return out

    def _Or(self, node, bound):
        out = None
        for o in node.operands:
            e = self.emit(o, bound)
            out = e if out is None else out | e
        return out

    def _Compare(self, node: A.Compare, bound):
        pl = self.pl
        op = node.op
        left = self.emit(node.left, bound)
        if op in ("in", "not in"):
            r = node.right
            if isinstance(r, A.ListLit):
                if not r.items:
                    inner = pl.when(left.is_null()).then(self.null(pl.Boolean)).otherwise(pl.lit(False))
                elif all(isinstance(i, (A.Number, A.String, A.Boolean, A.Date)) for i in r.items):
                    inner = left.is_in([i.value for i in r.items])
                else:
                    # Kleene ``or`` of equalities is SPEC's membership exactly
                    inner = None
                    for i in r.items:
                        e = left == self.emit(i, bound)
                        inner = e if inner is None else inner | e
            else:
                lst = self.emit(r, bound)
                inner = (
                    pl.when(lst.is_null() | left.is_null())
                    .then(self.null(pl.Boolean))
                    .otherwise(lst.list.contains(left))
                )
            return inner if op == "in" else ~inner
        right = self.emit(node.right, bound)
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right

    def _Arith(self, node: A.Arith, bound):
        pl = self.pl
        a = self.emit(node.left, bound)
        b = self.emit(node.right, bound)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        # division by zero is unknown (polars gives inf)
        return pl.when(b == 0).then(self.null(pl.Float64)).otherwise(a.cast(pl.Float64) / b)

    def _Neg(self, node, bound):
        return -self.emit(node.operand, bound)

    def _Call(self, node: A.Call, bound):
        pl = self.pl
        name = node.name
        args = [self.emit(a, bound) for a in node.args]
        if name == "known":
            return args[0].is_not_null()
        if name == "at_least":
            n, conds = args[0], args[1:]
            t = pl.sum_horizontal([c.fill_null(False).cast(pl.Int64) for c in conds]) if conds else pl.lit(0)
            u = pl.sum_horizontal([c.is_null().cast(pl.Int64) for c in conds]) if conds else pl.lit(0)
            return (
                pl.when(n.is_null())
                .then(self.null(pl.Boolean))
                .when(t >= n)
                .then(pl.lit(True))
                .when(t + u < n)
                .then(pl.lit(False))
                .otherwise(self.null(pl.Boolean))
            )
        if name in ("min", "max"):
            if len(args) == 1:
                return args[0]
            anynull = pl.any_horizontal([a.is_null() for a in args])
            pick = pl.min_horizontal(args) if name == "min" else pl.max_horizontal(args)
            return pl.when(anynull).then(None).otherwise(pick)
        if name == "abs":
            return args[0].abs()
        if name == "len":
            return args[0].list.len().cast(pl.Int64)
        if name == "days":
            return (args[1] - args[0]).dt.total_days()
        raise BackendError(f"function '{name}' has no polars form")  # pragma: no cover

    def _fallback(self, node: A.Quantifier):
        """A quantifier whose body reads facts outside the item (or nests
        another quantifier): polars' ``list.eval`` sees only the item, so
        this one node is evaluated by the reference evaluator, row by row."""
        pl = self.pl
        from safetyrules.dsl.evaluator import evaluate

        names = list(A.fact_paths(node))
        cols = []
        for n in names:
            ref = self.env.get(n)
            if ref is None:
                raise BackendError(f"fact '{n}' has no column")
            cols.append(pl.col(ref).alias(n))
        kind = node.kind
        dtype = pl.Boolean if kind in ("any", "all") else (
            pl.Int64 if kind == "count" or getattr(node.ty, "integer", False) else pl.Float64)

        def one(row):
            v = evaluate(node, {k: v for k, v in row.items() if v is not None})
            return float(v) if dtype == pl.Float64 and v is not None else v

        return pl.struct(cols).map_elements(one, return_dtype=dtype, skip_nulls=False)

    def _unrolled(self, node: A.Quantifier, bound):
        """A quantifier over a list literal, unrolled (as in the SQL backends)."""
        pl = self.pl
        bodies = []
        for item in node.source.items:
            inner = dict(bound)
            inner[node.var] = self.emit(item, bound)
            bodies.append(self.emit(node.body, inner))
        kind = node.kind
        if kind in ("any", "all"):
            if not bodies:
                return pl.lit(kind == "all")
            out = bodies[0]
            for b in bodies[1:]:
                out = (out | b) if kind == "any" else (out & b)
            return out
        dtype = pl.Int64 if kind == "count" or getattr(node.ty, "integer", False) else pl.Float64
        if not bodies:
            return pl.lit(0, dtype=dtype)
        anynull = pl.any_horizontal([b.is_null() for b in bodies])
        if kind == "count":
            total = pl.sum_horizontal([b.fill_null(False).cast(pl.Int64) for b in bodies])
        else:
            total = pl.lit(0, dtype=dtype)
            for b in bodies:  # Python's left-to-right order
                total = total + b
        return pl.when(anynull).then(self.null(dtype)).otherwise(total.cast(dtype))

    def _Quantifier(self, node: A.Quantifier, bound):
        pl = self.pl
        if isinstance(node.source, A.ListLit):
            return self._unrolled(node, bound)
        outer = [p for p in A.fact_paths(node.body) if p.split(".", 1)[0] != node.var]
        nested = any(isinstance(x, A.Quantifier) and not isinstance(x.source, A.ListLit) for x in A.walk(node.body))
        if bound or outer or nested:
            if bound:  # pragma: no cover - the outermost quantifier falls back first
                raise BackendError("the polars backend cannot nest list quantifiers")
            return self._fallback(node)
        lst = self.emit(node.source, bound)
        b = node.body
        if (
            node.kind in ("any", "all")
            and isinstance(b, A.Compare) and b.op in ("in", "not in")
            and isinstance(b.left, A.Path) and b.left.name == node.var
            and isinstance(b.right, A.ListLit) and b.right.items
            and all(isinstance(i, (A.String, A.Number, A.Boolean, A.Date)) for i in b.right.items)
        ):
            # ``any(a in activities: a in [...])`` over a list of values (never
            # null items, checked on input): a set operation, not ``list.eval``
            values = pl.lit(pl.Series([[i.value for i in b.right.items]]))
            hit = lst.list.set_intersection(values).list.len() > 0
            miss = lst.list.set_difference(values).list.len() > 0
            if b.op == "not in":
                hit, miss = miss, hit
            return hit if node.kind == "any" else ~miss
        body = self.emit(node.body, {node.var: "item"})
        unknown = lst.list.eval(body.is_null().cast(pl.Int64)).list.sum()
        if node.kind == "sum":
            dtype = pl.Int64 if getattr(node.ty, "integer", False) else pl.Float64
            total = lst.list.eval(body.cast(dtype).cum_sum()).list.last().fill_null(pl.lit(0, dtype=dtype))
            return pl.when(lst.is_null() | (unknown > 0)).then(self.null(dtype)).otherwise(total)
        true_n = lst.list.eval(body.fill_null(False).cast(pl.Int64)).list.sum()
        nb = self.null(pl.Boolean)
        if node.kind == "any":
            return (
                pl.when(lst.is_null()).then(nb).when(true_n > 0).then(pl.lit(True))
                .when(unknown > 0).then(nb).otherwise(pl.lit(False))
            )
        if node.kind == "all":
            false_n = lst.list.eval((~body).fill_null(False).cast(pl.Int64)).list.sum()
            return (
                pl.when(lst.is_null()).then(nb).when(false_n > 0).then(pl.lit(False))
                .when(unknown > 0).then(nb).otherwise(pl.lit(True))
            )
        return pl.when(lst.is_null() | (unknown > 0)).then(self.null(pl.Int64)).otherwise(true_n)


_SEP = "\x1f"  # the unit separator: never in an enum value written in a rule file


def _hit(pl, t: PlanTable, rows: List[Any], em: _Emit, dtype):
    lit = em.lit
    none = em.null(dtype)
    default = lit(t.default).cast(dtype) if t.has_default else none
    if t.hit == "collect":
        if not rows:
            return lit([])
        anynull = pl.any_horizontal([r.is_null() for r in rows])
        items = []
        for o in collect_order(t):
            cond = None
            for r, row in zip(rows, t.rows):
                if row.then == o:
                    cond = r if cond is None else cond | r
            items.append(pl.when(cond).then(lit(o)))
        outs = collect_order(t)
        if all(isinstance(o, str) and _SEP not in o for o in outs):
            # concat_list is slow (seconds per 100k rows); joined text split
            # back is the same list, in the same order
            text = pl.concat_str([pl.when(i.is_not_null()).then(pl.lit(o + _SEP)) for i, o in zip(items, outs)],
                                 ignore_nulls=True)
            lst = (
                pl.when(text == "").then(lit([]))
                .otherwise(text.str.strip_suffix(_SEP).str.split(_SEP))
            )
            return pl.when(anynull).then(None).otherwise(lst)
        return pl.when(anynull).then(None).otherwise(pl.concat_list(items).list.drop_nulls())
    if not rows:
        return default
    if t.hit == "first":
        chain = None
        for r, row in zip(rows, t.rows):
            step = (pl.when(r) if chain is None else chain.when(r)).then(lit(row.then).cast(dtype))
            chain = step.when(r.is_null()).then(none)
        return chain.otherwise(default)
    if t.hit == "unique":
        t_n = pl.sum_horizontal([r.fill_null(False).cast(pl.Int64) for r in rows])
        anynull = pl.any_horizontal([r.is_null() for r in rows])
        pick = None
        for r, row in zip(rows, t.rows):
            pick = (pl.when(r) if pick is None else pick.when(r)).then(lit(row.then).cast(dtype))
        return (
            pl.when(t_n > 1).then(none).when(anynull).then(none)
            .when(t_n == 1).then(pick.otherwise(none)).otherwise(default)
        )
    chain = None
    for group in table_order(t):
        anytrue = pl.any_horizontal([rows[i].fill_null(False) for i in group])
        pick = None
        for i in group:
            pick = (pl.when(rows[i]) if pick is None else pick.when(rows[i])).then(lit(t.rows[i].then).cast(dtype))
        step = (pl.when(anytrue) if chain is None else chain.when(anytrue)).then(pick.otherwise(none))
        chain = step.when(pl.any_horizontal([rows[i].is_null() for i in group])).then(none)
    return chain.otherwise(default)


def _dtype(pl, spec):
    t = spec.type
    return {
        "bool": pl.Boolean,
        "integer": pl.Int64,
        "number": pl.Float64,
        "string": pl.String,
        "enum": pl.String,
        "date": pl.Date,
    }.get(t, pl.List(pl.String))


def compile_polars(plan: Plan, lf, with_id: bool, clause_columns: bool = False):
    """``lf`` (a LazyFrame with a column per declared input fact) → the
    LazyFrame of the SPEC §9 result columns (with ``clause_columns``, one
    boolean column per clause instead of the two lists, as in
    :func:`safetyrules.backends.sql.compile_select`)."""
    pl = require("polars")
    if plan.as_of is None:
        raise BackendError("compile a plan specialised to one day (Plan.specialise(as_of))")
    env: Dict[str, Any] = {n: n for n in plan.input_facts()}
    em = _Emit(pl, env)
    env_as_of = "__sr_as_of"
    lf = lf.with_columns(pl.lit(plan.as_of, dtype=pl.Date).alias(env_as_of))
    env["as_of"] = env_as_of

    def hoist(nodes):
        """Each distinct list quantifier of ``nodes`` once, as a column."""
        nonlocal lf
        cols = []
        for node in outer_quantifiers(nodes):
            if node in em.subst:
                continue
            name = f"__sr_q{len(em.subst)}"
            cols.append(em.emit(node, {}).alias(name))
            em.subst[node] = name
        if cols:
            lf = lf.with_columns(cols)

    def tables(ts, base):
        nonlocal lf
        for k, t in enumerate(ts, base):
            names = []
            hoist([r.when.node for r in t.rows if r.when is not None])
            cols = []
            for i, r in enumerate(t.rows):
                nm = f"__sr_t{k}_r{i}"
                cols.append(em.emit(r.when.node, {}).alias(nm))
                names.append(pl.col(nm))
            if cols:
                lf = lf.with_columns(cols)
            spec = plan.facts.get(t.output)
            dtype = _dtype(pl, spec) if t.hit != "collect" else pl.List(pl.String)
            out = _hit(pl, t, names, em, dtype)
            nm = f"__sr_d{k}"
            if t.hit == "collect" and (spec is None or spec.type != "list"):
                lf = lf.with_columns(out.alias(nm))
            else:
                lf = lf.with_columns(pl.coalesce([pl.col(t.output).cast(dtype), out]).alias(nm))
            env[t.output] = nm

    tables(plan.tables_before, 0)
    clauses = plan.clauses
    # each standard's applies_when once, as in the SQL backends
    hoist([c.applies.node for c in clauses if c.applies is not None] + [c.own_condition for c in clauses])
    applies: Dict[Any, str] = {}
    acols = []
    for c in clauses:
        if c.applies is not None and c.applies.node not in applies:
            applies[c.applies.node] = f"__sr_a{len(applies)}"
            acols.append(em.emit(c.applies.node, {}).alias(applies[c.applies.node]))
    if acols:
        lf = lf.with_columns(acols)

    def condition(c):
        own = em.emit(c.own_condition, {})
        return pl.col(applies[c.applies.node]) & own if c.applies is not None else own

    ccols = [condition(c).alias(f"__sr_c{j}") for j, c in enumerate(clauses)]
    if ccols:
        lf = lf.with_columns(ccols)
    refs = [pl.col(f"__sr_c{j}") for j in range(len(clauses))]

    def total(sel):
        terms = [sel(r).cast(pl.Int64) for r, c in zip(refs, clauses) if c is not None]
        return pl.sum_horizontal(terms) if terms else pl.lit(0, dtype=pl.Int64)

    maj = [(r, c) for r, c in zip(refs, clauses) if c.severity == "major"]
    gen = [(r, c) for r, c in zip(refs, clauses) if c.severity != "major"]

    def count(pairs, sel):
        if not pairs:
            return pl.lit(0, dtype=pl.Int64)
        return pl.sum_horizontal([sel(r).cast(pl.Int64) for r, _ in pairs])

    counts = {
        "findings.major": count(maj, lambda r: r.fill_null(False)),
        "findings.general": count(gen, lambda r: r.fill_null(False)),
        "findings.undetermined": count(maj + gen, lambda r: r.is_null()),
        "findings.major_undetermined": count(maj, lambda r: r.is_null()),
    }
    lf = lf.with_columns([e.alias("__sr_" + k) for k, e in counts.items()])
    for k in FINDINGS_FACTS:
        env[k] = "__sr_" + k
    tables(plan.tables_after, len(plan.tables_before))

    def keys(sel):
        pairs = sorted((c.key, r) for r, c in zip(refs, clauses))
        if not pairs:
            return em.lit([])
        return pl.concat_list([pl.when(sel(r)).then(pl.lit(k)) for k, r in pairs]).list.drop_nulls()

    final = []
    if with_id:
        final.append(pl.col(env.get(ID_COLUMN, ID_COLUMN)).alias(ID_COLUMN))
    for key in ("level", "tier", "inspection"):
        fact = plan.decision.get(key)
        ref = env.get(fact) if fact is not None else None
        final.append((pl.col(ref).cast(pl.String) if ref else pl.lit(None, dtype=pl.String)).alias(key))
    nmaj, nmaj_u = pl.col(env["findings.major"]), pl.col(env["findings.major_undetermined"])
    final.append(
        pl.when(nmaj > 0).then(pl.lit(True)).when(nmaj_u > 0).then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(pl.lit(False)).alias("major_hazard")
    )
    if clause_columns:
        by_key = {c.key: r for r, c in zip(refs, clauses)}
        final.extend(by_key[k].alias(f"__sr_k{i}") for i, k in enumerate(clause_keys(plan)))
    else:
        final.append(keys(lambda r: r).alias("findings"))
        final.append(keys(lambda r: r.is_null()).alias("undetermined"))
    return lf.select(final)


def evaluate_polars(plan: Plan, table, with_id: bool):
    """A checked Arrow table → the result ``pyarrow.Table``."""
    pl = require("polars")
    from safetyrules.backends.columnar_result import assemble

    lf = pl.from_arrow(table).lazy()
    out = compile_polars(plan, lf, with_id, clause_columns=True).collect().to_arrow()
    return assemble(out, clause_keys(plan), with_id)
