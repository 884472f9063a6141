"""The hand-written parser (safetyrules/dsl/fastparse.py) against lark's.

Whatever the fast path accepts must be what lark builds, node for node and
span for span; whatever it declines, :func:`dsl.parse` hands to lark, so
errors (message, code, position) are lark's.  Checked on every expression of
the bundled rule set (none may be declined: that would be the slow path) and
on generated text, valid and not.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from typing import List

import attrs
import pytest

import safetyrules
from safetyrules import SafetyRulesError, dsl
from safetyrules.dsl import ast as A
from safetyrules.dsl import fastparse, parser, syntax


def _same(a, b, path="") -> List[str]:
    """Differences between two parse results, spans included (they take no
    part in node equality)."""
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, A.Node):
        out: List[str] = []
        for f in attrs.fields(type(a)):
            if f.name in ("head", "rest", "ty"):
                continue
            out += _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        return out
    if isinstance(a, tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _same(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _lark(text):
    try:
        return parser.parse_lark(text)
    except SafetyRulesError as err:
        return err


def _agree(text) -> bool:
    """Assert the fast path agrees with lark on ``text``; True if it took it."""
    fast = fastparse.parse_fast(text)
    ref = _lark(text)
    if fast is None:
        return False
    assert not isinstance(ref, Exception), f"fast path accepted {text!r}; lark: {ref}"
    diffs = _same(fast, ref)
    assert not diffs, f"{text!r}: {diffs[:5]}"
    return True


def test_the_comparison_sees_a_span_and_a_value():
    # the helper itself can fail: spans are not part of node equality
    a = A.Path("x", span=A.Span(1, 1, 1, 2))
    assert _same(a, A.Path("x", span=A.Span(1, 2, 1, 3)))
    assert _same(A.Number(1), A.Number(1.0))
    assert not _same(a, A.Path("x", span=A.Span(1, 1, 1, 2)))


def test_terminals_are_the_grammars():
    grammar = _grammar()
    for name, pattern in fastparse.TERMINALS.items():
        m = re.search(rf"^{name}(?:\.\d+)?: /(.*)/$", grammar, re.M)
        assert m, name
        assert m.group(1) == pattern, name


def _grammar() -> str:
    from importlib import resources

    return resources.files("safetyrules.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bundled_texts():
    texts: List[str] = []
    real = dsl.parse

    def record(text):
        texts.append(text)
        return real(text)

    mp = pytest.MonkeyPatch()
    mp.setattr(dsl, "parse", record)
    try:
        safetyrules.load()
    finally:
        mp.undo()
    assert len(texts) > 100
    return texts


def test_every_bundled_expression_takes_the_fast_path_and_agrees(bundled_texts):
    declined = [t for t in bundled_texts if not _agree(t)]
    assert not declined, declined[:3]


CASES_OK = [
    "x andy", "x instance", "x notin [1]", "x or(y)", "3m", "1e5 km", "(a)or b", "x>=1and y",
    "notx", "not x", "3 in [1]", "3 m/s > x", "3 and y", "3 not in [1, 2,]", "- - x", "-3 m < x",
    "[]", "[1,]", "a\n and\n  'multi\nline' == b", "known(a.b)", "at_least(2, a, b, c)",
    "sum(x in xs: x.a * 2 kg) > 1 t", "count(i in items: i.ok) >= 2", "days(a, 2024-01-02) > 3",
    "\"a\\\"b\" == s", "x.y_z.w2 != 'é'", "max(a, 1 km, 500 m) > 0", "x == 2024-02-29",
    "a * b / c - d + e", "not not a or b and c", "10 10k_CNY > y", "5 %LEL > x", "3°C < t",
    "a" + " + a" * 61 + " > 0", "any(x in y: " * 16 + "x" + ")" * 16, "[" * 55 + "1" + "]" * 55 + " == x",
    "\tx\t==\t1\t", "x == 1.", "x == .5e-3", "(((((a)))))", "x in [[1], [2, 3]]",
]
CASES_BAD = [
    "'it''s'", "3 andy", "a.b.c(1)", "3 true", "3 in", "a <", "a < b < c", "x = 1", "a && b", "[,]", "f(,)",
    "any(x: y)", "any(x.y in z: w)", "known(1)", "abs(1, 2)", "x == 'a\\n'", "x == 2024-02-30",
    "x ! y", "a.and", "(a", "a)", "1" * 400, "1e999", "3 furlongs", "x == \"open", "min()",
    "not", "a +", "f(a: b)", "in x", "a - not b", "a == not b", "(a: b)", "[a: b]",
    "not " * 70 + "a", "-" * 70 + "a",
    # past the limits without deep recursion: a long chain, nested quantifiers
    "a" + " + a" * 64 + " > 0", "any(x in y: " * 17 + "x" + ")" * 17, "[" * 64 + "1" + "]" * 64 + " == x",
]


@pytest.mark.parametrize("text", CASES_OK)
def test_accepted_cases_agree(text):
    assert _agree(text), f"fast path declined {text!r}"


@pytest.mark.parametrize("text", CASES_BAD)
def test_refused_cases_raise_larks_error(text):
    _agree(text)
    with pytest.raises(SafetyRulesError) as got:
        dsl.parse(text)
    ref = _lark(text)
    assert isinstance(ref, SafetyRulesError)
    assert type(got.value) is type(ref)
    assert str(got.value) == str(ref)
    assert got.value.to_dict() == ref.to_dict() if hasattr(ref, "to_dict") else True


def test_deep_nesting_is_left_to_lark():
    # valid, but deeper than the recursive parser goes: lark parses it
    text = "(" * 80 + "a" + ")" * 80 + " and " + "[" * 55 + "b" + "]" * 55 + " == x"
    assert fastparse.parse_fast(text) is None
    assert not _same(dsl.parse(text), parser.parse_lark(text))
    assert _agree("(" * 50 + "a" + ")" * 50)


_FRAGMENTS = [
    "a", "b.c", "x", "items", "i.ok", "and", "or", "not", "in", "true", "false", "andy", "ori",
    "3", "2.5", ".5", "1e3", "07", "2024-01-02", "2024-13-01", "'s'", '"t"', "'\\''", "km", "m/s",
    "%", "kg", "t", "mg/m3", "°C", "10k_CNY", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
    "(", ")", "[", "]", ",", ":", "any(", "all(", "count(", "sum(", "known(", "min(", "max(",
    "at_least(", "abs(", "len(", "days(", "foo(", " ", " ", "\n", "\t", "=", "!", "&", "é", "_",
]


def _generated(seed: int, n: int) -> List[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        k = rnd.randint(1, 12)
        out.append("".join(rnd.choice(_FRAGMENTS) + rnd.choice(["", " ", " ", "  "]) for _ in range(k)))
    return out


def _valid(seed: int, n: int) -> List[str]:
    """Random well-formed expressions (most of which both parsers accept)."""
    rnd = random.Random(seed)

    def operand(d):
        r = rnd.random()
        if d > 3 or r < 0.35:
            return rnd.choice(["a", "b.c", "3", "2.5 m", "'s'", "true", "2024-01-02", "x", ".5 km", "1e2"])
        if r < 0.45:
            return "(" + expr(d + 1) + ")"
        if r < 0.55:
            return "[" + ", ".join(operand(d + 1) for _ in range(rnd.randint(0, 3))) + rnd.choice(["", ","]) + "]"
        if r < 0.65:
            return rnd.choice(["-", "- "]) + operand(d + 1)
        if r < 0.75:
            return f"{rnd.choice(['any', 'all', 'count', 'sum'])}(i in {operand(d + 1)}: {expr(d + 1)})"
        if r < 0.85:
            return f"{rnd.choice(['min', 'max'])}({', '.join(operand(d + 1) for _ in range(rnd.randint(1, 3)))})"
        return operand(d + 1) + rnd.choice([" + ", "-", " * ", "/"]) + operand(d + 1)

    def expr(d):
        r = rnd.random()
        if d > 3 or r < 0.3:
            return operand(d) + rnd.choice([" == ", " != ", " < ", ">=", " in ", " not in ", " "]) + operand(d)
        if r < 0.5:
            return rnd.choice(["not ", "not  "]) + expr(d + 1)
        if r < 0.75:
            return expr(d + 1) + rnd.choice([" and ", " or ", "\nand\n"]) + expr(d + 1)
        return operand(d)

    return [expr(0) for _ in range(n)]


def test_generated_text_agrees():
    texts = _generated(9, 1500)
    taken = sum(_agree(t) for t in texts)
    assert taken > 30  # some random text is valid, and the fast path takes it


def test_generated_expressions_agree():
    texts = _valid(11, 800)
    taken = sum(_agree(t) for t in texts)
    assert taken > 200


def test_parse_takes_the_fast_path_and_falls_back_to_lark(monkeypatch):
    calls = []
    real = fastparse.parse_fast

    def spy(text):
        out = real(text)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(syntax, "parse_fast", spy)
    assert dsl.parse("a and b") == A.And((A.Path("a"), A.Path("b")))
    with pytest.raises(SafetyRulesError, match="unknown unit 'furlongs'"):
        dsl.parse("3 furlongs > x")
    assert calls == [True, False]
    # declined: lark builds the tree
    monkeypatch.setattr(syntax, "parse_fast", lambda text: None)
    assert dsl.parse("a and b") == A.And((A.Path("a"), A.Path("b")))
    # parser.parse (the module's own entry) takes the fast path too
    monkeypatch.setattr(parser, "parse_fast", spy)
    assert parser.parse("a or b") == A.Or((A.Path("a"), A.Path("b")))
    assert calls == [True, False, True]


def test_loading_the_bundled_set_does_not_import_lark():
    code = (
        "import sys, safetyrules; rules = safetyrules.load(); "
        "assert 'lark' not in sys.modules, 'lark imported'\n"
        "from safetyrules import dsl\n"
        "try:\n    dsl.parse('a <')\nexcept safetyrules.SafetyRulesError:\n    pass\n"
        "assert 'lark' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
