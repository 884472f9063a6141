"""``safetyrules diff OLD NEW``: what a revision of the rules changes.

1. **Structure** — standards, clauses, tables, rows and facts added, removed
   or changed; expressions are compared after normalising with the printer
   (so spacing and redundant parentheses are not changes); moved thresholds,
   editions, effective dates and citations are named.
2. **Meaning** — for every changed condition, a fact set on which the old and
   the new condition disagree, found by searching the boundary values of
   every constant in both (``c-1, c, c+1`` for integers, ``c±0.01`` for
   numbers, every enum value, true/false, and *missing*); or the statement
   that they agree on all those points.
3. **Entities** — with ``--facts CORPUS`` (a directory of YAML/JSON facts
   files, or a JSON Lines file), the entities whose findings, level, tier or
   inspection frequency change.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from typing import Any, Dict, Iterator, List, Optional, Tuple

import attrs

from safetyrules import dsl
from safetyrules.dsl import ast as A
from safetyrules.errors import FactsError, SafetyRulesError
from safetyrules.limits import parse_date

__all__ = ["diff_rules", "counterexample", "threshold_moves", "corpus_changes", "facts_for", "sarif_report", "register"]


# ---------------------------------------------------------------------------
# expressions


def _parsed(expr) -> Optional[A.Node]:
    """The expression as written (parsed, not checked: units and literals as
    the author wrote them)."""
    if expr is None:
        return None
    try:
        return expr.written()
    except SafetyRulesError:
        return None


def _norm(expr) -> Optional[str]:
    if expr is None:
        return None
    node = _parsed(expr)
    if node is None:
        return expr.text
    return dsl.unparse(node)


def threshold_moves(old: A.Node, new: A.Node) -> Optional[List[Dict[str, str]]]:
    """When two expressions differ only in number literals: each moved
    number with its comparison before and after; else None."""
    moves: List[Dict[str, str]] = []

    def same(a, b, ctx_a, ctx_b) -> bool:
        if type(a) is not type(b):
            return False
        if isinstance(a, A.Compare):
            ctx_a, ctx_b = a, b
        if isinstance(a, A.Number):
            if a.unit != b.unit:
                return False
            if a.value != b.value:
                moves.append(
                    {
                        "old": dsl.unparse(a),
                        "new": dsl.unparse(b),
                        "old_condition": dsl.unparse(ctx_a) if ctx_a is not None else dsl.unparse(a),
                        "new_condition": dsl.unparse(ctx_b) if ctx_b is not None else dsl.unparse(b),
                    }
                )
            return True
        for f in attrs.fields(type(a)):
            if not f.eq:
                continue
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, A.Node):
                if not same(x, y, ctx_a, ctx_b):
                    return False
            elif isinstance(x, tuple) and x and isinstance(x[0], A.Node):
                if not isinstance(y, tuple) or len(x) != len(y):
                    return False
                if not all(same(p, q, ctx_a, ctx_b) for p, q in zip(x, y)):
                    return False
            elif x != y:
                return False
        return True

    if old is None or new is None or not same(old, new, None, None):
        return None
    return moves


def counterexample(old: Optional[A.Node], new: Optional[A.Node], vocab) -> Dict[str, Any]:
    """Search for facts on which two checked conditions disagree.

    Returns ``{"found": True, "facts": {...}, "old": v, "new": v}`` (values
    true/false/null for unknown; facts left out may take any value), or
    ``{"found": False, "complete": bool}`` (``complete``: every combination of
    boundary values was tried).
    """
    from safetyrules.authoring.domains import MISSING, Incomplete, Problem, jsonable_assignment

    nodes = [old if old is not None else A.Boolean(False), new if new is not None else A.Boolean(False)]
    prob = Problem(nodes, vocab, missing=True, budget=100_000)

    def decided(r) -> bool:
        return r is True or r is False or r is None

    def goal(fs):
        a, b = fs
        if decided(a) and decided(b):
            return a is not b
        return None

    try:
        hits = prob.search(goal)
    except Incomplete:
        return {"found": False, "complete": False}
    if not hits:
        return {"found": False, "complete": True}
    hit = hits[0]
    ov = prob.reduce(prob.formulas[0], hit)
    nv = prob.reduce(prob.formulas[1], hit)
    facts = {k: v for k, v in hit.items() if not k.startswith("⟨")}
    assumed = {k[1:-1]: (None if v is MISSING else v) for k, v in hit.items() if k.startswith("⟨")}
    out = {"found": True, "facts": jsonable_assignment(facts), "old": ov, "new": nv}
    if assumed:
        out["assuming"] = assumed
    return out


def table_counterexample(old_lt, new_lt, vocab) -> Dict[str, Any]:
    """Known facts on which two versions of a table give different outputs
    (after their hit policies and defaults), or ``{"found": False, ...}``."""
    from safetyrules.authoring.domains import Incomplete, Problem, jsonable_assignment
    from safetyrules.engine.ruleset import decide_table

    old_rows, new_rows = list(old_lt.conditions), list(new_lt.conditions)
    if any(n is None for n in old_rows + new_rows):
        return {"found": False, "complete": False}
    k = len(old_rows)
    prob = Problem(old_rows + new_rows, vocab, budget=100_000)

    def output(lt, vals):
        res = decide_table(lt, vals, [])
        return res.value if res.known else None

    def goal(fs):
        if any(not (r is True or r is False or r is None) for r in fs):
            return None
        return output(old_lt, fs[:k]) != output(new_lt, fs[k:])

    out = old_lt.output
    try:
        hits = prob.search(goal)
    except Incomplete:
        return {"found": False, "complete": False, "output": out}
    if not hits:
        return {"found": False, "complete": True, "output": out}
    hit = hits[0]
    vals = [prob.reduce(f, hit) for f in prob.formulas]
    facts = {k2: v for k2, v in hit.items() if not k2.startswith("⟨")}
    return {"found": True, "facts": jsonable_assignment(facts),
            "old": output(old_lt, vals[:k]), "new": output(new_lt, vals[k:]), "output": out}


# ---------------------------------------------------------------------------
# structure


def _change(kind: str, action: str, where: str, ident: str, **kw) -> Dict[str, Any]:
    d = {"kind": kind, "action": action, "in": where, "id": ident}
    d.update({k: v for k, v in kw.items() if v is not None})
    return d


def _fmt_date(d: Optional[datetime.date]) -> Optional[str]:
    return d.isoformat() if d else None


def _cond_change(old_expr, new_expr, old_node, new_node, vocab) -> Dict[str, Any]:
    d: Dict[str, Any] = {"old": _norm(old_expr), "new": _norm(new_expr)}
    po, pn = _parsed(old_expr), _parsed(new_expr)
    moves = threshold_moves(po, pn) if po is not None and pn is not None else None
    if moves:
        d["thresholds"] = moves
    return d


def diff_rules(old, new) -> List[Dict[str, Any]]:
    """Structural and semantic changes from rule set ``old`` to ``new``."""
    vocab = {**old.vocabulary, **new.vocabulary}
    changes: List[Dict[str, Any]] = []
    # facts
    for name in sorted(set(old.vocabulary) | set(new.vocabulary)):
        a, b = old.vocabulary.get(name), new.vocabulary.get(name)
        if a is None:
            changes.append(_change("fact", "added", "vocabulary", name, new=b.type))
        elif b is None:
            changes.append(_change("fact", "removed", "vocabulary", name, old=a.type))
        elif _sig(a) != _sig(b):
            changes.append(
                _change("fact", "changed", "vocabulary", name, field="declaration",
                        old=_spec_text(a), new=_spec_text(b))
            )
    # the manifest: its id and its decision: (SPEC §4: part of the rules, and of the digest)
    if old.plan.id != new.plan.id:
        changes.append(_change("ruleset", "changed", new.plan.id, new.plan.id, field="id", old=old.plan.id, new=new.plan.id))
    od, nd = dict(old.plan.decision or {}), dict(new.plan.decision or {})
    for key in sorted(set(od) | set(nd)):
        if od.get(key) != nd.get(key):
            changes.append(_change("ruleset", "changed", new.plan.id, new.plan.id, field=f"decision.{key}",
                                   old=od.get(key), new=nd.get(key)))
    # the manifest's units: (a factor decides what a literal means; the clauses' text does not change)
    ou, nu = _manifest_units(old), _manifest_units(new)
    for name in sorted(set(ou) | set(nu)):
        if ou.get(name) != nu.get(name):
            changes.append(_change("ruleset", "changed", new.plan.id, new.plan.id, field=f"units.{name}",
                                   old=ou.get(name), new=nu.get(name)))
    # standards and clauses
    olds = {s.id: s for s in old.standards}
    news = {s.id: s for s in new.standards}
    oclauses = {(c.standard, c.id): c for c in old.plan.clauses}
    nclauses = {(c.standard, c.id): c for c in new.plan.clauses}
    for sid in sorted(set(olds) | set(news)):
        a, b = olds.get(sid), news.get(sid)
        if a is None:
            assert b is not None
            changes.append(_change("standard", "added", sid, sid, new=b.version, clauses=len(b.clauses)))
            continue
        if b is None:
            changes.append(_change("standard", "removed", sid, sid, old=a.version, clauses=len(a.clauses)))
            continue
        for field, x, y in (
            ("version", a.version, b.version),
            ("document", a.document, b.document),
            ("effective.from", _fmt_date(a.effective_from), _fmt_date(b.effective_from)),
            ("effective.until", _fmt_date(a.effective_until), _fmt_date(b.effective_until)),
            ("supersedes", list(a.supersedes), list(b.supersedes)),
            ("status", a.status, b.status),
        ):
            if x != y:
                changes.append(_change("standard", "changed", sid, sid, field=field, old=x, new=y))
        if _norm(a.applies_when) != _norm(b.applies_when):
            d = _cond_change(a.applies_when, b.applies_when, None, None, vocab)
            oa = _applies(old, sid)
            na = _applies(new, sid)
            d["counterexample"] = counterexample(oa if oa is not None else A.Boolean(True),
                                                 na if na is not None else A.Boolean(True), vocab)
            changes.append(_change("standard", "changed", sid, sid, field="applies_when", **d))
        a_ids = [c.id for c in a.clauses]
        b_ids = [c.id for c in b.clauses]
        for cid in a_ids + [i for i in b_ids if i not in a_ids]:
            ca = next((c for c in a.clauses if c.id == cid), None)
            cb = next((c for c in b.clauses if c.id == cid), None)
            if ca is None:
                assert cb is not None
                changes.append(_change("clause", "added", sid, cid, severity=cb.severity, cite=cb.cite,
                                       new=str(_norm(cb.when)) + (f" unless {_norm(cb.unless)}" if cb.unless else "")))
                continue
            if cb is None:
                changes.append(_change("clause", "removed", sid, cid, severity=ca.severity, cite=ca.cite,
                                       old=str(_norm(ca.when)) + (f" unless {_norm(ca.unless)}" if ca.unless else "")))
                continue
            for field, x, y in (("cite", ca.cite, cb.cite), ("severity", ca.severity, cb.severity),
                                ("category", ca.category, cb.category), ("status", ca.status, cb.status)):
                if x != y:
                    changes.append(_change("clause", "changed", sid, cid, field=field, old=x, new=y))
            cond_changed = False
            for field in ("when", "unless"):
                x, y = getattr(ca, field), getattr(cb, field)
                if _norm(x) != _norm(y):
                    cond_changed = True
                    changes.append(_change("clause", "changed", sid, cid, field=field,
                                           **_cond_change(x, y, None, None, vocab)))
            if cond_changed:
                la, lb = oclauses.get((sid, cid)), nclauses.get((sid, cid))
                if la is not None and lb is not None:
                    changes[-1]["counterexample"] = counterexample(la.own_condition, lb.own_condition, vocab)
    # tables and rows
    otabs = {t.id: t for t in old.plan.tables}
    ntabs = {t.id: t for t in new.plan.tables}
    for tid in sorted(set(otabs) | set(ntabs)):
        la, lb = otabs.get(tid), ntabs.get(tid)
        if la is None:
            assert lb is not None
            changes.append(_change("table", "added", tid, tid, output=lb.output, rows=len(lb.rows)))
            continue
        if lb is None:
            changes.append(_change("table", "removed", tid, tid, output=la.output, rows=len(la.rows)))
            continue
        a, b = la, lb
        for field, x, y in (("output", a.output, b.output), ("hit", a.hit, b.hit), ("version", a.version, b.version),
                            ("document", a.document, b.document), ("status", a.status, b.status),
                            ("default", a.default if a.has_default else None, b.default if b.has_default else None)):
            if x != y:
                changes.append(_change("table", "changed", tid, tid, field=field, old=x, new=y))
        # a collect table's warn: {code, message} (added: old none; removed: new none)
        wa, wb = _warn(a), _warn(b)
        if wa != wb:
            action = "added" if wa is None else "removed" if wb is None else "changed"
            changes.append(_change("table", "changed", tid, tid, field="warn", warn=action, old=wa, new=wb))
        n_before = len(changes)
        akeys = [r.id or f"#{i + 1}" for i, r in enumerate(a.rows)]
        bkeys = [r.id or f"#{i + 1}" for i, r in enumerate(b.rows)]
        common_a = [k for k in akeys if k in bkeys]
        common_b = [k for k in bkeys if k in akeys]
        if common_a != common_b and a.hit in ("first",):
            changes.append(_change("table", "changed", tid, tid, field="row order", old=common_a, new=common_b))
        for key in akeys + [k for k in bkeys if k not in akeys]:
            ra = a.rows[akeys.index(key)] if key in akeys else None
            rb = b.rows[bkeys.index(key)] if key in bkeys else None
            if ra is None:
                assert rb is not None
                changes.append(_change("row", "added", tid, key, new=f"{_norm(rb.when)} → {rb.then}"))
                continue
            if rb is None:
                changes.append(_change("row", "removed", tid, key, old=f"{_norm(ra.when)} → {ra.then}"))
                continue
            if ra.then != rb.then:
                changes.append(_change("row", "changed", tid, key, field="then", old=ra.then, new=rb.then))
            if _norm(ra.when) != _norm(rb.when):
                d = _cond_change(ra.when, rb.when, None, None, vocab)
                d["counterexample"] = counterexample(la.conditions[akeys.index(key)], lb.conditions[bkeys.index(key)], vocab)
                changes.append(_change("row", "changed", tid, key, field="when", **d))
            if ra.cite != rb.cite:
                changes.append(_change("row", "changed", tid, key, field="cite", old=ra.cite, new=rb.cite))
        if any(c.get("field") not in ("cite", "version", "document", "status", "warn") for c in changes[n_before:]):
            changes.append(_change("table", "changed", tid, tid, field="output",
                                   counterexample=table_counterexample(la, lb, vocab)))
    return changes


def _manifest_units(rules) -> Dict[str, str]:
    """Unit name → its declaration as written (``{base: A, factor: 0.001}``)
    in the manifest's ``units:``; {} without a manifest or units."""
    pos = rules.plan.manifest
    if pos is None or not pos.path or pos.path.startswith("<"):
        return {}
    from safetyrules.source.files import read_rule_file

    doc, _errs = read_rule_file(pos.path)
    units = doc.data.get("units") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(units, dict):
        return {}

    def text(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {text(x)}" for k, x in v.items()) + "}"
        return _v(v)

    return {str(k): text(v) for k, v in units.items()}


def _warn(t) -> Optional[Dict[str, Any]]:
    """A table's ``warn:`` as ``{"code", "message"}``, or None without one."""
    if t.warn_code is None:
        return None
    return {"code": t.warn_code, "message": t.warn_message}


def _warn_text(w: Optional[Dict[str, Any]]) -> str:
    return "none" if w is None else f"{w['code']} “{w['message']}”"


def _position(rules, c: Dict[str, Any]):
    """Where a change is, in ``rules``: the clause, row, table, standard or
    fact declaration, or the manifest's changed key (None when ``rules``
    does not have it)."""
    plan = rules.plan
    kind = c["kind"]
    if kind == "ruleset":
        pos = plan.manifest
        if pos is None or not pos.path or pos.path.startswith("<"):
            return None
        from safetyrules.source.files import read_rule_file

        doc, _errs = read_rule_file(pos.path)
        if doc is None:
            return pos
        at = doc.loc(tuple(c.get("field", "").split(".")))
        return attrs.evolve(pos, line=at.line, column=at.column) if attrs.has(type(pos)) else pos
    if kind == "fact":
        return plan.fact_origins.get(c["id"])
    if kind == "standard":
        s = plan.standard(c["id"])
        return s.position if s is not None else None
    if kind == "clause":
        cl = plan.clause(c["in"], c["id"])
        return cl.position if cl is not None else None
    t = next((t for t in plan.tables if t.id == c["in"]), None)
    if t is None:
        return None
    if kind == "row":
        for i, r in enumerate(t.rows):
            if (r.id or f"#{i + 1}") == c["id"]:
                return r.position
        return None
    return t.position


def locate_changes(old, new, changes: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each change with ``at``: ``{"path", "line", "column"}`` in the new rule
    set (in the old one for what was removed), when known."""
    out = []
    for c in changes:
        pos = (_position(old, c) if c["action"] == "removed" else None) or _position(new, c) or _position(old, c)
        c = dict(c)
        if pos is not None and pos.path and not pos.path.startswith("<"):
            c["at"] = {"path": pos.path, "line": pos.line, "column": pos.column}
        out.append(c)
    return out


def _applies(rules, sid: str) -> Optional[A.Node]:
    s = rules.plan.standard(sid)
    if s is None or s.applies_when is None:
        return None
    return s.applies_when.node


def _sig(s) -> Tuple:
    """What a fact declaration decides: type, unit, values, bounds and, for
    a list of records, each item field's (titles are not part of it)."""
    item = tuple(sorted((k, _sig(v)) for k, v in s.item.items())) if s.item else None
    return (s.type, s.unit, s.values, s.min, s.max, item)


def _spec_text(s) -> str:
    if s.item:
        return f"{s.type} of {{" + ", ".join(f"{k}: {_spec_text(v)}" for k, v in sorted(s.item.items())) + "}"
    parts = [s.type]
    if s.unit:
        parts.append(f"unit {s.unit}")
    if s.values:
        parts.append("values [" + ", ".join(s.values) + "]")
    if s.min is not None:
        parts.append(f"min {s.min}")
    if s.max is not None:
        parts.append(f"max {s.max}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------
# corpus


def iter_corpus(path: str) -> Iterator[Tuple[str, Any, Optional[SafetyRulesError]]]:
    """(label, facts, error) for each entity of a directory of YAML/JSON facts
    files, a single facts file, or a JSON Lines file."""
    from safetyrules.engine.reader import iter_entities

    if os.path.isdir(path):
        files = sorted(
            os.path.join(dp, f) for dp, _, fn in os.walk(path) for f in fn
            if f.endswith((".yaml", ".yml", ".json", ".jsonl", ".ndjson"))
        )
    elif os.path.isfile(path):
        files = [path]
    else:
        yield path, None, FactsError("no such file or directory", path=path)
        return
    for e in iter_entities(files):
        yield e.label, e.facts, e.error


def _fact_location(label: str, err: SafetyRulesError) -> str:
    """``PATH:LINE:COL`` of the fact a facts error names, in the entity's
    YAML or JSON file (``label`` is ``PATH`` or ``PATH[i]``); else the label."""
    fact = getattr(err, "fact", None)
    if err.line is not None:
        return err.location() or label
    if not isinstance(err, FactsError) or not fact:
        return label
    path, _, rest = label.partition("[")
    if path.endswith((".jsonl", ".ndjson")) or not os.path.isfile(path):
        return label
    try:
        from safetyrules.source.loader import load_yaml

        with open(path, "rb") as fh:
            values = load_yaml(fh.read().decode("utf-8-sig"), path).values
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, SafetyRulesError):
        return label
    prefix = rest[:-1] + "." if rest.endswith("]") and rest[:-1].isdigit() else ""
    index: Dict[str, Any] = {}
    for key, loc in values.items():
        index.setdefault(".".join(str(x) for x in key), loc)
    # the most specific node: for cranes[1].age the item's age, else the item, else the list
    want, base = prefix + fact.replace("]", "").replace("[", "."), prefix + fact.split("[", 1)[0]
    while want not in index and len(want) > len(base):
        want = want.rsplit(".", 1)[0]
    at = index.get(want)
    return f"{path}:{at.line}:{at.column}" if at is not None else label


def _summary(decision) -> Dict[str, Any]:
    return {
        "findings": sorted(f"{f.standard}/{f.clause}" for f in decision.findings),
        "undetermined": sorted(f"{u.standard}/{u.clause}" for u in decision.undetermined),
        "level": decision.level,
        "tier": decision.tier,
        "inspection": decision.inspection,
        "major_hazard": decision.major_hazard,
    }


def facts_for(old, new, facts) -> Tuple[Any, List[str]]:
    """``facts`` without the facts only ``new`` declares → (facts for
    ``old``, the dropped fact paths, sorted).  (Called the other way round,
    for facts a revision removed.)

    A revision that adds facts would otherwise make every entity that gives
    them a bad input for the old rule set; the old rule set never reads
    them, so deciding it without them is deciding it on the same entity.  A
    fact neither rule set declares is left in (and is a bad input for both).
    """
    flat = dsl.flatten(facts)
    keep: Dict[str, Any] = {}
    dropped: List[str] = []
    for k, v in flat.items():
        if k not in old.vocabulary and k in new.vocabulary:
            dropped.append(k)
        else:
            keep[k] = v
    return (keep if dropped else facts), sorted(dropped)


def corpus_changes(old, new, path: str, as_of: datetime.date) -> Dict[str, Any]:
    """Entities of a corpus whose decision differs between two rule sets.

    Facts that only ``new`` declares are left out when deciding under
    ``old`` (:func:`facts_for`), and those only ``old`` declares under
    ``new``; ``ignored_by_old`` and ``ignored_by_new`` count, per fact, the
    entities that gave one."""
    total = 0
    changed: List[Dict[str, Any]] = []
    errors: List[Dict[str, Any]] = []
    counts = {"findings": 0, "level": 0, "tier": 0, "inspection": 0}
    ignored: Dict[str, int] = {}
    ignored_new: Dict[str, int] = {}
    for label, facts, err in iter_corpus(path):
        total += 1
        if err is not None:
            # the entity's label already says where: the message only, once
            errors.append({"entity": err.location() or label, "error": err.message + (f" ({err.hint})" if err.hint else "")})
            continue
        try:
            old_facts, dropped = facts_for(old, new, facts)
            for k in dropped:
                ignored[k] = ignored.get(k, 0) + 1
            a = _summary(old.evaluate(old_facts, as_of=as_of))
        except SafetyRulesError as e:
            errors.append({"entity": _fact_location(label, e), "error": f"OLD: {e.message}" + (f" ({e.hint})" if e.hint else "")})
            continue
        try:
            new_facts, dropped = facts_for(new, old, facts)
            for k in dropped:
                ignored_new[k] = ignored_new.get(k, 0) + 1
            b = _summary(new.evaluate(new_facts, as_of=as_of))
        except SafetyRulesError as e:
            errors.append({"entity": _fact_location(label, e), "error": f"NEW: {e.message}" + (f" ({e.hint})" if e.hint else "")})
            continue
        delta: Dict[str, Any] = {}
        for k in ("level", "tier", "inspection", "major_hazard"):
            if a[k] != b[k]:
                delta[k] = {"old": a[k], "new": b[k]}
        for k in ("findings", "undetermined"):
            plus = [x for x in b[k] if x not in a[k]]
            minus = [x for x in a[k] if x not in b[k]]
            if plus or minus:
                delta[k] = {"added": plus, "removed": minus}
        if delta:
            for k in counts:
                counts[k] += k in delta
            changed.append({"entity": label, "changes": delta})
    return {"path": path, "as_of": as_of.isoformat(), "entities": total, "changed": len(changed),
            "counts": counts, "items": changed, "errors": errors,
            "ignored_by_old": dict(sorted(ignored.items())), "ignored_by_new": dict(sorted(ignored_new.items()))}


# ---------------------------------------------------------------------------
# reports


def _v(x) -> str:
    if x is None:
        return "unknown"
    if x is True:
        return "true"
    if x is False:
        return "false"
    return str(x)


def _cx_text(cx: Dict[str, Any]) -> str:
    from safetyrules.authoring.domains import show_value

    if cx.get("found") and "output" in cx:
        facts = ", ".join(f"{k} = {show_value(v)}" for k, v in cx["facts"].items()) or "any facts"
        return f"counterexample: {facts} → {cx['output']} old {_v(cx['old'])}, new {_v(cx['new'])}"
    if cx.get("found"):
        facts = ", ".join(f"{k} = {'missing' if v is None else show_value(v)}" for k, v in cx["facts"].items()) or "any facts"
        s = f"counterexample: {facts} → old {_v(cx['old'])}, new {_v(cx['new'])}"
        if cx.get("assuming"):
            s += " (assuming " + ", ".join(f"{k} is {_v(v)}" for k, v in cx["assuming"].items()) + ")"
        return s
    if cx.get("complete") and "output" in cx:
        return "the table gives the same output on every combination of boundary values"
    if cx.get("complete"):
        return "old and new agree on every combination of boundary values (no counterexample)"
    return "no counterexample found before the search limit (not proven equivalent)"


def _line(c: Dict[str, Any]) -> str:
    what = {"standard": "standard", "clause": "clause", "table": "table", "row": "row", "fact": "fact",
            "ruleset": "ruleset"}[c["kind"]]
    head = f"{c['action']} {what} {c['id']}" if c["kind"] in ("standard", "table", "fact", "ruleset") else f"{c['action']} {what} {c['in']} / {c['id']}"
    if c["action"] == "changed" and c["field"] == "output" and c["kind"] == "table":
        head += " — its output, as a whole"
    elif c["action"] == "changed" and c["field"] == "warn" and c["kind"] == "table":
        if c.get("warn") == "added":
            head += f" — warn added: {_short(_warn_text(c.get('new')))}"
        elif c.get("warn") == "removed":
            head += f" — warn removed: {_short(_warn_text(c.get('old')))}"
        else:
            head += f" — warn: {_short(_warn_text(c.get('old')))} → {_short(_warn_text(c.get('new')))}"
    elif c["action"] == "changed":
        head += f" — {c['field']}: {_short(c.get('old'))} → {_short(c.get('new'))}"
    elif c["action"] == "added" and "new" in c:
        head += f": {_short(c['new'])}"
    elif c["action"] == "removed" and "old" in c:
        head += f": {_short(c['old'])}"
    return head


def _short(x, n: int = 160) -> str:
    s = _v(x) if not isinstance(x, list) else "[" + ", ".join(map(str, x)) + "]"
    return s if len(s) <= n else s[: n - 1] + "…"


def _entity_line(e: Dict[str, Any]) -> str:
    parts = []
    for k in ("level", "tier", "inspection", "major_hazard"):
        if k in e["changes"]:
            d = e["changes"][k]
            parts.append(f"{k} {_v(d['old'])} → {_v(d['new'])}")
    for k in ("findings", "undetermined"):
        if k in e["changes"]:
            d = e["changes"][k]
            parts.append(f"{k} " + " ".join(["+" + x for x in d["added"]] + ["−" + x for x in d["removed"]]))
    return f"{e['entity']}: " + "; ".join(parts)


def format_text(report: Dict[str, Any]) -> str:
    lines = [f"diff {report['old']['path']} → {report['new']['path']}: {len(report['changes'])} change(s)"]
    for c in report["changes"]:
        lines.append("  " + _line(c))
        for m in c.get("thresholds", []):
            lines.append(f"      threshold moved: {m['old_condition']} → {m['new_condition']}")
        if "counterexample" in c:
            lines.append("      " + _cx_text(c["counterexample"]))
    corpus = report.get("corpus")
    if corpus:
        lines.append(f"entities: {corpus['changed']} of {corpus['entities']} change "
                     f"(level {corpus['counts']['level']}, tier {corpus['counts']['tier']}, "
                     f"inspection {corpus['counts']['inspection']}, findings {corpus['counts']['findings']})")
        for e in corpus["items"]:
            lines.append("  " + _entity_line(e))
        for e in corpus["errors"]:
            lines.append(f"  {e['entity']}: cannot compare: {e['error']}")
        for line in _ignored_lines(corpus):
            lines.append("  " + line)
    return "\n".join(lines) + "\n"


def _ignored_lines(corpus: Dict[str, Any]) -> List[str]:
    out = []
    for key, side in (("ignored_by_old", "OLD"), ("ignored_by_new", "NEW")):
        facts = corpus.get(key) or {}
        if facts:
            out.append(f"left out under {side} (it does not declare them): "
                       + ", ".join(f"{k} ({n} entit{'y' if n == 1 else 'ies'})" for k, n in facts.items()))
    return out


def format_markdown(report: Dict[str, Any]) -> str:
    out = [f"### Rule changes: `{report['old']['path']}` → `{report['new']['path']}`", ""]
    if not report["changes"]:
        out.append("No changes to standards, clauses, tables, rows or facts.")
    for c in report["changes"]:
        out.append(f"- {_md(_line(c))}")
        for m in c.get("thresholds", []):
            out.append(f"  - threshold moved: `{m['old_condition']}` → `{m['new_condition']}`")
        if "counterexample" in c:
            out.append(f"  - {_md(_cx_text(c['counterexample']))}")
    corpus = report.get("corpus")
    if corpus:
        out += ["", f"**{corpus['changed']} of {corpus['entities']} entities change** "
                    f"(level {corpus['counts']['level']}, tier {corpus['counts']['tier']}, "
                    f"inspection {corpus['counts']['inspection']}, findings {corpus['counts']['findings']})", ""]
        if corpus["items"]:
            out += ["| entity | change |", "|---|---|"]
            for e in corpus["items"]:
                ent, _, rest = _entity_line(e).partition(": ")
                out.append(f"| `{ent}` | {_md(rest)} |")
        for e in corpus["errors"]:
            out.append(f"- `{e['entity']}`: cannot compare: {_md(e['error'])}")
        for line in _ignored_lines(corpus):
            out.append(f"- {_md(line)}")
    return "\n".join(out) + "\n"


_DIFF_RULES = {
    "D100": ("rule-added", "A standard, clause, table, row or fact was added."),
    "D101": ("rule-removed", "A standard, clause, table, row or fact was removed."),
    "D102": ("rule-changed", "A field of a standard, clause, table, row or fact changed (no condition changed meaning)."),
    "D200": ("meaning-changed", "A changed condition or table decides differently on the counterexample shown."),
    "D300": ("decisions-changed", "Entities of the corpus get a different decision."),
}


def sarif_report(report: Dict[str, Any]) -> Dict[str, Any]:
    """A diff report as a SARIF 2.1.0 log (for pull-request annotations):
    every change located at its rule in the new set (the old one when
    removed); a change whose condition decides differently, with its
    counterexample, is a ``warning``, others are ``note``; the corpus's
    changed entities are one ``warning`` on the new manifest."""
    from safetyrules.authoring.sarif import location, sarif_run

    rules = [{"id": k, "name": n, "shortDescription": {"text": t}, "defaultConfiguration": {"level": "note"}}
             for k, (n, t) in _DIFF_RULES.items()]
    index = {k: i for i, k in enumerate(_DIFF_RULES)}
    results = []
    for c in report["changes"]:
        cx = c.get("counterexample") or {}
        code = "D200" if cx.get("found") else {"added": "D100", "removed": "D101"}.get(c["action"], "D102")
        text = _line(c)
        for m in c.get("thresholds", []):
            text += f"; threshold moved: {m['old_condition']} → {m['new_condition']}"
        if cx:
            text += "; " + _cx_text(cx)
        at = c.get("at") or {}
        r: Dict[str, Any] = {"ruleId": code, "ruleIndex": index[code], "level": "warning" if code == "D200" else "note",
                             "message": {"text": text},
                             "locations": [location(at.get("path") or report["new"]["path"], at.get("line"), at.get("column"))]}
        if cx.get("found"):
            r["properties"] = {"counterexample": cx}
        results.append(r)
    corpus = report.get("corpus")
    if corpus and corpus.get("changed"):
        text = (f"{corpus['changed']} of {corpus['entities']} entities change (level {corpus['counts']['level']}, "
                f"tier {corpus['counts']['tier']}, inspection {corpus['counts']['inspection']}, "
                f"findings {corpus['counts']['findings']})")
        results.append({"ruleId": "D300", "ruleIndex": index["D300"], "level": "warning", "message": {"text": text},
                        "locations": [location(report["new"].get("manifest") or report["new"]["path"], None, None)],
                        "properties": {"entities": [e["entity"] for e in corpus["items"]]}})
    return sarif_run("safetyrules-diff", rules, results)


def _md(s: str) -> str:
    return s.replace("|", "\\|")


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, datetime.date):
        return x.isoformat()
    return x


# ---------------------------------------------------------------------------
# command


def register(sub) -> None:
    p = sub.add_parser(
        "diff",
        help="what changes between two rule sets: structure, counterexamples, affected entities",
        description="Compare rule sets OLD and NEW (manifests or directories): structure, a counterexample per "
                    "changed condition, and with --facts the entities whose decision changes.",
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--facts", metavar="CORPUS", help="directory of YAML/JSON facts files, or a JSON Lines file")
    p.add_argument("--as-of", metavar="DATE", help="decision date for the corpus (default: today)")
    p.add_argument("--format", choices=("text", "markdown", "json", "sarif"), default="text",
                   help="markdown: a pull-request comment; sarif: annotations at each changed rule")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=("any", "level", "tier"),
                   help="exit 1 on any change, or when some entity's level / tier changes (needs --facts)")
    p.set_defaults(func=_cmd_diff)


def _cmd_diff(args) -> int:
    from safetyrules.engine.ruleset import load

    if args.fail_on in ("level", "tier") and not args.facts:
        print(f"error: --fail-on {args.fail_on} needs --facts CORPUS (the entities to decide)", file=sys.stderr)
        return 2
    try:
        as_of = parse_date(args.as_of) if args.as_of else datetime.date.today()
    except ValueError:
        print(f"error: --as-of must be a date like 2024-03-01, got {args.as_of!r}", file=sys.stderr)
        return 2
    sets = []
    bad = False
    for label, path in (("OLD", args.old), ("NEW", args.new)):
        try:
            sets.append(load(path))
        except SafetyRulesError as exc:
            bad = True
            for e in getattr(exc, "errors", None) or [exc]:
                print(e.format(), file=sys.stderr)
            print(f"error: {label} rule set {path} does not load", file=sys.stderr)
    if bad:
        return 2
    old, new = sets
    report: Dict[str, Any] = {
        "old": {"path": args.old, "id": old.id, "digest": old.digest},
        "new": {"path": args.new, "id": new.id, "digest": new.digest},
        "changes": locate_changes(old, new, diff_rules(old, new)),
    }
    if args.facts:
        report["corpus"] = corpus_changes(old, new, args.facts, as_of)
    report = _jsonable(report)
    if args.format == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    elif args.format == "sarif":
        text = json.dumps(sarif_report(report), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = format_markdown(report)
    else:
        text = format_text(report)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"{args.output}: error: cannot write the report: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    corpus = report.get("corpus") or {}
    if corpus.get("errors"):
        for e in corpus["errors"]:
            print(f"{e['entity']}: error: {e['error']}", file=sys.stderr)
    if args.fail_on == "any" and (report["changes"] or corpus.get("changed")):
        return 1
    if args.fail_on in ("level", "tier") and corpus.get("counts", {}).get(args.fail_on):
        return 1
    if corpus.get("errors"):
        return 2
    return 0
