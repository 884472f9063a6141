"""Hostile and clumsy rule files: every command answers with a located error
(``PATH:LINE:COL: error:``), never a bug's exit 70 or a traceback.

The corpus (``corpus/rules/``) holds one nasty file per class: non-finite
and huge numbers in bounds, table outputs, expressions and examples; deep
nesting; bytes that are not UTF-8; YAML features refused in rule files.
Each is loaded on its own and beside a good rule set."""

import os
import shutil
import time

import pytest

import safetyrules
from robust_fixtures import GOOD, LOCATED, LOCATED_COL, RULES_CORPUS, assert_no_escape, copy_good, run_main

CASES = sorted(os.listdir(RULES_CORPUS))


def test_the_corpus_holds_every_class():
    # a corpus that lost its files would make every test below vacuous
    assert len(CASES) >= 25
    for needed in ("bound_nan.yaml", "bound_1e309.yaml", "bound_huge_int.yaml", "table_output_nan.yaml",
                   "expr_huge_int.yaml", "deep_nesting.yaml", "not_utf8.yaml", "table_undeclared_output.yaml"):
        assert needed in CASES


@pytest.fixture(scope="module")
def beside_good(tmp_path_factory):
    """case → a directory of the good rule files plus that case."""
    out = {}
    for name in CASES:
        d = str(tmp_path_factory.mktemp("case"))
        copy_good(d)
        shutil.copy(os.path.join(RULES_CORPUS, name), os.path.join(d, "zz_" + name))
        out[name] = d
    return out


@pytest.mark.parametrize("name", CASES)
def test_every_command_locates_the_error(name, beside_good):
    alone = os.path.join(RULES_CORPUS, name)
    together = beside_good[name]
    t0 = time.monotonic()
    for argv in (
        ["validate", alone],
        ["validate", together],
        ["lint", alone],
        ["lint", together],
        ["test", together],
        ["fmt", "--check", alone],
        ["diff", GOOD, together],
        ["evaluate", "-", "--rules", together, "--format", "json"],
    ):
        code, out, err = run_main(*argv, stdin_bytes=b'{"gas.alarm": true}\n')
        assert_no_escape(code, err)
        if argv[0] == "fmt" and code == 0:
            continue  # fmt leaves YAML that is no rule file as it is
        assert code != 0, (argv, out)
        m = LOCATED_COL.search(err)
        assert m, (argv, err[:500])
        # the error names the nasty file, not 1:1 of something else
        assert os.path.basename(m.group("path")).endswith(name), (argv, err[:500])
    assert time.monotonic() - t0 < 30


@pytest.mark.parametrize("name", CASES)
def test_the_api_raises_a_located_rule_file_error(name, beside_good):
    with pytest.raises(safetyrules.RuleFileError) as info:
        safetyrules.load(beside_good[name])
    errors = getattr(info.value, "errors", [info.value])
    first = errors[0]
    assert first.path and first.path.endswith(name)
    assert first.line is not None and first.line >= 1 and first.column is not None


# -- errors at the node that caused them ---------------------------------


def _manifest(d, text):
    with open(os.path.join(d, "ruleset.yaml"), "w", encoding="utf-8") as fh:
        fh.write(text)
    return d


def _where(err_text):
    m = LOCATED_COL.search(err_text)
    assert m, err_text
    return os.path.basename(m.group("path")), int(m.group("line")), int(m.group("col"))


def test_undeclared_decision_fact_points_at_its_entry(tmp_path):
    d = copy_good(str(tmp_path))
    _manifest(d, "kind: ruleset\nid: m\ninclude: [vocabulary.yaml, standard.yaml, grading.yaml]\n"
                 "decision:\n  level: risk.level\n  tier: evaluation.tierr\n")
    code, _, err = run_main("validate", d)
    assert code == 1
    assert _where(err) == ("ruleset.yaml", 6, 9)
    assert "evaluation.tierr" in err


def test_include_matching_nothing_points_at_the_pattern(tmp_path):
    d = copy_good(str(tmp_path))
    _manifest(d, "kind: ruleset\nid: m\ninclude:\n  - vocabulary.yaml\n  - standard.yaml\n  - grading.yaml\n  - extra/*.yaml\n")
    code, _, err = run_main("validate", d)
    assert code == 1
    assert _where(err) == ("ruleset.yaml", 7, 5)


def test_undeclared_table_output_points_at_output(tmp_path):
    d = copy_good(str(tmp_path))
    with open(os.path.join(d, "grading.yaml"), encoding="utf-8") as fh:
        text = fh.read().replace("output: risk.level", "output: risk.levl")
    with open(os.path.join(d, "grading.yaml"), "w", encoding="utf-8") as fh:
        fh.write(text)
    code, _, err = run_main("validate", d)
    assert code == 1
    assert _where(err) == ("grading.yaml", 3, 9)
    assert "did you mean 'risk.level'" in err


def test_a_dependency_cycle_points_at_a_row_that_closes_it(tmp_path):
    d = copy_good(str(tmp_path))
    with open(os.path.join(d, "vocabulary.yaml"), "a", encoding="utf-8") as fh:
        fh.write("  x.a: {type: bool}\n  x.b: {type: bool}\n")
    with open(os.path.join(d, "cycle.yaml"), "w", encoding="utf-8") as fh:
        fh.write("kind: table\nid: ta\noutput: x.a\nrows:\n  - {when: \"gas.alarm\", then: true}\n  - {when: \"x.b\", then: false}\n")
    with open(os.path.join(d, "cycle2.yaml"), "w", encoding="utf-8") as fh:
        fh.write("kind: table\nid: tb\noutput: x.b\nrows:\n  - {when: \"x.a\", then: true}\n")
    code, _, err = run_main("validate", d)
    assert code == 1 and "dependency cycle" in err
    where = _where(err)
    assert where in (("cycle.yaml", 6, 12), ("cycle2.yaml", 5, 12)), err
    assert where[1] != 1


# -- includes: root, symlinks ----------------------------------------------


def test_include_outside_the_root_is_refused_without_echoing_it(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    d = copy_good(str(tmp_path / "rules"))
    _manifest(d, "kind: ruleset\nid: m\ninclude: [vocabulary.yaml, standard.yaml, grading.yaml, ../secret.yaml]\n")
    code, out, err = run_main("validate", d)
    assert code == 1
    assert "outside the rule set's directory" in err and "hunter2" not in err + out
    assert _where(err)[:2] == ("ruleset.yaml", 3)
    # a symlink inside the root that points out is refused alike
    os.symlink(str(secret), os.path.join(d, "link.yaml"))
    _manifest(d, "kind: ruleset\nid: m\ninclude: [vocabulary.yaml, standard.yaml, grading.yaml, link.yaml]\n")
    code, out, err = run_main("validate", d)
    assert code == 1 and "outside the rule set" in err and "hunter2" not in err + out
    # the flag trusts it (and then the file is read: a schema error about it)
    code, out, err = run_main("validate", "--allow-outside-includes", d)
    assert code == 1 and "outside the rule set" not in err and "link.yaml:1:1" in err
    with pytest.raises(safetyrules.RuleFileError):
        safetyrules.load(d)


def test_glob_star_star_ends_on_symlink_loops(tmp_path):
    d = copy_good(str(tmp_path / "rules"))
    sub = os.path.join(d, "more", "deeper")
    os.makedirs(sub)
    os.symlink(os.path.join(d, "more"), os.path.join(sub, "loop"))
    os.symlink(d, os.path.join(d, "more", "up"))
    shutil.move(os.path.join(d, "grading.yaml"), os.path.join(sub, "grading.yaml"))
    _manifest(d, "kind: ruleset\nid: m\ninclude: [vocabulary.yaml, standard.yaml, '**/grading.yaml']\ndecision: {level: risk.level}\n")
    t0 = time.monotonic()
    rules = safetyrules.load(d)
    assert time.monotonic() - t0 < 10
    assert [t.id for t in rules.tables] == ["robust.grade"]
    d2 = rules.evaluate({"entity.sector": "metallurgy", "contractors.present": True, "contractors.coordinated": False}, as_of="2024-01-01")
    assert d2.level == "red"
