"""lint --format sarif (and diff --format sarif) validate against the
official SARIF 2.1.0 schema.

No network: ``tests/tools/data/sarif-schema-2.1.0.json`` is the OASIS schema
file as published (oasis-tcs/sarif-spec, ``sarif-2.1/schema/``, errata 01),
plus checks of the rules the schema cannot express (ruleIndex points at the
rule with that id, regions are ordered, every URI is relative to a
``uriBaseId`` the run defines, whose own URI is absolute and ends in ``/``).
"""

import json
import os
import urllib.parse

import jsonschema
import pytest

from tools_fixtures import GOOD_STANDARD, VOCAB

from rule_files import table

SCHEMA = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")

GAP_TABLE = table("t", "out", """\
    - {when: "x >= 10", then: hi}
    - {when: "x < 5", then: lo}
    """)


def validate(log):
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    assert schema["id"].endswith("/errata01/os/schemas/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)
    run = log["runs"][0]
    bases = run["originalUriBaseIds"]
    for b in bases.values():
        u = urllib.parse.urlsplit(b["uri"])
        assert u.scheme == "file" and u.path.endswith("/")
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        for loc in res["locations"]:
            phys = loc["physicalLocation"]
            art = phys["artifactLocation"]
            assert art["uriBaseId"] in bases
            u = urllib.parse.urlsplit(art["uri"])
            assert not u.scheme and not u.netloc and not art["uri"].startswith("/")
            assert urllib.parse.quote(urllib.parse.unquote(art["uri"])) == art["uri"]  # percent-encoded
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


def test_paths_outside_the_working_directory_are_relative_to_a_base(rules_dir, run, in_tmp, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("other dir")  # a space: percent-encoded
    from tools_fixtures import write_rules

    d = write_rules(elsewhere / "规则", {"v.yaml": VOCAB, "t.yaml": GAP_TABLE})
    code, out, err = run("lint", "--format", "sarif", d)
    log = json.loads(out)
    validate(log)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art["uriBaseId"] == "FSROOT"
    base = log["runs"][0]["originalUriBaseIds"]["FSROOT"]["uri"]
    full = urllib.parse.unquote(urllib.parse.urljoin(base, art["uri"]))
    assert full == "file://" + os.path.realpath(os.path.join(d, "t.yaml"))


def test_bundled_files_are_relative_to_the_bundled_base(in_tmp):
    from safetyrules.authoring.sarif import artifact_location, base_ids
    from safetyrules.source.files import bundled_path

    art = artifact_location(os.path.join(bundled_path(), "grading", "risk-level.yaml"))
    assert art == {"uri": "grading/risk-level.yaml", "uriBaseId": "SAFETYRULES_BUNDLED"}
    base = base_ids()["SAFETYRULES_BUNDLED"]["uri"]
    assert urllib.parse.unquote(base) == "file://" + os.path.realpath(bundled_path()) + "/"


def test_official_schema_rejects_bad_logs():
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.0.0", "runs": []})
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                 "results": [{"ruleId": "W1", "level": "warn", "message": {"text": "m"}}]}]})
