"""Reading a Parquet registry (columnar_io, issue 10): the all-null flat
columns made from the statistics instead of decoded, and the flat bool,
int64 and float64 columns decoded by polars, give the table pyarrow reads,
for any row groups, with and without statistics; errors are unchanged."""

import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetyrules.backends import columnar_io
from safetyrules.backends.columnar_io import iter_tables, read_table
from safetyrules.dsl.types import FactSpec
from safetyrules.errors import FactsError

ITEM = pa.list_(pa.struct([("age", pa.int64()), ("ok", pa.bool_())]))


def _table(n=12, prefix=True):
    half = [None] * (n // 2)
    return pa.table({
        "entity.id": [f"E{i}" for i in range(n)],
        "b.none": pa.nulls(n, pa.bool_()),
        "b.some": [None, True, False] * (n // 3),
        "b.late": half + [True] * (n - n // 2),  # null in the first row groups only
        "i.none": pa.nulls(n, pa.int64()),
        "i.some": [None if i % 4 == 0 else i for i in range(n)],
        "f.none": pa.nulls(n, pa.float64()),
        "f.some": [i / 2 if i % 3 else None for i in range(n)],
        "s.none": pa.nulls(n, pa.string()),
        "s.some": ["a", None] * (n // 2),
        "d.none": pa.nulls(n, pa.date32()),
        "d.some": [datetime.date(2024, 1, 1 + i % 28) for i in range(n)],
        "t.none": pa.nulls(n, pa.timestamp("us")),
        "l.none": pa.nulls(n, ITEM),
        "l.empty": pa.array([[]] * n, ITEM),  # all-null leaves, but empty lists, not null ones
        "l.some": pa.array([None, [{"age": 1, "ok": None}], []] * (n // 3), ITEM),
        **({"a": [1.5] + [None] * (n - 1),
            "a.b": pa.nulls(n, pa.bool_())}  # a flat name that is a dotted prefix of another
           if prefix else {}),
    })


@pytest.fixture(params=[(True, True), (False, True), (True, False)], ids=["stats", "no-stats", "stats-no-prefix"])
def parquet(request, tmp_path):
    stats, prefix = request.param
    path = str(tmp_path / "r.parquet")
    pq.write_table(_table(prefix=prefix), path, row_group_size=3, write_statistics=stats)
    return path, stats, prefix


def test_null_columns_from_statistics(parquet):
    path, stats, prefix = parquet
    pf = pq.ParquetFile(path)
    want = ["b.none", "i.none", "f.none", "s.none", "d.none", "t.none"] + (["a.b"] if prefix else []) if stats else []
    assert sorted(columnar_io._null_columns(pf, None)) == sorted(want)
    assert sorted(columnar_io._null_columns(pf, [0, 1])) == sorted(want + (["b.late"] if stats else []))
    assert sorted(columnar_io._null_columns(pf, [1, 2, 3])) == sorted(want + (["a"] if stats and prefix else []))


@pytest.mark.parametrize("polars", [False, True], ids=["pyarrow", "polars"])
def test_every_row_group_selection_reads_as_pyarrow(parquet, polars, monkeypatch):
    path = parquet[0]
    if polars:
        pytest.importorskip("polars")
        monkeypatch.setattr(columnar_io, "_POLARS_MIN_ROWS", 1)
        monkeypatch.setattr(columnar_io, "_POLARS_ROWS", 1)
    pf = pq.ParquetFile(path)
    ref = pf.read()
    got = columnar_io._read_groups(pf, None, path)
    assert got.equals(ref) and got.schema.equals(ref.schema, check_metadata=True)
    n = pf.metadata.num_row_groups
    for k in range(1, n + 1):
        for start in range(n - k + 1):
            groups = list(range(start, start + k))
            ref = pf.read_row_groups(groups)
            got = columnar_io._read_groups(pf, groups, path)
            assert got.equals(ref), groups
            assert got.schema == ref.schema
    for groups in ([0, 2], [3, 1]):  # not consecutive: pyarrow only, still the same
        assert columnar_io._read_groups(pf, groups, path).equals(pf.read_row_groups(groups))


def test_polars_is_asked_for_flat_columns_and_its_failure_is_not_seen(parquet, monkeypatch):
    pl = pytest.importorskip("polars")
    path = parquet[0]
    monkeypatch.setattr(columnar_io, "_POLARS_MIN_ROWS", 1)
    monkeypatch.setattr(columnar_io, "_POLARS_ROWS", 1)
    pf = pq.ParquetFile(path)
    asked = []
    real = columnar_io._read_polars

    def spy(path, names, *args):
        asked.append(list(names))
        return real(path, names, *args)

    monkeypatch.setattr(columnar_io, "_read_polars", spy)
    assert columnar_io._read_groups(pf, [1, 2], path).equals(pf.read_row_groups([1, 2]))
    assert asked and {"b.some", "i.some", "f.some"} <= set(asked[0]) and "s.some" not in asked[0]

    def broken(*args, **kwargs):
        raise pl.exceptions.ComputeError("no")

    monkeypatch.setattr(pl, "scan_parquet", broken)
    assert columnar_io._read_groups(pf, None, path).equals(pf.read())


def test_batches_and_checked_table_unchanged(parquet, monkeypatch):
    path = parquet[0]
    vocab = {
        "entity.id": FactSpec(type="string"),
        **{n: FactSpec(type=t) for n, t in [("b.none", "bool"), ("b.some", "bool"), ("b.late", "bool"),
                                            ("i.none", "integer"), ("i.some", "integer"), ("f.none", "number"),
                                            ("f.some", "number"), ("s.none", "string"), ("s.some", "string"),
                                            ("d.none", "date"), ("d.some", "date"), ("a", "number"),
                                            ("a.b", "bool")]},
        "t.none": FactSpec(type="date"),
        **{n: FactSpec(type="list", item={"age": FactSpec(type="integer"), "ok": FactSpec(type="bool")})
           for n in ("l.none", "l.empty", "l.some")},
    }
    if not parquet[2]:
        del vocab["a"], vocab["a.b"]
    ref, _ = read_table(pq.read_table(path), vocab)
    assert ref.column("l.empty").to_pylist() == [[]] * 12 and ref.column("l.none").null_count == 12
    for batch in (12, 6, 3, 2):
        monkeypatch.setattr(columnar_io, "BATCH_ROWS", batch)
        total, parts = iter_tables(path, vocab)
        got = [read_table(raw, vocab, first_row=start)[0] for start, raw in parts]
        assert total == 12 and pa.concat_tables(got).equals(ref)


def test_wrong_type_of_an_all_null_column_is_still_an_error(tmp_path):
    path = str(tmp_path / "w.parquet")
    pq.write_table(pa.table({"n": pa.nulls(5, pa.string()), "b": pa.nulls(5, pa.int64())}), path)
    total, parts = iter_tables(path, {})
    (_, raw), = parts
    assert raw.schema.field("n").type == pa.string() and raw.schema.field("b").type == pa.int64()
    with pytest.raises(FactsError) as info:
        read_table(raw, {"n": FactSpec(type="integer"), "b": FactSpec(type="bool")})
    assert info.value.message == "column 'b': must be true or false (a bool column), not int64"


def test_enum_columns_read_as_dictionaries_check_the_same(tmp_path, monkeypatch):
    n = 40
    enum = FactSpec(type="enum", values=("a", "b", "c"))
    good = pa.table({"e": ["a", None, "b", "c"] * (n // 4), "s": ["x"] * n, "f": [None] * (n - 1) + ["a"]})
    vocab = {"e": enum, "s": FactSpec(type="string"), "f": enum}
    path = str(tmp_path / "e.parquet")
    pq.write_table(good, path, row_group_size=7)
    monkeypatch.setattr(columnar_io, "_DICT_ROWS", 1)
    for batch in (n, 10, 7):
        monkeypatch.setattr(columnar_io, "BATCH_ROWS", batch)
        total, parts = iter_tables(path, vocab)
        parts = list(parts)
        assert all(pa.types.is_dictionary(raw.schema.field("e").type) for _, raw in parts)
        assert pa.types.is_string(parts[0][1].schema.field("s").type)  # not an enum: text
        got = pa.concat_tables([read_table(raw, vocab, first_row=start)[0] for start, raw in parts])
        assert got.equals(read_table(good, vocab)[0])
    bad = good.set_column(0, "e", pa.array(["a", None, "b", "c"] * 8 + ["a", "d", "a", "bb"] + ["a"] * 4))
    pq.write_table(bad, path, row_group_size=7)
    with pytest.raises(FactsError) as want:
        read_table(bad, vocab)
    for batch in (n, 10, 7):
        monkeypatch.setattr(columnar_io, "BATCH_ROWS", batch)
        with pytest.raises(FactsError) as got:
            for start, raw in iter_tables(path, vocab)[1]:
                read_table(raw, vocab, first_row=start)
        assert (got.value.message, got.value.hint) == (want.value.message, want.value.hint)
        assert got.value.message.startswith("column 'e', row 33: has value 'd', not one of: a, b, c")


@pytest.mark.parametrize("prefix", [False, True])
def test_a_row_group_larger_than_a_batch_in_slices_as_pyarrow(tmp_path, monkeypatch, prefix):
    path = str(tmp_path / "big.parquet")
    pq.write_table(_table(prefix=prefix), path)  # one row group of 12 rows
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 5)
    total, parts = iter_tables(path, {})
    parts = list(parts)
    assert total == 12 and [(s, t.num_rows) for s, t in parts] == [(0, 5), (5, 5), (10, 2)]
    ref = pq.read_table(path)
    got = pa.concat_tables([t for _, t in parts])
    assert got.equals(ref) and got.schema == ref.schema
