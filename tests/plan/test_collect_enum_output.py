"""A collect table whose output a vocabulary declares as an enum derives a
list of those values, so a given value is such a list too (giving ``'r'``
made ``'r' in o2`` raise EvaluationError; ``['r']`` was refused)."""

import pyarrow as pa
import pytest

import safetyrules

FILES = {
    "ruleset.yaml": "kind: ruleset\nid: t\ninclude: [v.yaml, t.yaml, s.yaml]\n",
    "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  o2: {type: enum, values: [r, y]}\n",
    "t.yaml": "kind: table\nid: tt\noutput: o2\nhit: collect\nrows:\n  - {when: 'a', then: r}\n",
    "s.yaml": ("kind: standard\nid: s\nversion: '1'\ntitle: {en: s}\ndocument: d\neffective: {from: 2020-01-01}\n"
               "clauses:\n  - {id: c1, cite: c1, severity: major, title: {en: t}, when: \"'r' in o2\"}\n"),
}


@pytest.fixture
def rules(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return safetyrules.load(str(tmp_path))


def test_given_list_is_read(rules):
    d = rules.evaluate({"o2": ["r"]})
    assert [f.clause for f in d.findings] == ["c1"] and d.given == ("o2",)
    assert not rules.evaluate({"o2": ["y"]}).findings
    assert rules.evaluate({"a": True}).to_dict()["outputs"]["o2"] == ["r"]


@pytest.mark.parametrize("bad, fact", [("r", "o2"), (["z"], "o2[0]")])
def test_given_non_list_or_other_value_is_an_input_error(rules, bad, fact):
    with pytest.raises(safetyrules.FactsError) as e:
        rules.evaluate({"o2": bad})
    assert e.value.fact == fact


def test_backends_agree(rules):
    t = pa.table({"a": [True, False, None, None], "o2": [None, None, ["r"], ["y"]]})
    ref = rules.evaluate_table(t, backend="python")
    assert ref.column("findings").to_pylist() == [["s:c1"], [], ["s:c1"], []]
    for b in ("duckdb", "polars"):
        assert rules.evaluate_table(t, backend=b).equals(ref), b
