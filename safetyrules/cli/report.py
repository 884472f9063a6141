"""``safetyrules report``: summarise a graded registry (SPEC §11)."""

from __future__ import annotations

import os
import sys

__all__ = ["register"]


def register(sub) -> None:
    """Add the ``report`` subcommand."""
    p = sub.add_parser("report", help="summarise graded decisions (JSON Lines) as HTML, Markdown or JSON")
    p.add_argument("decisions", nargs="+", metavar="DECISIONS.jsonl",
                   help="decisions from 'evaluate --format json' ('-' for stdin)")
    p.add_argument("--format", choices=("html", "markdown", "json"), default="html")
    p.add_argument("--by", choices=("grid", "sector", "scale"), default="grid", help="dimension to break down by")
    p.add_argument("--lang", choices=("zh", "en"), default="en", help="language of titles and labels")
    p.add_argument("--top", type=int, default=20, metavar="N", help="most frequent findings to list")
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=_cmd_report)


def _first_line_kind(paths):
    """What the first line of the first file is, when no line is a
    decision: "error", an error line of ``evaluate`` (SPEC §8); "row", a
    row of a columnar backend's output (SPEC §9); else None."""
    import json

    from safetyrules.engine.reader import LongLine, bounded_lines

    if not paths or paths[0] == "-":
        return None
    try:
        with open(paths[0], "rb") as fh:
            for raw in bounded_lines(fh):
                if type(raw) is LongLine:
                    return None
                if raw.strip():
                    row = json.loads(raw)
                    break
            else:
                return None
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(row, dict):
        return None
    if set(row) == {"line", "error"} and isinstance(row["error"], dict):
        return "error"
    if ("level" in row and "error" not in row and isinstance(row.get("findings"), list)
            and all(isinstance(f, str) for f in row["findings"])):
        return "row"
    return None


def _cmd_report(args) -> int:
    from safetyrules.report.summary import load_summary
    from safetyrules.service.schemas import canonical_json

    if args.top < 0:
        print(f"error: --top must be 0 or more, got {args.top}", file=sys.stderr)
        return 2
    for path in args.decisions:
        if path != "-" and not os.path.isfile(path):
            why = "is a directory" if os.path.isdir(path) else "no such file"
            print(f"{path}: error: cannot read decisions: {why}", file=sys.stderr)
            return 2
    try:
        summary = load_summary(args.decisions, by=args.by, top=args.top)
    except OSError as exc:
        print(f"error: cannot read decisions: {exc.strerror}", file=sys.stderr)
        return 2
    where = f"{args.decisions[0]}: " if len(args.decisions) == 1 else ""
    if summary["bad_lines"] and not summary["entities"]:
        # a facts file or some other JSON given by mistake: no empty report, exit 0
        print(f"{where}error: none of the {summary['bad_lines']} line(s) is a decision; expected the JSON Lines "
              "that 'safetyrules evaluate --format json' prints (one decision per line)", file=sys.stderr)
        kind = _first_line_kind(args.decisions)
        if kind == "error":
            print(f"{where}note: these are the error lines of 'safetyrules evaluate' ({{\"line\": N, \"error\": ...}}): "
                  "no entity was decided; their messages say why", file=sys.stderr)
        elif kind == "row":
            print(f"{where}note: these are rows of 'safetyrules evaluate REGISTRY --backend NAME --out OUT.jsonl' "
                  "(findings as \"standard:clause\" strings, no citations); report reads the decisions of "
                  "'safetyrules evaluate REGISTRY.jsonl --format json'", file=sys.stderr)
        return 2
    if args.format == "json":
        text = canonical_json(summary) + "\n"
    elif args.format == "markdown":
        from safetyrules.report.markdown import report_markdown

        text = report_markdown(summary, args.lang)
    else:
        from safetyrules.report.html import render_report

        text = render_report(summary, args.lang)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"{args.out}: error: cannot write the report: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    if summary["bad_lines"]:
        print(f"{where}warning: {summary['bad_lines']} line(s) were not decisions and were skipped", file=sys.stderr)
    return 0
