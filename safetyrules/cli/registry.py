"""Registry commands (SPEC §9).

``safetyrules evaluate REGISTRY.parquet|.csv|.jsonl --backend NAME --out OUT``
grades a whole registry file (the ``evaluate`` command hands over here when
it is given ``--backend`` or ``--out``, or a ``.parquet``/``.csv`` input);
``safetyrules sql --dialect duckdb|spark [--table NAME]`` prints the SQL.
Progress goes to stderr, and only when stderr is a terminal.  Exit codes: 0
done, 2 bad rules, bad input or a backend that cannot run.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from typing import Optional

from safetyrules.errors import SafetyRulesError

__all__ = ["register", "run_evaluate", "REGISTRY_SUFFIXES", "is_registry", "write_result"]

REGISTRY_SUFFIXES = (".parquet", ".csv")
OUT_SUFFIXES = (".parquet", ".csv", ".jsonl")
EXIT_OK, EXIT_BAD_INPUT = 0, 2


def is_registry(path: str) -> bool:
    """A registry file: Parquet or CSV (JSON Lines stays per entity unless
    ``--backend``/``--out`` is given)."""
    return path.lower().endswith(REGISTRY_SUFFIXES)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _errors(exc: SafetyRulesError) -> None:
    for e in getattr(exc, "errors", None) or [exc]:
        _err(e.format())


class _Bar:
    """A one-line progress bar on a terminal's stderr; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()

    def stage(self, text: str, done: int = 0, total: int = 0) -> None:
        if not self.enabled:
            return
        width = 30
        frac = done / total if total else 0.0
        bar = "#" * int(frac * width)
        line = f"\r[{bar:<{width}}] {frac:4.0%} {text} ({time.monotonic() - self.start:.1f} s)"
        sys.stderr.write(line[:120])
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def write_result(table, path: str) -> None:
    """Write a result table as Parquet, CSV (lists as JSON text) or JSON Lines
    (one canonical JSON object per row: sorted keys, compact)."""
    low = path.lower()
    if low.endswith(".parquet"):
        import pyarrow.parquet as pq

        pq.write_table(table, path)
        return
    rows = table.to_pylist()
    if low.endswith(".jsonl"):
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")
        return
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(table.column_names)
        for row in rows:
            w.writerow([_csv_cell(row[c]) for c in table.column_names])


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, list):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str(v)


def run_evaluate(args) -> int:
    """``evaluate`` on a registry file (see the module docstring)."""
    import safetyrules
    from safetyrules.engine.table import BACKENDS

    backend = args.backend or "duckdb"
    if backend not in BACKENDS:
        _err(f"error: --backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        return EXIT_BAD_INPUT
    if len(args.facts) != 1:
        _err("error: a registry is graded one file at a time")
        return EXIT_BAD_INPUT
    source = args.facts[0]
    if not args.out:
        _err("error: --out OUT.parquet|.csv|.jsonl is needed to grade a registry")
        return EXIT_BAD_INPUT
    if not args.out.lower().endswith(OUT_SUFFIXES):
        _err(f"error: --out must end in .parquet, .csv or .jsonl (the format it is written in), got {args.out!r}")
        return EXIT_BAD_INPUT
    try:
        as_of = datetime.date.fromisoformat(args.as_of) if args.as_of else datetime.date.today()
    except ValueError:
        _err(f"error: --as-of must be a date like 2024-03-01, got {args.as_of!r}")
        return EXIT_BAD_INPUT
    bar = _Bar(sys.stderr.isatty() and not getattr(args, "quiet", False))
    try:
        rules = safetyrules.load(args.rules)
        spark = None
        if backend == "spark":
            from safetyrules.backends.spark import local_session

            bar.stage("starting Spark")
            spark = local_session()
        bar.stage(f"grading {source} on {backend}")
        from safetyrules.engine.table import evaluate_table

        out = evaluate_table(
            rules, source, backend=backend, as_of=as_of, spark=spark,
            progress=lambda done, total: bar.stage(f"grading on {backend}", done, total),
        )
        bar.stage(f"writing {args.out}", out.num_rows, out.num_rows)
        write_result(out, args.out)
    except SafetyRulesError as exc:
        bar.close()
        if exc.path is None and getattr(exc, "fact", None) is not None:
            exc.path = source
        _errors(exc)
        return EXIT_BAD_INPUT
    except OSError as exc:
        bar.close()
        _err(f"{args.out}: error: cannot write: {exc.strerror}")
        return EXIT_BAD_INPUT
    bar.close()
    return EXIT_OK


def _cmd_sql(args) -> int:
    import safetyrules

    try:
        as_of = datetime.date.fromisoformat(args.as_of) if args.as_of else datetime.date.today()
    except ValueError:
        _err(f"error: --as-of must be a date like 2024-03-01, got {args.as_of!r}")
        return EXIT_BAD_INPUT
    try:
        rules = safetyrules.load(args.rules)
        sql = rules.to_sql(dialect=args.dialect, table=args.table, as_of=as_of)
    except SafetyRulesError as exc:
        _errors(exc)
        return EXIT_BAD_INPUT
    sys.stdout.write(sql + "\n")
    return EXIT_OK


def register(subparsers) -> None:
    """Add the ``sql`` command (``evaluate`` takes ``--backend``/``--out`` in main)."""
    sq = subparsers.add_parser("sql", help="print the rule set of one day as one SQL SELECT (duckdb or spark)")
    sq.add_argument("--dialect", choices=("duckdb", "spark"), default="duckdb")
    sq.add_argument("--table", default="facts", metavar="NAME", help="the input table (default: facts)")
    sq.add_argument("--rules", metavar="PATH", help="rule set (default: bundled)")
    sq.add_argument("--as-of", metavar="DATE", help="the day, YYYY-MM-DD (default: today)")
    sq.set_defaults(func=_cmd_sql)


def wants_registry(args) -> bool:
    """Whether an ``evaluate`` invocation grades a registry file."""
    return bool(getattr(args, "backend", None) or getattr(args, "out", None)) or (
        len(args.facts) == 1 and is_registry(args.facts[0])
    )
