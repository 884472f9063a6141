"""The normative vectors of supervision.md §8.2 and §8.4, and the draw's
properties (§8.7 items 4, 5 and 7)."""

import datetime
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetyrules import supervision as sv
from safetyrules.supervision import draw as D
from sv_fixtures import COMMITMENT, POOL_DIGEST, SEED, vector_files, vector_lines, entity

AS_OF = datetime.date(2025, 3, 1)


def commit(files, **kw):
    reg = sv.read_registry(files["registry"])
    pol = sv.load_policy(files["policy"])
    hist = sv.read_history(files["history"])
    ins = sv.read_inspectors(files["inspectors"])
    man = sv.draw_commit(reg, pol, history=hist, inspectors=ins, as_of=AS_OF, commitment=COMMITMENT, **kw)
    return man, (reg, pol, hist, ins)


def test_finding_id_vectors():
    assert sv.finding_id("E001", "cn.npc.safety-production-law", "art36.4", "") == "F-b04cde82e74c989a"
    assert sv.finding_id("E001", "cn.mem.order10.dust", "art11.3") == "F-1fd7e28a1dfcb684"
    # the version is not part of the id; a subject is
    assert sv.finding_id("E001", "cn.mem.order10.dust", "art11.3", "dust_systems[id=DS-2]") != "F-1fd7e28a1dfcb684"


def test_index_subjects_are_refused():
    with pytest.raises(sv.SupervisionError) as e:
        sv.finding_id("E001", "s", "c", "dust_systems[1]")
    assert e.value.code == "E-TRACK-UNSTABLE-SUBJECT"


def test_commitment_and_pool_digest(tmp_path):
    assert sv.commitment_of(SEED) == COMMITMENT == hashlib.sha256(SEED.encode()).hexdigest()
    man, _ = commit(vector_files(tmp_path))
    assert man.data["pool_digest"] == POOL_DIGEST
    assert [(s["stratum"], s["n"], s["target"]) for s in man.data["strata"]] == [("yellow", 10, 2), ("blue", 6, 1)]


def test_draw_vector(tmp_path):
    man, _ = commit(vector_files(tmp_path))
    res = sv.draw_run(man, seed=SEED)
    assert res.selected == {"yellow": ["E001", "E010"], "blue": ["E106"]}
    assert res.teams == {"E001": ["I05", "I01"], "E010": ["I02", "I04"], "E106": ["I03", "I02"]}
    skipped = {t["entity_id"]: t["skipped"] for t in res.data["teams"]}
    assert skipped["E001"] == [{"inspector": "I03", "reason": "recusal"}]
    assert skipped["E010"] == [{"inspector": "I05", "reason": "rotation"}]
    assert skipped["E106"] == []


def test_inspector_rankings_of_the_vector():
    def ranking(eid):
        return sorted((f"I0{i}" for i in range(1, 6)), key=lambda i: D.inspector_key(SEED, eid, i))

    assert ranking("E001") == ["I03", "I05", "I01", "I04", "I02"]
    assert ranking("E010") == ["I05", "I02", "I04", "I01", "I03"]
    assert ranking("E106") == ["I03", "I02", "I05", "I01", "I04"]


def test_removing_the_declared_conflict_gives_e001_i03_i05(tmp_path):
    man, _ = commit(vector_files(tmp_path, conflict=False))
    assert sv.draw_run(man, seed=SEED).teams["E001"] == ["I03", "I05"]


def test_verify_passes_untouched_and_fails_edited(tmp_path):
    files = vector_files(tmp_path)
    man, (reg, pol, hist, ins) = commit(files)
    res = sv.draw_run(man, seed=SEED)
    assert sv.draw_verify(man, res.to_json(), seed=SEED, reg=reg, policy=pol, history=hist, inspectors=ins)
    edited = json.loads(res.to_json())
    edited["teams"][0]["inspectors"] = ["I01", "I02"]
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_verify(man, json.dumps(edited), seed=SEED)
    assert e.value.code == "E-DRAW-VERIFY" and "/teams/0/inspectors" in e.value.message


def test_wrong_seed_fails_the_commitment(tmp_path):
    man, _ = commit(vector_files(tmp_path))
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_run(man, seed=SEED[:-1] + "0")
    assert e.value.code == "E-DRAW-COMMITMENT"


def test_one_byte_changed_after_commit(tmp_path):
    files = vector_files(tmp_path)
    man, (reg, pol, hist, ins) = commit(files)
    res = sv.draw_run(man, seed=SEED)
    raw = open(files["registry"], "rb").read().replace(b'"scale": "small"', b'"scale": "smalL"', 1)
    open(files["registry"], "wb").write(raw)
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_verify(man, res.to_json(), seed=SEED, reg=sv.read_registry(files["registry"]), policy=pol, history=hist, inspectors=ins)
    assert e.value.code == "E-DRAW-INPUT-CHANGED"


def test_manifest_and_result_json_are_canonical_and_repeatable(tmp_path):
    man1, _ = commit(vector_files(tmp_path))
    man2, _ = commit(vector_files(tmp_path))
    assert man1.to_json() == man2.to_json()
    assert man1.to_json() == json.dumps(json.loads(man1.to_json()), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert sv.draw_run(man1, seed=SEED).to_json() == sv.draw_run(man2, seed=SEED).to_json()


def test_public_values_mix_into_the_seed(tmp_path):
    man, _ = commit(vector_files(tmp_path), public_source={"description": "lottery X on 2025-03-02", "values": 3})
    assert man.data["seed"]["mix"] == "secret+public"
    expect = hashlib.sha256(("srdraw/v1/seed\n" + SEED + "\n" + '["07","13","22"]').encode()).hexdigest()
    assert sv.effective_seed(SEED, ["07", "13", "22"]) == expect
    res = sv.draw_run(man, seed=SEED, public_values=["07", "13", "22"])
    assert res.data["seed"]["effective"] == expect
    with pytest.raises(sv.SupervisionError):
        sv.draw_run(man, seed=SEED, public_values=["07", "13"])  # not what the source described
    with pytest.raises(sv.SupervisionError):
        sv.draw_run(man, seed=SEED)


def test_targets_are_exact_fractions_and_the_budget_uses_largest_remainder():
    from fractions import Fraction as F

    assert D.targets([("yellow", 10, F("0.20"), None)], 1) == [2]  # never 2.0000001 -> 3
    assert D.targets([("blue", 6, F("0.05"), None)], 1) == [1]
    assert D.targets([("x", 3, F("0.9"), 5)], 1) == [3]
    # quotas 10*7/10=7, 10*2/10=2, 10*1/10=1 exactly
    assert D.apportion([F(7), F(2), F(1)], [100, 100, 100], 10) == [7, 2, 1]
    # 5 seats over equal weights: the remainder goes to the earlier stratum
    assert D.apportion([F(1), F(1)], [10, 10], 5) == [3, 2]


def test_budget_binds(tmp_path):
    man, _ = commit(vector_files(tmp_path), budget=2)
    assert [s["target"] for s in man.data["strata"]] == [2, 0]
    assert man.data["budget"]["binds"] is True
    assert any(w["code"] == "W-DRAW-BUDGET-BINDS" for w in man.data["warnings"])


@settings(max_examples=25)
@given(st.permutations(vector_lines()))
def test_permuting_the_registry_changes_nothing(tmp_path_factory, lines):
    tmp = tmp_path_factory.mktemp("perm")
    man, _ = commit(vector_files(tmp, lines=list(lines)))
    res = sv.draw_run(man, seed=SEED)
    assert man.data["pool_digest"] == POOL_DIGEST
    assert res.selected == {"yellow": ["E001", "E010"], "blue": ["E106"]}


@settings(max_examples=25)
@given(st.integers(min_value=200, max_value=999))
def test_adding_an_entity_to_one_stratum_leaves_the_others(tmp_path_factory, n):
    tmp = tmp_path_factory.mktemp("add")
    man, _ = commit(vector_files(tmp, lines=vector_lines() + [entity(f"E{n}", "blue")]))
    res = sv.draw_run(man, seed=SEED)
    assert res.selected["yellow"] == ["E001", "E010"]


def test_default_ratio_is_flagged_provisional(tmp_path):
    files = vector_files(tmp_path)
    reg = sv.read_registry(files["registry"])
    man = sv.draw_commit(reg, sv.default_policy(), history=sv.read_history(None), inspectors=sv.read_inspectors(files["inspectors"]), as_of=AS_OF, commitment=COMMITMENT)
    codes = [w["code"] for w in man.data["warnings"]]
    assert "W-DRAW-DEFAULT-RATIO" in codes and "W-DRAW-SECRET-ONLY" in codes
    assert man.data["policy"]["ratios"]["status"] == "provisional"


def test_exclusions_have_reason_codes(tmp_path):
    lines = vector_lines() + [entity("K1", "red"), entity("C1", "yellow", status="closed"), entity("S1", "blue", supervised_by="city")]
    man, _ = commit(vector_files(tmp_path, lines=lines))
    got = {x["entity_id"]: x["reason"] for x in man.data["exclusions"]}
    assert got == {"K1": "EX-KEY", "C1": "EX-STATUS", "S1": "EX-SCOPE"}


def test_recent_clean_inspection_excludes_but_open_findings_never(tmp_path):
    files = vector_files(tmp_path)
    hist = [{"entity_id": "E002", "date": "2025-01-10", "inspectors": ["I01"], "open_findings": 0},
            {"entity_id": "E003", "date": "2025-01-10", "inspectors": ["I01"], "open_findings": 2}]
    from sv_fixtures import write_jsonl

    files["history"] = write_jsonl(tmp_path / "h2.jsonl", hist)
    man, _ = commit(files)
    got = {x["entity_id"]: x["reason"] for x in man.data["exclusions"]}
    assert got == {"E002": "EX-RECENT"}


def test_no_team_is_never_made_smaller(tmp_path):
    files = vector_files(tmp_path)
    ins = [{"id": "I01", "cert_no": "C1"}, {"id": "I02", "cert_no": None}]
    (tmp_path / "inspectors.json").write_text(json.dumps(ins))
    man, _ = commit(files)
    res = sv.draw_run(man, seed=SEED)
    assert {e["code"] for e in res.data["errors"]} == {"E-DRAW-NO-TEAM"}
    assert all(t["inspectors"] == [] for t in res.data["teams"])
    assert any(s["reason"] == "certificate" for t in res.data["teams"] for s in t["skipped"])


def test_replacement_takes_the_next_in_rank(tmp_path):
    man, _ = commit(vector_files(tmp_path))
    res = sv.draw_run(man, seed=SEED, replacements={"E001": "closed on arrival"})
    assert res.selected["yellow"] == ["E010", "E005"]
    assert res.data["replacements"] == [{"entity_id": "E001", "stratum": "yellow", "reason": "closed on arrival", "replaced_by": "E005"}]
    assert sv.draw_verify(man, res.to_json(), seed=SEED)


def test_verify_as_the_design_sketches_it(tmp_path):
    # sv.draw_verify(man, res, seed=..., reg=reg, history=..., inspectors=...) (supervision.md §8.0)
    files = vector_files(tmp_path)
    man, (reg, pol, hist, ins) = commit(files)
    res = sv.draw_run(man, seed=SEED)
    assert sv.draw_verify(man, res, seed=SEED, reg=reg, history=hist, inspectors=ins)
    lines = vector_lines()
    lines[0]["entity"]["scale"] = "micro"
    from sv_fixtures import write_jsonl

    other = sv.read_registry(write_jsonl(tmp_path / "other.jsonl", lines))
    with pytest.raises(sv.SupervisionError) as e:
        sv.draw_verify(man, res, seed=SEED, reg=other, history=hist, inspectors=ins)
    assert e.value.code == "E-DRAW-INPUT-CHANGED"
