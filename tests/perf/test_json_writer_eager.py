"""The findings writer's two paths on a rule set with many findings (the
80-rule peer workload finds ~30 clauses a record): with many found each
value is written once up front (eager), with few each where a finding reads
it; both give exactly the canonical JSON, with unknowns mixed in.  (Dropping
the eager path made to_json 30 -> 40 us/record on that workload.)"""

import json
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_peers as B  # noqa: E402

from safetyrules.backends import pyjson  # noqa: E402


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    tree = B.generate_rules()
    return B.load_safetyrules(tree, str(tmp_path_factory.mktemp("peers"))), B.generate_records(300)


def test_both_paths_write_the_canonical_json(peers):
    rules, records = peers
    rng = random.Random(7)
    many = few = 0
    for r in records:
        for facts in (r, {k: (None if rng.random() < 0.9 else v) for k, v in r.items()}):
            d = rules.evaluate(facts)
            many += len(d.findings) >= 20
            few += 0 < len(d.findings) < 10
            assert d.to_json() == json.dumps(d.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert many > 50 and few > 20  # both paths ran
    src = pyjson.writers(rules.evaluate(records[0])._layout).findings.source
    assert "cv.count(True) >=" in src  # the layout with many reads per value gets the eager path
