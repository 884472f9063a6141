"""A third black-box audit of SPEC §12 and the authoring commands of §6, as a
standards author and a CI job would use them: rule sets and overlays in a
temp dir, the command line run in-process (the ``run`` fixture).  Aimed at
what tests/tools/test_spec12_audit.py and test_authoring_audit2.py left
alone: ``test -k`` selection, and overlays that weaken national clauses."""

import pytest

from rule_files import write

from rule_files import standard, table

RULES = {
    "ruleset.yaml": 'kind: ruleset\nid: a3\ninclude: ["*.yaml"]\ndecision: {level: risk.level}\n',
    "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  n: {type: integer, min: 0}\n"
              "  risk.level: {type: enum, values: [red, yellow, blue]}\n",
    "s.yaml": standard("""\
        - id: art3.1
          cite: Art 3 (1)
          severity: major
          when: "a and n > 5"
          examples:
            - {name: over the line, facts: {a: true, n: 6}, expect: true}
            - {facts: {a: true, n: 5}, expect: false}
        - id: art4
          cite: Art 4
          severity: general
          when: "n > 100"
          examples:
            - {facts: {n: 101}, expect: true}
            - {facts: {n: 100}, expect: false}
        """, id="std.one"),
    "lv.yaml": """\
kind: table
id: grade
output: risk.level
rows:
  - {when: "findings.major > 0 or findings.major_undetermined > 0", then: red}
  - {when: "findings.general > 0 or findings.undetermined > 0", then: yellow}
  - {when: "true", then: blue}
examples:
  - {name: clean, facts: {findings.major: 0, findings.major_undetermined: 0, findings.general: 0, findings.undetermined: 0}, expect: blue}
""",
}


def last(out):
    return out.strip().splitlines()[-1]


# -- test -k: substring or glob over the standard/table id, clause id and label ------------


@pytest.mark.parametrize("pattern, ran", [
    ("art3.1", 2),          # a clause id, as a substring
    ("ART3", 2),            # case-insensitive
    ("art3.?", 2),          # a clause id, as a glob (docs/cli.md: "or matches it as a glob")
    ("art?", 2),            # art4 only: the glob matches the whole clause id
    ("std.*", 4),           # a standard id, as a glob
    ("gra?e", 1),           # a table id, as a glob
    ("over the*", 1),       # an example's name, as a glob
    ("clean", 1),           # a table example's name
])
def test_k_selects_by_substring_or_glob(tmp_path, run, pattern, ran):
    d = write(tmp_path / "r", RULES)
    code, out, err = run("test", d, "-k", pattern)
    assert code == 0, out + err
    assert last(out) == f"{ran} passed, 0 failed", out + err


def test_k_that_selects_nothing_fails(tmp_path, run):
    """A `-k` that matches no example (a typo in CI) must not look green:
    pytest exits non-zero when every test is deselected, and SPEC §6 gives
    `test` 0 for "pass" only -- nothing ran, nothing passed."""
    d = write(tmp_path / "r", RULES)
    code, out, err = run("test", d, "-k", "NOMATCH")
    assert code == 1, out + err
    assert "-k 'NOMATCH' matches no example" in err, err
    assert last(out) == "0 passed, 0 failed"


# -- an overlay may add or tighten, never mask or replace a national clause --------------

OVERLAY = {
    "ruleset.yaml": "kind: ruleset\nid: city.a3\nextends: cn.default\ninclude: [local/*.yaml]\n",
}

SUPERSEDES = standard("""\
    - id: w1
      cite: W1
      severity: general
      when: "entity.employees > 100000"
      examples:
        - {facts: {entity.employees: 100001}, expect: true}
        - {facts: {entity.employees: 1}, expect: false}
    """, id="city.a3.law", version='"2025"', effective="{from: 2020-01-01, supersedes: [cn.npc.safety-production-law]}")

MASK = table("city.a3.mask", "contractors.present", """\
    - {when: "true", then: false}
    """)


def test_overlay_superseding_a_national_standard_is_l_prov_weakens(tmp_path, run):
    """supervision.md §8.5 (normative by SPEC §10): "L-PROV-WEAKENS (error):
    an overlay masks, removes or loosens a national clause"; SPEC §12: an
    overlay adds or tightens.  An overlay standard that declares no layer and
    supersedes the national Safety Production Law drops every one of its
    clauses: lint reports it at the supersedes entry and exits 1."""
    d = write(tmp_path / "city", dict(OVERLAY, **{"local/law.yaml": SUPERSEDES}))
    code, out, err = run("lint", d)
    text = out + err
    assert code == 1, text
    assert "law.yaml:4:44: error: " in text and "[L-PROV-WEAKENS provenance-weakens]" in text, text
    assert "cn.npc.safety-production-law" in text


def test_overlay_deriving_a_national_input_fact_is_l_prov_weakens(tmp_path, run):
    """An overlay table that derives a fact the national clauses take as input
    (here: always 'no contractors') masks those clauses without touching
    them; lint reports it at the table's output."""
    d = write(tmp_path / "city", dict(OVERLAY, **{"local/mask.yaml": MASK}))
    code, out, err = run("lint", d)
    text = out + err
    assert code == 1, text
    assert "mask.yaml:3:9: error: " in text and "contractors.present" in text, text
    assert "[L-PROV-WEAKENS provenance-weakens]" in text


def test_overlay_that_only_adds_is_not_weakening(tmp_path, run):
    """The same overlay superseding only its own older edition, and deriving
    only its own facts, is clean (the check is not a blanket ban)."""
    own = SUPERSEDES.replace("cn.npc.safety-production-law", "city.a3.old")
    old = SUPERSEDES.replace("city.a3.law", "city.a3.old").replace(
        "effective: {from: 2020-01-01, supersedes: [cn.npc.safety-production-law]}", "effective: {from: 2019-01-01}")
    vocab = "kind: vocabulary\nid: city.a3.v\nfacts:\n  city.a3.flag: {type: bool}\n"
    table = MASK.replace("contractors.present", "city.a3.flag")
    files = dict(OVERLAY, **{"local/law.yaml": own, "local/old.yaml": old, "local/v.yaml": vocab, "local/t.yaml": table})
    d = write(tmp_path / "city", files)
    code, out, err = run("lint", d, "--format", "json")
    import json

    assert [w for w in json.loads(out)["warnings"] if w["code"] == "L-PROV-WEAKENS"] == [], out


def test_lint_summary_counts_provenance_errors_as_errors(tmp_path, run):
    """lint exits 1 on L-PROV-WEAKENS without --strict, as on an error: the
    summary line must not call it a warning."""
    d = write(tmp_path / "city", dict(OVERLAY, **{"local/mask.yaml": MASK}))
    code, out, err = run("lint", d)
    assert code == 1
    assert last(out) == f"{d}: 1 error, 0 warnings (L-PROV-WEAKENS provenance-weakens ×1)", out


def test_a_declared_local_layer_superseding_national_is_located_at_the_entry(tmp_path, run):
    """SPEC §2: errors point at the offending node -- the supersedes entry,
    not the file's 1:1 -- and are reported once."""
    local = SUPERSEDES.replace('version: "2025"\n', 'version: "2025"\nlayer: municipal\n')
    d = write(tmp_path / "city", dict(OVERLAY, **{"local/law.yaml": local}))
    code, out, err = run("lint", d, "--disable", "L-PROV-MISSING")
    assert code == 1, out + err
    weak = [ln for ln in out.splitlines() if "L-PROV-WEAKENS" in ln and ": error: " in ln]
    assert len(weak) == 1 and weak[0].startswith(f"{d}/local/law.yaml:5:44: error: municipal standard city.a3.law"), out


# -- diff: the manifest's decision: is part of the rules ------------------------------------

MY_LEVEL = table("my", "my.level", """\
    - {when: "risk.level == 'red'", then: red}
    - {when: "true", then: blue}
    """)


def test_diff_reports_a_change_of_the_manifests_decision(tmp_path, run):
    """SPEC §4: a change of the manifest's `decision:` is a change of the rules
    (it changes the digest); `diff` must list it, and `--fail-on any` must
    fail on it, even with no corpus to show an entity whose level moves."""
    files = dict(RULES, **{"my.yaml": MY_LEVEL})
    files["v.yaml"] = RULES["v.yaml"] + "  my.level: {type: enum, values: [red, blue]}\n"
    old = write(tmp_path / "old", files)
    new = write(tmp_path / "new", dict(files, **{"ruleset.yaml": RULES["ruleset.yaml"].replace("risk.level", "my.level")}))
    code, out, err = run("diff", old, new, "--fail-on", "any")
    assert code == 1, out + err
    assert "changed ruleset a3 — decision.level: risk.level → my.level" in out, out
    import json

    code, out, err = run("diff", old, new, "--format", "json")
    assert code == 0, out + err
    (c,) = json.loads(out)["changes"]
    assert (c["kind"], c["field"], c["old"], c["new"]) == ("ruleset", "decision.level", "risk.level", "my.level"), c
    assert c["at"]["path"].endswith("ruleset.yaml") and (c["at"]["line"], c["at"]["column"]) == (4, 19), c
    code, out, err = run("diff", old, new, "--format", "sarif")
    assert code == 0 and json.loads(out)["runs"][0]["results"][0]["ruleId"] == "D102", out
    code, out, err = run("diff", old, new, "--format", "markdown")
    assert code == 0 and "decision.level" in out, out


def test_diff_reports_a_changed_list_item_field(tmp_path, run):
    """A list fact's item field that changes its values is a changed
    declaration, as a top-level fact's would be."""
    vocab = ("kind: vocabulary\nid: lv\nfacts:\n"
             "  cranes: {type: list, item: {kind: {type: enum, values: [tower, gantry]}, age: {type: integer}}}\n")
    std = ('kind: standard\nid: cr\nversion: "1"\nclauses:\n'
           '  - {id: c1, cite: C1, severity: general, when: "any(c in cranes: c.kind == \'tower\' and c.age > 20)"}\n')
    base = {"ruleset.yaml": 'kind: ruleset\nid: cr\ninclude: ["*.yaml"]\n', "v.yaml": vocab, "s.yaml": std}
    old = write(tmp_path / "old", base)
    new = write(tmp_path / "new", dict(base, **{"v.yaml": vocab.replace("[tower, gantry]", "[tower, gantry, mobile]")}))
    code, out, err = run("diff", old, new, "--fail-on", "any")
    assert code == 1, out + err
    assert "changed fact cranes — declaration:" in out and "mobile" in out, out


# -- test --coverage --fail-under: the figure printed is the figure compared ----------------


def test_fail_under_compares_the_printed_figure(tmp_path, run):
    """Four of six obligations met prints 'overall coverage: 66.7%'; a CI job
    that copies that figure into --fail-under 66.7 must pass (coverage.py
    compares the total rounded to the precision it prints), and 66.8 fail."""
    files = {
        "ruleset.yaml": 'kind: ruleset\nid: cov\ninclude: ["*.yaml"]\n',
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  b: {type: bool}\n",
        "s.yaml": ('kind: standard\nid: s\nversion: "1"\nclauses:\n'
                   '  - id: c1\n    cite: C1\n    severity: general\n    when: "a"\n'
                   '    examples:\n      - {facts: {a: true}, expect: true}\n      - {facts: {a: false}, expect: false}\n'
                   '  - id: c2\n    cite: C2\n    severity: general\n    when: "b"\n'
                   '    examples:\n      - {facts: {b: true}, expect: true}\n'),
    }
    d = write(tmp_path / "r", files)
    code, out, err = run("test", d, "--coverage", "--fail-under", "66.7")
    assert "overall coverage: 66.7%" in out, out
    assert code == 0, out + err
    code, out, err = run("test", d, "--coverage", "--fail-under", "66.8")
    assert code == 1 and "error: coverage 66.7% is under --fail-under 66.8" in err, out + err
    # 100 means every obligation: 99.96 does not round up to pass it (as coverage.py)
    from safetyrules.authoring.coverage import fails_under

    assert fails_under(99.96, 100.0) and not fails_under(100.0, 100.0)
    assert fails_under(66.64, 66.7) and not fails_under(66.66, 66.7)


def test_new_results_are_valid_sarif(tmp_path, run, monkeypatch):
    """The ruleset change of diff and the overlay L-PROV-WEAKENS of lint, as
    SARIF: valid against the OASIS schema, located with line and column."""
    import json

    from test_lint_sarif import validate

    monkeypatch.chdir(tmp_path)
    files = dict(RULES, **{"my.yaml": MY_LEVEL})
    files["v.yaml"] = RULES["v.yaml"] + "  my.level: {type: enum, values: [red, blue]}\n"
    write(tmp_path / "old", files)
    write(tmp_path / "new", dict(files, **{"ruleset.yaml": RULES["ruleset.yaml"].replace("risk.level", "my.level")}))
    code, out, err = run("diff", "old", "new", "--format", "sarif")
    log = json.loads(out)
    validate(log)
    (res,) = log["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 19}
    write(tmp_path / "city", dict(OVERLAY, **{"local/mask.yaml": MASK}))
    code, out, err = run("lint", "city", "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    validate(log)
    (res,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "L-PROV-WEAKENS"]
    assert res["level"] == "error"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "city/local/mask.yaml" and loc["region"] == {"startLine": 3, "startColumn": 9}


# -- fmt: nested fact groups are facts too ------------------------------------------------


def test_fmt_orders_the_keys_of_nested_fact_declarations(tmp_path, run):
    """SPEC §2: nested mappings and dotted keys are the same thing; fmt puts a
    fact's keys in schema order (type, unit, ..., titles zh, en) whichever
    way it is spelt, item fields' titles too, and `fmt --check` agrees; a
    fact group may itself hold a fact named `type`."""
    pytest.importorskip("ruamel.yaml")
    src = ("kind: vocabulary\nid: v\nfacts:\n"
           "  dust:\n    removal:\n      separated: {unit: m, type: number, title: {en: S, zh: 分}}   # kept\n"
           "  vessel:\n    type: {values: [a, b], type: enum}\n"
           "  cranes: {item: {age: {unit: year, type: integer, title: {en: Age, zh: 年}}}, type: list}\n")
    want = ("kind: vocabulary\nid: v\nfacts:\n"
            "  dust:\n    removal:\n      separated: {type: number, unit: m, title: {zh: 分, en: S}}   # kept\n"
            "  vessel:\n    type: {type: enum, values: [a, b]}\n"
            "  cranes: {type: list, item: {age: {type: integer, unit: year, title: {zh: 年, en: Age}}}}\n")
    p = tmp_path / "v.yaml"
    p.write_text(src, encoding="utf-8")
    assert run("fmt", "--check", p)[0] == 1
    code, out, err = run("fmt", p)
    assert code == 0, out + err
    assert p.read_text(encoding="utf-8") == want
    assert run("fmt", "--check", p)[0] == 0


def test_fmt_key_order_is_the_schemas_order():
    """docs/fmt.md: "keys in the order of the file kind's schema". A key the
    order leaves out goes last, so a standard's provenance header (layer,
    authority, ...: supervision.md §8.5) was moved below its clauses."""
    from safetyrules.authoring.fmt import KEY_ORDER
    from safetyrules.source.schema import schema_for

    def props(kind, sub=None):
        d = schema_for(kind)
        d = d["$defs"][sub] if sub else d
        return tuple(d["properties"])

    assert KEY_ORDER["standard"] == props("standard")
    assert KEY_ORDER["clause"] == props("standard", "clause")
    assert KEY_ORDER["table"] == props("table")
    assert KEY_ORDER["row"] == props("table", "row")
    assert KEY_ORDER["vocabulary"] == props("vocabulary")
    assert KEY_ORDER["fact"] == props("vocabulary", "fact")
    assert KEY_ORDER["ruleset"] == props("ruleset")


def test_fmt_keeps_a_provenance_header_above_the_clauses(tmp_path, run):
    pytest.importorskip("ruamel.yaml")
    text = ('kind: standard\nid: s\nversion: "1"\nlayer: municipal\nauthority: X\nclauses:\n'
            '  - id: c1\n    cite: C\n    severity: general\n    kind: patrol_guidance\n    when: "a"\n')
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    code, out, err = run("fmt", "--check", p)
    assert code == 0, out + err


# -- validate checks the examples' facts (names, types), as lint does ----------------------


@pytest.mark.parametrize("example, needle, message", [
    ("      - {facts: {a: true, nn: 6}, expect: true}\n", "nn", "unknown fact 'nn' (did you mean 'n'?)"),  # a typo
    ("      - {facts: {a: true, n: 6.5}, expect: true}\n", "6.5", "fact 'n'"),                 # the wrong type
])
@pytest.mark.parametrize("command", ["validate", "lint"])
def test_validate_refuses_an_example_with_a_bad_fact(tmp_path, run, command, example, needle, message):
    """SPEC §6: validate checks "names, types"; an example is part of the rule
    file, and a typo in its facts is an error validate (and lint) report at
    the fact, not something only `test` finds."""
    s = RULES["s.yaml"].replace("      - {facts: {a: true, n: 5}, expect: false}\n", example)
    d = write(tmp_path / "r", dict(RULES, **{"s.yaml": s}))
    code, out, err = run(command, d)
    assert code == 1, out + err
    at = s.index(needle)
    line, col = s.count("\n", 0, at) + 1, at - (s.rfind("\n", 0, at) + 1) + 1
    assert f"s.yaml:{line}:{col}: error: art3.1 example 2: " in err, err
    assert message in err


def test_validate_refuses_a_table_example_expecting_an_undeclared_value(tmp_path, run):
    lv = RULES["lv.yaml"].replace("expect: blue}", "expect: bleu}")
    d = write(tmp_path / "r", dict(RULES, **{"lv.yaml": lv}))
    code, out, err = run("validate", d)
    assert code == 1, out + err
    at = lv.index("bleu")
    line, col = lv.count("\n", 0, at) + 1, at - (lv.rfind("\n", 0, at) + 1) + 1
    assert f"lv.yaml:{line}:{col}: error: grade example 1 (clean): expect 'bleu' is not one of the declared values" in err, err


def test_validate_still_passes_good_examples(tmp_path, run):
    d = write(tmp_path / "r", RULES)
    code, out, err = run("validate", d)
    assert code == 0 and err == "", out + err
    code, out, err = run("validate")
    assert code == 0, out + err


# -- table import: a sheet is bounded as a rule file is --------------------------------------

SIZE_TABLE = """\
kind: table
id: size
title: {zh: 规模, en: Size}
output: risk.level
rows:
  - {id: big, when: "findings.major > 0", then: red}
  - {id: rest, when: "true", then: blue}
"""


def _sheet(tmp_path, run, title=None):
    src = tmp_path / "size.yaml"
    src.write_text(SIZE_TABLE if title is None else SIZE_TABLE.replace("en: Size", f"en: {title}"), encoding="utf-8")
    sheet = tmp_path / "size.csv"
    assert run("table", "export", src, "-o", sheet)[0] == 0
    return sheet


def test_table_import_refuses_a_sheet_over_the_rule_file_limit(tmp_path, run, monkeypatch):
    """docs/authoring.md: file size is bounded (16 MiB); a sheet larger than
    that is refused before it is read -- named as the sheet, not as a rule
    file 'larger than' it is not."""
    from safetyrules.source import loader

    sheet = _sheet(tmp_path, run, title="x" * 3000)
    monkeypatch.setattr(loader, "MAX_BYTES", 2048)
    code, out, err = run("table", "import", sheet)
    assert code == 2, out + err
    assert err.startswith(f"{sheet}!size: error: the sheet is larger than 2048 bytes"), err


def test_table_import_refuses_a_table_that_would_be_over_the_limit(tmp_path, run, monkeypatch):
    """A sheet under the limit whose table would not be (cells that YAML
    must escape): the error says so, at the sheet, not 'SHEET:1:1: file is
    larger than ...' of a file that is not that large."""
    from safetyrules.source import loader

    sheet = _sheet(tmp_path, run)
    text = sheet.read_text(encoding="utf-8-sig").replace("Size", "\x07" * 400)  # one byte each, four in YAML (\a)
    sheet.write_text(text, encoding="utf-8")
    monkeypatch.setattr(loader, "MAX_BYTES", len(text) + 200)
    code, out, err = run("table", "import", sheet)
    assert code == 2, out + err
    assert err.startswith(f"{sheet}!size: error: the table would be larger than {len(text) + 200} bytes"), err


def test_table_import_bounds_what_an_xlsx_unpacks_to(tmp_path, run, monkeypatch):
    """An .xlsx is a zip: a small file whose cells unpack to more text than a
    rule file may hold is refused while it is read."""
    pytest.importorskip("openpyxl")
    from safetyrules.source import loader

    src = tmp_path / "size.yaml"
    src.write_text(SIZE_TABLE.replace("en: Size", "en: " + "x" * 60000), encoding="utf-8")
    sheet = tmp_path / "size.xlsx"
    assert run("table", "export", src, "-o", sheet)[0] == 0
    size = sheet.stat().st_size
    assert size < 30000
    monkeypatch.setattr(loader, "MAX_BYTES", size + 100)
    code, out, err = run("table", "import", sheet)
    assert code == 2, out + err
    assert err.startswith(f"{sheet}!size: error: the sheet is larger than {size + 100} bytes"), err


def test_fmt_on_a_symlink_formats_its_target_and_keeps_the_link(tmp_path, run):
    """A rule file linked into a rule set (a shared vocabulary): fmt must
    rewrite the file the link points at, as an editor saving it would, not
    replace the link by a formatted copy and leave the shared file as it was."""
    pytest.importorskip("ruamel.yaml")
    real = tmp_path / "shared" / "v.yaml"
    real.parent.mkdir()
    real.write_text("id: v\nkind: vocabulary\nfacts:\n  a: {type: bool}\n", encoding="utf-8")
    link = tmp_path / "rules" / "v.yaml"
    link.parent.mkdir()
    link.symlink_to(real)
    code, out, err = run("fmt", link)
    assert code == 0, out + err
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n"
    assert run("fmt", "--check", tmp_path / "rules")[0] == 0


# -- prove: severity is the order of the level fact's declared values -----------------------


def test_prove_a_level_with_no_declared_values_is_not_proven(tmp_path, run):
    """SPEC §12: "The level fact's declared values are in order of severity".
    A level fact that declares no values (a string) has no order: "one more
    finding never gives a less severe level" cannot be proven -- here a
    finding turns the level from red to blue -- so prove must not print
    'proven' and exit 0."""
    files = dict(RULES)
    files["v.yaml"] = RULES["v.yaml"].replace("risk.level: {type: enum, values: [red, yellow, blue]}", "risk.level: {type: string}")
    files["lv.yaml"] = ('kind: table\nid: grade\noutput: risk.level\nrows:\n'
                        '  - {when: "findings.major > 0", then: blue}\n  - {when: "true", then: red}\n')
    d = write(tmp_path / "r", files)
    code, out, err = run("prove", d)
    assert code == 1, out + err
    for prop in ("finding-monotone", "undetermined-as-found"):
        (line,) = [x for x in out.splitlines() if x.strip().startswith(prop + ":")]
        assert "NOT PROVEN" in line and "declares no values" in line, out
    assert "no-gap: proven" in out
    code, out, err = run("lint", d)
    assert "warning: level table 'grade': finding-monotone cannot be proven" in out and "[W205 unproven-table]" in out, out


def test_fmt_leaves_other_yaml_alone_even_what_the_rule_loader_refuses(tmp_path, run):
    """docs/fmt.md: files with no rule-file `kind:` are left alone. `fmt
    --check .` in a standards repository must not fail on its
    docker-compose.yml (anchors) or a CloudFormation template (tags); a rule
    file with an anchor is still an error."""
    pytest.importorskip("ruamel.yaml")
    d = write(tmp_path / "repo", dict(RULES, **{
        "docker-compose.yml": "x-common: &c\n  image: a\nservices:\n  web: *c\n",
        "cfn.yaml": "Resources:\n  B: !Ref Foo\n",
    }))
    code, out, err = run("fmt", "--check", d)
    assert code == 0, out + err
    (d / "bad.yaml").write_text("kind: vocabulary\nid: w\nfacts:\n  a: &x {type: bool}\n", encoding="utf-8")
    code, out, err = run("fmt", "--check", d)
    assert code == 2 and "bad.yaml:4:6: error: YAML anchors" in err, out + err


def test_prove_a_decision_level_no_table_derives_is_not_proven(tmp_path, run):
    """SPEC §1: the manifest names which *derived* facts are the decision's
    level and tier. A manifest whose level no table derives (an input fact)
    has no level table to prove: prove must say so and exit 1, not print
    'no level or tier table' and exit 0 as for a rule set without a
    decision."""
    files = dict(RULES, **{"ruleset.yaml": RULES["ruleset.yaml"].replace("level: risk.level", "level: n")})
    d = write(tmp_path / "r", files)
    code, out, err = run("prove", d)
    assert code == 1, out + err
    assert "no-gap: NOT PROVEN" in out and "no table derives n, the decision's level" in out, out
    # a rule set whose manifest names no decision at all has nothing to prove
    files = dict(RULES, **{"ruleset.yaml": 'kind: ruleset\nid: a3\ninclude: ["*.yaml"]\n'})
    files.pop("lv.yaml")
    d = write(tmp_path / "plain", files)
    code, out, err = run("prove", d)
    assert code == 0 and "no level or tier table" in out, out + err


def test_diff_reports_a_changed_declared_unit(tmp_path, run):
    """A manifest's `units:` decide what `0.03 A` means for a fact in mA: a
    changed factor changes clauses without changing their text, so diff must
    list it (it said '0 change(s)' and --fail-on any passed)."""
    import shutil

    root = __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "examples", "overlay")
    old = tmp_path / "old"
    shutil.copytree(root, old)
    new = tmp_path / "new"
    shutil.copytree(root, new)
    m = new / "ruleset.yaml"
    m.write_text(m.read_text(encoding="utf-8").replace("mA: {base: A, factor: 0.001}", "mA: {base: A, factor: 0.01}"),
                 encoding="utf-8")
    code, out, err = run("diff", old, new, "--fail-on", "any")
    assert code == 1, out + err
    assert "changed ruleset example-city.overlay — units.mA: {base: A, factor: 0.001} → {base: A, factor: 0.01}" in out, out
