"""One reader of facts input: files and JSON Lines streams, as bytes.

Every entity of every input comes out, in input order, as an
:class:`Entity`: its facts, or the :class:`~safetyrules.errors.FactsError`
that made it unreadable.  Nothing a single record holds stops the stream: a
line that is not UTF-8, not JSON, ``null``, nested thousands of levels deep,
or holds an integer of thousands of digits becomes an error *value* naming
its line (SPEC §8), and the next line is read.

What is refused here, so that every decision's JSON is valid JSON and valid
UTF-8 (see ``docs/errors.md``):

* bytes that are not UTF-8 (``E-ENCODING``), and ``\\ud800``-style escapes
  of lone surrogates, which no UTF-8 output can carry (``E-ENCODING``);
* text that is not JSON, including ``NaN``/``Infinity`` and duplicate keys
  (``E-JSON``);
* a line that is not a JSON object (``E-ENTITY``);
* nesting deeper than :data:`~safetyrules.limits.MAX_FACT_DEPTH`
  (``E-DEPTH``) and integers of more than
  :data:`~safetyrules.limits.MAX_INT_DIGITS` digits (``E-NUMBER``);
* a line longer than :data:`~safetyrules.limits.MAX_JSONL_LINE_BYTES`
  (``E-FILES``), read in bounded pieces and dropped, never held whole
  (:func:`bounded_lines`).

Each input is read once, so ``/dev/stdin`` and process substitutions work.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any, Iterable, Iterator, Optional, Tuple

import attrs

from safetyrules.errors import FactsError, RuleFileError, SafetyRulesError
from safetyrules.limits import MAX_FACT_DEPTH, MAX_INT_DIGITS, int_digits_ok
from safetyrules import limits

__all__ = [
    "Entity",
    "STREAM_SUFFIXES",
    "is_stream",
    "iter_entities",
    "iter_jsonl_bytes",
    "bounded_lines",
    "LongLine",
    "long_line_message",
    "line_positions",
    "parse_json",
    "read_facts_file",
    "check_depth",
    "safe_text",
    "entities_of",
]

STREAM_SUFFIXES = (".jsonl", ".ndjson")

_BOM = b"\xef\xbb\xbf"


@attrs.frozen
class Entity:
    """One entity of the input.

    ``label`` names it for messages (``path``, ``path[i]`` or ``path:N``);
    ``facts`` is its data (``None`` when ``error`` is set); ``line`` is the
    1-based input line of a JSON Lines record (else ``None``); ``index`` the
    position of an entity in a file holding a list of them; ``positions``
    maps key paths to file positions (YAML files) and ``prefix`` is the key
    path of a list item inside them; ``text`` is a JSON Lines record's
    line as read (to locate a bad fact in it, see :func:`line_positions`)."""

    label: str
    facts: Any = None
    error: Optional[SafetyRulesError] = None
    line: Optional[int] = None
    index: Optional[int] = None
    positions: Any = attrs.field(default=None, repr=False)
    prefix: Tuple[Any, ...] = ()
    text: Optional[str] = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the entity was read (it may still hold bad facts)."""
        return self.error is None


class _Refuse(Exception):
    """Raised inside the JSON parser's hooks; becomes a FactsError."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _parse_int(text: str) -> int:
    if not int_digits_ok(text):
        raise _Refuse(f"integer of {len(text.lstrip('+-'))} digits; at most {MAX_INT_DIGITS} are allowed", "E-NUMBER")
    return int(text)


def _parse_constant(name: str) -> Any:
    raise _Refuse(f"{name} is not valid JSON (numbers must be finite)", "E-JSON")


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _Refuse(f"duplicate key '{safe_text(k)}'", "E-JSON")
        out[k] = v
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_parse_int, parse_constant=_parse_constant)


def safe_text(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX`` escapes, so it
    can always be encoded as UTF-8 (for messages about refused input)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _has_surrogate(value: Any) -> bool:
    """Whether any string in ``value`` (keys included) holds a lone
    surrogate; iterative, for already depth-checked data."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _surrogate_fact(value: Any) -> Optional[str]:
    """The fact path (``s``, ``cranes[0].kind``) of the first value, in
    text order, that holds a lone surrogate; ``None`` when a key holds it
    first (no fact can be named) or the top level does."""

    def bad(v: Any) -> bool:
        return isinstance(v, str) and _has_surrogate(v)

    stack = [(value, "")]
    while stack:
        v, where = stack.pop()
        if isinstance(v, dict):
            items = []
            for k, x in v.items():
                if bad(k):
                    items.append((None, None))
                    break
                items.append((x, f"{where}.{k}" if where else k))
        elif isinstance(v, list):
            items = [(x, f"{where}[{i}]") for i, x in enumerate(v)]
        else:
            if where is None or bad(v):
                return where or None
            continue
        stack.extend(reversed(items))
    return None


def check_depth(value: Any, limit: int = MAX_FACT_DEPTH) -> Optional[str]:
    """The dotted path where ``value`` nests deeper than ``limit`` mappings
    and lists (``""`` for the top), or ``None`` when it does not; iterative."""
    stack = [(value, 0, "")]
    while stack:
        v, depth, where = stack.pop()
        if isinstance(v, dict):
            items = v.items()
        elif isinstance(v, list):
            items = ((f"[{i}]", x) for i, x in enumerate(v))
        else:
            continue
        if depth >= limit:
            return where
        for k, x in items:
            if isinstance(x, (dict, list)):
                key = (where + k if k.startswith("[") else (f"{where}.{k}" if where else str(k))) if isinstance(k, str) else where
                stack.append((x, depth + 1, key))
    return None


def parse_json(text: str, *, path: Optional[str] = None, line: Optional[int] = None) -> Any:
    """Parse JSON text as facts: raises a located :class:`FactsError` for
    anything :mod:`safetyrules.engine.reader` refuses (see its docstring)."""

    def fail(message: str, code: str, column: Optional[int] = None, fact: Optional[str] = None) -> FactsError:
        return FactsError(message, path=path, line=line, column=column, code=code, fact=fact)

    try:
        data = _DECODER.decode(text)
    except _Refuse as exc:
        fact = _long_int_fact(text) if exc.code == "E-NUMBER" else None
        raise _located(fail(exc.message, exc.code, fact=fact), text, line) from None
    except RecursionError:
        raise _located(fail(f"facts are nested deeper than {MAX_FACT_DEPTH} levels", "E-DEPTH"), text, line) from None
    except ValueError as exc:  # json.JSONDecodeError
        msg = getattr(exc, "msg", None) or str(exc)
        lineno = getattr(exc, "lineno", None)
        col = getattr(exc, "colno", None)
        err = fail(f"JSON: {msg}", "E-JSON", col)
        if line is None and lineno is not None:
            err.line = lineno
        raise err from None
    # a cheap bound first: fewer brackets than the limit cannot nest deeper
    if text.count("{") + text.count("[") > MAX_FACT_DEPTH:
        where = check_depth(data)
        if where is not None:
            err = fail(f"facts are nested deeper than {MAX_FACT_DEPTH} levels", "E-DEPTH", fact=where or None)
            raise _located(err, text, line)
    # lone surrogates only come from \uD8xx escapes (strict UTF-8 refuses
    # encoded ones), so only text with such an escape needs the walk
    if "\\u" in text or "\\U" in text:
        if _has_surrogate(data):
            err = fail("text holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text", "E-ENCODING",
                       fact=_surrogate_fact(data))
            raise _located(err, text, line)
    return data


class _Long:
    """An integer literal of too many digits, kept as a marker."""


def _long_int_fact(text: str) -> Optional[str]:
    """The fact path (``a.b``, ``cranes[1].age``) of the first integer of
    too many digits in JSON ``text``, for an ``E-NUMBER`` error to name it
    (SPEC §8: ``fact`` null only when there is none); ``None`` when the
    text cannot be read again or the integer is not under a key."""
    marker = _Long()

    def parse_int(t: str) -> Any:
        return int(t) if int_digits_ok(t) else marker

    try:
        data = json.JSONDecoder(parse_int=parse_int, parse_constant=lambda name: None).decode(text)
    except (ValueError, RecursionError):
        return None
    stack = [(data, "")]
    while stack:  # depth first, in text order
        v, where = stack.pop()
        if v is marker:
            return where or None
        if isinstance(v, dict):
            items = [(x, f"{where}.{k}" if where else k) for k, x in v.items()]
        elif isinstance(v, list):
            items = [(x, f"{where}[{i}]") for i, x in enumerate(v)]
        else:
            continue
        stack.extend(reversed(items))
    return None


_STRING = None


def _too_deep_at(text: str, limit: int) -> Optional[int]:
    """The index of the bracket that opens a mapping or list nested deeper
    than ``limit`` in JSON ``text`` (brackets inside strings aside)."""
    global _STRING
    import re

    if _STRING is None:
        _STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
    masked = _STRING.sub(lambda m: " " * len(m.group()), text)
    depth = 0
    for m in re.finditer(r"[\[\]{}]", masked):
        if m.group() in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        else:
            depth -= 1
    return None


def _lone_surrogate_at(text: str) -> Optional[int]:
    """The index of the first ``\\uXXXX`` escape in ``text`` that is a lone
    surrogate (a high one not followed by a low one, or a low one alone)."""
    import re

    high = None
    for m in re.finditer(r"\\(?:u([0-9a-fA-F]{4})|.)", text):
        v = int(m.group(1), 16) if m.group(1) else None
        if high is not None:
            if v is not None and 0xDC00 <= v <= 0xDFFF and m.start() == high[1]:
                high = None
                continue
            return high[0]
        if v is not None and 0xD800 <= v <= 0xDBFF:
            high = (m.start(), m.end())
        elif v is not None and 0xDC00 <= v <= 0xDFFF:
            return m.start()
    return high[0] if high is not None else None


def _located(err: FactsError, text: str, line: Optional[int]) -> FactsError:
    """``err`` (a refusal the JSON parser's hooks or the surrogate walk
    made, which know no position) with the line and column of what was
    refused: ``NaN``/``Infinity`` found outside strings, a lone surrogate
    escape, and a duplicate key or a long integer found by the YAML loader
    (JSON is YAML 1.2).  Only refused input pays for this.  In a JSON Lines record
    (``line`` given) only the column is set."""
    loc = None
    try:
        if err.message.startswith(("NaN ", "Infinity ", "-Infinity ")):
            import re

            global _STRING
            if _STRING is None:
                _STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
            masked = _STRING.sub(lambda m: " " * len(m.group()), text)
            m = re.search(r"-?Infinity|NaN", masked)
            if m is not None:
                start = text.rfind("\n", 0, m.start()) + 1
                loc = (text.count("\n", 0, m.start()) + 1, m.start() - start + 1)
        elif err.code in ("E-ENCODING", "E-DEPTH"):
            at = _lone_surrogate_at(text) if err.code == "E-ENCODING" else _too_deep_at(text, MAX_FACT_DEPTH)
            if at is not None:
                start = text.rfind("\n", 0, at) + 1
                loc = (text.count("\n", 0, at) + 1, at - start + 1)
        else:
            from safetyrules.source.loader import load_yaml

            try:
                load_yaml(text, "<facts>")
            except RuleFileError as found:
                same = ("duplicate key" in found.message) if "duplicate key" in err.message else found.code == "E-NUMBER"
                if same and found.line is not None and found.column is not None:
                    loc = (found.line, found.column)
    except (ValueError, RecursionError, SafetyRulesError):
        loc = None
    if loc is not None:
        if line is None:
            err.line, err.column = loc
        elif loc[0] == 1:
            err.column = loc[1]
    return err


def _decode(raw: bytes, *, path: Optional[str], line: Optional[int]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        col = len(raw[: exc.start].decode("utf-8", "replace")) + 1
        if line is None:
            from safetyrules.source.files import byte_position

            ln, col = byte_position(raw, exc.start)
            raise FactsError(f"not UTF-8 (byte 0x{raw[exc.start]:02x})", path=path, line=ln, column=col, code="E-ENCODING") from None
        raise FactsError(f"line is not UTF-8 (byte 0x{raw[exc.start]:02x})", path=path, line=line, column=col, code="E-ENCODING") from None


class LongLine:
    """What :func:`bounded_lines` gives for a line longer than its limit,
    in place of the line (which is not kept): ``size``, the bytes of it
    read, and ``rest_unread``, true when no end of line came within
    :data:`~safetyrules.limits.MAX_FACTS_FILE_BYTES` and the input was
    left there."""

    __slots__ = ("size", "rest_unread")

    def __init__(self, size: int, rest_unread: bool = False) -> None:
        self.size = size
        self.rest_unread = rest_unread

    def __repr__(self) -> str:
        return f"LongLine({self.size}, rest_unread={self.rest_unread})"


_PIECE = 1 << 20


def bounded_lines(source: Any, limit: Optional[int] = None) -> Iterator[Any]:
    """The lines of ``source`` (a binary or text file object, read with a
    bounded ``readline``; or an iterable of lines), each as read, except
    that a line of more than ``limit`` bytes (default
    :data:`~safetyrules.limits.MAX_JSONL_LINE_BYTES`; its end of line
    aside) comes as a :class:`LongLine`: it is read in pieces of 1 MiB and
    dropped, so memory stays bounded.  A line with no end within
    :data:`~safetyrules.limits.MAX_FACTS_FILE_BYTES` bytes (``/dev/zero``)
    is the last: its ``LongLine`` has ``rest_unread`` set, and the rest
    of the input is not read.  ``readline`` returns as soon as a line has
    come, so a pipe's lines stream."""
    if limit is None:
        limit = limits.MAX_JSONL_LINE_BYTES
    readline = getattr(source, "readline", None)
    if readline is None:
        for raw in source:
            if type(raw) is LongLine:  # already dropped by its reader (the service's)
                yield raw
            elif len(raw) > limit and (len(raw) > limit + 1 or raw[-1:] not in (b"\n", "\n")):
                yield LongLine(len(raw))
            else:
                yield raw
        return
    give_up = max(limits.MAX_FACTS_FILE_BYTES, limit)
    while True:
        raw = readline(limit + 1)
        if len(raw) <= limit or raw[-1:] in (b"\n", "\n"):
            if not raw:
                return
            yield raw
            continue
        size = len(raw)
        del raw
        while True:
            piece = readline(_PIECE)
            if not piece:
                break
            size += len(piece)
            if piece[-1:] in (b"\n", "\n"):
                size -= 1
                break
            if size > give_up:
                yield LongLine(size, True)
                return
        yield LongLine(size)


def long_line_message(long: LongLine) -> str:
    """The message for a :class:`LongLine` (``E-FILES``)."""
    limit = limits.MAX_JSONL_LINE_BYTES
    if long.rest_unread:
        return (f"line is longer than {limit} bytes and has no end of line within "
                f"{max(limits.MAX_FACTS_FILE_BYTES, limit)} bytes: the rest of the input is not read")
    return f"line is longer than {limit} bytes ({long.size} bytes): not read"


def iter_jsonl_bytes(lines: Iterable[bytes], name: Optional[str] = None) -> Iterator[Entity]:
    """Entities of a JSON Lines stream given as byte lines (or a file
    object, read by :func:`bounded_lines`): one per non-blank line, a bad
    line as an :class:`Entity` holding its error."""
    n = 0
    label = name or "<stream>"
    for n, raw in enumerate(bounded_lines(lines), 1):
        if type(raw) is LongLine:
            yield Entity(f"{label}:{n}", error=FactsError(
                long_line_message(raw), path=name, line=n, column=1, code="E-FILES",
                hint="one line holds one entity; safetyrules.limits.MAX_JSONL_LINE_BYTES bounds it"), line=n)
            continue
        if isinstance(raw, str):  # a text stream: encode back, check alike
            raw = raw.encode("utf-8", "surrogatepass")
        if n == 1 and raw.startswith(_BOM):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            text = _decode(raw, path=name, line=n)
            data = parse_json(text, path=name, line=n)
            if not isinstance(data, dict):
                raise FactsError(
                    f"an entity must be a JSON object, got {_kind(data)}", path=name, line=n,
                    column=len(text) - len(text.lstrip()) + 1, code="E-ENTITY",
                )
        except FactsError as err:
            yield Entity(f"{label}:{n}", error=err, line=n)
            continue
        yield Entity(f"{label}:{n}", facts=data, line=n, text=text)


def line_positions(text: Optional[str]) -> Any:
    """Key paths → positions (line 1, the column) in one JSON Lines record,
    for locating a bad fact on its line; ``None`` when they cannot be had.
    Read again only for a record that turned out bad (JSON is YAML 1.2, so
    the YAML loader gives them)."""
    if not text:
        return None
    from safetyrules.source.loader import load_yaml

    try:
        return load_yaml(text, "<line>").values
    except (ValueError, RecursionError, SafetyRulesError):
        pass
    # a number the loader refuses (1e400: not finite; a 400-digit
    # integer) stops it: again with every number as zeros of its length,
    # which keeps every position
    try:
        return load_yaml(_zero_numbers(text), "<line>").values
    except (ValueError, RecursionError, SafetyRulesError):
        return None


def _zero_numbers(text: str) -> str:
    """JSON ``text`` with each number outside strings written as zeros of
    the same length (``1e400`` -> ``00000``)."""
    import re

    global _STRING
    if _STRING is None:
        _STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
    number = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
    out, pos = [], 0
    for m in _STRING.finditer(text):
        out.append(number.sub(lambda n: "0" * len(n.group()), text[pos:m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(number.sub(lambda n: "0" * len(n.group()), text[pos:]))
    return "".join(out)


def _kind(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true/false"
    if isinstance(data, (int, float)):
        return "a number"
    if isinstance(data, str):
        return "text"
    if isinstance(data, list):
        return "a list"
    return type(data).__name__


def read_facts_file(path: str, raw: Optional[bytes] = None):
    """Read one YAML or JSON facts file → ``(data, positions)``; positions
    map key paths to file positions (YAML only, else ``None``).  Raises a
    located :class:`FactsError`."""
    from safetyrules.source.loader import load_yaml

    if raw is None:
        try:
            with open(path, "rb") as fh:
                raw = fh.read(limits.MAX_FACTS_FILE_BYTES + 1)
        except OSError as exc:
            hint = None
            if isinstance(exc, IsADirectoryError):  # `evaluate examples/facts/`: give its files
                hint = f"give the files in it: {os.path.join(path, '*.yaml')}"
            raise FactsError(f"cannot read facts file: {exc.strerror}", path=path, code="E-FILES", hint=hint) from None
        if len(raw) > limits.MAX_FACTS_FILE_BYTES:
            raise FactsError(
                f"facts file is larger than {limits.MAX_FACTS_FILE_BYTES} bytes",
                path=path, line=1, column=1, code="E-FILES",
                hint="give many entities as JSON Lines (.jsonl), read a line at a time",
            )
    if raw.startswith(_BOM):
        raw = raw[3:]
    text = _decode(raw, path=path, line=None)
    if path.lower().endswith(".json"):  # FACTS.JSON too
        try:
            return parse_json(text, path=path), None
        except FactsError as err:
            if err.message == "JSON: Extra data" and err.column == 1 and (err.line or 0) > 1:
                # a second value at the start of a line: JSON Lines in a .json file
                err.hint = "one entity per line is JSON Lines: name the file .jsonl"
            raise
    try:
        doc = load_yaml(text, path)
    except RuleFileError as err:
        # the loader is the rule files' one: its words for what YAML may not hold
        message = err.message.replace("are not allowed in rule files", "are not allowed in facts files")
        raise FactsError(message, path=path, line=err.line, column=err.column, code=err.code, hint=err.hint) from None
    if ("\\u" in text or "\\U" in text) and _has_surrogate(doc.data):
        raise FactsError("text holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text", path=path, code="E-ENCODING")
    return doc.data, doc.values


def is_stream(path: str) -> bool:
    """Whether ``path`` is read as JSON Lines: ``-`` (stdin), or a name
    ending in ``.jsonl`` / ``.ndjson`` in any case (``EXPORT.JSONL``)."""
    return path == "-" or path.lower().endswith(STREAM_SUFFIXES)


def _stdin_lines() -> Any:
    """stdin as a binary file object, read a bounded line at a time."""
    return sys.stdin.buffer


def iter_entities(paths: Iterable[str]) -> Iterator[Entity]:
    """Every entity of every input, in order.

    A path is a YAML/JSON facts file (one entity, or a list of them) or a
    JSON Lines stream (``.jsonl``, ``.ndjson``; ``-`` is stdin) read a line
    at a time.  Every input is read once; a bad entity comes with its error
    instead of facts, and the iteration goes on.
    """
    for path in paths:
        if is_stream(path):
            if path == "-":
                yield from iter_jsonl_bytes(_stdin_lines(), "<stdin>")
                continue
            try:
                fh = open(path, "rb")
            except OSError as exc:
                yield Entity(path, error=FactsError(f"cannot read facts file: {exc.strerror}", path=path, code="E-FILES"))
                continue
            with fh:
                yield from iter_jsonl_bytes(fh, path)
            continue
        try:
            data, positions = read_facts_file(path)
        except FactsError as err:
            err.path = err.path or path
            yield Entity(path, error=err)
            continue
        if isinstance(data, list):
            if not data:  # `[]`: no entity at all is a mistake, as an empty file is
                yield Entity(path, error=_empty_list(path, positions))
                continue
            for i, item in enumerate(data):
                yield Entity(f"{path}[{i}]", facts=item, index=i, positions=positions, prefix=(i,))
        else:
            yield Entity(path, facts=data, positions=positions)


def _empty_list(path: str, positions: Any) -> FactsError:
    """The error of a facts file holding an empty list (``[]``): located at
    the list in YAML, at 1:1 in JSON (whose positions are not kept)."""
    loc = positions.get(()) if isinstance(positions, dict) else None
    line, column = (loc.line, loc.column) if loc is not None else (1, 1)
    return FactsError(
        "the facts file holds an empty list: no entity to decide; expected a mapping of fact names "
        "to values (or a list of them)",
        path=path, line=line, column=column,
    )


def entities_of(records: Any) -> Iterator[Entity]:
    """The records ``RuleSet.evaluate_many`` takes, as entities.

    ``records`` is an iterable of fact mappings (a pandas or polars
    DataFrame or a pyarrow Table gives its rows); items that are ``str`` or
    ``bytes`` are JSON Lines lines (numbered by position, 1-based, blank
    ones skipped); an :class:`Entity` passes as it is.  ``records`` may
    also be a JSON Lines file object (read as bytes) or a path (any facts
    input :func:`iter_entities` reads).  A record that is not a mapping
    (``None``, a number) becomes an ``E-ENTITY`` error value."""
    if isinstance(records, (str, os.PathLike)):
        yield from iter_entities([os.fspath(records)])
        return
    if hasattr(records, "read"):
        name = getattr(records, "name", None)
        yield from iter_jsonl_bytes(records, name if isinstance(name, str) else None)
        return
    rows = _frame_rows(records)
    if rows is not None:
        records = rows  # a data frame or table: its rows, not its column names
    for n, rec in enumerate(records, 1):
        if type(rec) is dict or isinstance(rec, Mapping):
            yield Entity(f"record {n}", facts=rec)
        elif isinstance(rec, Entity):
            yield rec
        elif isinstance(rec, (str, bytes, bytearray)):
            raw = rec.encode("utf-8", "surrogatepass") if isinstance(rec, str) else bytes(rec)
            for e in iter_jsonl_bytes([raw]):
                yield attrs.evolve(e, label=f"record {n}", line=n) if e.ok else Entity(f"record {n}", error=_at(e.error, n), line=n)
        else:
            yield Entity(
                f"record {n}",
                error=FactsError(f"record {n} must be a mapping of facts, got {_kind(rec)}", code="E-ENTITY"),
            )


def _frame_rows(records: Any) -> Optional[Iterator[dict]]:
    """The rows of a pandas or polars DataFrame or a pyarrow Table (or
    RecordBatch) as dicts keyed by column, a slice at a time; ``None`` for
    anything else.  Iterating a DataFrame itself gives its column names."""
    module = type(records).__module__ or ""
    if module.startswith("pandas") and hasattr(records, "iloc") and hasattr(records, "columns"):
        names = list(records.index.names)
        if all(isinstance(n, str) for n in names) and not set(names) & set(map(str, records.columns)):
            records = records.reset_index()  # a named index is facts (as evaluate_table reads it)

        def pandas_rows(df=records, step=8192):
            for i in range(0, len(df), step):
                yield from df.iloc[i:i + step].to_dict("records")
        return pandas_rows()
    if module.startswith("polars") and not hasattr(records, "iter_rows") and hasattr(records, "collect"):
        records = records.collect()  # a LazyFrame
    if module.startswith("polars") and hasattr(records, "iter_rows"):
        return records.iter_rows(named=True)
    if module.startswith("pyarrow") and hasattr(records, "to_batches"):
        return (row for batch in records.to_batches(8192) for row in batch.to_pylist())
    if module.startswith("pyarrow") and hasattr(records, "to_pylist") and hasattr(records, "schema"):
        return iter(records.to_pylist())
    return None


def _at(err: SafetyRulesError, line: int) -> SafetyRulesError:
    err.line = line
    return err
