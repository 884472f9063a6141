"""HTML pages (Jinja2 templates, autoescaped): one decision or several
(``evaluate --format html``) and a registry report (``report --format
html``).  Each page is self-contained: inline CSS and SVG charts, no script,
no font, image or style sheet fetched from anywhere (a Content-Security-Policy
meta tag forbids it, so a browser would refuse and log any such request)."""

from __future__ import annotations

import os
import unicodedata
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

from safetyrules.report.charts import LABEL_W, level_bars, stacked_levels
from safetyrules.report.i18n import translator
from safetyrules.report.provenance import LayerTally, any_provenance, kind_heading, provenance_cells, split_by_kind
from safetyrules.report.summary import level_colour

__all__ = ["render_decisions", "render_report", "environment"]

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
_ENV = None


def environment():
    """The Jinja2 environment of the HTML templates (autoescaping on)."""
    global _ENV
    if _ENV is None:
        try:
            import jinja2
        except ImportError:  # pragma: no cover - depends on the install
            from safetyrules.errors import SafetyRulesError

            raise SafetyRulesError("HTML output needs Jinja2: pip install 'safetyrules[report]'") from None
        _ENV = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            finalize=_no_controls,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV


#: C0 controls but tab, LF and CR, DEL and the C1 controls: not allowed in
#: an HTML document's text (a parse error; U+0000 is dropped or replaced),
#: so a fact's text that holds one shows U+FFFD in its place
_CONTROLS = {c: "\ufffd" for c in (*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0))}


def _no_controls(value: Any) -> Any:
    if type(value) is str:  # text from the decision; markup (a macro's output) is ours
        return value.translate(_CONTROLS)
    return value


def _label(t):
    def label(context: str, value: Any) -> str:
        if value is None or value == "unknown":
            return t("unknown")
        if context == "bool" or value in ("true", "false"):
            return t.value("bool", value in (True, "true"))
        return t.value(context, value) if context else str(value)

    return label


_DECISION_COLOURS = {"major": "#d62728", "general": "#f28e2b", "undetermined": "#9e9e9e"}


def render_decisions(items: Sequence[Tuple[Optional[str], Dict[str, Any]]], lang: Optional[str] = None) -> str:
    """One page for ``items``: (label, ``Decision.to_dict()``) pairs."""
    t = translator(lang or "en")
    label = _label(t)
    prepared = []
    tally = LayerTally()  # several decisions: the findings by layer and kind (supervision.md §8.5)
    for lab, d in items:
        tally.add(d)
        main, apart = split_by_kind(d["findings"])
        apart = [(kind, *kind_heading(t, kind), group) for kind, group in apart]
        major = sum(1 for f in d["findings"] if f["severity"] == "major")
        counts = {"major": major, "general": len(d["findings"]) - major, "undetermined": len(d["undetermined"])}
        total = sum(counts.values()) or 1
        dist = {"order": list(counts), "counts": counts, "shares": {k: v / total for k, v in counts.items()}}
        names = {"major": t.value("severity", "major"), "general": t.value("severity", "general"), "undetermined": t("Undetermined")}
        chart = level_bars(dist, names.get, _DECISION_COLOURS)
        prepared.append({"label": lab, "d": d, "chart": chart, "main": main, "apart": apart,
                         "with_prov": any_provenance(d["findings"])})
    layers = tally.rows(t) if len(items) > 1 else {"layer": [], "kind": []}
    layers["findings"] = tally.findings
    return environment().get_template("decision.html.j2").render(
        items=prepared, t=t, lang=t.lang, label=label, colour=level_colour, layers=layers,
        prov_cells=lambda f: provenance_cells(t, f),
    )


def _fit(text: str, room: float = LABEL_W - 14) -> str:
    """``text`` shortened with "…" to fit ``room`` px of the charts' 12 px
    labels, right-aligned at the bars' left (a longer one is cut off at the
    chart's edge): a wide (CJK) character counts 12.5 px, any other 8 —
    more than most are, so that what is kept fits in any font."""

    def w(c: str) -> float:
        return 12.5 if unicodedata.east_asian_width(c) in ("W", "F") else 8.0

    if sum(map(w, text)) <= room:
        return text
    out, used = [], 12.5  # the ellipsis
    for c in text:
        if used + w(c) > room:
            break
        out.append(c)
        used += w(c)
    return "".join(out).rstrip() + "…"


_BY = {
    "grid": ("By grid", "Level distribution by grid", "grid", ""),
    "sector": ("By sector", "Level distribution by sector", "sector", "sector"),
    "scale": ("By scale", "Level distribution by scale", "scale", "scale"),
}


def render_report(summary: Dict[str, Any], lang: Optional[str] = None) -> str:
    """The registry report page of a :func:`~safetyrules.report.summary.summarise` result."""
    t = translator(lang or "en")
    label = _label(t)
    heading, chart_title, col, ctx = _BY[summary["by"]]
    level_chart = level_bars(summary["level"], lambda k: label("level", k))
    group_chart = stacked_levels(summary["groups"], lambda k: label("level", k))
    for row in group_chart["rows"]:
        row["label"] = label(ctx, row["key"])
        row["short"] = _fit(row["label"])  # the whole name is the row's tooltip
    return environment().get_template("report.html.j2").render(
        s=summary, t=t, lang=t.lang, label=label, level_chart=level_chart, group_chart=group_chart, colour=level_colour,
        by_heading=t(heading), by_chart_title=t(chart_title), by_label=t(col), by_ctx=ctx,
    )
