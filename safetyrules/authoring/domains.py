"""Finite-domain search over checked conditions (used by lint, verify and diff).

A condition is lowered to a small boolean formula over *atoms*: every
sub-expression that is not ``and``/``or``/``not``.  An atom that reads plain
facts (bool, number, enum, string, date) is decided by the real evaluator once
those facts have values; anything else (a quantifier over a list, a list
length) is *opaque* and becomes a free true/false variable named by its text.

Each fact gets a finite set of representative values taken from the constants
it is compared with: for a number ``c`` the points just below, at and just
above ``c`` (``c-1, c, c+1`` for integers), every declared value of an enum,
true/false, and optionally *missing*.  Comparisons with constants only change
truth value at those constants, so these points stand for every input: a
search over them is exact for such comparisons (and an over-approximation
when two facts are compared with each other or an atom is opaque).

The search splits on one variable at a time, simplifying every formula
(Kleene three-valued) after each choice, and lets a *goal* decide, on the
partly simplified formulas, whether a branch is a hit, hopeless, or needs
more splitting.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.errors import SafetyRulesError

__all__ = ["MISSING", "Problem", "Incomplete", "show_value", "show_assignment"]


class _Missing:
    """The value of a fact that is not given (unknown)."""

    _inst = None

    def __new__(cls):
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
_SCALAR_TYPES = ("bool", "integer", "number", "string", "enum", "date")


# The date the first fact of ``days(a, b)`` takes when both are facts.
_DAYS_ANCHOR = datetime.date(2024, 1, 1)


class Incomplete(Exception):
    """The search ran out of its step budget."""


def _const_value(node: A.Node) -> Any:
    """The value of a fact-free sub-expression, or None when it has none."""
    if dsl.fact_paths(node):
        return None
    for n in A.walk(node):
        if isinstance(n, (A.Path, A.Quantifier)):
            return None
    try:
        return dsl.evaluate_ast(node, {})
    except (SafetyRulesError, Exception):
        return None


class Problem:
    """Formulas for a list of checked condition nodes, sharing one set of
    variables and domains.

    ``vocab`` maps fact paths to :class:`~safetyrules.dsl.FactSpec`;
    ``missing`` adds *missing* to every domain (for diff, where unknown is a
    value worth comparing).
    """

    def __init__(self, nodes: Sequence[Optional[A.Node]], vocab: Mapping[str, Any], *, missing: bool = False,
                 budget: int = 200_000) -> None:
        self.vocab = vocab
        self.missing = missing
        self.budget = budget
        self.steps = 0
        self.atoms: List[Tuple[Tuple[str, ...], A.Node, bool]] = []  # (vars, node, opaque)
        self._atom_index: Dict[Any, int] = {}
        self.order: Dict[str, int] = {}
        self.constants: Dict[str, list] = {}
        self.formulas = [self.lower(n) if n is not None else None for n in nodes]
        for n in nodes:
            if n is not None:
                self._collect_constants(n)
        self._domains: Dict[str, list] = {}

    # -- lowering ----------------------------------------------------------
    def _var(self, name: str) -> None:
        self.order.setdefault(name, len(self.order))

    def lower(self, node: A.Node):
        """``node`` as the problem's formula tuples (``("and", ...)``, ...);
        public because :mod:`~safetyrules.authoring.verify` lowers its own
        conditions with it."""
        if isinstance(node, A.And):
            return ("and", tuple(self.lower(x) for x in node.operands))
        if isinstance(node, A.Or):
            return ("or", tuple(self.lower(x) for x in node.operands))
        if isinstance(node, A.Not):
            return ("not", self.lower(node.operand))
        if isinstance(node, A.Boolean):
            return node.value
        facts = dsl.fact_paths(node)
        plain = all(self._assignable(f) for f in facts)
        if plain and facts:
            key = node
            vars_ = tuple(facts)
            opaque = False
        else:
            text = dsl.unparse(node)
            key = ("opaque", text)  # type: ignore[assignment]  # atoms are keyed by node or by text
            vars_ = (f"⟨{text}⟩",)
            opaque = True
        if key not in self._atom_index:
            self._atom_index[key] = len(self.atoms)
            self.atoms.append((vars_, node, opaque))
        for v in vars_:
            self._var(v)
        return ("atom", self._atom_index[key])

    def exact(self, node: A.Node) -> bool:
        """True when every atom of ``node`` reads at most one fact or is opaque,
        so that the representative values decide it exactly."""
        for n in A.walk(node):
            if isinstance(n, (A.And, A.Or, A.Not, A.Boolean)):
                continue
            facts = dsl.fact_paths(n)
            if len(facts) > 1 and all(self._assignable(f) for f in facts):
                return False
            # an atom: its inside does not matter for this test
        return True

    def _assignable(self, fact: str) -> bool:
        spec = self.vocab.get(fact)
        return spec is not None and spec.type in _SCALAR_TYPES

    def _collect_constants(self, node: A.Node) -> None:
        for n in A.walk(node):
            if not isinstance(n, A.Compare):
                continue
            for side, other in ((n.left, n.right), (n.right, n.left)):
                facts = dsl.fact_paths(side)
                if not facts or not all(self._assignable(f) for f in facts) or dsl.fact_paths(other):
                    continue
                value = _const_value(other)
                if value is None:
                    continue
                if isinstance(side, A.Call) and side.name == "days" and len(side.args) == 2:
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        self._days_constants(side, value)
                    continue
                if len(facts) > 1:
                    # several facts against a constant (a sum, a ratio): give each
                    # of them the constant and zero, so the search can reach both sides
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        for f in facts:
                            bucket = self.constants.setdefault(f, [])
                            for v in (0, value):
                                if v not in bucket:
                                    bucket.append(v)
                    continue
                vals = value if isinstance(value, (list, tuple)) else [value]
                if not isinstance(side, A.Path) and isinstance(value, (int, float)) and not isinstance(value, bool):
                    # a linear expression of the fact (``n * 2 >= 13``): its boundary is where
                    # the expression meets the constant (6.5), not the constant itself
                    at = self._solve(side, facts[0], value)
                    if at is not None:
                        vals = [value, at]
                bucket = self.constants.setdefault(facts[0], [])
                for v in vals:
                    if v not in bucket:
                        bucket.append(v)

    def _solve(self, side: A.Node, fact: str, c: float) -> Optional[float]:
        """The value of numeric ``fact`` at which ``side`` (an expression of it
        alone) equals ``c``, when ``side`` is linear in it; else None."""
        if self.vocab[fact].type not in ("integer", "number"):
            return None
        try:
            s0, s1, s2 = (dsl.evaluate_ast(side, {fact: x}) for x in (0, 1, 2))
        except Exception:
            return None
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (s0, s1, s2)):
            return None
        slope = s1 - s0
        if slope == 0 or not math.isclose(s2 - s1, slope, rel_tol=1e-9, abs_tol=1e-12):
            return None
        at = _tidy((c - s0) / slope)
        return at if math.isfinite(at) else None

    def _days_constants(self, call: A.Call, c: Any) -> None:
        """``days(a, b) OP c``: dates whose distance is just below, at and
        just above ``c`` days, so a moved day threshold (``> 90`` → ``> 60``)
        has points that tell the two apart.  With two date facts ``a`` takes
        an anchor date and ``b`` the anchor plus each distance; with one date
        fact and a date constant, the fact takes the constant minus (or plus)
        each distance."""
        a, b = call.args
        deltas = sorted({math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1})

        def date_fact(n: A.Node) -> Optional[str]:
            if isinstance(n, A.Path) and self._assignable(n.name) and self.vocab[n.name].type == "date":
                return n.name
            return None

        def add(fact: str, values: Iterable[datetime.date]) -> None:
            bucket = self.constants.setdefault(fact, [])
            for v in values:
                if v not in bucket:
                    bucket.append(v)

        fa, fb = date_fact(a), date_fact(b)
        ka = _const_value(a) if fa is None else None
        kb = _const_value(b) if fb is None else None
        one = datetime.timedelta(days=1)
        if fa and fb:
            add(fa, [_DAYS_ANCHOR])
            add(fb, [_DAYS_ANCHOR + d * one for d in deltas])
        elif fa and isinstance(kb, datetime.date):
            add(fa, [kb - d * one for d in deltas])
        elif fb and isinstance(ka, datetime.date):
            add(fb, [ka + d * one for d in deltas])

    # -- domains -------------------------------------------------------------
    def domain(self, var: str) -> list:
        if var in self._domains:
            return self._domains[var]
        if var.startswith("⟨"):
            dom: list = [False, True]
        else:
            dom = self.fact_domain(var, self.vocab[var], self.constants.get(var, []))
        if self.missing:
            dom = dom + [MISSING]
        self._domains[var] = dom
        return dom

    @staticmethod
    def fact_domain(name: str, spec, consts: list) -> list:
        """The values worth trying for a fact: its finite domain, or the
        boundary values around the constants it is compared with."""
        t = spec.type
        if t == "bool":
            return [False, True]
        if t == "enum":
            return list(spec.values or ())
        if t == "string":
            strs = sorted({c for c in consts if isinstance(c, str)})
            other = "other"
            while other in strs:
                other += "_"
            return strs + [other]
        if t == "date":
            days = sorted({c for c in consts if isinstance(c, datetime.date)})
            one = datetime.timedelta(days=1)
            out = sorted({d + k * one for d in days for k in (-1, 0, 1)})
            return out or [datetime.date(2024, 1, 1)]
        nums = sorted({float(c) for c in consts if isinstance(c, (int, float)) and not isinstance(c, bool)})
        lo, hi = spec.min, spec.max
        points: set = set()
        if t == "integer":
            for c in nums:
                f, ce = math.floor(c), math.ceil(c)
                points.update((f - 1, f, ce, ce + 1))
            if not nums:
                points.update((0, 1))
        else:
            gaps = [b - a for a, b in zip(nums, nums[1:])]
            step = 0.01
            if gaps and min(gaps) <= 2 * step:
                step = min(gaps) / 4
            for c in nums:
                points.update((_tidy(c - step), _tidy(c), _tidy(c + step)))
            if not nums:
                points.update((0, 1))
        pts = sorted(p for p in points if (lo is None or p >= lo) and (hi is None or p <= hi))
        if lo is not None and (not pts or pts[0] > lo):
            pts.insert(0, _tidy(lo) if t != "integer" else math.ceil(lo))
        if hi is not None and (not pts or pts[-1] < hi) and not any(p > hi for p in points):
            pass
        if not pts and hi is not None:
            pts = [_tidy(hi) if t != "integer" else math.floor(hi)]
        return [int(p) if t == "integer" or (isinstance(p, float) and p.is_integer()) else p for p in pts]

    # -- simplification ---------------------------------------------------------
    def reduce(self, f, assign: Mapping[str, Any]):
        """``f`` simplified under ``assign``: True, False, None (unknown) or a formula."""
        if f is True or f is False or f is None:
            return f
        tag = f[0]
        if tag == "atom":
            vars_, node, opaque = self.atoms[f[1]]
            if not all(v in assign for v in vars_):
                return f
            if opaque:
                v = assign[vars_[0]]
                return None if v is MISSING else v
            env = {v: assign[v] for v in vars_ if assign[v] is not MISSING}
            try:
                r = dsl.evaluate_ast(node, env)
            except SafetyRulesError:
                return None
            return r if r is True or r is False else None
        if tag == "not":
            r = self.reduce(f[1], assign)
            if r is True or r is False:
                return not r
            if r is None:
                return None
            return ("not", r)
        absorb = tag == "or"  # the value that decides the connective
        rest = []
        unknown = False
        for x in f[1]:
            r = self.reduce(x, assign)
            if r is absorb:
                return absorb
            if r is (not absorb):
                continue
            if r is None:
                unknown = True
            else:
                rest.append(r)
        if not rest:
            return None if unknown else (not absorb)
        if unknown:
            rest.append(None)
        return (tag, tuple(rest)) if len(rest) > 1 else rest[0]

    def _vars_of(self, f, counts: Dict[str, int]) -> None:
        stack = [f]
        while stack:
            g = stack.pop()
            if g is True or g is False or g is None:
                continue
            if g[0] == "atom":
                for v in self.atoms[g[1]][0]:
                    counts[v] = counts.get(v, 0) + 1
            elif g[0] == "not":
                stack.append(g[1])
            else:
                stack.extend(g[1])

    def _pick(self, fs, assign) -> Optional[str]:
        counts: Dict[str, int] = {}
        for f in fs:
            self._vars_of(f, counts)
        free = [v for v in counts if v not in assign]
        if not free:
            return None
        return min(free, key=lambda v: (-counts[v], self.order.get(v, 0)))

    # -- search -------------------------------------------------------------------
    def search(self, goal: Callable[[list], Optional[bool]], formulas: Optional[list] = None,
               limit: int = 1, start: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
        """Assignments (up to ``limit``) on which ``goal`` says True.

        ``goal`` gets the list of simplified formulas and returns True (a
        hit: stop this branch and record it), False (prune) or None (split
        further).  Raises :class:`Incomplete` past the step budget.
        """
        self.steps = 0
        fs = list(self.formulas if formulas is None else formulas)
        assign: Dict[str, Any] = dict(start or {})
        fs = [self.reduce(f, assign) for f in fs]
        hits: List[Dict[str, Any]] = []
        self._search(fs, assign, goal, hits, limit)
        return hits

    def _search(self, fs, assign, goal, hits, limit) -> None:
        self.steps += 1
        if self.steps > self.budget:
            raise Incomplete()
        g = goal(fs)
        if g is True:
            hits.append(dict(assign))
            return
        if g is False:
            return
        var = self._pick(fs, assign)
        if var is None:
            return
        for val in self.domain(var):
            assign[var] = val
            sub = [self.reduce(f, assign) for f in fs]
            self._search(sub, assign, goal, hits, limit)
            if len(hits) >= limit:
                break
        del assign[var]

    def satisfiable(self, f, value: bool = True) -> Optional[Dict[str, Any]]:
        """An assignment making formula ``f`` equal ``value``, or None."""

        def goal(fs):
            r = fs[0]
            if r is value:
                return True
            if r is True or r is False or r is None:
                return False
            return None

        hits = self.search(goal, [f])
        return hits[0] if hits else None


def _tidy(x: float) -> float:
    """Round away binary noise (``299.99000000000001`` → ``299.99``)."""
    return float(f"{x:.10g}")


def show_value(v: Any) -> str:
    if v is MISSING:
        return "missing"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, (list, dict)):
        import json

        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def show_assignment(assign: Mapping[str, Any], units: Optional[Mapping[str, Optional[str]]] = None) -> str:
    """``a = 1, b = 'x'`` (facts in name order; opaque conditions last)."""
    parts = []
    for k in sorted(assign, key=lambda k: (k.startswith("⟨"), k)):
        v = assign[k]
        if k.startswith("⟨"):
            parts.append(f"{k[1:-1]} is {show_value(v)}")
        else:
            unit = (units or {}).get(k)
            s = show_value(v)
            parts.append(f"{k} = {s}{' ' + unit if unit and v is not MISSING else ''}")
    return ", ".join(parts) if parts else "any input"


def jsonable_assignment(assign: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in sorted(assign.items()):
        if v is MISSING:
            out[k] = None
        elif isinstance(v, datetime.date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out
