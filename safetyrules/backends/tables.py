"""Table hit policies (SPEC §4), shared by every per-record path.

:func:`decide_table` is the one implementation of ``first``, ``unique``,
``priority`` and ``collect`` over a table's row values (True / False /
None = unknown); the reference path, the generated code (for the policies
it does not inline) and the authoring tools all call it, so they agree by
construction.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from safetyrules.plan.model import PlanTable

__all__ = ["TableResult", "decide_table", "collect_warnings", "no_row_warning", "overlap_warning"]


class TableResult:
    """A table's output for one entity: value, whether known, the rows left unknown."""

    __slots__ = ("value", "known", "unknown_rows")

    def __init__(self, value: Any, known: bool, unknown_rows: Tuple[int, ...]) -> None:
        self.value = value
        self.known = known
        self.unknown_rows = unknown_rows


def no_row_warning(t: PlanTable) -> dict:
    """The warning of a table whose rows are all false and that has no default."""
    return {
        "code": "W-NO-ROW",
        "severity": "warning",
        "message": f"no row matched in table '{t.id}'; '{t.output}' is unknown",
        "table": t.id,
    }


def overlap_warning(t: PlanTable, true_rows: Sequence[int]) -> dict:
    """The error-level warning of a ``unique`` table with several true rows."""
    rows = t.rows
    ids = ", ".join(rows[i].id or f"#{i + 1}" for i in true_rows)
    return {
        "code": "E-TABLE-OVERLAP",
        "severity": "error",
        "message": f"rows {ids} of unique table '{t.id}' all match; '{t.output}' is unknown",
        "table": t.id,
    }


def collect_warnings(t: PlanTable, value: Sequence[Any], true_rows: Sequence[int]) -> List[dict]:
    """The decision warnings of a ``collect`` table with ``warn:``: one per
    collected value, in the order of the value (the declared enum order),
    ``clause`` the first true row giving it (SPEC §4 shape)."""
    rows = t.rows
    first: dict = {}
    for i in true_rows:
        first.setdefault(rows[i].then, i)
    text = t.warn_message or ""
    out = []
    for v in value:
        i = first[v]
        out.append({
            "code": t.warn_code,
            "severity": "warning",
            "message": text.replace("{value}", str(v)) if "{value}" in text else f"{text}: {v}",
            "standard": t.id,
            "clause": rows[i].id or f"#{i + 1}",
            "table": t.id,
        })
    return out


def decide_table(t: PlanTable, vals: Sequence[Optional[bool]], warnings: List[dict]) -> TableResult:
    """Apply ``t``'s hit policy to its row values (SPEC §4); warnings are
    appended to ``warnings``."""
    rows = t.rows
    hit = t.hit
    if hit == "first":
        unknown: List[int] = []
        for i, v in enumerate(vals):
            if v is True:
                if unknown:
                    return TableResult(None, False, tuple(unknown))
                return TableResult(rows[i].then, True, ())
            if v is None:
                unknown.append(i)
        if unknown:
            return TableResult(None, False, tuple(unknown))
        return _no_row(t, warnings)
    true_rows = [i for i, v in enumerate(vals) if v is True]
    unknown = [i for i, v in enumerate(vals) if v is None]
    if hit == "collect":
        if unknown:
            return TableResult(None, False, tuple(unknown))
        outs = {rows[i].then for i in true_rows}
        order = t.output_values
        if order is not None:
            value = [o for o in order if o in outs]
        else:
            value = sorted(outs, key=lambda o: (str(type(o)), o))
        if value and t.warn_code is not None:
            warnings.extend(collect_warnings(t, value, true_rows))
        return TableResult(value, True, ())
    if hit == "unique":
        if len(true_rows) > 1:
            warnings.append(overlap_warning(t, true_rows))
            return TableResult(None, False, ())
        if true_rows and not unknown:
            return TableResult(rows[true_rows[0]].then, True, ())
        if unknown:
            return TableResult(None, False, tuple(unknown))
        return _no_row(t, warnings)
    # priority: the true row whose output comes first in the declared values
    order = t.output_values or []
    rank = {v: k for k, v in enumerate(order)}
    if true_rows:
        best = min(true_rows, key=lambda i: (rank.get(rows[i].then, len(rank)), i))
        best_rank = rank.get(rows[best].then, len(rank))
        blocking = tuple(i for i in unknown if rank.get(rows[i].then, len(rank)) < best_rank)
        if blocking:
            return TableResult(None, False, blocking)
        return TableResult(rows[best].then, True, ())
    if unknown:
        return TableResult(None, False, tuple(unknown))
    return _no_row(t, warnings)


def _no_row(t: PlanTable, warnings: List[dict]) -> TableResult:
    if t.has_default:
        return TableResult(t.default, True, ())
    warnings.append(no_row_warning(t))
    return TableResult(None, False, ())
