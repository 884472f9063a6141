"""Decisions as text a person reads at a glance, or as Markdown."""

from __future__ import annotations

import re
from typing import Any, List, Optional

from safetyrules.engine.decision import Decision
from safetyrules.report.i18n import translator

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

def _hazard(t, value) -> str:
    return t("undetermined") if value is None else t.value("bool", value)


def _colon(t) -> str:
    return "：" if t.lang == "zh" else ": "


def format_text(d: Decision, label: Optional[str] = None, lang: Optional[str] = None) -> str:
    """Level, tier and inspection frequency first; then findings by severity
    with their citations; then the questions still to ask.

    ``lang`` (``en``/``zh``) chooses the language of labels, values and rule
    titles; None keeps English labels with both titles."""
    t = translator(lang)
    c = _colon(t)
    out: List[str] = []
    if label:
        out.append(f"== {label}")
    out.append(
        f"{t('level')}{c}{t.value('level', d.level)}   {t('tier')}{c}{t.value('tier', d.tier)}   "
        f"{t('inspection')}{c}{t.value('inspection', d.inspection)}   "
        f"{t('major accident hazard')}{c}{_hazard(t, d.major_hazard)}"
    )
    out.append(f"{t('rules')}{c}{d.ruleset_id} ({d.digest[:19]}…)   {t('as of')} {d.as_of.isoformat()}")
    if d.findings:
        out.append("")
        out.append(f"{t('Findings')} ({len(d.findings)})")
        for sev in ("major", "general"):
            group = [f for f in d.findings if f.severity == sev]
            if not group:
                continue
            out.append(f"  {t(sev.upper())}")
            for f in group:
                prov = f"  [{t('provisional')}]" if f.status == "provisional" else ""
                cite = f"  [{f.cite}]" if f.cite else ""
                out.append(f"    {f.standard} {f.clause}{cite}{prov}")
                if t.title(f.title):
                    out.append(f"      {t.title(f.title)}")
    else:
        out.append("")
        out.append(t("Findings: none"))
    if d.undetermined:
        out.append("")
        out.append(f"{t('Undetermined')} ({len(d.undetermined)})")
        for u in d.undetermined:
            cite = f"  [{u.cite}]" if u.cite else ""
            out.append(
                f"    {u.standard} {u.clause}{cite} ({t.value('severity', u.severity)})  "
                f"{t('needs')}{c}{', '.join(u.missing) or '-'}"
            )
    if d.missing:
        out.append("")
        out.append(f"{t('Still to ask')}{c}" + ", ".join(d.missing))
    if d.given:
        out.append("")
        out.append(f"{t('Given instead of derived')}{c}" + ", ".join(d.given))
    if d.warnings:
        out.append("")
        out.append(f"{t('Warnings')}{c.rstrip()}")
        for w in d.warnings:
            where = " ".join(str(w[k]) for k in ("standard", "clause", "table") if w.get(k))
            out.append(f"    {w.get('code')}: {w.get('message')}" + (f" ({where})" if where else ""))
    return "\n".join(escape_controls(line, keep_newlines=False) for line in out) + "\n"


def _md_cell(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def format_markdown(d: Decision, label: Optional[str] = None, lang: Optional[str] = None) -> str:
    """The decision as Markdown, ready to paste into a report or review
    (``lang`` as for :func:`format_text`)."""
    t = translator(lang)
    out: List[str] = []
    out.append(f"## {label}" if label else f"## {t('Decision')}")
    out.append("")
    out.append(f"| {t('level')} | {t('tier')} | {t('inspection')} | {t('major accident hazard')} | {t('as of')} |")
    out.append("|---|---|---|---|---|")
    out.append(
        f"| {t.value('level', d.level)} | {t.value('tier', d.tier)} | {t.value('inspection', d.inspection)} "
        f"| {_hazard(t, d.major_hazard)} | {d.as_of.isoformat()} |"
    )
    out.append("")
    out.append(f"{t('rules').capitalize() if lang is None else t('rules')}: `{d.ruleset_id}` `{d.digest}`")
    out.append("")
    if d.findings:
        out.append(f"### {t('Findings')}")
        out.append("")
        out.append(f"| {t('severity')} | {t('standard')} | {t('clause')} | {t('citation')} | {t('title')} | {t('status')} |")
        out.append("|---|---|---|---|---|---|")
        for f in sorted(d.findings, key=lambda f: (f.severity != "major",)):
            status = f.status if lang is None else t.value("status", f.status)
            out.append(
                f"| {t.value('severity', f.severity)} | {_md_cell(f.standard)} | {_md_cell(f.clause)} | "
                f"{_md_cell(f.cite or '')} | {_md_cell(t.title(f.title))} | {status} |"
            )
        out.append("")
    else:
        out.append(t("No findings."))
        out.append("")
    if d.undetermined:
        out.append(f"### {t('Undetermined')}")
        out.append("")
        out.append(f"| {t('severity')} | {t('standard')} | {t('clause')} | {t('citation')} | {t('needs')} |")
        out.append("|---|---|---|---|---|")
        for u in d.undetermined:
            out.append(
                f"| {t.value('severity', u.severity)} | {_md_cell(u.standard)} | {_md_cell(u.clause)} | "
                f"{_md_cell(u.cite or '')} | {_md_cell(', '.join(u.missing))} |"
            )
        out.append("")
    if d.missing:
        out.append(f"### {t('Still to ask')}")
        out.append("")
        out.extend(f"- `{m}`" for m in d.missing)
        out.append("")
    if d.warnings:
        out.append(f"### {t('Warnings')}")
        out.append("")
        out.extend(f"- **{w.get('code')}**: {_md_cell(w.get('message'))}" for w in d.warnings)
        out.append("")
    return "\n".join(escape_controls(line, keep_newlines=False) for line in out)
