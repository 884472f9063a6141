"""Audit 5 of loading (helper s9-load): what earlier rounds left.

* An expression the fast parser reads whole but that is nested past the
  limits (``MAX_DEPTH`` levels, ``MAX_QUANTIFIER_DEPTH`` quantifiers) is
  refused with lark's error, word for word and at lark's position, without
  handing the text to lark: lark's repetition rules copy a chain's items
  once per item, so a 40,000-term ``x + x + … + x`` took it seconds.  The
  tests count lark's calls, not seconds.
* The one-pass YAML reader's positions are the same ``Loc`` objects as
  ``Loc(line, column)`` (made without attrs' ``__init__``).
"""

import copy
import pickle
import random

import pytest

import safetyrules
from safetyrules import dsl
from safetyrules.dsl import ast as A, fastparse, parser
from safetyrules.errors import SafetyRulesError
from safetyrules.source import loader


def _error(fn, text):
    try:
        fn(text)
    except SafetyRulesError as err:
        return type(err).__name__, str(err), dict(vars(err))
    return None


@pytest.fixture
def no_lark(monkeypatch):
    """Fail any parse by lark (dsl.parse imports parse_lark when it needs it)."""
    calls = []

    def refuse(text):
        calls.append(len(text))
        raise AssertionError("lark was asked to parse")

    monkeypatch.setattr(parser, "_parse_lark", refuse)
    monkeypatch.setattr(parser, "parse_lark", refuse)
    return calls


CHAIN = " + ".join(["x"] * 40_000)


def test_a_40000_term_chain_is_refused_with_the_depth_error_without_lark(no_lark):
    with pytest.raises(SafetyRulesError) as got:
        dsl.parse(CHAIN)
    err = got.value
    assert err.message == f"expression nested deeper than {A.MAX_DEPTH} levels; split it into smaller conditions"
    # the first chain node past the limit: 65 terms, from the first x
    assert (err.line, err.column, err.end_line, err.end_column) == (1, 1, 1, 1 + 64 * 4 + 1)
    assert no_lark == []
    # parser.parse (the module's own entry) takes the same way
    with pytest.raises(SafetyRulesError) as again:
        parser.parse(" * ".join(["y"] * 5_000))
    assert again.value.message == err.message and no_lark == []


def test_parse_fast_still_declines_what_it_refuses():
    # its contract for callers (and tests) comparing it with lark is unchanged
    assert fastparse.parse_fast(" + ".join(["x"] * 100)) is None
    with pytest.raises(SafetyRulesError, match="nested deeper than 64"):
        fastparse.parse_or_refuse(" + ".join(["x"] * 100))
    # a refusal kept for one text is not raised for another
    fastparse.parse_fast(" + ".join(["x"] * 100))
    fastparse.refuse_deep("a and b")
    assert dsl.parse("a and b") == A.And((A.Path("a"), A.Path("b")))


def _chain(n, op="+", leaf="x"):
    return f" {op} ".join([leaf] * n)


def _quant(n, inner="x.ok"):
    text = inner
    for k in range(n):
        text = f"any(i{k} in l{k}: {text})"
    return text


# each is past a limit; the first node past it is where lark says
CASES = [
    _chain(65),
    _chain(66, "*"),
    "a < " + _chain(70),
    _chain(70) + " < b",
    _chain(40) + " + (" + _chain(70, "*") + ")",  # the deep operand comes before the chain's own nodes
    "(" + _chain(70) + ") + " + _chain(10),  # parentheses: the inner chain is built first
    _chain(30) + " + " + _chain(64, "*"),  # the operand is at the limit, the chain node above it past it
    "max(" + _chain(70) + ", 1)",
    "[" + _chain(70) + ", 2] == x",
    "not (" + _chain(70) + " > 1)",
    "a and b and (" + _chain(70) + " == c) or d",
    "- (" + _chain(70) + ")",
    _quant(17),
    _quant(17, _chain(70) + " > 1"),
    "any(i in " + _chain(70) + ": i.ok)",
    "sum(i in l: " + _chain(70) + ") > 0",
    "days(" + _chain(70) + ", " + _chain(70, "*") + ") > 1",
    "a\n + " + "\n + ".join(["b"] * 70),  # positions on later lines
]


@pytest.mark.parametrize("text", CASES, ids=range(len(CASES)))
def test_the_refusal_is_larks_word_for_word(text, monkeypatch):
    ref = _error(parser.parse_lark, text)
    assert ref is not None and "nested deeper than" in ref[1], ref
    calls = []
    real = parser._parse_lark
    monkeypatch.setattr(parser, "_parse_lark", lambda t: calls.append(t) or real(t))
    assert _error(dsl.parse, text) == ref
    assert calls == [], "the fast parser read it whole: lark is not needed"


def _random_deep(rng, depth=0):
    """Random well-formed expressions, often past the limits: one long
    chain at most per level (the others short), so the text stays small."""
    r = rng.random()
    if depth > 5 or r < 0.2:
        return rng.choice(["x", "y.z", "3", "2 km", "'s'", "true"])
    if r < 0.4:
        n = rng.choice([2, 5, 70, 130])
        long_at = rng.randrange(n)
        op = rng.choice("+-*/")
        return f" {op} ".join(_random_deep(rng, depth + 1) if k == long_at else rng.choice(["x", "(a)", "-b"])
                              for k in range(n))
    if r < 0.5:
        return "(" + _random_deep(rng, depth + 1) + ")"
    if r < 0.6:
        return f"{_random_deep(rng, depth + 1)} {rng.choice(['<', '==', '>='])} x"
    if r < 0.7:
        return f"a and {_random_deep(rng, depth + 1)}"
    if r < 0.8:
        return f"any(i in l: {_random_deep(rng, depth + 1)})"
    if r < 0.9:
        return f"max({_random_deep(rng, depth + 1)}, y)"
    return "- " + _random_deep(rng, depth + 1)


def test_random_deep_expressions_agree_with_lark():
    rng = random.Random(20251202)
    refused = 0
    for _ in range(80):
        text = _random_deep(rng)
        assert len(text) < 20_000
        ref = _error(parser.parse_lark, text)
        got = _error(dsl.parse, text)
        assert got == ref, text[:200]
        refused += ref is not None and "nested deeper" in ref[1]
    assert refused >= 5  # the generator does reach the limits


def test_a_rule_file_with_a_long_chain_is_located_in_the_file(tmp_path, no_lark):
    (tmp_path / "v.yaml").write_text(
        "kind: vocabulary\nid: t.v\nfacts:\n  x: {type: number}\n  out: {type: number}\n", encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        f"kind: table\nid: t.long\noutput: out\nrows:\n  - when: '{_chain(40_000)} > 1'\n    then: 1\n",
        encoding="utf-8")
    with pytest.raises(safetyrules.RuleSetError) as got:
        safetyrules.load(str(tmp_path))
    err = got.value.errors[0]
    assert err.code == "E-SYNTAX" and "nested deeper than 64 levels" in err.message, err
    assert err.path.endswith("t.yaml") and (err.line, err.column) == (5, 12), err
    assert no_lark == []


def test_the_one_pass_reader_makes_plain_loc_objects():
    doc = loader.load_yaml("a:\n  b: [1, 'two']\n", "x.yaml")
    assert doc.keys[("a", "b")] == loader.Loc(2, 3)
    assert type(doc.values[("a", "b", 1)]) is loader.Loc and doc.values[("a", "b", 1)] == loader.Loc(2, 10)
    assert hash(doc.values[("a",)]) == hash(loader.Loc(2, 3))
    assert repr(doc.values[("a", "b", 0)]) == "Loc(line=2, column=7)"
    s = doc.scalars[("a", "b", 1)]
    assert (s.start, s.end, s.style) == (12, 17, "'")
    with pytest.raises(Exception):
        doc.values[("a",)].line = 5  # still frozen
    # a document copies and pickles as it did (the scalar records were attrs classes)
    for clone in (copy.deepcopy(doc), pickle.loads(pickle.dumps(doc))):
        assert clone.scalars == doc.scalars and type(clone.scalars[("a", "b", 1)]) is type(s)
        assert clone.values == doc.values and clone.keys == doc.keys
