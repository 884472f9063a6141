"""Registry evaluation (SPEC §9): a whole table of entities graded at once.

:func:`evaluate_table` checks the input against the vocabulary
(:mod:`safetyrules.backends.columnar_io`), compiles the plan of the day for
the chosen backend and returns one result row per input row, in input
order: ``entity.id`` (when the input has it), ``level``, ``tier``,
``inspection``, ``major_hazard``, ``findings``, ``undetermined``.

Backends: ``python`` (the per-record engine, the reference), ``duckdb``
(the default: one SQL ``SELECT``), ``polars`` (lazy expressions) and
``spark`` (the Spark SQL of the same plan on a given ``SparkSession``).
Every backend must give what ``rules.evaluate(row, as_of)`` decides.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Iterator, Optional, Union

import os
from typing import Any, Dict, List, Mapping

from safetyrules.backends.columnar_io import ID_COLUMN, arrow_type, iter_tables, read_table, require, to_records
from safetyrules.engine.facts import check_facts
from safetyrules.errors import FactsError
from safetyrules.backends.columnar_result import assemble, result_schema
from safetyrules.backends.sql import BackendError, clause_keys, compile_select
from safetyrules.limits import parse_date

__all__ = ["evaluate_table", "evaluate_table_batches", "to_sql", "BACKENDS", "result_schema"]

BACKENDS = ("duckdb", "polars", "spark", "python")

_ROW = "__sr_row"


def _day(as_of) -> datetime.date:
    """``as_of`` as a date (default today), as ``rules.evaluate`` reads it."""
    if as_of is None:
        return datetime.date.today()
    if isinstance(as_of, datetime.datetime):
        return as_of.date()
    if isinstance(as_of, datetime.date):
        return as_of
    try:
        return parse_date(str(as_of))
    except ValueError:
        raise FactsError(f"as_of must be a date like 2024-03-01, got {as_of!r}", fact="as_of") from None


def to_sql(rules, dialect: str = "duckdb", table: str = "facts", as_of=None) -> str:
    """The rule set of one day (``as_of``, default today) as one SQL ``SELECT``
    over ``table``, which has a column per declared input fact (null where
    unknown; list facts as ``list<struct>``).  Dialects: ``duckdb``, ``spark``."""
    plan = rules.plan.specialise(_day(as_of))
    return compile_select(plan, dialect, table)


def evaluate_table(
    rules,
    data,
    backend: str = "duckdb",
    as_of=None,
    spark=None,
    progress: Optional[Callable[[int, int], None]] = None,
):
    """Grade every row of ``data`` (SPEC §9) → a ``pyarrow.Table`` (or, for a
    Spark DataFrame input on the ``spark`` backend, a Spark DataFrame).

    ``data``: a ``pyarrow.Table``, a polars or pandas DataFrame, a path to a
    ``.parquet``/``.csv``/``.jsonl`` file (or, with ``spark=``, a Spark
    DataFrame).  Raises :class:`~safetyrules.errors.FactsError` for a bad
    column or value and :class:`BackendError` for an unknown backend or a
    missing optional dependency.  ``progress(done, total)`` is called as rows
    are graded: after each batch of
    :data:`~safetyrules.backends.columnar_io.BATCH_ROWS` rows (the python
    backend also every 10,000 rows)."""
    parts = list(evaluate_table_batches(rules, data, backend=backend, as_of=as_of, spark=spark, progress=progress))
    if len(parts) == 1:
        return parts[0]
    return require("pyarrow").concat_tables(parts)


def evaluate_table_batches(
    rules,
    data,
    backend: str = "duckdb",
    as_of=None,
    spark=None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> Iterator[Any]:
    """:func:`evaluate_table` batch by batch: an iterator of result
    ``pyarrow.Table`` s (SPEC §9 schema), one per batch of input rows, in
    input order; together they are the rows of :func:`evaluate_table`.  A
    batch's result is made when the iterator is advanced, so a caller that
    writes each one and drops it holds one batch at a time (the CLI's
    ``--out`` does).  An unknown backend raises here; a bad column or value
    raises when its batch is reached (earlier batches were already given).
    The ``spark`` backend gives its whole result as one item."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend '{backend}' (choose from {', '.join(BACKENDS)})")
    day = _day(as_of)
    return _batches(rules, data, backend, day, spark, progress)


def _batches(rules, data, backend, day, spark, progress):
    plan = rules.plan.specialise(day)
    vocab = rules.plan.facts
    if backend == "spark":
        from safetyrules.backends.spark import evaluate_spark

        if spark is None:
            raise BackendError("the spark backend needs spark= a SparkSession")
        yield evaluate_spark(plan, vocab, _jsonl_or(data, vocab), spark)
        return
    _preload(backend)
    # in batches of BATCH_ROWS rows, in input order (a Parquet file read batch
    # by batch): memory is one batch's besides the results kept by the
    # caller; rows are graded independently, so the result is the same as at once
    total, batches = iter_tables(_jsonl_or(data, vocab), vocab)
    for start, raw in batches:
        table, has_id = read_table(raw, vocab, first_row=start)
        del raw
        if backend == "python":
            step = None if progress is None else (lambda done, _n, start=start: progress(start + done, total))
            part = _python(rules, table, has_id, day, step)
        elif backend == "duckdb":
            part = _duckdb(plan, table, has_id)
        else:
            from safetyrules.backends.polars import evaluate_polars

            part = evaluate_polars(plan, table, has_id)
        done = start + table.num_rows
        del table
        _release_unused()
        if progress is not None and backend != "python":
            progress(done, total)
        yield part
        del part


def _release_unused() -> None:
    """Give the C heap's free memory back to the system after a batch
    (glibc's ``malloc_trim``; elsewhere nothing).  A batch's temporaries
    (numpy, polars, Python objects) freed around the results kept so far
    stayed resident and were not all reused by the next batch: the peak RSS
    beyond the result grew ~250 MiB a 1 Mi-row batch (polars); with the trim
    ~70 (a 3 M-row registry in three batches, RSS after each batch).
    Arrow's own pool was not the cause (``release_unused`` there left the
    peak as it was)."""
    trim = _TRIM[0]
    if trim is None:
        trim = _TRIM[0] = _malloc_trim()
    if trim:
        trim(0)


def _malloc_trim():
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        fn = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return False
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


_TRIM: List[Any] = [None]


def _preload(backend: str) -> None:
    """In a fresh process, import polars and pandas (which ``pyarrow.array``
    imports on its first call) on a thread while the input is read (Arrow
    releases the GIL there); a failed import is reported later, where the
    module is needed."""
    import sys

    if backend != "polars" or ("polars" in sys.modules and "pandas" in sys.modules):
        return
    import threading

    def run() -> None:
        for name in ("polars", "pandas"):
            try:
                __import__(name)
            except Exception:  # pragma: no cover - require() names a missing extra
                pass

    threading.Thread(target=run, name="safetyrules-preload", daemon=True).start()


def _jsonl_or(data, vocab):
    """A ``.jsonl`` path read here (the per-record checks live in the engine);
    anything else goes to ``read_table`` as it is."""
    if isinstance(data, (str, os.PathLike)) and os.fspath(data).lower().endswith((".jsonl", ".ndjson")):
        path = os.fspath(data)
        if not os.path.exists(path):
            raise FactsError("cannot read registry: no such file", path=path)
        return read_jsonl(path, vocab)
    return data


def _duckdb(plan, table, has_id: bool):
    from safetyrules.backends.duckdb_backend import evaluate_duckdb

    return evaluate_duckdb(plan, table, has_id)


def _python(rules, table, has_id: bool, day, progress):
    """The reference: ``rules.evaluate`` of each row."""
    pa = require("pyarrow")
    declared_id = ID_COLUMN in rules.plan.facts
    cols = {k: [] for k in result_schema(has_id).names}
    total = table.num_rows
    for i, rec in enumerate(to_records(table, rules.plan.facts)):
        if has_id:
            cols[ID_COLUMN].append(rec.get(ID_COLUMN))
            if not declared_id:
                rec.pop(ID_COLUMN, None)
        row = decision_row(rules.evaluate(rec, as_of=day))
        for k, v in row.items():
            cols[k].append(v)
        if progress is not None and (i + 1) % 10000 == 0:
            progress(i + 1, total)
    if progress is not None:
        progress(total, total)
    schema = result_schema(has_id)
    return pa.Table.from_arrays([pa.array(cols[f.name], f.type) for f in schema], schema=schema)


def decision_row(decision) -> dict:
    """A :class:`Decision` as the registry columns (without ``entity.id``)."""
    found, undetermined = decision.clause_keys()
    return {
        "level": _text(decision.level),
        "tier": _text(decision.tier),
        "inspection": _text(decision.inspection),
        "major_hazard": decision.major_hazard,
        "findings": list(found),
        "undetermined": list(undetermined),
    }


def _text(v: Any) -> Optional[str]:
    # a bool decision fact as SQL and polars write it (CAST(true AS VARCHAR)
    # is 'true'), not Python's 'True': the same column on every backend
    if isinstance(v, bool):
        return "true" if v else "false"
    return None if v is None else str(v)


def _column_of(text: Optional[str], fact: Optional[str]) -> Optional[int]:
    """The column of ``fact`` (its key, or the nearest enclosing one) on a
    JSON Lines line, for the message's ``PATH:LINE:COL``; ``None`` when it
    cannot be found."""
    from safetyrules.engine.reader import line_positions

    if not fact:
        return None
    positions = line_positions(text)
    if not positions:
        return None
    index: Dict[str, Any] = {}
    for key, loc in positions.items():
        index.setdefault(".".join(str(x) for x in key), loc)
    want, base = fact.replace("]", "").replace("[", "."), fact.split("[", 1)[0]
    while want not in index and len(want) > len(base):
        want = want.rsplit(".", 1)[0]
    loc = index.get(want)
    if loc is None and "." in fact:  # given nested: {"entity": {"id": ...}}
        loc = index.get(fact)
    return getattr(loc, "column", None) if loc is not None and getattr(loc, "line", 1) == 1 else None


def read_jsonl(path: str, vocabulary):
    """JSON Lines: each line one entity (nested or dotted), checked as the
    per-record engine checks it; errors name the fact and the line.  Gives
    a ``pyarrow.Table`` for :func:`~safetyrules.backends.columnar_io.read_table`."""
    pa = require("pyarrow")

    rows: List[Dict[str, Any]] = []
    lines: List[int] = []
    keys: Dict[str, None] = {}
    from safetyrules.engine.reader import iter_jsonl_bytes

    # bytes: a line that is not UTF-8 is that line's E-ENCODING error (text
    # mode raised UnicodeDecodeError for the whole file); a BOM is dropped
    with open(path, "rb") as fh:
        for e in iter_jsonl_bytes(fh, path):
            n, data, error = e.line, e.facts, e.error
            if error is not None:
                error.path = path
                error.row = len(rows)  # the result row it would have been, 0-based
                raise error
            if not isinstance(data, Mapping):
                err = FactsError("each line must be a JSON object of facts", path=path, line=n)
                err.row = len(rows)
                raise err
            ident = None
            if isinstance(data, dict) and ID_COLUMN in data and ID_COLUMN not in vocabulary:
                data = dict(data)
                ident = data.pop(ID_COLUMN)
            try:
                rec = check_facts(data, vocabulary)
            except FactsError as err:
                err.path, err.line, err.row = path, n, len(rows)
                if err.column is None:
                    err.column = _column_of(e.text, err.fact)
                raise
            if ident is not None:
                rec[ID_COLUMN] = str(ident)
            rows.append(rec)
            lines.append(n)
            keys.update(dict.fromkeys(rec))
    cols, names = [], []
    for k in keys:
        spec = vocabulary.get(k)
        typ = arrow_type(spec) if spec is not None else pa.string()
        try:
            cols.append(pa.array([r.get(k) for r in rows], typ))
        except (OverflowError, pa.ArrowInvalid):
            # a value the per-record engine takes (an integer past 64 bits) that no column can hold
            for i, (r, n) in enumerate(zip(rows, lines)):
                try:
                    pa.array([r.get(k)], typ)
                except (OverflowError, pa.ArrowInvalid):
                    err = FactsError(f"fact '{k}' holds a number too large for a 64-bit column", fact=k,
                                     path=path, line=n)
                    err.row = i
                    raise err from None
            raise  # pragma: no cover - every row converts on its own
        names.append(k)
    if not names:
        return pa.table({"__sr_empty": pa.nulls(len(rows))}).drop(["__sr_empty"]) if rows else pa.table({})
    return pa.Table.from_arrays(cols, names=names)
