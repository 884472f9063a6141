"""Lint results as a SARIF 2.1.0 log, for code-scanning UIs (GitHub, GitLab,
Azure DevOps) to show each warning inline at its rule-file line."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import quote

from safetyrules.authoring.codes import CODES, DOCS_URL, severity_of
from safetyrules.version import __version__

__all__ = ["sarif_log", "sarif_run", "location", "artifact_location", "base_ids", "SARIF_SCHEMA", "SARIF_VERSION"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


#: The base a result's file is named relative to: the working directory
#: (the repository root, in CI), the bundled rule set, or — for a file in
#: neither — the file-system root.  Every ``uri`` in the log is relative to
#: one of them (SARIF 2.1.0 §3.4.4), never an absolute ``file://`` URI.
SRCROOT, BUNDLED, FSROOT = "%SRCROOT%", "SAFETYRULES_BUNDLED", "FSROOT"


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive
        return False


def _dir_uri(path: str) -> str:
    p = path.replace(os.sep, "/")
    if not p.startswith("/"):
        p = "/" + p
    return "file://" + quote(p.rstrip("/") + "/")


def artifact_location(path: Optional[str], root: Optional[str] = None) -> Dict[str, Any]:
    """``{"uri": ..., "uriBaseId": ...}`` for a file: relative to ``root``
    (default: the working directory), else to the bundled rule set, else to
    the file-system root; percent-encoded, ``/``-separated."""
    from safetyrules.source.files import bundled_path

    root = os.path.realpath(root or os.getcwd())
    if not path:
        return {"uri": "", "uriBaseId": SRCROOT}
    full = os.path.realpath(path)
    bundled = os.path.realpath(bundled_path())
    for base_id, base in ((SRCROOT, root), (BUNDLED, bundled)):
        if _inside(full, base):
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            return {"uri": quote("" if rel == "." else rel), "uriBaseId": base_id}
    drive, rest = os.path.splitdrive(full)
    return {"uri": quote(rest.replace(os.sep, "/").lstrip("/")), "uriBaseId": FSROOT}


def base_ids(root: Optional[str] = None) -> Dict[str, Any]:
    """The ``originalUriBaseIds`` of a run (absolute ``file:`` URIs of the bases)."""
    from safetyrules.source.files import bundled_path

    root = os.path.realpath(root or os.getcwd())
    drive = os.path.splitdrive(root)[0]
    return {
        SRCROOT: {"uri": _dir_uri(root)},
        BUNDLED: {"uri": _dir_uri(os.path.realpath(bundled_path()))},
        FSROOT: {"uri": _dir_uri(drive + os.sep)},
    }


def location(path, line, column, end_line=None, end_column=None, root: Optional[str] = None) -> Dict[str, Any]:
    """A SARIF ``location`` for a file position."""
    phys: Dict[str, Any] = {"artifactLocation": artifact_location(path, root)}
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


_location = location


def sarif_run(name: str, rules: List[Dict[str, Any]], results: List[Dict[str, Any]], root: Optional[str] = None) -> Dict[str, Any]:
    """A whole SARIF 2.1.0 log of one run of the tool ``name``."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": {"name": name, "version": __version__, "informationUri": DOCS_URL, "rules": rules}},
                "originalUriBaseIds": base_ids(root),
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def sarif_log(errors: Sequence[Any], warnings: Sequence[Any], root: Optional[str] = None) -> Dict[str, Any]:
    """One SARIF run: load errors (level ``error``) and lint warnings; file
    names relative to ``root`` (default: the working directory)."""
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
        rule(code, name, text, severity_of(code))
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
                "locations": [location(e.path, e.line, e.column, root=root)],
            }
        )
    for w in warnings:
        r: Dict[str, Any] = {
            "ruleId": w.code,
            "ruleIndex": index[w.code],
            "level": w.severity,
            "message": {"text": w.message},
            "locations": [location(w.path, w.line, w.column, w.end_line, w.end_column, root=root)],
        }
        if w.example is not None:
            r["properties"] = {"example": w.example}
        results.append(r)
    return sarif_run("safetyrules", rules, results, root)
