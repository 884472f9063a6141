"""The bundled standards against the digest's VERIFIED facts, table by table.

Each table below is written from /work/shared/reference/standards-digest.md
(and, for dates and document numbers it does not give, from part (b)/(c) of
standards-audit.md), not from the rule files: a wrong threshold, clause
number, date, document number or table value in a rule file makes a row
fail.  Clause rows evaluate the clause's own condition (``when`` and not
``unless``) on facts either side of the digest's threshold; table rows go
through ``Rules.evaluate`` as a user would.
"""

import datetime
import re

import pytest

import safetyrules
from safetyrules import dsl
from safetyrules.authoring.refdocs import bundled_rule_sets
from safetyrules.authoring.testing import example_env

D = datetime.date
DAY = D(2024, 6, 1)


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


@pytest.fixture(scope="module")
def plans():
    import os

    root = os.path.join(os.path.dirname(__file__), "..", "..", "standards")
    return [safetyrules.load(p) for p in bundled_rule_sets(root)]


def _standard(rules, sid):
    return rules.plan.standard(sid)


def _clause(rules, sid, cid):
    (c,) = [c for c in _standard(rules, sid).clauses if c.id == cid]
    return c


def own(rules, sid, cid, facts):
    """The clause's own condition (when and not unless) on ``facts``."""
    c = _clause(rules, sid, cid)
    return dsl.evaluate_ast(c.own_condition, example_env(rules, facts))


# -- dates, document numbers and titles ------------------------------------------
# (id, document number, in force from, until, words of the zh title), as the
# digest or the audit verifies them.
DOCUMENTS = [
    # digest §1.0 (Art. 15): effective 2023-05-15
    *[(f"cn.mem.order10.{p}", "应急管理部令第10号", D(2023, 5, 15), None, "工贸企业重大事故隐患判定标准")
      for p in ("general", "metallurgy", "nonferrous", "building-materials", "machinery", "dust", "ammonia", "limited-space")],
    # digest §2, audit b B3: notice dated 2017-11-13
    ("cn.saws.hazchem.2017", "安监总管三〔2017〕121号", D(2017, 11, 13), None, "化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）"),
    # digest §3 / audit b B6: replaced by GB 35181-2025 on 2025-11-01 (start date: RECALL, checked by test_standards_claims)
    ("cn.gb35181.2017", "GB 35181-2017", None, D(2025, 11, 1), "重大火灾隐患判定方法"),
    # audit b B5: the 2021 amendment in force 2021-09-01
    ("cn.npc.safety-production-law", "2021年6月10日第三次修正", D(2021, 9, 1), None, "安全生产法"),
    # audit b B14: Order No. 4 in force 2021-01-01 (the 2026 end is PARTIAL, checked by test_standards_claims)
    ("cn.mem.coal-mines.2020", "应急管理部令第4号", D(2021, 1, 1), D(2026, 7, 1), "煤矿重大事故隐患判定标准"),
    # audit c: 矿安〔2022〕88号 in force 2022-09-01
    ("cn.nmsa.metal-mines.underground.2022", "矿安〔2022〕88号", D(2022, 9, 1), None, "金属非金属矿山重大事故隐患判定标准"),
    ("cn.nmsa.metal-mines.open-pit.2022", "矿安〔2022〕88号", D(2022, 9, 1), None, "金属非金属矿山重大事故隐患判定标准"),
    # audit c: 工信部安全〔2024〕234号 dated 2024-12-03
    ("cn.miit.civil-explosives.2024", "工信部安全〔2024〕234号", D(2024, 12, 3), None, "民用爆炸物品行业重大事故隐患判定标准"),
    # audit c: 交办海〔2024〕67号 dated 2024-12-15
    ("cn.mot.inland-vessels.2024", "交办海〔2024〕67号", D(2024, 12, 15), None, "内河运输船舶重大事故隐患判定标准"),
    # audit c: 农渔发〔2022〕11号, 2022-04-02, in force the same day
    ("cn.moa.fishing-vessels.2022", "农渔发〔2022〕11号", D(2022, 4, 2), None, "渔业船舶重大事故隐患判定标准（试行）"),
    # audit c: 国能综通安全〔2022〕123号 dated 2022-12-29
    ("cn.nea.power.2022", "国能综通安全〔2022〕123号", D(2022, 12, 29), None, "重大电力安全隐患判定标准（试行）"),
    # audit c: in force 2023-10-01 (document number not retrieved)
    ("cn.mot.road-transport.2023", "交通运输部", D(2023, 10, 1), None, "道路运输企业和城市客运企业安全生产重大事故隐患判定标准（试行）"),
    # digest §7.1: 建城规〔2023〕4号 (the start date is a project choice, checked by test_standards_claims)
    ("cn.mohurd.urban-gas.2023", "建城规〔2023〕4号", None, None, "城镇燃气经营安全重大隐患判定标准"),
]

TABLE_DOCUMENTS = [
    ("cn.nbs.enterprise-size.2017", "国统字〔2017〕213号", "统计上大中小微型企业划分办法"),
    ("cn.gb18218.identification.2018", "GB 18218-2018", "危险化学品重大危险源辨识"),
    ("cn.gb18218.grading.2018", "GB 18218-2018", "重大危险源分级"),
]


@pytest.mark.parametrize("sid, document, start, until, title", DOCUMENTS, ids=[r[0] for r in DOCUMENTS])
def test_document_dates_and_title(rules, sid, document, start, until, title):
    s = _standard(rules, sid)
    assert document in s.document
    if start is not None:
        assert s.effective_from == start
    assert s.effective_until == until
    assert title in s.title["zh"]


@pytest.mark.parametrize("tid, document, title", TABLE_DOCUMENTS, ids=[r[0] for r in TABLE_DOCUMENTS])
def test_table_document_and_title(rules, tid, document, title):
    (t,) = [t for t in rules.plan.tables if t.id == tid]
    assert t.document == document and title in t.title["zh"]


# -- which items are encoded, under which citation ---------------------------------
NUM = "〇一二三四五六七八九十"


def zh(n):
    return NUM[n] if n <= 10 else "十" + NUM[n - 10] if n < 20 else "二十"


# MEM Order No. 10: the items the digest has text for (VERIFIED or PARTIAL and
# encodable), by article.  Arts. 8-10 (texts NOT FOUND), Art. 4 (6)+, Art. 7 (3)
# and (5)+ must not be there.
ORDER10 = {
    "general": {3: [1, 2, 3]},
    "metallurgy": {4: [1, 2, 3, 4, 5]},
    "building-materials": {6: [1, 2, 3, 4, 5, 6, 7, 8]},
    "machinery": {7: [1, 2, 4]},
    "dust": {11: list(range(1, 11))},
    "ammonia": {12: [1, 2]},
    "limited-space": {13: [1, 2]},
}


@pytest.mark.parametrize("part", sorted(ORDER10))
def test_order10_items_and_citations(rules, part):
    s = _standard(rules, f"cn.mem.order10.{part}")
    want = {f"art{a}.{i}": f"第{zh(a)}条第（{zh(i)}）项" for a, items in ORDER10[part].items() for i in items}
    assert {c.id for c in s.clauses} == set(want)
    for c in s.clauses:
        assert c.cite.startswith(want[c.id]), (c.id, c.cite)
        assert c.severity == "major", c.id
        # Art. 14 is cited with the items that read *_working facts, and only with them
        if any(f.endswith("_working") for f in c.reads):
            assert "第十四条" in c.cite, c.id


def test_hazchem_2017_twenty_items(rules):
    s = _standard(rules, "cn.saws.hazchem.2017")
    assert [c.id for c in s.clauses] == [f"item{i}" for i in range(1, 21)]
    for i, c in enumerate(s.clauses, 1):
        assert c.cite.startswith(f"第{zh(i)}项"), c.cite
        assert c.severity == "major"


def test_gb35181_2017_direct_elements_and_counting_rule(rules):
    s = _standard(rules, "cn.gb35181.2017")
    direct = [f"6.{i}" for i in range(1, 11)]
    assert [c.id for c in s.clauses] == direct + ["5.3.3-crowded"]
    for c in s.clauses:
        assert c.cite.startswith(c.id.split("-")[0]) and c.severity == "major"
        assert str(c.unless) and {"fire.expert_review_with_measures", "fire.out_of_use"} <= set(c.reads)


def test_spl_articles_are_general_breaches(rules):
    s = _standard(rules, "cn.npc.safety-production-law")
    cites = {c.id: c.cite for c in s.clauses}
    assert set(cites) == {"art24.1", "art24.2", "art31", "art32", "art33", "art34.1", "art34.2", "art36.4", "art40"}
    art = {"art24.1": "第二十四条第一款", "art24.2": "第二十四条第二款", "art31": "第三十一条", "art32": "第三十二条",
           "art33": "第三十三条", "art34.1": "第三十四条第一款", "art34.2": "第三十四条第二款",
           "art36.4": "第三十六条第四款", "art40": "第四十条"}
    for cid, cite in cites.items():
        assert cite.startswith(art[cid]), cid
    assert {c.severity for c in s.clauses} == {"general"}


# -- thresholds and enumerations, either side of the digest's value ----------------
# (standard, clause, digest item: what it says, facts, expected own condition)
SITE = {"fire.expert_review_with_measures": False, "fire.out_of_use": False}
FREEZER = {"ammonia.quick_freezer.present": True}


def _crowded(**extra):
    base = {**SITE, "fire.crowded_place": True, "fire.refuge_noncompliant": True, "fire.stair_type_noncompliant": True,
            "fire.exits_short_or_blocked": False, "fire.independent_exit_missing": False, "fire.venue": "shop",
            "fire.travel_distance": 10, "fire.travel_distance_allowed": 30, "fire.evacuation_signs.missing": False,
            "fire.evacuation_signs.damaged_share": 0, "fire.high_rise_or_underground": False,
            "fire.smoke_control_failed": False}
    base.update(extra)
    return base


THRESHOLDS = [
    # GM2023-Art12-(2): not in a separate room OR more than 9 people
    ("cn.mem.order10.ammonia", "art12.2", "9 workers, separate room", {**FREEZER, "ammonia.quick_freezer.separate_room": True, "ammonia.quick_freezer.room_workers": 9}, False),
    ("cn.mem.order10.ammonia", "art12.2", "10 workers", {**FREEZER, "ammonia.quick_freezer.separate_room": True, "ammonia.quick_freezer.room_workers": 10}, True),
    ("cn.mem.order10.ammonia", "art12.2", "shared room, 1 worker", {**FREEZER, "ammonia.quick_freezer.separate_room": False, "ammonia.quick_freezer.room_workers": 1}, True),
    # GM2023-Art12-(1): packaging, cutting or finishing places only
    *[("cn.mem.order10.ammonia", "art12.1", f"direct evaporation in {p}", {"ammonia.ac_zones": [{"purpose": p, "direct_evaporation": True}]}, p != "other")
      for p in ("packaging", "cutting", "finishing", "other")],
    # GM2023-Art13-(1): not identified/ledgered AND no warning signs
    ("cn.mem.order10.limited-space", "art13.1", "ledger missing, signs posted", {"limited_space.identified_ledger": False, "limited_space.warning_signs": True}, False),
    ("cn.mem.order10.limited-space", "art13.1", "both missing", {"limited_space.identified_ledger": False, "limited_space.warning_signs": False}, True),
    # GM2023-Art4-(1): any of the 6 rooms or a ladle repair station in the lifting bay
    *[("cn.mem.order10.metallurgy", "art4.1", f"{k} in the lifting bay", {"metallurgy.rooms": [{"kind": k, "in_lifting_bay": True}]}, True)
      for k in ("meeting", "activity", "rest", "control", "shift_handover", "changing_or_bath", "ladle_repair_station")],
    # GM2023-Art4-(2): pits anywhere, the four other areas only in the splash range
    *[("cn.mem.order10.metallurgy", "art4.2", f"water in {k} outside the splash range",
       {"metallurgy.in_production": True, "metallurgy.areas": [{"kind": k, "standing_water": True, "in_splash_range": False}]},
       k in ("accident_pit", "slag_pit_under_furnace"))
      for k in ("accident_pit", "slag_pit_under_furnace", "furnace_front_platform", "furnace_base", "lifting_route", "ground_transport_route")],
    # GM2023-Art7-(1): 5 rooms; 操作室 is not among them
    *[("cn.mem.order10.machinery", "art7.1", f"{k} in the pouring bay", {"machinery.rooms": [{"kind": k, "in_lifting_or_pouring_bay": True}]},
       k in ("meeting", "activity", "rest", "changing", "shift_handover"))
      for k in ("meeting", "activity", "rest", "changing", "shift_handover", "control", "other")],
    # GM2023-Art6-(5): hot producer gas kilns are excepted
    ("cn.mem.order10.building-materials", "art6.5", "hot producer gas, no alarm", {"building_materials.kilns": [{"premixed": True, "hot_producer_gas": True, "main_pressure_alarm": False}]}, False),
    ("cn.mem.order10.building-materials", "art6.5", "premixed, no alarm", {"building_materials.kilns": [{"premixed": True, "hot_producer_gas": False, "main_pressure_alarm": False}]}, True),
    # GM2023-Art11-(2): more than one dust class, building or fire compartment
    ("cn.mem.order10.dust", "art11.2", "one class, one building", {"dust.systems": [{"dust_classes": 1, "serves_combustible_gas": False, "buildings": 1, "fire_compartments": 1, "interconnected": False}]}, False),
    ("cn.mem.order10.dust", "art11.2", "two dust classes", {"dust.systems": [{"dust_classes": 2, "serves_combustible_gas": False, "buildings": 1, "fire_compartments": 1, "interconnected": False}]}, True),
    ("cn.mem.order10.dust", "art11.2", "two fire compartments", {"dust.systems": [{"dust_classes": 1, "serves_combustible_gas": False, "buildings": 1, "fire_compartments": 2, "interconnected": False}]}, True),
    # GM2023-Art11-(4): metal dust under positive pressure whatever the spark detection
    ("cn.mem.order10.dust", "art11.4", "metal dust, positive pressure, spark detection", {"dust.systems": [{"positive_pressure": True, "metal_dust": True, "spark_detection": True, "spark_detection_working": True}]}, True),
    ("cn.mem.order10.dust", "art11.4", "other dust, positive pressure, spark detection", {"dust.systems": [{"positive_pressure": True, "metal_dust": False, "spark_detection": True, "spark_detection_working": True}]}, False),
    # HC2017-5: level-1 and level-2 tank farms only
    *[("cn.saws.hazchem.2017", "item5", f"{lv} tank farm without shut-off", {"hazchem.tank_farms": [{"mhs_level": lv, "emergency_shutoff": False, "toxic_or_liquefied": False}]}, lv in ("level1", "level2"))
      for lv in ("level1", "level2", "level3", "level4", "none")],
    # HC2017-10: not formally designed AND not diagnosed
    ("cn.saws.hazchem.2017", "item10", "designed, not diagnosed", {"hazchem.facilities": [{"kind": "production", "formally_designed": True, "design_diagnosis": False}]}, False),
    ("cn.saws.hazchem.2017", "item10", "neither", {"hazchem.facilities": [{"kind": "production", "formally_designed": False, "design_diagnosis": False}]}, True),
    # F2017-6.2: < 75 % of the code distance
    ("cn.gb35181.2017", "6.2", "74.9 % of the distance", {**SITE, "fire.fe_goods.place": True, "fire.fe_goods.same_building_as_crowded_or_residential": False, "fire.fe_goods.separation_distance": 74.9, "fire.fe_goods.separation_distance_required": 100}, True),
    ("cn.gb35181.2017", "6.2", "75 % of the distance", {**SITE, "fire.fe_goods.place": True, "fire.fe_goods.same_building_as_crowded_or_residential": False, "fire.fe_goods.separation_distance": 75, "fire.fe_goods.separation_distance_required": 100}, False),
    # F2017-6.3: class 1 or above (GB 50156)
    *[("cn.gb35181.2017", "6.3", f"station {g}", {**SITE, "fire.fuel_station.present": True, "fire.fuel_station.in_built_up_area": True, "fire.fuel_station.grade": g}, g in ("over_class1", "class1"))
      for g in ("over_class1", "class1", "class2", "class3")],
    # F2017-6.4: 甲 or 乙 class in a basement
    *[("cn.gb35181.2017", "6.4", f"class {k} in a basement", {**SITE, "fire.hazard_places": [{"fire_class": k, "in_basement": True}]}, k in ("jia", "yi"))
      for k in ("jia", "yi", "bing", "ding", "wu")],
    # F2017-6.5: exits short or total width < 80 % (entertainment, shop, underground crowded)
    ("cn.gb35181.2017", "6.5", "width 79.9 %", {**SITE, "fire.venue": "shop", "fire.exits.count": 4, "fire.exits.required": 4, "fire.exits.total_width": 7.99, "fire.exits.required_width": 10}, True),
    ("cn.gb35181.2017", "6.5", "width 80 %", {**SITE, "fire.venue": "shop", "fire.exits.count": 4, "fire.exits.required": 4, "fire.exits.total_width": 8, "fire.exits.required_width": 10}, False),
    ("cn.gb35181.2017", "6.5", "one exit short", {**SITE, "fire.venue": "public_entertainment", "fire.exits.count": 3, "fire.exits.required": 4, "fire.exits.total_width": 10, "fire.exits.required_width": 10}, True),
    ("cn.gb35181.2017", "6.5", "hotel is not a 6.5 venue", {**SITE, "fire.venue": "hotel", "fire.exits.count": 1, "fire.exits.required": 4, "fire.exits.total_width": 1, "fire.exits.required_width": 10}, False),
    # F2017-6.6: hotel, entertainment, shop, underground crowded place
    *[("cn.gb35181.2017", "6.6", f"{v} without a required sprinkler system",
       {**SITE, "fire.venue": v, "fire.sprinkler.required": True, "fire.sprinkler.installed": False, "fire.alarm_system.required": False},
       v in ("hotel", "public_entertainment", "shop", "underground_crowded"))
      for v in ("hotel", "public_entertainment", "shop", "underground_crowded", "catering", "office", "factory", "other_crowded")],
    # F2017-6.9: nursery/kindergarten children's rooms, elderly activity places
    *[("cn.gb35181.2017", "6.9", f"{v} on a non-compliant floor", {**SITE, "fire.venue": v, "fire.floor_level_compliant": False}, v in ("nursery_kindergarten", "elderly_activity"))
      for v in ("nursery_kindergarten", "elderly_activity", "hotel", "office")],
    # F2017-6.10: core below GB 8624 Class A (A = A1, A2)
    *[("cn.gb35181.2017", "6.10", f"core {k}", {**SITE, "fire.crowded_place": True, "fire.living_quarters.sandwich_panel": True, "fire.living_quarters.core_class": k}, k not in ("A1", "A2"))
      for k in ("A1", "A2", "B1", "B2", "B3")],
    # F2017-5.3.3 a): 3 elements or more ("3条以上（含本数）"); 7.3.5 "> 125 %"; 7.3.6 "> 30 %" / "> 50 %"
    ("cn.gb35181.2017", "5.3.3-crowded", "2 elements", _crowded(), False),
    ("cn.gb35181.2017", "5.3.3-crowded", "3 elements", _crowded(**{"fire.smoke_control_failed": True}), True),
    ("cn.gb35181.2017", "5.3.3-crowded", "travel distance 125 %", _crowded(**{"fire.travel_distance": 37.5}), False),
    ("cn.gb35181.2017", "5.3.3-crowded", "travel distance 125.3 %", _crowded(**{"fire.travel_distance": 37.6}), True),
    ("cn.gb35181.2017", "5.3.3-crowded", "travel distance counts in shops only", _crowded(**{"fire.travel_distance": 60, "fire.venue": "hotel"}), False),
    ("cn.gb35181.2017", "5.3.3-crowded", "high-rise, 30 % signs damaged", _crowded(**{"fire.high_rise_or_underground": True, "fire.evacuation_signs.damaged_share": 30}), False),
    ("cn.gb35181.2017", "5.3.3-crowded", "high-rise, 31 % signs damaged", _crowded(**{"fire.high_rise_or_underground": True, "fire.evacuation_signs.damaged_share": 31}), True),
    ("cn.gb35181.2017", "5.3.3-crowded", "low building, 50 % signs damaged", _crowded(**{"fire.evacuation_signs.damaged_share": 50}), False),
    ("cn.gb35181.2017", "5.3.3-crowded", "low building, 51 % signs damaged", _crowded(**{"fire.evacuation_signs.damaged_share": 51}), True),
    # SPL-24: more than 100 employees -> department or full-time staff
    ("cn.npc.safety-production-law", "art24.1", "100 employees, other sector", {"entity.high_risk_sector": False, "entity.activities": ["light_industry"], "entity.nbs_sector": "industry", "entity.employees": 100, "safety.dedicated_staffing": False}, False),
    ("cn.npc.safety-production-law", "art24.1", "101 employees", {"entity.high_risk_sector": False, "entity.activities": ["light_industry"], "entity.nbs_sector": "industry", "entity.employees": 101, "safety.dedicated_staffing": False}, True),
    ("cn.npc.safety-production-law", "art24.2", "100 employees, no staff at all", {"entity.high_risk_sector": False, "entity.activities": ["light_industry"], "entity.nbs_sector": "industry", "entity.employees": 100, "safety.any_staff": False}, True),
    ("cn.npc.safety-production-law", "art24.1", "construction unit, 10 employees", {"entity.high_risk_sector": False, "entity.activities": ["construction"], "entity.nbs_sector": "construction", "entity.employees": 10, "safety.dedicated_staffing": False}, True),
    # SPL-24 ¶1 names 运输单位 and 危险物品的…经营、储存单位 (SPL-117: 危险物品 = flammable or explosive
    # goods, hazardous chemicals …): a road or inland-water transport unit and a gas operator
    # (storing and selling fuel gas; NBS row industry D45) whatever their head-count (audit a row 108)
    *[("cn.npc.safety-production-law", "art24.1", f"{a}, 8 employees", {"entity.high_risk_sector": False, "entity.activities": [a], "entity.employees": 8, "safety.dedicated_staffing": False}, True)
      for a in ("road_transport", "inland_shipping", "gas_supply")],
    ("cn.npc.safety-production-law", "art24.1", "gas operator, 50 employees, NBS industry", {"entity.high_risk_sector": False, "entity.activities": ["gas_supply"], "entity.nbs_sector": "industry", "entity.employees": 50, "safety.dedicated_staffing": False}, True),
    ("cn.npc.safety-production-law", "art24.2", "gas operator, part-time staff only is Art. 24 ¶1's case", {"entity.high_risk_sector": False, "entity.activities": ["gas_supply"], "entity.nbs_sector": "industry", "entity.employees": 50, "safety.any_staff": False}, False),
    ("cn.npc.safety-production-law", "art24.1", "power plant, 50 employees (not in ¶1's list)", {"entity.high_risk_sector": False, "entity.activities": ["power"], "entity.nbs_sector": "industry", "entity.employees": 50, "safety.dedicated_staffing": False}, False),
    # SPL-32: mining, metal smelting, dangerous goods projects only
    *[("cn.npc.safety-production-law", "art32", f"{k} project without evaluation", {"project.kind": k, "project.safety_evaluation_done": False}, k != "other")
      for k in ("mining", "metal_smelting", "dangerous_goods", "other")],
]


@pytest.mark.parametrize("sid, cid, what, facts, expect", THRESHOLDS, ids=[f"{r[0]}:{r[1]}:{r[2]}" for r in THRESHOLDS])
def test_threshold(rules, sid, cid, what, facts, expect):
    assert own(rules, sid, cid, facts) is expect


# -- GB 18218-2018 tables ---------------------------------------------------------
# digest §6.2 Table 1 (selected) and Table 2 critical quantities Q (t)
TABLE_Q = {
    "氨": 10, "氯": 5, "液化石油气": 50, "汽油": 200, "甲醇": 500, "甲烷": 50, "天然气": 50, "氢": 5, "氧": 200,
    "乙炔": 1, "乙烯": 50, "苯": 50, "甲苯": 500, "乙醇": 500, "丙酮": 500, "乙酸乙酯": 500, "正己烷": 500,
    "硫化氢": 5, "煤气": 20, "光气": 0.3, "环氧乙烷": 10, "二甲醚": 50, "电石": 100,
    "W2": 10, "W5.1": 10, "W5.2": 50, "W5.3": 1000, "W5.4": 5000, "J1": 5, "J2": 50, "J3": 50, "J4": 50, "J5": 500,
    "W4": 50, "W3": 150,
}
# digest §6.2 Table 3 (toxic gases, with their Table 1 Q) and Table 4 (categories): β
TABLE_BETA = {
    "一氧化碳": 2, "二氧化硫": 2, "氨": 2, "环氧乙烷": 2, "氯化氢": 3, "溴甲烷": 3, "氯": 4, "硫化氢": 5,
    "氟化氢": 5, "二氧化氮": 10, "氰化氢": 10, "碳酰氯": 20, "磷化氢": 20, "异氰酸甲酯": 20,
    "J1": 4, "J2": 1, "J3": 2, "J4": 2, "J5": 1, "W1.1": 2, "W1.2": 2, "W1.3": 2, "W2": 1.5, "W5.1": 1.5,
    "W5.2": 1, "W5.3": 1, "W5.4": 1, "W6.1": 1.5, "W6.2": 1, "W7.1": 1.5, "W7.2": 1, "W4": 1, "W3": 1,
}


def _out(rules, facts, name):
    return rules.evaluate({"entity.sector": "hazardous_chemicals", **facts}, as_of=DAY).outputs.get(name)


@pytest.mark.parametrize("name, q", sorted(TABLE_Q.items()))
def test_gb18218_critical_quantity(rules, name, q):
    mhs = lambda x: _out(rules, {"hazchem.substances": [{"name": name, "quantity": x}]}, "entity.major_hazard_source")
    assert (mhs(q), mhs(q * 0.99)) == (True, False)


def test_gb18218_worked_tests(rules):
    # digest §6.2: 3 t ammonia + 20 t LPG -> S 0.7; 6 t ammonia + 20 t LPG -> S 1.0
    s = lambda nh3: _out(rules, {"hazchem.substances": [{"name": "氨", "quantity": nh3}, {"name": "液化石油气", "quantity": 20}]},
                         "entity.major_hazard_source")
    assert (s(3), s(6)) == (False, True)


def test_gb18218_beta(rules):
    """R = α Σ β q/Q with α 1: q set so that β q/Q is 10 ± 1 % gives level 3
    just above and level 4 just below, for each Table 3 gas and Table 4
    category (their Q taken from the same lookup: a wrong β or Q moves R by
    at least a third)."""
    wrong = []
    for name, beta in TABLE_BETA.items():
        # the Q the table uses for this name: the smallest q that makes it a source (S = q/Q = 1)
        q_crit = next(q for q in (0.3, 0.75, 1, 5, 10, 20, 50, 150, 200, 500, 1000, 5000)
                      if _out(rules, {"hazchem.substances": [{"name": name, "quantity": q}]}, "entity.major_hazard_source"))
        level = lambda r: _out(rules, {"entity.major_hazard_source": True, "hazchem.alpha": 1.0,
                                       "hazchem.substances": [{"name": name, "quantity": r * q_crit / beta}]}, "hazchem.mhs_level")
        if (level(10.1), level(9.9)) != ("level3", "level4"):
            wrong.append((name, beta, q_crit, level(10.1), level(9.9)))
    assert not wrong, wrong


@pytest.mark.parametrize("r, level", [(100, "level1"), (99.9, "level2"), (50, "level2"), (49.9, "level3"), (10, "level3"), (9.9, "level4")])
def test_gb18218_grade_bands(rules, r, level):
    facts = {"entity.major_hazard_source": True, "hazchem.alpha": 1.0,
             "hazchem.substances": [{"name": "x", "quantity": r, "critical_quantity": 1, "beta": 1}]}
    assert _out(rules, facts, "hazchem.mhs_level") == level


@pytest.mark.parametrize("people, alpha", [(100, 2.0), (99, 1.5), (50, 1.5), (49, 1.2), (30, 1.2), (29, 1.0), (1, 1.0), (0, 0.5)])
def test_gb18218_alpha_bands(rules, people, alpha):
    assert _out(rules, {"hazchem.exposed_persons": people}, "hazchem.alpha") == alpha


# -- LEC (digest §5.1) -------------------------------------------------------------
L_VALUES = {10, 6, 3, 1, 0.5, 0.2, 0.1}
E_VALUES = {10, 6, 3, 2, 1, 0.5}
C_VALUES = {100, 40, 15, 7, 3, 1}


@pytest.fixture(scope="module")
def lec(plans):
    (r,) = [r for r in plans if r.id == "cn.default.lec"]
    return r


@pytest.mark.parametrize("d, cls", [(321, "class1"), (320, "class2"), (161, "class2"), (160, "class3"),
                                    (71, "class3"), (70, "class4"), (21, "class4"), (20, "class5")])
def test_lec_bands(lec, d, cls):
    out = lec.evaluate({"lec.activities": [{"name": "x", "l": 1, "e": 10, "c": d / 10}]}, as_of=DAY).outputs
    assert out["lec.danger_class"] == cls


def test_lec_worked_examples_use_tabled_values(lec):
    """An example the file calls a worked example multiplies the tabled L, E
    and C values (as the chlorine β example taught a wrong β, a C of 6 would
    teach a value the C table does not have)."""
    (t,) = [t for t in lec.plan.tables if t.id == "cn.lec.danger-class"]
    worked = [ex for ex in t.examples if ex.name and "worked example" in ex.name]
    assert len(worked) >= 2
    for ex in worked:
        for a in ex.facts["lec.activities"]:
            assert a["l"] in L_VALUES and a["e"] in E_VALUES and a["c"] in C_VALUES, (ex.name, dict(a))
            assert re.search(r"D = (\d+)", ex.name).group(1) == f"{a['l'] * a['e'] * a['c']:g}", ex.name


# -- fact wording the digest fixes ---------------------------------------------------

def test_art11_9_examples_describe_dust_that_ignites_when_wet(rules):
    """GM2023-Art11-(9) is about metal dust that self-ignites when wet (遇湿自燃),
    not a wet process (audit a row 45): no example of the clause says so."""
    c = _clause(rules, "cn.mem.order10.dust", "art11.9")
    assert "遇湿自燃" in rules.plan.facts["dust.wet_reactive_metal"].title["zh"]
    assert not [ex.name for ex in c.examples if ex.name and "wet-process" in ex.name]


# -- scope thresholds (audit c; digest §1.3 / audit b B2 for Art. 4) ----------------
SCOPES = [
    # 渔业船舶 (农渔发〔2022〕11号): vessels with a rated complement of 10 or more
    ("cn.moa.fishing-vessels.2022", {"entity.activities": ["fishing"], "fishing.vessel.rated_complement": 9}, False),
    ("cn.moa.fishing-vessels.2022", {"entity.activities": ["fishing"], "fishing.vessel.rated_complement": 10}, True),
    # 内河运输船舶 (交办海〔2024〕67号): passenger or dangerous-goods vessels, other vessels of 300 GT or more
    ("cn.mot.inland-vessels.2024", {"entity.activities": ["inland_shipping"], "ship.carries_passengers": False, "ship.carries_dangerous_goods": False, "ship.gross_tonnage": 299}, False),
    ("cn.mot.inland-vessels.2024", {"entity.activities": ["inland_shipping"], "ship.carries_passengers": False, "ship.carries_dangerous_goods": False, "ship.gross_tonnage": 300}, True),
    ("cn.mot.inland-vessels.2024", {"entity.activities": ["inland_shipping"], "ship.carries_passengers": True, "ship.carries_dangerous_goods": False, "ship.gross_tonnage": 50}, True),
    # MEM Art. 4 outside metallurgy and non-ferrous: a converter, EAF or ladle-refining furnace of 30 t or more (PARTIAL)
    ("cn.mem.order10.metallurgy", {"entity.activities": ["machinery"], "metallurgy.blast_furnace.present": False, "metallurgy.blast_furnace.in_production": False, "metallurgy.furnaces": [{"kind": "electric_arc", "capacity": 29.9}]}, False),
    ("cn.mem.order10.metallurgy", {"entity.activities": ["machinery"], "metallurgy.blast_furnace.present": False, "metallurgy.blast_furnace.in_production": False, "metallurgy.furnaces": [{"kind": "electric_arc", "capacity": 30}]}, True),
    ("cn.mem.order10.metallurgy", {"entity.activities": ["nonferrous"], "metallurgy.blast_furnace.present": True}, False),
    ("cn.mem.order10.metallurgy", {"entity.activities": ["trade"], "metallurgy.blast_furnace.present": True}, True),
]


@pytest.mark.parametrize("sid, facts, expect", SCOPES, ids=[f"{r[0]}:{i}" for i, r in enumerate(SCOPES)])
def test_scope(rules, sid, facts, expect):
    s = _standard(rules, sid)
    assert dsl.evaluate_ast(s.applies_when.node, example_env(rules, facts)) is expect


def test_art11_1_place_facts_are_worded_for_several_places(rules):
    """GM2023-Art11-(1) is per place: (multi-storey and not framed) or gathering
    rooms.  The facts are entity-level, so the frame fact speaks of every
    multi-storey building housing a dust place (audit d 2): an honest answer
    for a framed multi-storey place plus an unframed single-storey one is then
    true, and the clause stays false."""
    facts = rules.plan.facts
    assert "均为框架结构" in facts["dust.place.frame_structure"].title["zh"]
    assert "Every multi-storey building" in facts["dust.place.frame_structure"].title["en"]
    assert facts["dust.place.multistorey"].title["zh"].startswith("有")
    honest = {"dust.place.multistorey": True, "dust.place.frame_structure": True, "dust.place.gathering_rooms": False}
    assert own(rules, "cn.mem.order10.dust", "art11.1", honest) is False


@pytest.mark.parametrize("fact", ["metallurgy.cc.emergency_ladle", "metallurgy.cc.tundish_breakout_pit",
                                  "metallurgy.cc.tundish_overflow_pit", "metallurgy.cc.breakout_rotary_chute",
                                  "metallurgy.ingot.emergency_ladle_or_pit",
                                  "machinery.foundry_furnaces[].emergency_discharge_storage"])
def test_art14_protective_facilities_are_asked_as_installed_and_working(rules, fact):
    """GM2023-Art14 (VERIFIED): a required protective facility that has failed
    counts as missing.  The emergency facilities of Art. 4 (3) and Art. 7 (2)
    have no separate *_working fact (audit a row 51), so the one fact an
    inspector answers asks for the facility installed and working, as the
    non-ferrous facts do (设置…且有效)."""
    if "[]." in fact:
        lst, item = fact.split("[].")
        spec = rules.plan.facts[lst].item[item]
    else:
        spec = rules.plan.facts[fact]
    assert spec.title["zh"].endswith("且有效") and "working" in spec.title["en"], spec.title


@pytest.mark.parametrize("fact, kind", [("nonferrous.closed_loop_alarms", "闭路循环水冷元件"),
                                        ("nonferrous.open_circuit_alarms", "开路水冷元件"),
                                        ("nonferrous.open_circuit_outlet_temp_monitored", "开路水冷元件")])
def test_art5_b_element_facts_hold_when_there_are_no_such_elements(rules, fact, kind):
    """GM2023-Art5-b is three situations, one per kind of water-cooled
    element; the clause ANDs one fact per situation.  A furnace with closed-loop
    elements only would answer 'open-circuit alarms installed' false and get a
    false major finding, so each fact says it holds when there is no such
    element (as the dust place facts are worded for several places)."""
    title = rules.plan.facts[fact].title
    assert f"无{kind}时" in title["zh"] and "true if there are none" in title["en"], title
    only_closed = {"nonferrous.smelting_furnace_water_cooled": True, "nonferrous.closed_loop_alarms": True,
                   "nonferrous.open_circuit_alarms": True, "nonferrous.open_circuit_outlet_temp_monitored": True}
    assert own(rules, "cn.mem.order10.nonferrous", "art5.b", only_closed) is False


@pytest.mark.parametrize("fact, stage", [("project.safety_facilities_built_simultaneously", "尚未施工"),
                                         ("project.safety_facilities_commissioned_simultaneously", "尚未投入生产或者使用"),
                                         ("project.built_per_approved_design", "尚未施工")])
def test_spl_31_34_stage_facts_hold_before_the_stage(rules, fact, stage):
    """SPL-31 requires design, construction and commissioning together with
    the main works, SPL-34 ¶1 building to the approved design; a project
    still being designed cannot honestly be said to have its safety facilities
    'built' or 'put into use' together, and a false answer made a finding with
    no breach.  The facts say they hold while the stage has not been reached."""
    title = rules.plan.facts[fact].title
    assert f"{stage}时填是" in title["zh"] and "true if not yet" in title["en"], title
