"""Hypothesis strategies for the expression language, in one place.

Two families:

* **untyped** — random ASTs of any shape the parser can produce
  (:func:`exprs`) and random fact values of any kind (:func:`fact_maps`), for
  properties that hold without a vocabulary (evaluator ≡ compiler, printer
  round trip, no stray exceptions);
* **typed** — a random vocabulary (:func:`vocabularies`), ASTs that are
  well typed against it (:func:`typed_bools`) and facts that conform to it
  (:func:`conforming_facts`), for properties of checked expressions.
"""

from __future__ import annotations

import datetime
import string

from hypothesis import strategies as st

from safetyrules import units
from safetyrules.dsl import ast as A
from safetyrules.dsl.types import FactSpec

# -- shared pieces -------------------------------------------------------

#: Fact paths used by untyped expressions: few, so that they collide often.
#: Include Unicode and words that are not reserved (``if``, ``for``).
FACT_NAMES = ("a", "b", "c", "d.e", "风险.等级", "if.for")
#: Names bound by quantifiers; also usable as plain fact names.
VAR_NAMES = ("x", "y", "项")
FIELD_NAMES = ("f", "g")
UNIT_NAMES = tuple(sorted(units.UNITS))

non_negative_numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
text_values = st.text(alphabet="ab'\"\\ 风\n", max_size=4)
dates = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2040, 12, 31))


# -- untyped ASTs --------------------------------------------------------


def _leaves(names=FACT_NAMES + VAR_NAMES):
    paths = st.sampled_from(
        names + tuple(f"{v}.{f}" for v in VAR_NAMES for f in FIELD_NAMES)
    ).map(A.Path)
    return st.one_of(
        st.builds(A.Number, non_negative_numbers, st.one_of(st.none(), st.sampled_from(UNIT_NAMES))),
        st.builds(A.String, text_values),
        st.builds(A.Boolean, st.booleans()),
        st.builds(A.Date, dates),
        paths,
        st.just(A.ListLit(())),
    )


def _extend(children):
    def tup(lo, hi):
        return st.lists(children, min_size=lo, max_size=hi).map(tuple)

    paths = st.sampled_from(FACT_NAMES + VAR_NAMES + ("x.f",)).map(A.Path)
    calls = st.one_of(
        paths.map(lambda p: A.Call("known", (p,))),
        st.builds(lambda n, cs: A.Call("at_least", (n,) + cs), children, tup(1, 3)),
        st.builds(lambda f, xs: A.Call(f, xs), st.sampled_from(("min", "max")), tup(1, 3)),
        st.builds(lambda f, x: A.Call(f, (x,)), st.sampled_from(("abs", "len")), children),
        st.builds(lambda x, y: A.Call("days", (x, y)), children, children),
    )
    return st.one_of(
        st.builds(A.Not, children),
        st.builds(A.Neg, children),
        st.builds(A.And, tup(2, 4)),
        st.builds(A.Or, tup(2, 4)),
        st.builds(A.Compare, st.sampled_from(A.COMPARE_OPS), children, children),
        st.builds(A.Arith, st.sampled_from(A.ARITH_OPS), children, children),
        calls,
        st.builds(A.Quantifier, st.sampled_from(A.QUANTIFIERS), st.sampled_from(VAR_NAMES), children, children),
        st.builds(A.ListLit, tup(1, 3)),
    )


def exprs(max_leaves: int = 12):
    """Random ASTs of every node kind, as the parser would build them
    (non-negative numbers, no reserved words, valid call shapes)."""
    return st.recursive(_leaves(), _extend, max_leaves=max_leaves)


def bool_exprs(names=("a", "b", "c"), max_leaves: int = 10):
    """Boolean expressions over bool facts and literals: not/and/or only."""
    leaves = st.one_of(st.sampled_from(names).map(A.Path), st.builds(A.Boolean, st.booleans()))

    def extend(children):
        ops = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(st.builds(A.Not, children), st.builds(A.And, ops), st.builds(A.Or, ops))

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def scalar_values():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-5, max_value=5),
        st.sampled_from([0, 0.5, -1.5, 2.0, 1e300]),
        text_values,
        dates,
    )


def values():
    """Any fact value: scalars, lists of scalars, lists of records."""
    records = st.dictionaries(st.sampled_from(FIELD_NAMES), scalar_values(), max_size=2)
    return st.one_of(
        scalar_values(),
        st.lists(scalar_values(), max_size=3),
        st.lists(st.one_of(st.none(), records), max_size=3),
    )


def fact_maps():
    """Flat facts over the untyped names (some missing, some None)."""
    return st.dictionaries(st.sampled_from(FACT_NAMES + VAR_NAMES), values(), max_size=len(FACT_NAMES) + 3)


# -- typed: a random vocabulary, well-typed ASTs, conforming facts -------

LENGTH_UNITS = ("m", "mm", "cm", "km")
MASS_UNITS = ("kg", "g", "t")
DIMENSIONS = ("plain", "length", "mass")
_UNITS_OF = {"length": LENGTH_UNITS, "mass": MASS_UNITS}
ENUM_WORDS = ("low", "high", "高", "mid", "none")


@st.composite
def vocabularies(draw):
    """A vocabulary with a fact of every type, units and enum values drawn."""
    vocab = {
        "p.ok": FactSpec("bool"),
        "p.done": FactSpec("bool"),
        "高度": FactSpec("number", unit=draw(st.sampled_from(LENGTH_UNITS))),
        "depth": FactSpec(draw(st.sampled_from(("number", "integer"))), unit=draw(st.sampled_from(LENGTH_UNITS))),
        "load": FactSpec("number", unit=draw(st.sampled_from(MASS_UNITS))),
        "workers": FactSpec("integer"),
        "ratio": FactSpec("number"),
        "name": FactSpec("string"),
        "level": FactSpec("enum", values=tuple(draw(st.lists(st.sampled_from(ENUM_WORDS), min_size=1, unique=True)))),
        "since": FactSpec("date"),
        "cranes": FactSpec(
            "list",
            item={
                "h": FactSpec("number", unit=draw(st.sampled_from(LENGTH_UNITS))),
                "ok": FactSpec("bool"),
                "n": FactSpec("integer"),
            },
        ),
    }
    return vocab


def _facts_of(vocab, kind, dim=None):
    out = []
    for name, spec in vocab.items():
        if kind == "bool" and spec.type == "bool":
            out.append(name)
        elif kind == "num" and spec.type in ("integer", "number"):
            unit = units.lookup(spec.unit) if spec.unit else None
            d = "plain" if unit is None else units.dimension_name(unit.dimension)
            if d == dim:
                out.append(name)
    return out


class _Typed:
    """Strategies for well-typed expressions over one vocabulary; ``var``
    names a bound list item (fields of ``cranes``) inside a quantifier."""

    def __init__(self, vocab, var=None, depth=0):
        self.vocab = vocab
        self.var = var
        self.depth = depth
        self.bool = st.deferred(lambda: self._bool())
        self.num = {d: st.deferred(lambda d=d: self._num(d)) for d in DIMENSIONS}

    def _inner(self):
        return _Typed(self.vocab, var=("x", "y")[self.depth % 2], depth=self.depth + 1)

    def _literal(self, dim):
        plain = st.builds(A.Number, non_negative_numbers)
        if dim == "plain":
            return plain
        return st.one_of(plain, st.builds(A.Number, non_negative_numbers, st.sampled_from(_UNITS_OF[dim])))

    def _num(self, dim):
        leaves = [self._literal(dim)]
        facts = _facts_of(self.vocab, "num", dim)
        if self.var is not None:
            if dim == "length":
                facts = facts + [f"{self.var}.h"]
            if dim == "plain":
                facts = facts + [f"{self.var}.n"]
        if facts:
            leaves.append(st.sampled_from(facts).map(A.Path))
        me = self.num[dim]
        plain = self.num["plain"]
        branches = [
            st.builds(A.Arith, st.sampled_from(("+", "-")), me, me),
            st.builds(A.Arith, st.just("*"), me, st.builds(A.Number, non_negative_numbers)),
            st.builds(A.Arith, st.just("/"), me, st.builds(A.Number, st.integers(0, 3))),
            st.builds(A.Neg, me),
            st.builds(lambda x: A.Call("abs", (x,)), me),
            st.builds(lambda f, xs: A.Call(f, tuple(xs)), st.sampled_from(("min", "max")), st.lists(me, min_size=1, max_size=3)),
        ]
        if dim == "plain":
            branches.append(st.just(A.Call("len", (A.Path("cranes"),))))
            unit_length = st.one_of(
                st.builds(A.Number, st.integers(1, 100), st.sampled_from(LENGTH_UNITS)),
                st.sampled_from(_facts_of(self.vocab, "num", "length")).map(A.Path),
            )
            branches.append(st.builds(A.Arith, st.just("/"), unit_length, unit_length))
            branches.append(st.builds(A.Arith, st.just("/"), me, st.just(A.Path("ratio"))))
        if self.depth < 2:
            inner = self._inner()
            if dim == "plain":
                branches.append(st.builds(lambda b: A.Quantifier("count", inner.var, A.Path("cranes"), b), inner.bool))
            if dim == "plain":
                body = inner.num[dim]
            elif dim == "length":
                # a sum of bare numbers is a plain number: anchor the body to a field
                body = st.builds(A.Arith, st.sampled_from(("+", "-")), st.just(A.Path(f"{inner.var}.h")), inner.num[dim])
            else:
                body = None
            if body is not None:
                branches.append(st.builds(lambda b: A.Quantifier("sum", inner.var, A.Path("cranes"), b), body))
        return st.one_of(*leaves, *branches)

    def _bool(self):
        bools = _facts_of(self.vocab, "bool")
        if self.var is not None:
            bools = bools + [f"{self.var}.ok"]
        level = self.vocab["level"].values
        leaves = [
            st.builds(A.Boolean, st.booleans()),
            st.sampled_from(bools).map(A.Path),
            st.builds(A.Compare, st.sampled_from(("==", "!=")), st.just(A.Path("level")), st.sampled_from(level).map(A.String)),
            st.builds(
                A.Compare,
                st.sampled_from(("in", "not in")),
                st.just(A.Path("level")),
                st.lists(st.sampled_from(level).map(A.String), max_size=3).map(lambda xs: A.ListLit(tuple(xs))),
            ),
            st.builds(A.Compare, st.sampled_from(("==", "<", ">=")), st.just(A.Path("name")), st.builds(A.String, text_values)),
            st.builds(A.Compare, st.sampled_from(("<", "<=", "==")), st.just(A.Path("since")), st.builds(A.Date, dates)),
        ]
        me = self.bool
        ops = st.lists(me, min_size=2, max_size=3).map(tuple)
        num_cmp = [
            st.builds(A.Compare, st.sampled_from(("==", "!=", "<", "<=", ">", ">=")), self.num[d], self.num[d])
            for d in DIMENSIONS
        ]
        num_in = st.builds(
            A.Compare,
            st.sampled_from(("in", "not in")),
            self.num["length"],
            st.lists(self._literal("length"), max_size=3).map(lambda xs: A.ListLit(tuple(xs))),
        )
        branches = [
            st.builds(A.Not, me),
            st.builds(A.And, ops),
            st.builds(A.Or, ops),
            *num_cmp,
            num_in,
            st.builds(
                lambda n, cs: A.Call("at_least", (A.Number(n),) + tuple(cs)),
                st.integers(0, 4),
                st.lists(me, min_size=1, max_size=4),
            ),
        ]
        if self.depth < 2:
            inner = self._inner()
            branches.append(
                st.builds(lambda k, b: A.Quantifier(k, inner.var, A.Path("cranes"), b), st.sampled_from(("any", "all")), inner.bool)
            )
        return st.one_of(*leaves, *branches)


def typed_bools(vocab, with_known: bool = True):
    """Well-typed conditions over ``vocab`` (the checker accepts them)."""
    strat = _Typed(vocab).bool
    if with_known:
        known = st.sampled_from(sorted(vocab)).map(lambda n: A.Call("known", (A.Path(n),)))
        strat = st.one_of(strat, known, st.builds(A.And, st.tuples(known, strat)))
    return strat


def _value_of(spec):
    t = spec.type
    if t == "bool":
        return st.booleans()
    if t == "integer":
        return st.integers(-50, 1000)
    if t == "number":
        return st.one_of(st.integers(-50, 1000), st.floats(-1000, 1000, allow_nan=False, allow_infinity=False))
    if t == "string":
        return text_values
    if t == "enum":
        return st.sampled_from(spec.values)
    if t == "date":
        return dates
    if t == "list":
        fields = {k: st.one_of(st.none(), _value_of(v)) for k, v in spec.item.items()}
        return st.lists(st.fixed_dictionaries({}, optional=fields), max_size=4)
    raise AssertionError(t)


def conforming_facts(vocab, missing_rate=0.3):
    """Flat facts that conform to ``vocab``; any fact may be missing or None."""
    return st.fixed_dictionaries(
        {}, optional={name: st.one_of(st.none(), _value_of(spec)) for name, spec in vocab.items()}
    )


def conforming_value(spec):
    return _value_of(spec)


#: Characters from which random expression text is drawn: the language's own
#: punctuation, digits, letters, keywords' letters, quotes and Unicode.
TEXT_ALPHABET = string.digits + "abdinortuefkm .,:()[]'\"\\+-*/<>=!%_风险\n\t²°"
