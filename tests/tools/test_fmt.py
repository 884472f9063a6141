"""fmt: canonical key order and expression spacing, comments kept, meaning kept."""

import os
import shutil

import pytest

pytest.importorskip("ruamel.yaml", reason="safetyrules fmt needs the 'fmt' extra (ruamel.yaml)")

from safetyrules import load  # noqa: E402
from safetyrules.authoring.fmt import format_text  # noqa: E402
from safetyrules.source.files import bundled_path  # noqa: E402
from safetyrules.authoring.testing import run_examples  # noqa: E402

MESSY = """\
# A standard with keys out of order.
id: std
kind: standard
version: "1"
clauses:
  # the only clause
  - when: "flag   and(x>5)"   # spacing to normalise (the comment keeps its column)
    id: c1
    severity: major
    cite: Article 1
    examples:
      - {expect: true, facts: {flag: true, x: 6}}
"""

CANONICAL = """\
# A standard with keys out of order.
kind: standard
id: std
version: "1"
clauses:
  # the only clause
  - id: c1
    cite: Article 1
    severity: major
    when: "flag and x > 5"    # spacing to normalise (the comment keeps its column)
    examples:
      - {facts: {flag: true, x: 6}, expect: true}
"""


def test_canonical_order_spacing_and_comments():
    out, changes = format_text(MESSY, "s.yaml")
    assert out == CANONICAL
    assert "expression 'flag   and(x>5)' → 'flag and x > 5'" in changes


def test_canonical_is_a_fixed_point():
    assert format_text(CANONICAL, "s.yaml") == (CANONICAL, [])


def test_block_scalars_keep_their_line_breaks():
    text = 'kind: standard\nid: s\nversion: "1"\nclauses:\n  - id: c\n    cite: "1"\n    severity: major\n    when: >-\n      a and\n        b\n'
    assert format_text(text, "s.yaml") == (text, [])


def test_non_rule_yaml_is_left_alone():
    text = "repos:\n-   repo: local\n"
    assert format_text(text, ".pre-commit-config.yaml") == (text, [])


def test_refuses_unsafe_yaml():
    from safetyrules.errors import RuleFileError

    with pytest.raises(RuleFileError):
        format_text("kind: standard\nid: &a s\n", "s.yaml")


def test_check_and_write(tmp_path, run):
    p = tmp_path / "s.yaml"
    p.write_text(MESSY, encoding="utf-8")
    code, out, err = run("fmt", "--check", tmp_path)
    assert code == 1 and f"{p}: not canonical" in out
    assert p.read_text(encoding="utf-8") == MESSY
    code, out, err = run("fmt", tmp_path)
    assert code == 0 and f"reformatted {p}" in out
    assert p.read_text(encoding="utf-8") == CANONICAL
    code, out, err = run("fmt", "--check", tmp_path)
    assert code == 0


def test_bad_file_is_an_error_not_a_traceback(tmp_path, run):
    p = tmp_path / "s.yaml"
    p.write_text("kind: standard\nid: [\n", encoding="utf-8")
    code, out, err = run("fmt", "--check", p)
    assert code == 2 and "s.yaml:" in err and "error" in err and "Traceback" not in err


def test_bundled_standards_keep_their_meaning(tmp_path, run):
    dst = tmp_path / "standards"
    shutil.copytree(bundled_path(), dst)
    code, out, err = run("fmt", dst)
    assert code == 0, err
    before, after = load(bundled_path()), load(str(dst))
    assert [(r.target, r.value) for r in run_examples(before)] == [(r.target, r.value) for r in run_examples(after)]
    assert all(r.passed for r in run_examples(after))
    # comments survive
    name = "classification/nbs-enterprise-size-2017.yaml"
    src = open(os.path.join(bundled_path(), name), encoding="utf-8").read()
    new = open(dst / name, encoding="utf-8").read()
    assert [ln for ln in src.splitlines() if ln.strip().startswith("#")] == [
        ln for ln in new.splitlines() if ln.strip().startswith("#")
    ]
    code, out, err = run("fmt", "--check", dst)
    assert code == 0


def test_missing_ruamel_is_a_clear_error(monkeypatch, tmp_path, run):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **kw):
        if name.startswith("ruamel"):
            raise ImportError(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", fake)
    code, out, err = run("fmt", "--check", tmp_path)
    assert code == 2 and "pip install 'safetyrules[fmt]'" in err
