"""A third black-box audit of SPEC §4 (clause, table and decision semantics)
and §8 (decisions v1), as a user would: rule files in a temp dir,
``safetyrules.load``, ``evaluate``.  Each test quotes the SPEC words it
checks and derives the answer by hand (or from the engine itself, one fact
changed at a time, as §8 defines *settles*)."""

import datetime
import json

import pytest


import rule_files
from rule_files import standard, table, vocabulary

DAY = datetime.date(2024, 3, 1)


def _load(tmp_path, files):
    return rule_files.load_in(tmp_path, files)


def decide(rules, facts):
    return json.loads(rules.evaluate(facts, as_of=DAY).to_json())


def status(d):
    out = {x["clause"]: "found" for x in d["findings"]}
    out.update({x["clause"]: "undetermined" for x in d["undetermined"]})
    return out


# -- §8 next_questions: a list fact that is wholly unknown ---------------------

LISTS = {
    "v.yaml": vocabulary("""\
        b: {type: bool}
        cranes: {type: list, item: {age: {type: integer}, ok: {type: bool}}}
        acts: {type: list, values: [catering, retail, office]}
        level: {type: enum, values: [red, blue]}
        """),
    "s.yaml": standard("""\
        - {id: k1, cite: K1, severity: major, when: "b or any(q in cranes: q.age > 10)"}
        - {id: k2, cite: K2, severity: general, when: "b and all(q in cranes: q.ok)"}
        - {id: k3, cite: K3, severity: general, when: "b or 'catering' in acts"}
        - {id: k4, cite: K4, severity: general, when: "b and len(cranes) > 2"}
        - {id: k5, cite: K5, severity: general, when: "b or any(q in cranes: q.age > 10 and not q.ok)"}
        """),
    "g.yaml": table("g", "level", """\
        - {when: "findings.major > 0", then: red}
        - {when: "true", then: blue}
        """),
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


def test_a_list_read_only_through_len_settles_by_a_list_of_unknown_items(tmp_path):
    """`len(cranes) >= 1 or n > 6` reads no item field: [] leaves it
    unknown (n unknown), one item of unknown fields makes it found."""
    files = dict(LISTS)
    files["v.yaml"] = LISTS["v.yaml"].replace("  b: {type: bool}\n", "  b: {type: bool}\n  n: {type: integer}\n")
    files["s.yaml"] = ('kind: standard\nid: s\nversion: "1"\nclauses:\n'
                       '  - {id: k1, cite: K1, severity: general, when: "len(cranes) >= 1 or n > 6"}\n')
    rules = _load(tmp_path, files)
    assert status(decide(rules, {"cranes": [{}]}))["k1"] == "found"
    q = {x["fact"]: x["settles"] for x in decide(rules, {})["next_questions"]}
    assert q == {"cranes": ["s:k1"], "n": ["s:k1"]}


def test_a_count_over_a_wholly_unknown_list_settles_by_a_list_of_two_items(tmp_path):
    """`count(q in cranes: q.ok and q.age > 10) >= 2`: two old ok cranes make
    it found; one item, or items with a field unknown, leave it unknown."""
    files = dict(LISTS)
    files["s.yaml"] = ('kind: standard\nid: s\nversion: "1"\nclauses:\n'
                       '  - {id: k1, cite: K1, severity: major, when: "b or count(q in cranes: q.ok and q.age > 10) >= 2"}\n'
                       '  - {id: k2, cite: K2, severity: general, when: "any(q in cranes: q.age > 3)"}\n')
    rules = _load(tmp_path, files)
    two = [{"ok": True, "age": 11}, {"ok": True, "age": 11}]
    assert status(decide(rules, {"cranes": two}))["k1"] == "found"
    q = {x["fact"]: x["settles"] for x in decide(rules, {})["next_questions"]}
    assert q == {"b": ["s:k1"], "cranes": ["s:k1", "s:k2"]}


# -- §4 missing: a fact read through known() --------------------------------------

KNOWN = {
    "v.yaml": vocabulary("""\
        a: {type: bool}
        c: {type: bool}
        permit: {type: string}
        cranes: {type: list, item: {cert: {type: string}, ok: {type: bool}}}
        level: {type: enum, values: [red, blue]}
        """),
    "s.yaml": standard("""\
        - {id: k1, cite: K1, severity: major, when: "a and not known(permit)"}
        - {id: k2, cite: K2, severity: general, when: "known(permit) or a"}
        - {id: k3, cite: K3, severity: general, when: "(known(permit) and c) or a"}
        - {id: k4, cite: K4, severity: general, when: "all(q in cranes: known(q.cert) or q.ok)"}
        """),
    "g.yaml": LISTS["g.yaml"],
    "ruleset.yaml": "kind: ruleset\nid: known\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: level}\n",
}


def test_a_fact_read_through_known_is_missing_when_giving_it_could_change_the_clause(tmp_path):
    """SPEC §4: 'undetermined, listing the missing facts that could change
    it'; '`missing` names the unknown input facts that could change the
    result'.  known(permit) is never unknown, but giving permit changes
    `a and not known(permit)` (to not found) and `known(permit) or a` (to
    found) while a is unknown: permit was left out of missing (and so of
    next_questions).  In `(known(permit) and c) or a` with c false it cannot."""
    rules = _load(tmp_path, KNOWN)
    facts = {"c": False, "cranes": [{"ok": True}, {}]}
    d = decide(rules, facts)
    und = {u["clause"]: u["missing"] for u in d["undetermined"]}
    assert und == {"k1": ["a", "permit"], "k2": ["a", "permit"], "k3": ["a"], "k4": ["cranes[1].cert", "cranes[1].ok"]}
    # the engine agrees: permit alone settles k1 and k2, cranes[1].cert settles k4
    given = status(decide(rules, {**facts, "permit": "P-1"}))
    assert "k1" not in given and given["k2"] == "found" and given["k3"] == "undetermined"
    assert status(decide(rules, {**facts, "cranes": [{"ok": True}, {"cert": "C"}]}))["k4"] == "found"
    q = {x["fact"]: x["settles"] for x in d["next_questions"]}
    assert q == {"a": ["s:k1", "s:k2", "s:k3"], "permit": ["s:k1", "s:k2"],
                 "cranes[1].cert": ["s:k4"], "cranes[1].ok": ["s:k4"]}
