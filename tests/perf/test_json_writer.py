"""``Decision.to_json()`` (written key by key from static per-layout
fragments, with fast paths for complete runs) gives exactly the bytes of
``json.dumps(to_dict(), sort_keys=True, ensure_ascii=False,
separators=(",", ":"))``, and both equal the *reference* decision built here
from the same compact result by the slow path only: missing facts by
re-walking the condition trees (``decision_missing``), ``level_range`` and
``next_questions`` by ``engine.questions`` on the full environment, every
finding's facts through ``json.dumps``.

Inputs: perturbed bundled entities (gaps, flips, given outputs, irregular
values), the hit-policy set of test_fastpath (list facts, dates, all four
policies, division by zero) and a small numeric set whose records find many
clauses at once (the writer's eager path) with awkward numbers (-0.0, 1e16,
ints in number facts) and non-ASCII text.  Each property counts what it
compared and requires both complete and incomplete runs to be reached.
"""

import datetime
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetyrules.backends.layout import is_unknown, materialise, thaw_value
from safetyrules.backends.missing import decision_missing
from safetyrules.backends.pyjson import jsonable
from safetyrules.engine import questions as Q
from safetyrules.engine.decision import Decision, entity_of
from safetyrules.errors import SafetyRulesError
from safetyrules.plan.model import family_gap_warnings

from test_fastpath import POLICIES, _policy_record
from test_generated_differential import DAYS, perturb

import rule_files
from rule_files import ruleset, standard, table, vocabulary


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def reference_dict(layout, result, day, entity=None, line=None):
    """SPEC §4/§8 decision data from a compact result, by the slow path only."""
    result = materialise(result, layout.list_at)  # the program's lists of items, frozen as the decision does
    cv, vals, given_, warns = result
    plan = layout.plan
    env = {k: thaw_value(v) for k, v in zip(layout.keys, vals) if not is_unknown(v)}
    env["as_of"] = day
    env.update(layout.counts(cv))
    per_clause, missing = decision_missing(layout, result, env, compiled=False)

    def value(name):
        i = layout.index.get(name)
        v = None if i is None else vals[i]
        return None if is_unknown(v) else v

    decided = {w: value(plan.decision[w]) if w in plan.decision else None for w in ("level", "tier", "inspection")}
    findings, und, und_q = [], [], []
    major = False
    for i, (c, v) in enumerate(zip(layout.clauses, cv)):
        head = {"standard": c.standard, "version": c.version, "clause": c.id, "cite": c.cite,
                "severity": c.severity, "category": c.category, "title": dict(c.title), "status": c.status}
        if v is True:
            facts = {p: jsonable(vals[k]) for p, k in layout.clause_reads[i] if not is_unknown(vals[k])}
            findings.append({**head, "facts": facts})
            if c.severity == "major":
                major = True
        elif v is None:
            und.append({**head, "missing": list(per_clause[i])})
            und_q.append((c.standard, c.id, c.severity, per_clause[i]))
            if c.severity == "major" and major is False:
                major = None
    if not missing:
        nq = []
    elif not und_q:
        nq = [{"fact": m, "settles": [], "major": 0} for m in missing]
    else:
        nq = Q.next_questions(plan, Q.domains_for(plan), env, day, und_q, missing, given_)
    out = {
        "ruleset": {"id": plan.id, "digest": plan.digest},
        "as_of": day.isoformat(),
        "findings": findings,
        "undetermined": und,
        "major_hazard": major,
        "outputs": {o: jsonable(value(o)) for o in sorted(set(layout.outputs))},
        "given": list(given_),
        **decided,
        "warnings": [dict(w) for w in tuple(warns) + family_gap_warnings(plan.editions, day)],
        "missing": list(missing),
        "level_range": Q.level_range(plan, env, given_, decided["level"], compiled=False),
        "next_questions": [{"fact": q["fact"], "settles": list(q["settles"]), "major": q["major"]} for q in nq],
    }
    if entity:
        out["entity"] = dict(entity)
    if line is not None:
        out["line"] = line
    return out


def check(rules, facts, day, stats):
    """The property, for one input on one day."""
    stats["total"] += 1
    prog = rules.program(day)
    try:
        d = rules.evaluate(facts, as_of=day)
    except SafetyRulesError:
        stats["error"] += 1
        return
    result = prog.run(facts, day)
    if result is None:
        result = rules.reference(facts, day, prog.layout)
    ref = reference_dict(prog.layout, result, day, entity_of(facts))
    text = d.to_json()
    assert text == canonical(d.to_dict())
    assert d.to_dict() == ref
    assert text == canonical(ref)
    # the same result as the engine's batch path builds it: no entity, a line
    bare = Decision(prog.layout, result, day).at_line(7)
    assert bare.to_json() == canonical(reference_dict(prog.layout, result, day, line=7))
    stats["compared"] += 1
    stats["complete" if not d.undetermined and not d.missing else "incomplete"] += 1


def reached(stats, share=0.8):
    assert stats["compared"] >= share * stats["total"], dict(stats)
    assert stats["complete"] > 0 and stats["incomplete"] > 0, dict(stats)


def _new_stats():
    return {"total": 0, "compared": 0, "error": 0, "complete": 0, "incomplete": 0}


def test_bundled_to_json_equals_reference(bundled, golden):
    stats = _new_stats()

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(0, len(golden) - 1), st.integers(0, 2**32 - 1), st.sampled_from(DAYS), st.booleans())
    def prop(i, seed, day, perturbed):
        facts = perturb(golden[i], random.Random(seed), bundled.plan) if perturbed else golden[i]
        check(bundled, facts, day, stats)

    prop()
    reached(stats, 0.7)  # irregular perturbations are refused by design


@pytest.fixture(scope="module")
def policy_rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "policies-json", POLICIES, dedent=True)


def test_policy_to_json_equals_reference(policy_rules):
    stats = _new_stats()

    @settings(max_examples=150, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.sampled_from(DAYS + [datetime.date(2023, 5, 15)]))
    def prop(seed, day):
        rng = random.Random(seed)
        rec = _policy_record(rng)
        rec = {k: v for k, v in rec.items() if v is not None or rng.random() < 0.5}
        check(policy_rules, rec, day, stats)

    prop()
    reached(stats)


NUMERIC = {
    "v.yaml": vocabulary("""\
        x: {type: number}
        y: {type: number}
        k: {type: integer}
        on: {type: bool}
        kind: {type: enum, values: [甲, b, "q\\"uote"]}
        label: {type: string}
        day: {type: date}
        risk.level: {type: enum, values: [red, blue]}
        """, id="n"),
    "s.yaml": standard("""\
        - {id: a1, cite: "1", severity: major, title: {zh: 一}, when: "x > -1"}
        - {id: a2, cite: "2", severity: general, title: {en: two}, when: "x >= -1 and y < 1e17"}
        - {id: a3, cite: "3", severity: general, title: {en: three}, when: "on or k > 2"}
        - {id: a4, cite: "4", severity: general, title: {en: four}, when: "kind in ['甲', 'b'] or y > 5"}
        - {id: a5, cite: "5", severity: general, title: {en: five}, when: "label == 'é' or x < 100"}
        - {id: a6, cite: "6", severity: general, title: {en: six}, when: "day < 2024-01-01 or k >= 0"}
        - {id: a7, cite: "7", severity: major, title: {en: seven}, when: "y > 1e15", unless: "on"}
        - {id: a8, cite: "8", severity: general, title: {en: eight}, when: "x + y > 0"}
        """, id="n.s", title="numeric, zh: 数"),
    "t.yaml": table("t.level", "risk.level", """\
        - {when: "findings.major > 0 or findings.major_undetermined > 0", then: red}
        - {when: "findings.major == 0", then: blue}
        """),
    "ruleset.yaml": ruleset("n", ["v.yaml", "s.yaml", "t.yaml"], {"level": "risk.level"}),
}

NUMBERS = [-0.0, 0.0, 0, 5, -1, 0.1, 1e16, 1e-7, 2.5, 99.75, 10**20, 123456789.123]


@pytest.fixture(scope="module")
def numeric_rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "numeric-json", NUMERIC, dedent=True, entry="ruleset.yaml")


def test_numeric_to_json_equals_reference(numeric_rules):
    stats = _new_stats()
    eager = [0]

    @settings(max_examples=200, deadline=None)
    @given(st.integers(0, 2**32 - 1))
    def prop(seed):
        rng = random.Random(seed)
        rec = {"x": rng.choice(NUMBERS), "y": rng.choice(NUMBERS), "k": rng.choice([0, 3, -2]),
               "on": rng.random() < 0.5, "kind": rng.choice(["甲", "b", 'q"uote']),
               "label": rng.choice(["é", "a\nb", "\u2028", "plain"]), "day": rng.choice(["2023-05-01", "2025-01-01"])}
        rec = {k: v for k, v in rec.items() if rng.random() > 0.2}
        d = numeric_rules.evaluate(rec, as_of="2024-06-01")
        eager[0] += len(d.findings) >= 4
        check(numeric_rules, rec, datetime.date(2024, 6, 1), stats)

    prop()
    reached(stats, 0.95)
    assert eager[0] > 10  # the writer's all-at-once path ran
