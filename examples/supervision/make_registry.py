"""Write a synthetic, Shenzhen-shaped graded registry (supervision.md GR-SZ-1).

The level mix is the published one: red 3,556, orange 21,101, yellow 68,921,
blue 15,607, unclassified 1,644 over 885 grids (110,829 entities); the 325
entities of the published 111,154 total that the levels do not explain are
written as ``status: closed``.  Entities are spread evenly over the grids.
Everything else (sector, scale, flags, findings) is synthetic and derived
from SHA-256 of the entity id, so the file is the same on every run and
platform.  It is NOT data about real enterprises.

    python examples/supervision/make_registry.py OUT.jsonl            # full size, 111,154 lines
    python examples/supervision/make_registry.py OUT.jsonl --scale 100 # 1/100 of every count (9 grids)
    python examples/supervision/make_registry.py OUT.jsonl --follow-up  # the same registry inspected again
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

LEVELS = (("red", 3556), ("orange", 21101), ("yellow", 68921), ("blue", 15607), (None, 1644))
UNEXPLAINED = 325
GRIDS = 885
FREQ = {"red": "monthly", "orange": "quarterly", "yellow": "semiannual", "blue": "annual"}
SECTORS = ("machinery", "light_industry", "textiles", "trade", "retail", "catering", "building_materials", "metallurgy", "hazardous_chemicals")
SCALES = ("micro", "micro", "small", "small", "small", "medium", "large")
# synthetic items: one national clause and one local (municipal) item, so reports can show
# the share of findings by layer (Shenzhen reports 55.41 % from local items, GR-SZ-1 SEED)
NATIONAL = {"standard": "cn.npc.safety-production-law", "version": "2021", "clause": "art36.4", "cite": "第三十六条第四款 / Art. 36 ¶4",
            "severity": "general", "title": {"zh": "餐饮等行业的生产经营单位使用燃气未安装可燃气体报警装置", "en": "Catering business using gas without a gas alarm"},
            "provenance": {"layer": "national", "authority": "全国人民代表大会常务委员会", "doc_no": "主席令第八十八号", "kind": "enforcement"}}
LOCAL = {"standard": "example.sz.grid-items", "version": "2022", "clause": "item7", "cite": "example item 7 (synthetic)",
         "severity": "general", "title": {"zh": "消防通道堆放杂物（示例地方项目）", "en": "Goods stored in the fire lane (synthetic local item)"},
         "provenance": {"layer": "municipal", "authority": "example municipal bureau", "doc_no": "example〔2022〕1号", "kind": "enforcement"}}
MAJOR = {"standard": "cn.mem.order10.dust", "version": "2023", "clause": "art11.3", "cite": "第十一条（三）/ Art. 11 (3)", "severity": "major",
         "title": {"zh": "干式除尘系统未采取泄爆、惰化、抑爆等控爆措施", "en": "Dry dust collection without explosion control"},
         "provenance": {"layer": "national", "authority": "应急管理部", "doc_no": "应急管理部令第10号", "kind": "enforcement"}}


def h(*parts: str) -> int:
    return int(hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12], 16)


def scaled(n: int, scale: int) -> int:
    return (n + scale // 2) // scale


def lines(scale: int = 1, follow_up: bool = False):
    grids = max(1, scaled(GRIDS, scale))
    seq = []
    for level, n in LEVELS:
        seq += [level] * scaled(n, scale)
    k = 0
    for i, level in enumerate(seq):
        eid = f"SZ{i + 1:06d}"
        grid = f"G{i % grids + 1:03d}"
        # high-risk sectors only among red and orange entities, as a graded registry would show them
        sector = SECTORS[h(eid, "sector") % (len(SECTORS) if level in ("red", "orange") else len(SECTORS) - 2)]
        scale_ = SCALES[h(eid, "scale") % len(SCALES)] if level in ("red", "orange") else SCALES[h(eid, "scale") % (len(SCALES) - 1)]
        high = sector in ("metallurgy", "hazardous_chemicals")
        findings = []
        r = h(eid, "finding", "2025") % 10
        if level in ("red", "orange") and r < 6:
            findings.append(dict(LOCAL) if r % 2 else dict(NATIONAL))
        if level == "red" and r == 0:
            findings.append(dict(MAJOR))
        undetermined = []
        if follow_up:
            r2 = h(eid, "finding", "2026") % 10
            if r2 < 4:
                findings = []  # rectified
            elif r2 == 4 and findings:
                undetermined = [{"standard": f["standard"], "clause": f["clause"], "severity": f["severity"], "missing": ["gas.alarm.installed"]} for f in findings]
                findings = []
            elif r2 == 5 and level == "yellow":
                findings = [dict(NATIONAL)]  # new
        line = {
            "entity": {"id": eid, "name": f"示例企业 {eid}", "grid": grid, "status": "active", "sector": sector},
            "outputs": {"entity.scale": scale_, "entity.high_risk_sector": high, "entity.major_hazard_source": False},
            "level": level, "inspection": FREQ.get(level), "tier": None,
            "major_hazard": any(f["severity"] == "major" for f in findings),
            "findings": findings, "undetermined": undetermined,
            "ruleset": {"id": "cn.default", "digest": "sha256:synthetic-example"},
            "as_of": "2025-09-01" if follow_up else "2025-01-15",
        }
        k += 1
        yield line
    for j in range(scaled(UNEXPLAINED, scale)):
        eid = f"SZX{j + 1:05d}"
        yield {"entity": {"id": eid, "name": f"示例企业 {eid}", "grid": f"G{j % grids + 1:03d}", "status": "closed", "sector": "trade"},
               "outputs": {"entity.scale": "micro", "entity.high_risk_sector": False, "entity.major_hazard_source": False},
               "level": None, "inspection": None, "tier": None, "major_hazard": None, "findings": [], "undetermined": [],
               "ruleset": {"id": "cn.default", "digest": "sha256:synthetic-example"}, "as_of": "2025-01-15"}


def write(path: str, scale: int = 1, follow_up: bool = False) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for obj in lines(scale, follow_up):
            n += 1
            obj["line"] = n
            fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--scale", type=int, default=1, help="divide every published count by this (default 1: full size)")
    p.add_argument("--follow-up", action="store_true", help="the registry as a later inspection round finds it")
    a = p.parse_args(argv)
    n = write(a.out, a.scale, a.follow_up)
    print(f"{a.out}: {n} entities", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
