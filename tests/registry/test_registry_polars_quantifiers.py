"""The polars backend's list quantifiers (evaluated on the flattened items,
reduced per row) against the per-record engine: every list of up to three
items true, false or unknown, empty and null lists, a null list whose
offsets span items, tables sliced and in several chunks."""

import datetime
import itertools

import pyarrow as pa
import pytest


import rule_files
from rule_files import ruleset, standard, table, vocabulary

DAY = datetime.date(2024, 3, 1)

FILES = {
    "v.yaml": vocabulary("""\
        entity.id: {type: string}
        xs: {type: list, item: {ok: {type: bool}, n: {type: integer, unit: year}}}
        level: {type: enum, values: [red, blue]}
        """),
    "s.yaml": standard("""\
        - {id: a_any, cite: A1, severity: major, when: "any(x in xs: x.ok)"}
        - {id: a_all, cite: A2, severity: general, when: "all(x in xs: x.ok)"}
        - {id: a_mix, cite: A3, severity: general, when: "any(x in xs: x.n > 1 and not x.ok)"}
        - {id: a_nall, cite: A4, severity: general, when: "not all(x in xs: x.n < 3 or x.ok)"}
        - {id: a_count, cite: A5, severity: general, when: "count(x in xs: x.ok) >= 2"}
        """),
    "g.yaml": table("g", "level", """\
        - {when: "findings.major > 0", then: red}
        - {when: "true", then: blue}
        """),
    "ruleset.yaml": ruleset("polars.quantifiers", ["v.yaml", "s.yaml", "g.yaml"], {"level": "level"}),
}

ITEM = pa.struct([("ok", pa.bool_()), ("n", pa.int64())])


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "polars_quantifiers", FILES, entry="ruleset.yaml")


def _lists():
    values = (True, False, None)
    out = [None, []]
    for k in (1, 2, 3):
        for combo in itertools.product(values, repeat=k):
            out.append([{"ok": v, "n": i + len(combo)} for i, v in enumerate(combo)])
    return out


def _table(lists):
    return pa.table({"entity.id": [f"e{i}" for i in range(len(lists))],
                     "xs": pa.array(lists, pa.list_(ITEM))})


def test_every_small_list_as_the_engine_decides(rules):
    t = _table(_lists())
    want = rules.evaluate_table(t, backend="python", as_of=DAY).to_pylist()
    got = rules.evaluate_table(t, backend="polars", as_of=DAY).to_pylist()
    assert got == want
    # the clauses are not trivially true or false over these rows
    for key in ("s:a_any", "s:a_all", "s:a_mix", "s:a_nall", "s:a_count"):
        assert any(key in r["findings"] for r in want[1:]) and any(key in r["undetermined"] for r in want[1:])
        assert not all(key in r["findings"] for r in want)


def test_sliced_chunked_and_null_lists_over_items(rules):
    lists = _lists()
    t = _table(lists)
    want = rules.evaluate_table(t, backend="python", as_of=DAY).to_pylist()
    chunked = pa.concat_tables([t.slice(i, 5) for i in range(0, t.num_rows, 5)])
    assert chunked.column("xs").num_chunks > 1
    assert rules.evaluate_table(chunked, backend="polars", as_of=DAY).to_pylist() == want
    assert rules.evaluate_table(t.slice(7, 20), backend="polars", as_of=DAY).to_pylist() == want[7:27]
    # null lists whose offsets span items (allowed by Arrow), between and at the end
    items = pa.array([{"ok": True, "n": 5}, {"ok": False, "n": 5}, {"ok": None, "n": 1},
                      {"ok": True, "n": 2}, {"ok": False, "n": 9}], ITEM)
    xs = pa.ListArray.from_arrays(pa.array([0, 2, 3, 3, 5], pa.int32()), items,
                                  mask=pa.array([True, False, False, True]))
    odd = pa.table({"entity.id": ["a", "b", "c", "d"], "xs": xs})
    plain = pa.table({"entity.id": ["a", "b", "c", "d"],
                      "xs": pa.array([None, [{"ok": None, "n": 1}], [], None], pa.list_(ITEM))})
    assert (rules.evaluate_table(odd, backend="polars", as_of=DAY).to_pylist()
            == rules.evaluate_table(plain, backend="python", as_of=DAY).to_pylist())
