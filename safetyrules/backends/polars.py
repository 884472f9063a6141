"""The plan of one day as polars lazy expressions.

Polars is Kleene for ``&``, ``|``, ``~``; comparisons and ``is_in`` with a
null operand give null — so the translation is direct, except where polars
differs from SPEC §3, compensated here as in :mod:`safetyrules.backends.sql`:
division by zero (``inf`` in polars) is null; ``min_horizontal`` skips nulls,
so it is guarded; ``when(c)`` treats null as false, so every hit policy asks
``is_null()`` where an unknown row must stop it; counts add ``fill_null(False)``
flags (``sum_horizontal`` counts null as 0).  A quantifier body that reads
facts outside the list item is evaluated by the reference evaluator for that
one node, row by row (slow, but exact).

:func:`evaluate_polars` (the registry path) runs the plan in steps, each
where it is cheapest: quantifiers over input list facts on the flattened
items of each list (plain columns, reduced per row in numpy; ``sum`` adds
left to right, so float sums agree bit for bit); the clause columns in one
polars query over only the columns it reads (``first`` tables through integer
row indexes; a ``collect`` table's list read by membership tests through its
rows); the counts and the ``findings``/``undetermined`` lists in one chunked
numpy pass over the clause bits (:mod:`safetyrules.backends.columnar_result`);
the tables after the standards in a second query.  :func:`compile_polars`
gives the whole plan as one lazy query (quantifiers through ``list.eval``).
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Dict, List, Optional

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
        #: ``collect`` tables with a list output → (input column, "a row is
        #: unknown", {output value: "a row giving it holds"}): membership
        #: tests read these instead of building and searching the list
        self.collects: Dict[str, Any] = {}

    def _member(self, fact: str, value: Any, input_test):
        """``value in <fact>`` for a ``collect`` table's output: the given
        list when the input has one, else the table's own rows."""
        pl = self.pl
        given, anynull, has = self.collects[fact]
        own = has.get(value, pl.lit(False))
        return (pl.when(given.is_not_null()).then(input_test(given))
                .when(anynull).then(self.null(pl.Boolean)).otherwise(own))

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
        if (isinstance(node, A.Quantifier) and node in self.subst
                and not any(isinstance(b, (str, _Flat)) for b in bound.values())):
            # hoisted: also inside an unrolled list literal (whose items it
            # does not read, or it would not have been hoisted)
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
            if isinstance(b, _Flat):
                if b.fields is None and node.rest is None:
                    return pl.col(_ITEM)
                if b.fields is not None and node.rest is not None and node.rest in b.fields:
                    return pl.col(node.rest)
                raise BackendError(f"'{node.name}' is not an item field")
            if not isinstance(b, str):  # an unrolled list literal's item
                return b
            return pl.element() if node.rest is None else pl.element().struct.field(node.rest)
        if any(isinstance(b, (str, _Flat)) for b in bound.values()):
            # inside ``list.eval`` (or on the flattened items) only the item is
            # seen; an unrolled list literal's body may read any column
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
                    values = [i.value for i in r.items]
                    if all(isinstance(i, A.Number) for i in r.items) and not (
                        all(isinstance(v, int) for v in values) and any(abs(v) >= 2**53 for v in values)
                        and getattr(node.left.ty, "integer", False)
                    ):
                        # polars 2 refuses is_in across Float64 and Int64 (``x in [0, 2]``
                        # with x a number; ``min(n, 2.5)`` is typed as ``n`` but is a
                        # float): compare as floats, exact for integers below 2**53
                        left, values = left.cast(pl.Float64), [float(v) for v in values]
                    inner = left.is_in(values)
                else:
                    # Kleene ``or`` of equalities is SPEC's membership exactly
                    inner = None
                    for i in r.items:
                        e = left == self.emit(i, bound)
                        inner = e if inner is None else inner | e
            elif (isinstance(r, A.Path) and not bound and r.name in self.collects
                  and isinstance(node.left, (A.String, A.Number, A.Boolean, A.Date))):
                v = node.left.value
                inner = self._member(r.name, v, lambda given: given.list.contains(self.lit(v)))
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
        if not any(isinstance(x, (A.Path, A.Quantifier)) for x in A.walk(node.right)):
            if _constant_value(node.right) in (0, None):
                # a divisor of literals that is zero (or unknown): unknown, as
                # a null literal; the ``when`` below on a column folded from
                # literals came out of polars 2.1 one row long under ``2 >=``
                # (ShapeError on the flattened items of ``any(v in l: 2 >= v.n / 0)``)
                return self.null(pl.Float64)
            # polars divides a column by a scalar as a product with its
            # reciprocal (1e20 / 100000 gave 1000000000000000.1, and a unit
            # scaled down is such a division): the divisor as a column, so
            # the division is IEEE's, as in the engine
            # (``when`` of two literals is a scalar again where no row is null)
            b = pl.int_range(pl.len(), dtype=pl.Int64) * 0 + b
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
            if any(_unknown_constant(a) for a in node.args):
                # ``min(v.n, 1 / 0)``: unknown; the ``when`` on a constant
                # below comes out of polars one row long (see ``_Arith``)
                return self.null(pl.Date if node.ty.kind == "date" else
                                 pl.Int64 if getattr(node.ty, "integer", False) else pl.Float64)
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

    def _fallback(self, node: A.Quantifier, bound=None):
        """A quantifier whose body reads facts outside the item (or nests
        another quantifier): polars' ``list.eval`` sees only the item, so
        this one node is evaluated by the reference evaluator, row by row.
        ``bound``: the items of enclosing unrolled list literals, passed to
        the evaluator as values of their names."""
        pl = self.pl
        from safetyrules.dsl.evaluator import evaluate

        names = list(A.fact_paths(node))
        cols = []
        for n in names:
            if bound and n in bound:
                cols.append(bound[n].alias(n))
                continue
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
        # ``bound`` may hold only unrolled list literals' items (expressions
        # over columns) here: inside ``list.eval`` the outermost list
        # quantifier has fallen back already
        if any(isinstance(b, (str, _Flat)) for b in bound.values()):  # pragma: no cover
            raise BackendError("the polars backend cannot nest list quantifiers")
        if outer or nested:
            return self._fallback(node, bound)
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

            def setop(lst):
                hit = lst.list.set_intersection(values).list.len() > 0
                miss = lst.list.set_difference(values).list.len() > 0
                if b.op == "not in":
                    hit, miss = miss, hit
                return hit if node.kind == "any" else ~miss

            src = node.source
            if isinstance(src, A.Path) and src.name in self.collects:
                # the table's own rows: "some output in the values" is an
                # ``or`` of the rows giving those outputs
                given, anynull, has = self.collects[src.name]
                want = {i.value for i in b.right.items}
                inside = [e for o, e in has.items() if o in want]
                outside = [e for o, e in has.items() if o not in want]
                hit_c = pl.any_horizontal(inside) if inside else pl.lit(False)
                miss_c = pl.any_horizontal(outside) if outside else pl.lit(False)
                if b.op == "not in":
                    hit_c, miss_c = miss_c, hit_c
                own = hit_c if node.kind == "any" else ~miss_c
                return (pl.when(given.is_not_null()).then(setop(given))
                        .when(anynull).then(self.null(pl.Boolean)).otherwise(own))
            return setop(lst)
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


_NOT_CONSTANT = object()


def _constant_value(node: A.Node):
    """The value of an expression of literals (no fact, no quantifier), as
    the engine computes it."""
    from safetyrules.dsl.evaluator import evaluate

    try:
        return evaluate(node, {})
    except Exception:  # pragma: no cover - a checked expression of literals evaluates
        return _NOT_CONSTANT


def _unknown_constant(node: A.Node) -> bool:
    """An expression of literals that is unknown (a division by zero)."""
    return not any(isinstance(x, (A.Path, A.Quantifier)) for x in A.walk(node)) and _constant_value(node) is None


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
        # the index of the first row that is not definitely false (``len(rows)``
        # when that row is unknown; null when every row is false), then the
        # output looked up by it: integer columns through the chain, never
        # copies of text at every row
        m = len(rows)
        firsts = [pl.when(r).then(pl.lit(i, dtype=pl.UInt16)).when(r.is_null()).then(pl.lit(m, dtype=pl.UInt16))
                  for i, r in enumerate(rows)]
        idx = pl.coalesce(firsts) if m > 1 else firsts[0]
        return _lookup(pl, em, idx, [row.then for row in t.rows], default, dtype)
    if t.hit == "unique":
        t_n = pl.sum_horizontal([r.fill_null(False) for r in rows])
        anynull = pl.any_horizontal([r.is_null() for r in rows])
        m = len(rows)
        firsts = [pl.when(r).then(pl.lit(i, dtype=pl.UInt16)) for i, r in enumerate(rows)]
        pick = _lookup(pl, em, pl.coalesce(firsts) if m > 1 else firsts[0], [row.then for row in t.rows], none, dtype)
        return (
            pl.when(t_n > 1).then(none).when(anynull).then(none)
            .when(t_n == 1).then(pick).otherwise(default)
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


def _lookup(pl, em: _Emit, idx, values: List[Any], default, dtype):
    """``values[idx]`` (``idx == len(values)``: unknown; ``idx`` null: ``default``)."""
    if all(v is not None for v in values) and len(set(map(type, values))) == 1 and dtype != pl.List(pl.String):
        table = pl.Series("v", list(values) + [None]).cast(dtype)
        got = pl.lit(table).gather(idx.cast(pl.UInt32))
        return pl.when(idx.is_null()).then(default).otherwise(got)
    chain = None  # mixed or list outputs: a chain of integer comparisons
    for i, v in enumerate(values):
        chain = (pl.when(idx == i) if chain is None else chain.when(idx == i)).then(em.lit(v).cast(dtype))
    return pl.when(idx.is_null()).then(default).otherwise(chain.otherwise(em.null(dtype)))


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


class _Stages:
    """The plan of one day as polars expressions, in the stages the
    evaluator runs: the tables before the standards and every clause
    (:meth:`clauses`), then the findings counts, then the tables after the
    standards and the decision columns (:meth:`decision`)."""

    def __init__(self, plan: Plan, precomputed: Optional[Dict[A.Node, str]] = None) -> None:
        pl = self.pl = require("polars")
        if plan.as_of is None:
            raise BackendError("compile a plan specialised to one day (Plan.specialise(as_of))")
        self.plan = plan
        self.env: Dict[str, Any] = {n: n for n in plan.input_facts()}
        self.em = _Emit(pl, self.env)
        self.em.subst.update(precomputed or {})
        self.env["as_of"] = "__sr_as_of"
        self.refs = [pl.col(f"__sr_c{j}") for j in range(len(plan.clauses))]
        self.collect_rows: Dict[str, List[str]] = {}
        self.hoisted: List[str] = []  # quantifier columns, reused by later stages

    def _hoist(self, lf, nodes):
        """Each distinct list quantifier of ``nodes`` once, as a column."""
        em = self.em
        cols = []
        for node in outer_quantifiers(nodes):
            if node in em.subst:
                continue
            name = f"__sr_q{len(em.subst)}"
            cols.append(em.emit(node, {}).alias(name))
            em.subst[node] = name
            self.hoisted.append(name)
        return lf.with_columns(cols) if cols else lf

    def _tables(self, lf, ts, base):
        pl, em, env, plan = self.pl, self.em, self.env, self.plan
        for k, t in enumerate(ts, base):
            names = []
            lf = self._hoist(lf, [r.when.node for r in t.rows if r.when is not None])
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
            elif t.hit == "collect" and env.get(t.output) == t.output:
                lf = lf.with_columns(pl.coalesce([pl.col(t.output).cast(dtype), out]).alias(nm))
                has: Dict[Any, Any] = {}
                for o in collect_order(t):
                    conds = [c for c, row in zip(names, t.rows) if row.then == o]
                    has[o] = pl.any_horizontal(conds) if len(conds) > 1 else conds[0]
                anynull = pl.any_horizontal([c.is_null() for c in names]) if names else pl.lit(False)
                em.collects[t.output] = (pl.col(t.output).cast(dtype), anynull, has)
                # membership tests read these row columns, maybe in the second query
                self.collect_rows[t.output] = [f"__sr_t{k}_r{i}" for i in range(len(t.rows))]
            else:
                lf = lf.with_columns(pl.coalesce([pl.col(t.output).cast(dtype), out]).alias(nm))
            env[t.output] = nm
        return lf

    def clauses(self, lf):
        """``lf`` with the tables before the standards and one Kleene column
        per clause (``__sr_c{j}``, plan order)."""
        pl, em, plan = self.pl, self.em, self.plan
        lf = lf.with_columns(pl.lit(plan.as_of, dtype=pl.Date).alias(self.env["as_of"]))
        lf = self._tables(lf, plan.tables_before, 0)
        clauses = plan.clauses
        # each standard's applies_when once, as in the SQL backends
        lf = self._hoist(lf, [c.applies.node for c in clauses if c.applies is not None]
                         + [c.own_condition for c in clauses])
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
        return lf.with_columns(ccols) if ccols else lf

    def counts(self):
        """The findings counts as expressions over the clause columns."""
        pl = self.pl
        pairs = list(zip(self.refs, self.plan.clauses))
        maj = [r for r, c in pairs if c.severity == "major"]
        gen = [r for r, c in pairs if c.severity != "major"]

        def count(rs, sel):
            return pl.sum_horizontal([sel(r) for r in rs]).cast(pl.Int64) if rs else pl.lit(0, dtype=pl.Int64)

        return {
            "findings.major": count(maj, lambda r: r.fill_null(False)),
            "findings.general": count(gen, lambda r: r.fill_null(False)),
            "findings.undetermined": count(maj + gen, lambda r: r.is_null()),
            "findings.major_undetermined": count(maj, lambda r: r.is_null()),
        }

    def decision(self, lf, with_id: bool):
        """``lf`` with the clause columns and the counts (``__sr_findings.*``)
        → the tables after the standards and the decision columns."""
        pl, env, plan = self.pl, self.env, self.plan
        for k in FINDINGS_FACTS:
            env[k] = "__sr_" + k
        lf = self._tables(lf, plan.tables_after, len(plan.tables_before))
        final = []
        if with_id:
            final.append(pl.col(env.get(ID_COLUMN, ID_COLUMN)).alias(ID_COLUMN))
        for key in ("level", "tier", "inspection"):
            fact = plan.decision.get(key)
            ref = env.get(fact) if fact is not None else None
            final.append((_as_text(pl, plan, fact, pl.col(ref)) if ref else pl.lit(None, dtype=pl.String)).alias(key))
        nmaj, nmaj_u = pl.col(env["findings.major"]), pl.col(env["findings.major_undetermined"])
        final.append(
            pl.when(nmaj > 0).then(pl.lit(True)).when(nmaj_u > 0).then(pl.lit(None, dtype=pl.Boolean))
            .otherwise(pl.lit(False)).alias("major_hazard")
        )
        return lf, final


def _as_text(pl, plan: Plan, fact: str, col):
    """A decision fact's column as the text ``rules.evaluate``'s value has
    (``str``, as the python backend writes it): polars writes a float as
    ``1e-9`` where Python writes ``1e-09``, and cannot cast a list (a
    ``collect`` table's output) to text at all."""
    spec = plan.facts.get(fact)
    if any(t.output == fact and t.hit == "collect" for t in plan.tables):
        return col.map_elements(lambda v: str(list(v)), return_dtype=pl.String)
    if spec is not None and spec.type == "number":
        return col.map_elements(lambda v: str(float(v)), return_dtype=pl.String)
    return col.cast(pl.String)


def compile_polars(plan: Plan, lf, with_id: bool, clause_columns: bool = False):
    """``lf`` (a LazyFrame with a column per declared input fact) → the
    LazyFrame of the SPEC §9 result columns (with ``clause_columns``, one
    boolean column per clause instead of the two lists, as in
    :func:`safetyrules.backends.sql.compile_select`)."""
    st = _Stages(plan)
    pl = st.pl
    lf = st.clauses(lf)
    lf = lf.with_columns([e.alias("__sr_" + k) for k, e in st.counts().items()])
    lf, final = st.decision(lf, with_id)
    refs, clauses = st.refs, plan.clauses
    if clause_columns:
        by_key = {c.key: r for r, c in zip(refs, clauses)}
        final.extend(by_key[k].alias(f"__sr_k{i}") for i, k in enumerate(clause_keys(plan)))
    else:
        pairs = sorted((c.key, r) for r, c in zip(refs, clauses))

        def keys(sel):
            if not pairs:
                return st.em.lit([])
            return pl.concat_list([pl.when(sel(r)).then(pl.lit(k)) for k, r in pairs]).list.drop_nulls()

        final.append(keys(lambda r: r).alias("findings"))
        final.append(keys(lambda r: r.is_null()).alias("undetermined"))
    return lf.select(final)


#: rows graded at a time: a registry of any size needs the memory of one batch
#: besides its input and result
BATCH = 1 << 20


def evaluate_polars(plan: Plan, table, with_id: bool, timings: Optional[Dict[str, float]] = None):
    """A checked Arrow table → the result ``pyarrow.Table``, graded in
    batches of :data:`BATCH` rows (see :func:`_evaluate_batch`)."""
    pa = require("pyarrow")
    n = table.num_rows
    if n <= BATCH:
        return _evaluate_batch(plan, table, with_id, timings)
    parts = [_evaluate_batch(plan, table.slice(start, BATCH), with_id, timings) for start in range(0, n, BATCH)]
    return pa.concat_tables(parts)


def _evaluate_batch(plan: Plan, table, with_id: bool, timings: Optional[Dict[str, float]] = None):
    """One batch of a checked Arrow table → its result ``pyarrow.Table``.

    Three steps: list quantifiers over input list facts evaluated on the
    flattened items (:func:`_quantifier_columns`), the clause columns in one polars
    query, then the counts and the ``findings``/``undetermined`` lists in numpy
    from the clause columns' bits (:mod:`safetyrules.backends.columnar_result`)
    and the tables after the standards in a second query.  ``timings``, when
    given, receives the wall seconds of each step (``quantifiers``,
    ``compile``, ``clauses``, ``counts and lists``, ``decision``) and the
    process CPU seconds (``cpu quantifiers``, ...)."""
    import time

    pl = require("polars")
    from safetyrules.backends import columnar_result as R

    clock = [time.perf_counter(), time.process_time()]

    def lap(name):
        now = [time.perf_counter(), time.process_time()]
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + now[0] - clock[0]
            timings["cpu " + name] = timings.get("cpu " + name, 0.0) + now[1] - clock[1]
        clock[:] = now

    prog = _compiled(plan, with_id, table.schema)
    lap("compile")
    pre_cols = _quantifier_columns(prog.quantifiers, table)
    # only the columns a query reads go to polars (a list<struct> column
    # costs more to convert than the whole query when its quantifiers are
    # already evaluated)
    # a polars frame without columns has no rows: keep the input's row count
    df = pl.from_arrow(table.select(prog.inputs) if prog.inputs else _row_count_table(table.num_rows))
    if pre_cols:
        df = df.with_columns(pre_cols)
    lap("quantifiers")
    stage1 = _replay(df.lazy(), prog.stage1).select(prog.keep).collect()
    lap("clauses")
    clauses = plan.clauses
    names = [f"__sr_c{j}" for j in range(len(clauses))]
    keys = clause_keys(plan)
    order = sorted(range(len(clauses)), key=lambda j: clauses[j].key)
    pos = {j: k for k, j in enumerate(order)}  # plan index → key order
    major = [pos[j] for j, c in enumerate(clauses) if c.severity == "major"]
    general = [pos[j] for j, c in enumerate(clauses) if c.severity != "major"]
    groups = {
        "findings.major": (major, 0),
        "findings.general": (general, 0),
        "findings.undetermined": (major + general, 1),
        "findings.major_undetermined": (major, 1),
    }
    bits = stage1.select([names[j] for j in order]).to_arrow() if names else _row_count_table(table.num_rows)
    counts, found, unknown = R.clause_pass(bits, [names[j] for j in order], keys, groups)
    del bits
    stage1 = stage1.with_columns([pl.Series("__sr_" + k, v) for k, v in counts.items()])
    lap("counts and lists")
    plain = _replay(stage1.lazy(), prog.stage2).select(prog.final).collect().to_arrow()
    lap("decision")
    return R.with_lists(plain, found, unknown, with_id, owned=True)


def _row_count_table(n: int):
    """A one-column Arrow table of ``n`` null rows (stands for "no columns")."""
    pa = require("pyarrow")
    return pa.table({"__sr_none": pa.nulls(n, pa.bool_())})


class _Program:
    """The polars side of a plan for one input schema, built once: the
    quantifiers evaluated on the items, the input columns polars gets, the
    ``with_columns`` steps and columns of the two queries."""

    def __init__(self) -> None:
        self.quantifiers: List[Any] = []
        self.inputs: List[str] = []
        self.stage1: List[List[Any]] = []
        self.keep: List[str] = []
        self.stage2: List[List[Any]] = []
        self.final: List[Any] = []


class _Recorder:
    """Stands for a LazyFrame while a program is built: records the steps."""

    def __init__(self, steps: List[List[Any]]) -> None:
        self.steps = steps

    def with_columns(self, cols):
        self.steps.append(list(cols) if isinstance(cols, (list, tuple)) else [cols])
        return self


def _replay(lf, steps):
    for cols in steps:
        lf = lf.with_columns(cols)
    return lf


_CACHE: Dict[Any, Any] = {}
_CACHE_SIZE = 8


def _compiled(plan: Plan, with_id: bool, schema) -> _Program:
    """The program of ``plan`` for tables of ``schema``, cached per plan of a
    day (a registry graded in batches, or again, compiles once)."""
    key = (id(plan), with_id, tuple(schema.names), tuple(str(t) for t in schema.types))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is plan:
        return hit[1]
    prog = _Program()
    prog.quantifiers, pre = _quantifier_program(plan, schema)
    # a decision fact no rule reads nor derives (an input named by decision:) too
    reads = (_reads(plan, pre) | {ID_COLUMN} | {t.output for t in plan.tables_before + plan.tables_after}
             | set(plan.decision.values()))
    prog.inputs = [c for c in schema.names if c in reads]
    st = _Stages(plan, pre)
    names = [f"__sr_c{j}" for j in range(len(plan.clauses))]
    st.clauses(_Recorder(prog.stage1))
    # keep what the second query reads, so polars drops the rest unevaluated
    # (a ``collect`` list that only membership tests read, row columns)
    needed = {ID_COLUMN, "as_of"} | set(plan.decision.values())
    for t in plan.tables_after:
        needed.add(t.output)
        for r in t.rows:
            if r.when is not None:
                needed.update(A.fact_paths(r.when.node))
    keep = prog.inputs + sorted(pre.values(), key=lambda v: int(v.rsplit("p", 1)[1])) + names
    keep += sorted({st.env[f] for f in needed if f in st.env and st.env[f].startswith("__sr_")} - set(keep))
    # a list-typed ``collect`` output that a later table tests for membership
    # is read through its row columns (``em.collects``), not its list
    keep += [c for f in sorted(needed & set(st.collect_rows)) for c in st.collect_rows[f] if c not in keep]
    # a quantifier hoisted for the first query is read, not re-made, by a
    # table after the standards that holds the same quantifier
    keep += [c for c in st.hoisted if c not in keep]
    prog.keep = keep
    _, prog.final = st.decision(_Recorder(prog.stage2), with_id)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (plan, prog)
    return prog


def _nodes(plan: Plan) -> List[A.Node]:
    nodes = [c.own_condition for c in plan.clauses] + [c.applies.node for c in plan.clauses if c.applies is not None]
    for t in plan.tables_before + plan.tables_after:
        nodes += [r.when.node for r in t.rows if r.when is not None]
    return nodes


def _reads(plan: Plan, pre: Dict[A.Node, str]) -> set:
    """The paths the plan's expressions read outside the quantifiers in
    ``pre`` (item paths included: they never name a column)."""
    out = set()
    stack = list(_nodes(plan))
    while stack:
        n = stack.pop()
        if n is None or n in pre:
            continue
        if isinstance(n, A.Path):
            out.add(n.name)
        stack.extend(A.children(n))
    return out


def _quantifier_program(plan: Plan, schema):
    """The quantifiers over input list facts whose body reads only the item
    (the columns of ``schema``) → ([(list fact, item fields read, whether the
    items are structs, [(quantifier, body expression)])], {quantifier: column
    name}).  See :func:`_quantifier_columns`."""
    pl = require("polars")
    pa = require("pyarrow")

    inputs = set(plan.input_facts())
    by_list: Dict[str, List[A.Quantifier]] = {}
    for q in outer_quantifiers(_nodes(plan)):
        if not isinstance(q.source, A.Path):
            continue
        src = q.source.name
        if src not in inputs or src in plan.outputs or src not in schema.names:
            continue
        if not pa.types.is_list(schema.field(src).type):
            continue
        if any(p.split(".", 1)[0] != q.var for p in A.fact_paths(q.body)):
            continue
        if any(isinstance(x, A.Quantifier) and not isinstance(x.source, A.ListLit) for x in A.walk(q.body)):
            continue
        by_list.setdefault(src, []).append(q)
    program, names = [], {}
    for src, qs in by_list.items():
        vtype = schema.field(src).type.value_type
        struct = pa.types.is_struct(vtype)
        bound = _Flat({f.name for f in vtype} if struct else None)
        em = _Emit(pl, {})
        kept = []
        for q in qs:
            try:
                body = em.emit(q.body, {q.var: bound})
            except BackendError:
                continue
            if q.kind == "sum":
                body = body.cast(pl.Int64 if getattr(q.ty, "integer", False) else pl.Float64)
            elif q.kind in ("any", "all"):
                # Kleene as one code per item: false 0, unknown 1, true 2
                # (``any`` is the items' max, ``all`` their min)
                body = (body.cast(pl.UInt8) * 2).fill_null(1)
            kept.append((q, body.alias(f"b{len(kept)}")))
        if not kept:
            continue
        used = [f.name for f in vtype if any(p.split(".", 1)[1] == f.name for q, _ in kept
                                              for p in A.fact_paths(q.body) if "." in p)] if struct else []
        for q, _ in kept:
            names[q] = f"__sr_p{len(names)}"
        program.append((src, used, struct, kept))
    return program, names


def _quantifier_columns(program, table):
    """Each quantifier of ``program`` evaluated once on the flattened items
    of its list (plain columns, no ``list.eval``) and reduced per row in
    numpy over the rows that have items → polars Series ``__sr_p{i}``.
    Kleene as the engine: ``any`` is true on a true item, else unknown on an
    unknown item; ``all`` the dual; ``count`` and ``sum`` are unknown on an
    unknown item; a ``sum`` adds left to right from 0, as the engine does,
    so floats agree bit for bit."""
    pl = require("polars")
    pa = require("pyarrow")
    import numpy as np

    def one(entry):
        src, used, struct, kept = entry
        col = table.column(src)
        # the chunks' offsets and the used item fields, joined without
        # copying the other fields (items under a null list are evaluated
        # and ignored)
        offs, valids, parts, base = [], [], [], 0
        chunks = col.chunks
        for ch in chunks:
            o = ch.offsets.to_numpy(zero_copy_only=False)
            v = ch.values.slice(int(o[0]), int(o[-1] - o[0]))
            if len(chunks) == 1:  # the offsets as they are (int32), from 0
                offs.append(o - o[0] if o[0] else o)
            else:
                o = o.astype(np.int64)
                offs.append(o[:-1] - o[0] + base)
            base += int(o[-1] - o[0])
            valids.append(np.ones(len(ch), bool) if ch.null_count == 0 else ch.is_valid().to_numpy(zero_copy_only=False))
            parts.append(v)
        if len(chunks) == 1:
            offsets, valid = offs[0], valids[0]
        else:
            offsets = np.concatenate(offs + [np.array([base], np.int64)])
            valid = np.concatenate(valids) if valids else np.zeros(0, bool)
        n = len(valid)
        lo, hi = offsets[:-1], offsets[1:]
        ne = np.flatnonzero(valid & (hi > lo))  # the rows with items
        got = None
        if len(ne):
            if struct:
                cols = [pa.concat_arrays([p.field(f) for p in parts]) for f in used]
                items = pl.from_arrow(pa.Table.from_arrays(cols or [pa.nulls(base)], names=used or ["__sr_none"]))
            else:
                items = pl.from_arrow(pa.table({_ITEM: pa.concat_arrays(parts)}))
            # with_columns, not select: a body that reads no item field
            # (``sum(x in l: 3)``) is a literal, broadcast to every item
            got = items.with_columns([e for _, e in kept]).select([f"b{k}" for k in range(len(kept))])
        nlo, nhi = lo[ne], hi[ne]
        return [_reduce(np, pa, q, got.get_column(f"b{k}") if got is not None else None, n, valid, ne, nlo, nhi)
                for k, (q, _) in enumerate(kept)]

    if len(program) > 1 and table.num_rows >= 1 << 16:
        from concurrent.futures import ThreadPoolExecutor

        # polars and numpy release the GIL: the lists on every core
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            done = list(pool.map(one, program))
    else:
        done = [one(entry) for entry in program]
    out = []
    for results in done:
        for arr in results:
            out.append(pl.from_arrow(arr).alias(f"__sr_p{len(out)}"))
    return out


def _reduce(np, pa, q: A.Quantifier, b, n: int, valid, ne, lo, hi):
    """One quantifier's per-row value from its per-item values ``b``; only
    the rows with items (``ne``, item ranges ``lo``..``hi``) are visited."""
    from safetyrules.backends.columnar_result import numpy_array

    kind = q.kind
    integer = getattr(q.ty, "integer", False)
    mask = ~valid  # a null list: unknown
    if kind == "sum":
        dtype = np.int64 if integer else np.float64
        value = np.zeros(n, dtype)
        if len(ne):
            u = b.is_null().to_numpy()
            v = b.fill_null(0).to_numpy().astype(dtype, copy=False)
            acc = np.zeros(len(ne), dtype)
            length = hi - lo
            order = np.argsort(-length, kind="stable")
            by_len = length[order]
            for step in range(int(by_len[0])):  # left to right, as the engine adds
                live = order[: int(np.searchsorted(-by_len, -step, side="left"))]
                acc[live] += v[lo[live] + step]
            value[ne] = acc
            mask[ne] = _segment_sum(np, u, lo, hi) > 0
        return numpy_array(value, pa.int64() if integer else pa.float64(), mask)
    if kind == "count":
        if len(ne):
            tn = _segment_sum(np, b.fill_null(False).to_numpy(), lo, hi)
            un = _segment_sum(np, b.is_null().to_numpy(), lo, hi)
        else:
            tn = un = np.zeros(0, np.int64)
        value = np.zeros(n, np.int64)
        value[ne] = tn
        mask[ne] = un > 0
        return numpy_array(value, pa.int64(), mask)
    # ``b``: one code per item, false 0, unknown 1, true 2 (never null);
    # Kleene ``any`` is the items' max, ``all`` their min: one pass
    value = np.zeros(n, bool) if kind == "any" else np.ones(n, bool)  # an empty list
    if len(ne):
        codes = np.append(b.to_numpy(), np.uint8(0))  # a last index may be the end
        bounds = np.empty(2 * len(ne), np.int64)
        bounds[0::2] = lo
        bounds[1::2] = hi
        # each row's own item range (every other result: between two rows)
        got = (np.maximum if kind == "any" else np.minimum).reduceat(codes, bounds)[0::2]
        value[ne] = got == 2
        mask[ne] = got == 1
    return numpy_array(value, pa.bool_(), mask)


def _segment_sum(np, flags, lo, hi):
    """How many of ``flags`` hold in each item range ``lo[k]..hi[k]``
    (differences of one prefix sum)."""
    dtype = np.int32 if len(flags) < 2**31 - 1 else np.int64
    c = np.empty(len(flags) + 1, dtype)
    c[0] = 0
    np.cumsum(flags, dtype=dtype, out=c[1:])
    return (c[hi] - c[lo]).astype(np.int64)


_ITEM = "__sr_item"


class _Flat:
    """A quantifier variable bound to the flattened items: ``x`` is the item
    column, ``x.f`` the field column ``f``."""

    def __init__(self, fields) -> None:
        self.fields = fields
