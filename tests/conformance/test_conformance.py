"""One conformance suite: every case, every backend, row for row equal to
the per-record engine (SPEC §9).

The reference is ``rules.evaluate`` of each record (the ``python`` backend
of ``evaluate_table``, itself checked against ``rules.evaluate`` on the
records as written); ``expect`` entries pin the reference on chosen rows,
so the suite fails when every backend is wrong the same way.
"""

import pyarrow as pa
import pytest

from safetyrules.backends.columnar_io import arrow_type
from safetyrules.engine.table import decision_row

from conformance_cases import CASES, case_records, days, load_case, reference_row

BACKENDS = ("duckdb", "polars", "spark")


def arrow_of(rules, records):
    vocab = rules.plan.facts
    names = sorted({k for r in records for k in r})
    return pa.Table.from_arrays(
        [pa.array([r.get(n) for r in records], arrow_type(vocab[n])) for n in names], names=names
    ) if names else pa.table({"__none": pa.nulls(len(records))}).drop(["__none"])


@pytest.fixture(scope="module", params=CASES)
def case(request, tmp_path_factory):
    case, rules = load_case(request.param, str(tmp_path_factory.mktemp(request.param)))
    records = case_records(case, rules)
    return request.param, case, rules, records


def reference(rules, records, day):
    decisions = [rules.evaluate(r, as_of=day) for r in records]
    rows = [reference_row(d) for d in decisions]
    assert [decision_row(d) for d in decisions] == rows  # the python backend's fast row
    return rows


def _check_expect(case, rows):
    for e in case.get("expect", []):
        row = rows[e["row"]]
        for key, want in e.items():
            if key == "row":
                continue
            if key.endswith("_has"):
                assert set(want) <= set(row[key[:-4]]), (e, row)
            elif key.endswith("_lacks"):
                assert not set(want) & set(row[key[:-6]]), (e, row)
            else:
                assert row[key] == want, (e, row)


def test_python_backend_is_the_engine(case):
    name, spec, rules, records = case
    table = arrow_of(rules, records)
    for day in days(spec):
        ref = reference(rules, records, day)
        _check_expect(spec, ref)
        got = rules.evaluate_table(table, backend="python", as_of=day).to_pylist()
        assert got == ref


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_equals_engine(case, backend, request):
    name, spec, rules, records = case
    table = arrow_of(rules, records)
    kw = {"spark": request.getfixturevalue("spark")} if backend == "spark" else {}
    for day in days(spec):
        ref = reference(rules, records, day)
        got = rules.evaluate_table(table, backend=backend, as_of=day, **kw).to_pylist()
        assert len(got) == len(ref)
        for i, (g, r) in enumerate(zip(got, ref)):
            assert g == r, (name, day, i, records[i])


def test_to_sql_equals_engine(case):
    """``to_sql`` over a table with every declared input fact, run in DuckDB."""
    import duckdb

    from safetyrules.backends.columnar_io import read_table

    name, spec, rules, records = case
    facts, _ = read_table(arrow_of(rules, records), rules.plan.facts)
    con = duckdb.connect()
    con.register("facts", facts)
    for day in days(spec):
        sql = rules.to_sql(dialect="duckdb", table="facts", as_of=day)
        got = con.sql(sql).fetchall()
        ref = reference(rules, records, day)
        cols = ["level", "tier", "inspection", "major_hazard", "findings", "undetermined"]
        assert [dict(zip(cols, row)) for row in got] == ref


def test_spark_dataframe_in_spark_dataframe_out(spark, tmp_path):
    """A Spark DataFrame input gives a Spark DataFrame with the same rows;
    NaN in a double column is unknown, an absent column an unknown fact."""
    import math

    case, rules = load_case("lists", str(tmp_path))
    records = case_records(case, rules)[:60]
    table = arrow_of(rules, records)
    day = days(case)[0]
    ref = rules.evaluate_table(table, backend="python", as_of=day)
    sdf = spark.createDataFrame(table)
    out = rules.evaluate_table(sdf, backend="spark", as_of=day, spark=spark)
    assert type(out).__name__ == "DataFrame" and hasattr(out, "toArrow")
    assert out.columns == ref.column_names
    assert out.toArrow().to_pylist() == ref.to_pylist()
    nan = spark.createDataFrame([(math.nan, 1)], "limit double, other bigint").drop("other")
    got = rules.evaluate_table(nan, backend="spark", as_of=day, spark=spark).toArrow().to_pylist()
    assert got == rules.evaluate_table(pa.table({"limit": pa.nulls(1, pa.int64())}), backend="python",
                                       as_of=day).to_pylist()


def test_spark_dataframe_bad_values(spark, tmp_path):
    from safetyrules.errors import FactsError

    case, rules = load_case("tables", str(tmp_path))
    for rows, schema, words in (
        ([(1.5,)], "size double", "whole number"),
        ([(-1.0,)], "size double", "at least 0"),
        ([("mars",)], "kind string", "not one of"),
        ([(1,)], "hot bigint", "must be bool"),
        ([(1,)], "colour bigint", "unknown fact"),
    ):
        with pytest.raises(FactsError, match=words) as info:
            rules.evaluate_table(spark.createDataFrame(rows, schema), backend="spark", as_of="2024-03-01",
                                 spark=spark)
        assert info.value.fact == schema.split()[0]
