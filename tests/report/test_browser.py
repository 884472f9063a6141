"""The HTML pages in a real headless browser (Debian's chromium, driven by
Playwright): they load with no console error and no request beyond the page
itself, the charts are visible, and the numbers shown are the JSON's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        # a persistent context is how Playwright takes a fresh --user-data-dir
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS, viewport={"width": 1100, "height": 900}
        )
        yield ctx
        ctx.close()


def load(browser, path):
    """Open ``path``; return the page, its console errors and every request."""
    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    url = "file://" + str(path)
    page.goto(url, wait_until="load")
    assert errors == []
    assert requests == [url]  # the page itself, nothing else
    return page


def visible(page, selector):
    box = page.locator(selector).bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, selector


def run(*args):
    out = subprocess.run([sys.executable, "-m", "safetyrules", *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("by, lang", [("grid", "en"), ("sector", "zh")])
def test_report_page(browser, registry, tmp_path, by, lang):
    summary = json.loads(run("report", str(registry), "--format", "json", "--by", by))
    html = tmp_path / f"report-{by}.html"
    run("report", str(registry), "--format", "html", "--by", by, "--lang", lang, "--out", str(html))
    page = load(browser, html)
    visible(page, "#chart-levels")
    visible(page, "#chart-groups")
    page.screenshot(path=str(tmp_path / f"report-{by}.png"), full_page=True)
    assert os.path.getsize(tmp_path / f"report-{by}.png") > 10_000
    assert int(page.locator('[data-field="entities"]').inner_text()) == summary["entities"]
    assert int(page.locator('[data-field="bad_lines"]').inner_text()) == summary["bad_lines"]
    assert int(page.locator('[data-field="undetermined"]').inner_text()) == summary["undetermined"]["entities"]
    for name in ("level", "tier", "inspection", "major_hazard"):
        shown = {
            row.get_attribute("data-key"): int(row.locator(".count").inner_text())
            for row in page.locator(f"#table-{name} tr[data-key]").all()
        }
        assert shown == summary[name]["counts"], name
    bars = {b.get_attribute("data-key"): int(b.get_attribute("data-count")) for b in page.locator("#chart-levels g.bar").all()}
    assert bars == summary["level"]["counts"]
    for g in summary["groups"]:
        row = page.locator(f'#table-groups tr[data-key="{g["key"]}"]')
        assert int(row.locator(".entities").inner_text()) == g["entities"]
        for k, n in g["level"]["counts"].items():
            assert int(row.locator(f'td[data-level="{k}"]').inner_text()) == n
    top = [(r.get_attribute("data-key"), int(r.locator(".count").inner_text()))
           for r in page.locator("#table-findings tr[data-key]").all()]
    assert top == [(f"{f['standard']}:{f['clause']}", f["count"]) for f in summary["top_findings"]]
    if lang == "zh":
        assert "企业台账分析报告" in page.title()


def test_evaluate_page(browser, tmp_path, example_facts):
    from report_fixtures import DAY, ROOT

    paths = [os.path.join(ROOT, "examples", "facts", n) for n, _ in example_facts]
    decisions = [json.loads(line) for line in run("evaluate", *paths, "--as-of", DAY, "--format", "json").splitlines()]
    html = tmp_path / "decisions.html"
    html.write_text(run("evaluate", *paths, "--as-of", DAY, "--format", "html"), encoding="utf-8")
    page = load(browser, html)
    visible(page, "#chart-1")
    page.screenshot(path=str(tmp_path / "decisions.png"), full_page=True)
    sections = page.locator("section.decision").all()
    assert [s.get_attribute("data-level") for s in sections] == [d["level"] for d in decisions]
    for s, d in zip(sections, decisions):
        assert s.locator('[data-field="tier"]').inner_text() == d["tier"]
        assert s.locator("table.findings tr").count() == (len(d["findings"]) + 1 if d["findings"] else 0)
