"""Text and Markdown renderings of the supervision results, and the HTML
self-inspection form (Jinja2 templates in ``templates/``, self-contained:
no network resources).  Strings only: the command line prints them.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Sequence

__all__ = ["render", "checklist_html"]

_MAX_LIST = 20  # text/markdown show this many per-entity lines; JSON has all


def _v(x: Any) -> Any:
    """A figure as text and Markdown show it: JSON's null (no figure: a ratio
    over nothing, a stratum without a ratio) is "–", never Python's ``None``."""
    return "–" if x is None else x


# C0/C1 controls (and DEL) and the bidirectional overrides, as safetyrules.report.text escapes them in
# decisions: an entity id, grid or policy source holding ESC or U+202E must not rewrite the reader's terminal
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_one(m: "re.Match[str]") -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def _c(x: Any) -> str:
    """A Markdown table cell: a ``|`` in a value (an id, a grid, a source) is escaped, so it stays one cell."""
    return str(x).replace("|", "\\|")


def _warn_lines(ws: Sequence[Mapping[str, Any]]) -> List[str]:
    out, by = [], {}
    for w in ws:
        by.setdefault(w["code"], []).append(w)
    for code in sorted(by):
        items = by[code]
        for w in items[:_MAX_LIST]:
            out.append(f"  {code}: {w['message']}")
        if len(items) > _MAX_LIST:
            out.append(f"  {code}: … and {len(items) - _MAX_LIST} more (see --format json)")
    return out


def _params(ps: Sequence[Mapping[str, Any]], md: bool) -> List[str]:
    import json

    if md:
        out = ["| parameter | value | status | source |", "|---|---|---|---|"]
        out += [f"| {p['name']} | `{_c(json.dumps(p['value'], ensure_ascii=False)[:60])}` | {_c(p['status'])} | {_c(p['source'])} |" for p in ps]
        return out
    return [f"  {p['name']} = {json.dumps(p['value'], ensure_ascii=False)[:60]}  [{p['status']}: {p['source']}]" for p in ps]


def _plan(d: Mapping[str, Any], md: bool) -> str:
    s = d["summary"]
    w = s["workdays"]
    g = s["general"]
    c = s["coverage"]
    L: List[str] = []
    h = "## " if md else ""
    L.append(f"{'# ' if md else ''}Supervision plan {s['year']} ({s['channel']})")
    L.append("")
    L.append(f"{h}Workdays")
    rows = [("workdays", w["workdays"]), ("staff", w["staff"]), ("legal workdays", w["legal"]), ("other enforcement", w["other_enforcement"]),
            ("non-enforcement", w["non_enforcement"]), ("supervision workdays", w["supervision"]), ("reserve", w["reserve"]), ("available", w["available"])]
    if md:
        L += ["| item | days |", "|---|---:|"] + [f"| {a} | {b} |" for a, b in rows]
    else:
        L += [f"  {a:<22} {b}" for a, b in rows]
    L.append("")
    L.append(f"{h}Key inspections")
    k = s["key"]
    L.append(f"  key entities {k['count']} ({k['undetermined']} undetermined), visits {k['visits']}, person-days {k['person_days']}")
    L.append(f"  feasible: {'yes' if s['feasible'] else 'NO — short by ' + s['shortfall']['days'] + ' days (' + str(s['shortfall']['staff']) + ' staff)'}")
    for cut in s["trim"]["cuts"][:_MAX_LIST]:
        L.append(f"  cut {cut['id']} ({cut['level']}): {cut['from']} -> {cut['to']} visits")
    L.append("")
    L.append(f"{h}General inspections (random draw)")
    L.append(f"  pool {g['pool']}, budget {g['budget']} visits{' (binds)' if g['budget_binds'] else ''}; ratios {g['ratios']['status']}: {g['ratios']['source']}")
    if md:
        L += ["| stratum | entities | ratio | wanted | target |", "|---|---:|---:|---:|---:|"]
        L += [f"| {_c(t['stratum'])} | {t['n']} | {_v(t['ratio'])} | {_v(t['wanted'])} | {t['target']} |" for t in g["strata"]]
    else:
        L += [f"  {t['stratum']:<12} n={t['n']:<7} ratio={_v(t['ratio'])} wanted={_v(t['wanted'])} target={t['target']}" for t in g["strata"]]
    L.append("")
    L.append(f"{h}Coverage")
    L.append(f"  key {_v(c['key'])}, registry {_v(c['registry'])}, general pool covered in {_v(c['general_pool_years'])} years (cycle {c['coverage_cycle_years']}), key share of visits {_v(c['key_share_of_visits'])}, of days {_v(c['key_share_of_days'])}")
    if md:
        L.append("")
        L.append("## Plan table")
        L.append("")
        L.append("| item | basis | units and count | key | drawn | content | method | frequency and cap | time | responsible office |")
        L.append("|---|---|---:|---:|---:|---|---|---|---|---|")
        by: Dict[str, Dict[str, int]] = {}
        for e in d["entities"]:
            r = by.setdefault(e["level"] or "unknown", {"n": 0, "key": 0, "visits": 0, "pool": 0})
            r["n"] += 1
            r["key"] += e["category"] == "key"
            r["visits"] += e["visits"]
            r["pool"] += e["category"] == "random_pool"
        targets: Dict[str, int] = {}  # per level: the sum over its strata (a directed draw has one per grid, sector ...)
        for t in g["strata"]:
            lvl = t["stratum"].split("/")[0]
            targets[lvl] = targets.get(lvl, 0) + t["target"]
        for lvl in ("red", "orange", "yellow", "blue", "unknown"):
            if lvl in by:
                r = by[lvl]
                L.append(f"| {lvl} entities | SPL Art. 62; 安监总政法〔2017〕150号 | {r['n']} | {r['key']} | {targets.get(lvl, 0)} | graded items (checklist) | key: planned; general: 双随机 | {r['visits']} key visits | months in entities[] | — |")
    L.append("")
    L.append(f"{h}Parameters")
    L += _params(s["parameters"], md)
    if s["warnings"]:
        L.append("")
        L.append(f"{h}Warnings")
        L += _warn_lines(s["warnings"])
    return "\n".join(L) + "\n"


def _manifest(d: Mapping[str, Any], md: bool) -> str:
    L = [f"{'# ' if md else ''}Draw manifest (as of {d['as_of']})", ""]
    L.append(f"pool digest {d['pool_digest']}")
    L.append(f"seed commitment {d['seed']['commitment']}  mix {d['seed']['mix']}")
    for s in d["strata"]:
        L.append(f"  {s['stratum']:<12} eligible {s['n']:<7} ratio {_v(s['ratio'])}  target {s['target']}")
    L.append(f"exclusions {len(d['exclusions'])}: " + ", ".join(f"{c} {n}" for c, n in sorted(_count(x['reason'] for x in d['exclusions']).items())))
    L.append(f"inspectors {len(d['inspectors'])}")
    L += _warn_lines(d["warnings"])
    return "\n".join(L) + "\n"


def _count(xs) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return out


def _result(d: Mapping[str, Any], md: bool) -> str:
    L = [f"{'# ' if md else ''}Draw result (as of {d['as_of']})", "", f"manifest {d['manifest_digest']}"]
    teams = {t["entity_id"]: t for t in d["teams"]}
    if md:
        L += ["", "| stratum | rank | entity | team | skipped |", "|---|---:|---|---|---|"]
    for s in d["strata"]:
        if not md:
            L.append(f"{s['stratum']}: {len(s['selected'])} of {s['n']} (target {s['target']})")
        for x in s["selected"]:
            t = teams.get(x["entity_id"], {})
            team = ", ".join(t.get("inspectors") or []) or "NO TEAM"
            skipped = "; ".join(f"{k['inspector']} {k['reason']}" for k in t.get("skipped", []))
            if md:
                L.append(f"| {_c(s['stratum'])} | {x['rank']} | {_c(x['entity_id'])} | {_c(team)} | {_c(skipped)} |")
            else:
                L.append(f"  #{x['rank']:<4} {x['entity_id']:<14} team {team}" + (f"  (skipped {skipped})" if skipped else "") + (f"  replaces {x['replaces']}" if x.get("replaces") else ""))
    for e in d["errors"]:
        L.append(f"  {e['code']}: {e['entity_id']}: {e['message']}")
    L += _warn_lines(d["warnings"])
    return "\n".join(L) + "\n"


def _grid(d: Mapping[str, Any], md: bool) -> str:
    s = d["summary"]
    L = [f"{'# ' if md else ''}Grid workload ({s['by']}, {s['channel']} capacity, {s['workdays']} workdays)", ""]
    t = s["totals"]
    L.append(f"entities {t['entities']} in {len(d['grids'])} grids; visits {t['visits']} ({t['visits_graded']} graded); mean {s['mean_entities_per_grid']} entities ({s['mean_graded_per_grid']} graded) and {s['visits_per_grid']} visits per grid")
    b = s["balance"]
    for k in ("grids", "members"):
        x = b[k]
        L.append(f"balance across {k}: CV {_v(x['cv'])}, Gini {_v(x['gini'])}, max/min {_v(x['max_min'])}, top decile {_v(x['top_decile_share'])}")
    for k, x in (s.get("balance_weighted") or {}).items():  # --by count: the weighted view next to it (§8.3)
        L.append(f"weighted load across {k}: CV {_v(x['cv'])}, Gini {_v(x['gini'])}, max/min {_v(x['max_min'])}, top decile {_v(x['top_decile_share'])}")
    L.append("flags: " + ", ".join(f"{k} {v}" for k, v in s["flags"].items()))
    rows = sorted(d["grids"], key=lambda r: (-(len(r["flags"])), r["grid"]))[:_MAX_LIST]
    if md:
        L += ["", "| grid | entities | red | orange | yellow | blue | unknown | load | members | utilisation | flags |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        L += [f"| {_c(r['grid'])} | {r['entities']} | {r['levels']['red']} | {r['levels']['orange']} | {r['levels']['yellow']} | {r['levels']['blue']} | {r['levels']['unknown']} | {r['load']} | {r['members']} | {_v(r['utilisation'])} | {' '.join(r['flags'])} |" for r in rows]
    else:
        L += [f"  {r['grid']:<10} entities {r['entities']:<5} load {r['load']:<10} members {r['members']} util {_v(r['utilisation'])}"
              + (f" (weighted load {r['weighted_load']}, util {_v(r['weighted_utilisation'])})" if "weighted_load" in r else "")
              + f"  {' '.join(r['flags'])}" for r in rows]
    if len(d["grids"]) > _MAX_LIST:
        L.append(f"  … {len(d['grids']) - _MAX_LIST} more grids (see --format json)")
    lay = s["layers"]
    if lay["findings"]:
        L.append("findings by layer: " + ", ".join(f"{k} {v['share']}" for k, v in lay["by_layer"].items()))
    if "suggest" in s:
        L.append(f"split (load > {s['suggest']['k']} x median): {', '.join(s['suggest']['split']) or 'none'}; merge: {', '.join(s['suggest']['merge']) or 'none'}")
    if "after_moves" in d:
        a = d["after_moves"]
        L.append(f"after {len(a['moves'])} moves: CV {a['balance_before']['grids']['cv']} -> {a['balance_after']['grids']['cv']}, Gini {a['balance_before']['grids']['gini']} -> {a['balance_after']['grids']['gini']}")
    L += _warn_lines(s["warnings"])
    return "\n".join(L) + "\n"


def _track(d: Mapping[str, Any], md: bool) -> str:
    s = d["summary"]
    L = [f"{'# ' if md else ''}Follow-up (as of {s['as_of']})", ""]
    if md:
        L += ["| class | general | major |", "|---|---:|---:|"] + [f"| {k} | {v['general']} | {v['major']} |" for k, v in s["classes"].items()]
    else:
        L += [f"  {k:<20} general {v['general']:<6} major {v['major']}" for k, v in s["classes"].items()]
    L.append(f"ledger {s['ledger']['digest']} ({s['ledger']['events']} events)" if s["ledger"].get("digest") else "ledger: none given (--ledger)")
    if s["layers"]:
        L.append("findings by layer: " + ", ".join(f"{k} {v['share']}" for k, v in s["layers"].items()))
    if len(s.get("kinds") or {}) > 1 or set(s.get("kinds") or {}) - {"enforcement"}:
        L.append("findings by kind: " + ", ".join(f"{k} {v}" for k, v in s["kinds"].items()) + " (patrol guidance is not an administrative finding)")
    for f in d["findings"][:_MAX_LIST]:
        L.append(f"  {f['finding_id']} {f['entity_id']} {f['standard']}:{f['clause']}{(' ' + f['subject']) if f['subject'] else ''} {_v(f['severity'])} {f['class']}" + (f" overdue {f['overdue_days']} d" if f.get("overdue_days") else ""))
    if len(d["findings"]) > _MAX_LIST:
        L.append(f"  … {len(d['findings']) - _MAX_LIST} more (see --format json)")
    for a in d["alerts"][:_MAX_LIST]:
        L.append(f"  {a['code']}: {a['entity_id']} {a['standard']}:{a['clause']}: {a['message']}")
    pub = s.get("publication")
    if pub:
        for x in pub["inspections"][:_MAX_LIST]:
            L.append(f"  publish the results of {x['inspection_id']} ({x['entity_id']}, {x['date']}) by {x['due']}: {pub['rule']} ({pub['source']})")
    L += _warn_lines(s["warnings"])
    return "\n".join(L) + "\n"


def _checklist(d: Mapping[str, Any], md: bool, lang: str = "zh") -> str:
    ent = d["entity"]
    L = [f"{'# ' if md else ''}Checklist {ent.get('id') or ''} {ent.get('name') or ''} (as of {d['as_of']}; {d['ruleset']['id']})".replace("  ", " "), ""]
    for i, it in enumerate(d["items"], 1):
        t = it["title"].get(lang) or it["title"].get("en") or it["clause"]
        p = it["provenance"]
        prov = f"{p['layer'] or 'undeclared'} / {it['kind']}" + (f" / {p['authority']} {p['doc_no'] or ''}" if p.get("authority") else "")
        if md:
            L.append(f"{i}. **{t}** — {it['cite']} ({it['severity']}, {it['status']}; {prov})" + ("" if it["applies"] == "true" else " — applies if the entity is in scope"))
        else:
            L.append(f"{i:>3}. {t}\n       {it['standard']}:{it['clause']}  {it['cite']}  [{it['severity']}, {it['status']}; {prov}]")
    if d["kind"] == "self_check":
        L.append("")
        L.append(f"{'## ' if md else ''}Answers (fill in, then: safetyrules checklist {ent.get('id') or 'ID'} --kind self_check --answers answers.yaml)")
        L.append("")
        if md:
            L.append("```yaml")
        for q in d["questions"]:
            title = q["title"].get(lang) or q["title"].get("en") or q["fact"]
            hint = {"bool": "true / false", "integer": "a whole number", "number": "a number"}.get(q["type"], "|".join(q["values"] or []) if q["values"] else q["type"])
            if q["type"] == "list":
                fields = ", ".join(f"{x['field']}: …" for x in q["item"])
                L.append(f"# {title}: one line per item")
                L.append(f"{q['fact']}:\n  - {{{fields}}}")
            else:
                L.append(f"# {title} ({hint})")
                L.append(f"{q['fact']}: ")
        if md:
            L.append("```")
    for w in d["warnings"]:
        L.append(f"  {w['code']}: {w['message']}")
    return "\n".join(L) + "\n"


def _ledger_stats(d: Mapping[str, Any], md: bool) -> str:
    p = d["period"]
    L: List[str] = []
    what = "Quarterly" if p["kind"] == "quarter" else "Yearly"
    L.append(f"{'# ' if md else ''}{what} hazard statistics {p['label']} ({p['from']} – {p['until']})")
    L.append("")
    L.append(f"due {p['due']} — {d['basis']['source']} [{d['basis']['status']}]")
    led = d["ledger"]
    L.append(f"ledger {led['digest']} ({led['events']} events)")
    L.append("")
    cols = ("found", "rectified", "open_at_end", "overdue_at_end")
    heads = ("found", "rectified", "open at end", "overdue at end")

    def cells(b):
        return [f"{b[c]['total']} ({b[c]['major']} major)" for c in cols]

    rows = [(b["entity_id"], cells(b), b["major"], b.get("rectification_rate")) for b in d["entities"]]
    rows.append(("total", cells(d["totals"]), d["totals"]["major"], None))
    if md:
        L.append("| enterprise | " + " | ".join(heads) + " | major reported | major listed | rectification rate |")
        L.append("|---|" + "---:|" * (len(heads) + 3))
        for ent, cs, mj, rate in rows:
            L.append(f"| {_c(ent)} | " + " | ".join(cs) + f" | {mj['reported_to_authority']} of {mj['reported_to_authority'] + mj['not_reported']} | {mj['listed']} | {rate if rate is not None else '–'} |")
    else:
        L.append(f"  {'enterprise':<22}" + "".join(f"{h:<18}" for h in heads) + "major reported")
        for ent, cs, mj, rate in rows:
            L.append(f"  {ent:<22}" + "".join(f"{c:<18}" for c in cs) + f"{mj['reported_to_authority']} of {mj['reported_to_authority'] + mj['not_reported']}"
                     + (f"   rectification rate {rate}" if rate is not None else ""))
    L.append("")
    sig = d["signature"]
    L.append(f"{'**' if md else ''}Principal person (signature, required){'**' if md else ''}: {sig['principal'] or '____________________'}"
             "    date: ____________")
    if d["warnings"]:
        L.append("")
        L += _warn_lines(d["warnings"])
    return "\n".join(L) + "\n"


def render(kind: str, d: Mapping[str, Any], fmt: str, lang: str = "zh") -> str:
    """``kind``: plan | manifest | result | grid | track | ledger-stats | checklist; ``fmt``: text | markdown."""
    md = fmt == "markdown"
    fn = {"plan": _plan, "manifest": _manifest, "result": _result, "grid": _grid, "track": _track, "ledger-stats": _ledger_stats}.get(kind)
    if kind == "checklist":
        text = _checklist(d, md, lang)
    elif fn is None:
        raise ValueError(kind)
    else:
        text = fn(d, md)
    return _CONTROLS.sub(_escape_one, text)


def checklist_html(d: Mapping[str, Any], lang: str = "zh") -> str:
    """A self-contained HTML form of a checklist (inline CSS and script; no
    network resources).  The script turns the answers into facts JSON."""
    try:
        import jinja2
    except ImportError:  # pragma: no cover - the extra is missing
        from .common import SupervisionError

        raise SupervisionError("HTML output needs Jinja2: pip install 'safetyrules[supervision]'", code="E-EXTRA") from None
    import json
    import os

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    return env.get_template("checklist.html.j2").render(d=d, lang=lang, questions_json=json.dumps(d["questions"], ensure_ascii=False, sort_keys=True))
