"""Engine semantics (SPEC §4) on small rule sets written here."""

import datetime
import json

import pytest

import safetyrules
from safetyrules.errors import FactsError

from engine_fixtures import GRADING, MANIFEST, STANDARD, VOCAB

DAY = datetime.date(2024, 3, 1)
MET = {"entity.sector": "metallurgy"}


def ev(rules, facts, day=DAY):
    return rules.evaluate(facts, as_of=day)


def test_finding_with_citation_and_facts(basic):
    rules = safetyrules.load(str(basic))
    d = ev(rules, {**MET, "contractors.present": True, "contractors.coordinated": False})
    out = d.to_dict()
    f = out["findings"][0]
    assert (f["standard"], f["version"], f["clause"], f["cite"], f["severity"]) == ("s1", "2023", "art3.1", "Article 3 (1)", "major")
    assert f["category"] == "basic-management/contractors"
    assert f["title"] == {"zh": "承包商未统一协调", "en": "Contractors not coordinated"}
    assert f["facts"] == {"contractors.present": True, "contractors.coordinated": False}
    assert out["major_hazard"] is True and out["level"] == "red"
    assert out["ruleset"]["id"] == "test.set" and out["ruleset"]["digest"].startswith("sha256:")


def test_undetermined_lists_missing_and_level_is_not_safer(basic):
    rules = safetyrules.load(str(basic))
    d = ev(rules, {**MET, "contractors.present": True})
    assert d.major_hazard is None
    assert [(u.clause, u.missing) for u in d.undetermined] == [
        ("art3.1", ("contractors.coordinated",)),
        ("cranes", ("cranes", "site.distance")),
    ]
    assert d.level == "orange"


def test_major_hazard_false_only_when_nothing_undetermined(basic):
    rules = safetyrules.load(str(basic))
    d = ev(rules, {**MET, "contractors.present": False, "cranes": []})
    assert d.major_hazard is False and d.findings == () and d.undetermined == ()
    assert d.level == "blue"


def test_applies_when_false_contributes_nothing(basic):
    rules = safetyrules.load(str(basic))
    d = ev(rules, {"entity.sector": "other", "contractors.present": True})
    assert d.findings == () and d.undetermined == () and d.major_hazard is False


def test_applies_when_unknown(basic):
    rules = safetyrules.load(str(basic))
    # own condition true → undetermined, naming the routing fact
    d = ev(rules, {"contractors.present": True, "contractors.coordinated": False, "cranes": []})
    assert [(u.clause, u.missing) for u in d.undetermined] == [("art3.1", ("entity.sector",))]
    # own condition false → not found
    d = ev(rules, {"contractors.present": False, "cranes": []})
    assert d.undetermined == () and d.major_hazard is False


def test_unless_and_list_items(basic):
    rules = safetyrules.load(str(basic))
    base = {**MET, "contractors.present": False}
    old = {"age": 12, "kind": "gantry"}
    assert [f.clause for f in ev(rules, {**base, "cranes": [old], "site.distance": 29}).findings] == ["cranes"]
    assert ev(rules, {**base, "cranes": [old], "site.distance": 30}).findings == ()  # 0.03 km == 30 m
    d = ev(rules, {**base, "cranes": [old]})
    assert [(u.clause, u.missing) for u in d.undetermined] == [("cranes", ("site.distance",))]
    d = ev(rules, {**base, "cranes": [{"age": 3}, {"kind": "bridge"}], "site.distance": 1})
    assert [(u.clause, u.missing) for u in d.undetermined] == [("cranes", ("cranes[1].age",))]


def test_effective_dates(basic):
    rules = safetyrules.load(str(basic))
    facts = {**MET, "contractors.present": True, "contractors.coordinated": False}
    assert ev(rules, facts, datetime.date(2023, 5, 14)).findings == ()
    assert len(ev(rules, facts, datetime.date(2023, 5, 15)).findings) == 1


def test_effective_until_is_exclusive(write):
    std = STANDARD.replace("effective: {from: 2023-05-15}", "effective: {from: 2023-05-15, until: 2024-01-01}")
    d = write({"v.yaml": VOCAB, "s1.yaml": std, "grade.yaml": GRADING, "ruleset.yaml": MANIFEST})
    rules = safetyrules.load(str(d))
    facts = {**MET, "contractors.present": True, "contractors.coordinated": False}
    assert len(ev(rules, facts, datetime.date(2023, 12, 31)).findings) == 1
    assert ev(rules, facts, datetime.date(2024, 1, 1)).findings == ()


def _table(write, hit, rows, default=None):
    lines = [f"kind: table\nid: t\noutput: entity.scale\nhit: {hit}\n"]
    if default:
        lines.append(f"default: {default}\n")
    lines.append("rows:\n")
    for when, then in rows:
        lines.append(f"  - {{when: \"{when}\", then: {then}}}\n")
    d = write({"v.yaml": VOCAB, "t.yaml": "".join(lines)})
    return safetyrules.load(str(d))


ROWS = [("entity.employees >= 100", "large"), ("entity.revenue >= 10", "small"), ("entity.employees < 100", "micro")]


@pytest.mark.parametrize(
    "hit, facts, expected",
    [
        ("first", {"entity.employees": 200}, "large"),
        ("first", {"entity.employees": 5, "entity.revenue": 20}, "small"),
        ("first", {"entity.revenue": 20}, None),  # row 1 unknown before the true row 2
        ("first", {"entity.employees": 5, "entity.revenue": 1}, "micro"),
        ("unique", {"entity.employees": 200, "entity.revenue": 1}, "large"),
        ("unique", {"entity.employees": 5, "entity.revenue": 20}, None),  # two true rows
        ("unique", {"entity.employees": 200}, None),  # another row unknown
        ("priority", {"entity.employees": 5, "entity.revenue": 20}, "small"),  # small before micro
        ("priority", {"entity.employees": 200}, "large"),  # large outranks the unknown small row
        ("priority", {"entity.employees": 5}, None),  # small row unknown outranks micro
        ("collect", {"entity.employees": 5, "entity.revenue": 20}, ["small", "micro"]),
        ("collect", {"entity.employees": 5}, None),
    ],
)
def test_hit_policies(write, hit, facts, expected):
    rules = _table(write, hit, ROWS)
    d = ev(rules, facts)
    assert d.outputs["entity.scale"] == expected


def test_unique_overlap_is_an_error_level_warning(write):
    rules = _table(write, "unique", ROWS)
    d = ev(rules, {"entity.employees": 5, "entity.revenue": 20})
    assert [w["code"] for w in d.warnings] == ["E-TABLE-OVERLAP"]
    assert d.warnings[0]["severity"] == "error"


def test_no_row_matched_default_and_warning(write):
    rows = [("entity.employees >= 100", "large")]
    d = ev(_table(write, "first", rows), {"entity.employees": 5})
    assert d.outputs["entity.scale"] is None and [w["code"] for w in d.warnings] == ["W-NO-ROW"]
    d = ev(_table(write, "first", rows, default="micro"), {"entity.employees": 5})
    assert d.outputs["entity.scale"] == "micro" and d.warnings == ()


def test_collect_empty_and_order(write):
    rules = _table(write, "collect", [("entity.employees < 10", "micro"), ("entity.employees < 1000", "large")])
    assert ev(rules, {"entity.employees": 5}).outputs["entity.scale"] == ["large", "micro"]
    assert ev(rules, {"entity.employees": 5000}).outputs["entity.scale"] == []


def test_input_wins_over_table_and_is_listed_as_given(basic):
    rules = safetyrules.load(str(basic))
    d = ev(rules, {**MET, "contractors.present": True, "contractors.coordinated": False, "risk.level": "blue"})
    assert d.level == "blue" and d.given == ("risk.level",)


def test_missing_names_the_inputs_of_a_derived_fact(write):
    vocab = VOCAB
    std = """\
kind: standard
id: s2
version: "1"
clauses:
  - {id: c, cite: X, severity: major, when: "entity.scale == 'large' and contractors.present"}
"""
    table = "kind: table\nid: size\noutput: entity.scale\nrows:\n  - {when: 'entity.employees >= 100', then: large}\n  - {when: 'entity.employees < 100', then: small}\n"
    d = write({"v.yaml": vocab, "s.yaml": std, "t.yaml": table})
    rules = safetyrules.load(str(d))
    dec = ev(rules, {"contractors.present": True})
    assert dec.undetermined[0].missing == ("entity.employees",)


def test_json_is_byte_identical_and_digest_tracks_files(basic):
    rules = safetyrules.load(str(basic))
    facts = {**MET, "contractors.present": True, "cranes": [{"age": 11}], "site.opened": "2020-01-02"}
    a = ev(rules, facts).to_json()
    b = safetyrules.load(str(basic)).evaluate(dict(reversed(list(facts.items()))), as_of=DAY).to_json()
    assert a == b
    json.loads(a)
    digest = rules.digest
    (basic / "s1.yaml").write_text(STANDARD.replace("Article 3 (1)", "Article 3 (一)"), encoding="utf-8")
    assert safetyrules.load(str(basic)).digest != digest


def test_division_by_zero_is_unknown_with_warning(write):
    std = "kind: standard\nid: s3\nversion: '1'\nclauses:\n  - {id: d, cite: X, severity: general, when: 'entity.revenue / entity.employees > 1'}\n"
    rules = safetyrules.load(str(write({"v.yaml": VOCAB, "s.yaml": std})))
    d = ev(rules, {"entity.revenue": 5, "entity.employees": 0})
    assert [u.clause for u in d.undetermined] == ["d"]
    assert [(w["code"], w["clause"]) for w in d.warnings] == [("W-DIV-ZERO", "d")]


@pytest.mark.parametrize(
    "facts, fact",
    [
        ({"entity.employes": 3}, "entity.employes"),
        ({"entity.employees": 3.5}, "entity.employees"),
        ({"entity.employees": "3"}, "entity.employees"),
        ({"entity.employees": -1}, "entity.employees"),
        ({"contractors.present": "yes"}, "contractors.present"),
        ({"contractors.present": 1}, "contractors.present"),
        ({"entity.sector": "steel"}, "entity.sector"),
        ({"site.opened": "2024-02-30"}, "site.opened"),
        ({"cranes": [{"age": 1, "colour": "red"}]}, "cranes[0].colour"),
        ({"cranes": {"age": 1}}, "cranes"),
        ({"entity": {"employees": 1}, "entity.employees": 1}, "entity.employees"),
        ({"findings.major": 1}, "findings.major"),
    ],
)
def test_bad_facts_name_the_path(basic, facts, fact):
    rules = safetyrules.load(str(basic))
    with pytest.raises(FactsError) as info:
        ev(rules, facts)
    assert info.value.fact == fact


def test_facts_nested_and_dotted_are_the_same(basic):
    rules = safetyrules.load(str(basic))
    a = ev(rules, {"entity": {"sector": "metallurgy", "employees": 3.0}, "contractors": {"present": True}})
    b = ev(rules, {"entity.sector": "metallurgy", "entity.employees": 3, "contractors.present": True})
    assert a.to_json() == b.to_json()


def test_null_is_unknown(basic):
    rules = safetyrules.load(str(basic))
    a = ev(rules, {**MET, "contractors.present": True, "contractors.coordinated": None})
    b = ev(rules, {**MET, "contractors.present": True})
    assert a.to_json() == b.to_json()


def test_evaluate_many_keeps_order_and_bad_records(basic):
    rules = safetyrules.load(str(basic))
    recs = [{**MET, "contractors.present": False, "cranes": []}, {"bad.fact": 1}, {**MET, "contractors.present": True}]
    out = list(rules.evaluate_many(recs, as_of=DAY))
    assert isinstance(out[1], FactsError)
    assert [o.to_json() for o in (out[0], out[2])] == [ev(rules, recs[0]).to_json(), ev(rules, recs[2]).to_json()]
    par = list(rules.evaluate_many(recs, as_of=DAY, jobs=2, chunksize=1))
    assert isinstance(par[1], FactsError)
    assert [o.to_json() for o in (par[0], par[2])] == [o.to_json() for o in (out[0], out[2])]


def test_explain_shows_subconditions(basic):
    rules = safetyrules.load(str(basic))
    text = ev(rules, {**MET, "contractors.present": True}).explain()
    assert "art3.1" in text and "contractors.present  → true" in text and "unknown" in text


def test_provisional_status_is_carried_into_findings(write):
    std = STANDARD.replace("    category: basic-management/contractors", "    category: basic-management/contractors\n    status: provisional")
    rules = safetyrules.load(str(write({"v.yaml": VOCAB, "s1.yaml": std})))
    d = ev(rules, {**MET, "contractors.present": True, "contractors.coordinated": False})
    assert [f.status for f in d.findings] == ["provisional"]
    assert d.to_dict()["findings"][0]["status"] == "provisional"


def test_supersedes_drops_the_older_standard_while_the_newer_is_in_force(write):
    old = STANDARD.replace("id: s1", "id: old").replace("effective: {from: 2023-05-15}", "effective: {from: 2017-01-01}")
    new = STANDARD.replace("effective: {from: 2023-05-15}", "effective: {from: 2023-05-15, supersedes: [old]}")
    rules = safetyrules.load(str(write({"v.yaml": VOCAB, "old.yaml": old, "s1.yaml": new})))
    facts = {**MET, "contractors.present": True, "contractors.coordinated": False}
    assert [f.standard for f in ev(rules, facts, datetime.date(2020, 1, 1)).findings] == ["old"]
    assert [f.standard for f in ev(rules, facts, datetime.date(2024, 1, 1)).findings] == ["s1"]
