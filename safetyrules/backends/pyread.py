"""Generated fact reading: the input read once, checked inline, into locals.

The generated program reads every declared input fact of the plan from the
entity's mapping, nested (``{"entity": {"sector": ...}}``) or with dotted
names at top level (``{"entity.sector": ...}``), in the order of the fact
path trie, into one local each, with the type check inline.  A group
mapping holding all its keys is read with subscripts; otherwise with
``.get``.  Each group has a *known flag*: true when every fact directly in
it is present and not None.  Unknown numbers are NaN (so comparisons are
plain and false), other unknowns None.

Anything the reference fact check would convert or refuse (an undeclared or
reserved name, a wrong type, a non-finite number, a value out of range, a
whole float for an integer, ``{}`` or None where a group belongs, a list
item with a None or nested field, a given table output, mixed nesting)
makes the reader give up (``break`` out of the reading block).  Input
that mixes nested and dotted names is flattened (:func:`flatten_input`) and
read again by full names; if that fails too, the program returns None: the engine then runs the reference path, so errors
and conversions stay exactly its own.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from safetyrules.dsl.types import FactSpec
from safetyrules.limits import INT_BOUND, text_ok

__all__ = ["Trie", "build_trie", "Reader", "flatten_input"]


def flatten_input(facts: dict) -> Optional[dict]:
    """Nested mappings → one mapping of dotted names (lists kept as they
    are), or None where the reference flattening would differ or refuse
    (a name given twice, a non-text key, an empty or non-dict mapping)."""
    out: dict = {}
    stack = [("", facts)]
    while stack:
        prefix, d = stack.pop()
        for k, v in d.items():
            if type(k) is not str:
                return None
            key = prefix + k
            if type(v) is dict:
                if not v:
                    return None
                stack.append((key + ".", v))
            elif key in out:
                return None
            else:
                out[key] = v
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

    def __init__(self, gen, locals_: Dict[str, str], flags: Dict[str, str]) -> None:
        self.gen = gen
        self.locals = locals_  # full fact name -> local
        self.flags = flags  # group path -> known-flag local
        self.group_of: Dict[str, str] = {}  # full fact name -> group path

    # -- layout-independent parts ----------------------------------------
    def unknown(self, spec: FactSpec) -> str:
        return "_NAN" if spec.type in ("integer", "number") else "None"

    def check(self, ind: int, v: str, spec: FactSpec, flag: Optional[str], fail: str) -> None:
        """Check local ``v`` (read as is; None = unknown) in place."""
        g = self.gen
        t = spec.type
        unk = f"{v} = {self.unknown(spec)}; {flag} = False" if flag else f"{v} = {self.unknown(spec)}"
        if t == "bool":
            g.emit(ind, f"if {v} is not True and {v} is not False:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
        elif t in ("integer", "number"):
            g.emit(ind, f"_t = type({v})")
            if t == "number":
                g.emit(ind, f"if _t is float:")
                g.emit(ind + 1, f"if {v} - {v}: {fail}")  # NaN or infinite
                g.emit(ind, f"elif _t is not int:")
            else:
                g.emit(ind, f"if _t is not int:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
            # integers past the documented bound are the reference path's to refuse
            big = g.const(INT_BOUND)
            g.emit(ind, f"elif _t is int and ({v} >= {big} or {v} <= -{big}): {fail}")
            bounds = []
            if spec.min is not None:
                bounds.append(f"{v} < {g.literal(spec.min)}")
            if spec.max is not None:
                bounds.append(f"{v} > {g.literal(spec.max)}")
            if bounds:
                # NaN (unknown) compares false, so only known values are refused
                g.emit(ind, f"if {' or '.join(bounds)}: {fail}")
        elif t == "string":
            g.emit(ind, f"if type({v}) is not str:")
            g.emit(ind + 1, f"if {v} is None: {unk}")
            g.emit(ind + 1, f"else: {fail}")
            # lone surrogates could not be written out: the reference refuses them
            g.emit(ind, f"elif not {v}.isascii() and not {g.const(text_ok)}({v}): {fail}")
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
            checker = self.list_checker(spec)
            g.emit(ind, f"if {v} is None: {unk}")
            g.emit(ind, f"elif type({v}) is not list or not {checker}({v}): {fail}")
        else:  # pragma: no cover - the vocabulary schema has no other types
            g.emit(ind, f"if {v} is not None: {fail}")
            if flag:
                g.emit(ind, f"{flag} = False")

    def list_checker(self, spec: FactSpec) -> str:
        """A generated function: True when every item is a plain mapping of
        declared, already-normal, non-None fields."""
        g = self.gen
        name = g.tmp("_list")
        if not spec.item and spec.values:
            # a list of enum values (entity.activities): plain strings
            values = g.const(frozenset(spec.values))
            g.helper(f"def {name}(items):\n    for x in items:\n        if x not in {values}: return False\n"
                     "    return True\n")
            return name
        lines = [f"def {name}(items):", "    for it in items:", "        if type(it) is not dict: return False",
                 "        for k, x in it.items():"]
        fields = spec.item or {}
        first = True
        for k, fs in fields.items():
            if fs.type not in _SCALARS:
                continue
            lines.append(f"            {'if' if first else 'elif'} k == {k!r}:")
            first = False
            lines.extend("                " + s for s in _item_check(fs, g))
        lines.append("            else: return False" if not first else "            return False")
        lines.append("    return True")
        g.helper("\n".join(lines) + "\n")
        return name

    # -- one layout ----------------------------------------------------------
    def read(self, trie: Trie, ind: int, fail: str) -> None:
        """Read the top-level mapping ``f`` by ``trie``; ``fail`` is the
        statement that gives up."""
        self.group(trie, "f", ind, fail)

    def _leaf_locals(self, trie: Trie) -> List[Tuple[str, str, FactSpec]]:
        out = []
        for key, (full, spec) in trie.leaves.items():
            out.append((key, self.locals[full], spec))
            self.group_of[full] = trie.path
        return out

    def group(self, trie: Trie, d: str, ind: int, fail: str) -> None:
        """Read mapping local ``d`` (known to be a non-empty dict)."""
        g = self.gen
        flag = self.flags.setdefault(trie.path, g.tmp("k"))
        leaves = self._leaf_locals(trie)
        subs = [(k, g.tmp("g"), sub) for k, sub in trie.groups.items()]
        n = len(leaves) + len(subs)
        conflicts = trie.conflict
        # complete: every key present (len equal and every subscript found)
        g.emit(ind, f"if len({d}) == {n}:")
        if n == 0:
            g.emit(ind + 1, fail)
        else:
            g.emit(ind + 1, f"{flag} = True")
            for key, v, _ in leaves:
                g.emit(ind + 1, f"{v} = {d}[{key!r}]")
            for key, gv, _ in subs:
                g.emit(ind + 1, f"{gv} = {d}[{key!r}]")
        g.emit(ind, "else:")
        g.emit(ind + 1, f"{flag} = False")
        g.emit(ind + 1, "_n = 0")
        for key, v, spec in leaves:
            g.emit(ind + 1, f"{v} = {d}.get({key!r}, _ABSENT)")
            g.emit(ind + 1, f"if {v} is _ABSENT: {v} = None")
            g.emit(ind + 1, "else: _n += 1")
        for key, gv, _ in subs:
            g.emit(ind + 1, f"{gv} = {d}.get({key!r}, _ABSENT)")
            g.emit(ind + 1, f"if {gv} is not _ABSENT: _n += 1")
        for key in conflicts:
            g.emit(ind + 1, f"if {key!r} in {d}: {fail}")
        # a key left over is undeclared, dotted, reserved or a given output
        g.emit(ind + 1, f"if _n != len({d}): {fail}")
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
        flag = self.flags.setdefault(trie.path, g.tmp("k"))
        g.emit(ind, f"{flag} = False")
        for key, v, spec in self._leaf_locals(trie):
            g.emit(ind, f"{v} = {self.unknown(spec)}")
        for sub in trie.groups.values():
            self.absent(sub, ind)


def _item_check(fs: FactSpec, g) -> List[str]:
    return ["if x is None: continue"] + _item_type_check(fs, g)


def _item_type_check(fs: FactSpec, g) -> List[str]:
    t = fs.type
    if t == "bool":
        return ["if x is not True and x is not False: return False"]
    big = g.const(INT_BOUND)
    if t == "integer":
        out = ["if type(x) is not int: return False", f"if x >= {big} or x <= -{big}: return False"]
    elif t == "number":
        out = ["_t = type(x)", "if _t is float:", "    if x - x: return False", "elif _t is not int: return False",
               f"elif x >= {big} or x <= -{big}: return False"]
    elif t == "string":
        return ["if type(x) is not str: return False", f"if not x.isascii() and not {g.const(text_ok)}(x): return False"]
    elif t == "enum":
        return [f"if x not in {g.const(frozenset(fs.values or ()))}: return False"]
    else:  # dates as text need converting: the reference path does that
        return ["if type(x) is not _date: return False"]
    if fs.min is not None:
        out.append(f"if x < {g.literal(fs.min)}: return False")
    if fs.max is not None:
        out.append(f"if x > {g.literal(fs.max)}: return False")
    return out
