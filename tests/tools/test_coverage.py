"""Coverage by logic: clause true/false, outcomes, MC/DC (hand-checked)."""

import pytest

from safetyrules import dsl, load
from safetyrules.authoring.coverage import atoms, format_coverage, mcdc, measure
from safetyrules.authoring.testing import run_examples

from tools_fixtures import VOCAB

from rule_files import ruleset, standard


def _envs(*rows):
    return [dict(r) for r in rows]


def test_atoms_in_source_order():
    node = dsl.parse("a and (b or not c) and x > 3")
    assert [dsl.unparse(n) for _, n in atoms(node)] == ["a", "b", "c", "x > 3"]


def test_mcdc_and_or_hand_checked():
    node = dsl.parse("a and (b or c)")
    T, F = True, False
    envs = _envs(
        {"a": T, "b": T, "c": F},  # true;  a and b decide it
        {"a": F, "b": T, "c": F},  # false; a decides it
        {"a": T, "b": F, "c": F},  # false; b and c each decide it (c = false)
    )
    assert mcdc(node, envs) == [("a", True), ("b", True), ("c", False)]
    # c needs an example where c = true decides the result
    envs.append({"a": T, "b": F, "c": T})
    assert mcdc(node, envs) == [("a", True), ("b", True), ("c", True)]


def test_mcdc_masked_condition_does_not_count():
    # a and c both flip between the two examples, but in the second one each
    # is masked by the other (false and false): neither is shown to decide it
    node = dsl.parse("a and c")
    envs = _envs({"a": True, "c": True}, {"a": False, "c": False})
    assert mcdc(node, envs) == [("a", False), ("c", False)]
    envs.append({"a": False, "c": True})  # a alone decides: pairs with the first
    assert mcdc(node, envs) == [("a", True), ("c", False)]
    envs.append({"a": True, "c": False})
    assert mcdc(node, envs) == [("a", True), ("c", True)]


def test_mcdc_unknown_facts_do_not_show_independence():
    node = dsl.parse("a and not b")
    envs = _envs({"a": True, "b": False}, {"a": False})  # second: flipping a gives unknown
    assert mcdc(node, envs) == [("a", False), ("b", False)]
    envs.append({"a": False, "b": False})
    envs.append({"a": True, "b": True})
    assert mcdc(node, envs) == [("a", True), ("b", True)]


def test_mcdc_or_of_comparisons():
    node = dsl.parse("x >= 10 or y < 2")
    envs = _envs({"x": 10, "y": 5}, {"x": 9, "y": 5}, {"x": 9, "y": 1})
    assert mcdc(node, envs) == [("x >= 10", True), ("y < 2", True)]


STD = standard("""\
    - id: full
      cite: "1"
      severity: major
      when: "flag and other"
      examples:
        - {facts: {flag: true, other: true}, expect: true}
        - {facts: {flag: false, other: true}, expect: false}
        - {facts: {flag: true, other: false}, expect: false}
    - id: half
      cite: "2"
      severity: general
      when: "x > 5"
      unless: "other"
      examples:
        - {facts: {x: 6, other: false}, expect: true}
    """, id="std")

TABLE = """\
kind: table
id: t
output: out
rows:
  - {when: "n >= 10", then: hi}
  - {when: "n >= 5", then: mid}
  - {when: "true", then: lo}
examples:
  - {facts: {n: 12}, expect: hi}
  - {facts: {n: 1}, expect: lo}
"""

MANIFEST = ruleset("cov", ["v.yaml", "s.yaml", "t.yaml"], {"level": "out"})


@pytest.fixture
def cov(rules_dir):
    d = rules_dir({"v.yaml": VOCAB, "s.yaml": STD, "t.yaml": TABLE, "ruleset.yaml": MANIFEST})
    rules = load(d)
    return measure(rules, run_examples(rules)), d


def test_measure_clauses_outcomes_mcdc(cov):
    c, _ = cov
    by = {x.clause: x for x in c.clauses}
    assert (by["full"].seen_true, by["full"].seen_false) == (True, True)
    assert (by["half"].seen_true, by["half"].seen_false) == (True, False)
    assert by["full"].conditions == [("flag", True), ("other", True)]
    assert by["half"].conditions == [("x > 5", False), ("other", False)]
    assert c.outcomes == {"out": (["hi", "mid", "lo"], ["hi", "lo"])}
    # obligations: clauses 3/4, MC/DC 2/4, outcomes 2/3 -> 7/11
    assert c.overall == pytest.approx(100 * 7 / 11)
    text = format_coverage(c)
    assert "std half: no passing example where it is not found (expect: false)" in text
    assert "out: 2/3" in text and "never reached: mid" in text
    assert "MC/DC: no pair of examples shows 'other' alone changing the result" in text


def test_cli_fail_under(cov, run):
    _, d = cov
    code, out, err = run("test", "--coverage", d)
    assert code == 0 and "overall coverage: 63.6%" in out
    code, out, err = run("test", "--coverage", "--fail-under", "80", d)
    assert code == 1 and "under --fail-under 80" in err
    code, out, err = run("test", "--coverage", "--fail-under", "60", d)
    assert code == 0


def test_bundled_coverage_reports_every_standard():
    rules = load()
    c = measure(rules, run_examples(rules))
    assert {x.standard for x in c.clauses} == {s.id for s in rules.standards if s.clauses}
    assert set(c.outcomes) == {"risk.level", "evaluation.tier", "inspection.frequency"}
    assert 0 < c.overall <= 100
    d = c.to_dict()
    assert d["overall"] == round(c.overall, 2)
