"""Checklists, item-level subjects, provenance and self-inspection end to end
(supervision.md §8.5, §8.8 4)."""

import datetime
import json
import re

import pytest

import safetyrules
from safetyrules.supervision.checklist import checklist, decide_answers, selfcheck_rules_path, subjects_of
import cli_fork

DAY = datetime.date(2025, 6, 1)


def cli(*args, cwd=None):
    p = cli_fork.run([*args], capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def selfcheck():
    return safetyrules.load(selfcheck_rules_path())


def test_the_selfcheck_set_is_fully_covered():
    code, out, err = cli("test", selfcheck_rules_path(), "--coverage", "--fail-under", "100")
    assert code == 0, out + err
    assert "overall coverage: 100.0%" in out


def test_selfcheck_does_not_touch_the_national_set():
    rules = safetyrules.load()
    assert not any(s.id.startswith("cn.selfcheck") for s in rules.plan.standards)


def test_every_selfcheck_item_is_a_self_check_with_a_source(selfcheck):
    cl = checklist(selfcheck, {}, as_of=DAY, kind="self_check")
    assert len(cl.items) == 12
    for it in cl.items:
        assert it["kind"] == "self_check" and it["cite"] and it["status"] in ("verified", "provisional")
        assert it["title"]["zh"] and it["title"]["en"]
    # PARTIAL or superseded sources are provisional, never presented as verified
    status = {it["clause"]: it["status"] for it in cl.items}
    assert status["dust-cleaning"] == "provisional" and status["exits"] == "provisional" and status["gas-alarm"] == "verified"


def test_a_restaurant_is_not_asked_about_dust(selfcheck):
    cl = checklist(selfcheck, {"business.type": "restaurant"}, as_of=DAY, kind="self_check")
    asked = {q["fact"] for q in cl.questions}
    assert "gas.alarm_installed" in asked and "dust.systems" not in asked


def test_subjects_name_the_items_that_made_the_finding(selfcheck):
    facts = {"business.type": "workshop", "dust.present": True,
             "dust.systems": [{"id": "DS-1", "dry": True, "explosion_control": True}, {"id": "DS-2", "dry": True, "explosion_control": False},
                              {"id": "DS-3", "dry": True, "explosion_control": False}]}
    env = selfcheck.check_facts(facts)
    assert subjects_of(selfcheck, env, "cn.selfcheck.small-business", "dust-explosion-control") == ["dust.systems[id=DS-2]", "dust.systems[id=DS-3]"]
    assert subjects_of(selfcheck, env, "cn.selfcheck.small-business", "safety-staff") == []


def test_markdown_form_filled_in_gives_a_decision(tmp_path):
    code, form, err = cli("checklist", "W-001", "--kind", "self_check", "--format", "markdown", "--as-of", "2025-06-01")
    assert code == 0, err
    block = re.search(r"```yaml\n(.*?)```", form, re.S).group(1)
    answers = {"business.type": "workshop", "business.employees": "6", "safety.staff_assigned": "false", "dust.present": "true",
               "dust.systems": "\n  - {id: DS-1, dry: true, explosion_control: true}\n  - {id: DS-2, dry: true, explosion_control: false}"}
    lines = []
    for line in block.splitlines():
        m = re.match(r"^([a-z_.]+):", line)
        if m and m.group(1) in answers:
            lines.append(f"{m.group(1)}: {answers[m.group(1)]}")
        elif m or line.startswith("  - "):
            continue  # left unanswered
        else:
            lines.append(line)
    (tmp_path / "answers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli("checklist", "W-001", "--kind", "self_check", "--answers", str(tmp_path / "answers.yaml"), "--format", "json", "--as-of", "2025-06-01")
    assert code == 0, err
    d = json.loads(out)
    found = {f["clause"]: f for f in d["findings"]}
    assert set(found) == {"safety-staff", "dust-explosion-control"}
    assert found["dust-explosion-control"]["subjects"] == ["dust.systems[id=DS-2]"]
    assert found["dust-explosion-control"]["finding_ids"] == [safetyrules.supervision.finding_id("W-001", "cn.selfcheck.small-business", "dust-explosion-control", "dust.systems[id=DS-2]")]
    assert found["safety-staff"]["provenance"]["kind"] == "self_check"


def test_html_form_is_self_contained(tmp_path):
    code, html, err = cli("checklist", "R-1", "--kind", "self_check", "--format", "html", "--as-of", "2025-06-01")
    assert code == 0, err
    assert html.startswith("<!DOCTYPE html>") and "<form" in html and "gas.alarm_installed" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_answers_are_the_same_as_evaluate(selfcheck):
    facts = {"business.type": "restaurant", "gas.used": True, "gas.alarm_installed": False}
    d = decide_answers(selfcheck, facts, DAY)
    plain = selfcheck.evaluate(facts, as_of=DAY).to_dict()
    assert [(f["standard"], f["clause"]) for f in d["findings"]] == [(f["standard"], f["clause"]) for f in plain["findings"]]


def write_overlay(tmp_path, published="2025-01-01", scope=None, review_by=None):
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: t.overlay\ninclude: [v.yaml, s.yaml]\n")
    (tmp_path / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  entity.grid: {type: string}\n  a: {type: bool}\n")
    extra = (f"scope: [{', '.join(scope)}]\n" if scope else "") + (f"review_by: {review_by}\n" if review_by else "")
    (tmp_path / "s.yaml").write_text(
        "kind: standard\nid: city.items\nlayer: municipal\nauthority: 某市应急管理局\ndoc_no: 某应急〔2025〕1号\n"
        f"published: {published}\nbasis: [{{law: 中华人民共和国安全生产法（2021）, article: '36'}}]\n{extra}"
        "clauses:\n  - {id: c1, cite: Art. 1, severity: general, when: a, examples: [{facts: {a: true}, expect: true}, {facts: {a: false}, expect: false}]}\n"
        "  - {id: c2, cite: Art. 2, severity: general, kind: patrol_guidance, when: a, examples: [{facts: {a: true}, expect: true}, {facts: {a: false}, expect: false}]}\n",
        encoding="utf-8")
    return str(tmp_path)


def test_checklist_provenance_and_kinds(tmp_path):
    rules = safetyrules.load(write_overlay(tmp_path))
    cl = checklist(rules, {}, as_of=DAY)
    got = {(i["clause"], i["kind"], i["provenance"]["layer"], i["provenance"]["doc_no"]) for i in cl.items}
    assert got == {("c1", "enforcement", "municipal", "某应急〔2025〕1号"), ("c2", "patrol_guidance", "municipal", "某应急〔2025〕1号")}
    assert [i["clause"] for i in checklist(rules, {}, as_of=DAY, kind="enforcement").items] == ["c1"]


def test_checklist_unpublished_scope_and_stale(tmp_path):
    rules = safetyrules.load(write_overlay(tmp_path, published="2025-07-01", scope=["G7"], review_by="2025-03-01"))
    cl = checklist(rules, {"entity.grid": "G7"}, as_of=DAY)
    assert cl.items == () and {w.code for w in cl.warnings} == {"L-PROV-UNPUBLISHED"}
    cl = checklist(rules, {"entity.grid": "G8"}, as_of=datetime.date(2025, 8, 1))
    assert cl.items == () and {w.code for w in cl.warnings} == {"L-PROV-SCOPE"}
    cl = checklist(rules, {"entity.grid": "G7"}, as_of=datetime.date(2025, 8, 1))
    assert len(cl.items) == 2 and {w.code for w in cl.warnings} == {"L-PROV-STALE"}


def test_lint_provenance(tmp_path):
    d = write_overlay(tmp_path)
    code, out, err = cli("lint", d)
    assert "L-PROV" not in out
    s = (tmp_path / "s.yaml").read_text(encoding="utf-8").replace("authority: 某市应急管理局\n", "")
    s = s.replace("clauses:", "effective: {from: 2025-01-01, supersedes: [cn.npc.safety-production-law]}\nclauses:")
    (tmp_path / "s.yaml").write_text(s, encoding="utf-8")
    code, out, err = cli("lint", d)
    # supervision.md §8.5: L-PROV-MISSING and L-PROV-WEAKENS are errors (exit 1 without --strict)
    assert re.search(r"s\.yaml:\d+:1: error: enforcement item city\.items:c1 has no authority.*\[L-PROV-MISSING provenance-missing\]", out), out
    assert re.search(r": error: .*\[L-PROV-WEAKENS provenance-weakens\]", out), out
    assert code == 1
    assert "city.items:c2" not in out  # a patrol_guidance item needs no enforcement basis


def test_list_key_must_name_an_item_field(tmp_path):
    (tmp_path / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  xs: {type: list, key: name, item: {id: {type: string}}}\n")
    code, out, err = cli("validate", str(tmp_path / "v.yaml"))
    assert code == 1 and "v.yaml:4:" in (out + err) and "key 'name' is not a field" in (out + err)
