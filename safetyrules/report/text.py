"""Decisions as text a person reads at a glance, or as Markdown."""

from __future__ import annotations

import re
from typing import Any, List, Optional

from safetyrules.engine.decision import Decision

__all__ = ["format_text", "format_markdown", "escape_controls"]

# C0/C1 controls (and DEL) and the bidirectional overrides: in facts they
# could rewrite a terminal line or reorder what a reader sees.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_one(m: "re.Match[str]") -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape_controls(text: str, keep_newlines: bool = True) -> str:
    """``text`` with control characters shown as ``\\xNN`` / ``\\uNNNN``
    escapes (line breaks kept when ``keep_newlines``), so that text output
    never carries raw control characters from facts or file names."""
    if keep_newlines:
        return "\n".join(_CONTROLS.sub(_escape_one, part) for part in text.split("\n"))
    return _CONTROLS.sub(_escape_one, text)

_YES = {True: "yes", False: "no", None: "undetermined"}


def _title(t) -> str:
    en, zh = t.get("en"), t.get("zh")
    if en and zh:
        return f"{en} / {zh}"
    return en or zh or ""


def _v(x: Any) -> str:
    return "unknown" if x is None else str(x)


def format_text(d: Decision, label: Optional[str] = None) -> str:
    """Level, tier and inspection frequency first; then findings by severity
    with their citations; then the questions still to ask."""
    out: List[str] = []
    if label:
        out.append(f"== {label}")
    out.append(
        f"level: {_v(d.level)}   tier: {_v(d.tier)}   inspection: {_v(d.inspection)}   "
        f"major accident hazard: {_YES[d.major_hazard]}"
    )
    out.append(f"rules: {d.ruleset_id} ({d.digest[:19]}…)   as of {d.as_of.isoformat()}")
    if d.findings:
        out.append("")
        out.append(f"Findings ({len(d.findings)})")
        for sev in ("major", "general"):
            group = [f for f in d.findings if f.severity == sev]
            if not group:
                continue
            out.append(f"  {sev.upper()}")
            for f in group:
                prov = "  [provisional]" if f.status == "provisional" else ""
                cite = f"  [{f.cite}]" if f.cite else ""
                out.append(f"    {f.standard} {f.clause}{cite}{prov}")
                if _title(f.title):
                    out.append(f"      {_title(f.title)}")
    else:
        out.append("")
        out.append("Findings: none")
    if d.undetermined:
        out.append("")
        out.append(f"Undetermined ({len(d.undetermined)})")
        for u in d.undetermined:
            cite = f"  [{u.cite}]" if u.cite else ""
            out.append(f"    {u.standard} {u.clause}{cite} ({u.severity})  needs: {', '.join(u.missing) or '-'}")
    if d.missing:
        out.append("")
        out.append("Still to ask: " + ", ".join(d.missing))
    if d.given:
        out.append("")
        out.append("Given instead of derived: " + ", ".join(d.given))
    if d.warnings:
        out.append("")
        out.append("Warnings:")
        for w in d.warnings:
            where = " ".join(str(w[k]) for k in ("standard", "clause", "table") if w.get(k))
            out.append(f"    {w.get('code')}: {w.get('message')}" + (f" ({where})" if where else ""))
    return "\n".join(escape_controls(line, keep_newlines=False) for line in out) + "\n"


def _md_cell(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def format_markdown(d: Decision, label: Optional[str] = None) -> str:
    """The decision as Markdown, ready to paste into a report or review."""
    out: List[str] = []
    out.append(f"## {label}" if label else "## Decision")
    out.append("")
    out.append("| level | tier | inspection | major accident hazard | as of |")
    out.append("|---|---|---|---|---|")
    out.append(f"| {_v(d.level)} | {_v(d.tier)} | {_v(d.inspection)} | {_YES[d.major_hazard]} | {d.as_of.isoformat()} |")
    out.append("")
    out.append(f"Rules: `{d.ruleset_id}` `{d.digest}`")
    out.append("")
    if d.findings:
        out.append("### Findings")
        out.append("")
        out.append("| severity | standard | clause | citation | title | status |")
        out.append("|---|---|---|---|---|---|")
        for f in sorted(d.findings, key=lambda f: (f.severity != "major",)):
            out.append(
                f"| {f.severity} | {_md_cell(f.standard)} | {_md_cell(f.clause)} | {_md_cell(f.cite or '')} | {_md_cell(_title(f.title))} | {f.status} |"
            )
        out.append("")
    else:
        out.append("No findings.")
        out.append("")
    if d.undetermined:
        out.append("### Undetermined")
        out.append("")
        out.append("| severity | standard | clause | citation | needs |")
        out.append("|---|---|---|---|---|")
        for u in d.undetermined:
            out.append(
                f"| {u.severity} | {_md_cell(u.standard)} | {_md_cell(u.clause)} | {_md_cell(u.cite or '')} | {_md_cell(', '.join(u.missing))} |"
            )
        out.append("")
    if d.missing:
        out.append("### Still to ask")
        out.append("")
        out.extend(f"- `{m}`" for m in d.missing)
        out.append("")
    if d.warnings:
        out.append("### Warnings")
        out.append("")
        out.extend(f"- **{w.get('code')}**: {_md_cell(w.get('message'))}" for w in d.warnings)
        out.append("")
    return "\n".join(escape_controls(line, keep_newlines=False) for line in out)
