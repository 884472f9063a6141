"""The decision's shape: deeply immutable, hashable, picklable, equal by
value, holding neither the input nor the rule set; and a rule set shared by
8 threads gives exactly the sequential results."""

import datetime
import gzip
import json
import os
import pickle
import threading

import attrs
import pytest

import safetyrules
from safetyrules.engine.decision import Decision, Finding, Undetermined
from safetyrules.engine.ruleset import RuleSet
from safetyrules.frozen import FrozenDict

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "golden-decisions.jsonl.gz")


def _cases(n=None):
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        out = [json.loads(line) for line in fh]
    return out[:n] if n else out


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def _walk(obj, seen=None):
    """Every object reachable through attributes, slots and containers."""
    seen = set() if seen is None else seen
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen or isinstance(o, (str, int, float, bool, type(None), datetime.date)):
            continue
        seen.add(id(o))
        yield o
        if isinstance(o, (tuple, frozenset)):
            stack.extend(o)
        elif isinstance(o, FrozenDict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (Finding, Undetermined)):
            stack.extend(getattr(o, a.name) for a in attrs.fields(type(o)))


def test_decision_is_deeply_immutable_and_hashable(bundled):
    for c in _cases(60):
        d = bundled.evaluate(c["facts"], as_of=c["as_of"])
        public = (d.findings, d.undetermined, d.outputs, d.given, d.warnings, d.missing, d.level, d.tier,
                  d.inspection, d.major_hazard, d.as_of, d.ruleset_id, d.digest)
        for o in _walk(public):
            assert not isinstance(o, (dict, list, set)), type(o)
        assert hash(d) == hash(bundled.evaluate(c["facts"], as_of=c["as_of"]))
        with pytest.raises(AttributeError):
            d.level = "red"
        with pytest.raises(TypeError):
            d.outputs["risk.level"] = "blue"  # type: ignore[index]
        # no slot of the decision holds the rule set or a dict or list
        for name in Decision.__slots__:
            v = getattr(d, name, None)
            assert not isinstance(v, (RuleSet, dict, list)), name


def test_decision_holds_no_live_input(bundled):
    facts = {"entity": {"sector": "metallurgy", "employees": 50},
             "special_operators": [{"certified": False}]}
    d = bundled.evaluate(facts, as_of="2024-06-01")
    before = d.to_json()
    facts["entity"]["employees"] = 5000
    facts["special_operators"][0]["certified"] = True
    facts["special_operators"].append({"certified": False})
    assert d.to_json() == before


def test_decision_pickles_equal_by_value(bundled):
    for c in _cases(40):
        d = bundled.evaluate(c["facts"], as_of=c["as_of"])
        back = pickle.loads(pickle.dumps(d))
        assert back == d and hash(back) == hash(d)
        assert back.to_json() == d.to_json() and back.explain() == d.explain()
    a = bundled.evaluate({"entity": {"sector": "office"}}, as_of="2024-06-01")
    b = bundled.evaluate({"entity": {"sector": "metallurgy"}}, as_of="2024-06-01")
    assert a != b and a == bundled.evaluate({"entity.sector": "office"}, as_of="2024-06-01")


def test_eight_threads_give_the_sequential_results():
    rules = safetyrules.load()  # fresh: nothing compiled yet, so threads race to compile
    cases = _cases(240)
    sequential = safetyrules.load()  # once: loading per case made this test take minutes
    want = [sequential.evaluate(c["facts"], as_of=c["as_of"]).to_json() for c in cases]
    got = [None] * len(cases)
    errors = []
    barrier = threading.Barrier(8)

    def work(k):
        try:
            barrier.wait()
            for i in range(k, len(cases), 8):
                got[i] = rules.evaluate(cases[i]["facts"], as_of=cases[i]["as_of"]).to_json()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and got == want
