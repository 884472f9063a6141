"""Generated conditions: Kleene logic as two plain Python expressions.

Each boolean node becomes ``T`` ("definitely true") and ``F`` ("definitely
false"), with negation pushed to the atoms: ``x > 3`` is T ``x > 3`` and F
``x <= 3``, both false when ``x`` is unknown (NaN); ``b`` is T ``b is
True`` and F ``b is False``; ``and`` is T ``T1 and T2``, F ``F1 or F2``.
A node is unknown where neither holds.  Numbers are plain expressions with
NaN for unknown.

List quantifiers (``any``, ``all``, ``count``, ``sum``) over a list fact,
a collect output or a list literal, ``x in`` such a list and ``len`` are
inlined: a loop into a temporary before the condition, with the compiled
evaluator's Kleene semantics (items may lack fields: unknown).  Nodes
outside this simple, typed core (``at_least``, ``min``, ``max``, ``days``,
untyped nodes, a loop body that is not simple) are computed into a
temporary by the DSL's compiled evaluator, which defines their semantics,
over the locals they read.

Temporaries are computed before the condition, but each operand of an
``and`` / ``or`` only where the reference evaluates it (no earlier operand
false, or true), and a loop stops where the reference's does: so the
program divides wherever the reference divides (and perhaps more).  A
division by zero with a known dividend gives up (``python._div``), so the
reference path adds its warning; in a table's rows it is noted instead
(``python._divz``) and the program adds the warnings the reference's rows
give for the same facts (``python._TableWarnings``), so the record stays
on the generated path.  An error the reference meets is
always met (the program then gives up too).

Only checked values reach the source: numbers and strings through
``repr``, anything else as a named constant; identifiers are generated.
"""

from __future__ import annotations

import keyword
from typing import Any, Dict, List, Optional

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.dsl import evaluator
from safetyrules.dsl import runtime as R

__all__ = ["CondGen", "NotSimple"]

_SIMPLE = ("number", "string", "date", "bool")
_CONST = (A.Number, A.String, A.Boolean, A.Date)
_NEG = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_CMP = ("==", "!=", "<", "<=", ">", ">=")
_ARITH = ("+", "-", "*")


class NotSimple(Exception):
    """Internal: the node is not in the simple core."""


def _kind(node: A.Node) -> Optional[str]:
    ty = node.ty
    if ty is None or ty.kind == "any":
        return None
    return ty.kind


class CondGen:
    """Emits the statements and expressions of conditions into ``gen``.

    ``value_of(path)`` gives the local holding a fact or table output (and
    its representation: ``"nan"`` for numbers, ``"none"`` otherwise)."""

    def __init__(self, gen, value_of) -> None:
        self.gen = gen
        self.value_of = value_of
        self.pre: List[str] = []  # statements of the current condition unit
        self.complex = False  # the current unit has a temporary (never all-known)
        # quantifiers being inlined: bound name -> (item local, element type)
        self.bound: Dict[str, Any] = {}
        self.loads: Dict[str, str] = {}  # field loads of the innermost loop body
        self.loop = 0  # depth of inlined quantifier loops (no temporaries inside)
        # a table's rows: a zero divisor with a known dividend is noted in
        # ``_z`` (``python._divz``) and the reference's warnings of the table
        # added after its rows; elsewhere (``_div``) the program gives up
        self.div_note = False
        self.divided = False  # a division with a computed divisor was met (table rows)

    # -- units ---------------------------------------------------------------
    def begin(self) -> None:
        """Start a unit (one clause, one applies_when, one table)."""
        self.pre = []
        self.complex = False

    def flush(self, ind: int) -> None:
        """Emit the unit's eager statements (temporaries, divisions)."""
        for line in self.pre:
            self.gen.emit(ind, line)
        self.pre = []

    # -- boolean: T and F ------------------------------------------------------
    def unit_tf(self, node: A.Node):
        """``(T, F)`` of a whole condition (a row, a clause, an
        ``applies_when``).  Divisions are computed eagerly (:func:`_div`):
        every division the reference makes is made, and a zero divisor with
        a known dividend gives up, so the reference path adds the warning."""
        # (a unit with a division is complex: num() marks it where it meets
        # one; a division num() does not meet is under a temporary, complex too)
        return self.tf(node)

    def tf(self, node: A.Node):
        """``(T, F)`` Python expressions for a boolean node."""
        try:
            return self._tf(node)
        except NotSimple:
            t = self.temp(node)
            return f"({t} is True)", f"({t} is False)"

    def _tf(self, node: A.Node):
        if _kind(node) != "bool":
            raise NotSimple
        if isinstance(node, A.Boolean):
            return ("True", "False") if node.value else ("False", "True")
        if isinstance(node, A.Path):
            v, rep = self._path(node)
            return f"({v} is True)", f"({v} is False)"
        if isinstance(node, A.Not):
            t, f = self.tf(node.operand)
            return f, t
        if isinstance(node, (A.And, A.Or)):
            parts = self._junction(node)
            ts = [p[0] for p in parts]
            fs = [p[1] for p in parts]
            if isinstance(node, A.And):
                return "(" + " and ".join(ts) + ")", "(" + " or ".join(fs) + ")"
            return "(" + " or ".join(ts) + ")", "(" + " and ".join(fs) + ")"
        if isinstance(node, A.Compare):
            return self._compare(node)
        if isinstance(node, A.Quantifier) and node.kind in ("any", "all"):
            q = self._quantifier(node)
            return f"({q} is True)", f"({q} is False)"
        if isinstance(node, A.Call) and node.name == "known" and len(node.args) == 1 and isinstance(
            node.args[0], A.Path
        ):
            v, rep = self._path(node.args[0])
            known = f"({v} == {v})" if rep == "nan" else f"({v} is not None)"
            unknown = f"({v} != {v})" if rep == "nan" else f"({v} is None)"
            return known, unknown
        raise NotSimple

    def _junction(self, node):
        """``(T, F)`` of each operand of an and / or, with the statements
        each needs run only where the reference evaluates that operand
        (no earlier operand false for and, true for or): the same stops,
        so the same divisions.  Locals an operand's statements define are
        read only under its guard (T and F short-circuit the same way), and
        field loads are not shared across operands."""
        out = []
        guard: List[str] = []
        is_and = isinstance(node, A.And)
        for o in node.operands:
            saved, saved_loads = self.pre, self.loads
            self.pre, self.loads = [], dict(saved_loads)
            try:
                t, f = self.tf(o)
                lines = self.pre
            finally:
                self.pre, self.loads = saved, saved_loads
            if lines and guard:
                self.pre.append(f"if not ({' or '.join(guard)}):")
                self.pre.extend("    " + line for line in lines)
            else:
                self.pre.extend(lines)
            guard.append(f if is_and else t)
            out.append((t, f))
        return out

    def _compare(self, node: A.Compare):
        op = node.op
        lk, rk = _kind(node.left), _kind(node.right)
        if op in ("in", "not in") and isinstance(node.right, A.Path) and lk == "string" and rk == "list":
            # membership in a list fact or a collect output of text values
            elem = _elem(node.right)
            if elem is None or elem.kind != "string":
                raise NotSimple
            lv, lrep = self._path(node.right)
            if lrep != "none":
                raise NotSimple
            x = self.scalar(node.left)
            self.complex = True
            if isinstance(node.left, _CONST):
                t, f = f"({lv} is not None and {x} in {lv})", f"({lv} is not None and {x} not in {lv})"
            else:
                t = f"({lv} is not None and {x} is not None and {x} in {lv})"
                f = f"({lv} is not None and {x} is not None and {x} not in {lv})"
            return (t, f) if op == "in" else (f, t)
        if op in ("in", "not in"):
            right = node.right
            if lk not in _SIMPLE or not isinstance(right, A.ListLit) or not all(
                isinstance(i, _CONST) for i in right.items
            ):
                raise NotSimple
            values = [_const_value(i) for i in right.items]
            if not {R.kind_of(v) for v in values} <= {lk}:
                raise NotSimple
            s = self.gen.const(frozenset(values))
            if lk == "number":
                x = self.num(node.left)
                t, f = f"({x} in {s})", f"({x} == {x} and {x} not in {s})"
            else:
                x = self.scalar(node.left)
                t, f = f"({x} in {s})", f"({x} is not None and {x} not in {s})"
            return (t, f) if op == "in" else (f, t)
        if op not in _CMP or lk is None or lk != rk or lk not in _SIMPLE:
            raise NotSimple
        if lk == "bool" and op not in ("==", "!="):
            raise NotSimple
        if lk == "number":
            a, b = self.num(node.left), self.num(node.right)
            if op == "==":
                return f"({a} == {b})", f"({a} < {b} or {a} > {b})"
            if op == "!=":
                return f"({a} < {b} or {a} > {b})", f"({a} == {b})"
            return f"({a} {op} {b})", f"({a} {_NEG[op]} {b})"
        a, b = self.scalar(node.left), self.scalar(node.right)
        guard = [f"{x} is not None" for n, x in ((node.left, a), (node.right, b)) if not isinstance(n, _CONST)]
        g = " and ".join(guard) + " and " if guard else ""
        one_const = isinstance(node.left, _CONST) or isinstance(node.right, _CONST)
        if one_const and op in ("==", "!="):
            # None == 'a' is already false: only the unequal side needs the guard
            eq, ne = f"({a} == {b})", f"({g}{a} != {b})"
            return (eq, ne) if op == "==" else (ne, eq)
        return f"({g}{a} {op} {b})", f"({g}{a} {_NEG[op]} {b})"

    # -- values ----------------------------------------------------------------
    def _path(self, node: A.Path):
        b = self.bound.get(node.head)
        if b is not None:
            return self._bound(node, b)
        got = self.value_of(node.name)
        if got is None:
            raise NotSimple
        return got

    def _bound(self, node: A.Path, b):
        """A quantifier's bound name (an item) or one of its fields, loaded
        once per loop body; numbers NaN when unknown."""
        item, elem, may_be_none = b
        kind = _kind(node)
        if kind not in _SIMPLE:
            raise NotSimple
        key = node.name
        got = self.loads.get(key)
        if got is not None:
            return got
        if node.rest is None:
            if elem.kind == "record" or elem.kind != kind:
                raise NotSimple
            if kind != "number":
                return item, "none"
            if not may_be_none:
                return item, "nan"
            v = self.gen.tmp("x")
            self.pre.append(f"{v} = _NAN if {item} is None else {item}")
        else:
            if elem.kind != "record":
                raise NotSimple
            v = self.gen.tmp("x")
            # checked items: a field absent or None is unknown
            self.pre.append(f"{v} = {item}.get({node.rest!r})")
            if kind == "number":
                self.pre.append(f"if {v} is None: {v} = _NAN")
        got = (v, "nan" if kind == "number" else "none")
        self.loads[key] = got
        return got

    # -- quantifiers inlined as loops -------------------------------------------
    def _quantifier(self, node: A.Quantifier) -> str:
        """A local holding ``node``'s value (any / all: True, False or None;
        count / sum: a number, NaN when unknown), computed by a loop in the
        unit's statements.  Kleene semantics as the DSL's compiled
        evaluator: any stops at the first true item, all at the first false,
        an unknown item makes the result unknown unless a later one stops;
        count and sum are unknown when an item is."""
        kind = node.kind
        elem = _elem(node.source)
        if elem is None or kind not in ("any", "all", "count", "sum") or not isinstance(node.var, str):
            raise NotSimple
        if kind in ("any", "all", "count") and _kind(node.body) != "bool":
            raise NotSimple
        if kind == "sum" and _kind(node.body) != "number":
            raise NotSimple
        src = node.source
        if isinstance(src, A.Path):
            lv, rep = self._path(src)
            if rep != "none":
                raise NotSimple
            may_be_none = False  # checked list items are never None
            head = [f"if {lv} is None: " + "{q} = " + ("None" if kind in ("any", "all") else "_NAN"), "else:"]
        elif isinstance(src, A.ListLit):
            if elem.kind not in _SIMPLE:
                raise NotSimple
            if not all(_kind(i) == elem.kind for i in src.items):
                raise NotSimple
            parts = [self.num(i) if elem.kind == "number" else self.scalar(i) for i in src.items]
            lv = "(" + "".join(p + ", " for p in parts) + ")"
            may_be_none = elem.kind != "number"  # unknown numbers are NaN already
            head = ["if True:"]
        else:
            raise NotSimple
        q = self.gen.tmp("q")
        it = self.gen.tmp("it")
        u = self.gen.tmp("u")  # count / sum: an item was unknown
        one = isinstance(src, A.ListLit) and len(src.items) == 1
        if one and parts[0].isidentifier() and not keyword.iskeyword(parts[0]):
            it = parts[0]  # one item held by a local (or a constant): the body reads it directly
        saved = (self.pre, self.loads, dict(self.bound))
        self.pre, self.loads = [], {}
        self.bound[node.var] = (it, elem, may_be_none and elem.kind != "number")
        self.loop += 1
        try:
            if kind == "sum":
                b = self.num(node.body)
            else:
                bt, bf = self.tf(node.body)
            body = self.pre
        finally:
            self.loop -= 1
            self.pre, self.loads = saved[0], saved[1]
            self.bound = saved[2]
        self.complex = True
        pre = self.pre
        if one:
            # one item: the loop's one pass as straight-line code
            if it != parts[0]:
                pre.append(f"{it} = {parts[0]}")
            pre.extend(body)
            if kind == "any":
                pre.append(f"{q} = True if {bt} else (False if {bf} else None)")
            elif kind == "all":
                pre.append(f"{q} = False if {bf} else (True if {bt} else None)")
            elif kind == "count":
                pre.append(f"{q} = 1 if {bt} else (0 if {bf} else _NAN)")
            else:
                pre.append(f"{u}b = {b}")
                pre.append(f"{q} = _NAN if {u}b != {u}b else 0 + {u}b")
            return q
        pre.append(head[0].format(q=q))
        if len(head) > 1:
            pre.append(head[1])
        ind = "    "
        start = {"any": "False", "all": "True", "count": "0", "sum": "0"}[kind]
        pre.append(f"{ind}{q} = {start}")
        if kind in ("count", "sum"):
            pre.append(f"{ind}{u} = False")
        pre.append(f"{ind}for {it} in {lv}:")
        pre.extend(ind * 2 + line for line in body)
        if kind == "any":
            pre.append(f"{ind * 2}if {bt}:")
            pre.append(f"{ind * 3}{q} = True")
            pre.append(f"{ind * 3}break")
            pre.append(f"{ind * 2}if not {bf}: {q} = None")
        elif kind == "all":
            pre.append(f"{ind * 2}if {bf}:")
            pre.append(f"{ind * 3}{q} = False")
            pre.append(f"{ind * 3}break")
            pre.append(f"{ind * 2}if not {bt}: {q} = None")
        elif kind == "count":
            pre.append(f"{ind * 2}if {bt}: {q} += 1")
            pre.append(f"{ind * 2}elif not {bf}: {u} = True")
        else:
            pre.append(f"{ind * 2}{u}b = {b}")
            pre.append(f"{ind * 2}if {u}b != {u}b: {u} = True")
            pre.append(f"{ind * 2}elif not {u}: {q} = {q} + {u}b")
        if kind in ("count", "sum"):
            pre.append(f"{ind}if {u}: {q} = _NAN")
        return q

    def num(self, node: A.Node) -> str:
        """A number expression, NaN when unknown."""
        if _kind(node) != "number":
            raise NotSimple
        if isinstance(node, A.Number):
            return self.gen.literal(evaluator.literal_value(node))
        if isinstance(node, A.Path):
            v, rep = self._path(node)
            if rep != "nan":
                raise NotSimple
            return v
        if isinstance(node, A.Neg):
            return f"(-{self.num(node.operand)})"
        if isinstance(node, A.Arith) and _kind(node.left) == "number" and _kind(node.right) == "number":
            a, b = self.num(node.left), self.num(node.right)
            if node.op in _ARITH:
                return f"({a} {node.op} {b})"
            if node.op == "/":
                self.complex = True
                if isinstance(node.right, A.Number) and evaluator.literal_value(node.right) != 0:
                    return f"({a} / {b})"  # NaN stays NaN
                # eager: a zero divisor with a known dividend gives up (NaN divides to NaN)
                d = self.gen.tmp("d")
                if self.div_note:
                    self.divided = True
                    self.pre.append(f"{d} = {a} / {b} if {b} else _divz({a}, _z)")
                else:
                    self.pre.append(f"{d} = {a} / {b} if {b} else _div({a}, {b})")
                return d
            raise NotSimple
        if isinstance(node, A.Call) and node.name == "abs" and len(node.args) == 1:
            return f"abs({self.num(node.args[0])})"
        if isinstance(node, A.Call) and node.name == "len" and len(node.args) == 1 and isinstance(
            node.args[0], A.Path
        ) and _elem(node.args[0]) is not None:
            v, rep = self._path(node.args[0])
            if rep != "none":
                raise NotSimple
            self.complex = True
            return f"(_NAN if {v} is None else len({v}))"
        if isinstance(node, A.Quantifier) and node.kind in ("count", "sum"):
            try:
                return self._quantifier(node)
            except NotSimple:
                if self.loop:
                    raise
        t = self.temp(node)
        return f"(_NAN if {t} is None else {t})"

    def scalar(self, node: A.Node) -> str:
        """A string / date / bool expression, None when unknown."""
        if isinstance(node, A.String):
            return repr(node.value)
        if isinstance(node, A.Boolean):
            return "True" if node.value else "False"
        if isinstance(node, A.Date):
            return self.gen.const(node.value)
        if isinstance(node, A.Path):
            v, rep = self._path(node)
            if rep != "none":
                raise NotSimple
            return v
        return self.temp(node)

    def temp(self, node: A.Node) -> str:
        """Compute ``node`` with the DSL's compiled evaluator into a
        temporary (None = unknown), eagerly.  Not inside an inlined loop
        (the loop is then not inlined)."""
        if self.loop:
            raise NotSimple
        self.complex = True
        paths = A.fact_paths(node)
        items = []
        for p in paths:
            got = self.value_of(p)
            if got is None:
                raise GenerationFailure(f"condition reads '{p}', which the plan does not provide")
            v, rep = got
            items.append(f"{p!r}: " + (f"(None if {v} != {v} else {v})" if rep == "nan" else v))
        fn = self.gen.const(_compiled(node))
        t = self.gen.tmp("q")
        self.pre.append(f"{t} = {fn}({{{', '.join(items)}}}, _w)")
        # a division by zero inside: the reference attributes the warning
        self.pre.append("if _w: return None")
        return t


class GenerationFailure(Exception):
    """Internal: raised while generating; the caller turns it into a
    SafetyRulesError."""


def _elem(node: A.Node):
    """The checked element type of a list-valued node, or None."""
    ty = node.ty
    if ty is None or ty.kind != "list" or ty.elem is None:
        return None
    return ty.elem


def _compiled(node: A.Node):
    return dsl.compile_expr(node)


def _const_value(node: A.Node) -> Any:
    if isinstance(node, A.Number):
        return evaluator.literal_value(node)
    return node.value
