"""A black-box audit of SPEC §10 (supervision planning) through the command
line: the graded registry `evaluate --format json` writes feeds every
command, and the normative hashing rules of reference/supervision.md §8
(schedule months, pool digest, targets, entity and inspector ranking,
commitment, finding ids) are recomputed here from the published formulas."""

import hashlib
import json
import math
import os
from fractions import Fraction

import pytest

import safetyrules.supervision as sv

from sv_fixtures import COMMITMENT, EXAMPLES, SEED, write_jsonl
import cli_fork


def run(*args, cwd=None):
    return cli_fork.run([*args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """`evaluate --format json` over a JSON Lines registry: the graded registry."""
    d = tmp_path_factory.mktemp("spec10")
    r = run("evaluate", os.path.join(EXAMPLES, "facts.jsonl"), "--format", "json", "--as-of", "2025-03-01")
    assert r.returncode == 0, r.stderr
    path = d / "registry.jsonl"
    path.write_text(r.stdout, encoding="utf-8")
    return d, path


def test_the_graded_registry_feeds_every_command(graded):
    d, reg = graded
    ids = [json.loads(x)["entity"]["id"] for x in reg.read_text(encoding="utf-8").splitlines()]
    assert ids and all(ids)
    pol = os.path.join(EXAMPLES, "policy.yaml")
    common = {"policy": pol, "history": os.path.join(EXAMPLES, "history.jsonl"),
              "inspectors": os.path.join(EXAMPLES, "inspectors.yaml"), "cal": os.path.join(EXAMPLES, "calendar-2025.yaml")}
    r = run("plan", str(reg), "--policy", pol, "--staff", os.path.join(EXAMPLES, "staff-2025.yaml"), "--calendar",
            common["cal"], "--year", "2025", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert sorted(e["id"] for e in json.loads(r.stdout)["entities"]) == sorted(ids)
    r = run("grid", str(reg), "--members", os.path.join(EXAMPLES, "members.csv"), "--policy", pol, "--calendar",
            common["cal"], "--year", "2025", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert sum(g["entities"] for g in json.loads(r.stdout)["grids"]) == len(ids)
    man, res = d / "m.json", d / "r.json"
    r = run("draw", "commit", str(reg), "--policy", pol, "--history", common["history"], "--inspectors",
            common["inspectors"], "--as-of", "2025-03-01", "--commitment", COMMITMENT, "-o", str(man))
    assert r.returncode == 0, r.stderr
    r = run("draw", "run", str(man), "--seed", SEED, "-o", str(res))
    assert r.returncode == 0, r.stderr
    r = run("draw", "verify", str(man), str(res), "--seed", SEED, "--registry", str(reg), "--policy", pol,
            "--history", common["history"], "--inspectors", common["inspectors"])
    assert r.returncode == 0, r.stderr
    r = run("track", str(reg), str(reg), "--as-of", "2025-10-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    for f in json.loads(r.stdout)["findings"]:
        assert f["finding_id"] == sv.finding_id(f["entity_id"], f["standard"], f["clause"], f["subject"])
    r = run("checklist", ids[0], "--facts", os.path.join(EXAMPLES, "facts.jsonl"), "--as-of", "2025-06-01",
            "--format", "json")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args", [("E001", "cn.npc.safety-production-law", "art36.4", ""),
                                  ("E001", "cn.mem.order10.dust", "art11.3", ""),
                                  ("企业/α", "s", "c", "dust_systems[id=DS-2]")])
def test_finding_id_is_the_published_hash(args):
    e, s, c, subject = args
    want = "F-" + sha(f"srfind/v1\n{e}\n{s}\n{c}\n{subject}")[:16]
    assert sv.finding_id(e, s, c, subject) == want
    if not subject:
        assert sv.finding_id(e, s, c) == want
    assert sv.finding_id("E001", "cn.npc.safety-production-law", "art36.4") == "F-b04cde82e74c989a"
    assert sv.finding_id("E001", "cn.mem.order10.dust", "art11.3") == "F-1fd7e28a1dfcb684"


def test_draw_seed_prints_64_hex_and_its_commitment():
    r = run("draw", "seed")
    assert r.returncode == 0, r.stderr
    words = dict(line.split()[:2] for line in r.stdout.splitlines() if line.startswith(("seed", "commitment")))
    assert len(words["seed"]) == 64 and int(words["seed"], 16) >= 0
    assert words["commitment"] == sha(words["seed"])


LEVELS = ["yellow"] * 13 + ["blue"] * 7 + [None] * 8


def registry_lines():
    out = []
    for i, level in enumerate(LEVELS):
        eid = f"企业-{i:02d}" if i % 3 == 0 else f"E{i:02d}"
        ent = {"id": eid, "status": "active", "major_hazard_source": False, "high_risk_sector": False, "scale": "small",
               "grid": f"G{i % 2}"}
        out.append({"entity": ent, "level": level})
    return out


POLICY = """kind: supervision-policy
id: audit
key_inspection: {any_of: "entity.major_hazard_source"}
random:
  ratios: {yellow: "0.15", blue: "0.05"}
  min_per_stratum: 1
inspectors:
  team_size: 2
  rotation_window: 1
"""


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec10draw")
    reg = write_jsonl(d / "registry.jsonl", registry_lines())
    (d / "policy.yaml").write_text(POLICY, encoding="utf-8")
    insp = [{"id": f"I{i}", "name": f"N{i}", "unit": "U", "cert_no": f"C{i}", "cert_valid_until": "2030-01-01"}
            for i in range(1, 8)]
    (d / "inspectors.json").write_text(json.dumps(insp), encoding="utf-8")
    hist = write_jsonl(d / "history.jsonl", [])
    args = ["draw", "commit", reg, "--policy", str(d / "policy.yaml"), "--history", hist, "--inspectors",
            str(d / "inspectors.json"), "--as-of", "2025-03-01", "--commitment", COMMITMENT]
    r = run(*args, "-o", str(d / "m.json"))
    assert r.returncode == 0, r.stderr
    r = run(*args, "-o", str(d / "m2.json"))
    assert (d / "m.json").read_bytes() == (d / "m2.json").read_bytes()
    r = run("draw", "run", str(d / "m.json"), "--seed", SEED, "-o", str(d / "r.json"))
    assert r.returncode == 0, r.stderr
    return (json.loads((d / "m.json").read_text(encoding="utf-8")),
            json.loads((d / "r.json").read_text(encoding="utf-8")))


def test_pool_digest_is_the_published_hash(drawn):
    man, _ = drawn
    pairs = sorted([s["stratum"], e] for s in man["strata"] for e in s["ids"])
    text = json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)
    assert man["pool_digest"] == sha(text)
    assert {s["stratum"] for s in man["strata"]} == {"yellow", "blue", "unknown"}


def test_targets_are_exact_and_unknown_takes_the_highest_ratio(drawn):
    man, _ = drawn
    ratios = {"yellow": Fraction("0.15"), "blue": Fraction("0.05")}
    for s in man["strata"]:
        ratio = ratios.get(s["stratum"], max(ratios.values()))
        want = min(s["n"], max(1, math.ceil(ratio * s["n"])))
        assert s["target"] == want, s["stratum"]
        assert s["n"] == len(s["ids"]) == LEVELS.count(None if s["stratum"] == "unknown" else s["stratum"])
    assert {s["stratum"]: s["target"] for s in man["strata"]} == {"yellow": 2, "blue": 1, "unknown": 2}


def test_selection_is_the_first_k_by_published_key(drawn):
    man, res = drawn
    S = SEED  # no public source: S is the secret seed itself
    assert res["seed"]["effective"] == S
    by = {s["stratum"]: s for s in man["strata"]}
    assert [s["stratum"] for s in res["strata"]] == [s["stratum"] for s in man["strata"]]
    for got in res["strata"]:
        st = by[got["stratum"]]
        keys = sorted((sha(f"srdraw/v1\nentity\n{S}\n{st['stratum']}\n{e}"), e) for e in st["ids"])
        assert [(x["key"], x["entity_id"]) for x in got["selected"]] == keys[:st["target"]]


def test_teams_follow_the_published_inspector_ranking(drawn):
    _, res = drawn
    S = SEED
    ids = [f"I{i}" for i in range(1, 8)]
    assert res["teams"]
    for team in res["teams"]:
        e = team["entity_id"]
        ranking = [i for _, i in sorted((sha(f"srdraw/v1\ninspector\n{S}\n{e}\n{i}"), i) for i in ids)]
        skipped = {x["inspector"] for x in team["skipped"]}
        passing = [i for i in ranking if i not in skipped]
        assert team["inspectors"] == passing[:2]
        last = ranking.index(team["inspectors"][-1])
        assert skipped <= set(ranking[:last])


def test_plan_months_follow_the_published_schedule(tmp_path):
    lines = [{"entity": {"id": f"K{i}", "status": "active", "major_hazard_source": True, "high_risk_sector": False,
                         "scale": "small", "grid": "G1"}, "level": lvl, "inspection": freq}
             for i, (lvl, freq) in enumerate([("red", "monthly"), ("orange", "quarterly"), ("yellow", "semiannual"),
                                              ("blue", "annual"), ("orange", "quarterly")])]
    reg = write_jsonl(tmp_path / "reg.jsonl", lines)
    r = run("plan", reg, "--policy", os.path.join(EXAMPLES, "policy.yaml"), "--staff",
            os.path.join(EXAMPLES, "staff-2025.yaml"), "--calendar", os.path.join(EXAMPLES, "calendar-2025.yaml"),
            "--year", "2025", "--format", "json")
    assert r.returncode == 0, r.stderr
    ents = json.loads(r.stdout)["entities"]
    assert len(ents) == 5
    for e in ents:
        v = e["visits"]
        assert 1 <= v <= 12
        offset = int(sha(f"srplan/v1\n2025\n{e['id']}")[:8], 16) % 12
        assert e["months"] == [1 + ((offset + (12 * k) // v) % 12) for k in range(v)], e


def test_a_bad_registry_line_is_file_line_error_exit_2(tmp_path):
    reg = tmp_path / "reg.jsonl"
    good = json.dumps(registry_lines()[0], ensure_ascii=False)
    reg.write_text(good + "\n{not json\n", encoding="utf-8")
    r = run("plan", str(reg), "--policy", os.path.join(EXAMPLES, "policy.yaml"), "--staff",
            os.path.join(EXAMPLES, "staff-2025.yaml"), "--year", "2025")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{reg}:2" in r.stderr and "error:" in r.stderr


def test_draw_verify_takes_paths_as_draw_commit_does(tmp_path):
    """§8.0's library call: sv.draw_verify(man, res, seed=..., reg=reg, history=..., inspectors=...)."""
    vec = os.path.join(EXAMPLES, "vector")
    reg = tmp_path / "registry.jsonl"
    reg.write_bytes(open(os.path.join(vec, "registry.jsonl"), "rb").read())
    kw = {"history": os.path.join(vec, "history.jsonl"), "inspectors": os.path.join(vec, "inspectors.yaml")}
    man = sv.draw_commit(str(reg), os.path.join(vec, "policy.yaml"), as_of="2025-03-01", commitment=COMMITMENT, **kw)
    res = sv.draw_run(man, seed=SEED)
    assert sv.draw_verify(man, res, seed=SEED, reg=str(reg), **kw) is True
    assert sv.draw_verify(man, res, seed=SEED, reg=str(reg), policy=os.path.join(vec, "policy.yaml"), **kw) is True
    reg.write_text(reg.read_text(encoding="utf-8").replace("E003", "E0O3"), encoding="utf-8")
    for policy in (None, os.path.join(vec, "policy.yaml")):
        with pytest.raises(sv.SupervisionError) as info:
            sv.draw_verify(man, res, seed=SEED, reg=str(reg), policy=policy, **kw)
        assert info.value.code == "E-DRAW-INPUT-CHANGED"
    with pytest.raises(sv.SupervisionError) as info:
        sv.draw_verify(man, res, seed=SEED, reg=os.path.join(vec, "registry.jsonl"), history=kw["history"],
                       inspectors=os.path.join(EXAMPLES, "inspectors.yaml"))
    assert info.value.code == "E-DRAW-INPUT-CHANGED"


def test_grid_without_year_takes_the_calendars_year(graded):
    """§8.3's synopsis, `grid REGISTRY --members M --policy P --calendar C`, has no
    --year: the calendar file says which year it is (2025: 248 workdays)."""
    _, reg = graded
    args = ["--members", os.path.join(EXAMPLES, "members.csv"), "--policy", os.path.join(EXAMPLES, "policy.yaml"),
            "--calendar", os.path.join(EXAMPLES, "calendar-2025.yaml"), "--format", "json"]
    r = run("grid", str(reg), *args)
    assert r.returncode == 0, r.stderr
    r2 = run("grid", str(reg), *args, "--year", "2025")
    assert r2.returncode == 0, r2.stderr
    assert r.stdout == r2.stdout
    lib = sv.grid_report(str(reg), os.path.join(EXAMPLES, "members.csv"), os.path.join(EXAMPLES, "policy.yaml"),
                         calendar=os.path.join(EXAMPLES, "calendar-2025.yaml"))
    assert lib.to_json().strip() == r.stdout.strip()


def test_track_takes_as_of_as_text_as_draw_commit_does(graded):
    _, reg = graded
    assert sv.track(str(reg), str(reg), as_of="2025-10-01").to_json() == \
        sv.track(str(reg), str(reg), as_of=__import__("datetime").date(2025, 10, 1)).to_json()


@pytest.mark.parametrize("status, ok", [("active", True), (None, True), ("closed", True), ("Active", False),
                                        ("gone", False)])
def test_registry_status_is_one_of_the_four(tmp_path, status, ok):
    """§8.0: entity.status is one of active, suspended, closed, relocated; a typo
    would silently take the entity out of the key set and the pool."""
    ent = {"id": "E1", "grid": "G1"}
    if status is not None:
        ent["status"] = status
    reg = write_jsonl(tmp_path / "reg.jsonl", [{"entity": ent, "level": "red"}])
    if ok:
        assert sv.read_registry(reg).entities[0].id == "E1"
        return
    with pytest.raises(sv.SupervisionError) as info:
        sv.read_registry(reg)
    assert info.value.line == 1 and "entity.status" in str(info.value)
    r = run("plan", reg, "--policy", os.path.join(EXAMPLES, "policy.yaml"), "--staff",
            os.path.join(EXAMPLES, "staff-2025.yaml"), "--year", "2025")
    assert r.returncode == 2 and f"{reg}:1" in r.stderr and "Traceback" not in r.stderr
