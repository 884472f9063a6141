"""Synthetic entities for the bundled rule set, drawn to Shenzhen's grade mix.

Each entity starts from one of the example entities in ``examples/facts/``
(steel plant, woodworking dust, cold store, hazchem warehouse, restaurant,
office), scales its size facts, flips a few yes/no facts (a violation, or a
fixed one) and drops facts at random (unknowns).  It is then decided once and
kept only while its level's quota (red 3 %, orange 19 %, yellow 62 %,
blue 14 %) is not full: the mix is measured, not assumed.  Deterministic for
a seed.
"""

from __future__ import annotations

import copy
import datetime
import glob
import json
import os
import random
from typing import Any, Dict, List, Tuple

from _common import ROOT

MIX = {"red": 0.03, "orange": 0.19, "yellow": 0.62, "blue": 0.14}
AS_OF = datetime.date(2024, 6, 1)
#: chance that a fact (a leaf: a scalar, or a field of a list item) is dropped
MISSING = 0.05


def examples() -> List[Tuple[str, Dict[str, Any]]]:
    from safetyrules.engine.facts import read_facts

    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "facts", "*.yaml"))):
        data = json.loads(json.dumps(read_facts(path), default=str))
        out.append((os.path.basename(path)[:-5], data))
    return out


def _leaves(node: Any, path: Tuple = ()):
    """(parent, key, value) for every scalar leaf, list item fields included."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from _leaves(v, path + (k,))
            else:
                yield node, k, v
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item, path)


def mutate(base: Dict[str, Any], rng: random.Random, flips: int, missing: float) -> Dict[str, Any]:
    rec = copy.deepcopy(base)
    ent = rec.get("entity", {})
    scale = rng.uniform(0.5, 2.0)
    for key in ("employees", "revenue", "assets"):
        if isinstance(ent.get(key), (int, float)):
            ent[key] = int(ent[key] * scale)
    leaves = list(_leaves(rec))
    bools = [(p, k) for p, k, v in leaves if isinstance(v, bool)]
    for p, k in rng.sample(bools, min(flips, len(bools))):
        p[k] = not p[k]
    for p, k, v in leaves:
        if k != "sector" and rng.random() < missing:
            p.pop(k, None)
    return _prune(rec)


def _prune(node: Dict[str, Any]) -> Dict[str, Any]:
    """Drop mappings left empty (an empty mapping is not a fact)."""
    for k in list(node):
        v = node[k]
        if isinstance(v, dict):
            _prune(v)
            if not v:
                del node[k]
    return node


def generate(rules, n: int, seed: int = 6) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """``n`` entities to the grade mix, and a summary of what was drawn."""
    rng = random.Random(seed)
    bases = examples()
    quota = {lvl: round(n * share) for lvl, share in MIX.items()}
    quota["yellow"] += n - sum(quota.values())
    got = {lvl: 0 for lvl in MIX}
    by_level: Dict[str, List[Dict[str, Any]]] = {lvl: [] for lvl in MIX}
    for name, data in bases:
        by_level[rules.evaluate(data, as_of=AS_OF).level].append(data)
    out: List[Dict[str, Any]] = []
    tried = leaves_total = leaves_missing = 0
    while len(out) < n:
        want = max(quota, key=lambda lvl: (quota[lvl] - got[lvl]) / max(quota[lvl], 1))
        pool = by_level[want] or [d for _, d in bases]
        base = rng.choice(pool)
        flips = 0 if rng.random() < 0.7 else rng.randint(1, 2)
        rec = mutate(base, rng, flips, MISSING)
        tried += 1
        level = rules.evaluate(rec, as_of=AS_OF).level
        if level in got and got[level] < quota[level]:
            got[level] += 1
            out.append(rec)
            leaves_total += sum(1 for _ in _leaves(base))
            leaves_missing += sum(1 for _ in _leaves(base)) - sum(1 for _ in _leaves(rec))
    rng.shuffle(out)
    summary = {
        "n": n,
        "seed": seed,
        "as_of": AS_OF.isoformat(),
        "levels": {lvl: got[lvl] / n for lvl in MIX},
        "missing_fact_share": leaves_missing / max(leaves_total, 1),
        "candidates_drawn": tried,
    }
    return out, summary
