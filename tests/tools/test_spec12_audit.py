"""A black-box audit of SPEC §12 (authoring v1): ``extends: cn.default``
and ``safetyrules prove``, run as a user would (rule files in a temp dir, the
CLI as a subprocess)."""

import datetime
import json
import shutil

import pytest

import safetyrules
import cli_fork

from rule_files import write

from rule_files import standard, table, vocabulary

DAY = datetime.date(2024, 3, 1)


def cli(*args, cwd=None):
    return cli_fork.run([*args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def digest(path):
    return safetyrules.load(str(path)).evaluate({}, as_of=DAY).to_dict()["ruleset"]["digest"]


# -- extends: cn.default -------------------------------------------------------------------

OVERLAY = {
    "ruleset.yaml": "kind: ruleset\nid: city.overlay\nextends: cn.default\ninclude: [local.yaml]\n",
    "local.yaml": standard("""\
        - {id: l1, cite: L1, severity: major, when: "entity.employees > 10000"}
        """, id="city.local", version='"2024"'),
}

# A stricter level on top of the national one: a new level fact read from risk.level.
TIGHT = {
    "ruleset.yaml": """\
kind: ruleset
id: city.tight
extends: cn.default
include: [v.yaml, lv.yaml]
decision: {level: city.level, tier: evaluation.tier, inspection: inspection.frequency}
""",
    "v.yaml": "kind: vocabulary\nid: city.v\nfacts:\n  city.level: {type: enum, values: [red, orange, yellow, blue]}\n",
    "lv.yaml": table("city.level", "city.level", """\
        - {when: "risk.level == 'red'", then: red}
        - {when: "known(risk.level)", then: orange}
        """),
}


def test_overlay_inherits_the_base_files_and_decision(tmp_path):
    d = write(tmp_path / "ov", OVERLAY)
    facts = {"entity.employees": 20000, "entity.sector": "office"}
    mine = safetyrules.load(str(d)).evaluate(facts, as_of=DAY).to_dict()
    base = safetyrules.load().evaluate(facts, as_of=DAY).to_dict()
    assert mine["ruleset"]["id"] == "city.overlay"
    assert {(f["standard"], f["clause"]) for f in mine["findings"]} == \
        {(f["standard"], f["clause"]) for f in base["findings"]} | {("city.local", "l1")}
    assert mine["inspection"] == "monthly" and mine["level"] == "red"  # the base's decision: names
    r = cli("validate", str(d))
    assert r.returncode == 0, r.stderr


def test_overlay_with_its_own_decision(tmp_path):
    d = write(tmp_path / "tight", TIGHT)
    out = safetyrules.load(str(d)).evaluate({"entity.sector": "office", "entity.employees": 3}, as_of=DAY).to_dict()
    assert out["level"] == out["outputs"]["city.level"]
    assert out["outputs"]["risk.level"] is not None


def test_overlay_digest_covers_base_and_own_files_not_the_location(tmp_path):
    d = write(tmp_path / "a" / "ov", OVERLAY)
    first = digest(d)
    base = safetyrules.load().evaluate({}, as_of=DAY).to_dict()["ruleset"]["digest"]
    assert first != base
    moved = tmp_path / "b" / "elsewhere"
    shutil.copytree(d, moved)
    assert digest(moved) == first
    (moved / "local.yaml").write_text(OVERLAY["local.yaml"] + "# edited\n", encoding="utf-8")
    assert digest(moved) != first
    # the bundled base is part of it: an overlay with no files of its own still differs from the base
    bare = write(tmp_path / "bare", {"ruleset.yaml": "kind: ruleset\nid: city.same\nextends: cn.default\n"})
    assert digest(bare).startswith("sha256:") and digest(bare) not in (base, first)


# -- prove --------------------------------------------------------------------------------------

VOCAB = vocabulary("""\
    a: {type: bool}
    n: {type: integer}
    risk.level: {type: enum, values: [red, orange, yellow, blue]}
    my.level: {type: enum, values: [red, blue]}
    """)
STD = 'kind: standard\nid: s\nversion: "1"\nclauses:\n  - {id: m1, cite: A1, severity: major, when: "a"}\n'


def level(rows):
    body = "".join(f'  - {{when: "{w}", then: {t}}}\n' for w, t in rows)
    return f"kind: table\nid: lv\noutput: risk.level\nrows:\n{body}"


def proj(tmp_path, level_text, *, manifest_level="risk.level", extra=None, vocab=VOCAB):
    files = {"v.yaml": vocab, "s.yaml": STD, "lv.yaml": level_text,
             "ruleset.yaml": f'kind: ruleset\nid: p\ninclude: ["*.yaml"]\ndecision: {{level: {manifest_level}}}\n'}
    files.update(extra or {})
    return write(tmp_path / "p", files)


GOOD = [("findings.major > 0 or findings.major_undetermined > 0", "red"),
        ("findings.general > 0 or findings.undetermined > 0", "yellow"), ("true", "blue")]


def test_prove_without_path_proves_the_bundled_set():
    r = cli("prove")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no-gap: proven" in r.stdout and "finding-monotone: proven" in r.stdout
    assert "undetermined-as-found: proven" in r.stdout and "counterexample" not in r.stdout


def test_prove_good_table_exits_0(tmp_path):
    r = cli("prove", str(proj(tmp_path, level(GOOD))))
    assert r.returncode == 0 and r.stdout.count(": proven") == 3, r.stdout


@pytest.mark.parametrize(
    "rows, prop, facts",
    [
        ([("findings.major > 0", "red"), ("findings.major == 0 and findings.general == 0", "blue")],
         "no-gap", "findings.general = 1"),
        ([("findings.major > 2", "blue"), ("findings.major > 0", "red"), ("true", "blue")],
         "finding-monotone", "findings.major = 2"),
        ([("findings.major > 0", "red"), ("n > 10", "red"), ("n < 10", "blue")], "no-gap", "n = 10"),
    ],
)
def test_prove_prints_a_counterexample_with_the_facts_and_exits_1(tmp_path, rows, prop, facts):
    r = cli("prove", str(proj(tmp_path, level(rows))))
    assert r.returncode == 1, r.stdout
    (line,) = [x for x in r.stdout.splitlines() if x.strip().startswith(prop + ":")]
    assert "counterexample" in line and facts in line, line


def test_level_values_are_in_order_of_severity_most_severe_first(tmp_path):
    reversed_vocab = VOCAB.replace("[red, orange, yellow, blue]", "[blue, yellow, orange, red]")
    r = cli("prove", str(proj(tmp_path, level(GOOD), vocab=reversed_vocab)))
    assert r.returncode == 1 and "finding-monotone: counterexample" in r.stdout, r.stdout


BAD_COMPOSED = table("my", "my.level", """\
    - {when: "risk.level == 'red'", then: blue}
    - {when: "known(risk.level)", then: red}
    """)
GOOD_COMPOSED = BAD_COMPOSED.replace("then: blue}", "then: TMP}").replace("then: red}", "then: blue}").replace("TMP", "red")


def test_prove_follows_a_level_read_from_another_graded_fact(tmp_path):
    # my.level reads risk.level, which reads the findings: one more finding turns risk.level
    # red and my.level blue (less severe) -- not "proven" over zero combinations
    d = proj(tmp_path, level(GOOD), manifest_level="my.level", extra={"my.yaml": BAD_COMPOSED})
    r = cli("prove", str(d), "--format", "json")
    props = {p["property"]: p for p in json.loads(r.stdout)[0]["properties"]}
    assert r.returncode == 1
    mono = props["finding-monotone"]
    assert not mono["proven"] and mono["counterexample"] is not None, mono
    assert "findings.major" in mono["counterexample"]


def test_prove_a_good_composed_level(tmp_path):
    d = proj(tmp_path, level(GOOD), manifest_level="my.level", extra={"my.yaml": GOOD_COMPOSED})
    r = cli("prove", str(d), "--format", "json")
    props = {p["property"]: p for p in json.loads(r.stdout)[0]["properties"]}
    assert r.returncode == 0, r.stdout
    assert props["finding-monotone"]["proven"] and props["finding-monotone"]["combinations"] > 0


def test_prove_bad_rules_exit_1_with_a_located_message(tmp_path):
    d = proj(tmp_path, level([("findings.major >", "red")]))
    r = cli("prove", str(d))
    assert r.returncode == 1 and "lv.yaml:" in r.stderr and "Traceback" not in r.stderr
