"""The annual plan (supervision.md §8.1) and its §8.7 oracles: the workday
arithmetic of the real plans (PL-4), caps and floors, months, feasibility."""

import datetime
import hashlib

import pytest

from safetyrules import supervision as sv
from safetyrules.supervision import inputs as I
from safetyrules.supervision.plan import plan, visit_months, workdays_table
from safetyrules.supervision.policy import hazchem_level
from sv_fixtures import entity, write_jsonl

PLAN_2019 = {  # 247 x 22; the ten items sum to 2,469, one line prints "2649"
    "year": 2019, "workdays": 247, "staff": 22,
    "other_enforcement": {"overall_supervision": 400, "licensing": 300, "accident_investigation": 250, "complaints": 200,
                          "joint_enforcement": 250, "registration_filing": 150, "intermediary_agencies": 169,
                          "publicity_training": 300, "review_litigation": 150, "assigned_tasks": 300},
    "non_enforcement": 1994,
    "printed": {"legal": 5434, "other_enforcement": [2469, 2649], "non_enforcement": 1994, "supervision": 971, "key": 632, "general": 339},
}
KUANCHENG_2025 = {  # 248 x 8 printed "24天×8人"; shares printed 21 % / 71 % / 8 %
    "year": 2025, "staff": 8, "other_enforcement": 1035, "non_enforcement": 535,
    "printed": {"workdays": [248, 24], "legal": 1984, "supervision": 414,
                "shares": {"supervision": "21%", "other_enforcement": "71%", "non_enforcement": "8%"}},
}
HOLIDAYS_2025 = ["2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04", "2025-04-04",
                 "2025-05-01", "2025-05-02", "2025-05-05", "2025-06-02", "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06",
                 "2025-10-07", "2025-10-08"]
MAKEUP_2025 = ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]


def arith(w):
    return sorted(x.message for x in w.warnings if x.code == "W-PLAN-ARITH")


def test_2019_plan_arithmetic():
    w = workdays_table(PLAN_2019, None, sv.default_policy())
    assert (w.legal, w.other, w.non_enforcement, w.supervision) == (5434, 2469, 1994, 971)
    assert arith(w) == ["other_enforcement: printed 2649, computed 2469"]  # 632 + 339 = 971 agrees


def test_kuancheng_2025_arithmetic(tmp_path):
    p = tmp_path / "cal.yaml"
    p.write_text(f"year: 2025\nholidays: [{', '.join(HOLIDAYS_2025)}]\nmakeup_workdays: [{', '.join(MAKEUP_2025)}]\n")
    cal = I.read_calendar(str(p), 2025)
    assert cal.workdays() == 248  # PL-5 fixture
    w = workdays_table(KUANCHENG_2025, cal, sv.default_policy())
    assert (w.workdays, w.legal, w.supervision) == (248, 1984, 414)
    msgs = arith(w)
    assert len(msgs) == 3
    assert msgs[0].startswith("share of non_enforcement: printed 8%")
    assert msgs[1].startswith("share of other_enforcement: printed 71%")
    assert msgs[2] == "workdays: printed 24, computed 248"
    # 414 / 1984 = 20.87 % agrees with the printed 21 %


def test_2021_workdays_and_default_calendar_warning():
    cal = I.Calendar(2021, frozenset(), frozenset(), True)
    assert cal.workdays() == 261  # Monday-Friday
    w = workdays_table({"year": 2021, "staff": 1, "other_enforcement": 0, "non_enforcement": 0}, None, sv.default_policy())
    assert [x.code for x in w.warnings] == ["W-CALENDAR-DEFAULT"]
    eleven = frozenset(datetime.date(2021, m, d) for m, d in [(1, 1), (2, 11), (2, 12), (2, 15), (2, 16), (2, 17), (4, 5), (5, 3), (5, 4), (5, 5), (6, 14)])
    assert I.Calendar(2021, eleven, frozenset()).workdays() == 250  # 365 - 104 - 11 (PL-5)


def test_hazchem_score_bands():
    got = [hazchem_level(s) for s in ("59.99", 60, "74.99", 75, "89.99", 90)]
    assert got == ["red", "orange", "orange", "yellow", "yellow", "blue"]
    assert hazchem_level(99, direct_red=True) == "red"
    with pytest.raises(sv.SupervisionError):
        hazchem_level(101)


def test_visit_months_are_stable_hashes():
    offset = int(hashlib.sha256(b"srplan/v1\n2026\nE003").hexdigest()[:8], 16) % 12
    assert offset == 5
    assert visit_months(2026, "E003", 4) == [6, 9, 12, 3]
    assert visit_months(2026, "E003", 12) == [6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5]
    assert visit_months(2026, "E003", 4, blackout=[6, 7]) == [8, 9, 12, 3]


def reg_of(tmp_path, lines):
    return sv.read_registry(write_jsonl(tmp_path / "r.jsonl", lines))


STAFF = {"year": 2026, "workdays": 250, "staff": 10, "other_enforcement": 0, "non_enforcement": 0}


def policy_file(tmp_path, body):
    p = tmp_path / "p.yaml"
    p.write_text("kind: supervision-policy\nid: t\nparameters:\n" + body)
    return sv.load_policy(str(p))


def test_cap_binds(tmp_path):
    pol = policy_file(tmp_path, "  caps: {value: [{when: 'true', max: 6}], source: test, status: policy}\n")
    res = plan(reg_of(tmp_path, [entity("R1", "red")]), pol, staff=STAFF, year=2026)
    row = res.entities[0]
    assert (row["category"], row["visits"], row["cap"]) == ("key", 6, 6)
    assert [w["code"] for w in res.summary["warnings"] if w["code"] == "W-CAP-BINDS"] == ["W-CAP-BINDS"]
    assert "12 visits a year (monthly) capped at 6" in [w for w in res.summary["warnings"] if w["code"] == "W-CAP-BINDS"][0]["message"]


def test_floor_over_cap_is_an_error(tmp_path):
    with pytest.raises(sv.SupervisionError) as e:
        policy_file(tmp_path, "  caps: cn.fj.longyan.2025\n  floors: [{when: 'true', min: 4}]\n")
    assert e.value.code == "E-POLICY-FLOOR-CAP" and e.value.line is not None


def test_longyan_profile_caps_at_two(tmp_path):
    pol = policy_file(tmp_path, "  caps: cn.fj.longyan.2025\n")
    res = plan(reg_of(tmp_path, [entity("R1", "red"), entity("O1", "orange")]), pol, staff=STAFF, year=2026)
    assert [r["visits"] for r in res.entities] == [2, 2]
    assert pol.params["caps"].status == "policy"


def test_infeasible_reports_the_shortfall_and_never_trims_silently(tmp_path):
    lines = [entity(f"R{i}", "red") for i in range(20)]
    staff = {"year": 2026, "workdays": 100, "staff": 2, "other_enforcement": 0, "non_enforcement": 0}
    res = plan(reg_of(tmp_path, lines), sv.default_policy(), staff=staff, year=2026)
    assert not res.feasible
    assert res.summary["key"]["person_days"] == 20 * 12 * 2
    assert res.summary["shortfall"]["days"] == "300"  # 480 - 200 x 0.9
    assert all(r["visits"] == 12 for r in res.entities)
    trimmed = plan(reg_of(tmp_path, lines), sv.default_policy(), staff=staff, year=2026, trim="priority")
    assert trimmed.feasible and trimmed.summary["trim"]["cuts"]
    assert sum(r["visits"] * r["cost"] for r in trimmed.entities) <= 180


def test_key_reasons_and_unknown_counts_as_key(tmp_path):
    lines = [entity("R1", "red"), entity("Y1", "yellow"), entity("L1", "blue", scale="large"),
             {"entity": {"id": "U1", "status": "active", "scale": "small", "high_risk_sector": False}, "level": "blue"}]
    res = plan(reg_of(tmp_path, lines), sv.default_policy(), staff=STAFF, year=2026)
    got = {r["id"]: (r["category"], r["reasons"]) for r in res.entities}
    assert got["R1"] == ("key", ["risk.level in ['red', 'orange']"])
    assert got["Y1"] == ("random_pool", [])
    assert got["L1"] == ("key", ["entity.scale == 'large'"])
    assert got["U1"] == ("key", ["undetermined"])  # major_hazard_source unknown: never less intensity


def test_general_budget_and_targets(tmp_path):
    lines = [entity(f"Y{i}", "yellow") for i in range(50)] + [entity(f"B{i}", "blue") for i in range(50)]
    staff = {"year": 2026, "workdays": 10, "staff": 1, "other_enforcement": 0, "non_enforcement": 0}
    res = plan(reg_of(tmp_path, lines), sv.default_policy(), staff=staff, year=2026)
    g = res.summary["general"]
    assert g["budget"] == 4  # floor(10 x 0.9 / 2)
    assert [(t["stratum"], t["wanted"], t["target"]) for t in g["strata"]] == [("yellow", 5, 3), ("blue", 3, 1)]
    assert g["budget_binds"] is True


def test_plan_json_is_byte_identical(tmp_path):
    import json

    lines = [entity(f"Y{i}", "yellow") for i in range(5)] + [entity("R1", "red")]
    a = plan(reg_of(tmp_path, lines), sv.default_policy(), staff=STAFF, year=2026).to_json()
    assert a == plan(reg_of(tmp_path, lines), sv.default_policy(), staff=STAFF, year=2026).to_json()
    b = plan(reg_of(tmp_path, list(reversed(lines))), sv.default_policy(), staff=STAFF, year=2026).to_json()
    da, db = json.loads(a), json.loads(b)
    da["summary"].pop("registry"), db["summary"].pop("registry")
    assert da["summary"] == db["summary"]  # only the file digest and the line order differ
    assert sorted(map(json.dumps, da["entities"])) == sorted(map(json.dumps, db["entities"]))


def test_every_default_has_source_and_status():
    pol = sv.default_policy()
    for p in pol.params.values():
        assert p.source and p.status in ("verified", "partial", "provisional", "assumption", "policy", "seed"), p
    assert pol.params["reserve"].status == "assumption"
    assert pol.params["visits"].status == "provisional"
    assert pol.params["team_size"].status == "verified"
