"""``safetyrules lint``: everything ``validate`` checks, plus warnings.

Each warning has a stable code and name (documented with a bad and a good
example in ``docs/lint.md``):

====  =====================  ==================================================
W101  constant-condition     a condition, or part of one, is always true/false
W201  table-gap              an input no row of the table matches (no default)
W202  table-overlap          an input two rows of a ``unique`` table match
W203  masked-row             a row of a ``first`` table that earlier rows hide
W204  table-not-verified     the table has too many combinations to verify
W205  unproven-table         the level/tier table fails a ``prove`` property
W301  missing-citation       a clause's ``cite`` is a placeholder
W302  no-examples            a clause has no ``examples:``
W303  no-false-example       no example shows the clause *not* found
W401  unused-fact            a declared fact nothing reads
W402  exact-measurement      ``==``/``!=`` on a measured number
W403  confusable-name        a fact name that mixes scripts or looks like another
====  =====================  ==================================================

:func:`lint` returns :class:`LintWarning` records; only the command prints.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from safetyrules.authoring.codes import CODES, LintWarning
from safetyrules.dsl import ast as A
from safetyrules.dsl.printer import unparse
from safetyrules.errors import SafetyRulesError

__all__ = ["LintWarning", "CODES", "lint", "register"]

#: Facts a decision reports as its ``entity`` (SPEC §8) whether or not a rule reads them.
DECISION_ENTITY_FACTS = ("entity.id", "entity.name", "entity.grid", "entity.status", "entity.sector")

PLACEHOLDER_CITES = {"", "?", "-", "todo", "tbd", "n/a", "na", "none", "xxx"}


# ---------------------------------------------------------------------------
# checks


def _at_node(code: str, msg: str, expr, node: Optional[A.Node], example=None) -> LintWarning:
    """A warning at ``node`` inside the rule-file expression ``expr``."""
    pos = expr.position
    span = getattr(node, "span", None)
    if node is None or span is None or span.line < 1:
        return LintWarning(code, msg, pos.path, pos.line, pos.column, example=example)
    try:
        start = expr.locate(span.line, span.column)
        end = expr.locate(span.end_line, span.end_column)
        return LintWarning(code, msg, pos.path, start.line, start.column, end.line, end.column, example)
    except Exception:  # a position we cannot map: fall back to the scalar
        return LintWarning(code, msg, pos.path, pos.line, pos.column, example=example)


def _constant(expr, node: A.Node, vocab, what: str, skip_true: bool = False) -> List[LintWarning]:
    from safetyrules.authoring.verify import constant_parts

    out = []
    for sub, value in constant_parts(node, vocab):
        whole = sub is node
        if whole and value and skip_true:
            continue
        word = "true" if value else "false"
        if whole:
            msg = f"{what} is always {word}: '{_short(_written(expr, sub))}'"
        else:
            msg = f"'{_short(_written(expr, sub))}' in {what} is always {word}"
        if not value and whole:
            msg += " (it can never hold)"
        out.append(_at_node("W101", msg, expr, sub))
    return out


def _written(expr, node: A.Node) -> str:
    """``node`` as the author wrote it in ``expr`` (the checked node has unit
    literals converted to the fact's unit: ``300 cm`` became ``3``); the
    printer's text when the span cannot be mapped."""
    span = getattr(node, "span", None)
    text = getattr(expr, "text", None)
    if isinstance(text, str) and span is not None and span.line >= 1 and span.end_line >= span.line:
        starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                starts.append(i + 1)
        if span.end_line <= len(starts):
            a = starts[span.line - 1] + span.column - 1
            b = starts[span.end_line - 1] + span.end_column - 1
            if 0 <= a < b <= len(text):
                return " ".join(text[a:b].split())
    return unparse(node)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _check_clauses(rules, vocab) -> List[LintWarning]:
    out: List[LintWarning] = []
    seen_applies = set()
    for c in rules.plan.clauses:
        if c.applies is not None and c.standard not in seen_applies:
            seen_applies.add(c.standard)
            out += _constant(c.applies, c.applies.node, vocab, f"applies_when of '{c.standard}'")
        out += _constant(c.when, c.when.node, vocab, f"when of clause '{c.id}'")
        if c.unless is not None:
            out += _constant(c.unless, c.unless.node, vocab, f"unless of clause '{c.id}'")
        for expr in (c.when, c.unless):
            if expr is not None:
                out += _exact(expr, expr.node)
        where = (c.position.path, c.position.line, c.position.column)
        if (c.cite or "").strip().lower().strip(".") in PLACEHOLDER_CITES:
            out.append(LintWarning("W301", f"clause '{c.id}' has no real citation ('{c.cite}'); cite the article or item", *where))
        if not c.examples:
            out.append(LintWarning("W302", f"clause '{c.id}' has no examples; add one where it is found and one where it is not", *where))
        elif not any(ex.expect is False for ex in c.examples):
            out.append(LintWarning("W303", f"clause '{c.id}' has no example with 'expect: false'; add one showing it is not found", *where))
    return out


def _exact(expr, node: A.Node) -> List[LintWarning]:
    out = []
    for n in A.walk(node):
        if not isinstance(n, A.Compare) or n.op not in ("==", "!="):
            continue
        for side in (n.left, n.right):
            ty = getattr(side, "ty", None)
            if isinstance(side, A.Path) and ty is not None and ty.kind == "number" and ty.unit is not None and not ty.integer:
                op = "<= or >=" if n.op == "==" else "< or >"
                out.append(
                    _at_node(
                        "W402",
                        f"'{_short(_written(expr, n))}' compares the measured number '{side.name}' ({ty.unit.name}) with '{n.op}'; "
                        f"a threshold should use {op}",
                        expr,
                        n,
                    )
                )
                break
    return out


def _table_where(t, key: Tuple) -> Tuple[str, int, int]:
    pos = t.rows_position if key == ("rows",) else t.position
    return pos.path, pos.line, pos.column


def _row_name(t, i: int) -> str:
    rid = t.rows[i].id
    return f"row '{rid}'" if rid else f"row {i + 1}"


def _check_tables(rules, vocab) -> List[LintWarning]:
    from safetyrules.authoring.domains import jsonable_assignment, show_assignment
    from safetyrules.authoring.verify import MAX_GAPS, verify_table

    out: List[LintWarning] = []
    for t in rules.plan.tables:
        always_false = set()
        for i, (row, node) in enumerate(zip(t.rows, t.conditions)):
            if node is None:
                continue
            ws = _constant(row.when, node, vocab, f"{_row_name(t, i)} of table '{t.id}'", skip_true=True)
            for w in ws:
                if w.message.endswith("(it can never hold)"):
                    always_false.add(i)
            out += ws
            out += _exact(row.when, node)
        for issue in verify_table(t, vocab):
            if issue.kind == "gap":
                path, line, col = _table_where(t, ("rows",))
                example = show_assignment(issue.example)
                region = issue.region or example
                eg = f" (e.g. {example})" if region != example else ""
                out.append(
                    LintWarning(
                        "W201",
                        f"no row of table '{t.id}' matches {region}{eg}; add a row or a default",
                        path, line, col, example=jsonable_assignment(issue.example),
                    )
                )
            elif issue.kind == "overlap":
                i, j = issue.rows
                row = t.rows[j]
                out.append(
                    LintWarning(
                        "W202",
                        f"{_row_name(t, i)} and {_row_name(t, j)} of unique table '{t.id}' both match "
                        f"{show_assignment(issue.example)}",
                        row.when.position.path, row.when.position.line, row.when.position.column,
                        example=jsonable_assignment(issue.example),
                    )
                )
            elif issue.kind == "masked":
                j = issue.rows[0]
                if j in always_false:
                    continue
                row = t.rows[j]
                by = ", ".join(_row_name(t, i) for i in issue.rows[1:]) or "earlier rows"
                verb = "matches" if len(issue.rows) == 2 else "match"
                out.append(
                    LintWarning(
                        "W203",
                        f"{_row_name(t, j)} of table '{t.id}' is never reached: {by} {verb} every input it matches",
                        row.when.position.path, row.when.position.line, row.when.position.column,
                    )
                )
            elif issue.kind == "more-gaps":
                path, line, col = _table_where(t, ("rows",))
                out.append(
                    LintWarning(
                        "W201",
                        f"table '{t.id}' has {issue.region} more gaps than the {MAX_GAPS} shown; fix these and lint again",
                        path, line, col,
                    )
                )
            elif issue.kind == "incomplete":
                path, line, col = _table_where(t, ())
                out.append(LintWarning("W204", f"table '{t.id}' has too many combinations to verify; split it or simplify rows", path, line, col))
    return out


def _check_facts(rules) -> List[LintWarning]:
    from safetyrules.dsl import fact_paths

    used = set()
    plan = rules.plan
    for t in plan.tables:
        used.add(t.output)
        for n in t.conditions:
            if n is not None:
                used.update(fact_paths(n))
    for c in plan.clauses:
        used.update(fact_paths(c.condition))
    used.update(plan.decision.values())
    # The decision itself reports these, by name, when given (SPEC §8: its
    # "entity" block), so declaring them is using them.
    used.update(DECISION_ENTITY_FACTS)
    out = []
    declared: Dict[str, Any] = {}
    for name, pos in plan.fact_origins.items():
        if name in used or _informational(declared, pos.path, name):
            continue
        out.append(
            LintWarning(
                "W401",
                f"fact '{name}' is declared but no table, clause or decision reads it; use it or remove it",
                pos.path, pos.line, pos.column,
            )
        )
    return out


# Letters that render like Latin ones, from Cyrillic and Greek (the scripts
# an untrusted rule set would use to pass one fact off as another).
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁвнкмтАВЕЗІЈКМНОРСТУХЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdbhkmtABE3IJKMHOPCTYXSabeikvoptuxABEZHIKMNOPTYX",
)
_CONFUSABLE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK"}


def _script(ch: str) -> str:
    import unicodedata

    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def _name_problem(name: str) -> Optional[str]:
    """Why a fact name is suspicious (or None)."""
    import unicodedata

    if unicodedata.normalize("NFKC", name) != name:
        return "holds compatibility characters (it is not in NFKC form)"
    for ch in name:
        if unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Mn"):
            return f"holds an invisible or combining character U+{ord(ch):04X}"
    for seg in name.split("."):
        scripts = {_script(c) for c in seg if c.isalpha()} & _CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            return f"segment '{seg}' mixes {' and '.join(sorted(s.title() for s in scripts))} letters"
    return None


def _check_names(rules) -> List[LintWarning]:
    """W403: a declared fact name that mixes scripts, holds invisible
    characters, or reads like another declared name (homoglyphs)."""
    out = []
    seen: Dict[str, str] = {}
    for name, pos in sorted(rules.plan.fact_origins.items(), key=lambda kv: (kv[1].path, kv[1].line, kv[1].column)):
        why = _name_problem(name)
        skeleton = name.translate(_HOMOGLYPHS).casefold()
        other = seen.setdefault(skeleton, name)
        if why is None and other != name:
            why = f"looks like '{other}'"
        if why is not None:
            shown = name.encode("ascii", "backslashreplace").decode("ascii")
            out.append(LintWarning("W403", f"fact name '{shown}' {why}; use one script (ASCII for names is safest)", pos.path, pos.line, pos.column))
    return out


def _check_proofs(rules) -> List[LintWarning]:
    """W205: the level and tier tables' ``safetyrules prove`` properties
    that have a counterexample (one not searched is W204's business)."""
    from safetyrules.authoring.domains import show_value
    from safetyrules.authoring.prove import prove

    out = []
    for r in prove(rules):
        if r.proven:
            continue
        if r.counterexample is None:
            if not r.detail.startswith("not searched"):  # e.g. a level fact with no declared values: no order
                out.append(LintWarning("W205", f"{r.role} table '{r.table}': {r.name} cannot be proven ({r.text}): {r.detail}",
                                       r.path, r.line, r.column))
            continue
        facts = ", ".join(f"{k} = {show_value(v)}" for k, v in r.counterexample.items()) or "any facts"
        out.append(LintWarning("W205", f"{r.role} table '{r.table}': {r.name} fails ({r.text}) for {facts}: {r.detail}",
                               r.path, r.line, r.column, example=dict(r.counterexample)))
    return out


def _informational(cache: Dict[str, Any], path: str, name: str) -> bool:
    """Whether the declaration of ``name`` in ``path`` says
    ``informational: true`` (a fact for people that no rule is meant to read)."""
    from safetyrules.source.files import read_rule_file

    if path not in cache:
        doc, _errors = read_rule_file(path)
        data = doc.data if doc is not None else None
        cache[path] = (data.get("facts") if isinstance(data, dict) else None) or {}
    spec = cache[path].get(name)
    return isinstance(spec, dict) and spec.get("informational") is True


def lint(rules, *, disable: Iterable[str] = (), gaps=None) -> List[LintWarning]:
    """Every lint warning of a loaded rule set, in file order.  ``gaps``
    (``(from, until)`` dates) adds W501 for standard families with no
    edition in force on some of those days (docs/lint.md)."""
    vocab = rules.vocabulary
    out = _check_clauses(rules, vocab) + _check_tables(rules, vocab) + _check_facts(rules) + _check_proofs(rules) + _check_names(rules)
    if gaps is not None:
        from safetyrules.authoring import editions

        out += editions.check(rules, *gaps)
    from safetyrules.authoring import provenance_lint  # supervision.md §8.5

    out += provenance_lint.check(rules)
    off = set(disable)
    out = [w for w in out if w.code not in off and w.name not in off]
    uniq: Dict[tuple, LintWarning] = {}
    for w in out:
        uniq.setdefault((w.code, w.path, w.line, w.column, w.message), w)
    return sorted(uniq.values(), key=lambda w: (str(w.path), w.line or 0, w.column or 0, w.code))


# ---------------------------------------------------------------------------
# command


def register(sub) -> None:
    p = sub.add_parser(
        "lint",
        help="validate, then warn about constant conditions, table gaps/overlaps, missing examples, unused facts",
        description="Everything validate checks, plus warnings with stable codes:\n"
        + "\n".join(f"  {code}  {name}: {text}" for code, (name, text) in CODES.items()),
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule sets (default: the bundled one)")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    p.add_argument("--disable", metavar="CODES", default="", help="comma-separated codes or names to skip, e.g. W302,no-false-example")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--all-files", action="store_true", help="for a rule set that extends: another, also warn about the inherited files")
    p.add_argument("--gaps", metavar="FROM:UNTIL", help="also warn (W501) about standard families with no edition in force on some day from FROM to UNTIL (exclusive)")
    p.set_defaults(func=_cmd_lint)


def _error_dict(e: SafetyRulesError) -> Dict[str, Any]:
    return {
        "code": e.code,
        "severity": "error",
        "message": e.message + (f" ({e.hint})" if e.hint else ""),
        "path": e.path,
        "line": e.line,
        "column": e.column,
    }


def run(
    paths: Sequence[str], disable: Iterable[str] = (), *, all_files: bool = False, gaps=None
) -> Tuple[List[SafetyRulesError], List[LintWarning], List[str]]:
    """Lint rule-set paths → (errors, warnings, summary lines).

    A rule set that ``extends:`` another is linked whole, but only warnings
    in its own files are kept unless ``all_files``."""
    import os

    from safetyrules.engine.ruleset import load
    from safetyrules.plan.link import own_files

    errors: List[SafetyRulesError] = []
    warnings: List[LintWarning] = []
    summary: List[str] = []
    for p in paths:
        try:
            rules = load(p)
        except SafetyRulesError as exc:
            errs = getattr(exc, "errors", None) or [exc]
            errors.extend(errs)
            summary.append(f"{p}: {len(errs)} error{'s' if len(errs) != 1 else ''}")
            continue
        mine = set(own_files(p))
        from safetyrules.authoring.testing import example_errors

        bad = example_errors(rules, only_files=mine or None)  # as validate: the examples' facts are checked too
        if bad:
            errors.extend(bad)
            summary.append(f"{p}: {len(bad)} error{'s' if len(bad) != 1 else ''}")
            continue
        ws = lint(rules, disable=disable, gaps=gaps)
        if mine:  # an overlay: what it masks or replaces of the inherited rules (supervision.md §8.5)
            from safetyrules.authoring import provenance_lint

            off = set(disable)
            ws = sorted(ws + [w for w in provenance_lint.check_overlay(rules, mine) if w.code not in off and w.name not in off],
                        key=lambda w: (str(w.path), w.line or 0, w.column or 0, w.code))
        own = set() if all_files else mine
        if own:
            ws = [w for w in ws if w.path is not None and os.path.abspath(w.path) in own]
        warnings.extend(ws)
        counts: Dict[str, int] = {}
        for w in ws:
            counts[w.code] = counts.get(w.code, 0) + 1
        detail = ", ".join(f"{k} {CODES[k][0]} ×{v}" for k, v in sorted(counts.items()))
        n_err = sum(w.severity == "error" for w in ws)  # the provenance errors (L-PROV-*) are no warnings
        n_warn = len(ws) - n_err
        head = f"{n_err} error{'s' if n_err != 1 else ''}, " if n_err else ""
        summary.append(f"{p}: {head}{n_warn} warning{'s' if n_warn != 1 else ''}" + (f" ({detail})" if detail else ""))
    return errors, warnings, summary


def _cmd_lint(args) -> int:
    from safetyrules.source.files import bundled_path

    paths = args.paths or [bundled_path()]
    disable = [c.strip() for c in args.disable.split(",") if c.strip()]
    unknown = [c for c in disable if c not in CODES and c not in {v[0] for v in CODES.values()}]
    if unknown:
        import difflib

        names = list(CODES) + [v[0] for v in CODES.values()]
        close = [n for n in names if n.lower() == unknown[0].lower()] or difflib.get_close_matches(unknown[0], names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        print(f"error: --disable: unknown code {unknown[0]!r}{hint}; codes are {', '.join(CODES)}", file=sys.stderr)
        return 2
    gaps = None
    if args.gaps:
        from safetyrules.authoring.editions import parse_range

        try:
            gaps = parse_range(args.gaps)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    errors, warnings, summary = run(paths, disable, all_files=args.all_files, gaps=gaps)
    if args.format == "text":
        text = "".join(w.format() + "\n" for w in warnings) + "".join(s + "\n" for s in summary)
        for e in errors:
            print(e.format(), file=sys.stderr)
    elif args.format == "json":
        data = {
            "version": 1,
            "paths": list(paths),
            "errors": [_error_dict(e) for e in errors],
            "warnings": [w.to_dict() for w in warnings],
            "summary": summary,
        }
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    else:
        from safetyrules.authoring.sarif import sarif_log

        text = json.dumps(sarif_log(errors, warnings), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"{args.output}: error: cannot write the report: {exc.strerror}", file=sys.stderr)
            return 2
        if args.format != "text":
            for s in summary:
                print(s, file=sys.stderr)
    else:
        sys.stdout.write(text)
    if errors or any(w.severity == "error" for w in warnings):
        return 1
    if warnings and args.strict:
        return 1
    return 0
