"""A fourth black-box audit of SPEC §11's reports, through the command
line: the ``--by scale`` breakdown lists the sizes in their order (SPEC §7:
large, medium, small, micro; unknown last), in JSON, Markdown and HTML
alike — it listed them alphabetically by their English names, so that 微型
(micro) came before 小型 (small) in a Chinese report."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCALES = ["large", "medium", "small", "micro"]
ZH = ["大型", "中型", "小型", "微型", "未知"]


def run(*args):
    p = subprocess.run([sys.executable, "-m", "safetyrules", *map(str, args)], capture_output=True)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    return p.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("reg4") / "decisions.jsonl"
    lines = []
    for i, scale in enumerate(["micro", "small", None, "medium", "large", "small", "micro", "other_size"]):
        lines.append({"level": "red", "tier": "full", "inspection": "monthly", "major_hazard": False,
                      "undetermined": [], "findings": [], "outputs": {"entity.scale": scale},
                      "entity": {"id": f"E{i}", "grid": "G", "sector": "retail"}})
    path.write_text("".join(json.dumps(d) + "\n" for d in lines), encoding="utf-8")
    return path


def test_json_groups_by_scale_are_in_the_scale_order(registry):
    groups = json.loads(run("report", registry, "--by", "scale", "--format", "json"))["groups"]
    assert [g["key"] for g in groups] == SCALES + ["other_size", "unknown"]


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_pages_list_the_scales_in_order_in_chinese(registry, fmt):
    text = run("report", registry, "--by", "scale", "--format", fmt, "--lang", "zh")
    if fmt == "html":  # the breakdown table, after its heading (the chart ranks groups by size)
        text = text[text.index("按规模"):]
        text = text[text.index("<table"):]
    else:
        text = text[text.index("## 按规模"):]
    where = [text.index(label) for label in ZH]
    assert where == sorted(where), dict(zip(ZH, where))


def test_grids_stay_in_text_order(registry, tmp_path):
    groups = json.loads(run("report", registry, "--by", "grid", "--format", "json"))["groups"]
    assert [g["key"] for g in groups] == ["G"]
