"""The bundled standards and the examples: they load, their own examples
pass, and the example entities get the decisions their files promise."""

import datetime
import os
import subprocess
import sys

import pytest
import yaml

import safetyrules
from safetyrules.authoring.testing import run_examples

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "examples")
MANIFESTS = [
    os.path.join(REPO, "standards"),
    os.path.join(REPO, "standards", "ruleset-lec.yaml"),
    os.path.join(EXAMPLES, "overlay"),
]


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


@pytest.mark.parametrize("path", MANIFESTS, ids=["default", "lec", "overlay"])
def test_every_example_of_every_clause_and_table_passes(path):
    rules = safetyrules.load(path)
    results = run_examples(rules)
    failures = [f"{r.path}:{r.line}: {r.message}" for r in results if not r.passed]
    assert results and not failures, "\n".join(failures)


def test_every_clause_has_citation_titles_category_and_three_kinds_of_example(bundled):
    for s in bundled.standards:
        for c in s.clauses:
            where = f"{s.id} {c.id}"
            assert c.cite and c.category and c.title.get("zh") and c.title.get("en"), where
            assert c.source or s.source, where
            expects = {("unknown" if e.expect in (None, "unknown") else e.expect) for e in c.examples}
            assert expects >= {True, False, "unknown"}, where


def test_partial_items_are_marked_provisional(bundled):
    provisional = [c for s in bundled.standards for c in s.clauses if c.status == "provisional"]
    assert provisional, "PARTIAL items of the digest are encoded as provisional"


def _expected():
    with open(os.path.join(EXAMPLES, "expected-decisions.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("name", sorted(_expected()))
@pytest.mark.parametrize("day", [datetime.date(2024, 6, 1), datetime.date(2026, 1, 15)])
def test_example_entities_get_their_promised_decisions(bundled, name, day):
    want = _expected()[name]
    facts = safetyrules.read_facts(os.path.join(EXAMPLES, "facts", name))
    d = bundled.evaluate(facts, as_of=day)
    got = {"level": d.level, "tier": d.tier, "inspection": d.inspection, "major_hazard": d.major_hazard}
    assert got == want


def test_example_entities_cover_every_level(bundled):
    levels = {v["level"] for v in _expected().values()}
    assert levels == {"red", "orange", "yellow", "blue"}


def test_integration_script_runs():
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, "integrate.py")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "office.yaml: level=blue" in p.stdout and "typo: bad record" in p.stdout


def test_missing_facts_never_look_safer(bundled):
    """An entity about which nothing is known is not blue."""
    d = bundled.evaluate({"entity.sector": "metallurgy"}, as_of=datetime.date(2024, 6, 1))
    assert d.level in ("red", None) and d.major_hazard is None and d.missing


def _cli(*args):
    import shutil

    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=REPO, timeout=300)


def test_cli_validate_and_test_pass_on_the_bundled_standards():
    p = _cli("validate", "standards/")
    assert p.returncode == 0, p.stderr
    p = _cli("test", "standards/")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().endswith("0 failed")


def test_readme_first_command_works_from_another_directory(tmp_path):
    exe_args = ("evaluate", os.path.join(EXAMPLES, "facts", "restaurant-lpg.yaml"), "--as-of", "2025-06-01")
    import shutil

    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    p = subprocess.run(cmd + list(exe_args), capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("level: yellow   tier: self_assessment   inspection: semiannual")


@pytest.mark.parametrize("path", MANIFESTS, ids=["default", "lec", "overlay"])
def test_bundled_examples_reach_full_coverage(path):
    """Every clause seen true and false, every level/tier/frequency reached,
    and every atomic condition shown to decide alone (MC/DC)."""
    from safetyrules.authoring.coverage import measure

    rules = safetyrules.load(path)
    cov = measure(rules, run_examples(rules))
    assert cov.overall == pytest.approx(100.0)
