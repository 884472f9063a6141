"""Load and link a rule set: files → records → one checked, ordered, compiled whole.

Stages (each collects every error it finds, so an author fixes ten mistakes
in one run):

1. find the files (a manifest, a directory holding ``ruleset.yaml``, or a
   directory of rule files);
2. YAML → :class:`~safetyrules.loader.Document` → schema → records;
3. link: merge vocabularies, check every expression against them, check table
   outputs and values, build the dependency graph (facts → tables →
   standards → tables that read ``findings.*``), refuse cycles;
4. compile: hand the ordered, checked plan to :mod:`safetyrules.engine`.
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import dsl
from .dsl import ast as A
from .dsl.types import BOOL, FactSpec, Type, type_of_spec
from .errors import ExpressionError, RuleFileError, RuleSetError, SafetyRulesError
from .loader import Document, Loc, load_yaml
from .model import Expr, Manifest, Standard, Table, Vocabulary, build
from .schema import validate_document

__all__ = ["RuleSet", "load", "bundled_path", "find_files", "BUILTIN_FACTS"]

FINDINGS_FACTS = ("findings.major", "findings.general", "findings.undetermined", "findings.major_undetermined")
BUILTIN_FACTS: Dict[str, FactSpec] = {
    **{
        name: FactSpec("integer", min=0, title={"en": name.replace("findings.", "findings: ").replace("_", " ")}, source=("<builtin>", Loc(1, 1)))
        for name in FINDINGS_FACTS
    },
    "as_of": FactSpec("date", title={"en": "the date of the decision", "zh": "判定日期"}, source=("<builtin>", Loc(1, 1))),
}
RULE_FILE_SUFFIXES = (".yaml", ".yml")


def bundled_path() -> str:
    """The directory of the bundled rule set (installed with the package, or
    ``standards/`` beside the package in a source checkout)."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "standards")
    if os.path.isfile(os.path.join(installed, "ruleset.yaml")):
        return installed
    return os.path.join(os.path.dirname(here), "standards")


def find_files(path: str) -> Tuple[Optional[str], List[str], List[RuleFileError]]:
    """Resolve a rules PATH → (manifest or None, rule files, errors)."""
    errors: List[RuleFileError] = []
    if os.path.isdir(path):
        manifest = os.path.join(path, "ruleset.yaml")
        if os.path.isfile(manifest):
            return manifest, [], errors
        files = sorted(
            os.path.join(dp, f)
            for dp, dn, fn in os.walk(path)
            for f in fn
            if f.endswith(RULE_FILE_SUFFIXES)
        )
        if not files:
            errors.append(RuleFileError("no rule files (*.yaml) here", path=path, code="E-FILES"))
        return None, files, errors
    if os.path.isfile(path):
        return None, [path], errors
    errors.append(RuleFileError("no such file or directory", path=path, code="E-FILES"))
    return None, [], errors


def _read(path: str) -> Tuple[Optional[Document], List[RuleFileError]]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return None, [RuleFileError(f"cannot read file: {exc.strerror}", path=path, code="E-FILES")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [RuleFileError(f"file is not UTF-8 (byte {exc.start})", path=path, code="E-FILES")]
    try:
        return load_yaml(text, path), []
    except RuleFileError as err:
        return None, [err]


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
    def __init__(self, standard: Standard, clause, when: A.Node, unless: Optional[A.Node], combined: A.Node) -> None:
        self.standard = standard
        self.clause = clause
        self.when = when
        self.unless = unless
        self.combined = combined
        self.reads = tuple(dict.fromkeys(dsl.fact_paths(when) + (dsl.fact_paths(unless) if unless is not None else ())))


def _combine(applies: Optional[A.Node], when: A.Node, unless: Optional[A.Node]) -> A.Node:
    """``applies_when and when and not unless`` (Kleene), as one checked node."""
    parts = []
    if applies is not None:
        parts.append(applies)
    parts.append(when)
    if unless is not None:
        parts.append(A.Not(unless, span=unless.span, ty=BOOL))
    if len(parts) == 1:
        return parts[0]
    return A.And(tuple(parts), span=when.span, ty=BOOL)


def _check_expr(linker: _Linker, expr: Expr, vocab: Mapping[str, Any]) -> Optional[A.Node]:
    if expr is None or expr.node is None:
        return None
    try:
        return dsl.check(expr.node, vocab, expect="bool")
    except ExpressionError as err:
        linker.errors.append(expr.relocate(err))
        return None


def _cycle_path(graph: Dict[str, List[str]]) -> Optional[List[str]]:
    """A cycle in ``graph`` (node → successors), or None; iterative DFS."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in graph}
    for start in sorted(graph):
        if color[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        color[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = BLACK
                stack.pop()
                path.pop()
                continue
            if nxt not in color:
                continue
            if color[nxt] == GREY:
                return path[path.index(nxt):] + [nxt]
            if color[nxt] == WHITE:
                color[nxt] = GREY
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def _toposort(graph: Dict[str, List[str]]) -> List[str]:
    """Nodes so that each comes after what it depends on (graph: node → deps)."""
    out: List[str] = []
    done = set()
    for start in sorted(graph):
        if start in done:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                if node not in done:
                    done.add(node)
                    out.append(node)
            elif nxt not in done and nxt in graph and all(nxt != s[0] for s in stack):
                stack.append((nxt, iter(sorted(graph[nxt]))))
    return out


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
            lc = LinkedClause(s, c, when, unless, _combine(applies, when, unless))
            clauses.append(lc)
            for p in dsl.fact_paths(lc.combined):
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
    cyc = _cycle_path({k: v for k, v in graph.items()})
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
    order = [n for n in _toposort(graph)]
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


def _digest(base: str, files: Sequence[str]) -> str:
    h = hashlib.sha256()
    for rel, full in sorted((os.path.relpath(f, base).replace(os.sep, "/"), f) for f in files):
        with open(full, "rb") as fh:
            data = fh.read()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


def _expand(manifest: Manifest, base: str) -> Tuple[List[str], List[RuleFileError]]:
    files: List[str] = []
    errors: List[RuleFileError] = []
    for pattern in manifest.include:
        matches = sorted(glob.glob(os.path.join(base, pattern), recursive=True))
        matches = [m for m in matches if os.path.isfile(m)]
        if not matches:
            errors.append(RuleFileError(f"include '{pattern}' matches no file", path=manifest.path, line=manifest.loc.line, column=manifest.loc.column, code="E-FILES"))
        for m in matches:
            m = os.path.normpath(m)
            if m not in files and os.path.abspath(m) != os.path.abspath(manifest.path):
                files.append(m)
    return files, errors


def load_parts(path: Optional[str] = None):
    """Everything up to linking; raises RuleSetError with all errors."""
    path = path or bundled_path()
    manifest_path, files, errors = find_files(path)
    errors = list(errors)
    manifest: Optional[Manifest] = None
    base = path if os.path.isdir(path) else os.path.dirname(path) or "."
    if manifest_path is None and len(files) == 1:
        doc, errs = _read(files[0])
        errors += errs
        if doc is not None and isinstance(doc.data, dict) and doc.data.get("kind") == "ruleset":
            manifest_path = files[0]
            files = []
    records: List[Tuple[Any, Document]] = []
    if manifest_path is not None:
        base = os.path.dirname(manifest_path) or "."
        doc, errs = _read(manifest_path)
        errors += errs
        if doc is not None:
            schema_errors = validate_document(doc)
            if doc.data is not None and isinstance(doc.data, dict) and doc.data.get("kind") not in (None, "ruleset"):
                schema_errors = [doc.error(f"{manifest_path} must be a 'kind: ruleset' manifest", ("kind",))]
            errors += schema_errors
            if not schema_errors:
                manifest, errs = build(doc)
                errors += errs
                more, errs = _expand(manifest, base)
                files = more
                errors += errs
    for f in files:
        doc, errs = _read(f)
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
    digest = _digest(base, all_files)
    return manifest, records, linker, linked, digest, base


def load(path: Optional[str] = None) -> "RuleSet":
    """Load, check and compile a rule set.

    ``path`` is a manifest (``kind: ruleset``), a directory holding
    ``ruleset.yaml``, or a directory of rule files loaded together; ``None``
    loads the bundled national rule set.  Raises :class:`RuleSetError`
    (a :class:`RuleFileError`) listing every error found, best first.
    """
    from .engine import RuleSet as _RuleSet

    manifest, records, linker, linked, digest, base = load_parts(path)
    rules = _RuleSet(manifest, records, linker, linked, digest, base)
    rules.load_path = path
    return rules


def __getattr__(name):  # pragma: no cover - convenience re-export
    if name == "RuleSet":
        from .engine import RuleSet as _RuleSet

        return _RuleSet
    raise AttributeError(name)
