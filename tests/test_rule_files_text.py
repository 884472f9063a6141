"""rule_files builds exactly the text a test would write by hand: dozens of
test rule sets are built with it, and their error locations (line and
column) depend on every byte."""

import rule_files
from rule_files import ruleset, standard, table, vocabulary


def test_the_builders_give_the_hand_written_text():
    assert vocabulary("""\
        a: {type: bool}
        cranes: {type: list, item: {age: {type: integer},
                 ok: {type: bool}}}
        """, id="q") == ("kind: vocabulary\nid: q\nfacts:\n  a: {type: bool}\n"
                         "  cranes: {type: list, item: {age: {type: integer},\n           ok: {type: bool}}}\n")
    assert standard("""\
        - {id: c1, cite: "1", severity: major, when: "a"}
        - {id: c2, cite: "2", severity: general,
           when: "not a"}
        """, id="s1", version='"2023"', title="t", effective="{from: 2023-05-15}", applies_when="a or b") == (
        'kind: standard\nid: s1\nversion: "2023"\ntitle: {en: t}\neffective: {from: 2023-05-15}\n'
        'applies_when: "a or b"\nclauses:\n  - {id: c1, cite: "1", severity: major, when: "a"}\n'
        '  - {id: c2, cite: "2", severity: general,\n     when: "not a"}\n')
    assert standard('- {id: c, cite: C, severity: major, when: "a"}\n') == (
        'kind: standard\nid: s\nversion: "1"\nclauses:\n  - {id: c, cite: C, severity: major, when: "a"}\n')
    assert table("g", "level", """\
        - {when: "findings.major > 0", then: red}
        """, hit="first", default="blue") == (
        'kind: table\nid: g\noutput: level\nhit: first\nrows:\n  - {when: "findings.major > 0", then: red}\n'
        "default: blue\n")
    assert ruleset("r", ['"*.yaml"'], {"level": "risk.level", "tier": "out.first"}) == (
        'kind: ruleset\nid: r\ninclude: ["*.yaml"]\ndecision: {level: risk.level, tier: out.first}\n')
    assert ruleset("r", ["v.yaml", "s.yaml"]) == "kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\n"


def test_write_and_load(tmp_path):
    files = {"v.yaml": "  " + vocabulary("a: {type: bool}\n").replace("\n", "\n  ").rstrip(" "),
             "sub/s.yaml": standard('- {id: c, cite: C, severity: major, when: "a"}\n'),
             "ruleset.yaml": ruleset("r", ["v.yaml", "sub/s.yaml"])}
    d = rule_files.write(tmp_path / "new", files, dedent=True)
    assert (d / "v.yaml").read_text(encoding="utf-8") == vocabulary("a: {type: bool}\n")
    assert (d / "sub" / "s.yaml").read_text(encoding="utf-8") == files["sub/s.yaml"]
    rules = rule_files.load_in(tmp_path / "again", files, dedent=True, entry="ruleset.yaml")
    assert [f.clause for f in rules.evaluate({"a": True}, as_of="2024-01-01").findings] == ["c"]
