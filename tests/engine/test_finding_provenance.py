"""Per-finding provenance (supervision.md §8.5 "Outputs"): a finding of a
clause whose standard or clause declares provenance carries
``provenance: {layer, authority, doc_no, kind}``, from the plan's static
per-clause data; findings of clauses that declare none have no such key.

Checked through the public API: the plan (its clauses, its JSON), the
decision (``to_dict``, ``to_json`` on the generated and the reference path,
pickle) and the published decision schema."""

import datetime
import json
import os
import pickle

import jsonschema
import pytest

import safetyrules
from safetyrules.engine.decision import Decision
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import Plan
from safetyrules.service.schemas import decision_schema

DAY = datetime.date(2025, 6, 1)

VOCAB = """kind: vocabulary
id: v
facts:
  a: {type: bool}
  b: {type: bool}
  n: {type: integer}
"""

# a standard-level header (inherited), a clause overriding part of it, a
# clause of a kind, and a standard that declares nothing
CITY = """kind: standard
id: city.items
layer: municipal
authority: 某市应急管理局
doc_no: 某应急〔2025〕1号
published: 2025-01-01
basis: [{law: 中华人民共和国安全生产法（2021）, article: "36"}]
clauses:
  - {id: c1, cite: Art. 1, severity: general, when: a}
  - {id: c2, cite: Art. 2, severity: major, kind: patrol_guidance, layer: street, doc_no: "某街〔2025〕2号", when: "a and n > 3"}
  - {id: c3, cite: Art. 3, severity: general, when: b}
"""

PLAIN = """kind: standard
id: nat.plain
clauses:
  - {id: p1, cite: Art. 9, severity: general, when: a}
  - {id: p2, cite: Art. 10, severity: general, basis: [{law: 某法, article: "1"}], when: b}
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("prov")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: t.prov\ninclude: [v.yaml, city.yaml, plain.yaml]\n", encoding="utf-8")
    (d / "v.yaml").write_text(VOCAB, encoding="utf-8")
    (d / "city.yaml").write_text(CITY, encoding="utf-8")
    (d / "plain.yaml").write_text(PLAIN, encoding="utf-8")
    return safetyrules.load(str(d))


def _prov(layer, authority, doc_no, kind):
    return {"layer": layer, "authority": authority, "doc_no": doc_no, "kind": kind}


CITY_P = _prov("municipal", "某市应急管理局", "某应急〔2025〕1号", "enforcement")
STREET_P = _prov("street", "某市应急管理局", "某街〔2025〕2号", "patrol_guidance")
# a clause that declares only a basis: provenance without layer, authority or number
BASIS_P = _prov(None, None, None, "enforcement")


def test_plan_clauses_carry_the_merged_provenance(rules):
    got = {c.key: (dict(c.provenance) if c.provenance is not None else None) for c in rules.plan.clauses}
    assert got == {
        "city.items:c1": CITY_P,
        "city.items:c2": STREET_P,  # the clause's own fields over the standard's
        "city.items:c3": CITY_P,
        "nat.plain:p1": None,  # neither the standard nor the clause declares any
        "nat.plain:p2": BASIS_P,
    }
    # the keys in one order, always all four
    assert all(tuple(c.provenance) == ("layer", "authority", "doc_no", "kind")
               for c in rules.plan.clauses if c.provenance is not None)


def _json(d):
    return json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("facts", [
    {"a": True, "b": True, "n": 5},
    {"a": True, "b": False, "n": 1},
    {"a": True, "b": True},  # c2 undetermined
    {"a": False, "b": True, "n": 9},
    {},
])
def test_findings_show_provenance_on_both_paths(rules, facts):
    d = rules.evaluate(facts, as_of=DAY)
    data = d.to_dict()
    for f in data["findings"]:
        want = {"c1": CITY_P, "c2": STREET_P, "c3": CITY_P, "p2": BASIS_P}.get(f["clause"])
        if want is None:
            assert "provenance" not in f, f
        else:
            assert f["provenance"] == want
    for u in data["undetermined"]:
        assert "provenance" not in u  # findings only (§8.5)
    # the generated JSON writer gives the bytes of to_dict
    assert d.to_json() == _json(d)
    assert json.loads(d.to_json(indent=2)) == data
    # the reference path gives the same decision, the same bytes
    prog = rules.program(DAY)
    ref = Decision(prog.layout, rules.reference(dict(facts), DAY, prog.layout), DAY)
    assert ref.to_json() == d.to_json() and ref == d
    back = pickle.loads(pickle.dumps(d))
    assert back.to_json() == d.to_json() and back.findings == d.findings


def test_finding_records_hold_it(rules):
    d = rules.evaluate({"a": True, "b": True, "n": 5}, as_of=DAY)
    by = {f.clause: f for f in d.findings}
    assert dict(by["c2"].provenance) == STREET_P
    assert by["p1"].provenance is None
    assert set(by) == {"c1", "c2", "c3", "p1", "p2"}


def test_plan_json_round_trips_provenance_and_omits_it_when_absent(rules):
    text = rules.plan.to_json()
    back = Plan.from_json(text)
    assert back.to_json() == text
    assert [c.provenance for c in back.clauses] == [c.provenance for c in rules.plan.clauses]
    assert text.count('"provenance":') == 4  # p1 declares none: no key, not null
    # a rule set on the plan read back decides the same, provenance included
    facts = {"a": True, "b": True, "n": 5}
    again = safetyrules.RuleSet(back, rules.base)
    assert again.evaluate(facts, as_of=DAY).to_json() == rules.evaluate(facts, as_of=DAY).to_json()


def test_bundled_plan_json_has_no_provenance():
    # the bundled national set declares no provenance: its plan and decisions are unchanged
    rules = safetyrules.load()
    assert all(c.provenance is None for c in rules.plan.clauses)
    assert '"provenance"' not in rules.plan.to_json()


def test_a_plan_file_with_bad_provenance_is_refused(rules):
    text = rules.plan.to_json()
    bad = text.replace('"某街〔2025〕2号"', "7", 1)
    assert bad != text
    with pytest.raises(SafetyRulesError):
        Plan.from_json(bad)
    extra = text.replace('[["layer",', '[["scope","x"],["layer",', 1)
    assert extra != text
    with pytest.raises(SafetyRulesError):
        Plan.from_json(extra)


def test_the_bundled_self_check_list_declares_national_self_check():
    rules = safetyrules.load(os.path.join(safetyrules.bundled_path(), "selfcheck"))
    d = rules.evaluate({"business.type": "shop", "business.employees": 8, "safety.staff_assigned": False}, as_of=DAY)
    assert d.findings
    for f in d.to_dict()["findings"]:
        assert f["provenance"] == {"layer": "national", "authority": None, "doc_no": None, "kind": "self_check"}
    assert d.to_json() == _json(d)


def test_decision_schema_admits_provenance_only_where_declared(rules):
    schema = decision_schema(rules.plan)
    d = rules.evaluate({"a": True, "b": True, "n": 5}, as_of=DAY).to_dict()
    jsonschema.validate(d, schema)
    d["findings"][0]["provenance"]["layer"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(d, schema)
    plain = decision_schema(safetyrules.load().plan)
    finding = plain["properties"]["findings"]["items"]
    assert "provenance" not in finding["properties"]
