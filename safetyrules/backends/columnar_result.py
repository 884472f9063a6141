"""The result table of the columnar backends (SPEC §9) and its assembly.

Every backend returns ``level``, ``tier``, ``inspection``, ``major_hazard``
and one boolean column per clause; :func:`assemble` turns the clause columns
into the sorted ``findings``/``undetermined`` lists, vectorised.
"""

from __future__ import annotations

from safetyrules.backends.columnar_io import ID_COLUMN, require

__all__ = ["result_schema", "assemble"]


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
    columns, ``undetermined`` of the null ones, built with numpy (row-major
    ``nonzero`` keeps each row's keys in sorted order)."""
    pa = require("pyarrow")
    pc = require("pyarrow.compute")
    import numpy as np

    n = out.num_rows
    names = [f"__sr_k{i}" for i in range(len(keys))]
    key_arr = pa.array(keys, pa.string())

    def lists(test):
        if not keys:
            return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.string()))
        m = np.empty((n, len(keys)), dtype=bool)
        for j, nm in enumerate(names):
            m[:, j] = test(out.column(nm)).to_numpy(zero_copy_only=False)
        rows, cols = np.nonzero(m)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
        values = key_arr.take(pa.array(cols.astype(np.int32)))
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)

    found = lists(lambda c: pc.fill_null(c, False))
    unknown = lists(lambda c: pc.is_null(c))
    schema = result_schema(with_id)
    cols = [out.column(f.name) for f in schema if f.name not in ("findings", "undetermined")]
    cols += [found, unknown]
    return pa.Table.from_arrays(cols, names=[f.name for f in schema if f.name not in ("findings", "undetermined")]
                                + ["findings", "undetermined"]).cast(schema)
