"""Provenance end to end through the CLI (supervision.md §8.5 "Outputs"):
``evaluate --format json`` over a JSON Lines registry with an overlay whose
local items declare provenance gives a graded registry whose findings carry
``provenance``; ``grid`` and ``track`` read it and give the share of
findings by layer and the patrol-guidance findings apart.

The overlay (tests/supervision/data/prov-overlay) extends the bundled
national set, which declares no provenance: its findings have none and
count as ``unknown``."""

import copy
import json
import os
import cli_fork

HERE = os.path.dirname(os.path.abspath(__file__))
OVERLAY = os.path.join(HERE, "data", "prov-overlay")

# a small office without safety staff: SPL Art. 24 ¶2 (national, no provenance)
BASE = {"entity": {"assets": 222, "employees": 8, "nbs_sector": "software_it", "sector": "office", "status": "active"},
        "fire": {"crowded_place": False, "fe_goods": {"place": False}, "hazard_places": [], "tank_farm": {"present": True},
                 "venue": "office"},
        "gas": {"fuel_used": False}, "hazchem": {"substances": []}, "project": {"kind": "none"},
        "safety": {"any_staff": False}}

MUNICIPAL = {"layer": "municipal", "authority": "测试市应急管理局", "doc_no": "测试应急〔2025〕1号", "kind": "enforcement"}
STREET = {"layer": "street", "authority": "测试市应急管理局", "doc_no": "测试街道〔2025〕2号", "kind": "patrol_guidance"}


def cli(*args):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def entity(eid, grid, charging, clutter):
    e = copy.deepcopy(BASE)
    e["entity"].update(id=eid, grid=grid)
    e["prov"] = {"indoor_charging": charging, "corridor_clutter": clutter}
    return e


def graded(tmp_path, name, entities, day):
    src = tmp_path / f"{name}.jsonl"
    src.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities), encoding="utf-8")
    code, out, err = cli("evaluate", "--rules", OVERLAY, "--as-of", day, "--format", "json", src)
    assert code == 0, err
    dst = tmp_path / f"{name}-graded.jsonl"
    dst.write_text(out, encoding="utf-8")
    return dst, [json.loads(line) for line in out.splitlines()]


def test_evaluate_grid_and_track_show_the_real_layers(tmp_path):
    old, old_d = graded(tmp_path, "old", [entity("E1", "G1", True, True), entity("E2", "G2", True, False)], "2025-06-01")
    # the graded registry's findings carry the clause's provenance; national ones none
    e1 = {f["clause"]: f for f in old_d[0]["findings"]}
    assert set(e1) == {"art24.2", "ebike-indoor-charging", "corridor-clutter"}
    assert "provenance" not in e1["art24.2"]
    assert e1["ebike-indoor-charging"]["provenance"] == MUNICIPAL
    assert e1["corridor-clutter"]["provenance"] == STREET  # the clause's own layer and number win
    assert old_d[0]["entity"]["id"] == "E1"

    (tmp_path / "m.csv").write_text("id,grid,fte,cert_no\nm1,G1,1,C1\nm2,G2,1,\n", encoding="utf-8")
    code, out, err = cli("grid", old, "--members", tmp_path / "m.csv", "--format", "json")
    assert code == 0, err
    layers = json.loads(out)["summary"]["layers"]
    assert layers["findings"] == 5
    assert layers["by_layer"] == {"municipal": {"count": 2, "share": "0.4"}, "street": {"count": 1, "share": "0.2"},
                                  "unknown": {"count": 2, "share": "0.4"}}
    assert layers["by_kind"] == {"enforcement": 4, "patrol_guidance": 1}  # patrol findings apart
    code, out, err = cli("grid", old, "--members", tmp_path / "m.csv")
    assert code == 0 and "findings by layer: municipal 0.4, street 0.2, unknown 0.4" in out, err

    # a month later E1's corridor is clear, E2's is not: one rectified, one new street finding
    new, _ = graded(tmp_path, "new", [entity("E1", "G1", True, False), entity("E2", "G2", True, True)], "2025-07-01")
    code, out, err = cli("track", old, new, "--as-of", "2025-07-01", "--format", "json")
    assert code == 0, err
    rep = json.loads(out)
    rows = {(r["entity_id"], r["clause"]): r for r in rep["findings"]}
    assert rows[("E1", "corridor-clutter")]["class"] == "rectified"
    assert rows[("E2", "corridor-clutter")]["class"] == "new"
    assert rows[("E2", "corridor-clutter")]["provenance"] == STREET
    assert rows[("E1", "ebike-indoor-charging")]["provenance"] == MUNICIPAL
    assert rows[("E1", "art24.2")]["provenance"] is None
    # open findings (new, persisting) by layer
    assert rep["summary"]["layers"] == {"municipal": {"count": 2, "share": "0.4"}, "street": {"count": 1, "share": "0.2"},
                                        "unknown": {"count": 2, "share": "0.4"}}
    code, out, err = cli("track", old, new, "--as-of", "2025-07-01")
    assert code == 0 and "findings by layer: municipal 0.4, street 0.2, unknown 0.4" in out, err
