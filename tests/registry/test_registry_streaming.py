"""Streaming: ``evaluate_table_batches`` gives the result batch by batch, and
``safetyrules evaluate REGISTRY --out`` writes each batch as it is made; the
file is byte for byte the one written from the whole result, and a failed
run leaves ``--out`` as it was."""

import datetime
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import safetyrules
from safetyrules.backends import columnar_io
from safetyrules.cli import registry as cli_registry
from safetyrules.cli.main import main
from safetyrules.engine.table import evaluate_table_batches
from safetyrules.backends.sql import BackendError

from registry_fixtures import write_rules
from test_registry_columnar_paths import rows, table_of

DAY = datetime.date(2024, 3, 1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("streaming")
    rules_path = write_rules(str(tmp))
    path = str(tmp / "registry.parquet")
    pq.write_table(table_of(rows(45)), path, row_group_size=10)
    return rules_path, safetyrules.load(rules_path), path


@pytest.mark.parametrize("backend", ("polars", "duckdb", "python"))
def test_batches_are_the_whole_result_in_order(setup, backend, monkeypatch):
    _, rules, path = setup
    whole = rules.evaluate_table(path, backend=backend, as_of=DAY)
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 10)
    seen = []
    parts = list(evaluate_table_batches(rules, path, backend=backend, as_of=DAY,
                                        progress=lambda done, total: seen.append(done)))
    assert [p.num_rows for p in parts] == [10, 10, 10, 10, 5]
    assert pa.concat_tables(parts).equals(whole)
    assert seen[-1] == 45 and all(b in seen for b in (10, 20, 30, 40))


def test_an_unknown_backend_raises_at_the_call(setup):
    _, rules, path = setup
    with pytest.raises(BackendError):
        evaluate_table_batches(rules, path, backend="nope")


def _cli(rules_path, src, out, backend="polars"):
    return main(["evaluate", src, "--rules", rules_path, "--as-of", "2024-03-01", "--backend", backend, "--out", out])


@pytest.mark.parametrize("suffix", (".parquet", ".csv", ".jsonl"))
def test_streamed_file_is_byte_identical(setup, suffix, tmp_path, monkeypatch):
    rules_path, rules, path = setup
    whole = tmp_path / ("whole" + suffix)
    cli_registry.write_result(rules.evaluate_table(path, backend="polars", as_of=DAY), str(whole))
    # batches of 10 rows, Parquet row groups of 15: a row group spans batches
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 10)
    monkeypatch.setattr(cli_registry, "PARQUET_ROW_GROUP", 15)
    written = []
    real = cli_registry.ResultWriter.write

    def spy(self, table):
        written.append(table.num_rows)
        return real(self, table)

    monkeypatch.setattr(cli_registry.ResultWriter, "write", spy)
    streamed = tmp_path / ("streamed" + suffix)
    assert _cli(rules_path, path, str(streamed)) == 0
    assert written == [10, 10, 10, 10, 5]  # one write per batch, not one at the end
    if suffix == ".parquet":
        expected = tmp_path / "expected.parquet"
        pq.write_table(rules.evaluate_table(path, backend="polars", as_of=DAY), expected, row_group_size=15)
        assert [pq.ParquetFile(streamed).metadata.row_group(i).num_rows for i in range(3)] == [15, 15, 15]
        assert streamed.read_bytes() == expected.read_bytes()
        assert pq.read_table(streamed).equals(pq.read_table(whole))
    else:
        assert streamed.read_bytes() == whole.read_bytes()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


def test_default_row_groups_match_write_table(setup, tmp_path, monkeypatch):
    rules_path, rules, path = setup
    expected = tmp_path / "expected.parquet"
    pq.write_table(rules.evaluate_table(path, backend="duckdb", as_of=DAY), expected)
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 7)
    out = tmp_path / "out.parquet"
    assert _cli(rules_path, path, str(out), backend="duckdb") == 0
    assert out.read_bytes() == expected.read_bytes()


def test_a_bad_value_in_a_later_batch_leaves_out_as_it_was(setup, tmp_path, monkeypatch, capsys):
    rules_path, _, _ = setup
    records = rows(30)
    records[23]["entity.employees"] = -4
    bad = str(tmp_path / "bad.parquet")
    pq.write_table(table_of(records), bad)
    monkeypatch.setattr(columnar_io, "BATCH_ROWS", 4)
    for suffix in (".parquet", ".jsonl"):
        out = tmp_path / ("out" + suffix)
        out.write_text("old\n")
        assert _cli(rules_path, bad, str(out)) == 2
        assert "row 23" in capsys.readouterr().err
        assert out.read_text() == "old\n"
        fresh = tmp_path / ("fresh" + suffix)
        assert _cli(rules_path, bad, str(fresh)) == 2
        assert not fresh.exists()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


def test_out_through_a_symlink_writes_its_file(setup, tmp_path):
    rules_path, rules, path = setup
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert _cli(rules_path, path, str(link)) == 0
    assert link.is_symlink()
    assert len(real.read_text().splitlines()) == 45
