"""A fourth black-box audit of SPEC §9 (registry evaluation): the input-type
matrix.  Each input kind a user may hand ``rules.evaluate_table`` (pandas
dtypes, Arrow types, polars dtypes, files) is checked against
``rules.evaluate`` of the same row on every local backend, and a few on
Spark; wrong inputs must be a ``FactsError`` naming the column and the first
bad row."""

import datetime
import decimal
import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetyrules import FactsError

import rule_files
import spark_session
from registry_fixtures import AUDIT_BIG, AUDIT_GRADE, audit_standard, audit_vocabulary, expected_rows
from rule_files import ruleset

DAY = datetime.date(2024, 3, 1)
LOCAL = ("python", "duckdb", "polars")
D = datetime.date

FILES = {
    "v.yaml": audit_vocabulary(),
    "t.yaml": AUDIT_BIG,
    "s.yaml": audit_standard("""- {id: k, cite: K, severity: general, when: "entity.sector == 'metallurgy'"}"""),
    "g.yaml": AUDIT_GRADE,
    "ruleset.yaml": ruleset("audit4", ["v.yaml", "t.yaml", "s.yaml", "g.yaml"], {"level": "level"}),
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "spec9d", FILES)


def expected(rules, rows):
    return expected_rows(rules, rows, DAY)


def graded(rules, data, backend, **kw):
    out = rules.evaluate_table(data, backend=backend, as_of=DAY, **kw)
    ids = out.column("entity.id").to_pylist() if "entity.id" in out.column_names else None
    rows = (out.drop_columns(["entity.id"]) if ids is not None else out).to_pylist()
    return rows, ids


def assert_error(rules, data, backend, fact, row):
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(data, backend=backend, as_of=DAY)
    assert info.value.fact == fact, str(info.value)
    assert getattr(info.value, "row", None) == row, str(info.value)
    return info.value


# -- mismatches found in this round ----------------------------------------------

# "data is a pyarrow.Table, a polars or pandas DataFrame, or a path to a .parquet
# ... file"; "an unnamed index is only row labels" (docs/registry.md): a pandas
# frame filtered and saved with to_parquet (or given as pa.Table.from_pandas)
# carries its unnamed index as '__index_level_0__', refused as an unknown fact
# though the same frame, given itself, was graded

def _filtered_frame():
    df = pd.DataFrame({"entity.id": ["a", "b", "c", "d"], "m": [6, 9, 1, 7]})
    return df[df["m"] != 9]  # index [0, 2, 3]: not a range, so pandas stores it


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("how", ["to_parquet", "from_pandas"])
def test_a_filtered_pandas_frame_as_parquet_or_arrow_grades_as_the_frame(rules, backend, how, tmp_path):
    df = _filtered_frame()
    if how == "to_parquet":
        data = tmp_path / "r.parquet"
        df.to_parquet(data)
        assert "__index_level_0__" in pq.ParquetFile(data).schema_arrow.names
    else:
        data = pa.Table.from_pandas(df)
    rows, ids = graded(rules, data, backend)
    assert ids == ["a", "c", "d"]
    assert rows == expected(rules, [{"m": 6}, {"m": 1}, {"m": 7}])
    assert graded(rules, df, backend) == (rows, ids)


def test_a_column_named_like_a_pandas_index_but_not_one_is_still_refused(rules):
    """Only the index columns the pandas metadata names are row labels."""
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(pa.table({"__index_level_0__": [1, 2]}), backend="duckdb", as_of=DAY)
    assert info.value.fact == "__index_level_0__"


# "a value the fact cannot take ... is a FactsError naming the column (and, for a
# value, the first bad row)": a date64 holding a time of day was a raw ArrowInvalid

@pytest.mark.parametrize("backend", LOCAL)
def test_a_date64_value_with_a_time_of_day_is_a_facts_error_naming_the_row(rules, backend):
    day = 86_400_000
    arr = pa.array([day, None, 2 * day + 1], pa.int64()).cast(pa.date64())
    err = assert_error(rules, pa.table({"d": arr}), backend, "d", 2)
    assert "date and time" in str(err)


@pytest.mark.parametrize("backend", LOCAL)
def test_a_date64_column_at_midnight_decides_as_evaluate(rules, backend):
    arr = pa.array([D(2019, 1, 1), None, D(1969, 12, 31)], pa.date32()).cast(pa.date64())
    rows, _ = graded(rules, pa.table({"d": arr}), backend)
    assert rows == expected(rules, [{"d": D(2019, 1, 1)}, {}, {"d": D(1969, 12, 31)}])


# "a list fact is a list<struct> column": a list_view<struct> column (Arrow's
# list view layout) went through pyarrow's cast to list, which makes an invalid
# array: a raw ArrowInvalid

@pytest.mark.parametrize("backend", LOCAL)
def test_list_view_columns_decide_as_list_columns(rules, backend):
    items = pa.struct([("age", pa.int64()), ("ok", pa.bool_())])
    cranes = [[{"age": 20, "ok": False}], None, [], [{"age": 3, "ok": True}, {"age": 30, "ok": None}]]
    acts = [["machinery"], None, [], ["other", "machinery"]]
    table = pa.table({
        "cranes": pa.array(cranes, pa.list_view(items)),
        "entity.activities": pa.array(acts, pa.large_list_view(pa.string())),
    })
    rows, _ = graded(rules, table, backend)
    want = [{"cranes": c, "entity.activities": a} for c, a in zip(cranes, acts)]
    assert rows == expected(rules, [{k: v for k, v in r.items() if v is not None} for r in want])


@pytest.mark.parametrize("backend", LOCAL)
def test_a_bad_item_of_a_list_view_column_names_its_row(rules, backend):
    items = pa.struct([("age", pa.float64())])
    col = pa.array([[{"age": 1.0}], None, [{"age": 2.0}, {"age": 2.5}]], pa.list_view(items))
    assert_error(rules, pa.table({"cranes": col}), backend, "cranes[].age", 2)
# "Date facts take ISO 8601 strings (2024-03-01) as well as datetime.date values"
# (SPEC §2): a pandas object column holding both was refused as "values of
# mixed types ... cannot be converted to int"

@pytest.mark.parametrize("backend", LOCAL)
def test_a_pandas_object_column_of_dates_and_iso_text_decides_as_evaluate(rules, backend):
    values = [D(2019, 1, 1), "2021-05-05", None, np.nan, pd.Timestamp("2018-02-03"), "2019-12-31", pd.NaT,
              np.datetime64("2017-01-02")]
    df = pd.DataFrame({"d": pd.Series(values, dtype=object)})
    rows, _ = graded(rules, df, backend)
    want = [{"d": D(2019, 1, 1)}, {"d": "2021-05-05"}, {}, {}, {"d": D(2018, 2, 3)}, {"d": "2019-12-31"}, {},
            {"d": D(2017, 1, 2)}]
    assert rows == expected(rules, want)


@pytest.mark.parametrize("value, words", [("2019-02-30", "like 2024-03-01"), (3, "like 2024-03-01"),
                                          (pd.Timestamp("2019-01-01 10:00"), "date and time")])
def test_a_bad_value_in_a_mixed_date_column_names_the_column_and_row(rules, value, words):
    df = pd.DataFrame({"d": pd.Series([D(2019, 1, 1), "2021-05-05", value], dtype=object)})
    err = assert_error(rules, df, "duckdb", "d", 2)
    assert words in str(err)


# "FactsError naming the column": a pandas column pyarrow has no type for, or a
# polars Int128 column pyarrow cannot import, raised a raw Arrow error

def test_a_pandas_column_arrow_cannot_convert_is_a_facts_error(rules):
    df = pd.DataFrame({"m": [1, 2], "w": [1 + 2j, 2]})
    err = assert_error(rules, df, "duckdb", "w", None)
    assert "column 'w'" in str(err)


@pytest.mark.skipif(not hasattr(pl, "Int128"), reason="this polars has no Int128")
def test_a_polars_column_arrow_cannot_import_is_a_facts_error(rules):
    df = pl.DataFrame({"n": [1, 2], "m": pl.Series([1, None], dtype=pl.Int128)})
    assert_error(rules, df, "duckdb", "m", None)


# "one row per input row" / "empty cell = null": a one-column CSV writes a null
# as an empty line (polars' write_csv, pyarrow's write_csv, DuckDB's COPY), and
# polars and DuckDB read it back as a row; it was skipped, so the result had
# fewer rows than the registry and every later row moved up

@pytest.mark.parametrize("backend", LOCAL)
def test_a_one_column_csv_keeps_its_empty_lines_as_null_rows(rules, backend, tmp_path):
    path = tmp_path / "one.csv"
    pl.DataFrame({"m": [6, None, 1, None, 9]}).write_csv(path)
    assert "\n\n" in path.read_text()
    rows, _ = graded(rules, path, backend)
    assert rows == expected(rules, [{"m": 6}, {}, {"m": 1}, {}, {"m": 9}])
    path.write_text("entity.id\na\n\nc\n", encoding="utf-8")
    assert graded(rules, path, backend)[1] == ["a", None, "c"]


def test_a_blank_line_in_a_csv_of_several_columns_is_still_skipped(rules, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("m,n\n6,1\n\n1,2\n\n", encoding="utf-8")
    rows, _ = graded(rules, path, "duckdb")
    assert rows == expected(rules, [{"m": 6, "n": 1}, {"m": 1, "n": 2}])


# "Null ... means unknown": a pandas category column with no categories (all
# missing: pd.Series([None, None], dtype=object).astype("category")) is an Arrow dictionary of
# null type, refused as "must be text, not null"

@pytest.mark.parametrize("backend", LOCAL)
def test_an_all_missing_pandas_category_column_is_unknown(rules, backend):
    empty = pd.Series([None, None], dtype=object).astype("category")
    df = pd.DataFrame({"entity.id": empty, "entity.sector": empty, "s": empty, "d": empty, "m": [6, None]})
    assert pa.types.is_null(pa.Table.from_pandas(df).schema.field("s").type.value_type)
    rows, ids = graded(rules, df, backend)
    assert ids == [None, None] and rows == expected(rules, [{"m": 6}, {}])


# -- what held: the input matrix, every local backend against rules.evaluate -----

SEC = ["metallurgy", None, "other", "machinery"]
SEC_ROWS = [{"entity.sector": s} for s in SEC]
DATES = [D(2019, 1, 1), None, D(2021, 5, 5), D(1969, 7, 20)]
DATE_ROWS = [{"d": x} for x in DATES]
NUM_ROWS = [{"n": 100, "m": 6, "w": 3}, {"m": 1, "w": 2}, {"n": 5}, {"n": 0, "m": 0, "w": 0}]
ITEMS = pa.struct([("age", pa.int64()), ("ok", pa.bool_())])
CRANES = [[{"age": 20, "ok": False}], None, [], [{"age": None, "ok": True}, {"age": 11, "ok": None}]]
CRANE_ROWS = [{"cranes": c} for c in CRANES]


def _nums(typ):
    cols = {k: [r.get(k) for r in NUM_ROWS] for k in ("n", "m", "w")}
    return pa.table({k: pa.array(v, typ) for k, v in cols.items()})


MATRIX = {
    # pandas
    "pd-object-none-nan": (lambda: pd.DataFrame({
        "n": [150, None, 50], "p": pd.Series([True, None, False], dtype=object), "w": [3.0, np.nan, 1.0],
        "s": pd.Series(["x", np.nan, None], dtype=object), "d": pd.Series([D(2019, 1, 1), None, pd.NaT], dtype=object)}),
        [{"n": 150, "p": True, "w": 3.0, "s": "x", "d": D(2019, 1, 1)}, {}, {"n": 50, "p": False, "w": 1.0}]),
    "pd-nullable": (lambda: pd.DataFrame({
        "n": pd.array([150, None, 50], dtype="Int64"), "p": pd.array([True, None, False], dtype="boolean"),
        "w": pd.array([3.0, None, 1.0], dtype="Float64"), "s": pd.array(["x", None, None], dtype="string[python]"),
        "entity.sector": pd.array(["metallurgy", None, "other"], dtype="string[pyarrow]")}),
        [{"n": 150, "p": True, "w": 3.0, "s": "x", "entity.sector": "metallurgy"}, {},
         {"n": 50, "p": False, "w": 1.0, "entity.sector": "other"}]),
    "pd-category": (lambda: pd.DataFrame({"entity.sector": pd.Categorical(SEC, categories=["other", "metallurgy",
                                                                                           "machinery", "unused"])}),
                    SEC_ROWS),
    "pd-datetime64-us": (lambda: pd.DataFrame({"d": pd.Series(pd.to_datetime([str(x) if x else None for x in DATES]))
                                              .astype("datetime64[us]")}), DATE_ROWS),
    "pd-iso-text": (lambda: pd.DataFrame({"d": [x.isoformat() if x else None for x in DATES]}), DATE_ROWS),
    "pd-integral-float": (lambda: pd.DataFrame({"m": [3.0, np.nan, 7.0]}), [{"m": 3}, {}, {"m": 7}]),
    "pd-range-index-10": (lambda: pd.DataFrame({"m": [3, 9, 7]}, index=pd.RangeIndex(10, 13)),
                          [{"m": 3}, {"m": 9}, {"m": 7}]),
    "pd-string-index": (lambda: pd.DataFrame({"m": [3, 9, 7]}, index=["z", "y", "x"]), [{"m": 3}, {"m": 9}, {"m": 7}]),
    "pd-numpy-scalars": (lambda: pd.DataFrame({"m": [np.int64(3), np.int32(9), None],
                                               "w": [np.float32(2.75), np.float64(1.0), None]}, dtype=object),
                         [{"m": 3, "w": 2.75}, {"m": 9, "w": 1.0}, {}]),
    "pd-list-of-dicts": (lambda: pd.DataFrame({"cranes": [[{"age": 20.0, "ok": False}], None, [{"age": np.nan}],
                                                         [{"ok": None, "age": None}]]}),
                         [{"cranes": [{"age": 20, "ok": False}]}, {}, {"cranes": [{}]}, {"cranes": [{}]}]),
    # pyarrow
    "pa-dictionary": (lambda: pa.table({"entity.sector": pa.array(SEC).dictionary_encode()}), SEC_ROWS),
    "pa-large-string": (lambda: pa.table({"entity.sector": pa.array(SEC, pa.large_string())}), SEC_ROWS),
    "pa-string-view": (lambda: pa.table({"entity.sector": pa.array(SEC, pa.string_view())}), SEC_ROWS),
    "pa-dict-large-int8": (lambda: pa.table({"entity.sector": pa.DictionaryArray.from_arrays(
        pa.array([0, None, 1, 0], pa.int8()), pa.array(["metallurgy", "other"], pa.large_string()))}),
        [{"entity.sector": s} for s in ["metallurgy", None, "other", "metallurgy"]]),
    "pa-chunked": (lambda: pa.table({
        "n": pa.chunked_array([pa.array([150, None]), pa.array([], pa.int64()), pa.array([50, 3])]),
        "entity.sector": pa.chunked_array([pa.array(["metallurgy", None]).dictionary_encode(),
                                           pa.array([], pa.string()).dictionary_encode(),
                                           pa.array(["other", "machinery"]).dictionary_encode()])}),
        [{"n": 150, "entity.sector": "metallurgy"}, {}, {"n": 50, "entity.sector": "other"},
         {"n": 3, "entity.sector": "machinery"}]),
    "pa-int8": (lambda: _nums(pa.int8()), NUM_ROWS),
    "pa-int16": (lambda: _nums(pa.int16()), NUM_ROWS),
    "pa-uint32": (lambda: _nums(pa.uint32()), NUM_ROWS),
    "pa-float32": (lambda: _nums(pa.float32()), NUM_ROWS),
    "pa-date64": (lambda: pa.table({"d": pa.array(DATES, pa.date32()).cast(pa.date64())}), DATE_ROWS),
    "pa-timestamp-ns": (lambda: pa.table({"d": pa.array(DATES, pa.date32()).cast(pa.timestamp("ns"))}), DATE_ROWS),
    "pa-timestamp-s": (lambda: pa.table({"d": pa.array(DATES, pa.date32()).cast(pa.timestamp("s"))}), DATE_ROWS),
    "pa-list-missing-field": (lambda: pa.table({"cranes": pa.array([[{"age": 20}], None, []],
                                                                  pa.list_(pa.struct([("age", pa.int32())])))}),
                              [{"cranes": [{"age": 20}]}, {}, {"cranes": []}]),
    "pa-large-list": (lambda: pa.table({"cranes": pa.array(CRANES, pa.large_list(ITEMS)),
                                        "entity.activities": pa.array([["machinery"], None, [], ["other"]],
                                                                      pa.large_list(pa.large_string()))}),
                      [dict(r, **({"entity.activities": a} if a is not None else {}))
                       for r, a in zip(CRANE_ROWS, [["machinery"], None, [], ["other"]])]),
    "pa-null-type": (lambda: pa.table({k: pa.nulls(2) for k in ("n", "p", "d", "s", "cranes", "entity.activities",
                                                                "entity.sector")}), [{}, {}]),
    # polars
    "pl-categorical": (lambda: pl.DataFrame({"entity.sector": pl.Series(SEC, dtype=pl.Categorical)}), SEC_ROWS),
    "pl-enum": (lambda: pl.DataFrame({"entity.sector": pl.Series(SEC, dtype=pl.Enum(["machinery", "other",
                                                                                     "metallurgy", "unused"]))}),
                SEC_ROWS),
    "pl-int8": (lambda: pl.from_arrow(_nums(pa.int8())), NUM_ROWS),
    "pl-uint64": (lambda: pl.from_arrow(_nums(pa.uint64())), NUM_ROWS),
    "pl-date": (lambda: pl.DataFrame({"d": pl.Series(DATES, dtype=pl.Date)}), DATE_ROWS),
    "pl-datetime-ms": (lambda: pl.DataFrame({"d": pl.Series(DATES, dtype=pl.Date).cast(pl.Datetime("ms"))}), DATE_ROWS),
    "pl-list-struct": (lambda: pl.DataFrame({"cranes": CRANES}), CRANE_ROWS),
    "pl-lazy": (lambda: pl.DataFrame({"n": [150, 50], "p": [True, True]}).lazy(),
                [{"n": 150, "p": True}, {"n": 50, "p": True}]),
    "pl-null": (lambda: pl.DataFrame({"n": pl.Series([None, None], dtype=pl.Null),
                                      "cranes": pl.Series([None, None], dtype=pl.Null)}), [{}, {}]),
}


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("case", sorted(MATRIX))
def test_the_input_matrix_decides_as_evaluate(rules, case, backend):
    make, rows = MATRIX[case]
    got, _ = graded(rules, make(), backend)
    assert got == expected(rules, rows)


def _bad_inputs():
    chunks = lambda *parts: pa.chunked_array([pa.array(p) for p in parts])  # noqa: E731
    return {
        "chunked-bound": (pa.table({"n": chunks([150, None], [50, 3000])}), "n", 3),
        "chunked-dict-enum": (pa.table({"entity.sector": pa.chunked_array(
            [pa.array(x).dictionary_encode() for x in (["other"], ["other", "mars"])])}), "entity.sector", 2),
        "pl-enum-outside-values": (pl.DataFrame({"entity.sector": pl.Series(["other", "mars"], dtype=pl.Enum(
            ["other", "mars"]))}), "entity.sector", 1),
        "pd-category-outside-values": (pd.DataFrame({"entity.sector": pd.Categorical(["other", None, "mars"])}),
                                       "entity.sector", 2),
        "pd-3.5": (pd.DataFrame({"n": [3.0, np.nan, 3.5, 4.5]}, index=pd.RangeIndex(10, 14)), "n", 2),
        "int8-below-min": (pa.table({"n": pa.array([1, -1], pa.int8())}), "n", 1),
        "timestamp-with-time": (pa.table({"d": pa.array([datetime.datetime(2019, 1, 1),
                                                         datetime.datetime(2019, 1, 1, 0, 0, 0, 1)],
                                                        pa.timestamp("ns"))}), "d", 1),
        "chunked-list-item": (pa.table({"cranes": pa.chunked_array([
            pa.array([[{"age": 1.0}]], pa.list_(pa.struct([("age", pa.float64())]))),
            pa.array([None, [{"age": 2.0}, {"age": 3.5}]], pa.list_(pa.struct([("age", pa.float64())])))])}),
            "cranes[].age", 2),
        "activities-outside-values": (pa.table({"entity.activities": pa.array([["other"], [], ["mars"]])}),
                                      "entity.activities", 2),
    }


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("case", sorted(_bad_inputs()))
def test_bad_values_name_the_column_and_first_bad_row(rules, case, backend):
    data, fact, row = _bad_inputs()[case]
    assert_error(rules, data, backend, fact, row)


# -- to_sql: "reads a table with a column for every declared input fact ... gives
#    the same columns as evaluate_table"; table names with odd characters ----------

def _full_table(rules, rows):
    from safetyrules.backends.columnar_io import arrow_type, input_facts

    vocab = rules.plan.facts
    return pa.table({k: pa.array([r.get(k) for r in rows], arrow_type(vocab[k])) for k in input_facts(vocab)})


FULL_ROWS = [
    {"entity.id": "a", "n": 150, "p": True, "w": 3.0, "s": "x", "d": D(2019, 1, 1), "entity.sector": "metallurgy",
     "entity.activities": ["machinery"], "cranes": [{"age": 20, "ok": False}, {"age": None, "ok": None}], "m": 9},
    {"entity.id": "b"},
    {"entity.id": "c", "n": 50, "p": False, "w": 1.0, "cranes": [], "m": 1, "entity.activities": []},
    {"entity.id": "d", "big": True, "p": True, "s": "it's", "level": "blue"},
]


@pytest.mark.parametrize("name", ["facts", "my table", 'a"b; DROP TABLE facts; --', "表", "a.b", "`x`"])
def test_to_sql_in_duckdb_over_every_input_fact_equals_evaluate_table(rules, name):
    import duckdb

    table = _full_table(rules, FULL_ROWS)
    want = rules.evaluate_table(table, backend="python", as_of=DAY)
    con = duckdb.connect()
    con.register(name, table)
    got = con.sql(rules.to_sql(dialect="duckdb", table=name, as_of=DAY)).to_arrow_table()
    assert got.schema == want.schema and got.to_pylist() == want.to_pylist()


# -- Spark: a few representative inputs on one shared session ---------------------

@pytest.fixture(scope="module")
def spark():
    """The session the conformance suite uses (``getOrCreate``: the same one
    when it is running); not stopped here, as that fixture may still use it."""
    return spark_session.start()


def test_spark_reads_a_filtered_pandas_parquet_as_the_other_backends(rules, spark, tmp_path):
    path = tmp_path / "r.parquet"
    _filtered_frame().to_parquet(path)
    rows, ids = graded(rules, path, "spark", spark=spark)
    assert ids == ["a", "c", "d"] and rows == expected(rules, [{"m": 6}, {"m": 1}, {"m": 7}])


def test_a_spark_dataframe_of_narrow_decimal_and_void_columns_decides_as_evaluate(rules, spark):
    sdf = spark.sql(
        "SELECT 'a' AS `entity.id`, CAST(100 AS TINYINT) AS n, CAST(6 AS SMALLINT) AS m, CAST(2.75 AS FLOAT) AS w, "
        "CAST(1 AS DECIMAL(10, 0)) AS big_m, NULL AS d, array(named_struct('age', 20)) AS cranes "
        "UNION ALL SELECT 'b', NULL, NULL, NULL, NULL, NULL, NULL"
    ).drop("big_m")
    out = rules.evaluate_table(sdf, backend="spark", spark=spark, as_of=DAY)
    got = sorted(out.toPandas().to_dict("records"), key=lambda r: r["entity.id"])
    got = [{"findings": list(r["findings"]), "undetermined": list(r["undetermined"]), "level": r["level"]}
           for r in got]
    want = expected(rules, [{"n": 100, "m": 6, "w": 2.75, "cranes": [{"age": 20}]}, {}])
    assert got == [{k: w[k] for k in ("findings", "undetermined", "level")} for w in want]


def test_to_sql_spark_dialect_in_spark_equals_evaluate_table(rules, spark):
    from safetyrules.backends.spark import spark_type

    table = _full_table(rules, FULL_ROWS)
    vocab = rules.plan.facts
    schema = ", ".join(f"`{k}` {spark_type(vocab[k])}" for k in table.column_names)
    spark.createDataFrame(table.to_pylist(), schema=schema).createOrReplaceTempView("audit4_facts")
    got = spark.sql(rules.to_sql(dialect="spark", table="audit4_facts", as_of=DAY)).toPandas().to_dict("records")
    want = rules.evaluate_table(table, backend="python", as_of=DAY).to_pylist()
    norm = [{k: (list(v) if k in ("findings", "undetermined") else
                 (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)) for k, v in r.items()}
            for r in got]
    assert norm == want
