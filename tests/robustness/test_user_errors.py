"""User mistakes that used to end as ``internal error`` (exit 70): each is a
clear message and exit 2 now; and the small untrusted-input guards."""

import os
import shutil
import stat

import pytest

import safetyrules
from robust_fixtures import GOOD, RULES_CORPUS, assert_no_escape, copy_good, run_main


def test_junit_to_a_directory_or_a_missing_one(tmp_path):
    for target in (str(tmp_path), str(tmp_path / "no" / "such" / "dir" / "x.xml")):
        code, _, err = run_main("test", GOOD, "--junit", target)
        assert_no_escape(code, err)
        assert code == 2 and f"{target}: error: cannot write JUnit XML" in err


def test_schema_out_onto_an_existing_file(tmp_path):
    f = tmp_path / "taken"
    f.write_text("x", encoding="utf-8")
    code, _, err = run_main("schema", "--out", str(f))
    assert_no_escape(code, err)
    assert code == 2 and "is not a directory" in err
    assert f.read_text(encoding="utf-8") == "x"


def test_lint_warns_of_confusable_fact_names(tmp_path):
    d = copy_good(str(tmp_path))
    with open(os.path.join(d, "vocabulary.yaml"), "a", encoding="utf-8") as fh:
        fh.write("  g\u0430s.alarm: {type: bool}\n  gas.\uff41larm2: {type: bool}\n  gas.ALARM: {type: bool}\n")
    code, out, err = run_main("lint", d)
    assert_no_escape(code, err)
    w403 = [line for line in out.splitlines() + err.splitlines() if "[W403 " in line and ": warning: " in line]
    assert len(w403) == 3, out + err
    assert any("mixes Cyrillic and Latin" in w for w in w403)
    assert any("compatibility characters" in w for w in w403)
    assert any("looks like 'gas.alarm'" in w for w in w403)
    from safetyrules.authoring.lint import lint

    assert not [w for w in lint(safetyrules.load(GOOD)) if w.code == "W403"]


def test_fmt_replaces_files_atomically_and_keeps_their_mode(tmp_path):
    pytest.importorskip("ruamel.yaml")
    f = tmp_path / "t.yaml"
    f.write_text("rows:\n  - {then: red, when: \"true\"}\noutput: risk.level\nid: t\nkind: table\n", encoding="utf-8")
    os.chmod(f, 0o640)
    inode = os.stat(f).st_ino
    code, out, err = run_main("fmt", str(f))
    assert_no_escape(code, err)
    assert code == 0 and "reformatted" in out
    assert f.read_text(encoding="utf-8").startswith("kind: table")
    assert os.stat(f).st_ino != inode  # a new file renamed over the old one
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["t.yaml"]  # no temporary left


def test_markdown_and_text_reports_escape_control_characters(tmp_path):
    facts = tmp_path / "e.json"
    facts.write_text('{"entity.name": "evil\\u001b[2J\\u202e", "entity.id": "a\\u0007b"}', encoding="utf-8")
    for fmt in ("text", "markdown"):
        code, out, err = run_main("evaluate", str(facts), "--rules", GOOD, "--format", fmt, "--explain")
        assert code == 0, err
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    from safetyrules.report.text import escape_controls

    assert escape_controls("a\x1b[2Jb\nc\u202e") == "a\\x1b[2Jb\nc\\u202e"
    assert escape_controls("x\ny", keep_newlines=False) == "x\\x0ay"


def test_diff_facts_locates_each_bad_entity_once(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(b'{"gas.alarm": true}\n{bad\n\xff\n')
    code, _, err = run_main("diff", GOOD, GOOD, "--facts", str(corpus))
    assert_no_escape(code, err)
    lines = [x for x in err.splitlines() if "error" in x]
    assert len(lines) == 2
    for n, line in zip((2, 3), lines):
        assert line.count(f"c.jsonl:{n}") == 1 and line.count("error:") == 1, line
