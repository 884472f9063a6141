"""Writes safetyrules/source/schemas/*.json (draft 2020-12).  Run after editing:
    python tools/gen_schemas.py
A test checks the shipped files are up to date."""

import json
import pathlib

D = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://safetyrules.invalid/schemas/"

ID = {"type": "string", "pattern": r"^[A-Za-z0-9_\u0080-\uffff][A-Za-z0-9_.\-\u0080-\uffff]*$", "description": "An identifier: letters, digits, '_', '.', '-'."}
TITLE = {
    "type": "object",
    "description": "Titles by language code: zh, en.",
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
    "patternProperties": {"^[a-z]{2}(-[A-Za-z]{2,4})?$": {"type": "string"}},
    "additionalProperties": False,
}
EXPR = {"type": "string", "minLength": 1, "description": "An expression (docs/expressions.md)."}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "An ISO 8601 date, e.g. 2023-05-15."}
STATUS = {"enum": ["verified", "provisional"], "description": "provisional: encoded from a partly verified text; carried into findings."}
VERSION = {"type": ["string", "integer", "number"], "description": "The edition, e.g. \"2023\"."}
SCALAR = {"type": ["string", "number", "integer", "boolean"]}
FACTS = {"type": "object", "description": "Facts: dotted keys or nested mappings."}

SCALAR_TYPES = ["bool", "integer", "number", "string", "enum", "date"]

# Overlay provenance (supervision.md §8.5): on a standard (inherited by its clauses) or a clause.
PROVENANCE = {
    "layer": {"enum": ["national", "provincial", "municipal", "district", "street", "grid"]},
    "authority": {"type": "string"},
    "doc_no": {"type": "string", "description": "The document number (文号)."},
    "published": DATE,
    "scope": {"type": "array", "items": {"type": "string"}, "description": "Administrative division codes and/or grid ids."},
    "kind": {"enum": ["enforcement", "patrol_guidance", "self_check"]},
    "basis": {"type": "array", "items": {"anyOf": [
        {"type": "object", "properties": {"standard": {"type": "string"}, "clause": {"type": "string"}, "version": VERSION}, "required": ["standard"], "additionalProperties": False},
        {"type": "object", "properties": {"law": {"type": "string"}, "article": {"type": "string"}}, "required": ["law"], "additionalProperties": False},
    ]}},
    "snapshot": {"type": "object", "properties": {"url": {"type": "string"}, "retrieved": DATE, "sha256": {"type": "string"}}, "additionalProperties": False,
                 "description": "The text snapshot the item was encoded from (§8.5 'source')."},
    "review_by": DATE,
}


def fact_spec(allow_list):
    props = {
        "type": {"enum": SCALAR_TYPES + (["list"] if allow_list else [])},
        "unit": {"type": "string", "description": "A unit from docs/expressions.md, e.g. m, t, MPa, person, 10k_CNY."},
        "values": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "title": {"$ref": "#/$defs/title"},
        "description": {"type": "string"},
        "informational": {
            "type": "boolean",
            "description": "Recorded about the entity for people (reports, follow-up), read by no rule: lint does not warn that it is unused (W401).",
        },
    }
    conds = [{"if": {"properties": {"type": {"const": "enum"}}, "required": ["type"]}, "then": {"required": ["values"]}}]
    if allow_list:
        props["item"] = {"type": "object", "additionalProperties": {"$ref": "#/$defs/item_fact"}, "minProperties": 1}
        props["key"] = {"type": "string", "description": "The item field that names an item (supervision: findings name the items that made them true)."}
        # a list has records (item:) or enum values (values:, e.g. entity.activities)
        conds.append({"if": {"properties": {"type": {"const": "list"}}, "required": ["type"]}, "then": {"anyOf": [{"required": ["item"]}, {"required": ["values"]}]}})
    return {"type": "object", "properties": props, "required": ["type"], "additionalProperties": False, "allOf": conds}


def doc(kind, title, props, required, defs=None):
    d = {
        "$schema": D,
        "$id": BASE + kind + ".json",
        "title": title,
        "type": "object",
        "properties": {"kind": {"const": kind}, **props},
        "required": ["kind"] + required,
        "additionalProperties": False,
        "$defs": {"title": TITLE, **(defs or {})},
    }
    return d


vocabulary = doc(
    "vocabulary",
    "safetyrules vocabulary: declares facts",
    {
        "id": ID,
        "title": {"$ref": "#/$defs/title"},
        "description": {"type": "string"},
        "facts": {
            "type": "object",
            "propertyNames": {"pattern": r"^[^\W\d][\w]*(\.[^\W\d][\w]*)*$"},
            "additionalProperties": {"$ref": "#/$defs/fact"},
        },
    },
    ["id", "facts"],
    {"fact": fact_spec(True), "item_fact": fact_spec(False)},
)

table = doc(
    "table",
    "safetyrules table: a classification list / decision table",
    {
        "id": ID,
        "version": VERSION,
        "title": {"$ref": "#/$defs/title"},
        "document": {"type": "string"},
        "source": {"type": "string"},
        "status": STATUS,
        "description": {"type": "string"},
        "note": {"type": "string"},
        "output": {"type": "string"},
        "hit": {"enum": ["first", "unique", "priority", "collect"]},
        "default": SCALAR,
        "warn": {
            "type": "object",
            "description": "hit: collect only: each collected value is also a decision warning {code, message, standard: the table's id, clause: the first row giving it} (docs/authoring.md).",
            "properties": {
                "code": {"type": "string", "pattern": "^W-[A-Z0-9][A-Z0-9-]*$", "description": "The warning's code, e.g. W-GB18218-GIVEN."},
                "message": {"type": "string", "minLength": 1, "description": "The warning's message; {value} stands for the collected value."},
            },
            "required": ["code", "message"],
            "additionalProperties": False,
        },
        "rows": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/row"}},
        "examples": {"type": "array", "items": {"$ref": "#/$defs/table_example"}},
    },
    ["id", "output", "rows"],
    {
        "row": {
            "type": "object",
            "properties": {
                "id": ID,
                "when": EXPR,
                "then": SCALAR,
                "title": {"$ref": "#/$defs/title"},
                "cite": {"type": "string"},
                "note": {"type": "string"},
            },
            "required": ["when", "then"],
            "additionalProperties": False,
        },
        "table_example": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "facts": FACTS,
                "expect": {"type": ["string", "number", "integer", "boolean", "array", "null"]},
            },
            "required": ["facts", "expect"],
            "additionalProperties": False,
        },
    },
)

standard = doc(
    "standard",
    "safetyrules standard: a versioned judgment standard",
    {
        "id": ID,
        "version": VERSION,
        "title": {"$ref": "#/$defs/title"},
        "document": {"type": "string"},
        "source": {"type": "string"},
        "status": STATUS,
        "description": {"type": "string"},
        "note": {"type": "string"},
        "effective": {
            "type": "object",
            "properties": {
                "from": DATE,
                "until": DATE,
                "supersedes": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["from"],
            "additionalProperties": False,
        },
        **{k: v for k, v in PROVENANCE.items() if k != "kind"},
        "item_kind": {**PROVENANCE["kind"], "description": "The kind of the standard's items (a clause's own kind: wins)."},
        "family": {**ID, "description": "The lineage this standard is an edition of (e.g. fire): decisions warn on days when no edition of a family is in force. Defaults to the standard's id."},
        "applies_when": EXPR,
        "clauses": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/clause"}},
    },
    ["id", "clauses"],
    {
        "clause": {
            "type": "object",
            "properties": {
                "id": ID,
                "cite": {"type": "string", "minLength": 1},
                "severity": {"enum": ["major", "general"]},
                "category": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)+$"},
                "title": {"$ref": "#/$defs/title"},
                "status": STATUS,
                "source": {"type": "string"},
                "note": {"type": "string"},
                "description": {"type": "string"},
                **PROVENANCE,
                "when": EXPR,
                "unless": EXPR,
                "examples": {"type": "array", "items": {"$ref": "#/$defs/clause_example"}},
            },
            "required": ["id", "severity", "when"],
            "additionalProperties": False,
        },
        "clause_example": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "facts": FACTS,
                "expect": {"enum": [True, False, "unknown", None]},
            },
            "required": ["facts", "expect"],
            "additionalProperties": False,
        },
    },
)

ruleset = doc(
    "ruleset",
    "safetyrules rule set manifest",
    {
        "id": ID,
        "title": {"$ref": "#/$defs/title"},
        "description": {"type": "string"},
        "extends": {
            "type": "string",
            "minLength": 1,
            "description": "The id of a bundled rule set (cn.default) whose files and decision: this one inherits.",
        },
        "include": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "units": {
            "type": "object",
            "description": "Units this rule set declares: a new base unit {dimension: NAME}, or {base: UNIT, factor: N} (1 unit = N base units).",
            "propertyNames": {"pattern": "^[^\\s0-9][^\\s]*$"},
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "dimension": {"type": "string", "pattern": "^[a-z][a-z_]*$"},
                    "base": {"type": "string", "minLength": 1},
                    "factor": {"type": "number", "exclusiveMinimum": 0},
                },
                "additionalProperties": False,
            },
        },
        "decision": {
            "type": "object",
            "properties": {"level": {"type": "string"}, "tier": {"type": "string"}, "inspection": {"type": "string"}},
            "additionalProperties": False,
        },
    },
    ["id"],
)

def schemas():
    """Kind → schema."""
    return {"vocabulary": vocabulary, "table": table, "standard": standard, "ruleset": ruleset}


def render(schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


OUT = pathlib.Path(__file__).resolve().parent.parent / "safetyrules" / "source" / "schemas"

if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, schema in schemas().items():
        (OUT / f"{name}.json").write_text(render(schema), encoding="utf-8")
    print("wrote", OUT)
