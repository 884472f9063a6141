"""The values ``next_questions`` tries for a list fact that is wholly unknown.

SPEC §8: a fact *settles* a clause when some value of it alone makes the
clause found or not found.  For a list fact that value is a list: ``[]``
settles ``any(...)`` (false) and ``all(...)`` (true), but ``b or any(q in
cranes: q.age > 10)`` is settled only by a list holding an old crane, and
``b and all(q in cranes: q.ok)`` only by one holding a crane that is not ok.

So besides ``[]`` the candidates are one-item lists, each item made from the
values the rule set's quantifier bodies over that list compare its fields
with (the same per-field values a list item's field is tried at,
``cranes[].age``), and one list of all those items (for ``len``/``count``
and for bodies that need two different items).  For a list of plain values
(``entity.activities``): each one-value list and the list of every value.

Bounds, so a decision stays cheap: per quantifier body the items are the
product of the fields it reads when that product has at most
:data:`MAX_PRODUCT` items, else each field alone at each of its values (the
other fields unknown; enough to make an ``and`` body false); at most
:data:`MAX_CANDIDATES` lists per fact.  A clause that only a bigger list
settles (``count(...) >= 5``) may still list nothing for that fact.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Tuple

from safetyrules.dsl import ast as A

__all__ = ["list_candidates", "MAX_PRODUCT", "MAX_CANDIDATES"]

MAX_PRODUCT = 64
MAX_CANDIDATES = 96


def _body_fields(plan: Any, base: str) -> List[Tuple[str, ...]]:
    """Per quantifier over the list fact ``base`` in the plan's conditions,
    the item fields its body reads (in first-read order)."""
    out: List[Tuple[str, ...]] = []
    for _, node in plan.iter_conditions():
        for n in A.walk(node):
            if not isinstance(n, A.Quantifier):
                continue
            src = n.source
            if not (isinstance(src, A.Path) and src.name == base):
                continue
            fields: Dict[str, None] = {}
            for m in A.walk(n.body):
                if isinstance(m, A.Path):
                    head, _, rest = m.name.partition(".")
                    if head == n.var and rest:
                        fields[rest.split(".", 1)[0]] = None
            out.append(tuple(fields))
    return out


def list_candidates(domains: Any, base: str, spec: Any) -> Tuple[Any, ...]:
    """The lists to try for the list fact ``base`` (``spec`` its FactSpec);
    ``domains`` gives an item field's values as ``domains.values('base[0].f')``."""
    out: List[Any] = [[]]
    if not spec.item:
        values = list(spec.values or ())
        out.extend([v] for v in values)
        if len(values) > 1:
            out.append(values)
        return tuple(out[:MAX_CANDIDATES])
    items: List[Dict[str, Any]] = []
    seen = set()

    def add(item: Dict[str, Any]) -> None:
        key = tuple(sorted((k, repr(v)) for k, v in item.items()))
        if item and key not in seen:
            seen.add(key)
            items.append(item)

    for fields in _body_fields(domains.plan, base):
        fields = tuple(f for f in fields if f in spec.item)
        doms = [tuple(domains.values(f"{base}[0].{f}")) for f in fields]
        pairs = [(f, d) for f, d in zip(fields, doms) if d]
        if not pairs:
            continue
        size = 1
        for _, d in pairs:
            size *= len(d)
        if size <= MAX_PRODUCT:
            for combo in itertools.product(*(d for _, d in pairs)):
                add({f: v for (f, _), v in zip(pairs, combo)})
        else:
            for f, d in pairs:
                for v in d:
                    add({f: v})
    room = MAX_CANDIDATES - 1 - (1 if len(items) > 1 else 0)
    items = items[: max(room, 0)]
    out.extend([dict(it)] for it in items)
    if len(items) > 1:
        out.append([dict(it) for it in items])
    return tuple(out)
