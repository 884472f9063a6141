"""Checked AST → one Python function, generated from the AST only.

The generated function reads every fact it needs once into a local, then
runs straight-line code with temporaries; ``and``/``or`` become guarded
blocks (they stop at the first false/true, like the evaluator), quantifiers
become loops.  Nodes with a static type (from the checker) get inlined
operations; untyped nodes call :mod:`runtime`, the same functions the
evaluator uses, so the two agree by construction.

No text from a rule file reaches the generated source except through
``repr()`` of checked literal values and fact names: identifiers in the
source are generated (``v1``, ``t2``), never taken from the rules.  Every
node is validated again (:func:`attrs.validate`: its operator, function or
kind from the closed sets of :mod:`.ast`, its literal of a plain type)
before anything is written for it, and each operator is checked once more
where it is written.  Any failure to generate or compile the source raises
an :class:`~safetyrules.errors.ExpressionError` (a ``SafetyRulesError``):
there is no fallback to the tree-walking evaluator, so a broken generator
cannot pass unnoticed as a slow one.
"""

from __future__ import annotations

import datetime
import itertools
import warnings as _warnings
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import attrs

from ..errors import EvaluationError, ExpressionError
from . import ast as A
from . import evaluator
from . import runtime as R

__all__ = ["compile_expr", "compile_many", "CompiledProgram"]

_CONSTANT_NODES = (A.Number, A.String, A.Boolean, A.Date)
_counter = itertools.count()
_SIMPLE_KINDS = ("number", "string", "date", "bool")


def _kind(node: A.Node) -> Optional[str]:
    """The checked static kind of ``node``; None when unchecked or ``any``
    (then the compiled code goes through :mod:`runtime`, which type-checks
    at run time exactly as the evaluator does)."""
    ty = node.ty
    if ty is None or ty.kind == "any":
        return None
    return ty.kind


def _is_constant_list(node: A.Node) -> bool:
    return isinstance(node, A.ListLit) and all(isinstance(i, _CONSTANT_NODES) for i in node.items)


_TOP = 2  # indentation of the generated function's top-level statements

_NODE_TYPES = frozenset(
    {A.Number, A.String, A.Boolean, A.Date, A.ListLit, A.Path, A.Not, A.And, A.Or, A.Compare, A.Arith, A.Neg, A.Call, A.Quantifier}
)
# Types whose repr() may be written into the source as a literal.
_LITERAL_TYPES = (int, float, str, bool, type(None))


def _refuse(message: str, node: Any = None) -> ExpressionError:
    span = getattr(node, "span", None)
    if isinstance(span, A.Span):
        return ExpressionError(message, line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column)
    return ExpressionError(message)


def _check_node(node: Any) -> None:
    """Refuse a node that is not one of the language's own, or whose fields
    no longer pass their validators (e.g. changed with object.__setattr__)."""
    if type(node) not in _NODE_TYPES:
        raise _refuse(f"cannot generate code for a {type(node).__name__}: not an expression node", node)
    try:
        attrs.validate(node)
    except (TypeError, ValueError) as exc:
        raise _refuse(f"cannot generate code for an invalid {type(node).__name__} node: {exc}", node) from None


def _op(node: Any, allowed: FrozenSet[str]) -> str:
    """``node.op`` checked against its closed set, right where it is written."""
    op = node.op
    if type(op) is not str or op not in allowed:
        raise _refuse(f"operator {op!r} is not part of the language", node)
    return op


def _text(value: Any) -> str:
    """``repr`` of a plain ``str`` (a fact name, a field or a kind)."""
    if type(value) is not str:
        raise _refuse(f"expected text in generated code, got a {type(value).__name__}")
    return repr(value)


class _Gen:
    def __init__(self) -> None:
        self.lines: List[str] = []
        self.ns: Dict[str, Any] = {"R": R, "EvaluationError": EvaluationError}
        self.n = 0
        self.facts: Dict[str, str] = {}
        self.memo: Dict[int, str] = {}
        self.local_facts: Dict[str, str] = {}  # read inside the current group block
        self.fallback = 0  # inside a fast path's three-valued branch
        self.no_fast: set = set()  # node ids that must not take the fast path

    # -- names -----------------------------------------------------------
    def tmp(self, prefix: str = "t") -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def const(self, value: Any) -> str:
        name = self.tmp("c")
        self.ns[name] = value
        return name

    def span(self, node: A.Node) -> str:
        return self.const(node.span)

    def fact(self, path: str) -> str:
        local = self.local_facts.get(path)
        if local is not None:
            return local
        name = self.facts.get(path)
        if name is None:
            name = self.facts[path] = self.tmp("v")
        return name

    def emit(self, ind: int, line: str) -> None:
        self.lines.append("    " * ind + line)

    # -- expressions -------------------------------------------------------
    def expr(self, node: A.Node, ind: int, scope: Dict[str, str]) -> str:
        """Emit statements for ``node`` at indentation ``ind``; return a
        Python expression (a name or a literal) holding its value.

        A node object met again at the function's top level (one
        ``applies_when`` shared by every clause of a standard) is computed
        once: top-level statements always run, in order, so the earlier
        result is there to reuse."""
        _check_node(node)
        top = ind == _TOP and not scope
        if not scope:
            # A result stored at top level was computed before anything
            # emitted after it, so it can be reused at any depth.
            done = self.memo.get(id(node))
            if done is not None:
                return done
        out = None
        if not scope and not self.fallback and isinstance(node, (A.And, A.Or, A.Not)) and id(node) not in self.no_fast:
            out = self._fast(node, ind, scope)
        if out is None:
            out = getattr(self, "_" + type(node).__name__)(node, ind, scope)
        if top:
            self.memo[id(node)] = out
        return out

    # -- the all-known fast path ------------------------------------------
    def _fast(self, node: A.Node, ind: int, scope) -> Optional[str]:
        """When every fact a condition reads is known, Kleene logic is
        Python's own (same values, same left-to-right stops), so emit
        ``if all known: plain Python else: three-valued code``.  Only for
        checked nodes whose every operation is total on known values (no
        division, lists, quantifiers or functions)."""
        needed: Dict[str, None] = {}
        plain = self._plain(node, needed)
        if plain is None:
            return None
        t = self.tmp("r")
        if not needed:
            self.emit(ind, f"{t} = {plain}")
            return t
        self.emit(ind, "if " + " and ".join(f"{v} is not None" for v in needed) + ":")
        self.emit(ind + 1, f"{t} = {plain}")
        self.emit(ind, "else:")
        self.fallback += 1
        try:
            slow = getattr(self, "_" + type(node).__name__)(node, ind + 1, scope)
        finally:
            self.fallback -= 1
        self.emit(ind + 1, f"{t} = {slow}")
        return t

    def _plain(self, node: A.Node, needed: Dict[str, None]) -> Optional[str]:
        """Plain Python for ``node`` assuming its facts are known, or None."""
        _check_node(node)
        if isinstance(node, A.Path):
            if _kind(node) not in _SIMPLE_KINDS:
                return None
            v = self.fact(node.name)
            needed[v] = None
            return v
        if isinstance(node, _CONSTANT_NODES):
            return self.expr(node, _TOP, {})
        if isinstance(node, (A.And, A.Or)):
            if any(_kind(o) != "bool" for o in node.operands):
                return None
            parts = [self._plain(o, needed) for o in node.operands]
            if any(p is None for p in parts):
                return None
            return "(" + (" and " if isinstance(node, A.And) else " or ").join(parts) + ")"
        if isinstance(node, A.Not):
            if _kind(node.operand) != "bool":
                return None
            x = self._plain(node.operand, needed)
            return None if x is None else f"(not {x})"
        if isinstance(node, A.Compare):
            lk, rk = _kind(node.left), _kind(node.right)
            if node.op in ("in", "not in"):
                if lk not in _SIMPLE_KINDS or not _is_constant_list(node.right):
                    return None
                values = [self._const_value(i) for i in node.right.items]
                if not {R.kind_of(v) for v in values} <= {lk}:
                    return None
                left = self._plain(node.left, needed)
                if left is None:
                    return None
                return f"({left} {_op(node, A.COMPARE_OPS)} {self.const(frozenset(values))})"
            if lk is None or lk != rk or lk not in _SIMPLE_KINDS:
                return None
            left, right = self._plain(node.left, needed), self._plain(node.right, needed)
            if left is None or right is None:
                return None
            return f"({left} {_op(node, A.COMPARE_OPS)} {right})"
        if isinstance(node, A.Arith):
            if node.op == "/" or _kind(node.left) != "number" or _kind(node.right) != "number":
                return None
            left, right = self._plain(node.left, needed), self._plain(node.right, needed)
            if left is None or right is None:
                return None
            return f"({left} {_op(node, A.ARITH_OPS)} {right})"
        if isinstance(node, A.Neg):
            if _kind(node.operand) != "number":
                return None
            x = self._plain(node.operand, needed)
            return None if x is None else f"(-{x})"
        if isinstance(node, A.Call) and node.name == "known" and isinstance(node.args[0], A.Path):
            needed[self.fact(node.args[0].name)] = None
            return "True"
        return None

    def _literal(self, value: Any) -> str:
        """Source text for a checked literal value: ``repr`` of a plain
        int/float/str/bool/None; a date or a non-finite float becomes a named
        constant of the function's namespace; anything else is refused."""
        if type(value) not in _LITERAL_TYPES:
            if type(value) is datetime.date:
                return self.const(value)
            raise _refuse(f"cannot write a {type(value).__name__} literal into generated code")
        if type(value) is float and (value != value or value in (float("inf"), float("-inf"))):
            return self.const(value)
        text = repr(value)
        return f"({text})" if text.startswith("-") else text

    def _Number(self, node, ind, scope):
        value = evaluator.literal_value(node)
        if type(value) not in (int, float):
            raise _refuse(f"a number literal must be an int or a float, not a {type(value).__name__}", node)
        return self._literal(value)

    def _String(self, node, ind, scope):
        return _text(node.value)

    def _Boolean(self, node, ind, scope):
        if type(node.value) is not bool:
            raise _refuse("a boolean literal must be true or false", node)
        return "True" if node.value else "False"

    def _Date(self, node, ind, scope):
        if type(node.value) is not datetime.date:
            raise _refuse("a date literal must be a date", node)
        return self.const(node.value)

    def _Path(self, node: A.Path, ind, scope):
        head = node.head
        if head in scope:
            item = scope[head]
            if node.rest is None:
                return item
            t = self.tmp()
            if node.ty is not None:
                self.emit(ind, f"{t} = None if {item} is None else {item}.get({_text(node.rest)})")
            else:
                self.emit(ind, f"{t} = R.field({item}, {_text(node.rest)}, {_text(head)}, {self.span(node)})")
            return t
        return self.fact(node.name)

    def _ListLit(self, node: A.ListLit, ind, scope):
        # A fresh list on every run, as the evaluator gives: callers may keep
        # or change the value, so a shared constant would leak between runs.
        parts = [self.expr(i, ind, scope) for i in node.items]
        t = self.tmp()
        self.emit(ind, f"{t} = [{', '.join(parts)}]")
        return t

    @staticmethod
    def _const_value(node: A.Node) -> Any:
        if isinstance(node, A.Number):
            return evaluator.literal_value(node)
        return node.value

    def _Not(self, node: A.Not, ind, scope):
        a = self.expr(node.operand, ind, scope)
        t = self.tmp()
        if _kind(node.operand) != "bool":
            self.emit(ind, f"{t} = R.truth({a}, 'not', {self.span(node)})")
            self.emit(ind, f"{t} = None if {t} is None else not {t}")
        else:
            self.emit(ind, f"{t} = None if {a} is None else not {a}")
        return t

    def _junction(self, node, ind, scope, stop: str, word: str):
        r = self.tmp("r")
        other = "True" if stop == "False" else "False"
        self.emit(ind, f"{r} = {other}")
        for k, op in enumerate(node.operands):
            inner = ind
            if k:
                self.emit(ind, f"if {r} is not {stop}:")
                inner = ind + 1
            a = self.expr(op, inner, scope)
            if _kind(op) != "bool":
                self.emit(inner, f"R.truth({a}, {word!r}, {self.span(op)})")
            self.emit(inner, f"if {a} is {stop}: {r} = {stop}")
            self.emit(inner, f"elif {a} is None: {r} = None")
        return r

    def _And(self, node, ind, scope):
        return self._junction(node, ind, scope, "False", "and")

    def _Or(self, node, ind, scope):
        return self._junction(node, ind, scope, "True", "or")

    def _Compare(self, node: A.Compare, ind, scope):
        op = _op(node, A.COMPARE_OPS)
        lk, rk = _kind(node.left), _kind(node.right)
        if op in ("in", "not in"):
            left = self.expr(node.left, ind, scope)
            t = self.tmp()
            right_node = node.right
            fast = lk in _SIMPLE_KINDS and _is_constant_list(right_node)
            if fast:
                values = [self._const_value(i) for i in right_node.items]
                kinds = {R.kind_of(v) for v in values}
                fast = kinds <= {lk}
            if fast:
                s = self.const(frozenset(values))
                neg = "not " if op == "not in" else ""
                self.emit(ind, f"{t} = None if {left} is None else ({left} {neg}in {s})")
                return t
            if _is_constant_list(right_node):
                right = self.const(tuple(self._const_value(i) for i in right_node.items))
            else:
                right = self.expr(right_node, ind, scope)
            self.emit(ind, f"{t} = R.member({left}, {right}, {self.span(node)})")
            if op == "not in":
                self.emit(ind, f"{t} = None if {t} is None else not {t}")
            return t
        left = self.expr(node.left, ind, scope)
        right = self.expr(node.right, ind, scope)
        t = self.tmp()
        # Inline only when both sides are checked to be of one simple kind:
        # Python's own ``True == 1`` or ``1 < 'a'`` differ from SPEC §3.
        simple = lk is not None and lk == rk and lk in _SIMPLE_KINDS
        if simple:
            guard = self._guard(node.left, left, node.right, right)
            if guard:
                self.emit(ind, f"{t} = None if {guard} else ({left} {op} {right})")
            else:
                self.emit(ind, f"{t} = ({left} {op} {right})")
            return t
        if op == "==":
            self.emit(ind, f"{t} = R.eq({left}, {right})")
        elif op == "!=":
            self.emit(ind, f"{t} = R.ne({left}, {right})")
        else:
            self.emit(ind, f"{t} = R.compare({_text(op)}, {left}, {right}, {self.span(node)})")
        return t

    @staticmethod
    def _guard(ln: A.Node, lv: str, rn: A.Node, rv: str) -> str:
        parts = [f"{v} is None" for n, v in ((ln, lv), (rn, rv)) if not isinstance(n, _CONSTANT_NODES)]
        return " or ".join(parts)

    def _Arith(self, node: A.Arith, ind, scope):
        op = _op(node, A.ARITH_OPS)
        left = self.expr(node.left, ind, scope)
        right = self.expr(node.right, ind, scope)
        t = self.tmp()
        if _kind(node.left) == "number" and _kind(node.right) == "number":
            if op == "/":
                self.emit(ind, f"{t} = R.div({left}, {right}, w, {self.span(node)})")
                return t
            guard = self._guard(node.left, left, node.right, right)
            expr = f"({left} {op} {right})"
            self.emit(ind, f"{t} = None if {guard} else {expr}" if guard else f"{t} = {expr}")
            return t
        self.emit(ind, f"{t} = R.arith({_text(op)}, {left}, {right}, w, {self.span(node)})")
        return t

    def _Neg(self, node: A.Neg, ind, scope):
        a = self.expr(node.operand, ind, scope)
        t = self.tmp()
        if _kind(node.operand) == "number":
            self.emit(ind, f"{t} = None if {a} is None else -{a}")
        else:
            self.emit(ind, f"{t} = R.neg({a}, {self.span(node)})")
        return t

    def _Call(self, node: A.Call, ind, scope):
        name = node.name
        if type(name) is not str or name not in A.FUNCTIONS:
            raise _refuse(f"function {name!r} is not part of the language", node)
        if name == "known":
            a = self.expr(node.args[0], ind, scope)
            t = self.tmp()
            self.emit(ind, f"{t} = {a} is not None")
            return t
        args = [self.expr(a, ind, scope) for a in node.args]
        t = self.tmp()
        s = self.span(node)
        if name == "at_least":
            self.emit(ind, f"{t} = R.fn_at_least({args[0]}, [{', '.join(args[1:])}], {s})")
        elif name in ("min", "max"):
            self.emit(ind, f"{t} = R.fn_{name}([{', '.join(args)}], {s})")
        elif name == "days":
            self.emit(ind, f"{t} = R.fn_days({args[0]}, {args[1]}, {s})")
        else:
            self.emit(ind, f"{t} = R.fn_{name}({args[0]}, {s})")
        return t

    def _Quantifier(self, node: A.Quantifier, ind, scope):
        if type(node.kind) is not str or node.kind not in A.QUANTIFIERS:
            raise _refuse(f"quantifier {node.kind!r} is not part of the language", node)
        typed = _kind(node.source) == "list"
        src = self.expr(node.source, ind, scope)
        s = self.span(node)
        r = self.tmp("r")
        if not typed:
            checked = self.tmp()
            self.emit(ind, f"{checked} = R.as_list({src}, {_text(node.kind + '()')}, {s})")
            src = checked
        self.emit(ind, f"if {src} is None: {r} = None")
        self.emit(ind, "else:")
        it = self.tmp("it")
        inner_scope = dict(scope)
        inner_scope[node.var] = it
        kind = node.kind
        b_span = self.span(node.body)
        if kind in ("any", "all"):
            stop = "True" if kind == "any" else "False"
            self.emit(ind + 1, f"{r} = {'False' if kind == 'any' else 'True'}")
            self.emit(ind + 1, f"for {it} in {src}:")
            b = self.expr(node.body, ind + 2, inner_scope)
            if _kind(node.body) != "bool":
                self.emit(ind + 2, f"R.quant_truth({b}, {_text(kind)}, {b_span})")
            self.emit(ind + 2, f"if {b} is {stop}:")
            self.emit(ind + 3, f"{r} = {stop}")
            self.emit(ind + 3, "break")
            self.emit(ind + 2, f"if {b} is None: {r} = None")
            return r
        u = self.tmp("u")
        self.emit(ind + 1, f"{r} = 0")
        self.emit(ind + 1, f"{u} = False")
        self.emit(ind + 1, f"for {it} in {src}:")
        b = self.expr(node.body, ind + 2, inner_scope)
        if kind == "count":
            if _kind(node.body) != "bool":
                self.emit(ind + 2, f"R.quant_truth({b}, 'count', {b_span})")
            self.emit(ind + 2, f"if {b} is True: {r} += 1")
            self.emit(ind + 2, f"elif {b} is None: {u} = True")
        else:
            body_number = _kind(node.body) == "number"
            if not body_number:
                self.emit(ind + 2, f"R.sum_term({b}, {b_span})")
            self.emit(ind + 2, f"if {b} is None: {u} = True")
            if body_number:
                self.emit(ind + 2, f"elif not {u}: {r} = {r} + {b}")
            else:
                self.emit(ind + 2, f"elif not {u}: {r} = R.arith('+', {r}, {b}, w, {s})")
        self.emit(ind + 1, f"if {u}: {r} = None")
        return r


class CompiledProgram:
    """A generated function for several expressions.

    ``program(facts, warnings=None)`` returns a tuple with one value per
    expression (``None`` = unknown).  ``facts`` is a flat mapping; warnings
    (division by zero) are appended to ``warnings`` when it is a list.
    ``source`` is the generated Python, for inspection, and ``function`` the
    function compiled from it (always generated code: building raises
    :class:`~safetyrules.errors.ExpressionError` when it cannot be made).
    """

    __slots__ = ("nodes", "source", "_fn")

    def __init__(self, nodes: Sequence[A.Node]) -> None:
        self.nodes = tuple(nodes)
        self.source, self._fn = _build(self.nodes)

    @property
    def function(self) -> Callable[..., tuple]:
        """The generated function, ``function(facts, warnings=None) -> tuple``."""
        return self._fn

    def __call__(self, facts: Mapping[str, Any], warnings: Optional[list] = None) -> tuple:
        return self._fn(facts, warnings)


def _groups(nodes: Tuple[A.Node, ...]):
    """Top-level ``and`` nodes whose first operand is one shared node (a
    standard's ``applies_when``), grouped by it, and for each group the
    facts that only its nodes read (so they can be read inside its block)."""
    first: Dict[int, List[int]] = {}
    for i, n in enumerate(nodes):
        if isinstance(n, A.And):
            first.setdefault(id(n.operands[0]), []).append(i)
    groups = {k: v for k, v in first.items() if len(v) > 1}
    group_of = {i: k for k, idxs in groups.items() for i in idxs}
    readers: Dict[str, set] = {}
    for i, n in enumerate(nodes):
        parts = n.operands[1:] if i in group_of else (n,)
        for part in parts:
            for p in A.fact_paths(part):
                readers.setdefault(p, set()).add(group_of.get(i, ("alone", i)))
        if i in group_of:
            for p in A.fact_paths(n.operands[0]):
                readers.setdefault(p, set()).add(("shared", i))
    local: Dict[int, List[str]] = {k: [] for k in groups}
    for p, who in readers.items():
        if len(who) == 1:
            (g,) = who
            if g in local:
                local[g].append(p)
    return groups, group_of, local


def _emit_all(gen: "_Gen", nodes: Tuple[A.Node, ...]) -> List[str]:
    """Emit every node; the clauses of one standard go in one block that is
    skipped when their shared ``applies_when`` is false, and facts only they
    read are read inside it."""
    groups, group_of, local = _groups(nodes)
    results: List[Optional[str]] = [None] * len(nodes)
    for i, n in enumerate(nodes):
        if results[i] is not None:
            continue
        g = group_of.get(i)
        if g is None:
            results[i] = gen.expr(n, _TOP, {})
            continue
        shared = gen.expr(n.operands[0], _TOP, {})
        outs = [gen.tmp("r") for _ in groups[g]]
        gen.emit(_TOP, f"if {shared} is False:")
        for r in outs:
            gen.emit(_TOP + 1, f"{r} = False")
        gen.emit(_TOP, "else:")
        for p in local[g]:
            v = gen.tmp("v")
            gen.local_facts[p] = v
            gen.emit(_TOP + 1, f"{v} = _get({_text(p)})")
        for r, j in zip(outs, groups[g]):
            out = gen.expr(nodes[j], _TOP + 1, {})
            gen.emit(_TOP + 1, f"{r} = {out}")
            results[j] = r
        for p in local[g]:
            del gen.local_facts[p]
    return results


def _build(nodes: Tuple[A.Node, ...]):
    # Every node is checked before any line is generated (and again as each
    # is written, in _Gen.expr), so a bad node anywhere stops the build.
    for root in nodes:
        for n in A.walk(root):
            _check_node(n)
    gen = _Gen()
    body: List[str] = []
    gen.lines = body
    # A top-level `and` that shares an operand with another (one standard's
    # applies_when in every clause) keeps its three-valued form, so the shared
    # operand is computed once at top level (see _Gen.expr).
    uses: Dict[int, int] = {}
    for n in nodes:
        for op in n.operands if isinstance(n, A.And) else ():
            uses[id(op)] = uses.get(id(op), 0) + 1
    gen.no_fast = {id(n) for n in nodes if isinstance(n, A.And) and any(uses[id(op)] > 1 for op in n.operands)}
    try:
        results = _emit_all(gen, nodes)
    except RecursionError:
        # Only hand-built trees get here: parsed ones are at most MAX_DEPTH deep.
        raise ExpressionError(f"expression is nested too deeply to compile (the limit is {A.MAX_DEPTH} levels)") from None
    head = ["def _program(f, w=None):", "    _get = f.get", "    try:"]
    head += [f"        {v} = _get({_text(p)})" for p, v in gen.facts.items()]
    tail = [
        f"        return ({', '.join(results)}{',' if len(results) == 1 else ''})",
        "    except OverflowError:",
        "        raise EvaluationError('a number is too large to compute with') from None",
    ]
    source = "\n".join(head + body + tail) + "\n"
    try:
        with _warnings.catch_warnings():
            # ``1 is None`` on an inlined literal is correct (always false)
            # but makes Python warn; the warning is noise for our users.
            _warnings.simplefilter("ignore", SyntaxWarning)
            code = compile(source, f"<safetyrules-compiled-{next(_counter)}>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError, OverflowError) as exc:
        # Parsed expressions stay inside Python's limits (MAX_DEPTH and
        # MAX_QUANTIFIER_DEPTH); a hand-built tree may not.  Loud, never a
        # silent switch to the evaluator.
        why = getattr(exc, "msg", None) or type(exc).__name__
        raise ExpressionError(
            f"the generated code for this expression does not compile ({why}); "
            f"nesting is limited to {A.MAX_DEPTH} levels and {A.MAX_QUANTIFIER_DEPTH} nested any/all/count/sum"
        ) from None
    ns = dict(gen.ns)
    exec(code, ns)  # noqa: S102 - source generated from the checked AST only
    return source, ns["_program"]


def compile_many(nodes: Sequence[A.Node]) -> CompiledProgram:
    """One generated function for several expressions (each fact read once)."""
    return CompiledProgram(nodes)


def compile_expr(node: A.Node) -> Callable[..., Any]:
    """A callable ``fn(facts, warnings=None) -> value`` for one expression."""
    program = CompiledProgram([node])
    fn = program.function

    def run(facts: Mapping[str, Any], warnings: Optional[list] = None) -> Any:
        return fn(facts, warnings)[0]

    run.source = program.source  # type: ignore[attr-defined]
    return run
