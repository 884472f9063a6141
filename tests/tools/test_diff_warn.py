"""A collect table's ``warn: {code, message}`` shows in ``diff`` (added,
removed, changed) and on the table's reference page (refdocs)."""

import json

import pytest

from safetyrules import load
from safetyrules.authoring.diff import diff_rules, format_text
from safetyrules.authoring.refdocs import render_table

from tools_fixtures import write_rules

from rule_files import ruleset, vocabulary

VOCAB = vocabulary("""\
    x: {type: integer}
    notes: {type: list, values: [big, small]}
    """)

TABLE = """\
kind: table
id: t.notes
output: notes
hit: collect
WARN
rows:
  - {id: small, when: "x < 15", then: small}
  - {id: big, when: "x > 10", then: big}
"""

MANIFEST = ruleset("r", ["v.yaml", "t.yaml"])

A = 'warn: {code: W-NOTE, message: "x is {value}"}'
B = 'warn: {code: W-NOTE, message: "x was {value}"}'
C = 'warn: {code: W-OTHER, message: "x is {value}"}'
AS_DATA = {None: None, A: {"code": "W-NOTE", "message": "x is {value}"},
           B: {"code": "W-NOTE", "message": "x was {value}"}, C: {"code": "W-OTHER", "message": "x is {value}"}}


def rules_with(root, warn):
    table = TABLE.replace("WARN\n", warn + "\n" if warn else "")
    return write_rules(root, {"v.yaml": VOCAB, "t.yaml": table, "ruleset.yaml": MANIFEST})


@pytest.mark.parametrize("old,new,action,line", [
    (None, A, "added", "warn added: W-NOTE “x is {value}”"),
    (A, None, "removed", "warn removed: W-NOTE “x is {value}”"),
    (A, B, "changed", "warn: W-NOTE “x is {value}” → W-NOTE “x was {value}”"),
    (A, C, "changed", "warn: W-NOTE “x is {value}” → W-OTHER “x is {value}”"),
])
def test_diff_reports_the_warn(tmp_path, old, new, action, line):
    a, b = rules_with(tmp_path / "old", old), rules_with(tmp_path / "new", new)
    changes = diff_rules(load(a), load(b))
    # a warning never changes the table's output: no "output, as a whole" change
    assert [c["field"] for c in changes] == ["warn"], changes
    (c,) = changes
    assert (c["kind"], c["action"], c["id"], c["field"], c["warn"]) == ("table", "changed", "t.notes", "warn", action)
    assert (c.get("old"), c.get("new")) == (AS_DATA[old], AS_DATA[new])
    text = format_text({"old": {"path": "old"}, "new": {"path": "new"}, "changes": [c]})
    assert f"changed table t.notes — {line}" in text, text


def test_same_warn_is_no_change(tmp_path):
    a, b = rules_with(tmp_path / "old", A), rules_with(tmp_path / "new", A)
    assert diff_rules(load(a), load(b)) == []


def test_diff_cli_json_and_markdown(tmp_path, run):
    a, b = rules_with(tmp_path / "old", None), rules_with(tmp_path / "new", A)
    code, out, _ = run("diff", a, b, "--format", "json")
    assert code == 0
    (c,) = json.loads(out)["changes"]
    assert c["field"] == "warn" and c["warn"] == "added" and c["new"] == {"code": "W-NOTE", "message": "x is {value}"}
    assert c["at"]["path"].endswith("t.yaml")
    code, out, _ = run("diff", a, b, "--format", "markdown")
    assert "warn added: W-NOTE" in out


def test_reference_page_shows_the_warn(tmp_path):
    rules = load(rules_with(tmp_path / "r", A))
    page = render_table(rules, rules.plan.tables[0])
    assert "decision warning `W-NOTE`: “x is {value}”" in page
    plain = load(rules_with(tmp_path / "p", None))
    assert "decision warning" not in render_table(plain, plain.plan.tables[0])


def test_bundled_given_values_page_shows_its_warn():
    rules = load()
    t = next(t for t in rules.plan.tables if t.id == "cn.gb18218.given-values.2018")
    assert "decision warning `W-GB18218-GIVEN`" in render_table(rules, t)


def test_table_status_change_is_named_without_an_output_counterexample(tmp_path):
    # standards and clauses name a status change; tables do too
    a = rules_with(tmp_path / "old", None)
    b = write_rules(tmp_path / "new", {"v.yaml": VOCAB, "ruleset.yaml": MANIFEST,
                                       "t.yaml": TABLE.replace("WARN\n", "status: provisional\n")})
    changes = diff_rules(load(a), load(b))
    assert [(c["kind"], c["field"], c["old"], c["new"]) for c in changes] == [("table", "status", "verified", "provisional")]
