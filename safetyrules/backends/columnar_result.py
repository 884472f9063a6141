"""The result table of the columnar backends (SPEC §9) and its assembly.

Every backend returns ``level``, ``tier``, ``inspection``, ``major_hazard``
and one boolean column per clause; :func:`assemble` turns the clause columns
into the sorted ``findings``/``undetermined`` lists, vectorised.
"""

from __future__ import annotations

import os

from safetyrules.backends.columnar_io import ID_COLUMN, require

__all__ = ["result_schema", "assemble", "clause_pass", "with_lists", "numpy_array", "string_array"]


def result_schema(with_id: bool):
    """The ``pyarrow`` schema of a result table."""
    pa = require("pyarrow")
    fields = [(ID_COLUMN, pa.string())] if with_id else []
    fields += [
        ("level", pa.string()),
        ("tier", pa.string()),
        ("inspection", pa.string()),
        ("major_hazard", pa.bool_()),
        ("findings", pa.list_(pa.string())),
        ("undetermined", pa.list_(pa.string())),
    ]
    return pa.schema(fields)


def assemble(out, keys, with_id: bool):
    """A backend's result with one boolean column per clause (``__sr_k{i}``,
    ``keys`` order) → the result table: ``findings`` are the keys of the true
    columns, ``undetermined`` of the null ones, in ``keys`` order (sorted)."""
    names = [f"__sr_k{i}" for i in range(len(keys))]
    _, found, unknown = clause_pass(out, names, keys, {})
    return with_lists(out, found, unknown, with_id)


def clause_pass(table, names, keys, groups):
    """One pass over the boolean clause columns ``names`` of ``table`` (in
    ``keys`` order), in row chunks on every core (numpy and Arrow release the
    GIL; a chunk's bits are unpacked, used and dropped, so memory stays
    bounded) → ``(counts, findings, undetermined)``.

    ``groups`` maps a name to ``(indexes into names, kind)``: its count per
    row is how many of those clauses are true (``kind`` 0) or unknown
    (``kind`` 1), an int64 numpy array.  ``findings``/``undetermined`` are
    the ``list<string>`` columns of the keys of the true / unknown clauses."""
    pa = require("pyarrow")
    import numpy as np

    n = table.num_rows
    key_arr = string_array(list(keys))
    cols = [table.column(nm) for nm in names]

    def part(start):
        stop = min(n, start + _CHUNK)
        flags = [_flags(c.slice(start, stop - start)) for c in cols]
        counts = {g: _count(flags, which, kind, stop - start) for g, (which, kind) in groups.items()}
        return (counts, _lists(key_arr, [f[0] for f in flags], stop - start),
                _lists(key_arr, [f[1] for f in flags], stop - start))

    starts = list(range(0, n, _CHUNK)) or [0]
    if len(starts) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
            parts = list(pool.map(part, starts))
    else:
        parts = [part(0)]
    counts = {g: np.concatenate([p[0][g] for p in parts]) for g in groups}
    typ = pa.list_(pa.string())
    return counts, pa.chunked_array([p[1] for p in parts], typ), pa.chunked_array([p[2] for p in parts], typ)


def with_lists(out, found, unknown, with_id: bool, owned: bool = False):
    """The decision columns of ``out`` and the two list columns → the result
    table (SPEC §9 schema); ``owned``: the decision columns copied into
    Arrow's pool (:func:`_owned`; polars gains, DuckDB's result is better
    left as it is: +20-60 MiB of peak RSS with the copy, 1 M and 3 M rows)."""
    pa = require("pyarrow")
    schema = result_schema(with_id)
    plain = [f for f in schema if f.name not in ("findings", "undetermined")]
    cols = [out.column(f.name).cast(f.type) for f in plain]
    if owned:
        cols = [_owned(c) for c in cols]
    cols += [found, unknown]
    return pa.Table.from_arrays(cols, schema=schema)


def _owned(col):
    """``col`` copied into one fresh array of Arrow's memory pool.  The
    decision columns come from polars, whose exported buffers (in
    their own allocators) kept several times the columns' size alive per
    batch of a kept result (a 1 M-row registry in 100,000-row batches,
    polars: the RSS beyond the result grew ~16 MiB a batch for 3.3 MiB of
    columns; ~8 MiB with the copy); the copy is a few MiB a batch."""
    pa = require("pyarrow")
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    # concatenating always allocates the output (the empty slice makes sure
    # a single chunk is copied too)
    return pa.concat_arrays(list(chunks) + [pa.nulls(0, col.type)])


def numpy_array(values, typ, null=None):
    """A numpy array (bool, int32, int64 or float64) → an Arrow array of
    ``typ``, null where ``null`` (a bool array) holds: built from the
    buffers (bits packed by numpy; other values shared, not copied), not by
    ``pyarrow.array``, which is ~15x slower with a mask and imports pandas on
    its first call when pandas is installed."""
    pa = require("pyarrow")
    import numpy as np

    n = len(values)
    validity = None
    nulls = 0
    if null is not None:
        nulls = int(np.count_nonzero(null))
        if nulls:
            validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
    else:
        data = pa.py_buffer(np.ascontiguousarray(values))
    return pa.Array.from_buffers(typ, n, [validity, data], null_count=nulls)


def string_array(texts):
    """A few Python strings → an Arrow ``string`` array (without
    ``pyarrow.array``: see :func:`numpy_array`)."""
    pa = require("pyarrow")
    import numpy as np

    raw = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(raw) + 1, np.int32)
    np.cumsum([len(r) for r in raw], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(raw), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(raw))])


def _count(flags, which, kind: int, n: int):
    import numpy as np

    total = np.zeros(n, np.int16 if len(which) < 2**15 else np.int64)
    for j in which:
        total += flags[j][kind]
    return total.astype(np.int64)


_CHUNK = 1 << 18


def _bits(buf, offset: int, length: int):
    import numpy as np

    raw = np.frombuffer(buf, dtype=np.uint8)
    first = offset // 8
    bits = np.unpackbits(raw[first:first + (offset % 8 + length + 7) // 8], bitorder="little")
    return bits[offset % 8: offset % 8 + length].view(bool)


def _flags(col):
    """A boolean column → (true, null) as numpy bool arrays."""
    pa = require("pyarrow")
    import numpy as np

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    n = len(col)
    if pa.types.is_null(col.type):
        return np.zeros(n, bool), np.ones(n, bool)
    if col.type != pa.bool_():
        col = col.cast(pa.bool_())
    if n == 0:
        return np.zeros(0, bool), np.zeros(0, bool)
    validity, data = col.buffers()[:2]
    values = _bits(data, col.offset, n)
    if validity is None or col.null_count == 0:
        return values, np.zeros(n, bool)
    valid = _bits(validity, col.offset, n)
    return values & valid, ~valid


def _lists(key_arr, flags, n: int):
    """Per-row lists of the keys whose flag holds, in key order."""
    pa = require("pyarrow")
    import numpy as np

    counts = np.zeros(n, np.int32)
    for f in flags:
        counts += f
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    codes = np.empty(int(offsets[-1]), np.int32)
    slot = offsets[:-1].copy()
    for j, f in enumerate(flags):
        rows = np.flatnonzero(f)
        if len(rows):
            codes[slot[rows]] = j
            slot += f  # a dense add: faster than slot[rows] += 1 (gather, add, scatter)
    if len(key_arr):
        values = key_arr.take(numpy_array(codes, pa.int32()))  # the keys' text, gathered
    else:
        values = pa.nulls(0, pa.string())
    return pa.ListArray.from_arrays(numpy_array(offsets, pa.int32()), values)
