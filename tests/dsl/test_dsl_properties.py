"""Hypothesis properties of the expression language.

Every property runs at least 2,000 examples under the ``ci`` profile
(``CI=true``; see ``tests/conftest.py``).
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import strategies as S
from safetyrules import EvaluationError, SafetyRulesError, dsl
from safetyrules.dsl import ast as A


def run_both(node, facts):
    """(outcome, warnings) of the evaluator and of compiled code."""

    def outcome(fn):
        warnings = []
        try:
            return ("value", repr(fn(warnings))), warnings
        except EvaluationError as exc:
            return ("error", type(exc).__name__, exc.message), warnings

    ev = outcome(lambda w: dsl.evaluate_ast(node, facts, w))
    fn = dsl.compile_expr(node)
    co = outcome(lambda w: fn(facts, w))
    return ev, co


# -- evaluator ≡ compiler --------------------------------------------------


@given(S.exprs(), S.fact_maps())
def test_compiler_matches_evaluator_untyped(node, facts):
    ev, co = run_both(node, facts)
    assert ev == co, dsl.unparse(node)


# Random ASTs over random values are mostly type errors (both sides raise and
# only the messages are compared); these are well-typed expressions left
# *unchecked* and facts of the right types, so the untyped evaluator and the
# compiled code are compared on values (the rate is asserted below).
@st.composite
def untyped_values_case(draw):
    vocab = draw(S.vocabularies())
    return draw(S.typed_bools(vocab)), draw(S.conforming_facts(vocab))


def _untyped_values(case):
    node, facts = case
    ev, co = run_both(node, facts)
    assert ev == co, dsl.unparse(node)
    return ev[0][0]


def _rate(strategy, fn, n=150):
    """Run ``fn`` as a property over ``strategy`` (``n`` examples,
    derandomised: typed strategies are slow, about 25 ms an example) and
    return how often it reached its real assertion: the share of examples
    for which it returned "value"."""
    seen = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None)
    @given(strategy)
    def run(x):
        seen.append(fn(x))

    run()
    return sum(1 for x in seen if x in ("value", True)) / len(seen)


def test_compiler_matches_evaluator_untyped_on_values():
    assert _rate(untyped_values_case(), _untyped_values) >= 0.8


@given(st.data())
def test_compiler_matches_evaluator_typed(data):
    vocab = data.draw(S.vocabularies())
    node = dsl.check(data.draw(S.typed_bools(vocab)), vocab)
    facts = data.draw(S.conforming_facts(vocab))
    ev, co = run_both(node, facts)
    assert ev[0][0] == "value", ev  # checked + conforming facts: no run-time type error
    assert ev == co, dsl.unparse(node)


@given(st.data())
def test_compile_many_matches_the_evaluator_clause_by_clause(data):
    vocab = data.draw(S.vocabularies())
    nodes = [dsl.check(n, vocab) for n in data.draw(st.lists(S.typed_bools(vocab), min_size=2, max_size=3))]
    facts = data.draw(S.conforming_facts(vocab))
    program = dsl.compile_many(nodes)
    w_many, w_one = [], []
    many = program(facts, w_many)
    one = tuple(dsl.evaluate_ast(n, facts, w_one) for n in nodes)
    assert repr(many) == repr(one)
    assert w_many == w_one


@given(st.data())
def test_compile_many_with_a_shared_guard_matches_the_evaluator(data):
    """The engine joins a standard's applies_when to every clause as one
    shared node; the compiler then computes it once and skips the group when
    it is false.  Values must not change (warnings of the shared node are
    reported once, by design)."""
    from safetyrules.dsl import ast as A
    from safetyrules.dsl.types import BOOL

    vocab = data.draw(S.vocabularies())
    guard = dsl.check(data.draw(S.typed_bools(vocab)), vocab)
    whens = [dsl.check(n, vocab) for n in data.draw(st.lists(S.typed_bools(vocab), min_size=2, max_size=4))]
    other = dsl.check(data.draw(S.typed_bools(vocab)), vocab)
    nodes = [A.And((guard, w), ty=BOOL) for w in whens] + [other]
    facts = data.draw(S.conforming_facts(vocab))
    many = dsl.compile_many(nodes)(facts, [])
    one = tuple(dsl.evaluate_ast(n, facts, []) for n in nodes)
    assert repr(many) == repr(one)


# -- Kleene laws -------------------------------------------------------------

TRI = st.sampled_from([True, False, None])
ABC = st.fixed_dictionaries({"a": TRI, "b": TRI, "c": TRI})


def ev(node, facts):
    return dsl.evaluate_ast(node, facts)


@given(S.bool_exprs(), S.bool_exprs(), S.bool_exprs(), ABC)
def test_kleene_laws(p, q, r, facts):
    """Commutativity, De Morgan, absorption, double negation, associativity
    and distribution hold with unknown operands (one draw checks them all)."""
    vp = ev(p, facts)
    assert vp in (True, False, None)
    # commutativity
    assert ev(A.And((p, q)), facts) is ev(A.And((q, p)), facts)
    assert ev(A.Or((p, q)), facts) is ev(A.Or((q, p)), facts)
    # De Morgan
    assert ev(A.Not(A.And((p, q))), facts) is ev(A.Or((A.Not(p), A.Not(q))), facts)
    assert ev(A.Not(A.Or((p, q))), facts) is ev(A.And((A.Not(p), A.Not(q))), facts)
    # absorption and double negation
    assert ev(A.Or((p, A.And((p, q)))), facts) is vp
    assert ev(A.And((p, A.Or((p, q)))), facts) is vp
    assert ev(A.Not(A.Not(p)), facts) is vp
    # associativity (nested and flat) and distribution
    flat = ev(A.And((p, q, r)), facts)
    assert ev(A.And((p, A.And((q, r)))), facts) is flat
    assert ev(A.And((A.And((p, q)), r)), facts) is flat
    assert ev(A.Or((p, A.Or((q, r)))), facts) is ev(A.Or((p, q, r)), facts)
    assert ev(A.And((p, A.Or((q, r)))), facts) is ev(A.Or((A.And((p, q)), A.And((p, r)))), facts)
    assert ev(A.Or((p, A.And((q, r)))), facts) is ev(A.And((A.Or((p, q)), A.Or((p, r)))), facts)
    # excluded middle fails exactly when p is unknown (Kleene, not Boolean)
    assert ev(A.Or((p, A.Not(p))), facts) is (None if vp is None else True)


@given(st.lists(S.bool_exprs(max_leaves=3), min_size=1, max_size=4), ABC, st.integers(0, 6))
def test_at_least_agrees_with_its_definition(conds, facts, n):
    vals = [ev(c, facts) for c in conds]
    t, u = vals.count(True), vals.count(None)
    expected = True if t >= n else (False if t + u < n else None)
    assert ev(A.Call("at_least", (A.Number(n),) + tuple(conds)), facts) is expected
    # at_least(1, ...) is `or`, at_least(len, ...) is `and`
    if len(conds) >= 2:
        assert ev(A.Call("at_least", (A.Number(1),) + tuple(conds)), facts) is ev(A.Or(tuple(conds)), facts)
        assert ev(A.Call("at_least", (A.Number(len(conds)),) + tuple(conds)), facts) is ev(A.And(tuple(conds)), facts)


# -- knowledge monotonicity ---------------------------------------------------


@given(st.data())
def test_adding_a_missing_fact_never_flips_a_known_result(data):
    """Facts ``less`` ⊂ ``more``: a true/false result over ``less`` is the
    result over ``more`` (known() is left out: it asks about knowledge)."""
    vocab = data.draw(S.vocabularies())
    node = dsl.check(data.draw(S.typed_bools(vocab, with_known=False)), vocab)
    more = data.draw(S.conforming_facts(vocab))
    # forget about a quarter of the facts, so that most results stay known
    less = {k: v for k, v in more.items() if data.draw(st.integers(0, 3))}
    # also forget single fields of list items
    if less.get("cranes"):
        less["cranes"] = [
            {k: v for k, v in item.items() if data.draw(st.integers(0, 3))} for item in less["cranes"]
        ]
    before = dsl.evaluate_ast(node, less)
    assume(before is not None)
    assert dsl.evaluate_ast(node, more) is before, dsl.unparse(node)


# -- printer round trip -------------------------------------------------------


@given(S.exprs(max_leaves=20))
def test_parse_unparse_round_trip(node):
    text = dsl.unparse(node)
    assert dsl.parse(text) == node, text
    assert dsl.unparse(dsl.parse(text)) == text


# -- nothing but SafetyRulesError ---------------------------------------------


def _only_safetyrules_errors(fn):
    try:
        fn()
    except SafetyRulesError:
        pass


@given(st.text(alphabet=S.TEXT_ALPHABET, max_size=40), S.fact_maps())
def test_random_text_raises_only_safetyrules_errors(text, facts):
    _only_safetyrules_errors(lambda: dsl.evaluate(text, facts))


@given(st.text(max_size=20))
def test_random_unicode_text_raises_only_safetyrules_errors(text):
    _only_safetyrules_errors(lambda: dsl.parse(text))


OPERATOR_WORDS = ["and", "or", "not", "==", "<", "in", "+", "/", "(", ")", "[", "]", ",", ":", "0", "-"]


@st.composite
def vocab_text_case(draw):
    """A condition's text over a vocabulary: a well-typed condition printed,
    then (about one time in sixteen) one word replaced, inserted or dropped,
    so most texts parse and check and the compiled code and evaluator are
    reached."""
    vocab = draw(S.vocabularies())
    words = dsl.unparse(draw(S.typed_bools(vocab))).split(" ")
    # hypothesis favours the ends of a range: an inner value is the rare one
    if draw(st.integers(0, 15)) == 5:
        names = sorted(vocab) + ["x.h", "cranes", "'low'", "3 m", "2 kg", "2024-01-01", "any(x in cranes: ", "known("]
        i = draw(st.integers(0, len(words)))
        word = draw(st.sampled_from(names + OPERATOR_WORDS))
        op = draw(st.sampled_from(["replace", "insert", "drop"]))
        if op == "insert" or not words:
            words.insert(i, word)
        elif op == "replace":
            words[min(i, len(words) - 1)] = word
        else:
            del words[min(i, len(words) - 1)]
    return vocab, " ".join(words), draw(S.conforming_facts(vocab)), draw(st.sampled_from(["bool", None]))


def _vocab_text(case):
    vocab, text, facts, expect = case
    out = []

    def go():
        node = dsl.check(dsl.parse(text), vocab, expect=expect)
        ev, co = run_both(node, facts)
        assert ev == co, text
        out.append(ev[0][0])

    _only_safetyrules_errors(go)
    return out[0] if out else "refused"


def test_random_text_with_a_vocabulary_raises_only_safetyrules_errors():
    assert _rate(vocab_text_case(), _vocab_text) >= 0.8


@given(S.exprs(), S.fact_maps())
def test_random_asts_raise_only_safetyrules_errors(node, facts):
    _only_safetyrules_errors(lambda: dsl.evaluate_ast(node, facts, []))
    _only_safetyrules_errors(lambda: dsl.compile_expr(node)(facts, []))
    _only_safetyrules_errors(lambda: dsl.missing(node, facts))


VOCAB_EXPRS = S.exprs(names=S.VOCAB_NAMES + ("x.h", "x.ok"))


@st.composite
def vocab_ast_case(draw):
    """An AST against a vocabulary: well-typed about fifteen times in sixteen
    (so the checker accepts it and evaluator and compiler are compared),
    otherwise a random AST over the vocabulary's names (so the checker's
    refusals are exercised too)."""
    vocab = draw(S.vocabularies())
    # hypothesis favours the ends of a range: an inner value is the rare one
    node = draw(VOCAB_EXPRS) if draw(st.integers(0, 15)) == 5 else draw(S.typed_bools(vocab))
    return vocab, node, draw(S.conforming_facts(vocab)), draw(st.sampled_from(["bool", None]))


def _vocab_ast(case):
    vocab, node, facts, expect = case
    out = []

    def go():
        checked = dsl.check(node, vocab, expect=expect)
        ev, co = run_both(checked, facts)
        assert ev == co, dsl.unparse(checked)
        out.append(ev[0][0])

    _only_safetyrules_errors(go)
    return out[0] if out else "refused"


def test_random_asts_against_a_vocabulary_raise_only_safetyrules_errors():
    assert _rate(vocab_ast_case(), _vocab_ast) >= 0.8
