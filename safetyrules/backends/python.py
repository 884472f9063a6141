"""The plan → one generated Python function per (plan, standards in force).

The function ``run(facts, day)`` reads and checks the input facts its
conditions and tables read, once, and tests every other key present for
regularity (:mod:`.pyread`), computes the tables before the standards,
every clause of every standard in force and the tables after them with
Kleene logic as plain two-valued expressions (:mod:`.pyexpr`; list
quantifiers as loops), and returns the compact result of :mod:`.layout`,
or None for input it does not take as regular (then the engine's reference
path decides; see :mod:`.pyread`).

Per standard, one block guarded by its ``applies_when``; per clause::

    if T(own):   found (or undetermined while applies_when is unknown)
    elif <the groups it reads are complete> or F(own):   not found
    else:        undetermined

so F is evaluated only where facts are missing.  A table whose rows all
test one text fact against literals is one dict lookup, its outcomes
computed here by :func:`~.tables.decide_table`; other ``first`` tables are
if/elif chains where an unknown row stops the chain; the other hit
policies call :func:`~.tables.decide_table`.  A division by zero with a known
dividend makes it give up, so the reference path adds the warning exactly
as it always has.

Only the checked plan reaches the source: identifiers are generated,
literals are ``repr`` of checked numbers and strings, anything else a named
constant.  A generation or compile failure raises :class:`GenerationError`
(no silent fallback).
"""

from __future__ import annotations

import datetime
import itertools
import math
import operator
import warnings as _warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from safetyrules import dsl
from safetyrules.backends.layout import FrozenList, Layout, RawItems, freeze_value
from safetyrules.backends.pyexpr import CondGen, GenerationFailure
from safetyrules.backends.pyread import ABSENT as _ABSENT, NAN as _NAN, Reader, build_trie, group_regular, items_regular, nest_input, read_group
from safetyrules.backends.tables import decide_table, no_row_warning
from safetyrules.errors import SafetyRulesError
from safetyrules.frozen import FrozenDict
from safetyrules.plan.model import FINDINGS_FACTS, Plan, PlanTable
from safetyrules.limits import parse_date

__all__ = ["Program", "compile_program", "GenerationError"]

_counter = itertools.count()


class GenerationError(SafetyRulesError):
    """The plan could not be turned into Python (a bug, never user input)."""


class _GiveUp(Exception):
    """Internal: the input is not regular; the reference path decides."""


def _div(a, b):
    if b == 0:
        if a == a:  # a known dividend: the reference warns, so it decides
            raise _GiveUp
        return _NAN
    return a / b


def _divz(a, z):
    """A zero divisor in a table's rows: unknown; a known dividend noted in
    ``z`` (the reference warns: :class:`_TableWarnings` adds its warnings)."""
    if a == a:
        z.append(True)
    return _NAN


class _TableWarnings:
    """The warnings the reference path's rows of one table give (its
    division-by-zero warnings, attributed to the table), computed by the
    reference's own row program over the facts the rows read: called only
    for a record whose rows divided by zero.  The row program is compiled
    on first use (the compile stage does not pay for it)."""

    __slots__ = ("nodes", "table", "prog")

    def __init__(self, nodes: tuple, table: str) -> None:
        self.nodes = nodes
        self.table = table
        self.prog = None

    def __call__(self, env: dict) -> tuple:
        prog = self.prog
        if prog is None:
            prog = self.prog = dsl.compile_many(list(self.nodes))  # benign race: the same program
        w: List[dict] = []
        prog(env, w)
        return tuple(FrozenDict({**item, "table": self.table}) for item in w)


class Program:
    """A generated per-record function and the layout of its results.

    ``run(facts, day)`` returns the compact result (see
    :mod:`safetyrules.backends.layout`) for input it takes as regular, or
    None: then the caller runs the reference path.  ``source`` is the
    generated Python text."""

    __slots__ = ("layout", "source", "run")

    def __init__(self, layout: Layout, source: str, run: Callable[..., Optional[tuple]]) -> None:
        self.layout = layout
        self.source = source
        self.run = run


def _counts(results: tuple, major) -> Tuple[int, int, int, int]:
    """The findings counts (major, general, undetermined, major
    undetermined) of the clause results of a run; ``major`` picks the major
    clauses' results (an itemgetter, or None for none).  Counted in C."""
    found = results.count(True)
    und = results.count(None)
    if major is None:
        return 0, found, und, 0
    m = major(results)
    if type(m) is not tuple:  # one major clause
        m = (m,)
    n_major = m.count(True)
    return n_major, found - n_major, und, m.count(None)


class _Code:
    """A buffer of generated lines, with generated names and constants."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.helpers: List[str] = []
        self.ns: Dict[str, Any] = {
            "_NAN": _NAN, "_ABSENT": _ABSENT, "_ONE": (1,), "_div": _div, "_divz": _divz, "_GiveUp": _GiveUp,
            "_date": datetime.date, "_fromiso": parse_date, "_fz": freeze_value,
            "_FrozenDict": FrozenDict, "SafetyRulesError": SafetyRulesError, "_nest": nest_input, "_TWO": (0, 1),
            "_counts": _counts, "_grp": group_regular, "_rd": read_group, "_items": items_regular, "_fzv": FrozenList, "_EMPTY": FrozenList(()),
            "_RI": RawItems, "_dcopy": dict.copy,
        }
        self.n = 0

    def tmp(self, prefix: str = "t") -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def const(self, value: Any) -> str:
        name = self.tmp("_c")
        self.ns[name] = value
        return name

    def literal(self, value: Any) -> str:
        if value is None or value is True or value is False:
            return repr(value)
        if type(value) is str:
            return repr(value)
        if type(value) in (int, float) and math.isfinite(value):
            text = repr(value)
            return f"({text})" if text.startswith("-") else text
        return self.const(value)

    def emit(self, ind: int, line: str) -> None:
        self.lines.append("    " * ind + line)

    def helper(self, source: str) -> None:
        self.helpers.append(source)


# a program reading more input facts than this reads each mapping by one
# call of pyread.read_group (a few lines per mapping) instead of code per
# fact: a smaller source that compiles faster; a small program keeps the
# inline code (faster per record)
INLINE_READS = 64
_FLAT_FIRST = 64  # rows of a `first` table above which its chain is written flat


class _Builder:
    def __init__(self, plan: Plan, layout: Layout) -> None:
        self.plan = plan
        self.layout = layout
        self.code = _Code()
        self.locals: Dict[str, str] = {}
        self.rep: Dict[str, str] = {}
        self.flags: Dict[str, str] = {}
        self.cond = CondGen(self.code, self.value_of)
        self.outputs = {t.output: t for t in plan.tables}
        self.counts = bool(plan.tables_after)
        self.count_locals = dict(zip(FINDINGS_FACTS, ("_nM", "_nG", "_nU", "_nMU")))
        self.group_of: Dict[str, str] = {}
        self._applies_paths: Dict[int, Tuple[str, ...]] = {}

    # -- names -------------------------------------------------------------
    def value_of(self, name: str):
        v = self.locals.get(name)
        if v is not None:
            return v, self.rep[name]
        if name == "as_of":
            return "day", "none"
        if name in self.count_locals and self.counts:
            return self.count_locals[name], "nan"
        return None

    def _number(self, name: str) -> bool:
        ty = self.plan.types.get(name)
        kind = getattr(ty, "kind", None)
        if kind is None:
            spec = self.plan.facts.get(name)
            return spec is not None and spec.type in ("integer", "number")
        return kind == "number"

    # -- the function --------------------------------------------------------
    def build(self) -> str:
        code = self.code
        plan = self.plan
        inputs = {n: s for n, s in plan.facts.items()
                  if n not in FINDINGS_FACTS and n != "as_of" and n not in self.outputs}
        # only the facts a condition or a table reads are read into locals;
        # every other key present is only tested for regularity
        wanted = frozenset(self.layout.keys)
        for n, spec in inputs.items():
            if n in wanted:
                self.locals[n] = code.tmp("v")
                self.rep[n] = "nan" if spec.type in ("integer", "number") else "none"
        for t in plan.tables:
            self.locals[t.output] = code.tmp("o")
            self.rep[t.output] = "nan" if self._number(t.output) else "none"
        nested, flat = build_trie(inputs)
        body: List[str] = []
        code.lines = body
        ind = 2
        # facts a conflicting trie leaves out are never read: unknown
        read = {full for full, _ in nested.all_leaves()}
        for n in inputs:
            if n in self.locals and n not in read:
                code.emit(ind, f"{self.locals[n]} = {'_NAN' if self.rep[n] == 'nan' else 'None'}")
        reader = Reader(code, self.locals, self.flags, table=len(wanted) > INLINE_READS)
        code.emit(ind, "_ok = False")
        if nested.groups:
            # dotted names, or a mix: nested again (_nest) and read a second time
            # by the same code (one copy of the reading code, not two)
            code.emit(ind, "for _p in _TWO:")
            code.emit(ind + 1, "if _p:")
            code.emit(ind + 2, "f = _nest(f)")
            code.emit(ind + 2, "if f is None: return None")
            rind = ind + 1
        else:
            rind = ind
        code.emit(rind, "for _ in _ONE:")
        reader.read(nested, rind + 1, "break")
        code.emit(rind + 1, "_ok = True")
        if nested.groups:
            code.emit(rind, "if _ok: break")
        self.group_of = dict(reader.group_of)
        code.emit(ind, "if not _ok: return None")
        tup = lambda xs: "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"  # noqa: E731
        code.emit(ind, "_w = []")
        code.emit(ind, "_z = []")
        code.emit(ind, "_W = ()")
        for t in plan.tables_before:
            self.table(t, ind)
        results = self.standards(ind)
        if self.counts:
            # the findings counts, for the tables after the standards
            at = self.layout.major_at
            major = code.const(operator.itemgetter(*at) if at else None)
            code.emit(ind, f"_nM, _nG, _nU, _nMU = _counts({tup(results)}, {major})")
        for t in plan.tables_after:
            self.table(t, ind)
        values = []
        for k in self.layout.keys:
            v = self.locals.get(k)
            if v is None:
                values.append("None")
            elif k in inputs and inputs[k].type == "list":
                # a list of items: fresh copies, frozen by the decision on first use (layout.RawItems)
                fz = f"_fzv({v})" if not inputs[k].item and inputs[k].values else f"_RI(map(_dcopy, {v}))"
                values.append(f"(None if {v} is None else {fz} if {v} else _EMPTY)")
            else:
                values.append(v)
        code.emit(ind, f"return ({tup(results)}, {tup(values)}, (), _W)")
        head = ["def run(f, day):", "    if type(f) is not dict: return None", "    try:"]
        tail = ["    except (_GiveUp, TypeError, ValueError, KeyError, OverflowError, SafetyRulesError):",
                "        return None"]
        return "".join(code.helpers) + "\n".join(head + body + tail) + "\n"

    # -- tables --------------------------------------------------------------
    def table(self, t: PlanTable, ind: int) -> None:
        code, cond = self.code, self.cond
        out = self.locals[t.output]
        unk = "_NAN" if self.rep[t.output] == "nan" else "None"
        if self._switch(t, ind, out, _NAN if unk == "_NAN" else None):
            return
        cond.begin()
        # a zero divisor in the rows: the reference's warnings of the rows
        # added here (before the hit policy's), over the facts they read
        # (or, where the rows read what the program does not hold, it gives up)
        cond.div_note, cond.divided = True, False
        rows = []
        try:
            for r in t.rows:
                rows.append(cond.unit_tf(r.when.node) if r.when is not None else ("False", "False"))
        finally:
            cond.div_note = False
        cond.flush(ind)
        if cond.divided:
            env = self._row_env(t)
            if env is None:
                code.emit(ind, "if _z: return None")
            else:
                tw = code.const(_TableWarnings(tuple(r.when.node for r in t.rows), t.id))
                code.emit(ind, f"if _z: _W = _W + {tw}({env}); _z.clear()")
        if t.hit == "first" and len(rows) > _FLAT_FIRST:
            # a long if/elif chain nests one level per branch and CPython's
            # compiler recurses on it (~1,500 rows exceed its limit): the same
            # chain as flat tests that leave a one-pass loop
            code.emit(ind, "for _once in (0,):")
            for k, (tt, ff) in enumerate(rows):
                code.emit(ind + 1, f"if {tt}: {out} = {self._then(t.rows[k].then)}; break")
                code.emit(ind + 1, f"if not {ff}: {out} = {unk}; break")  # an unknown row stops the chain
            if t.has_default:
                code.emit(ind + 1, f"{out} = {self._then(t.default)}")
            else:
                code.emit(ind + 1, f"{out} = {unk}; _W = _W + ({code.const(FrozenDict(no_row_warning(t)))},)")
            return
        if t.hit == "first":
            for k, (tt, ff) in enumerate(rows):
                code.emit(ind, f"{'if' if k == 0 else 'elif'} {tt}: {out} = {self._then(t.rows[k].then)}")
                code.emit(ind, f"elif not {ff}: {out} = {unk}")  # an unknown row stops the chain
            if t.has_default:
                last = f"{out} = {self._then(t.default)}"
            else:
                last = f"{out} = {unk}; _W = _W + ({code.const(FrozenDict(no_row_warning(t)))},)"
            code.emit(ind, f"else: {last}" if rows else last)
            return
        vals = ", ".join(f"(True if {tt} else (False if {ff} else None))" for tt, ff in rows)
        fn = code.const(_table_fn(t, _NAN if unk == "_NAN" else None))
        code.emit(ind, f"{out}, _W = {fn}(({vals}{',' if len(rows) == 1 else ''}), _W)")

    def _row_env(self, t: PlanTable) -> Optional[str]:
        """The facts ``t``'s rows read, as the reference's environment (a
        dict display of the locals, unknown as None), or None where a row
        has no condition or reads something the program does not hold."""
        if any(r.when is None for r in t.rows):
            return None
        items = []
        for p in t.reads:  # every fact the rows read
            got = self.value_of(p)
            if got is None:
                return None
            v, rep = got
            items.append(f"{p!r}: " + (f"(None if {v} != {v} else {v})" if rep == "nan" else v))
        return "{" + ", ".join(items) + "}"

    def _switch(self, t: PlanTable, ind: int, out: str, unknown: Any) -> bool:
        """A table whose every row tests one text fact against literals
        (``p == 'a'``, ``p in ['a', 'b']``): its output and warnings for
        each value of the fact, computed here by :func:`decide_table` (so
        by its hit policy exactly), and one dict lookup per record."""
        path = None
        sets: List[frozenset] = []
        for r in t.rows:
            if r.when is None:
                return False
            got = _literal_test(r.when.node)
            if got is None:
                return False
            p, values = got
            if path is None:
                path = p
            elif p != path:
                return False
            sets.append(values)
        if path is None:
            return False
        got = self.value_of(path)
        if got is None or got[1] != "none":
            return False
        v = got[0]

        def outcome(vals) -> Tuple[Any, tuple]:
            wl: List[dict] = []
            res = decide_table(t, vals, wl)
            ws = tuple(FrozenDict(x) for x in wl)
            if not res.known:
                return unknown, ws
            value = res.value
            if t.hit == "first":
                value = freeze_value(list(value)) if isinstance(value, (list, tuple)) else value
            elif type(value) is list:
                value = FrozenList(value)
            return value, ws

        table = {x: outcome(tuple(x in s_ for s_ in sets)) for x in sorted(frozenset().union(*sets))}
        miss = outcome(tuple(False for _ in sets))
        unk = outcome(tuple(None for _ in sets))
        w = self.code.tmp("w")
        self.code.emit(ind, f"{out}, {w} = {self.code.const(unk)} if {v} is None else "
                            f"{self.code.const(table)}.get({v}, {self.code.const(miss)})")
        self.code.emit(ind, f"if {w}: _W = _W + {w}")
        return True

    def _then(self, value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return self.code.const(freeze_value(list(value)))
        return self.code.literal(value)

    # -- standards -----------------------------------------------------------
    def standards(self, ind: int) -> List[str]:
        code, cond = self.code, self.cond
        keep = frozenset(self.layout.in_force)
        results: List[str] = []
        for s in self.plan.standards:
            if s.id not in keep or not s.clauses:
                continue
            shared = s.clauses[0].applies
            one_block = shared is not None and all(c.applies is shared for c in s.clauses)
            names = [code.tmp("r") for _ in s.clauses]
            results.extend(names)
            inner = ind
            a_t = None
            if one_block:
                cond.begin()
                a_t, a_f = cond.unit_tf(shared.node)
                cond.flush(ind)
                a = code.tmp("a")
                code.emit(ind, f"{a} = {a_t}")
                code.emit(ind, f"if {a_f}: {' = '.join(names)} = False")
                code.emit(ind, "else:")
                inner = ind + 1
                a_t = a
            for c, r in zip(s.clauses, names):
                node = c.own_condition if one_block else c.condition
                cond.begin()
                tt, ff = cond.unit_tf(node)
                cond.flush(inner)
                known = None if cond.complex else self._known(self._paths(c, one_block))
                # found where T holds (undetermined while applies_when is unknown),
                # not found where F holds or every fact read is known
                test = f"{known} or {ff}" if known else ff
                yes = "True" if a_t is None else f"({a_t} or None)"
                code.emit(inner, f"{r} = {yes} if {tt} else (False if {test} else None)")
        return results

    def _paths(self, c, own: bool) -> Tuple[str, ...]:
        """``fact_paths`` of the clause's own condition (``own``: ``c.reads``)
        or of its whole condition (its applies_when's paths, then
        ``c.reads``: see plan.model.combine)."""
        if own or c.applies is None:
            return c.reads
        got = self._applies_paths.get(id(c.applies))
        if got is None:
            from safetyrules.dsl.ast import fact_paths

            got = self._applies_paths[id(c.applies)] = fact_paths(c.applies.node)
        return tuple(dict.fromkeys(got + c.reads))

    def _known(self, paths: Tuple[str, ...]) -> Optional[str]:
        """An expression true when every fact of ``paths`` (what a condition
        reads) is known (then its T and F are complements), or None."""
        parts: Dict[str, None] = {}
        for p in paths:
            if p == "as_of" or p in self.count_locals:
                continue
            if p in self.outputs:
                v = self.locals[p]
                parts[f"{v} == {v}" if self.rep[p] == "nan" else f"{v} is not None"] = None
                continue
            group = self.group_of.get(p)
            if group is None:
                return None
            parts[self.flags[group]] = None
        if not parts:
            return "True"
        return "(" + " and ".join(parts) + ")"


def _literal_test(node) -> Optional[Tuple[str, frozenset]]:
    """``(path, values)`` of ``path == 'a'`` / ``'a' == path`` /
    ``path in ['a', ...]`` (text literals), else None."""
    from safetyrules.dsl import ast as A

    if not isinstance(node, A.Compare):
        return None
    if node.op == "==":
        left, right = node.left, node.right
        if isinstance(left, A.String):
            left, right = right, left
        if _text_path(left) and isinstance(right, A.String) and type(right.value) is str:
            return left.name, frozenset([right.value])
        return None
    if node.op == "in" and _text_path(node.left) and isinstance(node.right, A.ListLit):
        items = node.right.items
        if items and all(isinstance(i, A.String) and type(i.value) is str for i in items):
            return node.left.name, frozenset(i.value for i in items)
    return None


def _text_path(node) -> bool:
    from safetyrules.dsl import ast as A

    return isinstance(node, A.Path) and node.ty is not None and node.ty.kind == "string"


def _table_fn(t: PlanTable, unknown: Any):
    """``fn(row_values, W) -> (output, W)`` by :func:`decide_table`."""

    def run(vals, W):
        wl: List[dict] = []
        res = decide_table(t, vals, wl)
        if wl:
            W = W + tuple(FrozenDict(x) for x in wl)
        if not res.known:
            return unknown, W
        v = res.value
        return (FrozenList(v) if type(v) is list else v), W

    return run


def compile_program(plan: Plan, in_force: Tuple[str, ...]) -> Program:
    """Generate and compile the program of ``plan`` for the standards
    ``in_force``.  Raises :class:`GenerationError` on failure."""
    layout = Layout(plan, in_force)
    builder = _Builder(plan, layout)
    try:
        source = builder.build()
    except (GenerationFailure, RecursionError) as exc:
        raise GenerationError(f"cannot generate code for rule set '{plan.id}': {exc}") from None
    ns = dict(builder.code.ns)
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", SyntaxWarning)
            code = compile(source, f"<safetyrules-program-{next(_counter)}>", "exec")
        exec(code, ns)  # noqa: S102 - generated from the checked plan only
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise GenerationError(f"generated code for rule set '{plan.id}' does not compile: {exc}") from None
    return Program(layout, source, ns["run"])
