"""``backends.pyjson.dumps`` writes flat dicts and lists of plain scalars
itself (the entity block, a finding's facts, a collect output): it must
give exactly ``json.dumps(data, sort_keys=True, ensure_ascii=False,
separators=(",", ":"))`` on every value, or raise the same error —
awkward numbers (-0.0, 1e16, big ints, NaN and infinities), text that
JSON escapes, subclasses of str and int, non-text keys, nested values."""

import datetime
import json
import random

import pytest

from safetyrules.backends.pyjson import dumps


class Text(str):
    pass


class Count(int):
    pass


ATOMS = [None, True, False, 0, 1, -5, 10 ** 20, -(10 ** 30), 0.0, -0.0, 1.5, 1e16, 1e-7, 3.0, 2.5e300,
         float("nan"), float("inf"), float("-inf"), "", "a", "é\u2028\"\\\n\t\x00", "碳酰氯", "\ud800"]
ODD = [Text("x"), Count(3), datetime.date(2024, 1, 1), (1, 2), {"a": 1}, [1, [2]], [{"x": None}], object()]
KEYS = ["a", "b", "é", "Z", "_", "10", "2", "", "\u2028"]


def _value(rng, depth=0):
    r = rng.random()
    if r < 0.08:
        return rng.choice(ODD)
    if r < 0.25 and depth < 3:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.32 and depth < 3:
        return _dict(rng, depth + 1)
    return rng.choice(ATOMS)


def _dict(rng, depth=0):
    d = {rng.choice(KEYS): _value(rng, depth) for _ in range(rng.randint(0, 5))}
    if rng.random() < 0.05:
        d[rng.choice([1, 2.5, None, True])] = 0  # keys json converts (or refuses to sort)
    return d


def _reference(data):
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_dumps_equals_json_dumps():
    rng = random.Random(3)
    fast = 0
    for _ in range(6000):
        r = rng.random()
        data = _dict(rng) if r < 0.45 else [_value(rng, 1) for _ in range(rng.randint(0, 5))] if r < 0.9 else _value(rng)
        try:
            want = _reference(data)
        except Exception as err:  # noqa: BLE001 - the same error is expected
            with pytest.raises(type(err)):
                dumps(data)
            continue
        assert dumps(data) == want, data
        fast += "NaN" not in want and "Infinity" not in want
    assert fast > 3000


@pytest.mark.parametrize("data", [{}, [], {"a": []}, {"b": 1, "a": [True, None, -0.0]}, [["x"]], {"k": {"x": 1}},
                                  {"z": "é", "a": "\ud800"}, [Text("x")], {"a": Count(1)}, {1: "a", 2: "b"},
                                  {"ops": [{"name": "王某", "certified": True, "n": 2.5}, {}], "x": None},
                                  {"a": [{"b": [1]}]}, [[[{"deep": [1]}]]], {"a": {"b": {"c": {"d": 1}}}},
                                  {"a": [{"b": float("nan")}]}, [{1: 3, 2: 3}]])
def test_dumps_edge_cases(data):
    assert dumps(data) == _reference(data)


def test_dumps_refuses_what_json_refuses():
    for data in ({1: "a", "b": 2}, [object()], {"a": {1, 2}}, [{"b": 1, 2: 3}], {"a": [{"x": object()}]}):
        with pytest.raises(TypeError):
            _reference(data)
        with pytest.raises(TypeError):
            dumps(data)
