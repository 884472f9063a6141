"""The schema closures compile a U+0080..U+FFFF character class in a form
that is quick to compile (source/schema.py, fast_pattern): it must match
exactly what the schema's own pattern matches."""

from __future__ import annotations

import re

import pytest

from safetyrules.source import schema as S

KINDS = ("ruleset", "vocabulary", "standard", "table")


def _patterns():
    out = set()

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "pattern" and isinstance(v, str):
                    out.add(v)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for kind in KINDS:
        walk(S.schema_for(kind))
    return sorted(out)


# every code point of the first planes' edges and a spread of the rest
_POINTS = list(range(0, 0x3000)) + list(range(0xD000, 0x10000, 7)) + [0xFFFF, 0x10000, 0x1F600, 0x10FFFF]
_CHARS = [chr(c) for c in _POINTS if not 0xD800 <= c <= 0xDFFF]


def test_some_bundled_pattern_is_rewritten():
    assert any(S.fast_pattern(p) != p for p in _patterns())


@pytest.mark.parametrize("pattern", [p for p in _patterns() if "\\u0080-\\uffff" in p] + [
    r"^[\u0080-\uffff]+$", r"^x[a\u0080-\uffffb]?y$", r"^[^\u0080-\uffff]$", r"[\]\u0080-\uffff]",
])
def test_rewritten_pattern_matches_the_same(pattern):
    orig, fast = re.compile(pattern), re.compile(S.fast_pattern(pattern))
    for c in _CHARS:
        for s in (c, "a" + c, c + "a", "a" + c + "b", c + c):
            assert bool(orig.search(s)) == bool(fast.search(s)), (pattern, hex(ord(c)), s)


def test_other_patterns_are_left_alone():
    for p in (r"^[a-z]+$", r"^\d{4}-\d{2}-\d{2}$", r"^[^\W\d][\w]*$"):
        assert S.fast_pattern(p) == p
