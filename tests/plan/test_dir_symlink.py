"""A directory of rule files (no manifest) is confined as a manifest's
includes are: a symlink to a file outside it is refused unless outside
includes are allowed (it used to be read and echoed in errors)."""

import os

import pytest

import safetyrules
from safetyrules.plan.build import load_plan

VOCAB = "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n"
OUTSIDE = "kind: vocabulary\nid: secret\nfacts:\n  x: {type: bool}\n"


@pytest.fixture
def tree(tmp_path):
    d, out = tmp_path / "d", tmp_path / "out"
    d.mkdir()
    out.mkdir()
    (d / "v.yaml").write_text(VOCAB)
    (out / "secret.yaml").write_text(OUTSIDE)
    os.symlink(out / "secret.yaml", d / "s.yaml")
    return d


def test_symlink_out_of_directory_is_refused(tree):
    with pytest.raises(safetyrules.SafetyRulesError) as e:
        safetyrules.load(str(tree))
    assert "outside the rule set's directory" in str(e.value)
    assert "s.yaml" in str(e.value)


def test_symlink_allowed_when_trusted(tree):
    plan, _ = load_plan(str(tree), allow_outside_includes=True)
    assert "x" in plan.facts


def test_symlink_inside_directory_is_fine(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "v.yaml").write_text(VOCAB)
    os.symlink(d / "sub" / "v.yaml", d / "link.yaml")
    with pytest.raises(safetyrules.SafetyRulesError) as e:  # the same id twice: loaded both, not refused
        safetyrules.load(str(d))
    assert "outside" not in str(e.value)
