"""Helpers of the perf tests (a module with a unique name)."""

import copy
import os
import random

from safetyrules.errors import SafetyRulesError

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "golden-decisions.jsonl.gz")


def reference_of(rules, rec, day, layout):
    """``rules.reference`` of a copy of ``rec``, a record drawn valid: its
    refusal fails the test."""
    try:
        return rules.reference(copy.deepcopy(rec), day, layout)
    except SafetyRulesError as err:  # pragma: no cover - every drawn record is valid
        raise AssertionError(f"reference refused a valid record: {err.message}")


def drawn_runs(rules, prog, draw, day, seed, n):
    """``n`` records drawn by ``draw(rng)`` (``rng = random.Random(seed)``),
    each with the reference's result and ``prog``'s (None where the
    program gave up): yields (record, reference, program result)."""
    rng = random.Random(seed)
    for _ in range(n):
        rec = draw(rng)
        ref = reference_of(rules, rec, day, prog.layout)
        yield rec, ref, prog.run(copy.deepcopy(rec), day)


def dotted(rec, prefix=""):
    """A nested record with dotted names throughout (empty groups kept)."""
    out = {}
    for k, v in rec.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v:
            out.update(dotted(v, key))
        else:
            out[key] = v
    return out
