"""Generated fact reading: the facts the program needs, read once, checked
inline, into locals; every other key present tested, never converted.

The generated program reads the input facts its conditions and tables read
(usually a small share of the vocabulary) from the entity's mapping, nested
(``{"entity": {"sector": ...}}``) or with dotted names at top level
(``{"entity.sector": ...}``), in the order of the fact path trie, into one
local each, with the type check inline.  Each group has a *known flag*:
true when every fact the program reads directly in it is present and not
None.  Unknown numbers are NaN (so comparisons are plain and false), other
unknowns None.

A large program (more than ``python.INLINE_READS`` facts read, as the
bundled set's) reads each mapping by one call of :func:`read_group` over a
:class:`GroupRead` table instead (the same checks, the same values and
flags, a few lines of source per mapping instead of several per fact), so
its source stays small and compiles fast; a small program keeps the inline
code, which is faster per record.

Every other key present in a mapping (few: an entity gives what it has) is
tested for regularity by :func:`others_regular` against a test per declared
fact (:class:`Tests`, built once per program): exactly what the reading
code would take as is.  A mapping that is not exactly its read keys is
read by one call of :func:`read_values` (the values read, the other keys
tested), a complete one by subscripts.  So an input fact no condition reads is checked as
strictly as one that is read.  A mapping's key sequence seen often
(records of a registry or a platform share few) gets a checker compiled for
it (:func:`group_regular`): its values unpacked in order and tested inline,
its sub-mappings inline too for the keys they had; a list of items is
checked by code compiled once per list fact (:func:`items_checker`).  The
same tests, without a lookup and a dispatch per key.

Anything the reference fact check would convert or refuse (an undeclared or
reserved name, a wrong type, a non-finite number, a value out of range, a
whole float for an integer, ``{}`` or None where a group belongs, a list
item with a None or nested field, a given table output, mixed nesting)
makes the reader give up (``break`` out of the reading block).  Input
that mixes nested and dotted names is nested again by name segments
(:func:`nest_input`) and read a second time by the same code; if that fails too, the program returns None: the
engine then runs the reference path, so errors and conversions stay
exactly its own.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

from safetyrules.dsl.types import FactSpec
from safetyrules.limits import INT_BOUND, MAX_FACT_DEPTH, text_ok, parse_date

__all__ = ["Trie", "build_trie", "Reader", "ABSENT", "NAN", "GroupRead", "read_group", "flatten_input", "nest_input", "others_regular", "group_regular", "read_values", "items_regular", "items_checker", "leaf_validator"]


def flatten_input(facts: dict) -> Optional[dict]:
    """Nested mappings → one mapping of dotted names (lists kept as they
    are), or None where the reference flattening would differ or refuse
    (a name given twice, a non-text key, an empty or non-dict mapping)."""
    out: dict = {}
    stack = [("", facts, 1)]
    while stack:
        prefix, d, depth = stack.pop()
        for k, v in d.items():
            if type(k) is not str:
                return None
            key = prefix + k
            if type(v) is dict:
                if not v or depth >= MAX_FACT_DEPTH:  # too deep, or a dict holding itself: the reference says E-DEPTH
                    return None
                stack.append((key + ".", v, depth + 1))
            elif key in out:
                return None
            else:
                out[key] = v
    return out


# dotted name -> (its group segments, its last segment): registry rows and
# platform records send the same few hundred names again and again; bounded,
# because names are input
_SPLITS: Dict[str, Tuple[Tuple[str, ...], str]] = {}
_SPLITS_MAX = 1 << 16


def _split(key: str) -> Tuple[Tuple[str, ...], str]:
    s = _SPLITS.get(key)
    if s is None:
        parts = key.split(".")
        s = (tuple(parts[:-1]), parts[-1])
        if len(_SPLITS) < _SPLITS_MAX:
            _SPLITS[key] = s
    return s


def nest_input(facts: dict) -> Optional[dict]:
    """Dotted names (or a mix of dotted and nested) → the same facts nested
    by name segments (``{"a.b": 1}`` → ``{"a": {"b": 1}}``), or None where
    the reference flattening would differ or refuse (see
    :func:`flatten_input`), or a name is both a value and a group.  Each
    name of the result maps one to one to a full dotted name, so reading
    it by the nested trie reads exactly the full names."""
    for v in facts.values():
        if type(v) is dict:  # a mix: flatten first (its refusals are the reference's)
            flat = flatten_input(facts)
            if flat is None:
                return None
            break
    else:
        flat = facts  # all dotted leaves: flattening would give the same mapping
    out: dict = {}
    splits = _SPLITS
    for key, v in flat.items():
        if type(key) is not str:
            return None
        s = splits.get(key)
        if s is None:
            s = _split(key)
        d = out
        for seg in s[0]:
            sub = d.get(seg)
            if sub is None:
                if seg in d:
                    return None
                sub = d[seg] = {}
            elif type(sub) is not dict:
                return None
            d = sub
        last = s[1]
        if last in d:
            return None
        d[last] = v
    return out

_SCALARS = ("bool", "integer", "number", "string", "enum", "date")


class Trie:
    """One mapping level of the input: leaves (name → (full name, spec))
    and sub-groups (name → Trie); ``conflict`` names that are both."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.leaves: Dict[str, Tuple[str, FactSpec]] = {}
        self.groups: Dict[str, "Trie"] = {}
        self.conflict: List[str] = []

    def all_leaves(self) -> List[Tuple[str, FactSpec]]:
        out = list(self.leaves.values())
        for g in self.groups.values():
            out.extend(g.all_leaves())
        return out


def build_trie(facts: Dict[str, FactSpec]) -> Tuple[Trie, Trie]:
    """``(nested, flat)`` tries of the input facts: nested by dotted
    segments, and flat (every full name at top level)."""
    root = Trie("")
    flat = Trie("")
    for name, spec in facts.items():
        flat.leaves[name] = (name, spec)
        parts = name.split(".")
        node = root
        for k, seg in enumerate(parts[:-1]):
            if seg in node.leaves:
                node.conflict.append(seg)
            node = node.groups.setdefault(seg, Trie(".".join(parts[: k + 1])))
        last = parts[-1]
        if last in node.groups or last in node.leaves:
            node.conflict.append(last)
        node.leaves[last] = (name, spec)
    _drop_conflicts(root)
    return root, flat


def _drop_conflicts(t: Trie) -> None:
    for name in t.conflict:
        t.leaves.pop(name, None)
        t.groups.pop(name, None)
    for g in t.groups.values():
        _drop_conflicts(g)


class Reader:
    """Emits the reading code into a :class:`~safetyrules.backends.python`
    code buffer ``gen`` (``gen.emit(ind, line)``, ``gen.tmp()``,
    ``gen.const(value)``)."""

    def __init__(self, gen, locals_: Dict[str, str], flags: Dict[str, str], table: bool = False) -> None:
        self.gen = gen
        # table: each mapping read by one call of :func:`read_group` over a
        # :class:`GroupRead` (a few lines per mapping, for a large program)
        # instead of code per fact
        self.table = table
        self.locals = locals_  # full fact name -> local, for the facts the program reads
        self.wanted = frozenset(locals_)
        self._reads_memo: Dict[int, bool] = {}
        self.flags = flags  # group path -> known-flag local
        self.group_of: Dict[str, str] = {}  # full fact name -> group path

    # -- layout-independent parts ----------------------------------------
    def unknown(self, spec: FactSpec) -> str:
        return "_NAN" if spec.type in ("integer", "number") else "None"

    def check(self, ind: int, v: str, spec: FactSpec, flag: Optional[str], fail: str) -> None:
        """Check local ``v`` (read as is; None = unknown) in place."""
        g = self.gen
        t = spec.type
        if self.unknown(spec) == "None":  # already None
            unk = f"{flag} = False" if flag else "pass"
        else:
            unk = f"{v} = {self.unknown(spec)}; {flag} = False" if flag else f"{v} = {self.unknown(spec)}"
        if t == "bool":
            g.emit(ind, f"if {v} is not True and {v} is not False:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
        elif t in ("integer", "number"):
            bounds = []
            if spec.min is not None:
                bounds.append(f"{v} < {g.literal(spec.min)}")
            if spec.max is not None:
                bounds.append(f"{v} > {g.literal(spec.max)}")
            out = "".join(" or " + b for b in bounds)
            # integers past the documented bound are the reference path's to refuse
            big = g.const(INT_BOUND)
            g.emit(ind, f"_t = type({v})")
            if t == "number":
                g.emit(ind, f"if _t is float:")
                g.emit(ind + 1, f"if {v} - {v}{out}: {fail}")  # NaN or infinite, or out of range
                g.emit(ind, f"elif _t is int:")
            else:
                g.emit(ind, f"if _t is int:")
            g.emit(ind + 1, f"if {v} >= {big} or {v} <= -{big}{out}: {fail}")
            g.emit(ind, f"elif {v} is None: {unk}")
            g.emit(ind, f"else: {fail}")
        elif t == "string":
            g.emit(ind, f"if type({v}) is not str:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
            # lone surrogates could not be written out: the reference refuses them
            # (a printable string has none: a surrogate is never printable)
            g.emit(ind, f"elif not {v}.isascii() and not {v}.isprintable() and not {g.const(text_ok)}({v}): {fail}")
        elif t == "enum":
            values = g.const(frozenset(spec.values or ()))
            # an unhashable value raises TypeError: the program gives up
            g.emit(ind, f"if {v} not in {values}:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
        elif t == "date":
            g.emit(ind, f"_t = type({v})")
            g.emit(ind, f"if _t is str: {v} = _fromiso({v})")  # ValueError: the program gives up
            g.emit(ind, f"elif _t is not _date:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
        elif t == "list":
            g.emit(ind, f"if {v} is None: {unk}")
            if not spec.item and spec.values:
                checker = g.const(item_validator(spec))
                g.emit(ind, f"elif type({v}) is not list or not {checker}({v}): {fail}")
            else:
                g.emit(ind, f"elif type({v}) is not list or not {g.const(items_checker(item_tests(spec)))}({v}): {fail}")
        else:  # pragma: no cover - the vocabulary schema has no other types
            g.emit(ind, f"if {v} is not None: {fail}")
            if flag:
                g.emit(ind, f"{flag} = False")

    # -- one layout ----------------------------------------------------------
    def read(self, trie: Trie, ind: int, fail: str) -> None:
        """Read the top-level mapping ``f`` by ``trie``; ``fail`` is the
        statement that gives up."""
        self.group(trie, "f", ind, fail)

    def _reads(self, trie: Trie) -> bool:
        """Whether the program reads a fact of ``trie``'s subtree."""
        got = self._reads_memo.get(id(trie))
        if got is None:
            got = any(full in self.wanted for full, _ in trie.leaves.values()) or any(
                self._reads(g) for g in trie.groups.values())
            self._reads_memo[id(trie)] = got
        return got

    def _leaf_locals(self, trie: Trie) -> List[Tuple[str, str, FactSpec]]:
        out = []
        for key, (full, spec) in trie.leaves.items():
            if full not in self.wanted:
                continue
            out.append((key, self.locals[full], spec))
            self.group_of[full] = trie.path
        return out

    def validators(self, trie: Trie) -> Tests:
        """Key → the regularity test (:func:`others_regular`) of every key
        of ``trie`` the program does not read (a whole unread subgroup:
        a :class:`Tests` of its own).  Conflicting names are left out: they are
        never regular."""
        out: Dict[str, Any] = {}
        bools = []
        for key, (full, spec) in trie.leaves.items():
            if full not in self.wanted:
                test = leaf_validator(spec)
                if test == _BOOL:
                    bools.append(key)
                else:
                    out[key] = test
        for key, sub in trie.groups.items():
            if not self._reads(sub):
                out[key] = self.validators(sub)
        return Tests(frozenset(bools), out)

    def group(self, trie: Trie, d: str, ind: int, fail: str) -> None:
        """Read mapping local ``d`` (known to be a non-empty dict): the
        facts the program reads by ``.get``, checked inline; every other key
        present tested for regularity (an undeclared or conflicting key, or
        an irregular value, gives up)."""
        g = self.gen
        flag = self.flags.setdefault(trie.path, g.tmp("k"))
        leaves = self._leaf_locals(trie)
        subs = [(k, g.tmp("g"), sub) for k, sub in trie.groups.items() if self._reads(sub)]
        if self.table:
            spec = GroupRead([(k, s_) for k, _, s_ in leaves], [k for k, _, _ in subs], self.validators(trie))
            g.emit(ind, f"_t = _rd({d}, {g.const(spec)})")
            g.emit(ind, f"if _t is None: {fail}")
            g.emit(ind, ", ".join([v for _, v, _ in leaves] + [gv for _, gv, _ in subs] + [flag]) + " = _t")
            for key, gv, sub in subs:
                g.emit(ind, f"if type({gv}) is dict and {gv}:")
                self.group(sub, gv, ind + 1, fail)
                g.emit(ind, f"elif {gv} is _ABSENT:")
                self.absent(sub, ind + 1)
                g.emit(ind, f"else: {fail}")
            return
        read_set = frozenset([k for k, _, _ in leaves] + [k for k, _, _ in subs])
        others = self.validators(trie)
        others.read = read_set
        if leaves or subs:  # read_values gives the values read, in this order, and checks the rest
            others.order = tuple([k for k, _, _ in leaves] + [k for k, _, _ in subs])
            others.absent = tuple([None] * len(leaves) + [ABSENT] * len(subs))
        others = g.const(others)
        # as many keys as are read, all of them there (a complete group):
        # subscripts; otherwise .get, and the keys not read (usually few)
        # tested, never converted
        n = len(leaves) + len(subs)
        if n:
            g.emit(ind, "_c = False")
            g.emit(ind, f"if len({d}) == {n}:")
            g.emit(ind + 1, "try:")
            for key, v, _ in leaves:
                g.emit(ind + 2, f"{v} = {d}[{key!r}]")
            for key, gv, _ in subs:
                g.emit(ind + 2, f"{gv} = {d}[{key!r}]")
            g.emit(ind + 2, "_c = True")
            g.emit(ind + 1, "except KeyError: pass")
            # otherwise the values read (absent: None, a sub-mapping _ABSENT)
            # and every other key tested, by one call
            g.emit(ind, "if not _c:")
            g.emit(ind + 1, f"_t = {g.const(read_values)}({d}, {others})")
            g.emit(ind + 1, f"if not _t: {fail}")
            g.emit(ind + 1, ", ".join([v for _, v, _ in leaves] + [gv for _, gv, _ in subs]) + ", = _t")
        else:
            g.emit(ind, f"if not {d}.keys() <= {g.const(read_set)} and not _grp({d}, {others}): {fail}")
        g.emit(ind, f"{flag} = True")
        for key, v, spec in leaves:
            self.check(ind, v, spec, flag, fail)
        for key, gv, sub in subs:
            g.emit(ind, f"if type({gv}) is dict and {gv}:")
            self.group(sub, gv, ind + 1, fail)
            g.emit(ind, f"elif {gv} is _ABSENT:")
            self.absent(sub, ind + 1)
            g.emit(ind, f"else: {fail}")

    def absent(self, trie: Trie, ind: int) -> None:
        """A wholly absent group: its facts unknown, its flags false."""
        g = self.gen
        if self.table:
            names: List[str] = []
            values: List[Any] = []
            self._absent_values(trie, names, values)
            g.emit(ind, ", ".join(names) + (" = " if len(names) > 1 else ", = ") + g.const(tuple(values)))
            return
        flag = self.flags.setdefault(trie.path, g.tmp("k"))
        g.emit(ind, f"{flag} = False")
        for key, v, spec in self._leaf_locals(trie):
            g.emit(ind, f"{v} = {self.unknown(spec)}")
        for sub in trie.groups.values():
            if self._reads(sub):
                self.absent(sub, ind)

    def _absent_values(self, trie: Trie, names: List[str], values: List[Any]) -> None:
        names.append(self.flags.setdefault(trie.path, self.gen.tmp("k")))
        values.append(False)
        for key, v, spec in self._leaf_locals(trie):
            names.append(v)
            values.append(_NAN if spec.type in ("integer", "number") else None)
        for sub in trie.groups.values():
            if self._reads(sub):
                self._absent_values(sub, names, values)


# -- the facts the program does not read: regular or not --------------------
# A test is one of these codes (checked inline, the common cases) or a
# function of the value (True when regular).  None is unknown and regular
# for every leaf; a group's test refuses it.
_BOOL, _TEXT, _INT, _NUM, _INT0, _NUM0 = 1, 2, 3, 4, 5, 6  # _INT0 / _NUM0: min 0, no max
_B = INT_BOUND


class Tests:
    """The regularity tests of a mapping's keys that are not read:
    ``bools`` (the bool keys, tested first) and ``tests`` (key → test of
    :func:`others_regular`); ``read``: the keys the generated code reads
    (and checks) there itself, skipped by :func:`group_regular`.

    ``shapes`` caches, per key sequence (``tuple(d)``) seen at least
    ``_HOT`` times, a checker compiled for it (:func:`_shape_checker`);
    ``seen`` counts the sightings before.  Both bounded: key sequences are
    input."""

    __slots__ = ("bools", "tests", "read", "shapes", "seen", "order", "absent")

    def __init__(self, bools: frozenset, tests: Dict[str, Any], read: frozenset = frozenset()) -> None:
        self.bools = bools
        self.tests = tests
        self.read = read
        self.shapes: Dict[tuple, Any] = {}
        self.seen: Dict[tuple, int] = {}
        # for read_values: the keys read (in the program's order) and their
        # values where absent; the key sequences of a Tests given an order
        # are compiled to give the values (group_regular's answer is then
        # their truth)
        self.order: Optional[tuple] = None
        self.absent: Optional[tuple] = None


class ItemTests:
    """The test of a list of items: field → test of :func:`items_regular`."""

    __slots__ = ("fields",)

    def __init__(self, fields: Dict[str, Any]) -> None:
        self.fields = fields


def others_regular(d: dict, keys, t: Tests) -> bool:
    """Whether every key of ``keys`` (keys of ``d`` the program does not
    read) is declared in ``t`` and holds a regular value: exactly what the
    reading code would take as is (see :meth:`Reader.check`).  A test is a
    code above, a :class:`Tests` (a whole unread subgroup: a non-empty
    mapping), an :class:`ItemTests` (a list of items), a frozenset (a list
    of enum values) or a function of the value."""
    bools = t.bools
    tests = t.tests
    for k in keys:
        x = d[k]
        if k in bools:
            if x is True or x is False or x is None:
                continue
            return False
        c = tests.get(k)
        if c is None:
            return False
        tc = type(c)
        if tc is int:  # a code: None is unknown, else the value's type decides
            # (_scalar_regular, inline: most unread keys are scalars)
            if x is None:
                continue
            tx = type(x)
            if c == _TEXT:
                if tx is not str:
                    return False
                if not x.isascii() and not x.isprintable() and not text_ok(x):  # a lone surrogate
                    return False
            elif c == _BOOL:
                if tx is not bool:
                    return False
            elif tx is int:
                if not -_B < x < _B or (x < 0 and (c == _INT0 or c == _NUM0)):
                    return False
            elif tx is not float or (c != _NUM and c != _NUM0) or x - x or (x < 0 and c == _NUM0):
                return False
        elif tc is Tests:
            if type(x) is not dict or not x or not group_regular(x, c):
                return False
        elif tc is ItemTests:
            if x is not None and (type(x) is not list or not items_regular(x, c.fields)):
                return False
        elif tc is frozenset:
            # an unhashable item raises TypeError: the program gives up
            if x is not None and (type(x) is not list or not c.issuperset(x)):
                return False
        elif not c(x):
            return False
    return True


# a key sequence seen this often in one mapping gets a checker compiled for it
# (compiling one costs about what a hundred checks by others_regular do; a
# compiled checker saves a third to a half of each): at most _SHAPES_MAX of
# them per mapping, sightings counted for at most _SEEN_MAX key sequences;
# checkers of the same text share one code object (_CODE: many small
# mappings have the same)
_HOT = 32
_SHAPES_MAX = 32
_SEEN_MAX = 256
_CODE: Dict[str, Any] = {}
_CODE_MAX = 512


def _define(src: str, ns: Dict[str, Any], filename: str):
    """The function ``chk`` that ``src`` (generated names and fixed text
    only) defines in ``ns``, compiled once per text."""
    code = _CODE.get(src)
    if code is None:
        code = compile(src, filename, "exec")
        if len(_CODE) < _CODE_MAX:
            _CODE[src] = code
    exec(code, ns)  # noqa: S102 - generated names and fixed text only
    return ns["chk"]


def group_regular(d: dict, t: Tests) -> bool:
    """Whether every key of mapping ``d`` but the keys ``t.read`` (read and
    checked by the generated code) is declared in ``t`` and holds a regular
    value: exactly :func:`others_regular` over those keys.  A key sequence
    seen ``_HOT`` times is checked by a function compiled for it
    (:func:`_shape_checker`: the values unpacked in order, each tested
    inline, no lookup per key)."""
    sig = tuple(d)
    fn = t.shapes.get(sig)
    if fn is None:
        # (a Tests of read_values shares its readers: their values are true)
        fn = _sighted(t, sig, d, t.order is not None)
        if fn is None:
            read = t.read
            return others_regular(d, d.keys() - read if read else d.keys(), t)
    return fn(d)


def _sighted(t: "Tests", sig: tuple, d: dict, values: bool):
    """Count a sighting of key sequence ``sig`` in ``t``: the function
    compiled for it (:func:`_shape_checker`) once seen ``_HOT`` times and
    while ``t`` holds fewer than ``_SHAPES_MAX``, else None."""
    seen = t.seen
    n = seen.get(sig, 0) + 1
    if n < _HOT or len(t.shapes) >= _SHAPES_MAX:
        if n < _HOT and (n > 1 or len(seen) < _SEEN_MAX):
            seen[sig] = n
        return None
    fn = t.shapes[sig] = _shape_checker(sig, t, d, values=values)  # benign race: the same function
    seen.pop(sig, None)
    return fn


def read_values(d: dict, t: Tests):
    """The values of the keys ``t.order`` in mapping ``d`` (``t.absent``'s
    where absent) as a tuple, if every other key of ``d`` is regular by
    ``t`` (:func:`group_regular`'s test), else False or None.  A key
    sequence seen ``_HOT`` times is read by a function compiled for it
    (:func:`_shape_checker` with ``values``: the values unpacked in order,
    the keys not read tested inline, the values read returned)."""
    sig = tuple(d)
    fn = t.shapes.get(sig)
    if fn is None:
        fn = _sighted(t, sig, d, True)
        if fn is None:
            read = t.read
            if not d.keys() <= read and not others_regular(d, d.keys() - read, t):
                return None
            return tuple(map(d.get, t.order, t.absent))
    return fn(d)


def _never(d: dict) -> bool:
    return False


def _always(d: dict) -> bool:
    return True


def _shape_checker(sig: tuple, t: Tests, sample: Optional[dict] = None, values: bool = False):
    """``chk(d)``: :func:`group_regular` of a mapping whose keys are ``sig``
    in this order.  Its source holds generated names and fixed text only
    (no key, no value: keys and tests are named constants); a key neither
    read nor declared makes it ``_never``.  A sub-mapping of ``sample``
    (the mapping seen) is checked inline for the keys it has there (a
    length test and subscripts; any other keys: :func:`group_regular`).
    With ``values`` (:func:`read_values`), it returns the values of the
    keys ``t.order`` (``t.absent``'s for those not in ``sig``) instead of
    True."""
    read, bools, tests = t.read, t.bools, t.tests
    ns: Dict[str, Any] = {"_tok": text_ok, "_B": INT_BOUND, "_grp": group_regular}
    targets: List[str] = []
    conds: List[Tuple[Any, str]] = []
    subs: List[Tuple[str, Tests, Any]] = []
    got: Dict[str, str] = {}
    for i, k in enumerate(sig):
        if k in read:
            if values:
                got[k] = f"v{i}"
                targets.append(f"v{i}")
            else:
                targets.append("_")
            continue
        if k in bools:
            c: Any = _BOOL
        else:
            c = tests.get(k)
            if c is None:
                return _never
        v = f"v{i}"
        targets.append(v)
        if type(c) is Tests:
            subs.append((v, c, sample.get(k) if sample is not None else None))
        else:
            conds.append((c, v))
    if not conds and not subs and not values:
        return _always
    lines = ["def chk(d):", "    " + ", ".join(targets) + ", = d.values()"] if targets else ["def chk(d):"]
    if conds:
        lines.append("    if not (" + " and ".join(_shape_cond(c, v, ns) for c, v in conds) + "): return False")
    for v, c, smp in subs:
        _nested_check(v, c, smp, 1, 0, lines, ns)
    if values:
        ns["_A"] = ABSENT
        out = [got.get(k) or ("_A" if a is ABSENT else "None") for k, a in zip(t.order, t.absent)]
        lines.append("    return (" + ", ".join(out) + ",)")
    else:
        lines.append("    return True")
    return _define("\n".join(lines) + "\n", ns, "<safetyrules-shape>")


def _nested_check(v: str, t: Tests, sample: Any, ind: int, depth: int, lines: List[str], ns: Dict[str, Any]) -> None:
    """Lines returning False unless local ``v`` is a non-empty mapping
    regular by ``t``: inline for the keys of ``sample`` (all declared, a
    few, not too deep), else by :func:`group_regular`."""
    pad = "    " * ind
    k_t = f"_k{len(ns)}"
    ns[k_t] = t
    generic = f"len({v}) == 0 or not _grp({v}, {k_t})"
    keys = list(sample) if type(sample) is dict else []
    if (not keys or depth >= 3 or len(keys) > 24 or t.read
            or any(k not in t.bools and k not in t.tests for k in keys)):
        lines.append(f"{pad}if type({v}) is not dict or {generic}: return False")
        return
    ok = f"ok{len(ns)}"
    names = []
    for k in keys:
        kn = f"_k{len(ns)}"
        ns[kn] = k
        names.append((f"{v}_{len(names)}", kn, k))
    lines.append(f"{pad}if type({v}) is not dict: return False")
    lines.append(f"{pad}{ok} = False")
    lines.append(f"{pad}if len({v}) == {len(keys)}:")
    lines.append(f"{pad}    try:")
    for n, kn, _ in names:
        lines.append(f"{pad}        {n} = {v}[{kn}]")
    lines.append(f"{pad}        {ok} = True")
    lines.append(f"{pad}    except KeyError: pass")
    lines.append(f"{pad}if {ok}:")
    conds = []
    subs = []
    for n, _, k in names:
        c = _BOOL if k in t.bools else t.tests[k]
        if type(c) is Tests:
            subs.append((n, c, sample[k]))
        else:
            conds.append((c, n))
    if conds:
        lines.append(f"{pad}    if not (" + " and ".join(_shape_cond(c, v, ns) for c, v in conds) + "): return False")
    for n, c, smp in subs:
        _nested_check(n, c, smp, ind + 1, depth + 1, lines, ns)
    if not conds and not subs:
        lines.append(f"{pad}    pass")
    lines.append(f"{pad}elif {generic}: return False")


def _shape_cond(c: Any, v: str, ns: Dict[str, Any]) -> str:
    """The test ``c`` (as :func:`others_regular` takes it) of local ``v``
    as a bool expression."""
    tc = type(c)
    if tc is int:
        if c == _BOOL:
            return f"({v} is False or {v} is True or {v} is None)"  # (the common values first)
        if c == _TEXT:
            return f"({v} is None or (type({v}) is str and ({v}.isascii() or {v}.isprintable() or _tok({v}))))"
        lo = "0 <=" if c == _INT0 or c == _NUM0 else "-_B <"
        num = f"({v} is None or (type({v}) is int and {lo} {v} < _B)"
        if c == _INT or c == _INT0:
            return num + ")"
        return num + f" or (type({v}) is float and not {v} - {v}{f' and {v} >= 0' if c == _NUM0 else ''}))"
    name = f"_k{len(ns)}"
    if tc is Tests:  # (the shape checkers test sub-mappings by _nested_check)
        ns[name] = c
        return f"(type({v}) is dict and len({v}) != 0 and _grp({v}, {name}))"
    if tc is ItemTests:
        ns[name] = items_checker(c.fields)
        return f"({v} is None or (type({v}) is list and (not {v} or {name}({v}))))"  # (an empty list: no call)
    if tc is frozenset:
        # an unhashable item raises TypeError: the program gives up
        ns[name] = c
        return f"({v} is None or (type({v}) is list and {name}.issuperset({v})))"
    bounds = getattr(c, "bounds", None)
    if bounds is not None:  # an integer or number with bounds (leaf_validator's test, inline)
        t, lo, hi = bounds
        ns[name] = c
        bnd = ""
        if lo is not None:
            ns[name + "l"] = lo
            bnd += f" and not {v} < {name}l"
        if hi is not None:
            ns[name + "h"] = hi
            bnd += f" and not {v} > {name}h"
        num = f"({v} is None or (type({v}) is int and -_B < {v} < _B{bnd})"
        if t == "integer":
            return num + ")"
        return num + f" or (type({v}) is float and not {v} - {v}{bnd}))"
    owner = getattr(c, "__self__", None)
    if type(owner) is frozenset and getattr(c, "__name__", None) == "__contains__":
        # an enum's values (None among them); an unhashable value raises TypeError: the program gives up
        ns[name] = owner
        return f"({v} in {name})"
    ns[name] = c
    return f"(not not {name}({v}))"


def _scalar_regular(c: int, x: Any) -> bool:
    """Whether ``x`` (not None) is regular for the code ``c``."""
    tx = type(x)
    if c == _TEXT:
        if tx is not str:
            return False
        if not x.isascii() and not x.isprintable() and not text_ok(x):  # a lone surrogate
            return False
        return True
    if c == _BOOL:
        return x is True or x is False
    if tx is int:
        return -_B < x < _B and (x >= 0 or c == _INT or c == _NUM)
    if tx is float and (c == _NUM or c == _NUM0):
        return not (x - x) and (x >= 0 or c == _NUM)
    return False


class ItemFields(dict):
    """Field → test of a list's items (:func:`item_tests`), and the
    checker compiled for them on first use (:func:`_items_checker`)."""

    __slots__ = ("chk",)

    def __init__(self, fields: Dict[str, Any]) -> None:
        super().__init__(fields)
        self.chk = None


def items_regular(items: list, fields) -> bool:
    """Whether every item of a list is a dict of declared scalar fields
    with regular values (tests as :func:`others_regular`'s).  With
    :class:`ItemFields`, by the checker compiled for them (the same tests,
    each field's inline)."""
    if type(fields) is ItemFields:
        chk = fields.chk
        if chk is None:
            chk = fields.chk = _items_checker(fields)  # benign race: the same checker
        return chk(items)
    for it in items:
        if type(it) is not dict:
            return False
        for k, x in it.items():
            c = fields.get(k)
            if c is None:
                return False
            if x is None:
                continue
            if c == _BOOL:
                if x is not True and x is not False:
                    return False
            elif type(c) is int:  # (_scalar_regular, inline)
                tx = type(x)
                if c == _TEXT:
                    if tx is not str:
                        return False
                    if not x.isascii() and not x.isprintable() and not text_ok(x):  # a lone surrogate
                        return False
                elif tx is int:
                    if not -_B < x < _B or (x < 0 and (c == _INT0 or c == _NUM0)):
                        return False
                elif tx is not float or (c != _NUM and c != _NUM0) or x - x or (x < 0 and c == _NUM0):
                    return False
            elif not c(x):
                return False
    return True


def items_checker(fields):
    """``chk(items)``: :func:`items_regular` over ``fields`` as one
    function (the checker compiled for :class:`ItemFields`), for generated
    code to call directly."""
    if type(fields) is ItemFields:
        chk = fields.chk
        if chk is None:
            chk = fields.chk = _items_checker(fields)  # benign race: the same checker
        return chk
    return lambda items: items_regular(items, fields)


def _items_checker(fields: Dict[str, Any]):
    """``chk(items)``: :func:`items_regular` over ``fields``, compiled: per
    item, its values unpacked in order when its keys are the declared
    fields in their declared order (the common item: one tuple test), else
    its keys against the declared fields (one set test) and each declared
    field's value by ``.get`` (absent is None); then each value tested
    inline.  The source holds generated names and fixed text only (field
    names and tests are named constants)."""
    ns: Dict[str, Any] = {"_tok": text_ok, "_B": INT_BOUND, "_F": frozenset(fields), "_K": tuple(fields)}
    if not fields:
        return _define("def chk(items):\n    for it in items:\n"
                       "        if type(it) is not dict or it: return False\n    return True\n", ns, "<safetyrules-items>")
    names = [f"x{i}" for i in range(len(fields))]
    lines = ["def chk(items):", "    for it in items:",
             "        if type(it) is not dict: return False",
             "        if tuple(it) == _K:",
             "            " + ", ".join(names) + ", = it.values()",
             "        elif it.keys() <= _F:"]
    conds = []
    for i, (k, c) in enumerate(fields.items()):
        ns[f"_f{i}"] = k
        lines.append(f"            x{i} = it.get(_f{i})")
        conds.append(_shape_cond(c, f"x{i}", ns))
    lines.append("        else: return False")
    lines.append("        if not (" + " and ".join(conds) + "): return False")
    lines.append("    return True")
    return _define("\n".join(lines) + "\n", ns, "<safetyrules-items>")


NAN = _NAN = float("nan")  # the unknown number (one object: the generated code's _NAN too)
# the read codes of :class:`GroupRead`
_R_BOOL, _R_TEXT, _R_INT, _R_NUM, _R_ENUM, _R_DATE, _R_LIST = 1, 2, 3, 4, 5, 6, 7


class GroupRead:
    """How :func:`read_group` reads one mapping: the facts the program
    reads there (``leaves``: (key, spec), in its order), the keys of the
    sub-mappings it reads (``subs``), and the regularity tests of every
    other key (``tests``, as :func:`others_regular`'s).

    ``spec`` maps each declared key to ``(slot, code, argument)``: a read
    fact's slot in the result, a sub-mapping's slot (code 0), or slot -1 for
    a key only tested; ``unknown`` is the result of an empty mapping."""

    __slots__ = ("spec", "unknown", "n_leaves", "tests")

    def __init__(self, leaves: List[Tuple[str, FactSpec]], subs: List[str], tests: "Tests") -> None:
        self.tests = tests
        spec: Dict[str, Tuple[int, int, Any]] = {}
        for key in tests.bools:
            spec[key] = (-1, _BOOL, None)
        for key, test in tests.tests.items():
            spec[key] = (-1, 0, test)
        unknown: List[Any] = []
        for slot, (key, fs) in enumerate(leaves):
            t = fs.type
            if t == "bool":
                entry: Tuple[int, int, Any] = (slot, _R_BOOL, None)
            elif t == "string":
                entry = (slot, _R_TEXT, None)
            elif t in ("integer", "number"):
                bounds = None if fs.min is None and fs.max is None else (fs.min, fs.max)
                entry = (slot, _R_INT if t == "integer" else _R_NUM, bounds)
            elif t == "enum":
                entry = (slot, _R_ENUM, frozenset(fs.values or ()))
            elif t == "date":
                entry = (slot, _R_DATE, None)
            elif t == "list":
                if not fs.item and fs.values:
                    entry = (slot, _R_LIST, item_validator(fs))
                else:
                    fields = item_tests(fs)
                    entry = (slot, _R_LIST, lambda x, fields=fields: items_regular(x, fields))
            else:  # pragma: no cover - the vocabulary schema has no other types
                entry = (slot, -1, None)
            spec[key] = entry
            unknown.append(_NAN if t in ("integer", "number") else None)
        for key in subs:
            spec[key] = (len(unknown), 0, None)
            unknown.append(ABSENT)
        self.n_leaves = len(leaves)
        unknown.append(not leaves)  # the known flag: every fact read there given
        self.spec = spec
        self.unknown = unknown


def read_group(d: dict, r: GroupRead) -> Optional[list]:
    """The values of the facts ``r`` reads in mapping ``d`` (checked exactly
    as :meth:`Reader.check` checks them inline: unknown numbers NaN, other
    unknowns None, dates as text converted), then each sub-mapping read
    (or ``ABSENT``), then the group's known flag; None where ``d`` is not
    regular (an undeclared key, an irregular value, read or not; every
    other key tested as :func:`others_regular` does).  One pass over the
    keys present.  A date that is no ISO date raises ValueError, an
    unhashable enum value TypeError: the program gives up."""
    out = r.unknown[:]
    spec = r.spec
    n = 0
    for key, x in d.items():
        e = spec.get(key)
        if e is None:
            return None
        slot, c, a = e
        if slot < 0:  # a key the program does not read: tested only
            if c == _BOOL:
                if x is True or x is False or x is None:
                    continue
                return None
            if not others_regular(d, (key,), r.tests):
                return None
            continue
        if c == 0:  # a sub-mapping: the generated code reads it
            out[slot] = x
            continue
        if x is None:
            continue
        if c == _R_BOOL:
            if x is not True and x is not False:
                return None
        elif c == _R_ENUM:
            if x not in a:
                return None
        elif c == _R_TEXT:
            if type(x) is not str or (not x.isascii() and not x.isprintable() and not text_ok(x)):
                return None
        elif c == _R_INT or c == _R_NUM:
            tx = type(x)
            if tx is int:
                if not -_B < x < _B:
                    return None
            elif tx is not float or c == _R_INT or x - x:  # NaN or infinite
                return None
            if a is not None and ((a[0] is not None and x < a[0]) or (a[1] is not None and x > a[1])):
                return None
        elif c == _R_LIST:
            if type(x) is not list or not a(x):
                return None
        elif c == _R_DATE:
            tx = type(x)
            if tx is str:
                x = _fromiso(x)
            elif tx is not datetime.date:
                return None
        else:  # pragma: no cover
            return None
        out[slot] = x
        n += 1
    if n:
        out[-1] = n == r.n_leaves
    return out


_fromiso = parse_date


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "_ABSENT"


ABSENT = _Absent()  # a sub-mapping not given (the generated code's _ABSENT)


def leaf_validator(spec: FactSpec, item: bool = False):
    """The regularity test of one input fact (or, ``item``, one field of a
    list item): a code of :func:`others_regular` or a function.  Exactly
    what the reading code takes as is; None is unknown and regular;
    anything else (a value the reference would convert or refuse) is not."""
    t = spec.type
    lo, hi = spec.min, spec.max
    if t == "bool":
        return _BOOL
    if t == "string":
        return _TEXT
    if t in ("integer", "number") and hi is None and (lo is None or (lo == 0 and type(lo) in (int, float))):
        if lo is None:
            return _INT if t == "integer" else _NUM
        return _INT0 if t == "integer" else _NUM0

    def bounded(x) -> bool:
        return (lo is None or not x < lo) and (hi is None or not x > hi)

    if t == "integer":
        def integer(x) -> bool:
            return x is None or (type(x) is int and -INT_BOUND < x < INT_BOUND and bounded(x))
        integer.bounds = (t, lo, hi)  # (for the compiled checkers: the same test inline, _shape_cond)
        return integer
    if t == "number":
        def number(x) -> bool:
            tx = type(x)
            if tx is int:
                return -INT_BOUND < x < INT_BOUND and bounded(x)
            if tx is float:
                return not (x - x) and bounded(x)
            return x is None
        number.bounds = (t, lo, hi)
        return number
    if t == "enum":
        # None (unknown) in the set; an unhashable value raises TypeError: the program gives up
        return frozenset(tuple(spec.values or ()) + (None,)).__contains__
    if t == "date":
        if item:  # dates as text in list items: the reference converts them
            return lambda x: x is None or type(x) is datetime.date

        def date(x) -> bool:
            tx = type(x)
            if tx is str:
                try:
                    parse_date(x)
                except ValueError:
                    return False
                return True
            return x is None or tx is datetime.date
        return date
    if t == "list" and not item:
        if not spec.item and spec.values:
            return frozenset(spec.values)
        return ItemTests(item_tests(spec))
    return lambda x: x is None  # pragma: no cover - the vocabulary schema has no other types


def item_validator(spec: FactSpec):
    """The regularity test of a list's items, as :meth:`Reader.check`
    takes them: plain strings of the values (a list of enum values), or
    dicts of declared scalar fields (None is unknown; a nested mapping or
    list, or a date as text, is not regular)."""
    if not spec.item and spec.values:
        # an unhashable item raises TypeError: the program gives up
        return frozenset(spec.values).issuperset
    fields = item_tests(spec)
    return lambda items: items_regular(items, fields)


def item_tests(spec: FactSpec) -> Dict[str, Any]:
    """Field → test of a list's items (scalar fields only: a nested
    mapping or list in an item is not regular)."""
    return ItemFields({k: leaf_validator(fs, item=True) for k, fs in (spec.item or {}).items() if fs.type in _SCALARS})
