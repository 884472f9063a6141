"""``safetyrules evaluate REGISTRY --backend --out`` and ``safetyrules sql``."""

import datetime
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import safetyrules
from safetyrules.cli.main import main

from registry_fixtures import write_rules

DAY = datetime.date(2024, 3, 1)
ROWS = pa.table({
    "entity.id": ["a", "b", "c"],
    "entity.sector": ["metallurgy", "other", None],
    "entity.employees": pa.array([500, 3, None], pa.int64()),
    "p": [True, False, None],
})


@pytest.fixture()
def setup(tmp_path):
    rules_path = write_rules(str(tmp_path))
    pq.write_table(ROWS, tmp_path / "reg.parquet")
    expected = safetyrules.load(rules_path).evaluate_table(ROWS, backend="python", as_of=DAY)
    return tmp_path, rules_path, expected


@pytest.mark.parametrize("backend", ("duckdb", "polars", "python"))
def test_evaluate_parquet_to_parquet(setup, backend, capsys):
    tmp, rules_path, expected = setup
    out = tmp / "out.parquet"
    code = main(["evaluate", str(tmp / "reg.parquet"), "--rules", rules_path, "--as-of", "2024-03-01",
                 "--backend", backend, "--out", str(out)])
    assert code == 0
    assert pq.read_table(out).equals(expected)
    err = capsys.readouterr().err
    assert err == ""  # no progress bar when stderr is not a terminal


def test_evaluate_csv_in_jsonl_and_csv_out(setup):
    tmp, rules_path, expected = setup
    (tmp / "reg.csv").write_text("entity.id,entity.sector,entity.employees,p\na,metallurgy,500,true\n"
                                 "b,other,3,false\nc,,,\n", encoding="utf-8")
    assert main(["evaluate", str(tmp / "reg.csv"), "--rules", rules_path, "--as-of", "2024-03-01",
                 "--out", str(tmp / "o.jsonl")]) == 0
    lines = (tmp / "o.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == expected.to_pylist()
    assert lines[0] == json.dumps(expected.to_pylist()[0], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert main(["evaluate", str(tmp / "reg.csv"), "--rules", rules_path, "--as-of", "2024-03-01",
                 "--out", str(tmp / "o.csv")]) == 0
    text = (tmp / "o.csv").read_text(encoding="utf-8").splitlines()
    assert text[0] == "entity.id,level,tier,inspection,major_hazard,findings,undetermined"
    assert text[1].startswith("a,red,,,true,")


def test_bad_registry_exits_2_with_column_and_row(setup, capsys):
    tmp, rules_path, _ = setup
    pq.write_table(pa.table({"entity.sector": ["other", "mars"]}), tmp / "bad.parquet")
    code = main(["evaluate", str(tmp / "bad.parquet"), "--rules", rules_path, "--out", str(tmp / "o.parquet")])
    assert code == 2
    err = capsys.readouterr().err
    assert "entity.sector" in err and "row 1" in err and "Traceback" not in err
    assert main(["evaluate", str(tmp / "reg.parquet"), "--rules", rules_path]) == 2
    assert "--out" in capsys.readouterr().err


def test_sql_command(setup, capsys):
    tmp, rules_path, _ = setup
    assert main(["sql", "--rules", rules_path, "--as-of", "2024-03-01", "--table", "reg"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SELECT ") and '"reg"' in out
    assert main(["sql", "--rules", rules_path, "--dialect", "spark"]) == 0
    assert "`entity.employees`" in capsys.readouterr().out
    assert main(["sql", "--rules", str(tmp / "nowhere"), "--dialect", "duckdb"]) == 2


def test_out_missing_or_of_an_unknown_format_is_said_plainly(setup, capsys):
    tmp, rules_path, _ = setup
    base = ["evaluate", str(tmp / "reg.parquet"), "--rules", rules_path, "--backend", "python"]
    assert main(base) == 2
    assert "--out OUT.parquet|.csv|.jsonl is needed" in capsys.readouterr().err
    assert main(base + ["--out", str(tmp / "out.txt")]) == 2
    err = capsys.readouterr().err
    assert "--out must end in .parquet, .csv or .jsonl" in err and "out.txt" in err
    assert not (tmp / "out.txt").exists()
