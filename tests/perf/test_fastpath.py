"""The batch fast path gives byte-identical decisions to one ``evaluate`` call
per record: ``evaluate_many`` serial and with a process pool, and the CLI's
JSON Lines path (serial and ``--jobs``), on a varied corpus: unknowns, every
table hit policy, effective ranges and ``as_of`` dates, division by zero, and
bad records in between.  No timing assertions here (see ``benchmarks/``)."""

import copy
import datetime
import glob
import json
import os
import random
import subprocess
import sys

import pytest

from safetyrules import SafetyRulesError

import rule_files
from rule_files import ruleset, standard, table, vocabulary

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

POLICIES = {
    "v.yaml": vocabulary("""\
        entity.sector: {type: enum, values: [metallurgy, machinery, other]}
        entity.employees: {type: integer, unit: person, min: 0}
        site.opened: {type: date}
        site.area: {type: number, unit: m2}
        site.exits: {type: integer}
        a: {type: bool}
        b: {type: bool}
        c: {type: bool}
        cranes: {type: list, item: {age: {type: integer, unit: year}, kind: {type: enum, values: [gantry, bridge]}}}
        out.first: {type: enum, values: [x, y, z]}
        out.unique: {type: enum, values: [x, y, z]}
        out.priority: {type: enum, values: [high, mid, low]}
        out.collect: {type: enum, values: [p, q, r]}
        risk.level: {type: enum, values: [red, orange, yellow, blue]}
        """),
    "s1.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "a and not b"}
        - {id: c2, cite: "2", severity: general, title: {en: c2}, when: "any(k in cranes: k.age > 10 year)",
           unless: "c"}
        - {id: c3, cite: "3", severity: general, title: {en: c3}, when: "site.area / site.exits > 100 m2"}
        - {id: c4, cite: "4", severity: general, title: {en: c4}, when: "site.opened < 2020-01-01 and out.first == 'y'"}
        """, id="s1", version='"2023"', title="In force from 2023-05-15", effective="{from: 2023-05-15, until: 2025-01-01}",
        applies_when="entity.sector in ['metallurgy', 'machinery']"),
    "s2.yaml": standard("""\
        - {id: d1, cite: "1", severity: major, title: {en: d1}, when: "a or count(k in cranes: k.kind == 'gantry') >= 2"}
        """, id="s2", version='"2025"', title="Replaces s1 from 2025", effective="{from: 2025-01-01}"),
    "t_first.yaml": table("t.first", "out.first", """\
        - {when: "entity.employees >= 1000", then: x}
        - {when: "entity.employees >= 100", then: y}
        - {when: "entity.employees >= 0", then: z}
        """),
    "t_unique.yaml": table("t.unique", "out.unique", """\
        - {when: "a and b", then: x}
        - {when: "a and c", then: y}
        - {when: "not a", then: z}
        """, hit="unique"),
    "t_priority.yaml": table("t.priority", "out.priority", """\
        - {when: "b", then: low}
        - {when: "c", then: high}
        - {when: "entity.employees > 50", then: mid}
        """, hit="priority"),
    "t_collect.yaml": table("t.collect", "out.collect", """\
        - {when: "a", then: q}
        - {when: "b", then: p}
        - {when: "c or a", then: q}
        """, hit="collect"),
    "grade.yaml": table("grade", "risk.level", """\
        - {when: "findings.major > 0", then: red}
        - {when: "findings.major_undetermined > 0", then: orange}
        - {when: "findings.general + findings.undetermined > 0", then: yellow}
        - {when: "out.unique == 'z'", then: blue}
        """, default="blue"),
    "ruleset.yaml": ruleset("perf.policies", ['"*.yaml"'], {"level": "risk.level"}),
}

DAYS = [datetime.date(2023, 1, 1), datetime.date(2024, 3, 1), datetime.date(2025, 6, 1)]


def _maybe(rng, value, p=0.25):
    return None if rng.random() < p else value


def _policy_record(rng):
    rec = {
        "entity": {"sector": _maybe(rng, rng.choice(["metallurgy", "machinery", "other"])),
                   "employees": _maybe(rng, rng.choice([0, 20, 60, 150, 2000]))},
        "site.opened": _maybe(rng, rng.choice(["2019-03-01", "2021-07-15"])),
        "site.area": _maybe(rng, rng.choice([0, 150.0, 900])),
        "site.exits": _maybe(rng, rng.choice([0, 1, 3])),  # 0 exits: division by zero
        "a": _maybe(rng, rng.random() < 0.5),
        "b": _maybe(rng, rng.random() < 0.5),
        "c": _maybe(rng, rng.random() < 0.5),
    }
    if rng.random() < 0.8:
        rec["cranes"] = [{"age": _maybe(rng, rng.choice([3, 12])), "kind": rng.choice(["gantry", "bridge"])}
                         for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.1:
        rec["out.priority"] = "low"  # a given fact wins over its table
    return rec


BAD = [
    {"a": "yes"},  # wrong type
    {"entity": {"sector": "mining"}},  # not an allowed value
    {"undeclared": 1},  # unknown fact
    {"a": True, "a.b": 1},  # a bool has no parts
    ["not", "a", "mapping"],
    {"site.exits": 2.5},  # integer fact, not integral
    {"findings.major": 0},  # computed by the engine
]


def _with_bad(good, rng):
    out = []
    for i, rec in enumerate(good):
        out.append(rec)
        if i % 17 == 5:
            out.append(copy.deepcopy(BAD[(i // 17) % len(BAD)]))
    return out


def _bundled_records(rng, n):
    from safetyrules.engine.facts import read_facts

    bases = [read_facts(p) for p in sorted(glob.glob(os.path.join(REPO, "examples", "facts", "*.yaml")))]
    bases = [json.loads(json.dumps(b, default=str)) for b in bases]
    out = []
    for _ in range(n):
        rec = copy.deepcopy(rng.choice(bases))
        leaves = []

        def walk(node):
            if isinstance(node, dict):
                for k, v in list(node.items()):
                    if isinstance(v, (dict, list)):
                        walk(v)
                    else:
                        leaves.append((node, k))
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(rec)
        for parent, key in leaves:
            r = rng.random()
            if r < 0.05 and key != "sector":
                del parent[key]  # unknown
            elif r < 0.08 and isinstance(parent[key], bool):
                parent[key] = not parent[key]
        _prune(rec)
        out.append(rec)
    return out


def _prune(node):
    for k in list(node):
        if isinstance(node[k], dict):
            _prune(node[k])
            if not node[k]:
                del node[k]


def _expected(rules, records, day):
    out = []
    for rec in records:
        try:
            out.append(rules.evaluate(rec, as_of=day).to_json())
        except SafetyRulesError as err:
            out.append(("error", type(err).__name__, _message(err), getattr(err, "fact", None)))
    return out


def _message(err):
    # evaluate_many names the record ("record 79 must be a mapping ..."),
    # evaluate cannot; the rest of every message is the same
    if "must be a mapping" in err.message:
        return "not a mapping"
    return err.message


def _got(results):
    out = []
    for res in results:
        if isinstance(res, SafetyRulesError):
            out.append(("error", type(res).__name__, _message(res), getattr(res, "fact", None)))
        else:
            out.append(res.to_json())
    return out


@pytest.fixture(scope="module")
def policy_rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "policies", POLICIES, dedent=True)


@pytest.fixture(scope="module")
def policy_corpus():
    rng = random.Random(20240301)
    return _with_bad([_policy_record(rng) for _ in range(400)], rng)


@pytest.fixture(scope="module")
def bundled_corpus():
    rng = random.Random(6)
    return _with_bad(_bundled_records(rng, 300), rng)


def test_policy_corpus_is_varied(policy_rules, policy_corpus):
    """The corpus reaches what it is meant to test (guards the tests below)."""
    seen = set()
    for day in DAYS:
        for rec in policy_corpus:
            try:
                d = policy_rules.evaluate(rec, as_of=day).to_dict()
            except SafetyRulesError:
                seen.add("bad record")
                continue
            seen.update(f"warning {w['code']}" for w in d["warnings"])
            seen.update(f"{k} {'unknown' if v is None else 'known'}" for k, v in d["outputs"].items())
            seen.update(f"finding {f['standard']}" for f in d["findings"])
            seen.update(f"undetermined {u['standard']}" for u in d["undetermined"])
            seen.update(f"given {g}" for g in d["given"])
    for want in ["bad record", "warning E-TABLE-OVERLAP", "given out.priority", "finding s1", "finding s2",
                 "undetermined s1", "undetermined s2", "out.first unknown", "out.unique unknown",
                 "out.priority known", "out.priority unknown", "out.collect known", "out.collect unknown"]:
        assert want in seen, want
    assert any(s.startswith("warning") and "OVERLAP" not in s for s in seen), seen  # division by zero


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_evaluate_many_serial_matches_evaluate(policy_rules, policy_corpus, day):
    assert _got(policy_rules.evaluate_many(iter(policy_corpus), as_of=day)) == _expected(policy_rules, policy_corpus, day)


def test_evaluate_many_jobs_matches_evaluate(policy_rules, policy_corpus):
    day = DAYS[1]
    got = _got(policy_rules.evaluate_many(iter(policy_corpus), as_of=day, jobs=2, chunksize=7))
    assert got == _expected(policy_rules, policy_corpus, day)


def test_bundled_evaluate_many_matches_evaluate(bundled, bundled_corpus):
    day = datetime.date(2024, 6, 1)
    want = _expected(bundled, bundled_corpus, day)
    assert sum(1 for w in want if isinstance(w, tuple)) >= 5
    assert _got(bundled.evaluate_many(bundled_corpus, as_of=day)) == want
    assert _got(bundled.evaluate_many(bundled_corpus, as_of=day, jobs=2, chunksize=16)) == want


def test_bundled_after_gb35181_ends(bundled, bundled_corpus):
    day = datetime.date(2026, 1, 1)  # GB 35181-2017 stopped applying on 2025-11-01
    sample = bundled_corpus[:80]
    assert _got(bundled.evaluate_many(sample, as_of=day, jobs=2, chunksize=5)) == _expected(bundled, sample, day)


def test_jobs_window_reads_input_lazily(policy_rules):
    """The pool reads at most a bounded window ahead of the results taken."""
    pulled = 0

    def source():
        nonlocal pulled
        for _ in range(100000):
            pulled += 1
            yield {"a": True}

    it = policy_rules.evaluate_many(source(), as_of=DAYS[1], jobs=2, chunksize=10)
    for _ in range(5):
        next(it)
    it.close()
    assert pulled <= 2 * 2 * 10 + 10


def _cli(args, stdin):
    return subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, timeout=300)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_jsonl_matches_evaluate(policy_rules, policy_corpus, tmp_path, jobs):
    day = DAYS[1]
    lines = [json.dumps(r) for r in policy_corpus]
    lines.insert(3, "{not json")
    lines.insert(9, "")
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = _cli([str(path), "--rules", policy_rules.base, "--as-of", day.isoformat(), "--format", "json",
              "--jobs", jobs], None)
    assert "Traceback" not in p.stderr
    want = [w for w in _expected(policy_rules, policy_corpus, day) if isinstance(w, str)]
    out = [json.loads(ln) for ln in p.stdout.splitlines()]
    assert all(isinstance(o.get("line"), int) for o in out)  # SPEC §8: every line numbered
    assert [o["line"] for o in out] == sorted(o["line"] for o in out)  # in input order
    decided = [o for o in out if "error" not in o]
    for o in decided:
        del o["line"]
    assert [json.dumps(o, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for o in decided] == want
    n_bad = sum(1 for w in _expected(policy_rules, policy_corpus, day) if isinstance(w, tuple)) + 1
    assert len([o for o in out if "error" in o]) >= n_bad  # bad lines in place
    assert len([ln for ln in p.stderr.splitlines() if ": error:" in ln]) == n_bad
    assert p.returncode == 2
