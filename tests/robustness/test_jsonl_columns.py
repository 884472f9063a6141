"""SPEC §6: messages are ``PATH:LINE:COL: error: ...`` — for a bad JSON Lines
record too: the column of the bad fact on its line (as in a YAML or JSON
facts file), and of the value that is not an object."""

import subprocess
import sys

import pytest

LINES = [
    '{"entity.employees": 3}',                     # 1 good
    '  null',                                      # 2 not an object: at the value
    '{"entity.employees": "x"}',                   # 3 wrong type: at the value
    '{"entity": {"employees": -1}}',               # 4 nested, out of bounds
    '{"entity.nope": 1}',                          # 5 undeclared
    '[1]',                                         # 6 a list
    '{"entity.employees": 5}',                     # 7 good
]
WANT = [
    ":2:3: error: an entity must be a JSON object, got null",
    ":3:22: error: fact 'entity.employees' must be a number",
    ":4:26: error: fact 'entity.employees' must be at least 0",
    ":5:17: error: unknown fact 'entity.nope'",
    ":6:1: error: an entity must be a JSON object, got a list",
]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_records_are_located_to_the_column(tmp_path, jobs):
    p = tmp_path / "registry.jsonl"
    p.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(p), "--format", "json", "-q",
                        "--as-of", "2024-03-01", "--jobs", jobs], capture_output=True, text=True)
    assert r.returncode == 2
    err = r.stderr.splitlines()
    assert len(err) == len(WANT), r.stderr
    for got, want in zip(err, WANT):
        assert got.startswith(str(p) + want), (got, want)
    # stdout is unchanged: one line per record, the bad ones as error lines
    assert [('"error"' in x) for x in r.stdout.splitlines()] == [False, True, True, True, True, True, False]
