"""A third black-box audit of SPEC §2 (files) and §3 (expressions): what the
first two rounds (tests/dsl/test_spec3_audit.py, tests/engine/test_loader.py,
tests/engine/test_spec_api_audit.py, tests/robustness/) did not try.  Rule sets
are written to temp dirs and loaded as a user would."""

import datetime
import json

import pytest

import safetyrules
from safetyrules import dsl

DAY = datetime.date(2024, 3, 1)

VOCAB = """\
kind: vocabulary
id: v
facts:
  h: {type: number, unit: m}
  w: {type: number, unit: cm}
  a: {type: bool}
"""


def _ruleset(tmp_path, conditions, vocab=VOCAB):
    (tmp_path / "v.yaml").write_text(vocab, encoding="utf-8")
    body = "".join(
        f"  - {{id: c{i}, cite: X, severity: general, when: {json.dumps(c)}}}\n" for i, c in enumerate(conditions)
    )
    (tmp_path / "s.yaml").write_text(f'kind: standard\nid: s\nversion: "1"\nclauses:\n{body}', encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    return safetyrules.load(str(tmp_path))


def _holds(rules, conditions, facts):
    d = rules.evaluate(facts, as_of=DAY).to_dict()
    found = {f["clause"] for f in d["findings"]}
    return {c: f"c{i}" in found for i, c in enumerate(conditions)}


# -- §3 "two facts of one dimension are converted to a common unit" ----------------------
#
# 110 cm and 1.1 m are one length: comparing them must not depend on which side of the
# operator each fact is written (it did: w == h scaled h by 100, 1.1 * 100 being
# 110.00000000000001, while h == w scaled w by 1/100).

EQUAL = ["h == w", "w == h", "h >= w", "w >= h", "h <= w", "w <= h", "h - w == 0",
         "w / h == 1", "h / w == 1", "w in [h]", "h in [w]", "w in [1 km, h]", "[w] == [h]", "[h] == [w]",
         "not (w != h)", "not (h > w)", "not (w > h)"]


@pytest.mark.parametrize("h, w", [(1.1, 110), (0.07, 7), (2.3, 230), (0.29, 29)])
def test_two_facts_of_one_dimension_compare_the_same_either_way(tmp_path, h, w):
    rules = _ruleset(tmp_path, EQUAL)
    got = _holds(rules, EQUAL, {"h": h, "w": w})
    assert [c for c, ok in got.items() if not ok] == []


def test_a_sum_of_two_facts_is_in_its_left_operands_unit(tmp_path):
    # a bare number beside the sum takes that unit (it did before the fix above, too)
    conds = ["w + h > 200", "h + w > 2", "w + h < 400", "h + w < 4"]
    rules = _ruleset(tmp_path, conds)
    assert _holds(rules, conds, {"h": 1.5, "w": 150}) == dict.fromkeys(conds, True)


# -- §2/§5 the same value means the same in dsl.evaluate as in RuleSet.evaluate ------------
#
# RuleSet.evaluate takes numpy scalars and treats NaN / pandas NA / NaT as unknown (null);
# dsl.evaluate refused np.int64(3) > 1 ("cannot order int64") and took NaN as a number
# (known(x) true, not (x > 1) true).

def test_dsl_evaluate_takes_numpy_scalars_and_nan_is_unknown():
    np = pytest.importorskip("numpy")
    assert dsl.evaluate("x > 1", {"x": np.int64(3)}) is True
    assert dsl.evaluate("x + 1 == 4", {"x": np.int32(3)}) is True
    assert dsl.evaluate("x and true", {"x": np.bool_(True)}) is True
    assert dsl.evaluate("any(i in L: i.v > 1)", {"L": [{"v": np.float64(2.5)}]}) is True
    assert dsl.evaluate("d < 2024-01-01", {"d": np.datetime64("2023-01-01")}) is True
    for nan in (float("nan"), np.float64("nan"), np.datetime64("NaT")):
        assert dsl.evaluate("known(x)", {"x": nan}) is False
        assert dsl.evaluate("not (x > 1)", {"x": nan}) is None
    assert dsl.evaluate("count(i in L: i.v > 1)", {"L": [{"v": 2}, {"v": float("nan")}]}) is None


def test_dsl_evaluate_treats_pandas_missing_values_as_unknown():
    pd = pytest.importorskip("pandas")
    for na in (pd.NA, pd.NaT):
        assert dsl.evaluate("known(x)", {"x": na}) is False
        assert dsl.evaluate("x > 1", {"x": na}) is None
    assert dsl.evaluate("d < 2024-01-01", {"d": pd.Timestamp("2023-01-01")}) is True


# -- §2 YAML 1.2 scalars: a version written as a number is the text written ---------------
#
# `version: 1.10` became "1.1" in every finding (and `0o17` "15", `1e3` "1000.0"): YAML
# reads them as numbers, and str() of the number is not what the author wrote.

@pytest.mark.parametrize("written, want", [("1.10", "1.10"), ("2023", "2023"), ("0o17", "0o17"), ("1e3", "1e3"),
                                           ("'1.10'", "1.10"), ("2023-05-15", "2023-05-15")])
def test_a_version_written_as_a_number_keeps_its_spelling(tmp_path, written, want):
    (tmp_path / "v.yaml").write_text(VOCAB, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        f"kind: standard\nid: s\nversion: {written}\nclauses:\n  - {{id: c1, cite: X, severity: major, when: a}}\n", encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        f"kind: table\nid: t\nversion: {written}\noutput: out\nrows:\n  - {{when: a, then: lo}}\n", encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml, t.yaml]\ndecision: {}\n", encoding="utf-8")
    with open(tmp_path / "v.yaml", "a", encoding="utf-8") as f:
        f.write("  out: {type: enum, values: [lo, hi]}\n")
    rules = safetyrules.load(str(tmp_path))
    (finding,) = rules.evaluate({"a": True}, as_of=DAY).to_dict()["findings"]
    assert finding["version"] == want
    assert [t.version for t in rules.tables] == [want]


# -- §2 "Date facts take ISO 8601 strings (2024-03-01) as well as datetime.date values" ----
#
# RuleSet.evaluate and facts files did; dsl.evaluate, which has no vocabulary to say a fact
# is a date, took "2023-06-01" as text: `d < 2024-01-01` raised EvaluationError, `d ==
# 2023-06-01` was false.  A fact read where a date is (compared with a date literal, in a
# list of dates, an argument of days(), or of min/max beside a date) is now a date fact.

@pytest.mark.parametrize(
    "text, facts, want",
    [
        ("d < 2024-01-01", {"d": "2023-06-01"}, True),
        ("2024-01-01 > d", {"d": "2023-06-01"}, True),
        ("d == 2023-06-01", {"d": "2023-06-01"}, True),
        ("d != 2023-06-01", {"d": "2023-06-01"}, False),
        ("d in [2023-06-01, 2023-06-02]", {"d": "2023-06-02"}, True),
        ("days(d, e)", {"d": "2024-01-01", "e": "2024-03-01"}, 60),
        ("days(d, 2024-01-11)", {"d": datetime.date(2024, 1, 1)}, 10),
        ("max(d, 2023-01-01) == 2023-06-01", {"d": "2023-06-01"}, True),
        ("any(i in L: i.at < 2024-01-01)", {"L": [{"at": "2025-01-01"}, {"at": "2023-01-01"}]}, True),
        ("site.opened < 2024-01-01", {"site": {"opened": "2023-12-31"}}, True),
        # text stays text where no date is read: equal strings, and a string literal
        ("d == '2023-06-01'", {"d": "2023-06-01"}, True),
        ("'2023-06-01' == 2023-06-01", {}, False),
    ],
)
def test_dsl_evaluate_takes_iso_date_strings_for_date_facts(text, facts, want):
    got = dsl.evaluate(text, facts)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("value", ["2023-6-1", "2023-02-30", "yesterday", "２０２３-０６-０１"])
def test_dsl_evaluate_a_date_fact_that_is_not_an_iso_date_is_still_an_error(value):
    with pytest.raises(safetyrules.EvaluationError):
        dsl.evaluate("d < 2024-01-01", {"d": value})


# -- §2 "keys the file kind does not define are errors": a fact's keys of another type -----
#
# `unit` on a bool fact was refused, but `values` on a string fact (meant as an enum, and
# then silently ignored: s == 'zz' loaded, s: zz was taken), `item` on a bool, and `min`
# on a string or a date loaded and did nothing.

@pytest.mark.parametrize(
    "decl, key",
    [
        ("{type: string, values: [p, q]}", "values"),
        ("{type: bool, values: [p, q]}", "values"),
        ("{type: bool, item: {v: {type: bool}}}", "item"),
        ("{type: integer, item: {v: {type: bool}}}", "item"),
        ("{type: string, min: 0}", "min"),
        ("{type: date, min: 0}", "min"),
        ("{type: enum, values: [p], max: 3}", "max"),
        ("{type: list, item: {v: {type: bool}}, min: 0}", "min"),
        ("{type: list, item: {v: {type: string, values: [p]}}}", "values"),
    ],
)
def test_a_fact_key_its_type_does_not_take_is_a_located_load_error(tmp_path, decl, key):
    line = f"  z: {decl}\n"
    with pytest.raises(safetyrules.RuleFileError) as e:
        _ruleset(tmp_path, ["a"], VOCAB + line)
    errors = getattr(e.value, "errors", None) or [e.value]
    (err,) = [x for x in errors if x.path.endswith("v.yaml")]
    assert err.line == 7 and f"'{key}'" in err.message
    assert err.column == 1 + line.rindex(f"{key}:")  # at the key


@pytest.mark.parametrize(
    "decl",
    ["{type: enum, values: [p, q]}", "{type: list, values: [p, q]}", "{type: integer, min: 0, max: 9}",
     "{type: number, min: 0.5}", "{type: list, item: {v: {type: integer, min: 0}}}"],
)
def test_the_keys_each_type_takes_still_load(tmp_path, decl):
    _ruleset(tmp_path, ["a"], VOCAB + f"  z: {decl}\n")


# -- §2 "giving one fact both ways is an error ... naming the fact's path" inside a list item --
#
# The error named the item's field alone ('x.y'), not the fact's path ('M[1].x.y').

def test_a_list_item_field_given_both_ways_names_the_item(tmp_path):
    vocab = VOCAB + "  M: {type: list, item: {x.y: {type: bool}}}\n"
    rules = _ruleset(tmp_path, ["any(i in M: i.x.y)"], vocab)
    facts = {"M": [{"x.y": True}, {"x": {"y": True}, "x.y": True}]}
    for call in (lambda: rules.evaluate(facts, as_of=DAY), lambda: dsl.evaluate("any(i in M: i.x.y)", facts)):
        with pytest.raises(safetyrules.FactsError) as e:
            call()
        assert e.value.fact == "M[1].x.y" and "'M[1].x.y'" in str(e.value)
    assert _holds(rules, ["any(i in M: i.x.y)"], {"M": [{"x": {"y": True}}]}) == {"any(i in M: i.x.y)": True}
