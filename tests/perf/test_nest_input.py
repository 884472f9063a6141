"""``pyread.nest_input``'s shortcut for all-dotted input (registry rows,
platform records) gives what flattening then nesting gives, refusals
included, on hand-picked and generated inputs."""

from __future__ import annotations

from hypothesis import given, strategies as st

from safetyrules.backends.pyread import flatten_input, nest_input


def reference(facts):
    """flatten_input, then nest by name segments (the general path)."""
    flat = flatten_input(facts)
    if flat is None:
        return None
    out: dict = {}
    for key, v in flat.items():
        parts = key.split(".")
        d = out
        for seg in parts[:-1]:
            if seg in d and type(d[seg]) is not dict:
                return None
            d = d.setdefault(seg, {})
            if type(d) is not dict:
                return None
        if parts[-1] in d:
            return None
        d[parts[-1]] = v
    return out


CASES = [
    {},
    {"entity.id": "x", "entity.sector": "retail", "fire.sprinklers": True},
    {"a": 1, "a.b": 2},  # a value and a group
    {"a.b": 2, "a": 1},
    {"a.b": None, "a": None},
    {"a.b.c": 1, "a.b": 2},
    {"x": 1, "y.z": [1, 2], "y.w": None},
    {"a..b": 1, "": 2, ".": 3},
    {1: "not text"},
    {"a.b": 1, "a": {"c": 2}},  # mixed: the general path
    {"a.b": 1, "a": {"b": 2}},  # the same name twice
    {"a": {}},
]


def test_hand_picked_inputs_nest_as_the_general_path():
    for facts in CASES:
        assert nest_input(facts) == reference(facts), facts


names = st.lists(st.sampled_from(["a", "b", "c", ""]), min_size=1, max_size=3).map(".".join)
leaves = st.one_of(st.none(), st.integers(), st.text(max_size=2), st.lists(st.integers(), max_size=2))


@given(st.dictionaries(names, leaves, max_size=6))
def test_generated_dotted_inputs_nest_as_the_general_path(facts):
    assert nest_input(facts) == reference(facts)
