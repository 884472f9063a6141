"""Library calls take their inputs as objects or as paths: ``sv.plan(reg,
policy, staff="staff.yaml", calendar="calendar.yaml", year=2025)`` reads the
files as the command line does (supervision.md §8.0 "Library API")."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

__all__ = ["registry", "policy", "history", "inspectors", "calendar", "members", "staff"]


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def registry(value: Any):
    if _is_path(value):
        from .registry import read_registry

        return read_registry(os.fspath(value))
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
    return value


def inspectors(value: Any):
    if _is_path(value):
        from .inputs import read_inspectors

        return read_inspectors(os.fspath(value))
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
