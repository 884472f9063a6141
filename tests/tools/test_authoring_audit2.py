"""A second black-box audit of the authoring side (SPEC §2, §6, §12): a
standards author writing a city overlay from scratch, and the CI job gating
it.  Rule files in a temp dir, the command line run in-process through
``safetyrules.cli.main.main`` (the ``run`` fixture), as a user would."""

import pytest

from rule_files import write

from rule_files import standard

OVERLAY = {
    "ruleset.yaml": "kind: ruleset\nid: city.audit2\nextends: cn.default\ninclude: [local/*.yaml]\n",
    "local/v.yaml": "kind: vocabulary\nid: city.audit2.v\nfacts:\n  city.ebike.indoor: {type: bool}\n",
    "local/items.yaml": standard("""\
        - id: ebike
          cite: Item 1
          severity: general
          when: "city.ebike.indoor"
          examples:
            - {facts: {city.ebike.indoor: true}, expect: true}
            - {facts: {city.ebike.indoor: false}, expect: false}
        """, id="city.audit2.items", version='"2025"'),
}


# -- test --coverage on an overlay: scoped like the examples it runs -----------------------


def test_overlay_coverage_counts_the_overlays_own_clauses(tmp_path, run):
    """`test` runs an overlay's own examples (not the national ones), so its
    coverage is over the overlay's own clauses: a fully covered overlay is
    100 %, and --fail-under gates the overlay, not the inherited set."""
    d = write(tmp_path / "city", OVERLAY)
    code, out, err = run("test", "--coverage", "--fail-under", "100", d)
    assert code == 0, out + err
    assert "city.audit2.items" in out and "cn.gb35181.2017" not in out
    assert "overall coverage: 100.0%" in out
    assert "2 passed, 0 failed" in out


def test_overlay_coverage_all_files_covers_the_inherited_set_too(tmp_path, run):
    d = write(tmp_path / "city", OVERLAY)
    code, out, err = run("test", "--coverage", "--all-files", d)
    assert code == 0, out + err
    assert "city.audit2.items" in out and "cn.gb35181.2017" in out


def test_overlay_coverage_gate_fails_on_an_uncovered_own_clause(tmp_path, run):
    files = dict(OVERLAY)
    files["local/items.yaml"] = OVERLAY["local/items.yaml"].split("    examples:")[0]
    d = write(tmp_path / "city", files)
    code, out, err = run("test", "--coverage", "--fail-under", "50", d)
    assert code == 1, out + err
    assert "city.audit2.items ebike: no passing example where it is found" in out
    assert "overall coverage: 0.0%" in out


# -- table import writes what fmt --check accepts ------------------------------------------

TABLE = """\
kind: table
id: city.audit2.size
title: {zh: 规模, en: Size}
output: risk.level
hit: first
rows:
  - {id: big, when: "entity.employees >= 1000", then: red, title: {zh: 大, en: Big}}
  - {id: rest, when: "true", then: blue}
examples:
  - {name: "big one", facts: {entity.employees: 1000}, expect: red}
  - {name: small, facts: {entity.employees: 3}, expect: blue}
"""


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_table_import_output_is_canonical_for_fmt(tmp_path, run, ext):
    """An author edits a table in a spreadsheet and imports it back; the CI
    job that runs `fmt --check` must not fail on the imported file (key order
    of the schema: rows id, when, then, ...; titles zh, en; examples name,
    facts, expect)."""
    if ext == "xlsx":
        pytest.importorskip("openpyxl")
    pytest.importorskip("ruamel.yaml")
    src = tmp_path / "size.yaml"
    src.write_text(TABLE, encoding="utf-8")
    sheet = tmp_path / f"size.{ext}"
    assert run("table", "export", src, "-o", sheet)[0] == 0
    back = tmp_path / "back.yaml"
    code, out, err = run("table", "import", sheet, "-o", back)
    assert code == 0, out + err
    import yaml

    assert yaml.safe_load(back.read_text(encoding="utf-8")) == yaml.safe_load(TABLE)
    code, out, err = run("fmt", "--check", back)
    assert code == 0, back.read_text(encoding="utf-8") + out + err


# -- an example's bad fact is located at that fact, not at the start of the example --------

MINI = {
    "ruleset.yaml": "kind: ruleset\nid: mini\ninclude: [v.yaml, s.yaml]\n",
    "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  n: {type: integer, min: 0}\n"
              "  items: {type: list, item: {k: {type: enum, values: [p, q]}}}\n",
}


def _std(examples):
    return ('kind: standard\nid: st\nversion: "1"\nclauses:\n  - id: c1\n    cite: Art 1\n    severity: major\n'
            '    when: "a"\n    examples:\n' + examples)


@pytest.mark.parametrize("example, needle, message", [
    # an undeclared fact: at its key
    ("      - {facts: {a: true, zzz: true}, expect: true}\n", "zzz", "unknown fact 'zzz'"),
    # a value of the wrong type: at the value
    ("      - {facts: {a: 3}, expect: true}\n", "3}", "fact 'a' must be true or false"),
    # in block style, on its own line
    ("      - facts:\n          a: true\n          n: -1\n        expect: true\n", "-1", "at least 0"),
    # nested mapping for a dotted name
    ("      - {facts: {a: true, items: [{k: zz}]}, expect: true}\n", "zz}", "items[0].k"),
])
def test_example_fact_errors_point_at_the_fact(tmp_path, run, example, needle, message):
    files = dict(MINI, **{"s.yaml": _std(example)})
    d = write(tmp_path / "r", files)
    code, out, err = run("test", d)
    assert code == 1, out + err
    text = files["s.yaml"]
    at = text.index(needle)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    assert f"s.yaml:{line}:{col}: error: c1 example 1: " in err, err
    assert message in err


# -- the overlay's digest covers the base's bytes, not only its own ------------------------


def _digest(path):
    import safetyrules

    return safetyrules.load(str(path)).plan.digest


def test_overlay_digest_changes_when_one_byte_of_the_base_changes(tmp_path, monkeypatch):
    """SPEC §12: 'its digest covers the base and its own files'. The bundled
    set is copied and the copy stands in for the installed one; one byte of
    the base's manifest, or of a file it includes, changes the overlay's
    digest, while a base file the base does not include changes nothing."""
    import datetime
    import shutil

    import safetyrules
    from safetyrules.source import files

    base = tmp_path / "installed" / "standards"
    shutil.copytree(files.bundled_path(), base)
    monkeypatch.setattr(files, "bundled_path", lambda: str(base))
    d = write(tmp_path / "city", OVERLAY)
    rules = safetyrules.load(str(d))
    first = rules.plan.digest
    assert rules.evaluate({}, as_of=datetime.date(2024, 3, 1)).to_dict()["ruleset"]["digest"] == first
    lec = base / "grading-lec" / "vocabulary.yaml"
    lec.write_bytes(lec.read_bytes() + b"#")
    assert _digest(d) == first  # not part of cn.default
    seen = {first}
    for edit in ("ruleset.yaml", "grading/inspection-frequency.yaml"):
        p = base / edit
        p.write_bytes(p.read_bytes().replace(b"kind:", b"kind: ", 1))  # one byte more, same meaning
        now = _digest(d)
        assert now not in seen, edit
        seen.add(now)


@pytest.mark.parametrize("block, good, bad, hint", [
    ("rows", "then", "thn", "did you mean 'then'?"),
    ("examples", "expect", "expected", "did you mean 'expect'?"),
])
def test_table_import_names_a_misspelt_header_key_at_its_cell(tmp_path, run, block, good, bad, hint):
    """A header typo in the sheet is reported at the header cell as an unknown
    key, not as a key missing from the first row under it."""
    src = tmp_path / "size.yaml"
    src.write_text(TABLE, encoding="utf-8")
    sheet = tmp_path / "size.csv"
    assert run("table", "export", src, "-o", sheet)[0] == 0
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    r = next(i for i, ln in enumerate(lines) if ln.startswith(block + ","))
    cols = lines[r].split(",")
    c = cols.index(good)
    cols[c] = bad
    lines[r] = ",".join(cols)
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run("table", "import", sheet, "-o", tmp_path / "back.yaml")
    assert code == 2, out + err
    cell = f"{chr(ord('A') + c)}{r + 1}"
    assert err.startswith(f"{sheet}!size!{cell}: error: unknown key '{bad}' in the '{block}' header"), err
    assert hint in err


# -- fmt keeps a file's line endings ----------------------------------------------------------


def test_fmt_keeps_crlf_line_endings(tmp_path, run):
    """A rule file checked out with CRLF line endings (Windows, git
    autocrlf) that is otherwise canonical passes `fmt --check`; one that is
    not is rewritten in canonical form, still with CRLF, comments kept."""
    pytest.importorskip("ruamel.yaml")
    good = tmp_path / "good.yaml"
    good.write_bytes(b"kind: vocabulary\r\nid: v\r\nfacts:\r\n  a: {type: bool}   # a comment\r\n")
    code, out, err = run("fmt", "--check", good)
    assert code == 0, out + err
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"id: v\r\nkind: vocabulary\r\nfacts:\r\n  a: {type: bool}   # a comment\r\n")
    code, out, err = run("fmt", bad)
    assert code == 0, out + err
    assert bad.read_bytes() == b"kind: vocabulary\r\nid: v\r\nfacts:\r\n  a: {type: bool}   # a comment\r\n"
    assert run("fmt", "--check", bad)[0] == 0


# -- prove and its lint warning point at the table's rows -------------------------------------


def test_prove_json_and_lint_w205_locate_the_rows_of_the_table(tmp_path, run):
    import json

    files = dict(OVERLAY)
    files["ruleset.yaml"] = OVERLAY["ruleset.yaml"] + "decision: {level: city.level}\n"
    files["local/v.yaml"] = OVERLAY["local/v.yaml"] + "  city.level: {type: enum, values: [red, orange, blue]}\n"
    files["local/lv.yaml"] = ("kind: table\nid: city.audit2.level\noutput: city.level\n"
                              "rows:\n"
                              '  - {id: r, when: "findings.major > 0", then: red}\n'
                              '  - {id: b, when: "findings.general > 0", then: blue}\n'
                              '  - {id: o, when: "true", then: orange}\n')
    d = write(tmp_path / "city", files)
    code, out, err = run("prove", "--format", "json", d)
    assert code == 1, out + err
    props = json.loads(out)[0]["properties"]
    bad = [p for p in props if p["table"] == "city.audit2.level" and not p["proven"]]
    # the first row, where the rows begin (as lint's W201 gap warning), not the file's 1:1
    assert bad and all(p["path"].endswith("lv.yaml") and (p["line"], p["column"]) == (5, 3) for p in bad), bad
    code, out, err = run("lint", d)
    assert "lv.yaml:5:3: warning: level table 'city.audit2.level': finding-monotone fails" in out + err


# -- lint quotes the condition as the author wrote it ----------------------------------------


def test_lint_quotes_the_condition_as_written_not_after_unit_conversion(tmp_path, run):
    """`h == 300 cm or true` with h in m: W101 and W402 quote `300 cm`, not the
    converted `3` an author never wrote."""
    files = dict(MINI)
    files["v.yaml"] = MINI["v.yaml"] + "  h: {type: number, unit: m}\n"
    files["s.yaml"] = _std("").replace('when: "a"', 'when: "h == 300 cm or a"').replace("    examples:\n", "")
    files["s.yaml"] = files["s.yaml"].replace("when: \"h == 300 cm or a\"", "when: \"(h == 300 cm or true) and a\"")
    d = write(tmp_path / "r", files)
    code, out, err = run("lint", d)
    text = out + err
    assert "'h == 300 cm or true'" in text and "W101" in text, text
    assert "'h == 300 cm' compares the measured number 'h' (m)" in text, text
