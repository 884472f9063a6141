"""A black-box audit of SPEC §3 (expressions), sentence by sentence, through
``safetyrules.dsl.evaluate`` and, where the sentence is about a vocabulary,
through a rule set in a temp dir (``safetyrules.load`` and ``validate``)."""

import datetime
import subprocess
import sys

import pytest

import safetyrules
from safetyrules import EvaluationError, SafetyRulesError, dsl

T, F, U = True, False, None
DAY = datetime.date(2024, 3, 1)


def ev(text, facts=None):
    return dsl.evaluate(text, facts or {})


# -- precedence and atoms -------------------------------------------------------------

@pytest.mark.parametrize(
    "text, facts, want",
    [
        ("a or b and c", {"a": T, "b": F, "c": F}, T),  # and binds tighter than or
        ("not a and b", {"a": F, "b": F}, F),  # not tighter than and
        ("not a == b", {"a": 1, "b": 2}, T),  # comparisons tighter than not
        ("1 + 2 * 3", {}, 7),
        ("-2 * 3 + 1", {}, -5),
        ("1 + 2 == 3", {}, T),
        ("x in [1, 2] and y not in [3]", {"x": 2, "y": 4}, T),
        ("'it\\'s' == \"it's\"", {}, T),
        ("\"a\\\"b\" == 'a\"b'", {}, T),
        ("'\\\\' == '\\\\'", {}, T),
        ("2023-05-15 < 2024-01-01", {}, T),
        ("[1, 2] == [1, 2]", {}, T),
        ("[1, 2] != [1, 3]", {}, T),
        ("(a or b) and c", {"a": T, "c": F}, F),
        ("if.for.as", {"if": {"for": {"as": 5}}}, 5),  # only and/or/not/in/true/false are reserved
    ],
)
def test_precedence_and_atoms(text, facts, want):
    assert ev(text, facts) == want and type(ev(text, facts)) is type(want)


@pytest.mark.parametrize("word", ["and", "or", "not", "in", "true", "false"])
def test_reserved_words_are_not_path_segments(word):
    with pytest.raises(SafetyRulesError):
        ev(f"a.{word}", {})


# -- functions --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, facts, want",
    [
        ("known(x)", {}, F),
        ("known(x)", {"x": None}, F),
        ("known(x)", {"x": 0}, T),
        ("at_least(2, a, b, c)", {"a": T, "b": T}, T),  # t >= n
        ("at_least(2, a, b, c)", {"a": T, "b": F, "c": F}, F),  # t + u < n
        ("at_least(2, a, b, c)", {"a": T}, U),
        ("any(i in L: i.v)", {"L": [{"v": F}, {}]}, U),
        ("any(i in L: i.v)", {"L": [{"v": T}, {}]}, T),
        ("any(i in L: i.v)", {"L": [{"v": F}]}, F),
        ("all(i in L: i.v)", {"L": [{"v": F}, {}]}, F),
        ("all(i in L: i.v)", {"L": [{"v": T}, {}]}, U),
        ("all(i in L: i.v)", {"L": [{"v": T}]}, T),
        ("count(i in L: i.v)", {"L": [{"v": T}, {"v": F}]}, 1),
        ("count(i in L: i.v)", {"L": [{"v": T}, {}]}, U),  # unknown if any item is
        ("min(3, 1, 2)", {}, 1),
        ("max(3, x)", {}, U),
        ("abs(-3)", {}, 3),
        ("len(L)", {"L": [{}, {}]}, 2),
        ("days(2024-01-01, 2024-03-01)", {}, 60),
        ("days(d, 2024-01-01)", {"d": datetime.date(2024, 1, 11)}, -10),
    ],
)
def test_functions(text, facts, want):
    got = ev(text, facts)
    assert got == want and type(got) is type(want), (text, got)


# -- Kleene unknowns ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, want",
    [
        ("false and x", F), ("true or x", T), ("not x", U), ("x == 1", U), ("x != 1", U), ("x < 1", U),
        ("x + 1", U), ("x * 2", U), ("-x", U), ("x in [1, 2]", U), ("1 in [1, x]", T), ("3 in [1, x]", U),
        ("3 in [1, 2]", F), ("x not in [1, 2]", U), ("1 / 0", U),
    ],
)
def test_unknown_follows_kleene(text, want):
    assert ev(text, {}) is want


def test_division_by_zero_is_unknown_with_a_warning():
    w = []
    assert dsl.evaluate("a / b > 1", {"a": 1, "b": 0}, warnings=w) is None
    assert w and "zero" in w[0]["message"]


# -- comparisons of values ------------------------------------------------------------------

def test_strings_compare_by_code_point_and_mixed_types():
    assert ev("'B' < 'a'") is T and ev("'é' > 'z'") is T
    assert ev("1 == 'a'") is F and ev("1 != 'a'") is T and ev("true == 1") is F
    for text in ("'a' < 1", "1 and true", "2024-01-01 > 1"):
        with pytest.raises(EvaluationError):
            ev(text)


def test_and_or_take_thousands_of_operands_and_deep_nesting_is_a_safetyrules_error():
    assert ev(" or ".join(["a"] * 5000), {"a": F}) is F
    assert ev(" and ".join(["a"] * 5000), {"a": T}) is T
    for text in ("not " * 5000 + "a", "-" * 5000 + "1", "[" * 5000 + "]" * 5000, "abs(" * 5000 + "1" + ")" * 5000):
        with pytest.raises(SafetyRulesError):
            ev(text, {"a": T})
    try:  # redundant parentheses may be accepted; never a RecursionError
        assert ev("(" * 90000 + "a" + ")" * 90000, {"a": T}) is T
    except SafetyRulesError:
        pass


# -- units without a vocabulary -----------------------------------------------------------------

@pytest.mark.parametrize(
    "text, want",
    [("1 km", 1000), ("30 cm", 0.3), ("0.5 MPa", 500000), ("10 t", 10000), ("1 h", 3600),
     ("x > 2 m", F), ("10 m == 1000 cm", T), ("2 m * 3 == 6 m", T), ("6 m / 2 m", 3)],
)
def test_without_a_vocabulary_unit_literals_convert_to_si(text, want):
    assert ev(text, {"x": 1.5}) == want


@pytest.mark.parametrize(
    "text, column",
    [("10 m == 10 kg", 9), ("10 m < 10 kg", 8), ("1 m + 1 s > 0", 7), ("x in [1 m, 2 kg]", 12),
     ("min(1 m, 2 kg) > 0", 10), ("false and 1 m == 1 kg", 18), ("2 m * 3 == 6 kg", 12)],
)
def test_literals_of_different_dimensions_are_an_evaluation_error(text, column):
    # SPEC §2: comparing incompatible dimensions is a load error with a vocabulary; without
    # one, unit literals still have dimensions, and mixing them is a type error
    with pytest.raises(EvaluationError) as e:
        ev(text, {"x": 1})
    assert "different quantities" in str(e.value) and e.value.column == column


# -- with a vocabulary ------------------------------------------------------------------------------

VOCAB = """\
kind: vocabulary
id: v
facts:
  h: {type: number, unit: m}
  w: {type: number, unit: cm}
  mass: {type: number, unit: t}
  n: {type: integer}
  k: {type: number}
  s: {type: string}
  if.for.as: {type: bool}
"""

CLAUSES = {
    "div": "k / n > 1",
    "common": "h > w",  # two facts of one dimension: converted to a common unit
    "scale": "h * 2 > 300 cm",  # a quantity times a plain number keeps its unit
    "bare": "h > 3",  # a bare number takes the fact's unit
    "kw": "if.for.as",
    "ms": "mass > 500 kg",
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec3")
    (d / "v.yaml").write_text(VOCAB, encoding="utf-8")
    body = "".join(f'  - {{id: {k}, cite: X, severity: general, when: "{v}"}}\n' for k, v in CLAUSES.items())
    (d / "s.yaml").write_text(f'kind: standard\nid: s\nversion: "1"\nclauses:\n{body}', encoding="utf-8")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: spec3\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    return safetyrules.load(str(d))


def found(rules, facts):
    d = rules.evaluate(facts, as_of=DAY).to_dict()
    return {f["clause"] for f in d["findings"]}, d


@pytest.mark.parametrize(
    "facts, clause, want",
    [
        ({"h": 1.5, "w": 140}, "common", True), ({"h": 1.5, "w": 160}, "common", False),
        ({"h": 1.6}, "scale", True), ({"h": 1.4}, "scale", False),
        ({"h": 3.5}, "bare", True), ({"h": 2.5}, "bare", False),
        ({"if": {"for": {"as": True}}}, "kw", True),
        ({"mass": 0.6}, "ms", True), ({"mass": 0.4}, "ms", False),
        ({"k": 5, "n": 2}, "div", True),
    ],
)
def test_units_with_a_vocabulary(rules, facts, clause, want):
    assert (clause in found(rules, facts)[0]) is want


def test_division_by_zero_is_a_decision_warning(rules):
    names, d = found(rules, {"k": 5, "n": 0})
    assert "div" not in names and "div" in {u["clause"] for u in d["undetermined"]}
    (w,) = d["warnings"]
    assert w["clause"] == "div" and w["standard"] == "s" and "zero" in w["message"]


@pytest.mark.parametrize(
    "cond, column, words",
    [
        ("h > 2 kg", None, "different quantities"),
        ("n > 2 m", 51, "has no unit"),
        ("s < 1", None, ""),
        ("n and k", None, ""),
        ("nosuch > 1", 47, "unknown fact"),
        ("h >", 50, "expected an operand"),
    ],
)
def test_with_a_vocabulary_type_errors_are_load_errors(tmp_path, cond, column, words):
    (tmp_path / "v.yaml").write_text(VOCAB, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        f'kind: standard\nid: s\nversion: "1"\nclauses:\n  - {{id: c1, cite: X, severity: major, when: "{cond}"}}\n',
        encoding="utf-8",
    )
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: e\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleFileError) as e:
        safetyrules.load(str(tmp_path))
    first = (getattr(e.value, "errors", None) or [e.value])[0]
    assert first.path.endswith("s.yaml") and first.line == 5
    if column is not None:
        assert first.column == column
    assert words in str(e.value)
    r = subprocess.run([sys.executable, "-m", "safetyrules", "validate", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "s.yaml:5:" in r.stderr and "Traceback" not in r.stderr
