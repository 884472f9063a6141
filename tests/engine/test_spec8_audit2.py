"""A second black-box audit of SPEC §8 (decisions v1): the entity block,
level_range on a level table that reads findings.undetermined (through a
table in between), next_questions (derived facts, list items, the order
rule) and JSON Lines lines through the CLI and ``evaluate_many``."""

import datetime
import json

import pytest

import safetyrules
from safetyrules import SafetyRulesError
import cli_fork

import rule_files
from rule_files import ruleset, standard, table, vocabulary

DAY = datetime.date(2024, 3, 1)

FILES = {
    "v.yaml": vocabulary("""\
        entity.id: {type: string}
        entity.name: {type: string}
        entity.grid: {type: string}
        entity.status: {type: enum, values: [active, suspended, closed, relocated]}
        entity.sector: {type: enum, values: [metallurgy, other]}
        entity.activities: {type: list, values: [metallurgy, other]}
        a: {type: bool}
        b: {type: bool}
        z: {type: bool}
        n: {type: integer, min: 0}
        d: {type: date}
        k: {type: bool}
        x.size: {type: enum, values: [big, small]}
        cranes: {type: list, item: {age: {type: integer}, ok: {type: bool}}}
        score: {type: integer}
        level: {type: enum, values: [red, yellow, blue]}
        """),
    "size.yaml": table("size", "x.size", """\
        - {when: "n >= 10", then: big}
        - {when: "n < 10", then: small}
        """),
    "s.yaml": standard("""\
        - {id: c1, cite: C1, severity: major, when: "a and b"}
        - {id: c2, cite: C2, severity: general, when: "x.size == 'big'"}
        - {id: c3, cite: C3, severity: general, when: "any(c in cranes: c.age > 10)"}
        - {id: c4, cite: C4, severity: general, when: "d >= 2024-01-01"}
        - {id: c5, cite: C5, severity: major, when: "a and z"}
        """),
    # the level table reads a score table that reads the counts
    "score.yaml": table("score", "score", """\
        - {when: "findings.major > 0", then: 3}
        - {when: "findings.undetermined > 1", then: 3}
        - {when: "findings.undetermined > 0", then: 2}
        - {when: "findings.general > 0", then: 2}
        - {when: "true", then: 0}
        """),
    "g.yaml": table("g", "level", """\
        - {when: "score >= 3", then: red}
        - {when: "score >= 2", then: yellow}
        - {when: "k", then: yellow}
        - {when: "true", then: blue}
        """),
    "ruleset.yaml": ruleset("audit8", ["v.yaml", "size.yaml", "s.yaml", "score.yaml", "g.yaml"], {"level": "level"}),
}

# every clause not found, k known: nothing undetermined
SETTLED = {"a": False, "z": False, "n": 1, "cranes": [], "d": "2023-01-01", "k": False}


@pytest.fixture(scope="module")
def rule_dir(tmp_path_factory):
    return rule_files.write(tmp_path_factory.mktemp("spec8b"), FILES)


@pytest.fixture(scope="module")
def rules(rule_dir):
    return safetyrules.load(str(rule_dir))


def decide(rules, facts):
    return json.loads(rules.evaluate(facts, as_of=DAY).to_json())


def run_cli(*args, stdin=None):
    return cli_fork.run([*args], input=stdin, capture_output=True, timeout=120)


# -- entity --------------------------------------------------------------------

@pytest.mark.parametrize("facts, block", [
    ({}, None),
    ({"entity.activities": ["other"]}, None),          # not one of the five keys
    ({"entity.id": None, "entity.grid": "G-1"}, {"grid": "G-1"}),
    ({"entity": {"status": "closed", "name": "某店"}}, {"status": "closed", "name": "某店"}),
    ({"entity.id": "x", "entity.name": "n", "entity.grid": "g", "entity.status": "active",
      "entity.sector": "other"}, {"id": "x", "name": "n", "grid": "g", "status": "active", "sector": "other"}),
])
def test_entity_block_holds_the_given_keys_by_their_last_segment(rules, facts, block):
    d = decide(rules, {**SETTLED, **facts})
    assert d.get("entity") == block


# -- level_range -----------------------------------------------------------------

def test_least_takes_both_counts_as_zero_through_a_table_in_between(rules):
    d = decide(rules, {**SETTLED, "a": None, "b": True})  # c1 undetermined: score 2 -> yellow
    assert d["level"] == "yellow"
    assert d["level_range"] == {"least": "blue", "most": "yellow"}


def test_least_and_most_equal_with_nothing_undetermined(rules):
    d = decide(rules, {**SETTLED, "d": "2024-02-01"})  # c4 found
    assert d["undetermined"] == [] and d["level_range"] == {"least": "yellow", "most": "yellow"}


def test_least_is_null_where_the_table_output_is_unknown(rules):
    d = decide(rules, {**SETTLED, "a": None, "b": True, "k": None})  # counts 0 -> score 0 -> k unknown
    assert d["level_range"] == {"least": None, "most": "yellow"}
    d = decide(rules, {**SETTLED, "k": None})
    assert d["level"] is None and d["level_range"] == {"least": None, "most": None}


# -- next_questions ----------------------------------------------------------------

def test_every_missing_fact_once_with_what_it_settles_in_the_order_rule(rules):
    d = decide(rules, {"k": False})
    q = d["next_questions"]
    assert sorted(x["fact"] for x in q) == sorted(d["missing"]) and len(q) == len(d["missing"])
    assert q == [
        {"fact": "a", "settles": ["s:c1", "s:c5"], "major": 2},
        {"fact": "b", "settles": ["s:c1"], "major": 1},
        {"fact": "z", "settles": ["s:c5"], "major": 1},
        {"fact": "cranes", "settles": ["s:c3"], "major": 0},
        {"fact": "d", "settles": ["s:c4"], "major": 0},
        {"fact": "n", "settles": ["s:c2"], "major": 0},  # through the derived x.size
    ]


def test_a_list_item_fact_settles_by_its_index(rules):
    d = decide(rules, {**SETTLED, "cranes": [{"age": 3}, {"ok": True}]})
    assert d["missing"] == ["cranes[1].age"]
    assert d["next_questions"] == [{"fact": "cranes[1].age", "settles": ["s:c3"], "major": 0}]


def test_a_fact_only_the_level_table_needs_settles_nothing(rules):
    d = decide(rules, {**SETTLED, "k": None})
    assert d["next_questions"] == [{"fact": "k", "settles": [], "major": 0}]


# -- JSON Lines: a huge integer names its fact ------------------------------------

@pytest.mark.parametrize("line, fact", [
    ('{"n": 1' + "0" * 400 + "}", "n"),
    ('{"x": {"size": 1' + "0" * 400 + "}}", "x.size"),
    ('{"a": true, "cranes": [{"age": 1}, {"age": -1' + "0" * 400 + "}]}", "cranes[1].age"),
])
def test_an_integer_of_too_many_digits_names_its_fact(rules, line, fact):
    """SPEC §8: `fact` null only when none; 1e400 named its fact, 10**400 did not."""
    (err,) = list(rules.evaluate_many([line.encode()], as_of=DAY))
    assert isinstance(err, SafetyRulesError) and err.code == "E-NUMBER" and err.line == 1
    assert err.fact == fact


# -- JSON Lines through the CLI and evaluate_many ------------------------------------

NASTY = [
    b'\xef\xbb\xbf{"a": true, "b": true}\r',   # 1 BOM, CRLF
    b'{"a": false, "entity.id": "e2"}\r',      # 2
    b"",                                       # 3 blank: no output line
    b'\xff\xfe{"a": 1}',                       # 4 not UTF-8
    b'{"a": tru',                              # 5 not JSON
    b"null",                                   # 6
    b"[" * 5000 + b"]" * 5000,                 # 7 deep
    b'{"n": 1e400}',                           # 8
    b'{"n": 1' + b"0" * 400 + b"}",            # 9
    b'{"a": "yes"}',                           # 10
    b"   ",                                    # 11 blank
    b'{"n": 3.0, "entity.id": "e12"}',         # 12
    b'{"a": NaN}',                             # 13
    b'{"b": true}',                            # 14, no newline at the end
]
BAD = {4: None, 5: None, 6: None, 7: None, 8: "n", 9: "n", 10: "a", 13: None}


def test_cli_json_lines_every_line_numbered_bad_ones_in_place(rule_dir, tmp_path):
    path = tmp_path / "nasty.jsonl"
    path.write_bytes(b"\n".join(NASTY))
    res = run_cli("evaluate", str(path), "--rules", str(rule_dir), "--as-of", "2024-03-01", "--format", "json")
    assert res.returncode == 2 and b"Traceback" not in res.stderr
    out = [json.loads(x) for x in res.stdout.decode("utf-8").splitlines()]
    assert [o["line"] for o in out] == [1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14]
    for o in out:
        if o["line"] in BAD:
            assert set(o) == {"line", "error"} and set(o["error"]) == {"code", "message", "fact"}
            assert o["error"]["fact"] == BAD[o["line"]], o
        else:
            assert "error" not in o and "level" in o
    assert [o.get("entity") for o in out if o["line"] in (2, 12)] == [{"id": "e2"}, {"id": "e12"}]
    # each bad line on stderr as PATH:LINE:COL: error: ...
    err = res.stderr.decode("utf-8")
    for n in BAD:
        assert f"{path}:{n}:" in err
    assert f"{path}:8:7: error:" in err  # 1e400 located although the YAML reader refuses it


def test_evaluate_many_gives_the_same_lines(rules, tmp_path):
    path = tmp_path / "nasty.jsonl"
    path.write_bytes(b"\n".join(NASTY))
    got = []
    for x in rules.evaluate_many(str(path), as_of=DAY):
        if isinstance(x, SafetyRulesError):
            got.append((x.line, x.fact))
        else:
            got.append((x.line, json.loads(x.to_json())["line"]))
    assert got == [(n, BAD[n]) if n in BAD else (n, n) for n in (1, 2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14)]


@pytest.mark.parametrize("line, fact", [
    (r'{"entity.name": "\ud800"}', "entity.name"),
    (r'{"entity": {"id": "ok", "grid": "\udc00"}}', "entity.grid"),
    (r'{"a": true, "cranes": [{"age": 1, "x": "\ud800"}]}', "cranes[0].x"),
    (r'{"\ud800": 1}', None),  # a key: no fact to name
])
def test_a_lone_surrogate_in_a_value_names_its_fact(rules, line, fact):
    (err,) = list(rules.evaluate_many([line.encode()], as_of=DAY))
    assert isinstance(err, SafetyRulesError) and err.code == "E-ENCODING" and err.line == 1
    assert err.fact == fact


# -- issue 10: evaluate_many of a data frame decides its rows ----------------------

def test_evaluate_many_of_a_data_frame_decides_each_row(rules):
    """Iterating a DataFrame gives its column names: each was read as a JSON
    Lines line ('JSON: Expecting value') instead of a row being decided."""
    import numpy as np
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    df = pd.DataFrame({"n": [1, None, 50], "a": [True, None, False], "entity.id": ["x", None, "z"],
                       "d": pd.to_datetime(["2024-02-01", None, "2019-01-01"]), "k": [False, np.nan, True]})
    want = [rules.evaluate(r, as_of=DAY).to_json() for r in df.to_dict("records")]
    for frame in (df, df.set_index("entity.id"), pl.from_pandas(df), pl.from_pandas(df).lazy(), pa.Table.from_pandas(df)):
        got = list(rules.evaluate_many(frame, as_of=DAY))
        assert [d.to_json() for d in got] == want, type(frame)


# -- next_questions: a list item's field is tried at the constants its
#    quantifier compares it with (`c.age > 10` is about `cranes[].age`)

def test_a_list_item_field_settles_when_one_value_makes_any_true(rules):
    """Two items of unknown age: cranes[0].age = 11 makes any(c.age > 10)
    true, so each item's age settles c3; the tried values were 0 and 1 only
    (the constant 10 was filed under 'c.age', not the item field)."""
    facts = {**SETTLED, "cranes": [{"ok": False}, {"ok": False}]}
    d = decide(rules, facts)
    assert d["missing"] == ["cranes[0].age", "cranes[1].age"]
    assert d["next_questions"] == [
        {"fact": "cranes[0].age", "settles": ["s:c3"], "major": 0},
        {"fact": "cranes[1].age", "settles": ["s:c3"], "major": 0},
    ]
    # the engine agrees: that one value settles it
    cranes = [{"ok": False, "age": 11}, {"ok": False}]
    assert [f["clause"] for f in decide(rules, {**SETTLED, "cranes": cranes})["findings"]] == ["c3"]


DATES = {
    "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  d: {type: date}\n  e: {type: date}\n  w: {type: bool}\n"
              "  level: {type: enum, values: [red, blue]}\n",
    "s.yaml": 'kind: standard\nid: s\nversion: "1"\nclauses:\n'
              '  - {id: old, cite: O, severity: major, when: "days(d, as_of) > 365"}\n'
              '  - {id: past, cite: P, severity: general, when: "e < as_of and w"}\n',
    "g.yaml": "kind: table\nid: g\noutput: level\nrows:\n"
              '  - {when: "findings.major + findings.major_undetermined > 0", then: red}\n'
              '  - {when: "true", then: blue}\n',
    "ruleset.yaml": "kind: ruleset\nid: dates\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: level}\n",
}


def test_a_date_read_only_against_as_of_settles(tmp_path):
    """A date with no constant to compare with had no value to try: d and e
    'settled' nothing, though d = 1900-01-01 makes days(d, as_of) > 365 true."""
    rules = rule_files.load_in(tmp_path, DATES)
    d = decide(rules, {"w": True})
    assert d["next_questions"] == [
        {"fact": "d", "settles": ["s:old"], "major": 1},
        {"fact": "e", "settles": ["s:past"], "major": 0},
    ]
    found = decide(rules, {"w": True, "d": "1900-01-01", "e": "1900-01-01"})["findings"]
    assert [f["clause"] for f in found] == ["old", "past"]  # the engine agrees


def test_a_number_compared_with_another_fact_settles_by_a_large_value(tmp_path):
    """`x > y * 2` with y known: x had no constant of its own and only 0 and 1
    were tried, both false; a large x makes the clause found."""
    files = {
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  x: {type: number, min: 0}\n  y: {type: number}\n  w: {type: bool}\n"
                  "  level: {type: enum, values: [red, blue]}\n",
        "s.yaml": 'kind: standard\nid: s\nversion: "1"\nclauses:\n'
                  '  - {id: over, cite: O, severity: general, when: "w or x > y * 2"}\n',
        "g.yaml": DATES["g.yaml"],
        "ruleset.yaml": "kind: ruleset\nid: far\ninclude: [v.yaml, s.yaml, g.yaml]\ndecision: {level: level}\n",
    }
    rules = rule_files.load_in(tmp_path, files)
    d = decide(rules, {"y": 50})
    assert {q["fact"]: q["settles"] for q in d["next_questions"]} == {"w": ["s:over"], "x": ["s:over"]}
    assert [f["clause"] for f in decide(rules, {"y": 50, "x": 1e9})["findings"]] == ["over"]
