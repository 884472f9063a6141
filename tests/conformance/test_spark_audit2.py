"""SPEC §9 on Spark, one small case each (the session fixture of this
directory's conftest): a Spark DataFrame input is checked as the other
inputs are, and decides as ``rules.evaluate``."""

import datetime

import pyarrow as pa
import pytest

import safetyrules
from safetyrules import FactsError

import rule_files
from rule_files import ruleset, standard, table, vocabulary

DAY = datetime.date(2024, 3, 1)

FILES = {
    "v.yaml": vocabulary("""\
        entity.id: {type: string}
        m: {type: integer}
        w: {type: number}
        level: {type: enum, values: [red, blue]}
        """),
    "s.yaml": standard("""\
        - {id: h, cite: H, severity: major, when: "m > 5"}
        - {id: b, cite: B, severity: general, when: "w > 2.5"}
        """),
    "g.yaml": table("g", "level", """\
        - {when: "findings.major + findings.major_undetermined > 0", then: red}
        - {when: "true", then: blue}
        """),
    "ruleset.yaml": ruleset("spark.audit2", ["v.yaml", "s.yaml", "g.yaml"], {"level": "level"}),
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "spark-audit2", FILES)


@pytest.mark.parametrize("value", [1e19, -1e19])
def test_a_spark_double_past_64_bits_for_an_integer_is_a_facts_error(rules, spark, value):
    """floor() of such a double overflowed inside the value check: a raw
    SparkArithmeticException (ANSI mode) instead of a FactsError."""
    sdf = spark.createDataFrame([(1.0,), (value,)], "m double")
    with pytest.raises(FactsError) as info:
        rules.evaluate_table(sdf, backend="spark", spark=spark, as_of=DAY)
    assert info.value.fact == "m" and "64-bit" in str(info.value)


def test_a_spark_double_that_is_not_whole_is_still_refused(rules, spark):
    sdf = spark.createDataFrame([(1.0,), (-3.5,)], "m double")
    with pytest.raises(FactsError, match="whole number"):
        rules.evaluate_table(sdf, backend="spark", spark=spark, as_of=DAY)


def test_a_spark_dataframe_and_an_arrow_table_decide_as_evaluate(rules, spark):
    rows = [{"entity.id": "a", "m": 6.0, "w": None}, {"entity.id": "b", "m": -(2.0 ** 63), "w": 3.0},
            {"entity.id": None, "m": None, "w": float("nan")}]
    table = pa.table({"entity.id": [r["entity.id"] for r in rows], "m": [r["m"] for r in rows],
                      "w": [r["w"] for r in rows]})
    want = rules.evaluate_table(table, backend="python", as_of=DAY).to_pylist()
    for r, w in zip(rows, want):
        d = rules.evaluate({k: v for k, v in r.items() if v is not None and v == v}, as_of=DAY)
        assert (w["level"], w["major_hazard"]) == (d.level, d.major_hazard)
    assert rules.evaluate_table(table, backend="spark", spark=spark, as_of=DAY).to_pylist() == want
    sdf = spark.createDataFrame([(r["entity.id"], r["m"], r["w"]) for r in rows], "`entity.id` string, m double, w double")
    out = rules.evaluate_table(sdf, backend="spark", spark=spark, as_of=DAY)
    assert out.columns == ["entity.id", "level", "tier", "inspection", "major_hazard", "findings", "undetermined"]
    assert out.toArrow().to_pylist() == want


def test_a_spark_timestamp_column_for_a_date_takes_midnight_only(tmp_path_factory, spark):
    """A TimestampNTZ at noon was cast to its date silently; the other
    inputs refuse a date and time for a date fact."""
    d = tmp_path_factory.mktemp("spark-audit2-date")
    (d / "v.yaml").write_text("kind: vocabulary\nid: v\nfacts:\n  d: {type: date}\n  level: {type: enum, values: [red, blue]}\n",
                              encoding="utf-8")
    (d / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n'
                              '  - {id: c, cite: C, severity: major, when: "d < 2020-01-01"}\n', encoding="utf-8")
    (d / "g.yaml").write_text(FILES["g.yaml"], encoding="utf-8")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: d\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: level}\n",
                                    encoding="utf-8")
    rules = safetyrules.load(str(d))
    midnight = spark.createDataFrame([(datetime.datetime(2019, 1, 1),)], "d timestamp_ntz")
    out = rules.evaluate_table(midnight, backend="spark", spark=spark, as_of=DAY).toArrow().to_pylist()
    assert [r["findings"] for r in out] == [["s:c"]]
    noon = spark.createDataFrame([(datetime.datetime(2019, 1, 1),), (datetime.datetime(2019, 1, 1, 12),)], "d timestamp_ntz")
    with pytest.raises(FactsError, match="not a date and time") as info:
        rules.evaluate_table(noon, backend="spark", spark=spark, as_of=DAY)
    assert info.value.fact == "d"


LIST_VOCAB = vocabulary("""\
    cranes: {type: list, item: {age: {type: integer, min: 0}, kind: {type: enum, values: [tower, gantry]}, load: {type: number}}}
    acts: {type: list, values: [catering, retail]}
    level: {type: enum, values: [red, blue]}
    """)
LIST_STANDARD = standard("""\
    - {id: old, cite: O, severity: major, when: "any(c in cranes: c.age > 10)"}
    - {id: heavy, cite: H, severity: major, when: "any(c in cranes: c.load > 5)"}
    - {id: cat, cite: C, severity: major, when: "'catering' in acts"}
    """)


@pytest.fixture(scope="module")
def list_rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("spark-audit2-list")
    (d / "v.yaml").write_text(LIST_VOCAB, encoding="utf-8")
    (d / "s.yaml").write_text(LIST_STANDARD, encoding="utf-8")
    (d / "g.yaml").write_text(FILES["g.yaml"], encoding="utf-8")
    (d / "ruleset.yaml").write_text("kind: ruleset\nid: l\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: level}\n",
                                    encoding="utf-8")
    return safetyrules.load(str(d))


CRANES = "cranes array<struct<age:double,kind:string,load:double>>"


@pytest.mark.parametrize("item, fact, words", [
    ({"age": 10.5, "kind": "tower", "load": 1.0}, "cranes[].age", "whole number"),   # was cast to 10
    ({"age": -1.0, "kind": "tower", "load": 1.0}, "cranes[].age", "at least 0"),
    ({"age": 1e19, "kind": "tower", "load": 1.0}, "cranes[].age", "64-bit"),
    ({"age": 1.0, "kind": "crawler", "load": 1.0}, "cranes[].kind", "not one of"),
    ({"age": 1.0, "kind": "tower", "load": float("inf")}, "cranes[].load", "finite"),
])
def test_spark_list_item_fields_are_value_checked_as_on_other_inputs(list_rules, spark, item, fact, words):
    sdf = spark.createDataFrame([([{"age": 1.0, "kind": "gantry", "load": 1.0}],), ([item],)], CRANES)
    with pytest.raises(FactsError, match=words) as info:
        list_rules.evaluate_table(sdf, backend="spark", spark=spark, as_of=DAY)
    assert info.value.fact == fact
    # the same input as an Arrow table is refused alike, naming the same fact
    with pytest.raises(FactsError, match=words) as info:
        list_rules.evaluate_table(sdf.toArrow(), backend="python", as_of=DAY)
    assert info.value.fact == fact


def test_spark_list_values_and_nan_items_decide_as_evaluate(list_rules, spark):
    sdf = spark.createDataFrame(
        [([{"age": float("nan"), "kind": None, "load": float("nan")}], ["retail"]),
         ([{"age": 11.0, "kind": "tower", "load": 1.0}], None),
         (None, ["catering"])],
        f"{CRANES}, acts array<string>")
    want = list_rules.evaluate_table(sdf.toArrow(), backend="python", as_of=DAY).to_pylist()
    assert want[0]["undetermined"] == ["s:heavy", "s:old"]  # NaN is unknown, not greater than anything
    assert list_rules.evaluate_table(sdf, backend="spark", spark=spark, as_of=DAY).toArrow().to_pylist() == want
    bad = spark.createDataFrame([(["retail"],), (["bar"],)], "acts array<string>")
    with pytest.raises(FactsError, match="not one of") as info:
        list_rules.evaluate_table(bad, backend="spark", spark=spark, as_of=DAY)
    assert info.value.fact == "acts"
