"""safetyrules prove (SPEC §12): proven on the bundled tables, a
counterexample for each property a table breaks, and lint W205."""

import json

import pytest

import safetyrules
from safetyrules.authoring.prove import prove
from safetyrules.source.files import bundled_path

from tools_fixtures import write_rules

from rule_files import ruleset, table, vocabulary

VOCAB = vocabulary("""\
    flag: {type: bool}
    size: {type: enum, values: [big, small]}
    level: {type: enum, values: [red, yellow, blue]}
    tier: {type: enum, values: [full, light]}
    """)
GOOD_LEVEL = table("level", "level", """\
    - {when: "findings.major > 0 or findings.major_undetermined > 0", then: red}
    - {when: "findings.general > 0 or findings.undetermined > 0 or flag", then: yellow}
    - {when: "true", then: blue}
    """)
GOOD_TIER = table("tier", "tier", """\
    - {when: "size == 'big' or flag", then: full}
    - {when: "size == 'small' and not flag", then: light}
    """)
MANIFEST = ruleset("p", ["v.yaml", "level.yaml", "tier.yaml"], {"level": "level", "tier": "tier"})


def rules(tmp_path, level=GOOD_LEVEL, tier=GOOD_TIER):
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "level.yaml": level, "tier.yaml": tier, "ruleset.yaml": MANIFEST})
    return d, safetyrules.load(d)


def by_name(results):
    return {(r.role, r.name): r for r in results}


@pytest.mark.parametrize("manifest", ["ruleset.yaml", "ruleset-lec.yaml"])
def test_bundled_level_and_tier_tables_are_proven(manifest, run):
    path = f"{bundled_path()}/{manifest}"
    results = prove(safetyrules.load(path))
    assert sorted(by_name(results)) == [("level", "finding-monotone"), ("level", "no-gap"),
                                        ("level", "undetermined-as-found"), ("tier", "no-gap")]
    assert all(r.proven and r.combinations > 0 for r in results), [r.detail for r in results if not r.proven]
    code, out, err = run("prove", path)
    assert code == 0 and out.count(": proven") == 4


def test_good_tables_prove(tmp_path, run):
    d, r = rules(tmp_path)
    assert all(x.proven for x in prove(r))
    code, out, err = run("prove", d, "--format", "json")
    assert code == 0
    [rep] = json.loads(out)
    assert all(p["proven"] for p in rep["properties"]) and len(rep["properties"]) == 4


def test_gap_has_a_counterexample(tmp_path, run):
    d, r = rules(tmp_path, tier=GOOD_TIER.replace("size == 'small' and not flag", "size == 'small' and flag"))
    res = by_name(prove(r))[("tier", "no-gap")]
    assert not res.proven and res.counterexample == {"flag": False, "size": "small"}
    code, out, err = run("prove", d)
    assert code == 1 and "no-gap: counterexample" in out and "flag = false" in out and "size = 'small'" in out


def test_a_finding_that_lowers_the_level_is_found(tmp_path):
    bad = GOOD_LEVEL.replace('  - {when: "findings.general > 0', '  - {when: "findings.general >= 3", then: blue}\n  - {when: "findings.general > 0')
    d, r = rules(tmp_path, level=bad)
    res = by_name(prove(r))
    mono = res[("level", "finding-monotone")]
    assert not mono.proven
    cx = mono.counterexample
    assert cx["findings.general"] == 2 and cx["findings.major"] == 0 and cx["findings.major_undetermined"] == 0
    assert "one more general finding: blue" in mono.detail
    assert res[("level", "no-gap")].proven


def test_undetermined_counted_found_must_not_look_safer(tmp_path):
    bad = """\
kind: table
id: level
output: level
rows:
  - {when: "findings.major > 0", then: yellow}
  - {when: "findings.undetermined == 0", then: red}
  - {when: "true", then: blue}
"""
    d, r = rules(tmp_path, level=bad)
    res = by_name(prove(r))
    und = res[("level", "undetermined-as-found")]
    assert not und.proven
    # the counterexample holds the undetermined clause; settled as not found: nothing
    # undetermined left -> red; as found: a major finding -> yellow
    assert und.counterexample["findings.undetermined"] == 1 and und.counterexample["findings.major"] == 0
    assert "red" in und.detail and "yellow (less severe)" in und.detail


def test_lint_reports_failing_properties_as_w205(tmp_path, run):
    d, r = rules(tmp_path, tier=GOOD_TIER.replace("size == 'small' and not flag", "size == 'small' and flag"))
    code, out, err = run("lint", d, "--format", "json", "--disable", "W201")
    w = [x for x in json.loads(out)["warnings"] if x["code"] == "W205"]
    assert len(w) == 1 and "tier table 'tier': no-gap fails" in w[0]["message"] and w[0]["path"].endswith("tier.yaml")
    code, out, err = run("lint", d, "--strict", "--disable", "W201")
    assert code == 1


def test_bad_rules_exit_1_like_validate(tmp_path, run):
    d = write_rules(tmp_path / "bad", {"v.yaml": "kind: vocabulary\nid: v\nfacts: {x: {type: nope}}\n"})
    code, out, err = run("prove", d)
    assert code == 1 and "v.yaml:3" in err
