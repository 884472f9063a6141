"""Audit 5 of the input edges (helper s9-input): JSON Lines line length,
date text the same on every Python version, number text in registry cells.

The bounds are patched small here (``safetyrules.limits`` is read when a
line is read), so that no test writes or reads a 64 MiB line.
"""

import io
import json
import os

import pytest

import safetyrules
from robust_fixtures import GOOD, run_main, assert_no_escape


@pytest.fixture(scope="module")
def good():
    return safetyrules.load(GOOD)


@pytest.fixture
def small_lines(monkeypatch):
    """A JSON Lines line holds at most 200 bytes; no end of line within
    2,000 bytes ends the input."""
    from safetyrules import limits

    monkeypatch.setattr(limits, "MAX_JSONL_LINE_BYTES", 200)
    monkeypatch.setattr(limits, "MAX_FACTS_FILE_BYTES", 2000)


GOOD_LINE = '{"gas.alarm": true}'
LONG_LINE = '{"gas.alarm": true, "entity.name": "' + "x" * 300 + '"}'  # valid, but over 200 bytes


def _lines(out):
    return [json.loads(x) for x in out.splitlines()]


# --- 1. a JSON Lines line has a bound -----------------------------------------------------------

def test_an_over_long_line_is_an_error_record_and_the_other_lines_are_decided(tmp_path, small_lines):
    # before: any line was read whole (`evaluate x.jsonl` on a 2 GiB line,
    # or a symlink to /dev/zero, ended in MemoryError)
    p = tmp_path / "big.jsonl"
    p.write_text(GOOD_LINE + "\n" + LONG_LINE + "\n" + GOOD_LINE + "\n", encoding="utf-8")
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", str(p))
    assert_no_escape(code, err)
    got = _lines(out)
    assert code == 2 and [g["line"] for g in got] == [1, 2, 3], (code, err)
    assert "error" not in got[0] and "error" not in got[2]
    assert got[1]["error"]["code"] == "E-FILES" and got[1]["error"]["fact"] is None
    assert "longer than 200 bytes" in got[1]["error"]["message"]
    assert f"{p}:2:1: error: line is longer than 200 bytes" in err, err


def test_a_line_at_the_bound_is_read(tmp_path, small_lines):
    line = '{"entity.name": "' + "x" * (200 - 19) + '"}'
    assert len(line.encode()) == 200
    p = tmp_path / "edge.jsonl"
    p.write_text(line + "\n" + line, encoding="utf-8")  # the last one without its end of line
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", str(p))
    assert code == 0 and [g["line"] for g in _lines(out)] == [1, 2], err


def test_dev_zero_named_jsonl_ends_with_a_located_error_and_the_next_input_is_read(tmp_path, small_lines):
    zero = tmp_path / "zero.jsonl"
    os.symlink("/dev/zero", zero)
    p = tmp_path / "good.jsonl"
    p.write_text(GOOD_LINE + "\n", encoding="utf-8")
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", str(zero), str(p))
    assert_no_escape(code, err)
    got = _lines(out)
    assert code == 2 and len(got) == 2 and got[0]["error"]["code"] == "E-FILES" and "error" not in got[1], (out, err)
    assert f"{zero}:1:1: error: line is longer than 200 bytes and has no end of line within 2000 bytes" in err, err


def test_stdin_lines_are_bounded_too(small_lines):
    data = (GOOD_LINE + "\n" + LONG_LINE + "\n" + GOOD_LINE + "\n").encode()
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", "-", stdin_bytes=data)
    assert code == 2 and ["error" in g for g in _lines(out)] == [False, True, False], (out, err)
    assert "<stdin>:2:1: error: line is longer than 200 bytes" in err, err


def test_evaluate_many_on_a_file_object_or_lines_bounds_each_line(good, small_lines):
    data = (GOOD_LINE + "\n" + LONG_LINE + "\n" + GOOD_LINE + "\n").encode()
    for records in (io.BytesIO(data), io.StringIO(data.decode()), data.decode().splitlines()):
        got = list(good.evaluate_many(records))
        kinds = [d.code if isinstance(d, safetyrules.SafetyRulesError) else None for d in got]
        assert len(got) == 3 and kinds[1] == "E-FILES" and kinds[0] is None and kinds[2] is None, (records, got)


def test_evaluate_table_on_jsonl_refuses_an_over_long_line_naming_it(good, tmp_path, small_lines):
    p = tmp_path / "reg.jsonl"
    p.write_text(GOOD_LINE + "\n" + LONG_LINE + "\n", encoding="utf-8")
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate_table(str(p), backend="python")
    assert info.value.line == 2 and "longer than 200 bytes" in str(info.value), str(info.value)


def test_supervision_jsonl_refuses_an_over_long_line_at_path_line(good, tmp_path, small_lines):
    a = good.evaluate({"entity.id": "a", "gas.alarm": True}).to_dict()
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(a, separators=(",", ":")) + "\n", encoding="utf-8")
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps(a) + "\n", encoding="utf-8")
    # the decision line itself is over 200 bytes: the bound is the one every reader shares
    code, out, err = run_main("track", str(old), str(new), "--format", "json")
    assert_no_escape(code, err)
    assert code == 2 and "old.jsonl:1: error: not a JSON line: line is longer than 200 bytes" in err, err


def test_report_counts_an_over_long_line_as_not_a_decision(good, tmp_path, monkeypatch):
    from safetyrules import limits

    line = json.dumps(good.evaluate({"gas.alarm": True}).to_dict())
    monkeypatch.setattr(limits, "MAX_JSONL_LINE_BYTES", len(line) + 10)
    p = tmp_path / "d.jsonl"
    p.write_text(line + "\n" + line + " " * 50 + "\n" + line + "\n", encoding="utf-8")
    code, out, err = run_main("report", str(p), "--format", "json")
    assert_no_escape(code, err)
    assert code == 0 and "1 line(s) were not decisions" in err, err
