"""Promises the pages of docs/ and the top-level README make, checked as a
user would meet them (each test names the page it holds to its word)."""

import json
import os
import re

import pytest

from safetyrules import diagnostics

from rule_files import standard, table, vocabulary

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = os.path.join(ROOT, "docs")


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return fh.read()


# --- docs/errors.md -------------------------------------------------------

def test_errors_md_lists_every_code_once():
    """errors.md: 'Every code safetyrules raises or reports ... with its
    default severity and area' -- one row per code, not two."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9-]*)`", _read("docs", "errors.md").split("## Every code", 1)[1], re.M)
    assert rows
    dup = sorted({c for c in rows if rows.count(c) > 1})
    assert not dup, f"codes listed twice in docs/errors.md: {dup}"
    assert len(rows) == len(diagnostics.REGISTRY)


def test_errors_md_names_every_decision_warning_code(run, tmp_path):
    """errors.md 'Warnings in decisions': the bundled rule set's decisions
    carry only codes the page lists (family-gap after an edition ends)."""
    facts = tmp_path / "f.yaml"
    facts.write_text("entity.sector: catering\ngas.fuel_used: true\n", encoding="utf-8")
    code, out, err = run("evaluate", facts, "--format", "json", "--as-of", "2026-12-01")
    assert code == 0, err
    warnings = json.loads(out)["warnings"]
    assert {w["code"] for w in warnings} == {"family-gap"}
    section = _read("docs", "errors.md").split("## Warnings in decisions", 1)[1].split("\n## ", 1)[0]
    for w in warnings:
        assert f"`{w['code']}`" in section
        for key in ("family", "standard", "ended"):
            assert key in w and f"`{key}`" in section


# --- docs/cli.md ----------------------------------------------------------

def test_cli_md_explain_is_not_text_only(tmp_path, run):
    """cli.md: --explain shows each condition in text, Markdown and HTML, and
    adds an "explanation" object to --format json."""
    facts = tmp_path / "f.yaml"
    facts.write_text("entity.sector: office\n", encoding="utf-8")
    base = ("evaluate", facts, "--as-of", "2024-03-01")
    code, out, err = run(*base, "--format", "json", "--explain")
    assert code == 0, err
    assert "explanation" in json.loads(out)
    code, plain, _ = run(*base, "--format", "json")
    assert "explanation" not in json.loads(plain)
    for fmt in ("markdown", "html"):
        _, with_, _ = run(*base, "--format", fmt, "--explain")
        _, without, _ = run(*base, "--format", fmt)
        assert "entity.high_risk_sector" in with_ and "entity.high_risk_sector" not in without, fmt


def test_cli_md_bad_json_lines_line_is_path_line_col(tmp_path, run):
    """cli.md: a bad JSON Lines line is reported as
    `big.jsonl:7:18: error: fact 'entity.sector' has value …`."""
    big = tmp_path / "big.jsonl"
    big.write_text('{"entity.sector":"office"}\n' * 6 + '{"entity.sector":"steel"}\n', encoding="utf-8")
    code, out, err = run("evaluate", big, "--format", "json", "--as-of", "2024-03-01")
    assert code == 2
    assert f"{big}:7:18: error: fact 'entity.sector' has value 'steel'" in err
    assert len(out.splitlines()) == 7


def test_cli_md_evaluate_many_of_a_file_without_a_mapping(tmp_path):
    """cli.md: evaluate_many(path) yields an E-FACTS error as a value: the
    CLI's for `[]`, 'facts must be a mapping ..., got null' for an empty file
    or null, 'got a number' for a single value."""
    import safetyrules

    rules = safetyrules.load()
    want = {"": "got null", "null\n": "got null", "3\n": "got a number", "[]\n": "holds an empty list"}
    for i, (text, words) in enumerate(want.items()):
        path = tmp_path / f"f{i}.yaml"
        path.write_text(text, encoding="utf-8")
        [err] = list(rules.evaluate_many(str(path)))
        assert isinstance(err, safetyrules.FactsError) and err.code == "E-FACTS", (text, err)
        assert words in str(err), (text, str(err))


def test_cli_md_schema_kinds(run):
    """cli.md: `schema facts|decision` print JSON Schemas; no KIND lists the
    kinds; an unknown kind exits 2."""
    for kind in ("facts", "decision", "vocabulary"):
        code, out, err = run("schema", kind)
        assert code == 0, err
        assert json.loads(out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    code, out, _ = run("schema")
    assert code == 0 and "vocabulary, table, standard, ruleset" in out
    code, _, err = run("schema", "bogus")
    assert code == 2 and "unknown kind 'bogus'" in err


# --- docs/coverage.md -----------------------------------------------------

COV_VOCAB = "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  b: {type: bool}\n  c: {type: bool}\n"
COV_STD = standard("""\
    - id: c1
      cite: Article 1
      severity: major
      when: "a and (b or c)"
      examples:
        - {facts: {a: true, b: true, c: false}, expect: true}
        - {facts: {a: false, b: true, c: false}, expect: false}
        - {facts: {a: true, b: false, c: false}, expect: false}
    """, id="demo")


def test_coverage_md_report_is_what_test_coverage_prints(tmp_path, run):
    """coverage.md 'Reading the report': the sample is the real report of
    the hand-checked example, and --fail-under prints its error line."""
    d = tmp_path / "cv"
    d.mkdir()
    (d / "v.yaml").write_text(COV_VOCAB, encoding="utf-8")
    (d / "s.yaml").write_text(COV_STD, encoding="utf-8")
    doc = _read("docs", "coverage.md")
    sample = doc.split("## Reading the report", 1)[1].split("```\n", 2)[1]
    code, out, err = run("test", d, "--coverage")
    assert code == 0, err
    assert out == sample
    code, out, err = run("test", d, "--coverage", "--fail-under", "90")
    assert code == 1
    assert "error: coverage 80.0% is under --fail-under 90.0" in out + err
    assert re.search(r"`error: coverage [0-9.]+% is under --fail-under [0-9]+\.[0-9]`", doc)


# --- docs/expressions.md --------------------------------------------------

EXPR_SYNTAX = re.compile(r"^\| `([^`]+)` \| `(1:\d+: error: [^`]+)` \|$", re.M)


def test_expressions_md_syntax_and_eval_error_tables():
    """expressions.md §6: every syntax-error and evaluation-error row prints
    the message the page shows (without a vocabulary)."""
    import safetyrules
    from safetyrules import dsl

    doc = _read("docs", "expressions.md")
    syntax = doc.split("**Syntax errors**", 1)[1].split("**Check errors**", 1)[0]
    rows = EXPR_SYNTAX.findall(syntax)
    assert len(rows) == 11
    for text, message in rows:
        with pytest.raises(safetyrules.SafetyRulesError) as info:
            dsl.evaluate(text, {})
        assert info.value.code == "E-SYNTAX" and str(info.value) == message, text
    for text, facts, message in (("'a' < 1", {}, "1:1: error: cannot order string 'a' and number 1 with '<'"),
                                 ("1 and true", {}, "1:1: error: 'and' needs true or false, got number 1"),
                                 ("x + 1", {"x": "a"}, "1:1: error: '+' needs numbers, got string 'a' and number 1"),
                                 ("10 m == 10 kg", {}, "1:9: error: cannot combine length with mass: they are different quantities")):
        assert f"`{message}`" in " ".join(doc.split()), message
        with pytest.raises(safetyrules.EvaluationError) as info:
            dsl.evaluate(text, facts)
        assert str(info.value) == message


def test_expressions_md_check_error_table(tmp_path):
    """expressions.md §6: each check-error row, loaded from a rule file,
    is an E-CHECK at the column the page shows (moved into the file)."""
    import safetyrules

    doc = _read("docs", "expressions.md")
    check = doc.split("**Check errors**", 1)[1].split("**Evaluation errors**", 1)[0]
    rows = EXPR_SYNTAX.findall(check)
    assert len(rows) == 7
    (tmp_path / "v.yaml").write_text(
        "kind: vocabulary\nid: v\nfacts:\n  height: {type: number, unit: m}\n  employees: {type: integer}\n"
        "  level: {type: enum, values: [high, low]}\n  ok: {type: bool}\n"
        "  cranes: {type: list, item: {age: {type: integer, unit: year}}}\n", encoding="utf-8")
    prefix = '    when: "'
    for text, message in rows:
        (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n  - id: c1\n    cite: A\n'
                                         f'    severity: major\n{prefix}{text}"\n', encoding="utf-8")
        with pytest.raises(safetyrules.SafetyRulesError) as info:
            safetyrules.load(str(tmp_path))
        err = (getattr(info.value, "errors", None) or [info.value])[0]
        col, _, words = message.partition(": error: ")
        assert err.code == "E-CHECK", text
        assert (err.line, err.column - len(prefix)) == (8, int(col.split(":")[1])), text
        assert err.message + (f" ({err.hint})" if err.hint else "") == words, text


def test_expressions_md_days_against_a_week_with_a_vocabulary(tmp_path):
    """expressions.md §4: with a vocabulary `days(last_check, today) > 2 week`
    compares days with 14 days."""
    import safetyrules

    (tmp_path / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  last_check: {type: date}\n  today: {type: date}\n",
                                     encoding="utf-8")
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n  - id: c1\n    cite: A\n'
                                     '    severity: major\n    when: "days(last_check, today) > 2 week"\n', encoding="utf-8")
    rules = safetyrules.load(str(tmp_path))
    for today, found in (("2024-01-16", True), ("2024-01-15", False)):
        d = rules.evaluate({"last_check": "2024-01-01", "today": today}, as_of="2024-02-01")
        assert bool(d.to_dict()["findings"]) is found, today


# --- docs/authoring.md ----------------------------------------------------

def test_authoring_md_worked_example_validates_tests_and_decides(tmp_path, run):
    """authoring.md 'A worked example': the YAML blocks, written to the files
    the steps name, validate, pass their examples and decide (step 5)."""
    doc = _read("docs", "authoring.md")
    section = doc.split("## A worked example", 1)[1].split("## A city overlay", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    names = ["vocabulary/contractors.yaml", "vocabulary/entity.yaml", "industry/my-standard.yaml",
             "grading/level.yaml", None, "ruleset.yaml"]  # None: the warn: fragment
    assert len(blocks) == len(names)
    root = tmp_path / "my-rules"
    for name, text in zip(names, blocks):
        if name:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
    code, out, err = run("validate", root)
    assert code == 0, err
    code, out, err = run("test", root)
    assert code == 0, out + err
    assert out.strip().endswith("5 passed, 0 failed"), out
    facts = tmp_path / "facts.yaml"
    facts.write_text("entity.sector: machinery\nentity.employees: 40\n"
                     "contractors.present: true\ncontractors.coordinated: false\n", encoding="utf-8")
    code, out, err = run("evaluate", facts, "--rules", root, "--as-of", "2024-03-01", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["level"] == "red" and d["major_hazard"] is True
    assert [f["clause"] for f in d["findings"]] == ["art3.1"]


# --- docs/grading.md ------------------------------------------------------

LEVEL = "kind: table\nid: my.level\noutput: risk.level\nrows:\n  - {when: \"findings.major > 0\", then: red}\n  - {when: \"true\", then: blue}\n"


def test_grading_md_own_grading_replaces_the_bundled_one_only_by_include(tmp_path, run):
    """grading.md 'Changing the defaults': an overlay (extends: cn.default)
    cannot add a second risk.level table; a manifest that includes the bundled
    files by relative path (no --allow-outside-includes) and its own table can."""
    from safetyrules.source.files import bundled_path

    over = tmp_path / "ov"
    (over / "local").mkdir(parents=True)
    (over / "ruleset.yaml").write_text("kind: ruleset\nid: ov\nextends: cn.default\ninclude: [local/*.yaml]\n", encoding="utf-8")
    (over / "local" / "lvl.yaml").write_text(LEVEL, encoding="utf-8")
    code, _, err = run("validate", over)
    assert code == 1 and "both write 'risk.level'" in err
    own = tmp_path / "own"
    (own / "g").mkdir(parents=True)
    (own / "g" / "lvl.yaml").write_text(LEVEL, encoding="utf-8")
    rel = os.path.relpath(bundled_path(), own).replace(os.sep, "/")
    inc = ", ".join(f"{rel}/{p}" for p in ("vocabulary/*.yaml", "classification/*.yaml", "industry/*.yaml",
                                             "grading/inspection-frequency.yaml")) + ", g/*.yaml"
    (own / "ruleset.yaml").write_text(f"kind: ruleset\nid: own\ninclude: [{inc}]\n"
                                      "decision: {level: risk.level, tier: evaluation.tier, inspection: inspection.frequency}\n",
                                      encoding="utf-8")
    code, out, err = run("validate", own)
    assert code == 0, err


# --- docs/lint.md ---------------------------------------------------------

def test_lint_md_w101_w201_examples_and_json_shape(tmp_path, run):
    """lint.md: the W101 and W201 'Bad' examples give the messages shown; an
    unknown --disable code exits 2; --format json has the keys listed."""
    d = tmp_path / "li"
    d.mkdir()
    (d / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  entity.revenue: {type: number, unit: 10k_CNY, min: 0}\n"
                              "  size: {type: enum, values: [medium, small, micro]}\n  dust.explosive: {type: bool}\n"
                              "  dust.room.area: {type: number, unit: m2, min: 0}\n", encoding="utf-8")
    (d / "t.yaml").write_text("kind: table\nid: t\noutput: size\nrows:\n  - {when: \"entity.revenue >= 2000\", then: medium}\n"
                              "  - {when: \"entity.revenue < 300\", then: micro}\n", encoding="utf-8")
    (d / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n  - id: art4.2\n    cite: A\n    severity: major\n'
                              '    when: "dust.explosive and dust.room.area > 500 m2 and dust.room.area < 300 m2"\n'
                              "    examples:\n      - {facts: {dust.explosive: false}, expect: false}\n", encoding="utf-8")
    doc = _read("docs", "lint.md")
    code, out, err = run("lint", d)
    assert code == 0, err
    w201 = "warning: no row of table 't' matches 300 <= entity.revenue < 2000 (e.g. entity.revenue = 300); add a row or a default [W201 table-gap]"
    assert w201 in out and w201 in doc
    # the condition quoted as written, units included (57c9fc9)
    w101 = "when of clause 'art4.2' is always false: 'dust.explosive and dust.room.area > 500 m2 and dust.room.area < 300 m2' (it can never hold) [W101 constant-condition]"
    assert f"s.yaml:8:12: warning: {w101}" in out
    assert w101.replace("dust.explosive and ", "") in doc
    code, _, err = run("lint", d, "--disable", "W999")
    assert code == 2 and "unknown code 'W999'" in err
    code, out, _ = run("lint", d, "--format", "json")
    data = json.loads(out)
    assert sorted(data) == ["errors", "paths", "summary", "version", "warnings"] and data["version"] == 1
    by = {w["code"]: w for w in data["warnings"]}
    for w in by.values():
        assert {"code", "name", "severity", "message", "path", "line", "column"} <= set(w)
    assert {"end_line", "end_column"} <= set(by["W101"])  # inside the expression
    assert "example" in by["W201"]


# --- links ----------------------------------------------------------------

PAGES = ["README.md", "cli.md", "errors.md", "expressions.md", "authoring.md", "grading.md", "lint.md", "fmt.md",
         "diff.md", "coverage.md", "ci.md", "service.md", "registry.md"]


def _anchors(text):
    """GitHub's heading anchors of a Markdown page."""
    out = set()
    for h in re.findall(r"^#+ (.+)$", text, re.M):
        a = re.sub(r"[^\w\- ]", "", h.strip().lower().replace("`", "")).replace(" ", "-")
        out.add(a)
    return out


def test_docs_links_reach_pages_and_headings():
    """Every relative link of these pages (and of the top-level README) names
    a file that exists and, with #anchor, a heading in it."""
    seen = 0
    for page in [os.path.join("docs", p) for p in PAGES] + ["README.md"]:
        text = _read(page)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            full = os.path.normpath(os.path.join(ROOT, os.path.dirname(page), path)) if path else os.path.join(ROOT, page)
            assert os.path.exists(full), f"{page}: link to {target}"
            if anchor:
                assert anchor in _anchors(_read(full)), f"{page}: no heading #{anchor} in {path or page}"
            seen += 1
    assert seen > 30


def test_errors_md_rule_set_errors_are_best_first_as_validate_prints(tmp_path, run):
    """errors.md: RuleSetError.errors lists every error in validate's order
    (an E-NAME of the manifest before an E-CHECK of a standard, though the
    standard is included first)."""
    import safetyrules

    d = tmp_path / "r"
    (d / "a").mkdir(parents=True)
    (d / "a" / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  n: {type: integer}\n  lvl: {type: enum, values: [hi, lo]}\n",
                                    encoding="utf-8")
    (d / "a" / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n  - id: c\n    cite: A\n'
                                    '    severity: major\n    when: "m > 1"\n', encoding="utf-8")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [a/*.yaml]\ndecision: {level: lvel}\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleSetError) as info:
        safetyrules.load(str(d))
    got = [(os.path.basename(e.path), e.code) for e in info.value.errors]
    assert got == [("ruleset.yaml", "E-NAME"), ("s.yaml", "E-CHECK")]
    code, _, err = run("validate", d)
    assert code == 1
    assert err.index("ruleset.yaml:4") < err.index("s.yaml:8")


def test_errors_md_check_examples_against_the_bundled_vocabulary(tmp_path, run):
    """errors.md E-CHECK: each example, in an overlay of the bundled rule set,
    gives the message in its comment."""
    d = tmp_path / "o"
    (d / "local").mkdir(parents=True)
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: o\nextends: cn.default\ninclude: [local/*.yaml]\n", encoding="utf-8")
    (d / "local" / "v.yaml").write_text("kind: vocabulary\nid: x\nfacts:\n  site.distance: {type: number, unit: m}\n"
                                        "  site.floors: {type: integer}\n", encoding="utf-8")
    doc = _read("docs", "errors.md").split("### E-CHECK", 1)[1].split("###", 1)[0]
    rows = re.findall(r'^    when: "(.+?)"\s+# (.+)$', doc, re.M)
    assert len(rows) == 6
    for expr, comment in rows:
        (d / "local" / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n  - id: c\n    cite: A\n'
                                            f'    severity: major\n    when: "{expr}"\n', encoding="utf-8")
        code, _, err = run("validate", d)
        assert code == 1, expr
        message = err.split(": error: ", 1)[1]
        for part in comment.split("…"):
            assert part.strip(" :") in message, (expr, message)


def test_errors_md_integer_digit_limit_in_the_python_api():
    """errors.md E-NUMBER: in the Python API an int fact of more than 300
    digits is an E-FACTS error naming the fact; 300 digits are accepted."""
    import safetyrules
    from safetyrules import limits

    assert limits.MAX_INT_DIGITS == 300
    rules = safetyrules.load()
    rules.evaluate({"entity.employees": int("9" * 300)}, as_of="2024-03-01")
    with pytest.raises(safetyrules.FactsError) as info:
        rules.evaluate({"entity.employees": int("9" * 301)}, as_of="2024-03-01")
    assert info.value.code == "E-FACTS" and info.value.fact == "entity.employees"
    assert "more than 300 digits is an `E-FACTS` error" in " ".join(_read("docs", "errors.md").split())


def test_errors_md_include_outside_example(tmp_path, run, monkeypatch):
    """errors.md E-INCLUDE: the manifest shown, validated from its parent
    directory, prints the line shown and never the file's contents."""
    doc = _read("docs", "errors.md").split("### E-INCLUDE", 1)[1].split("###", 1)[0]
    manifest = re.search(r"```yaml\n# rules/ruleset.yaml\n(.*?)```", doc, re.S).group(1)
    shown = re.search(r"\$ safetyrules validate rules\n(.*?)\n```", doc, re.S).group(1)
    (tmp_path / "rules" / "vocabulary").mkdir(parents=True)
    (tmp_path / "rules" / "ruleset.yaml").write_text(manifest, encoding="utf-8")
    (tmp_path / "rules" / "vocabulary" / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n", encoding="utf-8")
    (tmp_path / "secret.yaml").write_text("password: hunter2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("validate", "rules")
    assert code == 1
    assert err.strip() == shown
    assert "hunter2" not in out + err


# --- docs/fmt.md ----------------------------------------------------------

def test_fmt_md_key_orders_are_fmts():
    """fmt.md lists the canonical key order of clauses, rows, facts, titles
    and examples exactly, and the start of a standard's."""
    from safetyrules.authoring.fmt import KEY_ORDER

    text = " ".join(_read("docs", "fmt.md").split())
    for label, kind in (("clauses", "clause"), ("rows", "row"), ("facts", "fact"), ("titles", "title"),
                        ("examples", "example")):
        assert f"{label} `{', '.join(KEY_ORDER[kind])}`" in text, kind
    assert f"`{', '.join(KEY_ORDER['standard'][:7])}, ...`" in text


# --- docs/registry.md -----------------------------------------------------

def test_registry_md_batches_writer_and_progress(tmp_path):
    """registry.md: evaluate_table_batches yields evaluate_table's rows,
    calls progress(done, total) after each batch, and ResultWriter writes
    the same file as the whole result; a bad value names its 0-based row."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("duckdb")
    import safetyrules
    from safetyrules.cli.registry import ResultWriter
    from safetyrules.engine.table import evaluate_table_batches

    rules = safetyrules.load()
    reg = tmp_path / "registry.parquet"
    pq.write_table(pa.table({"entity.id": ["a", "b"], "entity.sector": ["catering", "office"],
                             "entity.employees": [10, None]}), reg)
    whole = rules.evaluate_table(str(reg), as_of="2024-03-01")
    assert whole.column_names == ["entity.id", "level", "tier", "inspection", "major_hazard", "findings", "undetermined"]
    calls = []
    writer = ResultWriter(str(tmp_path / "graded.parquet"))
    for part in evaluate_table_batches(rules, str(reg), backend="python", as_of="2024-03-01",
                                       progress=lambda done, total: calls.append((done, total))):
        writer.write(part)
    writer.close()
    assert calls == [(2, 2)]
    assert pq.read_table(tmp_path / "graded.parquet").equals(whole)
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"entity.sector": ["office", "mars"]}), bad)
    with pytest.raises(safetyrules.FactsError) as info:
        rules.evaluate_table(str(bad), as_of="2024-03-01")
    assert info.value.fact == "entity.sector" and info.value.row == 1
    assert "column 'entity.sector', row 1: has value 'mars', not one of: " in str(info.value)


def test_cli_md_internal_error_is_exit_70_and_debug_shows_it(run, monkeypatch):
    """cli.md: 70 an internal error, one line without a traceback; with
    SAFETYRULES_DEBUG=1 the exception propagates (the traceback)."""
    import safetyrules.source.schema as schema

    def boom(kind):
        raise RuntimeError("a bug")

    monkeypatch.setattr(schema, "schema_for", boom)
    monkeypatch.delenv("SAFETYRULES_DEBUG", raising=False)
    code, out, err = run("schema", "vocabulary")
    assert code == 70
    assert "internal error: RuntimeError: a bug" in err and "SAFETYRULES_DEBUG=1" in err and "Traceback" not in err
    monkeypatch.setenv("SAFETYRULES_DEBUG", "1")
    with pytest.raises(RuntimeError):
        run("schema", "vocabulary")


def test_grading_md_lec_without_an_assessment():
    """grading.md LEC: with no LEC assessment the level is unknown, unless a
    major finding makes it red."""
    import yaml

    import safetyrules

    lec = safetyrules.load(os.path.join(ROOT, "standards", "ruleset-lec.yaml"))
    facts = {}
    for name in ("steel-plant", "restaurant-lpg"):
        with open(os.path.join(ROOT, "examples", "facts", f"{name}.yaml"), encoding="utf-8") as fh:
            facts[name] = yaml.safe_load(fh)
        assert "lec" not in json.dumps(facts[name])
    steel = lec.evaluate(facts["steel-plant"], as_of="2024-03-01")
    assert steel.major_hazard is True and steel.level == "red"
    assert lec.evaluate(facts["restaurant-lpg"], as_of="2024-03-01").level is None


def test_errors_md_unreadable_facts_codes_per_json_lines_line(tmp_path, run):
    """errors.md 'E-ENCODING, E-JSON, E-ENTITY, E-DEPTH': each bad line gets
    the code of the table, in its place, and the good line is decided."""
    lines = [b"\xff", b'{"a": "\\ud800"}', b'{"a": NaN}', b'{"a": 1, "a": 2}', b"null", b"[]", b'"text"',
             b'{"x":' * 70 + b"1" + b"}" * 70, b'{"entity.employees": ' + b"9" * 301 + b"}", b'{"entity.sector": "office"}']
    want = ["E-ENCODING", "E-ENCODING", "E-JSON", "E-JSON", "E-ENTITY", "E-ENTITY", "E-ENTITY", "E-DEPTH", "E-NUMBER", None]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run("evaluate", path, "--format", "json", "--as-of", "2024-03-01")
    assert code == 2
    got = [json.loads(line) for line in out.splitlines()]
    assert [d["line"] for d in got] == list(range(1, 11))
    assert [d["error"]["code"] if "error" in d else None for d in got] == want
    assert got[-1]["level"]
    section = _read("docs", "errors.md").split("### E-ENCODING", 1)[1].split("\n## ", 1)[0]
    for c in set(want) - {None}:
        assert f"| `{c}` |" in section


def test_authoring_md_collect_warn_entries(tmp_path):
    """authoring.md: a collect table's output is a list declared with values:;
    with warn: each collected value is a warning {code, severity, message
    (': value' appended when it has no {value}), standard, clause, table} in
    the declared order; none while the output is unknown or given."""
    import safetyrules

    (tmp_path / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  b: {type: bool}\n"
                                     "  out: {type: list, values: [x, y]}\n", encoding="utf-8")
    (tmp_path / "t.yaml").write_text('kind: table\nid: t\noutput: out\nhit: collect\nwarn:\n  code: W-MINE\n'
                                     '  message: "looks wrong"\nrows:\n  - {id: r1, when: "a", then: y}\n'
                                     '  - {id: r2, when: "b", then: x}\n', encoding="utf-8")
    rules = safetyrules.load(str(tmp_path))
    d = rules.evaluate({"a": True, "b": True}, as_of="2024-03-01").to_dict()
    assert d["outputs"]["out"] == ["x", "y"]
    assert d["warnings"] == [
        {"code": "W-MINE", "severity": "warning", "message": "looks wrong: x", "standard": "t", "clause": "r2", "table": "t"},
        {"code": "W-MINE", "severity": "warning", "message": "looks wrong: y", "standard": "t", "clause": "r1", "table": "t"}]
    assert rules.evaluate({"a": True}, as_of="2024-03-01").to_dict()["warnings"] == []  # b unknown: output unknown
    assert rules.evaluate({"a": True, "b": True, "out": ["x"]}, as_of="2024-03-01").to_dict()["warnings"] == []


L2_VOCAB = vocabulary("""\
    entity.employees: {type: integer, unit: person, min: 0}
    size: {type: enum, values: [large, medium, small]}
    level: {type: enum, values: [red, yellow, blue]}
    gas.fuel_type: {type: enum, values: [lpg, natural_gas]}
    limited_space.oxygen: {type: number, unit: "%"}
    gas.alarm: {type: bool}
    g\u0430s.alarm: {type: bool}
    """)
L2_SIZE = """\
kind: table
id: sz
output: size
default: small
hit: first
rows:
  - {id: medium, when: "entity.employees >= 300", then: medium}
  - {id: large, when: "entity.employees >= 1000", then: large}
"""
L2_LEVEL = table("level", "level", """\
    - {when: "findings.major > 0", then: red}
    - {when: "findings.general >= 3", then: blue}
    - {when: "findings.general > 0", then: yellow}
    - {when: "true", then: blue}
    """)
L2_STD = standard("""\
    - id: art3.1
      cite: TODO
      severity: major
      when: "limited_space.oxygen == 19.5 % and gas.alarm and g\u0430s.alarm"
    """)


def test_lint_md_bad_examples_warn_and_good_ones_do_not(tmp_path, run):
    """lint.md: the 'Bad' examples of W203, W205, W301, W302, W401, W402 and
    W403 give those warnings (W203 and W205 with the page's words); the
    'Good' W203 order and an informational fact do not warn."""
    d = tmp_path / "l2"
    d.mkdir()
    for name, text in (("v.yaml", L2_VOCAB), ("t.yaml", L2_SIZE), ("lv.yaml", L2_LEVEL), ("s.yaml", L2_STD)):
        (d / name).write_text(text, encoding="utf-8")
    (d / "ruleset.yaml").write_text('kind: ruleset\nid: r\ninclude: ["*.yaml"]\ndecision: {level: level}\n', encoding="utf-8")
    code, out, _ = run("lint", d, "--format", "json")
    got = {(os.path.basename(w["path"]), w["code"]) for w in json.loads(out)["warnings"]}
    assert got == {("t.yaml", "W203"), ("lv.yaml", "W205"), ("s.yaml", "W301"), ("s.yaml", "W302"),
                   ("s.yaml", "W402"), ("v.yaml", "W401"), ("v.yaml", "W403")}
    code, out, _ = run("lint", d)
    assert "row 'large' of table 'sz' is never reached: row 'medium' matches every input it matches [W203 masked-row]" in out
    w205 = ("warning: level table 'level': finding-monotone fails (one more finding never gives a less severe level) "
            "for findings.general = 2, findings.major = 0")
    assert w205 in out and w205 in _read("docs", "lint.md")
    assert ": yellow; one more general finding: blue (less severe) [W205 unproven-table]" in out
    (d / "t.yaml").write_text(L2_SIZE.replace("  - {id: medium, when: \"entity.employees >= 300\", then: medium}\n", "")
                              + "  - {id: medium, when: \"entity.employees >= 300\", then: medium}\n", encoding="utf-8")
    (d / "v.yaml").write_text(L2_VOCAB.replace("natural_gas]}", "natural_gas], informational: true}"), encoding="utf-8")
    code, out, _ = run("lint", d, "--format", "json")
    codes = {w["code"] for w in json.loads(out)["warnings"]}
    assert "W203" not in codes and "W401" not in codes and "W403" in codes


# --- README.md ------------------------------------------------------------

def _help(run, *words):
    from safetyrules.cli.main import main

    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        main([*words, "--help"])
    return buf.getvalue()


def test_readme_command_table_options_exist(run):
    """README 'Command line': every --option a row shows is an option of
    that command (its --help lists it)."""
    table = _read("README.md").split("## Command line", 1)[1].split("\n\n", 2)[1]
    checked = 0
    for row in table.splitlines()[2:]:
        row = row.replace("\\|", "/")  # an escaped | inside a cell
        usage = row.split("|")[1]
        assert re.match(r"\s*`safetyrules [a-z]+", usage), row
        cells = row.split("|")[1] + " " + row.split("|")[2]
        for part in re.split(r"(?=`safetyrules [a-z]+)", cells):
            m = re.match(r"`safetyrules ([a-z]+)", part)
            if not m or m.group(1) in ("plan", "table"):
                continue  # several subcommands in one row
            text = _help(run, m.group(1))
            for opt in re.findall(r"(--[a-z][a-z-]*)", part):
                assert opt in text, (m.group(1), opt)
                checked += 1
    assert checked > 20


def test_synopses_name_real_options(run):
    """The synopsis blocks of cli.md, lint.md, diff.md, fmt.md and
    coverage.md (and the sh blocks of those pages and registry.md, ci.md):
    every --option is in the command's --help."""
    checked = 0
    for page in ("cli.md", "lint.md", "diff.md", "fmt.md", "coverage.md", "registry.md", "ci.md", "authoring.md"):
        for block in re.findall(r"```(?:sh)?\n(.*?)```", _read("docs", page), re.S):
            lines = block.replace("\\\n", " ").splitlines()
            for i, line in enumerate(lines):
                m = re.match(r"\s*(?:- run: )?safetyrules ([a-z]+)(?: (import|export|stats|seed|commit|run|verify)\b)?", line)
                if not m:
                    continue
                words = [w for w in m.groups() if w]
                if words[0] in ("plan", "draw", "grid", "track", "checklist") or (words[0] == "table" and len(words) == 1):
                    continue
                text = _help(run, *words)
                # a synopsis may continue on indented lines
                rest = [line] + [x for x in lines[i + 1:] if x.startswith(" " * 10) and "safetyrules" not in x]
                for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", " ".join(rest).split("#")[0]):
                    assert opt in text, (page, words, opt)
                    checked += 1
    assert checked > 30


def test_readme_try_it_commands(run, monkeypatch):
    """README 'Try it': the example entity decides from the repository root;
    the test extra and testpaths make `python -m pytest` the suite; .ci/run
    runs that command."""
    text = _read("README.md")
    m = re.search(r"pip install \. && safetyrules (evaluate \S+)", text)
    assert m
    monkeypatch.chdir(ROOT)
    code, out, err = run(*m.group(1).split())
    assert code == 0, err
    assert out.startswith("level: ")
    assert "pip install '.[test]' && python -m pytest" in text
    assert "pip install '.[test]' && python -m pytest" in _read(".ci", "run")
    pyproject = _read("pyproject.toml")
    assert re.search(r"^test = \[", pyproject, re.M) and 'testpaths = ["tests"]' in pyproject


def test_ci_md_sarif_rules_are_every_lint_code(tmp_path, run, monkeypatch):
    """ci.md SARIF: one run, tool safetyrules, every lint code as a rule,
    files relative to %SRCROOT% / SAFETYRULES_BUNDLED / FSROOT."""
    from safetyrules.authoring.codes import CODES

    d = tmp_path / "r"
    d.mkdir()
    (d / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("lint", "r", "--format", "sarif")
    log = json.loads(out)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run0 = log["runs"][0]
    assert run0["tool"]["driver"]["name"] == "safetyrules"
    assert {r["id"] for r in run0["tool"]["driver"]["rules"]} == set(CODES)
    assert set(run0["originalUriBaseIds"]) == {"%SRCROOT%", "SAFETYRULES_BUNDLED", "FSROOT"}
    [res] = run0["results"]  # W401: 'a' is read by nothing
    assert res["ruleId"] == "W401"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "r/v.yaml", "uriBaseId": "%SRCROOT%"}
