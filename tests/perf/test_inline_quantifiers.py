"""Quantifiers inlined as loops ≡ the reference path: any / all / count / sum
over list facts (items lacking fields), list literals and collect outputs,
``x in`` a list, ``len``, nested quantifiers, and divisions under and / or
(the program divides where the reference does: a zero divisor there sends
the record to the reference path, which adds the warning; one the
reference never reaches does not)."""

import datetime

import pytest

from safetyrules.engine.decision import Decision

from perf_fixtures import drawn_runs
import rule_files
from rule_files import ruleset, standard, table, vocabulary

FILES = {
    "v.yaml": vocabulary("""\
        site.on: {type: bool}
        site.kind: {type: enum, values: [shop, plant, yard]}
        site.tags: {type: list, values: [a, b, c]}
        site.n: {type: number}
        items: {type: list, item: {ok: {type: bool}, q: {type: number}, c: {type: number}, name: {type: string},
                kind: {type: enum, values: [x, y]}}}
        out.kinds: {type: enum, values: [shop, plant, yard]}
        """, id="q"),
    "t.yaml": table("t.kinds", "out.kinds", """\
        - {when: "site.kind == 'shop'", then: shop}
        - {when: "site.kind in ['plant', 'yard']", then: plant}
        - {when: "site.kind == 'yard'", then: yard}
        """, hit="collect"),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "any(i in items: i.ok and i.kind == 'x')"}
        - {id: c2, cite: "2", severity: general, title: {en: c2}, when: "all(i in items: i.ok or i.q > 2)"}
        - {id: c3, cite: "3", severity: general, title: {en: c3}, when: "count(i in items: not i.ok) >= 2"}
        - {id: c4, cite: "4", severity: general, title: {en: c4},
           when: "all(i in items: known(i.c)) and sum(i in items: i.q / i.c) >= 1"}
        - {id: c5, cite: "5", severity: general, title: {en: c5},
           when: "site.on or sum(i in items: i.q / site.n) > 3"}
        - {id: c6, cite: "6", severity: general, title: {en: c6},
           when: "'b' in site.tags and len(site.tags) >= 2 or 'plant' in out.kinds"}
        - {id: c7, cite: "7", severity: major, title: {en: c7},
           when: "any(i in items: count(x in [i.name]: x in ['p', 'q']) >= 1 and any(t in site.tags: t == 'a'))"}
        - {id: c8, cite: "8", severity: general, title: {en: c8},
           when: "any(k in out.kinds: k == 'yard') and not all(i in items: i.kind in ['x'])"}
        """, title="s"),
    "ruleset.yaml": ruleset("q", ["v.yaml", "t.yaml", "s.yaml"]),
}

DAY = datetime.date(2024, 6, 1)


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "quant", FILES, dedent=True, entry="ruleset.yaml")


def _record(rng):
    def maybe(value):
        return value if rng.random() < 0.75 else None

    items = []
    for _ in range(rng.choice([0, 1, 2, 3, 5])):
        it = {"ok": maybe(rng.random() < 0.5), "q": maybe(rng.choice([0, 1, 2.5, 4])),
              "c": maybe(rng.choice([0, 0.5, 1, 3])), "name": maybe(rng.choice(["p", "q", "r"])),
              "kind": maybe(rng.choice(["x", "y"]))}
        items.append({k: v for k, v in it.items() if v is not None or rng.random() < 0.3})
    site = {"on": maybe(rng.random() < 0.3), "kind": maybe(rng.choice(["shop", "plant", "yard"])),
            "tags": maybe(rng.sample(["a", "b", "c"], rng.randint(0, 3))), "n": maybe(rng.choice([0, 1, 2]))}
    rec = {"site": {k: v for k, v in site.items() if v is not None}}
    if rng.random() < 0.9:
        rec["items"] = items
    if not rec["site"]:
        del rec["site"]
    return rec


def test_the_quantifiers_are_inlined(rules):
    source = rules.program(DAY).source
    assert "for it" in source
    assert "_c" in source
    # no quantifier is left to the compiled evaluator (a dict of facts per call)
    assert "({'" not in source


def test_inlined_quantifiers_equal_the_reference(rules):
    prog = rules.program(DAY)
    stats = {"compared": 0, "gave_up": 0, "warned": 0}
    for rec, ref, got in drawn_runs(rules, prog, _record, DAY, seed=7, n=1500):
        if ref[3]:
            stats["warned"] += 1
            assert got is None, "the reference warned (division by zero) but the program decided"
        if got is None:
            stats["gave_up"] += 1
            continue
        a, b = Decision(prog.layout, got, DAY), Decision(prog.layout, ref, DAY)
        assert a.to_dict() == b.to_dict(), rec
        assert a.explain() == b.explain()
        stats["compared"] += 1
    assert stats["compared"] >= 0.6 * 1500, stats
    assert stats["warned"] > 0, stats  # divisions by zero were drawn
    # the program gives up only where a division by zero is met
    assert stats["gave_up"] <= stats["warned"] + 15, stats
