"""JSON Schemas (2020-12) generated from a rule set's plan.

``facts_schema(plan)`` describes the facts an entity may give: every declared
input fact, in the dotted form (``"gas.alarm.installed": true``) and in the
nested form (``{"gas": {"alarm": {"installed": true}}}``) alike, since the
engine reads both (SPEC §2); ``null`` means unknown.  ``decision_schema(plan)``
describes ``Decision.to_dict()`` for that rule set: the level, tier and
inspection values come from the vocabulary.  Both are plain data, built once
per plan, and printed by ``safetyrules schema facts|decision`` and served at
``/v1/schema/facts`` and ``/v1/schema/decision``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from safetyrules.dsl.types import FactSpec
from safetyrules.plan.model import Plan

__all__ = ["facts_schema", "decision_schema", "problem_schema", "DIALECT", "canonical_json"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def canonical_json(data: Any) -> str:
    """The project's canonical JSON: sorted keys, UTF-8 kept, compact."""
    import json

    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _nullable(schema: Dict[str, Any]) -> Dict[str, Any]:
    """``schema`` or ``null`` (unknown).  The engine reads an empty mapping
    on a fact as unknown too (docs/errors.md); the schema leaves that
    leniency out, so that a fact's schema stays its type and ``null``
    (``["integer", "null"]``, the values and ``null``), as integrators
    read it."""
    t = schema.get("type")
    if isinstance(t, str):
        schema["type"] = [t, "null"]
    elif "enum" in schema:
        schema["enum"] = list(schema["enum"]) + [None]
    return schema


def _annotate(schema: Dict[str, Any], spec: FactSpec) -> Dict[str, Any]:
    if spec.title:
        title = spec.title.get("en") or spec.title.get("zh")
        if title:
            schema["title"] = title
        schema["x-title"] = dict(spec.title)
    if spec.description:
        schema["description"] = spec.description
    if spec.unit:
        schema["x-unit"] = spec.unit
    return schema


def _leaf(spec: FactSpec, once_rule: bool = True) -> Dict[str, Any]:
    t = spec.type
    s: Dict[str, Any]
    if t == "bool":
        s = {"type": "boolean"}
    elif t in ("integer", "number"):
        s = {"type": t}
        if spec.min is not None:
            s["minimum"] = spec.min
        if spec.max is not None:
            s["maximum"] = spec.max
    elif t == "enum":
        s = {"enum": list(spec.values or ())}
    elif t == "date":
        s = {"type": "string", "format": "date"}
    elif t == "list" and spec.item is None and spec.values is not None:
        # a list of plain values (``values:``, e.g. entity.activities): each
        # item one of them, never null
        s = {"type": "array", "items": {"enum": list(spec.values)}}
    elif t == "list":
        s = {"type": "array", "items": _tree(dict(spec.item or {}), once_rule)}
    else:
        s = {"type": "string"}
    return _annotate(_nullable(s), spec)


def _prefixes(name: str) -> List[str]:
    """``a``, ``a.b``, ``a.b.c`` for ``a.b.c``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _lacks(rest: str) -> Dict[str, Any]:
    """An object that does not give the fact ``rest`` (relative to it) in
    any spelling (``null`` counts as given: the engine counts it).  Said
    without ``not``, which schema-driven generators (schemathesis) cannot
    build values from."""
    props: Dict[str, Any] = {rest: False}
    for p in _prefixes(rest)[:-1]:
        props[p] = _lacks(rest[len(p) + 1:])
    return {"properties": props}


def _merge(into: Dict[str, Any], more: Dict[str, Any]) -> None:
    """``more`` (property schemas made of ``properties`` and ``False``)
    merged into ``into``: a property both name must meet both."""
    for k, v in more.items():
        old = into.get(k)
        if old is None:
            into[k] = v
        elif old is False or v is False:
            into[k] = False
        else:
            _merge(old.setdefault("properties", {}), v.get("properties", {}))


def _tree(specs: Mapping[str, FactSpec], once_rule: bool = True) -> Dict[str, Any]:
    """An object schema accepting ``specs`` (dotted names, relative to the
    object) as the engine reads them: at every level, any prefix of a name
    as a key, holding the rest nested or dotted (``{"gas.alarm":
    {"installed": true}}`` as well as ``{"gas": {"alarm.installed":
    true}}``); a group — a prefix that is not itself a fact — is an object
    with at least one key (``{"entity": null}`` or ``{}`` has no value); and
    no fact is given twice, in two spellings."""
    props: Dict[str, Any] = {}
    groups: Dict[str, Dict[str, FactSpec]] = {}
    for name in sorted(specs):
        props[name] = _leaf(specs[name], once_rule)
        for p in _prefixes(name)[:-1]:
            groups.setdefault(p, {})[name[len(p) + 1:]] = specs[name]
    for p, sub in sorted(groups.items()):
        if p in props:  # a leaf and a group of one name: the leaf wins
            continue
        node = _tree(sub, once_rule)
        node["minProperties"] = 1
        props[p] = node
    # no fact twice: when a key ``long`` is there, no shorter key ``short``
    # (a prefix of ``long``) gives a fact that ``long`` gives too.  Hung on
    # the longer key (dependentSchemas: only keys that are there cost a
    # validator anything); said without ``not``.
    once: Dict[str, Dict[str, Any]] = {}
    keys = list(props) if once_rule else []
    for long in keys:
        shorts = [k for k in keys if long.startswith(k + ".")]
        if not shorts:
            continue
        rule: Dict[str, Any] = {}
        if long in specs:  # the fact itself: no shorter key gives it
            rule["properties"] = {}
            for short in shorts:
                _merge(rule["properties"], {short: _lacks(long[len(short) + 1:])})
        else:  # a group: for each of its facts, one of the two keys lacks it
            rule["allOf"] = [
                {"anyOf": [{"properties": {short: _lacks(name[len(short) + 1:])}},
                           {"properties": {long: _lacks(name[len(long) + 1:])}}]}
                for name in sorted(n for n in specs if n.startswith(long + "."))
                for short in shorts
            ]
        once[long] = rule
    out: Dict[str, Any] = {"type": "object", "properties": dict(sorted(props.items())), "additionalProperties": False}
    if once:
        out["dependentSchemas"] = dict(sorted(once.items()))
    return out


def facts_schema(plan: Plan, *, once_rule: bool = True) -> Dict[str, Any]:
    """The JSON Schema of the facts ``plan`` accepts (dotted or nested keys).

    ``once_rule=False`` leaves out the rule that no fact is given twice
    (its ``dependentSchemas``): the OpenAPI document's copy, since
    schema-driven generators (schemathesis) give up on a schema with
    hundreds of them; every other rule is the same."""
    specs = {n: plan.facts[n] for n in plan.input_facts()}
    schema = _tree(specs, once_rule)
    return {
        "$schema": DIALECT,
        "$id": f"urn:safetyrules:{plan.id}:facts",
        "title": f"Facts accepted by rule set {plan.id}",
        "description": (
            "One entity's facts. Keys are dotted fact paths or the same paths as nested "
            "objects, split at any dots; null and absence both mean unknown. "
            "A group of facts (entity) has no value of its own, and giving one fact twice "
            "(nested and dotted) is an error."
        ),
        **schema,
    }


def _values(plan: Plan, fact: Optional[str]) -> Optional[List[Any]]:
    spec = plan.facts.get(fact) if fact else None
    if spec is not None and spec.values:
        return list(spec.values)
    return None


def _maybe_enum(values: Optional[List[Any]]) -> Dict[str, Any]:
    if values is None:
        return {}
    return {"enum": values + [None]}


_TITLE = {"type": "object", "additionalProperties": {"type": "string"}}
_CLAUSE_FIELDS = {
    "standard": {"type": "string"},
    "version": {"type": ["string", "null"]},
    "clause": {"type": "string"},
    "cite": {"type": ["string", "null"]},
    "severity": {"enum": ["major", "general"]},
    "category": {"type": ["string", "null"]},
    "title": _TITLE,
    "status": {"type": "string"},
}


def decision_schema(plan: Plan) -> Dict[str, Any]:
    """The JSON Schema of ``Decision.to_dict()`` for ``plan`` (SPEC §4, §8)."""
    level_values = _values(plan, plan.decision.get("level"))
    level = _maybe_enum(level_values)
    finding = {
        "type": "object",
        "properties": {**_CLAUSE_FIELDS, "facts": {"type": "object"}},
        "required": sorted(list(_CLAUSE_FIELDS) + ["facts"]),
        "additionalProperties": False,
    }
    if any(c.provenance is not None for c in plan.clauses):
        # supervision.md §8.5: findings of clauses that declare provenance
        text = {"type": ["string", "null"]}
        finding["properties"]["provenance"] = {
            "type": "object",
            "properties": {"layer": text, "authority": text, "doc_no": text, "kind": text},
            "required": ["authority", "doc_no", "kind", "layer"],
            "additionalProperties": False,
        }
    if any(getattr(spec, "key", None) for spec in plan.facts.values()):
        # supervision.md §8.8 4: the items of a keyed list that make it true
        finding["properties"]["subjects"] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
    undetermined = {
        "type": "object",
        "properties": {**_CLAUSE_FIELDS, "missing": {"type": "array", "items": {"type": "string"}}},
        "required": sorted(list(_CLAUSE_FIELDS) + ["missing"]),
        "additionalProperties": False,
    }
    outputs = {
        t.output: ({"type": ["array", "null"]} if t.hit == "collect" else _maybe_enum(_values(plan, t.output)))
        for t in plan.tables
    }
    entity = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "grid": {"type": "string"},
            "status": _values_schema(plan, "entity.status"),
            "sector": _values_schema(plan, "entity.sector"),
        },
        "additionalProperties": False,
    }
    props: Dict[str, Any] = {
        "ruleset": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}},
            "required": ["id", "digest"],
            "additionalProperties": False,
        },
        "as_of": {"type": "string", "format": "date"},
        "findings": {"type": "array", "items": finding},
        "undetermined": {"type": "array", "items": undetermined},
        "major_hazard": {"type": ["boolean", "null"]},
        "outputs": {"type": "object", "properties": outputs, "additionalProperties": False},
        "given": {"type": "array", "items": {"type": "string"}},
        "level": level,
        "tier": _maybe_enum(_values(plan, plan.decision.get("tier"))),
        "inspection": _maybe_enum(_values(plan, plan.decision.get("inspection"))),
        "warnings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "required": ["code", "message"],
            },
        },
        "missing": {"type": "array", "items": {"type": "string"}},
        "entity": entity,
        "level_range": {
            "type": "object",
            "properties": {"least": level, "most": level},
            "required": ["least", "most"],
            "additionalProperties": False,
        },
        "next_questions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "fact": {"type": "string"},
                    "settles": {"type": "array", "items": {"type": "string"}},
                    "major": {"type": "integer", "minimum": 0},
                },
                "required": ["fact", "settles", "major"],
                "additionalProperties": False,
            },
        },
        "line": {"type": "integer", "minimum": 1},
        "explanation": {"type": "object"},
    }
    required = [
        "ruleset", "as_of", "findings", "undetermined", "major_hazard", "outputs",
        "given", "level", "tier", "inspection", "warnings", "missing",
    ]
    return {
        "$schema": DIALECT,
        "$id": f"urn:safetyrules:{plan.id}:decision",
        "title": f"A decision of rule set {plan.id}",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _values_schema(plan: Plan, fact: str) -> Dict[str, Any]:
    values = _values(plan, fact)
    return {"enum": values} if values is not None else {"type": "string"}


def problem_schema() -> Dict[str, Any]:
    """The JSON Schema of the service's ``application/problem+json`` answers."""
    return {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fact": {"type": ["string", "null"]},
                    },
                    "required": ["code", "message", "fact"],
                },
            },
        },
        "required": ["type", "title", "status", "detail", "errors"],
    }
