"""The ``safetyrules`` command line (SPEC §6).

Only this module and :mod:`safetyrules.report.text` print.  Every user mistake
ends as ``PATH:LINE:COL: error: message`` on stderr and an exit code, never a
Python traceback (set ``SAFETYRULES_DEBUG=1`` to see one for a real bug).
"""

from __future__ import annotations

import argparse
import datetime
import errno
import json
import os
import sys
import time
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple

from safetyrules.version import __version__
from safetyrules.errors import FactsError, RuleSetError, SafetyRulesError
from safetyrules.limits import parse_date

__all__ = ["main"]

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


def _err(msg: str) -> None:
    try:
        print(msg, file=sys.stderr)
    except OSError:  # a closed stderr (`2>&-`): the message is lost, the exit code still tells
        pass


def _print_errors(exc: SafetyRulesError) -> None:
    errors = getattr(exc, "errors", None) or [exc]
    for e in errors:
        _err(e.format())
    if len(errors) > 1:
        _err(f"{len(errors)} errors")


def _load_rules(path: Optional[str]):
    from safetyrules.engine.ruleset import load

    return load(path)


# ---------------------------------------------------------------------------
# evaluate


class _Progress:
    """A one-line progress counter on stderr, shown only on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.n = 0
        self.bad = 0
        self.t0 = time.monotonic()
        self.last = 0.0

    def tick(self, bad: bool = False) -> None:
        self.n += 1
        self.bad += bad
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            rate = self.n / max(now - self.t0, 1e-9)
            # decided = read minus bad: the counts add up to the entities read
            sys.stderr.write(f"\r{self.n - self.bad:,} entities decided, {self.bad:,} bad, {rate:,.0f}/s ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.n:
            rate = self.n / max(time.monotonic() - self.t0, 1e-9)
            sys.stderr.write(f"\r{self.n - self.bad:,} entities decided, {self.bad:,} bad, {rate:,.0f}/s\n")
            sys.stderr.flush()


def _is_stream(path: str) -> bool:
    from safetyrules.engine.reader import is_stream

    return is_stream(path)


def _locate_fact(doc_values, fact: Optional[str]):
    """Where ``fact`` is in a facts file: the most specific node there is —
    for ``cranes[1].age`` the item's ``age``, else the item, else the list."""
    if not fact or doc_values is None:
        return None
    index: dict = {}
    for p, loc in doc_values.items():
        index.setdefault(".".join(str(x) for x in p), loc)
    want, base = fact.replace("]", "").replace("[", "."), fact.split("[", 1)[0]
    while want not in index and len(want) > len(base):
        want = want.rsplit(".", 1)[0]
    return index.get(want)


def _entities(paths: Sequence[str]) -> Iterator[Tuple[str, Any, Optional[SafetyRulesError], Optional[int]]]:
    """(label, (facts, positions, prefix), error, JSON Lines line or None)
    for every entity, in order; each input is read once."""
    for e in _inputs(paths):
        error = e.error
        if e.line is None and not e.prefix and e.label in paths and not _is_stream(e.label):
            # a whole YAML/JSON file that holds no mapping (nor a list of them)
            if error is None and not isinstance(e.facts, (dict, list)):
                error = _not_a_mapping(e.label, e.facts, e.positions)
            elif isinstance(error, FactsError) and e.label.lower().endswith(".json") and _blank(e.label):
                error = _not_a_mapping(e.label, None, None)  # not "JSON: Expecting value"
        positions = e.positions if e.text is None else _LinePositions(e.text)
        yield e.label, (None if error is not None else (e.facts, positions, e.prefix)), error, e.line


def _inputs(paths: Sequence[str]):
    """:func:`safetyrules.engine.reader.iter_entities` of ``paths``, with a
    closed standard input (``<&-``) an error of its own for ``-``."""
    from safetyrules.engine.reader import Entity, iter_entities

    for p in paths:
        if p == "-" and sys.stdin is None:
            error = FactsError("cannot read facts: standard input is closed", path="<stdin>", code="E-FILES")
            yield Entity("<stdin>", error=error)
        else:
            yield from iter_entities([p])


class _LinePositions:
    """The positions of a JSON Lines record, parsed only when asked for
    (when the record turned out bad): its line's text until then."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def get(self):
        from safetyrules.engine.reader import line_positions

        return line_positions(self.text)


def _blank(path: str) -> bool:
    """Whether the file at PATH holds nothing but white space (or cannot be read again)."""
    try:
        with open(path, "rb") as fh:
            return not fh.read(1 << 16).decode("utf-8-sig", "replace").strip()
    except OSError:
        return False


def _not_a_mapping(path: str, data: Any, positions: Any) -> FactsError:
    """The error of a facts file whose top level is no mapping of facts:
    empty, ``null`` (YAML or JSON) or a single value; located at the value
    (1:1 for an empty file)."""
    from safetyrules.engine.facts import kind_words

    want = "a mapping of fact names to values (or a list of them)"
    loc = positions.get(()) if isinstance(positions, dict) else None
    if data is None and (positions == {} or (positions is None and _blank(path))):
        message = f"the facts file is empty: it holds no facts; expected {want}"
    else:
        message = f"the facts file holds {kind_words(data)}, not {want}"
    line, column = (loc.line, loc.column) if loc is not None else (1, 1)
    # `entity.sector:catering` is one YAML string, not a fact and its value
    import re

    glued = re.match(r"([^\s:]+):([^\s:/]\S*)", data) if isinstance(data, str) else None
    hint = f"a key needs a space after its colon: '{glued[1]}: {glued[2]}'" if glued else None
    return FactsError(message, path=path, line=line, column=column, hint=hint)


def _json_text(data: Any) -> str:
    """Canonical JSON (sorted keys, compact, UTF-8 kept) that is always
    valid UTF-8: lone surrogates in messages become ``\\udXXX`` text."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return text


def error_line(line: int, err: SafetyRulesError) -> str:
    """The JSON Lines output of a bad input line (SPEC §8):
    ``{"line": N, "error": {"code", "message", "fact"}}``."""
    message = err.message + (f" ({err.hint})" if err.hint else "")
    return _json_text({"line": line, "error": {"code": err.code, "message": message, "fact": getattr(err, "fact", None)}})


def _decision_line(decision, line: Optional[int]) -> str:
    if line is None:
        return decision.to_json()
    data = decision.to_dict()
    data["line"] = line
    return _json_text(data)


def _cmd_evaluate(args) -> int:
    from safetyrules.cli.registry import run_evaluate, wants_registry

    if wants_registry(args):  # SPEC §9: a registry file, graded by a columnar backend
        return run_evaluate(args, standalone=STANDALONE)
    from safetyrules.report.text import LayerTally, escape_controls, format_layer_summary, format_markdown, format_text

    try:
        rules = _load_rules(args.rules)
    except SafetyRulesError as exc:
        _print_errors(exc)
        return EXIT_BAD_INPUT
    try:
        # only an absent --as-of means today: `--as-of "$DAY"` with DAY unset is no date
        as_of = parse_date(args.as_of) if args.as_of is not None else datetime.date.today()
    except ValueError:
        _err(f"error: --as-of must be a date like 2024-03-01, got {args.as_of!r}")
        return EXIT_BAD_INPUT
    streaming = any(_is_stream(p) for p in args.facts) or len(args.facts) > 1
    items = _entities(args.facts)
    if not streaming:
        # one YAML/JSON file: a list of entities prints JSON Lines too.  The
        # first entity tells, so the file is read once (/dev/stdin works).
        import itertools

        first_item = next(items, None)
        if first_item is not None:
            streaming = first_item[0].endswith("]") and first_item[0] != args.facts[0]
            items = itertools.chain([first_item], items)
    progress = _Progress(streaming and sys.stderr.isatty() and not args.quiet)
    bad = 0
    out = sys.stdout
    fmt = args.format
    first = True
    html_items: list = []  # --format html: one page for every entity, written at the end
    layers = LayerTally()  # several entities: the findings by layer and kind at the end (supervision.md §8.5)

    def emit(label: str, decision, line: Optional[int] = None) -> None:
        nonlocal first
        if fmt == "json":
            # One compact line per entity: a single entity is one JSON object,
            # several are JSON Lines; a JSON Lines input's lines say "line".
            if args.explain:  # the explanation as data, in the same line
                data = decision.to_dict()
                data["explanation"] = decision.explanation()
                if line is not None:
                    data["line"] = line
                out.write(_json_text(data) + "\n")
            else:
                out.write(_decision_line(decision, line) + "\n")
        elif fmt == "html":
            data = decision.to_dict()
            if args.explain:
                data["explanation_text"] = decision.explain()
            html_items.append((label if streaming else None, data))
        elif fmt == "markdown":
            layers.add(decision)
            out.write(("" if first else "\n") + format_markdown(decision, label if streaming else None, lang=args.lang))
            if args.explain:
                out.write("\n```text\n" + escape_controls(decision.explain()) + "```\n")
        else:
            layers.add(decision)
            out.write(("" if first else "\n") + format_text(decision, label if streaming else None, lang=args.lang))
            if args.explain:
                out.write("\nExplanation:\n" + escape_controls(decision.explain()))
        first = False

    stdin_hinted: list = []

    def report_bad(label: str, err: SafetyRulesError, line: Optional[int] = None) -> None:
        nonlocal bad
        bad += 1
        if line is None and getattr(err, "fact", None) == "kind" and not err.hint and err.message == "unknown fact 'kind'":
            # `safetyrules evaluate ruleset.yaml`: a rule file given as FACTS
            err.hint = "a rule file? rule sets go after --rules PATH; FACTS are the facts files of entities"
        if err.path is None and err.line is None:
            text = f"{label}: error: {err.message}" + (f" ({err.hint})" if err.hint else "")
        else:
            text = err.format()
        if (not stdin_hinted and err.path == "<stdin>" and err.column == 1 and not err.hint
                and err.message == "JSON: Expecting value"):
            # `cat facts.yaml | safetyrules evaluate -`: said once, on stderr, at
            # the first such line (stdout stays what the same file as PATH gives)
            stdin_hinted.append(True)
            text += " ('-' reads JSON Lines, one entity per line; a YAML facts file on standard input is /dev/stdin)"
        _err(escape_controls(text, keep_newlines=False))
        if fmt == "json" and line is not None:
            # in its place on stdout too, so output line k answers input line k
            out.write(error_line(line, err) + "\n")

    if args.jobs and args.jobs > 1:
        results = _parallel(rules, items, as_of, args.jobs)
    else:
        results = _serial(rules, items, as_of)
    try:
        for label, decision, err, line in results:
            if err is not None:
                report_bad(label, err, line)
                progress.tick(True)
            else:
                emit(label, decision, line)
                progress.tick()
    finally:
        progress.done()
    if fmt == "html":
        from safetyrules.report.html import render_decisions

        out.write(render_decisions(html_items, lang=args.lang))
    elif streaming and fmt in ("text", "markdown"):
        out.write(format_layer_summary(layers, fmt, lang=args.lang))
    out.flush()
    return EXIT_BAD_INPUT if bad else EXIT_OK


_JSON_POSITIONS: dict = {}


def _json_positions(path: str):
    """Key paths → positions of a JSON facts file, read again only when one of
    its entities is bad (JSON is YAML 1.2, so the YAML loader gives them);
    ``None`` when they cannot be had."""
    if path not in _JSON_POSITIONS:
        values = None
        try:
            from safetyrules.engine.reader import line_positions

            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8-sig")
            # as for a JSON Lines record: a number the YAML loader refuses
            # (1e400) keeps the positions of every value
            values = line_positions(text)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, SafetyRulesError):
            values = None
        _JSON_POSITIONS.clear()  # one file at a time: a batch of files stays small
        _JSON_POSITIONS[path] = values
    return _JSON_POSITIONS[path]


def _with_position(label: str, err: SafetyRulesError, values, prefix) -> SafetyRulesError:
    if isinstance(err, FactsError) and err.line is None:
        loc = None
        file = label.split("[", 1)[0]
        if isinstance(values, _LinePositions):  # a JSON Lines record: the column on its line
            path, _, line = label.rpartition(":")
            loc = _locate_fact(values.get(), err.fact)
            if line.isdigit() and path:
                err.path, err.line = path, int(line)
                if loc is not None and loc.line == 1:
                    err.column = loc.column
            else:
                err.path = label
            return err
        if values is None and file.lower().endswith(".json") and not _is_stream(file):
            values = _json_positions(file)
        if values is not None:
            fact = err.fact
            if fact and prefix:
                fact = ".".join(str(x) for x in prefix) + "." + fact
            loc = _locate_fact(values, fact)
            if loc is None and not err.fact and prefix:
                loc = values.get(tuple(prefix))  # the entity itself, in a list of them
        path, _, line = label.rpartition(":")
        if loc is not None:
            err.path = label.split("[", 1)[0]
            err.line, err.column = loc.line, loc.column
        elif line.isdigit() and path:
            err.path, err.line = path, int(line)
        else:
            err.path = label
    return err


def _serial(rules, items, as_of):
    for label, payload, error, line in items:
        if error is not None:
            yield label, None, error, line
            continue
        facts, values, prefix = payload
        try:
            yield label, rules.evaluate(facts, as_of=as_of), None, line
        except SafetyRulesError as err:
            yield label, None, _with_position(label, err, values, prefix), line


def _parallel(rules, items, as_of, jobs):
    from collections import deque

    from safetyrules.engine.batch import parallel_decisions

    # Results come back in input order, and an input is always consumed
    # before its result is produced, so a queue pairs them up.
    pending: deque = deque()

    def records():
        for label, payload, error, line in items:
            pending.append((label, payload, error, line))
            yield None if error is not None else payload[0]

    for result in parallel_decisions(rules, records(), as_of, jobs, 256):
        label, payload, error, line = pending.popleft()
        if error is not None:
            yield label, None, error, line
        elif isinstance(result, SafetyRulesError):
            yield label, None, _with_position(label, result, payload[1], payload[2]), line
        else:
            yield label, result, None, line


# ---------------------------------------------------------------------------
# validate / test / schema


def _each_rule_set(paths, failures: list):
    """Load each rules PATH (the bundled set when none); print the errors of
    those that fail, note them in ``failures``, and yield the others."""
    from safetyrules.source.files import bundled_path

    for p in paths or [bundled_path()]:
        try:
            yield p, _load_rules(p)
        except SafetyRulesError as exc:
            _print_errors(exc)
            failures.append(p)


def _policy_file(path: str) -> bool:
    """Whether PATH is a ``kind: supervision-policy`` file (supervision.md
    §8.0: policies are checked by ``validate``); only its top level is read."""
    from safetyrules.source.files import is_policy_file

    return is_policy_file(path)


def _validate_policy(path: str, failures: list) -> None:
    from safetyrules.supervision.policy import load_policy

    try:
        pol = load_policy(path)
    except SafetyRulesError as exc:
        _print_errors(exc)
        failures.append(path)
        return
    from safetyrules.supervision.policy import DEFAULTS

    own = sum(1 for p in pol.params.values() if (p.value, p.source, p.status) != DEFAULTS.get(p.name))
    print(f"{path}: ok — supervision policy {pol.id}, {len(pol.params)} parameters ({own} set by the policy)")


def _cmd_validate(args) -> int:
    failures: list = []
    from safetyrules.source.files import find_files, policy_files

    paths = list(args.paths)
    policies = [p for p in paths if _policy_file(p)]
    rule_paths = [p for p in paths if p not in policies]
    # A directory of rule files may hold policies too: the rule set leaves
    # them out, and they are validated here as policies.
    for p in list(rule_paths):
        inside = policy_files(p)
        policies += inside
        if inside and not find_files(p)[1]:
            rule_paths.remove(p)  # policies only: no rule set to load
    for p in policies:
        _validate_policy(p, failures)
    if policies and not rule_paths:
        return EXIT_FAIL if failures else EXIT_OK
    for p, rules in _each_rule_set(rule_paths, failures):
        from safetyrules.authoring.testing import example_errors
        from safetyrules.plan.link import own_files

        bad = example_errors(rules, only_files=set(own_files(p)) or None)  # names and types in examples: too
        if bad:
            for e in bad:
                _err(e.format())
            failures.append(p)
            continue
        n_clauses = sum(len(s.clauses) for s in rules.standards)
        print(
            f"{p}: ok — {len(rules.vocabulary)} facts, {len(rules.tables)} tables, "
            f"{len(rules.standards)} standards, {n_clauses} clauses"
        )
    return EXIT_FAIL if failures else EXIT_OK


def _cmd_test(args) -> int:
    from safetyrules.authoring.testing import load_failure, run_examples, write_junit
    from safetyrules.plan.link import own_files
    from safetyrules.source.files import bundled_path

    if args.fail_under is not None and not args.coverage:
        _err("error: --fail-under needs --coverage")
        return EXIT_BAD_INPUT
    if args.fail_under is not None and not 0 <= args.fail_under <= 100:  # NaN too
        _err(f"error: --fail-under {args.fail_under:g} is not a percentage (0-100)")
        return EXIT_BAD_INPUT
    all_results = []
    failures: list = []
    for p in args.paths or [bundled_path()]:
        try:
            rules = _load_rules(p)
        except SafetyRulesError as exc:
            _print_errors(exc)
            failures.append(p)
            all_results.append(load_failure(p, exc))  # a failing test in JUnit, not 0 tests
            continue
        # An overlay (extends:) tests its own files unless --all-files.
        own = None if args.all_files else (set(own_files(p)) or None)
        results = run_examples(rules, only_files=own, pattern=args.k)
        all_results.extend(results)
        for r in results:
            if not r.passed:
                _err(f"{r.path}:{r.line}:{r.column}: error: {r.message}")
        if args.coverage:
            from safetyrules.authoring.coverage import format_coverage, measure

            cov = measure(rules, results, only_files=own)
            print(format_coverage(cov))
            from safetyrules.authoring.coverage import fails_under

            if args.fail_under is not None and fails_under(cov.overall, args.fail_under):
                _err(f"error: coverage {cov.overall:.1f}% is under --fail-under {args.fail_under}")
                failures.append(p)
    if args.junit:
        try:
            write_junit(all_results, args.junit)
        except OSError as exc:
            _err(f"{args.junit}: error: cannot write JUnit XML: {exc.strerror}")
            return EXIT_BAD_INPUT
    examples = [r for r in all_results if r.kind != "load"]
    passed = sum(r.passed for r in examples)
    failed = len(examples) - passed
    print(f"{passed} passed, {failed} failed")
    if args.k and not examples and not failures:
        # a -k that selects nothing (a typo in CI) is no pass: pytest fails when all are deselected
        _err(f"error: -k {args.k!r} matches no example")
        return EXIT_FAIL
    return EXIT_FAIL if failed or failures else EXIT_OK


def _cmd_schema(args) -> int:
    from safetyrules.source.schema import KINDS, schema_for

    kinds = args.kinds or []
    if args.out:
        try:
            os.makedirs(args.out, exist_ok=True)
            for k in KINDS:
                with open(os.path.join(args.out, f"{k}.schema.json"), "w", encoding="utf-8") as fh:
                    json.dump(schema_for(k), fh, indent=2, ensure_ascii=False)
                    fh.write("\n")
        except OSError as exc:
            what = "is not a directory" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
            _err(f"{args.out}: error: cannot write the schemas: {what}")
            return EXIT_BAD_INPUT
        print(f"wrote {len(KINDS)} schemas to {args.out}")
        return EXIT_OK
    if not kinds:
        print("kinds: " + ", ".join(KINDS))
        print("usage: safetyrules schema KIND   (or --out DIR to write them all)")
        return EXIT_OK
    for k in kinds:
        if k in ("facts", "decision"):
            # the schemas the service serves, for the rule set --rules names
            from safetyrules.service.schemas import canonical_json, decision_schema, facts_schema

            try:
                plan = _load_rules(args.rules).plan
            except SafetyRulesError as exc:
                _print_errors(exc)
                return EXIT_BAD_INPUT
            doc = facts_schema(plan) if k == "facts" else decision_schema(plan)
            print(canonical_json(doc))  # the bytes GET /v1/schema/... answers (SPEC §11)
            continue
        if k not in KINDS:
            _err(f"error: unknown kind {k!r}; use one of {', '.join(KINDS + ('facts', 'decision'))}")
            return EXIT_BAD_INPUT
        print(json.dumps(schema_for(k), indent=2, ensure_ascii=False))
    return EXIT_OK


# ---------------------------------------------------------------------------


#: the most worker processes ``--jobs`` starts: a pool is started whole, so a
#: mistyped count (``--jobs 99999999999999999999``) would fork until the
#: machine's process limit instead of answering
MAX_JOBS = 1024


def _at_least_one(text: str) -> int:
    """argparse type of a count of workers: an integer from 1 to
    :data:`MAX_JOBS` (0 or less is a usage error, not a quiet serial run)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    if n > MAX_JOBS:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise argparse.ArgumentTypeError(f"must be at most {MAX_JOBS} worker processes, got {shown}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="safetyrules",
        description="Workplace-safety judgment standards as checked, testable rules.",
    )
    p.add_argument("--version", action="version", version=f"safetyrules {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    ev = sub.add_parser("evaluate", help="decide entities from their facts")
    ev.add_argument("facts", nargs="+", metavar="FACTS", help="YAML/JSON facts files, or .jsonl streams ('-' for stdin)")
    ev.add_argument("--rules", metavar="PATH", help="rule set: manifest, directory with ruleset.yaml, or directory of rule files (default: bundled)")
    ev.add_argument("--as-of", metavar="DATE", help="decision date, YYYY-MM-DD (default: today)")
    ev.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text",
                    help="text (default); json: one object, or JSON Lines for several entities; html needs safetyrules[report]")
    ev.add_argument("--lang", choices=("zh", "en"), default=None,
                    help="language of labels and rule titles in text, Markdown and HTML (default: English labels, both titles)")
    ev.add_argument("--explain", action="store_true",
                    help="explain each decision: text, Markdown and HTML show each condition's value; JSON adds an \"explanation\" object")
    ev.add_argument("--jobs", type=_at_least_one, default=1, metavar="N", help=f"worker processes for large batches (1 to {MAX_JOBS})")
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    ev.add_argument("--backend", choices=("duckdb", "polars", "spark", "python"), default=None,
                    help="grade a registry file (.parquet/.csv/.jsonl) on this backend (default: duckdb)")
    ev.add_argument("--out", metavar="OUT", help="registry results: OUT.parquet, .csv or .jsonl")
    ev.set_defaults(func=_cmd_evaluate)

    va = sub.add_parser("validate", help="check rule files: schema, expressions, names, types, units, tables; and supervision policies")
    va.add_argument("paths", nargs="*", metavar="PATH",
                    help="rule sets (manifest, directory) or kind: supervision-policy files (default: the bundled rule set)")
    va.set_defaults(func=_cmd_validate)

    te = sub.add_parser("test", help="run every examples: entry")
    te.add_argument("paths", nargs="*", metavar="PATH", help="rule sets (manifest, directory) (default: the bundled rule set)")
    te.add_argument("--junit", metavar="FILE", help="also write JUnit XML")
    te.add_argument("--coverage", action="store_true", help="report clause, outcome and MC/DC coverage")
    te.add_argument("--fail-under", type=float, metavar="N", help="with --coverage: fail below N percent (an error without --coverage)")
    te.add_argument("-k", metavar="PATTERN", help="run only the examples whose standard/table id, clause id or label contains PATTERN (or matches it as a glob)")
    te.add_argument("--all-files", action="store_true", help="for a rule set that extends: another, also run the inherited files' examples")
    te.set_defaults(func=_cmd_test)

    sc = sub.add_parser("schema", help="print the JSON Schema of a rule-file kind, or of the facts or decision of a rule set")
    sc.add_argument("kinds", nargs="*", metavar="KIND", help="a rule-file kind, or 'facts' / 'decision'")
    sc.add_argument("--rules", metavar="PATH", help="with facts/decision: the rule set (default: bundled)")
    sc.add_argument("--out", metavar="DIR", help="write every schema into DIR")
    sc.set_defaults(func=_cmd_schema)

    for register in _EXTRA_COMMANDS:
        register(sub)
    for command in set(sub.choices.values()):
        # every command that loads rules takes it, so it is added to all
        command.add_argument(
            "--allow-outside-includes",
            action="store_true",
            help="let a manifest's include: read files outside its own directory (trust the rule set)",
        )
    return p


#: Modules that add subcommands: each has ``register(subparsers)``.  A module
#: whose optional dependency is missing must still import (import the extra
#: inside the command) so that ``--help`` lists every command.
COMMAND_MODULES = (
    "safetyrules.authoring.lint",
    "safetyrules.authoring.diff",
    "safetyrules.authoring.fmt",
    "safetyrules.cli.authoring",
    "safetyrules.cli.supervision",
    "safetyrules.cli.service",
    "safetyrules.cli.report",
    "safetyrules.cli.registry",
)


def _extra_commands(command: Optional[str] = None):
    """Commands that live in their own modules register here.  ``evaluate``
    (defined here) needs none of them: its parser and messages are the same
    without the others, and its start is faster (a registry graded from the
    shell pays for every module imported before it)."""
    import importlib

    if command in _OWN_COMMANDS:
        return []
    return [importlib.import_module(mod).register for mod in COMMAND_MODULES]


#: commands of this module that read nothing of the modules above
_OWN_COMMANDS = ("evaluate",)


def _command(argv: Sequence[str]) -> Optional[str]:
    """The command word of ``argv`` (the first argument that is not an
    option: the top-level options take no value)."""
    for a in argv:
        if a == "--":
            return None
        if not a.startswith("-"):
            return a
    return None


_EXTRA_COMMANDS: list = []

#: set by :func:`entry`: this process is the ``safetyrules`` command itself
#: (not ``main()`` called by a program), so process-wide choices are ours
STANDALONE = False


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    global _EXTRA_COMMANDS
    _EXTRA_COMMANDS = _extra_commands(_command(sys.argv[1:] if argv is None else list(argv)))
    parser = build_parser()
    args = parser.parse_args(argv)
    from safetyrules.source.files import allow_outside_includes

    allow_outside_includes(getattr(args, "allow_outside_includes", False))
    try:
        return args.func(args)
    except SafetyRulesError as exc:
        _print_errors(exc)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        try:
            sys.stdout.close()
        except Exception:
            pass
        return EXIT_OK
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            if os.environ.get("SAFETYRULES_DEBUG"):
                raise
            _err(f"internal error: {type(exc).__name__}: {exc} (set SAFETYRULES_DEBUG=1 for details; please report it)")
            return EXIT_INTERNAL
        return _output_failed(exc)
    except Exception as exc:  # a bug of ours, not a user mistake
        if os.environ.get("SAFETYRULES_DEBUG"):
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (set SAFETYRULES_DEBUG=1 for details; please report it)")
        return EXIT_INTERNAL


def _json_escape(exc: UnicodeError):
    """Codec error handler: a character the output encoding cannot hold is
    written as its JSON escape (``\\u2026``; a surrogate pair beyond the
    BMP), so a JSON decision stays the same JSON and text stays readable."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)))
        else:
            out.append("\\u%04x" % cp)
    return "".join(out), exc.end


def _escape_unencodable_output() -> None:
    """An ASCII or Latin-1 stdout (PYTHONIOENCODING, a C locale without
    coercion, a Windows console) cannot hold 北京 or '…': escape what it
    cannot encode rather than fail with UnicodeEncodeError (exit 70)."""
    import codecs

    codecs.register_error("safetyrules.json_escape", _json_escape)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if encoding in ("utf-8", "utf8", "utf-16", "utf-32", "gb18030") or not hasattr(stream, "reconfigure"):
            continue
        try:
            if stream is sys.stdout:
                stream.reconfigure(errors="safetyrules.json_escape")
            elif getattr(stream, "errors", None) == "strict":
                stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # pragma: no cover - a closed or odd stream
            pass


#: errors of a write that are the machine's, not a bug: a full disk or quota,
#: a file too large, an I/O error of the device
_WRITE_ERRNOS = frozenset(getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EFBIG", "EIO") if hasattr(errno, n))


def _output_failed(exc: OSError) -> int:
    """The output cannot be written (``> /dev/full``): say so, exit 2, and
    drop what is still buffered (Python would fail again flushing it at exit)."""
    _err(f"error: cannot write the output: {exc.strerror or exc}")
    try:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    except OSError:  # pragma: no cover
        pass
    return EXIT_BAD_INPUT


def entry() -> None:  # console script
    global STANDALONE
    STANDALONE = True
    # a closed stdout or stderr (`>&-`, `2>&-`): what would go there is
    # dropped, so decisions and messages never end up on the other stream
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    _escape_unencodable_output()
    code = main()
    try:
        if not sys.stdout.closed:
            sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:
            code = _output_failed(exc)
    sys.exit(code)
