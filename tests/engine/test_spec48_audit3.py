"""A third black-box audit of SPEC §4 (clause, table and decision semantics)
and §8 (decisions v1), as a user would: rule files in a temp dir,
``safetyrules.load``, ``evaluate``.  Each test quotes the SPEC words it
checks and derives the answer by hand (or from the engine itself, one fact
changed at a time, as §8 defines *settles*)."""

import datetime
import json

import pytest

import safetyrules

DAY = datetime.date(2024, 3, 1)


def _load(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return safetyrules.load(str(tmp_path))


def decide(rules, facts):
    return json.loads(rules.evaluate(facts, as_of=DAY).to_json())


def status(d):
    out = {x["clause"]: "found" for x in d["findings"]}
    out.update({x["clause"]: "undetermined" for x in d["undetermined"]})
    return out


# -- §8 next_questions: a list fact that is wholly unknown ---------------------

LISTS = {
    "v.yaml": """\
kind: vocabulary
id: v
facts:
  b: {type: bool}
  cranes: {type: list, item: {age: {type: integer}, ok: {type: bool}}}
  acts: {type: list, values: [catering, retail, office]}
  level: {type: enum, values: [red, blue]}
""",
    "s.yaml": """\
kind: standard
id: s
version: "1"
clauses:
  - {id: k1, cite: K1, severity: major, when: "b or any(q in cranes: q.age > 10)"}
  - {id: k2, cite: K2, severity: general, when: "b and all(q in cranes: q.ok)"}
  - {id: k3, cite: K3, severity: general, when: "b or 'catering' in acts"}
  - {id: k4, cite: K4, severity: general, when: "b and len(cranes) > 2"}
  - {id: k5, cite: K5, severity: general, when: "b or any(q in cranes: q.age > 10 and not q.ok)"}
""",
    "g.yaml": """\
kind: table
id: g
output: level
rows:
  - {when: "findings.major > 0", then: red}
  - {when: "true", then: blue}
""",
    "ruleset.yaml": "kind: ruleset\nid: lists\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: level}\n",
}


def test_a_wholly_unknown_list_fact_settles_what_one_list_value_settles(tmp_path):
    """SPEC §8: 'A fact settles an undetermined clause when some value of
    that fact alone (every other fact unchanged) makes the clause found or
    not found'.  A list fact was tried as [] only: [{age: 11}] (k1, k5 found),
    [{ok: false}] (k2 not found) and ['catering'] (k3 found) settle too."""
    rules = _load(tmp_path, LISTS)
    d = decide(rules, {})
    assert sorted(d["missing"]) == ["acts", "b", "cranes"]
    # the engine itself: one list value each
    assert status(decide(rules, {"cranes": [{"age": 11}]}))["k1"] == "found"
    assert status(decide(rules, {"cranes": [{"age": 11, "ok": False}]}))["k5"] == "found"
    assert "k2" not in status(decide(rules, {"cranes": [{"ok": False}]}))
    assert "k4" not in status(decide(rules, {"cranes": []}))
    assert status(decide(rules, {"acts": ["catering"]}))["k3"] == "found"
    assert d["next_questions"] == [
        {"fact": "b", "settles": ["s:k1", "s:k2", "s:k3", "s:k4", "s:k5"], "major": 1},
        {"fact": "cranes", "settles": ["s:k1", "s:k2", "s:k4", "s:k5"], "major": 1},
        {"fact": "acts", "settles": ["s:k3"], "major": 0},
    ]
