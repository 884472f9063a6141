"""Lint results as a SARIF 2.1.0 log, for code-scanning UIs (GitHub, GitLab,
Azure DevOps) to show each warning inline at its rule-file line."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

from safetyrules.authoring.codes import CODES, DOCS_URL
from safetyrules.version import __version__

__all__ = ["sarif_log", "SARIF_SCHEMA", "SARIF_VERSION"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: Optional[str]) -> str:
    if not path:
        return "."
    p = os.path.relpath(path) if os.path.isabs(path) else path
    if p.startswith(".."):
        p = os.path.abspath(path)
        return "file://" + p.replace(os.sep, "/")
    return p.replace(os.sep, "/")


def _location(path, line, column, end_line=None, end_column=None) -> Dict[str, Any]:
    phys: Dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    uri = phys["artifactLocation"]["uri"]
    if not uri.startswith("file://"):
        phys["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    if line:
        region: Dict[str, Any] = {"startLine": int(line)}
        if column:
            region["startColumn"] = int(column)
        if end_line and end_line >= line:
            region["endLine"] = int(end_line)
            if end_column and (end_line > line or end_column > (column or 1)):
                region["endColumn"] = int(end_column)
        phys["region"] = region
    return {"physicalLocation": phys}


def sarif_log(errors: Sequence[Any], warnings: Sequence[Any]) -> Dict[str, Any]:
    """One SARIF run: load errors (level ``error``) and lint warnings."""
    rules: List[Dict[str, Any]] = []
    index: Dict[str, int] = {}

    def rule(code: str, name: str, text: str, level: str) -> int:
        if code not in index:
            index[code] = len(rules)
            rules.append(
                {
                    "id": code,
                    "name": name,
                    "shortDescription": {"text": text},
                    "helpUri": f"{DOCS_URL}#{code.lower()}" if code.startswith("W") else DOCS_URL.replace("lint.md", "errors.md"),
                    "defaultConfiguration": {"level": level},
                }
            )
        return index[code]

    for code, (name, text) in CODES.items():
        rule(code, name, text, "warning")
    results = []
    for e in errors:
        code = getattr(e, "code", None) or "E-SAFETYRULES"
        i = rule(code, code.lower(), "A rule-file error (the rule set does not load).", "error")
        msg = e.message + (f" ({e.hint})" if getattr(e, "hint", None) else "")
        results.append(
            {
                "ruleId": code,
                "ruleIndex": i,
                "level": "error",
                "message": {"text": msg},
                "locations": [_location(e.path, e.line, e.column)],
            }
        )
    for w in warnings:
        r: Dict[str, Any] = {
            "ruleId": w.code,
            "ruleIndex": index[w.code],
            "level": "warning",
            "message": {"text": w.message},
            "locations": [_location(w.path, w.line, w.column, w.end_line, w.end_column)],
        }
        if w.example is not None:
            r["properties"] = {"example": w.example}
        results.append(r)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "safetyrules",
                        "version": __version__,
                        "informationUri": DOCS_URL,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": _cwd_uri()}},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _cwd_uri() -> str:
    cwd = os.getcwd().replace(os.sep, "/")
    if not cwd.startswith("/"):
        cwd = "/" + cwd
    return "file://" + cwd.rstrip("/") + "/"
