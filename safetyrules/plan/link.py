"""Load and link a rule set: files → records → one checked, ordered, compiled whole.

Stages (each collects every error it finds, so an author fixes ten mistakes
in one run):

1. find the files (a manifest, a directory holding ``ruleset.yaml``, or a
   directory of rule files);
2. YAML → :class:`~safetyrules.source.loader.Document` → schema → records;
3. link: merge vocabularies, check every expression against them, check table
   outputs and values, build the dependency graph (facts → tables →
   standards → tables that read ``findings.*``), refuse cycles;
4. compile: hand the ordered, checked plan to :mod:`safetyrules.engine.ruleset`.
"""

from __future__ import annotations

import datetime
import graphlib
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.dsl.types import BOOL, FactSpec, Type, type_of_spec
from safetyrules.errors import ExpressionError, RuleFileError, RuleSetError, SafetyRulesError
from safetyrules.source.loader import Document, Loc, load_yaml
from safetyrules.source.model import Expr, Manifest, Standard, Table, Vocabulary, build
from safetyrules.source.files import bundled_path, digest, expand_includes, find_files, read_rule_file
from safetyrules.source.schema import validate_document
from safetyrules.plan.model import FINDINGS_FACTS, combine

__all__ = ["load_parts", "link", "BUILTIN_FACTS", "FINDINGS_FACTS", "LinkedClause", "LinkedTable"]

BUILTIN_FACTS: Dict[str, FactSpec] = {
    **{
        name: FactSpec("integer", min=0, title={"en": name.replace("findings.", "findings: ").replace("_", " ")}, source=("<builtin>", Loc(1, 1)))
        for name in FINDINGS_FACTS
    },
    "as_of": FactSpec("date", title={"en": "the date of the decision", "zh": "判定日期"}, source=("<builtin>", Loc(1, 1))),
}
def _rank(err: SafetyRulesError):
    # Errors in file order; within a position, the earlier stage first.
    return (str(err.path or ""), err.line or 0, err.column or 0)


class _Linker:
    def __init__(self) -> None:
        self.errors: List[SafetyRulesError] = []
        self.vocab: Dict[str, FactSpec] = dict(BUILTIN_FACTS)
        self.vocab_origin: Dict[str, Tuple[str, Loc]] = {}
        self.tables: List[Table] = []
        self.standards: List[Standard] = []
        self.vocabularies: List[Vocabulary] = []
        self.ids: Dict[str, str] = {}

    def add(self, rec: Any, doc: Document) -> None:
        rid = rec.id
        if rid in self.ids:
            self.errors.append(doc.error(f"rule file id '{rid}' is also used by {self.ids[rid]}", ("id",), code="E-DUPLICATE"))
            return
        self.ids[rid] = doc.path
        if isinstance(rec, Vocabulary):
            self.vocabularies.append(rec)
            for name, spec in rec.facts.items():
                if name in BUILTIN_FACTS:
                    self.errors.append(doc.error(f"'{name}' is provided by the engine and cannot be declared", ("facts", name), key=True, code="E-DUPLICATE"))
                    continue
                if name in self.vocab and name in self.vocab_origin:
                    other = self.vocab[name]
                    if _same_spec(other, spec):
                        continue
                    opath, oloc = self.vocab_origin[name]
                    self.errors.append(
                        doc.error(
                            f"fact '{name}' is declared differently in {opath}:{oloc.line}",
                            ("facts", name),
                            key=True,
                            code="E-DUPLICATE",
                        )
                    )
                    continue
                self.vocab[name] = spec
                self.vocab_origin[name] = (doc.path, doc.loc(("facts", name), key=True))
        elif isinstance(rec, Table):
            self.tables.append(rec)
        elif isinstance(rec, Standard):
            self.standards.append(rec)


def _same_spec(a: FactSpec, b: FactSpec) -> bool:
    return (a.type, a.unit, a.values, a.min, a.max) == (b.type, b.unit, b.values, b.min, b.max) and (
        a.item or {}
    ).keys() == (b.item or {}).keys()


def _value_fits(value: Any, spec: FactSpec) -> Optional[str]:
    """Why ``value`` cannot be a value of a fact declared by ``spec`` (or None)."""
    t = spec.type
    if t == "enum":
        if value not in (spec.values or ()):
            return f"{value!r} is not one of the declared values ({', '.join(spec.values or ())})"
    elif t == "bool":
        if not isinstance(value, bool):
            return f"{value!r} is not true/false"
    elif t in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{value!r} is not a number"
        if t == "integer" and isinstance(value, float) and not value.is_integer():
            return f"{value!r} is not a whole number"
    elif t == "string":
        if not isinstance(value, str):
            return f"{value!r} is not text"
    elif t == "date":
        try:
            datetime.date.fromisoformat(str(value))
        except ValueError:
            return f"{value!r} is not a date"
    elif t == "list":
        return "a table cannot output a list fact"
    return None


class LinkedTable:
    """A table after linking: checked row conditions, what it reads."""

    def __init__(self, table: Table, rows: List[A.Node], reads: Tuple[str, ...]) -> None:
        self.table = table
        self.rows = rows
        self.reads = reads
        self.needs_findings = False


class LinkedClause:
    """A clause after linking: its checked ``applies_when``, ``when``, ``unless``."""

    def __init__(self, standard: Standard, clause, applies: Optional[A.Node], when: A.Node, unless: Optional[A.Node]) -> None:
        self.standard = standard
        self.clause = clause
        self.applies = applies
        self.when = when
        self.unless = unless


def _check_expr(linker: _Linker, expr: Expr, vocab: Mapping[str, Any]) -> Optional[A.Node]:
    if expr is None or expr.node is None:
        return None
    try:
        return dsl.check(expr.node, vocab, expect="bool")
    except ExpressionError as err:
        linker.errors.append(expr.relocate(err))
        return None


def _order(graph: Dict[str, List[str]]) -> Tuple[Optional[List[str]], List[str]]:
    """(a cycle or None, the nodes each after what it depends on) — graph: node → deps.

    :mod:`graphlib` does the ordering; nodes are added in sorted order and
    each ready batch is taken sorted, so the order is deterministic."""
    ts = graphlib.TopologicalSorter()
    for node in sorted(graph):
        ts.add(node, *sorted(d for d in graph[node] if d in graph))
    try:
        ts.prepare()
    except graphlib.CycleError as exc:
        cycle = list(reversed(exc.args[1]))
        # graphlib lists each node before the one that needs it; show "a needs b" instead
        return cycle, []
    out: List[str] = []
    while ts.is_active():
        ready = sorted(ts.get_ready())
        out.extend(ready)
        ts.done(*ready)
    return None, out


def link(manifest: Optional[Manifest], records: List[Tuple[Any, Document]], linker: _Linker):
    """Check and order everything; returns the pieces the engine compiles."""
    for rec, doc in records:
        linker.add(rec, doc)
    vocab: Dict[str, Any] = dict(linker.vocab)

    # table outputs
    by_output: Dict[str, LinkedTable] = {}
    for t in linker.tables:
        spec = linker.vocab.get(t.output)
        if spec is None:
            hint = _did_you_mean(t.output, linker.vocab)
            linker.errors.append(RuleFileError(f"table output '{t.output}' is not declared in any vocabulary", path=t.path, line=t.loc.line, column=t.loc.column, code="E-NAME", hint=hint))
            continue
        if t.output in BUILTIN_FACTS:
            linker.errors.append(RuleFileError(f"'{t.output}' is computed by the engine; a table cannot write it", path=t.path, line=t.loc.line, column=t.loc.column, code="E-TABLE"))
            continue
        if t.output in by_output:
            other = by_output[t.output].table
            linker.errors.append(RuleFileError(f"tables '{other.id}' ({other.path}) and '{t.id}' both write '{t.output}'", path=t.path, line=t.loc.line, column=t.loc.column, code="E-TABLE"))
            continue
        if t.hit == "priority" and spec.type != "enum":
            linker.errors.append(RuleFileError(f"hit: priority needs an enum output ('{t.output}' is {spec.type})", path=t.path, line=t.loc.line, column=t.loc.column, code="E-TABLE"))
        for row in t.rows:
            why = _value_fits(row.then, spec)
            if why:
                linker.errors.append(RuleFileError(f"row output {why} for '{t.output}'", path=t.path, line=row.loc.line, column=row.loc.column, code="E-TABLE"))
        if t.has_default and t.default is not None:
            why = _value_fits(t.default, spec)
            if why:
                linker.errors.append(RuleFileError(f"default {why} for '{t.output}'", path=t.path, line=t.loc.line, column=t.loc.column, code="E-TABLE"))
        if t.hit == "collect":
            vocab[t.output] = Type("list", elem=type_of_spec(spec, t.output), fact=t.output)
        by_output[t.output] = LinkedTable(t, [], ())

    # expressions
    for lt in by_output.values():
        rows = []
        for row in lt.table.rows:
            rows.append(_check_expr(linker, row.when, vocab))
        lt.rows = rows
        reads: Dict[str, None] = {}
        for n in rows:
            if n is not None:
                for p in dsl.fact_paths(n):
                    reads[p] = None
        lt.reads = tuple(reads)
    clauses: List[LinkedClause] = []
    standard_reads: Dict[str, None] = {}
    for s in linker.standards:
        applies = _check_expr(linker, s.applies_when, vocab) if s.applies_when else None
        if applies is not None:
            for p in dsl.fact_paths(applies):
                standard_reads[p] = None
        for c in s.clauses:
            when = _check_expr(linker, c.when, vocab)
            unless = _check_expr(linker, c.unless, vocab) if c.unless is not None else None
            if when is None or (c.unless is not None and unless is None) or (s.applies_when is not None and applies is None):
                continue
            lc = LinkedClause(s, c, applies, when, unless)
            clauses.append(lc)
            for p in dsl.fact_paths(combine(applies, when, unless)):
                standard_reads[p] = None

    # dependency graph: node "table:<output>" and "standards"
    graph: Dict[str, List[str]] = {}
    for out, lt in by_output.items():
        deps = []
        for p in lt.reads:
            if p in by_output:
                deps.append("table:" + p)
            elif p in FINDINGS_FACTS:
                deps.append("standards")
        graph["table:" + out] = deps
    graph["standards"] = ["table:" + p for p in standard_reads if p in by_output]
    cyc, order = _order(graph)
    if cyc:
        names = [c.replace("table:", "") for c in cyc]
        where = next((by_output[c[6:]].table for c in cyc if c.startswith("table:")), None)
        linker.errors.append(
            RuleFileError(
                "dependency cycle: " + " → ".join(names),
                path=where.path if where else None,
                line=where.loc.line if where else None,
                column=where.loc.column if where else None,
                code="E-CYCLE",
            )
        )
        return None
    # which tables come after the standards (they read findings, directly or not)
    after: Dict[str, bool] = {}
    for n in order:
        if n == "standards":
            continue
        after[n] = any(d == "standards" or after.get(d, False) for d in graph[n])
    pre = [by_output[n[6:]] for n in order if n.startswith("table:") and not after[n]]
    post = [by_output[n[6:]] for n in order if n.startswith("table:") and after[n]]
    for lt in post:
        lt.needs_findings = True
    if manifest is not None:
        for key, fact in manifest.decision.items():
            if fact not in linker.vocab:
                linker.errors.append(
                    RuleFileError(
                        f"decision.{key}: '{fact}' is not declared in any vocabulary",
                        path=manifest.path,
                        line=manifest.loc.line,
                        column=manifest.loc.column,
                        code="E-NAME",
                        hint=_did_you_mean(fact, linker.vocab),
                    )
                )
    return vocab, pre, clauses, post, by_output


def _did_you_mean(word: str, choices) -> Optional[str]:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def load_parts(path: Optional[str] = None):
    """Everything up to linking; raises RuleSetError with all errors."""
    path = path or bundled_path()
    manifest_path, files, errors = find_files(path)
    errors = list(errors)
    manifest: Optional[Manifest] = None
    base = path if os.path.isdir(path) else os.path.dirname(path) or "."
    if manifest_path is None and len(files) == 1:
        doc, errs = read_rule_file(files[0])
        errors += errs
        if doc is not None and isinstance(doc.data, dict) and doc.data.get("kind") == "ruleset":
            manifest_path = files[0]
            files = []
    records: List[Tuple[Any, Document]] = []
    if manifest_path is not None:
        base = os.path.dirname(manifest_path) or "."
        doc, errs = read_rule_file(manifest_path)
        errors += errs
        if doc is not None:
            schema_errors = validate_document(doc)
            if doc.data is not None and isinstance(doc.data, dict) and doc.data.get("kind") not in (None, "ruleset"):
                schema_errors = [doc.error(f"{manifest_path} must be a 'kind: ruleset' manifest", ("kind",))]
            errors += schema_errors
            if not schema_errors:
                manifest, errs = build(doc)
                errors += errs
                more, errs = expand_includes(manifest, base)
                files = more
                errors += errs
    for f in files:
        doc, errs = read_rule_file(f)
        errors += errs
        if doc is None:
            continue
        if doc.data is None:
            errors.append(RuleFileError("empty rule file", path=f, line=1, column=1, code="E-SCHEMA"))
            continue
        schema_errors = validate_document(doc)
        errors += schema_errors
        if schema_errors:
            continue
        if doc.data.get("kind") == "ruleset":
            if manifest_path is not None:
                errors.append(doc.error("a manifest cannot include another manifest", ("kind",)))
            continue
        rec, errs = build(doc)
        errors += errs
        records.append((rec, doc))
    linker = _Linker()
    linker.errors = errors
    linked = link(manifest, records, linker)
    all_files = files
    if linker.errors:
        raise RuleSetError(sorted(linker.errors, key=_rank))
    digest_ = digest(base, all_files, manifest_path)
    return manifest, records, linker, linked, digest_, base


