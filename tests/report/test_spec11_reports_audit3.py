"""A third black-box audit of SPEC §11's reports, through the command line:
Markdown tables that are tables (for every registry, the empty one
included, and whatever text the decisions hold), chart labels in the
chosen language, shares that add up, byte-for-byte determinism, and pages
that load in headless chromium for the cases the browser test does not
open (an empty registry, ``--by scale``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from report_fixtures import DAY
import cli_fork

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def run(*args, env=None):
    p = cli_fork.run([*map(str, args)], capture_output=True,
                       env={**os.environ, **(env or {})})
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    return p.stdout


def decision(level="red", grid="G1", scale="small", title=None, **kw):
    d = {"level": level, "tier": "full", "inspection": "monthly", "major_hazard": False, "undetermined": [],
         "findings": [{"standard": "cn.x", "clause": "c1", "cite": "Art. 1", "severity": "general",
                       "title": title or {"en": "A finding", "zh": "一条隐患"}}],
         "outputs": {"entity.scale": scale}, "entity": {"id": "E", "grid": grid, "sector": "retail"}}
    d.update(kw)
    return d


def write(tmp_path, name, decisions):
    p = tmp_path / name
    p.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in decisions), encoding="utf-8")
    return p


_PIPE = re.compile(r"(?<!\\)\|")


def cells(line: str):
    """The cells of a GFM table row (a pipe escaped with a backslash is text)."""
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") and not s.endswith("\\|") else s
    return _PIPE.split(s)


def md_tables(text: str):
    """Each table of ``text`` as (header, delimiter, rows) cell lists; a
    table is a header row followed by a delimiter row (GFM §4.10)."""
    lines = text.split("\n")
    out = []
    for i in range(len(lines) - 1):
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            rows, j = [], i + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append(cells(lines[j]))
                j += 1
            out.append((cells(lines[i]), cells(lines[i + 1]), rows))
    return out


def check_markdown(text: str, n_tables: int = 7):
    """Every table is one: header and delimiter have as many cells, and
    every row as many; no raw line break or control character in a row."""
    assert "\r" not in text and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    tables = md_tables(text)
    assert len(tables) == n_tables, [t[0] for t in tables]
    for head, delim, rows in tables:
        assert len(head) == len(delim), (head, delim)
        for r in rows:
            assert len(r) == len(head), (head, r)
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - the check above stands alone
        return tables
    parsed = MarkdownIt("commonmark").enable("table").parse(text)
    assert sum(t.type == "table_open" for t in parsed) == n_tables
    return tables


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("by", ["grid", "sector", "scale"])
def test_markdown_of_an_empty_registry_has_every_table(tmp_path, by, lang):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    text = run("report", empty, "--format", "markdown", "--by", by, "--lang", lang).decode()
    tables = check_markdown(text)
    assert all(rows == [] for _, _, rows in tables[1:])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_rows_stay_rows_whatever_the_decisions_hold(tmp_path, lang):
    grids = ["a|b", "c\ry", "d\r\ne", "f\x0bg", "h\x1bi", "j\x85k", "tab\there", "`code`", "*em*"]
    ds = [decision(grid=g, title={"en": "line\r\nbreak | pipe\x07", "zh": "换行\r\n竖线 | \x07"}) for g in grids]
    ds.append(decision(level="odd|level\r", grid="Z"))
    path = write(tmp_path, "hostile.jsonl", ds)
    text = run("report", path, "--format", "markdown", "--by", "grid", "--lang", lang).decode()
    tables = check_markdown(text)
    groups = tables[5][2]
    assert len(groups) == len(grids) + 1
    assert len(tables[6][2]) == 1  # the one finding


def test_stacked_chart_labels_are_in_the_language(tmp_path):
    ds = [decision(scale="small"), decision(scale="micro", level="blue"), decision(scale=None, grid=None)]
    path = write(tmp_path, "d.jsonl", ds)
    zh = run("report", path, "--format", "html", "--by", "scale", "--lang", "zh").decode()
    chart = zh[zh.index('id="chart-groups"'):]
    chart = chart[:chart.index("</svg>")]
    tips = re.findall(r"<rect[^>]*><title>([^<]*)</title>", chart)
    assert tips and all(" · " in t for t in tips)
    groups = [t.split(" · ")[0] for t in tips]
    assert set(groups) == {"小型", "微型", "未知"}, groups
    grid = run("report", path, "--format", "html", "--by", "grid", "--lang", "zh").decode()
    chart = grid[grid.index('id="chart-groups"'):grid.index("</svg>", grid.index('id="chart-groups"'))]
    assert {t.split(" · ")[0] for t in re.findall(r"<rect[^>]*><title>([^<]*)</title>", chart)} == {"G1", "未知"}


@pytest.mark.parametrize("by", ["grid", "sector", "scale"])
def test_shares_add_up_and_counts_are_the_entities(tmp_path, by):
    levels = ["red", "orange", "yellow", "blue", None, "yellow", "yellow"]
    ds = [decision(level=lv, grid=f"G{i % 3}", scale=("small", "micro", None)[i % 3],
                   major_hazard=(True, False, None)[i % 3]) for i, lv in enumerate(levels * 3)]
    rep = json.loads(run("report", write(tmp_path, "d.jsonl", ds), "--format", "json", "--by", by))
    n = rep["entities"]
    assert n == len(ds)
    for name in ("level", "tier", "inspection", "major_hazard"):
        assert sum(rep[name]["counts"].values()) == n, name
        assert abs(sum(rep[name]["shares"].values()) - 1) < 1e-5, name
        assert sorted(rep[name]["counts"]) == sorted(rep[name]["order"])
    assert sum(g["entities"] for g in rep["groups"]) == n
    assert abs(sum(g["share"] for g in rep["groups"]) - 1) < 1e-5
    for g in rep["groups"]:
        assert sum(g["level"]["counts"].values()) == g["entities"]
        assert abs(sum(g["level"]["shares"].values()) - 1) < 1e-5
    assert rep["level"]["counts"] == {"red": 3, "orange": 3, "yellow": 9, "blue": 3, "unknown": 3}


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_byte_for_byte_the_same_whatever_the_hash_seed_and_the_file_split(tmp_path, fmt):
    ds = [decision(level=lv, grid=g, title={"en": f"T{k}"}, findings=[
        {"standard": f"cn.s{k % 3}", "clause": f"c{k % 4}", "cite": f"Art. {k}", "severity": "general", "title": {"en": f"T{k}"}}])
        for k, (lv, g) in enumerate([(lv, g) for lv in ("red", "blue", "yellow") for g in ("南山", "福田", "G9", "a")])]
    whole = write(tmp_path, "whole.jsonl", ds)
    a, b = write(tmp_path, "a.jsonl", ds[:5]), write(tmp_path, "b.jsonl", ds[5:])
    outs = {run("report", whole, "--format", fmt, "--lang", "zh", env={"PYTHONHASHSEED": str(s)}) for s in (0, 1, 2)}
    outs.add(run("report", a, b, "--format", fmt, "--lang", "zh", env={"PYTHONHASHSEED": "3"}))
    assert len(outs) == 1


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_pages_load_in_chromium_without_an_error_and_chart_labels_fit(tmp_path, example_facts):
    """An empty registry, ``--by scale``, and grids named as real grids are
    (long Chinese names, a long Latin one): no console error, no request,
    and every chart label inside its chart (a long one is shortened, with
    the whole name in its tooltip), not cut off at the chart's left edge."""
    sync_api = pytest.importorskip("playwright.sync_api")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for _, f in example_facts), encoding="utf-8")
    graded = tmp_path / "graded.jsonl"
    graded.write_bytes(subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(facts), "--format", "json",
                                       "--as-of", DAY], capture_output=True).stdout)
    long_names = ["福田区华富街道莲花一村社区第一网格", "南山区粤海街道科技园社区网格", "Grid-of-the-Very-Long-Name-Industrial-Park-North", "G1"]
    named = write(tmp_path, "named.jsonl", [decision(grid=g) for g in long_names])
    pages = []
    for src, by, lang in ((empty, "grid", "en"), (empty, "scale", "zh"), (graded, "scale", "zh"), (graded, "sector", "en"),
                          (named, "grid", "zh"), (named, "grid", "en")):
        out = tmp_path / f"{src.stem}-{by}-{lang}.html"
        run("report", src, "--format", "html", "--by", by, "--lang", lang, "--out", out)
        pages.append(out)
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
                                                   args=args)
        try:
            for path in pages:
                page = ctx.new_page()
                errors, requests = [], []
                page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.goto("file://" + str(path), wait_until="load")
                assert errors == [] and requests == ["file://" + str(path)], (path.name, errors, requests)
                box = page.locator("#chart-levels").bounding_box()
                assert box and box["width"] > 0 and box["height"] > 0
                want = {"empty": 0, "named": len(long_names)}.get(path.name.split("-")[0], len(example_facts))
                assert int(page.locator('[data-field="entities"]').inner_text()) == want
                for chart in ("#chart-levels", "#chart-groups"):
                    frame = page.locator(chart).bounding_box()
                    for text in page.locator(f"{chart} text").all():
                        t = text.bounding_box()
                        assert t["x"] >= frame["x"] - 0.5 and t["x"] + t["width"] <= frame["x"] + frame["width"] + 0.5, (
                            path.name, chart, text.text_content())
                if path.name.startswith("named"):
                    tips = page.locator("#chart-groups g.row > title").all_text_contents()
                    assert set(long_names[:3]) <= set(tips), tips
                page.close()
        finally:
            ctx.close()


def test_rows_of_a_columnar_backend_are_refused_with_what_to_run_instead(tmp_path):
    """``evaluate REGISTRY --backend duckdb --out OUT.jsonl`` writes rows
    (SPEC §9), not decisions (SPEC §10): the report says so, not only that
    no line is a decision."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"entity.id": f"E{i}", "level": "orange", "tier": None, "inspection": "quarterly",
                                        "major_hazard": False, "findings": ["cn.x:c1"], "undetermined": []}) + "\n"
                            for i in range(3)), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "safetyrules", "report", str(rows), "--format", "json"], capture_output=True, text=True)
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
    assert p.stderr.startswith(f"{rows}: error: none of the 3 line(s) is a decision")
    assert "--backend" in p.stderr and "--format json" in p.stderr.splitlines()[-1], p.stderr


def test_a_registry_of_only_error_lines_says_no_entity_was_decided(tmp_path):
    """Every entity of the registry failed in ``evaluate`` (its error lines,
    SPEC §8): exit 2 as for any input without a decision, and the message
    says that these are evaluate's error lines, not some other file."""
    facts = tmp_path / "facts.jsonl"
    facts.write_bytes(b'{"entity.employees": "many"}\n{bad\n')
    graded = tmp_path / "graded.jsonl"
    ev = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(facts), "--format", "json"], capture_output=True)
    assert ev.returncode == 2
    graded.write_bytes(ev.stdout)
    for fmt in ("json", "markdown", "html"):
        p = subprocess.run([sys.executable, "-m", "safetyrules", "report", str(graded), "--format", fmt],
                           capture_output=True, text=True)
        assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
        assert p.stderr.startswith(f"{graded}: error: none of the 2 line(s) is a decision")
        assert "error lines of 'safetyrules evaluate'" in p.stderr and "no entity was decided" in p.stderr, p.stderr
