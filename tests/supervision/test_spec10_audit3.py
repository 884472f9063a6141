"""A third black-box audit of SPEC §10 against reference/supervision.md §8.

The hashing of §8.1, §8.2 and §8.4 is recomputed here by a small
implementation written from the prose alone (not from the package), over
seeds and inputs the earlier rounds did not use (Unicode and empty seeds,
public values with non-ASCII text, a binding load cap, an expired
certificate, blackout months, a leap year); the commands are chained
(evaluate → track, plan → draw) and their machine-readable output compared
across PYTHONHASHSEED.  The tests marked "failed before" name the fix."""

import datetime
import fractions
import hashlib
import json
import math
import os
import subprocess
import sys

import pytest

import safetyrules.supervision as sv
from safetyrules.supervision.track import records_from_dicts

from sv_fixtures import EXAMPLES, entity, write_jsonl

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SELFCHECK = os.path.join(ROOT, "standards", "selfcheck")
AS_OF = datetime.date(2025, 3, 1)


def H(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "safetyrules", *map(str, args)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


# --- the prose of §8.2 and §8.4, implemented from the text only -----------------------------------

def ref_effective_seed(secret, public_values):
    if public_values is None:
        return secret
    return H("srdraw/v1/seed\n" + secret + "\n" + json.dumps([str(v) for v in public_values], separators=(",", ":"), ensure_ascii=False))


def ref_pool_digest(strata):
    pairs = sorted([name, e] for name, ids, _ in strata for e in ids)
    return H(json.dumps(pairs, separators=(",", ":"), ensure_ascii=False))


def ref_draw(S, strata, min_per, inspectors, last, team_size, cap, as_of):
    """strata: [(name, ids, ratio text)] in policy order; inspectors: [(id, valid_until, conflicts)];
    last: entity → inspectors of its last inspection (rotation window 1)."""
    selected = []
    for name, ids, ratio in strata:
        n = len(ids)
        k = min(n, max(min_per, math.ceil(fractions.Fraction(ratio) * n)))
        ranked = sorted(ids, key=lambda e: H(f"srdraw/v1\nentity\n{S}\n{name}\n{e}"))
        selected.append((name, ranked[:k]))
    load, teams = {}, {}
    for _, ids in selected:
        for e in ids:
            team = []
            for i, until, conflicts in sorted(inspectors, key=lambda x: H(f"srdraw/v1\ninspector\n{S}\n{e}\n{x[0]}")):
                if len(team) == team_size:
                    break
                if until < as_of or e in conflicts or i in last.get(e, ()) or load.get(i, 0) >= cap:
                    continue
                team.append(i)
                load[i] = load.get(i, 0) + 1
            teams[e] = team
    return {name: ids for name, ids in selected}, teams, load


INSPECTORS = [("I01", datetime.date(2027, 12, 31), {"E001"}), ("I02", datetime.date(2027, 12, 31), {"E105"}),
              ("I03", datetime.date(2027, 12, 31), ()), ("I04", datetime.date(2025, 2, 28), ()),  # expired the day before
              ("I05", datetime.date(2025, 3, 1), ()), ("I06", datetime.date(2027, 12, 31), ())]  # valid on as_of itself
LAST = {"E010": {"I05"}, "E002": {"I01", "I06"}}
YELLOW = [f"E{i:03d}" for i in range(1, 13)]
BLUE = [f"E{i:03d}" for i in range(101, 107)]


@pytest.fixture(scope="module")
def draw_inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit3-draw")
    reg = write_jsonl(d / "registry.jsonl", [entity(e, "yellow") for e in YELLOW] + [entity(e, "blue") for e in BLUE])
    (d / "policy.yaml").write_text("kind: supervision-policy\nid: audit3\nrandom:\n  ratios: {yellow: \"0.5\", blue: \"0.05\"}\n"
                                   "  min_per_stratum: 1\ninspectors:\n  team_size: 2\n  load_cap: 4\n  rotation_window: 1\n", encoding="utf-8")
    ins = [{"id": i, "name": f"检查员 {i}", "unit": "区应急管理局", "cert_no": f"C-{i}", "cert_valid_until": until.isoformat(),
            "conflicts": [{"entity_id": e, "relation": "interest", "declared": True} for e in sorted(c)]} for i, until, c in INSPECTORS]
    (d / "inspectors.json").write_text(json.dumps(ins, ensure_ascii=False), encoding="utf-8")
    hist = [{"inspection_id": "H1", "entity_id": "E010", "date": "2023-06-01", "channel": "enforcement", "kind": "random", "inspectors": ["I05"], "open_findings": 0},
            {"inspection_id": "H2", "entity_id": "E002", "date": "2022-05-01", "channel": "enforcement", "kind": "random", "inspectors": ["I03"], "open_findings": 0},
            {"inspection_id": "H3", "entity_id": "E002", "date": "2023-05-01", "channel": "enforcement", "kind": "random", "inspectors": ["I01", "I06"], "open_findings": 0}]
    h = write_jsonl(d / "history.jsonl", hist)
    return sv.read_registry(reg), sv.load_policy(str(d / "policy.yaml")), sv.read_history(h), sv.read_inspectors(str(d / "inspectors.json"))


SEEDS = ["5f2c1d9e0b7a4c3e8d6f1a2b3c4d5e6f", "种子-α", " padded seed ", "", "e\u0301", "x" * 300]


@pytest.mark.parametrize("secret", SEEDS)
@pytest.mark.parametrize("public", [None, ["07", "一", "0x1F"]])
def test_a_draw_is_the_prose_recomputed(draw_inputs, secret, public):
    reg, pol, hist, ins = draw_inputs
    kw = {"commitment": H(secret)}
    if public is not None:
        kw["public_source"] = {"description": "福利彩票 3D 2025-03-02", "values": len(public)}
    man = sv.draw_commit(reg, pol, history=hist, inspectors=ins, as_of=AS_OF, **kw)
    strata = [("yellow", YELLOW, "0.5"), ("blue", BLUE, "0.05")]
    assert man.data["pool_digest"] == ref_pool_digest(strata)
    assert man.data["seed"]["commitment"] == H(secret)
    res = sv.draw_run(man, seed=secret, public_values=public)
    S = ref_effective_seed(secret, public)
    assert res.data["seed"]["effective"] == S
    selected, teams, load = ref_draw(S, strata, 1, INSPECTORS, LAST, 2, 4, AS_OF)
    assert res.selected == selected
    assert res.teams == teams and res.data["errors"] == []
    for s in res.data["strata"]:  # the rank keys are the published hashes
        assert [x["key"] for x in s["selected"]] == [H(f"srdraw/v1\nentity\n{S}\n{s['stratum']}\n{x['entity_id']}") for x in s["selected"]]
    assert max(load.values()) <= 4 and all(len(t) == 2 for t in teams.values())


def test_the_load_cap_binds_somewhere_in_these_draws():
    """The seeds above exercise the load-cap filter (else the test above could not fail on it)."""
    strata = [("yellow", YELLOW, "0.5"), ("blue", BLUE, "0.05")]
    binds = 0
    for secret in SEEDS:
        for public in (None, ["07", "一", "0x1F"]):
            S = ref_effective_seed(secret, public)
            _, loose, _ = ref_draw(S, strata, 1, INSPECTORS, LAST, 2, 99, AS_OF)
            _, capped, _ = ref_draw(S, strata, 1, INSPECTORS, LAST, 2, 4, AS_OF)
            binds += loose != capped
    assert binds >= 2


def test_finding_ids_and_months_are_the_prose_recomputed():
    for args in [("E001", "cn.npc.safety-production-law", "art36.4", ""), ("E001", "cn.mem.order10.dust", "art11.3", ""),
                 ("91440300MA5F000001-01", "标准.地方", "第3条（二）", "设备[编号=甲-1]"), ("E 1", "s", "c", "dust.systems[id=DS-2]")]:
        assert sv.finding_id(*args) == "F-" + H("srfind/v1\n" + "\n".join(args))[:16]
    assert sv.finding_id("E001", "cn.npc.safety-production-law", "art36.4") == "F-b04cde82e74c989a"
    assert sv.finding_id("E001", "cn.mem.order10.dust", "art11.3") == "F-1fd7e28a1dfcb684"
    for year in (2024, 2025, 2100):
        for eid in ("E001", "企业-1", "SZ000001"):
            offset = int(H(f"srplan/v1\n{year}\n{eid}")[:8], 16) % 12
            for v in (1, 2, 3, 4, 5, 6, 7, 12):
                assert sv.visit_months(year, eid, v) == [1 + ((offset + (12 * k) // v) % 12) for k in range(v)]
            # a blackout month moves a visit to the next allowed month (wrapping December → January)
            want = []
            for m in [1 + ((offset + (12 * k) // 4) % 12) for k in range(4)]:
                while m in (1, 2, 12):
                    m = m % 12 + 1
                want.append(m)
            assert sv.visit_months(year, eid, 4, blackout=[12, 1, 2]) == want


def test_a_leap_year_calendar_counts_its_workdays(tmp_path):
    """2024 (366 days; Feb 29 a Thursday): 262 weekdays − 19 weekday holidays + 8 makeup days = 251."""
    cal = tmp_path / "cal-2024.yaml"
    cal.write_text("year: 2024\nholidays: [2024-01-01, 2024-02-10, 2024-02-11, 2024-02-12, 2024-02-13, 2024-02-14, 2024-02-15, 2024-02-16,"
                   " 2024-02-17, 2024-04-04, 2024-04-05, 2024-04-06, 2024-05-01, 2024-05-02, 2024-05-03, 2024-05-04, 2024-05-05,"
                   " 2024-06-10, 2024-09-15, 2024-09-16, 2024-09-17, 2024-10-01, 2024-10-02, 2024-10-03, 2024-10-04, 2024-10-05,"
                   " 2024-10-06, 2024-10-07]\nmakeup_workdays: [2024-02-04, 2024-02-18, 2024-04-07, 2024-04-28, 2024-05-11, 2024-09-14,"
                   " 2024-09-29, 2024-10-12]\nworkdays: 251\n", encoding="utf-8")
    c = sv.read_calendar(str(cal), 2024)
    assert c.workdays() == 251 and c.is_workday(datetime.date(2024, 2, 29))
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2024\nstaff: 3\nother_enforcement: {}\nnon_enforcement: {}\n", encoding="utf-8")
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E1", "blue")])
    r = run("plan", reg, "--staff", staff, "--calendar", cal, "--year", "2024", "--format", "json")
    assert r.returncode == 0, r.stderr
    w = json.loads(r.stdout)["summary"]["workdays"]
    assert (w["workdays"], w["legal"]) == (251, 753)


# --- track: publication due dates need the calendar of the days they count (failed before) ---------

def test_a_publication_count_that_leaves_the_calendars_year_is_warned():
    """§8.0: the calendar "is required to count working-day deadlines. Without it the count uses
    Monday–Friday and warns W-CALENDAR-DEFAULT."  A check on 2025-12-22 with the 2025 calendar
    counts its 20 working days into January 2026, which that calendar does not cover: those days
    were counted Monday–Friday (2026-01-01 a workday) without a word."""
    cal = os.path.join(EXAMPLES, "calendar-2025.yaml")
    old = records_from_dicts([{"entity_id": "E1", "date": "2025-06-01", "findings": [], "undetermined": []}])
    late = records_from_dicts([{"entity_id": "E1", "inspection_id": "INS-9", "date": "2025-12-22", "findings": [], "undetermined": []}])
    res = sv.track(old, late, as_of=datetime.date(2026, 1, 10), calendar=cal).to_dict()["summary"]
    assert res["publication"]["inspections"][0]["due"] == "2026-01-19"
    ws = [w for w in res["warnings"] if w["code"] == "W-CALENDAR-DEFAULT"]
    assert ws and ws[0]["subject"] == "INS-9" and "2026" in ws[0]["message"]
    early = records_from_dicts([{"entity_id": "E1", "inspection_id": "INS-8", "date": "2025-11-03", "findings": [], "undetermined": []}])
    res = sv.track(old, early, as_of=datetime.date(2025, 12, 10), calendar=cal).to_dict()["summary"]
    assert res["publication"]["inspections"][0]["due"] == "2025-12-01"  # Nov 3 + 20 workdays, all in 2025
    assert not [w for w in res["warnings"] if w["code"] == "W-CALENDAR-DEFAULT"]


# --- track: item subjects against clause-level entries (failed before) -----------------------------

DUST = "cn.mem.order10.dust"


def _classes(old_f, new_f, old_u=(), new_u=()):
    old = records_from_dicts([{"entity_id": "E1", "date": "2025-01-10", "findings": list(old_f), "undetermined": list(old_u)}])
    new = records_from_dicts([{"entity_id": "E1", "date": "2025-07-10", "findings": list(new_f), "undetermined": list(new_u)}])
    return {f["subject"]: f["class"] for f in sv.track(old, new, as_of=datetime.date(2025, 8, 1)).findings}


def _f(*subjects, severity="general"):
    return {"standard": DUST, "clause": "art11.3", "severity": severity, **({"subjects": list(subjects)} if subjects else {})}


def test_an_item_whose_clause_is_undetermined_in_new_is_unverified_not_rectified():
    """§8.4: unverified = "Open in OLD and undetermined in NEW. It is never reported as rectified:
    missing facts never clear a hazard."  An undetermined clause names no items; the item found in
    OLD came out rectified."""
    assert _classes([_f("dust.systems[id=DS-1]")], [], new_u=[_f()]) == {"dust.systems[id=DS-1]": "unverified"}


def test_a_clause_level_finding_that_new_still_finds_by_item_is_not_rectified():
    """rectified needs the clause "evaluated and does not hold" in NEW; here NEW finds it (naming the
    item), and OLD's clause-level finding came out rectified beside a 'new' item."""
    assert _classes([_f()], [_f("dust.systems[id=DS-1]")]) == {"dust.systems[id=DS-1]": "persisting"}
    assert _classes([_f("dust.systems[id=DS-1]", "dust.systems[id=DS-2]")], [_f()]) == {
        "dust.systems[id=DS-1]": "persisting", "dust.systems[id=DS-2]": "persisting"}
    # items on both sides are still told apart
    assert _classes([_f("dust.systems[id=DS-1]", "dust.systems[id=DS-2]", severity="major")], [_f("dust.systems[id=DS-2]", severity="major")]) == {
        "dust.systems[id=DS-1]": "rectified_observed", "dust.systems[id=DS-2]": "persisting"}


def test_a_ledger_record_under_the_clause_level_id_still_applies_to_the_item(tmp_path):
    fid = sv.finding_id("E1", DUST, "art11.3")
    led = write_jsonl(tmp_path / "l.jsonl", [
        {"finding_id": fid, "entity_id": "E1", "at": "2025-01-10", "action": "found", "severity": "general", "actor": {"id": "I1", "role": "inspector"}},
        {"finding_id": fid, "entity_id": "E1", "at": "2025-01-10", "action": "deadline_set", "deadline": "2025-03-31", "actor": {"id": "I1", "role": "inspector"}}])
    old = records_from_dicts([{"entity_id": "E1", "date": "2025-01-10", "findings": [_f()], "undetermined": []}])
    new = records_from_dicts([{"entity_id": "E1", "date": "2025-07-10", "findings": [_f("dust.systems[id=DS-1]")], "undetermined": []}])
    (row,) = sv.track(old, new, ledger=str(led), as_of=datetime.date(2025, 8, 1)).findings
    assert (row["class"], row["deadline"], row["ledger_status"]) == ("persisting", "2025-03-31", "rectifying")


def test_track_rules_names_the_items_of_the_findings_evaluate_wrote(tmp_path):
    """§8.8 4: a finding of a clause over a list that declares `key:` names the items that made it
    true, and finding ids use them; SPEC §10: `evaluate --format json` is the graded registry the
    commands read.  evaluate's findings name no items, but carry the facts the condition read: with
    --rules, track now names the items from them (one DS fixed, one not: two classes, not one)."""
    base = {"entity.id": "W-001", "business.type": "workshop", "business.employees": 6, "safety.staff_assigned": True,
            "dust.present": True, "dust.gathering_rooms": False, "dust.cleaning_done": True}
    old = dict(base, **{"dust.systems": [{"id": "DS-1", "dry": True, "explosion_control": False}, {"id": "DS-2", "dry": True, "explosion_control": False}]})
    new = dict(base, **{"dust.systems": [{"id": "DS-1", "dry": True, "explosion_control": True}, {"id": "DS-2", "dry": True, "explosion_control": False}]})
    paths = []
    for name, facts, day in (("old", old, "2025-03-01"), ("new", new, "2025-09-01")):
        r = run("evaluate", write_jsonl(tmp_path / f"{name}-facts.jsonl", [facts]), "--rules", SELFCHECK, "--format", "json", "--as-of", day)
        assert r.returncode == 0, r.stderr
        (tmp_path / f"{name}.jsonl").write_text(r.stdout, encoding="utf-8")
        paths.append(tmp_path / f"{name}.jsonl")
    r = run("track", *paths, "--rules", SELFCHECK, "--as-of", "2025-10-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {f["subject"]: (f["class"], f["finding_id"]) for f in json.loads(r.stdout)["findings"]}
    std, cl = "cn.selfcheck.small-business", "dust-explosion-control"
    assert rows == {"dust.systems[id=DS-1]": ("rectified_observed", sv.finding_id("W-001", std, cl, "dust.systems[id=DS-1]")),
                    "dust.systems[id=DS-2]": ("persisting", sv.finding_id("W-001", std, cl, "dust.systems[id=DS-2]"))}


# --- plan: the key share of days of a plan with nothing to draw (failed before) ---------------------

def test_the_key_share_of_days_is_one_when_the_pool_is_empty(tmp_path):
    """§8.1 step 7 reports the key share of planned visits and of workdays; with every entity key
    the visits share was 1 and the days share null (no mean cost of an empty pool)."""
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("K1", "red"), entity("K2", "orange")])
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2025\nstaff: 2\nother_enforcement: {}\nnon_enforcement: {}\n", encoding="utf-8")
    p = sv.plan(sv.read_registry(reg), sv.default_policy(), staff=str(staff), calendar=os.path.join(EXAMPLES, "calendar-2025.yaml"), year=2025)
    c = p.to_dict()["summary"]["coverage"]
    assert c["key_share_of_visits"] == "1" and c["key_share_of_days"] == "1"


# --- text output never shows Python's None (failed before) ------------------------------------------

def test_text_and_markdown_show_no_python_none(tmp_path):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E001", "yellow", grid="G1"), entity("E002", "red", grid="G2", scale="large")])
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2025\nstaff: 0\nother_enforcement: {}\nnon_enforcement: {}\n", encoding="utf-8")
    members = tmp_path / "m.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G1,1,\n", encoding="utf-8")
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    for fmt in ("text", "markdown"):
        outs = [run("plan", empty, "--staff", staff, "--year", "2025", "--format", fmt),
                run("grid", reg, "--members", members, "--year", "2025", "--format", fmt)]
        for r in outs:
            assert r.returncode == 0, r.stderr
            assert "None" not in r.stdout, r.stdout


# --- machine-readable output: byte for byte across runs and hash seeds --------------------------------

def test_json_outputs_are_the_same_bytes_under_any_hash_seed(tmp_path):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(f"企业{i:02d}", lvl, grid=f"网格{i % 3}") for i, lvl in enumerate(["yellow", "blue", "red", "orange"] * 5)])
    members = tmp_path / "m.csv"
    members.write_text("id,grid,fte,cert_no\nM1,网格0,1,C1\nM2,网格1,0.5,\nM3,网格2,1,\n", encoding="utf-8")
    staff = os.path.join(EXAMPLES, "staff-2025.yaml")
    cal = os.path.join(EXAMPLES, "calendar-2025.yaml")
    outs = {}
    for seed in ("0", "4242"):
        env = {"PYTHONHASHSEED": seed}
        got = [run("plan", reg, "--staff", staff, "--calendar", cal, "--year", "2025", "--format", "json", env=env),
               run("grid", reg, "--members", members, "--calendar", cal, "--format", "json", "--suggest", env=env)]
        assert all(r.returncode == 0 for r in got), [r.stderr for r in got]
        outs[seed] = [r.stdout for r in got]
    assert outs["0"] == outs["4242"]
    for text in outs["0"]:
        assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
