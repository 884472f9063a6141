"""The reader's compiled checks, made cheaper, say what the interpreted
tests and the reference path say (audit 6).

- ``limits.text_ok`` answers printable text without encoding it; text that
  is not printable (ideographic space, zero-width space, soft hyphen, a
  line feed) is still encoded, a lone surrogate still refused, and a
  ``str`` subclass cannot claim to be printable.
- The compiled checkers (``_shape_checker``, the items checker) test an
  enum's values by ``in``, a bounded integer or number inline, text by
  ``isprintable`` before encoding, an empty list of items without a call,
  and an item whose keys are the declared fields in order by unpacking
  its values: each says what ``others_regular`` / ``items_regular`` over a
  plain dict say, on values at and past the bounds, of the wrong type,
  unhashable (a TypeError is "not regular": the program gives up either
  way), non-printable or with lone surrogates.
- End to end, on the bench_limit subset and the bundled set: records with
  such values put in read and unread facts and list items: the generated
  program gives up exactly where the reference refuses, and otherwise
  decides as it does, on irregular records of each kind.
"""

import copy
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetyrules.backends import pyread
from safetyrules.dsl.types import FactSpec
from safetyrules.engine.ruleset import RuleSet
from safetyrules.limits import INT_BOUND, text_ok

from test_generated_differential import DAYS, compare, reached
from test_shape_checkers import _regular as _scalar_regular
from test_shape_checkers import _subset

TEXTS_OK = ["", "a", "某", "甲类仓库1", "\u3000", "a\u200bb", "\u00ad", "a\nb", "\u2028", "e\u0301", "\U0001f600",
            "\x85", "\ufeff"]
TEXTS_BAD = ["\ud800", "a\udfff", "某\ud83d", "\udc00\u3000", "x\ud800\n"]


def _encodes(s):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Printable(str):
    """A str that says it is printable, whatever it holds."""

    def isprintable(self):
        return True


def test_text_ok_is_the_encoding_test():
    printable = non_printable = 0
    for s in TEXTS_OK + TEXTS_BAD:
        assert text_ok(s) is _encodes(s), repr(s)
        printable += s.isprintable()
        non_printable += not s.isprintable() and _encodes(s)
    # both of text_ok's ways were taken: printable text, and text that had to be encoded
    assert printable >= 4 and non_printable >= 6
    assert text_ok(Printable("\ud800")) is False
    assert text_ok(Printable("某")) is True


def _outcome(fn, *args):
    try:
        return fn(*args) is True
    except TypeError:  # an unhashable value where an enum belongs: the program gives up
        return False


# -- the checkers, against the interpreted tests ----------------------------------
def _specs():
    return {
        "b": FactSpec(type="bool"),
        "s": FactSpec(type="string"),
        "e": FactSpec(type="enum", values=("x", "y")),
        "i": FactSpec(type="integer", min=-3, max=10),
        "n": FactSpec(type="number", min=0.5, max=99.5),
        "lo": FactSpec(type="integer", min=5),
        "hi": FactSpec(type="number", max=-1),
        "z": FactSpec(type="number", min=0),
        "c": FactSpec(type="integer"),
    }


VALUES = [None, True, False, 0, 1, -1, -3, -4, 5, 4, 10, 11, 0.5, 0.49, 99.5, 99.51, -1.0, -0.5, 2.5, 7.0,
          INT_BOUND - 1, INT_BOUND, -INT_BOUND, float("nan"), float("inf"), float("-inf"), "x", "y", "z",
          [1], ["x"], {"a": 1}, b"x"] + TEXTS_OK[:6] + TEXTS_BAD[:3]


REGULAR = {"b": True, "s": "某", "e": "x", "i": 3, "n": 2.5, "lo": 7, "hi": -2.0, "z": 0, "c": -5}


def _tests(specs, item=False):
    bools = frozenset(k for k, s in specs.items() if s.type == "bool" and not item)
    return bools, {k: pyread.leaf_validator(s, item=item) for k, s in specs.items() if k not in bools}


def test_inline_codes_are_what_they_replace():
    """The enum test is a set's ``__contains__`` and the bounded numbers'
    tests carry their bounds: so the compiled checkers write them inline
    (``_shape_cond``), not as a call."""
    _, tests = _tests(_specs())
    assert tests["e"].__self__ == frozenset({"x", "y", None})
    assert tests["i"].bounds == ("integer", -3, 10) and tests["n"].bounds == ("number", 0.5, 99.5)
    ns = {}
    for k in ("e", "i", "n"):
        src = pyread._shape_cond(tests[k], "v", ns)
        assert re.search(r"_k\w*\(", src) is None, src  # no call of a named test
    assert ns["_k0"] == frozenset({"x", "y", None})


def test_shape_checker_equals_others_regular_on_bounds_enums_and_text():
    rng = random.Random(11)
    specs = _specs()
    bools, tests = _tests(specs)
    t = pyread.Tests(bools, tests)
    names = list(specs)
    seen = {True: 0, False: 0}
    for _ in range(3000):
        keys = rng.sample(names, rng.randint(1, len(names)))
        d = {k: REGULAR[k] for k in keys}
        for k in rng.sample(keys, min(len(keys), rng.choice([0, 1, 1, 2]))):
            d[k] = copy.deepcopy(rng.choice(VALUES))
        want = _outcome(pyread.others_regular, d, d.keys(), t)
        chk = pyread._shape_checker(tuple(d), t, d)
        assert _outcome(chk, d) == want, d
        seen[want] += 1
    assert min(seen.values()) > 600, seen


ITEM_POOL = [None, True, False, 0, 3, -2, 2.5, float("nan"), "x", "y", "z", [1], {"a": 1}] + TEXTS_OK[:5] + TEXTS_BAD[:2]


def _items(rng, fields, names):
    items = []
    for _ in range(rng.randint(0, 3)):
        r = rng.random()
        if r < 0.04:
            items.append(copy.deepcopy(rng.choice(ITEM_POOL)))
            continue
        if r < 0.55:  # the declared fields in order (the unpacking path), a value now and then changed
            it = {k: _regular(fields[k]) for k in fields}
        else:
            ks = rng.sample(names, rng.randint(0, len(names)))
            it = {k: _regular(fields.get(k)) for k in ks}
        for k in list(it):
            if rng.random() < 0.15:
                it[k] = copy.deepcopy(rng.choice(ITEM_POOL))
        items.append(it)
    return items


def _regular(test):
    # a regular value of a field's test: test_shape_checkers' scalars, and enums and bounded numbers
    got = _scalar_regular(test)
    if got is not None:
        return got
    if getattr(test, "__self__", None) is not None:
        return sorted(x for x in test.__self__ if x is not None)[0]
    if getattr(test, "bounds", None) is not None:
        return test.bounds[1] if test.bounds[1] is not None else test.bounds[2]
    return None


def test_items_checker_equals_items_regular(bundled):
    """Every list of items of the bundled vocabulary, and one with an
    enum, bounded numbers and text: the compiled checker (by
    ``items_checker``, as the generated code calls it) says what the
    interpreted loop over a plain dict says; items in declared order
    reach both answers."""
    rng = random.Random(7)
    specs = [s for s in bundled.plan.facts.values() if s.type == "list" and s.item]
    specs.append(FactSpec(type="list", item={k: s for k, s in _specs().items()}))
    ordered = {True: 0, False: 0}
    for spec in specs:
        fields = pyread.item_tests(spec)
        chk = pyread.items_checker(fields)
        assert chk is pyread.items_checker(fields)  # compiled once per list
        plain = dict(fields)
        names = list(fields) + ["no_such_field"]
        for _ in range(150):
            items = _items(rng, fields, names)
            want = _outcome(pyread.items_regular, items, plain)
            assert _outcome(chk, items) == want, (spec, items)
            if items and all(type(i) is dict and tuple(i) == tuple(fields) for i in items):
                ordered[want] += 1
    assert min(ordered.values()) > 50, ordered


def test_an_empty_list_of_items_is_regular_without_a_call():
    specs = {"s": FactSpec(type="string"), "b": FactSpec(type="bool")}
    t = pyread.Tests(frozenset(), {"l": pyread.ItemTests(pyread.item_tests(FactSpec(type="list", item=specs)))})
    for value, want in [([], True), (None, True), ([{}], True), ([{"s": "某", "b": None}], True), ([None], False),
                        ([{"s": "\ud800"}], False), ([{"b": 1}], False), ((), False), ({}, False), ([[]], False)]:
        d = {"l": value}
        assert pyread._shape_checker(("l",), t, d)(d) is want, value
        assert pyread.others_regular(d, ("l",), t) is want, value


def test_items_with_no_scalar_field():
    fields = pyread.ItemFields({})
    chk = pyread.items_checker(fields)
    for items, want in [([], True), ([{}], True), ([{"a": 1}], False), ([None], False), ([{}, {"a": None}], False)]:
        assert chk(items) is want is pyread.items_regular(items, {}), items


# -- end to end --------------------------------------------------------------------
KINDS = ["text", "text_bad", "enum", "enum_bad", "bounded", "bounded_bad", "items", "items_bad"]


def _paths(plan):
    out = {"string": [], "enum": [], "bounded": [], "items": []}
    for name, s in plan.facts.items():
        if name.startswith("findings.") or name == "as_of":
            continue
        if s.type == "string":
            out["string"].append(name)
        elif s.type == "enum":
            out["enum"].append(name)
        elif s.type in ("integer", "number") and s.max is not None:
            out["bounded"].append(name)
        elif s.type == "list" and s.item and any(f.type == "string" for f in s.item.values()):
            out["items"].append(name)
    return out


def _put(rec, name, value):
    *groups, last = name.split(".")
    d = rec
    for g in groups:
        if type(d.get(g)) is not dict:
            d[g] = {}
        d = d[g]
    d[last] = value


def inject(rec, rng, plan, paths, kind):
    """``rec`` with one value of ``kind`` put in (``*_bad``: one the
    reference refuses)."""
    rec = copy.deepcopy(rec)
    if kind.startswith("text"):
        _put(rec, rng.choice(paths["string"]), rng.choice(TEXTS_BAD if kind == "text_bad" else TEXTS_OK))
    elif kind.startswith("enum"):
        name = rng.choice(paths["enum"])
        values = list(plan.facts[name].values)
        _put(rec, name, rng.choice(values) if kind == "enum" else rng.choice(["no_such_value", 1, True, [values[0]]]))
    elif kind.startswith("bounded"):
        name = rng.choice(paths["bounded"])
        s = plan.facts[name]
        lo, hi = s.min if s.min is not None else -10, s.max
        ok = [lo, hi, (lo + hi) / 2, int((lo + hi) // 2), None]
        bad = [lo - 1, hi + 1, hi + 0.5, lo - 0.5, float("nan"), float("inf"), True, "50"]
        _put(rec, name, rng.choice(bad if kind == "bounded_bad" else ok))
    else:
        name = rng.choice(paths["items"])
        spec = plan.facts[name]
        items = []
        for _ in range(rng.randint(1, 3)):
            it = {}
            for k, f in spec.item.items():  # the declared order: the unpacking path
                if f.type == "string":
                    it[k] = rng.choice(TEXTS_OK)
                elif f.type == "bool":
                    it[k] = rng.choice([True, False, None])
                elif f.type == "enum":
                    it[k] = rng.choice(list(f.values))
                elif f.type in ("integer", "number"):
                    it[k] = f.min if f.min is not None else 1
            if rng.random() < 0.3 and it:  # another order
                ks = list(it)
                rng.shuffle(ks)
                it = {k: it[k] for k in ks}
            items.append(it)
        if kind == "items_bad":
            it = rng.choice(items)
            strings = [k for k, f in spec.item.items() if f.type == "string"]
            it[rng.choice(strings)] = rng.choice(TEXTS_BAD + [1, True, ["x"]])
        _put(rec, name, items)
    return rec


@pytest.mark.parametrize("which", ["subset", "bundled"])
def test_injected_values_generated_equals_reference(bundled, golden, which):
    rules = _subset(bundled) if which == "subset" else RuleSet(bundled.plan, bundled.base)
    paths = _paths(rules.plan)
    assert all(paths.values()), paths
    stats = {"total": 0, "compared": 0, "gave_up": 0, "error": 0}
    per_kind = {k: {"total": 0, "compared": 0, "gave_up": 0, "error": 0} for k in KINDS}

    @settings(max_examples=160 if which == "subset" else 80, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(0, len(golden) - 1), st.integers(0, 2**32 - 1), st.sampled_from(DAYS))
    def prop(i, seed, day):
        kind = KINDS[stats["total"] % len(KINDS)]  # each kind in turn (hypothesis would favour the first)
        rec = inject(golden[i], random.Random(seed), rules.plan, paths, kind)
        before = dict(stats)
        compare(rules, rec, day, stats)
        for k, n in stats.items():
            per_kind[kind][k] += n - before[k]

    prop()
    reached(stats)
    for kind, s in per_kind.items():
        if kind.endswith("_bad"):
            # the program decided none of the irregular records itself; the reference refused some
            # (compare: the program gave up on every one of those)
            assert s["error"] >= 1 and s["compared"] == 0, (kind, s)
        else:
            assert s["compared"] >= 1, (kind, s)


# -- a program that reads text: printable, not printable, lone surrogates ----------
import datetime  # noqa: E402

import rule_files  # noqa: E402
from rule_files import ruleset, standard, vocabulary  # noqa: E402

TEXT_FILES = {
    "v.yaml": vocabulary("""\
        site.name: {type: string}
        site.open: {type: bool}
        site.rooms: {type: list, item: {label: {type: string}, wet: {type: bool}}}
        """, id="t"),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "site.name == '某厂' and site.open"}
        - {id: c2, cite: "2", severity: general, title: {en: c2}, when: "any(r in site.rooms: r.wet and r.label == '\u3000')"}
        """, title="s"),
    "ruleset.yaml": ruleset("t", ["v.yaml", "s.yaml"]),
}


@pytest.fixture(scope="module")
def text_rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "text", TEXT_FILES, dedent=True, entry="ruleset.yaml")


def test_read_text_is_decided_on_the_generated_path_unless_it_holds_a_lone_surrogate(text_rules):
    """The program reads ``site.name`` and the rooms' labels: printable and
    non-printable text alike is decided by the program itself (the
    reference's decision), a lone surrogate sent to the reference, which
    refuses it."""
    day = datetime.date(2024, 6, 1)
    prog = text_rules.program(day)
    assert "isprintable" in prog.source
    for name in TEXTS_OK + TEXTS_BAD + ["某厂"]:
        for label in TEXTS_OK[:6] + TEXTS_BAD[:2]:
            rec = {"site": {"name": name, "open": True, "rooms": [{"label": label, "wet": True}, {"wet": False}]}}
            stats = {"total": 0, "compared": 0, "gave_up": 0, "error": 0}
            compare(text_rules, rec, day, stats)
            bad = name in TEXTS_BAD or label in TEXTS_BAD
            assert stats == {"total": 1, "compared": int(not bad), "gave_up": 0, "error": int(bad)}, (name, label, stats)
    d = text_rules.evaluate({"site": {"name": "某厂", "open": True, "rooms": [{"label": "\u3000", "wet": True}]}}, day)
    assert len(d.findings) == 2  # both conditions read the text as given


# -- read_values: the values a group's program reads, the other keys tested ----------
def _read_values_old(d, t):
    """What the generated code did before read_values: the keys' test, then
    a .get per key read."""
    twin = pyread.Tests(t.bools, t.tests, t.read)  # (no order: group_regular's own checkers)
    if not d.keys() <= t.read and not _outcome(pyread.group_regular, d, twin):
        return None
    return tuple(d.get(k, a) for k, a in zip(t.order, t.absent))


def _rv(d, t):
    try:
        return pyread.read_values(d, t) or None
    except TypeError:  # an unhashable value where an enum belongs: the program gives up
        return None


@pytest.mark.parametrize("hot", [1, 3, 10**9])
def test_read_values_is_the_test_and_the_gets(monkeypatch, hot):
    """On mappings of declared keys read and not read, in varied orders,
    some keys absent, irregular values among the keys not read, undeclared
    keys: the values (or the refusal) are those of the keys' test and a
    ``.get`` per key read; from the first sighting of a key sequence
    (compiled at once), the third, or never."""
    monkeypatch.setattr(pyread, "_HOT", hot)
    rng = random.Random(hot)
    specs = _specs()
    bools, tests = _tests(specs)
    sub = pyread.Tests(frozenset(["p"]), {"q": pyread._INT0})
    names = list(specs) + ["g", "h", "no_such_key"]
    seen = {"values": 0, "refused": 0, "absent_read": 0}
    for round_ in range(60):
        read = rng.sample(list(specs) + ["g", "h"], rng.randint(1, 4))
        t = pyread.Tests(bools, dict(tests, h=sub))
        t.read = frozenset(read)
        t.bools = frozenset(k for k in bools if k not in t.read)
        t.tests = {k: c for k, c in t.tests.items() if k not in t.read}
        t.order = tuple(read)
        t.absent = tuple(pyread.ABSENT if k in ("g", "h") else None for k in read)
        for _ in range(40):
            keys = rng.sample(names, rng.randint(0, len(names)))
            if rng.random() < 0.5:
                keys = [k for k in keys if k != "no_such_key"]
            d = {}
            for k in keys:
                if k == "h":
                    d[k] = rng.choice([{"p": True}, {"q": 3}, {"q": -1}, {}, None, {"p": 1}])
                elif k == "g":
                    d[k] = rng.choice([{"x": 1}, 7, None])  # read here: the program checks it itself
                elif k == "no_such_key":
                    d[k] = 1
                else:
                    d[k] = REGULAR[k] if rng.random() < 0.8 else copy.deepcopy(rng.choice(VALUES))
            for _ in range(2):  # the same key sequence again: hot after the first or third sighting
                want = _read_values_old(d, t)
                got = _rv(d, t)
                assert got == want or (got is not None and want is not None and all(
                    a is b or a == b or (a != a and b != b) for a, b in zip(got, want))), (d, read, got, want)
                seen["values" if want is not None else "refused"] += 1
                seen["absent_read"] += want is not None and any(k not in d for k in read)
    assert min(seen.values()) > 200, seen
    if hot < 10**9:
        assert t.shapes  # the compiled readers were used


def test_group_regular_and_read_values_share_a_tests(monkeypatch):
    """A Tests given an order answers both: group_regular compiles its key
    sequences to give the values too, so read_values after it still gets
    them (and group_regular's answer is their truth)."""
    monkeypatch.setattr(pyread, "_HOT", 1)
    bools, tests = _tests(_specs())
    t = pyread.Tests(frozenset(k for k in bools if k != "b"), {k: c for k, c in tests.items() if k != "i"},
                     frozenset({"b", "i"}))
    t.order, t.absent = ("i", "b"), (None, None)
    for d, want in [({"b": True, "s": "某", "i": 3}, (3, True)), ({"s": "\ud800", "i": 3}, None), ({"e": "x"}, (None, None)),
                    ({"no_such_key": 1}, None), ({"i": "read: not tested here", "n": 2.5}, ("read: not tested here", None))]:
        for first in (pyread.group_regular, pyread.read_values):
            t.shapes.clear()
            first(d, t)
            assert (pyread.read_values(d, t) or None) == want, d
            assert bool(pyread.group_regular(d, t)) is (want is not None), d
