"""Small rule sets written by the engine tests themselves (a module with a
unique name: every test folder has its own conftest.py)."""

from rule_files import ruleset, table, vocabulary

VOCAB = vocabulary("""\
    contractors.present: {type: bool}
    contractors.coordinated: {type: bool}
    entity.sector: {type: enum, values: [metallurgy, machinery, other]}
    entity.employees: {type: integer, unit: person, min: 0}
    entity.revenue: {type: number, unit: 10k_CNY}
    entity.scale: {type: enum, values: [large, medium, small, micro]}
    site.distance: {type: number, unit: m}
    site.opened: {type: date}
    site.score: {type: number}
    risk.level: {type: enum, values: [red, orange, yellow, blue]}
    tags: {type: enum, values: [a, b, c]}
    cranes: {type: list, item: {age: {type: integer, unit: year}, kind: {type: enum, values: [gantry, bridge]}}}
    """)

STANDARD = """\
kind: standard
id: s1
version: "2023"
title: {zh: 测试标准, en: Test standard}
effective: {from: 2023-05-15}
applies_when: "entity.sector in ['metallurgy', 'machinery']"
clauses:
  - id: art3.1
    cite: Article 3 (1)
    severity: major
    category: basic-management/contractors
    title: {zh: 承包商未统一协调, en: Contractors not coordinated}
    when: "contractors.present and not contractors.coordinated"
    examples:
      - {facts: {contractors.present: true, contractors.coordinated: false}, expect: true}
      - {facts: {contractors.present: false}, expect: false}
      - {facts: {contractors.present: true}, expect: unknown}
  - id: cranes
    cite: Article 4 (1)
    severity: general
    category: on-site/equipment
    title: {zh: 起重机超龄, en: Old cranes}
    when: "any(c in cranes: c.age > 10 year)"
    unless: "site.distance >= 0.03 km"
"""

GRADING = table("grade", "risk.level", """\
    - {when: "findings.major > 0", then: red}
    - {when: "findings.major_undetermined > 0", then: orange}
    - {when: "findings.general > 0", then: yellow}
    - {when: "true", then: blue}
    """, hit="first")

MANIFEST = ruleset("test.set", ["v.yaml", "s1.yaml", "grade.yaml"], {"level": "risk.level"})


