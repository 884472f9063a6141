"""Registry input for the columnar backends: any table → one checked Arrow table.

:func:`read_table` accepts a ``pyarrow.Table``, a polars or pandas DataFrame,
or a path to a ``.parquet``, ``.csv`` or ``.jsonl`` file, and returns a
``pyarrow.Table`` with one column for every declared input fact, typed by the
vocabulary (SPEC §9): ``bool``, ``int64`` (integers), ``float64`` (numbers),
``string`` (text and enums), ``date32``, and ``list<struct>`` with every
declared item field.  Null and NaN mean unknown; an absent column is an
all-null one.  Every check is vectorised (``pyarrow.compute``); the first
bad value is reported as a :class:`~safetyrules.errors.FactsError` naming the
column and the row (0-based, in input order).
"""

from __future__ import annotations

import datetime
import re
import json
import math
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

from safetyrules.dsl.types import FactSpec
from safetyrules.errors import FactsError
from safetyrules.limits import parse_date

__all__ = ["read_table", "iter_tables", "arrow_type", "input_facts", "ID_COLUMN", "to_records", "require", "BATCH_ROWS"]

ID_COLUMN = "entity.id"
_RESERVED = ("findings.", "as_of")


def require(module: str, extra: str = "registry"):
    """Import an optional dependency or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        from safetyrules.backends.sql import BackendError

        raise BackendError(
            f"this needs the optional package '{module.split('.')[0]}': pip install 'safetyrules[{extra}]'"
        ) from None


def input_facts(vocabulary: Mapping[str, FactSpec]) -> List[str]:
    """The declared facts an entity can give, sorted."""
    return sorted(n for n in vocabulary if not n.startswith(_RESERVED))


def arrow_type(spec: FactSpec):
    """The Arrow type a fact's column has after checking."""
    pa = require("pyarrow")
    t = spec.type
    if t == "bool":
        return pa.bool_()
    if t == "integer":
        return pa.int64()
    if t == "number":
        return pa.float64()
    if t in ("string", "enum"):
        return pa.string()
    if t == "date":
        return pa.date32()
    if t == "list" and not spec.item and spec.values:
        return pa.list_(pa.string())  # a list of enum values (entity.activities)
    if t == "list":
        fields = [(k, arrow_type(v)) for k, v in (spec.item or {}).items()]
        return pa.list_(pa.struct(fields))
    raise FactsError(f"fact type '{t}' has no column type")  # pragma: no cover


def _bad(name: str, row: Optional[int], msg: str, hint: Optional[str] = None) -> FactsError:
    where = f"column '{name}'" + (f", row {row}" if row is not None else "")
    err = FactsError(f"{where}: {msg}", fact=name, hint=hint)
    err.row = row
    return err


def _first(mask) -> Optional[int]:
    """Index of the first true value of a boolean array (nulls are false)."""
    pc = require("pyarrow.compute")
    if not pc.any(mask).as_py():  # one pass over the bits; the index only when needed
        return None
    idx = pc.index(pc.fill_null(mask, False), True).as_py()
    return None if idx is None or idx < 0 else idx


def _show(arr, i: int) -> str:
    v = arr[i].as_py()
    return repr(v)


def _kind(typ) -> str:
    pa = require("pyarrow")
    if pa.types.is_null(typ):
        return "null"
    if pa.types.is_boolean(typ):
        return "bool"
    if pa.types.is_integer(typ):
        return "int"
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "float"
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return "string"
    if pa.types.is_dictionary(typ):
        return "dict"
    if pa.types.is_date(typ):
        return "date"
    if pa.types.is_timestamp(typ):
        return "timestamp"
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_list_view(typ) or \
            pa.types.is_large_list_view(typ):
        return "list"
    return str(typ)


def check_array(arr, spec: FactSpec, name: str, rows=None):
    """One column checked and converted to :func:`arrow_type` of ``spec``.

    ``rows`` maps an index of ``arr`` to the input row (for list item fields)."""
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    row0 = (lambda i: i) if rows is None else rows
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks > 1:
            # chunk by chunk (no copy of the whole column); on a bad value the
            # whole column again, so the error is the one the column gives
            try:
                done, base = [], 0
                for chunk in arr.chunks:
                    at = base
                    done.append(check_array(chunk, spec, name, (lambda i, at=at: row0(at + i))))
                    base += len(chunk)
                return pa.chunked_array(done, arrow_type(spec))
            except FactsError:
                pass
            arr = arr.combine_chunks()
        else:
            arr = arr.chunk(0) if arr.num_chunks else pa.array([], arrow_type(spec))
    target = arrow_type(spec)
    kind = _kind(arr.type)
    row = (lambda i: i) if rows is None else rows

    def fail(mask, msg_of) -> None:
        i = _first(mask)
        if i is not None:
            raise _bad(name, row(i), msg_of(i))

    if kind == "null":
        return pa.nulls(len(arr), target)
    in_values = False  # the enum's values already checked (on a dictionary)
    if kind == "dict":
        if spec.type == "enum" and _kind(arr.type.value_type) == "string":
            # each distinct value once (an enum read as a dictionary: a
            # handful of entries), then the rows of the bad ones only
            _check_enum_dictionary(arr, spec, name, row)
            in_values = True
        arr = arr.dictionary_decode()
        kind = _kind(arr.type)
        if kind == "null":  # a dictionary of no entries (a pandas category column all missing)
            return pa.nulls(len(arr), target)
    t = spec.type
    if kind == "float" and t not in ("integer", "number") and pa.types.is_floating(arr.type):
        # a column with no value at all is float64 NaN in pandas (read_csv of an
        # empty column): NaN is unknown, so every row is unknown, as evaluate takes it
        if pc.all(pc.or_kleene(pc.is_null(arr), pc.is_nan(arr))).as_py() is not False:
            return pa.nulls(len(arr), target)
    if t == "bool":
        if kind != "bool":
            raise _bad(name, None, f"must be true or false (a bool column), not {arr.type}")
        return arr
    if t in ("integer", "number"):
        if kind not in ("int", "float"):
            raise _bad(name, None, f"must be numbers, not {arr.type}")
        if arr.null_count == len(arr):
            return pa.nulls(len(arr), target)  # nothing to check (a fact never given)
        if kind == "float":
            if arr.type != pa.float64():
                arr = arr.cast(pa.float64())
            # NaN is unknown (pandas' missing value); inf is refused, as per record
            if arr.null_count < len(arr) and pc.any(pc.is_nan(arr)).as_py():
                arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.float64()), arr)
            # an element-wise mask and any() (~1.5 ms per million values)
            # rather than min_max (~15-20 ms with nulls): the same rows found
            fail(pc.is_inf(arr), lambda i: f"must be a finite number, got {_show(arr, i)}")
            if t == "integer":
                fail(pc.not_equal(pc.floor(arr), arr), lambda i: f"must be a whole number, got {_show(arr, i)}")
                # an integral float past int64 would wrap in the unchecked cast
                # (1e19 -> -2**63): refused, as a Python int past 64 bits is
                fail(pc.or_(pc.greater_equal(arr, 2.0**63), pc.less(arr, -(2.0**63))),
                     lambda i: f"holds a number too large for a 64-bit column, got {_show(arr, i)}")
                arr = arr.cast(pa.int64(), safe=False)
        elif t == "integer":
            if arr.type == pa.uint64():
                fail(pc.greater(arr, pa.scalar(2**63 - 1, pa.uint64())),
                     lambda i: f"holds a number too large for a 64-bit column, got {_show(arr, i)}")
            if arr.type != pa.int64():
                arr = arr.cast(pa.int64())
        elif arr.type != pa.float64():
            # integers past 2**53 round to the nearest float (a checked cast
            # raises ArrowInvalid for them)
            arr = arr.cast(pa.float64(), safe=not pa.types.is_integer(arr.type))
        # below the minimum anywhere, then above the maximum (a mask and any():
        # several times cheaper than min_max; the index only when there is one)
        if spec.min is not None:
            fail(pc.less(arr, spec.min), lambda i: f"must be at least {spec.min}, got {_show(arr, i)}")
        if spec.max is not None:
            fail(pc.greater(arr, spec.max), lambda i: f"must be at most {spec.max}, got {_show(arr, i)}")
        return arr if arr.type == target else arr.cast(target)
    if t in ("string", "enum"):
        if kind != "string":
            raise _bad(name, None, f"must be text, not {arr.type}")
        if arr.type != pa.string():
            arr = arr.cast(pa.string())
        if t == "enum" and not in_values:
            values = pa.array(list(spec.values or ()), pa.string())
            hits = pc.is_in(arr, value_set=values)
            i = None
            if (pc.sum(hits).as_py() or 0) != len(arr) - arr.null_count:
                i = _first(pc.and_(pc.invert(hits), pc.is_valid(arr)))
            if i is not None:
                raise _not_a_value(name, row(i), arr[i].as_py(), spec)
        return arr
    if t == "date":
        if kind == "date":
            if pa.types.is_date64(arr.type):
                # milliseconds: a value within a day is a date and time (the
                # cast would raise ArrowInvalid)
                ms = arr.cast(pa.int64())
                fail(pc.not_equal(pc.multiply(pc.divide(ms, 86_400_000), 86_400_000), ms),
                     lambda i: "must be a date, not a date and time, got "
                     f"{_show(ms.cast(pa.timestamp('ms')), i)}")
                return _date_range(ms.cast(pa.timestamp("ms")).cast(pa.date32()), fail)
            return _date_range(arr.cast(pa.date32()), fail)
        if kind == "timestamp":
            if arr.type.tz is not None:
                raise _bad(name, None, "must be dates, not timestamps with a time zone")
            day = pc.floor_temporal(arr, unit="day")
            fail(pc.not_equal(day, arr), lambda i: f"must be a date, not a date and time, got {_show(arr, i)}")
            return _date_range(arr.cast(pa.date32()), fail)
        if kind == "string":
            out = []
            for i, v in enumerate(arr.to_pylist()):
                if v is None:
                    out.append(None)
                    continue
                try:
                    out.append(parse_date(v))
                except ValueError:
                    raise _bad(name, row(i), f"must be a date like 2024-03-01, got {v!r}") from None
            return pa.array(out, pa.date32())
        raise _bad(name, None, f"must be dates, not {arr.type}")
    if t == "list":
        return _check_list(arr, spec, name, row, kind)
    raise _bad(name, None, f"has an unsupported type {t}")  # pragma: no cover


def _not_a_value(name: str, row: int, v, spec: FactSpec) -> FactsError:
    import difflib

    close = difflib.get_close_matches(str(v), list(spec.values or ()), n=1, cutoff=0.7)
    return _bad(
        name,
        row,
        f"has value {v!r}, not one of: {', '.join(spec.values or ())}",
        f"did you mean '{close[0]}'?" if close else None,
    )


def _check_enum_dictionary(arr, spec: FactSpec, name: str, row) -> None:
    """An enum column as a dictionary array: its entries against the values,
    then (only when one is not a value) the first row using a bad entry, the
    row and error :func:`check_array` gives the decoded column."""
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    entries = arr.dictionary
    if entries.type != pa.string():
        entries = entries.cast(pa.string())
    values = pa.array(list(spec.values or ()), pa.string())
    bad = pc.and_(pc.invert(pc.is_in(entries, value_set=values)), pc.is_valid(entries))
    if not pc.any(bad).as_py():
        return
    wrong = pc.indices_nonzero(bad).cast(arr.indices.type)
    i = _first(pc.is_in(arr.indices, value_set=wrong))
    if i is not None:
        raise _not_a_value(name, row(i), arr[i].as_py(), spec)


def _check_list(arr, spec: FactSpec, name: str, row, kind: str):
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    import numpy as np

    target = arrow_type(spec)
    if kind != "list":
        raise _bad(name, None, f"must be a list of items (list<struct>), not {arr.type}")
    if pa.types.is_list_view(arr.type) or pa.types.is_large_list_view(arr.type):
        # pyarrow's cast of a list view to a list makes an invalid array: the
        # items in row order (list_flatten follows the views) and their offsets
        lengths = pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
        offs = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), pa.int32())
        arr = pa.ListArray.from_arrays(offs, pc.list_flatten(arr), mask=pc.is_null(arr) if arr.null_count else None)
    elif not isinstance(arr, pa.ListArray):
        arr = arr.cast(pa.list_(arr.type.value_type))
    offsets = arr.offsets  # int32, as sliced (no copy)
    clean = len(offsets) > 0
    if clean:
        first, last = offsets[0].as_py(), offsets[len(offsets) - 1].as_py()
    if clean and arr.null_count:
        # no null list spans items (Arrow allows it) when the valid lists'
        # lengths add up to the whole span (one kernel, ~4x cheaper than
        # comparing the offsets under the nulls)
        clean = (pc.sum(pc.list_value_length(arr)).as_py() or 0) == last - first
    np_starts = None
    if clean:
        # null lists hold no items: the offsets index the items directly
        values = arr.values.slice(first, last - first)
        if first or offsets.offset:
            offsets = pc.subtract(offsets, pa.scalar(first, pa.int32()))
    else:
        values = arr.flatten()  # items of the non-null lists, in order
        lengths = pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
        np_starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        offsets = pa.array(np_starts, pa.int32())

    def starts_of():
        # the item offsets as numpy, made only to name a bad item's row
        nonlocal np_starts
        if np_starts is None:
            np_starts = np.asarray(offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
        return np_starts

    def item_row(j: int) -> int:
        return row(int(np.searchsorted(starts_of(), j, side="right") - 1))

    fields = spec.item or {}
    vkind = _kind(values.type)
    if not fields and spec.values:
        # a list of enum values: the items are checked as the enum
        if values.null_count:
            raise _bad(name, item_row(_first(pc.is_null(values))), "list items must be values, got None")
        items = check_array(values, FactSpec("enum", values=spec.values), name, item_row)
        return pa.ListArray.from_arrays(
            offsets, items, type=target, mask=pc.is_null(arr) if arr.null_count else None
        )
    if vkind == "null":
        if len(values):
            raise _bad(name, item_row(0), "list items must be mappings of fields, got None")
        children = [pa.nulls(0, arrow_type(fs)) for fs in fields.values()]
    else:
        if not pa.types.is_struct(values.type):
            raise _bad(name, None, f"must be a list of items (list<struct>), not {arr.type}")
        if values.null_count:
            j = _first(pc.is_null(values))
            starts = starts_of()
            raise _bad(name, item_row(j), f"item {j - starts[np.searchsorted(starts, j, side='right') - 1]} "
                       "must be a mapping of fields, got None")
        present = {values.type.field(i).name: i for i in range(values.type.num_fields)}
        for k in present:
            if k not in fields:
                import difflib

                close = difflib.get_close_matches(k, list(fields), n=1, cutoff=0.7)
                raise _bad(
                    name,
                    None,
                    f"field '{k}' is not a declared field of '{name}' items",
                    f"did you mean '{close[0]}'?" if close else (f"fields: {', '.join(fields)}" if fields else None),
                )
        children = []
        same = clean and arr.type == target
        for k, fs in fields.items():
            if k in present:
                child = values.field(present[k])
                checked = check_array(child, fs, f"{name}[].{k}", item_row)
                same = same and checked is child
                children.append(checked)
            else:
                children.append(pa.nulls(len(values), arrow_type(fs)))
        if same:
            return arr  # every item field already as checked: the column as given
    struct = pa.StructArray.from_arrays(children, fields=list(target.value_type))
    mask = pc.is_null(arr)
    return pa.ListArray.from_arrays(offsets, struct, type=target, mask=mask if arr.null_count else None)


# the days of datetime.date.min and .max from 1970-01-01: a date32 column
# holds any int32, which no date fact (nor the python backend) can take
_DAY_MIN, _DAY_MAX = -719_162, 2_932_896


def _date_range(arr, fail):
    """``arr`` (date32), refused at its first day before year 1 or after 9999."""
    if arr.null_count < len(arr):
        pa = require("pyarrow")
        pc = require("pyarrow.compute")
        days = arr.cast(pa.int32())
        fail(pc.or_(pc.less(days, _DAY_MIN), pc.greater(days, _DAY_MAX)),
             lambda i: f"must be a date in the years 1 to 9999, got day {days[i].as_py()} from 1970-01-01")
    return arr


def _pandas_dates(values: List[Any], name: str):
    """An object column of a date fact holding ``datetime.date`` values and
    ISO text (which pyarrow cannot make one column of): each value as the
    per-record engine takes it, an error naming the first bad row."""
    pa = require("pyarrow")
    import numpy as np
    import pandas as pd

    out = []
    for i, v in enumerate(values):
        if isinstance(v, np.datetime64):
            v = pd.Timestamp(v)
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, datetime.datetime):
            if v.tzinfo is not None:
                raise _bad(name, i, f"must be a date, not a date and time with a time zone, got {v!r}")
            if v.time() != datetime.time(0):
                raise _bad(name, i, f"must be a date, not a date and time, got {v!r}")
            out.append(v.date())
        elif isinstance(v, datetime.date):
            out.append(v)
        elif isinstance(v, str):
            try:
                out.append(parse_date(v))
            except ValueError:
                raise _bad(name, i, f"must be a date like 2024-03-01, got {v!r}") from None
        else:
            raise _bad(name, i, f"must be a date like 2024-03-01, got {v!r}")
    return pa.array(out, pa.date32())


def _from_pandas(df, vocabulary: Optional[Mapping[str, FactSpec]] = None):
    pa = require("pyarrow")
    names = list(df.index.names)
    if all(isinstance(n, str) for n in names) and not set(names) & set(map(str, df.columns)):
        # a named index (df.set_index("entity.id")) is a column of facts, as
        # it was before set_index; an unnamed one is only row labels
        df = df.reset_index()
    if len(df.columns) == 0:  # from_pandas would drop the rows: every fact unknown, one row each
        return pa.table({"_": pa.nulls(len(df))}).drop_columns(["_"])
    dup = df.columns[df.columns.duplicated()]
    if len(dup):
        raise _bad(str(dup[0]), None, "is given twice")
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except OverflowError:
        # an object column holding a Python integer past 64 bits: find it
        for col in df.columns:
            for i, v in enumerate(df[col].tolist()):
                if isinstance(v, int) and not isinstance(v, bool) and not -(1 << 63) <= v < (1 << 63):
                    raise _bad(str(col), i, "holds a number too large for a 64-bit column") from None
        raise FactsError("cannot read the DataFrame: a number too large for a 64-bit column") from None
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        # a mixed object column (or one Arrow has no type for): find which one;
        # a date fact's column of dates and ISO text is read value by value
        dates = {}
        for col in df.columns:
            try:
                pa.array(df[col], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as one:
                spec = (vocabulary or {}).get(str(col))
                if spec is not None and spec.type == "date" and df[col].dtype == object:
                    dates[col] = _pandas_dates(df[col].tolist(), str(col))
                    continue
                why = "values of mixed types" if isinstance(one, (pa.ArrowInvalid, pa.ArrowTypeError)) \
                    else f"has a type no column holds ({df[col].dtype})"
                raise _bad(str(col), None, f"{why} ({one})") from None
        if dates:
            rest = _from_pandas(df.drop(columns=list(dates)), vocabulary)
            names = [str(c) for c in df.columns]
            cols = [dates[c] if c in dates else rest.column(str(c)) for c in df.columns]
            return pa.Table.from_arrays(cols, names=names)
        raise FactsError(f"cannot read the DataFrame: {exc}") from None


def to_arrow(data, vocabulary: Mapping[str, FactSpec]):
    """Any supported input as a ``pyarrow.Table`` (not yet checked)."""
    pa = require("pyarrow")
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, (str, os.PathLike)):
        return _read_path(os.fspath(data), vocabulary)
    mod = type(data).__module__.split(".")[0]
    if mod == "polars":
        if hasattr(data, "collect") and not hasattr(data, "to_arrow"):
            data = data.collect()
        try:
            return data.to_arrow()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            # a dtype pyarrow cannot import (polars' Int128): name the column
            for name in data.columns:
                try:
                    data.select(name).to_arrow()
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    raise _bad(name, None, f"has a type no column holds ({data.schema[name]}: {exc})") from None
            raise FactsError(f"cannot read the DataFrame: {exc}") from None
    if mod == "pandas":
        return _from_pandas(data, vocabulary)
    raise FactsError(
        f"registry data must be a pyarrow Table, a polars or pandas DataFrame or a path, got {type(data).__name__}"
    )


def _read_path(path: str, vocabulary: Mapping[str, FactSpec]):
    pa = require("pyarrow")
    low = path.lower()
    if not os.path.exists(path):
        raise FactsError(f"cannot read registry: no such file", path=path)
    try:
        if low.endswith(".parquet"):
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).read()  # not read_table: no pyarrow.dataset, no pandas
        if low.endswith(".csv"):
            return _read_csv(path, vocabulary)
        if low.endswith((".jsonl", ".ndjson")):
            raise FactsError("JSON Lines registries are read by safetyrules.engine.table", path=path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FactsError(f"cannot read registry: {exc}", path=path) from None
    raise FactsError("registry files are .parquet, .csv or .jsonl", path=path)


def _read_csv(path: str, vocabulary: Mapping[str, FactSpec]):
    """CSV typed by the vocabulary: every cell read as text (an empty cell is
    null), then converted by the fact's type; list facts hold JSON text."""
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    from pyarrow import csv

    head = csv.read_csv(path, read_options=csv.ReadOptions(block_size=1 << 16), parse_options=None)
    names = head.column_names
    seen = set()
    for n in names:
        if n in seen:
            raise _bad(n, None, "is given twice")
        seen.add(n)
    types = {n: pa.string() for n in names}
    # one column: an empty line is a null cell (polars', pyarrow's and
    # DuckDB's CSV writers write it so, and polars and DuckDB read it back
    # as a row); with several columns a blank line holds no row
    raw = csv.read_csv(
        path,
        parse_options=csv.ParseOptions(ignore_empty_lines=len(names) != 1),
        convert_options=csv.ConvertOptions(
            column_types=types, strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True
        ),
    )
    cols = []
    for n in names:
        spec = vocabulary.get(n)
        col = raw.column(n).combine_chunks() if raw.num_rows else pa.array([], pa.string())
        if spec is None:
            cols.append(col)
            continue
        cols.append(_csv_column(col, spec, n))
    return pa.Table.from_arrays(cols, names=names)


#: the number text a CSV cell of a number or integer fact may hold: a JSON or
#: YAML 1.2 number (``3``, ``+3``, ``3.0``, ``.5``, ``1e2``), and the NaN and
#: infinity words Arrow's own cast reads (NaN is unknown, infinities are refused
#: afterwards as for every column)
_NUMBER_TEXT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z|(?i:[-+]?(?:nan|inf|infinity))\Z")


def _csv_column(col, spec: FactSpec, name: str):
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    t = spec.type
    if t == "bool":
        ok = pc.or_(pc.is_in(col, value_set=pa.array(["true", "false"])), pc.is_null(col))
        i = _first(pc.invert(ok))
        if i is not None:
            raise _bad(name, i, f"must be true or false, got {col[i].as_py()!r}")
        return pc.equal(col, "true")
    if t in ("integer", "number"):
        try:
            if t == "number":
                return col.cast(pa.float64())
            ints = col.cast(pa.int64())
            # Arrow's cast also reads hexadecimal (0x10): no number of JSON or YAML
            if not (pc.any(pc.match_substring(col, "x")).as_py() or pc.any(pc.match_substring(col, "X")).as_py()):
                return ints
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        out = []
        for i, v in enumerate(col.to_pylist()):
            # a number as JSON and YAML write it, in ASCII: not what Python's
            # float() reads besides (1_000, ' 12', Arabic-Indic or full-width digits)
            if v is not None and not _NUMBER_TEXT.match(v):
                raise _bad(name, i, f"must be a number, got {v!r}")
            out.append(None if v is None else float(v))
        return pa.array(out, pa.float64())
    if t == "list":
        out = []
        for i, v in enumerate(col.to_pylist()):
            try:
                out.append(None if v is None else json.loads(v))
            except ValueError:
                raise _bad(name, i, f"must be a JSON list of items, got {v!r}") from None
        return _python_column(out, spec, name)
    return col  # text, enums and dates are checked from text


def _json_item_value(x: Any, fs: FactSpec, where: str, row: int) -> Any:
    """One JSON value of a list item's field (a CSV cell), checked by the field's
    type before pyarrow sees it: pyarrow would take ``true`` as 1.0 or truncate
    11.5 to 11, and cannot read an ISO date text.  Values and bounds are
    checked afterwards, on the column."""
    t = fs.type
    if t in ("integer", "number"):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise _bad(where, row, f"must be a number, got {x!r}")
        if t == "integer" and isinstance(x, float):
            if not x.is_integer():
                raise _bad(where, row, f"must be a whole number, got {x!r}")
            return int(x)
        if isinstance(x, int) and not -(1 << 63) <= x < (1 << 63):
            raise _bad(where, row, "holds a number too large for a 64-bit column")
        return x
    if t == "bool":
        if not isinstance(x, bool):
            raise _bad(where, row, f"must be true or false, got {x!r}")
        return x
    if t in ("string", "enum"):
        if not isinstance(x, str):
            raise _bad(where, row, f"must be text, got {x!r}")
        return x
    if t == "date":
        if isinstance(x, str):
            try:
                return parse_date(x)
            except ValueError:
                pass
        raise _bad(where, row, f"must be a date like 2024-03-01, got {x!r}")
    return x


def _python_column(values: List[Any], spec: FactSpec, name: str):
    """JSON values of one list fact (CSV cells) as an Arrow column of its type;
    item fields the vocabulary does not declare are an error."""
    pa = require("pyarrow")
    fields = spec.item or {}
    for i, v in enumerate(values):
        if v is None:
            continue
        if not isinstance(v, list):
            raise _bad(name, i, f"must be a JSON list of items, got {v!r}")
        for j, item in enumerate(v):
            if fields and not isinstance(item, dict):
                raise _bad(name, i, f"list items must be mappings of fields, got {item!r}")
            for k in item if fields else ():
                if k not in fields:
                    raise _bad(name, i, f"field '{k}' is not a declared field of '{name}' items")
                x = item[k]
                if x is not None:
                    y = _json_item_value(x, fields[k], f"{name}[].{k}", i)
                    if y is not x:
                        v[j] = item = dict(item)
                        item[k] = y
    try:
        return pa.array(values, arrow_type(spec))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _bad(name, None, f"values do not fit the fact's type ({exc})") from None


def read_table(data, vocabulary: Mapping[str, FactSpec], first_row: int = 0) -> Tuple[Any, bool]:
    """``data`` checked against ``vocabulary`` → ``(table, has_id)``.

    The table has a column per declared input fact (typed, in sorted order),
    ``entity.id`` first when the input had it (kept as text even when the
    vocabulary does not declare it).  Raises :class:`FactsError`; its row
    counts from ``first_row`` (``data`` a batch of a larger input)."""
    pa = require("pyarrow")
    raw = to_arrow(data, vocabulary)
    labels = _pandas_row_labels(raw.schema)
    if labels:
        raw = raw.drop_columns(labels)
    rows = (lambda i: first_row + i) if first_row else None
    names = raw.column_names
    seen = set()
    for n in names:
        if n in seen:
            raise _bad(n, None, "is given twice")
        seen.add(n)
        if n.startswith(_RESERVED):
            raise _bad(n, None, f"'{n}' is computed by the engine and cannot be given as a fact")
        if n not in vocabulary and n != ID_COLUMN:
            import difflib

            close = difflib.get_close_matches(n, list(vocabulary), n=1, cutoff=0.7)
            raise _bad(n, None, f"unknown fact '{n}'", f"did you mean '{close[0]}'?" if close else None)
    nrows = raw.num_rows
    cols, out_names = [], []
    has_id = ID_COLUMN in names
    if has_id:
        col = raw.column(ID_COLUMN)
        spec = vocabulary.get(ID_COLUMN) or FactSpec(type="string")
        if _kind(col.type) in ("int",):
            col = col.cast(pa.string())
        cols.append(check_array(col, spec, ID_COLUMN, rows))
        out_names.append(ID_COLUMN)
    given = [n for n in input_facts(vocabulary) if n != ID_COLUMN and n in seen]

    def check(name):
        try:
            return check_array(raw.column(name), vocabulary[name], name, rows)
        except FactsError as exc:
            return exc

    if nrows >= _PARALLEL_ROWS and len(given) > 1:
        # Arrow's kernels release the GIL: the columns are checked on every
        # core; the error raised is the first column's, as in order
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            checked = dict(zip(given, pool.map(check, given)))
    else:
        checked = {}
        for name in given:
            checked[name] = check(name)
            if isinstance(checked[name], FactsError):
                break
    for name in input_facts(vocabulary):
        if name == ID_COLUMN:
            continue
        spec = vocabulary[name]
        if name in seen:
            got = checked[name]
            if isinstance(got, FactsError):
                raise got
            cols.append(got)
        else:
            cols.append(pa.nulls(nrows, arrow_type(spec)))
        out_names.append(name)
    return pa.Table.from_arrays(cols, names=out_names), has_id


def _pandas_row_labels(schema) -> List[str]:
    """The columns of an Arrow schema that hold a pandas frame's unnamed index
    (``__index_level_0__``, as ``DataFrame.to_parquet`` and
    ``pa.Table.from_pandas`` store an index that is not a range): only row
    labels, as the frame's own index is (:func:`_from_pandas`).  A named
    index is a column of facts, as it is for the frame."""
    import re

    meta = schema.metadata or {}
    text = meta.get(b"pandas")
    if not text:
        return []
    try:
        index = json.loads(text).get("index_columns") or []
    except (ValueError, AttributeError, TypeError):
        return []
    names = set(schema.names)
    return [n for n in index if isinstance(n, str) and n in names and re.fullmatch(r"__index_level_\d+__", n)]


#: from this many rows the columns are checked in parallel
_PARALLEL_ROWS = 1 << 16

#: rows read, checked and graded at a time: a registry of any size needs the
#: memory of one batch besides its result
BATCH_ROWS = 1 << 20


def iter_tables(data, vocabulary: Mapping[str, FactSpec], batch_rows: Optional[int] = None):
    """``data`` (as :func:`read_table` takes it) in batches of at most
    ``batch_rows`` rows (default :data:`BATCH_ROWS`), in input order →
    ``(total rows, iterator of (first row, unchecked pyarrow.Table))``.

    A Parquet file is read batch by batch (whole row groups, or slices of a
    row group larger than a batch), so only one batch of it is in memory at
    a time; a table in memory is sliced (no copy).  There is always at
    least one batch (an empty input gives one empty table)."""
    pa = require("pyarrow")
    size = batch_rows or BATCH_ROWS
    if isinstance(data, (str, os.PathLike)) and os.fspath(data).lower().endswith(".parquet"):
        path = os.fspath(data)
        if not os.path.exists(path):
            raise FactsError("cannot read registry: no such file", path=path)
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            total = pf.metadata.num_rows
            pf = _with_dictionaries(pf, path, vocabulary)
        except (pa.ArrowInvalid, OSError) as exc:
            raise FactsError(f"cannot read registry: {exc}", path=path) from None
        if total <= size:
            return total, iter([(0, _read_parquet(pf, path))])
        return total, _parquet_batches(pf, path, size)
    raw = to_arrow(data, vocabulary)
    total = raw.num_rows
    if total <= size:
        return total, iter([(0, raw)])
    return total, ((start, raw.slice(start, size)) for start in range(0, total, size))


def _read_parquet(pf, path: str):
    """The whole file (``ParquetFile.read``: the same table as
    ``pq.read_table``, without importing ``pyarrow.dataset`` and pandas,
    half a second of a fresh process)."""
    pa = require("pyarrow")
    try:
        return _read_groups(pf, None, path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FactsError(f"cannot read registry: {exc}", path=path) from None


def _leaf_counts(typ) -> int:
    """How many Parquet leaf columns an Arrow type is stored as."""
    pa = require("pyarrow")
    if pa.types.is_struct(typ):
        return sum(_leaf_counts(typ.field(i).type) for i in range(typ.num_fields))
    if pa.types.is_map(typ):
        return _leaf_counts(typ.key_type) + _leaf_counts(typ.item_type)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
        return _leaf_counts(typ.value_type)
    return 1


def _flat_leaves(pf) -> List[Tuple[str, int]]:
    """``(name, leaf column index)`` of the flat top-level columns of a
    Parquet file (not nested, not dictionary or extension types); empty when
    the names are not unique or the Arrow schema does not match the leaves."""
    pa = require("pyarrow")
    md = pf.metadata
    schema = pf.schema_arrow
    if len(set(schema.names)) != len(schema.names):
        return []
    leaf, flat = 0, []
    for field in schema:
        n = _leaf_counts(field.type)
        typ = field.type
        if n == 1 and not pa.types.is_nested(typ) and not pa.types.is_dictionary(typ) and \
                not isinstance(typ, pa.BaseExtensionType):
            flat.append((field.name, leaf))
        leaf += n
    if leaf != md.num_columns:
        return []
    for name, i in flat:
        col = md.schema.column(i)
        if col.path != name or col.max_repetition_level != 0:
            return []  # not the leaf expected
    return flat


def _with_dictionaries(pf, path: str, vocabulary: Mapping[str, FactSpec]):
    """The file opened again (its metadata reused) to read the enum facts'
    text columns as dictionaries where every chunk is dictionary-encoded:
    the indices are decoded, not the text, and the values are checked once
    per distinct entry (:func:`_check_enum_dictionary`); the checked column
    is the same text column."""
    pa = require("pyarrow")
    import pyarrow.parquet as pq

    md = pf.metadata
    if md.num_rows < _DICT_ROWS or md.num_row_groups > _STATS_GROUPS:
        return pf
    schema = pf.schema_arrow
    names = []
    for name, i in _flat_leaves(pf):
        spec = vocabulary.get(name)
        if spec is None or spec.type != "enum" or schema.field(name).type != pa.string():
            continue
        if all(md.row_group(g).column(i).has_dictionary_page for g in range(md.num_row_groups)):
            names.append(name)
    if not names:
        return pf
    return pq.ParquetFile(path, read_dictionary=names, metadata=md)


#: files of fewer rows keep their enums as text (dictionaries save nothing)
_DICT_ROWS = 1 << 16


def _null_columns(pf, groups) -> List[str]:
    """The flat top-level columns whose every chunk in ``groups`` (all row
    groups when None) is all null by the file's statistics (``null_count``
    equal to the chunk's values and rows): there is nothing to decode, a
    typed null column is the same.  Common where a registry is written per
    sector or per district (the facts of other sectors are never given).
    Empty when the file's schema cannot be matched to its leaf columns."""
    md = pf.metadata
    if md.num_row_groups == 0:
        return []
    groups = range(md.num_row_groups) if groups is None else groups
    flat = _flat_leaves(pf)
    if len(groups) > _STATS_GROUPS:
        return []  # many small row groups: the statistics cost more than they save
    for g in groups:
        rg = md.row_group(g)
        keep = []
        for name, i in flat:
            chunk = rg.column(i)
            st = chunk.statistics if chunk.is_stats_set else None
            if st is not None and st.has_null_count and st.null_count == chunk.num_values == rg.num_rows:
                keep.append((name, i))
        flat = keep
        if not flat:
            break
    return [name for name, _ in flat]


#: row groups of one read beyond which their statistics are not looked at
_STATS_GROUPS = 256


def _read_groups(pf, groups, path: Optional[str] = None):
    """Row groups ``groups`` of a Parquet file (all when None) as one table,
    as ``ParquetFile.read``/``read_row_groups`` gives it, the all-null flat
    columns (:func:`_null_columns`) made as typed nulls instead of decoded,
    and (:func:`_polars_columns`) the other flat bool, int64 and float64
    columns decoded by polars beside pyarrow's reading the rest."""
    pa = require("pyarrow")
    md = pf.metadata
    whole = (lambda **kw: pf.read(**kw)) if groups is None else (lambda **kw: pf.read_row_groups(groups, **kw))
    try:
        null = set(_null_columns(pf, groups))
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):  # pragma: no cover - odd metadata
        null = set()
    schema = pf.schema_arrow
    rows = md.num_rows if groups is None else sum(md.row_group(g).num_rows for g in groups)
    fast = _polars_columns(pf, groups, path, null, rows)
    if not null and not fast:
        return whole()
    rest = [n for n in schema.names if n not in null and n not in fast]
    by_polars = None
    if fast:
        from concurrent.futures import ThreadPoolExecutor

        first = 0 if groups is None else sum(md.row_group(g).num_rows for g in range(groups[0]))
        with ThreadPoolExecutor(max_workers=1) as pool:
            # pyarrow's reading releases the GIL: both decode at once
            job = pool.submit(whole, columns=rest) if rest else None
            by_polars = _read_polars(path, fast, first, rows, schema, groups is not None)
            got = job.result() if job is not None else None
        if by_polars is None:  # polars could not: pyarrow reads them too
            rest = [n for n in schema.names if n not in null]
            got = whole(columns=rest)
    else:
        got = whole(columns=rest) if rest else None
    if got is not None and got.column_names != rest:
        # a name selecting more than itself (``columns`` also matches dotted
        # prefixes of nested paths): the whole file as it is
        return whole()
    cols, fields = [], []
    for field in schema:
        if field.name in null:
            cols.append(pa.chunked_array([pa.nulls(rows, field.type)], field.type))
            fields.append(field)
        elif by_polars is not None and field.name in by_polars:
            cols.append(by_polars[field.name])
            fields.append(field)
        else:
            j = got.schema.get_field_index(field.name)
            cols.append(got.column(j))
            fields.append(got.schema.field(j))
    meta = got.schema.metadata if got is not None else schema.metadata
    return pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=meta))


#: polars decodes flat columns about 1.5x cheaper than pyarrow (bool, int64,
#: float64 with nulls); importing it costs a few tenths of a second, so it is
#: used when it is imported already, or for a file of this many rows or more
_POLARS_ROWS = 1 << 22

#: nor for a read of fewer rows than this (a thread and a scan cost more)
_POLARS_MIN_ROWS = 1 << 16


def _polars_columns(pf, groups, path: Optional[str], null, rows: int) -> List[str]:
    """The flat bool, int64 and float64 columns polars is to decode (see
    :data:`_POLARS_ROWS`): none for a small read, row groups that are not
    consecutive, or when polars is not installed."""
    import sys

    pa = require("pyarrow")
    md = pf.metadata
    if path is None or rows < _POLARS_MIN_ROWS or (groups is not None and list(groups) != list(range(groups[0], groups[0] + len(groups)))):
        return []
    if "polars" not in sys.modules:
        if md.num_rows < _POLARS_ROWS:
            return []
        import importlib.util

        if importlib.util.find_spec("polars") is None:
            return []
    schema = pf.schema_arrow
    if len(set(schema.names)) != len(schema.names):
        return []
    plain = (pa.bool_(), pa.int64(), pa.float64())
    out = [f.name for f in schema if f.name not in null and f.type in plain and not f.metadata]
    return out if len(out) > 1 else []


def _read_polars(path: str, names: List[str], first: int, rows: int, schema, sliced: bool):
    """Columns ``names`` of rows ``first``..``first + rows`` by polars →
    ``{name: ChunkedArray}`` of the schema's types, or None (polars failed or
    gave another type: pyarrow reads them instead, with its own errors)."""
    try:
        import polars as pl

        lf = pl.scan_parquet(path, hive_partitioning=False, glob=False, parallel="columns").select(names)
        if sliced:
            lf = lf.slice(first, rows)
        table = lf.collect().to_arrow()
    except Exception:  # noqa: BLE001 - any failure: pyarrow reads them
        return None
    if table.column_names != names or table.num_rows != rows:
        return None
    out = {}
    for name, col in zip(names, table.columns):
        if col.type != schema.field(name).type:
            return None
        out[name] = col
    return out
def _parquet_batches(pf, path: str, size: int):
    """A Parquet file in batches of whole row groups (as many as fit in
    ``size`` rows; ``read_row_groups`` holds about the decoded table, where
    ``iter_batches`` buffers several times more); a row group larger than
    ``size`` in slices of ``size`` rows (``iter_batches`` over it alone)."""
    pa = require("pyarrow")
    md = pf.metadata

    def guarded(read):
        try:
            return read()
        except (pa.ArrowInvalid, OSError) as exc:
            raise FactsError(f"cannot read registry: {exc}", path=path) from None

    start, group, rows = 0, [], 0
    for i in range(md.num_row_groups):
        n = md.row_group(i).num_rows
        if group and (rows + n > size or n > size):
            yield start, guarded(lambda: _read_groups(pf, group, path))
            start, group, rows = start + rows, [], 0
        if n > size:
            it = _group_slices(pf, i, size)
            while True:
                table = guarded(lambda: next(it, None))
                if table is None:
                    break
                yield start, table
                start += table.num_rows
            continue
        group.append(i)
        rows += n
    if group:
        yield start, guarded(lambda: _read_groups(pf, group, path))


def _group_slices(pf, i: int, size: int):
    """Row group ``i`` in tables of ``size`` rows (``iter_batches``), its
    all-null flat columns (:func:`_null_columns`) made as typed nulls."""
    pa = require("pyarrow")
    schema = pf.schema_arrow
    null = set(_null_columns(pf, [i]))
    rest = [n for n in schema.names if n not in null]
    if null and rest:
        it = pf.iter_batches(batch_size=size, row_groups=[i], columns=rest)
        batch = next(it, None)
        if batch is not None and batch.schema.names == rest:
            while batch is not None:
                cols, fields = [], []
                for field in schema:
                    if field.name in null:
                        cols.append(pa.nulls(batch.num_rows, field.type))
                        fields.append(field)
                    else:
                        j = batch.schema.get_field_index(field.name)
                        cols.append(batch.column(j))
                        fields.append(batch.schema.field(j))
                yield pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=batch.schema.metadata))
                batch = next(it, None)
            return
        # a name selecting more than itself (a dotted prefix): every column
    for batch in pf.iter_batches(batch_size=size, row_groups=[i]):
        yield pa.Table.from_batches([batch])


def to_records(table, vocabulary: Mapping[str, FactSpec]):
    """Rows of a checked table as per-record fact dicts (unknowns left out)."""
    names = table.column_names
    for batch in table.to_batches(max_chunksize=65536):
        cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for values in zip(*cols):
            rec = {}
            for n, v in zip(names, values):
                if v is None:
                    continue
                if type(v) is list and v and type(v[0]) is dict:
                    v = [{k: x for k, x in item.items() if x is not None} for item in v]
                rec[n] = v
            yield rec
