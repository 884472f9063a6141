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
from cli_inproc import main_in_process

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SELFCHECK = os.path.join(ROOT, "standards", "selfcheck")
AS_OF = datetime.date(2025, 3, 1)


def H(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run(*args, env=None):
    """The command line, in this process (fast) or, with ``env``, as a subprocess."""
    if env is not None:
        return subprocess.run([sys.executable, "-m", "safetyrules", *map(str, args)], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, **env))
    import types

    code, out, err = main_in_process(str(a) for a in args)
    return types.SimpleNamespace(returncode=code, stdout=out, stderr=err)


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

_TWO_COMMANDS = """
import contextlib, io, json, sys
from safetyrules.cli.main import main
outs = []
for argv in json.loads(sys.argv[1]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    outs.append([code, buf.getvalue()])
sys.stdout.write(json.dumps(outs))
"""


def test_json_outputs_are_the_same_bytes_under_any_hash_seed(tmp_path):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(f"企业{i:02d}", lvl, grid=f"网格{i % 3}") for i, lvl in enumerate(["yellow", "blue", "red", "orange"] * 5)])
    members = tmp_path / "m.csv"
    members.write_text("id,grid,fte,cert_no\nM1,网格0,1,C1\nM2,网格1,0.5,\nM3,网格2,1,\n", encoding="utf-8")
    staff = os.path.join(EXAMPLES, "staff-2025.yaml")
    cal = os.path.join(EXAMPLES, "calendar-2025.yaml")
    argvs = [["plan", str(reg), "--staff", staff, "--calendar", cal, "--year", "2025", "--format", "json"],
             ["grid", str(reg), "--members", str(members), "--calendar", cal, "--format", "json", "--suggest"],
             ["track", str(reg), str(reg), "--as-of", "2025-06-01", "--format", "json"]]
    outs = {}
    for seed in ("0", "4242"):  # one interpreter per hash seed, all three commands in it
        p = subprocess.run([sys.executable, "-c", _TWO_COMMANDS, json.dumps(argvs)], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONHASHSEED=seed))
        assert p.returncode == 0, p.stderr
        outs[seed] = json.loads(p.stdout)
        assert [code for code, _ in outs[seed]] == [0, 0, 0], p.stderr
    assert outs["0"] == outs["4242"]
    for _, text in outs["0"]:
        assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


# --- every bad input: PATH:LINE[:COL]: error:, exit 2, no traceback (failed before: exit 70 or no place) ---

POLICY_HEAD = "kind: supervision-policy\nid: audit3\nparameters:\n"


@pytest.mark.parametrize("param", ["min_per_stratum: x", "min_per_stratum: -1", "exclude_recent_days: x", "rotation_window: x",
                                   "load_cap: x", "publish_working_days: x", "grid_max_entities: x", "grid_min_members: x",
                                   "recheck_days: x", "max_stop_months: x", "coverage_cycle_years: 0", "budget: x",
                                   "blackout_months: [13]", "blackout_months: [x]", "strata: x", "stock_cutoff: x"])
def test_a_bad_policy_parameter_is_an_error_at_its_line(tmp_path, param):
    p = tmp_path / "policy.yaml"
    p.write_text(POLICY_HEAD + "  " + param + "\n", encoding="utf-8")
    with pytest.raises(sv.SupervisionError) as e:
        sv.load_policy(str(p))
    assert (e.value.path, e.value.line, e.value.code) == (str(p), 4, "E-POLICY")


def test_bad_field_values_are_errors_at_their_line(tmp_path):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E1", "yellow", grid="G1")])
    ins = tmp_path / "ins.yaml"
    ins.write_text("inspectors:\n  - {id: I01, name: A, unit: U, cert_no: C-1, cert_valid_until: 2027-12-31, grids: 5}\n", encoding="utf-8")
    members = tmp_path / "m.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G1,-1,\n", encoding="utf-8")
    new = write_jsonl(tmp_path / "new.jsonl", [{"entity_id": "E1", "date": "2025-06-01", "findings": [{"standard": "s", "clause": "c", "deadline": "soon"}]}])
    subj = write_jsonl(tmp_path / "subj.jsonl", [{"entity_id": "E1", "date": "2025-06-01", "findings": [{"standard": "s", "clause": "c", "subjects": "DS-2"}]}])
    cases = [(["draw", "commit", reg, "--inspectors", ins, "--as-of", "2025-03-01", "--commitment", "0" * 64], f"{ins}:2:5: error: "),
             (["grid", reg, "--members", members, "--year", "2025"], f"{members}:2: error: "),
             (["track", reg, new, "--as-of", "2025-07-01"], f"{new}:1: error: "),
             (["track", reg, subj, "--as-of", "2025-07-01"], f"{subj}:1: error: ")]
    for argv, where in cases:
        r = run(*argv)
        assert r.returncode == 2 and r.stderr.startswith(where) and "Traceback" not in r.stderr, (argv, r.returncode, r.stderr)


def test_a_member_with_no_time_has_no_capacity(tmp_path):
    """fte 0 in a JSON or YAML member list read as a full-time member (0 or 1)."""
    m = write_jsonl(tmp_path / "m.jsonl", [{"id": "M1", "grid": "G1", "fte": 0}, {"id": "M2", "grid": "G1"}, {"id": "M3", "grid": "G1", "fte": "0.5"}])
    assert [x.fte for x in sv.read_members(m)] == [0, 1, fractions.Fraction(1, 2)]


def _vector_manifest(tmp_path):
    from sv_fixtures import COMMITMENT, vector_files

    f = vector_files(tmp_path)
    man = sv.draw_commit(sv.read_registry(f["registry"]), sv.load_policy(f["policy"]), history=sv.read_history(f["history"]),
                         inspectors=sv.read_inspectors(f["inspectors"]), as_of=AS_OF, commitment=COMMITMENT)
    return json.loads(man.to_json())


def test_a_manifest_cut_short_is_an_error_at_the_file_not_a_crash(tmp_path):
    from sv_fixtures import SEED

    good = _vector_manifest(tmp_path)
    for name, edit in (("short", lambda m: {"format": m["format"]}), ("ids", lambda m: {**m, "strata": [{**m["strata"][0], "ids": "E001"}]}),
                       ("target", lambda m: {**m, "strata": [{**m["strata"][0], "target": "2"}]}), ("as_of", lambda m: {**m, "as_of": 5})):
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(edit(good)), encoding="utf-8")
        r = run("draw", "run", p, "--seed", SEED)
        assert r.returncode == 2 and r.stderr.startswith(f"{p}:1: error: ") and "internal error" not in r.stderr, (name, r.stderr)


def test_a_pool_edited_after_the_commit_is_refused(tmp_path):
    """§8.2: the manifest fixes the pool by its digest before the seed is revealed; a manifest whose
    strata no longer hash to that digest (an entity dropped by hand) was drawn from all the same."""
    from sv_fixtures import SEED

    m = _vector_manifest(tmp_path)
    m["strata"][0]["ids"].remove("E001")
    m["strata"][0]["n"] -= 1
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_run(sv.draw.manifest_from_dict(m), seed=SEED)
    assert e.value.code == "E-DRAW-INPUT-CHANGED"
    p = tmp_path / "edited.json"
    p.write_text(json.dumps(m), encoding="utf-8")
    assert run("draw", "run", p, "--seed", SEED).returncode == 1


def test_public_values_that_are_not_the_sources_are_an_error_at_their_file(tmp_path):
    from sv_fixtures import COMMITMENT, SEED, vector_files

    f = vector_files(tmp_path)
    src = tmp_path / "source.yaml"
    src.write_text("description: 福利彩票 3D 2025-03-02\nvalues: 3\n", encoding="utf-8")
    vals = tmp_path / "values.yaml"
    vals.write_text('values: ["07", "一"]\n', encoding="utf-8")
    man = tmp_path / "m.json"
    r = run("draw", "commit", f["registry"], "--policy", f["policy"], "--history", f["history"], "--inspectors", f["inspectors"],
            "--as-of", "2025-03-01", "--commitment", COMMITMENT, "--public-source", src, "-o", man)
    assert r.returncode == 0, r.stderr
    r = run("draw", "run", man, "--seed", SEED, "--public-values", vals)
    assert r.returncode == 2 and r.stderr.startswith(f"{vals}:1: error: "), r.stderr


def test_an_entity_in_no_grid_is_said_not_only_left_out(tmp_path):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E1", "yellow", grid="G1"), entity("E2", "red")])
    members = tmp_path / "m.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G1,1,\n", encoding="utf-8")
    g = sv.grid_report(sv.read_registry(reg), str(members), sv.default_policy(), calendar=os.path.join(EXAMPLES, "calendar-2025.yaml")).to_dict()
    assert g["summary"]["totals"]["entities"] == 1 and g["summary"]["totals"]["unassigned"] == 1
    assert [w["message"].endswith(": E2") for w in g["summary"]["warnings"] if w["code"] == "W-GRID-UNASSIGNED"] == [True]


def test_key_inspection_any_of_takes_a_list_of_conditions(tmp_path):
    """§8.1 step 2: "Entities for which key_inspection.any_of holds": a list there was refused
    ("a condition is DSL text")."""
    p = tmp_path / "policy.yaml"
    p.write_text("kind: supervision-policy\nid: audit3\nkey_inspection:\n  any_of:\n    - risk.level == 'red'\n    - entity.scale == 'large'\n",
                 encoding="utf-8")
    reg = sv.read_registry(write_jsonl(tmp_path / "r.jsonl", [entity("R1", "red"), entity("L1", "blue", scale="large"), entity("B1", "blue")]))
    from safetyrules.supervision.selection import classify

    cls = classify(reg, sv.load_policy(str(p)), sv.read_history(None), AS_OF)
    assert {k: (v.category, v.reasons) for k, v in cls.items()} == {
        "R1": ("key", ("risk.level == 'red'",)), "L1": ("key", ("entity.scale == 'large'",)), "B1": ("random_pool", ())}
    p.write_text("kind: supervision-policy\nid: audit3\nkey_inspection:\n  any_of:\n    - risk.level == 'red'\n    - entity.scale ==\n", encoding="utf-8")
    with pytest.raises(sv.SupervisionError) as e:
        sv.load_policy(str(p))
    assert (e.value.line, e.value.code) == (6, "E-POLICY")


def _bad_inputs(tmp_path):
    """(name, argv, the file the error must name, its line): found by mutating the example inputs."""
    from sv_fixtures import COMMITMENT, SEED, vector_files

    f = vector_files(tmp_path)
    cal = os.path.join(EXAMPLES, "calendar-2025.yaml")
    staff = os.path.join(EXAMPLES, "staff-2025.yaml")

    def w(name, text):
        (tmp_path / name).write_text(text, encoding="utf-8")
        return str(tmp_path / name)

    rec = {"entity": {"id": "A", "grid": "G1"}, "level": "yellow", "date": "2025-01-10", "findings": [{"standard": "s", "clause": "c"}], "undetermined": []}
    man = _vector_manifest(tmp_path)
    good_ledger = {"finding_id": "F-0000000000000000", "entity_id": "A", "at": "2025-01-10", "action": "found", "actor": {"id": "I1"}}
    out = []
    for name, text, line in (("hol-null", "year: 2025\nholidays: [2025-01-01, null]\n", 2), ("hol-scalar", "year: 2025\nholidays: -1\n", 2)):
        p = w(name + ".yaml", text)
        out.append((name, ["plan", f["registry"], "--staff", staff, "--calendar", p, "--year", "2025"], p, line))
    p = w("ins.yaml", "inspectors:\n  - {id: I01, name: A, unit: U, cert_no: C-1, cert_valid_until: 2027-12-31, conflicts: 5}\n")
    out.append(("conflicts", ["draw", "commit", f["registry"], "--inspectors", p, "--as-of", "2025-03-01", "--commitment", COMMITMENT], p, 2))
    p = w("title.yaml", "kind: supervision-policy\nid: t\ntitle: [x]\n")
    out.append(("title", ["plan", f["registry"], "--policy", p, "--staff", staff, "--calendar", cal, "--year", "2025"], p, 3))
    for name, edit in (("findings", {"findings": 1.5}), ("undetermined", {"undetermined": False})):
        p = write_jsonl(tmp_path / f"reg-{name}.jsonl", [dict(rec, **edit)])
        out.append((f"registry-{name}", ["grid", p, "--members", w("m.csv", "id,grid,fte,cert_no\nM1,G1,1,\n"), "--year", "2025"], p, 1))
    for name, edit in (("entity", {"entity": "A", "entity_id": "A"}), ("grid", {"entity": {"id": "B", "grid": True}}), ("level", {"level": "2025"}),
                       ("clause", {"findings": [{"standard": "s", "clause": {"a": 1}}]})):
        p = write_jsonl(tmp_path / f"rec-{name}.jsonl", [rec, dict(rec, **edit, **({} if "entity" in edit else {"entity": {"id": "B"}}))])
        out.append((f"track-{name}", ["track", f["registry"], p, "--as-of", "2025-06-01"], p, 2))
    p = write_jsonl(tmp_path / "led.jsonl", [good_ledger, dict(good_ledger, action="deadline_set", deadline="2025-02-01", entity_id={"a": 1})])
    out.append(("ledger-entity", ["ledger", "stats", p, "--quarter", "2025Q1"], p, 2))
    for name, edit in (("inspector", lambda m: {**m, "inspectors": [{**m["inspectors"][0], "cert_valid_until": -1}]}),
                       ("warnings", lambda m: {**m, "warnings": [{"code": {}, "message": "x"}]})):
        p = w(f"man-{name}.json", json.dumps(edit(man)))
        out.append((f"manifest-{name}", ["draw", "run", p, "--seed", SEED], p, 1))
    return out


def test_mutated_inputs_are_errors_at_their_line_not_crashes(tmp_path):
    for name, argv, path, line in _bad_inputs(tmp_path):
        r = run(*argv)
        assert r.returncode == 2 and r.stderr.startswith(f"{path}:{line}") and "internal error" not in r.stderr, (name, r.returncode, r.stderr)


def test_verify_of_a_result_with_malformed_replacements_fails_not_crashes(tmp_path):
    from sv_fixtures import SEED

    man = tmp_path / "m.json"
    man.write_text(json.dumps(_vector_manifest(tmp_path)), encoding="utf-8")
    r = run("draw", "run", man, "--seed", SEED, "--format", "json")
    assert r.returncode == 0, r.stderr
    for bad in ([1], "2025-01-01", [{"entity_id": "NOT-IN-POOL", "reason": "closed"}]):
        res = tmp_path / "r.json"
        res.write_text(json.dumps(dict(json.loads(r.stdout), replacements=bad)), encoding="utf-8")
        v = run("draw", "verify", man, res, "--seed", SEED)
        assert v.returncode == 1 and "internal error" not in v.stderr, (bad, v.stderr)


def test_a_policy_title_may_be_one_text(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("kind: supervision-policy\nid: t\ntitle: 县应急管理局2026年执法计划\n", encoding="utf-8")
    assert sv.load_policy(str(p)).title == {"text": "县应急管理局2026年执法计划"}


def test_a_bad_fact_of_an_entity_looked_up_in_a_facts_registry_is_at_its_line(tmp_path):
    lines = [json.loads(x) for x in open(os.path.join(EXAMPLES, "facts.jsonl"), encoding="utf-8")]
    lines[1]["entity.employees"] = "many"
    p = write_jsonl(tmp_path / "facts.jsonl", lines)
    r = run("checklist", lines[1]["entity.id"], "--facts", p, "--as-of", "2025-06-01")
    assert r.returncode == 2 and r.stderr.startswith(f"{p}:2: error: "), r.stderr


@pytest.mark.parametrize("ratios,min_per,budget", [(("0", "1"), 0, None), (("0", "1"), 1, None), (("1", "0.34"), 0, None), (("0.5", "0.5"), 1, 0),
                                                   (("1", "1"), 0, 2), (("0.001", "0.999"), 1, None), (("1", "1"), 1, 3)])
def test_targets_at_the_boundaries_are_the_prose(tmp_path, ratios, min_per, budget):
    """§8.2: k = max(min_per_stratum, ceil(ratio × n)), never above n; a budget scales the targets by
    largest remainder, quotas ∝ ratio × n, ties to the earlier stratum, none above its own target.
    A stratum of one (yellow), ratios 0 and 1, budget 0."""
    lines = [entity("Y1", "yellow")] + [entity(f"B{i}", "blue") for i in range(3)]
    reg = sv.read_registry(write_jsonl(tmp_path / "r.jsonl", lines))
    p = tmp_path / "p.yaml"
    p.write_text(f'kind: supervision-policy\nid: b\nrandom:\n  ratios: {{yellow: "{ratios[0]}", blue: "{ratios[1]}"}}\n  min_per_stratum: {min_per}\n', encoding="utf-8")
    man = sv.draw_commit(reg, sv.load_policy(str(p)), history=sv.read_history(None), inspectors=(), as_of=AS_OF, commitment="0" * 64, budget=budget)
    ns = {"yellow": 1, "blue": 3}
    want = {s: min(n, max(min_per, math.ceil(fractions.Fraction(r) * n))) for (s, n), r in zip(ns.items(), ratios)}
    if budget is not None and sum(want.values()) > budget:
        q = {s: fractions.Fraction(r) * ns[s] for s, r in zip(ns, ratios)}
        total = sum(q.values())
        quota = {s: budget * q[s] / total for s in ns}
        seats = {s: min(want[s], math.floor(quota[s])) for s in ns}
        for s in sorted(ns, key=lambda s: (-(quota[s] - math.floor(quota[s])), list(ns).index(s))):
            if sum(seats.values()) < budget and seats[s] < want[s]:
                seats[s] += 1
        want = seats
    assert {s["stratum"]: s["target"] for s in man.data["strata"]} == want


def test_an_entity_moved_twice_is_an_error_at_the_second_line(tmp_path):
    """A what-if that sends one entity to two grids took the last line silently (as a member listed
    twice once counted twice)."""
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E1", "yellow", grid="G1"), entity("E2", "red", grid="G2")])
    members = tmp_path / "m.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G1,1,\nM2,G2,1,\n", encoding="utf-8")
    moves = tmp_path / "moves.csv"
    moves.write_text("entity_id,to_grid\nE1,G2\nE1,G3\n", encoding="utf-8")
    r = run("grid", reg, "--members", members, "--year", "2025", "--move", moves)
    assert r.returncode == 2 and r.stderr.startswith(f"{moves}:3: error: "), r.stderr


def test_a_findings_severity_is_general_or_major(tmp_path):
    """A 'Major' (or any other word) was counted as no severity: a major hazard persisting without
    its listing alert.  The ledger already refuses it; so does a record now."""
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E1", "yellow")])
    new = write_jsonl(tmp_path / "n.jsonl", [{"entity_id": "E1", "date": "2025-06-01", "findings": [{"standard": "s", "clause": "c", "severity": "Major"}]}])
    r = run("track", reg, new, "--as-of", "2025-07-01")
    assert r.returncode == 2 and r.stderr.startswith(f"{new}:1: error: severity"), r.stderr
