"""Provenance in the evaluate reports (supervision.md §8.5 "Outputs"), run as a
user runs the command: ``safetyrules evaluate --format text|markdown|html``
over the test overlay (tests/supervision/data/prov-overlay: the bundled
national set plus a fictional city's items with provenance).

- a finding with provenance shows its layer, authority, document number and
  kind; findings without provenance (the national set) show none;
- ``patrol_guidance`` findings are listed apart from the others (a patrol
  finding is not an administrative finding);
- several entities decided in text/Markdown end with the findings by layer
  and by kind (count and share), only when some finding has provenance."""

import copy
import json
import os

import pytest

from report_fixtures import ROOT
import cli_fork

OVERLAY = os.path.join(ROOT, "tests", "supervision", "data", "prov-overlay")
DAY = "2025-06-01"
AUTH, CITY_NO, STREET_NO = "测试市应急管理局", "测试应急〔2025〕1号", "测试街道〔2025〕2号"

# a small office without safety staff: SPL Art. 24 ¶2 (national, no provenance)
BASE = {"entity": {"assets": 222, "employees": 8, "nbs_sector": "software_it", "sector": "office", "status": "active"},
        "fire": {"crowded_place": False, "fe_goods": {"place": False}, "hazard_places": [], "tank_farm": {"present": True},
                 "venue": "office"},
        "gas": {"fuel_used": False}, "hazchem": {"substances": []}, "project": {"kind": "none"},
        "safety": {"any_staff": False}}


def entity(eid, charging, clutter):
    e = copy.deepcopy(BASE)
    e["entity"].update(id=eid, grid="G1")
    e["prov"] = {"indoor_charging": charging, "corridor_clutter": clutter}
    return e


def cli(*args):
    env = dict(os.environ)
    env.pop("SAFETYRULES_DEBUG", None)
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("prov-report")
    one = d / "one.json"
    one.write_text(json.dumps(entity("E1", True, True), ensure_ascii=False), encoding="utf-8")
    reg = d / "reg.jsonl"
    # E1: national + municipal + street (patrol); E2: national + municipal -> 5 findings
    reg.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n"
                           for e in (entity("E1", True, True), entity("E2", True, False))), encoding="utf-8")
    return {"one": one, "reg": reg}


def section(text, start, stop):
    """The lines of ``text`` from the line starting with ``start`` up to the
    next line starting with ``stop`` (not included)."""
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith(start))
    j = next((k for k in range(i + 1, len(lines)) if lines[k].startswith(stop)), len(lines))
    return "\n".join(lines[i:j])


def test_text_shows_provenance_and_patrol_findings_apart(files):
    out = cli("evaluate", files["one"], "--rules", OVERLAY, "--as-of", DAY)
    main = section(out, "Findings (", "Undetermined")
    patrol = section(out, "Patrol guidance findings (1)", "Undetermined")
    assert "Findings (2)" in main  # the national and the municipal (enforcement) findings
    assert "ebike-indoor-charging" in main and "corridor-clutter" not in main.split("Patrol guidance")[0]
    assert f"provenance: municipal · {AUTH} · {CITY_NO} · enforcement" in main
    assert "corridor-clutter" in patrol
    assert f"provenance: street · {AUTH} · {STREET_NO} · patrol_guidance" in patrol
    assert "not an administrative finding" in patrol
    # the national finding has no provenance line
    lines = out.splitlines()
    k = next(i for i, line in enumerate(lines) if "art24.2" in line)
    assert "provenance" not in lines[k + 1] and "provenance" not in lines[k + 2]
    assert out.count("provenance:") == 2
    # one entity: no summary
    assert "by layer" not in out


def test_text_in_chinese(files):
    out = cli("evaluate", files["one"], "--rules", OVERLAY, "--as-of", DAY, "--lang", "zh")
    assert f"来源：市级 · {AUTH} · {CITY_NO} · 执法检查" in out
    assert f"来源：街道 · {AUTH} · {STREET_NO} · 巡查指导" in out
    assert "巡查指导隐患 (1)" in out


def test_several_entities_end_with_the_findings_by_layer_and_kind(files):
    out = cli("evaluate", files["reg"], "--rules", OVERLAY, "--as-of", DAY)
    tail = out[out.index("== Findings by layer"):]
    assert tail.splitlines() == [
        "== Findings by layer (5)",
        "    municipal: 2 (40.0%)",
        "    street: 1 (20.0%)",
        "    unknown: 2 (40.0%)",
        "== Findings by kind (5)",
        "    enforcement: 4 (80.0%)",
        "    patrol_guidance: 1 (20.0%)",
    ]
    assert out.count("== Findings by layer") == 1 and out.index("reg.jsonl:2") < out.index("== Findings by layer")
    zh = cli("evaluate", files["reg"], "--rules", OVERLAY, "--as-of", DAY, "--lang", "zh")
    tail = zh[zh.index("== 隐患来源层级"):]
    assert "    市级：2 (40.0%)" in tail and "    未知：2 (40.0%)" in tail and "    巡查指导：1 (20.0%)" in tail


def test_markdown_columns_patrol_table_and_summary(files):
    out = cli("evaluate", files["reg"], "--rules", OVERLAY, "--as-of", DAY, "--format", "markdown")
    assert "| severity | standard | clause | citation | title | status | layer | authority | document no. | kind |" in out
    assert f"| municipal | {AUTH} | {CITY_NO} | enforcement |" in out
    first = out[:out.index("reg.jsonl:2")]
    patrol = first[first.index("### Patrol guidance findings"):]
    assert "corridor-clutter" in patrol and f"| street | {AUTH} | {STREET_NO} | patrol_guidance |" in patrol
    assert "corridor-clutter" not in first[:first.index("### Patrol guidance findings")]
    # the national finding: empty provenance cells
    national = [line for line in first.splitlines() if "| art24.2 |" in line]
    assert len(national) == 1 and national[0].endswith("|  |  |  |  |")
    tail = out[out.index("## Findings by layer"):]
    assert "| municipal | 2 | 40.0% |" in tail and "| street | 1 | 20.0% |" in tail and "| unknown | 2 | 40.0% |" in tail
    assert "## Findings by kind" in tail and "| enforcement | 4 | 80.0% |" in tail and "| patrol_guidance | 1 | 20.0% |" in tail


def test_html_shows_provenance_and_patrol_apart(files):
    pytest.importorskip("jinja2")
    out = cli("evaluate", files["reg"], "--rules", OVERLAY, "--as-of", DAY, "--format", "html")
    assert f"<td>municipal</td><td>{AUTH}</td><td>{CITY_NO}</td><td>enforcement</td>" in out
    assert 'class="findings patrol"' in out and out.count("Patrol guidance findings") == 1
    assert 'id="table-layers"' in out and 'id="table-kinds"' in out


def test_national_set_has_no_provenance_and_no_summary(files, tmp_path):
    # the bundled set declares no provenance: nothing changes
    reg = tmp_path / "nat.jsonl"
    reg.write_text("".join(json.dumps(BASE, ensure_ascii=False) + "\n" for _ in range(2)), encoding="utf-8")
    for fmt in ("text", "markdown"):
        out = cli("evaluate", reg, "--as-of", DAY, "--format", fmt)
        assert "by layer" not in out and "provenance" not in out and "layer" not in out
        assert "Patrol guidance" not in out


def test_json_lines_get_no_summary(files):
    out = cli("evaluate", files["reg"], "--rules", OVERLAY, "--as-of", DAY, "--format", "json")
    lines = out.splitlines()
    assert len(lines) == 2 and all(json.loads(line)["findings"] for line in lines)


def test_only_patrol_findings_and_the_tally():
    import safetyrules
    from safetyrules.report.text import LayerTally, format_layer_summary, format_markdown, format_text

    rules = safetyrules.load(OVERLAY)
    facts = entity("E3", False, True)
    facts["safety"] = {"any_staff": True}  # no national finding: only the street's patrol item
    d = rules.evaluate(facts, as_of=DAY)
    assert [(f.clause, f.provenance["kind"]) for f in d.findings] == [("corridor-clutter", "patrol_guidance")]
    text = format_text(d)  # no enforcement finding: "none", then the patrol list
    assert "Findings: none" in text and text.index("Findings: none") < text.index("Patrol guidance findings (1)")
    md = format_markdown(d)
    assert "No findings." in md and "### Patrol guidance findings" in md and "| street |" in md
    tally = LayerTally()
    assert format_layer_summary(tally) == "" and format_layer_summary(tally, "markdown") == ""
    tally.add(d)
    tally.add(d.to_dict())  # a decision or its dict
    n = 2
    text = format_layer_summary(tally, lang="zh")
    assert text == f"\n== 隐患来源层级 ({n})\n    街道：2 (100.0%)\n== 隐患类别 ({n})\n    巡查指导：2 (100.0%)\n"
    md = format_layer_summary(tally, "markdown", lang="en")
    assert md.startswith("\n## Findings by layer\n\n| layer | count | share |\n|---|---:|---:|\n")
    assert "| patrol_guidance | 2 |" in md
    # decisions without provenance: nothing to show
    plain = LayerTally()
    plain.add(safetyrules.load().evaluate(BASE, as_of=DAY))
    assert plain.findings >= 1 and format_layer_summary(plain) == ""
