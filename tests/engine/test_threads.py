"""One loaded rule set shared by 8 threads gives exactly the sequential
results; a decision shared by threads materialises the same JSON; the
process pool's spawn path builds its rule set from the pickled plan."""

from __future__ import annotations

import copy
import datetime
import glob
import json
import os
import random
import sys
import threading
from typing import Any, List

import pytest

import safetyrules

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
THREADS = 8
DAYS = (datetime.date(2024, 6, 1), datetime.date(2016, 1, 1), datetime.date(2026, 1, 1))
N_ENTITIES = 700  # x 3 days = 2,100 decisions


def _leaves(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from _leaves(v)
            else:
                yield node, k, v
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item)


def _jobs():
    """(facts, as_of) pairs: the example entities mutated as
    benchmarks/entities.py does (a few yes/no facts flipped, 5 % of facts
    dropped, seeded), each on three days, so standards come in and out of
    force between neighbouring jobs."""
    bases = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "facts", "*.yaml"))):
        bases.append(json.loads(json.dumps(safetyrules.read_facts(path), default=str)))
    rng = random.Random(9)
    entities = []
    for _ in range(N_ENTITIES):
        rec = copy.deepcopy(rng.choice(bases))
        leaves = list(_leaves(rec))
        bools = [(p, k) for p, k, v in leaves if isinstance(v, bool)]
        for p, k in rng.sample(bools, min(rng.randint(0, 2), len(bools))):
            p[k] = not p[k]
        for p, k, _v in leaves:
            if k != "sector" and rng.random() < 0.05:
                p.pop(k, None)
        entities.append(rec)
    return [(e, day) for e in entities for day in DAYS]


def _outcome(rules, facts, day) -> str:
    try:
        return rules.evaluate(facts, as_of=day).to_json()
    except safetyrules.SafetyRulesError as exc:  # a bad record is an outcome too
        return "error: " + exc.format()


@pytest.fixture(scope="module")
def jobs():
    return _jobs()


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load()


@pytest.fixture(scope="module")
def sequential(rules, jobs):
    return [_outcome(rules, f, d) for f, d in jobs]


@pytest.fixture
def busy_switching():
    # switch threads every 100 µs instead of 5 ms: far more interleavings
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    yield
    sys.setswitchinterval(old)


def _run_threads(target, n=THREADS) -> List[BaseException]:
    errors: List[BaseException] = []
    start = threading.Barrier(n)

    def wrapped(k):
        try:
            start.wait()
            target(k)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_the_corpus_is_mostly_decisions(jobs, sequential):
    assert len(jobs) >= 2000
    decided = [s for s in sequential if not s.startswith("error: ")]
    assert len(decided) >= 0.6 * len(sequential)
    assert len({json.loads(s)["level"] for s in decided}) >= 3
    assert len(set(decided)) >= 0.3 * len(decided)  # not one decision many times


def test_one_rule_set_from_eight_threads_gives_the_sequential_results(jobs, sequential, busy_switching):
    shared = safetyrules.load()  # fresh: first-use work happens under contention
    n = len(jobs)
    got: List[Any] = [None] * n

    def work(k):
        # thread k decides jobs k, k + 8, ...: at any moment the threads
        # decide different entities on different days
        for i in range(k, n, THREADS):
            facts, day = jobs[i]
            got[i] = _outcome(shared, facts, day)

    errors = _run_threads(work)
    assert not errors, repr(errors[0])
    bad = [i for i in range(n) if got[i] != sequential[i]]
    assert not bad, f"{len(bad)} of {n} results differ from the sequential ones, first at job {bad[0]}"


def test_evaluate_many_from_eight_threads_gives_the_sequential_results(rules, jobs, sequential, busy_switching):
    shared = rules
    day = datetime.date(2024, 6, 1)
    picked = [i for i, (_f, d) in enumerate(jobs) if d == day][:100]
    records = [jobs[i][0] for i in picked]
    want = [sequential[i] for i in picked]
    got: List[List[str]] = [[] for _ in range(THREADS)]

    def work(k):
        for d in shared.evaluate_many(records, as_of=day):
            got[k].append(d.to_json() if isinstance(d, safetyrules.Decision) else "error: " + d.format())

    errors = _run_threads(work)
    assert not errors, repr(errors[0])
    assert all(g == want for g in got)


def test_one_decision_read_by_eight_threads_gives_one_json(rules, jobs, sequential, busy_switching):
    decisions = []
    for facts, day in jobs[:90]:
        try:
            decisions.append(rules.evaluate(facts, as_of=day))  # fresh: nothing materialised yet
        except safetyrules.SafetyRulesError:
            pass
    want = [s for s in sequential[:90] if not s.startswith("error: ")]
    got: List[List[str]] = [[] for _ in range(THREADS)]

    def work(k):
        # every thread materialises the same decisions' fields at once
        for d in decisions:
            got[k].append(d.to_json())

    errors = _run_threads(work)
    assert not errors, repr(errors[0])
    assert len(want) == len(decisions) > 45
    assert all(g == want for g in got)


def test_spawned_workers_build_the_rule_set_from_the_pickled_plan(rules, jobs, sequential):
    from safetyrules.engine.batch import parallel_decisions

    day = datetime.date(2024, 6, 1)
    picked = [i for i, (_f, d) in enumerate(jobs) if d == day][:40]
    # one spawned worker (each costs an interpreter start, an import and a compile)
    out = parallel_decisions(rules, [jobs[i][0] for i in picked], day, 1, 8, start_method="spawn")
    got = [d.to_json() if isinstance(d, safetyrules.Decision) else "error: " + d.format() for d in out]
    assert got == [sequential[i] for i in picked]
