"""The registry report as Markdown (``safetyrules report --format markdown``)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from safetyrules.report.i18n import translator
from safetyrules.report.text import escape_controls

__all__ = ["report_markdown"]


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _cell(s: Any) -> str:
    # one line of a table row: a line break (CR too) would end the row, and
    # other controls are shown as escapes, as in the decision's Markdown
    text = str(s).replace("|", "\\|").replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return escape_controls(text, keep_newlines=False)


def report_markdown(s: Dict[str, Any], lang: Optional[str] = None) -> str:
    """Markdown of a :func:`~safetyrules.report.summary.summarise` result:
    the same numbers as the JSON and the HTML page."""
    t = translator(lang or "en")

    def label(ctx: str, k: str) -> str:
        if k == "unknown":
            return t("unknown")
        if ctx == "bool":
            return t.value("bool", k == "true")
        return t.value(ctx, k) if ctx else k

    out: List[str] = [f"# {t('Registry report')}", ""]
    out.append(f"| {t('Entities')} | {t('entities with a finding')} | {t('Share undetermined')} | {t('bad lines')} |")
    out.append("|---|---|---|---|")
    out.append(
        f"| {s['entities']} | {s['with_findings']['entities']} ({_pct(s['with_findings']['share'])}) "
        f"| {s['undetermined']['entities']} ({_pct(s['undetermined']['share'])}) | {s['bad_lines']} |"
    )
    out.append("")
    for name, heading, ctx in (("level", "Level", "level"), ("tier", "Tier", "tier"),
                               ("inspection", "Inspection frequency", "inspection"),
                               ("major_hazard", "Major accident hazard", "bool")):
        dist = s[name]
        out.append(f"## {t(heading)}")
        out.append("")
        out.append(f"| {t(heading)} | {t('count')} | {t('share')} |")
        out.append("|---|---:|---:|")
        for k in dist["order"]:
            out.append(f"| {_cell(label(ctx, k))} | {dist['counts'][k]} | {_pct(dist['shares'][k])} |")
        out.append("")
    heading = {"grid": "By grid", "sector": "By sector", "scale": "By scale"}[s["by"]]
    ctx = {"grid": "", "sector": "sector", "scale": "scale"}[s["by"]]
    levels = s["level"]["order"]
    out.append(f"## {t(heading)}")
    out.append("")
    head = [t(s["by"]), t("Entities"), *(_cell(label("level", k)) for k in levels),
            t("Major accident hazard"), t("Share undetermined")]
    out.append("| " + " | ".join(head) + " |")  # no empty level cell when there are no levels
    out.append("|---|" + "---:|" * (len(head) - 1))
    for g in s["groups"]:
        cells = " | ".join(str(g["level"]["counts"].get(k, 0)) for k in levels)
        out.append(
            f"| {_cell(label(ctx, g['key']))} | {g['entities']} | {cells} | {g['major_hazard']} | {_pct(g['undetermined_share'])} |"
        )
    out.append("")
    out.append(f"## {t('Most frequent findings')}")
    out.append("")
    out.append(f"| {t('standard')} | {t('clause')} | {t('citation')} | {t('severity')} | {t('title')} | {t('count')} | {t('share')} |")
    out.append("|---|---|---|---|---|---:|---:|")
    for f in s["top_findings"]:
        out.append(
            f"| {_cell(f['standard'])} | {_cell(f['clause'])} | {_cell(f.get('cite') or '')} | "
            f"{_cell(label('severity', f.get('severity') or ''))} | {_cell(t.title(f.get('title')))} | {f['count']} | {_pct(f['share'])} |"
        )
    out.append("")
    return "\n".join(out)
