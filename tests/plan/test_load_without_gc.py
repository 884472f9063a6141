"""load() turns cyclic garbage collection off while it reads and plans, and
leaves it as it found it: on when it was on, off when the caller had it off,
also when loading fails."""

from __future__ import annotations

import gc

import pytest

import safetyrules
from safetyrules.errors import RuleSetError
from safetyrules.plan.build import without_gc


def test_without_gc_restores_the_callers_state():
    assert gc.isenabled()
    with without_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with without_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_load_leaves_gc_on_also_after_an_error(tmp_path, monkeypatch):
    (tmp_path / "bad.yaml").write_text("kind: standard\nid: s\nclauses: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError):
        safetyrules.load(str(tmp_path))
    assert gc.isenabled()
    # no collection while the files are read, checked and linked (they are
    # some hundred thousand objects: many collections if gc ran)
    import safetyrules.plan.build as B

    seen = []
    inside = []
    real = B.load_parts

    def load_parts(*a, **k):
        inside.append(True)
        try:
            return real(*a, **k)
        finally:
            inside.pop()

    def spy(phase, info):
        if inside:
            seen.append(info)

    monkeypatch.setattr(B, "load_parts", load_parts)
    gc.callbacks.append(spy)
    try:
        rules = safetyrules.load()
    finally:
        gc.callbacks.remove(spy)
    assert seen == [] and gc.isenabled()
    assert rules.evaluate({}, as_of="2025-01-01") is not None
