"""A second black-box audit of SPEC §11's reports, through the command line
as a user runs it: ``evaluate --format html`` and ``report DECISIONS.jsonl
--format html|markdown|json --by grid|sector|scale [--lang zh|en]``."""

from __future__ import annotations

import collections
import json
import os
import re
import shutil

import pytest

from report_fixtures import DAY, ROOT
import cli_fork

URL = re.compile(rb"(?i)(?:https?|ftp)://|//[a-z0-9.-]+\.[a-z]{2,}/")
#: src=/href= attributes, and url(...) in CSS, that name anything but a fragment or a data: URI
EXTERNAL = re.compile(rb"""(?i)(?:\b(?:src|href|xlink:href|action|srcset)\s*=\s*["']?(?!#|data:)[^"'\s>]|url\(\s*["']?(?!#|data:))""")


def run(*args, ok=True):
    p = cli_fork.run([*map(str, args)], capture_output=True)
    assert b"Traceback" not in p.stderr and b"internal error" not in p.stderr, p.stderr.decode()[-2000:]
    if ok:
        assert p.returncode == 0, p.stderr.decode()
    return p


@pytest.fixture(scope="module")
def graded(tmp_path_factory, example_facts):
    """A graded registry made as SPEC §10 says: JSON Lines facts through
    ``evaluate --format json``; some entities without a grid."""
    d = tmp_path_factory.mktemp("graded")
    facts = d / "facts.jsonl"
    with open(facts, "w", encoding="utf-8") as fh:
        for i in range(36):
            name, f = example_facts[i % len(example_facts)]
            f = json.loads(json.dumps(f))
            ent = f.setdefault("entity", {})
            ent["id"] = f"E{i:03d}"
            if i % 5:
                ent["grid"] = f"G{i % 4}"
            fh.write(json.dumps(f, ensure_ascii=False) + "\n")
    out = d / "decisions.jsonl"
    out.write_bytes(run("evaluate", facts, "--format", "json", "--as-of", DAY).stdout)
    return out


def _key(v):
    return "unknown" if v is None else {True: "true", False: "false"}.get(v, v) if isinstance(v, bool) else v


def recount(path, by):
    ds = [json.loads(x) for x in open(path, encoding="utf-8") if x.strip()]
    n = len(ds)
    want = {f: dict(collections.Counter(_key(d[f]) for d in ds)) for f in ("level", "tier", "inspection", "major_hazard")}

    def dim(d):
        if by == "scale":
            return _key(d["outputs"].get("entity.scale"))
        return _key((d.get("entity") or {}).get(by))

    groups = collections.defaultdict(list)
    for d in ds:
        groups[dim(d)].append(d)
    found = collections.Counter(k for d in ds for k in {(f["standard"], f["clause"]) for f in d["findings"]})
    return n, ds, want, groups, found


@pytest.mark.parametrize("by", ["grid", "sector", "scale"])
def test_report_json_counts_what_the_decisions_hold(graded, by):
    rep = json.loads(run("report", graded, "--format", "json", "--by", by, "--top", "1000").stdout)
    n, ds, want, groups, found = recount(graded, by)
    assert rep["entities"] == n and rep["bad_lines"] == 0 and rep["by"] == by
    for field, counts in want.items():
        assert rep[field]["counts"] == counts, field
        assert all(abs(rep[field]["shares"][k] - c / n) < 1e-6 for k, c in counts.items())
    und = sum(1 for d in ds if d["undetermined"])
    assert rep["undetermined"]["entities"] == und and abs(rep["undetermined"]["share"] - und / n) < 1e-6
    assert {g["key"]: g["entities"] for g in rep["groups"]} == {k: len(v) for k, v in groups.items()}
    for g in rep["groups"]:
        members = groups[g["key"]]
        assert g["level"]["counts"] == dict(collections.Counter(_key(d["level"]) for d in members))
        assert g["major_hazard"] == sum(d["major_hazard"] is True for d in members)
        assert abs(g["undetermined_share"] - sum(bool(d["undetermined"]) for d in members) / len(members)) < 1e-6
    assert {(f["standard"], f["clause"]): f["count"] for f in rep["top_findings"]} == dict(found)
    cites = {(f["standard"], f["clause"]): f["cite"] for d in ds for f in d["findings"]}
    assert all(f["cite"] == cites[(f["standard"], f["clause"])] and f["cite"] for f in rep["top_findings"])
    assert [f["count"] for f in rep["top_findings"]] == sorted((f["count"] for f in rep["top_findings"]), reverse=True)


@pytest.mark.parametrize("lang, heading, red", [("en", "Registry report", "red"), ("zh", "企业台账分析报告", "红")])
def test_markdown_and_html_show_the_numbers_in_the_language(graded, lang, heading, red):
    rep = json.loads(run("report", graded, "--format", "json").stdout)
    md = run("report", graded, "--format", "markdown", "--lang", lang).stdout.decode("utf-8")
    page = run("report", graded, "--format", "html", "--lang", lang).stdout.decode("utf-8")
    assert heading in md and heading in page
    n_red = rep["level"]["counts"]["red"]
    assert f"| {red} | {n_red} | {100 * n_red / rep['entities']:.1f}% |" in md
    assert page.count("<svg") >= 2 and 'id="chart-levels"' in page
    top = rep["top_findings"][0]
    assert top["cite"] in md and top["cite"] in page


def _pages(tmp_path, graded, example_facts):
    paths = [os.path.join(ROOT, "examples", "facts", n) for n, _ in example_facts]
    out = {}
    for lang in ("en", "zh"):
        out[f"evaluate-{lang}"] = run("evaluate", *paths, "--as-of", DAY, "--format", "html", "--lang", lang).stdout
        for by in ("grid", "sector", "scale"):
            out[f"report-{by}-{lang}"] = run("report", graded, "--format", "html", "--by", by, "--lang", lang).stdout
    return out


def test_html_pages_name_no_url_and_fetch_nothing(tmp_path, graded, example_facts):
    """Self-contained: no http(s) URL anywhere in the page (inline SVG needs
    no xmlns in HTML), no src/href/url() but fragments and data: URIs."""
    for name, page in _pages(tmp_path, graded, example_facts).items():
        assert page.lstrip().lower().startswith(b"<!doctype html>"), name
        assert not URL.search(page), (name, URL.search(page).group(0), page[max(0, URL.search(page).start() - 80):][:200])
        assert not EXTERNAL.search(page), (name, EXTERNAL.search(page).group(0))
        assert b"<script" not in page.lower() and b"<link" not in page.lower(), name


def _mess(graded, tmp_path):
    good = [x for x in graded.read_bytes().splitlines() if x.strip()][:3]
    d = json.loads(good[0])
    shapes = [
        {"line": 9, "error": {"code": "E-JSON", "message": "x", "fact": None}},
        {"a": 1}, None, [1], "s", 3,
        {"level": 5, "findings": "x"},
        {"level": "red", "findings": [1, {"standard": 3}], "entity": [], "outputs": 3, "undetermined": 7},
        {**d, "findings": [{"standard": ["a"], "clause": {"b": 1}}]},
        {**d, "entity": "G1"},
        {**d, "outputs": []},
        {**d, "findings": {"standard": "x"}},
        {**d, "major_hazard": "yes"},
        {**d, "tier": ["full"]},
        {**d, "findings": [{**d["findings"][0], "title": "not a mapping"}] if d["findings"] else "x"},
    ]
    bad = [json.dumps(s).encode() for s in shapes] + [b"{bad", b"\xff\xfe", b"[" * 50000]
    path = tmp_path / "mess.jsonl"
    path.write_bytes(b"\n".join(good[:1] + bad[:8] + good[1:2] + bad[8:] + good[2:]) + b"\n\n")
    return path, len(bad)


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_lines_that_only_look_like_decisions_are_skipped_not_a_crash(graded, tmp_path, fmt):
    path, n_bad = _mess(graded, tmp_path)
    p = run("report", path, "--format", fmt)
    assert p.stderr.decode().startswith(f"{path}: warning: {n_bad} line(s) were not decisions"), p.stderr
    if fmt == "json":
        rep = json.loads(p.stdout)
        assert rep["entities"] == 3 and rep["bad_lines"] == n_bad


@pytest.mark.parametrize("content, code", [(b"", 0), (b"\n  \n", 0), (b"kind: ruleset\nid: x\n", 2),
                                           (bytes(range(256)) * 50, 2),
                                           (b'{"line": 1, "error": {"code": "E-JSON", "message": "x", "fact": null}}\n', 2),
                                           (b'{"entity.employees": 3}\n', 2)])
@pytest.mark.parametrize("fmt", ["json", "html", "markdown"])
def test_bad_input_files(tmp_path, content, code, fmt):
    f = tmp_path / "in.jsonl"
    f.write_bytes(content)
    p = run("report", f, "--format", fmt, ok=False)
    assert p.returncode == code, p.stderr
    if code:
        assert p.stdout == b"" and p.stderr.decode().startswith(f"{f}: error: "), p.stderr
    elif fmt == "json":
        assert json.loads(p.stdout)["entities"] == 0


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_hostile_text_renders_as_text_in_chromium(graded, tmp_path, example_facts):
    """Grid names, levels and citations holding markup are shown, not run:
    the pages load in headless chromium with no error and no request."""
    sync_api = pytest.importorskip("playwright.sync_api")
    d = json.loads([x for x in graded.read_bytes().splitlines() if x.strip()][0])
    evil = "<script>document.title='pwned'</script><img src=http://127.0.0.1:9/x.png>"
    rows = [{**d, "entity": {**d.get("entity", {}), "grid": evil}},
            {**d, "findings": [{"standard": "s", "clause": "c", "cite": evil, "severity": "major", "title": {"en": evil}}]}]
    reg = tmp_path / "evil.jsonl"
    reg.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    pages = {"report": tmp_path / "report.html", "evaluate": tmp_path / "evaluate.html"}
    pages["report"].write_bytes(run("report", reg, "--format", "html", "--by", "grid").stdout)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"entity": {"name": evil, "grid": evil, "sector": "catering"},
                                 "gas": {"fuel_used": True, "alarm": {"installed": True, "working": False}}}),
                     encoding="utf-8")
    pages["evaluate"].write_bytes(run("evaluate", facts, "--format", "html", "--as-of", DAY).stdout)
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                    headless=True, args=args)
        try:
            for name, path in pages.items():
                page = ctx.new_page()
                errors, requests = [], []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.goto("file://" + str(path), wait_until="load")
                assert errors == [] and requests == ["file://" + str(path)], (name, errors, requests)
                assert page.title() != "pwned"
                assert page.locator("script").count() == 0 and page.locator("img").count() == 0
                assert evil in page.locator("body").inner_text(), name
                assert page.locator("svg").count() >= 1
        finally:
            ctx.close()


def test_control_characters_in_facts_do_not_reach_the_html(tmp_path, graded):
    """A NUL or an escape in an entity's name is not HTML text (a parse
    error; U+0000 is dropped): the page shows U+FFFD in its place."""
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps({"entity.id": "E\u0000\u001b[31m1", "entity.name": "a\u0085b\u007f", "entity.sector": "office"})
                     + "\n", encoding="utf-8")
    page = run("evaluate", facts, "--format", "html", "--as-of", DAY).stdout
    d = json.loads([x for x in graded.read_bytes().splitlines() if x.strip()][0])
    reg = tmp_path / "reg.jsonl"
    reg.write_text(json.dumps({**d, "entity": {"grid": "G\u0000\u0001"}}) + "\n", encoding="utf-8")
    report = run("report", reg, "--format", "html").stdout
    for p in (page, report):
        text = p.decode("utf-8")
        assert not re.search("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]", text)
        assert "\ufffd" in text
    assert "E\ufffd\ufffd[31m1" in page.decode("utf-8")


def test_the_level_range_shows_only_when_clauses_are_undetermined(tmp_path):
    """docs/reports.md: the badge "and the level range when clauses are
    undetermined"."""
    import safetyrules

    rules = safetyrules.load()
    facts = {"entity.sector": "office", "entity.nbs_sector": "other", "entity.employees": 3, "entity.revenue": 100}
    for _ in range(10):  # answer every missing fact until nothing is undetermined
        d = rules.evaluate(facts, as_of=DAY).to_dict()
        if not d["undetermined"]:
            break
        for m in d["missing"]:
            spec = rules.vocabulary.get(m.split("[")[0])
            if spec is not None and "[" not in m:
                facts[m] = {"bool": False, "list": [], "integer": 0, "number": 0}.get(
                    spec.type, (spec.values or ("x",))[-1])
    assert not d["undetermined"]
    settled = tmp_path / "settled.json"
    settled.write_text(json.dumps(facts), encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")
    for path in (settled, empty):
        facts = json.loads(path.read_text(encoding="utf-8"))
        d = rules.evaluate(facts, as_of=DAY).to_dict()
        page = run("evaluate", path, "--format", "html", "--as-of", DAY).stdout.decode("utf-8")
        assert ("Level range" in page) == bool(d["undetermined"]), (path.name, len(d["undetermined"]))
    assert "Level range" in run("evaluate", empty, "--format", "html", "--as-of", DAY).stdout.decode("utf-8")


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_lang_chooses_labels_and_titles_of_evaluate(fmt):
    path = os.path.join(ROOT, "examples", "facts", "steel-plant.yaml")
    zh = run("evaluate", path, "--format", fmt, "--lang", "zh", "--as-of", DAY).stdout.decode("utf-8")
    en = run("evaluate", path, "--format", fmt, "--lang", "en", "--as-of", DAY).stdout.decode("utf-8")
    assert "风险等级" in zh and "风险等级" not in en
    assert "level" in en.lower() and "全面评价" in zh and "全面评价" not in en
