"""Random entities drawn from a vocabulary, for comparing backends.

``fraction`` of the facts are left unknown (absent); list facts get 0-3
items whose fields are unknown at the same rate.  Values stay inside the
declared bounds and values, and numbers cluster around the thresholds the
bundled rules test, so that findings, undetermined clauses and every grade
occur.
"""

import datetime
import random

_NUMBERS = (0, 1, 2, 3, 5, 8, 10, 20, 50, 99, 100, 101, 299, 300, 301, 999, 1000, 1001, 2000, 20000, 40000,
            80000, 0.5, 1.5, 2.5, 0.05)


def draw_value(rng, spec):
    t = spec.type
    if t == "bool":
        return rng.random() < 0.5
    if t == "enum":
        return rng.choice(list(spec.values))
    if t in ("integer", "number"):
        v = rng.choice(_NUMBERS)
        if t == "integer":
            v = int(v)
        if spec.min is not None and v < spec.min:
            v = spec.min
        if spec.max is not None and v > spec.max:
            v = spec.max
        return int(v) if t == "integer" else float(v)
    if t == "string":
        return rng.choice(["a", "b", "工厂", "x'y"])
    if t == "date":
        return datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(0, 2500))
    raise AssertionError(t)


def draw_record(rng, vocabulary, names, fraction=0.2, list_fraction=None):
    """One entity: a flat dict of dotted facts (unknowns absent)."""
    rec = {}
    for name in names:
        spec = vocabulary[name]
        if rng.random() < fraction:
            continue
        if spec.type == "list" and not spec.item and spec.values:
            rec[name] = rng.sample(list(spec.values), rng.randrange(0, 3))
        elif spec.type == "list":
            items = []
            for _ in range(rng.randrange(0, 4)):
                item = {}
                for k, fs in (spec.item or {}).items():
                    if rng.random() >= (fraction if list_fraction is None else list_fraction):
                        item[k] = draw_value(rng, fs)
                items.append(item)
            rec[name] = items
        else:
            rec[name] = draw_value(rng, spec)
    return rec


def draw_records(seed, vocabulary, n, fraction=0.2, skip=()):
    rng = random.Random(seed)
    names = sorted(k for k in vocabulary if not k.startswith(("findings.", "as_of")) and k not in skip)
    return [draw_record(rng, vocabulary, names, fraction) for _ in range(n)]
