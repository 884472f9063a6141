"""Authoring commands that live outside ``cli/main.py``: ``prove`` (SPEC §12)
and ``table import`` / ``table export`` (spreadsheets).  Registered through
``COMMAND_MODULES``; optional dependencies (openpyxl) are imported inside the
commands, so ``--help`` works without them."""

from __future__ import annotations

import json
import sys
from typing import Any, List

from safetyrules.errors import SafetyRulesError

__all__ = ["register"]


def _print_errors(exc: SafetyRulesError) -> None:
    for e in getattr(exc, "errors", None) or [exc]:
        print(e.format(), file=sys.stderr)


def register(sub) -> None:
    """Add ``prove`` and ``table`` to the command line."""
    p = sub.add_parser(
        "prove",
        help="prove the level and tier tables: no gap, findings never lower the level, undetermined never safer",
        description="Exhaustive search over the finite domains the level and tier tables read (SPEC §12). "
                    "Exit 0 when every property is proven, 1 otherwise (also when a rule set does not load).",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule sets (default: the bundled one)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_cmd_prove)

    t = sub.add_parser("table", help="a decision table to or from a spreadsheet (.xlsx or .csv)",
                       description="Convert a table rule file to a spreadsheet (.xlsx or .csv) and back, with the same data.")
    tsub = t.add_subparsers(dest="table_command", metavar="ACTION")
    tsub.required = True
    im = tsub.add_parser("import", help="SHEET.xlsx|.csv → a table rule file (YAML)")
    im.add_argument("sheet", metavar="SHEET")
    im.add_argument("--sheet-name", metavar="NAME", help="the worksheet of an .xlsx workbook (default: the first)")
    im.add_argument("--output", "-o", metavar="FILE", help="write the rule file to FILE (default: stdout)")
    im.set_defaults(func=_cmd_table_import)
    ex = tsub.add_parser("export", help="a table rule file → SHEET.xlsx|.csv")
    ex.add_argument("rule_file", metavar="TABLE.yaml")
    ex.add_argument("--output", "-o", metavar="SHEET", required=True, help="the spreadsheet to write (.xlsx or .csv)")
    ex.set_defaults(func=_cmd_table_export)


def _cmd_prove(args) -> int:
    from safetyrules.authoring.prove import format_results, prove
    from safetyrules.engine.ruleset import load
    from safetyrules.source.files import bundled_path

    failed = bad = False
    report: List[Any] = []
    for p in args.paths or [bundled_path()]:
        try:
            rules = load(p)
        except SafetyRulesError as exc:
            _print_errors(exc)
            bad = True
            continue
        results = prove(rules)
        failed = failed or not all(r.proven for r in results)
        if args.format == "json":
            report.append({"path": p, "ruleset": rules.id, "properties": [r.to_dict() for r in results]})
        else:
            sys.stdout.write(format_results(p, results))
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    # a rule set that does not load is a check that failed, as for validate and test
    return 1 if failed or bad else 0


def _cmd_table_import(args) -> int:
    from safetyrules.authoring.sheets import import_table

    try:
        text = import_table(args.sheet, sheet_name=args.sheet_name)
    except SafetyRulesError as exc:
        _print_errors(exc)
        return 2
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"{args.output}: error: cannot write the table: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0


def _cmd_table_export(args) -> int:
    from safetyrules.authoring.sheets import export_table

    try:
        export_table(args.rule_file, args.output)
    except SafetyRulesError as exc:
        _print_errors(exc)
        return 2
    except OSError as exc:
        print(f"{args.output}: error: cannot write the sheet: {exc.strerror}", file=sys.stderr)
        return 2
    return 0
