"""Shared inputs of the report tests: decisions of the example entities,
with entity blocks, as a graded registry."""

from __future__ import annotations

import glob
import json
import os

import pytest
import yaml

from report_fixtures import DAY, ROOT


@pytest.fixture(scope="session")
def rules():
    import safetyrules

    return safetyrules.load()


@pytest.fixture(scope="session")
def example_facts():
    out = []
    for p in sorted(glob.glob(os.path.join(ROOT, "examples", "facts", "*.yaml"))):
        with open(p, encoding="utf-8") as fh:
            out.append((os.path.basename(p), yaml.safe_load(fh)))
    return out


@pytest.fixture(scope="session")
def registry(tmp_path_factory, rules, example_facts):
    """A JSON Lines registry of 30 decisions in 3 grids, plus one error line."""
    path = tmp_path_factory.mktemp("registry") / "decisions.jsonl"
    lines = []
    for i in range(30):
        name, facts = example_facts[i % len(example_facts)]
        d = rules.evaluate(facts, as_of=DAY).to_dict()
        d["entity"] = {"id": f"E{i:03d}", "grid": f"G{i % 3}", "sector": (facts.get("entity") or {}).get("sector", "other")}
        lines.append(json.dumps(d, ensure_ascii=False, sort_keys=True))
    lines.insert(7, json.dumps({"line": 8, "error": {"code": "E-FACTS", "message": "bad", "fact": None}}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
