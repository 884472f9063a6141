"""A black-box audit of SPEC §1 (concepts), §4 (clause, table and decision
semantics) and §7 (the bundled core vocabulary), run as a user would: rule
files in a temp dir, ``safetyrules.load`` / ``evaluate``, and the CLI as a
subprocess.  Each test quotes the SPEC sentence it checks."""

import datetime
import itertools
import json
import os
import shutil
import subprocess
import sys

import pytest

import safetyrules
from safetyrules import FactsError

import rule_files
from rule_files import standard, table, vocabulary

DAY = datetime.date(2024, 3, 1)

VOCAB = vocabulary("""\
    a: {type: bool}
    b: {type: bool}
    c: {type: bool}
    n: {type: integer, min: 0}
    sector: {type: enum, values: [x, y, z]}
    out.first: {type: enum, values: [hi, mid, lo]}
    out.unique: {type: enum, values: [hi, mid, lo]}
    out.prio: {type: enum, values: [hi, mid, lo]}
    out.collect: {type: list, values: [hi, mid, lo]}
    out.dflt: {type: enum, values: [hi, mid, lo]}
    risk.level: {type: enum, values: [red, orange, yellow, blue]}
    cranes: {type: list, item: {age: {type: integer, unit: year}, ok: {type: bool}}}
    height: {type: number, unit: m}
    weight: {type: number, unit: kg}
    """)

TABLES = {
    "t_first.yaml": table("t.first", "out.first", """\
        - {when: "a", then: hi}
        - {when: "b", then: mid}
        - {when: "c", then: lo}
        """),
    "t_unique.yaml": table("t.unique", "out.unique", """\
        - {id: r1, when: "a", then: hi}
        - {id: r2, when: "b", then: mid}
        - {id: r3, when: "c", then: lo}
        """, hit="unique"),
    "t_prio.yaml": table("t.prio", "out.prio", """\
        - {when: "c", then: lo}
        - {when: "b", then: mid}
        - {when: "a", then: hi}
        """, hit="priority"),
    "t_collect.yaml": table("t.collect", "out.collect", """\
        - {when: "c", then: lo}
        - {when: "b", then: hi}
        - {when: "a", then: hi}
        """, hit="collect"),
    "t_dflt.yaml": """\
kind: table
id: t.dflt
output: out.dflt
default: lo
rows:
  - {when: "a", then: hi}
  - {when: "b", then: mid}
""",
}

STANDARD = standard("""\
    - {id: m1, cite: A1, severity: major, when: "a and b"}
    - {id: g1, cite: A2, severity: general, when: "c", unless: "n > 5"}
    - {id: cr, cite: A3, severity: major, when: "any(k in cranes: k.age > 10 and not k.ok)"}
    - {id: d1, cite: A4, severity: general, when: "out.first == 'hi'"}
    - {id: p1, cite: A5, severity: general, when: "(a and b) or c"}
    - {id: h1, cite: A6, severity: general, when: "height > 200 cm and weight < 1 t"}
    - {id: h2, cite: A7, severity: general, when: "height > 3"}
    """, id="s1", effective="{from: 2024-01-01, until: 2024-06-01}", applies_when="sector in ['x', 'y']")

GRADE = table("t.level", "risk.level", """\
    - {when: "findings.major > 0", then: red}
    - {when: "findings.major_undetermined > 0", then: orange}
    - {when: "findings.general + findings.undetermined > 0", then: yellow}
    - {when: "true", then: blue}
    """)

MANIFEST = 'kind: ruleset\nid: audit.semantics\ninclude: ["*.yaml"]\ndecision: {level: risk.level}\n'


@pytest.fixture(scope="module")
def rule_dir(tmp_path_factory):
    files = {"v.yaml": VOCAB, "s.yaml": STANDARD, "grade.yaml": GRADE, "ruleset.yaml": MANIFEST, **TABLES}
    return rule_files.write(tmp_path_factory.mktemp("semantics"), files)


@pytest.fixture(scope="module")
def rules(rule_dir):
    return safetyrules.load(str(rule_dir))


def decide(rules, facts, day=DAY):
    return rules.evaluate(facts, as_of=day).to_dict()


def outputs(rules, facts):
    return decide(rules, facts)["outputs"]


def codes(d, table):
    return [w["code"] for w in d["warnings"] if w.get("table") == table]


# -- §4 hit policies ------------------------------------------------------------

@pytest.mark.parametrize(
    "facts, want",
    [
        ({"a": True}, "hi"),
        ({"a": False, "b": True}, "mid"),
        ({"b": True}, None),  # an earlier unknown row makes the output unknown
        ({"a": False, "c": True}, None),
        ({"a": False, "b": False, "c": True}, "lo"),
        ({"a": False, "b": False, "c": False}, None),  # no row matched
    ],
)
def test_first_returns_the_first_true_row_if_every_earlier_row_is_false(rules, facts, want):
    assert outputs(rules, facts)["out.first"] == want


def test_first_unknown_output_names_the_inputs_it_still_needs(rules):
    # SPEC §4: for a derived fact, `missing` names the inputs it still needs
    d = decide(rules, {"sector": "x", "a": False})
    und = {u["clause"]: u["missing"] for u in d["undetermined"]}
    assert und["d1"] == ["b", "c"]
    assert "out.first" not in d["missing"]


@pytest.mark.parametrize(
    "facts, want",
    [
        ({"a": True, "b": False, "c": False}, "hi"),
        ({"a": True}, None),  # another row unknown
        ({"a": False, "b": None, "c": False}, None),
    ],
)
def test_unique_is_the_one_true_row_when_all_others_are_false(rules, facts, want):
    d = decide(rules, facts)
    assert d["outputs"]["out.unique"] == want
    assert codes(d, "t.unique") == []


def test_unique_with_two_true_rows_is_unknown_with_an_error_level_warning(rules):
    d = decide(rules, {"a": True, "b": True, "c": False})
    assert d["outputs"]["out.unique"] is None
    (w,) = [w for w in d["warnings"] if w.get("table") == "t.unique"]
    assert w["severity"] == "error" and "r1" in w["message"] and "r2" in w["message"]


@pytest.mark.parametrize(
    "facts, want",
    [
        ({"a": True}, "hi"),  # the highest-priority output is true: lower rows do not matter
        ({"a": False, "b": True}, "mid"),
        ({"b": True}, None),  # a row with a higher-priority output (a -> hi) is unknown
        ({"c": True}, None),
        ({"a": False, "b": False, "c": True}, "lo"),
        ({"a": False, "b": True, "c": True}, "mid"),
    ],
)
def test_priority_takes_the_true_row_whose_output_comes_first_in_values(rules, facts, want):
    assert outputs(rules, facts)["out.prio"] == want


@pytest.mark.parametrize(
    "facts, want",
    [
        ({"a": False, "b": False, "c": False}, []),
        ({"a": True, "b": False, "c": False}, ["hi"]),
        ({"a": True, "b": True, "c": True}, ["hi", "lo"]),  # distinct, in declared values order
        ({"a": True, "b": True}, None),  # any row unknown
    ],
)
def test_collect_gives_the_distinct_outputs_of_the_true_rows(rules, facts, want):
    assert outputs(rules, facts)["out.collect"] == want


def test_every_row_false_gives_the_default_else_unknown_with_a_no_row_warning(rules):
    d = decide(rules, {"a": False, "b": False, "c": False})
    assert d["outputs"]["out.dflt"] == "lo" and codes(d, "t.dflt") == []
    for t, out in (("t.first", "out.first"), ("t.unique", "out.unique"), ("t.prio", "out.prio")):
        assert d["outputs"][out] is None
        (w,) = [w for w in d["warnings"] if w.get("table") == t]
        assert "no row matched" in w["message"]  # SPEC §4's words
    assert codes(d, "t.collect") == []  # collect: [] is its answer, not a failure


def test_a_given_fact_wins_over_its_table_and_is_listed_under_given(rules):
    d = decide(rules, {"a": True, "out": {"first": "lo"}, "out.prio": "mid"})
    assert d["outputs"]["out.first"] == "lo" and d["outputs"]["out.prio"] == "mid"
    assert d["given"] == ["out.first", "out.prio"]
    assert decide(rules, {"a": True})["given"] == []


# -- §4 clauses, applies_when, effective ---------------------------------------------

def test_finding_not_found_and_undetermined(rules):
    d = decide(rules, {"sector": "x", "a": True, "b": True, "c": True, "n": 9})
    found = {f["clause"]: f for f in d["findings"]}
    assert "m1" in found and "g1" not in found  # unless true: not found
    assert found["m1"]["facts"] == {"a": True, "b": True}
    und = {u["clause"]: u["missing"] for u in decide(rules, {"sector": "x", "c": True})["undetermined"]}
    assert und["g1"] == ["n"]  # when true, unless unknown


def test_missing_names_only_facts_that_could_change_the_result(rules):
    und = {u["clause"]: u["missing"] for u in decide(rules, {"sector": "x", "a": False})["undetermined"]}
    assert und["p1"] == ["c"]  # (a and b) or c with a false: b cannot change it
    assert "m1" not in und


def test_missing_names_a_list_item_fact_by_its_index(rules):
    d = decide(rules, {"sector": "x", "cranes": [{"age": 12, "ok": True}, {"ok": False}, {"age": 3}]})
    (u,) = [u for u in d["undetermined"] if u["clause"] == "cr"]
    assert u["missing"] == ["cranes[1].age"]
    assert "cranes[1].age" in d["missing"]


@pytest.mark.parametrize(
    "facts, und",
    [
        # applies_when unknown: own condition true or unknown -> undetermined, false -> not found
        ({"a": True, "b": True}, True),
        ({"a": True}, True),
        ({"a": False}, False),
    ],
)
def test_applies_when_unknown_is_conjoined_kleene(rules, facts, und):
    d = decide(rules, facts)
    m1 = [u for u in d["undetermined"] if u["clause"] == "m1"]
    assert [f for f in d["findings"] if f["clause"] == "m1"] == []
    assert bool(m1) is und
    if und:
        assert "sector" in m1[0]["missing"]


def test_applies_when_false_contributes_nothing(rules):
    d = decide(rules, {"sector": "z", "a": True, "b": True, "c": True})
    assert d["findings"] == [] and d["undetermined"] == [] and d["major_hazard"] is False


@pytest.mark.parametrize(
    "day, applies",
    [(datetime.date(2023, 12, 31), False), (datetime.date(2024, 1, 1), True),
     (datetime.date(2024, 5, 31), True), (datetime.date(2024, 6, 1), False)],
)
def test_effective_from_is_inclusive_until_exclusive(rules, day, applies):
    d = decide(rules, {"sector": "x", "a": True, "b": True}, day)
    assert any(f["clause"] == "m1" for f in d["findings"]) is applies
    assert d["as_of"] == day.isoformat()


def test_units_in_rules_convert_to_the_facts_unit(rules):
    d = decide(rules, {"sector": "x", "height": 2.5, "weight": 900})
    assert {"h1"} <= {f["clause"] for f in d["findings"]}
    d = decide(rules, {"sector": "x", "height": 2.5, "weight": 1000})
    assert "h1" not in {f["clause"] for f in d["findings"]}
    d = decide(rules, {"sector": "x", "height": 3.5})
    assert "h2" in {f["clause"] for f in d["findings"]}  # a bare number takes the fact's unit


# -- §4 findings.* counts and major_hazard ---------------------------------------------

COUNT_VOCAB = vocabulary("""\
    a: {type: bool}
    b: {type: bool}
    c: {type: bool}
    k.major: {type: integer}
    k.general: {type: integer}
    k.und: {type: integer}
    k.major_und: {type: integer}
    """)

COUNT_STD = standard("""\
    - {id: m1, cite: A1, severity: major, when: "a"}
    - {id: m2, cite: A2, severity: major, when: "b"}
    - {id: g1, cite: A3, severity: general, when: "c"}
    """)


def _count_table(k, name):
    rows = "".join(f'  - {{when: "findings.{name} == {i}", then: {i}}}\n' for i in range(4))
    return f"kind: table\nid: k.{k}\noutput: k.{k}\nrows:\n{rows}"


@pytest.fixture(scope="module")
def count_rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("counts")
    (d / "v.yaml").write_text(COUNT_VOCAB, encoding="utf-8")
    (d / "s.yaml").write_text(COUNT_STD, encoding="utf-8")
    for k, name in (("major", "major"), ("general", "general"), ("und", "undetermined"), ("major_und", "major_undetermined")):
        (d / f"k_{k}.yaml").write_text(_count_table(k, name), encoding="utf-8")
    (d / "ruleset.yaml").write_text('kind: ruleset\nid: counts\ninclude: ["*.yaml"]\ndecision: {}\n', encoding="utf-8")
    return safetyrules.load(str(d))


@pytest.mark.parametrize("a, b, c", list(itertools.product([True, False, None], repeat=3)))
def test_findings_counts_and_major_hazard(count_rules, a, b, c):
    d = decide(count_rules, {"a": a, "b": b, "c": c})
    vals = {"m1": (a, "major"), "m2": (b, "major"), "g1": (c, "general")}
    o = d["outputs"]
    assert o["k.major"] == sum(1 for v, s in vals.values() if v is True and s == "major")
    assert o["k.general"] == sum(1 for v, s in vals.values() if v is True and s == "general")
    assert o["k.und"] == sum(1 for v, s in vals.values() if v is None)
    assert o["k.major_und"] == sum(1 for v, s in vals.values() if v is None and s == "major")
    if a is True or b is True:
        want = True
    elif a is False and b is False:
        want = False
    else:
        want = None
    assert d["major_hazard"] is want


# -- §4 JSON and digest --------------------------------------------------------------

def test_same_inputs_give_byte_identical_sorted_json(rules):
    f = {"sector": "x", "a": True, "c": True, "cranes": [{"age": 12}]}
    one = json.dumps(decide(rules, f), sort_keys=True)
    two = json.dumps(decide(rules, dict(reversed(list(f.items())))), sort_keys=True)
    assert one == two
    dec = rules.evaluate(f, as_of=DAY)
    assert dec.to_json() == rules.evaluate(f, as_of=DAY).to_json()
    assert json.loads(dec.to_json()) == decide(rules, f)


def _digest(path):
    return safetyrules.load(str(path)).evaluate({}, as_of=DAY).to_dict()["ruleset"]["digest"]


def test_digest_does_not_depend_on_where_the_bundled_set_is_installed(tmp_path):
    from safetyrules.source.files import bundled_path

    bundled = safetyrules.load().evaluate({}, as_of=DAY).to_dict()["ruleset"]
    src = bundled_path()
    dst = tmp_path / "elsewhere" / "rules"
    shutil.copytree(src, dst)
    assert bundled["digest"].startswith("sha256:") and len(bundled["digest"]) == 71
    assert _digest(dst) == bundled["digest"]
    assert _digest(dst / "ruleset.yaml") == bundled["digest"]


def test_digest_covers_manifest_and_included_files_only(rule_dir, tmp_path):
    d = tmp_path / "rs"
    shutil.copytree(rule_dir, d)
    first = _digest(d)
    (d / "README.md").write_text("not a rule file", encoding="utf-8")
    assert _digest(d) == first
    m = (d / "ruleset.yaml").read_text(encoding="utf-8")
    (d / "ruleset.yaml").write_text(m.replace("decision: {level: risk.level}", "decision: {level: risk.level, tier: out.first}"), encoding="utf-8")
    assert _digest(d) != first  # the manifest's decision: included
    (d / "ruleset.yaml").write_text(m, encoding="utf-8")
    assert _digest(d) == first
    (d / "s.yaml").write_text(STANDARD + "# a comment\n", encoding="utf-8")
    assert _digest(d) != first


# -- §7 the bundled core vocabulary -----------------------------------------------------

NBS = ("agriculture industry construction wholesale retail transport warehousing postal accommodation catering "
       "information_transmission software_it real_estate_development property_management leasing_business_services other").split()
SECTOR = ("metallurgy nonferrous building_materials machinery light_industry textiles tobacco trade hazardous_chemicals "
          "mining fireworks civil_explosives construction catering accommodation retail office other").split()


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def test_core_vocabulary_names_and_values(bundled):
    v = bundled.vocabulary
    assert list(v["entity.nbs_sector"].values) == NBS
    assert list(v["entity.sector"].values)[: len(SECTOR)] == SECTOR  # extra sectors are appended
    assert (v["entity.employees"].type, v["entity.employees"].unit) == ("integer", "person")
    for n in ("entity.revenue", "entity.assets"):
        assert v[n].unit == "10k_CNY"
    assert list(v["entity.scale"].values) == ["large", "medium", "small", "micro"]
    for n in ("entity.high_risk_sector", "entity.major_hazard_source"):
        assert v[n].type == "bool"
    assert list(v["evaluation.tier"].values) == ["full", "simplified", "self_assessment"]
    assert list(v["risk.level"].values) == ["red", "orange", "yellow", "blue"]
    assert list(v["inspection.frequency"].values) == ["monthly", "quarterly", "semiannual", "annual"]


def test_scale_is_derived_by_the_nbs_table(bundled):
    d = bundled.evaluate({"entity.nbs_sector": "industry", "entity.employees": 1500, "entity.revenue": 50000}, as_of=DAY).to_dict()
    assert d["outputs"]["entity.scale"] == "large"


@pytest.mark.parametrize("hrs, mhs, scale", list(itertools.product([True, False, None], [True, False, None], ["large", "medium", "small", "micro", None])))
def test_evaluation_tier_rules(bundled, hrs, mhs, scale):
    d = bundled.evaluate({"entity.high_risk_sector": hrs, "entity.major_hazard_source": mhs, "entity.scale": scale}, as_of=DAY).to_dict()
    if hrs or mhs or scale == "large":
        want = "full"
    elif hrs is None or mhs is None or scale is None:
        want = None  # never a lighter tier because a fact is missing
    else:
        want = {"medium": "simplified", "small": "self_assessment", "micro": "self_assessment"}[scale]
    assert d["tier"] == want


# -- §2 facts: a group of facts given as one value ------------------------------------------

@pytest.mark.parametrize("value", [{}, None, 3, "x"])
def test_a_group_of_facts_given_as_a_value_says_it_is_a_group(bundled, value):
    with pytest.raises(FactsError) as e:
        bundled.evaluate({"entity": value}, as_of=DAY)
    assert e.value.fact == "entity"
    assert "group of facts" in str(e.value), str(e.value)
    assert "unknown fact" not in str(e.value)
    assert e.value.code == "E-FACTS"


def test_a_group_of_facts_on_the_command_line(tmp_path):
    p = tmp_path / "f.json"
    p.write_text('{"entity": {}}', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(p), "--as-of", "2024-03-01"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "group of facts" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("value", [{}, None])
def test_the_findings_group_is_computed_by_the_engine(bundled, value):
    with pytest.raises(FactsError) as e:
        bundled.evaluate({"findings": value}, as_of=DAY)
    assert e.value.fact == "findings" and "computed by the engine" in str(e.value)
