"""A fourth black-box audit of SPEC §10 against reference/supervision.md §8.

Every expected hash below is recomputed here with hashlib from the prose of
§8.1, §8.2 and §8.4 (never through the package) and compared with what the
library and the command line print.  Aimed at what the earlier rounds left
out: entity ids written in NFC and NFD and ids holding the JSON separators,
pools of 0, 1 and exactly the draw size, a stratum smaller than its fixed
count, the same bytes on a second run, ``verify`` on a changed registry or
seed through the CLI, the plan's stratum targets under fixed ``counts``, and
policy parameters that reached the commands unchecked.  The tests marked
"failed before" name the fix."""

import hashlib
import json
import unicodedata

import pytest

import safetyrules.supervision as sv

from sv_fixtures import COMMITMENT, SEED, entity, inspectors, write_jsonl
from cli_inproc import main_in_process

AS_OF = "2025-03-01"


def H(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def run(*args):
    import types

    code, out, err = main_in_process(str(a) for a in args)
    return types.SimpleNamespace(returncode=code, stdout=out, stderr=err)


def policy_file(tmp_path, body, name="policy.yaml"):
    p = tmp_path / name
    p.write_text("kind: supervision-policy\nid: audit4\n" + body, encoding="utf-8")
    return str(p)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit4")
    ins = d / "inspectors.json"
    ins.write_text(json.dumps(inspectors()), encoding="utf-8")
    hist = write_jsonl(d / "history.jsonl", [{"inspection_id": "H1", "entity_id": "E010", "date": "2023-06-01", "channel": "enforcement",
                                               "kind": "random", "inspectors": ["I05"], "open_findings": 0}])
    return {"dir": d, "inspectors": str(ins), "history": hist}


# --- §8.2 and §8.4 vectors, from the text, through the command line ----------------------------------------------

def test_the_vectors_of_8_2_and_8_4_from_the_text_through_the_cli(tmp_path, files):
    yellow, blue = [f"E{i:03d}" for i in range(1, 11)], [f"E{i:03d}" for i in range(101, 107)]
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(e, "yellow") for e in yellow] + [entity(e, "blue") for e in blue])
    pol = policy_file(tmp_path, 'random:\n  ratios: {yellow: "0.20", blue: "0.05"}\n  min_per_stratum: 1\n'
                                "inspectors: {team_size: 2, load_cap: 2, rotation_window: 1}\n")
    assert H(SEED) == COMMITMENT == "81c444a187739367feac59c59af8d1fea4a0567a7cb964c28923036ab4e7477a"
    pairs = sorted([["yellow", e] for e in yellow] + [["blue", e] for e in blue])
    assert H(compact(pairs)) == "b30d059c3b1402ba78eb57366b9171542b15317daaa7c57870f3371530410f0c"
    man, res = tmp_path / "m.json", tmp_path / "res.json"
    r = run("draw", "commit", reg, "--policy", pol, "--history", files["history"], "--inspectors", files["inspectors"],
            "--as-of", AS_OF, "--commitment", COMMITMENT, "-o", man)
    assert r.returncode == 0, r.stderr
    m = json.loads(man.read_text(encoding="utf-8"))
    assert m["pool_digest"] == H(compact(pairs)) and m["seed"]["commitment"] == COMMITMENT
    assert run("draw", "run", man, "--seed", SEED, "-o", res).returncode == 0
    got = json.loads(res.read_text(encoding="utf-8"))
    for st, ids, k in (("yellow", yellow, 2), ("blue", blue, 1)):
        ranked = sorted(ids, key=lambda e: H(f"srdraw/v1\nentity\n{SEED}\n{st}\n{e}"))
        s = next(x for x in got["strata"] if x["stratum"] == st)
        assert [x["entity_id"] for x in s["selected"]] == ranked[:k]
        assert [x["key"] for x in s["selected"]] == [H(f"srdraw/v1\nentity\n{SEED}\n{st}\n{e}") for e in ranked[:k]]
    rank = {e: sorted([f"I0{i}" for i in range(1, 6)], key=lambda i: H(f"srdraw/v1\ninspector\n{SEED}\n{e}\n{i}")) for e in ("E001", "E010", "E106")}
    assert rank == {"E001": ["I03", "I05", "I01", "I04", "I02"], "E010": ["I05", "I02", "I04", "I01", "I03"],
                    "E106": ["I03", "I02", "I05", "I01", "I04"]}
    assert {t["entity_id"]: t["inspectors"] for t in got["teams"]} == {"E001": ["I05", "I01"], "E010": ["I02", "I04"], "E106": ["I03", "I02"]}
    # the manifest digest the result carries is the SHA-256 of the manifest's canonical bytes, less the newline
    assert got["manifest_digest"] == "sha256:" + hashlib.sha256(man.read_bytes().rstrip(b"\n")).hexdigest()
    assert "F-" + H("srfind/v1\nE001\ncn.npc.safety-production-law\nart36.4\n")[:16] == "F-b04cde82e74c989a" \
        == sv.finding_id("E001", "cn.npc.safety-production-law", "art36.4")
    assert "F-" + H("srfind/v1\nE001\ncn.mem.order10.dust\nart11.3\n")[:16] == "F-1fd7e28a1dfcb684" \
        == sv.finding_id("E001", "cn.mem.order10.dust", "art11.3", "")


# --- ids as written: NFC and NFD, separators ------------------------------------------------------------------------

NFC, NFD = unicodedata.normalize("NFC", "Café-甲"), unicodedata.normalize("NFD", "Café-甲")
ODD = [NFC, NFD, "E,1", 'E"q', "E:1", "E 1", "E/1", "[E]"]


def test_ids_are_hashed_as_written_not_normalised(tmp_path, files):
    assert NFC != NFD
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(e, "yellow") for e in ODD])
    pol = policy_file(tmp_path, 'random:\n  ratios: {yellow: "1"}\n')
    man, res = tmp_path / "m.json", tmp_path / "res.json"
    assert run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF,
               "--commitment", COMMITMENT, "-o", man).returncode == 0
    raw = man.read_text(encoding="utf-8")
    assert NFD in raw and NFC in raw and "\\u" not in raw  # UTF-8, non-ASCII not escaped, nothing normalised
    m = json.loads(raw)
    assert m["strata"][0]["ids"] == sorted(ODD) and m["strata"][0]["target"] == len(ODD)
    assert m["pool_digest"] == H(compact(sorted(["yellow", e] for e in ODD)))
    assert run("draw", "run", man, "--seed", SEED, "-o", res).returncode == 0
    got = json.loads(res.read_text(encoding="utf-8"))
    assert [x["entity_id"] for x in got["strata"][0]["selected"]] == sorted(ODD, key=lambda e: H(f"srdraw/v1\nentity\n{SEED}\nyellow\n{e}"))
    # finding ids, too, hash the text as written
    for eid in (NFC, NFD, "E,1", "E:1"):
        assert sv.finding_id(eid, "s.t", "第3条（二）", "设备[编号=甲-1]") == "F-" + H(f"srfind/v1\n{eid}\ns.t\n第3条（二）\n设备[编号=甲-1]")[:16]
    assert sv.finding_id(NFC, "s", "c") != sv.finding_id(NFD, "s", "c")
    assert sv.finding_id("E1", "s", "c") == sv.finding_id("E1", "s", "c", "") == "F-" + H("srfind/v1\nE1\ns\nc\n")[:16]
    # a newline inside an id would make two ids hash the same text: refused, never hashed
    for args in (("E\n1", "s", "c"), ("E1", "s\nx", "c"), ("E1", "s", "c\nx"), ("", "s", "c")):
        with pytest.raises(sv.SupervisionError):
            sv.finding_id(*args)
    with pytest.raises(sv.SupervisionError) as e:
        sv.finding_id("E1", "s", "c", "dust_systems[1]")
    assert e.value.code == "E-TRACK-UNSTABLE-SUBJECT"


# --- population sizes, re-runs, verify ------------------------------------------------------------------------------

@pytest.mark.parametrize("n,ratio,count,k", [(0, "0.5", None, 0), (1, "0.05", None, 1), (1, "0", None, 1), (4, "1", None, 4),
                                             (5, "0.2", None, 1), (3, None, 5, 3), (3, None, 0, 0)])
def test_pool_sizes_0_1_and_the_draw_size(tmp_path, files, n, ratio, count, k):
    ids = [f"P{i}" for i in range(n)]
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(e, "blue") for e in ids] + [entity("K1", "red")])
    body = "random:\n  min_per_stratum: 1\n" + (f'  ratios: {{blue: "{ratio}"}}\n' if ratio is not None else f"  ratios: {{}}\n  counts: {{blue: {count}}}\n")
    pol = policy_file(tmp_path, body)
    man, res = tmp_path / "m.json", tmp_path / "res.json"
    r = run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF, "--commitment", COMMITMENT, "-o", man)
    assert r.returncode == 0, r.stderr
    m = json.loads(man.read_text(encoding="utf-8"))
    assert m["pool_digest"] == H(compact(sorted(["blue", e] for e in ids)))  # "[]" for the empty pool
    assert sum(s["target"] for s in m["strata"]) == k
    assert [x["entity_id"] for x in m["exclusions"]] == ["K1"]
    assert run("draw", "run", man, "--seed", SEED, "-o", res).returncode == 0
    got = json.loads(res.read_text(encoding="utf-8"))
    want = sorted(ids, key=lambda e: H(f"srdraw/v1\nentity\n{SEED}\nblue\n{e}"))[:k]
    assert [x["entity_id"] for s in got["strata"] for x in s["selected"]] == want
    assert run("draw", "verify", man, res, "--seed", SEED).returncode == 0


def test_a_second_run_writes_the_same_bytes(tmp_path, files):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(f"E{i:03d}", "yellow") for i in range(1, 30)])
    pol = policy_file(tmp_path, 'random:\n  ratios: {yellow: "0.3"}\n')
    pub = tmp_path / "pub.yaml"
    pub.write_text('description: "福彩 3D 2025-03-02"\nvalues: 3\n', encoding="utf-8")
    vals = tmp_path / "vals.yaml"
    vals.write_text('values: ["07", "一", "3"]\n', encoding="utf-8")
    outs = []
    for i in range(2):
        man, res = tmp_path / f"m{i}.json", tmp_path / f"r{i}.json"
        assert run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF, "--commitment", COMMITMENT,
                   "--public-source", pub, "-o", man).returncode == 0
        r = run("draw", "run", man, "--seed", SEED, "--public-values", vals, "-o", res)
        assert r.returncode == 0, r.stderr
        outs.append((man.read_bytes(), res.read_bytes()))
    assert outs[0] == outs[1]
    got = json.loads(outs[0][1])
    S = H("srdraw/v1/seed\n" + SEED + "\n" + compact(["07", "一", "3"]))
    assert got["seed"]["effective"] == S
    ids = [f"E{i:03d}" for i in range(1, 30)]
    assert [x["entity_id"] for x in got["strata"][0]["selected"]] == sorted(ids, key=lambda e: H(f"srdraw/v1\nentity\n{S}\nyellow\n{e}"))[:9]


def test_verify_fails_on_a_changed_registry_or_seed_with_exit_1(tmp_path, files):
    ids = [f"E{i:03d}" for i in range(1, 11)]
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(e, "yellow") for e in ids])
    pol = policy_file(tmp_path, 'random:\n  ratios: {yellow: "0.2"}\n')
    man, res = tmp_path / "m.json", tmp_path / "res.json"
    common = ("--history", files["history"], "--inspectors", files["inspectors"])
    assert run("draw", "commit", reg, "--policy", pol, *common, "--as-of", AS_OF, "--commitment", COMMITMENT, "-o", man).returncode == 0
    assert run("draw", "run", man, "--seed", SEED, "-o", res).returncode == 0
    ok = run("draw", "verify", man, res, "--seed", SEED, "--registry", reg, "--policy", pol, *common)
    assert ok.returncode == 0 and ok.stdout.startswith("verified"), ok.stderr
    changed = write_jsonl(tmp_path / "r2.jsonl", [entity(e, "yellow") for e in ids] + [entity("E011", "yellow")])
    for argv, words in (((man, res, "--seed", SEED, "--registry", changed, "--policy", pol, *common), "registry"),
                        ((man, res, "--seed", SEED[:-1] + "0"), "commitment"),
                        ((man, res, "--seed", SEED.upper()), "commitment")):
        r = run("draw", "verify", *argv)
        assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr, (argv, r.returncode, r.stderr)
        assert run("draw", "run", *argv[:1], *argv[2:], "-o", tmp_path / "x.json").returncode == 1
    # an edited result fails the byte comparison
    edited = tmp_path / "edited.json"
    edited.write_text(res.read_text(encoding="utf-8").replace('"rank":1', '"rank":3', 1), encoding="utf-8")
    r = run("draw", "verify", man, edited, "--seed", SEED)
    assert r.returncode == 1 and "differs" in r.stderr


# --- fixed counts: the plan and the draw agree, a budget scales them ------------------------------------------------

def _strata_reg(tmp_path):
    return write_jsonl(tmp_path / "r.jsonl", [entity(f"Y{i:02d}", "yellow") for i in range(10)] + [entity(f"B{i:02d}", "blue") for i in range(6)])


def test_the_plan_hands_the_draw_the_targets_of_fixed_counts(tmp_path, files):
    """§8.1 step 5: the plan hands n_general and the stratum targets to draw commit; §8.2: a fixed
    count instead of the ratio.  Failed before: the plan ignored `counts` (targets 1 and 1 from
    the ratios) while the draw took 3 and 2."""
    reg = _strata_reg(tmp_path)
    pol = policy_file(tmp_path, "random:\n  counts: {yellow: 3, blue: 2}\n")
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2025\nstaff: 2\nother_enforcement: 10\nnon_enforcement: 10\n", encoding="utf-8")
    p = run("plan", reg, "--policy", pol, "--staff", staff, "--year", "2025", "--format", "json")
    assert p.returncode == 0, p.stderr
    plan_targets = {s["stratum"]: s["target"] for s in json.loads(p.stdout)["summary"]["general"]["strata"]}
    man = tmp_path / "m.json"
    assert run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF,
               "--commitment", COMMITMENT, "-o", man).returncode == 0
    draw_targets = {s["stratum"]: s["target"] for s in json.loads(man.read_text(encoding="utf-8"))["strata"]}
    assert plan_targets == draw_targets == {"yellow": 3, "blue": 2}


def test_a_budget_scales_fixed_counts_down_and_draws_its_seats(tmp_path, files):
    """§8.2: with a budget the counts are scaled down by largest remainder.  Failed before: with
    counts and no ratios every quota was 0, so a budget of 4 drew nobody (and the draw warned
    "nothing drawn" of strata it drew from without a budget)."""
    reg = _strata_reg(tmp_path)
    pol = policy_file(tmp_path, "random:\n  ratios: {}\n  counts: {yellow: 3, blue: 2}\n  budget: 4\n")
    man = tmp_path / "m.json"
    r = run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF, "--commitment", COMMITMENT,
            "-o", man, "--format", "json")
    assert r.returncode == 0, r.stderr
    m = json.loads(man.read_text(encoding="utf-8"))
    # quotas 4 × 3/5 = 2.4 and 4 × 2/5 = 1.6: floors 2 and 1, the last seat to the larger remainder
    assert {s["stratum"]: s["target"] for s in m["strata"]} == {"yellow": 2, "blue": 2}
    assert m["budget"]["binds"] and m["budget"]["after"] == 4
    assert "W-DRAW-NO-RATIO" not in [w["code"] for w in m["warnings"]]


# --- every policy parameter is checked where it is written ----------------------------------------------------------

BAD_PARAMS = ["counts: x", "counts: {yellow: x}", "counts: {yellow: -1}", "counts: {yellow: 2.5}", "counts: {yellow: true}",
              "visits: {monthly: x, quarterly: 4, semiannual: 2, annual: 1}", "visits: {monthly: -3, quarterly: 4, semiannual: 2, annual: 1}",
              "visits: {monthly: 12}", "visits: {weekly: 52, monthly: 12, quarterly: 4, semiannual: 2, annual: 1}", "visits: 12",
              "qualifications: {hazardous_chemicals: 3}", "qualifications: [hazchem]",
              "grid_weights: {fixed: x}", "grid_unknown_level: purple", "utilisation_flags: {over: x, under: '0.5', k: '1.5'}",
              "utilisation_flags: {over: '1.0', under: '0.5', k: '0'}",  # grid --suggest divided by it
              "days_per_visit: {default: 1, rules: [{when: 'true', days: -2}]}", "days_per_visit: {default: -1}"]


@pytest.mark.parametrize("param", BAD_PARAMS)
def test_a_bad_policy_parameter_is_an_error_at_its_line_for_every_command(tmp_path, files, param):
    """§8.0: bad input exits 2 as PATH:LINE:COL: error.  Failed before: each was accepted by
    `validate` and then crashed a command (internal error, exit 70), or gave a negative target."""
    pol = policy_file(tmp_path, "parameters:\n  " + param + "\n")
    with pytest.raises(sv.SupervisionError) as e:
        sv.load_policy(pol)
    assert (e.value.path, e.value.line, e.value.code) == (pol, 4, "E-POLICY"), e.value
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("R1", "red", grid="G1"), entity("Y1", "yellow", grid="G1")])
    r = run("validate", pol)  # SPEC §6: validate exits 1 on errors
    assert r.returncode == 1 and r.stderr.startswith(f"{pol}:4:"), r.stderr
    r = run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF, "--commitment", COMMITMENT, "-o", tmp_path / "m.json")
    assert r.returncode == 2 and r.stderr.startswith(f"{pol}:4:") and "internal error" not in r.stderr, r.stderr


def test_the_parameters_that_are_whole_are_still_taken(tmp_path):
    """The checks above refuse only what is malformed (else they could pass by refusing all)."""
    pol = policy_file(tmp_path, "parameters:\n  counts: {yellow: 0, blue/G1: 3}\n  visits: {monthly: 6, quarterly: 4, semiannual: 2, annual: 1}\n"
                                "  qualifications: {hazardous_chemicals: [hazchem]}\n  grid_unknown_level: orange\n"
                                "  days_per_visit: {default: 2, rules: [{when: \"entity.scale == 'large'\", days: 3}]}\n")
    p = sv.load_policy(pol)
    assert p["counts"] == {"yellow": 0, "blue/G1": 3} and p["visits"]["monthly"] == 6 and p["grid_unknown_level"] == "orange"


# --- the plan: frequencies, months, unknown level, status ------------------------------------------------------------

def test_the_plan_follows_8_1_for_each_level_and_status(tmp_path):
    rows = [entity("R1", "red"), entity("O1", "orange"), entity("Y1", "yellow", scale="large"), entity("B1", "blue", major_hazard_source=True),
            entity("U1", None), entity("C1", "red", status="closed"), entity("S1", "red", status="suspended"),
            entity("M1", "red", status="relocated"), entity("Y2", "yellow"), entity("B2", "blue")]
    reg = write_jsonl(tmp_path / "r.jsonl", rows)
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2026\nstaff: 3\nother_enforcement: 10\nnon_enforcement: 10\n", encoding="utf-8")
    pol = policy_file(tmp_path, "schedule: {blackout_months: [2]}\n")
    p = run("plan", reg, "--policy", pol, "--staff", staff, "--year", "2026", "--format", "json")
    assert p.returncode == 0, p.stderr
    got = {r["id"]: r for r in json.loads(p.stdout)["entities"]}
    for eid, visits in (("R1", 12), ("O1", 4), ("Y1", 2), ("B1", 1), ("U1", 12)):  # monthly, quarterly, semiannual, annual; unknown → most
        offset = int(H(f"srplan/v1\n2026\n{eid}")[:8], 16) % 12
        months = [1 + ((offset + (12 * k) // visits) % 12) for k in range(visits)]
        months = [3 if m == 2 else m for m in months]  # the blackout month moves to the next allowed one
        assert (got[eid]["category"], got[eid]["visits"], got[eid]["months"]) == ("key", visits, months), eid
    assert got["U1"]["reasons"] == ["undetermined"]
    for eid in ("C1", "S1", "M1"):
        assert (got[eid]["category"], got[eid]["exclusion"], got[eid]["visits"]) == ("excluded", "EX-STATUS", 0)
    assert got["Y2"]["category"] == got["B2"]["category"] == "random_pool"


# --- a misspelt field is an error, never a silently missing value ---------------------------------------------------

def _typo_cases(tmp_path, files):
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(f"E{i:03d}", "yellow", grid="G1") for i in range(1, 5)])
    staff_ok = tmp_path / "staff-ok.yaml"
    staff_ok.write_text("year: 2025\nstaff: 2\n", encoding="utf-8")

    def w(name, text):
        (tmp_path / name).write_text(text, encoding="utf-8")
        return str(tmp_path / name)

    commit = ("draw", "commit", reg, "--as-of", AS_OF, "--commitment", COMMITMENT, "-o", tmp_path / "m.json")
    ins = "inspectors:\n  - {id: I01, name: A, unit: U, cert_no: C-1, cert_valid_until: 2027-12-31}\n"
    return [
        # other enforcement days spelt wrong read as 0: more supervision days than there are
        ("staff", w("staff.yaml", "year: 2025\nstaff: 2\nother_enforcment: 100\n"), 3, ("plan", reg, "--staff", "{}", "--year", "2025")),
        # holidays spelt wrong: every weekday a workday
        ("calendar", w("cal.yaml", "year: 2025\nholiday: [2025-01-01]\n"), 2, ("plan", reg, "--staff", staff_ok, "--calendar", "{}", "--year", "2025")),
        # an expired certificate, or a declared conflict, silently lost: recusal and eligibility undone
        ("inspector", w("ins1.yaml", ins + "  - {id: I02, name: B, unit: U, cert_no: C-2, cert_valid_untl: 2024-12-31}\n"), 3,
         commit + ("--inspectors", "{}")),
        ("conflicts", w("ins2.yaml", ins + "  - {id: I02, name: B, unit: U, cert_no: C-2, conflict: [{entity_id: E001}]}\n"), 3,
         commit + ("--inspectors", "{}")),
        ("conflict-entry", w("ins3.yaml", ins + "  - {id: I02, name: B, unit: U, cert_no: C-2, conflicts: [{entity_id: E001, declred: false}]}\n"), 3,
         commit + ("--inspectors", "{}")),
        # the inspectors of the last inspection lost: rotation undone
        # a misspelt certificate column: every member patrol capacity only
        ("members", w("m.csv", "id,grid,fte,certno\nM1,G1,1,C-1\n"), 1, ("grid", reg, "--members", "{}", "--year", "2025")),
        ("history", write_jsonl(tmp_path / "h.jsonl", [{"inspection_id": "H1", "entity_id": "E001", "date": "2024-06-01", "inspektors": ["I01"]}]), 1,
         commit + ("--inspectors", files["inspectors"], "--history", "{}")),
    ]


def test_a_misspelt_field_is_an_error_at_its_line(tmp_path, files):
    """§8.0: bad input is an error at PATH:LINE, exit 2.  Failed before: each misspelt field was
    ignored, and the command ran on a default (0 other days, no holidays, no certificate end,
    no conflict, no inspectors)."""
    for name, path, line, argv in _typo_cases(tmp_path, files):
        r = run(*[path if a == "{}" else a for a in argv])
        assert r.returncode == 2 and r.stderr.startswith(f"{path}:{line}") and "did you mean" in r.stderr, (name, r.returncode, r.stderr)


def test_fields_the_inputs_do_not_use_are_still_allowed(tmp_path, files):
    """Only a near miss of a known field is refused (else the test above could pass by refusing everything)."""
    reg = write_jsonl(tmp_path / "r.jsonl", [entity("E001", "yellow")])
    (tmp_path / "staff.yaml").write_text("year: 2025\nstaff: 2\nsource: 县局 2025 计划\nnote: x\n", encoding="utf-8")
    (tmp_path / "cal.yaml").write_text("year: 2025\nholidays: [2025-01-01]\nsource: 国务院办公厅\n", encoding="utf-8")
    assert run("plan", reg, "--staff", tmp_path / "staff.yaml", "--calendar", tmp_path / "cal.yaml", "--year", "2025").returncode == 0
    (tmp_path / "ins.yaml").write_text("- {id: I01, name: A, unit: U, cert_no: C-1, phone: '123', rank: chief}\n"
                                       "- {id: I02, name: B, unit: U, cert_no: C-2}\n", encoding="utf-8")
    h = write_jsonl(tmp_path / "h.jsonl", [{"inspection_id": "H1", "entity_id": "E001", "date": "2024-06-01", "inspectors": ["I01"], "note": "ok"}])
    r = run("draw", "commit", reg, "--inspectors", tmp_path / "ins.yaml", "--history", h, "--as-of", AS_OF, "--commitment", COMMITMENT,
            "-o", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr


def test_the_run_record_of_verify_names_the_manifest_and_every_input(tmp_path, files):
    """§8.0 audit record: the digests of the inputs, and for a draw the manifest digest it depends
    on.  Failed before: verify's run.json had neither the manifest digest nor the history,
    inspectors and policy it read."""
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(f"E{i:03d}", "yellow") for i in range(1, 6)])
    pol = policy_file(tmp_path, 'random:\n  ratios: {yellow: "0.4"}\n')
    man, res = tmp_path / "m.json", tmp_path / "res.json"
    common = ("--policy", pol, "--history", files["history"], "--inspectors", files["inspectors"])
    assert run("draw", "commit", reg, *common, "--as-of", AS_OF, "--commitment", COMMITMENT, "-o", man).returncode == 0
    assert run("draw", "run", man, "--seed", SEED, "-o", res).returncode == 0
    r = run("draw", "verify", man, res, "--seed", SEED, "--registry", reg, *common, "--record", tmp_path / "rec")
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / "rec" / "run.json").read_text(encoding="utf-8"))
    digest = lambda p: "sha256:" + hashlib.sha256(open(p, "rb").read()).hexdigest()  # noqa: E731
    assert rec["manifest_digest"] == "sha256:" + hashlib.sha256(man.read_bytes().rstrip(b"\n")).hexdigest()
    assert {k: rec["inputs"][k] for k in ("manifest", "result", "registry", "policy", "history", "inspectors")} == {
        "manifest": digest(man), "result": digest(res), "registry": digest(reg), "policy": digest(pol),
        "history": digest(files["history"]), "inspectors": digest(files["inspectors"])}


@pytest.mark.parametrize("rec", [{"recent_inspectors": -1}, {"recent_inspectors": [{}]}, {"recent_inspectors": "I05"},
                                 {"days_per_visit": "x"}, {"days_per_visit": [2]}, {"sector": ["mining"]}])
def test_a_manifest_entity_of_the_wrong_type_is_an_error_at_the_file(tmp_path, files, rec):
    """docs/supervision.md: a manifest with fields of the wrong type is MANIFEST:1: error:, exit 2.
    Failed before: the per-entity fields crashed the draw (internal error, exit 70)."""
    reg = write_jsonl(tmp_path / "r.jsonl", [entity(f"E{i:03d}", "yellow") for i in range(1, 11)])
    man = tmp_path / "m.json"
    assert run("draw", "commit", reg, "--history", files["history"], "--inspectors", files["inspectors"], "--as-of", AS_OF,
               "--commitment", COMMITMENT, "-o", man).returncode == 0
    m = json.loads(man.read_text(encoding="utf-8"))
    m["entities"]["E010"] = rec
    man.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    r = run("draw", "run", man, "--seed", SEED)
    assert r.returncode == 2 and r.stderr.startswith(f"{man}:1: error: ") and "internal error" not in r.stderr, r.stderr
