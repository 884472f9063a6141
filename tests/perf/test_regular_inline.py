"""The unread-key tests with the scalar test inline (``others_regular``,
``items_regular``) say exactly what ``_scalar_regular`` says, for every
code and a spread of values (types, bounds, signs, NaN, infinities, lone
surrogates); and ``frozen.adopt`` gives the FrozenDict ``FrozenDict(d)``
gives."""

import pickle

from safetyrules.backends import pyread
from safetyrules.frozen import FrozenDict, adopt
from safetyrules.limits import INT_BOUND

CODES = [pyread._BOOL, pyread._TEXT, pyread._INT, pyread._NUM, pyread._INT0, pyread._NUM0]
VALUES = [True, False, 0, 1, -1, 7, -7, INT_BOUND - 1, INT_BOUND, -INT_BOUND + 1, -INT_BOUND, 10**30,
          0.0, -0.0, 2.5, -2.5, float("nan"), float("inf"), float("-inf"), "", "a", "某", "\ud800x",
          b"a", [1], {"a": 1}, (1,)]


class Sub(str):
    pass


VALUES.append(Sub("a"))


def test_others_and_items_regular_match_the_scalar_test():
    seen = set()
    for c in CODES:
        for x in VALUES:
            want = pyread._scalar_regular(c, x)
            seen.add(want)
            t = pyread.Tests(frozenset(), {"k": c})
            assert pyread.others_regular({"k": x}, ("k",), t) is want, (c, x)
            assert pyread.items_regular([{"k": x}], {"k": c}) is want, (c, x)
            assert pyread.others_regular({"k": None}, ("k",), t) is True
    assert seen == {True, False}


def test_adopt_is_frozendict():
    d = {"a": 1, "b": [2]}
    a, f = adopt(dict(d)), FrozenDict(d)
    assert type(a) is FrozenDict and a == f and hash(adopt({"a": 1})) == hash(FrozenDict({"a": 1}))
    assert list(a.items()) == list(f.items()) and repr(a) == repr(f)
    assert pickle.loads(pickle.dumps(a)) == f
