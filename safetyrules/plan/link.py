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

import graphlib
import os

import attrs
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from safetyrules import dsl, units
from safetyrules.diagnostics import rank
from safetyrules.dsl import ast as A
from safetyrules.dsl.types import FactSpec, Type, type_of_spec
from safetyrules.errors import ExpressionError, RuleFileError, RuleSetError, SafetyRulesError
from safetyrules.limits import parse_date
from safetyrules.source.loader import Document, Loc
from safetyrules.source.model import Expr, Manifest, Standard, Table, Vocabulary, build
from safetyrules.source.files import (
    bundled_manifests,
    bundled_path,
    digest_groups,
    expand_includes,
    find_files,
    read_rule_file,
)
from safetyrules.source.schema import validate_document
from safetyrules.plan.model import FINDINGS_FACTS

__all__ = ["load_parts", "own_files", "link", "BUILTIN_FACTS", "FINDINGS_FACTS", "LinkedClause", "LinkedTable"]

BUILTIN_FACTS: Dict[str, FactSpec] = {
    **{
        name: FactSpec("integer", min=0, title={"en": name.replace("findings.", "findings: ").replace("_", " ")}, source=("<builtin>", Loc(1, 1)))
        for name in FINDINGS_FACTS
    },
    "as_of": FactSpec("date", title={"en": "the date of the decision", "zh": "判定日期"}, source=("<builtin>", Loc(1, 1))),
}


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
            parse_date(str(value))
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


def _check_expr(linker: _Linker, expr: Optional[Expr], vocab: Mapping[str, Any]) -> Optional[A.Node]:
    if expr is None or expr.node is None:
        return None
    try:
        return dsl.check(expr.node, vocab, expect="bool")
    except ExpressionError as err:
        linker.errors.append(expr.relocate(err))
        return None


def _reads_findings(linker: _Linker, expr: Any, node: A.Node) -> bool:
    """Whether a standard's ``applies_when`` or a clause's condition reads a
    ``findings.*`` count (noted as an error at that name): the counts are made
    from the clauses, so only the tables after the standards read them
    (SPEC §3); a clause reading them would depend on itself."""
    for n in A.walk(node):
        if isinstance(n, A.Path) and n.name in FINDINGS_FACTS:
            err = ExpressionError(
                f"'{n.name}' counts the findings of the clauses: only a table after the standards can read it, "
                "not a clause or an applies_when",
                line=n.span.line, column=n.span.column, end_line=n.span.end_line, end_column=n.span.end_column,
                code="E-CYCLE",
            )
            linker.errors.append(expr.relocate(err))
            return True
    return False


def _order(graph: Dict[str, List[str]]) -> Tuple[Optional[List[str]], List[str]]:
    """(a cycle or None, the nodes each after what it depends on) — graph: node → deps.

    :mod:`graphlib` does the ordering; nodes are added in sorted order and
    each ready batch is taken sorted, so the order is deterministic."""
    ts: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
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


def link(manifest: Optional[Manifest], records: List[Tuple[Any, Document]], linker: _Linker, manifest_doc: Optional[Document] = None):
    """Check and order everything; returns the pieces the engine compiles.

    Errors point at the node that caused them (a table's ``output:``, a
    manifest's ``decision:`` entry), through the records' documents."""
    docs = {id(rec): doc for rec, doc in records}

    def at(rec: Any, path: Tuple, key: bool = False) -> Dict[str, Any]:
        doc = docs.get(id(rec)) if rec is not manifest else manifest_doc
        loc = doc.loc(path, key) if doc is not None else rec.loc
        return dict(path=rec.path, line=loc.line, column=loc.column)

    for rec, doc in records:
        linker.add(rec, doc)
    vocab: Dict[str, Any] = dict(linker.vocab)

    # table outputs
    by_output: Dict[str, LinkedTable] = {}
    for t in linker.tables:
        spec = linker.vocab.get(t.output)
        if spec is None:
            hint = _did_you_mean(t.output, linker.vocab)
            linker.errors.append(RuleFileError(f"table output '{t.output}' is not declared in any vocabulary", code="E-NAME", hint=hint, **at(t, ("output",))))
            continue
        if t.output in BUILTIN_FACTS:
            linker.errors.append(RuleFileError(f"'{t.output}' is computed by the engine; a table cannot write it", code="E-TABLE", **at(t, ("output",))))
            continue
        if t.output in by_output:
            other = by_output[t.output].table
            linker.errors.append(RuleFileError(f"tables '{other.id}' ({other.path}) and '{t.id}' both write '{t.output}'", code="E-TABLE", **at(t, ("output",))))
            continue
        # a collect table may write a declared list of enum values: rows give one value each
        item_spec = FactSpec("enum", values=spec.values) if spec.type == "list" and spec.values and not spec.item else spec
        if spec.type == "list" and t.hit != "collect":
            # a row gives one value; only collect gathers them into a list
            linker.errors.append(RuleFileError(f"'{t.output}' is a list fact; only hit: collect can write it (table '{t.id}' is hit: {t.hit})", code="E-TABLE", **at(t, ("hit",) if ("hit",) in getattr(docs.get(id(t)), "values", ()) else ("output",))))
        elif t.hit == "priority" and spec.type != "enum":
            linker.errors.append(RuleFileError(f"hit: priority needs an enum output ('{t.output}' is {spec.type})", code="E-TABLE", **at(t, ("hit",))))
        if t.warn_code is not None and t.hit != "collect":
            linker.errors.append(RuleFileError(f"warn: needs hit: collect (table '{t.id}' is hit: {t.hit})", code="E-TABLE", **at(t, ("warn",))))
        for i, row in enumerate(t.rows):
            why = _value_fits(row.then, item_spec)
            if why:
                linker.errors.append(RuleFileError(f"row output {why} for '{t.output}'", code="E-TABLE", **at(t, ("rows", i, "then"))))
        if t.has_default and t.default is not None:
            why = _value_fits(t.default, item_spec)
            if why:
                linker.errors.append(RuleFileError(f"default {why} for '{t.output}'", code="E-TABLE", **at(t, ("default",))))
        if t.hit == "collect":
            vocab[t.output] = Type("list", elem=type_of_spec(item_spec, t.output), fact=t.output)
            if spec.type == "enum":
                # what it derives is a list of those values: so is a given value
                # (as the enum it was declared, a given 'r' broke "'r' in o2")
                linker.vocab[t.output] = attrs.evolve(spec, type="list")
        by_output[t.output] = LinkedTable(t, [], ())

    # expressions
    for lt in by_output.values():
        rows: List[Any] = []
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
        if applies is not None and _reads_findings(linker, s.applies_when, applies):
            applies = None
        if applies is not None:
            for p in dsl.fact_paths(applies):
                standard_reads[p] = None
        for c in s.clauses:
            when = _check_expr(linker, c.when, vocab)
            unless = _check_expr(linker, c.unless, vocab) if c.unless is not None else None
            if when is not None and _reads_findings(linker, c.when, when):
                when = None
            if unless is not None and _reads_findings(linker, c.unless, unless):
                unless = None
            if when is None or (c.unless is not None and unless is None) or (s.applies_when is not None and applies is None):
                continue
            lc = LinkedClause(s, c, applies, when, unless)
            clauses.append(lc)
            # what combine(applies, when, unless) reads: applies' facts are in already
            for part in (when, unless):
                if part is not None:
                    for p in dsl.fact_paths(part):
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
        linker.errors.append(RuleFileError("dependency cycle: " + " → ".join(names), code="E-CYCLE", **_cycle_site(cyc, by_output, at)))
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
                        **at(manifest, ("decision", key)),
                        code="E-NAME",
                        hint=_did_you_mean(fact, linker.vocab),
                    )
                )
    return vocab, pre, clauses, post, by_output


def _cycle_site(cyc: List[str], by_output: Dict[str, "LinkedTable"], at) -> Dict[str, Any]:
    """Where a cycle is reported: the first table in it, at the row (or
    ``applies_when``) that reads the next node of the cycle."""
    for i, node in enumerate(cyc):
        if not node.startswith("table:"):
            continue
        t = by_output[node[6:]].table
        nxt = cyc[(i + 1) % len(cyc)]
        wanted = set(FINDINGS_FACTS) if nxt == "standards" else {nxt[6:]}
        for r, row in enumerate(t.rows):
            if row.when is not None and row.when.node is not None and wanted & set(dsl.fact_paths(row.when.node)):
                return at(t, ("rows", r, "when"))
        return at(t, ("output",))
    return {}


def _did_you_mean(word: str, choices) -> Optional[str]:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _extends(manifest: Manifest, errors: List[SafetyRulesError], doc: Optional[Document] = None):
    """The bundled manifest ``manifest.extends`` names → (its record, its
    directory, its files), or None after noting why in ``errors``."""
    errs: List[Any]
    target = bundled_manifests().get(manifest.extends or "")
    at = doc.loc(("extends",)) if doc is not None else manifest.loc  # the value of extends:
    if manifest.extends == manifest.id:  # an overlay named as the set it extends would extend itself and pass for it
        errors.append(
            RuleFileError(
                f"extends: a rule set cannot extend itself: this overlay's id is '{manifest.id}', the rule set it extends; give it its own id",
                path=manifest.path, line=at.line, column=at.column, code="E-FILES",
            )
        )
        return None
    if target is None:
        known = ", ".join(sorted(bundled_manifests())) or "none"
        errors.append(
            RuleFileError(
                f"extends: '{manifest.extends}' is not a bundled rule set (bundled: {known})",
                path=manifest.path, line=at.line, column=at.column, code="E-FILES",
            )
        )
        return None
    doc, errs = read_rule_file(target)
    errors += errs
    if doc is None:
        return None
    schema_errors = validate_document(doc)
    errors += schema_errors
    if schema_errors:
        return None
    base_manifest, errs = build(doc)
    errors += errs
    if base_manifest.extends:
        errors.append(doc.error("a bundled rule set cannot itself extend another", ("extends",), code="E-FILES"))
        return None
    base_dir = os.path.dirname(target) or "."
    files, errs = expand_includes(base_manifest, base_dir)
    errors += errs
    return base_manifest, base_dir, files


def _registry(manifest: Optional[Manifest], base_units: Mapping[str, Any], doc_errors: List[SafetyRulesError]) -> units.UnitRegistry:
    """The unit registry of a rule set: the built-in units, the base's and
    its own declared ``units:``."""
    declared = dict(base_units)
    if manifest is not None:
        declared.update(manifest.units)
    if not declared:
        return units.DEFAULT
    try:
        return units.DEFAULT.extend(declared)
    except ValueError as exc:
        doc_errors.append(
            RuleFileError(
                f"units: {exc}",
                path=manifest.path if manifest else None,
                line=manifest.loc.line if manifest else None,
                column=manifest.loc.column if manifest else None,
                code="E-UNIT",
            )
        )
        return units.DEFAULT


def load_parts(path: Optional[str] = None, *, allow_outside_includes: Optional[bool] = None):
    """Everything up to linking; raises RuleSetError with all errors.

    ``allow_outside_includes`` lets the manifest's ``include`` reach files
    outside its own directory (refused by default: see
    :func:`~safetyrules.source.files.expand_includes`).

    A manifest with ``extends:`` loads the bundled rule set's files first and
    its own after them; it inherits the base's ``decision:`` (unless it gives
    its own) and ``units:``.  The returned manifest's ``include`` is its own;
    :func:`own_files` tells which loaded files are the overlay's."""
    path = bundled_path() if path is None else path  # "" is a path (an unset $RULES), not the bundled set
    errs: List[Any]
    manifest_path, files, found_errors = find_files(path, allow_outside_includes)
    errors: List[SafetyRulesError] = list(found_errors)
    manifest: Optional[Manifest] = None
    base = path if os.path.isdir(path) else os.path.dirname(path) or "."
    if manifest_path is None and len(files) == 1:
        # a probe: is the one file a manifest?  Its errors are reported when
        # it is read below (as the manifest or as a rule file), once
        doc, _ = read_rule_file(files[0])
        if doc is not None and isinstance(doc.data, dict) and doc.data.get("kind") == "ruleset":
            manifest_path = files[0]
            files = []
    records: List[Tuple[Any, Document]] = []
    manifest_doc: Optional[Document] = None
    inherited: List[str] = []
    groups: List[Tuple[str, str, Sequence[str]]] = []
    base_units: Mapping[str, Any] = {}
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
                manifest_doc = doc
                errors += errs
                if manifest.extends:
                    found = _extends(manifest, errors, doc)
                    if found is not None:
                        base_manifest, base_dir, inherited = found
                        base_units = base_manifest.units
                        groups.append((f"extends/{base_manifest.id}/", base_dir, list(inherited) + [base_manifest.path]))
                        if not manifest.decision:
                            manifest = attrs.evolve(manifest, decision=base_manifest.decision)
                locs = [doc.loc(("include", i)) for i in range(len(manifest.include))]
                more, errs = expand_includes(manifest, base, allow_outside=allow_outside_includes, locs=locs)
                files = more
                errors += errs
    registry = _registry(manifest, base_units, errors)
    if manifest is not None and registry is not units.DEFAULT:
        manifest = attrs.evolve(manifest, units={**dict(base_units), **dict(manifest.units)})
    own = [f for f in files if os.path.abspath(f) not in {os.path.abspath(i) for i in inherited}]
    with units.using(registry):
        for f in list(inherited) + own:
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
        linked = link(manifest, records, linker, manifest_doc)
    if linker.errors:
        raise RuleSetError(rank(linker.errors))
    groups.append(("", base, list(own) + ([manifest_path] if manifest_path is not None else [])))
    digest_ = digest_groups(groups)
    return manifest, records, linker, linked, digest_, base


def own_files(path: Optional[str] = None) -> Tuple[str, ...]:
    """The rule files a rules PATH itself names (absolute paths), leaving out
    those an ``extends:`` manifest inherits from the bundled set; empty when
    the rule set extends nothing (then every file is its own)."""
    path = bundled_path() if path is None else path  # "" is a path (an unset $RULES), not the bundled set
    manifest_path, files, _errors = find_files(path)
    if manifest_path is None:
        return ()
    doc, _errs = read_rule_file(manifest_path)
    if doc is None or not isinstance(doc.data, dict) or not doc.data.get("extends") or validate_document(doc):
        return ()
    manifest, _more = build(doc)
    more, _errs = expand_includes(manifest, os.path.dirname(manifest_path) or ".")
    return tuple(os.path.abspath(f) for f in more + [manifest_path])
