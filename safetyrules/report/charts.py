"""Chart geometry for the HTML reports: plain data a template draws as
inline SVG (no script, no network resource)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from safetyrules.report.summary import level_colour

__all__ = ["level_bars", "stacked_levels"]

LABEL_W = 150  # left column for labels
BAR_W = 420
ROW_H = 26
PAD = 10


def level_bars(dist: Dict[str, Any], label, colours: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """One horizontal bar per level: ``dist`` is a summary distribution
    (``order``, ``counts``, ``shares``); ``label(level)`` names a level;
    ``colours`` overrides the level colours by key."""
    order: Sequence[str] = dist["order"]
    biggest = max((dist["counts"][k] for k in order), default=0) or 1
    bars: List[Dict[str, Any]] = []
    for i, k in enumerate(order):
        count = dist["counts"][k]
        bars.append(
            {
                "key": k,
                "label": label(k),
                "x": LABEL_W,
                "y": PAD + i * ROW_H,
                "w": round(BAR_W * count / biggest, 2),
                "h": ROW_H - 6,
                "colour": (colours or {}).get(k) or level_colour(k),
                "count": count,
                "share": dist["shares"][k],
            }
        )
    return {"width": LABEL_W + BAR_W + 140, "height": PAD * 2 + ROW_H * max(len(order), 1), "bars": bars}


def stacked_levels(groups: Sequence[Dict[str, Any]], label, limit: int = 25) -> Dict[str, Any]:
    """One stacked bar per group (the ``limit`` largest, then by key): the
    share of each level among the group's entities."""
    chosen = sorted(groups, key=lambda g: (-g["entities"], g["key"]))[:limit]
    rows = []
    for i, g in enumerate(chosen):
        x = float(LABEL_W)
        segs = []
        for k in g["level"]["order"]:
            share = g["level"]["shares"][k]
            w = round(BAR_W * share, 2)
            segs.append({"key": k, "label": label(k), "x": round(x, 2), "w": w, "colour": level_colour(k),
                         "count": g["level"]["counts"][k], "share": share})
            x += w
        rows.append({"key": g["key"], "y": PAD + i * ROW_H, "h": ROW_H - 6, "entities": g["entities"], "segments": segs})
    return {
        "width": LABEL_W + BAR_W + 90,
        "height": PAD * 2 + ROW_H * max(len(rows), 1),
        "rows": rows,
        "shown": len(rows),
        "total": len(groups),
    }
