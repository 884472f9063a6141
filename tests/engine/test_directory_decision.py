"""A directory of rule files without ``ruleset.yaml``: the decision's level,
tier and inspection are the core vocabulary's decision facts when the files
declare them (docs/cli.md), so the same files decide the same level as the
bundled manifest does."""

import pathlib
import shutil

import yaml

import safetyrules

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _copy(tmp_path, subs):
    for sub in subs:
        shutil.copytree(ROOT / "standards" / sub, tmp_path / sub)
    return tmp_path


def test_a_directory_without_manifest_decides_the_level_tier_and_inspection(tmp_path):
    d = _copy(tmp_path, ["vocabulary", "classification", "grading", "industry"])
    rules = safetyrules.load(str(d))
    assert dict(rules.plan.decision) == {
        "level": "risk.level",
        "tier": "evaluation.tier",
        "inspection": "inspection.frequency",
    }
    bundled = safetyrules.load()
    for f in sorted((ROOT / "examples" / "facts").glob("*.yaml")):
        facts = yaml.safe_load(f.read_text(encoding="utf-8"))
        got, want = rules.evaluate(facts), bundled.evaluate(facts)
        assert (got.level, got.tier, got.inspection) == (want.level, want.tier, want.inspection), f.name
        assert got.level is not None, f.name


def test_only_the_declared_core_facts_are_mapped(tmp_path):
    (tmp_path / "v.yaml").write_text(
        "kind: vocabulary\nid: t.v\nfacts:\n  risk.level: {type: enum, values: [red, blue]}\n  x: {type: bool}\n",
        encoding="utf-8",
    )
    (tmp_path / "t.yaml").write_text(
        "kind: table\nid: t.level\noutput: risk.level\nrows:\n  - {when: x, then: red}\ndefault: blue\n",
        encoding="utf-8",
    )
    rules = safetyrules.load(str(tmp_path))
    assert dict(rules.plan.decision) == {"level": "risk.level"}
    assert rules.evaluate({"x": True}).level == "red"
    assert rules.evaluate({"x": False}).level == "blue"
    d = rules.evaluate({}).to_dict()
    assert d["level"] is None and d["tier"] is None and d["inspection"] is None
