"""load() pauses cyclic garbage collection and hands what it made to the
oldest generation (plan/build.py, without_gc), leaving the collector as it
found it."""

from __future__ import annotations

import gc

import safetyrules
from safetyrules.plan.build import without_gc


def test_collection_is_back_on_and_the_young_generation_is_empty():
    assert gc.isenabled()
    with without_gc():
        assert not gc.isenabled()
        junk = [[i] for i in range(5000)]
    assert gc.isenabled()
    # what was made inside is in the oldest generation, not left for the
    # young collections to walk
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(junk[0]) in oldest and id(junk[-1]) in oldest
    assert gc.get_freeze_count() == 0
    del junk


def test_a_callers_disable_and_frozen_objects_are_kept():
    gc.disable()
    try:
        with without_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    kept = [[i] for i in range(10)]  # lists: tracked by the collector
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        with without_gc():
            more = [[i] for i in range(100)]
        # nothing thawed: the caller's frozen objects are still outside the
        # generations (the freeze count itself may fall meanwhile, when some
        # other frozen object is freed, e.g. by another thread)
        alive = {id(o) for o in gc.get_objects()}
        assert not any(id(k) in alive for k in kept)
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    del kept, more


def test_cycles_made_while_loading_are_still_collected():
    class Node:
        pass

    rules = safetyrules.load()
    with without_gc():
        a = Node()
        a.me = a
        import weakref

        ref = weakref.ref(a)
        del a
    gc.collect()
    assert ref() is None
    assert rules.evaluate({}, as_of="2025-01-01") is not None
