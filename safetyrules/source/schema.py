"""JSON Schema validation of rule files, with errors located in the file.

One schema per file ``kind`` ships in ``safetyrules/source/schemas/`` (draft
2020-12); ``safetyrules schema KIND`` prints it for editors.  Errors are
turned into one-sentence messages pointing at the offending key or value,
with a did-you-mean for misspelt keys and enum values.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from importlib import resources
from typing import Any, Dict, List, Optional

from safetyrules.diagnostics import kind_words
from safetyrules.errors import RuleFileError
from safetyrules.source.loader import Document

__all__ = ["KINDS", "schema_for", "validate_document"]

KINDS = ("vocabulary", "table", "standard", "ruleset")


@functools.lru_cache(maxsize=None)
def schema_for(kind: str) -> Dict[str, Any]:
    """The JSON Schema for one file kind."""
    text = resources.files("safetyrules.source").joinpath("schemas").joinpath(f"{kind}.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=None)
def _validator(kind: str):
    # imported here: a file the closures below call valid never needs it
    import jsonschema

    return jsonschema.Draft202012Validator(schema_for(kind))


# ---------------------------------------------------------------------------
# The validity test of a whole file, fast.
#
# jsonschema walks the schema anew for every instance (about 3 ms a rule
# file); nearly every file loaded is valid and needs no message.  So each
# kind's schema is also turned, once, into a tree of small closures that
# answer only "is it valid?", keyword by keyword as jsonschema's
# Draft202012Validator defines them (jsonschema/_keywords.py), for the
# keywords our schemas use.  A file it calls valid has no schema error; any
# other file (or one it cannot judge: _Unsure) goes through jsonschema as
# before, which gives the errors.  A schema with a keyword not handled here
# gets no closure tree (every file then goes through jsonschema).
# tests/robustness/test_schema_fast.py checks the two agree on valid and
# broken files.


class _Unsure(Exception):
    """This instance is beyond what the closures judge exactly."""


class _Unsupported(Exception):
    """The schema uses a keyword the closures do not implement."""


_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"})


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_TYPE_TESTS = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    # draft 2020-12: a float with no fractional part is an integer
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer()),
}


def _equal_to(c):
    """``lambda x: jsonschema._utils.equal(x, c)`` for a scalar ``c``."""
    if isinstance(c, str):
        return lambda x: isinstance(x, str) and x == c
    if isinstance(c, bool) or c is None:
        return lambda x: x is c
    if isinstance(c, (int, float)):
        return lambda x: _is_number(x) and x == c
    raise _Unsupported(f"enum/const value {c!r}")


# A character class spanning U+0080..U+FFFF costs ``re`` some milliseconds
# to compile (it fills a table entry by entry); written as "not ASCII and not
# past U+FFFF" the same class compiles at once.
_BMP_RANGE = "\\u0080-\\uffff"
_CLASS = re.compile(r"\[(?!\^)((?:\\.|[^\]\\])*)\]")
_NON_ASCII_BMP = r"(?![\x00-\x7f])[^\U00010000-\U0010ffff]"


def fast_pattern(pattern: str) -> str:
    """``pattern`` with each ``[...\\u0080-\\uffff...]`` class written as an
    alternative that matches the same characters and compiles quickly."""
    if _BMP_RANGE not in pattern:
        return pattern

    def one(m: "re.Match[str]") -> str:
        body = m.group(1)
        if _BMP_RANGE not in body:
            return m.group(0)
        rest = body.replace(_BMP_RANGE, "")
        return f"(?:[{rest}]|{_NON_ASCII_BMP})" if rest else f"(?:{_NON_ASCII_BMP})"

    return _CLASS.sub(one, pattern)


def _compile_pattern(pattern: str) -> "re.Pattern[str]":
    return re.compile(fast_pattern(pattern))


def _compile_schema(root: Dict[str, Any]):
    defs: Dict[str, Any] = {}

    def ref(target: str):
        prefix = "#/$defs/"
        if not target.startswith(prefix) or "/" in target[len(prefix):] or "~" in target or "%" in target:
            raise _Unsupported(f"$ref {target}")
        name = target[len(prefix):]
        if name not in (root.get("$defs") or {}):
            raise _Unsupported(f"$ref {target}")
        if name not in defs:
            defs[name] = None  # being compiled: a recursive reference reads it late
            defs[name] = compile_(root["$defs"][name])

        def check(x):
            return defs[name](x)

        return check

    def compile_(schema):
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        checks = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key in ("then", "else"):
                continue
            if key == "type":
                names = [value] if isinstance(value, str) else list(value)
                if len(names) == 1:
                    checks.append(_TYPE_TESTS[names[0]])
                else:
                    tests = tuple(_TYPE_TESTS[n] for n in names)
                    checks.append(lambda x, tests=tests: any(t(x) for t in tests))
            elif key == "const":
                checks.append(_equal_to(value))
            elif key == "enum":
                tests = tuple(_equal_to(c) for c in value)
                checks.append(lambda x, tests=tests: any(t(x) for t in tests))
            elif key == "pattern":
                search = _compile_pattern(value).search
                checks.append(lambda x, search=search: not isinstance(x, str) or search(x) is not None)
            elif key == "minLength":
                checks.append(lambda x, n=value: not isinstance(x, str) or len(x) >= n)
            elif key == "minItems":
                checks.append(lambda x, n=value: not isinstance(x, list) or len(x) >= n)
            elif key == "minProperties":
                checks.append(lambda x, n=value: not isinstance(x, dict) or len(x) >= n)
            elif key == "exclusiveMinimum":
                checks.append(lambda x, m=value: not _is_number(x) or x > m)
            elif key == "uniqueItems":
                if value:
                    checks.append(_unique)
            elif key == "required":
                names = tuple(value)
                checks.append(lambda x, names=names: not isinstance(x, dict) or all(n in x for n in names))
            elif key == "properties":
                props = {k: compile_(v) for k, v in value.items()}

                def properties(x, props=props):
                    if isinstance(x, dict):
                        for k, v in x.items():
                            c = props.get(k)
                            if c is not None and not c(v):
                                return False
                    return True

                checks.append(properties)
            elif key == "patternProperties":
                pats = tuple((re.compile(k).search, compile_(v)) for k, v in value.items())
                checks.append(
                    lambda x, pats=pats: not isinstance(x, dict)
                    or all(c(v) for search, c in pats for k, v in x.items() if search(k))
                )
            elif key == "additionalProperties":
                known = frozenset(schema.get("properties") or ())
                joined = "|".join(schema.get("patternProperties") or {})
                search = re.compile(joined).search if joined else None
                extra = compile_(value)

                def additional(x, known=known, search=search, extra=extra):
                    if not isinstance(x, dict):
                        return True
                    for k, v in x.items():
                        if k in known or (search is not None and search(k)):
                            continue
                        if not extra(v):
                            return False
                    return True

                checks.append(additional)
            elif key == "propertyNames":
                names_ok = compile_(value)
                checks.append(lambda x, c=names_ok: not isinstance(x, dict) or all(c(k) for k in x))
            elif key == "items":
                if "prefixItems" in schema:
                    raise _Unsupported("prefixItems")
                item = compile_(value)

                def items(x, c=item):
                    if isinstance(x, list):
                        for v in x:
                            if not c(v):
                                return False
                    return True

                checks.append(items)
            elif key == "$ref":
                checks.append(ref(value))
            elif key == "allOf":
                subs = tuple(compile_(v) for v in value)
                checks.append(lambda x, subs=subs: all(c(x) for c in subs))
            elif key == "anyOf":
                subs = tuple(compile_(v) for v in value)
                checks.append(lambda x, subs=subs: any(c(x) for c in subs))
            elif key == "if":
                cond = compile_(value)
                then = compile_(schema["then"]) if "then" in schema else None
                else_ = compile_(schema["else"]) if "else" in schema else None

                def if_(x, cond=cond, then=then, else_=else_):
                    if cond(x):
                        return then is None or then(x)
                    return else_ is None or else_(x)

                checks.append(if_)
            else:
                raise _Unsupported(key)
        checks_t = tuple(checks)
        if not checks_t:
            return lambda x: True
        if len(checks_t) == 1:
            return checks_t[0]

        def every(x):
            for c in checks_t:
                if not c(x):
                    return False
            return True

        return every

    return compile_(root)


def _unique(x) -> bool:
    if not isinstance(x, list):
        return True
    if all(type(v) is str for v in x):
        return len(set(x)) == len(x)
    raise _Unsure("uniqueItems over values that are not all text")


@functools.lru_cache(maxsize=None)
def _fast_valid(kind: str):
    """The closure tree of one kind's schema, or None (see above)."""
    try:
        return _compile_schema(schema_for(kind))
    except (_Unsupported, KeyError, TypeError, re.error):
        return None


def is_valid(kind: str, data: Any) -> Optional[bool]:
    """Whether ``data`` is valid against ``kind``'s schema by the closures:
    True or False exactly as jsonschema would say, or None when they cannot
    tell (a keyword or value they do not handle)."""
    check = _fast_valid(kind)
    if check is None:
        return None
    try:
        return bool(check(data))
    except (_Unsure, RecursionError):
        return None


def _suggest(word: Any, choices) -> Optional[str]:
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


_TYPE_WORDS = {
    "string": "text",
    "object": "a mapping",
    "array": "a list",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "nothing",
}


#: the schemas' patterns in words, for a user who wrote 2025/01/01 (a
#: pattern not listed is shown as it is)
_PATTERN_WORDS = {
    r"^\d{4}-\d{2}-\d{2}$": "a date written YYYY-MM-DD, such as 2025-01-01",
    r"^W-[A-Z0-9][A-Z0-9-]*$": "W- then capitals, digits and '-', such as W-GB18218-GIVEN",
    r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)+$": "lower-case words joined by '/', such as on-site/gas",
}


def _where(path) -> str:
    parts = [p for p in path if isinstance(p, str)]
    return f"'{parts[-1]}'" if parts else "the file"


def _to_errors(doc: Document, err) -> List[RuleFileError]:
    path = tuple(err.absolute_path)
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list((err.schema.get("properties") or {}).keys())
        known = set(allowed)
        patterns = err.schema.get("patternProperties") or {}
        out = []
        import re

        for key in err.instance:
            if key in known or any(re.search(p, key) for p in patterns):
                continue
            where = f" in {_where(path)}" if path else ""
            out.append(
                doc.error(
                    f"unknown key '{key}'{where}",
                    path + (key,),
                    key=True,
                    hint=_suggest(key, allowed) or (f"allowed: {', '.join(allowed)}" if allowed else None),
                )
            )
        return out
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [doc.error(f"missing required key '{missing}'" + (f" in {_where(path)}" if path else ""), path)]
    if v == "enum":
        choices = err.validator_value
        shown = ", ".join("unknown" if c == "unknown" else json.dumps(c) if not isinstance(c, str) else c for c in choices)
        return [doc.error(f"{err.instance!r} is not allowed for {_where(path)}: use one of {shown}", path, hint=_suggest(err.instance, choices))]
    if v == "const":
        return [doc.error(f"{_where(path)} must be {err.validator_value!r}", path)]
    if v == "type":
        want = err.validator_value
        want = [want] if isinstance(want, str) else want
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in want)
        return [doc.error(f"{_where(path)} must be {words}, not {kind_words(err.instance, null='nothing')}", path)]
    if v == "pattern":
        form = _PATTERN_WORDS.get(err.validator_value, f"the form {err.validator_value}")
        return [doc.error(f"{err.instance!r} is not a valid value for {_where(path)} (expected {form})", path)]
    if v == "minItems":
        return [doc.error(f"{_where(path)} must not be empty", path)]
    if v == "propertyNames":
        return [doc.error(f"{err.instance!r}: " + err.message, path)]
    return [doc.error(f"{_where(path)}: {err.message}", path)]


def validate_document(doc: Document) -> List[RuleFileError]:
    """Schema errors of one rule file, located, best first."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.error("a rule file must be a mapping with a 'kind:' key", ())]
    kind = data.get("kind")
    if kind not in KINDS:
        if kind is None:
            # `safetyrules validate facts.yaml`: an entity's facts given as rules
            facts = any(isinstance(k, str) and (k == "entity" or k.startswith("entity.")) for k in data)
            hint = "a facts file? decide it with safetyrules evaluate FILE; a rule file starts with kind:" if facts else None
            return [doc.error(f"missing 'kind:'; use one of {', '.join(KINDS)}", (), hint=hint)]
        return [
            doc.error(
                f"unknown kind {kind!r}; use one of {', '.join(KINDS)}",
                ("kind",),
                hint=_suggest(kind, KINDS),
            )
        ]
    if is_valid(kind, data):
        return []
    import jsonschema.exceptions

    errors = sorted(_validator(kind).iter_errors(data), key=jsonschema.exceptions.relevance)
    out: List[RuleFileError] = []
    seen = set()
    for err in errors:
        # For oneOf/anyOf the deepest, most relevant sub-error explains best.
        if err.context:
            err = jsonschema.exceptions.best_match(err.context) or err
        for e in _to_errors(doc, err):
            key = (e.line, e.column, e.message)
            if key not in seen:
                seen.add(key)
                out.append(e)
    out.sort(key=lambda e: (e.line or 0, e.column or 0))
    return out
