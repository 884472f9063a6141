"""A registry is read, checked and graded in batches of rows (a Parquet file
batch by batch): the result is the one graded at once, row for row and in
input order; a bad value is named by its row in the whole input; the
progress callback hears of every batch."""

import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import safetyrules
from safetyrules.backends import columnar_io
from safetyrules.engine.table import evaluate_table
from safetyrules.errors import FactsError

from registry_fixtures import write_rules
from test_registry_columnar_paths import reference, rows, table_of

DAY = datetime.date(2024, 3, 1)


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return safetyrules.load(write_rules(str(tmp_path_factory.mktemp("batches"))))


@pytest.fixture()
def parquet(tmp_path):
    records = rows(45)
    path = str(tmp_path / "registry.parquet")
    # row groups of 10 rows, batches of 7: batches cross row groups
    pq.write_table(table_of(records), path, row_group_size=10)
    return path, records


@pytest.mark.parametrize("backend", ("polars", "duckdb", "python"))
def test_batches_equal_one_batch_and_the_engine(rules, parquet, backend, monkeypatch):
    path, records = parquet
    whole = rules.evaluate_table(path, backend=backend, as_of=DAY)
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 7)
    seen = []
    got = evaluate_table(rules, path, backend=backend, as_of=DAY, progress=lambda d, t: seen.append((d, t)))
    assert got.equals(whole)
    assert got.schema == whole.schema
    assert got.to_pylist() == reference(rules, records)
    # one call per batch (row groups of 10 in slices of 7), up to the whole input
    assert [d for d, _ in seen] == [7, 10, 17, 20, 27, 30, 37, 40, 45]
    assert all(t == 45 for _, t in seen)
    # an in-memory table is sliced the same way
    mem = rules.evaluate_table(table_of(records), backend=backend, as_of=DAY)
    assert mem.equals(whole)


@pytest.mark.parametrize(
    "batch, want",
    [
        # a row group larger than a batch: in slices of the batch
        (7, [(0, 7), (7, 3), (10, 7), (17, 3), (20, 7), (27, 3), (30, 7), (37, 3), (40, 5)]),
        # whole row groups, as many as fit in a batch
        (25, [(0, 20), (20, 25)]),
        (10, [(0, 10), (10, 10), (20, 10), (30, 10), (40, 5)]),
    ],
)
def test_parquet_is_read_batch_by_batch(rules, parquet, monkeypatch, batch, want):
    path, _ = parquet  # row groups of 10 rows
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", batch)
    total, batches = columnar_io.iter_tables(path, rules.plan.facts)
    assert total == 45
    assert [(start, t.num_rows) for start, t in batches] == want


def test_a_bad_value_in_a_later_batch_names_the_input_row(rules, tmp_path, monkeypatch):
    records = rows(30)
    records[23]["entity.employees"] = -4
    path = str(tmp_path / "bad.parquet")
    pq.write_table(table_of(records), path)
    with pytest.raises(FactsError) as whole:
        rules.evaluate_table(path, backend="polars", as_of=DAY)
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 4)
    for backend in ("polars", "duckdb"):
        with pytest.raises(FactsError) as info:
            rules.evaluate_table(path, backend=backend, as_of=DAY)
        assert info.value.row == 23 == whole.value.row
        assert info.value.message == whole.value.message
        assert "row 23" in info.value.message and info.value.fact == "entity.employees"


def test_a_bad_list_item_in_a_later_batch_names_the_input_row(rules, monkeypatch):
    typ = pa.list_(pa.struct([("age", pa.float64())]))
    t = pa.table({"cranes": pa.array([[{"age": 1.0}], None, [], [{"age": 2.0}, {"age": 2.5}], []], typ)})
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 2)
    with pytest.raises(FactsError, match=r"row 3\b.*whole number") as info:
        rules.evaluate_table(t, backend="polars", as_of=DAY)
    assert info.value.row == 3


def test_an_empty_registry_gives_an_empty_result(rules, tmp_path, monkeypatch):
    path = str(tmp_path / "empty.parquet")
    pq.write_table(table_of([]), path)
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 4)
    for backend in ("polars", "duckdb", "python"):
        out = rules.evaluate_table(path, backend=backend, as_of=DAY)
        assert out.num_rows == 0 and out.column_names[0] == "entity.id"
