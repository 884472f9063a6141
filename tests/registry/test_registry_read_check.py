"""Checking a registry's columns (columnar_io.check_array, issue 10): the
number bounds and the list offsets are found without min_max or a numpy copy
of the offsets; the errors name the same column and first bad row, and a
list column rebuilt from a slice keeps its rows."""

import math

import pyarrow as pa
import pytest

from safetyrules.backends.columnar_io import check_array, read_table
from safetyrules.dsl.types import FactSpec
from safetyrules.errors import FactsError

NUM = FactSpec(type="number", min=0, max=100)
INT = FactSpec(type="integer", min=1, max=9)
ITEM = FactSpec(type="list", item={"age": FactSpec(type="integer", min=0), "kind": FactSpec(type="enum", values=("a", "b"))})


def _err(arr, spec, name="x", rows=None):
    with pytest.raises(FactsError) as info:
        check_array(arr, spec, name, rows)
    return info.value.message, info.value.row


@pytest.mark.parametrize(
    "values, spec, words, row",
    [
        ([1.0, None, -0.5, 200.0], NUM, "must be at least 0, got -0.5", 2),
        ([1.0, None, 200.0, -0.5], NUM, "must be at least 0, got -0.5", 3),  # the minimum first, as before
        ([1.0, None, 101.0, 100.0], NUM, "must be at most 100, got 101.0", 2),
        ([1.0, float("nan"), float("inf"), -1.0], NUM, "must be a finite number, got inf", 2),
        ([1.0, float("-inf")], FactSpec(type="number"), "must be a finite number, got -inf", 1),
        ([2.0, None, 3.5], INT, "must be a whole number, got 3.5", 2),
        ([2.0, None, 10.0], INT, "must be at most 9, got 10", 2),
        ([2, 0, 10], INT, "must be at least 1, got 0", 1),
    ],
)
def test_number_errors_name_the_first_bad_row(values, spec, words, row):
    msg, got = _err(pa.array(values), spec)
    assert words in msg and got == row and msg.startswith(f"column 'x', row {row}:")


def test_numbers_within_bounds_nan_unknown():
    got = check_array(pa.array([0.0, float("nan"), None, 100.0]), NUM, "x")
    assert got.to_pylist() == [0.0, None, None, 100.0]
    assert check_array(pa.array([1.0, None, 9.0]), INT, "x").to_pylist() == [1, None, 9]
    assert check_array(pa.nulls(3, pa.float64()), INT, "x").to_pylist() == [None] * 3
    assert check_array(pa.array([math.nan] * 2), NUM, "x").null_count == 2


LISTS = [[{"age": 1, "kind": "a"}], None, [], [{"age": 2, "kind": "b"}, {"age": 3, "kind": None}], None,
         [{"age": None, "kind": "a"}]]


@pytest.mark.parametrize("start", range(len(LISTS)))
def test_sliced_list_columns_keep_their_rows(start):
    full = pa.array(LISTS, pa.list_(pa.struct([("age", pa.int32()), ("kind", pa.string())])))
    part = full.slice(start)  # offsets that do not start at 0: rebuilt (int32 -> int64 ages)
    got = check_array(part, ITEM, "l")
    assert got.type == pa.list_(pa.struct([("age", pa.int64()), ("kind", pa.string())]))
    assert got.to_pylist() == LISTS[start:]
    same = check_array(pa.array(LISTS[start:], got.type).slice(0), ITEM, "l")
    assert same.to_pylist() == LISTS[start:]


def test_bad_item_in_a_slice_names_the_input_row():
    rows = LISTS + [[{"age": 5, "kind": "a"}, {"age": -1, "kind": "a"}]]
    full = pa.array(rows, pa.list_(pa.struct([("age", pa.int64()), ("kind", pa.string())])))
    msg, row = _err(full.slice(2), ITEM, "l", rows=lambda i: 2 + i)
    assert msg == "column 'l[].age', row 6: must be at least 0, got -1" and row == 6
    bad = pa.array([None, [{"age": 1, "kind": "c"}]], full.type)
    msg, row = _err(bad, ITEM, "l")
    assert msg.startswith("column 'l[].kind', row 1: has value 'c', not one of: a, b") and row == 1
    nulls = pa.array([[{"age": 1, "kind": "a"}], [None]], full.type)
    msg, row = _err(nulls.slice(1), ITEM, "l", rows=lambda i: 10 + i)
    assert msg == "column 'l', row 10: item 0 must be a mapping of fields, got None"


def test_null_list_spanning_items_is_not_read_as_items():
    values = pa.array([{"age": 1, "kind": "a"}, {"age": 2, "kind": "b"}], pa.struct([("age", pa.int64()), ("kind", pa.string())]))
    # row 0 is null but its offsets span item 0 (Arrow allows it)
    arr = pa.ListArray.from_arrays(pa.array([0, 1, 2], pa.int32()), values, mask=pa.array([True, False]))
    got = check_array(arr, ITEM, "l")
    assert got.to_pylist() == [None, [{"age": 2, "kind": "b"}]]
    assert got.values.to_pylist() == [{"age": 2, "kind": "b"}]


def test_read_table_bounds_in_a_later_batch():
    vocab = {"n": NUM, "l": ITEM}
    t = pa.table({"n": [1.0, 2.0, 300.0]})
    with pytest.raises(FactsError) as info:
        read_table(t, vocab, first_row=1000)
    assert info.value.message == "column 'n', row 1002: must be at most 100, got 300.0"


ENUM = FactSpec(type="enum", values=("machinery", "retail", "office"))


@pytest.mark.parametrize("values, row, v", [
    (["retail", None, "retial", "bad"], 2, "retial"),
    (["bad", "retail", None, "retial"], 0, "bad"),
    (["retail", None, "office"], None, None),
])
def test_enum_as_dictionary_same_as_text(values, row, v):
    text = pa.array(values, pa.string())
    for arr in (pc_dict(text), pc_dict(text).slice(0), pa.DictionaryArray.from_arrays(
            pa.array([None if x is None else sorted(set(filter(None, values))).index(x) for x in values], pa.int8()),
            pa.array(sorted(set(filter(None, values))) + ["unused-bad"]))):
        if row is None:
            got = check_array(arr, ENUM, "e")
            assert got.type == pa.string() and got.equals(check_array(text, ENUM, "e"))
            continue
        with pytest.raises(FactsError) as a:
            check_array(arr, ENUM, "e", rows=lambda i: 100 + i)
        with pytest.raises(FactsError) as b:
            check_array(text, ENUM, "e", rows=lambda i: 100 + i)
        assert (a.value.message, a.value.hint, a.value.row) == (b.value.message, b.value.hint, b.value.row)
        assert a.value.row == 100 + row and repr(v) in a.value.message


def pc_dict(arr):
    import pyarrow.compute as pc

    return pc.dictionary_encode(arr)


def test_enum_dictionary_with_a_bad_entry_no_row_uses():
    arr = pa.DictionaryArray.from_arrays(pa.array([0, None, 0], pa.int32()), pa.array(["office", "nope"]))
    assert check_array(arr, ENUM, "e").to_pylist() == ["office", None, "office"]


def test_all_null_number_columns_typed_and_still_type_checked():
    for arr in (pa.nulls(4, pa.float64()), pa.nulls(4, pa.int32()), pa.array([None] * 4, pa.float32())):
        got = check_array(arr, INT, "x")
        assert got.type == pa.int64() and got.null_count == 4
        assert check_array(arr, NUM, "x").type == pa.float64()
    msg, row = _err(pa.nulls(4, pa.string()), INT)
    assert msg == "column 'x': must be numbers, not string" and row is None


def test_sliced_enum_dictionary_rows_count_from_the_slice():
    import pyarrow.compute as pc

    arr = pc.dictionary_encode(pa.array(["x", "retail", "office", "retail", "y"])).slice(1)
    assert check_array(arr.slice(0, 3), ENUM, "e").to_pylist() == ["retail", "office", "retail"]
    msg, row = _err(arr, ENUM, "e")
    assert msg == "column 'e', row 3: has value 'y', not one of: machinery, retail, office" and row == 3
