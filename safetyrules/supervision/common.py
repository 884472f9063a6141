"""What every supervision command shares: canonical JSON, SHA-256 digests,
located input errors, reading JSON Lines / YAML inputs, ``--record DIR``.

Canonical JSON (supervision.md §8.0): sorted keys, UTF-8 with non-ASCII kept,
compact separators, and no floats where a ratio of integers will do — ratios
are written as decimal strings (:func:`decimal_str`).
"""

from __future__ import annotations

import datetime
import fractions
import hashlib
import json
import os
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

import attrs

from safetyrules.errors import SafetyRulesError
from safetyrules.limits import json_int, json_text_ok, parse_date

__all__ = [
    "SupervisionError",
    "canonical",
    "sha256_hex",
    "digest_bytes",
    "digest_file",
    "decimal_str",
    "parse_ratio",
    "exact_number",
    "read_jsonl",
    "read_mapping",
    "read_csv",
    "as_date",
    "write_record",
    "Result",
    "Warning_",
    "check_near_misses",
]


class SupervisionError(SafetyRulesError):
    """Bad supervision input (registry, policy, inspectors, history, ledger,
    calendar) or a failed protocol step.  ``path``/``line`` locate it; ``code``
    is one of the design's codes (``E-DRAW-INPUT-CHANGED``, ``E-POLICY-FLOOR-CAP``,
    ``E-LEDGER-MAJOR-CLOSE`` …)."""

    code = "E-SUPERVISION"


def _default(v: Any) -> Any:
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, fractions.Fraction):
        return decimal_str(v)
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, Mapping):
        return dict(v)
    raise TypeError(f"not JSON-ready: {type(v).__name__}")


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (sorted keys, compact, UTF-8)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def sha256_hex(text: str) -> str:
    """Lowercase hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_file(path: Optional[str]) -> Optional[str]:
    """``sha256:…`` of a file's bytes (None for no file)."""
    if path is None:
        return None
    h = hashlib.sha256()
    with open(path, "rb") as fh:  # a piece at a time: a registry file need not fit in memory
        for piece in iter(lambda: fh.read(1 << 20), b""):
            h.update(piece)
    return "sha256:" + h.hexdigest()


def decimal_str(value: Any, places: int = 6) -> str:
    """A ratio as a decimal string: exact when it terminates within ``places``
    digits, else rounded half-even to ``places`` (trailing zeros dropped)."""
    q = fractions.Fraction(value)
    sign = "-" if q < 0 else ""
    q = abs(q)
    scaled = q * 10**places
    n = round(scaled)  # Fraction rounding is half-even and exact
    whole, frac = divmod(n, 10**places)
    s = str(whole)
    if frac:
        s += "." + str(frac).rjust(places, "0").rstrip("0")
    return sign + s if n else "0"


def exact_number(value: Any) -> fractions.Fraction:
    """A number given as an int, a float (its shortest repr) or decimal or
    fraction text, exactly; a ``ValueError`` (or ``ZeroDivisionError``) for
    a bool, and for text that is not ASCII or holds ``_``: ``Fraction()``
    reads ``'0_5'`` on Python 3.11+ only, and Arabic-Indic or full-width
    digits on every version."""
    text = str(value)
    if isinstance(value, bool) or not text.isascii() or "_" in text:
        raise ValueError(f"not a number: {value!r}")
    return fractions.Fraction(text)


def parse_ratio(value: Any, where: str = "ratio", **loc) -> fractions.Fraction:
    """A ratio given as a decimal string (``"0.20"``), an int, or a float's
    shortest repr, as an exact fraction in [0, 1]."""
    try:
        q = exact_number(value)
    except (ValueError, ZeroDivisionError):
        raise SupervisionError(f"{where} must be a decimal such as \"0.10\", got {value!r}", code="E-POLICY", **loc) from None
    if not 0 <= q <= 1:
        raise SupervisionError(f"{where} must be between 0 and 1, got {value!r}", code="E-POLICY", **loc)
    return q


def as_date(value: Any, what: str = "date", **loc) -> Optional[datetime.date]:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return parse_date(str(value)[:10])
    except ValueError:
        raise SupervisionError(f"{what} must be a date like 2025-03-01, got {value!r}", code="E-INPUT", **loc) from None


def read_jsonl(path: str) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """(line number, object) for every non-blank line; a bad line is a
    :class:`SupervisionError` at ``PATH:LINE``."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise SupervisionError(f"cannot read: {exc.strerror}", path=path, code="E-INPUT") from None
    from safetyrules.engine.reader import LongLine, bounded_lines, long_line_message

    with fh:
        for n, raw in enumerate(bounded_lines(fh), 1):
            if type(raw) is LongLine:
                raise SupervisionError(f"not a JSON line: {long_line_message(raw)}", path=path, line=n, code="E-INPUT")
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw, parse_int=json_int)
            except UnicodeDecodeError:
                raise SupervisionError("not a JSON line: the line is not UTF-8", path=path, line=n, code="E-INPUT") from None
            except json.JSONDecodeError as exc:
                raise SupervisionError(f"not a JSON line: {exc.msg} (column {exc.colno})", path=path, line=n, code="E-INPUT") from None
            except ValueError as exc:  # e.g. an integer past Python's digit limit
                raise SupervisionError(f"not a JSON line: {exc}", path=path, line=n, code="E-INPUT") from None
            except RecursionError:
                raise SupervisionError("not a JSON line: nested too deeply", path=path, line=n, code="E-INPUT") from None
            if not isinstance(obj, dict):
                raise SupervisionError("each line must be a JSON object", path=path, line=n, code="E-INPUT")
            if b"\\u" in raw and not json_text_ok(obj):
                raise SupervisionError("not a JSON line: text holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text",
                                       path=path, line=n, code="E-INPUT")
            yield n, obj


def read_mapping(path: str, what: str = "file") -> Tuple[Any, Any]:
    """A YAML or JSON file (safe loading, positions kept) → (data, document).
    ``document.loc(path_tuple)`` gives a node's position for messages."""
    from safetyrules.source.loader import load_yaml

    from safetyrules import limits

    try:
        with open(path, "rb") as fh:
            raw = fh.read(limits.MAX_FACTS_FILE_BYTES + 1)  # not until memory runs out (/dev/zero)
    except OSError as exc:
        raise SupervisionError(f"cannot read {what}: {exc.strerror}", path=path, code="E-INPUT") from None
    if len(raw) > limits.MAX_FACTS_FILE_BYTES:
        raise SupervisionError(f"{what} is larger than {limits.MAX_FACTS_FILE_BYTES} bytes", path=path, line=1, column=1, code="E-INPUT")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SupervisionError(f"{what} is not UTF-8", path=path, code="E-INPUT") from None
    if path.endswith(".json"):
        try:
            data = json.loads(text, parse_int=json_int)
        except json.JSONDecodeError as exc:
            raise SupervisionError(f"{what} is not JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno, code="E-INPUT") from None
        except (ValueError, RecursionError) as exc:
            raise SupervisionError(f"{what} is not JSON: {exc}", path=path, line=1, column=1, code="E-INPUT") from None
        # JSON is YAML 1.2: the positions of its nodes locate later errors
        # (PATH:LINE:COL); without them the file alone is named.
        try:
            doc = load_yaml(text, path)
        except SafetyRulesError:
            return data, None
        return data, doc
    doc = load_yaml(text, path)
    return doc.data, doc


def read_csv(path: str, what: str = "file", required: Tuple[str, ...] = ()) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """(line number, row) for each row of a CSV file with a header; an
    unreadable, non-UTF-8 or malformed file, or a header without the
    ``required`` columns, is a located :class:`SupervisionError`."""
    import csv

    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SupervisionError(f"cannot read {what}: {exc.strerror}", path=path, code="E-INPUT") from None
    from safetyrules.engine.reader import LongLine, bounded_lines, long_line_message

    def lines() -> Iterator[str]:  # a line at a time, to a bound (a symlink to /dev/zero ends)
        for k, line in enumerate(bounded_lines(fh), 1):
            if type(line) is LongLine:
                raise SupervisionError(f"{what} is not CSV: {long_line_message(line)}", path=path, line=k, code="E-INPUT")
            yield line

    with fh:
        reader = csv.DictReader(lines())
        n = 1
        try:
            if required:
                have = [str(x).strip() for x in (reader.fieldnames or [])]
                missing = [c for c in required if c not in have]
                if missing:
                    raise SupervisionError(f"{what}: the header line needs the columns {','.join(required)} (missing {', '.join(missing)})",
                                           path=path, line=1, code="E-INPUT")
            for row in reader:
                n = reader.line_num
                yield n, row
        except UnicodeDecodeError:
            raise SupervisionError(f"{what} is not UTF-8", path=path, code="E-INPUT") from None
        except csv.Error as exc:
            raise SupervisionError(f"{what} is not CSV: {exc}", path=path, line=reader.line_num or n, code="E-INPUT") from None


def loc_of(doc: Any, path: str, keys: Tuple[Any, ...], key: bool = False) -> Dict[str, Any]:
    """``path=…, line=…, column=…`` of a node, for a located error."""
    if doc is None:
        return {"path": path}
    try:
        p = doc.loc(keys, key=key)
        return {"path": path, "line": p.line, "column": p.column}
    except Exception:  # a node the loader did not record: the file is enough
        return {"path": path}


def check_near_misses(obj: Mapping[str, Any], known: Tuple[str, ...], what: str, code: str = "E-INPUT", **loc) -> None:
    """A key of ``obj`` that is not one of ``known`` but close to one (a
    misspelling: ``other_enforcment``, ``holiday``, ``cert_valid_untl``) is an
    error at its place: read as absent, it would silently take the default (0
    days, no holidays, no certificate end, no conflict).  Other extra keys
    (notes, phone numbers) are left alone."""
    import difflib

    for k in obj:
        if isinstance(k, str) and k not in known:
            close = difflib.get_close_matches(k, known, n=1, cutoff=0.8)
            if close:
                raise SupervisionError(f"unknown key {k!r} in {what} (did you mean {close[0]!r}?)", code=code, **loc)


@attrs.frozen
class Warning_:
    """One warning or flag: a stable ``code``, a message, and what it is about."""

    code: str
    message: str
    subject: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {"code": self.code, "message": self.message, "subject": self.subject}


class Result:
    """Mixin of every supervision result: ``to_dict()`` and canonical ``to_json()``."""

    def to_dict(self) -> Dict[str, Any]:  # pragma: no cover - each result defines it
        raise NotImplementedError

    def to_json(self) -> str:
        """Canonical, byte-identical JSON of :meth:`to_dict`."""
        return canonical(self.to_dict())


def write_record(directory: str, command: str, params: Mapping[str, Any], inputs: Mapping[str, Optional[str]], output: str, extra: Optional[Mapping[str, Any]] = None) -> str:
    """Write ``DIR/run.json`` (supervision.md §8.0 audit record): the tool
    version, input digests, parameters and the output digest.  Returns its path."""
    from safetyrules.version import __version__

    os.makedirs(directory, exist_ok=True)
    rec = {
        "tool": {"name": "safetyrules", "version": __version__},
        "command": command,
        "parameters": dict(params),
        # a value already a digest ("sha256:…") is an input with no file (the default policy)
        "inputs": {k: (v if v.startswith("sha256:") and not os.path.exists(v) else digest_file(v)) if v else None for k, v in inputs.items()},
        "output_digest": digest_bytes(output.encode("utf-8")),
    }
    if extra:
        rec.update(extra)
    target = os.path.join(directory, "run.json")
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(canonical(rec) + "\n")
    return target


class Condition:
    """A DSL condition from a policy (supervision.md §8.0: same language and
    three-valued logic as rule files), evaluated over an entity's flat facts.
    ``None`` is unknown."""

    def __init__(self, text: str, *, path: Optional[str] = None, line: Optional[int] = None, column: Optional[int] = None) -> None:
        from safetyrules import dsl

        self.text = text
        try:
            self.node = dsl.parse(text)
        except SafetyRulesError as exc:
            raise SupervisionError(f"bad condition {text!r}: {exc.message}", path=path, line=line, column=column, code="E-POLICY") from None
        self._where = {"path": path, "line": line, "column": column}
        self._eval = dsl.evaluate_ast
        # A condition reads a handful of facts, and a registry repeats the same
        # few combinations of their values: the result is memoised on them.
        self._reads = tuple(sorted({p.split("[", 1)[0] for p in dsl.fact_paths(self.node)}))
        self._memo: Dict[Tuple[Any, ...], Optional[bool]] = {}

    def __call__(self, facts: Mapping[str, Any]) -> Optional[bool]:
        get = facts.get
        key = tuple(map(get, self._reads))
        try:
            return self._memo[key]
        except KeyError:
            pass
        except TypeError:  # a list value: not hashable, evaluate directly
            return self._run(facts)
        v = self._memo[key] = self._run(facts)
        return v

    def _run(self, facts: Mapping[str, Any]) -> Optional[bool]:
        try:
            v = self._eval(self.node, facts)
        except SafetyRulesError as exc:
            raise SupervisionError(f"condition {self.text!r}: {exc.message}", code="E-POLICY", **self._where) from None
        return v if v is None or isinstance(v, bool) else bool(v)
