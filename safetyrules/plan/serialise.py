"""Plan ⇄ JSON: a closed, data-only codec.

Every object is written as ``{"@": "ClassName", field: value, ...}`` using
only the classes registered here (the plan's records, fact specs, static
types, units and AST nodes); mappings as ``{"@m": [[key, value], ...]}`` (key
order and key types kept), tuples as arrays, dates, fractions and
non-finite floats tagged.  Reading refuses any other class name, so a plan
file can describe a rule set but never name code to run.  Output is
canonical: the same plan always gives the same bytes.
"""

from __future__ import annotations

import datetime
import json
import math
from fractions import Fraction
from typing import Any, Dict, Iterable, Mapping

import attrs

from safetyrules import units
from safetyrules.dsl import ast as A
from safetyrules.dsl.types import FactSpec, Type
from safetyrules.errors import SafetyRulesError
from safetyrules.frozen import FrozenDict

__all__ = ["dumps", "loads", "FORMAT"]

FORMAT = "safetyrules-plan/1"

# The classes below the plan (fact specs, types, units, AST nodes).  The
# plan's own records are passed in by the caller (``Plan.to_json`` gives
# ``plan.model.plan_records()``, every record class of the model), so this
# module does not import the model, which imports it: no cycle.
_CLASSES: Dict[str, type] = {}
for _c in (FactSpec, Type, units.Unit, A.Span):
    _CLASSES[_c.__name__] = _c
for _name in dir(A):
    _obj = getattr(A, _name)
    if isinstance(_obj, type) and issubclass(_obj, A.Node) and attrs.has(_obj):
        _CLASSES[_name] = _obj

# fields that are views or callbacks, not data
_SKIP = {("FactSpec", "source"), ("PlanExpr", "mapper")}
# optional fields written only when set (None is their default): a plan that
# does not use them has the bytes it had before they were added
_OMIT_NONE = {("PlanClause", "provenance")}


def _fields(cls: type):
    return [f for f in attrs.fields(cls) if f.init and (cls.__name__, f.name) not in _SKIP]


def _classes(records: Iterable[type]) -> Mapping[str, type]:
    out = dict(_CLASSES)
    for c in records:
        if not attrs.has(c):
            raise SafetyRulesError(f"{c!r} is not a record class")
        out[c.__name__] = c
    return out


def _enc(v: Any, classes: Mapping[str, type]) -> Any:
    if v is None or v is True or v is False or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        return {"@float": repr(v)}
    if isinstance(v, Fraction):
        return {"@frac": f"{v.numerator}/{v.denominator}"}
    if isinstance(v, datetime.date) and not isinstance(v, datetime.datetime):
        return {"@date": v.isoformat()}
    if isinstance(v, (tuple, list)):
        return [_enc(x, classes) for x in v]
    if isinstance(v, (dict, FrozenDict)):
        return {"@m": [[_enc(k, classes), _enc(x, classes)] for k, x in v.items()]}
    cls = type(v)
    if classes.get(cls.__name__) is cls:
        out = {"@": cls.__name__}
        name = cls.__name__
        for f in _fields(cls):
            x = getattr(v, f.name)
            if x is None and (name, f.name) in _OMIT_NONE:
                continue
            out[f.name] = _enc(x, classes)
        return out
    raise SafetyRulesError(f"cannot serialise a {cls.__name__} in a plan")


def _dec(v: Any, classes: Mapping[str, type]) -> Any:
    if isinstance(v, list):
        return tuple(_dec(x, classes) for x in v)
    if not isinstance(v, dict):
        return v
    if "@m" in v:
        return FrozenDict((_dec(k, classes), _dec(x, classes)) for k, x in v["@m"])
    if "@date" in v:
        return datetime.date.fromisoformat(v["@date"])
    if "@frac" in v:
        return Fraction(v["@frac"])
    if "@float" in v:
        text = v["@float"]
        if text not in ("nan", "inf", "-inf"):
            raise SafetyRulesError(f"bad float {text!r} in a plan")
        return float(text)
    name = v.get("@")
    cls = classes.get(name) if isinstance(name, str) else None
    if cls is None:
        raise SafetyRulesError(f"unknown record {name!r} in a plan")
    kwargs = {}
    for f in _fields(cls):
        if f.name in v:
            kwargs[f.name] = _dec(v[f.name], classes)
    return cls(**kwargs)


def dumps(plan: Any, records: Iterable[type] = ()) -> str:
    """Canonical JSON text of a plan; ``records`` are the plan's own record
    classes (besides specs, types, units and AST nodes)."""
    doc = {"format": FORMAT, "plan": _enc(plan, _classes(records))}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def loads(text: str, records: Iterable[type] = ()) -> Any:
    """Read a plan naming only ``records`` and the classes below the plan;
    any malformed document raises :class:`SafetyRulesError`."""
    classes = _classes(records)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SafetyRulesError(f"not a plan: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SafetyRulesError(f"not a plan (expected format {FORMAT!r})")
    try:
        return _dec(doc["plan"], classes)
    except SafetyRulesError:
        raise
    except (TypeError, ValueError, KeyError, RecursionError, ZeroDivisionError) as exc:
        raise SafetyRulesError(f"malformed plan: {exc}") from None
