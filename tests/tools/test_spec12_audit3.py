"""A third black-box audit of SPEC §12 and the authoring commands of §6, as a
standards author and a CI job would use them: rule sets and overlays in a
temp dir, the command line run in-process (the ``run`` fixture).  Aimed at
what tests/tools/test_spec12_audit.py and test_authoring_audit2.py left
alone: ``test -k`` selection, and overlays that weaken national clauses."""

import pytest

RULES = {
    "ruleset.yaml": 'kind: ruleset\nid: a3\ninclude: ["*.yaml"]\ndecision: {level: risk.level}\n',
    "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  n: {type: integer, min: 0}\n"
              "  risk.level: {type: enum, values: [red, yellow, blue]}\n",
    "s.yaml": """\
kind: standard
id: std.one
version: "1"
clauses:
  - id: art3.1
    cite: Art 3 (1)
    severity: major
    when: "a and n > 5"
    examples:
      - {name: over the line, facts: {a: true, n: 6}, expect: true}
      - {facts: {a: true, n: 5}, expect: false}
  - id: art4
    cite: Art 4
    severity: general
    when: "n > 100"
    examples:
      - {facts: {n: 101}, expect: true}
      - {facts: {n: 100}, expect: false}
""",
    "lv.yaml": """\
kind: table
id: grade
output: risk.level
rows:
  - {when: "findings.major > 0 or findings.major_undetermined > 0", then: red}
  - {when: "findings.general > 0 or findings.undetermined > 0", then: yellow}
  - {when: "true", then: blue}
examples:
  - {name: clean, facts: {findings.major: 0, findings.major_undetermined: 0, findings.general: 0, findings.undetermined: 0}, expect: blue}
""",
}


def write(d, files):
    for name, text in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return d


def last(out):
    return out.strip().splitlines()[-1]


# -- test -k: substring or glob over the standard/table id, clause id and label ------------


@pytest.mark.parametrize("pattern, ran", [
    ("art3.1", 2),          # a clause id, as a substring
    ("ART3", 2),            # case-insensitive
    ("art3.?", 2),          # a clause id, as a glob (docs/cli.md: "or matches it as a glob")
    ("art?", 2),            # art4 only: the glob matches the whole clause id
    ("std.*", 4),           # a standard id, as a glob
    ("gra?e", 1),           # a table id, as a glob
    ("over the*", 1),       # an example's name, as a glob
    ("clean", 1),           # a table example's name
])
def test_k_selects_by_substring_or_glob(tmp_path, run, pattern, ran):
    d = write(tmp_path / "r", RULES)
    code, out, err = run("test", d, "-k", pattern)
    assert code == 0, out + err
    assert last(out) == f"{ran} passed, 0 failed", out + err


def test_k_that_selects_nothing_fails(tmp_path, run):
    """A `-k` that matches no example (a typo in CI) must not look green:
    pytest exits non-zero when every test is deselected, and SPEC §6 gives
    `test` 0 for "pass" only -- nothing ran, nothing passed."""
    d = write(tmp_path / "r", RULES)
    code, out, err = run("test", d, "-k", "NOMATCH")
    assert code == 1, out + err
    assert "-k 'NOMATCH' matches no example" in err, err
    assert last(out) == "0 passed, 0 failed"
