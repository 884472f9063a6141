"""Per-record input from pandas and numpy (issue 10): ``rules.evaluate`` and
``evaluate_many`` read NaN, NaT and None as unknown and take numpy scalars,
numpy arrays and timestamps at midnight where the fact's type allows."""

import datetime

import numpy as np
import pandas as pd
import pytest

import safetyrules
from safetyrules.errors import FactsError

from registry_fixtures import write_rules

DAY = datetime.date(2024, 3, 1)


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return safetyrules.load(write_rules(str(tmp_path_factory.mktemp("facts"))))


PLAIN = {"entity.sector": "machinery", "entity.employees": 5, "entity.revenue": 1.0, "p": True,
         "site.opened": datetime.date(2024, 2, 1), "cranes": [{"age": 11, "ok": False}]}


def test_numpy_scalars_and_timestamps_equal_plain_values(rules):
    odd = {"entity.sector": np.str_("machinery"), "entity.employees": np.int64(5),
           "entity.revenue": np.float32(1.0), "p": np.bool_(True),
           "site.opened": pd.Timestamp("2024-02-01"),
           "cranes": np.array([{"age": np.int32(11), "ok": np.bool_(False)}], dtype=object)}
    assert rules.evaluate(odd, as_of=DAY).to_dict() == rules.evaluate(PLAIN, as_of=DAY).to_dict()
    for ts in (datetime.datetime(2024, 2, 1), np.datetime64("2024-02-01")):
        assert rules.evaluate({**PLAIN, "site.opened": ts}, as_of=DAY).to_dict() == \
            rules.evaluate(PLAIN, as_of=DAY).to_dict()


def test_nan_nat_none_are_unknown(rules):
    gaps = {**PLAIN, "entity.revenue": float("nan"), "p": None, "site.opened": pd.NaT,
            "entity.employees": np.float64("nan"), "cranes": [{"age": np.nan, "ok": None}]}
    d = rules.evaluate(gaps, as_of=DAY)
    known = {"entity.sector": "machinery"}
    ref = rules.evaluate({**known, "cranes": [{}]}, as_of=DAY)
    assert d.to_dict() == ref.to_dict()
    assert {u.clause for u in d.undetermined} >= {"big", "ratio", "new", "old"}


def test_dataframe_records_through_evaluate_many(rules):
    df = pd.DataFrame([PLAIN, {"entity.sector": "other", "entity.employees": None, "p": None}])
    assert df["entity.employees"].dtype == np.float64  # a gap makes pandas store floats
    got = list(rules.evaluate_many(df.to_dict("records"), as_of=DAY))
    assert [g.to_dict() for g in got] == [
        rules.evaluate(PLAIN, as_of=DAY).to_dict(),
        rules.evaluate({"entity.sector": "other"}, as_of=DAY).to_dict(),
    ]


@pytest.mark.parametrize(
    "fact, value, words",
    [
        ("entity.employees", np.float64(3.5), "whole number"),
        ("entity.revenue", np.float64("inf"), "finite"),
        ("site.opened", pd.Timestamp("2024-02-01 10:30"), "date and time"),
        ("p", np.int64(1), "true or false"),
        ("entity.sector", np.str_("mars"), "not one of"),
    ],
)
def test_values_the_type_does_not_allow_are_refused(rules, fact, value, words):
    with pytest.raises(FactsError) as info:
        rules.evaluate({fact: value}, as_of=DAY)
    assert info.value.fact == fact and words in info.value.message
