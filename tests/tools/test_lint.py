"""Every lint code: one rule set that triggers it, one that does not."""

import json

import pytest

from safetyrules import load
from safetyrules.authoring import verify as verify_mod
from safetyrules.authoring.lint import CODES, lint, run as lint_run
from safetyrules.authoring.verify import verify_table

from tools_fixtures import GOOD_STANDARD, VOCAB

from rule_files import table, vocabulary

# a table reading every fact, so only the fact under test is unused
USE_ALL = """\
kind: table
id: use-all
output: summary
hit: first
default: false
rows:
  - {when: "flag or other or n > 1 or s == 'a' or x > 1 or out == 'hi'", then: true}
"""


def standard(when, *, cite="Article 1", examples=None, unless=None):
    ex = examples if examples is not None else [("{flag: true, x: 6}", "true"), ("{flag: false}", "false")]
    text = f"""\
kind: standard
id: std
version: "1"
clauses:
  - id: c1
    cite: {cite}
    severity: major
    when: "{when}"
"""
    if unless:
        text += f'    unless: "{unless}"\n'
    if ex:
        text += "    examples:\n" + "".join(f"      - {{facts: {f}, expect: {e}}}\n" for f, e in ex)
    return text


def codes(rules_dir, files):
    rules = load(rules_dir(files))
    return [w.code for w in lint(rules)]


def base(**extra):
    files = {"v.yaml": VOCAB, "use.yaml": USE_ALL}
    files.update(extra)
    return files


def test_clean_rule_set_has_no_warnings(rules_dir):
    assert codes(rules_dir, base(**{"s.yaml": GOOD_STANDARD})) == []


# --- W101 constant-condition -------------------------------------------------


def test_w101_contradictory_interval(rules_dir):
    ws = lint(load(rules_dir(base(**{"s.yaml": standard("flag and x > 5 and x < 3")}))))
    w = [w for w in ws if w.code == "W101"]
    assert len(w) == 1
    assert "always false" in w[0].message
    assert w[0].line == 8  # the when: line


def test_w101_part_always_true_given_min(rules_dir):
    # n is declared with min: 0, so 'n >= 0' cannot be false
    ws = lint(load(rules_dir(base(**{"s.yaml": standard("flag and n >= 0")}))))
    w = [w for w in ws if w.code == "W101"]
    assert len(w) == 1 and "'n >= 0' in when of clause 'c1' is always true" in w[0].message


def test_w101_tautology(rules_dir):
    assert "W101" in codes(rules_dir, base(**{"s.yaml": standard("flag or x > 5 or x <= 5")}))


def test_w101_not_for_satisfiable_condition(rules_dir):
    assert "W101" not in codes(rules_dir, base(**{"s.yaml": standard("flag and x > 5 and x < 30")}))


def test_w101_not_for_two_fact_comparison(rules_dir):
    # n + n >= 3 is reachable; representative values are not exact for
    # several facts, so lint never calls such a part constant
    assert "W101" not in codes(rules_dir, base(**{"s.yaml": standard("flag and n * 2 + n >= 300")}))


def test_w101_catch_all_last_row_is_fine(rules_dir):
    table = """\
kind: table
id: t
output: out
rows:
  - {when: "x >= 10", then: hi}
  - {when: "true", then: lo}
"""
    assert codes(rules_dir, base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD})) == []


# --- tables: W201 gap, W202 overlap, W203 masked, W204 not verified --------------

GAP_TABLE = table("t", "out", """\
    - {id: r1, when: "s == 'a' and x >= 10", then: hi}
    - {id: r2, when: "s == 'a' and x < 5", then: lo}
    - {id: r3, when: "s in ['b', 'c']", then: mid}
    """, hit="unique")


def test_w201_gap_with_example(rules_dir):
    ws = lint(load(rules_dir(base(**{"t.yaml": GAP_TABLE, "s.yaml": GOOD_STANDARD}))))
    gaps = [w for w in ws if w.code == "W201"]
    assert len(gaps) == 1
    assert "s = 'a', 5 <= x < 10" in gaps[0].message
    assert gaps[0].example == {"s": "a", "x": 5}
    assert [w.code for w in ws] == ["W201"]


def test_w201_no_gap_reported_with_default(rules_dir):
    table = GAP_TABLE.replace("hit: unique", "hit: unique\ndefault: lo")
    assert codes(rules_dir, base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD})) == []


def test_w201_complete_table(rules_dir):
    table = GAP_TABLE.replace("x < 5", "x < 10")
    assert codes(rules_dir, base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD})) == []


def test_w202_overlap_in_unique_table(rules_dir):
    table = GAP_TABLE.replace("x < 5", "x < 12")
    ws = lint(load(rules_dir(base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD}))))
    assert [w.code for w in ws] == ["W202"]
    assert "row 'r1' and row 'r2'" in ws[0].message
    assert ws[0].example == {"s": "a", "x": 10}


def test_w202_not_for_first_table(rules_dir):
    table = GAP_TABLE.replace("x < 5", "x < 12").replace("hit: unique", "hit: first")
    assert "W202" not in codes(rules_dir, base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD}))


MASK_TABLE = table("t", "out", """\
    - {id: five, when: "x >= 5", then: mid}
    - {id: ten, when: "x >= 10", then: hi}
    - {id: rest, when: "true", then: lo}
    """)


def test_w203_masked_row(rules_dir):
    ws = lint(load(rules_dir(base(**{"t.yaml": MASK_TABLE, "s.yaml": GOOD_STANDARD}))))
    assert [w.code for w in ws] == ["W203"]
    assert "row 'ten' of table 't' is never reached: row 'five'" in ws[0].message
    assert ws[0].line == 6


def test_w203_not_when_ordered(rules_dir):
    table = MASK_TABLE.replace('"x >= 5", then: mid', '"x >= 10", then: hi').replace(
        'id: ten, when: "x >= 10", then: hi', 'id: ten, when: "x >= 5", then: mid'
    )
    assert codes(rules_dir, base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD})) == []


def test_w204_budget_exhausted(rules_dir, monkeypatch):
    monkeypatch.setattr(verify_mod, "TABLE_BUDGET", 3)
    assert "W204" in codes(rules_dir, base(**{"t.yaml": GAP_TABLE, "s.yaml": GOOD_STANDARD}))


def test_w204_not_within_budget(rules_dir):
    assert "W204" not in codes(rules_dir, base(**{"t.yaml": GAP_TABLE, "s.yaml": GOOD_STANDARD}))


def test_verify_table_small_known_gaps_and_overlaps(rules_dir):
    table = """\
kind: table
id: t
output: out
hit: unique
rows:
  - {id: r1, when: "n >= 10 and flag", then: hi}
  - {id: r2, when: "n >= 20", then: mid}
  - {id: r3, when: "n < 10", then: lo}
"""
    rules = load(rules_dir(base(**{"t.yaml": table, "s.yaml": GOOD_STANDARD})))
    lt = rules.plan.table_for(next(t.output for t in rules.plan.tables if t.id == "t"))
    issues = verify_table(lt, rules.vocabulary)
    gaps = [i for i in issues if i.kind == "gap"]
    overlaps = [i for i in issues if i.kind == "overlap"]
    # gap: not flag and 10 <= n < 20 ; overlap: flag and n >= 20
    assert [(g.example, g.region) for g in gaps] == [({"flag": False, "n": 10}, "flag = false, 10 <= n <= 19")]
    assert [(o.rows, o.example) for o in overlaps] == [((0, 1), {"flag": True, "n": 20})]


LIST_VOCAB = vocabulary("""\
    items: {type: list, item: {d: {type: number, unit: m}}}
    grade: {type: enum, values: [hi, lo]}
    """, id="lv")

LIST_TABLE = table("lt", "grade", """\
    - {id: any-high, when: "any(i in items: i.d > 10 m)", then: hi}
    - {id: all-low, when: "len(items) > 0 and all(i in items: i.d <= 10 m)", then: lo}
    """)


def test_w201_list_conditions_only_real_gaps(rules_dir):
    # taken as independent true/false conditions, 'any(d > 10)' false with
    # 'all(d <= 10)' false would look like a gap; no list shows it, so only
    # the empty list (a real gap) is reported, as a concrete value
    files = base(**{"lv.yaml": LIST_VOCAB, "lt.yaml": LIST_TABLE, "s.yaml": GOOD_STANDARD})
    ws = [w for w in lint(load(rules_dir(files))) if w.code == "W201"]
    assert [(w.message, w.example) for w in ws] == [
        ("no row of table 'lt' matches items = []; add a row or a default", {"items": []})
    ]


def test_w201_list_gap_closed(rules_dir):
    table = LIST_TABLE.replace("len(items) > 0 and all(", "all(")
    files = base(**{"lv.yaml": LIST_VOCAB, "lt.yaml": table, "s.yaml": GOOD_STANDARD})
    assert "W201" not in [w.code for w in lint(load(rules_dir(files)))]


def test_bundled_size_table_is_complete():
    rules = load()
    lt = next(t for t in rules.plan.tables if t.id == "cn.nbs.enterprise-size.2017")
    assert not lt.has_default
    assert verify_table(lt, rules.vocabulary) == []


def test_bundled_tables_have_no_gaps_overlaps_or_masked_rows():
    ws = lint(load())
    assert not [w for w in ws if w.code in ("W201", "W202", "W203", "W204", "W101")]


# --- clauses: W301, W302, W303 ---------------------------------------------------


@pytest.mark.parametrize("cite", ["TODO", "'?'", "tbd"])
def test_w301_placeholder_citation(rules_dir, cite):
    assert codes(rules_dir, base(**{"s.yaml": standard("flag", cite=cite)})) == ["W301"]


def test_w301_not_for_real_citation(rules_dir):
    assert "W301" not in codes(rules_dir, base(**{"s.yaml": standard("flag", cite="Article 3 (1)")}))


def test_w302_no_examples(rules_dir):
    assert codes(rules_dir, base(**{"s.yaml": standard("flag", examples=[])})) == ["W302"]


def test_w303_no_false_example(rules_dir):
    std = standard("flag", examples=[("{flag: true}", "true"), ("{}", "unknown")])
    assert codes(rules_dir, base(**{"s.yaml": std})) == ["W303"]


def test_w302_w303_not_with_true_and_false_examples(rules_dir):
    assert codes(rules_dir, base(**{"s.yaml": standard("flag")})) == []


# --- facts: W401, W402 -----------------------------------------------------------------


def test_w401_unused_fact(rules_dir):
    vocab = VOCAB + "  spare: {type: bool}\n"
    ws = lint(load(rules_dir({"v.yaml": vocab, "use.yaml": USE_ALL, "s.yaml": GOOD_STANDARD})))
    assert [(w.code, w.line) for w in ws] == [("W401", 11)]
    assert "'spare'" in ws[0].message


def test_w401_not_when_all_used(rules_dir):
    assert "W401" not in codes(rules_dir, base(**{"s.yaml": GOOD_STANDARD}))


def test_w402_equality_on_measured_number(rules_dir):
    std = standard("flag and x == 3.5 m", examples=[("{flag: true, x: 3.5}", "true"), ("{flag: false}", "false")])
    ws = lint(load(rules_dir(base(**{"s.yaml": std}))))
    assert [w.code for w in ws] == ["W402"]
    assert (ws[0].line, ws[0].column) == (8, 21)  # at the comparison inside the expression


def test_w402_not_for_integer_count_or_inequality(rules_dir):
    std = standard("flag and n == 3 and x >= 3.5 m", examples=[("{flag: true, n: 3, x: 4}", "true"), ("{flag: false}", "false")])
    assert codes(rules_dir, base(**{"s.yaml": std})) == []


def test_every_code_is_documented():
    import os

    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "lint.md"), encoding="utf-8").read()
    for code, (name, _) in CODES.items():
        assert f"{code} {name}" in doc, code


# --- command line ------------------------------------------------------------------------


def test_cli_text_exit_codes(rules_dir, run):
    d = rules_dir(base(**{"s.yaml": standard("flag", examples=[])}))
    code, out, err = run("lint", d)
    assert code == 0
    assert "warning: clause 'c1' has no examples" in out and "[W302 no-examples]" in out
    code, out, err = run("lint", "--strict", d)
    assert code == 1
    code, out, err = run("lint", "--strict", "--disable", "W302", d)
    assert code == 0


def test_cli_errors_are_located_not_tracebacks(rules_dir, run):
    d = rules_dir(base(**{"s.yaml": standard("flag and")}))
    code, out, err = run("lint", d)
    assert code == 1
    assert "s.yaml:8:" in err and ": error: " in err and "Traceback" not in err


def test_cli_json(rules_dir, run):
    d = rules_dir(base(**{"t.yaml": GAP_TABLE, "s.yaml": GOOD_STANDARD}))
    code, out, err = run("lint", "--format", "json", d)
    data = json.loads(out)
    assert code == 0 and data["errors"] == []
    assert [w["code"] for w in data["warnings"]] == ["W201"]
    assert data["warnings"][0]["example"] == {"s": "a", "x": 5}


def test_lint_bundled_runs_clean_of_errors(run):
    code, out, err = run("lint")
    assert code == 0, err


def test_known_is_never_reported_as_a_constant(rules_dir):
    # over known inputs known(x) is always true; it guards the unknown case
    from safetyrules.authoring.verify import constant_parts
    from safetyrules.dsl import check, parse
    from safetyrules.dsl.types import FactSpec

    vocab = {"a": FactSpec("bool"), "b": FactSpec("bool")}
    node = check(parse("(known(a) and a) or b"), vocab, expect="bool")
    assert constant_parts(node, vocab) == []
    node = check(parse("(a or not a) and b"), vocab, expect="bool")
    assert constant_parts(node, vocab) != []
