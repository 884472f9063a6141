"""diff --facts: a corpus entity with a bad field in a list item is named at
that field (PATH:LINE:COL), not at the list."""

from tools_fixtures import write_rules

from rule_files import table, vocabulary

VOCAB = vocabulary("""\
    cranes: {type: list, item: {age: {type: integer}}}
    out: {type: enum, values: [hi, lo]}
    """)
TABLE = table("t", "out", """\
    - {id: old, when: "any(c in cranes: c.age > AGE)", then: hi}
    - {id: rest, when: "true", then: lo}
    """)
MANIFEST = "kind: ruleset\nid: r\ninclude: [v.yaml, t.yaml]\ndecision: {level: out}\n"


def test_bad_list_item_field_in_the_corpus_is_located(tmp_path, run):
    old = write_rules(tmp_path / "old", {"v.yaml": VOCAB, "t.yaml": TABLE.replace("AGE", "10"), "ruleset.yaml": MANIFEST})
    new = write_rules(tmp_path / "new", {"v.yaml": VOCAB, "t.yaml": TABLE.replace("AGE", "5"), "ruleset.yaml": MANIFEST})
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.yaml").write_text("cranes:\n  - {age: 7}\n  - {age: old}\n", encoding="utf-8")
    (corpus / "b.yaml").write_text("cranes:\n  - {age: 7}\n", encoding="utf-8")
    code, out, err = run("diff", old, new, "--facts", corpus, "--as-of", "2024-03-01")
    assert code == 2
    assert f"{corpus / 'a.yaml'}:3:11: error: OLD: fact 'cranes[1].age'" in err, err
    assert "b.yaml: level lo → hi" in out
