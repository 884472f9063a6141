"""Decisions stay byte-identical across engine changes.

``tests/data/golden-decisions.jsonl.gz`` holds 700 entities (mutated example
entities with 0-70 % of their facts dropped, on dates either side of the
standards' effective dates) and the decision version 1 of the engine gave
each, minus the ``ruleset`` block (the digest covers the manifest since v1).
Regenerate only on purpose: ``python tools/gen_golden_decisions.py ROOT OUT``.
"""

import gzip
import json
import os

import pytest

import safetyrules

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "golden-decisions.jsonl.gz")


def _cases():
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


def _canon(d):
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def test_golden_corpus_is_not_trivial():
    cases = _cases()
    levels = {c["decision"].get("level") for c in cases}
    assert len(cases) == 700 and {"red", "orange", "yellow", "blue", None} <= levels
    assert sum(bool(c["decision"]["undetermined"]) for c in cases) > 100
    assert sum(bool(c["decision"]["findings"]) for c in cases) > 100


def test_every_golden_decision_is_unchanged(bundled):
    bad = []
    for i, c in enumerate(_cases()):
        got = bundled.evaluate(c["facts"], as_of=c["as_of"]).to_dict()
        got.pop("ruleset")
        for k in ("entity", "level_range", "next_questions"):  # v1 additions (SPEC §8)
            got.pop(k, None)
        if _canon(got) != _canon(c["decision"]):
            bad.append(i)
    assert not bad, f"{len(bad)} decisions changed, first at line {bad[0] + 1}"


def test_to_json_equals_canonical_dict(bundled):
    for c in _cases()[:100]:
        d = bundled.evaluate(c["facts"], as_of=c["as_of"])
        assert d.to_json() == json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
