"""A hand-written Python function for 11 bundled clauses: the per-record limit.

Same semantics as the rule files (SPEC §3 Kleene logic: ``None`` is
unknown), written the way a careful programmer would by hand: each fact read
once, no helper calls, short-circuits where Kleene logic allows.  It reads
the same flat facts the compiled clause program reads (checked facts, with
the derived facts of the pre tables, e.g. ``entity.high_risk_sector``).

Clauses (``applies_when`` conjoined, as the engine does):
  cn.mem.order10.general art3.1 art3.2 art3.3;
  cn.mem.order10.metallurgy art4.1 art4.2 art4.5;
  cn.npc.safety-production-law art24.1 art24.2 art31 art36.4 art40.
"""

from __future__ import annotations

CLAUSES = [
    ("cn.mem.order10.general", "art3.1"),
    ("cn.mem.order10.general", "art3.2"),
    ("cn.mem.order10.general", "art3.3"),
    ("cn.mem.order10.metallurgy", "art4.1"),
    ("cn.mem.order10.metallurgy", "art4.2"),
    ("cn.mem.order10.metallurgy", "art4.5"),
    ("cn.npc.safety-production-law", "art24.1"),
    ("cn.npc.safety-production-law", "art24.2"),
    ("cn.npc.safety-production-law", "art31"),
    ("cn.npc.safety-production-law", "art36.4"),
    ("cn.npc.safety-production-law", "art40"),
]

_ORDER10 = frozenset(
    ["metallurgy", "nonferrous", "building_materials", "machinery", "light_industry", "textiles", "tobacco", "trade"]
)
_PITS = frozenset(["accident_pit", "slag_pit_under_furnace"])




_ART4_BY_FURNACE = frozenset(["building_materials", "machinery", "light_industry", "textiles", "tobacco", "trade"])


def _furnace_route(present, inprod, furnaces):
    """present or in_production or any(f in furnaces: f.kind != 'other' and
    f.capacity >= 30 t), in Kleene logic (None: unknown)."""
    if present is True or inprod is True:
        return True
    anyf = None if furnaces is None else False
    for fu in furnaces or ():
        k, c = fu.get("kind"), fu.get("capacity")
        a = None if k is None else k != "other"
        b = None if c is None else c >= 30
        if a is True and b is True:
            return True
        if a is not False and b is not False:
            anyf = None
    if present is False and inprod is False and anyf is False:
        return False
    return None


def decide(f):
    g = f.get
    sector = g("entity.sector")

    # -- MEM Order No. 10, Art. 3 (applies_when: sector in the 8 sectors) --
    s10 = None if sector is None else sector in _ORDER10

    # art3.1: s10 and (contractors.present and not (unified_coordination and periodic_inspection))
    if s10 is False:
        a31 = a32 = a33 = False
    else:
        cp = g("contractors.present")
        if cp is False:
            a31 = False
        else:
            uc = g("contractors.unified_coordination")
            pi = g("contractors.periodic_inspection")
            if uc is False or pi is False:
                inner = True
            elif uc is None or pi is None:
                inner = None
            else:
                inner = False
            if inner is False:
                a31 = False
            elif cp is None or inner is None or s10 is None:
                a31 = None
            else:
                a31 = True
        # art3.2: s10 and any(w in special_operators: not w.certified)
        ops = g("special_operators")
        if ops is None:
            anyw = None
        else:
            anyw = False
            for w in ops:
                c = w.get("certified")
                if c is False:
                    anyw = True
                    break
                if c is None:
                    anyw = None
        a32 = False if anyw is False else (None if anyw is None or s10 is None else True)
        # art3.3: s10 and (metal_smelting and (not principal_assessed or any(m: not m.assessed)))
        ms = g("entity.metal_smelting")
        if ms is False:
            a33 = False
        else:
            pa = g("management.principal_assessed")
            if pa is False:
                inner = True
            else:
                mgrs = g("management.safety_managers")
                if mgrs is None:
                    anym = None
                else:
                    anym = False
                    for m in mgrs:
                        a = m.get("assessed")
                        if a is False:
                            anym = True
                            break
                        if a is None:
                            anym = None
                if anym is True:
                    inner = True
                elif pa is None or anym is None:
                    inner = None
                else:
                    inner = False
            if inner is False:
                a33 = False
            elif ms is None or inner is None or s10 is None:
                a33 = None
            else:
                a33 = True

    # -- MEM Order No. 10, Art. 4 (metallurgy; outside it, the six sectors
    # with a blast furnace or a converter/EAF/refining furnace of >= 30 t) --
    if sector is None or sector == "metallurgy":
        met = None if sector is None else True
    elif sector in _ART4_BY_FURNACE:
        met = _furnace_route(g("metallurgy.blast_furnace.present"), g("metallurgy.blast_furnace.in_production"),
                             g("metallurgy.furnaces"))
    else:
        met = False
    if met is False:
        a41 = a42 = a45 = False
    else:
        rooms = g("metallurgy.rooms")
        if rooms is None:
            r = None
        else:
            r = False
            for room in rooms:
                v = room.get("in_lifting_bay")
                if v is True:
                    r = True
                    break
                if v is None:
                    r = None
        a41 = False if r is False else (None if r is None or met is None else True)
        inprod = g("metallurgy.in_production")
        if inprod is False:
            a42 = False
        else:
            areas = g("metallurgy.areas")
            if areas is None:
                r = None
            else:
                r = False
                for ar in areas:
                    sw = ar.get("standing_water")
                    if sw is False:
                        continue
                    kind = ar.get("kind")
                    pit = None if kind is None else kind in _PITS
                    if pit is True:
                        cond = True
                    else:
                        sr = ar.get("in_splash_range")
                        cond = True if sr is True else (None if pit is None or sr is None else False)
                    if cond is False:
                        continue
                    if sw is True and cond is True:
                        r = True
                        break
                    r = None
            a42 = False if r is False else (None if r is None or inprod is None or met is None else True)
        bfp = g("metallurgy.blast_furnace.in_production")
        if bfp is False:
            a45 = False
        else:
            top = g("metallurgy.blast_furnace.top_pressure_setpoint")
            cap = g("metallurgy.blast_furnace.design_max_working_pressure")
            over = None if top is None or cap is None else top > cap
            if over is False:
                a45 = False
            elif bfp is None or over is None or met is None:
                a45 = None
            else:
                a45 = True

    # -- Safety Production Law --
    hrs = g("entity.high_risk_sector")
    emp = g("entity.employees")
    nbs = g("entity.nbs_sector")
    if hrs is True or sector == "construction" or nbs == "transport" or (emp is not None and emp > 100):
        big = True
    elif hrs is None or sector is None or nbs is None or emp is None:
        big = None
    else:
        big = False
    ds = g("safety.dedicated_staffing")
    a241 = False if big is False or ds is True else (None if big is None or ds is None else True)
    anys = g("safety.any_staff")
    a242 = False if big is True or anys is True else (None if big is None or anys is None else True)
    kind = g("project.kind")
    if kind == "none":
        a31p = False
    else:
        d = g("project.safety_facilities_designed_simultaneously")
        b = g("project.safety_facilities_built_simultaneously")
        c = g("project.safety_facilities_commissioned_simultaneously")
        allthree = False if (d is False or b is False or c is False) else (None if (d is None or b is None or c is None) else True)
        if allthree is True:
            a31p = False
        elif kind is None or allthree is None:
            a31p = None
        else:
            a31p = True
    if sector is not None and sector != "catering":
        a364 = False
    else:
        fuel = g("gas.fuel_used")
        if fuel is False:
            a364 = False
        else:
            ai = g("gas.alarm.installed")
            aw = g("gas.alarm.working")
            ok = False if (ai is False or aw is False) else (None if (ai is None or aw is None) else True)
            if ok is True:
                a364 = False
            elif sector is None or fuel is None or ok is None:
                a364 = None
            else:
                a364 = True
    mhs = g("entity.major_hazard_source")
    if mhs is False:
        a40 = False
    else:
        vals = (
            g("mhs.registered"),
            g("mhs.tested_assessed_monitored"),
            g("mhs.emergency_plan"),
            g("mhs.workers_informed"),
            g("mhs.filed"),
        )
        if False in vals:
            a40 = None if mhs is None else True
        elif None in vals:
            a40 = None
        else:
            a40 = False
    return (a31, a32, a33, a41, a42, a45, a241, a242, a31p, a364, a40)


# -- the same clauses from the raw nested entity ---------------------------------
# What a hand-written function has to do when it gets what rules.evaluate
# gets: read the nested facts it needs, check their types (a wrong type is
# an error, as the engine's fact check says), and compute the derived facts
# (entity.high_risk_sector and entity.major_hazard_source, the tables
# cn.project.high-risk-sector and GB 18218's identification) itself.


class FactError(ValueError):
    pass


_HIGH_RISK = frozenset(["mining", "hazardous_chemicals", "fireworks", "civil_explosives"])
_NOT_SMELTING = frozenset(["catering", "accommodation", "retail", "office"])


def _bool(v, name):
    if v is None or v is True or v is False:
        return v
    raise FactError(f"{name} must be true or false")


def _num(v, name):
    t = type(v)
    if v is None or ((t is int or t is float) and v - v == 0):
        return v
    raise FactError(f"{name} must be a finite number")


def _enum(v, values, name):
    if v is None or v in values:
        return v
    raise FactError(f"{name} has an unknown value")


def _items(v, name, bools=(), texts=(), nums=()):
    """A list of item mappings; the fields the clauses read type-checked."""
    if v is None:
        return None
    if type(v) is not list:
        raise FactError(f"{name} must be a list of items")
    for i in v:
        if type(i) is not dict:
            raise FactError(f"{name} must be a list of items")
        for k in bools:
            x = i.get(k)
            if x is not None and x is not True and x is not False:
                raise FactError(f"{name}[].{k} must be true or false")
        for k in texts:
            x = i.get(k)
            if x is not None and type(x) is not str:
                raise FactError(f"{name}[].{k} must be text")
        for k in nums:
            x = i.get(k)
            if x is not None and (type(x) not in (int, float) or x != x):
                raise FactError(f"{name}[].{k} must be a number")
    return v


def _group(rec, key):
    g = rec.get(key)
    if g is None:
        return {}
    if type(g) is not dict:
        raise FactError(f"{key} must be a mapping")
    return g


def make_decide_raw(sectors, nbs_sectors, project_kinds, thresholds):
    """``decide_raw(record)`` for the raw nested entity.  ``sectors``,
    ``nbs_sectors``, ``project_kinds``: the declared values;
    ``thresholds``: substance name → critical quantity in t (GB 18218
    Tables 1-2, used when no critical quantity is given)."""
    sectors, nbs_sectors, project_kinds = frozenset(sectors), frozenset(nbs_sectors), frozenset(project_kinds)

    def major_hazard_source(subs):
        if subs is None:
            return None
        known = [s.get("critical_quantity") is not None for s in subs]
        if all(known) or any(known):
            # rows 1 and 3: the sum of q / Q (unknown when a term is)
            total = 0
            for s in subs:
                q, c = _num(s.get("quantity"), "quantity"), _num(s.get("critical_quantity"), "critical_quantity")
                if q is None or c is None or c == 0:
                    return None
                total += q / c
            return total >= 1
        total = 0  # row 2: Q looked up by name
        for s in subs:
            q, c = _num(s.get("quantity"), "quantity"), thresholds.get(s.get("name"))
            if q is None or c is None:
                return None
            total += q / c
        return total >= 1

    def decide_raw(rec):
        if type(rec) is not dict:
            raise FactError("an entity is a mapping")
        ent = _group(rec, "entity")
        sector = _enum(ent.get("sector"), sectors, "entity.sector")
        smelting = _bool(ent.get("metal_smelting"), "entity.metal_smelting")
        if sector is None:
            high_risk = None
        elif sector in _HIGH_RISK:
            high_risk = True
        elif sector in _NOT_SMELTING or smelting is False:
            high_risk = False
        elif smelting is True:
            high_risk = True
        else:
            high_risk = None
        con, man, met = _group(rec, "contractors"), _group(rec, "management"), _group(rec, "metallurgy")
        bf, saf, pro = _group(met, "blast_furnace"), _group(rec, "safety"), _group(rec, "project")
        gas, mhs = _group(rec, "gas"), _group(rec, "mhs")
        alarm = _group(gas, "alarm")
        f = {
            "entity.sector": sector,
            "entity.metal_smelting": smelting,
            "entity.high_risk_sector": high_risk,
            "entity.employees": _num(ent.get("employees"), "entity.employees"),
            "entity.nbs_sector": _enum(ent.get("nbs_sector"), nbs_sectors, "entity.nbs_sector"),
            "entity.major_hazard_source": major_hazard_source(
                _items(_group(rec, "hazchem").get("substances"), "hazchem.substances", texts=("name",))),
            "contractors.present": _bool(con.get("present"), "contractors.present"),
            "contractors.unified_coordination": _bool(con.get("unified_coordination"), "contractors.unified_coordination"),
            "contractors.periodic_inspection": _bool(con.get("periodic_inspection"), "contractors.periodic_inspection"),
            "special_operators": _items(rec.get("special_operators"), "special_operators", bools=("certified",)),
            "management.principal_assessed": _bool(man.get("principal_assessed"), "management.principal_assessed"),
            "management.safety_managers": _items(man.get("safety_managers"), "management.safety_managers", bools=("assessed",)),
            "metallurgy.rooms": _items(met.get("rooms"), "metallurgy.rooms", bools=("in_lifting_bay",)),
            "metallurgy.in_production": _bool(met.get("in_production"), "metallurgy.in_production"),
            "metallurgy.areas": _items(met.get("areas"), "metallurgy.areas", bools=("standing_water", "in_splash_range"),
                                       texts=("kind",)),
            "metallurgy.blast_furnace.present": _bool(bf.get("present"), "bf.present"),
            "metallurgy.furnaces": _items(met.get("furnaces"), "metallurgy.furnaces", texts=("kind",),
                                          nums=("capacity",)),
            "metallurgy.blast_furnace.in_production": _bool(bf.get("in_production"), "bf.in_production"),
            "metallurgy.blast_furnace.top_pressure_setpoint": _num(bf.get("top_pressure_setpoint"), "bf.top"),
            "metallurgy.blast_furnace.design_max_working_pressure": _num(bf.get("design_max_working_pressure"),
                                                                           "bf.cap"),
            "safety.dedicated_staffing": _bool(saf.get("dedicated_staffing"), "safety.dedicated_staffing"),
            "safety.any_staff": _bool(saf.get("any_staff"), "safety.any_staff"),
            "project.kind": _enum(pro.get("kind"), project_kinds, "project.kind"),
            "project.safety_facilities_designed_simultaneously": _bool(
                pro.get("safety_facilities_designed_simultaneously"), "project.designed"),
            "project.safety_facilities_built_simultaneously": _bool(
                pro.get("safety_facilities_built_simultaneously"), "project.built"),
            "project.safety_facilities_commissioned_simultaneously": _bool(
                pro.get("safety_facilities_commissioned_simultaneously"), "project.commissioned"),
            "gas.fuel_used": _bool(gas.get("fuel_used"), "gas.fuel_used"),
            "gas.alarm.installed": _bool(alarm.get("installed"), "gas.alarm.installed"),
            "gas.alarm.working": _bool(alarm.get("working"), "gas.alarm.working"),
            "mhs.registered": _bool(mhs.get("registered"), "mhs.registered"),
            "mhs.tested_assessed_monitored": _bool(mhs.get("tested_assessed_monitored"), "mhs.tested"),
            "mhs.emergency_plan": _bool(mhs.get("emergency_plan"), "mhs.emergency_plan"),
            "mhs.workers_informed": _bool(mhs.get("workers_informed"), "mhs.workers_informed"),
            "mhs.filed": _bool(mhs.get("filed"), "mhs.filed"),
        }
        return decide(f)

    return decide_raw
