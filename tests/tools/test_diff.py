"""diff: structure, exact boundary counterexamples, changed entities of a corpus."""

import json
import os

from safetyrules import load
from safetyrules.authoring.diff import corpus_changes, counterexample, diff_rules, threshold_moves
from safetyrules import dsl

from tools_fixtures import VOCAB, write_rules

from rule_files import ruleset, standard, table, vocabulary

STD = standard("""\
    - id: c1
      cite: Article 1
      severity: major
      when: "flag and x > 5"
      examples:
        - {facts: {flag: true, x: 6}, expect: true}
        - {facts: {flag: false}, expect: false}
    """, id="std", effective="{from: 2020-01-01}")

TABLE = table("t", "out", """\
    - {id: high, when: "n >= 10", then: hi}
    - {id: middle, when: "n >= 5", then: mid}
    - {id: rest, when: "true", then: lo}
    """)

MANIFEST = ruleset("d", ["v.yaml", "s.yaml", "t.yaml"], {"level": "out"})


def pair(tmp_path, old_changes=(), new_changes=()):
    def files(changes):
        f = {"v.yaml": VOCAB, "s.yaml": STD, "t.yaml": TABLE, "ruleset.yaml": MANIFEST}
        for name, a, b in changes:
            assert a in f[name]
            f[name] = f[name].replace(a, b)
        return f

    return write_rules(tmp_path / "old", files(old_changes)), write_rules(tmp_path / "new", files(new_changes))


def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    for name, n in (("e03", 3), ("e07", 7), ("e08", 8), ("e09", 9), ("e10", 10)):
        (d / f"{name}.yaml").write_text(f"n: {n}\nflag: false\n", encoding="utf-8")
    (d / "eunknown.json").write_text('{"flag": false}', encoding="utf-8")
    return str(d)


def test_one_threshold_exact_counterexample_and_entities(tmp_path, run):
    old, new = pair(tmp_path, new_changes=[("t.yaml", "n >= 10", "n >= 8")])
    changes = diff_rules(load(old), load(new))
    assert len(changes) == 2
    c, whole = changes
    assert (c["kind"], c["action"], c["in"], c["id"], c["field"]) == ("row", "changed", "t", "high", "when")
    assert c["thresholds"] == [{"old": "10", "new": "8", "old_condition": "n >= 10", "new_condition": "n >= 8"}]
    assert c["counterexample"] == {"found": True, "facts": {"n": 8}, "old": False, "new": True}
    assert (whole["kind"], whole["id"], whole["field"]) == ("table", "t", "output")
    assert whole["counterexample"] == {"found": True, "facts": {"n": 8}, "old": "mid", "new": "hi", "output": "out"}

    rep = corpus_changes(load(old), load(new), corpus(tmp_path), __import__("datetime").date(2024, 3, 1))
    assert rep["entities"] == 6 and rep["changed"] == 2 and rep["errors"] == []
    assert [e["entity"].rsplit("/", 1)[-1] for e in rep["items"]] == ["e08.yaml", "e09.yaml"]
    assert rep["items"][0]["changes"] == {"level": {"old": "mid", "new": "hi"}}
    assert rep["counts"] == {"findings": 0, "level": 2, "tier": 0, "inspection": 0}


def test_clause_boundary_counterexample(tmp_path):
    old, new = pair(tmp_path, new_changes=[("s.yaml", "x > 5", "x >= 5")])
    [c] = diff_rules(load(old), load(new))
    assert (c["kind"], c["id"], c["field"]) == ("clause", "c1", "when")
    assert c["counterexample"] == {"found": True, "facts": {"flag": True, "x": 5}, "old": False, "new": True}


def test_equivalent_rewrite_is_stated(tmp_path):
    old, new = pair(tmp_path, new_changes=[("s.yaml", "flag and x > 5", "x > 5 and flag")])
    [c] = diff_rules(load(old), load(new))
    assert c["counterexample"] == {"found": False, "complete": True}


def test_spacing_and_parentheses_are_not_changes(tmp_path):
    old, new = pair(tmp_path, new_changes=[("s.yaml", "flag and x > 5", "(flag)  and   (x > 5)")])
    assert diff_rules(load(old), load(new)) == []


def test_reordered_rows_of_first_table(tmp_path):
    old, new = pair(tmp_path, new_changes=[
        ("t.yaml", '  - {id: high, when: "n >= 10", then: hi}\n  - {id: middle, when: "n >= 5", then: mid}\n',
         '  - {id: middle, when: "n >= 5", then: mid}\n  - {id: high, when: "n >= 10", then: hi}\n')])
    changes = diff_rules(load(old), load(new))
    assert [(c["kind"], c["field"]) for c in changes] == [("table", "row order"), ("table", "output")]
    assert changes[1]["counterexample"]["facts"] == {"n": 10}


def test_unknown_is_a_value_in_the_search():
    # 'known(a) and a' and 'a' differ only when a is missing
    cx = counterexample(dsl.parse("a or not known(a)"), dsl.parse("a"), {"a": dsl.FactSpec("bool")})
    assert cx == {"found": True, "facts": {"a": None}, "old": True, "new": None}


def test_structure_editions_citations_rows(tmp_path):
    old, new = pair(
        tmp_path,
        new_changes=[
            ("s.yaml", 'version: "1"', 'version: "2"'),
            ("s.yaml", "from: 2020-01-01", "from: 2021-07-01"),
            ("s.yaml", "cite: Article 1", "cite: Article 1 (2)"),
            ("t.yaml", '  - {id: middle, when: "n >= 5", then: mid}\n', ""),
            ("t.yaml", '  - {id: rest,', '  - {id: low, when: "n < 2", then: lo}\n  - {id: rest,'),
        ],
    )
    got = [(c["kind"], c["action"], c["id"], c.get("field"), c.get("old"), c.get("new")) for c in diff_rules(load(old), load(new))]
    assert ("standard", "changed", "std", "version", "1", "2") in got
    assert ("standard", "changed", "std", "effective.from", "2020-01-01", "2021-07-01") in got
    assert ("clause", "changed", "c1", "cite", "Article 1", "Article 1 (2)") in got
    assert ("row", "removed", "middle", None, "n >= 5 → mid", None) in got
    assert ("row", "added", "low", None, None, "n < 2 → lo") in got


def test_threshold_moves_only_for_number_changes():
    assert threshold_moves(dsl.parse("a and x > 5"), dsl.parse("a and x > 6"))[0]["new_condition"] == "x > 6"
    assert threshold_moves(dsl.parse("a and x > 5"), dsl.parse("b and x > 6")) is None


def test_cli_formats_and_gates(tmp_path, run):
    old, new = pair(tmp_path, new_changes=[("t.yaml", "n >= 10", "n >= 8")])
    facts = corpus(tmp_path)
    code, out, err = run("diff", old, new, "--facts", facts, "--as-of", "2024-03-01")
    assert code == 0
    assert "counterexample: n = 8 → old false, new true" in out
    assert "threshold moved: n >= 10 → n >= 8" in out
    assert "entities: 2 of 6 change (level 2" in out
    code, out, err = run("diff", old, new, "--format", "markdown", "--fail-on", "any")
    assert code == 1 and out.startswith("### Rule changes") and "`n >= 10` → `n >= 8`" in out
    code, out, err = run("diff", old, new, "--facts", facts, "--format", "json", "--fail-on", "level")
    assert code == 1 and json.loads(out)["corpus"]["changed"] == 2
    code, out, err = run("diff", old, new, "--facts", facts, "--fail-on", "tier")
    assert code == 0
    code, out, err = run("diff", old, new, "--fail-on", "tier")
    assert code == 2 and "needs --facts" in err
    code, out, err = run("diff", old, old, "--fail-on", "any")
    assert code == 0 and "0 change(s)" in out


def test_cli_jsonl_corpus_and_bad_entity(tmp_path, run):
    old, new = pair(tmp_path, new_changes=[("t.yaml", "n >= 10", "n >= 8")])
    p = tmp_path / "entities.jsonl"
    p.write_text('{"n": 9}\n{"n": 2}\n{"n": "many"}\n', encoding="utf-8")
    code, out, err = run("diff", old, new, "--facts", p)
    assert code == 2  # a bad entity: reported, the others still compared
    assert "entities.jsonl:1: level mid → hi" in out
    assert "entities.jsonl:3" in err


def test_cli_bad_rules_are_located(tmp_path, run):
    old, new = pair(tmp_path, new_changes=[("s.yaml", "flag and x > 5", "flag and")])
    code, out, err = run("diff", old, new)
    assert code == 2 and "s.yaml:9:" in err and "NEW rule set" in err


# ---------------------------------------------------------------------------
# issue 14: day thresholds, corpora with new facts, SARIF for pull requests

DAYS_VOCAB = vocabulary("""\
    last: {type: date}
    seen: {type: date}
    on: {type: bool}
    """, id="dv")
DAYS_STD = standard("""\
    - id: c
      cite: Article 1
      severity: general
      when: "on and days(last, seen) > 90"
    """, id="ds")


def _days_pair(tmp_path, old_when, new_when):
    def files(when):
        return {"v.yaml": DAYS_VOCAB, "s.yaml": DAYS_STD.replace("days(last, seen) > 90", when)}

    return (load(write_rules(tmp_path / "old", files(old_when))),
            load(write_rules(tmp_path / "new", files(new_when))))


def _cx(old, new):
    [c] = [c for c in diff_rules(old, new) if c["kind"] == "clause"]
    return c["counterexample"]


def _days(cx):
    import datetime

    f = cx["facts"]
    return (datetime.date.fromisoformat(f["seen"]) - datetime.date.fromisoformat(f["last"])).days


def test_moved_days_threshold_has_a_counterexample(tmp_path):
    old, new = _days_pair(tmp_path, "days(last, seen) > 90", "days(last, seen) > 60")
    cx = _cx(old, new)
    assert cx["found"] and cx["old"] is False and cx["new"] is True
    assert 60 < _days(cx) <= 90  # a distance the two thresholds disagree on


def test_moved_days_threshold_against_a_date_constant(tmp_path):
    old, new = _days_pair(tmp_path, "days(last, 2025-01-01) > 90", "days(last, 2025-01-01) >= 90")
    cx = _cx(old, new)
    import datetime

    assert cx["found"] and (datetime.date(2025, 1, 1) - datetime.date.fromisoformat(cx["facts"]["last"])).days == 90


def test_moved_date_threshold_has_a_counterexample(tmp_path):
    old, new = _days_pair(tmp_path, "last < 2024-06-01", "last < 2024-05-01")
    cx = _cx(old, new)
    assert cx["found"] and "2024-05-01" <= cx["facts"]["last"] < "2024-06-01"


def test_equal_day_conditions_agree(tmp_path):
    old, new = _days_pair(tmp_path, "days(last, seen) > 90", "not (days(last, seen) <= 90)")
    assert _cx(old, new) == {"found": False, "complete": True}


NEW_FACT_VOCAB = VOCAB + "  added: {type: bool}\n"


def test_corpus_with_facts_only_the_new_set_declares(tmp_path, run):
    old, new = pair(tmp_path, new_changes=[("v.yaml", VOCAB, NEW_FACT_VOCAB),
                                           ("s.yaml", "flag and x > 5", "(flag and x > 5) or added")])
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.yaml").write_text("n: 3\nflag: false\nadded: true\n", encoding="utf-8")
    (d / "b.yaml").write_text("n: 3\nflag: false\nadded: false\n", encoding="utf-8")
    (d / "c.yaml").write_text("n: 3\nflag: false\n", encoding="utf-8")
    rep = corpus_changes(load(old), load(new), str(d), __import__("datetime").date(2024, 3, 1))
    assert rep["errors"] == []
    assert rep["ignored_by_old"] == {"added": 2} and rep["ignored_by_new"] == {}
    items = {os.path.basename(e["entity"]): e["changes"] for e in rep["items"]}
    assert sorted(items) == ["a.yaml", "c.yaml"]  # b: added is false, nothing changes
    assert items["a.yaml"]["findings"] == {"added": ["std/c1"], "removed": []}
    assert items["c.yaml"]["undetermined"] == {"added": ["std/c1"], "removed": []}  # added unknown
    code, out, err = run("diff", old, new, "--facts", d, "--as-of", "2024-03-01")
    assert code == 0, err
    assert "left out under OLD (it does not declare them): added (2 entities)" in out
    code, out, err = run("diff", old, new, "--facts", d, "--format", "markdown")
    assert code == 0 and "- left out under OLD" in out and "**2 of 3 entities change**" in out


def test_corpus_with_facts_the_new_set_removed(tmp_path):
    old, new = pair(tmp_path, old_changes=[("v.yaml", VOCAB, NEW_FACT_VOCAB)])
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.yaml").write_text("n: 3\nadded: true\n", encoding="utf-8")
    rep = corpus_changes(load(old), load(new), str(d), __import__("datetime").date(2024, 3, 1))
    assert rep["errors"] == [] and rep["ignored_by_new"] == {"added": 1}


def test_a_fact_neither_declares_is_still_a_bad_entity(tmp_path):
    old, new = pair(tmp_path)
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a.yaml").write_text("n: 3\nnobody: 1\n", encoding="utf-8")
    rep = corpus_changes(load(old), load(new), str(d), __import__("datetime").date(2024, 3, 1))
    assert len(rep["errors"]) == 1 and "nobody" in rep["errors"][0]["error"]


def test_diff_sarif_validates_and_points_at_the_changed_rule(tmp_path, run, monkeypatch):
    from test_lint_sarif import validate

    old, new = pair(tmp_path, new_changes=[("t.yaml", "n >= 10", "n >= 8"), ("s.yaml", "cite: Article 1", "cite: Article 2")])
    facts = corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    out_file = tmp_path / "diff.sarif"
    code, out, err = run("diff", "old", "new", "--facts", facts, "--format", "sarif", "-o", out_file, "--as-of", "2024-03-01")
    assert code == 0 and out == ""
    log = json.loads(out_file.read_text(encoding="utf-8"))
    validate(log)
    results = log["runs"][0]["results"]
    row = next(r for r in results if r["ruleId"] == "D200" and "row" in r["message"]["text"])
    loc = row["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "new/t.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 5  # the changed row, "high"
    assert row["level"] == "warning" and row["properties"]["counterexample"]["facts"] == {"n": 8}
    cite = next(r for r in results if r["ruleId"] == "D102")
    assert cite["level"] == "note" and "Article 1 → Article 2" in cite["message"]["text"]
    assert cite["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "new/s.yaml"
    ents = next(r for r in results if r["ruleId"] == "D300")
    assert len(ents["properties"]["entities"]) == 2
