"""SPEC §9, fifth round: what longer randomized campaigns found (random rule
sets, their Arrow inputs re-encoded: dictionary / large / view types, many
chunks, slices, pandas nullable and ArrowDtype, polars Categorical, 0 and 1
rows), each shrunk to a case that failed before its fix."""

import datetime

import random_rulesets as R

DAY = datetime.date(2024, 3, 1)
LOCAL = ("python", "duckdb", "polars")


def test_min_max_of_an_integer_and_a_number_in_a_sum_is_a_number(tmp_path):
    """``min(v.n, 0.5)`` was typed integer (the type of its first argument),
    so a ``sum`` over it was added as integers: 0.5 became 0 on DuckDB and
    polars (a finding silently lost), and polars' row-by-row form refused the
    float (SchemaError "building Series of type Int64; found Float64")."""
    rules = R.build(tmp_path, [
        "sum(v in items: min(v.n, 0.5)) == 0.5",
        "sum(v in items: max(v.n, 2.5)) == 2.5",
        "sum(v in items: min(v.n, x3)) == 0.5",
        "sum(v in [1]: min(i2, 0.5)) == 0.5",
        "sum(v1 in items: min(sum(v2 in items: i2), 0.3 / v1.n)) > 0",
        "sum(v in items: abs(max(-2, v.h / 1 m))) == 1.5",
        "sum(v in items: min(v.n, 2)) == 1",
    ])
    recs = [{"i2": 1, "x3": 0.5, "items": [{"n": 1, "h": -1.5}]},
            {"i2": 1, "x3": 0.5, "items": [{"n": 3, "h": 0.5}, {"n": 4}]},
            {"i2": 0, "x3": 2.0, "items": []}, {}]
    R.check_backends(rules, recs, [DAY], backends=LOCAL, sql=True)
    assert R.reference(rules, recs, DAY)[0]["findings"] == ["s:c0", "s:c1", "s:c2", "s:c3", "s:c4", "s:c5", "s:c6"]


def test_a_quantifier_body_comparing_a_literal_with_a_division_by_a_literal_zero(tmp_path):
    """``any(v in items: 2 >= v.n / 0)``: polars 2.1 made the division's
    ``when`` on a divisor folded from literals one row long under ``2 >=``,
    and the flattened items' frame raised ShapeError ("Series b0, length 1
    doesn't match the DataFrame height"); also ``min(v.n, 1 / 0)``."""
    rules = R.build(tmp_path, [
        "any(v in items: 2 >= v.n / 0)", "any(v in items: 2 >= v.n / (1 - 1))", "all(v in items: 1 > 0 / 0)",
        "any(v in items: 2 == v.n / 0 + 1)", "any(v in items: 2 >= min(v.n, 1 / 0))",
        "any(v in items: 2 >= max(v.n, 3) / 0)", "any(v in items: 2 >= len([1]) / (0 * 3))",
        "any(v in items: 2 >= v.n / 2)", "2 >= x3 / 0",
    ])
    recs = [{"items": [{"n": 1}], "x3": 4.0}, {"items": [{"n": 3}, {"n": 4}]}, {"items": []}, {}, {"items": [{}]}]
    R.check_backends(rules, recs, [DAY], backends=LOCAL, sql=True)
