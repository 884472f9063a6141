"""supervision.md §8.8 4 (SPEC §10): a list fact may declare ``key: FIELD``;
a finding of a clause quantifying over it names the items that make it true
(``subjects``), in the decision ``evaluate`` writes, so that ``track`` can
follow each item.  No key declared: no ``subjects`` key (bytes unchanged)."""

import json
import pickle
import textwrap

import pytest

import safetyrules

VOCAB = """\
kind: vocabulary
id: v
facts:
  entity.id: {type: string}
  dust.systems: {type: list, %s item: {id: {type: string}, separated: {type: bool}, age: {type: integer}}}
  flag: {type: bool}
"""
STD = """\
kind: standard
id: s
version: "1"
title: {en: s}
document: d
effective: {from: 2020-01-01}
clauses:
  - {id: c1, cite: c1, severity: major, title: {en: t}, when: "any(d in dust.systems: not d.separated)"}
  - {id: c2, cite: c2, severity: general, title: {en: t}, when: "flag or count(d in dust.systems: d.age > 10) >= 2"}
  - {id: c3, cite: c3, severity: general, title: {en: t}, when: "flag"}
"""


def _rules(tmp_path, keyed=True):
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: t\ninclude: [v.yaml, s.yaml]\n")
    (tmp_path / "v.yaml").write_text(VOCAB % ("key: id," if keyed else ""))
    (tmp_path / "s.yaml").write_text(STD)
    return safetyrules.load(str(tmp_path))


FACTS = {"entity.id": "E1", "flag": False, "dust.systems": [
    {"id": "DS-1", "separated": True, "age": 30},
    {"id": "DS-2", "separated": False, "age": 12},
    {"id": "DS-3", "separated": False, "age": 1},
]}


def _canonical(d):
    return json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_findings_name_their_items(tmp_path):
    d = _rules(tmp_path).evaluate(FACTS)
    by = {f.clause: f for f in d.findings}
    # DS-2 and DS-3 each alone are unseparated; DS-1 is not
    assert by["c1"].subjects == ("dust.systems[id=DS-2]", "dust.systems[id=DS-3]")
    # count(...) >= 2 holds only with both old systems: no single item makes it true
    assert by["c2"].subjects == ()
    assert "subjects" not in by["c2"].to_dict()
    assert by["c1"].to_dict()["subjects"] == ["dust.systems[id=DS-2]", "dust.systems[id=DS-3]"]
    assert d.to_json() == _canonical(d)
    assert pickle.loads(pickle.dumps(d)) == d and hash(d) == hash(pickle.loads(pickle.dumps(d)))


def test_no_key_no_subjects(tmp_path):
    d = _rules(tmp_path, keyed=False).evaluate(FACTS)
    assert all("subjects" not in f.to_dict() for f in d.findings)
    assert '"subjects"' not in d.to_json()
    assert d.to_json() == _canonical(d)


def test_cli_json_and_schema(tmp_path):
    import jsonschema

    from safetyrules.service.schemas import decision_schema

    rules = _rules(tmp_path)
    d = rules.evaluate(FACTS)
    jsonschema.validate(d.to_dict(), decision_schema(rules.plan))
    line = json.loads(d.to_json())
    assert [f.get("subjects") for f in line["findings"]] == [["dust.systems[id=DS-2]", "dust.systems[id=DS-3]"], None]
