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
from safetyrules.limits import parse_date

__all__ = ["register", "run_evaluate", "REGISTRY_SUFFIXES", "is_registry", "write_result", "ResultWriter"]

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
    writer = ResultWriter(path)
    try:
        writer.write(table)
        writer.close()
    except BaseException:
        writer.abort()
        raise


def _default_row_group() -> int:
    try:
        from pyarrow import _parquet

        return int(getattr(_parquet, "_DEFAULT_ROW_GROUP_SIZE", 1024 * 1024))
    except ImportError:  # pragma: no cover - no pyarrow: nothing is written anyway
        return 1024 * 1024


#: rows per Parquet row group (``pyarrow.parquet.write_table``'s default), so
#: a result written batch by batch is the same file as written at once; None
#: until first used (pyarrow is imported only by commands that write a result)
PARQUET_ROW_GROUP = None


def _row_group() -> int:
    """:data:`PARQUET_ROW_GROUP`, found on first use."""
    global PARQUET_ROW_GROUP
    if PARQUET_ROW_GROUP is None:
        PARQUET_ROW_GROUP = _default_row_group()
    return PARQUET_ROW_GROUP


class ResultWriter:
    """A result written batch by batch (:meth:`write` per result table, then
    :meth:`close`), the same file as :func:`write_result` of the whole
    table: Parquet in row groups of :data:`PARQUET_ROW_GROUP` rows (a
    remainder waits for the next batch), CSV with one header, JSON Lines.
    The file is made beside ``path`` and renamed onto it by :meth:`close`;
    :meth:`abort` removes it, so a failed run leaves ``path`` as it was.
    Nothing is created before the first :meth:`write`."""

    def __init__(self, path: str) -> None:
        self.path = path
        low = path.lower()
        self.kind = "parquet" if low.endswith(".parquet") else "jsonl" if low.endswith(".jsonl") else "csv"
        self.target: Optional[str] = None  # the file written (a temporary name, or path itself)
        self.fh = None
        self.pq_writer = None
        self.pending: list = []  # Parquet: result tables not yet in a row group
        self.pending_rows = 0
        self.columns: Optional[list] = None

    def _open(self, table) -> None:
        import os
        import tempfile

        self.dest = os.path.realpath(self.path)  # a symlink's file is replaced, not the link
        if os.path.exists(self.dest) and not os.path.isfile(self.dest):
            self.target = self.path  # a device or a pipe: written in place
        else:
            folder = os.path.dirname(self.dest)
            fd, self.target = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(self.path) + ".", suffix=".part")
            os.close(fd)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(self.target, 0o666 & ~mask)  # as open() would have made it
        self.columns = table.column_names
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            self.pq_writer = pq.ParquetWriter(self.target, table.schema)
            return
        self.fh = open(self.target, "w", encoding="utf-8", newline="" if self.kind == "csv" else None)
        if self.kind == "csv":
            import csv

            self.csv = csv.writer(self.fh)
            self.csv.writerow(self.columns)

    def write(self, table) -> None:
        """Append one result table (the same schema every time)."""
        if self.target is None:
            self._open(table)
        if self.kind == "parquet":
            self.pending.append(table)
            self.pending_rows += table.num_rows
            if self.pending_rows >= _row_group():
                self._flush(final=False)
            return
        rows = table.to_pylist()
        if self.kind == "jsonl":
            for row in rows:
                self.fh.write(json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n")
            return
        names = self.columns
        for row in rows:
            self.csv.writerow([_csv_cell(row[c]) for c in names])

    def _flush(self, final: bool) -> None:
        import pyarrow as pa

        if not self.pending:
            return
        size = _row_group()
        whole = self.pending[0] if len(self.pending) == 1 else pa.concat_tables(self.pending)
        full = whole.num_rows if final else whole.num_rows - whole.num_rows % size
        # a slice of the same chunks as write_table's of the whole result
        if full or final:
            self.pq_writer.write_table(whole.slice(0, full), row_group_size=size)
        rest = whole.slice(full)
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def close(self) -> None:
        """Finish the file and put it at ``path``."""
        import os

        if self.target is None:
            raise ValueError("nothing was written")
        if self.kind == "parquet":
            self._flush(final=True)
            self.pq_writer.close()
            self.pq_writer = None
        else:
            self.fh.close()
            self.fh = None
        if self.target != self.path:
            os.replace(self.target, self.dest)
            self.target = self.path

    def abort(self) -> None:
        """Drop what was written (``path`` is left as it was)."""
        import os

        try:
            if self.pq_writer is not None:
                self.pq_writer.close()
            if self.fh is not None:
                self.fh.close()
        except Exception:
            pass
        self.pq_writer = self.fh = None
        if self.target is not None and self.target != self.path:
            try:
                os.remove(self.target)
            except OSError:
                pass


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, list):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str(v)


#: the backends that never read or make a pandas object (Spark's Arrow
#: conversions use pandas)
_NO_PANDAS_BACKENDS = ("polars", "duckdb", "python")


class _NoPandas:
    """A meta path finder that finds no ``pandas`` (see :func:`_without_pandas`)."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _without_pandas() -> None:
    """pandas made to look absent in this process, as where it is not
    installed (the ``registry`` extra has no pandas): pyarrow imports it, when
    installed, on its first ``pyarrow.array`` call (~0.5 s of CPU before a
    row is graded: a third of grading a 100,000-row registry from the
    shell), though neither the input nor the result is a pandas object."""
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


def run_evaluate(args, standalone: bool = False) -> int:
    """``evaluate`` on a registry file (see the module docstring).
    ``standalone``: this process is the ``safetyrules`` command itself, so
    process-wide choices are its own: pandas, which the backends but
    ``spark`` never need, is not imported (:func:`_without_pandas`)."""
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
    unused = [opt for opt, given in (("--format", getattr(args, "format", "text") != "text"),
                                     ("--lang", getattr(args, "lang", None) is not None),
                                     ("--explain", bool(getattr(args, "explain", False))),
                                     ("--jobs", (getattr(args, "jobs", 1) or 1) > 1)) if given]
    if unused:
        # they shape per-entity output; a graded registry is OUT's table
        _err(f"warning: {', '.join(unused)} {'has' if len(unused) == 1 else 'have'} no effect when a registry is graded "
             f"to --out (the backend grades it as one table; OUT's suffix sets the format)")
    try:
        as_of = parse_date(args.as_of) if args.as_of is not None else datetime.date.today()
    except ValueError:
        _err(f"error: --as-of must be a date like 2024-03-01, got {args.as_of!r}")
        return EXIT_BAD_INPUT
    if standalone and backend in _NO_PANDAS_BACKENDS:
        _without_pandas()
    bar = _Bar(sys.stderr.isatty() and not getattr(args, "quiet", False))
    writer = None
    try:
        rules = safetyrules.load(args.rules)
        spark = None
        if backend == "spark":
            from safetyrules.backends.spark import local_session

            bar.stage("starting Spark")
            spark = local_session()
        bar.stage(f"grading {source} on {backend}")
        from safetyrules.engine.table import evaluate_table_batches

        # each batch's result is written as it is made (memory: one batch)
        writer = ResultWriter(args.out)
        rows = 0
        for part in evaluate_table_batches(
            rules, source, backend=backend, as_of=as_of, spark=spark,
            progress=lambda done, total: bar.stage(f"grading on {backend} -> {args.out}", done, total),
        ):
            rows += part.num_rows
            writer.write(part)
            del part
        bar.stage(f"writing {args.out}", rows, rows)
        writer.close()
    except SafetyRulesError as exc:
        if writer is not None:
            writer.abort()
        bar.close()
        if exc.path is None and getattr(exc, "fact", None) is not None:
            exc.path = source
        _errors(exc)
        return EXIT_BAD_INPUT
    except OSError as exc:
        if writer is not None:
            writer.abort()
        bar.close()
        _err(f"{args.out}: error: cannot write: {exc.strerror}")
        return EXIT_BAD_INPUT
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    bar.close()
    return EXIT_OK


def _cmd_sql(args) -> int:
    import safetyrules

    try:
        as_of = parse_date(args.as_of) if args.as_of is not None else datetime.date.today()
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
