"""Promises the pages of docs/ and the top-level README make, checked as a
user would meet them (each test names the page it holds to its word)."""

import json
import os
import re

import pytest

from safetyrules import diagnostics

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(ROOT, "docs")


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return fh.read()


# --- docs/errors.md -------------------------------------------------------

def test_errors_md_lists_every_code_once():
    """errors.md: 'Every code safetyrules raises or reports ... with its
    default severity and area' -- one row per code, not two."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9-]*)`", _read("docs", "errors.md").split("## Every code", 1)[1], re.M)
    assert rows
    dup = sorted({c for c in rows if rows.count(c) > 1})
    assert not dup, f"codes listed twice in docs/errors.md: {dup}"
    assert len(rows) == len(diagnostics.REGISTRY)


def test_errors_md_names_every_decision_warning_code(run, tmp_path):
    """errors.md 'Warnings in decisions': the bundled rule set's decisions
    carry only codes the page lists (family-gap after an edition ends)."""
    facts = tmp_path / "f.yaml"
    facts.write_text("entity.sector: catering\ngas.fuel_used: true\n", encoding="utf-8")
    code, out, err = run("evaluate", facts, "--format", "json", "--as-of", "2026-12-01")
    assert code == 0, err
    warnings = json.loads(out)["warnings"]
    assert {w["code"] for w in warnings} == {"family-gap"}
    section = _read("docs", "errors.md").split("## Warnings in decisions", 1)[1].split("\n## ", 1)[0]
    for w in warnings:
        assert f"`{w['code']}`" in section
        for key in ("family", "standard", "ended"):
            assert key in w and f"`{key}`" in section
