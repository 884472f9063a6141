"""``track`` and the hazard ledger (supervision.md §8.4, §8.7 item 5)."""

import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetyrules import supervision as sv
from safetyrules.supervision.ledger import read_ledger
from safetyrules.supervision.track import records_from_dicts, track
from sv_fixtures import write_jsonl

DUST = "cn.mem.order10.dust"
SPL = "cn.npc.safety-production-law"
AS_OF = datetime.date(2025, 10, 1)


def f(std, cl, sev="general", **kw):
    d = {"standard": std, "clause": cl, "severity": sev}
    d.update(kw)
    return d


def rec(eid, date, findings=(), undetermined=(), **kw):
    d = {"entity": {"id": eid, "grid": "G1"}, "date": date, "findings": list(findings), "undetermined": list(undetermined), "level": "yellow"}
    d.update(kw)
    return d


def classes(res):
    return {(r["entity_id"], r["clause"], r["subject"]): r["class"] for r in res.findings}


def run(old, new, ledger=None, **kw):
    return track(records_from_dicts(old), records_from_dicts(new), ledger=ledger, as_of=AS_OF, **kw)


def test_the_class_table(tmp_path):
    old = [rec("E1", "2025-01-10", [f(SPL, "art36.4")]),           # -> persisting
           rec("E2", "2025-01-10", [f(SPL, "art36.4")]),           # -> rectified
           rec("E3", "2025-01-10", [f(SPL, "art36.4")]),           # -> unverified
           rec("E4", "2025-01-10", [], [f(SPL, "art36.4")]),       # -> new, was undetermined
           rec("E5", "2025-01-10", [f(DUST, "art11.3", "major")]),  # -> rectified_observed
           rec("E6", "2025-01-10", [f(SPL, "art36.4", ledger_status="closed")]),  # -> reopened
           rec("E7", "2025-01-10", [f(SPL, "art36.4")])]           # -> out_of_scope (absent from NEW)
    new = [rec("E1", "2025-09-01", [f(SPL, "art36.4")]),
           rec("E2", "2025-09-01"),
           rec("E3", "2025-09-01", [], [f(SPL, "art36.4")]),
           rec("E4", "2025-09-01", [f(SPL, "art36.4")]),
           rec("E5", "2025-09-01"),
           rec("E6", "2025-09-01", [f(SPL, "art36.4")])]
    res = run(old, new)
    c = classes(res)
    assert c == {("E1", "art36.4", ""): "persisting", ("E2", "art36.4", ""): "rectified", ("E3", "art36.4", ""): "unverified",
                 ("E4", "art36.4", ""): "new", ("E5", "art11.3", ""): "rectified_observed", ("E6", "art36.4", ""): "reopened",
                 ("E7", "art36.4", ""): "out_of_scope"}
    e4 = [r for r in res.findings if r["entity_id"] == "E4"][0]
    assert e4["was_undetermined"] is True
    assert e4["finding_id"] == sv.finding_id("E4", SPL, "art36.4")


@settings(max_examples=30)
@given(st.sampled_from(["general", "major"]), st.booleans())
def test_an_undetermined_new_never_gives_rectified(sev, missing_facts):
    old = [rec("E1", "2025-01-10", [f(SPL, "c1", sev)])]
    new = [rec("E1", "2025-09-01", [], [f(SPL, "c1", sev, missing=["x"] if missing_facts else [])])]
    (r,) = run(old, new).findings
    assert r["class"] == "unverified"


def ledger_file(tmp_path, events):
    return read_ledger(write_jsonl(tmp_path / "ledger.jsonl", events))


def ev(eid, std, cl, at, action, role="inspector", **kw):
    d = {"finding_id": sv.finding_id(eid, std, cl), "entity_id": eid, "at": at, "action": action, "actor": {"id": "x", "role": role}}
    d.update(kw)
    return d


def test_major_stays_rectified_observed_until_authority_acceptance(tmp_path):
    old = [rec("E5", "2025-01-10", [f(DUST, "art11.3", "major")])]
    new = [rec("E5", "2025-09-01")]
    base = [ev("E5", DUST, "art11.3", "2025-01-10", "found", severity="major"),
            ev("E5", DUST, "art11.3", "2025-03-01", "rectification_reported", role="entity"),
            ev("E5", DUST, "art11.3", "2025-03-05", "recheck_passed")]
    (r,) = run(old, new, ledger_file(tmp_path, base)).findings
    assert r["class"] == "rectified_observed"
    accepted_by_inspector = base + [ev("E5", DUST, "art11.3", "2025-03-10", "accepted", role="inspector")]
    with pytest.raises(sv.SupervisionError) as e:
        ledger_file(tmp_path, accepted_by_inspector + [ev("E5", DUST, "art11.3", "2025-03-11", "closed", role="inspector")])
    assert e.value.code == "E-LEDGER-MAJOR-CLOSE" and e.value.line == 5
    done = base + [ev("E5", DUST, "art11.3", "2025-03-10", "accepted", role="authority"), ev("E5", DUST, "art11.3", "2025-03-11", "closed", role="authority")]
    (r,) = run(old, new, ledger_file(tmp_path, done)).findings
    assert r["class"] == "rectified"


def test_closed_in_the_ledger_then_found_again_is_reopened(tmp_path):
    led = ledger_file(tmp_path, [ev("E1", SPL, "c1", "2025-01-10", "found", severity="general"), ev("E1", SPL, "c1", "2025-02-01", "closed")])
    old = [rec("E1", "2025-01-10", [f(SPL, "c1")])]
    new = [rec("E1", "2025-09-01", [f(SPL, "c1")])]
    (r,) = run(old, new, led).findings
    assert r["class"] == "reopened"


def test_deadlines_overdue_and_alerts(tmp_path):
    old = [rec("E1", "2023-11-01", [f(DUST, "art11.3", "major")]), rec("E2", "2025-01-01", [f(SPL, "c1")])]
    new = [rec("E1", "2025-09-01", [f(DUST, "art11.3", "major", deadline="2025-09-20")]), rec("E2", "2025-09-01", [f(SPL, "c1")])]
    res = run(old, new)
    r1 = [r for r in res.findings if r["entity_id"] == "E1"][0]
    assert r1["overdue_days"] == 11 and r1["recheck_due"] == "2025-09-30"
    codes = sorted(a["code"] for a in res.alerts)
    assert codes == ["A-LISTING-CANDIDATE", "A-MAJOR-OVERDUE", "A-MAJOR-STOCK", "A-RECHECK-OVERDUE"]
    assert [w["code"] for w in res.summary["warnings"]] == ["W-NO-DEADLINE"]
    assert res.gate(["overdue", "persisting-major", "reopened"]) == ["overdue", "persisting-major"]


def test_deadline_is_inclusive(tmp_path):
    old = [rec("E1", "2025-01-01", [f(SPL, "c1")])]
    new = [rec("E1", "2025-09-01", [f(SPL, "c1", deadline="2025-10-01")])]
    (r,) = run(old, new).findings
    assert r["overdue_days"] is None


def test_clause_map_keeps_the_id_across_renumbering():
    old = [rec("E1", "2025-01-01", [f("std.old", "art3")])]
    new = [rec("E1", "2025-09-01", [f("std.new", "art4")])]
    res = track(records_from_dicts(old), records_from_dicts(new), clause_map={("std.old", "art3"): ("std.new", "art4")}, as_of=AS_OF)
    assert [r["class"] for r in res.findings] == ["persisting"]


def test_item_subjects_are_tracked_separately():
    old = [rec("E1", "2025-01-01", [f(DUST, "art11.3", "major", subjects=["dust.systems[id=DS-1]", "dust.systems[id=DS-2]"])])]
    new = [rec("E1", "2025-09-01", [f(DUST, "art11.3", "major", subjects=["dust.systems[id=DS-2]"])])]
    c = classes(track(records_from_dicts(old), records_from_dicts(new), as_of=AS_OF))
    assert c == {("E1", "art11.3", "dust.systems[id=DS-1]"): "rectified_observed", ("E1", "art11.3", "dust.systems[id=DS-2]"): "persisting"}
    with pytest.raises(sv.SupervisionError) as e:
        records_from_dicts([rec("E1", "2025-01-01", [f(DUST, "art11.3", subjects=["dust.systems[0]"])])])
    assert e.value.code == "E-TRACK-UNSTABLE-SUBJECT"


def test_severity_and_ruleset_changes_are_flagged():
    old = [rec("E1", "2025-01-01", [f(SPL, "c1", "general")], ruleset={"digest": "sha256:a"})]
    new = [rec("E1", "2025-09-01", [f(SPL, "c1", "major")], ruleset={"digest": "sha256:b"})]
    res = track(records_from_dicts(old), records_from_dicts(new), as_of=AS_OF)
    assert res.findings[0]["severity_changed"] is True and res.summary["ruleset_changed"] is True


def test_ledger_errors_are_located(tmp_path):
    p = tmp_path / "l.jsonl"
    p.write_text(json.dumps(ev("E1", SPL, "c1", "2025-01-01", "found")) + "\n" + '{"finding_id": "F-1", "at": "2025-01-02", "action": "fixed"}\n')
    with pytest.raises(sv.SupervisionError) as e:
        read_ledger(str(p))
    assert (e.value.path, e.value.line, e.value.code) == (str(p), 2, "E-LEDGER-EVENT")
    p.write_text(json.dumps(ev("E1", SPL, "c1", "2025-01-01", "found")) + "\n" + json.dumps(ev("E1", SPL, "c1", "2025-01-05", "deadline_extended", deadline="2025-03-01")) + "\n")
    with pytest.raises(sv.SupervisionError) as e:
        read_ledger(str(p))
    assert e.value.code == "E-LEDGER-EXTENSION" and e.value.line == 2


def test_ledger_ties_break_by_line_order(tmp_path):
    events = [ev("E1", SPL, "c1", "2025-01-01", "found"), ev("E1", SPL, "c1", "2025-02-01", "closed"), ev("E1", SPL, "c1", "2025-02-01", "reopened")]
    recs = ledger_file(tmp_path, events).records()
    assert recs[sv.finding_id("E1", SPL, "c1")].status == "reopened"


def test_graded_registries_and_paths_are_accepted(tmp_path):
    import safetyrules

    rules = safetyrules.load(sv.selfcheck_rules_path())
    facts = {"entity.id": "W1", "business.type": "workshop", "dust.present": True,
             "dust.systems": [{"id": "DS-1", "dry": True, "explosion_control": False}, {"id": "DS-2", "dry": True, "explosion_control": False}]}
    before = sv.grade([facts], rules, as_of=datetime.date(2025, 6, 1))
    facts["dust.systems"][0]["explosion_control"] = True
    after = sv.grade([facts], rules, as_of=datetime.date(2025, 7, 1))
    (f,) = before.entities[0].findings
    assert f["subjects"] == ["dust.systems[id=DS-1]", "dust.systems[id=DS-2]"]
    res = sv.track(before, after, as_of=datetime.date(2025, 8, 1))
    assert classes(res) == {("W1", "dust-explosion-control", "dust.systems[id=DS-1]"): "rectified_observed",
                            ("W1", "dust-explosion-control", "dust.systems[id=DS-2]"): "persisting"}
