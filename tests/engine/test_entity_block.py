"""A decision's ``entity`` block (SPEC §8) is kept as a fresh dict and made a
FrozenDict on first use: it holds no live input, is immutable, hashes and
pickles, and reads the same whether the entity was nested or dotted."""

import copy
import datetime
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import safetyrules
from safetyrules.engine.decision import entity_of
from safetyrules.frozen import FrozenDict

DAY = datetime.date(2025, 6, 1)
FACTS = {"entity": {"name": "某公司", "sector": "trade", "id": "E-1", "employees": 12}, "safety": {"any_staff": True}}


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


def test_entity_is_a_frozen_copy(rules):
    facts = copy.deepcopy(FACTS)
    d = rules.evaluate(facts, DAY)
    facts["entity"]["name"] = "changed"
    facts["entity"]["grid"] = "G-9"
    assert type(d.entity) is FrozenDict
    assert dict(d.entity) == {"id": "E-1", "name": "某公司", "sector": "trade"}
    assert d.entity is d.entity  # made once
    with pytest.raises(Exception):
        d.entity["name"] = "x"
    assert d.to_dict()["entity"] == {"id": "E-1", "name": "某公司", "sector": "trade"}


def test_entity_json_before_and_after_first_use(rules):
    a = rules.evaluate(copy.deepcopy(FACTS), DAY)
    b = rules.evaluate(copy.deepcopy(FACTS), DAY)
    text = a.to_json()  # before .entity is read
    assert b.entity == entity_of(FACTS)
    assert b.to_json() == text
    assert '"entity":{"id":"E-1","name":"某公司","sector":"trade"}' in text


def test_entity_hash_eq_pickle(rules):
    a = rules.evaluate(copy.deepcopy(FACTS), DAY)
    b = rules.evaluate(copy.deepcopy(FACTS), DAY)
    assert hash(a) == hash(b) and a == b
    c = pickle.loads(pickle.dumps(b))
    assert c == a and c.entity == a.entity and type(c.entity) is FrozenDict
    dotted = {"entity.name": "某公司", "entity.sector": "trade", "entity.id": "E-1", "entity.employees": 12,
              "safety.any_staff": True}
    d = rules.evaluate(dotted, DAY)
    assert d.entity == a.entity and d.to_json() == a.to_json()


def test_no_entity_facts(rules):
    d = rules.evaluate({"safety": {"any_staff": True}}, DAY)
    assert d.entity == {} and type(d.entity) is FrozenDict
    assert "entity" not in d.to_dict()


_KEYS = ("id", "name", "grid", "status", "sector")
_VALUES = st.one_of(st.none(), st.text(max_size=3), st.integers(-2, 2), st.just(float("nan")), st.just({}),
                    st.just({"a": 1}))


@given(nested=st.one_of(st.none(), st.dictionaries(st.sampled_from(_KEYS + ("other",)), _VALUES, max_size=6)),
       dotted=st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=3))
def test_entity_fast_path_is_the_general_one(nested, dotted):
    # the nested-record shortcut of _entity_dict answers as the general path does
    from safetyrules.engine.decision import _entity_dict, _entity_dict_any

    facts = {"x": 1}
    if nested is not None:
        facts["entity"] = nested
    facts.update({"entity." + k: v for k, v in dotted.items()})
    assert _entity_dict(facts) == _entity_dict_any(facts, facts.get("entity"))
