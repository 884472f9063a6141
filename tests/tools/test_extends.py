"""``extends: cn.default`` (SPEC §12) and units declared by a rule set.

The last test installs the package for real (a non-editable ``pip install``
into a fresh virtualenv, offline: ``--no-index --no-build-isolation``, the
dependencies come from this interpreter's site-packages) and runs the overlay
of docs/authoring.md from another directory.
"""

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

import safetyrules
from safetyrules import units
from safetyrules.errors import RuleSetError, SafetyRulesError
from safetyrules.plan.link import own_files
from safetyrules.source.files import bundled_manifests

from tools_fixtures import write_rules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The overlay of docs/authoring.md ("A city overlay"), verbatim.
MANIFEST = """\
kind: ruleset
id: my-city.rules
extends: cn.default          # the bundled national rule set (or cn.default.lec)
include: [local/*.yaml]      # this overlay's own files, relative to this manifest
units:                       # optional: units the national set does not have
  A: {dimension: current}        # a new base unit of a new dimension
  mA: {base: A, factor: 0.001}   # 1 mA = 0.001 A
"""
VOCAB = """\
kind: vocabulary
id: my-city
facts:
  city.ebike.indoor_charging: {type: bool, title: {zh: 室内为电动自行车充电, en: E-bikes charged indoors}}
  city.rcd.trip_current: {type: number, unit: mA, min: 0}
"""
ITEMS = """\
kind: standard
id: my-city.local-items
version: "2025"
title: {zh: 本市检查事项, en: City inspection items}
document: 本市地方规定（写明文号）
clauses:
  - id: ebike-indoor-charging
    cite: 第一项 / Item 1
    severity: general
    when: "city.ebike.indoor_charging and city.rcd.trip_current > 0.03 A"
    examples:
      - {facts: {city.ebike.indoor_charging: true, city.rcd.trip_current: 31}, expect: true}
      - {facts: {city.ebike.indoor_charging: true, city.rcd.trip_current: 30}, expect: false}
"""
FILES = {"ruleset.yaml": MANIFEST, "local/vocabulary.yaml": VOCAB, "local/items.yaml": ITEMS}
FACTS = {"entity": {"nbs_sector": "catering", "sector": "catering", "employees": 5},
         "city": {"ebike": {"indoor_charging": True}, "rcd": {"trip_current": 31}}}


def _doc_snippets():
    with open(os.path.join(ROOT, "docs", "authoring.md"), encoding="utf-8") as fh:
        return fh.read()


def test_the_overlay_here_is_the_one_in_docs_authoring():
    doc = _doc_snippets()
    for text in (MANIFEST, VOCAB, ITEMS):
        assert text.strip() in doc


def overlay(tmp_path, files=FILES):
    return write_rules(tmp_path / "city-rules", files)


def test_overlay_inherits_files_and_decision(tmp_path):
    base = safetyrules.load()
    rules = safetyrules.load(overlay(tmp_path))
    assert rules.plan.decision == base.plan.decision
    assert {s.id for s in rules.standards} == {s.id for s in base.standards} | {"my-city.local-items"}
    d = rules.evaluate(FACTS).to_dict()
    assert "my-city.local-items" in {f["standard"] for f in d["findings"]}
    assert d["ruleset"]["id"] == "my-city.rules"
    assert d["level"] is not None


def test_own_decision_wins(tmp_path):
    files = dict(FILES)
    files["ruleset.yaml"] = MANIFEST + "decision: {level: risk.level}\n"
    rules = safetyrules.load(overlay(tmp_path, files))
    assert dict(rules.plan.decision) == {"level": "risk.level"}


def test_overlay_without_include_is_the_base_under_another_id(tmp_path):
    d = write_rules(tmp_path / "o", {"ruleset.yaml": "kind: ruleset\nid: o\nextends: cn.default\n"})
    rules = safetyrules.load(d)
    assert len(rules.standards) == len(safetyrules.load().standards)


def test_manifest_without_include_or_extends_is_an_error(tmp_path):
    d = write_rules(tmp_path / "o", {"ruleset.yaml": "kind: ruleset\nid: o\n"})
    with pytest.raises(RuleSetError) as ei:
        safetyrules.load(d)
    assert "include" in str(ei.value) and ei.value.errors[0].line == 2


def test_unknown_base_is_located_with_the_bundled_ids(tmp_path):
    d = write_rules(tmp_path / "o", {"ruleset.yaml": "kind: ruleset\nid: o\nextends: cn.nothing\n"})
    with pytest.raises(RuleSetError) as ei:
        safetyrules.load(d)
    err = ei.value.errors[0]
    assert err.path.endswith("ruleset.yaml") and (err.line, err.column) == (3, 10)
    assert "cn.nothing" in err.message and "cn.default" in err.message


def test_bundled_manifests_name_both_gradings():
    assert {"cn.default", "cn.default.lec"} <= set(bundled_manifests())


def test_digest_covers_base_and_own_files_and_not_the_location(tmp_path):
    a = safetyrules.load(overlay(tmp_path / "a")).digest
    b = safetyrules.load(overlay(tmp_path / "b" / "deeper")).digest
    assert a == b  # same files elsewhere: same digest
    assert a != safetyrules.load().digest
    items = dict(FILES)
    items["local/items.yaml"] = ITEMS.replace("Item 1", "Item 2")
    assert safetyrules.load(overlay(tmp_path / "c", items)).digest != a
    # the base is part of it: the same overlay on the LEC grading differs
    lec = dict(FILES)
    lec["ruleset.yaml"] = MANIFEST.replace("extends: cn.default ", "extends: cn.default.lec ")
    assert safetyrules.load(overlay(tmp_path / "d", lec)).digest != a


def test_base_file_ids_cannot_be_reused(tmp_path):
    files = dict(FILES)
    ids = {s.id for s in safetyrules.load().standards}
    clash = sorted(ids)[0]
    files["local/items.yaml"] = ITEMS.replace("id: my-city.local-items", f"id: {clash}")
    with pytest.raises(RuleSetError) as ei:
        safetyrules.load(overlay(tmp_path, files))
    assert any(e.code == "E-DUPLICATE" and e.path.endswith("items.yaml") for e in ei.value.errors)


def test_own_files_are_the_overlays(tmp_path):
    d = overlay(tmp_path)
    own = own_files(d)
    assert sorted(os.path.basename(p) for p in own) == ["items.yaml", "ruleset.yaml", "vocabulary.yaml"]
    assert own_files(os.path.join(ROOT, "standards")) == ()


def test_cli_test_and_lint_are_scoped_to_the_overlay(tmp_path):
    from safetyrules.cli.main import main

    d = overlay(tmp_path)
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["test", d]) == 0
    assert out.getvalue().strip().endswith("2 passed, 0 failed")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["test", d, "--all-files"]) == 0
    n_all = int(out.getvalue().strip().splitlines()[-1].split()[0])
    assert n_all > 100
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["test", d, "-k", "nothing-matches-this"]) == 1  # nothing ran: no pass (docs/cli.md)
    assert out.getvalue().strip().endswith("0 passed, 0 failed")
    out = io.StringIO()
    with redirect_stdout(out):
        main(["lint", d, "--format", "json"])
    warnings = json.loads(out.getvalue())["warnings"]
    assert all("city-rules" in w["path"] for w in warnings)


# ---------------------------------------------------------------------------
# units declared by a rule set


def test_declared_units_convert_like_built_in_ones(tmp_path):
    rules = safetyrules.load(overlay(tmp_path))
    def found(ma):
        d = rules.evaluate({"city.ebike.indoor_charging": True, "city.rcd.trip_current": ma}).to_dict()
        return any(f["clause"] == "ebike-indoor-charging" for f in d["findings"])
    assert found(31) and not found(30) and not found(29.999)


def test_declared_units_do_not_leak(tmp_path):
    safetyrules.load(overlay(tmp_path))
    assert units.lookup("mA") is None
    assert units.DEFAULT.lookup("mA") is None
    with pytest.raises(SafetyRulesError):
        safetyrules.dsl.evaluate("x > 5 mA", {"x": 1})
    # a rule set without the declaration refuses the unit, at its position
    files = dict(FILES)
    files["ruleset.yaml"] = MANIFEST.split("units:")[0]
    with pytest.raises(RuleSetError) as ei:
        safetyrules.load(overlay(tmp_path / "nounits", files))
    assert any("mA" in e.message and e.path.endswith("vocabulary.yaml") for e in ei.value.errors)


def test_declared_units_are_per_thread(tmp_path):
    reg = units.DEFAULT.extend({"Ω": {"dimension": "resistance"}})
    seen = []
    with units.using(reg):
        t = threading.Thread(target=lambda: seen.append(units.lookup("Ω")))
        t.start()
        t.join()
        assert units.lookup("Ω") is not None
    assert seen == [None]


def test_declared_dimension_mismatch_is_a_load_error(tmp_path):
    files = dict(FILES)
    files["local/items.yaml"] = ITEMS.replace("> 0.03 A", "> 0.03 m")
    with pytest.raises(RuleSetError) as ei:
        safetyrules.load(overlay(tmp_path, files))
    assert any(e.path.endswith("items.yaml") for e in ei.value.errors)


@pytest.mark.parametrize(
    "decl, word",
    [
        ({"mA": {"base": "nope", "factor": 0.001}}, "unknown base"),
        ({"m": {"dimension": "length2"}}, "already defined"),
        ({"x": {"base": "y", "factor": 2}, "y": {"base": "x", "factor": 2}}, "each other"),
        ({"x": {}}, "either"),
    ],
)
def test_bad_unit_declarations(decl, word):
    with pytest.raises(ValueError, match=word):
        units.DEFAULT.extend(decl)


def test_registry_is_immutable():
    with pytest.raises(TypeError):
        units.DEFAULT.units["zz"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        units.UNITS["zz"] = None  # type: ignore[index]


# ---------------------------------------------------------------------------
# after a plain pip install


def _copy_source(dst):
    keep = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
    os.makedirs(dst)
    for f in keep:
        shutil.copy(os.path.join(ROOT, f), dst)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(os.path.join(ROOT, "safetyrules"), os.path.join(dst, "safetyrules"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "standards"), os.path.join(dst, "standards"), ignore=ignore)


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """A fresh virtualenv with the package installed non-editable (offline)."""
    base = tmp_path_factory.mktemp("venv")
    src, venv = str(base / "src"), str(base / "env")
    _copy_source(src)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], check=True, timeout=120)
    py = os.path.join(venv, "bin", "python")
    p = subprocess.run(
        [sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", "--no-build-isolation", "-q", src],
        capture_output=True, text=True, timeout=300,
    )
    if p.returncode != 0:  # pip too old for --python: use the interpreter's pip through the venv
        p = subprocess.run(
            [py, "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation", "-q", src],
            capture_output=True, text=True, timeout=300,
        )
    assert p.returncode == 0, p.stderr
    shutil.rmtree(src)  # nothing may still read the source copy
    return venv


def test_overlay_works_after_pip_install(installed, tmp_path):
    py = os.path.join(installed, "bin", "python")
    exe = os.path.join(installed, "bin", "safetyrules")
    d = overlay(tmp_path)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([py, "-c", "import safetyrules; print(safetyrules.__file__)"], capture_output=True,
                           text=True, cwd=str(elsewhere), env=env, check=True)
    assert where.stdout.startswith(installed)
    for args in (["validate", d], ["test", d], ["lint", "--strict", d]):
        p = subprocess.run([exe] + args, capture_output=True, text=True, cwd=str(elsewhere), env=env, timeout=120)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FACTS), encoding="utf-8")
    p = subprocess.run([exe, "evaluate", str(facts), "--rules", d, "--as-of", "2026-03-10", "--format", "json"],
                       capture_output=True, text=True, cwd=str(elsewhere), env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert "ebike-indoor-charging" in {f["clause"] for f in got["findings"]}
    # same files, another install location: same digest as here
    assert got["ruleset"]["digest"] == safetyrules.load(d).digest
