"""A fifth audit of SPEC §10 against reference/supervision.md §8: the edges
the fourth round left open.

- stratum names that join several fields with ``/`` merged two strata
  (grid ``x/y`` + sector ``z`` and grid ``x`` + sector ``y/z``);
- ``excluded_kinds`` was printed but had no effect: a clean complaint check
  kept an entity out of the draw as "recent";
- an overlay whose id is the id of the set it ``extends:`` loaded.

Expected hashes are recomputed here with hashlib from the prose of §8.2."""

import hashlib
import json

import pytest

import safetyrules
import safetyrules.supervision as sv

from sv_fixtures import SEED, COMMITMENT, entity, inspectors, write_jsonl
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


def policy_file(d, body, name="policy.yaml"):
    p = d / name
    p.write_text("kind: supervision-policy\nid: audit5\n" + body, encoding="utf-8")
    return str(p)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit5")
    ins = d / "inspectors.json"
    ins.write_text(json.dumps(inspectors(conflict=False)), encoding="utf-8")
    return {"dir": d, "inspectors": str(ins)}


def commit(files, lines, policy_body, history=(), name="x"):
    d = files["dir"]
    reg = write_jsonl(d / f"reg-{name}.jsonl", lines)
    hist = write_jsonl(d / f"hist-{name}.jsonl", list(history))
    pol = policy_file(d, policy_body, f"policy-{name}.yaml")
    return sv.draw_commit(reg, pol, history=hist, inspectors=files["inspectors"], as_of=AS_OF, commitment=COMMITMENT)


# --- 1. stratum names are unambiguous (failed before: one stratum 'yellow/x/y/z' of 2) -------------------------------

def test_slashes_in_values_never_merge_two_strata(files):
    lines = [entity("A1", "yellow", grid="x/y", sector="z"), entity("A2", "yellow", grid="x", sector="y/z"),
             entity("A3", "yellow", grid="5%", sector="z")]
    body = 'parameters:\n  strata: [risk.level, entity.grid, entity.sector]\n  ratios: {value: {yellow: "0.20"}, source: t, status: policy}\n'
    man = commit(files, lines, body, name="slash")
    got = {s["stratum"]: s["ids"] for s in man.data["strata"]}
    assert got == {"yellow/x%2Fy/z": ["A1"], "yellow/x/y%2Fz": ["A2"], "yellow/5%25/z": ["A3"]}
    assert all(s["target"] == 1 for s in man.data["strata"])
    pairs = sorted([s, e] for s, ids in got.items() for e in ids)
    assert man.data["pool_digest"] == H(compact(pairs))
    res = sv.draw_run(man, seed=SEED)
    for st in res.data["strata"]:
        (sel,) = st["selected"]
        assert sel["key"] == H(f"srdraw/v1\nentity\n{SEED}\n{st['stratum']}\n{sel['entity_id']}")
    assert sv.draw_verify(man, res, seed=SEED)


def test_plain_values_keep_their_names_and_counts_name_the_escaped_stratum(files):
    lines = [entity(f"B{i}", "blue", grid="G-1" if i % 2 else "a/b") for i in range(6)]
    body = "parameters:\n  strata: [risk.level, entity.grid]\n  counts: {blue/G-1: 2, blue/a%2Fb: 3}\n"
    man = commit(files, lines, body, name="counts")
    assert {s["stratum"]: s["target"] for s in man.data["strata"]} == {"blue/G-1": 2, "blue/a%2Fb": 3}


# --- 2. excluded_kinds (failed before: a clean complaint check 30 days ago gave EX-RECENT) -----------------------------

HIST = [
    {"inspection_id": "C1", "entity_id": "K1", "date": "2025-02-01", "kind": "complaint", "inspectors": ["I01"]},
    {"inspection_id": "R1", "entity_id": "K2", "date": "2025-02-01", "kind": "random", "inspectors": ["I01"]},
    {"inspection_id": "R2", "entity_id": "K3", "date": "2024-09-01", "kind": "random", "inspectors": ["I02"]},
    {"inspection_id": "F1", "entity_id": "K3", "date": "2025-02-01", "kind": "referral", "inspectors": ["I03"]},
    {"inspection_id": "A1", "entity_id": "K4", "date": "2025-02-01", "kind": "assigned", "inspectors": ["I04"], "open_findings": 2},
    {"inspection_id": "R3", "entity_id": "K4", "date": "2024-12-01", "kind": "random", "inspectors": ["I04"]},
]


def _recent(man):
    return {x["entity_id"]: x["detail"] for x in man.data["exclusions"] if x["reason"] == "EX-RECENT"}


def test_a_targeted_check_is_not_the_recent_draw_that_keeps_an_entity_out(files):
    lines = [entity(f"K{i}", "yellow") for i in range(1, 5)]
    man = commit(files, lines, "", HIST, name="kinds")
    # K1: only a complaint check -> drawable; K2: a clean random check -> recent; K3: the last drawable check
    # (random, 181 days) counts, not the referral; K4: the assigned check's open findings keep it in the pool
    assert _recent(man) == {"K2": "inspected 28 days ago, no open finding", "K3": "inspected 181 days ago, no open finding"}
    assert [s["ids"] for s in man.data["strata"]] == [["K1", "K4"]]


def test_with_no_excluded_kinds_every_check_is_recent(files):
    lines = [entity(f"K{i}", "yellow") for i in range(1, 5)]
    man = commit(files, lines, "random:\n  excluded_kinds: []\n", HIST, name="nokinds")
    assert sorted(_recent(man)) == ["K1", "K2", "K3"]


def test_a_misspelt_kind_is_an_error_at_its_line(files):
    pol = policy_file(files["dir"], "parameters:\n  excluded_kinds: [complaint, complaints]\n", "policy-bad.yaml")
    with pytest.raises(sv.SupervisionError) as e:
        sv.load_policy(pol)
    assert e.value.line == 4 and "complaints" in str(e.value) and e.value.code == "E-POLICY"


# --- 3. an overlay extending itself (failed before: 'ok — 317 facts ...') --------------------------------------------

def test_an_overlay_named_as_the_set_it_extends_is_an_error_at_extends(tmp_path):
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: cn.default\nextends: cn.default\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleSetError) as e:
        safetyrules.load(str(tmp_path))
    assert "cannot extend itself" in str(e.value) and f"{tmp_path / 'ruleset.yaml'}:3:10:" in str(e.value)
    r = run("validate", tmp_path)
    assert r.returncode != 0 and "ruleset.yaml:3:10: error: extends: a rule set cannot extend itself" in r.stderr + r.stdout
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: my.overlay\nextends: cn.default\n", encoding="utf-8")
    assert safetyrules.load(str(tmp_path)) is not None


# --- 4. a draw committed without a history is verified against its raw inputs without one ----------------------------
# (failed before: "verify --registry also needs --history", and an empty history file differs from none)

def test_a_draw_committed_without_history_verifies_against_its_raw_inputs(files, tmp_path):
    reg = write_jsonl(tmp_path / "reg.jsonl", [entity("E1", "yellow"), entity("E2", "blue")])
    pol = policy_file(tmp_path, "")
    man_p, res_p = tmp_path / "m.json", tmp_path / "r.json"
    assert run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF,
               "--commitment", COMMITMENT, "-o", man_p).returncode == 0
    assert run("draw", "run", man_p, "--seed", SEED, "-o", res_p).returncode == 0
    r = run("draw", "verify", man_p, res_p, "--seed", SEED, "--registry", reg, "--policy", pol, "--inspectors", files["inspectors"])
    assert r.returncode == 0 and "and the raw inputs" in r.stdout, r.stderr
    man = sv.draw_commit(reg, pol, history=None, inspectors=files["inspectors"], as_of=AS_OF, commitment=COMMITMENT)
    assert man.to_json() == man_p.read_text(encoding="utf-8").rstrip("\n")
    assert sv.draw_verify(man, res_p.read_text(encoding="utf-8"), seed=SEED, reg=reg, policy=pol, inspectors=files["inspectors"])
    # a history given now that the commit had none is a changed input
    hist = write_jsonl(tmp_path / "h.jsonl", [{"entity_id": "E1", "date": "2024-01-01"}])
    r = run("draw", "verify", man_p, res_p, "--seed", SEED, "--registry", reg, "--policy", pol, "--history", hist, "--inspectors", files["inspectors"])
    assert r.returncode != 0 and "history" in r.stderr and "differ" in r.stderr, r.stderr


# --- 5. inputs given in memory, as the records of their files (failed before: AttributeError 'dict' object has no
# attribute 'id', 'list' object has no attribute 'by_entity' / 'entities') ------------------------------------------

def test_the_library_takes_lists_of_records_and_commits_to_their_digests(files):
    reg = [entity("E1", "yellow"), entity("E2", "yellow"), entity("E3", "blue")]
    hist = [{"inspection_id": "H1", "entity_id": "E1", "date": "2025-01-10", "inspectors": ["I01"]}]
    insp = inspectors(conflict=False)
    man = sv.draw_commit(reg, None, history=hist, inspectors=insp, as_of=AS_OF, commitment=COMMITMENT)
    assert [x["entity_id"] for x in man.data["exclusions"]] == ["E1"]  # EX-RECENT from the history in memory
    canon = lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    assert man.data["inputs"]["history"] == "sha256:" + H(canon(hist))
    assert man.data["inputs"]["inspectors"] == "sha256:" + H(canon(insp))
    res = sv.draw_run(man, seed=SEED)
    assert sv.draw_verify(man, res, seed=SEED, reg=reg, history=hist, inspectors=insp)
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_verify(man, res, seed=SEED, reg=reg, history=hist + [dict(hist[0], inspection_id="H2")], inspectors=insp)
    assert e.value.code == "E-DRAW-INPUT-CHANGED"
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_commit(reg, None, history=[{"entity_id": "E1"}], inspectors=insp, as_of=AS_OF, commitment=COMMITMENT)
    assert e.value.line == 1 and "date" in e.value.message
    with pytest.raises(sv.SupervisionError):
        sv.draw_commit(reg, None, history={"E1": []}, inspectors=insp, as_of=AS_OF, commitment=COMMITMENT)


# --- 6. text and Markdown never carry raw control characters, and a '|' stays in its cell ----------------------------
# (failed before: ESC, BEL and U+202E of an id or a grid reached the terminal; 'G|1' split a table row)

@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_ids_and_grids_are_printed_escaped(files, tmp_path, fmt):
    reg = write_jsonl(tmp_path / "reg.jsonl", [entity("x\x1b[31mRED", "yellow", grid="g\x1b]0;t\x07"), entity("ok\u202e1", "blue", grid="G|1")])
    pol = policy_file(tmp_path, "parameters:\n  strata: [risk.level, entity.grid]\n")
    man = tmp_path / "m.json"
    outs = [run("draw", "commit", reg, "--policy", pol, "--inspectors", files["inspectors"], "--as-of", AS_OF, "--commitment", COMMITMENT,
                "-o", man, "--format", fmt)]
    outs.append(run("draw", "run", man, "--seed", SEED, "--format", fmt))
    members = tmp_path / "members.csv"
    members.write_text("id,grid,fte,cert_no\nM1,G|1,1,C-1\n", encoding="utf-8")
    outs.append(run("grid", reg, "--members", members, "--year", 2025, "--format", fmt))
    outs.append(run("checklist", "x\x1b[31mRED", "--registry", reg, "--as-of", AS_OF, "--format", fmt))
    for r in outs:
        assert r.returncode == 0, r.stderr
        assert not any(c in r.stdout for c in "\x1b\x07\u202e"), r.stdout
    joined = "".join(r.stdout for r in outs)
    assert "x\\x1b[31mRED" in joined and "g\\x1b]0;t\\x07" in joined and "ok\\u202e1" in joined
    if fmt == "markdown":
        row = next(line for line in outs[1].stdout.splitlines() if "ok\\u202e1" in line)
        assert row == "| blue/G\\|1 | 1 | ok\\u202e1 | " + row.split(" | ")[3] + " |  |" and row.count(" | ") == 4


# --- 7. the plan table's "drawn" per level sums the level's strata (failed before: one grid's target, 1 of 4) ----------

def test_the_plan_table_draws_per_level_the_sum_of_its_strata(tmp_path):
    reg = write_jsonl(tmp_path / "reg.jsonl", [entity(f"Y{i}", "yellow", grid=f"G{i % 4}") for i in range(8)])
    pol = policy_file(tmp_path, 'parameters:\n  strata: [risk.level, entity.grid]\n  ratios: {value: {yellow: "0.10"}, source: t, status: policy}\n')
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2025\nstaff: 2\nother_enforcement: 10\nnon_enforcement: 10\n", encoding="utf-8")
    js = json.loads(run("plan", reg, "--policy", pol, "--staff", staff, "--year", 2025, "--format", "json").stdout)
    assert sum(t["target"] for t in js["summary"]["general"]["strata"]) == 4  # min 1 in each of the 4 grid strata
    md = run("plan", reg, "--policy", pol, "--staff", staff, "--year", 2025, "--format", "markdown").stdout
    row = next(line for line in md.splitlines() if line.startswith("| yellow entities |"))
    assert row.split(" | ")[2:5] == ["8", "0", "4"]


# --- 8. checklist --facts refuses an id found twice, as --registry does (failed before: the first line, silently) ------

def test_checklist_refuses_an_entity_twice_in_the_facts_registry(tmp_path):
    facts = write_jsonl(tmp_path / "facts.jsonl", [{"entity.id": "企业-一", "entity.sector": "catering"}, {"entity.id": "other"},
                                                   {"entity.id": "企业-一", "entity.sector": "office"}])
    r = run("checklist", "企业-一", "--facts", facts, "--as-of", AS_OF)
    assert r.returncode == 2 and f"{facts}:3: error: entity '企业-一' appears twice (first on line 1)" in r.stderr
    assert run("checklist", "other", "--facts", facts, "--as-of", AS_OF).returncode == 0


# --- 9. docs/supervision.md is generated from tests/supervision/docgen/supervision.template.md: their prose agrees ----
# (failed before: five passages had been written into the page only, and regenerating it dropped them)

def test_the_page_and_its_template_have_the_same_prose():
    import os
    import re

    root = os.path.join(os.path.dirname(__file__), "..", "..")

    def prose(path, template):
        text = open(os.path.join(root, path), encoding="utf-8").read()
        if template:
            text = "\n".join(line for line in text.splitlines() if not line.startswith("@@"))
        text = re.sub(r"```console\n.*?```\n", "", text + "\n", flags=re.S)  # the commands' output (pasted by the generator)
        lines = [line for line in text.splitlines() if line.strip()]
        return lines[: lines.index("## Parameters") + 2]  # the parameter table after it is generated

    assert prose("docs/supervision.md", False) == prose("tests/supervision/docgen/supervision.template.md", True)


# --- 10. a misspelt level in counts or ratios is an error at its line (failed before: ignored, nothing said) ----------

@pytest.mark.parametrize("body, word", [
    ("  counts: {yelow: 2}\n", "'yelow'"),
    ("  counts: {blue/G1: 1, G1/blue: 1}\n", "'G1/blue'"),
    ('  ratios: {value: {yellow: "0.1", bleu: "0.05"}, source: t, status: policy}\n', "'bleu'"),
])
def test_a_count_or_ratio_that_names_no_level_is_an_error(files, body, word):
    pol = policy_file(files["dir"], "parameters:\n" + body, "policy-odd.yaml")
    with pytest.raises(sv.SupervisionError) as e:
        sv.load_policy(pol)
    assert e.value.code == "E-POLICY" and e.value.line == 4 and word in e.value.message


def test_counts_and_ratios_by_level_or_stratum_still_load(files):
    pol = policy_file(files["dir"], 'parameters:\n  counts: {yellow: 1, blue/G1: 2, unknown: 1}\n  ratios: {value: {blue: "0.05"}, source: t, status: policy}\n',
                      "policy-ok.yaml")
    assert sv.load_policy(pol)["counts"] == {"yellow": 1, "blue/G1": 2, "unknown": 1}


# --- 11. a strata field no entity of the pool has is said (failed before: every entity in 'yellow/unknown', silently) -

def test_a_strata_field_no_entity_has_is_warned_about(files, tmp_path):
    lines = [entity("A1", "yellow", grid="G1"), entity("A2", "blue", grid="G2")]
    man = commit(files, lines, "parameters:\n  strata: [risk.level, entity.gird]\n", name="gird")
    assert [s["stratum"] for s in man.data["strata"]] == ["yellow/unknown", "blue/unknown"]
    assert [w["subject"] for w in man.data["warnings"] if w["code"] == "W-DRAW-STRATA-FIELD"] == ["entity.gird"]
    man = commit(files, lines, "parameters:\n  strata: [risk.level, entity.grid]\n", name="grid")
    assert not [w for w in man.data["warnings"] if w["code"] == "W-DRAW-STRATA-FIELD"]
    staff = tmp_path / "staff.yaml"
    staff.write_text("year: 2025\nstaff: 2\nother_enforcement: 10\nnon_enforcement: 10\n", encoding="utf-8")
    p = sv.plan(files["dir"] / "reg-gird.jsonl", files["dir"] / "policy-gird.yaml", staff=str(staff), year=2025)
    assert "W-DRAW-STRATA-FIELD" in [w["code"] for w in p.to_dict()["summary"]["warnings"]]
