"""A second round of clumsy rule files and arguments, as an author writing a
city overlay from scratch meets them: each answer is one located error about
what is actually wrong (``PATH:LINE:COL: error: ...``), with the exit code of
SPEC §6, never a traceback."""

import pytest

from robust_fixtures import assert_no_escape, run_main

VOCAB = "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n"
STD = 'kind: standard\nid: st\nversion: "1"\nclauses:\n  - {id: c1, cite: A1, severity: major, when: "a"}\n'
MANIFEST = "kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\n"


def project(tmp_path, **files):
    files = {"ruleset.yaml": MANIFEST, "v.yaml": VOCAB, "s.yaml": STD, **files}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize("fact", [
    "  b: {title: {en: B}}\n",          # no type at all
    "  b:\n    title: {en: B}\n",      # block style
])
def test_a_fact_without_type_is_told_only_that_type_is_missing(tmp_path, fact):
    """Not also that it needs `values` (only enums do) and `item` (only
    lists do): a schema `if` on a missing `type` must not hold."""
    vocab = VOCAB + fact
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": vocab}))
    assert_no_escape(code, err)
    assert code == 1
    lines = [ln for ln in err.splitlines() if ": error: " in ln and ln.startswith(f"{tmp_path}/v.yaml:")]
    assert len(lines) == 1, err
    assert lines[0].endswith(": error: missing required key 'type' in 'b'"), err
    assert "'values'" not in err and "'item'" not in err


@pytest.mark.parametrize("spec, word", [
    ("{type: enum}", "values"),
    ("{type: list}", "item"),
])
def test_enum_and_list_facts_still_need_their_values_or_item(tmp_path, spec, word):
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": VOCAB + f"  b: {spec}\n"}))
    assert_no_escape(code, err)
    assert code == 1 and f"'{word}'" in err, err


@pytest.mark.parametrize("where", ["when", "applies_when"])
def test_a_clause_reading_the_finding_counts_is_a_load_error(tmp_path, where):
    """findings.* exist only for tables that read findings (SPEC §3); a clause
    reading them depends on itself (standards → findings → standards): a
    load error at the clause, like any cycle (SPEC §1), not a crash later."""
    import datetime

    import safetyrules

    if where == "when":
        std = STD.replace('when: "a"', 'when: "findings.major == 0"')
    else:
        std = STD.replace("clauses:", 'applies_when: "findings.general > 0"\nclauses:')
    d = project(tmp_path, **{"s.yaml": std})
    code, out, err = run_main("validate", d)
    assert_no_escape(code, err)
    # located at the name in the expression
    line, col = (5, 48) if where == "when" else (4, 16)
    assert code == 1 and f"{tmp_path}/s.yaml:{line}:{col}: error: 'findings." in err, err
    with pytest.raises(safetyrules.SafetyRulesError):
        safetyrules.load(d).evaluate({"a": True}, as_of=datetime.date(2024, 3, 1))


@pytest.mark.parametrize("fact, needle, word", [
    ("  x.and: {type: bool}\n", "x.and", "'and' is a reserved word"),
    ("  true.x: {type: bool}\n", "true.x", "'true' is a reserved word"),
    ("  l: {type: list, item: {in: {type: bool}}}\n", "in:", "'in' is a reserved word"),
    ("  n: {type: integer, min: 5, max: 1}\n", "1}", "max 1 is less than min 5"),
])
def test_a_vocabulary_declaring_what_no_expression_could_read_or_no_value_could_meet(tmp_path, fact, needle, word):
    """SPEC §3 reserves `and or not in true false`: a fact (or list field)
    named with one cannot be read by any expression, so declaring it is an
    error at its key; and bounds no value meets are an error at `max`."""
    vocab = VOCAB + fact
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": vocab}))
    assert_no_escape(code, err)
    at = vocab.index(needle)
    line, col = vocab.count("\n", 0, at) + 1, at - (vocab.rfind("\n", 0, at) + 1) + 1
    assert code == 1 and f"{tmp_path}/v.yaml:{line}:{col}: error: " in err and word in err, err


def test_reserved_words_inside_a_segment_and_other_words_stay_fact_names(tmp_path):
    """`if`, `for`, `as` and words merely containing a reserved one are fine."""
    vocab = VOCAB + "  x.if: {type: bool}\n  x.not_ok: {type: bool}\n  android: {type: bool}\n"
    std = STD.replace('when: "a"', 'when: "a and x.if and x.not_ok and android"')
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": vocab, "s.yaml": std}))
    assert code == 0, err


@pytest.mark.parametrize("when, needle", [
    # YAML single-quoted: '' is one quote; two escapes in a row must not shift the column
    ("'s == ''it''''s'''", "''s'''"),
    ("'s == '''' and s == '''' and bogus'", "bogus"),
    ("'s == ''x'' and bogus'", "bogus"),
])
def test_column_inside_a_single_quoted_yaml_expression(tmp_path, when, needle):
    vocab = VOCAB + "  s: {type: string}\n"
    std = STD.replace('when: "a"', f"when: {when}")
    code, out, err = run_main("validate", project(tmp_path, **{"v.yaml": vocab, "s.yaml": std}))
    assert_no_escape(code, err)
    at = std.index(needle)
    line, col = std.count("\n", 0, at) + 1, at - (std.rfind("\n", 0, at) + 1) + 1
    assert code == 1 and err.startswith(f"{tmp_path}/s.yaml:{line}:{col}: error: "), (std, err)


def test_a_symlink_out_of_the_rule_set_is_named_with_where_it_leads(tmp_path):
    """The error for an include that is a symlink leaving the rule set names
    the link and its target (the link itself is inside the directory)."""
    import os

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text(STD.replace("id: st", "id: xo"), encoding="utf-8")
    d = tmp_path / "r"
    d.mkdir()
    project(d, **{"ruleset.yaml": "kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml, link.yaml]\n"})
    os.symlink(outside / "x.yaml", d / "link.yaml")
    code, out, err = run_main("validate", str(d))
    assert_no_escape(code, err)
    assert code == 1 and f"{d}/ruleset.yaml:3:" in err, err
    assert f"a symlink to {os.path.realpath(outside / 'x.yaml')}" in err and "outside the rule set's directory" in err, err


BAD_ARGS = [
    # (argv with {d} the good rule set, {x} a missing path), expected exit
    (["validate", "{x}"], 1), (["validate", "{d}/v.yaml", "{d}/s.yaml"], 1), (["test", "{x}"], 1),
    (["lint", "--format", "xml", "{d}"], 2), (["lint", "--disable", "W999", "{d}"], 2),
    (["lint", "--gaps", "2024", "{d}"], 2), (["lint", "--gaps", "2025-01-01:2024-01-01", "{d}"], 2),
    (["lint", "-o", "{x}/out.txt", "{d}"], 2), (["prove", "--format", "yaml", "{d}"], 2), (["prove", "{x}"], 1),
    (["diff", "{d}"], 2), (["diff", "{d}", "{x}"], 2), (["diff", "--as-of", "2024-13-01", "{d}", "{d}"], 2),
    (["diff", "--fail-on", "level", "{d}", "{d}"], 2), (["diff", "--facts", "{x}", "{d}", "{d}"], 2),
    (["fmt", "--check", "{x}.yaml"], 2), (["table", "export", "{d}/s.yaml", "-o", "{d}/x.csv"], 2),
    (["table", "export", "{d}/v.yaml", "-o", "{d}/x.txt"], 2), (["table", "import", "{d}/s.yaml", "-o", "{d}/o.yaml"], 2),
    (["table", "import", "{x}.csv", "-o", "{d}/o.yaml"], 2), (["schema", "bogus"], 2),
    (["schema", "facts", "--rules", "{x}"], 2), (["test", "--fail-under", "50", "{d}"], 2),
    (["test", "--junit", "{x}/j.xml", "{d}"], 2),
]


@pytest.mark.parametrize("argv, want", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments_and_paths_get_a_message_and_the_documented_exit(tmp_path, argv, want):
    d = project(tmp_path)
    argv = [a.format(d=d, x=str(tmp_path / "missing")) for a in argv]
    try:
        code, out, err = run_main(*argv)
    except SystemExit as e:  # argparse's own usage errors exit 2 with a usage line
        code, err = e.code, ""
    assert_no_escape(code, err)
    assert code == want, (argv, code, err)
    if code and err:
        assert "error" in err.lower(), err


def test_an_empty_rules_path_is_not_the_bundled_set(tmp_path):
    """`validate "$RULES"` with RULES unset must fail, not check the bundled
    set and pass; `load("")` alike (only no path at all means the bundled set)."""
    import safetyrules

    code, out, err = run_main("validate", "")
    assert_no_escape(code, err)
    assert code == 1 and "no such file or directory" in err, err
    with pytest.raises(safetyrules.SafetyRulesError):
        safetyrules.load("")
    assert safetyrules.load().plan.standards  # None: the bundled set


@pytest.mark.parametrize("value", ["150", "-1", "nan"])
def test_fail_under_must_be_a_percentage(value):
    code, out, err = run_main("test", "--coverage", "--fail-under", value)
    assert_no_escape(code, err)
    assert code == 2 and "is not a percentage" in err, err
