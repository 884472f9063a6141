"""Decision v1 (SPEC §8): entity, level_range, next_questions; and the
explanation as data.  The oracle for "settles" and for "what would change
the result" is the engine itself: the decision of the changed facts."""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys

import pytest
import yaml
from hypothesis import given, settings, strategies as st

import safetyrules
from safetyrules.engine.questions import domains_for, set_fact

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAY = datetime.date(2024, 3, 1)
EXAMPLES = sorted(os.listdir(os.path.join(ROOT, "examples", "facts")))


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


def example(name):
    with open(os.path.join(ROOT, "examples", "facts", name), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def restaurant_without_alarm():
    f = example("restaurant-lpg.yaml")
    del f["gas"]["alarm"]
    return f


# -- entity ------------------------------------------------------------------------


def test_entity_block_has_exactly_the_given_keys(rules):
    f = {"entity": {"id": "91440300X", "name": "某厂", "grid": "G-017", "status": "active", "sector": "office"}}
    d = rules.evaluate(f, as_of=DAY).to_dict()
    assert d["entity"] == {"id": "91440300X", "name": "某厂", "grid": "G-017", "status": "active", "sector": "office"}
    d = rules.evaluate({"entity.id": "A1", "entity.employees": 3, "entity.grid": None}, as_of=DAY).to_dict()
    assert d["entity"] == {"id": "A1"}
    assert "entity" not in rules.evaluate({"entity.employees": 3}, as_of=DAY).to_dict()


def test_entity_status_is_checked(rules):
    with pytest.raises(safetyrules.FactsError) as e:
        rules.evaluate({"entity.status": "bankrupt"}, as_of=DAY)
    assert e.value.fact == "entity.status"


def test_entity_survives_pickle_and_jobs(rules, tmp_path):
    import pickle

    d = rules.evaluate({"entity.id": "A1", "entity.grid": "G"}, as_of=DAY)
    assert pickle.loads(pickle.dumps(d)).to_dict() == d.to_dict()
    src = tmp_path / "r.jsonl"
    src.write_text("\n".join(json.dumps({"entity": {"id": f"E{i}", "grid": "G"}}) for i in range(40)) + "\n")
    out = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(src), "--as-of", str(DAY),
                          "--format", "json", "--jobs", "2"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["entity"]["id"] for x in lines] == [f"E{i}" for i in range(40)]


# -- level range -----------------------------------------------------------------------


def test_level_range(rules):
    decided = rules.evaluate(example("restaurant-lpg.yaml"), as_of=DAY)
    assert not decided.undetermined
    assert decided.to_dict()["level_range"] == {"least": decided.level, "most": decided.level}
    d = rules.evaluate(restaurant_without_alarm(), as_of=DAY)
    assert d.undetermined
    # the one undetermined clause counted as not found: no finding, no undetermined
    assert d.to_dict()["level_range"] == {"least": "blue", "most": d.level}
    assert d.level != "blue"


def test_least_is_the_level_table_with_undetermined_counts_zero(rules):
    from safetyrules.engine.questions import _run  # the same helper the engine's tables use

    d = rules.evaluate(restaurant_without_alarm(), as_of=DAY)
    env = d.env()
    env["findings.undetermined"] = env["findings.major_undetermined"] = 0
    for t in rules.plan.tables_after:
        env.pop(t.output, None)
    _run(rules.plan.tables_after, env, d.given)
    assert d.level_range["least"] == env[rules.plan.decision["level"]]


# -- next questions ------------------------------------------------------------------------


def test_spec_example_gas_alarm(rules):
    d = rules.evaluate(restaurant_without_alarm(), as_of=DAY).to_dict()
    qs = {q["fact"]: q for q in d["next_questions"]}
    assert qs["gas.alarm.installed"] == {"fact": "gas.alarm.installed",
                                         "settles": ["cn.npc.safety-production-law:art36.4"], "major": 0}


def _check_questions(rules, facts):
    d = rules.evaluate(facts, as_of=DAY)
    qs = d.to_dict()["next_questions"]
    assert [q["fact"] for q in qs] == sorted(set(d.missing), key=[q["fact"] for q in qs].index)
    assert sorted(q["fact"] for q in qs) == list(d.missing)  # every missing fact once
    keys = [(q["major"] == 0, -len(q["settles"]), q["fact"]) for q in qs]
    assert keys == sorted(keys)
    inputs = d._inputs()
    dom = domains_for(rules.plan)
    severity = {f"{u.standard}:{u.clause}": u.severity for u in d.undetermined}
    for q in qs[:12] + qs[-3:]:  # the best questions and a few of the rest
        # oracle: the whole engine on the changed facts
        settled = set()
        for v in dom.values(q["fact"]):
            after = rules.evaluate(set_fact(inputs, q["fact"], v), as_of=DAY)
            still = {f"{u.standard}:{u.clause}" for u in after.undetermined}
            settled |= {k for k in severity if k not in still}
        want = sorted(k for k in settled if q["fact"] in next(u.missing for u in d.undetermined if f"{u.standard}:{u.clause}" == k))
        assert q["settles"] == want, q["fact"]
        assert q["major"] == sum(severity[k] == "major" for k in want)
    return qs


def test_questions_against_the_engine_on_examples(rules):
    seen_major = False
    for name in EXAMPLES:
        f = example(name)
        for drop in ("gas", "dust", "ammonia", "hazchem", "safety", "metallurgy"):
            g = copy.deepcopy(f)
            if g.pop(drop, None) is None:
                continue
            qs = _check_questions(rules, g)
            seen_major |= any(q["major"] for q in qs)
    assert seen_major  # the major-first ordering was exercised


def _leaf_paths(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaf_paths(v, path + (k,))
    else:
        yield path


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(EXAMPLES), st.randoms(use_true_random=False))
def test_questions_property(rules, name, rnd):
    f = example(name)
    paths = [p for p in _leaf_paths(f) if p[0] != "entity"]
    for p in rnd.sample(paths, k=min(len(paths), rnd.randint(1, 6))):
        node = f
        for k in p[:-1]:
            node = node[k]
        node.pop(p[-1], None)
    _check_questions(rules, _prune(f))


def _prune(node):
    """Facts without empty mappings (an empty mapping is not a fact)."""
    if isinstance(node, dict):
        out = {k: _prune(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v != {}}
    return node


# -- explanation --------------------------------------------------------------------------


def test_explanation_structure_and_changes(rules):
    facts = example("restaurant-lpg.yaml")
    d = rules.evaluate(facts, as_of=DAY)
    e = d.explanation()
    json.dumps(e)  # JSON-ready
    (c,) = [c for c in e["clauses"] if c["clause"] == "art36.4"]
    assert c["status"] == "found" and c["value"] is True
    assert c["when"]["value"] is True and "parts" in c["when"]
    leaves = json.dumps(c["when"])
    assert '"gas.alarm.working": false' in leaves
    level_table = next(t for t in e["tables"] if t["output"] == rules.plan.decision["level"])
    assert level_table["value"] == d.level
    assert level_table["row"] is not None and level_table["row"]["value"] is True
    assert all(r["value"] is not True for r in level_table["earlier"])
    inputs = d._inputs()
    (fc,) = [x for x in e["changes"]["findings"] if x["finding"] == "cn.npc.safety-production-law:art36.4"]
    assert fc["changes"]
    for ch in fc["changes"]:
        changed = dict(inputs)
        for k, v in ch["facts"].items():
            changed = set_fact(changed, k, v)
        after = rules.evaluate(changed, as_of=DAY)
        assert "art36.4" not in {x.clause for x in after.findings}
        assert after.level == ch["level"]
    assert {"facts": {"gas.alarm.working": True}, "level": "blue"} in fc["changes"]  # docs/decision.md
    for ch in e["changes"]["level"]:
        (k, v), = ch["facts"].items()
        after = rules.evaluate(set_fact(inputs, k, v), as_of=DAY)
        assert after.level == ch["level"] != d.level


def test_cli_explain_json_with_jobs(tmp_path):
    src = tmp_path / "x.jsonl"
    f = example("restaurant-lpg.yaml")
    src.write_text(json.dumps(f, ensure_ascii=False) + "\n" + json.dumps(f, ensure_ascii=False) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(src), "--as-of", str(DAY),
                          "--format", "json", "--explain", "--jobs", "2"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["line"] for x in lines] == [1, 2]
    assert all(x["explanation"]["changes"]["findings"] for x in lines)
