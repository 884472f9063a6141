"""Deeply immutable containers for the plan and the decision.

A frozen attrs class is only as immutable as what it holds: a ``dict`` field
can still be changed, and makes the instance unhashable.  ``FrozenDict`` is a
read-only, hashable, picklable mapping; :func:`freeze` turns JSON-like data
(dicts, lists) into ``FrozenDict`` and tuples, recursively and without
recursion (so deep input cannot raise ``RecursionError``).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Tuple

__all__ = ["FrozenDict", "adopt", "freeze", "thaw", "EMPTY"]


class FrozenDict(Mapping):
    """A read-only mapping that keeps insertion order, hashes by content
    and pickles."""

    __slots__ = ("_d", "_h")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_d", dict(*args, **kwargs))
        object.__setattr__(self, "_h", None)

    def __getitem__(self, key: Any) -> Any:
        return self._d[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, key: Any) -> bool:
        return key in self._d

    def get(self, key: Any, default: Any = None) -> Any:
        return self._d.get(key, default)

    def __hash__(self) -> int:
        h = self._h
        if h is None:
            h = hash(frozenset(self._d.items()))
            object.__setattr__(self, "_h", h)
        return h

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, FrozenDict):
            return self._d == other._d
        if isinstance(other, Mapping):
            return self._d == dict(other)
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenDict is immutable")

    def __repr__(self) -> str:
        return f"FrozenDict({self._d!r})"

    def __reduce__(self):
        return (FrozenDict, (self._d,))

    def to_dict(self) -> Dict[Any, Any]:
        """A plain (shallow) ``dict`` copy."""
        return dict(self._d)


EMPTY = FrozenDict()

_new = object.__new__
_set_d = FrozenDict._d.__set__  # type: ignore[attr-defined]
_set_h = FrozenDict._h.__set__  # type: ignore[attr-defined]


def adopt(d: Dict[Any, Any]) -> FrozenDict:
    """``FrozenDict(d)`` without the copy nor the ``__init__`` call, for a
    fresh ``dict`` no one else holds (the caller's own copy): the hot path
    of the decision's list items."""
    f = _new(FrozenDict)
    _set_d(f, d)
    _set_h(f, None)
    return f


def freeze(value: Any) -> Any:
    """dicts → FrozenDict, lists/tuples → tuples, recursively (iteratively)."""
    if not isinstance(value, (dict, list, tuple, FrozenDict)):
        return value
    # iterative post-order rebuild
    root: list = [None]
    stack: list = [(value, root, 0)]
    pending: list = []
    while stack:
        node, parent, key = stack.pop()
        # only dicts, lists, tuples and FrozenDicts are pushed: no ABC check
        if isinstance(node, (dict, FrozenDict)):
            items = list(node.items())
            holder: list = [None] * len(items)
            pending.append(("m", [k for k, _ in items], holder, parent, key))
            for i, (_, v) in enumerate(items):
                if isinstance(v, (dict, list, tuple, FrozenDict)):
                    stack.append((v, holder, i))
                else:
                    holder[i] = v
        elif isinstance(node, (list, tuple)):
            holder = [None] * len(node)
            pending.append(("l", None, holder, parent, key))
            for i, v in enumerate(node):
                if isinstance(v, (dict, list, tuple, FrozenDict)):
                    stack.append((v, holder, i))
                else:
                    holder[i] = v
        else:
            parent[key] = node
    for kind, keys, holder, parent, key in reversed(pending):
        parent[key] = FrozenDict(zip(keys, holder)) if kind == "m" else tuple(holder)
    return root[0]


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: FrozenDict → dict, tuple → list."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def pairs(mapping: Mapping) -> Tuple[Tuple[Any, Any], ...]:
    return tuple(mapping.items())
