"""Audit 4 of the entry points that read untrusted input (helper s8-untrusted).

Earlier rounds (the rest of tests/robustness) hold for YAML tricks, bounds on
integers, nesting and sizes, facts files and JSON Lines; these tests pin what
they missed.
"""

import os
import shutil

import pytest

import safetyrules
from robust_fixtures import GOOD, run_main, assert_no_escape


def _rules_with(tmp_path, old, new, name="standard.yaml"):
    d = tmp_path / "rules"
    shutil.copytree(GOOD, d)
    p = d / name
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new), encoding="utf-8")
    return d


UNLESS = 'unless: "site.distance >= 0.03 km"'


@pytest.mark.parametrize("literal", ["1e308 km", "-1.5e306 km", "1.7e308 cm * 0 + 1e308 km"])
def test_a_unit_literal_that_overflows_once_converted_is_a_located_syntax_error(tmp_path, literal):
    # 1e308 km is 1e311 m: finite as written, past every float once
    # converted to the base unit. It loaded, then every evaluation (and lint)
    # died with "internal error: OverflowError: int too large to convert to float".
    d = _rules_with(tmp_path, UNLESS, f'unless: "site.distance >= {literal}"')
    with pytest.raises(safetyrules.RuleSetError) as e:
        safetyrules.load(str(d))
    err = e.value.errors[0]
    assert err.code == "E-SYNTAX", err
    assert "too large" in err.message
    assert err.path.endswith("standard.yaml") and err.line == 21, err
    code, out, errtext = run_main("lint", str(d))
    assert_no_escape(code, errtext)
    assert code == 1 and "standard.yaml:21:" in errtext and "too large" in errtext, errtext


def test_dsl_evaluate_refuses_an_overflowing_unit_literal_too():
    with pytest.raises(safetyrules.ExpressionSyntaxError, match="too large"):
        safetyrules.dsl.evaluate("d >= 1e308 km", {"d": 1.0})
    # a literal that stays finite once converted is still fine
    assert safetyrules.dsl.evaluate("d >= 1e300 km", {"d": 1.0}) is False


@pytest.fixture(scope="module")
def good():
    return safetyrules.load(GOOD)


GOOD_FACTS = {"entity.sector": "metallurgy", "gas.alarm": False, "contractors.present": True}


@pytest.mark.parametrize("where", ["group", "undeclared"])
def test_a_dict_holding_itself_is_a_depth_error_not_a_hang(good, where):
    # The compiled reader flattened nested mappings with no depth bound: a
    # cyclic dict grew its dotted prefix forever (a hang, then MemoryError).
    cyc = {}
    if where == "group":
        cyc["gas"] = cyc
        facts = cyc
    else:
        cyc["a"] = cyc
        facts = dict(GOOD_FACTS, x=cyc)
    with pytest.raises(safetyrules.FactsError) as e:
        good.evaluate(facts)
    assert e.value.code == "E-DEPTH"
    out = list(good.evaluate_many([facts, GOOD_FACTS]))
    assert isinstance(out[0], safetyrules.FactsError) and out[0].code == "E-DEPTH"
    assert isinstance(out[1], safetyrules.Decision) and out[1].level == "orange"


def test_an_include_through_a_symlink_then_dotdot_is_refused_where_it_leads(tmp_path):
    # 'sub/up/../outside/*.yaml' with sub/up -> .. : the OS resolves up/..
    # to the rule set's parent, but the match was normalised by text to
    # sub/outside/..., inside: no E-INCLUDE, then an unlocated
    # "sub/outside/x.yaml: error: cannot read file: No such file or directory"
    # (or, had that path existed, another file read in its place).
    d = tmp_path / "rules"
    shutil.copytree(GOOD, d)
    (tmp_path / "outside").mkdir()
    shutil.copy(d / "standard.yaml", tmp_path / "outside" / "x.yaml")
    (d / "sub").mkdir()
    os.symlink("..", d / "sub" / "up")
    m = d / "ruleset.yaml"
    m.write_text(m.read_text().replace("grading.yaml]", 'grading.yaml, "sub/up/../outside/*.yaml"]'))
    with pytest.raises(safetyrules.RuleSetError) as e:
        safetyrules.load(str(d))
    err = e.value.errors[0]
    assert err.code == "E-INCLUDE", err
    assert err.path.endswith("ruleset.yaml") and err.line == 3, err


@pytest.mark.parametrize(
    "facts",
    [{"\ud800": 1}, {"entity": {"\udc00x": 1}}, {"gas.alarm": {"\ud800": 1}}, {"cranes": [{"\ud800": 1}]}],
    ids=["name", "nested", "part", "field"],
)
def test_a_lone_surrogate_in_a_fact_name_is_an_error_that_can_be_written(good, facts):
    # The value check refused lone surrogates; names were echoed as given:
    # str(err).encode() raised UnicodeEncodeError, and the service answered
    # {"\ud800": 1} with a 500 (its 422 could not be written as JSON).
    with pytest.raises(safetyrules.FactsError) as e:
        good.evaluate(facts)
    err = e.value
    str(err).encode("utf-8")
    err.fact.encode("utf-8")
    assert "\\ud800" in err.message or "\\udc00" in err.message, err.message


def test_the_service_answers_a_surrogate_fact_name_with_a_422(good):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from safetyrules.service.app import create_app

    with TestClient(create_app(good), raise_server_exceptions=False) as client:
        r = client.post("/v1/evaluate", content=b'{"facts": {"\\ud800": 1, "gas.alarm": true}}')
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "E-FACTS"


@pytest.mark.parametrize("backend", ["python", "duckdb"])
@pytest.mark.parametrize("days", [-(10**9), 2**31 - 1, 2932897], ids=["before-year-1", "far", "year-10000"])
def test_a_registry_date_past_year_9999_or_before_year_1_is_located(tmp_path, backend, days):
    # date32 holds days no datetime.date can: the python backend died with
    # "internal error: OverflowError: days=-1000000000; must have magnitude
    # <= 999999999" (or "year 10000 is out of range").
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    if backend == "duckdb":
        pytest.importorskip("duckdb")
    path = tmp_path / "reg.parquet"
    pq.write_table(
        pa.table({"entity.id": ["a", "b"], "site.opened": pa.array([0, days], type=pa.date32())}), path
    )
    code, out, err = run_main("evaluate", "--rules", GOOD, str(path), "--backend", backend,
                              "--out", str(tmp_path / "o.jsonl"), "-q")
    assert_no_escape(code, err)
    assert code == 2, err
    assert "site.opened" in err and "row 1" in err and "9999" in err, err


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_report_skips_a_decision_line_with_a_lone_surrogate_escape(tmp_path, good, fmt):
    # json.loads turns "\ud800" into a lone surrogate: the report then died
    # writing it ("internal error: UnicodeEncodeError", exit 70).
    import json

    line = json.dumps(good.evaluate({"gas.alarm": True}).to_dict())
    bad = json.loads(line)
    bad["level"] = "\ud800"
    p = tmp_path / "d.jsonl"
    p.write_text(line.strip() + "\n" + json.dumps(bad) + "\n" + line.strip() + "\n", encoding="utf-8")
    assert "\\ud800" in p.read_text(encoding="utf-8")
    code, out, err = run_main("report", str(p), "--format", fmt)
    assert_no_escape(code, err)
    assert code == 0 and "1 line(s) were not decisions" in err, err
    out.encode("utf-8")


def _graded_lines(good):
    import json

    a = good.evaluate({"entity.id": "a", "gas.alarm": True}).to_dict()
    b = good.evaluate({"entity.id": "b", "gas.alarm": False}).to_dict()
    return json, a, b


@pytest.mark.parametrize("case", ["surrogate", "huge-int"])
def test_track_refuses_a_bad_json_line_with_its_line_and_a_plain_message(tmp_path, good, case):
    # a lone surrogate escape in an entity id died writing the answer
    # (internal error: UnicodeEncodeError); a 5,000-digit integer gave
    # Python's own "Exceeds the limit (4300 digits) ... use
    # sys.set_int_max_str_digits()".
    json, a, b = _graded_lines(good)
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(a) + "\n" + json.dumps(b) + "\n", encoding="utf-8")
    bad = dict(b)
    if case == "surrogate":
        bad["entity"] = {"id": "\ud800"}
        text = json.dumps(bad)
    else:
        text = json.dumps(bad)[:-1] + ', "extra": ' + "9" * 5000 + "}"
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps(a) + "\n" + text + "\n", encoding="utf-8")
    code, out, err = run_main("track", str(old), str(new), "--format", "json")
    assert_no_escape(code, err)
    assert code == 2 and "new.jsonl:2: error:" in err, err
    assert "set_int_max_str_digits" not in err and "4300" not in err, err
    out.encode("utf-8")


def test_a_json_policy_with_a_huge_integer_says_so_plainly(tmp_path, good):
    json, a, b = _graded_lines(good)
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(a) + "\n" + json.dumps(b) + "\n", encoding="utf-8")
    pol = tmp_path / "pol.json"
    pol.write_text('{"x": ' + "9" * 5000 + "}\n", encoding="utf-8")
    code, out, err = run_main("track", str(old), str(old), "--policy", str(pol), "--format", "json")
    assert_no_escape(code, err)
    assert code == 2 and "pol.json:1:1: error:" in err and "at most 300" in err, err


def test_a_whole_facts_file_is_read_to_a_bound_not_until_memory_runs_out(tmp_path, monkeypatch):
    # `evaluate /dev/zero` (or a facts.json symlink to it) read forever:
    # internal error: MemoryError. The bound is patched small here.
    from safetyrules import limits

    monkeypatch.setattr(limits, "MAX_FACTS_FILE_BYTES", 1000)
    big = tmp_path / "big.yaml"
    big.write_text("gas.alarm: true\n" + "#" * 2000 + "\n", encoding="utf-8")
    for path in (str(big), "/dev/zero"):
        code, out, err = run_main("evaluate", "--rules", GOOD, path)
        assert_no_escape(code, err)
        assert code == 2 and f"{path}:1:1: error: facts file is larger than 1000 bytes" in err, err
