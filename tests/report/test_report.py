"""safetyrules report: counts and shares of a graded registry, in JSON,
Markdown and HTML with the same numbers."""

from __future__ import annotations

import json

import pytest

from safetyrules.report.summary import summarise
import cli_fork


def run(*args):
    return cli_fork.run([*args], capture_output=True, text=True)


def _d(level, tier="full", major=False, grid="G1", findings=(), undetermined=(), scale=None, sector=None):
    entity = {"grid": grid} if grid else {}
    if sector:
        entity["sector"] = sector
    return {"level": level, "tier": tier, "inspection": "monthly", "major_hazard": major, "entity": entity,
            "outputs": {"entity.scale": scale}, "ruleset": {"id": "r", "digest": "sha256:x"},
            "findings": [{"standard": s, "clause": c, "cite": f"Art {c}", "severity": "major", "title": {"en": c}} for s, c in findings],
            "undetermined": [{"standard": "s", "clause": u} for u in undetermined]}


def test_summary_counts_by_hand():
    rows = [
        _d("red", major=True, grid="A", findings=[("s", "1"), ("s", "2")], scale="small"),
        _d("red", major=None, grid="A", findings=[("s", "1")], undetermined=["9"], scale="small"),
        _d("blue", tier="self_assessment", grid="B", scale="micro"),
        _d(None, tier=None, major=None, grid=None, undetermined=["9"]),
        '{"line": 5, "error": {"code": "E-JSON", "message": "x", "fact": null}}',
        "not json",
        "",
    ]
    s = summarise(rows, by="grid")
    assert s["entities"] == 4 and s["bad_lines"] == 2
    assert s["level"]["order"] == ["red", "blue", "unknown"]
    assert s["level"]["counts"] == {"red": 2, "blue": 1, "unknown": 1}
    assert s["level"]["shares"] == {"red": 0.5, "blue": 0.25, "unknown": 0.25}
    assert s["major_hazard"]["counts"] == {"true": 1, "unknown": 2, "false": 1} or s["major_hazard"]["counts"] == {"true": 1, "false": 1, "unknown": 2}
    assert s["undetermined"] == {"entities": 2, "share": 0.5}
    assert s["with_findings"] == {"entities": 2, "share": 0.5}
    assert [(g["key"], g["entities"], g["major_hazard"]) for g in s["groups"]] == [("A", 2, 1), ("B", 1, 0), ("unknown", 1, 0)]
    assert s["groups"][0]["level"]["counts"] == {"red": 2}
    assert [(f["clause"], f["count"], f["share"], f["cite"]) for f in s["top_findings"]] == [("1", 2, 0.5, "Art 1"), ("2", 1, 0.25, "Art 2")]
    by_scale = summarise(rows, by="scale")
    assert [(g["key"], g["entities"]) for g in by_scale["groups"]] == [("small", 2), ("micro", 1), ("unknown", 1)]  # SPEC §7 order, largest first
    with pytest.raises(ValueError):
        summarise(rows, by="colour")


def test_report_json_markdown_html_agree(registry):
    out = run("report", str(registry), "--format", "json", "--by", "grid")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["entities"] == 30 and s["bad_lines"] == 1
    assert sum(s["level"]["counts"].values()) == 30
    assert [g["key"] for g in s["groups"]] == ["G0", "G1", "G2"] and all(g["entities"] == 10 for g in s["groups"])
    assert s["top_findings"] and all(f["cite"] for f in s["top_findings"])
    assert "1 line(s) were not decisions" in out.stderr
    md = run("report", str(registry), "--format", "markdown").stdout
    for k, n in s["level"]["counts"].items():
        assert f"| {k} | {n} | {s['level']['shares'][k] * 100:.1f}% |" in md
    md_zh = run("report", str(registry), "--format", "markdown", "--lang", "zh").stdout
    assert md_zh.startswith("# 企业台账分析报告") and "| 红 |" in md_zh
    html = run("report", str(registry), "--by", "sector").stdout
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html


def test_report_escapes_what_the_decisions_hold(tmp_path):
    d = _d("red", grid="<script>alert(1)</script>", findings=[("s", "<b>1</b>")])
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(d) + "\n", encoding="utf-8")
    html = run("report", str(p)).stdout
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>1</b>" not in html


def test_report_bad_path_exits_2():
    out = run("report", "/nonexistent/decisions.jsonl")
    assert out.returncode == 2 and "error" in out.stderr and "Traceback" not in out.stderr


def test_evaluate_html_one_page_for_many(tmp_path, example_facts):
    import os

    from report_fixtures import ROOT

    paths = [os.path.join(ROOT, "examples", "facts", n) for n, _ in example_facts]
    out = run("evaluate", *paths, "--as-of", "2024-03-01", "--format", "html", "--lang", "zh")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("<!DOCTYPE html>") == 1 and out.stdout.count('<section class="decision"') == len(paths)
    assert "风险等级" in out.stdout


def test_parallel_reading_equals_one_reader(registry, monkeypatch):
    """Byte ranges read by two processes add up to the one-reader summary
    (ranges split lines at arbitrary offsets; every line is read once)."""
    from safetyrules.report import summary as S

    with open(registry, "rb") as fh:
        one = S.summarise(fh, by="grid")
    monkeypatch.setattr(S, "PARALLEL_BYTES", 1000)
    assert S.load_summary([str(registry)], by="grid", jobs=2) == one
    assert S.load_summary([str(registry)], by="grid", jobs=7) == one
    assert one["entities"] == 30


def test_evaluate_html_and_markdown_explain():
    import os

    from report_fixtures import ROOT

    path = os.path.join(ROOT, "examples", "facts", "restaurant-lpg.yaml")
    html = run("evaluate", path, "--as-of", "2024-03-01", "--format", "html", "--explain").stdout
    assert "<details open><summary>Explanation</summary><pre>" in html and "art36.4" in html.split("<details")[1]
    md = run("evaluate", path, "--as-of", "2024-03-01", "--format", "markdown", "--explain").stdout
    assert "```text\n" in md and "art36.4" in md.split("```text\n")[1]
