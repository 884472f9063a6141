"""Documented bounds on untrusted input (docs/errors.md, docs/cli.md).

One place for the numbers every reader shares, so a rule file, a facts file,
a JSON Lines line and an API call are refused at the same size, always with
a located :class:`~safetyrules.errors.SafetyRulesError` (never a
``RecursionError`` or the interpreter's own ``ValueError`` for integers past
its 4,300-digit conversion limit).
"""

from __future__ import annotations

import datetime
import math

__all__ = ["MAX_INT_DIGITS", "INT_BOUND", "MAX_FACT_DEPTH", "int_digits_ok", "int_ok", "scaled_ok", "text_ok", "json_int", "json_text_ok", "MAX_FACTS_FILE_BYTES", "MAX_JSONL_LINE_BYTES", "parse_date"]

#: An integer literal (rule file, facts, expression) has at most this many
#: decimal digits, leading zeros aside.
MAX_INT_DIGITS = 300

#: The same bound as a value: ``abs(n) < INT_BOUND``.
INT_BOUND = 10**MAX_INT_DIGITS

#: Facts nest at most this many mappings/lists deep (an entity with
#: ``a: {b: {c: ...}}`` 3,000 levels deep is refused, not recursed into).
MAX_FACT_DEPTH = 64


#: A whole YAML/JSON facts file is read up to this many bytes (a larger one,
#: or /dev/zero, is refused before memory runs out; JSON Lines streams are
#: read a line at a time and take any number of entities).
MAX_FACTS_FILE_BYTES = 1 << 30

#: A JSON Lines line (one entity, one graded decision, one supervision
#: record) holds at most this many bytes, its end of line aside.  A longer
#: one is read in bounded pieces and dropped (an ``E-FILES`` error for that
#: line; the next line is read); a line with no end within
#: :data:`MAX_FACTS_FILE_BYTES` (``/dev/zero``) ends the input there.
MAX_JSONL_LINE_BYTES = 1 << 26


def int_digits_ok(text: str) -> bool:
    """Whether the decimal literal ``text`` (optional sign) is within
    :data:`MAX_INT_DIGITS`, decided before converting it."""
    digits = text.lstrip("+-").lstrip("0")
    return len(digits) <= MAX_INT_DIGITS


def int_ok(n: int) -> bool:
    """Whether the integer ``n`` is within :data:`INT_BOUND`."""
    return -INT_BOUND < n < INT_BOUND


def scaled_ok(value, factor) -> bool:
    """Whether the literal ``value`` with a unit of ``factor`` (a Fraction)
    stays a finite float once converted to its dimension's base unit
    (``1e308 km`` is 1e311 m: finite as written, not once converted)."""
    from fractions import Fraction

    scaled = (Fraction(repr(value)) if isinstance(value, float) else Fraction(value)) * factor
    try:
        return math.isfinite(float(scaled))
    except OverflowError:
        return False


def text_ok(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (it holds no lone
    surrogate, which Python strings allow and UTF-8 output cannot carry).
    A printable string has none (a surrogate is of category Cs, never
    printable): most text is answered without encoding it."""
    if str.isprintable(value):  # (str's own: a subclass cannot say otherwise)
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_int(text: str) -> int:
    """``parse_int`` for :func:`json.loads`: an integer of more than
    :data:`MAX_INT_DIGITS` digits is a ``ValueError`` saying so (not
    Python's own message about ``sys.set_int_max_str_digits``)."""
    if not int_digits_ok(text):
        raise ValueError(f"integer of {len(text.lstrip('+-'))} digits; at most {MAX_INT_DIGITS} are allowed")
    return int(text)


def json_text_ok(value) -> bool:
    """Whether a parsed JSON value holds no lone surrogate (a ``"\\ud800"``
    escape), which UTF-8 output cannot carry."""
    import json

    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


_fromisoformat = datetime.date.fromisoformat


def parse_date(text: str) -> datetime.date:
    """The one reader of date text (facts, ``as_of``, ``--as-of``, registry
    cells, service requests, supervision inputs): ``YYYY-MM-DD`` in ASCII
    digits (SPEC §2's ``2024-03-01``), the same on every Python version.

    ``datetime.date.fromisoformat`` alone reads more on Python 3.11+
    (``20240301``, ``2024-W10-5``) than on 3.9 and 3.10; anything but the
    ten-character form is a ``ValueError`` here, as is a day that does not
    exist (``2024-02-30``)."""
    if (isinstance(text, str) and len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii()
            and (text[:4] + text[5:7] + text[8:]).isdigit()):
        return _fromisoformat(text)
    raise ValueError(f"not a date like 2024-03-01: {text!r}")
