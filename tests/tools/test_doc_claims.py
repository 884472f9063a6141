"""What docs/cli.md, docs/ci.md, docs/coverage.md, docs/errors.md and
docs/fmt.md say about the commands, checked by running them."""

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from contextlib import redirect_stderr, redirect_stdout

import pytest

from safetyrules.cli.main import main

from tools_fixtures import GOOD_STANDARD, VOCAB, write_rules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(ROOT, "docs")


def _doc(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as fh:
        return fh.read()


def bad_rules(tmp_path):
    return write_rules(tmp_path / "bad", {"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD.replace("flag and x > 5", "flag and")})


def test_coverage_md_python_example_runs():
    [block] = re.findall(r"```python\n(.*?)```", _doc("coverage.md"), re.S)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(block, "coverage.md", "exec"), {})
    assert float(out.getvalue()) == 100.0


def test_exit_codes_as_cli_md_says(tmp_path, run):
    bad = bad_rules(tmp_path)
    facts = tmp_path / "f.json"
    facts.write_text("{}", encoding="utf-8")
    for args, want in ((["validate", bad], 1), (["test", bad], 1), (["lint", bad], 1), (["prove", bad], 1),
                       (["evaluate", facts, "--rules", bad], 2), (["diff", bad, bad], 2),
                       (["test", "--fail-under", "50"], 2)):
        code, out, err = run(*args)
        assert code == want, (args, err)
        assert "Traceback" not in err


def test_junit_records_a_load_failure_as_a_failing_test(tmp_path, run):
    junit = tmp_path / "r.xml"
    good = write_rules(tmp_path / "good", {"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD})
    code, out, err = run("test", bad_rules(tmp_path), good, "--junit", junit)
    assert code == 1 and out.strip().endswith("2 passed, 0 failed")
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "3" and root.get("failures") == "1"
    [suite] = [s for s in root if s.get("name") == "load"]
    [case] = list(suite)
    assert case.get("name").startswith("load ") and case.find("failure") is not None
    assert "s.yaml:8:" in case.find("failure").text


def test_explain_works_with_jobs(tmp_path, run):
    p = tmp_path / "e.jsonl"
    p.write_text('{"entity.employees": 5}\n{"entity.employees": 7}\n', encoding="utf-8")
    code, out, err = run("evaluate", p, "--explain", "--jobs", "2", "--as-of", "2024-03-01")
    assert code == 0 and out.count("Explanation:") == 2


def test_json_lines_output_has_line_numbers_and_errors_in_place(tmp_path, run):
    p = tmp_path / "e.jsonl"
    p.write_text('{"entity.employees": 5}\n{"entity.employees": "many"}\n{"entity.employees": 7}\n', encoding="utf-8")
    code, out, err = run("evaluate", p, "--format", "json", "--as-of", "2024-03-01")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 2 and [x["line"] for x in lines] == [1, 2, 3]
    assert set(lines[1]) == {"line", "error"} and lines[1]["error"]["fact"] == "entity.employees"
    assert "level" in lines[0] and "level" in lines[2]


def test_progress_counts_add_up(capsys):
    import importlib

    cli = importlib.import_module("safetyrules.cli.main")

    p = cli._Progress(True)
    for bad in (False, True, False, True, True):
        p.tick(bad)
    p.done()
    line = capsys.readouterr().err.strip().splitlines()[-1].strip("\r")
    m = re.match(r"(\d+) entities decided, (\d+) bad", line.split("\r")[-1])
    assert m and (int(m.group(1)), int(m.group(2))) == (2, 3)


def test_validate_prints_errors_best_first(tmp_path, run):
    d = write_rules(tmp_path / "r", {
        "a.yaml": "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n",
        "b.yaml": "kind: standard\nid: s\nversion: '1'\nclauses:\n"
                  "  - {id: c0, cite: x, severity: major, when: 'a > 3'}\n"
                  "  - {id: c1, cite: x, severity: major, when: 'b.c'}\n"
                  "  - {id: c2, cite: x, severity: major, when: 'not b.c'}\n",
    })
    code, out, err = run("validate", d)
    lines = [x for x in err.splitlines() if ": error: " in x]
    assert code == 1 and len(lines) == 3
    assert "b.c" in lines[0] and "b.c" in lines[1] and ":5:" in lines[2]  # the shared cause first


def test_unit_hint_as_errors_md_says(tmp_path, run):
    assert "unknown unit 'meter' (did you mean 'm'?)" in _doc("errors.md")
    d = write_rules(tmp_path / "u", {"v.yaml": "kind: vocabulary\nid: v\nfacts:\n  site.distance: {type: number, unit: meter}\n"})
    code, out, err = run("validate", d)
    assert code == 1 and "unknown unit 'meter' (did you mean 'm'?)" in err
    d = write_rules(tmp_path / "u2", {"v.yaml": "kind: vocabulary\nid: v\nfacts:\n  x: {type: number, unit: zzz}\n"})
    code, out, err = run("validate", d)
    assert "the units are " in err and "mg/m3" in err and "docs/" not in err


def _all_help():
    texts = []
    out = io.StringIO()
    main_help = []
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        try:
            main(["--help"])
        except SystemExit:
            pass
    main_help.append(out.getvalue())
    commands = re.findall(r"^    (\w[\w-]*)\s", out.getvalue(), re.M)
    for c in commands:
        o = io.StringIO()
        with redirect_stdout(o), redirect_stderr(io.StringIO()):
            try:
                main([c, "--help"])
            except SystemExit:
                pass
        texts.append((c, o.getvalue()))
    return main_help + [t for _, t in texts], [c for c, _ in texts]


def test_help_texts_point_at_no_docs_page_a_pip_install_lacks():
    texts, commands = _all_help()
    assert {"lint", "diff", "fmt", "prove", "table", "test"} <= set(commands)
    mine = dict(zip(["(main)"] + commands, texts))
    for c in ("lint", "diff", "fmt", "prove", "table", "test", "validate"):
        assert "docs/" not in mine[c], c


def test_fmt_help_on_diff():
    texts, commands = _all_help()
    fmt = dict(zip(commands, texts[1:]))["fmt"]
    assert "--diff" in fmt and "change nothing" in " ".join(fmt.split())


def test_lint_says_when_it_truncates_table_gaps(tmp_path, run):
    d = write_rules(tmp_path / "g", {
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  x: {type: integer}\n  y: {type: integer}\n  out: {type: enum, values: [a, b]}\n",
        "t.yaml": "kind: table\nid: t\noutput: out\nrows:\n" + "".join(
            f"  - {{when: \"x == {k} and y == {k}\", then: a}}\n" for k in (1, 3, 5, 7)),
    })
    code, out, err = run("lint", d, "--format", "json")
    gaps = [w for w in json.loads(out)["warnings"] if w["code"] == "W201"]
    assert len(gaps) == 6
    [more] = [g for g in gaps if "more gaps" in g["message"]]
    assert re.fullmatch(r"table 't' has \d+\+? more gaps than the 5 shown; fix these and lint again", more["message"])
    assert sum("more gaps than the 5 shown" in g["message"] for g in gaps) == 1
