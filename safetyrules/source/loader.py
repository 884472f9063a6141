"""Safe YAML with positions.

Rule files and fact files are untrusted input.  This loader:

* accepts YAML 1.2 core-schema scalars only (``yes``/``on`` stay text,
  ``2023-05-15`` stays text for the schema layer to read as a date);
* refuses tags, anchors, aliases and merge keys (so "billion laughs" fails on
  its first anchor) and duplicate keys;
* bounds nesting depth and document size;
* keeps the 1-based position of every key and value, and can map a position
  inside a scalar (an expression) back to the file, whatever the scalar's
  style (plain, quoted, ``|`` or ``>`` block).
"""

from __future__ import annotations

import operator
import re
from typing import Any, Dict, List, Optional, Tuple

import attrs
import yaml

from safetyrules.errors import RuleFileError
from safetyrules.limits import MAX_INT_DIGITS, int_digits_ok, int_ok

__all__ = ["Document", "load_yaml", "Loc"]

MAX_DEPTH = 64
MAX_BYTES = 16 * 1024 * 1024

Path = Tuple[Any, ...]


@attrs.frozen
class Loc:
    """A 1-based position in a file."""

    line: int
    column: int


class _Scalar(tuple):
    """Where a scalar's source is: ``start`` (0-based index of its first
    source character), ``end`` and ``style`` (None: plain).  A tuple, so the
    one-pass reader makes one per scalar by ``tuple.__new__`` (a third of
    the cost of a class with an ``__init__``)."""

    __slots__ = ()

    def __new__(cls, start: int, end: int, style: Optional[str]) -> "_Scalar":
        return tuple.__new__(cls, (start, end, style))

    start = property(operator.itemgetter(0))
    end = property(operator.itemgetter(1))
    style = property(operator.itemgetter(2))

    def __getnewargs__(self):  # copy and pickle call __new__ with these
        return tuple(self)

    def __repr__(self) -> str:
        return f"_Scalar(start={self[0]!r}, end={self[1]!r}, style={self[2]!r})"


_new_scalar = tuple.__new__
#: a Loc made without its ``__init__`` (attrs' frozen ``__init__`` goes
#: through ``object.__setattr__`` per field: twice the cost), for the
#: one-pass reader's some ten thousand positions a rule set; the same object
#: ``Loc(line, column)`` makes
_new_loc = object.__new__
_set_line = Loc.__dict__["line"].__set__
_set_column = Loc.__dict__["column"].__set__


@attrs.define
class Document:
    """A parsed YAML document: ``data`` plus positions by JSON path."""

    path: str
    text: str
    data: Any
    values: Dict[Path, Loc] = attrs.field(factory=dict)
    keys: Dict[Path, Loc] = attrs.field(factory=dict)
    scalars: Dict[Path, _Scalar] = attrs.field(factory=dict)
    _line_starts: Optional[List[int]] = None

    def loc(self, path: Path, key: bool = False) -> Loc:
        """Position of the value (or, with ``key=True``, the key) at ``path``;
        falls back to the nearest enclosing node."""
        table = self.keys if key else self.values
        p = tuple(path)
        while True:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            if not p:
                return Loc(1, 1)
            p = p[:-1]

    def error(self, message: str, path: Path = (), *, key: bool = False, code: str = "E-SCHEMA", hint=None) -> RuleFileError:
        loc = self.loc(path, key)
        return RuleFileError(message, path=self.path, line=loc.line, column=loc.column, code=code, hint=hint)

    # -- positions inside scalars --------------------------------------
    def _pos(self, index: int) -> Loc:
        if self._line_starts is None:
            starts = [0]
            for m in re.finditer("\n", self.text):
                starts.append(m.end())
            self._line_starts = starts
        import bisect

        i = bisect.bisect_right(self._line_starts, index) - 1
        return Loc(i + 1, index - self._line_starts[i] + 1)

    def scalar_mapper(self, path: Path):
        """A function (line, column within the scalar's value) → file Loc."""
        info = self.scalars.get(tuple(path))
        value = self._value_at(path)
        if info is None or not isinstance(value, str):
            base = self.loc(path)
            return lambda ln, col: base
        # worked out on the first call: most expressions never report an error
        # (the cell is replaced whole, so a second thread at most works it out again)
        cell: List[Any] = [None]

        def mapper(ln: int, col: int) -> Loc:
            worked = cell[0]
            if worked is None:
                worked = cell[0] = (
                    _align(value, self.text, info.start, info.end, info.style),
                    [0] + [m.end() for m in re.finditer("\n", value)],
                )
            offsets, line_starts = worked
            ln = max(1, min(ln, len(line_starts)))
            i = line_starts[ln - 1] + max(col, 1) - 1
            if not value:
                return self._pos(info.start)
            if i >= len(value):
                # past the end (an expression that stops short): where the value's source ends
                return self._pos(min(offsets[len(value)] + (i - len(value)), info.end))
            return self._pos(offsets[i])

        return mapper

    def _value_at(self, path: Path) -> Any:
        node = self.data
        for k in path:
            try:
                node = node[k]
            except (KeyError, IndexError, TypeError):
                return None
        return node


def _align(value: str, text: str, start: int, end: int, style: Optional[str]) -> List[int]:
    """Source offset of each character of a scalar's value, and one more: where
    the value's source ends.

    Quoted and plain scalars are decoded here by YAML's own rules (escapes
    ``\\x41`` ``\\u00e9`` ``\\"`` … at their backslash, ``''``, line
    folding, escaped line breaks), and the decoding is used when it gives the
    value the parser gave.  Otherwise (block scalars, or a scalar this decoder
    does not read the parser's way) value and source are walked together,
    skipping source characters with no counterpart (quotes, indentation,
    folded line breaks): exact for block scalars, close elsewhere.
    """
    if style in (None, "'", '"'):
        decoded = _decode_flow(text, start, end, style)
        if decoded is not None and decoded[0] == value:
            return decoded[1]
    out = _walk(value, text, start, end, style)
    out.append(min(out[-1] + 1, end) if out else start)
    return out


#: YAML 1.2 double-quoted escapes of one character (§5.7)
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _decode_flow(text: str, start: int, end: int, style: Optional[str]):
    """(value, offsets) of the plain, single- or double-quoted scalar at
    ``text[start:end]``, or None where it does not read as one."""
    chars: List[str] = []
    offs: List[int] = []
    quoted = style is not None
    i = start + 1 if quoted else start
    stop = end - 1 if quoted else end
    if stop < i or (quoted and text[stop:stop + 1] != style):
        return None

    def line_break(k: int) -> int:
        return k + 2 if text.startswith("\r\n", k) else k + 1

    while i < stop:
        c = text[i]
        if c == "\\" and style == '"':
            n = text[i + 1] if i + 1 < stop else ""
            if n in ("\r", "\n"):  # an escaped line break: it and the next line's indentation are nothing
                i = line_break(i + 1)
                while i < stop and text[i] in " \t":
                    i += 1
                continue
            if n in _ESCAPES:
                chars.append(_ESCAPES[n])
                offs.append(i)
                i += 2
                continue
            width = _HEX_ESCAPES.get(n)
            digits = text[i + 2:i + 2 + width] if width else ""
            if not width or len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                return None
            try:
                chars.append(chr(int(digits, 16)))
            except (ValueError, OverflowError):
                return None
            offs.append(i)
            i += 2 + width
            continue
        if c == "'" and style == "'":
            if text[i + 1:i + 2] != "'":
                return None
            chars.append("'")
            offs.append(i)
            i += 2
            continue
        if c in " \t":
            j = i
            while j < stop and text[j] in " \t":
                j += 1
            if j < stop and text[j] in "\r\n":
                i = j  # white space before a line break is not content
                continue
            chars.extend(text[i:j])
            offs.extend(range(i, j))
            i = j
            continue
        if c in "\r\n":
            # line folding: one break is a space, each further (empty) line a line break
            at, empty = i, 0
            i = line_break(i)
            while True:
                j = i
                while j < stop and text[j] in " \t":
                    j += 1
                if j < stop and text[j] in "\r\n":
                    empty += 1
                    i = line_break(j)
                    continue
                i = j
                break
            chars.extend("\n" * empty if empty else " ")
            offs.extend([at] * (empty or 1))
            continue
        chars.append(c)
        offs.append(i)
        i += 1
    offs.append(stop)
    return "".join(chars), offs


def _walk(value: str, text: str, start: int, end: int, style: Optional[str]) -> List[int]:
    j = start
    if style in ("'", '"'):
        j += 1
    elif style in ("|", ">"):
        nl = text.find("\n", j, end)
        j = nl + 1 if nl >= 0 else end
    out: List[int] = []
    for ch in value:
        k = j
        limit = min(end, j + 200)
        while k < limit and text[k] != ch and not (ch == " " and text[k] in "\n"):
            k += 1
        if k >= limit:
            k = j if j < end else max(end - 1, start)
        out.append(k)
        j = k + 1
        if style == "'" and ch == "'" and j < end and text[j] == "'":
            j += 1  # '' is one quote in a single-quoted scalar: its second half has no counterpart
    return out


_NULL = re.compile(r"^(?:~|null|Null|NULL)?$")
_BOOL_T = {"true", "True", "TRUE"}
_BOOL_F = {"false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
#: the first characters of every plain scalar the patterns above can match
_MAY_RESOLVE = frozenset("~nNtTfF+-.0123456789")


def _resolve_plain(text: str) -> Any:
    """YAML 1.2 core schema for plain scalars."""
    if text and text[0] not in _MAY_RESOLVE:
        return text  # no null, bool or number starts so: most words, ids, names
    if _NULL.match(text):
        return None
    if text in _BOOL_T:
        return True
    if text in _BOOL_F:
        return False
    if _INT.match(text):
        # checked before converting: past 4,300 digits int() itself raises
        if not int_digits_ok(text):
            raise _NotANumber(f"integer {_short(text)} has more than {MAX_INT_DIGITS} digits")
        return int(text)
    if _OCT.match(text) or _HEX.match(text):
        if len(text) > 2 * MAX_INT_DIGITS:
            raise _NotANumber(f"integer {_short(text)} is too large")
        value = int(text[2:], 8 if text[1] == "o" else 16)
        if not int_ok(value):
            raise _NotANumber(f"integer {_short(text)} has more than {MAX_INT_DIGITS} digits")
        return value
    if _FLOAT.match(text):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise _NotANumber(f"number {_short(text)} is too large (numbers must be finite)")
        return value
    if _INF.match(text) or _NAN.match(text):
        # no rule or fact takes an infinite or not-a-number value, and JSON
        # output could not print one
        raise _NotANumber(f"{text} is not allowed: numbers must be finite")
    return text


class _NotANumber(Exception):
    """A plain scalar that reads as a number no rule or fact can hold."""


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-6:]} ({len(text)} characters)"


class _Guard:
    """A composer hook refusing anchors, aliases and tags as it goes."""

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("YAML aliases (*name) are not allowed in rule files", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused("YAML anchors (&name) are not allowed in rule files", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise _Refused(f"YAML tags ({tag}) are not allowed in rule files", event.start_mark)
        depth = getattr(self, "_sr_depth", 0)
        if depth > MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        self._sr_depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._sr_depth = depth


class _PyComposer(_Guard, yaml.SafeLoader):
    """Pure-Python scanner and parser."""


if getattr(yaml, "__with_libyaml__", False):

    class _CComposer(_Guard, yaml.composer.Composer, yaml._yaml.CParser, yaml.resolver.Resolver):
        """libyaml's scanner and parser (about 10x faster), with PyYAML's own
        composer on top so every event still passes the guard."""

        def __init__(self, stream) -> None:
            yaml._yaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def dispose(self) -> None:
            pass

    _Composer = _CComposer
else:  # pragma: no cover - PyYAML built without libyaml
    _Composer = _PyComposer


class _Refused(Exception):
    def __init__(self, message: str, mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _line_col_of(text: str, index: int):
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _mark_loc(mark) -> Loc:
    return Loc(mark.line + 1, mark.column + 1)


def load_yaml(text: str, path: str = "<string>") -> Document:
    """Parse one YAML document safely; raise :class:`RuleFileError` with a
    position on any problem."""
    if len(text) > MAX_BYTES:
        raise RuleFileError(f"file is larger than {MAX_BYTES} bytes", path=path, line=1, column=1, code="E-YAML")
    if _CParser is None:  # pragma: no cover - PyYAML built without libyaml
        return load_yaml_composed(text, path)
    doc = Document(path=path, text=text, data=None)
    try:
        # the reader already rejects control characters here
        pending = _from_events(_CParser(text), doc)
    except (_Refused, yaml.YAMLError, RecursionError) as exc:
        raise _yaml_error(exc, text, path) from None
    if pending is not None:
        raise pending
    return doc


def load_yaml_composed(text: str, path: str = "<string>") -> Document:
    """:func:`load_yaml` by PyYAML's composer (the guard on each node), then a
    pass over the node tree: the reference the one-pass reader
    (:func:`_from_events`) must agree with, and the reader when PyYAML has
    no libyaml."""
    if len(text) > MAX_BYTES:
        raise RuleFileError(f"file is larger than {MAX_BYTES} bytes", path=path, line=1, column=1, code="E-YAML")
    try:
        loader = _Composer(text)  # the reader already rejects control characters here
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (_Refused, yaml.YAMLError, RecursionError) as exc:
        raise _yaml_error(exc, text, path) from None
    doc = Document(path=path, text=text, data=None)
    if node is None:
        return doc
    doc.data = _construct(doc, node, ())
    return doc


def _yaml_hint(exc, text: str) -> Optional[str]:
    """What a YAML error's position alone does not say: a tab where YAML
    wants spaces, or where the collection or string it was reading began
    (an unclosed ``[`` or quote is reported where the file ends)."""
    mark = exc.problem_mark
    if mark is not None:
        lines = text.split("\n")
        line = lines[mark.line] if 0 <= mark.line < len(lines) else ""
        if 0 <= mark.column < len(line) and line[mark.column] == "\t":
            return "a tab: YAML indents with spaces, not tabs"
    ctx = exc.context_mark
    if exc.context and ctx is not None and (mark is None or (ctx.line, ctx.column) != (mark.line, mark.column)):
        where = _mark_loc(ctx)
        return f"{exc.context.strip()} that starts at {where.line}:{where.column}"
    return None


def _yaml_error(exc: BaseException, text: str, path: str) -> RuleFileError:
    """The YAML layer's exception → a located :class:`RuleFileError`."""
    if isinstance(exc, _Refused):
        loc = _mark_loc(exc.mark)
        return RuleFileError(exc.message, path=path, line=loc.line, column=loc.column, code="E-YAML")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        loc = _mark_loc(mark) if mark is not None else Loc(1, 1)
        msg = (exc.problem or exc.context or "malformed YAML").strip()
        return RuleFileError(f"YAML: {msg}", path=path, line=loc.line, column=loc.column, code="E-YAML",
                             hint=_yaml_hint(exc, text))
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _line_col_of(text, exc.position)
        return RuleFileError(f"YAML: character {exc.character!r} is not allowed", path=path, line=line, column=col, code="E-YAML")
    if isinstance(exc, yaml.YAMLError):
        return RuleFileError(f"YAML: {exc}", path=path, line=1, column=1, code="E-YAML")
    return RuleFileError("YAML nesting is too deep", path=path, line=1, column=1, code="E-YAML")


_CParser = yaml._yaml.CParser if getattr(yaml, "__with_libyaml__", False) else None

_ScalarEvent = yaml.ScalarEvent
_MappingStartEvent = yaml.MappingStartEvent
_CollectionEndEvent = yaml.CollectionEndEvent
_AliasEvent = yaml.AliasEvent
_StreamEndEvent = yaml.StreamEndEvent
_DocumentStartEvent = yaml.DocumentStartEvent
# the event classes libyaml's parser makes (exact classes: compared with ``is``)
_COLLECTION_ENDS = frozenset({yaml.SequenceEndEvent, yaml.MappingEndEvent})

#: a mapping frame's state between a key and its value: no key read yet, or
#: a key that will not be used (the file is already in error)
_NO_KEY = object()
_BAD_KEY = object()


def _from_events(parser, doc: Document) -> Optional[RuleFileError]:
    """Fill ``doc`` (data, positions of keys, values and scalars) from the
    parser's events in one pass: what :func:`load_yaml_composed` (PyYAML's
    composer with the guard, then :func:`_construct`) gives, without
    building the node tree.

    The guard's refusals and the parser's own errors raise at once, as they
    do while composing.  An error of the construction (a number out of
    range, a non-text, duplicate or merge key) is the first one in document
    order, *returned*: the caller raises it once the whole stream has been
    read, so that a guard or parser error anywhere in the file still comes
    first, as it does when the node tree is composed before it is read."""
    get, peek = parser.get_event, parser.peek_event
    values, keys, scalars = doc.values, doc.keys, doc.scalars
    path_of_doc = doc.path
    new_loc, set_line, set_column, new_scalar = _new_loc, _set_line, _set_column, _new_scalar
    Scalar, LocCls, resolve, may_resolve = _Scalar, Loc, _resolve_plain, _MAY_RESOLVE
    get()  # stream start
    if type(peek()) is _StreamEndEvent:
        get()
        return None
    get()  # document start
    pending: Optional[RuleFileError] = None
    # the open collections: [container (None: read only), path, mapping?,
    # state, a key?]; state: a list's next index, or a mapping's awaited
    # value's path (its key's path: a tuple), _NO_KEY (no key yet) or
    # _BAD_KEY (a key that will not be used: the file is already in error)
    stack: List[list] = []
    root_mark = None
    while True:
        # one event a turn, taken at once (the guard below refuses it just the
        # same after it is taken: nothing else reads the parser's state)
        event = get()
        cls = type(event)
        if stack:
            top = stack[-1]
            if cls in _COLLECTION_ENDS:
                done = stack.pop()
                if not stack:
                    break
                if done[4]:
                    # a collection used as a key: its mapping waits for a value it will not keep
                    stack[-1][3] = _BAD_KEY
                continue
        else:
            top = None
        # the guard, in the order of _Guard.compose_node
        if cls is _AliasEvent:
            raise _Refused("YAML aliases (*name) are not allowed in rule files", event.start_mark)
        if event.anchor is not None:
            raise _Refused("YAML anchors (&name) are not allowed in rule files", event.start_mark)
        tag = event.tag
        if tag is not None:
            raise _Refused(f"YAML tags ({tag}) are not allowed in rule files", event.start_mark)
        if len(stack) > MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        mark = event.start_mark
        scalar = cls is _ScalarEvent
        if top is None:
            root_mark = mark
            container: Any = None
            vpath: Path = ()
            building = True
        else:
            container = top[0]
            building = container is not None and pending is None
            if top[2]:
                state = top[3]
                if state is _NO_KEY:
                    # a key
                    if not scalar:
                        if building:
                            loc = _mark_loc(mark)
                            pending = RuleFileError("mapping keys must be plain text", path=path_of_doc, line=loc.line, column=loc.column, code="E-YAML")
                        is_map = cls is _MappingStartEvent
                        stack.append([None, (), is_map, _NO_KEY if is_map else 0, True])
                        continue
                    key = event.value  # a key is a name, whatever it looks like
                    if building:
                        if key == "<<" and not event.style:
                            loc = _mark_loc(mark)
                            pending = RuleFileError("YAML merge keys (<<) are not allowed in rule files", path=path_of_doc, line=loc.line, column=loc.column, code="E-YAML")
                        elif key in container:
                            loc = _mark_loc(mark)
                            first = keys.get(top[1] + (key,))
                            where = f" (first at line {first.line})" if first else ""
                            pending = RuleFileError(f"duplicate key '{key}'{where}", path=path_of_doc, line=loc.line, column=loc.column, code="E-YAML")
                        else:
                            kpath = top[3] = top[1] + (key,)
                            loc = keys[kpath] = new_loc(LocCls)
                            set_line(loc, mark.line + 1)
                            set_column(loc, mark.column + 1)
                            continue
                    top[3] = _BAD_KEY
                    continue
                # a value
                top[3] = _NO_KEY
                if state is _BAD_KEY:
                    building = False
                    vpath = ()
                else:
                    vpath = state
            else:
                vpath = top[1] + (top[3],)
                top[3] += 1
        if scalar:
            if building:
                loc = values[vpath] = new_loc(LocCls)
                set_line(loc, mark.line + 1)
                set_column(loc, mark.column + 1)
                value: Any = event.value
                if event.style:
                    scalars[vpath] = new_scalar(Scalar, (mark.index, event.end_mark.index, event.style))
                else:  # libyaml says '' for plain, PyYAML None
                    scalars[vpath] = new_scalar(Scalar, (mark.index, event.end_mark.index, None))
                    if value and value[0] in may_resolve or not value:
                        try:
                            value = resolve(value)
                        except _NotANumber as exc:
                            pending = RuleFileError(str(exc), path=path_of_doc, line=loc.line, column=loc.column, code="E-NUMBER")
                if container is None:
                    doc.data = value
                elif type(container) is list:
                    container.append(value)
                else:
                    container[vpath[-1]] = value
            if top is None:
                break
            continue
        mapping = cls is _MappingStartEvent
        new: Any = None
        if building:
            loc = values[vpath] = new_loc(LocCls)
            set_line(loc, mark.line + 1)
            set_column(loc, mark.column + 1)
            new = {} if mapping else []
            if top is None:
                doc.data = new
            elif type(container) is list:
                container.append(new)
            else:
                container[vpath[-1]] = new
        stack.append([new, vpath, mapping, _NO_KEY if mapping else 0, False])
    get()  # document end
    if type(peek()) is not _StreamEndEvent:
        event = get()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", root_mark, "but found another document", event.start_mark
        )
    get()  # stream end
    return pending


def _construct(doc: Document, node, path: Path) -> Any:
    # Iterative over siblings, recursive over depth (bounded by MAX_DEPTH).
    doc.values[path] = _mark_loc(node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        style = node.style or None  # libyaml says '' for plain, PyYAML None
        doc.scalars[path] = _Scalar(node.start_mark.index, node.end_mark.index, style)
        if style is None:
            try:
                return _resolve_plain(node.value)
            except _NotANumber as exc:
                loc = doc.values[path]
                raise RuleFileError(str(exc), path=doc.path, line=loc.line, column=loc.column, code="E-NUMBER") from None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_construct(doc, item, path + (i,)) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: Dict[Any, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                loc = _mark_loc(knode.start_mark)
                raise RuleFileError("mapping keys must be plain text", path=doc.path, line=loc.line, column=loc.column, code="E-YAML")
            plain = not knode.style
            try:
                key = knode.value if not plain else _resolve_plain(knode.value)
            except _NotANumber:
                key = knode.value  # a key is a name, whatever it looks like
            if plain and knode.value == "<<":
                loc = _mark_loc(knode.start_mark)
                raise RuleFileError("YAML merge keys (<<) are not allowed in rule files", path=doc.path, line=loc.line, column=loc.column, code="E-YAML")
            if not isinstance(key, str):
                key = knode.value  # keys are names: `1`, `true` are text here
            if key in out:
                loc = _mark_loc(knode.start_mark)
                first = doc.keys.get(path + (key,))
                where = f" (first at line {first.line})" if first else ""
                raise RuleFileError(f"duplicate key '{key}'{where}", path=doc.path, line=loc.line, column=loc.column, code="E-YAML")
            doc.keys[path + (key,)] = _mark_loc(knode.start_mark)
            out[key] = _construct(doc, vnode, path + (key,))
        return out
    raise RuleFileError("unsupported YAML node", path=doc.path, line=1, column=1, code="E-YAML")  # pragma: no cover
