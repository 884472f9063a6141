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


def _extend(children, names=FACT_NAMES):
    def tup(lo, hi):
        return st.lists(children, min_size=lo, max_size=hi).map(tuple)

    paths = st.sampled_from(tuple(names) + VAR_NAMES + ("x.f",)).map(A.Path)
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
        st.builds(A.Compare, st.sampled_from(sorted(A.COMPARE_OPS)), children, children),
        st.builds(A.Arith, st.sampled_from(sorted(A.ARITH_OPS)), children, children),
        calls,
        st.builds(A.Quantifier, st.sampled_from(sorted(A.QUANTIFIERS)), st.sampled_from(VAR_NAMES), children, children),
        st.builds(A.ListLit, tup(1, 3)),
    )


def exprs(max_leaves: int = 12, names=FACT_NAMES):
    """Random ASTs of every node kind, as the parser would build them
    (non-negative numbers, no reserved words, valid call shapes), reading
    the fact paths ``names``."""
    names = tuple(names)
    return st.recursive(
        _leaves(names + VAR_NAMES), lambda c: _extend(c, names), max_leaves=max_leaves
    )


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


VOCAB_NAMES = ("p.ok", "p.done", "高度", "depth", "load", "workers", "ratio", "name", "level", "since", "cranes")


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
    assert tuple(vocab) == VOCAB_NAMES
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


class _TypedGen:
    """Draws one well-typed expression over ``vocab``, node by node, with a
    budget of nodes so trees stay small.  ``var`` names a bound list item
    (a ``cranes`` item: fields ``h`` length, ``n`` plain, ``ok`` bool)."""

    def __init__(self, draw, vocab, budget):
        self.draw = draw
        self.vocab = vocab
        self.budget = budget
        self.facts = {("bool", None): _facts_of(vocab, "bool")}
        for d in DIMENSIONS:
            self.facts[("num", d)] = _facts_of(vocab, "num", d)

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def grow(self) -> bool:
        """Whether to build an inner node (while budget lasts)."""
        if self.budget <= 0:
            return False
        if self.draw(st.integers(0, 2)) == 0:
            return False
        self.budget -= 1
        return True

    def number(self, dim, unit_only=False):
        value = self.draw(non_negative_numbers)
        if dim == "plain" or (not unit_only and self.draw(st.booleans())):
            return A.Number(value)
        return A.Number(value, self.pick(_UNITS_OF[dim]))

    def num(self, dim, var=None, depth=0):
        if not self.grow():
            facts = list(self.facts[("num", dim)])
            if var and dim == "length":
                facts.append(f"{var}.h")
            if var and dim == "plain":
                facts.append(f"{var}.n")
            if facts and self.draw(st.booleans()):
                return A.Path(self.pick(facts))
            return self.number(dim)
        me = lambda: self.num(dim, var, depth)  # noqa: E731
        choices = ["addsub", "mul", "div", "neg", "abs", "minmax"]
        if dim == "plain":
            choices += ["len", "ratio_of_lengths", "div_fact", "count"]
        if dim in ("plain", "length") and depth < 2:
            choices.append("sum")
        c = self.pick(choices)
        if c == "addsub":
            return A.Arith(self.pick(("+", "-")), me(), me())
        if c == "mul":
            return A.Arith("*", me(), A.Number(self.draw(non_negative_numbers)))
        if c == "div":
            return A.Arith("/", me(), A.Number(self.draw(st.integers(0, 3))))
        if c == "neg":
            return A.Neg(me())
        if c == "abs":
            return A.Call("abs", (me(),))
        if c == "minmax":
            n = self.draw(st.integers(1, 3))
            return A.Call(self.pick(("min", "max")), tuple(me() for _ in range(n)))
        if c == "len":
            return A.Call("len", (A.Path("cranes"),))
        if c == "ratio_of_lengths":
            lengths = self.facts[("num", "length")]
            def unit_length():
                return A.Path(self.pick(lengths)) if self.draw(st.booleans()) else self.number("length", unit_only=True)
            return A.Arith("/", unit_length(), unit_length())
        if c == "div_fact":
            return A.Arith("/", me(), A.Path("ratio"))
        inner = ("x", "y")[depth % 2]
        if c == "count":
            return A.Quantifier("count", inner, A.Path("cranes"), self.bool(inner, depth + 1))
        body = self.num(dim, inner, depth + 1)
        if dim == "length":
            # a sum of bare numbers is a plain number: anchor the body to a field
            body = A.Arith(self.pick(("+", "-")), A.Path(f"{inner}.h"), body)
        return A.Quantifier("sum", inner, A.Path("cranes"), body)

    def bool(self, var=None, depth=0):
        level = self.vocab["level"].values
        if not self.grow():
            c = self.pick(["lit", "fact", "enum_eq", "enum_in", "string", "date"])
            if c == "lit":
                return A.Boolean(self.draw(st.booleans()))
            if c == "fact":
                facts = self.facts[("bool", None)] + ([f"{var}.ok"] if var else [])
                return A.Path(self.pick(facts))
            if c == "enum_eq":
                return A.Compare(self.pick(("==", "!=")), A.Path("level"), A.String(self.pick(level)))
            if c == "enum_in":
                values = self.draw(st.lists(st.sampled_from(level), max_size=3))
                return A.Compare(self.pick(("in", "not in")), A.Path("level"), A.ListLit(tuple(map(A.String, values))))
            if c == "string":
                return A.Compare(self.pick(("==", "<", ">=")), A.Path("name"), A.String(self.draw(text_values)))
            return A.Compare(self.pick(("<", "<=", "==")), A.Path("since"), A.Date(self.draw(dates)))
        me = lambda: self.bool(var, depth)  # noqa: E731
        choices = ["not", "and", "or", "cmp", "cmp", "in", "at_least"]
        if depth < 2:
            choices.append("quant")
        c = self.pick(choices)
        if c == "not":
            return A.Not(me())
        if c in ("and", "or"):
            ops = tuple(me() for _ in range(self.draw(st.integers(2, 3))))
            return (A.And if c == "and" else A.Or)(ops)
        if c == "cmp":
            dim = self.pick(DIMENSIONS)
            op = self.pick(("==", "!=", "<", "<=", ">", ">="))
            return A.Compare(op, self.num(dim, var, depth), self.num(dim, var, depth))
        if c == "in":
            items = tuple(self.number("length") for _ in range(self.draw(st.integers(0, 3))))
            return A.Compare(self.pick(("in", "not in")), self.num("length", var, depth), A.ListLit(items))
        if c == "at_least":
            conds = tuple(me() for _ in range(self.draw(st.integers(1, 4))))
            return A.Call("at_least", (A.Number(self.draw(st.integers(0, 4))),) + conds)
        inner = ("x", "y")[depth % 2]
        return A.Quantifier(self.pick(("any", "all")), inner, A.Path("cranes"), self.bool(inner, depth + 1))


@st.composite
def typed_bools(draw, vocab, with_known: bool = True, budget: int = 12):
    """A well-typed condition over ``vocab`` (the checker accepts it)."""
    node = _TypedGen(draw, vocab, budget).bool()
    if with_known and draw(st.integers(0, 3)) == 0:
        known = A.Call("known", (A.Path(draw(st.sampled_from(sorted(vocab)))),))
        node = draw(st.sampled_from([known, A.And((known, node)), A.Or((A.Not(known), node))]))
    return node


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


# -- boolean/arithmetic expressions for the SQLite NULL oracle -----------------

SQL_BOOLS = ("p", "q")
SQL_NUMS = ("m", "n")


def sql_exprs(max_leaves: int = 10):
    """(kind, AST) pairs: ``bool`` or ``num`` expressions over bool facts p, q
    and number facts m, n, using only operations SQLite shares with SPEC §3."""
    num_leaves = st.one_of(
        st.sampled_from(SQL_NUMS).map(A.Path),
        st.builds(A.Number, st.one_of(st.integers(0, 20), st.sampled_from([0.5, 2.25]))),
    )
    bool_leaves = st.one_of(st.sampled_from(SQL_BOOLS).map(A.Path), st.builds(A.Boolean, st.booleans()))

    def extend(children):
        nums = children.filter(lambda k_n: k_n[0] == "num").map(lambda k_n: k_n[1])
        bools = children.filter(lambda k_n: k_n[0] == "bool").map(lambda k_n: k_n[1])
        tag = lambda k: (lambda node: (k, node))  # noqa: E731
        return st.one_of(
            st.builds(A.Arith, st.sampled_from(("+", "-", "*", "/")), nums, nums).map(tag("num")),
            st.builds(A.Neg, nums).map(tag("num")),
            st.builds(lambda x: A.Call("abs", (x,)), nums).map(tag("num")),
            st.builds(lambda f, xs: A.Call(f, tuple(xs)), st.sampled_from(("min", "max")), st.lists(nums, min_size=2, max_size=3)).map(tag("num")),
            st.builds(A.Not, bools).map(tag("bool")),
            st.builds(A.And, st.lists(bools, min_size=2, max_size=3).map(tuple)).map(tag("bool")),
            st.builds(A.Or, st.lists(bools, min_size=2, max_size=3).map(tuple)).map(tag("bool")),
            st.builds(A.Compare, st.sampled_from(("==", "!=", "<", "<=", ">", ">=")), nums, nums).map(tag("bool")),
            st.builds(A.Compare, st.sampled_from(("==", "!=")), bools, bools).map(tag("bool")),
            st.builds(
                # SQLite says NULL IN () is false; SPEC §3 says `unknown in [...]`
                # is unknown for every list, so empty lists are left out here
                # (test_dsl_sqlite_oracle.py pins the difference).
                A.Compare, st.sampled_from(("in", "not in")), nums, st.lists(nums, min_size=1, max_size=3).map(lambda xs: A.ListLit(tuple(xs)))
            ).map(tag("bool")),
            st.sampled_from(SQL_BOOLS + SQL_NUMS).map(lambda n: ("bool", A.Call("known", (A.Path(n),)))),
        )

    leaves = st.one_of(num_leaves.map(lambda n: ("num", n)), bool_leaves.map(lambda b: ("bool", b)))
    return st.recursive(leaves, extend, max_leaves=max_leaves)


def sql_facts():
    tri = st.sampled_from([True, False, None])
    num = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from([0.5, -1.5, 0.0]))
    return st.fixed_dictionaries({"p": tri, "q": tri, "m": num, "n": num})
