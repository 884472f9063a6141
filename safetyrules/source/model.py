"""Rule-file records: schema-valid YAML → immutable attrs objects.

Expressions are parsed here (syntax errors are located in the file, at the
offending token); names, types and units are checked later, when the whole
rule set's vocabulary is known (:mod:`safetyrules.plan.link`).
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import attrs

from safetyrules import dsl
from safetyrules.dsl.types import FactSpec
from safetyrules.errors import ExpressionError, SafetyRulesError
from safetyrules.source.loader import Document, Loc
from safetyrules.limits import parse_date

__all__ = [
    "Expr",
    "Example",
    "Clause",
    "Standard",
    "Row",
    "Table",
    "Vocabulary",
    "Manifest",
    "build",
]


@attrs.frozen
class Expr:
    """An expression from a rule file: its text, parsed AST, and where it is."""

    text: str
    node: Any
    path: str
    loc: Loc
    mapper: Callable = attrs.field(eq=False, repr=False)

    def relocate(self, err: ExpressionError) -> ExpressionError:
        """Map an expression-relative error position into the rule file."""
        return err.relocate(
            self.path,
            lambda ln, col: self.mapper(ln, col).line,
            lambda ln, col: self.mapper(ln, col).column,
        )


@attrs.frozen
class Example:
    name: Optional[str]
    facts: Mapping[str, Any]
    expect: Any
    path: str
    loc: Loc
    index: int


@attrs.frozen
class Clause:
    id: str
    cite: Optional[str]
    severity: str
    when: Optional[Expr]  # None when it did not parse (the error is reported)
    unless: Optional[Expr] = None
    category: Optional[str] = None
    title: Mapping[str, str] = attrs.field(factory=dict)
    status: str = "verified"
    source: Optional[str] = None
    note: Optional[str] = None
    examples: Tuple[Example, ...] = ()
    loc: Loc = Loc(1, 1)


@attrs.frozen
class Standard:
    id: str
    version: Optional[str]
    clauses: Tuple[Clause, ...]
    title: Mapping[str, str] = attrs.field(factory=dict)
    document: Optional[str] = None
    source: Optional[str] = None
    status: str = "verified"
    effective_from: Optional[datetime.date] = None
    effective_until: Optional[datetime.date] = None
    supersedes: Tuple[str, ...] = ()
    applies_when: Optional[Expr] = None
    path: str = ""
    loc: Loc = Loc(1, 1)
    #: the lineage the standard is an edition of (``family:``; its id when absent)
    family: Optional[str] = None

    def in_force(self, day: datetime.date) -> bool:
        """True when ``day`` is inside ``effective`` (from inclusive, until exclusive)."""
        return in_effect(day, self.effective_from, self.effective_until)


def in_effect(day: datetime.date, start: Optional[datetime.date], until: Optional[datetime.date]) -> bool:
    """``effective`` semantics (SPEC §2): ``from`` inclusive, ``until`` exclusive."""
    return (start is None or day >= start) and (until is None or day < until)


@attrs.frozen
class Row:
    when: Optional[Expr]  # None when it did not parse (the error is reported)
    then: Any
    id: Optional[str] = None
    cite: Optional[str] = None
    title: Mapping[str, str] = attrs.field(factory=dict)
    loc: Loc = Loc(1, 1)


_NO_DEFAULT = object()


@attrs.frozen
class Table:
    id: str
    output: str
    rows: Tuple[Row, ...]
    hit: str = "first"
    default: Any = None
    has_default: bool = False
    version: Optional[str] = None
    title: Mapping[str, str] = attrs.field(factory=dict)
    document: Optional[str] = None
    source: Optional[str] = None
    status: str = "verified"
    examples: Tuple[Example, ...] = ()
    path: str = ""
    loc: Loc = Loc(1, 1)
    #: ``warn: {code, message}`` (collect tables): each collected value is also a decision warning
    warn_code: Optional[str] = None
    warn_message: Optional[str] = None


@attrs.frozen
class Vocabulary:
    id: str
    facts: Mapping[str, FactSpec]
    title: Mapping[str, str] = attrs.field(factory=dict)
    path: str = ""
    loc: Loc = Loc(1, 1)


@attrs.frozen
class Manifest:
    """A ``kind: ruleset`` manifest.

    ``extends`` names a bundled rule set whose files (and ``decision:``,
    unless this one gives its own) are inherited; ``units`` are the units the
    rule set declares (see :meth:`safetyrules.units.UnitRegistry.extend`).
    """

    id: str
    include: Tuple[str, ...]
    decision: Mapping[str, str] = attrs.field(factory=dict)
    title: Mapping[str, str] = attrs.field(factory=dict)
    path: str = ""
    loc: Loc = Loc(1, 1)
    extends: Optional[str] = None
    units: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)


# ---------------------------------------------------------------------------
# building


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.errors: List[SafetyRulesError] = []

    def expr(self, value: str, path: Tuple) -> Optional[Expr]:
        mapper = self.doc.scalar_mapper(path)
        loc = self.doc.loc(path)
        try:
            node = dsl.parse(value)
        except ExpressionError as err:
            e = Expr(value, None, self.doc.path, loc, mapper)
            self.errors.append(e.relocate(err))
            return None
        return Expr(value, node, self.doc.path, loc, mapper)

    def examples(self, items, path) -> Tuple[Example, ...]:
        out = []
        for i, ex in enumerate(items or ()):
            out.append(
                Example(
                    name=ex.get("name"),
                    facts=ex.get("facts") or {},
                    expect=ex.get("expect"),
                    path=self.doc.path,
                    loc=self.doc.loc(path + (i,)),
                    index=i,
                )
            )
        return tuple(out)

    def version(self, value: Any, path) -> Optional[str]:
        """A ``version:`` as text.  One written as a plain YAML number is the
        text written (``1.10`` stays "1.10", not "1.1"; ``0o17`` not "15")."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            s = self.doc.scalars.get(tuple(path))
            if s is not None and s.style is None:
                written = self.doc.text[s.start:s.end]
                if written.strip():
                    return written.strip()
        return str(value)

    def date(self, value: Optional[str], path) -> Optional[datetime.date]:
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.errors.append(self.doc.error(f"'{value}' is not a calendar date", path))
            return None

    def unique(self, items, what: str, path) -> None:
        seen: Dict[str, int] = {}
        for i, item in enumerate(items):
            ident = item.get("id")
            if ident is None:
                continue
            if ident in seen:
                first = self.doc.loc(path + (seen[ident], "id"))
                self.errors.append(
                    self.doc.error(
                        f"duplicate {what} id '{ident}' (first at line {first.line})",
                        path + (i, "id"),
                        code="E-DUPLICATE",
                    )
                )
            else:
                seen[ident] = i


def _spec(data: Mapping[str, Any], doc: Document, path) -> FactSpec:
    item = data.get("item")
    return FactSpec(
        type=data["type"],
        unit=data.get("unit"),
        values=tuple(data["values"]) if data.get("values") is not None else None,
        item={k: _spec(v, doc, path + ("item", k)) for k, v in item.items()} if item else None,
        min=data.get("min"),
        max=data.get("max"),
        title=data.get("title"),
        description=data.get("description"),
        key=data.get("key") if isinstance(data.get("key"), str) else None,
        source=(doc.path, doc.loc(path, key=True)),
    )


# Unit names written out in words, as authors type them, and the symbol meant.
_UNIT_WORDS = {
    "meter": "m", "metre": "m", "meters": "m", "metres": "m", "millimeter": "mm", "millimetre": "mm",
    "kilometer": "km", "kilometre": "km", "kilogram": "kg", "kilograms": "kg", "gram": "g", "ton": "t",
    "tons": "t", "tonne": "t", "tonnes": "t", "second": "s", "seconds": "s", "minute": "min", "minutes": "min",
    "hour": "h", "hours": "h", "days": "d", "year": "year", "years": "year", "percent": "%", "pascal": "Pa",
    "megapascal": "MPa", "kilopascal": "kPa", "liter": "L", "litre": "L", "persons": "person", "yuan": "CNY",
    "watt": "W", "kilowatt": "kW", "volt": "V", "kilovolt": "kV", "celsius": "degC",
}


def _check_name(b: _Builder, name: str, path, what: str) -> None:
    """A fact (or list field) name no expression could read: one of its
    segments is a reserved word (SPEC §3: ``and or not in true false``)."""
    from safetyrules.dsl.ast import RESERVED

    for seg in str(name).split("."):
        if seg in RESERVED:
            b.errors.append(
                b.doc.error(f"{what} '{name}': '{seg}' is a reserved word, so no expression could read it; rename it",
                            path, key=True, code="E-NAME")
            )
            return


# Keys of a fact declaration that only some types take (SPEC §2: keys a file
# kind does not define are errors); ``unit`` is checked with its name below.
_TYPED_KEYS = (
    ("values", ("enum", "list"), "enum and list"),
    ("item", ("list",), "list"),
    ("min", ("integer", "number"), "integer and number"),
    ("max", ("integer", "number"), "integer and number"),
)


def _check_units(b: _Builder, data, path) -> None:
    from safetyrules import units

    unit = data.get("unit")
    if unit is not None:
        if data.get("type") not in ("integer", "number"):
            b.errors.append(b.doc.error(f"only integer and number facts take a unit, not {data.get('type')}", path + ("unit",)))
        elif units.lookup(unit) is None:
            import difflib

            names = units.known_unit_names()
            close = [_UNIT_WORDS[unit.lower()]] if unit.lower() in _UNIT_WORDS else difflib.get_close_matches(unit, names, n=1)
            b.errors.append(
                b.doc.error(
                    f"unknown unit '{unit}'",
                    path + ("unit",),
                    code="E-UNIT",
                    # the hint names the units themselves: a pip install ships no docs/ pages
                    hint=f"did you mean '{close[0]}'?" if close else "the units are " + ", ".join(names)
                    + "; a rule set may declare more under units: in its manifest",
                )
            )
    t = data.get("type")
    for key, types, what in _TYPED_KEYS:
        if key in data and t not in types:
            b.errors.append(b.doc.error(f"only {what} facts take '{key}', not {t}", path + (key,), key=True))
    lo, hi = data.get("min"), data.get("max")
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and not isinstance(lo, bool) \
            and not isinstance(hi, bool) and hi < lo:
        b.errors.append(b.doc.error(f"max {hi} is less than min {lo}: no value could be given", path + ("max",)))
    for k, v in (data.get("item") or {}).items():
        _check_name(b, k, path + ("item", k), "list field")
        _check_units(b, v, path + ("item", k))
    key = data.get("key")
    if key is not None and key not in (data.get("item") or {}):
        # the field that names an item (supervision subjects) must be one of the item's fields
        b.errors.append(b.doc.error(f"key '{key}' is not a field of the list's items", path + ("key",), code="E-SCHEMA"))


def build(doc: Document) -> Tuple[Any, List[SafetyRulesError]]:
    """A schema-valid document → its record, plus errors found on the way."""
    b = _Builder(doc)
    d = doc.data
    kind = d["kind"]
    loc = doc.loc(())
    if kind == "vocabulary":
        facts = {}
        for name, spec in d["facts"].items():
            _check_name(b, name, ("facts", name), "fact")
            _check_units(b, spec, ("facts", name))
            facts[name] = _spec(spec, doc, ("facts", name))
        return Vocabulary(d["id"], facts, d.get("title") or {}, doc.path, loc), b.errors
    if kind == "ruleset":
        if "include" not in d and "extends" not in d:
            b.errors.append(doc.error("a manifest needs include: (its files) or extends: (a bundled rule set)", ("id",), key=True, code="E-SCHEMA"))
        return (
            Manifest(
                d["id"],
                tuple(d.get("include") or ()),
                d.get("decision") or {},
                d.get("title") or {},
                doc.path,
                loc,
                d.get("extends"),
                d.get("units") or {},
            ),
            b.errors,
        )
    if kind == "table":
        rows = []
        b.unique(d["rows"], "row", ("rows",))
        for i, r in enumerate(d["rows"]):
            e = b.expr(r["when"], ("rows", i, "when"))
            rows.append(Row(e, r["then"], r.get("id"), r.get("cite"), r.get("title") or {}, doc.loc(("rows", i))))
        return (
            Table(
                id=d["id"],
                output=d["output"],
                rows=tuple(rows),
                hit=d.get("hit", "first"),
                default=d.get("default"),
                has_default="default" in d,
                version=b.version(d.get("version"), ("version",)),
                title=d.get("title") or {},
                document=d.get("document"),
                source=d.get("source"),
                status=d.get("status", "verified"),
                examples=b.examples(d.get("examples"), ("examples",)),
                path=doc.path,
                loc=loc,
                warn_code=(d.get("warn") or {}).get("code"),
                warn_message=(d.get("warn") or {}).get("message"),
            ),
            b.errors,
        )
    # standard
    status = d.get("status", "verified")
    b.unique(d["clauses"], "clause", ("clauses",))
    clauses = []
    for i, c in enumerate(d["clauses"]):
        p = ("clauses", i)
        when = b.expr(c["when"], p + ("when",))
        unless = b.expr(c["unless"], p + ("unless",)) if c.get("unless") is not None else None
        clauses.append(
            Clause(
                id=c["id"],
                cite=c.get("cite"),
                severity=c["severity"],
                when=when,
                unless=unless,
                category=c.get("category"),
                title=c.get("title") or {},
                status=c.get("status", status),
                source=c.get("source"),
                note=c.get("note"),
                examples=b.examples(c.get("examples"), p + ("examples",)),
                loc=doc.loc(p),
            )
        )
    eff = d.get("effective") or {}
    applies = b.expr(d["applies_when"], ("applies_when",)) if d.get("applies_when") else None
    frm = b.date(eff.get("from"), ("effective", "from"))
    until = b.date(eff.get("until"), ("effective", "until"))
    if frm and until and until <= frm:
        b.errors.append(doc.error("effective.until must be after effective.from", ("effective", "until")))
    return (
        Standard(
            id=d["id"],
            version=b.version(d.get("version"), ("version",)),
            clauses=tuple(clauses),
            title=d.get("title") or {},
            document=d.get("document"),
            source=d.get("source"),
            status=status,
            effective_from=frm,
            effective_until=until,
            supersedes=tuple(eff.get("supersedes") or ()),
            applies_when=applies,
            path=doc.path,
            loc=loc,
            family=d.get("family"),
        ),
        b.errors,
    )
