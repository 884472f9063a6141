"""Small rule sets for the registry tests (a module with a unique name),
and the decision columns of ``rules.evaluate_table`` as ``rules.evaluate``
gives them."""

import math
import os


from rule_files import ruleset, standard, table, vocabulary

VOCAB = vocabulary("""\
    entity.id: {type: string}
    entity.sector: {type: enum, values: [metallurgy, machinery, other]}
    entity.employees: {type: integer, unit: person, min: 0}
    entity.revenue: {type: number, unit: 10k_CNY}
    entity.scale: {type: enum, values: [large, small]}
    site.opened: {type: date}
    p: {type: bool}
    cranes: {type: list, item: {age: {type: integer, unit: year}, ok: {type: bool}}}
    risk.level: {type: enum, values: [red, orange, yellow, blue]}
    """)

SCALE = table("scale", "entity.scale", """\
    - {when: "entity.employees >= 100", then: large}
    - {when: "entity.employees < 100", then: small}
    """)

STANDARD = standard("""\
    - {id: big, cite: A1, severity: major, when: "entity.scale == 'large' and p"}
    - {id: old, cite: A2, severity: general, when: "any(c in cranes: c.age > 10 and not c.ok)"}
    - {id: ratio, cite: A3, severity: general, when: "entity.revenue / entity.employees < 1"}
    - {id: new, cite: A4, severity: general, when: "site.opened >= 2024-01-01"}
    """, applies_when="entity.sector in ['metallurgy', 'machinery']")

GRADE = table("grade", "risk.level", """\
    - {when: "findings.major > 0", then: red}
    - {when: "findings.major_undetermined > 0", then: orange}
    - {when: "findings.general > 0", then: yellow}
    - {when: "true", then: blue}
    """)

MANIFEST = ruleset("registry.test", ["v.yaml", "scale.yaml", "s.yaml", "grade.yaml"], {"level": "risk.level"})


def write_rules(d):
    for name, text in (("v.yaml", VOCAB), ("scale.yaml", SCALE), ("s.yaml", STANDARD), ("grade.yaml", GRADE),
                       ("ruleset.yaml", MANIFEST)):
        with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    return os.path.join(d, "ruleset.yaml")


def decision_columns(d):
    """The decision columns of a registry row (SPEC §9), from a Decision."""
    return {
        "level": d.level, "tier": d.tier, "inspection": d.inspection, "major_hazard": d.major_hazard,
        "findings": sorted(f"{f.standard}:{f.clause}" for f in d.findings),
        "undetermined": sorted(f"{u.standard}:{u.clause}" for u in d.undetermined),
    }


def expected_rows(rules, rows, as_of, drop_nan=False):
    """``decision_columns`` of ``rules.evaluate(row, as_of)`` per row, the
    row's None values (and, if ``drop_nan``, float NaN) dropped first."""
    out = []
    for r in rows:
        r = {k: v for k, v in r.items()
             if v is not None and not (drop_nan and isinstance(v, float) and math.isnan(v))}
        out.append(decision_columns(rules.evaluate(r, as_of=as_of)))
    return out


# -- the rule set of the input-type audits (test_spec9_audit2, _audit4): a fact
#    of every type, a derived bool, a clause on each, a level table

AUDIT_FACTS = """\
entity.id: {type: string}
entity.sector: {type: enum, values: [metallurgy, machinery, other]}
entity.activities: {type: list, values: [metallurgy, machinery, other]}
n: {type: integer, min: 0, max: 1000}
m: {type: integer}
w: {type: number}
p: {type: bool}
d: {type: date}
s: {type: string}
big: {type: bool}
cranes: {type: list, item: {age: {type: integer}, ok: {type: bool}}}
level: {type: enum, values: [red, yellow, blue]}
"""

AUDIT_BIG = table("t", "big", """\
- {when: "n >= 100", then: true}
- {when: "n < 100", then: false}
""")

AUDIT_CLAUSES = """\
- {id: a, cite: A, severity: major, when: "big and p"}
- {id: b, cite: B, severity: general, when: "w > 2.5"}
- {id: c, cite: C, severity: general, when: "d < 2020-01-01"}
- {id: e, cite: E, severity: general, when: "s == 'x'"}
- {id: f, cite: F, severity: general, when: "any(c in cranes: c.age > 10 and not c.ok)"}
- {id: g, cite: G, severity: general, when: "'machinery' in entity.activities"}
- {id: h, cite: H, severity: general, when: "m > 5"}
"""

AUDIT_GRADE = table("g", "level", """\
- {when: "findings.major > 0", then: red}
- {when: "findings.major_undetermined > 0", then: red}
- {when: "findings.general + findings.undetermined > 0", then: yellow}
- {when: "true", then: blue}
""")


def audit_vocabulary(*more):
    """The audits' vocabulary, with the fact lines ``more`` after its own."""
    return vocabulary(AUDIT_FACTS + "".join(line + "\n" for line in more))


def audit_standard(*more):
    """The audits' standard, with the clause lines ``more`` after its own."""
    return standard(AUDIT_CLAUSES + "".join(line + "\n" for line in more))
