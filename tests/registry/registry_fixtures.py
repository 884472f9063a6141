"""A small rule set for the registry tests (a module with a unique name)."""

import os

VOCAB = """\
kind: vocabulary
id: v
facts:
  entity.id: {type: string}
  entity.sector: {type: enum, values: [metallurgy, machinery, other]}
  entity.employees: {type: integer, unit: person, min: 0}
  entity.revenue: {type: number, unit: 10k_CNY}
  entity.scale: {type: enum, values: [large, small]}
  site.opened: {type: date}
  p: {type: bool}
  cranes: {type: list, item: {age: {type: integer, unit: year}, ok: {type: bool}}}
  risk.level: {type: enum, values: [red, orange, yellow, blue]}
"""

SCALE = """\
kind: table
id: scale
output: entity.scale
rows:
  - {when: "entity.employees >= 100", then: large}
  - {when: "entity.employees < 100", then: small}
"""

STANDARD = """\
kind: standard
id: s
version: "1"
applies_when: "entity.sector in ['metallurgy', 'machinery']"
clauses:
  - {id: big, cite: A1, severity: major, when: "entity.scale == 'large' and p"}
  - {id: old, cite: A2, severity: general, when: "any(c in cranes: c.age > 10 and not c.ok)"}
  - {id: ratio, cite: A3, severity: general, when: "entity.revenue / entity.employees < 1"}
  - {id: new, cite: A4, severity: general, when: "site.opened >= 2024-01-01"}
"""

GRADE = """\
kind: table
id: grade
output: risk.level
rows:
  - {when: "findings.major > 0", then: red}
  - {when: "findings.major_undetermined > 0", then: orange}
  - {when: "findings.general > 0", then: yellow}
  - {when: "true", then: blue}
"""

MANIFEST = """\
kind: ruleset
id: registry.test
include: [v.yaml, scale.yaml, s.yaml, grade.yaml]
decision: {level: risk.level}
"""


def write_rules(d):
    for name, text in (("v.yaml", VOCAB), ("scale.yaml", SCALE), ("s.yaml", STANDARD), ("grade.yaml", GRADE),
                       ("ruleset.yaml", MANIFEST)):
        with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    return os.path.join(d, "ruleset.yaml")
