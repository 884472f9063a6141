"""Input facts: read (YAML, JSON, JSON Lines) and check against the vocabulary.

Checked facts are a flat dict of dotted path → value in the form the
compiled rules expect: ``int``/``float`` numbers (integers as ``int``),
``datetime.date`` dates, lists of flat dicts.  ``None`` and absence both mean
unknown, so ``None`` values are dropped.
"""

from __future__ import annotations

import datetime
import math
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from safetyrules.dsl.evaluator import flatten as _iterative_flatten
from safetyrules.dsl.types import FactSpec
from safetyrules.diagnostics import kind_words
from safetyrules.errors import FactsError, SafetyRulesError
from safetyrules.limits import INT_BOUND, MAX_INT_DIGITS, text_ok, parse_date

__all__ = ["check_facts", "kind_words", "read_facts", "read_facts_file", "iter_jsonl", "iter_entities", "STREAM_SUFFIXES"]

STREAM_SUFFIXES = (".jsonl", ".ndjson")

_RESERVED_INPUT = ("findings.", "as_of")


def _bad(msg: str, fact: str, **kw) -> FactsError:
    return FactsError(msg, fact=fact, **kw)


def _suggest(word: str, choices) -> Optional[str]:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f"did you mean '{close[0]}'?" if close else None


#: text a bool fact is often given as (YAML 1.1 read these as booleans)
_BOOL_WORDS = frozenset(("yes", "no", "y", "n", "on", "off", "true", "false"))


def _scalar(value: Any, spec: FactSpec, name: str) -> Any:
    t = spec.type
    if t == "bool":
        if value is True or value is False:
            return value
        hint = None
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            hint = "write true or false without quotes: YAML 1.2 reads yes, no, on and off as text"
        raise _bad(f"fact '{name}' must be true or false, got {show(value)}", name, hint=hint)
    if t in ("integer", "number"):
        if isinstance(value, int) and not isinstance(value, bool) and not -INT_BOUND < value < INT_BOUND:
            # checked first: printing such a number would itself raise
            raise _bad(f"fact '{name}' is too large: integers have at most {MAX_INT_DIGITS} digits", name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(f"fact '{name}' must be a number, got {show(value)}", name)
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(f"fact '{name}' must be a finite number, got {show(value)}", name)
        if t == "integer":
            if isinstance(value, float):
                if not value.is_integer():
                    raise _bad(f"fact '{name}' must be a whole number, got {show(value)}", name)
                value = int(value)
        if spec.min is not None and value < spec.min:
            raise _bad(f"fact '{name}' must be at least {spec.min}, got {show(value)}", name)
        if spec.max is not None and value > spec.max:
            raise _bad(f"fact '{name}' must be at most {spec.max}, got {show(value)}", name)
        return value
    if t == "string":
        if not isinstance(value, str):
            raise _bad(f"fact '{name}' must be text, got {show(value)}", name)
        if not value.isascii() and not text_ok(value):
            raise _bad(f"fact '{name}' holds a lone surrogate ({show(value)}), which is not Unicode text", name)
        return value
    if t == "enum":
        if not isinstance(value, str) or value not in (spec.values or ()):
            shown = ", ".join(spec.values or ())
            raise FactsError(
                f"fact '{name}' has value {show(value)}, not one of: {shown}",
                fact=name,
                hint=_suggest(value if isinstance(value, str) else show(value), spec.values or ()),
            )
        return value
    if t == "date":
        if isinstance(value, datetime.datetime):
            raise _bad(f"fact '{name}' must be a date, not a date and time", name)
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return parse_date(value)
            except ValueError:
                pass
        raise _bad(f"fact '{name}' must be a date like 2024-03-01, got {show(value)}", name)
    raise _bad(f"fact '{name}' has an unsupported type {t}", name)  # pragma: no cover


_PLAIN = frozenset((str, int, bool, type(None), datetime.date, list, dict))


def normal_value(value: Any) -> Any:
    """A value from pandas/numpy in the plain form the checks take (issue
    10): NaN, ``NaT`` and ``None`` are unknown (``None``); numpy scalars become
    ``bool``/``int``/``float``/``str``; a timestamp at midnight without a time
    zone (pandas ``Timestamp``, ``datetime``, ``numpy.datetime64``) is its
    date; a numpy array is a list.  Anything else is returned unchanged for
    the checks to accept or refuse."""
    if type(value) is float:
        return None if value != value else value
    mod = type(value).__module__
    if mod == "numpy" or mod.startswith("numpy."):
        import numpy as np

        if isinstance(value, np.ndarray):
            return value.tolist() if value.dtype.kind != "O" else list(value)
        if isinstance(value, np.datetime64):
            if np.isnat(value):
                return None
            value = value.astype("datetime64[us]").item()
        elif isinstance(value, np.generic):
            value = value.item()
            if type(value) is float and value != value:
                return None
            return value
    if type(value).__name__ in ("NaTType", "NAType"):  # pandas NaT and pd.NA (nullable dtypes' missing value)
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None and value.time() == datetime.time(0):
            return value.date()
    return value


def _list(value: Any, spec: FactSpec, name: str) -> List[Dict[str, Any]]:
    if not isinstance(value, (list, tuple)):
        raise _bad(f"fact '{name}' must be a list of items, got {show(value)}", name)
    out = []
    fields = spec.item or {}
    if not fields and spec.values:
        # a list of enum values (entity.activities): each item is checked as the enum
        each = FactSpec("enum", values=spec.values)
        return [_scalar(v, each, f"{name}[{i}]") for i, v in enumerate(value)]
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if type(item) is not dict and not isinstance(item, Mapping):
            raise _bad(f"fact '{where}' must be a mapping of fields, got {show(item)}", where)
        flat = _flatten(item)
        checked: Dict[str, Any] = {}
        for k, v in flat.items():
            fs = fields.get(k)
            if fs is None:
                raise FactsError(
                    f"fact '{where}.{k}' is not a declared field of '{name}' items",
                    fact=f"{where}.{k}",
                    hint=_suggest(k, fields) or (f"fields: {', '.join(fields)}" if fields else None),
                )
            if type(v) not in _PLAIN:
                v = normal_value(v)
            if v is None:
                continue
            checked[k] = _scalar(v, fs, f"{where}.{k}")
        out.append(checked)
    return out


def _unknown(name: str, vocabulary: Mapping[str, FactSpec]) -> None:
    """Raise the most helpful error for an undeclared fact path."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        spec = vocabulary.get(prefix)
        if spec is None:
            continue
        if spec.type == "list":
            raise FactsError(f"fact '{prefix}' must be a list of items, not a mapping", fact=prefix)
        raise FactsError(f"fact '{prefix}' is {spec.type}, it has no part '{'.'.join(parts[i:])}'", fact=name)
    group = sorted(k for k in vocabulary if k.startswith(name + ".") and not k.startswith(_RESERVED_INPUT))
    if group:
        # {"entity": {}} or {"entity": null}: a name that only groups facts has no value of its own
        shown = ", ".join(group[:3]) + (", ..." if len(group) > 3 else "")
        raise FactsError(
            f"'{name}' is a group of facts ({shown}), not a fact: give the facts inside it, nested or dotted",
            fact=name,
        )
    raise FactsError(f"unknown fact '{name}'", fact=name, hint=_suggest(name, vocabulary))


# Types that are never a mapping or a list: ``isinstance(x, Mapping)`` goes
# through ABC machinery (microseconds a call), so the hot path asks ``type()``.
_LEAF_TYPES = frozenset((str, int, float, bool, type(None), datetime.date))


def _flatten(facts: Mapping[str, Any]) -> Dict[str, Any]:
    """:func:`safetyrules.dsl.evaluator.flatten`: iterative, and facts
    nested deeper than :data:`~safetyrules.limits.MAX_FACT_DEPTH` are an
    ``E-DEPTH`` :class:`FactsError` (never a ``RecursionError``).  Only the
    reference path flattens: regular input never reaches it."""
    return _iterative_flatten(facts)


def _put(out: Dict[str, Any], key: str, value: Any) -> None:
    if key in out:
        raise FactsError(f"fact '{key}' is given twice (nested and dotted)", fact=key)
    out[key] = value


_FAST_BOOL, _FAST_NUMBER, _FAST_INT, _FAST_STR, _FAST_ENUM = range(5)


def fast_table(vocabulary: Mapping[str, FactSpec]) -> Dict[str, Tuple[int, Any]]:
    """Per declared input fact, a cheap acceptance test for the common,
    already-normal value (a bool, an in-range number, an enum value); any
    other value takes the full check in :func:`_scalar` / :func:`_list`,
    which converts it or raises.  Build once per rule set."""
    table: Dict[str, Tuple[int, Any]] = {}
    for name, spec in vocabulary.items():
        if name.startswith(_RESERVED_INPUT):
            continue
        t = spec.type
        if t == "bool":
            table[name] = (_FAST_BOOL, None)
        elif t in ("integer", "number") and spec.min is None and spec.max is None:
            table[name] = (_FAST_INT if t == "integer" else _FAST_NUMBER, None)
        elif t == "string":
            table[name] = (_FAST_STR, None)
        elif t == "enum":
            table[name] = (_FAST_ENUM, frozenset(spec.values or ()))
    return table


def _fast_ok(code: int, payload: Any, value: Any) -> bool:
    tv = type(value)
    if code == _FAST_BOOL:
        return tv is bool
    if code == _FAST_ENUM:
        return tv is str and value in payload
    if code == _FAST_INT:
        return tv is int and -INT_BOUND < value < INT_BOUND
    if code == _FAST_NUMBER:
        return (tv is int and -INT_BOUND < value < INT_BOUND) or (tv is float and math.isfinite(value))
    return tv is str and (value.isascii() or text_ok(value))


def show(value: Any) -> str:
    """``repr(value)`` for messages, bounded: never raises (an integer past
    Python's digit limit, a value nested thousands deep) and never long."""
    if type(value) is int and not -INT_BOUND < value < INT_BOUND:
        return f"an integer of more than {MAX_INT_DIGITS} digits"
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlong = 2, 60, 60, 60
    try:
        return r.repr(value)
    except Exception:  # a repr that fails is no reason to lose the message
        return f"a {type(value).__name__}"


def check_facts(
    facts: Mapping[str, Any],
    vocabulary: Mapping[str, FactSpec],
    fast: Optional[Mapping[str, Tuple[int, Any]]] = None,
) -> Dict[str, Any]:
    """Validate and normalise one entity's facts (nested or dotted).

    ``fast`` (from :func:`fast_table`) skips the full check for values that
    are already normal.  Raises :class:`FactsError` naming the dotted path of
    the first bad fact.
    """
    if type(facts) is not dict and not isinstance(facts, Mapping):
        raise FactsError(f"facts must be a mapping of fact names to values, got {kind_words(facts)}")
    fast = fast or {}
    if fast and type(facts) is dict:
        # A flat record of already-normal values (the common batch input)
        # needs no flattening: one pass, else start over on the full path.
        out: Dict[str, Any] = {}
        for name, value in facts.items():
            quick = fast.get(name)
            if quick is None or not _fast_ok(quick[0], quick[1], value):
                break
            out[name] = value
        else:
            return out
    flat = _flatten(facts)
    out = {}
    for name, value in flat.items():
        quick = fast.get(name)
        if quick is not None and _fast_ok(quick[0], quick[1], value):
            out[name] = value
            continue
        spec = vocabulary.get(name)
        if spec is None or name.startswith(_RESERVED_INPUT):
            if name in ("as_of", "findings") or name.startswith("findings."):
                raise FactsError(f"'{name}' is computed by the engine and cannot be given as a fact", fact=name)
            _unknown(name, vocabulary)
        if type(value) not in _PLAIN:
            value = normal_value(value)
        if value is None:
            continue
        if spec.type == "list":
            out[name] = _list(value, spec, name)
        else:
            out[name] = _scalar(value, spec, name)
    return out


def read_facts_file(path: str):
    """Read one facts file (YAML or JSON) → ``(data, positions)``, where
    positions maps key paths to file positions (YAML only, else None).
    Raises a located :class:`FactsError` (see :mod:`safetyrules.engine.reader`)."""
    from safetyrules.engine.reader import read_facts_file as read

    return read(path)


def read_facts(path: str) -> Any:
    """Read a YAML or JSON facts file (one entity, or a list of entities)."""
    return read_facts_file(path)[0]


def iter_jsonl(stream) -> Iterator[Tuple[int, Any, Optional[SafetyRulesError]]]:
    """Yield ``(line_number, data, error)`` per non-blank line of a JSON Lines
    stream (bytes or text lines); a bad line comes with its error, located."""
    from safetyrules.engine.reader import iter_jsonl_bytes

    for e in iter_jsonl_bytes(stream):
        yield e.line, e.facts, e.error


def iter_entities(paths) -> Iterator[Tuple[str, Any, Any, Tuple, Optional[SafetyRulesError]]]:
    """Every entity of every input, in order, as ``(label, facts, positions,
    prefix, error)``: :func:`safetyrules.engine.reader.iter_entities` as
    tuples (that function's :class:`~safetyrules.engine.reader.Entity` also
    carries the JSON Lines line)."""
    from safetyrules.engine.reader import iter_entities as entities

    for e in entities(paths):
        yield e.label, e.facts, e.positions, e.prefix, e.error
