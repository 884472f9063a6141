"""lint --format sarif validates against SARIF 2.1.0.

No network: the schema used is tests/tools/data/sarif-2.1.0-subset.schema.json,
a trimmed SARIF 2.1.0 schema written by hand from the specification's required
properties and value sets (not the official file), plus checks of the rules
the schema cannot express (ruleIndex points at the rule with that id, regions
are ordered, URIs are relative).
"""

import json
import os

import jsonschema
import pytest

from tools_fixtures import GOOD_STANDARD, VOCAB

SCHEMA = os.path.join(os.path.dirname(__file__), "data", "sarif-2.1.0-subset.schema.json")

GAP_TABLE = """\
kind: table
id: t
output: out
rows:
  - {when: "x >= 10", then: hi}
  - {when: "x < 5", then: lo}
"""


def validate(log):
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        for loc in res["locations"]:
            phys = loc["physicalLocation"]
            assert not phys["artifactLocation"]["uri"].startswith("/")
            reg = phys.get("region", {})
            if "endLine" in reg:
                assert (reg["endLine"], reg.get("endColumn", 10**9)) >= (reg["startLine"], reg.get("startColumn", 1))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sarif_warnings_validate(rules_dir, run, in_tmp):
    d = rules_dir({"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD.replace("x > 5", "x == 5.5 m"), "t.yaml": GAP_TABLE})
    code, out, err = run("lint", "--format", "sarif", os.path.relpath(d))
    assert code == 0
    log = json.loads(out)
    validate(log)
    results = log["runs"][0]["results"]
    ids = sorted(r["ruleId"] for r in results)
    assert "W201" in ids and "W402" in ids
    gap = next(r for r in results if r["ruleId"] == "W201")
    assert gap["level"] == "warning"
    assert gap["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "rules/t.yaml", "uriBaseId": "%SRCROOT%"}
    assert gap["properties"]["example"] == {"x": 5}


def test_sarif_errors_validate(rules_dir, run, in_tmp):
    d = rules_dir({"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD.replace("flag and x > 5", "flag and")})
    code, out, err = run("lint", "--format", "sarif", "--strict", os.path.relpath(d))
    assert code == 1
    log = json.loads(out)
    validate(log)
    [res] = log["runs"][0]["results"]
    assert res["level"] == "error" and res["ruleId"].startswith("E-")
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 8


def test_sarif_bundled_validates(run, tmp_path):
    out_file = tmp_path / "lint.sarif"
    code, out, err = run("lint", "--format", "sarif", "-o", out_file)
    assert code == 0
    validate(json.loads(out_file.read_text(encoding="utf-8")))


def test_subset_schema_rejects_bad_logs():
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.0.0", "runs": []})
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                 "results": [{"ruleId": "W1", "level": "warn", "message": {"text": "m"}}]}]})
