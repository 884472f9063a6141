"""The columnar input and result paths that whole registries take: columns
in several chunks (Parquet row groups, concatenated tables), sliced list
columns and null lists over items, a bad value in a later chunk, and the
result's list columns built in row chunks.  Each backend must equal the
per-record engine row for row, and an error must name the input row."""

import datetime

import pyarrow as pa
import pytest

import safetyrules
from safetyrules.backends import columnar_result
from safetyrules.backends.columnar_io import read_table
from safetyrules.errors import FactsError

from registry_fixtures import decision_columns, write_rules

DAY = datetime.date(2024, 3, 1)
CRANES = pa.list_(pa.struct([("age", pa.int64()), ("ok", pa.bool_())]))


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return safetyrules.load(write_rules(str(tmp_path_factory.mktemp("columnar"))))


def rows(k):
    """k records cycling through every shape the small rule set reads."""
    shapes = [
        {"entity.id": "a", "entity.sector": "metallurgy", "entity.employees": 500, "p": True},
        {"entity.id": "b", "entity.sector": "machinery", "entity.employees": 5, "entity.revenue": 1.0,
         "cranes": [{"age": 11, "ok": False}], "site.opened": datetime.date(2024, 2, 1)},
        {"entity.id": "c", "entity.sector": "machinery", "cranes": [{"age": 12}, {"age": 1, "ok": True}]},
        {"entity.id": "d", "entity.sector": "metallurgy", "cranes": [], "entity.employees": 0,
         "entity.revenue": 3.0},
        {"entity.id": "e", "entity.sector": "other", "cranes": [{"ok": True}]},
        {"entity.id": "f"},
    ]
    return [dict(shapes[i % len(shapes)], **{"entity.id": f"e{i}"}) for i in range(k)]


def table_of(records):
    names = ["entity.id", "entity.sector", "entity.employees", "entity.revenue", "p", "site.opened", "cranes"]
    types = {"entity.employees": pa.int64(), "entity.revenue": pa.float64(), "p": pa.bool_(),
             "site.opened": pa.date32(), "cranes": CRANES}
    return pa.table({n: pa.array([r.get(n) for r in records], types.get(n, pa.string())) for n in names})


def reference(rules, records):
    out = []
    for r in records:
        d = rules.evaluate({k: v for k, v in r.items()}, as_of=DAY)
        out.append({"entity.id": r["entity.id"], **decision_columns(d)})
    return out


@pytest.mark.parametrize("backend", ("polars", "duckdb"))
def test_chunked_columns_equal_the_engine(rules, backend):
    records = rows(40)
    chunked = pa.concat_tables([table_of(records[i:i + 7]) for i in range(0, 40, 7)])
    assert chunked.column("cranes").num_chunks > 1
    got = rules.evaluate_table(chunked, backend=backend, as_of=DAY)
    assert got.to_pylist() == reference(rules, records)
    assert got.equals(rules.evaluate_table(chunked.combine_chunks(), backend=backend, as_of=DAY))


def test_sliced_lists_and_null_lists_over_items(rules):
    records = rows(30)
    sliced = table_of(records).slice(5, 20)  # every column at a non-zero offset
    assert sliced.to_pylist()[0]["entity.id"] == "e5"
    ref = reference(rules, records[5:25])
    assert rules.evaluate_table(sliced, backend="polars", as_of=DAY).to_pylist() == ref
    # a null list whose offsets still span an item (allowed by Arrow): the
    # item is not the entity's, so neither checked nor read
    items = pa.array([{"age": 20, "ok": False}, None, {"age": 3, "ok": True}], CRANES.value_type)
    cranes = pa.ListArray.from_arrays(pa.array([0, 1, 2, 3], pa.int32()), items,
                                      mask=pa.array([False, True, False]))
    t = pa.table({"entity.id": ["x", "y", "z"], "entity.sector": ["machinery"] * 3, "cranes": cranes})
    want = reference(rules, [{"entity.id": "x", "entity.sector": "machinery", "cranes": [{"age": 20, "ok": False}]},
                             {"entity.id": "y", "entity.sector": "machinery"},
                             {"entity.id": "z", "entity.sector": "machinery", "cranes": [{"age": 3, "ok": True}]}])
    for backend in ("polars", "duckdb"):
        assert rules.evaluate_table(t, backend=backend, as_of=DAY).to_pylist() == want


@pytest.mark.parametrize(
    "first, second, row, words",
    [
        # the second chunk's bad value, named by its row in the whole input
        ([1, 2, 3], [4, -1], 4, "at least 0"),
        # both chunks bad in different ways: the error the whole column gives
        # (refused inf before whole numbers), as for a single chunk
        ([1.0, 2.5, 3.0], [4.0, float("inf")], 4, "finite"),
    ],
)
def test_bad_value_in_a_later_chunk_names_the_input_row(rules, first, second, row, words):
    col = pa.chunked_array([pa.array(first), pa.array(second)])
    t = pa.table({"entity.employees": col})
    with pytest.raises(FactsError) as info:
        read_table(t, rules.plan.facts)
    assert f"row {row}" in info.value.message and words in info.value.message and info.value.row == row
    with pytest.raises(FactsError) as single:
        read_table(t.combine_chunks(), rules.plan.facts)
    assert single.value.message == info.value.message


def test_bad_list_item_in_a_later_chunk(rules):
    typ = pa.list_(pa.struct([("age", pa.float64())]))
    col = pa.chunked_array([pa.array([[{"age": 1.0}], None], typ), pa.array([[], [{"age": 2.0}, {"age": 2.5}]], typ)])
    with pytest.raises(FactsError, match=r"row 3.*whole number"):
        read_table(pa.table({"cranes": col}), rules.plan.facts)


def test_result_lists_across_row_chunks(monkeypatch):
    """The findings lists are built in row chunks: the same lists whatever
    the chunk size, keys in key order, [] where none holds."""
    keys = ["a:1", "a:2", "b:1"]
    cols = {
        "level": pa.array(["red", None, "blue", None, "x"]),
        "tier": pa.nulls(5, pa.string()), "inspection": pa.nulls(5, pa.string()),
        "major_hazard": pa.array([True, None, False, False, None]),
        "__sr_k0": pa.array([True, None, False, None, True]),
        "__sr_k1": pa.array([True, True, None, None, False]),
        "__sr_k2": pa.array([None, True, False, None, True]),
    }
    out = pa.table(cols)
    want_found = [["a:1", "a:2"], ["a:2", "b:1"], [], [], ["a:1", "b:1"]]
    want_unknown = [["b:1"], ["a:1"], ["a:2"], ["a:1", "a:2", "b:1"], []]
    for chunk in (1, 2, 3, 1 << 18):
        monkeypatch.setattr(columnar_result, "_CHUNK", chunk)
        got = columnar_result.assemble(out, keys, with_id=False)
        assert got.column("findings").to_pylist() == want_found
        assert got.column("undetermined").to_pylist() == want_unknown
        assert got.schema == columnar_result.result_schema(False)


def test_polars_batches_equal_one_batch(rules, monkeypatch):
    """A registry larger than a batch is graded in row slices (lists at
    non-zero offsets): the same rows as in one batch and as the engine."""
    from safetyrules.backends import polars as P

    records = rows(50)
    table = pa.concat_tables([table_of(records[i:i + 9]) for i in range(0, 50, 9)])
    whole = rules.evaluate_table(table, backend="polars", as_of=DAY)
    monkeypatch.setattr(P, "BATCH", 8)
    got = rules.evaluate_table(table, backend="polars", as_of=DAY)
    assert got.equals(whole)
    assert got.to_pylist() == reference(rules, records)
