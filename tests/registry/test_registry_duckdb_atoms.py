"""The duckdb backend's clause atoms, collect memberships and item-wise sums
(``backends/duckdb_backend.py``, ``compile_stages(atoms=..., collect_members=True)``):

* the clause conditions are combined from atoms with Arrow's Kleene kernels
  (boolean input columns read as they are, the other conditions computed
  by DuckDB);
* ``'v' in L`` and ``any``/``all`` over a ``collect`` table's output read one
  column per output instead of the built list (a given list wins; an
  unknown row makes the list unknown);
* ``sum`` quantifiers are added item by item, left to right (an integer sum
  that could overflow goes back to DuckDB's own fold).

The decisions must be the per-record engine's, row for row, and each path
must really be the one run."""

import datetime

import pyarrow as pa
import pytest

from safetyrules.backends import duckdb_backend

import rule_files
from rule_files import standard, table, vocabulary

duckdb = pytest.importorskip("duckdb")

DAY = datetime.date(2024, 3, 1)

VOCAB = vocabulary("""\
    entity.id: {type: string}
    sector: {type: enum, values: [a, b, c, d]}
    acts: {type: list, values: [a, b, c, d]}
    p: {type: bool}
    q: {type: bool}
    r: {type: bool}
    n: {type: integer, unit: person}
    big: {type: list, item: {v: {type: integer, unit: person}, w: {type: number, unit: t}, name: {type: string}}}
    """)

ACTS = table("acts", "acts", """\
    - {when: "sector == 'a'", then: a}
    - {when: "sector == 'b' or p", then: b}
    - {when: "sector == 'c' and q", then: c}
    """, hit="collect")

STANDARD = standard("""\
    - {id: ina, cite: A1, severity: major, when: "'a' in acts"}
    - {id: inb, cite: A2, severity: general, when: "'b' in acts and not q"}
    - {id: ind, cite: A3, severity: general, when: "'d' in acts or q"}
    - {id: notc, cite: A4, severity: general, when: "'c' not in acts"}
    - {id: anyab, cite: A5, severity: major, when: "any(x in acts: x in ['a', 'b'])"}
    - {id: allnb, cite: A6, severity: general, when: "all(x in acts: x != 'b')"}
    - {id: kleene, cite: A7, severity: general, when: "(p and not q) or (r and true) or not (p or r)"}
    - {id: konst, cite: A8, severity: general, when: "q and false"}
    - {id: cmp, cite: A9, severity: general, when: "n > 3 person and p"}
    - {id: sumv, cite: B1, severity: general, when: "sum(i in big: i.v) > 4 person"}
    - {id: sumw, cite: B2, severity: general, when: "sum(i in big: i.w * 0.1) > 0.3 t"}
    - {id: named, cite: B3, severity: general, when: "any(i in big: i.name == 'x' and i.v > 1 person)"}
    """, applies_when="not r or p")

MANIFEST = """\
kind: ruleset
id: atoms.test
include: [v.yaml, acts.yaml, s.yaml]
decision: {}
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    files = {"v.yaml": VOCAB, "acts.yaml": ACTS, "s.yaml": STANDARD, "ruleset.yaml": MANIFEST}
    return rule_files.load(tmp_path_factory, "atoms", files, entry="ruleset.yaml")


def _bool(i, k):
    return [True, False, None][(i // k) % 3]


def _table(n, given=True, big_v=None):
    acts = []
    for i in range(n):
        if given and i % 4 == 0:
            acts.append([["a"], ["b", "d"], [], ["c", "a"]][(i // 4) % 4])
        else:
            acts.append(None)
    item = pa.struct([("v", pa.int64()), ("w", pa.float64()), ("name", pa.string())])
    big = []
    for i in range(n):
        k = i % 5
        if k == 4:
            big.append(None)
        else:
            big.append([{"v": big_v if big_v is not None else [1, 2, None, 3][(i + j) % 4],
                         "w": [0.1, 0.7, 2.5, None, 1.3][(i * 3 + j) % 5],
                         "name": ["x", None, "y"][(i + j) % 3]} if (i + j) % 7 else
                        {"v": None, "w": None, "name": None}
                        for j in range(k)])
    return pa.table({
        "entity.id": pa.array([f"e{i}" for i in range(n)]),
        "sector": pa.array([["a", "b", "c", "d", None][i % 5] for i in range(n)]),
        "acts": pa.array(acts, pa.list_(pa.string())),
        "p": pa.array([_bool(i, 1) for i in range(n)]),
        "q": pa.array([_bool(i, 3) for i in range(n)]),
        "r": pa.array([_bool(i, 9) for i in range(n)]),
        "n": pa.array([None if i % 6 == 0 else i % 7 for i in range(n)], pa.int64()),
        "big": pa.array(big, pa.list_(item)),
    })


def _same(rules, table):
    got = rules.evaluate_table(table, backend="duckdb", as_of=DAY)
    want = rules.evaluate_table(table, backend="python", as_of=DAY)
    assert got.equals(want)
    return got


@pytest.fixture
def spy(monkeypatch):
    seen = []
    real = duckdb_backend.compile_stages

    def spy(*args, **kwargs):
        stages = real(*args, **kwargs)
        seen.append((stages.apart[0].sql(), list(duckdb_backend._leaves(stages.atoms))))
        return stages

    monkeypatch.setattr(duckdb_backend, "compile_stages", spy)
    return seen


def test_atoms_and_collect_members_equal_the_engine(rules, spy):
    got = _same(rules, _table(540))
    sql, leaves = spy[-1]
    # the boolean inputs are read as they are, not through DuckDB
    assert ("input", "p") in leaves and ("input", "q") in leaves and ("input", "r") in leaves
    assert '"p" AS' not in sql
    # nothing reads the collect table's list (DuckDB drops its unread
    # column): its members are columns
    assert sql.count('"__sr_d0"') == 1 and '"__sr_d0_m0"' in sql
    assert len({tuple(f) for f in got.column("findings").to_pylist()}) > 5  # (the rows differ)
    assert any(got.column("undetermined").to_pylist())


def test_collect_members_without_a_given_list(rules, spy):
    t = _table(300, given=False)
    _same(rules, t)
    # the given list is all null: a NULL constant, not a column the members read
    assert '"acts" IS NOT NULL' not in spy[-1][0]
    _same(rules, t.slice(13, 200))


def test_sums_item_by_item_and_the_overflow_fold(rules, monkeypatch):
    folded = []
    real = duckdb_backend.side_expressions

    def watch(plan, nodes, item=None):
        if item is None:
            folded.extend(nodes)
        return real(plan, nodes, item)

    monkeypatch.setattr(duckdb_backend, "side_expressions", watch)
    _same(rules, _table(400))
    assert not folded  # every sum added item by item
    # integer items near 2**62: the sum could overflow int64 in numpy, so DuckDB folds it
    _same(rules, _table(60, big_v=2**61))
    assert [q.kind for q in folded] == ["sum"]


def test_chunked_and_empty(rules):
    t = _table(250)
    _same(rules, pa.concat_tables([t.slice(0, 97), t.slice(97, 1), t.slice(98)]))
    assert _same(rules, _table(0)).num_rows == 0


def test_atoms_of_all_null_columns_are_computed_once(rules, spy):
    t = _table(200)
    t = t.set_column(t.schema.get_field_index("n"), "n", pa.nulls(200, pa.int64()))
    got = _same(rules, t)
    sql, leaves = spy[-1]
    assert any(kind == "zconst" for kind, _ in leaves) and '"n"' not in sql
    assert any("s:cmp" in u for u in got.column("undetermined").to_pylist())  # (n > 3 is unknown: p true rows)
