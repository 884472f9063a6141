"""Decision v1 (SPEC §8): the level range and the next questions to ask.

Both are computed from a decision's *inputs* (the checked facts) and the
plan, only when asked for (``Decision.to_dict()`` asks): the hot path of
:meth:`RuleSet.evaluate` does none of this work.

- ``level_range``: ``most`` is the decision's level; ``least`` is what the
  tables after the standards give with ``findings.undetermined`` and
  ``findings.major_undetermined`` taken as 0.
- ``next_questions``: for every fact of ``missing``, the undetermined clauses
  it *settles* — some value of that fact alone, every other fact unchanged
  and derived facts recomputed, makes the clause found or not found.  The
  values tried are the fact's finite domain (booleans, enum values) or the
  boundary values of the constants the plan compares it with (see
  :class:`Domains`).
"""

from __future__ import annotations

import datetime
import math
from types import MappingProxyType
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import Plan, PlanTable

_UNSET = object()

__all__ = ["Domains", "domains_for", "derive", "inputs_of", "decide_level", "level_range", "next_questions",
           "decision_questions", "set_fact"]

_SCALARS = ("bool", "integer", "number", "enum", "string", "date")
_FAR_DAYS = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))


def _const(node: A.Node) -> Any:
    for n in A.walk(node):
        if isinstance(n, (A.Path, A.Quantifier)):
            return None
    try:
        return dsl.evaluate_ast(node, {})
    except Exception:  # a constant that does not evaluate alone is no boundary
        return None


class Domains:
    """The values worth trying for each fact of a plan: booleans, enum
    values, and for numbers, strings and dates the points at and around each
    constant the fact is compared with (comparisons with constants change
    value only there).  Built once per plan; immutable after."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        consts: Dict[str, set] = {}
        for _, node in plan.iter_conditions():
            for n, scope in _compares(node):
                for side, other in ((n.left, n.right), (n.right, n.left)):
                    name = _fact_of(side)
                    if name is None:
                        continue
                    head, _, rest = name.partition(".")
                    if head in scope:
                        # a quantifier's item field: `c.age` in any(c in cranes: ...)
                        # is compared for `cranes[].age`
                        if scope[head] is None or not rest:
                            continue
                        name = f"{scope[head]}[].{rest}"
                    v = _const(other)
                    if v is None:
                        continue
                    for x in v if isinstance(v, (list, tuple)) else [v]:
                        consts.setdefault(name, set()).add(x if not isinstance(x, list) else tuple(x))
        self._consts = consts
        self._cache: Dict[str, Tuple[Any, ...]] = {}
        # which tables before the standards each input fact feeds (transitively)
        feeds: Dict[str, set] = {}
        for t in plan.tables_before:
            srcs = set()
            for r in t.reads:
                srcs.add(r)
                srcs |= feeds.get(r, set())
            feeds[t.output] = srcs
        self._feeds = feeds
        self._programs: Dict[Any, Any] = {}
        self._orders: Dict[str, Tuple[Any, ...]] = {}
        self._fed: Dict[str, Tuple[Tuple[PlanTable, Any], ...]] = {}
        self._clause_programs: Dict[Any, Any] = {}
        self._one_clause: Dict[Tuple[str, str], Any] = {}
        self._quants: Dict[Any, Any] = {}
        self._settle_static: Dict[Any, Any] = {}
        #: next_questions' answer per fact, by the fact, its clauses and
        #: the values at the names the answer depends on (settle_static)
        self.settled: Dict[Any, Any] = {}
        self._questions_static: Dict[Any, Any] = {}
        #: next_questions' whole answer, by questions_static's key and values
        self.questions: Dict[Any, Any] = {}
        self._decision_static: Dict[Any, Any] = {}
        #: decision_questions' frozen answers
        self.decided: Dict[Any, Any] = {}
        #: level_range's least, per after_key
        self.least: Dict[Any, Any] = {}
        after_out = [t.output for t in plan.tables_after]
        reads: Dict[str, None] = {}
        for t in plan.tables_after:
            for node in t.conditions:
                if node is not None:
                    reads.update(dict.fromkeys(A.fact_paths(node)))
        # and their outputs (a given one is what level_range reads; another's
        # run value only makes more keys), and the level fact itself: one no
        # table after the standards gives (an input, a table before them) is
        # least as it is
        reads.update(dict.fromkeys(after_out))
        if plan.decision.get("level"):
            reads[plan.decision["level"]] = None
        self._after_reads = tuple(r for r in reads if r not in ("findings.undetermined", "findings.major_undetermined"))
        self._after_out = frozenset(after_out)

    def after_key(self, env: Mapping[str, Any], given: Iterable[str]) -> Optional[tuple]:
        """What the tables after the standards read of ``env`` (type and
        value of each, as ``level_range`` sees them) and which of their
        outputs ``given`` has; None when a value is not a plain scalar."""
        key: List[Any] = [frozenset(g for g in given if g in self._after_out)]
        for name in self._after_reads:
            v = env.get(name)
            t = type(v)
            if t is float:
                key.append((t, v.hex()))
            elif v is None or t is bool or t is int or t is str or t is datetime.date:
                key.append((t, v))
            else:
                return None
        return tuple(key)

    def try_order(self, fact: str) -> Tuple[Any, ...]:
        """:meth:`values` of ``fact`` in the order :func:`next_questions`
        tries them: both ends first (far out, the bounds: what most often
        settles a clause), then the middle of each gap left, breadth first.
        The same values, so the same answer (a value's outcome does not
        depend on the values tried before it); only the early stop, once
        every clause is settled, comes sooner."""
        base, field = _split_item(fact)
        key = f"{base}[].{field}" if field is not None else base
        got = self._orders.get(key)
        if got is None:
            vals = self.values(fact)
            got = self._orders[key] = tuple(vals[i] for i in _spread(len(vals)))
        return got

    def clause_program(self, key: Tuple[Tuple[str, str], ...]) -> Tuple[List[A.Node], Any]:
        """``(conditions, compiled program)`` of the clauses ``key`` (``(standard,
        clause)`` pairs; a clause not in the plan as false), kept per key."""
        got = self._clause_programs.get(key)
        if got is not None and type(got[1]) is _Each and got[1].calls >= _PROMOTE and len(key) > 1:
            # used on many values: one program of the whole set (each fact
            # read once, a shared applies_when evaluated once) pays back
            # its compilation (~5 ms, ~1.5 us saved per call)
            got = self._clause_programs[key] = (got[0], self.program(("clauses",) + key, got[0]))
        if got is None:
            nodes = []
            fns = []
            for std, clause in key:
                one = self._one_clause.get((std, clause))
                if one is None:
                    c = self.plan.clause(std, clause)
                    node = c.condition if c is not None else A.Boolean(False)
                    one = self._one_clause[(std, clause)] = (node, dsl.compile_many([node]).function)
                nodes.append(one[0])
                fns.append(one[1])
            if len(self._clause_programs) > 20000:
                self._clause_programs = {}
            got = self._clause_programs[key] = (nodes, _Each(tuple(fns)))
        return got

    def quantifiers(self, key: Any, nodes: Sequence[A.Node], base: str):
        """:func:`~safetyrules.engine.settle_lists.list_quantifiers` of
        ``nodes`` over ``base``, kept per ``key``."""
        try:
            return self._quants[key]
        except KeyError:
            pass
        from safetyrules.engine.settle_lists import list_quantifiers

        if len(self._quants) > 20000:
            self._quants = {}
        got = self._quants[key] = list_quantifiers(nodes, base)
        return got

    def settle_static(self, fact: str, ckey: Tuple[Tuple[str, str], ...]) -> Tuple[Any, Any, Tuple[str, ...]]:
        """``(try_order(fact), fed_programs(fact), names)`` for ``fact`` and
        the clauses ``ckey``: ``names`` are what trying ``fact`` on those
        clauses reads (the clauses' conditions' and the fed tables' rows'
        fact paths, and ``fact``'s own, or its list's), so the questions'
        answer is a function of the values there (and of which fed outputs
        the input gave).  Kept per (fact, clauses); built whole, then
        published."""
        key = (fact, ckey)
        got = self._settle_static.get(key)
        if got is None:
            values = self.try_order(fact)
            fed = self.fed_programs(fact)
            names: Dict[str, None] = {}
            base = _split_item(fact)[0]
            names[base] = None
            names[fact] = None
            for std, clause in ckey:
                c = self.plan.clause(std, clause)
                if c is not None:
                    names.update(dict.fromkeys(A.fact_paths(c.condition)))
            for t, _ in fed:
                for n in t.conditions:
                    if n is not None:
                        names.update(dict.fromkeys(A.fact_paths(n)))
                names[t.output] = None
            if len(self._settle_static) > 20000:
                self._settle_static = {}
            got = self._settle_static[key] = (values, fed, tuple(names))
        return got

    def questions_static(self, skey: Tuple[Tuple[Any, ...], Tuple[str, ...]]) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """``(names, fed outputs)`` of :func:`next_questions` for ``skey``
        (its undetermined clauses and missing facts, as tuples): every name
        the answer reads (each tried fact's :meth:`settle_static` names),
        and the outputs of the tables those facts feed (whether the input
        gave one changes the answer).  Raises TypeError when ``skey`` is not
        hashable.  Kept per ``skey``; built whole, then published."""
        got = self._questions_static.get(skey)
        if got is None:
            undetermined, missing = skey
            wanted = set(missing)
            needing: Dict[str, List[Tuple[str, str]]] = {}
            for std, clause, _severity, needs in undetermined:
                for fact in needs:
                    if fact in wanted:
                        needing.setdefault(fact, []).append((std, clause))
            names: Dict[str, None] = {}
            outs: Dict[str, None] = {}
            for fact, clauses in needing.items():
                values, fed, reads = self.settle_static(fact, tuple(clauses))
                if values:
                    names.update(dict.fromkeys(reads))
                    outs.update(dict.fromkeys(t.output for t, _ in fed))
            if len(self._questions_static) > 20000:
                self._questions_static = {}
            got = self._questions_static[skey] = (tuple(names), tuple(outs))
        return got

    def remember_questions(self, key: Any, got: Any) -> None:
        if len(self.questions) >= SETTLED_MEMO_SIZE:
            self.questions = {}
        self.questions[key] = got

    def remember_settled(self, key: Any, got: Any) -> None:
        if len(self.settled) >= SETTLED_MEMO_SIZE:
            self.settled = {}
        self.settled[key] = got

    def fed_programs(self, fact: str) -> Tuple[Tuple[PlanTable, Any], ...]:
        """:meth:`tables_fed_by` ``fact``, each with the compiled program
        of its rows (a row without a condition as false), kept per fact."""
        base = _split_item(fact)[0]
        got = self._fed.get(base)
        if got is None:
            got = self._fed[base] = tuple(
                (t, self.program(("table", t.id), [n if n is not None else A.Boolean(False) for n in t.conditions]))
                for t in self.tables_fed_by(base))
        return got

    def tables_fed_by(self, fact: str) -> Tuple[PlanTable, ...]:
        """The tables before the standards whose output depends on ``fact``,
        in dependency order."""
        base = _split_item(fact)[0]
        return tuple(t for t in self.plan.tables_before if base in self._feeds.get(t.output, ()))

    def program(self, key: Any, nodes: Sequence[A.Node]):
        """A compiled program of ``nodes`` (kept per ``key``)."""
        prog = self._programs.get(key)
        if prog is None:
            if len(self._programs) > 20000:  # clause sets vary by entity: keep the cache bounded
                self._programs = {}
            prog = self._programs[key] = dsl.compile_many(list(nodes))
        return prog

    def spec(self, fact: str):
        """The FactSpec of ``fact`` (``list[i].field`` names the item field)."""
        base, field = _split_item(fact)
        spec = self.plan.facts.get(base)
        if field is not None:
            return (spec.item or {}).get(field) if spec is not None and spec.item else None
        return spec

    def values(self, fact: str) -> Tuple[Any, ...]:
        """Candidate values for ``fact`` (empty when it has none to try)."""
        base, field = _split_item(fact)
        key = f"{base}[].{field}" if field is not None else base
        if key in self._cache:
            return self._cache[key]
        spec = self.spec(fact)
        out: Tuple[Any, ...] = ()
        if spec is not None and spec.type in _SCALARS:
            names = {key, field} if field is not None else {key}
            consts = set()
            for n in names:
                consts |= self._consts.get(n, set())
            out = tuple(_domain(spec, consts))
        elif spec is not None and spec.type == "list":
            from safetyrules.engine.list_values import list_candidates

            out = list_candidates(self, base, spec) if field is None else ([],)
        self._cache[key] = out
        return out


class _Each:
    """Clauses' compiled programs, one per clause (each compiled once per
    plan, not once per set of clauses a fact feeds), called as one: a list
    of the clauses' values; raises what a program raises."""

    __slots__ = ("fns", "calls")

    def __init__(self, fns: Tuple[Any, ...]) -> None:
        self.fns = fns
        self.calls = 0  # how often called (threads may lose a count: only a hint)

    def __call__(self, env: Mapping[str, Any], warnings: Optional[list] = None) -> List[Optional[bool]]:
        self.calls += 1
        return [fn(env, warnings)[0] for fn in self.fns]


#: calls of a set of clauses' :class:`_Each` after which the set gets one
#: program of its own (Domains.clause_program)
_PROMOTE = 3000

#: next_questions answers (per fact) kept per plan before starting afresh
SETTLED_MEMO_SIZE = 4096


def _spread(n: int) -> List[int]:
    """``range(n)`` reordered: the last and the first index, then the
    middle of each interval left, breadth first (each index once)."""
    if n <= 2:
        return list(range(n))[::-1]
    out = [n - 1, 0]
    seen = {0, n - 1}
    queue = [(0, n - 1)]
    while queue:
        nxt = []
        for lo, hi in queue:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            if mid not in seen:
                seen.add(mid)
                out.append(mid)
            nxt.append((lo, mid))
            nxt.append((mid, hi))
        queue = nxt
    return out


def _compares(node: A.Node):
    """Every comparison in ``node`` with its quantifier scope: the bound
    names in force there, each mapped to the list fact it ranges over
    (``None`` when the source is not a plain fact path)."""
    stack: List[Tuple[A.Node, Dict[str, Optional[str]]]] = [(node, {})]
    while stack:
        n, scope = stack.pop()
        if isinstance(n, A.Quantifier):
            src = n.source
            over = src.name if isinstance(src, A.Path) and src.name.partition(".")[0] not in scope else None
            stack.append((n.body, {**scope, n.var: over}))
            stack.append((src, scope))
            continue
        if isinstance(n, A.Compare):
            yield n, scope
        stack.extend((c, scope) for c in reversed(A.children(n)))


def _fact_of(node: A.Node) -> Optional[str]:
    if isinstance(node, A.Path):
        return node.name
    return None


def _split_item(fact: str) -> Tuple[str, Optional[str]]:
    """``cranes[1].age`` → (``cranes``, ``age``); a plain fact → (fact, None)."""
    if "[" in fact and "]." in fact:
        base, rest = fact.split("[", 1)
        return base, rest.split("].", 1)[1]
    return fact, None


def _domain(spec, consts: set) -> List[Any]:
    t = spec.type
    if t == "bool":
        return [True, False]
    if t == "enum":
        return list(spec.values or ())
    if t == "string":
        strs = sorted(c for c in consts if isinstance(c, str))
        return strs + ["(other)"]
    if t == "date":
        days = sorted(c for c in consts if isinstance(c, datetime.date))
        one = datetime.timedelta(days=1)
        # and a far past and a far future day: a date compared with as_of or
        # read through days(...) has no constant, yet one such value settles
        # `e < as_of` or `days(d, as_of) > 365`
        return sorted({d + k * one for d in days for k in (-1, 0, 1)} | set(_FAR_DAYS))
    nums = sorted({float(c) for c in consts if isinstance(c, (int, float)) and not isinstance(c, bool)})
    pts: set = set()
    for c in nums:
        if t == "integer":
            pts.update((math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1))
        else:
            pts.update((c - 0.01, c, c + 0.01))
    if not nums:
        pts.update((0, 1))
    # and far out on each side (within the bounds): a fact read through
    # arithmetic (`x * 2 > 100`) or against another fact has no constant of
    # its own, yet a large or a very negative value may settle its clause
    pts.update((-1e9, 1e9))
    if spec.min is not None:
        pts.add(spec.min)
    if spec.max is not None:
        pts.add(spec.max)
    lo, hi = spec.min, spec.max
    out = []
    for p in sorted(pts):
        if (lo is not None and p < lo) or (hi is not None and p > hi):
            continue
        p = round(p, 6)
        out.append(int(p) if t == "integer" or float(p).is_integer() else p)
    return out


# ---------------------------------------------------------------------------
# re-deriving


def _row_values(t: PlanTable, env: Mapping[str, Any]) -> List[Optional[bool]]:
    vals: List[Optional[bool]] = []
    for node in t.conditions:
        if node is None:
            vals.append(None)
            continue
        try:
            vals.append(dsl.evaluate_ast(node, env))
        except SafetyRulesError:
            vals.append(None)
    return vals


def _run(tables: Iterable[PlanTable], env: Dict[str, Any], given: Iterable[str], plan: Optional[Plan] = None) -> None:
    """Decide ``tables`` in order into ``env``; with ``plan`` (the plan of
    the tables) each table's rows run as one compiled program."""
    from safetyrules.backends.missing import row_values
    from safetyrules.backends.tables import decide_table

    given = set(given)
    for t in tables:
        if t.output in given:
            continue
        vals = _row_values(t, env) if plan is None else row_values(plan, t, env)
        res = decide_table(t, vals, [])
        if res.known:
            env[t.output] = res.value
        else:
            env.pop(t.output, None)


def derive(plan: Plan, inputs: Mapping[str, Any], day: datetime.date) -> Dict[str, Any]:
    """The environment the clauses read: checked ``inputs``, ``as_of`` and
    every table that needs only facts (in dependency order)."""
    env = dict(inputs)
    env["as_of"] = day
    _run(plan.tables_before, env, inputs.keys())
    return env


_DOMAINS: Dict[int, Tuple[Plan, Domains]] = {}


def domains_for(plan: Plan) -> Domains:
    """The :class:`Domains` of ``plan``, built once per plan object (a pure
    function of it: threads at worst build one twice)."""
    hit = _DOMAINS.get(id(plan))
    if hit is not None and hit[0] is plan:
        return hit[1]
    if len(_DOMAINS) > 64:
        _DOMAINS.clear()
    dom = Domains(plan)
    _DOMAINS[id(plan)] = (plan, dom)
    return dom


def inputs_of(plan: Plan, env: Mapping[str, Any], given: Iterable[str]) -> Dict[str, Any]:
    """The checked input facts of a run's environment: without ``as_of``,
    the ``findings.*`` counts and the table outputs the tables derived
    (outputs the input gave stay)."""
    from safetyrules.plan.model import FINDINGS_FACTS

    derived = set(plan.outputs) - set(given)
    skip = set(FINDINGS_FACTS) | {"as_of"}
    return {k: v for k, v in env.items() if k not in skip and k not in derived}


def after_standards(plan: Plan, inputs: Mapping[str, Any], day: datetime.date) -> Dict[str, Any]:
    """The whole run on the reference path (derived facts, every clause in
    force on ``day``, the grading tables): the environment after it."""
    env = derive(plan, inputs, day)
    in_force = set(plan.in_force(day))
    n = {"major": 0, "general": 0, "und": 0, "major_und": 0}
    for c in plan.clauses:
        if c.standard not in in_force:
            continue
        v = _clause_value(c.condition, env)
        if v is True:
            n["major" if c.severity == "major" else "general"] += 1
        elif v is None:
            n["und"] += 1
            n["major_und"] += c.severity == "major"
    env["findings.major"], env["findings.general"] = n["major"], n["general"]
    env["findings.undetermined"], env["findings.major_undetermined"] = n["und"], n["major_und"]
    _run(plan.tables_after, env, inputs.keys())
    return env


def decide_level(plan: Plan, inputs: Mapping[str, Any], day: datetime.date) -> Any:
    """The level the rule set gives for ``inputs`` on ``day``."""
    fact = plan.decision.get("level")
    return after_standards(plan, inputs, day).get(fact) if fact else None


def set_fact(inputs: Mapping[str, Any], fact: str, value: Any) -> Dict[str, Any]:
    """``inputs`` with ``fact`` (a list-item field like ``a[1].b`` too) set."""
    out = dict(inputs)
    base, field = _split_item(fact)
    if field is None:
        out[fact] = value
        return out
    index = int(fact.split("[", 1)[1].split("]", 1)[0])
    items = [dict(x) for x in out.get(base) or ()]
    if index < len(items):
        items[index][field] = value
    out[base] = items
    return out


def _clause_value(node: A.Node, env: Mapping[str, Any]) -> Optional[bool]:
    try:
        return dsl.evaluate_ast(node, env)
    except SafetyRulesError:
        return None


# ---------------------------------------------------------------------------
# level range


def level_range(plan: Plan, env_after: Mapping[str, Any], given: Sequence[str], level: Any,
                compiled: bool = True) -> Dict[str, Any]:
    """``{"least", "most"}``: ``env_after`` is the environment after the
    standards (inputs, derived facts, ``findings.*`` counts).  ``compiled``:
    table rows run as compiled programs (else by the tree-walking
    evaluator, the reference; the same values)."""
    fact = plan.decision.get("level")
    if not fact or not env_after.get("findings.undetermined") and not env_after.get("findings.major_undetermined"):
        return {"least": level, "most": level}
    if compiled:
        # least is a function of the values the tables after the standards
        # read (the undetermined counts taken as 0) and of which of their
        # outputs the input gave: kept per plan by those
        dom = domains_for(plan)
        key = dom.after_key(env_after, given)
        if key is not None:
            got = dom.least.get(key, _UNSET)
            if got is _UNSET:
                got = _least(plan, env_after, given, fact)
                if len(dom.least) >= 4096:
                    dom.least.clear()
                dom.least[key] = got
            return {"least": got, "most": level}
    return {"least": _least(plan, env_after, given, fact, compiled), "most": level}


def _least(plan: Plan, env_after: Mapping[str, Any], given: Sequence[str], fact: str,
           compiled: bool = True) -> Any:
    env = dict(env_after)
    env["findings.undetermined"] = 0
    env["findings.major_undetermined"] = 0
    _run(plan.tables_after, env, given, plan if compiled else None)
    return env.get(fact)


# ---------------------------------------------------------------------------
# next questions


def next_questions(
    plan: Plan,
    domains: Domains,
    env: Mapping[str, Any],
    day: datetime.date,
    undetermined: Sequence[Tuple[str, str, str, Sequence[str]]],
    missing: Sequence[str],
    given: Sequence[str] = (),
    reduce_lists: bool = True,
    fast: bool = True,
) -> List[Dict[str, Any]]:
    """Every fact of ``missing`` once, with the undetermined clauses
    (``(standard, clause, severity, missing)``) it settles (see
    :func:`_next_questions`, which works them out).  ``fast``: the answer
    is kept per plan by the undetermined clauses, ``missing``, which fed
    table outputs ``given`` has and the values at the names the answer
    reads (:meth:`Domains.questions_static`), so an entity like one seen
    before is answered from it; off, the reference."""
    if not fast:
        return _next_questions(plan, domains, env, day, undetermined, missing, given, reduce_lists, fast)
    from safetyrules.backends.missing import env_key

    skey = (tuple(undetermined), tuple(missing))
    try:
        names, fed_outputs = domains.questions_static(skey)
    except TypeError:  # a part that is not hashable (a list of missing facts): worked out afresh
        return _next_questions(plan, domains, env, day, undetermined, missing, given, reduce_lists, fast)
    vkey = env_key(env, names)
    if vkey is None:
        return _next_questions(plan, domains, env, day, undetermined, missing, given, reduce_lists, fast)
    if fed_outputs:
        given_set = set(given)
        gkey: Tuple[bool, ...] = tuple(o in given_set for o in fed_outputs)
    else:
        gkey = ()
    qkey = (skey, gkey, reduce_lists, vkey)
    got = domains.questions.get(qkey)
    if got is None:
        out = _next_questions(plan, domains, env, day, undetermined, missing, given, reduce_lists, fast)
        domains.remember_questions(qkey, tuple((q["fact"], tuple(q["settles"]), q["major"]) for q in out))
        return out
    return [{"fact": f, "settles": list(s), "major": m} for f, s, m in got]


def decision_questions(layout: Any, cvals: Sequence[Optional[bool]], per_clause: Optional[Sequence[Tuple[str, ...]]],
                       env: Mapping[str, Any], day: datetime.date, missing: Sequence[str],
                       given: Sequence[str] = ()) -> Tuple[Any, ...]:
    """A decision's ``next_questions`` as ``Decision.next_questions`` has
    them (a tuple of FrozenDicts), from its layout, its clause values
    ``cvals``, ``per_clause`` (each clause's missing facts, as
    ``decision_missing`` gives them; None when no clause is undetermined),
    its environment and ``missing``: what ``Decision._build_questions``
    works out with :func:`next_questions`, the undetermined clauses listed
    and the answer frozen once per plan for a given (standards in force,
    clause values, missing facts, values at the names the answer reads,
    fed outputs given) and shared (it is immutable)."""
    from safetyrules.backends.missing import env_key
    from safetyrules.frozen import FrozenDict

    if not missing:
        return ()
    plan = layout.plan
    dom = domains_for(plan)
    try:
        skey = (layout.in_force, tuple(cvals), tuple(per_clause) if per_clause is not None else None, tuple(missing))
        st = dom._decision_static.get(skey)
    except TypeError:  # not hashable: worked out afresh
        skey, st = None, None
    if st is None:
        if per_clause is not None and None in cvals:
            und = tuple((c.standard, c.id, c.severity, per_clause[i])
                        for i, (c, v) in enumerate(zip(layout.clauses, cvals)) if v is None)
        else:
            und = ()
        names = fed_outputs = None
        if und and skey is not None:
            try:
                names, fed_outputs = dom.questions_static((und, tuple(missing)))
            except TypeError:
                pass
        st = (und, names, fed_outputs)
        if skey is not None:
            if len(dom._decision_static) > 20000:
                dom._decision_static = {}
            dom._decision_static[skey] = st
    und, names, fed_outputs = st
    if not und:  # nothing to settle: the facts in name order
        return tuple(FrozenDict(fact=m, settles=(), major=0) for m in missing)
    qkey = None
    if names is not None:
        vkey = env_key(env, names)
        if vkey is not None:
            if fed_outputs and given:
                given_set = set(given)
                gkey: Tuple[bool, ...] = tuple([o in given_set for o in fed_outputs])
            else:
                gkey = ()
            # and the function that works them out (a test may put the
            # reference in its place: its answers are its own)
            qkey = (skey, gkey, vkey, next_questions)
            got = dom.decided.get(qkey)
            if got is not None:
                return got
    qs = next_questions(plan, dom, env, day, list(und), missing, given)
    got = tuple(FrozenDict(fact=q["fact"], settles=tuple(q["settles"]), major=q["major"]) for q in qs)
    if qkey is not None:
        if len(dom.decided) >= SETTLED_MEMO_SIZE:
            dom.decided = {}
        dom.decided[qkey] = got
    return got


def _next_questions(
    plan: Plan,
    domains: Domains,
    env: Mapping[str, Any],
    day: datetime.date,
    undetermined: Sequence[Tuple[str, str, str, Sequence[str]]],
    missing: Sequence[str],
    given: Sequence[str] = (),
    reduce_lists: bool = True,
    fast: bool = True,
) -> List[Dict[str, Any]]:
    """Every fact of ``missing`` once, with the undetermined clauses
    (``(standard, clause, severity, missing)``) it settles.  ``env`` is the
    run's environment (inputs and derived facts); a tried value recomputes
    only the tables that fact feeds.  Ordered: facts that settle a major
    clause first, then by clauses settled (most first), then by name.
    ``reduce_lists``: a list item's field is tried over a witness list where
    :mod:`~safetyrules.engine.settle_lists` allows (the same answer; off,
    over the whole list, the reference).  ``fast``: values in
    :meth:`Domains.try_order` and the fed tables' programs kept per fact
    (off: values in :meth:`Domains.values` order, the reference; the same
    answer)."""
    from safetyrules.backends.tables import decide_table

    from safetyrules.backends.missing import env_key

    settles: Dict[str, Any] = {f: () for f in missing}
    given_set = set(given)
    # per fact: the undetermined clauses that need it, evaluated together by
    # one compiled program (cached per clause set) on each value tried
    needing: Dict[str, List[Tuple[str, str, str]]] = {}
    for std, clause, severity, needs in undetermined:
        for fact in needs:
            if fact in settles:
                needing.setdefault(fact, []).append((std, clause, severity))
    # changed in place for each value, then restored (a mapping proxy's
    # copy() is a dict copy; dict(proxy) goes key by key); made when first
    # needed (an answer kept per plan needs none)
    work: Any = None
    item_values: Dict[str, Any] = {}  # per list fact: its items' quantifier values
    for fact, clauses in needing.items():
        ckey = tuple((s_, c_) for s_, c_, _ in clauses)
        mkey = None
        if fast:
            values, fed_all, names = domains.settle_static(fact, ckey)
            if not values:
                continue
            # the answer is a function of the values at `names` and of which
            # fed outputs the input gave: kept per plan by those
            vkey = env_key(env, names)
            if vkey is not None:
                mkey = (fact, tuple(clauses), tuple(t.output in given_set for t, _ in fed_all) if fed_all else (),
                        reduce_lists, vkey)
                got = domains.settled.get(mkey)
                if got is not None:
                    settles[fact] = got
                    continue
        else:
            values = domains.values(fact)
            if not values:
                continue
        if work is None:
            work = env.copy() if fast and type(env) in (dict, MappingProxyType) else dict(env)
        if fast:
            nodes, prog = domains.clause_program(ckey)
        else:
            nodes = []
            for std, clause, _ in clauses:
                c = plan.clause(std, clause)
                nodes.append(c.condition if c is not None else A.Boolean(False))
            prog = domains.program(("clauses",) + tuple((s_, c_) for s_, c_, _ in clauses), nodes)
        if fast:
            fed = [tp for tp in fed_all if tp[0].output not in given_set] if fed_all else fed_all
            if not fed and "[" not in fact:
                # a plain fact nothing is derived from: only it changes
                had = fact in work
                old = work.get(fact)
                open_ = set(range(len(clauses)))
                for value in values:
                    work[fact] = value
                    try:
                        got = prog(work, [])
                    except SafetyRulesError:
                        got = [_clause_value(n, work) for n in nodes]
                    for k in list(open_):
                        if got[k] is not None:
                            open_.discard(k)
                    if not open_:
                        break
                if had:
                    work[fact] = old
                else:
                    del work[fact]
                settles[fact] = got = tuple((f"{s_}:{c_}", sev) for k, (s_, c_, sev) in enumerate(clauses)
                                            if k not in open_)
                if mkey is not None:
                    domains.remember_settled(mkey, got)
                continue
        else:
            fed = [(t, None) for t in domains.tables_fed_by(fact) if t.output not in given_set]
        base, field = _split_item(fact)
        touched = [base] + [t.output for t, _ in fed]
        saved = {k: work[k] for k in touched if k in work}
        open_ = set(range(len(clauses)))
        # a list item's field: over a witness list when the clauses allow it
        # (settle_lists), not the whole list once per value tried
        witness = None
        if field is not None and not fed and reduce_lists:
            witness = _witness_items(env, fact, base, nodes, item_values, (domains, ckey) if fast else None)
        for value in values:
            if witness is not None:
                keep, at, item = witness
                changed = dict(item)
                changed[field] = value
                work[base] = [changed if j == at else keep[j] for j in keep]
            elif field is None:
                work[fact] = value
            else:
                work[base] = set_fact(env, fact, value)[base]
            for t, tprog in fed:
                if tprog is None:
                    tprog = domains.program(("table", t.id),
                                            [n if n is not None else A.Boolean(False) for n in t.conditions])
                try:
                    vals = tprog(work, [])
                except SafetyRulesError:
                    vals = _row_values(t, work)
                res = decide_table(t, vals, [])
                if res.known:
                    work[t.output] = res.value
                else:
                    work.pop(t.output, None)
            try:
                got = prog(work, [])
            except SafetyRulesError:
                got = [_clause_value(n, work) for n in nodes]
            for k in list(open_):
                if got[k] is not None:
                    open_.discard(k)
            if not open_:
                break
        for k in touched:  # restore
            if k in saved:
                work[k] = saved[k]
            else:
                work.pop(k, None)
        settles[fact] = got = tuple((f"{s_}:{c_}", sev) for k, (s_, c_, sev) in enumerate(clauses) if k not in open_)
        if mkey is not None:
            domains.remember_settled(mkey, got)
    out = []
    for fact in missing:
        got = settles[fact]
        out.append(
            {
                "fact": fact,
                "settles": sorted(k for k, _ in got),
                "major": sum(1 for _, sev in got if sev == "major"),
            }
        )
    out.sort(key=lambda q: (q["major"] == 0, -len(q["settles"]), q["fact"]))
    return out


def _witness_items(env: Mapping[str, Any], fact: str, base: str, nodes: Sequence[A.Node],
                   cache: Dict[str, Any], kept: Optional[Tuple[Domains, Any]] = None):
    """``(items to keep by index, the index of ``fact``'s item, that item)``
    when ``nodes`` read the list ``base`` only through top-level any/all
    quantifiers (see :mod:`~safetyrules.engine.settle_lists`), else ``None``."""
    from safetyrules.engine.settle_lists import ItemValues, list_quantifiers

    items = env.get(base)
    if not isinstance(items, (list, tuple)):
        return None
    index = int(fact.split("[", 1)[1].split("]", 1)[0])
    if index >= len(items) or not isinstance(items[index], Mapping):
        return None
    qkey = ("quants", base, tuple(map(id, nodes)))
    if kept is not None:  # kept per plan, by the clauses the nodes are of
        quants = kept[0].quantifiers((base, kept[1]), nodes, base)
    else:
        if qkey not in cache:
            cache[qkey] = list_quantifiers(nodes, base)
        quants = cache[qkey]
    if quants is None:
        return None
    iv = cache.get(base)
    if iv is None:
        iv = cache[base] = ItemValues(dict(env), base, items)
    keep = iv.keep(quants, index)
    if keep is None:
        return None
    return {j: items[j] for j in keep}, index, items[index]


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return ("list", len(v))
    return (type(v).__name__, v)
