"""``safetyrules prove``: properties of the level and tier tables, decided by
exhaustive search (SPEC §12).

Each table is searched over the finite domains of the facts its rows read
(:class:`~safetyrules.authoring.domains.Problem`): true/false for booleans,
every declared value of an enum, and for numbers the boundary values of each
comparison (``c-1, c, c+1`` for whole numbers).  The ``findings.*`` counts
are whole numbers, so this covers every way a count can sit against each
threshold a row compares it with; a row that compares a sum of counts with a
threshold is searched over each count's own boundary values, which is what
the SPEC asks for, and is stated as such, not as a proof over all integers.

Properties:

* ``no-gap`` (level and tier tables): every combination of known values gets
  an output (some row true, or a ``default:``).
* ``finding-monotone`` (level table): one more finding, major or general,
  every other count unchanged, never gives a less severe level.
* ``undetermined-as-found`` (level table): an undetermined clause counted as
  found never gives a less severe level than the same clause counted as not
  found (with it gone from the undetermined counts either way); and the
  table, counting that clause among the undetermined ones (as a grading that
  refuses to look safer when facts are missing does), never gives a less
  severe level than with the clause not found.  The counterexample is the
  counts with the clause undetermined.

Severity is the order of the level fact's declared ``values``, most severe
first.  A property that fails prints its counterexample (the facts).
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import attrs

__all__ = ["PropertyResult", "prove", "prove_table", "graded_upstream", "format_results", "MAX_COMBINATIONS"]

#: The search refuses tables whose domains multiply beyond this (a property
#: is then reported as not proven, never as proven).
MAX_COMBINATIONS = 2_000_000

MAJOR, GENERAL = "findings.major", "findings.general"
UND, MAJOR_UND = "findings.undetermined", "findings.major_undetermined"


@attrs.frozen
class PropertyResult:
    """One property of one table: ``proven``, or a ``counterexample``."""

    name: str  # no-gap | finding-monotone | undetermined-as-found
    role: str  # level | tier
    table: str
    output: str
    proven: bool
    text: str  # the property in words
    combinations: int = 0
    counterexample: Optional[Mapping[str, Any]] = None
    detail: str = ""  # what happens on the counterexample
    path: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready."""
        return {
            "property": self.name, "role": self.role, "table": self.table, "output": self.output,
            "proven": self.proven, "text": self.text, "combinations": self.combinations,
            "counterexample": dict(self.counterexample) if self.counterexample is not None else None,
            "detail": self.detail, "path": self.path, "line": self.line, "column": self.column,
        }


class _TooBig(Exception):
    pass


class _Table:
    """One table, its problem and an evaluator of its output on an assignment."""

    def __init__(self, table, vocab, upstream: Sequence[Any] = ()) -> None:
        from safetyrules.authoring.domains import Problem

        self.table = table
        # ``upstream``: the tables after the standards whose outputs ``table``
        # reads (dependency order); they are evaluated on each assignment, so
        # the search runs over their inputs (the findings counts among them)
        # and their outputs follow, instead of being free values
        self.chain = list(upstream) + [table]
        nodes: List[Any] = []
        self.slices: List[Tuple[Any, int, int]] = []
        for t in self.chain:
            self.slices.append((t, len(nodes), len(nodes) + len(t.conditions)))
            nodes += list(t.conditions)
        self.prob = Problem(nodes, vocab)
        derived = {t.output for t in upstream}
        self.vars = sorted((v for v in self.prob.order if v not in derived), key=lambda v: self.prob.order[v])
        self.domains = {v: [x for x in self.prob.domain(v)] for v in self.vars}
        n = 1
        for v in self.vars:
            n *= max(1, len(self.domains[v]))
        self.size = n

    def output(self, assign: Mapping[str, Any]) -> Tuple[bool, Any]:
        """(known, value) of the table on ``assign`` (a value for every fact
        it reads, or any subset; facts left out are unknown)."""
        from safetyrules.authoring.domains import MISSING
        from safetyrules.engine.ruleset import decide_table

        a = dict(assign)
        for t, lo, hi in self.slices:
            vals = [self.prob.reduce(f, a) if f is not None else None for f in self.prob.formulas[lo:hi]]
            vals = [v if v is True or v is False else None for v in vals]
            res = decide_table(t, vals, [])
            if t is self.table:
                return bool(res.known), res.value
            a[t.output] = res.value if res.known else MISSING
        raise AssertionError("the chain ends with its table")  # pragma: no cover

    def assignments(self) -> Iterator[Dict[str, Any]]:
        if self.size > MAX_COMBINATIONS:
            raise _TooBig()
        names = self.vars
        for combo in itertools.product(*(self.domains[v] for v in names)):
            a = dict(zip(names, combo))
            if MAJOR_UND in a and UND in a and a[MAJOR_UND] > a[UND]:
                continue  # a major undetermined clause is an undetermined clause
            yield a


def _facts(assign: Mapping[str, Any]) -> Dict[str, Any]:
    from safetyrules.authoring.domains import jsonable_assignment

    return jsonable_assignment({k: v for k, v in assign.items() if not k.startswith("⟨")}) | {
        k[1:-1]: v for k, v in assign.items() if k.startswith("⟨")
    }


def _result(name, role, t, text, *, n=0, cx=None, detail="", proven=None) -> PropertyResult:
    pos = t.rows_position or t.position  # the rows decide every property; the file's first line says less
    return PropertyResult(name, role, t.id, t.output, cx is None if proven is None else proven, text, n,
                          cx, detail, pos.path or None, pos.line, pos.column)


_TEXT = {
    "no-gap": "every combination of known values gets an output",
    "finding-monotone": "one more finding never gives a less severe level",
    "undetermined-as-found": "an undetermined clause counted as found never gives a less severe level than counted as not found",
}


def _no_gap(tt: _Table, role: str) -> PropertyResult:
    t = tt.table
    n = 0
    try:
        for a in tt.assignments():
            n += 1
            known, value = tt.output(a)
            if not known or (isinstance(value, (list, tuple)) and not value):  # a collect table's [] is no value
                return _result("no-gap", role, t, _TEXT["no-gap"], n=n, cx=_facts(a), detail=_why_no_value(tt, a))
    except _TooBig:
        return _result("no-gap", role, t, _TEXT["no-gap"], proven=False,
                       detail=f"not searched: {tt.size} combinations (more than {MAX_COMBINATIONS})")
    return _result("no-gap", role, t, _TEXT["no-gap"], n=n)


def _why_no_value(tt: _Table, a: Mapping[str, Any]) -> str:
    t = tt.table
    lo, hi = tt.slices[-1][1:]
    true = [i + 1 for i, f in enumerate(tt.prob.formulas[lo:hi]) if f is not None and tt.prob.reduce(f, a) is True]
    if t.hit == "unique" and len(true) > 1:
        return f"rows {true[0]} and {true[1]} of '{t.id}' both hold (hit: unique), so {t.output} has no value"
    return f"no row of '{t.id}' gives {t.output} a value"


def _rank(values: Sequence[Any], known: bool, value: Any) -> Optional[int]:
    """Severity rank (0 = most severe), None when unknown or undeclared.  A
    ``collect`` table's list ranks as its most severe value (``[]`` is no level)."""
    if not known:
        return None
    if isinstance(value, (list, tuple)):
        ranks = [_rank(values, True, v) for v in value]
        got = [r for r in ranks if r is not None]
        return min(got) if got and len(got) == len(ranks) else None
    if value not in values:
        return None
    return list(values).index(value)


def _show(known: bool, value: Any) -> str:
    if known and isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value) if known else "unknown"


def _level_props(tt: _Table) -> List[PropertyResult]:
    t = tt.table
    values = list(t.output_values or ())
    out: List[PropertyResult] = []
    reads = set(tt.vars)

    def check(name: str, moves) -> PropertyResult:
        # ``moves(a)`` yields (label, before, after, shown): ``after`` must not be less
        # severe than ``before``; ``shown`` is the counterexample printed (the facts)
        n = 0
        try:
            for a in tt.assignments():
                for label, before, after, shown in moves(a):
                    n += 1
                    kb, vb = tt.output(before)
                    ka, va = tt.output(after)
                    rb, ra = _rank(values, kb, vb), _rank(values, ka, va)
                    if rb is not None and ra is not None and ra > rb:
                        return _result(name, "level", t, _TEXT[name], n=n, cx=_facts(shown),
                                       detail=label.format(before=_show(kb, vb), after=_show(ka, va)))
        except _TooBig:
            return _result(name, "level", t, _TEXT[name], proven=False,
                           detail=f"not searched: {tt.size} combinations (more than {MAX_COMBINATIONS})")
        return _result(name, "level", t, _TEXT[name], n=n)

    def one_more(a):
        for count, what in ((MAJOR, "one more major finding"), (GENERAL, "one more general finding")):
            if count in reads:
                yield "{before}; " + what + ": {after} (less severe)", a, {**a, count: a[count] + 1}, a

    def undetermined(a):
        # ``a`` holds the undetermined clause (in the undetermined counts the table
        # reads); ``rest`` is ``a`` with that clause settled as not found, and
        # ``rest`` plus one finding is it settled as found.  Counted as found must
        # not be less severe than counted as not found; nor may the table, counting
        # the clause among the undetermined ones, give a less severe level than it
        # gives with the clause not found (that would look safer because a fact is
        # missing, and level_range's most would be less severe than its least).
        und, mund = a.get(UND), a.get(MAJOR_UND)

        def less(d, key):
            return {**d, key: d[key] - 1} if key in d else d

        def plus(d, key):
            return {**d, key: d[key] + 1} if key in d else d

        for kind, count, ok, rest in (
            ("major", MAJOR, (mund is None or mund >= 1) and (und is None or und >= 1), lambda: less(less(a, MAJOR_UND), UND)),
            ("general", GENERAL, und is None or und - (mund or 0) >= 1, lambda: less(a, UND)),
        ):
            if not ok:
                continue
            r = rest()
            yield ("one " + kind + " clause undetermined; counted as not found: {before}, counted as found: {after} (less severe)",
                   r, plus(r, count), a)
            if r != a:
                yield ("one " + kind + " clause undetermined: {after}, less severe than counted as not found: {before}",
                       r, a, a)

    if not values:  # SPEC §12: severity is the order of the declared values; none, no order to prove
        why = f"the level fact '{t.output}' declares no values, so there is no order of severity (declare an enum, most severe first)"
        return [_result(name, "level", t, _TEXT[name], proven=False, detail=why)
                for name in ("finding-monotone", "undetermined-as-found")]
    out.append(check("finding-monotone", one_more))
    out.append(check("undetermined-as-found", undetermined))
    return out


def prove_table(table, vocab, role: str, upstream: Sequence[Any] = ()) -> List[PropertyResult]:
    """The properties of one table (``role`` ``level`` or ``tier``).

    ``no-gap`` searches the facts the table reads, derived ones included
    as free values (a given fact wins over its table, so each can take any
    of its values).  The level properties also evaluate ``upstream`` (see
    :func:`graded_upstream`): a level read from another graded fact
    (``risk.level``) must not turn less severe when a finding turns that
    fact more severe."""
    tt = _Table(table, vocab)
    results = [_no_gap(tt, role)]
    if role == "level":
        results += _level_props(_Table(table, vocab, upstream) if upstream else tt)
    return results


def graded_upstream(plan, table) -> List[Any]:
    """The tables after the standards (those reading findings, directly or
    through one another) whose outputs ``table`` reads, transitively, in
    dependency order; [] when one has a condition that did not check."""
    from safetyrules import dsl

    after = {t.output: t for t in plan.tables_after if t is not table}
    need: set = set()
    todo = [table]
    while todo:
        t = todo.pop()
        for c in t.conditions:
            if c is None:
                continue
            for f in dsl.fact_paths(c):
                u = after.get(f)
                if u is not None and f not in need:
                    need.add(f)
                    todo.append(u)
    chain = [t for t in plan.tables_after if t.output in need]
    if any(c is None for t in chain for c in t.conditions):
        return []
    return chain


def prove(rules) -> List[PropertyResult]:
    """Every property of a loaded rule set's level and tier tables (those
    deriving the facts its manifest's ``decision:`` names)."""
    plan = rules.plan
    out: List[PropertyResult] = []
    for role in ("level", "tier"):
        fact = plan.decision.get(role)
        t = plan.table_for(fact) if fact else None
        if t is None:
            if fact and plan.manifest is not None:
                # SPEC §1: the decision names derived facts; one no table derives has no table to prove
                m = plan.manifest
                out.append(PropertyResult(
                    "no-gap", role, "(none)", fact, False, _TEXT["no-gap"],
                    detail=f"no table derives {fact}, the decision's {role}: there is no {role} table to prove",
                    path=m.path or None, line=m.line, column=m.column))
            continue
        if any(c is None for c in t.conditions):
            continue
        out += prove_table(t, rules.vocabulary, role, graded_upstream(plan, t) if role == "level" else ())
    return out


def format_results(label: str, results: Sequence[PropertyResult]) -> str:
    """The text ``safetyrules prove`` prints for one rule set."""
    from safetyrules.authoring.domains import show_value

    lines = []
    seen = None
    for r in results:
        if (r.role, r.table) != seen:
            seen = (r.role, r.table)
            lines.append(f"{label}: {r.role} table {r.table} ({r.output})")
        if r.proven:
            lines.append(f"  {r.name}: proven — {r.text} ({r.combinations} combinations)")
        elif r.counterexample is None:
            lines.append(f"  {r.name}: NOT PROVEN — {r.detail}")
        else:
            facts = ", ".join(f"{k} = {show_value(v)}" for k, v in r.counterexample.items()) or "any facts"
            lines.append(f"  {r.name}: counterexample — {r.text} fails for {facts}: {r.detail}")
    if not results:
        lines.append(f"{label}: no level or tier table (the manifest's decision: names none a table derives)")
    return "\n".join(lines) + "\n"
