"""A division by zero in a table's rows stays on the generated path: the
program notes it and adds the warnings the reference's own rows give
(attributed to the table, in the reference's order, before the hit
policy's own), so the decision is byte-identical to the reference path's.
A division by zero in a clause condition still sends the record to the
reference path (which attributes the warning to the clause)."""

import copy
import datetime
import random
import threading

import pytest

from safetyrules.engine.decision import Decision

from perf_fixtures import drawn_runs
import rule_files
from rule_files import ruleset, standard, table, vocabulary

FILES = {
    "v.yaml": vocabulary("""\
        site.on: {type: bool}
        site.a: {type: number}
        site.n: {type: number}
        items: {type: list, item: {q: {type: number}, c: {type: number}}}
        out.band: {type: enum, values: [hi, mid, lo]}
        out.kinds: {type: enum, values: [shop, plant, yard]}
        """, id="z"),
    "t.yaml": table("t.band", "out.band", """\
        - {when: "sum(i in items: i.q / i.c) >= 2", then: hi}
        - {when: "site.a / site.n > 1 and sum(i in items: i.q / site.n) >= 1", then: mid}
        - {when: "site.a / site.n <= 1 or not site.on", then: lo}
        """, hit="first"),
    "k.yaml": table("t.kinds", "out.kinds", """\
        - {when: "out.band == 'hi' and site.a / site.n > 0", then: shop}
        - {when: "any(i in items: i.q / i.c > 1)", then: plant}
        - {when: "site.on", then: yard}
        """, hit="collect"),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "out.band == 'hi'"}
        - {id: c2, cite: "2", severity: general, title: {en: c2}, when: "'plant' in out.kinds"}
        - {id: c3, cite: "3", severity: general, title: {en: c3}, when: "site.on and site.a / site.n > 2"}
        """, title="s"),
    "ruleset.yaml": ruleset("z", ["v.yaml", "t.yaml", "k.yaml", "s.yaml"]),
}

DAY = datetime.date(2024, 6, 1)


def _load(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "tdiv", FILES, dedent=True, entry="ruleset.yaml")


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return _load(tmp_path_factory)


def _record(rng):
    def maybe(value):
        return value if rng.random() < 0.8 else None

    items = []
    for _ in range(rng.choice([0, 1, 2, 3])):
        it = {"q": maybe(rng.choice([0, 1, 2.5, 4])), "c": maybe(rng.choice([0, 0.0, 0.5, 1, 3]))}
        items.append({k: v for k, v in it.items() if v is not None})
    site = {"on": maybe(rng.random() < 0.5), "a": maybe(rng.choice([0, 1, 3, 7.5])),
            "n": maybe(rng.choice([0, 0.0, 1, 2]))}
    rec = {"site": {k: v for k, v in site.items() if v is not None}}
    if rng.random() < 0.9:
        rec["items"] = items
    if not rec["site"]:
        del rec["site"]
    return rec


def test_table_divisions_are_noted_in_the_source(rules):
    source = rules.program(DAY).source
    assert "_divz(" in source  # the tables' rows
    assert "_div(" in source  # the clause c3


def test_table_division_by_zero_stays_on_the_generated_path(rules):
    prog = rules.program(DAY)
    stats = {"compared": 0, "table_warned": 0, "gave_up": 0}
    for rec, ref, got in drawn_runs(rules, prog, _record, DAY, seed=11, n=1500):
        clause_warned = any("clause" in w for w in ref[3])
        if got is None:
            # only a division by zero in a clause condition gives up
            assert clause_warned, (rec, ref[3])
            stats["gave_up"] += 1
            continue
        assert not clause_warned, rec
        if any(w["code"] == "W-DIV-ZERO" for w in ref[3]):
            stats["table_warned"] += 1
        a, b = Decision(prog.layout, got, DAY), Decision(prog.layout, ref, DAY)
        assert a.to_json() == b.to_json(), rec
        assert a.to_dict() == b.to_dict()
        assert a.explain() == b.explain()
        assert a == b and hash(a) == hash(b)
        d = rules.evaluate(copy.deepcopy(rec), DAY)
        assert d.to_json() == b.to_json()
        stats["compared"] += 1
    assert stats["table_warned"] >= 150, stats  # table divisions by zero were drawn and decided
    assert stats["gave_up"] > 0, stats  # the clause's were drawn too
    assert stats["compared"] >= 0.6 * 1500, stats


def test_several_zero_divisions_give_every_warning_in_order(rules):
    rec = {"site": {"on": False, "a": 3, "n": 0},
           "items": [{"q": 1, "c": 0}, {"q": 2, "c": 0.0}, {"q": 1, "c": 1}]}
    prog = rules.program(DAY)
    got = prog.run(copy.deepcopy(rec), DAY)
    ref = rules.reference(copy.deepcopy(rec), DAY, prog.layout)
    assert got is not None
    assert [dict(w) for w in got[3]] == [dict(w) for w in ref[3]]
    assert sum(w["code"] == "W-DIV-ZERO" for w in ref[3]) >= 4
    assert {w["table"] for w in ref[3] if w["code"] == "W-DIV-ZERO"} == {"t.band", "t.kinds"}


def test_table_division_warnings_threads(tmp_path_factory):
    """Eight threads on a fresh rule set (the warnings' row programs are
    compiled on first use) give the serial decisions."""
    rng = random.Random(5)
    recs = [_record(rng) for _ in range(60)]
    serial = [_load(tmp_path_factory).evaluate(copy.deepcopy(r), DAY).to_json() for r in recs]
    fresh = _load(tmp_path_factory)
    out = [None] * 8
    start = threading.Barrier(8)

    def work(k):
        start.wait()
        out[k] = [fresh.evaluate(copy.deepcopy(r), DAY).to_json() for r in recs]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o == serial for o in out)
