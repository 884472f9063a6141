"""The entity facts the supervision module reads (supervision.md §8.0) are
declared in the bundled vocabulary, with the types and values the default
policy compares them with, and they change no decision."""

import json
import re
import subprocess
import sys

import pytest

import safetyrules
from safetyrules.supervision import policy as sv_policy
from safetyrules.errors import SafetyRulesError

NEW = {
    "entity.standardization_grade": ("enum", ["grade1", "grade2", "grade3", "none"]),
    "entity.credit_class": ("enum", ["A", "B", "C", "D"]),
    "entity.supervised_by": ("string", None),
}


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def test_declared_as_supervision_md_8_0(rules):
    for name, (typ, values) in NEW.items():
        spec = rules.vocabulary.get(name)
        assert spec is not None, f"{name} is not in the bundled vocabulary"
        assert spec.type == typ, name
        if values is not None:
            assert list(spec.values) == values, name
        assert spec.title.get("zh") and spec.title.get("en"), name


def test_values_the_default_policy_compares_are_declared(rules):
    import inspect

    text = inspect.getsource(sv_policy)
    seen = set(re.findall(r"(entity\.(?:credit_class|standardization_grade))\s*==\s*'([^']*)'", text))
    assert ("entity.credit_class", "D") in seen and ("entity.standardization_grade", "grade1") in seen
    for fact, lit in sorted(seen):
        assert lit in rules.vocabulary[fact].values, (fact, lit)


BASE = {"entity.id": "E1", "entity.sector": "trade", "entity.employees": 30, "entity.revenue": 800}


def test_no_decision_changes(rules):
    extra = {"entity.credit_class": "D", "entity.standardization_grade": "grade2", "entity.supervised_by": "county"}
    for facts in (BASE, {"entity.id": "E2", "entity.sector": "hazardous_chemicals"}, {}):
        a = rules.evaluate(dict(facts), as_of="2025-06-01").to_dict()
        b = rules.evaluate({**facts, **extra}, as_of="2025-06-01").to_dict()
        assert a == b


def test_bad_value_is_refused(rules):
    with pytest.raises(SafetyRulesError, match="credit_class"):
        rules.evaluate({"entity.credit_class": "E"})


def test_cli_evaluates_a_graded_registry_carrying_them(tmp_path):
    lines = [
        {**BASE, "entity.credit_class": "D", "entity.standardization_grade": "grade1", "entity.supervised_by": "county"},
        {"entity": {"id": "E2", "credit_class": "A", "standardization_grade": "none"}},
    ]
    p = tmp_path / "registry.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", "--format", "json", "--as-of", "2025-06-01", str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [d.get("entity", {}).get("id") for d in out] == ["E1", "E2"]
    assert all("error" not in d for d in out)
