"""SPEC §9 through the Python API: input types, the result's shape and
order, null and NaN, checking errors naming the column and row, to_sql."""

import datetime
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import safetyrules
from safetyrules.backends.sql import BackendError
from safetyrules.errors import FactsError, SafetyRulesError

from registry_fixtures import decision_columns, write_rules

DAY = datetime.date(2024, 3, 1)
LOCAL = ("python", "duckdb", "polars")


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return safetyrules.load(write_rules(str(tmp_path_factory.mktemp("registry"))))


ROWS = [
    {"entity.id": "e1", "entity.sector": "metallurgy", "entity.employees": 500, "p": True},
    {"entity.id": "e2", "entity.sector": "machinery", "entity.employees": 5, "entity.revenue": 1.0,
     "cranes": [{"age": 11, "ok": False}], "site.opened": datetime.date(2024, 2, 1)},
    {"entity.id": "e3", "entity.sector": "other"},
    {"entity.id": "e4", "entity.sector": "metallurgy", "entity.employees": 0, "entity.revenue": 3.0},
    {"entity.id": "e5"},
]


def reference(rules, rows):
    out = []
    for r in rows:
        d = rules.evaluate(r, as_of=DAY)
        out.append({"entity.id": r.get("entity.id"), **decision_columns(d)})
    return out


def arrow_rows(rows):
    import pandas as pd

    return pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)


@pytest.mark.parametrize("backend", LOCAL)
def test_result_columns_types_and_order(rules, backend):
    out = rules.evaluate_table(arrow_rows(ROWS), backend=backend, as_of=DAY)
    assert isinstance(out, pa.Table)
    assert out.column_names == ["entity.id", "level", "tier", "inspection", "major_hazard", "findings", "undetermined"]
    assert out.schema.field("findings").type == pa.list_(pa.string())
    assert out.schema.field("major_hazard").type == pa.bool_()
    assert out.to_pylist() == reference(rules, ROWS)
    got = out.to_pylist()
    assert got[0]["findings"] == ["s:big"] and got[0]["level"] == "red" and got[0]["major_hazard"] is True
    # division by zero is unknown: e4's ratio clause is undetermined
    assert "s:ratio" in got[3]["undetermined"]
    assert got[2] == {"entity.id": "e3", "level": "blue", "tier": None, "inspection": None, "major_hazard": False,
                      "findings": [], "undetermined": []}


def test_default_backend_is_duckdb_and_no_id_column(rules):
    rows = [{k: v for k, v in r.items() if k != "entity.id"} for r in ROWS]
    out = rules.evaluate_table(arrow_rows(rows), as_of=DAY)
    assert out.column_names[0] == "level"
    assert out.to_pylist() == [{k: v for k, v in r.items() if k != "entity.id"} for r in reference(rules, ROWS)]


@pytest.mark.parametrize("backend", LOCAL)
def test_pandas_nan_nat_and_integral_floats(rules, backend):
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({
        "entity.sector": ["metallurgy", "metallurgy", None],
        "entity.employees": [500.0, np.nan, 3.0],      # integers with a gap are float64 in pandas
        "p": [True, None, False],
        "site.opened": pd.to_datetime(["2024-02-01", None, "2023-01-01"]),
    })
    out = rules.evaluate_table(df, backend=backend, as_of=DAY).to_pylist()
    ref = reference(rules, [
        {"entity.sector": "metallurgy", "entity.employees": 500, "p": True, "site.opened": datetime.date(2024, 2, 1)},
        {"entity.sector": "metallurgy"},
        {"entity.employees": 3, "p": False, "site.opened": datetime.date(2023, 1, 1)},
    ])
    assert out == [{k: v for k, v in r.items() if k != "entity.id"} for r in ref]
    assert "s:big" in out[0]["findings"] and "s:big" in out[1]["undetermined"]


def test_polars_input_and_files(rules, tmp_path):
    import polars as pl

    table = arrow_rows(ROWS)
    ref = rules.evaluate_table(table, backend="python", as_of=DAY)
    assert rules.evaluate_table(pl.from_arrow(table), as_of=DAY).equals(ref)
    pq.write_table(table, tmp_path / "r.parquet")
    assert rules.evaluate_table(str(tmp_path / "r.parquet"), backend="polars", as_of=DAY).equals(ref)
    with open(tmp_path / "r.jsonl", "w", encoding="utf-8") as fh:
        for r in ROWS:
            fh.write(json.dumps(r, default=str) + "\n")
    assert rules.evaluate_table(str(tmp_path / "r.jsonl"), as_of=DAY).equals(ref)
    # CSV: typed by the vocabulary, an empty cell is null, lists as JSON text
    (tmp_path / "r.csv").write_text(
        "entity.id,entity.sector,entity.employees,entity.revenue,p,site.opened,cranes\n"
        "e1,metallurgy,500,,true,,\n"
        'e2,machinery,5,1.0,,2024-02-01,"[{""age"": 11, ""ok"": false}]"\n'
        "e3,other,,,,,\n"
        "e4,metallurgy,0,3.0,,,\n"
        "e5,,,,,,\n",
        encoding="utf-8",
    )
    assert rules.evaluate_table(str(tmp_path / "r.csv"), as_of=DAY).to_pylist() == ref.to_pylist()


@pytest.mark.parametrize(
    "column, values, row, words",
    [
        ("entity.colour", ["red"], None, "unknown fact"),
        ("entity.sector", ["other", "mining"], 1, "not one of"),
        ("entity.employees", [1.0, 2.0, 3.5], 2, "whole number"),
        ("entity.employees", [1, -2], 1, "at least 0"),
        ("entity.revenue", [1.0, float("inf")], 1, "finite"),
        ("p", [1, 0], None, "true or false"),
        ("findings.major", [1], None, "computed by the engine"),
    ],
)
@pytest.mark.parametrize("backend", ("duckdb", "polars"))
def test_bad_columns_name_column_and_row(rules, column, values, row, words, backend):
    table = pa.table({column: values})
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(table, backend=backend, as_of=DAY)
    err = info.value
    assert isinstance(err, SafetyRulesError)
    assert err.fact == column and column in err.message and words in err.message
    if row is not None:
        assert f"row {row}" in err.message and err.row == row


def test_bad_list_items(rules):
    typ = pa.list_(pa.struct([("age", pa.float64()), ("colour", pa.string())]))
    with pytest.raises(FactsError, match="colour"):
        rules.evaluate_table(pa.table({"cranes": pa.array([[{"age": 1.0, "colour": "x"}]], typ)}), as_of=DAY)
    typ = pa.list_(pa.struct([("age", pa.float64())]))
    with pytest.raises(FactsError, match=r"row 1.*whole number"):
        rules.evaluate_table(pa.table({"cranes": pa.array([[{"age": 1.0}], [{"age": 2.0}, {"age": 2.5}]], typ)}),
                             as_of=DAY)


def test_unknown_backend_and_dialect(rules):
    with pytest.raises(BackendError):
        rules.evaluate_table(arrow_rows(ROWS), backend="oracle")
    with pytest.raises(BackendError):
        rules.to_sql(dialect="oracle")
    with pytest.raises(BackendError, match="SparkSession"):
        rules.evaluate_table(arrow_rows(ROWS), backend="spark")


def test_to_sql_is_one_select_with_entity_id_first(rules):
    import duckdb

    sql = rules.to_sql(as_of=DAY)
    assert sql.startswith("SELECT ") and ";" not in sql
    from safetyrules.backends.columnar_io import read_table

    facts, _ = read_table(arrow_rows(ROWS), rules.plan.facts)
    con = duckdb.connect()
    con.register("registry", facts)
    got = con.sql(rules.to_sql(table="registry", as_of=DAY)).to_arrow_table()
    assert got.column_names[0] == "entity.id"
    assert got.to_pylist() == reference(rules, ROWS)
    # the day is compiled in: a standard not yet in force that day is absent
    bundled = safetyrules.load()
    assert "cn.mem.order10.general:" in bundled.to_sql(as_of=DAY)
    assert "cn.mem.order10.general:" not in bundled.to_sql(as_of="2022-01-01")


def test_sql_quotes_names_and_literals(tmp_path):
    """Fact names and text literals from rule files reach the SQL only quoted."""
    (tmp_path / "v.yaml").write_text(
        "kind: vocabulary\nid: v\nfacts:\n  select.from: {type: string}\n  数据.名称: {type: bool}\n",
        encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "kind: standard\nid: s\nversion: '1'\nclauses:\n"
        "  - id: q\n    cite: X\n    severity: general\n    when: |-\n"
        "      select.from == 'x\\'); DROP TABLE t; --' or select.from == '\\\\' or 数据.名称\n",
        encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: q\ninclude: [v.yaml, s.yaml]\ndecision: {}\n",
                                           encoding="utf-8")
    rules = safetyrules.load(str(tmp_path / "ruleset.yaml"))
    table = pa.table({"select.from": ["x'); DROP TABLE t; --", "\\", "y", None], "数据.名称": [None, None, None, True]})
    ref = rules.evaluate_table(table, backend="python", as_of=DAY)
    assert [r["findings"] for r in ref.to_pylist()] == [["s:q"], ["s:q"], [], ["s:q"]]
    assert rules.evaluate_table(table, backend="duckdb", as_of=DAY).equals(ref)
    assert rules.evaluate_table(table, backend="polars", as_of=DAY).equals(ref)
    sql = rules.to_sql(dialect="spark", as_of=DAY)
    assert "`select.from`" in sql and "'x\\'); DROP TABLE t; --'" in sql
