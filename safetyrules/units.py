"""Units and dimensions, with exact conversion factors.

A unit is a dimension (a tuple of ``(base, exponent)`` pairs, sorted) and an
exact factor to that dimension's base unit.  Factors are :class:`Fraction` so
that ``0.03 km`` becomes exactly ``30`` m, not ``30.000000000000004``.

The base units are SI for physical quantities (m, kg, Pa, s) and a named
base for the rest (``%`` for percent, ``person`` for counts, ``CNY`` for money).
"""

from __future__ import annotations

import contextlib
import contextvars
import types
from fractions import Fraction
from typing import Dict, Iterator, Mapping, Optional, Tuple, Union

import attrs

Dimension = Tuple[Tuple[str, int], ...]
DIMENSIONLESS: Dimension = ()


@attrs.frozen
class Unit:
    name: str
    dimension: Dimension
    factor: Fraction  # value_in_base = value * factor


def _dim(**exps: int) -> Dimension:
    return tuple(sorted((k, v) for k, v in exps.items() if v))


_LENGTH = _dim(length=1)
_AREA = _dim(length=2)
_VOLUME = _dim(length=3)
_MASS = _dim(mass=1)
_TIME = _dim(time=1)
# Pressure is kept as a base dimension of its own: nobody compares a pressure
# with kg/(m·s²), and its SI unit Pa is what the SPEC names as the base.
_PRESSURE = _dim(pressure=1)
_CONC = _dim(mass=1, length=-3)

_F = Fraction
UNITS: Dict[str, Unit] = {}


def _add(names, dimension, factor) -> None:
    for n in names.split():
        UNITS[n] = Unit(n, dimension, _F(factor))


_add("m", _LENGTH, 1)
_add("mm", _LENGTH, _F(1, 1000))
_add("cm", _LENGTH, _F(1, 100))
_add("km", _LENGTH, 1000)
_add("m2 m²", _AREA, 1)
_add("km2 km²", _AREA, 1000000)
_add("m3 m³", _VOLUME, 1)
_add("L l", _VOLUME, _F(1, 1000))
_add("mL ml", _VOLUME, _F(1, 1000000))
_add("kg", _MASS, 1)
_add("g", _MASS, _F(1, 1000))
_add("mg", _MASS, _F(1, 1000000))
_add("t", _MASS, 1000)
_add("Pa", _PRESSURE, 1)
_add("kPa", _PRESSURE, 1000)
_add("MPa", _PRESSURE, 1000000)
_add("bar", _PRESSURE, 100000)
_add("s", _TIME, 1)
_add("min", _TIME, 60)
_add("h", _TIME, 3600)
_add("d day", _TIME, 86400)
_add("week", _TIME, 7 * 86400)
# A civil year for durations such as equipment age; documented in docs/expressions.md.
_add("year a", _TIME, 365 * 86400)
_add("mg/m3 mg/m³", _CONC, _F(1, 1000000))
_add("g/m3 g/m³", _CONC, _F(1, 1000))
_add("kg/m3 kg/m³", _CONC, 1)
_add("m/s", _dim(length=1, time=-1), 1)
_add("m3/h", _dim(length=3, time=-1), _F(1, 3600))
_add("ppm", _dim(ppm=1), 1)
_add("%", _dim(percent=1), 1)
_add("%LEL", _dim(lel=1), 1)
_add("person people", _dim(count=1), 1)
_add("item pcs", _dim(count=1), 1)
_add("CNY yuan", _dim(money=1), 1)
_add("10k_CNY", _dim(money=1), 10000)
_add("degC °C", _dim(temperature=1), 1)
_add("kW", _dim(power=1), 1000)
_add("W", _dim(power=1), 1)
_add("kV", _dim(voltage=1), 1000)
_add("V", _dim(voltage=1), 1)

_DIM_NAMES = {
    _LENGTH: "length",
    _AREA: "area",
    _VOLUME: "volume",
    _MASS: "mass",
    _TIME: "time",
    _PRESSURE: "pressure",
    _CONC: "concentration",
}


@attrs.frozen
class UnitRegistry:
    """An immutable set of named units.

    The built-in units are :data:`DEFAULT`; a rule set that declares units of
    its own (``units:`` in its manifest) gets a new registry from
    :meth:`extend`, so its units never leak into another loaded rule set.
    """

    units: Mapping[str, Unit] = attrs.field(converter=lambda m: types.MappingProxyType(dict(m)), eq=False)

    def lookup(self, name: str) -> Optional[Unit]:
        """The unit called ``name``, or None."""
        return self.units.get(name)

    def names(self) -> list:
        """Every unit name, sorted."""
        return sorted(self.units)

    def extend(self, declared: Mapping[str, Mapping[str, object]]) -> "UnitRegistry":
        """A new registry with ``declared`` units added.

        Each entry is ``{dimension: NAME}`` (a new base unit of a new
        dimension) or ``{base: UNIT, factor: N}`` (1 unit = N ``UNIT``; the
        base may be a unit declared in the same mapping).  Raises
        :class:`ValueError` (with the unit's name) on a name already taken, an
        unknown base, or a declaration that is neither or both.
        """
        out: Dict[str, Unit] = dict(self.units)
        pending = dict(declared)
        while pending:
            progressed = False
            for name, decl in list(pending.items()):
                if name in self.units:
                    raise ValueError(f"unit '{name}' is already defined")
                dim, base, factor = decl.get("dimension"), decl.get("base"), decl.get("factor")
                if (dim is None) == (base is None):
                    raise ValueError(f"unit '{name}' needs either dimension: or base: with factor:")
                if dim is not None:
                    if factor is not None:
                        raise ValueError(f"unit '{name}': a new base unit has no factor:")
                    out[name] = Unit(name, _dim(**{str(dim): 1}), Fraction(1))
                elif base in out:
                    b = out[str(base)]
                    out[name] = Unit(name, b.dimension, b.factor * exact(factor if factor is not None else 1))  # type: ignore[arg-type]
                elif base in pending:
                    continue
                else:
                    raise ValueError(f"unit '{name}': unknown base unit '{base}'")
                del pending[name]
                progressed = True
            if not progressed:
                raise ValueError(f"units {', '.join(sorted(pending))} are defined in terms of each other")
        return UnitRegistry(out)


#: The built-in units.
DEFAULT = UnitRegistry(UNITS)
# Read-only from here on: a rule set's own units go in its own registry.
UNITS = DEFAULT.units  # type: ignore[assignment]

# The registry unit names are looked up in: the built-in one, or, while a rule
# set that declares units is loaded and checked, that rule set's.  A context
# variable (not a global) so that two threads loading two rule sets never see
# each other's units.
_CURRENT: contextvars.ContextVar = contextvars.ContextVar("safetyrules_units", default=DEFAULT)


def current() -> UnitRegistry:
    """The registry in force (:data:`DEFAULT` unless inside :func:`using`)."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(registry: UnitRegistry) -> Iterator[UnitRegistry]:
    """Look unit names up in ``registry`` inside the ``with`` block."""
    token = _CURRENT.set(registry)
    try:
        yield registry
    finally:
        _CURRENT.reset(token)


def lookup(name: str) -> Optional[Unit]:
    """The unit called ``name`` in the registry in force, or None."""
    return _CURRENT.get().units.get(name)


def dimension_name(dim: Dimension) -> str:
    """A readable name for a dimension (``length``, ``mass/length^3``...)."""
    if not dim:
        return "a plain number"
    if dim in _DIM_NAMES:
        return _DIM_NAMES[dim]
    return "·".join(b if e == 1 else f"{b}^{e}" for b, e in dim)


def multiply(a: Dimension, b: Dimension, sign: int = 1) -> Dimension:
    """The dimension of a product (sign=1) or a quotient (sign=-1)."""
    acc: Dict[str, int] = dict(a)
    for base, exp in b:
        acc[base] = acc.get(base, 0) + sign * exp
    return tuple(sorted((k, v) for k, v in acc.items() if v))


def exact(value: Union[int, float, Fraction, str]) -> Fraction:
    """An exact Fraction for a literal's text or a number."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def to_number(value: Fraction) -> Union[int, float]:
    """An int when the value is integral, else the nearest float."""
    if value.denominator == 1:
        return int(value.numerator)
    return float(value)


def convert(value: Union[int, float, Fraction], src: Unit, dst: Unit) -> Union[int, float]:
    """Convert ``value`` from unit ``src`` to unit ``dst`` exactly (same dimension)."""
    return to_number(exact(value) * src.factor / dst.factor)


def ratio(src: Unit, dst: Unit) -> Fraction:
    """The factor that turns a value in ``src`` into ``dst``."""
    return src.factor / dst.factor


def known_unit_names() -> list:
    """Every unit name of the registry in force, sorted."""
    return _CURRENT.get().names()
