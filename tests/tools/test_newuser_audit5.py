"""A new user's mistakes, met from an installed copy (no source checkout in
the working directory): each message says what to do instead."""

import os

import pytest

from safetyrules.source.files import bundled_manifests, bundled_path
from tools_fixtures import GOOD_STANDARD, VOCAB, write_rules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RESTAURANT = os.path.join(ROOT, "examples", "facts", "restaurant-lpg.yaml")


def test_rules_named_by_a_bundled_id_says_the_manifests_path(tmp_path, monkeypatch, run):
    """extends: names the bundled rule sets by id (cn.default.lec); a user
    who writes that id as --rules, or as diff's OLD, is told its path."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run("evaluate", RESTAURANT, "--rules", "cn.default.lec")
    assert code == 2
    assert f"cn.default.lec: error: no such file or directory ('cn.default.lec' is the id of a bundled rule set" in err, err
    assert bundled_manifests()["cn.default.lec"] in err, err
    code, _, err = run("diff", "cn.default", str(tmp_path))
    assert code == 2 and f"its PATH is {bundled_manifests()['cn.default']}" in err, err


def test_rules_named_as_in_a_source_checkout_says_where_pip_put_them(tmp_path, monkeypatch, run):
    """docs write the bundled files as standards/...; outside a checkout
    that path does not exist, and the error names the installed one."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run("validate", "standards/ruleset-lec.yaml")
    assert code == 1
    assert f"the bundled rule set is installed at {bundled_path()}: {os.path.join(bundled_path(), 'ruleset-lec.yaml')}" in err, err
    code, _, err = run("validate", "standards/no-such-file.yaml", "elsewhere/x.yaml")
    assert code == 1 and "installed at" not in err and "is the id" not in err, err
    assert "standards/no-such-file.yaml: error: no such file or directory\n" in err, err
    code, _, err = run("table", "export", "standards/grading/risk-level.yaml", "-o", tmp_path / "t.csv")
    assert code == 2 and f"(the bundled rule set is installed at {bundled_path()}: " in err, err


def test_a_date_in_the_wrong_form_in_a_rule_file_says_yyyy_mm_dd(tmp_path, run):
    """effective: {from: 2025/01/01} -- the message shows the form, not the
    schema's regular expression."""
    std = GOOD_STANDARD.replace('version: "1"\n', 'version: "1"\neffective: {from: 2025/01/01}\n')
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "s.yaml": std})
    code, _, err = run("validate", d)
    assert code == 1
    assert "s.yaml:4:19: error: '2025/01/01' is not a valid value for 'from' (expected a date written YYYY-MM-DD, such as 2025-01-01)" in err, err
    assert "\\d" not in err


def test_lint_disable_with_a_misspelt_code_or_name_suggests_one(run):
    code, _, err = run("lint", "--disable", "W302,no-false-exampl")
    assert code == 2 and "unknown code 'no-false-exampl' (did you mean 'no-false-example'?)" in err, err
    code, _, err = run("lint", "--disable", "w302")
    assert code == 2 and "(did you mean 'W302'?)" in err, err
    code, _, err = run("lint", "--disable", "zzz")
    assert code == 2 and "did you mean" not in err, err


def test_diff_corpus_entity_with_a_misspelt_fact_keeps_the_did_you_mean(tmp_path, run):
    """evaluate says did-you-mean for a misspelt fact; diff --facts, deciding
    the same file, says it too."""
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD})
    facts = tmp_path / "e.yaml"
    facts.write_text("flag: true\nflgg: true\n", encoding="utf-8")
    code, out, err = run("diff", d, d, "--facts", facts)
    assert code == 2
    assert f"{facts}:2:7: error: OLD: unknown fact 'flgg' (did you mean 'flag'?)" in err, err
    assert "(did you mean 'flag'?)" in out


def _doc(name):
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as fh:
        return fh.read()


def test_docs_name_bundled_files_by_their_installed_path(tmp_path, monkeypatch, run):
    """grading.md and authoring.md give the installed form of a bundled
    file (bundled_path()/...); those files exist, and cli.md's quoted error
    for an id given as a PATH is what the command prints."""
    snippet = "$(python -c 'import safetyrules; print(safetyrules.bundled_path())')"
    for page, rel in (("grading.md", "ruleset-lec.yaml"), ("authoring.md", "grading/risk-level.yaml")):
        text = " ".join(_doc(page).split())
        assert f'"{snippet}/{rel}"' in text, page
        assert os.path.isfile(os.path.join(bundled_path(), rel)), rel
    monkeypatch.chdir(tmp_path)
    code, _, err = run("validate", "cn.default.lec")
    quoted = " ".join(_doc("cli.md").split()).split("`cn.default.lec: error: ", 1)[1].split("…", 1)[0]
    assert code == 1 and ("cn.default.lec: error: " + quoted) in err, (quoted, err)


def test_yaml_errors_say_where_the_unclosed_part_began_and_name_a_tab(tmp_path, run):
    """An unclosed [ or quote is reported where the file ends; the message
    also says where it began.  A tab says that YAML indents with spaces.  The
    same for a facts file as for a rule file."""
    facts = tmp_path / "f.yaml"
    facts.write_text("entity:\n  sector: catering\n  employees: [1, 2\n", encoding="utf-8")
    code, _, err = run("evaluate", facts)
    assert code == 2
    assert err == f"{facts}:4:1: error: YAML: did not find expected ',' or ']' (while parsing a flow sequence that starts at 3:14)\n", err
    facts.write_text("entity:\n\tsector: catering\n", encoding="utf-8")
    code, _, err = run("evaluate", facts)
    assert code == 2 and f"{facts}:2:1: error: YAML: " in err and "(a tab: YAML indents with spaces, not tabs)" in err, err
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD.replace("cite: Article 1", "cite: 'Article 1")})
    code, _, err = run("validate", d)
    assert code == 1 and "(while scanning a quoted scalar that starts at 6:11)" in err, err


def test_a_facts_file_with_no_space_after_the_colon_says_so(tmp_path, run):
    facts = tmp_path / "f.yaml"
    facts.write_text("entity.sector:catering\n", encoding="utf-8")
    code, _, err = run("evaluate", facts)
    assert code == 2 and "holds text, not a mapping" in err
    assert "(a key needs a space after its colon: 'entity.sector: catering')" in err, err
    facts.write_text("just some text\n", encoding="utf-8")
    code, _, err = run("evaluate", facts)
    assert code == 2 and "space after its colon" not in err, err


def test_a_bool_fact_given_as_yes_or_quoted_true_says_how_to_write_it(tmp_path, run):
    """YAML 1.1 habits: gas.fuel_used: yes (text in YAML 1.2) or "true"."""
    facts = tmp_path / "f.yaml"
    facts.write_text("entity.sector: catering\ngas.fuel_used: yes\n", encoding="utf-8")
    code, _, err = run("evaluate", facts)
    assert code == 2
    assert err == (f"{facts}:2:16: error: fact 'gas.fuel_used' must be true or false, got 'yes' "
                   "(write true or false without quotes: YAML 1.2 reads yes, no, on and off as text)\n"), err
    lines = tmp_path / "f.jsonl"
    lines.write_text('{"gas.fuel_used": "true"}\n{"gas.fuel_used": 1}\n', encoding="utf-8")
    code, out, err = run("evaluate", lines, "--format", "json")
    first, second = err.splitlines()
    assert code == 2 and "without quotes" in first and "without quotes" not in second, err


def test_a_rule_file_given_as_facts_and_a_facts_file_given_as_rules_say_so(tmp_path, run):
    """The two files swapped: `evaluate ruleset.yaml`, `validate facts.yaml`."""
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD})
    code, _, err = run("evaluate", os.path.join(d, "s.yaml"), "--rules", d)
    assert code == 2 and err.endswith(
        "s.yaml:1:7: error: unknown fact 'kind' (a rule file? rule sets go after --rules PATH; FACTS are the facts files of entities)\n"), err
    code, _, err = run("validate", RESTAURANT)
    assert code == 1 and "missing 'kind:'" in err and "(a facts file? decide it with safetyrules evaluate FILE" in err, err
    other = tmp_path / "x.yaml"
    other.write_text("id: x\n", encoding="utf-8")
    code, _, err = run("validate", other)
    assert code == 1 and "missing 'kind:'" in err and "facts file?" not in err, err


def test_a_yaml_file_piped_to_dash_says_dash_is_json_lines_once(monkeypatch, run):
    """`cat facts.yaml | safetyrules evaluate -`: every line is bad JSON; the
    first says that '-' is JSON Lines and /dev/stdin reads a YAML file."""
    import io

    with open(RESTAURANT, encoding="utf-8") as fh:
        text = fh.read()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    code, _, err = run("evaluate", "-")
    lines = err.splitlines()
    assert code == 2 and len(lines) == len([x for x in text.splitlines() if x.strip()]), err
    assert lines[0].endswith("('-' reads JSON Lines, one entity per line; a YAML facts file on standard input is /dev/stdin)"), err
    assert not any("/dev/stdin" in x for x in lines[1:]), err
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    code, out, _ = run("evaluate", "-", "--format", "json")
    assert "/dev/stdin" not in out  # stdout: as the same lines read from a file


def test_per_entity_options_with_out_warn_that_they_do_nothing(tmp_path, run):
    """evaluate REGISTRY --out OUT --format json: the file is OUT's format;
    the ignored options are named on stderr, the run is unchanged."""
    pytest.importorskip("duckdb")
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "s.yaml": GOOD_STANDARD})
    src = tmp_path / "r.csv"
    src.write_text("flag,x\ntrue,6\n", encoding="utf-8")
    code, _, err = run("evaluate", src, "--rules", d, "--out", tmp_path / "a.jsonl")
    assert code == 0 and "warning" not in err, err
    code, _, err = run("evaluate", src, "--rules", d, "--out", tmp_path / "b.jsonl", "--format", "json", "--jobs", "2")
    assert code == 0
    assert "warning: --format, --jobs have no effect when a registry is graded to --out" in err, err
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_a_directory_given_as_facts_says_to_give_its_files(run):
    d = os.path.join(ROOT, "examples", "facts")
    code, _, err = run("evaluate", d)
    assert code == 2
    assert err == f"{d}: error: cannot read facts file: Is a directory (give the files in it: {os.path.join(d, '*.yaml')})\n", err


def test_test_keeps_the_hint_of_an_examples_bad_fact_as_validate_does(tmp_path, run):
    std = GOOD_STANDARD.replace("{facts: {flag: false, x: 6}", "{facts: {flg: false, x: 6}").replace(
        "{facts: {flag: true, x: 6}", "{facts: {flag: yes, x: 6}")
    d = write_rules(tmp_path / "r", {"v.yaml": VOCAB, "s.yaml": std})
    code, _, err = run("test", d)
    assert code == 1
    assert "c1 example 1: fact 'flag' must be true or false, got 'yes' (write true or false without quotes" in err, err
    assert "c1 example 2: unknown fact 'flg' (did you mean 'flag'?)" in err, err
    code, _, verr = run("validate", d)
    assert code == 1 and "(did you mean 'flag'?)" in verr and "without quotes" in verr, verr


def test_the_services_problem_detail_keeps_the_did_you_mean_as_its_error_does():
    """service.md: detail and errors[0].message say the same; a misspelt
    fact's detail lost the did-you-mean its error entry had."""
    pytest.importorskip("starlette")
    import warnings

    import safetyrules
    from safetyrules.service.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        client = TestClient(create_app(safetyrules.load()))
    body = client.post("/v1/evaluate", json={"facts": {"entity.sektor": "catering"}}).json()
    assert body["detail"] == body["errors"][0]["message"] == "unknown fact 'entity.sektor' (did you mean 'entity.sector'?)", body


def test_checklist_names_the_facts_it_leaves_out_of_a_facts_or_answers_file(tmp_path, run):
    """An owner's answer with a misspelt fact was dropped without a word
    ('1 not answered'); it is named on stderr, with a did-you-mean, and the
    result is unchanged."""
    src = os.path.join(ROOT, "examples", "supervision", "answers-workshop.yaml")
    with open(src, encoding="utf-8") as fh:
        text = fh.read()
    bad = tmp_path / "answers.yaml"
    bad.write_text(text.replace("gas.alarm_disabled:", "gas.alarm_disabld:"), encoding="utf-8")
    code, out, err = run("checklist", "W-001", "--kind", "self_check", "--answers", src, "--as-of", "2025-06-01")
    assert code == 0 and "warning" not in err, err
    code, out, err = run("checklist", "W-001", "--kind", "self_check", "--answers", bad, "--as-of", "2025-06-01")
    assert code == 0 and "1 not answered" in out
    assert err == (f"{bad}: warning: 'gas.alarm_disabld' is not a fact of cn.selfcheck: left out "
                   "(did you mean 'gas.alarm_disabled'?)\n"), err
    facts = tmp_path / "shop.yaml"
    facts.write_text("entity.id: S-1\nentity.sector: catering\ngas.fuel_usd: true\n", encoding="utf-8")
    code, out, err = run("checklist", facts, "--as-of", "2025-06-01")
    assert code == 0 and "(did you mean 'gas.fuel_used'?)" in err and "entity.id" not in err, err


def test_readme_python_api_block_runs_as_written():
    """README 'Python API': the block runs (given `records`), and its
    comments hold: dsl.evaluate gives False and None; bundled_path() is the
    bundled rule set's directory; evaluate_many yields a Decision or the
    record's error."""
    import re

    import safetyrules

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        block = re.search(r"## Python API\n\n```python\n(.*?)```", fh.read(), re.S).group(1)
    ns = {"records": [{"entity.sector": "catering"}, {"entity.sektor": "catering"}]}
    exec(compile(block, "README.md", "exec"), ns)  # the project's own README, not rule text
    assert ns["decision"].to_dict()["ruleset"]["id"] == "cn.default"
    got = list(ns["rules"].evaluate_many(ns["records"], jobs=2))
    assert isinstance(got[0], safetyrules.Decision) and isinstance(got[1], safetyrules.FactsError)
    assert safetyrules.dsl.evaluate("a and b", {"a": False}) is False and safetyrules.dsl.evaluate("a and b", {"a": True}) is None
    assert os.path.isfile(os.path.join(safetyrules.bundled_path(), "ruleset.yaml"))


def test_serve_max_body_with_a_unit_says_it_takes_bytes(capsys):
    from safetyrules.cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(["serve", "--max-body", "1MB"])
    assert stop.value.code == 2
    assert "argument --max-body: expected a whole number of bytes, such as 1048576 for 1 MiB, got '1MB'" in capsys.readouterr().err
