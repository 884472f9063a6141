"""Checklists, item-level subjects and self-inspection (supervision.md §8.5,
§8.8 4).

* :func:`checklist` — the items that apply to an entity (``applies_when`` true
  or unknown, standard in force), with citation, provenance and kind: the
  事项告知 (item notice) of DR-PRAC-2.  ``kind="self_check"`` gives the owner's
  self-inspection form, with one question per input fact the items read.
* :func:`subjects_of` — for a finding whose condition quantifies over a list
  fact that declares ``key:``, the keys of the items that made it true (each
  item re-evaluated alone, by the engine's
  :func:`~safetyrules.engine.decision.item_subjects`, which names a
  decision's subjects too).
* :func:`decide_answers` — the owner's answers evaluated as facts: the
  decision, with subjects and provenance on every finding.
"""

from __future__ import annotations

import datetime
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

import attrs

from .common import Result, SupervisionError, Warning_
from safetyrules.engine.decision import item_subjects

from .findings import finding_id

__all__ = ["Checklist", "checklist", "subjects_of", "annotate", "decide_answers", "selfcheck_rules_path", "KINDS"]

KINDS = ("enforcement", "patrol_guidance", "self_check")


def selfcheck_rules_path() -> str:
    """The bundled self-check rule set (``standards/selfcheck``)."""
    from safetyrules.source.files import bundled_path

    return os.path.join(bundled_path(), "selfcheck")


def _declared(rules, facts: Mapping[str, Any]) -> Dict[str, Any]:
    from safetyrules.dsl import flatten

    flat = flatten(dict(facts))
    # findings.* are counted by the engine, never given (a graded registry carries them)
    return {k: v for k, v in flat.items() if k in rules.vocabulary and not k.startswith("findings.")}


@attrs.frozen
class Checklist(Result):
    """The items of a checklist and, for a form, its questions."""

    entity: Mapping[str, Any]
    as_of: datetime.date
    ruleset: Mapping[str, Any]
    items: Tuple[Mapping[str, Any], ...]
    questions: Tuple[Mapping[str, Any], ...]
    warnings: Tuple[Warning_, ...] = ()
    kind: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return {
            "format": "safetyrules-checklist/v1", "entity": dict(self.entity), "as_of": self.as_of.isoformat(),
            "ruleset": dict(self.ruleset), "kind": self.kind, "items": list(self.items), "questions": list(self.questions),
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _inputs_of(rules, node) -> List[str]:
    from safetyrules.dsl import fact_paths

    derived = {t.output for t in rules.plan.tables}
    out = []
    for p in fact_paths(node):
        base = p.split("[", 1)[0]
        if base in rules.vocabulary and base not in derived and base not in out:
            out.append(base)
    return out


def _question(rules, name: str, keys: Mapping[str, str]) -> Dict[str, Any]:
    spec = rules.vocabulary[name]
    q = {"fact": name, "type": spec.type, "title": dict(spec.title or {}), "unit": spec.unit,
         "values": list(spec.values) if spec.values else None}
    if spec.type == "list":
        q["key"] = keys.get(name)
        q["item"] = [{"field": k, "type": v.type, "title": dict(v.title or {}), "values": list(v.values) if v.values else None} for k, v in (spec.item or {}).items()]
    return q


def checklist(rules, facts: Optional[Mapping[str, Any]] = None, *, as_of: Optional[datetime.date] = None, kind: Optional[str] = None, entity_id: Optional[str] = None) -> Checklist:
    """The items that apply to the entity of ``facts`` on ``as_of``."""
    from safetyrules import dsl
    from safetyrules.authoring.provenance_lint import clause_provenance, in_scope, list_keys

    if kind is not None and kind not in KINDS:
        raise SupervisionError(f"--kind is one of {', '.join(KINDS)}", code="E-INPUT")
    as_of = as_of or datetime.date.today()
    facts = dict(facts or {})
    env = rules.check_facts(_declared(rules, facts))
    prov = clause_provenance(rules)
    keys = list_keys(rules)
    items, questions, seen_q = [], [], set()
    warnings: List[Warning_] = []
    for s in rules.plan.standards:
        if not s.in_force(as_of):
            continue
        applies = True if s.applies_when is None else dsl.evaluate_ast(s.applies_when.node, env)
        if applies is False:
            continue
        for c in s.clauses:
            p = prov.get((s.id, c.id), {})
            if kind is not None and p.get("kind", "enforcement") != kind:
                continue
            if p.get("published") and as_of.isoformat() < p["published"]:
                warnings.append(Warning_("L-PROV-UNPUBLISHED", f"{s.id}:{c.id} is published on {p['published']}: left out before then", f"{s.id}:{c.id}"))
                continue
            sc = in_scope(p, facts)
            if sc is False:
                warnings.append(Warning_("L-PROV-SCOPE", f"{s.id}:{c.id} is scoped to {', '.join(map(str, p['scope']))}: not applied to this entity", f"{s.id}:{c.id}"))
                continue
            if p.get("review_by") and as_of.isoformat() > p["review_by"]:
                warnings.append(Warning_("L-PROV-STALE", f"{s.id}:{c.id} was due for review by {p['review_by']}", f"{s.id}:{c.id}"))
            if kind == "self_check" and dsl.evaluate_ast(c.own_condition, env) is False:
                # a self-check form leaves out what the answers so far rule out
                # (a restaurant is not asked about dust collection)
                continue
            reads = _inputs_of(rules, c.own_condition)
            for name in reads:
                if name not in seen_q:
                    seen_q.add(name)
                    questions.append(_question(rules, name, keys))
            items.append({
                "standard": s.id, "version": s.version, "clause": c.id, "cite": c.cite, "severity": c.severity,
                "category": c.category, "title": dict(c.title), "status": c.status,
                "kind": p.get("kind", "enforcement"),
                "provenance": {"layer": p.get("layer"), "authority": p.get("authority"), "doc_no": p.get("doc_no"), "kind": p.get("kind", "enforcement")},
                "applies": "true" if applies is True else "unknown",
                "asks": reads,
            })
    ent = {k.split(".", 1)[1]: v for k, v in facts.items() if k.startswith("entity.") and k.count(".") == 1 and isinstance(v, (str, int, bool))}
    if entity_id and "id" not in ent:
        ent["id"] = entity_id
    return Checklist(ent, as_of, {"id": rules.id, "digest": rules.digest}, tuple(items), tuple(questions), tuple(warnings), kind)


def _quantifiers(node) -> List[Any]:
    from safetyrules.dsl import ast as A

    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, A.Quantifier):
            out.append(n)
        for f in attrs.fields(type(n)) if attrs.has(type(n)) else ():
            v = getattr(n, f.name)
            if isinstance(v, A.Node):
                stack.append(v)
            elif isinstance(v, tuple):
                stack.extend(x for x in v if isinstance(x, A.Node))
    return out


def subjects_of(rules, env: Mapping[str, Any], standard: str, clause: str, keys: Optional[Mapping[str, str]] = None) -> List[str]:
    """Subjects (``LIST[KEY=VALUE]``) of the items that alone make the clause
    true; ``[]`` when it quantifies over no keyed list."""
    from safetyrules.authoring.provenance_lint import list_keys

    keys = list_keys(rules) if keys is None else keys
    c = next((x for x in rules.plan.clauses if x.standard == standard and x.id == clause), None)
    if c is None:
        return []
    lists = []
    for q in _quantifiers(c.condition):
        src = getattr(q, "source", None) or getattr(q, "list", None) or getattr(q, "collection", None)
        name = getattr(src, "name", None)
        if name in keys and name not in lists:
            lists.append(name)
    # the decision names them the same way (one definition of a subject)
    return list(item_subjects(c.condition, env, [(name, keys[name]) for name in lists]))


def annotate(rules, facts: Mapping[str, Any], decision: Mapping[str, Any]) -> Dict[str, Any]:
    """A decision dict with ``subjects``, ``provenance`` and ``finding_id`` on
    each finding (the ids need ``entity.id`` among the facts)."""
    from safetyrules.authoring.provenance_lint import clause_provenance, list_keys

    env = rules.check_facts(_declared(rules, facts))
    keys = list_keys(rules)
    prov = clause_provenance(rules)
    ent = facts.get("entity.id") or (facts.get("entity") or {}).get("id") if isinstance(facts.get("entity"), Mapping) else facts.get("entity.id")
    out = dict(decision)
    fs = []
    for f in decision.get("findings", ()):
        f = dict(f)
        subs = subjects_of(rules, env, f["standard"], f["clause"], keys)
        if subs:
            f["subjects"] = subs
        p = prov.get((f["standard"], f["clause"]), {})
        f["provenance"] = {"layer": p.get("layer"), "authority": p.get("authority"), "doc_no": p.get("doc_no"), "kind": p.get("kind", "enforcement")}
        if isinstance(ent, str) and ent:
            f["finding_ids"] = [finding_id(ent, f["standard"], f["clause"], s) for s in (subs or [""])]
        fs.append(f)
    out["findings"] = fs
    return out


def decide_answers(rules, answers: Mapping[str, Any], as_of: Optional[datetime.date] = None) -> Dict[str, Any]:
    """The owner's answers (facts) → the decision dict, annotated."""
    d = rules.evaluate(_declared(rules, answers) if any(k not in rules.vocabulary for k in answers) else answers, as_of=as_of)
    return annotate(rules, answers, d.to_dict())
