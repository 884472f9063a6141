"""A second round of clumsy rule files and arguments, as an author writing a
city overlay from scratch meets them: each answer is one located error about
what is actually wrong (``PATH:LINE:COL: error: ...``), with the exit code of
SPEC §6, never a traceback."""

import pytest

from robust_fixtures import assert_no_escape, run_main

VOCAB = "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n"
STD = 'kind: standard\nid: st\nversion: "1"\nclauses:\n  - {id: c1, cite: A1, severity: major, when: "a"}\n'
MANIFEST = "kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\n"


def project(tmp_path, **files):
    files = {"ruleset.yaml": MANIFEST, "v.yaml": VOCAB, "s.yaml": STD, **files}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize("fact", [
    "  b: {title: {en: B}}\n",          # no type at all
    "  b:\n    title: {en: B}\n",      # block style
])
def test_a_fact_without_type_is_told_only_that_type_is_missing(tmp_path, fact):
    """Not also that it needs `values` (only enums do) and `item` (only
    lists do): a schema `if` on a missing `type` must not hold."""
    vocab = VOCAB + fact
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": vocab}))
    assert_no_escape(code, err)
    assert code == 1
    lines = [ln for ln in err.splitlines() if ": error: " in ln and ln.startswith(f"{tmp_path}/v.yaml:")]
    assert len(lines) == 1, err
    assert lines[0].endswith(": error: missing required key 'type' in 'b'"), err
    assert "'values'" not in err and "'item'" not in err


@pytest.mark.parametrize("spec, word", [
    ("{type: enum}", "values"),
    ("{type: list}", "item"),
])
def test_enum_and_list_facts_still_need_their_values_or_item(tmp_path, spec, word):
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": VOCAB + f"  b: {spec}\n"}))
    assert_no_escape(code, err)
    assert code == 1 and f"'{word}'" in err, err
