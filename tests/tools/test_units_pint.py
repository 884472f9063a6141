"""Every unit factor of safetyrules.units against pint, a test-only oracle.

Physical units are checked against pint's own definitions (a wrong
``mg/m3`` factor fails here). The project's own bases — counts, money,
percent, ppm, %LEL, °C as a temperature *difference* scale — are defined
for pint below from their meaning (1 万元 = 10 000 yuan), so their factors
are checked against that meaning, not copied. ``year``/``a`` is the civil
year of 365 days (docs/expressions.md), not pint's Julian year.
"""

from fractions import Fraction

import pint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetyrules import units

UREG = pint.UnitRegistry()
for line in (
    "civil_year = 365 * day", "cny_money = [money]", "wan_cny = 10000 * cny_money", "person_count = [count]",
    "lel_fraction = [lel]", "ppm_count = [ppm]", "percent_point = [percent]", "degc_diff = [temperature_scale]",
):
    UREG.define(line)

# our name -> the same unit written for pint
PINT = {
    "m": "meter", "mm": "millimeter", "cm": "centimeter", "km": "kilometer",
    "m2": "meter**2", "m²": "meter**2", "km2": "kilometer**2", "km²": "kilometer**2",
    "m3": "meter**3", "m³": "meter**3", "L": "liter", "l": "liter", "mL": "milliliter", "ml": "milliliter",
    "kg": "kilogram", "g": "gram", "mg": "milligram", "t": "metric_ton",
    "Pa": "pascal", "kPa": "kilopascal", "MPa": "megapascal", "bar": "bar",
    "s": "second", "min": "minute", "h": "hour", "d": "day", "day": "day", "week": "week",
    "year": "civil_year", "a": "civil_year",
    "mg/m3": "milligram / meter**3", "mg/m³": "milligram / meter**3", "g/m3": "gram / meter**3",
    "g/m³": "gram / meter**3", "kg/m3": "kilogram / meter**3", "kg/m³": "kilogram / meter**3",
    "m/s": "meter / second", "m3/h": "meter**3 / hour",
    "kW": "kilowatt", "W": "watt", "kV": "kilovolt", "V": "volt",
    "CNY": "cny_money", "yuan": "cny_money", "10k_CNY": "wan_cny",
    "person": "person_count", "people": "person_count", "item": "person_count", "pcs": "person_count",
    "%": "percent_point", "%LEL": "lel_fraction", "ppm": "ppm_count", "degC": "degc_diff", "°C": "degc_diff",
}
# the base unit of each of our dimensions, for pint
BASE = {
    (("length", 1),): "meter", (("length", 2),): "meter**2", (("length", 3),): "meter**3",
    (("mass", 1),): "kilogram", (("time", 1),): "second", (("pressure", 1),): "pascal",
    (("length", -3), ("mass", 1)): "kilogram / meter**3", (("length", 1), ("time", -1)): "meter / second",
    (("length", 3), ("time", -1)): "meter**3 / second", (("power", 1),): "watt", (("voltage", 1),): "volt",
    (("money", 1),): "cny_money", (("count", 1),): "person_count", (("percent", 1),): "percent_point",
    (("lel", 1),): "lel_fraction", (("ppm", 1),): "ppm_count", (("temperature", 1),): "degc_diff",
}
NAMES = sorted(units.UNITS)


def test_every_unit_has_an_oracle():
    assert sorted(PINT) == NAMES
    assert {u.dimension for u in units.UNITS.values()} <= set(BASE)


@pytest.mark.parametrize("name", NAMES)
def test_factor_matches_pint(name):
    unit = units.UNITS[name]
    q = UREG.Quantity(1, PINT[name]).to(BASE[unit.dimension])
    assert float(unit.factor) == pytest.approx(q.magnitude, rel=1e-12), (name, unit.factor, q)


@pytest.mark.parametrize("name", NAMES)
def test_same_dimension_as_pint_says(name):
    # two of our units share a dimension exactly when pint can convert between them
    for other in NAMES:
        ours = units.UNITS[name].dimension == units.UNITS[other].dimension
        theirs = UREG.Quantity(1, PINT[name]).is_compatible_with(UREG.Quantity(1, PINT[other]))
        if BASE[units.UNITS[name].dimension] == "pascal" or BASE[units.UNITS[other].dimension] == "pascal":
            # pressure is a base dimension of its own here (units.py), so it is compared only with pressures
            theirs = theirs and (BASE[units.UNITS[name].dimension] == BASE[units.UNITS[other].dimension])
        assert ours == theirs, (name, other)


pairs = st.sampled_from(NAMES).flatmap(
    lambda a: st.tuples(st.just(a), st.sampled_from([b for b in NAMES if units.UNITS[b].dimension == units.UNITS[a].dimension]))
)


@settings(max_examples=300, deadline=None)
@given(pairs, st.fractions(min_value=-10**6, max_value=10**6, max_denominator=1000))
def test_convert_matches_pint(pair, value):
    a, b = pair
    got = units.convert(value, units.UNITS[a], units.UNITS[b])
    want = UREG.Quantity(Fraction(value), PINT[a]).to(PINT[b]).magnitude
    assert float(got) == pytest.approx(float(want), rel=1e-9, abs=1e-12)
