"""``at_least`` over more than a thousand conditions runs on DuckDB and in
``to_sql`` (a chained sum passed DuckDB's expression depth limit of 1000:
a raw ParserException, not a decision)."""

import pyarrow as pa
import pytest

import safetyrules

N = 1300


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("wide")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: t\ninclude: [v.yaml, s.yaml]\n")
    (d / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n" + "".join(f"  b{i}: {{type: bool}}\n" for i in range(N)))
    cond = "at_least(2, " + ", ".join(f"b{i}" for i in range(N)) + ")"
    (d / "s.yaml").write_text(
        "kind: standard\nid: s\nversion: '1'\ntitle: {en: s}\ndocument: d\neffective: {from: 2020-01-01}\n"
        f"clauses:\n  - {{id: c1, cite: c1, severity: general, title: {{en: t}}, when: \"{cond}\"}}\n")
    return safetyrules.load(str(d))


def test_wide_at_least_on_duckdb(rules):
    duckdb = pytest.importorskip("duckdb")
    t = pa.table({"b0": [True, True, None, False], f"b{N - 1}": [True, False, None, False]})
    ref = rules.evaluate_table(t, backend="python")
    assert ref.column("findings").to_pylist() == [["s:c1"], [], [], []]
    assert rules.evaluate_table(t, backend="duckdb").equals(ref)
    full = pa.table({f"b{i}": pa.array([i < 2, None], pa.bool_()) for i in range(N)})
    con = duckdb.connect()
    con.register("facts", full)
    rows = con.sql(rules.to_sql(table="facts")).fetchall()
    assert len(rows) == 2
