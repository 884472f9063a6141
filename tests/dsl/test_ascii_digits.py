"""Numbers, dates and unit prefixes in expressions are ASCII digits only.

Python's ``\\d`` also matches Arabic-Indic (``١٢``), full-width (``１２``) and
other Unicode digits, which ``int()``/``float()`` then read as numbers: a
rule reading ``x > ١٢`` meant ``x > 12`` while looking like something else.
They are a syntax error at the digit, on both parsers (the fast one and
lark's)."""

import pytest

from safetyrules import dsl
from safetyrules.errors import ExpressionSyntaxError


@pytest.mark.parametrize(
    "text, col",
    [
        ("x > ١٢", 5),  # Arabic-Indic
        ("x > １２", 5),  # full-width
        ("x > 1.٥", 7),  # inside a decimal
        ("x > 1e٣", 7),  # an exponent
        ("d == 2024-01-0١", 15),  # a date
        ("(x > ١٢)", 6),  # through the parenthesised (lark) route too
    ],
)
def test_unicode_digits_are_a_syntax_error_at_the_digit(text, col):
    with pytest.raises(ExpressionSyntaxError) as e:
        dsl.evaluate(text, {"x": 13, "d": None})
    assert e.value.line == 1 and e.value.column == col, str(e.value)


def test_ascii_numbers_still_read():
    assert dsl.evaluate("x > 12", {"x": 13}) is True
    assert dsl.evaluate("x > 1.5e1 and x < .2e2", {"x": 16}) is True
    assert dsl.evaluate("x == 2024-01-02", {"x": __import__("datetime").date(2024, 1, 2)}) is True


def test_unicode_digits_inside_a_name_stay_part_of_the_name():
    # a path segment may hold any word character after its first
    assert dsl.evaluate("a١ > 1", {"a١": 2}) is True
