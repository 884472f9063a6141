"""Promises of docs/architecture.md, docs/decision.md, docs/reports.md and
docs/grading.md, checked as a user meets them (the second batch after
test_docs_promises.py; each test names the page and the sentence it holds).
"""

import argparse
import importlib
import inspect
import json
import os
import pkgutil
import re
import tomllib

import attrs
import pytest

import safetyrules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STANDARDS = os.path.join(ROOT, "standards")
RESTAURANT = os.path.join(ROOT, "examples", "facts", "restaurant-lpg.yaml")


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


@pytest.fixture(scope="module")
def restaurant(bundled):
    return bundled.evaluate(safetyrules.read_facts(RESTAURANT), as_of="2025-06-01")


# --- docs/architecture.md -------------------------------------------------

def _stage_rows():
    text = _read("docs", "architecture.md").split("## The pipeline", 1)[1].split("What users import", 1)[0]
    return re.findall(r"^\|\s*(\w*)\s*\|\s*`safetyrules\.(\w+)`[^|]*\|(.*)\|\s*$", text, re.M)


# names in the table's rows that are not modules of the row's package, each
# checked for what the page says it is
NOT_MODULES = {
    "parse": lambda: callable(importlib.import_module("safetyrules.dsl").parse),
    "graphlib": lambda: importlib.import_module("graphlib") is not None,
    "to_sql": lambda: hasattr(safetyrules.RuleSet, "to_sql"),
    "load": lambda: callable(importlib.import_module("safetyrules.engine.ruleset").load),
    "evaluate_many": lambda: hasattr(safetyrules.RuleSet, "evaluate_many"),
    "level_range": lambda: hasattr(importlib.import_module("safetyrules.engine.questions"), "level_range"),
    "next_questions": lambda: hasattr(importlib.import_module("safetyrules.engine.questions"), "next_questions"),
}


def test_architecture_module_table_names_every_module_and_only_real_ones():
    """architecture.md's stage table: each module it names for dsl, source,
    plan, backends, engine and authoring exists, and each of their modules is
    named (a newcomer's map with no hole and no ghost)."""
    rows = {pkg: what for _stage, pkg, what in _stage_rows()}
    assert {"errors", "units", "frozen", "version", "dsl", "source", "plan", "backends", "engine",
            "authoring", "supervision", "report", "service", "cli"} <= set(rows)
    for pkg in ("errors", "units", "frozen", "version", "limits", "diagnostics"):
        importlib.import_module("safetyrules." + pkg)
    for pkg in ("dsl", "source", "plan", "backends", "engine", "authoring"):
        package = importlib.import_module("safetyrules." + pkg)
        modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        named = set(re.findall(r"`([a-z_]+)`", rows[pkg]))
        ghosts = [n for n in named - modules if not (n in NOT_MODULES and NOT_MODULES[n]())]
        assert not ghosts, f"architecture.md names {ghosts} in the {pkg} row; no such module"
        assert modules <= named, f"modules of safetyrules.{pkg} the page does not name: {sorted(modules - named)}"
    assert "grammar.lark" in rows["dsl"] and os.path.isfile(os.path.join(ROOT, "safetyrules", "dsl", "grammar.lark"))
    assert "COMMAND_MODULES" in rows["cli"]
    assert importlib.import_module("safetyrules.cli.main").COMMAND_MODULES


def test_architecture_layer_list_is_the_import_linter_contract():
    """architecture.md 'Import rules': the layer order is pyproject's
    [tool.importlinter] contract, which is exhaustive."""
    text = _read("docs", "architecture.md")
    line = re.search(r"`cli` > .*?`errors`\.", text, re.S).group(0)
    doc = [[n for n in re.findall(r"`(\w+)`", part)] for part in line.split(">")]
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        contract = tomllib.load(fh)["tool"]["importlinter"]["contracts"][0]
    real = [[n.strip(" ()") for n in layer.split(":")] for layer in contract["layers"]]
    assert doc == real
    assert contract["type"] == "layers" and contract["exhaustive"] is True
    assert os.path.isfile(os.path.join(ROOT, "tests", "test_architecture.py"))


def test_architecture_plan_records_have_the_attributes_named(bundled):
    """architecture.md 'The plan': the attributes it lists are the records'."""
    p = bundled.plan
    for name in ("id", "title", "digest", "facts", "tables", "tables_before", "tables_after", "standards",
                 "decision", "specialise", "to_json", "from_json"):
        assert hasattr(p, name), name
    assert [s.id for s in p.standards] == sorted(s.id for s in p.standards)
    assert dict(p.decision) == {"level": "risk.level", "tier": "evaluation.tier", "inspection": "inspection.frequency"}
    assert all(not t.after_standards for t in p.tables_before) and all(t.after_standards for t in p.tables_after)
    s = p.standards[0]
    for name in ("id", "version", "title", "document", "source", "status", "family", "effective_from",
                 "effective_until", "supersedes", "applies_when", "clauses", "in_force"):
        assert hasattr(s, name), name
    c = s.clauses[0]
    for name in ("cite", "severity", "category", "title", "status", "when", "unless", "condition",
                 "own_condition", "reads", "key"):
        assert hasattr(c, name), name
    t = p.tables[0]
    for name in ("hit", "rows", "output", "default"):
        assert hasattr(t, name), name
    for name in ("text", "node", "position", "written"):
        assert hasattr(c.when, name), name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        c.cite = "x"


def test_architecture_named_tests_exist_with_the_numbers_given():
    """architecture.md 'Safe to share': 2,100 entity-days from 8 threads;
    3,200 expressions from 8 threads, half nested past the limit."""
    threads = _read("tests", "engine", "test_threads.py")
    assert re.search(r"^THREADS = 8$", threads, re.M)
    n = int(re.search(r"^N_ENTITIES = (\d+)", threads, re.M).group(1))
    days = re.search(r"^DAYS = \((.*)\)$", threads, re.M).group(1).count("datetime.date(")
    assert n * days == 2100
    parser = _read("tests", "dsl", "test_parser_threads.py")
    assert re.search(r"^THREADS = 8$", parser, re.M)
    assert 8 * int(re.search(r"^ROUNDS = (\d+)", parser, re.M).group(1)) == 3200
    for path in ("tests/plan/test_plan.py", "tests/dsl/test_fastparse.py", "tests/dsl/test_codegen.py"):
        assert os.path.isfile(os.path.join(ROOT, path)), path


def test_architecture_start_method_is_the_pools_argument():
    """architecture.md 'Safe to share': start_method="spawn" is an argument of
    engine.batch.parallel_decisions; evaluate_many takes jobs and chunksize."""
    from safetyrules.engine import batch

    assert inspect.signature(batch.parallel_decisions).parameters["start_method"].default is None
    params = inspect.signature(safetyrules.RuleSet.evaluate_many).parameters
    assert {"jobs", "chunksize"} <= set(params) and "start_method" not in params
    with pytest.raises(ValueError):
        list(batch.parallel_decisions(None, [{}], None, 2, start_method="forkserver"))


# --- docs/decision.md -----------------------------------------------------

def test_decision_md_example_finding_is_the_restaurants(restaurant):
    """decision.md's JSON example: the restaurant's art36.4 finding, its
    citation, category, status and the facts its condition read."""
    text = _read("docs", "decision.md")
    example = re.search(r'\{"standard": "cn.npc.safety-production-law", "version": "2021", "clause": "art36.4",.*?"facts": (\{.*?\})\}',
                        text, re.S)
    doc_facts = json.loads(example.group(1))
    (finding,) = restaurant.to_dict()["findings"]
    assert finding["facts"] == doc_facts
    for key in ("standard", "version", "clause", "cite", "severity", "category", "status"):
        assert f'"{key}": {json.dumps(finding[key], ensure_ascii=False)}' in example.group(0), key
    assert restaurant.to_dict()["level"] == "yellow"


def test_decision_md_explain_text_is_what_explain_prints(restaurant):
    """decision.md: the explain() example is the restaurant's, line by line,
    and ends with every derived fact's value."""
    text = _read("docs", "decision.md")
    block = re.search(r"```\n(cn\.npc\.safety-production-law art36\.4 .*?)```", text, re.S).group(1)
    got = restaurant.explain().splitlines()
    first, *rest = [ln for ln in block.splitlines() if ln.strip()]
    assert got[0].startswith(first.rstrip(" …"))
    want = [ln for ln in rest if ln != "…"]
    assert got[1:len(want) - 2] == want[:-3]  # the condition tree, every line
    for ln in want[-3:]:  # derived facts, a few of them
        assert ln in got
    outputs = restaurant.to_dict()["outputs"]
    assert got[-len(outputs):] == [f"{k} = {'unknown' if v is None else json.dumps(v, ensure_ascii=False).replace(chr(34), chr(39)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v}"
                                   for k, v in sorted(outputs.items())]


def test_decision_md_explanation_tables_and_changes(bundled):
    """decision.md 'Explanations as data': tables entries (given, row,
    earlier for first tables, other_rows otherwise) and changes.findings
    wrapping each finding's changes."""
    facts = safetyrules.read_facts(RESTAURANT)
    facts["evaluation"] = {"tier": "full"}
    e = bundled.evaluate(facts, as_of="2025-06-01").explanation()
    tables = {t["output"]: t for t in e["tables"]}
    assert tables["evaluation.tier"]["given"] is True and "row" not in tables["evaluation.tier"]
    scale = tables["entity.scale"]
    assert scale["hit"] == "first" and "earlier" in scale and "other_rows" not in scale
    assert set(scale["row"]) >= {"index", "id", "when", "value", "then", "facts"}
    freq = tables["inspection.frequency"]
    assert freq["hit"] == "unique" and len(freq["other_rows"]) == 3 and "earlier" not in freq
    (change,) = e["changes"]["findings"]
    assert change["finding"] == "cn.npc.safety-production-law:art36.4"
    assert {"facts": {"gas.alarm.working": True}, "level": "blue"} in change["changes"]


def test_decision_md_level_range_and_next_questions(bundled):
    """decision.md 'Decision v1': with the gas alarm unknown, art36.4 is
    undetermined; level_range.least counts it as not found (blue), most is the
    level (yellow); each missing fact is a next question settling it."""
    facts = safetyrules.read_facts(RESTAURANT)
    del facts["gas"]["alarm"]
    d = bundled.evaluate(facts, as_of="2025-06-01").to_dict()
    assert [u["clause"] for u in d["undetermined"]] == ["art36.4"]
    assert d["level_range"] == {"least": "blue", "most": "yellow"} and d["level"] == "yellow"
    assert [q["fact"] for q in d["next_questions"]] == d["missing"] == ["gas.alarm.installed", "gas.alarm.working"]
    assert all(q["settles"] == ["cn.npc.safety-production-law:art36.4"] and q["major"] == 0 for q in d["next_questions"])


def test_decision_md_gb18218_warning_shape(bundled):
    """decision.md: W-GB18218-GIVEN names the table as `standard` and the
    row (q-5 for chlorine) as `clause`; the given value is still used."""
    facts = {"entity": {"sector": "hazardous_chemicals"},
             "hazchem": {"substances": [{"name": "氯", "quantity": 1, "critical_quantity": 10, "beta": 4}]}}
    (w,) = bundled.evaluate(facts, as_of="2025-06-01").to_dict()["warnings"]
    assert (w["code"], w["standard"], w["clause"], w["severity"]) == (
        "W-GB18218-GIVEN", "cn.gb18218.given-values.2018", "q-5", "warning")


def test_decision_md_warning_keys(rules_dir):
    """decision.md 'warnings': W-DIV-ZERO names the clause and the division's
    line/column, without severity; W-NO-ROW and E-TABLE-OVERLAP name the table
    with severity warning / error, and the output is unknown."""
    from tools_fixtures import VOCAB

    d = rules_dir({"v.yaml": VOCAB,
                   "t.yaml": "kind: table\nid: t\noutput: out\nhit: unique\nrows:\n"
                             "  - {id: r1, when: \"x > 1\", then: hi}\n  - {id: r2, when: \"x > 2\", then: mid}\n",
                   "s.yaml": "kind: standard\nid: std\nversion: \"1\"\nclauses:\n  - id: c1\n    cite: Article 1\n"
                             "    severity: major\n    when: \"n / x > 1\"\n"})
    rules = safetyrules.load(d)
    overlap = rules.evaluate({"x": 3}, as_of="2025-01-01").to_dict()
    assert overlap["outputs"]["out"] is None
    assert [(w["code"], w["severity"], w["table"]) for w in overlap["warnings"]] == [("E-TABLE-OVERLAP", "error", "t")]
    div = rules.evaluate({"x": 0, "n": 1}, as_of="2025-01-01").to_dict()["warnings"]
    by_code = {w["code"]: w for w in div}
    assert (by_code["W-NO-ROW"]["severity"], by_code["W-NO-ROW"]["table"]) == ("warning", "t")
    w = by_code["W-DIV-ZERO"]
    assert (w["standard"], w["clause"]) == ("std", "c1") and {"line", "column", "message"} <= set(w)
    assert "severity" not in w


def test_decision_md_family_gap_warning(restaurant, bundled):
    """decision.md 'warnings': from 2025-11-01 no fire edition is in force and
    the decision says so with family-gap (family, standard, ended)."""
    assert restaurant.to_dict()["warnings"] == []  # 2025-06-01: GB 35181-2017 in force
    d = bundled.evaluate(safetyrules.read_facts(RESTAURANT), as_of="2026-12-01").to_dict()
    fire = [w for w in d["warnings"] if w["code"] == "family-gap" and w["family"] == "fire"]
    assert [(w["severity"], w["standard"], w["ended"]) for w in fire] == [("warning", "cn.gb35181.2017", "2025-11-01")]


def test_decision_md_major_hazard_null_while_a_major_clause_is_undetermined(bundled):
    """decision.md: major_hazard is null while a major clause is
    undetermined, and such an entity is graded red."""
    d = bundled.evaluate({"entity": {"sector": "metallurgy"}}, as_of="2025-06-01").to_dict()
    assert d["findings"] == [] and any(u["severity"] == "major" for u in d["undetermined"])
    assert d["major_hazard"] is None and d["level"] == "red"


def test_decision_md_json_explain_adds_explanation_with_jobs(run):
    """decision.md: `evaluate --format json --explain` adds "explanation" to
    each line, with --jobs too."""
    code, out, err = run("evaluate", RESTAURANT, RESTAURANT, "--format", "json", "--explain", "--jobs", "2",
                         "--as-of", "2025-06-01")
    assert code == 0, err
    lines = [json.loads(ln) for ln in out.splitlines()]
    assert len(lines) == 2 and all(set(d["explanation"]) == {"clauses", "tables", "changes"} for d in lines)
    # decision.md 'entity': kept through --jobs
    assert all(d["entity"] == {"name": "某餐馆 (restaurant, LPG)", "sector": "catering"} for d in lines)


def test_decision_md_order_and_list_item_names(bundled):
    """decision.md: 'Findings are ordered by standard id, then clause order in
    the file; undetermined clauses the same way', and missing list items are
    named with their index (cranes[1].age) -- over the golden corpus."""
    import gzip

    order = {(s.id, c.id): i for s in bundled.plan.standards for i, c in enumerate(s.clauses)}
    named = set()
    with gzip.open(os.path.join(ROOT, "tests", "data", "golden-decisions.jsonl.gz"), "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    for c in cases:
        d = c["decision"]
        for key in ("findings", "undetermined"):
            keys = [(x["standard"], order[(x["standard"], x["clause"])]) for x in d[key]]
            assert keys == sorted(keys), key
        named.update(m for u in d["undetermined"] for m in u["missing"] if "[" in m)
    assert any(re.fullmatch(r"[a-z_.]+\[\d+\]\.[a-z_]+", m) for m in named)
    # and the corpus still decides so today
    c = next(c for c in cases if len(c["decision"]["findings"]) >= 2)
    got = bundled.evaluate(c["facts"], as_of=c["as_of"]).to_dict()
    assert [(x["standard"], x["clause"]) for x in got["findings"]] == [(x["standard"], x["clause"]) for x in c["decision"]["findings"]]


# --- docs/reports.md ------------------------------------------------------

def test_reports_md_option_table_is_the_parser():
    """reports.md: the `report` options, their choices and defaults."""
    text = _read("docs", "reports.md").split("| option | default | what |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `--(\w+)(?: ([^`]+))?` \| `?([^|`]+?)`? \|", text, re.M)
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module("safetyrules.cli.report").register(sub)
    actions = {a.dest: a for a in sub.choices["report"]._actions}
    assert {r[0] for r in rows} == {"format", "by", "lang", "top", "out"}
    for name, arg, default in rows:
        a = actions[name]
        if a.choices:
            assert arg.replace("\\", "").split("|") == list(a.choices), name
        assert (str(a.default) if a.default is not None else "stdout") == default, name


def test_reports_md_a_facts_file_is_no_report(run, tmp_path):
    """reports.md: input in which no line is a decision (a facts file given by
    mistake) is an error: exit 2, no report."""
    facts = os.path.join(ROOT, "examples", "supervision", "facts.jsonl")
    code, out, err = run("report", facts)
    assert code == 2 and out == "" and "none of the" in err


def test_reports_md_counts_bad_lines_and_warns(run, tmp_path):
    """reports.md: lines that are not decisions are counted, then skipped,
    with a warning on stderr; shares are rounded to six places in JSON."""
    code, out, err = run("evaluate", RESTAURANT, "--format", "json", "--as-of", "2025-06-01")
    assert code == 0
    path = tmp_path / "d.jsonl"
    path.write_text(out * 2 + "not json\n" + out, encoding="utf-8")
    code, out, err = run("report", path, "--format", "json")
    assert code == 0 and "1 line(s) were not decisions" in err
    summary = json.loads(out)
    assert summary["entities"] == 3 and summary["bad_lines"] == 1
    assert summary["level"]["shares"] == {"yellow": 1.0}


def test_reports_md_i18n_snippet_and_limits():
    """reports.md 'Languages': the translator snippet's result; 'A graded
    registry': 25 groups drawn; 'Speed': a file over 16 MiB is split."""
    from safetyrules.report import charts, summary
    from safetyrules.report.i18n import translator

    t = translator("zh")
    assert (t("Findings"), t.value("level", "red"), t.title({"zh": "标题", "en": "Title"})) == ("隐患", "红", "标题")
    assert summary.PARALLEL_BYTES == 16 << 20
    assert inspect.signature(charts.stacked_levels).parameters["limit"].default == 25


# --- docs/grading.md ------------------------------------------------------

def _manifest(tmp_path, name, includes, extra=None):
    rel = os.path.relpath(STANDARDS, tmp_path)
    inc = [f"{rel}/{i}" if not i.startswith("./") else i[2:] for i in includes]
    (tmp_path / name).write_text(
        f"kind: ruleset\nid: t.{name[:-5]}\ntitle: {{zh: 测试, en: test}}\ninclude: [{', '.join(inc)}]\n"
        "decision: {level: risk.level, tier: evaluation.tier, inspection: inspection.frequency}\n", encoding="utf-8")
    return str(tmp_path / name)


def test_grading_md_risk_level_rows_and_unknown_never_blue(tmp_path):
    """grading.md: with nothing found and nothing undetermined an ordinary
    entity is blue, a high-risk one yellow, and one whose high-risk or
    major-hazard status is unknown gets no level (never blue)."""
    rules = safetyrules.load(_manifest(tmp_path, "level.yaml", ["vocabulary/core.yaml", "grading/*.yaml"]))

    def level(**entity):
        facts = {"entity": entity} if entity else {}
        return rules.evaluate(facts, as_of="2025-06-01").to_dict()["level"]

    assert level(high_risk_sector=False, major_hazard_source=False) == "blue"
    assert level(high_risk_sector=True, major_hazard_source=False) == "yellow"
    assert level(high_risk_sector=False, major_hazard_source=True) == "yellow"
    assert level(high_risk_sector=False) is None
    assert level() is None


def test_grading_md_frequency_table(tmp_path):
    """grading.md 'Inspection frequency': red monthly, orange quarterly,
    yellow semiannual, blue annual; an unknown level, an unknown frequency."""
    rules = safetyrules.load(_manifest(tmp_path, "freq.yaml", ["vocabulary/core.yaml", "grading/*.yaml"]))
    for lvl, freq in (("red", "monthly"), ("orange", "quarterly"), ("yellow", "semiannual"), ("blue", "annual")):
        assert rules.evaluate({"risk": {"level": lvl}}, as_of="2025-06-01").to_dict()["inspection"] == freq
    assert rules.evaluate({}, as_of="2025-06-01").to_dict()["inspection"] is None


def test_grading_md_lec_mapping(tmp_path):
    """grading.md 'LEC': the worst activity's D decides; class 1 red (D >
    320), 2 orange, 3 yellow, 4-5 blue; upper bounds inclusive (320 is class
    2, 160 class 3, 70 class 4)."""
    rules = safetyrules.load(_manifest(tmp_path, "lec.yaml", ["vocabulary/core.yaml", "grading-lec/*.yaml",
                                                               "grading/inspection-frequency.yaml"]))

    def level(*lecs):
        acts = [{"name": f"a{i}", "l": lk, "e": ek, "c": ck} for i, (lk, ek, ck) in enumerate(lecs)]
        return rules.evaluate({"lec": {"activities": acts}}, as_of="2025-06-01").to_dict()["level"]

    assert level((6, 6, 9)) == "red" and level((8, 4, 10)) == "orange" and level((6, 3, 9)) == "orange"
    assert level((10, 4, 4)) == "yellow" and level((1, 1, 71)) == "yellow"
    assert level((1, 1, 70)) == "blue" and level((1, 1, 20)) == "blue"
    assert level((1, 1, 5), (1, 1, 100), (6, 6, 9)) == "red"  # the worst activity decides
    assert level() is None  # no assessment: unknown


def test_grading_md_own_grading_by_relative_includes_and_two_level_tables(tmp_path, run):
    """grading.md 'Changing the defaults': a manifest with its own grading
    lists the bundled files by paths relative to it (no
    --allow-outside-includes) and leaves out grading/risk-level.yaml; two
    tables deriving risk.level is a load error."""
    (tmp_path / "my-level.yaml").write_text(
        "kind: table\nid: my.level\ntitle: {zh: 本地等级, en: Local level}\nsource: local\nstatus: provisional\n"
        "output: risk.level\nhit: first\nrows:\n"
        "  - {id: red, when: \"findings.major > 0 or findings.major_undetermined > 0\", then: red}\n"
        "  - {id: blue, when: \"findings.major == 0\", then: blue}\n", encoding="utf-8")
    base = ["vocabulary/*.yaml", "classification/*.yaml", "industry/*.yaml"]
    own = _manifest(tmp_path, "own.yaml", base + ["grading/inspection-frequency.yaml", "./my-level.yaml"])
    code, out, err = run("evaluate", RESTAURANT, "--rules", own, "--as-of", "2025-06-01", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["level"] == "blue"  # the bundled table would say yellow
    both = _manifest(tmp_path, "both.yaml", base + ["grading/*.yaml", "./my-level.yaml"])
    code, out, err = run("validate", both)
    assert code == 1 and "both write 'risk.level'" in err


def test_grading_md_an_extending_overlay_cannot_replace_the_grading(tmp_path, run):
    """grading.md: an overlay that `extends: cn.default` inherits the bundled
    grading and cannot replace it (a second risk.level table is a load error)."""
    (tmp_path / "my-level.yaml").write_text(
        "kind: table\nid: my.level\ntitle: {zh: 本地等级, en: Local level}\nsource: local\nstatus: provisional\n"
        "output: risk.level\nhit: first\nrows:\n  - {id: blue, when: \"findings.major == 0\", then: blue}\n",
        encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(
        "kind: ruleset\nid: t.overlay\ntitle: {zh: 叠加, en: overlay}\nextends: cn.default\ninclude: [my-level.yaml]\n",
        encoding="utf-8")
    code, out, err = run("validate", tmp_path / "ruleset.yaml")
    assert code == 1 and "both write 'risk.level'" in err


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


SEVERITY = {"red": 3, "orange": 2, "yellow": 1, "blue": 0}


def test_grading_md_supplying_a_missing_fact_never_raises_the_level(bundled):
    """grading.md / decision.md: supplying a fact the decision names as missing
    never raises the level (a sample of the golden corpus, each missing scalar
    fact set to each value of its domain in turn)."""
    import gzip

    from safetyrules.engine.questions import domains_for

    dom = domains_for(bundled.plan)
    with gzip.open(os.path.join(ROOT, "tests", "data", "golden-decisions.jsonl.gz"), "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    cases = [c for c in cases if c["decision"]["level"] in ("orange", "yellow", "blue") and c["decision"]["missing"]]
    tried = 0
    for c in cases[::6][:40]:
        facts = _flat(c["facts"])
        before = SEVERITY[c["decision"]["level"]]
        for fact in [m for m in c["decision"]["missing"] if "[" not in m][:4]:
            for value in dom.values(fact)[:4]:
                after = bundled.evaluate({**facts, fact: value}, as_of=c["as_of"]).to_dict()["level"]
                tried += 1
                assert after is None or SEVERITY[after] <= before, (c["as_of"], fact, value, c["decision"]["level"], after)
    assert tried > 100


def test_grading_md_a_settled_clause_can_leave_the_level_unknown(bundled):
    """grading.md: at orange only through G = 3 undetermined clauses, with the
    major-hazard-source status unknown, settling one of them as not found
    leaves no level (the orange row is unknown), not a lower one."""
    facts = {"entity.sector": "catering", "entity.employees": 21, "entity.revenue": 517,
             "safety.any_staff": True, "safety.dedicated_staffing": False, "project.kind": "none",
             "gas.fuel_used": True, "gas.alarm.working": True, "hazchem.substances": [{"quantity": 0.3}],
             "fire.crowded_place": True, "fire.fe_goods.facility": False, "fire.hazard_places": [],
             "fire.fe_goods_in_crowded_place": False, "fire.refuge_noncompliant": False}
    d = bundled.evaluate(facts, as_of="2026-12-01").to_dict()
    assert d["outputs"]["entity.major_hazard_source"] is None
    assert sorted(u["clause"] for u in d["undetermined"]) == ["art24.1", "art36.4", "art40"]
    assert d["level"] == "orange"
    settled = bundled.evaluate({**facts, "entity.nbs_sector": "industry"}, as_of="2026-12-01").to_dict()
    assert "art24.1" not in {u["clause"] for u in settled["undetermined"]} and not settled["findings"]
    assert settled["level"] is None


def test_grading_md_tables_are_marked_provisional(bundled):
    """grading.md: the grading tables and the evaluation tier are marked
    status: provisional (project defaults, not law)."""
    lec = safetyrules.load(os.path.join(STANDARDS, "ruleset-lec.yaml"))
    tables = {t.id: t for t in list(bundled.plan.tables) + list(lec.plan.tables)}
    for tid in ("cn.project.risk-level.four-colour", "cn.project.inspection-frequency",
                "cn.project.evaluation-tier", "cn.project.risk-level.lec"):
        assert tables[tid].status == "provisional", tid
        assert "NOT law" in tables[tid].source, tid


# --- links of the four pages ---------------------------------------------

def _anchor(heading):
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", ["architecture.md", "decision.md", "reports.md", "grading.md"])
def test_relative_links_and_anchors_resolve(page):
    """Every relative link of the page names a file that exists, and every
    #anchor a heading of it (reports.md once sent readers to a performance.md
    section that no longer exists)."""
    text = _read("docs", page)
    links = re.findall(r"\]\(([^)#\s]+\.md)(?:#([^)\s]+))?\)", text)
    assert links
    for target, anchor in links:
        path = os.path.join(ROOT, "docs", target)
        assert os.path.isfile(path), (page, target)
        if anchor:
            with open(path, encoding="utf-8") as fh:
                heads = {_anchor(h) for h in re.findall(r"^#+ (.*)$", fh.read(), re.M)}
            assert anchor in heads, (page, target, anchor)


def test_reports_md_speed_figures_are_the_benchmarks_formats():
    """reports.md 'Speed': the table lists exactly the commands the benchmark
    times."""
    bench = _read("benchmarks", "bench_report.py")
    timed = re.findall(r'\("(json|html|markdown)", "(grid|sector|scale)"\)', bench)
    table = re.findall(r"^\| `report --format (\w+) --by (\w+)` \|", _read("docs", "reports.md"), re.M)
    assert table == timed and len(timed) == 4
