"""The two ways the generated program reads its input facts agree, and
agree with the reference path.

A small program checks each fact it reads with inline code; a large one
(more than ``python.INLINE_READS`` facts read, the bundled set) reads each
mapping by one call of :func:`pyread.read_group`.  Here the bundled set is
compiled both ways and run on golden entities, each with one leaf (or a
list item's field, or a mapping) replaced by a value the fact check must
refuse or convert: wrong types, NaN and infinities, bool for an integer,
integral and fractional floats for an integer, text where a number
belongs, lone surrogates, dotted keys, unknown keys inside list items,
None or ``{}`` where a mapping belongs.  For every input both programs give
the same compact result (or both give up), and a result they give is the
reference's decision; where the reference raises, both give up.
"""

import copy
import datetime
import gzip
import json
import math
import os

import pytest

from safetyrules.backends import python as P
from safetyrules.backends import pyread
from safetyrules.backends.pyread import ABSENT, GroupRead, read_group
from safetyrules.dsl.types import FactSpec
from safetyrules.engine.decision import Decision
from safetyrules.errors import SafetyRulesError

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "data", "golden-decisions.jsonl.gz")
DAY = datetime.date(2025, 6, 1)

BAD = [float("nan"), float("inf"), -float("inf"), True, False, 1.0, 2.5, -3, 10**400, "x", "\ud800", "2024-13-45",
       None, {}, [], {"a": 1}, [{"zz": 1}], [1], datetime.datetime(2024, 1, 1, 12, 0)]


@pytest.fixture(scope="module")
def golden():
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["facts"] for line in fh][:40]


@pytest.fixture(scope="module")
def programs(bundled, monkeypatch_module):
    in_force = bundled.program(DAY).layout.in_force
    out = {}
    for mode, limit in (("inline", 10**9), ("table", 0)):
        monkeypatch_module.setattr(P, "INLINE_READS", limit)
        out[mode] = P.compile_program(bundled.plan, in_force)
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _same(a, b):
    """Compact results equal, NaN equal to NaN."""
    if a is None or b is None:
        return a is b
    def norm(x):
        if type(x) is float and math.isnan(x):
            return "NaN"
        if type(x) is tuple:
            return tuple(norm(i) for i in x)
        return x
    return norm(a) == norm(b)


def _check(bundled, programs, facts, stats):
    inline, table = programs["inline"], programs["table"]
    a = inline.run(copy.deepcopy(facts), DAY)
    b = table.run(copy.deepcopy(facts), DAY)
    assert _same(a, b), facts
    try:
        ref = bundled.reference(copy.deepcopy(facts), DAY, table.layout)
    except SafetyRulesError:
        assert a is None and b is None
        stats["refused"] += 1
        return
    if b is None:
        stats["gave_up"] += 1
        return
    got, want = Decision(table.layout, b, DAY), Decision(table.layout, ref, DAY)
    assert got.to_json() == want.to_json()
    assert got == want
    stats["compared"] += 1


def _slots(node, out):
    """(container, key) of every value in ``node``: leaves, lists, mappings,
    list items' fields."""
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            if isinstance(v, (dict, list)):
                _slots(v, out)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                _slots(item, out)


def test_modes_differ_in_source(programs):
    assert "_rd(" in programs["table"].source and "_rd(" not in programs["inline"].source
    assert len(programs["table"].source) < len(programs["inline"].source)


def test_regular_golden_entities_agree(bundled, programs, golden):
    stats = {"compared": 0, "gave_up": 0, "refused": 0}
    for facts in golden:
        _check(bundled, programs, facts, stats)
    assert stats["compared"] >= 0.9 * len(golden), stats


def test_perturbed_golden_entities_agree(bundled, programs, golden):
    stats = {"compared": 0, "gave_up": 0, "refused": 0}
    for n, facts in enumerate(golden[:4]):
        slots = []
        _slots(facts, slots)
        for k, (parent, key) in enumerate(slots):
            bad = BAD[(k + n) % len(BAD)], BAD[(3 * k + n + 7) % len(BAD)]
            for value in bad:
                old = parent[key]
                parent[key] = value
                try:
                    _check(bundled, programs, facts, stats)
                finally:
                    parent[key] = old
            if isinstance(parent.get(key), dict):  # an unknown key inside a mapping or an item
                parent[key]["no_such_fact"] = 1
                try:
                    _check(bundled, programs, facts, stats)
                finally:
                    del parent[key]["no_such_fact"]
    # the irregular values were refused and the regular ones decided
    assert stats["refused"] > 20 and stats["compared"] > 20, stats


def test_dotted_and_mixed_entities_agree(bundled, programs, golden):
    stats = {"compared": 0, "gave_up": 0, "refused": 0}
    for facts in golden[:20]:
        flat = {}
        stack = [("", facts)]
        while stack:
            prefix, d = stack.pop()
            for k, v in d.items():
                if isinstance(v, dict) and v:
                    stack.append((prefix + k + ".", v))
                else:
                    flat[prefix + k] = v
        _check(bundled, programs, flat, stats)
        mixed = copy.deepcopy(facts)
        group = next((k for k, v in mixed.items() if isinstance(v, dict) and v), None)
        if group is not None:
            for k, v in mixed.pop(group).items():
                mixed[f"{group}.{k}"] = v
        _check(bundled, programs, mixed, stats)
    assert stats["compared"] >= 30, stats


# -- read_group alone ------------------------------------------------------------
def _spec(**kw):
    return FactSpec(**kw)


def _group():
    leaves = [("b", _spec(type="bool")), ("i", _spec(type="integer", min=0)), ("n", _spec(type="number", max=5)),
              ("s", _spec(type="string")), ("e", _spec(type="enum", values=("a", "b"))),
              ("d", _spec(type="date"))]
    return GroupRead(leaves, ["sub"], pyread.Tests(frozenset(["other"]), {}))


@pytest.mark.parametrize("key,value,ok", [
    ("b", True, True), ("b", 1, False), ("b", "true", False),
    ("i", 3, True), ("i", 3.0, False), ("i", True, False), ("i", -1, False), ("i", 10**400, False),
    ("n", 4.5, True), ("n", 5, True), ("n", 5.5, False), ("n", float("nan"), False), ("n", float("inf"), False),
    ("n", False, False), ("s", "ok", True), ("s", "\ud800", False), ("s", 3, False),
    ("e", "a", True), ("e", "c", False), ("d", datetime.date(2024, 1, 1), True),
    ("d", datetime.datetime(2024, 1, 1), False), ("other", None, True), ("other", 2, False),
    ("x.y", 1, False), ("undeclared", None, False),
])
def test_read_group_checks_each_value(key, value, ok):
    got = read_group({key: value}, _group())
    assert (got is not None) == ok


def test_read_group_values_unknowns_and_flag():
    g = _group()
    got = read_group({"b": True, "i": 2, "n": 1.5, "s": "t", "e": "b", "d": "2024-02-03", "sub": {"x": 1}}, g)
    assert got == [True, 2, 1.5, "t", "b", datetime.date(2024, 2, 3), {"x": 1}, True]
    got = read_group({"b": None}, g)
    assert got[0] is None and math.isnan(got[1]) and math.isnan(got[2]) and got[3:6] == [None] * 3
    assert got[6] is ABSENT and got[7] is False
    with pytest.raises(ValueError):
        read_group({"d": "2024-13-45"}, g)


# -- the findings counts of a run ------------------------------------------------
def test_counts_equal_layout_counts(bundled):
    import operator
    import random

    lay = bundled.program(DAY).layout
    at = lay.major_at
    rng = random.Random(7)
    for _ in range(200):
        res = tuple(rng.choice([True, False, None]) for _ in lay.clauses)
        want = lay.counts(res)
        got = P._counts(res, operator.itemgetter(*at) if at else None)
        assert got == (want["findings.major"], want["findings.general"], want["findings.undetermined"],
                       want["findings.major_undetermined"])
    assert P._counts((True, None), operator.itemgetter(1)) == (0, 1, 1, 1)
    assert P._counts((True, None), None) == (0, 1, 1, 0)
