"""A table writes a list fact only with ``hit: collect``: any other policy
gives one row's value, which the engine would read as a list (``len('lo')``
was 2) and the columnar backends refused at run time."""

import textwrap

import pytest

import safetyrules


def _ruleset(tmp_path, table: str, fact: str = "{type: list, values: [lo, hi]}"):
    (tmp_path / "rules.yaml").write_text("kind: ruleset\nid: t\ninclude: [v.yaml, t.yaml]\n")
    (tmp_path / "v.yaml").write_text(f"kind: vocabulary\nid: v\nfacts:\n  a: {{type: bool}}\n  acts: {fact}\n")
    (tmp_path / "t.yaml").write_text(textwrap.dedent(table))
    return tmp_path / "rules.yaml"


@pytest.mark.parametrize("hit", ["first", "unique", None])
def test_list_output_needs_collect(tmp_path, hit):
    head = "kind: table\nid: tt\noutput: acts\n" + (f"hit: {hit}\n" if hit else "")
    path = _ruleset(tmp_path, head + "rows:\n  - {when: 'a', then: lo}\n")
    with pytest.raises(safetyrules.SafetyRulesError) as e:
        safetyrules.load(str(path))
    msg = str(e.value)
    assert "only hit: collect can write it" in msg
    # located at the hit: key when given, else at the output
    assert ("t.yaml:4:6" if hit else "t.yaml:3:9") in msg


def test_collect_writes_a_list(tmp_path):
    path = _ruleset(tmp_path, "kind: table\nid: tt\noutput: acts\nhit: collect\nrows:\n  - {when: 'a', then: lo}\n")
    rules = safetyrules.load(str(path))
    assert rules.evaluate({"a": True}).to_dict()["outputs"]["acts"] == ["lo"]
