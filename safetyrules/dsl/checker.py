"""Names, types and units: a parsed expression + a vocabulary → a checked AST.

The checked AST has a :class:`~safetyrules.dsl.types.Type` on every node, and
every number literal already in the unit of what it is compared with (so
``0.03 km`` against a fact in ``m`` becomes ``30``); facts of one dimension
in different units are scaled to a common unit.  After checking, no run-time
type error is possible for facts that conform to the vocabulary.
"""

from __future__ import annotations

import difflib
import operator
from typing import Dict, List, Mapping, Optional, Tuple

import attrs

from .. import units
from ..errors import CheckError
from . import ast as A
from .printer import unparse
from .types import ANY, BOOL, DATE, FLEX, PLAIN_INT, STRING, FactSpec, Type, type_of_spec

__all__ = ["check"]

_DAY = units.lookup("d")


def _err(msg: str, node: A.Node, hint: Optional[str] = None) -> CheckError:
    s = node.span
    return CheckError(
        msg, line=s.line, column=s.column, end_line=s.end_line, end_column=s.end_column, hint=hint
    )


def _suggest(word: str, choices) -> Optional[str]:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Fields:
    """A node class's attributes: a getter of all of them, their names, and
    the validators of each (for the ones the checker replaces)."""

    __slots__ = ("get", "names", "checks")

    def __init__(self, cls: type) -> None:
        fields = attrs.fields(cls)
        self.names = tuple(f.name for f in fields)
        get = operator.attrgetter(*self.names)
        self.get = get if len(self.names) > 1 else (lambda node: (get(node),))
        self.checks = {f.name: (f.validator, f) for f in fields if f.validator is not None}


_FIELDS: Dict[type, _Fields] = {}
_new = object.__new__
_put = object.__setattr__


def _evolve(node: A.Node, changes: Dict[str, object]) -> A.Node:
    """``attrs.evolve(node, **changes)``, faster: the other attributes are
    copied as they are (they were checked when ``node`` was built), and only
    the replaced ones go through their validators."""
    cls = type(node)
    info = _FIELDS.get(cls)
    if info is None:
        info = _FIELDS[cls] = _Fields(cls)
    new = _new(cls)
    for name, value in zip(info.names, info.get(node)):
        _put(new, name, value)
    checks = info.checks
    for name, value in changes.items():
        check = checks.get(name)
        if check is not None:
            check[0](new, check[1], value)
        _put(new, name, value)
    return new


def _typed(node: A.Node, ty: Type, **changes) -> A.Node:
    changes["ty"] = ty
    return _evolve(node, changes)


def _is_literal(node: A.Node) -> bool:
    return isinstance(node, A.Number) or _is_unit_literal(node)


def _is_unit_literal(node: A.Node) -> bool:
    return isinstance(node, A.Number) and node.unit is not None


class _Checker:
    def __init__(self, vocabulary: Mapping[str, FactSpec]) -> None:
        self.vocab = vocabulary
        self._types: Dict[str, Type] = {}
        # whether a number literal with a unit name was checked (only those
        # leave a unit name for _fix_literals to drop)
        self.unit_literals = False

    # -- names ---------------------------------------------------------
    def fact_type(self, name: str) -> Optional[Type]:
        t = self._types.get(name)
        if t is None:
            spec = self.vocab.get(name)
            if spec is None:
                return None
            t = spec if isinstance(spec, Type) else type_of_spec(spec, name)
            self._types[name] = t
        return t

    def path(self, node: A.Path, scope: Dict[str, Type]) -> A.Node:
        head, rest = node.head, node.rest
        if head in scope:
            t = scope[head]
            if rest is None:
                return _typed(node, t)
            if t.kind != "record":
                raise _err(f"'{head}' is {t.describe()}, it has no field '{rest}'", node)
            ft = t.field(rest)
            if ft is None:
                names = [k for k, _ in t.fields or ()]
                raise _err(
                    f"list items of this list have no field '{rest}'",
                    node,
                    _suggest(rest, names) or (f"fields: {', '.join(names)}" if names else None),
                )
            return _typed(node, ft)
        t = self.fact_type(node.name)
        if t is None:
            under = sorted(k for k in self.vocab if k.startswith(node.name + "."))
            hint = _suggest(node.name, self.vocab)
            if hint is None and under:
                hint = "did you mean " + " or ".join(f"'{k}'" for k in under[:3]) + "?"
            raise _err(f"unknown fact '{node.name}'", node, hint)
        return _typed(node, t)

    # -- numbers and units ---------------------------------------------
    def _scale(self, node: A.Node, src: units.Unit, dst: units.Unit) -> A.Node:
        """``node`` (in src) expressed in dst, as checked arithmetic."""
        r = units.ratio(src, dst)
        ty = Type("number", unit=dst)
        out = node
        if r.numerator != 1:
            out = A.Arith("*", out, A.Number(r.numerator, span=node.span, ty=PLAIN_INT), span=node.span, ty=ty)
        if r.denominator != 1:
            out = A.Arith("/", out, A.Number(r.denominator, span=node.span, ty=PLAIN_INT), span=node.span, ty=ty)
        return out

    def _adopt(self, node: A.Node, target: Type) -> A.Node:
        return _typed(node, Type("number", unit=target.unit, integer=node.ty.integer))

    def _unify(self, left: A.Node, right: A.Node, where: A.Node, keep_left: bool = False,
               right_only: bool = False) -> Tuple[A.Node, A.Node, Type]:
        """Two numbers brought to one unit; returns them and the common type.

        Two non-literal numbers in different units (two facts) meet in the
        larger unit, whichever side each is on, so that ``w == h`` and
        ``h == w`` (cm and m) are one comparison: scaling down by a whole
        ratio is one correctly rounded division (110 / 100 is 1.1), where
        scaling up multiplies the error of the float (1.1 * 100 is
        110.00000000000001).  ``keep_left``: the caller keeps ``left`` as it
        is (and uses only the right one returned), so the right one is
        brought to the left's unit."""
        lt, rt = left.ty, right.ty
        integer = lt.integer and rt.integer
        if lt.flex and rt.flex:
            return left, right, Type("number", flex=True, integer=integer)
        if lt.flex:
            return self._adopt(left, rt), right, Type("number", unit=rt.unit, integer=integer)
        if rt.flex:
            return left, self._adopt(right, lt), Type("number", unit=lt.unit, integer=integer)
        lu, ru = lt.unit, rt.unit
        if lu is None and ru is None:
            return left, right, Type("number", integer=integer)
        if lu is None or ru is None:
            fact_node, lit_node = (left, right) if lu is None else (right, left)
            fact = fact_node.ty.fact or _shorten(unparse(fact_node))
            raise _err(
                f"'{fact}' has no unit, so it cannot be compared or combined with {lit_node.ty.describe()}",
                lit_node,
                "write a plain number" if _is_unit_literal(lit_node) else None,
            )
        if lu.dimension != ru.dimension:
            # at the token at fault (SPEC §2): the literal whose unit does not fit
            # (`h > 3 kg`, `3 kg < h`), else the second of the two (`h > mass`), as
            # dsl.evaluate points at the second literal
            blame = left if _is_unit_literal(left) and not _is_unit_literal(right) else right
            raise _err(
                f"cannot combine {lt.describe()} with {rt.describe()}: "
                f"{units.dimension_name(lu.dimension)} and {units.dimension_name(ru.dimension)} are different quantities",
                blame,
            )
        if lu.factor == ru.factor:
            return left, right, Type("number", unit=lu, integer=integer)
        if _is_unit_literal(right) or isinstance(right, A.Number):
            return left, self._convert_literal_to(right, lu), Type("number", unit=lu)
        if right_only:
            # the caller uses the right one alone (an item of `x in [...]`, an
            # argument of min/max): it is brought to the left's unit, even
            # when the left is a literal
            return left, self._scale(right, ru, lu), Type("number", unit=lu)
        if _is_unit_literal(left) or isinstance(left, A.Number):
            return self._convert_literal_to(left, ru), right, Type("number", unit=ru)
        if not keep_left and lu.factor < ru.factor:
            return self._scale(left, lu, ru), right, Type("number", unit=ru)
        return left, self._scale(right, ru, lu), Type("number", unit=lu)

    def _convert_literal_to(self, node: A.Number, target: units.Unit) -> A.Node:
        src = node.ty.unit
        value = units.convert(node.value, src, target)
        return A.Number(value, None, span=node.span, ty=Type("number", unit=target))

    # -- expressions ---------------------------------------------------
    def visit(self, node: A.Node, scope: Dict[str, Type]) -> A.Node:
        method = getattr(self, "_" + type(node).__name__)
        return method(node, scope)

    def _Number(self, node: A.Number, scope) -> A.Node:
        integer = isinstance(node.value, int)
        if node.unit is None:
            return _typed(node, Type("number", flex=True, integer=integer))
        self.unit_literals = True
        unit = units.lookup(node.unit)
        # The literal keeps its own unit as its type, its value unchanged; the
        # unit name is dropped so every checked number is "in ty.unit".
        return _typed(node, Type("number", unit=unit, integer=integer))

    def _String(self, node, scope):
        return _typed(node, STRING)

    def _Boolean(self, node, scope):
        return _typed(node, BOOL)

    def _Date(self, node, scope):
        return _typed(node, DATE)

    def _Path(self, node, scope):
        return self.path(node, scope)

    def _ListLit(self, node: A.ListLit, scope):
        items = [self.visit(i, scope) for i in node.items]
        elem = items[0].ty if items else ANY
        if elem.kind == "number" and all(i.ty.kind == "number" for i in items):
            # Numbers in one list share one unit, so the list's value is in
            # ``elem.unit`` item by item ([1 km, 500 m] is [1, 0.5] in km).
            elem = self._common_number(items)
            items = [self._to_unit(i, elem) for i in items]
        return _typed(node, Type("list", elem=elem), items=tuple(items))

    def _common_number(self, items: List[A.Node]) -> Type:
        ty = items[0].ty
        for i in items[1:]:
            _, _, ty2 = self._unify(_typed(items[0], ty), i, i, keep_left=True)
            if ty.flex and not ty2.flex:
                ty = ty2
        # items that are facts meet in the largest of their units, as two
        # facts do in _unify (literals convert to it exactly)
        facts = [i.ty.unit for i in items if not i.ty.flex and i.ty.unit is not None and not _is_literal(i)]
        if facts:
            return Type("number", unit=max(facts, key=lambda u: u.factor))
        return Type("number", unit=ty.unit, flex=ty.flex)

    def _to_unit(self, node: A.Node, target: Type) -> A.Node:
        """A number node expressed in ``target``'s unit (same dimension)."""
        ty = node.ty
        if target.flex or ty.kind != "number":
            return node
        if ty.flex:
            return self._adopt(node, target)
        if ty.unit is None or target.unit is None or ty.unit.factor == target.unit.factor:
            return node
        if isinstance(node, A.Number):
            return self._convert_literal_to(node, target.unit)
        return self._scale(node, ty.unit, target.unit)

    def _bool(self, node: A.Node, scope, what: str) -> A.Node:
        out = self.visit(node, scope)
        if out.ty.kind not in ("bool", "any"):
            raise _err(f"{what} needs a condition (true/false), but this is {out.ty.describe()}", node)
        return out

    def _Not(self, node: A.Not, scope):
        return _typed(node, BOOL, operand=self._bool(node.operand, scope, "'not'"))

    def _And(self, node: A.And, scope):
        ops = tuple(self._bool(o, scope, "'and'") for o in node.operands)
        return _typed(node, BOOL, operands=ops)

    def _Or(self, node: A.Or, scope):
        ops = tuple(self._bool(o, scope, "'or'") for o in node.operands)
        return _typed(node, BOOL, operands=ops)

    def _number(self, node: A.Node, scope, what: str) -> A.Node:
        out = self.visit(node, scope)
        if out.ty.kind not in ("number", "any"):
            raise _err(f"{what} needs a number, but this is {out.ty.describe()}", node)
        return out

    def _pair_for_equality(self, left: A.Node, right: A.Node, where: A.Node, keep_left: bool = False) -> Tuple[A.Node, A.Node]:
        lt, rt = left.ty, right.ty
        if lt.kind == "any" or rt.kind == "any":
            return left, right
        if lt.kind != rt.kind:
            raise _err(f"cannot compare {lt.describe()} with {rt.describe()}", where)
        if lt.kind == "number":
            left, right, _ = self._unify(left, right, where, keep_left=keep_left, right_only=keep_left)
            return left, right
        if lt.kind == "string":
            self._enum_literal(left, right)
            self._enum_literal(right, left)
        if lt.kind == "list" and isinstance(left, A.ListLit) and isinstance(right, A.ListLit):
            # element by element: `[e] == ['zz']` compares e with 'zz'
            for a, b in zip(left.items, right.items):
                if a.ty.kind == "string" and b.ty.kind == "string":
                    self._enum_literal(a, b)
                    self._enum_literal(b, a)
        if lt.kind == "list" and lt.elem is not None and rt.elem is not None:
            le, re_ = lt.elem, rt.elem
            if le.kind not in ("any",) and re_.kind not in ("any",) and le.kind != re_.kind:
                raise _err(f"cannot compare a list of {le.describe()} with a list of {re_.describe()}", where)
            if le.kind == "number" and re_.kind == "number":
                # element by element in one unit: [h] == [1 km] with h in m
                _, _, common = self._unify(_typed(left, le), _typed(right, re_), where)
                target = Type("number", unit=common.unit, flex=common.flex)
                left, right = self._list_to_unit(left, target), self._list_to_unit(right, target)
        return left, right

    def _to_largest_unit(self, left: A.Node, items) -> A.Node:
        """``left`` of ``left in [...]`` brought to the largest unit of the
        items that are not literals (facts), as ``left == item`` would be
        (see ``_unify``); literal items are then converted to it exactly."""
        lt = left.ty
        if lt.kind != "number" or lt.flex or lt.unit is None:
            return left
        best = lt.unit
        for item in items:
            it = item.ty
            if it.kind != "number" or it.flex or it.unit is None or _is_literal(item):
                continue
            if it.unit.dimension == best.dimension and it.unit.factor > best.factor:
                best = it.unit
        return left if best is lt.unit else self._scale(left, lt.unit, best)

    def _list_to_unit(self, node: A.Node, target: Type) -> A.Node:
        elem = node.ty.elem
        if target.flex or elem.flex and target.unit is None:
            return node
        if isinstance(node, A.ListLit):
            items = tuple(self._to_unit(i, target) for i in node.items)
            return _typed(node, Type("list", elem=target), items=items)
        if elem.unit is not None and target.unit is not None and elem.unit.factor != target.unit.factor:
            raise _err("cannot compare lists of numbers in different units; write the list out", node)
        return node

    def _enum_literal(self, enum_side: A.Node, lit: A.Node) -> None:
        values = enum_side.ty.values
        if values is None or not isinstance(lit, A.String):
            return
        if lit.value not in values:
            fact = enum_side.ty.fact or "this fact"
            shown = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
            raise _err(
                f"'{lit.value}' is not a declared value of '{fact}'",
                lit,
                _suggest(lit.value, values) or f"values: {shown}",
            )

    def _Compare(self, node: A.Compare, scope):
        left = self.visit(node.left, scope)
        op = node.op
        if op in ("in", "not in") and isinstance(node.right, A.ListLit):
            # x compared with each item (SPEC §3): a bare number in the list takes
            # x's unit (`w in [1 m, 2]` is 2 cm for w in cm), not the list's first
            raw = [self.visit(i, scope) for i in node.right.items]
            if raw and all(i.ty.kind == "number" for i in raw):
                self._common_number(raw)  # items of different dimensions: an error of the list
            lt = left.ty
            if lt.kind == "number" and not lt.flex and lt.unit is not None:
                # in x's own unit, before x meets the list's facts in their largest unit
                raw = [self._adopt(i, lt) if i.ty.kind == "number" and i.ty.flex else i for i in raw]
                if _is_literal(left):
                    # a literal x (`0.5 km in [h]`) goes, exactly, to the facts' largest unit
                    units_of = [i.ty.unit for i in raw if i.ty.kind == "number" and not i.ty.flex and i.ty.unit is not None
                                and not _is_literal(i) and i.ty.unit.dimension == lt.unit.dimension]
                    if units_of:
                        left = self._convert_literal_to(left, max(units_of, key=lambda u: u.factor))
            left = self._to_largest_unit(left, raw)
            items = [self._pair_for_equality(left, item, item, keep_left=True)[1] for item in raw]
            right = _typed(node.right, Type("list", elem=left.ty), items=tuple(items))
            return _typed(node, BOOL, left=left, right=right)
        right = self.visit(node.right, scope)
        if op in ("in", "not in"):
            rt = right.ty
            if rt.kind not in ("list", "any"):
                raise _err(f"'{op}' needs a list on its right, but this is {rt.describe()}", node.right)
            if rt.elem is not None and rt.elem.kind not in ("any", left.ty.kind) and left.ty.kind != "any":
                raise _err(f"cannot look for {left.ty.describe()} in a list of {rt.elem.describe()}", node)
            return _typed(node, BOOL, left=left, right=right)
        if op in ("==", "!="):
            left, right = self._pair_for_equality(left, right, node)
            return _typed(node, BOOL, left=left, right=right)
        lt, rt = left.ty, right.ty
        if lt.kind != "any" and rt.kind != "any":
            if lt.kind != rt.kind:
                raise _err(f"cannot order {lt.describe()} and {rt.describe()} with '{op}'", node)
            if lt.kind not in ("number", "string", "date"):
                raise _err(f"{lt.describe()} has no order; '{op}' needs numbers, dates or text", node)
            if lt.kind == "string" and (lt.values is not None or rt.values is not None):
                raise _err(f"enum values have no order; compare with '==' or 'in'", node)
            if lt.kind == "number":
                left, right, _ = self._unify(left, right, node)
        return _typed(node, BOOL, left=left, right=right)

    def _Arith(self, node: A.Arith, scope):
        left = self._number(node.left, scope, f"'{node.op}'")
        right = self._number(node.right, scope, f"'{node.op}'")
        lt, rt = left.ty, right.ty
        if lt.kind == "any" or rt.kind == "any":
            return _typed(node, Type("number"), left=left, right=right)
        op = node.op
        if op in ("+", "-"):
            # a sum is in its left operand's unit (as in pint), which a bare
            # number beside it then takes: w + h > 200 (cm, m) is 200 cm
            left, right, ty = self._unify(left, right, node, keep_left=True)
            return _typed(node, ty, left=left, right=right)
        integer = lt.integer and rt.integer and op == "*"
        if lt.flex and rt.flex:
            return _typed(node, Type("number", flex=True, integer=integer), left=left, right=right)
        lu = None if lt.flex else lt.unit
        ru = None if rt.flex else rt.unit
        if op == "/" and lu is not None and ru is not None and lu.dimension == ru.dimension:
            if lu.factor != ru.factor:
                if isinstance(right, A.Number):
                    right = self._convert_literal_to(right, lu)
                elif lu.factor < ru.factor and not isinstance(left, A.Number):
                    left = self._scale(left, lu, ru)  # the larger unit, as in _unify
                else:
                    right = self._scale(right, ru, lu)
            return _typed(node, Type("number"), left=left, right=right)
        if lu is None and ru is None:
            unit = None
        elif ru is None:
            unit = lu
        elif lu is None and op == "*":
            unit = ru
        else:
            a = lu or units.Unit("1", units.DIMENSIONLESS, units.exact(1))
            sign = 1 if op == "*" else -1
            dim = units.multiply(a.dimension, ru.dimension, sign)
            factor = a.factor * ru.factor if op == "*" else a.factor / ru.factor
            name = f"{a.name}{'·' if op == '*' else '/'}{ru.name}"
            unit = units.Unit(name, dim, factor) if dim else (
                None if factor == 1 else units.Unit(name, dim, factor)
            )
        return _typed(node, Type("number", unit=unit, integer=integer), left=left, right=right)

    def _Neg(self, node: A.Neg, scope):
        inner = self._number(node.operand, scope, "'-'")
        return _typed(node, inner.ty, operand=inner)

    def _Call(self, node: A.Call, scope):
        name = node.name
        if name == "known":
            arg = self.visit(node.args[0], scope)
            return _typed(node, BOOL, args=(arg,))
        if name == "at_least":
            n = self._number(node.args[0], scope, "at_least()")
            if n.ty.unit is not None and not n.ty.flex:
                raise _err("at_least() counts conditions; its first argument is a plain number", node.args[0])
            conds = tuple(self._bool(a, scope, "at_least()") for a in node.args[1:])
            return _typed(node, BOOL, args=(n,) + conds)
        if name in ("min", "max"):
            args = [self.visit(a, scope) for a in node.args]
            first = args[0].ty
            if first.kind not in ("number", "date", "string", "any"):
                raise _err(f"{name}() needs numbers or dates, but this is {first.describe()}", node.args[0])
            if any(a.ty.values is not None for a in args):
                # as for '<': the smallest of enum values would be their order as text
                raise _err("enum values have no order; compare with '==' or 'in'", node)
            if first.kind == "number" and _is_literal(args[0]) and not first.flex and first.unit is not None:
                # a literal first (`max(500 mm, h)`) goes, exactly, to the facts' largest unit
                units_of = [a.ty.unit for a in args[1:] if a.ty.kind == "number" and not a.ty.flex and a.ty.unit is not None
                            and not _is_literal(a) and a.ty.unit.dimension == first.unit.dimension]
                if units_of:
                    args[0] = self._convert_literal_to(args[0], max(units_of, key=lambda u: u.factor))
                    first = args[0].ty
            out: List[A.Node] = [args[0]]
            ty = first
            for a in args[1:]:
                if a.ty.kind != ty.kind and "any" not in (a.ty.kind, ty.kind):
                    raise _err(f"{name}() needs values of one kind: {ty.describe()} and {a.ty.describe()}", a)
                if ty.kind == "number":
                    # bring every argument to the unit of the first one seen
                    base = _typed(args[0], ty)
                    _, conv, ty2 = self._unify(base, a, a, keep_left=True, right_only=True)
                    out.append(conv)
                    if ty.flex and not ty2.flex:
                        out = [self._adopt(x, ty2) if x.ty.flex else x for x in out]
                        ty = ty2
                else:
                    out.append(a)
            if ty.kind == "number":
                # an integer only when every argument is (min(n, 0.5) may be 0.5)
                ty = attrs.evolve(ty, integer=all(x.ty.integer for x in out))
            return _typed(node, attrs.evolve(ty, fact=None), args=tuple(out))
        if name == "abs":
            arg = self._number(node.args[0], scope, "abs()")
            return _typed(node, attrs.evolve(arg.ty, fact=None), args=(arg,))
        if name == "len":
            arg = self.visit(node.args[0], scope)
            if arg.ty.kind not in ("list", "any"):
                raise _err(f"len() needs a list, but this is {arg.ty.describe()}", node.args[0])
            return _typed(node, PLAIN_INT, args=(arg,))
        if name == "days":
            args = []
            for a in node.args:
                v = self.visit(a, scope)
                if v.ty.kind not in ("date", "any"):
                    raise _err(f"days() needs dates, but this is {v.ty.describe()}", a)
                args.append(v)
            return _typed(node, Type("number", unit=_DAY, integer=True), args=tuple(args))
        raise _err(f"unknown function '{name}'", node)  # pragma: no cover - parser refuses

    def _Quantifier(self, node: A.Quantifier, scope):
        source = self.visit(node.source, scope)
        st = source.ty
        if st.kind not in ("list", "any"):
            raise _err(f"{node.kind}() needs a list to range over, but this is {st.describe()}", node.source)
        inner = dict(scope)
        inner[node.var] = st.elem if st.elem is not None else ANY
        if node.kind == "sum":
            body = self._number(node.body, inner, "sum()")
            ty = attrs.evolve(body.ty, fact=None, flex=False)
        else:
            body = self._bool(node.body, inner, f"{node.kind}()")
            ty = PLAIN_INT if node.kind == "count" else BOOL
        return _typed(node, ty, source=source, body=body)


def _fix_literals(node: A.Node) -> A.Node:
    """Drop remaining unit names from number literals (their value is now in
    ``ty.unit``) so the evaluator does not convert them again.  A subtree
    without one is returned as it is."""
    if isinstance(node, A.Number):
        return _evolve(node, {"unit": None}) if node.unit is not None else node
    kids = A.children(node)
    if not kids:
        return node
    fixed = tuple(_fix_literals(k) for k in kids)
    if all(a is b for a, b in zip(fixed, kids)):
        return node
    if isinstance(node, (A.And, A.Or)):
        return _evolve(node, {"operands": fixed})
    if isinstance(node, (A.Compare, A.Arith)):
        return _evolve(node, {"left": fixed[0], "right": fixed[1]})
    if isinstance(node, (A.Not, A.Neg)):
        return _evolve(node, {"operand": fixed[0]})
    if isinstance(node, A.Call):
        return _evolve(node, {"args": fixed})
    if isinstance(node, A.ListLit):
        return _evolve(node, {"items": fixed})
    if isinstance(node, A.Quantifier):
        return _evolve(node, {"source": fixed[0], "body": fixed[1]})
    return node  # pragma: no cover


def check(node: A.Node, vocabulary: Mapping[str, FactSpec], expect: Optional[str] = "bool") -> A.Node:
    """Check ``node`` against ``vocabulary`` (fact path → FactSpec or Type).

    Returns the checked AST (types on every node, units converted).  With
    ``expect='bool'`` the whole expression must be a condition.  Raises
    :class:`CheckError` with the position of the offending token.
    """
    checker = _Checker(vocabulary)
    try:
        out = checker.visit(node, {})
    except RecursionError:
        # Only hand-built trees get here: parsed ones are at most MAX_DEPTH deep.
        raise CheckError(f"expression is nested too deeply to check (the limit is {A.MAX_DEPTH} levels)") from None
    if expect == "bool" and out.ty.kind not in ("bool", "any"):
        raise _err(f"a condition must be true or false, but this is {out.ty.describe()}", node)
    if not checker.unit_literals:
        return out  # no unit name to drop
    try:
        return _fix_literals(out)
    except RecursionError:  # pragma: no cover - same depth as the visit above
        raise CheckError(f"expression is nested too deeply to check (the limit is {A.MAX_DEPTH} levels)") from None
