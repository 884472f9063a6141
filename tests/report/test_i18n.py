"""The message catalogue: compiled and shipped, used by every text output."""

from __future__ import annotations

import gettext
import os
import subprocess
import sys
import zipfile

import pytest

from safetyrules.report.i18n import DOMAIN, LOCALE_DIR, compile_catalogues, translator
from safetyrules.report.text import format_markdown, format_text

from report_fixtures import DAY, ROOT


def test_compiled_catalogue_matches_its_source(tmp_path):
    pytest.importorskip("babel")
    compile_catalogues(out_dir=str(tmp_path))
    fresh = os.path.join(tmp_path, "zh", "LC_MESSAGES", DOMAIN + ".mo")
    shipped = os.path.join(LOCALE_DIR, "zh", "LC_MESSAGES", DOMAIN + ".mo")
    with open(fresh, "rb") as a, open(shipped, "rb") as b:
        fresh_msgs, shipped_msgs = gettext.GNUTranslations(a)._catalog, gettext.GNUTranslations(b)._catalog
    fresh_msgs.pop("", None), shipped_msgs.pop("", None)  # the header carries a timestamp
    assert len(fresh_msgs) > 100
    assert fresh_msgs == shipped_msgs, "run compile_catalogues()"


def test_translator_words_and_titles():
    zh, en = translator("zh"), translator("en")
    assert zh("Findings") == "隐患" and en("Findings") == "Findings"
    assert [zh.value("level", v) for v in ("red", "orange", "yellow", "blue")] == ["红", "橙", "黄", "蓝"]
    assert zh.value("tier", "full") == "全面评价" and en.value("tier", "full") == "full"
    assert zh.value("level", None) == "未知" and zh.value("bool", True) == "是"
    title = {"zh": "标题", "en": "Title"}
    assert zh.title(title) == "标题" and en.title(title) == "Title"
    assert zh.title({"en": "Only English"}) == "Only English"  # falls back to the other language
    assert en.title({"zh": "仅中文"}) == "仅中文"
    assert translator(None).title(title) == "Title / 标题"
    with pytest.raises(ValueError):
        translator("fr")


def test_text_and_markdown_in_both_languages(rules, example_facts):
    facts = dict(example_facts)["restaurant-lpg.yaml"]
    d = rules.evaluate(facts, as_of=DAY)
    zh = format_text(d, lang="zh")
    assert zh.startswith("风险等级：黄   安全评价：自我评估   检查频次：每半年   重大事故隐患：否")
    assert "餐饮等行业的生产经营单位使用燃气" in zh and "Catering business" not in zh
    en = format_text(d, lang="en")
    assert en.startswith("level: yellow   tier: self_assessment")
    assert "Catering business using fuel gas" in en and "餐饮等行业" not in en
    md = format_markdown(d, lang="zh")
    assert "| 风险等级 | 安全评价 | 检查频次 | 重大事故隐患 | 判定日期 |" in md and "| 黄 | 自我评估 | 每半年 | 否 |" in md
    # no language: the labels and bilingual titles of earlier versions
    assert "Catering business using fuel gas without a combustible-gas alarm, or with the alarm not kept in normal use / 餐饮" in format_text(d)


def test_cli_lang(example_facts):
    path = os.path.join(ROOT, "examples", "facts", "office.yaml")
    out = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", path, "--as-of", DAY, "--lang", "zh"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("风险等级：蓝")


def test_wheel_ships_catalogue_and_templates(tmp_path):
    """A non-editable install carries the catalogue (.po and .mo) and the templates."""
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), ROOT],
        capture_output=True, text=True,
    )
    if r.returncode != 0:
        pytest.skip("cannot build a wheel here: " + r.stderr[-300:])
    (wheel,) = [p for p in os.listdir(tmp_path) if p.endswith(".whl")]
    names = set(zipfile.ZipFile(os.path.join(tmp_path, wheel)).namelist())
    for n in ("safetyrules/report/locale/zh/LC_MESSAGES/safetyrules.mo",
              "safetyrules/report/locale/zh/LC_MESSAGES/safetyrules.po",
              "safetyrules/report/templates/report.html.j2",
              "safetyrules/report/templates/decision.html.j2",
              "safetyrules/report/templates/base.html.j2",
              "safetyrules/report/templates/charts.html.j2"):
        assert n in names, n
