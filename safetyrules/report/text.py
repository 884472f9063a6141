"""Decisions as text a person reads at a glance, or as Markdown."""

from __future__ import annotations

import re
from typing import Any, List, Optional

from safetyrules.engine.decision import Decision
from safetyrules.report.i18n import translator
from safetyrules.report.provenance import (
    LayerTally,
    kind_heading,
    provenance_cells,
    provenance_line,
    split_by_kind,
)

__all__ = ["format_text", "format_markdown", "format_layer_summary", "escape_controls", "LayerTally"]

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


def _text_findings(t, c: str, findings: List[Any], out: List[str], with_prov: bool) -> None:
    for sev in ("major", "general"):
        group = [f for f in findings if f.severity == sev]
        if not group:
            continue
        out.append(f"  {t(sev.upper())}")
        for f in group:
            prov = f"  [{t('provisional')}]" if f.status == "provisional" else ""
            cite = f"  [{f.cite}]" if f.cite else ""
            out.append(f"    {f.standard} {f.clause}{cite}{prov}")
            if t.title(f.title):
                out.append(f"      {t.title(f.title)}")
            where = provenance_line(t, f) if with_prov else ""
            if where:
                out.append(f"      {t('provenance')}{c}{where}")


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
    # findings of a kind other than enforcement (patrol guidance, self-check)
    # are listed apart, after the others (supervision.md §8.5)
    with_prov = any(f.provenance is not None for f in d.findings)
    main, apart = split_by_kind(d.findings) if with_prov else (d.findings, ())
    if main:
        out.append("")
        out.append(f"{t('Findings')} ({len(main)})")
        _text_findings(t, c, main, out, with_prov)
    else:
        out.append("")
        out.append(t("Findings: none"))
    for kind, group in apart:
        heading, note = kind_heading(t, kind)
        out.append("")
        out.append(f"{heading} ({len(group)})")
        if note:
            out.append(f"  ({note})")
        _text_findings(t, c, group, out, with_prov)
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


def _md_findings(t, lang: Optional[str], findings: List[Any], with_prov: bool, out: List[str]) -> None:
    head = f"| {t('severity')} | {t('standard')} | {t('clause')} | {t('citation')} | {t('title')} | {t('status')} |"
    rule = "|---|---|---|---|---|---|"
    if with_prov:
        head += f" {t('layer')} | {t('authority')} | {t('document no.')} | {t('kind')} |"
        rule += "---|---|---|---|"
    out.append(head)
    out.append(rule)
    for f in sorted(findings, key=lambda f: (f.severity != "major",)):
        status = f.status if lang is None else t.value("status", f.status)
        row = (
            f"| {t.value('severity', f.severity)} | {_md_cell(f.standard)} | {_md_cell(f.clause)} | "
            f"{_md_cell(f.cite or '')} | {_md_cell(t.title(f.title))} | {status} |"
        )
        if with_prov:
            row += "".join(f" {_md_cell(cell)} |" for cell in provenance_cells(t, f))
        out.append(row)
    out.append("")


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
    # with provenance: its columns, and the findings of another kind than
    # enforcement in tables of their own (supervision.md §8.5)
    with_prov = any(f.provenance is not None for f in d.findings)
    main, apart = split_by_kind(d.findings) if with_prov else (d.findings, ())
    if main:
        out.append(f"### {t('Findings')}")
        out.append("")
        _md_findings(t, lang, main, with_prov, out)
    else:
        out.append(t("No findings."))
        out.append("")
    for kind, group in apart:
        heading, note = kind_heading(t, kind)
        out.append(f"### {heading}")
        out.append("")
        if note:
            out.append(f"*{note}*")
            out.append("")
        _md_findings(t, lang, group, with_prov, out)
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
    if d.given:  # as the text shows them: a given level or tier is no derived one
        out.append(f"### {t('Given instead of derived')}")
        out.append("")
        out.extend(f"- `{g}`" for g in d.given)
        out.append("")
    if d.warnings:
        out.append(f"### {t('Warnings')}")
        out.append("")
        out.extend(f"- **{w.get('code')}**: {_md_cell(w.get('message'))}" for w in d.warnings)
        out.append("")
    return "\n".join(escape_controls(line, keep_newlines=False) for line in out)


def format_layer_summary(tally: LayerTally, fmt: str = "text", lang: Optional[str] = None) -> str:
    """The findings of several decisions by layer and by kind, count and
    share (supervision.md §8.5), as text or Markdown (``fmt``), with the blank
    line that separates it from the decisions before; '' when no finding had
    provenance."""
    t = translator(lang)
    rows = tally.rows(t)
    if not rows["layer"]:
        return ""
    out: List[str] = [""]
    if fmt == "markdown":
        for name, heading in (("layer", "Findings by layer"), ("kind", "Findings by kind")):
            out += [f"## {t(heading)}", "", f"| {t(name)} | {t('count')} | {t('share')} |", "|---|---:|---:|"]
            out.extend(f"| {_md_cell(lab)} | {n} | {share} |" for _, lab, n, share in rows[name])
            out.append("")
        return "\n".join(escape_controls(line, keep_newlines=False) for line in out)
    c = _colon(t)
    for name, heading in (("layer", "Findings by layer"), ("kind", "Findings by kind")):
        out.append(f"== {t(heading)} ({tally.findings})")
        out.extend(f"    {lab}{c}{n} ({share})" for _, lab, n, share in rows[name])
    return "\n".join(escape_controls(line, keep_newlines=False) for line in out) + "\n"
