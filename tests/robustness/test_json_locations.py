"""A bad fact in a JSON facts file is reported at its PATH:LINE:COL, as it is
in YAML (SPEC §2, §6: messages as ``PATH:LINE:COL: error: ...``)."""

import cli_fork


def cli(*args):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def test_nested_json_fact_has_line_and_column(tmp_path):
    f = tmp_path / "e.json"
    f.write_text('{\n  "entity": {"employees": "many"}\n}\n', encoding="utf-8")
    code, out, err = cli("evaluate", f, "--as-of", "2024-03-01")
    assert code == 2
    assert err.startswith(f"{f}:2:27: error: fact 'entity.employees' must be a number"), err


def test_dotted_json_fact_and_list_items(tmp_path):
    f = tmp_path / "l.json"
    f.write_text('[{"entity.employees": 3},\n {"entity": {"employees": 2.5}},\n {"entity.nosuch": 1}]\n', encoding="utf-8")
    code, out, err = cli("evaluate", f, "--as-of", "2024-03-01", "--format", "json")
    assert code == 2
    lines = err.splitlines()
    assert lines[0].startswith(f"{f}:2:27: error: fact 'entity.employees'"), err
    assert lines[1].startswith(f"{f}:3:20: error: unknown fact 'entity.nosuch'"), err
    assert len(out.splitlines()) == 1  # the good entity is decided


def test_json_and_yaml_agree_with_jobs(tmp_path):
    f = tmp_path / "d.json"
    f.write_text('{"entity.employees": "x"}\n', encoding="utf-8")
    code, out, err = cli("evaluate", f, "--jobs", "2", "--as-of", "2024-03-01")
    assert code == 2 and err.startswith(f"{f}:1:22: error:"), err


def test_a_list_item_that_is_not_a_mapping_is_located(tmp_path):
    for name, text, where in (("l.json", '[1,\n {"entity.employees": 3}]\n', "1:2"), ("l.yaml", "- 1\n- {entity.employees: 3}\n", "1:3")):
        f = tmp_path / name
        f.write_text(text, encoding="utf-8")
        code, out, err = cli("evaluate", f, "--as-of", "2024-03-01", "--format", "json")
        assert code == 2 and err.startswith(f"{f}:{where}: error: facts must be a mapping"), err
        assert len(out.splitlines()) == 1
