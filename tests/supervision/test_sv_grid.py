"""Grid workload (supervision.md §8.3) and the Shenzhen sanity run (§8.7 item 3)."""

import importlib.util
import os

import pytest

from safetyrules import supervision as sv
from safetyrules.supervision.grid import balance, grid_report
from safetyrules.supervision.inputs import Calendar, Member
from sv_fixtures import EXAMPLES, entity, write_jsonl


def make_registry_module():
    spec = importlib.util.spec_from_file_location("make_registry", os.path.join(EXAMPLES, "make_registry.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def shenzhen():
    m = make_registry_module()
    return sv.registry_from_decisions(m.lines(1))


def test_shenzhen_sanity(shenzhen):
    assert len(shenzhen) == 111154
    members = [Member(f"M{g}-{k}", f"G{g:03d}", 1) for g in range(1, 886) for k in (1, 2)]
    rep = grid_report(shenzhen, members, sv.default_policy(), calendar=Calendar(2025, frozenset(), frozenset()))
    t = rep.summary["totals"]
    assert t["entities"] == 110829  # the five published levels; the 325 unexplained are closed
    assert t["visits_graded"] == 280525  # 42,672 + 84,404 + 137,842 + 15,607
    assert t["visits"] == 283813  # the 1,644 unclassified counted as yellow
    assert rep.summary["mean_entities_per_grid"] == "125.23"
    assert rep.summary["visits_per_grid"] == "320.69"
    assert rep.summary["flags"]["W-GRID-OVER-CAP"] == 0  # spread evenly: no grid over 180
    assert len(rep.grids) == 885
    levels = {lv: sum(g["levels"][lv] for g in rep.grids) for lv in ("red", "orange", "yellow", "blue", "unknown")}
    assert levels == {"red": 3556, "orange": 21101, "yellow": 68921, "blue": 15607, "unknown": 1644}


def test_counts_only_mode_and_flags(tmp_path):
    lines = [dict(entity(f"A{i}", "red"), **{}) for i in range(190)] + [entity(f"B{i}", "blue") for i in range(10)]
    for i, line in enumerate(lines):
        line["entity"]["grid"] = "GA" if i < 190 else "GB"
    lines.append({"entity": {"id": "U1", "grid": "GB", "status": "active"}, "level": None})
    reg = sv.read_registry(write_jsonl(tmp_path / "r.jsonl", lines))
    members = [Member("m1", "GA", 1, "CERT"), Member("m2", "GA", 1), Member("m3", "GB", 1)]
    rep = grid_report(reg, members, sv.default_policy(), calendar=Calendar(2025, frozenset(), frozenset()), by="count")
    g = {r["grid"]: r for r in rep.grids}
    assert "W-GRID-OVER-CAP" in g["GA"]["flags"] and "W-GRID-UNDERSTAFFED" in g["GB"]["flags"]
    assert "W-GRID-UNGRADED" in g["GB"]["flags"] and g["GB"]["ungraded_share"] == "0.0909"
    assert g["GA"]["load"] == "190"  # counts only
    # enforcement capacity counts certified members only (DR-54-2)
    enf = grid_report(reg, members, sv.default_policy(), calendar=Calendar(2025, frozenset(), frozenset()), channel="enforcement")
    e = {r["grid"]: r for r in enf.grids}
    assert e["GA"]["certified_members"] == 1 and e["GB"]["capacity"] == "0"


def test_weighted_load_formula(tmp_path):
    lines = [{"entity": {"id": "E1", "grid": "G", "status": "active", "scale": "large", "high_risk_sector": True}, "level": "red"},
             {"entity": {"id": "E2", "grid": "G", "status": "active", "scale": "micro"}, "level": "blue"}]
    reg = sv.read_registry(write_jsonl(tmp_path / "r.jsonl", lines))
    rep = grid_report(reg, [Member("m", "G", 1)], sv.default_policy(), calendar=Calendar(2025, frozenset(), frozenset()))
    # 12 x 2.0 x 1.5 + 0.25  +  1 x 0.75 x 1.0 + 0.25
    assert rep.grids[0]["load"] == "37.25"
    assert rep.grids[0]["capacity"] == "783"  # 261 workdays x 1 fte x 3 visits a day


def test_moves_show_before_and_after(tmp_path):
    lines = [entity(f"A{i}", "red") for i in range(4)] + [entity("B0", "blue")]
    for line in lines:
        line["entity"]["grid"] = "GA" if line["entity"]["id"].startswith("A") else "GB"
    reg = sv.read_registry(write_jsonl(tmp_path / "r.jsonl", lines))
    members = [Member("m1", "GA", 1), Member("m2", "GB", 1)]
    rep = grid_report(reg, members, sv.default_policy(), calendar=Calendar(2025, frozenset(), frozenset()), moves=[("A0", "GB"), ("A1", "GB")], suggest=True)
    a = rep.to_dict()["after_moves"]
    assert float(a["balance_after"]["grids"]["gini"]) < float(a["balance_before"]["grids"]["gini"])
    assert rep.summary["suggest"]["split"] == ["GA"] and rep.summary["suggest"]["merge"] == ["GB"]


def test_balance_statistics():
    b = balance([1, 1, 1, 1])
    assert (b["cv"], b["gini"], b["max_min"]) == ("0", "0", "1")
    b = balance([0, 0, 0, 10])
    assert b["gini"] == "0.75" and b["max_min"] is None and b["top_decile_share"] == "1"
