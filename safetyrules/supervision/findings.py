"""Stable finding ids and item-level subjects (supervision.md §8.4, §8.8 4).

``finding_id(entity_id, standard, clause, subject="")`` is
``"F-" + sha256("srfind/v1\\n{entity_id}\\n{standard}\\n{clause}\\n{subject}")[:16]``.
The standard's version is not part of it, so a finding keeps its id across
rule-set updates.  A subject names a list item by its declared ``key``
(``dust_systems[id=DS-2]``), never by its index.
"""

from __future__ import annotations

import re

from .common import SupervisionError, sha256_hex

__all__ = ["finding_id", "check_subject", "item_subject"]

_INDEX = re.compile(r"\[\s*-?\d+\s*\]")


def check_subject(subject: str) -> str:
    """``subject`` if stable; an index subject (``cranes[1]``) is refused
    with ``E-TRACK-UNSTABLE-SUBJECT``."""
    if not isinstance(subject, str):
        raise SupervisionError("a finding subject is a string", code="E-TRACK-UNSTABLE-SUBJECT")
    if _INDEX.search(subject):
        raise SupervisionError(
            f"subject {subject!r} names a list item by its index; declare a key for the list and use it, e.g. dust_systems[id=DS-2]",
            code="E-TRACK-UNSTABLE-SUBJECT",
        )
    return subject


def item_subject(list_fact: str, key_field: str, key_value) -> str:
    """The subject of one list item: ``LIST[KEY=VALUE]``."""
    return f"{list_fact}[{key_field}={key_value}]"


def finding_id(entity_id: str, standard: str, clause: str, subject: str = "") -> str:
    """The stable id of a finding (§8.4; normative)."""
    for name, v in (("entity_id", entity_id), ("standard", standard), ("clause", clause)):
        if not isinstance(v, str) or not v or "\n" in v:
            raise SupervisionError(f"{name} must be a non-empty string without newlines, got {v!r}", code="E-TRACK-ID")
    check_subject(subject)
    return "F-" + sha256_hex(f"srfind/v1\n{entity_id}\n{standard}\n{clause}\n{subject}")[:16]
