"""A black-box audit of SPEC §2 (facts) and §5 (Python API), and the issue 10
text: pandas NaN/NaT (and pd.NA) and None are unknown, numpy scalars and
pandas/datetime timestamps are accepted where the fact's type allows, in
``rules.evaluate`` and ``evaluate_many`` alike."""

import datetime
import json

import pytest

import safetyrules
from safetyrules import EvaluationError, FactsError, RuleFileError, SafetyRulesError
import cli_fork

from rule_files import standard, vocabulary

DAY = datetime.date(2024, 3, 1)

VOCAB = vocabulary("""\
    entity.id: {type: string}
    entity.name: {type: string}
    entity.sector: {type: enum, values: [metallurgy, machinery, other]}
    entity.employees: {type: integer, unit: person, min: 0}
    entity.revenue: {type: number, unit: 10k_CNY}
    site.opened: {type: date}
    p: {type: bool}
    cranes: {type: list, item: {age: {type: integer, unit: year}, ok: {type: bool}}}
    """)

STANDARD = standard("""\
    - {id: big, cite: A1, severity: major, when: "entity.employees >= 100 and p"}
    - {id: old, cite: A2, severity: general, when: "any(c in cranes: c.age > 10 and not c.ok)"}
    - {id: ratio, cite: A3, severity: general, when: "entity.revenue / entity.employees < 1"}
    - {id: new, cite: A4, severity: general, when: "site.opened >= 2024-01-01"}
    """, applies_when="entity.sector in ['metallurgy', 'machinery']")

MANIFEST = "kind: ruleset\nid: audit\ninclude: [v.yaml, s.yaml]\ndecision: {}\n"


@pytest.fixture(scope="module")
def rule_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("api_audit")
    (d / "v.yaml").write_text(VOCAB, encoding="utf-8")
    (d / "s.yaml").write_text(STANDARD, encoding="utf-8")
    (d / "ruleset.yaml").write_text(MANIFEST, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def rules(rule_dir):
    return safetyrules.load(str(rule_dir / "ruleset.yaml"))


def js(decision):
    return json.dumps(decision.to_dict(), sort_keys=True, allow_nan=False)


BASE = {"entity.id": "e1", "entity.sector": "metallurgy", "entity.employees": 500, "p": True,
        "entity.revenue": 2.5, "site.opened": datetime.date(2024, 2, 1)}


# -- §5: load ---------------------------------------------------------------------

def test_load_takes_the_manifest_or_its_directory(rules, rule_dir):
    by_dir = safetyrules.load(str(rule_dir))
    assert js(by_dir.evaluate(BASE, as_of=DAY)) == js(rules.evaluate(BASE, as_of=DAY))
    bundled = safetyrules.load()
    d = bundled.evaluate({"entity.employees": 12}, as_of=datetime.date(2024, 3, 1))
    assert isinstance(d.to_dict(), dict) and d.to_dict()["as_of"] == "2024-03-01"


def test_error_classes_are_exported_and_share_the_base():
    for cls in (safetyrules.RuleFileError, safetyrules.FactsError, safetyrules.EvaluationError):
        assert issubclass(cls, safetyrules.SafetyRulesError)


def test_rule_file_error_has_path_line_and_column(tmp_path):
    (tmp_path / "v.yaml").write_text(VOCAB, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(STANDARD.replace("entity.revenue / entity.employees", "entity.revnue / 2"),
                                     encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(MANIFEST, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        safetyrules.load(str(tmp_path))
    err = info.value
    assert err.path.endswith("s.yaml") and isinstance(err.line, int) and isinstance(err.column, int)
    line = (tmp_path / "s.yaml").read_text(encoding="utf-8").splitlines()[err.line - 1]
    assert line[err.column - 1:].startswith("entity.revnue")


# -- §5: dsl.evaluate ---------------------------------------------------------------

def test_dsl_evaluate_values_unknown_and_type_errors():
    assert safetyrules.dsl.evaluate("a and b", {"a": False}) is False
    assert safetyrules.dsl.evaluate("a or b", {"a": True}) is True
    assert safetyrules.dsl.evaluate("a and b", {"a": True}) is None
    assert safetyrules.dsl.evaluate("a + 1", {"a": 2}) == 3
    for text, facts in (("'a' < 1", {}), ("1 and true", {})):
        with pytest.raises(EvaluationError):
            safetyrules.dsl.evaluate(text, facts)


# -- §2: facts ----------------------------------------------------------------------

def test_nested_and_dotted_are_the_same_and_both_ways_is_an_error(rules):
    nested = {"entity": {"id": "e1", "sector": "metallurgy", "employees": 500, "revenue": 2.5}, "p": True,
              "site": {"opened": "2024-02-01"}}
    assert js(rules.evaluate(nested, as_of=DAY)) == js(rules.evaluate(BASE, as_of=DAY))
    with pytest.raises(FactsError) as info:
        rules.evaluate({**BASE, "entity": {"sector": "metallurgy"}}, as_of=DAY)
    assert info.value.fact == "entity.sector"


@pytest.mark.parametrize(
    "fact, value",
    [
        ("entity.employees", 3.5), ("entity.employees", -1), ("entity.employees", "5"), ("entity.employees", True),
        ("p", 1), ("p", "true"), ("entity.sector", "mining"), ("site.opened", "2024-02-30"), ("site.opened", 20240201),
        ("nobody.declared", 1),
    ],
)
def test_values_of_the_wrong_type_name_the_fact(rules, fact, value):
    with pytest.raises(FactsError) as info:
        rules.evaluate({**BASE, fact: value}, as_of=DAY)
    assert info.value.fact == fact and isinstance(info.value, SafetyRulesError)


def test_integral_float_and_iso_date_are_accepted(rules):
    want = js(rules.evaluate(BASE, as_of=DAY))
    assert js(rules.evaluate({**BASE, "entity.employees": 500.0}, as_of=DAY)) == want
    assert js(rules.evaluate({**BASE, "site.opened": "2024-02-01"}, as_of=DAY)) == want


def test_same_inputs_give_byte_identical_json(rules):
    a = rules.evaluate(dict(reversed(list(BASE.items()))), as_of=DAY)
    assert js(a) == js(rules.evaluate(BASE, as_of=DAY))
    assert json.dumps(a.to_dict()) == json.dumps(rules.evaluate(BASE, as_of=DAY).to_dict())


# -- issue 10: pandas/numpy values --------------------------------------------------

def _missing_markers():
    import numpy as np
    import pandas as pd

    return {"None": None, "nan": float("nan"), "np.nan": np.float64("nan"), "NaT": pd.NaT,
            "datetime64 NaT": np.datetime64("NaT"), "pd.NA": pd.NA}


@pytest.mark.parametrize("marker", ["None", "nan", "np.nan", "NaT", "datetime64 NaT", "pd.NA"])
@pytest.mark.parametrize("fact", ["entity.sector", "entity.employees", "entity.revenue", "p", "site.opened",
                                  "entity.name"])
def test_pandas_missing_values_are_unknown(rules, fact, marker):
    value = _missing_markers()[marker]
    without = {k: v for k, v in BASE.items() if k != fact}
    want = js(rules.evaluate(without, as_of=DAY))
    assert js(rules.evaluate({**BASE, fact: value}, as_of=DAY)) == want
    (got,) = list(rules.evaluate_many([{**BASE, fact: value}], as_of=DAY))
    assert not isinstance(got, Exception), got
    assert js(got) == want


def test_a_missing_entity_id_is_left_out_of_the_entity_block(rules):
    import numpy as np
    import pandas as pd

    for value in (float("nan"), pd.NA, np.float64("nan")):
        d = rules.evaluate({**BASE, "entity.id": value}, as_of=DAY).to_dict()
        assert "id" not in d["entity"] and d["entity"]["sector"] == "metallurgy"


def test_numpy_scalars_and_timestamps_are_accepted(rules):
    import numpy as np
    import pandas as pd

    want = js(rules.evaluate(BASE, as_of=DAY))
    for fact, value in (("entity.employees", np.int64(500)), ("entity.employees", np.int32(500)),
                        ("entity.employees", np.float64(500.0)), ("entity.revenue", np.float64(2.5)),
                        ("p", np.bool_(True)), ("entity.sector", np.str_("metallurgy")), ("entity.id", np.str_("e1")),
                        ("site.opened", pd.Timestamp("2024-02-01")), ("site.opened", datetime.datetime(2024, 2, 1)),
                        ("site.opened", np.datetime64("2024-02-01"))):
        got = rules.evaluate({**BASE, fact: value}, as_of=DAY)
        assert js(got) == want, (fact, value)
        (many,) = list(rules.evaluate_many([{**BASE, fact: value}], as_of=DAY))
        assert js(many) == want, (fact, value)
    for fact, value in (("entity.employees", np.float64(3.5)), ("p", np.int64(1)),
                        ("site.opened", pd.Timestamp("2024-02-01 13:00")), ("entity.employees", np.bool_(True))):
        with pytest.raises(FactsError) as info:
            rules.evaluate({**BASE, fact: value}, as_of=DAY)
        assert info.value.fact == fact


def test_dataframe_records_of_nullable_dtypes(rules):
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({
        "entity.id": ["a", np.nan, "c"],
        "entity.sector": pd.array(["metallurgy", None, "other"], dtype="string"),
        "entity.employees": pd.array([500, None, 3], dtype="Int64"),
        "p": pd.array([True, None, False], dtype="boolean"),
        "site.opened": pd.to_datetime(["2024-02-01", None, "2023-01-01"]),
        "entity.revenue": [np.nan, 1.0, 2.0],
    })
    plain = [
        {"entity.id": "a", "entity.sector": "metallurgy", "entity.employees": 500, "p": True,
         "site.opened": datetime.date(2024, 2, 1)},
        {"entity.revenue": 1.0},
        {"entity.id": "c", "entity.sector": "other", "entity.employees": 3, "p": False,
         "site.opened": datetime.date(2023, 1, 1), "entity.revenue": 2.0},
    ]
    want = [js(rules.evaluate(r, as_of=DAY)) for r in plain]
    records = df.to_dict("records")
    assert [js(rules.evaluate(r, as_of=DAY)) for r in records] == want
    assert [js(d) for d in rules.evaluate_many(records, as_of=DAY)] == want


# -- §2 facts files through the CLI ---------------------------------------------------

def _cli(*args, cwd=None):
    return cli_fork.run([*args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def test_facts_files_yaml_json_and_jsonl(rules, rule_dir, tmp_path):
    (tmp_path / "a.yaml").write_text("entity:\n  id: e1\n  sector: metallurgy\n  employees: 500\n"
                                     "  revenue: 2.5\np: true\nsite.opened: 2024-02-01\n", encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({**BASE, "site.opened": "2024-02-01"}), encoding="utf-8")
    want = rules.evaluate(BASE, as_of=DAY).to_dict()
    for name in ("a.yaml", "a.json"):
        r = _cli("evaluate", str(tmp_path / name), "--rules", str(rule_dir), "--as-of", "2024-03-01",
                 "--format", "json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == json.loads(json.dumps(want)), name
    (tmp_path / "b.jsonl").write_text('{"p": true}\n{"entity.employees": 2.5}\n{"p": null}\n', encoding="utf-8")
    r = _cli("evaluate", str(tmp_path / "b.jsonl"), "--rules", str(rule_dir), "--as-of", "2024-03-01",
             "--format", "json")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "entity.employees" in r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["line"] for x in lines] == [1, 2, 3]
    assert lines[1]["error"]["fact"] == "entity.employees" and "level" in lines[2]
