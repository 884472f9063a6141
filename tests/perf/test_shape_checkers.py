"""The checkers compiled per key sequence (``pyread._shape_checker``, used
by ``group_regular`` once a mapping's key sequence is hot) and per list of
items (``pyread._items_checker``) say exactly what the interpreted tests
(``others_regular``, ``items_regular`` over a plain dict) say, on perturbed
mappings of the bundled vocabulary: values of every type, sub-mappings with
keys added, dropped or emptied (the inline path and its fallback), lists
with bad items.  A TypeError (an unhashable value where an enum belongs) is
"not regular": the program gives up on it either way.  And with every key
sequence compiled on first sight, the generated program still decides as
the reference path does."""

import copy
import random

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetyrules.backends import pyread
from safetyrules.dsl import ast as A
from safetyrules.engine.ruleset import RuleSet
from safetyrules.frozen import FrozenDict
from safetyrules.plan.model import FINDINGS_FACTS

from test_generated_differential import DAYS, compare, perturb, reached

POOL = [True, False, None, 0, 1, -1, 7, 10**20, -(10**20), 2.5, -2.5, 0.0, float("nan"), float("inf"), "x", "某",
        "\ud800", "", [], ["a"], [{}], [{"x": 1}], [None], {}, {"x": 1}, {"present": True}, [[1]], (1,), b"a",
        "2024-01-01", "2024-13-01"]


def _outcome(fn, *args):
    try:
        return fn(*args) is True
    except TypeError:  # an unhashable value: the program gives up
        return False


@pytest.fixture(scope="module")
def groups(bundled):
    """(top-level key → the Tests of that whole mapping, unread)."""
    inputs = {n: s for n, s in bundled.plan.facts.items() if n not in FINDINGS_FACTS and n != "as_of"}
    nested, _ = pyread.build_trie(inputs)
    reader = pyread.Reader(None, {}, {})
    return {k: reader.validators(sub) for k, sub in nested.groups.items()}


def _mutate(node, rng, depth=0):
    """A copy of mapping ``node`` with the same keys in the same order (so
    the same key sequence), its values changed now and then, and its
    sub-mappings changed freely."""
    out = {}
    for k, v in node.items():
        r = rng.random()
        if isinstance(v, dict) and r < 0.7:
            v = _mutate_free(v, rng, depth + 1)
        elif isinstance(v, list) and v and isinstance(v[0], dict) and r < 0.5:
            v = [_mutate_free(i, rng, depth + 1) if isinstance(i, dict) else i for i in v]
        elif r < 0.15:
            v = copy.deepcopy(rng.choice(POOL))
        elif r < 0.25 and isinstance(v, bool):
            v = not v
        out[k] = v
    return out


def _mutate_free(node, rng, depth):
    d = _mutate(node, rng, depth)
    r = rng.random()
    if r < 0.1 and d:
        del d[rng.choice(list(d))]
    elif r < 0.2:
        d[rng.choice(["present", "no_such_key", "count", "kind"])] = copy.deepcopy(rng.choice(POOL))
    elif r < 0.23:
        d = {}
    return d


def test_shape_checker_equals_others_regular(groups, golden):
    rng = random.Random(5)
    checked = inline = 0
    for rec in golden:
        for key, t in groups.items():
            sample = rec.get(key)
            if not isinstance(sample, dict) or not sample:
                continue
            chk = pyread._shape_checker(tuple(sample), t, sample)
            for _ in range(4):
                d = _mutate(sample, rng)
                assert tuple(d) == tuple(sample)
                want = _outcome(pyread.others_regular, d, d.keys(), t)
                assert _outcome(chk, d) == want, (key, d)
                assert _outcome(pyread.group_regular, d, t) == want
                checked += 1
                inline += want
    assert checked > 1000 and 0.1 * checked < inline < 0.9 * checked, (checked, inline)


def test_shape_checker_skips_the_read_keys_only(groups, golden):
    """With ``read`` keys (a group the program reads), those keys are not
    tested, every other one is; an undeclared key is never regular."""
    rng = random.Random(9)
    n = 0
    for rec in golden[:200]:
        for key, t in groups.items():
            sample = rec.get(key)
            if not isinstance(sample, dict) or len(sample) < 2:
                continue
            read = frozenset(rng.sample(list(sample), 1))
            t2 = pyread.Tests(t.bools, t.tests, read)
            chk = pyread._shape_checker(tuple(sample), t2, sample)
            d = _mutate(sample, rng)
            want = _outcome(pyread.others_regular, d, d.keys() - read, t2)
            assert _outcome(chk, d) == want
            odd = dict(d, no_such_fact=True)
            assert pyread._shape_checker(tuple(odd), t2, odd)(odd) is False
            n += 1
    assert n > 100


def test_items_checker_equals_items_regular(bundled):
    rng = random.Random(3)
    lists = [s for s in bundled.plan.facts.values() if s.type == "list" and s.item]
    assert lists
    seen = set()
    for spec in lists:
        fields = pyread.item_tests(spec)
        assert type(fields) is pyread.ItemFields
        chk = pyread._items_checker(fields)
        plain = dict(fields)
        names = list(fields) + ["no_such_field"]
        for _ in range(60):
            items = []
            for _ in range(rng.randint(0, 3)):
                if rng.random() < 0.05:
                    items.append(copy.deepcopy(rng.choice(POOL)))
                    continue
                items.append({k: copy.deepcopy(rng.choice(POOL)) if rng.random() < 0.2 else _regular(fields.get(k))
                              for k in rng.sample(names, rng.randint(0, len(names)))
                              if k != "no_such_field" or rng.random() < 0.1})
            want = _outcome(pyread.items_regular, items, plain)
            assert _outcome(chk, items) == want, (spec, items)
            assert _outcome(pyread.items_regular, items, fields) == want
            seen.add(want)
    assert seen == {True, False}


def _regular(test):
    if test == pyread._BOOL:
        return True
    if test == pyread._TEXT:
        return "某"
    if test in (pyread._INT, pyread._INT0):
        return 3
    if test in (pyread._NUM, pyread._NUM0):
        return 2.5
    return None


# -- end to end: every key sequence compiled on first sight ----------------------
CLAUSES = {("cn.mem.order10.general", "art3.1"), ("cn.mem.order10.general", "art3.2"),
           ("cn.mem.order10.general", "art3.3"), ("cn.mem.order10.metallurgy", "art4.1"),
           ("cn.mem.order10.metallurgy", "art4.2"), ("cn.mem.order10.metallurgy", "art4.5"),
           ("cn.npc.safety-production-law", "art24.1"), ("cn.npc.safety-production-law", "art24.2"),
           ("cn.npc.safety-production-law", "art31"), ("cn.npc.safety-production-law", "art36.4"),
           ("cn.npc.safety-production-law", "art40")}


def _subset(rules):
    """The bundled-subset limit's rule set (benchmarks/bench_limit.py): a
    small program, reading each mapping inline (``_grp`` on every group)."""
    plan = rules.plan
    standards = []
    for s in plan.standards:
        clauses = tuple(c for c in s.clauses if (s.id, c.id) in CLAUSES)
        if clauses:
            standards.append(attrs.evolve(s, clauses=clauses))
    wanted = set()
    for s in standards:
        for c in s.clauses:
            wanted.update(A.fact_paths(c.condition))
    tables = []
    for t in reversed(plan.tables):
        if t.output in wanted:
            tables.append(t)
            wanted.update(t.reads)
    sub = attrs.evolve(plan, standards=tuple(standards), tables=tuple(reversed(tables)), decision=FrozenDict())
    return RuleSet(sub, rules.base)


@pytest.mark.parametrize("which", ["subset", "bundled"])
def test_hot_shapes_generated_equals_reference(bundled, golden, monkeypatch, which):
    monkeypatch.setattr(pyread, "_HOT", 1)
    rules = _subset(bundled) if which == "subset" else RuleSet(bundled.plan, bundled.base)
    stats = {"total": 0, "compared": 0, "gave_up": 0, "error": 0}

    @settings(max_examples=120 if which == "subset" else 60, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(0, len(golden) - 1), st.integers(0, 2**32 - 1), st.sampled_from(DAYS))
    def prop(i, seed, day):
        compare(rules, perturb(golden[i], random.Random(seed), rules.plan), day, stats)

    prop()
    reached(stats)
    # the compiled checkers were used: some mapping has its key sequences compiled
    shapes = 0
    for day in DAYS:
        for v in rules.program(day).run.__globals__.values():
            if type(v) is pyread.Tests:
                shapes += len(v.shapes)
            elif type(v) is pyread.GroupRead:
                shapes += sum(len(t.shapes) for t in v.tests.tests.values() if type(t) is pyread.Tests)
    assert shapes > 0


def test_group_regular_compiles_hot_key_sequences_within_bounds(monkeypatch):
    """A key sequence is compiled on its ``_HOT``-th sighting, not before;
    at most ``_SHAPES_MAX`` per mapping, sightings of at most ``_SEEN_MAX``;
    the answers stay those of ``others_regular`` throughout."""
    monkeypatch.setattr(pyread, "_HOT", 3)
    monkeypatch.setattr(pyread, "_SHAPES_MAX", 4)
    monkeypatch.setattr(pyread, "_SEEN_MAX", 8)
    names = [f"k{i}" for i in range(12)]
    t = pyread.Tests(frozenset(names[:6]), {k: pyread._INT0 for k in names[6:]})
    d = {"k0": True, "k7": 3}
    for n in range(1, 4):
        assert pyread.group_regular(d, t) is True
        assert len(t.shapes) == (1 if n == 3 else 0)
    assert pyread.group_regular({"k0": True, "k7": -3}, t) is False  # the compiled checker, same keys
    assert pyread.group_regular({"k0": 1, "k7": 3}, t) is False
    rng = random.Random(1)
    for _ in range(400):
        keys = rng.sample(names, rng.randint(1, 4))
        d = {k: rng.choice([True, None, 3, -3, "x"]) for k in keys}
        assert pyread.group_regular(d, t) == pyread.others_regular(d, d.keys(), t)
        assert len(t.shapes) <= 4 and len(t.seen) <= 8
    assert len(t.shapes) == 4
