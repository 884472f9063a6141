"""The command line, run as a user runs it (the installed entry point when
there is one)."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, stdin=None, cwd=None):
    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    env = dict(os.environ)
    env.pop("SAFETYRULES_DEBUG", None)
    return subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True, cwd=cwd or REPO, env=env, timeout=300)


def no_traceback(p):
    assert "Traceback" not in p.stderr, p.stderr


def test_evaluate_text_json_markdown(basic):
    facts = basic / "e.yaml"
    facts.write_text("entity:\n  sector: metallurgy\ncontractors.present: true\ncontractors.coordinated: false\n", encoding="utf-8")
    p = run("evaluate", str(facts), "--rules", str(basic), "--as-of", "2024-03-01")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("level: red")
    assert "MAJOR" in p.stdout and "Article 3 (1)" in p.stdout
    p = run("evaluate", str(facts), "--rules", str(basic), "--as-of", "2024-03-01", "--format", "json")
    d = json.loads(p.stdout)
    assert d["level"] == "red" and d["findings"][0]["clause"] == "art3.1" and d["as_of"] == "2024-03-01"
    p = run("evaluate", str(facts), "--rules", str(basic), "--as-of", "2024-03-01", "--format", "markdown")
    assert "| red |" in p.stdout and "### Findings" in p.stdout


def test_jsonl_batch_with_bad_lines_decides_every_good_line(basic):
    lines = [
        '{"entity.sector": "metallurgy", "contractors.present": false, "cranes": []}',
        '{"entity.sector": "steel"}',
        "not json",
        "",
        '{"entity": {"sector": "other"}}',
    ]
    src = basic / "batch.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = run("evaluate", str(src), "--rules", str(basic), "--as-of", "2024-03-01", "--format", "json")
    no_traceback(p)
    assert p.returncode == 2
    out = [json.loads(x) for x in p.stdout.splitlines()]
    # SPEC §8: every line says its input line; bad lines answer in place
    assert [d["line"] for d in out] == [1, 2, 3, 5]
    assert [d.get("level") for d in out] == ["blue", None, None, "blue"]
    assert [d["error"]["code"] for d in out if "error" in d] == ["E-FACTS", "E-JSON"]
    assert f"{src}:2:19: error: fact 'entity.sector'" in p.stderr  # PATH:LINE:COL, at the value
    assert f"{src}:3:1: error: JSON" in p.stderr
    # the same through stdin, in parallel
    p2 = run("evaluate", "-", "--rules", str(basic), "--as-of", "2024-03-01", "--format", "json", "--jobs", "2",
             stdin=src.read_text(encoding="utf-8"))
    assert p2.returncode == 2 and p2.stdout == p.stdout


def test_bad_fact_in_yaml_file_points_at_its_line(basic):
    facts = basic / "e.yaml"
    facts.write_text("entity:\n  sector: metallurgy\n  employees: many\n", encoding="utf-8")
    p = run("evaluate", str(facts), "--rules", str(basic))
    no_traceback(p)
    assert p.returncode == 2
    assert p.stderr.startswith(f"{facts}:3:14: error: fact 'entity.employees'")


def test_validate_exit_codes_and_positions(basic):
    p = run("validate", str(basic))
    assert p.returncode == 0 and "ok" in p.stdout
    (basic / "s1.yaml").write_text((basic / "s1.yaml").read_text(encoding="utf-8").replace(
        '"contractors.present and not contractors.coordinated"', '"contractors.present and not"'), encoding="utf-8")
    p = run("validate", str(basic))
    no_traceback(p)
    assert p.returncode == 1
    assert f"{basic / 's1.yaml'}:13:39: error:" in p.stderr and "expected an operand after 'not'" in p.stderr


def test_test_command_reports_failures_with_positions_and_junit(basic, tmp_path):
    junit = tmp_path / "out.xml"
    p = run("test", str(basic), "--junit", str(junit))
    assert p.returncode == 0 and "3 passed, 0 failed" in p.stdout
    s1 = basic / "s1.yaml"
    s1.write_text(s1.read_text(encoding="utf-8").replace("expect: unknown", "expect: false"), encoding="utf-8")
    p = run("test", str(basic), "--junit", str(junit))
    assert p.returncode == 1 and "2 passed, 1 failed" in p.stdout
    assert f"{s1}:17:9: error: art3.1 example 3: expected false, got unknown (missing: contractors.coordinated)" in p.stderr
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "3" and root.get("failures") == "1"


def test_schema_command():
    p = run("schema", "standard")
    assert p.returncode == 0
    assert json.loads(p.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert run("schema", "nope").returncode == 2


def test_missing_rules_and_facts_files_are_clear_errors(tmp_path):
    p = run("evaluate", str(tmp_path / "nope.yaml"))
    no_traceback(p)
    assert p.returncode == 2 and "nope.yaml" in p.stderr
    p = run("evaluate", "x.yaml", "--rules", str(tmp_path / "none"))
    no_traceback(p)
    assert p.returncode == 2 and "no such file" in p.stderr
    p = run("evaluate", "x.yaml", "--as-of", "yesterday")
    assert p.returncode == 2 and "--as-of" in p.stderr


@pytest.mark.parametrize("jobs, words", [("0", "at least 1"), ("-3", "at least 1"), ("two", "whole number")])
def test_jobs_below_one_or_not_a_number_is_a_usage_error(jobs, words):
    p = run("evaluate", "examples/facts/steel-plant.yaml", "--jobs", jobs, "-q")
    no_traceback(p)
    assert p.returncode == 2 and "--jobs" in p.stderr and words in p.stderr


def test_python_dash_m_works():
    p = subprocess.run([sys.executable, "-m", "safetyrules", "--version"], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0 and "safetyrules" in p.stdout
