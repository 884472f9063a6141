"""The duckdb backend's side columns (``sql.evaluate_duckdb``): each input
list's quantifiers computed before the main query, ``any``/``all``/``count``
item by item over the flattened list and reduced per row, ``sum`` in its
lambda over the packed rows.  The decisions must be the per-record
engine's, whatever the Arrow layout (a null list backed by items, a sliced
or many-chunk table, empty lists, unknown items, an empty table), and the
side path must really be the one run."""

import datetime

import pyarrow as pa
import pytest

from safetyrules.backends import duckdb_backend

import rule_files
from rule_files import standard, vocabulary

duckdb = pytest.importorskip("duckdb")

DAY = datetime.date(2024, 3, 1)

VOCAB = vocabulary("""\
    entity.id: {type: string}
    limit: {type: integer, unit: year}
    flag: {type: bool}
    cranes: {type: list, item: {age: {type: integer, unit: year}, ok: {type: bool}, load: {type: number, unit: t}}}
    tags: {type: list, item: {name: {type: string}}}
    """)

STANDARD = standard("""\
    - {id: any, cite: A1, severity: major, when: "any(c in cranes: c.age > limit)"}
    - {id: all, cite: A2, severity: general, when: "all(c in cranes: c.ok or flag)"}
    - {id: count, cite: A3, severity: general, when: "count(c in cranes: c.ok) >= 2"}
    - {id: count0, cite: A4, severity: general, when: "count(c in cranes: c.age > 10 year) == 0"}
    - {id: sum, cite: A5, severity: general, when: "sum(c in cranes: c.load) > 2 t"}
    - {id: nested, cite: A6, severity: general, when: "any(c in cranes: c.ok and any(t in tags: t.name == 'x'))"}
    - {id: tag, cite: A7, severity: general, when: "all(t in tags: t.name in ['x', 'y'])"}
    - {id: flag, cite: A8, severity: general, when: "flag or limit > 5 year"}
    """)

MANIFEST = """\
kind: ruleset
id: side.test
include: [v.yaml, s.yaml]
decision: {}
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    files = {"v.yaml": VOCAB, "s.yaml": STANDARD, "ruleset.yaml": MANIFEST}
    return rule_files.load(tmp_path_factory, "side", files, entry="ruleset.yaml")


def _crane(i, j):
    return {"age": [None, 3, 11, 20][(i + j) % 4], "ok": [True, None, False][(i * 7 + j) % 3],
            "load": [0.5, None, 1.5, 2.25][(i + 2 * j) % 4]}


def _table(n):
    cranes, tags = [], []
    for i in range(n):
        k = i % 6
        cranes.append(None if k == 5 else [_crane(i, j) for j in range(k % 4)])
        tags.append(None if i % 4 == 0 else [{"name": ["x", "y", None, "z"][(i + j) % 4]} for j in range(i % 3)])
    item = pa.struct([("age", pa.int64()), ("ok", pa.bool_()), ("load", pa.float64())])
    return pa.table({
        "entity.id": pa.array([f"e{i}" for i in range(n)]),
        "limit": pa.array([None if i % 7 == 0 else [5, 10, 15][i % 3] for i in range(n)], pa.int64()),
        "flag": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n)]),
        "cranes": pa.array(cranes, pa.list_(item)),
        "tags": pa.array(tags, pa.list_(pa.struct([("name", pa.string())]))),
    })


def _same(rules, table):
    got = rules.evaluate_table(table, backend="duckdb", as_of=DAY)
    want = rules.evaluate_table(table, backend="python", as_of=DAY)
    assert got.equals(want)
    return got


def test_side_columns_are_the_ones_read(rules, monkeypatch):
    seen = []
    real = duckdb_backend.compile_stages

    def spy(*args, **kwargs):
        stages = real(*args, **kwargs)
        # the main query (up to the clauses), and the columns the clauses read as they are
        seen.append(stages.apart[0].sql() + repr(list(duckdb_backend._leaves(stages.atoms))))
        return stages

    monkeypatch.setattr(duckdb_backend, "compile_stages", spy)
    got = _same(rules, _table(600))
    # every quantifier came from a side column: no lambda, no list read in the main query
    assert seen and "lambda" not in seen[-1] and '"cranes"' not in seen[-1] and "'__sr_x6'" in seen[-1]
    assert got.column("findings").to_pylist() != [[]] * 600  # (the rows are not all alike)


def test_null_lists_backed_by_items_sliced_and_chunked(rules):
    t = _table(300)
    cranes = t.column("cranes").combine_chunks()
    # the same lists, but every null one backed by a non-empty segment of items
    offsets, values = [0], []
    for v in cranes.to_pylist():
        values.extend(v if v is not None else [_crane(1, 1), _crane(2, 2)])
        offsets.append(len(values))
    backed = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values, cranes.type.value_type),
                                      mask=cranes.is_null())
    assert backed.to_pylist() == cranes.to_pylist()
    t = t.set_column(t.schema.get_field_index("cranes"), "cranes", backed)
    _same(rules, t)
    _same(rules, t.slice(7, 200))
    _same(rules, pa.concat_tables([t.slice(0, 101), t.slice(101, 1), t.slice(102)]))


def test_sparse_sum_packed_and_all_unknown_lists(rules, monkeypatch):
    monkeypatch.setattr(duckdb_backend, "_PACK_SHARE", 1.0)  # every sum over only the rows with the list
    _same(rules, _table(250))
    t = _table(40)
    nulls = pa.nulls(40, t.schema.field("cranes").type)
    _same(rules, t.set_column(t.schema.get_field_index("cranes"), "cranes", nulls))


def test_empty_table(rules):
    assert _same(rules, _table(0)).num_rows == 0


def test_all_null_columns_read_as_typed_null_constants(rules, monkeypatch):
    seen = []
    real = duckdb_backend.compile_stages

    def spy(*args, **kwargs):
        stages = real(*args, **kwargs)
        seen.append(stages.apart[0].sql() + " " + " ".join(stages.constants))  # (and the atoms the same in every row)
        return stages

    monkeypatch.setattr(duckdb_backend, "compile_stages", spy)
    t = _table(120)
    for name, typ in (("limit", pa.int64()), ("flag", pa.bool_())):
        t = t.set_column(t.schema.get_field_index(name), name, pa.nulls(120, typ))
    _same(rules, t)
    assert "CAST(NULL AS BIGINT)" in seen[-1] and '"limit"' not in seen[-1] and '"flag"' not in seen[-1]
    _same(rules, _table(120))  # (a column with a value stays a column)
    assert '"limit"' in seen[-1]
