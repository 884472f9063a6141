"""Reference pages for rule sets, generated from the rule files.

One Markdown page per standard and table: each clause with its citation,
severity, category, status, the condition in canonical form and, beneath it,
the facts it reads with their titles and units — so a reviewer who does not
read expressions can still check it against the document.  The pages in
``docs/standards/`` are made by ``python tools/gen_standard_docs.py`` for every
bundled rule set (:func:`render_bundled`); a test fails when they are stale.
"""

from __future__ import annotations

import glob
import os
from typing import Dict, List, Sequence

from safetyrules import dsl
from safetyrules.dsl.printer import unparse

__all__ = ["render_standard", "render_table", "render_index", "render_all", "render_bundled", "bundled_rule_sets"]


def _title(t) -> str:
    zh, en = t.get("zh"), t.get("en")
    if zh and en:
        return f"{zh} — {en}"
    return zh or en or ""


def _cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _fact_line(rules, path: str) -> str:
    spec = rules.vocabulary.get(path)
    if spec is None:
        return f"`{path}`"
    title = _title(spec.title or {})
    kind = spec.type + (f", {spec.unit}" if spec.unit else "")
    if spec.values:
        kind += ": " + ", ".join(spec.values[:8]) + (" …" if len(spec.values) > 8 else "")
    return f"`{path}` ({kind})" + (f" — {title}" if title else "")


def _facts_block(rules, nodes) -> List[str]:
    paths: Dict[str, None] = {}
    for n in nodes:
        if n is not None:
            for p in dsl.fact_paths(n):
                paths[p] = None
    return [f"  - {_fact_line(rules, p)}" for p in paths]


def render_standard(rules, standard) -> str:
    """One standard as a Markdown reference page."""
    s = standard
    out = [f"# {_title(s.title) or s.id}", ""]
    out.append("| | |")
    out.append("|---|---|")
    out.append(f"| id | `{s.id}` |")
    out.append(f"| version | {s.version} |")
    if s.document:
        out.append(f"| document | {_cell(s.document)} |")
    eff = "from " + s.effective_from.isoformat() if s.effective_from else "always"
    if s.effective_until:
        eff += f", until {s.effective_until.isoformat()} (exclusive)"
    out.append(f"| in force | {eff} |")
    out.append(f"| status | {s.status} |")
    if s.source:
        out.append(f"| source | {_cell(s.source)} |")
    out.append(f"| file | `{os.path.relpath(s.position.path, rules.base).replace(os.sep, '/')}` |")
    out.append("")
    if s.applies_when is not None:
        out.append("**Applies when:** `" + unparse(s.applies_when.written()) + "`")
        out.append("")
    out.append("| clause | citation | severity | category | status | title |")
    out.append("|---|---|---|---|---|---|")
    for c in s.clauses:
        out.append(
            f"| {c.id} | {_cell(c.cite)} | {c.severity} | {c.category or ''} | {c.status} | {_cell(_title(c.title))} |"
        )
    out.append("")
    for c in s.clauses:
        out.append(f"## {c.id} — {_cell(c.cite)}")
        out.append("")
        if _title(c.title):
            out.append(_title(c.title))
            out.append("")
        flag = " **(provisional: encoded from a partly verified text)**" if c.status == "provisional" else ""
        out.append(f"Severity: **{c.severity}**; category: `{c.category or '-'}`; status: {c.status}{flag}.")
        out.append("")
        out.append("- Hazard when: `" + unparse(c.when.written()) + "`")
        if c.unless is not None:
            out.append("- Unless: `" + unparse(c.unless.written()) + "`")
        nodes = [c.when.node, c.unless.node if c.unless is not None else None]
        facts = _facts_block(rules, nodes)
        if facts:
            out.append("- Facts read:")
            out.extend(facts)
        if c.source:
            out.append(f"- Source: {_cell(c.source)}")
        if c.note:
            out.append(f"- Note: {_cell(c.note)}")
        n = {True: 0, False: 0, "unknown": 0}
        for e in c.examples:
            n["unknown" if e.expect in (None, "unknown") else e.expect] += 1
        out.append(f"- Examples: {n[True]} true, {n[False]} false, {n['unknown']} unknown")
        out.append("")
    return "\n".join(out)


def render_table(rules, t) -> str:
    """One classification or grading table as a Markdown reference page."""
    out = [f"# {_title(t.title) or t.id}", ""]
    out.append(f"Table `{t.id}` → `{t.output}`; hit policy **{t.hit}**; status {t.status}.")
    if t.version:
        out.append(f"Version: {t.version}.")
    if t.document:
        out.append(f"Document: {_cell(t.document)}.")
    if t.has_default:
        out.append(f"Default when no row matches: `{t.default}`.")
    if t.warn_code is not None:
        out.append(f"Each value collected is also a decision warning `{t.warn_code}`: "
                   f"“{_cell(t.warn_message)}”, `{{value}}` being the value.")
    out.append("")
    # as a standard's page does: where the table comes from, and its file
    if t.source:
        out.append(f"Source: {_cell(t.source)}")
        out.append("")
    out.append(f"File: `{os.path.relpath(t.position.path, rules.base).replace(os.sep, '/')}`")
    out.append("")
    cited = any(r.cite for r in t.rows)  # a row's citation, when rows have them
    out.append("| # | row | then | condition |" + (" citation |" if cited else ""))
    out.append("|---|---|---|---|" + ("---|" if cited else ""))
    for i, r in enumerate(t.rows, 1):
        cite = f" {_cell(r.cite or '')} |" if cited else ""
        out.append(f"| {i} | {r.id or ''} | `{r.then}` | `{_cell(unparse(r.when.written()))}` |{cite}")
    out.append("")
    facts = _facts_block(rules, t.conditions)
    if facts:
        out.append("Facts read:")
        out.append("")
        out.extend(f.lstrip() for f in facts)
        out.append("")
    return "\n".join(out)


def _page_name(ident: str) -> str:
    return ident.replace("/", "_") + ".md"


def render_index(rules) -> str:
    out = [f"# Reference: {_title(rules.title) or rules.id}", ""]
    out.append("Generated from the rule files by `python tools/gen_standard_docs.py`; do not edit by hand.")
    out.append("Items of the digest that are not encoded are listed in [not-encoded.md](not-encoded.md).")
    out.append("")
    out.append("| standard | version | clauses | major | provisional | in force from |")
    out.append("|---|---|---|---|---|---|")
    for s in sorted(rules.standards, key=lambda s: s.id):
        major = sum(c.severity == "major" for c in s.clauses)
        prov = sum(c.status == "provisional" for c in s.clauses)
        frm = s.effective_from.isoformat() if s.effective_from else "-"
        out.append(f"| [{s.id}]({_page_name(s.id)}) | {s.version} | {len(s.clauses)} | {major} | {prov} | {frm} |")
    out.append("")
    out.append("| table | output | hit | rows |")
    out.append("|---|---|---|---|")
    for t in sorted(rules.plan.tables, key=lambda t: t.id):
        out.append(f"| [{t.id}]({_page_name(t.id)}) | `{t.output}` | {t.hit} | {len(t.rows)} |")
    out.append("")
    return "\n".join(out)


def render_all(rules) -> Dict[str, str]:
    """File name → page text for every standard and table, plus the index."""
    pages = {"index.md": render_index(rules)}
    for s in rules.standards:
        pages[_page_name(s.id)] = render_standard(rules, s)
    for t in rules.plan.tables:
        pages[_page_name(t.id)] = render_table(rules, t)
    return pages


def bundled_rule_sets(standards_dir: str) -> List[str]:
    """The manifests of the rule sets bundled in ``standards_dir``: its
    ``ruleset.yaml`` first, then every other ``ruleset*.yaml`` beside it, then
    every sub-directory holding a ``ruleset.yaml``, each group in name order."""
    main = os.path.join(standards_dir, "ruleset.yaml")
    others = sorted(p for p in glob.glob(os.path.join(standards_dir, "ruleset*.yaml")) if p != main)
    subdirs = sorted(glob.glob(os.path.join(standards_dir, "*", "ruleset.yaml")))
    return ([main] if os.path.exists(main) else []) + others + subdirs


def _ruleset_page(rules) -> str:
    return "ruleset." + _page_name(rules.id)


def render_bundled(rule_sets: Sequence) -> Dict[str, str]:
    """Pages for several rule sets in one directory.  The first rule set's
    pages are :func:`render_all`'s, its ``index.md`` followed by a list of the
    others; each further rule set gets its index as ``ruleset.<id>.md`` and
    the pages of the standards and tables the first does not have.  A page
    two rule sets would render differently is an error (``ValueError``)."""
    if not rule_sets:
        return {}
    first, rest = rule_sets[0], list(rule_sets[1:])
    pages = render_all(first)
    owner = {name: first.id for name in pages}
    if rest:
        index = [pages["index.md"].rstrip("\n"), "", "## Other bundled rule sets", ""]
        index.append("| rule set | title | standards | tables |")
        index.append("|---|---|---|---|")
        for rules in rest:
            index.append(
                f"| [{rules.id}]({_ruleset_page(rules)}) | {_cell(_title(rules.title))} "
                f"| {len(rules.standards)} | {len(rules.plan.tables)} |"
            )
        pages["index.md"] = "\n".join(index) + "\n"
    for rules in rest:
        own = render_all(rules)
        own[_ruleset_page(rules)] = own.pop("index.md")
        for name, text in own.items():
            if name in pages and pages[name] != text:
                raise ValueError(f"rule sets {owner[name]} and {rules.id} render {name} differently")
            pages.setdefault(name, text)
            owner.setdefault(name, rules.id)
    return pages
