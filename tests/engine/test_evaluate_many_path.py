"""``evaluate_many(path)``: a bad record's error names the file and line
(``PATH:2: error: ...``), sequentially and in the process pool; it used to
say only ``2: error: ...``."""

import pytest

import safetyrules


@pytest.mark.parametrize("jobs", [1, 2])
def test_error_names_the_file(tmp_path, jobs):
    p = tmp_path / "reg.jsonl"
    p.write_text('{"entity.employees": 3}\n{"entity.employees": "x"}\n{"entity.employees": 4}\n')
    out = list(safetyrules.load().evaluate_many(str(p), jobs=jobs))
    assert [type(o).__name__ for o in out] == ["Decision", "FactsError", "Decision"]
    err = out[1]
    assert (err.path, err.line, err.fact) == (str(p), 2, "entity.employees")
    assert str(err).startswith(f"{p}:2")


def test_records_keep_no_path():
    out = list(safetyrules.load().evaluate_many([{"entity.employees": "x"}]))
    assert out[0].path is None
