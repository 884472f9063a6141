"""A black-box audit of SPEC §9 (registry evaluation), sentence by sentence,
as a user would call it: pyarrow/pandas/polars inputs and files the test
writes in tmp_path, checked against ``rules.evaluate`` row by row."""

import datetime
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import safetyrules
from safetyrules import FactsError

from registry_fixtures import decision_columns, write_rules
import cli_fork

DAY = datetime.date(2024, 3, 1)
LOCAL = ("python", "duckdb", "polars")
COLUMNS = ["level", "tier", "inspection", "major_hazard", "findings", "undetermined"]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return write_rules(str(tmp_path_factory.mktemp("spec9")))


@pytest.fixture(scope="module")
def rules(manifest):
    return safetyrules.load(manifest)


def expected(rules, rows, with_id=None):
    out = []
    for r in rows:
        d = rules.evaluate(r, as_of=DAY)
        row = {"entity.id": r.get("entity.id")} if with_id else {}
        row.update(decision_columns(d))
        out.append(row)
    return out


M = {"entity.sector": "metallurgy"}


# -- "data is a pyarrow.Table, a polars or pandas DataFrame, or a path" ---------

@pytest.mark.parametrize("backend", LOCAL)
def test_every_input_kind_gives_the_same_rows(rules, backend, tmp_path):
    import polars as pl

    rows = [
        {"entity.id": "a", **M, "entity.employees": 500, "p": True},
        {"entity.id": "b", **M, "entity.employees": 2, "entity.revenue": 1.0, "site.opened": datetime.date(2024, 1, 2)},
        {"entity.id": "c"},
    ]
    keys = sorted({k for r in rows for k in r})
    table = pa.table({k: [r.get(k) for r in rows] for k in keys})
    want = expected(rules, rows, with_id=True)
    pq.write_table(table, tmp_path / "r.parquet")
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r, default=str) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "r.csv").write_text(
        "entity.id,entity.sector,entity.employees,entity.revenue,p,site.opened\n"
        "a,metallurgy,500,,true,\nb,metallurgy,2,1.0,,2024-01-02\nc,,,,,\n", encoding="utf-8")
    for data in (table, table.to_pandas(), pl.from_arrow(table), str(tmp_path / "r.parquet"),
                 tmp_path / "r.parquet", str(tmp_path / "r.jsonl"), str(tmp_path / "r.csv")):
        out = rules.evaluate_table(data, backend=backend, as_of=DAY)
        assert isinstance(out, pa.Table), type(data)
        assert out.to_pylist() == want, type(data)


# -- "one row per input row, in input order" -------------------------------------

@pytest.mark.parametrize("backend", LOCAL)
def test_a_pandas_frame_with_no_columns_keeps_its_rows(rules, backend):
    import pandas as pd

    out = rules.evaluate_table(pd.DataFrame(index=range(3)), backend=backend, as_of=DAY)
    assert out.num_rows == 3
    assert out.to_pylist() == expected(rules, [{}, {}, {}])


@pytest.mark.parametrize("backend", LOCAL)
def test_zero_rows_give_zero_rows_with_the_columns(rules, backend):
    out = rules.evaluate_table(pa.table({"entity.id": pa.array([], pa.string()), "p": pa.array([], pa.bool_())}),
                               backend=backend, as_of=DAY)
    assert out.num_rows == 0 and out.column_names == ["entity.id"] + COLUMNS


@pytest.mark.parametrize("backend", LOCAL)
def test_entity_id_comes_first_wherever_it_is_in_the_input(rules, backend):
    import pandas as pd

    df = pd.DataFrame({"p": [True, False], "entity.id": ["x", "y"]}, index=[7, 3])
    out = rules.evaluate_table(df, backend=backend, as_of=DAY)
    assert out.column_names == ["entity.id"] + COLUMNS
    assert out.column("entity.id").to_pylist() == ["x", "y"]
    assert out.schema.field("level").type == pa.string() and out.schema.field("tier").type == pa.string()
    assert out.schema.field("undetermined").type == pa.list_(pa.string())


# -- "Null, and NaN in a float column, mean unknown; an absent column is an unknown
#     fact; integral floats are accepted for integer facts" ------------------------

@pytest.mark.parametrize("backend", LOCAL)
def test_null_nan_absent_and_integral_floats(rules, backend):
    import pandas as pd

    df = pd.DataFrame({
        "entity.sector": pd.Categorical(["metallurgy", "metallurgy", "metallurgy"]),
        "entity.employees": pd.array([5, None, 5], dtype="Int64"),
        "entity.revenue": [float("nan"), 1.0, 3.0],
        "p": pd.array([True, None, False], dtype="boolean"),
    })
    out = rules.evaluate_table(df, backend=backend, as_of=DAY).to_pylist()
    assert out == expected(rules, [
        {**M, "entity.employees": 5, "p": True}, {**M, "entity.revenue": 1.0}, {**M, "entity.employees": 5,
                                                                                 "entity.revenue": 3.0, "p": False}])
    assert "s:ratio" in out[0]["undetermined"]


@pytest.mark.parametrize("backend", LOCAL)
def test_list_columns_with_some_item_fields(rules, backend):
    typ = pa.list_(pa.struct([("age", pa.int64())]))
    table = pa.table({"entity.sector": ["metallurgy"] * 3, "cranes": pa.array([[{"age": 11}], [], None], typ)})
    out = rules.evaluate_table(table, backend=backend, as_of=DAY).to_pylist()
    assert out == expected(rules, [{**M, "cranes": [{"age": 11}]}, {**M, "cranes": []}, M])
    assert "s:old" in out[0]["undetermined"] and "s:old" not in out[1]["undetermined"]


# -- "CSV and JSON Lines are typed by the vocabulary ... a value the fact cannot
#     take (3.5 for an integer) is a FactsError naming the column and first bad row"

def test_csv_list_cell_with_a_fractional_integer_field_is_refused(rules, tmp_path):
    """pyarrow would silently truncate 1.5 to 1 in an int64 field."""
    path = tmp_path / "r.csv"
    path.write_text('entity.id,cranes\na,"[{""age"": 11}]"\nb,"[{""age"": 11.5}]"\n', encoding="utf-8")
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), as_of=DAY)
    assert "cranes" in info.value.fact and info.value.row == 1 and "whole number" in str(info.value)


def test_pandas_list_cell_with_a_fractional_integer_field_is_refused(rules):
    import pandas as pd

    with pytest.raises(FactsError, match=r"cranes.*row 1.*whole number"):
        rules.evaluate_table(pd.DataFrame({"cranes": [[{"age": 2}], [{"age": 1.5}]]}), as_of=DAY)


def test_a_csv_header_naming_a_column_twice_is_a_facts_error(rules, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("p,entity.id,p\ntrue,a,false\n", encoding="utf-8")
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), as_of=DAY)
    assert info.value.fact == "p" and "twice" in str(info.value)


def test_a_pandas_frame_naming_a_column_twice_is_a_facts_error(rules):
    import pandas as pd

    with pytest.raises(FactsError) as info:
        rules.evaluate_table(pd.DataFrame([[True, False]], columns=["p", "p"]), as_of=DAY)
    assert info.value.fact == "p"


@pytest.mark.parametrize(
    "text, column, row",
    [
        ("entity.id,entity.employees\na,1\nb,3.5\n", "entity.employees", 1),
        ("entity.id,entity.employees\na,1\nb,x\n", "entity.employees", 1),
        ("entity.id,entity.employees\na,-1\n", "entity.employees", 0),
        ("entity.id,entity.sector\na,other\nb,other\nc,mining\n", "entity.sector", 2),
        ("entity.id,p\na,yes\n", "p", 0),
        ("entity.id,site.opened\na,2024-01-01\nb,2024-02-30\n", "site.opened", 1),
        ("entity.id,colour\na,red\n", "colour", None),
    ],
)
def test_csv_errors_name_the_column_and_first_bad_row(rules, tmp_path, text, column, row):
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), as_of=DAY)
    assert info.value.fact == column and column in str(info.value)
    if row is not None:
        assert info.value.row == row and f"row {row}" in str(info.value)


def test_csv_empty_cells_are_null_and_integral_text_is_an_integer(rules, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("entity.sector,entity.employees,p\nmetallurgy,500.0,true\nmetallurgy,,\n", encoding="utf-8")
    out = rules.evaluate_table(str(path), as_of=DAY).to_pylist()
    assert out == expected(rules, [{**M, "entity.employees": 500, "p": True}, M])


def test_jsonl_errors_name_the_fact_and_line(rules, tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"entity.employees": 1}\n{"entity.employees": 3.5}\n', encoding="utf-8")
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), as_of=DAY)
    assert info.value.fact == "entity.employees" and info.value.line == 2


@pytest.mark.parametrize(
    "table, column",
    [
        (pa.table({"entity.employees": ["1"]}), "entity.employees"),
        (pa.table({"site.opened": [1]}), "site.opened"),
        (pa.table({"p": ["true"]}), "p"),
        (pa.table({"cranes": [[1]]}), "cranes"),
    ],
)
def test_a_column_of_the_wrong_type_names_the_column(rules, table, column):
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(table, as_of=DAY)
    assert info.value.fact == column


# -- to_sql and the CLI -----------------------------------------------------------

def test_to_sql_over_a_table_of_every_input_fact_equals_evaluate_table(rules):
    import duckdb

    rows = [{"entity.id": "a", **M, "entity.employees": 500, "p": True}, {"entity.id": "b"}]
    facts = {"entity.id": pa.string(), "entity.sector": pa.string(), "entity.employees": pa.int64(),
             "entity.revenue": pa.float64(), "site.opened": pa.date32(), "p": pa.bool_(), "entity.scale": pa.string(),
             "cranes": pa.list_(pa.struct([("age", pa.int64()), ("ok", pa.bool_())])), "risk.level": pa.string()}
    table = pa.table({k: pa.array([r.get(k) for r in rows], t) for k, t in facts.items()})
    sql = rules.to_sql(dialect="duckdb", table="facts", as_of=DAY)
    assert isinstance(sql, str) and sql.lstrip().upper().startswith(("SELECT", "WITH"))
    con = duckdb.connect()
    con.register("facts", table)
    got = con.sql(sql).to_arrow_table()
    assert got.column_names == ["entity.id"] + COLUMNS
    assert got.to_pylist() == expected(rules, rows, with_id=True)


def _cli(*args):
    return cli_fork.run([*args], capture_output=True, text=True, timeout=120)


def test_cli_registry_csv_to_every_output_format(rules, manifest, tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("entity.id,entity.sector,entity.employees,p\na,metallurgy,500,true\nb,,,\n", encoding="utf-8")
    want = expected(rules, [{"entity.id": "a", **M, "entity.employees": 500, "p": True}, {"entity.id": "b"}], True)
    out = tmp_path / "o.parquet"
    r = _cli("evaluate", str(src), "--rules", manifest, "--as-of", "2024-03-01", "--backend", "polars", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert pq.read_table(out).to_pylist() == want
    out = tmp_path / "o.jsonl"
    r = _cli("evaluate", str(src), "--rules", manifest, "--as-of", "2024-03-01", "--backend", "duckdb", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] == want
    bad = tmp_path / "bad.csv"
    bad.write_text("entity.id,entity.employees\na,1\nb,2.5\n", encoding="utf-8")
    r = _cli("evaluate", str(bad), "--rules", manifest, "--backend", "duckdb", "--out", str(tmp_path / "x.csv"))
    assert r.returncode == 2 and "entity.employees" in r.stderr and "row 1" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_sql_prints_the_select_for_both_dialects(rules, manifest):
    for dialect in ("duckdb", "spark"):
        r = _cli("sql", "--rules", manifest, "--as-of", "2024-03-01", "--dialect", dialect, "--table", "reg")
        assert r.returncode == 0, r.stderr
        assert "reg" in r.stdout and r.stdout.strip() == rules.to_sql(dialect=dialect, table="reg", as_of=DAY).strip()


def test_jsonl_integer_past_64_bits_is_a_facts_error_naming_fact_and_line(rules, tmp_path):
    """rules.evaluate takes 10**23 employees; no int64 column can hold it: a
    FactsError with the line, not an OverflowError."""
    path = tmp_path / "r.jsonl"
    path.write_text('{"entity.employees": 5}\n{"entity.employees": 100000000000000000000000}\n', encoding="utf-8")
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), as_of=DAY)
    assert info.value.fact == "entity.employees" and info.value.line == 2


@pytest.mark.parametrize("column", ["entity.employees", "entity.revenue"])
def test_pandas_integer_past_64_bits_is_a_facts_error_naming_column_and_row(rules, column):
    import pandas as pd

    with pytest.raises(FactsError) as info:
        rules.evaluate_table(pd.DataFrame({column: [5, 10 ** 23]}, dtype=object), as_of=DAY)
    assert info.value.fact == column and info.value.row == 1


def _row_of(d, with_id):
    row = {"entity.id": (d.entity or {}).get("id")} if with_id else {}
    row.update(decision_columns(d))
    return row


def test_a_table_through_pandas_records_and_evaluate_many_equals_evaluate_table(rules):
    """Issue 10: a pandas frame read from Arrow (NaN for missing integers and
    strings, numpy arrays of dicts for lists, None for a missing item field)
    gives, record by record, what evaluate_table gives."""
    typ = pa.list_(pa.struct([("age", pa.int64()), ("ok", pa.bool_())]))
    table = pa.table({
        "entity.id": ["a", "b", "c"], "entity.sector": ["metallurgy", "metallurgy", None],
        "entity.employees": pa.array([5, None, 7], pa.int64()), "entity.revenue": [float("nan"), 1.0, None],
        "cranes": pa.array([[{"age": 11, "ok": False}], [{"age": None, "ok": True}], None], typ),
        "site.opened": pa.array([datetime.date(2024, 2, 1), None, None], pa.date32()),
    })
    want = rules.evaluate_table(table, backend="python", as_of=DAY).to_pylist()
    records = table.to_pandas().to_dict("records")
    assert [_row_of(d, True) for d in rules.evaluate_many(records, as_of=DAY)] == want
    assert [_row_of(rules.evaluate(r, as_of=DAY), True) for r in records] == want
    for backend in ("duckdb", "polars"):
        assert rules.evaluate_table(table, backend=backend, as_of=DAY).to_pylist() == want


@pytest.mark.parametrize("backend", LOCAL)
def test_nan_in_a_float_item_field_is_unknown(rules, backend):
    typ = pa.list_(pa.struct([("age", pa.float64()), ("ok", pa.bool_())]))
    table = pa.table({"entity.sector": ["metallurgy"] * 2,
                      "cranes": pa.array([[{"age": float("nan"), "ok": False}], [{"age": 12.0, "ok": False}]], typ)})
    out = rules.evaluate_table(table, backend=backend, as_of=DAY).to_pylist()
    assert out == expected(rules, [{**M, "cranes": [{"ok": False}]}, {**M, "cranes": [{"age": 12, "ok": False}]}])
    assert "s:old" in out[0]["undetermined"] and "s:old" in out[1]["findings"]


ITEMS_VOCAB = """\
kind: vocabulary
id: v
facts:
  entity.id: {type: string}
  items: {type: list, item: {kind: {type: enum, values: [x, y]}, d: {type: date}, w: {type: number, min: 0}}}
"""
ITEMS_STD = """\
kind: standard
id: s
version: "1"
clauses:
  - {id: c, cite: C, severity: general, when: "any(i in items: i.kind == 'x' and i.d < 2024-01-01 and i.w > 1)"}
"""


@pytest.fixture(scope="module")
def item_rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("items")
    (d / "v.yaml").write_text(ITEMS_VOCAB, encoding="utf-8")
    (d / "s.yaml").write_text(ITEMS_STD, encoding="utf-8")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: i\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    return safetyrules.load(str(d))


@pytest.mark.parametrize(
    "cell, field",
    [
        ([{"kind": "x", "d": "2023-01-01", "w": 2}], None),      # an ISO date text is a date, as in evaluate
        ([{"kind": "x"}, {"w": 1.5, "d": None}], None),
        ([{"kind": "z"}], "items[].kind"),
        ([{"kind": "x", "w": -2}], "items[].w"),
        ([{"d": "2023-02-30"}], "items[].d"),
        ([{"d": 20230101}], "items[].d"),
        ([{"kind": 5}], "items[].kind"),
        ([{"w": True}], "items[].w"),                            # pyarrow would take true as 1.0
    ],
)
def test_csv_list_cells_are_typed_as_rules_evaluate_types_them(item_rules, tmp_path, cell, field):
    path = tmp_path / "r.csv"
    text = json.dumps(cell).replace('"', '""')
    path.write_text(f'entity.id,items\nok,"[{{""kind"": ""y""}}]"\na,"{text}"\n', encoding="utf-8")
    if field is None:
        want = expected(item_rules, [{"entity.id": "ok", "items": [{"kind": "y"}]}, {"entity.id": "a", "items": cell}],
                        with_id=True)
        assert item_rules.evaluate_table(str(path), as_of=DAY).to_pylist() == want
        return
    with pytest.raises(FactsError):
        item_rules.evaluate({"items": cell}, as_of=DAY)
    with pytest.raises(FactsError) as info:
        item_rules.evaluate_table(str(path), as_of=DAY)
    assert info.value.fact == field and info.value.row == 1


def test_the_bundled_rules_on_the_example_entities_as_one_pandas_frame():
    """The example facts files, flattened into one DataFrame (object columns
    with None, float64 columns with NaN where an entity lacks a fact): every
    local backend and evaluate_many over its records equal rules.evaluate."""
    import glob
    import os

    import pandas as pd
    import yaml

    rules = safetyrules.load()
    here = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "facts")
    rows = []
    for path in sorted(glob.glob(os.path.join(here, "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)

        def flat(prefix, value, out):
            if isinstance(value, dict):
                for k, v in value.items():
                    flat(f"{prefix}.{k}" if prefix else k, v, out)
            else:
                out[prefix] = value
            return out

        rows.append(flat("", doc, {}))
    assert len(rows) >= 5
    day = datetime.date(2025, 3, 1)
    want = [_row_of(rules.evaluate(r, as_of=day), False) for r in rows]
    assert len({w["level"] for w in want}) > 1
    df = pd.DataFrame(rows)
    assert df.isna().any().any()
    for backend in LOCAL:
        assert rules.evaluate_table(df, backend=backend, as_of=day).to_pylist() == want, backend
    assert [_row_of(d, False) for d in rules.evaluate_many(df.to_dict("records"), as_of=day)] == want


@pytest.mark.parametrize("backend", LOCAL)
def test_pandas_read_csv_of_empty_columns_is_unknown_as_in_evaluate_many(rules, backend):
    """pd.read_csv gives a column with no value at all as float64 NaN, whatever
    the fact's type; NaN is unknown, so the rows are decided as evaluate_many
    decides the same records (a float column holding a value stays an error)."""
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO("entity.id,entity.sector,p,site.opened,entity.employees,cranes\na,,,,,\nb,,,,,\n"))
    assert str(df["entity.sector"].dtype) == "float64"
    want = [_row_of(d, True) for d in rules.evaluate_many(df.to_dict("records"), as_of=DAY)]
    assert rules.evaluate_table(df, backend=backend, as_of=DAY).to_pylist() == want
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(pd.DataFrame({"entity.sector": [float("nan"), 1.0]}), backend=backend, as_of=DAY)
    assert info.value.fact == "entity.sector"
