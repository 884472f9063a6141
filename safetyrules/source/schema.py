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
from importlib import resources
from typing import Any, Dict, List, Optional

import jsonschema
from jsonschema.exceptions import relevance

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
    return jsonschema.Draft202012Validator(schema_for(kind))


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


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


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
        return [doc.error(f"{_where(path)} must be {words}, not {_kind_of(err.instance)}", path)]
    if v == "pattern":
        return [doc.error(f"{err.instance!r} is not a valid value for {_where(path)} (expected the form {err.validator_value})", path)]
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
            return [doc.error(f"missing 'kind:'; use one of {', '.join(KINDS)}", ())]
        return [
            doc.error(
                f"unknown kind {kind!r}; use one of {', '.join(KINDS)}",
                ("kind",),
                hint=_suggest(kind, KINDS),
            )
        ]
    errors = sorted(_validator(kind).iter_errors(data), key=relevance)
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
