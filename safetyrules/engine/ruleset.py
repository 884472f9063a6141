"""Evaluate a linked rule set on one entity's facts → a :class:`Decision`.

The plan, fixed at load time: tables that need only facts (in dependency
order) → every clause of every standard in one compiled function → tables
that read ``findings.*`` → the decision.  Compiled programs compute values
only; the slower work (which facts are missing, explanations) is done only
for what is unknown or asked for.
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from safetyrules import dsl
from safetyrules.engine.decision import Decision, Finding, Undetermined, jsonable
from safetyrules.dsl import ast as A
from safetyrules.dsl.printer import unparse
from safetyrules.errors import FactsError, SafetyRulesError
from safetyrules.engine.facts import check_facts, fast_table
from safetyrules.plan.build import load_plan
from safetyrules.plan.model import FINDINGS_FACTS, Plan, PlanClause, PlanTable
from safetyrules.source.files import bundled_path

__all__ = ["RuleSet", "load", "bundled_path", "decide_table", "TableResult"]


class TableResult:
    """A table's output for one entity: value, whether known, the rows left unknown."""

    __slots__ = ("value", "known", "unknown_rows")

    def __init__(self, value: Any, known: bool, unknown_rows: Tuple[int, ...]) -> None:
        self.value = value
        self.known = known
        self.unknown_rows = unknown_rows


def decide_table(t: PlanTable, vals: Sequence[Optional[bool]], warnings: List[dict]) -> TableResult:
    """Apply ``t``'s hit policy to its row values (SPEC §4)."""
    rows = t.rows
    hit = t.hit
    if hit == "first":
        unknown: List[int] = []
        for i, v in enumerate(vals):
            if v is True:
                if unknown:
                    return TableResult(None, False, tuple(unknown))
                return TableResult(rows[i].then, True, ())
            if v is None:
                unknown.append(i)
        if unknown:
            return TableResult(None, False, tuple(unknown))
        return _no_row(t, warnings)
    true_rows = [i for i, v in enumerate(vals) if v is True]
    unknown = [i for i, v in enumerate(vals) if v is None]
    if hit == "collect":
        if unknown:
            return TableResult(None, False, tuple(unknown))
        outs = {rows[i].then for i in true_rows}
        order = t.output_values
        if order is not None:
            value = [o for o in order if o in outs]
        else:
            value = sorted(outs, key=lambda o: (str(type(o)), o))
        return TableResult(value, True, ())
    if hit == "unique":
        distinct = {rows[i].then for i in true_rows}
        if len(true_rows) > 1:
            ids = ", ".join(rows[i].id or f"#{i + 1}" for i in true_rows)
            warnings.append(
                {
                    "code": "E-TABLE-OVERLAP",
                    "severity": "error",
                    "message": f"rows {ids} of unique table '{t.id}' all match; '{t.output}' is unknown",
                    "table": t.id,
                }
            )
            return TableResult(None, False, ())
        if true_rows and not unknown:
            return TableResult(rows[true_rows[0]].then, True, ())
        if unknown:
            return TableResult(None, False, tuple(unknown))
        return _no_row(t, warnings)
    # priority: the true row whose output comes first in the declared values
    order = t.output_values or []
    rank = {v: k for k, v in enumerate(order)}
    if true_rows:
        best = min(true_rows, key=lambda i: (rank.get(rows[i].then, len(rank)), i))
        best_rank = rank.get(rows[best].then, len(rank))
        blocking = tuple(i for i in unknown if rank.get(rows[i].then, len(rank)) < best_rank)
        if blocking:
            return TableResult(None, False, blocking)
        return TableResult(rows[best].then, True, ())
    if unknown:
        return TableResult(None, False, tuple(unknown))
    return _no_row(t, warnings)


def _no_row(t: PlanTable, warnings: List[dict]) -> TableResult:
    if t.has_default:
        return TableResult(t.default, True, ())
    warnings.append(
        {
            "code": "W-NO-ROW",
            "severity": "warning",
            "message": f"no row of table '{t.id}' matched; '{t.output}' is unknown",
            "table": t.id,
        }
    )
    return TableResult(None, False, ())


class RuleSet:
    """A loaded, checked and compiled rule set.  Build it with
    :func:`safetyrules.load`; evaluate entities with :meth:`evaluate`.

    Immutable after load (the compiled programs are built here, once) and
    safe to share between threads.  ``plan`` is the frozen
    :class:`~safetyrules.plan.model.Plan` every other part reads."""

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
        self._in_force_by_day: Dict[datetime.date, frozenset] = {}
        self._pre = [(t, dsl.compile_many([r.when.node for r in t.rows])) for t in plan.tables_before]
        self._post = [(t, dsl.compile_many([r.when.node for r in t.rows])) for t in plan.tables_after]
        self._by_output = {t.output: t for t in plan.tables}
        self._clauses: List[PlanClause] = list(plan.clauses)
        self._clause_program = dsl.compile_many([c.condition for c in self._clauses])
        # per standard: the indexes of its clauses in the program's results
        self._standard_ranges: List[Tuple[Any, List[int]]] = []
        k = 0
        for s in plan.standards:
            self._standard_ranges.append((s, list(range(k, k + len(s.clauses)))))
            k += len(s.clauses)

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

    # -- evaluation ------------------------------------------------------
    def evaluate(self, facts: Mapping[str, Any], as_of: Optional[Union[datetime.date, str]] = None) -> Decision:
        """Decide one entity.  ``as_of`` defaults to today.

        Raises :class:`FactsError` for an undeclared or mistyped fact.
        """
        day = _as_date(as_of)
        env = self.check_facts(facts)
        return self._decide(env, day)

    def evaluate_many(
        self,
        records: Iterable[Mapping[str, Any]],
        as_of: Optional[Union[datetime.date, str]] = None,
        *,
        jobs: int = 1,
        chunksize: int = 256,
    ) -> Iterator[Union[Decision, SafetyRulesError]]:
        """Decide many entities, in input order, reusing the compiled plan.

        Yields a :class:`Decision` per record, or the :class:`SafetyRulesError`
        that record raised (bad records do not stop the batch).  With
        ``jobs > 1`` the work is spread over a process pool.
        """
        day = _as_date(as_of)
        if jobs and jobs > 1:
            from safetyrules.engine.batch import parallel_decisions

            yield from parallel_decisions(self, records, day, jobs, chunksize)
            return
        for rec in records:
            try:
                yield self._decide(self.check_facts(rec), day)
            except SafetyRulesError as err:
                yield err

    def _decide(self, env: Dict[str, Any], day: datetime.date) -> Decision:
        given_inputs = dict(env)
        env["as_of"] = day
        warnings: List[dict] = []
        results: Dict[str, TableResult] = {}
        given: List[str] = []
        for t, prog in self._pre:
            self._run_table(t, prog, env, warnings, results, given)
        w: List[dict] = []
        vals = self._clause_program(env, w)
        if w:
            self._attribute_warnings(env, warnings)
        findings: List[Finding] = []
        undetermined: List[Undetermined] = []
        undetermined_idx: List[int] = []
        n_major = n_general = n_und = n_major_und = 0
        in_force = self._in_force(day)
        for s, idxs in self._standard_ranges:
            if s.id not in in_force:
                continue
            for i in idxs:
                v = vals[i]
                if v is False:
                    continue
                c = self._clauses[i]
                if v is True:
                    facts = {p: env[p] for p in c.reads if env.get(p) is not None}
                    findings.append(
                        Finding(s.id, s.version, c.id, c.cite, c.severity, c.category, c.title, c.status, facts)
                    )
                    if c.severity == "major":
                        n_major += 1
                    else:
                        n_general += 1
                else:
                    undetermined_idx.append(i)
                    n_und += 1
                    if c.severity == "major":
                        n_major_und += 1
        env["findings.major"] = n_major
        env["findings.general"] = n_general
        env["findings.undetermined"] = n_und
        env["findings.major_undetermined"] = n_major_und
        for t, prog in self._post:
            self._run_table(t, prog, env, warnings, results, given)
        cache: Dict[str, Tuple[str, ...]] = {}
        for i in undetermined_idx:
            c = self._clauses[i]
            missing = self._expand_missing(dsl.missing(c.condition, env), env, results, cache)
            undetermined.append(
                Undetermined(c.standard, c.version, c.id, c.cite, c.severity, c.category, c.title, c.status, missing)
            )
        if n_major:
            major_hazard: Optional[bool] = True
        elif n_major_und:
            major_hazard = None
        else:
            major_hazard = False
        outputs = {o: env.get(o) for o in self._by_output}
        decided = {k: env.get(fact) for k, fact in self.decision_map.items()}
        missing_all = set()
        for u in undetermined:
            missing_all.update(u.missing)
        for fact in self.decision_map.values():
            if env.get(fact) is None and fact in self._by_output:
                missing_all.update(self._table_missing(fact, env, results, cache))
            elif env.get(fact) is None:
                missing_all.add(fact)
        return Decision(
            ruleset_id=self.id,
            digest=self.digest,
            as_of=day,
            findings=tuple(findings),
            undetermined=tuple(undetermined),
            major_hazard=major_hazard,
            outputs=outputs,
            given=tuple(sorted(given)),
            level=decided.get("level"),
            tier=decided.get("tier"),
            inspection=decided.get("inspection"),
            warnings=tuple(warnings),
            missing=tuple(sorted(missing_all)),
            explainer=_Explainer(self, env),
        )

    def _in_force(self, day: datetime.date) -> frozenset:
        """Ids of the standards that apply on ``day`` (see :meth:`Plan.in_force`)."""
        # A pure function of the day; entries are written whole, so threads
        # at worst compute one twice.
        ids = self._in_force_by_day.get(day)
        if ids is None:
            ids = frozenset(self.plan.in_force(day))
            if len(self._in_force_by_day) > 4096:
                self._in_force_by_day = {}
            self._in_force_by_day[day] = ids
        return ids

    def _run_table(self, t: PlanTable, program, env, warnings, results, given) -> None:
        out = t.output
        if env.get(out) is not None:
            given.append(out)
            return
        w: List[dict] = []
        vals = program(env, w)
        for item in w:
            warnings.append({**item, "table": t.id})
        res = decide_table(t, vals, warnings)
        results[out] = res
        if res.known:
            env[out] = res.value
        else:
            env.pop(out, None)

    def _attribute_warnings(self, env, warnings) -> None:
        for c in self._clauses:
            w: List[dict] = []
            try:
                dsl.evaluate_ast(c.condition, env, w)
            except SafetyRulesError:
                continue
            for item in w:
                warnings.append({**item, "standard": c.standard, "clause": c.id})

    def _table_missing(self, out: str, env, results, cache) -> Tuple[str, ...]:
        if out in cache:
            return cache[out]
        cache[out] = ()  # cycle guard (the graph is acyclic, but be safe)
        res = results.get(out)
        t = self._by_output[out]
        conds = t.conditions
        raw: List[str] = []
        rows = res.unknown_rows if res is not None and res.unknown_rows else range(len(conds))
        for i in rows:
            node = conds[i]
            if node is not None and dsl.evaluate_ast(node, env) is None:
                raw.extend(dsl.missing(node, env))
        cache[out] = self._expand_missing(tuple(raw), env, results, cache)
        return cache[out]

    def _expand_missing(self, names, env, results, cache) -> Tuple[str, ...]:
        out = set()
        for n in names:
            if n in self._by_output and n not in FINDINGS_FACTS:
                res = results.get(n)
                if res is not None:
                    out.update(self._table_missing(n, env, results, cache) or (n,))
                    continue
            out.add(n)
        return tuple(sorted(out))


    # -- registries (SPEC §9) -----------------------------------------------
    def evaluate_table(self, data, backend: str = "duckdb", as_of=None, spark=None):
        """Grade a whole registry table; see :func:`safetyrules.engine.table.evaluate_table`."""
        from safetyrules.engine.table import evaluate_table

        return evaluate_table(self, data, backend=backend, as_of=as_of, spark=spark)

    def to_sql(self, dialect: str = "duckdb", table: str = "facts", as_of=None) -> str:
        """The rule set of one day as one SQL ``SELECT``; see :func:`safetyrules.engine.table.to_sql`."""
        from safetyrules.engine.table import to_sql

        return to_sql(self, dialect=dialect, table=table, as_of=as_of)

def _as_date(as_of) -> datetime.date:
    if as_of is None:
        return datetime.date.today()
    if isinstance(as_of, datetime.datetime):
        return as_of.date()
    if isinstance(as_of, datetime.date):
        return as_of
    try:
        return datetime.date.fromisoformat(str(as_of))
    except ValueError:
        raise FactsError(f"as_of must be a date like 2024-03-01, got {as_of!r}", fact="as_of") from None


class _Explainer:
    """Renders sub-conditions with their values for a decision (lazily)."""

    def __init__(self, rules: RuleSet, env: Dict[str, Any]) -> None:
        self.rules = rules
        self.env = env

    def __call__(self, decision: Decision) -> str:
        wanted = {(f.standard, f.clause): "FOUND" for f in decision.findings}
        wanted.update({(u.standard, u.clause): "UNDETERMINED" for u in decision.undetermined})
        lines: List[str] = []
        for c in self.rules.plan.clauses:
            key = (c.standard, c.id)
            if key not in wanted:
                continue
            title = c.title.get("en") or c.title.get("zh") or ""
            lines.append(f"{c.standard} {c.id} [{c.cite}] {wanted[key]} ({c.severity}) {title}".rstrip())
            if c.applies is not None:
                lines.append("  applies when:")
                self._tree(c.applies.node, 2, lines)
            lines.append("  when:")
            self._tree(c.when.node, 2, lines)
            if c.unless is not None:
                lines.append("  unless:")
                self._tree(c.unless.node, 2, lines)
        for out, res in sorted(self._table_lines().items()):
            lines.append(res)
        return "\n".join(lines) + ("\n" if lines else "")

    def _table_lines(self) -> Dict[str, str]:
        out = {}
        for o in self.rules.plan.outputs:
            out[o] = f"{o} = {_show(self.env.get(o))}"
        return out

    def _tree(self, node: A.Node, depth: int, lines: List[str]) -> None:
        try:
            value = dsl.evaluate_ast(node, self.env)
        except SafetyRulesError:
            value = None
        pad = "  " * depth
        lines.append(f"{pad}{unparse(node)}  → {_show(value)}")
        if isinstance(node, (A.And, A.Or)):
            for op in node.operands:
                self._tree(op, depth + 1, lines)
        elif isinstance(node, A.Not) and isinstance(node.operand, (A.And, A.Or, A.Not, A.Compare)):
            self._tree(node.operand, depth + 1, lines)
        elif isinstance(node, A.Compare):
            for side in (node.left, node.right):
                if isinstance(side, A.Path) and side.head not in ():
                    lines.append(f"{pad}  {side.name} = {_show(self.env.get(side.name))}")


def _show(v: Any) -> str:
    if v is None:
        return "unknown"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(jsonable(v))


def load(path: Optional[str] = None) -> RuleSet:
    """Load, check and compile a rule set.

    ``path`` is a manifest (``kind: ruleset``), a directory holding
    ``ruleset.yaml``, or a directory of rule files loaded together; ``None``
    loads the bundled national rule set.  Raises :class:`RuleSetError`
    (a :class:`RuleFileError`) listing every error found, best first.
    """
    plan, base = load_plan(path)
    return RuleSet(plan, base, load_path=path)
