"""A rule set of tables only (no standard, so no clause) grades a table on
every backend, one row per input row, equal to the per-record engine: polars
used to fail with "can't broadcast Series '__sr_findings.major' of length 0"
(a polars frame with no columns has no rows)."""

import pyarrow as pa
import pytest

import safetyrules

pytest.importorskip("polars")
pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("noclause")
    rows = "".join(f"  - {{when: 'x < {k} and y', then: {k}}}\n" for k in range(1, 4))
    (d / "v.yaml").write_text(
        "kind: vocabulary\nid: t.v\nfacts:\n  x: {type: number}\n  y: {type: bool}\n  out: {type: number}\n",
        encoding="utf-8",
    )
    (d / "t.yaml").write_text(f"kind: table\nid: t.t\noutput: out\nrows:\n{rows}", encoding="utf-8")
    return safetyrules.load(str(d))


@pytest.mark.parametrize(
    "table",
    [
        pa.table({"x": [10.5, 0.0, None], "y": [True, True, None]}),
        pa.table({"x": pa.array([None, None], pa.float64())}),
        pa.table({"y": [True]}),
    ],
    ids=["both", "x-only", "y-only"],
)
@pytest.mark.parametrize("backend", ["polars", "duckdb"])
def test_tables_only_rule_set_on_every_backend(rules, table, backend):
    want = rules.evaluate_table(table, backend="python")
    got = rules.evaluate_table(table, backend=backend)
    assert got.num_rows == table.num_rows
    assert got.to_pylist() == want.to_pylist()
    assert got.column("findings").to_pylist() == [[]] * table.num_rows
