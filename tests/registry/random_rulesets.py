"""Random small rule sets and registries for differential tests of SPEC §9.

:func:`rulesets` draws a rule set (as file texts) over a fixed vocabulary
with a fact of every type: bool, integer (plain and with a unit), number
(lengths in two units, a mass, plain), string, enum, date, a list of enum
values and a list of records.  Its 1-3 standards have random
``applies_when``, ``effective`` dates and ``supersedes``; its clauses
random ``when``/``unless`` built from every operator and function of SPEC
§3 (arithmetic, division by zero, ``in``/``not in`` with empty lists,
``at_least``, ``any``/``all``/``count``/``sum`` with nested conditions over
item fields, ``min``/``max``/``abs``/``len``/``days``, ``known``).  Tables
of every hit policy derive facts that feed later tables and clauses, and
grading tables read ``findings.*``; the manifest maps ``decision:`` to some
of them (or to input facts).

:func:`registries` draws records for a drawn rule set (~20 % unknowns,
empty and null lists, items with unknown fields, derived facts sometimes
given) and :func:`check_backends` compares every backend row for row with
``rules.evaluate``.  Expressions are built typed, so every drawn rule set
loads (a rule set that does not is a failure of the generator or of the
loader, not skipped).
"""

from __future__ import annotations

import datetime
import math
import os

import yaml
from hypothesis import strategies as st

LEN_UNITS = ("m", "mm", "cm", "km")
MASS_UNITS = ("kg", "t", "g")
TIME_UNITS = ("d", "day", "week", "year", "h")
ENUM_E = ("a", "b", "c")
ITEM_K = ("p", "q")
#: Days the standards' effective dates and the decisions' as_of are drawn from.
DAYS = tuple(datetime.date.fromisoformat(d) for d in ("2023-12-31", "2024-01-01", "2024-03-01", "2024-06-30",
                                                       "2024-07-01"))
DATE_POOL = tuple(datetime.date.fromisoformat(d) for d in (
    "2023-12-31", "2024-01-01", "2024-03-01", "2020-02-29", "1970-01-01", "1969-12-31", "2024-02-29",
    "2100-01-01", "1900-03-01"))
STRINGS = ("", "a", "b", "B", "x'y", "é", "😀", "ﬀ", " a", "a\\b", 'q"')
PLAIN_INTS = (0, 1, 2, 3, 5, 10, 11, 100)
NUMS = (0, 0.5, 1, 2.5, 3, 10, 0.1, 0.3, 30, 1000)
OUT_ENUMS = ("r", "o", "y", "g")


def lit_string(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def lit_num(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


class Gen:
    """Draws well-typed expression text node by node under a budget.

    ``outputs`` maps a derived fact the expression may read to its
    (type, values); ``findings`` adds the findings counts (grading tables).
    Numbers are (text, flex): ``flex`` is a bare number with no unit of its
    own, which takes the unit of what it meets."""

    def __init__(self, draw, units, outputs, findings=False, budget=8):
        self.draw = draw
        self.units = units
        self.outputs = outputs
        self.findings = findings
        self.budget = budget
        self.vars = 0

    def pick(self, xs):
        return self.draw(st.sampled_from(list(xs)))

    def grow(self):
        if self.budget <= 0 or self.draw(st.integers(0, 2)) == 0:
            return False
        self.budget -= 1
        return True

    def var(self):
        self.vars += 1
        return f"v{self.vars}"

    # -- numbers -------------------------------------------------------

    def literal(self, dim, bare_ok=True):
        if dim == "plain" or (bare_ok and self.draw(st.booleans())):
            v = self.pick(NUMS + PLAIN_INTS)
            return lit_num(v), True
        unit = {"length": LEN_UNITS, "mass": MASS_UNITS, "time": TIME_UNITS, "count": ("person",)}[dim]
        return f"{lit_num(self.pick(NUMS))} {self.pick(unit)}", False

    def anchored(self, dim, scope):
        """A number of ``dim`` with a unit of its own (not flex)."""
        facts = {"length": ["x1", "x2"], "mass": ["w"], "count": ["i1"], "plain": ["i2", "x3"],
                 "time": []}[dim][:]
        facts += [f"{v}.h" for v, k in scope.items() if k == "item" and dim == "length"]
        facts += [f"{v}.n" for v, k in scope.items() if k == "item" and dim == "plain"]
        facts += [v for v, k in scope.items() if k == "num" and dim == "plain"]
        facts += [o for o, (t, _) in self.outputs.items() if t in ("integer", "number") and dim == "plain"]
        if self.findings and dim == "plain":
            facts += ["findings.major", "findings.general", "findings.undetermined", "findings.major_undetermined"]
        if dim == "time":
            return f"days({self.date(scope)}, {self.date(scope)})", False
        if dim == "plain" and self.draw(st.integers(0, 4)) == 0:
            return f"len({self.pick(['items', 'acts'])})", False
        if facts and self.draw(st.integers(0, 3)) > 0:
            return self.pick(facts), False
        return self.literal(dim, bare_ok=False)

    def num(self, dim, scope, depth=0):
        if not self.grow():
            if self.draw(st.integers(0, 3)) == 0:
                return self.literal(dim)
            return self.anchored(dim, scope)
        choices = ["add", "add", "mul", "div", "neg", "abs", "minmax"]
        if dim == "plain":
            choices += ["ratio", "count", "div"]
        if depth < 2 and dim in ("plain", "length"):
            choices.append("sum")
        c = self.pick(choices)
        if c == "add":
            (a, fa), (b, fb) = self.num(dim, scope, depth), self.num(dim, scope, depth)
            return f"({a} {self.pick('+-')} {b})", fa and fb
        if c in ("mul", "div"):
            a, fa = self.num(dim, scope, depth)
            if fa and dim != "plain":
                a, fa = self.anchored(dim, scope)
            b, fb = self.num("plain", scope, depth) if self.draw(st.booleans()) else self.literal("plain")
            if c == "div" and self.draw(st.integers(0, 3)) == 0:
                b, fb = self.pick(["0", "i2", "(i2 - i2)", "x3"]), False
            if c == "mul" and dim != "plain" and self.draw(st.booleans()):
                return f"({b} * {a})", False
            return f"({a} {'*' if c == 'mul' else '/'} {b})", fa and fb
        if c == "neg":
            a, fa = self.num(dim, scope, depth)
            return f"(-{a})", fa
        if c == "abs":
            a, fa = self.num(dim, scope, depth)
            return f"abs({a})", fa
        if c == "minmax":
            args = [self.num(dim, scope, depth) for _ in range(self.draw(st.integers(1, 3)))]
            return f"{self.pick(['min', 'max'])}({', '.join(a for a, _ in args)})", all(f for _, f in args)
        if c == "ratio":
            return f"({self.anchored('length', scope)[0]} / {self.anchored('length', scope)[0]})", False
        v = self.var()
        inner = dict(scope)
        if c == "count":
            src, kind = self.source()
            inner[v] = kind
            return f"count({v} in {src}: {self.bool(inner, depth + 1)})", False
        inner[v] = "item"
        if dim == "length":
            body = f"({v}.h {self.pick('+-')} {self.num(dim, inner, depth + 1)[0]})"
        else:
            body = self.num(dim, inner, depth + 1)[0]
        return f"sum({v} in items: {body})", False

    # -- other values ------------------------------------------------------

    def date(self, scope):
        opts = ["d1", "d2", "lit"] + [f"{v}.dt" for v, k in scope.items() if k == "item"]
        c = self.pick(opts + ["minmax"] if self.budget > 0 else opts)
        if c == "lit":
            return self.pick(DATE_POOL).isoformat()
        if c == "minmax":
            self.budget -= 1
            return f"{self.pick(['min', 'max'])}({self.date(scope)}, {self.date(scope)})"
        return c

    def string(self, scope):
        opts = ["s", "lit"] + [f"{v}.nm" for v, k in scope.items() if k == "item"]
        opts += [o for o, (t, _) in self.outputs.items() if t == "string"]
        c = self.pick(opts)
        return lit_string(self.pick(STRINGS)) if c == "lit" else c

    def source(self):
        c = self.pick(["items", "items", "acts", "numlist"])
        if c == "numlist":
            xs = [self.pick(["i2", "x3", "1", "7", "2.5"]) for _ in range(self.draw(st.integers(0, 3)))]
            return f"[{', '.join(xs)}]", "num"
        return c, ("item" if c == "items" else "act")

    def enum_side(self, scope):
        """(text, values) of an enum-valued expression."""
        opts = [("e", ENUM_E)] + [(f"{v}.k", ITEM_K) for v, k in scope.items() if k == "item"]
        opts += [(v, ENUM_E) for v, k in scope.items() if k == "act"]
        opts += [(o, vals) for o, (t, vals) in self.outputs.items() if t == "enum"]
        return opts[self.draw(st.integers(0, len(opts) - 1))]

    # -- conditions ----------------------------------------------------------

    def leaf(self, scope):
        c = self.pick(["lit", "fact", "fact", "enum", "enum_in", "string", "date", "known", "acts", "collect"])
        if c == "lit":
            return self.pick(["true", "false"])
        if c == "fact":
            facts = ["b1", "b2"] + [f"{v}.ok" for v, k in scope.items() if k == "item"]
            facts += [o for o, (t, _) in self.outputs.items() if t == "bool"]
            return self.pick(facts)
        if c == "enum":
            text, values = self.enum_side(scope)
            if self.draw(st.integers(0, 4)) == 0:
                other, _ = self.enum_side(scope)
                return f"({text} {self.pick(['==', '!='])} {other})"
            return f"({text} {self.pick(['==', '!='])} {lit_string(self.pick(values))})"
        if c == "enum_in":
            text, values = self.enum_side(scope)
            xs = self.draw(st.lists(st.sampled_from(values), max_size=3))
            return f"({text} {self.pick(['in', 'not in'])} [{', '.join(map(lit_string, xs))}])"
        if c == "string":
            return f"({self.string(scope)} {self.pick(['==', '!=', '<', '<=', '>', '>='])} {self.string(scope)})"
        if c == "date":
            return f"({self.date(scope)} {self.pick(['==', '!=', '<', '<=', '>', '>='])} {self.date(scope)})"
        if c == "known":
            paths = ["b1", "i2", "x1", "s", "e", "d1", "items", "acts"] + list(self.outputs)
            paths += [f"{v}.{f}" for v, k in scope.items() if k == "item" for f in ("n", "h", "ok")]
            return f"known({self.pick(paths)})"
        if c == "acts":
            if self.draw(st.booleans()):
                xs = self.draw(st.lists(st.sampled_from(ENUM_E), max_size=2))
                return f"(acts {self.pick(['==', '!='])} [{', '.join(map(lit_string, xs))}])"
            return f"({lit_string(self.pick(ENUM_E))} {self.pick(['in', 'not in'])} acts)"
        collects = [(o, vals) for o, (t, vals) in self.outputs.items() if t == "collect"]
        if not collects:
            return self.pick(["b1", "true"])
        o, vals = collects[self.draw(st.integers(0, len(collects) - 1))]
        if self.draw(st.integers(0, 3)) == 0:
            return f"(len({o}) {self.pick(['>=', '=='])} {self.draw(st.integers(0, 2))})"
        return f"({lit_string(self.pick(vals))} {self.pick(['in', 'not in'])} {o})"

    def bool(self, scope=None, depth=0):
        scope = scope or {}
        if not self.grow():
            return self.leaf(scope)
        choices = ["not", "and", "or", "cmp", "cmp", "cmp", "in", "at_least"]
        if depth < 2:
            choices += ["quant", "quant"]
        c = self.pick(choices)
        if c == "not":
            return f"(not {self.bool(scope, depth)})"
        if c in ("and", "or"):
            ops = [self.bool(scope, depth) for _ in range(self.draw(st.integers(2, 3)))]
            return "(" + f" {c} ".join(ops) + ")"
        if c == "cmp":
            dim = self.pick(["plain", "plain", "length", "mass", "time", "count"])
            a, fa = self.num(dim, scope, depth)
            b, fb = self.num(dim, scope, depth)
            return f"({a} {self.pick(['==', '!=', '<', '<=', '>', '>='])} {b})"
        if c == "in":
            dim = self.pick(["plain", "length"])
            a, _ = self.num(dim, scope, depth)
            xs = [self.literal(dim)[0] for _ in range(self.draw(st.integers(0, 3)))]
            return f"({a} {self.pick(['in', 'not in'])} [{', '.join(xs)}])"
        if c == "at_least":
            n = self.pick(["0", "1", "2", "3", "1.5", "i2", "-1"])
            conds = [self.bool(scope, depth) for _ in range(self.draw(st.integers(1, 3)))]
            return f"at_least({n}, {', '.join(conds)})"
        v = self.var()
        src, kind = self.source()
        inner = dict(scope)
        inner[v] = kind
        body = self.bool(inner, depth + 1)
        if kind == "num":
            body = f"({v} > {self.pick(['0', '2', 'x3', 'i2'])} {self.pick(['and', 'or'])} {body})"
        return f"{self.pick(['any', 'all'])}({v} in {src}: {body})"


def _vocabulary(draw):
    u = {"x1": draw(st.sampled_from(LEN_UNITS)), "x2": draw(st.sampled_from(LEN_UNITS)),
         "h": draw(st.sampled_from(LEN_UNITS)), "w": draw(st.sampled_from(MASS_UNITS))}
    e = draw(st.permutations(ENUM_E))
    facts = {
        "entity.id": {"type": "string"},
        "b1": {"type": "bool"},
        "b2": {"type": "bool"},
        "i1": {"type": "integer", "unit": "person", "min": 0},
        "i2": {"type": "integer"},
        "x1": {"type": "number", "unit": u["x1"]},
        "x2": {"type": draw(st.sampled_from(["number", "integer"])), "unit": u["x2"]},
        "x3": {"type": "number"},
        "w": {"type": "number", "unit": u["w"]},
        "s": {"type": "string"},
        "e": {"type": "enum", "values": list(e)},
        "d1": {"type": "date"},
        "d2": {"type": "date"},
        "acts": {"type": "list", "values": list(ENUM_E)},
        "items": {"type": "list", "item": {
            "k": {"type": "enum", "values": list(ITEM_K)},
            "n": {"type": "integer"},
            "h": {"type": "number", "unit": u["h"]},
            "ok": {"type": "bool"},
            "dt": {"type": "date"},
            "nm": {"type": "string"},
        }},
    }
    return facts, u


OUT_TYPES = ("enum", "bool", "integer", "number", "string")


def _then(draw, typ, values):
    if typ in ("enum", "collect"):
        return draw(st.sampled_from(values))
    if typ == "bool":
        return draw(st.booleans())
    if typ == "integer":
        return draw(st.sampled_from([0, 1, 7, -2, 3]))
    if typ == "number":
        # floats: an integral literal (3) is '3' in rules.evaluate's decision
        # text but a float on the columnar backends ('3.0'), see the report
        return draw(st.sampled_from([0.5, 3.0, 2.5, 0.1, -1.25, 1000000.0]))
    return draw(st.sampled_from(["x", "é", "y'z", "10", "true"]))


def _table(draw, tid, gen, outputs, hit=None):
    hit = hit or draw(st.sampled_from(["first", "unique", "priority", "collect"]))
    typ = "enum" if hit == "priority" else "collect" if hit == "collect" else draw(st.sampled_from(OUT_TYPES))
    values = list(draw(st.permutations(OUT_ENUMS)))[: draw(st.integers(2, 4))]
    out = f"t.{tid}"
    rows = [{"id": f"r{i}", "when": gen.bool(), "then": _then(draw, typ, values)}
            for i in range(draw(st.integers(1, 4)))]
    doc = {"kind": "table", "id": tid, "output": out}
    if hit != "first" or draw(st.booleans()):
        doc["hit"] = hit
    doc["rows"] = rows
    if hit != "collect" and draw(st.integers(0, 2)) == 0:
        doc["default"] = _then(draw, typ, values)
    spec = {"type": "enum", "values": values} if typ in ("enum", "collect") else {"type": typ}
    outputs[out] = (typ, tuple(values))
    return doc, out, spec


@st.composite
def rulesets(draw, budget=8):
    """A random rule set: ``{"files": {name: text}, "derived": {fact: spec}, ...}``."""
    facts, units = _vocabulary(draw)
    files = {}
    outputs = {}
    derived = {}
    include = ["v.yaml"]

    def gen(findings=False):
        return Gen(draw, units, dict(outputs), findings=findings, budget=budget)

    for i in range(draw(st.integers(0, 3))):
        doc, out, spec = _table(draw, f"pre{i}", gen(), outputs)
        derived[out] = spec
        files[f"pre{i}.yaml"] = doc
        include.append(f"pre{i}.yaml")
    ids = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    for j, sid in enumerate(ids):
        doc = {"kind": "standard", "id": sid, "version": "1"}
        if draw(st.integers(0, 2)) == 0:
            lo = draw(st.sampled_from(DAYS))
            hi = draw(st.sampled_from((None,) + tuple(d for d in DAYS if d > lo)))
            eff = {"from": lo.isoformat()}
            if hi is not None:
                eff["until"] = hi.isoformat()
            if j > 0 and draw(st.integers(0, 2)) == 0:
                eff["supersedes"] = [ids[draw(st.integers(0, j - 1))]]
            doc["effective"] = eff
        if draw(st.booleans()):
            doc["applies_when"] = gen().bool()
        clauses = []
        for k in range(draw(st.integers(1, 4))):
            c = {"id": f"c{k}", "cite": f"C{k}", "severity": draw(st.sampled_from(["major", "general"])),
                 "when": gen().bool()}
            if draw(st.integers(0, 2)) == 0:
                c["unless"] = gen().bool()
            clauses.append(c)
        doc["clauses"] = clauses
        files[f"{sid}.yaml"] = doc
        include.append(f"{sid}.yaml")
    grading = []
    for i in range(draw(st.integers(0, 2))):
        doc, out, spec = _table(draw, f"post{i}", gen(findings=True), outputs)
        derived[out] = spec
        files[f"post{i}.yaml"] = doc
        include.append(f"post{i}.yaml")
        grading.append(out)
    facts.update(derived)
    files["v.yaml"] = {"kind": "vocabulary", "id": "v", "facts": facts}
    candidates = sorted(derived) + ["e", "b1", "i2", "x3", "s", "d1"]
    decision = {}
    for key in ("level", "tier", "inspection"):
        if draw(st.integers(0, 3)) > 0:
            decision[key] = draw(st.sampled_from(candidates))
    files["ruleset.yaml"] = {"kind": "ruleset", "id": "random", "include": include, "decision": decision}
    texts = {name: yaml.safe_dump(doc, allow_unicode=True, sort_keys=False) for name, doc in files.items()}
    collect = sorted(o for o, (t, _) in outputs.items() if t == "collect")
    return {"files": texts, "derived": derived, "facts": facts, "collect": collect}


def write(d, ruleset):
    for name, text in ruleset["files"].items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    return os.path.join(d, "ruleset.yaml")


# -- records ------------------------------------------------------------------

class _Unknown:
    """Absent from the record; a null (or NaN) cell in the table."""

    def __repr__(self):
        return "UNKNOWN"

    def __reduce__(self):  # one marker, also after pickling
        return "UNKNOWN"


UNKNOWN = _Unknown()


def _value(draw, name, spec):
    t = spec["type"]
    if t == "bool":
        return draw(st.booleans())
    if t == "integer":
        if name == "i1":
            return draw(st.sampled_from([0, 1, 10, 99, 100, 101, 1000]))
        return draw(st.one_of(st.sampled_from((-3, -1) + PLAIN_INTS), st.sampled_from([2 ** 31, -(2 ** 31) - 7])
                              if draw(st.integers(0, 9)) == 0 else st.sampled_from(PLAIN_INTS)))
    if t == "number":
        # floats, as a float64 column holds them (rules.evaluate writes 30 as '30', 30.0 as '30.0')
        return draw(st.sampled_from((0.0, -0.0, 0.1, 0.3, 0.5, 1.0, 2.5, 3.0, 10.0, 30.0, 1000.0, 1e-9, 1e15,
                                     1e16, 0.30000000000000004, -2.5, 123456789.125)))
    if t == "string":
        return draw(st.sampled_from(STRINGS))
    if t in ("enum",):
        return draw(st.sampled_from(spec["values"]))
    if t == "date":
        return draw(st.sampled_from(DATE_POOL))
    if t == "list" and "values" in spec:
        return draw(st.lists(st.sampled_from(spec["values"]), max_size=3))
    items = []
    for _ in range(draw(st.integers(0, 3))):
        item = {}
        for k, fs in spec["item"].items():
            if draw(st.integers(0, 4)) == 0:
                if draw(st.booleans()):
                    item[k] = None
                continue
            item[k] = _value(draw, k, fs)
        items.append(item)
    return items


@st.composite
def records(draw, ruleset, max_size=10):
    facts = ruleset["facts"]
    derived = ruleset["derived"]
    names = sorted(n for n in facts if n not in derived or draw(st.integers(0, 4)) == 0)
    out = []
    for _ in range(draw(st.integers(1, max_size))):
        rec = {}
        for n in names:
            spec = facts[n]
            if n in derived:
                if n not in ruleset["collect"] and draw(st.integers(0, 2)) == 0:
                    rec[n] = _value(draw, n, spec)
                continue
            if n == "entity.id":
                rec[n] = draw(st.sampled_from(["e1", "e2", "", "ü"])) if draw(st.integers(0, 4)) else UNKNOWN
                continue
            if draw(st.integers(0, 4)) == 0:
                rec[n] = UNKNOWN
                continue
            rec[n] = _value(draw, n, spec)
        out.append(rec)
    return out


def clean(rec):
    """A record as ``rules.evaluate`` takes it: unknowns absent."""
    return {k: v for k, v in rec.items() if v is not UNKNOWN}


def arrow_of(rules, recs, all_columns=False, nan=False):
    import pyarrow as pa

    from safetyrules.backends.columnar_io import arrow_type

    vocab = rules.plan.facts
    names = sorted(rules.plan.input_facts()) if all_columns else sorted({k for r in recs for k in r})
    cols = []
    for n in names:
        vals = [r.get(n, UNKNOWN) for r in recs]
        typ = arrow_type(vocab[n])
        if nan and typ == pa.float64():
            vals = [math.nan if v is UNKNOWN else v for v in vals]
        cols.append(pa.array([None if v is UNKNOWN else v for v in vals], typ))
    if not names:
        return pa.table({"__none": pa.nulls(len(recs))}).drop(["__none"])
    return pa.Table.from_arrays(cols, names=names)


def reference_row(rules, decision):
    return {
        "level": None if decision.level is None else _text(decision.level),
        "tier": None if decision.tier is None else _text(decision.tier),
        "inspection": None if decision.inspection is None else _text(decision.inspection),
        "major_hazard": decision.major_hazard,
        "findings": sorted(f"{f.standard}:{f.clause}" for f in decision.findings),
        "undetermined": sorted(f"{u.standard}:{u.clause}" for u in decision.undetermined),
    }


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def reference(rules, recs, day):
    return [reference_row(rules, rules.evaluate(clean(r), as_of=day)) for r in recs]


def strip_id(rows):
    return [{k: v for k, v in r.items() if k != "entity.id"} for r in rows]


def to_sql_rows(rules, table, day):
    import duckdb

    from safetyrules.backends.columnar_io import read_table

    import pyarrow as pa

    facts, _ = read_table(table, rules.plan.facts)
    if "entity.id" in rules.plan.facts and "entity.id" not in facts.column_names:
        facts = facts.append_column("entity.id", pa.nulls(facts.num_rows, pa.string()))  # every input fact
    con = duckdb.connect()
    try:
        con.register("facts", facts)
        rel = con.sql(rules.to_sql(dialect="duckdb", table="facts", as_of=day))
        cols = rel.columns
        return [dict(zip(cols, row)) for row in rel.fetchall()]
    finally:
        con.close()


def check_backends(rules, recs, days, backends=("python", "duckdb", "polars"), sql=True, spark=None,
                   variant="arrow"):
    """Every backend's rows (and ``to_sql`` in DuckDB) equal ``rules.evaluate``'s."""
    if variant == "pandas" and any(isinstance(v, int) and abs(v) > 2 ** 53 for r in recs for v in r.values()):
        variant = "arrow"  # pandas keeps an integer column with nulls as float64
    table = arrow_of(rules, recs, all_columns=variant == "all", nan=variant in ("nan", "all"))
    data = table
    if variant == "pandas":
        data = table.to_pandas(date_as_object=False)
    elif variant == "polars":
        import polars as pl

        data = pl.from_arrow(table)
    ids = [r.get("entity.id", UNKNOWN) for r in recs]
    for day in days:
        ref = reference(rules, recs, day)
        for backend in backends:
            kw = {"spark": spark} if backend == "spark" else {}
            got = rules.evaluate_table(data, backend=backend, as_of=day, **kw).to_pylist()
            if "entity.id" in table.column_names:
                assert [g["entity.id"] for g in got] == [None if i is UNKNOWN else i for i in ids], backend
            got = strip_id(got)
            for i, (g, r) in enumerate(zip(got, ref)):
                assert g == r, (backend, day.isoformat(), i, clean(recs[i]), g, r)
            assert len(got) == len(ref)
        if sql:
            got = strip_id(to_sql_rows(rules, table, day))
            for i, (g, r) in enumerate(zip(got, ref)):
                assert g == r, ("to_sql", day.isoformat(), i, clean(recs[i]), g, r)
            assert len(got) == len(ref)


#: The vocabulary of the explicit regression cases (the random one with units fixed).
FIXED_FACTS = {
    "entity.id": {"type": "string"}, "b1": {"type": "bool"}, "b2": {"type": "bool"},
    "i1": {"type": "integer", "unit": "person", "min": 0}, "i2": {"type": "integer"},
    "x1": {"type": "number", "unit": "m"}, "x2": {"type": "number", "unit": "cm"}, "x3": {"type": "number"},
    "w": {"type": "number", "unit": "kg"}, "s": {"type": "string"}, "e": {"type": "enum", "values": ["a", "b", "c"]},
    "d1": {"type": "date"}, "d2": {"type": "date"}, "acts": {"type": "list", "values": ["a", "b", "c"]},
    "items": {"type": "list", "item": {"k": {"type": "enum", "values": ["p", "q"]}, "n": {"type": "integer"},
                                       "h": {"type": "number", "unit": "m"}, "ok": {"type": "bool"},
                                       "dt": {"type": "date"}, "nm": {"type": "string"}}},
}


def build(d, whens, tables=(), decision=None, facts=None, standard=None):
    """A rule set of one standard ``s`` (clauses ``c0``.. of ``whens``, major)
    and ``tables`` over :data:`FIXED_FACTS` (plus ``facts``), written to ``d``."""
    import safetyrules

    vocab = dict(FIXED_FACTS)
    vocab.update(facts or {})
    files = {"v.yaml": {"kind": "vocabulary", "id": "v", "facts": vocab}}
    for t in tables:
        files[t["id"] + ".yaml"] = {"kind": "table", **t}
    std = {"kind": "standard", "id": "s", "version": "1", **(standard or {})}
    std["clauses"] = [{"id": f"c{i}", "cite": "C", "severity": "major", "when": w} for i, w in enumerate(whens)]
    files["s.yaml"] = std
    files["ruleset.yaml"] = {"kind": "ruleset", "id": "m", "include": sorted(files), "decision": decision or {}}
    ruleset = {"files": {n: yaml.safe_dump(doc, allow_unicode=True, sort_keys=False) for n, doc in files.items()}}
    return safetyrules.load(write(d, ruleset))
