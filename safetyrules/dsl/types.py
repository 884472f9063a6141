"""Types of the expression language and the vocabulary entries they come from."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import attrs

from .. import units

__all__ = ["FactSpec", "Type", "BOOL", "STRING", "DATE", "ANY", "FLEX", "PLAIN_INT", "type_of_spec"]

FACT_TYPES = ("bool", "integer", "number", "string", "enum", "date", "list")


@attrs.frozen
class FactSpec:
    """One declared fact: what a vocabulary says about it.

    ``item`` (lists only) maps each field of a list item to its FactSpec.
    ``source`` is where it was declared (``(path, line, column)``) for messages.
    """

    type: str
    unit: Optional[str] = None
    values: Optional[Tuple[str, ...]] = None
    item: Optional[Mapping[str, "FactSpec"]] = None
    min: Optional[float] = None
    max: Optional[float] = None
    title: Optional[Mapping[str, str]] = None
    description: Optional[str] = None
    #: (lists of records) the item field that names an item: a finding of a
    #: clause quantifying over the list names its items by it (``subjects``)
    key: Optional[str] = None
    source: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Type:
    """A static type.

    ``kind``: bool | number | string | date | list | record | any.
    Numbers carry the ``unit`` their run-time value is in (None: a plain
    number); ``flex`` marks a bare literal that takes the other side's unit.
    Strings with ``values`` are enums.  Lists have ``elem``; records ``fields``.
    """

    kind: str
    unit: Optional[units.Unit] = None
    flex: bool = False
    integer: bool = False
    values: Optional[Tuple[str, ...]] = None
    elem: Optional["Type"] = None
    fields: Optional[Tuple[Tuple[str, "Type"], ...]] = None
    fact: Optional[str] = attrs.field(default=None, eq=False)

    def describe(self) -> str:
        if self.kind == "number":
            if self.unit is not None:
                return f"a {units.dimension_name(self.unit.dimension)} in {self.unit.name}"
            return "a number"
        if self.kind == "string" and self.values is not None:
            return "an enum value"
        if self.kind == "list":
            return "a list"
        if self.kind == "record":
            return "a list item"
        return {"bool": "true/false", "string": "text", "date": "a date", "any": "a value"}.get(
            self.kind, self.kind
        )

    def field(self, name: str) -> Optional["Type"]:
        for k, t in self.fields or ():
            if k == name:
                return t
        return None


BOOL = Type("bool")
STRING = Type("string")
DATE = Type("date")
ANY = Type("any")
FLEX = Type("number", flex=True)
PLAIN_INT = Type("number", integer=True)


def type_of_spec(spec: FactSpec, name: Optional[str] = None) -> Type:
    """The static type of a declared fact."""
    t = spec.type
    if t == "bool":
        return Type("bool", fact=name)
    if t in ("integer", "number"):
        unit = units.lookup(spec.unit) if spec.unit else None
        return Type("number", unit=unit, integer=(t == "integer"), fact=name)
    if t == "string":
        return Type("string", fact=name)
    if t == "enum":
        return Type("string", values=tuple(spec.values or ()), fact=name)
    if t == "date":
        return Type("date", fact=name)
    if t == "list" and not spec.item and spec.values:
        # a list of enum values (e.g. entity.activities): items are plain strings
        return Type("list", elem=Type("string", values=tuple(spec.values)), fact=name)
    if t == "list":
        fields = tuple(
            (k, type_of_spec(v, f"{name}[].{k}" if name else k)) for k, v in (spec.item or {}).items()
        )
        return Type("list", elem=Type("record", fields=fields), fact=name)
    return Type("any", fact=name)
