"""Helpers of the perf tests (a module with a unique name)."""

import copy
import os

from safetyrules.errors import SafetyRulesError

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "golden-decisions.jsonl.gz")


def reference_of(rules, rec, day, layout):
    """``rules.reference`` of a copy of ``rec``, a record drawn valid: its
    refusal fails the test."""
    try:
        return rules.reference(copy.deepcopy(rec), day, layout)
    except SafetyRulesError as err:  # pragma: no cover - every drawn record is valid
        raise AssertionError(f"reference refused a valid record: {err.message}")


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
