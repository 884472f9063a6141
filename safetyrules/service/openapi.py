"""The OpenAPI 3.1 document of the service, generated from the plan."""

from __future__ import annotations

from typing import Any, Dict

from safetyrules.version import __version__
from safetyrules.plan.model import Plan
from safetyrules.service.schemas import decision_schema, facts_schema, problem_schema

__all__ = ["openapi_document", "ruleset_schema"]


def _embed(schema: Dict[str, Any]) -> Dict[str, Any]:
    # inside components the document's dialect applies; ids would only
    # confuse reference resolution
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


def ruleset_schema() -> Dict[str, Any]:
    """The JSON Schema of ``GET /v1/ruleset``."""
    dated = {
        "type": "object",
        "properties": {
            "from": {"type": ["string", "null"], "format": "date"},
            "until": {"type": ["string", "null"], "format": "date"},
        },
        "required": ["from", "until"],
    }
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "version": {"type": ["string", "null"]},
            "title": {"type": "object", "additionalProperties": {"type": "string"}},
            "effective": dated,
            "status": {"type": "string"},
        },
        "required": ["id", "version", "title", "effective", "status"],
    }
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "digest": {"type": "string"},
            "title": {"type": "object"},
            "decision": {"type": "object", "additionalProperties": {"type": "string"}},
            "standards": {"type": "array", "items": item},
            "tables": {"type": "array", "items": item},
        },
        "required": ["id", "digest", "standards", "tables"],
    }


def _problems(*statuses: int) -> Dict[str, Any]:
    text = {
        400: "Malformed JSON (or not UTF-8, or not the gzip/deflate data its Content-Encoding says)",
        408: "The request body did not arrive in time",
        413: "The request body is over the limit (--max-body), after decoding when it has a Content-Encoding",
        415: "A Content-Encoding other than gzip or deflate (the Accept-Encoding header names those read)",
        422: "Valid JSON, but not valid facts (or not a valid request)",
    }
    return {
        str(s): {
            "description": text[s],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


def _json(ref: str, description: str) -> Dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def openapi_document(plan: Plan) -> Dict[str, Any]:
    """An OpenAPI 3.1 document of every endpoint of the service for ``plan``."""
    schema_doc = {"$ref": "#/components/schemas/JSONSchema"}
    as_of_param = {
        "name": "as_of",
        "in": "query",
        "required": False,
        "description": "Decision date (ISO 8601); default: today on the server.",
        "schema": {"type": "string", "format": "date"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "safetyrules",
            "version": __version__,
            "description": f"Decisions of rule set {plan.id} ({plan.digest}).",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": {
            "/v1/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness, with the rule set served",
                    "responses": {"200": _json("#/components/schemas/Health", "The service is up")},
                }
            },
            "/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "summary": "Decide one entity",
                    "parameters": [{**as_of_param, "description": (
                        "Decision date (ISO 8601), as for the batch: used when the body has no as_of; "
                        "one that differs from the body's is a 422.")}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EvaluateRequest"}}},
                    },
                    "responses": {
                        "200": _json("#/components/schemas/Decision", "The decision, byte-identical to Decision.to_json()"),
                        **_problems(400, 408, 413, 415, 422),
                    },
                }
            },
            "/v1/evaluate/batch": {
                "post": {
                    "operationId": "evaluateBatch",
                    "summary": "Decide a JSON Lines stream of entities, one output line per input line",
                    "parameters": [as_of_param],
                    "requestBody": {
                        "required": True,
                        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "One JSON line per non-blank input line, in input order: the decision with "
                                '"line": N, or {"line": N, "error": {"code", "message", "fact"}}'
                            ),
                            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                        },
                        **_problems(400, 408, 413, 415, 422),
                    },
                }
            },
            "/v1/ruleset": {
                "get": {
                    "operationId": "ruleset",
                    "summary": "The rule set: each standard and table with id, version, title, dates, status",
                    "responses": {"200": _json("#/components/schemas/RuleSet", "The rule set served")},
                }
            },
            "/v1/schema/facts": {
                "get": {
                    "operationId": "factsSchema",
                    "summary": "JSON Schema (2020-12) of the facts the rule set accepts",
                    "responses": {"200": {"description": "A JSON Schema", "content": {"application/json": {"schema": schema_doc}}}},
                }
            },
            "/v1/schema/decision": {
                "get": {
                    "operationId": "decisionSchema",
                    "summary": "JSON Schema (2020-12) of a decision",
                    "responses": {"200": {"description": "A JSON Schema", "content": {"application/json": {"schema": schema_doc}}}},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
        },
        "components": {
            "schemas": {
                # without the no-fact-twice rule (see facts_schema), which
                # only /v1/schema/facts and `safetyrules schema facts` carry
                "Facts": _embed(facts_schema(plan, once_rule=False)),
                "Decision": _embed(decision_schema(plan)),
                "Problem": problem_schema(),
                "EvaluateRequest": {
                    "type": "object",
                    "properties": {
                        "facts": {"$ref": "#/components/schemas/Facts"},
                        "as_of": {"type": ["string", "null"], "format": "date"},
                    },
                    "required": ["facts"],
                    "additionalProperties": False,
                },
                "Health": {
                    "type": "object",
                    "properties": {
                        "status": {"const": "ok"},
                        "ruleset": {
                            "type": "object",
                            "properties": {"id": {"type": "string"}, "digest": {"type": "string"}},
                            "required": ["id", "digest"],
                        },
                    },
                    "required": ["status", "ruleset"],
                },
                "RuleSet": ruleset_schema(),
                "JSONSchema": {"type": "object"},
            }
        },
    }
