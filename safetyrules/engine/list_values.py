"""The values ``next_questions`` tries for a list fact that is wholly unknown.

SPEC §8: a fact *settles* a clause when some value of it alone makes the
clause found or not found.  For a list fact that value is a list: ``[]``
settles ``any(...)`` (false) and ``all(...)`` (true), but ``b or any(q in
cranes: q.age > 10)`` is settled only by a list holding an old crane, and
``b and all(q in cranes: q.ok)`` only by one holding a crane that is not ok.

So besides ``[]`` the candidates are one-item lists, each item made from the
values the rule set's quantifier bodies over that list compare its fields
with (the same per-field values a list item's field is tried at,
``cranes[].age``); the list of all those items (bodies that need two
different items); all those items k times over, for k = 2 and each constant
(up to 16) a ``count``/``len`` of the list is compared with, plus one
(``count(q in cranes: not q.ok) >= 2``); and lists of 1 and k items whose
fields are all unknown (``len(cranes) >= 1`` reads no field).  For a list
of plain values (``entity.activities``): each one-value list and the list of
every value.

Bounds, so a decision stays cheap: per quantifier body the items are the
product of the fields it reads when that product has at most
:data:`MAX_PRODUCT` items, else each field alone at each of its values (the
other fields unknown; enough to make an ``and`` body false); at most about
:data:`MAX_CANDIDATES` lists per fact.  A clause only a list of other
shapes settles (three items of three different kinds, a count above 16)
may still list nothing for that fact.
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


def _count_bounds(plan: Any, base: str) -> set:
    """The whole-number constants (2 to 16) a ``count`` or ``len`` of the list
    fact ``base`` is compared with, and each plus one."""
    out: set = set()
    for _, node in plan.iter_conditions():
        for n in A.walk(node):
            if not isinstance(n, A.Compare):
                continue
            for side, other in ((n.left, n.right), (n.right, n.left)):
                reads = (isinstance(side, A.Quantifier) and side.kind == "count"
                         and isinstance(side.source, A.Path) and side.source.name == base) or (
                    isinstance(side, A.Call) and side.name == "len" and len(side.args) == 1
                    and isinstance(side.args[0], A.Path) and side.args[0].name == base)
                if not reads or not isinstance(other, A.Number):
                    continue
                v = other.value
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    for k in (int(v), int(v) + 1):
                        if 2 <= k <= 16:
                            out.add(k)
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
    # per quantifier body: the items it can tell apart (each knowing every
    # field that body reads, so a count over them is known)
    groups: List[List[Dict[str, Any]]] = []
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
            groups.append([{f: v for (f, _), v in zip(pairs, combo)}
                           for combo in itertools.product(*(d for _, d in pairs))])
        else:
            groups.extend([[{f: v} for v in d] for f, d in pairs])
    bounds = sorted({2} | _count_bounds(domains.plan, base))
    lists: List[Any] = []
    seen = set()

    def add(value: List[Dict[str, Any]]) -> None:
        key = repr(value)
        if key not in seen:
            seen.add(key)
            lists.append(value)

    for group in groups:  # one item at a time first
        for it in group:
            add([dict(it)])
    for group in groups:
        if len(group) > 1:
            add([dict(it) for it in group])
        # every item k times: `count(q in cranes: not q.ok) >= 2` needs two
        # items whose body holds (k = 2 and each constant a count or len of
        # the list is compared with, and that plus one)
        for k in bounds:
            add([dict(it) for _ in range(k) for it in group])
    # items of unknown fields: what `len(cranes) >= 1` (no field read) reads
    tail = [[{}]] + [[{} for _ in range(k)] for k in bounds]
    out.extend(lists[: max(MAX_CANDIDATES - len(out) - len(tail), 0)])
    out.extend(tail)
    return tuple(out)
