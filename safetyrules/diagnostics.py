"""One diagnostic model, and the registry of every code.

A :class:`Diagnostic` is what any part of safetyrules has to say about one
thing: a ``code`` from :data:`REGISTRY`, a ``severity`` (``error``,
``warning`` or ``note``), a one-sentence ``message``, a :class:`Location`
(a file position, a spreadsheet cell, a JSON pointer into a document, or a
fact path — any of them, or none) and a ``hint``.  Errors
(:class:`~safetyrules.errors.SafetyRulesError`), the ``warnings`` of a
decision and lint warnings all convert to it (:func:`from_error`,
:func:`from_warning`, ``LintWarning.diagnostic()``), so a tool that reads one
reads them all.

:data:`REGISTRY` names every code the library raises or reports, with its
severity, area and a one-line summary; ``docs/errors.md``'s code tables are
generated from it (``python -m safetyrules.diagnostics --write``) and a test
keeps both complete.  :func:`rank` orders errors best first.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import attrs

__all__ = ["Location", "Diagnostic", "CodeInfo", "REGISTRY", "from_error", "from_warning", "rank", "codes_markdown",
           "kind_words"]


@attrs.frozen
class Location:
    """Where a diagnostic points: any of a file position (``path`` with
    ``line``/``column``), a spreadsheet ``cell`` (``SHEET!B7``, with the
    workbook as ``path``), a JSON ``pointer`` (RFC 6901, into the document at
    ``path`` or a request body) and a ``fact`` path."""

    path: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    cell: Optional[str] = None
    pointer: Optional[str] = None
    fact: Optional[str] = None

    def __str__(self) -> str:
        if self.cell:
            return "!".join(x for x in (self.path, self.cell) if x)
        parts = [str(x) for x in (self.path, self.line, self.column) if x is not None]
        s = ":".join(parts)
        if self.pointer is not None:
            s = f"{s}#{self.pointer}" if s else self.pointer
        if self.fact and not s:
            s = self.fact
        return s

    def to_dict(self) -> Dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


@attrs.frozen
class Diagnostic:
    """One error, warning or note, in one shape."""

    code: str
    severity: str
    message: str
    location: Location = Location()
    hint: Optional[str] = None

    def format(self) -> str:
        """``LOCATION: severity: message (hint) [CODE]`` — as the CLI prints."""
        where = str(self.location)
        head = f"{where}: " if where else ""
        return f"{head}{self.severity}: {self.message}" + (f" ({self.hint})" if self.hint else "") + f" [{self.code}]"

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: ``code severity message location hint``."""
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "location": self.location.to_dict(), "hint": self.hint}


@attrs.frozen
class CodeInfo:
    """A registered code: its default severity, area and summary (``name``
    is the lint rule's name, for lint codes)."""

    code: str
    severity: str
    area: str
    summary: str
    name: Optional[str] = None


def _e(code: str, area: str, summary: str) -> CodeInfo:
    return CodeInfo(code, "error", area, summary)


def _c(code: str, severity: str, area: str, name: Optional[str], summary: str) -> CodeInfo:
    return CodeInfo(code, severity, area, summary, name)


_ALL: Sequence[CodeInfo] = (
    _e('E-SAFETYRULES', 'any', "the base class's code; an error given no more specific one"),
    _e('E-RULEFILE', 'rule files', 'a rule-file error given no more specific code'),
    _e('E-RULESET', 'rule files', 'never alone: a `RuleSetError` takes the code of its first error'),
    _e('E-EXPR', 'expressions', 'an expression error given no more specific code'),
    _e('E-YAML', 'rule files', 'YAML refused: anchors, aliases, tags, merge keys, duplicate keys, control characters, deep nesting'),
    _e('E-SCHEMA', 'rule files', 'a key or value the file kind does not allow; an empty rule file'),
    _e('E-SYNTAX', 'expressions', 'the expression does not parse (also a number too large for it)'),
    _e('E-CHECK', 'expressions', 'unknown fact, type or unit mismatch, undeclared enum value'),
    _e('E-EVAL', 'expressions', '`dsl.evaluate` met a run-time type error'),
    _e('E-DUPLICATE', 'rule files', 'two files, clauses or rows with one id; a fact declared two ways'),
    _e('E-TABLE', 'rule files', 'a table output written twice, a `then:`/`default:` the output cannot take, `priority` on a non-enum'),
    _e('E-TABLE-OVERLAP', 'decisions', 'two rows of a `unique` table matched (a decision warning, and an error in the columnar backends)'),
    _e('E-CYCLE', 'rule files', 'the dependency graph of tables and standards has a cycle'),
    _e('E-NAME', 'rule files', 'a table `output:` or a `decision:` entry not declared in a vocabulary'),
    _e('E-FILES', 'files', 'no such file; a file not UTF-8 (with its line and column); an include that matches nothing; a `**` walk too large'),
    _e('E-INCLUDE', 'rule files', "an include reaching outside the rule set's directory"),
    _e('E-UNIT', 'rule files', 'an unknown or ill-declared unit'),
    _e('E-NUMBER', 'rule files, facts', 'a non-finite number or an integer of more than 300 digits'),
    _e('E-FMT', '`fmt`', 'the canonical form would not load or would change the meaning; ruamel.yaml missing'),
    _e('E-FACTS', 'facts', 'an undeclared or mistyped fact, a value out of bounds'),
    _e('E-ENCODING', 'facts', 'input bytes not UTF-8, or a lone surrogate escape'),
    _e('E-JSON', 'facts', 'input text not JSON'),
    _e('E-ENTITY', 'facts', 'a JSON Lines line that is not an object'),
    _e('E-DEPTH', 'facts', 'facts nested deeper than 64 levels'),
    _e('E-BACKEND', 'registry', 'an unknown columnar backend, or one whose extra is missing'),
    _e('E-REGISTRY', 'registry, supervision', 'a registry file or record that cannot be read as one'),
    _e('E-INPUT', 'supervision', 'an input file that cannot be read, or a value of the wrong form (dates, ids)'),
    _e('E-SUPERVISION', 'supervision', 'a supervision error given no more specific code'),
    _e('E-CALENDAR', 'supervision', 'a workday calendar that is malformed or for another year'),
    _e('E-STAFF', 'supervision', 'a staff workday file that is malformed'),
    _e('E-INSPECTORS', 'supervision', 'an inspectors file that is malformed (ids, conflicts)'),
    _e('E-MEMBERS', 'supervision', 'a grid members file that is malformed'),
    _e('E-HISTORY', 'supervision', 'an inspection history record without entity id or date'),
    _e('E-POLICY', 'supervision', 'a planning policy value that is malformed'),
    _e('E-POLICY-FLOOR-CAP', 'supervision', "an entity's yearly floor above its cap"),
    _e('E-PLAN-INFEASIBLE', 'supervision', 'the key visits need more person-days than are available'),
    _e('E-GRID-MOVE', 'supervision', 'a grid move that is malformed'),
    _e('E-DRAW-SEED', 'supervision', 'a draw seed that is malformed'),
    _e('E-DRAW-COMMITMENT', 'supervision', "a seed missing or not matching the manifest's commitment"),
    _e('E-DRAW-PUBLIC', 'supervision', "public values missing or not matching the manifest's public source"),
    _e('E-DRAW-MANIFEST', 'supervision', 'a file that is not a draw manifest'),
    _e('E-DRAW-NO-TEAM', 'supervision', 'too few inspectors pass the filters for a team'),
    _e('E-DRAW-INPUT-CHANGED', 'supervision', 'a draw input changed since the manifest was committed'),
    _e('E-DRAW-VERIFY', 'supervision', 'a draw result that does not verify'),
    _e('E-LEDGER-EVENT', 'supervision', 'a ledger event that is malformed'),
    _e('E-LEDGER-ORDER', 'supervision', "a ledger event out of order for its finding's status"),
    _e('E-LEDGER-EXTENSION', 'supervision', 'a deadline extension without approver or reason'),
    _e('E-LEDGER-MAJOR-CLOSE', 'supervision', "a major hazard closed without an authority's acceptance"),
    _e('E-TRACK-INPUT', 'supervision', 'a tracked record that is malformed'),
    _e('E-TRACK-MAP', 'supervision', 'a clause map that is malformed'),
    _e('E-TRACK-ID', 'supervision', 'a finding id that cannot be computed from its parts'),
    _e('E-TRACK-UNSTABLE-SUBJECT', 'supervision', 'a finding subject that is not a stable string'),
    _e('E-EXTRA', 'reports', 'an output that needs an extra that is not installed'),
    _e('E-REQUEST', 'service', 'a request body that is not the documented JSON object'),
    _e('E-HTTP', 'service', 'an HTTP error with no more specific code'),
    _e('E-METHOD', 'service', 'a method the path does not allow (405)'),
    _e('E-NOT-FOUND', 'service', 'no such path (404)'),
    _e('E-TOO-LARGE', 'service', 'a body over the limit (413)'),
    _e('E-TIMEOUT', 'service', 'a body that stopped arriving'),
    _e('E-DISCONNECT', 'service', 'the client closed the connection before the body ended (nobody reads the answer)'),
    _e('E-UTF8', 'service', 'a request body that is not UTF-8'),
    _e('E-INTERNAL', 'service', 'a bug of ours, answered 500 without details'),
    _e('E-SHEET', 'spreadsheets', 'a `table import` sheet that is not a table: a missing block or key, a cell in the wrong place, a value that does not parse'),
    _e('E-DEPENDENCY', 'spreadsheets', 'reading or writing `.xlsx` without openpyxl (`safetyrules[sheets]`)'),
    # warnings in decisions (SPEC §4)
    _c('W-DIV-ZERO', 'warning', 'decisions', None, 'a division by zero; that value is unknown'),
    _c('W-NO-ROW', 'warning', 'decisions', None, 'no row of a table matched and it has no `default:`; its output is unknown'),
    # lint (docs/lint.md)
    _c('W101', 'warning', 'lint', 'constant-condition', 'A condition, or part of one, is always true or always false.'),
    _c('W201', 'warning', 'lint', 'table-gap', 'Some input matches no row of a table that has no default.'),
    _c('W202', 'warning', 'lint', 'table-overlap', "Some input matches two rows of a 'unique' table."),
    _c('W203', 'warning', 'lint', 'masked-row', "A row of a 'first' table can never be reached: earlier rows match every input it matches."),
    _c('W204', 'warning', 'lint', 'table-not-verified', 'The table has too many combinations of values to verify.'),
    _c('W205', 'warning', 'lint', 'unproven-table', 'The level or tier table fails a property of `safetyrules prove` (a gap, a finding that lowers the level, an undetermined clause that looks safer found).'),
    _c('W301', 'warning', 'lint', 'missing-citation', "A clause's citation is empty or a placeholder."),
    _c('W302', 'warning', 'lint', 'no-examples', 'A clause has no examples.'),
    _c('W303', 'warning', 'lint', 'no-false-example', 'A clause has no example where it is not found (expect: false).'),
    _c('W401', 'warning', 'lint', 'unused-fact', 'A declared fact is read by no table, clause or decision.'),
    _c('W402', 'warning', 'lint', 'exact-measurement', "'==' or '!=' compares a measured number (a fact with a unit) exactly."),
    _c('L-PROV-MISSING', 'error', 'lint', 'provenance-missing', 'An enforcement item declares provenance but lacks its authority, document number, publication date or legal basis.'),
    _c('L-PROV-UNPUBLISHED', 'error', 'lint', 'provenance-unpublished', 'An item is used before the date it was published.'),
    _c('L-PROV-STALE', 'warning', 'lint', 'provenance-stale', "An item's basis was superseded more than 30 days ago, or its review date has passed."),
    _c('L-PROV-WEAKENS', 'error', 'lint', 'provenance-weakens', 'A local standard supersedes (masks or loosens) a national one.'),
    _c('L-PROV-SCOPE', 'error', 'lint', 'provenance-scope', 'An item is applied to an entity outside its scope.'),
    _c('W501', 'warning', 'lint', 'family-gap', 'On some day of the range asked for (lint --gaps FROM:UNTIL), a standard family has no edition in force: its last edition ended and no later one is bundled.'),
    _c('W403', 'warning', 'lint', 'confusable-name', 'A fact name mixes scripts (Latin with Cyrillic or Greek), holds invisible or compatibility characters, or looks like another declared name.'),
    # diff --format sarif (docs/diff.md)
    _c('D100', 'note', 'diff', 'rule-added', 'A standard, clause, table, row or fact was added.'),
    _c('D101', 'note', 'diff', 'rule-removed', 'A standard, clause, table, row or fact was removed.'),
    _c('D102', 'note', 'diff', 'rule-changed', 'A field of a standard, clause, table, row or fact changed.'),
    _c('D200', 'warning', 'diff', 'meaning-changed', 'A changed condition or table decides differently on the counterexample shown.'),
    _c('D300', 'warning', 'diff', 'decisions-changed', 'Entities of the corpus get a different decision.'),
    # supervision warnings (docs/supervision.md)
    _c('W-CALENDAR-DEFAULT', 'warning', 'supervision', None, 'no workday calendar given: Monday to Friday counted'),
    _c('W-CAP-BINDS', 'warning', 'supervision', None, "an entity's visits a year are capped by the policy"),
    _c('W-PLAN-ARITH', 'warning', 'supervision', None, 'a figure given in an input differs from the one computed'),
    _c('W-GRID-OVER-CAP', 'warning', 'supervision', None, 'a grid holds more entities than its cap'),
    _c('W-GRID-UNDERSTAFFED', 'warning', 'supervision', None, 'a grid has too few members for its entities'),
    _c('W-GRID-OVERLOAD', 'warning', 'supervision', None, "a grid's visits exceed its members' days"),
    _c('W-GRID-UNDERUSED', 'warning', 'supervision', None, "a grid's members have days left unused"),
    _c('W-GRID-UNGRADED', 'warning', 'supervision', None, 'a grid has entities without a grade'),
    _c('W-GRID-UNASSIGNED', 'warning', 'supervision', None, 'entities without entity.grid are in no grid'),
    _c('W-DRAW-DEFAULT-RATIO', 'warning', 'supervision', None, "a draw uses the project's default ratios (provisional, not law)"),
    _c('W-DRAW-UNKNOWN-STRATUM', 'warning', 'supervision', None, 'entities of unknown level are drawn at the highest ratio'),
    _c('W-DRAW-NO-RATIO', 'warning', 'supervision', None, 'a stratum has no ratio: nothing is drawn from it'),
    _c('W-DRAW-BUDGET-BINDS', 'warning', 'supervision', None, 'the draw targets exceed the budget and are scaled down'),
    _c('W-DRAW-STRATA-FIELD', 'warning', 'supervision', None, 'no entity of the pool has a strata field: all are in its unknown stratum'),
    _c('W-DRAW-SECRET-ONLY', 'warning', 'supervision', None, 'a draw seeded by commit-reveal alone, without a public source'),
    _c('W-NO-DEADLINE', 'warning', 'supervision', None, 'an open finding has no deadline'),
    _c('W-RULESET-CHANGED', 'warning', 'supervision', None, 'two graded registries were graded by different rule sets'),
    _c('W-STATS-UNSIGNED', 'warning', 'supervision', None, 'ledger stats: the statistics are not signed by the principal person yet (--principal)'),
    _c('W-STATS-LATE', 'warning', 'supervision', None, "ledger stats: the period's statistics are past their due date"),
    _c('W-STATS-EMPTY', 'warning', 'supervision', None, 'ledger stats: the ledger holds no hazard of the enterprise asked for'),
)

#: Every code, by code.
REGISTRY: Mapping[str, CodeInfo] = {c.code: c for c in _ALL}
# E-TABLE-OVERLAP is an error-level entry in a decision's warnings (SPEC §4).
assert "E-TABLE-OVERLAP" in REGISTRY


def severity_of(code: Optional[str]) -> str:
    info = REGISTRY.get(code or "")
    return info.severity if info else ("warning" if (code or "").startswith("W") else "error")


def from_error(err: Any) -> Diagnostic:
    """A :class:`~safetyrules.errors.SafetyRulesError` (a ``RuleSetError``'s
    first error for the whole) as a diagnostic."""
    cell = getattr(err, "cell", None)
    sheet = getattr(err, "sheet", None)
    loc = Location(
        path=getattr(err, "path", None),
        line=None if cell else getattr(err, "line", None),
        column=None if cell else getattr(err, "column", None),
        cell="!".join(x for x in (sheet, cell) if x) or None,
        pointer=getattr(err, "pointer", None),
        fact=getattr(err, "fact", None),
    )
    code = getattr(err, "code", None) or "E-SAFETYRULES"
    return Diagnostic(code, "error", getattr(err, "message", str(err)), loc, getattr(err, "hint", None))


def from_warning(w: Mapping[str, Any]) -> Diagnostic:
    """An entry of a decision's ``warnings`` (``{"code", "message",
    "standard", "clause", "severity"?}``) as a diagnostic; the location is
    the rule (``standard:clause`` or the table) as a JSON pointer-free path."""
    code = str(w.get("code") or "W-SAFETYRULES")
    where = ":".join(str(w[k]) for k in ("standard", "clause") if w.get(k)) or (str(w["table"]) if w.get("table") else None)
    return Diagnostic(code, str(w.get("severity") or severity_of(code)), str(w.get("message", "")),
                      Location(path=where, fact=w.get("fact")), w.get("hint"))


# -- ranking ------------------------------------------------------------------

# Stages, earliest first: an error of an earlier stage makes the later ones
# in that file unreliable (an unreadable file hides its schema errors; a
# wrong unit declaration or an undeclared fact causes expression errors).
_STAGE = {
    "E-FILES": 0, "E-INCLUDE": 0, "E-ENCODING": 0, "E-YAML": 1, "E-NUMBER": 1, "E-SCHEMA": 2, "E-SYNTAX": 3,
    "E-UNIT": 4, "E-DUPLICATE": 4, "E-NAME": 4, "E-CHECK": 5, "E-TABLE": 6, "E-CYCLE": 7,
}
_POS = re.compile(r"\b(?:line|at) \d+(?::\d+)?")


def _cause(err: Any) -> str:
    """What errors with one cause have in common: the code and the message
    without positions (ten 'unknown fact x' errors share a cause)."""
    return f"{getattr(err, 'code', '')}|{_POS.sub('', getattr(err, 'message', ''))}"


def rank(errors: Iterable[Any]) -> List[Any]:
    """Errors best first: the earliest stage first (files, YAML, schema,
    syntax, declarations, checks, tables, cycles); within a stage the cause
    shared by most errors first (one missing declaration behind ten errors
    is the one to fix), then file order."""
    errs = list(errors)
    counts: Dict[str, int] = {}
    for e in errs:
        counts[_cause(e)] = counts.get(_cause(e), 0) + 1
    return sorted(errs, key=lambda e: (_STAGE.get(getattr(e, "code", "") or "", 5), -counts[_cause(e)],
                                        str(getattr(e, "path", "") or ""), getattr(e, "line", 0) or 0,
                                        getattr(e, "column", 0) or 0))


# -- docs/errors.md ---------------------------------------------------------------

BEGIN, END = "<!-- BEGIN GENERATED: codes (python -m safetyrules.diagnostics --write) -->", "<!-- END GENERATED: codes -->"


def codes_markdown() -> str:
    """The generated part of docs/errors.md: every registered code."""
    out = [BEGIN, "", "| code | severity | area | meaning |", "|---|---|---|---|"]
    for c in sorted(_ALL, key=lambda c: (c.code[0] != "E", c.area if c.code[0] != "E" else "", c.code)):
        name = f" (`{c.name}`)" if c.name else ""
        out.append(f"| `{c.code}`{name} | {c.severity} | {c.area} | {c.summary} |")
    out += ["", END]
    return "\n".join(out)


def _main(argv: Optional[Sequence[str]] = None) -> int:
    import os
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "errors.md")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    new = head + codes_markdown() + tail
    if "--write" in args:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(new)
        return 0
    return 0 if new == text else 1


if __name__ == "__main__":
    raise SystemExit(_main())


def kind_words(value: Any, null: str = "null") -> str:
    """What a value is, in the user's words (for messages): ``null`` (or the
    word given for it), ``true/false``, ``a number``, ``text``, ``a list``,
    ``a mapping``."""
    if value is None:
        return null
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"
