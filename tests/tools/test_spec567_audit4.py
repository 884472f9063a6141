"""A fourth black-box audit of SPEC §5 (Python API), §6 (command line) and §7
(the bundled core vocabulary), aimed at what test_spec_api_audit.py and
tests/engine/test_spec567_audit3.py leave out.  The command line runs in this
process (``safetyrules.cli.main.main``, what the console script calls) so the
file stays fast."""

import datetime
import json

import pytest

import safetyrules

from rule_files import standard, table, vocabulary
from cli_inproc import main_in_process

DAY = datetime.date(2024, 3, 1)

VOCAB = vocabulary("""\
    a: {type: bool, title: {zh: 甲, en: A}}
    b: {type: bool}
    n: {type: number, unit: m}
    entity.id: {type: string}
    risk.level: {type: enum, values: [red, orange, yellow, blue]}
    """)
STD = standard("""\
    - {id: c1, cite: A1, severity: major, title: {zh: 甲乙, en: A and B}, when: "a and n > 1"}
    - {id: c2, cite: A2, severity: general, when: "b"}
    """, id="st")
LEVEL = table("lvl", "risk.level", """\
    - {when: "findings.major > 0 or findings.major_undetermined > 0", then: red}
    - {when: "findings.general + findings.undetermined > 0", then: yellow}
    - {when: "true", then: blue}
    """)


@pytest.fixture(scope="module")
def rdir(tmp_path_factory):
    """A directory of rule files without ruleset.yaml (SPEC §6: loaded together)."""
    d = tmp_path_factory.mktemp("audit4_rules")
    for name, text in (("v.yaml", VOCAB), ("s.yaml", STD), ("t.yaml", LEVEL)):
        (d / name).write_text(text, encoding="utf-8")
    return str(d)


def run_main(*argv):
    """The command line in this process → (exit code, stdout, stderr)."""
    code, out, err = main_in_process(str(a) for a in argv)
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


# -- §6: --jobs N answers what one process answers ---------------------------------------

LIST_WITH_NULL = "- {a: true, n: 2}\n- null\n- {a: false, b: false}\n- 5\n"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_jobs_decide_a_null_entity_of_a_list_as_one_process_does(rdir, tmp_path, fmt):
    """A YAML list holding `- null` is bad input for that entity (exit 2, the
    others decided).  With `--jobs 2` the pool took the null record for its
    own "nothing to decide" marker and the command ended with 'internal error:
    AttributeError', exit 70."""
    facts = tmp_path / "list.yaml"
    facts.write_text(LIST_WITH_NULL, encoding="utf-8")
    argv = ("evaluate", facts, "--rules", rdir, "--as-of", "2024-03-01", "--format", fmt)
    serial = run_main(*argv)
    assert serial[0] == 2 and f"{facts}:2:3: error:" in serial[2], serial
    assert run_main(*argv, "--jobs", "2") == serial


def test_evaluate_many_with_jobs_yields_the_error_of_a_null_entity(rdir, tmp_path):
    """`rules.evaluate_many(path, jobs=2)` over a list holding null raised
    AttributeError ('NoneType' object has no attribute 'at_line') instead of
    yielding that entity's FactsError as a value, as jobs=1 does."""
    facts = tmp_path / "list.yaml"
    facts.write_text(LIST_WITH_NULL, encoding="utf-8")
    rules = safetyrules.load(rdir)

    def shown(results):
        return [r.to_json() if isinstance(r, safetyrules.Decision) else (type(r).__name__, str(r)) for r in results]

    serial = shown(rules.evaluate_many(str(facts), as_of=DAY))
    assert [type(x) for x in serial] == [str, tuple, str, tuple]
    assert shown(rules.evaluate_many(str(facts), as_of=DAY, jobs=2, chunksize=1)) == serial


# -- §7: the bundled grading never reports an entity safer because facts are missing -------------

GOLDEN = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "golden-decisions.jsonl.gz"


def test_an_unknown_blast_furnace_never_grades_a_trade_entity_lower():
    """A trade entity (the golden corpus's first, a cold store, as of 2024)
    with a blast furnace and a rest room in the lifting bay is red (Art. 4 (1)
    found).  Leaving the furnace unknown must not make it orange with nothing
    left to ask (`missing` empty, level_range orange..orange): SPEC §7, the
    bundled grading "never report[s] an entity as safer because facts are
    missing"."""
    import copy
    import gzip

    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        facts = json.loads(fh.readline())["facts"]
    assert facts["entity"]["sector"] == "trade"
    rules = safetyrules.load()
    known = copy.deepcopy(facts)
    known["metallurgy"] = {"blast_furnace": {"present": True},
                           "rooms": [{"name": "休息室", "kind": "rest", "in_lifting_bay": True}]}
    full = rules.evaluate(known, as_of=DAY)
    assert full.level == "red" and "art4.1" in [f.clause for f in full.findings]
    unknown = copy.deepcopy(known)
    del unknown["metallurgy"]["blast_furnace"]
    d = rules.evaluate(unknown, as_of=DAY)
    assert d.level in ("red", None), (d.level, d.missing)


# -- §6: `.jsonl` input streams, whatever the case of the name ---------------------------------

JSONL = '{"a": true, "n": 2}\n{"a": "x"}\n{"a": false, "b": false, "entity": {"id": "E1"}}\n'


def test_an_upper_case_jsonl_name_is_json_lines_too(rdir, tmp_path):
    """EXPORT.JSONL (a Windows export) was read as one YAML document: 'YAML:
    did not find expected <document start>' for the whole file and no entity
    decided, while evaluate_table took the same name as JSON Lines.  It is
    JSON Lines, line by line, as export.jsonl is; FACTS.JSON is JSON."""
    lower, upper = tmp_path / "export.jsonl", tmp_path / "EXPORT.JSONL"
    for p in (lower, upper):
        p.write_text(JSONL, encoding="utf-8")
    want = run_main("evaluate", lower, "--rules", rdir, "--as-of", "2024-03-01", "--format", "json")
    got = run_main("evaluate", upper, "--rules", rdir, "--as-of", "2024-03-01", "--format", "json")
    assert want[0] == 2 and [json.loads(x).get("line") for x in want[1].splitlines()] == [1, 2, 3], want
    assert got[:2] == want[:2] and got[2] == want[2].replace(str(lower), str(upper)), got
    rules = safetyrules.load(rdir)
    lines = [getattr(r, "line", None) for r in rules.evaluate_many(str(upper), as_of=DAY)]
    assert lines == [1, 2, 3]
    big = tmp_path / "F.JSON"
    big.write_text('{\n  "a": true,\n  "n": 1e400\n}\n', encoding="utf-8")
    code, out, err = run_main("evaluate", big, "--rules", rdir, "--as-of", "2024-03-01")
    assert code == 2 and err.startswith(f"{big}:3:8: error:"), err


# -- §4/§6: a given level is shown as given in every human format ------------------------------


def test_markdown_says_which_facts_were_given_instead_of_derived(rdir, tmp_path):
    """`risk.level: blue` in the facts wins over the level table (SPEC §4) and
    the decision lists it under `given`; the text format says so ("Given
    instead of derived: risk.level"), but the Markdown report showed a blue
    level, with a major clause still undetermined, as if it had been graded."""
    facts = tmp_path / "given.yaml"
    facts.write_text("a: true\nrisk.level: blue\n", encoding="utf-8")
    for lang, heading in ((None, "Given instead of derived"), ("zh", "直接给出（未推导）")):
        extra = ("--lang", lang) if lang else ()
        code, text, _ = run_main("evaluate", facts, "--rules", rdir, "--as-of", "2024-03-01", *extra)
        assert code == 0 and heading in text and "risk.level" in text.split(heading)[1], text
        code, md, _ = run_main("evaluate", facts, "--rules", rdir, "--as-of", "2024-03-01", "--format", "markdown", *extra)
        assert code == 0 and f"### {heading}\n\n- `risk.level`\n" in md, md
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: true\n", encoding="utf-8")
    assert "Given instead of derived" not in run_main("evaluate", plain, "--rules", rdir, "--format", "markdown")[1]


# -- §7: the names, and the tier rules through the NBS 2017 size classes -----------------------

NBS = ("agriculture industry construction wholesale retail transport warehousing postal accommodation catering "
       "information_transmission software_it real_estate_development property_management leasing_business_services "
       "other").split()
SECTOR = ("metallurgy nonferrous building_materials machinery light_industry textiles tobacco trade "
          "hazardous_chemicals mining fireworks civil_explosives construction catering accommodation retail office "
          "other").split()


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def test_the_core_vocabulary_as_the_plan_declares_it(bundled):
    """SPEC §7/§8's fixed names with their types, units and values, read from
    `safetyrules.load().plan` (the API's view; the schema's is checked in
    test_spec567_audit3.py), the tables that derive them and the manifest's
    decision: mapping."""
    facts = bundled.plan.facts

    def spec(name, type_, unit=None):
        s = facts[name]
        assert (s.type, s.unit) == (type_, unit), (name, s)
        return s

    assert list(spec("entity.nbs_sector", "enum").values) == NBS
    assert list(spec("entity.sector", "enum").values)[: len(SECTOR)] == SECTOR
    assert list(spec("entity.activities", "list").values) == list(facts["entity.sector"].values)
    spec("entity.employees", "integer", "person")
    spec("entity.revenue", "number", "10k_CNY")
    spec("entity.assets", "number", "10k_CNY")
    for name in ("entity.high_risk_sector", "entity.major_hazard_source"):
        spec(name, "bool")
    for name in ("entity.id", "entity.grid", "entity.name"):
        spec(name, "string")
    assert list(spec("entity.scale", "enum").values) == ["large", "medium", "small", "micro"]
    assert list(spec("entity.status", "enum").values) == ["active", "suspended", "closed", "relocated"]
    assert list(spec("evaluation.tier", "enum").values) == ["full", "simplified", "self_assessment"]
    assert list(spec("risk.level", "enum").values) == ["red", "orange", "yellow", "blue"]
    assert list(spec("inspection.frequency", "enum").values) == ["monthly", "quarterly", "semiannual", "annual"]
    derived = {t.output: t.id for t in bundled.plan.tables}
    assert derived["entity.scale"] == "cn.nbs.enterprise-size.2017"
    assert dict(bundled.plan.decision) == {"level": "risk.level", "tier": "evaluation.tier",
                                           "inspection": "inspection.frequency"}


#: 国统字〔2017〕213号, per sector: (indicator, large, medium, small) lower bounds
#: (X employees, Y revenue, Z assets, 10k CNY); large, medium and small need
#: every indicator's lower bound, micro any one indicator below the small one.
NBS_2017 = {
    "agriculture": [("revenue", 20000, 500, 50)],
    "industry": [("employees", 1000, 300, 20), ("revenue", 40000, 2000, 300)],
    "construction": [("revenue", 80000, 6000, 300), ("assets", 80000, 5000, 300)],
    "wholesale": [("employees", 200, 20, 5), ("revenue", 40000, 5000, 1000)],
    "retail": [("employees", 300, 50, 10), ("revenue", 20000, 500, 100)],
    "transport": [("employees", 1000, 300, 20), ("revenue", 30000, 3000, 200)],
    "warehousing": [("employees", 200, 100, 20), ("revenue", 30000, 1000, 100)],
    "postal": [("employees", 1000, 300, 20), ("revenue", 30000, 2000, 100)],
    "accommodation": [("employees", 300, 100, 10), ("revenue", 10000, 2000, 100)],
    "catering": [("employees", 300, 100, 10), ("revenue", 10000, 2000, 100)],
    "information_transmission": [("employees", 2000, 100, 10), ("revenue", 100000, 1000, 100)],
    "software_it": [("employees", 300, 100, 10), ("revenue", 10000, 1000, 50)],
    "real_estate_development": [("revenue", 200000, 1000, 100), ("assets", 10000, 5000, 2000)],
    "property_management": [("employees", 1000, 300, 100), ("revenue", 5000, 1000, 500)],
    "leasing_business_services": [("employees", 300, 100, 10), ("assets", 120000, 8000, 100)],
    "other": [("employees", 300, 100, 10)],
}
SCALES = ("large", "medium", "small", "micro")


def _nbs_scale(sector, values):
    bands = []
    for name, *bounds in NBS_2017[sector]:
        v = values[name]
        bands.append(next((i for i, b in enumerate(bounds) if v >= b), 3))
    return SCALES[max(bands)]


def _tier(scale, high_risk, mhs):
    if high_risk or mhs or scale == "large":
        return "full"
    if high_risk is None or mhs is None:
        return None
    return {"medium": "simplified", "small": "self_assessment", "micro": "self_assessment"}[scale]



def _indicator_values(draw, sector):
    """Each indicator at a band boundary, one off it, or anywhere."""
    from hypothesis import strategies as st

    out = {}
    for name, *bounds in NBS_2017[sector]:
        b = draw(st.sampled_from(bounds))
        out[name] = draw(st.one_of(st.sampled_from([b - 1, b, b + 1, 0]), st.integers(0, 3 * bounds[0])))
    return out


def test_the_tier_follows_section_7_on_scales_derived_by_nbs_2017(bundled):
    """SPEC §7 on the bundled set: entity.scale derived by
    cn.nbs.enterprise-size.2017 from the sector's indicators (an independent
    transcription of the 2017 document's bounds above), and evaluation.tier
    full when entity.high_risk_sector or entity.major_hazard_source holds or
    the scale is large, simplified for medium, self_assessment for small and
    micro (unknown where a flag left unknown could still make it full)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=100)
    @given(st.data())
    def check(data):
        sector = data.draw(st.sampled_from(NBS))
        values = _indicator_values(data.draw, sector)
        high_risk = data.draw(st.sampled_from([True, False, None]))
        mhs = data.draw(st.sampled_from([True, False, None]))
        facts = {"entity.nbs_sector": sector, **{f"entity.{k}": v for k, v in values.items()}}
        for name, flag in (("entity.high_risk_sector", high_risk), ("entity.major_hazard_source", mhs)):
            if flag is not None:
                facts[name] = flag
        d = bundled.evaluate(facts, as_of=DAY)
        scale = _nbs_scale(sector, values)
        assert d.outputs["entity.scale"] == scale, (facts, d.outputs)
        assert d.tier == _tier(scale, high_risk, mhs), (facts, d.tier)

    check()


SEVERITY = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}


def _dotted(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _dotted(v, prefix + k + ".")
        else:
            yield prefix + k, v


@pytest.fixture(scope="module")
def golden_facts():
    import gzip

    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return [(datetime.date.fromisoformat(r["as_of"]), dict(_dotted(r["facts"])))
                for r in map(json.loads, fh)]


def test_removing_a_fact_never_grades_an_entity_safer(bundled, golden_facts):
    """SPEC §7 ("never report an entity as safer because facts are missing")
    and §8 on the golden corpus's entities: with one input fact (or one field
    of one list item) removed, the level is as severe or more, or unknown,
    and the full facts' level lies within the reduced decision's
    level_range (least .. most)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40)
    @given(st.data())
    def check(data):
        day, facts = data.draw(st.sampled_from(golden_facts))
        full = bundled.evaluate(facts, as_of=day)
        key = data.draw(st.sampled_from(sorted(facts)))
        reduced = {k: v for k, v in facts.items() if k != key}
        items = facts[key] if isinstance(facts[key], list) else []
        if items and isinstance(items[0], dict) and data.draw(st.booleans()):
            i = data.draw(st.integers(0, len(items) - 1))
            if items[i]:
                field = data.draw(st.sampled_from(sorted(items[i])))
                reduced[key] = [dict(it) for it in items]
                del reduced[key][i][field]
        d = bundled.evaluate(reduced, as_of=day)
        if full.level is None:
            return
        if d.level is not None:
            assert SEVERITY[d.level] <= SEVERITY[full.level], (key, full.level, d.level)
        least = d.to_dict()["level_range"]["least"]
        if least is not None:
            assert SEVERITY[least] >= SEVERITY[full.level], (key, full.level, least)

    check()


def test_json_lines_in_a_json_file_says_how_to_name_it(rdir, tmp_path):
    """One entity per line in `facts.json` is refused at its second line (a
    .json file is one JSON document); the bare 'JSON: Extra data' now says
    what the file is and how it is read: named .jsonl, it is decided line by
    line."""
    facts = tmp_path / "facts.json"
    facts.write_text(JSONL, encoding="utf-8")
    code, out, err = run_main("evaluate", facts, "--rules", rdir, "--as-of", "2024-03-01", "--format", "json")
    assert code == 2 and out == "", (code, out)
    assert err.startswith(f"{facts}:2:1: error: JSON: Extra data (one entity per line is JSON Lines: name the file .jsonl)"), err
    one_line = tmp_path / "two.json"
    one_line.write_text('{"a": true} {"b": true}\n', encoding="utf-8")
    assert "JSON Lines" not in run_main("evaluate", one_line, "--rules", rdir)[2]


# -- §6: a directory of rule files is its rule files --------------------------------------------


def test_a_rules_directory_leaves_hidden_files_out(tmp_path):
    """`safetyrules validate .` in a repository of rule files without a
    manifest failed on `.github/workflows/ci.yml` and
    `.pre-commit-config.yaml` ("missing 'kind:'"), exit 1, and `evaluate
    --rules .` could not decide: hidden files and directories are left out,
    as a manifest's `include: [*.yaml]` leaves them out."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: [push]\njobs: {}\n", encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    for name, text in (("v.yaml", VOCAB), ("s.yaml", STD), ("t.yaml", LEVEL)):
        (repo / name).write_text(text, encoding="utf-8")
    code, out, err = run_main("validate", repo)
    assert code == 0 and "ok" in out and err == "", (code, out, err)
    facts = tmp_path / "f.yaml"
    facts.write_text("a: true\nn: 2\nb: false\n", encoding="utf-8")
    code, out, err = run_main("evaluate", facts, "--rules", repo, "--as-of", "2024-03-01", "--format", "json")
    assert code == 0 and json.loads(out)["level"] == "red", (code, err)
    (repo / "broken.yaml").write_text("kind: nonsense\n", encoding="utf-8")
    assert run_main("validate", repo)[0] == 1  # a visible file still counts
