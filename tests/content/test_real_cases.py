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


def test_art4_holds_a_machinery_plant_with_unknown_furnaces_undetermined_until_asked(rules):
    # SPEC §7: missing facts never grade an entity safer.  Outside metallurgy,
    # Art. 4 routes on the furnace facts by Kleene logic: unrecorded furnaces
    # leave Art. 4 undetermined (the furnace is asked first); recording "no
    # blast furnace" and no furnaces settles it.
    d = rules.evaluate({"entity.sector": "machinery"}, as_of=D(2024, 6, 1))
    assert any(u.standard == "cn.mem.order10.metallurgy" for u in d.undetermined)
    assert "metallurgy.blast_furnace.present" in d.missing
    d = rules.evaluate({"entity.sector": "machinery", "metallurgy.blast_furnace.present": False,
                        "metallurgy.blast_furnace.in_production": False, "metallurgy.furnaces": []},
                       as_of=D(2024, 6, 1))
    assert not any(u.standard == "cn.mem.order10.metallurgy" for u in d.undetermined)
    d = rules.evaluate({"entity.sector": "metallurgy"}, as_of=D(2024, 6, 1))
    assert any(u.standard == "cn.mem.order10.metallurgy" for u in d.undetermined)


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
    assert gap in rules.plan.specialise(D(2026, 12, 1)).family_gaps(D(2026, 12, 1))


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


# -- more standards: cases from their texts ---------------------------------------


def test_fishing_vessel_carrying_more_than_its_complement(rules):
    base = {"entity.sector": "fishing", "fishing.vessel.rated_complement": 12, "fishing.vessel.unapproved_passengers": False}
    assert found(rules, {**base, "fishing.vessel.persons_on_board": 13}, D(2024, 6, 1), "cn.moa.fishing-vessels.2022:item7")
    assert not found(rules, {**base, "fishing.vessel.persons_on_board": 12}, D(2024, 6, 1), "cn.moa.fishing-vessels.2022:item7")
    # scope: rated complement of 10 or more; before 2022-04-02 the standard did not exist
    small = {**base, "fishing.vessel.rated_complement": 9, "fishing.vessel.persons_on_board": 11}
    assert not found(rules, small, D(2024, 6, 1), "cn.moa.fishing-vessels.2022:item7")
    assert not found(rules, {**base, "fishing.vessel.persons_on_board": 13}, D(2022, 4, 1), "cn.moa.fishing-vessels.2022:item7")


def test_inland_vessel_scope_passengers_dangerous_goods_or_300_gt(rules):
    def facts(gt):
        return {"entity.sector": "inland_shipping", "ship.carries_passengers": False, "ship.carries_dangerous_goods": False,
                "ship.gross_tonnage": gt, "ship.beyond_navigation_area": True}

    assert found(rules, facts(300), D(2025, 1, 1), "cn.mot.inland-vessels.2024:art4.4")
    assert not found(rules, facts(299), D(2025, 1, 1), "cn.mot.inland-vessels.2024:art4.4")
    assert not found(rules, facts(300), D(2024, 12, 14), "cn.mot.inland-vessels.2024:art4.4")


def test_underground_mine_with_two_exits_29_m_apart(rules):
    facts = {"entity.sector": "mining", "mine.underground": True, "mine.ug.surface_exits": 2,
             "mine.ug.exit_spacing": 29, "mine.ug.wing_over_1000m_without_exit": False}
    assert found(rules, facts, D(2023, 1, 1), "cn.nmsa.metal-mines.underground.2022:1.2")
    assert not found(rules, {**facts, "mine.ug.exit_spacing": 30}, D(2023, 1, 1), "cn.nmsa.metal-mines.underground.2022:1.2")
    assert not found(rules, facts, D(2022, 8, 31), "cn.nmsa.metal-mines.underground.2022:1.2")


def test_open_pit_slope_of_200_m_needs_online_monitoring(rules):
    facts = {"entity.sector": "mining", "mine.open_pit": True, "mine.op.pit_slope_height": 200,
             "mine.op.pit_slope_online_monitoring": False}
    assert found(rules, facts, D(2023, 1, 1), "cn.nmsa.metal-mines.open-pit.2022:7.1")


def test_civil_explosives_manager_unassessed_after_six_months(rules):
    def facts(months):
        return {"entity.sector": "civil_explosives", "special_operators": [],
                "civex.managers": [{"name": "甲", "months_in_post": months, "assessed": False}]}

    assert found(rules, facts(6), D(2025, 1, 1), "cn.miit.civil-explosives.2024:item3")
    assert not found(rules, facts(5), D(2025, 1, 1), "cn.miit.civil-explosives.2024:item3")
    d = rules.evaluate(facts(6), as_of=D(2025, 1, 1))
    assert d.outputs["entity.high_risk_sector"] is True and d.tier == "full"


def test_gas_operator_user_check_without_written_notice(rules):
    facts = {"entity.sector": "gas_supply", "gas.operator.user_check_hazard_found": True, "gas.operator.written_notice_issued": False}
    assert found(rules, facts, D(2024, 6, 1), "cn.mohurd.urban-gas.2023:art9")


def test_power_grid_stability_control_settings_wrong_at_330_kv_and_above(rules):
    """国能综通安全〔2022〕123号 Art. 3 (grid equipment of 330 kV and above) and Art. 4 (1)."""
    key = "cn.nea.power.2022:art4.1-settings"
    base = {"entity.sector": "power", "power.stability_control_settings_incorrect": True}
    assert found(rules, {**base, "power.grid_voltage": 500}, D(2024, 6, 1), key)
    assert found(rules, {**base, "power.grid_voltage": 330}, D(2024, 6, 1), key)
    assert not found(rules, {**base, "power.grid_voltage": 220}, D(2024, 6, 1), key)
    assert not found(rules, {**base, "power.grid_voltage": 500}, D(2022, 12, 28), key)  # before the notice
    # a grid company that also runs a canteen: routed by any activity
    both = {**base, "power.grid_voltage": 500, "entity.activities": ["power", "catering"]}
    assert found(rules, both, D(2024, 6, 1), key)
    hvdc = {"entity.sector": "power", "power.grid_voltage": 800, "power.dc_control_protection": True,
            "power.dc_protection_dual": False}
    assert found(rules, hvdc, D(2024, 6, 1), "cn.nea.power.2022:art4.1-dual")
    assert not found(rules, {**hvdc, "power.dc_protection_dual": True}, D(2024, 6, 1), "cn.nea.power.2022:art4.1-dual")


def test_power_partial_items_are_provisional(rules):
    facts = {"entity.sector": "power", "power.hydro_dam": True, "power.dam_major_engineering_hazard": True}
    d = rules.evaluate(facts, as_of=D(2024, 6, 1))
    (f,) = [x for x in d.findings if x.standard == "cn.nea.power.2022"]
    assert f.clause == "art4.6" and d.to_dict()["findings"][[x.clause for x in d.findings].index("art4.6")]["status"] == "provisional"
    assert d.major_hazard is True


def test_night_driving_rule_only_for_routes_of_800_km_or_more(rules):
    """MOT road-transport criteria Art. 4 (1), as the ministry's answer reads it: only the coaches of
    routes of 800 km or more must stop from 2 to 5 a.m. (or use relay driving)."""
    key = "cn.mot.road-transport.2023:art4.1-night"

    def facts(km):
        return {"entity.sector": "road_transport", "road.passenger_routes": [{"name": "x", "length": km, "night_rest_or_relay": False}]}

    assert found(rules, facts(800), D(2024, 6, 1), key)
    assert not found(rules, facts(799), D(2024, 6, 1), key)
    assert not found(rules, facts(900), D(2023, 9, 30), key)  # in force 2023-10-01


def test_coach_dispatched_in_a_typhoon_orange_warning(rules):
    key = "cn.mot.road-transport.2023:art3.4"
    base = {"entity.sector": "road_transport", "road.other_red_warning": False, "road.dispatched_against_stop_order": True}
    assert found(rules, {**base, "road.typhoon_warning": "orange"}, D(2024, 6, 1), key)
    assert not found(rules, {**base, "road.typhoon_warning": "yellow"}, D(2024, 6, 1), key)


def test_driver_with_ten_points_still_driving(rules):
    key = "cn.mot.road-transport.2023:art3.3-points"
    driver = {"name": "张", "seriously_handled": False, "still_assigned": True}
    assert found(rules, {"entity.sector": "road_transport", "road.drivers": [{**driver, "single_assessment_points": 10}]}, D(2024, 6, 1), key)
    assert not found(rules, {"entity.sector": "road_transport", "road.drivers": [{**driver, "single_assessment_points": 9}]}, D(2024, 6, 1), key)


def test_coal_mine_standard_ends_when_its_revision_is_reported_in_force(rules):
    facts = {"entity.sector": "mining", "mine.coal": True, "coal.dual_circuit_power": False}
    assert found(rules, facts, D(2026, 6, 30), "cn.mem.coal-mines.2020:3.11")
    assert not found(rules, facts, D(2026, 7, 1), "cn.mem.coal-mines.2020:3.11")
    gaps = {g.family: g for g in rules.plan.family_gaps(D(2026, 12, 1))}
    assert gaps["coal-mines"].ended == D(2026, 7, 1)
    assert set(gaps) == {"coal-mines", "fire"}


def test_bundled_set_size(rules):
    assert len(rules.plan.standards) >= 16
    assert len(rules.plan.clauses) >= 150
    for s in rules.plan.standards:
        assert s.source and s.status in ("verified", "provisional"), s.id
        assert s.effective_from is not None, s.id


# -- the hazardous-chemicals four-colour grading (应急〔2018〕19号) ---------------

NO_DIRECT_RED = {
    "entity.sector": "hazardous_chemicals",
    "hazchem.diagnosis.new_process_untrialled": False,
    "hazchem.diagnosis.units_without_design_or_diagnosis": False,
    "hazchem.diagnosis.special_operators_unqualified": False,
    "hazchem.diagnosis.major_accidents_3y": 0,
    "hazchem.diagnosis.larger_accidents_3y": 0,
    "hazchem.diagnosis.fatal_general_accidents_1y": 0,
}


@pytest.fixture(scope="module")
def hazchem_grading():
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    return safetyrules.load(os.path.join(here, "..", "..", "standards", "ruleset-hazchem.yaml"))


@pytest.mark.parametrize(
    "score, level",
    [(59.99, "red"), (60, "orange"), (74.99, "orange"), (75, "yellow"), (89.99, "yellow"), (90, "blue")],
)
def test_hazchem_score_bands(hazchem_grading, score, level):
    d = hazchem_grading.evaluate({**NO_DIRECT_RED, "hazchem.diagnosis.score": score})
    assert d.level == level


def test_hazchem_direct_red_whatever_the_score(hazchem_grading):
    facts = {**NO_DIRECT_RED, "hazchem.diagnosis.score": 98, "hazchem.diagnosis.larger_accidents_3y": 2}
    d = hazchem_grading.evaluate(facts)
    assert d.level == "red" and d.inspection == "monthly"
    assert keys(d) == {"cn.mem.hazchem-risk-diagnosis.2018:red4"}


def test_every_decision_warns_of_the_fire_family_gap(rules):
    facts = {"entity.sector": "accommodation", "fire.sprinkler.required": True}
    d = rules.evaluate(facts, as_of=D(2026, 6, 1))
    (w,) = [w for w in d.warnings if w["code"] == "family-gap" and w["family"] == "fire"]
    assert w["standard"] == "cn.gb35181.2017" and w["ended"] == "2025-11-01"
    assert "fire" in w["message"] and "2025-11-01" in w["message"]
    assert not any(f.standard == "cn.gb35181.2017" for f in d.findings + d.undetermined)
    assert w in d.to_dict()["warnings"]
    # batch decisions carry it too
    (b,) = list(rules.evaluate_many([facts], as_of=D(2026, 6, 1)))
    assert b.to_json() == d.to_json()


def test_no_gap_warning_while_an_edition_is_in_force(rules):
    d = rules.evaluate({"entity.sector": "accommodation"}, as_of=D(2025, 10, 31))
    assert not [w for w in d.warnings if w["code"] == "family-gap"]


# -- GB 18218 tables as data: an inspector records substance and tonnage -------------


def test_gb18218_lookup_by_name_alias_cas_and_category(rules):
    def mhs(*lines):
        d = rules.evaluate({"hazchem.substances": [dict(name=n, quantity=q) for n, q in lines]}, as_of=D(2024, 6, 1))
        return d.outputs["entity.major_hazard_source"]

    assert mhs(("氯", 5)) is True and mhs(("氯", 4.9)) is False       # Table 1: chlorine Q 5 t
    assert mhs(("7782-50-5", 5)) is True                               # by CAS number
    assert mhs(("液氨", 6), ("液化石油气", 20)) is True                 # 0.6 + 0.4 = 1.0
    assert mhs(("W5.3", 1000)) is True and mhs(("W5.4", 1000)) is False  # Table 2 categories
    assert mhs(("某混合溶剂", 6)) is None                               # in neither table


def test_gb18218_given_values_win_and_grading_uses_table_3(rules):
    d = rules.evaluate({"hazchem.substances": [{"name": "氯", "quantity": 6, "critical_quantity": 10}]}, as_of=D(2024, 6, 1))
    assert d.outputs["entity.major_hazard_source"] is False
    facts = {"hazchem.exposed_persons": 20, "hazchem.substances": [{"name": "液氯", "quantity": 125}]}
    d = rules.evaluate(facts, as_of=D(2024, 6, 1))
    assert d.outputs["entity.major_hazard_source"] is True
    assert d.outputs["hazchem.mhs_level"] == "level1"                  # 1.0 x 4 x 125/5 = 100
