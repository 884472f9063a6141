"""The ``duckdb`` registry backend: a checked Arrow table graded by DuckDB.

The SQL of :mod:`safetyrules.backends.sql` (the same expressions as
``rules.to_sql``), each part where it is cheapest: DuckDB for the scalar
expressions (comparisons, arithmetic, the tables' hit policies), numpy and
Arrow's kernels for lists and boolean logic (DuckDB converts every value
it scans from Arrow or returns to Arrow: ~8 ns a value, more than most
expressions cost):

1. each input list's quantifiers (:func:`~safetyrules.backends.sql.side_quantifiers`)
   computed apart (:func:`_side_columns`): each body once per item, in one
   DuckDB query over the flattened items (only the struct fields the
   bodies read), reduced per row with numpy (``sum`` added left to right,
   as the lambda form adds);
2. the main query (:func:`~safetyrules.backends.sql.compile_stages` with
   ``precomputed``, ``collect_members`` and ``atoms``): the tables before
   the clauses, and the clause conditions' atoms (the conditions that are
   not a boolean input column, a side column or a constant); no list is
   scanned or built for the quantifiers above nor for the membership tests
   of a ``collect`` table's output;
3. the clause conditions combined from the atoms with Arrow's Kleene
   kernels (:func:`_combine`); the counts of findings and the
   findings/undetermined lists from them in one numpy pass
   (``columnar_result.clause_pass``);
4. the query of the tables that read the counts (``counts_apart``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from safetyrules.backends.columnar_io import require
from safetyrules.backends.columnar_result import clause_pass, numpy_array, with_lists
from safetyrules.backends.sql import (
    BackendError,
    clause_keys,
    compile_stages,
    dialect,
    side_expressions,
    side_quantifiers,
)
from safetyrules.dsl import ast as A
from safetyrules.plan.model import FINDINGS_FACTS, Plan

__all__ = ["evaluate_duckdb"]

#: a list known in at most this share of the rows has its ``sum`` run over those rows only
_PACK_SHARE = 0.5

_ROW = "__sr_row"

#: a path: DuckDB's JSON profile of the main query of :func:`evaluate_duckdb` is written there
PROFILE: Optional[str] = None


def evaluate_duckdb(plan: Plan, table, has_id: bool):
    """Grade a checked ``pyarrow.Table`` (a column per input fact) with the
    plan of one day → the SPEC §9 result table, in input order."""
    pa = require("pyarrow")
    duckdb = require("duckdb")
    import numpy as np

    n = table.num_rows
    keys = clause_keys(plan)
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        precomputed, extra = _side_columns(plan, table, con)
        facts = table
        for name, c in extra:
            facts = facts.append_column(name, c)
        facts = _chunked(facts.append_column(_ROW, pa.array(np.arange(n, dtype=np.int64))))
        # the boolean columns the clause conditions may read as they are
        bools = [f.name for f in facts.schema if f.type == pa.bool_()]
        stages = compile_stages(
            plan, "duckdb", "facts", with_id=has_id, passthrough=(_ROW,), clause_columns=True,
            precomputed=precomputed, counts_apart="__sr_after", null_facts=_null_facts(plan, table),
            collect_members=True, atoms=bools)
        first, carry, second = stages.apart
        reads = {p[1]: None for p in _leaves(stages.atoms) if p[0] == "input"}  # (read before facts goes)
        given = {name: _one(facts.column(name)) for name in reads}
        con.register("facts", facts)
        if PROFILE is not None:  # (benchmarks/bench_duckdb.py --profile)
            con.execute("PRAGMA enable_profiling = 'json'")
            con.execute(f"PRAGMA profiling_output = {dialect('duckdb').string(PROFILE)}")
        # no ORDER BY: DuckDB keeps the input's order (``preserve_insertion_order``);
        # the row numbers are checked, and sorted only if not
        out = _first(con, first.sql())
        if PROFILE is not None:
            con.execute("PRAGMA disable_profiling")
        con.unregister("facts")
        del facts
        if not _in_order(out.column(_ROW)):
            out = out.sort_by(_ROW)
        # the counts of found and undetermined clauses by severity, and the
        # findings/undetermined lists, in one pass over the clause columns
        major = {c.key for c in plan.clauses if c.severity == "major"}
        which = {"major": [i for i, k in enumerate(keys) if k in major],
                 "general": [i for i, k in enumerate(keys) if k not in major]}
        groups = {"findings.major": (which["major"], 0), "findings.general": (which["general"], 0),
                  "findings.undetermined": (list(range(len(keys))), 1),
                  "findings.major_undetermined": (which["major"], 1)}
        # each clause's condition from the atoms: Kleene and/or/not on Arrow's bitmaps
        if stages.constants:  # (the atoms the same in every row, once)
            row = _fetch_arrow(con.sql(f"SELECT {', '.join(stages.constants)}"))
            given.update((name, _broadcast(row.column(name), n)) for name in row.column_names)
        conds = _combine(stages.atoms, out, given, n)
        del given
        at = {k: i for i, k in enumerate(keys)}
        flags = pa.table({f"__sr_k{at[c.key]}": conds[j] for j, c in enumerate(plan.clauses)}) if keys else out
        counts, found, unknown = clause_pass(flags, [f"__sr_k{i}" for i in range(len(keys))], keys, groups)
        del flags, conds
        after = out.select(carry)
        del out
        for name in FINDINGS_FACTS:
            after = after.append_column("__sr_" + name, pa.array(counts[name], pa.int64()))
        con.register("__sr_after", _chunked(after))
        res = _second(con, second.sql())
    finally:
        con.close()
    if not _in_order(res.column(_ROW)):
        res = res.sort_by(_ROW)
    return with_lists(res.drop([_ROW]), found, unknown, has_id)


def _broadcast(col, n: int):
    """A one-row boolean column → ``n`` rows of its value."""
    pa = require("pyarrow")
    import numpy as np

    value = col.cast(pa.bool_())[0].as_py()
    return numpy_array(np.full(n, bool(value)), pa.bool_(), None if value is not None else np.ones(n, bool))


def _leaves(programs):
    """The atoms (``("input"|"col", name)``) of the clause programs."""
    stack = list(programs or ())
    while stack:
        p = stack.pop()
        if p[0] in ("and", "or"):
            stack.extend(p[1])
        elif p[0] == "not":
            stack.append(p[1])
        elif p[0] != "const":
            yield p


def _combine(programs, out, given, n: int):
    """Each clause program (``compile_stages(atoms=...)``) evaluated: the
    ``col`` atoms from the query's result ``out``, the ``input`` ones from
    ``given`` (name → array), combined with Arrow's Kleene kernels (on the
    bitmaps: SQL's and SPEC §3's three-valued and/or/not), each distinct
    sub-program once → a boolean array per clause, in the programs' order."""
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    import numpy as np

    memo: Dict[Any, Any] = {}
    # how many parents (and results) each sub-program has: an intermediate
    # array is dropped once its last parent is made (memory: a few columns)
    uses: Dict[Any, int] = {}
    stack = list(programs)
    for p in programs:
        uses[p] = uses.get(p, 0) + 1
    seen = set()
    while stack:
        p = stack.pop()
        if p in seen or p[0] not in ("and", "or", "not"):
            continue
        seen.add(p)
        kids = p[1] if p[0] != "not" else (p[1],)
        for x in kids:
            uses[x] = uses.get(x, 0) + 1
            stack.append(x)

    def done(kids):
        for x in kids:
            uses[x] -= 1
            if not uses[x]:
                memo.pop(x, None)

    def boolean(col):
        col = _one(col)
        return col if col.type == pa.bool_() else col.cast(pa.bool_())

    def run(p):
        got = memo.get(p)
        if got is None:
            kind = p[0]
            if kind == "col":
                got = boolean(out.column(p[1]))
            elif kind in ("input", "zconst"):
                got = boolean(given[p[1]])
            elif kind == "const":
                got = numpy_array(np.full(n, p[1], bool), pa.bool_())
            elif kind == "not":
                got = pc.invert(run(p[1]))
                done((p[1],))
            else:
                fn = pc.and_kleene if kind == "and" else pc.or_kleene
                parts = [run(x) for x in p[1]]
                got = parts[0]
                for x in parts[1:]:
                    got = fn(got, x)
                del parts
                done(p[1])
            memo[p] = got
        return got

    return [run(p) for p in programs]


#: the SQL type of a scalar Arrow type (a fact whose column is all null reads a NULL of it)
_SQL_TYPES = {"bool": "BOOLEAN", "int64": "BIGINT", "double": "DOUBLE", "string": "VARCHAR",
              "large_string": "VARCHAR", "date32[day]": "DATE"}


def _null_facts(plan: Plan, table) -> Dict[str, str]:
    """The input facts whose column is null in every row (of a non-empty
    table), a scalar type or a list of text, → their SQL type."""
    pa = require("pyarrow")
    n = table.num_rows
    out: Dict[str, str] = {}
    if n == 0:
        return out
    for name in plan.input_facts():
        if name in table.column_names:
            col = table.column(name)
            sql_type = _SQL_TYPES.get(str(col.type))
            if pa.types.is_list(col.type) and pa.types.is_string(col.type.value_type):
                sql_type = "VARCHAR[]"  # (a collect table's output not given: see compile_stages)
            if sql_type is not None and col.null_count == n:
                out[name] = sql_type
    return out


def _first(con, sql: str):
    """The main query's result (its own function: ``bench_duckdb.py`` times it)."""
    return _fetch_arrow(con.sql(sql))


def _second(con, sql: str):
    """The query of the tables after the clauses (timed apart, as ``_first``)."""
    return _fetch_arrow(con.sql(sql))


def _chunked(t):
    """``t`` in batches of at most ~1/4 of each core's share: DuckDB scans an
    Arrow table a batch per thread (one 1,000,000-row batch ran on one core)."""
    import os

    pa = require("pyarrow")
    threads = max(1, os.cpu_count() or 1)
    m = t.num_rows
    size = max(2048, min(122_880, -(-m // (4 * threads)) // 2048 * 2048 + 2048))
    return pa.Table.from_batches(t.to_batches(max_chunksize=size), t.schema)


def _run_side(con, sub, cols: List[str]):
    """``SELECT cols FROM sub`` (a ``pyarrow.Table``) → a ``pyarrow.Table``, rows in order."""
    pa = require("pyarrow")
    import threading

    import numpy as np

    q = dialect("duckdb").ident
    sub = sub.append_column(_ROW, pa.array(np.arange(sub.num_rows, dtype=np.int64)))
    name = f"__sr_side_{threading.get_ident()}"  # (one per thread: the lists run in threads)
    con.register(name, _chunked(sub))
    try:
        res = _fetch_arrow(con.sql(f"SELECT {', '.join(cols + [q(_ROW)])} FROM {q(name)} AS {q('__sr_side')}"))
    finally:
        con.unregister(name)
    if not _in_order(res.column(_ROW)):
        res = res.sort_by(_ROW)
    return res


def _valid(chunks, n: int):
    """Whether each row of a column (its chunks) is known, a numpy bool array
    (the validity bitmaps unpacked)."""
    import numpy as np

    out = np.ones(n, bool)
    at = 0
    for c in chunks:
        m = len(c)
        buf = c.buffers()[0]
        if buf is not None and c.null_count:
            first = c.offset // 8
            raw = np.frombuffer(buf, np.uint8)[first:first + (c.offset % 8 + m + 7) // 8]
            out[at:at + m] = np.unpackbits(raw, bitorder="little")[c.offset % 8: c.offset % 8 + m].view(bool)
        at += m
    return out


def _one(col):
    """A column as one Arrow array."""
    if not hasattr(col, "num_chunks"):
        return col
    return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)


def _side_columns(plan: Plan, table, con) -> Tuple[Dict[A.Node, str], List[Tuple[str, Any]]]:
    """The values of the side quantifiers over ``table`` →
    ``({node: column name}, [(column name, column)])``, the columns full
    length, in row order.

    Every body is computed once per item, as a plain column of one query
    over the list's items (:func:`_item_codes`: flattened with Arrow, only
    the struct fields the bodies read, with the outer facts they read
    repeated per item: no lambda), coded as the lambda form codes it
    (:func:`~safetyrules.backends.sql.side_expressions`), then reduced per
    row with numpy (the largest code decides ``any``, the smallest
    ``all``; a count is the sum, unknown if an item is; a ``sum`` is added
    left to right from 0, as the lambda's fold adds, so float sums agree
    bit for bit (:func:`_sum`); an empty list gives ``any`` false, ``all``
    true, count and sum 0; a null list stays unknown).  An integer sum
    that could overflow 64 bits keeps the lambda's fold in DuckDB, over
    only the rows where the list is known when it is sparse, scattered
    back to full length (a row left out has the list unknown, so the sum
    is unknown there, as the query would give)."""
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    import os

    import numpy as np

    n = table.num_rows
    q = dialect("duckdb").ident
    precomputed: Dict[A.Node, str] = {}
    extra: List[Tuple[str, Any]] = []

    def add_col(node, column) -> None:
        name = f"__sr_x{len(extra)}"
        precomputed[node] = name
        extra.append((name, column))

    def _one_list(k, src, nodes, con, add):
        if src not in table.column_names:  # pragma: no cover - read_table gives every input fact a column
            return
        chunks = table.column(src).chunks
        valid = _valid(chunks, n) if table.column(src).null_count else None
        # each row's code before its items: 1 (unknown) where the list is,
        # the empty list's where it is known (made once per default)
        bases: Dict[int, Any] = {}
        # each row's number of items (a null list has none, whatever its
        # offsets say: the items under it are left out, and so do the lengths here)
        lens = np.concatenate([np.diff(c.offsets.to_numpy()) for c in chunks]).astype(np.int64) if chunks \
            else np.zeros(0, np.int64)
        if valid is not None:
            lens[~valid] = 0
        rows = np.flatnonzero(lens)
        ends = np.cumsum(lens[rows])
        starts = ends - lens[rows]
        res = None
        if len(rows):
            res = _item_codes(plan, table, src, nodes, rows, lens, con)
        folded = []
        for j, node in enumerate(nodes):
            c = _one(res.column(f"__sr_b{j}")) if res is not None else None
            if node.kind == "sum":
                col = _sum(node, c, n, rows, starts, lens[rows], valid)
                if col is None:  # an integer sum that might overflow: DuckDB's own fold says
                    folded.append(node)
                else:
                    add(node, col)
            elif node.kind == "count":
                vals = np.zeros(n, np.int64)
                unknown = np.zeros(n, bool) if valid is None else ~valid
                if len(starts):
                    vals[rows] = np.add.reduceat(c.fill_null(0).to_numpy().astype(np.int64), starts)
                    if c.null_count:
                        bad = c.is_null().to_numpy(zero_copy_only=False).astype(np.int8)
                        unknown[rows] |= np.maximum.reduceat(bad, starts).astype(bool)
                add(node, numpy_array(vals, pa.int64(), unknown))
            else:
                # the code of each row: 1 (unknown) where the list is, the
                # empty list's (0 for any, 2 for all) where it is known,
                # the items' largest / smallest where it has items
                empty = 0 if node.kind == "any" else 2
                if empty not in bases:
                    bases[empty] = np.full(n, empty, np.int8) if valid is None else \
                        np.where(valid, np.int8(empty), np.int8(1))
                best = bases[empty].copy()
                if len(starts):
                    reduce = np.maximum if node.kind == "any" else np.minimum
                    best[rows] = reduce.reduceat(c.to_numpy().astype(np.int8), starts)
                add(node, numpy_array(best == 2, pa.bool_(), best == 1))
        if folded:
            reads = {src: None}
            for node in folded:
                reads.update(dict.fromkeys(p for p in A.fact_paths(node) if p != "as_of"))
            sub = table.select(list(reads))
            where = None
            if n - table.column(src).null_count <= _PACK_SHARE * n:
                where = np.flatnonzero(valid) if valid is not None else np.arange(n, dtype=np.int64)
                sub = sub.take(pa.array(where, pa.int64()))
            exprs = side_expressions(plan, folded)
            res = _run_side(con, sub, [f"{e} AS {q(f'__sr_f{k}')}" for k, e in enumerate(exprs)])
            if where is not None:
                # back to full length: the rows left out take a null index (null)
                pos = np.full(n, -1, np.int64)
                pos[where] = np.arange(len(where), dtype=np.int64)
                res = res.take(pa.array(pos, mask=pos < 0))
            for k, node in enumerate(folded):
                add(node, res.column(f"__sr_f{k}"))

    def one(task):
        k, src, nodes = task
        out: List[Tuple[A.Node, Any]] = []
        add = lambda node, column: out.append((node, column))  # noqa: E731
        cur = con.cursor()
        try:
            _one_list(k, src, nodes, cur, add)
        finally:
            cur.close()
        return out

    tasks = [(k, src, nodes) for k, (src, nodes) in enumerate(side_quantifiers(plan).items())]
    # the lists in threads (DuckDB and numpy release the GIL; a cursor each), kept in order
    if len(tasks) > 1 and (os.cpu_count() or 1) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1)) as pool:
            parts = list(pool.map(one, tasks))
    else:
        parts = [one(t) for t in tasks]
    for part in parts:
        for node, column in part:
            add_col(node, column)
    return precomputed, extra


def _item_codes(plan: Plan, table, src: str, nodes, rows, lens, con):
    """Each quantifier's body (its :func:`~safetyrules.backends.sql.side_expressions`
    item form) once per item of the list column ``src``: one query over the
    items of the rows ``rows`` (``lens`` items each; a null list's are left
    out), with the outer facts the bodies read repeated per item →
    ``pyarrow.Table`` of ``__sr_b{j}``, an item a row, in order.

    A list of structs goes to DuckDB with only the fields the bodies read
    (scanning a struct converts every field: the text ones cost most)."""
    pa = require("pyarrow")
    import numpy as np

    q = dialect("duckdb").ident
    chunks = table.column(src).chunks
    vtype = table.schema.field(src).type.value_type
    # the item fields the bodies read, and the outer facts (not the items' fields)
    fields: Dict[str, None] = {}
    whole = not pa.types.is_struct(vtype)
    reads: Dict[str, None] = {}
    for node in nodes:
        for p in A.fact_paths(node.body):
            head, _, rest = p.partition(".")
            if head == node.var:
                if rest and not whole:
                    fields[rest] = None
                else:
                    whole = True
            elif p != "as_of":
                reads[p] = None
    names = [f.name for f in vtype] if not whole else []
    if not whole and any(f not in names or names.count(f) > 1 for f in fields):
        whole = True  # (a field the data lacks, or twice: DuckDB says, as before)
    items: Dict[str, Any] = {}
    flat = [c.flatten() for c in chunks]
    if whole:
        items["__sr_it"] = pa.chunked_array(flat, vtype)
    elif fields:
        used = [f for f in names if f in fields]  # (the struct's own order)
        parts = []
        for v in flat:
            mask = v.is_null() if v.null_count else None
            parts.append(pa.StructArray.from_arrays([v.field(f) for f in used], names=used, mask=mask))
        items["__sr_it"] = pa.chunked_array(parts, pa.struct([vtype.field(f) for f in used]))
    if reads:
        idx = pa.array(np.repeat(rows, lens[rows]))
        items.update((r, table.column(r).take(idx)) for r in reads)
    total = int(lens.sum())
    sub = pa.table(items) if items else pa.table({"__sr_none": pa.nulls(total, pa.bool_())})
    codes = side_expressions(plan, nodes, f"{q('__sr_side')}.{q('__sr_it')}")
    return _run_side(con, sub, [f"{c} AS {q(f'__sr_b{j}')}" for j, c in enumerate(codes)])


def _sum(node, c, n: int, rows, starts, lens, valid):
    """A ``sum`` quantifier's column from its items' values ``c`` (the rows
    ``rows`` have ``lens`` items from ``starts``): added left to right from
    0, as the lambda form does (floats agree bit for bit), unknown where
    an item is or the list is; an empty list sums to 0.  None for an
    integer sum that could overflow 64 bits (DuckDB's fold raises there)."""
    pa = require("pyarrow")
    import numpy as np

    integer = bool(getattr(node.ty, "integer", False))
    dtype = np.int64 if integer else np.float64
    value = np.zeros(n, dtype)
    unknown = np.zeros(n, bool) if valid is None else ~valid
    if len(rows):
        v = c.fill_null(0).to_numpy().astype(dtype, copy=False)
        if integer and len(v) and float(np.add.reduceat(np.abs(v.astype(np.float64)), starts).max()) >= 2.0**62:
            return None
        acc = np.zeros(len(rows), dtype)
        order = np.argsort(-lens, kind="stable")
        by_len = lens[order]
        for step in range(int(by_len[0])):
            live = order[: int(np.searchsorted(-by_len, -step, side="left"))]
            acc[live] += v[starts[live] + step]
        value[rows] = acc
        if c.null_count:
            bad = c.is_null().to_numpy(zero_copy_only=False).astype(np.int8)
            unknown[rows] |= np.maximum.reduceat(bad, starts).astype(bool)
    return numpy_array(value, pa.int64() if integer else pa.float64(), unknown)


def _in_order(rows) -> bool:
    """Whether the row numbers ``0, 1, ...`` came back in order."""
    import numpy as np

    r = rows.to_numpy()
    return bool(np.array_equal(r, np.arange(len(r), dtype=r.dtype)))


def _fetch_arrow(result):
    """A DuckDB result as a ``pyarrow.Table`` (the method's name changed
    across DuckDB releases)."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        fn = getattr(result, name, None)
        if fn is not None:
            out = fn()
            return out.read_all() if hasattr(out, "read_all") else out
    raise BackendError("this DuckDB cannot return Arrow tables")  # pragma: no cover
