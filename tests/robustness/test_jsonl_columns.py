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


# What the JSON parser refuses (its hooks know no position) is located too:
# NaN/Infinity outside strings, a duplicate key, a long integer, a lone
# surrogate escape, nesting too deep — in a JSON facts file (line and column) and on a JSON
# Lines record's line (the column).
REFUSED = [  # (file text, where in the file, column on the line, words)
    ('{"entity.revenue":\n   NaN}', "2:4", 23, "NaN is not valid JSON"),
    ('{"entity.name": "NaN", "entity.employees": -Infinity}', "1:44", 44, "-Infinity is not valid JSON"),
    ('{"entity.employees": 1,\n "entity.employees": 2}', "2:2", 26, "duplicate key 'entity.employees'"),
    ('{"entity.employees": ' + "9" * 400 + "}", "1:22", 22, "integer of 400 digits"),
    ('{"x": "[[", "entity.name": ' + "[" * 65 + "]" * 65 + "}", "1:91", 91, "facts are nested deeper than 64"),
    ('[' * 100000, "1:65", 65, "facts are nested deeper than 64"),
    ('{"entity.name": "ok \\ud83d\\ude00 \\\\ud800 \\ud800"}', "1:42", 42, "text holds a lone surrogate escape"),
]


@pytest.mark.parametrize("text,where,col,words", REFUSED, ids=["nan", "infinity", "duplicate", "digits", "deep", "very-deep", "surrogate"])
def test_refused_json_is_located(tmp_path, text, where, col, words):
    f = tmp_path / "facts.json"
    f.write_text(text, encoding="utf-8")
    g = tmp_path / "r.jsonl"
    g.write_text("{}\n" + text.replace("\n", " ") + "\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(f), str(g), "--format", "json", "-q",
                        "--as-of", "2024-03-01"], capture_output=True, text=True)
    assert r.returncode == 2
    err = r.stderr.splitlines()
    assert err[0].startswith(f"{f}:{where}: error: {words}"), err
    assert err[1].startswith(f"{g}:2:{col}: error: {words}"), err


# A bad field of a list item is located at that field, not at the list.
ITEM = [
    ("facts.yaml", "ammonia:\n  ac_zones:\n    - {name: a, purpose: packaging}\n    - {name: b, purpose: mars}\n", "4:26"),
    ("facts.json", '[{"entity.employees": 1}, {"ammonia.ac_zones": [{"name": "a"},\n {"name": "b", "purpose": "mars"}]}]', "2:27"),
    ("facts.jsonl", '{"ammonia.ac_zones": [{"name": "a"}, {"name": "b", "purpose": "mars"}]}\n', "1:63"),
]


@pytest.mark.parametrize("name,text,where", ITEM, ids=[i[0] for i in ITEM])
def test_a_list_items_bad_field_is_located_at_the_field(tmp_path, name, text, where):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(f), "--format", "json", "-q",
                        "--as-of", "2024-03-01"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith(f"{f}:{where}: error: fact 'ammonia.ac_zones[1].purpose' has value 'mars'"), r.stderr
