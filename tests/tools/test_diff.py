"""diff: structure, exact boundary counterexamples, changed entities of a corpus."""

import json

from safetyrules import load
from safetyrules.authoring.diff import corpus_changes, counterexample, diff_rules, threshold_moves
from safetyrules import dsl

from tools_fixtures import VOCAB, write_rules

STD = """\
kind: standard
id: std
version: "1"
effective: {from: 2020-01-01}
clauses:
  - id: c1
    cite: Article 1
    severity: major
    when: "flag and x > 5"
    examples:
      - {facts: {flag: true, x: 6}, expect: true}
      - {facts: {flag: false}, expect: false}
"""

TABLE = """\
kind: table
id: t
output: out
rows:
  - {id: high, when: "n >= 10", then: hi}
  - {id: middle, when: "n >= 5", then: mid}
  - {id: rest, when: "true", then: lo}
"""

MANIFEST = """\
kind: ruleset
id: d
include: [v.yaml, s.yaml, t.yaml]
decision: {level: out}
"""


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
