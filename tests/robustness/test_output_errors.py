"""Output paths a user gets wrong (a missing directory, a file where a
directory should be) are located errors with exit 2, never internal errors."""

import os
import cli_fork

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EX = os.path.join(ROOT, "examples", "supervision")


def cli(*args):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def _user_error(code, err, where):
    assert "internal error" not in err and "Traceback" not in err, err
    assert code == 2 and err.startswith(f"{where}: error: cannot write"), err


def test_supervision_out_and_record(tmp_path):
    graded = tmp_path / "g.jsonl"
    graded.write_text('{"entity": {"id": "E1", "status": "active"}, "level": "blue"}\n', encoding="utf-8")
    staff = os.path.join(EX, "staff-2025.yaml")
    out = tmp_path / "no" / "plan.json"
    code, _, err = cli("plan", graded, "--staff", staff, "--year", "2025", "-o", out)
    _user_error(code, err, out)
    afile = tmp_path / "afile"
    afile.write_text("", encoding="utf-8")
    code, _, err = cli("plan", graded, "--staff", staff, "--year", "2025", "--record", afile)
    _user_error(code, err, afile)
    assert "not a directory" in err


def test_table_export_and_import_out(tmp_path):
    table = os.path.join(ROOT, "standards", "grading", "risk-level.yaml")
    out = tmp_path / "no" / "t.csv"
    code, _, err = cli("table", "export", table, "-o", out)
    _user_error(code, err, out)
    sheet = tmp_path / "t.csv"
    code, _, err = cli("table", "export", table, "-o", sheet)
    assert code == 0, err
    out = tmp_path / "no" / "t.yaml"
    code, _, err = cli("table", "import", sheet, "-o", out)
    _user_error(code, err, out)


def test_lint_and_diff_output(tmp_path):
    std = os.path.join(ROOT, "standards")
    out = tmp_path / "no" / "x.sarif"
    code, _, err = cli("lint", std, "--format", "sarif", "--output", out)
    _user_error(code, err, out)
    out = tmp_path / "no" / "x.md"
    code, _, err = cli("diff", std, std, "--output", out)
    _user_error(code, err, out)


def test_diff_facts_errors_are_located_in_json_and_yaml(tmp_path):
    std = os.path.join(ROOT, "standards")
    j = tmp_path / "c.json"
    j.write_text('[{"entity.employees": 3},\n {"entity": {"employees": "x"}}]\n', encoding="utf-8")
    code, _, err = cli("diff", std, std, "--facts", j)
    assert code == 2 and f"{j}:2:27: error: OLD: fact 'entity.employees'" in err, err
    y = tmp_path / "c.yaml"
    y.write_text("entity:\n  employees: x\n", encoding="utf-8")
    code, _, err = cli("diff", std, std, "--facts", y)
    assert code == 2 and f"{y}:2:14: error: OLD: fact 'entity.employees'" in err, err
