"""The library API of supervision.md §8.0 takes paths as well as objects, and
gives the same results either way."""

import datetime
import os

import safetyrules.supervision as sv
from sv_fixtures import COMMITMENT, EXAMPLES, SEED, vector_files


def test_draw_commit_with_paths_equals_with_objects(tmp_path):
    f = vector_files(tmp_path)
    by_path = sv.draw_commit(f["registry"], f["policy"], history=f["history"], inspectors=f["inspectors"],
                             as_of="2025-03-01", commitment=COMMITMENT)
    by_obj = sv.draw_commit(sv.read_registry(f["registry"]), sv.load_policy(f["policy"]), history=sv.read_history(f["history"]),
                            inspectors=sv.read_inspectors(f["inspectors"]), as_of=datetime.date(2025, 3, 1), commitment=COMMITMENT,
                            inspectors_digest=sv.common.digest_file(f["inspectors"]))
    assert by_path.to_json() == by_obj.to_json()
    res = sv.draw_run(by_path, seed=SEED)
    assert [x["entity_id"] for s in res.to_dict()["strata"] for x in s["selected"]] == ["E001", "E010", "E106"]


def test_plan_and_grid_with_paths(tmp_path):
    f = vector_files(tmp_path)
    staff = os.path.join(EXAMPLES, "staff-2025.yaml")
    cal = os.path.join(EXAMPLES, "calendar-2025.yaml")
    p1 = sv.plan(f["registry"], f["policy"], staff=staff, calendar=cal, year=2025)
    data, _ = sv.read_staff(staff)
    p2 = sv.plan(sv.read_registry(f["registry"]), sv.load_policy(f["policy"]), staff=data, calendar=sv.read_calendar(cal, 2025), year=2025)
    assert p1.to_dict()["entities"] == p2.to_dict()["entities"] and p1.to_dict()["summary"]["workdays"] == p2.to_dict()["summary"]["workdays"]
    members = os.path.join(EXAMPLES, "members.csv")
    g1 = sv.grid_report(f["registry"], members, None, calendar=cal, year=2025)
    g2 = sv.grid_report(sv.read_registry(f["registry"]), sv.read_members(members), sv.default_policy(), calendar=sv.read_calendar(cal, 2025), year=2025)
    assert g1.to_json() == g2.to_json()
