"""Syntax and check errors: exact message, line and column (1-based,
relative to the expression), and the did-you-mean hint."""

from __future__ import annotations

import pytest

from safetyrules import CheckError, ExpressionSyntaxError, SafetyRulesError, dsl
from safetyrules.dsl import FactSpec as F

SYNTAX = [
    # text, line, column, message
    ("a and", 1, 6, "expected an operand after 'and'"),
    ("a or", 1, 5, "expected an operand after 'or'"),
    ("not", 1, 4, "expected an operand after 'not'"),
    ("a ==", 1, 5, "expected an operand after '=='"),
    ("1 +", 1, 4, "expected an operand after '+'"),
    ("x in", 1, 5, "expected an operand after 'in'"),
    ("a and\n  or b", 2, 3, "expected an operand after 'and', found 'or'"),
    ("and", 1, 1, "expected an operand, found 'and'"),
    ("(a", 1, 3, "unexpected end of expression: expected ')' after 'a'"),
    ("a b", 1, 3, "unexpected 'b' after 'a': expected an operator such as 'and', 'or', '==' or '+'"),
    ("a < b < c", 1, 7, "comparisons cannot be chained; write 'a < b and b < c'"),
    ("'abc", 1, 1, "unterminated string: add the closing quote"),
    ("a = b", 1, 3, "unexpected '='; use '==' to compare"),
    ("a && b", 1, 3, "unexpected '&'; write 'and' / 'or'"),
    ("a.and", 1, 2, "'and' is a reserved word and cannot be part of a fact name"),
    ("", 1, 1, "empty expression"),
    ("known(1)", 1, 7, "known() takes a fact name, e.g. known(dust.removal.separated)"),
    ("foo(1)", 1, 1, "unknown function 'foo'"),
    ("min()", 1, 1, "min() takes at least 1 argument, got 0"),
    ("days(a)", 1, 1, "days() takes 2 arguments, got 1"),
    ("any(x: 1)", 1, 5, "any() is written any(x in LIST: condition)"),
    ("abs(x: 1)", 1, 6, "':' is only allowed in any(), all(), count() and sum()"),
    ("3 kmm", 1, 3, "unknown unit 'kmm'"),
    ("2023-02-30", 1, 1, "'2023-02-30' is not a calendar date"),
    ("1e999", 1, 1, "number 1e999 is too large"),
    (r"'a\n'", 1, 1, "unknown escape '\\n' in string; only \\\\, \\' and \\\" are allowed"),
    ("a\n  and (b or)", 2, 12, "expected an operand after 'or', found ')'"),
]


@pytest.mark.parametrize("text,line,column,message", SYNTAX, ids=[s[0] for s in SYNTAX])
def test_syntax_errors(text, line, column, message):
    with pytest.raises(ExpressionSyntaxError) as info:
        dsl.parse(text)
    err = info.value
    assert (err.message, err.line, err.column) == (message, line, column)
    assert err.code == "E-SYNTAX"
    assert isinstance(err, SafetyRulesError)


def test_syntax_error_hints():
    with pytest.raises(ExpressionSyntaxError) as info:
        dsl.parse("3 kmm")
    assert info.value.hint == "did you mean 'mm'?"
    with pytest.raises(ExpressionSyntaxError) as info:
        dsl.parse("knwon(a)")
    assert info.value.hint == "did you mean 'known'?"


def test_syntax_error_never_mentions_lark_token_names():
    for text in ["a and", "(", ")", "[1,", "a +* b", "x in [1 2]", "any(x in L:", "1 ,", ": a"]:
        with pytest.raises(ExpressionSyntaxError) as info:
            dsl.parse(text)
        msg = info.value.message
        assert not any(tok in msg for tok in ("PATH", "RPAR", "LSQB", "COMPOP", "$END", "Token")), msg


def test_non_text_is_refused():
    with pytest.raises(ExpressionSyntaxError, match="must be text"):
        dsl.parse(3)


VOCAB = {
    "height": F("number", unit="m"),
    "weight": F("number", unit="kg"),
    "pressure": F("number", unit="MPa"),
    "employees": F("integer"),
    "level": F("enum", values=("low", "medium", "high")),
    "ok": F("bool"),
    "name": F("string"),
    "since": F("date"),
    "cranes": F("list", item={"age": F("integer", unit="year"), "ok": F("bool")}),
    "dust.removal.separated": F("bool"),
}

CHECK = [
    # text, line, column, message, hint
    ("height > weight", 1, 10, "cannot combine a length in m with a mass in kg: length and mass are different quantities", None),
    ("height > 3 kg", 1, 10, "cannot combine a length in m with a mass in kg: length and mass are different quantities", None),
    ("employees > 3 m", 1, 13, "'employees' has no unit, so it cannot be compared or combined with a length in m", "write a plain number"),
    ("level == 'hgh'", 1, 10, "'hgh' is not a declared value of 'level'", "did you mean 'high'?"),
    ("level in ['low', 'mid']", 1, 18, "'mid' is not a declared value of 'level'", "values: low, medium, high"),
    ("level == 'xyz'", 1, 10, "'xyz' is not a declared value of 'level'", "values: low, medium, high"),
    ("level < 'high'", 1, 1, "enum values have no order; compare with '==' or 'in'", None),
    ("heigth > 1", 1, 1, "unknown fact 'heigth'", "did you mean 'height'?"),
    ("dust.removal > 1", 1, 1, "unknown fact 'dust.removal'", "did you mean 'dust.removal.separated'?"),
    ("any(c in cranes: c.aeg > 1)", 1, 18, "list items of this list have no field 'aeg'", "did you mean 'age'?"),
    ("height", 1, 1, "a condition must be true or false, but this is a length in m", None),
    ("ok and height", 1, 8, "'and' needs a condition (true/false), but this is a length in m", None),
    ("name + 1 > 2", 1, 1, "'+' needs a number, but this is text", None),
    ("ok == 1", 1, 1, "cannot compare true/false with a number", None),
    ("name < 1", 1, 1, "cannot order text and a number with '<'", None),
    ("any(c in height: c)", 1, 10, "any() needs a list to range over, but this is a length in m", None),
    ("len(height) > 1", 1, 5, "len() needs a list, but this is a length in m", None),
    ("days(height, since) > 1", 1, 6, "days() needs dates, but this is a length in m", None),
    ("height in 3", 1, 11, "'in' needs a list on its right, but this is a number", None),
    ("at_least(1 m, ok)", 1, 10, "at_least() counts conditions; its first argument is a plain number", None),
    ("[height] == [1 kg]", 1, 13, "cannot combine a length in m with a mass in kg: length and mass are different quantities", None),
]


@pytest.mark.parametrize("text,line,column,message,hint", CHECK, ids=[c[0] for c in CHECK])
def test_check_errors(text, line, column, message, hint):
    with pytest.raises(CheckError) as info:
        dsl.check(dsl.parse(text), VOCAB)
    err = info.value
    assert (err.message, err.line, err.column, err.hint) == (message, line, column, hint)
    assert err.code == "E-CHECK"


def test_check_error_on_a_later_line():
    with pytest.raises(CheckError) as info:
        dsl.check(dsl.parse("ok and\n    level == 'hihg'"), VOCAB)
    assert (info.value.line, info.value.column) == (2, 14)


def test_error_relocation_into_a_file():
    with pytest.raises(ExpressionSyntaxError) as info:
        dsl.parse("a and")
    err = info.value.relocate("std.yaml", lambda ln, col: ln + 9, lambda ln, col: col + 4)
    assert err.format() == "std.yaml:10:10: error: expected an operand after 'and'"
