"""Evaluate a linked rule set on one entity's facts → a :class:`Decision`.

Per day, the standards in force pick one generated program
(:mod:`safetyrules.backends.python`), compiled on first use under a lock and
kept: it checks and reads the facts, computes every table and clause with
three-valued logic and returns a compact result, from which the
:class:`Decision` is materialised lazily.  Input the generated code does not
take as regular (a value to convert or refuse, a dotted name, a given table
output, a warning to attribute) goes to the reference path here: the full
fact check, the DSL's compiled programs and :func:`decide_table`, which
define the results; the generated code must agree with it on every input.
"""

from __future__ import annotations

import datetime
import os
import threading
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from safetyrules import dsl
from safetyrules.backends.layout import Layout, freeze_value
from safetyrules.backends.python import Program, compile_program
from safetyrules.backends.tables import TableResult, decide_table
from safetyrules.engine.decision import Decision
from safetyrules.engine.facts import check_facts, fast_table
from safetyrules.errors import FactsError, SafetyRulesError
from safetyrules.frozen import FrozenDict
from safetyrules.plan.build import load_plan, without_gc
from safetyrules.plan.model import Plan
from safetyrules.source.files import bundled_path
from safetyrules.limits import parse_date

__all__ = ["RuleSet", "load", "bundled_path", "decide_table", "TableResult"]

_date = datetime.date
_datetime = datetime.datetime


class RuleSet:
    """A loaded, checked and compiled rule set.  Build it with
    :func:`safetyrules.load`; evaluate entities with :meth:`evaluate`.

    Immutable after load and safe to share between threads: the per-day
    programs are pure functions of the plan, compiled once under a lock.
    ``plan`` is the frozen :class:`~safetyrules.plan.model.Plan` every other
    part reads."""

    def __init__(self, plan: Plan, base: str, load_path: Optional[str] = None) -> None:
        self.plan = plan
        self.id = plan.id
        self.title = dict(plan.title)
        self.digest = plan.digest
        self.base = base
        self.load_path = load_path
        self.source_path = plan.manifest.path if plan.manifest is not None else base
        self.vocabulary = plan.facts
        self.decision_map = plan.decision
        self._fast_facts = fast_table(self.vocabulary)
        # the reference path's programs, built on its first use (most input
        # never needs them): (pre tables, clauses, post tables)
        self._ref: Optional[Tuple[list, Any, list]] = None
        self._lock = threading.Lock()
        self._ref_lock = threading.Lock()
        self._by_day: Dict[_date, Program] = {}
        self._by_set: Dict[Tuple[str, ...], Program] = {}

    @property
    def standards(self):
        """The plan's standards (every day's)."""
        return self.plan.standards

    @property
    def tables(self):
        """The plan's tables, in dependency order."""
        return self.plan.tables

    # -- facts ---------------------------------------------------------
    def check_facts(self, facts: Mapping[str, Any]) -> Dict[str, Any]:
        """Validate and normalise facts (raises :class:`FactsError`)."""
        return check_facts(facts, self.vocabulary, self._fast_facts)

    # -- programs ------------------------------------------------------
    def program(self, as_of: Optional[Union[datetime.date, str]] = None) -> Program:
        """The generated program of the standards in force on ``as_of``
        (compiled on first use; ``.source`` is its Python text)."""
        day = _as_date(as_of)
        prog = self._by_day.get(day)
        return prog if prog is not None else self._compile(day)

    def _compile(self, day: _date) -> Program:
        with self._lock:
            prog = self._by_day.get(day)
            if prog is not None:
                return prog
            in_force = self.plan.in_force(day)
            prog = self._by_set.get(in_force)
            if prog is None:
                # raises SafetyRulesError when generation fails: no silent fallback
                with without_gc():
                    prog = compile_program(self.plan, in_force)
                self._by_set[in_force] = prog
            by_day = dict(self._by_day) if len(self._by_day) < 4096 else {}
            by_day[day] = prog
            self._by_day = by_day  # replaced whole: readers never see a dict being changed
            return prog

    # -- evaluation ------------------------------------------------------
    def evaluate(self, facts: Mapping[str, Any], as_of: Optional[Union[datetime.date, str]] = None) -> Decision:
        """Decide one entity.  ``as_of`` defaults to today.

        Raises :class:`FactsError` for an undeclared or mistyped fact.
        """
        day = as_of if type(as_of) is _date else _as_date(as_of)
        prog = self._by_day.get(day)
        if prog is None:
            prog = self._compile(day)
        result = prog.run(facts, day)
        if result is None:
            result = self.reference(facts, day, prog.layout)
        return Decision._make(prog.layout, result, day).attach_entity(facts)

    def evaluate_many(
        self,
        records: Iterable[Mapping[str, Any]],
        as_of: Optional[Union[datetime.date, str]] = None,
        *,
        jobs: int = 1,
        chunksize: int = 256,
    ) -> Iterator[Union[Decision, SafetyRulesError]]:
        """Decide many entities, in input order, reusing the compiled plan.

        Yields one :class:`Decision` per record, or the :class:`SafetyRulesError`
        that record raised, as a value: no record stops the batch, and none
        is lost (``None`` and other non-mappings are ``E-ENTITY`` errors).
        ``records`` may hold JSON Lines lines (``str``/``bytes``), or be a
        JSON Lines file object or a facts path
        (:func:`safetyrules.engine.reader.entities_of`); for JSON Lines input
        each decision's ``line`` (and ``"line"`` in its JSON) and each
        error's ``line`` is the 1-based input line.  With ``jobs > 1`` the
        work is spread over a process pool.
        """
        from safetyrules.engine.reader import entities_of

        day = _as_date(as_of)
        prog = self.program(day)
        # a facts path names the file in each record's error ("PATH:2: error: ...")
        src = os.fspath(records) if isinstance(records, (str, os.PathLike)) else None
        if jobs and jobs > 1:
            yield from self._many_parallel(entities_of(records), day, jobs, chunksize, src)
            return
        run, layout, make, reference = prog.run, prog.layout, Decision._make, self.reference
        for e in entities_of(records):
            if e.error is not None:
                yield _located(e.error, None, src)
                continue
            rec = e.facts
            try:
                result = run(rec, day)
                if result is None:
                    result = reference(rec, day, layout)
                yield make(layout, result, day).attach_entity(rec).at_line(e.line)
            except SafetyRulesError as err:
                yield _located(err, e.line, src)

    def _many_parallel(self, entities, day: datetime.date, jobs: int, chunksize: int, src: Optional[str] = None):
        from collections import deque

        from safetyrules.engine.batch import parallel_decisions

        # results come back in input order, one per record sent, and an
        # entity is always taken before its result: a queue pairs them
        pending: deque = deque()

        def records():
            for e in entities:
                pending.append(e)
                yield e.facts if e.error is None else None

        for result in parallel_decisions(self, records(), day, jobs, chunksize):
            e = pending.popleft()
            if e.error is not None:
                yield _located(e.error, None, src)
            elif isinstance(result, SafetyRulesError):
                yield _located(result, e.line, src)
            else:
                yield result.at_line(e.line)

    def compact(self, facts: Mapping[str, Any], day: datetime.date) -> Tuple[Layout, tuple]:
        """``(layout, compact result)`` of one entity (what a Decision is
        built from; the process pool sends only the result)."""
        prog = self.program(day)
        result = prog.run(facts, day)
        if result is None:
            result = self.reference(facts, day, prog.layout)
        return prog.layout, result

    # -- the reference path ------------------------------------------------
    def _reference_programs(self) -> Tuple[list, Any, list]:
        ref = self._ref
        if ref is None:
            with self._ref_lock:
                ref = self._ref
                if ref is None:
                    plan = self.plan
                    ref = (
                        [(t, dsl.compile_many([r.when.node for r in t.rows])) for t in plan.tables_before],
                        dsl.compile_many([c.condition for c in plan.clauses]),
                        [(t, dsl.compile_many([r.when.node for r in t.rows])) for t in plan.tables_after],
                    )
                    self._ref = ref  # set whole, once: readers see None or the finished triple
        return ref

    def reference(self, facts: Mapping[str, Any], day: datetime.date, layout: Optional[Layout] = None) -> tuple:
        """The compact result of ``facts`` on ``day`` by the reference path
        (full fact check, the DSL's programs, :func:`decide_table`): what
        the generated program must give for every input it accepts."""
        if layout is None:
            layout = self.program(day).layout
        env = self.check_facts(facts)
        env["as_of"] = day
        pre, clause_program, post = self._reference_programs()
        warnings: List[dict] = []
        given: List[str] = []
        for t, prog in pre:
            _run_table(t, prog, env, warnings, given)
        w: List[dict] = []
        vals = clause_program(env, w)
        keep = frozenset(layout.in_force)
        if w:
            for c in layout.clauses:
                _attribute(c, env, warnings)
        clause_vals = []
        n_major = n_general = n_und = n_major_und = 0
        k = 0
        for s in self.plan.standards:
            if s.id not in keep:
                k += len(s.clauses)
                continue
            for c in s.clauses:
                v = vals[k]
                k += 1
                clause_vals.append(v)
                if v is True:
                    if c.severity == "major":
                        n_major += 1
                    else:
                        n_general += 1
                elif v is None:
                    n_und += 1
                    if c.severity == "major":
                        n_major_und += 1
        env["findings.major"] = n_major
        env["findings.general"] = n_general
        env["findings.undetermined"] = n_und
        env["findings.major_undetermined"] = n_major_und
        for t, prog in post:
            _run_table(t, prog, env, warnings, given)
        get = env.get
        values = tuple(freeze_value(get(k)) for k in layout.keys)
        return (tuple(clause_vals), values, tuple(sorted(given)), tuple(FrozenDict(x) for x in warnings))

    # -- registries (SPEC §9) -----------------------------------------------
    def evaluate_table(self, data, backend: str = "duckdb", as_of=None, spark=None):
        """Grade a whole registry table; see :func:`safetyrules.engine.table.evaluate_table`."""
        from safetyrules.engine.table import evaluate_table

        return evaluate_table(self, data, backend=backend, as_of=as_of, spark=spark)

    def to_sql(self, dialect: str = "duckdb", table: str = "facts", as_of=None) -> str:
        """The rule set of one day as one SQL ``SELECT``; see :func:`safetyrules.engine.table.to_sql`."""
        from safetyrules.engine.table import to_sql

        return to_sql(self, dialect=dialect, table=table, as_of=as_of)


def _run_table(t, program, env, warnings, given) -> None:
    out = t.output
    if env.get(out) is not None:
        given.append(out)
        return
    w: List[dict] = []
    vals = program(env, w)
    for item in w:
        warnings.append({**item, "table": t.id})
    res = decide_table(t, vals, warnings)
    if res.known:
        env[out] = res.value
    else:
        env.pop(out, None)


def _attribute(c, env, warnings) -> None:
    w: List[dict] = []
    try:
        dsl.evaluate_ast(c.condition, env, w)
    except SafetyRulesError:
        return
    for item in w:
        warnings.append({**item, "standard": c.standard, "clause": c.id})


def _as_date(as_of) -> datetime.date:
    if as_of is None:
        return _date.today()
    if isinstance(as_of, _datetime):
        return as_of.date()
    if isinstance(as_of, _date):
        return as_of
    try:
        return parse_date(str(as_of))
    except ValueError:
        raise FactsError(f"as_of must be a date like 2024-03-01, got {as_of!r}", fact="as_of") from None


def load(path: Optional[str] = None) -> RuleSet:
    """Load, check and compile a rule set.

    ``path`` is a manifest (``kind: ruleset``), a directory holding
    ``ruleset.yaml``, or a directory of rule files loaded together; ``None``
    loads the bundled national rule set.  Raises :class:`RuleSetError`
    (a :class:`RuleFileError`) listing every error found, best first.
    """
    with without_gc():
        plan, base = load_plan(path)
        return RuleSet(plan, base, load_path=path)


def _located(err: SafetyRulesError, line: Optional[int], src: Optional[str]) -> SafetyRulesError:
    """``err`` at the record's input ``line`` and, when the records came from
    a facts path ``src``, in that file (unless it names a place already)."""
    if line is not None:
        err.line = line
    if src is not None and getattr(err, "path", None) is None:
        err.path = src
    return err
