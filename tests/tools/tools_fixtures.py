"""Rule files and helpers shared by the tools tests (a module with a unique
name: every test folder has its own conftest.py)."""


import os
import textwrap


VOCAB = """\
kind: vocabulary
id: v
facts:
  x: {type: number, unit: m, min: 0}
  n: {type: integer, unit: person, min: 0}
  s: {type: enum, values: [a, b, c]}
  flag: {type: bool}
  other: {type: bool}
  out: {type: enum, values: [hi, mid, lo]}
  summary: {type: bool}
"""

GOOD_STANDARD = """\
kind: standard
id: std
version: "1"
clauses:
  - id: c1
    cite: Article 1
    severity: major
    when: "flag and x > 5"
    examples:
      - {facts: {flag: true, x: 6}, expect: true}
      - {facts: {flag: false, x: 6}, expect: false}
"""


def write_rules(root, files):
    """Write ``{name: text}`` under ``root``; returns the directory as str."""
    os.makedirs(root, exist_ok=True)
    for name, text in files.items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text))
    return str(root)


