"""Library calls take their inputs as objects or as paths: ``sv.plan(reg,
policy, staff="staff.yaml", calendar="calendar.yaml", year=2025)`` reads the
files as the command line does (supervision.md §8.0 "Library API")."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

__all__ = ["registry", "policy", "history", "inspectors", "calendar", "members", "staff"]


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _in_memory(value: Any, what: str) -> Optional[list]:
    """A list or tuple of records given in memory (each placed by its item
    number in errors), or None for any other object (used as it is)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (Mapping, bytes)) or value is None:
        from .common import SupervisionError

        raise SupervisionError(f"{what}: a path, a list of records or the object read from one, got {type(value).__name__}", code="E-INPUT")
    return None


def _where(n: int) -> dict:
    return {"path": "<memory>", "line": n}


def registry(value: Any):
    if _is_path(value):
        from .registry import read_registry

        return read_registry(os.fspath(value))
    from .registry import Registry, registry_from_decisions

    if not isinstance(value, Registry):
        items = _in_memory(value, "registry")
        if items is not None:  # decision dicts (evaluate's lines, Decision.to_dict() with its entity block)
            return registry_from_decisions(items, "<memory>")
    return value


def policy(value: Any):
    from .policy import default_policy, load_policy

    if value is None:
        return default_policy()
    if _is_path(value):
        return load_policy(os.fspath(value))
    return value


def history(value: Any):
    if value is None or _is_path(value):
        from .inputs import read_history

        return read_history(os.fspath(value) if value is not None else None)
    from .inputs import History, history_from_records

    if not isinstance(value, History):
        items = _in_memory(value, "history")
        if items is not None:  # inspection dicts, as the lines of a history file
            import attrs

            from .common import canonical, digest_bytes

            h = history_from_records([(obj, _where(n)) for n, obj in enumerate(items, 1)])
            # the manifest records a digest of every input: of these records, as canonical JSON
            return attrs.evolve(h, digest=digest_bytes(canonical(items).encode("utf-8")) if items else None)
    return value


def inspectors(value: Any):
    if _is_path(value):
        from .inputs import read_inspectors

        return read_inspectors(os.fspath(value))
    if isinstance(value, (list, tuple)):  # Inspector objects or inspector dicts, as a directory file lists them
        from .inputs import inspectors_from_records

        return inspectors_from_records([(obj, _where(n)) for n, obj in enumerate(value, 1)])
    return value


def calendar(value: Any, year: Optional[int]):
    if _is_path(value):
        from .common import SupervisionError
        from .inputs import read_calendar

        if year is None:
            raise SupervisionError("a calendar file needs the year it is read for", code="E-INPUT")
        return read_calendar(os.fspath(value), year)
    return value


def calendar_year(value: Any) -> Optional[int]:
    """The ``year:`` a calendar (file or object) is for, or None when it names none:
    the year a grid report defaults to (§8.3's synopsis takes no --year)."""
    if value is None:
        return None
    if not _is_path(value):
        y = getattr(value, "year", None)
        return y if type(y) is int else None
    from .common import read_mapping

    data, _ = read_mapping(os.fspath(value), "calendar")
    y = data.get("year") if isinstance(data, Mapping) else None
    return y if type(y) is int else None


def members(value: Any):
    if _is_path(value):
        from .inputs import read_members

        return read_members(os.fspath(value))
    return value


def staff(value: Any):
    """(staff mapping, its document, its path) from a mapping or a path."""
    if _is_path(value):
        from .inputs import read_staff

        data, doc = read_staff(os.fspath(value))
        return data, doc, os.fspath(value)
    return value, None, None
