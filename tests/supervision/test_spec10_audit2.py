"""A second black-box audit of SPEC §10 against reference/supervision.md §8,
sentence by sentence: a graded registry made by `evaluate --format json`
over a generated JSON Lines registry (every colour) feeds each command as a
subprocess, and what comes out is compared with the text.  Each test here
failed before the fix it names (see docs/supervision.md)."""

import copy
import datetime
import hashlib
import json
import os

import pytest

import safetyrules.supervision as sv
from safetyrules.supervision.track import records_from_dicts

from sv_fixtures import EXAMPLES, write_jsonl
import cli_fork


def run(*args):
    return cli_fork.run([*map(str, args)], capture_output=True, text=True, timeout=120)


# A small office whose every clause of the bundled set is decided (tests/supervision/test_sv_provenance_e2e.py's
# entity, with the tank-farm, fuel-station and goods questions answered), in the four colours.
BASE = {"entity": {"assets": 222, "employees": 8, "nbs_sector": "software_it", "sector": "office", "status": "active"},
        "fire": {"crowded_place": False, "tank_farm": {"present": False}, "fuel_station": {"present": False},
                 "fe_goods": {"place": False, "facility": False}, "hazard_places": [], "venue": "office"},
        "gas": {"fuel_used": False}, "hazchem": {"substances": []}, "project": {"kind": "none"},
        "safety": {"any_staff": True}}
RED_TANK = {"present": True, "cooling_ok": False, "fire_alarm_ok": True, "fixed_extinguishing_ok": True, "gas_alarm_ok": True}


def facts(eid, grid, colour):
    e = copy.deepcopy(BASE)
    e["entity"].update(id=eid, grid=grid)
    if colour in ("yellow", "orange"):
        e["safety"]["any_staff"] = False
    if colour == "orange":
        e["entity"]["high_risk_sector"] = True
        e["safety"]["dedicated_staffing"] = False
    if colour == "red":
        e["fire"]["tank_farm"] = dict(RED_TANK)
        e["fire"].update(expert_review_with_measures=False, out_of_use=False)
    return e


def graded(tmp_path, name, entities, day="2025-03-01"):
    src = write_jsonl(tmp_path / f"{name}-facts.jsonl", entities)
    r = run("evaluate", src, "--format", "json", "--as-of", day, "-q")
    assert r.returncode == 0, r.stderr
    dst = tmp_path / f"{name}.jsonl"
    dst.write_text(r.stdout, encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def colours(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit2")
    ents = [facts(f"{c[0].upper()}{i}", f"G{i % 2 + 1}", c) for c in ("blue", "yellow", "orange", "red") for i in range(1, 4)]
    reg = graded(d, "registry", ents)
    levels = {json.loads(x)["entity"]["id"]: json.loads(x)["level"] for x in reg.read_text(encoding="utf-8").splitlines()}
    assert {k[0]: v for k, v in levels.items()} == {"B": "blue", "Y": "yellow", "O": "orange", "R": "red"}
    return d, reg


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- §8.4: track reads the graded registry `evaluate` writes, error lines included -----------------


def test_track_skips_an_evaluate_error_line_as_the_other_commands_do(colours, tmp_path):
    """§8.0/SPEC §8: `evaluate` writes {"line": N, "error": …} for an entity it
    could not decide.  plan, grid and draw skip such a line with a warning;
    track stopped with "a record needs entity_id" (a message about the wrong
    thing).  Its OLD findings must not read as rectified: they are out of scope
    (needs review), never cleared by missing data."""
    _, reg = colours
    lines = reg.read_text(encoding="utf-8").splitlines()
    y1 = next(i for i, x in enumerate(lines) if json.loads(x)["entity"]["id"] == "Y1")
    new = list(lines)
    new[y1] = json.dumps({"line": y1 + 1, "error": {"code": "E-JSON", "message": "bad", "fact": None}})
    newp = tmp_path / "new.jsonl"
    newp.write_text("\n".join(new) + "\n", encoding="utf-8")
    r = run("track", reg, newp, "--as-of", "2025-10-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert f"{newp}: warning: 1 error line(s) skipped" in r.stderr and f"lines {y1 + 1}" in r.stderr
    rows = {f["entity_id"]: f for f in json.loads(r.stdout)["findings"]}
    assert rows["Y1"]["class"] == "out_of_scope"
    assert rows["Y2"]["class"] == "persisting"
    recs = sv.read_records(str(newp))
    assert "Y1" not in recs and "Y2" in recs


def test_track_refuses_a_line_that_is_neither_a_record_nor_an_error_line(tmp_path):
    p = write_jsonl(tmp_path / "new.jsonl", [{"findings": []}])
    r = run("track", p, p, "--as-of", "2025-10-01")
    assert r.returncode == 2 and f"{p}:1: error:" in r.stderr and "Traceback" not in r.stderr


# --- §8.4 alerts: "a stop order older than 6 months (15号令 Art. 14)" ---------------------------------


def _major_records(day_old="2025-03-01", day_new="2025-08-01"):
    old = [{"entity_id": "E1", "date": day_old, "findings": [{"standard": "s", "clause": "c", "severity": "major"}]}]
    new = [{"entity_id": "E1", "date": day_new, "findings": [{"standard": "s", "clause": "c", "severity": "major"}]}]
    return records_from_dicts(old), records_from_dicts(new)


def _ledger(tmp_path, events):
    fid = sv.finding_id("E1", "s", "c")
    return sv.read_ledger(write_jsonl(tmp_path / "ledger.jsonl", [dict(e, finding_id=fid, entity_id="E1") for e in events]))


@pytest.mark.parametrize("start, as_of, alert", [
    ("2025-03-01", "2025-09-01", False),   # exactly 6 months: the limit, not past it
    ("2025-03-01", "2025-09-02", True),
    ("2025-08-31", "2026-02-28", False),   # six months after Aug 31 is Feb 28
    ("2025-08-31", "2026-03-01", True),
    ("2025-03-15", "2025-09-14", False),
])
def test_stop_order_alert_only_past_six_months(tmp_path, start, as_of, alert):
    old, new = _major_records(day_new=start)  # the ledger is folded up to NEW's date
    led = _ledger(tmp_path, [{"at": "2025-03-01", "action": "found", "severity": "major"},
                             {"at": start, "action": "stop_ordered", "stop_order": {"from": start}}])
    res = sv.track(old, new, ledger=led, as_of=datetime.date.fromisoformat(as_of))
    codes = [a["code"] for a in res.alerts]
    assert ("A-STOP-OVER-6-MONTHS" in codes) is alert, codes


# --- §8.4 alerts: "a 挂牌督办 candidate, with the listing level derived from the entity's supervising level"


@pytest.mark.parametrize("supervised_by, grade, level", [
    (None, None, "county"), ("city", None, "city"), ("province", None, "province"),
    (None, 3, "city"), (None, 2, "province"), (None, 4, "county"), ("city", 2, "city"),
])
def test_listing_candidate_level_follows_the_supervising_level(tmp_path, supervised_by, grade, level):
    ent = {"id": "E1"}
    if supervised_by:
        ent["supervised_by"] = supervised_by
    f = {"standard": "s", "clause": "c", "severity": "major"}
    old = write_jsonl(tmp_path / "old.jsonl", [{"entity": ent, "date": "2025-03-01", "level": "red", "findings": [f]}])
    new = write_jsonl(tmp_path / "new.jsonl", [{"entity": ent, "date": "2025-08-01", "level": "red", "findings": [f]}])
    args = ["track", old, new, "--as-of", "2025-08-02", "--format", "json"]
    if grade is not None:
        led = write_jsonl(tmp_path / "ledger.jsonl", [{"finding_id": sv.finding_id("E1", "s", "c"), "entity_id": "E1",
                                                       "at": "2025-03-01", "action": "found", "severity": "major", "grade": grade}])
        args += ["--ledger", led]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    alerts = [a for a in json.loads(r.stdout)["alerts"] if a["code"] == "A-LISTING-CANDIDATE"]
    assert len(alerts) == 1
    assert alerts[0]["listing_level"] == level
    assert f"at {level} level" in alerts[0]["message"]


# --- §8.1 step 1: "The plan recomputes every sum and reports printed totals that disagree" ------------


def test_a_calendar_that_prints_a_wrong_total_is_flagged(tmp_path):
    cal = open(os.path.join(EXAMPLES, "calendar-2025.yaml"), encoding="utf-8").read() + "workdays: 250\n"
    (tmp_path / "cal.yaml").write_text(cal, encoding="utf-8")
    (tmp_path / "staff.yaml").write_text("year: 2025\nstaff: 2\n", encoding="utf-8")
    reg = write_jsonl(tmp_path / "reg.jsonl", [{"entity": {"id": "E1", "status": "active"}, "level": "blue"}])
    r = run("plan", reg, "--staff", tmp_path / "staff.yaml", "--calendar", tmp_path / "cal.yaml", "--year", "2025",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)["summary"]
    assert s["workdays"]["workdays"] == 248
    arith = [w for w in s["warnings"] if w["code"] == "W-PLAN-ARITH"]
    assert arith and "250" in arith[0]["message"] and "248" in arith[0]["message"]
    (tmp_path / "cal.yaml").write_text(cal.replace("workdays: 250", "workdays: 248"), encoding="utf-8")
    r = run("plan", reg, "--staff", tmp_path / "staff.yaml", "--calendar", tmp_path / "cal.yaml", "--year", "2025",
            "--format", "json")
    assert not [w for w in json.loads(r.stdout)["summary"]["warnings"] if w["code"] == "W-PLAN-ARITH"]


# --- §8.2 step 2: S mixes in "the published values as strings" -----------------------------------


@pytest.mark.parametrize("values, ok", [('["07", "3", "9"]', True), ("[7, 3, 9]", True), ("[07, 3, 9]", False),
                                        ("[0x1F, 3, 9]", False), ("[1.50, 3, 9]", False), ("[true, 3, 9]", False)])
def test_public_values_are_the_published_text(colours, tmp_path, values, ok):
    """YAML reads 07 as the number 7: the effective seed would mix in "7", not
    the published "07", and a verifier working from the published numbers
    would get another draw.  Such a value must be quoted (exit 2, located)."""
    from sv_fixtures import COMMITMENT, SEED

    _, reg = colours
    (tmp_path / "src.yaml").write_text("description: lottery X, draw 60\nvalues: 3\n", encoding="utf-8")
    (tmp_path / "vals.yaml").write_text(f"values: {values}\n", encoding="utf-8")
    insp = write_jsonl(tmp_path / "insp.jsonl", [{"id": f"I{i}", "cert_no": f"C{i}"} for i in range(4)])
    r = run("draw", "commit", reg, "--inspectors", insp, "--as-of", "2025-03-01", "--commitment", COMMITMENT,
            "--public-source", tmp_path / "src.yaml", "-o", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    r = run("draw", "run", tmp_path / "m.json", "--seed", SEED, "--public-values", tmp_path / "vals.yaml", "-o", tmp_path / "r.json")
    if not ok:
        assert r.returncode == 2 and f"{tmp_path / 'vals.yaml'}:1:" in r.stderr and "quote" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
        return
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    published = ["07", "3", "9"] if '"07"' in values else ["7", "3", "9"]
    want = sha("srdraw/v1/seed\n" + SEED + "\n" + json.dumps(published, separators=(",", ":"), ensure_ascii=False))
    assert res["seed"]["effective"] == want and res["seed"]["public_values"] == published


# --- §8.2 targets: "With a budget … the counts are scaled down by the largest-remainder method" ----------


def test_a_binding_budget_never_raises_a_stratum_above_its_own_target(tmp_path):
    """yellow 100 at 0.10 wants 10; blue 2 and unknown 2 want 1 each (the
    minimum).  A budget of 11 scales the 12 down: quotas ∝ ratio × n give
    yellow 10.68, so the seat left over went to yellow (11, more than its
    ratio asks) while blue and unknown got none.  Scaled down, yellow keeps 10
    and the seat goes to the next largest remainder (unknown)."""
    lines = ([{"entity": {"id": f"Y{i:03d}", "status": "active"}, "level": "yellow"} for i in range(100)]
             + [{"entity": {"id": f"B{i}", "status": "active"}, "level": "blue"} for i in range(2)]
             + [{"entity": {"id": f"U{i}", "status": "active"}, "level": None} for i in range(2)])
    reg = write_jsonl(tmp_path / "reg.jsonl", lines)
    (tmp_path / "p.yaml").write_text('kind: supervision-policy\nid: t\nkey_inspection: {any_of: "false"}\n'
                                     'random: {ratios: {yellow: "0.10", blue: "0.05"}, min_per_stratum: 1}\n', encoding="utf-8")
    insp = write_jsonl(tmp_path / "insp.jsonl", [{"id": f"I{i}", "cert_no": f"C{i}"} for i in range(4)])
    from sv_fixtures import COMMITMENT

    r = run("draw", "commit", reg, "--policy", tmp_path / "p.yaml", "--inspectors", insp, "--as-of", "2025-03-01",
            "--commitment", COMMITMENT, "--budget", "11", "--format", "json")
    assert r.returncode == 0, r.stderr
    man = json.loads(r.stdout)
    assert {s["stratum"]: s["target"] for s in man["strata"]} == {"yellow": 10, "blue": 0, "unknown": 1}
    assert man["budget"] == {"after": 11, "before": 12, "binds": True, "budget": 11}


# --- §8.0 inputs: grid members are `id, grid, fte, cert_no?`; a move is `entity_id,to_grid` -----------


@pytest.mark.parametrize("which, text", [("members", "x\n"), ("members", ""), ("members", "member,grid\nM1,G1\n"),
                                         ("move", "a,b\nB1,G1\n")])
def test_a_csv_without_its_columns_is_an_error_not_an_empty_list(colours, tmp_path, which, text):
    """A members file whose header lacks id and grid gave a report with no
    members at all (exit 0): every grid understaffed, nothing said."""
    _, reg = colours
    members = tmp_path / "members.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G1,1,C1\nM2,G2,1,\n", encoding="utf-8")
    bad = tmp_path / f"{which}.csv"
    bad.write_text(text, encoding="utf-8")
    args = ["grid", reg, "--members", members if which == "move" else bad]
    if which == "move":
        args += ["--move", bad]
    r = run(*args)
    assert r.returncode == 2 and f"{bad}:1: error:" in r.stderr and "Traceback" not in r.stderr, (r.returncode, r.stderr)


# --- §8.3: "Counts-only mode (--by count), which reproduces Shenzhen's current entity-count standard
# next to the weighted view, so the imbalance described in paper B §3.4 shows" ---------------------------


def test_count_mode_shows_the_weighted_view_next_to_it(colours, tmp_path):
    _, reg = colours
    members = tmp_path / "members.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G1,1,C1\nM2,G1,1,\nM3,G2,1,C3\nM4,G2,1,C4\n", encoding="utf-8")
    cal = os.path.join(EXAMPLES, "calendar-2025.yaml")
    out = {}
    for by in ("load", "count"):
        r = run("grid", reg, "--members", members, "--calendar", cal, "--by", by, "--format", "json")
        assert r.returncode == 0, r.stderr
        out[by] = json.loads(r.stdout)
    assert [g["load"] for g in out["count"]["grids"]] == [str(g["entities"]) for g in out["count"]["grids"]]
    assert [g["weighted_load"] for g in out["count"]["grids"]] == [g["load"] for g in out["load"]["grids"]]
    assert [g["weighted_utilisation"] for g in out["count"]["grids"]] == [g["utilisation"] for g in out["load"]["grids"]]
    assert out["count"]["summary"]["balance_weighted"] == out["load"]["summary"]["balance"]
    assert "balance_weighted" not in out["load"]["summary"]
    text = run("grid", reg, "--members", members, "--calendar", cal, "--by", "count").stdout
    assert "weighted load across grids: CV " + out["load"]["summary"]["balance"]["grids"]["cv"] in text


def test_registry_fields_evaluate_does_not_echo_can_be_added_to_the_line(colours, tmp_path):
    """docs/supervision.md "Inputs": evaluate's entity block has SPEC §8's five
    keys; credit_class, supervised_by … added to a line's entity block count."""
    _, reg = colours
    lines = [json.loads(x) for x in reg.read_text(encoding="utf-8").splitlines()]
    assert set(lines[0]["entity"]) <= {"id", "name", "grid", "status", "sector"}
    for d in lines:
        if d["entity"]["id"] == "B1":
            d["entity"]["credit_class"] = "D"
        if d["entity"]["id"] == "B2":
            d["entity"]["supervised_by"] = "city"
    p = write_jsonl(tmp_path / "reg.jsonl", lines)
    r = run("plan", p, "--staff", os.path.join(EXAMPLES, "staff-2025.yaml"), "--year", "2025", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {e["id"]: e for e in json.loads(r.stdout)["entities"]}
    assert rows["B1"]["category"] == "key" and rows["B1"]["reasons"] == ["known(entity.credit_class) and entity.credit_class == 'D'"]
    assert rows["B2"]["exclusion"] == "EX-SCOPE" and rows["B3"]["category"] == "random_pool"


# --- §8.4: "rectified_observed until the ledger has an accepted + closed event by the authority" --------


def test_acceptance_after_the_reinspection_makes_a_major_hazard_rectified(tmp_path):
    """The re-inspection (NEW) observes the major hazard gone; the authority
    accepts and closes it afterwards (HZ-10: county acceptance, then the city
    closes the listing).  On --as-of after the acceptance the ledger has it, so
    the class is rectified; the ledger was read only up to NEW's date, and the
    hazard stayed rectified_observed for ever."""
    old, new = _major_records(day_old="2025-03-01", day_new="2025-08-01")
    new = records_from_dicts([{"entity_id": "E1", "date": "2025-08-01", "findings": []}])
    events = [{"at": "2025-03-01", "action": "found", "severity": "major"},
              {"at": "2025-07-20", "action": "rectification_reported"},
              {"at": "2025-08-10", "action": "accepted", "actor": {"id": "county", "role": "authority"}},
              {"at": "2025-08-10", "action": "closed", "actor": {"id": "city", "role": "authority"}}]
    led = _ledger(tmp_path, events)
    row = sv.track(old, new, ledger=led, as_of=datetime.date(2025, 10, 1)).findings[0]
    assert row["class"] == "rectified" and row["ledger_status"] == "closed"
    # before the acceptance it is only observed
    row = sv.track(old, new, ledger=led, as_of=datetime.date(2025, 8, 5)).findings[0]
    assert row["class"] == "rectified_observed" and row["ledger_status"] == "pending_verification"


def test_a_deadline_extended_after_the_reinspection_counts_on_as_of(tmp_path):
    old, new = _major_records(day_old="2025-03-01", day_new="2025-08-01")
    events = [{"at": "2025-03-01", "action": "found", "severity": "major"},
              {"at": "2025-03-01", "action": "deadline_set", "deadline": "2025-08-31"},
              {"at": "2025-08-20", "action": "deadline_extended", "deadline": "2025-12-31", "approver": "head", "reason": "parts"}]
    led = _ledger(tmp_path, events)
    res = sv.track(old, new, ledger=led, as_of=datetime.date(2025, 10, 1))
    assert res.findings[0]["deadline"] == "2025-12-31" and res.findings[0]["overdue_days"] is None
    assert "A-MAJOR-OVERDUE" not in [a["code"] for a in res.alerts]


def test_closed_in_the_ledger_after_new_is_not_reopened_by_new(tmp_path):
    """reopened: "Closed in OLD or in the ledger before NEW's date, and found in NEW"."""
    old, new = _major_records(day_old="2025-03-01", day_new="2025-08-01")
    events = [{"at": "2025-03-01", "action": "found", "severity": "major"},
              {"at": "2025-08-10", "action": "accepted", "actor": {"role": "authority"}},
              {"at": "2025-08-10", "action": "closed"}]
    row = sv.track(old, new, ledger=_ledger(tmp_path, events), as_of=datetime.date(2025, 10, 1)).findings[0]
    assert row["class"] == "persisting"
    events2 = [{"at": "2025-03-01", "action": "found", "severity": "major"},
               {"at": "2025-06-10", "action": "accepted", "actor": {"role": "authority"}},
               {"at": "2025-06-10", "action": "closed"}]
    row = sv.track(old, new, ledger=_ledger(tmp_path, events2), as_of=datetime.date(2025, 10, 1)).findings[0]
    assert row["class"] == "reopened"


# --- §8.2: "An unknown level is its own stratum unknown, drawn at the highest ratio among the drawable strata"


@pytest.mark.parametrize("with_red, want", [(False, 2), (True, 30)])
def test_unknown_takes_the_highest_ratio_of_the_drawable_strata(tmp_path, with_red, want):
    """With cn.ha.samr.2021 (red 30 %, orange 10 %, yellow 2 %, blue 1 %) and no
    red or orange entity in the pool (§8.6: "The red and orange rows matter
    only if a policy makes those levels drawable"), 100 unknown-level entities
    are drawn at 2 %, not at red's 30 %.  With red entities in the pool, 30 %."""
    from sv_fixtures import COMMITMENT

    lines = ([{"entity": {"id": f"Y{i:03d}", "status": "active"}, "level": "yellow"} for i in range(50)]
             + [{"entity": {"id": f"B{i:03d}", "status": "active"}, "level": "blue"} for i in range(50)]
             + [{"entity": {"id": f"U{i:03d}", "status": "active"}, "level": None} for i in range(100)]
             + ([{"entity": {"id": f"R{i}", "status": "active"}, "level": "red"} for i in range(3)] if with_red else []))
    reg = write_jsonl(tmp_path / "reg.jsonl", lines)
    (tmp_path / "p.yaml").write_text('kind: supervision-policy\nid: t\nkey_inspection: {any_of: "false"}\n'
                                     "random: {ratios: cn.ha.samr.2021}\n", encoding="utf-8")
    insp = write_jsonl(tmp_path / "insp.jsonl", [{"id": f"I{i}", "cert_no": f"C{i}"} for i in range(4)])
    r = run("draw", "commit", reg, "--policy", tmp_path / "p.yaml", "--inspectors", insp, "--as-of", "2025-03-01",
            "--commitment", COMMITMENT, "--format", "json")
    assert r.returncode == 0, r.stderr
    strata = {s["stratum"]: s for s in json.loads(r.stdout)["strata"]}
    assert strata["unknown"]["target"] == want and strata["yellow"]["target"] == 1
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2025\nstaff: 10\n", encoding="utf-8")
    r = run("plan", reg, "--policy", tmp_path / "p.yaml", "--staff", staff, "--year", "2025", "--format", "json")
    assert r.returncode == 0, r.stderr
    got = {s["stratum"]: s for s in json.loads(r.stdout)["summary"]["general"]["strata"]}
    assert got["unknown"]["wanted"] == want


# --- §8.4 alerts: "re-checks due recheck_days after a deadline" --------------------------------------


@pytest.mark.parametrize("new_day, alert", [("2025-06-10", None), ("2025-05-25", "A-RECHECK-DUE"),
                                             ("2025-06-15", None)])
def test_a_new_inspection_after_the_deadline_is_the_recheck(tmp_path, new_day, alert):
    """NEW looked at the finding after its deadline (and found it still there):
    that inspection is the re-check, so no A-RECHECK-DUE/OVERDUE for it.  A
    NEW before the deadline leaves the re-check to come."""
    f = {"standard": "s", "clause": "c", "severity": "general", "deadline": "2025-06-01"}
    old = records_from_dicts([{"entity_id": "E1", "date": "2025-03-01", "findings": [f]}])
    new = records_from_dicts([{"entity_id": "E1", "date": new_day, "findings": [dict(f)]}])
    res = sv.track(old, new, as_of=datetime.date(2025, 6, 5 if alert else 20))
    codes = {a["code"] for a in res.alerts if a["code"].startswith("A-RECHECK")}
    assert codes == ({alert} if alert else set()), codes
    assert res.findings[0]["class"] == "persisting"
    if alert is None:
        assert res.findings[0]["rechecked_on"] == new_day


# --- §8.4: "--clause-map maps renumbered clauses"; the ledger keeps the id the finding had ---------------


def test_a_mapped_clause_keeps_its_ledger_record(tmp_path):
    """OLD found std/art10 (a major hazard); the new rule set renumbered it to
    art11.  The ledger holds the finding under art10's id, accepted and closed
    by the authority: NEW no longer finding art11 makes it rectified, not
    rectified_observed for want of a ledger record under the new id."""
    old = records_from_dicts([{"entity_id": "E1", "date": "2025-03-01", "findings": [{"standard": "std", "clause": "art10", "severity": "major"}]}])
    new = records_from_dicts([{"entity_id": "E1", "date": "2025-08-01", "findings": []}])
    fid_old = sv.finding_id("E1", "std", "art10")
    led = sv.read_ledger(write_jsonl(tmp_path / "l.jsonl", [
        {"finding_id": fid_old, "entity_id": "E1", "at": "2025-03-01", "action": "found", "severity": "major"},
        {"finding_id": fid_old, "entity_id": "E1", "at": "2025-07-01", "action": "accepted", "actor": {"role": "authority"}},
        {"finding_id": fid_old, "entity_id": "E1", "at": "2025-07-01", "action": "closed"}]))
    res = sv.track(old, new, ledger=led, clause_map={("std", "art10"): ("std", "art11")}, as_of=datetime.date(2025, 9, 1))
    row = res.findings[0]
    assert row["finding_id"] == sv.finding_id("E1", "std", "art11") and row["clause"] == "art11"
    assert row["class"] == "rectified" and row["ledger_status"] == "closed"


# --- §8.2 step 6: "verify recomputes 3–5 from the manifest, the seed and (optionally) the raw inputs" -----


def test_verify_with_raw_inputs_recomputes_a_manifest_committed_with_the_defaults(colours, tmp_path):
    """The synopsis `draw verify M R --seed S --registry … --history … --inspectors …`
    has no --policy.  A draw committed without --policy (the project
    defaults) was then only checked for input digests: a manifest whose pool
    had been edited (an entity dropped, the pool digest recomputed, the result
    drawn from it) verified.  The defaults now recompute it: exit 1."""
    from sv_fixtures import COMMITMENT, SEED

    _, reg = colours
    hist = write_jsonl(tmp_path / "h.jsonl", [])
    insp = write_jsonl(tmp_path / "i.jsonl", [{"id": f"I{i}", "cert_no": f"C{i}"} for i in range(4)])
    m, res = tmp_path / "m.json", tmp_path / "r.json"
    r = run("draw", "commit", reg, "--history", hist, "--inspectors", insp, "--as-of", "2025-03-01", "--commitment", COMMITMENT, "-o", m)
    assert r.returncode == 0, r.stderr
    assert run("draw", "run", m, "--seed", SEED, "-o", res).returncode == 0
    raw = ["--registry", reg, "--history", hist, "--inspectors", insp]
    r = run("draw", "verify", m, res, "--seed", SEED, *raw)
    assert r.returncode == 0 and "and the raw inputs" in r.stdout, r.stdout + r.stderr
    man = json.loads(m.read_text(encoding="utf-8"))
    st = next(s for s in man["strata"] if s["n"] > 1)
    st["ids"] = st["ids"][1:]
    st["n"] -= 1
    man["pool_digest"] = sv.pool_digest({s["stratum"]: s["ids"] for s in man["strata"]})
    m2 = tmp_path / "m2.json"
    m2.write_text(sv.canonical(man) + "\n", encoding="utf-8")
    assert run("draw", "run", m2, "--seed", SEED, "-o", tmp_path / "r2.json").returncode == 0
    assert run("draw", "verify", m2, tmp_path / "r2.json", "--seed", SEED).returncode == 0  # consistent by itself
    r = run("draw", "verify", m2, tmp_path / "r2.json", "--seed", SEED, *raw)
    assert r.returncode == 1 and "the manifest does not follow from the inputs" in r.stderr, r.stdout + r.stderr
    with pytest.raises(sv.SupervisionError) as info:
        sv.draw_verify(sv.Manifest(man), (tmp_path / "r2.json").read_text(encoding="utf-8"), SEED, reg=str(reg),
                       history=hist, inspectors=insp)
    assert info.value.code == "E-DRAW-VERIFY"


# --- §8.0 library API: sv.track(old, new, ledger=..., clause_map=..., as_of=...) takes paths as the other calls do


def test_track_takes_every_input_as_a_path(colours, tmp_path):
    import pathlib

    _, reg = colours
    cmap = tmp_path / "map.yaml"
    cmap.write_text('"cn.npc.safety-production-law/art24.2": "cn.npc.safety-production-law/art24.3"\n', encoding="utf-8")
    led = write_jsonl(tmp_path / "l.jsonl", [{"finding_id": sv.finding_id("Y1", "cn.npc.safety-production-law", "art24.3"),
                                              "entity_id": "Y1", "at": "2025-03-01", "action": "found", "severity": "general"}])
    pol = tmp_path / "p.yaml"
    pol.write_text("kind: supervision-policy\nid: t\ntrack: {recheck_days: 5}\n", encoding="utf-8")
    by_path = sv.track(pathlib.Path(reg), str(reg), ledger=pathlib.Path(led), clause_map=str(cmap), as_of="2025-10-01",
                       policy=str(pol))
    objs = sv.track(sv.read_records(str(reg)), sv.read_records(str(reg)), ledger=sv.read_ledger(led),
                    clause_map={("cn.npc.safety-production-law", "art24.2"): ("cn.npc.safety-production-law", "art24.3")},
                    as_of=datetime.date(2025, 10, 1), policy=sv.load_policy(str(pol)))
    assert by_path.to_json() == objs.to_json()
    assert {p["name"]: p["value"] for p in by_path.summary["parameters"]}["recheck_days"] == 5
    rows = {(f["entity_id"], f["clause"]): f for f in by_path.findings}
    assert rows[("Y1", "art24.3")]["ledger_status"] == "open"


# --- §8.8 2: "The default ratio profile … ships as status: provisional …; a draw that uses it prints W-DRAW-DEFAULT-RATIO"


@pytest.mark.parametrize("ratios, warned", [("project.default", True), ('{yellow: "0.10", blue: "0.05"}', False), (None, True)])
def test_a_draw_that_uses_the_default_profile_warns_whoever_names_it(colours, tmp_path, ratios, warned):
    """A policy of status `policy` that names `ratios: project.default` still
    draws with the provisional profile: the warning was given only when the
    value came from the defaults (plan gave it in both cases)."""
    from sv_fixtures import COMMITMENT

    _, reg = colours
    pol = tmp_path / "p.yaml"
    pol.write_text("kind: supervision-policy\nid: t\nstatus: policy\nsource: county plan\n"
                   + (f"random: {{ratios: {ratios}}}\n" if ratios else ""), encoding="utf-8")
    insp = write_jsonl(tmp_path / "i.jsonl", [{"id": f"I{i}", "cert_no": f"C{i}"} for i in range(4)])
    r = run("draw", "commit", reg, "--policy", pol, "--inspectors", insp, "--as-of", "2025-03-01", "--commitment", COMMITMENT,
            "--format", "json")
    assert r.returncode == 0, r.stderr
    man = json.loads(r.stdout)
    assert ("W-DRAW-DEFAULT-RATIO" in [w["code"] for w in man["warnings"]]) is warned
    assert man["policy"]["ratios"]["status"] == ("provisional" if warned else "policy")


def test_a_grid_member_listed_twice_is_an_error(colours, tmp_path):
    """Inspector ids must be unique; a member id twice doubled the member's capacity unseen."""
    _, reg = colours
    m = tmp_path / "members.csv"
    m.write_text("id,grid,fte,cert_no\nM1,G1,1,C1\nM2,G1,1,\nM1,G2,1,C1\n", encoding="utf-8")
    r = run("grid", reg, "--members", m)
    assert r.returncode == 2 and f"{m}:4: error: duplicate grid member id 'M1' (first on line 2)" in r.stderr, r.stderr


# --- §8.4 "Registry summary. Counts per class × severity × grid × level" -------------------------------


def test_track_summary_counts_per_class_severity_grid_and_level(colours, tmp_path):
    _, reg = colours
    lines = [json.loads(x) for x in reg.read_text(encoding="utf-8").splitlines()]
    new = [d for d in lines if d["entity"]["id"] != "Y1"]  # Y1 gone: its finding out of scope
    newp = write_jsonl(tmp_path / "new.jsonl", new)
    r = run("track", reg, newp, "--as-of", "2025-10-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    want = {}
    for f in d["findings"]:
        k = (f["class"], f["severity"], f["grid"], f["level"])
        want[k] = want.get(k, 0) + 1
    got = {(b["class"], b["severity"], b["grid"], b["level"]): b["count"] for b in d["summary"]["breakdown"]}
    assert got == want and ("out_of_scope", "general", "G2", "yellow") in got
    assert ("persisting", "major", "G1", "red") in got and ("persisting", "major", "G2", "red") in got
    assert sum(got.values()) == len(d["findings"])


# --- §8.2 step 5: "results are published within 20 working days of the end of the check (DR-PUB-1),
# whose due date track or publish fills in once the inspection date is known" ------------------------------


@pytest.mark.parametrize("calendar, due", [(True, "2025-10-24"), (False, "2025-10-20")])
def test_track_fills_in_the_publication_due_date_of_an_inspection_record(tmp_path, calendar, due):
    """An inspection on Mon 2025-09-22: 20 working days on the 2025 calendar
    (National Day Oct 1–3 and 6–8 off; Sun Sep 28 and Sat Oct 11 worked) end on
    Fri Oct 24; Monday to Friday only, on Mon Oct 20 (with W-CALENDAR-DEFAULT)."""
    rec = {"inspection_id": "INS-7", "entity_id": "E1", "date": "2025-09-22", "inspectors": ["I1", "I2"], "channel": "enforcement",
           "kind": "random", "findings": [{"standard": "s", "clause": "c", "severity": "general", "deadline": "2025-12-01"}]}
    old = tmp_path / "old.json"
    old.write_text(json.dumps(dict(rec, inspection_id="INS-1", date="2025-03-03")), encoding="utf-8")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(rec), encoding="utf-8")
    args = ["track", old, new, "--as-of", "2025-09-30", "--format", "json"]
    if calendar:
        args += ["--calendar", os.path.join(EXAMPLES, "calendar-2025.yaml")]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)["summary"]
    assert s["publication"]["inspections"] == [{"date": "2025-09-22", "due": due, "entity_id": "E1", "inspection_id": "INS-7"}]
    assert s["publication"]["working_days"] == 20
    assert ("W-CALENDAR-DEFAULT" in [w["code"] for w in s["warnings"]]) is (not calendar)
    text = run(*[a for a in args if a not in ("--format", "json")]).stdout
    assert f"publish the results of INS-7 (E1, 2025-09-22) by {due}" in text


def test_a_graded_registry_has_no_publication_dates(colours):
    _, reg = colours
    r = run("track", reg, reg, "--as-of", "2025-10-01", "--format", "json")
    assert r.returncode == 0 and "publication" not in json.loads(r.stdout)["summary"]


# --- §8.5 Outputs: "patrol_guidance findings are shown apart from enforcement findings" -- in track too ----


def test_track_shows_patrol_guidance_findings_apart(tmp_path):
    from test_sv_provenance_e2e import entity as prov_entity, graded as prov_graded

    old, _ = prov_graded(tmp_path, "old", [prov_entity("E1", "G1", True, True), prov_entity("E2", "G2", True, False)], "2025-06-01")
    new, _ = prov_graded(tmp_path, "new", [prov_entity("E1", "G1", True, False), prov_entity("E2", "G2", True, True)], "2025-07-01")
    r = run("track", old, new, "--as-of", "2025-07-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    open_rows = [f for f in rep["findings"] if f["class"] in ("new", "persisting", "reopened")]
    assert rep["summary"]["kinds"] == {"enforcement": 4, "patrol_guidance": 1} and len(open_rows) == 5
    text = run("track", old, new, "--as-of", "2025-07-01").stdout
    assert "findings by kind: enforcement 4, patrol_guidance 1" in text


# --- §8.4 ledger: "evidence holds SHA-256 digests of photos and documents, not the files" ---------------


@pytest.mark.parametrize("evidence, ok", [(["sha256:" + "a" * 64], True), (["b" * 64], True), (["photo-1.jpg"], False),
                                          ("sha256:" + "a" * 64, False), ([None], False)])
def test_ledger_evidence_is_digests(tmp_path, evidence, ok):
    fid = sv.finding_id("E1", "s", "c")
    led = write_jsonl(tmp_path / "l.jsonl", [{"finding_id": fid, "entity_id": "E1", "at": "2025-03-01", "action": "found"},
                                             {"finding_id": fid, "entity_id": "E1", "at": "2025-03-02", "action": "rectification_reported",
                                              "evidence": evidence}])
    r = run("ledger", "stats", led, "--year", "2025")
    if ok:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 2 and f"{led}:2: error: evidence" in r.stderr and "Traceback" not in r.stderr, r.stderr


# --- §8.0 audit record: "the digests of the rule set, policy, registry, history, inspectors and calendar" --


def test_the_run_record_has_the_default_policys_digest(colours, tmp_path):
    from sv_fixtures import COMMITMENT

    _, reg = colours
    insp = write_jsonl(tmp_path / "i.jsonl", [{"id": f"I{i}", "cert_no": f"C{i}"} for i in range(4)])
    r = run("draw", "commit", reg, "--inspectors", insp, "--as-of", "2025-03-01", "--commitment", COMMITMENT,
            "-o", tmp_path / "m.json", "--record", tmp_path / "rec")
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "rec" / "run.json").read_text(encoding="utf-8"))
    man = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert rec["inputs"]["policy"] == man["inputs"]["policy"] and rec["inputs"]["policy"].startswith("sha256:")
    assert rec["inputs"]["registry"] == man["inputs"]["registry"]
    r = run("grid", reg, "--members", os.path.join(EXAMPLES, "members.csv"), "--record", tmp_path / "rec2")
    assert r.returncode == 0 and json.loads((tmp_path / "rec2" / "run.json").read_text(encoding="utf-8"))["inputs"]["policy"] == man["inputs"]["policy"]


def test_a_day_both_holiday_and_makeup_workday_is_an_error(tmp_path):
    """§8.0 calendar: weekdays, minus holidays, plus makeup workdays — one day cannot be both."""
    cal = tmp_path / "cal.yaml"
    cal.write_text("year: 2025\nholidays: [2025-10-01, 2025-10-02]\nmakeup_workdays: [2025-09-28,\n  2025-10-02]\n", encoding="utf-8")
    (tmp_path / "staff.yaml").write_text("year: 2025\nstaff: 2\n", encoding="utf-8")
    reg = write_jsonl(tmp_path / "reg.jsonl", [{"entity": {"id": "E1", "status": "active"}, "level": "blue"}])
    r = run("plan", reg, "--staff", tmp_path / "staff.yaml", "--calendar", cal, "--year", "2025")
    assert r.returncode == 2 and f"{cal}:4:3: error: 2025-10-02 is both a holiday and a makeup workday" in r.stderr, r.stderr


def test_a_facts_registry_given_as_the_graded_one_is_warned_about(colours, tmp_path):
    """The commands read what `evaluate --format json` prints; the facts it
    reads have no level, so every entity came out key 'undetermined' without a word."""
    d, reg = colours
    facts = d / "registry-facts.jsonl"
    staff = os.path.join(EXAMPLES, "staff-2025.yaml")
    r = run("plan", facts, "--staff", staff, "--year", "2025")
    assert r.returncode == 0 and f"{facts}: warning: no line carries a decision" in r.stderr, r.stderr
    r = run("plan", reg, "--staff", staff, "--year", "2025")
    assert r.returncode == 0 and "no line carries a decision" not in r.stderr


@pytest.mark.parametrize("channel, understaffed", [("patrol", []), ("enforcement", ["G1"])])
def test_patrol_members_do_not_staff_a_grid_for_enforcement(colours, tmp_path, channel, understaffed):
    """§8.3: members without cert_no are patrol capacity only, never counted
    towards administrative inspections: G1's two patrol members staff it for
    patrol, not for enforcement."""
    _, reg = colours
    m = tmp_path / "members.csv"
    m.write_text("id,grid,fte,cert_no\nM1,G1,1,\nM2,G1,1,\nM3,G2,1,C3\nM4,G2,1,C4\n", encoding="utf-8")
    r = run("grid", reg, "--members", m, "--channel", channel, "--format", "json")
    assert r.returncode == 0, r.stderr
    grids = json.loads(r.stdout)["grids"]
    assert [g["grid"] for g in grids if "W-GRID-UNDERSTAFFED" in g["flags"]] == understaffed
