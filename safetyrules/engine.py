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

from . import dsl
from .decision import Decision, Finding, Undetermined, jsonable
from .dsl import ast as A
from .dsl.printer import unparse
from .errors import FactsError, SafetyRulesError
from .facts import check_facts, fast_table
from .ruleset import FINDINGS_FACTS, LinkedClause, LinkedTable

__all__ = ["RuleSet"]


class _TableResult:
    __slots__ = ("value", "known", "unknown_rows")

    def __init__(self, value: Any, known: bool, unknown_rows: Tuple[int, ...]) -> None:
        self.value = value
        self.known = known
        self.unknown_rows = unknown_rows


def _decide_table(lt: LinkedTable, vals: Sequence[Optional[bool]], warnings: List[dict]) -> _TableResult:
    """Apply the hit policy to row values (SPEC §4)."""
    t = lt.table
    rows = t.rows
    hit = t.hit
    if hit == "first":
        unknown: List[int] = []
        for i, v in enumerate(vals):
            if v is True:
                if unknown:
                    return _TableResult(None, False, tuple(unknown))
                return _TableResult(rows[i].then, True, ())
            if v is None:
                unknown.append(i)
        if unknown:
            return _TableResult(None, False, tuple(unknown))
        return _no_row(lt, warnings)
    true_rows = [i for i, v in enumerate(vals) if v is True]
    unknown = [i for i, v in enumerate(vals) if v is None]
    if hit == "collect":
        if unknown:
            return _TableResult(None, False, tuple(unknown))
        outs = {rows[i].then for i in true_rows}
        order = _output_order(lt)
        if order is not None:
            value = [o for o in order if o in outs]
        else:
            value = sorted(outs, key=lambda o: (str(type(o)), o))
        return _TableResult(value, True, ())
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
            return _TableResult(None, False, ())
        if true_rows and not unknown:
            return _TableResult(rows[true_rows[0]].then, True, ())
        if unknown:
            return _TableResult(None, False, tuple(unknown))
        return _no_row(lt, warnings)
    # priority: the true row whose output comes first in the declared values
    order = _output_order(lt) or []
    rank = {v: k for k, v in enumerate(order)}
    if true_rows:
        best = min(true_rows, key=lambda i: (rank.get(rows[i].then, len(rank)), i))
        best_rank = rank.get(rows[best].then, len(rank))
        blocking = tuple(i for i in unknown if rank.get(rows[i].then, len(rank)) < best_rank)
        if blocking:
            return _TableResult(None, False, blocking)
        return _TableResult(rows[best].then, True, ())
    if unknown:
        return _TableResult(None, False, tuple(unknown))
    return _no_row(lt, warnings)


def _output_order(lt: LinkedTable) -> Optional[List[Any]]:
    return getattr(lt, "output_values", None)


def _no_row(lt: LinkedTable, warnings: List[dict]) -> _TableResult:
    t = lt.table
    if t.has_default:
        return _TableResult(t.default, True, ())
    warnings.append(
        {
            "code": "W-NO-ROW",
            "severity": "warning",
            "message": f"no row of table '{t.id}' matched; '{t.output}' is unknown",
            "table": t.id,
        }
    )
    return _TableResult(None, False, ())


class RuleSet:
    """A loaded, checked and compiled rule set.  Build it with
    :func:`safetyrules.load`; evaluate entities with :meth:`evaluate`."""

    def __init__(self, manifest, records, linker, linked, digest: str, base: str) -> None:
        check_vocab, pre, clauses, post, by_output = linked
        self.manifest = manifest
        self.id = manifest.id if manifest is not None else os.path.basename(os.path.abspath(base)) or "rules"
        self.title = dict(manifest.title) if manifest is not None else {}
        self.digest = digest
        self.base = base
        self.source_path = manifest.path if manifest is not None else base
        self.vocabulary = dict(linker.vocab)
        self._fast_facts = fast_table(self.vocabulary)
        self.checker_vocabulary = check_vocab
        self.standards = list(linker.standards)
        self.tables = [lt.table for lt in pre + post]
        self.vocabularies = list(linker.vocabularies)
        self.decision_map = dict(manifest.decision) if manifest is not None else {}
        self._pre = pre
        self._post = post
        self._by_output = by_output
        self._clauses: List[LinkedClause] = clauses
        for lt in pre + post:
            spec = self.vocabulary.get(lt.table.output)
            lt.output_values = list(spec.values) if spec is not None and spec.values else None
            lt.program = dsl.compile_many([n for n in lt.rows])
        self._clause_program = dsl.compile_many([c.combined for c in clauses])
        # per standard: the indexes of its clauses in the program's results
        self._standard_ranges: List[Tuple[Any, List[int]]] = []
        index: Dict[str, List[int]] = {}
        for i, c in enumerate(clauses):
            index.setdefault(c.standard.id, []).append(i)
        for s in sorted(self.standards, key=lambda s: s.id):
            self._standard_ranges.append((s, index.get(s.id, [])))
        self.records = records

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
            from .batch import parallel_decisions

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
        results: Dict[str, _TableResult] = {}
        given: List[str] = []
        for lt in self._pre:
            self._run_table(lt, env, warnings, results, given)
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
                lc = self._clauses[i]
                c = lc.clause
                if v is True:
                    facts = {p: env[p] for p in lc.reads if env.get(p) is not None}
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
        for lt in self._post:
            self._run_table(lt, env, warnings, results, given)
        cache: Dict[str, Tuple[str, ...]] = {}
        for i in undetermined_idx:
            lc = self._clauses[i]
            s, c = lc.standard, lc.clause
            missing = self._expand_missing(dsl.missing(lc.combined, env), env, results, cache)
            undetermined.append(
                Undetermined(s.id, s.version, c.id, c.cite, c.severity, c.category, c.title, c.status, missing)
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
        """Ids of the standards that apply on ``day``: inside their effective
        range and not superseded by another standard in force that day."""
        cache = self.__dict__.setdefault("_in_force_cache", {})
        ids = cache.get(day)
        if ids is None:
            active = [s for s in self.standards if s.in_force(day)]
            superseded = {x for s in active for x in s.supersedes}
            ids = frozenset(s.id for s in active if s.id not in superseded)
            if len(cache) > 1024:
                cache.clear()
            cache[day] = ids
        return ids

    def _run_table(self, lt: LinkedTable, env, warnings, results, given) -> None:
        out = lt.table.output
        if env.get(out) is not None:
            given.append(out)
            return
        w: List[dict] = []
        vals = lt.program(env, w)
        for item in w:
            warnings.append({**item, "table": lt.table.id})
        res = _decide_table(lt, vals, warnings)
        results[out] = res
        if res.known:
            env[out] = res.value
        else:
            env.pop(out, None)

    def _attribute_warnings(self, env, warnings) -> None:
        for lc in self._clauses:
            w: List[dict] = []
            try:
                dsl.evaluate_ast(lc.combined, env, w)
            except SafetyRulesError:
                continue
            for item in w:
                warnings.append({**item, "standard": lc.standard.id, "clause": lc.clause.id})

    def _table_missing(self, out: str, env, results, cache) -> Tuple[str, ...]:
        if out in cache:
            return cache[out]
        cache[out] = ()  # cycle guard (the graph is acyclic, but be safe)
        res = results.get(out)
        lt = self._by_output[out]
        raw: List[str] = []
        rows = res.unknown_rows if res is not None and res.unknown_rows else range(len(lt.rows))
        for i in rows:
            node = lt.rows[i]
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
        for lc in self.rules._clauses:
            key = (lc.standard.id, lc.clause.id)
            if key not in wanted:
                continue
            c = lc.clause
            title = c.title.get("en") or c.title.get("zh") or ""
            lines.append(f"{lc.standard.id} {c.id} [{c.cite}] {wanted[key]} ({c.severity}) {title}".rstrip())
            if lc.standard.applies_when is not None:
                lines.append("  applies when:")
                self._tree(lc.combined.operands[0] if isinstance(lc.combined, A.And) else lc.combined, 2, lines)
            lines.append("  when:")
            self._tree(lc.when, 2, lines)
            if lc.unless is not None:
                lines.append("  unless:")
                self._tree(lc.unless, 2, lines)
        for out, res in sorted(self._table_lines().items()):
            lines.append(res)
        return "\n".join(lines) + ("\n" if lines else "")

    def _table_lines(self) -> Dict[str, str]:
        out = {}
        for o in self.rules._by_output:
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
