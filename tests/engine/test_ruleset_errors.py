"""Every kind of rule-file error, with its exact position; all collected."""

import pytest

import safetyrules
from safetyrules.errors import RuleFileError, RuleSetError

from engine_fixtures import GRADING, MANIFEST, STANDARD, VOCAB


def _errors(write, files):
    base = {"v.yaml": VOCAB, "s1.yaml": STANDARD, "grade.yaml": GRADING, "ruleset.yaml": MANIFEST}
    base.update(files)
    d = write(base)
    with pytest.raises(RuleSetError) as info:
        safetyrules.load(str(d))
    return info.value.errors


def _one(errors, fragment):
    hits = [e for e in errors if fragment in e.message]
    assert hits, [e.format() for e in errors]
    return hits[0]


def _std(when, extra=""):
    return f"""\
kind: standard
id: s1
version: "1"
clauses:
  - id: c1
    cite: A1
    severity: major
    when: "{when}"
{extra}"""


def test_syntax_error_points_at_token_inside_expression(write):
    errs = _errors(write, {"s1.yaml": _std("contractors.present and")})
    e = _one(errs, "expected an operand after 'and'")
    assert (e.path.endswith("s1.yaml"), e.line, e.column) == (True, 8, 35)


def test_unknown_fact_with_did_you_mean(write):
    errs = _errors(write, {"s1.yaml": _std("contractors.presnt")})
    e = _one(errs, "unknown fact 'contractors.presnt'")
    assert (e.line, e.column) == (8, 12)
    assert "contractors.present" in e.hint


def test_wrong_unit(write):
    errs = _errors(write, {"s1.yaml": _std("site.distance > 3 kg")})
    e = _one(errs, "different quantities")
    assert e.line == 8 and e.column == 28  # at the literal `3 kg`


def test_unit_on_unitless_fact(write):
    errs = _errors(write, {"s1.yaml": _std("site.score > 3 m")})
    e = _one(errs, "cannot be compared")
    assert e.line == 8


def test_enum_value_not_declared(write):
    errs = _errors(write, {"s1.yaml": _std("entity.sector == 'metalurgy'")})
    e = _one(errs, "'metalurgy' is not a declared value")
    assert (e.line, e.column) == (8, 29)
    assert "metallurgy" in e.hint


def test_schema_unknown_key_with_did_you_mean(write):
    errs = _errors(write, {"s1.yaml": _std("true", "    severty: major\n")})
    e = _one(errs, "unknown key 'severty'")
    assert (e.line, e.column) == (9, 5)
    assert "severity" in e.hint


def test_schema_bad_enum_value(write):
    text = _std("true").replace("severity: major", "severity: majr")
    e = _one(_errors(write, {"s1.yaml": text}), "'majr' is not allowed")
    assert (e.line, e.column) == (7, 15)


def test_duplicate_clause_id(write):
    text = _std("true") + "  - {id: c1, cite: A2, severity: general, when: 'false'}\n"
    e = _one(_errors(write, {"s1.yaml": text}), "duplicate clause id 'c1'")
    assert (e.line, e.column) == (9, 10)


def test_two_tables_write_one_output(write):
    errs = _errors(write, {"grade2.yaml": GRADING.replace("id: grade", "id: grade2"),
                           "ruleset.yaml": MANIFEST.replace("grade.yaml]", "grade.yaml, grade2.yaml]")})
    _one(errs, "both write 'risk.level'")


def test_dependency_cycle(write):
    vocab = VOCAB + "  a.x: {type: bool}\n  a.y: {type: bool}\n"
    t1 = "kind: table\nid: t1\noutput: a.x\nrows:\n  - {when: 'a.y', then: true}\n"
    t2 = "kind: table\nid: t2\noutput: a.y\nrows:\n  - {when: 'a.x', then: true}\n"
    errs = _errors(write, {"v.yaml": vocab, "t1.yaml": t1, "t2.yaml": t2,
                           "ruleset.yaml": MANIFEST.replace("grade.yaml]", "grade.yaml, t1.yaml, t2.yaml]")})
    e = _one(errs, "dependency cycle")
    assert "a.x" in e.message and "a.y" in e.message


def test_standard_reading_a_findings_table_is_a_cycle(write):
    text = _std("risk.level == 'red'")
    _one(_errors(write, {"s1.yaml": text}), "dependency cycle")


def test_all_errors_collected_best_first(write):
    text = _std("nope.a") + "  - {id: c2, cite: A2, severity: general, when: 'nope.b and'}\n"
    errs = _errors(write, {"s1.yaml": text})
    msgs = [e.message for e in errs]
    assert any("nope.a" in m for m in msgs) and any("expected an operand" in m for m in msgs)
    # best first, not file order: the syntax error (line 9) before the unknown name (line 8)
    assert [(e.code, e.line) for e in errs if e.path.endswith("s1.yaml")] == [("E-SYNTAX", 9), ("E-CHECK", 8)]


def test_yaml_alias_in_rule_file(write):
    errs = _errors(write, {"s1.yaml": "kind: standard\nid: &i s1\n"})
    e = _one(errs, "anchors")
    assert (e.line, e.column) == (2, 5)


def test_table_output_value_not_declared(write):
    errs = _errors(write, {"grade.yaml": GRADING.replace("then: blue", "then: green")})
    _one(errs, "'green' is not one of the declared values")


def test_include_matching_nothing(write):
    _one(_errors(write, {"ruleset.yaml": MANIFEST.replace("grade.yaml]", "grade.yaml, missing/*.yaml]")}), "matches no file")


def test_error_format_is_path_line_col():
    err = RuleFileError("bad", path="a.yaml", line=3, column=7)
    assert err.format() == "a.yaml:3:7: error: bad"
