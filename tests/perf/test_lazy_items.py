"""A list fact's items are frozen by the decision on first use, not by the
generated program (``layout.RawItems``): what a decision reports, its
equality, hash and pickle are the same whether or not its lists were
frozen yet, and it holds nothing of the input."""

from __future__ import annotations

import copy
import datetime
import pickle
import threading

import pytest

import safetyrules
from safetyrules.backends.layout import FrozenList, RawItems, materialise
from safetyrules.engine.decision import Decision
from safetyrules.frozen import FrozenDict

DAY = datetime.date(2024, 6, 1)
RECORD = {
    "entity": {"sector": "trade", "name": "x"},
    "special_operators": [
        {"name": "王某", "operation": "制冷与空调作业", "certified": False},
        {"name": "赵某", "operation": None, "certified": True},  # a None field: unknown, as if absent
    ],
}


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


def _value(d, name):
    return d._result[1][d._layout.index[name]]


def test_program_leaves_items_raw_and_decision_freezes_them(rules):
    d = rules.evaluate(copy.deepcopy(RECORD), DAY)
    assert type(_value(d, "special_operators")) is RawItems  # the generated path took the record
    facts = [f.facts for f in d.findings if "special_operators" in f.facts]
    assert facts, "the record should find the special-operators clause"
    items = facts[0]["special_operators"]
    assert type(items) is FrozenList and all(type(i) is FrozenDict for i in items)
    assert [dict(i) for i in items] == [
        {"name": "王某", "operation": "制冷与空调作业", "certified": False},
        {"name": "赵某", "certified": True},
    ]
    assert type(_value(d, "special_operators")) is FrozenList  # kept once frozen


def test_input_changed_after_evaluate_changes_nothing(rules):
    rec = copy.deepcopy(RECORD)
    d = rules.evaluate(rec, DAY)
    want = rules.evaluate(copy.deepcopy(RECORD), DAY).to_json()
    rec["special_operators"][0]["certified"] = True
    rec["special_operators"][1]["operation"] = "焊接与热切割作业"
    rec["special_operators"].append({"name": "new", "certified": False})
    assert d.to_json() == want


def test_equal_hash_and_pickle_before_and_after_freezing(rules):
    a = rules.evaluate(copy.deepcopy(RECORD), DAY)
    b = rules.evaluate(copy.deepcopy(RECORD), DAY)
    b.findings  # b's lists frozen (to_json writes them raw), a's not
    a.to_json()
    assert type(_value(a, "special_operators")) is RawItems
    assert type(_value(b, "special_operators")) is FrozenList
    assert a == b and hash(a) == hash(b)
    c = rules.evaluate(copy.deepcopy(RECORD), DAY)
    back = pickle.loads(pickle.dumps(c))
    assert type(_value(back, "special_operators")) is FrozenList  # pickled frozen
    assert back == a and back.to_json() == a.to_json()


def test_materialise_keeps_a_result_without_raw_items(rules):
    prog = rules.program(DAY)
    result = rules.reference(copy.deepcopy(RECORD), DAY, prog.layout)
    assert materialise(result, prog.layout.list_at) is result
    raw = prog.run(copy.deepcopy(RECORD), DAY)
    frozen = materialise(raw, prog.layout.list_at)
    assert frozen is not raw
    i = prog.layout.index["special_operators"]
    assert type(raw[1][i]) is RawItems and type(frozen[1][i]) is FrozenList and frozen[1][i] == result[1][i]
    assert Decision(prog.layout, raw, DAY).to_json() == Decision(prog.layout, result, DAY).to_json()


def test_threads_freezing_one_decision_agree(rules):
    for _ in range(20):
        d = rules.evaluate(copy.deepcopy(RECORD), DAY)
        out, start = [], threading.Barrier(8)

        def work():
            start.wait()
            out.append((d.to_json(), d.findings, d.env()["special_operators"]))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(out) == 8 and all(o == out[0] for o in out)
