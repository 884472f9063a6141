"""SPEC §9 on Spark, one small case each (the session fixture of this
directory's conftest): a Spark DataFrame input is checked as the other
inputs are, and decides as ``rules.evaluate``."""

import datetime

import pyarrow as pa
import pytest

import safetyrules
from safetyrules import FactsError

DAY = datetime.date(2024, 3, 1)

FILES = {
    "v.yaml": """\
kind: vocabulary
id: v
facts:
  entity.id: {type: string}
  m: {type: integer}
  w: {type: number}
  level: {type: enum, values: [red, blue]}
""",
    "s.yaml": """\
kind: standard
id: s
version: "1"
clauses:
  - {id: h, cite: H, severity: major, when: "m > 5"}
  - {id: b, cite: B, severity: general, when: "w > 2.5"}
""",
    "g.yaml": """\
kind: table
id: g
output: level
rows:
  - {when: "findings.major + findings.major_undetermined > 0", then: red}
  - {when: "true", then: blue}
""",
    "ruleset.yaml": """\
kind: ruleset
id: spark.audit2
include: [v.yaml, s.yaml, g.yaml]
decision: {level: level}
""",
}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("spark-audit2")
    for name, text in FILES.items():
        (d / name).write_text(text, encoding="utf-8")
    return safetyrules.load(str(d))


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
