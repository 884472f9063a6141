"""A fourth black-box audit of SPEC §12 (authoring v1) and the authoring
commands: ``prove`` on hand-built level tables (each counterexample is
re-evaluated here, row by row with ``safetyrules.dsl.evaluate``, to check it
really is one), ``extends:`` from a temp dir and another cwd, and
lint/diff/fmt/coverage/test as their docs say.  Aimed at what
test_spec12_audit.py, _audit3.py and test_authoring_audit2.py left alone."""

import json

import pytest

import safetyrules
from safetyrules import dsl

from rule_files import write

from rule_files import vocabulary

LEVELS = ["red", "orange", "yellow", "blue"]

VOCAB = vocabulary("""\
    a: {type: bool}
    n: {type: integer}
    x: {type: number}
    e: {type: enum, values: [p, q, r]}
    risk.level: {type: enum, values: [red, orange, yellow, blue]}
    """)
STD = ('kind: standard\nid: s\nversion: "1"\nclauses:\n'
       '  - {id: m1, cite: A1, severity: major, when: "a"}\n'
       '  - {id: g1, cite: G1, severity: general, when: "n > 3"}\n')


def table(rows, *, id="lv", output="risk.level", hit=None):
    body = "".join(f'  - {{when: "{w}", then: {t}}}\n' for w, t in rows)
    return f"kind: table\nid: {id}\noutput: {output}\n" + (f"hit: {hit}\n" if hit else "") + f"rows:\n{body}"


def project(tmp_path, rows, *, vocab=VOCAB, hit=None, name="p"):
    return write(tmp_path / name, {
        "v.yaml": vocab, "s.yaml": STD, "lv.yaml": table(rows, hit=hit),
        "ruleset.yaml": 'kind: ruleset\nid: p\ninclude: ["*.yaml"]\ndecision: {level: risk.level}\n'})


def level_of(rows, facts, hit="first", order=LEVELS):
    """The table's output on ``facts``, re-evaluated row by row (None: unknown / no row)."""
    vals = [dsl.evaluate(w, dict(facts)) for w, _ in rows]
    if hit == "first":
        for v, (_, then) in zip(vals, rows):
            if v is None:
                return None
            if v:
                return then
        return None
    assert hit == "priority"
    true = [then for v, (_, then) in zip(vals, rows) if v]
    return min(true, key=order.index) if true else None


def props(run, d):
    code, out, err = run("prove", d, "--format", "json")
    [rep] = json.loads(out)
    return code, {p["property"]: p for p in rep["properties"]}


def text_line(run, d, prop):
    code, out, err = run("prove", d)
    (line,) = [x for x in out.splitlines() if x.strip().startswith(prop + ":")]
    return code, line


def worse(a, b):
    """True when level a is less severe than level b (both known)."""
    return a is not None and b is not None and LEVELS.index(a) > LEVELS.index(b)


def counts(cx):
    base = {"findings.major": 0, "findings.general": 0, "findings.undetermined": 0, "findings.major_undetermined": 0}
    return base | dict(cx)


# -- prove: each property, on tables built to break exactly it ------------------------------

NUM_GAP = [("findings.major > 0", "red"), ("n >= 4", "yellow"), ("n < 3", "blue")]        # gap at n = 3
REAL_GAP = [("findings.major > 0", "red"), ("x > 3.5", "yellow"), ("x < 3.5", "blue")]    # gap at x = 3.5
ENUM_GAP = [("findings.major > 0", "red"), ("e in ['p', 'q']", "yellow"),
            ("e == 'r' and findings.general > 0", "orange")]                              # gap at e = r, general 0
NON_MONO = [("findings.major > 0", "red"), ("findings.general > 5", "blue"),
            ("findings.general > 0", "yellow"), ("true", "blue")]                          # 5 -> 6 generals: yellow -> blue
# an undetermined major clause makes the level *less* severe than the same clause not found,
# and only findings.major_undetermined shows it (finding-monotone holds)
UND_MAJOR = [("findings.major > 0", "red"), ("findings.major_undetermined > 0", "yellow"),
             ("findings.general > 0", "orange"), ("true", "blue")]
ALL_GOOD = [("findings.major > 0 or findings.major_undetermined > 0", "red"),
            ("findings.general >= 3", "orange"),
            ("findings.general > 0 or findings.undetermined > 0", "yellow"), ("true", "blue")]


# the boundary of a comparison of an expression of one fact is where the expression meets the
# constant: n * 2 >= 13 turns at n = 6.5, so n = 6 (n * 2 = 12, not <= 10 either) is the gap
SCALED_GAP = [("findings.major > 0", "red"), ("n * 2 >= 13", "yellow"), ("n * 2 <= 10", "blue")]


@pytest.mark.parametrize("rows, var, value", [(NUM_GAP, "n", 3), (REAL_GAP, "x", 3.5), (ENUM_GAP, "e", "r"),
                                              (SCALED_GAP, "n", 6)])
def test_prove_finds_the_one_gap_and_it_is_one(tmp_path, run, rows, var, value):
    code, p = props(run, project(tmp_path, rows))
    assert code == 1
    gap = p["no-gap"]
    assert not gap["proven"] and gap["counterexample"][var] == value, gap
    assert level_of(rows, counts(gap["counterexample"])) is None
    assert p["finding-monotone"]["proven"] and p["undetermined-as-found"]["proven"]


def test_prove_finds_a_finding_that_lowers_the_level_only_when_generals_are_many(tmp_path, run):
    code, p = props(run, project(tmp_path, NON_MONO))
    assert code == 1 and p["no-gap"]["proven"]
    mono = p["finding-monotone"]
    cx = counts(mono["counterexample"])
    assert not mono["proven"] and cx["findings.general"] == 5, mono
    assert worse(level_of(NON_MONO, cx | {"findings.general": 6}), level_of(NON_MONO, cx))


def test_prove_finds_an_undetermined_major_that_looks_safer(tmp_path, run):
    code, p = props(run, project(tmp_path, UND_MAJOR))
    assert p["no-gap"]["proven"] and p["finding-monotone"]["proven"]
    und = p["undetermined-as-found"]
    assert code == 1 and not und["proven"], und
    cx = counts(und["counterexample"])
    # the counterexample holds the undetermined clause; settled as not found it is more severe
    assert cx["findings.major_undetermined"] >= 1, cx
    gone = cx | {"findings.major_undetermined": cx["findings.major_undetermined"] - 1,
                 "findings.undetermined": max(0, cx["findings.undetermined"] - 1)}
    found = gone | {"findings.major": cx["findings.major"] + 1}
    assert worse(level_of(UND_MAJOR, cx), level_of(UND_MAJOR, gone)) or \
        worse(level_of(UND_MAJOR, found), level_of(UND_MAJOR, gone))
    code, line = text_line(run, project(tmp_path, UND_MAJOR, name="q"), "undetermined-as-found")
    assert "counterexample" in line and "findings.major_undetermined = 1" in line, line


def test_prove_all_proven_exits_0(tmp_path, run):
    code, p = props(run, project(tmp_path, ALL_GOOD))
    assert code == 0 and all(x["proven"] and x["combinations"] > 0 for x in p.values()), p


# -- prove: priority and collect level tables ---------------------------------------------------

PRIO_GOOD = [("true", "blue"), ("findings.general > 0 or findings.undetermined > 0", "yellow"),
             ("findings.major > 0 or findings.major_undetermined > 0", "red")]
PRIO_BAD = [("findings.general < 3", "blue"), ("findings.general > 0 and findings.general < 3", "yellow"),
            ("findings.major > 0", "red"), ("findings.general >= 3", "blue")]   # 2 -> 3 generals: yellow -> blue


def test_prove_a_priority_level_table(tmp_path, run):
    code, p = props(run, project(tmp_path, PRIO_GOOD, hit="priority"))
    assert code == 0 and all(x["proven"] for x in p.values()), p
    code, p = props(run, project(tmp_path, PRIO_BAD, hit="priority", name="bad"))
    mono = p["finding-monotone"]
    assert code == 1 and not mono["proven"] and p["no-gap"]["proven"]
    cx = counts(mono["counterexample"])
    more = [cx | {k: cx[k] + 1} for k in ("findings.major", "findings.general")]
    assert any(worse(level_of(PRIO_BAD, m, "priority"), level_of(PRIO_BAD, cx, "priority")) for m in more), cx


LIST_VOCAB = VOCAB + "  risk.levels: {type: list, values: [red, orange, yellow, blue]}\n"


def collect_project(tmp_path, rows, name):
    return write(tmp_path / name, {
        "v.yaml": LIST_VOCAB, "s.yaml": STD, "lv.yaml": table(rows, output="risk.levels", hit="collect"),
        "ruleset.yaml": 'kind: ruleset\nid: p\ninclude: ["*.yaml"]\ndecision: {level: risk.levels}\n'})


def test_prove_a_collect_level_table_is_not_proven_vacuously(tmp_path, run):
    # a collect table's level is a list: ranked by its most severe value, [] is no level
    bad = [("findings.major > 0", "red"), ("findings.general > 2", "blue"),
           ("findings.general > 0 and findings.general <= 2", "yellow"), ("findings.general == 0", "blue")]
    code, p = props(run, collect_project(tmp_path, bad, "bad"))
    assert code == 1 and not p["finding-monotone"]["proven"], p          # 2 -> 3 generals: [yellow] -> [blue]
    assert p["finding-monotone"]["counterexample"]["findings.general"] == 2
    gap = [("findings.major > 0", "red"), ("findings.general > 0", "yellow")]   # nothing found: []
    code, p = props(run, collect_project(tmp_path, gap, "gap"))
    assert code == 1 and not p["no-gap"]["proven"], p
    good = [("findings.major > 0", "red"), ("findings.general > 0", "yellow"), ("true", "blue")]
    code, p = props(run, collect_project(tmp_path, good, "good"))
    assert code == 0, p


# -- fmt: comments kept, idempotent, on files a round-trip YAML writer gets wrong ------------

pytest.importorskip("ruamel.yaml")

FMT_VOCAB = "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n  n: {type: integer}\n  x: {type: number}\n"


def fmt_round(run, d, text):
    """fmt the file; its comments stay, --check then passes, it still loads the same."""
    import re

    write(d, {"v.yaml": FMT_VOCAB, "s.yaml": text})
    p = d / "s.yaml"
    before = safetyrules.load(str(d)).plan.digest
    code, out, err = run("fmt", p)
    assert code == 0, err
    new = p.read_text(encoding="utf-8")
    assert [c for c in re.findall(r"#.*", text) if c not in new] == [], new
    assert run("fmt", "--check", p)[0] == 0, new
    code, out, err = run("validate", d)
    assert code == 0, err + new
    return new, before


def test_fmt_a_block_clause_between_commented_flow_clauses(tmp_path, run):
    # a comment on the sequence's key, a flow item with one, then a block item: ruamel
    # 0.19 wrote the next item on the block item's last line ("cite: C1   - {id: c2}")
    text = ('kind: standard\nid: s\nversion: "1"\nclauses:  # the clauses\n'
            '  - {cite: C0, id: c0, severity: major, when: "a"}  # first\n'
            '  - cite: C1\n    id: c1\n    severity: general\n    when: "n>3"\n'
            '  - {id: c2, cite: C2, severity: major, when: "x < 2"}  # third\n')
    new, _ = fmt_round(run, tmp_path / "r", text)
    assert '  - id: c1\n    cite: C1\n    severity: general\n    when: "n > 3"\n  - {id: c2,' in new, new


def test_fmt_a_comment_below_a_flow_value_stays_with_it_and_fmt_is_idempotent(tmp_path, run):
    # ruamel keeps a comment line below `title: {...}` as a comment *above* the next key:
    # moving that key first wrote "-" alone on a line, which the next fmt changed again
    text = ('kind: standard\nid: s\nversion: "1"\nclauses:\n'
            '  - title: {en: E, zh: Z}\n    # about the title\n    id: c1\n    cite: C1\n'
            '    severity: major\n    when: "a"\n')
    new, _ = fmt_round(run, tmp_path / "r", text)
    assert "  - id: c1\n" in new and "title: {zh: Z, en: E}\n    # about the title\n" in new, new


def test_fmt_refuses_rather_than_drops_a_comment_yaml_cannot_round_trip(tmp_path, run):
    # ruamel reads no comment between a mapping's last flow value and a commented next
    # item: fmt wrote the file without it (exit 0); now the file is left as is, exit 2
    text = ('kind: table\nid: t\noutput: o\nrows:\n  - then: x\n    title: {zh: Z, en: E}\n'
            '    # why this row\n  - {when: "a", then: y}  # the other\n')
    d = write(tmp_path / "r", {"t.yaml": text})
    code, out, err = run("fmt", d / "t.yaml")
    assert code == 2 and "'# why this row'" in err, (code, err)
    assert (d / "t.yaml").read_text(encoding="utf-8") == text


def _random_rule_file(rnd):
    """A valid standard or table: keys in random order, expressions in odd spacing,
    flow and block items, comments at the ends of lines and on lines of their own."""
    exprs = ["a and n>3", "(a)  or not  a", "n >= 3   and (x<2.5)", "not (a and n > 1)", "known( n ) and n != 2"]
    tag = iter(range(10_000))

    def com():
        return f"  # c{next(tag)}" if rnd.random() < 0.4 else ""

    if rnd.random() < 0.5:
        top = [("kind", "standard"), ("id", "s"), ("version", '"1"'), ("title", "{en: T, zh: 题}")]
        items_key, n_items = "clauses", rnd.randint(1, 3)

        def item(i):
            ks = [("id", f"c{i}"), ("cite", f"C{i}"), ("severity", rnd.choice(["major", "general"])),
                  ("when", '"' + rnd.choice(exprs) + '"')]
            return ks + ([("unless", '"' + rnd.choice(exprs) + '"')] if rnd.random() < 0.4 else [])
    else:
        top = [("kind", "table"), ("id", "t"), ("output", "o"), ("default", "z")]
        items_key, n_items = "rows", rnd.randint(1, 4)

        def item(i):
            ks = [("id", f"r{i}"), ("when", '"' + rnd.choice(exprs) + '"'), ("then", rnd.choice("xyz"))]
            return ks + ([("title", "{en: E, zh: Z}")] if rnd.random() < 0.4 else [])
    rnd.shuffle(top)
    lines = []
    for k, v in top:
        if rnd.random() < 0.3:
            lines.append(f"# top {next(tag)}")
        lines.append(f"{k}: {v}{com()}")
    lines.append(f"{items_key}:{com()}")
    for i in range(n_items):
        ks = item(i)
        rnd.shuffle(ks)
        if rnd.random() < 0.5:
            lines.append("  - {" + ", ".join(f"{k}: {v}" for k, v in ks) + "}" + com())
        else:
            for j, (k, v) in enumerate(ks):
                if j and rnd.random() < 0.2:
                    lines.append(f"    # in {next(tag)}")
                lines.append(("  - " if j == 0 else "    ") + f"{k}: {v}{com()}")
    return "\n".join(lines) + "\n"


def test_fmt_random_rule_files_keep_their_comments_and_settle(tmp_path_factory):
    from hypothesis import given, settings, strategies as st

    from safetyrules.authoring.fmt import FmtError, _comments, format_text
    from safetyrules.source.loader import load_yaml

    @settings(max_examples=40)
    @given(st.randoms(use_true_random=False))
    def check(rnd):
        text = _random_rule_file(rnd)
        try:
            new, _ = format_text(text)
        except FmtError as err:
            assert "drop the comment" in str(err), (str(err), text)  # refused, never lost
            return
        assert not (_comments(text) - _comments(new)), (text, new)
        assert format_text(new)[0] == new, (text, new)
        assert load_yaml(new, "x").data.keys() == load_yaml(text, "x").data.keys()

    check()


# -- extends: cn.default, from a temp dir and another cwd ---------------------------------------

CITY = {
    "ruleset.yaml": ('kind: ruleset\nid: city.x\nextends: cn.default\ninclude: ["local/**/*.yaml"]\n'
                     "decision: {level: city.level, tier: evaluation.tier, inspection: inspection.frequency}\n"),
    "local/v.yaml": ("kind: vocabulary\nid: city.v\nfacts:\n"
                     "  city.level: {type: enum, values: [red, orange, yellow, blue]}\n  city.ebike: {type: bool}\n"),
    "local/deep/s.yaml": ('kind: standard\nid: city.s\nversion: "1"\nclauses:\n'
                          '  - {id: c1, cite: C1, severity: major, when: "city.ebike"}\n'),
    "local/lv.yaml": table([("risk.level == 'red' or findings.major > 0", "red"), ("risk.level == 'orange'", "orange"),
                            ("risk.level == 'yellow'", "yellow"), ("risk.level == 'blue'", "blue")],
                           id="city.level", output="city.level"),
}


def test_overlay_from_another_cwd_adds_a_standard_and_its_decision_and_prove_sees_through_it(tmp_path, run, monkeypatch):
    write(tmp_path / "city", CITY)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rules = safetyrules.load("../city")
    out = rules.evaluate({"city.ebike": True, "entity.sector": "office"}).to_dict()
    assert out["ruleset"]["id"] == "city.x" and out["level"] == out["outputs"]["city.level"] == "red"
    assert ("city.s", "c1") in {(f["standard"], f["clause"]) for f in out["findings"]}  # found through the ** glob
    # the overlay's level turns less severe with a fourth general finding: prove says so, with facts
    # that re-evaluate to it through the bundled risk.level
    bad = dict(CITY)
    bad["local/lv.yaml"] = CITY["local/lv.yaml"].replace("rows:\n", 'rows:\n  - {when: "findings.general > 3", then: blue}\n')
    write(tmp_path / "bad", bad)
    code, p = props(run, "../bad")
    mono = p["finding-monotone"]
    assert code == 1 and not mono["proven"] and mono["counterexample"]["findings.general"] == 3, mono


def test_overlay_digest_follows_the_base_bytes_not_its_install_location(tmp_path, monkeypatch):
    import shutil

    from safetyrules.source import files

    d = write(tmp_path / "city", CITY)
    digests = []
    for where in ("site-a/standards", "elsewhere/b/standards"):
        base = tmp_path / where
        shutil.copytree(files.bundled_path(), base)
        monkeypatch.setattr(files, "bundled_path", lambda base=base: str(base))
        digests.append(safetyrules.load(str(d)).plan.digest)
    assert digests[0] == digests[1]
    grading = tmp_path / "elsewhere/b/standards/grading/risk-level.yaml"
    grading.write_bytes(grading.read_bytes() + b"\n# a comment is a change of the bytes\n")
    assert safetyrules.load(str(d)).plan.digest != digests[0]


def test_prove_a_unique_level_table_with_two_rows_holding_says_so(tmp_path, run):
    rows = [("findings.major > 0", "red"), ("findings.general > 0", "yellow"),
            ("findings.major == 0 and findings.general == 0", "blue")]
    code, p = props(run, project(tmp_path, rows, hit="unique"))
    gap = p["no-gap"]
    assert code == 1 and not gap["proven"] and gap["counterexample"] == {"findings.general": 1, "findings.major": 1}
    assert "rows 1 and 2 of 'lv' both hold (hit: unique)" in gap["detail"], gap  # not "no row gives a value"


def test_prove_a_level_reading_a_fact_another_table_derives_from_facts(tmp_path, run):
    # my.band is derived before the standards (from n); the level table is searched over its
    # values (a given fact wins over its table), so the missing 'lo' row is a gap
    vocab = VOCAB + "  my.band: {type: enum, values: [hi, lo]}\n"
    d = project(tmp_path, [("findings.major > 0", "red"), ("my.band == 'hi'", "yellow")], vocab=vocab)
    write(d, {"band.yaml": table([("n > 10", "hi"), ("n <= 10", "lo")], id="band", output="my.band")})
    code, p = props(run, d)
    gap = p["no-gap"]
    assert code == 1 and gap["counterexample"] == {"findings.major": 0, "my.band": "lo"}, gap
    assert p["finding-monotone"]["proven"] and p["undetermined-as-found"]["proven"]


def test_diff_finds_a_moved_threshold_of_a_scaled_fact(tmp_path, run):
    # x * 2 >= 13 -> >= 14 moves the boundary from 6.5 to 7: it said "old and new agree"
    old = project(tmp_path, [("findings.major > 0", "red"), ("x * 2 >= 13", "yellow"), ("true", "blue")], name="old")
    new = project(tmp_path, [("findings.major > 0", "red"), ("x * 2 >= 14", "yellow"), ("true", "blue")], name="new")
    code, out, err = run("diff", old, new)
    assert code == 0 and "counterexample: x = 6.5 → old true, new false" in out, out
