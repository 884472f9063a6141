"""A second black-box audit of SPEC §9 (registry evaluation), with nastier
inputs than test_spec9_audit.py: numbers at the edges of 64 bits, unsigned
and decimal columns, the CLI's errors.  Each row is checked against
``rules.evaluate`` (the contract: "for every row these columns equal what
rules.evaluate(row, as_of) decides, on every backend")."""

import datetime
import json
import os
import subprocess
import sys

import pyarrow as pa
import pytest

import safetyrules
from safetyrules import FactsError

import rule_files
from registry_fixtures import AUDIT_BIG, AUDIT_GRADE, audit_standard, audit_vocabulary, expected_rows
from rule_files import ruleset, table

DAY = datetime.date(2024, 3, 1)
LOCAL = ("python", "duckdb", "polars")

FILES = {
    "v.yaml": audit_vocabulary("tier: {type: enum, values: [full, light]}"),
    "t.yaml": AUDIT_BIG,
    "s.yaml": audit_standard(),
    "g.yaml": AUDIT_GRADE,
    "tier.yaml": table("tier", "tier", """\
        - {when: "big", then: full}
        - {when: "not big", then: light}
        """),
    "ruleset.yaml": ruleset("audit2", ["v.yaml", "t.yaml", "s.yaml", "g.yaml", "tier.yaml"],
                            {"level": "level", "tier": "tier"}),
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    d = rule_files.write(tmp_path_factory.mktemp("spec9b"), FILES)
    return str(d / "ruleset.yaml")


@pytest.fixture(scope="module")
def rules(manifest):
    return safetyrules.load(manifest)


def expected(rules, rows):
    return expected_rows(rules, rows, DAY, drop_nan=True)


# -- "integral floats are accepted for integer facts" ... "equal what
#    rules.evaluate(row) decides": an integral float past 64 bits must not wrap

@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("value", [1e19, 2.0 ** 63, -1e19, 1e300])
def test_an_integral_float_past_64_bits_is_refused_not_wrapped(rules, backend, value):
    """float64 -> int64 was cast unchecked: 1e19 became -2**63 and 'm > 5'
    was false (rules.evaluate finds m = 1e19 greater than 5)."""
    table = pa.table({"m": [1.0, value]})
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(table, backend=backend, as_of=DAY)
    assert info.value.fact == "m" and info.value.row == 1
    assert "64-bit" in str(info.value)


@pytest.mark.parametrize("backend", LOCAL)
def test_an_integral_float_past_64_bits_in_a_list_item_is_refused(rules, backend):
    table = pa.table({"cranes": [[{"age": 3.0}], [{"age": 2.0}, {"age": 1e19}]]})
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(table, backend=backend, as_of=DAY)
    assert "cranes" in info.value.fact and info.value.row == 1 and "64-bit" in str(info.value)


@pytest.mark.parametrize("backend", LOCAL)
def test_integral_floats_at_the_edges_of_64_bits_still_decide_as_evaluate(rules, backend):
    rows = [{"m": -(2.0 ** 63)}, {"m": 9.0e18}, {"m": 6.0}, {"m": 5.0}]
    out = rules.evaluate_table(pa.table({"m": [r["m"] for r in rows]}), backend=backend, as_of=DAY)
    assert out.to_pylist() == expected(rules, rows)


# -- a uint64 column: a FactsError naming the column and row, never ArrowInvalid

@pytest.mark.parametrize("backend", LOCAL)
def test_a_uint64_value_past_int64_is_a_facts_error_naming_column_and_row(rules, backend):
    table = pa.table({"m": pa.array([1, 2 ** 63], pa.uint64())})
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(table, backend=backend, as_of=DAY)
    assert info.value.fact == "m" and info.value.row == 1


@pytest.mark.parametrize("backend", LOCAL)
def test_a_uint64_list_item_field_past_int64_is_a_facts_error(rules, backend):
    typ = pa.list_(pa.struct([("age", pa.uint64())]))
    table = pa.table({"cranes": pa.array([[{"age": 1}], [{"age": 2 ** 63}]], typ)})
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(table, backend=backend, as_of=DAY)
    assert "cranes" in info.value.fact and info.value.row == 1


@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("typ", [pa.int64(), pa.uint64()])
def test_a_number_fact_of_large_integers_decides_as_evaluate(rules, backend, typ):
    """int64/uint64 -> float64 was a checked cast: 2**60 raised ArrowInvalid."""
    rows = [{"w": 2 ** 60}, {"w": 2}, {"w": None}]
    table = pa.table({"w": pa.array([r["w"] for r in rows], typ)})
    out = rules.evaluate_table(table, backend=backend, as_of=DAY)
    assert out.to_pylist() == expected(rules, rows)


# -- JSON Lines registries: "a FactsError naming the column (and, for a value,
#    the first bad row)": the row as for the other inputs, besides the line

@pytest.mark.parametrize("backend", LOCAL)
@pytest.mark.parametrize("bad, fact", [('{"n": 3.5}', "n"), ('{"m": 1e19}', "m"), ('{"zz": 1}', "zz"),
                                       ('{"n": ', None), ("null", None)])
def test_a_jsonl_facts_error_names_the_row_and_the_line(rules, backend, tmp_path, bad, fact):
    path = tmp_path / "r.jsonl"
    path.write_text('{"n": 1}\n\n{"m": 2}\n' + bad + "\n", encoding="utf-8")  # a blank line 2
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), backend=backend, as_of=DAY)
    assert (info.value.fact, info.value.line, info.value.row) == (fact, 4, 2)


@pytest.mark.parametrize("backend", LOCAL)
def test_a_jsonl_registry_line_that_is_not_utf8_is_a_facts_error(rules, backend, tmp_path):
    """The file was read as text: a raw UnicodeDecodeError (the CLI: exit 70,
    'internal error')."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"n": 1}\n{"s": "\xff"}\n')
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(str(path), backend=backend, as_of=DAY)
    assert (info.value.code, info.value.line, info.value.row) == ("E-ENCODING", 2, 1)


def test_cli_jsonl_registry_errors_are_path_line_col(manifest, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"n": 1}\n{"s": "\xff"}\n')
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"n": 1}\n{"entity": {"sector": "mars"}}\n', encoding="utf-8")
    for path, where in ((bad, ":2:8: error: "), (wrong, ":2:23: error: ")):
        out = tmp_path / "out.parquet"
        res = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(path), "--rules", manifest,
                              "--backend", "duckdb", "--out", str(out), "--as-of", "2024-03-01"],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 2 and "Traceback" not in res.stderr and "internal error" not in res.stderr
        assert f"{path}{where}" in res.stderr, res.stderr
        assert not out.exists()


@pytest.mark.parametrize("backend", LOCAL)
def test_a_pandas_frame_indexed_by_entity_id_keeps_the_ids(rules, backend):
    """df.set_index('entity.id') dropped the ids (and a fact used as the
    index was unknown): a named index is a column, as before set_index."""
    import pandas as pd

    df = pd.DataFrame({"entity.id": ["a", "b"], "n": [500, 5], "p": [True, True]})
    want = rules.evaluate_table(df, backend=backend, as_of=DAY).to_pylist()
    assert [r["entity.id"] for r in want] == ["a", "b"]
    assert rules.evaluate_table(df.set_index("entity.id"), backend=backend, as_of=DAY).to_pylist() == want
    assert rules.evaluate_table(df.set_index(["entity.id", "n"]), backend=backend, as_of=DAY).to_pylist() == want
    # an unnamed index is row labels only
    assert rules.evaluate_table(df.set_index(pd.Index([7, 3])), backend=backend, as_of=DAY).to_pylist() == want


def test_a_bool_or_integer_decision_fact_is_the_same_text_on_every_backend(tmp_path):
    """The python backend wrote a bool tier as 'True', DuckDB and polars as 'true'."""
    files = {
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  p: {type: bool}\n  k: {type: bool}\n  score: {type: integer}\n",
        "s.yaml": 'kind: standard\nid: s\nversion: "1"\nclauses:\n  - {id: c, cite: C, severity: major, when: "p"}\n',
        "g.yaml": "kind: table\nid: g\noutput: score\nrows:\n  - {when: \"findings.major > 0\", then: 3}\n"
                  "  - {when: \"true\", then: 0}\n",
        "ruleset.yaml": "kind: ruleset\nid: b\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: score, tier: k}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    rules = safetyrules.load(str(tmp_path))
    table = pa.table({"p": [True, False, None], "k": [True, False, None]})
    outs = {b: rules.evaluate_table(table, backend=b, as_of=DAY).to_pylist() for b in LOCAL}
    assert [(r["level"], r["tier"]) for r in outs["duckdb"]] == [("3", "true"), ("0", "false"), ("0", None)]
    assert outs["python"] == outs["duckdb"] == outs["polars"]
    # the decision fact absent from the input: unknown on every backend
    outs = {b: rules.evaluate_table(table.drop(["k"]), backend=b, as_of=DAY).to_pylist() for b in LOCAL}
    assert [r["tier"] for r in outs["python"]] == [None, None, None]
    assert outs["python"] == outs["duckdb"] == outs["polars"]
