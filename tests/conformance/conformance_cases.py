"""Load the data-driven conformance cases (``cases/*.yaml``) as rule sets
and record tables.  A case gives a vocabulary (``facts``), ``tables``,
``standards`` (clauses default to ``severity: general``), a ``decision``
map, the ``as_of`` days, explicit ``records`` and a number of ``random``
ones (values from ``pools``, else drawn by type; ``unknown`` is the share of
facts left out; derived facts are given only when listed in ``given``), and
``expect``: pinned results of the reference for some rows."""

import datetime
import os
import random

import yaml

import safetyrules
from conformance_records import draw_value

HERE = os.path.dirname(__file__)
CASES = sorted(f[:-5] for f in os.listdir(os.path.join(HERE, "cases")) if f.endswith(".yaml"))


def _dump(doc):
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def load_case(name, tmp):
    with open(os.path.join(HERE, "cases", name + ".yaml"), encoding="utf-8") as fh:
        case = yaml.safe_load(fh)
    files = []

    def write(fname, doc):
        with open(os.path.join(tmp, fname), "w", encoding="utf-8") as fh:
            fh.write(_dump(doc))
        files.append(fname)

    write("vocabulary.yaml", {"kind": "vocabulary", "id": "v", "facts": case["facts"]})
    for t in case.get("tables", []):
        write(f"table-{t['id']}.yaml", {"kind": "table", **t})
    for s in case.get("standards", []):
        clauses = [{"cite": "X", "severity": "general", **c} for c in s["clauses"]]
        write(f"standard-{s['id']}.yaml", {"kind": "standard", "version": "1", **s, "clauses": clauses})
    write("ruleset.yaml", {"kind": "ruleset", "id": f"conformance.{name}", "include": list(files),
                           "decision": case.get("decision") or {}})
    rules = safetyrules.load(os.path.join(tmp, "ruleset.yaml"))
    return case, rules


def case_records(case, rules, seed=0):
    vocab = rules.plan.facts
    given = set(case.get("given", ()))
    names = [n for n in rules.plan.input_facts() if n not in rules.plan.outputs or n in given]
    pools = case.get("pools", {})
    rng = random.Random(seed)
    fraction = case.get("unknown", 0.2)

    def value(name, spec):
        pool = pools.get(name)
        return rng.choice(pool) if pool is not None else draw_value(rng, spec)

    out = [dict(r) for r in case.get("records", [])]
    for _ in range(case.get("random", 0)):
        rec = {}
        for n in names:
            if rng.random() < fraction:
                continue
            spec = vocab[n]
            if spec.type == "list":
                items = []
                for _ in range(rng.randrange(0, 4)):
                    items.append({k: value(f"{n}.{k}", fs) for k, fs in (spec.item or {}).items()
                                  if rng.random() >= fraction})
                rec[n] = items
            else:
                rec[n] = value(n, spec)
        out.append(rec)
    return out


def days(case):
    return [d if isinstance(d, datetime.date) else datetime.date.fromisoformat(str(d)) for d in case["as_of"]]


def reference_row(decision):
    """The registry columns of one decision, from its public findings and
    undetermined clauses (independent of ``engine.table.decision_row``, whose
    fast ``clause_keys`` it checks)."""
    row = {
        "level": None if decision.level is None else str(decision.level),
        "tier": None if decision.tier is None else str(decision.tier),
        "inspection": None if decision.inspection is None else str(decision.inspection),
        "major_hazard": decision.major_hazard,
        "findings": sorted(f"{f.standard}:{f.clause}" for f in decision.findings),
        "undetermined": sorted(f"{u.standard}:{u.clause}" for u in decision.undetermined),
    }
    return row
