"""Real cases written from the verified texts (audit of the bundled set,
/work/shared/reference/standards-audit.md): facts an inspector would record
→ the findings, level and tier the texts call for.  Each test names the
audit item it holds."""

import datetime

import pytest

import safetyrules

D = datetime.date


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


def keys(decision, what="findings"):
    return {f"{x.standard}:{x.clause}" for x in getattr(decision, what)}


def found(rules, facts, day, key):
    return key in keys(rules.evaluate(facts, as_of=day))


# -- WRONG 1: GB 35181-2017 6.3 reads the station grade -----------------------

STATION = {
    "fire.fuel_station.present": True,
    "fire.fuel_station.in_built_up_area": True,
    "fire.expert_review_with_measures": False,
    "fire.out_of_use": False,
}


@pytest.mark.parametrize(
    "grade, expect", [("over_class1", True), ("class1", True), ("class2", False), ("class3", False)]
)
def test_gb35181_6_3_flags_class_one_stations_only(rules, grade, expect):
    # "储量达到或超过GB 50156对一级站的规定": class 1 or above, whatever the volume bands
    facts = {**STATION, "fire.fuel_station.grade": grade}
    assert found(rules, facts, D(2024, 6, 1), "cn.gb35181.2017:6.3") is expect


def test_gb35181_6_3_grade_unknown_is_undetermined(rules):
    d = rules.evaluate(STATION, as_of=D(2024, 6, 1))
    (u,) = [u for u in d.undetermined if u.clause == "6.3"]
    assert u.missing == ("fire.fuel_station.grade",)


# -- WRONG 2: metal smelting is honoured in every sector -------------------------

SMELTER = {
    "entity.sector": "machinery",
    "entity.metal_smelting": True,
    "entity.employees": 50,
    "entity.major_hazard_source": False,
    "safety.dedicated_staffing": False,
    "safety.any_staff": True,
    "management.principal_assessed": False,
}


def test_a_smelting_unit_recorded_as_machinery_gets_spl_24_1_and_tier_full(rules):
    d = rules.evaluate(SMELTER, as_of=D(2024, 6, 1))
    assert {"cn.npc.safety-production-law:art24.1", "cn.mem.order10.general:art3.3"} <= keys(d)
    assert d.outputs["entity.high_risk_sector"] is True
    assert d.tier == "full"


def test_a_machinery_unit_that_does_not_smelt_is_not_high_risk(rules):
    facts = {**SMELTER, "entity.metal_smelting": False, "entity.scale": "small"}
    d = rules.evaluate(facts, as_of=D(2024, 6, 1))
    assert "cn.npc.safety-production-law:art24.1" not in keys(d)
    assert d.outputs["entity.high_risk_sector"] is False
    assert d.tier == "self_assessment"


# -- WRONG 3: chlorine β = 4 (GB 18218-2018 Table 3) ----------------------------


def test_chlorine_grading_uses_beta_four(rules):
    # 125 t chlorine, Q 5 t, β 4, α 1.0: R = 1.0 x 4 x 25 = 100 -> level 1 (β 2 would give 50)
    facts = {
        "entity.major_hazard_source": True,
        "hazchem.alpha": 1.0,
        "hazchem.substances": [{"name": "氯", "quantity": 125, "critical_quantity": 5, "beta": 4}],
    }
    d = rules.evaluate(facts, as_of=D(2024, 6, 1))
    assert d.outputs["hazchem.mhs_level"] == "level1"


# -- OVER-CLAIMED: effective dates ----------------------------------------------


def test_hazchem_2017_criteria_start_on_2017_11_13(rules):
    facts = {"entity.sector": "hazardous_chemicals", "hazchem.phased_out_technology": True}
    assert not found(rules, facts, D(2017, 11, 12), "cn.saws.hazchem.2017:item11")
    assert found(rules, facts, D(2017, 11, 13), "cn.saws.hazchem.2017:item11")


def test_spl_2021_starts_on_2021_09_01(rules):
    facts = {"entity.sector": "catering", "gas.fuel_used": True, "gas.alarm.installed": False}
    assert not found(rules, facts, D(2021, 8, 31), "cn.npc.safety-production-law:art36.4")
    assert found(rules, facts, D(2021, 9, 1), "cn.npc.safety-production-law:art36.4")


def test_gb35181_2017_runs_from_2018_07_01_until_2025_11_01(rules):
    s = rules.plan.standard("cn.gb35181.2017")
    assert (s.effective_from, s.effective_until) == (D(2018, 7, 1), D(2025, 11, 1))
    facts = {**STATION, "fire.fuel_station.grade": "class1"}
    days = {D(2018, 6, 30): False, D(2018, 7, 1): True, D(2025, 10, 31): True, D(2025, 11, 1): False}
    for day, expect in days.items():
        assert found(rules, facts, day, "cn.gb35181.2017:6.3") is expect, day


def test_evaluation_tier_list_is_provisional_but_keeps_spec_rows(rules):
    t = rules.plan.table_for("evaluation.tier")
    assert t.status == "provisional"
    base = {"entity.high_risk_sector": False, "entity.major_hazard_source": False}
    for scale, tier in [("large", "full"), ("medium", "simplified"), ("small", "self_assessment"), ("micro", "self_assessment")]:
        d = rules.evaluate({**base, "entity.scale": scale}, as_of=D(2024, 6, 1))
        assert d.tier == tier


# -- MEM Order No. 10 Art. 4 outside metallurgy; Art. 7 (1) control rooms --------


def test_art4_applies_to_a_machinery_enterprise_with_a_blast_furnace(rules):
    facts = {
        "entity.sector": "machinery",
        "metallurgy.blast_furnace.in_production": True,
        "metallurgy.blast_furnace.top_pressure_setpoint": 260,
        "metallurgy.blast_furnace.design_max_working_pressure": 250,
    }
    assert found(rules, facts, D(2024, 6, 1), "cn.mem.order10.metallurgy:art4.5")


def test_art4_applies_to_a_30_t_converter_but_not_a_20_t_one(rules):
    def facts(t):
        return {
            "entity.sector": "machinery",
            "metallurgy.blast_furnace.present": False,
            "metallurgy.blast_furnace.in_production": False,
            "metallurgy.furnaces": [
                {"kind": "converter", "capacity": t, "water_cooled": True, "outlet_temp_alarm": False}
            ],
        }

    assert found(rules, facts(30), D(2024, 6, 1), "cn.mem.order10.metallurgy:art4.4")
    assert not found(rules, facts(20), D(2024, 6, 1), "cn.mem.order10.metallurgy:art4.4")
    d = rules.evaluate(facts(20), as_of=D(2024, 6, 1))
    assert not any(u.standard == "cn.mem.order10.metallurgy" for u in d.undetermined)


def test_art7_1_does_not_list_control_rooms(rules):
    def facts(kind):
        return {"entity.sector": "machinery", "machinery.rooms": [{"kind": kind, "in_lifting_or_pouring_bay": True}]}

    assert not found(rules, facts("control"), D(2024, 6, 1), "cn.mem.order10.machinery:art7.1")
    assert found(rules, facts("rest"), D(2024, 6, 1), "cn.mem.order10.machinery:art7.1")


# -- editions by date: the fire family ------------------------------------------


def test_fire_family_gap_after_gb35181_2017(rules):
    (gap,) = [g for g in rules.plan.family_gaps(D(2026, 12, 1)) if g.family == "fire"]
    assert (gap.last, gap.ended) == ("cn.gb35181.2017", D(2025, 11, 1))
    assert "2025-11-01" in gap.message(D(2026, 12, 1))
    assert not [g for g in rules.plan.family_gaps(D(2025, 10, 31)) if g.family == "fire"]
    # the specialised plan of a day keeps the editions it needs to say so
    assert rules.plan.specialise(D(2026, 12, 1)).family_gaps(D(2026, 12, 1)) == (gap,)


# -- activities, not one sector (SPEC §8) ----------------------------------------

HOTEL_KITCHEN = {"gas.fuel_used": True, "gas.alarm.installed": False}


def test_a_hotel_with_a_gas_kitchen_without_alarm_gets_spl_36_4(rules):
    facts = {"entity.sector": "accommodation", "entity.activities": ["accommodation", "catering"], **HOTEL_KITCHEN}
    d = rules.evaluate(facts, as_of=D(2024, 6, 1))
    assert "cn.npc.safety-production-law:art36.4" in keys(d)
    assert d.given == ("entity.activities",) or "entity.activities" in d.given


def test_a_hotel_without_a_catering_activity_is_outside_art_36_4(rules):
    d = rules.evaluate({"entity.sector": "accommodation", **HOTEL_KITCHEN}, as_of=D(2024, 6, 1))
    assert "cn.npc.safety-production-law:art36.4" not in keys(d)
    assert d.outputs["entity.activities"] == ["accommodation"]


def test_entity_sector_alone_still_routes(rules):
    d = rules.evaluate({"entity.sector": "catering", **HOTEL_KITCHEN}, as_of=D(2024, 6, 1))
    assert "cn.npc.safety-production-law:art36.4" in keys(d)


def test_a_supermarket_recorded_as_retail_gets_the_mem_order_10_checks_provisionally(rules):
    facts = {
        "entity.sector": "retail",
        "ammonia.refrigeration": True,
        "ammonia.ac_zones": [{"purpose": "cutting", "direct_evaporation": True}],
    }
    d = rules.evaluate(facts, as_of=D(2024, 6, 1))
    assert "cn.mem.order10.ammonia:art12.1" in keys(d)
    assert d.outputs["entity.mem_scope"] == "retail_provisional"
    trade = rules.evaluate({**facts, "entity.sector": "trade"}, as_of=D(2024, 6, 1))
    assert trade.outputs["entity.mem_scope"] == "listed"


def test_a_restaurant_is_outside_mem_order_10(rules):
    d = rules.evaluate({"entity.sector": "catering"}, as_of=D(2024, 6, 1))
    assert d.outputs["entity.mem_scope"] == "outside"
    assert not any(x.standard.startswith("cn.mem.") for x in d.findings + d.undetermined)


def test_an_activity_outside_the_sector_list_is_an_input_error(rules):
    with pytest.raises(safetyrules.FactsError) as e:
        rules.evaluate({"entity.activities": ["accommodation", "karaoke"]})
    assert e.value.fact == "entity.activities[1]"
