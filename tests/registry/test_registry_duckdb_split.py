"""The duckdb backend's packed list quantifiers (``compile_stages(split_lists=...)``):
the quantifiers over lists most rows lack are computed over the rows that
have one, sorted and joined back on the row number.  The decisions must be
the per-record engine's row for row, whatever the lists hold (unknown
lists, empty lists, items with unknown fields), and the packed form must
really be the one run (else these tests prove nothing about it)."""

import datetime

import pyarrow as pa
import pytest

import safetyrules
from safetyrules.backends import duckdb_backend, sql as sqlmod
from safetyrules.backends.columnar_io import read_table
from safetyrules.backends.columnar_result import assemble

from registry_fixtures import write_rules

duckdb = pytest.importorskip("duckdb")

DAY = datetime.date(2024, 3, 1)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return safetyrules.load(write_rules(str(tmp_path_factory.mktemp("split"))))


def _small_table(n):
    cranes = []
    for i in range(n):
        k = i % 10
        cranes.append(None if k >= 3 else [] if k == 0 else
                      [{"age": 11 + i % 3, "ok": None if i % 7 == 0 else False}, {"age": None, "ok": True}][: k])
    return pa.table({
        "entity.id": pa.array([f"e{i}" for i in range(n)]),
        "entity.sector": pa.array([["metallurgy", "machinery", "other"][i % 3] for i in range(n)]),
        "entity.employees": pa.array([None if i % 5 == 0 else i % 200 for i in range(n)], pa.int64()),
        "p": pa.array([i % 2 == 0 for i in range(n)]),
        "cranes": pa.array(cranes, pa.list_(pa.struct([("age", pa.int64()), ("ok", pa.bool_())]))),
    })


def _run(plan, table, has_id, **options):
    facts = table.append_column("__sr_row", pa.array(range(table.num_rows), pa.int64()))
    sql = sqlmod.compile_select(plan, "duckdb", "facts", with_id=has_id, passthrough=("__sr_row",),
                                clause_columns=True, **options)
    con = duckdb.connect()
    try:
        con.register("facts", facts)
        out = con.sql(sql).to_arrow_table().sort_by("__sr_row").drop(["__sr_row"])
    finally:
        con.close()
    return sql, assemble(out, sqlmod.clause_keys(plan), has_id)


def test_packed_quantifiers_equal_inline_and_the_engine(small, monkeypatch):
    monkeypatch.setattr(sqlmod, "_SPLIT_MIN", 0)  # the small rule set's one quantifier is light
    plan = small.plan.specialise(DAY)
    table, has_id = read_table(_small_table(1500), small.plan.facts)
    sql, packed = _run(plan, table, has_id, split_lists=[["cranes"]], row_key="__sr_row")
    assert "LEFT JOIN" in sql and sql.count('."age" > ') == 1  # packed, the body still once
    _, inline = _run(plan, table, has_id)
    assert packed.equals(inline)
    assert packed.equals(small.evaluate_table(table, backend="python", as_of=DAY))


def test_split_needs_a_row_key(small):
    plan = small.plan.specialise(DAY)
    with pytest.raises(sqlmod.BackendError, match="row_key"):
        sqlmod.compile_stages(plan, "duckdb", "facts", split_lists=[["cranes"]])


def test_to_sql_stays_one_select_without_joins(small):
    sql = small.to_sql(dialect="duckdb", as_of=DAY)
    assert "JOIN" not in sql and sql.count(";") == 0


def _substances(n):
    names = ["氨", "液氯", "W3", "J5", "汽油", "unknown-thing", None]
    out = []
    for i in range(n):
        if i % 9:  # 1 in 9 rows has the list (a sector's list: sparse)
            out.append(None)
            continue
        k = (i // 9) % 4
        out.append([{"name": names[(i + j) % len(names)], "quantity": [5.0, 0.5, None, 300.0][(i + j) % 4],
                     "critical_quantity": [None, 10.0, 7.5][(i + j) % 3], "beta": [None, 2.0][j % 2]}
                    for j in range(k)])
    return out


def test_bundled_hazchem_packed_equal_the_engine(monkeypatch):
    rules = safetyrules.load()
    spec = rules.plan.facts["hazchem.substances"]
    from safetyrules.backends.columnar_io import arrow_type

    n = 450
    raw = pa.table({
        "entity.id": pa.array([f"h{i}" for i in range(n)]),
        "entity.sector": pa.array([["hazardous_chemicals", "retail"][i % 2] for i in range(n)]),
        "hazchem.substances": pa.array(_substances(n), arrow_type(spec)),
    })
    seen = []
    real = duckdb_backend.compile_stages

    def spy(*args, **kwargs):
        stages = real(*args, **kwargs)
        seen.append(stages.apart[0].sql())  # the main query (up to the clauses)
        return stages

    monkeypatch.setattr(duckdb_backend, "compile_stages", spy)
    got = rules.evaluate_table(raw, backend="duckdb", as_of=DAY)
    # the hazchem quantifiers were computed apart (evaluate_duckdb's side
    # queries): the main query reads their columns, not the list
    assert seen and '"__sr_x0"' in seen[-1] and '"hazchem.substances"' not in seen[-1]
    assert got.equals(rules.evaluate_table(raw, backend="python", as_of=DAY))
