"""A second black-box audit of the authoring side (SPEC §2, §6, §12): a
standards author writing a city overlay from scratch, and the CI job gating
it.  Rule files in a temp dir, the command line run in-process through
``safetyrules.cli.main.main`` (the ``run`` fixture), as a user would."""

import pytest

OVERLAY = {
    "ruleset.yaml": "kind: ruleset\nid: city.audit2\nextends: cn.default\ninclude: [local/*.yaml]\n",
    "local/v.yaml": "kind: vocabulary\nid: city.audit2.v\nfacts:\n  city.ebike.indoor: {type: bool}\n",
    "local/items.yaml": """\
kind: standard
id: city.audit2.items
version: "2025"
clauses:
  - id: ebike
    cite: Item 1
    severity: general
    when: "city.ebike.indoor"
    examples:
      - {facts: {city.ebike.indoor: true}, expect: true}
      - {facts: {city.ebike.indoor: false}, expect: false}
""",
}


def write(d, files):
    for name, text in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return d


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
